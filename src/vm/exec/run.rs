//! The run loop: one scheduler's [`Worker`] executes a process's code for
//! one time slice.

use std::sync::Arc;

use crate::vm::code::kinds::{FailKind, FunKind, MapKind, MarkKind, SelectKind, SpawnKind};
use crate::vm::code::loader::{Callee, Dst, Ins, Loaded, NOFAIL, Src, Target};
use crate::vm::exec::proc::{
    BUDGET, FILE, Frame, Handler, Outcome, Proc, Regs, Ret, handler_marker,
};
use crate::vm::exec::trace::stack_trace;
use crate::vm::exec::{Lock, Shared};
use crate::vm::native::{Ctx, Env, NativeFn, NativeResult};
use crate::vm::natives::registry;
use crate::vm::ops::arith::{ArithOp, arith, float_op};
use crate::vm::ops::test::{TestOp, test};
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::compare;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View, collect_into};
use crate::vm::term::list::list_of;
use crate::vm::term::word::{Word, kind};

/// One scheduler's view of the VM while it runs a process's slice: the
/// code (modules and literal areas only ever get added, so a scheduler
/// keeps its own list and catches up when it takes the lock) and the
/// register file. What processes share is the runtime's ([`Shared`]), behind the lock
/// the scheduler takes for sends, spawns, links and the like.
pub(crate) struct Worker<'w, L: Lock> {
    pub(crate) sched: &'w L,
    /// Which scheduler this is (its run queue).
    pub(crate) id: usize,
    pub(crate) atoms: Arc<Atoms>,
    pub(crate) modules: Vec<Arc<Loaded>>,
    pub(crate) literals: Vec<Arc<Area>>,
    /// The VM's environment variables, for natives.
    pub(crate) env: Arc<Env>,
    /// `LAM_DEBUG_PROCS` was set when the VM started.
    pub(crate) debug_procs: bool,
    /// The register file: a running process's `x` registers live here,
    /// lent to the run loop for its slice; an idle process keeps only the
    /// few that are live (`Proc::x`), so it costs a few hundred bytes, not
    /// 16 KB. Taken out while a slice runs.
    pub(crate) xfile: Option<Box<Regs>>,
}

impl<'w, L: Lock> Worker<'w, L> {
    pub(crate) fn new(sched: &'w L, id: usize, vm: &L::Shared) -> Worker<'w, L> {
        let (modules, literals) = vm.code();
        Worker {
            sched,
            id,
            atoms: vm.atoms().clone(),
            modules: modules.to_vec(),
            literals: literals.to_vec(),
            env: vm.env().clone(),
            debug_procs: vm.debug().procs,
            xfile: Some(Regs::boxed()),
        }
    }

    /// Catches up with modules loaded since this scheduler last looked.
    pub(crate) fn sync(&mut self, vm: &L::Shared) {
        let (modules, literals) = vm.code();
        if self.modules.len() != modules.len() {
            self.modules
                .extend_from_slice(&modules[self.modules.len()..]);
            self.literals
                .extend_from_slice(&literals[self.literals.len()..]);
        }
    }

    /// Runs `f` on the VM, under its lock (out of line: the run loop that
    /// calls it is faster without its code).
    #[inline(never)]
    pub(crate) fn with_vm<R>(&mut self, f: impl FnOnce(&mut L::Shared) -> R) -> R {
        let sched = self.sched;
        let mut vm = sched.lock(self.id);
        let r = f(&mut vm);
        self.sync(&vm);
        r
    }

    pub(crate) fn resolve(&mut self, module: u32, function: u32, arity: u32) -> Option<Callee> {
        self.with_vm(|vm| vm.resolve(module, function, arity))
    }

    pub(crate) fn undef(
        &mut self,
        proc: &mut Proc,
        module: u32,
        function: u32,
        args: &[Word],
    ) -> Exception {
        self.with_vm(|vm| vm.undef(proc, module, function, args))
    }

    pub(crate) fn trace(&self, proc: &mut Proc, module: u32, pc: u32) -> Word {
        stack_trace(&self.atoms, &self.modules, proc, module, pc)
    }

    pub(crate) fn send(&mut self, from: &mut Proc, to: Word, msg: Word) -> Result<(), Exception> {
        self.with_vm(|vm| vm.send(from, to, msg))
    }

    pub(crate) fn spawn_call(
        &mut self,
        proc: &mut Proc,
        kind: SpawnKind,
        args: &[Word],
    ) -> Result<Word, Exception> {
        self.with_vm(|vm| vm.spawn(proc, kind, args))
    }

    pub(crate) fn native(
        &mut self,
        proc: &mut Proc,
        xs: &Regs,
        f: NativeFn,
        arity: usize,
    ) -> NativeResult {
        let args = &xs[..arity];
        let mut ctx = Ctx {
            heap: &mut proc.heap,
            literals: &self.literals,
            atoms: &self.atoms,
            dict: &mut proc.dict,
            code: &self.modules,
            building: &mut proc.building,
            env: &self.env,
        };
        f(&mut ctx, args)
    }

    /// Records `m:f(args)` as the failing BIF of the exception being raised,
    /// unless it is one of the BIFs whose job is to raise.
    pub(crate) fn note_bif(&self, proc: &mut Proc, m: u32, f: u32, args: &[Word]) {
        let name = self.atoms.name(f);
        if m == atom::ERLANG && &*name == "error" && args.len() >= 2 {
            // error/2,3: the arguments given replace the caller's arity.
            proc.clause_args = Some(args[1]);
            return;
        }
        // Raising is what these are for: no frame of their own (exit/2,
        // which signals another process, fails like any BIF).
        let module = self.atoms.name(m);
        let raises = registry()
            .get(&module, &name, args.len() as u32)
            .is_some_and(|n| n.is_raising());
        if raises {
            return;
        }
        let args = list_of(&mut proc.heap, args);
        proc.bif_frame = Some((m, f, args, true));
    }

    /// Runs `proc` from where it stopped until it yields, waits or ends,
    /// with the register file swapped in for the slice.
    pub(crate) fn run_slice(&mut self, proc: &mut Proc) -> Outcome {
        // (None only if an earlier slice panicked.)
        let mut xs = self.xfile.take().unwrap_or_else(Regs::boxed);
        xs[..proc.x.len()].copy_from_slice(&proc.x);
        proc.live_x = 0;
        let outcome = self.run_slice_in(proc, &mut xs);
        // Only a yielding process has live registers: its call's arguments.
        let live = match outcome {
            Outcome::Yield => proc.live_x,
            _ => 0,
        };
        proc.x.clear();
        proc.x.extend_from_slice(&xs[..live]);
        self.xfile = Some(xs);
        outcome
    }

    /// Runs `proc`'s slice with its registers in `xs`.
    pub(crate) fn run_slice_in(&mut self, proc: &mut Proc, xs: &mut Regs) -> Outcome {
        let (mut mid, mut pc) = (proc.mid, proc.pc);
        proc.total_reductions += u64::from(proc.reductions);
        proc.reductions = 0;
        if let Some(e) = proc.pending_failure.take() {
            return Outcome::Failed(e);
        }
        // Exit signals that arrived while it was not running.
        if let Some(end) = proc.exit_signal() {
            return end;
        }
        // One pass for each stretch of one module's code: control passing
        // to another module (`switch!`) starts the next pass.
        'module: loop {
            let m = self.modules[mid as usize].clone();
            // The code being run, borrowed apart from `m` so that a dispatch
            // does not first load `m`'s vector: it is the start of the chain of
            // loads that each jump through the dispatch table waits on.
            let code: &[Ins] = &m.code;
            // Continues at `pc` in module `$to` (set `pc` first).
            macro_rules! switch {
                ($to:expr) => {{
                    mid = $to;
                    continue 'module;
                }};
            }
            loop {
                // The hottest instructions run here, without the round trip
                // through `step` and its `Flow`; everything else goes to `step`.
                macro_rules! rd {
                    ($s:expr) => {
                        match $s {
                            Src::X(r) => xs[r as usize],
                            Src::Y(r) => proc.stack[proc.y_base + r as usize],
                            Src::C(w) => w,
                        }
                    };
                }
                macro_rules! wr {
                    ($d:expr, $v:expr) => {{
                        let v = $v;
                        match $d {
                            Dst::X(r) => xs[r as usize] = v,
                            Dst::Y(r) => {
                                let b = proc.y_base;
                                proc.stack[b + r as usize] = v
                            }
                            Dst::Discard => {}
                        }
                    }};
                }
                // Whether the heap needs no collection: the negation of `step`'s
                // test, which counts off-heap binaries too (a loop making large
                // binaries has a small heap).
                macro_rules! heap_ok {
                    () => {
                        proc.heap.len() <= proc.gc_limit
                            && proc.heap.offheap_bytes <= proc.gc_limit * 8
                    };
                }
                // Whether a call may go ahead here; else the call instruction
                // goes to `step`, which yields or collects first.
                macro_rules! can_call {
                    () => {
                        proc.reductions < BUDGET && heap_ok!()
                    };
                }
                // The head and tail of the list cell `l` into `h` and `t`.
                macro_rules! split {
                    ($l:expr, $h:expr, $t:expr) => {{
                        let (hv, tv) = View {
                            heap: &proc.heap,
                            literals: &self.literals,
                        }
                        .cons($l);
                        wr!($h, hv);
                        wr!($t, tv);
                    }};
                }
                // A local call (or tail call) from the call instruction at `pc`.
                macro_rules! call_local {
                    ($tail:expr, $to:expr) => {{
                        proc.reductions += 1;
                        if !$tail {
                            proc.calls.push(Ret {
                                module: mid,
                                pc: pc + 1,
                            });
                        }
                        pc = $to;
                    }};
                }
                match &code[pc as usize] {
                    Ins::Move(src, dst) => {
                        wr!(*dst, rd!(*src));
                        pc += 1;
                        continue;
                    }
                    Ins::Move2(s1, d1, s2, d2) => {
                        wr!(*d1, rd!(*s1));
                        wr!(*d2, rd!(*s2));
                        pc += 2;
                        continue;
                    }
                    // The call itself is the next instruction: when the process
                    // must yield or collect first, that instruction does it.
                    Ins::MoveCall { tail, to, src, dst } => {
                        wr!(*dst, rd!(*src));
                        pc += 1;
                        if can_call!() {
                            call_local!(*tail, *to);
                        }
                        continue;
                    }
                    Ins::Move2Call {
                        tail,
                        to,
                        moves: [(s1, d1), (s2, d2)],
                    } => {
                        wr!(*d1, rd!(*s1));
                        wr!(*d2, rd!(*s2));
                        pc += 2;
                        if can_call!() {
                            call_local!(*tail, *to);
                        }
                        continue;
                    }
                    Ins::DeallocReturn if !proc.calls.is_empty() => {
                        proc.pop_frame();
                        let r = proc.calls.pop().expect("checked");
                        pc = r.pc;
                        if r.module != mid {
                            switch!(r.module);
                        }
                        continue;
                    }
                    Ins::Jump(l) => {
                        pc = *l;
                        continue;
                    }
                    // A native's success and its jump to a fail label are done
                    // here; an exception goes to `step`, which calls the native
                    // again to raise it (a failing native changes nothing).
                    Ins::Native(f, _, fail, args, d) if args.len() <= 16 => {
                        let mut vals = [Word::NIL; 16];
                        for (v, s) in vals.iter_mut().zip(args.iter()) {
                            *v = rd!(*s);
                        }
                        let mut ctx = Ctx {
                            heap: &mut proc.heap,
                            literals: &self.literals,
                            atoms: &self.atoms,
                            dict: &mut proc.dict,
                            code: &self.modules,
                            building: &mut proc.building,
                            env: &self.env,
                        };
                        match f(&mut ctx, &vals[..args.len()]) {
                            NativeResult::Value(v) => {
                                wr!(*d, v);
                                pc += 1;
                                continue;
                            }
                            NativeResult::Error(_) if *fail != NOFAIL => {
                                pc = *fail;
                                continue;
                            }
                            _ => {}
                        }
                    }
                    Ins::BsMatch(op, _, fail, s, d, _) => {
                        match crate::vm::ops::bs::fast(*op, &mut proc.heap, &self.literals, rd!(*s))
                        {
                            Some(Ok(v)) => {
                                wr!(*d, v);
                                pc += 1;
                                continue;
                            }
                            Some(Err(())) if *fail != NOFAIL => {
                                pc = *fail;
                                continue;
                            }
                            _ => {}
                        }
                    }
                    Ins::Cons(h, t, d) => {
                        let c = proc.heap.cons(0, rd!(*h), rd!(*t));
                        wr!(*d, c);
                        pc += 1;
                        continue;
                    }
                    Ins::SplitList(s, h, t) if rd!(*s).is_list() => {
                        split!(rd!(*s), *h, *t);
                        pc += 1;
                        continue;
                    }
                    Ins::Swap(a, b) => {
                        let (va, vb) = (rd!(dst_src(*a)), rd!(dst_src(*b)));
                        wr!(*a, vb);
                        wr!(*b, va);
                        pc += 1;
                        continue;
                    }
                    Ins::Trim(n) => {
                        proc.frames.last_mut().expect("a frame").base += *n as usize;
                        proc.y_base += *n as usize;
                        pc += 1;
                        continue;
                    }
                    Ins::FArith(k, _, a, b, d) => {
                        let (x, y) = (
                            f64::from_bits(xs[*a as usize].0),
                            f64::from_bits(xs[*b as usize].0),
                        );
                        if let Some(r) = float_op(*k, x, y) {
                            xs[*d as usize] = Word(r.to_bits());
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::FLoad(Src::X(s), d)
                        if xs[*s as usize].is_boxed()
                            && xs[*s as usize].ptr().area == 0
                            && Word(proc.heap.words[xs[*s as usize].ptr().offset])
                                == Word::header(kind::FLOAT, 1) =>
                    {
                        let p = xs[*s as usize].ptr();
                        xs[*d as usize] = Word(proc.heap.words[p.offset + 1]);
                        pc += 1;
                        continue;
                    }
                    Ins::FStore(s, Dst::X(d)) => {
                        let f = f64::from_bits(xs[*s as usize].0);
                        xs[*d as usize] = proc.heap.float(0, f);
                        pc += 1;
                        continue;
                    }
                    Ins::Add(_, a, b, dst) => {
                        if let (Some(x), Some(y)) = (rd!(*a).as_small(), rd!(*b).as_small())
                            && let Some(w) = Word::small(x + y)
                        {
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::Sub(_, a, b, dst) => {
                        if let (Some(x), Some(y)) = (rd!(*a).as_small(), rd!(*b).as_small())
                            && let Some(w) = Word::small(x - y)
                        {
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::Arith(k @ (ArithOp::Mul | ArithOp::IDiv | ArithOp::Rem), _, a, b, dst) => {
                        if let (Some(x), Some(y)) = (rd!(*a).as_small(), rd!(*b).as_small()) {
                            let r = match *k {
                                ArithOp::Mul => x.checked_mul(y),
                                ArithOp::IDiv if y != 0 => Some(x / y),
                                ArithOp::Rem if y != 0 => Some(x % y),
                                _ => None,
                            };
                            if let Some(w) = r.and_then(Word::small) {
                                wr!(*dst, w);
                                pc += 1;
                                continue;
                            }
                        }
                    }
                    Ins::Lt(fail, a, b) => {
                        if let (Some(p), Some(q)) = (rd!(*a).as_small(), rd!(*b).as_small()) {
                            pc = if p < q { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Ge(fail, a, b) => {
                        if let (Some(p), Some(q)) = (rd!(*a).as_small(), rd!(*b).as_small()) {
                            pc = if p >= q { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    // Small integers, atoms, nil and pids are equal exactly when
                    // their words are.
                    Ins::EqExact(fail, a, b) => {
                        let (x, y) = (rd!(*a), rd!(*b));
                        if x.is_immediate() && y.is_immediate() {
                            pc = if x == y { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::NeExact(fail, a, b) => {
                        let (x, y) = (rd!(*a), rd!(*b));
                        if x.is_immediate() && y.is_immediate() {
                            pc = if x != y { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::ListSplit(fail, s, h, t) => {
                        let l = rd!(*s);
                        if !l.is_list() {
                            pc = *fail;
                            continue;
                        }
                        split!(l, *h, *t);
                        pc += 2;
                        continue;
                    }
                    Ins::Test1(k, fail, a) => {
                        let x = rd!(*a);
                        let pass = match *k {
                            TestOp::IsNonemptyList => Some(x.is_list()),
                            TestOp::IsNil => Some(x == Word::NIL),
                            TestOp::IsList => Some(x.is_list() || x == Word::NIL),
                            TestOp::IsAtom => Some(x.as_atom().is_some()),
                            _ => None,
                        };
                        if let Some(pass) = pass {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Allocate(n, _) if heap_ok!() => {
                        let start = proc.stack.len();
                        proc.stack.resize(start + *n as usize, Word::NIL);
                        proc.frames.push(Frame { start, base: start });
                        proc.y_base = start;
                        pc += 1;
                        continue;
                    }
                    Ins::Deallocate => {
                        proc.pop_frame();
                        pc += 1;
                        continue;
                    }
                    Ins::Call(_, Target::Local(l)) if can_call!() => {
                        call_local!(false, *l);
                        continue;
                    }
                    Ins::TailCall(_, Target::Local(l)) if can_call!() => {
                        call_local!(true, *l);
                        continue;
                    }
                    Ins::Return if !proc.calls.is_empty() => {
                        let r = proc.calls.pop().expect("checked");
                        pc = r.pc;
                        if r.module != mid {
                            switch!(r.module);
                        }
                        continue;
                    }
                    _ => {}
                }
                let step = self.step(proc, xs, &m, pc);
                // An exit signal the process sent itself, the only kind that can
                // arrive while it runs (only `step` sends any), takes effect now.
                if let Some(end) = proc.exit_signal() {
                    return end;
                }
                match step {
                    Ok(Flow::Next) => pc += 1,
                    Ok(Flow::Goto(to)) => pc = to,
                    Ok(Flow::Enter(to_mod, to)) => {
                        pc = to;
                        if to_mod != mid {
                            switch!(to_mod);
                        }
                    }
                    Ok(Flow::Return) => match proc.calls.pop() {
                        Some(r) => {
                            pc = r.pc;
                            if r.module != mid {
                                switch!(r.module);
                            }
                        }
                        None => return Outcome::Done(xs[0]),
                    },
                    Ok(Flow::Yield) => {
                        (proc.mid, proc.pc) = (mid, pc);
                        return Outcome::Yield;
                    }
                    Ok(Flow::Retry) => {
                        // Any register may be live at a BIF instruction.
                        proc.live_x = crate::lam::isa::X_REGS as usize;
                        (proc.mid, proc.pc) = (mid, pc);
                        return Outcome::Yield;
                    }
                    Ok(Flow::Wait(wake)) => {
                        (proc.mid, proc.pc, proc.wake_pc) = (mid, pc, wake);
                        return Outcome::Wait;
                    }
                    Err(mut e) => {
                        if e.trace == Word::NONE {
                            e.trace = self.trace(proc, mid, pc);
                        }
                        if self.debug_procs {
                            let v = View {
                                heap: &proc.heap,
                                literals: &self.literals,
                            };
                            eprintln!(
                                "lam: process <0.{}.0> raises {}:{} {}",
                                proc.pid,
                                self.atoms.name(e.class),
                                crate::erlfmt::w(&v.to_term(e.reason, &self.atoms)),
                                crate::erlfmt::w(&v.to_term(e.trace, &self.atoms)),
                            );
                        }
                        let Some(h) = proc.handlers.pop() else {
                            return Outcome::Failed(e);
                        };
                        proc.calls.truncate(h.calls);
                        proc.frames.truncate(h.frames);
                        proc.y_base = proc.frames.last().map_or(0, |f| f.base);
                        proc.stack.truncate(h.stack);
                        // The slot no longer marks a live handler: try_end/catch_end
                        // at the landing pad must not remove another one.
                        if let Some(slot) = proc
                            .stack
                            .iter_mut()
                            .rev()
                            .find(|w| **w == handler_marker(proc.handlers.len()))
                        {
                            *slot = Word::NIL;
                        }
                        let raw = proc
                            .heap
                            .tuple(0, &[Word::atom(atom::LAM), Word::atom(e.class), e.trace]);
                        xs[0] = Word::NONE;
                        xs[1] = Word::atom(e.class);
                        xs[2] = e.reason;
                        xs[3] = raw;
                        pc = h.label;
                        if h.module != mid {
                            switch!(h.module);
                        }
                    }
                }
            }
        }
    }

    /// Calls a heap-only native for a `bif` instruction: its value, or
    /// where the instruction goes instead (its fail label, or an exception,
    /// with the BIF's frame noted for the stack trace).
    pub(crate) fn call_native(
        &mut self,
        proc: &mut Proc,
        m: &Loaded,
        f: NativeFn,
        import: u32,
        fail: u32,
        vals: &[Word],
    ) -> Result<Word, Result<Flow, Exception>> {
        let mut ctx = Ctx {
            heap: &mut proc.heap,
            literals: &self.literals,
            atoms: &self.atoms,
            dict: &mut proc.dict,
            code: &self.modules,
            building: &mut proc.building,
            env: &self.env,
        };
        let e = match f(&mut ctx, vals) {
            NativeResult::Value(v) => return Ok(v),
            NativeResult::Error(e) => e,
            NativeResult::Apply(..) | NativeResult::Retry => {
                Exception::error(Word::atom(atom::BADARG))
            }
        };
        if fail != NOFAIL {
            return Err(Ok(Flow::Goto(fail)));
        }
        let (mo, fu, _) = m.imports[import as usize];
        self.note_bif(proc, mo, fu, vals);
        Err(Err(e))
    }

    // Out of line: the hottest instructions run in the loop itself, and
    // inlining the rest made the loop one huge function whose hot state
    // was kept on the stack (fib ran 10% slower, the float loop 17%).
    #[inline(never)]
    pub(crate) fn step(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        m: &Arc<Loaded>,
        pc: u32,
    ) -> Result<Flow, Exception> {
        fn read(proc: &Proc, xs: &Regs, s: Src) -> Word {
            match s {
                Src::X(r) => xs[r as usize],
                Src::Y(r) => proc.stack[proc.y_base + r as usize],
                Src::C(w) => w,
            }
        }
        fn write(proc: &mut Proc, xs: &mut Regs, d: Dst, w: Word) {
            match d {
                Dst::X(r) => xs[r as usize] = w,
                Dst::Y(r) => {
                    let base = proc.y_base;
                    proc.stack[base + r as usize] = w;
                }
                Dst::Discard => {}
            }
        }
        let badarg = || Exception::error(Word::atom(atom::BADARG));
        let fail_or = |label: u32, e: Exception| {
            if label == NOFAIL {
                Err(e)
            } else {
                Ok(Flow::Goto(label))
            }
        };
        match &m.code[pc as usize] {
            Ins::Move(s, d) => write(proc, xs, *d, read(proc, xs, *s)),
            Ins::Swap(a, b) => {
                let (va, vb) = (read(proc, xs, dst_src(*a)), read(proc, xs, dst_src(*b)));
                write(proc, xs, *a, vb);
                write(proc, xs, *b, va);
            }
            Ins::Allocate(n, live) => {
                if proc.heap.len() > proc.gc_limit || proc.heap.offheap_bytes > proc.gc_limit * 8 {
                    self.gc(proc, xs, *live as usize);
                }
                let start = proc.stack.len();
                proc.stack.resize(start + *n as usize, Word::NIL);
                proc.frames.push(Frame { start, base: start });
                proc.y_base = start;
            }
            Ins::Deallocate => {
                proc.pop_frame();
            }
            Ins::Trim(n) => {
                proc.frames.last_mut().expect("a frame").base += *n as usize;
                proc.y_base += *n as usize;
            }
            Ins::Jump(l) => return Ok(Flow::Goto(*l)),
            Ins::Test(k, fail, args) => {
                // Tests take at most three arguments: no allocation here.
                let mut vals = [Word::NIL; 3];
                for (v, s) in vals.iter_mut().zip(args.iter()) {
                    *v = read(proc, xs, *s);
                }
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                if !test(&view, &self.atoms, *k, &vals[..args.len()]) {
                    return Ok(Flow::Goto(*fail));
                }
            }
            // The run loop does the split too.
            Ins::Test1(TestOp::IsNonemptyList, fail, a) | Ins::ListSplit(fail, a, ..)
                if !read(proc, xs, *a).is_list() =>
            {
                return Ok(Flow::Goto(*fail));
            }
            Ins::Test1(TestOp::IsNonemptyList, ..) | Ins::ListSplit(..) => {}
            Ins::Test1(k, fail, a) => {
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                if !test(&view, &self.atoms, *k, &[read(proc, xs, *a)]) {
                    return Ok(Flow::Goto(*fail));
                }
            }
            Ins::Test2(_, fail, a, b)
            | Ins::Lt(fail, a, b)
            | Ins::Ge(fail, a, b)
            | Ins::EqExact(fail, a, b)
            | Ins::NeExact(fail, a, b) => {
                let k = match &m.code[pc as usize] {
                    Ins::Test2(k, ..) => *k,
                    Ins::Lt(..) => TestOp::Lt,
                    Ins::Ge(..) => TestOp::Ge,
                    Ins::EqExact(..) => TestOp::EqExact,
                    _ => TestOp::NeExact,
                };
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                if !test(
                    &view,
                    &self.atoms,
                    k,
                    &[read(proc, xs, *a), read(proc, xs, *b)],
                ) {
                    return Ok(Flow::Goto(*fail));
                }
            }
            Ins::Select {
                kind,
                src,
                fail,
                table,
            } => {
                let v = read(proc, xs, *src);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let key = match kind {
                    SelectKind::TupleArity => match view.tuple(v) {
                        Some(t) => Word::small(t.len() as i64).expect("arity"),
                        None => return Ok(Flow::Goto(*fail)),
                    },
                    SelectKind::Value => v,
                };
                let hit = table
                    .iter()
                    .find(|(w, _)| compare::exact_eq(&view, &self.atoms, *w, key));
                return Ok(Flow::Goto(hit.map_or(*fail, |(_, l)| *l)));
            }
            Ins::Call(..) | Ins::TailCall(..) | Ins::CallFun { .. } | Ins::CallFunLast { .. }
                if proc.reductions >= BUDGET =>
            {
                // The call runs when the process is next scheduled: its
                // arguments (and the fun) are what must be kept.
                proc.live_x = match &m.code[pc as usize] {
                    Ins::CallFun {
                        arity,
                        fun: Src::X(r),
                        ..
                    }
                    | Ins::CallFunLast {
                        arity,
                        fun: Src::X(r),
                        ..
                    } => (*arity as usize).max(*r as usize + 1),
                    Ins::CallFun { arity, .. } | Ins::CallFunLast { arity, .. } => *arity as usize,
                    Ins::Call(arity, _) | Ins::TailCall(arity, _) => *arity as usize,
                    _ => 0,
                };
                return Ok(Flow::Yield);
            }
            Ins::Call(arity, t) | Ins::TailCall(arity, t) => {
                proc.reductions += 1;
                let tail = matches!(&m.code[pc as usize], Ins::TailCall(..));
                let callee = match *t {
                    Target::Local(l) => Callee::Code(m.id, l),
                    Target::Import(i) => match self.import(proc, xs, m, i) {
                        Ok(c) => c,
                        Err(e) => {
                            proc.drop_current = tail;
                            return Err(e);
                        }
                    },
                };
                let n = *arity as usize;
                // Loops that never allocate a frame still make garbage.
                if proc.heap.len() > proc.gc_limit || proc.heap.offheap_bytes > proc.gc_limit * 8 {
                    self.gc(proc, xs, n);
                }
                if let Callee::Code(to_mod, entry) = callee {
                    // The common case, kept short.
                    if !tail {
                        proc.calls.push(Ret {
                            module: m.id,
                            pc: pc + 1,
                        });
                    }
                    return Ok(Flow::Enter(to_mod, entry));
                }
                let r = self.enter(proc, xs, (m.id, pc), callee, n, tail);
                if let (Err(_), Target::Import(i)) = (&r, *t) {
                    // A failing native leaves its argument registers as they were.
                    let (mo, fu, _) = m.imports[i as usize];
                    let args = xs[..n].to_vec();
                    self.note_bif(proc, mo, fu, &args);
                }
                return r;
            }
            Ins::CallFunLast { kind, arity, fun } => {
                proc.reductions += 1;
                let n = *arity as usize;
                // The fun is read before its frame goes: it may be in y.
                let callee = self.call_fun_callee(proc, xs, *kind, read(proc, xs, *fun), n)?;
                if !matches!(callee, Callee::Code(..)) {
                    // A native returns to the deallocate and return that
                    // follow (and one that must wait finds its frame).
                    return self.enter(proc, xs, (m.id, pc), callee, n, false);
                }
                proc.pop_frame();
                return self.enter(proc, xs, (m.id, pc), callee, n, true);
            }
            Ins::CallFun {
                kind,
                arity,
                fun,
                tail,
            } => {
                proc.reductions += 1;
                let n = *arity as usize;
                let callee = self.call_fun_callee(proc, xs, *kind, read(proc, xs, *fun), n)?;
                return self.enter(proc, xs, (m.id, pc), callee, n, *tail);
            }
            Ins::Return => return Ok(Flow::Return),
            Ins::Move2(s1, d1, s2, d2)
            | Ins::Move2Call {
                moves: [(s1, d1), (s2, d2)],
                ..
            } => {
                let v = read(proc, xs, *s1);
                write(proc, xs, *d1, v);
                let v = read(proc, xs, *s2);
                write(proc, xs, *d2, v);
                return Ok(Flow::Goto(pc + 2));
            }
            // The run loop does the call too; here, the call that follows does.
            Ins::MoveCall { src, dst, .. } => write(proc, xs, *dst, read(proc, xs, *src)),
            Ins::DeallocReturn => {
                proc.pop_frame();
                return Ok(Flow::Return);
            }
            Ins::Bif(i, fail, args, d) | Ins::Native(_, i, fail, args, d) => {
                let callee = match &m.code[pc as usize] {
                    Ins::Native(f, ..) => Callee::Native(*f),
                    _ => match self.import(proc, xs, m, *i) {
                        Ok(c) => c,
                        Err(e) => return fail_or(*fail, e),
                    },
                };
                let f = match callee {
                    Callee::Native(f) => f,
                    Callee::Host(op) => {
                        let vals: Vec<Word> = args.iter().map(|s| read(proc, xs, *s)).collect();
                        // Where it is, for natives that look (process_info).
                        (proc.mid, proc.pc) = (m.id, pc);
                        match self.with_vm(|vm| vm.host(proc, op, &vals)) {
                            NativeResult::Retry => return Ok(Flow::Retry),
                            NativeResult::Value(v) => {
                                write(proc, xs, *d, v);
                                return Ok(Flow::Next);
                            }
                            NativeResult::Error(e) => {
                                if *fail == NOFAIL {
                                    let (mo, fu, _) = m.imports[*i as usize];
                                    self.note_bif(proc, mo, fu, &vals);
                                }
                                return fail_or(*fail, e);
                            }
                            NativeResult::Apply(..) => return fail_or(*fail, badarg()),
                        }
                    }
                    Callee::Code(..) => return fail_or(*fail, badarg()),
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
                match self.call_native(proc, m, f, *i, *fail, vals) {
                    Ok(v) => write(proc, xs, *d, v),
                    Err(flow) => return flow,
                }
            }
            Ins::BsMatch(op, i, fail, s, d, f) => {
                let (vals, n) = op.args(read(proc, xs, *s));
                match self.call_native(proc, m, *f, *i, *fail, &vals[..n]) {
                    Ok(v) => write(proc, xs, *d, v),
                    Err(flow) => return flow,
                }
            }
            Ins::Arith(_, fail, a, b, d) | Ins::Add(fail, a, b, d) | Ins::Sub(fail, a, b, d) => {
                let k = match &m.code[pc as usize] {
                    Ins::Arith(k, ..) => *k,
                    Ins::Add(..) => ArithOp::Add,
                    _ => ArithOp::Sub,
                };
                let (va, vb) = (read(proc, xs, *a), read(proc, xs, *b));
                match arith(&mut proc.heap, &self.literals, k, va, vb) {
                    Ok(v) => write(proc, xs, *d, v),
                    Err(e) => {
                        if *fail == NOFAIL {
                            let f = self.atoms.intern(k.bif_name());
                            self.note_bif(proc, atom::ERLANG, f, &[va, vb]);
                        }
                        return fail_or(*fail, e);
                    }
                }
            }
            Ins::FLoad(s, d) => {
                let w = read(proc, xs, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let f = match (w.as_small(), view.float(w)) {
                    (Some(i), _) => i as f64,
                    (_, Some(f)) => f,
                    _ => match crate::vm::term::compare::number(&view, w) {
                        Some(crate::vm::term::compare::Num::Big(b)) => {
                            match num_traits::ToPrimitive::to_f64(&b).filter(|f| f.is_finite()) {
                                Some(f) => f,
                                None => return Err(Exception::error(Word::atom(atom::BADARITH))),
                            }
                        }
                        _ => return Err(Exception::error(Word::atom(atom::BADARITH))),
                    },
                };
                xs[*d as usize] = Word(f.to_bits());
            }
            Ins::FStore(s, d) => {
                let f = f64::from_bits(xs[*s as usize].0);
                let w = proc.heap.float(0, f);
                write(proc, xs, *d, w);
            }
            Ins::FArith(k, fail, a, b, d) => {
                let (x, y) = (
                    f64::from_bits(xs[*a as usize].0),
                    f64::from_bits(xs[*b as usize].0),
                );
                match float_op(*k, x, y) {
                    Some(r) => xs[*d as usize] = Word(r.to_bits()),
                    None => return fail_or(*fail, Exception::error(Word::atom(atom::BADARITH))),
                }
            }
            Ins::FNeg(_, a, d) => {
                let x = f64::from_bits(xs[*a as usize].0);
                // 0 - X, as the BEAM computes it: -(0.0) is 0.0 there.
                xs[*d as usize] = Word((0.0 - x).to_bits());
            }
            Ins::MakeTuple(d, elems) => {
                let vals: Vec<Word> = elems.iter().map(|s| read(proc, xs, *s)).collect();
                let t = proc.heap.tuple(0, &vals);
                write(proc, xs, *d, t);
            }
            Ins::GetElement(s, i, d) => {
                let t = read(proc, xs, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let v = view
                    .tuple(t)
                    .and_then(|e| e.get(*i as usize))
                    .map(|w| Word(*w))
                    .ok_or_else(badarg)?;
                write(proc, xs, *d, v);
            }
            Ins::Cons(h, t, d) => {
                let c = proc.heap.cons(0, read(proc, xs, *h), read(proc, xs, *t));
                write(proc, xs, *d, c);
            }
            Ins::SplitList(s, h, t) => {
                let l = read(proc, xs, *s);
                if !l.is_list() {
                    return Err(badarg());
                }
                let (hv, tv) = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                }
                .cons(l);
                write(proc, xs, *h, hv);
                write(proc, xs, *t, tv);
            }
            Ins::PutMap {
                kind,
                fail,
                src,
                dst,
                pairs,
            } => {
                let map = read(proc, xs, *src);
                let kv: Vec<(Word, Word)> = pairs
                    .iter()
                    .map(|(k, v)| (read(proc, xs, *k), read(proc, xs, *v)))
                    .collect();
                match crate::vm::term::maps::put(
                    &mut proc.heap,
                    &self.literals,
                    &self.atoms,
                    map,
                    &kv,
                    *kind == MapKind::Exact,
                ) {
                    Ok(w) => write(proc, xs, *dst, w),
                    Err(e) => return fail_or(*fail, e),
                }
            }
            Ins::GetMap(fail, s, pairs) => {
                let map = read(proc, xs, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let mut found = Vec::with_capacity(pairs.len());
                for (k, d) in pairs.iter() {
                    match crate::vm::term::maps::get(&view, &self.atoms, map, read(proc, xs, *k)) {
                        Some(v) => found.push((*d, v)),
                        None => return Ok(Flow::Goto(*fail)),
                    }
                }
                for (d, v) in found {
                    write(proc, xs, d, v);
                }
            }
            Ins::MakeFun(idx, d, free) => {
                let (_, arity, nfree, _) = m.lambdas[*idx as usize];
                let mut words = vec![
                    Word::small(m.id as i64).expect("id"),
                    Word::small(*idx as i64).expect("index"),
                    Word::small((arity - nfree) as i64).expect("arity"),
                ];
                words.extend(free.iter().map(|s| read(proc, xs, *s)));
                let at = proc.heap.words.len();
                proc.heap.words.push(Word::header(kind::FUN, words.len()).0);
                proc.heap.words.extend(words.iter().map(|w| w.0));
                write(
                    proc,
                    xs,
                    *d,
                    Word::boxed(crate::vm::term::word::Ptr {
                        area: 0,
                        offset: at,
                    }),
                );
            }
            Ins::Try(y, l) => {
                let depth = proc.handlers.len();
                proc.handlers.push(Handler {
                    module: m.id,
                    label: *l,
                    calls: proc.calls.len(),
                    frames: proc.frames.len(),
                    stack: proc.stack.len(),
                });
                write(proc, xs, *y, handler_marker(depth));
            }
            Ins::TryEnd(y) | Ins::CatchEnd(y) => {
                // At a landing pad the handler is already gone.
                let live = proc.handlers.len().checked_sub(1).map(handler_marker);
                if live == Some(read(proc, xs, dst_src(*y))) {
                    proc.handlers.pop();
                }
                write(proc, xs, *y, Word::NIL);
                if matches!(&m.code[pc as usize], Ins::CatchEnd(_)) && xs[0] == Word::NONE {
                    xs[0] = self.catch_value(proc, xs);
                }
            }
            Ins::Raise(c, r, t) => {
                let (class, reason, trace) =
                    (read(proc, xs, *c), read(proc, xs, *r), read(proc, xs, *t));
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
                    Some(c @ (atom::ERROR | atom::EXIT | atom::THROW)) => {
                        return Err(Exception {
                            class: c,
                            reason,
                            trace,
                        });
                    }
                    _ => {
                        xs[0] = Word::atom(atom::BADARG);
                    }
                }
            }
            Ins::Fail(k, v) => {
                let v = read(proc, xs, *v);
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
                        proc.clause_args = Some(list_of(&mut proc.heap, &args));
                        Word::atom(atom::FUNCTION_CLAUSE)
                    }
                    FailKind::Unsupported => v,
                };
                return Err(Exception::error(reason));
            }
            Ins::SelfPid(d) => write(proc, xs, *d, Word::pid(proc.pid)),
            Ins::Send => {
                let (to, msg) = (xs[0], xs[1]);
                if let Err(e) = self.send(proc, to, msg) {
                    // `!` fails as erlang:send/2 does, with its frame.
                    let send = self.atoms.intern("send");
                    self.note_bif(proc, atom::ERLANG, send, &[to, msg]);
                    return Err(e);
                }
                xs[0] = msg;
            }
            Ins::PeekMessage(l, d) => match proc.mailbox.get(proc.save).copied() {
                Some(msg) => write(proc, xs, *d, msg),
                None => return Ok(Flow::Goto(*l)),
            },
            Ins::NextMessage(l) => {
                proc.save += 1;
                return Ok(Flow::Goto(*l));
            }
            Ins::RemoveMessage => {
                proc.mailbox.remove(proc.save);
                proc.save = 0;
                if proc.deadline.take().is_some() {
                    proc.wait_epoch += 1;
                }
            }
            Ins::Wait(l, t) => {
                // Back in a receive whose timer runs: the timeout operand
                // was read when it started (its register is dead by now, as
                // on the BEAM).
                if let Some(d) = proc.deadline {
                    if d > std::time::Instant::now() {
                        return Ok(Flow::Wait(*l));
                    }
                    proc.deadline = None;
                    proc.save = 0;
                    proc.wait_epoch += 1;
                    return Ok(Flow::Next);
                }
                let t = read(proc, xs, *t);
                if t == Word::atom(atom::INFINITY) {
                    return Ok(Flow::Wait(*l));
                }
                match t.as_small() {
                    Some(0) => {
                        proc.save = 0;
                    }
                    Some(ms) if ms > 0 => {
                        let d =
                            std::time::Instant::now() + std::time::Duration::from_millis(ms as u64);
                        proc.deadline = Some(d);
                        let (pid, epoch) = (proc.pid, proc.wait_epoch);
                        self.with_vm(|vm| vm.timeout(d, pid, epoch));
                        return Ok(Flow::Wait(*l));
                    }
                    _ => {
                        return Err(Exception::error(Word::atom(
                            self.atoms.intern("timeout_value"),
                        )));
                    }
                }
            }
            Ins::RecvMark(k, d) => match k {
                MarkKind::Reserve => write(
                    proc,
                    xs,
                    *d,
                    Word::small(proc.mailbox.len() as i64).expect("length"),
                ),
                MarkKind::Use => {
                    if let Some(mark) = read(proc, xs, dst_src(*d)).as_small() {
                        proc.save = (mark as usize).min(proc.mailbox.len());
                    }
                }
                MarkKind::Bind | MarkKind::Clear => {}
            },
            Ins::Spawn(k, arity) => {
                let args: Vec<Word> = xs[..*arity as usize].to_vec();
                match self.spawn_call(proc, *k, &args) {
                    Ok(w) => xs[0] = w,
                    Err(e) => {
                        // It fails as the erlang:spawn* BIF it stands for.
                        let f = self.atoms.intern(k.name());
                        self.note_bif(proc, atom::ERLANG, f, &args);
                        return Err(e);
                    }
                }
            }
        }
        Ok(Flow::Next)
    }

    pub(crate) fn import(
        &mut self,
        proc: &mut Proc,
        xs: &Regs,
        m: &Arc<Loaded>,
        i: u32,
    ) -> Result<Callee, Exception> {
        if let Some(c) = m.resolved[i as usize].get() {
            return Ok(*c);
        }
        let (mo, f, a) = m.imports[i as usize];
        match self.resolve(mo, f, a) {
            Some(c) => {
                let _ = m.resolved[i as usize].set(c);
                Ok(c)
            }
            None => Err(self.undef(proc, mo, f, &xs[..a as usize])),
        }
    }

    pub(crate) fn fun_callee(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        fun: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        match fun_callee(&self.modules, &self.literals, &mut proc.heap, xs, fun, n)? {
            Ok(c) => Ok(c),
            // (`a` is `n`: `fun_callee` checked.)
            Err((mo, f, a)) => self.with_vm(|vm| vm.export_callee(proc, mo, f, &xs[..a as usize])),
        }
    }

    /// What `call_fun` calls: `fun` with `n` arguments, or (`Apply`) the
    /// function named by the two registers after the arguments.
    pub(crate) fn call_fun_callee(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        kind: FunKind,
        fun: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        if kind == FunKind::Fun {
            return self.fun_callee(proc, xs, fun, n);
        }
        let (module, function) = (xs[n], xs[n + 1]);
        self.mfa_callee(proc, xs, module, function, n)
    }

    /// What calling `module:function` with `n` arguments enters (`badarg`
    /// unless both are atoms, `undef` if there is no such function).
    pub(crate) fn mfa_callee(
        &mut self,
        proc: &mut Proc,
        xs: &Regs,
        module: Word,
        function: Word,
        n: usize,
    ) -> Result<Callee, Exception> {
        let (Some(mo), Some(fu)) = (module.as_atom(), function.as_atom()) else {
            return Err(Exception::error(Word::atom(atom::BADARG)));
        };
        self.with_vm(|vm| vm.export_callee(proc, mo, fu, &xs[..n]))
    }

    /// Enters `callee` from the call instruction at `(mid, pc)`.
    pub(crate) fn enter(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        (mid, pc): (u32, u32),
        callee: Callee,
        arity: usize,
        tail: bool,
    ) -> Result<Flow, Exception> {
        match callee {
            Callee::Code(to_mod, entry) => {
                if !tail {
                    proc.calls.push(Ret {
                        module: mid,
                        pc: pc + 1,
                    });
                }
                Ok(Flow::Enter(to_mod, entry))
            }
            Callee::Host(op) => {
                // Where it is, for natives that look (process_info).
                (proc.mid, proc.pc) = (mid, pc);
                let r = self.with_vm(|vm| vm.host(proc, op, &xs[..arity]));
                self.native_result(proc, xs, mid, pc, r, tail)
            }
            Callee::Native(f) => {
                let r = self.native(proc, xs, f, arity);
                self.native_result(proc, xs, mid, pc, r, tail)
            }
        }
    }

    pub(crate) fn native_result(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        mid: u32,
        pc: u32,
        r: NativeResult,
        tail: bool,
    ) -> Result<Flow, Exception> {
        {
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
                    let flow = self.enter(proc, xs, (mid, pc), callee?, n, tail);
                    if let Ok(Flow::Retry) = flow {
                        xs[..3].copy_from_slice(&given);
                    }
                    flow
                }
            }
        }
    }

    /// `catch`'s value for the exception in x1..x3.
    pub(crate) fn catch_value(&self, proc: &mut Proc, xs: &Regs) -> Word {
        let (class, reason, raw) = (xs[1], xs[2], xs[3]);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let trace = match view.tuple(raw) {
            Some([_, _, t]) => Word(*t),
            _ => Word::NIL,
        };
        match class.as_atom() {
            Some(atom::THROW) => reason,
            Some(atom::ERROR) => {
                let inner = proc.heap.tuple(0, &[reason, trace]);
                proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), inner])
            }
            _ => proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), reason]),
        }
    }

    pub(crate) fn gc(&self, proc: &mut Proc, xs: &mut Regs, live: usize) {
        let xs = &mut xs[..live.min(FILE)];
        let mut dict: Vec<Word> = proc.dict.words();
        let mut mailbox: Vec<Word> = proc.mailbox.iter().copied().collect();
        let mut monitors: Vec<Word> = proc.sig.monitored_by.iter().map(|(r, _)| *r).collect();
        let mut building: Vec<Word> = proc.building.iter().map(|(w, _)| *w).collect();
        let survivors = collect_into(
            &mut proc.heap,
            &mut [
                xs,
                &mut proc.stack,
                &mut dict,
                &mut mailbox,
                &mut monitors,
                &mut building,
            ],
            &mut proc.spare,
        );
        if let (Some(b), Some(w)) = (proc.building.as_mut(), building.first()) {
            b.0 = *w;
        }
        // Only a large heap keeps its old space: an idle process stays small.
        if proc.spare.capacity() < 1 << 16 {
            proc.spare = Vec::new();
        }
        proc.mailbox = mailbox.into();
        for (i, r) in monitors.into_iter().enumerate() {
            proc.sig.monitored_by[i].0 = r;
        }
        proc.dict.set_words(&dict);
        // Room for twice the survivors before the next collection: collecting
        // costs what survives, so this keeps it at half a word per word allocated.
        proc.gc_limit = (survivors * 3).max(1 << 16);
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

pub(crate) fn dst_src(d: Dst) -> Src {
    match d {
        Dst::X(r) => Src::X(r),
        Dst::Y(r) => Src::Y(r),
        Dst::Discard => Src::C(Word::NIL),
    }
}

pub(crate) enum Flow {
    /// Run this instruction again in the next slice: what it does to
    /// another process waits for that one's slice to end.
    Retry,
    Next,
    Goto(u32),
    Enter(u32, u32),
    Return,
    Yield,
    Wait(u32),
}
