//! The operands as the instruction bodies see them: reading a source,
//! writing a destination.

use crate::vm::code::loader::{Dst, Src};
use crate::vm::exec::proc::{Proc, Regs};
use crate::vm::term::word::Word;

/// The value of a source operand.
#[inline(always)]
pub(crate) fn read(proc: &Proc, xs: &Regs, s: Src) -> Word {
    match s {
        Src::X(r) => xs[r as usize],
        Src::Y(r) => proc.st.stack[proc.st.y_base + r as usize],
        Src::C(w) => w,
    }
}

/// Writes `w` to a destination.
#[inline(always)]
pub(crate) fn write(proc: &mut Proc, xs: &mut Regs, d: Dst, w: Word) {
    match d {
        Dst::X(r) => xs[r as usize] = w,
        Dst::Y(r) => {
            let base = proc.st.y_base;
            proc.st.stack[base + r as usize] = w;
        }
        Dst::Discard => {}
    }
}

/// A destination read as a source (`swap`, and the registers that mark a
/// handler or a receive).
#[inline(always)]
pub(crate) fn dst_src(d: Dst) -> Src {
    match d {
        Dst::X(r) => Src::X(r),
        Dst::Y(r) => Src::Y(r),
        Dst::Discard => Src::C(Word::NIL),
    }
}
