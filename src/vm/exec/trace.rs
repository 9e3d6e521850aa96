//! Stack traces, as Erlang shows them.

use std::sync::Arc;

use crate::vm::code::loader::Loaded;
use crate::vm::exec::proc::Proc;
use crate::vm::natives::erlang_code::PRE_LOADED;
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::{list_items, list_of, string_list};
use crate::vm::term::word::{Ptr, Word, kind};

/// The mark of a trace not built yet: a tuple `{lam, LAZY, Bif, ClauseArgs,
/// ErrorInfo, Frame...}` on the heap, where each frame is a module and pc in
/// one small integer. Most raises are caught by a handler that never looks
/// at the trace (a `catch` of a throw, `catch error:badarg ->`), so the
/// raise keeps only what the trace is made from; [`materialize`] makes the
/// Erlang term when something reads it. Only the VM puts a trace in a raw
/// trace, so no term of a program's is taken for one.
const LAZY: i64 = 0x1a4_7ace;

/// The stack trace at `pc` of `module`, as Erlang shows it:
/// `[{M, F, A, [{file, F}, {line, L}]}]`, at most `depth` entries (a
/// failing BIF's own frame among them) and at least one, as erl's
/// `backtrace_depth` bounds them.
pub(crate) fn stack_trace(
    atoms: &Atoms,
    modules: &[Arc<Loaded>],
    proc: &mut Proc,
    module: u32,
    pc: u32,
    depth: usize,
) -> Word {
    let lazy = snapshot(proc, module, pc, depth);
    materialize(atoms, modules, &mut proc.heap, lazy)
}

/// What [`stack_trace`] is made from, kept on the heap (see [`LAZY`]): the
/// frames' return addresses and what the raise noted in `proc.raising`.
pub(crate) fn snapshot(proc: &mut Proc, module: u32, pc: u32, depth: usize) -> Word {
    let frame = |m: u32, pc: u32| Word::small((i64::from(m) << 32) | i64::from(pc)).expect("frame");
    let drop_current = std::mem::take(&mut proc.raising.drop_current);
    let bif = proc.raising.bif_frame.take();
    let clause_args = proc.raising.clause_args.take();
    let error_info = proc.raising.error_info.take();
    let bif = match bif {
        Some((m, f, args, b)) => {
            let b = Word::atom(if b { atom::TRUE } else { atom::FALSE });
            proc.heap.tuple(0, &[Word::atom(m), Word::atom(f), args, b])
        }
        None => Word::NIL,
    };
    let some = |heap: &mut Area, w: Option<Word>| match w {
        Some(w) => heap.cons(0, w, Word::NIL),
        None => Word::NIL,
    };
    let clause_args = some(&mut proc.heap, clause_args);
    let error_info = some(&mut proc.heap, error_info);
    // Straight onto the heap, the arity written last: a raise that a
    // handler catches costs no allocation of the host's.
    let words = &mut proc.heap.words;
    let at = words.len();
    words.push(0);
    for w in [
        Word::atom(atom::LAM),
        Word::small(LAZY).expect("small"),
        bif,
        clause_args,
        error_info,
    ] {
        words.push(w.0);
    }
    let mut frames = 0;
    if !drop_current {
        words.push(frame(module, pc).0);
        frames += 1;
    }
    // A return address repeated in a row (a body recursion) is one frame,
    // as erl records only the first of equal consecutive ones.
    let depth = depth.max(1);
    let keep = if bif != Word::NIL { depth - 1 } else { depth };
    let mut last = None;
    for (module, pc) in proc.st.returns().rev() {
        if frames >= keep {
            break;
        }
        let ret = (module, pc.saturating_sub(1));
        if last != Some(ret) {
            words.push(frame(ret.0, ret.1).0);
            frames += 1;
            last = Some(ret);
        }
    }
    // (`keep` is 0 when the BIF's frame is the only one.)
    let len = 5 + frames.min(keep);
    words.truncate(at + 1 + len);
    words[at] = Word::header(kind::TUPLE, len).0;
    Word::boxed(Ptr {
        area: 0,
        offset: at,
    })
}

/// The stack trace `w` stands for: the Erlang term, made from a
/// [`snapshot`]; any other term is already one.
pub(crate) fn materialize(
    atoms: &Atoms,
    modules: &[Arc<Loaded>],
    heap: &mut Area,
    w: Word,
) -> Word {
    if !w.is_boxed() || w.ptr().area != 0 {
        return w;
    }
    let view = View {
        heap: &*heap,
        literals: &[],
    };
    let parts: Vec<Word> = match view.tuple(w) {
        Some(t)
            if t.len() >= 5
                && Word(t[0]) == Word::atom(atom::LAM)
                && Word(t[1]).as_small() == Some(LAZY) =>
        {
            t.iter().map(|x| Word(*x)).collect()
        }
        _ => return w,
    };
    let bif = view.tuple(parts[2]).map(|b| {
        let (m, f) = (
            Word(b[0]).as_atom().unwrap_or(0),
            Word(b[1]).as_atom().unwrap_or(0),
        );
        (m, f, Word(b[2]), Word(b[3]) == Word::atom(atom::TRUE))
    });
    let first = |l: Word| l.is_list().then(|| view.cons(l).0);
    let clause_args = first(parts[3]);
    let error_info = first(parts[4]);
    let entries: Vec<(u32, u32)> = parts[5..]
        .iter()
        .filter_map(|e| e.as_small())
        .map(|e| ((e >> 32) as u32, e as u32))
        .collect();
    build(atoms, modules, heap, entries, bif, clause_args, error_info)
}

/// The trace's term from its parts (see [`materialize`]).
#[allow(clippy::too_many_arguments)] // the parts of a trace
fn build(
    atoms: &Atoms,
    modules: &[Arc<Loaded>],
    heap: &mut Area,
    entries: Vec<(u32, u32)>,
    bif: Option<(u32, u32, Word, bool)>,
    clause_args: Option<Word>,
    error_info: Option<Word>,
) -> Word {
    let mut list = Word::NIL;
    // A map is a failing native's own error_info (a cause with the module):
    // it belongs to the BIF's frame, not to its caller's.
    // (Such a map is always on the heap; erlang:error/3's option may be a
    // literal.)
    let is_map = |w: &Word| {
        w.is_boxed()
            && w.ptr().area == 0
            && View {
                heap: &*heap,
                literals: &[],
            }
            .map_size(*w)
            .is_some()
    };
    // A native with no frame of its own (binary construction) explains
    // its failure in its caller's frame, as the BEAM's instruction does.
    let (error_info, bif_info) = match error_info {
        Some(m) if is_map(&m) && matches!(bif, Some((_, _, _, true))) => (None, Some(m)),
        Some(m) if is_map(&m) && bif.is_none() => {
            let key = Word::atom(atoms.intern("error_info"));
            (Some(heap.tuple(0, &[key, m])), None)
        }
        Some(m) if is_map(&m) => (None, None),
        other => (other, None),
    };
    let top = entries.first().copied();
    for (m, pc) in entries.into_iter().rev() {
        let loaded = &modules[m as usize];
        let Some((f, a)) = loaded.function_at(pc) else {
            continue;
        };
        // erl's preloaded modules carry no line table: their frames have
        // no location there.
        let preloaded = PRE_LOADED.contains(&&*atoms.name(loaded.name));
        let loc = match loaded.lam.location(pc).filter(|_| !preloaded) {
            Some((file, line)) => {
                let file_term = string_list(heap, file);
                let fpair = heap.tuple(0, &[Word::atom(atom::FILE), file_term]);
                let lpair = heap.tuple(
                    0,
                    &[
                        Word::atom(atom::LINE),
                        Word::small(line as i64).expect("line"),
                    ],
                );
                let tail = heap.cons(0, lpair, Word::NIL);
                heap.cons(0, fpair, tail)
            }
            None => Word::NIL,
        };
        let arity_or_args = match clause_args {
            Some(args) if Some((m, pc)) == top => args,
            _ => Word::small(a as i64).expect("arity"),
        };
        let loc = match error_info {
            Some(info) if Some((m, pc)) == top => {
                let view = View {
                    heap: &*heap,
                    literals: &[],
                };
                let mut items = list_items(&view, loc).unwrap_or_default();
                items.push(info);
                list_of(heap, &items)
            }
            _ => loc,
        };
        let e = heap.tuple(
            0,
            &[Word::atom(loaded.name), Word::atom(f), arity_or_args, loc],
        );
        list = heap.cons(0, e, list);
    }
    if let Some((m, f, args, false)) = bif {
        let e = heap.tuple(0, &[Word::atom(m), Word::atom(f), args, Word::NIL]);
        list = heap.cons(0, e, list);
    } else if let Some((m, f, args, true)) = bif {
        // A failing BIF is the top frame, with its arguments and the
        // module that explains the error (OTP 24+ error_info).
        let explainer = if m == atom::ERLANG || &*atoms.name(m) == "erts_internal" {
            "erl_erts_errors"
        } else {
            "erl_stdlib_errors"
        };
        let key = Word::atom(atoms.intern("module"));
        let info_map = match bif_info {
            Some(m) => m,
            None => heap.map(0, &[key], &[Word::atom(atoms.intern(explainer))]),
        };
        let info = heap.tuple(0, &[Word::atom(atoms.intern("error_info")), info_map]);
        let loc = heap.cons(0, info, Word::NIL);
        let e = heap.tuple(0, &[Word::atom(m), Word::atom(f), args, loc]);
        list = heap.cons(0, e, list);
    }
    list
}
