//! The generational collector of process heaps (design in `docs/vm.md`,
//! "Heaps and garbage collection").
//!
//! Invariant: no old object points at a young one, except the old objects
//! in `Gens::remembered`. Terms are immutable, so an object can only point
//! at objects older than itself; the VM's own writes into existing objects
//! go through the barrier `Area::set_field`, which remembers the object.
//! So a minor collection reads the roots, the remembered objects and the
//! young live data, never the rest of the old generation.
//!
//! A minor collection copies what is live of the young generation: the
//! part that had survived a collection already (`Gens::aged`, the BEAM's
//! high-water mark) is promoted, appended to the old generation; the rest
//! stays young. Both copies are made into buffers of their own; where a
//! promoted object lands is known at once (the end of the old generation),
//! where a survivor lands only once the promoted are counted, so survivors
//! get a provisional address past the end of the heap and one pass over
//! the copied data puts them in place.
//!
//! A major collection copies everything live (`heap::collect_into`) and
//! makes it old: it runs when the old generation outgrows its budget, after
//! `fullsweep_after` minor ones, and when the program asks
//! (`erlang:garbage_collect/0,1,2`, hibernation).

use std::collections::TryReserveError;
use std::sync::Arc;

use crate::vm::term::heap::{Area, Gens, collect_into, holds_terms, object_words};
use crate::vm::term::word::{Ptr, Word, kind};

// ------------------------------------------------------------ policy

/// The least room, in words, the young generation gets after a collection.
pub const MIN_YOUNG: usize = 1 << 16;

/// The least budget, in words, of the old generation.
const MIN_OLD: usize = 1 << 16;

/// Words from which a heap's collections reserve with `try_reserve` what
/// they copy into, and the young room they grant (`exec/frames.rs`), so
/// that a refusal ends the process rather than the VM. Smaller heaps grow
/// their buffers as they fill (at most 8 MB at a time), which keeps a
/// small or hibernating process's heap small.
pub const LARGE_HEAP: usize = 1 << 20;

/// erl's default `fullsweep_after`.
pub const FULLSWEEP_AFTER: u64 = 65_535;

/// Whether `LAM_GC_STRESS=1` asks for a collection at every check point,
/// which shakes out a root the collector was not given (a stale word then
/// shows up at once instead of once in a while).
pub fn stress() -> bool {
    static STRESS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRESS.get_or_init(|| std::env::var("LAM_GC_STRESS").is_ok_and(|v| v == "1"))
}

/// When a process collects, and how.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Minor collections between two major ones (`fullsweep_after`).
    pub fullsweep_after: u64,
    /// Minor collections since the last major one (`minor_gcs`).
    pub minor_gcs: u64,
    /// The next collection is major (the program asked for one).
    pub major_wanted: bool,
    /// The old generation's budget in words: past it, the next collection
    /// is major.
    pub old_limit: usize,
    /// Likewise for the bytes of the binaries old objects refer to.
    pub old_bin_limit: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            fullsweep_after: FULLSWEEP_AFTER,
            minor_gcs: 0,
            major_wanted: false,
            old_limit: MIN_OLD,
            old_bin_limit: MIN_OLD * 8,
        }
    }
}

/// What a collection did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collected {
    /// Whether it was major.
    pub major: bool,
    /// Words the heap holds after it, both generations.
    pub live: usize,
    /// Room the young generation gets before the next one.
    pub young_room: usize,
}

/// Collects `heap`, minor or major as `policy` says, with `roots`; `spare`
/// is a buffer kept between collections (see [`collect_into`]).
///
/// For a heap of [`LARGE_HEAP`] words or more, everything the collection
/// copies into is reserved first, with
/// `try_reserve`: when the allocator refuses, the heap is left as it was
/// and the refusal returned, for the process alone to die of it (a
/// collection that ran out midway would abort the VM).
pub fn collect(
    heap: &mut Area,
    roots: &mut [&mut [Word]],
    spare: &mut Vec<u64>,
    policy: &mut Policy,
) -> Result<Collected, TryReserveError> {
    let g = &heap.gens;
    // Under stress, a major collection at least every 16th time, so that a
    // root missed to old data (which only a major collection moves) shows.
    let fullsweep_after = if stress() {
        policy.fullsweep_after.min(15)
    } else {
        policy.fullsweep_after
    };
    let major = policy.major_wanted
        || policy.minor_gcs >= fullsweep_after
        || g.old_words > policy.old_limit
        || g.old_bin_bytes > policy.old_bin_limit;
    let mut promoted = Vec::new();
    spare.clear();
    if heap.words.len() >= LARGE_HEAP {
        let (young, old) = copy_room(heap, major);
        spare.try_reserve_exact(young)?;
        promoted.try_reserve_exact(old)?;
    }
    let young_live = if major {
        let live = major_into(heap, roots, spare);
        policy.minor_gcs = 0;
        policy.major_wanted = false;
        // Twice what lived: a major collection costs what lives, so growing
        // that much first keeps its cost at a word per word promoted.
        policy.old_limit = (2 * live).max(MIN_OLD);
        policy.old_bin_limit = (2 * heap.gens.old_bin_bytes).max(MIN_OLD * 8);
        0
    } else {
        policy.minor_gcs += 1;
        minor_with(heap, roots, spare, promoted)
    };
    // Room for twice the young survivors (a minor collection costs what
    // survives), and at least the old generation's size, so that short-lived
    // data has time to die before it is promoted: the bigger the young room,
    // the less garbage reaches the old generation and its major collections.
    let young_room = (3 * young_live).max(heap.gens.old_words).max(MIN_YOUNG);
    Ok(Collected {
        major,
        live: heap.words.len(),
        young_room,
    })
}

/// The words a collection of `heap` copies at most, into the young
/// buffer and into the promoted one (everything, for a major one).
fn copy_room(heap: &Area, major: bool) -> (usize, usize) {
    let end = heap.words.len();
    if major {
        return (end, 0);
    }
    let old = heap.gens.old_words.min(end);
    let aged = heap.gens.aged.clamp(old, end);
    (end - aged, aged - old)
}

/// The words the next collection of `heap` under `policy` may copy: the
/// room it asks for on top of the heap.
pub fn copy_words(heap: &Area, policy: &Policy) -> usize {
    let g = &heap.gens;
    let major = policy.major_wanted
        || policy.minor_gcs >= policy.fullsweep_after
        || g.old_words > policy.old_limit
        || g.old_bin_bytes > policy.old_bin_limit;
    let (young, old) = copy_room(heap, major);
    young + old
}

/// A major collection: everything live is copied and becomes old. Returns
/// the words that live.
pub fn major_into(heap: &mut Area, roots: &mut [&mut [Word]], spare: &mut Vec<u64>) -> usize {
    let live = collect_into(heap, roots, spare);
    heap.gens = Gens {
        old_words: live,
        aged: live,
        old_bins: heap.offheap.len(),
        old_writable: heap.writable.len(),
        old_bin_bytes: heap.offheap.iter().map(|b| b.len()).sum(),
        remembered: Vec::new(),
    };
    live
}

// ------------------------------------------------------------ minor

/// A young binary is referred to by a promoted object.
const BY_OLD: u8 = 1;
/// A young binary is referred to by a young survivor.
const BY_YOUNG: u8 = 2;

/// The state of one minor collection.
struct Minor<'a> {
    /// The whole heap; the young part is the from-space.
    words: &'a mut Vec<u64>,
    /// Where the young generation starts, the aged part ends, the heap ends.
    old: usize,
    aged: usize,
    end: usize,
    /// Promoted objects, to land at `old`.
    promoted: Vec<u64>,
    /// Young survivors, provisionally at `end` (see the module's comment).
    young: Vec<u64>,
    /// For each young off-heap binary, then each young writable buffer,
    /// which of the copies refer to it (`BY_OLD`, `BY_YOUNG`).
    bins: Vec<u8>,
    old_bins: usize,
    young_bins: usize,
    old_writable: usize,
}

impl Minor<'_> {
    /// The new place of `w`: old and immediate terms stay, young objects are
    /// copied (once).
    #[inline]
    fn evacuate(&mut self, w: Word) -> Word {
        if w.is_immediate() {
            return w;
        }
        let p = w.ptr();
        if p.area != 0 || p.offset < self.old {
            return w;
        }
        let off = p.offset;
        let promote = off < self.aged;
        if w.is_list() {
            if Word(self.words[off]) == Word::NONE {
                return Word(self.words[off + 1]);
            }
            let cell = [self.words[off], self.words[off + 1]];
            let at = self.place(promote, &cell);
            let to = Word::list(at);
            self.words[off] = Word::NONE.0;
            self.words[off + 1] = to.0;
            return to;
        }
        let h = Word(self.words[off]);
        if h.is_boxed() {
            // Moved already: the header slot holds the new place.
            return h;
        }
        let size = object_words(h);
        match h.header_kind() {
            kind::REFC_BIN => self.mark(self.words[off + 1] as usize, promote, false),
            kind::WRITABLE_BIN => self.mark(self.words[off + 1] as usize, promote, true),
            _ => {}
        }
        let at = {
            let (src, dst) = (&self.words[off..off + 1 + size], promote);
            let dst_vec = if dst {
                &mut self.promoted
            } else {
                &mut self.young
            };
            let at = if dst { self.old } else { self.end } + dst_vec.len();
            dst_vec.extend_from_slice(src);
            at
        };
        let to = Word::boxed(Ptr {
            area: 0,
            offset: at,
        });
        self.words[off] = to.0;
        to
    }

    /// Copies `cell` to the promoted or the young copies; its address.
    #[inline]
    fn place(&mut self, promote: bool, cell: &[u64]) -> Ptr {
        let (v, base) = if promote {
            (&mut self.promoted, self.old)
        } else {
            (&mut self.young, self.end)
        };
        let offset = base + v.len();
        v.extend_from_slice(cell);
        Ptr { area: 0, offset }
    }

    /// Notes who refers to young binary `idx` (an off-heap one, or a
    /// writable buffer).
    fn mark(&mut self, idx: usize, promote: bool, writable: bool) {
        let slot = if writable {
            match idx.checked_sub(self.old_writable) {
                Some(i) => self.young_bins + i,
                None => return,
            }
        } else {
            match idx.checked_sub(self.old_bins) {
                Some(i) => i,
                None => return,
            }
        };
        self.bins[slot] |= if promote { BY_OLD } else { BY_YOUNG };
    }

    /// Evacuates the terms of the object or cons cell at `at` of `v`
    /// (promoted or young copies); the index of the next one.
    fn scan(&mut self, promoted: bool, at: usize) -> usize {
        let get = |m: &Minor, i: usize| {
            if promoted { m.promoted[i] } else { m.young[i] }
        };
        let w = Word(get(self, at));
        let (fields, next) = fields_of(w, at);
        for i in fields {
            let moved = self.evacuate(Word(get(self, i)));
            if promoted {
                self.promoted[i] = moved.0;
            } else {
                self.young[i] = moved.0;
            }
        }
        next
    }
}

/// The term fields and the end of the object (or cons cell) whose first
/// word is `first`, at `at`.
#[inline]
fn fields_of(first: Word, at: usize) -> (std::ops::Range<usize>, usize) {
    if first.is_header() {
        let size = object_words(first);
        let fields = if holds_terms(first.header_kind()) {
            at + 1..at + 1 + size
        } else {
            at..at
        };
        (fields, at + 1 + size)
    } else {
        (at..at + 2, at + 2)
    }
}

/// A minor collection (see the module's comment). Returns the words of
/// young survivors.
pub fn minor(heap: &mut Area, roots: &mut [&mut [Word]], spare: &mut Vec<u64>) -> usize {
    minor_with(heap, roots, spare, Vec::new())
}

/// [`minor`], copying promoted objects into `promoted` (room reserved by
/// [`collect`]).
fn minor_with(
    heap: &mut Area,
    roots: &mut [&mut [Word]],
    spare: &mut Vec<u64>,
    promoted: Vec<u64>,
) -> usize {
    let end = heap.words.len();
    let g = std::mem::take(&mut heap.gens);
    let old = g.old_words.min(end);
    let aged = g.aged.clamp(old, end);
    let old_bins = g.old_bins.min(heap.offheap.len());
    let old_writable = g.old_writable.min(heap.writable.len());
    let young_bins = heap.offheap.len() - old_bins;
    let mut young = std::mem::take(spare);
    young.clear();
    let mut m = Minor {
        words: &mut heap.words,
        old,
        aged,
        end,
        promoted,
        young,
        bins: vec![0; young_bins + heap.writable.len() - old_writable],
        old_bins,
        young_bins,
        old_writable,
    };
    for set in roots.iter_mut() {
        for w in set.iter_mut() {
            *w = m.evacuate(*w);
        }
    }
    let mut remembered = g.remembered;
    remembered.sort_unstable();
    remembered.dedup();
    remembered.retain(|&r| r < old);
    for &r in &remembered {
        let (fields, _) = fields_of(Word(m.words[r]), r);
        for i in fields {
            let moved = m.evacuate(Word(m.words[i]));
            m.words[i] = moved.0;
        }
    }
    // Cheney scan of both copies, until neither has anything left to scan.
    let (mut sp, mut sy) = (0, 0);
    while sp < m.promoted.len() || sy < m.young.len() {
        while sp < m.promoted.len() {
            sp = m.scan(true, sp);
        }
        while sy < m.young.len() {
            sy = m.scan(false, sy);
        }
    }
    let Minor {
        promoted,
        young: mut survivors,
        bins,
        ..
    } = m;
    // Young binaries a promoted object refers to become old; those only
    // young survivors refer to stay young; the others are dropped.
    let mut bin_map = vec![u64::MAX; bins.len()];
    let mut offheap: Vec<Arc<[u8]>> = heap.offheap.drain(old_bins..).collect();
    let mut writable: Vec<Vec<u8>> = heap.writable.drain(old_writable..).collect();
    let mut old_bin_bytes = g.old_bin_bytes;
    for pass in [BY_OLD, BY_YOUNG] {
        for (i, f) in bins.iter().enumerate() {
            let first = if pass == BY_OLD {
                f & BY_OLD != 0
            } else {
                *f == BY_YOUNG
            };
            if !first {
                continue;
            }
            bin_map[i] = if i < young_bins {
                let b = std::mem::replace(&mut offheap[i], Arc::from(&[][..]));
                if pass == BY_OLD {
                    old_bin_bytes += b.len();
                }
                heap.offheap.push(b);
                (heap.offheap.len() - 1) as u64
            } else {
                heap.writable
                    .push(std::mem::take(&mut writable[i - young_bins]));
                (heap.writable.len() - 1) as u64
            };
        }
        if pass == BY_OLD {
            // The old lists end here.
            let (b, w) = (heap.offheap.len(), heap.writable.len());
            heap.gens.old_bins = b;
            heap.gens.old_writable = w;
        }
    }
    drop(offheap);
    drop(writable);
    // Put the survivors in place, behind the promoted.
    let new_old = old + promoted.len();
    let shift = ((end - new_old) as u64) << 2;
    let fix = |w: u64| -> u64 {
        let x = Word(w);
        if !x.is_immediate() && !x.is_header() && x.ptr().area == 0 && x.ptr().offset >= end {
            w - shift
        } else {
            w
        }
    };
    let rebin = |v: &mut [u64], at: usize, h: Word| {
        let k = h.header_kind();
        if k == kind::REFC_BIN || k == kind::WRITABLE_BIN {
            let idx = v[at + 1] as usize;
            let base = if k == kind::REFC_BIN {
                old_bins
            } else {
                old_writable
            };
            if let Some(i) = idx.checked_sub(base) {
                let slot = if k == kind::REFC_BIN {
                    i
                } else {
                    young_bins + i
                };
                v[at + 1] = bin_map[slot];
            }
        }
    };
    let mut promoted = promoted;
    let mut new_remembered = Vec::new();
    let mut at = 0;
    while at < promoted.len() {
        let first = Word(promoted[at]);
        let (fields, next) = fields_of(first, at);
        let mut points_young = false;
        for i in fields {
            let fixed = fix(promoted[i]);
            points_young |= fixed != promoted[i];
            promoted[i] = fixed;
        }
        if points_young {
            // Only a mutated object can point at younger data.
            new_remembered.push(old + at);
        }
        if first.is_header() {
            rebin(&mut promoted, at, first);
        }
        at = next;
    }
    let mut at = 0;
    while at < survivors.len() {
        let first = Word(survivors[at]);
        let (fields, next) = fields_of(first, at);
        for i in fields {
            survivors[i] = fix(survivors[i]);
        }
        if first.is_header() {
            rebin(&mut survivors, at, first);
        }
        at = next;
    }
    for set in roots.iter_mut() {
        for w in set.iter_mut() {
            *w = Word(fix(w.0));
        }
    }
    for &r in &remembered {
        let (fields, _) = fields_of(Word(heap.words[r]), r);
        let mut points_young = false;
        for i in fields {
            let w = fix(heap.words[i]);
            heap.words[i] = w;
            let x = Word(w);
            points_young |= !x.is_immediate() && x.ptr().area == 0 && x.ptr().offset >= new_old;
        }
        if points_young {
            new_remembered.push(r);
        }
    }
    new_remembered.sort_unstable();
    heap.words.truncate(old);
    heap.words.extend_from_slice(&promoted);
    heap.words.extend_from_slice(&survivors);
    let young_live = survivors.len();
    *spare = survivors;
    heap.gens.old_words = new_old;
    heap.gens.aged = heap.words.len();
    heap.gens.old_bin_bytes = old_bin_bytes;
    heap.gens.remembered = new_remembered;
    // Carried over, the survivors' binaries press for no collection.
    heap.offheap_bytes = 0;
    young_live
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlfmt::w as show;
    use crate::term::Term;
    use crate::vm::term::atoms::Atoms;
    use crate::vm::term::heap::View;

    fn view(heap: &Area) -> View<'_> {
        View {
            heap,
            literals: &[],
        }
    }

    fn text(heap: &Area, w: Word, atoms: &Atoms) -> String {
        show(&view(heap).to_term(w, atoms))
    }

    /// How `text` shows a tuple of these strings.
    fn shown(strings: &[&str]) -> String {
        show(&Term::Tuple(
            strings.iter().map(|s| Term::string(s)).collect(),
        ))
    }

    fn garbage(heap: &mut Area, atoms: &Atoms, n: i64) {
        for i in 0..n {
            heap.from_term(
                0,
                &Term::Tuple(vec![Term::Int(i), Term::Binary(vec![1; 80])]),
                atoms,
            );
        }
    }

    #[test]
    fn a_survivor_is_promoted_at_its_second_collection() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let mut spare = Vec::new();
        garbage(&mut heap, &atoms, 100);
        let t = Term::Tuple(vec![Term::atom("tree"), Term::string("abc"), Term::Int(7)]);
        let mut roots = [heap.from_term(0, &t, &atoms)];
        let young = minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(heap.gens.old_words, 0, "new data is not promoted at once");
        assert_eq!(young, heap.words.len());
        assert_eq!(heap.offheap.len(), 0, "dead young binaries are dropped");
        garbage(&mut heap, &atoms, 100);
        let young = minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(young, 0);
        assert_eq!(heap.gens.old_words, heap.words.len(), "promoted");
        assert_eq!(text(&heap, roots[0], &atoms), show(&t));
        // Old data is not copied again: its words stay where they are.
        let before = roots[0];
        garbage(&mut heap, &atoms, 100);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(roots[0], before);
        assert_eq!(text(&heap, roots[0], &atoms), show(&t));
    }

    #[test]
    fn promoted_and_young_data_point_at_each_other_rightly() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let mut spare = Vec::new();
        let a = heap.from_term(0, &Term::string("aged"), &atoms);
        let mut roots = [a, Word::NIL, Word::NIL];
        minor(&mut heap, &mut [&mut roots], &mut spare);
        garbage(&mut heap, &atoms, 10);
        // Young data pointing at aged data (which is promoted), twice.
        let b = heap.from_term(0, &Term::string("young"), &atoms);
        roots[1] = heap.tuple(0, &[roots[0], b]);
        roots[2] = heap.cons(0, roots[1], roots[1]);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert!(roots[0].ptr().offset < heap.gens.old_words);
        assert!(roots[1].ptr().offset >= heap.gens.old_words);
        let v = view(&heap);
        assert_eq!(v.cons(roots[2]), (roots[1], roots[1]), "sharing is kept");
        assert_eq!(text(&heap, roots[1], &atoms), shown(&["aged", "young"]));
        // A major collection makes everything old, and changes no term.
        let before: Vec<String> = roots.iter().map(|r| text(&heap, *r, &atoms)).collect();
        major_into(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(heap.gens.old_words, heap.words.len());
        let after: Vec<String> = roots.iter().map(|r| text(&heap, *r, &atoms)).collect();
        assert_eq!(before, after);
    }

    #[test]
    fn the_write_barrier_keeps_what_an_old_object_is_given() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let mut spare = Vec::new();
        let holder = heap.tuple(0, &[Word::NIL, Word::NIL]);
        let mut roots = [holder];
        major_into(&mut heap, &mut [&mut roots], &mut spare);
        let holder = roots[0];
        assert!(holder.ptr().offset < heap.gens.old_words);
        garbage(&mut heap, &atoms, 50);
        let young = heap.from_term(0, &Term::string("only the old tuple holds me"), &atoms);
        heap.set_field(holder.ptr().offset, 1, young);
        assert_eq!(heap.gens.remembered, vec![holder.ptr().offset]);
        garbage(&mut heap, &atoms, 50);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(roots[0], holder, "old objects do not move");
        assert_eq!(
            text(&heap, holder, &atoms),
            show(&Term::Tuple(vec![
                Term::string("only the old tuple holds me"),
                Term::Nil
            ]))
        );
        assert_eq!(
            heap.gens.remembered,
            vec![holder.ptr().offset],
            "still young"
        );
        // Next time the string is promoted, and nothing is left to remember.
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert!(heap.gens.remembered.is_empty());
        assert_eq!(
            text(&heap, holder, &atoms),
            show(&Term::Tuple(vec![
                Term::string("only the old tuple holds me"),
                Term::Nil
            ]))
        );
        // A promoted object that was given younger data is remembered too.
        let mut roots = [heap.tuple(0, &[Word::NIL])];
        minor(&mut heap, &mut [&mut roots], &mut spare);
        let aged = roots[0].ptr().offset;
        let s = heap.from_term(0, &Term::string("newer"), &atoms);
        heap.set_field(aged, 1, s);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(heap.gens.remembered, vec![roots[0].ptr().offset]);
        garbage(&mut heap, &atoms, 10);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(text(&heap, roots[0], &atoms), shown(&["newer"]));
    }

    #[test]
    fn binaries_are_kept_per_generation() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let mut spare = Vec::new();
        let long = |b: u8| Term::Binary(vec![b; 100]);
        let mut roots = [heap.from_term(0, &long(1), &atoms), Word::NIL, Word::NIL];
        minor(&mut heap, &mut [&mut roots], &mut spare);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!((heap.gens.old_bins, heap.offheap.len()), (1, 1));
        assert_eq!(heap.gens.old_bin_bytes, 100);
        // A young binary dies at a minor collection; one kept by a young
        // object stays young; one an old object refers to is never dropped
        // by a minor collection.
        let dead = heap.from_term(0, &long(2), &atoms);
        let _ = dead;
        roots[1] = heap.from_term(0, &long(3), &atoms);
        roots[2] = heap.tuple(0, &[roots[0], roots[1]]);
        let collected = minor(&mut heap, &mut [&mut roots], &mut spare);
        assert!(collected > 0);
        assert_eq!((heap.gens.old_bins, heap.offheap.len()), (1, 2));
        let v = view(&heap);
        assert_eq!(v.bits(roots[1]).unwrap().0, &[3; 100][..]);
        // The tuple and the second binary are promoted next.
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!((heap.gens.old_bins, heap.offheap.len()), (2, 2));
        let v = view(&heap);
        let elems = v.tuple(roots[2]).unwrap();
        assert_eq!(v.bits(Word(elems[0])).unwrap().0, &[1; 100][..]);
        assert_eq!(v.bits(Word(elems[1])).unwrap().0, &[3; 100][..]);
        // Dropped from the roots, old binaries wait for a major collection.
        let mut none: [Word; 0] = [];
        minor(&mut heap, &mut [&mut none], &mut spare);
        assert_eq!(heap.offheap.len(), 2);
        major_into(&mut heap, &mut [&mut none], &mut spare);
        assert_eq!(heap.offheap.len(), 0);
        assert_eq!(heap.gens.old_bin_bytes, 0);
    }

    #[test]
    fn writable_buffers_follow_their_views_across_generations() {
        let mut heap = Area::default();
        let mut spare = Vec::new();
        let w = heap.writable(b"hello");
        let mut roots = [w, Word::NIL];
        minor(&mut heap, &mut [&mut roots], &mut spare);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(heap.gens.old_writable, 1);
        // A young view of the old buffer, grown in place.
        let idx = view(&heap).at(roots[0].ptr(), 1).0 as usize;
        heap.writable[idx].extend_from_slice(b" world");
        roots[1] = heap.writable_view(idx, 11);
        let other = heap.writable(b"dies");
        let _ = other;
        minor(&mut heap, &mut [&mut roots], &mut spare);
        assert_eq!(heap.writable.len(), 1, "the dead young buffer is dropped");
        let v = view(&heap);
        assert_eq!(v.bits(roots[0]).unwrap().0, b"hello");
        assert_eq!(v.bits(roots[1]).unwrap().0, b"hello world");
    }

    #[test]
    fn the_policy_runs_a_major_collection_when_due() {
        let atoms = Atoms::new();
        let mut heap = Area::default();
        let mut spare = Vec::new();
        let mut policy = Policy {
            fullsweep_after: 2,
            ..Policy::default()
        };
        let mut roots = [heap.from_term(0, &Term::string("kept"), &atoms)];
        let kinds: Vec<bool> = (0..6)
            .map(|_| {
                garbage(&mut heap, &atoms, 10);
                collect(&mut heap, &mut [&mut roots], &mut spare, &mut policy)
                    .expect("room")
                    .major
            })
            .collect();
        if !stress() {
            assert_eq!(kinds, [false, false, true, false, false, true]);
        }
        policy.major_wanted = true;
        let c = collect(&mut heap, &mut [&mut roots], &mut spare, &mut policy).expect("room");
        assert!(c.major && !policy.major_wanted);
        assert_eq!(c.live, heap.words.len());
        assert!(c.young_room >= MIN_YOUNG);
        assert_eq!(text(&heap, roots[0], &atoms), show(&Term::string("kept")));
    }

    #[test]
    fn a_long_list_in_both_generations_collects_without_recursion() {
        let mut heap = Area::default();
        let mut spare = Vec::new();
        let mut l = Word::NIL;
        for i in 0..100_000 {
            l = heap.cons(0, Word::small(i).unwrap(), l);
        }
        let mut roots = [l];
        minor(&mut heap, &mut [&mut roots], &mut spare);
        for i in 0..100_000 {
            roots[0] = heap.cons(0, Word::small(i).unwrap(), roots[0]);
        }
        minor(&mut heap, &mut [&mut roots], &mut spare);
        minor(&mut heap, &mut [&mut roots], &mut spare);
        let v = view(&heap);
        let (mut n, mut cur) = (0, roots[0]);
        while cur.is_list() {
            cur = v.cons(cur).1;
            n += 1;
        }
        assert_eq!(n, 200_000);
        assert_eq!(heap.gens.old_words, 400_000);
    }
}
