//! `prim_buffer`'s NIFs: the mutable byte queue behind `prim_file`'s
//! read-ahead (and `read_line`). A buffer is a resource (`resource`) of the
//! process that made it, a queue of the binaries written to it; reads take
//! from the front. As in erl, any process holding the reference may use it
//! (`prim_file` keeps it in the owner's `file_descriptor`), and `try_lock`
//! / `unlock` are a flag its users agree on.

use std::collections::VecDeque;

use crate::vm::native::{Ctx, Native, NativeResult, badarg, error};
use crate::vm::natives::bits::{binary_bytes, binary_word};
use crate::vm::natives::resource;
use crate::vm::term::list::list_items;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `prim_buffer` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("prim_buffer", "new", 0, new_0).nif(),
    Native::heap("prim_buffer", "size", 1, size_1).nif(),
    Native::heap("prim_buffer", "peek_head", 1, peek_head_1).nif(),
    Native::heap("prim_buffer", "copying_read", 2, copying_read_2).nif(),
    Native::heap("prim_buffer", "write", 2, write_2).nif(),
    Native::heap("prim_buffer", "skip", 2, skip_2).nif(),
    Native::heap("prim_buffer", "find_byte_index", 2, find_byte_index_2).nif(),
    Native::heap("prim_buffer", "try_lock", 1, try_lock_1).nif(),
    Native::heap("prim_buffer", "unlock", 1, unlock_1).nif(),
];

/// The queue: whole binaries as written, the first one read from `head`.
#[derive(Default)]
struct Buffer {
    chunks: VecDeque<Vec<u8>>,
    head: usize,
    size: usize,
    locked: bool,
}

impl Buffer {
    /// Drops `n` bytes from the front (`n` at most the size).
    fn skip(&mut self, mut n: usize) {
        self.size -= n;
        while n > 0 {
            let first = self.chunks.front().map_or(0, |c| c.len() - self.head);
            if n < first {
                self.head += n;
                return;
            }
            n -= first;
            self.chunks.pop_front();
            self.head = 0;
        }
        if self.chunks.front().is_some_and(|c| c.len() == self.head) {
            self.chunks.pop_front();
            self.head = 0;
        }
    }

    /// A copy of the first `n` bytes (`n` at most the size).
    fn peek(&self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n);
        let mut skip = self.head;
        for c in &self.chunks {
            if out.len() == n {
                break;
            }
            let part = &c[skip..];
            skip = 0;
            let take = part.len().min(n - out.len());
            out.extend_from_slice(&part[..take]);
        }
        out
    }
}

fn with_buffer(
    c: &mut Ctx,
    w: Word,
    f: impl FnOnce(&mut Ctx, &mut Buffer) -> NativeResult,
) -> NativeResult {
    let Some((_, slot)) = resource::get(c, w) else {
        return badarg();
    };
    let mut guard = resource::lock(&slot);
    match guard.downcast_mut::<Buffer>() {
        Some(b) => f(c, b),
        None => badarg(),
    }
}

fn ok(c: &Ctx) -> NativeResult {
    Value(Word::atom(c.atoms.intern("ok")))
}

/// A size argument no larger than the buffer holds.
fn size_arg(w: Word, b: &Buffer) -> Option<usize> {
    w.as_small()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n <= b.size)
}

fn new_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(resource::make(c, Box::<Buffer>::default()))
}

fn size_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_buffer(c, a[0], |c, b| {
        Value(crate::vm::natives::helpers::int_word(c, b.size as i128))
    })
}

/// The first binary of the queue, what is left of it; badarg when empty.
fn peek_head_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_buffer(c, a[0], |c, b| match b.chunks.front() {
        Some(first) => Value(binary_word(c, &first[b.head..])),
        None => badarg(),
    })
}

fn copying_read_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let n = a[1];
    with_buffer(c, a[0], |c, b| {
        let Some(n) = size_arg(n, b) else {
            return badarg();
        };
        let bytes = b.peek(n);
        b.skip(n);
        Value(binary_word(c, &bytes))
    })
}

/// Appends an I/O vector (a list of binaries).
fn write_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let data = a[1];
    with_buffer(c, a[0], |c, b| {
        let Some(items) = list_items(&c.view(), data) else {
            return badarg();
        };
        let mut chunks = Vec::with_capacity(items.len());
        for i in items {
            match binary_bytes(c, i) {
                Some(bytes) => chunks.push(bytes),
                None => return badarg(),
            }
        }
        for ch in chunks.into_iter().filter(|ch| !ch.is_empty()) {
            b.size += ch.len();
            b.chunks.push_back(ch);
        }
        ok(c)
    })
}

fn skip_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let n = a[1];
    with_buffer(c, a[0], |c, b| {
        let Some(n) = size_arg(n, b) else {
            return badarg();
        };
        b.skip(n);
        ok(c)
    })
}

/// `{ok, Index}` of the first byte equal to `Byte`, or `not_found`.
fn find_byte_index_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let needle = a[1];
    with_buffer(c, a[0], |c, b| {
        let Some(byte) = needle.as_small().and_then(|n| u8::try_from(n).ok()) else {
            return badarg();
        };
        let mut skip = b.head;
        let mut at = 0usize;
        for ch in &b.chunks {
            let part = &ch[skip..];
            skip = 0;
            if let Some(i) = part.iter().position(|x| *x == byte) {
                let okw = Word::atom(c.atoms.intern("ok"));
                let idx = crate::vm::natives::helpers::int_word(c, (at + i) as i128);
                return Value(c.heap.tuple(0, &[okw, idx]));
            }
            at += part.len();
        }
        Value(Word::atom(c.atoms.intern("not_found")))
    })
}

fn try_lock_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_buffer(c, a[0], |c, b| {
        let answer = if b.locked { "busy" } else { "acquired" };
        b.locked = true;
        Value(Word::atom(c.atoms.intern(answer)))
    })
}

/// Unlocking a buffer that is not locked raises `lock_order_violation`.
fn unlock_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_buffer(c, a[0], |c, b| {
        if !b.locked {
            return error(Word::atom(c.atoms.intern("lock_order_violation")));
        }
        b.locked = false;
        ok(c)
    })
}
