//! The `maps` functions OTP implements as BIFs.

use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::helpers::{badmap, maps_get};
use crate::vm::term::atoms::atom;
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::maps;
use crate::vm::term::word::Word;

use NativeResult::{Error as Err_, Value};

/// The `maps` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("maps", "remove", 2, remove_2),
    Native::heap("maps", "take", 2, take_2),
    Native::heap("maps", "update", 3, update_3),
    Native::heap("maps", "from_keys", 2, from_keys_2),
    Native::heap("maps", "get", 2, get_2),
    Native::heap("maps", "find", 2, find_2),
    Native::heap("maps", "is_key", 2, is_key_2),
    Native::heap("maps", "put", 3, put_3),
    Native::heap("maps", "to_list", 1, to_list_1),
    Native::heap("maps", "keys", 1, keys_1),
    Native::heap("maps", "values", 1, values_1),
    Native::heap("maps", "from_list", 1, from_list_1),
    Native::heap("maps", "merge", 2, merge_2),
];

/// A map's entries in the order `maps:to_list/1` lists them, or
/// `{badmap, M}`.
fn map_entries(c: &mut Ctx, m: Word) -> Result<Vec<(Word, Word)>, NativeResult> {
    match maps::listing(&c.view(), c.atoms, m) {
        Some(e) => Ok(e),
        None => Err(badmap(c, m)),
    }
}

fn from_pairs(c: &mut Ctx, kv: &[(Word, Word)]) -> NativeResult {
    let empty = c.heap.map(0, &[], &[]);
    match maps::put(c.heap, c.literals, c.atoms, empty, kv, false) {
        Ok(w) => Value(w),
        Err(e) => Err_(e),
    }
}

fn remove_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match maps::remove(c.heap, c.literals, c.atoms, a[1], a[0]) {
        Some(m) => Value(m),
        None => badmap(c, a[1]),
    }
}

fn take_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    if !maps::is_map(&v, a[1]) {
        return badmap(c, a[1]);
    }
    match maps::get(&v, c.atoms, a[1], a[0]) {
        None => Value(Word::atom(c.atoms.intern("error"))),
        Some(x) => {
            let rest = maps::remove(c.heap, c.literals, c.atoms, a[1], a[0]).expect("a map");
            Value(c.heap.tuple(0, &[x, rest]))
        }
    }
}

fn update_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match maps::put(c.heap, c.literals, c.atoms, a[2], &[(a[0], a[1])], true) {
        Ok(w) => Value(w),
        Err(e) => Err_(e),
    }
}

fn from_keys_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match list_items(&c.view(), a[0]) {
        Some(keys) => {
            let kv: Vec<(Word, Word)> = keys.into_iter().map(|k| (k, a[1])).collect();
            from_pairs(c, &kv)
        }
        None => badarg(),
    }
}

fn get_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    maps_get(c, a[1], a[0])
}

fn find_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    if !maps::is_map(&v, a[1]) {
        return badmap(c, a[1]);
    }
    match maps::get(&v, c.atoms, a[1], a[0]) {
        Some(x) => Value(c.heap.tuple(0, &[Word::atom(atom::OK), x])),
        None => Value(Word::atom(c.atoms.intern("error"))),
    }
}

fn is_key_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    if !maps::is_map(&v, a[1]) {
        return badmap(c, a[1]);
    }
    boolean(maps::get(&v, c.atoms, a[1], a[0]).is_some())
}

fn put_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match maps::put(c.heap, c.literals, c.atoms, a[2], &[(a[0], a[1])], false) {
        Ok(w) => Value(w),
        Err(e) => Err_(e),
    }
}

fn to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match map_entries(c, a[0]) {
        Ok(e) => {
            let ts: Vec<Word> = e.iter().map(|(k, v)| c.heap.tuple(0, &[*k, *v])).collect();
            Value(list_of(c.heap, &ts))
        }
        Err(r) => r,
    }
}

fn keys_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match map_entries(c, a[0]) {
        Ok(e) => {
            let k: Vec<Word> = e.iter().map(|x| x.0).collect();
            Value(list_of(c.heap, &k))
        }
        Err(r) => r,
    }
}

fn values_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match map_entries(c, a[0]) {
        Ok(e) => {
            let v: Vec<Word> = e.iter().map(|x| x.1).collect();
            Value(list_of(c.heap, &v))
        }
        Err(r) => r,
    }
}

fn from_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let Some(items) = list_items(&v, a[0]) else {
        return badarg();
    };
    let mut kv = Vec::new();
    for it in items {
        match v.tuple(it) {
            Some([k, x]) => kv.push((Word(*k), Word(*x))),
            _ => return badarg(),
        }
    }
    // A map takes no more than four words a pair (trie nodes included).
    if let Err(r) = c.reserve_words(kv.len().saturating_mul(4)) {
        return r;
    }
    from_pairs(c, &kv)
}

fn merge_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if !maps::is_map(&c.view(), a[0]) {
        return badmap(c, a[0]);
    }
    let kv = match map_entries(c, a[1]) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let n = maps::size(&c.view(), a[0]).unwrap_or(0) + kv.len();
    if let Err(r) = c.reserve_words(n.saturating_mul(4)) {
        return r;
    }
    match maps::put(c.heap, c.literals, c.atoms, a[0], &kv, false) {
        Ok(w) => Value(w),
        Err(e) => Err_(e),
    }
}
