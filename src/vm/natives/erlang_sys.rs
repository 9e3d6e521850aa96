//! The `erlang` module's system natives: clocks and calendar time, unique
//! integers, checksums (CRC-32, Adler-32, MD5), the node, garbage
//! collection hints and `display/1`.
//!
//! Local time is UTC: LAM reads no time zone database (documented in
//! docs/vm.md); under `TZ=UTC`, erl agrees.

use std::sync::atomic::{AtomicI64, Ordering};

use md5::Digest;

use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::bits::{binary_bytes, to_bytes};
use crate::vm::natives::helpers::{int_word, integer_of};
use crate::vm::natives::sys::{in_unit, monotonic_ns, per_second, scale, system_ns, timestamp};
use crate::vm::term::atoms::atom;
use crate::vm::term::list::{list_items, string_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `erlang` system natives.
pub const NATIVES: &[Native] = &[
    Native::heap("erlang", "dt_spread_tag", 1, dt_spread_tag_1),
    Native::heap("erlang", "dt_restore_tag", 1, dt_restore_tag_1),
    Native::heap("erlang", "dt_get_tag", 0, dt_undefined),
    Native::heap("erlang", "dt_get_tag_data", 0, dt_undefined),
    Native::heap("erlang", "dt_put_tag", 1, dt_undefined),
    Native::heap("erlang", "dt_prepend_vm_tag_data", 1, dt_same),
    Native::heap("erlang", "dt_append_vm_tag_data", 1, dt_same),
    Native::heap("erlang", "node", 0, node_0),
    Native::heap("erlang", "node", 1, node_1),
    Native::heap("erlang", "nodes", 0, nodes_0),
    Native::heap("erlang", "nodes", 1, nodes_1),
    Native::heap("erlang", "nodes", 2, nodes_2),
    Native::heap("erlang", "monitor_node", 2, monitor_node_2),
    Native::heap("erlang", "monitor_node", 3, monitor_node_3),
    Native::heap(
        "erlang",
        "spawn_request_abandon",
        1,
        spawn_request_abandon_1,
    ),
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
    Native::heap("erlang", "display", 1, display_1),
    Native::heap("erlang", "display_nl", 0, display_nl_0),
    Native::heap("erlang", "display_string", 1, display_string_1),
];

/// Days since 1970-01-01 to (year, month, day) as erl computes them: the
/// proleptic Gregorian calendar, by arithmetic whose divisions truncate
/// toward zero, so that before year 1 erl's dates drift from the calendar
/// by a day in places. Code on LAM expects erl's answer, so this is it.
fn civil(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let before = |y: i64| 365 * y + y / 4 - y / 100 + y / 400;
    let mut y = (10_000 * days + 14_780) / 3_652_425;
    let mut doy = days - before(y);
    if doy < 0 {
        y -= 1;
        doy = days - before(y);
    }
    let mi = (100 * doy + 52) / 3_060;
    (
        y + (mi + 2) / 12,
        (mi + 2) % 12 + 1,
        doy - (mi * 306 + 5) / 10 + 1,
    )
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
    // A start value's halves are reduced even when there is no data.
    let (mut a, mut b) = ((start & 0xffff) % ADLER, (start >> 16) % ADLER);
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
    let (Some(s), Some(d)) = (
        start.as_small().and_then(|s| u32::try_from(s).ok()),
        to_bytes(c, data),
    ) else {
        return badarg();
    };
    // erl hands the checksum nothing at all for a list that holds neither
    // bytes nor binaries, and the start value comes back untouched (the
    // data being valid, the walk stops early only at a binary).
    let no_binary = || {
        crate::vm::natives::bits::walk_chardata(&c.view(), data, |_| Some(()), |_| None).is_some()
    };
    if d.is_empty() && no_binary() {
        return Value(int_word(c, s as i128));
    }
    Value(int_word(c, f(s, &d) as i128))
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
    // Any 64-bit second, as erl takes, in the proleptic Gregorian calendar.
    match integer_of(c, a[0]).and_then(|s| i64::try_from(s).ok()) {
        Some(s) => Value(datetime(c, s)),
        None => badarg(),
    }
}

fn convert_time_unit_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    // Units by name or any positive integer, times of any size.
    let unit = |c: &Ctx, w: Word| match per_second(c, w) {
        Some(p) => Some(num_bigint::BigInt::from(p)),
        None => integer_of(c, w).filter(|p| p.sign() == num_bigint::Sign::Plus),
    };
    match (integer_of(c, a[0]), unit(c, a[1]), unit(c, a[2])) {
        (Some(t), Some(from), Some(to)) => {
            let t = scale(t, &from, &to);
            Value(c.heap.integer(0, &t))
        }
        _ => badarg(),
    }
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

/// MD5's rounds (RFC 1321) over whole 64-byte blocks, written out because
/// `md-5` keeps its block function private and erl's streaming context is
/// that function's state.
fn md5_blocks(state: &mut [u32; 4], blocks: &[u8]) {
    const S: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    for block in blocks.chunks_exact(64) {
        let m: Vec<u32> = block
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = *state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            // The sine table: floor(|sin(i + 1)| * 2^32).
            let k = ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32;
            let rotated = a
                .wrapping_add(f)
                .wrapping_add(k)
                .wrapping_add(m[g])
                .rotate_left(S[(i / 16) * 4 + i % 4]);
            (a, d, c, b) = (d, c, b, b.wrapping_add(rotated));
        }
        for (s, x) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(x);
        }
    }
}

/// erl's MD5 context, 88 bytes: the four state words, the message length
/// in bits as two words, and the partial block (all little-endian, as the
/// BEAM lays out its C struct on this machine).
struct Md5Ctx {
    state: [u32; 4],
    bits: u64,
    buffer: [u8; 64],
}

impl Md5Ctx {
    fn new() -> Md5Ctx {
        Md5Ctx {
            state: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476],
            bits: 0,
            buffer: [0; 64],
        }
    }

    fn read(b: &[u8]) -> Option<Md5Ctx> {
        if b.len() != 88 {
            return None;
        }
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Some(Md5Ctx {
            state: [word(0), word(4), word(8), word(12)],
            bits: word(16) as u64 | (word(20) as u64) << 32,
            buffer: b[24..88].try_into().ok()?,
        })
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.state.iter().flat_map(|w| w.to_le_bytes()).collect();
        out.extend((self.bits as u32).to_le_bytes());
        out.extend(((self.bits >> 32) as u32).to_le_bytes());
        out.extend(self.buffer);
        out
    }

    fn update(&mut self, data: &[u8]) {
        let have = (self.bits / 8 % 64) as usize;
        self.bits = self.bits.wrapping_add((data.len() as u64) << 3);
        let mut pending = self.buffer[..have].to_vec();
        pending.extend_from_slice(data);
        let whole = pending.len() / 64 * 64;
        md5_blocks(&mut self.state, &pending[..whole]);
        self.buffer[..pending.len() - whole].copy_from_slice(&pending[whole..]);
    }

    fn finish(mut self) -> [u8; 16] {
        let bits = self.bits;
        let have = (bits / 8 % 64) as usize;
        let pad = if have < 56 { 56 - have } else { 120 - have };
        let mut tail = vec![0x80];
        tail.resize(pad, 0);
        self.update(&tail);
        self.update(&bits.to_le_bytes());
        let mut out = [0u8; 16];
        for (o, w) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

fn md5_init_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let ctx = Md5Ctx::new().bytes();
    Value(c.heap.bitstring(0, &ctx, 8))
}

fn md5_update_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let ctx = binary_bytes(c, a[0]).and_then(|b| Md5Ctx::read(&b));
    match (ctx, to_bytes(c, a[1])) {
        (Some(mut ctx), Some(d)) => {
            ctx.update(&d);
            let b = ctx.bytes();
            Value(c.heap.bitstring(0, &b, 8))
        }
        _ => badarg(),
    }
}

fn md5_final_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match binary_bytes(c, a[0]).and_then(|b| Md5Ctx::read(&b)) {
        Some(ctx) => {
            let d = ctx.finish();
            Value(c.heap.bitstring(0, &d, 8))
        }
        None => badarg(),
    }
}

fn bump_reductions_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small() {
        Some(n) if n >= 0 => boolean(true),
        _ => badarg(),
    }
}

fn display_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    // Straight to standard output, bypassing the group leader, as on the
    // BEAM, which ends the line with CR LF whatever the output is.
    use std::io::Write;
    let mut text = crate::erlfmt::display(&c.to_term(a[0]));
    text.extend_from_slice(b"\r\n");
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&text);
    let _ = out.flush();
    boolean(true)
}

fn display_nl_0(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    // To standard error, as erl's, with the CR LF it writes there.
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(b"\r\n");
    boolean(true)
}

fn display_string_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match string_of(&c.view(), a[0]) {
        Some(s) => {
            use std::io::Write;
            let mut out = std::io::stderr().lock();
            let _ = write!(out, "{}", s.replace('\n', "\r\n"));
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

#[cfg(test)]
mod md5_tests {
    use super::Md5Ctx;
    use md5::Digest;

    #[test]
    fn streaming_context_gives_the_digest() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for cut in [0, 1, 55, 56, 63, 64, 65, 500, 1000] {
            let mut ctx = Md5Ctx::new();
            ctx.update(&data[..cut]);
            let mut ctx = Md5Ctx::read(&ctx.bytes()).expect("88 bytes");
            ctx.update(&data[cut..]);
            assert_eq!(
                ctx.finish()[..],
                md5::Md5::digest(&data)[..],
                "cut at {cut}"
            );
        }
    }
}

// Dynamic trace tags, as an emulator built without dynamic tracing (erl's
// usual build) answers: there is never a tag, and spreading one is a no-op
// that OTP's `file` and `file_io_server` call around each request.

fn dt_spread_tag_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[0] == Word::atom(atom::TRUE) || a[0] == Word::atom(atom::FALSE) {
        boolean(true)
    } else {
        badarg()
    }
}

/// Takes back what `dt_spread_tag/1` returned, which is always `true`.
fn dt_restore_tag_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[0] == Word::atom(atom::TRUE) {
        boolean(true)
    } else {
        badarg()
    }
}

fn dt_undefined(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::atom(atom::UNDEFINED))
}

fn dt_same(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    Value(a[0])
}

/// The kinds of node `nodes/1` takes, and whether this node is among them:
/// a node without distribution is `this` and `known` to itself and connected
/// to nothing. `None` for an argument erl refuses.
fn node_kinds(c: &Ctx, arg: Word) -> Option<bool> {
    let kind = |w: Word| match c.atoms.name(w.as_atom()?).as_ref() {
        "this" | "known" => Some(true),
        "visible" | "hidden" | "connected" => Some(false),
        _ => None,
    };
    if arg.as_atom().is_some() {
        return kind(arg);
    }
    let items = list_items(&c.view(), arg)?;
    items
        .into_iter()
        .try_fold(false, |any, w| Some(kind(w)? || any))
}

/// `nodes()`: the visible nodes, none.
fn nodes_0(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::NIL)
}

/// `nodes(Arg)`: `[]`, or `[nonode@nohost]` when `this` or `known` is asked.
fn nodes_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match node_kinds(c, a[0]) {
        Some(true) => Value(c.heap.cons(0, Word::atom(atom::NONODE), Word::NIL)),
        Some(false) => Value(Word::NIL),
        None => badarg(),
    }
}

/// `nodes(Arg, InfoOpts)`: as `nodes/1`, each node with the information
/// asked for (`connection_id`: none without a connection; `node_type`:
/// `this`).
fn nodes_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let Some(opts) = v.map_pairs(a[1]) else {
        return badarg();
    };
    let mut keys = Vec::new();
    let mut vals = Vec::new();
    for (k, w) in opts {
        let on = match w.as_atom() {
            Some(atom::TRUE) => true,
            Some(atom::FALSE) => false,
            _ => return badarg(),
        };
        let value = match k.as_atom().map(|k| c.atoms.name(k)).as_deref() {
            Some("connection_id") => atom::UNDEFINED,
            Some("node_type") => c.atoms.intern("this"),
            _ => return badarg(),
        };
        if on {
            keys.push(k);
            vals.push(Word::atom(value));
        }
    }
    match node_kinds(c, a[0]) {
        Some(true) => {
            let info = c.heap.map(0, &keys, &vals);
            let entry = c.heap.tuple(0, &[Word::atom(atom::NONODE), info]);
            Value(c.heap.cons(0, entry, Word::NIL))
        }
        Some(false) => Value(Word::NIL),
        None => badarg(),
    }
}

/// `monitor_node(Node, Flag)`: this node is always up (no message ever
/// comes); any other needs distribution, which is not started: `notalive`.
fn monitor_node_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    monitor_node(c, a[0], a[1])
}

fn monitor_node(c: &mut Ctx, node: Word, flag: Word) -> NativeResult {
    if node.as_atom().is_none() {
        return badarg();
    }
    if node != Word::atom(atom::NONODE) {
        let notalive = Word::atom(c.atoms.intern("notalive"));
        return NativeResult::Error(crate::vm::term::exception::Exception::error(notalive));
    }
    match flag.as_atom() {
        Some(atom::TRUE | atom::FALSE) => Value(Word::atom(atom::TRUE)),
        _ => badarg(),
    }
}

/// `monitor_node(Node, Flag, Options)`: the one option is
/// `allow_passive_connect`.
fn monitor_node_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let ok = list_items(&v, a[2]).is_some_and(|opts| {
        opts.iter().all(|o| {
            o.as_atom()
                .is_some_and(|o| &*c.atoms.name(o) == "allow_passive_connect")
        })
    });
    if !ok {
        return crate::vm::natives::helpers::badarg_info(c, "erl_erts_errors", Some("badopt"));
    }
    monitor_node(c, a[0], a[1])
}

/// `spawn_request_abandon(ReqId)`: LAM answers a spawn request at once, so
/// none is ever pending to abandon.
fn spawn_request_abandon_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if crate::vm::ops::test::test(
        &c.view(),
        c.atoms,
        crate::vm::ops::test::TestOp::IsReference,
        &[a[0]],
    ) {
        Value(Word::atom(atom::FALSE))
    } else {
        badarg()
    }
}
