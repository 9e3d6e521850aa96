//! The `lists` functions OTP implements as BIFs, and the list walk that
//! they and `length/1` share: it charges a reduction for every
//! [`CELLS_PER_REDUCTION`] cells and, when the slice runs out mid-list,
//! yields and goes on from the same cell in the process's next slice.

use std::cmp::Ordering;

use crate::vm::native::{CELLS_PER_REDUCTION, Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::term::compare::{self};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `lists` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("lists", "reverse", 2, reverse_2),
    Native::heap("lists", "member", 2, member_2),
    Native::heap("lists", "keyfind", 3, keyfind_3),
    Native::heap("lists", "keymember", 3, keymember_3),
    Native::heap("lists", "keysearch", 3, keysearch_3),
];

/// How a [`walk`] ended.
pub(crate) enum Walked {
    /// At the end of the list: `words[0]` is its tail (`[]` if proper).
    End,
    /// The visitor stopped it at a cell.
    Stopped,
}

/// Walks the list in `words[0]`, calling `visit` on each head (with the
/// words and count, which it may change) until it returns true or the list
/// ends. `start` gives the words and count of a fresh call; a call made
/// again after a yield starts from where `native` on `args` stopped. When
/// the slice runs out first, the walk saves its state and `Err` is the
/// `Retry` the native returns.
pub(crate) fn walk(
    c: &mut Ctx,
    native: &'static str,
    args: &[Word],
    start: impl FnOnce() -> (Vec<Word>, usize),
    mut visit: impl FnMut(&mut Ctx, Word, &mut [Word], &mut usize) -> bool,
) -> Result<(Walked, Vec<Word>, usize), NativeResult> {
    let (mut words, mut count) = match c.resume(native, args) {
        Some(t) => (t.words, t.count),
        None => start(),
    };
    let room = c.room(CELLS_PER_REDUCTION);
    let mut cells = 0;
    let how = loop {
        let l = words[0];
        if !l.is_list() {
            break Walked::End;
        }
        if cells == room {
            c.charge(cells, CELLS_PER_REDUCTION);
            return Err(c.trap(native, args, words, count));
        }
        let (h, t) = c.view().cons(l);
        words[0] = t;
        cells += 1;
        if visit(c, h, &mut words, &mut count) {
            break Walked::Stopped;
        }
    };
    c.charge(cells, CELLS_PER_REDUCTION);
    Ok((how, words, count))
}

/// `lists:keyfind/3` and its kin, as `native`: the tuple found, if any.
fn keyfind(c: &mut Ctx, native: &'static str, a: &[Word]) -> Result<Option<Word>, NativeResult> {
    let n = match a[1].as_small() {
        Some(n) if n >= 1 => n as usize,
        _ => return Err(badarg()),
    };
    let key = a[0];
    let start = || (vec![a[2], Word::NIL], 0);
    let visit = |c: &mut Ctx, h: Word, w: &mut [Word], _: &mut usize| {
        let v = c.view();
        let hit = v.tuple(h).is_some_and(|e| {
            e.len() >= n && compare::compare(&v, c.atoms, Word(e[n - 1]), key) == Ordering::Equal
        });
        if hit {
            w[1] = h;
        }
        hit
    };
    match walk(c, native, a, start, visit)? {
        (Walked::Stopped, w, _) => Ok(Some(w[1])),
        (Walked::End, w, _) if w[0] == Word::NIL => Ok(None),
        _ => Err(badarg()),
    }
}

fn reverse_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let start = || (vec![a[0], a[1]], 0);
    let visit = |c: &mut Ctx, h: Word, w: &mut [Word], _: &mut usize| {
        w[1] = c.heap.cons(0, h, w[1]);
        false
    };
    match walk(c, "lists:reverse/2", a, start, visit) {
        Ok((_, w, _)) if w[0] == Word::NIL => Value(w[1]),
        Ok(_) => badarg(),
        Err(r) => r,
    }
}

fn member_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let x = a[0];
    let start = || (vec![a[1]], 0);
    let visit = |c: &mut Ctx, h: Word, _: &mut [Word], _: &mut usize| {
        compare::exact_eq(&c.view(), c.atoms, h, x)
    };
    match walk(c, "lists:member/2", a, start, visit) {
        Ok((Walked::Stopped, ..)) => boolean(true),
        Ok((Walked::End, w, _)) if w[0] == Word::NIL => boolean(false),
        Ok(_) => badarg(),
        Err(r) => r,
    }
}

fn keyfind_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match keyfind(c, "lists:keyfind/3", a) {
        Ok(Some(t)) => Value(t),
        Ok(None) => boolean(false),
        Err(r) => r,
    }
}

fn keymember_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match keyfind(c, "lists:keymember/3", a) {
        Ok(found) => boolean(found.is_some()),
        Err(r) => r,
    }
}

fn keysearch_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match keyfind(c, "lists:keysearch/3", a) {
        Ok(Some(t)) => Value(c.heap.tuple(0, &[Word::atom(c.atoms.intern("value")), t])),
        Ok(None) => boolean(false),
        Err(r) => r,
    }
}

/// `length/1`.
pub(crate) fn length_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let start = || (vec![a[0]], 0);
    let visit = |_: &mut Ctx, _: Word, _: &mut [Word], n: &mut usize| {
        *n += 1;
        false
    };
    match walk(c, "erlang:length/1", a, start, visit) {
        Ok((_, w, n)) if w[0] == Word::NIL => Value(crate::vm::native::small(n)),
        Ok(_) => badarg(),
        Err(r) => r,
    }
}
