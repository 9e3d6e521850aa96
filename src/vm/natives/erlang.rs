//! The `erlang` module's natives for terms: arithmetic, comparisons and
//! boolean operators, type tests and the other guard BIFs, tuples, lists,
//! exceptions, the process dictionary and hashing.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_traits::Zero;

use crate::vm::native::{
    CELLS_PER_REDUCTION, Ctx, Native, NativeResult, badarg, boolean, error, small,
};
use crate::vm::natives::helpers::{badmap, integer_of, maps_get};
use crate::vm::ops::arith::{ArithOp, arith, big_reductions, to_big, to_f64};
use crate::vm::ops::test::{TestOp, test};
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::bits::bitstring;
use crate::vm::term::compare::{self, Num, number};
use crate::vm::term::exception::Exception;
use crate::vm::term::hash;
use crate::vm::term::heap::{MAX_TUPLE, View};
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::maps;
use crate::vm::term::word::{Ptr, Word};

use NativeResult::{Error as Err_, Value};

/// The `erlang` natives for terms.
pub const NATIVES: &[Native] = &[
    Native::heap("erlang", "+", 2, plus_2),
    Native::heap("erlang", "-", 2, minus_2),
    Native::heap("erlang", "*", 2, times_2),
    Native::heap("erlang", "/", 2, divide_2),
    Native::heap("erlang", "div", 2, div_2),
    Native::heap("erlang", "rem", 2, rem_2),
    Native::heap("erlang", "band", 2, band_2),
    Native::heap("erlang", "bor", 2, bor_2),
    Native::heap("erlang", "bxor", 2, bxor_2),
    Native::heap("erlang", "bsl", 2, bsl_2),
    Native::heap("erlang", "bsr", 2, bsr_2),
    Native::heap("erlang", "-", 1, minus_1),
    Native::heap("erlang", "+", 1, plus_1),
    Native::heap("erlang", "bnot", 1, bnot_1),
    Native::heap("erlang", "abs", 1, abs_1),
    Native::heap("erlang", "float", 1, float_1),
    Native::heap("erlang", "trunc", 1, trunc_1),
    Native::heap("erlang", "round", 1, round_1),
    Native::heap("erlang", "floor", 1, floor_1),
    Native::heap("erlang", "ceil", 1, ceil_1),
    Native::heap("erlang", "==", 2, eq_2),
    Native::heap("erlang", "/=", 2, ne_2),
    Native::heap("erlang", "<", 2, lt_2),
    Native::heap("erlang", ">", 2, gt_2),
    Native::heap("erlang", "=<", 2, le_2),
    Native::heap("erlang", ">=", 2, ge_2),
    Native::heap("erlang", "=:=", 2, exact_eq_2),
    Native::heap("erlang", "=/=", 2, exact_ne_2),
    Native::heap("erlang", "not", 1, not_1),
    Native::heap("erlang", "and", 2, and_2),
    Native::heap("erlang", "or", 2, or_2),
    Native::heap("erlang", "xor", 2, xor_2),
    Native::heap("erlang", "is_atom", 1, is_atom_1),
    Native::heap("erlang", "is_binary", 1, is_binary_1),
    Native::heap("erlang", "is_bitstring", 1, is_bitstring_1),
    Native::heap("erlang", "is_boolean", 1, is_boolean_1),
    Native::heap("erlang", "is_float", 1, is_float_1),
    Native::heap("erlang", "is_function", 1, is_function_1),
    Native::heap("erlang", "is_integer", 1, is_integer_1),
    Native::heap("erlang", "is_list", 1, is_list_1),
    Native::heap("erlang", "is_map", 1, is_map_1),
    Native::heap("erlang", "is_number", 1, is_number_1),
    Native::heap("erlang", "is_pid", 1, is_pid_1),
    Native::heap("erlang", "is_port", 1, is_port_1),
    Native::heap("erlang", "is_reference", 1, is_reference_1),
    Native::heap("erlang", "is_tuple", 1, is_tuple_1),
    Native::heap("erlang", "element", 2, element_2),
    Native::heap("erlang", "setelement", 3, setelement_3),
    Native::heap("erlang", "tuple_size", 1, tuple_size_1),
    Native::heap("erlang", "size", 1, size_1),
    Native::heap("erlang", "byte_size", 1, byte_size_1),
    Native::heap("erlang", "map_size", 1, map_size_1),
    Native::heap("erlang", "map_get", 2, map_get_2),
    Native::heap("erlang", "is_map_key", 2, is_map_key_2),
    Native::heap("erlang", "make_tuple", 2, make_tuple_2),
    Native::heap("erlang", "tuple_to_list", 1, tuple_to_list_1),
    Native::heap("erlang", "list_to_tuple", 1, list_to_tuple_1),
    Native::heap("erlang", "hd", 1, hd_1),
    Native::heap("erlang", "tl", 1, tl_1),
    Native::heap("erlang", "length", 1, super::lists::length_1),
    Native::heap("erlang", "++", 2, plus_plus_2),
    Native::heap("erlang", "--", 2, minus_minus_2),
    Native::heap("erlang", "error", 1, error_1).raises(),
    Native::heap("erlang", "error", 2, error_2).raises(),
    Native::heap("erlang", "error", 3, error_3).raises(),
    Native::heap("erlang", "throw", 1, throw_1).raises(),
    Native::heap("erlang", "exit", 1, exit_1).raises(),
    Native::heap("erlang", "raise", 3, raise_3).raises(),
    Native::heap("erlang", "apply", 3, apply_3).raises(),
    Native::heap("erlang", "put", 2, put_2),
    Native::heap("erlang", "get", 1, get_1),
    Native::heap("erlang", "erase", 1, erase_1),
    Native::heap("erlang", "min", 2, min_2),
    Native::heap("erlang", "max", 2, max_2),
    Native::heap("erlang", "get", 0, get_0),
    Native::heap("erlang", "get_keys", 0, get_keys_0),
    Native::heap("erlang", "append_element", 2, append_element_2),
    Native::heap("erlang", "delete_element", 2, delete_element_2),
    Native::heap("erlang", "insert_element", 3, insert_element_3),
    Native::heap("erlang", "phash", 2, phash_2),
    Native::heap("erlang", "phash2", 1, phash2_1),
    Native::heap("erlang", "phash2", 2, phash2_2),
    Native::heap("erlang", "nif_error", 1, nif_error_1).raises(),
    Native::heap("erlang", "bit_size", 1, bit_size_1),
    Native::heap("erlang", "subtract", 2, subtract_2),
    Native::heap("erlang", "append", 2, append_2),
    Native::heap("erlang", "is_function", 2, is_function_2),
    Native::heap("erlang", "is_record", 2, is_record_2),
    Native::heap("erlang", "is_record", 3, is_record_3),
    Native::heap("erlang", "make_tuple", 3, make_tuple_3),
    Native::heap("erlang", "get_keys", 1, get_keys_1),
    Native::heap("erlang", "erase", 0, erase_0),
    Native::heap("erlang", "nif_error", 2, nif_error_2).raises(),
];

fn cmp_native(c: &mut Ctx, a: &[Word], f: fn(Ordering) -> bool) -> NativeResult {
    boolean(f(compare::compare(&c.view(), c.atoms, a[0], a[1])))
}

fn arith_native(c: &mut Ctx, a: &[Word], op: ArithOp) -> NativeResult {
    let r = arith(c.heap, c.literals, op, a[0], a[1]);
    let extra = big_reductions(&c.view(), op, a[0], a[1], r.as_ref().ok().copied());
    c.charge(extra as usize, 1);
    match r {
        Ok(w) => Value(w),
        Err(e) => Err_(e),
    }
}

pub(crate) fn test_native(c: &mut Ctx, a: &[Word], name: &str) -> NativeResult {
    let op = TestOp::from_name(name).expect("a test kind");
    boolean(test(&c.view(), c.atoms, op, a))
}

fn bool_op(a: &[Word], f: fn(bool, bool) -> bool) -> NativeResult {
    let b = |w: Word| match w.as_atom() {
        Some(atom::TRUE) => Some(true),
        Some(atom::FALSE) => Some(false),
        _ => None,
    };
    match (b(a[0]), b(a[1])) {
        (Some(x), Some(y)) => boolean(f(x, y)),
        _ => badarg(),
    }
}

fn float_to_int(c: &mut Ctx, w: Word, f: fn(f64) -> f64) -> NativeResult {
    match number(&c.view(), w) {
        Some(Num::Float(x)) => match num_traits::FromPrimitive::from_f64(f(x)) {
            Some(b) => Value(c.heap.integer(0, &b)),
            None => badarg(),
        },
        Some(_) => Value(w),
        None => badarg(),
    }
}

/// A hash range of `phash/2` and `phash2/2`: an integer in 1..=2^32.
fn hash_range(range: Word) -> Option<u64> {
    range
        .as_small()
        .filter(|r| (1..=1 << 32).contains(r))
        .map(|r| r as u64)
}

/// A term's portable hash (`hash` is `hash::phash` or `hash::phash2`),
/// local funs identified by their module, old index and old unique number.
fn portable_hash(
    c: &Ctx,
    term: Word,
    hash: fn(&View, &Atoms, hash::FunIdentity, Word) -> u32,
) -> u64 {
    let funs = |mid: u32, idx: u32| c.code.lambda(mid, idx).map(|l| (l.module, idx, l.uniq));
    u64::from(hash(&c.view(), c.atoms, &funs, term))
}

fn make_tuple3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let (Some(n), Some(inits)) = (a[0].as_small(), list_items(&v, a[2])) else {
        return badarg();
    };
    if n < 0 || n as usize > MAX_TUPLE {
        return badarg();
    }
    let mut elems = vec![a[1]; n as usize];
    for i in inits {
        match v.tuple(i) {
            Some([p, x]) => match Word(*p).as_small() {
                Some(p) if p >= 1 && p <= n => elems[p as usize - 1] = Word(*x),
                _ => return badarg(),
            },
            _ => return badarg(),
        }
    }
    Value(c.heap.tuple(0, &elems))
}

fn is_record(c: &mut Ctx, t: Word, tag: Word, size: Option<Word>) -> NativeResult {
    if tag.as_atom().is_none() || size.is_some_and(|s| s.as_small().is_none()) {
        return badarg();
    }
    let v = c.view();
    boolean(v.tuple(t).is_some_and(|x| {
        !x.is_empty()
            && Word(x[0]) == tag
            && size.is_none_or(|s| s.as_small() == Some(x.len() as i64))
    }))
}

fn get_keys1(c: &mut Ctx, val: Word) -> NativeResult {
    let v = c.view();
    let ks: Vec<Word> = c
        .dict
        .entries()
        .filter(|e| compare::exact_eq(&v, c.atoms, e.value, val))
        .map(|e| e.key)
        .collect();
    Value(list_of(c.heap, &ks))
}

fn plus_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Add)
}

fn minus_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Sub)
}

fn times_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Mul)
}

fn divide_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Div)
}

fn div_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::IDiv)
}

fn rem_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Rem)
}

fn band_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Band)
}

fn bor_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Bor)
}

fn bxor_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Bxor)
}

fn bsl_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Bsl)
}

fn bsr_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, a, ArithOp::Bsr)
}

/// A float is negated (-(0.0) is -0.0); an integer is subtracted from 0.
fn minus_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().float(a[0]) {
        Some(f) => Value(c.heap.float(0, -f)),
        None => arith_native(c, &[Word::small(0).expect("0"), a[0]], ArithOp::Sub),
    }
}

fn plus_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if number(&c.view(), a[0]).is_some() {
        Value(a[0])
    } else {
        error(Word::atom(atom::BADARITH))
    }
}

fn bnot_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    arith_native(c, &[a[0], Word::small(-1).expect("-1")], ArithOp::Bxor)
}

fn abs_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match number(&c.view(), a[0]) {
        // erl keeps the sign of -0.0 (it is not below zero).
        Some(Num::Float(f)) => Value(c.heap.float(0, if f < 0.0 { -f } else { f })),
        Some(n) => {
            let b = to_big(&n).expect("int");
            Value(c.heap.integer(0, &if b < BigInt::zero() { -b } else { b }))
        }
        None => badarg(),
    }
}

fn float_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match number(&c.view(), a[0]).as_ref().and_then(to_f64) {
        Some(f) => Value(c.heap.float(0, f)),
        None => badarg(),
    }
}

fn trunc_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    float_to_int(c, a[0], f64::trunc)
}

fn round_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    float_to_int(c, a[0], f64::round)
}

fn floor_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    float_to_int(c, a[0], f64::floor)
}

fn ceil_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    float_to_int(c, a[0], f64::ceil)
}

fn eq_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    cmp_native(c, a, |o| o == Ordering::Equal)
}

fn ne_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    cmp_native(c, a, |o| o != Ordering::Equal)
}

fn lt_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    cmp_native(c, a, |o| o == Ordering::Less)
}

fn gt_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    cmp_native(c, a, |o| o == Ordering::Greater)
}

fn le_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    cmp_native(c, a, |o| o != Ordering::Greater)
}

fn ge_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    cmp_native(c, a, |o| o != Ordering::Less)
}

fn exact_eq_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    boolean(compare::exact_eq(&c.view(), c.atoms, a[0], a[1]))
}

fn exact_ne_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    boolean(!compare::exact_eq(&c.view(), c.atoms, a[0], a[1]))
}

fn not_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_atom() {
        Some(atom::TRUE) => boolean(false),
        Some(atom::FALSE) => boolean(true),
        _ => badarg(),
    }
}

fn and_2(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    bool_op(a, |x, y| x && y)
}

fn or_2(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    bool_op(a, |x, y| x || y)
}

fn xor_2(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    bool_op(a, |x, y| x ^ y)
}

fn is_atom_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_atom")
}

fn is_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_binary")
}

fn is_bitstring_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_bitstring")
}

fn is_boolean_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_boolean")
}

fn is_float_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_float")
}

fn is_function_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_function")
}

fn is_integer_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_integer")
}

fn is_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_list")
}

fn is_map_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_map")
}

fn is_number_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_number")
}

fn is_pid_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_pid")
}

fn is_port_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_port")
}

fn is_reference_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_reference")
}

fn is_tuple_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    test_native(c, a, "is_tuple")
}

fn element_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    match (a[0].as_small(), v.tuple(a[1])) {
        (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() => Value(Word(t[i as usize - 1])),
        _ => badarg(),
    }
}

fn setelement_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    match (a[0].as_small(), v.tuple(a[1])) {
        // The copy goes straight onto the heap (header and all, from
        // whichever area holds the tuple), with no vector in between:
        // `array:set` does this at every step (orbit's tables).
        (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() => {
            let n = t.len();
            let from = a[1].ptr();
            let to = c.heap.words.len();
            if from.area == 0 {
                c.heap
                    .words
                    .extend_from_within(from.offset..from.offset + 1 + n);
            } else {
                let lit = &c.literals[from.area as usize - 1].words;
                c.heap
                    .words
                    .extend_from_slice(&lit[from.offset..from.offset + 1 + n]);
            }
            c.heap.words[to + i as usize] = a[2].0;
            Value(Word::boxed(crate::vm::term::word::Ptr {
                area: 0,
                offset: to,
            }))
        }
        _ => badarg(),
    }
}

fn tuple_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().tuple(a[0]) {
        Some(t) => Value(small(t.len())),
        None => badarg(),
    }
}

/// Of a bitstring, its whole bytes (byte_size/1 counts a partial one).
fn size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    match (v.tuple(a[0]), bitstring(&v, a[0])) {
        (Some(t), _) => Value(small(t.len())),
        (_, Some((_, bits))) => Value(small(bits / 8)),
        _ => badarg(),
    }
}

fn byte_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().bits(a[0]) {
        Some((b, _)) => Value(small(b.len())),
        None => badarg(),
    }
}

fn map_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match maps::size(&c.view(), a[0]) {
        Some(n) => Value(small(n)),
        None => badmap(c, a[0]),
    }
}

fn map_get_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    maps_get(c, a[1], a[0])
}

fn is_map_key_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    if !maps::is_map(&v, a[1]) {
        return badmap(c, a[1]);
    }
    boolean(maps::get(&v, c.atoms, a[1], a[0]).is_some())
}

fn make_tuple_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small() {
        Some(n) if n >= 0 && n as usize <= MAX_TUPLE => {
            Value(c.heap.tuple(0, &vec![a[1]; n as usize]))
        }
        _ => badarg(),
    }
}

fn tuple_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().tuple(a[0]) {
        Some(t) => {
            let t: Vec<Word> = t.iter().map(|w| Word(*w)).collect();
            Value(list_of(c.heap, &t))
        }
        None => badarg(),
    }
}

fn list_to_tuple_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match list_items(&c.view(), a[0]) {
        Some(items) if items.len() <= MAX_TUPLE => Value(c.heap.tuple(0, &items)),
        _ => badarg(),
    }
}

fn hd_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[0].is_list() {
        Value(c.view().cons(a[0]).0)
    } else {
        badarg()
    }
}

fn tl_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[0].is_list() {
        Value(c.view().cons(a[0]).1)
    } else {
        badarg()
    }
}

fn plus_plus_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if let Some(t) = c.resume(APPEND, a) {
        return append_from_end(c, a, t.words);
    }
    // Counted (and checked proper) first, then copied as one run of cells,
    // each pointing at the next: no vector of the elements on the side.
    let mut n = 0;
    let mut l = a[0];
    while l.is_list() {
        n += 1;
        l = c.view().cons(l).1;
    }
    c.charge(n, CELLS_PER_REDUCTION);
    if l != Word::NIL {
        return badarg();
    }
    if n == 0 {
        return Value(a[1]);
    }
    if n > c.room(CELLS_PER_REDUCTION) {
        // Longer than the slice has room for: the elements are gathered,
        // then consed onto the right list from the end (never a cell
        // made earlier written again), a slice's worth a call.
        let Some(mut items) = list_items(&c.view(), a[0]) else {
            return badarg();
        };
        items.push(a[1]);
        return append_from_end(c, a, items);
    }
    if let Err(r) = c.reserve_words(n.saturating_mul(2)) {
        return r;
    }
    let base = c.heap.words.len();
    let mut l = a[0];
    for i in 1..=n {
        let (h, t) = c.view().cons(l);
        let next = if i == n {
            a[1]
        } else {
            Word::list(Ptr {
                area: 0,
                offset: base + 2 * i,
            })
        };
        c.heap.words.extend([h.0, next.0]);
        l = t;
    }
    Value(Word::list(Ptr {
        area: 0,
        offset: base,
    }))
}

/// `--` removes, for each element of the right list in turn, its first
/// occurrence in the left one, a slice's worth of comparisons a call: it
/// yields with what is left of the left list and the right list's cell
/// it is at as the trap's words, and where that element's scan stopped
/// as its state.
/// `++` as its trap names it.
const APPEND: &str = "erlang:++/2";

/// `++` on a long list, a slice at a time: `words` are the elements still
/// to cons, then the list built so far (the trap's words when it yields).
fn append_from_end(c: &mut Ctx, a: &[Word], mut words: Vec<Word>) -> NativeResult {
    let mut acc = words.pop().unwrap_or(Word::NIL);
    let k = words.len().min(c.room(CELLS_PER_REDUCTION));
    if let Err(r) = c.reserve_words(k.saturating_mul(2)) {
        return r;
    }
    for h in words.drain(words.len() - k..).rev() {
        acc = c.heap.cons(0, h, acc);
    }
    c.charge(k, CELLS_PER_REDUCTION);
    if words.is_empty() {
        return Value(acc);
    }
    words.push(acc);
    c.trap(APPEND, a, words, 0)
}

fn minus_minus_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    const NATIVE: &str = "erlang:--/2";
    let saved = c.resume(NATIVE, a).map(|t| {
        let from = t
            .state
            .and_then(|s| s.downcast::<usize>().ok())
            .map_or(0, |b| *b);
        (t.words, from)
    });
    // Every comparison made is work charged for, as is every cell.
    let (mut xs, mut cursor, mut from, mut work) = match saved {
        Some((mut words, from)) => {
            let cursor = words.pop().unwrap_or(Word::NIL);
            (words, cursor, from, 0)
        }
        None => {
            let v = c.view();
            let (Some(xs), Some(ys)) = (list_items(&v, a[0]), list_items(&v, a[1])) else {
                return badarg();
            };
            let work = xs.len() + ys.len();
            (xs, a[1], 0, work)
        }
    };
    let room = c.room(CELLS_PER_REDUCTION);
    let v = c.view();
    while cursor.is_list() {
        let (y, rest) = v.cons(cursor);
        let mut at = from;
        let found = loop {
            if at == xs.len() {
                break false;
            }
            if compare::exact_eq(&v, c.atoms, xs[at], y) {
                break true;
            }
            work += 1;
            at += 1;
            if work >= room && at < xs.len() {
                // The slice is used up in the middle of this element's scan.
                c.charge(work, CELLS_PER_REDUCTION);
                xs.push(cursor);
                return c.trap_state(NATIVE, a, xs, Box::new(at));
            }
        };
        work += 1;
        if found {
            xs.remove(at);
        }
        cursor = rest;
        from = 0;
        if cursor.is_list() && work >= room {
            c.charge(work, CELLS_PER_REDUCTION);
            xs.push(cursor);
            return c.trap_state(NATIVE, a, xs, Box::new(0usize));
        }
    }
    c.charge(work, CELLS_PER_REDUCTION);
    if let Err(r) = c.reserve_words(xs.len().saturating_mul(2)) {
        return r;
    }
    Value(list_of(c.heap, &xs))
}

fn error_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    error(a[0])
}

fn error_2(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    error(a[0])
}

fn error_3(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    error(a[0])
}

fn throw_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    Err_(Exception {
        class: atom::THROW,
        reason: a[0],
        trace: Word::NONE,
    })
}

fn exit_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    Err_(Exception {
        class: atom::EXIT,
        reason: a[0],
        trace: Word::NONE,
    })
}

fn raise_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let class = match a[0].as_atom() {
        Some(cl @ (atom::ERROR | atom::EXIT | atom::THROW)) => cl,
        // An invalid class raises nothing: raise/3 returns badarg.
        _ => return Value(Word::atom(atom::BADARG)),
    };
    // An empty trace, which the compiler gives a `throw` whose trace no
    // handler reads: nothing to check or cut.
    let given = if a[2] == Word::NIL {
        Some(Word::NIL)
    } else {
        raised_trace(c, a[2])
    };
    match given {
        Some(trace) => {
            // Cut to the VM's `backtrace_depth`, as erl does.
            let depth = c.backtrace_depth.load(std::sync::atomic::Ordering::Relaxed);
            let v = c.view();
            let items = list_items(&v, trace).unwrap_or_default();
            let trace = if items.len() > depth.max(1) {
                list_of(c.heap, &items[..depth.max(1)])
            } else {
                trace
            };
            Err_(Exception {
                class,
                reason: a[1],
                trace,
            })
        }
        // So does a stack trace erl would not have made.
        None => Value(Word::atom(atom::BADARG)),
    }
}

/// The stack trace `raise/3` raises with, if `t` is one erl accepts: a
/// proper list of `{M, F, ArityOrArgs, Location}`, `{Fun, Args, Location}`,
/// or the older `{M, F, ArityOrArgs}` and `{Fun, Args}`, which get an empty
/// location, as erl gives them (a location is a list; the arity is not
/// checked).
fn raised_trace(c: &mut Ctx, t: Word) -> Option<Word> {
    let v = c.view();
    let entries = list_items(&v, t)?;
    let is_fun = |w: Word| test(&v, c.atoms, TestOp::IsFunction, &[w]);
    let is_location = |w: Word| w == Word::NIL || w.is_list();
    let mut completed = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let fields = v.tuple(*e).filter(|f| !f.is_empty())?;
        let (x, y) = (Word(fields[0]), fields.get(1).map(|w| Word(*w)));
        match fields.len() {
            2 if is_fun(x) => completed.push((i, fields.to_vec())),
            3 if is_fun(x) => {
                if !is_location(Word(fields[2])) {
                    return None;
                }
            }
            3 if x.as_atom().is_some() && y.is_some_and(|y| y.as_atom().is_some()) => {
                completed.push((i, fields.to_vec()))
            }
            4 if x.as_atom().is_some() && y.is_some_and(|y| y.as_atom().is_some()) => {
                if !is_location(Word(fields[3])) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    if completed.is_empty() {
        return Some(t);
    }
    let mut entries = entries;
    for (i, fields) in completed {
        let mut f: Vec<Word> = fields.into_iter().map(Word).collect();
        f.push(Word::NIL);
        entries[i] = c.heap.tuple(0, &f);
    }
    Some(list_of(c.heap, &entries))
}

fn apply_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match list_items(&c.view(), a[2]) {
        Some(args) => NativeResult::Apply(a[0], a[1], args),
        None => badarg(),
    }
}

fn put_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    Value(
        c.dict
            .put(&v, c.atoms, a[0], a[1])
            .unwrap_or(Word::atom(atom::UNDEFINED)),
    )
}

fn get_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    Value(
        c.dict
            .get(&v, c.atoms, a[0])
            .unwrap_or(Word::atom(atom::UNDEFINED)),
    )
}

fn erase_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    Value(
        c.dict
            .erase(&v, c.atoms, a[0])
            .unwrap_or(Word::atom(atom::UNDEFINED)),
    )
}

fn min_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    Value(
        if compare::compare(&c.view(), c.atoms, a[1], a[0]) == Ordering::Less {
            a[1]
        } else {
            a[0]
        },
    )
}

fn max_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    Value(
        if compare::compare(&c.view(), c.atoms, a[1], a[0]) == Ordering::Greater {
            a[1]
        } else {
            a[0]
        },
    )
}

fn get_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    // A cell and a pair for each entry: as long as the program made it.
    if let Err(r) = c.reserve_words(c.dict.len().saturating_mul(5)) {
        return r;
    }
    let d = c.dict.pairs();
    let ts: Vec<Word> = d.iter().map(|(k, v)| c.heap.tuple(0, &[*k, *v])).collect();
    Value(list_of(c.heap, &ts))
}

fn get_keys_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    if let Err(r) = c.reserve_words(c.dict.len().saturating_mul(2)) {
        return r;
    }
    let ks: Vec<Word> = c.dict.entries().map(|e| e.key).collect();
    Value(list_of(c.heap, &ks))
}

fn append_element_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().tuple(a[0]) {
        Some(t) if t.len() < MAX_TUPLE => {
            let mut e: Vec<Word> = t.iter().map(|w| Word(*w)).collect();
            e.push(a[1]);
            Value(c.heap.tuple(0, &e))
        }
        _ => badarg(),
    }
}

fn delete_element_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (a[0].as_small(), c.view().tuple(a[1])) {
        (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() => {
            let mut e: Vec<Word> = t.iter().map(|w| Word(*w)).collect();
            e.remove(i as usize - 1);
            Value(c.heap.tuple(0, &e))
        }
        _ => badarg(),
    }
}

fn insert_element_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (a[0].as_small(), c.view().tuple(a[1])) {
        // No limit here: erl's insert_element makes a tuple one past it.
        (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() + 1 => {
            let mut e: Vec<Word> = t.iter().map(|w| Word(*w)).collect();
            e.insert(i as usize - 1, a[2]);
            Value(c.heap.tuple(0, &e))
        }
        _ => badarg(),
    }
}

fn phash_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(range) = hash_range(a[1]) else {
        return badarg();
    };
    let h = portable_hash(c, a[0], hash::phash);
    Value(Word::small((h % range + 1) as i64).expect("hash"))
}

fn phash2_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match phash2_in_slices(c, "erlang:phash2/1", a) {
        Ok(h) => Value(Word::small((h & ((1 << 27) - 1)) as i64).expect("hash")),
        Err(r) => r,
    }
}

fn phash2_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(range) = hash_range(a[1]) else {
        return badarg();
    };
    match phash2_in_slices(c, "erlang:phash2/2", a) {
        Ok(h) => Value(Word::small((u64::from(h) % range) as i64).expect("hash")),
        Err(r) => r,
    }
}

/// `phash2` of `args[0]` for `native`, a slice's worth of terms and list
/// cells at a time: `Err` is the `Retry` of a call that yields with the
/// hash's stack saved (its terms GC roots), to go on when made again.
fn phash2_in_slices(c: &mut Ctx, native: &'static str, args: &[Word]) -> Result<u32, NativeResult> {
    let saved = c.resume(native, args).and_then(|t| {
        let mut p = t.state?.downcast::<hash::Phash2>().ok()?;
        p.put_words(&t.words);
        Some(*p)
    });
    let mut p = saved.unwrap_or_else(|| hash::Phash2::new(args[0]));
    let budget = c.room(CELLS_PER_REDUCTION);
    let mut steps = 0;
    let done = {
        let funs = |mid: u32, idx: u32| c.code.lambda(mid, idx).map(|l| (l.module, idx, l.uniq));
        p.run(&c.view(), c.atoms, &funs, budget, &mut steps)
    };
    c.charge(steps, CELLS_PER_REDUCTION);
    match done {
        Some(h) => Ok(h),
        None => {
            let words = p.take_words();
            Err(c.trap_state(native, args, words, Box::new(p)))
        }
    }
}

fn nif_error_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    error(a[0])
}

fn bit_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    match bitstring(&v, a[0]) {
        Some((_, len)) => Value(Word::small(len as i64).expect("size")),
        None => badarg(),
    }
}

fn subtract_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    minus_minus_2(c, a)
}

fn append_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    plus_plus_2(c, a)
}

fn is_function_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[1].as_small() {
        Some(n) if n >= 0 => test_native(c, a, "is_function2"),
        // No fun takes that many arguments; only a negative arity is bad.
        None if integer_of(c, a[1]).is_some_and(|n| n.sign() == num_bigint::Sign::Plus) => {
            boolean(false)
        }
        _ => badarg(),
    }
}

fn is_record_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    is_record(c, a[0], a[1], None)
}

fn is_record_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    is_record(c, a[0], a[1], Some(a[2]))
}

fn make_tuple_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    make_tuple3(c, a)
}

fn get_keys_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    get_keys1(c, a[0])
}

fn erase_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    if let Err(r) = c.reserve_words(c.dict.len().saturating_mul(5)) {
        return r;
    }
    let d = c.dict.take();
    let ts: Vec<Word> = d.iter().map(|(k, v)| c.heap.tuple(0, &[*k, *v])).collect();
    Value(list_of(c.heap, &ts))
}

fn nif_error_2(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    NativeResult::Error(crate::vm::term::Exception::error(a[0]))
}
