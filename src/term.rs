//! Erlang terms as they appear in a `.beam` file: literals, attributes,
//! compile info and the other chunks stored in the external term format.
//!
//! This is a plain tree, made for reading and printing. The interpreter has
//! its own compact representation.

use std::cmp::Ordering;
use std::sync::Arc;

use num_bigint::BigInt;

/// An atom's text (UTF-8). Shared because modules repeat atoms a lot.
pub type Atom = Arc<str>;

/// An Erlang term.
///
/// A term can be as deep as a program makes it (erl handles lists nested
/// 1,000,000 deep), so nothing here recurses on the native stack: `Clone`,
/// `PartialEq`, `Drop`, `Debug` and [`Term::cmp_exact`] are written by hand
/// over explicit stacks (derived ones recurse once per level).
pub enum Term {
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A larger integer.
    Big(BigInt),
    /// A float.
    Float(f64),
    /// An atom.
    Atom(Atom),
    /// The empty list `[]`.
    Nil,
    /// A non-empty list: its elements, then its tail (`Nil` when proper).
    List(Vec<Term>, Box<Term>),
    /// A tuple.
    Tuple(Vec<Term>),
    /// A map, as key/value pairs in the order they were read.
    Map(Vec<(Term, Term)>),
    /// A binary (whole bytes).
    Binary(Vec<u8>),
    /// A bitstring whose last byte holds `bits` (1..=7) significant high bits.
    Bits(Vec<u8>, u8),
    /// A process identifier.
    Pid {
        /// Node name.
        node: Atom,
        /// Process number.
        id: u32,
        /// Serial number.
        serial: u32,
        /// Node incarnation.
        creation: u32,
    },
    /// A port identifier.
    Port {
        /// Node name.
        node: Atom,
        /// Port number.
        id: u64,
        /// Node incarnation.
        creation: u32,
    },
    /// A reference.
    Ref {
        /// Node name.
        node: Atom,
        /// Node incarnation.
        creation: u32,
        /// The reference words.
        ids: Vec<u32>,
    },
    /// `fun M:F/A`.
    Export {
        /// Module.
        module: Atom,
        /// Function.
        function: Atom,
        /// Arity.
        arity: u8,
    },
    /// A closure (only appears in terms built at run time, never in literals
    /// that the compiler writes, but the external format allows it).
    Fun(Box<Closure>),
}

/// A closure as the external term format describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Closure {
    /// Module that defines the fun.
    pub module: Atom,
    /// Arity.
    pub arity: u8,
    /// MD5 of the module's code (16 bytes, zero for old funs).
    pub uniq: [u8; 16],
    /// Index in the module's fun table.
    pub index: u32,
    /// Old index.
    pub old_index: i64,
    /// Old uniq.
    pub old_uniq: i64,
    /// Creator process.
    pub pid: Term,
    /// Captured variables.
    pub free: Vec<Term>,
}

impl Term {
    /// An atom term.
    pub fn atom(s: &str) -> Term {
        Term::Atom(Arc::from(s))
    }

    /// A proper list.
    pub fn list(items: Vec<Term>) -> Term {
        if items.is_empty() {
            Term::Nil
        } else {
            Term::List(items, Box::new(Term::Nil))
        }
    }

    /// A tuple.
    pub fn tuple(items: Vec<Term>) -> Term {
        Term::Tuple(items)
    }

    /// An integer, small or big.
    pub fn int(i: impl Into<BigInt>) -> Term {
        let b: BigInt = i.into();
        match i64::try_from(&b) {
            Ok(v) => Term::Int(v),
            Err(_) => Term::Big(b),
        }
    }

    /// A string as Erlang sees it: a list of character codes.
    pub fn string(s: &str) -> Term {
        Term::list(s.chars().map(|c| Term::Int(c as i64)).collect())
    }

    /// The atom's text, if this is an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Term::Atom(a) => Some(a),
            _ => None,
        }
    }

    /// The rank of the term's type in Erlang's standard order:
    /// number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring.
    fn type_rank(&self) -> u8 {
        match self {
            Term::Int(_) | Term::Big(_) | Term::Float(_) => 0,
            Term::Atom(_) => 1,
            Term::Ref { .. } => 2,
            Term::Export { .. } | Term::Fun(_) => 3,
            Term::Port { .. } => 4,
            Term::Pid { .. } => 5,
            Term::Tuple(_) => 6,
            Term::Map(_) => 7,
            Term::Nil => 8,
            Term::List(..) => 9,
            Term::Binary(_) | Term::Bits(..) => 10,
        }
    }

    /// Map keys sorted and de-duplicated the way a small (flat) map keeps them.
    pub fn sorted_map(pairs: &[(Term, Term)]) -> Vec<&(Term, Term)> {
        let mut v: Vec<&(Term, Term)> = pairs.iter().collect();
        v.sort_by(|a, b| a.0.cmp_exact(&b.0));
        v
    }

    /// Map key order (how a map's keys are sorted, and compared when maps
    /// are): term order, except that every integer sorts before every float.
    pub fn cmp_exact(&self, other: &Term) -> Ordering {
        // Pairs still to compare, the next on top. A list is compared
        // element by element through `Side::Rest`, whatever way its two
        // sides split their cells between `items` and `tail`.
        let mut stack = vec![(Side::Whole(self), Side::Whole(other))];
        while let Some((a, b)) = stack.pop() {
            let o = match (a.normal(), b.normal()) {
                (Side::Rest(xa, ta), Side::Rest(xb, tb)) => {
                    stack.push((Side::Rest(&xa[1..], ta), Side::Rest(&xb[1..], tb)));
                    stack.push((Side::Whole(&xa[0]), Side::Whole(&xb[0])));
                    Ordering::Equal
                }
                (Side::Rest(..), Side::Whole(b)) => LIST_RANK.cmp(&b.type_rank()),
                (Side::Whole(a), Side::Rest(..)) => a.type_rank().cmp(&LIST_RANK),
                (Side::Whole(a), Side::Whole(b)) => a.cmp_shallow(b, &mut stack),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    /// Compares what `self` and `other` hold at their own level, and
    /// pushes their subterms on `stack` (the first to compare on top)
    /// when that decides nothing.
    fn cmp_shallow<'a>(
        &'a self,
        other: &'a Term,
        stack: &mut Vec<(Side<'a>, Side<'a>)>,
    ) -> Ordering {
        let (ra, rb) = (self.type_rank(), other.type_rank());
        if ra != rb {
            return ra.cmp(&rb);
        }
        let whole = |a: &'a Term, b: &'a Term| (Side::Whole(a), Side::Whole(b));
        match (self, other) {
            (Term::Int(a), Term::Int(b)) => a.cmp(b),
            (Term::Big(a), Term::Big(b)) => a.cmp(b),
            (Term::Int(a), Term::Big(b)) => BigInt::from(*a).cmp(b),
            (Term::Big(a), Term::Int(b)) => a.cmp(&BigInt::from(*b)),
            (Term::Float(a), Term::Float(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Term::Float(_), _) => Ordering::Greater,
            (_, Term::Float(_)) => Ordering::Less,
            (Term::Atom(a), Term::Atom(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Term::Tuple(a), Term::Tuple(b)) => {
                let o = a.len().cmp(&b.len());
                if o == Ordering::Equal {
                    stack.extend(a.iter().zip(b).rev().map(|(x, y)| whole(x, y)));
                }
                o
            }
            (Term::Map(a), Term::Map(b)) => {
                let o = a.len().cmp(&b.len());
                if o == Ordering::Equal {
                    // All keys first, then the values, in key order.
                    let (sa, sb) = (Term::sorted_map(a), Term::sorted_map(b));
                    stack.extend(sa.iter().zip(&sb).rev().map(|(x, y)| whole(&x.1, &y.1)));
                    stack.extend(sa.iter().zip(&sb).rev().map(|(x, y)| whole(&x.0, &y.0)));
                }
                o
            }
            (a @ (Term::Binary(_) | Term::Bits(..)), b) => {
                let (da, la) = bits_of(a);
                let (db, lb) = bits_of(b);
                da.cmp(db).then(la.cmp(&lb))
            }
            (Term::Nil, Term::Nil) => Ordering::Equal,
            (
                Term::Ref {
                    node: na, ids: ia, ..
                },
                Term::Ref {
                    node: nb, ids: ib, ..
                },
            ) => na
                .cmp(nb)
                .then_with(|| ia.iter().rev().cmp(ib.iter().rev())),
            (
                Term::Pid {
                    node: na,
                    id: ia,
                    serial: sa,
                    creation: ca,
                },
                Term::Pid {
                    node: nb,
                    id: ib,
                    serial: sb,
                    creation: cb,
                },
            ) => (na, sa, ia, ca).cmp(&(nb, sb, ib, cb)),
            (
                Term::Port {
                    node: na,
                    id: ia,
                    creation: ca,
                },
                Term::Port {
                    node: nb,
                    id: ib,
                    creation: cb,
                },
            ) => (na, ia, ca).cmp(&(nb, ib, cb)),
            (
                Term::Export {
                    module: ma,
                    function: fa,
                    arity: aa,
                },
                Term::Export {
                    module: mb,
                    function: fb,
                    arity: ab,
                },
            ) => (ma, fa, aa).cmp(&(mb, fb, ab)),
            // An external fun sorts before a closure.
            (Term::Export { .. }, _) => Ordering::Less,
            (_, Term::Export { .. }) => Ordering::Greater,
            (Term::Fun(a), Term::Fun(b)) => {
                let o = (
                    &a.module,
                    a.index,
                    a.uniq,
                    a.old_index,
                    a.old_uniq,
                    a.free.len(),
                )
                    .cmp(&(
                        &b.module,
                        b.index,
                        b.uniq,
                        b.old_index,
                        b.old_uniq,
                        b.free.len(),
                    ));
                if o == Ordering::Equal {
                    stack.extend(a.free.iter().zip(&b.free).rev().map(|(x, y)| whole(x, y)));
                    stack.push(whole(&a.pid, &b.pid));
                }
                o
            }
            // Equal ranks with different variants are handled above.
            _ => Ordering::Equal,
        }
    }

    /// How many subterms the term holds directly: a list's items and its
    /// tail, a tuple's elements, a map's keys and values (interleaved), a
    /// closure's creator and captured variables.
    pub(crate) fn child_count(&self) -> usize {
        match self {
            Term::List(items, _) => items.len() + 1,
            Term::Tuple(items) => items.len(),
            Term::Map(pairs) => pairs.len() * 2,
            Term::Fun(c) => c.free.len() + 1,
            _ => 0,
        }
    }

    /// Subterm `i` in the order of [`Term::child_count`].
    pub(crate) fn child(&self, i: usize) -> &Term {
        match self {
            Term::List(items, tail) => items.get(i).unwrap_or(tail),
            Term::Tuple(items) => &items[i],
            Term::Map(pairs) if i.is_multiple_of(2) => &pairs[i / 2].0,
            Term::Map(pairs) => &pairs[i / 2].1,
            Term::Fun(c) if i == 0 => &c.pid,
            Term::Fun(c) => &c.free[i - 1],
            _ => unreachable!("a term without subterms has no subterm {i}"),
        }
    }

    /// A term shaped as `self`, with `kids` (in the order of
    /// [`Term::child_count`], already copied) as its subterms.
    fn rebuild(&self, kids: Vec<Term>) -> Term {
        match self {
            Term::Int(i) => Term::Int(*i),
            Term::Big(b) => Term::Big(b.clone()),
            Term::Float(f) => Term::Float(*f),
            Term::Atom(a) => Term::Atom(a.clone()),
            Term::Nil => Term::Nil,
            Term::List(..) => {
                let mut items = kids;
                let tail = items.pop().unwrap_or(Term::Nil);
                Term::List(items, Box::new(tail))
            }
            Term::Tuple(_) => Term::Tuple(kids),
            Term::Map(_) => {
                let mut it = kids.into_iter();
                let mut pairs = Vec::with_capacity(it.len() / 2);
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Term::Map(pairs)
            }
            Term::Binary(b) => Term::Binary(b.clone()),
            Term::Bits(b, n) => Term::Bits(b.clone(), *n),
            Term::Pid {
                node,
                id,
                serial,
                creation,
            } => Term::Pid {
                node: node.clone(),
                id: *id,
                serial: *serial,
                creation: *creation,
            },
            Term::Port { node, id, creation } => Term::Port {
                node: node.clone(),
                id: *id,
                creation: *creation,
            },
            Term::Ref {
                node,
                creation,
                ids,
            } => Term::Ref {
                node: node.clone(),
                creation: *creation,
                ids: ids.clone(),
            },
            Term::Export {
                module,
                function,
                arity,
            } => Term::Export {
                module: module.clone(),
                function: function.clone(),
                arity: *arity,
            },
            Term::Fun(c) => {
                let mut it = kids.into_iter();
                let pid = it.next().unwrap_or(Term::Nil);
                Term::Fun(Box::new(Closure {
                    module: c.module.clone(),
                    arity: c.arity,
                    uniq: c.uniq,
                    index: c.index,
                    old_index: c.old_index,
                    old_uniq: c.old_uniq,
                    pid,
                    free: it.collect(),
                }))
            }
        }
    }

    /// Whether the two terms agree at their own level (variant, leaf
    /// values, number of subterms), subterms aside.
    fn eq_shallow(&self, other: &Term) -> bool {
        match (self, other) {
            (Term::Int(a), Term::Int(b)) => a == b,
            (Term::Big(a), Term::Big(b)) => a == b,
            (Term::Float(a), Term::Float(b)) => a == b,
            (Term::Atom(a), Term::Atom(b)) => a == b,
            (Term::Nil, Term::Nil) => true,
            (Term::List(a, _), Term::List(b, _)) => a.len() == b.len(),
            (Term::Tuple(a), Term::Tuple(b)) => a.len() == b.len(),
            (Term::Map(a), Term::Map(b)) => a.len() == b.len(),
            (Term::Binary(a), Term::Binary(b)) => a == b,
            (Term::Bits(a, n), Term::Bits(b, m)) => a == b && n == m,
            (
                Term::Pid {
                    node: na,
                    id: ia,
                    serial: sa,
                    creation: ca,
                },
                Term::Pid {
                    node: nb,
                    id: ib,
                    serial: sb,
                    creation: cb,
                },
            ) => (na, ia, sa, ca) == (nb, ib, sb, cb),
            (
                Term::Port {
                    node: na,
                    id: ia,
                    creation: ca,
                },
                Term::Port {
                    node: nb,
                    id: ib,
                    creation: cb,
                },
            ) => (na, ia, ca) == (nb, ib, cb),
            (
                Term::Ref {
                    node: na,
                    creation: ca,
                    ids: ia,
                },
                Term::Ref {
                    node: nb,
                    creation: cb,
                    ids: ib,
                },
            ) => (na, ca, ia) == (nb, cb, ib),
            (
                Term::Export {
                    module: ma,
                    function: fa,
                    arity: aa,
                },
                Term::Export {
                    module: mb,
                    function: fb,
                    arity: ab,
                },
            ) => (ma, fa, aa) == (mb, fb, ab),
            (Term::Fun(a), Term::Fun(b)) => {
                (
                    &a.module,
                    a.arity,
                    a.uniq,
                    a.index,
                    a.old_index,
                    a.old_uniq,
                    a.free.len(),
                ) == (
                    &b.module,
                    b.arity,
                    b.uniq,
                    b.index,
                    b.old_index,
                    b.old_uniq,
                    b.free.len(),
                )
            }
            _ => false,
        }
    }

    /// Moves the term's subterms onto `out`, leaving it without any.
    fn take_children(&mut self, out: &mut Vec<Term>) {
        match self {
            Term::List(items, tail) => {
                out.append(items);
                out.push(std::mem::replace(&mut **tail, Term::Nil));
            }
            Term::Tuple(items) => out.append(items),
            Term::Map(pairs) => {
                for (k, v) in pairs.drain(..) {
                    out.push(k);
                    out.push(v);
                }
            }
            Term::Fun(c) => {
                out.append(&mut c.free);
                out.push(std::mem::replace(&mut c.pid, Term::Nil));
            }
            _ => {}
        }
    }

    /// Whether the term has subterms of its own.
    fn has_children(&self) -> bool {
        match self {
            Term::List(items, tail) => !items.is_empty() || !matches!(**tail, Term::Nil),
            Term::Tuple(items) => !items.is_empty(),
            Term::Map(pairs) => !pairs.is_empty(),
            Term::Fun(c) => !c.free.is_empty() || !matches!(c.pid, Term::Nil),
            _ => false,
        }
    }
}

/// The rank of lists in [`Term::type_rank`].
const LIST_RANK: u8 = 9;

/// One side of a pending comparison: a whole term, or what remains of a
/// list (items not yet compared, then its tail).
#[derive(Clone, Copy)]
enum Side<'a> {
    Whole(&'a Term),
    Rest(&'a [Term], &'a Term),
}

impl<'a> Side<'a> {
    /// A list with items as `Rest`, and anything else (an exhausted list's
    /// tail among them) as `Whole`.
    fn normal(self) -> Side<'a> {
        let mut s = self;
        loop {
            s = match s {
                Side::Whole(Term::List(items, tail)) => Side::Rest(items, tail),
                Side::Rest([], tail) => Side::Whole(tail),
                other => return other,
            };
        }
    }
}

impl Term {
    /// Builds a value bottom-up over the term without recursion (a term may
    /// be as deep as a program made it): `make` gets each subterm with the
    /// values already made of its children, in `child_count` order.
    pub fn fold_up<T>(&self, mut make: impl FnMut(&Term, Vec<T>) -> T) -> T {
        // Each frame: a source term and the values of its children so far.
        let mut stack: Vec<(&Term, Vec<T>)> = Vec::new();
        let mut next = self;
        loop {
            let n = next.child_count();
            if n > 0 {
                stack.push((next, Vec::with_capacity(n)));
                next = next.child(0);
                continue;
            }
            let mut value = make(next, Vec::new());
            loop {
                let Some((src, kids)) = stack.last_mut() else {
                    return value;
                };
                kids.push(value);
                if kids.len() < src.child_count() {
                    next = src.child(kids.len());
                    break;
                }
                let (src, kids) = stack.pop().expect("a frame");
                value = make(src, kids);
            }
        }
    }
}

impl Clone for Term {
    fn clone(&self) -> Term {
        self.fold_up(Term::rebuild)
    }
}

impl PartialEq for Term {
    fn eq(&self, other: &Term) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            if !a.eq_shallow(b) {
                return false;
            }
            stack.extend((0..a.child_count()).map(|i| (a.child(i), b.child(i))));
        }
        true
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        // A term whose subterms hold nothing drops them without going
        // deeper; any other is taken apart onto a stack, so that each term
        // dropped holds nothing by then.
        let deep = match self {
            Term::List(items, tail) => tail.has_children() || items.iter().any(Term::has_children),
            Term::Tuple(items) => items.iter().any(Term::has_children),
            Term::Map(pairs) => pairs
                .iter()
                .any(|(k, v)| k.has_children() || v.has_children()),
            Term::Fun(c) => c.pid.has_children() || c.free.iter().any(Term::has_children),
            _ => false,
        };
        if !deep {
            return;
        }
        let mut stack = Vec::new();
        self.take_children(&mut stack);
        while let Some(mut t) = stack.pop() {
            t.take_children(&mut stack);
        }
    }
}

impl std::fmt::Debug for Term {
    /// The term as `~w` writes it (iterative, as the derived form is not).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::erlfmt::w(self))
    }
}

fn bits_of(t: &Term) -> (&[u8], usize) {
    match t {
        Term::Binary(b) => (b, b.len() * 8),
        Term::Bits(b, n) => (b, (b.len().saturating_sub(1)) * 8 + *n as usize),
        _ => (&[], 0),
    }
}
