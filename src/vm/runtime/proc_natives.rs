//! Process BIFs beyond spawning and signalling (those are in `interp.rs`):
//! timers (`send_after`, `start_timer`, `cancel_timer`, `read_timer`),
//! `process_info`, `processes`, `registered`, `spawn_opt`, `monitor/3`,
//! `send/3`, `yield`, `apply/2`.

use std::time::{Duration, Instant};

use crate::term::Term;
use crate::vm::code::kinds::SpawnKind;
use crate::vm::exec::proc::{Priority, Proc};
use crate::vm::native::HostOp;
use crate::vm::native::{NativeResult, badarg};
use crate::vm::ops::ets::Key;
use crate::vm::runtime::reload;
use crate::vm::runtime::system;
use crate::vm::runtime::timers::{Dest, Pending};
use crate::vm::runtime::vm::{AliasMode, Persistent, Vm, pid_of, ref_id};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::maps;
use crate::vm::term::memory::{Account, copy_bytes, refused};
use crate::vm::term::word::Word;

use NativeResult::Value;

pub(crate) fn view<'a>(vm: &'a Vm, p: &'a Proc) -> View<'a> {
    View {
        heap: &p.heap,
        literals: &vm.literals,
    }
}

/// `{Key, Value}` options as (name, value); bare atoms as (name, true).
pub(crate) fn options(vm: &Vm, p: &Proc, w: Word) -> Option<Vec<(String, Word)>> {
    let v = view(vm, p);
    list_items(&v, w)?
        .into_iter()
        .map(|o| match (o.as_atom(), v.tuple(o)) {
            (Some(a), _) => Some((vm.atoms.name(a).to_string(), Word::atom(atom::TRUE))),
            (_, Some([k, x])) => Some((vm.atoms.name(Word(*k).as_atom()?).to_string(), Word(*x))),
            _ => None,
        })
        .collect()
}

/// `send_after/3,4` and `start_timer/3,4`.
pub(crate) fn start(vm: &mut Vm, p: &mut Proc, a: &[Word], wrap: bool) -> NativeResult {
    let abs = match a.get(3) {
        None => false,
        Some(o) => match options(vm, p, *o) {
            Some(opts) if opts.iter().all(|(k, _)| k == "abs") => {
                opts.iter().any(|(_, x)| *x == Word::atom(atom::TRUE))
            }
            _ => return badarg(),
        },
    };
    let Some(t) = a[0].as_small() else {
        return badarg();
    };
    if !abs && t < 0 {
        return badarg();
    }
    let to = match (a[1].as_pid(), a[1].as_atom()) {
        (Some(pid), _) => Dest::Pid(pid),
        (_, Some(name)) => Dest::Name(name),
        _ => return badarg(),
    };
    let r = vm.make_ref(&mut p.heap);
    // A timer aimed at a process already gone is cancelled at once, before
    // its message is sized or copied: erl gives the reference whatever
    // the message's size.
    let gone =
        |pid: u64| pid != p.pid && !vm.procs.contains_key(&pid) && !vm.running.contains_key(&pid);
    if matches!(to, Dest::Pid(pid) if gone(pid)) {
        return Value(r);
    }
    let id = ref_id(&view(vm, p), r).expect("a reference");
    let v = view(vm, p);
    // The timer keeps a copy of the message (in `{timeout, Ref, Msg}` for
    // start_timer) until it fires: a store the program sizes, asked of the
    // budget and given room with `try_reserve` before the copy, as a
    // message is; the caller is refused.
    let left = vm.memory.left();
    let sized = copy_bytes(&v, a[2], false, left).and_then(|b| match wrap {
        true => copy_bytes(&v, r, false, left.saturating_sub(b)).map(|rb| b + rb + 32),
        false => Some(b),
    });
    let mut area = Area::default();
    if let Err(bytes) = sized
        .ok_or(left.saturating_add(1))
        .and_then(|b| vm.memory.grow(&mut area.words, b / 8))
    {
        return NativeResult::Error(refused(&vm.memory, p.pid, "a timer", bytes));
    }
    let msg = v.copy_into(a[2], &mut area);
    let msg = if wrap {
        let rc = v.copy_into(r, &mut area);
        let tag = Word::atom(vm.atoms.intern("timeout"));
        area.tuple(0, &[tag, rc, msg])
    } else {
        msg
    };
    // An absolute time is on `monotonic_time/0`'s clock (one in the past fires now).
    let deadline = if abs {
        crate::vm::natives::sys::epoch() + Duration::from_millis(t.max(0) as u64)
    } else {
        Instant::now() + Duration::from_millis(t as u64)
    };
    let held = Account::of_area(&vm.memory, &area);
    vm.timers.message(
        id,
        Pending {
            to,
            msg,
            area,
            held,
            deadline,
        },
    );
    Value(r)
}

/// Milliseconds left before a deadline (rounded up, as the BEAM reports them).
pub(crate) fn left(deadline: Instant) -> i64 {
    let d = deadline.saturating_duration_since(Instant::now());
    d.as_micros().div_ceil(1000) as i64
}

/// `cancel_timer/1,2` and `read_timer/1,2`.
pub(crate) fn cancel_or_read(vm: &mut Vm, p: &mut Proc, a: &[Word], cancel: bool) -> NativeResult {
    let Some(id) = ref_id(&view(vm, p), a[0]) else {
        return badarg();
    };
    let (mut asynchronous, mut info) = (false, true);
    if let Some(o) = a.get(1) {
        let Some(opts) = options(vm, p, *o) else {
            return badarg();
        };
        for (k, x) in opts {
            let b = x == Word::atom(atom::TRUE);
            match k.as_str() {
                "async" => asynchronous = b,
                "info" => info = b,
                _ => return badarg(),
            }
        }
    }
    let result = if cancel {
        vm.timers.cancel(id).map(|t| left(t.deadline))
    } else {
        vm.timers.deadline_of(id).map(left)
    };
    let result = match result {
        Some(ms) => Word::small(ms).expect("milliseconds"),
        None => Word::atom(atom::FALSE),
    };
    if asynchronous {
        if info {
            let tag =
                Word::atom(
                    vm.atoms
                        .intern(if cancel { "cancel_timer" } else { "read_timer" }),
                );
            let msg = p.heap.tuple(0, &[tag, a[0], result]);
            p.rx.mailbox.push_back(msg);
        }
        return Value(Word::atom(atom::OK));
    }
    Value(if info { result } else { Word::atom(atom::OK) })
}

pub(crate) fn other(vm: &Vm, target: u64) -> Option<&Proc> {
    vm.procs.get(&target).map(|b| &**b)
}

/// One `process_info` item of process `target` (the caller or another),
/// built in the caller's heap; `None` for an unknown item.
pub(crate) fn info_item(vm: &mut Vm, p: &mut Proc, target: u64, item: u32) -> Option<Word> {
    let name = vm.atoms.name(item);
    let is_self = target == p.pid;
    // Terms of another process are copied into the caller's heap.
    let copy = |vm: &Vm, p: &mut Proc, w: Word| -> Word {
        if is_self {
            return w;
        }
        let o = other(vm, target).expect("alive");
        View {
            heap: &o.heap,
            literals: &vm.literals,
        }
        .copy_into(w, &mut p.heap)
    };
    let small = |n: usize| Word::small(n as i64).expect("a count");
    macro_rules! of {
        ($f:expr) => {
            if is_self {
                $f(&*p)
            } else {
                $f(other(vm, target)?)
            }
        };
    }
    let value = match &*name {
        "message_queue_len" => small(of!(|q: &Proc| q.rx.mailbox.len())),
        "messages" => {
            let msgs: Vec<Word> = of!(|q: &Proc| q.rx.mailbox.iter().copied().collect::<Vec<_>>());
            let copied: Vec<Word> = msgs.into_iter().map(|m| copy(vm, p, m)).collect();
            list_of(&mut p.heap, &copied)
        }
        "links" => {
            let l: Vec<Word> = of!(|q: &Proc| q
                .sig
                .links
                .iter()
                .map(|x| crate::vm::exec::proc::link_word(*x))
                .collect::<Vec<_>>());
            list_of(&mut p.heap, &l)
        }
        "monitored_by" => {
            let l: Vec<Word> = of!(|q: &Proc| q
                .sig
                .monitored_by
                .iter()
                .map(|(_, x)| Word::pid(*x))
                .collect::<Vec<_>>());
            list_of(&mut p.heap, &l)
        }
        "registered_name" => match vm.registry.iter().find(|(_, pid)| **pid == target) {
            Some((n, _)) => Word::atom(*n),
            None => Word::NIL,
        },
        "status" => Word::atom(vm.atoms.intern(if is_self {
            "running"
        } else if other(vm, target)?.rx.waiting {
            "waiting"
        } else {
            "runnable"
        })),
        "heap_size" => small(of!(|q: &Proc| q.heap_words())),
        "total_heap_size" => small(of!(|q: &Proc| q.total_heap_words())),
        "garbage_collection" => {
            let (max_heap, min_heap, fullsweep_after, minor_gcs) =
                of!(|q: &Proc| (q.max_heap, q.min_heap, q.gc.fullsweep_after, q.gc.minor_gcs));
            // erl rounds min_heap_size up to one of its heap sizes; LAM keeps it.
            let min_heap = if min_heap == 0 { 233 } else { min_heap as i64 };
            let int = |n: i64| crate::term::Term::Int(n);
            let pair = |k: &str, v| crate::term::Term::Tuple(vec![crate::term::Term::atom(k), v]);
            let t = crate::term::Term::list(vec![
                pair("max_heap_size", system::max_heap_map(max_heap)),
                pair("min_bin_vheap_size", int(46_422)),
                pair("min_heap_size", int(min_heap)),
                pair("fullsweep_after", int(fullsweep_after as i64)),
                pair("minor_gcs", int(minor_gcs as i64)),
            ]);
            p.heap.from_term(0, &t, &vm.atoms)
        }
        "stack_size" => small(of!(|q: &Proc| q.st.stack.len())),
        "memory" => small(of!(process_bytes)),
        "reductions" => {
            let r = of!(|q: &Proc| q.total_reductions + u64::from(q.reductions));
            Word::small(r as i64).expect("reductions")
        }
        "dictionary" => {
            let d: Vec<(Word, Word)> = of!(|q: &Proc| q.dict.pairs());
            let ts: Vec<Word> = d
                .into_iter()
                .map(|(k, x)| {
                    let (k, x) = (copy(vm, p, k), copy(vm, p, x));
                    p.heap.tuple(0, &[k, x])
                })
                .collect();
            list_of(&mut p.heap, &ts)
        }
        "trap_exit" => Word::boolean(of!(|q: &Proc| q.sig.trap_exit)),
        "group_leader" => Word::pid(of!(|q: &Proc| q.group_leader)),
        "priority" => Word::atom(vm.atoms.intern(of!(|q: &Proc| q.priority).name())),
        "max_heap_size" => {
            let m = system::max_heap_map(of!(|q: &Proc| q.max_heap));
            p.heap.from_term(0, &m, &vm.atoms)
        }
        "error_handler" => Word::atom(vm.atoms.intern("error_handler")),
        "initial_call" | "current_function" => {
            let (m, f, a) = if &*name == "initial_call" {
                of!(|q: &Proc| q.initial_call)
            } else {
                let (mid, pc, hibernating) = if is_self {
                    (p.mid, p.pc, false)
                } else {
                    let q = other(vm, target)?;
                    (q.mid, q.pc, q.rx.waiting && q.st.stack.is_empty())
                };
                let loaded = vm.modules.get(mid as usize)?;
                if hibernating && calls_hibernate(vm, loaded, pc) {
                    // Where erl shows a hibernating process.
                    let hibernate = vm.atoms.intern("hibernate");
                    (atom::ERLANG, hibernate, 3)
                } else {
                    let (f, a) = loaded.function_at(pc)?;
                    (loaded.name, f, a)
                }
            };
            if m == 0 && f == 0 {
                return Some(Word::atom(atom::UNDEFINED));
            }
            let t = [Word::atom(m), Word::atom(f), small(a as usize)];
            p.heap.tuple(0, &t)
        }
        "current_stacktrace" => {
            let (top, st) = if is_self {
                ((p.mid, p.pc), &p.st)
            } else {
                let q = other(vm, target)?;
                // One waiting in a receive is where the receive starts (the
                // BEAM resumes it there), not at its wait at the end.
                let pc = if q.rx.waiting && q.rx.wake_pc != u32::MAX {
                    q.rx.wake_pc
                } else {
                    q.pc
                };
                ((q.mid, pc), &q.st)
            };
            let frames: Vec<(u32, u32)> = std::iter::once(top)
                .chain(st.returns().rev().map(|(m, pc)| (m, pc.saturating_sub(1))))
                .take(8)
                .collect();
            let mut entries = Vec::new();
            for (mid, pc) in frames.into_iter().take(8) {
                let Some(loaded) = vm.modules.get(mid as usize).cloned() else {
                    continue;
                };
                let Some((f, a)) = loaded.function_at(pc) else {
                    continue;
                };
                let loc = match loaded.lam.location(pc) {
                    Some((file, line)) => {
                        let t = crate::term::Term::list(vec![
                            crate::term::Term::Tuple(vec![
                                crate::term::Term::atom("file"),
                                crate::term::Term::string(file),
                            ]),
                            crate::term::Term::Tuple(vec![
                                crate::term::Term::atom("line"),
                                crate::term::Term::Int(line as i64),
                            ]),
                        ]);
                        p.heap.from_term(0, &t, &vm.atoms)
                    }
                    None => Word::NIL,
                };
                let e = [
                    Word::atom(loaded.name),
                    Word::atom(f),
                    small(a as usize),
                    loc,
                ];
                entries.push(p.heap.tuple(0, &e));
            }
            list_of(&mut p.heap, &entries)
        }
        _ => return None,
    };
    Some(p.heap.tuple(0, &[Word::atom(item), value]))
}

/// Room on the caller's heap for the items of `wanted` that a program
/// sizes (`messages` and `dictionary`: copies of another process's terms,
/// or a list as long as the caller's own), or the bytes the budget or the
/// allocator refused: asked before any item is built, so that a refusal
/// is the caller's `exit:out_of_memory` and never the vector's abort.
fn info_room(vm: &Vm, p: &mut Proc, target: u64, wanted: &[u32]) -> Result<(), usize> {
    let (msgs, dict) = (vm.atoms.intern("messages"), vm.atoms.intern("dictionary"));
    if !wanted.iter().any(|i| *i == msgs || *i == dict) {
        return Ok(());
    }
    let is_self = target == p.pid;
    let q: &Proc = if is_self {
        p
    } else {
        match other(vm, target) {
            Some(q) => q,
            None => return Ok(()),
        }
    };
    let v = View {
        heap: &q.heap,
        literals: &vm.literals,
    };
    let left = vm.memory.left();
    let mut bytes = 0usize;
    let add = |w: Word, bytes: &mut usize| -> Result<(), usize> {
        if !is_self {
            let b = copy_bytes(&v, w, false, left.saturating_sub(*bytes))
                .ok_or(left.saturating_add(1))?;
            *bytes = bytes.saturating_add(b);
        }
        Ok(())
    };
    for &item in wanted {
        if item == msgs {
            bytes = bytes.saturating_add(q.rx.mailbox.len().saturating_mul(16));
            for m in q.rx.mailbox.iter() {
                add(*m, &mut bytes)?;
            }
        } else if item == dict {
            bytes = bytes.saturating_add(q.dict.len().saturating_mul(40));
            for e in q.dict.entries() {
                add(e.key, &mut bytes)?;
                add(e.value, &mut bytes)?;
            }
        }
    }
    // The `{Item, Value}` tuples and the list around them.
    let words = bytes / 8 + 5 * wanted.len();
    vm.memory.grow(&mut p.heap.words, words).map(|_| ())
}

pub(crate) fn process_info(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    let Some(target) = a[0].as_pid() else {
        return badarg();
    };
    if vm.busy(target, p) {
        return NativeResult::Retry;
    }
    if target != p.pid && !vm.procs.contains_key(&target) {
        // A dead process still has its items checked: an unknown item is
        // badarg (asked of the caller itself, which knows every item).
        let known = |vm: &mut Vm, p: &mut Proc, w: Word| {
            w.as_atom()
                .is_some_and(|i| info_item(vm, p, p.pid, i).is_some())
        };
        let items = match a.get(1) {
            None => Some(vec![]),
            Some(w) if w.as_atom().is_some() => Some(vec![*w]),
            Some(w) => list_items(&view(vm, p), *w),
        };
        return match items {
            Some(items) if items.iter().all(|w| known(vm, p, *w)) => {
                Value(Word::atom(atom::UNDEFINED))
            }
            _ => badarg(),
        };
    }
    let wanted: Vec<u32> = match a.get(1) {
        None => [
            "current_function",
            "initial_call",
            "status",
            "message_queue_len",
            "links",
            "dictionary",
            "trap_exit",
            "error_handler",
            "priority",
            "group_leader",
            "total_heap_size",
            "heap_size",
            "stack_size",
            "reductions",
        ]
        .iter()
        .map(|n| vm.atoms.intern(n))
        .collect(),
        Some(w) if w.as_atom().is_some() => {
            let item = w.as_atom().expect("checked");
            if let Err(b) = info_room(vm, p, target, &[item]) {
                return NativeResult::Error(refused(&vm.memory, p.pid, "process_info", b));
            }
            return match info_item(vm, p, target, item) {
                // An unregistered process has `[]`, not `{registered_name, []}`.
                Some(t) if &*vm.atoms.name(item) == "registered_name" => {
                    let v = view(vm, p);
                    match v.tuple(t) {
                        Some([_, x]) if Word(*x) == Word::NIL => Value(Word::NIL),
                        _ => Value(t),
                    }
                }
                Some(t) => Value(t),
                None => badarg(),
            };
        }
        Some(w) => {
            match list_items(&view(vm, p), *w).and_then(|l| l.iter().map(|x| x.as_atom()).collect())
            {
                Some(l) => l,
                None => return badarg(),
            }
        }
    };
    if let Err(b) = info_room(vm, p, target, &wanted) {
        return NativeResult::Error(refused(&vm.memory, p.pid, "process_info", b));
    }
    let mut out = Vec::with_capacity(wanted.len());
    for item in wanted {
        match info_item(vm, p, target, item) {
            Some(t) => out.push(t),
            None => return badarg(),
        }
    }
    Value(list_of(&mut p.heap, &out))
}

/// Whether `spawn_opt`'s option list holds only options erl takes, with
/// values of the right kind (erl refuses the whole call otherwise).
fn spawn_options_valid(vm: &Vm, p: &Proc, w: Word) -> bool {
    let v = view(vm, p);
    let Some(items) = list_items(&v, w) else {
        return false;
    };
    let name = |w: Word| w.as_atom().map(|a| vm.atoms.name(a));
    items.iter().all(|o| {
        if let Some(n) = name(*o) {
            return matches!(&*n, "link" | "monitor");
        }
        let Some([k, x]) = v.tuple(*o) else {
            return false;
        };
        let (k, x) = (Word(*k), Word(*x));
        let count = x.as_small().is_some_and(|n| n >= 0);
        match name(k).as_deref() {
            Some("monitor") => list_items(&v, x).is_some(),
            Some("priority") => {
                matches!(name(x).as_deref(), Some("low" | "normal" | "high" | "max"))
            }
            Some("fullsweep_after" | "min_heap_size" | "min_bin_vheap_size") => count,
            Some("max_heap_size") => count || maps::is_map(&v, x),
            Some("message_queue_data") => {
                matches!(name(x).as_deref(), Some("off_heap" | "on_heap"))
            }
            _ => false,
        }
    })
}

pub(crate) fn spawn_opt(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    let (args, opts) = a.split_at(a.len() - 1);
    if !spawn_options_valid(vm, p, opts[0]) {
        return badarg();
    }
    let Some(opts) = options(vm, p, opts[0]) else {
        return badarg();
    };
    let link = opts.iter().any(|(k, _)| k == "link");
    let monitor = opts.iter().any(|(k, _)| k == "monitor");
    let priority = match opts.iter().rev().find(|(k, _)| k == "priority") {
        Some((_, v)) => match priority_named(vm, *v) {
            Some(p) => Some(p),
            None => return badarg(),
        },
        None => None,
    };
    let min_heap = opts
        .iter()
        .find(|(k, _)| k == "min_heap_size")
        .and_then(|(_, v)| v.as_small());
    let fullsweep_after = opts
        .iter()
        .rev()
        .find(|(k, _)| k == "fullsweep_after")
        .and_then(|(_, v)| v.as_small());
    let max_heap = match opts.iter().rev().find(|(k, _)| k == "max_heap_size") {
        Some((_, v)) => match system::max_heap(vm, p, *v, vm.sys.max_heap) {
            Some(m) => Some(m),
            None => return badarg(),
        },
        None => None,
    };
    let kind = if monitor {
        SpawnKind::SpawnMonitor
    } else if link {
        SpawnKind::SpawnLink
    } else {
        SpawnKind::Spawn
    };
    let r = match vm.spawn_call(p, kind, args) {
        Ok(w) => w,
        Err(e) => return NativeResult::Error(e),
    };
    let child = match view(vm, p).tuple(r) {
        Some([pid, _]) => Word(*pid).as_pid(),
        _ => r.as_pid(),
    };
    if let (Some(prio), Some(c)) = (priority, child) {
        // Queued as a normal process by the spawn: requeued as it is.
        if let Some(q) = vm.procs.get_mut(&c) {
            q.priority = prio;
        }
        vm.unready(c);
        vm.ready(c);
    }
    if let (Some(words), Some(q)) = (min_heap, child.and_then(|pid| vm.procs.get_mut(&pid))) {
        q.set_min_heap(usize::try_from(words).unwrap_or(0));
    }
    if let (Some(m), Some(q)) = (max_heap, child.and_then(|pid| vm.procs.get_mut(&pid))) {
        q.max_heap = m;
    }
    if let (Some(n), Some(q)) = (
        fullsweep_after,
        child.and_then(|pid| vm.procs.get_mut(&pid)),
    ) {
        q.gc.fullsweep_after = n as u64;
    }
    if link
        && monitor
        && let Some(pid) = child
    {
        p.sig.links.push(pid);
        if let Some(c) = vm.procs.get_mut(&pid) {
            c.sig.links.push(p.pid);
        }
    }
    Value(r)
}

/// `monitor(process, Pid, [{alias, Mode}])`: a monitor whose reference is
/// also an alias of the caller (how `gen:call` gets its reply).
pub(crate) fn monitor3(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    let Some(opts) = options(vm, p, a[2]) else {
        return badarg();
    };
    let mut mode = None;
    for (k, x) in &opts {
        match k.as_str() {
            "alias" => {
                mode = Some(match x.as_atom().map(|m| vm.atoms.name(m)).as_deref() {
                    Some("explicit_unalias") => AliasMode::Explicit,
                    Some("demonitor") => AliasMode::Demonitor,
                    Some("reply_demonitor") => AliasMode::ReplyDemonitor,
                    _ => return badarg(),
                })
            }
            "tag" => {}
            _ => return badarg(),
        }
    }
    let r = crate::vm::runtime::proc_natives::monitor(vm, p, &a[..2]);
    if let (Value(w), Some(mode)) = (&r, mode)
        && let Some(id) = ref_id(&view(vm, p), *w)
    {
        vm.aliases.insert(id, (p.pid, mode));
    }
    r
}

/// `alias/0,1`: a reference that delivers to the caller until `unalias`
/// (or, with `[reply]`, until one message came through it).
pub(crate) fn alias(vm: &mut Vm, p: &mut Proc, opts: Word) -> NativeResult {
    let Some(opts) = options(vm, p, opts) else {
        return badarg();
    };
    let mode = match opts.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()[..] {
        [] | ["explicit_unalias"] => AliasMode::Explicit,
        ["reply"] => AliasMode::ReplyDemonitor,
        _ => return badarg(),
    };
    let r = vm.make_ref(&mut p.heap);
    let id = ref_id(&view(vm, p), r).expect("a reference");
    vm.aliases.insert(id, (p.pid, mode));
    Value(r)
}

/// The memory one process takes: its control block, heap, stacks, mailbox
/// and dictionary, as allocated (capacities, not lengths).
pub fn process_bytes(q: &Proc) -> usize {
    let words = q.heap.words.capacity()
        + q.x.capacity()
        + q.st.stack.capacity()
        + q.rx.mailbox.capacity()
        + q.dict.capacity_words()
        + q.spare.capacity();
    std::mem::size_of::<Proc>()
        + 8 * words
        + 16 * (q.sig.links.capacity() + q.sig.monitored_by.capacity())
        // Its slot in the process table.
        + 32
}

/// `erlang:memory/0,1`: `processes` (and `processes_used`) counted as
/// above; `total` adds the loaded code's literal areas. Other keys are 0.
/// Collection is the VM's business: asking for one is a hint, answered with
/// whether the process is alive, at once or (`{async, Req}`) by message.
fn garbage_collect(vm: &mut Vm, p: &mut Proc, pid: Word, opts: Word) -> NativeResult {
    let Some(t) = pid.as_pid() else {
        return badarg();
    };
    let Some(items) = list_items(&view(vm, p), opts) else {
        return badarg();
    };
    let mut request = None;
    let mut major = true;
    for o in items {
        let Some((k, x)) = view(vm, p)
            .tuple(o)
            .filter(|t| t.len() == 2)
            .map(|t| (Word(t[0]), Word(t[1])))
        else {
            return badarg();
        };
        let name = |w: Word| w.as_atom().map(|a| vm.atoms.name(a));
        match (name(k).as_deref(), name(x).as_deref()) {
            (Some("async"), _) => request = Some(x),
            (Some("type"), Some(t @ ("major" | "minor"))) => major = t == "major",
            _ => return badarg(),
        }
    }
    if t != p.pid && vm.busy(t, p) {
        return NativeResult::Retry;
    }
    // Collected at its next check (the caller's or the other process's).
    let alive = if t == p.pid {
        p.request_gc_of(major);
        true
    } else if let Some(q) = vm.procs.get_mut(&t) {
        q.request_gc_of(major);
        true
    } else {
        false
    };
    let alive = Word::boolean(alive);
    let Some(request) = request else {
        return value(alive);
    };
    let reply = [
        Word::atom(vm.atoms.intern("garbage_collect")),
        request,
        alive,
    ];
    let msg = p.heap.tuple(0, &reply);
    match vm.send(p, Word::pid(p.pid), msg) {
        Ok(()) => value(Word::atom(vm.atoms.intern("async"))),
        Err(e) => NativeResult::Error(e),
    }
}

pub(crate) fn memory(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    let procs: usize =
        vm.procs.values().map(|q| process_bytes(q)).sum::<usize>() + process_bytes(p);
    let code: usize = vm.literals.iter().map(|l| 8 * l.words.capacity()).sum();
    let keys = [
        "total",
        "processes",
        "processes_used",
        "system",
        "atom",
        "atom_used",
        "binary",
        "code",
        "ets",
    ];
    let value = |k: &str| match k {
        "total" => procs + code,
        "processes" | "processes_used" => procs,
        "system" | "code" => code,
        _ => 0,
    };
    match a.first() {
        None => {
            let ts: Vec<Word> = keys
                .iter()
                .map(|k| {
                    let t = [
                        Word::atom(vm.atoms.intern(k)),
                        Word::small(value(k) as i64).expect("bytes"),
                    ];
                    p.heap.tuple(0, &t)
                })
                .collect();
            Value(list_of(&mut p.heap, &ts))
        }
        Some(w) => match w.as_atom().map(|x| vm.atoms.name(x)) {
            Some(k) if keys.contains(&&*k) => Value(Word::small(value(&k) as i64).expect("bytes")),
            // A list of keys: `{Key, Bytes}` for each.
            _ => {
                let Some(items) = list_items(&view(vm, p), *w) else {
                    return badarg();
                };
                let mut pairs = Vec::with_capacity(items.len());
                for k in items {
                    match k.as_atom().map(|x| vm.atoms.name(x)) {
                        Some(n) if keys.contains(&&*n) => {
                            let t = [k, Word::small(value(&n) as i64).expect("bytes")];
                            pairs.push(p.heap.tuple(0, &t));
                        }
                        _ => return badarg(),
                    }
                }
                Value(list_of(&mut p.heap, &pairs))
            }
        },
    }
}

pub(crate) fn registered(vm: &mut Vm, p: &mut Proc) -> NativeResult {
    let mut names: Vec<u32> = vm.registry.keys().copied().collect();
    names.sort();
    let ws: Vec<Word> = names.into_iter().map(Word::atom).collect();
    Value(list_of(&mut p.heap, &ws))
}

pub(crate) fn processes(vm: &mut Vm, p: &mut Proc) -> NativeResult {
    // The caller is among the running ones.
    let mut pids: Vec<u64> = vm.procs.keys().chain(vm.running.keys()).copied().collect();
    pids.sort();
    let ws: Vec<Word> = pids.into_iter().map(Word::pid).collect();
    Value(list_of(&mut p.heap, &ws))
}

pub(crate) fn value(w: Word) -> NativeResult {
    NativeResult::Value(w)
}

/// `monitor(process, PidOrName)`.
pub(crate) fn monitor(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    if a[0] == Word::atom(vm.atoms.intern("port")) && a[1].as_port().is_some() {
        return vm.monitor_port(p, a[1]);
    }
    if a[0] != Word::atom(atom::PROCESS) {
        return badarg();
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
            let id = ref_id(&view, r).expect("a reference");
            let target = vm.procs.get_mut(&t).expect("alive");
            // A loop of monitors grows both lists, which the budget is
            // asked for as the program's other growth is.
            if let Err(b) = vm
                .memory
                .grow(&mut target.sig.monitored_by, 1)
                .and_then(|_| vm.memory.grow(&mut p.sig.monitoring, 1))
            {
                return NativeResult::Error(refused(&vm.memory, p.pid, "a monitor", b));
            }
            target.sig.monitored_by.push((id, p.pid));
            if let Some(name) = a[1].as_atom() {
                target.sig.monitored_as.push((id, name));
            }
            p.sig.monitoring.push((id, t));
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
            p.rx.mailbox.push_back(msg);
        }
    }
    value(r)
}

pub(crate) fn spawn_native(vm: &mut Vm, p: &mut Proc, a: &[Word], kind: SpawnKind) -> NativeResult {
    match vm.spawn_call(p, kind, a) {
        Ok(w) => value(w),
        Err(e) => NativeResult::Error(e),
    }
}

/// The characters of chardata: code points in (nested) lists, and binaries
/// (UTF-8 when `unicode`, else latin-1).
/// Whether instruction `pc` of `loaded` calls `erlang:hibernate/3`: a
/// process waiting there is hibernating.
fn calls_hibernate(vm: &Vm, loaded: &crate::vm::code::loader::Loaded, pc: u32) -> bool {
    use crate::vm::code::loader::{Ins, Target};
    match loaded.code.get(pc as usize) {
        Some(
            Ins::Call {
                target: Target::Import(i),
                ..
            }
            | Ins::TailCall {
                target: Target::Import(i),
                ..
            },
        ) => loaded.imports.get(*i as usize).is_some_and(|&(m, f, a)| {
            m == atom::ERLANG && a == 3 && &*vm.atoms.name(f) == "hibernate"
        }),
        _ => false,
    }
}

pub(crate) fn chardata(v: &View, w: Word, unicode: bool, out: &mut Vec<u32>) -> Option<()> {
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

pub(crate) fn persistent_get(
    vm: &mut Vm,
    p: &mut Proc,
    key: Word,
    default: Option<Word>,
) -> NativeResult {
    let view = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    let k = Key::exact(&view, key);
    match vm.persistent.iter().find(|e| e.key.same(&k)) {
        Some(e) => match e.copy_out(&vm.memory, &mut p.heap, false) {
            Ok(w) => value(w),
            Err(b) => NativeResult::Error(refused(&vm.memory, p.pid, "persistent_term:get", b)),
        },
        None => default.map_or_else(badarg, value),
    }
}

/// `logger:set_primary_config(level, Level)` without a logger process
/// (LAM boots no kernel application): the level goes where OTP's
/// `logger_config:allow/2`, which every logging macro calls, reads it, and
/// the per-module levels it cached from the old one are dropped.
pub(crate) fn set_logger_level(vm: &mut Vm, key: Word, level: Word) -> NativeResult {
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
            None => return badarg(),
        },
        None => return badarg(),
    };
    if key != Word::atom(vm.atoms.intern("level")) {
        return badarg();
    }
    let entry = Persistent::of_terms(
        &vm.atoms,
        &Term::Tuple(vec![
            Term::atom("logger_config"),
            Term::atom("$primary_config$"),
        ]),
        &Term::Int(number),
    );
    vm.persistent.retain(|e| !e.key.same(&entry.key));
    vm.persistent.push(entry);
    value(Word::atom(atom::OK))
}

/// `halt/1,2`: a string status is erl's "halt with a slogan" (what `init`
/// does when kernel cannot start, a bad `-config` file among the causes):
/// the slogan goes to standard error and the status is 1. erl then writes
/// a crash dump, which LAM has none of.
fn halt_with(vm: &mut Vm, p: &Proc, status: Word) -> NativeResult {
    if status.as_small().is_none()
        && let Some(slogan) = crate::vm::term::list::string_of(&view(vm, p), status)
    {
        use std::io::Write;
        let _ = write!(std::io::stderr().lock(), "{slogan}\r\n");
    }
    halt(vm, status)
}

pub(crate) fn halt(vm: &mut Vm, status: Word) -> NativeResult {
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

/// The flags `process_flag/2` takes besides `trap_exit`, each with its
/// default and whether a value is valid for it. They are kept (so the old
/// value comes back) but do not change how the process runs.
fn flag_spec(name: &str, v: Word, atoms: &crate::vm::term::atoms::Atoms) -> Option<(Word, bool)> {
    let is = |names: &[&str]| {
        v.as_atom()
            .is_some_and(|x| names.contains(&&*atoms.name(x)))
    };
    let int_in = |lo: i64, hi: i64| v.as_small().is_some_and(|n| (lo..=hi).contains(&n));
    let atom_w = |n: &str| Word::atom(atoms.intern(n));
    let small = |n: i64| Word::small(n).expect("a small default");
    Some(match name {
        "save_calls" => (small(0), int_in(0, 10_000)),
        "message_queue_data" => (atom_w("on_heap"), is(&["on_heap", "off_heap"])),
        "sensitive" => (Word::atom(atom::FALSE), is(&["true", "false"])),
        "fullsweep_after" => (small(65_535), int_in(0, i64::MAX)),
        // erl rounds these up to one of its heap sizes; LAM keeps the value.
        "min_heap_size" => (small(233), int_in(0, i64::MAX)),
        "min_bin_vheap_size" => (small(46_422), int_in(0, i64::MAX)),
        "error_handler" => (atom_w("error_handler"), v.as_atom().is_some()),
        _ => return None,
    })
}

/// The priority an atom names.
fn priority_named(vm: &Vm, w: Word) -> Option<Priority> {
    Priority::named(&vm.atoms.name(w.as_atom()?))
}

/// The value of flag `f` (one of [`flag_spec`]'s) for process `pid`.
fn flag_value(vm: &Vm, pid: u64, f: u32) -> Word {
    let set = vm.proc_flags.get(&pid);
    match set.and_then(|fs| fs.iter().find(|(x, _)| *x == f)) {
        Some((_, w)) => *w,
        None => flag_spec(&vm.atoms.name(f), Word::NIL, &vm.atoms).map_or(Word::NIL, |d| d.0),
    }
}

/// `process_flag(Flag, Value)`: the flag's old value; badarg for a flag
/// or value erl refuses.
fn process_flag(vm: &mut Vm, p: &mut Proc, f: Word, v: Word) -> NativeResult {
    if let Some(r) = monitor_nodes(vm, p, f, v) {
        return r;
    }
    let Some(fa) = f.as_atom() else {
        return badarg();
    };
    let name = vm.atoms.name(fa);
    if &*name == "trap_exit" {
        if v != Word::atom(atom::TRUE) && v != Word::atom(atom::FALSE) {
            return badarg();
        }
        let old = p.sig.trap_exit;
        p.sig.trap_exit = v == Word::atom(atom::TRUE);
        return value(Word::boolean(old));
    }
    if &*name == "priority" {
        // Its place in the run queues follows when its slice ends.
        let Some(new) = priority_named(vm, v) else {
            return badarg();
        };
        let old = std::mem::replace(&mut p.priority, new);
        return value(Word::atom(vm.atoms.intern(old.name())));
    }
    if &*name == "max_heap_size" {
        let Some(new) = system::max_heap(vm, p, v, p.max_heap) else {
            return badarg();
        };
        let old = std::mem::replace(&mut p.max_heap, new);
        return value(p.heap.from_term(0, &system::max_heap_map(old), &vm.atoms));
    }
    if &*name == "fullsweep_after" {
        let Some(n) = v.as_small().filter(|n| *n >= 0) else {
            return badarg();
        };
        let old = std::mem::replace(&mut p.gc.fullsweep_after, n as u64);
        return value(Word::small(old as i64).expect("a count"));
    }
    match flag_spec(&name, v, &vm.atoms) {
        Some((_, true)) => {
            let old = flag_value(vm, p.pid, fa);
            let set = vm.proc_flags.entry(p.pid).or_default();
            set.retain(|(x, _)| *x != fa);
            set.push((fa, v));
            if &*name == "min_heap_size" {
                p.set_min_heap(v.as_small().map_or(0, |n| n as usize));
            }
            value(old)
        }
        _ => badarg(),
    }
}

/// `process_flag(monitor_nodes, On)` and `process_flag({monitor_nodes,
/// OptionMap}, On)`, which `net_kernel:monitor_nodes/1,2` call: how many
/// subscriptions the process held before. A node without distribution
/// never sees a node go up or down, so a subscription is only counted.
/// None when `f` is another flag.
fn monitor_nodes(vm: &mut Vm, p: &mut Proc, f: Word, v: Word) -> Option<NativeResult> {
    let key = vm.atoms.intern("monitor_nodes");
    let view = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    // The options come as net_kernel:monitor_nodes/2 makes them: a map.
    let opts_ok = match view.tuple(f) {
        Some(&[tag, opts]) if Word(tag).as_atom() == Some(key) => {
            view.map_pairs(Word(opts)).is_some_and(|pairs| {
                pairs.iter().all(|&(k, v)| {
                    let name = |w: Word| w.as_atom().map(|a| vm.atoms.name(a));
                    match name(k).as_deref() {
                        Some("node_type") => {
                            name(v).is_some_and(|t| ["visible", "hidden", "all"].contains(&&*t))
                        }
                        Some("nodedown_reason" | "connection_id" | "list") => v
                            .as_atom()
                            .is_some_and(|b| b == atom::TRUE || b == atom::FALSE),
                        _ => false,
                    }
                })
            })
        }
        _ if f.as_atom() == Some(key) => true,
        _ => return None,
    };
    let on = match v.as_atom() {
        Some(atom::TRUE) => true,
        Some(atom::FALSE) => false,
        _ => return Some(badarg()),
    };
    if !opts_ok {
        return Some(badarg());
    }
    let set = vm.proc_flags.entry(p.pid).or_default();
    let old = set
        .iter()
        .find(|(x, _)| *x == key)
        .and_then(|(_, w)| w.as_small())
        .unwrap_or(0);
    let new = if on { old + 1 } else { (old - 1).max(0) };
    set.retain(|(x, _)| *x != key);
    set.push((key, Word::small(new).expect("a count")));
    Some(value(Word::small(old).expect("a count")))
}

/// `demonitor(R, Options)`: true, or with `info` whether the monitor was
/// still active.
pub(crate) fn demonitor(
    vm: &mut Vm,
    p: &mut Proc,
    r: Word,
    (flush, info): (bool, bool),
) -> NativeResult {
    let view = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    let Some(id) = ref_id(&view, r) else {
        return badarg();
    };
    let target = p
        .sig
        .monitoring
        .iter()
        .find(|(x, _)| *x == id)
        .map(|(_, t)| *t);
    if target.is_some_and(|t| vm.busy(t, p)) {
        return NativeResult::Retry;
    }
    let found = p.sig.monitoring.iter().position(|(x, _)| *x == id);
    if let Some(i) = found {
        let (_, target) = p.sig.monitoring.swap_remove(i);
        if !vm.demonitor_port(target, id)
            && let Some(other) = vm.procs.get_mut(&target)
        {
            other
                .sig
                .monitored_by
                .retain(|(x, w)| !(*w == p.pid && *x == id));
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
        p.rx.mailbox.retain(|m| {
            !matches!(view.tuple(*m), Some([tag, r2, ..]) if Word(*tag) == Word::atom(atom::DOWN) && ref_id(&view, Word(*r2)) == Some(id))
        });
    }
    value(Word::boolean(found.is_some() || !info))
}

/// Runs a host native: `op` with the arguments `a` (words in `p`'s heap),
/// for the calling process `p`. The natives layer names these ops
/// (`natives::process`); this is where they touch the process table, the
/// registry, timers and the rest of what processes share.
pub(crate) fn host(vm: &mut Vm, p: &mut Proc, op: HostOp, a: &[Word]) -> NativeResult {
    if !vm.system_up()
        && let Some(name) = system_name_needed(vm, p, op, a)
        && vm.waits_for_system(p, name)
    {
        return NativeResult::Retry;
    }
    match (op, a.len()) {
        // erlang:halt/0
        (HostOp::Halt, 0) => halt(vm, Word::small(0).expect("0")),
        // erlang:halt/1
        (HostOp::Halt, 1) => halt_with(vm, p, a[0]),
        // erlang:halt/2
        (HostOp::Halt, 2) => halt_with(vm, p, a[0]),
        // persistent_term:get/0: every key and value, as `{Key, Value}`.
        (HostOp::PersistentGet, 0) => {
            let pairs: Result<Vec<Word>, usize> = vm
                .persistent
                .iter()
                .map(|e| e.copy_out(&vm.memory, &mut p.heap, true))
                .collect();
            match pairs {
                Ok(pairs) => value(list_of(&mut p.heap, &pairs)),
                Err(b) => NativeResult::Error(refused(&vm.memory, p.pid, "persistent_term:get", b)),
            }
        }
        // persistent_term:get/1
        (HostOp::PersistentGet, 1) => persistent_get(vm, p, a[0], None),
        // erl's default (`+pc latin1`): what ~p prints as a string.
        // io:printable_range/0
        (HostOp::PrintableRange, 0) => value(Word::atom(vm.atoms.intern("latin1"))),
        // The application controller's table needs the system: it boots,
        // then this call goes to OTP's code. (No OTP to boot: no application
        // is loaded, every environment variable is unset.)
        // application_controller:get_env/2
        (HostOp::AppGetEnv, 2) if vm.wait_for_system(p) => NativeResult::Retry,
        (HostOp::AppGetEnv, 2) if vm.stand_ins_aside() => {
            stand_aside(vm, "application_controller", "get_env", a)
        }
        (HostOp::AppGetEnv, 2) => value(Word::atom(atom::UNDEFINED)),
        // logger:set_primary_config/2 (a process that is not the system's
        // waits for the boot to end before it changes the configuration)
        (HostOp::SetLoggerConfig, 2) if vm.stand_ins_aside() && vm.wait_for_system(p) => {
            NativeResult::Retry
        }
        (HostOp::SetLoggerConfig, 2) if vm.stand_ins_aside() => {
            stand_aside(vm, "logger", "set_primary_config", a)
        }
        (HostOp::SetLoggerConfig, 2) => set_logger_level(vm, a[0], a[1]),
        // lam:system_started/0
        (HostOp::SystemStarted, 0) => {
            vm.system_started();
            value(Word::atom(atom::OK))
        }
        // lam:system_up/0
        (HostOp::SystemUp, 0) => value(crate::vm::runtime::boot::up_word(vm)),
        // lam:loaded_files/0
        (HostOp::LoadedFiles, 0) => value(vm.loaded_files(&mut p.heap)),
        // persistent_term:get/2
        (HostOp::PersistentGet, 2) => persistent_get(vm, p, a[0], Some(a[1])),
        // persistent_term:put/2
        (HostOp::PersistentPut, 2) => {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            // Refused, the process that put the term stops, as a native
            // that asks for too much does.
            let entry = match Persistent::within(&vm.memory, &view, a[0], a[1]) {
                Ok(e) => e,
                Err(bytes) => {
                    return NativeResult::Error(refused(
                        &vm.memory,
                        p.pid,
                        "persistent_term:put/2",
                        bytes,
                    ));
                }
            };
            vm.persistent.retain(|e| !e.key.same(&entry.key));
            vm.persistent.push(entry);
            vm.charge_persistent();
            value(Word::atom(atom::OK))
        }
        // persistent_term:erase/1
        (HostOp::PersistentErase, 1) => {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            let k = Key::exact(&view, a[0]);
            let before = vm.persistent.len();
            vm.persistent.retain(|e| !e.key.same(&k));
            vm.charge_persistent();
            value(Word::boolean(vm.persistent.len() < before))
        }
        // lam:put_chars/3: Encoding (the request's), Chars, the device's
        // encoding. A unicode device takes a unicode request's binary as
        // it is, as erl's `user` does, valid UTF-8 or not; a latin1
        // request's characters must be bytes.
        (HostOp::PutChars, 3) => {
            let latin1 = Word::atom(vm.atoms.intern("latin1"));
            let unicode = a[0] != latin1;
            let device_unicode = a[2] != latin1;
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            let whole = match view.bits(a[1]) {
                Some((b, 8)) => Some(b),
                Some(([], _)) => Some(&[][..]),
                _ => None,
            };
            if unicode
                && device_unicode
                && let Some(bytes) = whole
            {
                let bytes = bytes.to_vec();
                vm.write_bytes(&bytes);
                return value(Word::atom(atom::OK));
            }
            let mut chars = Vec::new();
            match chardata(&view, a[1], unicode, &mut chars) {
                Some(()) if unicode || chars.iter().all(|&c| c < 256) => {
                    vm.write_out(&chars, device_unicode);
                    value(Word::atom(atom::OK))
                }
                _ => badarg(),
            }
        }
        // lam:exit_report/1
        (HostOp::ExitReport, 1) => {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            let mut chars = Vec::new();
            match chardata(&view, a[0], true, &mut chars) {
                Some(()) => {
                    let mut text = Vec::new();
                    vm.encode_out(&chars, &mut text);
                    vm.exit_report = Some(text);
                    value(Word::atom(atom::OK))
                }
                None => badarg(),
            }
        }
        // erlang:spawn/1
        (HostOp::Spawn, 1) => spawn_native(vm, p, a, SpawnKind::Spawn),
        // erlang:spawn/3
        (HostOp::Spawn, 3) => spawn_native(vm, p, a, SpawnKind::Spawn),
        // erlang:spawn_link/1
        (HostOp::SpawnLink, 1) => spawn_native(vm, p, a, SpawnKind::SpawnLink),
        // erlang:spawn_link/3
        (HostOp::SpawnLink, 3) => spawn_native(vm, p, a, SpawnKind::SpawnLink),
        // erlang:spawn_monitor/1
        (HostOp::SpawnMonitor, 1) => spawn_native(vm, p, a, SpawnKind::SpawnMonitor),
        // erlang:spawn_monitor/3
        (HostOp::SpawnMonitor, 3) => spawn_native(vm, p, a, SpawnKind::SpawnMonitor),
        // erlang:self/0
        (HostOp::SelfPid, 0) => value(Word::pid(p.pid)),
        // erlang:make_ref/0
        (HostOp::MakeRef, 0) => value(vm.make_ref(&mut p.heap)),
        // erlang:send/2 and erlang:!/2
        (HostOp::Send, 2) => match vm.send(p, a[0], a[1]) {
            Ok(()) => value(a[1]),
            Err(e) => NativeResult::Error(e),
        },
        // erlang:monitor/2
        (HostOp::Monitor, 2) => monitor(vm, p, a),
        // erlang:demonitor/1
        (HostOp::Demonitor, 1) => demonitor(vm, p, a[0], (false, false)),
        // erlang:demonitor/2
        (HostOp::Demonitor, 2) => {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            let (mut flush, mut info) = (false, false);
            let mut cur = a[1];
            while cur.is_list() {
                let (h, t) = view.cons(cur);
                match h.as_atom().map(|x| vm.atoms.name(x)).as_deref() {
                    Some("flush") => flush = true,
                    Some("info") => info = true,
                    _ => return badarg(),
                }
                cur = t;
            }
            if cur != Word::NIL {
                return badarg();
            }
            demonitor(vm, p, a[0], (flush, info))
        }
        // erlang:link/1
        (HostOp::Link, 1) if a[0].as_port().is_some() => {
            vm.link_port(p, a[0].as_port().expect("a port"))
        }
        (HostOp::Unlink, 1) if a[0].as_port().is_some() => {
            vm.unlink_port(p, a[0].as_port().expect("a port"))
        }
        // erts_internal:open_port/2
        (HostOp::OpenPort, 2) => vm.open_port(p, a),
        // erts_internal:port_command/3
        (HostOp::PortCommand, 3) => vm.port_command(p, a),
        // erts_internal:port_close/1
        (HostOp::PortClose, 1) => vm.port_close(p, a),
        // erts_internal:port_connect/2
        (HostOp::PortConnect, 2) => vm.port_connect(p, a),
        // erts_internal:port_info/1,2
        (HostOp::PortInfo, _) => vm.port_info(p, a),
        // erts_internal:port_control/3 (runtime/inet_drv.rs)
        (HostOp::PortControl, 3) => vm.port_control(p, a),
        // erts_internal:port_call/3: no driver of LAM's answers it.
        (HostOp::PortCall, 3) => value(Word::atom(atom::BADARG)),
        // erlang:ports/0
        (HostOp::Ports, 0) => vm.ports_list(p),
        // erlang:port_get_data/1
        (HostOp::PortGetData, 1) => vm.port_get_data(p, a),
        // erlang:port_set_data/2
        (HostOp::PortSetData, 2) => vm.port_set_data(p, a),
        (HostOp::Link, 1) => match a[0].as_pid() {
            Some(t) if vm.busy(t, p) => NativeResult::Retry,
            Some(t) if vm.procs.contains_key(&t) => {
                if !p.sig.links.contains(&t) {
                    p.sig.links.push(t);
                    vm.procs.get_mut(&t).expect("alive").sig.links.push(p.pid);
                }
                value(Word::atom(atom::TRUE))
            }
            Some(t) if t == p.pid => value(Word::atom(atom::TRUE)),
            // A process that traps exits hears of the missing one as of any
            // other exit, by message; only one that does not gets the error.
            Some(t) if p.sig.trap_exit => {
                let msg = p.heap.tuple(
                    0,
                    &[
                        Word::atom(atom::EXIT_TAG),
                        Word::pid(t),
                        Word::atom(atom::NOPROC),
                    ],
                );
                p.rx.mailbox.push_back(msg);
                value(Word::atom(atom::TRUE))
            }
            Some(_) => NativeResult::Error(Exception::error(Word::atom(atom::NOPROC))),
            None => badarg(),
        },
        // erlang:unlink/1
        (HostOp::Unlink, 1) => {
            let Some(t) = a[0].as_pid() else {
                return badarg();
            };
            if vm.busy(t, p) {
                return NativeResult::Retry;
            }
            p.sig.links.retain(|x| *x != t);
            if let Some(o) = vm.procs.get_mut(&t) {
                o.sig.links.retain(|x| *x != p.pid);
            }
            value(Word::atom(atom::TRUE))
        }
        // erlang:process_flag/2
        (HostOp::ProcessFlag, 2) => process_flag(vm, p, a[0], a[1]),
        // erlang:register/2
        (HostOp::Register, 2) => {
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
                _ => badarg(),
            }
        }
        // erlang:unregister/1
        (HostOp::Unregister, 1) => match a[0].as_atom().and_then(|n| vm.registry.remove(&n)) {
            Some(_) => value(Word::atom(atom::TRUE)),
            None => badarg(),
        },
        // erlang:whereis/1
        (HostOp::Whereis, 1) => match a[0].as_atom() {
            None => badarg(),
            Some(n) => match vm.registry.get(&n) {
                Some(pid) => value(Word::pid(*pid)),
                None => value(Word::atom(atom::UNDEFINED)),
            },
        },
        // erlang:group_leader/0
        (HostOp::GroupLeader, 0) => value(Word::pid(p.group_leader)),
        // erlang:group_leader/2
        (HostOp::GroupLeader, 2) => match (a[0].as_pid(), a[1].as_pid()) {
            (Some(_), Some(t)) if vm.busy(t, p) => NativeResult::Retry,
            (Some(gl), Some(t)) => {
                // The process whose leader changes must be alive (erl: badarg
                // otherwise); the new leader need not be.
                if t == p.pid {
                    p.group_leader = gl;
                } else if let Some(o) = vm.procs.get_mut(&t) {
                    o.group_leader = gl;
                } else {
                    return badarg();
                }
                value(Word::atom(atom::TRUE))
            }
            _ => badarg(),
        },
        // erlang:is_process_alive/1
        (HostOp::IsProcessAlive, 1) => match a[0].as_pid() {
            Some(t) => value(Word::boolean(
                t == p.pid || vm.procs.contains_key(&t) || vm.running.contains_key(&t),
            )),
            None => badarg(),
        },
        // erlang:garbage_collect/1
        (HostOp::GarbageCollect, 1) => garbage_collect(vm, p, a[0], Word::NIL),
        // erlang:garbage_collect/2
        (HostOp::GarbageCollect, 2) => garbage_collect(vm, p, a[0], a[1]),
        // erlang:exit/2
        (HostOp::Exit, 2) if a[0].as_port().is_some() => {
            vm.exit_port(p, a[0].as_port().expect("a port"), a[1])
        }
        (HostOp::Exit, 2) => {
            let Some(t) = pid_of(vm, a[0]) else {
                return badarg();
            };
            let (reason, kill) = (a[1], a[1] == Word::atom(atom::KILL));
            if vm.busy(t, p) {
                return NativeResult::Retry;
            }
            if t == p.pid {
                if p.sig.trap_exit && !kill {
                    // Trapped like any exit signal, `normal` included.
                    let msg = p
                        .heap
                        .tuple(0, &[Word::atom(atom::EXIT_TAG), Word::pid(p.pid), reason]);
                    p.rx.mailbox.push_back(msg);
                    return value(Word::atom(atom::TRUE));
                }
                // Not trapped: a signal, not an exception, so no `catch`
                // sees it; the process ends as the call returns (`normal`
                // included: a process that signals itself dies of it).
                p.pending_exit = Some(if kill {
                    Word::atom(atom::KILLED)
                } else {
                    reason
                });
                return value(Word::atom(atom::TRUE));
            }
            // The reason is copied into the target's heap (in a message, or
            // as what it dies of): a size the program chose, asked before
            // the signal acts, and the caller refused, as `!` refuses.
            if !kill && let Some(target) = vm.procs.get_mut(&t) {
                let view = View {
                    heap: &p.heap,
                    literals: &vm.literals,
                };
                let m = &vm.memory;
                match m
                    .copy_words(&view, reason)
                    .and_then(|n| m.grow(&mut target.heap.words, n.saturating_add(8)))
                {
                    Err(b) => return NativeResult::Error(refused(m, p.pid, "an exit signal", b)),
                    Ok(grew) => target.account.add(m, grew),
                }
            }
            let trapping = vm.procs.get(&t).is_some_and(|o| o.sig.trap_exit);
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
        }
        // erlang:send_after/3
        (HostOp::SendAfter, 3) => start(vm, p, a, false),
        // erlang:send_after/4
        (HostOp::SendAfter, 4) => start(vm, p, a, false),
        // erlang:start_timer/3
        (HostOp::StartTimer, 3) => start(vm, p, a, true),
        // erlang:start_timer/4
        (HostOp::StartTimer, 4) => start(vm, p, a, true),
        // erlang:cancel_timer/1
        (HostOp::CancelTimer, 1) => cancel_or_read(vm, p, a, true),
        // erlang:cancel_timer/2
        (HostOp::CancelTimer, 2) => cancel_or_read(vm, p, a, true),
        // erlang:read_timer/1
        (HostOp::ReadTimer, 1) => cancel_or_read(vm, p, a, false),
        // erlang:read_timer/2
        (HostOp::ReadTimer, 2) => cancel_or_read(vm, p, a, false),
        // erlang:process_info/1
        (HostOp::ProcessInfo, 1) => process_info(vm, p, a),
        // erlang:process_info/2
        (HostOp::ProcessInfo, 2) => process_info(vm, p, a),
        // erlang:registered/0
        (HostOp::Registered, 0) => registered(vm, p),
        // erlang:memory/0
        (HostOp::Memory, 0) => memory(vm, p, a),
        // erlang:memory/1
        (HostOp::Memory, 1) => memory(vm, p, a),
        // erlang:processes/0
        (HostOp::Processes, 0) => processes(vm, p),
        // erlang:spawn_opt/2
        (HostOp::SpawnOpt, 2) => spawn_opt(vm, p, a),
        // erlang:spawn_opt/4
        (HostOp::SpawnOpt, 4) => spawn_opt(vm, p, a),
        // erlang:monitor/3
        (HostOp::Monitor, 3) => monitor3(vm, p, a),
        // erlang:alias/0
        (HostOp::Alias, 0) => alias(vm, p, Word::NIL),
        // erlang:alias/1
        (HostOp::Alias, 1) => alias(vm, p, a[0]),
        // erlang:unalias/1
        (HostOp::Unalias, 1) => match ref_id(&view(vm, p), a[0]) {
            Some(id) => Value(Word::boolean(
                vm.aliases.get(&id).is_some_and(|(o, _)| *o == p.pid)
                    && vm.aliases.remove(&id).is_some(),
            )),
            None => badarg(),
        },
        // erlang:send/3
        (HostOp::Send, 3) => match list_items(&view(vm, p), a[2]).filter(|opts| {
            opts.iter().all(|o| {
                o.as_atom()
                    .is_some_and(|x| matches!(&*vm.atoms.name(x), "nosuspend" | "noconnect"))
            })
        }) {
            None => badarg(),
            Some(opts) => {
                // Another node is never connected: `noconnect` says so.
                let remote = view(vm, p).tuple(a[0]).is_some_and(|t| {
                    matches!(t, [_, n] if Word(*n).as_atom().is_some() && Word(*n) != Word::atom(atom::NONODE))
                });
                let noconnect = Word::atom(vm.atoms.intern("noconnect"));
                match vm.send(p, a[0], a[1]) {
                    Ok(()) if remote && opts.contains(&noconnect) => Value(noconnect),
                    Ok(()) => Value(Word::atom(atom::OK)),
                    Err(e) => NativeResult::Error(e),
                }
            }
        },
        // A hint: the process gives up the rest of its slice at its next call.
        // erlang:yield/0
        (HostOp::Yield, 0) => {
            p.reductions = crate::vm::exec::proc::BUDGET;
            Value(Word::atom(atom::TRUE))
        }
        // erlang:apply/2
        (HostOp::Apply, 2) => match list_items(&view(vm, p), a[1]) {
            Some(args) => NativeResult::Apply(a[0], Word::NONE, args),
            None => badarg(),
        },
        // erlang:system_info/1
        (HostOp::SystemInfo, 1) => crate::vm::runtime::system::system_info(vm, p, a[0]),
        // erlang:statistics/1
        (HostOp::Statistics, 1) => crate::vm::runtime::system::statistics(vm, p, a[0]),
        // erlang:system_flag/2
        // erts_internal:prepare_loading/2
        (HostOp::PrepareLoading, 2) => prepare_loading(vm, p, a[0], a[1]),
        // erlang:finish_loading/1
        (HostOp::FinishLoading, 1) => finish_loading(vm, p, a[0]),
        // erlang:has_prepared_code_on_load/1 (badarg for anything but a
        // prepared module)
        (HostOp::HasPreparedCodeOnLoad, 1) => {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            match ref_id(&view, a[0]).and_then(|id| vm.prepared.get(&id)) {
                Some(m) => value(Word::atom(if m.on_load.is_some() {
                    atom::TRUE
                } else {
                    atom::FALSE
                })),
                None => badarg(),
            }
        }
        // erlang:call_on_load_function/1
        (HostOp::CallOnLoad, 1) => reload::call_on_load_function(vm, p, a[0]),
        // erlang:finish_after_on_load/2
        (HostOp::FinishAfterOnLoad, 2) => reload::finish_after_on_load(vm, a[0], a[1]),
        // erlang:delete_module/1
        (HostOp::DeleteModule, 1) => reload::delete_module(vm, p, a[0]),
        // erlang:check_old_code/1
        (HostOp::CheckOldCode, 1) => reload::check_old_code(vm, a[0]),
        // erts_internal:purge_module/2
        (HostOp::PurgeModule, 2) => reload::purge_module(vm, p, a[0], a[1]),
        // erts_internal:check_process_code/1
        (HostOp::CheckProcessCode, 1) => reload::check_own_code(vm, p, a[0]),
        // erts_internal:request_system_task/3,4
        (HostOp::RequestSystemTask, 3 | 4) => reload::request_system_task(vm, p, a),
        (HostOp::SystemFlag, 2) => crate::vm::runtime::system::system_flag(vm, p, a[0], a[1]),
        // erlang:trace_info/2
        (HostOp::TraceInfo, 2) => crate::vm::runtime::system::trace_info(vm, p, a[0], a[1]),
        // erts_internal:erase_persistent_terms/0
        (HostOp::ErasePersistentTerms, 0) => crate::vm::runtime::system::erase_persistent_terms(vm),
        // A collection at the caller's next check, where the live
        // registers are known (the call that follows, at the latest).
        // erlang:garbage_collect/0, erts_internal:garbage_collect/1
        (HostOp::CollectSelf, n) => {
            // erts_internal:garbage_collect/1 names the kind of collection.
            let kind = a
                .first()
                .and_then(|k| k.as_atom())
                .map(|k| vm.atoms.name(k));
            if n == 1 && !matches!(kind.as_deref(), Some("major" | "minor")) {
                return badarg();
            }
            p.request_gc_of(kind.as_deref() != Some("minor"));
            Value(Word::atom(atom::TRUE))
        }
        // ets:give_away/3
        (HostOp::EtsGiveAway, 3) => crate::vm::runtime::ets_owner::give_away(vm, p, a),
        // ets:internal_request_all/0
        (HostOp::EtsRequestAll, 0) => crate::vm::runtime::ets_owner::request_all(vm, p),
        _ => badarg(),
    }
}

/// `erts_internal:prepare_loading(Module, Beam)`: the module translated,
/// named by a new reference, or `{error, badfile}` when the bytes are not
/// a module of that name LAM can translate.
fn prepare_loading(vm: &mut Vm, p: &mut Proc, module: Word, code: Word) -> NativeResult {
    let Some(name) = module.as_atom() else {
        return badarg();
    };
    let Some((bytes, 8)) = view(vm, p).bits(code).map(|(b, u)| (b.to_vec(), u)) else {
        return badarg();
    };
    let translated = crate::beam::read(&bytes)
        .ok()
        .filter(|beam| **beam.name() == *vm.atoms.name(name))
        .and_then(|beam| crate::translate::translate(&beam).ok());
    let Some(t) = translated else {
        let t = Term::Tuple(vec![Term::atom("error"), Term::atom("badfile")]);
        return value(p.heap.from_term(0, &t, &vm.atoms));
    };
    let r = vm.make_ref(&mut p.heap);
    let id = ref_id(&view(vm, p), r).expect("a reference");
    vm.prepared.insert(id, t.module);
    value(r)
}

/// `erlang:finish_loading(Prepared)`: the prepared modules become current,
/// the code they replace old; none loads, and the answer is
/// `{not_purged, Modules}`, when some of them have old code still.
fn finish_loading(vm: &mut Vm, p: &mut Proc, list: Word) -> NativeResult {
    let v = view(vm, p);
    let Some(items) = list_items(&v, list) else {
        return badarg();
    };
    let Some(ids) = items
        .iter()
        .map(|&r| ref_id(&v, r).filter(|id| vm.prepared.contains_key(id)))
        .collect::<Option<Vec<u64>>>()
    else {
        return badarg();
    };
    let names: Vec<u32> = ids
        .iter()
        .map(|id| vm.atoms.intern(vm.prepared[id].name()))
        .collect();
    let blocked: Vec<Word> = names
        .iter()
        .filter(|&&n| vm.has_old_code(n))
        .map(|&n| Word::atom(n))
        .collect();
    if !blocked.is_empty() {
        let list = list_of(&mut p.heap, &blocked);
        let tag = Word::atom(vm.atoms.intern("not_purged"));
        return value(p.heap.tuple(0, &[tag, list]));
    }
    let mut on_load = Vec::new();
    for (id, name) in ids.into_iter().zip(names) {
        let m = vm.prepared.remove(&id).expect("checked");
        if m.on_load.is_some() {
            on_load.push(Word::atom(name));
        }
        vm.install(m).expect("no old code: checked");
    }
    if on_load.is_empty() {
        return value(Word::atom(atom::OK));
    }
    // The loader runs their on_load functions, then finishes.
    let list = list_of(&mut p.heap, &on_load);
    let tag = Word::atom(vm.atoms.intern("on_load"));
    value(p.heap.tuple(0, &[tag, list]))
}

/// The registered name a host native needs, if it names one: the target
/// of a send, `whereis/1`, `register/2`, a monitor.
fn system_name_needed(vm: &Vm, p: &Proc, op: HostOp, a: &[Word]) -> Option<u32> {
    let named = |w: Word| {
        w.as_atom().or_else(|| {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            match view.tuple(w)? {
                &[name, node] if Word(node) == Word::atom(atom::NONODE) => Word(name).as_atom(),
                _ => None,
            }
        })
    };
    match (op, a.len()) {
        (HostOp::Send, 2 | 3) | (HostOp::Whereis, 1) | (HostOp::Register, 2) => named(a[0]),
        (HostOp::Monitor, 2 | 3) if a[0] == Word::atom(atom::PROCESS) => named(a[1]),
        // An inet driver port: what is done with one (the host name, then
        // the resolver's configuration for `net_adm:localhost/0`) is
        // `inet_db`'s, which the system starts.
        (HostOp::OpenPort, 2) => {
            let view = View {
                heap: &p.heap,
                literals: &vm.literals,
            };
            let driver = match view.tuple(a[0])? {
                &[k, name] if Word(k).as_atom() == vm.atoms.existing("spawn_driver") => {
                    crate::vm::term::list::string_of(&view, Word(name))
                }
                _ => None,
            }?;
            crate::vm::runtime::inet_drv::is_driver(&driver).then(|| vm.atoms.intern("inet_db"))
        }
        _ => None,
    }
}

/// A call linked to one of LAM's stand-ins before OTP's system ran, made
/// once it runs: OTP's own function answers (`Vm::resolve` no longer
/// links the stand-in).
fn stand_aside(vm: &mut Vm, module: &str, function: &str, a: &[Word]) -> NativeResult {
    let m = Word::atom(vm.atoms.intern(module));
    let f = Word::atom(vm.atoms.intern(function));
    NativeResult::Apply(m, f, a.to_vec())
}
