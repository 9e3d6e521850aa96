//! Processes and messages: `self`, `send`, the receive instructions
//! (`peek_message`, `next_message`, `remove_message`, `wait`,
//! `recv_mark`) and `spawn`.

use std::time::{Duration, Instant};

use crate::vm::code::kinds::{MarkKind, SpawnKind};
use crate::vm::code::loader::{Dst, Src};
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{BUDGET, Proc, Regs};
use crate::vm::exec::regs::{dst_src, read, write};
use crate::vm::exec::run::Worker;
use crate::vm::exec::{Lock, Shared};
use crate::vm::native::{HostOp, NativeResult};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::word::Word;

impl<L: Lock> Worker<'_, L> {
    pub(super) fn self_pid(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        d: Dst,
    ) -> Result<Flow, Exception> {
        write(proc, xs, d, Word::pid(proc.pid));
        Ok(Flow::Next)
    }

    /// `send`: x1 to x0, and x1 is the value.
    pub(super) fn send(&mut self, proc: &mut Proc, xs: &mut Regs) -> Result<Flow, Exception> {
        let (to, msg) = (xs[0], xs[1]);
        // As erlang:send/2 (which waits, the first time a system name is
        // sent to, for OTP's system to boot).
        match self.with_vm(|vm| vm.host(proc, HostOp::Send, &[to, msg])) {
            NativeResult::Retry => Ok(Flow::Retry),
            NativeResult::Error(e) => {
                // `!` fails as erlang:send/2 does, with its frame.
                let send = self.atoms.intern("send");
                self.note_bif(proc, atom::ERLANG, send, &[to, msg]);
                Err(e)
            }
            _ => {
                xs[0] = msg;
                Ok(Flow::Next)
            }
        }
    }

    /// The message at the save pointer into `d`, or to `l` if there is none.
    pub(super) fn peek_message(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        l: u32,
        d: Dst,
    ) -> Result<Flow, Exception> {
        match proc.rx.mailbox.get(proc.rx.save).copied() {
            Some(msg) => write(proc, xs, d, msg),
            None => return Ok(Flow::Goto(l)),
        }
        Ok(Flow::Next)
    }

    /// `next_message`: on to the next message. A receive loop's back edge,
    /// so it costs a reduction, here rather than through a trampoline
    /// (`Ins::LoopJump`) as other back edges: a selective receive passes
    /// over each message with one dispatch fewer.
    pub(super) fn next_message(&self, proc: &mut Proc, l: u32) -> Result<Flow, Exception> {
        proc.rx.save += 1;
        proc.reductions += 1;
        if proc.reductions >= BUDGET {
            return Ok(Flow::YieldAt(l));
        }
        Ok(Flow::Goto(l))
    }

    /// Takes the message at the save pointer; the receive is over.
    pub(super) fn remove_message(&self, proc: &mut Proc) -> Result<Flow, Exception> {
        proc.rx.mailbox.remove(proc.rx.save);
        proc.rx.save = 0;
        if proc.rx.deadline.take().is_some() {
            proc.rx.wait_epoch += 1;
        }
        Ok(Flow::Next)
    }

    /// `wait`: for a message (resuming at `l`), at most timeout `t`.
    pub(super) fn wait(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        l: u32,
        t: Src,
    ) -> Result<Flow, Exception> {
        // Back in a receive whose timer runs: the timeout operand was read
        // when it started (its register is dead by now, as on the BEAM).
        if let Some(d) = proc.rx.deadline {
            if d > Instant::now() {
                return Ok(Flow::Wait(l));
            }
            proc.rx.deadline = None;
            proc.rx.save = 0;
            proc.rx.wait_epoch += 1;
            return Ok(Flow::Next);
        }
        let t = read(proc, xs, t);
        if t == Word::atom(atom::INFINITY) {
            return Ok(Flow::Wait(l));
        }
        match t.as_small() {
            Some(0) => {
                proc.rx.save = 0;
                Ok(Flow::Next)
            }
            Some(ms) if ms > 0 => {
                let d = Instant::now() + Duration::from_millis(ms as u64);
                proc.rx.deadline = Some(d);
                let (pid, epoch) = (proc.pid, proc.rx.wait_epoch);
                self.with_vm(|vm| vm.timeout(d, pid, epoch));
                Ok(Flow::Wait(l))
            }
            _ => Err(Exception::error(Word::atom(
                self.atoms.intern("timeout_value"),
            ))),
        }
    }

    /// `recv_mark`: a mark is the mailbox's length when it was reserved;
    /// using it starts the receive's scan there.
    pub(super) fn recv_mark(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        k: MarkKind,
        d: Dst,
    ) -> Result<Flow, Exception> {
        match k {
            MarkKind::Reserve => {
                let len = Word::small(proc.rx.mailbox.len() as i64).expect("length");
                write(proc, xs, d, len);
            }
            MarkKind::Use => {
                if let Some(mark) = read(proc, xs, dst_src(d)).as_small() {
                    proc.rx.save = (mark as usize).min(proc.rx.mailbox.len());
                }
            }
            // A receive left by its `after 0` (no timer fired to reset it):
            // the next receive scans the mailbox from the start.
            MarkKind::Timeout => proc.rx.save = 0,
            MarkKind::Bind | MarkKind::Clear => {}
        }
        Ok(Flow::Next)
    }

    /// `spawn`: x0 is the new process, as the `erlang` BIF `k` of the
    /// `arity` arguments in x0.. would make it.
    pub(super) fn spawn(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        k: SpawnKind,
        arity: u32,
    ) -> Result<Flow, Exception> {
        let args: Vec<Word> = xs[..arity as usize].to_vec();
        match self.with_vm(|vm| vm.spawn(proc, k, &args)) {
            Ok(w) => xs[0] = w,
            Err(e) => {
                // It fails as the erlang:spawn* BIF it stands for.
                let f = self.atoms.intern(k.name());
                self.note_bif(proc, atom::ERLANG, f, &args);
                return Err(e);
            }
        }
        Ok(Flow::Next)
    }
}
