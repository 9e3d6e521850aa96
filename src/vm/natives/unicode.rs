//! The `unicode` functions OTP implements as BIFs: `characters_to_list/2`,
//! `characters_to_binary/2` (for latin-1 and UTF-8; other encodings go to
//! OTP's own Erlang code, as the BIFs trap to it) and `bin_is_7bit/1`. The
//! rest of the module (the `/1` and `/3` forms among them) runs as OTP's
//! code over these.
//!
//! The conversion follows erts's (`erl_unicode.c`) step for step, because
//! what it returns on bad input is made of where it stopped: `{error,
//! Converted, Rest}` for a character it cannot take, `{incomplete,
//! Converted, Rest}` for a UTF-8 sequence cut short at the end, with `Rest`
//! built from the input's own list cells and binaries. Any element that is
//! not chardata at all is badarg, before anything is converted.

use crate::vm::native::{CELLS_PER_REDUCTION, Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::bits::slice;
use crate::vm::term::heap::View;
use crate::vm::term::word::{Word, kind};

use NativeResult::Value;

/// The `unicode` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("unicode", "characters_to_list", 2, characters_to_list_2),
    Native::heap("unicode", "characters_to_binary", 2, characters_to_binary_2),
    Native::heap("unicode", "bin_is_7bit", 1, bin_is_7bit_1),
];

fn characters_to_list_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(latin1) = encoding(c, a[1]) else {
        return to_otp(c, "characters_to_list_int", a);
    };
    convert(c, a[0], latin1, Output::List)
}

fn characters_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(latin1) = encoding(c, a[1]) else {
        return to_otp(c, "characters_to_binary_int", a);
    };
    // A binary alone in a list is taken as the binary (so a rest is too).
    let v = c.view();
    let subject = match cell(&v, a[0]) {
        Some((h, t)) if t == Word::NIL && whole_bytes(&v, h).is_some() => h,
        _ => a[0],
    };
    // Input that is already what it would become is the result itself.
    if let Some(bytes) = whole_bytes(&v, subject) {
        let ascii = bytes.is_ascii();
        if ascii || (!latin1 && std::str::from_utf8(bytes).is_ok()) {
            return Value(subject);
        }
    }
    convert(c, subject, latin1, Output::Binary)
}

/// Whether a binary is all ASCII; false for anything else (erts's answer,
/// which `characters_to_binary/3` relies on).
fn bin_is_7bit_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    boolean(whole_bytes(&c.view(), a[0]).is_some_and(<[u8]>::is_ascii))
}

/// `Some(true)` for `latin1`, `Some(false)` for `unicode` or `utf8`, `None`
/// for anything else (which OTP's Erlang code handles or refuses).
fn encoding(c: &Ctx, enc: Word) -> Option<bool> {
    match &*c.atoms.name(enc.as_atom()?) {
        "latin1" => Some(true),
        "unicode" | "utf8" => Some(false),
        _ => None,
    }
}

/// Calls `unicode:Function(Data, Encoding)`, OTP's code for the encodings
/// the BIFs leave to it.
fn to_otp(c: &mut Ctx, function: &str, a: &[Word]) -> NativeResult {
    let m = Word::atom(c.atoms.intern("unicode"));
    let f = Word::atom(c.atoms.intern(function));
    NativeResult::Apply(m, f, a.to_vec())
}

/// What the conversion gives on success.
#[derive(Clone, Copy)]
enum Output {
    List,
    Binary,
}

/// Where the conversion stopped, in terms of the input: a term as it is, a
/// binary from a byte on, or a list cell made of a rest and a tail.
enum Rest {
    Term(Word),
    From(Word, usize),
    Cons(Box<Rest>, Word),
}

/// The conversion so far: UTF-8 bytes out, and the start of a UTF-8
/// sequence a binary ended in the middle of, which the next binary may end.
#[derive(Default)]
struct State {
    out: Vec<u8>,
    leftover: Vec<u8>,
}

fn convert(c: &mut Ctx, subject: Word, latin1: bool, output: Output) -> NativeResult {
    let v = c.view();
    if !is_chardata(&v, subject) {
        return badarg();
    }
    let mut st = State::default();
    let failed = build(&v, subject, latin1, &mut st);
    // Each byte out is a cell or a character walked.
    c.charge(st.out.len(), CELLS_PER_REDUCTION);
    // The result's room is asked of the memory budget and the allocator
    // first: the input may be a few references to one huge binary.
    let converted = match output {
        Output::Binary => {
            if let Err(r) = c.byte_buffer(st.out.len()) {
                return r;
            }
            c.heap.bitstring(0, &st.out, 8)
        }
        Output::List => {
            let text = String::from_utf8_lossy(&st.out);
            let n = text.chars().count();
            let mut chars: Vec<Word> = Vec::new();
            if chars.try_reserve_exact(n).is_err() {
                return c.out_of_memory(n.saturating_mul(8));
            }
            if let Err(r) = c.reserve_words(n.saturating_mul(2)) {
                return r;
            }
            chars.extend(
                text.chars()
                    .map(|ch| Word::small(i64::from(u32::from(ch))).expect("a character")),
            );
            crate::vm::term::list::list_of(c.heap, &chars)
        }
    };
    let leftover = (!st.leftover.is_empty()).then(|| c.heap.bitstring(0, &st.leftover, 8));
    let tag = |c: &mut Ctx, name: &str| Word::atom(c.atoms.intern(name));
    match (failed, leftover) {
        (None, None) => Value(converted),
        (Some(rest), leftover) => {
            let mut rest = make_rest(c, rest);
            if let Some(l) = leftover {
                let tail = c.heap.cons(0, rest, Word::NIL);
                rest = c.heap.cons(0, l, tail);
            }
            let error = tag(c, "error");
            Value(c.heap.tuple(0, &[error, converted, rest]))
        }
        (None, Some(l)) => {
            let t = if cut_short(&st.leftover) {
                tag(c, "incomplete")
            } else {
                tag(c, "error")
            };
            Value(c.heap.tuple(0, &[t, converted, l]))
        }
    }
}

fn make_rest(c: &mut Ctx, r: Rest) -> Word {
    match r {
        Rest::Term(w) => w,
        Rest::From(bin, at) => {
            let n = c.view().bits(bin).map_or(0, |(b, _)| b.len());
            slice(c, bin, n * 8, at * 8, (n - at) * 8)
        }
        Rest::Cons(head, tail) => {
            let h = make_rest(c, *head);
            c.heap.cons(0, h, tail)
        }
    }
}

/// Whether `w` is an integer: erts takes a bignum as a character too big
/// (an error, not badarg).
fn is_integer(v: &View, w: Word) -> bool {
    w.as_small().is_some()
        || (w.is_boxed() && matches!(v.header(w).header_kind(), kind::BIG_POS | kind::BIG_NEG))
}

/// The head and tail of a list cell.
fn cell(v: &View, w: Word) -> Option<(Word, Word)> {
    w.is_list().then(|| v.cons(w))
}

/// The bytes of a binary of whole bytes.
fn whole_bytes<'a>(v: &View<'a>, w: Word) -> Option<&'a [u8]> {
    match v.bits(w)? {
        (b, 8) | (b @ [], _) => Some(b),
        _ => None,
    }
}

/// Whether `w` is chardata as erts checks it before converting: binaries
/// of whole bytes and small integers in (nested, possibly binary-tailed)
/// lists.
fn is_chardata(v: &View, w: Word) -> bool {
    if w == Word::NIL || whole_bytes(v, w).is_some() {
        return true;
    }
    if !w.is_list() {
        return false;
    }
    let mut stack = vec![w];
    while let Some(mut l) = stack.pop() {
        while let Some((h, t)) = cell(v, l) {
            let ok = is_integer(v, h)
                || h == Word::NIL
                || whole_bytes(v, h).is_some()
                || (h.is_list() && {
                    stack.push(h);
                    true
                });
            if !ok {
                return false;
            }
            l = t;
        }
        if l != Word::NIL && whole_bytes(v, l).is_none() {
            return false;
        }
    }
    true
}

/// Converts `w` (checked chardata) onto `st`: `None` when all of it went,
/// else where it stopped.
fn build(v: &View, w: Word, latin1: bool, st: &mut State) -> Option<Rest> {
    if w == Word::NIL {
        return None;
    }
    if !w.is_list() {
        return build_binary(v, w, latin1, st);
    }
    // The tails of the lists entered, innermost last, as erts keeps them:
    // a rest is wrapped in them, each as a cell [Rest | Tail].
    let mut stack = vec![w];
    let wrap = |mut r: Rest, stack: &mut Vec<Word>| {
        while let Some(t) = stack.pop() {
            r = Rest::Cons(Box::new(r), t);
        }
        Some(r)
    };
    while let Some(mut l) = stack.pop() {
        'list: while let Some((mut h, mut t)) = cell(v, l) {
            loop {
                if is_integer(v, h) {
                    if !st.leftover.is_empty() {
                        // A character cannot end a binary's UTF-8 sequence.
                        return wrap(Rest::Term(l), &mut stack);
                    }
                    if !h.as_small().is_some_and(|x| push_char(st, x, latin1)) {
                        return wrap(Rest::Term(l), &mut stack);
                    }
                    l = t;
                } else if h == Word::NIL {
                    l = t;
                } else if h.is_list() {
                    stack.push(t);
                    l = h;
                    continue 'list;
                } else if let Some(r) = build_binary(v, h, latin1, st) {
                    return wrap(Rest::Cons(Box::new(r), t), &mut stack);
                } else {
                    l = t;
                }
                match cell(v, l) {
                    Some(cell) => (h, t) = cell,
                    None => break 'list,
                }
            }
        }
        if l != Word::NIL
            && let Some(r) = build_binary(v, l, latin1, st)
        {
            return wrap(r, &mut stack);
        }
    }
    None
}

/// Appends character `x` as UTF-8; false when it is none (or, for latin-1
/// input, above 255).
fn push_char(st: &mut State, x: i64, latin1: bool) -> bool {
    let limit = if latin1 { 255 } else { 0x10_ffff };
    let ch = u32::try_from(x)
        .ok()
        .filter(|x| *x <= limit)
        .and_then(char::from_u32);
    match ch {
        Some(ch) => {
            let mut buf = [0u8; 4];
            st.out
                .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            true
        }
        None => false,
    }
}

/// Converts a binary (latin-1 bytes or UTF-8) onto `st`; where it stopped
/// if it holds what is not UTF-8.
fn build_binary(v: &View, bin: Word, latin1: bool, st: &mut State) -> Option<Rest> {
    let Some(bytes) = whole_bytes(v, bin) else {
        return Some(Rest::Term(bin));
    };
    if latin1 {
        for &b in bytes {
            push_char(st, i64::from(b), true);
        }
        return None;
    }
    let mut i = 0;
    if !st.leftover.is_empty() {
        let need = sequence_len(st.leftover[0]).unwrap_or(1);
        let missing = need - st.leftover.len();
        if bytes.len() < missing {
            st.leftover.extend_from_slice(bytes);
            return None;
        }
        let mut seq = st.leftover.clone();
        seq.extend_from_slice(&bytes[..missing]);
        if !valid_sequence(&seq) {
            // The sequence is bad: this binary is the rest (the bytes
            // before it stay pending too).
            return Some(Rest::From(bin, 0));
        }
        st.out.extend_from_slice(&seq);
        st.leftover.clear();
        i = missing;
    }
    while i < bytes.len() {
        let Some(n) = sequence_len(bytes[i]) else {
            return Some(Rest::From(bin, i));
        };
        if bytes.len() - i < n {
            st.leftover.extend_from_slice(&bytes[i..]);
            break;
        }
        if !valid_sequence(&bytes[i..i + n]) {
            return Some(Rest::From(bin, i));
        }
        st.out.extend_from_slice(&bytes[i..i + n]);
        i += n;
    }
    None
}

/// The length of the UTF-8 sequence a byte starts, if it can start one.
fn sequence_len(b: u8) -> Option<usize> {
    match b {
        0x00..=0x7f => Some(1),
        _ if b & 0xe0 == 0xc0 => Some(2),
        _ if b & 0xf0 == 0xe0 => Some(3),
        _ if b & 0xf8 == 0xf0 => Some(4),
        _ => None,
    }
}

/// Whether a whole sequence is UTF-8: continuation bytes, not overlong, no
/// surrogate, at most U+10FFFF.
fn valid_sequence(s: &[u8]) -> bool {
    let cont = |b: &u8| b & 0xc0 == 0x80;
    if !s[1..].iter().all(cont) {
        return false;
    }
    let overlong = match s.len() {
        2 => s[0] < 0xc2,
        3 => s[0] == 0xe0 && s[1] < 0xa0,
        4 => s[0] == 0xf0 && s[1] < 0x90,
        _ => false,
    };
    let surrogate = s.len() == 3 && s[0] & 0xf == 0xd && s[1] & 0x20 != 0;
    let too_big = s.len() == 4 && (s[0] & 7 > 4 || (s[0] & 7 == 4 && s[1] & 0x3f > 0xf));
    !(overlong || surrogate || too_big)
}

/// Whether bytes left over at the end are a UTF-8 sequence cut short
/// (`incomplete`) rather than a bad one (`error`), as erts tells them.
fn cut_short(s: &[u8]) -> bool {
    let cont = |i: usize| s.get(i).is_some_and(|b| b & 0xc0 == 0x80);
    match s[0] {
        b if b & 0xe0 == 0xc0 => true,
        b if b & 0xf0 == 0xe0 => s.len() < 2 || (s.len() < 3 && cont(1)),
        b if b & 0xf8 == 0xf0 => {
            s.len() < 2 || (s.len() < 3 && cont(1)) || (s.len() < 4 && cont(1) && cont(2))
        }
        _ => false,
    }
}
