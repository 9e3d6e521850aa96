//! Resolving a call against what LAM can run: a native of the VM's
//! registry, or an exported function of a module LAM can load that is not
//! a NIF stub. The order is the VM's: `Vm::resolve` looks in the registry
//! first and loads code only for what is not there.

use std::collections::HashMap;

use serde::Serialize;

use crate::report::calls::{ModuleCalls, Via};
use crate::vm::native::Registry;

/// What a call reaches on LAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A native of the VM.
    Native,
    /// Erlang code LAM runs (translated from its `.beam`).
    Code,
    /// A NIF or BIF stub with no native: on LAM it raises.
    MissingNative,
    /// A port BIF with no native: LAM has no ports.
    Port,
    /// The module exists, the function is not exported (or not defined).
    Undefined,
    /// The module exists nowhere (a missing dependency?) or could not be read.
    Unresolved,
}

impl Status {
    /// Whether the call can run on LAM.
    pub fn runs(self) -> bool {
        matches!(self, Status::Native | Status::Code)
    }

    /// The name used in the JSON and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Status::Native => "native",
            Status::Code => "code",
            Status::MissingNative => "missing_native",
            Status::Port => "port",
            Status::Undefined => "undefined",
            Status::Unresolved => "unresolved",
        }
    }
}

/// The BIFs that work on ports: without LAM's port table (the natives
/// `erts_internal:open_port/2` and the rest) these cannot run, even where
/// erlang.erl wraps them in Erlang code (its `port_command/2` calls
/// `erts_internal:port_command/3`).
fn is_port_bif(module: &str, function: &str) -> bool {
    const PORT_BIFS: &[&str] = &[
        "open_port",
        "port_call",
        "port_close",
        "port_command",
        "port_connect",
        "port_control",
        "port_get_data",
        "port_info",
        "port_set_data",
        "ports",
    ];
    matches!(module, "erlang" | "erts_internal") && PORT_BIFS.contains(&function)
}

/// Every module a call may reach, with what the VM implements natively.
pub struct Universe<'a> {
    registry: &'a Registry,
    modules: HashMap<&'a str, &'a ModuleCalls>,
}

impl<'a> Universe<'a> {
    /// The universe of these modules (the first of a name wins, as on a
    /// code path; a module that could not be read is not among them).
    pub fn new(
        registry: &'a Registry,
        modules: impl IntoIterator<Item = &'a ModuleCalls>,
    ) -> Universe<'a> {
        let mut u = Universe {
            registry,
            modules: HashMap::new(),
        };
        for m in modules {
            u.modules.entry(&m.name).or_insert(m);
        }
        u
    }

    /// Whether a module of this name is known.
    pub fn has_module(&self, module: &str) -> bool {
        self.modules.contains_key(module)
    }

    /// What a call to `module:function/arity` reaches. A local call runs the
    /// module's own code, even where the registry has a native of that
    /// name (the VM links local calls to code), unless the native is a NIF
    /// of the module (the VM runs it for its stub). A native that only
    /// raises `notsup` is a missing one.
    pub fn resolve(&self, module: &str, function: &str, arity: u32, via: Via) -> Status {
        if let Some(n) = self.registry.get(module, function, arity) {
            if n.is_notsup() {
                return Status::MissingNative;
            }
            if via != Via::Local || n.is_nif() {
                return Status::Native;
            }
        }
        if is_port_bif(module, function)
            && self.registry.get("erts_internal", "open_port", 2).is_none()
        {
            return Status::Port;
        }
        let Some(m) = self.modules.get(module) else {
            return Status::Unresolved;
        };
        match m.function(function, arity) {
            Some(f) if f.exported || via == Via::Local => {
                if f.nif_stub {
                    Status::MissingNative
                } else {
                    Status::Code
                }
            }
            _ => Status::Undefined,
        }
    }

    /// Whether `module:function/arity` has a native (so that a stub of
    /// that name still runs when called from outside its module).
    pub fn has_native(&self, module: &str, function: &str, arity: u32) -> bool {
        self.registry
            .get(module, function, arity)
            .is_some_and(|n| !n.is_notsup())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::calls::{module_calls, tests::crypto_like};
    use crate::vm::natives::registry;

    #[test]
    fn statuses() {
        let m = module_calls(&crypto_like());
        let u = Universe::new(registry(), [&m]);
        let r = |m: &str, f: &str, a, via| u.resolve(m, f, a, via);
        assert_eq!(r("erlang", "nif_error", 1, Via::Call), Status::Native);
        assert_eq!(r("m", "hash", 2, Via::Call), Status::Code);
        assert_eq!(r("m", "hash_nif", 2, Via::Local), Status::MissingNative);
        // Not exported: from outside there is no such function.
        assert_eq!(r("m", "hash_nif", 2, Via::Call), Status::Undefined);
        assert_eq!(r("m", "nope", 0, Via::Call), Status::Undefined);
        assert_eq!(r("nowhere", "f", 0, Via::Call), Status::Unresolved);
        // With ports, erlang:open_port/2 is erlang.erl's code (which is
        // not in this universe).
        let port = if registry().get("erts_internal", "open_port", 2).is_some() {
            Status::Unresolved
        } else {
            Status::Port
        };
        assert_eq!(r("erlang", "open_port", 2, Via::Call), port);
        assert!(u.has_module("m") && !u.has_module("nowhere"));
    }
}
