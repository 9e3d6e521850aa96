//! The `unicode` functions OTP implements as BIFs (`characters_to_list/2`,
//! `characters_to_binary/2`, `bin_is_7bit/1`), and `characters_to_list/1`
//! and `characters_to_binary/1`, which OTP writes as calls of them.
//! `characters_to_binary/3` runs as OTP's own Erlang code on top of these.
//!
//! Data that is not chardata is badarg. Data that is, but holds a code
//! point out of range or bytes that do not decode, converts up to there:
//! `{error, Converted, Rest}`, or `{incomplete, Converted, Rest}` when it
//! ends in the middle of a character. `Rest` is shaped as erl shapes it
//! (what is left of each list, innermost first, and a binary's undecoded
//! bytes in front), since programs match on it.

use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::term::atoms::atom;
use crate::vm::term::list::list_of;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `unicode` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("unicode", "characters_to_list", 1, characters_to_list_1),
    Native::heap("unicode", "characters_to_list", 2, characters_to_list_2),
    Native::heap("unicode", "characters_to_binary", 1, characters_to_binary_1),
    Native::heap("unicode", "characters_to_binary", 2, characters_to_binary_2),
    Native::heap("unicode", "bin_is_7bit", 1, bin_is_7bit_1),
];

fn characters_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    to_list(c, a[0], Enc::Utf8)
}

fn characters_to_list_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match encoding(c, a[1]) {
        Some(e) => to_list(c, a[0], e),
        None => badarg(),
    }
}

fn characters_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    to_binary(c, a[0], Enc::Utf8)
}

fn characters_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match encoding(c, a[1]) {
        Some(e) => to_binary(c, a[0], e),
        None => badarg(),
    }
}

/// True for a binary of ASCII bytes; false for anything else, even a
/// term that is no binary at all (`characters_to_binary/3` asks it of any
/// data).
fn bin_is_7bit_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().bits(a[0]) {
        Some((b, 8)) => boolean(b.is_ascii()),
        Some(([], _)) => boolean(true),
        _ => boolean(false),
    }
}

/// How the binaries in chardata are encoded.
#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Latin1,
    Utf8,
    /// Little-endian if true.
    Utf16(bool),
    Utf32(bool),
}

fn encoding(c: &Ctx, w: Word) -> Option<Enc> {
    let name = |w: Word| w.as_atom().map(|a| c.atoms.name(a));
    if let Some([e, endian]) = c.view().tuple(w) {
        let little = match name(Word(*endian)).as_deref()? {
            "little" => true,
            "big" => false,
            _ => return None,
        };
        return match name(Word(*e)).as_deref()? {
            "utf16" => Some(Enc::Utf16(little)),
            "utf32" => Some(Enc::Utf32(little)),
            _ => None,
        };
    }
    Some(match name(w).as_deref()? {
        "latin1" => Enc::Latin1,
        "unicode" | "utf8" => Enc::Utf8,
        "utf16" => Enc::Utf16(false),
        "utf32" => Enc::Utf32(false),
        _ => return None,
    })
}

/// One character read from the front of some bytes.
enum Read {
    /// A code point, and the bytes it took.
    Char(u32, usize),
    /// The bytes end inside a character; `usize` is how many it takes.
    Short(usize),
    Invalid,
}

fn valid(cp: u32) -> bool {
    cp < 0xd800 || (0xe000..0x11_0000).contains(&cp)
}

fn read(enc: Enc, b: &[u8]) -> Read {
    match enc {
        Enc::Latin1 => Read::Char(b[0].into(), 1),
        Enc::Utf8 => {
            let n = match b[0] {
                0..=0x7f => return Read::Char(b[0].into(), 1),
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => return Read::Invalid,
            };
            let cont = |x: &u8| (0x80..=0xbf).contains(x);
            if b.len() < n {
                // Short only when what there is could start a character.
                return if b[1..].iter().all(cont) {
                    Read::Short(n)
                } else {
                    Read::Invalid
                };
            }
            if !b[1..n].iter().all(cont) {
                return Read::Invalid;
            }
            let lead = u32::from(b[0]) & (0x7f >> n);
            let cp = b[1..n]
                .iter()
                .fold(lead, |acc, x| acc << 6 | u32::from(x & 0x3f));
            let least = [0, 0, 0x80, 0x800, 0x1_0000][n];
            if cp < least || !valid(cp) {
                return Read::Invalid;
            }
            Read::Char(cp, n)
        }
        Enc::Utf16(little) => {
            let unit = |i: usize| {
                let (x, y) = (u32::from(b[i]), u32::from(b[i + 1]));
                if little { y << 8 | x } else { x << 8 | y }
            };
            if b.len() < 2 {
                return Read::Short(2);
            }
            match unit(0) {
                hi @ 0xd800..=0xdbff => {
                    if b.len() < 4 {
                        return Read::Short(4);
                    }
                    match unit(2) {
                        lo @ 0xdc00..=0xdfff => {
                            Read::Char(0x1_0000 + ((hi - 0xd800) << 10 | (lo - 0xdc00)), 4)
                        }
                        _ => Read::Invalid,
                    }
                }
                0xdc00..=0xdfff => Read::Invalid,
                u => Read::Char(u, 2),
            }
        }
        Enc::Utf32(little) => {
            if b.len() < 4 {
                return Read::Short(4);
            }
            let w = [b[0], b[1], b[2], b[3]];
            let cp = if little {
                u32::from_le_bytes(w)
            } else {
                u32::from_be_bytes(w)
            };
            if valid(cp) {
                Read::Char(cp, 4)
            } else {
                Read::Invalid
            }
        }
    }
}

/// Whether the bytes left at the end could still begin a character.
fn starts_char(enc: Enc, b: &[u8]) -> bool {
    matches!(read(enc, b), Read::Short(_))
}

/// A character begun in one binary, and the next binary's bytes.
enum Merge {
    Char(u32),
    /// Still not enough bytes.
    Short,
    Bad,
}

/// How a conversion ended.
enum End {
    Done,
    Error(Word),
    Incomplete(Word),
}

/// Whether `w` is chardata: lists (their tails `[]` or a binary) of code
/// points, binaries and such lists. Walked with a stack: any depth.
fn is_chardata(c: &Ctx, w: Word) -> bool {
    let v = c.view();
    if !w.is_list() {
        return v.bits(w).is_some_and(|(_, last)| last == 8) || w == Word::NIL;
    }
    let mut todo = vec![w];
    while let Some(w) = todo.pop() {
        let mut cur = w;
        while cur.is_list() {
            let (h, t) = v.cons(cur);
            if h.is_list() {
                todo.push(h);
            } else if h.as_small().is_none()
                && h != Word::NIL
                && !v.bits(h).is_some_and(|(b, last)| last == 8 || b.is_empty())
                && !is_big(c, h)
            {
                return false;
            }
            cur = t;
        }
        if cur != Word::NIL
            && !v
                .bits(cur)
                .is_some_and(|(b, last)| last == 8 || b.is_empty())
        {
            return false;
        }
    }
    true
}

/// A bignum is chardata's shape, but no code point.
fn is_big(c: &Ctx, w: Word) -> bool {
    use crate::vm::term::compare::{Num, number};
    matches!(number(&c.view(), w), Some(Num::Big(_)))
}

/// What is left of the data: the innermost list from `at` (its current
/// cell, a binary tail, or `[]`), then what is left of each enclosing list
/// after the element being walked, innermost first; a list left empty is
/// dropped, as erl drops it.
fn rest(c: &mut Ctx, at: Word, outer: &[Word]) -> Word {
    let mut acc = at;
    for tail in outer.iter().rev() {
        acc = if acc == Word::NIL {
            *tail
        } else {
            c.heap.cons(0, acc, *tail)
        };
    }
    acc
}

/// A binary's undecoded bytes in front of what is left after them.
fn with_bytes(c: &mut Ctx, bytes: &[u8], after: Word) -> Word {
    let b = c.heap.bitstring(0, bytes, 8);
    if after == Word::NIL {
        return b;
    }
    let tail = c.heap.cons(0, after, Word::NIL);
    c.heap.cons(0, b, tail)
}

/// Converts `data` into code points, pushed onto `out`; `None` when it is
/// not chardata.
fn convert(c: &mut Ctx, data: Word, enc: Enc, out: &mut Vec<u32>) -> Option<End> {
    if !is_chardata(c, data) {
        return None;
    }
    // The lists being walked, outermost first: what is left of each after
    // the element being converted. A stack, not recursion: any depth.
    let mut levels: Vec<Word> = Vec::new();
    // Bytes that end a binary in the middle of a character, waiting for
    // the next binary.
    let mut pending: Vec<u8> = Vec::new();
    let mut first = Some(data);
    loop {
        // The element to convert, the rest from it on (its cell, or itself
        // as a list's binary tail or the whole data), and how many lists
        // enclose it.
        let (item, from, depth) = match first.take() {
            Some(w) if !w.is_list() => (w, w, 0),
            Some(w) => {
                levels.push(w);
                continue;
            }
            None => {
                let Some(&cur) = levels.last() else { break };
                if cur == Word::NIL {
                    levels.pop();
                    continue;
                }
                let depth = levels.len() - 1;
                if !cur.is_list() {
                    levels[depth] = Word::NIL;
                    (cur, cur, depth)
                } else {
                    let (h, t) = c.view().cons(cur);
                    levels[depth] = t;
                    if h.is_list() {
                        levels.push(h);
                        continue;
                    }
                    (h, cur, depth)
                }
            }
        };
        if item == Word::NIL {
            continue;
        }
        let outer = levels[..depth.min(levels.len())].to_vec();
        let after = levels.get(depth).copied().unwrap_or(Word::NIL);
        let bytes = match c.view().bits(item) {
            Some((b, _)) => b.to_vec(),
            None => {
                // A code point (or a bignum, which is none).
                let ok = item.as_small().is_some_and(|cp| match enc {
                    Enc::Latin1 => (0..=255).contains(&cp),
                    _ => u32::try_from(cp).is_ok_and(valid),
                });
                if ok && pending.is_empty() {
                    out.push(item.as_small().unwrap_or(0) as u32);
                    continue;
                }
                let r = rest(c, from, &outer);
                return Some(End::Error(if pending.is_empty() {
                    r
                } else {
                    with_bytes(c, &pending, r)
                }));
            }
        };
        let mut i = 0;
        if !pending.is_empty() {
            // Complete the character the last binary began with this one's
            // first bytes (a UTF-16 high surrogate asks for two more).
            let mut seq = pending.clone();
            let merged = loop {
                match read(enc, &seq) {
                    Read::Char(cp, n) if n == seq.len() => break Merge::Char(cp),
                    Read::Short(need) if pending.len() + bytes.len() < need => break Merge::Short,
                    Read::Short(need) => {
                        let have = seq.len() - pending.len();
                        seq.extend_from_slice(&bytes[have..need - pending.len()]);
                    }
                    _ => break Merge::Bad,
                }
            };
            match merged {
                Merge::Char(cp) => out.push(cp),
                // Not yet enough to tell: carried on, unchecked, as erl does.
                Merge::Short => {
                    pending.extend_from_slice(&bytes);
                    continue;
                }
                Merge::Bad => {
                    let r = rest(c, from, &outer);
                    return Some(End::Error(with_bytes(c, &pending, r)));
                }
            }
            i = seq.len() - pending.len();
            pending.clear();
        }
        while i < bytes.len() {
            match read(enc, &bytes[i..]) {
                Read::Char(cp, n) => {
                    out.push(cp);
                    i += n;
                }
                Read::Short(_) => {
                    pending.extend_from_slice(&bytes[i..]);
                    break;
                }
                Read::Invalid => {
                    let r = rest(c, after, &outer);
                    return Some(End::Error(with_bytes(c, &bytes[i..], r)));
                }
            }
        }
    }
    if pending.is_empty() {
        return Some(End::Done);
    }
    let b = c.heap.bitstring(0, &pending, 8);
    Some(if starts_char(enc, &pending) {
        End::Incomplete(b)
    } else {
        End::Error(b)
    })
}

fn to_list(c: &mut Ctx, data: Word, enc: Enc) -> NativeResult {
    let mut out = Vec::new();
    let Some(end) = convert(c, data, enc, &mut out) else {
        return badarg();
    };
    let chars: Vec<Word> = out
        .iter()
        .map(|&cp| Word::small(cp.into()).expect("a code point"))
        .collect();
    let converted = list_of(c.heap, &chars);
    finish(c, converted, end)
}

fn to_binary(c: &mut Ctx, data: Word, enc: Enc) -> NativeResult {
    let mut out = Vec::new();
    let Some(end) = convert(c, data, enc, &mut out) else {
        return badarg();
    };
    let text: String = out.iter().filter_map(|&cp| char::from_u32(cp)).collect();
    let converted = c.heap.bitstring(0, text.as_bytes(), 8);
    finish(c, converted, end)
}

fn finish(c: &mut Ctx, converted: Word, end: End) -> NativeResult {
    let (tag, rest) = match end {
        End::Done => return Value(converted),
        End::Error(r) => (Word::atom(atom::ERROR), r),
        End::Incomplete(r) => (Word::atom(c.atoms.intern("incomplete")), r),
    };
    Value(c.heap.tuple(0, &[tag, converted, rest]))
}
