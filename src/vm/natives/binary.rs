//! The `binary` module's BIFs: searching (`match`, `matches`, `split`,
//! with compiled patterns and scopes), slicing, copying, and unsigned
//! integer encoding.
//!
//! A compiled pattern (`binary:compile_pattern/1`) is the tuple
//! `{lam_cp, [Pattern]}`: the BEAM's is an opaque reference, and only these
//! functions look inside.

use crate::vm::native::{Ctx, NativeFn, NativeResult, badarg, small};
use crate::vm::natives::bits::{binary_bytes, binary_word, slice, to_bytes};
use crate::vm::natives::erlang::native_table;
use crate::vm::term::heap::referenced_bytes;
use crate::vm::term::list::list_of;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The patterns of a pattern argument: a non-empty binary, a non-empty
/// list of them, or a compiled pattern.
fn patterns(c: &Ctx, w: Word) -> Option<Vec<Vec<u8>>> {
    let v = c.view();
    let w = match v.tuple(w) {
        Some([tag, list]) if Word(*tag).as_atom() == c.atoms.existing("lam_cp") => Word(*list),
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

/// A `{Start, Length}` part of `len` bytes as a range (a negative length
/// counts back from Start), if it lies inside.
fn part_range(start: i64, length: i64, len: usize) -> Option<(usize, usize)> {
    let (s, e) = if length >= 0 {
        (start, start.checked_add(length)?)
    } else {
        (start.checked_add(length)?, start)
    };
    (s >= 0 && e as usize <= len && s <= e).then_some((s as usize, e as usize))
}

/// `binary:part/2,3` and `erlang:binary_part/3`.
/// A large part of an off-heap binary refers to its bytes (`bits::slice`).
fn part(c: &mut Ctx, bin: Word, start: Word, length: Word) -> NativeResult {
    let len = match c.view().bits(bin) {
        Some((b, 8)) => b.len(),
        Some(([], _)) => 0,
        _ => return badarg(),
    };
    match (start.as_small(), length.as_small()) {
        (Some(s), Some(l)) => match part_range(s, l, len) {
            Some((s, e)) => Value(slice(c, bin, len * 8, s * 8, (e - s) * 8)),
            None => badarg(),
        },
        _ => badarg(),
    }
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
    (l == Word::NIL).then_some(o)
}

/// The leftmost match in `hay[from..to]`, the longest pattern winning at
/// one position: (start, length).
fn find(hay: &[u8], pats: &[Vec<u8>], from: usize, to: usize) -> Option<(usize, usize)> {
    (from..to).find_map(|i| {
        pats.iter()
            .filter(|p| i + p.len() <= to && hay[i..i + p.len()] == p[..])
            .map(|p| p.len())
            .max()
            .map(|n| (i, n))
    })
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
    let (Some(hay), Some(pats)) = (binary_bytes(c, a[0]), patterns(c, a[1])) else {
        return badarg();
    };
    let Some(o) = options(c, a.get(2).copied().unwrap_or(Word::NIL), hay.len(), false) else {
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
    let (Some(hay), Some(pats)) = (binary_bytes(c, a[0]), patterns(c, a[1])) else {
        return badarg();
    };
    let Some(o) = options(c, a.get(2).copied().unwrap_or(Word::NIL), hay.len(), true) else {
        return badarg();
    };
    let mut found = find_all(&hay, &pats, o.scope);
    if !o.global {
        found.truncate(1);
    }
    // Parts as byte ranges, each then a slice of the subject (`bits::slice`).
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
    let bits = hay.len() * 8;
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

native_table! {
    /// The `binary` module's natives.
    BINARY_NATIVES;
    "binary":"at"/2 => |c, a| match (binary_bytes(c, a[0]), a[1].as_small()) {
        (Some(b), Some(i)) if i >= 0 && (i as usize) < b.len() => Value(small(b[i as usize] as usize)),
        _ => badarg(),
    };
    "binary":"first"/1 => |c, a| match binary_bytes(c, a[0]) { Some(b) if !b.is_empty() => Value(small(b[0] as usize)), _ => badarg() };
    "binary":"last"/1 => |c, a| match binary_bytes(c, a[0]) { Some(b) if !b.is_empty() => Value(small(b[b.len() - 1] as usize)), _ => badarg() };
    "binary":"copy"/1 => |c, a| match binary_bytes(c, a[0]) { Some(b) => Value(binary_word(c, &b)), None => badarg() };
    "binary":"copy"/2 => |c, a| match (binary_bytes(c, a[0]), a[1].as_small()) {
        (Some(b), Some(n)) if n >= 0 && b.len().checked_mul(n as usize).is_some_and(|t| t < 1 << 40) => {
            let r = b.repeat(n as usize);
            Value(binary_word(c, &r))
        }
        _ => badarg(),
    };
    "binary":"part"/2 => |c, a| match c.view().tuple(a[1]) {
        Some([start, length]) => { let (start, length) = (Word(*start), Word(*length)); part(c, a[0], start, length) }
        _ => badarg(),
    };
    "binary":"part"/3 => |c, a| part(c, a[0], a[1], a[2]);
    "erlang":"binary_part"/3 => |c, a| part(c, a[0], a[1], a[2]);
    "binary":"list_to_bin"/1 => |c, a| match to_bytes(c, a[0]) {
        Some(b) if a[0].is_list() || a[0] == Word::NIL => Value(binary_word(c, &b)),
        _ => badarg(),
    };
    "binary":"referenced_byte_size"/1 => |c, a| match c.view().bits(a[0]) {
        Some((_, 8) | ([], _)) => Value(small(referenced_bytes(&c.view(), a[0]).unwrap_or(0))),
        _ => badarg(),
    };
    "binary":"decode_unsigned"/1 => |c, a| decode_unsigned(c, a[0], false);
    "binary":"decode_unsigned"/2 => |c, a| match endianness(c, a[1]) { Some(l) => decode_unsigned(c, a[0], l), None => badarg() };
    "binary":"encode_unsigned"/1 => |c, a| encode_unsigned(c, a[0], false);
    "binary":"encode_unsigned"/2 => |c, a| match endianness(c, a[1]) { Some(l) => encode_unsigned(c, a[0], l), None => badarg() };
    "binary":"longest_common_prefix"/1 => |c, a| common(c, a[0], false);
    "binary":"longest_common_suffix"/1 => |c, a| common(c, a[0], true);
    "binary":"compile_pattern"/1 => |c, a| match patterns(c, a[0]) {
        Some(ps) => {
            let bins: Vec<Word> = ps.iter().map(|p| binary_word(c, p)).collect();
            let list = list_of(c.heap, &bins);
            let tag = Word::atom(c.atoms.intern("lam_cp"));
            Value(c.heap.tuple(0, &[tag, list]))
        }
        None => badarg(),
    };
    "binary":"match"/2 => |c, a| do_match(c, a, false);
    "binary":"match"/3 => |c, a| do_match(c, a, false);
    "binary":"matches"/2 => |c, a| do_match(c, a, true);
    "binary":"matches"/3 => |c, a| do_match(c, a, true);
    "binary":"split"/2 => |c, a| split(c, a);
    "binary":"split"/3 => |c, a| split(c, a);
}
