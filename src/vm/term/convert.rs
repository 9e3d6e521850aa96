//! Terms between the two representations: the external one (`crate::term::Term`,
//! what loading, `persistent_term` and the tests use) and words on a heap.
//! Apart from the heap so that the heap needs nothing of maps.

use crate::term::Term;
use crate::vm::term::atoms::Atoms;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::maps;
use crate::vm::term::word::{Word, kind, ref_ids, ref_of_ids};
use num_bigint::{BigInt, Sign};

impl Area {
    /// Builds a term of the external representation in this area.
    pub fn from_term(&mut self, area: u32, t: &Term, atoms: &Atoms) -> Word {
        match t {
            Term::Int(i) => {
                Word::small(*i).unwrap_or_else(|| self.integer(area, &BigInt::from(*i)))
            }
            Term::Big(b) => self.integer(area, b),
            Term::Float(f) => self.float(area, *f),
            Term::Atom(a) => Word::atom(atoms.intern(a)),
            Term::Nil => Word::NIL,
            Term::List(items, tail) => {
                let mut acc = self.from_term(area, tail, atoms);
                for x in items.iter().rev() {
                    let h = self.from_term(area, x, atoms);
                    acc = self.cons(area, h, acc);
                }
                acc
            }
            Term::Tuple(items) => {
                let elems: Vec<Word> = items
                    .iter()
                    .map(|x| self.from_term(area, x, atoms))
                    .collect();
                self.tuple(area, &elems)
            }
            Term::Map(pairs) => {
                let sorted = Term::sorted_map(pairs);
                let keys: Vec<Word> = sorted
                    .iter()
                    .map(|(k, _)| self.from_term(area, k, atoms))
                    .collect();
                let values: Vec<Word> = sorted
                    .iter()
                    .map(|(_, v)| self.from_term(area, v, atoms))
                    .collect();
                if keys.len() <= maps::FLAT_MAX {
                    return self.map(area, &keys, &values);
                }
                // Hashes come from copies in a scratch heap: this area may
                // be a literal area no `View` can read yet.
                let mut scratch = Area::default();
                let items = sorted
                    .iter()
                    .zip(keys.iter().zip(&values))
                    .map(|((k, _), (kw, vw))| {
                        let w = scratch.from_term(0, k, atoms);
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
            // Pids, ports, references and closures never occur in literals;
            // the interpreter creates them itself.
            // A pid's number is 15 bits and its serial 13, as on the BEAM.
            Term::Pid { id, serial, .. } => Word::pid(u64::from(*id) | u64::from(*serial) << 15),
            Term::Ref { node, ids, .. } if &**node == "nonode@nohost" => match ref_of_ids(ids) {
                Some(id) => self.boxed(area, kind::REF, &[Word(id)]),
                None => Word::atom(atoms.intern("undefined")),
            },
            Term::Port { .. } | Term::Ref { .. } | Term::Fun(_) => {
                Word::atom(atoms.intern("undefined"))
            }
        }
    }
}

impl View<'_> {
    /// The external representation of a term (for printing and tests).
    pub fn to_term(&self, w: Word, atoms: &Atoms) -> Term {
        if let Some(i) = w.as_small() {
            return Term::Int(i);
        }
        if let Some(a) = w.as_atom() {
            return Term::Atom(atoms.name(a));
        }
        if w == Word::NIL {
            return Term::Nil;
        }
        if let Some(id) = w.as_pid() {
            return Term::Pid {
                node: "nonode@nohost".into(),
                id: (id & 0x7fff) as u32,
                serial: (id >> 15) as u32,
                creation: 0,
            };
        }
        if w.is_list() {
            let mut items = Vec::new();
            let mut cur = w;
            while cur.is_list() {
                let (h, t) = self.cons(cur);
                items.push(self.to_term(h, atoms));
                cur = t;
            }
            return Term::List(items, Box::new(self.to_term(cur, atoms)));
        }
        if !w.is_boxed() {
            return Term::atom("<bad word>");
        }
        let p = w.ptr();
        let h = self.at(p, 0);
        let n = h.header_arity();
        let area = self.area(p);
        match h.header_kind() {
            kind::TUPLE => Term::Tuple(
                (1..=n)
                    .map(|i| self.to_term(self.at(p, i), atoms))
                    .collect(),
            ),
            kind::FLOAT => Term::Float(f64::from_bits(self.at(p, 1).0)),
            k @ (kind::BIG_POS | kind::BIG_NEG) => {
                let digits = &area.words[p.offset + 1..p.offset + 1 + n];
                let mag = BigInt::from_slice(
                    Sign::Plus,
                    &digits
                        .iter()
                        .flat_map(|d| [*d as u32, (*d >> 32) as u32])
                        .collect::<Vec<_>>(),
                );
                Term::int(if k == kind::BIG_NEG { -mag } else { mag })
            }
            kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => {
                let (bytes, last) = self.bits(w).expect("a binary");
                if last == 8 || bytes.is_empty() {
                    Term::Binary(bytes.to_vec())
                } else {
                    Term::Bits(bytes.to_vec(), last)
                }
            }
            kind::HMAP => Term::Map(
                maps::entries(self, atoms, w)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, x)| (self.to_term(k, atoms), self.to_term(x, atoms)))
                    .collect(),
            ),
            kind::MAP => {
                let half = n / 2;
                Term::Map(
                    (1..=half)
                        .map(|i| {
                            (
                                self.to_term(self.at(p, i), atoms),
                                self.to_term(self.at(p, half + i), atoms),
                            )
                        })
                        .collect(),
                )
            }
            kind::REF => Term::Ref {
                node: "nonode@nohost".into(),
                creation: 0,
                ids: ref_ids(self.at(p, 1).0).to_vec(),
            },
            kind::EXPORT => Term::Export {
                module: atoms.name(self.at(p, 1).as_atom().unwrap_or(0)),
                function: atoms.name(self.at(p, 2).as_atom().unwrap_or(0)),
                arity: self.at(p, 3).as_small().unwrap_or(0) as u8,
            },
            _ => Term::atom("<internal>"),
        }
    }
}
