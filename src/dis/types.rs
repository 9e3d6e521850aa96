//! The primitive type sets of the `Type` chunk, rebuilt into the type terms
//! that OTP 25's compiler shows (`beam_types:decode_ext/1`).
//!
//! A type entry is a bit set of primitive types. The compiler turns it back
//! into a type by joining the primitives one by one in a fixed order, and
//! the join is not a plain set union (integer and float join to `number`,
//! a cons and nil to a list, two unrelated "other" types to `any`), so the
//! same lattice rules are applied here.

use crate::term::Term;

/// The type bits, in the order the compiler joins them.
pub const PRIMITIVES: [(u16, Ty); 13] = [
    (1 << 0, Ty::Atom),
    (1 << 1, Ty::Bitstring),
    (1 << 2, Ty::BsContext),
    (1 << 3, Ty::Cons),
    (1 << 4, Ty::Float),
    (1 << 5, Ty::Fun),
    (1 << 6, Ty::Integer),
    (1 << 7, Ty::Map),
    (1 << 8, Ty::Nil),
    (1 << 9, Ty::Pid),
    (1 << 10, Ty::Port),
    (1 << 11, Ty::Reference),
    (1 << 12, Ty::Tuple),
];

/// A type of the lattice restricted to what primitive bit sets can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Ty {
    None,
    Any,
    Atom,
    Bitstring,
    BsContext,
    BsMatchable,
    Cons,
    List,
    Nil,
    Float,
    Integer,
    Number,
    Fun,
    Map,
    Pid,
    Port,
    Reference,
    Tuple,
    Union(Union),
}

/// A union keeps at most one type per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Union {
    atom: Option<Slot>,
    list: Option<Slot>,
    number: Option<Slot>,
    tuple: Option<Slot>,
    other: Option<Slot>,
}

/// A non-union type stored in a union slot.
type Slot = Leaf;

/// Non-union types (everything but `None`, `Any` and `Union`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Leaf {
    Atom,
    Bitstring,
    BsContext,
    BsMatchable,
    Cons,
    List,
    Nil,
    Float,
    Integer,
    Number,
    Fun,
    Map,
    Pid,
    Port,
    Reference,
    Tuple,
}

impl Ty {
    fn leaf(self) -> Option<Leaf> {
        Some(match self {
            Ty::Atom => Leaf::Atom,
            Ty::Bitstring => Leaf::Bitstring,
            Ty::BsContext => Leaf::BsContext,
            Ty::BsMatchable => Leaf::BsMatchable,
            Ty::Cons => Leaf::Cons,
            Ty::List => Leaf::List,
            Ty::Nil => Leaf::Nil,
            Ty::Float => Leaf::Float,
            Ty::Integer => Leaf::Integer,
            Ty::Number => Leaf::Number,
            Ty::Fun => Leaf::Fun,
            Ty::Map => Leaf::Map,
            Ty::Pid => Leaf::Pid,
            Ty::Port => Leaf::Port,
            Ty::Reference => Leaf::Reference,
            Ty::Tuple => Leaf::Tuple,
            Ty::None | Ty::Any | Ty::Union(_) => return None,
        })
    }
}

impl Leaf {
    fn ty(self) -> Ty {
        match self {
            Leaf::Atom => Ty::Atom,
            Leaf::Bitstring => Ty::Bitstring,
            Leaf::BsContext => Ty::BsContext,
            Leaf::BsMatchable => Ty::BsMatchable,
            Leaf::Cons => Ty::Cons,
            Leaf::List => Ty::List,
            Leaf::Nil => Ty::Nil,
            Leaf::Float => Ty::Float,
            Leaf::Integer => Ty::Integer,
            Leaf::Number => Ty::Number,
            Leaf::Fun => Ty::Fun,
            Leaf::Map => Ty::Map,
            Leaf::Pid => Ty::Pid,
            Leaf::Port => Ty::Port,
            Leaf::Reference => Ty::Reference,
            Leaf::Tuple => Ty::Tuple,
        }
    }

    fn is_list(self) -> bool {
        matches!(self, Leaf::Cons | Leaf::List | Leaf::Nil)
    }

    fn is_number(self) -> bool {
        matches!(self, Leaf::Float | Leaf::Integer | Leaf::Number)
    }

    fn is_bits(self) -> bool {
        matches!(self, Leaf::Bitstring | Leaf::BsContext | Leaf::BsMatchable)
    }
}

/// Least upper bound of two types of the same kind; `Any` when unrelated.
fn lub(a: Leaf, b: Leaf) -> Ty {
    if a == b {
        return a.ty();
    }
    match (a, b) {
        _ if a.is_bits() && b.is_bits() => Ty::BsMatchable,
        _ if a.is_list() && b.is_list() => Ty::List,
        _ if a.is_number() && b.is_number() => Ty::Number,
        _ => Ty::Any,
    }
}

fn lub_slot(a: Option<Slot>, b: Leaf) -> Ty {
    match a {
        None => b.ty(),
        Some(a) => lub(a, b),
    }
}

fn shrink(u: Union) -> Ty {
    let slots = [u.atom, u.list, u.number, u.tuple, u.other];
    let mut present = slots.iter().flatten();
    match (present.next(), present.next()) {
        (None, _) => Ty::None,
        (Some(only), None) => only.ty(),
        _ => Ty::Union(u),
    }
}

/// Joins `a` (a primitive) into `b` (what was joined so far).
pub fn join(a: Ty, b: Ty) -> Ty {
    if a == b {
        return a;
    }
    match (a, b) {
        (_, Ty::Any) | (Ty::Any, _) => Ty::Any,
        (t, Ty::None) | (Ty::None, t) => t,
        (Ty::Union(u), t) | (t, Ty::Union(u)) => join_union(u, t),
        (a, b) => {
            let (x, y) = (a.leaf().expect("leaf"), b.leaf().expect("leaf"));
            join_leaves(x, y)
        }
    }
}

fn slot_of(u: &mut Union, l: Leaf) -> &mut Option<Slot> {
    if l == Leaf::Atom {
        &mut u.atom
    } else if l.is_list() {
        &mut u.list
    } else if l.is_number() {
        &mut u.number
    } else if l == Leaf::Tuple {
        &mut u.tuple
    } else {
        &mut u.other
    }
}

/// Two primitives of the same kind (or two "other" types) meet in their
/// least upper bound; otherwise each takes its slot in a union.
fn join_leaves(a: Leaf, b: Leaf) -> Ty {
    let slotted = |l: Leaf| l == Leaf::Atom || l.is_list() || l.is_number() || l == Leaf::Tuple;
    let same_kind = (a == Leaf::Atom && b == Leaf::Atom)
        || (a.is_list() && b.is_list())
        || (a.is_number() && b.is_number())
        || (a == Leaf::Tuple && b == Leaf::Tuple);
    if same_kind || (!slotted(a) && !slotted(b)) {
        return lub(a, b);
    }
    let mut u = Union::default();
    *slot_of(&mut u, a) = Some(a);
    *slot_of(&mut u, b) = Some(b);
    Ty::Union(u)
}

fn join_union(mut u: Union, t: Ty) -> Ty {
    let Some(l) = t.leaf() else {
        // Unions only ever meet primitives here.
        return Ty::Any;
    };
    let slot = slot_of(&mut u, l);
    match lub_slot(*slot, l).leaf() {
        Some(x) => *slot = Some(x),
        // Only the "other" slot can widen to `any`, and then so does the union.
        None => return Ty::Any,
    }
    if l == Leaf::Tuple {
        shrink(u)
    } else {
        Ty::Union(u)
    }
}

/// The type that a bit set stands for.
pub fn from_bits(bits: u16) -> Ty {
    PRIMITIVES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .fold(Ty::None, |acc, (_, t)| join(*t, acc))
}

fn leaf_term(l: Leaf) -> Term {
    let any = || Term::atom("any");
    let rec = |name: &str, fields: Vec<Term>| {
        let mut v = vec![Term::atom(name)];
        v.extend(fields);
        Term::Tuple(v)
    };
    match l {
        Leaf::Atom => rec("t_atom", vec![any()]),
        Leaf::Bitstring => rec("t_bitstring", vec![Term::Int(1)]),
        Leaf::BsContext => rec("t_bs_context", vec![Term::Int(1)]),
        Leaf::BsMatchable => rec("t_bs_matchable", vec![Term::Int(1)]),
        Leaf::Cons => rec("t_cons", vec![any(), any()]),
        Leaf::List => rec("t_list", vec![any(), any()]),
        Leaf::Nil => Term::atom("nil"),
        Leaf::Float => rec("t_float", vec![any()]),
        Leaf::Integer => rec("t_integer", vec![any()]),
        Leaf::Number => Term::atom("number"),
        Leaf::Fun => rec("t_fun", vec![any(), any(), any()]),
        Leaf::Map => rec("t_map", vec![any(), any()]),
        Leaf::Pid => Term::atom("pid"),
        Leaf::Port => Term::atom("port"),
        Leaf::Reference => Term::atom("reference"),
        Leaf::Tuple => rec(
            "t_tuple",
            vec![Term::Int(0), Term::atom("false"), Term::Map(vec![])],
        ),
    }
}

/// The type as the compiler's record terms.
pub fn to_term(t: Ty) -> Term {
    match t {
        Ty::None => Term::atom("none"),
        Ty::Any => Term::atom("any"),
        Ty::Union(u) => {
            let slot = |s: Option<Slot>| s.map(leaf_term).unwrap_or_else(|| Term::atom("none"));
            Term::Tuple(vec![
                Term::atom("t_union"),
                slot(u.atom),
                slot(u.list),
                slot(u.number),
                slot(u.tuple),
                slot(u.other),
            ])
        }
        t => leaf_term(t.leaf().expect("leaf")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlfmt::w;

    fn show(bits: u16) -> String {
        w(&to_term(from_bits(bits)))
    }

    #[test]
    fn joins_like_the_compiler() {
        assert_eq!(show(0), "none");
        assert_eq!(show(1 << 6), "{t_integer,any}");
        assert_eq!(show((1 << 4) | (1 << 6)), "number");
        assert_eq!(show((1 << 3) | (1 << 8)), "{t_list,any,any}");
        assert_eq!(show((1 << 1) | (1 << 2)), "{t_bs_matchable,1}");
        assert_eq!(show((1 << 9) | (1 << 10)), "any");
        assert_eq!(
            show(1 | (1 << 6)),
            "{t_union,{t_atom,any},none,{t_integer,any},none,none}"
        );
        assert_eq!(
            show(1 | (1 << 12) | (1 << 7)),
            "{t_union,{t_atom,any},none,none,{t_tuple,0,false,#{}},{t_map,any,any}}"
        );
        assert_eq!(show(1 | (1 << 7) | (1 << 9)), "any");
        assert_eq!(show(0x1fff), "any");
    }
}
