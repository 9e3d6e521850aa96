//! The `binary` module's BIFs: searching (`match`, `matches`, `split`,
//! with compiled patterns and scopes), slicing, copying, and unsigned
//! integer encoding.
//!
//! A compiled pattern (`binary:compile_pattern/1`) is the tuple
//! `{lam_cp, [Pattern]}`: the BEAM's is an opaque reference, and only these
//! functions look inside.

use crate::vm::native::{BYTES_PER_REDUCTION, Ctx, Native, NativeResult, badarg, small};
use crate::vm::natives::bits::{binary_bytes, binary_word, part, part_range, slice, to_bytes};
use crate::vm::term::heap::referenced_bytes;
use crate::vm::term::list::list_of;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `binary` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("binary", "at", 2, at_2),
    Native::heap("binary", "first", 1, first_1),
    Native::heap("binary", "last", 1, last_1),
    Native::heap("binary", "copy", 1, copy_1),
    Native::heap("binary", "copy", 2, copy_2),
    Native::heap("binary", "part", 2, part_2),
    Native::heap("binary", "part", 3, part_3),
    Native::heap("binary", "list_to_bin", 1, list_to_bin_1),
    Native::heap("binary", "referenced_byte_size", 1, referenced_byte_size_1),
    Native::heap("binary", "decode_unsigned", 1, decode_unsigned_1),
    Native::heap("binary", "decode_unsigned", 2, decode_unsigned_2),
    Native::heap("binary", "encode_unsigned", 1, encode_unsigned_1),
    Native::heap("binary", "encode_unsigned", 2, encode_unsigned_2),
    Native::heap(
        "binary",
        "longest_common_prefix",
        1,
        longest_common_prefix_1,
    ),
    Native::heap(
        "binary",
        "longest_common_suffix",
        1,
        longest_common_suffix_1,
    ),
    Native::heap("binary", "compile_pattern", 1, compile_pattern_1),
    Native::heap("binary", "match", 2, match_2),
    Native::heap("binary", "match", 3, match_3),
    Native::heap("binary", "matches", 2, matches_2),
    Native::heap("binary", "matches", 3, matches_3),
    Native::heap("binary", "split", 2, split_2),
    Native::heap("binary", "split", 3, split_3),
];

/// The patterns of a pattern argument: a non-empty binary, a non-empty
/// list of them, or a compiled pattern.
fn patterns(c: &Ctx, w: Word) -> Option<Vec<Vec<u8>>> {
    let v = c.view();
    let w = match v.tuple(w) {
        Some([tag, list])
            if Word(*tag).as_atom().is_some()
                && Word(*tag).as_atom() == c.atoms.existing("lam_cp") =>
        {
            Word(*list)
        }
        _ => w,
    };
    let mut out = Vec::new();
    if w.is_list() {
        let mut l = w;
        while l.is_list() {
            let (h, t) = v.cons(l);
            out.push(binary_bytes(c, h)?);
            l = t;
        }
        if l != Word::NIL {
            return None;
        }
    } else {
        out.push(binary_bytes(c, w)?);
    }
    (!out.is_empty() && out.iter().all(|p| !p.is_empty())).then_some(out)
}

/// Options of match/matches/split: `{scope, {S, L}}` and, for split,
/// `global`, `trim`, `trim_all`.
struct Options {
    scope: (usize, usize),
    global: bool,
    trim: bool,
    trim_all: bool,
}

fn options(c: &Ctx, w: Word, len: usize, split: bool) -> Option<Options> {
    let v = c.view();
    let mut o = Options {
        scope: (0, len),
        global: false,
        trim: false,
        trim_all: false,
    };
    if !w.is_list() && w != Word::NIL {
        return None;
    }
    let mut l = w;
    while l.is_list() {
        let (h, t) = v.cons(l);
        let name = |a: u32| c.atoms.name(a);
        match (h.as_atom(), v.tuple(h)) {
            (Some(a), _) if split && &*name(a) == "global" => o.global = true,
            (Some(a), _) if split && &*name(a) == "trim" => o.trim = true,
            (Some(a), _) if split && &*name(a) == "trim_all" => o.trim_all = true,
            (_, Some([k, s])) if Word(*k).as_atom().is_some_and(|a| &*name(a) == "scope") => {
                let [st, ln] = v.tuple(Word(*s))? else {
                    return None;
                };
                o.scope = part_range(Word(*st).as_small()?, Word(*ln).as_small()?, len)?;
            }
            _ => return None,
        }
        l = t;
    }
    // erl reads options up to the first tail that is not a list and
    // ignores that tail: `[global | foo]` is `[global]`.
    Some(o)
}

/// The leftmost match in `hay[from..to]`, the longest pattern winning at
/// one position: (start, length).
fn find(hay: &[u8], pats: &[Vec<u8>], from: usize, to: usize) -> Option<(usize, usize)> {
    if let [p] = pats {
        return find_one(hay, p, from, to);
    }
    (from..to).find_map(|i| {
        pats.iter()
            .filter(|p| i + p.len() <= to && hay[i..i + p.len()] == p[..])
            .map(|p| p.len())
            .max()
            .map(|n| (i, n))
    })
}

/// `find` for one pattern (a line split on `<<"\n">>`, the usual case):
/// a scan for its first byte, which the compiler keeps to a few machine
/// instructions a byte, where comparing the whole pattern at every
/// position was a call to `memcmp` a byte.
fn find_one(hay: &[u8], p: &[u8], from: usize, to: usize) -> Option<(usize, usize)> {
    let (&first, rest) = p.split_first()?;
    let mut i = from;
    while i + p.len() <= to {
        i += hay[i..=to - p.len()].iter().position(|&b| b == first)?;
        if hay[i + 1..i + p.len()] == *rest {
            return Some((i, p.len()));
        }
        i += 1;
    }
    None
}

/// Every non-overlapping match, left to right.
fn find_all(hay: &[u8], pats: &[Vec<u8>], (from, to): (usize, usize)) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = from;
    while let Some((s, n)) = find(hay, pats, at, to) {
        out.push((s, n));
        at = s + n;
    }
    out
}

fn pos_len(c: &mut Ctx, (s, n): (usize, usize)) -> Word {
    c.heap.tuple(0, &[small(s), small(n)])
}

fn do_match(c: &mut Ctx, a: &[Word], all: bool) -> NativeResult {
    let Some(hay) = binary_bytes(c, a[0]) else {
        return badarg();
    };
    let Some(o) = options(c, a.get(2).copied().unwrap_or(Word::NIL), hay.len(), false) else {
        return badarg();
    };
    // Nothing to search: erl answers before it looks at the pattern.
    if hay.is_empty() {
        return Value(if all {
            Word::NIL
        } else {
            Word::atom(c.atoms.intern("nomatch"))
        });
    }
    let Some(pats) = patterns(c, a[1]) else {
        return badarg();
    };
    if all {
        let found: Vec<Word> = find_all(&hay, &pats, o.scope)
            .into_iter()
            .map(|m| pos_len(c, m))
            .collect();
        Value(list_of(c.heap, &found))
    } else {
        match find(&hay, &pats, o.scope.0, o.scope.1) {
            Some(m) => Value(pos_len(c, m)),
            None => Value(Word::atom(c.atoms.intern("nomatch"))),
        }
    }
}

fn split(c: &mut Ctx, a: &[Word]) -> NativeResult {
    // The subject's bytes are read where they lie (no copy of a reader's
    // whole buffer per line split off it); the parts are worked out as
    // byte ranges first and made into slices once the borrow has ended.
    let (parts, len, trim) = {
        let v = c.view();
        let hay: &[u8] = match v.bits(a[0]) {
            Some((b, 8)) => b,
            Some(([], _)) => &[],
            _ => return badarg(),
        };
        let Some(o) = options(c, a.get(2).copied().unwrap_or(Word::NIL), hay.len(), true) else {
            return badarg();
        };
        // Nothing to split: erl answers before it looks at the pattern.
        if hay.is_empty() {
            (None, 0, o.trim || o.trim_all)
        } else {
            let Some(pats) = patterns(c, a[1]) else {
                return badarg();
            };
            // Without `global` only the first match counts: looking no
            // further keeps a split of a long buffer's first line short.
            let found = if o.global {
                find_all(hay, &pats, o.scope)
            } else {
                find(hay, &pats, o.scope.0, o.scope.1).into_iter().collect()
            };
            // Parts as byte ranges, each then a slice of the subject
            // (`bits::slice`).
            let mut parts: Vec<(usize, usize)> = Vec::new();
            let mut at = 0;
            for (s, n) in found {
                parts.push((at, s));
                at = s + n;
            }
            parts.push((at, hay.len()));
            if o.trim_all {
                parts.retain(|(s, e)| s < e);
            } else if o.trim {
                while parts.last().is_some_and(|(s, e)| s == e) {
                    parts.pop();
                }
            }
            (Some(parts), hay.len(), false)
        }
    };
    let Some(parts) = parts else {
        let parts = if trim { vec![] } else { vec![a[0]] };
        return Value(list_of(c.heap, &parts));
    };
    let bits = len * 8;
    let words: Vec<Word> = parts
        .iter()
        .map(|(s, e)| slice(c, a[0], bits, s * 8, (e - s) * 8))
        .collect();
    Value(list_of(c.heap, &words))
}

fn endianness(c: &Ctx, w: Word) -> Option<bool> {
    match &*c.atoms.name(w.as_atom()?) {
        "big" => Some(false),
        "little" => Some(true),
        _ => None,
    }
}

fn decode_unsigned(c: &mut Ctx, bin: Word, little: bool) -> NativeResult {
    let Some(mut b) = binary_bytes(c, bin) else {
        return badarg();
    };
    if little {
        b.reverse();
    }
    let n = num_bigint::BigInt::from_bytes_be(num_bigint::Sign::Plus, &b);
    Value(c.heap.integer(0, &n))
}

fn encode_unsigned(c: &mut Ctx, int: Word, little: bool) -> NativeResult {
    let v = c.view();
    let n = match crate::vm::term::compare::number(&v, int) {
        Some(crate::vm::term::compare::Num::Small(i)) if i >= 0 => num_bigint::BigInt::from(i),
        Some(crate::vm::term::compare::Num::Big(b)) if b.sign() != num_bigint::Sign::Minus => b,
        _ => return badarg(),
    };
    let (_, mut b) = n.to_bytes_be();
    if little {
        b.reverse();
    }
    Value(binary_word(c, &b))
}

fn common(c: &mut Ctx, list: Word, suffix: bool) -> NativeResult {
    let v = c.view();
    let mut bins = Vec::new();
    let mut l = list;
    while l.is_list() {
        let (h, t) = v.cons(l);
        match binary_bytes(c, h) {
            Some(b) => bins.push(b),
            None => return badarg(),
        }
        l = t;
    }
    if l != Word::NIL || bins.is_empty() {
        return badarg();
    }
    let first = &bins[0];
    let n = (0..=first.len())
        .take_while(|&k| {
            bins.iter().all(|b| {
                k <= b.len()
                    && if suffix {
                        b[b.len() - k..] == first[first.len() - k..]
                    } else {
                        b[..k] == first[..k]
                    }
            })
        })
        .last()
        .unwrap_or(0);
    Value(small(n))
}

fn at_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (binary_bytes(c, a[0]), a[1].as_small()) {
        (Some(b), Some(i)) if i >= 0 && (i as usize) < b.len() => {
            Value(small(b[i as usize] as usize))
        }
        _ => badarg(),
    }
}

fn first_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match binary_bytes(c, a[0]) {
        Some(b) if !b.is_empty() => Value(small(b[0] as usize)),
        _ => badarg(),
    }
}

fn last_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match binary_bytes(c, a[0]) {
        Some(b) if !b.is_empty() => Value(small(b[b.len() - 1] as usize)),
        _ => badarg(),
    }
}

fn copy_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match binary_bytes(c, a[0]) {
        Some(b) => {
            c.charge(b.len(), BYTES_PER_REDUCTION);
            Value(binary_word(c, &b))
        }
        None => badarg(),
    }
}

/// `binary:copy/2` copies a slice's worth of bytes a call (the BEAM's
/// yields too): the bytes so far are the trap's state, in a buffer of the
/// whole size asked of the memory budget at the first call.
fn copy_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    const NATIVE: &str = "binary:copy/2";
    let len = match c.view().bits(a[0]) {
        Some((b, 8)) => b.len(),
        Some(([], _)) => 0,
        _ => return badarg(),
    };
    let total = match a[1].as_small() {
        Some(n) if n >= 0 => len
            .checked_mul(n as usize)
            .filter(|t| (*t as u64) < 1 << 40),
        _ => None,
    };
    let Some(total) = total else {
        return badarg();
    };
    let saved = c
        .resume(NATIVE, a)
        .and_then(|t| t.state?.downcast::<Vec<u8>>().ok());
    let mut r = match saved {
        Some(r) => *r,
        None => match c.byte_buffer(total) {
            Ok(r) => r,
            Err(e) => return e,
        },
    };
    let start = r.len();
    let upto = total.min(start.saturating_add(c.room(BYTES_PER_REDUCTION)));
    if let Some((b, _)) = c.view().bits(a[0]) {
        while r.len() < upto {
            let at = r.len() % len;
            let take = (len - at).min(upto - r.len());
            r.extend_from_slice(&b[at..at + take]);
        }
    }
    c.charge(upto - start, BYTES_PER_REDUCTION);
    if r.len() < total {
        return c.trap_state(NATIVE, a, Vec::new(), Box::new(r));
    }
    Value(binary_word(c, &r))
}

fn part_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().tuple(a[1]) {
        Some([start, length]) => {
            let (start, length) = (Word(*start), Word(*length));
            part(c, a[0], start, length)
        }
        _ => badarg(),
    }
}

fn part_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    part(c, a[0], a[1], a[2])
}

fn list_to_bin_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match to_bytes(c, a[0]) {
        Some(b) if a[0].is_list() || a[0] == Word::NIL => Value(binary_word(c, &b)),
        _ => badarg(),
    }
}

fn referenced_byte_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    // Bitstrings too: what they refer to is whole bytes.
    match c.view().bits(a[0]) {
        Some(_) => Value(small(referenced_bytes(&c.view(), a[0]).unwrap_or(0))),
        None => badarg(),
    }
}

fn decode_unsigned_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    decode_unsigned(c, a[0], false)
}

fn decode_unsigned_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match endianness(c, a[1]) {
        Some(l) => decode_unsigned(c, a[0], l),
        None => badarg(),
    }
}

fn encode_unsigned_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    encode_unsigned(c, a[0], false)
}

fn encode_unsigned_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match endianness(c, a[1]) {
        Some(l) => encode_unsigned(c, a[0], l),
        None => badarg(),
    }
}

fn longest_common_prefix_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    common(c, a[0], false)
}

fn longest_common_suffix_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    common(c, a[0], true)
}

fn compile_pattern_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match patterns(c, a[0]) {
        Some(ps) => {
            let bins: Vec<Word> = ps.iter().map(|p| binary_word(c, p)).collect();
            let list = list_of(c.heap, &bins);
            let tag = Word::atom(c.atoms.intern("lam_cp"));
            Value(c.heap.tuple(0, &[tag, list]))
        }
        None => badarg(),
    }
}

fn match_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    do_match(c, a, false)
}

fn match_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    do_match(c, a, false)
}

fn matches_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    do_match(c, a, true)
}

fn matches_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    do_match(c, a, true)
}

fn split_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    split(c, a)
}

fn split_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    split(c, a)
}
