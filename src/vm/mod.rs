//! The LAM virtual machine, in layers that each import only from those
//! below (`docs/vm.md`; `tests/layers.rs` keeps it so): `term` (words,
//! atoms, heaps, the collector, term order), `ops` (the semantics the run
//! loop and the natives share), `native` (the API natives are written
//! against), `code` (the loader), `natives`, `exec` (the run loop) and
//! `runtime` (processes, signals, schedulers, boot). This file is the
//! entry point: running a program, evaluating a function.

pub mod code;
pub mod exec;
pub mod native;
pub mod natives;
pub mod ops;
pub mod platform;
pub mod re;
pub mod runtime;
pub mod term;

pub use exec::proc::Proc;
pub use runtime::vm::Vm;
pub use term::memory::parse_size;
pub use term::{Area, Atoms, Exception, View, Word};

/// How a program run by [`run_program`] ended.
#[derive(Debug)]
pub enum Ended {
    /// Its first process returned (or the program called `halt/0,1`): the exit status.
    Status(i32),
    /// Its first process crashed: class, reason and stack trace, as Erlang
    /// terms, and its exit value as erl's error report shows it
    /// (`Error in process <0.N.0> with exit value:~n~p~n`).
    Crashed {
        /// `error`, `exit` or `throw`.
        class: Term,
        /// The exception's reason.
        reason: Term,
        /// Its stack trace.
        trace: Term,
        /// The report text, encoded as standard output is.
        report: Vec<u8>,
    },
}

/// How [`run_program`] runs.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    /// Scheduler threads (default: one per core).
    pub schedulers: Option<usize>,
    /// Run on after the entry function returns, until no process can run.
    pub until_idle: bool,
    /// The entry function's arity when the command line gave it (`/0`,
    /// `/1`); else main/1 is preferred to main/0.
    pub entry_arity: Option<u32>,
    /// Compiled modules (`.beam` bytes) to load before the program, such
    /// as [`EXUNIT_RUNNER`].
    pub embedded: Vec<&'static [u8]>,
    /// Flags for OTP's `init` (`-config File`, `-App Key Value`): the
    /// system boots with them before the entry function runs.
    pub boot_flags: Vec<String>,
    /// The most atoms the program may make (erl's `+t`; default 1,048,576).
    pub max_atoms: Option<usize>,
    /// The most reductions the run may spend in all (see `Vm::max_reductions`).
    pub max_reductions: Option<u64>,
    /// The memory budget of all processes together, in bytes (see
    /// `Vm::memory`).
    pub max_memory: Option<usize>,
    /// The most wall-clock time the run may take.
    pub timeout: Option<std::time::Duration>,
}

/// The module `lam_exunit` that `lam-translate test` runs: ExUnit's runner
/// over precompiled test modules (source: `src/vm/erl/lam_exunit.erl`).
pub const EXUNIT_RUNNER: &[u8] = include_bytes!("erl/lam_exunit.beam");

/// Runs a program as `lam-translate run` does: `module:main(Args)` (args as
/// strings) if exported, else `main/0`, else `start/0`, with output streamed
/// to standard output.
pub fn run_program(
    code_path: Vec<PathBuf>,
    module: &str,
    entry: Option<&str>,
    args: &[String],
    options: &RunOptions,
) -> Result<Ended, String> {
    let mut vm = Vm::new(code_path);
    vm.stream_stdout = true;
    vm.plain_args = args.to_vec();
    if !options.boot_flags.is_empty() && !vm.can_boot() {
        return Err("erl flags (-config, -App Key Value) need OTP's system, and the code path reaches no OTP installation to boot it from".into());
    }
    vm.boot_flags = options.boot_flags.clone();
    if let Some(n) = options.schedulers {
        vm.schedulers = n.max(1);
    }
    for bytes in &options.embedded {
        let beam = crate::beam::read(bytes).map_err(|e| e.to_string())?;
        let lam = crate::translate::translate(&beam).map_err(|e| e.to_string())?;
        vm.add(lam.module);
    }
    if let Some(n) = options.max_atoms {
        vm.atoms.set_limit(n);
    }
    vm.max_reductions = options.max_reductions;
    vm.memory.set_limit(options.max_memory);
    vm.deadline = options.timeout.map(|t| std::time::Instant::now() + t);
    let m = vm.atoms.intern(module);
    let mid = vm.module(m).ok_or_else(|| match vm.load_error(m) {
        Some(e) => e.to_string(),
        None => format!("module {module} not found on the code path"),
    })?;
    let exports = vm.modules[mid as usize].exports.clone();
    let has = |vm: &Vm, f: &str, a: u32| {
        vm.atoms
            .existing(f)
            .is_some_and(|f| exports.contains_key(&(f, a)))
    };
    let (function, call_args): (&str, Vec<Term>) = match entry {
        Some(f) if options.entry_arity == Some(0) => (f, vec![]),
        Some(f) if options.entry_arity == Some(1) || has(&vm, f, 1) => (
            f,
            vec![Term::list(args.iter().map(|a| Term::string(a)).collect())],
        ),
        Some(f) => (f, vec![]),
        None if has(&vm, "main", 1) => (
            "main",
            vec![Term::list(args.iter().map(|a| Term::string(a)).collect())],
        ),
        None if has(&vm, "main", 0) => ("main", vec![]),
        None if has(&vm, "start", 0) => ("start", vec![]),
        None => return Err(format!("{module} exports none of main/1, main/0, start/0")),
    };
    let f = vm.atoms.intern(function);
    // A main/1 follows `erl -noshell -run M main Args` (the Benchmarks
    // Game's convention): erl runs it in a process that traps exits, and
    // the system stays up after it returns until the program halts. So
    // here: trapping, and on until no process can run (not with OTP's
    // system up, whose processes never go idle: `init:stop` ends it).
    let mut run_style = call_args.len() == 1;
    let (mut m, mut f, mut call_args) = (m, f, call_args);
    // An Elixir module runs as the `elixir` command runs it
    // (`lam_system:elixir/3`), its main/1 given the arguments as binaries,
    // as an Elixir escript's.
    if module.starts_with("Elixir.") && {
        let cli = vm.atoms.intern("Elixir.Kernel.CLI");
        vm.module(cli).is_some()
    } {
        if run_style {
            call_args = vec![Term::list(
                args.iter()
                    .map(|a| Term::Binary(a.as_bytes().to_vec()))
                    .collect(),
            )];
        }
        call_args = vec![
            Term::atom(module),
            Term::atom(function),
            Term::list(call_args),
        ];
        (m, f) = (vm.atoms.intern("lam_system"), vm.atoms.intern("elixir"));
        run_style = false;
    }
    vm.root_trap_exit = run_style;
    let r = vm.run_main(m, f, &call_args);
    if let Some(why) = vm.over_budget.take() {
        return Err(format!("{why}: stopped"));
    }
    if (options.until_idle || run_style && !vm.system_up()) && vm.halted.is_none() {
        vm.schedule(None);
    }
    if let Some(status) = vm.halted
        && !vm.root_crashed
    {
        return Ok(Ended::Status(status));
    }
    let root = vm.last_heap.take().unwrap_or_default();
    let view = View {
        heap: &root.heap,
        literals: &vm.literals,
    };
    match r {
        Ok(_) => Ok(Ended::Status(0)),
        Err(e) => {
            let (class, reason, trace) = (
                Term::Atom(vm.atoms.name(e.class)),
                view.to_term(e.reason, &vm.atoms),
                view.to_term(e.trace, &vm.atoms),
            );
            let report = vm
                .exit_report
                .take()
                .unwrap_or_else(|| plain_exit_report(root.pid, &class, &reason, &trace));
            Ok(Ended::Crashed {
                class,
                reason,
                trace,
                report,
            })
        }
    }
}

/// The exit report without the group leader (it could not format it):
/// the exit value on one line.
fn plain_exit_report(pid: u64, class: &Term, reason: &Term, trace: &Term) -> Vec<u8> {
    use crate::erlfmt::p;
    let value = match class.as_atom() {
        Some("exit") => p(reason),
        Some("throw") => format!("{{{{nocatch,{}}},{}}}", p(reason), p(trace)),
        _ => format!("{{{},{}}}", p(reason), p(trace)),
    };
    format!(
        "Error in process <0.{}.{}> with exit value:\n{value}\n",
        pid & 0x7fff,
        pid >> 15
    )
    .into_bytes()
}

use std::path::PathBuf;

use crate::term::Term;

/// Runs `module:function()` in a fresh VM and process, and returns its
/// value, or the class and reason of the exception it raised.
pub fn eval(code_path: Vec<PathBuf>, module: &str, function: &str) -> Result<Term, (Term, Term)> {
    eval_on(code_path, module, function, &[], None)
}

/// [`eval`] of `module:function(args...)` on this many scheduler threads
/// (`None`: one per core).
pub fn eval_on(
    code_path: Vec<PathBuf>,
    module: &str,
    function: &str,
    args: &[Term],
    schedulers: Option<usize>,
) -> Result<Term, (Term, Term)> {
    let mut vm = Vm::new(code_path);
    if let Some(n) = schedulers {
        vm.schedulers = n.max(1);
    }
    let (m, f) = (vm.atoms.intern(module), vm.atoms.intern(function));
    let r = vm.run_main(m, f, args);
    let root = vm.last_heap.take().unwrap_or_default();
    let view = View {
        heap: &root.heap,
        literals: &vm.literals,
    };
    match r {
        Ok(w) => Ok(view.to_term(w, &vm.atoms)),
        Err(e) => Err((
            Term::Atom(vm.atoms.name(e.class)),
            view.to_term(e.reason, &vm.atoms),
        )),
    }
}
