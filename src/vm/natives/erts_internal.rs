//! The `erts_internal` functions OTP's own modules call.

use crate::vm::native::{Ctx, Native, NativeResult, badarg, small};
use crate::vm::term::compare;
use crate::vm::term::maps;
use crate::vm::term::word::{Word, kind};

use NativeResult::Value;

/// The `erts_internal` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("erts_internal", "map_next", 3, map_next_3),
    Native::heap("erts_internal", "cmp_term", 2, cmp_term_2),
];

/// maps:next/1: the path of a flat map's iterator is the next key's position.
fn map_next_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let (Some(i), Some(n)) = (a[0].as_small(), maps::size(&v, a[1])) else {
        return badarg();
    };
    if a[2] != Word::atom(c.atoms.intern("iterator")) {
        return badarg();
    }
    let i = i as usize;
    let none = Word::atom(c.atoms.intern("none"));
    if i >= n {
        return Value(none);
    }
    if v.header(a[1]).header_kind() == kind::HMAP {
        // The whole iteration at once, {K, V, {K2, V2, ... none}}, which
        // maps:next/1 passes along as it is: a hash map has no cheap
        // position to resume from.
        let e = maps::entries(&v, c.atoms, a[1]).expect("a map");
        let mut it = none;
        for (k, x) in e[i..].iter().rev() {
            it = c.heap.tuple(0, &[*k, *x, it]);
        }
        return Value(it);
    }
    let (k, x) = maps::entries(&v, c.atoms, a[1]).expect("a map")[i];
    let next = c.heap.cons(0, small(i + 1), a[1]);
    Value(c.heap.tuple(0, &[k, x, next]))
}

/// The standard order of terms as -1, 0 or 1 (`1` and `1.0` differ, as in
/// `=:=`).
fn cmp_term_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let o = compare::cmp(&c.view(), c.atoms, a[0], a[1], true);
    Value(Word::small(o as i64).expect("-1, 0 or 1"))
}
