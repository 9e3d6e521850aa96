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
#[derive(Debug, Clone, PartialEq)]
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
        let (ra, rb) = (self.type_rank(), other.type_rank());
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (self, other) {
            (Term::Int(a), Term::Int(b)) => a.cmp(b),
            (Term::Big(a), Term::Big(b)) => a.cmp(b),
            (Term::Int(a), Term::Big(b)) => BigInt::from(*a).cmp(b),
            (Term::Big(a), Term::Int(b)) => a.cmp(&BigInt::from(*b)),
            (Term::Float(a), Term::Float(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Term::Float(_), _) => Ordering::Greater,
            (_, Term::Float(_)) => Ordering::Less,
            (Term::Atom(a), Term::Atom(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Term::Tuple(a), Term::Tuple(b)) => a
                .len()
                .cmp(&b.len())
                .then_with(|| cmp_seq(a.iter(), b.iter())),
            (Term::Map(a), Term::Map(b)) => {
                let (sa, sb) = (Term::sorted_map(a), Term::sorted_map(b));
                a.len()
                    .cmp(&b.len())
                    .then_with(|| cmp_seq(sa.iter().map(|p| &p.0), sb.iter().map(|p| &p.0)))
                    .then_with(|| cmp_seq(sa.iter().map(|p| &p.1), sb.iter().map(|p| &p.1)))
            }
            (Term::List(ea, ta), Term::List(eb, tb)) => {
                for (x, y) in ea.iter().zip(eb.iter()) {
                    let o = x.cmp_exact(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                match ea.len().cmp(&eb.len()) {
                    Ordering::Equal => ta.cmp_exact(tb),
                    // The shorter list continues with its tail.
                    Ordering::Less => {
                        ta.cmp_exact(&Term::List(eb[ea.len()..].to_vec(), tb.clone()))
                    }
                    Ordering::Greater => {
                        Term::List(ea[eb.len()..].to_vec(), ta.clone()).cmp_exact(tb)
                    }
                }
            }
            (a @ (Term::Binary(_) | Term::Bits(..)), b) => {
                let (da, la) = bits_of(a);
                let (db, lb) = bits_of(b);
                da.cmp(db).then(la.cmp(&lb))
            }
            (Term::Nil, Term::Nil) => Ordering::Equal,
            _ => format!("{self:?}").cmp(&format!("{other:?}")),
        }
    }
}

fn bits_of(t: &Term) -> (&[u8], usize) {
    match t {
        Term::Binary(b) => (b, b.len() * 8),
        Term::Bits(b, n) => (b, (b.len().saturating_sub(1)) * 8 + *n as usize),
        _ => (&[], 0),
    }
}

fn cmp_seq<'a>(a: impl Iterator<Item = &'a Term>, b: impl Iterator<Item = &'a Term>) -> Ordering {
    for (x, y) in a.zip(b) {
        let o = x.cmp_exact(y);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}
