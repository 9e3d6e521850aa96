//! The `arith` instruction's semantics (and the arithmetic BIFs'): small
//! integers first, then floats, then bignums.

use std::sync::Arc;

use num_bigint::BigInt;
use num_traits::{ToPrimitive, Zero};

use crate::vm::term::atoms::atom;
use crate::vm::term::compare::{Num, big_to_f64, number};
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::word::{Word, kind};
use ArithOp::*;

crate::vm::ops::kinds::kinds! {
    /// A kind of the `arith` instruction, in `isa::ARITH_KINDS` order.
    ArithOp, crate::lam::isa::ARITH_KINDS;
    Add = "add",
    Sub = "sub",
    Mul = "mul",
    Div = "div",
    IDiv = "idiv",
    Rem = "rem",
    Band = "band",
    Bor = "bor",
    Bxor = "bxor",
    Bsl = "bsl",
    Bsr = "bsr",
}

impl ArithOp {
    /// Whether the op takes floats (`+ - * /`); the others are integer-only.
    pub fn on_floats(self) -> bool {
        matches!(self, Add | Sub | Mul | Div)
    }

    /// The `erlang` BIF that does the same, named in error reports.
    pub fn bif_name(self) -> &'static str {
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            IDiv => "div",
            Rem => "rem",
            Band => "band",
            Bor => "bor",
            Bxor => "bxor",
            Bsl => "bsl",
            Bsr => "bsr",
        }
    }
}

/// An integer as a bignum (`None` for a float).
pub fn to_big(n: &Num) -> Option<BigInt> {
    match n {
        Num::Small(i) => Some(BigInt::from(*i)),
        Num::Big(b) => Some(b.clone()),
        Num::Float(_) => None,
    }
}

/// A number as a finite float, if it has one.
pub fn to_f64(n: &Num) -> Option<f64> {
    match n {
        Num::Small(i) => Some(*i as f64),
        Num::Big(b) => big_to_f64(b),
        Num::Float(f) => Some(*f),
    }
}

fn badarith() -> Exception {
    Exception::error(Word::atom(atom::BADARITH))
}

/// Float `+ - * /`: `None` when the result is not a finite float (or the
/// op is not one of those four), which raises badarith (as do float
/// instructions and the BIFs).
#[inline(always)]
pub fn float_op(op: ArithOp, x: f64, y: f64) -> Option<f64> {
    let r = match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        Div if y != 0.0 => x / y,
        _ => return None,
    };
    r.is_finite().then_some(r)
}

/// The `arith` instruction: `a op b`, allocating on `heap` when the result
/// is not a small integer.
pub fn arith(
    heap: &mut Area,
    literals: &[Arc<Area>],
    op: ArithOp,
    a: Word,
    b: Word,
) -> Result<Word, Exception> {
    // Small integers: the fast path.
    if let (Some(x), Some(y)) = (a.as_small(), b.as_small()) {
        let r = match op {
            Add => x.checked_add(y),
            Sub => x.checked_sub(y),
            Mul => x.checked_mul(y),
            IDiv if y != 0 => Some(x / y),
            Rem if y != 0 => Some(x % y),
            Band => Some(x & y),
            Bor => Some(x | y),
            Bxor => Some(x ^ y),
            Bsl => shift_small(x, y),
            Bsr => shift_small(x, -y),
            _ => None,
        };
        if let Some(w) = r.and_then(Word::small) {
            return Ok(w);
        }
    }
    // Integers of up to 127 bits (smalls whose result outgrows a small,
    // bignums of one or two words) in `i128`: no `BigInt`, no allocation
    // but the result's own.
    let view = View { heap, literals };
    if let (Some(x), Some(y)) = (int128(&view, a), int128(&view, b))
        && let Some(r) = int128_op(op, x, y)
    {
        return Ok(put_int128(heap, r));
    }
    let view = View { heap, literals };
    // Floats (and floats mixed with small integers) without building `Num`s.
    if op.on_floats() {
        let float = |w: Word| match w.as_small() {
            Some(i) => Some((i as f64, false)),
            None => view.float(w).map(|f| (f, true)),
        };
        if let (Some((fx, ax)), Some((fy, ay))) = (float(a), float(b))
            && (ax || ay || op == Div)
        {
            return float_op(op, fx, fy)
                .map(|r| heap.float(0, r))
                .ok_or_else(badarith);
        }
    }
    let (Some(x), Some(y)) = (number(&view, a), number(&view, b)) else {
        return Err(badarith());
    };
    if op == Div || matches!(x, Num::Float(_)) || matches!(y, Num::Float(_)) {
        if !op.on_floats() {
            return Err(badarith());
        }
        let (Some(fx), Some(fy)) = (to_f64(&x), to_f64(&y)) else {
            return Err(badarith());
        };
        return float_op(op, fx, fy)
            .map(|r| heap.float(0, r))
            .ok_or_else(badarith);
    }
    let (bx, by) = (to_big(&x).expect("integer"), to_big(&y).expect("integer"));
    arith_big(heap, op, bx, by)
}

/// The reductions `a op b` costs beyond the one every instruction pays:
/// by the words of its bignum operands and result (`r`, when it has one),
/// with a product or quotient also by the product of its operands' sizes.
/// A product of two million-bit integers takes milliseconds, and charged
/// one reduction a loop of them held its scheduler for seconds.
pub fn big_reductions(v: &View, op: ArithOp, a: Word, b: Word, r: Option<Word>) -> u32 {
    let words = |w: Word| {
        if !w.is_boxed() {
            return 0;
        }
        let h = v.header(w);
        match h.header_kind() {
            kind::BIG_POS | kind::BIG_NEG => h.header_arity(),
            _ => 0,
        }
    };
    let (na, nb) = (words(a), words(b));
    let linear = (na + nb + r.map_or(0, words)) / 16;
    let product = match op {
        Mul | IDiv | Rem => na.saturating_mul(nb) / 256,
        _ => 0,
    };
    u32::try_from(linear.saturating_add(product)).unwrap_or(u32::MAX)
}

/// `x` shifted left by `s` bits (right when `s` is negative) when the
/// result fits in an `i64`; `None` leaves it to the bignum path. Packing
/// bytes into a word (`(H bsl 8) + L`) is common enough that going through
/// `BigInt` for it showed in profiles.
#[inline]
pub fn shift_small(x: i64, s: i64) -> Option<i64> {
    if s >= 0 {
        if s >= 64 {
            return (x == 0).then_some(0);
        }
        let r = x << s;
        (r >> s == x).then_some(r)
    } else if s > -64 {
        Some(x >> -s)
    } else {
        Some(if x < 0 { -1 } else { 0 })
    }
}

/// An integer of at most two 64-bit words as an `i128`, if it fits.
#[inline]
fn int128(v: &View, w: Word) -> Option<i128> {
    if let Some(i) = w.as_small() {
        return Some(i.into());
    }
    if !w.is_boxed() {
        return None;
    }
    let h = v.header(w);
    let negative = match h.header_kind() {
        kind::BIG_POS => false,
        kind::BIG_NEG => true,
        _ => return None,
    };
    let p = w.ptr();
    let mag = match h.header_arity() {
        1 => u128::from(v.at(p, 1).0),
        2 => u128::from(v.at(p, 1).0) | (u128::from(v.at(p, 2).0) << 64),
        _ => return None,
    };
    let m = i128::try_from(mag).ok()?;
    Some(if negative { -m } else { m })
}

/// `x op y` for the integer ops `i128` does exactly; `None` on overflow,
/// division by zero (the slow path raises) and the other ops.
#[inline]
fn int128_op(op: ArithOp, x: i128, y: i128) -> Option<i128> {
    match op {
        Add => x.checked_add(y),
        Sub => x.checked_sub(y),
        Mul => x.checked_mul(y),
        // Both truncate towards zero, as `div` and `rem` do.
        IDiv => x.checked_div(y),
        Rem => x.checked_rem(y),
        Band => Some(x & y),
        Bor => Some(x | y),
        Bxor => Some(x ^ y),
        _ => None,
    }
}

/// An `i128` as a term: a small integer, or a bignum of the fewest words
/// (as `Area::integer` writes one).
fn put_int128(heap: &mut Area, r: i128) -> Word {
    if let Some(w) = i64::try_from(r).ok().and_then(Word::small) {
        return w;
    }
    let mag = r.unsigned_abs();
    let k = if r < 0 { kind::BIG_NEG } else { kind::BIG_POS };
    let (lo, hi) = (Word(mag as u64), Word((mag >> 64) as u64));
    if hi.0 == 0 {
        heap.boxed(0, k, &[lo])
    } else {
        heap.boxed(0, k, &[lo, hi])
    }
}

/// The most bits an integer may have, as on the BEAM: 2^19 - 1 digits of
/// 64 bits. Any result past it is `system_limit`, whatever the operation
/// (`(1 bsl 33554367) + (1 bsl 33554367)` as much as `1 bsl 33554368`).
const MAX_INT_BITS: u64 = ((1 << 19) - 1) * 64;

/// `x` shifted left by `s` bits (right when `s` is negative): a right shift
/// past every bit leaves 0 or -1; a left shift past the integer size limit
/// is `system_limit`.
fn shift_left(x: BigInt, s: &BigInt) -> Result<BigInt, Exception> {
    let negative = |b: &BigInt| b.sign() == num_bigint::Sign::Minus;
    if x.is_zero() {
        return Ok(x);
    }
    match s.to_i64() {
        Some(s) if s >= 0 => {
            if x.bits().saturating_add(s as u64) > MAX_INT_BITS {
                return Err(Exception::error(Word::atom(atom::SYSTEM_LIMIT)));
            }
            Ok(x << (s as usize))
        }
        Some(s) if s.unsigned_abs() < x.bits() => Ok(x >> (s.unsigned_abs() as usize)),
        // Right, past every bit: the sign is all that is left.
        _ if negative(s) || s.to_i64().is_some() => Ok(if negative(&x) {
            BigInt::from(-1)
        } else {
            BigInt::zero()
        }),
        _ => Err(Exception::error(Word::atom(atom::SYSTEM_LIMIT))),
    }
}

fn arith_big(heap: &mut Area, op: ArithOp, x: BigInt, y: BigInt) -> Result<Word, Exception> {
    let system_limit = || Exception::error(Word::atom(atom::SYSTEM_LIMIT));
    // A product has at least this many bits: refused before it is computed.
    if op == Mul && !x.is_zero() && !y.is_zero() && x.bits() + y.bits() - 1 > MAX_INT_BITS {
        return Err(system_limit());
    }
    let r = match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        IDiv | Rem if y.is_zero() => return Err(badarith()),
        IDiv => &x / &y,
        Rem => &x % &y,
        Band => x & y,
        Bor => x | y,
        Bxor => x ^ y,
        Bsl => shift_left(x, &y)?,
        Bsr => shift_left(x, &-y)?,
        Div => return Err(badarith()),
    };
    if r.bits() > MAX_INT_BITS {
        return Err(system_limit());
    }
    Ok(heap.integer(0, &r))
}
