//! Stack frames (`deallocate`, `trim`; the run loop pushes them itself)
//! and the collection that a call may start.

use crate::vm::exec::Lock;
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{FILE, Proc, Regs};
use crate::vm::exec::run::Worker;
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::gc;
use crate::vm::term::word::Word;

impl<L: Lock> Worker<'_, L> {
    #[inline]
    pub(super) fn deallocate(&self, proc: &mut Proc) -> Result<Flow, Exception> {
        proc.pop_frame();
        Ok(Flow::Next)
    }

    /// `deallocate` then `return` (fused).
    #[inline]
    pub(super) fn dealloc_return(&self, proc: &mut Proc) -> Result<Flow, Exception> {
        proc.pop_frame();
        Ok(Flow::Return)
    }

    /// Drops the frame's first `n` slots.
    #[inline]
    pub(super) fn trim(&self, proc: &mut Proc, n: u32) -> Result<Flow, Exception> {
        proc.st.trim(n as usize);
        Ok(Flow::Next)
    }

    /// Collects the heap if it is due a collection, with the first `live`
    /// x registers as roots (with the stack, the dictionary, the mailbox
    /// and the rest of the process).
    #[inline]
    pub(super) fn gc_check(&self, proc: &mut Proc, xs: &mut Regs, live: usize) {
        if proc.needs_gc() {
            self.gc(proc, xs, live);
        }
    }

    pub(super) fn gc(&self, proc: &mut Proc, xs: &mut Regs, live: usize) {
        // The memory budget first: the copy may need as much room as the
        // heap holds, on top of what the process holds already.
        let copy = gc::copy_words(&proc.heap, &proc.gc).saturating_sub(proc.spare.capacity());
        let asked = proc.footprint() + copy * 8;
        if !proc.account.set(&self.memory, asked) {
            return self.out_of_memory(proc, asked);
        }
        // The dead registers would point into the heap this collection
        // replaces: emptied, so that no word that could be followed is
        // left behind (the verifier has code read none of them anyway).
        let term_regs = crate::lam::isa::FLOAT_REG_BASE as usize;
        if live < term_regs {
            xs[..term_regs][live..].fill(Word::NIL);
        }
        let xs = &mut xs[..live.min(FILE)];
        let mut dict: Vec<Word> = proc.dict.words();
        let mut mailbox: Vec<Word> = proc.rx.mailbox.iter().copied().collect();
        let mut building: Vec<Word> = proc.building.iter().map(|(w, _)| *w).collect();
        // Words held outside the heap while an exception or an exit signal is
        // on its way (they outlive a collection at the next check).
        let mut pending = proc.pending_words();
        // A native that yielded mid-call keeps its arguments and partial
        // result here, not in registers.
        let [trap_args, trap_words]: [&mut [Word]; 2] = match proc.trap.as_mut() {
            Some(t) => t.roots(),
            None => [&mut [], &mut []],
        };
        let done = gc::collect(
            &mut proc.heap,
            &mut [
                xs,
                &mut proc.st.stack,
                &mut dict,
                &mut mailbox,
                &mut building,
                trap_args,
                trap_words,
                &mut pending,
            ],
            &mut proc.spare,
            &mut proc.gc,
        );
        // Refused, the collection left everything as it was: the words
        // taken out above are unchanged.
        let Ok(done) = done else {
            return self.out_of_memory(proc, copy * 8);
        };
        if let (Some(b), Some(w)) = (proc.building.as_mut(), building.first()) {
            b.0 = *w;
        }
        proc.set_pending_words(&pending);
        // Only a large heap keeps its old space: an idle process stays small.
        if proc.spare.capacity() < 1 << 16 {
            proc.spare = Vec::new();
        }
        proc.rx.mailbox = mailbox.into();
        proc.dict.set_words(&dict);
        proc.gc_limit = if gc::stress() {
            0
        } else {
            done.live + done.young_room
        };
        // max_heap_size is checked where erl checks it, after a collection,
        // over both generations and the stack: killed at once (as
        // exit(self(), kill)); the runtime reports it when the slice ends.
        let total = done.live + proc.st.stack.len();
        if proc.max_heap.size > 0 && total as u64 > proc.max_heap.size {
            if proc.max_heap.error_logger {
                proc.max_heap_reached = Some(total);
            }
            if proc.max_heap.kill {
                proc.pending_exit = Some(Word::atom(crate::vm::term::atoms::atom::KILLED));
            }
        }
        if proc.min_heap > 0 {
            proc.set_min_heap(proc.min_heap as usize);
        }
        // A large heap's young room is reserved now, where a refusal can
        // be taken, rather than by the vector doubling as code allocates
        // (which aborts the VM when refused), with some slack for what the
        // instructions up to the next check allocate.
        let room = done.live + done.young_room + GC_SLACK;
        let heap = &mut proc.heap.words;
        if room >= gc::LARGE_HEAP
            && heap
                .try_reserve_exact(room.saturating_sub(heap.len()))
                .is_err()
        {
            return self.out_of_memory(proc, room * 8);
        }
        let holds = proc.footprint();
        if !proc.account.set(&self.memory, holds) {
            self.out_of_memory(proc, holds);
        }
    }

    /// Ends `proc`, which asked for `bytes` past the memory budget or the
    /// allocator's means: it exits with reason `out_of_memory` as if
    /// killed (no `catch` or `trap_exit` saves it), and the VM goes on.
    #[cold]
    fn out_of_memory(&self, proc: &mut Proc, bytes: usize) {
        proc.pending_exit = Some(Word::atom(atom::OUT_OF_MEMORY));
        // No collection before it exits, which would only ask again.
        proc.gc_limit = usize::MAX;
        match self.memory.limit() {
            Some(limit) if !self.memory.fits(0) => eprintln!(
                "lam: process <0.{}.0> exits with out_of_memory: holding {bytes} bytes would pass the budget of {limit} bytes",
                proc.pid,
            ),
            _ => eprintln!(
                "lam: process <0.{}.0> exits with out_of_memory: the allocator refused {bytes} bytes",
                proc.pid
            ),
        }
    }
}

/// Words of heap room reserved past a collection's limit, for what the
/// instructions up to the next check allocate (a check comes at every
/// call and frame allocation; natives that build terms of a size the
/// program chooses reserve room themselves, `Ctx::reserve_words`).
const GC_SLACK: usize = 1 << 14;
