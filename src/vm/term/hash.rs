//! The BEAM's term hashes, value for value (OTP 25 on a 64-bit machine):
//!
//! - [`phash`]: `erlang:phash/2`'s hash, portable, bytewise multiply-add;
//! - [`phash2`]: `erlang:phash2/1,2`'s hash, portable, Bob Jenkins' mix;
//! - [`internal_hash`]: the VM's own hash (maps' hash tries, ETS hash
//!   tables), which mixes immediates by their raw tagged word, so this VM's
//!   words are first turned into the BEAM's (see [`beam_immediate`]).
//!
//! All three walk the term with an explicit stack: a deep term cannot
//! overflow the native stack. The order in which subterms are visited is
//! part of each hash's value, so each follows the BEAM's visiting order.

use crate::vm::term::atoms::Atoms;
use crate::vm::term::heap::View;
use crate::vm::term::word::{Ptr, Word, kind, ref_ids};

/// The golden ratio, and its multiples by 2..=22 (mod 2^32): the constants
/// that tell kinds of data apart in the Jenkins-mixed hashes.
const HCONST: u32 = 0x9e37_79b9;
const fn hconst(n: u32) -> u32 {
    HCONST.wrapping_mul(n)
}

/// Salt every internal hash starts from (OTP 25.2 onwards), so that it
/// differs from phash2's.
const INTERNAL_SALT: u32 = 3_432_918_353;

/// Bob Jenkins' 96-bit mix, of which the hashes keep the third word.
#[inline]
fn mix(a: u32, b: u32, c: u32) -> u32 {
    mix3(a, b, c).2
}

/// Two 32-bit values folded into `h`, tagged by `k`.
#[inline]
fn mix2(h: u32, x: u32, y: u32, k: u32) -> u32 {
    mix(k.wrapping_add(x), k.wrapping_add(y), h)
}

/// Jenkins' one-at-a-time-per-12-bytes hash of a byte string.
pub fn block_hash(k: &[u8], initval: u32) -> u32 {
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let (mut a, mut b, mut c) = (HCONST, HCONST, initval);
    let mut chunks = k.chunks_exact(12);
    for ch in &mut chunks {
        a = a.wrapping_add(word(&ch[0..4]));
        b = b.wrapping_add(word(&ch[4..8]));
        c = c.wrapping_add(word(&ch[8..12]));
        (a, b, c) = mix3(a, b, c);
    }
    let rest = chunks.remainder();
    c = c.wrapping_add(k.len() as u32);
    let mut tail = [0u8; 12];
    tail[..rest.len()].copy_from_slice(rest);
    // The tail's bytes go where whole words would have; c's first byte
    // holds the length instead of byte 8.
    a = a.wrapping_add(word(&tail[0..4]));
    b = b.wrapping_add(word(&tail[4..8]));
    c = c.wrapping_add(word(&tail[8..12]) << 8);
    mix(a, b, c)
}

fn mix3(mut a: u32, mut b: u32, mut c: u32) -> (u32, u32, u32) {
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 13);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 8);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 13);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 12);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 16);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 5);
    a = a.wrapping_sub(b).wrapping_sub(c) ^ (c >> 3);
    b = b.wrapping_sub(c).wrapping_sub(a) ^ (a << 10);
    c = c.wrapping_sub(a).wrapping_sub(b) ^ (b >> 15);
    (a, b, c)
}

/// The BEAM's per-atom hash of an atom's text (hashpjw over its UTF-8
/// bytes, a two-byte sequence for a Latin-1 character counted as that
/// character, as R16 did).
pub fn atom_text_hash(name: &str) -> u32 {
    let p = name.as_bytes();
    let mut h: u32 = 0;
    let mut i = 0;
    while i < p.len() {
        let mut v = p[i];
        i += 1;
        if i < p.len() && (v & 0xfe) == 0xc2 && (p[i] & 0xc0) == 0x80 {
            v = (v << 6) | (p[i] & 0x3f);
            i += 1;
        }
        h = (h << 4).wrapping_add(v as u32);
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
            h ^= g;
        }
    }
    h
}

/// The bytes of a bitstring as the BEAM hashes them: its whole bytes, and
/// the number of bits (0..8) and value of a last partial byte.
fn bin_parts<'a>(v: &View<'a>, w: Word) -> Option<(&'a [u8], u32, u32)> {
    let (bytes, last) = v.bits(w)?;
    if last == 8 || bytes.is_empty() {
        return Some((bytes, 0, 0));
    }
    let n = bytes.len() - 1;
    let bits = last as u32;
    Some((&bytes[..n], bits, (bytes[n] >> (8 - bits)) as u32))
}

/// A bignum's magnitude as 64-bit digits, least significant first, and
/// whether it is negative; a small integer too when `w` is one.
fn big_digits<'a>(v: &View<'a>, w: Word) -> Option<(std::borrow::Cow<'a, [u64]>, bool)> {
    if let Some(i) = w.as_small() {
        return Some((vec![i.unsigned_abs()].into(), i < 0));
    }
    if !w.is_boxed() {
        return None;
    }
    let h = v.header(w);
    let neg = match h.header_kind() {
        kind::BIG_POS => false,
        kind::BIG_NEG => true,
        _ => return None,
    };
    let p = w.ptr();
    let words = &v.area(p).words[p.offset + 1..p.offset + 1 + h.header_arity()];
    Some((words.into(), neg))
}

/// A bitstring into `hash`, as `phash2` and the internal hash both take
/// it: its whole bytes as a block, then the bits of a partial last byte.
fn hash_bits(v: &View, term: Word, hash: u32) -> u32 {
    let (bytes, bits, last) = bin_parts(v, term).unwrap_or((&[], 0, 0));
    let con = hconst(13).wrapping_add(hash);
    if bytes.is_empty() && bits == 0 {
        return con;
    }
    let h = block_hash(bytes, con);
    if bits > 0 {
        mix2(h, bits, last, hconst(15))
    } else {
        h
    }
}

/// A bignum into `hash`, as `phash2` and the internal hash both take it:
/// its 64-bit digits from the least significant, the sign in the constant.
fn hash_big(v: &View, term: Word, mut hash: u32) -> u32 {
    let (digits, neg) = big_digits(v, term).unwrap_or_default();
    let con = if neg { hconst(10) } else { hconst(11) };
    for d in digits.iter() {
        hash = mix2(hash, *d as u32, (*d >> 32) as u32, con);
    }
    hash
}

/// The BEAM's tagged word for an immediate of this VM (64-bit layout:
/// small integers `i << 4 | 0xF`, atoms `index << 6 | 0xB`, `[]` `0x3B`,
/// local pids `data << 4 | 0x3`, local ports `data << 4 | 0x7`). Atoms keep this VM's table index, as
/// the BEAM's hash keeps its own: the hash is not portable between VMs.
fn beam_immediate(w: Word) -> u64 {
    if let Some(i) = w.as_small() {
        ((i as u64) << 4) | 0xf
    } else if let Some(a) = w.as_atom() {
        ((a as u64) << 6) | 0xb
    } else if let Some(p) = w.as_pid() {
        (p << 4) | 0x3
    } else if let Some(p) = w.as_port() {
        (p << 4) | 0x7
    } else if w == Word::NIL {
        0x3b
    } else {
        w.0
    }
}

/// Jobs on the explicit stack of [`internal_hash`].
enum Job {
    Term(Word),
    /// A cons cell's tail was hashed: mark it.
    Cdr,
    /// A hash map node's children still to push.
    Node(Word),
}

/// The BEAM's `make_internal_hash(Term, Salt)`: equal (`=:=`) terms hash
/// equal. Used for the hash trie of large maps (salt 0, then the level
/// divided by 8 past the first 32 bits) and for ETS hash tables.
pub fn internal_hash(v: &View, w: Word, salt: u32) -> u32 {
    let mut hash = salt ^ INTERNAL_SALT;
    if w.is_immediate() {
        let t = beam_immediate(w);
        return mix2(hash, t as u32, (t >> 32) as u32, HCONST);
    }
    let mut stack: Vec<Job> = Vec::new();
    let mut job = Job::Term(w);
    loop {
        match job {
            Job::Cdr => {
                hash ^= hconst(18);
                hash = hash.rotate_left(17);
            }
            Job::Node(n) => {
                let (_, children) = v.map_node(n);
                push_children(v, children, &mut stack);
            }
            Job::Term(mut term) => {
                if term.is_list() {
                    let mut c = 0u32;
                    let mut sh = 0u32;
                    loop {
                        let (hd, tl) = v.cons(term);
                        match hd.as_small() {
                            Some(b @ 0..=255) => {
                                sh = (sh << 8).wrapping_add(b as u32);
                                if c == 3 {
                                    hash = mix2(hash, sh, 0, hconst(4));
                                    c = 0;
                                    sh = 0;
                                } else {
                                    c += 1;
                                }
                                term = tl;
                                if !tl.is_list() {
                                    break;
                                }
                            }
                            _ => break,
                        }
                    }
                    if c > 0 {
                        hash = mix2(hash, sh, c, hconst(22));
                    }
                    if term.is_list() {
                        let (hd, tl) = v.cons(term);
                        hash ^= hconst(17);
                        hash = hash.rotate_left(17);
                        stack.push(Job::Term(tl));
                        if !tl.is_list() {
                            stack.push(Job::Cdr);
                        }
                        stack.push(Job::Term(hd));
                    } else {
                        // A string's tail: hashed like any term.
                        stack.push(Job::Term(term));
                    }
                } else if term.is_immediate() {
                    let t = beam_immediate(term);
                    hash = mix2(hash, t as u32, (t >> 32) as u32, HCONST);
                } else {
                    hash = internal_boxed(v, term, hash, &mut stack);
                }
            }
        }
        match stack.pop() {
            Some(j) => job = j,
            None => return hash,
        }
    }
}

/// A hash map node's children pushed so that the first is hashed last, as
/// the BEAM pushes them: a leaf as its key then value, a node whole.
fn push_children(v: &View, children: &[u64], stack: &mut Vec<Job>) {
    for c in children {
        let c = Word(*c);
        if c.is_list() {
            let (k, x) = v.cons(c);
            stack.push(Job::Term(x));
            stack.push(Job::Term(k));
        } else {
            stack.push(Job::Node(c));
        }
    }
}

fn internal_boxed(v: &View, term: Word, mut hash: u32, stack: &mut Vec<Job>) -> u32 {
    let hdr = v.header(term);
    let p = term.ptr();
    match hdr.header_kind() {
        kind::TUPLE => {
            let elems = v.tuple(term).unwrap_or(&[]);
            hash = mix2(hash, elems.len() as u32, 0, hconst(9));
            stack.extend(elems.iter().rev().map(|e| Job::Term(Word(*e))));
        }
        kind::MAP => {
            let (keys, values) = v.map_flat_parts(term);
            hash = mix2(hash, keys.len() as u32, 0, hconst(16));
            for (k, x) in keys.iter().zip(values).rev() {
                stack.push(Job::Term(Word(*x)));
                stack.push(Job::Term(Word(*k)));
            }
        }
        kind::HMAP => {
            let size = v.map_size(term).unwrap_or(0);
            hash = mix2(hash, size as u32, 0, hconst(16));
            if size > 0 {
                let (_, children) = v.map_node(v.at(p, 2));
                push_children(v, children, stack);
            }
        }
        kind::HNODE => {
            let (_, children) = v.map_node(term);
            push_children(v, children, stack);
        }
        kind::EXPORT => {
            // The BEAM mixes the export entry's address; this VM its
            // module, function and arity, as stable for equal funs.
            let (m, f, a) = (v.at(p, 1), v.at(p, 2), v.at(p, 3));
            hash = mix2(hash, (m.0 >> 4) as u32, (f.0 >> 4) as u32, hconst(14));
            hash = mix2(hash, a.as_small().unwrap_or(0) as u32, 0, hconst(14));
        }
        kind::FUN => {
            // [module id, lambda index, arity, captured...]: the BEAM mixes
            // the module atom, old index and old unique number.
            let n = hdr.header_arity();
            let free = n.saturating_sub(3);
            let (mid, idx) = (v.at(p, 1), v.at(p, 2));
            hash = mix2(
                hash,
                free as u32,
                mid.as_small().unwrap_or(0) as u32,
                hconst(20),
            );
            hash = mix2(hash, idx.as_small().unwrap_or(0) as u32, 0, hconst(21));
            stack.extend((4..=n).rev().map(|i| Job::Term(v.at(p, i))));
        }
        kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => hash = hash_bits(v, term, hash),
        kind::BIG_POS | kind::BIG_NEG => hash = hash_big(v, term, hash),
        kind::REF => {
            let ids = ref_ids(v.at(p, 1).0);
            hash = mix2(hash, ids[0], 0, hconst(7));
            hash = mix2(hash, ids[1], ids[2], hconst(8));
        }
        kind::FLOAT => {
            let f = f64::from_bits(v.at(p, 1).0);
            let bits = if f == 0.0 { 0 } else { f.to_bits() };
            hash = mix2(hash, bits as u32, (bits >> 32) as u32, hconst(12));
        }
        _ => {
            // Match contexts never reach a hash; anything else by its words.
            for i in 1..=hdr.header_arity() {
                hash = mix2(hash, v.at(p, i).0 as u32, 0, HCONST);
            }
        }
    }
    hash
}

/// What the portable hashes need of a local fun: its module's name, its
/// old index and old unique number (from the code that made it).
pub type FunIdentity<'f> = &'f dyn Fn(u32, u32) -> Option<(u32, u32, u32)>;

/// An export's module and function name hashes and its arity: what both
/// `phash` and `phash2` mix, each in its own way.
fn export_parts(v: &View, atoms: &Atoms, p: Ptr) -> (u32, u32, u32) {
    let name = |i| atom_text_hash(&atoms.name(v.at(p, i).as_atom().unwrap_or(0)));
    (name(1), name(2), v.at(p, 3).as_small().unwrap_or(0) as u32)
}

/// A fun's free-variable count, its module's name hash, and the index and
/// uniq the BEAM would see (from `funs`): what both hashes mix.
fn fun_parts(
    v: &View,
    atoms: &Atoms,
    funs: FunIdentity,
    p: Ptr,
    n: usize,
) -> (usize, u32, u32, u32) {
    let (mid, idx) = (
        v.at(p, 1).as_small().unwrap_or(0) as u32,
        v.at(p, 2).as_small().unwrap_or(0) as u32,
    );
    let (module, old_index, old_uniq) = funs(mid, idx).unwrap_or((0, idx, 0));
    (
        n.saturating_sub(3),
        atom_text_hash(&atoms.name(module)),
        old_index,
        old_uniq,
    )
}

/// Jobs on the explicit stack of [`phash2`].
#[derive(Debug)]
enum Job2 {
    Term(Word),
    /// A map's pairs are done: the saved hash and pair sum come back.
    MapTail(u32, u32),
    /// One key and value are done: their hash joins the pairs' xor.
    MapPair,
}

/// The BEAM's `make_hash2`, behind `erlang:phash2/1,2`.
pub fn phash2(v: &View, atoms: &Atoms, funs: FunIdentity, w: Word) -> u32 {
    let mut p = Phash2::new(w);
    let done = p.run(v, atoms, funs, usize::MAX, &mut 0);
    done.expect("no budget to run out")
}

/// [`phash2`] a budget of steps at a time, for a native that yields
/// between two slices: its stack of jobs, whose terms a collection must
/// move in between ([`Phash2::take_words`], [`Phash2::put_words`]).
#[derive(Debug)]
pub struct Phash2 {
    hash: u32,
    xor_pairs: u32,
    stack: Vec<Job2>,
}

impl Phash2 {
    /// The hash of `w`, not yet begun.
    pub fn new(w: Word) -> Phash2 {
        Phash2 {
            hash: 0,
            xor_pairs: 0,
            stack: vec![Job2::Term(w)],
        }
    }

    /// The terms still to hash, taken out (for the collector to move
    /// while the hash waits); [`Phash2::put_words`] puts them back.
    pub fn take_words(&mut self) -> Vec<Word> {
        let mut out = Vec::new();
        for j in &mut self.stack {
            if let Job2::Term(w) = j {
                out.push(std::mem::replace(w, Word::NIL));
            }
        }
        out
    }

    /// Puts back what [`Phash2::take_words`] took, in the same order.
    pub fn put_words(&mut self, words: &[Word]) {
        let mut it = words.iter();
        for j in &mut self.stack {
            if let Job2::Term(w) = j
                && let Some(x) = it.next()
            {
                *w = *x;
            }
        }
    }

    /// Hashes until done (the hash) or until `steps` (a term or a list
    /// cell each) reaches `budget` (`None`: call again to go on).
    pub fn run(
        &mut self,
        v: &View,
        atoms: &Atoms,
        funs: FunIdentity,
        budget: usize,
        steps: &mut usize,
    ) -> Option<u32> {
        let Phash2 {
            hash,
            xor_pairs,
            stack,
        } = self;
        loop {
            if *steps >= budget && !stack.is_empty() {
                return None;
            }
            let Some(job) = stack.pop() else {
                return Some(*hash);
            };
            *steps += 1;
            match job {
                Job2::MapTail(saved_hash, saved_xor) => {
                    *hash = mix2(saved_hash, *xor_pairs, 0, hconst(19));
                    *xor_pairs = saved_xor;
                }
                Job2::MapPair => {
                    *xor_pairs ^= *hash;
                    *hash = 0;
                }
                Job2::Term(mut term) => 'term: loop {
                    // Each pass hashes one term; lists and tuples go on with
                    // their first element, the rest waiting on the stack.
                    if term.is_list() {
                        let mut c = 0;
                        let mut sh = 0u32;
                        let mut cell = term;
                        loop {
                            let (hd, tl) = v.cons(cell);
                            let Some(b @ 0..=255) = hd.as_small() else {
                                break;
                            };
                            *steps += 1;
                            sh = (sh << 8).wrapping_add(b as u32);
                            if c == 3 {
                                *hash = mix2(*hash, sh, 0, hconst(4));
                                c = 0;
                                sh = 0;
                                // Between two groups of four bytes a list of
                                // bytes may stop: the rest of it, hashed as
                                // a term of its own later, goes on alike.
                                if *steps >= budget && tl.is_list() {
                                    stack.push(Job2::Term(tl));
                                    break 'term;
                                }
                            } else {
                                c += 1;
                            }
                            term = tl;
                            if !tl.is_list() {
                                break;
                            }
                            cell = tl;
                        }
                        if c > 0 {
                            *hash = mix2(*hash, sh, 0, hconst(4));
                        }
                        if term.is_list() {
                            let (hd, tl) = v.cons(term);
                            stack.push(Job2::Term(tl));
                            term = hd;
                        }
                        continue;
                    }
                    if let Some(i) = term.as_small() {
                        if (-(1 << 27)..1 << 27).contains(&i) {
                            let y = i as i32;
                            if y < 0 {
                                *hash = mix2(*hash, y.wrapping_neg() as u32, 0, HCONST);
                            }
                            *hash = mix2(*hash, y as u32, 0, HCONST);
                        } else {
                            let d = i.unsigned_abs();
                            let con = if i < 0 { hconst(10) } else { hconst(11) };
                            *hash = mix2(*hash, d as u32, (d >> 32) as u32, con);
                        }
                    } else if let Some(a) = term.as_atom() {
                        let h = atom_text_hash(&atoms.name(a));
                        *hash = if *hash == 0 {
                            h
                        } else {
                            mix2(*hash, h, 0, hconst(3))
                        };
                    } else if term == Word::NIL {
                        *hash = if *hash == 0 {
                            3_468_870_702
                        } else {
                            // NIL_DEF, the BEAM's tag number for [].
                            mix2(*hash, 2, 0, hconst(2))
                        };
                    } else if let Some(p) = term.as_pid() {
                        *hash = mix2(*hash, (p & 0x7fff) as u32, 0, hconst(5));
                    } else if let Some(p) = term.as_port() {
                        *hash = mix2(*hash, p as u32, (p >> 32) as u32, hconst(6));
                    } else if term.is_boxed() {
                        let hdr = v.header(term);
                        let p = term.ptr();
                        match hdr.header_kind() {
                            kind::TUPLE => {
                                let elems = v.tuple(term).unwrap_or(&[]);
                                *hash = mix2(*hash, elems.len() as u32, 0, hconst(9));
                                if let Some((first, rest)) = elems.split_first() {
                                    stack.extend(rest.iter().rev().map(|e| Job2::Term(Word(*e))));
                                    term = Word(*first);
                                    continue;
                                }
                            }
                            kind::MAP | kind::HMAP => {
                                let pairs = v.map_pairs(term).unwrap_or_default();
                                *hash = mix2(*hash, pairs.len() as u32, 0, hconst(16));
                                if !pairs.is_empty() {
                                    stack.push(Job2::MapTail(*hash, *xor_pairs));
                                    *hash = 0;
                                    *xor_pairs = 0;
                                    for (k, x) in pairs.into_iter().rev() {
                                        stack.push(Job2::MapPair);
                                        stack.push(Job2::Term(x));
                                        stack.push(Job2::Term(k));
                                    }
                                }
                            }
                            kind::EXPORT => {
                                let (m, f, a) = export_parts(v, atoms, p);
                                *hash = mix2(*hash, a, m, HCONST);
                                *hash = mix2(*hash, f, 0, hconst(14));
                            }
                            kind::FUN => {
                                let n = hdr.header_arity();
                                let (free, m, old_index, old_uniq) =
                                    fun_parts(v, atoms, funs, p, n);
                                *hash = mix2(*hash, free as u32, m, HCONST);
                                *hash = mix2(*hash, old_index, old_uniq, HCONST);
                                if free > 0 {
                                    stack.extend((5..=n).rev().map(|i| Job2::Term(v.at(p, i))));
                                    term = v.at(p, 4);
                                    continue;
                                }
                            }
                            kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => {
                                *hash = hash_bits(v, term, *hash);
                            }
                            kind::BIG_POS | kind::BIG_NEG => *hash = hash_big(v, term, *hash),
                            kind::REF => {
                                *hash = mix2(*hash, ref_ids(v.at(p, 1).0)[0], 0, hconst(7));
                            }
                            kind::FLOAT => {
                                let f = f64::from_bits(v.at(p, 1).0);
                                let bits = if f == 0.0 { 0 } else { f.to_bits() };
                                *hash = mix2(*hash, (bits >> 32) as u32, bits as u32, hconst(12));
                            }
                            _ => {}
                        }
                    }
                    break;
                },
            }
        }
    }
}

/// Primes just above 2^28 that the BEAM's `make_hash` multiplies by.
const FUNNY: [u32; 15] = [
    0,
    268_440_163,
    268_439_161,
    268_435_459,
    268_436_141,
    268_438_633,
    268_437_017,
    268_438_039,
    268_437_511,
    268_439_627,
    268_440_479,
    268_440_577,
    268_440_581,
    268_440_593,
    268_440_611,
];

/// Jobs on the explicit stack of [`phash`].
enum Job1 {
    Term(Word),
    /// A list's tail, hashed then marked.
    CdrPre(Word),
    /// A list's tail was hashed.
    CdrPost,
    /// A tuple's elements are done.
    TupleEnd(u32),
}

/// The BEAM's `make_hash`, behind `erlang:phash/2`.
pub fn phash(v: &View, atoms: &Atoms, funs: FunIdentity, w: Word) -> u32 {
    let f = |i: usize| FUNNY[i];
    let mut hash: u32 = 0;
    let mut stack: Vec<Job1> = Vec::new();
    let step = |hash: u32, x: u32, p: u32| -> u32 {
        let mut h = hash;
        for s in [0, 8, 16, 24] {
            h = h.wrapping_mul(p).wrapping_add((x >> s) & 0xff);
        }
        h
    };
    let mut job = Job1::Term(w);
    loop {
        match job {
            Job1::CdrPost => hash = hash.wrapping_mul(f(8)),
            Job1::TupleEnd(arity) => hash = hash.wrapping_mul(f(9)).wrapping_add(arity),
            Job1::CdrPre(t) if !t.is_list() => {
                stack.push(Job1::CdrPost);
                stack.push(Job1::Term(t));
            }
            Job1::CdrPre(t) | Job1::Term(t) if t.is_list() => {
                let mut cell = t;
                loop {
                    let (hd, tl) = v.cons(cell);
                    match hd.as_small() {
                        Some(b @ 0..=255) => {
                            hash = hash.wrapping_mul(f(2)).wrapping_add(b as u32);
                            if !tl.is_list() {
                                stack.push(Job1::CdrPost);
                                stack.push(Job1::Term(tl));
                                break;
                            }
                            cell = tl;
                        }
                        _ => {
                            stack.push(Job1::CdrPre(tl));
                            stack.push(Job1::Term(hd));
                            break;
                        }
                    }
                }
            }
            Job1::CdrPre(t) | Job1::Term(t) => {
                if let Some(i) = t.as_small() {
                    let y = i.unsigned_abs();
                    hash = step(hash, y as u32, f(2));
                    if y >> 32 != 0 {
                        hash = step(hash, (y >> 32) as u32, f(2));
                    }
                    hash = hash.wrapping_mul(if i < 0 { f(4) } else { f(3) });
                } else if let Some(a) = t.as_atom() {
                    hash = hash
                        .wrapping_mul(f(1))
                        .wrapping_add(atom_text_hash(&atoms.name(a)));
                } else if t == Word::NIL {
                    hash = hash.wrapping_mul(f(3)).wrapping_add(1);
                } else if let Some(p) = t.as_pid() {
                    hash = step(hash, (p & 0x7fff) as u32, f(5)).wrapping_mul(f(6));
                } else if let Some(p) = t.as_port() {
                    hash = step(hash, p as u32, f(9)).wrapping_mul(f(10));
                } else if t.is_boxed() {
                    let hdr = v.header(t);
                    let p = t.ptr();
                    match hdr.header_kind() {
                        kind::TUPLE => {
                            let elems = v.tuple(t).unwrap_or(&[]);
                            stack.push(Job1::TupleEnd(elems.len() as u32));
                            stack.extend(elems.iter().rev().map(|e| Job1::Term(Word(*e))));
                        }
                        kind::MAP | kind::HMAP => {
                            let h2 = phash2(v, atoms, funs, t);
                            hash = hash
                                .wrapping_mul(f(13))
                                .wrapping_add(f(14))
                                .wrapping_add(h2);
                        }
                        kind::EXPORT => {
                            let (m, fun, a) = export_parts(v, atoms, p);
                            hash = hash.wrapping_mul(f(11)).wrapping_add(a);
                            hash = hash.wrapping_mul(f(1)).wrapping_add(m);
                            hash = hash.wrapping_mul(f(1)).wrapping_add(fun);
                        }
                        kind::FUN => {
                            let n = hdr.header_arity();
                            let (free, m, old_index, old_uniq) = fun_parts(v, atoms, funs, p, n);
                            hash = hash.wrapping_mul(f(10)).wrapping_add(free as u32);
                            hash = hash.wrapping_mul(f(1)).wrapping_add(m);
                            hash = hash.wrapping_mul(f(2)).wrapping_add(old_index);
                            hash = hash.wrapping_mul(f(2)).wrapping_add(old_uniq);
                            stack.extend((4..=n).rev().map(|i| Job1::Term(v.at(p, i))));
                        }
                        kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => {
                            let (bytes, bits, last) = bin_parts(v, t).unwrap_or((&[], 0, 0));
                            for b in bytes {
                                hash = hash.wrapping_mul(f(1)).wrapping_add(*b as u32);
                            }
                            if bits > 0 {
                                hash = hash
                                    .wrapping_mul(f(1))
                                    .wrapping_add(last)
                                    .wrapping_mul(f(12))
                                    .wrapping_add(bits);
                            }
                            hash = hash.wrapping_mul(f(4)).wrapping_add(bytes.len() as u32);
                        }
                        kind::BIG_POS | kind::BIG_NEG => {
                            let (digits, neg) = big_digits(v, t).unwrap_or_default();
                            let k = digits.len();
                            for (i, d) in digits.iter().enumerate() {
                                // The top digit counts 4 bytes when its high half is 0.
                                let bytes = if i + 1 == k && d >> 32 == 0 { 4 } else { 8 };
                                let mut d = *d;
                                for _ in 0..bytes {
                                    hash = hash.wrapping_mul(f(2)).wrapping_add((d & 0xff) as u32);
                                    d >>= 8;
                                }
                            }
                            hash = hash.wrapping_mul(if neg { f(4) } else { f(3) });
                        }
                        kind::REF => {
                            hash = step(hash, ref_ids(v.at(p, 1).0)[0], f(9)).wrapping_mul(f(10));
                        }
                        kind::FLOAT => {
                            let x = f64::from_bits(v.at(p, 1).0);
                            let bits = if x == 0.0 { 0 } else { x.to_bits() };
                            hash = hash
                                .wrapping_mul(f(6))
                                .wrapping_add((bits as u32) ^ ((bits >> 32) as u32));
                        }
                        _ => {}
                    }
                }
            }
        }
        match stack.pop() {
            Some(j) => job = j,
            None => return hash,
        }
    }
}
