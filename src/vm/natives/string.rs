//! The `string` functions LAM implements natively.

use num_bigint::BigInt;

use crate::vm::native::{Ctx, Native, NativeResult};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `string` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("string", "list_to_integer", 1, list_to_integer_1),
    Native::heap("string", "list_to_float", 1, list_to_float_1),
];

/// `{error, Why}`, as the string conversions answer bad input.
fn conversion_error(c: &mut Ctx, why: &str) -> NativeResult {
    let e = Word::atom(c.atoms.intern("error"));
    let r = Word::atom(c.atoms.intern(why));
    Value(c.heap.tuple(0, &[e, r]))
}

/// The characters a list starts with (up to its first element that is not
/// one, or its end), and the list from each of them on: the rest after
/// `n` characters is `cells[n]`, whatever the list holds from there.
fn leading_text(c: &Ctx, mut w: Word) -> (String, Vec<Word>) {
    let v = c.view();
    let (mut text, mut cells) = (String::new(), Vec::new());
    while w.is_list() {
        let (h, t) = v.cons(w);
        let Some(ch) = h
            .as_small()
            .and_then(|i| u32::try_from(i).ok())
            .and_then(char::from_u32)
        else {
            break;
        };
        text.push(ch);
        cells.push(w);
        w = t;
    }
    cells.push(w);
    (text, cells)
}

/// `{Number, Rest}` for the longest prefix `parse` reads (its length in
/// characters), or `{error, Missing}`; `{error, not_a_list}` for a
/// non-list.
fn convert(
    c: &mut Ctx,
    w: Word,
    missing: &str,
    parse: impl Fn(&mut Ctx, &str) -> Option<(Word, usize)>,
) -> NativeResult {
    if !(w.is_list() || w == Word::NIL) {
        return conversion_error(c, "not_a_list");
    }
    let (text, cells) = leading_text(c, w);
    match parse(c, &text) {
        Some((n, used)) => Value(c.heap.tuple(0, &[n, cells[used]])),
        None => conversion_error(c, missing),
    }
}

fn list_to_integer_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    convert(c, a[0], "no_integer", |c, s| {
        let end = s
            .char_indices()
            .find(|&(i, ch)| !(ch.is_ascii_digit() || (i == 0 && (ch == '-' || ch == '+'))))
            .map_or(s.len(), |(i, _)| i);
        let n = s[..end].parse::<BigInt>().ok()?;
        Some((c.heap.integer(0, &n), end))
    })
}

/// The length of the longest prefix of `s` that is an Erlang float:
/// `[+-]digits.digits`, then an exponent `[eE][+-]digits` if whole.
fn float_prefix(s: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        s[from.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let int = digits(i);
    if int == 0 || s.get(i + int) != Some(&b'.') {
        return None;
    }
    i += int + 1;
    let frac = digits(i);
    if frac == 0 {
        return None;
    }
    i += frac;
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(i + 1), Some(b'+' | b'-')));
        let exp = digits(i + 1 + sign);
        if exp > 0 {
            i += 1 + sign + exp;
        }
    }
    Some(i)
}

fn list_to_float_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    convert(c, a[0], "no_float", |c, s| {
        // ASCII up to the end of the prefix, so bytes count characters.
        let end = float_prefix(s.as_bytes())?;
        Some((c.heap.float(0, s[..end].parse().ok()?), end))
    })
}
