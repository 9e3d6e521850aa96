//! What ETS needs of the runtime (`docs/ets.md`): messages and the
//! process table. `ets:give_away/3` checks that the receiver lives and
//! sends it `{'ETS-TRANSFER', Tab, From, Gift}`; `ets:all/0` gets one
//! message per scheduler, as erl's schedulers answer it; a process's exit
//! hands its tables to their heirs or deletes them.

use crate::vm::exec::proc::Proc;
use crate::vm::native::{NativeResult, badarg};
use crate::vm::ops::ets::{Stored, read, tid_word, write};
use crate::vm::runtime::vm::{Vm, is};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::list_of;
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

/// The message an heir or receiver gets, built on `heap`.
fn transfer(
    vm: &Vm,
    heap: &mut Area,
    tid: u64,
    named: Option<u32>,
    from: u64,
    gift: &Stored,
) -> Word {
    let tab = match named {
        Some(name) => Word::atom(name),
        None => crate::vm::ops::ets::ref_word(heap, tid),
    };
    let g = gift.copy_out(heap);
    let tag = Word::atom(vm.atoms.intern("ETS-TRANSFER"));
    heap.tuple(0, &[tag, tab, Word::pid(from), g])
}

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
    let (owner, access) = {
        let g = read(&tr);
        (g.owner, g.access)
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
    let gift = Stored::new(&v, a[2]);
    let (id, named) = {
        let mut g = write(&tr);
        g.owner = to;
        (g.id, g.named.then_some(g.name))
    };
    let from = p.pid;
    let vm_ref: &Vm = vm;
    let msg_area = {
        let mut area = Area::default();
        let m = transfer(vm_ref, &mut area, id, named, from, &gift);
        Stored { area, root: m }
    };
    let mut none: Option<&mut Proc> = None;
    vm.signal(&mut none, to, |heap| msg_area.copy_out(heap));
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
                    let msg_area = {
                        let mut g = write(&tr);
                        g.owner = h;
                        let mut area = Area::default();
                        let gift = g.heir.as_ref().map(|(_, d)| d.clone()).unwrap_or_default();
                        let tab = tid_word(&mut area, &g);
                        let data = gift.copy_out(&mut area);
                        let tag = Word::atom(vm.atoms.intern("ETS-TRANSFER"));
                        let m = area.tuple(0, &[tag, tab, Word::pid(pid), data]);
                        Stored { area, root: m }
                    };
                    vm.signal(running, h, |heap| msg_area.copy_out(heap));
                }
                None => {
                    let id = read(&tr).id;
                    vm.ets.remove(id);
                }
            }
        }
    }
}
