//! Where an instruction sends the run loop next, and the one rule for an
//! instruction with a fail label.

use crate::vm::code::loader::NOFAIL;
use crate::vm::term::exception::Exception;

/// What an instruction body asks of the run loop.
pub(crate) enum Flow {
    /// Run this instruction again in the next slice: what it does to
    /// another process waits for that one's slice to end.
    Retry,
    /// The next instruction.
    Next,
    /// This instruction of the module.
    Goto(u32),
    /// This instruction of this module.
    Enter(u32, u32),
    /// Back to the caller.
    Return,
    /// End the slice; the process runs on from here when next scheduled.
    Yield,
    /// End the slice (it is spent), every register kept; the process runs
    /// on from this instruction of the module when next scheduled.
    YieldAt(u32),
    /// Wait for a message, resuming here when one comes.
    Wait(u32),
}

/// A failure goes to the instruction's fail label, or raises `e` when it
/// has none.
#[inline]
pub(crate) fn fail_or(label: u32, e: Exception) -> Result<Flow, Exception> {
    if label == NOFAIL {
        Err(e)
    } else {
        Ok(Flow::Goto(label))
    }
}
