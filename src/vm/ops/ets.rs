//! ETS storage (`docs/ets.md`): the VM-wide registry of tables and each
//! table's objects, outside every process heap. A table is behind its own
//! `RwLock`, so readers on different schedulers proceed together; the
//! registry's lock is held only to find a table or to add, rename or drop one.
//!
//! Objects are copied in whole (literals too: a module may be purged while
//! the table lives) into the table's [`Arena`], one area for all its
//! objects, and copied out on reading. Keys are also kept in an owned form
//! ([`Key`]) that orders and compares without the atom table or a heap.
//!
//! `set`, `bag` and `duplicate_bag` tables keep erl's linear hash table
//! (`erl_db_hash.c`) slot for slot, so that every walk of one (`first/next`,
//! `tab2list`, `select`) meets the objects in erl's order: 256 slots at
//! first, one more each time the objects outnumber the slots (the split
//! slot's chain divided stably between it and the new slot), up to five
//! fewer per delete once they are fewer than half the slots of the first
//! segment and the last two (never with fewer than two segments of 2048
//! past the first 256); a new key goes to the end of its chain, and a
//! bag's new object before the others of its key (`natives::ets` puts a
//! list into a bag from its end, as erl does). `ordered_set` tables are a
//! `BTreeMap` in term order.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering as AtOrd};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use num_bigint::BigInt;

use crate::vm::term::atoms::Atoms;
use crate::vm::term::compare::{Num, number};
use crate::vm::term::heap::{Area, View};
use crate::vm::term::idmap::IdMap;
use crate::vm::term::memory::{Account, Memory, copy_bytes};
use crate::vm::term::word::{Word, kind};

/// Slots a hash table starts with (and never shrinks below).
pub const FIRST_SLOTS: usize = 256;

/// Slots are added in segments of this many past the first 256.
const SEGMENT: usize = 2048;

/// Table references are numbered from here, far above the VM's own
/// references (`make_ref`), so the two never meet.
pub const REF_BASE: u64 = 1 << 60;

/// A table's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// One object per key (`=:=`), hashed.
    Set,
    /// One object per key (`==`), in term order.
    OrderedSet,
    /// Distinct objects per key.
    Bag,
    /// Any objects per key.
    DuplicateBag,
}

impl Type {
    /// Its name in options and `ets:info/2`.
    pub fn name(self) -> &'static str {
        match self {
            Type::Set => "set",
            Type::OrderedSet => "ordered_set",
            Type::Bag => "bag",
            Type::DuplicateBag => "duplicate_bag",
        }
    }
}

/// Who may read and write a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everyone reads and writes.
    Public,
    /// Everyone reads, the owner writes.
    Protected,
    /// Only the owner.
    Private,
}

impl Access {
    /// Its name in options and `ets:info/2`.
    pub fn name(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Protected => "protected",
            Access::Private => "private",
        }
    }
}

/// A term kept outside any heap and any table (an heir's data, a gift):
/// its own area, read with `literals` empty.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The words (and binaries) of the term.
    pub area: Area,
    /// The term.
    pub root: Word,
}

impl Default for Stored {
    fn default() -> Stored {
        Stored {
            area: Area::default(),
            root: Word::NIL,
        }
    }
}

impl Stored {
    /// A copy of `w` (read through `v`), literals included.
    pub fn new(v: &View, w: Word) -> Stored {
        // The usual object, a tuple of immediates, in one step.
        if let Some(elems) = v.tuple(w)
            && elems.iter().all(|e| Word(*e).is_immediate())
        {
            let mut words = Vec::with_capacity(1 + elems.len());
            words.push(Word::header(kind::TUPLE, elems.len()).0);
            words.extend_from_slice(elems);
            let area = Area {
                words,
                ..Area::default()
            };
            let root = Word::boxed(crate::vm::term::word::Ptr { area: 0, offset: 0 });
            return Stored { area, root };
        }
        let mut area = Area::default();
        let root = deep_copy(v, w, &mut area);
        Stored { area, root }
    }

    /// As [`Stored::new`], given room first (the copy sized, walked no
    /// further than `memory` has left), or the bytes `memory` or the
    /// allocator refused: for a term the program sized (an heir's data, a
    /// gift), which its caller pays for.
    pub fn new_within(v: &View, w: Word, memory: &Memory) -> Result<Stored, usize> {
        let mut area = Area::default();
        memory.room_for_copy(v, w, true, Some(&mut area))?;
        let root = deep_copy(v, w, &mut area);
        Ok(Stored { area, root })
    }

    /// A view of it.
    pub fn view(&self) -> View<'_> {
        View {
            heap: &self.area,
            literals: &[],
        }
    }

    /// A copy on `heap` (area 0 of a process).
    pub fn copy_out(&self, heap: &mut Area) -> Word {
        // The usual object, a tuple of immediates, in one step.
        if self.root.is_boxed() && self.root.ptr().offset == 0 {
            let h = Word(self.area.words[0]);
            if h.header_kind() == kind::TUPLE
                && self.area.words.len() == 1 + h.header_arity()
                && self.area.words[1..].iter().all(|w| Word(*w).is_immediate())
            {
                let at = heap.words.len();
                heap.words.extend_from_slice(&self.area.words);
                return Word::boxed(crate::vm::term::word::Ptr {
                    area: 0,
                    offset: at,
                });
            }
        }
        self.view().copy_into(self.root, heap)
    }
}

/// Copies `w` into `dst` whole, whatever area it lives in (breadth first
/// past a few hundred levels, so any depth copies).
fn deep_copy(v: &View, w: Word, dst: &mut Area) -> Word {
    v.copy_whole(w, dst)
}

/// A key in an owned form. Its order ([`Ord`]) is Erlang's term order,
/// where `1 == 1.0` (an `ordered_set`'s notion of the same key); [`Key::same`]
/// is `=:=` (a hash table's).
///
/// A compound key is one flat [`Key::Seq`] of tokens, never a tree: a key
/// nested a million deep is built, compared and dropped without recursion.
/// Each term's tokens are prefix-free and ordered as the terms are, so
/// comparing two sequences token by token is comparing the terms.
#[derive(Debug, Clone)]
pub enum Key {
    /// A small or 64-bit integer.
    Int(i64),
    /// A larger integer.
    Big(BigInt),
    /// A float.
    Float(f64),
    /// A float inside a map key, where every integer sorts before it.
    KeyFloat(f64),
    /// An atom, by its text (atoms order by text).
    Atom(Arc<str>),
    /// A reference, by its words.
    Ref(Vec<u64>),
    /// A fun, by its words (funs as keys are rare; identity is enough).
    Fun(Vec<u64>),
    /// A local port, by its word.
    Port(u64),
    /// A local pid.
    Pid(u64),
    /// In a [`Key::Seq`]: a tuple of this many elements, which follow.
    Tuple(usize),
    /// In a [`Key::Seq`]: a map of this many pairs, its keys in map key
    /// order then its values.
    Map(usize),
    /// `[]`.
    Nil,
    /// In a [`Key::Seq`]: a cons cell, its head and tail following.
    Cons,
    /// A bitstring: bytes, bits in the last byte.
    Bits(Vec<u8>, u8),
    /// A tuple, map or list: its tokens, depth first.
    Seq(Box<[Key]>),
    /// Any other key of a hash table, which needs `=:=` alone: the term
    /// flattened into words (one allocation, not one per element).
    Exact(Box<[u64]>),
    /// A hash table's key that is an immediate other than a small integer
    /// (an atom, a pid, `[]`): its word (no allocation).
    Imm(u64),
}

/// A marker in [`Key::Exact`]'s words: a header word, never an immediate.
fn mark(kind: u8, n: usize) -> u64 {
    Word::header(kind, n).0
}

/// Marks a cons cell in [`Key::Exact`] (no object has this kind).
const CONS: u8 = 63;

/// A bitstring's words in a flattened key.
fn flatten_bits(bytes: &[u8], last: u8, out: &mut Vec<u64>) {
    out.push(mark(kind::HEAP_BIN, bytes.len()));
    out.push(last as u64);
    for chunk in bytes.chunks(8) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        out.push(u64::from_le_bytes(b));
    }
}

/// `w` flattened into `out`: equal words for exactly equal terms. Depth
/// first with a stack of its own, so any depth flattens.
fn flatten(v: &View, w: Word, out: &mut Vec<u64>) {
    let mut todo = vec![w];
    while let Some(cur) = todo.pop() {
        if cur.is_immediate() {
            out.push(cur.0);
            continue;
        }
        if cur.is_list() {
            let (h, t) = v.cons(cur);
            out.push(mark(CONS, 0));
            todo.push(t);
            todo.push(h);
            continue;
        }
        if let Some((bytes, last)) = v.bits(cur) {
            flatten_bits(bytes, last, out);
            continue;
        }
        if let Some(f) = v.float(cur) {
            // 0.0 =:= -0.0 in OTP 25.
            out.push(mark(kind::FLOAT, 1));
            out.push(if f == 0.0 { 0 } else { f.to_bits() });
            continue;
        }
        if let Some(pairs) = v.map_pairs(cur) {
            // Flat maps keep their keys in order, hashed ones in trie
            // order: the same for the same keys either way.
            out.push(mark(kind::MAP, pairs.len()));
            for (k, x) in pairs.into_iter().rev() {
                todo.push(x);
                todo.push(k);
            }
            continue;
        }
        let p = cur.ptr();
        let h = v.header(cur);
        let n = h.header_arity();
        out.push(h.0);
        match h.header_kind() {
            kind::TUPLE | kind::FUN | kind::EXPORT => {
                todo.extend((1..=n).rev().map(|i| v.at(p, i)));
            }
            _ => out.extend_from_slice(&v.area(p).words[p.offset + 1..p.offset + 1 + n]),
        }
    }
}

impl Key {
    /// The key of term `w` for a hash table, which compares keys with
    /// `=:=` alone (see [`Key::same`]).
    pub fn exact(v: &View, w: Word) -> Key {
        if let Some(i) = w.as_small() {
            return Key::Int(i);
        }
        if w.is_immediate() {
            return Key::Imm(w.0);
        }
        // A binary key (counting substrings, say) in one allocation of
        // the right size, with no stack.
        if let Some((bytes, last)) = v.bits(w) {
            let mut out = Vec::with_capacity(2 + bytes.len().div_ceil(8));
            flatten_bits(bytes, last, &mut out);
            return Key::Exact(out.into_boxed_slice());
        }
        let mut out = Vec::new();
        flatten(v, w, &mut out);
        Key::Exact(out.into_boxed_slice())
    }

    /// The key of term `w` for a table of type `ty`.
    pub fn for_type(v: &View, atoms: &Atoms, w: Word, ty: Type) -> Key {
        match ty {
            Type::OrderedSet => Key::of(v, atoms, w),
            _ => Key::exact(v, w),
        }
    }

    /// The key of term `w`, read through `v`.
    pub fn of(v: &View, atoms: &Atoms, w: Word) -> Key {
        let compound = w.is_list() || v.tuple(w).is_some() || v.map_size(w).is_some();
        if !compound {
            return Key::leaf(v, atoms, w, false);
        }
        // Depth first with a stack of its own: (term, inside a map key).
        let mut seq = Vec::new();
        let mut todo = vec![(w, false)];
        while let Some((cur, exact)) = todo.pop() {
            if cur.is_list() {
                let (h, t) = v.cons(cur);
                seq.push(Key::Cons);
                todo.push((t, exact));
                todo.push((h, exact));
            } else if let Some(elems) = v.tuple(cur) {
                seq.push(Key::Tuple(elems.len()));
                todo.extend(elems.iter().rev().map(|e| (Word(*e), exact)));
            } else if let Some(mut pairs) = v.map_pairs(cur) {
                if v.header(cur).header_kind() == kind::HMAP {
                    pairs.sort_by(|a, b| crate::vm::term::compare::cmp(v, atoms, a.0, b.0, true));
                }
                seq.push(Key::Map(pairs.len()));
                todo.extend(pairs.iter().rev().map(|(_, x)| (*x, exact)));
                todo.extend(pairs.iter().rev().map(|(k, _)| (*k, true)));
            } else {
                seq.push(Key::leaf(v, atoms, cur, exact));
            }
        }
        Key::Seq(seq.into_boxed_slice())
    }

    /// The key of a term that is no tuple, map or cons cell; `exact` inside
    /// a map key.
    fn leaf(v: &View, atoms: &Atoms, w: Word, exact: bool) -> Key {
        if let Some(i) = w.as_small() {
            return Key::Int(i);
        }
        if let Some(a) = w.as_atom() {
            return Key::Atom(atoms.name(a));
        }
        if let Some(p) = w.as_pid() {
            return Key::Pid(p);
        }
        if w == Word::NIL {
            return Key::Nil;
        }
        if !w.is_boxed() {
            return Key::Port(w.0);
        }
        if let Some((bytes, last)) = v.bits(w) {
            return Key::Bits(bytes.to_vec(), last);
        }
        match number(v, w) {
            Some(Num::Small(i)) => return Key::Int(i),
            Some(Num::Float(f)) if exact => return Key::KeyFloat(f),
            Some(Num::Float(f)) => return Key::Float(f),
            Some(Num::Big(b)) => {
                return match i64::try_from(&b) {
                    Ok(i) => Key::Int(i),
                    Err(_) => Key::Big(b),
                };
            }
            None => {}
        }
        let p = w.ptr();
        let h = v.header(w);
        let words = v.area(p).words[p.offset..p.offset + 1 + h.header_arity()].to_vec();
        if h.header_kind() == kind::REF {
            Key::Ref(words)
        } else {
            Key::Fun(words)
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Key::Int(_) | Key::Big(_) | Key::Float(_) | Key::KeyFloat(_) => 0,
            Key::Atom(_) => 1,
            Key::Ref(_) => 2,
            Key::Fun(_) => 3,
            Key::Port(_) => 4,
            Key::Pid(_) => 5,
            Key::Tuple(_) => 6,
            Key::Map(_) => 7,
            Key::Nil => 8,
            Key::Cons => 9,
            Key::Bits(..) => 10,
            Key::Seq(s) => s.first().map_or(8, Key::rank),
            Key::Exact(_) | Key::Imm(_) => 11,
        }
    }

    /// Exact equality (`=:=`): an integer never equals a float.
    pub fn same(&self, o: &Key) -> bool {
        match (self, o) {
            (Key::Int(a), Key::Int(b)) => a == b,
            (Key::Big(a), Key::Big(b)) => a == b,
            (Key::Float(a), Key::Float(b)) | (Key::KeyFloat(a), Key::KeyFloat(b)) => a == b,
            (Key::Atom(a), Key::Atom(b)) => a == b,
            (Key::Ref(a), Key::Ref(b)) | (Key::Fun(a), Key::Fun(b)) => a == b,
            (Key::Port(a), Key::Port(b)) | (Key::Pid(a), Key::Pid(b)) => a == b,
            (Key::Tuple(a), Key::Tuple(b)) | (Key::Map(a), Key::Map(b)) => a == b,
            (Key::Nil, Key::Nil) | (Key::Cons, Key::Cons) => true,
            (Key::Seq(a), Key::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.same(y))
            }
            (Key::Bits(a, la), Key::Bits(b, lb)) => a == b && la == lb,
            (Key::Exact(a), Key::Exact(b)) => a == b,
            (Key::Imm(a), Key::Imm(b)) => a == b,
            _ => false,
        }
    }
}

fn cmp_float_big(f: f64, b: &BigInt) -> Ordering {
    let fl = f.floor();
    match <BigInt as num_traits::FromPrimitive>::from_f64(fl) {
        Some(fb) => match fb.cmp(b) {
            Ordering::Equal if f > fl => Ordering::Greater,
            o => o,
        },
        None if f > 0.0 => Ordering::Greater,
        None => Ordering::Less,
    }
}

fn cmp_num(a: &Key, b: &Key) -> Ordering {
    match (a, b) {
        (Key::Int(x), Key::Int(y)) => x.cmp(y),
        (Key::Float(x) | Key::KeyFloat(x), Key::Float(y) | Key::KeyFloat(y)) => {
            x.partial_cmp(y).unwrap_or(Ordering::Equal)
        }
        (Key::Big(x), Key::Big(y)) => x.cmp(y),
        (Key::Int(x), Key::Big(y)) => BigInt::from(*x).cmp(y),
        (Key::Big(x), Key::Int(y)) => x.cmp(&BigInt::from(*y)),
        // Map key order: every integer before every float.
        (Key::KeyFloat(_), _) => Ordering::Greater,
        (_, Key::KeyFloat(_)) => Ordering::Less,
        (Key::Float(f), Key::Int(i)) => cmp_float_big(*f, &BigInt::from(*i)),
        (Key::Float(f), Key::Big(i)) => cmp_float_big(*f, i),
        (Key::Int(_) | Key::Big(_), Key::Float(_)) => cmp_num(b, a).reverse(),
        _ => Ordering::Equal,
    }
}

/// The tokens of a key: a compound key's own, a plain key alone.
fn tokens(k: &Key) -> &[Key] {
    match k {
        Key::Seq(s) => s,
        _ => std::slice::from_ref(k),
    }
}

impl Ord for Key {
    fn cmp(&self, o: &Key) -> Ordering {
        if matches!(self, Key::Seq(_)) || matches!(o, Key::Seq(_)) {
            let (a, b) = (tokens(self), tokens(o));
            for (x, y) in a.iter().zip(b) {
                match x.cmp(y) {
                    Ordering::Equal => {}
                    d => return d,
                }
            }
            return a.len().cmp(&b.len());
        }
        let (ra, rb) = (self.rank(), o.rank());
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (self, o) {
            (Key::Atom(a), Key::Atom(b)) => a.cmp(b),
            (Key::Ref(a), Key::Ref(b)) | (Key::Fun(a), Key::Fun(b)) => a.cmp(b),
            (Key::Port(a), Key::Port(b)) | (Key::Pid(a), Key::Pid(b)) => a.cmp(b),
            (Key::Exact(a), Key::Exact(b)) => a.cmp(b),
            (Key::Imm(a), Key::Imm(b)) => a.cmp(b),
            (Key::Tuple(a), Key::Tuple(b)) | (Key::Map(a), Key::Map(b)) => a.cmp(b),
            (Key::Nil, Key::Nil) | (Key::Cons, Key::Cons) => Ordering::Equal,
            (Key::Bits(a, la), Key::Bits(b, lb)) => {
                let bits = |v: &Vec<u8>, l: u8| v.len() * 8 - 8 + l as usize;
                let (na, nb) = (bits(a, *la), bits(b, *lb));
                // Compare the common whole bytes, then the bits.
                let common = na.min(nb);
                for i in 0..common.div_ceil(8) {
                    let take = (common - i * 8).min(8);
                    let mask = if take == 8 {
                        0xff
                    } else {
                        0xffu8 << (8 - take)
                    };
                    match (a[i] & mask).cmp(&(b[i] & mask)) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                na.cmp(&nb)
            }
            _ => cmp_num(self, o),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Key) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for Key {
    fn eq(&self, o: &Key) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Key {}

/// The hash a hash table files a key under: erl's `MAKE_HASH` (an atom's
/// hash of its text, else `make_internal_hash`). Only its low bits pick
/// a slot, so OTP 25's masking of the top bit changes nothing here.
pub fn key_hash(v: &View, atoms: &Atoms, w: Word) -> u32 {
    match w.as_atom() {
        Some(a) => crate::vm::term::hash::atom_text_hash(&atoms.name(a)),
        None => crate::vm::term::hash::internal_hash(v, w, 0),
    }
}

/// An object on its way into a table: its key and hash, and the term
/// itself, still where the caller has it (copied in under the table's
/// write lock, into the table's [`Arena`]).
#[derive(Debug)]
pub struct NewObj {
    /// Its key, owned.
    pub key: Key,
    /// The hash of its key.
    pub hash: u32,
    /// The tuple, read through the caller's view.
    pub term: Word,
}

impl NewObj {
    /// The object tuple `w` (read through `v`) keyed at `keypos`
    /// (1-based) for a table of type `ty`.
    pub fn new(v: &View, atoms: &Atoms, w: Word, keypos: usize, ty: Type) -> NewObj {
        let k = Word(v.tuple(w).expect("a tuple")[keypos - 1]);
        NewObj {
            key: Key::for_type(v, atoms, k, ty),
            hash: key_hash(v, atoms, k),
            term: w,
        }
    }
}

/// An object of a table. Its words are in the table's [`Arena`]: read
/// them through [`Table::view`] (valid until the table's next insert or
/// replace, which may compact the arena).
#[derive(Debug)]
pub struct Obj {
    /// Its key, owned.
    pub key: Key,
    /// The hash of its key (hash tables).
    pub hash: u32,
    /// Its weight in the arena (see [`Arena`]); 0 marks a free entry.
    size: u32,
    /// The object, in the arena.
    pub root: Word,
}

impl Obj {
    /// What a free entry of a hash table holds.
    fn vacant() -> Obj {
        Obj {
            key: Key::Nil,
            hash: 0,
            size: 0,
            root: Word::NIL,
        }
    }

    /// Its weight in the arena: words, with off-heap binaries counted as
    /// words of their bytes.
    pub fn size(&self) -> usize {
        self.size as usize
    }
}

/// Where a table's objects live: one area for all of them, so that an
/// insert allocates nothing of its own (the area grows by doubling) and
/// dropping a table frees a few blocks, not one per object. Removed and
/// replaced objects leave garbage, weighed in words (a large binary by
/// its bytes); once it outweighs the live objects (and some minimum) the
/// next insert copies the live ones to a fresh area.
#[derive(Debug, Default)]
pub struct Arena {
    area: Area,
    live: usize,
    garbage: usize,
    /// What the table holds, in the VM's memory budget (set after each
    /// insert, given back with the arena).
    account: Account,
}

/// Garbage below this weight is never worth a compaction.
const COMPACT_MIN: usize = 1 << 16;

/// The elements of `w` if it is a tuple of immediates (the usual object:
/// copied in and out in one step).
fn flat_tuple<'a>(v: &View<'a>, w: Word) -> Option<&'a [u64]> {
    v.tuple(w)
        .filter(|elems| elems.iter().all(|e| Word(*e).is_immediate()))
}

impl Arena {
    /// A view of the objects.
    pub fn view(&self) -> View<'_> {
        View {
            heap: &self.area,
            literals: &[],
        }
    }

    fn mark(&self) -> (usize, usize) {
        (self.area.words.len(), self.area.offheap_bytes)
    }

    fn weight_since(&self, (words, bytes): (usize, usize)) -> usize {
        self.area.words.len() - words + (self.area.offheap_bytes - bytes).div_ceil(8)
    }

    /// Copies `w` (read through `v`, literals included) in whole: its root
    /// and weight.
    fn put(&mut self, v: &View, w: Word) -> (Word, u32) {
        let before = self.mark();
        let root = if let Some(elems) = flat_tuple(v, w) {
            let at = self.area.words.len();
            self.area
                .words
                .push(Word::header(kind::TUPLE, elems.len()).0);
            self.area.words.extend_from_slice(elems);
            Word::boxed(crate::vm::term::word::Ptr {
                area: 0,
                offset: at,
            })
        } else {
            deep_copy(v, w, &mut self.area)
        };
        let size = self.weight_since(before);
        self.live += size;
        (root, size.min(u32::MAX as usize) as u32)
    }

    /// An object was removed or replaced: its words are garbage now.
    fn forget(&mut self, size: u32) {
        self.live = self.live.saturating_sub(size as usize);
        self.garbage += size as usize;
    }

    /// Writes `w` (read through `v`) over the object at `root` when both
    /// are tuples of immediates of one size: a set's overwrite or a
    /// counter's update then makes no garbage.
    fn overwrite(&mut self, root: Word, v: &View, w: Word) -> bool {
        let Some(new) = flat_tuple(v, w) else {
            return false;
        };
        let at = root.ptr().offset;
        let old = Word(self.area.words[at]);
        if old.header_kind() != kind::TUPLE || old.header_arity() != new.len() {
            return false;
        }
        let slot = &mut self.area.words[at + 1..at + 1 + new.len()];
        if !slot.iter().all(|e| Word(*e).is_immediate()) {
            return false;
        }
        slot.copy_from_slice(new);
        true
    }

    /// A copy of the object at `root` on `heap` (area 0 of a process).
    pub fn copy_out(&self, root: Word, heap: &mut Area) -> Word {
        let v = self.view();
        if let Some(elems) = flat_tuple(&v, root) {
            let at = heap.words.len();
            heap.words.push(Word::header(kind::TUPLE, elems.len()).0);
            heap.words.extend_from_slice(elems);
            return Word::boxed(crate::vm::term::word::Ptr {
                area: 0,
                offset: at,
            });
        }
        v.copy_into(root, heap)
    }
}

/// Ends a hash chain (and the free list).
const END: u32 = u32::MAX;

/// An object in a hash chain.
#[derive(Debug)]
struct Entry {
    /// The next entry of its chain (or of the free list).
    next: u32,
    obj: Obj,
}

/// A linear hash table, slot for slot erl's. Its chains are linked lists
/// through one vector of entries (free ones reused), so a slot is one
/// word and a lookup touches the slot and then the entry.
#[derive(Debug)]
pub struct HashTab {
    /// The active slots: each its chain's head entry ([`END`]: empty).
    pub slots: Vec<u32>,
    entries: Vec<Entry>,
    /// The first free entry.
    free: u32,
    szm: usize,
    /// Slots allocated (a whole number of segments): erl shrinks only
    /// while two or more segments past the first are allocated.
    nslots: usize,
    /// The objects.
    pub nitems: usize,
    /// How walks step through the slots: erl walks a table with
    /// `write_concurrency` one lock stripe at a time (slots 0, 64, 128,
    /// ..., then 1, 65, ...), others slot after slot.
    pub stripes: usize,
}

impl Default for HashTab {
    fn default() -> Self {
        HashTab {
            slots: vec![END; FIRST_SLOTS],
            entries: Vec::new(),
            free: END,
            szm: FIRST_SLOTS - 1,
            nslots: FIRST_SLOTS,
            nitems: 0,
            stripes: 1,
        }
    }
}

/// Lock stripes of a table with `write_concurrency` (erl 25's
/// `DB_HASH_LOCK_CNT`).
pub const STRIPES: usize = 64;

/// The objects of one hash chain, head first.
pub struct Chain<'a> {
    entries: &'a [Entry],
    at: u32,
}

impl<'a> Iterator for Chain<'a> {
    type Item = &'a Obj;
    fn next(&mut self) -> Option<&'a Obj> {
        let e = self.entries.get(self.at as usize)?;
        self.at = e.next;
        Some(&e.obj)
    }
}

impl HashTab {
    /// The objects of slot `ix`, head first.
    pub fn chain(&self, ix: usize) -> Chain<'_> {
        Chain {
            entries: &self.entries,
            at: self.slots[ix],
        }
    }

    /// The slot a walk visits after `ix` (erl's `next_slot`), if any.
    pub fn next_slot(&self, ix: usize) -> Option<usize> {
        let n = ix + self.stripes;
        if n < self.slots.len() {
            return Some(n);
        }
        let n = (n + 1) & (self.stripes - 1);
        (n != 0).then_some(n)
    }

    /// The slots in walk order, from `ix`.
    pub fn slots_from(&self, ix: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(ix), move |i| self.next_slot(*i))
    }

    /// The slot of hash `h`.
    pub fn slot_of(&self, h: u32) -> usize {
        let ix = h as usize & self.szm;
        if ix >= self.slots.len() {
            ix & (self.szm >> 1)
        } else {
            ix
        }
    }

    /// Every live object (in no particular order), to be moved.
    fn objs_mut(&mut self) -> impl Iterator<Item = &mut Obj> {
        self.entries
            .iter_mut()
            .map(|e| &mut e.obj)
            .filter(|o| o.size > 0)
    }

    /// A new entry holding `obj`, linked to nothing.
    fn alloc(&mut self, obj: Obj) -> u32 {
        if self.free != END {
            let i = self.free;
            let e = &mut self.entries[i as usize];
            self.free = e.next;
            *e = Entry { next: END, obj };
            return i;
        }
        self.entries.push(Entry { next: END, obj });
        (self.entries.len() - 1) as u32
    }

    /// Frees entry `i` (already unlinked), giving back its object.
    fn release(&mut self, i: u32) -> Obj {
        let e = &mut self.entries[i as usize];
        let obj = std::mem::replace(&mut e.obj, Obj::vacant());
        e.next = self.free;
        self.free = i;
        obj
    }

    /// Appends entry `i` to the list `(head, tail)`.
    fn link(&mut self, head: &mut u32, tail: &mut u32, i: u32) {
        self.entries[i as usize].next = END;
        if *tail == END {
            *head = i;
        } else {
            self.entries[*tail as usize].next = i;
        }
        *tail = i;
    }

    /// Unlinks from slot `ix` the entries for which `pred` holds, keeping
    /// the others in order: the unlinked ones, in chain order.
    fn unlink_where(&mut self, ix: usize, mut pred: impl FnMut(&Obj) -> bool) -> Vec<u32> {
        let mut gone = Vec::new();
        let (mut head, mut tail) = (END, END);
        let mut at = self.slots[ix];
        while at != END {
            let next = self.entries[at as usize].next;
            if pred(&self.entries[at as usize].obj) {
                gone.push(at);
            } else {
                self.link(&mut head, &mut tail, at);
            }
            at = next;
        }
        self.slots[ix] = head;
        gone
    }

    /// One more slot: splits the chain of the slot it takes from.
    fn grow(&mut self) {
        let nactive = self.slots.len();
        if nactive == self.nslots {
            self.nslots += SEGMENT;
        }
        let from = if nactive <= self.szm {
            nactive & (self.szm >> 1)
        } else {
            self.szm = (self.szm << 1) | 1;
            0
        };
        let szm = self.szm;
        // A stable split: each entry goes to the end of its side.
        let (mut keep, mut keep_tail) = (END, END);
        let (mut go, mut go_tail) = (END, END);
        let mut at = self.slots[from];
        while at != END {
            let e = &self.entries[at as usize];
            let next = e.next;
            if e.obj.hash as usize & szm != from {
                self.link(&mut go, &mut go_tail, at);
            } else {
                self.link(&mut keep, &mut keep_tail, at);
            }
            at = next;
        }
        self.slots[from] = keep;
        self.slots.push(go);
    }

    /// One fewer slot: the top chain goes before the chain it joins.
    fn shrink(&mut self) {
        let low = self.szm >> 1;
        let Some(moved) = self.slots.pop() else {
            return;
        };
        let dst = self.slots.len() & low;
        if moved != END {
            let mut tail = moved;
            while self.entries[tail as usize].next != END {
                tail = self.entries[tail as usize].next;
            }
            self.entries[tail as usize].next = self.slots[dst];
            self.slots[dst] = moved;
        }
        if dst == 0 {
            self.szm = low;
        }
        if self.nslots - self.slots.len() >= SEGMENT {
            self.nslots -= SEGMENT;
        }
    }

    /// Below how many objects the table shrinks: once the first segment
    /// and the last two are half empty, and never with fewer than two
    /// segments past the first.
    fn shrink_limit(&self) -> usize {
        if self.nslots >= FIRST_SLOTS + 2 * SEGMENT {
            (self.nslots - SEGMENT) / 2
        } else {
            0
        }
    }

    /// Grows as erl does after an insert (unless the table is fixed).
    pub fn after_insert(&mut self, fixed: bool) {
        if fixed {
            return;
        }
        let mut limit = 5;
        while self.nitems > self.slots.len() && limit > 0 {
            self.grow();
            limit -= 1;
        }
    }

    /// Shrinks as erl does after a delete (unless the table is fixed).
    pub fn after_delete(&mut self, fixed: bool) {
        if fixed {
            return;
        }
        let mut limit = 5;
        while self.slots.len() > FIRST_SLOTS && self.nitems < self.shrink_limit() && limit > 0 {
            self.shrink();
            limit -= 1;
        }
    }
}

/// A table's objects (their words in the table's [`Arena`]).
#[derive(Debug)]
pub enum Store {
    /// `set`, `bag`, `duplicate_bag`.
    Hash(HashTab),
    /// `ordered_set`.
    Tree(BTreeMap<Key, Obj>),
}

/// A table: what `ets:info` tells and the objects.
#[derive(Debug)]
pub struct Table {
    /// Its reference number.
    pub id: u64,
    /// Its name (an atom index).
    pub name: u32,
    /// Whether it is known by name.
    pub named: bool,
    /// Its type.
    pub ty: Type,
    /// Its access.
    pub access: Access,
    /// The key's position (1-based).
    pub keypos: usize,
    /// The owning process.
    pub owner: u64,
    /// The heir and the data it gets, if any.
    pub heir: Option<(u64, Stored)>,
    /// `read_concurrency`.
    pub read_concurrency: bool,
    /// `write_concurrency` (`auto` as true).
    pub write_concurrency: bool,
    /// `compressed`.
    pub compressed: bool,
    /// `decentralized_counters`.
    pub decentralized_counters: bool,
    /// Processes that fixed it (`safe_fixtable`), with their counts.
    pub fixes: Vec<(u64, usize)>,
    /// The objects.
    pub store: Store,
    /// Their words.
    pub arena: Arena,
    /// Set once deleted: a process that found the table before it went
    /// sees it gone.
    pub deleted: bool,
}

impl Table {
    /// Whether some process has it fixed.
    pub fn fixed(&self) -> bool {
        !self.fixes.is_empty()
    }

    /// The number of objects.
    pub fn size(&self) -> usize {
        match &self.store {
            Store::Hash(h) => h.nitems,
            Store::Tree(t) => t.len(),
        }
    }

    /// A fresh, empty store of its type (`stripes` as [`HashTab::stripes`]).
    pub fn empty_store(ty: Type, stripes: usize) -> Store {
        match ty {
            Type::OrderedSet => Store::Tree(BTreeMap::new()),
            _ => Store::Hash(HashTab {
                stripes,
                ..HashTab::default()
            }),
        }
    }

    /// How walks of it step through its slots.
    pub fn stripes(&self) -> usize {
        if self.write_concurrency { STRIPES } else { 1 }
    }

    /// A view of its objects (`Obj::root`).
    pub fn view(&self) -> View<'_> {
        self.arena.view()
    }

    /// A copy of object `o` on `heap` (area 0 of a process).
    pub fn copy_out(&self, o: &Obj, heap: &mut Area) -> Word {
        self.arena.copy_out(o.root, heap)
    }

    /// The elements of object `o`.
    pub fn elems(&self, o: &Obj) -> &[u64] {
        self.view().tuple(o.root).expect("a tuple")
    }

    /// Whether object `o` is exactly equal (`=:=`) to `n`'s tuple (read
    /// through `v`), as a bag compares.
    pub fn same_object(&self, o: &Obj, v: &View, n: &NewObj) -> bool {
        // Keys first: the quick test.
        o.hash == n.hash
            && o.key.same(&n.key)
            && Key::exact(&self.view(), o.root).same(&Key::exact(v, n.term))
    }

    /// Every object, in the order erl walks the table (`first/next`).
    pub fn walk(&self) -> Vec<&Obj> {
        match &self.store {
            Store::Hash(h) => h.slots_from(0).flat_map(|i| h.chain(i)).collect(),
            Store::Tree(t) => t.values().collect(),
        }
    }

    /// The first object of key `k` (hash `h`).
    pub fn find_first(&self, k: &Key, h: u32) -> Option<&Obj> {
        match &self.store {
            Store::Hash(t) => t.chain(t.slot_of(h)).find(|o| o.hash == h && o.key.same(k)),
            Store::Tree(t) => t.get(k),
        }
    }

    /// The objects of key `k` (hash `h`), in the order they are chained.
    pub fn find(&self, k: &Key, h: u32) -> Vec<&Obj> {
        match &self.store {
            Store::Hash(t) => t
                .chain(t.slot_of(h))
                .filter(|o| o.hash == h && o.key.same(k))
                .collect(),
            Store::Tree(t) => t.get(k).into_iter().collect(),
        }
    }

    /// Copies the live objects to a fresh arena once the garbage
    /// outweighs them (and [`COMPACT_MIN`]); drops the arena of an empty
    /// table. Called before a change, never after one: objects a removal
    /// gives back are read from the arena after it.
    fn tidy(&mut self) {
        let a = &self.arena;
        if a.garbage == 0 {
            return;
        }
        if self.size() == 0 {
            self.arena = Arena::default();
            if let Store::Hash(h) = &mut self.store {
                // Every entry is free: the slots stay as they are (erl's
                // table keeps its size), the entries go.
                h.entries = Vec::new();
                h.free = END;
            }
            return;
        }
        if a.garbage < COMPACT_MIN || a.garbage < a.live {
            return;
        }
        let old = std::mem::take(&mut self.arena);
        let v = old.view();
        let mut fresh = Arena::default();
        let mut carry = |o: &mut Obj| {
            let before = fresh.mark();
            o.root = v.copy_into(o.root, &mut fresh.area);
            let size = fresh.weight_since(before);
            fresh.live += size;
            o.size = size.clamp(1, u32::MAX as usize) as u32;
        };
        match &mut self.store {
            Store::Hash(h) => h.objs_mut().for_each(&mut carry),
            Store::Tree(t) => t.values_mut().for_each(&mut carry),
        }
        self.arena = fresh;
    }

    /// Room for copies of `objs` (read through `v`), or the bytes the
    /// memory budget or the allocator refused: asked before an insert, so
    /// that a process filling a table without bound is stopped (the
    /// caller raises `out_of_memory`) before the table's growth aborts
    /// the VM.
    pub fn room_for(&mut self, memory: &Memory, v: &View, objs: &[Word]) -> Result<(), usize> {
        let mut bytes = 0usize;
        for o in objs {
            bytes += match flat_tuple(v, *o) {
                Some(elems) => (1 + elems.len()) * 8,
                None => {
                    let cap = memory.left().saturating_sub(bytes);
                    copy_bytes(v, *o, true, cap).ok_or(bytes.saturating_add(cap))?
                }
            };
        }
        if let Store::Hash(h) = &mut self.store {
            memory.grow(&mut h.entries, objs.len())?;
        }
        memory.grow(&mut self.arena.area.words, bytes / 8)?;
        Ok(())
    }

    /// Counts what the table holds now in `memory`: its arena and its
    /// hash table's entries and slots.
    pub fn charge(&mut self, memory: &Arc<Memory>) {
        let store = match &self.store {
            Store::Hash(h) => {
                h.entries.capacity() * std::mem::size_of::<Entry>() + h.slots.capacity() * 4
            }
            Store::Tree(t) => t.len() * std::mem::size_of::<Obj>() * 2,
        };
        let a = &mut self.arena;
        let bytes = a.area.words.capacity() * 8 + a.area.offheap_bytes + store;
        a.account.set(memory, bytes);
    }

    /// Makes `o` hold `n`'s tuple (read through `v`) instead, in place
    /// when the words fit.
    fn rewrite(arena: &mut Arena, o: &mut Obj, v: &View, n: NewObj) {
        if !arena.overwrite(o.root, v, n.term) {
            arena.forget(o.size);
            let (root, size) = arena.put(v, n.term);
            o.root = root;
            o.size = size;
        }
        o.key = n.key;
        o.hash = n.hash;
    }

    /// Inserts `n` (its tuple read through `v`): replaces the object of
    /// its key (set), adds it unless the same object is there (bag), or
    /// adds it (duplicate bag).
    pub fn insert(&mut self, v: &View, n: NewObj) {
        self.tidy();
        let fixed = self.fixed();
        let ty = self.ty;
        if let Store::Tree(t) = &mut self.store {
            use std::collections::btree_map::Entry as At;
            match t.entry(n.key.clone()) {
                At::Occupied(mut o) => Table::rewrite(&mut self.arena, o.get_mut(), v, n),
                At::Vacant(place) => {
                    let (root, size) = self.arena.put(v, n.term);
                    place.insert(Obj {
                        key: n.key,
                        hash: n.hash,
                        size,
                        root,
                    });
                }
            }
            return;
        }
        let Store::Hash(t) = &mut self.store else {
            return;
        };
        let ix = t.slot_of(n.hash);
        // The first entry of the key (and the one before it), and the last.
        let (mut before, mut first, mut last) = (END, END, END);
        let mut at = t.slots[ix];
        while at != END {
            let e = &t.entries[at as usize];
            if first == END && e.obj.hash == n.hash && e.obj.key.same(&n.key) {
                first = at;
                before = last;
                if ty == Type::Set {
                    break;
                }
            }
            last = at;
            at = e.next;
        }
        if first != END {
            match ty {
                Type::Set => {
                    let o = &mut t.entries[first as usize].obj;
                    Table::rewrite(&mut self.arena, o, v, n);
                    return;
                }
                Type::Bag => {
                    let view = self.arena.view();
                    let probe = Key::exact(v, n.term);
                    let mut at = first;
                    while at != END {
                        let e = &t.entries[at as usize];
                        if !(e.obj.hash == n.hash && e.obj.key.same(&n.key)) {
                            break;
                        }
                        if Key::exact(&view, e.obj.root).same(&probe) {
                            return;
                        }
                        at = e.next;
                    }
                }
                _ => {}
            }
        }
        let (root, size) = self.arena.put(v, n.term);
        let i = t.alloc(Obj {
            key: n.key,
            hash: n.hash,
            size,
            root,
        });
        if first == END {
            // A new key: the end of the chain.
            if last == END {
                t.slots[ix] = i;
            } else {
                t.entries[last as usize].next = i;
            }
        } else {
            // Another object of a key in a bag: before the others.
            t.entries[i as usize].next = first;
            if before == END {
                t.slots[ix] = i;
            } else {
                t.entries[before as usize].next = i;
            }
        }
        t.nitems += 1;
        t.after_insert(fixed);
    }

    /// Whether key `k` has an object.
    pub fn has(&self, k: &Key, h: u32) -> bool {
        self.find_first(k, h).is_some()
    }

    /// Removes the objects of key `k`, returning them in chain order
    /// (their words stay readable until the next insert or replace).
    pub fn remove_key(&mut self, k: &Key, h: u32) -> Vec<Obj> {
        self.tidy();
        let fixed = self.fixed();
        let gone = match &mut self.store {
            Store::Tree(t) => t.remove(k).into_iter().collect(),
            Store::Hash(t) => {
                let ix = t.slot_of(h);
                let gone = t.unlink_where(ix, |o| o.hash == h && o.key.same(k));
                let gone: Vec<Obj> = gone.into_iter().map(|i| t.release(i)).collect();
                if !gone.is_empty() {
                    t.nitems -= gone.len();
                    t.after_delete(fixed);
                }
                gone
            }
        };
        for o in &gone {
            self.arena.forget(o.size);
        }
        gone
    }

    /// Removes the objects for which `pred` holds (given a view of the
    /// objects; all of them, in walk order for a hash table), returning
    /// how many went.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&View, &Obj) -> bool) -> usize {
        self.tidy();
        let fixed = self.fixed();
        let arena = &mut self.arena;
        let v = arena.view();
        let mut sizes = Vec::new();
        let n = match &mut self.store {
            Store::Tree(t) => {
                t.retain(|_, o| {
                    let go = pred(&v, o);
                    if go {
                        sizes.push(o.size);
                    }
                    !go
                });
                sizes.len()
            }
            Store::Hash(t) => {
                let order: Vec<usize> = t.slots_from(0).collect();
                for ix in order {
                    for i in t.unlink_where(ix, |o| pred(&v, o)) {
                        sizes.push(t.release(i).size);
                    }
                }
                if !sizes.is_empty() {
                    t.nitems -= sizes.len();
                    t.after_delete(fixed);
                }
                sizes.len()
            }
        };
        for s in sizes {
            arena.forget(s);
        }
        n
    }

    /// Adds `incr` to element `pos` (1-based) of the object of key `k`
    /// (hash `h`) in place, when that element and the sum are small
    /// integers: the new value. `None` changes nothing (no such object,
    /// no such element, or a value the caller must handle in full).
    /// Objects are copied out on every read, so no reader sees the write.
    pub fn bump_small(&mut self, k: &Key, h: u32, pos: usize, incr: i64) -> Option<Word> {
        let at = self.find_first(k, h)?.root.ptr().offset;
        let words = &mut self.arena.area.words;
        let head = Word(words[at]);
        if head.header_kind() != kind::TUPLE || pos == 0 || pos > head.header_arity() {
            return None;
        }
        let new = Word::small(Word(words[at + pos]).as_small()?.checked_add(incr)?)?;
        words[at + pos] = new.0;
        Some(new)
    }

    /// Replaces the object of key `k` (hash `h`) by `n` (its tuple read
    /// through `v`) in place (set and ordered_set).
    pub fn replace(&mut self, k: &Key, h: u32, v: &View, n: NewObj) {
        self.tidy();
        let o = match &mut self.store {
            Store::Tree(t) => t.get_mut(k),
            Store::Hash(t) => {
                let mut at = t.slots[t.slot_of(h)];
                loop {
                    if at == END {
                        break None;
                    }
                    let e = &t.entries[at as usize];
                    if e.obj.hash == h && e.obj.key.same(k) {
                        break Some(&mut t.entries[at as usize].obj);
                    }
                    at = e.next;
                }
            }
        };
        if let Some(o) = o {
            // A tree keeps its key as it was: 1 and 1.0 are one key there.
            Table::rewrite(&mut self.arena, o, v, n);
        }
    }

    /// Empties it (`delete_all_objects`), back to its first size.
    pub fn clear(&mut self) -> usize {
        let n = self.size();
        self.store = Table::empty_store(self.ty, self.stripes());
        self.arena = Arena::default();
        n
    }
}

/// A table's lock: a reader-sharded one for a table made with
/// `read_concurrency` (each reader thread takes a lock of its own; a
/// writer takes them all), else one `RwLock`.
#[derive(Debug)]
pub enum TableLock {
    /// One lock.
    Plain(RwLock<Table>),
    /// Reader-sharded.
    Sharded(crossbeam_utils::sync::ShardedLock<Table>),
}

/// A table behind its lock, as one registry shard holds it: each shard
/// has an `Arc` of its own around the shared one, so that a reader
/// cloning its shard's handle writes no cache line other schedulers read.
pub type TableRef = Arc<Arc<TableLock>>;

/// A table read.
pub enum ReadGuard<'a> {
    #[allow(missing_docs)]
    Plain(RwLockReadGuard<'a, Table>),
    #[allow(missing_docs)]
    Sharded(crossbeam_utils::sync::ShardedLockReadGuard<'a, Table>),
}

/// A table written.
pub enum WriteGuard<'a> {
    #[allow(missing_docs)]
    Plain(RwLockWriteGuard<'a, Table>),
    #[allow(missing_docs)]
    Sharded(crossbeam_utils::sync::ShardedLockWriteGuard<'a, Table>),
}

impl std::ops::Deref for ReadGuard<'_> {
    type Target = Table;
    fn deref(&self) -> &Table {
        match self {
            ReadGuard::Plain(g) => g,
            ReadGuard::Sharded(g) => g,
        }
    }
}

impl std::ops::Deref for WriteGuard<'_> {
    type Target = Table;
    fn deref(&self) -> &Table {
        match self {
            WriteGuard::Plain(g) => g,
            WriteGuard::Sharded(g) => g,
        }
    }
}

impl std::ops::DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut Table {
        match self {
            WriteGuard::Plain(g) => g,
            WriteGuard::Sharded(g) => g,
        }
    }
}

impl TableLock {
    /// A lock for `t`, sharded if it reads concurrently.
    pub fn new(t: Table) -> TableLock {
        if t.read_concurrency {
            TableLock::Sharded(crossbeam_utils::sync::ShardedLock::new(t))
        } else {
            TableLock::Plain(RwLock::new(t))
        }
    }
}

/// Reads a table, a poisoned lock notwithstanding (a panicking native
/// leaves the table as it was between operations).
pub fn read(t: &TableRef) -> ReadGuard<'_> {
    match &***t {
        TableLock::Plain(l) => ReadGuard::Plain(l.read().unwrap_or_else(|e| e.into_inner())),
        TableLock::Sharded(l) => ReadGuard::Sharded(l.read().unwrap_or_else(|e| e.into_inner())),
    }
}

/// Writes a table.
pub fn write(t: &TableRef) -> WriteGuard<'_> {
    match &***t {
        TableLock::Plain(l) => WriteGuard::Plain(l.write().unwrap_or_else(|e| e.into_inner())),
        TableLock::Sharded(l) => WriteGuard::Sharded(l.write().unwrap_or_else(|e| e.into_inner())),
    }
}

#[derive(Debug, Default)]
struct Reg {
    by_id: IdMap<u64, TableRef>,
    by_name: IdMap<u32, u64>,
    /// Ids in creation order (`ets:all/0`).
    order: Vec<u64>,
}

/// Copies of the registry: a thread reads its own, so that readers on
/// different schedulers share no lock word; changes (new, delete, rename:
/// rare) go to every copy, under all their locks, taken in order.
const SHARDS: usize = 8;

/// One copy of the registry, on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(RwLock<Reg>);

static NEXT_SHARD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    static MY_SHARD: usize = NEXT_SHARD.fetch_add(1, AtOrd::Relaxed) % SHARDS;
}

/// The VM's tables.
#[derive(Debug)]
pub struct Tables {
    shards: Box<[Shard]>,
    next: AtomicU64,
}

impl Default for Tables {
    fn default() -> Tables {
        Tables {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            next: AtomicU64::new(0),
        }
    }
}

impl Tables {
    fn reg(&self) -> RwLockReadGuard<'_, Reg> {
        let i = MY_SHARD.with(|i| *i);
        self.shards[i].0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn reg_all(&self) -> Vec<RwLockWriteGuard<'_, Reg>> {
        self.shards
            .iter()
            .map(|s| s.0.write().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }

    /// A new table number.
    pub fn fresh_id(&self) -> u64 {
        REF_BASE + self.next.fetch_add(1, AtOrd::Relaxed)
    }

    /// Adds a table; `false` (and nothing added) when it is named and
    /// the name is taken.
    pub fn add(&self, t: Table) -> bool {
        let mut all = self.reg_all();
        if t.named && all[0].by_name.contains_key(&t.name) {
            return false;
        }
        let (id, named, name) = (t.id, t.named, t.name);
        let shared = Arc::new(TableLock::new(t));
        for r in &mut all {
            if named {
                r.by_name.insert(name, id);
            }
            r.order.push(id);
            r.by_id.insert(id, Arc::new(shared.clone()));
        }
        true
    }

    /// The table of this number.
    pub fn by_id(&self, id: u64) -> Option<TableRef> {
        self.reg().by_id.get(&id).cloned()
    }

    /// The named table of this name.
    pub fn by_name(&self, name: u32) -> Option<TableRef> {
        let r = self.reg();
        r.by_name.get(&name).and_then(|id| r.by_id.get(id)).cloned()
    }

    /// Removes table `id` (marking it deleted for those holding it).
    pub fn remove(&self, id: u64) -> Option<TableRef> {
        let mut all = self.reg_all();
        let t = all[0].by_id.get(&id)?.clone();
        let mut g = write(&t);
        for r in &mut all {
            r.by_id.remove(&id);
            r.order.retain(|x| *x != id);
            if g.named {
                r.by_name.remove(&g.name);
            }
        }
        g.deleted = true;
        g.store = Table::empty_store(g.ty, 1);
        g.arena = Arena::default();
        drop(g);
        Some(t)
    }

    /// Renames table `id`; `false` when the new name is taken by another.
    pub fn rename(&self, id: u64, name: u32) -> bool {
        let mut all = self.reg_all();
        let Some(t) = all[0].by_id.get(&id).cloned() else {
            return false;
        };
        let mut g = write(&t);
        if g.named {
            if all[0].by_name.get(&name).is_some_and(|x| *x != id) {
                return false;
            }
            for r in &mut all {
                r.by_name.remove(&g.name);
                r.by_name.insert(name, id);
            }
        }
        g.name = name;
        true
    }

    /// Every table: (number, name, named), in creation order.
    pub fn all(&self) -> Vec<(u64, u32, bool)> {
        let r = self.reg();
        r.order
            .iter()
            .filter_map(|id| {
                let t = read(r.by_id.get(id)?);
                Some((*id, t.name, t.named))
            })
            .collect()
    }

    /// The tables `pid` owns, with what each becomes when it exits: the
    /// heir (and its data) or nothing (deleted).
    pub fn owned_by(&self, pid: u64) -> Vec<TableRef> {
        let r = self.reg();
        r.order
            .iter()
            .filter_map(|id| r.by_id.get(id))
            .filter(|t| read(t).owner == pid)
            .cloned()
            .collect()
    }

    /// Drops `pid`'s fixations (it exited).
    pub fn unfix_all(&self, pid: u64) {
        let tables: Vec<TableRef> = self.reg().by_id.values().cloned().collect();
        for t in tables {
            let mut g = write(&t);
            // As erl, unfixing resizes nothing: the next insert or delete does.
            g.fixes.retain(|(p, _)| *p != pid);
        }
    }
}

/// What a table identifier names a table by.
#[derive(Debug, Clone, Copy)]
pub enum TabId {
    /// A named table's atom.
    Name(u32),
    /// A table's reference number.
    Id(u64),
}

impl TabId {
    /// How identifier `w` (read through `v`) names a table, if it can.
    pub fn of(v: &View, w: Word) -> Option<TabId> {
        if let Some(a) = w.as_atom() {
            return Some(TabId::Name(a));
        }
        if w.is_boxed() {
            let h = v.header(w);
            if h.header_kind() == kind::REF && h.header_arity() == 1 {
                let id = v.at(w.ptr(), 1).0;
                if id >= REF_BASE {
                    return Some(TabId::Id(id));
                }
            }
        }
        None
    }
}

impl Tables {
    /// The table a table identifier (read through `v`) names: a named
    /// table's atom or any table's reference.
    pub fn resolve(&self, v: &View, w: Word) -> Option<TableRef> {
        match TabId::of(v, w)? {
            TabId::Name(a) => self.by_name(a),
            TabId::Id(id) => self.by_id(id),
        }
    }

    /// Runs `f` on the table `t` names (`None`: no such table) under this
    /// thread's registry lock, without taking a handle of the table: the
    /// hot path of `lookup` and `insert`, spared an atomic increment and
    /// decrement. `f` must not use the registry (`Tables`) itself; it may
    /// lock the table (the registry-then-table order every path keeps).
    pub fn with<R>(&self, t: TabId, f: impl FnOnce(Option<&TableRef>) -> R) -> R {
        let r = self.reg();
        let id = match t {
            TabId::Id(id) => Some(id),
            TabId::Name(a) => r.by_name.get(&a).copied(),
        };
        f(id.and_then(|id| r.by_id.get(&id)))
    }
}

/// A table's reference, on `heap`.
pub fn ref_word(heap: &mut Area, id: u64) -> Word {
    let at = heap.words.len();
    heap.words.extend([Word::header(kind::REF, 1).0, id]);
    Word::boxed(crate::vm::term::word::Ptr {
        area: 0,
        offset: at,
    })
}

/// How a table is named to its users: its name if named, else its reference.
pub fn tid_word(heap: &mut Area, t: &Table) -> Word {
    if t.named {
        Word::atom(t.name)
    } else {
        ref_word(heap, t.id)
    }
}
