//! `erlang:load_nif/2`. LAM loads no NIF library: the NIFs it has are
//! natives (`crypto`, `zlib`), rows marked as NIFs, which replace their
//! module's stubs when the module is linked. Loading one of those
//! libraries succeeds, as it would on the BEAM; any other fails with erl's
//! `load_failed` error, and its stubs stay stubs.

use crate::term::Term;
use crate::vm::native::{Ctx, Native, NativeResult, badarg};
use crate::vm::natives::bits::to_bytes;
use crate::vm::term::list::string_of;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The NIF libraries LAM has natives for, by base name.
const LIBRARIES: &[&str] = &["crypto", "zlib", "prim_file", "prim_buffer"];

/// The `erlang:load_nif/2` native.
pub const NATIVES: &[Native] = &[Native::heap("erlang", "load_nif", 2, load_nif_2)];

fn load_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let path = match string_of(&c.view(), a[0]) {
        Some(p) => p,
        None => match to_bytes(c, a[0]) {
            Some(b) if c.view().bits(a[0]).is_none() && a[0] != Word::NIL => {
                String::from_utf8_lossy(&b).into_owned()
            }
            _ => return badarg(),
        },
    };
    let base = path.rsplit('/').next().unwrap_or(&path);
    let base = base.split('.').next().unwrap_or(base);
    if LIBRARIES.contains(&base) {
        return Value(Word::atom(c.atoms.intern("ok")));
    }
    let why = format!("Failed to load NIF library {path}: LAM loads no NIF libraries");
    let t = Term::tuple(vec![
        Term::atom("error"),
        Term::tuple(vec![Term::atom("load_failed"), Term::string(&why)]),
    ]);
    Value(c.from_term(&t))
}
