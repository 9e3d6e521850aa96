//! The `lists` functions OTP implements as BIFs.

use std::cmp::Ordering;

use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::term::compare::{self};
use crate::vm::term::list::list_items;
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

fn keyfind(c: &mut Ctx, a: &[Word]) -> Result<Option<Word>, ()> {
    let v = c.view();
    let n = a[1].as_small().filter(|n| *n >= 1).ok_or(())? as usize;
    let items = list_items(&v, a[2]).ok_or(())?;
    Ok(items.into_iter().find(|t| {
        v.tuple(*t).is_some_and(|e| {
            e.len() >= n && compare::compare(&v, c.atoms, Word(e[n - 1]), a[0]) == Ordering::Equal
        })
    }))
}

fn reverse_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match list_items(&c.view(), a[0]) {
        Some(items) => Value(items.iter().fold(a[1], |acc, h| c.heap.cons(0, *h, acc))),
        None => badarg(),
    }
}

fn member_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    match list_items(&v, a[1]) {
        Some(items) => boolean(
            items
                .iter()
                .any(|x| compare::exact_eq(&v, c.atoms, *x, a[0])),
        ),
        None => badarg(),
    }
}

fn keyfind_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match keyfind(c, a) {
        Ok(Some(t)) => Value(t),
        Ok(None) => boolean(false),
        Err(()) => badarg(),
    }
}

fn keymember_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match keyfind(c, a) {
        Ok(found) => boolean(found.is_some()),
        Err(()) => badarg(),
    }
}

fn keysearch_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match keyfind(c, a) {
        Ok(Some(t)) => Value(c.heap.tuple(0, &[Word::atom(c.atoms.intern("value")), t])),
        Ok(None) => boolean(false),
        Err(()) => badarg(),
    }
}
