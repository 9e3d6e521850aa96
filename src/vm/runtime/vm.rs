//! The VM: what processes share (the process table, registry, aliases,
//! loaded code, `persistent_term`, timers, output), and the operations on
//! it: loading, spawning, signals, sending.

use std::collections::HashMap;
use std::sync::Arc;

use crate::term::Term;
use crate::vm::code::kinds::SpawnKind;
use crate::vm::code::loader::{self, Callee, Loaded};
use crate::vm::code::path::{self, CodePath};
use crate::vm::exec::calls::fun_callee;
use crate::vm::exec::proc::{PORT_LINK, Priority, Proc, link_word};
use crate::vm::exec::trace::stack_trace;
use crate::vm::native::Fun;
use crate::vm::natives::registry;
use crate::vm::ops::ets::Key;
use crate::vm::ops::test::{TestOp, test};
use crate::vm::runtime::runq::RunQueue;
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::idmap::IdMap;
use crate::vm::term::list::list_of;
use crate::vm::term::memory::{Account, Memory, copy_bytes, refused};
use crate::vm::term::word::{Word, kind};

/// The VM: atoms, loaded modules and their literal areas, the code path.
pub struct Vm {
    /// The atom table (shared with the scheduler threads: it locks inside).
    pub atoms: Arc<Atoms>,
    /// Loaded modules, by id.
    pub modules: Vec<Arc<Loaded>>,
    /// The current code of each module, by name.
    pub(crate) by_name: HashMap<u32, u32>,
    /// The old code of modules replaced or deleted and not yet purged.
    pub(crate) old: HashMap<u32, u32>,
    /// Every module name ever loaded (erl's module table keeps an entry
    /// for each: `delete_module/1` answers `true` for one with no code).
    pub(crate) known: std::collections::HashSet<u32>,
    /// Code loaded with an `-on_load` function not yet run, by name.
    pub(crate) on_load: HashMap<u32, u32>,
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
    pub(crate) run_queues: Vec<RunQueue>,
    /// The scheduler holding the VM's lock.
    pub(crate) current: usize,
    /// How many scheduler threads run processes.
    pub schedulers: usize,
    /// How many of them take work (`system_flag(schedulers_online, N)`):
    /// those numbered from here on sleep. Set to all when a run starts.
    pub(crate) schedulers_online: usize,
    pub(crate) next_pid: u64,
    pub(crate) next_ref: u64,
    pub(crate) registry: IdMap<u32, u64>,
    /// Active process aliases: reference number → owner, and whether the
    /// alias ends with its monitor (`{alias, demonitor}`) or with the first
    /// message through it (`reply_demonitor`).
    pub(crate) aliases: IdMap<u64, (u64, AliasMode)>,
    /// Process flags set with `process_flag/2` that change nothing in how a
    /// process runs (save_calls, sensitive, ...): pid → (flag atom, value),
    /// immediates only, so `process_flag/2` returns the old value.
    pub(crate) proc_flags: IdMap<u64, Vec<(u32, Word)>>,
    /// The finished root process, so its result can be read.
    pub last_heap: Option<Box<Proc>>,
    /// The process whose end ends the run (`None`: the run ends when no
    /// process can run).
    pub(crate) root: Option<u64>,
    /// How the run ended, once it has: the root's value or exception.
    pub(crate) ended: Option<Result<Word, Exception>>,
    /// The root's exit value as erl's error report shows it (`~p`), once
    /// the group leader has formatted it for a root that crashed: bytes
    /// encoded as standard output's are.
    pub exit_report: Option<Vec<u8>>,
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
    pub(crate) group_leader: Option<u32>,
    /// `persistent_term`: keys and values, each pair in an area of its own.
    pub(crate) persistent: Vec<Persistent>,
    /// What `persistent` holds, in the memory budget ([`Vm::charge_persistent`]).
    pub(crate) persistent_held: crate::vm::term::memory::Account,
    /// Set by `erlang:halt/0,1`: the VM stops with this status.
    pub halted: Option<i32>,
    /// What `erlang:statistics/1` keeps between calls.
    pub(crate) stats: Stats,
    /// Receive timeouts and message timers.
    pub(crate) timers: crate::vm::runtime::timers::Timers,
    /// The VM's environment variables (copied from the process's at start).
    pub(crate) env: Arc<crate::vm::native::Env>,
    /// The debugging output the environment asked for at start.
    pub(crate) debug: crate::vm::native::DebugFlags,
    /// The ETS tables.
    pub(crate) ets: Arc<crate::vm::ops::ets::Tables>,
    /// `system_flag(system_logger, _)`: the process the emulator's own
    /// reports are for (a pid), `logger` (the registered name, erl's
    /// default) or `undefined`. Kept for OTP's `logger_proxy`; LAM's
    /// reports still go through its group leader.
    pub(crate) system_logger: Word,
    /// The system flags `system_flag/2` sets (`backtrace_depth` and the
    /// ones only reported).
    pub(crate) sys: crate::vm::runtime::flags::SysFlags,
    /// Modules translated by `erlang:prepare_loading/2`, by the number of
    /// the reference that names them, until `finish_loading/1`.
    pub(crate) prepared: HashMap<u64, crate::lam::Module>,
    /// The port table (`runtime::port_table`, `runtime::ports`).
    pub(crate) ports: crate::vm::runtime::port_table::Ports,
    /// OTP's system: off until first needed (`runtime/boot.rs`).
    pub(crate) system: System,
    /// The file each module the VM read itself came from, by name.
    pub(crate) files: HashMap<u32, std::path::PathBuf>,
    /// The program's arguments, which `init:get_plain_arguments/0` gives.
    pub plain_args: Vec<String>,
    /// Flags for OTP's `init` from the command line (`-config F`, `-App
    /// Key Value`, ...): given any, the system boots before the entry
    /// function runs, as erl applies them before it runs a program.
    pub boot_flags: Vec<String>,
    /// Whether the run's first process died of its own exception (not of
    /// the system's stop, which ends it too).
    pub root_crashed: bool,
    /// Whether the VM has asked `init` to stop the system.
    pub(crate) system_stopping: bool,
    /// Whether `run_main`'s process traps exits (a main/1, run as
    /// `erl -run` runs it).
    pub root_trap_exit: bool,
    /// For embedders and fuzzing: the most reductions all processes
    /// together may spend; past it the run stops with
    /// [`Vm::over_budget`] set.
    pub max_reductions: Option<u64>,
    /// For embedders and fuzzing: the wall-clock time past which the run
    /// stops with [`Vm::over_budget`] set (checked after each slice).
    pub deadline: Option<std::time::Instant>,
    /// For embedders: the VM-wide memory budget (`Memory::set_limit`;
    /// `run --max-memory BYTES`). A process whose collection or native
    /// would pass it exits with reason `out_of_memory`; the others go on.
    pub memory: Arc<crate::vm::term::memory::Memory>,
    /// Reductions spent by all processes so far (slices ended).
    pub spent_reductions: u64,
    /// Why the run was stopped early by a budget, if it was.
    pub over_budget: Option<String>,
    /// Processes spawned by one whose slice has not ended yet: they join
    /// a run queue when that slice ends (`spawned`, by parent), as on erl,
    /// where a child waits in its parent's run queue while the parent goes
    /// on. So a parent that spawns, then registers, sends to or writes for
    /// the child has done so before the child runs, on any number of
    /// schedulers (no idle one takes the child first).
    pub(crate) held: IdMap<u64, ()>,
    pub(crate) spawned: IdMap<u64, Vec<u64>>,
}

/// Characters as UTF-8, or as latin-1 bytes: a latin-1 device shows other
/// characters as escapes (`\x{3A9}`), as erl's `user` does.
fn encode_chars(chars: &[u32], unicode: bool, out: &mut Vec<u8>) {
    for &c in chars {
        match char::from_u32(c) {
            Some(ch) if unicode => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            _ if c > 255 => out.extend_from_slice(format!("\\x{{{c:X}}}").as_bytes()),
            _ => out.push(c as u8),
        }
    }
}

/// What erl's boot leaves in `persistent_term` that library code reads:
/// no optional language features enabled (OTP 25's default).
pub(crate) fn boot_persistent_terms(atoms: &Atoms) -> Vec<Persistent> {
    let key = |k: &str| Term::Tuple(vec![Term::atom("erl_features"), Term::atom(k)]);
    vec![
        Persistent::of_terms(atoms, &key("init_done"), &Term::atom("true")),
        Persistent::of_terms(atoms, &key("enabled_features"), &Term::Nil),
        Persistent::of_terms(atoms, &key("keywords"), &Term::Nil),
    ]
}

/// A persistent term: its key and value copied whole (literals too) into
/// an area of its own, so a term of any depth is stored, found and copied
/// out without recursion, and outlives the code it came from.
#[derive(Debug, Clone)]
pub(crate) struct Persistent {
    /// The key, for `=:=`.
    pub(crate) key: Key,
    /// Where `pair` lives.
    area: Area,
    /// `{Key, Value}`.
    pair: Word,
}

impl Persistent {
    /// The pair `key`, `value`, read through `v`.
    pub(crate) fn new(v: &View, key: Word, value: Word) -> Persistent {
        Persistent::new_in(Area::default(), v, key, value)
    }

    /// [`Persistent::new`] in `area` (empty, perhaps with room reserved).
    fn new_in(mut area: Area, v: &View, key: Word, value: Word) -> Persistent {
        let (k, x) = (v.copy_whole(key, &mut area), v.copy_whole(value, &mut area));
        let pair = area.tuple(0, &[k, x]);
        Persistent {
            key: Key::exact(v, key),
            area,
            pair,
        }
    }

    /// [`Persistent::new`] when the copy fits in `memory` and the
    /// allocator gives it room; else the bytes refused.
    pub(crate) fn within(
        memory: &Memory,
        v: &View,
        key: Word,
        value: Word,
    ) -> Result<Persistent, usize> {
        let bytes = [key, value].iter().try_fold(32usize, |sum, w| {
            let cap = memory.left().saturating_sub(sum);
            copy_bytes(v, *w, true, cap)
                .map(|b| sum + b)
                .ok_or(sum.saturating_add(cap))
        })?;
        let mut area = Area::default();
        memory.grow(&mut area.words, bytes / 8)?;
        Ok(Persistent::new_in(area, v, key, value))
    }

    /// The bytes its area holds.
    pub(crate) fn bytes(&self) -> usize {
        self.area.words.capacity() * 8 + self.area.offheap_bytes
    }

    /// The pair `key`, `value` given in external form.
    pub(crate) fn of_terms(atoms: &Atoms, key: &Term, value: &Term) -> Persistent {
        let mut scratch = Area::default();
        let (k, x) = (
            scratch.from_term(0, key, atoms),
            scratch.from_term(0, value, atoms),
        );
        let v = View {
            heap: &scratch,
            literals: &[],
        };
        Persistent::new(&v, k, x)
    }

    /// A copy on `heap` of `{Key, Value}` (`whole`) or of the value, given
    /// room first (the area's words bound it: it was copied in without
    /// sharing), or the bytes `memory` or the allocator refused: in erl a
    /// `get` shares the stored term, in LAM it copies, again at each call.
    pub(crate) fn copy_out(
        &self,
        memory: &Memory,
        heap: &mut Area,
        whole: bool,
    ) -> Result<Word, usize> {
        memory.grow(&mut heap.words, self.area.words.len())?;
        let v = View {
            heap: &self.area,
            literals: &[],
        };
        let w = if whole {
            self.pair
        } else {
            v.at(self.pair.ptr(), 2)
        };
        Ok(v.copy_into(w, heap))
    }
}

/// The group leader's compiled Erlang code (source: `src/vm/erl/lam_gl.erl`).
const GROUP_LEADER_BEAM: &[u8] = include_bytes!("../erl/lam_gl.beam");

/// Logger's macros on LAM (source: `src/vm/erl/lam_logger.erl`).
const LOGGER_BEAM: &[u8] = include_bytes!("../erl/lam_logger.beam");

/// The hooks of OTP's system boot (source: `src/vm/erl/lam_system.erl`).
const SYSTEM_BEAM: &[u8] = include_bytes!("../erl/lam_system.beam");

/// OTP functions that run as our own Erlang code instead: what they need
/// (logger's process and tables) is not there in LAM's minimal boot.
const REDIRECTS: &[(&str, &str, &str)] = &[
    ("logger", "macro_log", "lam_logger"),
    // The code server learns of the modules the VM loaded on its own.
    ("init", "fetch_loaded", "lam_system"),
    // A BIF on erl; here Erlang code over spawn_opt (no distribution).
    ("erlang", "spawn_request", "lam_system"),
];

/// Where OTP's system is.
#[derive(Debug, Default)]
pub(crate) enum System {
    /// Not booted: LAM's stand-ins answer.
    #[default]
    Off,
    /// `init` is booting it; these processes wait for it.
    Booting(Vec<u64>),
    /// Kernel and stdlib run: OTP's code answers.
    Up,
    /// It cannot boot here (no OTP root on the code path, no `init`): the
    /// stand-ins keep answering.
    Unavailable,
}

/// A signal that reached a process while it ran on another scheduler
/// (its heap is that scheduler's until the slice ends). It is kept, in
/// the order sent, and takes effect when the slice ends: BEAM signals too
/// take effect when the receiver handles them, not when they are sent.
/// Natives that act on another process (link, monitor, exit/2,
/// process_info) do not defer: they wait for the slice to end (see
/// `NativeResult::Retry`), so that their answer is the process's.
pub(crate) enum Deferred {
    /// A message, in an area of its own, whose bytes count against the
    /// memory budget until it is copied into the receiver's heap.
    Message(Area, Word, Account),
    /// The process it monitored ended: the monitor's reference number.
    MonitorGone(u64),
    /// A linked process (`from`) ended with a reason (in its own area).
    LinkExit(u64, Area, Word),
    /// A process waits for this one's slice to end, to act on it: it runs
    /// next.
    Waiter(u64),
    /// A signal's copy (an exit reason) was refused this many bytes by
    /// the memory budget or the allocator: it exits with `out_of_memory`.
    Refused(u64),
}

/// Words of heap room asked beyond an exit reason's copy for what a
/// signal builds around it (a `'DOWN'` tuple, its reference and
/// `{Name, Node}`): the signal's allocations after the copy then never
/// grow the heap by the vector's doubling.
const SIGNAL_WORDS: usize = 16;

/// Whether `pid` is the process `running` (the caller's, out of the table).
pub(crate) fn is(running: &Option<&mut Proc>, pid: u64) -> bool {
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

impl Vm {
    /// A VM that loads modules from these directories.
    pub fn new(code_path: Vec<std::path::PathBuf>) -> Vm {
        // Translated once per OS process: tests, fuzzers and embedders make
        // many VMs, and reading and translating these three took most of
        // the time a short run needs.
        static EMBEDDED: std::sync::OnceLock<[crate::lam::Module; 3]> = std::sync::OnceLock::new();
        let [group_leader, logger, system] = EMBEDDED.get_or_init(|| {
            [GROUP_LEADER_BEAM, LOGGER_BEAM, SYSTEM_BEAM].map(|bytes| {
                let beam = crate::beam::read(bytes).expect("an embedded module reads");
                crate::translate::translate(&beam)
                    .expect("an embedded module translates")
                    .module
            })
        });
        let mut vm = Vm::bare(code_path);
        vm.group_leader = Some(vm.add(group_leader.clone()));
        vm.add(logger.clone());
        vm.add(system.clone());
        vm
    }

    pub(crate) fn bare(code_path: Vec<std::path::PathBuf>) -> Vm {
        let env = crate::vm::native::Env::from_process();
        let debug = crate::vm::native::DebugFlags::from_env(&env);
        let atoms = Arc::new(Atoms::new());
        let system_logger = Word::atom(atoms.intern("logger"));
        let persistent = boot_persistent_terms(&atoms);
        Vm {
            atoms,
            modules: Vec::new(),
            by_name: HashMap::new(),
            old: HashMap::new(),
            known: Default::default(),
            on_load: HashMap::new(),
            literals: Vec::new(),
            code_path: CodePath::new(code_path),
            failed: HashMap::new(),
            procs: IdMap::default(),
            running: IdMap::default(),
            run_queues: vec![RunQueue::default()],
            current: 0,
            schedulers: crate::vm::platform::processors(),
            schedulers_online: 0,
            next_pid: 1,
            next_ref: 1,
            registry: IdMap::default(),
            aliases: IdMap::default(),
            proc_flags: IdMap::default(),
            last_heap: None,
            root: None,
            ended: None,
            exit_report: None,
            stopped: false,
            idle: 0,
            out: Vec::new(),
            stream_stdout: false,
            group_leader: None,
            persistent,
            halted: None,
            stats: Default::default(),
            timers: Default::default(),
            env: Arc::new(env),
            debug,
            ets: Default::default(),
            system_logger,
            sys: Default::default(),
            prepared: HashMap::new(),
            ports: Default::default(),
            system: Default::default(),
            files: HashMap::new(),
            plain_args: Vec::new(),
            boot_flags: Vec::new(),
            root_crashed: false,
            system_stopping: false,
            root_trap_exit: false,
            max_reductions: None,
            deadline: None,
            memory: Default::default(),
            persistent_held: Default::default(),
            spent_reductions: 0,
            over_budget: None,
            held: IdMap::default(),
            spawned: IdMap::default(),
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
            Ok((m, md5)) => {
                let id = self.add(m);
                if self.system_up() {
                    self.tell_code_server(name, &path);
                }
                self.files.insert(name, path);
                if let Some(loaded) = Arc::get_mut(&mut self.modules[id as usize]) {
                    loaded.md5 = md5;
                }
                Some(id)
            }
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
        let id = self.link(m);
        let name = self.modules[id as usize].name;
        self.by_name.insert(name, id);
        self.known.insert(name);
        id
    }

    /// Links a module under a new id, which no name reaches yet.
    pub(crate) fn link(&mut self, m: crate::lam::Module) -> u32 {
        let id = self.modules.len() as u32;
        let (loaded, area) = loader::link(m, id, &self.atoms, registry());
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
        if self.stand_in_aside(&mn, &fname) {
            let id = self.module(module)?;
            let entry = *self.modules[id as usize].exports.get(&(function, arity))?;
            return Some(Callee::Code(id, entry));
        }
        if let Some((_, _, to)) = REDIRECTS
            .iter()
            .find(|(m, f, _)| *m == &*mn && *f == &*fname)
        {
            let to = self.atoms.intern(to);
            let id = self.module(to)?;
            let entry = *self.modules[id as usize].exports.get(&(function, arity))?;
            return Some(Callee::Code(id, entry));
        }
        if let Some(n) = registry().get(&mn, &fname, arity) {
            return Some(match n.fun {
                Fun::Heap(f) => Callee::Native(f),
                Fun::Host(op) => Callee::Host(op),
            });
        }
        let id = self.module(module)?;
        let entry = *self.modules[id as usize].exports.get(&(function, arity))?;
        if self.debug.undef
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
        root.sig.trap_exit = self.root_trap_exit;
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
            _ => {
                // As `spawn/3` of a missing function: the process starts and
                // dies of undef, so it has its error report and a stack
                // trace on its own heap (the run reads its exit from there).
                let args = root.x.clone();
                let e = self.undef(&mut root, module, function, &args);
                root.raising.drop_current = true;
                let trace = self.trace(&mut root, 0, 0);
                root.pending_failure = Some(Exception { trace, ..e });
            }
        }
        let root_pid = root.pid;
        // With flags for the system (an application's environment), the
        // program starts once the system has applied them.
        let waits = !self.boot_flags.is_empty() && self.wait_for_system(&mut root);
        self.procs.insert(root_pid, root);
        if !waits {
            self.ready(root_pid);
        }
        match self.schedule(Some(root_pid)) {
            Some(r) => r,
            // Stopped by a budget before the root ended: the caller reads
            // `over_budget`; the exception only says the run was cut.
            None => Err(Exception {
                class: atom::EXIT,
                reason: Word::atom(self.atoms.intern("budget")),
                trace: Word::NIL,
            }),
        }
    }

    /// Counts a slice's reductions against the run's budgets, and stops
    /// the run when one is spent.
    pub(crate) fn charge(&mut self, reductions: u64) {
        self.spent_reductions += reductions;
        if self.over_budget.is_some() {
            return;
        }
        if let Some(max) = self.max_reductions
            && self.spent_reductions >= max
        {
            self.over_budget = Some(format!(
                "the run spent its budget of {max} reductions ({} spent)",
                self.spent_reductions
            ));
        } else if let Some(d) = self.deadline
            && std::time::Instant::now() >= d
        {
            self.over_budget = Some("the run passed its deadline".to_string());
        }
        if self.over_budget.is_some() {
            self.stopped = true;
        }
    }

    /// Starts the group leader process (once) and returns its pid.
    pub(crate) fn start_group_leader(&mut self) -> u64 {
        if let Some(pid) = self.group_leader_pid() {
            return pid;
        }
        let mut gl = Box::new(Proc::default());
        gl.pid = self.next_pid;
        self.next_pid += 1;
        gl.group_leader = gl.pid;
        let m = self.group_leader.expect("loaded in Vm::new");
        let entry = self.modules[m as usize].exports[&(self.atoms.intern("loop"), 0)];
        (gl.mid, gl.pc, gl.rx.wake_pc) = (m, entry, u32::MAX);
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

    /// Writes `chars` to standard output, as UTF-8 or as latin-1 bytes
    /// (the group leader's encoding, `io:setopts/1`).
    pub(crate) fn write_out(&mut self, chars: &[u32], unicode: bool) {
        let mut bytes = Vec::with_capacity(chars.len());
        encode_chars(chars, unicode, &mut bytes);
        self.write_bytes(&bytes);
    }

    /// Writes `bytes` to standard output (or the output buffer): the group
    /// leader and a port on descriptor 1 both write here, so their output
    /// stays in order. Nothing is written once the VM has halted: erl
    /// stops at `halt/1`, and what other processes were about to print
    /// (another scheduler's crash report, say) never appears.
    pub(crate) fn write_bytes(&mut self, bytes: &[u8]) {
        if self.halted.is_some() {
            return;
        }
        if self.stream_stdout {
            use std::io::Write;
            let mut so = std::io::stdout().lock();
            let _ = so.write_all(bytes);
            let _ = so.flush();
        } else {
            self.out.extend_from_slice(bytes);
        }
    }

    /// Characters as standard output takes them at start: latin-1 bytes,
    /// as under `erl -noshell`.
    pub(crate) fn encode_out(&self, chars: &[u32], out: &mut Vec<u8>) {
        encode_chars(chars, false, out);
    }

    /// The group leader's pid, once started.
    pub(crate) fn group_leader_pid(&self) -> Option<u64> {
        let name = self.atoms.existing("lam_group_leader")?;
        self.registry.get(&name).copied()
    }

    /// Has the group leader print the emulator's error report for `p`,
    /// which died of an uncaught exception with `reason`.
    pub(crate) fn error_report(&mut self, p: &Proc, reason: Word) {
        if self.report_to_logger(p, reason) {
            return;
        }
        self.tell_group_leader("lam_error_report", p, reason);
    }

    /// Has the group leader format the exit value of the root process,
    /// which died with `reason`, as erl's error report does (`~p`, OTP's
    /// own `io_lib` doing the line breaking), for the run to print.
    pub(crate) fn exit_value_report(&mut self, p: &Proc, reason: Word) {
        if Some(p.pid) == self.root {
            self.tell_group_leader("lam_exit_value", p, reason);
        }
    }

    /// Sends the group leader `{Tag, Pid, Reason}` about process `p`.
    fn tell_group_leader(&mut self, tag: &str, p: &Proc, reason: Word) {
        let Some(gl) = self.group_leader_pid() else {
            return;
        };
        let tag = Word::atom(self.atoms.intern(tag));
        let memory = self.memory.clone();
        self.deliver(gl, |heap, literals| {
            let v = View {
                heap: &p.heap,
                literals,
            };
            // The group leader serves every process and must not die of
            // one's reason.
            let reason = memory.copy_or_out_of_memory(&v, reason, heap);
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
                    if p.rx.wait_epoch != epoch || p.rx.deadline.is_none() {
                        continue;
                    }
                    // A process that is runnable meets its passed deadline
                    // when it reaches `wait` again.
                    if p.rx.waiting {
                        p.rx.waiting = false;
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
                    self.deliver_area(to, t.area, t.msg, t.held);
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
    pub(crate) fn exit_signals_to(
        &mut self,
        p: &mut Proc,
        reason: Word,
        mut running: Option<&mut Proc>,
    ) {
        let from = Word::pid(p.pid);
        // Its ETS tables go to their heirs or are deleted (runtime::ets_owner).
        self.ets_owner_exit(p.pid, &mut running);
        // As erl does: a timer aimed at a process that is gone would only
        // keep its copy (and its share of the memory budget) for nobody.
        self.timers.cancel_for(p.pid);
        self.registry.retain(|_, v| *v != p.pid);
        self.proc_flags.remove(&p.pid);
        // Its heap goes with it: the copies of its reason that its watchers
        // get count in its place (a reason of half the budget reaches one).
        p.account = Account::default();
        // A cheap copy (a vector of Arcs) so that p's heap can be read while
        // other processes' heaps are written.
        let literals = self.literals.clone();
        let view = View {
            heap: &p.heap,
            literals: &literals,
        };
        // Sized once for all of them (a small reason without a walk).
        let words = self.memory.copy_words(&view, reason);
        for (id, watcher) in std::mem::take(&mut p.sig.monitored_by) {
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
                w.sig.monitoring.retain(|(x, _)| *x != id)
            });
            let by_name = p
                .sig
                .monitored_as
                .iter()
                .find(|(x, _)| *x == id)
                .map(|(_, name)| *name);
            self.signal_within(&mut running, watcher, words, |heap| {
                let (r, reason) = (heap.reference(0, id), view.copy_into(reason, heap));
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
        for linked in std::mem::take(&mut p.sig.links) {
            if linked & PORT_LINK != 0 {
                self.port_exit_signal(&mut running, linked & !PORT_LINK, p.pid, &view, reason);
                continue;
            }
            if self.running.contains_key(&linked) && !is(&running, linked) {
                let mut area = Area::default();
                match words.and_then(|w| self.memory.grow(&mut area.words, w)) {
                    Ok(_) => {
                        let reason = view.copy_into(reason, &mut area);
                        self.defer(linked, Deferred::LinkExit(p.pid, area, reason));
                    }
                    Err(b) => self.defer(linked, Deferred::Refused(b as u64)),
                }
            } else {
                self.link_exit(&mut running, linked, p.pid, &view, reason);
            }
        }
    }

    /// The exit signal of linked process `from`, ended with `reason` (read
    /// through `view`), reaches `to`: unlinks it, then is a message if `to`
    /// traps exits, else ends it unless the reason is `normal`.
    pub(crate) fn link_exit(
        &mut self,
        running: &mut Option<&mut Proc>,
        to: u64,
        from: u64,
        view: &View,
        reason: Word,
    ) {
        let Some(trapping) = self.with_proc(running, to, |l| {
            l.sig.links.retain(|x| *x != from);
            l.sig.trap_exit
        }) else {
            return;
        };
        if trapping {
            let words = self.memory.copy_words(view, reason);
            self.signal_within(running, to, words, |heap| {
                let reason = view.copy_into(reason, heap);
                heap.tuple(0, &[Word::atom(atom::EXIT_TAG), link_word(from), reason])
            });
        } else if reason != Word::atom(atom::NORMAL) {
            // It dies of the reason, or of `out_of_memory` when its heap
            // cannot hold a copy of it.
            let memory = self.memory.clone();
            let copy = |p: &mut Proc| match memory.copy_within(view, reason, &mut p.heap) {
                Ok((r, _)) => r,
                Err(b) => {
                    refused_line(p.pid, b, "its exit reason");
                    Word::atom(atom::OUT_OF_MEMORY)
                }
            };
            if let Some(run) = running.as_deref_mut().filter(|x| x.pid == to) {
                // The running process dies at its next instruction.
                run.pending_exit = Some(copy(run));
            } else if let Some(mut l) = self.procs.remove(&to) {
                self.unready(to);
                let reason = copy(&mut l);
                self.exit_signals_to(&mut l, reason, running.as_deref_mut());
                self.ended_by_signal(l, reason);
            }
        }
    }

    /// Runs `f` on process `pid`: the one running (out of the table) or one in the table.
    pub(crate) fn with_proc<R>(
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
    pub(crate) fn signal(
        &mut self,
        running: &mut Option<&mut Proc>,
        to: u64,
        build: impl FnOnce(&mut Area) -> Word,
    ) {
        if let Some(run) = running.as_deref_mut().filter(|x| x.pid == to) {
            let msg = build(&mut run.heap);
            run.rx.mailbox.push_back(msg);
        } else {
            self.deliver(to, |heap, _| build(heap));
        }
    }

    /// As [`Vm::signal`], for a message holding a copy from a process that
    /// ended (an exit reason) of `words` words (or the bytes the budget
    /// refused it). The heap (or area) is given room for it and the
    /// message around it first, and the room counts to the receiver. Its
    /// sender is gone and cannot pay, so a refusal ends the **receiver**
    /// with `out_of_memory`, as a message too large for its heap does
    /// ([`Vm::deliver_area`]); the VM never aborts on it.
    pub(crate) fn signal_within(
        &mut self,
        running: &mut Option<&mut Proc>,
        to: u64,
        words: Result<usize, usize>,
        build: impl FnOnce(&mut Area) -> Word,
    ) {
        let words = words.map(|w| w.saturating_add(SIGNAL_WORDS));
        let memory = self.memory.clone();
        let room = |p: &mut Proc| -> Result<(), usize> {
            let grew = words.and_then(|w| memory.grow(&mut p.heap.words, w))?;
            p.account.add(&memory, grew);
            Ok(())
        };
        if let Some(run) = running.as_deref_mut().filter(|x| x.pid == to) {
            match room(run) {
                Ok(()) => {
                    let msg = build(&mut run.heap);
                    run.rx.mailbox.push_back(msg);
                }
                Err(b) => {
                    refused_line(to, b, "a signal to it");
                    run.pending_exit = Some(Word::atom(atom::OUT_OF_MEMORY));
                }
            }
        } else if let Some(r) = self.procs.get_mut(&to) {
            match room(r) {
                Ok(()) => {
                    let msg = build(&mut r.heap);
                    self.enqueue(to, msg);
                }
                Err(b) => self.receiver_refused(running, to, b, "a signal to it"),
            }
        } else if self.running.contains_key(&to) {
            let mut area = Area::default();
            match words.and_then(|w| memory.grow(&mut area.words, w)) {
                Ok(_) => {
                    let msg = build(&mut area);
                    let held = Account::of_area(&memory, &area);
                    self.defer(to, Deferred::Message(area, msg, held));
                }
                Err(b) => self.defer(to, Deferred::Refused(b as u64)),
            }
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
            let held = Account::of_area(&self.memory, &area);
            self.defer(to, Deferred::Message(area, msg, held));
        }
    }

    /// Delivers a message already copied into an area of its own (`held`
    /// counts it against the memory budget): a timer's, or one that waited
    /// for its receiver's slice to end. For a receiver in the table, the
    /// copy into its heap counts to it instead (until its next collection
    /// counts it again), as a message to a process not running does; one
    /// running on another scheduler gets the area itself when its slice
    /// ends.
    pub(crate) fn deliver_area(&mut self, to: u64, area: Area, msg: Word, held: Account) {
        if self.running.contains_key(&to) {
            self.defer(to, Deferred::Message(area, msg, held));
            return;
        }
        let literals = self.literals.clone();
        let Some(r) = self.procs.get_mut(&to) else {
            return;
        };
        let before = r.heap.words.capacity();
        // The budget was asked when the area was made; only the allocator
        // can refuse the heap's growth now, and the vector's own doubling
        // would abort the VM when it does.
        let words = area.words.len();
        if r.heap.words.try_reserve(words).is_err() {
            drop(area);
            drop(held);
            return self.receiver_refused(&mut None, to, words * 8, "a message to it");
        }
        let msg = View {
            heap: &area,
            literals: &literals,
        }
        .copy_into(msg, &mut r.heap);
        drop(held);
        let grew = r.heap.words.capacity().saturating_sub(before) * 8;
        r.account.add(&self.memory, grew);
        self.enqueue(to, msg);
    }

    /// Ends process `pid` (in the table), whose heap the budget or the
    /// allocator refused `bytes` more for `what` (a message already sent
    /// to it, a signal of a process gone): it exits with reason
    /// `out_of_memory`, as a process whose heap outgrows the memory at a
    /// collection does, rather than losing the message or the VM.
    #[cold]
    fn receiver_refused(
        &mut self,
        running: &mut Option<&mut Proc>,
        pid: u64,
        bytes: usize,
        what: &str,
    ) {
        refused_line(pid, bytes, what);
        if let Some(mut p) = self.procs.remove(&pid) {
            self.unready(pid);
            let reason = Word::atom(atom::OUT_OF_MEMORY);
            self.exit_signals_to(&mut p, reason, running.as_deref_mut());
            self.ended_by_signal(p, reason);
        }
    }

    /// Keeps a signal for a process running on another scheduler.
    pub(crate) fn defer(&mut self, to: u64, d: Deferred) {
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

    /// Makes `pid` runnable, on the run queue of the scheduler holding the
    /// lock, behind the processes of its priority.
    pub(crate) fn ready(&mut self, pid: u64) {
        if !self.held.is_empty() && self.held.contains_key(&pid) {
            // It is queued when its parent's slice ends.
            return;
        }
        let p = self.priority_of(pid);
        self.run_queue().push_back(pid, p);
    }

    /// The slice of `parent` has ended: the processes it spawned in it
    /// join the run queue, in the order spawned.
    pub(crate) fn release_spawned(&mut self, parent: u64) {
        if self.spawned.is_empty() {
            return;
        }
        for pid in self.spawned.remove(&parent).unwrap_or_default() {
            self.held.remove(&pid);
            if self.procs.contains_key(&pid) {
                self.ready(pid);
            }
        }
    }

    /// The priority of a process in the table (normal for one that is not).
    fn priority_of(&self, pid: u64) -> Priority {
        self.procs
            .get(&pid)
            .map_or(Priority::Normal, |p| p.priority)
    }

    /// The run queue of the scheduler holding the lock (of the last one
    /// online, if that one has just been taken offline: its queue would
    /// wait until another ran out of work).
    pub(crate) fn run_queue(&mut self) -> &mut RunQueue {
        let online = self.schedulers_online.clamp(1, self.run_queues.len());
        let q = self.current.min(online - 1);
        &mut self.run_queues[q]
    }

    /// Takes the schedulers from `n` on offline (or brings them back): the
    /// processes queued on those going offline move to the last one online.
    pub(crate) fn set_schedulers_online(&mut self, n: usize) {
        self.schedulers_online = n;
        let online = n.clamp(1, self.run_queues.len());
        let moved: Vec<RunQueue> = self.run_queues[online..]
            .iter_mut()
            .map(std::mem::take)
            .collect();
        for mut q in moved {
            self.run_queues[online - 1].append(&mut q);
        }
    }

    /// Takes `pid` off the run queues (it ended).
    pub(crate) fn unready(&mut self, pid: u64) {
        for q in &mut self.run_queues {
            q.remove(pid);
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
                Deferred::Message(area, msg, held) => self.deliver_area(pid, area, msg, held),
                Deferred::Waiter(w) => {
                    if self.procs.contains_key(&w) {
                        let p = self.priority_of(w);
                        self.run_queue().push_front(w, p);
                    }
                }
                Deferred::MonitorGone(id) => {
                    if let Some(w) = self.procs.get_mut(&pid) {
                        w.sig.monitoring.retain(|(x, _)| *x != id);
                    }
                }
                Deferred::Refused(bytes) => {
                    self.receiver_refused(&mut None, pid, bytes as usize, "a signal to it")
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
    pub(crate) fn ended_by_signal(&mut self, p: Box<Proc>, reason: Word) {
        if Some(p.pid) == self.root && self.ended.is_none() {
            self.exit_value_report(&p, reason);
            let e = Exception {
                class: atom::EXIT,
                reason,
                trace: Word::NIL,
            };
            self.last_heap = Some(p);
            self.ended = Some(Err(e));
            // As when it dies in its own slice: the run ends now, not when
            // nothing else can happen (a timer it left would have held it).
            if !self.stop_system() {
                self.stopped = true;
            }
        }
    }

    /// Counts what the persistent terms hold in the memory budget, after
    /// a change.
    pub(crate) fn charge_persistent(&mut self) {
        let bytes = self.persistent.iter().map(Persistent::bytes).sum();
        self.persistent_held.set(&self.memory, bytes);
    }

    /// Puts a message already in the receiver's heap into its mailbox, and
    /// wakes it if it waits.
    pub(crate) fn enqueue(&mut self, to: u64, msg: Word) {
        let Some(r) = self.procs.get_mut(&to) else {
            return;
        };
        r.rx.mailbox.push_back(msg);
        if r.rx.waiting {
            // Back to the start of the receive; its timeout keeps running.
            r.rx.waiting = false;
            r.pc = r.rx.wake_pc;
            self.ready(to);
        }
    }

    /// Sends `msg` (in `from`'s heap) to `to`.
    pub(crate) fn send(&mut self, from: &mut Proc, to: Word, msg: Word) -> Result<(), Exception> {
        let view = View {
            heap: &from.heap,
            literals: &self.literals,
        };
        if let Some(port) = to.as_port() {
            return self.send_to_port(from, port, msg);
        }
        let pid = match (to.as_pid(), to.as_atom(), ref_id(&view, to)) {
            (Some(p), _, _) => p,
            (_, Some(name), _) => match self.registry.get(&name) {
                Some(p) => *p,
                None => return Err(Exception::badarg()),
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
            // `{Name, Node}`: this node looks the name up; a message to an
            // unknown name there, or to another node (LAM runs one, with no
            // distribution), is dropped, as erl without a connection does.
            _ => match view.tuple(to) {
                Some(&[name, node])
                    if Word(name).as_atom().is_some() && Word(node).as_atom().is_some() =>
                {
                    let name = Word(name).as_atom().expect("checked");
                    match self.registry.get(&name) {
                        Some(p) if Word(node) == Word::atom(atom::NONODE) => *p,
                        _ => return Ok(()),
                    }
                }
                _ => return Err(Exception::badarg()),
            },
        };
        if pid == from.pid {
            from.rx.mailbox.push_back(msg);
            return Ok(());
        }
        // The copy counts to the receiver (its heap holds it until it
        // receives it, and it may never do so): past the budget or refused
        // by the allocator it is the sender that stops, before the copy.
        let refuse = |m: &Memory, b| refused(m, from.pid, "a message", b);
        if self.running.contains_key(&pid) {
            // It waits in an area of its own, given its room first (the
            // vector's doubling would abort when the allocator refuses).
            let mut area = Area::default();
            let (msg, _) = self
                .memory
                .copy_within(&view, msg, &mut area)
                .map_err(|b| refuse(&self.memory, b))?;
            let held = Account::of_area(&self.memory, &area);
            self.defer(pid, Deferred::Message(area, msg, held));
            return Ok(());
        }
        let asked = match self.procs.get_mut(&pid) {
            Some(r) => self
                .memory
                .room_for_copy(&view, msg, false, Some(&mut r.heap)),
            None => Ok(0),
        };
        let bytes = asked.map_err(|b| refuse(&self.memory, b))?;
        self.deliver(pid, |heap, literals| {
            View {
                heap: &from.heap,
                literals,
            }
            .copy_into(msg, heap)
        });
        if let Some(r) = self.procs.get_mut(&pid) {
            r.account.add(&self.memory, bytes);
        }
        Ok(())
    }

    /// Starts a process running `callee` with `args` (words in `parent`'s heap).
    pub(crate) fn spawn(
        &mut self,
        parent: &mut Proc,
        fun: Option<Word>,
        mfa: Option<(u32, u32)>,
        args: &[Word],
    ) -> Result<u64, Exception> {
        let mut child = Box::new(Proc::default());
        child.max_heap = self.sys.max_heap;
        child.gc.fullsweep_after = self.sys.fullsweep_after;
        child.pid = self.next_pid;
        self.next_pid += 1;
        child.group_leader = parent.group_leader;
        child.system = parent.system;
        let view = View {
            heap: &parent.heap,
            literals: &self.literals,
        };
        // The arguments and the fun are sizes the program chose: the child's
        // heap is given room for each copy first (the vector's doubling
        // aborts when the allocator refuses), and the spawner, which asked
        // for them, is refused. What the copies hold counts to the child.
        let memory = self.memory.clone();
        let copy = |child: &mut Proc, w: Word| -> Result<Word, Exception> {
            let (w, grew) = memory
                .copy_within(&view, w, &mut child.heap)
                .map_err(|b| refused(&memory, parent.pid, "a spawn's arguments", b))?;
            child.account.add(&memory, grew);
            Ok(w)
        };
        let copied: Vec<Word> = args
            .iter()
            .map(|a| copy(&mut child, *a))
            .collect::<Result<_, _>>()?;
        child.x = copied;
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
                // `{Module, Function}`, the tuple fun of old, is taken too,
                // and the process dies of {badfun, T} (spawn_monitor/1
                // refused it).
                let tuple_fun = view.tuple(f).is_some_and(|t| {
                    t.len() == 2 && t.iter().all(|x| Word(*x).as_atom().is_some())
                });
                if !is_fun && !tuple_fun {
                    return Err(Exception::badarg());
                }
                let f = copy(&mut child, f)?;
                if !is_fun {
                    let h = &mut child.heap;
                    let reason = h.tuple(0, &[Word::atom(atom::BADFUN), f]);
                    child.pending_failure = Some(apply_failure(self, h, reason));
                    Callee::Code(0, 0)
                } else if zero_arity {
                    match fun_callee(
                        &self.modules,
                        &self.literals,
                        &mut child.heap,
                        &mut child.x,
                        f,
                        0,
                    ) {
                        Ok(Ok(c)) => c,
                        // (Arity 0: `fun_callee` checked.)
                        Ok(Err((mo, f, _))) => self
                            .export_callee(&mut child, mo, f, &[])
                            .map_err(|_| Exception::badarg())?,
                        Err(_) => return Err(Exception::badarg()),
                    }
                } else {
                    // The process starts and dies applying the fun to no
                    // arguments, as erlang:apply/2 would.
                    let h = &mut child.heap;
                    let inner = h.tuple(0, &[f, Word::NIL]);
                    let reason = h.tuple(0, &[Word::atom(atom::BADARITY), inner]);
                    child.pending_failure = Some(apply_failure(self, h, reason));
                    Callee::Code(0, 0)
                }
            }
            (None, Some((m, f))) => match self.resolve(m, f, args.len() as u32) {
                Some(c) => c,
                None => {
                    // The process exists and dies with undef at its first
                    // instruction, once the caller has linked or monitored it.
                    let copied = child.x.clone();
                    let e = self.undef(&mut child, m, f, &copied);
                    // Nothing ran: the missing function is the only frame.
                    child.raising.drop_current = true;
                    let trace = self.trace(&mut child, 0, 0);
                    child.pending_failure = Some(Exception { trace, ..e });
                    Callee::Code(0, 0)
                }
            },
            _ => return Err(Exception::badarg()),
        };
        let Callee::Code(m, entry) = callee else {
            return Err(Exception::badarg());
        };
        child.mid = m;
        child.pc = entry;
        child.rx.wake_pc = u32::MAX;
        let pid = child.pid;
        self.procs.insert(pid, child);
        self.held.insert(pid, ());
        self.spawned.entry(parent.pid).or_default().push(pid);
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

    pub(crate) fn undef(
        &self,
        proc: &mut Proc,
        module: u32,
        function: u32,
        args: &[Word],
    ) -> Exception {
        let arity = args.len();
        // The missing function is the top frame, with the arguments it was given.
        let args = list_of(&mut proc.heap, args);
        proc.raising.bif_frame = Some((module, function, args, false));
        if self.debug.undef {
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

    pub(crate) fn trace(&self, proc: &mut Proc, module: u32, pc: u32) -> Word {
        let depth = self
            .sys
            .backtrace_depth
            .load(std::sync::atomic::Ordering::Relaxed);
        stack_trace(&self.atoms, &self.modules, proc, module, pc, depth)
    }

    /// What calling the external fun `mo:f/a` enters.
    pub(crate) fn export_callee(
        &mut self,
        proc: &mut Proc,
        mo: u32,
        f: u32,
        args: &[Word],
    ) -> Result<Callee, Exception> {
        self.resolve(mo, f, args.len() as u32)
            .ok_or_else(|| self.undef(proc, mo, f, args))
    }
}

impl Vm {
    /// `spawn`, `spawn_link` and `spawn_monitor` with a fun (one argument)
    /// or a module, function and argument list (three).
    pub(crate) fn spawn_call(
        &mut self,
        proc: &mut Proc,
        kind: SpawnKind,
        args: &[Word],
    ) -> Result<Word, Exception> {
        let pid = match args {
            // spawn_monitor/1 alone insists on a fun of no arguments (as
            // erlang.erl's does); the others start it and let it fail.
            [fun]
                if kind == SpawnKind::SpawnMonitor
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
                return Err(Exception::badarg());
            }
            [fun] => self.spawn(proc, Some(*fun), None, &[])?,
            [m, f, list] => {
                let (Some(m), Some(f)) = (m.as_atom(), f.as_atom()) else {
                    return Err(Exception::badarg());
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
                    return Err(Exception::badarg());
                }
                self.spawn(proc, None, Some((m, f)), &items)?
            }
            _ => return Err(Exception::badarg()),
        };
        match kind {
            SpawnKind::SpawnLink => {
                proc.sig.links.push(pid);
                if let Some(c) = self.procs.get_mut(&pid) {
                    c.sig.links.push(proc.pid);
                }
                Ok(Word::pid(pid))
            }
            SpawnKind::SpawnMonitor => {
                let r = self.make_ref(&mut proc.heap);
                if let Some(c) = self.procs.get_mut(&pid) {
                    let view = View {
                        heap: &proc.heap,
                        literals: &self.literals,
                    };
                    let id = ref_id(&view, r).expect("a reference");
                    c.sig.monitored_by.push((id, proc.pid));
                    proc.sig.monitoring.push((id, pid));
                }
                Ok(proc.heap.tuple(0, &[Word::pid(pid), r]))
            }
            SpawnKind::Spawn => Ok(Word::pid(pid)),
        }
    }

    /// Ends process `pid` (not the running one) with `reason`, as an exit signal does.
    pub(crate) fn kill(&mut self, pid: u64, reason: Word, from: &mut Proc) {
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

/// The line on standard error for process `pid`, ended with
/// `out_of_memory` because `bytes` more for `what` were refused.
#[cold]
fn refused_line(pid: u64, bytes: usize, what: &str) {
    eprintln!(
        "lam: process <0.{pid}.0> exits with out_of_memory: {bytes} bytes for {what} were refused"
    );
}

/// The number of reference `r`, if it is one.
pub(crate) fn ref_id(v: &View, r: Word) -> Option<u64> {
    (r.is_boxed() && v.header(r).header_kind() == kind::REF).then(|| v.at(r.ptr(), 1).0)
}

/// The pid `w` names: a pid, or a registered name.
pub(crate) fn pid_of(vm: &Vm, w: Word) -> Option<u64> {
    w.as_pid()
        .or_else(|| w.as_atom().and_then(|a| vm.registry.get(&a).copied()))
}

/// An error with `reason` raised in `erlang:apply/2`, as a process started
/// on a fun it cannot apply dies of it.
fn apply_failure(vm: &Vm, h: &mut Area, reason: Word) -> Exception {
    let apply = Word::atom(vm.atoms.intern("apply"));
    let frame = [
        Word::atom(atom::ERLANG),
        apply,
        Word::small(2).expect("2"),
        Word::NIL,
    ];
    let frame = h.tuple(0, &frame);
    Exception {
        class: atom::ERROR,
        reason,
        trace: h.cons(0, frame, Word::NIL),
    }
}

/// What `erlang:statistics/1` needs beyond the live processes: the
/// reductions of those gone (so the total never falls when one exits), and
/// each counter's value at its last reading (erl's "since the last call" is
/// one per VM, not per process).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) dead_reductions: u64,
    pub(crate) last_wall_ms: u64,
    pub(crate) last_runtime_ms: u64,
    pub(crate) last_reductions: u64,
    pub(crate) last_exact_reductions: u64,
}
