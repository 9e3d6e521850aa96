//! Binary matching: a `bif` of a matching native with constant operands,
//! which the run loop does itself when it can (`bs_run`, a run of them on
//! one context at a time); here too, the native does what that leaves.

use std::sync::Arc;

use crate::vm::code::loader::{Dst, Ins, Loaded, NOFAIL, Src, Target};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{BUDGET, Proc, Regs, Stack};
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
        // The loop's body as met the first time through (`Body`), played
        // back on each later step instead of decoding its instructions.
        let mut body = Body::EMPTY;
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
                    let Some(v) = add(xs, st, lhs, rhs) else {
                        break;
                    };
                    write_dst(xs, st, dst, v);
                    body.record(Step::Add { lhs, rhs, dst, pc });
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
                    if body.recording && body.head == to {
                        body.ready = true;
                        body.tail = pc;
                    } else {
                        body.head = to;
                        body.len = 0;
                        body.recording = true;
                    }
                    pc = to;
                    steps = 0;
                    // Played back while each step goes as it went the
                    // first time and the slice lasts; anything else goes
                    // on through the instructions from where it stopped.
                    while body.ready {
                        let mut out = None;
                        for (i, step) in body.steps[..body.len].iter().enumerate() {
                            match *step {
                                Step::Match {
                                    op,
                                    fail,
                                    dst,
                                    pc: at,
                                    ok,
                                } => {
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
                                            write_dst(xs, st, dst, v);
                                            if !ok {
                                                out = Some((at + 1, i + 1));
                                                break;
                                            }
                                        }
                                        Some(Err(())) if fail != NOFAIL => {
                                            done += 1;
                                            if ok {
                                                out = Some((fail, i + 1));
                                                break;
                                            }
                                        }
                                        _ => {
                                            out = Some((at, i));
                                            break;
                                        }
                                    }
                                }
                                Step::Add {
                                    lhs,
                                    rhs,
                                    dst,
                                    pc: at,
                                } => {
                                    let Some(v) = add(xs, st, lhs, rhs) else {
                                        out = Some((at, i));
                                        break;
                                    };
                                    write_dst(xs, st, dst, v);
                                }
                            }
                        }
                        // The tail call that closes the body, unless the
                        // slice is spent or a step went otherwise.
                        let out = out.or_else(|| {
                            (!may_call || *reductions >= BUDGET).then_some((body.tail, body.len))
                        });
                        if let Some((next, n)) = out {
                            pc = next;
                            steps = n;
                            body.ready = false;
                            body.recording = false;
                        } else {
                            *reductions += 1;
                        }
                    }
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
                    write_dst(xs, st, dst, v);
                    // The context's register now holds something else:
                    // what follows reads that.
                    if v != w && dst_src(dst) == src {
                        break;
                    }
                    body.record(Step::Match {
                        op,
                        fail,
                        dst,
                        pc: pc - 1,
                        ok: true,
                    });
                }
                Some(Err(())) if fail != NOFAIL => {
                    done += 1;
                    // Played back, a step that fails here might not: one
                    // that would then replace the context is left out.
                    if dst_src(dst) == src && op != BsOp::StartMatch {
                        body.recording = false;
                    }
                    body.record(Step::Match {
                        op,
                        fail,
                        dst,
                        pc,
                        ok: false,
                    });
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

/// The most steps of a loop body `bs_run` plays back.
const BODY_MAX: usize = 16;

/// One instruction of a match loop's body, decoded, with its pc: a
/// `BsMatch` on the run's context and whether it matched (`ok`) or went to
/// its fail label the first time through, or an `add` of small integers.
#[derive(Clone, Copy)]
enum Step {
    Match {
        op: BsOp,
        fail: u32,
        dst: Dst,
        pc: u32,
        ok: bool,
    },
    Add {
        lhs: Src,
        rhs: Src,
        dst: Dst,
        pc: u32,
    },
}

/// A match loop's body: the instructions from `head`, a local tail call's
/// target, to the tail call back to `head` (at `tail`), recorded as
/// `bs_run` does them the first time through, fail labels taken included.
/// The code never changes, so playing the steps back does what decoding
/// them again would as long as each goes the way it went then: a field
/// that matches where it failed (or the other way round), one that needs
/// the native, or a sum that leaves the small integers, hands back to the
/// instructions there.
struct Body {
    head: u32,
    tail: u32,
    steps: [Step; BODY_MAX],
    len: usize,
    recording: bool,
    ready: bool,
}

impl Body {
    const EMPTY: Body = Body {
        head: 0,
        tail: 0,
        steps: [Step::Add {
            lhs: Src::X(0),
            rhs: Src::X(0),
            dst: Dst::Discard,
            pc: 0,
        }; BODY_MAX],
        len: 0,
        recording: false,
        ready: false,
    };

    fn record(&mut self, step: Step) {
        if !self.recording {
            return;
        }
        if self.len == BODY_MAX {
            self.recording = false;
            return;
        }
        self.steps[self.len] = step;
        self.len += 1;
    }
}

/// An `add` of two small integers whose sum is small, as `bs_run` does it.
#[inline(always)]
fn add(xs: &Regs, st: &Stack, lhs: Src, rhs: Src) -> Option<Word> {
    let rd = |s: Src| match s {
        Src::X(r) => xs[r as usize],
        Src::Y(r) => st.stack[st.y_base + r as usize],
        Src::C(w) => w,
    };
    Word::small(rd(lhs).as_small()? + rd(rhs).as_small()?)
}

#[inline(always)]
fn write_dst(xs: &mut Regs, st: &mut Stack, dst: Dst, v: Word) {
    match dst {
        Dst::X(r) => xs[r as usize] = v,
        Dst::Y(r) => st.stack[st.y_base + r as usize] = v,
        Dst::Discard => {}
    }
}
