//! Binary matching: a `bif` of a matching native with constant operands,
//! which the run loop does itself when it can (`ops::bs::fast`); here, the
//! native does it.

use std::sync::Arc;

use crate::vm::code::loader::{Dst, Loaded, Src};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{Proc, Regs};
use crate::vm::exec::regs::{read, write};
use crate::vm::exec::run::Worker;
use crate::vm::native::NativeFn;
use crate::vm::ops::bs::BsOp;
use crate::vm::term::exception::Exception;

impl<L: Lock> Worker<'_, L> {
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
