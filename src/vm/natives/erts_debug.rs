//! The `erts_debug` functions programs use to measure terms.

use crate::vm::native::{Ctx, Native, NativeResult};
use crate::vm::natives::helpers::int_word;
use crate::vm::term::heap::View;
use crate::vm::term::word::{Word, kind};

/// The `erts_debug` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("erts_debug", "flat_size", 1, flat_size_1),
    Native::heap("erts_debug", "size_shared", 1, size_shared_1),
];

/// The largest binary the BEAM keeps on the process heap; larger ones are
/// reference-counted, and a process holds a fixed-size handle.
const ONHEAP_BIN_LIMIT: usize = 64;

/// Words of a binary on the BEAM's heap: header, size, then the bytes.
fn heap_bin_words(bytes: usize) -> u64 {
    2 + bytes.div_ceil(8) as u64
}

/// Words of a handle to a reference-counted binary (the BEAM's ProcBin).
const PROC_BIN_WORDS: u64 = 6;

/// Words of a sub-binary, which every bitstring that is not whole bytes is.
const SUB_BIN_WORDS: u64 = 5;

/// Words of a fun before its captured values, local or external alike.
const FUN_WORDS: u64 = 5;

/// Words of a local reference.
const REF_WORDS: u64 = 3;

/// `erts_debug:flat_size/1`: the words the term takes on a 64-bit BEAM's
/// heap when copied without sharing (into a message, say), which is how
/// programs size terms. LAM lays terms out differently, so this counts the
/// BEAM's layout, not LAM's. Shared subterms count each time they occur.
/// A map of more than 32 keys is the one approximation: its trie is shaped
/// by LAM's hash, not the BEAM's, so its node count can differ.
fn flat_size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let size = size(&c.view(), a[0], false);
    NativeResult::Value(int_word(c, size as i128))
}

/// `erts_debug:size_shared/1`: the same count with each shared subterm
/// counted once, and, as the BEAM counts it, nothing outside the process
/// heap (literals are free: `size_shared(true)` and a constant list are 0).
/// How much a term shares is LAM's own, which matches the BEAM's where both
/// build the same term the same way.
fn size_shared_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let size = size(&c.view(), a[0], true);
    NativeResult::Value(int_word(c, size as i128))
}

/// Words of `term` on a BEAM heap; `shared`: each heap object once, and
/// none outside the heap.
fn size(v: &View, term: Word, shared: bool) -> u64 {
    // A stack, not recursion: a deep term must not overflow the native stack.
    let mut todo = vec![term];
    let mut seen = std::collections::HashSet::new();
    let mut sum = 0u64;
    while let Some(w) = todo.pop() {
        if shared && (w.is_list() || w.is_boxed()) {
            let p = w.ptr();
            if p.area != 0 || !seen.insert(p.offset) {
                continue;
            }
        }
        if w.is_list() {
            let (h, t) = v.cons(w);
            sum += 2;
            todo.push(h);
            todo.push(t);
            continue;
        }
        if !w.is_boxed() {
            continue;
        }
        let h = v.header(w);
        let p = w.ptr();
        let n = h.header_arity();
        let fields = |from: usize| (from..=n).map(move |i| v.at(p, i));
        match h.header_kind() {
            // The empty tuple is a constant on the BEAM, like an atom.
            kind::TUPLE if n == 0 => {}
            kind::TUPLE => {
                sum += 1 + n as u64;
                todo.extend(fields(1));
            }
            kind::FLOAT => sum += 2,
            kind::BIG_POS | kind::BIG_NEG => sum += 1 + n as u64,
            kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => {
                let Some((bytes, last)) = v.bits(w) else {
                    continue;
                };
                let whole = last == 8 || bytes.is_empty();
                let data = if bytes.len() <= ONHEAP_BIN_LIMIT {
                    heap_bin_words(bytes.len())
                } else {
                    PROC_BIN_WORDS
                };
                sum += data + if whole { 0 } else { SUB_BIN_WORDS };
            }
            kind::MAP => {
                // Header, size, keys tuple, values; then the keys tuple
                // (none for no keys: the empty tuple).
                let (keys, values) = v.map_flat_parts(w);
                let k = keys.len() as u64;
                sum += 3 + k + if k == 0 { 0 } else { 1 + k };
                todo.extend(keys.iter().chain(values).map(|x| Word(*x)));
            }
            kind::HMAP => {
                // The head node's size word; its children are the root's.
                sum += 1;
                todo.push(v.at(p, 2));
            }
            kind::HNODE => {
                let (_, children) = v.map_node(w);
                sum += 1 + children.len() as u64;
                todo.extend(children.iter().map(|x| Word(*x)));
            }
            kind::FUN => {
                // Module, lambda index and arity, then what it captured.
                sum += FUN_WORDS + n.saturating_sub(3) as u64;
                todo.extend(fields(4));
            }
            kind::EXPORT => sum += FUN_WORDS,
            kind::REF => sum += REF_WORDS,
            _ => {}
        }
    }
    sum
}
