//! Maps, in the BEAM's two shapes behind one interface.
//!
//! - A **flat map** (`kind::MAP`, up to [`FLAT_MAX`] keys): the keys in term
//!   order, then the values. Small maps are the common case; a lookup is a
//!   binary search and an update copies a few words.
//! - A **hash map** (`kind::HMAP`, more than [`FLAT_MAX`] keys): a hash array
//!   mapped trie, persistent (an update copies the path from the root to one
//!   leaf, O(log n)), laid out in ordinary heap words so the collector and the
//!   message copier need nothing special:
//!   - root `HMAP`: `[size, node]`;
//!   - node `HNODE`: `[bitmap, child...]`, 16 ways, 4 bits of the key's hash
//!     per level, children in bit order; a child is a leaf, the cons cell
//!     `[Key | Value]`, or a deeper node. Below the last level (all 64 bits
//!     used), a node with bitmap `-1` holds colliding leaves in a list.
//!
//! The shape is chosen by size alone (as on the BEAM), so two equal maps
//! always have the same shape. A key's place in the trie comes from the
//! BEAM's own internal hash ([`hash`]), so a hash map iterates in erl's
//! order: slot by slot, depth first, which depends on the keys' hashes
//! alone, not on the order they were put in. `maps:iterator/next`,
//! `maps:fold` and printing take that order ([`iteration`]);
//! `maps:to_list/keys/values` and `term_to_binary` its reverse
//! ([`listing`]). Comparison goes in key order for both shapes.

use std::sync::Arc;

use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::compare;
use crate::vm::term::exception::Exception;
use crate::vm::term::hash;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::word::{Word, kind};

/// The most keys a flat map holds.
pub const FLAT_MAX: usize = 32;

/// Levels of 4 hash bits.
const LEVELS: u32 = 16;

/// Bitmap of a collision node.
const COLLISION: i64 = -1;

/// The number of keys, if `w` is a map.
pub fn size(v: &View, w: Word) -> Option<usize> {
    v.map_size(w)
}

fn flat_parts<'a>(v: &View<'a>, m: Word) -> (&'a [u64], &'a [u64]) {
    v.map_flat_parts(m)
}

/// The node's bitmap and children.
fn node<'a>(v: &View<'a>, n: Word) -> (i64, &'a [u64]) {
    v.map_node(n)
}

fn pairs(v: &View, m: Word) -> Option<Vec<(Word, Word)>> {
    v.map_pairs(m)
}

/// Whether `w` is a map.
pub fn is_map(v: &View, w: Word) -> bool {
    w.is_boxed() && matches!(v.header(w).header_kind(), kind::MAP | kind::HMAP)
}

fn slot(hash: u64, depth: u32) -> u32 {
    ((hash >> (4 * depth)) & 15) as u32
}

fn position(bitmap: i64, bit: u32) -> usize {
    (bitmap & ((1i64 << bit) - 1)).count_ones() as usize
}

/// The value of `key` in map `m` (`None` also when `m` is not a map).
pub fn get(v: &View, atoms: &Atoms, m: Word, key: Word) -> Option<Word> {
    if !m.is_boxed() {
        return None;
    }
    match v.header(m).header_kind() {
        kind::MAP => {
            let (keys, values) = flat_parts(v, m);
            // An immediate key (atom, small integer, pid) is exactly equal
            // only to itself: a scan of at most 32 words beats a binary
            // search whose steps compare atoms by their text.
            if key.is_immediate() {
                return keys
                    .iter()
                    .position(|k| *k == key.0)
                    .map(|i| Word(values[i]));
            }
            keys.binary_search_by(|k| compare::cmp(v, atoms, Word(*k), key, true))
                .ok()
                .map(|i| Word(values[i]))
        }
        kind::HMAP => {
            let mut hash = KeyHash::of(v, key);
            let mut n = v.at(m.ptr(), 2);
            for depth in 0..=LEVELS {
                let (bitmap, children) = node(v, n);
                let child = if bitmap == COLLISION {
                    return children
                        .iter()
                        .map(|c| v.cons(Word(*c)))
                        .find_map(|(k, x)| compare::exact_eq(v, atoms, k, key).then_some(x));
                } else {
                    let bit = hash.slot(v, key, depth);
                    if bitmap & (1 << bit) == 0 {
                        return None;
                    }
                    Word(children[position(bitmap, bit)])
                };
                if child.is_list() {
                    let (k, x) = v.cons(child);
                    return compare::exact_eq(v, atoms, k, key).then_some(x);
                }
                n = child;
            }
            None
        }
        _ => None,
    }
}

/// Every key and value, in key order (`None` when `m` is not a map).
pub fn entries(v: &View, atoms: &Atoms, m: Word) -> Option<Vec<(Word, Word)>> {
    let mut out = pairs(v, m)?;
    // A flat map keeps its keys in order already.
    if v.header(m).header_kind() == kind::HMAP {
        out.sort_by(|a, b| compare::cmp(v, atoms, a.0, b.0, true));
    }
    Some(out)
}

/// Every key and value in the order erl's iterators take them
/// (`maps:iterator/next`, `maps:fold`, printing): a flat map in key order,
/// a hash map in its trie's order, slot by slot, depth first (`None` when
/// `m` is not a map).
pub fn iteration(v: &View, atoms: &Atoms, m: Word) -> Option<Vec<(Word, Word)>> {
    if !m.is_boxed() || v.header(m).header_kind() != kind::HMAP {
        return entries(v, atoms, m);
    }
    let mut out = Vec::with_capacity(size(v, m).unwrap_or(0));
    let mut stack = vec![(v.at(m.ptr(), 2), 0usize)];
    while let Some((n, i)) = stack.pop() {
        let children = node(v, n).1;
        let Some(c) = children.get(i) else {
            continue;
        };
        stack.push((n, i + 1));
        let c = Word(*c);
        if c.is_list() {
            out.push(v.cons(c));
        } else {
            stack.push((c, 0));
        }
    }
    Some(out)
}

/// Every key and value in the order `maps:to_list/keys/values` and
/// `term_to_binary` list them: a flat map in key order, a hash map in the
/// reverse of its iteration order (the BEAM builds those lists back to
/// front).
pub fn listing(v: &View, atoms: &Atoms, m: Word) -> Option<Vec<(Word, Word)>> {
    let mut out = iteration(v, atoms, m)?;
    if v.header(m).header_kind() == kind::HMAP {
        out.reverse();
    }
    Some(out)
}

/// A map of `sorted` (keys in term order, no duplicates), in `area`: flat
/// or hashed by size.
pub fn build(heap: &mut Area, literals: &[Arc<Area>], area: u32, sorted: &[(Word, Word)]) -> Word {
    if sorted.len() <= FLAT_MAX {
        let keys: Vec<Word> = sorted.iter().map(|e| e.0).collect();
        let values: Vec<Word> = sorted.iter().map(|e| e.1).collect();
        return heap.map(area, &keys, &values);
    }
    let items: Vec<(u64, Word, Word)> = {
        let v = View { heap, literals };
        sorted.iter().map(|(k, x)| (hash(&v, *k), *k, *x)).collect()
    };
    build_hashed(heap, area, items)
}

/// A hash map of entries with distinct keys whose hashes are already known
/// (for areas a `View` cannot read yet, such as a literal area being built).
pub fn build_hashed(heap: &mut Area, area: u32, mut items: Vec<(u64, Word, Word)>) -> Word {
    // Grouped by slot at every level.
    items.sort_by_key(|(h, _, _)| trie_key(*h));
    let root = build_node(heap, area, &items, 0);
    heap.boxed(
        area,
        kind::HMAP,
        &[Word::small(items.len() as i64).expect("size"), root],
    )
}

/// A hash with its nibbles reversed: sorting by it puts keys in the trie's
/// order (slot at level 0 first, then level 1, ...).
fn trie_key(h: u64) -> u64 {
    let b = h.swap_bytes();
    ((b & 0x0f0f_0f0f_0f0f_0f0f) << 4) | ((b >> 4) & 0x0f0f_0f0f_0f0f_0f0f)
}

/// A node for `items` (sorted in trie order), all sharing their first
/// `depth` nibbles.
fn build_node(heap: &mut Area, area: u32, items: &[(u64, Word, Word)], depth: u32) -> Word {
    if depth == LEVELS {
        let leaves: Vec<Word> = items
            .iter()
            .map(|(_, k, x)| heap.cons(area, *k, *x))
            .collect();
        let mut words = vec![Word::small(COLLISION).expect("bitmap")];
        words.extend(leaves);
        return heap.boxed(area, kind::HNODE, &words);
    }
    let mut bitmap = 0i64;
    let mut children = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let s = slot(items[i].0, depth);
        let mut j = i + 1;
        while j < items.len() && slot(items[j].0, depth) == s {
            j += 1;
        }
        bitmap |= 1 << s;
        children.push(if j - i == 1 {
            heap.cons(area, items[i].1, items[i].2)
        } else {
            build_node(heap, area, &items[i..j], depth + 1)
        });
        i = j;
    }
    let mut words = vec![Word::small(bitmap).expect("bitmap")];
    words.extend(children);
    heap.boxed(area, kind::HNODE, &words)
}

fn badmap(heap: &mut Area, m: Word) -> Exception {
    Exception::error(heap.tuple(0, &[Word::atom(atom::BADMAP), m]))
}

/// `M#{K => V, ...}` (assoc) or `M#{K := V, ...}` (exact: every key must
/// exist, else `{badkey, K}`).
pub fn put(
    heap: &mut Area,
    literals: &[Arc<Area>],
    atoms: &Atoms,
    m: Word,
    kv: &[(Word, Word)],
    exact: bool,
) -> Result<Word, Exception> {
    let view = View { heap, literals };
    if !m.is_boxed() {
        return Err(badmap(heap, m));
    }
    match view.header(m).header_kind() {
        kind::MAP => {
            let (keys, values) = flat_parts(&view, m);
            let mut entries: Vec<(Word, Word)> = keys
                .iter()
                .zip(values)
                .map(|(k, v)| (Word(*k), Word(*v)))
                .collect();
            for (k, val) in kv {
                match entries.binary_search_by(|(x, _)| compare::cmp(&view, atoms, *x, *k, true)) {
                    Ok(i) => entries[i].1 = *val,
                    Err(_) if exact => {
                        let k = *k;
                        return Err(Exception::error(
                            heap.tuple(0, &[Word::atom(atom::BADKEY), k]),
                        ));
                    }
                    Err(i) => entries.insert(i, (*k, *val)),
                }
            }
            Ok(build(heap, literals, 0, &entries))
        }
        kind::HMAP => {
            if exact
                && let Some((k, _)) = kv.iter().find(|(k, _)| get(&view, atoms, m, *k).is_none())
            {
                let k = *k;
                return Err(Exception::error(
                    heap.tuple(0, &[Word::atom(atom::BADKEY), k]),
                ));
            }
            let mut m = m;
            for (k, val) in kv {
                m = insert(heap, literals, atoms, m, *k, *val);
            }
            Ok(m)
        }
        _ => Err(badmap(heap, m)),
    }
}

/// What becomes of the bottom node of a path.
enum Edit {
    /// Child `i` is replaced by the new leaf.
    Set(usize),
    /// The new leaf goes in before child `i` (the bitmap already says so).
    Insert(usize),
    /// Child `i`, a leaf with this key and value, shares the new key's
    /// slot: both go into a new node one level down (the new key's hash and
    /// the leaf's).
    Split(usize, (u64, u64), Word, Word),
}

/// One key into a hash map, copying the path to its leaf.
fn insert(
    heap: &mut Area,
    literals: &[Arc<Area>],
    atoms: &Atoms,
    m: Word,
    key: Word,
    val: Word,
) -> Word {
    let v = View { heap, literals };
    let mut hash = KeyHash::of(&v, key);
    let size = size(&v, m).unwrap_or(0);
    // Down: the nodes passed (copied) and the position taken in each.
    let mut path: Vec<(Vec<Word>, usize)> = Vec::new();
    let mut n = v.at(m.ptr(), 2);
    let mut depth = 0;
    let (mut bottom, edit) = loop {
        let (bitmap, children) = node(&v, n);
        let mut words: Vec<Word> = std::iter::once(Word::small(bitmap).expect("bitmap"))
            .chain(children.iter().map(|c| Word(*c)))
            .collect();
        if bitmap == COLLISION {
            let same = children
                .iter()
                .position(|c| compare::exact_eq(&v, atoms, v.cons(Word(*c)).0, key));
            break match same {
                Some(i) => (words, Edit::Set(1 + i)),
                None => {
                    let end = words.len();
                    (words, Edit::Insert(end))
                }
            };
        }
        let bit = hash.slot(&v, key, depth);
        let pos = position(bitmap, bit);
        if bitmap & (1 << bit) == 0 {
            words[0] = Word::small(bitmap | (1 << bit)).expect("bitmap");
            break (words, Edit::Insert(1 + pos));
        }
        let child = Word(children[pos]);
        if child.is_list() {
            let (k2, v2) = v.cons(child);
            if compare::exact_eq(&v, atoms, k2, key) {
                break (words, Edit::Set(1 + pos));
            }
            let both = (hash.full(&v, key), self::hash(&v, k2));
            break (words, Edit::Split(1 + pos, both, k2, v2));
        }
        path.push((words, pos));
        n = child;
        depth += 1;
    };
    let grew = match edit {
        Edit::Set(i) => {
            bottom[i] = heap.cons(0, key, val);
            false
        }
        Edit::Insert(i) => {
            let leaf = heap.cons(0, key, val);
            bottom.insert(i, leaf);
            true
        }
        Edit::Split(i, (h1, h2), k2, v2) => {
            let mut pair = [(h1, key, val), (h2, k2, v2)];
            pair.sort_by_key(|p| trie_key(p.0));
            bottom[i] = build_node(heap, 0, &pair, depth + 1);
            true
        }
    };
    let mut new = heap.boxed(0, kind::HNODE, &bottom);
    while let Some((mut words, pos)) = path.pop() {
        words[1 + pos] = new;
        new = heap.boxed(0, kind::HNODE, &words);
    }
    let size = size + usize::from(grew);
    heap.boxed(
        0,
        kind::HMAP,
        &[Word::small(size as i64).expect("size"), new],
    )
}

/// `maps:remove(K, M)`: `None` when `m` is not a map.
pub fn remove(
    heap: &mut Area,
    literals: &[Arc<Area>],
    atoms: &Atoms,
    m: Word,
    key: Word,
) -> Option<Word> {
    let v = View { heap, literals };
    let n = size(&v, m)?;
    if get(&v, atoms, m, key).is_none() {
        return Some(m);
    }
    if v.header(m).header_kind() == kind::MAP || n - 1 <= FLAT_MAX {
        let rest: Vec<(Word, Word)> = entries(&v, atoms, m)?
            .into_iter()
            .filter(|(k, _)| !compare::exact_eq(&v, atoms, *k, key))
            .collect();
        return Some(build(heap, literals, 0, &rest));
    }
    // Down to the leaf (it exists), then up, rebuilding without it and
    // dropping nodes left empty.
    let mut hash = KeyHash::of(&v, key);
    let mut path: Vec<(Vec<Word>, usize)> = Vec::new();
    let mut node_word = v.at(m.ptr(), 2);
    let mut depth = 0;
    let bottom = loop {
        let (bitmap, children) = node(&v, node_word);
        let mut words: Vec<Word> = std::iter::once(Word::small(bitmap).expect("bitmap"))
            .chain(children.iter().map(|c| Word(*c)))
            .collect();
        if bitmap == COLLISION {
            words.retain(|c| !c.is_list() || !compare::exact_eq(&v, atoms, v.cons(*c).0, key));
            break words;
        }
        let bit = hash.slot(&v, key, depth);
        let pos = position(bitmap, bit);
        let child = Word(children[pos]);
        if child.is_list() {
            words.remove(1 + pos);
            words[0] = Word::small(bitmap & !(1 << bit)).expect("bitmap");
            break words;
        }
        path.push((words, pos));
        node_word = child;
        depth += 1;
    };
    // Up again. A node left holding one key becomes that leaf in its
    // parent, and so on up: the BEAM keeps its trie in that one shape for
    // a set of keys, which `erts_debug:flat_size/1` shows.
    let mut words = bottom;
    let root = loop {
        let Some((mut parent, pos)) = path.pop() else {
            break heap.boxed(0, kind::HNODE, &words);
        };
        if words.len() == 1 {
            let bitmap = parent[0].as_small().unwrap_or(0);
            let bit = (0..16)
                .filter(|b| bitmap & (1 << b) != 0)
                .nth(pos)
                .unwrap_or(0);
            parent.remove(1 + pos);
            parent[0] = Word::small(bitmap & !(1 << bit)).expect("bitmap");
        } else if words.len() == 2 && words[1].is_list() {
            parent[1 + pos] = words[1];
        } else {
            parent[1 + pos] = heap.boxed(0, kind::HNODE, &words);
        }
        words = parent;
    };
    Some(heap.boxed(
        0,
        kind::HMAP,
        &[Word::small((n - 1) as i64).expect("size"), root],
    ))
}

/// A key's 64-bit trie hash: the BEAM's internal hash (salt 0) in the low
/// 32 bits, which place a key in the first 8 levels as on the BEAM, and
/// the same hash salted with 1 in the high 32 bits for levels 8 to 15, the
/// BEAM's rehash of keys whose first 32 bits collide. Equal for exactly
/// equal terms whatever their representation.
pub fn hash(v: &View, w: Word) -> u64 {
    let low = hash::internal_hash(v, w, 0);
    let high = hash::internal_hash(v, w, 1);
    u64::from(low) | u64::from(high) << 32
}

/// A key's [`hash`] as a walk down the trie needs it: the high half is made
/// only when the walk goes past level 8, which takes two keys whose first
/// 32 bits collide.
struct KeyHash {
    low: u32,
    high: Option<u32>,
}

impl KeyHash {
    fn of(v: &View, key: Word) -> KeyHash {
        KeyHash {
            low: hash::internal_hash(v, key, 0),
            high: None,
        }
    }

    fn high(&mut self, v: &View, key: Word) -> u32 {
        *self
            .high
            .get_or_insert_with(|| hash::internal_hash(v, key, 1))
    }

    /// The slot at `depth` (as [`slot`] of the whole hash).
    fn slot(&mut self, v: &View, key: Word, depth: u32) -> u32 {
        if depth < 8 {
            (self.low >> (4 * depth)) & 15
        } else {
            self.high(v, key).checked_shr(4 * (depth - 8)).unwrap_or(0) & 15
        }
    }

    fn full(&mut self, v: &View, key: Word) -> u64 {
        u64::from(self.low) | u64::from(self.high(v, key)) << 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlfmt::parse::whole;

    /// Builds maps of growing size by single inserts and compares every
    /// lookup, the entries and removals against a sorted reference.
    #[test]
    fn hash_maps_agree_with_a_sorted_reference() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let lits: Vec<Arc<Area>> = vec![];
        let mut m = heap.map(0, &[], &[]);
        let keys: Vec<Word> = (0..300)
            .map(|i| {
                let t = match i % 4 {
                    0 => format!("{i}"),
                    1 => format!("k{i}"),
                    2 => format!("{{{i},<<{},{}>>}}", i % 256, i / 256),
                    _ => format!("{i}.5"),
                };
                heap.from_term(0, &whole(&t).unwrap(), &atoms)
            })
            .collect();
        for (i, k) in keys.iter().enumerate() {
            let val = Word::small(i as i64).unwrap();
            m = put(&mut heap, &lits, &atoms, m, &[(*k, val)], false).unwrap();
            let v = View {
                heap: &heap,
                literals: &lits,
            };
            assert_eq!(size(&v, m), Some(i + 1));
            let kind = v.header(m).header_kind();
            assert_eq!(kind == kind::HMAP, i + 1 > FLAT_MAX);
        }
        let v = View {
            heap: &heap,
            literals: &lits,
        };
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(get(&v, &atoms, m, *k), Word::small(i as i64));
        }
        let absent = Word::small(100_000).unwrap();
        assert_eq!(get(&v, &atoms, m, absent), None);
        let e = entries(&v, &atoms, m).unwrap();
        assert_eq!(e.len(), keys.len());
        assert!(
            e.windows(2)
                .all(|w| compare::cmp(&v, &atoms, w[0].0, w[1].0, true) == std::cmp::Ordering::Less)
        );
        // The same content built at once is equal, and hashes the same.
        let built = build(&mut heap, &lits, 0, &e);
        let v = View {
            heap: &heap,
            literals: &lits,
        };
        assert_eq!(
            compare::cmp(&v, &atoms, m, built, true),
            std::cmp::Ordering::Equal
        );
        assert_eq!(hash(&v, m), hash(&v, built));
        // Removing everything, one key at a time, back through the flat shape.
        let mut r = m;
        for (i, k) in keys.iter().enumerate() {
            r = remove(&mut heap, &lits, &atoms, r, *k).unwrap();
            let v = View {
                heap: &heap,
                literals: &lits,
            };
            assert_eq!(size(&v, r), Some(keys.len() - i - 1));
            assert_eq!(get(&v, &atoms, r, *k), None);
            if let Some(next) = keys.get(i + 1) {
                assert_eq!(get(&v, &atoms, r, *next), Word::small(i as i64 + 1));
            }
        }
    }

    #[test]
    fn collisions_below_the_last_level_still_work() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let (a, b, c) = (
            Word::small(1).unwrap(),
            Word::small(2).unwrap(),
            Word::small(3).unwrap(),
        );
        // Three keys with one (forced) full hash: a collision node.
        let items = [(7u64, a, a), (7, b, b), (7, c, c)];
        let n = build_node(&mut heap, 0, &items, 0);
        let root = heap.boxed(0, kind::HMAP, &[Word::small(3).unwrap(), n]);
        let v = View {
            heap: &heap,
            literals: &[],
        };
        let mut path = v.at(root.ptr(), 2);
        for _ in 0..LEVELS {
            path = Word(node(&v, path).1[0]);
        }
        assert_eq!(node(&v, path).0, COLLISION);
        assert_eq!(entries(&v, &atoms, root).unwrap().len(), 3);
    }
}
