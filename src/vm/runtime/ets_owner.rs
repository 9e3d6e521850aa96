//! What ETS needs of the runtime (`docs/ets.md`): messages and the
//! process table. `ets:give_away/3` checks that the receiver lives and
//! sends it `{'ETS-TRANSFER', Tab, From, Gift}`; `ets:all/0` gets one
//! message per scheduler, as erl's schedulers answer it; a process's exit
//! hands its tables to their heirs or deletes them.

use crate::vm::exec::proc::Proc;
use crate::vm::native::{NativeResult, badarg};
use crate::vm::ops::ets::{Stored, read, write};
use crate::vm::runtime::vm::{Deferred, Vm, is};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::list_of;
use crate::vm::term::memory::{Account, refused};
use crate::vm::term::word::Word;

/// `badarg` with erl's `error_info` cause (see `natives::ets`).
fn fail(vm: &Vm, p: &mut Proc, cause: &str) -> NativeResult {
    let keys = [
        Word::atom(vm.atoms.intern("cause")),
        Word::atom(vm.atoms.intern("module")),
    ];
    let vals = [
        Word::atom(vm.atoms.intern(cause)),
        Word::atom(vm.atoms.intern("erl_stdlib_errors")),
    ];
    let map = p.heap.map(0, &keys, &vals);
    NativeResult::Error(Exception {
        class: atom::ERROR,
        reason: Word::atom(atom::BADARG),
        trace: map,
    })
}

fn alive(vm: &Vm, pid: u64) -> bool {
    vm.procs.contains_key(&pid) || vm.running.contains_key(&pid)
}

/// The message an heir or receiver gets, `{'ETS-TRANSFER', Tab, From,
/// Gift}`, in an area of its own given room first (`gift`'s words, which
/// bound its copy, and the tuple and reference around it), or the bytes
/// the budget or the allocator refused.
fn transfer(
    vm: &Vm,
    tid: u64,
    named: Option<u32>,
    from: u64,
    gift: Option<&Stored>,
) -> Result<Stored, usize> {
    let mut area = Area::default();
    let words = gift.map_or(0, |g| g.area.words.len()) + TRANSFER_WORDS;
    vm.memory.grow(&mut area.words, words)?;
    let tab = match named {
        Some(name) => Word::atom(name),
        None => crate::vm::ops::ets::ref_word(&mut area, tid),
    };
    let g = gift.map_or(Word::NIL, |g| g.copy_out(&mut area));
    let tag = Word::atom(vm.atoms.intern("ETS-TRANSFER"));
    let root = area.tuple(0, &[tag, tab, Word::pid(from), g]);
    Ok(Stored { area, root })
}

/// The words of a transfer message beside its gift: the tuple and a
/// reference.
const TRANSFER_WORDS: usize = 16;

/// `ets:give_away(Tab, Pid, Gift)`.
pub(crate) fn give_away(vm: &mut Vm, p: &mut Proc, a: &[Word]) -> NativeResult {
    let v = View {
        heap: &p.heap,
        literals: &vm.literals,
    };
    let Some(tr) = vm.ets.resolve(&v, a[0]) else {
        return fail(vm, p, "id");
    };
    if read(&tr).deleted {
        return fail(vm, p, "id");
    }
    let Some(to) = a[1].as_pid() else {
        return badarg();
    };
    let (owner, access, id, named) = {
        let g = read(&tr);
        (g.owner, g.access, g.id, g.named.then_some(g.name))
    };
    if owner != p.pid && access != crate::vm::ops::ets::Access::Public {
        return fail(vm, p, "access");
    }
    if owner != p.pid {
        return fail(vm, p, "not_owner");
    }
    if to == p.pid {
        return fail(vm, p, "owner");
    }
    if !alive(vm, to) {
        return fail(vm, p, "dead_owner");
    }
    // The gift is a size the program chose, copied twice (into the
    // message, then the receiver's heap): the giver pays for both, as a
    // sender pays for a message, before the table changes hands.
    let refuse = |vm: &Vm, b| NativeResult::Error(refused(&vm.memory, p.pid, "ets:give_away/3", b));
    let msg = match Stored::new_within(&v, a[2], &vm.memory)
        .and_then(|gift| transfer(vm, id, named, p.pid, Some(&gift)))
    {
        Ok(m) => m,
        Err(b) => return refuse(vm, b),
    };
    if let Some(r) = vm.procs.get_mut(&to) {
        match vm.memory.grow(&mut r.heap.words, msg.area.words.len()) {
            Ok(grew) => r.account.add(&vm.memory, grew),
            Err(b) => return refuse(vm, b),
        }
    }
    write(&tr).owner = to;
    if vm.procs.contains_key(&to) {
        let mut none: Option<&mut Proc> = None;
        vm.signal(&mut none, to, |heap| msg.copy_out(heap));
    } else {
        // Running on another scheduler: the message's area waits for its
        // slice to end, as a message's does.
        let held = Account::of_area(&vm.memory, &msg.area);
        vm.defer(to, Deferred::Message(msg.area, msg.root, held));
    }
    NativeResult::Value(Word::atom(atom::TRUE))
}

/// `ets:internal_request_all()`: a reference, and in the caller's
/// mailbox one `{Ref, Tables}` per scheduler (erl asks each of its
/// schedulers for its share; here the first answers with all).
pub(crate) fn request_all(vm: &mut Vm, p: &mut Proc) -> NativeResult {
    let r = vm.make_ref(&mut p.heap);
    let all = vm.ets.all();
    for i in 0..vm.schedulers.max(1) {
        let tabs: Vec<Word> = if i == 0 {
            all.iter()
                .map(|(id, name, named)| {
                    if *named {
                        Word::atom(*name)
                    } else {
                        crate::vm::ops::ets::ref_word(&mut p.heap, *id)
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let l = list_of(&mut p.heap, &tabs);
        let msg = p.heap.tuple(0, &[r, l]);
        p.rx.mailbox.push_back(msg);
    }
    NativeResult::Value(r)
}

impl Vm {
    /// Process `pid` ended: its tables go to their heirs (that live, and
    /// are not itself), with `{'ETS-TRANSFER', Tab, Pid, HeirData}`, or are
    /// deleted. (A method, so that `runtime::vm` calls it without
    /// importing this module, which imports it.)
    pub(crate) fn ets_owner_exit(&mut self, pid: u64, running: &mut Option<&mut Proc>) {
        let vm = self;
        vm.ets.unfix_all(pid);
        for tr in vm.ets.owned_by(pid) {
            let heir = read(&tr)
                .heir
                .as_ref()
                .map(|(h, _)| *h)
                .filter(|h| *h != pid && (alive(vm, *h) || is(running, *h)));
            match heir {
                Some(h) => {
                    let msg = {
                        let mut g = write(&tr);
                        g.owner = h;
                        let (id, named) = (g.id, g.named.then_some(g.name));
                        transfer(vm, id, named, pid, g.heir.as_ref().map(|(_, d)| d))
                    };
                    // The owner is gone and cannot pay: a refusal ends the
                    // heir, as an exit reason too large for a watcher does.
                    let words = msg.as_ref().map(|m| m.area.words.len()).map_err(|b| *b);
                    vm.signal_within(running, h, words, |heap| match &msg {
                        Ok(m) => m.copy_out(heap),
                        Err(_) => Word::NIL,
                    });
                }
                None => {
                    let id = read(&tr).id;
                    vm.ets.remove(id);
                }
            }
        }
    }
}
