//! The runtime's side of the run loop's [`Shared`] interface: what a
//! scheduler asks of the VM under its lock.

use std::sync::Arc;

use crate::vm::code::kinds::SpawnKind;
use crate::vm::code::loader::{Callee, Loaded};
use crate::vm::exec::Shared;
use crate::vm::exec::proc::Proc;
use crate::vm::native::{DebugFlags, Env, HostOp, NativeResult};
use crate::vm::runtime::proc_natives::host;
use crate::vm::runtime::vm::Vm;
use crate::vm::term::atoms::Atoms;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::Area;
use crate::vm::term::word::Word;

/// The run loop's view of the VM.
impl Shared for Vm {
    fn atoms(&self) -> &Arc<Atoms> {
        &self.atoms
    }

    fn env(&self) -> &Arc<Env> {
        &self.env
    }

    fn ets(&self) -> &Arc<crate::vm::ops::ets::Tables> {
        &self.ets
    }

    fn debug(&self) -> DebugFlags {
        self.debug
    }

    fn backtrace_depth(&self) -> &Arc<std::sync::atomic::AtomicUsize> {
        &self.sys.backtrace_depth
    }

    fn memory(&self) -> &Arc<crate::vm::term::memory::Memory> {
        &self.memory
    }

    fn code(&self) -> (&[Arc<Loaded>], &[Arc<Area>]) {
        (&self.modules, &self.literals)
    }

    fn resolve(&mut self, module: u32, function: u32, arity: u32) -> Option<Callee> {
        Vm::resolve(self, module, function, arity)
    }

    fn undef(&mut self, proc: &mut Proc, module: u32, function: u32, args: &[Word]) -> Exception {
        Vm::undef(self, proc, module, function, args)
    }

    fn export_callee(
        &mut self,
        proc: &mut Proc,
        module: u32,
        function: u32,
        args: &[Word],
    ) -> Result<Callee, Exception> {
        Vm::export_callee(self, proc, module, function, args)
    }

    fn send(&mut self, from: &mut Proc, to: Word, msg: Word) -> Result<(), Exception> {
        Vm::send(self, from, to, msg)
    }

    fn spawn(
        &mut self,
        proc: &mut Proc,
        kind: SpawnKind,
        args: &[Word],
    ) -> Result<Word, Exception> {
        self.spawn_call(proc, kind, args)
    }

    fn host(&mut self, proc: &mut Proc, op: HostOp, args: &[Word]) -> NativeResult {
        host(self, proc, op, args)
    }

    fn timeout(&mut self, deadline: std::time::Instant, pid: u64, epoch: u64) {
        self.timers.timeout(deadline, pid, epoch);
    }
}
