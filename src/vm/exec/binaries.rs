//! Binary matching: a `bif` of a matching native with constant operands,
//! which the run loop does itself when it can (`bs_run`, a run of them on
//! one context at a time); here too, the native does what that leaves.

use std::sync::Arc;

use crate::vm::code::loader::{Dst, Ins, Loaded, NOFAIL, Src, Target};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{BUDGET, Proc, Regs};
use crate::vm::exec::regs::{dst_src, read, write};
use crate::vm::exec::run::Worker;
use crate::vm::native::NativeFn;
use crate::vm::ops::bs::{BsOp, on};
use crate::vm::term::bits::{ctx_on, set_pos};
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::word::Word;

/// The most instructions one `bs_run` does between two reductions: a run
/// whose fail labels lead back into it must still come back to the loop,
/// which counts reductions.
const RUN_MAX: usize = 64;

impl<L: Lock> Worker<'_, L> {
    /// The `BsMatch` instructions from `pc` on, while they act on the same
    /// match context and the fast cases cover them: the context is decoded
    /// once (position, length, and the binary's bytes when a field is
    /// read) and its position written back once, where each instruction
    /// alone read the context and resolved the binary again. A match
    /// loop's own step goes on here too: an `add` of small integers
    /// (the sum of the fields read) and the local tail call back to a
    /// `BsMatch` on the same context, which counts its reduction as the
    /// loop's call does, so that a loop over a binary's fields stays in
    /// here, where it was three dispatches and a decoding of the context
    /// a field. Gives the pc to go on at, or `None` when not even the
    /// first instruction was done (the native does it).
    // Out of line: the loop's registers stay as they are for the others.
    #[inline(never)]
    pub(super) fn bs_run(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        code: &[Ins],
        mut pc: u32,
    ) -> Option<u32> {
        let Ins::BsMatch { ctx: src, .. } = code[pc as usize] else {
            return None;
        };
        let w = read(proc, xs, src);
        let m = ctx_on(&proc.heap, w)?;
        // Nothing in here allocates, so the heap's state at the start
        // holds throughout: a call that would collect first is left to
        // the loop.
        let may_call = !proc.needs_gc();
        let (heap, st, reductions) = (&proc.heap, &mut proc.st, &mut proc.reductions);
        let view = View {
            heap,
            literals: &self.literals,
        };
        let mut bytes = None;
        let mut pos = m.pos;
        let mut done = 0;
        let mut steps = 0;
        while steps < RUN_MAX {
            steps += 1;
            let (op, fail, dst) = match code.get(pc as usize) {
                Some(&Ins::BsMatch {
                    op, fail, ctx, dst, ..
                }) if ctx == src => (op, fail, dst),
                // Only once a field has been read: the run's first
                // instruction is always a `BsMatch`.
                Some(&Ins::Add { lhs, rhs, dst, .. })
                    if dst_src(dst) != src && !matches!(dst, Dst::Discard) =>
                {
                    let rd = |s: Src| match s {
                        Src::X(r) => xs[r as usize],
                        Src::Y(r) => st.stack[st.y_base + r as usize],
                        Src::C(w) => w,
                    };
                    let (Some(a), Some(b)) = (rd(lhs).as_small(), rd(rhs).as_small()) else {
                        break;
                    };
                    let Some(v) = Word::small(a + b) else {
                        break;
                    };
                    match dst {
                        Dst::X(r) => xs[r as usize] = v,
                        Dst::Y(r) => st.stack[st.y_base + r as usize] = v,
                        Dst::Discard => {}
                    }
                    pc += 1;
                    continue;
                }
                Some(&Ins::TailCall {
                    target: Target::Local(to),
                    ..
                }) if may_call
                    && *reductions < BUDGET
                    && matches!(code.get(to as usize),
                        Some(&Ins::BsMatch { ctx, .. }) if ctx == src) =>
                {
                    *reductions += 1;
                    pc = to;
                    steps = 0;
                    continue;
                }
                _ => break,
            };
            let r = on(op, w, pos, m.len, || {
                if bytes.is_none() {
                    bytes = Some(view.bits(m.bin)?.0);
                }
                bytes
            });
            match r {
                Some(Ok((v, p))) => {
                    done += 1;
                    pos = p;
                    pc += 1;
                    match dst {
                        Dst::X(r) => xs[r as usize] = v,
                        Dst::Y(r) => st.stack[st.y_base + r as usize] = v,
                        Dst::Discard => {}
                    }
                    // The context's register now holds something else:
                    // what follows reads that.
                    if v != w && dst_src(dst) == src {
                        break;
                    }
                }
                Some(Err(())) if fail != NOFAIL => {
                    done += 1;
                    pc = fail;
                }
                _ => break,
            }
        }
        if pos != m.pos {
            set_pos(&mut proc.heap, &m, pos);
        }
        (done > 0).then_some(pc)
    }

    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(super) fn bs_match(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        m: &Arc<Loaded>,
        (op, f): (BsOp, NativeFn),
        import: u32,
        fail: u32,
        s: Src,
        d: Dst,
    ) -> Result<Flow, Exception> {
        let (vals, n) = op.args(read(proc, xs, s));
        match self.call_native(proc, m, f, import, fail, &vals[..n]) {
            Ok(v) => write(proc, xs, d, v),
            Err(flow) => return flow,
        }
        Ok(Flow::Next)
    }
}
