//! Match specifications (`docs/matchspec.md`): compiled once from the
//! `[{Head, Guards, Body}]` term into a small program, then run on each
//! object without copying it; only the result is built on the caller's heap.

use crate::vm::term::atoms::Atoms;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::word::Word;

/// A compiled match specification. It owns copies of its constants, so it
/// outlives the heap it was read from and can be shared between threads.
#[derive(Debug, Clone)]
pub struct MatchSpec {
    consts: Area,
}

impl MatchSpec {
    /// Compiles `ms` (a list of `{Head, Guards, Body}`, read through `v`).
    /// `table` is true for ETS (false: tracing rules). `Err(())` where erl
    /// raises badarg.
    pub fn compile(v: &View, atoms: &Atoms, ms: Word, table: bool) -> Result<MatchSpec, ()> {
        let _ = (v, atoms, ms, table);
        Err(())
    }

    /// Runs the specification on `obj`, read through `src` (which may be an
    /// ETS object's own area, not the caller's heap). `None` when no clause
    /// matches (a guard that fails or raises fails its clause); the result,
    /// built in `heap` (area 0 of the caller), otherwise.
    pub fn run(
        &self,
        src: &View,
        obj: Word,
        heap: &mut Area,
        atoms: &Atoms,
        pid: u64,
    ) -> Option<Word> {
        let _ = (src, obj, heap, atoms, pid);
        None
    }

    /// When every clause's head is a tuple whose element `keypos` (1-based)
    /// is fully bound (contains no variable): those keys, read through
    /// [`MatchSpec::view`], so a table can look them up instead of scanning.
    pub fn bound_keys(&self, keypos: usize) -> Option<Vec<Word>> {
        let _ = keypos;
        None
    }

    /// A view of the specification's own constants (for `bound_keys`).
    pub fn view(&self) -> View<'_> {
        View {
            heap: &self.consts,
            literals: &[],
        }
    }
}
