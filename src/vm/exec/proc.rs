//! A process's own state: registers, the stack and its frames, the call
//! stack, exception handlers, the heap, the mailbox, and what the runtime
//! keeps per process (links, monitors, timers).

use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::gc;
use crate::vm::term::heap::Area;
use crate::vm::term::word::Word;

pub(crate) struct Frame {
    /// Where its slots start in the stack.
    pub(crate) start: usize,
    /// Where its `y[0]` is (past the slots `trim` dropped).
    pub(crate) base: usize,
    /// The frame below's `base` (kept here so that popping a frame does
    /// not look at the one below).
    pub(crate) prev_base: usize,
}

pub(crate) struct Ret {
    pub(crate) module: u32,
    pub(crate) pc: u32,
}

pub(crate) struct Handler {
    pub(crate) module: u32,
    pub(crate) label: u32,
    pub(crate) calls: usize,
    pub(crate) frames: usize,
    pub(crate) stack: usize,
}

/// Set in a link or monitor target that is a port (its number below):
/// ports and processes share the lists of [`Links`].
pub(crate) const PORT_LINK: u64 = 1 << 40;

/// The pid or port a link target names.
pub(crate) fn link_word(id: u64) -> Word {
    if id & PORT_LINK != 0 {
        Word::port(id & !PORT_LINK)
    } else {
        Word::pid(id)
    }
}

/// A process's links and monitors: what its end and exit signals touch.
#[derive(Default)]
pub struct Links {
    /// Linked processes and ports (see [`PORT_LINK`]).
    pub links: Vec<u64>,
    /// Processes monitoring this one: (reference, monitoring pid).
    pub monitored_by: Vec<(Word, u64)>,
    /// For monitors set up by registered name: (reference number,
    /// `{Name, Node}`), the item their `'DOWN'` message names instead of
    /// the pid (kept as a name and an atom: nothing to collect).
    pub monitored_as: Vec<(u64, u32)>,
    /// Monitors this process holds: (reference number, monitored pid or
    /// port, see [`PORT_LINK`]).
    pub monitoring: Vec<(u64, u64)>,
    /// Whether exit signals arrive as messages.
    pub trap_exit: bool,
}

/// How many registers a register file has: the `x` registers, then the
/// float registers from `FLOAT_REG_BASE` (the loader keeps every register
/// number below `X_REGS`).
pub(crate) const FILE: usize = crate::lam::isa::X_REGS as usize;
const _: () = assert!(FILE.is_power_of_two());
const _: () = assert!((crate::lam::isa::FLOAT_REG_BASE as usize) < FILE);

/// A register file: a fixed number of registers, indexed modulo their
/// number, so an index is always in bounds and reading one needs no check
/// (and no unsafe). A scheduler owns one and lends it to the process it
/// runs (see `Worker::run_slice`).
pub(crate) struct Regs([Word; FILE]);

impl Regs {
    /// A register file of `NIL`s, on the heap (16 KB).
    pub(crate) fn boxed() -> Box<Regs> {
        Box::new(Regs([Word::NIL; FILE]))
    }
}

impl std::ops::Index<usize> for Regs {
    type Output = Word;
    #[inline(always)]
    fn index(&self, i: usize) -> &Word {
        &self.0[i & (FILE - 1)]
    }
}

impl std::ops::IndexMut<usize> for Regs {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut Word {
        &mut self.0[i & (FILE - 1)]
    }
}

impl std::ops::Index<std::ops::RangeTo<usize>> for Regs {
    type Output = [Word];
    fn index(&self, r: std::ops::RangeTo<usize>) -> &[Word] {
        &self.0[r]
    }
}

impl std::ops::IndexMut<std::ops::RangeTo<usize>> for Regs {
    fn index_mut(&mut self, r: std::ops::RangeTo<usize>) -> &mut [Word] {
        &mut self.0[r]
    }
}

/// Messages and the receive in progress.
pub struct Mailbox {
    /// Messages, oldest first (each in this process's heap).
    pub mailbox: std::collections::VecDeque<Word>,
    /// The save pointer of the receive in progress.
    pub save: usize,
    /// While waiting: where a new message resumes.
    pub wake_pc: u32,
    /// Whether it waits in `receive` (off the run queues until a message
    /// or its timeout).
    pub waiting: bool,
    /// When the receive it waits in times out.
    pub deadline: Option<std::time::Instant>,
    /// Counts receives: a timeout set in an earlier one is stale.
    pub wait_epoch: u64,
}

/// The stack: frames of y slots, return addresses and exception handlers.
pub struct Stack {
    /// The `y` slots of every frame, and the markers `try` leaves in them.
    pub(crate) stack: Vec<Word>,
    /// Where each frame's slots start.
    pub(crate) frames: Vec<Frame>,
    /// Return addresses, newest last.
    pub(crate) calls: Vec<Ret>,
    /// Exception handlers (`try`, `catch`), newest last.
    pub(crate) handlers: Vec<Handler>,
    /// Where the current frame's `y[0]` is in `stack` (cached from `frames`).
    pub(crate) y_base: usize,
}

/// What the exception being raised reports in its stack trace.
pub struct Raising {
    /// The function whose failure is being raised: module, function,
    /// argument list, and whether it is a BIF (with `error_info`) rather
    /// than an undefined function.
    pub bif_frame: Option<(u32, u32, Word, bool)>,
    /// For function_clause: the arguments, shown in the top frame instead of the arity.
    pub clause_args: Option<Word>,
    /// For `erlang:error/3`: its `{error_info, Map}` option, added to the
    /// top frame's location.
    pub error_info: Option<Word>,
    /// A tail call to an undefined function already left the current function.
    pub drop_current: bool,
}

/// A process's state.
pub struct Proc {
    /// This process's pid number.
    pub pid: u64,
    /// The group leader's pid.
    pub group_leader: u64,
    /// `{M, F, A}` it was started with, for `process_info`.
    pub(crate) initial_call: (u32, u32, u32),
    /// Where the process continues: module and instruction.
    pub(crate) mid: u32,
    pub(crate) pc: u32,
    /// Reductions made in this slice (calls, and what natives charge for
    /// their work): it yields at `BUDGET`.
    pub(crate) reductions: u32,
    /// The saved state of a native call that yielded mid-work, until the
    /// call is made again (its words are GC roots).
    pub(crate) trap: Option<crate::vm::native::Trap>,
    /// Reductions (calls) over the process's life, for `process_info`.
    pub(crate) total_reductions: u64,
    /// The process whose slice must end before this one's retried
    /// instruction can act on it (see `NativeResult::Retry`).
    pub(crate) blocked_on: Option<u64>,
    /// The `x` registers that are live while the process is not running:
    /// the arguments it starts or resumes with. While it runs, its
    /// registers are its scheduler's register file ([`Regs`]), lent to it
    /// for the slice, so an idle process costs a few words, not 16 KB.
    pub(crate) x: Vec<Word>,
    /// How many `x` registers are live when the process yields.
    pub(crate) live_x: usize,
    /// The stack: frames of y slots, return addresses and exception handlers.
    pub st: Stack,
    /// The heap.
    pub heap: Area,
    /// The space the last collection copied out of, reused by the next.
    pub(crate) spare: Vec<u64>,
    /// Heap size that triggers the next collection (0: collect at the next
    /// check, as `garbage_collect/0,1` asks).
    pub(crate) gc_limit: usize,
    /// When the next collection is major (`fullsweep_after` among it).
    pub(crate) gc: gc::Policy,
    /// The least room the heap keeps, in words (`min_heap_size`, at most 2^24).
    pub(crate) min_heap: u32,
    /// `max_heap_size`: the most words heap and stack may hold after a
    /// collection (0: no limit), whether the process is then killed, and
    /// whether the emulator reports it.
    pub(crate) max_heap: MaxHeap,
    /// The words heap and stack held after a collection that found them
    /// past `max_heap`, for the runtime to report when the slice ends.
    pub(crate) max_heap_reached: Option<usize>,
    /// The bytes it holds, counted in the VM's memory budget at each
    /// collection (given back when the process is dropped).
    pub(crate) account: crate::vm::term::memory::Account,
    /// The process dictionary.
    pub dict: crate::vm::term::pdict::Dict,
    /// The binary that old-style construction (`bs_init` and `bs_put_*`)
    /// is filling in, and the bit position reached.
    pub building: Option<(Word, usize)>,
    /// Messages and the receive in progress.
    pub rx: Mailbox,
    /// Links and monitors, both ways.
    pub sig: Links,
    /// What the exception being raised reports in its stack trace.
    pub raising: Raising,
    /// An exit signal that arrived while the process was running.
    pub(crate) pending_exit: Option<Word>,
    /// Whether it is part of OTP's system (`init` and what it spawns,
    /// transitively): such a process never waits for the system to boot,
    /// which it is doing (`runtime/boot.rs`).
    pub(crate) system: bool,
    /// An exception the process dies of before its first instruction (a
    /// spawned function that is undefined or takes arguments).
    pub(crate) pending_failure: Option<Exception>,
    /// Its scheduling priority (`process_flag(priority, P)`).
    pub(crate) priority: Priority,
}

/// A process's priority, as erl schedules them: a runnable `max` process
/// runs before any `high` one, a `high` one before any `normal` or `low`
/// one; `normal` and `low` share a queue, where a `low` process is passed
/// over a few times before it runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Priority {
    /// `max`: first of all.
    Max,
    /// `high`: before `normal` and `low`.
    High,
    /// `normal`, the default.
    #[default]
    Normal,
    /// `low`: less often than `normal`.
    Low,
}

impl Priority {
    /// Its name, as `process_info` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Priority::Max => "max",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    /// The priority of this name.
    pub fn named(name: &str) -> Option<Priority> {
        [
            Priority::Max,
            Priority::High,
            Priority::Normal,
            Priority::Low,
        ]
        .into_iter()
        .find(|p| p.name() == name)
    }
}

impl Proc {
    /// The end an exit signal that arrived for this process brings, if one did.
    pub(crate) fn exit_signal(&mut self) -> Option<Outcome> {
        let reason = self.pending_exit.take()?;
        Some(Outcome::Failed(Exception {
            class: atom::EXIT,
            reason,
            trace: Word::NIL,
        }))
    }

    /// Whether the heap is due a collection: it has outgrown its limit, or
    /// its off-heap binaries have (a loop making large binaries has a small
    /// heap).
    #[inline(always)]
    pub(crate) fn needs_gc(&self) -> bool {
        self.heap.len() > self.gc_limit || self.heap.offheap_bytes > self.gc_limit * 8
    }

    /// The young generation's size as `process_info` gives it
    /// (`heap_size`): the room it has, as the BEAM gives the size of the
    /// heap block it allocated.
    pub(crate) fn heap_words(&self) -> usize {
        self.heap.words.capacity() - self.heap.gens.old_words
    }

    /// Both generations' size (`total_heap_size`).
    pub(crate) fn total_heap_words(&self) -> usize {
        self.heap.words.capacity()
    }

    /// Asks for a major collection at the next check (at a call or
    /// allocation).
    pub(crate) fn request_gc(&mut self) {
        self.request_gc_of(true);
    }

    /// Asks for a collection at the next check, major or minor (as
    /// `garbage_collect/2`'s `{type, minor}` does).
    pub(crate) fn request_gc_of(&mut self, major: bool) {
        self.gc_limit = 0;
        self.gc.major_wanted |= major;
    }

    /// The words the process holds off the heap and the stack while an
    /// exception or an exit signal is on its way: roots of a collection,
    /// given back by [`Self::set_pending_words`].
    pub(crate) fn pending_words(&self) -> Vec<Word> {
        let r = &self.raising;
        let mut out = Vec::new();
        if let Some((_, _, args, _)) = r.bif_frame {
            out.push(args);
        }
        out.extend(r.clause_args);
        out.extend(r.error_info);
        out.extend(self.pending_exit);
        if let Some(e) = &self.pending_failure {
            out.extend([e.reason, e.trace]);
        }
        out
    }

    /// Puts back what [`Self::pending_words`] gave, moved by a collection.
    pub(crate) fn set_pending_words(&mut self, words: &[Word]) {
        let mut it = words.iter().copied();
        let mut next = || it.next().expect("as many words as were taken");
        if let Some((_, _, args, _)) = &mut self.raising.bif_frame {
            *args = next();
        }
        if let Some(w) = &mut self.raising.clause_args {
            *w = next();
        }
        if let Some(w) = &mut self.raising.error_info {
            *w = next();
        }
        if let Some(w) = &mut self.pending_exit {
            *w = next();
        }
        if let Some(e) = &mut self.pending_failure {
            e.reason = next();
            e.trace = next();
        }
    }

    /// Gives the heap room for at least `words` (`min_heap_size`), now and
    /// after every collection. Past 2^24 words (128 MB) the room is not
    /// reserved up front: a program cannot make the VM allocate at will.
    pub(crate) fn set_min_heap(&mut self, words: usize) {
        let words = words.min(1 << 24);
        self.min_heap = words as u32;
        let room = words.saturating_sub(self.heap.words.len());
        self.heap.words.reserve(room);
    }

    /// Drops the current stack frame (`deallocate`).
    #[inline(always)]
    pub(crate) fn pop_frame(&mut self) {
        let f = self.st.frames.pop().expect("a frame");
        self.st.stack.truncate(f.start);
        self.st.y_base = f.prev_base;
    }

    /// Ends the receive it waits in by its timeout.
    pub(crate) fn time_out(&mut self) {
        self.rx.deadline = None;
        self.rx.save = 0;
        self.rx.wait_epoch += 1;
        // The timeout path is the instruction after wait.
        self.pc += 1;
    }

    /// The bytes the process holds for the memory budget: its heap's and
    /// stack's room, its binary buffers, and its share of the large
    /// binaries it refers to (a binary's size over its references, so a
    /// binary sent to many processes counts once in all).
    pub(crate) fn footprint(&self) -> usize {
        let h = &self.heap;
        let words = h.words.capacity() + self.spare.capacity() + self.st.stack.capacity();
        let writable: usize = h.writable.iter().map(|b| b.capacity()).sum();
        let shared: usize = h
            .offheap
            .iter()
            .map(|b| b.len() / std::sync::Arc::strong_count(b).max(1))
            .sum();
        words * 8 + writable + shared
    }

    /// Room reserved for frames, for memory accounting.
    pub(crate) fn frames_capacity(&self) -> usize {
        self.st.frames.capacity()
    }
}

/// How one time slice of a process ended.
pub(crate) enum Outcome {
    /// Its budget ran out; it can run again at once.
    Yield,
    /// It waits for a message (or its timeout).
    Wait,
    /// It returned from its first function.
    Done(Word),
    /// An exception reached the top.
    Failed(Exception),
}

/// Reductions (calls, and natives' work) a process may make before it yields.
pub(crate) use crate::vm::native::BUDGET;

impl Default for Proc {
    fn default() -> Self {
        Proc {
            raising: Raising {
                bif_frame: None,
                clause_args: None,
                error_info: None,
                drop_current: false,
            },
            st: Stack {
                stack: Vec::new(),
                frames: Vec::new(),
                calls: Vec::new(),
                handlers: Vec::new(),
                y_base: 0,
            },
            rx: Mailbox {
                mailbox: std::collections::VecDeque::new(),
                save: 0,
                wake_pc: 0,
                waiting: false,
                deadline: None,
                wait_epoch: 0,
            },
            x: Vec::new(),
            live_x: 0,
            heap: Area::default(),
            spare: Vec::new(),
            dict: Default::default(),
            building: None,
            gc_limit: if gc::stress() { 0 } else { gc::MIN_YOUNG },
            gc: gc::Policy::default(),
            min_heap: 0,
            max_heap: MaxHeap::default(),
            max_heap_reached: None,
            account: Default::default(),
            pid: 0,
            mid: 0,
            pc: 0,
            total_reductions: 0,
            initial_call: (0, 0, 0),
            sig: Links::default(),
            group_leader: 0,
            reductions: 0,
            trap: None,
            blocked_on: None,
            pending_exit: None,
            system: false,
            pending_failure: None,
            priority: Priority::Normal,
        }
    }
}

/// A process's `max_heap_size` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxHeap {
    /// Words (0: no limit).
    pub size: u64,
    /// Whether reaching it kills the process.
    pub kill: bool,
    /// Whether reaching it is reported (to the logger).
    pub error_logger: bool,
}

impl Default for MaxHeap {
    fn default() -> MaxHeap {
        MaxHeap {
            size: 0,
            kill: true,
            error_logger: true,
        }
    }
}

/// The marker a `try` leaves in its frame slot (a special immediate).
pub(crate) fn handler_marker(depth: usize) -> Word {
    Word((((depth as u64) + 2) << 4) | 0xf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_exits_and_exception_words_are_collected_as_roots() {
        let mut p = Proc::default();
        let t = |p: &mut Proc, n: i64| p.heap.tuple(0, &[Word::small(n).unwrap()]);
        // Garbage first, so the collection moves every one of them.
        t(&mut p, 0);
        let (a, b, c) = (t(&mut p, 1), t(&mut p, 2), t(&mut p, 3));
        p.raising.clause_args = Some(a);
        p.raising.error_info = Some(b);
        p.pending_exit = Some(c);
        let mut words = p.pending_words();
        assert_eq!(words, [a, b, c]);
        let mut spare = Vec::new();
        let mut roots = [Word::NIL];
        gc::major_into(&mut p.heap, &mut [&mut roots, &mut words], &mut spare);
        p.set_pending_words(&words);
        assert_ne!(p.pending_exit, Some(c), "the collection moved it");
        let v = crate::vm::term::heap::View {
            heap: &p.heap,
            literals: &[],
        };
        let elem = |w: Option<Word>| Word(v.tuple(w.unwrap()).unwrap()[0]).as_small();
        assert_eq!(elem(p.raising.clause_args), Some(1));
        assert_eq!(elem(p.raising.error_info), Some(2));
        assert_eq!(elem(p.pending_exit), Some(3));
    }
}
