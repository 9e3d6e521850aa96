//! The run loop: one scheduler's [`Worker`] executes a process's code for
//! one time slice.

use std::rc::Rc;
use std::sync::Arc;

use crate::vm::code::kinds::FunKind;
use crate::vm::code::loader::{
    Callee, Dst, Ins, Leaf, Loaded, MovesThen, NOFAIL, Reg, Src, Target,
};
use crate::vm::exec::fast;
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{BUDGET, Outcome, Proc, Regs, handler_marker};
use crate::vm::exec::regs::dst_src;
use crate::vm::exec::trace::{materialize, snapshot};
use crate::vm::exec::{Lock, Shared};
use crate::vm::native::{Env, NativeResult};
use crate::vm::ops::arith::{ArithOp, float_op, shift_small};
use crate::vm::ops::test::TestOp;
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::word::{Ptr, Word, kind};

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
    /// The same modules, each behind a count of this thread's own: the
    /// run loop holds the module it runs by one of these. A clone of the
    /// `Arc` itself, at every call to another module and at its return,
    /// is an atomic add on a count that every scheduler's calls to that
    /// module share, and two schedulers calling `array` by turns (bencherl's
    /// `moves`) fought over its cache line (the `Rc` is the point, so
    /// the allocation is not redundant).
    #[allow(clippy::redundant_allocation)]
    pub(crate) handles: Vec<Rc<Arc<Loaded>>>,
    pub(crate) literals: Vec<Arc<Area>>,
    /// The VM's environment variables, for natives.
    pub(crate) env: Arc<Env>,
    /// The VM's ETS tables, for natives.
    pub(crate) ets: Arc<crate::vm::ops::ets::Tables>,
    /// `system_flag(backtrace_depth, N)`: how long stack traces are.
    pub(crate) backtrace_depth: Arc<std::sync::atomic::AtomicUsize>,
    /// The VM's memory budget, which collections and natives count in.
    pub(crate) memory: Arc<crate::vm::term::memory::Memory>,
    /// `LAM_DEBUG_PROCS` was set when the VM started.
    pub(crate) debug_procs: bool,
    /// The reductions a slice starts with: 0, or more to shorten slices
    /// (`LAM_DEBUG_SLICE`).
    pub(crate) slice_start: u32,
    /// The register file: a running process's `x` registers live here,
    /// lent to the run loop for its slice; an idle process keeps only the
    /// few that are live (`Proc::x`), so it costs a few hundred bytes, not
    /// a register file (`proc::FILE` words). Taken out while a slice runs.
    pub(crate) xfile: Option<Box<Regs>>,
    /// `(module, function, arity)` of natives that raised, with whether
    /// raising is their purpose and whether each is a NIF
    /// (`Worker::native_kind`).
    pub(crate) native_kinds: std::cell::RefCell<NativeKinds>,
}

/// Where [`Worker::run_fast`] stopped, with the instruction it stopped at.
pub(crate) enum Stop {
    /// The flow of an instruction `step` ran (or a native the loop ran)
    /// that does not go on in the loop: a call, return, yield, wait,
    /// exception or self-sent exit signal.
    Step(Result<Flow, Exception>),
    /// The slice ends.
    End(Outcome),
}

/// `(module, function, arity)` of natives that raised, with whether raising
/// is their purpose and whether each is a NIF. Defined here, not in
/// `exceptions` where it is used: the worker holds it, and `exceptions`
/// builds on `run`, not the other way.
pub(crate) type NativeKinds = Vec<((u32, u32, u32), (bool, bool))>;

impl<'w, L: Lock> Worker<'w, L> {
    pub(crate) fn new(sched: &'w L, id: usize, vm: &L::Shared) -> Worker<'w, L> {
        let (modules, literals) = vm.code();
        Worker {
            sched,
            id,
            atoms: vm.atoms().clone(),
            modules: modules.to_vec(),
            handles: modules.iter().map(|m| Rc::new(m.clone())).collect(),
            literals: literals.to_vec(),
            env: vm.env().clone(),
            ets: vm.ets().clone(),
            backtrace_depth: vm.backtrace_depth().clone(),
            memory: vm.memory().clone(),
            debug_procs: vm.debug().procs,
            slice_start: vm.debug().slice.map_or(0, |n| BUDGET - n),
            xfile: Some(Regs::boxed()),
            native_kinds: Default::default(),
        }
    }

    /// Catches up with modules loaded since this scheduler last looked.
    pub(crate) fn sync(&mut self, vm: &L::Shared) {
        let (modules, literals) = vm.code();
        if self.modules.len() != modules.len() {
            let new = &modules[self.modules.len()..];
            self.handles.extend(new.iter().map(|m| Rc::new(m.clone())));
            self.modules.extend_from_slice(new);
            self.literals
                .extend_from_slice(&literals[self.literals.len()..]);
        }
    }

    /// Brings this scheduler's list of modules up to date (cold: only
    /// when it meets a module it does not know yet, through an import
    /// another scheduler resolved or a fun another process made).
    #[cold]
    #[inline(never)]
    pub(crate) fn catch_up(&mut self) {
        self.with_vm(|_| ());
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

    pub(crate) fn undef(
        &mut self,
        proc: &mut Proc,
        module: u32,
        function: u32,
        args: &[Word],
    ) -> Exception {
        self.with_vm(|vm| vm.undef(proc, module, function, args))
    }

    /// Whether `w`, in a native's exception where the trace goes, is the
    /// `error_info` map of its failure rather than a trace (always a list).
    fn is_error_info(&self, proc: &Proc, w: Word) -> bool {
        let v = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        w.is_boxed() && v.map_size(w).is_some()
    }

    /// The stack trace of a raise at `pc` of `module`, not built yet
    /// (`trace::snapshot`): [`Worker::materialize`] builds it when
    /// something reads it.
    pub(crate) fn trace(&self, proc: &mut Proc, module: u32, pc: u32) -> Word {
        let depth = self
            .backtrace_depth
            .load(std::sync::atomic::Ordering::Relaxed);
        snapshot(proc, module, pc, depth)
    }

    /// The stack trace `w` stands for, built if it was not yet.
    pub(crate) fn materialize(&self, proc: &mut Proc, w: Word) -> Word {
        materialize(&self.atoms, &self.modules, &mut proc.heap, w)
    }

    /// Runs `proc` from where it stopped until it yields, waits or ends,
    /// with the register file swapped in for the slice.
    pub(crate) fn run_slice(&mut self, proc: &mut Proc) -> Outcome {
        // (None only if an earlier slice panicked.)
        let mut xs = self.xfile.take().unwrap_or_else(Regs::boxed);
        xs[..proc.x.len()].copy_from_slice(&proc.x);
        proc.live_x = 0;
        let outcome = self.run_slice_in(proc, &mut xs);
        // Only a yielding process has live registers (its call's
        // arguments), and a hibernating one (`erlang:hibernate/3`'s): a
        // receive's wait has none, and sets none.
        let live = match outcome {
            Outcome::Yield | Outcome::Wait => proc.live_x,
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
        proc.total_reductions += u64::from(proc.reductions.saturating_sub(self.slice_start));
        proc.reductions = self.slice_start;
        if let Some(e) = proc.pending_failure.take() {
            return Outcome::Failed(e);
        }
        // Exit signals that arrived while it was not running.
        if let Some(end) = proc.exit_signal() {
            return end;
        }
        // One pass for each stretch of one module's code: control that
        // `step` passes to another module (`switch!`) starts the next pass
        // (`run_fast` passes it itself).
        'module: loop {
            let mut m = self.handles[mid as usize].clone();
            // Continues at `pc` in module `$to` (set `pc` first).
            macro_rules! switch {
                ($to:expr) => {{
                    mid = $to;
                    continue 'module;
                }};
            }
            loop {
                let (stop, at_mid, at) = self.run_fast(proc, xs, &m, mid, pc);
                pc = at;
                if at_mid != mid {
                    mid = at_mid;
                    m = self.handles[mid as usize].clone();
                }
                let step = match stop {
                    Stop::Step(flow) => flow,
                    Stop::End(outcome) => return outcome,
                };
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
                    Ok(Flow::Return) => match proc.st.pop_ret() {
                        Some((to_mod, to)) => {
                            pc = to;
                            if to_mod != mid {
                                switch!(to_mod);
                            }
                        }
                        None => return Outcome::Done(xs[0]),
                    },
                    Ok(Flow::Yield) => {
                        (proc.mid, proc.pc) = (mid, pc);
                        return Outcome::Yield;
                    }
                    Ok(Flow::YieldAt(to)) => {
                        proc.live_x = crate::lam::isa::X_REGS as usize;
                        (proc.mid, proc.pc) = (mid, to);
                        return Outcome::Yield;
                    }
                    Ok(Flow::Retry) => {
                        // Any register may be live at a BIF instruction.
                        proc.live_x = crate::lam::isa::X_REGS as usize;
                        (proc.mid, proc.pc) = (mid, pc);
                        return Outcome::Yield;
                    }
                    Ok(Flow::Wait(wake)) => {
                        (proc.mid, proc.pc, proc.rx.wake_pc) = (mid, pc, wake);
                        return Outcome::Wait;
                    }
                    Err(mut e) => {
                        if e.trace != Word::NONE && self.is_error_info(proc, e.trace) {
                            // A native's error_info map (natives::ets),
                            // for its frame in the trace.
                            proc.raising.error_info = Some(e.trace);
                            e.trace = Word::NONE;
                        }
                        if e.trace == Word::NONE {
                            e.trace = self.trace(proc, mid, pc);
                        }
                        if self.debug_procs {
                            e.trace = self.materialize(proc, e.trace);
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
                        let Some(h) = proc.st.handlers.pop() else {
                            // The process ends: its exit reason and crash
                            // report show the trace.
                            e.trace = self.materialize(proc, e.trace);
                            return Outcome::Failed(e);
                        };
                        proc.st.stack.truncate(h.stack);
                        proc.st.y_base = h.y_base;
                        // The slot no longer marks a live handler: try_end/catch_end
                        // at the landing pad must not remove another one.
                        if let Some(slot) = proc
                            .st
                            .stack
                            .iter_mut()
                            .rev()
                            .find(|w| **w == handler_marker(proc.st.handlers.len()))
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

    /// The loop of `run_slice_in` over the code: the hottest instructions
    /// run here, including local and remote calls and returns from one
    /// module's code to another's, and it stops at the first instruction
    /// that needs `step`, or at the slice's end, with the module and
    /// instruction where it stopped.
    // Its own function, out of line: with `step` and the exception path
    // outside it, fewer values are live across its back edge and the
    // dispatch keeps them in registers.
    #[inline(never)]
    fn run_fast(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        first: &Arc<Loaded>,
        mut mid: u32,
        mut pc: u32,
    ) -> (Stop, u32, u32) {
        // The slice's reductions, in a local that can stay in a register
        // (`proc.reductions` was reached through a pointer kept on the
        // stack); written back before anything else reads it: every exit,
        // and the calls below that count reductions of their own.
        let mut reds = proc.reductions;
        // The module control passed to, once it left `first`'s code: a
        // call to another module and its return stay in this function
        // (leaving it for `run_slice_in` to switch and coming back cost
        // about 55 instructions a switch, two for each call to another
        // module), at the price of a count on this thread's handle of
        // the module (`Worker::handles`).
        let mut other: Option<Rc<Arc<Loaded>>> = None;
        loop {
            let m: &Arc<Loaded> = other.as_deref().unwrap_or(first);
            // The code being run, borrowed apart from `m` so that a dispatch
            // does not first load `m`'s vector: it is the start of the chain of
            // loads that each jump through the dispatch table waits on.
            let code: &[Ins] = &m.code;
            let to = 'run: loop {
                // Continues at `pc` in module `$to` (set `pc` first).
                macro_rules! switch {
                    ($to:expr) => {{
                        break 'run $to;
                    }};
                }
                // The hottest instructions run here, without the round trip
                // through `step` and its `Flow`; everything else goes to `step`.
                macro_rules! rd {
                    ($s:expr) => {
                        match $s {
                            Src::X(r) => xs[r as usize],
                            Src::Y(r) => proc.st.stack[proc.st.y_base + r as usize],
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
                                let b = proc.st.y_base;
                                proc.st.stack[b + r as usize] = v
                            }
                            Dst::Discard => {}
                        }
                    }};
                }
                // Whether the heap needs no collection (`Proc::needs_gc`, the
                // test `step`'s bodies collect on).
                macro_rules! heap_ok {
                    () => {
                        !proc.needs_gc()
                    };
                }
                // The heap and literals, to look into a term.
                macro_rules! view {
                    () => {
                        View {
                            heap: &proc.heap,
                            literals: &self.literals,
                        }
                    };
                }
                // Whether a call may go ahead here; else the call instruction
                // goes to `step`, which yields or collects first.
                macro_rules! can_call {
                    () => {
                        reds < BUDGET && heap_ok!()
                    };
                }
                // The value of `w` if it is a float on the process's heap
                // or a literal (float code compares those most, a literal
                // bound such as `X > 4.0` too: `fast::compare`, out of
                // line, costs a call and more).
                macro_rules! heap_float {
                    ($w:expr) => {{
                        let w: Word = $w;
                        if w.is_boxed() {
                            let p = w.ptr();
                            let o = p.offset;
                            let words = if p.area == 0 {
                                &proc.heap.words
                            } else {
                                &self.literals[p.area as usize - 1].words
                            };
                            match words.get(o..o + 2) {
                                Some(&[h, f]) if Word(h) == Word::header(kind::FLOAT, 1) => {
                                    Some(f64::from_bits(f))
                                }
                                _ => None,
                            }
                        } else {
                            None
                        }
                    }};
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
                // A call (or tail call) from the call instruction at `pc` to
                // `$to` in this module's code, or (a call through an import)
                // in the module the caller then switches to.
                macro_rules! call_local {
                    ($tail:expr, $to:expr) => {{
                        reds += 1;
                        if !$tail {
                            proc.st.push_ret(mid, pc + 1);
                        }
                        pc = $to;
                    }};
                }
                // Returns to the newest return address; with none left, the
                // process's first function has returned: it is done (as
                // `Flow::Return` below).
                macro_rules! ret {
                    () => {{
                        match proc.st.pop_ret() {
                            Some((to_mod, to)) => {
                                pc = to;
                                if to_mod != mid {
                                    switch!(to_mod);
                                }
                                continue;
                            }
                            None => {
                                proc.reductions = reds;
                                return (Stop::End(Outcome::Done(xs[0])), mid, pc);
                            }
                        }
                    }};
                }
                // Whether the callee of a call whose base case is `$leaf`
                // returns at once on the arguments in the x registers; if
                // so, its value is in x0 (see `Leaf`).
                macro_rules! leaf {
                    ($leaf:expr) => {
                        match $leaf {
                            Leaf::None => false,
                            Leaf::Ge { a, b, ret } => {
                                match (xs[a as usize].as_small(), xs[b as usize].as_small()) {
                                    (Some(p), Some(q)) if p >= q => {
                                        xs[0] = xs[ret as usize];
                                        true
                                    }
                                    _ => false,
                                }
                            }
                            Leaf::Select { base, mask } => match xs[0].as_small() {
                                Some(v) => {
                                    let k = v.wrapping_sub(i64::from(base)) as u64;
                                    k < 16 && (mask >> k) & 1 != 0
                                }
                                None => false,
                            },
                        }
                    };
                }
                // A local call (or tail call) to `$to` whose callee's base
                // case is `$leaf`: answered here when the base case holds
                // (the call's reduction charged, the value in x0), else made.
                macro_rules! call_or_leaf {
                    ($tail:expr, $to:expr, $leaf:expr) => {{
                        if leaf!($leaf) {
                            reds += 1;
                            if $tail {
                                ret!();
                            }
                            pc += 1;
                        } else {
                            call_local!($tail, $to);
                        }
                    }};
                }
                // What a native the loop ran itself did, when it gave no value.
                let mut native_flow = None;
                match &code[pc as usize] {
                    Ins::Move { src, dst } => {
                        wr!(*dst, rd!(*src));
                        pc += 1;
                        continue;
                    }
                    Ins::Move2 { s1, d1, s2, d2 } => {
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
                        s1,
                        d1,
                        s2,
                        d2,
                        leaf,
                    } => {
                        wr!(*d1, rd!(*s1));
                        wr!(*d2, rd!(*s2));
                        pc += 2;
                        if can_call!() {
                            call_or_leaf!(*tail, *to, *leaf);
                        }
                        continue;
                    }
                    // (The instruction after the moves is the `deallocate`.)
                    Ins::Move2DeallocTail { to, s1, d1, s2, d2 } => {
                        wr!(*d1, rd!(*s1));
                        wr!(*d2, rd!(*s2));
                        pc += 2;
                        if can_call!() {
                            proc.pop_frame();
                            call_local!(true, *to);
                        }
                        continue;
                    }
                    Ins::Moves {
                        n,
                        then,
                        trim,
                        to,
                        regs,
                        leaf,
                    } => {
                        register_moves(proc, xs, &regs[..*n as usize]);
                        pc += u32::from(*n);
                        match then {
                            MovesThen::Next => {}
                            MovesThen::Call | MovesThen::TailCall => {
                                if can_call!() {
                                    call_or_leaf!(*then == MovesThen::TailCall, *to, *leaf);
                                }
                            }
                            // (The instruction after the moves is the `deallocate`.)
                            MovesThen::DeallocTailCall => {
                                if can_call!() {
                                    proc.pop_frame();
                                    call_or_leaf!(true, *to, *leaf);
                                }
                            }
                            // (The `trim`, then the call.)
                            MovesThen::TrimCall => {
                                if can_call!() {
                                    proc.st.trim(*trim as usize);
                                    pc += 1;
                                    call_or_leaf!(false, *to, *leaf);
                                }
                            }
                        }
                        continue;
                    }
                    Ins::MoveReturn { src, dst, dealloc } => {
                        wr!(*dst, rd!(*src));
                        if *dealloc {
                            proc.pop_frame();
                        }
                        ret!();
                    }
                    Ins::DeallocReturn => {
                        proc.pop_frame();
                        ret!();
                    }
                    Ins::Jump(l) => {
                        pc = *l;
                        continue;
                    }
                    // A local fun of code loaded here, of the right arity (what
                    // `call_fun`'s body does, without its round trip); the rest,
                    // and a process that must yield, go to `step`.
                    Ins::CallFun {
                        kind: FunKind::Fun,
                        arity,
                        fun,
                        tail,
                    } => {
                        proc.reductions = reds;
                        let r = self.fast_call_fun(proc, xs, (mid, pc), *arity, *fun, *tail, false);
                        reds = proc.reductions;
                        match r {
                            Ok((to_mod, entry)) => {
                                pc = entry;
                                if to_mod != mid {
                                    switch!(to_mod);
                                }
                                continue;
                            }
                            Err(at) => pc = at,
                        }
                    }
                    // The same, then `deallocate` and `return`: a tail call.
                    Ins::CallFunLast {
                        kind: FunKind::Fun,
                        arity,
                        fun,
                    } => {
                        proc.reductions = reds;
                        let r = self.fast_call_fun(proc, xs, (mid, pc), *arity, *fun, true, true);
                        reds = proc.reductions;
                        match r {
                            Ok((to_mod, entry)) => {
                                pc = entry;
                                if to_mod != mid {
                                    switch!(to_mod);
                                }
                                continue;
                            }
                            Err(at) => pc = at,
                        }
                    }
                    // A loop's back edge: one reduction; a spent slice ends
                    // here, every register kept (which are live is not known
                    // here; a parked process is never collected, so the
                    // words stay as they are until it runs again).
                    Ins::LoopJump(l) => {
                        pc = *l;
                        reds += 1;
                        if reds < BUDGET {
                            continue;
                        }
                        proc.live_x = crate::lam::isa::X_REGS as usize;
                        (proc.mid, proc.pc) = (mid, pc);
                        proc.reductions = reds;
                        return (Stop::End(Outcome::Yield), mid, pc);
                    }
                    // A native's success and its jump to a fail label are done
                    // here; anything else (an exception, or a native that
                    // yields mid-work) goes where `step` would send it.
                    Ins::Native {
                        native: f,
                        import,
                        fail,
                        args,
                        dst: d,
                        guard,
                        ..
                    } if args.len() <= 16 => {
                        if let Some(g) = guard {
                            let a = rd!(args[0]);
                            let b = args.get(1).map_or(Word::NIL, |s| rd!(*s));
                            if let Some(v) = fast::guard_bif(&view!(), *g, a, b) {
                                wr!(*d, v);
                                pc += 1;
                                continue;
                            }
                        }
                        let mut vals = [Word::NIL; 16];
                        for (v, s) in vals.iter_mut().zip(args.iter()) {
                            *v = rd!(*s);
                        }
                        proc.reductions = reds;
                        let r = self.run_native(proc, *f, &vals[..args.len()]);
                        reds = proc.reductions;
                        match r {
                            NativeResult::Value(v) => {
                                wr!(*d, v);
                                pc += 1;
                                continue;
                            }
                            NativeResult::Error(_) if *fail != NOFAIL => {
                                pc = *fail;
                                continue;
                            }
                            r => {
                                let vals = &vals[..args.len()];
                                let at = (*import, *fail);
                                native_flow = Some({
                                    proc.reductions = reds;
                                    let r = self.bif_flow(proc, xs, m, at, vals, r, *d);
                                    reds = proc.reductions;
                                    r
                                });
                            }
                        }
                    }
                    Ins::BsMatch { .. } => {
                        if let Some(to) = {
                            proc.reductions = reds;
                            let r = self.bs_run(proc, xs, code, pc);
                            reds = proc.reductions;
                            r
                        } {
                            pc = to;
                            continue;
                        }
                    }
                    Ins::Cons {
                        head: h,
                        tail: t,
                        dst: d,
                    } => {
                        let c = proc.heap.cons(0, rd!(*h), rd!(*t));
                        wr!(*d, c);
                        pc += 1;
                        continue;
                    }
                    Ins::SplitList {
                        list: s,
                        head: h,
                        tail: t,
                    } if rd!(*s).is_list() => {
                        split!(rd!(*s), *h, *t);
                        pc += 1;
                        continue;
                    }
                    Ins::Swap { a, b } => {
                        let (va, vb) = (rd!(dst_src(*a)), rd!(dst_src(*b)));
                        wr!(*a, vb);
                        wr!(*b, va);
                        pc += 1;
                        continue;
                    }
                    Ins::Trim { slots: n } => {
                        proc.st.trim(*n as usize);
                        pc += 1;
                        continue;
                    }
                    Ins::FArith {
                        op: k,
                        lhs: a,
                        rhs: b,
                        dst: d,
                        ..
                    } => {
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
                    Ins::FLoad {
                        src: Src::X(s),
                        dst: d,
                    } if xs[*s as usize].is_boxed()
                        && xs[*s as usize].ptr().area == 0
                        && Word(proc.heap.words[xs[*s as usize].ptr().offset])
                            == Word::header(kind::FLOAT, 1) =>
                    {
                        let p = xs[*s as usize].ptr();
                        xs[*d as usize] = Word(proc.heap.words[p.offset + 1]);
                        pc += 1;
                        continue;
                    }
                    // Other sources: a small integer, or a float in a y
                    // register or the literal area (a float constant).
                    Ins::FLoad { src, dst: d } => {
                        let w = rd!(*src);
                        let f = match w.as_small() {
                            Some(i) => Some(i as f64),
                            None => view!().float(w),
                        };
                        if let Some(f) = f {
                            xs[*d as usize] = Word(f.to_bits());
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::FStore {
                        src: s,
                        dst: Dst::X(d),
                    } => {
                        let f = f64::from_bits(xs[*s as usize].0);
                        xs[*d as usize] = proc.heap.float(0, f);
                        pc += 1;
                        continue;
                    }
                    // (`rhs` is a small integer: its value is the word shifted.)
                    Ins::AddI { lhs, rhs, dst, .. } => {
                        let v = rd!(*lhs);
                        if let Some(x) = v.as_small()
                            && let Some(w) = Word::small(x + ((rhs.0 as i64) >> 4))
                        {
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::SubI { lhs, rhs, dst, .. } => {
                        let v = rd!(*lhs);
                        if let Some(x) = v.as_small()
                            && let Some(w) = Word::small(x - ((rhs.0 as i64) >> 4))
                        {
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::LtI { fail, lhs, rhs } => {
                        let v = rd!(*lhs);
                        if let Some(p) = v.as_small() {
                            pc = if p < (rhs.0 as i64) >> 4 {
                                pc + 1
                            } else {
                                *fail
                            };
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::Lt, v, *rhs) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::GeI { fail, lhs, rhs } => {
                        let v = rd!(*lhs);
                        if let Some(p) = v.as_small() {
                            pc = if p >= (rhs.0 as i64) >> 4 {
                                pc + 1
                            } else {
                                *fail
                            };
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::Ge, v, *rhs) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Element {
                        index, tuple, dst, ..
                    } => {
                        if let Some(i) = rd!(*index).as_small()
                            && i >= 1
                            && let Some(v) = fast::element(&view!(), rd!(*tuple), (i - 1) as usize)
                        {
                            wr!(*dst, v);
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::GtI { fail, lhs, rhs } => {
                        let v = rd!(*lhs);
                        if let Some(p) = v.as_small() {
                            pc = if p > (rhs.0 as i64) >> 4 {
                                pc + 1
                            } else {
                                *fail
                            };
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::Lt, *rhs, v) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::LeI { fail, lhs, rhs } => {
                        let v = rd!(*lhs);
                        if let Some(p) = v.as_small() {
                            pc = if p <= (rhs.0 as i64) >> 4 {
                                pc + 1
                            } else {
                                *fail
                            };
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::Ge, *rhs, v) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Add {
                        lhs: a,
                        rhs: b,
                        dst,
                        ..
                    } => {
                        let (va, vb) = (rd!(*a), rd!(*b));
                        if let (Some(x), Some(y)) = (va.as_small(), vb.as_small())
                            && let Some(w) = Word::small(x + y)
                        {
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                        if let Some(f) = fast::float_arith(&view!(), ArithOp::Add, va, vb) {
                            let w = proc.heap.float(0, f);
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::Sub {
                        lhs: a,
                        rhs: b,
                        dst,
                        ..
                    } => {
                        let (va, vb) = (rd!(*a), rd!(*b));
                        if let (Some(x), Some(y)) = (va.as_small(), vb.as_small())
                            && let Some(w) = Word::small(x - y)
                        {
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                        if let Some(f) = fast::float_arith(&view!(), ArithOp::Sub, va, vb) {
                            let w = proc.heap.float(0, f);
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::Arith {
                        op:
                            k @ (ArithOp::Mul
                            | ArithOp::IDiv
                            | ArithOp::Rem
                            | ArithOp::Div
                            | ArithOp::Band
                            | ArithOp::Bor
                            | ArithOp::Bxor
                            | ArithOp::Bsl
                            | ArithOp::Bsr),
                        lhs: a,
                        rhs: b,
                        dst,
                        ..
                    } => {
                        let (va, vb) = (rd!(*a), rd!(*b));
                        if let (Some(x), Some(y)) = (va.as_small(), vb.as_small()) {
                            let r = match *k {
                                ArithOp::Mul => x.checked_mul(y),
                                ArithOp::IDiv if y != 0 => Some(x / y),
                                ArithOp::Rem if y != 0 => Some(x % y),
                                ArithOp::Band => Some(x & y),
                                ArithOp::Bor => Some(x | y),
                                ArithOp::Bxor => Some(x ^ y),
                                ArithOp::Bsl => shift_small(x, y),
                                ArithOp::Bsr => shift_small(x, -y),
                                _ => None,
                            };
                            if let Some(w) = r.and_then(Word::small) {
                                wr!(*dst, w);
                                pc += 1;
                                continue;
                            }
                        }
                        if let Some(f) = fast::float_arith(&view!(), *k, va, vb) {
                            let w = proc.heap.float(0, f);
                            wr!(*dst, w);
                            pc += 1;
                            continue;
                        }
                    }
                    // Tests and comparisons on the common shapes (`fast.rs`);
                    // anything else goes to `step`.
                    Ins::Lt {
                        fail,
                        lhs: a,
                        rhs: b,
                    } => {
                        let (x, y) = (rd!(*a), rd!(*b));
                        if let (Some(p), Some(q)) = (x.as_small(), y.as_small()) {
                            pc = if p < q { pc + 1 } else { *fail };
                            continue;
                        }
                        if let (Some(p), Some(q)) = (heap_float!(x), heap_float!(y)) {
                            pc = if p < q { pc + 1 } else { *fail };
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::Lt, x, y) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Ge {
                        fail,
                        lhs: a,
                        rhs: b,
                    } => {
                        let (x, y) = (rd!(*a), rd!(*b));
                        if let (Some(p), Some(q)) = (x.as_small(), y.as_small()) {
                            pc = if p >= q { pc + 1 } else { *fail };
                            continue;
                        }
                        if let (Some(p), Some(q)) = (heap_float!(x), heap_float!(y)) {
                            pc = if p >= q { pc + 1 } else { *fail };
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::Ge, x, y) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::EqExact {
                        fail,
                        lhs: a,
                        rhs: b,
                    } => {
                        let (x, y) = (rd!(*a), rd!(*b));
                        // Small integers, atoms, nil and pids are equal exactly
                        // when their words are.
                        if x == y {
                            pc += 1;
                            continue;
                        }
                        // Two different immediates differ exactly.
                        if x.is_immediate() && y.is_immediate() {
                            pc = *fail;
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::EqExact, x, y) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::NeExact {
                        fail,
                        lhs: a,
                        rhs: b,
                    } => {
                        let (x, y) = (rd!(*a), rd!(*b));
                        if x == y {
                            pc = *fail;
                            continue;
                        }
                        // Two different immediates differ exactly.
                        if x.is_immediate() && y.is_immediate() {
                            pc += 1;
                            continue;
                        }
                        if let Some(pass) = fast::compare(&view!(), TestOp::NeExact, x, y) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Test2 {
                        op,
                        fail,
                        lhs: a,
                        rhs: b,
                    } => {
                        // `fast::test`, not `compare`: `test_arity` (every
                        // clause on a tuple) is a `Test2` too.
                        let vals = [rd!(*a), rd!(*b), Word::NIL];
                        if let Some(pass) = fast::test(&view!(), *op, &vals) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::ListSplit {
                        fail,
                        list: s,
                        head: h,
                        tail: t,
                    } => {
                        let l = rd!(*s);
                        if !l.is_list() {
                            pc = *fail;
                            continue;
                        }
                        split!(l, *h, *t);
                        pc += 2;
                        continue;
                    }
                    Ins::Test1 {
                        op: k,
                        fail,
                        arg: a,
                    } => {
                        if let Some(pass) = fast::test1(&view!(), *k, rd!(*a)) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Test { op, fail, args } if args.len() <= 3 => {
                        let mut vals = [Word::NIL; 3];
                        for (v, s) in vals.iter_mut().zip(args.iter()) {
                            *v = rd!(*s);
                        }
                        if let Some(pass) = fast::test(&view!(), *op, &vals) {
                            pc = if pass { pc + 1 } else { *fail };
                            continue;
                        }
                    }
                    Ins::Select {
                        kind: k,
                        src,
                        fail,
                        table,
                        sorted,
                    } => {
                        if let Some(to) =
                            fast::select(&view!(), *k, rd!(*src), *fail, table, *sorted)
                        {
                            pc = to;
                            continue;
                        }
                    }
                    Ins::SelectInt {
                        src,
                        fail,
                        base,
                        labels,
                    } => {
                        pc = fast::select_int(rd!(*src), *base, labels, *fail);
                        continue;
                    }
                    Ins::GetElement { tuple, index, dst } => {
                        if let Some(v) = fast::element(&view!(), rd!(*tuple), *index as usize) {
                            wr!(*dst, v);
                            pc += 1;
                            continue;
                        }
                    }
                    // Straight onto the heap (`step`'s body gathers the
                    // elements first).
                    Ins::MakeTuple { dst, elems } => {
                        let at = proc.heap.words.len();
                        proc.heap
                            .words
                            .push(Word::header(kind::TUPLE, elems.len()).0);
                        for s in elems.iter() {
                            let v = rd!(*s);
                            proc.heap.words.push(v.0);
                        }
                        wr!(
                            *dst,
                            Word::boxed(Ptr {
                                area: 0,
                                offset: at
                            })
                        );
                        pc += 1;
                        continue;
                    }
                    // No test of the heap: a frame is on the stack, and the
                    // call that follows collects if the heap is due (a
                    // collection here only came a few instructions sooner,
                    // and its test cost every frame).
                    Ins::Allocate { slots: n, skip } => {
                        proc.st.push_frame(*n as usize);
                        pc += 1 + *skip;
                        continue;
                    }
                    Ins::Deallocate => {
                        proc.pop_frame();
                        pc += 1;
                        continue;
                    }
                    Ins::Call {
                        target: Target::Local(l),
                        ..
                    } if can_call!() => {
                        call_local!(false, *l);
                        continue;
                    }
                    Ins::TailCall {
                        target: Target::Local(l),
                        ..
                    } if can_call!() => {
                        call_local!(true, *l);
                        continue;
                    }
                    // A call to another module's code, its import resolved
                    // already (`Loaded::import`): what `step`'s `call` and
                    // `enter` do for it, without the round trip. Anything else
                    // (a native, a first call that resolves, a module loaded
                    // since this scheduler last caught up) goes to `step`.
                    Ins::Call {
                        target: Target::Import(i),
                        ..
                    }
                    | Ins::TailCall {
                        target: Target::Import(i),
                        ..
                    } if can_call!() => {
                        if let Some(Callee::Code(to_mod, entry)) = m.import(*i)
                            && (to_mod as usize) < self.modules.len()
                        {
                            call_local!(matches!(code[pc as usize], Ins::TailCall { .. }), entry);
                            if to_mod != mid {
                                switch!(to_mod);
                            }
                            continue;
                        }
                    }
                    Ins::Return => ret!(),
                    // Fused runs (`loader::fuse`). Each leaves `pc` at the
                    // instruction it could not do itself (a call that must
                    // yield or collect first, arithmetic beyond small
                    // integers or that raises), which then runs as it would
                    // have unfused.
                    Ins::ArithICall {
                        op,
                        tail,
                        dst,
                        to,
                        lhs,
                        rhs,
                        ..
                    } => {
                        let c = (rhs.0 as i64) >> 4;
                        if let Some(x) = rd!(*lhs).as_small()
                            && let Some(w) =
                                Word::small(if *op == ArithOp::Add { x + c } else { x - c })
                        {
                            wr!(*dst, w);
                            pc += 1;
                            if can_call!() {
                                call_local!(*tail, *to);
                            }
                            continue;
                        }
                    }
                    // A clause that ends in a comparison: the test and the
                    // return are one dispatch on small integers; anything
                    // else goes to `step` as the `lt` it was.
                    Ins::LtRet {
                        pass_ret,
                        lhs,
                        rhs,
                        ret,
                        ..
                    } => {
                        if let (Some(p), Some(q)) = (rd!(*lhs).as_small(), rd!(*rhs).as_small()) {
                            if p < q {
                                if !*pass_ret {
                                    pc += 1;
                                    continue;
                                }
                            } else {
                                xs[0] = rd!(*ret);
                            }
                            ret!();
                        }
                    }
                    Ins::Test1Pair { op, fail, a, b } => {
                        let (x, y) = (rd!(*a), rd!(*b));
                        // Integer guards on two small integers (smith's
                        // `max/2`, every call) pass with no jump on the
                        // kind of test.
                        if *op == TestOp::IsInteger
                            && x.as_small().is_some()
                            && y.as_small().is_some()
                        {
                            pc += 2;
                            continue;
                        }
                        if let (Some(p), Some(q)) =
                            (fast::test1(&view!(), *op, x), fast::test1(&view!(), *op, y))
                        {
                            pc = if p && q { pc + 2 } else { *fail };
                            continue;
                        }
                    }
                    // Every variant is named (no `_`): the match is then
                    // exhaustive, and the dispatch jumps through its table
                    // without first checking that the tag is in its range.
                    // These go to `step` (some only when a guard above
                    // failed); a new variant without an arm of its own
                    // belongs here.
                    Ins::Call { .. }
                    | Ins::TailCall { .. }
                    | Ins::CallFun { .. }
                    | Ins::CallFunLast { .. }
                    | Ins::Native { .. }
                    | Ins::SplitList { .. }
                    | Ins::FStore { .. }
                    | Ins::Arith { .. }
                    | Ins::Test { .. }
                    | Ins::Bif { .. }
                    | Ins::FNeg { .. }
                    | Ins::PutMap { .. }
                    | Ins::GetMap { .. }
                    | Ins::MakeFun { .. }
                    | Ins::BuildStacktrace { .. }
                    | Ins::Try { .. }
                    | Ins::TryEnd { .. }
                    | Ins::CatchEnd { .. }
                    | Ins::Raise { .. }
                    | Ins::Fail { .. }
                    | Ins::SelfPid(_)
                    | Ins::Send
                    | Ins::PeekMessage { .. }
                    | Ins::NextMessage { .. }
                    | Ins::RemoveMessage
                    | Ins::Wait { .. }
                    | Ins::RecvMark { .. }
                    | Ins::Spawn { .. } => {}
                }
                proc.reductions = reds;
                let flow = match native_flow {
                    Some(flow) => flow,
                    None => self.step_cold(proc, xs, m, pc),
                };
                reds = proc.reductions;
                // An instruction that goes on in this module (a send, a
                // receive's peek, a BIF) continues the loop here rather than
                // leaving it and coming back: a message-passing program runs
                // one such instruction every few.
                if proc.pending_exit.is_none() {
                    match flow {
                        Ok(Flow::Next) => {
                            pc += 1;
                            continue;
                        }
                        Ok(Flow::Goto(to)) => {
                            pc = to;
                            continue;
                        }
                        _ => {}
                    }
                }
                return (Stop::Step(flow), mid, pc);
            };
            mid = to;
            other = Some(self.handles[to as usize].clone());
        }
    }

    /// [`Worker::step`], from the loop of [`Worker::run_fast`]: marked
    /// cold so that the loop's register allocation favours its own arms.
    #[cold]
    #[inline(never)]
    fn step_cold(
        &mut self,
        proc: &mut Proc,
        xs: &mut Regs,
        m: &Arc<Loaded>,
        pc: u32,
    ) -> Result<Flow, Exception> {
        self.step(proc, xs, m, pc)
    }

    /// Runs the instruction at `pc` of `m` that the loop does not run
    /// itself (or not in the case at hand); the bodies are in the files
    /// of their kind of instruction.
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
        use ArithOp as A;
        use TestOp as T;
        let at = (m, pc);
        match &m.code[pc as usize] {
            // data.rs
            Ins::Move { src, dst } => self.mov(proc, xs, *src, *dst),
            Ins::Move2 { s1, d1, s2, d2 } => self.move2(proc, xs, pc, [(*s1, *d1), (*s2, *d2)]),
            // (What follows the moves is left to the instructions after them.)
            Ins::Moves { n, regs, .. } => {
                register_moves(proc, xs, &regs[..*n as usize]);
                Ok(Flow::Goto(pc + u32::from(*n)))
            }
            Ins::Swap { a, b } => self.swap(proc, xs, *a, *b),
            Ins::Jump(l) | Ins::LoopJump(l) => Ok(Flow::Goto(*l)),
            Ins::Select {
                kind,
                src,
                fail,
                table,
                sorted,
            } => self.select(proc, xs, *kind, *src, *fail, (table, *sorted)),
            Ins::SelectInt {
                src,
                fail,
                base,
                labels,
            } => Ok(Flow::Goto(fast::select_int(
                crate::vm::exec::regs::read(proc, xs, *src),
                *base,
                labels,
                *fail,
            ))),
            Ins::MakeTuple { dst, elems } => self.make_tuple(proc, xs, *dst, elems),
            // exceptions.rs
            Ins::BuildStacktrace { raw, dst } => self.build_stacktrace(proc, xs, *raw, *dst),
            Ins::GetElement { tuple, index, dst } => {
                self.get_element(proc, xs, *tuple, *index, *dst)
            }
            Ins::Cons { head, tail, dst } => self.cons(proc, xs, *head, *tail, *dst),
            Ins::SplitList { list, head, tail } => self.split_list(proc, xs, *list, *head, *tail),
            Ins::MakeFun { lambda, dst, free } => self.make_fun(proc, xs, m, *lambda, *dst, free),
            // frames.rs
            // (The run loop does every `allocate` itself; `step` never
            // sees one from there.)
            Ins::Allocate { slots, skip } => {
                proc.st.push_frame(*slots as usize);
                Ok(Flow::Goto(pc + 1 + *skip))
            }
            Ins::Deallocate => self.deallocate(proc),
            Ins::Trim { slots } => self.trim(proc, *slots),
            Ins::DeallocReturn => self.dealloc_return(proc),
            // (the move of a fused move and return: the return that follows returns)
            Ins::MoveReturn { src, dst, .. } => self.mov(proc, xs, *src, *dst),
            // compare.rs
            Ins::Test { op, fail, args } => self.test(proc, xs, *op, *fail, args),
            Ins::Test1 { op, fail, arg } => self.test1(proc, xs, *op, *fail, *arg),
            Ins::ListSplit { fail, list, .. } => {
                self.test1(proc, xs, T::IsNonemptyList, *fail, *list)
            }
            Ins::Test2 { op, fail, lhs, rhs } => self.test2(proc, xs, *op, *fail, *lhs, *rhs),
            Ins::Lt { fail, lhs, rhs } | Ins::LtRet { fail, lhs, rhs, .. } => {
                self.test2(proc, xs, T::Lt, *fail, *lhs, *rhs)
            }
            Ins::LtI { fail, lhs, rhs } => self.test2(proc, xs, T::Lt, *fail, *lhs, Src::C(*rhs)),
            Ins::GeI { fail, lhs, rhs } => self.test2(proc, xs, T::Ge, *fail, *lhs, Src::C(*rhs)),
            Ins::Element {
                dst,
                fail,
                import,
                index,
                tuple,
                native,
            } => self.bif(
                proc,
                xs,
                at,
                Some(*native),
                (*import, *fail),
                &[*index, *tuple],
                *dst,
            ),
            Ins::GtI { fail, lhs, rhs } => self.test2(proc, xs, T::Lt, *fail, Src::C(*rhs), *lhs),
            Ins::LeI { fail, lhs, rhs } => self.test2(proc, xs, T::Ge, *fail, Src::C(*rhs), *lhs),
            Ins::Ge { fail, lhs, rhs } => self.test2(proc, xs, T::Ge, *fail, *lhs, *rhs),
            Ins::EqExact { fail, lhs, rhs } => self.test2(proc, xs, T::EqExact, *fail, *lhs, *rhs),
            Ins::NeExact { fail, lhs, rhs } => self.test2(proc, xs, T::NeExact, *fail, *lhs, *rhs),
            Ins::Arith {
                op,
                fail,
                lhs,
                rhs,
                dst,
            } => self.arith(proc, xs, *op, *fail, *lhs, *rhs, *dst),
            Ins::Add {
                fail,
                lhs,
                rhs,
                dst,
            } => self.arith(proc, xs, A::Add, *fail, *lhs, *rhs, *dst),
            Ins::AddI {
                fail,
                lhs,
                rhs,
                dst,
            } => self.arith(proc, xs, A::Add, *fail, *lhs, Src::C(*rhs), *dst),
            Ins::SubI {
                fail,
                lhs,
                rhs,
                dst,
            } => self.arith(proc, xs, A::Sub, *fail, *lhs, Src::C(*rhs), *dst),
            Ins::Sub {
                fail,
                lhs,
                rhs,
                dst,
            } => self.arith(proc, xs, A::Sub, *fail, *lhs, *rhs, *dst),
            // calls.rs (the move of a fused move and call: the call that follows makes the call)
            Ins::Call { arity, target } => self.call(proc, xs, at, *arity, *target, false),
            Ins::TailCall { arity, target } => self.call(proc, xs, at, *arity, *target, true),
            Ins::MoveCall { src, dst, .. } => self.mov(proc, xs, *src, *dst),
            Ins::Move2Call { s1, d1, s2, d2, .. }
            | Ins::Move2DeallocTail { s1, d1, s2, d2, .. } => {
                self.move2(proc, xs, pc, [(*s1, *d1), (*s2, *d2)])
            }
            Ins::CallFun {
                kind,
                arity,
                fun,
                tail,
            } => self.call_fun(proc, xs, at, *kind, *arity, *fun, *tail),
            Ins::CallFunLast { kind, arity, fun } => {
                self.call_fun_last(proc, xs, at, *kind, *arity, *fun)
            }
            Ins::Return => Ok(Flow::Return),
            // (The arithmetic of a fused arithmetic and call: the call that
            // follows makes the call.)
            Ins::ArithICall {
                op,
                fail,
                lhs,
                rhs,
                dst,
                ..
            } => self.arith(proc, xs, *op, *fail, *lhs, Src::C(*rhs), *dst),
            Ins::Test1Pair { op, fail, a, b } => match self.test1(proc, xs, *op, *fail, *a)? {
                Flow::Next => match self.test1(proc, xs, *op, *fail, *b)? {
                    Flow::Next => Ok(Flow::Goto(pc + 2)),
                    f => Ok(f),
                },
                f => Ok(f),
            },
            Ins::Bif {
                import,
                fail,
                args,
                dst,
            } => self.bif(proc, xs, at, None, (*import, *fail), args, *dst),
            Ins::Native {
                native,
                import,
                fail,
                args,
                dst,
                ..
            } => self.bif(proc, xs, at, Some(*native), (*import, *fail), args, *dst),
            // binaries.rs
            Ins::BsMatch {
                op,
                import,
                fail,
                ctx,
                dst,
                native,
            } => self.bs_match(proc, xs, m, (*op, *native), *import, *fail, *ctx, *dst),
            // floats.rs
            Ins::FLoad { src, dst } => self.fload(proc, xs, *src, *dst),
            Ins::FStore { src, dst } => self.fstore(proc, xs, *src, *dst),
            Ins::FArith {
                op,
                fail,
                lhs,
                rhs,
                dst,
            } => self.farith(xs, *op, *fail, (*lhs, *rhs), *dst),
            Ins::FNeg { src, dst, .. } => self.fneg(xs, *src, *dst),
            // maps.rs
            Ins::PutMap {
                kind,
                fail,
                src,
                dst,
                pairs,
            } => self.put_map(proc, xs, *kind, *fail, *src, *dst, pairs),
            Ins::GetMap { fail, src, pairs } => self.get_map(proc, xs, *fail, *src, pairs),
            // exceptions.rs
            Ins::Try { slot, label } => self.try_(proc, xs, m, *slot, *label),
            Ins::TryEnd { slot, landing } => self.try_end(proc, xs, *slot, *landing),
            Ins::CatchEnd { slot } => self.catch_end(proc, xs, *slot),
            Ins::Raise {
                class,
                reason,
                trace,
                goes_on,
            } => self.raise(proc, xs, (*class, *reason, *trace), *goes_on),
            Ins::Fail { kind, value } => self.fail(proc, xs, at, *kind, *value),
            // messages.rs
            Ins::SelfPid(d) => self.self_pid(proc, xs, *d),
            Ins::Send => self.send(proc, xs),
            Ins::PeekMessage { label, dst } => self.peek_message(proc, xs, *label, *dst),
            Ins::NextMessage { label } => self.next_message(proc, *label),
            Ins::RemoveMessage => self.remove_message(proc),
            Ins::Wait { label, timeout } => self.wait(proc, xs, *label, *timeout),
            Ins::RecvMark { kind, dst } => self.recv_mark(proc, xs, *kind, *dst),
            Ins::Spawn { kind, arity } => self.spawn(proc, xs, *kind, *arity),
        }
    }
}

/// The moves of an `Ins::Moves`, out of the run loop: inline, its loop
/// took registers from the rest of the loop (fib, which runs none, was 12%
/// slower on the profile-guided build).
#[inline(never)]
fn register_moves(proc: &mut Proc, xs: &mut Regs, regs: &[(Reg, Reg)]) {
    let (stack, base) = (&mut proc.st.stack, proc.st.y_base);
    for &(Reg(s), Reg(d)) in regs {
        let v = if s < Reg::Y {
            xs[s as usize]
        } else {
            stack[base + (s & !Reg::Y) as usize]
        };
        if d < Reg::Y {
            xs[d as usize] = v;
        } else {
            stack[base + (d & !Reg::Y) as usize] = v;
        }
    }
}
