//! The VM's one atom table: interned, append-only, shared by all schedulers.
//!
//! Atoms the VM itself uses are interned first, at fixed indices, so that
//! testing for `true` or `badarg` is a compare against a constant.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// How many atoms the table holds at most unless told otherwise: erl's
/// default (`+t`).
pub const DEFAULT_LIMIT: usize = 1 << 20;

macro_rules! predefined {
    ($( $konst:ident = $name:literal ),* $(,)?) => {
        /// Atoms with fixed indices.
        pub mod atom {
            predefined!(@consts 0u32; $( $konst ),*);
        }
        /// The names of the predefined atoms, in index order.
        pub const PREDEFINED: &[&str] = &[$( $name ),*];
    };
    (@consts $n:expr; $first:ident $(, $rest:ident)*) => {
        #[allow(missing_docs)]
        pub const $first: u32 = $n;
        predefined!(@consts $n + 1; $( $rest ),*);
    };
    (@consts $n:expr;) => {};
}

predefined! {
    FALSE = "false", TRUE = "true", OK = "ok", ERROR = "error", EXIT = "exit", THROW = "throw",
    UNDEFINED = "undefined", BADARG = "badarg", BADARITH = "badarith", BADMATCH = "badmatch",
    CASE_CLAUSE = "case_clause", IF_CLAUSE = "if_clause", TRY_CLAUSE = "try_clause",
    FUNCTION_CLAUSE = "function_clause", BADFUN = "badfun", BADARITY = "badarity", UNDEF = "undef",
    BADKEY = "badkey", BADMAP = "badmap", BADRECORD = "badrecord", NOPROC = "noproc",
    NORMAL = "normal", KILL = "kill", KILLED = "killed", INFINITY = "infinity", ALL = "all",
    ERLANG = "erlang", LAM = "lam", NONODE = "nonode@nohost", FILE = "file", LINE = "line",
    EXIT_TAG = "EXIT", DOWN = "DOWN", PROCESS = "process", UNSUPPORTED = "unsupported",
    INTEGER = "integer", FLOAT = "float", BINARY = "binary", APPEND = "append",
    PRIVATE_APPEND = "private_append", STRING = "string", UTF8 = "utf8", UTF16 = "utf16",
    UTF32 = "utf32", LITTLE = "little", SIGNED = "signed", NATIVE = "native",
    SYSTEM_LIMIT = "system_limit", OUT_OF_MEMORY = "out_of_memory",
}

/// The atom table.
#[derive(Debug)]
pub struct Atoms {
    inner: RwLock<Inner>,
    /// The most atoms a program may make ([`Atoms::try_intern`]); the VM's
    /// own atoms and those of the code it loads are always made.
    limit: AtomicUsize,
}

#[derive(Debug, Default)]
struct Inner {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Default for Atoms {
    fn default() -> Self {
        Self::new()
    }
}

impl Atoms {
    /// A table holding the predefined atoms.
    pub fn new() -> Atoms {
        let t = Atoms {
            inner: RwLock::new(Inner::default()),
            limit: AtomicUsize::new(DEFAULT_LIMIT),
        };
        for (i, name) in PREDEFINED.iter().enumerate() {
            let got = t.intern(name);
            debug_assert_eq!(got as usize, i);
        }
        t
    }

    /// The index of an atom, adding it if it is new.
    pub fn intern(&self, name: &str) -> u32 {
        if let Some(&i) = self.inner.read().expect("atom table lock").index.get(name) {
            return i;
        }
        let mut w = self.inner.write().expect("atom table lock");
        if let Some(&i) = w.index.get(name) {
            return i;
        }
        let i = w.names.len() as u32;
        let name: Arc<str> = Arc::from(name);
        w.names.push(name.clone());
        w.index.insert(name, i);
        i
    }

    /// The index of an atom a program asks for (`list_to_atom`,
    /// `binary_to_term`, ...), adding it if it is new and the table is
    /// below its limit; `None` past the limit, which those natives raise
    /// as `system_limit` (erl stops the whole VM there instead).
    pub fn try_intern(&self, name: &str) -> Option<u32> {
        if let Some(i) = self.existing(name) {
            return Some(i);
        }
        if self.len() >= self.limit() {
            return None;
        }
        Some(self.intern(name))
    }

    /// The most atoms a program may make.
    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    /// Sets [`Atoms::limit`] (`lam-translate run --max-atoms`).
    pub fn set_limit(&self, n: usize) {
        self.limit.store(n, Ordering::Relaxed);
    }

    /// An atom's name.
    pub fn name(&self, index: u32) -> Arc<str> {
        self.inner.read().expect("atom table lock").names[index as usize].clone()
    }

    /// The order of two atoms (by their text, as term order has it), under
    /// one read of the table and without copying either name: term
    /// comparison and sorted-map lookups ask this often.
    pub fn cmp(&self, a: u32, b: u32) -> std::cmp::Ordering {
        if a == b {
            return std::cmp::Ordering::Equal;
        }
        let t = self.inner.read().expect("atom table lock");
        t.names[a as usize]
            .as_bytes()
            .cmp(t.names[b as usize].as_bytes())
    }

    /// The index of an existing atom (as `list_to_existing_atom` needs).
    pub fn existing(&self, name: &str) -> Option<u32> {
        self.inner
            .read()
            .expect("atom table lock")
            .index
            .get(name)
            .copied()
    }

    /// How many atoms there are.
    pub fn len(&self) -> usize {
        self.inner.read().expect("atom table lock").names.len()
    }

    /// Whether the table is empty (it never is: predefined atoms come first).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_atoms_have_fixed_indices() {
        let t = Atoms::new();
        assert_eq!(t.intern("true"), atom::TRUE);
        assert_eq!(&*t.name(atom::BADARG), "badarg");
        assert_eq!(t.intern("EXIT"), atom::EXIT_TAG);
        let n = t.intern("brand_new");
        assert_eq!(n as usize, PREDEFINED.len());
        assert_eq!(t.intern("brand_new"), n);
        assert_eq!(t.existing("nope"), None);
    }

    #[test]
    fn a_program_makes_no_atom_past_the_limit() {
        let t = Atoms::new();
        t.set_limit(t.len() + 1);
        assert!(t.try_intern("first").is_some());
        assert_eq!(t.try_intern("second"), None);
        assert_eq!(t.try_intern("first"), t.existing("first"));
        assert_eq!(t.try_intern("true"), Some(atom::TRUE));
    }
}
