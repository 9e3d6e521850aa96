//! Stack traces, as Erlang shows them.

use std::sync::Arc;

use crate::vm::code::loader::Loaded;
use crate::vm::exec::proc::Proc;
use crate::vm::natives::erlang_code::PRE_LOADED;
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::heap::View;
use crate::vm::term::list::{list_items, list_of, string_list};
use crate::vm::term::word::Word;

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
    let mut entries = if std::mem::take(&mut proc.raising.drop_current) {
        vec![]
    } else {
        vec![(module, pc)]
    };
    // A return address repeated in a row (a body recursion) is one frame,
    // as erl records only the first of equal consecutive ones.
    let bif = proc.raising.bif_frame.take();
    let depth = depth.max(1);
    let keep = if bif.is_some() { depth - 1 } else { depth };
    let mut last = None;
    for (module, pc) in proc.st.returns().rev() {
        if entries.len() >= keep {
            break;
        }
        let ret = (module, pc.saturating_sub(1));
        if last != Some(ret) {
            entries.push(ret);
            last = Some(ret);
        }
    }
    entries.truncate(keep);
    let mut list = Word::NIL;
    let clause_args = proc.raising.clause_args.take();
    let error_info = proc.raising.error_info.take();
    // A map is a failing native's own error_info (a cause with the module):
    // it belongs to the BIF's frame, not to its caller's.
    // (Such a map is always on the heap; erlang:error/3's option may be a
    // literal.)
    let is_map = |w: &Word| {
        w.is_boxed()
            && w.ptr().area == 0
            && View {
                heap: &proc.heap,
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
            (Some(proc.heap.tuple(0, &[key, m])), None)
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
                let file_term = string_list(&mut proc.heap, file);
                let fpair = proc.heap.tuple(0, &[Word::atom(atom::FILE), file_term]);
                let lpair = proc.heap.tuple(
                    0,
                    &[
                        Word::atom(atom::LINE),
                        Word::small(line as i64).expect("line"),
                    ],
                );
                let tail = proc.heap.cons(0, lpair, Word::NIL);
                proc.heap.cons(0, fpair, tail)
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
                    heap: &proc.heap,
                    literals: &[],
                };
                let mut items = list_items(&view, loc).unwrap_or_default();
                items.push(info);
                list_of(&mut proc.heap, &items)
            }
            _ => loc,
        };
        let e = proc.heap.tuple(
            0,
            &[Word::atom(loaded.name), Word::atom(f), arity_or_args, loc],
        );
        list = proc.heap.cons(0, e, list);
    }
    if let Some((m, f, args, false)) = bif {
        let e = proc
            .heap
            .tuple(0, &[Word::atom(m), Word::atom(f), args, Word::NIL]);
        list = proc.heap.cons(0, e, list);
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
            None => proc
                .heap
                .map(0, &[key], &[Word::atom(atoms.intern(explainer))]),
        };
        let info = proc
            .heap
            .tuple(0, &[Word::atom(atoms.intern("error_info")), info_map]);
        let loc = proc.heap.cons(0, info, Word::NIL);
        let e = proc
            .heap
            .tuple(0, &[Word::atom(m), Word::atom(f), args, loc]);
        list = proc.heap.cons(0, e, list);
    }
    list
}
