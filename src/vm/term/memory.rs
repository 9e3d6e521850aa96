//! The VM-wide memory budget (`docs/vm.md`, "Memory budget"): what the
//! processes hold, counted at their collections, against an optional
//! limit, so that one process that allocates without bound dies alone
//! instead of taking the VM down.

use std::collections::TryReserveError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View, holds_terms, object_words};
use crate::vm::term::word::{Word, kind};

/// The bytes counted against the budget, and the budget.
#[derive(Debug, Default)]
pub struct Memory {
    /// The most bytes all accounts together may hold (0: no limit).
    limit: AtomicUsize,
    /// The bytes the accounts hold.
    used: AtomicUsize,
}

impl Memory {
    /// A budget of `limit` bytes, or none.
    pub fn new(limit: Option<usize>) -> Memory {
        let m = Memory::default();
        m.set_limit(limit);
        m
    }

    /// Sets the budget (`None`: no limit).
    pub fn set_limit(&self, limit: Option<usize>) {
        self.limit.store(
            limit.unwrap_or(0).max(usize::from(limit.is_some())),
            Ordering::Relaxed,
        );
    }

    /// The budget, if there is one.
    pub fn limit(&self) -> Option<usize> {
        Some(self.limit.load(Ordering::Relaxed)).filter(|&l| l > 0)
    }

    /// The bytes the accounts hold.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Whether `extra` more bytes than the accounts hold fit in the budget:
    /// the check before a one-off allocation (a native's result), which is
    /// counted at the process's next collection.
    pub fn fits(&self, extra: usize) -> bool {
        self.limit()
            .is_none_or(|l| self.used().saturating_add(extra) <= l)
    }

    /// The bytes still free under the budget (all of them without one).
    pub fn left(&self) -> usize {
        self.limit()
            .map_or(usize::MAX, |l| l.saturating_sub(self.used()))
    }

    /// Whether a copy of `w` (read through `v`; `whole`: literals too, as
    /// a store that outlives the code keeps it) fits in the budget and
    /// `dst` has room for it, which it then has: the check before a copy
    /// the program sized (a message, a persistent term), so that the
    /// copy's growth never aborts the VM. The bytes `dst` grew by, or
    /// what it would have asked for when refused. Without `dst` (a copy
    /// into an area not made yet), only the budget is asked.
    pub fn room_for_copy(
        &self,
        v: &View,
        w: Word,
        whole: bool,
        dst: Option<&mut Area>,
    ) -> Result<usize, usize> {
        if w.is_immediate() {
            return Ok(0);
        }
        let left = self.left();
        let bytes = copy_bytes(v, w, whole, left).ok_or(left.saturating_add(1))?;
        match dst {
            Some(dst) => self.grow(&mut dst.words, bytes / 8),
            None if self.fits(bytes) => Ok(0),
            None => Err(bytes),
        }
    }

    /// A copy of `w` (read through `v`, literals shared) on `dst`, given
    /// room first ([`Memory::room_for_copy`]): the copy and the bytes
    /// `dst` grew by, or the bytes refused, `dst` unchanged.
    pub fn copy_within(&self, v: &View, w: Word, dst: &mut Area) -> Result<(Word, usize), usize> {
        let grew = self.room_for_copy(v, w, false, Some(dst))?;
        Ok((v.copy_into(w, dst), grew))
    }

    /// The words a copy of `w` (read through `v`, literals shared) takes,
    /// or the bytes refused when it is larger than the budget left: the
    /// size of a copy that something is built around (an exit signal's
    /// tuple), given room with [`Memory::grow`] together. An immediate or
    /// a small tuple of them is sized without a walk.
    pub fn copy_words(&self, v: &View, w: Word) -> Result<usize, usize> {
        if w.is_immediate() {
            return Ok(0);
        }
        let left = self.left();
        copy_bytes(v, w, false, left)
            .map(|b| b / 8)
            .ok_or(left.saturating_add(1))
    }

    /// A copy of `w` (read through `v`) on `dst`, or the atom
    /// `out_of_memory` in its place when the budget or the allocator has
    /// no room for it: for a term the VM sends on a process's behalf to
    /// a process that serves every other (a crash report to the logger
    /// or the group leader), which must not die of one process's term.
    pub fn copy_or_out_of_memory(&self, v: &View, w: Word, dst: &mut Area) -> Word {
        match self
            .copy_words(v, w)
            .and_then(|n| self.grow(&mut dst.words, n.saturating_add(8)))
        {
            Ok(_) => v.copy_into(w, dst),
            Err(_) => Word::atom(atom::OUT_OF_MEMORY),
        }
    }

    /// Room in `v` for `extra` more elements, grown as the vector grows
    /// itself (doubling) when the budget holds that growth and the
    /// allocator gives it: the bytes it grew by, or those refused.
    pub fn grow<T>(&self, v: &mut Vec<T>, extra: usize) -> Result<usize, usize> {
        let before = v.capacity();
        let need = v.len().saturating_add(extra);
        if need <= before {
            return Ok(0);
        }
        let asked = need.max(before.saturating_mul(2)) - before;
        let bytes = asked.saturating_mul(std::mem::size_of::<T>());
        if !self.fits(bytes) || v.try_reserve(extra).is_err() {
            return Err(bytes);
        }
        Ok((v.capacity() - before) * std::mem::size_of::<T>())
    }
}

/// The `exit:out_of_memory` exception of process `pid`, refused `bytes`
/// by `memory` (or by the allocator) for `what`, with the line on standard
/// error that says so: what a process that asked for too much dies of,
/// unless a `catch` takes it.
#[cold]
pub fn refused(memory: &Memory, pid: u64, what: &str, bytes: usize) -> Exception {
    eprintln!(
        "lam: process <0.{pid}.0> exits with out_of_memory: {what} asked for {bytes} bytes{}",
        match memory.limit() {
            Some(l) => format!(" (budget {l} bytes, {} in use)", memory.used()),
            None => String::new(),
        }
    );
    Exception {
        class: atom::EXIT,
        reason: Word::atom(atom::OUT_OF_MEMORY),
        trace: Word::NONE,
    }
}

/// The bytes a copy of `w` (read through `v`) takes in another area, laid
/// out as `View::copy_into` lays it (or with `whole` `copy_whole`, literals
/// copied too): its words, and the bytes of the binaries it makes anew (a
/// process's writable binary becomes an ordinary one); shared subterms
/// count each time, as the copy repeats them. `None` once past `cap`, so
/// that a term sharing much (a list of a thousand references to one big
/// tuple) is not walked further than it could be copied.
pub fn copy_bytes(v: &View, w: Word, whole: bool, cap: usize) -> Option<usize> {
    let stays = |w: Word| w.is_immediate() || (!whole && w.ptr().area != 0);
    if stays(w) {
        return Some(0);
    }
    // The usual message, one tuple of immediates and literals (`{token,
    // N, Pid}`), is sized without setting up the walk, which cost a ring of
    // processes 5% of its instructions.
    if !w.is_list() {
        let h = v.header(w);
        let size = object_words(h);
        if holds_terms(h.header_kind()) && size <= 16 {
            let p = w.ptr();
            if (1..=size).all(|i| stays(v.at(p, i))) {
                let bytes = (1 + size) * 8;
                return (bytes <= cap).then_some(bytes);
            }
        }
    }
    // A stack, not recursion: the term may be deep. Its first entries are
    // in place, so the usual message or object (a few tuples and cells)
    // is sized with no allocation.
    let mut near = [Word::NIL; 32];
    let (mut n, mut far) = (0, Vec::new());
    let push = |w: Word, near: &mut [Word; 32], n: &mut usize, far: &mut Vec<Word>| {
        if stays(w) {
            return;
        }
        if *n < near.len() {
            near[*n] = w;
            *n += 1;
        } else {
            far.push(w);
        }
    };
    push(w, &mut near, &mut n, &mut far);
    let mut bytes = 0usize;
    loop {
        let w = match far.pop() {
            Some(w) => w,
            None if n > 0 => {
                n -= 1;
                near[n]
            }
            None => break,
        };
        if w.is_list() {
            let (h, t) = v.cons(w);
            bytes += 16;
            push(t, &mut near, &mut n, &mut far);
            push(h, &mut near, &mut n, &mut far);
        } else {
            let h = v.header(w);
            let size = object_words(h);
            bytes += (1 + size) * 8;
            if holds_terms(h.header_kind()) {
                let p = w.ptr();
                for i in 1..=size {
                    push(v.at(p, i), &mut near, &mut n, &mut far);
                }
            } else if h.header_kind() == kind::WRITABLE_BIN {
                bytes += v.bits(w).map_or(0, |(b, _)| b.len()) + 32;
            }
        }
        if bytes > cap {
            return None;
        }
    }
    Some(bytes)
}

/// What one process holds, counted in its [`Memory`]: given back when the
/// account is dropped with the process.
#[derive(Debug, Default)]
pub struct Account {
    memory: Option<Arc<Memory>>,
    bytes: usize,
}

impl Account {
    /// An account of what `area` holds (its words' room and the large
    /// binaries it references), counted in `memory`: for a copy kept apart
    /// from every heap until it is delivered (a timer's message, or one
    /// waiting for its receiver's slice to end).
    pub fn of_area(memory: &Arc<Memory>, area: &Area) -> Account {
        let mut held = Account::default();
        held.set(memory, area.words.capacity() * 8 + area.offheap_bytes);
        held
    }

    /// Counts `bytes` (instead of what was counted before) in `memory`;
    /// whether the budget still holds.
    pub fn set(&mut self, memory: &Arc<Memory>, bytes: usize) -> bool {
        if !self.memory.as_ref().is_some_and(|m| Arc::ptr_eq(m, memory)) {
            self.release();
            self.memory = Some(memory.clone());
        }
        let used = if bytes >= self.bytes {
            memory
                .used
                .fetch_add(bytes - self.bytes, Ordering::Relaxed)
                .saturating_add(bytes - self.bytes)
        } else {
            memory
                .used
                .fetch_sub(self.bytes - bytes, Ordering::Relaxed)
                .saturating_sub(self.bytes - bytes)
        };
        self.bytes = bytes;
        memory.limit().is_none_or(|l| used <= l)
    }

    /// Counts `bytes` more in `memory` (a heap grew by them for a copy
    /// put into it from outside: a message, a signal, spawn's arguments).
    pub fn add(&mut self, memory: &Arc<Memory>, bytes: usize) {
        if bytes > 0 {
            self.set(memory, self.bytes.saturating_add(bytes));
        }
    }

    /// The bytes counted.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn release(&mut self) {
        if let Some(m) = self.memory.take() {
            m.used.fetch_sub(self.bytes, Ordering::Relaxed);
        }
        self.bytes = 0;
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        self.release();
    }
}

/// Room for `extra` more elements in `v`, exactly, or the allocator's
/// refusal (where `Vec::reserve` would abort the VM).
pub fn try_room<T>(v: &mut Vec<T>, extra: usize) -> Result<(), TryReserveError> {
    v.try_reserve_exact(extra)
}

/// Parses a size in bytes with an optional suffix (`K`, `M`, `G`, `T`,
/// powers of 1024; `512M`, `4G`), for `--max-memory`.
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (digits, shift) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 10),
        (i, 'm' | 'M') => (&s[..i], 20),
        (i, 'g' | 'G') => (&s[..i], 30),
        (i, 't' | 'T') => (&s[..i], 40),
        _ => (s, 0),
    };
    digits.parse::<usize>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("4g"), Some(4 << 30));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("99999999999T"), None);
    }

    #[test]
    fn accounts_count_until_dropped_and_report_the_budget_passed() {
        let m = Arc::new(Memory::new(Some(1000)));
        let mut a = Account::default();
        assert!(a.set(&m, 600));
        let mut b = Account::default();
        assert!(!b.set(&m, 600));
        assert_eq!(m.used(), 1200);
        assert!(b.set(&m, 100));
        assert!(!m.fits(400));
        assert!(m.fits(300));
        drop(a);
        assert_eq!(m.used(), 100);
        drop(b);
        assert_eq!(m.used(), 0);
    }
}
