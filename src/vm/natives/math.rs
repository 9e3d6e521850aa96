//! The `math` module.

use crate::vm::native::{Ctx, Native, NativeResult, badarg, error};
use crate::vm::ops::arith::to_f64;
use crate::vm::term::atoms::atom;
use crate::vm::term::compare::number;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `math` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("math", "sqrt", 1, sqrt_1),
    Native::heap("math", "sin", 1, sin_1),
    Native::heap("math", "cos", 1, cos_1),
    Native::heap("math", "tan", 1, tan_1),
    Native::heap("math", "atan", 1, atan_1),
    Native::heap("math", "exp", 1, exp_1),
    Native::heap("math", "log", 1, log_1),
    Native::heap("math", "log2", 1, log2_1),
    Native::heap("math", "log10", 1, log10_1),
    Native::heap("math", "floor", 1, floor_1),
    Native::heap("math", "ceil", 1, ceil_1),
    Native::heap("math", "pow", 2, pow_2),
    Native::heap("math", "pi", 0, pi_0),
    Native::heap("math", "acos", 1, acos_1),
    Native::heap("math", "asin", 1, asin_1),
    Native::heap("math", "acosh", 1, acosh_1),
    Native::heap("math", "asinh", 1, asinh_1),
    Native::heap("math", "atanh", 1, atanh_1),
    Native::heap("math", "cosh", 1, cosh_1),
    Native::heap("math", "sinh", 1, sinh_1),
    Native::heap("math", "tanh", 1, tanh_1),
    Native::heap("math", "erf", 1, erf_1),
    Native::heap("math", "erfc", 1, erfc_1),
    Native::heap("math", "atan2", 2, atan2_2),
    Native::heap("math", "fmod", 2, fmod_2),
];

/// An argument as a float: badarg for what is no number, badarith for a
/// number no double holds (a bignum past 2^1024), as on erl.
fn arg(c: &Ctx, w: Word) -> Result<f64, NativeResult> {
    let n = number(&c.view(), w).ok_or_else(badarg)?;
    to_f64(&n).ok_or_else(|| error(Word::atom(atom::BADARITH)))
}

/// A result: badarith when it is no finite float.
fn result(c: &mut Ctx, r: f64) -> NativeResult {
    if r.is_finite() {
        Value(c.heap.float(0, r))
    } else {
        error(Word::atom(atom::BADARITH))
    }
}

pub(crate) fn math1(c: &mut Ctx, w: Word, f: fn(f64) -> f64) -> NativeResult {
    match arg(c, w) {
        Ok(x) => result(c, f(x)),
        Err(e) => e,
    }
}

/// The arguments are read in order: the first one's error wins.
fn math2(c: &mut Ctx, a: &[Word], f: fn(f64, f64) -> f64) -> NativeResult {
    match arg(c, a[0]).and_then(|x| Ok((x, arg(c, a[1])?))) {
        Ok((x, y)) => result(c, f(x, y)),
        Err(e) => e,
    }
}

fn sqrt_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::sqrt)
}

fn sin_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::sin)
}

fn cos_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::cos)
}

fn tan_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::tan)
}

fn atan_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::atan)
}

fn exp_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::exp)
}

fn log_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::ln)
}

fn log2_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::log2)
}

fn log10_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::log10)
}

fn floor_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::floor)
}

fn ceil_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::ceil)
}

fn pow_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math2(c, a, f64::powf)
}

fn pi_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(c.heap.float(0, std::f64::consts::PI))
}

fn acos_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::acos)
}

fn asin_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::asin)
}

// The inverse hyperbolic functions split their domain as C's libm does
// (and so erl, which calls it): Rust's own `f64::asinh` & co. use other
// formulas, off by an ulp from erl for some inputs. `ln` and `ln_1p` are
// the C library's.
const LN_2: f64 = std::f64::consts::LN_2;
const TINY: f64 = 3.725290298461914e-9; // 2^-28
const HUGE: f64 = 268435456.0; // 2^28

/// The high 32 bits of a double: C's libm tests its ranges on them alone,
/// so `x > 2^28` there means above 2^28 by more than the low word.
fn high(x: f64) -> u64 {
    x.to_bits() >> 32
}

fn asinh(x: f64) -> f64 {
    let ax = x.abs();
    let w = if !ax.is_finite() || ax < TINY {
        return x;
    } else if high(ax) > high(HUGE) {
        ax.ln() + LN_2
    } else if high(ax) > high(2.0) {
        (2.0 * ax + 1.0 / ((x * x + 1.0).sqrt() + ax)).ln()
    } else {
        let t = x * x;
        (ax + t / (1.0 + (1.0 + t).sqrt())).ln_1p()
    };
    w.copysign(x)
}

fn acosh(x: f64) -> f64 {
    if x < 1.0 || x.is_nan() {
        f64::NAN
    } else if x >= HUGE {
        if x.is_infinite() { x } else { x.ln() + LN_2 }
    } else if high(x) > high(2.0) {
        (2.0 * x - 1.0 / (x + (x * x - 1.0).sqrt())).ln()
    } else {
        let t = x - 1.0;
        (t + (2.0 * t + t * t).sqrt()).ln_1p()
    }
}

fn atanh(x: f64) -> f64 {
    let ax = x.abs();
    let w = if ax > 1.0 || x.is_nan() {
        return f64::NAN;
    } else if ax < TINY {
        return x;
    } else if ax < 0.5 {
        let t = ax + ax;
        0.5 * (t + t * ax / (1.0 - ax)).ln_1p()
    } else {
        0.5 * ((ax + ax) / (1.0 - ax)).ln_1p()
    };
    w.copysign(x)
}

fn acosh_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], acosh)
}

fn asinh_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], asinh)
}

fn atanh_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], atanh)
}

fn cosh_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::cosh)
}

fn sinh_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::sinh)
}

fn tanh_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], f64::tanh)
}

fn erf_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], libm::erf)
}

fn erfc_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math1(c, a[0], libm::erfc)
}

fn atan2_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math2(c, a, f64::atan2)
}

fn fmod_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    math2(c, a, |x, y| x % y)
}
