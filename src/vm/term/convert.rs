//! Terms between the two representations: the external one (`crate::term::Term`,
//! what loading, `persistent_term` and the tests use) and words on a heap.
//! Apart from the heap so that the heap needs nothing of maps.

use crate::term::{Closure, Term};
use crate::vm::term::atoms::Atoms;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::maps;
use crate::vm::term::word::{MAX_PORT, Word, kind};
use num_bigint::{BigInt, Sign};

/// What a local fun is in the external representation, which the term
/// layer cannot tell alone: its lambda is in the loaded code. Given the
/// module's id and the lambda's index, the closure's fixed fields (`free`
/// left empty), if there is such a lambda.
pub type FunsOut<'f> = &'f dyn Fn(u32, u32) -> Option<Closure>;

/// And back: the module id and lambda index of a closure's lambda, if that
/// module is loaded and has it.
pub type FunsIn<'f> = &'f dyn Fn(&Closure) -> Option<(u32, u32)>;

/// A reference's number as the three words erl shows (`#Ref<0.A.B.C>` is
/// `[C, B, A]`): 18 bits, 32 bits, then the 14 left, as erl's own local
/// references fill them.
pub fn ref_words(id: u64) -> Vec<u32> {
    vec![(id & 0x3_ffff) as u32, (id >> 18) as u32, (id >> 50) as u32]
}

/// The number of a reference of this VM given as its words (see
/// [`ref_words`]), if it is one: a reference of another node, or with more
/// bits than a number has, is none.
pub fn ref_number(t: &Term) -> Option<u64> {
    let Term::Ref { node, ids, .. } = t else {
        return None;
    };
    let [c, b, a] = ids[..] else { return None };
    (&**node == "nonode@nohost" && c < 1 << 18 && a < 1 << 14)
        .then(|| u64::from(c) | u64::from(b) << 18 | u64::from(a) << 50)
}

impl Area {
    /// Builds a term of the external representation in this area.
    pub fn from_term(&mut self, area: u32, t: &Term, atoms: &Atoms) -> Word {
        self.from_term_with(area, t, atoms, &|_| None)
    }

    /// A reference with this number.
    pub fn reference(&mut self, area: u32, id: u64) -> Word {
        self.boxed(area, kind::REF, &[Word(id)])
    }

    /// [`Area::from_term`], with local funs made through `funs`. A fun it
    /// cannot make, and a reference of another node, become `undefined`.
    pub fn from_term_with(&mut self, area: u32, t: &Term, atoms: &Atoms, funs: FunsIn) -> Word {
        // Bottom-up without recursion; the children come in
        // `Term::child_count` order (a list's items then its tail, a map's
        // pairs interleaved, a fun's creator then its free variables).
        t.fold_up(|src, built| self.build(area, src, built, atoms, funs))
    }

    /// The word for `t`, whose subterms are already `kids`.
    fn build(
        &mut self,
        area: u32,
        t: &Term,
        mut kids: Vec<Word>,
        atoms: &Atoms,
        funs: FunsIn,
    ) -> Word {
        match t {
            Term::Int(i) => {
                Word::small(*i).unwrap_or_else(|| self.integer(area, &BigInt::from(*i)))
            }
            Term::Big(b) => self.integer(area, b),
            Term::Float(f) => self.float(area, *f),
            Term::Atom(a) => Word::atom(atoms.intern(a)),
            Term::Nil => Word::NIL,
            Term::List(..) => {
                let mut acc = kids.pop().unwrap_or(Word::NIL);
                for h in kids.into_iter().rev() {
                    acc = self.cons(area, h, acc);
                }
                acc
            }
            Term::Tuple(_) => self.tuple(area, &kids),
            Term::Map(pairs) => {
                let mut order: Vec<usize> = (0..pairs.len()).collect();
                order.sort_by(|&a, &b| pairs[a].0.cmp_exact(&pairs[b].0));
                let keys: Vec<Word> = order.iter().map(|&i| kids[2 * i]).collect();
                let values: Vec<Word> = order.iter().map(|&i| kids[2 * i + 1]).collect();
                if keys.len() <= maps::FLAT_MAX {
                    return self.map(area, &keys, &values);
                }
                // Hashes come from copies in a scratch heap: this area may
                // be a literal area no `View` can read yet.
                let mut scratch = Area::default();
                let items = order
                    .iter()
                    .zip(keys.iter().zip(&values))
                    .map(|(&i, (kw, vw))| {
                        let w = scratch.from_term_with(0, &pairs[i].0, atoms, funs);
                        let v = View {
                            heap: &scratch,
                            literals: &[],
                        };
                        (maps::hash(&v, w), *kw, *vw)
                    })
                    .collect();
                maps::build_hashed(self, area, items)
            }
            Term::Binary(b) => self.bitstring(area, b, 8),
            Term::Bits(b, n) => self.bitstring(area, b, *n),
            Term::Export {
                module,
                function,
                arity,
            } => self.export(area, atoms.intern(module), atoms.intern(function), *arity),
            // Pids, ports, references and closures never occur in literals:
            // these come from the external format (`binary_to_term/1`).
            // A pid's number is 15 bits and its serial 13, as on the BEAM.
            Term::Pid { id, serial, .. } => Word::pid(u64::from(*id) | u64::from(*serial) << 15),
            Term::Ref { .. } => match ref_number(t) {
                Some(id) => self.reference(area, id),
                None => Word::atom(atoms.intern("undefined")),
            },
            Term::Fun(c) => match funs(c) {
                Some((mid, index)) => {
                    let mut words = vec![
                        Word::small(i64::from(mid)).expect("a module id"),
                        Word::small(i64::from(index)).expect("a lambda index"),
                        Word::small(i64::from(c.arity)).expect("an arity"),
                    ];
                    // The first is the creator, which a fun word has not.
                    words.extend(kids.into_iter().skip(1));
                    self.boxed(area, kind::FUN, &words)
                }
                None => Word::atom(atoms.intern("undefined")),
            },
            Term::Port { id, .. } if *id <= MAX_PORT => Word::port(*id),
            Term::Port { .. } => Word::atom(atoms.intern("undefined")),
        }
    }
}

/// A compound term of the external representation being built from words:
/// its shape, the words of its subterms, and the subterms built so far.
struct Frame {
    shape: Shape,
    kids: Vec<Word>,
    built: Vec<Term>,
}

enum Shape {
    /// Items then the tail.
    List,
    Tuple,
    /// Keys and values interleaved.
    Map,
    /// The free variables of this closure.
    Fun(Closure),
}

impl Shape {
    fn assemble(self, mut built: Vec<Term>) -> Term {
        match self {
            Shape::List => {
                let tail = built.pop().unwrap_or(Term::Nil);
                Term::List(built, Box::new(tail))
            }
            Shape::Tuple => Term::Tuple(built),
            Shape::Map => {
                let mut it = built.into_iter();
                let mut pairs = Vec::with_capacity(it.len() / 2);
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Term::Map(pairs)
            }
            Shape::Fun(mut c) => {
                c.free = built;
                Term::Fun(Box::new(c))
            }
        }
    }
}

/// A word seen by [`View::to_term_with`]: a term with nothing below it, or
/// a compound one and the words of its subterms.
enum Opened {
    Leaf(Term),
    Node(Shape, Vec<Word>),
}

impl View<'_> {
    /// The external representation of a term (for printing and tests).
    /// A local fun, which needs the loaded code, is `'<internal>'`.
    pub fn to_term(&self, w: Word, atoms: &Atoms) -> Term {
        self.to_term_with(w, atoms, &|_, _| None)
    }

    /// [`View::to_term`], with local funs described through `funs`.
    pub fn to_term_with(&self, w: Word, atoms: &Atoms, funs: FunsOut) -> Term {
        // Depth first over an explicit stack (see `Area::from_term_with`).
        let mut stack: Vec<Frame> = Vec::new();
        let mut next = w;
        loop {
            let mut value = match self.open(next, atoms, funs) {
                Opened::Leaf(t) => t,
                Opened::Node(shape, kids) if kids.is_empty() => shape.assemble(Vec::new()),
                Opened::Node(shape, kids) => {
                    next = kids[0];
                    stack.push(Frame {
                        shape,
                        built: Vec::with_capacity(kids.len()),
                        kids,
                    });
                    continue;
                }
            };
            loop {
                let Some(top) = stack.last_mut() else {
                    return value;
                };
                top.built.push(value);
                if top.built.len() < top.kids.len() {
                    next = top.kids[top.built.len()];
                    break;
                }
                let f = stack.pop().expect("a frame");
                value = f.shape.assemble(f.built);
            }
        }
    }

    /// What `w` is at its own level.
    fn open(&self, w: Word, atoms: &Atoms, funs: FunsOut) -> Opened {
        let leaf = Opened::Leaf;
        if let Some(i) = w.as_small() {
            return leaf(Term::Int(i));
        }
        if let Some(a) = w.as_atom() {
            return leaf(Term::Atom(atoms.name(a)));
        }
        if w == Word::NIL {
            return leaf(Term::Nil);
        }
        if let Some(id) = w.as_pid() {
            return leaf(Term::Pid {
                node: "nonode@nohost".into(),
                id: (id & 0x7fff) as u32,
                serial: (id >> 15) as u32,
                creation: 0,
            });
        }
        if let Some(id) = w.as_port() {
            return leaf(Term::Port {
                node: "nonode@nohost".into(),
                id,
                creation: 0,
            });
        }
        if w.is_list() {
            let mut kids = Vec::new();
            let mut cur = w;
            while cur.is_list() {
                let (h, t) = self.cons(cur);
                kids.push(h);
                cur = t;
            }
            kids.push(cur);
            return Opened::Node(Shape::List, kids);
        }
        if !w.is_boxed() {
            return leaf(Term::atom("<bad word>"));
        }
        let p = w.ptr();
        let h = self.at(p, 0);
        let n = h.header_arity();
        let area = self.area(p);
        match h.header_kind() {
            kind::TUPLE => Opened::Node(Shape::Tuple, (1..=n).map(|i| self.at(p, i)).collect()),
            kind::FLOAT => leaf(Term::Float(f64::from_bits(self.at(p, 1).0))),
            k @ (kind::BIG_POS | kind::BIG_NEG) => {
                let digits = &area.words[p.offset + 1..p.offset + 1 + n];
                let mag = BigInt::from_slice(
                    Sign::Plus,
                    &digits
                        .iter()
                        .flat_map(|d| [*d as u32, (*d >> 32) as u32])
                        .collect::<Vec<_>>(),
                );
                leaf(Term::int(if k == kind::BIG_NEG { -mag } else { mag }))
            }
            kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => {
                let (bytes, last) = self.bits(w).expect("a binary");
                leaf(if last == 8 || bytes.is_empty() {
                    Term::Binary(bytes.to_vec())
                } else {
                    Term::Bits(bytes.to_vec(), last)
                })
            }
            kind::HMAP => Opened::Node(
                Shape::Map,
                maps::entries(self, atoms, w)
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|(k, x)| [k, x])
                    .collect(),
            ),
            kind::MAP => {
                let half = n / 2;
                Opened::Node(
                    Shape::Map,
                    (1..=half)
                        .flat_map(|i| [self.at(p, i), self.at(p, half + i)])
                        .collect(),
                )
            }
            kind::EXPORT => leaf(Term::Export {
                module: atoms.name(self.at(p, 1).as_atom().unwrap_or(0)),
                function: atoms.name(self.at(p, 2).as_atom().unwrap_or(0)),
                arity: self.at(p, 3).as_small().unwrap_or(0) as u8,
            }),
            kind::REF => leaf(Term::Ref {
                node: "nonode@nohost".into(),
                creation: 0,
                ids: ref_words(self.at(p, 1).0),
            }),
            kind::FUN => {
                let number = |i| self.at(p, i).as_small().unwrap_or(0) as u32;
                match funs(number(1), number(2)) {
                    Some(c) => {
                        Opened::Node(Shape::Fun(c), (4..=n).map(|i| self.at(p, i)).collect())
                    }
                    None => leaf(Term::atom("<internal>")),
                }
            }
            _ => leaf(Term::atom("<internal>")),
        }
    }
}
