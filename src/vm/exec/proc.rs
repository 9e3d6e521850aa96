//! A process's own state: registers, the stack and its frames, the call
//! stack, exception handlers, the heap, the mailbox, and what the runtime
//! keeps per process (links, monitors, timers).

use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::gc;
use crate::vm::term::heap::Area;
use crate::vm::term::word::Word;

/// An exception handler (`try`, `catch`): where it lands, and the stack
/// as it was when it was set up, which an exception cuts back to.
pub(crate) struct Handler {
    pub(crate) module: u32,
    pub(crate) label: u32,
    /// The stack's length (less what a `trim` in its frame dropped since).
    pub(crate) stack: usize,
    /// Its frame's `y[0]`.
    pub(crate) y_base: usize,
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
    /// Processes monitoring this one: (reference number, monitoring
    /// pid). The number, not a copy of the reference on this heap: the
    /// `'DOWN'` message makes the reference again, so a monitor costs
    /// the monitored process no heap and its collections no root.
    pub monitored_by: Vec<(u64, u64)>,
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

/// How many registers a register file has: room for every register number
/// an operand can hold (a `u16`), of which the loader uses those below
/// `X_REGS` (the `x` registers, then the float registers from
/// `FLOAT_REG_BASE`). An index taken from a `u16` operand is then in bounds
/// as it is, so reading a register costs no masking and no check: the run
/// loop reads a few registers per instruction (512 KB per scheduler, where
/// a file of `X_REGS` was 16 KB).
pub(crate) const FILE: usize = 1 << 16;
const _: () = assert!(FILE.is_power_of_two());
const _: () = assert!(crate::lam::isa::X_REGS as usize <= FILE);
const _: () = assert!((crate::lam::isa::FLOAT_REG_BASE as usize) < FILE);

/// A register file: a fixed number of registers, indexed modulo their
/// number, so an index is always in bounds and reading one needs no check
/// (and no unsafe). A scheduler owns one and lends it to the process it
/// runs (see `Worker::run_slice`).
pub(crate) struct Regs([Word; FILE]);

impl Regs {
    /// A register file of `NIL`s, on the heap. Never inlined: `Box::new`
    /// builds the 512 KB array on the stack first, and a caller it was
    /// inlined into (`Worker::run_slice`, hence `Sched::slice`) probed
    /// those 128 pages of stack on every slice, taken or not: 5x the time
    /// of a message ring, where slices are a few instructions long.
    #[cold]
    #[inline(never)]
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

/// The stack: one vector of words holding the frames' y slots, the links
/// between frames and the return addresses, so that a call, a frame's
/// allocation and their undoing are a few moves of its end (layout in
/// `docs/vm.md`, "The stack"). Exception handlers are kept apart.
pub struct Stack {
    /// Return addresses ([`ret_word`]), frames (a link word,
    /// [`frame_link`], then the y slots) and the markers `try` leaves in y
    /// slots, oldest first. Every word here is a term or a special
    /// immediate, so a collection takes them all as roots.
    pub(crate) stack: Vec<Word>,
    /// Exception handlers (`try`, `catch`), newest last.
    pub(crate) handlers: Vec<Handler>,
    /// Where the current frame's `y[0]` is in `stack`, just past its link
    /// word (0 with no frame).
    pub(crate) y_base: usize,
}

// Return addresses and frame links are special immediates (low four
// bits `1111`, as `[]`), told apart by the next four bits: 0 is `[]`, 1
// no value, 2 a `try` marker ([`handler_marker`]), 3 a return address, 4
// a frame link. A collection leaves immediates alone, so none of them is
// ever taken for a pointer; none sets bit 63 (a port).
/// (Bit 63 is in the mask: a port's number fills the bits above its low
/// four, so a port can have any next four.)
const SPECIAL_KIND: u64 = (1 << 63) | 0xff;
const RET_KIND: u64 = 0x3f;
const LINK_KIND: u64 = 0x4f;
const MARKER_KIND: u64 = 0x2f;
/// A return address keeps its instruction in bits 31..63 and its module
/// in 8..31 (module ids stay below 2^17: a term pointer has no more bits
/// for the literal area of one).
const RET_PC_SHIFT: u32 = 31;
const RET_MODULE_MASK: u64 = (1 << 23) - 1;
/// A link word keeps the frame below's `y[0]` in bits 8..64.
const LINK_SHIFT: u32 = 8;

/// The word a call pushes: where its callee returns to.
#[inline(always)]
pub(crate) fn ret_word(module: u32, pc: u32) -> Word {
    Word(((pc as u64) << RET_PC_SHIFT) | ((module as u64 & RET_MODULE_MASK) << 8) | RET_KIND)
}

/// The module and instruction of a return address word.
#[inline(always)]
pub(crate) fn as_ret(w: Word) -> Option<(u32, u32)> {
    (w.0 & SPECIAL_KIND == RET_KIND).then(|| decode_ret(w))
}

#[inline(always)]
fn decode_ret(w: Word) -> (u32, u32) {
    (
        ((w.0 >> 8) & RET_MODULE_MASK) as u32,
        (w.0 >> RET_PC_SHIFT) as u32,
    )
}

/// The word a frame starts with: the frame below's `y[0]`, restored
/// when this one goes.
#[inline(always)]
fn frame_link(y_base: usize) -> Word {
    Word(((y_base as u64) << LINK_SHIFT) | LINK_KIND)
}

impl Stack {
    /// Pushes a call's return address: `pc` of `module`.
    #[inline(always)]
    pub(crate) fn push_ret(&mut self, module: u32, pc: u32) {
        self.stack.push(ret_word(module, pc));
    }

    /// Pops the newest return address; `None` when the stack is empty
    /// (the process's first function returned). The verifier keeps
    /// frames balanced, so at a return the top word is a return address.
    #[inline(always)]
    pub(crate) fn pop_ret(&mut self) -> Option<(u32, u32)> {
        let w = self.stack.pop()?;
        debug_assert!(as_ret(w).is_some(), "a return address on top");
        Some(decode_ret(w))
    }

    /// A frame of `n` slots (`allocate`), each `[]`.
    #[inline(always)]
    pub(crate) fn push_frame(&mut self, n: usize) {
        let link = frame_link(self.y_base);
        let nil = Word::NIL;
        // Most frames are small: the copy of an array of constant length
        // is one room check and a few stores, where `resize` was a call
        // (out of line) with a loop, after the link's own push.
        match n {
            0 => self.stack.push(link),
            1 => self.stack.extend_from_slice(&[link, nil]),
            2 => self.stack.extend_from_slice(&[link, nil, nil]),
            3 => self.stack.extend_from_slice(&[link, nil, nil, nil]),
            4 => self.stack.extend_from_slice(&[link, nil, nil, nil, nil]),
            5 => self
                .stack
                .extend_from_slice(&[link, nil, nil, nil, nil, nil]),
            6 => self
                .stack
                .extend_from_slice(&[link, nil, nil, nil, nil, nil, nil]),
            // (`resize` is out of line, a call and 64 instructions for
            // smith's 7- to 10-slot frames; this is inlined.)
            _ => {
                self.stack.reserve(n + 1);
                self.stack.push(link);
                self.stack.extend(std::iter::repeat_n(nil, n));
            }
        }
        self.y_base = self.stack.len() - n;
    }

    /// Drops the current frame (`deallocate`): it is the top of the stack
    /// (a frame's code runs with what it called returned).
    #[inline(always)]
    pub(crate) fn pop_frame(&mut self) {
        let at = self.y_base - 1;
        let link = self.stack[at].0;
        debug_assert_eq!(link & SPECIAL_KIND, LINK_KIND, "a frame's link");
        self.stack.truncate(at);
        self.y_base = (link >> LINK_SHIFT) as usize;
    }

    /// Drops the current frame's first `n` slots (`trim`): the rest move
    /// down over them (a frame has at most `Y_REGS` slots), and the
    /// handlers set up in the frame forget them too.
    #[inline(always)]
    pub(crate) fn trim(&mut self, n: usize) {
        let (base, len) = (self.y_base, self.stack.len());
        let n = n.min(len - base);
        self.stack.copy_within(base + n..len, base);
        self.stack.truncate(len - n);
        for h in self.handlers.iter_mut().rev() {
            if h.y_base != base {
                break;
            }
            h.stack -= n;
        }
    }

    /// The return addresses (module, instruction), oldest first.
    pub(crate) fn returns(&self) -> impl DoubleEndedIterator<Item = (u32, u32)> + '_ {
        self.stack.iter().filter_map(|w| as_ret(*w))
    }

    /// Empties the stack (and its handlers).
    pub(crate) fn clear(&mut self) {
        self.stack.clear();
        self.handlers.clear();
        self.y_base = 0;
    }
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
    /// for the slice, so an idle process costs a few words, not a file.
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
        self.st.pop_frame();
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
    Word(((depth as u64) << 8) | MARKER_KIND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_return_addresses_share_one_stack() {
        let mut st = Proc::default().st;
        st.push_ret(7, 1_000_000);
        st.push_frame(3);
        let base = st.y_base;
        assert_eq!(base, 2, "past the return address and the link");
        st.stack[base + 2] = Word::small(42).unwrap();
        st.push_ret(1, 2);
        st.push_frame(0);
        st.pop_frame();
        assert_eq!(st.returns().collect::<Vec<_>>(), [(7, 1_000_000), (1, 2)]);
        assert_eq!(st.pop_ret(), Some((1, 2)));
        assert_eq!(st.y_base, base, "the frame below is current again");
        // A trim moves the slots that stay down over the dropped ones, and
        // a handler set up in the frame forgets them too.
        st.handlers.push(Handler {
            module: 0,
            label: 0,
            stack: st.stack.len(),
            y_base: base,
        });
        st.trim(2);
        assert_eq!(st.y_base, base);
        assert_eq!(st.stack[base], Word::small(42).unwrap());
        assert_eq!(st.handlers[0].stack, st.stack.len());
        st.pop_frame();
        assert_eq!(st.pop_ret(), Some((7, 1_000_000)));
        assert_eq!((st.pop_ret(), st.y_base), (None, 0));
    }

    #[test]
    fn frames_of_every_size_hold_their_slots_and_pop_back() {
        // `push_frame` has a path per small size and one for the rest.
        let mut st = Proc::default().st;
        st.push_ret(0, 1);
        let mut bases = vec![];
        for n in 0..10 {
            let (len, below) = (st.stack.len(), st.y_base);
            st.push_frame(n);
            assert_eq!(st.y_base, len + 1, "y[0] just past the link");
            assert_eq!(st.stack.len(), len + 1 + n, "{n} slots");
            assert!(st.stack[st.y_base..].iter().all(|w| *w == Word::NIL));
            // A word in each slot, to see it go with its frame.
            for (i, slot) in st.stack[st.y_base..].iter_mut().enumerate() {
                *slot = Word::small(i as i64).unwrap();
            }
            bases.push((len, below));
        }
        for n in (0..10).rev() {
            st.pop_frame();
            assert_eq!((st.stack.len(), st.y_base), bases[n]);
        }
        assert_eq!(st.pop_ret(), Some((0, 1)));
        assert!(st.stack.is_empty());
    }

    #[test]
    fn stack_words_are_immediates_no_term_is_taken_for() {
        let words = [
            ret_word(5, u32::MAX),
            frame_link(1 << 40),
            handler_marker(3),
        ];
        for w in words {
            assert!(w.is_immediate());
            assert_eq!(w.as_port(), None);
            assert_ne!(w, Word::NIL);
            assert_ne!(w, Word::NONE);
        }
        assert_eq!(as_ret(words[0]), Some((5, u32::MAX)));
        assert_eq!(as_ret(words[1]), None);
        assert_eq!(as_ret(words[2]), None);
        assert_eq!(as_ret(Word::NIL), None);
        // A port whose number ends in 3 has a return address's low byte.
        let port = Word::port(3);
        assert_eq!(port.0 & 0xff, ret_word(0, 0).0 & 0xff);
        assert_eq!(as_ret(port), None);
    }

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
