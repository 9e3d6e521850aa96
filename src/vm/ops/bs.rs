//! The binary-matching fast path: the matching natives a match loop calls
//! per field, run in the loop itself when their operands are constants.

use crate::vm::term::atoms::atom;
use crate::vm::term::bits::{LITTLE, SIGNED, read_small, resolve_native};
use crate::vm::term::word::Word;

/// A matching native with constant operands, which the loader gives an
/// instruction of its own (`Ins::BsMatch`) so that the common cases run in
/// the interpreter's loop with no call: the field reads of a match loop are
/// most of its time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BsOp {
    /// `bs_start_match/1`.
    StartMatch,
    /// `bs_get_position/1`.
    Position,
    /// `bs_test_unit/2` with this unit.
    TestUnit(u8),
    /// `bs_test_tail/2` with this many bits left (the `<<>>` clause of a
    /// match loop asks it once per step).
    TestTail(u32),
    /// `bs_get_integer/4` of this many bits (1 to 64), with these flags.
    GetInt(u8, u8),
}

impl BsOp {
    /// The op for a call of the native `name` whose arguments after the
    /// context are these constants, if it has one.
    pub fn of(name: &str, constants: &[Option<Word>]) -> Option<BsOp> {
        let small = |i: usize| constants.get(i).copied().flatten()?.as_small();
        Some(match (name, constants.len()) {
            ("bs_start_match", 0) => BsOp::StartMatch,
            ("bs_get_position", 0) => BsOp::Position,
            ("bs_test_tail", 1) => BsOp::TestTail(u32::try_from(small(0)?).ok()?),
            ("bs_test_unit", 1) => BsOp::TestUnit(u8::try_from(small(0)?).ok().filter(|u| *u > 0)?),
            ("bs_get_integer", 3) => {
                let bits = small(0)?.checked_mul(small(1)?)?;
                let f = resolve_native(small(2)?);
                if !(1..=64).contains(&bits) || (f & LITTLE != 0 && bits % 8 != 0) {
                    return None;
                }
                BsOp::GetInt(bits as u8, u8::try_from(f).ok()?)
            }
            _ => return None,
        })
    }

    /// The native call that does the same, for what `fast` leaves: the
    /// arguments, of which the first `n`.
    pub fn args(self, ctx: Word) -> ([Word; 4], usize) {
        let s = |i: i64| Word::small(i).expect("small");
        match self {
            BsOp::StartMatch | BsOp::Position => ([ctx; 4], 1),
            BsOp::TestUnit(u) => ([ctx, s(u.into()), ctx, ctx], 2),
            BsOp::TestTail(n) => ([ctx, s(n.into()), ctx, ctx], 2),
            BsOp::GetInt(bits, f) => ([ctx, s(bits.into()), s(1), s(f.into())], 4),
        }
    }
}

/// `op` at bit `pos` of a bitstring of `len` bits whose bytes `bytes`
/// gives (asked only by the ops that read a field), on the match context
/// `ctx`: `Some(Ok((value, new position)))`, `Some(Err(()))` when the field
/// does not match, `None` for the native to decide (a value too big for a
/// small). The run loop decodes a context once for a run of these
/// (`Worker::bs_run`).
#[inline(always)]
pub fn on<'a>(
    op: BsOp,
    ctx: Word,
    pos: usize,
    len: usize,
    bytes: impl FnOnce() -> Option<&'a [u8]>,
) -> Option<Result<(Word, usize), ()>> {
    Some(match op {
        BsOp::StartMatch => Ok((ctx, pos)),
        BsOp::Position => Ok((Word::small(pos as i64)?, pos)),
        BsOp::TestUnit(u) if (len - pos).is_multiple_of(u as usize) => {
            Ok((Word::atom(atom::OK), pos))
        }
        BsOp::TestUnit(_) => Err(()),
        BsOp::TestTail(n) if len - pos == n as usize => Ok((Word::atom(atom::OK), pos)),
        BsOp::TestTail(_) => Err(()),
        BsOp::GetInt(bits, _) if pos + bits as usize > len => Err(()),
        BsOp::GetInt(bits, f) => {
            let bytes = bytes()?;
            let end = pos + bits as usize;
            let x = if f == 0 && (pos | bits as usize).is_multiple_of(8) {
                // Whole unsigned big-endian bytes, most fields: no shifting
                // or masking, and no `i128`.
                let field = bytes.get(pos / 8..end / 8)?;
                let u = match *field {
                    [b] => u64::from(b),
                    [b0, b1] => u64::from(u16::from_be_bytes([b0, b1])),
                    _ => field.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
                };
                i64::try_from(u).ok()?
            } else {
                let f = i64::from(f);
                let x = read_small(bytes, pos, bits.into(), f & LITTLE != 0, f & SIGNED != 0)?;
                i64::try_from(x).ok()?
            };
            Ok((Word::small(x)?, end))
        }
    })
}
