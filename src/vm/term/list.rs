//! Lists of words: building one on a heap, reading one back.

use crate::vm::term::heap::{Area, View};
use crate::vm::term::word::Word;

/// A proper list of words, built on a heap.
pub fn list_of(heap: &mut Area, items: &[Word]) -> Word {
    items
        .iter()
        .rev()
        .fold(Word::NIL, |acc, w| heap.cons(0, *w, acc))
}

/// The code points of `s` as a list on a heap (a string), consed from the
/// end: no `Term` in between, which cost an allocation per character in
/// `atom_to_list/1`, `integer_to_list/1` and every stack trace's file name.
pub fn string_list(heap: &mut Area, s: &str) -> Word {
    s.chars().rev().fold(Word::NIL, |acc, ch| {
        heap.cons(
            0,
            Word::small(i64::from(u32::from(ch))).expect("a code point"),
            acc,
        )
    })
}

/// The elements of a proper list, or `None` for an improper one.
pub fn list_items(v: &View, mut l: Word) -> Option<Vec<Word>> {
    let mut out = Vec::new();
    while l.is_list() {
        let (h, t) = v.cons(l);
        out.push(h);
        l = t;
    }
    (l == Word::NIL).then_some(out)
}

/// A proper list of code points as a string.
pub fn string_of(v: &View, l: Word) -> Option<String> {
    list_items(v, l)?
        .into_iter()
        .map(|c| c.as_small().and_then(|c| char::from_u32(c as u32)))
        .collect()
}
