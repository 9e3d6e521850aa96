//! OTP's own system, booted lazily: the first time a program needs one of
//! its processes (a send to, `whereis/1` or `register/2` of, or a monitor
//! by name of a system name, or `application:get_env/2`), the caller waits
//! while the VM runs OTP's real `init:boot/1` with the arguments erlexec
//! would give it; when kernel and stdlib have started, `init` runs the
//! hook `lam_system:started/0` (an `-s` of the boot), and the callers run
//! their instruction again. A program that never needs the system (a hello
//! world) never pays for it. See `docs/vm.md`, "Boot".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::term::Term;
use crate::vm::code::loader::Callee;
use crate::vm::exec::proc::Proc;
use crate::vm::ops::ets::{self, NewObj};
use crate::vm::runtime::vm::{System, Vm};
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::heap::{Area, View};
use crate::vm::term::word::Word;

/// The names of the processes OTP's system registers (kernel's, in any
/// mode, and the emulator's): the first need of one boots the system.
const SYSTEM_NAMES: &[&str] = &[
    "init",
    "erl_prim_loader",
    "erts_code_purger",
    "application_controller",
    "code_server",
    "file_server_2",
    "logger",
    "logger_sup",
    "logger_proxy",
    "logger_handler_watcher",
    "logger_std_h_default",
    "kernel_sup",
    "kernel_safe_sup",
    "kernel_refc",
    "kernel_config",
    "standard_error",
    "standard_error_sup",
    "timer_server",
    "erl_signal_server",
    "inet_db",
    "global_name_server",
    "global_group",
    "rex",
];

/// OTP functions LAM answers itself until the system runs, and leaves to
/// OTP's code once it does (`Vm::resolve`).
const STAND_INS: &[(&str, &str)] = &[
    ("application_controller", "get_env"),
    ("logger", "set_primary_config"),
    ("logger", "macro_log"),
    ("code", "ensure_modules_loaded"),
];

impl Vm {
    /// Whether `module:function` is one of LAM's stand-ins that has
    /// stepped aside (OTP's code answers).
    pub(crate) fn stand_in_aside(&self, module: &str, function: &str) -> bool {
        self.stand_ins_aside() && STAND_INS.contains(&(module, function))
    }

    /// Whether the system is up.
    pub(crate) fn system_up(&self) -> bool {
        matches!(self.system, System::Up)
    }

    /// Whether LAM's stand-ins step aside for OTP's code: from the moment
    /// the system starts booting (its own processes need OTP's logger and
    /// application controller while they boot it).
    pub(crate) fn stand_ins_aside(&self) -> bool {
        matches!(self.system, System::Booting(_) | System::Up)
    }

    /// Whether process `p`, which needs the process registered as `name`,
    /// must wait for the system to boot first (booting it if no one has
    /// yet): `name` is one of the system's, not registered, and `p` is not
    /// part of the system.
    pub(crate) fn waits_for_system(&mut self, p: &mut Proc, name: u32) -> bool {
        // The code purger is the emulator's, not the system's: it starts
        // alone (erl starts it before `init`).
        if &*self.atoms.name(name) == "erts_code_purger" {
            self.start_code_purger();
            return false;
        }
        if matches!(self.system, System::Up | System::Unavailable)
            || p.system
            || self.registry.contains_key(&name)
            || !SYSTEM_NAMES.contains(&&*self.atoms.name(name))
        {
            return false;
        }
        if self.debug.procs && matches!(self.system, System::Off) {
            eprintln!(
                "lam: process <0.{}.0> needs {}: OTP's system boots",
                p.pid,
                self.atoms.name(name)
            );
        }
        self.wait_for_system(p)
    }

    /// Makes `p` wait for the system, booting it if no one has yet; false
    /// (go on) when it is up or cannot boot.
    pub(crate) fn wait_for_system(&mut self, p: &mut Proc) -> bool {
        if p.system {
            return false;
        }
        if matches!(self.system, System::Off) {
            self.system = match self.start_init() {
                Some(()) => System::Booting(Vec::new()),
                None => System::Unavailable,
            };
        }
        match &mut self.system {
            System::Booting(waiters) => {
                waiters.push(p.pid);
                true
            }
            _ => false,
        }
    }

    /// The run's first process has ended: if the system runs, it stops as
    /// `erl -s M F -s init stop` stops it (applications stopped, logger
    /// handlers flushed, then `halt/1`), and the run goes on until then.
    /// False when there is no system to stop.
    pub(crate) fn stop_system(&mut self) -> bool {
        if !self.system_up() {
            return false;
        }
        if self.system_stopping {
            return true;
        }
        // lam_system:stop/0 lets the reports sent so far reach the
        // logger's handlers (as erl's output is flushed), then stops.
        self.system_stopping = self.spawn_system("lam_system", "stop", None).is_some();
        self.system_stopping
    }

    /// Whether `pid` waits for the system (it stays off the run queues).
    pub(crate) fn waiting_for_system(&self, pid: u64) -> bool {
        matches!(&self.system, System::Booting(w) if w.contains(&pid))
    }

    /// `lam:system_started/0`, which `init` runs once kernel and stdlib
    /// have started: the waiting processes run their instruction again.
    pub(crate) fn system_started(&mut self) {
        if let System::Booting(waiters) = std::mem::replace(&mut self.system, System::Up) {
            for pid in waiters {
                if self.procs.contains_key(&pid) {
                    self.ready(pid);
                }
            }
        }
    }

    /// Starts `init:boot/1` in a new system process, with the group leader
    /// as its group leader (LAM's group leader stays `user`).
    fn start_init(&mut self) -> Option<()> {
        let root = self.otp_root()?;
        self.start_code_purger();
        let args = self.boot_args(&root)?;
        let list = Term::list(args.into_iter().map(Term::Binary).collect());
        self.spawn_system("init", "boot", Some(&list)).map(|_| ())
    }

    /// Starts `module:function()` (or with one argument) in a new process
    /// of the system's, with the group leader as its group leader.
    pub(crate) fn spawn_system(
        &mut self,
        module: &str,
        function: &str,
        arg: Option<&Term>,
    ) -> Option<u64> {
        let (m, f) = (self.atoms.intern(module), self.atoms.intern(function));
        let Some(Callee::Code(m, entry)) = self.resolve(m, f, u32::from(arg.is_some())) else {
            return None;
        };
        let gl = self.start_group_leader();
        let mut p = Box::new(Proc::default());
        p.pid = self.next_pid;
        self.next_pid += 1;
        p.group_leader = gl;
        p.system = true;
        if let Some(arg) = arg {
            let w = p.heap.from_term(0, arg, &self.atoms);
            p.x.push(w);
        }
        (p.mid, p.pc, p.rx.wake_pc) = (m, entry, u32::MAX);
        let pid = p.pid;
        self.procs.insert(pid, p);
        self.ready(pid);
        Some(pid)
    }

    /// Whether OTP's system can boot here (the code path reaches an OTP
    /// installation).
    pub fn can_boot(&self) -> bool {
        self.otp_root().is_some()
    }

    /// The OTP installation the code path reaches (its `lib` directory
    /// is on it): the root with `bin/no_dot_erlang.boot`.
    fn otp_root(&self) -> Option<PathBuf> {
        self.code_path
            .dirs()
            .iter()
            .filter_map(|d| d.parent())
            .find(|r| r.join("bin/no_dot_erlang.boot").is_file())
            .map(Path::to_path_buf)
    }

    /// What erlexec passes `init` for `erl -noshell`, and what LAM adds:
    /// `-nouser` (LAM's group leader stays
    /// `user`), `-boot no_dot_erlang` (no `.erlang` read, as under
    /// `escript`), the hook that ends the wait, and the program's
    /// arguments after `-extra`, as `init:get_plain_arguments/0` gives them.
    fn boot_args(&self, root: &Path) -> Option<Vec<Vec<u8>>> {
        let bindir = std::fs::read_dir(root)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("erts-"))
                    && p.join("bin").is_dir()
            })?
            .join("bin");
        let home = self.env.get("HOME").unwrap_or_default();
        let s = |x: &str| x.as_bytes().to_vec();
        let path = |p: &Path| p.to_string_lossy().as_bytes().to_vec();
        let mut args = vec![
            s("-root"),
            path(root),
            s("-bindir"),
            path(&bindir),
            s("-progname"),
            s("erl"),
            s("--"),
            s("-home"),
            s(&home),
            s("--"),
            s("-noshell"),
            s("-nouser"),
            s("-boot"),
            s("no_dot_erlang"),
        ];
        args.extend(self.boot_flags.iter().map(|f| s(f)));
        args.extend([s("-s"), s("lam_system"), s("started")]);
        // The VM's code path beyond OTP's libraries (the program's
        // directories, Elixir's): the code server's too, as `erl -pa`.
        let pa = self.code_path_beyond(root);
        if !pa.is_empty() {
            args.push(s("-pa"));
            args.extend(pa.iter().map(|d| path(d)));
        }
        if !self.plain_args.is_empty() {
            args.push(s("-extra"));
            args.extend(self.plain_args.iter().map(|a| s(a)));
        }
        Some(args)
    }

    /// The directories of the VM's code path outside OTP's `root`, each
    /// library root as its applications' `ebin` directories.
    fn code_path_beyond(&self, root: &Path) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        for d in self.code_path.dirs() {
            if d.starts_with(root) {
                continue;
            }
            let mut ebins: Vec<PathBuf> = std::fs::read_dir(d)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path().join("ebin"))
                .filter(|p| p.is_dir())
                .collect();
            ebins.sort();
            if ebins.is_empty() {
                dirs.push(d.clone());
            } else {
                dirs.extend(ebins);
            }
        }
        dirs
    }

    /// Where the VM loaded each module it read from a file itself, for
    /// `init:fetch_loaded/0` (`lam:loaded_files/0`): `[{Module, File}]`.
    pub(crate) fn loaded_files(&self, heap: &mut Area) -> Word {
        let files = self
            .files
            .iter()
            .map(|(m, f)| {
                Term::Tuple(vec![
                    Term::Atom(self.atoms.name(*m)),
                    Term::string(&f.to_string_lossy()),
                ])
            })
            .collect();
        heap.from_term(0, &Term::list(files), &self.atoms)
    }

    /// Notes a module the VM loaded itself after the code server started
    /// in the code server's table, as if the code server had loaded it, so
    /// that `code:is_loaded/1`, `which/1` and `all_loaded/0` know it.
    pub(crate) fn tell_code_server(&mut self, module: u32, file: &Path) {
        let Some(cs) = self
            .atoms
            .existing("code_server")
            .and_then(|n| self.registry.get(&n).copied())
        else {
            return;
        };
        let code = self.atoms.intern("code");
        let Some(t) = self
            .ets
            .owned_by(cs)
            .into_iter()
            .find(|t| ets::read(t).name == code)
        else {
            return;
        };
        let mut area = Area::default();
        let entry = Term::Tuple(vec![
            Term::Atom(self.atoms.name(module)),
            Term::string(&file.to_string_lossy()),
        ]);
        let w = area.from_term(0, &entry, &self.atoms);
        let view = View {
            heap: &area,
            literals: &self.literals,
        };
        let mut table = ets::write(&t);
        let (keypos, ty) = (table.keypos, table.ty);
        let obj = NewObj::new(&view, &self.atoms, w, keypos, ty);
        table.insert(&view, obj);
    }

    /// The emulator's report of a process that died of an exception, for
    /// OTP's logger once the system runs (to the process that took
    /// `system_flag(system_logger, _)`, as erts sends it), so that the
    /// logger's configuration applies to it as under erl.
    pub(crate) fn report_to_logger(&mut self, p: &Proc, reason: Word) -> bool {
        let memory = self.memory.clone();
        self.log_to_logger_with(
            p,
            Term::string("Error in process ~p with exit value:~n~p~n"),
            |heap, literals, _| {
                let v = View {
                    heap: &p.heap,
                    literals,
                };
                // Copied straight from the process's heap, sized first: a
                // reason of shared subterms can be small there and
                // gigabytes flattened, which the logger must not take
                // the VM down for.
                let reason = memory.copy_or_out_of_memory(&v, reason, heap);
                let tail = heap.cons(0, reason, Word::NIL);
                heap.cons(0, Word::pid(p.pid), tail)
            },
        )
    }

    /// An error of the emulator's own about process `p`, `Format` and
    /// `Args` as `io:format/2` takes them, for OTP's logger (false when
    /// the system does not run).
    pub(crate) fn log_to_logger(&mut self, p: &Proc, format: Term, args: Term) -> bool {
        self.log_to_logger_with(p, format, |heap, _, atoms| heap.from_term(0, &args, atoms))
    }

    /// As [`Vm::log_to_logger`], with `Args` built on the message's heap
    /// by `args`.
    fn log_to_logger_with(
        &mut self,
        p: &Proc,
        format: Term,
        args: impl FnOnce(&mut Area, &[Arc<Area>], &Atoms) -> Word,
    ) -> bool {
        let Some(to) = self.system_logger.as_pid() else {
            return false;
        };
        if !self.system_up() || !self.procs.contains_key(&to) && !self.running.contains_key(&to) {
            return false;
        }
        let pid = pid_term(p.pid);
        let us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        let atom = |a: &str| Term::atom(a);
        let meta = Term::Map(vec![
            (
                atom("error_logger"),
                Term::Map(vec![
                    (atom("emulator"), atom("true")),
                    (atom("tag"), atom("error")),
                ]),
            ),
            (atom("gl"), pid_term(p.group_leader)),
            (atom("pid"), pid),
            (atom("time"), Term::Int(us)),
        ]);
        let atoms = self.atoms.clone();
        self.deliver(to, |heap, literals| {
            let args = args(heap, literals, &atoms);
            let format = heap.from_term(0, &format, &atoms);
            let meta = heap.from_term(0, &meta, &atoms);
            let log = Word::atom(atoms.intern("log"));
            heap.tuple(0, &[log, Word::atom(atom::ERROR), format, args, meta])
        });
        true
    }
}

impl Vm {
    /// An error report of the emulator's own (`erts_send_error_term_to_logger`):
    /// to OTP's logger once the system runs; before, printed by the group
    /// leader as erl's default handler prints it.
    pub(crate) fn emulator_error(&mut self, p: &Proc, format: &str, args: Term) {
        if self.log_to_logger(p, Term::string(format), args.clone()) {
            return;
        }
        let Some(gl) = self.group_leader_pid() else {
            return;
        };
        let msg = Term::Tuple(vec![Term::atom("lam_log"), Term::string(format), args]);
        let atoms = self.atoms.clone();
        self.deliver(gl, |heap, _| heap.from_term(0, &msg, &atoms));
    }

    /// The report of a process whose heap and stack outgrew its
    /// `max_heap_size` (`total` words after a collection), in erl's words;
    /// the sizes are LAM's (the old generation is the prefix of the heap's
    /// block, so it has no block of its own).
    pub(crate) fn max_heap_report(&mut self, p: &Proc, total: usize) {
        let b = |v: bool| Term::atom(if v { "true" } else { "false" });
        let int = |n: usize| Term::Int(n as i64);
        let g = &p.heap.gens;
        let old = g.old_words.min(p.heap.len());
        let young = p.heap.len() - old;
        let gc_info = [
            ("old_heap_block_size", old),
            ("heap_block_size", p.heap_words()),
            ("mbuf_size", 0),
            ("recent_size", young),
            ("stack_size", p.st.stack.len()),
            ("old_heap_size", old),
            ("heap_size", young),
            ("bin_vheap_size", p.heap.offheap_bytes / 8),
            ("bin_vheap_block_size", 46_422),
            ("bin_old_vheap_size", g.old_bin_bytes / 8),
            ("bin_old_vheap_block_size", 46_422),
        ]
        .into_iter()
        .map(|(k, v)| Term::Tuple(vec![Term::atom(k), int(v)]))
        .collect();
        let args = Term::list(vec![
            pid_term(p.pid),
            int(p.max_heap.size as usize),
            int(total),
            b(p.max_heap.kill),
            b(p.max_heap.error_logger),
            int(p.rx.mailbox.len()),
            Term::list(gc_info),
        ]);
        self.emulator_error(
            p,
            "     Process:            ~p ~n     Context:            maximum heap size reached~n     Max Heap Size:      ~p~n     Total Heap Size:    ~p~n     Kill:               ~p~n     Error Logger:       ~p~n     Message Queue Len:  ~p~n     GC Info:            ~p~n",
            args,
        );
    }
}

/// A local pid as a term.
fn pid_term(pid: u64) -> Term {
    Term::Pid {
        node: "nonode@nohost".into(),
        id: (pid & 0x7fff) as u32,
        serial: (pid >> 15) as u32,
        creation: 0,
    }
}

/// What `lam:system_up/0` answers: `true` once OTP's system boots.
pub(crate) fn up_word(vm: &Vm) -> Word {
    Word::atom(if vm.stand_ins_aside() {
        atom::TRUE
    } else {
        atom::FALSE
    })
}

impl Vm {
    /// Hands the handled OS signals that arrived to `erl_signal_server`,
    /// as `{notify, Signal}` (what the emulator sends, a gen_event
    /// notification). Before the system is up there is no server, and a
    /// SIGTERM does what erl's default handler does with it: the VM stops
    /// cleanly (status 0); the others are dropped, as the emulator drops
    /// them when no process has the name.
    pub(crate) fn os_signals(&mut self) {
        for name in crate::vm::natives::signals::take() {
            let server = self
                .atoms
                .existing("erl_signal_server")
                .and_then(|n| self.registry.get(&n).copied());
            match server {
                Some(pid) => {
                    let notify = Word::atom(self.atoms.intern("notify"));
                    let sig = Word::atom(self.atoms.intern(name));
                    self.deliver(pid, |heap, _| heap.tuple(0, &[notify, sig]));
                }
                None if name == "sigterm" => {
                    self.halted.get_or_insert(0);
                    self.stopped = true;
                }
                None => {}
            }
        }
    }
}
