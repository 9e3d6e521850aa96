//! The `test` instruction's semantics: type tests and comparisons, shared
//! by the run loop and the guard BIFs.

use std::cmp::Ordering;

use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::compare::{self, number};
use crate::vm::term::heap::View;
use crate::vm::term::word::{Word, kind};

crate::vm::ops::kinds::kinds! {
    /// A kind of the `test` instruction, in `isa::TEST_KINDS` order.
    TestOp, crate::lam::isa::TEST_KINDS;
    IsInteger = "is_integer",
    IsFloat = "is_float",
    IsNumber = "is_number",
    IsAtom = "is_atom",
    IsPid = "is_pid",
    IsReference = "is_reference",
    IsPort = "is_port",
    IsNil = "is_nil",
    IsBinary = "is_binary",
    IsBitstring = "is_bitstring",
    IsList = "is_list",
    IsNonemptyList = "is_nonempty_list",
    IsTuple = "is_tuple",
    IsMap = "is_map",
    IsBoolean = "is_boolean",
    IsFunction = "is_function",
    IsFunction2 = "is_function2",
    TestArity = "test_arity",
    IsTaggedTuple = "is_tagged_tuple",
    Lt = "lt",
    Ge = "ge",
    Eq = "eq",
    Ne = "ne",
    EqExact = "eq_exact",
    NeExact = "ne_exact",
}

/// Whether `op` holds of the arguments `a`.
pub fn test(v: &View, atoms: &Atoms, op: TestOp, a: &[Word]) -> bool {
    use TestOp::*;
    let is_kind = |w: Word, ks: &[u8]| w.is_boxed() && ks.contains(&v.header(w).header_kind());
    let x = a.first().copied().unwrap_or(Word::NIL);
    match op {
        // Small integers first: the common case of loops and guards.
        Lt => match (a[0].as_small(), a[1].as_small()) {
            (Some(p), Some(q)) => p < q,
            _ => compare::compare(v, atoms, a[0], a[1]) == Ordering::Less,
        },
        Ge => match (a[0].as_small(), a[1].as_small()) {
            (Some(p), Some(q)) => p >= q,
            _ => compare::compare(v, atoms, a[0], a[1]) != Ordering::Less,
        },
        EqExact => {
            a[0] == a[1]
                || (!a[0].is_immediate() || !a[1].is_immediate())
                    && compare::exact_eq(v, atoms, a[0], a[1])
        }
        NeExact => {
            a[0] != a[1]
                && (a[0].is_immediate() && a[1].is_immediate()
                    || !compare::exact_eq(v, atoms, a[0], a[1]))
        }
        Eq => compare::compare(v, atoms, a[0], a[1]) == Ordering::Equal,
        Ne => compare::compare(v, atoms, a[0], a[1]) != Ordering::Equal,
        IsInteger => x.as_small().is_some() || is_kind(x, &[kind::BIG_POS, kind::BIG_NEG]),
        IsFloat => is_kind(x, &[kind::FLOAT]),
        IsNumber => number(v, x).is_some(),
        IsAtom => x.as_atom().is_some(),
        IsPid => x.as_pid().is_some(),
        IsReference => is_kind(x, &[kind::REF]),
        IsPort => x.as_port().is_some(),
        IsNil => x == Word::NIL,
        IsBinary => v.bits(x).is_some_and(|(_, last)| last == 8),
        IsBitstring => v.bits(x).is_some(),
        IsList => x == Word::NIL || x.is_list(),
        IsNonemptyList => x.is_list(),
        IsTuple => v.tuple(x).is_some(),
        IsMap => is_kind(x, &[kind::MAP, kind::HMAP]),
        IsBoolean => x == Word::atom(atom::TRUE) || x == Word::atom(atom::FALSE),
        IsFunction => is_kind(x, &[kind::FUN, kind::EXPORT]),
        IsFunction2 => a[1]
            .as_small()
            .is_some_and(|n| fun_arity(v, x) == Some(n as u32)),
        TestArity => v
            .tuple(x)
            .is_some_and(|t| Some(t.len() as i64) == a[1].as_small()),
        IsTaggedTuple => v.tuple(x).is_some_and(|t| {
            Some(t.len() as i64) == a[1].as_small() && t.first().is_some_and(|w| Word(*w) == a[2])
        }),
    }
}

fn fun_arity(v: &View, f: Word) -> Option<u32> {
    if !f.is_boxed() {
        return None;
    }
    let p = f.ptr();
    match v.header(f).header_kind() {
        kind::EXPORT => v.at(p, 3).as_small().map(|a| a as u32),
        // A closure keeps its arity after its module and lambda index.
        kind::FUN => v.at(p, 3).as_small().map(|a| a as u32),
        _ => None,
    }
}
