//! `erlang:system_info/1` and `erlang:system_flag/2`: what the system is
//! and the flags that change how it runs (`schedulers_online`,
//! `backtrace_depth`; the others are kept and reported, see `flags::SysFlags`);
//! and `erlang:statistics/1`, what it has done.
//!
//! LAM answers as the BEAM it stands in for: `machine` is `"BEAM"`, the
//! release and emulator version are OTP 25's (whose instructions, BIFs and
//! library LAM runs), so code that branches on them takes the path it takes
//! on erl. Sizes, limits and defaults are erl's; counts (processes, atoms,
//! schedulers) are LAM's own.

use std::sync::atomic::Ordering;

use crate::term::Term;
use crate::vm::exec::proc::{MaxHeap, Proc};
use crate::vm::native::{NativeResult, badarg};
use crate::vm::runtime::vm::Vm;
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::list::list_of;
use crate::vm::term::word::Word;

/// The OTP release whose semantics LAM follows.
pub const OTP_RELEASE: &str = "25";

/// The version of that release's emulator (erts) that LAM reports.
pub const ERTS_VERSION: &str = "13.1.5";

/// The heap sizes the BEAM rounds a requested size up to: a Fibonacci-like
/// series (each the sum of the two before, plus one) up to about 1.3
/// million words, then 20 % growth, up to 2^53 bytes of words.
fn heap_sizes() -> Vec<u64> {
    let mut sizes = vec![12u64, 38];
    while sizes.len() < 23 {
        let n = sizes.len();
        sizes.push(sizes[n - 1] + sizes[n - 2] + 1);
    }
    let max = (1u64 << 53) / 8;
    loop {
        let last = *sizes.last().expect("sizes");
        let next = last + last / 5;
        if next > max {
            return sizes;
        }
        sizes.push(next);
    }
}

/// The smallest heap size at least `n` words, as erl rounds `min_heap_size`
/// and `min_bin_vheap_size`; `None` past the largest.
fn next_heap_size(n: u64) -> Option<u64> {
    heap_sizes().into_iter().find(|&s| s >= n)
}

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
    let atom = |a: &str| Term::atom(a);
    let pair = |k: &str, v: Term| Term::Tuple(vec![Term::atom(k), v]);
    let cpus = crate::vm::platform::processors();
    let term = if let Some(a) = item.as_atom() {
        let online = vm.schedulers_online;
        let name = vm.atoms.name(a);
        // Items whose answer holds pids, built on the heap directly.
        match &*name {
            "system_logger" => return NativeResult::Value(vm.system_logger),
            "multi_scheduling_blockers" | "normal_multi_scheduling_blockers" => {
                let list = if &*name == "multi_scheduling_blockers" {
                    &vm.sys.blockers
                } else {
                    &vm.sys.normal_blockers
                };
                let pids: Vec<Word> = list.iter().map(|&(pid, _)| Word::pid(pid)).collect();
                return NativeResult::Value(list_of(&mut p.heap, &pids));
            }
            "sequential_tracer" => {
                let t = vm.sys.sequential_tracer;
                let key = Word::atom(vm.atoms.intern("sequential_tracer"));
                return NativeResult::Value(p.heap.tuple(0, &[key, t]));
            }
            _ => {}
        }
        match &*name {
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
            "endian" => atom(if cfg!(target_endian = "big") {
                "big"
            } else {
                "little"
            }),
            // An interpreter, not a JIT: the BEAM's own interpreter is `emu`.
            "emu_flavor" => atom("emu"),
            "emu_type" | "build_type" => atom("opt"),
            "compat_rel" => int(25),
            "schedulers" | "dirty_cpu_schedulers" => int(vm.schedulers),
            "schedulers_online" => int(online),
            "dirty_cpu_schedulers_online" => {
                int(vm.sys.dirty_cpu_schedulers_online.unwrap_or(vm.schedulers))
            }
            "logical_processors" | "logical_processors_available" | "logical_processors_online" => {
                int(cpus)
            }
            "dirty_io_schedulers" => int(10),
            "thread_pool_size" => int(1),
            // The running process is out of the table, among `running`.
            "process_count" => int(vm.procs.len() + vm.running.len()),
            "process_limit" => int(262_144),
            "atom_count" => int(vm.atoms.len()),
            "atom_limit" => int(vm.atoms.limit()),
            "port_count" => int(0),
            "port_limit" => int(65_536),
            "ets_limit" => int(8192),
            "ets_count" => int(vm.ets.all().len()),
            "scheduler_id" => int(vm.current + 1),
            "smp_support" | "threads" | "kernel_poll" | "eager_check_io" | "time_correction"
            | "thread_progress" => atom("true"),
            "debug_compiled"
            | "lock_checking"
            | "lock_counting"
            | "port_parallelism"
            | "ets_always_compress" => atom("false"),
            "time_offset" => atom("final"),
            "time_warp_mode" => atom("no_time_warp"),
            "tolerant_timeofday" => atom("enabled"),
            "multi_scheduling" => atom(if !vm.sys.blockers.is_empty() {
                "blocked"
            } else if !vm.sys.normal_blockers.is_empty() {
                "blocked_normal"
            } else {
                "enabled"
            }),
            "scheduler_bind_type" => atom("unbound"),
            "scheduler_bindings" => Term::Tuple(vec![atom("unbound"); vm.schedulers]),
            "cpu_topology" => cpu_topology(cpus),
            "cpu_quota" => atom("unknown"),
            "heap_type" => atom("private"),
            "message_queue_data" => atom("on_heap"),
            "modified_timing_level" | "hipe_architecture" => atom("undefined"),
            "update_cpu_info" => atom("unchanged"),
            "fullsweep_after" => pair("fullsweep_after", int(vm.sys.fullsweep_after as usize)),
            "min_heap_size" => pair("min_heap_size", int(vm.sys.min_heap_size as usize)),
            "min_bin_vheap_size" => pair(
                "min_bin_vheap_size",
                int(vm.sys.min_bin_vheap_size as usize),
            ),
            "max_heap_size" => max_heap_map(vm.sys.max_heap),
            "garbage_collection" => Term::list(vec![
                pair("max_heap_size", int(vm.sys.max_heap.size as usize)),
                pair(
                    "min_bin_vheap_size",
                    int(vm.sys.min_bin_vheap_size as usize),
                ),
                pair("min_heap_size", int(vm.sys.min_heap_size as usize)),
                pair("fullsweep_after", int(vm.sys.fullsweep_after as usize)),
            ]),
            "trace_control_word" => int(vm.sys.trace_control_word as usize),
            "creation" => int(0),
            "nif_version" => Term::string("2.16"),
            "driver_version" => Term::string("3.3"),
            "dist_ctrl" => Term::Nil,
            "delayed_node_table_gc" => int(60),
            "dist_buf_busy_limit" => int(1_048_576),
            "outstanding_system_requests_limit" => {
                int(vm.sys.outstanding_system_requests_limit as usize)
            }
            // erl's monotonic time runs from here to there, in native
            // units (nanoseconds), whenever it started.
            "start_time" => Term::Int(-576_460_752_000_000_000),
            "end_time" => Term::Int(8_646_911_283_000_000_000),
            "os_monotonic_time_source" => Term::list(vec![
                pair("function", atom("clock_gettime")),
                pair("clock_id", atom("CLOCK_MONOTONIC")),
                pair("resolution", int(1_000_000_000)),
                pair("extended", atom("no")),
                pair("parallel", atom("yes")),
                pair(
                    "time",
                    Term::Int(crate::vm::natives::sys::monotonic_ns() as i64),
                ),
            ]),
            "os_system_time_source" => Term::list(vec![
                pair("function", atom("clock_gettime")),
                pair("clock_id", atom("CLOCK_REALTIME")),
                pair("resolution", int(1_000_000_000)),
                pair("parallel", atom("yes")),
                pair(
                    "time",
                    Term::Int(crate::vm::natives::sys::system_ns() as i64),
                ),
            ]),
            // Built by rustc, which erl has no name for.
            "c_compiler_used" => Term::Tuple(vec![atom("undefined"), atom("undefined")]),
            "check_io" => Term::list(vec![Term::list(vec![
                pair("name", atom("erts_poll")),
                pair("primary", atom("none")),
                pair("kernel_poll", atom("false")),
                pair("memory_size", int(0)),
                pair("total_poll_set_size", int(0)),
                pair("max_fds", int(0)),
                pair("active_fds", int(0)),
                pair("poll_threads", int(0)),
            ])]),
            "alloc_util_allocators" => {
                Term::list(ALLOCATORS[1..].iter().map(|a| atom(a)).collect())
            }
            // LAM allocates with Rust's global allocator, not erts_alloc.
            "allocator" => Term::Tuple(vec![
                atom("undefined"),
                Term::Nil,
                Term::list(ALLOCATORS.iter().map(|a| atom(a)).collect()),
                Term::Nil,
            ]),
            "allocated_areas" => Term::list(vec![
                pair("atom_table", int(vm.atoms.len() * 16)),
                pair("module_table", int(vm.modules.len() * 64)),
            ]),
            "reader_groups_map" => Term::list(
                (0..vm.schedulers)
                    .map(|i| Term::Tuple(vec![int(i), int(i + 1)]))
                    .collect(),
            ),
            "emu_args" => Term::list(std::env::args().map(|a| Term::string(&a)).collect()),
            "ethread_info" | "snifs" | "taints" => Term::Nil,
            "scheduling_statistics" | "total_scheduling_statistics" => Term::list(
                [
                    "process_max",
                    "process_high",
                    "process_normal",
                    "process_low",
                    "port",
                ]
                .iter()
                .map(|k| Term::Tuple(vec![atom(k), int(0), int(0)]))
                .collect(),
            ),
            "info" | "procs" | "loaded" | "dist" => Term::Binary(dump(vm, p, &name).into_bytes()),
            _ => return badarg(),
        }
    } else {
        let v = View {
            heap: &p.heap,
            literals: &vm.literals,
        };
        let Some(&[k, w]) = v.tuple(item) else {
            return badarg();
        };
        let (k, w) = (Word(k), Word(w));
        let Some(key) = k.as_atom().map(|k| vm.atoms.name(k)) else {
            return badarg();
        };
        let what = w.as_atom().map(|w| vm.atoms.name(w));
        match (&*key, what.as_deref()) {
            ("wordsize", Some("internal" | "external")) => int(8),
            ("allocator" | "allocator_sizes", Some(a)) if ALLOCATORS.contains(&a) => {
                Term::list(vec![Term::Tuple(vec![atom("instance"), int(0), Term::Nil])])
            }
            ("cpu_topology", Some("defined")) => atom("undefined"),
            ("cpu_topology", Some("detected" | "used")) => cpu_topology(cpus),
            _ => return badarg(),
        }
    };
    NativeResult::Value(p.heap.from_term(0, &term, &vm.atoms))
}

/// erts_alloc's allocators, `sys_alloc` first (the one that is not an
/// alloc_util allocator).
const ALLOCATORS: &[&str] = &[
    "sys_alloc",
    "temp_alloc",
    "sl_alloc",
    "std_alloc",
    "ll_alloc",
    "eheap_alloc",
    "ets_alloc",
    "fix_alloc",
    "literal_alloc",
    "binary_alloc",
    "driver_alloc",
];

/// One processor of `n` cores, one logical processor each, as erl detects
/// a machine without threads or NUMA nodes.
fn cpu_topology(n: usize) -> Term {
    let cores = (0..n)
        .map(|i| {
            Term::Tuple(vec![
                Term::atom("core"),
                Term::Tuple(vec![Term::atom("logical"), Term::Int(i as i64)]),
            ])
        })
        .collect();
    Term::list(vec![Term::Tuple(vec![
        Term::atom("processor"),
        Term::list(cores),
    ])])
}

/// A `max_heap_size` setting as erl gives it.
pub(crate) fn max_heap_map(m: MaxHeap) -> Term {
    let b = |v: bool| Term::atom(if v { "true" } else { "false" });
    Term::Map(vec![
        (Term::atom("error_logger"), b(m.error_logger)),
        (Term::atom("kill"), b(m.kill)),
        (Term::atom("size"), Term::Int(m.size as i64)),
    ])
}

/// The text of `system_info(info | procs | loaded | dist)`: the sections of
/// a crash dump that LAM can fill in, in erl's layout.
fn dump(vm: &Vm, p: &Proc, what: &str) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    match what {
        "info" => {
            let _ = write!(
                s,
                "=memory\n=hash_table:atom_tab\nobjs: {}\n=index_table:atom_tab\nlimit: 1048576\nentries: {}\n",
                vm.atoms.len(),
                vm.atoms.len()
            );
        }
        "procs" => {
            let mut procs: Vec<(u64, u64)> = vm
                .procs
                .values()
                .map(|q| (q.pid, q.total_reductions + u64::from(q.reductions)))
                .collect();
            procs.push((p.pid, p.total_reductions + u64::from(p.reductions)));
            procs.sort_unstable();
            for (pid, reds) in procs {
                let name = vm
                    .registry
                    .iter()
                    .find(|&(_, &q)| q == pid)
                    .map(|(n, _)| format!("Name: {}\n", vm.atoms.name(*n)))
                    .unwrap_or_default();
                let _ = write!(s, "=proc:<0.{pid}.0>\n{name}Reductions: {reds}\n");
            }
        }
        "loaded" => {
            let size = |m: &crate::vm::code::loader::Loaded| m.code.len() * 16;
            let total: usize = vm.modules.iter().map(|m| size(m)).sum();
            let _ = write!(s, "Current code: {total}\nOld code: 0\n");
            for m in &vm.modules {
                let _ = writeln!(s, "{} {}", vm.atoms.name(m.name), size(m));
            }
        }
        _ => s.push_str("=node:'nonode@nohost'\n=no_distribution\n"),
    }
    s
}

/// `badarg` whose error_info says the flag itself is unknown, as erl's
/// `system_flag/2` explains one (`cause => badopt`).
fn badopt(vm: &Vm, p: &mut Proc) -> NativeResult {
    let keys = [
        Word::atom(vm.atoms.intern("cause")),
        Word::atom(vm.atoms.intern("module")),
    ];
    let vals = [
        Word::atom(vm.atoms.intern("badopt")),
        Word::atom(vm.atoms.intern("erl_erts_errors")),
    ];
    let map = p.heap.map(0, &keys, &vals);
    NativeResult::Error(Exception {
        class: atom::ERROR,
        reason: Word::atom(atom::BADARG),
        trace: map,
    })
}

/// A non-negative small integer below `limit`.
fn count_below(w: Word, limit: u64) -> Option<u64> {
    w.as_small()
        .and_then(|n| u64::try_from(n).ok())
        .filter(|&n| n < limit)
}

/// `erlang:system_flag(Flag, Value)`: the flag's old value.
/// `schedulers_online` takes effect: schedulers past it take no work until
/// it rises again; `backtrace_depth` bounds every stack trace made after.
pub(crate) fn system_flag(vm: &mut Vm, p: &mut Proc, flag: Word, value: Word) -> NativeResult {
    let name = flag.as_atom().map(|a| vm.atoms.name(a));
    let small = |n: u64| Word::small(n as i64).expect("a small count");
    let value_atom = value.as_atom().map(|a| vm.atoms.name(a));
    let value_name = value_atom.as_deref();
    let word_atom = |vm: &Vm, a: &str| Word::atom(vm.atoms.intern(a));
    let old = match name.as_deref() {
        Some("schedulers_online") => match value.as_small() {
            Some(n) if n >= 1 && n as usize <= vm.schedulers => {
                let old = vm.schedulers_online;
                vm.set_schedulers_online(n as usize);
                small(old as u64)
            }
            _ => return badarg(),
        },
        Some("dirty_cpu_schedulers_online") => match value.as_small() {
            Some(n) if n >= 1 && n as usize <= vm.schedulers => {
                let online = &mut vm.sys.dirty_cpu_schedulers_online;
                let old = online.replace(n as usize).unwrap_or(vm.schedulers);
                small(old as u64)
            }
            _ => return badarg(),
        },
        // Deeper than 64 frames is 64, as on erl.
        Some("backtrace_depth") => match count_below(value, 1 << 59) {
            Some(n) => small(
                vm.sys
                    .backtrace_depth
                    .swap(n.min(64) as usize, Ordering::Relaxed) as u64,
            ),
            None => return badarg(),
        },
        Some("trace_control_word") => match count_below(value, 1 << 32) {
            Some(n) => small(std::mem::replace(&mut vm.sys.trace_control_word, n)),
            None => return badarg(),
        },
        Some("fullsweep_after") => match count_below(value, 1 << 59) {
            Some(n) => small(std::mem::replace(&mut vm.sys.fullsweep_after, n)),
            None => return badarg(),
        },
        Some(f @ ("min_heap_size" | "min_bin_vheap_size")) => {
            match count_below(value, 1 << 59).and_then(next_heap_size) {
                Some(n) => {
                    let slot = if f == "min_heap_size" {
                        &mut vm.sys.min_heap_size
                    } else {
                        &mut vm.sys.min_bin_vheap_size
                    };
                    small(std::mem::replace(slot, n))
                }
                None => return badarg(),
            }
        }
        Some("max_heap_size") => match max_heap(vm, p, value, vm.sys.max_heap) {
            Some(new) => {
                let old = std::mem::replace(&mut vm.sys.max_heap, new);
                p.heap.from_term(0, &max_heap_map(old), &vm.atoms)
            }
            None => return badarg(),
        },
        Some("multi_scheduling") => {
            let pid = p.pid;
            let sys = &mut vm.sys;
            let (list, block) = match value_name {
                Some("block") => (&mut sys.blockers, true),
                Some("unblock") => (&mut sys.blockers, false),
                Some("block_normal") => (&mut sys.normal_blockers, true),
                Some("unblock_normal") => (&mut sys.normal_blockers, false),
                _ => return badarg(),
            };
            let at = list.iter().position(|&(q, _)| q == pid);
            match (block, at) {
                (true, Some(i)) => list[i].1 += 1,
                (true, None) => list.push((pid, 1)),
                (false, Some(i)) if list[i].1 > 1 => list[i].1 -= 1,
                (false, Some(i)) => {
                    list.remove(i);
                }
                (false, None) => {}
            }
            let state = if !sys.blockers.is_empty() {
                "blocked"
            } else if !sys.normal_blockers.is_empty() {
                "blocked_normal"
            } else {
                "enabled"
            };
            word_atom(vm, state)
        }
        // What the machine is cannot be set on LAM; the old value is the
        // one it detected, as erl answers when none was set.
        Some("cpu_topology") => {
            if value_name != Some("undefined") && !value.is_list() && value != Word::NIL {
                return badarg();
            }
            let cpus = crate::vm::platform::processors();
            p.heap.from_term(0, &cpu_topology(cpus), &vm.atoms)
        }
        Some("scheduler_bind_type") => match value_name {
            Some(
                "unbound"
                | "no_spread"
                | "thread_spread"
                | "processor_spread"
                | "spread"
                | "no_node_thread_spread"
                | "no_node_processor_spread"
                | "thread_no_node_processor_spread"
                | "default_bind",
            ) => word_atom(vm, "unbound"),
            _ => return badarg(),
        },
        // Allocators are not erts_alloc's: no setting is supported.
        Some("erts_alloc") => {
            let v = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            match v.tuple(value) {
                Some(&[a, f, _]) if Word(a).as_atom().is_some() && Word(f).as_atom().is_some() => {
                    word_atom(vm, "notsup")
                }
                _ => return badarg(),
            }
        }
        // Time warp is off: the offset is final from the start.
        Some("time_offset") => match value_name {
            Some("finalize") => word_atom(vm, "final"),
            _ => return badopt(vm, p),
        },
        Some("outstanding_system_requests_limit") => match count_below(value, 1 << 27) {
            Some(n) if n >= 1 => small(std::mem::replace(
                &mut vm.sys.outstanding_system_requests_limit,
                n,
            )),
            _ => return badarg(),
        },
        // Neither is measured on LAM: they stay off.
        Some("scheduler_wall_time") => match value_name {
            Some("true" | "false") => Word::atom(atom::FALSE),
            _ => return badarg(),
        },
        Some("microstate_accounting") => match value_name {
            Some("true" | "false" | "reset") => Word::atom(atom::FALSE),
            _ => return badarg(),
        },
        Some("scheduling_statistics") => match value_name {
            Some("enable" | "disable") => Word::atom(atom::TRUE),
            _ => return badarg(),
        },
        Some("reset_seq_trace") => Word::atom(atom::TRUE),
        Some("sequential_tracer") => {
            if value.as_pid().is_none() && value_name != Some("false") {
                return badarg();
            }
            std::mem::replace(&mut vm.sys.sequential_tracer, value)
        }
        // The old value; the new one a pid, `logger` or `undefined`.
        Some("system_logger") => {
            let ok = value.as_pid().is_some() || matches!(value_name, Some("logger" | "undefined"));
            if !ok {
                return badarg();
            }
            std::mem::replace(&mut vm.system_logger, value)
        }
        _ => return badopt(vm, p),
    };
    NativeResult::Value(old)
}

/// The new `max_heap_size` setting over `old`: a size, which keeps the
/// flags, or a map with `size` and optionally `kill` and `error_logger`. A
/// size is 0 (no limit) or at least the minimum heap size.
pub(crate) fn max_heap(vm: &Vm, p: &Proc, value: Word, old: MaxHeap) -> Option<MaxHeap> {
    let (mut size, mut kill, mut logger) = (None, old.kill, old.error_logger);
    let v = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    if let Some(n) = count_below(value, 1 << 59) {
        size = Some(n);
    } else {
        let bool_of = |w: Word| match w.as_atom().map(|a| vm.atoms.name(a)).as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        };
        for (k, w) in v.map_pairs(value)? {
            match k.as_atom().map(|a| vm.atoms.name(a)).as_deref() {
                Some("size") => size = Some(count_below(w, 1 << 59)?),
                Some("kill") => kill = bool_of(w)?,
                Some("error_logger") => logger = bool_of(w)?,
                _ => return None,
            }
        }
    }
    let size = size?;
    (size == 0 || size >= vm.sys.min_heap_size).then_some(MaxHeap {
        size,
        kill,
        error_logger: logger,
    })
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
        // Then the dirty CPU run queue, and with `_all` the dirty I/O one:
        // LAM runs no dirty work, so they are empty.
        "run_queue_lengths" | "run_queue_lengths_all" => {
            let dirty = if name.ends_with("_all") { 2 } else { 1 };
            let mut lengths: Vec<Term> = queues.iter().map(|&n| int(n)).collect();
            lengths.extend((0..dirty).map(|_| int(0)));
            Term::list(lengths)
        }
        // The caller is running: it is one of the active tasks.
        "total_active_tasks" | "total_active_tasks_all" => int(queued + vm.running.len() as u64),
        "active_tasks" | "active_tasks_all" => {
            let mut tasks: Vec<Term> = queues.iter().map(|&n| int(n)).collect();
            if let Some(Term::Int(n)) = tasks.get_mut(vm.current) {
                *n += 1;
            }
            let dirty = if name.ends_with("_all") { 2 } else { 1 };
            tasks.extend((0..dirty).map(|_| int(0)));
            Term::list(tasks)
        }
        // Off: `system_flag(scheduler_wall_time | microstate_accounting,
        // true)` leaves them off on LAM, which does not measure them.
        "scheduler_wall_time" | "scheduler_wall_time_all" | "microstate_accounting" => {
            Term::atom("undefined")
        }
        _ => return badarg(),
    };
    NativeResult::Value(p.heap.from_term(0, &term, &vm.atoms))
}

/// `erlang:trace_info(PidPortFuncEvent, Item)`: nothing is ever traced on
/// LAM, so every answer is erl's for an untraced process, function or
/// event, and its errors are erl's for a bad one.
pub(crate) fn trace_info(vm: &mut Vm, p: &mut Proc, what: Word, item: Word) -> NativeResult {
    use crate::vm::native::CodeInfo;
    let item_name = item.as_atom().map(|a| vm.atoms.name(a));
    let process_item = matches!(item_name.as_deref(), Some("flags" | "tracer"));
    let answer = |p: &mut Proc, value: Word| NativeResult::Value(p.heap.tuple(0, &[item, value]));
    if let Some(pid) = what.as_pid() {
        if !process_item {
            return badarg();
        }
        let alive = pid == p.pid || vm.procs.contains_key(&pid) || vm.running.contains_key(&pid);
        if !alive {
            return NativeResult::Value(Word::atom(atom::UNDEFINED));
        }
        return answer(p, Word::NIL);
    }
    if let Some(a) = what.as_atom() {
        return match &*vm.atoms.name(a) {
            "new" | "new_processes" | "new_ports" if process_item => answer(p, Word::NIL),
            "new" | "new_processes" | "new_ports" => badarg(),
            "on_load" if item_name.is_some() => answer(p, Word::atom(atom::FALSE)),
            "send" | "receive" if item_name.as_deref() == Some("match_spec") => {
                answer(p, Word::atom(atom::TRUE))
            }
            "send" | "receive" | "on_load" => badarg(),
            _ => badopt(vm, p),
        };
    }
    let v = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    let Some(&[m, f, n]) = v.tuple(what) else {
        return badopt(vm, p);
    };
    let (Some(m), Some(f), Some(n)) = (Word(m).as_atom(), Word(f).as_atom(), Word(n).as_small())
    else {
        return badarg();
    };
    if n < 0 {
        return badarg();
    }
    let module = vm.atoms.name(m);
    let defined = crate::vm::natives::registry()
        .get(&module, &vm.atoms.name(f), n as u32)
        .is_some()
        || vm
            .modules
            .functions(m)
            .is_some_and(|fs| fs.contains(&(f, n as u32)));
    let value = if defined {
        atom::FALSE
    } else {
        atom::UNDEFINED
    };
    answer(p, Word::atom(value))
}

/// `erts_internal:erase_persistent_terms/0`: every persistent term goes,
/// except that what erl's `erl_features` would read back from `init` at
/// its next use is put back at once (LAM has no `init` to ask).
pub(crate) fn erase_persistent_terms(vm: &mut Vm) -> NativeResult {
    vm.persistent = crate::vm::runtime::vm::boot_persistent_terms(&vm.atoms);
    NativeResult::Value(Word::atom(atom::TRUE))
}
