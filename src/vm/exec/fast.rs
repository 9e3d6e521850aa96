//! Fast paths the run loop takes before it hands an instruction to `step`:
//! tests, comparisons and `select` on the shapes real code meets nearly
//! always (immediates, floats, tuples), decided from a word or a header.
//! Each answers `None` when its shape does not apply, and the loop then
//! runs the instruction's body in `step`, which handles every case: these
//! are shortcuts, never the semantics (`ops::test` is).

use crate::vm::code::kinds::SelectKind;
use crate::vm::code::loader::GuardBif;
use crate::vm::ops::arith::{ArithOp, float_op};
use crate::vm::ops::test::TestOp;
use crate::vm::term::atoms::atom;
use crate::vm::term::heap::View;
use crate::vm::term::word::{Word, kind};

/// The header of `w` if it is boxed.
#[inline(always)]
fn header(v: &View, w: Word) -> Option<Word> {
    w.is_boxed().then(|| v.header(w))
}

/// Whether `w` is boxed with a header of kind `k`.
#[inline(always)]
fn boxed_kind(v: &View, w: Word, k: u8) -> bool {
    header(v, w).is_some_and(|h| h.header_kind() == k)
}

/// A float's value, if `w` is one.
#[inline(always)]
fn float(v: &View, w: Word) -> Option<f64> {
    v.float(w)
}

/// A small integer as an exact `f64`, if it has one: every integer of at
/// most 53 bits does, so a comparison with a float through it is exact.
#[inline(always)]
fn exact_f64(i: i64) -> Option<f64> {
    (i.unsigned_abs() <= 1 << 53).then_some(i as f64)
}

/// A type test of one argument.
#[inline(always)]
pub(crate) fn test1(v: &View, k: TestOp, x: Word) -> Option<bool> {
    use TestOp::*;
    Some(match k {
        IsNonemptyList => x.is_list(),
        IsNil => x == Word::NIL,
        IsList => x.is_list() || x == Word::NIL,
        IsAtom => x.as_atom().is_some(),
        IsBoolean => x == Word::atom(atom::TRUE) || x == Word::atom(atom::FALSE),
        IsPid => x.as_pid().is_some(),
        IsPort => x.as_port().is_some(),
        IsInteger => {
            x.as_small().is_some()
                || header(v, x)
                    .is_some_and(|h| matches!(h.header_kind(), kind::BIG_POS | kind::BIG_NEG))
        }
        IsFloat => boxed_kind(v, x, kind::FLOAT),
        IsNumber => {
            x.as_small().is_some()
                || header(v, x).is_some_and(|h| {
                    matches!(h.header_kind(), kind::FLOAT | kind::BIG_POS | kind::BIG_NEG)
                })
        }
        IsTuple => boxed_kind(v, x, kind::TUPLE),
        IsMap => header(v, x).is_some_and(|h| matches!(h.header_kind(), kind::MAP | kind::HMAP)),
        IsFunction => {
            header(v, x).is_some_and(|h| matches!(h.header_kind(), kind::FUN | kind::EXPORT))
        }
        IsReference => boxed_kind(v, x, kind::REF),
        // A bitstring's kinds are several; only "not boxed at all" is quick.
        IsBinary | IsBitstring if !x.is_boxed() => false,
        _ => return None,
    })
}

/// A comparison of two terms, when both are small integers, immediates
/// compared for (in)equality, or floats and small integers.
// Out of line: the loop tests small integers and immediates itself, and
// one copy of this in each comparison's arm grew the loop enough to slow
// its hottest paths.
#[inline(never)]
pub(crate) fn compare(v: &View, k: TestOp, a: Word, b: Word) -> Option<bool> {
    use TestOp::*;
    if let (Some(p), Some(q)) = (a.as_small(), b.as_small()) {
        return Some(match k {
            Lt => p < q,
            Ge => p >= q,
            Eq | EqExact => p == q,
            Ne | NeExact => p != q,
            _ => return None,
        });
    }
    // Two immediates are equal, exactly or not, only when their words are
    // (an integer equal to a float needs a boxed float); an immediate is
    // never exactly equal to anything else (but `1 == 1.0`).
    if a.is_immediate() && b.is_immediate() {
        let same = a == b;
        match k {
            Eq | EqExact => return Some(same),
            Ne | NeExact => return Some(!same),
            _ => {}
        }
    } else if a.is_immediate() != b.is_immediate() {
        match k {
            EqExact => return Some(false),
            NeExact => return Some(true),
            _ => {}
        }
    }
    // Floats (and a float with a small integer, where exact).
    let num = |w: Word| match w.as_small() {
        Some(i) => exact_f64(i).map(|f| (f, false)),
        None => float(v, w).map(|f| (f, true)),
    };
    let ((x, xf), (y, yf)) = (num(a)?, num(b)?);
    Some(match k {
        Lt => x < y,
        Ge => x >= y,
        Eq => x == y,
        Ne => x != y,
        // A float is never exactly an integer.
        EqExact => xf == yf && x == y,
        NeExact => xf != yf || x != y,
        _ => return None,
    })
}

/// A test of up to three arguments that is not a comparison:
/// `test_arity`, `is_tagged_tuple`, `is_function2`, and the one-argument
/// tests.
#[inline(always)]
pub(crate) fn test(v: &View, k: TestOp, a: &[Word; 3]) -> Option<bool> {
    use TestOp::*;
    match k {
        TestArity | IsTaggedTuple => {
            let Some(h) = header(v, a[0]) else {
                return Some(false);
            };
            if h.header_kind() != kind::TUPLE {
                return Some(false);
            }
            let n = a[1].as_small()?;
            if h.header_arity() as i64 != n {
                return Some(false);
            }
            Some(k == TestArity || (n > 0 && v.at(a[0].ptr(), 1) == a[2]))
        }
        Lt | Ge | Eq | Ne | EqExact | NeExact => compare(v, k, a[0], a[1]),
        IsFunction2 => None,
        _ => test1(v, k, a[0]),
    }
}

/// `select`'s label for `x`, when the table answers by words alone: the
/// value is an immediate (only an immediate equals an immediate exactly,
/// and no boxed value of a table equals one), or the kind is
/// `tuple_arity`.
#[inline(always)]
pub(crate) fn select(
    v: &View,
    k: SelectKind,
    x: Word,
    fail: u32,
    table: &[(Word, u32)],
    sorted: bool,
) -> Option<u32> {
    let key = match k {
        SelectKind::Value => x,
        SelectKind::TupleArity => match header(v, x) {
            Some(h) if h.header_kind() == kind::TUPLE => Word::small(h.header_arity() as i64)?,
            _ => return Some(fail),
        },
    };
    if key.is_boxed() {
        // A sorted table holds immediates only.
        return sorted.then_some(fail);
    }
    // Short tables (most are: clauses on a few constants) are scanned; a
    // scan of a few words beats the branches of a halving search.
    if table.len() <= 8 || !sorted {
        for (w, l) in table {
            if *w == key {
                return Some(*l);
            }
        }
        return Some(fail);
    }
    Some(
        table
            .binary_search_by_key(&key.0, |(w, _)| w.0)
            .map_or(fail, |i| table[i].1),
    )
}

/// `SelectInt`'s label for `x`: `labels[x - base]` for a small integer
/// in the table's span, else `fail`.
#[inline(always)]
pub(crate) fn select_int(x: Word, base: i64, labels: &[u32], fail: u32) -> u32 {
    x.as_small()
        .and_then(|i| labels.get(i.wrapping_sub(base) as usize))
        .copied()
        .unwrap_or(fail)
}

/// Element `i` (from 0) of tuple `t`.
#[inline(always)]
pub(crate) fn element(v: &View, t: Word, i: usize) -> Option<Word> {
    let h = header(v, t)?;
    (h.header_kind() == kind::TUPLE && i < h.header_arity()).then(|| v.at(t.ptr(), 1 + i))
}

/// How many cells `length/1` walks here before it leaves a list to its
/// native (a long list is rare in a guard, and costs its walk anyway).
const SHORT_LIST: usize = 64;

/// A flat map's value for an immediate key: `Some(None)` when the key is
/// not there (keys compare exactly, so an immediate key matches only
/// its own word).
#[inline(always)]
fn flat_map_get(v: &View, m: Word, key: Word) -> Option<Option<Word>> {
    if !key.is_immediate() || !boxed_kind(v, m, kind::MAP) {
        return None;
    }
    let (keys, values) = v.map_flat_parts(m);
    Some(
        keys.iter()
            .position(|k| *k == key.0)
            .map(|i| Word(values[i])),
    )
}

/// A guard BIF's value on the shapes it nearly always meets (`a` and `b`
/// are its arguments; `b` is unused by those of one).
#[inline(never)]
pub(crate) fn guard_bif(v: &View, g: GuardBif, a: Word, b: Word) -> Option<Word> {
    use GuardBif::*;
    match g {
        Element => {
            let i = a.as_small()?;
            if i < 1 {
                return None;
            }
            element(v, b, (i - 1) as usize)
        }
        TupleSize => header(v, a)
            .filter(|h| h.header_kind() == kind::TUPLE)
            .and_then(|h| Word::small(h.header_arity() as i64)),
        Hd => a.is_list().then(|| v.cons(a).0),
        Tl => a.is_list().then(|| v.cons(a).1),
        Length => {
            let mut l = a;
            for n in 0..SHORT_LIST {
                if l == Word::NIL {
                    return Word::small(n as i64);
                }
                if !l.is_list() {
                    return None;
                }
                l = v.cons(l).1;
            }
            None
        }
        MapGet => flat_map_get(v, b, a)?,
        IsMapKey => flat_map_get(v, b, a).map(|found| Word::boolean(found.is_some())),
        Cmp(k) => compare(v, k, a, b).map(Word::boolean),
        CmpSwapped(k) => compare(v, k, b, a).map(Word::boolean),
    }
}

/// `a op b` (`+ - * /`) on floats, or a float and a small integer, or
/// (for `/`) two small integers, as `ops::arith` computes it; `None`
/// for anything else and for a result that is no finite float (the slow
/// path raises).
// Out of line, as the guard BIFs: inlined, this grew the loop enough to
// cost fib and the float loop 4-6% more instructions.
#[inline(never)]
pub(crate) fn float_arith(v: &View, op: ArithOp, a: Word, b: Word) -> Option<f64> {
    let num = |w: Word| match w.as_small() {
        Some(i) => Some((i as f64, false)),
        None => float(v, w).map(|f| (f, true)),
    };
    let ((x, xf), (y, yf)) = (num(a)?, num(b)?);
    if !(xf || yf || op == ArithOp::Div) {
        return None;
    }
    float_op(op, x, y)
}
