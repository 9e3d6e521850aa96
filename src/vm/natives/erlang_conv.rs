//! The `erlang` module's conversion natives: atoms, numbers and text to and
//! from each other in lists and binaries, bitstrings as lists, iolists, the
//! external term format (`term_to_binary`, `binary_to_term`), pids and
//! references as text.

use num_bigint::BigInt;

use crate::term::Term;
use crate::vm::native::{
    BYTES_PER_REDUCTION, CELLS_PER_REDUCTION, Ctx, Native, NativeResult, badarg, error, small,
};
use crate::vm::natives::bits::{binary_bytes, binary_word, part, slice};
use crate::vm::natives::helpers::string_list;
use crate::vm::ops::arith::to_big;
use crate::vm::term::atoms::atom;
use crate::vm::term::bits::bitstring;
use crate::vm::term::compare::{Num, number};
use crate::vm::term::convert::ref_number;
use crate::vm::term::heap::{HEAP_BINARY_MAX, View};
use crate::vm::term::list::{list_items, list_of, string_of};
use crate::vm::term::word::{Word, kind};

use NativeResult::Value;

/// The `erlang` conversion natives.
pub const NATIVES: &[Native] = &[
    Native::heap("erlang", "atom_to_list", 1, atom_to_list_1),
    Native::heap("erlang", "list_to_atom", 1, list_to_atom_1),
    Native::heap("erlang", "integer_to_list", 1, integer_to_list_1),
    Native::heap("erlang", "list_to_integer", 1, list_to_integer_1),
    Native::heap("erlang", "float_to_list", 1, float_to_list_1),
    Native::heap("erlang", "float_to_list", 2, float_to_list_2),
    Native::heap("erlang", "binary_to_list", 1, binary_to_list_1),
    Native::heap("erlang", "binary_to_list", 3, binary_to_list_3),
    Native::heap("erlang", "list_to_binary", 1, list_to_binary_1),
    Native::heap("erlang", "iolist_to_binary", 1, iolist_to_binary_1),
    Native::heap("erlang", "iolist_size", 1, iolist_size_1),
    Native::heap("erlang", "atom_to_binary", 1, atom_to_binary_1),
    Native::heap("erlang", "atom_to_binary", 2, atom_to_binary_2),
    Native::heap("erlang", "binary_to_atom", 2, binary_to_atom_2),
    Native::heap("erlang", "integer_to_binary", 1, integer_to_binary_1),
    Native::heap("erlang", "binary_to_integer", 1, binary_to_integer_1),
    Native::heap("erlang", "integer_to_list", 2, integer_to_list_2),
    Native::heap("erlang", "split_binary", 2, split_binary_2),
    Native::heap("erlang", "binary_part", 3, binary_part_3),
    Native::heap("erlang", "integer_to_binary", 2, integer_to_binary_2),
    Native::heap("erlang", "float_to_binary", 1, float_to_binary_1),
    Native::heap("erlang", "float_to_binary", 2, float_to_binary_2),
    Native::heap("erlang", "list_to_integer", 2, list_to_integer_2),
    Native::heap("erlang", "binary_to_integer", 2, binary_to_integer_2),
    Native::heap("erlang", "list_to_float", 1, list_to_float_1),
    Native::heap("erlang", "binary_to_float", 1, binary_to_float_1),
    Native::heap(
        "erlang",
        "list_to_existing_atom",
        1,
        list_to_existing_atom_1,
    ),
    Native::heap(
        "erlang",
        "binary_to_existing_atom",
        2,
        binary_to_existing_atom_2,
    ),
    Native::heap(
        "erlang",
        "binary_to_existing_atom",
        1,
        binary_to_existing_atom_1,
    ),
    Native::heap("erlang", "bitstring_to_list", 1, bitstring_to_list_1),
    Native::heap("erlang", "list_to_bitstring", 1, list_to_bitstring_1),
    Native::heap("erlang", "binary_part", 2, binary_part_2),
    Native::heap("erlang", "term_to_binary", 1, term_to_binary_1),
    Native::heap("erlang", "term_to_binary", 2, term_to_binary_2),
    Native::heap("erlang", "term_to_iovec", 1, term_to_iovec_1),
    Native::heap("erlang", "term_to_iovec", 2, term_to_iovec_2),
    Native::heap("erlang", "external_size", 1, external_size_1),
    Native::heap("erlang", "external_size", 2, external_size_2),
    Native::heap("erlang", "binary_to_term", 1, binary_to_term_1),
    Native::heap("erlang", "binary_to_term", 2, binary_to_term_2),
    Native::heap("erlang", "iolist_to_iovec", 1, iolist_to_iovec_1),
    Native::heap("erlang", "pid_to_list", 1, pid_to_list_1),
    Native::heap("erlang", "list_to_pid", 1, list_to_pid_1),
    Native::heap("erlang", "port_to_list", 1, port_to_list_1),
    Native::heap("erlang", "list_to_port", 1, list_to_port_1),
    Native::heap("erlang", "ref_to_list", 1, ref_to_list_1),
    Native::heap("erlang", "list_to_ref", 1, list_to_ref_1),
];

/// `float_to_list/1,2`: options `short`, `{decimals, N}`, `{scientific, N}`, `compact`.
pub(crate) fn float_to_list(c: &mut Ctx, w: Word, opts: Word) -> NativeResult {
    let v = c.view();
    let Some(f) = v.float(w) else { return badarg() };
    let Some(opts) = list_items(&v, opts) else {
        return badarg();
    };
    let (mut decimals, mut scientific, mut compact, mut short) = (None, None, false, false);
    for o in opts {
        // Of short, decimals and scientific, the last one given counts.
        if o.as_atom().is_some_and(|a| &*c.atoms.name(a) == "compact") {
            compact = true;
        } else if o.as_atom().is_some_and(|a| &*c.atoms.name(a) == "short") {
            (short, decimals, scientific) = (true, None, None);
        } else if let Some([k, n]) = v.tuple(o) {
            let n = Word(*n).as_small().filter(|n| (0..=253).contains(n));
            match (Word(*k).as_atom().map(|a| c.atoms.name(a)), n) {
                (Some(k), Some(n)) if &*k == "decimals" => {
                    (short, decimals, scientific) = (false, Some(n as usize), None);
                }
                (Some(k), Some(n)) if &*k == "scientific" => {
                    (short, decimals, scientific) = (false, None, Some(n as usize));
                }
                _ => return badarg(),
            }
        } else {
            return badarg();
        }
    }
    let text = if short {
        let mut s = String::new();
        crate::erlfmt::write_float(&mut s, f);
        s
    } else if let Some(d) = decimals {
        match fixed_decimals(f, d, compact) {
            Some(s) => s,
            None => return badarg(),
        }
    } else {
        let d = scientific.unwrap_or(20);
        // C's %.*e: two-digit exponent with a sign.
        let s = format!("{f:.d$e}");
        let (m, e) = s.split_once('e').expect("exponent");
        let e: i32 = e.parse().expect("exponent");
        let s = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
        // erl's buffer holds 255 characters.
        if s.len() > 255 {
            return badarg();
        }
        s
    };
    Value(crate::vm::term::list::string_list(c.heap, &text))
}

/// `f` with `d` decimals as erl writes it (`sys_double_to_chars_fast`),
/// whose arithmetic shows in the digits, so LAM does the same: up to 2^53
/// and below 19 decimals the fraction is scaled by 10^d in floating point
/// and rounded half away from zero (0.125 to two decimals is 0.13, and
/// digits past a double's precision are the scaled double's); otherwise the
/// exact value, ties to even (C's `%.*f`), and `None` (badarg) past 255
/// characters, erl's buffer. `compact` drops trailing zeros but one after
/// the point, and in the exact form even where there is no point.
fn fixed_decimals(f: f64, d: usize, compact: bool) -> Option<String> {
    const POW10: [f64; 19] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18,
    ];
    let af = f.abs();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if af <= 9_007_199_254_740_992.0 && d < POW10.len() {
        // Below 2^53 the integer parts convert exactly.
        if d == 0 {
            return Some(format!("{sign}{}", af.round() as u64));
        }
        let int = af.floor();
        let frac = ((af - int) * POW10[d]).round();
        let (int, frac) = if frac >= POW10[d] {
            (int as u64 + 1, 0)
        } else {
            (int as u64, frac as u64)
        };
        let mut s = format!("{sign}{int}.{frac:0d$}");
        if compact {
            trim_zeros(&mut s);
        }
        return Some(s);
    }
    let mut s = format!("{sign}{}", exact_decimals(af, d));
    if s.len() > 255 {
        return None;
    }
    if compact {
        trim_zeros(&mut s);
    }
    Some(s)
}

/// Trailing zeros off, keeping one after a point.
fn trim_zeros(s: &mut String) {
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.push('0');
    }
}

/// `af` (not negative) with `d` decimals from its exact value, a tie to
/// even.
fn exact_decimals(af: f64, d: usize) -> String {
    // 1100 places hold every f64's exact decimal expansion.
    let exact = format!("{af:.1100}");
    let (int, frac) = exact.split_once('.').expect("a point");
    let mut digits: Vec<u8> = int.bytes().chain(frac.bytes().take(d)).collect();
    let rest = &frac.as_bytes()[d..];
    let last_odd = digits.last().is_some_and(|c| (c - b'0') % 2 == 1);
    let round_up = match rest.first() {
        Some(b'5') if rest[1..].iter().all(|&c| c == b'0') => last_odd,
        Some(&c) => c >= b'5',
        None => false,
    };
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - d;
    let mut s = String::from_utf8(digits).expect("digits");
    if d > 0 {
        s.insert(split, '.');
    }
    s
}

fn text_of_binary(c: &Ctx, w: Word) -> Option<String> {
    String::from_utf8(binary_bytes(c, w)?).ok()
}

/// Runs a list-producing native and gives its result as a binary.
fn as_binary(c: &mut Ctx, r: NativeResult) -> NativeResult {
    match r {
        Value(l) => match string_of(&c.view(), l) {
            Some(s) => Value(binary_word(c, s.as_bytes())),
            None => badarg(),
        },
        other => other,
    }
}

/// An integer in `base` (2..=36) as `list_to_integer/1,2` read it: an
/// optional sign, then at least one digit of either case (no `_`, which
/// only source literals allow and `BigInt`'s parser would take). erl reads
/// each digit character by its low byte (`[16#135]` is 5), so LAM does.
fn parse_int(s: &str, base: i64) -> Option<BigInt> {
    if !(2..=36).contains(&base) {
        return None;
    }
    let digits: Vec<u8> = s
        .strip_prefix(['+', '-'])
        .unwrap_or(s)
        .chars()
        .map(|ch| ch as u32 as u8)
        .collect();
    if digits.is_empty() || !digits.iter().all(|&d| (d as char).is_digit(base as u32)) {
        return None;
    }
    let n = BigInt::parse_bytes(&digits, base as u32)?;
    Some(if s.starts_with('-') { -n } else { n })
}

/// A float as `list_to_float/1` reads it: digits, a point, digits, and an
/// optional exponent; nothing else (no "1", "1e5" or ".5").
fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(e) = exp
        && !digits(e.strip_prefix(['+', '-']).unwrap_or(e))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn float_or_badarg(c: &mut Ctx, f: Option<f64>) -> NativeResult {
    match f {
        Some(f) => Value(c.heap.float(0, f)),
        None => badarg(),
    }
}

fn int_or_badarg(c: &mut Ctx, n: Option<BigInt>) -> NativeResult {
    match n {
        Some(n) => Value(c.heap.integer(0, &n)),
        None => badarg(),
    }
}

/// `bitstring_to_list/1`: the whole bytes, then the trailing bits (if
/// any) as a last element.
fn bitstring_to_list(c: &mut Ctx, w: Word) -> NativeResult {
    let Some((bytes, last)) = c.view().bits(w) else {
        return badarg();
    };
    let bytes = bytes.to_vec();
    let (whole, tail) = if last == 8 || bytes.is_empty() {
        (&bytes[..], Word::NIL)
    } else {
        let t = c.heap.bitstring(0, &bytes[bytes.len() - 1..], last);
        (&bytes[..bytes.len() - 1], c.heap.cons(0, t, Word::NIL))
    };
    let mut l = tail;
    for b in whole.iter().rev() {
        l = c.heap.cons(0, Word::small(*b as i64).expect("byte"), l);
    }
    Value(l)
}

/// `term_to_binary/2`'s options, as OTP 25 takes them: `compressed`,
/// `{compressed, 0..9}`, `{minor_version, 0..2}` and `deterministic` (maps
/// are always written in one order here); anything else is badarg.
/// `external_size/2` takes only `{minor_version, 0..1}`.
fn encoding_options(c: &Ctx, opts: Word, size_only: bool) -> Option<(u32, u8)> {
    let v = c.view();
    let (mut level, mut minor) = (0, 1);
    for o in list_items(&v, opts)? {
        let name = |w: Word| w.as_atom().map(|a| c.atoms.name(a));
        if let Some(n) = name(o) {
            match &*n {
                "compressed" if !size_only => level = 6,
                "deterministic" if !size_only => {}
                _ => return None,
            }
            continue;
        }
        let pair = v.tuple(o).filter(|x| x.len() == 2)?;
        let value = Word(pair[1]).as_small()?;
        match &*name(Word(pair[0]))? {
            "compressed" if !size_only && (0..=9).contains(&value) => level = value as u32,
            "minor_version" if (0..=if size_only { 1 } else { 2 }).contains(&value) => {
                minor = value as u8
            }
            _ => return None,
        }
    }
    Some((level, minor))
}

/// Encoded bytes, and the (offset, length) of each large binary in them.
type Encoded = (Vec<u8>, Option<Vec<(usize, usize)>>);

/// The encoding of `t` with options `opts`: its bytes, and where the large
/// binaries in them lie (`None` when compression was asked for, whether
/// or not it paid), or `None` for bad options.
fn encoded(c: &mut Ctx, t: Word, opts: Word) -> Result<Option<Encoded>, NativeResult> {
    let Some((level, minor)) = encoding_options(c, opts, false) else {
        return Ok(None);
    };
    let (bytes, parts) =
        crate::vm::natives::ext::encode(c, t, minor).map_err(|b| c.out_of_memory(b))?;
    Ok(Some(compressed(bytes, parts, level)))
}

/// [`encoded`] for `native` on `args`, a slice's worth at a time: `Err`
/// is the `Retry` of a call that yields before the end (a long term), to
/// go on where it stopped when it is made again.
fn encoded_in_slices(
    c: &mut Ctx,
    native: &'static str,
    args: &[Word],
    (t, opts): (Word, Word),
) -> Result<Option<Encoded>, NativeResult> {
    use crate::vm::natives::ext::Encoder;
    let Some((level, minor)) = encoding_options(c, opts, false) else {
        return Ok(None);
    };
    let saved = c.resume(native, args).and_then(|tr| {
        let enc = tr.state?.downcast::<Encoder>().ok()?;
        Some((*enc, tr.words))
    });
    let (mut enc, mut todo) = saved.unwrap_or_else(|| (Encoder::new(minor), vec![t]));
    let steps = enc.run(c, &mut todo, c.room(CELLS_PER_REDUCTION));
    c.charge(steps, CELLS_PER_REDUCTION);
    if let Some(bytes) = enc.refused {
        return Err(c.out_of_memory(bytes));
    }
    if !todo.is_empty() {
        return Err(c.trap_state(native, args, todo, Box::new(enc)));
    }
    let (bytes, parts) = enc.finish();
    Ok(Some(compressed(bytes, parts, level)))
}

/// An encoding, compressed at zlib level `level` (0: not) when that makes
/// it smaller.
fn compressed(bytes: Vec<u8>, parts: Vec<(usize, usize)>, level: u32) -> Encoded {
    if level > 0 {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
        if z.write_all(&bytes[1..]).is_ok()
            && let Ok(packed) = z.finish()
            && packed.len() + 5 < bytes.len() - 1
        {
            let mut out = vec![131, 80];
            out.extend((bytes.len() as u32 - 1).to_be_bytes());
            out.extend(packed);
            return (out, None);
        }
        return (bytes, None);
    }
    (bytes, Some(parts))
}

fn term_to_binary(c: &mut Ctx, native: &'static str, a: &[Word], opts: Word) -> NativeResult {
    match encoded_in_slices(c, native, a, (a[0], opts)) {
        Ok(Some((bytes, _))) => Value(binary_word(c, &bytes)),
        Ok(None) => badarg(),
        Err(r) => r,
    }
}

/// `term_to_iovec/1,2`: the encoding as a list of binaries, each binary of
/// more than 64 bytes a part of its own, as erl refers to them rather than
/// copy them. With compression asked for, it is one binary, not in a list
/// (as erl gives it, compressed or not).
fn term_to_iovec(c: &mut Ctx, t: Word, opts: Word) -> NativeResult {
    let (bytes, parts) = match encoded(c, t, opts) {
        Ok(Some(e)) => e,
        Ok(None) => return badarg(),
        Err(r) => return r,
    };
    c.charge(bytes.len(), BYTES_PER_REDUCTION);
    let Some(parts) = parts else {
        return Value(binary_word(c, &bytes));
    };
    let mut pieces = Vec::new();
    let mut at = 0;
    for (start, len) in parts {
        pieces.push(&bytes[at..start]);
        pieces.push(&bytes[start..start + len]);
        at = start + len;
    }
    pieces.push(&bytes[at..]);
    let words: Vec<Word> = pieces
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| binary_word(c, p))
        .collect();
    Value(list_of(c.heap, &words))
}

/// `binary_to_term/1,2`: the first term in the binary (bytes after it are
/// ignored, as erl does); with `used`, `{Term, BytesUsed}`; with `safe`,
/// badarg rather than create an atom.
fn binary_to_term(c: &mut Ctx, native: &'static str, a: &[Word], opts: Word) -> NativeResult {
    use crate::vm::natives::ext::{Decoded, Decoder};
    let (mut safe, mut used) = (false, false);
    let Some(opts) = list_items(&c.view(), opts) else {
        return badarg();
    };
    for o in opts {
        match o.as_atom().map(|a| c.atoms.name(a)).as_deref() {
            Some("safe") => safe = true,
            Some("used") => used = true,
            _ => return badarg(),
        }
    }
    let saved = c.resume(native, a).and_then(|t| {
        let dec = t.state?.downcast::<Decoder>().ok()?;
        Some((*dec, t.words))
    });
    let (mut dec, mut vals) = match saved {
        Some(s) => s,
        None => {
            let Some(bytes) = binary_bytes(c, a[0]) else {
                return badarg();
            };
            match Decoder::new(bytes, safe) {
                Some(dec) => (dec, Vec::new()),
                None => return badarg(),
            }
        }
    };
    let mut made = 0;
    let inflated = dec.inflate(c, c.room(BYTES_PER_REDUCTION), &mut made);
    c.charge(made, BYTES_PER_REDUCTION);
    match inflated {
        Err(r) => return r,
        Ok(None) => return badarg(),
        Ok(Some(false)) => return c.trap_state(native, a, vals, Box::new(dec)),
        Ok(Some(true)) => {}
    }
    let mut steps = 0;
    let budget = c.room(CELLS_PER_REDUCTION);
    let done = dec.run(c, &mut vals, budget, &mut steps);
    c.charge(steps, CELLS_PER_REDUCTION);
    match done {
        Decoded::Done(w, n) => with_used(c, w, n, used),
        Decoded::Refused => badarg(),
        Decoded::Paused => c.trap_state(native, a, vals, Box::new(dec)),
    }
}

/// A decoded term, or with `used` `{Term, BytesUsed}`.
fn with_used(c: &mut Ctx, w: Word, n: usize, used: bool) -> NativeResult {
    if used {
        let n = Word::small(n as i64).expect("a size");
        return Value(c.heap.tuple(0, &[w, n]));
    }
    Value(w)
}

/// `"<0.N.S>"` and back: a pid's number N has 15 bits and its serial S 13,
/// as on the BEAM (LAM's pid counter is S * 2^15 + N).
fn parse_pid(s: &str) -> Option<u64> {
    let inner = s.strip_prefix('<')?.strip_suffix('>')?;
    let mut parts = inner.split('.');
    let (node, id, serial) = (parts.next()?, parts.next()?, parts.next()?);
    let (id, serial): (u64, u64) = (id.parse().ok()?, serial.parse().ok()?);
    (node == "0" && id < 1 << 15 && serial < 1 << 13 && parts.next().is_none())
        .then_some(id | serial << 15)
}

fn pid_text(id: u64) -> String {
    format!("<0.{}.{}>", id & 0x7fff, id >> 15)
}

fn atom_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_atom() {
        Some(x) => {
            let name = c.atoms.name(x);
            Value(crate::vm::term::list::string_list(c.heap, &name))
        }
        None => badarg(),
    }
}

fn list_to_atom_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match string_of(&c.view(), a[0]) {
        Some(s) => new_atom(c, &s),
        None => badarg(),
    }
}

/// An atom of this name; `system_limit` beyond 255 characters, as on the
/// BEAM, and when the atom table is full.
fn new_atom(c: &mut Ctx, name: &str) -> NativeResult {
    if name.chars().count() > 255 {
        return error(Word::atom(atom::SYSTEM_LIMIT));
    }
    match c.atoms.try_intern(name) {
        Some(a) => Value(Word::atom(a)),
        None => error(Word::atom(atom::SYSTEM_LIMIT)),
    }
}

fn integer_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match number(&c.view(), a[0]) {
        Some(n @ (Num::Small(_) | Num::Big(_))) => {
            let text = match n {
                Num::Small(i) => i.to_string(),
                _ => to_big(&n).expect("int").to_string(),
            };
            Value(crate::vm::term::list::string_list(c.heap, &text))
        }
        _ => badarg(),
    }
}

fn list_to_integer_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let n = string_of(&c.view(), a[0]).and_then(|s| parse_int(&s, 10));
    int_or_badarg(c, n)
}

fn float_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    float_to_list(c, a[0], Word::NIL)
}

fn float_to_list_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    float_to_list(c, a[0], a[1])
}

fn binary_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().bits(a[0]) {
        Some((bytes, 8)) => {
            let n = bytes.len();
            list_in_slices(c, "erlang:binary_to_list/1", a, 0, n)
        }
        _ => badarg(),
    }
}

fn binary_to_list_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    // A bitstring's whole bytes, from Start to Stop, at least one, as on erl.
    let (Some((_, bits)), Some(from), Some(to)) =
        (bitstring(&v, a[0]), a[1].as_small(), a[2].as_small())
    else {
        return badarg();
    };
    if from < 1 || to < from || to as usize > bits / 8 {
        return badarg();
    }
    list_in_slices(
        c,
        "erlang:binary_to_list/3",
        a,
        from as usize - 1,
        to as usize,
    )
}

/// The list of bytes `from..to` of the bitstring `args[0]`, for `native`,
/// built from its end a slice's worth at a time: a call that yields keeps
/// the list so far and where it stopped, and goes on when made again.
fn list_in_slices(
    c: &mut Ctx,
    native: &'static str,
    args: &[Word],
    from: usize,
    to: usize,
) -> NativeResult {
    let (mut acc, mut end) = match c.resume(native, args) {
        Some(t) => (t.words[0], t.count),
        None => {
            // Two words a byte: asked of the budget as a whole up front.
            if !c.memory.fits((to - from).saturating_mul(16)) {
                return c.out_of_memory((to - from).saturating_mul(16));
            }
            (Word::NIL, to)
        }
    };
    let n = (end - from).min(c.room(CELLS_PER_REDUCTION));
    if let Err(r) = c.reserve_words(2 * n) {
        return r;
    }
    let chunk = match bitstring(&c.view(), args[0]) {
        Some((bytes, _)) => bytes[end - n..end].to_vec(),
        None => return badarg(),
    };
    for b in chunk.into_iter().rev() {
        acc = c.heap.cons(0, small(b as usize), acc);
    }
    end -= n;
    c.charge(n, CELLS_PER_REDUCTION);
    if end > from {
        return c.trap(native, args, vec![acc], end);
    }
    Value(acc)
}

fn list_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if !(a[0].is_list() || a[0] == Word::NIL) {
        return badarg();
    }
    if let Some(w) = flat_bytes_to_binary(c, a[0]) {
        return Value(w);
    }
    match iodata_in_slices(c, "erlang:list_to_binary/1", a, true) {
        Ok(Some((_, b))) => Value(c.heap.bitstring(0, &b, 8)),
        Ok(None) => badarg(),
        Err(r) => r,
    }
}

/// `list_to_binary` of a short flat list of bytes and binaries whose
/// result fits a heap binary: one pass into a buffer on the stack, where
/// the general walk (two passes, a stack of terms, a `Vec` of bytes) cost
/// thousands of machine instructions for a few bytes. `None`, before any
/// effect, for anything else, and while a walk of the general path is
/// under way (its saved state is that path's to take up or drop).
fn flat_bytes_to_binary(c: &mut Ctx, list: Word) -> Option<Word> {
    if c.trap.is_some() {
        return None;
    }
    let mut buf = [0u8; HEAP_BINARY_MAX];
    let (mut n, mut cells, mut cur) = (0, 0, list);
    let v = c.view();
    while cur.is_list() {
        let (h, t) = v.cons(cur);
        if let Some(i) = h.as_small() {
            *buf.get_mut(n)? = u8::try_from(i).ok()?;
            n += 1;
        } else {
            let (bytes, 8) = v.bits(h)? else {
                return None;
            };
            buf.get_mut(n..n + bytes.len())?.copy_from_slice(bytes);
            n += bytes.len();
        }
        cells += 1;
        cur = t;
    }
    if cur != Word::NIL {
        return None;
    }
    c.charge(cells * 2, CELLS_PER_REDUCTION);
    Some(c.heap.bitstring(0, &buf[..n], 8))
}

/// Where a walk over iodata stands between two slices (see
/// [`iodata_in_slices`]); the stack of terms still to walk is the trap's
/// words, so a collection moves them.
struct IoWalk {
    /// For each term on the stack, whether it is a list element (where an
    /// integer is a byte; a whole term or a tail may not be one).
    element: Vec<bool>,
    /// The bytes counted by the first pass.
    size: usize,
    /// The bytes, in the second pass: room for `size` is asked of the
    /// memory budget before it starts, so a huge iolist (a list repeating
    /// one large binary) ends its process, not the VM.
    out: Option<Vec<u8>>,
}

/// The size of the iodata `args[0]` and, with `fill`, its bytes, for
/// `native`: two passes (count, then copy into room of that size), each
/// a slice's worth at a time, a term walked a cell and a binary's bytes
/// copied 16 to a cell. `Ok(None)`: it is not iodata.
fn iodata_in_slices(
    c: &mut Ctx,
    native: &'static str,
    args: &[Word],
    fill: bool,
) -> Result<Option<(usize, Vec<u8>)>, NativeResult> {
    let saved = c.resume(native, args).and_then(|t| {
        let walk = t.state?.downcast::<IoWalk>().ok()?;
        Some((*walk, t.words))
    });
    let fresh = || IoWalk {
        element: vec![false],
        size: 0,
        out: None,
    };
    let (mut walk, mut stack) = saved.unwrap_or_else(|| (fresh(), vec![args[0]]));
    let room = c.room(CELLS_PER_REDUCTION);
    let mut cells = 0;
    loop {
        while let Some(w) = stack.pop() {
            let element = walk.element.pop().unwrap_or(false);
            if cells >= room {
                stack.push(w);
                walk.element.push(element);
                c.charge(cells, CELLS_PER_REDUCTION);
                return Err(c.trap_state(native, args, stack, Box::new(walk)));
            }
            cells += 1;
            if let Some(i) = w.as_small() {
                let Ok(byte) = u8::try_from(i) else {
                    return Ok(None);
                };
                if !element {
                    return Ok(None);
                }
                match walk.out.as_mut() {
                    Some(out) => out.push(byte),
                    None => walk.size += 1,
                }
            } else if w == Word::NIL {
            } else if w.is_list() {
                let (h, t) = c.view().cons(w);
                stack.extend([t, h]);
                walk.element.extend([false, true]);
            } else {
                let v = c.view();
                match v.bits(w) {
                    Some((bytes, 8)) => match walk.out.as_mut() {
                        Some(out) => {
                            out.extend_from_slice(bytes);
                            cells += bytes.len() / 16;
                        }
                        None => walk.size += bytes.len(),
                    },
                    Some(([], _)) => {}
                    _ => return Ok(None),
                }
            }
        }
        if !fill || walk.out.is_some() {
            break;
        }
        match c.byte_buffer(walk.size) {
            Ok(out) => walk.out = Some(out),
            Err(r) => return Err(r),
        }
        stack = vec![args[0]];
        walk.element = vec![false];
    }
    c.charge(cells, CELLS_PER_REDUCTION);
    Ok(Some((walk.size, walk.out.unwrap_or_default())))
}

fn iolist_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match iodata_in_slices(c, "erlang:iolist_to_binary/1", a, true) {
        Ok(Some((_, b))) => Value(c.heap.bitstring(0, &b, 8)),
        Ok(None) => badarg(),
        Err(r) => r,
    }
}

fn iolist_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match iodata_in_slices(c, "erlang:iolist_size/1", a, false) {
        Ok(Some((n, _))) => Value(c.heap.integer(0, &BigInt::from(n))),
        Ok(None) => badarg(),
        Err(r) => r,
    }
}

fn atom_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_atom() {
        Some(x) => {
            let n = c.atoms.name(x);
            Value(c.heap.bitstring(0, n.as_bytes(), 8))
        }
        None => badarg(),
    }
}

fn atom_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(x), Some(latin1)) = (a[0].as_atom(), is_latin1(c, a[1])) else {
        return badarg();
    };
    let n = c.atoms.name(x);
    if !latin1 {
        return Value(c.heap.bitstring(0, n.as_bytes(), 8));
    }
    match n
        .chars()
        .map(|ch| u8::try_from(ch).ok())
        .collect::<Option<Vec<u8>>>()
    {
        Some(bytes) => Value(c.heap.bitstring(0, &bytes, 8)),
        None => badarg(),
    }
}

/// An encoding argument: `Some(true)` for `latin1`, `Some(false)` for
/// `utf8` or `unicode`, `None` for anything else.
fn is_latin1(c: &Ctx, enc: Word) -> Option<bool> {
    match &*c.atoms.name(enc.as_atom()?) {
        "latin1" => Some(true),
        "utf8" | "unicode" => Some(false),
        _ => None,
    }
}

/// An atom's name from a binary in encoding `enc` (`latin1`, `utf8` or
/// `unicode`); `None` when either is bad.
fn atom_name(c: &Ctx, bin: Word, enc: Word) -> Option<String> {
    let latin1 = is_latin1(c, enc)?;
    match c.view().bits(bin)? {
        (b, 8) if latin1 => Some(b.iter().map(|&x| char::from(x)).collect()),
        (b, 8) => std::str::from_utf8(b).ok().map(str::to_string),
        ([], _) => Some(String::new()),
        _ => None,
    }
}

fn binary_to_atom_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match atom_name(c, a[0], a[1]) {
        Some(s) => new_atom(c, &s),
        None => badarg(),
    }
}

fn integer_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    match number(&v, a[0]) {
        Some(Num::Small(i)) => Value(c.heap.bitstring(0, i.to_string().as_bytes(), 8)),
        Some(Num::Big(b)) => Value(c.heap.bitstring(0, b.to_string().as_bytes(), 8)),
        _ => badarg(),
    }
}

fn binary_to_integer_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let n = text_of_binary(c, a[0]).and_then(|s| parse_int(&s, 10));
    int_or_badarg(c, n)
}

fn integer_to_list_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    let (Some(n), Some(base)) = (
        number(&v, a[0]),
        a[1].as_small().filter(|b| (2..=36).contains(b)),
    ) else {
        return badarg();
    };
    let b = match n {
        Num::Small(i) => BigInt::from(i),
        Num::Big(b) => b,
        Num::Float(_) => return badarg(),
    };
    let s = b.to_str_radix(base as u32).to_uppercase();
    Value(string_list(c, &s))
}

fn split_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    // A bitstring splits too, as long as the first part is whole bytes.
    let (Some((_, len)), Some(n)) = (bitstring(&v, a[0]), a[1].as_small()) else {
        return badarg();
    };
    if n < 0 || n as usize * 8 > len {
        return badarg();
    }
    let n = n as usize * 8;
    let (bx, by) = (slice(c, a[0], len, 0, n), slice(c, a[0], len, n, len - n));
    Value(c.heap.tuple(0, &[bx, by]))
}

fn binary_part_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    part(c, a[0], a[1], a[2])
}

fn integer_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let r = integer_to_list_2(c, a);
    as_binary(c, r)
}

fn float_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let r = float_to_list_1(c, a);
    as_binary(c, r)
}

fn float_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let r = float_to_list_2(c, a);
    as_binary(c, r)
}

fn list_to_integer_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let n = string_of(&c.view(), a[0])
        .zip(a[1].as_small())
        .and_then(|(s, b)| parse_int(&s, b));
    int_or_badarg(c, n)
}

fn binary_to_integer_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let n = text_of_binary(c, a[0])
        .zip(a[1].as_small())
        .and_then(|(s, b)| parse_int(&s, b));
    int_or_badarg(c, n)
}

fn list_to_float_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let f = string_of(&c.view(), a[0]).and_then(|s| parse_float(&s));
    float_or_badarg(c, f)
}

fn binary_to_float_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let f = text_of_binary(c, a[0]).and_then(|s| parse_float(&s));
    float_or_badarg(c, f)
}

fn list_to_existing_atom_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match string_of(&c.view(), a[0]).and_then(|s| c.atoms.existing(&s)) {
        Some(x) => Value(Word::atom(x)),
        None => badarg(),
    }
}

fn binary_to_existing_atom_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match atom_name(c, a[0], a[1]).and_then(|s| c.atoms.existing(&s)) {
        Some(x) => Value(Word::atom(x)),
        None => badarg(),
    }
}

fn binary_to_existing_atom_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match text_of_binary(c, a[0]).and_then(|s| c.atoms.existing(&s)) {
        Some(x) => Value(Word::atom(x)),
        None => badarg(),
    }
}

/// `list_to_bitstring/1`: bytes and bitstrings, nested, the tail of any
/// list a bitstring too.
fn list_to_bitstring_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if !(a[0].is_list() || a[0] == Word::NIL) {
        return badarg();
    }
    let v = c.view();
    let (mut out, mut len) = (Vec::new(), 0usize);
    let mut stack = vec![a[0]];
    while let Some(w) = stack.pop() {
        if w == Word::NIL {
        } else if w.is_list() {
            let (h, t) = v.cons(w);
            stack.push(t);
            if let Some(i) = h.as_small() {
                let Ok(b) = u8::try_from(i) else {
                    return badarg();
                };
                push_bits(&mut out, &mut len, &[b], 8);
            } else {
                stack.push(h);
            }
        } else if let Some((bytes, last)) = v.bits(w) {
            let n = if bytes.is_empty() {
                0
            } else {
                (bytes.len() - 1) * 8 + last as usize
            };
            push_bits(&mut out, &mut len, bytes, n);
        } else {
            return badarg();
        }
    }
    let last = match len % 8 {
        0 => 8,
        r => r as u8,
    };
    Value(c.heap.bitstring(0, &out, last))
}

/// Appends the first `n` bits of `src` (most significant first) to the `len`
/// bits of `out`.
fn push_bits(out: &mut Vec<u8>, len: &mut usize, src: &[u8], n: usize) {
    if len.is_multiple_of(8) {
        out.extend_from_slice(&src[..n.div_ceil(8)]);
        if !n.is_multiple_of(8) {
            let last = out.len() - 1;
            out[last] &= 0xff << (8 - n % 8);
        }
    } else {
        for i in 0..n {
            let bit = (src[i / 8] >> (7 - i % 8)) & 1;
            let at = *len + i;
            if at.is_multiple_of(8) {
                out.push(0);
            }
            out[at / 8] |= bit << (7 - at % 8);
        }
    }
    *len += n;
}

fn bitstring_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    bitstring_to_list(c, a[0])
}

fn binary_part_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().tuple(a[1]) {
        Some([s, l]) => {
            let (s, l) = (Word(*s), Word(*l));
            binary_part_3(c, &[a[0], s, l])
        }
        _ => badarg(),
    }
}

fn term_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    term_to_binary(c, "erlang:term_to_binary/1", a, Word::NIL)
}

fn term_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    term_to_binary(c, "erlang:term_to_binary/2", a, a[1])
}

fn term_to_iovec_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    term_to_iovec(c, a[0], Word::NIL)
}

fn term_to_iovec_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    term_to_iovec(c, a[0], a[1])
}

/// The size of `t`'s encoding with minor version `minor` (never
/// compressed), without building the binary.
fn external_size(c: &mut Ctx, t: Word, minor: u8) -> NativeResult {
    match crate::vm::natives::ext::encode(c, t, minor) {
        Ok((bytes, _)) => Value(small(bytes.len())),
        Err(b) => c.out_of_memory(b),
    }
}

fn external_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    external_size(c, a[0], 1)
}

fn external_size_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match encoding_options(c, a[1], true) {
        Some((_, minor)) => external_size(c, a[0], minor),
        None => badarg(),
    }
}

fn binary_to_term_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    binary_to_term(c, "erlang:binary_to_term/1", a, Word::NIL)
}

fn binary_to_term_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    binary_to_term(c, "erlang:binary_to_term/2", a, a[1])
}

fn iolist_to_iovec_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match iolist_to_binary_1(c, a) {
        Value(b) if c.view().bits(b).is_some_and(|x| x.0.is_empty()) => Value(Word::NIL),
        Value(b) => Value(c.heap.cons(0, b, Word::NIL)),
        r => r,
    }
}

fn pid_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_pid() {
        Some(id) => Value(string_list(c, &pid_text(id))),
        None => badarg(),
    }
}

fn list_to_pid_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match string_of(&c.view(), a[0]).and_then(|s| parse_pid(&s)) {
        Some(id) => Value(Word::pid(id)),
        None => badarg(),
    }
}

fn port_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_port() {
        Some(id) => Value(string_list(c, &format!("#Port<0.{id}>"))),
        None => badarg(),
    }
}

fn list_to_port_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match string_of(&c.view(), a[0]).and_then(|s| parse_port(&s)) {
        Some(id) => Value(Word::port(id)),
        None => badarg(),
    }
}

/// `"#Port<0.N>"` as `list_to_port/1` reads it: N decimal digits (leading
/// zeros allowed) of at most 28 bits.
fn parse_port(s: &str) -> Option<u64> {
    let n = s.strip_prefix("#Port<0.")?.strip_suffix('>')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = n.trim_start_matches('0');
    let id = if n.is_empty() {
        0
    } else {
        n.parse::<u64>().ok()?
    };
    (id <= crate::vm::term::word::MAX_PORT).then_some(id)
}

fn ref_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    if !a[0].is_boxed() || v.header(a[0]).header_kind() != kind::REF {
        return badarg();
    }
    let text = crate::erlfmt::w(&v.to_term(a[0], c.atoms));
    Value(string_list(c, &text))
}

fn list_to_ref_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let t = string_of(&c.view(), a[0]).and_then(|s| parse_ref(&s));
    match t.as_ref().and_then(ref_number) {
        Some(id) => Value(c.heap.reference(0, id)),
        None => badarg(),
    }
}

/// `"#Ref<0.A.B.C>"` as `list_to_ref/1` reads it: three numbers of 32
/// bits, the last of 18, as erl's local references have. (LAM makes one
/// only when A has at most 14 bits: its references are 64-bit numbers.)
fn parse_ref(s: &str) -> Option<Term> {
    let inner = s.strip_prefix("#Ref<0.")?.strip_suffix('>')?;
    let words = inner
        .split('.')
        .map(|n| {
            (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .then(|| n.parse::<u32>().ok())
                .flatten()
        })
        .collect::<Option<Vec<u32>>>()?;
    let [a, b, c] = words[..] else { return None };
    (c < 1 << 18).then(|| Term::Ref {
        node: "nonode@nohost".into(),
        creation: 0,
        ids: vec![c, b, a],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_as_erlang_reads_them() {
        assert_eq!(parse_int("-ff", 16), Some(BigInt::from(-255)));
        assert_eq!(parse_int("+Zz", 36), Some(BigInt::from(35 * 36 + 35)));
        assert_eq!(parse_int("12", 2), None);
        assert_eq!(parse_int("", 10), None);
        assert_eq!(parse_int("-", 10), None);
        assert_eq!(parse_float("1.5e3"), Some(1500.0));
        assert_eq!(parse_float("-0.25"), Some(-0.25));
        for bad in ["1", "1e5", ".5", "1.", "1.0e", "1.0e+", "inf", "1.0e999"] {
            assert_eq!(parse_float(bad), None, "{bad}");
        }
        assert_eq!(parse_pid("<0.42.0>"), Some(42));
        assert_eq!(parse_pid("<0.42.1>"), Some(42 + (1 << 15)));
        assert_eq!(pid_text(42 + (3 << 15)), "<0.42.3>");
        assert_eq!(parse_pid("<1.42.0>"), None);
        assert_eq!(parse_port("#Port<0.0002>"), Some(2));
        assert_eq!(parse_port("#Port<0.268435456>"), None);
        assert_eq!(parse_port("#Port<0.+2>"), None);
        assert_eq!(parse_pid("<0.99999.0>"), None);
    }
}
