//! Layer 6, exec: the run loop (`run.rs`) and the instruction bodies, one
//! file per kind of instruction (`data`, `frames`, `compare`, `calls`,
//! `binaries`, `floats`, `maps`, `exceptions`, `messages`, with what they
//! share in `regs` and `flow`), the per-process state they work on, and
//! stack traces.

mod binaries;
pub mod calls;
mod compare;
mod data;
mod exceptions;
mod fast;
mod floats;
mod flow;
mod frames;
mod maps;
mod messages;
pub mod proc;
mod regs;
pub mod run;
pub mod trace;

use std::ops::DerefMut;
use std::sync::Arc;
use std::time::Instant;

use crate::vm::code::kinds::SpawnKind;
use crate::vm::code::loader::{Callee, Loaded};
use crate::vm::exec::proc::Proc;
use crate::vm::native::{DebugFlags, Env, HostOp, NativeResult};
use crate::vm::term::atoms::Atoms;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::Area;
use crate::vm::term::word::Word;

/// What the run loop asks of the VM that processes share. The runtime
/// implements it; the run loop reaches it only under the lock ([`Lock`]),
/// and only for what touches other processes or loads code.
pub trait Shared {
    /// The atom table.
    fn atoms(&self) -> &Arc<Atoms>;
    /// The VM's environment variables.
    fn env(&self) -> &Arc<Env>;
    /// The VM's ETS tables.
    fn ets(&self) -> &Arc<crate::vm::ops::ets::Tables>;
    /// The debugging output asked for.
    fn debug(&self) -> DebugFlags;
    /// How many frames a stack trace keeps (`system_flag(backtrace_depth, N)`).
    fn backtrace_depth(&self) -> &Arc<std::sync::atomic::AtomicUsize>;
    /// The VM's memory budget.
    fn memory(&self) -> &Arc<crate::vm::term::memory::Memory>;
    /// The loaded modules and their literal areas (only ever appended to).
    fn code(&self) -> (&[Arc<Loaded>], &[Arc<Area>]);
    /// What `module:function/arity` is (loading the module if needed).
    fn resolve(&mut self, module: u32, function: u32, arity: u32) -> Option<Callee>;
    /// The `undef` exception for calling `module:function` with `args`
    /// from `proc`.
    fn undef(&mut self, proc: &mut Proc, module: u32, function: u32, args: &[Word]) -> Exception;
    /// What calling the external fun `module:function` with `args` enters.
    fn export_callee(
        &mut self,
        proc: &mut Proc,
        module: u32,
        function: u32,
        args: &[Word],
    ) -> Result<Callee, Exception>;
    /// Sends `msg` (in `from`'s heap) to `to`.
    fn send(&mut self, from: &mut Proc, to: Word, msg: Word) -> Result<(), Exception>;
    /// The `spawn` instruction of `kind` with its arguments.
    fn spawn(&mut self, proc: &mut Proc, kind: SpawnKind, args: &[Word])
    -> Result<Word, Exception>;
    /// A host native: the runtime carries out `op` for `proc`.
    fn host(&mut self, proc: &mut Proc, op: HostOp, args: &[Word]) -> NativeResult;
    /// A receive timeout for `pid`'s wait number `epoch`.
    fn timeout(&mut self, deadline: Instant, pid: u64, epoch: u64);
}

/// How a scheduler reaches the [`Shared`] VM: by taking its lock, as
/// scheduler `id`.
pub trait Lock {
    /// The VM behind the lock.
    type Shared: Shared;
    /// The lock held.
    type Guard<'a>: DerefMut<Target = Self::Shared>
    where
        Self: 'a;
    /// Takes the lock.
    fn lock(&self, id: usize) -> Self::Guard<'_>;
}
