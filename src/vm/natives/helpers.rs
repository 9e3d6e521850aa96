//! Helpers several native files share. They import nothing from the native
//! files, which import them (and `bits`, `sys`) and nothing of each other.

use num_bigint::BigInt;

use crate::vm::native::{Ctx, NativeResult, error};
use crate::vm::term::atoms::atom;
use crate::vm::term::maps;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// An integer result: a small when it fits, else a bignum.
pub(crate) fn int_word(c: &mut Ctx, v: i128) -> Word {
    match i64::try_from(v).ok().and_then(Word::small) {
        Some(w) => w,
        None => c.heap.integer(0, &BigInt::from(v)),
    }
}

/// An integer of any size, or `None` for anything else.
pub(crate) fn integer_of(c: &Ctx, w: Word) -> Option<BigInt> {
    crate::vm::term::compare::number(&c.view(), w).and_then(|n| crate::vm::ops::arith::to_big(&n))
}

/// A string (list of code points) on the heap.
pub(crate) fn string_list(c: &mut Ctx, s: &str) -> Word {
    crate::vm::term::list::string_list(c.heap, s)
}

/// Raises `{badmap, M}`.
pub(crate) fn badmap(c: &mut Ctx, m: Word) -> NativeResult {
    error(c.heap.tuple(0, &[Word::atom(atom::BADMAP), m]))
}

/// `maps:get/2` (and `erlang:map_get/2`): the value of key `k` in map `m`,
/// `{badmap, M}` or `{badkey, K}`.
pub(crate) fn maps_get(c: &mut Ctx, m: Word, k: Word) -> NativeResult {
    let v = c.view();
    if !maps::is_map(&v, m) {
        return badmap(c, m);
    }
    match maps::get(&v, c.atoms, m, k) {
        Some(x) => Value(x),
        None => error(c.heap.tuple(0, &[Word::atom(atom::BADKEY), k])),
    }
}

/// `badarg` whose `error_info` names the module that explains it and,
/// when given, the cause: the map rides in the exception's trace slot until
/// the run loop moves it to the failing BIF's frame.
pub(crate) fn badarg_info(c: &mut Ctx, module: &str, cause: Option<&str>) -> NativeResult {
    let mut keys = vec![];
    let mut vals = vec![];
    if let Some(cause) = cause {
        keys.push(Word::atom(c.atoms.intern("cause")));
        vals.push(Word::atom(c.atoms.intern(cause)));
    }
    keys.push(Word::atom(c.atoms.intern("module")));
    vals.push(Word::atom(c.atoms.intern(module)));
    let map = c.heap.map(0, &keys, &vals);
    NativeResult::Error(crate::vm::term::exception::Exception {
        class: atom::ERROR,
        reason: Word::atom(atom::BADARG),
        trace: map,
    })
}
