//! The VM's clocks, which the `erlang` and `os` time natives read: monotonic
//! time counts from the VM's start, system time from the Unix epoch.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::vm::native::{Ctx, NativeResult, badarg};
use num_bigint::BigInt;

use crate::vm::natives::helpers::{int_word, integer_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The VM's start, the origin of monotonic time (as on the BEAM, monotonic
/// time is an arbitrary, here negative-free, count since some point). The
/// VM's one clock: `{abs, true}` timers count from it too.
pub(crate) fn epoch() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

pub(crate) fn monotonic_ns() -> i128 {
    epoch().elapsed().as_nanos() as i128
}

pub(crate) fn system_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Nanoseconds in a time unit (`second`, `millisecond`, ..., or an integer
/// number of parts per second), as `erlang:convert_time_unit/3` names them.
pub(crate) fn per_second(c: &Ctx, unit: Word) -> Option<i128> {
    if let Some(n) = unit.as_small() {
        return (n > 0).then_some(n as i128);
    }
    Some(match &*c.atoms.name(unit.as_atom()?) {
        "second" | "seconds" => 1,
        "millisecond" | "milli_seconds" => 1_000,
        "microsecond" | "micro_seconds" => 1_000_000,
        "nanosecond" | "nano_seconds" | "native" | "perf_counter" => 1_000_000_000,
        _ => return None,
    })
}

pub(crate) fn in_unit(c: &mut Ctx, ns: i128, unit: Word) -> NativeResult {
    match per_second(c, unit) {
        Some(p) => Value(int_word(c, (ns * p).div_euclid(1_000_000_000))),
        // Any positive integer is a unit, however large.
        None => match integer_of(c, unit) {
            Some(p) if p.sign() == num_bigint::Sign::Plus => {
                let t = scale(BigInt::from(ns), &BigInt::from(1_000_000_000), &p);
                Value(c.heap.integer(0, &t))
            }
            _ => badarg(),
        },
    }
}

/// Time `t` in parts `from` per second as parts `to` per second, rounded
/// down (towards minus infinity, as erlang.erl's own conversion rounds).
pub(crate) fn scale(t: BigInt, from: &BigInt, to: &BigInt) -> BigInt {
    let x = t * to;
    let q = &x / from;
    if x.sign() == num_bigint::Sign::Minus && &q * from != x {
        q - 1
    } else {
        q
    }
}

/// `{MegaSecs, Secs, MicroSecs}`.
pub(crate) fn timestamp(c: &mut Ctx, ns: i128) -> Word {
    let us = ns / 1_000;
    let t = [
        int_word(c, us / 1_000_000_000_000),
        int_word(c, us / 1_000_000 % 1_000_000),
        int_word(c, us % 1_000_000),
    ];
    c.heap.tuple(0, &t)
}
