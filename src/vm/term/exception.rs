//! The exception value: what `raise`, a failing BIF and a crash carry.

use crate::vm::term::atoms::atom;
use crate::vm::term::word::Word;

/// An exception: class (`error`, `exit` or `throw`), reason, stack trace.
#[derive(Debug, Clone, Copy)]
pub struct Exception {
    /// The class atom.
    pub class: u32,
    /// The reason.
    pub reason: Word,
    /// The stack trace term, once built.
    pub trace: Word,
}

impl Exception {
    /// `error:badarg`, the commonest.
    pub fn badarg() -> Exception {
        Exception::error(Word::atom(atom::BADARG))
    }

    /// An `error` exception (trace filled in when raised).
    pub fn error(reason: Word) -> Exception {
        Exception {
            class: atom::ERROR,
            reason,
            trace: Word::NONE,
        }
    }
}
