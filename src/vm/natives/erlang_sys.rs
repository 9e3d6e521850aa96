//! The `erlang` module's system natives: clocks and calendar time, unique
//! integers, checksums (CRC-32, Adler-32, MD5), the node, garbage
//! collection hints and `display/1`.
//!
//! Local time is UTC: LAM reads no time zone database (documented in
//! docs/vm.md); under `TZ=UTC`, erl agrees.

use std::sync::atomic::{AtomicI64, Ordering};

use md5::Digest;

use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::bits::to_bytes;
use crate::vm::natives::helpers::int_word;
use crate::vm::natives::sys::{in_unit, monotonic_ns, per_second, system_ns, timestamp};
use crate::vm::term::atoms::atom;
use crate::vm::term::list::{list_items, string_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `erlang` system natives.
pub const NATIVES: &[Native] = &[
    Native::heap("erlang", "node", 0, node_0),
    Native::heap("erlang", "node", 1, node_1),
    Native::heap("erlang", "system_time", 0, system_time_0),
    Native::heap("erlang", "system_time", 1, system_time_1),
    Native::heap("erlang", "monotonic_time", 0, monotonic_time_0),
    Native::heap("erlang", "monotonic_time", 1, monotonic_time_1),
    Native::heap("erlang", "time_offset", 0, time_offset_0),
    Native::heap("erlang", "time_offset", 1, time_offset_1),
    Native::heap("erlang", "timestamp", 0, timestamp_0),
    Native::heap("erlang", "now", 0, now_0),
    Native::heap("erlang", "unique_integer", 0, unique_integer_0),
    Native::heap("erlang", "unique_integer", 1, unique_integer_1),
    Native::heap("erlang", "date", 0, date_0),
    Native::heap("erlang", "time", 0, time_0),
    Native::heap("erlang", "universaltime", 0, universaltime_0),
    Native::heap("erlang", "localtime", 0, localtime_0),
    Native::heap(
        "erlang",
        "universaltime_to_localtime",
        1,
        universaltime_to_localtime_1,
    ),
    Native::heap(
        "erlang",
        "localtime_to_universaltime",
        2,
        localtime_to_universaltime_2,
    ),
    Native::heap(
        "erlang",
        "universaltime_to_posixtime",
        1,
        universaltime_to_posixtime_1,
    ),
    Native::heap(
        "erlang",
        "posixtime_to_universaltime",
        1,
        posixtime_to_universaltime_1,
    ),
    Native::heap("erlang", "convert_time_unit", 3, convert_time_unit_3),
    Native::heap("erlang", "crc32", 1, crc32_1),
    Native::heap("erlang", "crc32", 2, crc32_2),
    Native::heap("erlang", "crc32_combine", 3, crc32_combine_3),
    Native::heap("erlang", "adler32", 1, adler32_1),
    Native::heap("erlang", "adler32", 2, adler32_2),
    Native::heap("erlang", "adler32_combine", 3, adler32_combine_3),
    Native::heap("erlang", "md5", 1, md5_1),
    Native::heap("erlang", "md5_init", 0, md5_init_0),
    Native::heap("erlang", "md5_update", 2, md5_update_2),
    Native::heap("erlang", "md5_final", 1, md5_final_1),
    Native::heap("erlang", "bump_reductions", 1, bump_reductions_1),
    Native::heap("erlang", "ports", 0, ports_0),
    Native::heap("erlang", "garbage_collect", 2, garbage_collect_2),
    Native::heap("erlang", "display", 1, display_1),
    Native::heap("erlang", "display_nl", 0, display_nl_0),
    Native::heap("erlang", "display_string", 1, display_string_1),
];

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn triple(c: &mut Ctx, (a, b, d): (i64, i64, i64)) -> Word {
    let t = [
        int_word(c, a as i128),
        int_word(c, b as i128),
        int_word(c, d as i128),
    ];
    c.heap.tuple(0, &t)
}

/// `{{Y, M, D}, {H, Mi, S}}` for seconds since the Unix epoch.
fn datetime(c: &mut Ctx, secs: i64) -> Word {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let date = triple(c, civil(days));
    let time = triple(c, (rem / 3600, rem / 60 % 60, rem % 60));
    c.heap.tuple(0, &[date, time])
}

/// Seconds since the Unix epoch of a valid `{{Y, M, D}, {H, Mi, S}}`.
fn seconds_of(c: &Ctx, w: Word) -> Option<i64> {
    let v = c.view();
    let [date, time] = v.tuple(w)? else {
        return None;
    };
    let get3 = |x: u64| -> Option<(i64, i64, i64)> {
        let [a, b, d] = v.tuple(Word(x))? else {
            return None;
        };
        Some((
            Word(*a).as_small()?,
            Word(*b).as_small()?,
            Word(*d).as_small()?,
        ))
    };
    let ((y, mo, d), (h, mi, s)) = (get3(*date)?, get3(*time)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&mo)
        && d >= 1
        && d <= month_days[(mo - 1) as usize]
        && (0..24).contains(&h)
        && (0..60).contains(&mi)
        && (0..60).contains(&s);
    valid.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

fn unique_integer(c: &mut Ctx, opts: Word) -> NativeResult {
    static NEXT: AtomicI64 = AtomicI64::new(1);
    let v = c.view();
    let Some(opts) = list_items(&v, opts) else {
        return badarg();
    };
    let mut positive = false;
    for o in opts {
        match o.as_atom().map(|a| c.atoms.name(a)).as_deref() {
            Some("positive") => positive = true,
            Some("monotonic") => {}
            _ => return badarg(),
        }
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    // Without `positive`, the BEAM's come from a range around zero.
    Value(int_word(
        c,
        if positive {
            n as i128
        } else {
            n as i128 - (1 << 27)
        },
    ))
}

fn crc32(start: u32, data: &[u8]) -> u32 {
    let mut h = flate2::Crc::new();
    if start == 0 {
        h.update(data);
        return h.sum();
    }
    // Continue from a previous value: CRC-32 is linear, so combine.
    h.update(data);
    crc32_combine(start, h.sum(), data.len() as u64)
}

/// zlib's crc32_combine: the CRC of A ++ B from CRC(A), CRC(B) and |B|.
fn crc32_combine(crc1: u32, crc2: u32, mut len2: u64) -> u32 {
    fn times(mat: &[u32; 32], mut vec: u32) -> u32 {
        let mut sum = 0;
        let mut i = 0;
        while vec != 0 {
            if vec & 1 != 0 {
                sum ^= mat[i];
            }
            vec >>= 1;
            i += 1;
        }
        sum
    }
    fn square(mat: &[u32; 32]) -> [u32; 32] {
        let mut sq = [0; 32];
        for (n, s) in sq.iter_mut().enumerate() {
            *s = times(mat, mat[n]);
        }
        sq
    }
    // The operator for one zero bit, squared twice: four zero bits. Each
    // further squaring doubles it, and the bits of len2 (in bytes) pick
    // which powers apply.
    let mut op = [0u32; 32];
    op[0] = 0xedb8_8320;
    for (n, o) in op.iter_mut().enumerate().skip(1) {
        *o = 1 << (n - 1);
    }
    op = square(&square(&op));
    let mut crc1 = crc1;
    while len2 != 0 {
        op = square(&op);
        if len2 & 1 != 0 {
            crc1 = times(&op, crc1);
        }
        len2 >>= 1;
    }
    crc1 ^ crc2
}

const ADLER: u32 = 65_521;

fn adler32(start: u32, data: &[u8]) -> u32 {
    let (mut a, mut b) = (start & 0xffff, start >> 16);
    for chunk in data.chunks(5552) {
        for x in chunk {
            a += *x as u32;
            b += a;
        }
        a %= ADLER;
        b %= ADLER;
    }
    (b << 16) | a
}

fn adler32_combine(a1: u32, a2: u32, len2: u64) -> u32 {
    let rem = (len2 % ADLER as u64) as u32;
    let mut sum1 = a1 & 0xffff;
    let mut sum2 = (rem * sum1) % ADLER;
    sum1 += (a2 & 0xffff) + ADLER - 1;
    sum2 += (a1 >> 16) + (a2 >> 16) + ADLER - rem;
    if sum1 >= ADLER {
        sum1 -= ADLER;
    }
    if sum1 >= ADLER {
        sum1 -= ADLER;
    }
    if sum2 >= ADLER << 1 {
        sum2 -= ADLER << 1;
    }
    if sum2 >= ADLER {
        sum2 -= ADLER;
    }
    (sum2 << 16) | sum1
}

fn checksum(c: &mut Ctx, start: Word, data: Word, f: fn(u32, &[u8]) -> u32) -> NativeResult {
    if !(data.is_list() || data == Word::NIL || c.view().bits(data).is_some()) {
        return badarg();
    }
    match (
        start.as_small().and_then(|s| u32::try_from(s).ok()),
        to_bytes(c, data),
    ) {
        (Some(s), Some(d)) => Value(int_word(c, f(s, &d) as i128)),
        _ => badarg(),
    }
}

fn combine(c: &mut Ctx, a: &[Word], f: fn(u32, u32, u64) -> u32) -> NativeResult {
    let u = |w: Word| w.as_small().and_then(|s| u32::try_from(s).ok());
    match (
        u(a[0]),
        u(a[1]),
        a[2].as_small().and_then(|s| u64::try_from(s).ok()),
    ) {
        (Some(x), Some(y), Some(n)) => Value(int_word(c, f(x, y, n) as i128)),
        _ => badarg(),
    }
}

fn md5_of(c: &mut Ctx, data: &[u8]) -> Word {
    let d = md5::Md5::digest(data);
    c.heap.bitstring(0, &d, 8)
}

fn node_0(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::atom(atom::NONODE))
}

fn node_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    use crate::vm::natives::erlang::test_native;
    let ok = ["is_pid", "is_port", "is_reference"]
        .iter()
        .any(|t| matches!(test_native(c, a, t), Value(w) if w == Word::atom(atom::TRUE)));
    if ok {
        Value(Word::atom(atom::NONODE))
    } else {
        badarg()
    }
}

fn system_time_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(int_word(c, system_ns()))
}

fn system_time_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    in_unit(c, system_ns(), a[0])
}

fn monotonic_time_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(int_word(c, monotonic_ns()))
}

fn monotonic_time_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    in_unit(c, monotonic_ns(), a[0])
}

fn time_offset_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(int_word(c, system_ns() - monotonic_ns()))
}

fn time_offset_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    in_unit(c, system_ns() - monotonic_ns(), a[0])
}

fn timestamp_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(timestamp(c, system_ns()))
}

fn now_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    // Strictly increasing, as erlang:now/0 promises.
    static LAST: AtomicI64 = AtomicI64::new(0);
    let us = (system_ns() / 1000) as i64;
    let prev = LAST.fetch_max(us, Ordering::Relaxed);
    let us = if us <= prev {
        LAST.fetch_add(1, Ordering::Relaxed) + 1
    } else {
        us
    };
    Value(timestamp(c, us as i128 * 1000))
}

fn unique_integer_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    unique_integer(c, Word::NIL)
}

fn unique_integer_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    unique_integer(c, a[0])
}

fn date_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let d = civil((system_ns() / 1_000_000_000) as i64 / 86_400);
    Value(triple(c, d))
}

fn time_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let s = ((system_ns() / 1_000_000_000) as i64).rem_euclid(86_400);
    Value(triple(c, (s / 3600, s / 60 % 60, s % 60)))
}

fn universaltime_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(datetime(c, (system_ns() / 1_000_000_000) as i64))
}

fn localtime_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(datetime(c, (system_ns() / 1_000_000_000) as i64))
}

fn universaltime_to_localtime_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match seconds_of(c, a[0]) {
        Some(_) => Value(a[0]),
        None => badarg(),
    }
}

fn localtime_to_universaltime_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match seconds_of(c, a[0]) {
        Some(_) => Value(a[0]),
        None => badarg(),
    }
}

fn universaltime_to_posixtime_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match seconds_of(c, a[0]) {
        Some(s) => Value(int_word(c, s as i128)),
        None => badarg(),
    }
}

fn posixtime_to_universaltime_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small() {
        Some(s) => Value(datetime(c, s)),
        None => badarg(),
    }
}

fn convert_time_unit_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    use crate::vm::term::compare::{Num, number};
    use num_bigint::BigInt;
    // Any integer: nanoseconds since the epoch are past a small integer.
    let t = match number(&c.view(), a[0]) {
        Some(Num::Small(i)) => BigInt::from(i),
        Some(Num::Big(b)) => b,
        _ => return badarg(),
    };
    let (Some(from), Some(to)) = (per_second(c, a[1]), per_second(c, a[2])) else {
        return badarg();
    };
    // Rounded down, as erlang.erl's own version does for negative times too.
    let scaled = t * to;
    let q = &scaled / from;
    let q = if scaled.sign() == num_bigint::Sign::Minus && q.clone() * from != scaled {
        q - 1
    } else {
        q
    };
    Value(c.heap.integer(0, &q))
}

fn crc32_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    checksum(c, Word::small(0).expect("0"), a[0], crc32)
}

fn crc32_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    checksum(c, a[0], a[1], crc32)
}

fn crc32_combine_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    combine(c, a, crc32_combine)
}

fn adler32_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    checksum(c, Word::small(1).expect("1"), a[0], adler32)
}

fn adler32_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    checksum(c, a[0], a[1], adler32)
}

fn adler32_combine_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    combine(c, a, adler32_combine)
}

fn md5_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match to_bytes(c, a[0]) {
        Some(d) => Value(md5_of(c, &d)),
        None => badarg(),
    }
}

/// The context is the data so far: opaque to Erlang code, as the BEAM's is.
fn md5_init_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(c.heap.bitstring(0, &[], 8))
}

fn md5_update_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (to_bytes(c, a[0]), to_bytes(c, a[1])) {
        (Some(mut ctx), Some(d)) => {
            ctx.extend(d);
            Value(c.heap.bitstring(0, &ctx, 8))
        }
        _ => badarg(),
    }
}

fn md5_final_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match to_bytes(c, a[0]) {
        Some(d) => Value(md5_of(c, &d)),
        None => badarg(),
    }
}

fn bump_reductions_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small() {
        Some(n) if n >= 0 => boolean(true),
        _ => badarg(),
    }
}

fn ports_0(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::NIL)
}

/// With options (`{async, Ref}`, `{type, T}`): true, and no collection
/// asked for (`garbage_collect/0,1` are host natives that do ask).
fn garbage_collect_2(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    boolean(true)
}

fn display_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    // Straight to standard output, bypassing the group leader, as on the BEAM.
    use std::io::Write;
    let text = crate::erlfmt::w(&c.view().to_term(a[0], c.atoms));
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
    boolean(true)
}

fn display_nl_0(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    println!();
    boolean(true)
}

fn display_string_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match string_of(&c.view(), a[0]) {
        Some(s) => {
            use std::io::Write;
            let mut out = std::io::stderr().lock();
            let _ = write!(out, "{s}");
            boolean(true)
        }
        None => badarg(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        for days in [-719_468, -1, 0, 1, 11_016, 19_000, 2_932_896] {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(0, b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(1, b"Wikipedia"), 0x11e6_0398);
        let (a, b) = (b"hello ".as_slice(), b"world".as_slice());
        assert_eq!(crc32(crc32(0, a), b), crc32(0, b"hello world"));
        let text = b"the quick brown fox jumps over the lazy dog, twice over";
        for k in 0..text.len() {
            assert_eq!(
                crc32(crc32(0, &text[..k]), &text[k..]),
                crc32(0, text),
                "split at {k}"
            );
        }
        assert_eq!(
            adler32_combine(adler32(1, a), adler32(1, b), b.len() as u64),
            adler32(1, b"hello world")
        );
    }
}
