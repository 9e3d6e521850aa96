//! Exceptions: `try` and its ends, `catch`'s value, `raise`, `fail`, and
//! the BIF frame a failing BIF leaves in the stack trace.

use std::sync::Arc;

use crate::vm::code::kinds::FailKind;
use crate::vm::code::loader::{Dst, Loaded, Src};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{Handler, Proc, Regs, handler_marker};
use crate::vm::exec::regs::{dst_src, read, write};
use crate::vm::exec::run::Worker;
use crate::vm::natives::registry;
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::word::Word;

/// How many natives [`Worker::native_kind`] remembers: the few a program
/// raises through; past them, the registry answers.
pub(crate) const NATIVE_KINDS: usize = 32;

impl<L: Lock> Worker<'_, L> {
    /// `try`: a handler at label `l` of module `m`, marked in `y`.
    pub(super) fn try_(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        m: &Arc<Loaded>,
        y: Dst,
        l: u32,
    ) -> Result<Flow, Exception> {
        let depth = proc.st.handlers.len();
        proc.st.handlers.push(Handler {
            module: m.id,
            label: l,
            stack: proc.st.stack.len(),
            y_base: proc.st.y_base,
        });
        write(proc, xs, y, handler_marker(depth));
        Ok(Flow::Next)
    }

    /// `try_end`: the handler marked in `y` is gone (`landing`: this is
    /// its landing pad).
    pub(super) fn try_end(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        y: Dst,
        landing: bool,
    ) -> Result<Flow, Exception> {
        // At a landing pad the handler is already gone.
        let live = proc.st.handlers.len().checked_sub(1).map(handler_marker);
        if live == Some(read(proc, xs, dst_src(y))) {
            proc.st.handlers.pop();
            // Ordinary control flow at the landing pad (after a call that
            // returned where the compiler knew it cannot): the pad reads an
            // exception from x1..x3, which hold nothing it could follow.
            if landing {
                for r in 1..4 {
                    xs[r] = Word::NIL;
                }
            }
        }
        write(proc, xs, y, Word::NIL);
        Ok(Flow::Next)
    }

    /// `catch_end`: as `try_end`, and at a landing pad, x0 is `catch`'s
    /// value for the exception.
    pub(super) fn catch_end(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        y: Dst,
    ) -> Result<Flow, Exception> {
        self.try_end(proc, xs, y, false)?;
        if xs[0] == Word::NONE {
            xs[0] = self.catch_value(proc, xs);
        }
        Ok(Flow::Next)
    }

    /// `catch`'s value for the exception in x1..x3.
    fn catch_value(&self, proc: &mut Proc, xs: &Regs) -> Word {
        let (class, reason, raw) = (xs[1], xs[2], xs[3]);
        let trace = self.raw_trace(proc, raw);
        match class.as_atom() {
            Some(atom::THROW) => reason,
            Some(atom::ERROR) => {
                let trace = self.materialize(proc, trace);
                let inner = proc.heap.tuple(0, &[reason, trace]);
                proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), inner])
            }
            _ => proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), reason]),
        }
    }

    /// The trace slot of a handler's raw `{Class, Reason, Trace}` (`[]`
    /// when it is not one): still a snapshot if the raise left it unbuilt.
    fn raw_trace(&self, proc: &Proc, raw: Word) -> Word {
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        match view.tuple(raw) {
            Some([_, _, t]) => Word(*t),
            _ => Word::NIL,
        }
    }

    /// `lam:build_stacktrace/1`: the stack trace of the raw trace a
    /// handler got, built now if the raise left it for later.
    pub(super) fn build_stacktrace(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        raw: Src,
        d: Dst,
    ) -> Result<Flow, Exception> {
        let raw = read(proc, xs, raw);
        let trace = self.raw_trace(proc, raw);
        let trace = self.materialize(proc, trace);
        write(proc, xs, d, trace);
        Ok(Flow::Next)
    }

    /// `raise`: class, reason and a trace (raw, as a handler got it, or
    /// any); a class that is none raises nothing and leaves badarg in x0
    /// (`goes_on`), or raises badarg where the raise ends its block.
    pub(super) fn raise(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        (c, r, t): (Src, Src, Src),
        goes_on: bool,
    ) -> Result<Flow, Exception> {
        let (class, reason, trace) = (read(proc, xs, c), read(proc, xs, r), read(proc, xs, t));
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        // A raw trace is {lam, Class, Trace}; raise/2 (class []) takes the class from it.
        let (class, trace) = match view.tuple(trace) {
            Some([tag, cls, tr]) if Word(*tag) == Word::atom(atom::LAM) => (
                if class == Word::NIL {
                    Word(*cls)
                } else {
                    class
                },
                Word(*tr),
            ),
            _ => (class, trace),
        };
        match class.as_atom() {
            Some(c @ (atom::ERROR | atom::EXIT | atom::THROW)) => Err(Exception {
                class: c,
                reason,
                trace,
            }),
            _ if goes_on => {
                xs[0] = Word::atom(atom::BADARG);
                Ok(Flow::Next)
            }
            // The raise ends its block: what follows was not verified as
            // its continuation.
            _ => Err(Exception::badarg()),
        }
    }

    /// `fail`: raises error `k` with the value (`function_clause` with the
    /// arguments of the function at `pc` noted for the trace).
    pub(super) fn fail(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        (m, pc): (&Arc<Loaded>, u32),
        k: FailKind,
        v: Src,
    ) -> Result<Flow, Exception> {
        let v = read(proc, xs, v);
        let tag = |a: u32, proc: &mut Proc| proc.heap.tuple(0, &[Word::atom(a), v]);
        let reason = match k {
            FailKind::Badmatch => tag(atom::BADMATCH, proc),
            FailKind::CaseClause => tag(atom::CASE_CLAUSE, proc),
            FailKind::TryClause => tag(atom::TRY_CLAUSE, proc),
            FailKind::Badrecord => tag(atom::BADRECORD, proc),
            FailKind::IfClause => Word::atom(atom::IF_CLAUSE),
            FailKind::FunctionClause => {
                let arity = m.function_at(pc).map_or(0, |(_, a)| a as usize);
                let args = xs[..arity].to_vec();
                proc.raising.clause_args = Some(list_of(&mut proc.heap, &args));
                Word::atom(atom::FUNCTION_CLAUSE)
            }
            FailKind::Unsupported => v,
        };
        Err(Exception::error(reason))
    }

    /// Records `m:f(args)` as the failing BIF of the exception being raised,
    /// unless it is one of the BIFs whose job is to raise.
    pub(super) fn note_bif(&self, proc: &mut Proc, m: u32, f: u32, args: &[Word]) {
        if m == atom::ERLANG && f == atom::ERROR && args.len() >= 2 {
            // error/2,3: the arguments given replace the caller's arity
            // (`none` keeps it: Elixir's `raise`), and error/3's
            // error_info option joins its location.
            if args[1].as_atom() != self.atoms.existing("none") {
                proc.raising.clause_args = Some(args[1]);
            }
            let view = View {
                heap: &proc.heap,
                literals: &self.literals,
            };
            proc.raising.error_info = args.get(2).and_then(|opts| {
                list_items(&view, *opts)?.into_iter().find(|o| {
                    matches!(view.tuple(*o), Some([k, _]) if Word(*k) == Word::atom(self.atoms.intern("error_info")))
                })
            });
            return;
        }
        let (raising, nif) = self.native_kind(m, f, args.len() as u32);
        // Raising is what these are for: no frame of their own (exit/2,
        // which signals another process, fails like any BIF).
        if raising {
            return;
        }
        // A NIF's frame has no error_info: erl has none to explain it.
        let args = list_of(&mut proc.heap, args);
        proc.raising.bif_frame = Some((m, f, args, !nif));
    }

    /// Whether the native `m:f/arity` is one whose purpose is to raise, and
    /// whether it is a NIF, remembered per scheduler: a loop that throws
    /// asks at every raise, and the registry is keyed by names.
    fn native_kind(&self, m: u32, f: u32, arity: u32) -> (bool, bool) {
        let key = (m, f, arity);
        let mut known = self.native_kinds.borrow_mut();
        if let Some((_, kind)) = known.iter().find(|(k, _)| *k == key) {
            return *kind;
        }
        let native = registry().get(&self.atoms.name(m), &self.atoms.name(f), arity);
        let kind = (
            native.is_some_and(|n| n.is_raising()),
            native.is_some_and(|n| n.is_nif()),
        );
        if known.len() < NATIVE_KINDS {
            known.push((key, kind));
        }
        kind
    }
}
