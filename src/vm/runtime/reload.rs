//! Code replacement, as erl does it: a module has current code and
//! perhaps old code. Loading a module that is loaded makes its current
//! code old (refused, `not_purged`, while old code remains); deleting it
//! makes it old too. Fully qualified calls reach the current code (the
//! imports that reached the old code are cleared, `Loaded::forget`);
//! processes running old code go on running it until they make one, and
//! local funs of it still run. Purging drops the old code once OTP's own
//! `erts_code_purger` has killed (or, for a soft purge, found) the
//! processes still running it, which it asks of each process with
//! `erts_internal:request_system_task/3`. See `docs/vm.md`, "Code
//! replacement".

use crate::term::Term;
use crate::vm::code::loader::{CURRENT, GONE, OLD, PENDING};
use crate::vm::exec::proc::Proc;
use crate::vm::native::{NativeResult, badarg};
use crate::vm::runtime::vm::Vm;
use crate::vm::term::atoms::atom;
use crate::vm::term::heap::View;
use crate::vm::term::word::{Word, kind};

use std::sync::atomic::Ordering;

fn value(w: Word) -> NativeResult {
    NativeResult::Value(w)
}

impl Vm {
    /// Makes the current code of module `name` old: no name reaches it
    /// any more. False when it has none.
    fn make_old(&mut self, name: u32) -> bool {
        let Some(id) = self.by_name.remove(&name) else {
            return false;
        };
        self.modules[id as usize]
            .state
            .store(OLD, Ordering::Relaxed);
        for m in &self.modules {
            m.forget(id);
        }
        self.old.insert(name, id);
        true
    }

    /// Loads `m` as the current code of its module, the code it replaces
    /// made old; `None` (erl's `not_purged`) when the module has old code.
    pub(crate) fn install(&mut self, m: crate::lam::Module) -> Option<u32> {
        let name = self.atoms.intern(m.name());
        if self.old.contains_key(&name) {
            return None;
        }
        if m.on_load.is_some() {
            // Its on_load function runs first (`call_on_load_function/1`,
            // then `finish_after_on_load/2`); until then the code it would
            // replace stays current.
            let id = self.link(m);
            self.modules[id as usize]
                .state
                .store(PENDING, Ordering::Relaxed);
            if let Some(earlier) = self.on_load.insert(name, id) {
                self.modules[earlier as usize]
                    .state
                    .store(GONE, Ordering::Relaxed);
            }
            return Some(id);
        }
        self.make_old(name);
        // Not read from the code path: which file it came from is the
        // code server's to say.
        self.files.remove(&name);
        Some(self.add(m))
    }

    /// Whether module `name` has old code.
    pub(crate) fn has_old_code(&self, name: u32) -> bool {
        self.old.contains_key(&name)
    }

    /// Whether process `p` runs old code of module `name` or will return
    /// to it. Funs of the old code it holds do not count, as on erl since
    /// OTP 20: calling one after the purge fails instead.
    fn runs_old_code(&self, p: &Proc, name: u32) -> bool {
        let Some(&id) = self.old.get(&name) else {
            return false;
        };
        p.mid == id || p.st.returns().any(|(m, _)| m == id)
    }
}

/// `erlang:delete_module/1`: the current code becomes old; `undefined` for
/// a module never loaded, `true` for one loaded once (even with no code
/// now, as erl's module table keeps its entry), and badarg with erl's
/// report when old code is in the way.
pub(crate) fn delete_module(vm: &mut Vm, p: &mut Proc, m: Word) -> NativeResult {
    let Some(name) = m.as_atom() else {
        return badarg();
    };
    if vm.has_old_code(name) {
        let text = format!(
            "Module {} must be purged before deleting\n",
            vm.atoms.name(name)
        );
        vm.emulator_report(p, &text);
        return badarg();
    }
    if vm.make_old(name) || vm.known.contains(&name) {
        value(Word::atom(atom::TRUE))
    } else {
        value(Word::atom(atom::UNDEFINED))
    }
}

/// `erlang:check_old_code/1`.
pub(crate) fn check_old_code(vm: &Vm, m: Word) -> NativeResult {
    match m.as_atom() {
        Some(name) => value(Word::atom(if vm.has_old_code(name) {
            atom::TRUE
        } else {
            atom::FALSE
        })),
        None => badarg(),
    }
}

/// `erts_internal:purge_module(Module, Op)`, the steps of
/// `erts_code_purger`'s purge: `prepare` (is there old code to purge?),
/// `complete` (drop it), `abort` (keep it: a soft purge found a process
/// running it). `prepare_on_load` finds nothing: code whose on_load
/// function failed is dropped at once (`finish_after_on_load/2`).
pub(crate) fn purge_module(vm: &mut Vm, p: &Proc, m: Word, op: Word) -> NativeResult {
    // Only the code purger may purge: anyone else gets erl's notsup.
    let purger = vm
        .atoms
        .existing("erts_code_purger")
        .and_then(|n| vm.registry.get(&n).copied());
    if purger != Some(p.pid) {
        return NativeResult::Error(crate::vm::term::exception::Exception::error(Word::atom(
            vm.atoms.intern("notsup"),
        )));
    }
    let (Some(name), Some(op)) = (m.as_atom(), op.as_atom()) else {
        return badarg();
    };
    let yes = |b: bool| value(Word::atom(if b { atom::TRUE } else { atom::FALSE }));
    match &*vm.atoms.name(op) {
        "prepare" => yes(vm.has_old_code(name)),
        "prepare_on_load" | "abort" => yes(false),
        "complete" => {
            if let Some(id) = vm.old.remove(&name) {
                vm.modules[id as usize].state.store(GONE, Ordering::Relaxed);
            }
            yes(true)
        }
        _ => badarg(),
    }
}

/// `erts_internal:check_process_code/1`: whether the caller runs old code
/// of the module.
pub(crate) fn check_own_code(vm: &Vm, p: &Proc, m: Word) -> NativeResult {
    match m.as_atom() {
        Some(name) => value(Word::atom(if vm.runs_old_code(p, name) {
            atom::TRUE
        } else {
            atom::FALSE
        })),
        None => badarg(),
    }
}

/// `erts_internal:request_system_task(Pid, Prio, Request)` and its `/4`
/// form with the requester first. erl has the target process do the task
/// and answer; here the VM does it at once (waiting for the target's
/// slice to end if it runs) and sends the answer the target would:
/// `{check_process_code, ReqId, Bool}` (false for a process that is gone)
/// or `{garbage_collect, ReqId, true}` (the collection at its next check).
pub(crate) fn request_system_task(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    let (requester, a) = match a {
        [r, rest @ ..] if a.len() == 4 => (r.as_pid(), rest),
        _ => (Some(p.pid), a),
    };
    let (Some(requester), Some(target)) = (requester, a[0].as_pid()) else {
        return badarg();
    };
    let view = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    let request = view.tuple(a[2]).map(|t| t.to_vec());
    let Some(&[kind, req_id, arg]) = request.as_deref() else {
        return badarg();
    };
    let (kind, req_id, arg) = (Word(kind), Word(req_id), Word(arg));
    let kind = kind.as_atom().map(|k| vm.atoms.name(k));
    let answer = match kind.as_deref() {
        Some("check_process_code") => {
            let Some(name) = arg.as_atom() else {
                return badarg();
            };
            if vm.busy(target, p) {
                return NativeResult::Retry;
            }
            if target == p.pid {
                vm.runs_old_code(p, name)
            } else {
                vm.procs
                    .get(&target)
                    .is_some_and(|t| vm.runs_old_code(t, name))
            }
        }
        Some("garbage_collect") => {
            if vm.busy(target, p) {
                return NativeResult::Retry;
            }
            if target == p.pid {
                p.request_gc();
            } else if let Some(t) = vm.procs.get_mut(&target) {
                t.request_gc();
            }
            true
        }
        _ => return badarg(),
    };
    let tag = Word::atom(vm.atoms.intern(kind.as_deref().unwrap_or_default()));
    let answer = Word::atom(if answer { atom::TRUE } else { atom::FALSE });
    let msg = p.heap.tuple(0, &[tag, req_id, answer]);
    match vm.send(p, Word::pid(requester), msg) {
        Ok(()) => value(Word::atom(atom::OK)),
        Err(e) => NativeResult::Error(e),
    }
}

impl Vm {
    /// Starts OTP's `erts_code_purger` (erl's emulator starts it before
    /// `init`): on first need, its name already registered and exits
    /// trapped, so it begins where its `start/0` would go on.
    pub(crate) fn start_code_purger(&mut self) -> Option<u64> {
        let name = self.atoms.intern("erts_code_purger");
        if let Some(&pid) = self.registry.get(&name) {
            return Some(pid);
        }
        let pid = self.spawn_system("erts_code_purger", "wait_for_request", None)?;
        self.registry.insert(name, pid);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.sig.trap_exit = true;
        }
        Some(pid)
    }

    /// An error report of the emulator's own text.
    fn emulator_report(&mut self, p: &Proc, text: &str) {
        self.emulator_error(p, "~s~n", Term::list(vec![Term::string(text)]));
    }
}

/// `erlang:call_on_load_function(Module)`: runs the `-on_load` function of
/// the module's code waiting for it, in the caller (as a fun of it).
pub(crate) fn call_on_load_function(vm: &mut Vm, p: &mut Proc, m: Word) -> NativeResult {
    let Some(&id) = m.as_atom().and_then(|name| vm.on_load.get(&name)) else {
        return badarg();
    };
    let Some(idx) = vm.modules[id as usize].on_load else {
        return badarg();
    };
    let words = [
        Word::small(i64::from(id)).expect("id"),
        Word::small(i64::from(idx)).expect("index"),
        Word::small(0).expect("arity"),
    ];
    let fun = p.heap.boxed(0, kind::FUN, &words);
    NativeResult::Apply(fun, Word::NONE, Vec::new())
}

/// `erlang:finish_after_on_load(Module, Keep)`: the code whose on_load
/// function has run becomes current (the code it replaces old), or, when
/// it failed (`Keep` false), is dropped.
pub(crate) fn finish_after_on_load(vm: &mut Vm, m: Word, keep: Word) -> NativeResult {
    let keep = match keep.as_atom() {
        Some(atom::TRUE) => true,
        Some(atom::FALSE) => false,
        _ => return badarg(),
    };
    let Some(name) = m.as_atom().filter(|n| vm.on_load.contains_key(n)) else {
        return badarg();
    };
    let id = vm.on_load.remove(&name).expect("checked");
    if !keep {
        vm.modules[id as usize].state.store(GONE, Ordering::Relaxed);
        return value(Word::atom(atom::TRUE));
    }
    if let Some(old) = vm.old.remove(&name) {
        vm.modules[old as usize]
            .state
            .store(GONE, Ordering::Relaxed);
    }
    vm.make_old(name);
    vm.files.remove(&name);
    vm.modules[id as usize]
        .state
        .store(CURRENT, Ordering::Relaxed);
    vm.by_name.insert(name, id);
    vm.known.insert(name);
    value(Word::atom(atom::TRUE))
}
