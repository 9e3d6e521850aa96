//! Memory areas (a process's heap, a module's literals), building and
//! reading terms in them, deep copies between them, and the copying
//! garbage collector (design in `docs/vm.md`).

use std::sync::Arc;

use num_bigint::{BigInt, Sign};

use crate::vm::term::word::{Ptr, Word, kind};

/// The most elements a tuple holds (erl's limit: its arity field is 24
/// bits); natives that would build a larger one raise `badarg`, as erl's do.
pub const MAX_TUPLE: usize = (1 << 24) - 1;

/// Binaries longer than this live off the heap, shared by reference count.
pub const HEAP_BINARY_MAX: usize = 64;

/// An area of words: a process's heap (area 0) or a module's literals.
#[derive(Debug, Default, Clone)]
pub struct Area {
    /// The words.
    pub words: Vec<u64>,
    /// Large binaries referenced from this area.
    pub offheap: Vec<Arc<[u8]>>,
    /// Bytes of the large binaries referenced since the last collection,
    /// live or not: collection pressure that the words alone do not show.
    /// The ones a collection carries over do not count again, or a process
    /// holding one binary larger than its heap limit would collect at every
    /// check.
    pub offheap_bytes: usize,
    /// Growable buffers of binaries being appended to, owned by this area
    /// alone. A writable binary is a prefix of one of them; appending through
    /// the view that ends at the buffer's end grows the buffer in place (the
    /// BEAM's rule), so earlier views still see their own prefix.
    pub writable: Vec<Vec<u8>>,
    /// Where a process heap's generations lie (all young in other areas).
    pub gens: Gens,
}

/// The generations of a process heap (design in `docs/vm.md`, collector in
/// `term/gc.rs`): `words[..old_words]` is the old generation, which a minor
/// collection leaves where it is, and the rest is young.
#[derive(Debug, Default, Clone)]
pub struct Gens {
    /// Words of the old generation, the prefix of `words`.
    pub old_words: usize,
    /// `words[old_words..aged]` survived a collection already: the next
    /// minor collection promotes what of it is still live.
    pub aged: usize,
    /// `offheap[..old_bins]` are the binaries old objects may refer to;
    /// a minor collection keeps them and their indices.
    pub old_bins: usize,
    /// `writable[..old_writable]`, likewise.
    pub old_writable: usize,
    /// Bytes of `offheap[..old_bins]`.
    pub old_bin_bytes: usize,
    /// Old objects written to since they were promoted, which may point
    /// at young ones (the write barrier [`Area::set_field`] records them).
    pub remembered: Vec<usize>,
}

/// Read access to a heap and the literal areas its terms may point into.
#[derive(Clone, Copy)]
pub struct View<'a> {
    /// Area 0.
    pub heap: &'a Area,
    /// Areas 1.. (literal area `i` is area `i + 1`).
    pub literals: &'a [Arc<Area>],
}

impl<'a> View<'a> {
    /// The number of keys, if `w` is a map.
    pub fn map_size(&self, w: Word) -> Option<usize> {
        if !w.is_boxed() {
            return None;
        }
        let h = self.header(w);
        match h.header_kind() {
            kind::MAP => Some(h.header_arity() / 2),
            kind::HMAP => Some(self.at(w.ptr(), 1).as_small().unwrap_or(0) as usize),
            _ => None,
        }
    }

    /// A flat map's keys and values.
    pub fn map_flat_parts(&self, m: Word) -> (&'a [u64], &'a [u64]) {
        let p = m.ptr();
        let n = self.header(m).header_arity() / 2;
        let words = &self.area(p).words[p.offset + 1..p.offset + 1 + 2 * n];
        (&words[..n], &words[n..])
    }

    /// A hash map node's bitmap and children.
    pub fn map_node(&self, n: Word) -> (i64, &'a [u64]) {
        let p = n.ptr();
        let arity = self.header(n).header_arity();
        let words = &self.area(p).words[p.offset + 1..p.offset + 1 + arity];
        (Word(words[0]).as_small().unwrap_or(0), &words[1..])
    }

    /// Every key and value, flat maps in key order, hashed ones in no order
    /// (`None` when `m` is not a map).
    pub fn map_pairs(&self, m: Word) -> Option<Vec<(Word, Word)>> {
        if !m.is_boxed() {
            return None;
        }
        match self.header(m).header_kind() {
            kind::MAP => {
                let (keys, values) = self.map_flat_parts(m);
                Some(
                    keys.iter()
                        .zip(values)
                        .map(|(k, x)| (Word(*k), Word(*x)))
                        .collect(),
                )
            }
            kind::HMAP => {
                let mut out = Vec::with_capacity(self.map_size(m).unwrap_or(0));
                let mut stack = vec![self.at(m.ptr(), 2)];
                while let Some(n) = stack.pop() {
                    for c in self.map_node(n).1 {
                        let c = Word(*c);
                        if c.is_list() {
                            out.push(self.cons(c));
                        } else {
                            stack.push(c);
                        }
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The area an object lives in.
    #[inline(always)]
    pub fn area(&self, p: Ptr) -> &'a Area {
        if p.area == 0 {
            self.heap
        } else {
            &self.literals[p.area as usize - 1]
        }
    }

    /// The word at a pointer plus an offset. Always inlined, as are
    /// `area`, `header` and `float`: the run loop is too large for the
    /// compiler to inline them by itself, and a call per element or float
    /// read showed in profiles of float and tuple code (pseudoknot).
    #[inline(always)]
    pub fn at(&self, p: Ptr, i: usize) -> Word {
        Word(self.area(p).words[p.offset + i])
    }

    /// Head and tail of a cons cell.
    #[inline]
    pub fn cons(&self, w: Word) -> (Word, Word) {
        let p = w.ptr();
        // Both words in one bounds check (two `at`s were two, and two
        // loads of the area's vector: a list loop's step in the run loop).
        match self.area(p).words.get(p.offset..p.offset + 2) {
            Some(&[h, t]) => (Word(h), Word(t)),
            _ => (self.at(p, 0), self.at(p, 1)),
        }
    }

    /// The header of a boxed object.
    #[inline(always)]
    pub fn header(&self, w: Word) -> Word {
        self.at(w.ptr(), 0)
    }

    /// The elements of a tuple, if `w` is one.
    pub fn tuple(&self, w: Word) -> Option<&'a [u64]> {
        if !w.is_boxed() {
            return None;
        }
        let p = w.ptr();
        let words = &self.area(p).words;
        let h = Word(words[p.offset]);
        (h.header_kind() == kind::TUPLE)
            .then(|| &words[p.offset + 1..p.offset + 1 + h.header_arity()])
    }

    /// The value of a float, if `w` is one.
    #[inline(always)]
    pub fn float(&self, w: Word) -> Option<f64> {
        (w.is_boxed() && self.header(w).header_kind() == kind::FLOAT)
            .then(|| f64::from_bits(self.at(w.ptr(), 1).0))
    }

    /// The bytes and the number of bits in the last byte (1..=8), if `w` is a bitstring.
    #[inline]
    pub fn bits(&self, w: Word) -> Option<(&'a [u8], u8)> {
        if !w.is_boxed() {
            return None;
        }
        let p = w.ptr();
        let area = self.area(p);
        let h = Word(area.words[p.offset]);
        match h.header_kind() {
            kind::HEAP_BIN => {
                let size = h.header_arity();
                let data_words = size.div_ceil(8);
                let bytes = words_as_bytes(&area.words[p.offset + 1..p.offset + 1 + data_words]);
                let last = area.words[p.offset + 1 + data_words] as u8;
                Some((&bytes[..size], last))
            }
            kind::REFC_BIN => {
                let idx = area.words[p.offset + 1] as usize;
                let start = area.words[p.offset + 2] as usize;
                let last = area.words[p.offset + 3] as u8;
                let size = h.header_arity();
                Some((&area.offheap[idx][start..start + size], last))
            }
            kind::WRITABLE_BIN => {
                let idx = area.words[p.offset + 1] as usize;
                Some((&area.writable[idx][..h.header_arity()], 8))
            }
            _ => None,
        }
    }
}

/// A heap binary's bytes, in place: words are reinterpreted, not copied.
fn words_as_bytes(w: &[u64]) -> &[u8] {
    bytemuck::cast_slice(w)
}

/// How deep [`View::copy_into`] recurses before it copies breadth first.
const COPY_DEEP: usize = 256;

pub(crate) fn object_words(h: Word) -> usize {
    // The number of words an object takes after its header.
    match h.header_kind() {
        kind::FLOAT => 1,
        kind::HEAP_BIN => h.header_arity().div_ceil(8) + 1,
        kind::REFC_BIN => 3,
        kind::WRITABLE_BIN => 1,
        _ => h.header_arity(),
    }
}

/// Whether the words after the header hold terms (which the collector and
/// the copier must follow) rather than raw data.
pub(crate) fn holds_terms(k: u8) -> bool {
    matches!(
        k,
        kind::TUPLE
            | kind::MAP
            | kind::HMAP
            | kind::HNODE
            | kind::FUN
            | kind::EXPORT
            | kind::MATCH_CTX
    )
}

impl Area {
    /// Room used, in words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether nothing was allocated.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Writes term `w` into field `i` (0 is the header) of the object at
    /// `obj`, after it was made: the write barrier. An old object that is
    /// given a pointer to a young one is remembered, so that a minor
    /// collection, which reads no other old object, finds the young one.
    /// Every write into an existing object goes through here unless it
    /// writes no pointer (an immediate, raw bytes).
    #[inline]
    pub fn set_field(&mut self, obj: usize, i: usize, w: Word) {
        self.words[obj + i] = w.0;
        if obj < self.gens.old_words
            && !w.is_immediate()
            && w.ptr().area == 0
            && w.ptr().offset >= self.gens.old_words
            && self.gens.remembered.last() != Some(&obj)
        {
            self.gens.remembered.push(obj);
        }
    }

    #[inline]
    fn here(&self, area: u32) -> Ptr {
        Ptr {
            area,
            offset: self.words.len(),
        }
    }

    /// A cons cell.
    #[inline]
    pub fn cons(&mut self, area: u32, head: Word, tail: Word) -> Word {
        let p = self.here(area);
        self.words.extend([head.0, tail.0]);
        Word::list(p)
    }

    /// A tuple.
    pub fn tuple(&mut self, area: u32, elems: &[Word]) -> Word {
        let p = self.here(area);
        self.words.push(Word::header(kind::TUPLE, elems.len()).0);
        self.words.extend(elems.iter().map(|w| w.0));
        Word::boxed(p)
    }

    /// A float.
    pub fn float(&mut self, area: u32, f: f64) -> Word {
        let p = self.here(area);
        self.words
            .extend([Word::header(kind::FLOAT, 1).0, f.to_bits()]);
        Word::boxed(p)
    }

    /// An integer: small when it fits, else a bignum.
    pub fn integer(&mut self, area: u32, i: &BigInt) -> Word {
        if let Some(w) = i64::try_from(i).ok().and_then(Word::small) {
            return w;
        }
        let (sign, digits) = i.to_u64_digits();
        let p = self.here(area);
        let k = if sign == Sign::Minus {
            kind::BIG_NEG
        } else {
            kind::BIG_POS
        };
        self.words.push(Word::header(k, digits.len()).0);
        self.words.extend(digits);
        Word::boxed(p)
    }

    /// A bitstring whose last byte holds `last_bits` (1..=8) significant bits.
    pub fn bitstring(&mut self, area: u32, bytes: &[u8], last_bits: u8) -> Word {
        let p = self.here(area);
        if bytes.len() <= HEAP_BINARY_MAX {
            self.words.push(Word::header(kind::HEAP_BIN, bytes.len()).0);
            for chunk in bytes.chunks(8) {
                let mut b = [0u8; 8];
                b[..chunk.len()].copy_from_slice(chunk);
                self.words.push(u64::from_ne_bytes(b));
            }
            self.words.push(last_bits as u64);
        } else {
            self.offheap.push(Arc::from(bytes));
            self.offheap_bytes += bytes.len();
            let idx = self.offheap.len() - 1;
            self.words.extend([
                Word::header(kind::REFC_BIN, bytes.len()).0,
                idx as u64,
                0,
                last_bits as u64,
            ]);
        }
        Word::boxed(p)
    }

    /// The index of the off-heap binary `bin` in this area's list: the last
    /// entry when that is `bin` already (a loop slicing one binary adds no
    /// entry per step), else a new one.
    fn share(&mut self, bin: &Arc<[u8]>) -> u64 {
        if !self.offheap.last().is_some_and(|b| Arc::ptr_eq(b, bin)) {
            self.offheap.push(bin.clone());
            self.offheap_bytes += bin.len();
        }
        (self.offheap.len() - 1) as u64
    }

    /// A new writable binary holding `bytes` (whole bytes), with room to grow.
    pub fn writable(&mut self, bytes: &[u8]) -> Word {
        let mut buf = Vec::with_capacity((bytes.len() * 2).max(256));
        buf.extend_from_slice(bytes);
        self.writable.push(buf);
        let idx = self.writable.len() - 1;
        self.writable_view(idx, bytes.len())
    }

    /// A writable binary of the first `size` bytes of buffer `idx`.
    pub fn writable_view(&mut self, idx: usize, size: usize) -> Word {
        let p = self.here(0);
        self.words
            .extend([Word::header(kind::WRITABLE_BIN, size).0, idx as u64]);
        Word::boxed(p)
    }

    /// `fun M:F/A`.
    pub fn export(&mut self, area: u32, module: u32, function: u32, arity: u8) -> Word {
        let p = self.here(area);
        self.words.extend([
            Word::header(kind::EXPORT, 3).0,
            Word::atom(module).0,
            Word::atom(function).0,
            Word::small(arity as i64).expect("arity is small").0,
        ]);
        Word::boxed(p)
    }

    /// An object of `kind` holding `words` (terms) after its header.
    pub fn boxed(&mut self, area: u32, kind: u8, words: &[Word]) -> Word {
        let p = self.here(area);
        self.words.push(Word::header(kind, words.len()).0);
        self.words.extend(words.iter().map(|w| w.0));
        Word::boxed(p)
    }

    /// A flat map from key/value pairs (keys in term order, at most
    /// `maps::FLAT_MAX`; `maps::build` chooses the shape).
    pub fn map(&mut self, area: u32, keys: &[Word], values: &[Word]) -> Word {
        let p = self.here(area);
        self.words.push(Word::header(kind::MAP, keys.len() * 2).0);
        self.words.extend(keys.iter().map(|w| w.0));
        self.words.extend(values.iter().map(|w| w.0));
        Word::boxed(p)
    }
}

impl View<'_> {
    /// Copies a term into `dst` (area 0 of another process): what sending a
    /// message does. Literal-area pointers are kept: literals are shared.
    pub fn copy_into(&self, w: Word, dst: &mut Area) -> Word {
        self.copy_at(w, dst, 0, false)
    }

    /// Copies a term into `dst` whole, literals too: what a store that
    /// outlives the code (an ETS table, a persistent term) keeps.
    pub fn copy_whole(&self, w: Word, dst: &mut Area) -> Word {
        self.copy_at(w, dst, 0, true)
    }

    /// Whether the copy leaves `w` where it is: an immediate, or a literal
    /// when literals are shared.
    fn stays(w: Word, all: bool) -> bool {
        w.is_immediate() || (!all && w.ptr().area != 0)
    }

    /// [`Self::copy_into`] (or with `all` [`Self::copy_whole`]) at nesting
    /// `depth`: by recursion, the quickest for the usual message, up to
    /// [`COPY_DEEP`] levels, then breadth first.
    fn copy_at(&self, w: Word, dst: &mut Area, depth: usize, all: bool) -> Word {
        if Self::stays(w, all) {
            return w;
        }
        if depth > COPY_DEEP {
            return self.copy_breadth_first(w, dst, all);
        }
        if w.is_list() {
            // Lists are copied iteratively along the tail, so long lists do
            // not recurse deeply, and front to back, each cell's tail
            // written when the next cell is made: a vector of the heads
            // would be the one allocation of the copy that the budget
            // never sized (a 1 MB one aborted the VM at the allocator's
            // limit, the copy's own room already granted).
            let mut first = None;
            let mut last_tail: Option<usize> = None;
            let mut cur = w;
            while cur.is_list() && !Self::stays(cur, all) {
                let (h, t) = self.cons(cur);
                let h = self.copy_at(h, dst, depth + 1, all);
                let cell = dst.cons(0, h, Word::NIL);
                match last_tail {
                    Some(i) => dst.words[i] = cell.0,
                    None => first = Some(cell),
                }
                last_tail = Some(cell.ptr().offset + 1);
                cur = t;
            }
            let tail = self.copy_at(cur, dst, depth + 1, all);
            if let Some(i) = last_tail {
                dst.words[i] = tail.0;
            }
            return first.unwrap_or(tail);
        }
        let p = w.ptr();
        let h = self.at(p, 0);
        if holds_terms(h.header_kind()) {
            let size = object_words(h);
            let src = &self.area(p).words[p.offset..p.offset + 1 + size];
            // The object first, its fields filled in as they are copied
            // (no vector of them beside the copy, as for lists).
            let at = dst.here(0);
            dst.words.push(h.0);
            dst.words.resize(at.offset + 1 + size, Word::NIL.0);
            for (i, &x) in src[1..].iter().enumerate() {
                dst.words[at.offset + 1 + i] = self.copy_at(Word(x), dst, depth + 1, all).0;
            }
            Word::boxed(at)
        } else {
            self.copy_shallow(w, dst, all)
        }
    }

    /// [`Self::copy_at`] breadth first, as the collector copies: each
    /// object is copied with its fields still pointing here, then the
    /// copies are scanned in order and their fields copied in turn, so no
    /// term is deep enough to overflow the native stack.
    fn copy_breadth_first(&self, w: Word, dst: &mut Area, all: bool) -> Word {
        let start = dst.words.len();
        let root = self.copy_shallow(w, dst, all);
        let mut scan = start;
        while scan < dst.words.len() {
            let x = Word(dst.words[scan]);
            let (fields, next) = if x.is_header() {
                let size = object_words(x);
                let fields = if holds_terms(x.header_kind()) {
                    scan + 1..scan + 1 + size
                } else {
                    scan..scan
                };
                (fields, scan + 1 + size)
            } else {
                // A cons cell: two terms.
                (scan..scan + 2, scan + 2)
            };
            for i in fields {
                let moved = self.copy_shallow(Word(dst.words[i]), dst, all);
                dst.words[i] = moved.0;
            }
            scan = next;
        }
        root
    }

    /// One object copied to the end of `dst`, its fields as they are (see
    /// [`Self::copy_at`]).
    fn copy_shallow(&self, w: Word, dst: &mut Area, all: bool) -> Word {
        if Self::stays(w, all) {
            return w;
        }
        if w.is_list() {
            let (h, t) = self.cons(w);
            return dst.cons(0, h, t);
        }
        let p = w.ptr();
        let area = self.area(p);
        let h = self.at(p, 0);
        let size = object_words(h);
        let src = &area.words[p.offset..p.offset + 1 + size];
        if h.header_kind() == kind::WRITABLE_BIN {
            // Another process gets an ordinary binary: buffers are never shared.
            let (bytes, _) = self.bits(w).expect("a binary");
            let bytes = bytes.to_vec();
            dst.bitstring(0, &bytes, 8)
        } else if h.header_kind() == kind::REFC_BIN {
            // A sub-binary goes as one too: the bytes are shared, not copied.
            let idx = dst.share(&area.offheap[src[1] as usize]);
            let at = dst.here(0);
            dst.words.extend([src[0], idx, src[2], src[3]]);
            Word::boxed(at)
        } else {
            let at = dst.here(0);
            dst.words.extend_from_slice(src);
            Word::boxed(at)
        }
    }
}

/// A sub-binary of the off-heap binary `w` (of this heap or a literal
/// area), made on `heap`: `size` bytes from byte `start` of `w`, with `last`
/// bits (1..=8) in its last byte. It refers to the same bytes, as the BEAM's
/// sub-binaries do, so slicing costs O(1) whatever the size; `None` when `w`
/// is not an off-heap binary. The caller keeps the slice inside `w` and
/// the bits past `last` zero (a slice ending on a byte, or where `w` ends).
pub fn sub_binary(
    heap: &mut Area,
    literals: &[Arc<Area>],
    w: Word,
    start: usize,
    size: usize,
    last: u8,
) -> Option<Word> {
    if !w.is_boxed() {
        return None;
    }
    let p = w.ptr();
    let v = View { heap, literals };
    if v.header(w).header_kind() != kind::REFC_BIN {
        return None;
    }
    let (idx, off) = (v.at(p, 1).0, v.at(p, 2).0 as usize);
    debug_assert!(off + start + size <= v.area(p).offheap[idx as usize].len());
    let idx = if p.area == 0 {
        idx
    } else {
        let bin = literals[p.area as usize - 1].offheap[idx as usize].clone();
        heap.share(&bin)
    };
    let at = heap.here(0);
    heap.words.extend([
        Word::header(kind::REFC_BIN, size).0,
        idx,
        (off + start) as u64,
        last as u64,
    ]);
    Some(Word::boxed(at))
}

/// The bytes of the binary `w` refers to: the whole of the underlying
/// off-heap binary for a sub-binary (`binary:referenced_byte_size/1`).
pub fn referenced_bytes(v: &View, w: Word) -> Option<usize> {
    let (bytes, _) = v.bits(w)?;
    if v.header(w).header_kind() == kind::REFC_BIN {
        let idx = v.at(w.ptr(), 1).0 as usize;
        return Some(v.area(w.ptr()).offheap[idx].len());
    }
    Some(bytes.len())
}

/// The copying collector: moves everything reachable from `roots` into a
/// fresh area, rewrites the roots, and drops the rest (including large
/// binaries no longer referenced). Returns the words that survived. It
/// copies into `spare` (a buffer left by an earlier collection, so a large
/// heap's pages are not faulted in afresh each time); the old words are
/// left in `spare` for the next one.
pub fn collect_into(heap: &mut Area, roots: &mut [&mut [Word]], spare: &mut Vec<u64>) -> usize {
    let mut old = std::mem::take(heap);
    let mut words = std::mem::take(spare);
    words.clear();
    words.reserve(old.words.len() / 2 + 16);
    let mut new = Area {
        words,
        ..Area::default()
    };
    let mut moved_bins: Vec<Option<u64>> = vec![None; old.offheap.len() + old.writable.len()];
    for set in roots.iter_mut() {
        for w in set.iter_mut() {
            *w = evacuate(*w, &mut old, &mut new, &mut moved_bins);
        }
    }
    // Cheney scan: everything copied so far is scanned for further pointers.
    let mut scan = 0;
    while scan < new.words.len() {
        let w = Word(new.words[scan]);
        if w.is_header() {
            let size = object_words(w);
            if holds_terms(w.header_kind()) {
                for i in scan + 1..scan + 1 + size {
                    let moved = evacuate(Word(new.words[i]), &mut old, &mut new, &mut moved_bins);
                    new.words[i] = moved.0;
                }
            }
            scan += 1 + size;
        } else {
            // A cons cell: two terms.
            for i in scan..scan + 2 {
                let moved = evacuate(Word(new.words[i]), &mut old, &mut new, &mut moved_bins);
                new.words[i] = moved.0;
            }
            scan += 2;
        }
    }
    *heap = new;
    *spare = old.words;
    heap.words.len()
}

fn evacuate(w: Word, old: &mut Area, new: &mut Area, moved_bins: &mut [Option<u64>]) -> Word {
    if w.is_immediate() || w.ptr().area != 0 {
        return w;
    }
    let off = w.ptr().offset;
    if w.is_list() {
        if Word(old.words[off]) == Word::NONE {
            return Word(old.words[off + 1]);
        }
        let to = new.cons(0, Word(old.words[off]), Word(old.words[off + 1]));
        old.words[off] = Word::NONE.0;
        old.words[off + 1] = to.0;
        return to;
    }
    let h = Word(old.words[off]);
    if h.is_boxed() {
        // Already moved: the header slot holds the new location.
        return h;
    }
    let size = object_words(h);
    let at = Ptr {
        area: 0,
        offset: new.words.len(),
    };
    new.words.extend_from_slice(&old.words[off..off + 1 + size]);
    if h.header_kind() == kind::WRITABLE_BIN {
        // Buffers follow their views; indices after the off-heap ones in `moved_bins`.
        let idx = old.words[off + 1] as usize;
        let slot = old.offheap.len() + idx;
        let nidx = *moved_bins[slot].get_or_insert_with(|| {
            new.writable.push(std::mem::take(&mut old.writable[idx]));
            (new.writable.len() - 1) as u64
        });
        new.words[at.offset + 1] = nidx;
    }
    if h.header_kind() == kind::REFC_BIN {
        let idx = old.words[off + 1] as usize;
        let nidx = *moved_bins[idx].get_or_insert_with(|| {
            new.offheap.push(old.offheap[idx].clone());
            (new.offheap.len() - 1) as u64
        });
        new.words[at.offset + 1] = nidx;
    }
    let to = Word::boxed(at);
    old.words[off] = to.0;
    to
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlfmt::w as show;
    use crate::term::Term;
    use crate::vm::term::atoms::Atoms;

    fn collect(heap: &mut Area, roots: &mut [&mut [Word]]) -> usize {
        collect_into(heap, roots, &mut Vec::new())
    }

    fn sample() -> Term {
        crate::erlfmt::parse::whole(
            "{ok,[1,2,3|tail],<<1,2,3>>,1.5,-123456789012345678901234567890,#{a => 1,b => [x]},fun lists:map/2,<<5:3>>,[]}",
        )
        .unwrap()
    }

    #[test]
    fn terms_round_trip_through_a_heap() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let t = sample();
        let w = heap.from_term(0, &t, &atoms);
        let view = View {
            heap: &heap,
            literals: &[],
        };
        assert_eq!(show(&view.to_term(w, &atoms)), show(&t));
        let big = Term::Binary((0..200u8).collect());
        let bw = heap.from_term(0, &big, &atoms);
        assert_eq!(heap.offheap.len(), 1);
        assert_eq!(
            View {
                heap: &heap,
                literals: &[]
            }
            .to_term(bw, &atoms),
            big
        );
    }

    #[test]
    fn collection_keeps_what_roots_reach_and_drops_the_rest() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let keep = sample();
        let big = Term::Tuple(vec![Term::Binary(vec![7; 100]), Term::Binary(vec![7; 100])]);
        let mut roots = vec![Word::NIL; 3];
        for i in 0..1000 {
            let garbage = heap.from_term(
                0,
                &Term::Tuple(vec![Term::Int(i), Term::Binary(vec![1; 80])]),
                &atoms,
            );
            let _ = garbage;
        }
        roots[0] = heap.from_term(0, &keep, &atoms);
        roots[1] = heap.from_term(0, &big, &atoms);
        // A shared subterm must stay shared (copied once).
        let shared = heap.from_term(0, &Term::string("shared"), &atoms);
        roots[2] = heap.tuple(0, &[shared, shared]);
        let before = heap.len();
        let live = collect(&mut heap, &mut [&mut roots]);
        assert!(live < before / 10, "{live} of {before} words survived");
        assert_eq!(
            heap.offheap.len(),
            2,
            "only the reachable large binaries survive"
        );
        let view = View {
            heap: &heap,
            literals: &[],
        };
        assert_eq!(show(&view.to_term(roots[0], &atoms)), show(&keep));
        assert_eq!(view.to_term(roots[1], &atoms), big);
        let elems = view.tuple(roots[2]).unwrap();
        assert_eq!(elems[0], elems[1], "sharing is preserved");
        // Collecting again changes nothing.
        let again = collect(&mut heap, &mut [&mut roots]);
        assert_eq!(again, live);
        assert_eq!(
            show(
                &View {
                    heap: &heap,
                    literals: &[]
                }
                .to_term(roots[0], &atoms)
            ),
            show(&keep)
        );
    }

    #[test]
    fn sub_binaries_share_their_bytes_through_collections_and_messages() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let bytes: Vec<u8> = (0..200u8).collect();
        let whole = heap.bitstring(0, &bytes, 8);
        let sub = sub_binary(&mut heap, &[], whole, 10, 100, 8).unwrap();
        let subsub = sub_binary(&mut heap, &[], sub, 5, 90, 8).unwrap();
        assert_eq!(heap.offheap.len(), 1, "slicing adds no off-heap entry");
        // Only the slices are roots: the bytes they refer to stay, once.
        let mut roots = [sub, subsub];
        collect(&mut heap, &mut [&mut roots]);
        assert_eq!(heap.offheap.len(), 1);
        assert_eq!(
            heap.offheap_bytes, 0,
            "what is carried over adds no pressure"
        );
        let view = View {
            heap: &heap,
            literals: &[],
        };
        assert_eq!(view.bits(roots[0]).unwrap().0, &bytes[10..110]);
        assert_eq!(view.bits(roots[1]).unwrap().0, &bytes[15..105]);
        assert_eq!(referenced_bytes(&view, roots[1]), Some(200));
        let msg = heap.tuple(0, &roots);
        let mut other = Area::default();
        let copied = View {
            heap: &heap,
            literals: &[],
        }
        .copy_into(msg, &mut other);
        assert_eq!(other.offheap.len(), 1, "one binary, shared, not copied");
        assert!(Arc::ptr_eq(&other.offheap[0], &heap.offheap[0]));
        let vo = View {
            heap: &other,
            literals: &[],
        };
        assert_eq!(
            vo.to_term(copied, &atoms),
            Term::Tuple(vec![
                Term::Binary(bytes[10..110].to_vec()),
                Term::Binary(bytes[15..105].to_vec())
            ])
        );
        // A slice of a literal binary lives on the heap and shares the bytes.
        let mut lit = Area::default();
        let lw = lit.bitstring(1, &bytes, 8);
        let literals = vec![Arc::new(lit)];
        let mut h = Area::default();
        let s1 = sub_binary(&mut h, &literals, lw, 1, 150, 8).unwrap();
        let s2 = sub_binary(&mut h, &literals, lw, 2, 150, 8).unwrap();
        assert_eq!(h.offheap.len(), 1);
        let vh = View {
            heap: &h,
            literals: &literals,
        };
        assert_eq!(vh.bits(s2).unwrap().0, &bytes[2..152]);
        assert_eq!(s1.ptr().area, 0);
    }

    #[test]
    fn long_lists_collect_and_copy_without_deep_recursion() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let mut l = Word::NIL;
        for i in 0..200_000 {
            l = heap.cons(0, Word::small(i).unwrap(), l);
        }
        let mut roots = [l];
        collect(&mut heap, &mut [&mut roots]);
        let mut other = Area::default();
        let copied = View {
            heap: &heap,
            literals: &[],
        }
        .copy_into(roots[0], &mut other);
        let view = View {
            heap: &other,
            literals: &[],
        };
        let mut n = 0;
        let mut cur = copied;
        while cur.is_list() {
            cur = view.cons(cur).1;
            n += 1;
        }
        assert_eq!(n, 200_000);
        let _ = atoms;
    }

    #[test]
    fn messages_copy_between_heaps_and_share_literals() {
        let atoms = Atoms::new();
        let mut lit = Area::default();
        let lit_word = lit.from_term(1, &Term::string("literal"), &atoms);
        let literals = vec![Arc::new(lit)];
        let mut a = Area::default();
        let inner = a.from_term(0, &sample(), &atoms);
        let msg = a.tuple(0, &[inner, lit_word]);
        let mut b = Area::default();
        let copied = View {
            heap: &a,
            literals: &literals,
        }
        .copy_into(msg, &mut b);
        let vb = View {
            heap: &b,
            literals: &literals,
        };
        let elems = vb.tuple(copied).unwrap();
        assert_eq!(
            Word(elems[1]),
            lit_word,
            "literal pointers are shared, not copied"
        );
        assert_eq!(
            show(&vb.to_term(copied, &atoms)),
            show(
                &View {
                    heap: &a,
                    literals: &literals
                }
                .to_term(msg, &atoms)
            )
        );
    }
}
