//! `erlang:system_info/1` and `erlang:system_flag/2`: what the system is
//! and the one flag that changes how it runs (`schedulers_online`); and
//! `erlang:statistics/1`, what it has done.
//!
//! LAM answers as the BEAM it stands in for: `machine` is `"BEAM"`, the
//! release and emulator version are OTP 25's (whose instructions, BIFs and
//! library LAM runs), so code that branches on them takes the path it takes
//! on erl. Sizes, limits and defaults are erl's; counts (processes, atoms,
//! schedulers) are LAM's own.

use crate::term::Term;
use crate::vm::exec::proc::Proc;
use crate::vm::native::{NativeResult, badarg};
use crate::vm::runtime::vm::Vm;
use crate::vm::term::heap::View;
use crate::vm::term::word::Word;

/// The OTP release whose semantics LAM follows.
pub const OTP_RELEASE: &str = "25";

/// The version of that release's emulator (erts) that LAM reports.
pub const ERTS_VERSION: &str = "13.1.5";

/// The target triple as erl spells it (`erlang:system_info(system_architecture)`).
fn architecture() -> String {
    let (arch, os) = (std::env::consts::ARCH, std::env::consts::OS);
    match os {
        "linux" if arch == "x86_64" => "x86_64-pc-linux-gnu".to_string(),
        "linux" => format!("{arch}-unknown-linux-gnu"),
        "macos" => format!("{arch}-apple-darwin"),
        _ => format!("{arch}-unknown-{os}"),
    }
}

/// `{Family, Name}` as `os:type/0` gives it.
fn os_type() -> Term {
    let (family, name) = match std::env::consts::OS {
        "windows" => ("win32", "nt"),
        "macos" => ("unix", "darwin"),
        os => ("unix", os),
    };
    Term::Tuple(vec![Term::atom(family), Term::atom(name)])
}

/// The kernel's release as `{Major, Minor, Release}` (`os:version/0`): on
/// Linux from `/proc`, elsewhere unknown (zeros).
fn os_version() -> Term {
    let text = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = text.trim().split(['.', '-']).map(|p| {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        Term::Int(digits.parse().unwrap_or(0))
    });
    let mut next = || parts.next().unwrap_or(Term::Int(0));
    Term::Tuple(vec![next(), next(), next()])
}

/// `erlang:system_info(Item)`; badarg for an item LAM does not know, as
/// erl does for one it does not.
pub(crate) fn system_info(vm: &mut Vm, p: &mut Proc, item: Word) -> NativeResult {
    let int = |n: usize| Term::Int(n as i64);
    let pair = |k: &str, v: Term| Term::Tuple(vec![Term::atom(k), v]);
    let term = if let Some(a) = item.as_atom() {
        let online = vm.schedulers_online;
        match &*vm.atoms.name(a) {
            "machine" => Term::string("BEAM"),
            "otp_release" => Term::string(OTP_RELEASE),
            "version" => Term::string(ERTS_VERSION),
            "system_version" => Term::string(&format!(
                "Erlang/OTP {OTP_RELEASE} [erts-{ERTS_VERSION}] [lam] [64-bit] [smp:{}:{online}] [async-threads:1]\n",
                vm.schedulers
            )),
            "system_architecture" => Term::string(&architecture()),
            "os_type" => os_type(),
            "os_version" => os_version(),
            "wordsize" => int(8),
            "endian" => Term::atom(if cfg!(target_endian = "big") {
                "big"
            } else {
                "little"
            }),
            // An interpreter, not a JIT: the BEAM's own interpreter is `emu`.
            "emu_flavor" => Term::atom("emu"),
            "emu_type" | "build_type" => Term::atom("opt"),
            "compat_rel" => int(25),
            "schedulers" | "dirty_cpu_schedulers" => int(vm.schedulers),
            "schedulers_online" | "dirty_cpu_schedulers_online" => int(online),
            "logical_processors" | "logical_processors_available" | "logical_processors_online" => {
                int(std::thread::available_parallelism().map_or(1, |n| n.get()))
            }
            "dirty_io_schedulers" => int(10),
            "thread_pool_size" => int(1),
            // The running process is out of the table, among `running`.
            "process_count" => int(vm.procs.len() + vm.running.len()),
            "process_limit" => int(262_144),
            "atom_count" => int(vm.atoms.len()),
            "atom_limit" => int(1_048_576),
            "port_count" => int(0),
            "port_limit" => int(65_536),
            "ets_limit" => int(8192),
            "scheduler_id" => int(vm.current + 1),
            "smp_support" | "threads" => Term::atom("true"),
            "debug_compiled" => Term::atom("false"),
            "time_offset" => Term::atom("final"),
            "time_warp_mode" => Term::atom("no_time_warp"),
            "multi_scheduling" => Term::atom("enabled"),
            "scheduler_bind_type" => Term::atom("unbound"),
            "heap_type" => Term::atom("private"),
            "message_queue_data" => Term::atom("on_heap"),
            "modified_timing_level" | "hipe_architecture" => Term::atom("undefined"),
            "update_cpu_info" => Term::atom("unchanged"),
            "fullsweep_after" => pair("fullsweep_after", int(65_535)),
            "min_heap_size" => pair("min_heap_size", int(233)),
            "min_bin_vheap_size" => pair("min_bin_vheap_size", int(46_422)),
            "max_heap_size" => Term::Map(vec![
                (Term::atom("error_logger"), Term::atom("true")),
                (Term::atom("kill"), Term::atom("true")),
                (Term::atom("size"), int(0)),
            ]),
            "garbage_collection" => Term::list(vec![
                pair("max_heap_size", int(0)),
                pair("min_bin_vheap_size", int(46_422)),
                pair("min_heap_size", int(233)),
                pair("fullsweep_after", int(65_535)),
            ]),
            "sequential_tracer" => pair("sequential_tracer", Term::atom("false")),
            "trace_control_word" | "creation" => int(0),
            "nif_version" => Term::string("2.16"),
            "driver_version" => Term::string("3.3"),
            "dist_ctrl" => Term::Nil,
            "delayed_node_table_gc" => int(60),
            _ => return badarg(),
        }
    } else {
        let v = View {
            heap: &p.heap,
            literals: &vm.literals,
        };
        match v.tuple(item) {
            Some([k, w])
                if Word(*k)
                    .as_atom()
                    .is_some_and(|k| &*vm.atoms.name(k) == "wordsize")
                    && Word(*w)
                        .as_atom()
                        .is_some_and(|w| matches!(&*vm.atoms.name(w), "internal" | "external")) =>
            {
                int(8)
            }
            _ => return badarg(),
        }
    };
    NativeResult::Value(p.heap.from_term(0, &term, &vm.atoms))
}

/// `erlang:system_flag(Flag, Value)`: the flag's old value.
/// `schedulers_online` takes effect: schedulers past it take no work until
/// it rises again.
pub(crate) fn system_flag(vm: &mut Vm, flag: Word, value: Word) -> NativeResult {
    let name = flag.as_atom().map(|a| vm.atoms.name(a));
    match name.as_deref() {
        Some("schedulers_online") => match value.as_small() {
            Some(n) if n >= 1 && n as usize <= vm.schedulers => {
                let old = vm.schedulers_online;
                vm.set_schedulers_online(n as usize);
                NativeResult::Value(Word::small(old as i64).expect("a count"))
            }
            _ => badarg(),
        },
        // The old value; the new one a pid, `logger` or `undefined`.
        Some("system_logger") => {
            let ok = value.as_pid().is_some()
                || value
                    .as_atom()
                    .is_some_and(|a| matches!(&*vm.atoms.name(a), "logger" | "undefined"));
            if !ok {
                return badarg();
            }
            NativeResult::Value(std::mem::replace(&mut vm.system_logger, value))
        }
        _ => badarg(),
    }
}

/// CPU time of the whole OS process in milliseconds (user plus system, as
/// erl's `runtime`), from `/proc/self/stat` where there is one; elsewhere
/// the wall clock stands in.
fn cpu_ms() -> u64 {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which may hold spaces and ends at
            // the last ')': utime and stime are the 12th and 13th of them.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split(' ').collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        });
    // USER_HZ is 100 on every Linux that user space sees.
    ticks.map_or_else(wall_ms, |t| t * 10)
}

fn wall_ms() -> u64 {
    crate::vm::natives::sys::epoch().elapsed().as_millis() as u64
}

/// `erlang:statistics(Item)`; badarg for an item erl does not know. Counts
/// LAM does not keep (context switches, collections, I/O bytes) are zero in
/// erl's shapes, so code that reads them runs.
pub(crate) fn statistics(vm: &mut Vm, p: &mut Proc, item: Word) -> NativeResult {
    let int = |n: u64| Term::Int(n as i64);
    let pair = |a: u64, b: u64| Term::Tuple(vec![int(a), int(b)]);
    let Some(name) = item.as_atom().map(|a| vm.atoms.name(a)) else {
        return badarg();
    };
    let reductions = || {
        let live: u64 = vm
            .procs
            .values()
            .map(|q| q.total_reductions + u64::from(q.reductions))
            .sum();
        vm.stats.dead_reductions + live + p.total_reductions + u64::from(p.reductions)
    };
    let queues: Vec<u64> = vm.run_queues.iter().map(|q| q.len() as u64).collect();
    let queued: u64 = queues.iter().sum();
    let term = match &*name {
        "wall_clock" => {
            let now = wall_ms();
            let since = now - std::mem::replace(&mut vm.stats.last_wall_ms, now);
            pair(now, since)
        }
        "runtime" => {
            let now = cpu_ms();
            let since = now.saturating_sub(std::mem::replace(&mut vm.stats.last_runtime_ms, now));
            pair(now, since)
        }
        "reductions" => {
            let now = reductions();
            let since = now.saturating_sub(std::mem::replace(&mut vm.stats.last_reductions, now));
            pair(now, since)
        }
        "exact_reductions" => {
            let now = reductions();
            let last = &mut vm.stats.last_exact_reductions;
            let since = now.saturating_sub(std::mem::replace(last, now));
            pair(now, since)
        }
        "context_switches" => pair(0, 0),
        "garbage_collection" => Term::Tuple(vec![int(0), int(0), int(0)]),
        "io" => Term::Tuple(vec![
            Term::Tuple(vec![Term::atom("input"), int(0)]),
            Term::Tuple(vec![Term::atom("output"), int(0)]),
        ]),
        "run_queue" | "total_run_queue_lengths" | "total_run_queue_lengths_all" => int(queued),
        "run_queue_lengths" | "run_queue_lengths_all" => {
            Term::list(queues.iter().map(|&n| int(n)).collect())
        }
        // The caller is running: it is one of the active tasks.
        "total_active_tasks" | "total_active_tasks_all" => int(queued + vm.running.len() as u64),
        "active_tasks" | "active_tasks_all" => {
            let mut tasks: Vec<Term> = queues.iter().map(|&n| int(n)).collect();
            if let Some(Term::Int(n)) = tasks.get_mut(vm.current) {
                *n += 1;
            }
            Term::list(tasks)
        }
        // Off unless `system_flag(scheduler_wall_time, true)`, which LAM
        // refuses.
        "scheduler_wall_time" | "scheduler_wall_time_all" | "microstate_accounting" => {
            Term::atom("undefined")
        }
        _ => return badarg(),
    };
    NativeResult::Value(p.heap.from_term(0, &term, &vm.atoms))
}
