//! Binary syntax at run time: the `lam:bs_*` natives the translator emits
//! for binary construction and matching (contract in `docs/natives.md`),
//! and the binary BIFs.
//!
//! Matching natives advance a match context's position in place (layout in
//! `term::bits`), as the BEAM's do. The saved positions (pre-OTP 22 `bs_save2`) are `[]`
//! until the first save, then a tuple only the context refers to: element 0
//! is the `start` slot, element `i + 1` slot `i`, `[]` where none was saved.

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use crate::vm::native::{BYTES_PER_REDUCTION, Ctx, NativeResult, badarg};
use crate::vm::natives::helpers::int_word;
use crate::vm::term::atoms::atom;
use crate::vm::term::bits::{
    Bits, LITTLE, Match, SIGNED, bit_at, bitstring, ctx_on, extract, read_small, read_uint,
    resolve_native, set_pos,
};
use crate::vm::term::compare::{Num, big_to_f64, number};
use crate::vm::term::heap::{Area, HEAP_BINARY_MAX, View, sub_binary};
use crate::vm::term::word::{Word, kind};

use NativeResult::Value;

/// Where `bs_save`/`bs_restore` keep slot `w` in a context's saved
/// positions: the atom `start` is 0 (and so is -1, taken as another name
/// for it), slot `i` is `i + 1`. Slots past `MAX_SAVE_SLOTS` are refused
/// (badarg): the compiler numbers a context's slots from 0 and uses a
/// handful, and `bs_save` grows the saves tuple to the slot it is given,
/// so a module written by hand asked for a tuple of 10^12 elements.
pub(crate) fn save_slot(c: &Ctx, w: Word) -> Option<usize> {
    if let Some(a) = w.as_atom() {
        return (&*c.atoms.name(a) == "start").then_some(0);
    }
    match w.as_small()? {
        -1 => Some(0),
        i if (0..MAX_SAVE_SLOTS as i64).contains(&i) => Some(i as usize + 1),
        _ => None,
    }
}

/// The most save slots a match context can have (`save_slot`).
const MAX_SAVE_SLOTS: usize = 65_536;

pub(crate) fn ctx(c: &Ctx, w: Word) -> Option<Match> {
    ctx_on(c.heap, w)
}

/// The bits of a match context's binary.
pub(crate) fn ctx_bits<'a>(c: &'a Ctx, m: &Match) -> (&'a [u8], usize) {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    bitstring(&v, m.bin).expect("a match context holds a bitstring")
}

/// Succeeds when exactly `bits` bits remain to be matched.
pub(crate) fn remaining_is(c: &Ctx, ctx_word: Word, bits: Word) -> NativeResult {
    let Some(m) = ctx(c, ctx_word) else {
        return badarg();
    };
    let len = m.len;
    if Some((len - m.pos) as i64) == bits.as_small() {
        Value(Word::atom(atom::OK))
    } else {
        badarg()
    }
}

fn size_bits(size: Word, unit: Word, remaining: usize) -> Option<usize> {
    let unit = unit.as_small()? as usize;
    if size == Word::atom(atom::ALL) {
        return (unit == 0 || remaining.is_multiple_of(unit.max(1))).then_some(remaining);
    }
    let s = size.as_small().filter(|s| *s >= 0)? as usize;
    s.checked_mul(unit)
}

fn new_bitstring(c: &mut Ctx, bytes: &[u8], len: usize) -> Word {
    let last = if len.is_multiple_of(8) {
        8
    } else {
        (len % 8) as u8
    };
    c.heap.bitstring(0, bytes, last)
}

/// The `len` bits from bit `start` of the bitstring `bin` (`bin_len` bits
/// long), as a new bitstring. A large slice of an off-heap binary that
/// starts on a byte and ends on one (or where `bin` ends, whose last byte is
/// padded already) is a sub-binary referring to the same bytes, as on the
/// BEAM, so that a loop returning the tail at each step does not copy the
/// rest at each step. Anything else is a copy: a small slice (at most 64
/// bytes, as the BEAM copies small results), a slice of a heap or writable
/// binary, or one starting inside a byte (a sub-binary has no bit offset).
pub(crate) fn slice(c: &mut Ctx, bin: Word, bin_len: usize, start: usize, len: usize) -> Word {
    let aligned = start.is_multiple_of(8) && (len.is_multiple_of(8) || start + len == bin_len);
    if aligned && len.div_ceil(8) > HEAP_BINARY_MAX {
        let last = if len.is_multiple_of(8) {
            8
        } else {
            (len % 8) as u8
        };
        if let Some(w) = sub_binary(c.heap, c.literals, bin, start / 8, len.div_ceil(8), last) {
            return w;
        }
    }
    let (bytes, _) = c.view().bits(bin).expect("a bitstring");
    if start.is_multiple_of(8) && len.div_ceil(8) <= HEAP_BINARY_MAX {
        // A small slice on a byte (a key cut out of a larger binary, as
        // counting substrings does at every step): through a buffer on the
        // stack rather than a `Vec` of its own.
        let n = len.div_ceil(8);
        let mut buf = [0u8; HEAP_BINARY_MAX];
        buf[..n].copy_from_slice(&bytes[start / 8..start / 8 + n]);
        if !len.is_multiple_of(8) {
            buf[n - 1] &= 0xffu8 << (8 - len % 8);
        }
        return new_bitstring(c, &buf[..n], len);
    }
    let sub = extract(bytes, start, len);
    new_bitstring(c, &sub, len)
}

/// What remains of a match context's bitstring, from its position.
pub(crate) fn rest(c: &mut Ctx, m: &Match) -> Word {
    if m.pos == 0 {
        return m.bin;
    }
    slice(c, m.bin, m.len, m.pos, m.len - m.pos)
}

pub(crate) fn get(c: &mut Ctx, a: &[Word], what: &str) -> NativeResult {
    let Some(m) = ctx(c, a[0]) else {
        return badarg();
    };
    let (bytes, len) = ctx_bits(c, &m);
    let remaining = len - m.pos;
    let Some(bits) = size_bits(a[1], a[2], remaining) else {
        return badarg();
    };
    if bits > remaining {
        return badarg();
    }
    let f = field_flags(a[3]);
    let result = match what {
        "integer" => match read_small(bytes, m.pos, bits, f & LITTLE != 0, f & SIGNED != 0) {
            Some(v) => int_word(c, v),
            None => {
                let v = read_uint(bytes, m.pos, bits, f & LITTLE != 0, f & SIGNED != 0);
                c.heap.integer(0, &v)
            }
        },
        "float" => {
            let v = read_uint(bytes, m.pos, bits, f & LITTLE != 0, false)
                .to_u64()
                .unwrap_or(0);
            let x = match bits {
                64 => f64::from_bits(v),
                32 => f32::from_bits(v as u32) as f64,
                16 => half_to_f64(v as u16),
                _ => return badarg(),
            };
            if !x.is_finite() {
                return badarg();
            }
            c.heap.float(0, x)
        }
        "skip" => Word::atom(atom::OK),
        _ => slice(c, m.bin, len, m.pos, bits),
    };
    set_pos(c.heap, &m, m.pos + bits);
    Value(result)
}

fn half_to_f64(h: u16) -> f64 {
    let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

pub(crate) fn utf(c: &mut Ctx, a: &[Word], size: u8, skip: bool) -> NativeResult {
    let Some(m) = ctx(c, a[0]) else {
        return badarg();
    };
    let (bytes, len) = ctx_bits(c, &m);
    let little = field_flags(a[1]) & LITTLE != 0;
    let avail = |n: usize| m.pos + n <= len;
    let byte = |i: usize| {
        read_uint(bytes, m.pos + i * 8, 8, false, false)
            .to_u32()
            .unwrap_or(0)
    };
    let (cp, used) = match size {
        8 => {
            if !avail(8) {
                return badarg();
            }
            let b0 = byte(0);
            let n = match b0 {
                0..=0x7f => 1,
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => return badarg(),
            };
            if !avail(n * 8) {
                return badarg();
            }
            let raw: Vec<u8> = (0..n).map(|i| byte(i) as u8).collect();
            match std::str::from_utf8(&raw)
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(ch) => (ch as u32, n * 8),
                None => return badarg(),
            }
        }
        16 => {
            if !avail(16) {
                return badarg();
            }
            let w1 = read_uint(bytes, m.pos, 16, little, false)
                .to_u32()
                .unwrap_or(0);
            if (0xd800..0xdc00).contains(&w1) {
                if !avail(32) {
                    return badarg();
                }
                let w2 = read_uint(bytes, m.pos + 16, 16, little, false)
                    .to_u32()
                    .unwrap_or(0);
                if !(0xdc00..0xe000).contains(&w2) {
                    return badarg();
                }
                (0x10000 + ((w1 - 0xd800) << 10) + (w2 - 0xdc00), 32)
            } else if (0xdc00..0xe000).contains(&w1) {
                return badarg();
            } else {
                (w1, 16)
            }
        }
        _ => {
            if !avail(32) {
                return badarg();
            }
            let v = read_uint(bytes, m.pos, 32, little, false)
                .to_u32()
                .unwrap_or(u32::MAX);
            if char::from_u32(v).is_none() {
                return badarg();
            }
            (v, 32)
        }
    };
    set_pos(c.heap, &m, m.pos + used);
    Value(if skip {
        Word::atom(atom::OK)
    } else {
        Word::small(cp as i64).expect("code point")
    })
}

fn encode_utf(cp: u32, size: u8, little: bool, out: &mut Bits) -> bool {
    let Some(ch) = char::from_u32(cp) else {
        return false;
    };
    match size {
        8 => {
            let mut b = [0u8; 4];
            let s = ch.encode_utf8(&mut b);
            out.push_bits(s.as_bytes(), 0, s.len() * 8);
        }
        16 => {
            let mut b = [0u16; 2];
            for u in ch.encode_utf16(&mut b) {
                out.push_u64(*u as u64, 16, little);
            }
        }
        _ => out.push_u64(cp as u64, 32, little),
    }
    true
}

/// `x` as an IEEE half-precision float, rounded to nearest, ties to even;
/// too large a value is an infinity, as erl writes it.
fn half_bits(x: f64) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 48) & 0x8000) as u16;
    let a = x.abs();
    if a.is_nan() {
        return sign | 0x7e00;
    }
    if a >= 65520.0 {
        return sign | 0x7c00;
    }
    if a < 2f64.powi(-14) {
        // Subnormal: a multiple of 2^-24 (exact scaling; 1024 is the
        // smallest normal, which the same bits encode).
        return sign | (a * 2f64.powi(24)).round_ties_even() as u16;
    }
    let e = ((b >> 52) & 0x7ff) as i64 - 1023;
    let frac = b & ((1 << 52) - 1);
    let (mut m, rest, half) = (frac >> 42, frac & ((1 << 42) - 1), 1u64 << 41);
    if rest > half || (rest == half && m & 1 == 1) {
        m += 1;
    }
    // A carry out of the fraction moves up the exponent, as it should.
    sign | ((((e + 15) as u64) << 10) + m) as u16
}

/// Segment flag of `bs_create_bin`: the size is the literal `all`.
const SIZE_ALL: i64 = 1 << 8;

fn flag_list(c: &Ctx, w: Word) -> i64 {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    let mut f = 0;
    let mut cur = w;
    while cur.is_list() {
        let (h, t) = v.cons(cur);
        if let Some(a) = h.as_atom() {
            match a {
                atom::LITTLE => f |= LITTLE,
                atom::SIGNED => f |= SIGNED,
                atom::NATIVE => f |= LITTLE * i64::from(cfg!(target_endian = "little")),
                atom::ALL => f |= SIZE_ALL,
                _ => {}
            }
        }
        cur = t;
    }
    f
}

/// `lam:bs_create_bin(Unit, Type, Index, SegUnit, Flags, Src, Size, ...)`.
pub(crate) fn create_bin(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if let Some(w) = append_in_place(c, a) {
        return Value(w);
    }
    if let Some(w) = create_small(c, &a[1..]) {
        return Value(w);
    }
    with_scratch(|out| {
        if let Err((index, ty, error, value)) = build_segments(c, &a[1..], out) {
            if out.too_large {
                return crate::vm::native::error(Word::atom(atom::SYSTEM_LIMIT));
            }
            return bs_fail(c, index, ty, error, value);
        }
        // A large build costs its size, so that a loop of them ends its
        // slice (and a run's deadline or reduction budget stops it).
        c.charge(out.bytes.len(), BYTES_PER_REDUCTION);
        Value(new_bitstring(c, &out.bytes, out.len))
    })
}

/// The common small build, `<<X:8, Y:32/little, Bin/binary, "abc">>`:
/// whole-byte integers of at most 64 bits, whole binaries and strings, with a total that fits
/// a heap binary, straight onto the heap from a buffer on the stack.
/// Anything else (another type, a bit-sized field, a bignum, a bad
/// segment, a larger result) is `None`, before any effect, for the general
/// path to build or to report.
fn create_small(c: &mut Ctx, segs: &[Word]) -> Option<Word> {
    let mut buf = [0u8; HEAP_BINARY_MAX];
    let mut n = 0;
    for seg in segs.chunks(6) {
        let [ty, _, unit, fl, src, size] = seg else {
            return None;
        };
        let f = if *fl == Word::NIL {
            0
        } else {
            flag_list(c, *fl)
        };
        match ty.as_atom()? {
            atom::INTEGER => {
                let unit = unit.as_small()?.max(1);
                let bits = size.as_small().filter(|s| (0..=64).contains(s))? * unit;
                let i = src.as_small()?;
                if bits > 64 || bits % 8 != 0 {
                    return None;
                }
                let k = bits as usize / 8;
                let dst = buf.get_mut(n..n + k)?;
                // The low `k` bytes of `i`, two's complement, in the order
                // the segment asks for.
                if f & LITTLE != 0 {
                    dst.copy_from_slice(&i.to_le_bytes()[..k]);
                } else {
                    dst.copy_from_slice(&i.to_be_bytes()[8 - k..]);
                }
                n += k;
            }
            atom::BINARY if *size == Word::atom(atom::ALL) && f & SIZE_ALL != 0 => {
                let v = View {
                    heap: c.heap,
                    literals: c.literals,
                };
                let (bytes, len) = bitstring(&v, *src)?;
                let unit = unit.as_small()?.max(1) as usize;
                if len % 8 != 0 || len % unit != 0 {
                    return None;
                }
                buf.get_mut(n..n + bytes.len())?.copy_from_slice(bytes);
                n += bytes.len();
            }
            atom::STRING => {
                let v = View {
                    heap: c.heap,
                    literals: c.literals,
                };
                let (bytes, len) = bitstring(&v, *src)?;
                let k = size.as_small().filter(|k| *k >= 0)? as usize;
                if k * 8 > len {
                    return None;
                }
                buf.get_mut(n..n + k)?.copy_from_slice(&bytes[..k]);
                n += k;
            }
            _ => return None,
        }
    }
    Some(c.heap.bitstring(0, &buf[..n], 8))
}

thread_local! {
    /// The bytes `bs_create_bin` builds before they are copied onto the
    /// heap: one buffer per scheduler thread, reused, because a `Vec` of
    /// each binary's own (grown a segment at a time, then freed) was a
    /// third of the cost of building a small one.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A buffer this large is let go after use rather than kept, so that one
/// huge binary does not hold its memory for the thread's life.
const SCRATCH_KEEP: usize = 64 * 1024;

/// Runs `f` on an empty [`Bits`] whose bytes are the thread's scratch
/// buffer. Taken out of its cell for the call, so a nested use (none
/// today) would just start a buffer of its own.
fn with_scratch<R>(f: impl FnOnce(&mut Bits) -> R) -> R {
    let mut out = Bits {
        bytes: SCRATCH.take(),
        len: 0,
        too_large: false,
    };
    let r = f(&mut out);
    if out.bytes.capacity() <= SCRATCH_KEEP {
        out.bytes.clear();
        SCRATCH.set(out.bytes);
    }
    r
}

/// badarg as the BEAM raises it for a segment it cannot build: no frame
/// of its own, the caller's frame carrying `error_info` with the cause
/// `{Segment, Type, Error, Value}` that `erl_erts_errors:format_bs_fail`
/// explains ("segment 2 of type 'binary': expected a binary but got: a").
fn bs_fail(c: &mut Ctx, index: Word, ty: Word, error: &str, value: Word) -> NativeResult {
    let error = Word::atom(c.atoms.intern(error));
    let cause = c.heap.tuple(0, &[index, ty, error, value]);
    let keys = [
        Word::atom(c.atoms.intern("cause")),
        Word::atom(c.atoms.intern("function")),
        Word::atom(c.atoms.intern("module")),
    ];
    let values = [
        cause,
        Word::atom(c.atoms.intern("format_bs_fail")),
        Word::atom(c.atoms.intern("erl_erts_errors")),
    ];
    let map = c.heap.map(0, &keys, &values);
    NativeResult::Error(crate::vm::term::exception::Exception {
        class: atom::ERROR,
        reason: Word::atom(atom::BADARG),
        trace: map,
    })
}

/// Why a segment cannot be built: the BEAM's error atom (`type`, `size`,
/// `short`, `unit`, `invalid`) and the value it is about.
type SegFail = (&'static str, Word);

/// Appends the segments `[Type, Index, SegUnit, Flags, Src, Size]*` to
/// `out`; on a segment that cannot be built, its index and type and why.
fn build_segments(
    c: &Ctx,
    segs: &[Word],
    out: &mut Bits,
) -> Result<(), (Word, Word, &'static str, Word)> {
    for seg in segs.chunks(6) {
        let [ty_word, index, unit, fl, src, size] = seg else {
            return Err((Word::NIL, Word::NIL, "type", Word::NIL));
        };
        let Some(ty) = ty_word.as_atom() else {
            return Err((*index, *ty_word, "type", *src));
        };
        let unit = unit.as_small().unwrap_or(1).max(1) as usize;
        if let Err((error, value)) = build_segment(c, ty, unit, flag_list(c, *fl), *src, *size, out)
        {
            // The BEAM names an `append` segment `binary` too.
            let shown = match ty {
                atom::APPEND | atom::PRIVATE_APPEND => Word::atom(atom::BINARY),
                _ => *ty_word,
            };
            return Err((*index, shown, error, value));
        }
    }
    Ok(())
}

/// Appends one segment: `ty` an atom (`integer`, `binary`, `utf8`, ...),
/// `f` the flags as bits (`LITTLE`, `SIGNED`).
fn build_segment(
    c: &Ctx,
    ty: u32,
    unit: usize,
    f: i64,
    src: Word,
    size: Word,
    out: &mut Bits,
) -> Result<(), SegFail> {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    let (src, size) = (&src, &size);
    match ty {
        atom::INTEGER => {
            // A size that is no small integer (2^59 bits and up), or that
            // times its unit overflows, is erl's system_limit; so is one
            // whose bytes cannot be had.
            let bits = match size.as_small() {
                Some(s) if s >= 0 => (s as usize).checked_mul(unit),
                _ if matches!(number(&v, *size), Some(Num::Big(b)) if b.sign() == num_bigint::Sign::Plus) => {
                    None
                }
                _ => return Err(("size", *size)),
            };
            let Some(bits) = bits.filter(|b| out.bytes.try_reserve(b.div_ceil(8)).is_ok()) else {
                out.too_large = true;
                return Err(("size", *size));
            };
            match number(&v, *src) {
                Some(Num::Small(i)) if bits <= 64 => out.push_u64(i as u64, bits, f & LITTLE != 0),
                Some(Num::Small(i)) if f & LITTLE == 0 => {
                    out.push_fill(i < 0, bits - 64);
                    out.push_u64(i as u64, 64, false);
                }
                Some(Num::Small(i)) => out.push_uint(&BigInt::from(i), bits, f & LITTLE != 0),
                Some(Num::Big(b)) => out.push_uint(&b, bits, f & LITTLE != 0),
                _ => return Err(("type", *src)),
            }
        }
        atom::FLOAT => {
            // A number that is no finite double is badarg; one too large
            // for a narrower float is its infinity, as on erl.
            let Some(x) = number(&v, *src)
                .and_then(|n| match n {
                    Num::Float(x) => Some(x),
                    Num::Small(i) => Some(i as f64),
                    Num::Big(b) => big_to_f64(&b),
                })
                .filter(|x| x.is_finite())
            else {
                return Err(("type", *src));
            };
            let Some(bits) = size.as_small().map(|s| s as usize * unit) else {
                return Err(("size", *size));
            };
            let raw: u64 = match bits {
                64 => x.to_bits(),
                32 => (x as f32).to_bits() as u64,
                16 => half_bits(x).into(),
                _ => return Err(("invalid", *size)),
            };
            out.push_u64(raw, bits, f & LITTLE != 0);
        }
        atom::BINARY | atom::APPEND | atom::PRIVATE_APPEND | atom::STRING => {
            let Some((bytes, len)) = bitstring(&v, *src) else {
                return Err(("type", *src));
            };
            if ty == atom::BINARY && *size == Word::atom(atom::ALL) && f & SIZE_ALL == 0 {
                return Err(("size", *size));
            }
            let bits = if *size == Word::atom(atom::ALL)
                || ty == atom::APPEND
                || ty == atom::PRIVATE_APPEND
            {
                len
            } else if ty == atom::STRING {
                size.as_small().unwrap_or(0) as usize * 8
            } else {
                match size.as_small() {
                    Some(s) if s >= 0 => s as usize * unit,
                    _ => return Err(("size", *size)),
                }
            };
            let whole = *size == Word::atom(atom::ALL) || ty != atom::BINARY && ty != atom::STRING;
            if whole && ty != atom::STRING && len % unit != 0 {
                return Err(("unit", *src));
            }
            if bits > len {
                return Err(("short", *src));
            }
            out.push_bits(bytes, 0, bits);
        }
        atom::UTF8 | atom::UTF16 | atom::UTF32 => {
            let width = match ty {
                atom::UTF8 => 8,
                atom::UTF16 => 16,
                _ => 32,
            };
            let Some(cp) = src.as_small().filter(|c| *c >= 0) else {
                return Err(("type", *src));
            };
            if !encode_utf(cp as u32, width, f & LITTLE != 0, out) {
                return Err(("type", *src));
            }
        }
        _ => return Err(("type", *src)),
    }
    Ok(())
}

/// Walks chardata or iodata (nested lists of integers and binaries) in
/// order, calling `int` for each integer and `bin` for each binary; stops
/// with `None` when either refuses or something else turns up.
pub fn walk_chardata(
    v: &View,
    w: Word,
    mut int: impl FnMut(i64) -> Option<()>,
    mut bin: impl FnMut(&[u8]) -> Option<()>,
) -> Option<()> {
    // An integer is data only as a list element: the whole term and every
    // tail must be a list, `[]` or a binary (`[1 | 2]` and `7` are not).
    let mut stack = vec![(w, false)];
    while let Some((w, element)) = stack.pop() {
        if let Some(i) = w.as_small() {
            if !element {
                return None;
            }
            int(i)?;
        } else if w == Word::NIL {
        } else if w.is_list() {
            let (h, t) = v.cons(w);
            stack.push((t, false));
            stack.push((h, true));
        } else {
            match v.bits(w) {
                Some((bytes, 8)) => bin(bytes)?,
                Some(([], _)) => {}
                _ => return None,
            }
        }
    }
    Some(())
}

/// The bytes of iodata.
/// `<<Acc/binary, ...>>` where Acc is the latest view of a writable binary
/// of this process and everything stays byte-aligned: the new segments are
/// built apart and pushed onto Acc's buffer, which grows in place (amortised
/// O(1) per append, as on the BEAM). Other appends make Acc writable first.
fn append_in_place(c: &mut Ctx, a: &[Word]) -> Option<Word> {
    let first = a.get(1..7)?;
    if !matches!(first[0].as_atom()?, atom::APPEND | atom::PRIVATE_APPEND) {
        return None;
    }
    let acc = first[4];
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    let (_, acc_len) = bitstring(&v, acc)?;
    if acc_len % 8 != 0 {
        return None;
    }
    let latest = (acc.is_boxed()
        && acc.ptr().area == 0
        && v.header(acc).header_kind() == kind::WRITABLE_BIN)
        .then(|| v.at(acc.ptr(), 1).0 as usize)
        .filter(|idx| c.heap.writable[*idx].len() == acc_len / 8);
    // The common case: the new segments go straight onto Acc's buffer,
    // unless one of them reads that same buffer.
    let reads_acc = |idx: usize| {
        a[7..].chunks(6).any(|s| {
            s.get(4).is_some_and(|w| {
                w.is_boxed()
                    && w.ptr().area == 0
                    && v.header(*w).header_kind() == kind::WRITABLE_BIN
                    && v.at(w.ptr(), 1).0 as usize == idx
            })
        })
    };
    if let Some(idx) = latest.filter(|i| !reads_acc(*i)) {
        let buf = std::mem::take(&mut c.heap.writable[idx]);
        let mut out = Bits {
            bytes: buf,
            len: acc_len,
            too_large: false,
        };
        let ok = build_segments(c, &a[7..], &mut out).is_ok() && out.len.is_multiple_of(8);
        if !ok {
            out.bytes.truncate(acc_len / 8);
        }
        let size = out.bytes.len();
        c.charge(size - acc_len / 8, BYTES_PER_REDUCTION);
        c.heap.writable[idx] = out.bytes;
        return ok.then(|| c.heap.writable_view(idx, size));
    }
    // The rest, built apart.
    with_scratch(|rest| {
        if build_segments(c, &a[7..], rest).is_err() || rest.len % 8 != 0 {
            return None;
        }
        let copied = rest.bytes.len() + if latest.is_some() { 0 } else { acc_len / 8 };
        c.charge(copied, BYTES_PER_REDUCTION);
        let v = View {
            heap: c.heap,
            literals: c.literals,
        };
        Some(match latest {
            Some(idx) => {
                c.heap.writable[idx].extend_from_slice(&rest.bytes);
                let size = c.heap.writable[idx].len();
                c.heap.writable_view(idx, size)
            }
            None => {
                let mut bytes = bitstring(&v, acc)?.0.to_vec();
                bytes.extend_from_slice(&rest.bytes);
                c.heap.writable(&bytes)
            }
        })
    })
}

/// The bytes of iodata (a binary, or a deep list of bytes and binaries).
pub(crate) fn iodata_bytes(v: &View, w: Word) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    chars_of(v, w, &mut out).then_some(out)
}

/// As [`iodata_bytes`], the buffer grown by `memory` (the budget and
/// `try_reserve`, where the vector's own growth aborts when refused):
/// `Err` with the bytes refused. One walk: a 1 TiB iolist cheap to build
/// (a million references to one MiB) is refused at the growth that passes
/// the limit, with nothing walked twice.
pub(crate) fn iodata_bytes_within(
    v: &View,
    w: Word,
    memory: &crate::vm::term::memory::Memory,
) -> Result<Option<Vec<u8>>, usize> {
    let out = std::cell::RefCell::new(Vec::new());
    let refused = std::cell::Cell::new(None);
    let room = |out: &mut Vec<u8>, n: usize| match memory.grow(out, n) {
        Ok(_) => Some(()),
        Err(b) => {
            refused.set(Some(b));
            None
        }
    };
    let ok = walk_chardata(
        v,
        w,
        |i| {
            let b = u8::try_from(i).ok()?;
            let mut out = out.borrow_mut();
            if out.len() == out.capacity() {
                room(&mut out, 1)?;
            }
            out.push(b);
            Some(())
        },
        |b| {
            let mut out = out.borrow_mut();
            room(&mut out, b.len())?;
            out.extend_from_slice(b);
            Some(())
        },
    )
    .is_some();
    match refused.get() {
        Some(b) => Err(b),
        None => Ok(ok.then(|| out.into_inner())),
    }
}

fn chars_of(v: &View, w: Word, out: &mut Vec<u8>) -> bool {
    let out = std::cell::RefCell::new(out);
    walk_chardata(
        v,
        w,
        |i| {
            out.borrow_mut().push(u8::try_from(i).ok()?);
            Some(())
        },
        |b| {
            out.borrow_mut().extend_from_slice(b);
            Some(())
        },
    )
    .is_some()
}

/// The bytes of iodata (nested lists of bytes and binaries).
pub(crate) fn to_bytes(c: &Ctx, w: Word) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    chars_of(&c.view(), w, &mut out).then_some(out)
}

/// The bytes of a binary (whole bytes; bitstrings are refused).
pub(crate) fn binary_bytes(c: &Ctx, w: Word) -> Option<Vec<u8>> {
    match c.view().bits(w) {
        Some((b, 8)) => Some(b.to_vec()),
        Some(([], _)) => Some(vec![]),
        _ => None,
    }
}

/// A new binary of `bytes`.
pub(crate) fn binary_word(c: &mut Ctx, bytes: &[u8]) -> Word {
    c.heap.bitstring(0, bytes, 8)
}

// ------------------------------------------------ old-style construction

/// The bytes of a bitstring object of this process's heap, for filling in
/// while it is built (nothing else can see it yet).
fn bytes_mut(heap: &mut Area, w: Word) -> Option<&mut [u8]> {
    if !w.is_boxed() || w.ptr().area != 0 {
        return None;
    }
    let off = w.ptr().offset;
    let h = Word(heap.words[off]);
    let n = h.header_arity();
    match h.header_kind() {
        kind::HEAP_BIN => {
            let words = &mut heap.words[off + 1..off + 1 + n.div_ceil(8)];
            Some(&mut bytemuck::cast_slice_mut::<u64, u8>(words)[..n])
        }
        kind::REFC_BIN => {
            let (idx, start) = (heap.words[off + 1] as usize, heap.words[off + 2] as usize);
            std::sync::Arc::get_mut(&mut heap.offheap[idx]).map(|b| &mut b[start..start + n])
        }
        _ => None,
    }
}

/// A flags operand of the BEAM's instructions as little and signed.
pub(crate) fn field_flags(w: Word) -> i64 {
    resolve_native(w.as_small().unwrap_or(0)) & (LITTLE | SIGNED)
}

/// A zero-filled bitstring of `bits` bits, to be filled in by `bs_put_*`.
pub(crate) fn start_building(
    c: &mut Ctx,
    bits: usize,
    prefix: Option<(&[u8], usize)>,
) -> NativeResult {
    let mut bytes = vec![0u8; bits.div_ceil(8)];
    let at = match prefix {
        Some((src, len)) => {
            let mut b = Bits::default();
            b.push_bits(src, 0, len);
            bytes[..b.bytes.len()].copy_from_slice(&b.bytes);
            len
        }
        None => 0,
    };
    let w = new_bitstring(c, &bytes, bits);
    *c.building = Some((w, at));
    Value(w)
}

/// `bs_put_*`: one segment onto the binary being built.
pub(crate) fn put(
    c: &mut Ctx,
    ty: u32,
    unit: usize,
    flags: i64,
    src: Word,
    size: Word,
) -> NativeResult {
    let mut seg = Bits::default();
    // The old instructions' sizes are taken as given: `all` included.
    if build_segment(c, ty, unit, flags | SIZE_ALL, src, size, &mut seg).is_err() {
        return badarg();
    }
    let Some((w, at)) = *c.building else {
        return badarg();
    };
    let Some(dst) = bytes_mut(c.heap, w) else {
        return badarg();
    };
    if at + seg.len > dst.len() * 8 {
        return badarg();
    }
    if at.is_multiple_of(8) && seg.len.is_multiple_of(8) {
        dst[at / 8..(at + seg.len) / 8].copy_from_slice(&seg.bytes[..seg.len / 8]);
    } else {
        for i in 0..seg.len {
            let (p, b) = (at + i, bit_at(&seg.bytes, i));
            dst[p / 8] = (dst[p / 8] & !(0x80 >> (p % 8))) | (b << (7 - p % 8));
        }
    }
    *c.building = Some((w, at + seg.len));
    Value(Word::atom(atom::OK))
}

/// A `{Start, Length}` part of `len` bytes as a range (a negative length
/// counts back from Start), if it lies inside.
pub(crate) fn part_range(start: i64, length: i64, len: usize) -> Option<(usize, usize)> {
    let (s, e) = if length >= 0 {
        (start, start.checked_add(length)?)
    } else {
        (start.checked_add(length)?, start)
    };
    (s >= 0 && e as usize <= len && s <= e).then_some((s as usize, e as usize))
}

/// `binary:part/2,3` and `erlang:binary_part/3`.
/// A large part of an off-heap binary refers to its bytes (`bits::slice`).
/// Of a bitstring, a part within its whole bytes, as on erl.
pub(crate) fn part(c: &mut Ctx, bin: Word, start: Word, length: Word) -> NativeResult {
    let Some((_, bits)) = bitstring(&c.view(), bin) else {
        return badarg();
    };
    match (start.as_small(), length.as_small()) {
        (Some(s), Some(l)) => match part_range(s, l, bits / 8) {
            Some((s, e)) => Value(slice(c, bin, bits, s * 8, (e - s) * 8)),
            None => badarg(),
        },
        _ => badarg(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_in_every_layout() {
        for (v, bits) in [
            (5i64, 3usize),
            (-2, 8),
            (0x1234, 16),
            (0x1234, 13),
            (-1, 70),
            (300, 12),
        ] {
            for little in [false, true] {
                let mut b = Bits::default();
                b.push_uint(&BigInt::from(v), bits, little);
                assert_eq!(b.len, bits);
                let got = read_uint(&b.bytes, 0, bits, little, v < 0);
                assert_eq!(got, BigInt::from(v), "{v} in {bits} bits, little {little}");
            }
        }
        let mut b = Bits::default();
        b.push_uint(&BigInt::from(1), 1, false);
        b.push_uint(&BigInt::from(0xff), 8, false);
        assert_eq!(read_uint(&b.bytes, 1, 8, false, false), BigInt::from(0xff));
        assert_eq!(extract(&b.bytes, 1, 8), vec![0xff]);
        // Every start and length against a bit-by-bit copy.
        let src: Vec<u8> = (0..9u8).map(|i| i.wrapping_mul(97) ^ 0x5a).collect();
        for start in 0..src.len() * 8 {
            for len in 0..=src.len() * 8 - start {
                let mut want = vec![0u8; len.div_ceil(8)];
                for i in 0..len {
                    want[i / 8] |= bit_at(&src, start + i) << (7 - i % 8);
                }
                assert_eq!(extract(&src, start, len), want, "{start} {len}");
            }
        }
    }

    #[test]
    fn halves_round_to_nearest_even() {
        for (x, h) in [
            (0.0, 0x0000),
            (-0.0, 0x8000),
            (1.0, 0x3c00),
            (0.1, 0x2e66),
            (65504.0, 0x7bff),
            (65519.0, 0x7bff),
            (65520.0, 0x7c00),
            (1e300, 0x7c00),
            (-1e300, 0xfc00),
            (5.960464477539063e-8, 0x0001),
            (2.9802322387695312e-8, 0x0000),
            (2.9802322387695312e-8 * 1.0000001, 0x0001),
            (1e-10, 0x0000),
            (6.097555160522461e-5, 0x03ff),
            (6.103515625e-5, 0x0400),
        ] {
            assert_eq!(half_bits(x), h, "{x}");
        }
        for h in (0..0x7c00u16).step_by(7) {
            assert_eq!(half_bits(half_to_f64(h)), h);
        }
    }
}
