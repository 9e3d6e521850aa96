//! Calls: `call` and `tail_call` beyond the local ones the run loop makes
//! itself, `call_fun` (and `apply`), the `bif` instruction, and the one
//! protocol for calling natives and host natives: the context a native
//! gets, where the process is saved for a host native, and what a native's
//! result does (a value, the fail label, an exception with the BIF's frame
//! noted, a retry, or an apply).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::vm::code::kinds::FunKind;
use crate::vm::code::loader::{Callee, Dst, GONE, Loaded, NOFAIL, Src, Target};
use crate::vm::exec::flow::{Flow, fail_or};
use crate::vm::exec::proc::{BUDGET, Proc, Regs};
use crate::vm::exec::regs::{read, write};
use crate::vm::exec::run::Worker;
use crate::vm::exec::{Lock, Shared};
use crate::vm::native::{Ctx, HostOp, NativeFn, NativeResult};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::word::{Word, kind};

/// Whether the slice's reductions are spent, so that the call about to be
/// made waits for the process's next slice: then the first `live` x
/// registers (its arguments, and a fun's register) are what must be kept.
#[inline]
fn spent(proc: &mut Proc, live: usize) -> bool {
    if proc.reductions < BUDGET {
        return false;
    }
    proc.live_x = live;
    true
}

impl<L: Lock> Worker<'_, L> {
    /// `call` or (`tail`) `tail_call` of `arity` arguments to `t`, from
    /// instruction `pc` of `m`.
    #[inline]
    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(super) fn call(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        (m, pc): (&Arc<Loaded>, u32),
        arity: u32,
        t: Target,
        tail: bool,
    ) -> Result<Flow, Exception> {
        let n = arity as usize;
        if spent(proc, n) {
            return Ok(Flow::Yield);
        }
        proc.reductions += 1;
        let callee = match t {
            Target::Local(l) => Callee::Code(m.id, l),
            Target::Import(i) => match self.import(proc, xs, m, i) {
                Ok(c) => c,
                Err(e) => {
                    proc.raising.drop_current = tail;
                    return Err(e);
                }
            },
        };
        // Loops that never allocate a frame still make garbage.
        self.gc_check(proc, xs, n);
        let r = self.enter(proc, xs, (m.id, pc), callee, n, tail);
        if let (Err(_), Target::Import(i)) = (&r, t) {
            // A failing native leaves its argument registers as they were.
            let (mo, fu, _) = m.imports[i as usize];
            self.note_bif(proc, mo, fu, &xs[..n]);
            // A NIF runs as the code of its function: a tail call of it
            // has left the caller, which no frame shows (a BIF's does).
            if tail && matches!(proc.raising.bif_frame, Some((.., false))) {
                proc.raising.drop_current = true;
            }
        }
        r
    }

    /// `call_fun` or (`tail`) `tail_call_fun`.
    #[inline]
    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(super) fn call_fun(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        (m, pc): (&Arc<Loaded>, u32),
        kind: FunKind,
        arity: u32,
        fun: Src,
        tail: bool,
    ) -> Result<Flow, Exception> {
        let n = arity as usize;
        let Some(callee) = self.fun_call_callee(proc, xs, kind, n, fun)? else {
            return Ok(Flow::Yield);
        };
        self.enter(proc, xs, (m.id, pc), callee, n, tail)
    }

    /// The run loop's `call_fun` (`CallFun`, or `CallFunLast` with
    /// `last`) at instruction `pc` of `mid`, when it is the plain case: a
    /// local fun of code that is loaded here and not purged, of the right
    /// arity, with reductions left. Its free variables go after the
    /// arguments, the reduction is counted and the return address pushed
    /// (or the frame popped, for a tail call); gives the module and entry
    /// to go to. `Err(pc)` for anything else, which `call_fun` handles
    /// (errors, exports, catching up, yielding).
    // Out of line: in the loop it made the other calls' paths slower (and
    // `pc` comes back, so the loop need not keep it across the call).
    #[inline(never)]
    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(super) fn fast_call_fun(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        (mid, pc): (u32, u32),
        n: u32,
        fun: Src,
        tail: bool,
        last: bool,
    ) -> Result<(u32, u32), u32> {
        if proc.reductions >= BUDGET {
            return Err(pc);
        }
        let n = n as usize;
        let fun = read(proc, xs, fun);
        if !fun.is_boxed() || fun.ptr().area as usize > self.literals.len() {
            return Err(pc);
        }
        let v = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let p = fun.ptr();
        if v.at(p, 0).header_kind() != kind::FUN {
            return Err(pc);
        }
        let (Some(to), Some(idx)) = (v.at(p, 1).as_small(), v.at(p, 2).as_small()) else {
            return Err(pc);
        };
        let Some(m) = self.modules.get(to as usize) else {
            return Err(pc);
        };
        let Some(&(entry, arity, nfree, _)) = m.lambdas.get(idx as usize) else {
            return Err(pc);
        };
        if arity.wrapping_sub(nfree) as usize != n || m.state.load(Ordering::Relaxed) == GONE {
            return Err(pc);
        }
        for k in 0..nfree as usize {
            xs[n + k] = v.at(p, 4 + k);
        }
        proc.reductions += 1;
        if last {
            proc.pop_frame();
        } else if !tail {
            proc.st.push_ret(mid, pc + 1);
        }
        Ok((to as u32, entry))
    }

    /// `call_fun`, `deallocate`, `return` (fused): a tail call when it
    /// enters code.
    #[inline]
    pub(super) fn call_fun_last(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        (m, pc): (&Arc<Loaded>, u32),
        kind: FunKind,
        arity: u32,
        fun: Src,
    ) -> Result<Flow, Exception> {
        let n = arity as usize;
        // The fun is read before its frame goes: it may be in y.
        let Some(callee) = self.fun_call_callee(proc, xs, kind, n, fun)? else {
            return Ok(Flow::Yield);
        };
        if !matches!(callee, Callee::Code(..)) {
            // A native returns to the deallocate and return that follow
            // (and one that must wait finds its frame).
            return self.enter(proc, xs, (m.id, pc), callee, n, false);
        }
        proc.pop_frame();
        self.enter(proc, xs, (m.id, pc), callee, n, true)
    }

    /// What a `call_fun` of `n` arguments calls, the reduction counted;
    /// `None` when the slice is spent (the process yields first).
    #[inline]
    fn fun_call_callee(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        kind: FunKind,
        n: usize,
        fun: Src,
    ) -> Result<Option<Callee>, Exception> {
        let live = match (kind, fun) {
            // `apply`'s module and function follow its arguments, in x(n)
            // and x(n + 1): both are kept when the process yields here.
            (FunKind::Apply, _) => n + 2,
            (_, Src::X(r)) => n.max(r as usize + 1),
            _ => n,
        };
        if spent(proc, live) {
            return Ok(None);
        }
        proc.reductions += 1;
        let f = read(proc, xs, fun);
        self.call_fun_callee(proc, xs, kind, f, n).map(Some)
    }

    /// The `bif` instruction: import `import` (or the heap-only `native`
    /// linked to it) of `args`, into `d`.
    #[inline]
    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(super) fn bif(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        (m, pc): (&Arc<Loaded>, u32),
        native: Option<NativeFn>,
        (import, fail): (u32, u32),
        args: &[Src],
        d: Dst,
    ) -> Result<Flow, Exception> {
        let callee = match native {
            Some(f) => Callee::Native(f),
            None => match self.import(proc, xs, m, import) {
                Ok(c) => c,
                Err(e) => return fail_or(fail, e),
            },
        };
        let mut small = [Word::NIL; 16];
        let big: Vec<Word>;
        let vals: &[Word] = if args.len() <= small.len() {
            for (v, s) in small.iter_mut().zip(args.iter()) {
                *v = read(proc, xs, *s);
            }
            &small[..args.len()]
        } else {
            big = args.iter().map(|s| read(proc, xs, *s)).collect();
            &big
        };
        let r = match callee {
            Callee::Native(f) => self.run_native(proc, f, vals),
            Callee::Host(op) => self.host(proc, (m.id, pc), op, vals),
            Callee::Code(..) => return fail_or(fail, Exception::badarg()),
        };
        self.bif_flow(proc, xs, m, (import, fail), vals, r, d)
    }

    /// Where a `bif` instruction goes after its native returned `r`: on,
    /// with the value in `d`, or as [`Self::bif_result`] says.
    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(crate) fn bif_flow(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        m: &Loaded,
        (import, fail): (u32, u32),
        vals: &[Word],
        r: NativeResult,
        d: Dst,
    ) -> Result<Flow, Exception> {
        match self.bif_result(proc, m, (import, fail), vals, r) {
            Ok(v) => write(proc, xs, d, v),
            Err(flow) => return flow,
        }
        Ok(Flow::Next)
    }

    /// Calls a heap-only native for a `bif` instruction: its value, or
    /// where the instruction goes instead (see [`Self::bif_result`]).
    pub(crate) fn call_native(
        &mut self,
        proc: &mut Proc,
        m: &Loaded,
        f: NativeFn,
        import: u32,
        fail: u32,
        vals: &[Word],
    ) -> Result<Word, Result<Flow, Exception>> {
        let r = self.run_native(proc, f, vals);
        self.bif_result(proc, m, (import, fail), vals, r)
    }

    /// What a native's result does to a `bif` instruction: its value, or
    /// where the instruction goes instead: to run again (a host native
    /// that must wait), to its fail label, or an exception, with the BIF's
    /// frame noted for the stack trace. (A native cannot apply here.)
    fn bif_result(
        &mut self,
        proc: &mut Proc,
        m: &Loaded,
        (import, fail): (u32, u32),
        vals: &[Word],
        r: NativeResult,
    ) -> Result<Word, Result<Flow, Exception>> {
        let e = match r {
            NativeResult::Value(v) => return Ok(v),
            NativeResult::Retry => return Err(Ok(Flow::Retry)),
            NativeResult::Error(e) => e,
            NativeResult::Apply(..) => Exception::badarg(),
        };
        if fail != NOFAIL {
            return Err(Ok(Flow::Goto(fail)));
        }
        let (mo, fu, _) = m.imports[import as usize];
        self.note_bif(proc, mo, fu, vals);
        Err(Err(e))
    }

    /// Runs a heap-only native on `args`.
    #[inline]
    pub(super) fn run_native(&self, proc: &mut Proc, f: NativeFn, args: &[Word]) -> NativeResult {
        let mut ctx = Ctx {
            heap: &mut proc.heap,
            literals: &self.literals,
            atoms: &self.atoms,
            dict: &mut proc.dict,
            code: &self.modules,
            building: &mut proc.building,
            env: &self.env,
            pid: proc.pid,
            ets: &self.ets,
            backtrace_depth: &self.backtrace_depth,
            reductions: &mut proc.reductions,
            trap: &mut proc.trap,
            memory: &self.memory,
        };
        f(&mut ctx, args)
    }

    /// Has the runtime carry out host native `op` on `args` for `proc`,
    /// which is at instruction `pc` of module `mid` (saved first, for the
    /// natives that look: `process_info`).
    fn host(
        &mut self,
        proc: &mut Proc,
        (mid, pc): (u32, u32),
        op: HostOp,
        args: &[Word],
    ) -> NativeResult {
        (proc.mid, proc.pc) = (mid, pc);
        self.with_vm(|vm| vm.host(proc, op, args))
    }

    /// What import `i` of `m` resolves to (resolving it the first time).
    #[inline]
    pub(super) fn import(
        &mut self,
        proc: &mut Proc,
        xs: &Regs,
        m: &Arc<Loaded>,
        i: u32,
    ) -> Result<Callee, Exception> {
        if let Some(c) = m.import(i) {
            // Resolved by another scheduler, perhaps to a module it loaded
            // since this one last took the lock.
            if let Callee::Code(id, _) = c
                && id as usize >= self.modules.len()
            {
                self.catch_up();
            }
            return Ok(c);
        }
        self.resolve_import(proc, xs, m, i)
    }

    /// Resolves import `i` of `m` the first time (or again, after the code
    /// it reached was replaced), out of line: the call path stays small.
    #[cold]
    #[inline(never)]
    fn resolve_import(
        &mut self,
        proc: &mut Proc,
        xs: &Regs,
        m: &Arc<Loaded>,
        i: u32,
    ) -> Result<Callee, Exception> {
        let (mo, f, a) = m.imports[i as usize];
        let resolved = self.with_vm(|vm| {
            let c = vm.resolve(mo, f, a)?;
            m.set_import(i, c);
            Some(c)
        });
        match resolved {
            Some(c) => Ok(c),
            None => Err(self.undef(proc, mo, f, &xs[..a as usize])),
        }
    }

    fn fun_callee(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        fun: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        // A fun made by a module another scheduler loaded since this one
        // last took the lock (it came in a message).
        if fun.is_boxed() {
            let view = View {
                heap: &proc.heap,
                literals: &self.literals,
            };
            if fun.ptr().area as usize > self.literals.len()
                || view.header(fun).header_kind() == kind::FUN
                    && view.at(fun.ptr(), 1).as_small().unwrap_or(0) as usize >= self.modules.len()
            {
                self.catch_up();
            }
        }
        match fun_callee(&self.modules, &self.literals, &mut proc.heap, xs, fun, n)? {
            Ok(c) => Ok(c),
            // (`a` is `n`: `fun_callee` checked.)
            Err((mo, f, a)) => self.with_vm(|vm| vm.export_callee(proc, mo, f, &xs[..a as usize])),
        }
    }

    /// What `call_fun` calls: `fun` with `n` arguments, or (`Apply`) the
    /// function named by the two registers after the arguments.
    fn call_fun_callee(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        kind: FunKind,
        fun: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        match kind {
            FunKind::Fun => self.fun_callee(proc, xs, fun, n),
            FunKind::Apply => {
                let (module, function) = (xs[n], xs[n + 1]);
                self.mfa_callee(proc, xs, module, function, n)
            }
        }
    }

    /// What calling `module:function` with `n` arguments enters (`badarg`
    /// unless both are atoms, `undef` if there is no such function).
    fn mfa_callee(
        &mut self,
        proc: &mut Proc,
        xs: &Regs,
        module: Word,
        function: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        let (Some(mo), Some(fu)) = (module.as_atom(), function.as_atom()) else {
            return Err(Exception::badarg());
        };
        self.with_vm(|vm| vm.export_callee(proc, mo, fu, &xs[..n]))
    }

    /// Enters `callee` from the call instruction at `(mid, pc)`.
    #[inline]
    fn enter(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        (mid, pc): (u32, u32),
        callee: Callee,
        arity: usize,
        tail: bool,
    ) -> Result<Flow, Exception> {
        let r = match callee {
            Callee::Code(to_mod, entry) => {
                if !tail {
                    proc.st.push_ret(mid, pc + 1);
                }
                return Ok(Flow::Enter(to_mod, entry));
            }
            Callee::Host(HostOp::Hibernate) => return self.hibernate(proc, xs, (mid, pc)),
            Callee::Host(op) => self.host(proc, (mid, pc), op, &xs[..arity]),
            Callee::Native(f) => self.run_native(proc, f, &xs[..arity]),
        };
        self.native_result(proc, xs, (mid, pc), r, tail)
    }

    /// `erlang:hibernate(M, F, A)` (its arguments in x0..x2), at
    /// instruction `pc` of `mid`: the stack goes (so no handler of the
    /// caller's remains, and `M:F(A)` returning ends the process), then
    /// the process waits for a message, its three registers kept, and runs
    /// this call again when one comes; with one there, it calls `M:F(A)`.
    #[cold]
    #[inline(never)]
    fn hibernate(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        at: (u32, u32),
    ) -> Result<Flow, Exception> {
        let (m, f, a) = (xs[0], xs[1], xs[2]);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let args = match (m.as_atom(), f.as_atom(), list_items(&view, a)) {
            (Some(_), Some(_), Some(args)) => args,
            _ => return Err(Exception::badarg()),
        };
        proc.st.clear();
        // Compacted at its next check, as erl shrinks a hibernating heap.
        proc.request_gc();
        if proc.rx.mailbox.is_empty() {
            proc.live_x = 3;
            return Ok(Flow::Wait(at.1));
        }
        self.native_result(proc, xs, at, NativeResult::Apply(m, f, args), true)
    }

    /// What a native's result does to a call: its value in x0, then on (or
    /// back, for a tail call); an exception; a retry; or the call it
    /// applies made instead.
    fn native_result(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        at: (u32, u32),
        r: NativeResult,
        tail: bool,
    ) -> Result<Flow, Exception> {
        match r {
            NativeResult::Value(v) => {
                xs[0] = v;
                Ok(if tail { Flow::Return } else { Flow::Next })
            }
            NativeResult::Error(e) => Err(e),
            NativeResult::Retry => Ok(Flow::Retry),
            NativeResult::Apply(fun, fu, args) => {
                // The call is made again if what it applies must wait:
                // with the arguments it was given.
                let given: [Word; 3] = [xs[0], xs[1], xs[2]];
                let n = args.len();
                xs[..n].copy_from_slice(&args);
                let callee = if fu == Word::NONE {
                    // apply(Fun, Args).
                    self.fun_callee(proc, xs, fun, n)
                } else {
                    self.mfa_callee(proc, xs, fun, fu, n)
                };
                let flow = self.enter(proc, xs, at, callee?, n, tail);
                if let Ok(Flow::Retry) = flow {
                    xs[..3].copy_from_slice(&given);
                }
                flow
            }
        }
    }
}
/// What calling `fun` with `n` arguments enters (its free variables put in
/// the registers after the arguments): the code of a local fun, or the
/// `{M, F, A}` an external fun names, for the caller to resolve.
pub(crate) fn fun_callee(
    modules: &[Arc<Loaded>],
    literals: &[Arc<Area>],
    heap: &mut Area,
    xs: &mut impl ArgRegs,
    fun: Word,
    n: usize,
) -> Result<Result<Callee, (u32, u32, u32)>, Exception> {
    let badfun =
        |heap: &mut Area| Exception::error(heap.tuple(0, &[Word::atom(atom::BADFUN), fun]));
    if !fun.is_boxed() {
        return Err(badfun(heap));
    }
    let view = View { heap, literals };
    let p = fun.ptr();
    let h = view.at(p, 0);
    match h.header_kind() {
        kind::FUN => {
            let mid = view.at(p, 1).as_small().unwrap_or(0) as usize;
            let idx = view.at(p, 2).as_small().unwrap_or(0) as usize;
            let (entry, arity, nfree, _) = modules[mid].lambdas[idx];
            if modules[mid].state.load(Ordering::Relaxed) == GONE {
                // Its code was purged: erl's error handler finds no such
                // function (a lambda is never exported), and so here.
                let m = &modules[mid];
                let f = m.function_at(entry).map_or(atom::UNDEFINED, |(f, _)| f);
                return Ok(Err((m.name, f, n as u32)));
            }
            if (arity - nfree) as usize != n {
                let args = list_of(heap, xs.args(n));
                let inner = heap.tuple(0, &[fun, args]);
                return Err(Exception::error(
                    heap.tuple(0, &[Word::atom(atom::BADARITY), inner]),
                ));
            }
            xs.room(n + nfree as usize);
            for k in 0..nfree as usize {
                xs.put(n + k, view.at(p, 4 + k));
            }
            Ok(Ok(Callee::Code(mid as u32, entry)))
        }
        kind::EXPORT => {
            let (mo, f, a) = (
                view.at(p, 1),
                view.at(p, 2),
                view.at(p, 3).as_small().unwrap_or(0),
            );
            let (mo, f) = (mo.as_atom().unwrap_or(0), f.as_atom().unwrap_or(0));
            if a as usize != n {
                let args = list_of(heap, xs.args(n));
                let inner = heap.tuple(0, &[fun, args]);
                return Err(Exception::error(
                    heap.tuple(0, &[Word::atom(atom::BADARITY), inner]),
                ));
            }
            Ok(Err((mo, f, a as u32)))
        }
        _ => Err(badfun(heap)),
    }
}

/// Where a call's arguments and a fun's free variables are: a running
/// process's register file, or the live registers of one not yet running.
pub(crate) trait ArgRegs {
    /// The first `n` registers.
    fn args(&self, n: usize) -> &[Word];
    /// Makes room for `n` registers.
    fn room(&mut self, n: usize);
    /// Sets register `i` (below the room made).
    fn put(&mut self, i: usize, w: Word);
}

impl ArgRegs for Regs {
    fn args(&self, n: usize) -> &[Word] {
        &self[..n]
    }
    fn room(&mut self, _n: usize) {}
    fn put(&mut self, i: usize, w: Word) {
        self[i] = w;
    }
}

/// A process not yet running holds only its live registers.
impl ArgRegs for Vec<Word> {
    fn args(&self, n: usize) -> &[Word] {
        &self[..n]
    }
    fn room(&mut self, n: usize) {
        if self.len() < n {
            self.resize(n, Word::NIL);
        }
    }
    fn put(&mut self, i: usize, w: Word) {
        self[i] = w;
    }
}
