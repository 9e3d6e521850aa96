//! Layer 5, natives: the functions Erlang code calls that LAM implements in
//! Rust, one file per Erlang module (`erlang` in a few, by theme). Each file
//! has one table of rows, `NATIVES`; [`registry`] finds a row by module, name
//! and arity.
//!
//! The native files import nothing of each other: what several share is in
//! `helpers`, `bits` (binaries, and the machinery of the `lam:bs_*`
//! natives), `sys` (the clocks) and `signals` (OS signals), which import no
//! native file.

use std::sync::OnceLock;

use crate::vm::native::{Native, Registry};

pub mod atomics;
pub mod binary;
pub mod bits;
pub mod code;
pub mod crypto;
pub mod erl_ddll;
pub mod erlang;
pub mod erlang_code;
pub mod erlang_conv;
pub mod erlang_sys;
pub mod error_logger;
pub mod erts_debug;
pub mod erts_internal;
pub mod ets;
pub mod ext;
pub mod file;
pub mod helpers;
pub mod lam;
pub mod lists;
pub mod maps;
pub mod matchspec;
pub mod math;
pub mod net_kernel;
pub mod nif;
pub mod os;
pub mod prim_buffer;
pub mod prim_file;
pub mod process;
pub mod re;
pub mod resource;
pub mod signals;
pub mod string;
pub mod sys;
pub mod unicode;
pub mod zlib;

/// Every table of natives: a static, so that its rows have one address
/// (the registry hands out references to them; a `const` is a fresh copy
/// wherever it is used, which the compiler may or may not merge).
pub static TABLES: &[&[Native]] = &[
    erlang::NATIVES,
    erlang_code::NATIVES,
    erlang_conv::NATIVES,
    erlang_sys::NATIVES,
    erts_debug::NATIVES,
    erl_ddll::NATIVES,
    error_logger::NATIVES,
    atomics::NATIVES,
    binary::NATIVES,
    code::NATIVES,
    erts_internal::NATIVES,
    ets::NATIVES,
    file::NATIVES,
    lam::NATIVES,
    lists::NATIVES,
    maps::NATIVES,
    math::NATIVES,
    matchspec::NATIVES,
    net_kernel::NATIVES,
    os::NATIVES,
    prim_file::NATIVES,
    prim_buffer::NATIVES,
    process::NATIVES,
    re::NATIVES,
    string::NATIVES,
    unicode::NATIVES,
    crypto::NATIVES,
    zlib::NATIVES,
    nif::NATIVES,
];

/// The registry of every native, built on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::new(TABLES))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_row_is_distinct_well_named_and_found() {
        let mut seen = HashSet::new();
        let mut rows = 0;
        for n in TABLES.iter().flat_map(|t| t.iter()) {
            rows += 1;
            assert!(
                seen.insert((n.module, n.name, n.arity)),
                "two rows for {}:{}/{}",
                n.module,
                n.name,
                n.arity
            );
            for text in [n.module, n.name] {
                assert!(
                    !text.is_empty()
                        && text.chars().count() <= 255
                        && !text.chars().any(char::is_control),
                    "{text:?} is not an atom's text"
                );
            }
            let found = registry()
                .get(n.module, n.name, n.arity)
                .expect("the registry finds every row");
            assert!(
                std::ptr::eq(found, n),
                "{}:{}/{}",
                n.module,
                n.name,
                n.arity
            );
            if n.is_variadic() {
                let more = registry().get(n.module, n.name, n.arity + 7);
                assert!(more.is_some_and(|m| std::ptr::eq(m, n)));
            }
        }
        assert_eq!(registry().iter().count(), rows);
        let raising: Vec<String> = registry()
            .iter()
            .filter(|n| n.is_raising())
            .map(|n| format!("{}:{}/{}", n.module, n.name, n.arity))
            .collect();
        assert_eq!(raising.len(), 11, "{raising:?}");
    }
}
