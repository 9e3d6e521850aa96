//! Term order and equality on tagged words, as Erlang defines them:
//! number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring.

use std::cmp::Ordering;

use num_bigint::BigInt;

use crate::vm::term::atoms::Atoms;
use crate::vm::term::heap::View;
use crate::vm::term::word::{Word, kind};

/// A bignum as a float the way erl converts one (erts's `big_to_double`):
/// Horner's rule over its 64-bit digits in floating point, rounding at
/// each step, so the last bit can differ from the correctly rounded value
/// (4.342466560196284e38 for 434246656019628356266240323511600394314,
/// not ...283e38); `None` when it overflows.
pub fn big_to_f64(b: &BigInt) -> Option<f64> {
    let (sign, digits) = b.to_u64_digits();
    let mut d = 0.0f64;
    for &digit in digits.iter().rev() {
        d = d * 18_446_744_073_709_551_616.0 + digit as f64;
    }
    let d = if sign == num_bigint::Sign::Minus {
        -d
    } else {
        d
    };
    d.is_finite().then_some(d)
}

/// A number read from a word.
#[derive(Debug, Clone, PartialEq)]
pub enum Num {
    /// A small integer.
    Small(i64),
    /// A bignum.
    Big(BigInt),
    /// A float.
    Float(f64),
}

/// The number in a word, if it is one.
pub fn number(v: &View, w: Word) -> Option<Num> {
    if let Some(i) = w.as_small() {
        return Some(Num::Small(i));
    }
    if !w.is_boxed() {
        return None;
    }
    let p = w.ptr();
    let h = v.at(p, 0);
    match h.header_kind() {
        kind::FLOAT => Some(Num::Float(f64::from_bits(v.at(p, 1).0))),
        k @ (kind::BIG_POS | kind::BIG_NEG) => {
            let words = &v.area(p).words[p.offset + 1..p.offset + 1 + h.header_arity()];
            let digits: Vec<u32> = words
                .iter()
                .flat_map(|d| [*d as u32, (*d >> 32) as u32])
                .collect();
            let mag = BigInt::from_slice(num_bigint::Sign::Plus, &digits);
            Some(Num::Big(if k == kind::BIG_NEG { -mag } else { mag }))
        }
        _ => None,
    }
}

fn rank(v: &View, w: Word) -> u8 {
    if w.as_small().is_some() {
        return 0;
    }
    if w.as_atom().is_some() {
        return 1;
    }
    if w.as_pid().is_some() {
        return 5;
    }
    if w.as_port().is_some() {
        return 4;
    }
    if w == Word::NIL {
        return 8;
    }
    if w.is_list() {
        return 9;
    }
    if !w.is_boxed() {
        return 1;
    }
    match v.header(w).header_kind() {
        kind::FLOAT | kind::BIG_POS | kind::BIG_NEG => 0,
        kind::REF => 2,
        kind::FUN | kind::EXPORT => 3,
        kind::TUPLE => 6,
        kind::MAP | kind::HMAP => 7,
        _ => 10,
    }
}

/// The order of two numbers by value (an integer equals the float of the
/// same value): the numeric part of [`compare`].
pub fn cmp_num(a: &Num, b: &Num) -> Ordering {
    use Num::*;
    let as_big = |n: &Num| match n {
        Small(i) => BigInt::from(*i),
        Big(b) => b.clone(),
        Float(_) => unreachable!(),
    };
    match (a, b) {
        (Small(x), Small(y)) => x.cmp(y),
        (Float(x), Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Float(x), other) => cmp_float_int(*x, other),
        (other, Float(y)) => cmp_float_int(*y, other).reverse(),
        _ => as_big(a).cmp(&as_big(b)),
    }
}

fn cmp_float_int(f: f64, i: &Num) -> Ordering {
    // Compare exactly: a float against a bignum beyond 2^53 must not round.
    let Some(fb) = num_bigint::BigInt::from_f64_exact(f) else {
        let i = match i {
            Num::Small(i) => *i as f64,
            Num::Big(b) => big_to_f64(b).unwrap_or(if b.sign() == num_bigint::Sign::Minus {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
            Num::Float(g) => *g,
        };
        return f.partial_cmp(&i).unwrap_or(Ordering::Equal);
    };
    let ib = match i {
        Num::Small(i) => BigInt::from(*i),
        Num::Big(b) => b.clone(),
        Num::Float(_) => unreachable!(),
    };
    fb.cmp(&ib)
}

trait FromF64Exact: Sized {
    fn from_f64_exact(f: f64) -> Option<Self>;
}

impl FromF64Exact for BigInt {
    /// The integer a float equals, if it is integral.
    fn from_f64_exact(f: f64) -> Option<BigInt> {
        (f.fract() == 0.0 && f.is_finite())
            .then(|| num_traits::FromPrimitive::from_f64(f))
            .flatten()
    }
}

/// Erlang's term order (`<`, `==`): numbers compare by value.
pub fn compare(v: &View, atoms: &Atoms, a: Word, b: Word) -> Ordering {
    cmp(v, atoms, a, b, false)
}

/// Exact equality (`=:=`): like the order, but an integer never equals a float.
pub fn exact_eq(v: &View, atoms: &Atoms, a: Word, b: Word) -> bool {
    a == b || cmp(v, atoms, a, b, true) == Ordering::Equal
}

/// How deep [`cmp`] recurses before it hands over to [`cmp_deep`]: far
/// inside any thread's stack.
const DEEP: usize = 256;

/// Term order, or with `exact` map key order (every integer before every
/// float; `Equal` only for exactly equal terms).
pub fn cmp(v: &View, atoms: &Atoms, a: Word, b: Word, exact: bool) -> Ordering {
    cmp_at(v, atoms, a, b, exact, 0)
}

fn cmp_at(v: &View, atoms: &Atoms, a: Word, b: Word, exact: bool, depth: usize) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if depth > DEEP {
        return cmp_deep(v, atoms, a, b, exact);
    }
    let (ra, rb) = (rank(v, a), rank(v, b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    let seq = |x: &[u64], y: &[u64], exact: bool| {
        for (p, q) in x.iter().zip(y) {
            let o = cmp_at(v, atoms, Word(*p), Word(*q), exact, depth + 1);
            if o != Ordering::Equal {
                return o;
            }
        }
        x.len().cmp(&y.len())
    };
    match ra {
        6 => {
            let (x, y) = (v.tuple(a).expect("tuple"), v.tuple(b).expect("tuple"));
            x.len().cmp(&y.len()).then_with(|| seq(x, y, exact))
        }
        9 => {
            let (mut x, mut y) = (a, b);
            loop {
                match (x.is_list(), y.is_list()) {
                    (true, true) => {
                        let ((hx, tx), (hy, ty)) = (v.cons(x), v.cons(y));
                        let o = cmp_at(v, atoms, hx, hy, exact, depth + 1);
                        if o != Ordering::Equal {
                            return o;
                        }
                        x = tx;
                        y = ty;
                    }
                    _ => return cmp_at(v, atoms, x, y, exact, depth + 1),
                }
            }
        }
        3 => {
            let (pa, pb) = (a.ptr(), b.ptr());
            let (na, nb) = (v.header(a).header_arity(), v.header(b).header_arity());
            let wa = &v.area(pa).words[pa.offset..pa.offset + 1 + na];
            let wb = &v.area(pb).words[pb.offset..pb.offset + 1 + nb];
            seq(wa, wb, exact)
        }
        // Numbers, atoms and the like compare at the top; a map's elements
        // go through the general walk (no allocation for the others).
        _ => {
            let mut todo = Vec::new();
            match one(v, atoms, a, b, exact, &mut todo) {
                Ordering::Equal => walk(v, atoms, todo),
                o => o,
            }
        }
    }
}

/// What is left to compare: two terms (with `exact`), or the order that
/// decides if everything compared before it was equal.
enum Step {
    Pair(Word, Word, bool),
    Then(Ordering),
}

/// [`cmp`] for terms nested deeper than [`DEEP`]: depth first, left to
/// right, with a stack of its own, so terms of any depth compare without
/// recursion (slower than the recursion for the common shallow term).
fn cmp_deep(v: &View, atoms: &Atoms, a: Word, b: Word, exact: bool) -> Ordering {
    walk(v, atoms, vec![Step::Pair(a, b, exact)])
}

/// Compares what is on `todo`, top first, until something differs.
fn walk(v: &View, atoms: &Atoms, mut todo: Vec<Step>) -> Ordering {
    while let Some(step) = todo.pop() {
        let (a, b, exact) = match step {
            Step::Pair(a, b, exact) => (a, b, exact),
            Step::Then(o) if o != Ordering::Equal => return o,
            Step::Then(_) => continue,
        };
        if a == b {
            continue;
        }
        let o = one(v, atoms, a, b, exact, &mut todo);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Compares `a` and `b` as far as they differ at the top; what their
/// elements decide is pushed onto `todo`, first element on top.
fn one(v: &View, atoms: &Atoms, a: Word, b: Word, exact: bool, todo: &mut Vec<Step>) -> Ordering {
    let (ra, rb) = (rank(v, a), rank(v, b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    let pairs = |todo: &mut Vec<Step>, x: &[u64], y: &[u64], exact: bool| {
        todo.extend(
            x.iter()
                .zip(y)
                .rev()
                .map(|(p, q)| Step::Pair(Word(*p), Word(*q), exact)),
        );
    };
    match ra {
        0 => {
            let (x, y) = (number(v, a).expect("number"), number(v, b).expect("number"));
            let is_float = |n: &Num| matches!(n, Num::Float(_));
            if exact && is_float(&x) != is_float(&y) {
                // Map key order: every integer before every float.
                return is_float(&x).cmp(&is_float(&y));
            }
            cmp_num(&x, &y)
        }
        1 => match (a.as_atom(), b.as_atom()) {
            (Some(x), Some(y)) => atoms.cmp(x, y),
            _ => Ordering::Equal,
        },
        5 => a.as_pid().cmp(&b.as_pid()),
        4 => a.as_port().cmp(&b.as_port()),
        // References compare by their numbers, wherever their copies live.
        2 => v.at(a.ptr(), 1).0.cmp(&v.at(b.ptr(), 1).0),
        6 => {
            let (x, y) = (v.tuple(a).expect("tuple"), v.tuple(b).expect("tuple"));
            let o = x.len().cmp(&y.len());
            if o == Ordering::Equal {
                pairs(todo, x, y, exact);
            }
            o
        }
        7 => {
            let (na, nb) = (v.map_size(a).unwrap_or(0), v.map_size(b).unwrap_or(0));
            if na != nb {
                return na.cmp(&nb);
            }
            let (ea, eb) = (
                sorted_pairs(v, atoms, a).unwrap_or_default(),
                sorted_pairs(v, atoms, b).unwrap_or_default(),
            );
            // Every key (in key order) before any value.
            for ((_, x), (_, y)) in ea.iter().zip(&eb).rev() {
                todo.push(Step::Pair(*x, *y, exact));
            }
            for ((x, _), (y, _)) in ea.iter().zip(&eb).rev() {
                todo.push(Step::Pair(*x, *y, true));
            }
            Ordering::Equal
        }
        9 => {
            let ((hx, tx), (hy, ty)) = (v.cons(a), v.cons(b));
            todo.push(Step::Pair(tx, ty, exact));
            todo.push(Step::Pair(hx, hy, exact));
            Ordering::Equal
        }
        10 => match (v.bits(a), v.bits(b)) {
            (Some((da, la)), Some((db, lb))) => da.cmp(db).then(la.cmp(&lb)),
            _ => Ordering::Equal,
        },
        3 => {
            let (pa, pb) = (a.ptr(), b.ptr());
            let (na, nb) = (v.header(a).header_arity(), v.header(b).header_arity());
            let wa = &v.area(pa).words[pa.offset..pa.offset + 1 + na];
            let wb = &v.area(pb).words[pb.offset..pb.offset + 1 + nb];
            todo.push(Step::Then(wa.len().cmp(&wb.len())));
            pairs(todo, wa, wb, exact);
            Ordering::Equal
        }
        _ => a.0.cmp(&b.0),
    }
}

/// A map's pairs in key order.
fn sorted_pairs(v: &View, atoms: &Atoms, m: Word) -> Option<Vec<(Word, Word)>> {
    let mut out = v.map_pairs(m)?;
    // A flat map keeps its keys in order already.
    if v.header(m).header_kind() == kind::HMAP {
        out.sort_by(|a, b| cmp(v, atoms, a.0, b.0, true));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::Term;
    use crate::vm::term::heap::Area;

    #[test]
    fn order_matches_the_term_tree() {
        let atoms = Atoms::new();
        let texts = [
            "1",
            "1.0",
            "2",
            "-5",
            "123456789012345678901234567890",
            "2.5",
            "a",
            "b",
            "{1}",
            "{1,2}",
            "{0,0,0}",
            "#{}",
            "#{a => 1}",
            "[]",
            "[1]",
            "[1,2]",
            "[1|a]",
            "<<>>",
            "<<1>>",
            "<<1,2>>",
            "fun lists:map/2",
        ];
        let terms: Vec<Term> = texts
            .iter()
            .map(|t| crate::erlfmt::parse::whole(t).unwrap())
            .collect();
        let mut heap = Area::default();
        let words: Vec<Word> = terms.iter().map(|t| heap.from_term(0, t, &atoms)).collect();
        let v = View {
            heap: &heap,
            literals: &[],
        };
        for (i, a) in terms.iter().enumerate() {
            for (j, b) in terms.iter().enumerate() {
                let want = a.cmp_exact(b);
                let got = cmp(&v, &atoms, words[i], words[j], true);
                assert_eq!(got, want, "{} vs {}", texts[i], texts[j]);
            }
        }
        let (one, onef) = (words[0], words[1]);
        assert_eq!(compare(&v, &atoms, one, onef), Ordering::Equal);
        assert!(!exact_eq(&v, &atoms, one, onef));
    }
}
