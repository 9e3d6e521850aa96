//! The interpreter: a VM holding loaded modules, and the run loop that
//! executes one process's code (sequential Erlang for now: receive, send and
//! spawn come with the scheduler).

use std::collections::HashMap;
use std::sync::Arc;

use crate::term::Term;
use crate::vm::code::loader::{self, Callee, Dst, Ins, Loaded, NOFAIL, Src, Target};
use crate::vm::code::path::{self, CodePath};
use crate::vm::native::{Ctx, NativeFn, NativeResult};
use crate::vm::natives::registry;
use crate::vm::ops::arith::{ArithOp, arith, float_op};
use crate::vm::ops::test::{TestOp, test};
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::compare;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View, collect_into};
use crate::vm::term::idmap::IdMap;
use crate::vm::term::list::list_of;
use crate::vm::term::word::{Word, kind};

/// The VM: atoms, loaded modules and their literal areas, the code path.
pub struct Vm {
    /// The atom table (shared with the scheduler threads: it locks inside).
    pub atoms: Arc<Atoms>,
    /// Loaded modules, by id.
    pub modules: Vec<Arc<Loaded>>,
    pub(crate) by_name: HashMap<u32, u32>,
    /// Literal areas: area `i + 1` is `literals[i]`, module `i`'s literals.
    pub literals: Vec<Arc<Area>>,
    pub(crate) code_path: CodePath,
    pub(crate) failed: HashMap<u32, String>,
    /// Processes not running right now.
    pub(crate) procs: IdMap<u64, Box<Proc>>,
    /// Processes running right now, each on some scheduler, with the
    /// signals that reached them meanwhile: applied, in order, when their
    /// slice ends (see [`Deferred`]).
    pub(crate) running: IdMap<u64, Vec<Deferred>>,
    /// One run queue per scheduler: a process made runnable goes to the
    /// queue of the scheduler that holds the lock (`current`).
    pub(crate) run_queues: Vec<std::collections::VecDeque<u64>>,
    /// The scheduler holding the VM's lock.
    pub(crate) current: usize,
    /// How many scheduler threads run processes.
    pub schedulers: usize,
    pub(crate) next_pid: u64,
    pub(crate) next_ref: u64,
    pub(crate) registry: IdMap<u32, u64>,
    /// Active process aliases: reference number → owner, and whether the
    /// alias ends with its monitor (`{alias, demonitor}`) or with the first
    /// message through it (`reply_demonitor`).
    pub(crate) aliases: IdMap<u64, (u64, AliasMode)>,
    /// The finished root process, so its result can be read.
    pub last_heap: Option<Box<Proc>>,
    /// The process whose end ends the run (`None`: the run ends when no
    /// process can run).
    pub(crate) root: Option<u64>,
    /// How the run ended, once it has: the root's value or exception.
    pub(crate) ended: Option<Result<Word, Exception>>,
    /// Set when the schedulers are to stop: the run ended, the program
    /// halted, or no process can run again.
    pub(crate) stopped: bool,
    /// Schedulers waiting for work.
    pub(crate) idle: usize,
    /// Output not yet written to standard output.
    pub out: Vec<u8>,
    /// Whether output goes to standard output as it is produced (else it
    /// stays in `out`).
    pub stream_stdout: bool,
    /// Whether standard output takes UTF-8 (else latin-1 bytes, as under
    /// `erl -noshell`).
    pub unicode_out: bool,
    pub(crate) group_leader: Option<u32>,
    /// `persistent_term`: keys and values, kept in external form.
    pub(crate) persistent: Vec<(Term, Term)>,
    /// Set by `erlang:halt/0,1`: the VM stops with this status.
    pub halted: Option<i32>,
    /// Receive timeouts and message timers.
    pub(crate) timers: crate::vm::runtime::timers::Timers,
}

/// What erl's boot leaves in `persistent_term` that library code reads:
/// no optional language features enabled (OTP 25's default).
fn boot_persistent_terms() -> Vec<(Term, Term)> {
    let key = |k: &str| Term::Tuple(vec![Term::atom("erl_features"), Term::atom(k)]);
    vec![
        (key("init_done"), Term::atom("true")),
        (key("enabled_features"), Term::Nil),
        (key("keywords"), Term::Nil),
    ]
}

/// The group leader's compiled Erlang code (source: `src/vm/erl/lam_gl.erl`).
const GROUP_LEADER_BEAM: &[u8] = include_bytes!("erl/lam_gl.beam");

/// Logger's macros on LAM (source: `src/vm/erl/lam_logger.erl`).
const LOGGER_BEAM: &[u8] = include_bytes!("erl/lam_logger.beam");

/// OTP functions that run as our own Erlang code instead: what they need
/// (logger's process and tables) is not there in LAM's minimal boot.
const REDIRECTS: &[(&str, &str, &str)] = &[("logger", "macro_log", "lam_logger")];

struct Frame {
    start: usize,
    base: usize,
}

pub(crate) struct Ret {
    pub(crate) module: u32,
    pub(crate) pc: u32,
}

struct Handler {
    module: u32,
    label: u32,
    calls: usize,
    frames: usize,
    stack: usize,
}

/// A process's state.
pub struct Proc {
    /// Argument registers: the register file while running; while not,
    /// only the live ones (see `Vm::xfile`).
    pub x: Vec<Word>,
    /// How many `x` registers are live when the process yields.
    pub(crate) live_x: usize,
    pub(crate) stack: Vec<Word>,
    frames: Vec<Frame>,
    pub(crate) calls: Vec<Ret>,
    handlers: Vec<Handler>,
    /// The heap.
    pub heap: Area,
    /// The space the last collection copied out of, reused by the next.
    pub(crate) spare: Vec<u64>,
    /// The process dictionary.
    pub dict: crate::vm::term::pdict::Dict,
    /// The binary that old-style construction (`bs_init` and `bs_put_*`)
    /// is filling in, and the bit position reached.
    pub building: Option<(Word, usize)>,
    /// Heap size that triggers the next collection.
    pub(crate) gc_limit: usize,
    /// Where the current frame's `y[0]` is in `stack` (cached from `frames`).
    pub(crate) y_base: usize,
    /// This process's pid number.
    pub pid: u64,
    /// Messages, oldest first (each in this process's heap).
    pub mailbox: std::collections::VecDeque<Word>,
    /// The save pointer of the receive in progress.
    pub(crate) save: usize,
    /// Where the process continues: module and instruction.
    pub(crate) mid: u32,
    pub(crate) pc: u32,
    /// While waiting: where a new message resumes, and when the timeout fires.
    pub(crate) wake_pc: u32,
    pub(crate) waiting: bool,
    pub(crate) deadline: Option<std::time::Instant>,
    /// Counts receives: a timeout set in an earlier one is stale.
    pub(crate) wait_epoch: u64,
    /// Reductions (calls) over the process's life, for `process_info`.
    pub(crate) total_reductions: u64,
    /// `{M, F, A}` it was started with, for `process_info`.
    pub(crate) initial_call: (u32, u32, u32),
    /// Linked processes.
    pub links: Vec<u64>,
    /// Processes monitoring this one: (reference, monitoring pid).
    pub monitored_by: Vec<(Word, u64)>,
    /// For monitors set up by registered name: (reference number,
    /// `{Name, Node}`), the item their `'DOWN'` message names instead of
    /// the pid (kept as a name and an atom: nothing to collect).
    pub(crate) monitored_as: Vec<(u64, u32)>,
    /// Monitors this process holds: (reference number, monitored pid).
    pub(crate) monitoring: Vec<(u64, u64)>,
    /// Whether exit signals arrive as messages.
    pub trap_exit: bool,
    /// The group leader's pid.
    pub group_leader: u64,
    pub(crate) reductions: u32,
    /// The process whose slice must end before this one's retried
    /// instruction can act on it (see `NativeResult::Retry`).
    pub(crate) blocked_on: Option<u64>,
    /// An exit signal that arrived while the process was running.
    pub(crate) pending_exit: Option<Word>,
    /// An exception the process dies of before its first instruction (a
    /// spawned function that is undefined or takes arguments).
    pub(crate) pending_failure: Option<Exception>,
    /// The function whose failure is being raised: module, function,
    /// argument list, and whether it is a BIF (with `error_info`) rather
    /// than an undefined function.
    pub(crate) bif_frame: Option<(u32, u32, Word, bool)>,
    /// For function_clause: the arguments, shown in the top frame instead of the arity.
    pub(crate) clause_args: Option<Word>,
    /// A tail call to an undefined function already left the current function.
    pub(crate) drop_current: bool,
}

/// A signal that reached a process while it ran on another scheduler
/// (its heap is that scheduler's until the slice ends). It is kept, in
/// the order sent, and takes effect when the slice ends: BEAM signals too
/// take effect when the receiver handles them, not when they are sent.
/// Natives that act on another process (link, monitor, exit/2,
/// process_info) do not defer: they wait for the slice to end (see
/// `NativeResult::Retry`), so that their answer is the process's.
pub(crate) enum Deferred {
    /// A message, in an area of its own.
    Message(Area, Word),
    /// The process it monitored ended: the monitor's reference number.
    MonitorGone(u64),
    /// A linked process (`from`) ended with a reason (in its own area).
    LinkExit(u64, Area, Word),
    /// A process waits for this one's slice to end, to act on it: it runs
    /// next.
    Waiter(u64),
}

/// Whether `pid` is the process `running` (the caller's, out of the table).
fn is(running: &Option<&mut Proc>, pid: u64) -> bool {
    running.as_ref().is_some_and(|r| r.pid == pid)
}

/// When an alias stops working (besides `unalias/1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum AliasMode {
    /// Only through `unalias/1`.
    Explicit,
    /// With its monitor: `demonitor/1,2` or the `'DOWN'` message.
    Demonitor,
    /// After the first message through it (and it demonitors).
    ReplyDemonitor,
}

impl Proc {
    /// The end an exit signal that arrived for this process brings, if one did.
    fn exit_signal(&mut self) -> Option<Outcome> {
        let reason = self.pending_exit.take()?;
        Some(Outcome::Failed(Exception {
            class: atom::EXIT,
            reason,
            trace: Word::NIL,
        }))
    }

    /// Drops the current stack frame (`deallocate`).
    #[inline(always)]
    fn pop_frame(&mut self) {
        let f = self.frames.pop().expect("a frame");
        self.stack.truncate(f.start);
        self.y_base = self.frames.last().map_or(0, |f| f.base);
    }

    /// Ends the receive it waits in by its timeout.
    pub(crate) fn time_out(&mut self) {
        self.deadline = None;
        self.save = 0;
        self.wait_epoch += 1;
        // The timeout path is the instruction after wait.
        self.pc += 1;
    }

    /// Room reserved for frames, for memory accounting.
    pub(crate) fn frames_capacity(&self) -> usize {
        self.frames.capacity()
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

/// Reductions (calls) a process may make before it yields.
pub(crate) const BUDGET: u32 = 4000;

/// A native that needs the VM: spawning, messages, links, the registry.
pub type ProcNativeFn = fn(&mut Vm, &mut Proc, &[Word]) -> NativeResult;

impl Default for Proc {
    fn default() -> Self {
        Proc {
            x: Vec::new(),
            live_x: 0,
            stack: Vec::new(),
            frames: Vec::new(),
            calls: Vec::new(),
            handlers: Vec::new(),
            heap: Area::default(),
            spare: Vec::new(),
            dict: Default::default(),
            building: None,
            gc_limit: 1 << 16,
            y_base: 0,
            pid: 0,
            mailbox: std::collections::VecDeque::new(),
            save: 0,
            mid: 0,
            pc: 0,
            wake_pc: 0,
            waiting: false,
            deadline: None,
            wait_epoch: 0,
            total_reductions: 0,
            initial_call: (0, 0, 0),
            links: Vec::new(),
            monitored_by: Vec::new(),
            monitored_as: Vec::new(),
            monitoring: Vec::new(),
            trap_exit: false,
            group_leader: 0,
            reductions: 0,
            blocked_on: None,
            pending_exit: None,
            pending_failure: None,
            bif_frame: None,
            clause_args: None,
            drop_current: false,
        }
    }
}

/// The marker a `try` leaves in its frame slot (a special immediate).
fn handler_marker(depth: usize) -> Word {
    Word((((depth as u64) + 2) << 4) | 0xf)
}

impl Vm {
    /// A VM that loads modules from these directories.
    pub fn new(code_path: Vec<std::path::PathBuf>) -> Vm {
        let mut vm = Vm::bare(code_path);
        let embedded = |bytes| {
            let beam = crate::beam::read(bytes).expect("an embedded module reads");
            crate::translate::translate(&beam)
                .expect("an embedded module translates")
                .module
        };
        vm.group_leader = Some(vm.add(embedded(GROUP_LEADER_BEAM)));
        vm.add(embedded(LOGGER_BEAM));
        vm
    }

    pub(crate) fn bare(code_path: Vec<std::path::PathBuf>) -> Vm {
        Vm {
            atoms: Arc::new(Atoms::new()),
            modules: Vec::new(),
            by_name: HashMap::new(),
            literals: Vec::new(),
            code_path: CodePath::new(code_path),
            failed: HashMap::new(),
            procs: IdMap::default(),
            running: IdMap::default(),
            run_queues: vec![std::collections::VecDeque::new()],
            current: 0,
            schedulers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            next_pid: 1,
            next_ref: 1,
            registry: IdMap::default(),
            aliases: IdMap::default(),
            last_heap: None,
            root: None,
            ended: None,
            stopped: false,
            idle: 0,
            out: Vec::new(),
            stream_stdout: false,
            // erl -noshell's standard I/O is latin-1 whatever the locale.
            unicode_out: false,
            group_leader: None,
            persistent: boot_persistent_terms(),
            halted: None,
            timers: Default::default(),
        }
    }

    /// The module with this name, loading it from the code path if needed.
    pub fn module(&mut self, name: u32) -> Option<u32> {
        if let Some(&id) = self.by_name.get(&name) {
            return Some(id);
        }
        if self.failed.contains_key(&name) {
            return None;
        }
        let text = self.atoms.name(name);
        let path = self.code_path.find(&text)?.to_path_buf();
        match path::read_module(&path) {
            Ok(m) => Some(self.add(m)),
            Err(e) => {
                self.failed.insert(name, e.to_string());
                None
            }
        }
    }

    /// Links a validated LAM module into the VM and returns its id.
    ///
    /// # Panics
    /// On an `x` register out of range, which validation rejects: the run
    /// loop reads registers unchecked.
    pub fn add(&mut self, m: crate::lam::Module) -> u32 {
        let id = self.modules.len() as u32;
        let (loaded, area) = loader::link(m, id, &self.atoms);
        self.by_name.insert(loaded.name, id);
        self.modules.push(Arc::new(loaded));
        self.literals.push(Arc::new(area));
        id
    }

    /// Why a module failed to load, if it did.
    pub fn load_error(&self, name: u32) -> Option<&str> {
        self.failed.get(&name).map(String::as_str)
    }

    /// What `module:function/arity` is: a native, code, or nothing.
    pub fn resolve(&mut self, module: u32, function: u32, arity: u32) -> Option<Callee> {
        let (mn, fname) = (self.atoms.name(module), self.atoms.name(function));
        if let Some((_, _, to)) = REDIRECTS
            .iter()
            .find(|(m, f, _)| *m == &*mn && *f == &*fname)
        {
            let to = self.atoms.intern(to);
            let id = self.module(to)?;
            let entry = *self.modules[id as usize].exports.get(&(function, arity))?;
            return Some(Callee::Code(id, entry));
        }
        if let Some(f) = proc_native(&mn, &fname, arity) {
            return Some(Callee::ProcNative(f));
        }
        if let Some(f) = registry().get(&mn, &fname, arity).and_then(|n| n.heap_fn()) {
            return Some(Callee::Native(f));
        }
        let id = self.module(module)?;
        let entry = *self.modules[id as usize].exports.get(&(function, arity))?;
        if std::env::var_os("LAM_DEBUG_UNDEF").is_some()
            && matches!(
                &*mn,
                "erlang" | "math" | "unicode" | "binary" | "erts_internal"
            )
        {
            eprintln!("lam: {mn}:{fname}/{arity} runs as OTP code, not as a native");
        }
        Some(Callee::Code(id, entry))
    }

    /// Runs `module:function(args)` in a new process, scheduling every
    /// process it spawns, until that first process finishes; returns its
    /// value or the exception that ended it.
    pub fn run_main(
        &mut self,
        module: u32,
        function: u32,
        args: &[Term],
    ) -> Result<Word, Exception> {
        let gl = self.start_group_leader();
        let mut root = Box::new(Proc::default());
        root.pid = self.next_pid;
        self.next_pid += 1;
        root.group_leader = gl;
        let n = args.len();
        for a in args {
            let w = root.heap.from_term(0, a, &self.atoms);
            root.x.push(w);
        }
        match self.resolve(module, function, n as u32) {
            Some(Callee::Code(m, entry)) => {
                root.mid = m;
                root.pc = entry;
            }
            _ => return Err(self.undef(&mut root, module, function, n as u32)),
        }
        let root_pid = root.pid;
        self.procs.insert(root_pid, root);
        self.ready(root_pid);
        self.schedule(Some(root_pid))
            .expect("the root process finishes")
    }

    /// Starts the group leader process (once) and returns its pid.
    fn start_group_leader(&mut self) -> u64 {
        if let Some(pid) = self.group_leader_pid() {
            return pid;
        }
        let mut gl = Box::new(Proc::default());
        gl.pid = self.next_pid;
        self.next_pid += 1;
        gl.group_leader = gl.pid;
        let m = self.group_leader.expect("loaded in Vm::new");
        let entry = self.modules[m as usize].exports[&(self.atoms.intern("loop"), 0)];
        (gl.mid, gl.pc, gl.wake_pc) = (m, entry, u32::MAX);
        let pid = gl.pid;
        self.procs.insert(pid, gl);
        self.ready(pid);
        let name = self.atoms.intern("lam_group_leader");
        self.registry.insert(name, pid);
        // Also `user`, the I/O server erl's processes reach by name.
        let user = self.atoms.intern("user");
        self.registry.insert(user, pid);
        pid
    }

    /// Writes characters to standard output (or the output buffer).
    fn write_out(&mut self, chars: &[u32]) {
        let start = self.out.len();
        for &c in chars {
            match char::from_u32(c) {
                Some(ch) if self.unicode_out => {
                    let mut buf = [0u8; 4];
                    self.out
                        .extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                // A latin-1 device shows other characters as escapes, as erl's does.
                _ if c > 255 => self
                    .out
                    .extend_from_slice(format!("\\x{{{c:X}}}").as_bytes()),
                _ => self.out.push(c as u8),
            }
        }
        if self.stream_stdout {
            use std::io::Write;
            let mut so = std::io::stdout().lock();
            let _ = so.write_all(&self.out[start..]);
            let _ = so.flush();
            self.out.clear();
        }
    }

    /// The group leader's pid, once started.
    pub(crate) fn group_leader_pid(&self) -> Option<u64> {
        let name = self.atoms.existing("lam_group_leader")?;
        self.registry.get(&name).copied()
    }

    /// Has the group leader print the emulator's error report for `p`,
    /// which died of an uncaught exception with `reason`.
    pub(crate) fn error_report(&mut self, p: &Proc, reason: Word) {
        let Some(gl) = self.group_leader_pid() else {
            return;
        };
        let tag = Word::atom(self.atoms.intern("lam_error_report"));
        self.deliver(gl, |heap, literals| {
            let reason = View {
                heap: &p.heap,
                literals,
            }
            .copy_into(reason, heap);
            heap.tuple(0, &[tag, Word::pid(p.pid), reason])
        });
    }

    /// Fires every timer due at `now`: timed-out receives resume on their
    /// timeout path; timer messages are delivered.
    pub(crate) fn fire_timers(&mut self, now: std::time::Instant) {
        use crate::vm::runtime::timers::{Dest, Event};
        while let Some((event, pending)) = self.timers.pop_due(now) {
            match (event, pending) {
                (Event::Timeout { pid, epoch }, _) => {
                    let Some(p) = self.procs.get_mut(&pid) else {
                        continue;
                    };
                    if p.wait_epoch != epoch || p.deadline.is_none() {
                        continue;
                    }
                    // A process that is runnable meets its passed deadline
                    // when it reaches `wait` again.
                    if p.waiting {
                        p.waiting = false;
                        p.time_out();
                        self.ready(pid);
                    }
                }
                (Event::Message(_), Some(t)) => {
                    let to = match t.to {
                        Dest::Pid(p) => Some(p),
                        Dest::Name(n) => self.registry.get(&n).copied(),
                    };
                    let Some(to) = to else { continue };
                    self.deliver(to, |heap, literals| {
                        View {
                            heap: &t.area,
                            literals,
                        }
                        .copy_into(t.msg, heap)
                    });
                }
                (Event::Message(_), None) => {}
            }
        }
    }

    /// The exit reason of a process ended by an exception, as the BEAM reports it.
    pub(crate) fn exit_reason(&self, p: &mut Proc, e: &Exception) -> Word {
        match e.class {
            atom::EXIT => e.reason,
            atom::THROW => {
                let nocatch = p
                    .heap
                    .tuple(0, &[Word::atom(self.atoms.intern("nocatch")), e.reason]);
                p.heap.tuple(0, &[nocatch, e.trace])
            }
            _ => p.heap.tuple(0, &[e.reason, e.trace]),
        }
    }

    /// Tells linked and monitoring processes that `p` exited with `reason`.
    pub(crate) fn exit_signals(&mut self, p: &mut Proc, reason: Word) {
        self.exit_signals_to(p, reason, None)
    }

    /// As [`Vm::exit_signals`], when the process that caused the exit is
    /// `running` (out of the process table while it runs).
    fn exit_signals_to(&mut self, p: &mut Proc, reason: Word, mut running: Option<&mut Proc>) {
        let from = Word::pid(p.pid);
        self.registry.retain(|_, v| *v != p.pid);
        // A cheap copy (a vector of Arcs) so that p's heap can be read while
        // other processes' heaps are written.
        let literals = self.literals.clone();
        let view = View {
            heap: &p.heap,
            literals: &literals,
        };
        for (r, watcher) in std::mem::take(&mut p.monitored_by) {
            if let Some(id) = ref_id(&view, r) {
                if self
                    .aliases
                    .get(&id)
                    .is_some_and(|(_, m)| *m != AliasMode::Explicit)
                {
                    self.aliases.remove(&id);
                }
                if self.running.contains_key(&watcher) && !is(&running, watcher) {
                    self.defer(watcher, Deferred::MonitorGone(id));
                }
                self.with_proc(&mut running, watcher, |w| {
                    w.monitoring.retain(|(x, _)| *x != id)
                });
            }
            let by_name = ref_id(&view, r)
                .and_then(|id| p.monitored_as.iter().find(|(x, _)| *x == id))
                .map(|(_, name)| *name);
            self.signal(&mut running, watcher, |heap| {
                let (r, reason) = (view.copy_into(r, heap), view.copy_into(reason, heap));
                let item = match by_name {
                    Some(name) => heap.tuple(0, &[Word::atom(name), Word::atom(atom::NONODE)]),
                    None => from,
                };
                heap.tuple(
                    0,
                    &[
                        Word::atom(atom::DOWN),
                        r,
                        Word::atom(atom::PROCESS),
                        item,
                        reason,
                    ],
                )
            });
        }
        for linked in std::mem::take(&mut p.links) {
            if self.running.contains_key(&linked) && !is(&running, linked) {
                let mut area = Area::default();
                let reason = view.copy_into(reason, &mut area);
                self.defer(linked, Deferred::LinkExit(p.pid, area, reason));
            } else {
                self.link_exit(&mut running, linked, p.pid, &view, reason);
            }
        }
    }

    /// The exit signal of linked process `from`, ended with `reason` (read
    /// through `view`), reaches `to`: unlinks it, then is a message if `to`
    /// traps exits, else ends it unless the reason is `normal`.
    fn link_exit(
        &mut self,
        running: &mut Option<&mut Proc>,
        to: u64,
        from: u64,
        view: &View,
        reason: Word,
    ) {
        let Some(trapping) = self.with_proc(running, to, |l| {
            l.links.retain(|x| *x != from);
            l.trap_exit
        }) else {
            return;
        };
        if trapping {
            self.signal(running, to, |heap| {
                let reason = view.copy_into(reason, heap);
                heap.tuple(0, &[Word::atom(atom::EXIT_TAG), Word::pid(from), reason])
            });
        } else if reason != Word::atom(atom::NORMAL) {
            if let Some(run) = running.as_deref_mut().filter(|x| x.pid == to) {
                // The running process dies at its next instruction.
                run.pending_exit = Some(view.copy_into(reason, &mut run.heap));
            } else if let Some(mut l) = self.procs.remove(&to) {
                self.unready(to);
                let reason = view.copy_into(reason, &mut l.heap);
                self.exit_signals_to(&mut l, reason, running.as_deref_mut());
                self.ended_by_signal(l, reason);
            }
        }
    }

    /// Runs `f` on process `pid`: the one running (out of the table) or one in the table.
    fn with_proc<R>(
        &mut self,
        running: &mut Option<&mut Proc>,
        pid: u64,
        f: impl FnOnce(&mut Proc) -> R,
    ) -> Option<R> {
        match running.as_deref_mut().filter(|x| x.pid == pid) {
            Some(run) => Some(f(run)),
            None => self.procs.get_mut(&pid).map(|p| f(p)),
        }
    }

    /// Delivers a message that `build` makes in the receiver's heap, waking
    /// the receiver if it waits.
    fn signal(
        &mut self,
        running: &mut Option<&mut Proc>,
        to: u64,
        build: impl FnOnce(&mut Area) -> Word,
    ) {
        if let Some(run) = running.as_deref_mut().filter(|x| x.pid == to) {
            let msg = build(&mut run.heap);
            run.mailbox.push_back(msg);
        } else {
            self.deliver(to, |heap, _| build(heap));
        }
    }

    /// Delivers a message that `build` makes (given the receiver's heap and
    /// the literal areas): into the heap of a receiver that is not running,
    /// waking it if it waits; into an area of its own, to follow when its
    /// slice ends, for one that runs on another scheduler; nowhere for one
    /// that is gone.
    pub(crate) fn deliver(&mut self, to: u64, build: impl FnOnce(&mut Area, &[Arc<Area>]) -> Word) {
        if let Some(r) = self.procs.get_mut(&to) {
            let msg = build(&mut r.heap, &self.literals);
            self.enqueue(to, msg);
        } else if self.running.contains_key(&to) {
            let mut area = Area::default();
            let msg = build(&mut area, &self.literals);
            self.defer(to, Deferred::Message(area, msg));
        }
    }

    /// Keeps a signal for a process running on another scheduler.
    fn defer(&mut self, to: u64, d: Deferred) {
        if let Some(q) = self.running.get_mut(&to) {
            q.push(d);
        }
    }

    /// Whether `pid` runs on another scheduler than `me`'s, so that what
    /// `me` wants of it must wait for its slice to end (and `me` waits).
    pub(crate) fn busy(&self, pid: u64, me: &mut Proc) -> bool {
        let busy = pid != me.pid && self.running.contains_key(&pid);
        if busy {
            me.blocked_on = Some(pid);
        }
        busy
    }

    /// Makes `pid` runnable, on the run queue of the scheduler holding the lock.
    pub(crate) fn ready(&mut self, pid: u64) {
        self.run_queue().push_back(pid);
    }

    /// The run queue of the scheduler holding the lock.
    fn run_queue(&mut self) -> &mut std::collections::VecDeque<u64> {
        let q = self.current.min(self.run_queues.len() - 1);
        &mut self.run_queues[q]
    }

    /// Takes `pid` off the run queues (it ended).
    pub(crate) fn unready(&mut self, pid: u64) {
        for q in &mut self.run_queues {
            q.retain(|x| *x != pid);
        }
    }

    /// Applies the signals that reached `pid` while it ran, now that it is
    /// back in the process table, as they would have been had it not run.
    pub(crate) fn apply_deferred(&mut self, pid: u64, signals: Vec<Deferred>) {
        if signals.is_empty() {
            return;
        }
        let literals = self.literals.clone();
        for d in signals {
            match d {
                Deferred::Message(area, msg) => self.deliver(pid, |heap, _| {
                    View {
                        heap: &area,
                        literals: &literals,
                    }
                    .copy_into(msg, heap)
                }),
                Deferred::Waiter(w) => {
                    if self.procs.contains_key(&w) {
                        self.run_queue().push_front(w);
                    }
                }
                Deferred::MonitorGone(id) => {
                    if let Some(w) = self.procs.get_mut(&pid) {
                        w.monitoring.retain(|(x, _)| *x != id);
                    }
                }
                Deferred::LinkExit(from, area, reason) => {
                    let view = View {
                        heap: &area,
                        literals: &literals,
                    };
                    self.link_exit(&mut None, pid, from, &view, reason);
                }
            }
        }
    }

    /// Notes the end of a process killed by an exit signal: if it is the
    /// process the VM waits for, the VM's run ends with it.
    fn ended_by_signal(&mut self, p: Box<Proc>, reason: Word) {
        if Some(p.pid) == self.root && self.ended.is_none() {
            let e = Exception {
                class: atom::EXIT,
                reason,
                trace: Word::NIL,
            };
            self.last_heap = Some(p);
            self.ended = Some(Err(e));
        }
    }

    /// Puts a message already in the receiver's heap into its mailbox, and
    /// wakes it if it waits.
    fn enqueue(&mut self, to: u64, msg: Word) {
        let Some(r) = self.procs.get_mut(&to) else {
            return;
        };
        r.mailbox.push_back(msg);
        if r.waiting {
            // Back to the start of the receive; its timeout keeps running.
            r.waiting = false;
            r.pc = r.wake_pc;
            self.ready(to);
        }
    }

    /// Sends `msg` (in `from`'s heap) to `to`.
    pub(crate) fn send(&mut self, from: &mut Proc, to: Word, msg: Word) -> Result<(), Exception> {
        let view = View {
            heap: &from.heap,
            literals: &self.literals,
        };
        let pid = match (to.as_pid(), to.as_atom(), ref_id(&view, to)) {
            (Some(p), _, _) => p,
            (_, Some(name), _) => match self.registry.get(&name) {
                Some(p) => *p,
                None => return Err(Exception::error(Word::atom(atom::BADARG))),
            },
            // A reference: an alias delivers to its owner while active; an
            // inactive one drops the message, as the BEAM does.
            (_, _, Some(id)) => match self.aliases.get(&id).copied() {
                Some((owner, mode)) => {
                    if mode == AliasMode::ReplyDemonitor {
                        self.aliases.remove(&id);
                    }
                    owner
                }
                None => return Ok(()),
            },
            _ => return Err(Exception::error(Word::atom(atom::BADARG))),
        };
        if pid == from.pid {
            from.mailbox.push_back(msg);
            return Ok(());
        }
        self.deliver(pid, |heap, literals| {
            View {
                heap: &from.heap,
                literals,
            }
            .copy_into(msg, heap)
        });
        Ok(())
    }

    /// Starts a process running `callee` with `args` (words in `parent`'s heap).
    fn spawn(
        &mut self,
        parent: &mut Proc,
        fun: Option<Word>,
        mfa: Option<(u32, u32)>,
        args: &[Word],
    ) -> Result<u64, Exception> {
        let mut child = Box::new(Proc::default());
        child.pid = self.next_pid;
        self.next_pid += 1;
        child.group_leader = parent.group_leader;
        let view = View {
            heap: &parent.heap,
            literals: &self.literals,
        };
        let copied: Vec<Word> = args
            .iter()
            .map(|a| view.copy_into(*a, &mut child.heap))
            .collect();
        child.x = copied;
        let badarg = || Exception::error(Word::atom(atom::BADARG));
        let callee = match (fun, mfa) {
            (Some(f), _) => {
                // spawn/1 checks the fun before it starts anything, as the BEAM does.
                let zero_arity = test(
                    &view,
                    &self.atoms,
                    TestOp::IsFunction2,
                    &[f, Word::small(0).expect("0")],
                );
                let is_fun = test(&view, &self.atoms, TestOp::IsFunction, &[f]);
                if !is_fun {
                    return Err(badarg());
                }
                let f = view.copy_into(f, &mut child.heap);
                if zero_arity {
                    match fun_callee(&self.modules, &self.literals, &mut child, f, 0) {
                        Ok(Ok(c)) => c,
                        Ok(Err((mo, f, a))) => self
                            .export_callee(&mut child, mo, f, a)
                            .map_err(|_| badarg())?,
                        Err(_) => return Err(badarg()),
                    }
                } else {
                    // The process starts and dies applying the fun to no
                    // arguments, as erlang:apply/2 would.
                    let h = &mut child.heap;
                    let inner = h.tuple(0, &[f, Word::NIL]);
                    let reason = h.tuple(0, &[Word::atom(atom::BADARITY), inner]);
                    let apply = Word::atom(self.atoms.intern("apply"));
                    let frame = h.tuple(
                        0,
                        &[
                            Word::atom(atom::ERLANG),
                            apply,
                            Word::small(2).expect("2"),
                            Word::NIL,
                        ],
                    );
                    let trace = h.cons(0, frame, Word::NIL);
                    child.pending_failure = Some(Exception {
                        class: atom::ERROR,
                        reason,
                        trace,
                    });
                    Callee::Code(0, 0)
                }
            }
            (None, Some((m, f))) => match self.resolve(m, f, args.len() as u32) {
                Some(c) => c,
                None => {
                    // The process exists and dies with undef at its first
                    // instruction, once the caller has linked or monitored it.
                    let e = self.undef(&mut child, m, f, args.len() as u32);
                    // Nothing ran: the missing function is the only frame.
                    child.drop_current = true;
                    let trace = self.trace(&mut child, 0, 0);
                    child.pending_failure = Some(Exception { trace, ..e });
                    Callee::Code(0, 0)
                }
            },
            _ => return Err(badarg()),
        };
        let Callee::Code(m, entry) = callee else {
            return Err(badarg());
        };
        child.mid = m;
        child.pc = entry;
        child.wake_pc = u32::MAX;
        let pid = child.pid;
        self.procs.insert(pid, child);
        self.ready(pid);
        Ok(pid)
    }

    /// A new reference.
    pub(crate) fn make_ref(&mut self, heap: &mut Area) -> Word {
        let id = self.next_ref;
        self.next_ref += 1;
        let at = heap.words.len();
        heap.words.extend([Word::header(kind::REF, 1).0, id]);
        Word::boxed(crate::vm::term::word::Ptr {
            area: 0,
            offset: at,
        })
    }

    fn undef(&self, proc: &mut Proc, module: u32, function: u32, arity: u32) -> Exception {
        // The missing function is the top frame, with the arguments it was given.
        let args = proc.x[..arity as usize].to_vec();
        let args = list_of(&mut proc.heap, &args);
        proc.bif_frame = Some((module, function, args, false));
        if std::env::var_os("LAM_DEBUG_UNDEF").is_some() {
            eprintln!(
                "lam: undefined function {}:{}/{arity}{}",
                self.atoms.name(module),
                self.atoms.name(function),
                self.load_error(module)
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            );
        }
        Exception::error(Word::atom(atom::UNDEF))
    }

    fn trace(&self, proc: &mut Proc, module: u32, pc: u32) -> Word {
        stack_trace(&self.atoms, &self.modules, proc, module, pc)
    }

    /// What calling the external fun `mo:f/a` enters.
    fn export_callee(
        &mut self,
        proc: &mut Proc,
        mo: u32,
        f: u32,
        a: u32,
    ) -> Result<Callee, Exception> {
        self.resolve(mo, f, a)
            .ok_or_else(|| self.undef(proc, mo, f, a))
    }
}

/// One scheduler's view of the VM while it runs a process's slice: the
/// code (modules and literal areas only ever get added, so a scheduler
/// keeps its own list and catches up when it takes the lock) and the
/// register file. What processes share is in the [`Vm`], behind the lock
/// the scheduler takes for sends, spawns, links and the like.
pub(crate) struct Worker<'w> {
    pub(crate) sched: &'w crate::vm::runtime::sched::Sched,
    /// Which scheduler this is (its run queue).
    pub(crate) id: usize,
    pub(crate) atoms: Arc<Atoms>,
    pub(crate) modules: Vec<Arc<Loaded>>,
    pub(crate) literals: Vec<Arc<Area>>,
    /// The register file: a running process's `x` registers live here,
    /// swapped into it for its slice; an idle process keeps only the few
    /// that are live, so it costs a few hundred bytes, not 16 KB.
    /// While a process runs, its `x` therefore has all `X_REGS` registers,
    /// and linking (`loader::link`) keeps register numbers below that: the
    /// run loop reads them unchecked.
    xfile: Vec<Word>,
}

impl<'w> Worker<'w> {
    pub(crate) fn new(
        sched: &'w crate::vm::runtime::sched::Sched,
        id: usize,
        vm: &Vm,
    ) -> Worker<'w> {
        Worker {
            sched,
            id,
            atoms: vm.atoms.clone(),
            modules: vm.modules.clone(),
            literals: vm.literals.clone(),
            xfile: vec![Word::NIL; crate::lam::isa::X_REGS as usize],
        }
    }

    /// Catches up with modules loaded since this scheduler last looked.
    pub(crate) fn sync(&mut self, vm: &Vm) {
        if self.modules.len() != vm.modules.len() {
            self.modules
                .extend_from_slice(&vm.modules[self.modules.len()..]);
            self.literals
                .extend_from_slice(&vm.literals[self.literals.len()..]);
        }
    }

    /// Runs `f` on the VM, under its lock (out of line: the run loop that
    /// calls it is faster without its code).
    #[inline(never)]
    fn with_vm<R>(&mut self, f: impl FnOnce(&mut Vm) -> R) -> R {
        let sched = self.sched;
        let mut vm = sched.lock(self.id);
        let r = f(&mut vm);
        self.sync(&vm);
        r
    }

    fn resolve(&mut self, module: u32, function: u32, arity: u32) -> Option<Callee> {
        self.with_vm(|vm| vm.resolve(module, function, arity))
    }

    fn undef(&mut self, proc: &mut Proc, module: u32, function: u32, arity: u32) -> Exception {
        self.with_vm(|vm| vm.undef(proc, module, function, arity))
    }

    fn trace(&self, proc: &mut Proc, module: u32, pc: u32) -> Word {
        stack_trace(&self.atoms, &self.modules, proc, module, pc)
    }

    fn send(&mut self, from: &mut Proc, to: Word, msg: Word) -> Result<(), Exception> {
        self.with_vm(|vm| vm.send(from, to, msg))
    }

    fn spawn_call(
        &mut self,
        proc: &mut Proc,
        kind: &str,
        args: &[Word],
    ) -> Result<Word, Exception> {
        self.with_vm(|vm| vm.spawn_call(proc, kind, args))
    }

    fn native(&mut self, proc: &mut Proc, f: NativeFn, arity: usize) -> NativeResult {
        let args: Vec<Word> = proc.x[..arity].to_vec();
        let mut ctx = Ctx {
            heap: &mut proc.heap,
            literals: &self.literals,
            atoms: &self.atoms,
            dict: &mut proc.dict,
            code: &self.modules,
            building: &mut proc.building,
        };
        f(&mut ctx, &args)
    }

    /// Records `m:f(args)` as the failing BIF of the exception being raised,
    /// unless it is one of the BIFs whose job is to raise.
    fn note_bif(&self, proc: &mut Proc, m: u32, f: u32, args: &[Word]) {
        let name = self.atoms.name(f);
        if m == atom::ERLANG && &*name == "error" && args.len() >= 2 {
            // error/2,3: the arguments given replace the caller's arity.
            proc.clause_args = Some(args[1]);
            return;
        }
        // Raising is what these are for: no frame of their own (exit/2,
        // which signals another process, fails like any BIF). apply/2 is a
        // process native, not yet in the registry.
        let module = self.atoms.name(m);
        let raises = registry()
            .get(&module, &name, args.len() as u32)
            .is_some_and(|n| n.is_raising());
        if raises || (m == atom::ERLANG && &*name == "apply" && args.len() == 2) {
            return;
        }
        let args = list_of(&mut proc.heap, args);
        proc.bif_frame = Some((m, f, args, true));
    }

    /// Runs `proc` from where it stopped until it yields, waits or ends,
    /// with the register file swapped in for the slice.
    pub(crate) fn run_slice(&mut self, proc: &mut Proc) -> Outcome {
        let mut file = std::mem::take(&mut self.xfile);
        if file.len() != crate::lam::isa::X_REGS as usize {
            file = vec![Word::NIL; crate::lam::isa::X_REGS as usize];
        }
        let saved = std::mem::replace(&mut proc.x, file);
        proc.x[..saved.len()].copy_from_slice(&saved);
        proc.live_x = 0;
        let outcome = self.run_slice_in(proc);
        // Only a yielding process has live registers: its call's arguments.
        let live = match outcome {
            Outcome::Yield => proc.live_x,
            _ => 0,
        };
        let mut keep = saved;
        keep.clear();
        keep.extend_from_slice(&proc.x[..live]);
        self.xfile = std::mem::replace(&mut proc.x, keep);
        outcome
    }

    fn run_slice_in(&mut self, proc: &mut Proc) -> Outcome {
        let (mut mid, mut pc) = (proc.mid, proc.pc);
        let mut m = self.modules[mid as usize].clone();
        // The code being run, held apart from `m` so that a dispatch does
        // not first load `m`'s vector: it is the start of the chain of loads
        // that each jump through the dispatch table waits on.
        // SAFETY: the slice borrows from `m`, which is only ever replaced
        // together with it (`switch!`) and outlives every use.
        let mut code: &[Ins] = unsafe { &*(m.code.as_slice() as *const [Ins]) };
        macro_rules! switch {
            ($to:expr) => {{
                m = self.modules[$to as usize].clone();
                code = unsafe { &*(m.code.as_slice() as *const [Ins]) };
            }};
        }
        proc.total_reductions += u64::from(proc.reductions);
        proc.reductions = 0;
        if let Some(e) = proc.pending_failure.take() {
            return Outcome::Failed(e);
        }
        // Exit signals that arrived while it was not running.
        if let Some(end) = proc.exit_signal() {
            return end;
        }
        loop {
            // The hottest instructions run here, without the round trip
            // through `step` and its `Flow`; everything else goes to `step`.
            macro_rules! rd {
                ($s:expr) => {
                    match $s {
                        // SAFETY: see `xfile`.
                        Src::X(r) => unsafe { *proc.x.get_unchecked(r as usize) },
                        Src::Y(r) => proc.stack[proc.y_base + r as usize],
                        Src::C(w) => w,
                    }
                };
            }
            macro_rules! wr {
                ($d:expr, $v:expr) => {{
                    let v = $v;
                    match $d {
                        // SAFETY: see `xfile`.
                        Dst::X(r) => unsafe { *proc.x.get_unchecked_mut(r as usize) = v },
                        Dst::Y(r) => {
                            let b = proc.y_base;
                            proc.stack[b + r as usize] = v
                        }
                        Dst::Discard => {}
                    }
                }};
            }
            // Whether the heap needs no collection: the negation of `step`'s
            // test, which counts off-heap binaries too (a loop making large
            // binaries has a small heap).
            macro_rules! heap_ok {
                () => {
                    proc.heap.len() <= proc.gc_limit && proc.heap.offheap_bytes <= proc.gc_limit * 8
                };
            }
            // Whether a call may go ahead here; else the call instruction
            // goes to `step`, which yields or collects first.
            macro_rules! can_call {
                () => {
                    proc.reductions < BUDGET && heap_ok!()
                };
            }
            // The head and tail of the list cell `l` into `h` and `t`.
            macro_rules! split {
                ($l:expr, $h:expr, $t:expr) => {{
                    let (hv, tv) = View {
                        heap: &proc.heap,
                        literals: &self.literals,
                    }
                    .cons($l);
                    wr!($h, hv);
                    wr!($t, tv);
                }};
            }
            // A local call (or tail call) from the call instruction at `pc`.
            macro_rules! call_local {
                ($tail:expr, $to:expr) => {{
                    proc.reductions += 1;
                    if !$tail {
                        proc.calls.push(Ret {
                            module: mid,
                            pc: pc + 1,
                        });
                    }
                    pc = $to;
                }};
            }
            match &code[pc as usize] {
                Ins::Move(src, dst) => {
                    wr!(*dst, rd!(*src));
                    pc += 1;
                    continue;
                }
                Ins::Move2(s1, d1, s2, d2) => {
                    wr!(*d1, rd!(*s1));
                    wr!(*d2, rd!(*s2));
                    pc += 2;
                    continue;
                }
                // The call itself is the next instruction: when the process
                // must yield or collect first, that instruction does it.
                Ins::MoveCall(tail, l, s, d) => {
                    wr!(*d, rd!(*s));
                    pc += 1;
                    if can_call!() {
                        call_local!(*tail, *l);
                    }
                    continue;
                }
                Ins::Move2Call(tail, l, s1, d1, s2, d2) => {
                    wr!(*d1, rd!(*s1));
                    wr!(*d2, rd!(*s2));
                    pc += 2;
                    if can_call!() {
                        call_local!(*tail, *l);
                    }
                    continue;
                }
                Ins::DeallocReturn if !proc.calls.is_empty() => {
                    proc.pop_frame();
                    let r = proc.calls.pop().expect("checked");
                    if r.module != mid {
                        mid = r.module;
                        switch!(mid);
                    }
                    pc = r.pc;
                    continue;
                }
                Ins::Jump(l) => {
                    pc = *l;
                    continue;
                }
                // A native's success and its jump to a fail label are done
                // here; an exception goes to `step`, which calls the native
                // again to raise it (a failing native changes nothing).
                Ins::Native(f, _, fail, args, d) if args.len() <= 16 => {
                    let mut vals = [Word::NIL; 16];
                    for (v, s) in vals.iter_mut().zip(args.iter()) {
                        *v = rd!(*s);
                    }
                    let mut ctx = Ctx {
                        heap: &mut proc.heap,
                        literals: &self.literals,
                        atoms: &self.atoms,
                        dict: &mut proc.dict,
                        code: &self.modules,
                        building: &mut proc.building,
                    };
                    match f(&mut ctx, &vals[..args.len()]) {
                        NativeResult::Value(v) => {
                            wr!(*d, v);
                            pc += 1;
                            continue;
                        }
                        NativeResult::Error(_) if *fail != NOFAIL => {
                            pc = *fail;
                            continue;
                        }
                        _ => {}
                    }
                }
                Ins::BsMatch(op, _, fail, s, d, _) => {
                    match crate::vm::ops::bs::fast(*op, &mut proc.heap, &self.literals, rd!(*s)) {
                        Some(Ok(v)) => {
                            wr!(*d, v);
                            pc += 1;
                            continue;
                        }
                        Some(Err(())) if *fail != NOFAIL => {
                            pc = *fail;
                            continue;
                        }
                        _ => {}
                    }
                }
                Ins::Cons(h, t, d) => {
                    let c = proc.heap.cons(0, rd!(*h), rd!(*t));
                    wr!(*d, c);
                    pc += 1;
                    continue;
                }
                Ins::SplitList(s, h, t) if rd!(*s).is_list() => {
                    split!(rd!(*s), *h, *t);
                    pc += 1;
                    continue;
                }
                Ins::Swap(a, b) => {
                    let (va, vb) = (rd!(dst_src(*a)), rd!(dst_src(*b)));
                    wr!(*a, vb);
                    wr!(*b, va);
                    pc += 1;
                    continue;
                }
                Ins::Trim(n) => {
                    proc.frames.last_mut().expect("a frame").base += *n as usize;
                    proc.y_base += *n as usize;
                    pc += 1;
                    continue;
                }
                Ins::FArith(k, _, a, b, d) => {
                    let (x, y) = (
                        f64::from_bits(proc.x[*a as usize].0),
                        f64::from_bits(proc.x[*b as usize].0),
                    );
                    if let Some(r) = float_op(*k, x, y) {
                        proc.x[*d as usize] = Word(r.to_bits());
                        pc += 1;
                        continue;
                    }
                }
                Ins::FLoad(Src::X(s), d)
                    if proc.x[*s as usize].is_boxed()
                        && proc.x[*s as usize].ptr().area == 0
                        && Word(proc.heap.words[proc.x[*s as usize].ptr().offset])
                            == Word::header(kind::FLOAT, 1) =>
                {
                    let p = proc.x[*s as usize].ptr();
                    proc.x[*d as usize] = Word(proc.heap.words[p.offset + 1]);
                    pc += 1;
                    continue;
                }
                Ins::FStore(s, Dst::X(d)) => {
                    let f = f64::from_bits(proc.x[*s as usize].0);
                    proc.x[*d as usize] = proc.heap.float(0, f);
                    pc += 1;
                    continue;
                }
                Ins::Add(_, a, b, dst) => {
                    if let (Some(x), Some(y)) = (rd!(*a).as_small(), rd!(*b).as_small())
                        && let Some(w) = Word::small(x + y)
                    {
                        wr!(*dst, w);
                        pc += 1;
                        continue;
                    }
                }
                Ins::Sub(_, a, b, dst) => {
                    if let (Some(x), Some(y)) = (rd!(*a).as_small(), rd!(*b).as_small())
                        && let Some(w) = Word::small(x - y)
                    {
                        wr!(*dst, w);
                        pc += 1;
                        continue;
                    }
                }
                Ins::Arith(k @ (ArithOp::Mul | ArithOp::IDiv | ArithOp::Rem), _, a, b, dst) => {
                    if let (Some(x), Some(y)) = (rd!(*a).as_small(), rd!(*b).as_small()) {
                        let r = match *k {
                            ArithOp::Mul => x.checked_mul(y),
                            ArithOp::IDiv if y != 0 => Some(x / y),
                            ArithOp::Rem if y != 0 => Some(x % y),
                            _ => None,
                        };
                        if let Some(w) = r.and_then(Word::small) {
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                }
                Ins::Lt(fail, a, b) => {
                    if let (Some(p), Some(q)) = (rd!(*a).as_small(), rd!(*b).as_small()) {
                        pc = if p < q { pc + 1 } else { *fail };
                        continue;
                    }
                }
                Ins::Ge(fail, a, b) => {
                    if let (Some(p), Some(q)) = (rd!(*a).as_small(), rd!(*b).as_small()) {
                        pc = if p >= q { pc + 1 } else { *fail };
                        continue;
                    }
                }
                // Small integers, atoms, nil and pids are equal exactly when
                // their words are.
                Ins::EqExact(fail, a, b) => {
                    let (x, y) = (rd!(*a), rd!(*b));
                    if x.is_immediate() && y.is_immediate() {
                        pc = if x == y { pc + 1 } else { *fail };
                        continue;
                    }
                }
                Ins::NeExact(fail, a, b) => {
                    let (x, y) = (rd!(*a), rd!(*b));
                    if x.is_immediate() && y.is_immediate() {
                        pc = if x != y { pc + 1 } else { *fail };
                        continue;
                    }
                }
                Ins::ListSplit(fail, s, h, t) => {
                    let l = rd!(*s);
                    if !l.is_list() {
                        pc = *fail;
                        continue;
                    }
                    split!(l, *h, *t);
                    pc += 2;
                    continue;
                }
                Ins::Test1(k, fail, a) => {
                    let x = rd!(*a);
                    let pass = match *k {
                        TestOp::IsNonemptyList => Some(x.is_list()),
                        TestOp::IsNil => Some(x == Word::NIL),
                        TestOp::IsList => Some(x.is_list() || x == Word::NIL),
                        TestOp::IsAtom => Some(x.as_atom().is_some()),
                        _ => None,
                    };
                    if let Some(pass) = pass {
                        pc = if pass { pc + 1 } else { *fail };
                        continue;
                    }
                }
                Ins::Allocate(n, _) if heap_ok!() => {
                    let start = proc.stack.len();
                    proc.stack.resize(start + *n as usize, Word::NIL);
                    proc.frames.push(Frame { start, base: start });
                    proc.y_base = start;
                    pc += 1;
                    continue;
                }
                Ins::Deallocate => {
                    proc.pop_frame();
                    pc += 1;
                    continue;
                }
                Ins::Call(_, Target::Local(l)) if can_call!() => {
                    call_local!(false, *l);
                    continue;
                }
                Ins::TailCall(_, Target::Local(l)) if can_call!() => {
                    call_local!(true, *l);
                    continue;
                }
                Ins::Return if !proc.calls.is_empty() => {
                    let r = proc.calls.pop().expect("checked");
                    if r.module != mid {
                        mid = r.module;
                        switch!(mid);
                    }
                    pc = r.pc;
                    continue;
                }
                _ => {}
            }
            let step = self.step(proc, &m, pc);
            // An exit signal the process sent itself, the only kind that can
            // arrive while it runs (only `step` sends any), takes effect now.
            if let Some(end) = proc.exit_signal() {
                return end;
            }
            match step {
                Ok(Flow::Next) => pc += 1,
                Ok(Flow::Goto(to)) => pc = to,
                Ok(Flow::Enter(to_mod, to)) => {
                    if to_mod != mid {
                        mid = to_mod;
                        switch!(mid);
                    }
                    pc = to;
                }
                Ok(Flow::Return) => match proc.calls.pop() {
                    Some(r) => {
                        if r.module != mid {
                            mid = r.module;
                            switch!(mid);
                        }
                        pc = r.pc;
                    }
                    None => return Outcome::Done(proc.x[0]),
                },
                Ok(Flow::Yield) => {
                    (proc.mid, proc.pc) = (mid, pc);
                    return Outcome::Yield;
                }
                Ok(Flow::Retry) => {
                    // Any register may be live at a BIF instruction.
                    proc.live_x = crate::lam::isa::X_REGS as usize;
                    (proc.mid, proc.pc) = (mid, pc);
                    return Outcome::Yield;
                }
                Ok(Flow::Wait(wake)) => {
                    (proc.mid, proc.pc, proc.wake_pc) = (mid, pc, wake);
                    return Outcome::Wait;
                }
                Err(mut e) => {
                    if e.trace == Word::NONE {
                        e.trace = self.trace(proc, mid, pc);
                    }
                    if std::env::var_os("LAM_DEBUG_PROCS").is_some() {
                        let v = View {
                            heap: &proc.heap,
                            literals: &self.literals,
                        };
                        eprintln!(
                            "lam: process <0.{}.0> raises {}:{} {}",
                            proc.pid,
                            self.atoms.name(e.class),
                            crate::erlfmt::w(&v.to_term(e.reason, &self.atoms)),
                            crate::erlfmt::w(&v.to_term(e.trace, &self.atoms)),
                        );
                    }
                    let Some(h) = proc.handlers.pop() else {
                        return Outcome::Failed(e);
                    };
                    proc.calls.truncate(h.calls);
                    proc.frames.truncate(h.frames);
                    proc.y_base = proc.frames.last().map_or(0, |f| f.base);
                    proc.stack.truncate(h.stack);
                    // The slot no longer marks a live handler: try_end/catch_end
                    // at the landing pad must not remove another one.
                    if let Some(slot) = proc
                        .stack
                        .iter_mut()
                        .rev()
                        .find(|w| **w == handler_marker(proc.handlers.len()))
                    {
                        *slot = Word::NIL;
                    }
                    let raw = proc
                        .heap
                        .tuple(0, &[Word::atom(atom::LAM), Word::atom(e.class), e.trace]);
                    proc.x[0] = Word::NONE;
                    proc.x[1] = Word::atom(e.class);
                    proc.x[2] = e.reason;
                    proc.x[3] = raw;
                    if h.module != mid {
                        mid = h.module;
                        switch!(mid);
                    }
                    pc = h.label;
                }
            }
        }
    }

    /// Calls a heap-only native for a `bif` instruction: its value, or
    /// where the instruction goes instead (its fail label, or an exception,
    /// with the BIF's frame noted for the stack trace).
    fn call_native(
        &mut self,
        proc: &mut Proc,
        m: &Loaded,
        f: NativeFn,
        import: u32,
        fail: u32,
        vals: &[Word],
    ) -> Result<Word, Result<Flow, Exception>> {
        let mut ctx = Ctx {
            heap: &mut proc.heap,
            literals: &self.literals,
            atoms: &self.atoms,
            dict: &mut proc.dict,
            code: &self.modules,
            building: &mut proc.building,
        };
        let e = match f(&mut ctx, vals) {
            NativeResult::Value(v) => return Ok(v),
            NativeResult::Error(e) => e,
            NativeResult::Apply(..) | NativeResult::Retry => {
                Exception::error(Word::atom(atom::BADARG))
            }
        };
        if fail != NOFAIL {
            return Err(Ok(Flow::Goto(fail)));
        }
        let (mo, fu, _) = m.imports[import as usize];
        self.note_bif(proc, mo, fu, vals);
        Err(Err(e))
    }

    // Out of line: the hottest instructions run in the loop itself, and
    // inlining the rest made the loop one huge function whose hot state
    // was kept on the stack (fib ran 10% slower, the float loop 17%).
    #[inline(never)]
    fn step(&mut self, proc: &mut Proc, m: &Arc<Loaded>, pc: u32) -> Result<Flow, Exception> {
        let read = |proc: &Proc, s: Src| -> Word {
            match s {
                Src::X(r) => proc.x[r as usize],
                Src::Y(r) => proc.stack[proc.y_base + r as usize],
                Src::C(w) => w,
            }
        };
        fn write(proc: &mut Proc, d: Dst, w: Word) {
            match d {
                Dst::X(r) => proc.x[r as usize] = w,
                Dst::Y(r) => {
                    let base = proc.y_base;
                    proc.stack[base + r as usize] = w;
                }
                Dst::Discard => {}
            }
        }
        let badarg = || Exception::error(Word::atom(atom::BADARG));
        let fail_or = |label: u32, e: Exception| {
            if label == NOFAIL {
                Err(e)
            } else {
                Ok(Flow::Goto(label))
            }
        };
        match &m.code[pc as usize] {
            Ins::Move(s, d) => write(proc, *d, read(proc, *s)),
            Ins::Swap(a, b) => {
                let (va, vb) = (read(proc, dst_src(*a)), read(proc, dst_src(*b)));
                write(proc, *a, vb);
                write(proc, *b, va);
            }
            Ins::Allocate(n, live) => {
                if proc.heap.len() > proc.gc_limit || proc.heap.offheap_bytes > proc.gc_limit * 8 {
                    self.gc(proc, *live as usize);
                }
                let start = proc.stack.len();
                proc.stack.resize(start + *n as usize, Word::NIL);
                proc.frames.push(Frame { start, base: start });
                proc.y_base = start;
            }
            Ins::Deallocate => {
                proc.pop_frame();
            }
            Ins::Trim(n) => {
                proc.frames.last_mut().expect("a frame").base += *n as usize;
                proc.y_base += *n as usize;
            }
            Ins::Jump(l) => return Ok(Flow::Goto(*l)),
            Ins::Test(k, fail, args) => {
                // Tests take at most three arguments: no allocation here.
                let mut vals = [Word::NIL; 3];
                for (v, s) in vals.iter_mut().zip(args.iter()) {
                    *v = read(proc, *s);
                }
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                if !test(&view, &self.atoms, *k, &vals[..args.len()]) {
                    return Ok(Flow::Goto(*fail));
                }
            }
            // The run loop does the split too.
            Ins::Test1(TestOp::IsNonemptyList, fail, a) | Ins::ListSplit(fail, a, ..)
                if !read(proc, *a).is_list() =>
            {
                return Ok(Flow::Goto(*fail));
            }
            Ins::Test1(TestOp::IsNonemptyList, ..) | Ins::ListSplit(..) => {}
            Ins::Test1(k, fail, a) => {
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                if !test(&view, &self.atoms, *k, &[read(proc, *a)]) {
                    return Ok(Flow::Goto(*fail));
                }
            }
            Ins::Test2(_, fail, a, b)
            | Ins::Lt(fail, a, b)
            | Ins::Ge(fail, a, b)
            | Ins::EqExact(fail, a, b)
            | Ins::NeExact(fail, a, b) => {
                let k = match &m.code[pc as usize] {
                    Ins::Test2(k, ..) => *k,
                    Ins::Lt(..) => TestOp::Lt,
                    Ins::Ge(..) => TestOp::Ge,
                    Ins::EqExact(..) => TestOp::EqExact,
                    _ => TestOp::NeExact,
                };
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                if !test(&view, &self.atoms, k, &[read(proc, *a), read(proc, *b)]) {
                    return Ok(Flow::Goto(*fail));
                }
            }
            Ins::Select(arity, s, fail, table) => {
                let v = read(proc, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let key = if *arity {
                    match view.tuple(v) {
                        Some(t) => Word::small(t.len() as i64).expect("arity"),
                        None => return Ok(Flow::Goto(*fail)),
                    }
                } else {
                    v
                };
                let hit = table
                    .iter()
                    .find(|(w, _)| compare::exact_eq(&view, &self.atoms, *w, key));
                return Ok(Flow::Goto(hit.map_or(*fail, |(_, l)| *l)));
            }
            Ins::Call(..) | Ins::TailCall(..) | Ins::CallFun(..) | Ins::CallFunLast(..)
                if proc.reductions >= BUDGET =>
            {
                // The call runs when the process is next scheduled: its
                // arguments (and the fun) are what must be kept.
                proc.live_x = match &m.code[pc as usize] {
                    Ins::CallFun(_, arity, Src::X(r), _)
                    | Ins::CallFunLast(_, arity, Src::X(r)) => {
                        (*arity as usize).max(*r as usize + 1)
                    }
                    Ins::CallFun(_, arity, ..) | Ins::CallFunLast(_, arity, _) => *arity as usize,
                    Ins::Call(arity, _) | Ins::TailCall(arity, _) => *arity as usize,
                    _ => 0,
                };
                return Ok(Flow::Yield);
            }
            Ins::Call(arity, t) | Ins::TailCall(arity, t) => {
                proc.reductions += 1;
                let tail = matches!(&m.code[pc as usize], Ins::TailCall(..));
                let callee = match *t {
                    Target::Local(l) => Callee::Code(m.id, l),
                    Target::Import(i) => match self.import(proc, m, i) {
                        Ok(c) => c,
                        Err(e) => {
                            proc.drop_current = tail;
                            return Err(e);
                        }
                    },
                };
                let n = *arity as usize;
                // Loops that never allocate a frame still make garbage.
                if proc.heap.len() > proc.gc_limit || proc.heap.offheap_bytes > proc.gc_limit * 8 {
                    self.gc(proc, n);
                }
                if let Callee::Code(to_mod, entry) = callee {
                    // The common case, kept short.
                    if !tail {
                        proc.calls.push(Ret {
                            module: m.id,
                            pc: pc + 1,
                        });
                    }
                    return Ok(Flow::Enter(to_mod, entry));
                }
                let r = self.enter(proc, m.id, pc, callee, n, tail);
                if let (Err(_), Target::Import(i)) = (&r, *t) {
                    // A failing native leaves its argument registers as they were.
                    let (mo, fu, _) = m.imports[i as usize];
                    let args = proc.x[..n].to_vec();
                    self.note_bif(proc, mo, fu, &args);
                }
                return r;
            }
            Ins::CallFunLast(apply, arity, f) => {
                proc.reductions += 1;
                let n = *arity as usize;
                // The fun is read before its frame goes: it may be in y.
                let callee = self.call_fun_callee(proc, *apply, read(proc, *f), n)?;
                if !matches!(callee, Callee::Code(..)) {
                    // A native returns to the deallocate and return that
                    // follow (and one that must wait finds its frame).
                    return self.enter(proc, m.id, pc, callee, n, false);
                }
                proc.pop_frame();
                return self.enter(proc, m.id, pc, callee, n, true);
            }
            Ins::CallFun(apply, arity, f, tail) => {
                proc.reductions += 1;
                let n = *arity as usize;
                let callee = self.call_fun_callee(proc, *apply, read(proc, *f), n)?;
                return self.enter(proc, m.id, pc, callee, n, *tail);
            }
            Ins::Return => return Ok(Flow::Return),
            Ins::Move2(s1, d1, s2, d2) | Ins::Move2Call(_, _, s1, d1, s2, d2) => {
                let v = read(proc, *s1);
                write(proc, *d1, v);
                let v = read(proc, *s2);
                write(proc, *d2, v);
                return Ok(Flow::Goto(pc + 2));
            }
            // The run loop does the call too; here, the call that follows does.
            Ins::MoveCall(_, _, s, d) => write(proc, *d, read(proc, *s)),
            Ins::DeallocReturn => {
                proc.pop_frame();
                return Ok(Flow::Return);
            }
            Ins::Bif(i, fail, args, d) | Ins::Native(_, i, fail, args, d) => {
                let callee = match &m.code[pc as usize] {
                    Ins::Native(f, ..) => Callee::Native(*f),
                    _ => match self.import(proc, m, *i) {
                        Ok(c) => c,
                        Err(e) => return fail_or(*fail, e),
                    },
                };
                let f = match callee {
                    Callee::Native(f) => f,
                    Callee::ProcNative(f) => {
                        let vals: Vec<Word> = args.iter().map(|s| read(proc, *s)).collect();
                        // Where it is, for natives that look (process_info).
                        (proc.mid, proc.pc) = (m.id, pc);
                        match self.with_vm(|vm| f(vm, proc, &vals)) {
                            NativeResult::Retry => return Ok(Flow::Retry),
                            NativeResult::Value(v) => {
                                write(proc, *d, v);
                                return Ok(Flow::Next);
                            }
                            NativeResult::Error(e) => {
                                if *fail == NOFAIL {
                                    let (mo, fu, _) = m.imports[*i as usize];
                                    self.note_bif(proc, mo, fu, &vals);
                                }
                                return fail_or(*fail, e);
                            }
                            NativeResult::Apply(..) => return fail_or(*fail, badarg()),
                        }
                    }
                    Callee::Code(..) => return fail_or(*fail, badarg()),
                };
                let mut small = [Word::NIL; 16];
                let big: Vec<Word>;
                let vals: &[Word] = if args.len() <= small.len() {
                    for (v, s) in small.iter_mut().zip(args.iter()) {
                        *v = read(proc, *s);
                    }
                    &small[..args.len()]
                } else {
                    big = args.iter().map(|s| read(proc, *s)).collect();
                    &big
                };
                match self.call_native(proc, m, f, *i, *fail, vals) {
                    Ok(v) => write(proc, *d, v),
                    Err(flow) => return flow,
                }
            }
            Ins::BsMatch(op, i, fail, s, d, f) => {
                let (vals, n) = op.args(read(proc, *s));
                match self.call_native(proc, m, *f, *i, *fail, &vals[..n]) {
                    Ok(v) => write(proc, *d, v),
                    Err(flow) => return flow,
                }
            }
            Ins::Arith(_, fail, a, b, d) | Ins::Add(fail, a, b, d) | Ins::Sub(fail, a, b, d) => {
                let k = match &m.code[pc as usize] {
                    Ins::Arith(k, ..) => *k,
                    Ins::Add(..) => ArithOp::Add,
                    _ => ArithOp::Sub,
                };
                let (va, vb) = (read(proc, *a), read(proc, *b));
                match arith(&mut proc.heap, &self.literals, k, va, vb) {
                    Ok(v) => write(proc, *d, v),
                    Err(e) => {
                        if *fail == NOFAIL {
                            let f = self.atoms.intern(k.bif_name());
                            self.note_bif(proc, atom::ERLANG, f, &[va, vb]);
                        }
                        return fail_or(*fail, e);
                    }
                }
            }
            Ins::FLoad(s, d) => {
                let w = read(proc, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let f = match (w.as_small(), view.float(w)) {
                    (Some(i), _) => i as f64,
                    (_, Some(f)) => f,
                    _ => match crate::vm::term::compare::number(&view, w) {
                        Some(crate::vm::term::compare::Num::Big(b)) => {
                            match num_traits::ToPrimitive::to_f64(&b).filter(|f| f.is_finite()) {
                                Some(f) => f,
                                None => return Err(Exception::error(Word::atom(atom::BADARITH))),
                            }
                        }
                        _ => return Err(Exception::error(Word::atom(atom::BADARITH))),
                    },
                };
                proc.x[*d as usize] = Word(f.to_bits());
            }
            Ins::FStore(s, d) => {
                let f = f64::from_bits(proc.x[*s as usize].0);
                let w = proc.heap.float(0, f);
                write(proc, *d, w);
            }
            Ins::FArith(k, fail, a, b, d) => {
                let (x, y) = (
                    f64::from_bits(proc.x[*a as usize].0),
                    f64::from_bits(proc.x[*b as usize].0),
                );
                match float_op(*k, x, y) {
                    Some(r) => proc.x[*d as usize] = Word(r.to_bits()),
                    None => return fail_or(*fail, Exception::error(Word::atom(atom::BADARITH))),
                }
            }
            Ins::FNeg(_, a, d) => {
                let x = f64::from_bits(proc.x[*a as usize].0);
                // 0 - X, as the BEAM computes it: -(0.0) is 0.0 there.
                proc.x[*d as usize] = Word((0.0 - x).to_bits());
            }
            Ins::MakeTuple(d, elems) => {
                let vals: Vec<Word> = elems.iter().map(|s| read(proc, *s)).collect();
                let t = proc.heap.tuple(0, &vals);
                write(proc, *d, t);
            }
            Ins::GetElement(s, i, d) => {
                let t = read(proc, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let v = view
                    .tuple(t)
                    .and_then(|e| e.get(*i as usize))
                    .map(|w| Word(*w))
                    .ok_or_else(badarg)?;
                write(proc, *d, v);
            }
            Ins::Cons(h, t, d) => {
                let c = proc.heap.cons(0, read(proc, *h), read(proc, *t));
                write(proc, *d, c);
            }
            Ins::SplitList(s, h, t) => {
                let l = read(proc, *s);
                if !l.is_list() {
                    return Err(badarg());
                }
                let (hv, tv) = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                }
                .cons(l);
                write(proc, *h, hv);
                write(proc, *t, tv);
            }
            Ins::PutMap(exact, fail, s, d, pairs) => {
                let map = read(proc, *s);
                let kv: Vec<(Word, Word)> = pairs
                    .iter()
                    .map(|(k, v)| (read(proc, *k), read(proc, *v)))
                    .collect();
                match crate::vm::term::maps::put(
                    &mut proc.heap,
                    &self.literals,
                    &self.atoms,
                    map,
                    &kv,
                    *exact,
                ) {
                    Ok(w) => write(proc, *d, w),
                    Err(e) => return fail_or(*fail, e),
                }
            }
            Ins::GetMap(fail, s, pairs) => {
                let map = read(proc, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let mut found = Vec::with_capacity(pairs.len());
                for (k, d) in pairs.iter() {
                    match crate::vm::term::maps::get(&view, &self.atoms, map, read(proc, *k)) {
                        Some(v) => found.push((*d, v)),
                        None => return Ok(Flow::Goto(*fail)),
                    }
                }
                for (d, v) in found {
                    write(proc, d, v);
                }
            }
            Ins::MakeFun(idx, d, free) => {
                let (_, arity, nfree, _) = m.lambdas[*idx as usize];
                let mut words = vec![
                    Word::small(m.id as i64).expect("id"),
                    Word::small(*idx as i64).expect("index"),
                    Word::small((arity - nfree) as i64).expect("arity"),
                ];
                words.extend(free.iter().map(|s| read(proc, *s)));
                let at = proc.heap.words.len();
                proc.heap.words.push(Word::header(kind::FUN, words.len()).0);
                proc.heap.words.extend(words.iter().map(|w| w.0));
                write(
                    proc,
                    *d,
                    Word::boxed(crate::vm::term::word::Ptr {
                        area: 0,
                        offset: at,
                    }),
                );
            }
            Ins::Try(y, l) => {
                let depth = proc.handlers.len();
                proc.handlers.push(Handler {
                    module: m.id,
                    label: *l,
                    calls: proc.calls.len(),
                    frames: proc.frames.len(),
                    stack: proc.stack.len(),
                });
                write(proc, *y, handler_marker(depth));
            }
            Ins::TryEnd(y) | Ins::CatchEnd(y) => {
                // At a landing pad the handler is already gone.
                let live = proc.handlers.len().checked_sub(1).map(handler_marker);
                if live == Some(read(proc, dst_src(*y))) {
                    proc.handlers.pop();
                }
                write(proc, *y, Word::NIL);
                if matches!(&m.code[pc as usize], Ins::CatchEnd(_)) && proc.x[0] == Word::NONE {
                    proc.x[0] = self.catch_value(proc);
                }
            }
            Ins::Raise(c, r, t) => {
                let (class, reason, trace) = (read(proc, *c), read(proc, *r), read(proc, *t));
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                // A raw trace is {lam, Class, Trace}; raise/2 (class []) takes the class from it.
                let (class, trace) = match view.tuple(trace) {
                    Some([tag, cls, tr]) if Word(*tag) == Word::atom(atom::LAM) => (
                        if class == Word::NIL {
                            Word(*cls)
                        } else {
                            class
                        },
                        Word(*tr),
                    ),
                    _ => (class, trace),
                };
                match class.as_atom() {
                    Some(c @ (atom::ERROR | atom::EXIT | atom::THROW)) => {
                        return Err(Exception {
                            class: c,
                            reason,
                            trace,
                        });
                    }
                    _ => {
                        proc.x[0] = Word::atom(atom::BADARG);
                    }
                }
            }
            Ins::Fail(k, v) => {
                let v = read(proc, *v);
                let tag = |a: u32, proc: &mut Proc| proc.heap.tuple(0, &[Word::atom(a), v]);
                let reason = match crate::lam::isa::FAIL_KINDS[*k as usize] {
                    "badmatch" => tag(atom::BADMATCH, proc),
                    "case_clause" => tag(atom::CASE_CLAUSE, proc),
                    "try_clause" => tag(atom::TRY_CLAUSE, proc),
                    "badrecord" => tag(atom::BADRECORD, proc),
                    "if_clause" => Word::atom(atom::IF_CLAUSE),
                    "function_clause" => {
                        let arity = m.function_at(pc).map_or(0, |(_, a)| a as usize);
                        let args = proc.x[..arity].to_vec();
                        proc.clause_args = Some(list_of(&mut proc.heap, &args));
                        Word::atom(atom::FUNCTION_CLAUSE)
                    }
                    _ => v,
                };
                return Err(Exception::error(reason));
            }
            Ins::SelfPid(d) => write(proc, *d, Word::pid(proc.pid)),
            Ins::Send => {
                let (to, msg) = (proc.x[0], proc.x[1]);
                if let Err(e) = self.send(proc, to, msg) {
                    // `!` fails as erlang:send/2 does, with its frame.
                    let send = self.atoms.intern("send");
                    self.note_bif(proc, atom::ERLANG, send, &[to, msg]);
                    return Err(e);
                }
                proc.x[0] = msg;
            }
            Ins::PeekMessage(l, d) => match proc.mailbox.get(proc.save).copied() {
                Some(msg) => write(proc, *d, msg),
                None => return Ok(Flow::Goto(*l)),
            },
            Ins::NextMessage(l) => {
                proc.save += 1;
                return Ok(Flow::Goto(*l));
            }
            Ins::RemoveMessage => {
                proc.mailbox.remove(proc.save);
                proc.save = 0;
                if proc.deadline.take().is_some() {
                    proc.wait_epoch += 1;
                }
            }
            Ins::Wait(l, t) => {
                // Back in a receive whose timer runs: the timeout operand
                // was read when it started (its register is dead by now, as
                // on the BEAM).
                if let Some(d) = proc.deadline {
                    if d > std::time::Instant::now() {
                        return Ok(Flow::Wait(*l));
                    }
                    proc.deadline = None;
                    proc.save = 0;
                    proc.wait_epoch += 1;
                    return Ok(Flow::Next);
                }
                let t = read(proc, *t);
                if t == Word::atom(atom::INFINITY) {
                    return Ok(Flow::Wait(*l));
                }
                match t.as_small() {
                    Some(0) => {
                        proc.save = 0;
                    }
                    Some(ms) if ms > 0 => {
                        let d =
                            std::time::Instant::now() + std::time::Duration::from_millis(ms as u64);
                        proc.deadline = Some(d);
                        let (pid, epoch) = (proc.pid, proc.wait_epoch);
                        self.with_vm(|vm| vm.timers.timeout(d, pid, epoch));
                        return Ok(Flow::Wait(*l));
                    }
                    _ => {
                        return Err(Exception::error(Word::atom(
                            self.atoms.intern("timeout_value"),
                        )));
                    }
                }
            }
            Ins::RecvMark(k, d, _s) => match crate::lam::isa::MARK_KINDS[*k as usize] {
                "reserve" => write(
                    proc,
                    *d,
                    Word::small(proc.mailbox.len() as i64).expect("length"),
                ),
                "use" => {
                    if let Some(mark) = read(proc, dst_src(*d)).as_small() {
                        proc.save = (mark as usize).min(proc.mailbox.len());
                    }
                }
                _ => {}
            },
            Ins::Spawn(k, arity) => {
                let kind = crate::lam::isa::SPAWN_KINDS[*k as usize];
                let args: Vec<Word> = proc.x[..*arity as usize].to_vec();
                match self.spawn_call(proc, kind, &args) {
                    Ok(w) => proc.x[0] = w,
                    Err(e) => {
                        // It fails as the erlang:spawn* BIF it stands for.
                        let f = self.atoms.intern(kind);
                        self.note_bif(proc, atom::ERLANG, f, &args);
                        return Err(e);
                    }
                }
            }
        }
        Ok(Flow::Next)
    }

    fn import(&mut self, proc: &mut Proc, m: &Arc<Loaded>, i: u32) -> Result<Callee, Exception> {
        if let Some(c) = m.resolved[i as usize].get() {
            return Ok(*c);
        }
        let (mo, f, a) = m.imports[i as usize];
        match self.resolve(mo, f, a) {
            Some(c) => {
                let _ = m.resolved[i as usize].set(c);
                Ok(c)
            }
            None => Err(self.undef(proc, mo, f, a)),
        }
    }

    fn fun_callee(&mut self, proc: &mut Proc, fun: Word, n: usize) -> Result<Callee, Exception> {
        match fun_callee(&self.modules, &self.literals, proc, fun, n)? {
            Ok(c) => Ok(c),
            Err((mo, f, a)) => self.with_vm(|vm| vm.export_callee(proc, mo, f, a)),
        }
    }

    /// What `call_fun` calls: `fun` with `n` arguments, or (`apply`) the
    /// function named by the two registers after the arguments.
    fn call_fun_callee(
        &mut self,
        proc: &mut Proc,
        apply: bool,
        fun: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        if !apply {
            return self.fun_callee(proc, fun, n);
        }
        let (module, function) = (proc.x[n], proc.x[n + 1]);
        self.mfa_callee(proc, module, function, n)
    }

    /// What calling `module:function` with `n` arguments enters (`badarg`
    /// unless both are atoms, `undef` if there is no such function).
    fn mfa_callee(
        &mut self,
        proc: &mut Proc,
        module: Word,
        function: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        let (Some(mo), Some(fu)) = (module.as_atom(), function.as_atom()) else {
            return Err(Exception::error(Word::atom(atom::BADARG)));
        };
        self.with_vm(|vm| vm.export_callee(proc, mo, fu, n as u32))
    }

    fn enter(
        &mut self,
        proc: &mut Proc,
        mid: u32,
        pc: u32,
        callee: Callee,
        arity: usize,
        tail: bool,
    ) -> Result<Flow, Exception> {
        match callee {
            Callee::Code(to_mod, entry) => {
                if !tail {
                    proc.calls.push(Ret {
                        module: mid,
                        pc: pc + 1,
                    });
                }
                Ok(Flow::Enter(to_mod, entry))
            }
            Callee::ProcNative(f) => {
                let args: Vec<Word> = proc.x[..arity].to_vec();
                // Where it is, for natives that look (process_info).
                (proc.mid, proc.pc) = (mid, pc);
                let r = self.with_vm(|vm| f(vm, proc, &args));
                self.native_result(proc, mid, pc, r, tail)
            }
            Callee::Native(f) => {
                let r = self.native(proc, f, arity);
                self.native_result(proc, mid, pc, r, tail)
            }
        }
    }

    fn native_result(
        &mut self,
        proc: &mut Proc,
        mid: u32,
        pc: u32,
        r: NativeResult,
        tail: bool,
    ) -> Result<Flow, Exception> {
        {
            match r {
                NativeResult::Value(v) => {
                    proc.x[0] = v;
                    Ok(if tail { Flow::Return } else { Flow::Next })
                }
                NativeResult::Error(e) => Err(e),
                NativeResult::Retry => Ok(Flow::Retry),
                NativeResult::Apply(fun, fu, args) => {
                    // The call is made again if what it applies must wait:
                    // with the arguments it was given.
                    let given: [Word; 3] = [proc.x[0], proc.x[1], proc.x[2]];
                    let n = args.len();
                    proc.x[..n].copy_from_slice(&args);
                    let callee = if fu == Word::NONE {
                        // apply(Fun, Args).
                        self.fun_callee(proc, fun, n)
                    } else {
                        self.mfa_callee(proc, fun, fu, n)
                    };
                    let flow = self.enter(proc, mid, pc, callee?, n, tail);
                    if let Ok(Flow::Retry) = flow {
                        proc.x[..3].copy_from_slice(&given);
                    }
                    flow
                }
            }
        }
    }

    /// `catch`'s value for the exception in x1..x3.
    fn catch_value(&self, proc: &mut Proc) -> Word {
        let (class, reason, raw) = (proc.x[1], proc.x[2], proc.x[3]);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let trace = match view.tuple(raw) {
            Some([_, _, t]) => Word(*t),
            _ => Word::NIL,
        };
        match class.as_atom() {
            Some(atom::THROW) => reason,
            Some(atom::ERROR) => {
                let inner = proc.heap.tuple(0, &[reason, trace]);
                proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), inner])
            }
            _ => proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), reason]),
        }
    }

    fn gc(&self, proc: &mut Proc, live: usize) {
        let live = live.min(proc.x.len());
        let xs = &mut proc.x[..live];
        let mut dict: Vec<Word> = proc.dict.words();
        let mut mailbox: Vec<Word> = proc.mailbox.iter().copied().collect();
        let mut monitors: Vec<Word> = proc.monitored_by.iter().map(|(r, _)| *r).collect();
        let mut building: Vec<Word> = proc.building.iter().map(|(w, _)| *w).collect();
        let survivors = collect_into(
            &mut proc.heap,
            &mut [
                xs,
                &mut proc.stack,
                &mut dict,
                &mut mailbox,
                &mut monitors,
                &mut building,
            ],
            &mut proc.spare,
        );
        if let (Some(b), Some(w)) = (proc.building.as_mut(), building.first()) {
            b.0 = *w;
        }
        // Only a large heap keeps its old space: an idle process stays small.
        if proc.spare.capacity() < 1 << 16 {
            proc.spare = Vec::new();
        }
        proc.mailbox = mailbox.into();
        for (i, r) in monitors.into_iter().enumerate() {
            proc.monitored_by[i].0 = r;
        }
        proc.dict.set_words(&dict);
        // Room for twice the survivors before the next collection: collecting
        // costs what survives, so this keeps it at half a word per word allocated.
        proc.gc_limit = (survivors * 3).max(1 << 16);
    }
}

/// The stack trace at `pc` of `module`, as Erlang shows it:
/// `[{M, F, A, [{file, F}, {line, L}]}]`, at most eight entries.
fn stack_trace(
    atoms: &Atoms,
    modules: &[Arc<Loaded>],
    proc: &mut Proc,
    module: u32,
    pc: u32,
) -> Word {
    let mut entries = if std::mem::take(&mut proc.drop_current) {
        vec![]
    } else {
        vec![(module, pc)]
    };
    entries.extend(
        proc.calls
            .iter()
            .rev()
            .map(|r| (r.module, r.pc.saturating_sub(1))),
    );
    entries.truncate(8);
    let mut list = Word::NIL;
    let bif = proc.bif_frame.take();
    let clause_args = proc.clause_args.take();
    let top = entries.first().copied();
    for (m, pc) in entries.into_iter().rev() {
        let loaded = &modules[m as usize];
        let Some((f, a)) = loaded.function_at(pc) else {
            continue;
        };
        let loc = match loaded.lam.location(pc) {
            Some((file, line)) => {
                let file_term = proc.heap.from_term(0, &Term::string(file), atoms);
                let fpair = proc.heap.tuple(0, &[Word::atom(atom::FILE), file_term]);
                let lpair = proc.heap.tuple(
                    0,
                    &[
                        Word::atom(atom::LINE),
                        Word::small(line as i64).expect("line"),
                    ],
                );
                let tail = proc.heap.cons(0, lpair, Word::NIL);
                proc.heap.cons(0, fpair, tail)
            }
            None => Word::NIL,
        };
        let arity_or_args = match clause_args {
            Some(args) if Some((m, pc)) == top => args,
            _ => Word::small(a as i64).expect("arity"),
        };
        let e = proc.heap.tuple(
            0,
            &[Word::atom(loaded.name), Word::atom(f), arity_or_args, loc],
        );
        list = proc.heap.cons(0, e, list);
    }
    if let Some((m, f, args, false)) = bif {
        let e = proc
            .heap
            .tuple(0, &[Word::atom(m), Word::atom(f), args, Word::NIL]);
        list = proc.heap.cons(0, e, list);
    } else if let Some((m, f, args, true)) = bif {
        // A failing BIF is the top frame, with its arguments and the
        // module that explains the error (OTP 24+ error_info).
        let explainer = if m == atom::ERLANG {
            "erl_erts_errors"
        } else {
            "erl_stdlib_errors"
        };
        let key = Word::atom(atoms.intern("module"));
        let info_map = proc
            .heap
            .map(0, &[key], &[Word::atom(atoms.intern(explainer))]);
        let info = proc
            .heap
            .tuple(0, &[Word::atom(atoms.intern("error_info")), info_map]);
        let loc = proc.heap.cons(0, info, Word::NIL);
        let e = proc
            .heap
            .tuple(0, &[Word::atom(m), Word::atom(f), args, loc]);
        list = proc.heap.cons(0, e, list);
    }
    list
}

/// What calling `fun` with `n` arguments enters (its free variables put in
/// the registers after the arguments): the code of a local fun, or the
/// `{M, F, A}` an external fun names, for the caller to resolve.
fn fun_callee(
    modules: &[Arc<Loaded>],
    literals: &[Arc<Area>],
    proc: &mut Proc,
    fun: Word,
    n: usize,
) -> Result<Result<Callee, (u32, u32, u32)>, Exception> {
    let badfun =
        |proc: &mut Proc| Exception::error(proc.heap.tuple(0, &[Word::atom(atom::BADFUN), fun]));
    if !fun.is_boxed() {
        return Err(badfun(proc));
    }
    let view = View {
        heap: &proc.heap,
        literals,
    };
    let p = fun.ptr();
    let h = view.at(p, 0);
    match h.header_kind() {
        kind::FUN => {
            let mid = view.at(p, 1).as_small().unwrap_or(0) as usize;
            let idx = view.at(p, 2).as_small().unwrap_or(0) as usize;
            let (entry, arity, nfree, _) = modules[mid].lambdas[idx];
            if (arity - nfree) as usize != n {
                let args = list_of(&mut proc.heap, &proc.x[..n]);
                let inner = proc.heap.tuple(0, &[fun, args]);
                return Err(Exception::error(
                    proc.heap.tuple(0, &[Word::atom(atom::BADARITY), inner]),
                ));
            }
            // A process not yet running holds only its live registers.
            if proc.x.len() < n + nfree as usize {
                proc.x.resize(n + nfree as usize, Word::NIL);
            }
            for k in 0..nfree as usize {
                proc.x[n + k] = view.at(p, 4 + k);
            }
            Ok(Ok(Callee::Code(mid as u32, entry)))
        }
        kind::EXPORT => {
            let (mo, f, a) = (
                view.at(p, 1),
                view.at(p, 2),
                view.at(p, 3).as_small().unwrap_or(0),
            );
            let (mo, f) = (mo.as_atom().unwrap_or(0), f.as_atom().unwrap_or(0));
            if a as usize != n {
                let args = list_of(&mut proc.heap, &proc.x[..n]);
                let inner = proc.heap.tuple(0, &[fun, args]);
                return Err(Exception::error(
                    proc.heap.tuple(0, &[Word::atom(atom::BADARITY), inner]),
                ));
            }
            Ok(Err((mo, f, a as u32)))
        }
        _ => Err(badfun(proc)),
    }
}

fn dst_src(d: Dst) -> Src {
    match d {
        Dst::X(r) => Src::X(r),
        Dst::Y(r) => Src::Y(r),
        Dst::Discard => Src::C(Word::NIL),
    }
}

enum Flow {
    /// Run this instruction again in the next slice: what it does to
    /// another process waits for that one's slice to end.
    Retry,
    Next,
    Goto(u32),
    Enter(u32, u32),
    Return,
    Yield,
    Wait(u32),
}

impl Vm {
    /// `spawn`, `spawn_link` and `spawn_monitor` with a fun (one argument)
    /// or a module, function and argument list (three).
    pub(crate) fn spawn_call(
        &mut self,
        proc: &mut Proc,
        kind: &str,
        args: &[Word],
    ) -> Result<Word, Exception> {
        let badarg = || Exception::error(Word::atom(atom::BADARG));
        let pid = match args {
            // spawn_monitor/1 alone insists on a fun of no arguments (as
            // erlang.erl's does); the others start it and let it fail.
            [fun]
                if kind == "spawn_monitor"
                    && !test(
                        &View {
                            heap: &proc.heap,
                            literals: &self.literals,
                        },
                        &self.atoms,
                        TestOp::IsFunction2,
                        &[*fun, Word::small(0).expect("0")],
                    ) =>
            {
                return Err(badarg());
            }
            [fun] => self.spawn(proc, Some(*fun), None, &[])?,
            [m, f, list] => {
                let (Some(m), Some(f)) = (m.as_atom(), f.as_atom()) else {
                    return Err(badarg());
                };
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let mut items = Vec::new();
                let mut cur = *list;
                while cur.is_list() {
                    let (h, t) = view.cons(cur);
                    items.push(h);
                    cur = t;
                }
                if cur != Word::NIL {
                    return Err(badarg());
                }
                self.spawn(proc, None, Some((m, f)), &items)?
            }
            _ => return Err(badarg()),
        };
        match kind {
            "spawn_link" => {
                proc.links.push(pid);
                if let Some(c) = self.procs.get_mut(&pid) {
                    c.links.push(proc.pid);
                }
                Ok(Word::pid(pid))
            }
            "spawn_monitor" => {
                let r = self.make_ref(&mut proc.heap);
                if let Some(c) = self.procs.get_mut(&pid) {
                    let view = View {
                        heap: &proc.heap,
                        literals: &self.literals,
                    };
                    let rc = view.copy_into(r, &mut c.heap);
                    c.monitored_by.push((rc, proc.pid));
                    let id = ref_id(&view, r).expect("a reference");
                    proc.monitoring.push((id, pid));
                }
                Ok(proc.heap.tuple(0, &[Word::pid(pid), r]))
            }
            _ => Ok(Word::pid(pid)),
        }
    }

    /// Ends process `pid` (not the running one) with `reason`, as an exit signal does.
    fn kill(&mut self, pid: u64, reason: Word, from: &mut Proc) {
        let Some(mut p) = self.procs.remove(&pid) else {
            return;
        };
        self.unready(pid);
        let view = View {
            heap: &from.heap,
            literals: &self.literals,
        };
        let reason = view.copy_into(reason, &mut p.heap);
        self.exit_signals_to(&mut p, reason, Some(from));
        self.ended_by_signal(p, reason);
    }
}

/// The native that needs the VM for `module:function/arity`, if any.
pub fn proc_native(module: &str, function: &str, arity: u32) -> Option<ProcNativeFn> {
    PROC_NATIVES
        .iter()
        .chain(crate::vm::runtime::proc_natives::PROC_BIFS)
        .find(|(m, f, a, _)| *m == module && *f == function && *a == arity)
        .map(|(_, _, _, f)| *f)
}

pub(crate) fn ref_id(v: &View, r: Word) -> Option<u64> {
    (r.is_boxed() && v.header(r).header_kind() == kind::REF).then(|| v.at(r.ptr(), 1).0)
}

pub(crate) fn pid_of(vm: &Vm, w: Word) -> Option<u64> {
    w.as_pid()
        .or_else(|| w.as_atom().and_then(|a| vm.registry.get(&a).copied()))
}

fn value(w: Word) -> NativeResult {
    NativeResult::Value(w)
}

fn nbadarg() -> NativeResult {
    NativeResult::Error(Exception::error(Word::atom(atom::BADARG)))
}

/// `monitor(process, PidOrName)`.
pub(crate) fn monitor(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    if a[0] != Word::atom(atom::PROCESS) {
        return nbadarg();
    }
    if pid_of(vm, a[1]).is_some_and(|t| vm.busy(t, p)) {
        return NativeResult::Retry;
    }
    let r = vm.make_ref(&mut p.heap);
    match pid_of(vm, a[1]) {
        Some(t) if t != p.pid && vm.procs.contains_key(&t) => {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            let target = vm.procs.get_mut(&t).expect("alive");
            let rc = view.copy_into(r, &mut target.heap);
            target.monitored_by.push((rc, p.pid));
            let id = ref_id(&view, r).expect("a reference");
            if let Some(name) = a[1].as_atom() {
                target.monitored_as.push((id, name));
            }
            p.monitoring.push((id, t));
        }
        Some(t) if t == p.pid => {}
        _ => {
            let item = match a[1].as_atom() {
                Some(name) => p
                    .heap
                    .tuple(0, &[Word::atom(name), Word::atom(atom::NONODE)]),
                None => a[1],
            };
            let msg = p.heap.tuple(
                0,
                &[
                    Word::atom(atom::DOWN),
                    r,
                    Word::atom(atom::PROCESS),
                    item,
                    Word::atom(atom::NOPROC),
                ],
            );
            p.mailbox.push_back(msg);
        }
    }
    value(r)
}

fn spawn_native(vm: &mut Vm, p: &mut Proc, a: &[Word], kind: &str) -> NativeResult {
    match vm.spawn_call(p, kind, a) {
        Ok(w) => value(w),
        Err(e) => NativeResult::Error(e),
    }
}

/// The characters of chardata: code points in (nested) lists, and binaries
/// (UTF-8 when `unicode`, else latin-1).
fn chardata(v: &View, w: Word, unicode: bool, out: &mut Vec<u32>) -> Option<()> {
    let out = std::cell::RefCell::new(out);
    crate::vm::natives::bits::walk_chardata(
        v,
        w,
        |i| {
            let c = u32::try_from(i)
                .ok()
                .filter(|c| char::from_u32(*c).is_some())?;
            out.borrow_mut().push(c);
            Some(())
        },
        |b| {
            if unicode {
                out.borrow_mut()
                    .extend(std::str::from_utf8(b).ok()?.chars().map(|c| c as u32));
            } else {
                out.borrow_mut().extend(b.iter().map(|x| *x as u32));
            }
            Some(())
        },
    )
}

fn persistent_get(vm: &mut Vm, p: &mut Proc, key: Word, default: Option<Word>) -> NativeResult {
    let view = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    let k = view.to_term(key, &vm.atoms);
    match vm.persistent.iter().find(|(x, _)| x.cmp_exact(&k).is_eq()) {
        Some((_, v)) => {
            let v = v.clone();
            value(p.heap.from_term(0, &v, &vm.atoms))
        }
        None => default.map_or_else(nbadarg, value),
    }
}

/// `logger:set_primary_config(level, Level)` without a logger process
/// (LAM boots no kernel application): the level goes where OTP's
/// `logger_config:allow/2`, which every logging macro calls, reads it, and
/// the per-module levels it cached from the old one are dropped.
fn set_logger_level(vm: &mut Vm, key: Word, level: Word) -> NativeResult {
    let levels = [
        "none",
        "emergency",
        "alert",
        "critical",
        "error",
        "warning",
        "notice",
        "info",
        "debug",
    ];
    let named = level.as_atom().map(|l| vm.atoms.name(l));
    let number = match named.as_deref() {
        Some("all") => 10,
        Some(l) => match levels.iter().position(|x| *x == l) {
            Some(i) => i as i64 - 1,
            None => return nbadarg(),
        },
        None => return nbadarg(),
    };
    if key != Word::atom(vm.atoms.intern("level")) {
        return nbadarg();
    }
    let config = Term::atom("logger_config");
    vm.persistent.retain(
        |(k, _)| !matches!(k, Term::Tuple(t) if t.len() == 2 && t[0].cmp_exact(&config).is_eq()),
    );
    vm.persistent.push((
        Term::Tuple(vec![config, Term::atom("$primary_config$")]),
        Term::Int(number),
    ));
    value(Word::atom(atom::OK))
}

fn halt(vm: &mut Vm, status: Word) -> NativeResult {
    vm.halted = Some(match status.as_small() {
        Some(s) => s as i32,
        None => 1,
    });
    // Stop this process at once; the scheduler sees `halted` and stops.
    NativeResult::Error(Exception {
        class: atom::EXIT,
        reason: Word::atom(atom::NORMAL),
        trace: Word::NIL,
    })
}

/// Natives that need the VM, by module, name and arity.
pub static PROC_NATIVES: &[(&str, &str, u32, ProcNativeFn)] = &[
    ("erlang", "halt", 0, |vm, _, _| {
        halt(vm, Word::small(0).expect("0"))
    }),
    ("erlang", "halt", 1, |vm, _, a| halt(vm, a[0])),
    ("erlang", "halt", 2, |vm, _, a| halt(vm, a[0])),
    ("persistent_term", "get", 1, |vm, p, a| {
        persistent_get(vm, p, a[0], None)
    }),
    // erl's default (`+pc latin1`): what ~p prints as a string.
    ("io", "printable_range", 0, |vm, _, _| {
        value(Word::atom(vm.atoms.intern("latin1")))
    }),
    // No application is loaded: every environment variable is unset.
    ("application_controller", "get_env", 2, |_, _, _| {
        value(Word::atom(atom::UNDEFINED))
    }),
    ("logger", "set_primary_config", 2, |vm, _, a| {
        set_logger_level(vm, a[0], a[1])
    }),
    ("persistent_term", "get", 2, |vm, p, a| {
        persistent_get(vm, p, a[0], Some(a[1]))
    }),
    ("persistent_term", "put", 2, |vm, p, a| {
        let view = View {
            heap: &p.heap,
            literals: &vm.literals,
        };
        let (k, v) = (view.to_term(a[0], &vm.atoms), view.to_term(a[1], &vm.atoms));
        vm.persistent.retain(|(x, _)| !x.cmp_exact(&k).is_eq());
        vm.persistent.push((k, v));
        value(Word::atom(atom::OK))
    }),
    ("persistent_term", "erase", 1, |vm, p, a| {
        let view = View {
            heap: &p.heap,
            literals: &vm.literals,
        };
        let k = view.to_term(a[0], &vm.atoms);
        let before = vm.persistent.len();
        vm.persistent.retain(|(x, _)| !x.cmp_exact(&k).is_eq());
        value(Word::boolean(vm.persistent.len() < before))
    }),
    ("lam", "put_chars", 2, |vm, p, a| {
        let unicode = a[0] != Word::atom(vm.atoms.intern("latin1"));
        let view = View {
            heap: &p.heap,
            literals: &vm.literals,
        };
        let mut chars = Vec::new();
        match chardata(&view, a[1], unicode, &mut chars) {
            Some(()) => {
                vm.write_out(&chars);
                value(Word::atom(atom::OK))
            }
            None => nbadarg(),
        }
    }),
    ("erlang", "spawn", 1, |vm, p, a| {
        spawn_native(vm, p, a, "spawn")
    }),
    ("erlang", "spawn", 3, |vm, p, a| {
        spawn_native(vm, p, a, "spawn")
    }),
    ("erlang", "spawn_link", 1, |vm, p, a| {
        spawn_native(vm, p, a, "spawn_link")
    }),
    ("erlang", "spawn_link", 3, |vm, p, a| {
        spawn_native(vm, p, a, "spawn_link")
    }),
    ("erlang", "spawn_monitor", 1, |vm, p, a| {
        spawn_native(vm, p, a, "spawn_monitor")
    }),
    ("erlang", "spawn_monitor", 3, |vm, p, a| {
        spawn_native(vm, p, a, "spawn_monitor")
    }),
    ("erlang", "self", 0, |_, p, _| value(Word::pid(p.pid))),
    ("erlang", "make_ref", 0, |vm, p, _| {
        value(vm.make_ref(&mut p.heap))
    }),
    ("erlang", "send", 2, |vm, p, a| {
        match vm.send(p, a[0], a[1]) {
            Ok(()) => value(a[1]),
            Err(e) => NativeResult::Error(e),
        }
    }),
    ("erlang", "!", 2, |vm, p, a| match vm.send(p, a[0], a[1]) {
        Ok(()) => value(a[1]),
        Err(e) => NativeResult::Error(e),
    }),
    ("erlang", "monitor", 2, monitor),
    ("erlang", "demonitor", 1, |vm, p, a| {
        demonitor(vm, p, a[0], false)
    }),
    ("erlang", "demonitor", 2, |vm, p, a| {
        let view = View {
            heap: &p.heap,
            literals: &vm.literals,
        };
        let mut flush = false;
        let mut cur = a[1];
        while cur.is_list() {
            let (h, t) = view.cons(cur);
            flush |= h == Word::atom(vm.atoms.intern("flush"));
            cur = t;
        }
        demonitor(vm, p, a[0], flush)
    }),
    ("erlang", "link", 1, |vm, p, a| match a[0].as_pid() {
        Some(t) if vm.busy(t, p) => NativeResult::Retry,
        Some(t) if vm.procs.contains_key(&t) => {
            if !p.links.contains(&t) {
                p.links.push(t);
                vm.procs.get_mut(&t).expect("alive").links.push(p.pid);
            }
            value(Word::atom(atom::TRUE))
        }
        Some(t) if t == p.pid => value(Word::atom(atom::TRUE)),
        Some(_) => NativeResult::Error(Exception::error(Word::atom(atom::NOPROC))),
        None => nbadarg(),
    }),
    ("erlang", "unlink", 1, |vm, p, a| {
        let Some(t) = a[0].as_pid() else {
            return nbadarg();
        };
        if vm.busy(t, p) {
            return NativeResult::Retry;
        }
        p.links.retain(|x| *x != t);
        if let Some(o) = vm.procs.get_mut(&t) {
            o.links.retain(|x| *x != p.pid);
        }
        value(Word::atom(atom::TRUE))
    }),
    ("erlang", "process_flag", 2, |vm, p, a| {
        if a[0] == Word::atom(vm.atoms.intern("trap_exit")) {
            let old = p.trap_exit;
            p.trap_exit = a[1] == Word::atom(atom::TRUE);
            value(Word::boolean(old))
        } else {
            value(Word::atom(atom::FALSE))
        }
    }),
    ("erlang", "register", 2, |vm, p, a| {
        match (a[0].as_atom(), a[1].as_pid()) {
            // A name is taken once, a process has at most one, and
            // `undefined` is no name.
            (Some(name), Some(pid))
                if name != atom::UNDEFINED
                    && !vm.registry.contains_key(&name)
                    && !vm.registry.values().any(|x| *x == pid)
                    && (pid == p.pid
                        || vm.procs.contains_key(&pid)
                        || vm.running.contains_key(&pid)) =>
            {
                vm.registry.insert(name, pid);
                value(Word::atom(atom::TRUE))
            }
            _ => nbadarg(),
        }
    }),
    ("erlang", "unregister", 1, |vm, _, a| {
        match a[0].as_atom().and_then(|n| vm.registry.remove(&n)) {
            Some(_) => value(Word::atom(atom::TRUE)),
            None => nbadarg(),
        }
    }),
    ("erlang", "whereis", 1, |vm, _, a| {
        match a[0].as_atom().and_then(|n| vm.registry.get(&n)) {
            Some(pid) => value(Word::pid(*pid)),
            None => value(Word::atom(atom::UNDEFINED)),
        }
    }),
    ("erlang", "group_leader", 0, |_, p, _| {
        value(Word::pid(p.group_leader))
    }),
    ("erlang", "group_leader", 2, |vm, p, a| {
        match (a[0].as_pid(), a[1].as_pid()) {
            (Some(_), Some(t)) if vm.busy(t, p) => NativeResult::Retry,
            (Some(gl), Some(t)) => {
                if t == p.pid {
                    p.group_leader = gl;
                } else if let Some(o) = vm.procs.get_mut(&t) {
                    o.group_leader = gl;
                }
                value(Word::atom(atom::TRUE))
            }
            _ => nbadarg(),
        }
    }),
    ("erlang", "is_process_alive", 1, |vm, p, a| {
        match a[0].as_pid() {
            Some(t) => value(Word::boolean(
                t == p.pid || vm.procs.contains_key(&t) || vm.running.contains_key(&t),
            )),
            None => nbadarg(),
        }
    }),
    ("erlang", "exit", 2, |vm, p, a| {
        let Some(t) = pid_of(vm, a[0]) else {
            return nbadarg();
        };
        let (reason, kill) = (a[1], a[1] == Word::atom(atom::KILL));
        if vm.busy(t, p) {
            return NativeResult::Retry;
        }
        if t == p.pid {
            if reason != Word::atom(atom::NORMAL) || !p.trap_exit {
                return NativeResult::Error(Exception {
                    class: atom::EXIT,
                    reason: if kill {
                        Word::atom(atom::KILLED)
                    } else {
                        reason
                    },
                    trace: Word::NONE,
                });
            }
            return value(Word::atom(atom::TRUE));
        }
        let trapping = vm.procs.get(&t).is_some_and(|o| o.trap_exit);
        if trapping && !kill {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            let target = vm.procs.get_mut(&t).expect("alive");
            let r = view.copy_into(reason, &mut target.heap);
            let msg = target
                .heap
                .tuple(0, &[Word::atom(atom::EXIT_TAG), Word::pid(p.pid), r]);
            vm.enqueue(t, msg);
        } else if reason != Word::atom(atom::NORMAL) {
            let reason = if kill {
                Word::atom(atom::KILLED)
            } else {
                reason
            };
            vm.kill(t, reason, p);
        }
        value(Word::atom(atom::TRUE))
    }),
];

fn demonitor(vm: &mut Vm, p: &mut Proc, r: Word, flush: bool) -> NativeResult {
    let view = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    let Some(id) = ref_id(&view, r) else {
        return nbadarg();
    };
    let target = p.monitoring.iter().find(|(x, _)| *x == id).map(|(_, t)| *t);
    if target.is_some_and(|t| vm.busy(t, p)) {
        return NativeResult::Retry;
    }
    if let Some(i) = p.monitoring.iter().position(|(x, _)| *x == id) {
        let (_, target) = p.monitoring.swap_remove(i);
        if let Some(other) = vm.procs.get_mut(&target) {
            let ov = View {
                heap: &other.heap,
                literals: &vm.literals,
            };
            other
                .monitored_by
                .retain(|(x, w)| !(*w == p.pid && ref_id(&ov, *x) == Some(id)));
        }
    }
    if vm
        .aliases
        .get(&id)
        .is_some_and(|(o, m)| *o == p.pid && *m != AliasMode::Explicit)
    {
        vm.aliases.remove(&id);
    }
    if flush {
        let view = View {
            heap: &p.heap,
            literals: &vm.literals,
        };
        p.mailbox.retain(|m| {
            !matches!(view.tuple(*m), Some([tag, r2, ..]) if Word(*tag) == Word::atom(atom::DOWN) && ref_id(&view, Word(*r2)) == Some(id))
        });
    }
    value(Word::atom(atom::TRUE))
}
