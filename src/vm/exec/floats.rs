//! The float registers (`x1024` and up, raw `f64` bits, never terms):
//! loading a number into one, storing one as a term, arithmetic.

use crate::vm::code::loader::{Dst, Src};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::{Flow, fail_or};
use crate::vm::exec::proc::{Proc, Regs};
use crate::vm::exec::regs::{read, write};
use crate::vm::exec::run::Worker;
use crate::vm::ops::arith::{ArithOp, float_op, to_f64};
use crate::vm::term::atoms::atom;
use crate::vm::term::compare::{Num, number};
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::word::Word;

fn badarith() -> Exception {
    Exception::error(Word::atom(atom::BADARITH))
}

impl<L: Lock> Worker<'_, L> {
    /// A number into float register `d` (badarith if it has no finite
    /// float).
    #[inline]
    pub(super) fn fload(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        s: Src,
        d: u16,
    ) -> Result<Flow, Exception> {
        let w = read(proc, xs, s);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let f = match (w.as_small(), view.float(w)) {
            (Some(i), _) => i as f64,
            (_, Some(f)) => f,
            _ => match number(&view, w) {
                Some(n @ Num::Big(_)) => to_f64(&n).ok_or_else(badarith)?,
                _ => return Err(badarith()),
            },
        };
        xs[d as usize] = Word(f.to_bits());
        Ok(Flow::Next)
    }

    /// Float register `s`, boxed, into `d`.
    #[inline]
    pub(super) fn fstore(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        s: u16,
        d: Dst,
    ) -> Result<Flow, Exception> {
        let f = f64::from_bits(xs[s as usize].0);
        let w = proc.heap.float(0, f);
        write(proc, xs, d, w);
        Ok(Flow::Next)
    }

    #[inline]
    pub(super) fn farith(
        &self,
        xs: &mut Regs,
        k: ArithOp,
        fail: u32,
        (a, b): (u16, u16),
        d: u16,
    ) -> Result<Flow, Exception> {
        let (x, y) = (
            f64::from_bits(xs[a as usize].0),
            f64::from_bits(xs[b as usize].0),
        );
        match float_op(k, x, y) {
            Some(r) => xs[d as usize] = Word(r.to_bits()),
            None => return fail_or(fail, badarith()),
        }
        Ok(Flow::Next)
    }

    #[inline]
    pub(super) fn fneg(&self, xs: &mut Regs, a: u16, d: u16) -> Result<Flow, Exception> {
        let x = f64::from_bits(xs[a as usize].0);
        // 0 - X, as the BEAM computes it: -(0.0) is 0.0 there.
        xs[d as usize] = Word((0.0 - x).to_bits());
        Ok(Flow::Next)
    }
}
