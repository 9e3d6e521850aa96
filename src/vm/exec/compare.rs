//! Tests and arithmetic: `test` in its forms, and `arith` beyond the small
//! integers the run loop does itself.

use crate::vm::code::loader::{Dst, NOFAIL, Src};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::{Flow, fail_or};
use crate::vm::exec::proc::{Proc, Regs};
use crate::vm::exec::regs::{read, write};
use crate::vm::exec::run::Worker;
use crate::vm::ops::arith::{ArithOp, arith, big_reductions};
use crate::vm::ops::test::{TestOp, test};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::word::Word;

impl<L: Lock> Worker<'_, L> {
    /// Test `k` of `vals`: on, or to the fail label.
    #[inline]
    fn test_vals(
        &self,
        proc: &Proc,
        k: TestOp,
        fail: u32,
        vals: &[Word],
    ) -> Result<Flow, Exception> {
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        Ok(if test(&view, &self.atoms, k, vals) {
            Flow::Next
        } else {
            Flow::Goto(fail)
        })
    }

    /// A test of any number of arguments (at most three).
    #[inline]
    pub(super) fn test(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        k: TestOp,
        fail: u32,
        args: &[Src],
    ) -> Result<Flow, Exception> {
        // No allocation here.
        let mut vals = [Word::NIL; 3];
        for (v, s) in vals.iter_mut().zip(args.iter()) {
            *v = read(proc, xs, *s);
        }
        self.test_vals(proc, k, fail, &vals[..args.len()])
    }

    #[inline]
    pub(super) fn test1(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        k: TestOp,
        fail: u32,
        a: Src,
    ) -> Result<Flow, Exception> {
        let v = read(proc, xs, a);
        if k == TestOp::IsNonemptyList {
            // (The run loop does the split of a fused `split_list`.)
            return Ok(if v.is_list() {
                Flow::Next
            } else {
                Flow::Goto(fail)
            });
        }
        self.test_vals(proc, k, fail, &[v])
    }

    #[inline]
    pub(super) fn test2(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        k: TestOp,
        fail: u32,
        a: Src,
        b: Src,
    ) -> Result<Flow, Exception> {
        let vals = [read(proc, xs, a), read(proc, xs, b)];
        self.test_vals(proc, k, fail, &vals)
    }

    /// `arith` `k`: on failure the fail label, or the exception with the
    /// `erlang` BIF's frame noted.
    #[inline]
    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(super) fn arith(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        k: ArithOp,
        fail: u32,
        a: Src,
        b: Src,
        d: Dst,
    ) -> Result<Flow, Exception> {
        let (va, vb) = (read(proc, xs, a), read(proc, xs, b));
        let r = arith(&mut proc.heap, &self.literals, k, va, vb);
        if va.is_boxed() || vb.is_boxed() || r.as_ref().is_ok_and(|v| v.is_boxed()) {
            let v = View {
                heap: &proc.heap,
                literals: &self.literals,
            };
            let extra = big_reductions(&v, k, va, vb, r.as_ref().ok().copied());
            proc.reductions = proc.reductions.saturating_add(extra);
        }
        match r {
            Ok(v) => write(proc, xs, d, v),
            Err(e) => {
                if fail == NOFAIL {
                    let f = self.atoms.intern(k.bif_name());
                    self.note_bif(proc, atom::ERLANG, f, &[va, vb]);
                }
                return fail_or(fail, e);
            }
        }
        Ok(Flow::Next)
    }
}
