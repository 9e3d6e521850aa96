//! The LAM virtual machine's data layer: atoms, tagged words, heaps and the
//! garbage collector (see `docs/vm.md`). The interpreter builds on these.

pub mod atoms;
pub mod bif;
pub mod compare;
pub mod heap;
pub mod interp;
pub mod loader;
pub mod word;

pub use atoms::Atoms;
pub use heap::{Area, View};
pub use word::Word;

pub use interp::{Exception, Proc, Vm};

use std::path::PathBuf;

use crate::term::Term;

/// Runs `module:function()` in a fresh VM and process, and returns its
/// value, or the class and reason of the exception it raised.
pub fn eval(code_path: Vec<PathBuf>, module: &str, function: &str) -> Result<Term, (Term, Term)> {
    let mut vm = Vm::new(code_path);
    let (m, f) = (vm.atoms.intern(module), vm.atoms.intern(function));
    let r = vm.run_main(m, f, &[]);
    let root = vm.last_heap.take().unwrap_or_default();
    let view = View {
        heap: &root.heap,
        literals: &vm.literals,
    };
    match r {
        Ok(w) => Ok(view.to_term(w, &vm.atoms)),
        Err(e) => Err((
            Term::Atom(vm.atoms.name(e.class)),
            view.to_term(e.reason, &vm.atoms),
        )),
    }
}
