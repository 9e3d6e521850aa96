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

use crate::vm::native::{
    CELLS_PER_REDUCTION, Ctx, Native, NativeResult, Trap, badarg, boolean, small,
};
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
    const NATIVE: &str = "unicode:characters_to_list/2";
    if let Some(t) = c.resume(NATIVE, a) {
        return convert(c, NATIVE, a, t);
    }
    let Some(latin1) = encoding(c, a[1]) else {
        return to_otp(c, "characters_to_list_int", a);
    };
    start(c, NATIVE, a, a[0], latin1, Output::List)
}

fn characters_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    const NATIVE: &str = "unicode:characters_to_binary/2";
    // A call made again goes on first: the checks below walk the whole
    // input, which a call that yielded has done already.
    if let Some(t) = c.resume(NATIVE, a) {
        return convert(c, NATIVE, a, t);
    }
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
    start(c, NATIVE, a, subject, latin1, Output::Binary)
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

/// The conversion so far: UTF-8 bytes out (`chars` characters), and the
/// start of a UTF-8 sequence a binary ended in the middle of, which the
/// next binary may end.
#[derive(Default)]
struct State {
    out: Vec<u8>,
    chars: usize,
    leftover: Vec<u8>,
}

/// What a conversion does, in order, each a walk that may stop when the
/// slice runs out and go on in the next (the BEAM's conversions trap too).
enum Phase {
    /// Checking that the input is chardata at all (badarg before anything
    /// is converted): the trap's words are the terms left to check.
    Check,
    /// Converting: the trap's words are the tails of the lists entered and,
    /// on top, the term it is at (`bin_at`: a byte of the binary it is,
    /// or heads, in the middle of).
    Build { bin_at: Option<usize> },
    /// Consing the characters from the end (`end`, a byte of `out`): the
    /// trap's words are the list so far and, for `{error | incomplete,
    /// Converted, Rest}`, the tag and the rest.
    List { end: usize },
}

/// A conversion kept between the slices of a call that yields.
struct Conv {
    phase: Phase,
    latin1: bool,
    output: Output,
    st: State,
}

fn start(
    c: &mut Ctx,
    native: &'static str,
    a: &[Word],
    subject: Word,
    latin1: bool,
    output: Output,
) -> NativeResult {
    let conv = Conv {
        phase: Phase::Check,
        latin1,
        output,
        st: State::default(),
    };
    run(c, native, a, conv, vec![subject])
}

/// Goes on with the conversion a call that yielded saved.
fn convert(c: &mut Ctx, native: &'static str, a: &[Word], t: Trap) -> NativeResult {
    match t.state.and_then(|s| s.downcast::<Conv>().ok()) {
        Some(conv) => run(c, native, a, *conv, t.words),
        None => badarg(),
    }
}

/// Runs the conversion's phases until it is done or the slice runs out
/// (then it yields, keeping `words` and `conv`). A step is a list cell, a
/// byte of a binary converted, or a character consed.
fn run(
    c: &mut Ctx,
    native: &'static str,
    a: &[Word],
    mut conv: Conv,
    mut words: Vec<Word>,
) -> NativeResult {
    let budget = c.room(CELLS_PER_REDUCTION);
    let mut steps = 0;
    let done = loop {
        match conv.phase {
            Phase::Check => {
                match check(&c.view(), &mut words, budget, &mut steps) {
                    None => break false,
                    Some(false) => {
                        c.charge(steps, CELLS_PER_REDUCTION);
                        return badarg();
                    }
                    Some(true) => {}
                }
                words.push(a[0]);
                if let Output::Binary = conv.output {
                    // The subject, a binary alone in a list taken out.
                    let v = c.view();
                    if let Some((h, Word::NIL)) = cell(&v, a[0])
                        && whole_bytes(&v, h).is_some()
                    {
                        words[0] = h;
                    }
                }
                conv.phase = Phase::Build { bin_at: None };
            }
            Phase::Build { ref mut bin_at } => {
                let v = c.view();
                let Some(failed) = build(
                    &v,
                    &mut words,
                    bin_at,
                    conv.latin1,
                    &mut conv.st,
                    budget,
                    &mut steps,
                ) else {
                    break false;
                };
                let tail = match finish(c, &conv.st, failed) {
                    Ok(tail) => tail,
                    Err(r) => return r,
                };
                match conv.output {
                    Output::Binary => {
                        c.charge(steps, CELLS_PER_REDUCTION);
                        // The result's room is asked of the memory budget and
                        // the allocator first: the input may be a few
                        // references to one huge binary.
                        if let Err(r) = c.byte_buffer(conv.st.out.len()) {
                            return r;
                        }
                        let converted = c.heap.bitstring(0, &conv.st.out, 8);
                        return Value(wrapped(c, converted, &tail));
                    }
                    Output::List => {
                        // Two words a character: asked of the budget as a
                        // whole up front, each slice's cells as they come.
                        let bytes = conv.st.chars.saturating_mul(16);
                        if !c.memory.fits(bytes) {
                            return c.out_of_memory(bytes);
                        }
                        words = vec![Word::NIL];
                        words.extend(tail);
                        conv.phase = Phase::List {
                            end: conv.st.out.len(),
                        };
                    }
                }
            }
            Phase::List { ref mut end } => {
                let n = budget.saturating_sub(steps).max(1);
                if let Err(r) = c.reserve_words(2 * n.min(conv.st.chars)) {
                    return r;
                }
                let out = &conv.st.out;
                let mut acc = words[0];
                let mut k = 0;
                while *end > 0 && k < n {
                    // `out` is UTF-8 made by this conversion: a character
                    // starts at the first byte back that continues none.
                    let mut at = *end - 1;
                    while at > 0 && out[at] & 0xc0 == 0x80 {
                        at -= 1;
                    }
                    let ch = std::str::from_utf8(&out[at..*end])
                        .ok()
                        .and_then(|s| s.chars().next())
                        .map_or(0, u32::from);
                    acc = c.heap.cons(0, small(ch as usize), acc);
                    *end = at;
                    k += 1;
                }
                conv.st.chars -= k.min(conv.st.chars);
                steps += k;
                words[0] = acc;
                if *end > 0 {
                    break false;
                }
                break true;
            }
        }
    };
    c.charge(steps, CELLS_PER_REDUCTION);
    if !done {
        return c.trap_state(native, a, words, Box::new(conv));
    }
    Value(wrapped(c, words[0], &words[1..]))
}

/// The result: the converted term, or `{Tag, Converted, Rest}` when the
/// conversion stopped short (`tail` is then the tag and the rest).
fn wrapped(c: &mut Ctx, converted: Word, tail: &[Word]) -> Word {
    match *tail {
        [tag, rest] => c.heap.tuple(0, &[tag, converted, rest]),
        _ => converted,
    }
}

/// The tag and rest of a conversion that stopped short (none when all of
/// it went), built as soon as the walk ends: from then on they are terms
/// a collection moves.
fn finish(c: &mut Ctx, st: &State, failed: Option<Rest>) -> Result<Vec<Word>, NativeResult> {
    let leftover = (!st.leftover.is_empty()).then(|| c.heap.bitstring(0, &st.leftover, 8));
    let tag = |c: &mut Ctx, name: &str| Word::atom(c.atoms.intern(name));
    Ok(match (failed, leftover) {
        (None, None) => Vec::new(),
        (Some(rest), leftover) => {
            let mut rest = make_rest(c, rest);
            if let Some(l) = leftover {
                let tail = c.heap.cons(0, rest, Word::NIL);
                rest = c.heap.cons(0, l, tail);
            }
            vec![tag(c, "error"), rest]
        }
        (None, Some(l)) => {
            let t = if cut_short(&st.leftover) {
                tag(c, "incomplete")
            } else {
                tag(c, "error")
            };
            vec![t, l]
        }
    })
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

/// Whether the terms on `stack` are chardata as erts checks it before
/// converting: binaries of whole bytes and small integers in (nested,
/// possibly binary-tailed) lists. `None` when `steps` (a list cell each)
/// reached `budget` first: `stack` then holds what is left to check.
fn check(v: &View, stack: &mut Vec<Word>, budget: usize, steps: &mut usize) -> Option<bool> {
    while let Some(mut l) = stack.pop() {
        while let Some((h, t)) = cell(v, l) {
            if *steps >= budget {
                stack.push(l);
                return None;
            }
            *steps += 1;
            let ok = is_integer(v, h)
                || h == Word::NIL
                || whole_bytes(v, h).is_some()
                || (h.is_list() && {
                    stack.push(h);
                    true
                });
            if !ok {
                return Some(false);
            }
            l = t;
        }
        if l != Word::NIL && whole_bytes(v, l).is_none() {
            return Some(false);
        }
    }
    Some(true)
}

/// Converts the (checked chardata) terms on `stack` onto `st`: `Some(None)`
/// when all of it went, `Some(Some(rest))` where it stopped, and `None`
/// when `steps` reached `budget` first (a list cell, or a byte of a
/// binary, a step). The stack holds the tails of the lists entered, as
/// erts keeps them (a rest is wrapped in them, each as a cell [Rest |
/// Tail]), and on top the term the walk is at; when it stopped in the
/// middle of a binary, `bin_at` is where: in that term, or in its head
/// when it is a list cell.
fn build(
    v: &View,
    stack: &mut Vec<Word>,
    bin_at: &mut Option<usize>,
    latin1: bool,
    st: &mut State,
    budget: usize,
    steps: &mut usize,
) -> Option<Option<Rest>> {
    let wrap = |mut r: Rest, stack: &mut Vec<Word>| {
        while let Some(t) = stack.pop() {
            r = Rest::Cons(Box::new(r), t);
        }
        Some(Some(r))
    };
    while let Some(mut l) = stack.pop() {
        if let (Some(from), Some((h, t))) = (*bin_at, cell(v, l)) {
            *bin_at = None;
            match build_binary(v, h, from, latin1, st, budget, steps) {
                Bin::Done => l = t,
                Bin::Rest(r) => return wrap(Rest::Cons(Box::new(r), t), stack),
                Bin::Paused(i) => {
                    *bin_at = Some(i);
                    stack.push(l);
                    return None;
                }
            }
        }
        while let Some((h, t)) = cell(v, l) {
            if *steps >= budget {
                stack.push(l);
                return None;
            }
            *steps += 1;
            if is_integer(v, h) {
                // A character cannot end a binary's UTF-8 sequence.
                if !st.leftover.is_empty()
                    || !h.as_small().is_some_and(|x| push_char(st, x, latin1))
                {
                    return wrap(Rest::Term(l), stack);
                }
                l = t;
            } else if h == Word::NIL {
                l = t;
            } else if h.is_list() {
                stack.push(t);
                l = h;
            } else {
                match build_binary(v, h, 0, latin1, st, budget, steps) {
                    Bin::Done => l = t,
                    Bin::Rest(r) => return wrap(Rest::Cons(Box::new(r), t), stack),
                    Bin::Paused(i) => {
                        *bin_at = Some(i);
                        stack.push(l);
                        return None;
                    }
                }
            }
        }
        if l != Word::NIL {
            // A binary: the whole subject, or a list's tail.
            let from = bin_at.take().unwrap_or(0);
            match build_binary(v, l, from, latin1, st, budget, steps) {
                Bin::Done => {}
                Bin::Rest(r) => return wrap(r, stack),
                Bin::Paused(i) => {
                    *bin_at = Some(i);
                    stack.push(l);
                    return None;
                }
            }
        }
    }
    Some(None)
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
            st.chars += 1;
            true
        }
        None => false,
    }
}

/// How converting (part of) a binary went.
enum Bin {
    /// All of it went.
    Done,
    /// It holds what is not UTF-8 (or is no binary of whole bytes).
    Rest(Rest),
    /// The budget ran out at this byte.
    Paused(usize),
}

/// Converts a binary (latin-1 bytes or UTF-8) onto `st` from byte `from`
/// on, a byte a step.
fn build_binary(
    v: &View,
    bin: Word,
    from: usize,
    latin1: bool,
    st: &mut State,
    budget: usize,
    steps: &mut usize,
) -> Bin {
    let Some(bytes) = whole_bytes(v, bin) else {
        return Bin::Rest(Rest::Term(bin));
    };
    let room = budget.saturating_sub(*steps);
    if latin1 {
        let to = bytes.len().min(from.saturating_add(room));
        for &b in &bytes[from..to] {
            push_char(st, i64::from(b), true);
        }
        *steps += to - from;
        return if to < bytes.len() {
            Bin::Paused(to)
        } else {
            Bin::Done
        };
    }
    let mut i = from;
    if from == 0 && !st.leftover.is_empty() {
        let need = sequence_len(st.leftover[0]).unwrap_or(1);
        let missing = need - st.leftover.len();
        if bytes.len() < missing {
            st.leftover.extend_from_slice(bytes);
            return Bin::Done;
        }
        let mut seq = st.leftover.clone();
        seq.extend_from_slice(&bytes[..missing]);
        if !valid_sequence(&seq) {
            // The sequence is bad: this binary is the rest (the bytes
            // before it stay pending too).
            return Bin::Rest(Rest::From(bin, 0));
        }
        st.out.extend_from_slice(&seq);
        st.chars += 1;
        st.leftover.clear();
        i = missing;
    }
    let stop = i.saturating_add(room);
    while i < bytes.len() {
        if i >= stop {
            *steps += i - from;
            return Bin::Paused(i);
        }
        let Some(n) = sequence_len(bytes[i]) else {
            return Bin::Rest(Rest::From(bin, i));
        };
        if bytes.len() - i < n {
            st.leftover.extend_from_slice(&bytes[i..]);
            break;
        }
        if !valid_sequence(&bytes[i..i + n]) {
            return Bin::Rest(Rest::From(bin, i));
        }
        st.out.extend_from_slice(&bytes[i..i + n]);
        st.chars += 1;
        i += n;
    }
    *steps += bytes.len() - from;
    Bin::Done
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
