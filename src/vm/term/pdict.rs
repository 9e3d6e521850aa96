//! The process dictionary: a hash table with O(1) `get`, `put` and `erase`.
//!
//! It is laid out as erl's is (linear hashing: a table that grows and
//! shrinks a few buckets at a time, each bucket a short list), so that
//! `get/0`, `get_keys/0,1`, `erase/0` and `process_info(P, dictionary)`
//! list keys in erl's order wherever that order is reproducible: erl hashes
//! a small integer by its value, as here, so keys that are small integers
//! come back in erl's order, and so do keys of other kinds, which erl
//! hashes with its internal term hash ([`hash::internal_hash`]), except
//! atoms: erl hashes them by their atom table index, which differs here.
//!
//! Keys and values live on the process heap and move when it is collected;
//! each entry keeps the hash of its key's content, which a move does not
//! change, so the table never needs rehashing after a collection.

use crate::vm::term::atoms::Atoms;
use crate::vm::term::compare;
use crate::vm::term::hash;
use crate::vm::term::heap::View;
use crate::vm::term::word::Word;

/// The table's size when the first key goes in, and the least it shrinks to.
const INITIAL: usize = 8;

/// One key and its value, with the key's hash.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The key's [`hash`].
    pub hash: u32,
    /// The key.
    pub key: Word,
    /// Its value.
    pub value: Word,
}

/// The dictionary. An empty one holds no table at all.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    /// The buckets in use, each in list order (first = head).
    buckets: Vec<Vec<Entry>>,
    /// The next bucket to split when the table grows.
    split: usize,
    /// `2 * home size - 1`: the mask of the larger hash range.
    mask: u32,
    /// Entries in all.
    len: usize,
}

/// The hash of a key, as erl's: a small integer's value, an atom's table
/// index, otherwise the internal hash of the term's content (equal for
/// exactly equal terms).
pub fn hash(v: &View, key: Word) -> u32 {
    if let Some(i) = key.as_small() {
        i as u32
    } else if let Some(a) = key.as_atom() {
        a
    } else {
        hash::internal_hash(v, key, 0)
    }
}

impl Dict {
    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Words of memory it takes (for `process_info(P, memory)`).
    pub fn capacity_words(&self) -> usize {
        3 * self.buckets.capacity() + self.buckets.iter().map(|b| 3 * b.capacity()).sum::<usize>()
    }

    fn index(&self, hash: u32) -> usize {
        let high = hash & self.mask;
        if high as usize >= self.buckets.len() {
            (hash & (self.mask >> 1)) as usize
        } else {
            high as usize
        }
    }

    fn find(&self, v: &View, atoms: &Atoms, key: Word, hash: u32) -> Option<(usize, usize)> {
        if self.buckets.is_empty() {
            return None;
        }
        let b = self.index(hash);
        let i = self.buckets[b].iter().position(|e| {
            e.hash == hash && (e.key == key || compare::exact_eq(v, atoms, e.key, key))
        })?;
        Some((b, i))
    }

    /// The value of `key`.
    pub fn get(&self, v: &View, atoms: &Atoms, key: Word) -> Option<Word> {
        let (b, i) = self.find(v, atoms, key, hash(v, key))?;
        Some(self.buckets[b][i].value)
    }

    /// Sets `key` to `value`; the value it had.
    pub fn put(&mut self, v: &View, atoms: &Atoms, key: Word, value: Word) -> Option<Word> {
        let hash = hash(v, key);
        if let Some((b, i)) = self.find(v, atoms, key, hash) {
            // In place: the order stays.
            return Some(std::mem::replace(&mut self.buckets[b][i].value, value));
        }
        if self.buckets.is_empty() {
            self.buckets = vec![Vec::new(); INITIAL];
            self.mask = 2 * INITIAL as u32 - 1;
            self.split = 0;
        }
        let b = self.index(hash);
        self.buckets[b].insert(0, Entry { hash, key, value });
        self.len += 1;
        if self.buckets.len() <= self.len {
            self.grow();
        }
        None
    }

    /// Removes `key`; the value it had.
    pub fn erase(&mut self, v: &View, atoms: &Atoms, key: Word) -> Option<Word> {
        if self.buckets.is_empty() {
            return None;
        }
        let old = self.find(v, atoms, key, hash(v, key)).map(|(b, i)| {
            self.len -= 1;
            self.buckets[b].remove(i).value
        });
        let range = self.buckets.len();
        if range > INITIAL && range / 2 > self.len {
            self.shrink();
        }
        old
    }

    /// Removes every key; what `get/0` listed.
    pub fn take(&mut self) -> Vec<(Word, Word)> {
        let all = self.pairs();
        *self = Dict::default();
        all
    }

    /// Every key and value in the order `get/0` lists them: the buckets
    /// and their lists walked backwards (erl builds its list by consing).
    pub fn pairs(&self) -> Vec<(Word, Word)> {
        self.entries().map(|e| (e.key, e.value)).collect()
    }

    /// Every entry in the order `get/0` lists them.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.buckets.iter().rev().flat_map(|b| b.iter().rev())
    }

    /// Every key and value, as collector roots.
    pub fn words(&self) -> Vec<Word> {
        self.buckets
            .iter()
            .flatten()
            .flat_map(|e| [e.key, e.value])
            .collect()
    }

    /// Puts back the keys and values [`Dict::words`] gave, as moved.
    pub fn set_words(&mut self, words: &[Word]) {
        let mut it = words.chunks_exact(2);
        for e in self.buckets.iter_mut().flatten() {
            let kv = it.next().expect("one pair per entry");
            (e.key, e.value) = (kv[0], kv[1]);
        }
    }

    /// Splits the next few buckets in two.
    fn grow(&mut self) {
        let steps = ((self.buckets.len() / 4) & 0xf).max(1);
        let mut home = self.buckets.len() - self.split;
        for _ in 0..steps {
            if self.split == home {
                home *= 2;
                self.mask = 2 * home as u32 - 1;
                self.split = 0;
            }
            let pos = self.split;
            self.split += 1;
            self.buckets.push(Vec::new());
            let old = std::mem::take(&mut self.buckets[pos]);
            // Each half in reverse, as erl conses them.
            let (mut stay, mut go) = (Vec::new(), Vec::new());
            for e in old.into_iter().rev() {
                if self.index(e.hash) == pos {
                    stay.push(e);
                } else {
                    go.push(e);
                }
            }
            self.buckets[pos] = stay;
            self.buckets[pos + home] = go;
        }
    }

    /// Merges the last few buckets back into their home buckets.
    fn shrink(&mut self) {
        let range = self.buckets.len();
        let steps = ((range * 3) / 10).min(range - INITIAL);
        for _ in 0..steps {
            if self.split == 0 {
                self.mask = self.buckets.len() as u32 - 1;
                self.split = self.buckets.len() / 2;
            }
            self.split -= 1;
            let hi = self.buckets.pop().expect("a bucket to merge");
            let lo = &mut self.buckets[self.split];
            match (lo.len(), hi.len()) {
                (_, 0) => {}
                (0, _) => *lo = hi,
                // A lone entry stays first, a list goes after the others reversed.
                (1, _) => lo.extend(hi),
                _ => {
                    let mut merged: Vec<Entry> = hi.into_iter().rev().collect();
                    merged.append(lo);
                    *lo = merged;
                }
            }
        }
    }
}
