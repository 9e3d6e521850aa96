//! The verifier: what the validator cannot see from one instruction at a
//! time. It follows every path through every function, as the JVM's and
//! WebAssembly's verifiers do, and proves what the interpreter takes for
//! granted without checking on each instruction: that `y` slots exist,
//! that frames are pushed and popped in pairs, that exception handlers nest
//! inside their frame, that no path runs off the end of its function, that
//! every `x` register is written before it is read (a register file is
//! shared by the processes a scheduler runs, so an unwritten register holds
//! another process's word, and one a collection left behind points into a
//! heap that is gone), that float registers, which hold raw `f64` bits, are
//! never read as terms, and that counts match the operands they count. Its
//! contract: a module that
//! validates and verifies can never panic or corrupt the VM. The rules are
//! listed in `docs/isa.md`, "Verification".

use crate::lam::isa::{
    FAIL_KINDS, FLOAT_REG_BASE, FUN_KINDS, LamOp, MARK_KINDS, Operand, Shape, TEST_KINDS, X_REGS,
    Y_REGS,
};
use crate::lam::module::{Function, Module, ValidationError};

/// The most arguments a call passes, as on the BEAM.
pub const MAX_ARITY: u32 = 255;

/// What is known about the machine before an instruction, on every path
/// that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    /// The frame.
    frame: Frame,
    /// The `y` slots of the exception handlers installed, oldest first;
    /// None when paths that meet disagree.
    tries: Option<Vec<Try>>,
    /// The `x` registers (below the float registers) written on every
    /// path since the function's entry, and not made stale since by a
    /// call, a wait or a collection.
    x: Defined,
    /// x0 may hold the marker of a caught exception (at a landing pad,
    /// with the exception in x1..x3, valid wherever x0 holds the marker):
    /// only `catch_end` may read it, and nothing may make x1..x3 stale
    /// while x0 is kept.
    caught: bool,
}

/// A set of `x` registers, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Defined([u64; FLOAT_REG_BASE as usize / 64]);

impl Defined {
    const NONE: Defined = Defined([0; FLOAT_REG_BASE as usize / 64]);

    /// x0..x(n-1).
    fn first(n: u32) -> Defined {
        let mut d = Defined::NONE;
        for r in 0..n.min(u32::from(FLOAT_REG_BASE)) {
            d.set(r);
        }
        d
    }

    fn has(&self, r: u32) -> bool {
        self.0[r as usize / 64] & 1 << (r % 64) != 0
    }

    fn set(&mut self, r: u32) {
        self.0[r as usize / 64] |= 1 << (r % 64);
    }

    fn and(&self, other: &Defined) -> Defined {
        let mut d = *self;
        for (a, b) in d.0.iter_mut().zip(other.0) {
            *a &= b;
        }
        d
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    None,
    /// A frame of at least this many slots (paths that meet may have
    /// trimmed theirs differently).
    Slots(u32),
    /// Paths that meet disagree: shared code that only raises (the BEAM
    /// shares one `case_clause` block among places with different frames)
    /// is fine, anything that touches the frame is not.
    Unknown,
}

/// An exception handler: its `y` slot, and whether only some paths
/// installed it (the landing pad that fall-through code also reaches,
/// before its `catch_end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Try {
    slot: u32,
    maybe: bool,
}

impl State {
    /// At a function's start and entry: its arguments in x0..x(arity-1).
    fn entry(arity: u32) -> State {
        State {
            frame: Frame::None,
            tries: Some(Vec::new()),
            x: Defined::first(arity),
            caught: false,
        }
    }

    /// The state that holds on both of two paths that meet.
    fn join(&self, other: &State) -> State {
        let frame = match (self.frame, other.frame) {
            (a, b) if a == b => a,
            // Shared code may read the slots both frames have.
            (Frame::Slots(a), Frame::Slots(b)) => Frame::Slots(a.min(b)),
            _ => Frame::Unknown,
        };
        let tries = match (&self.tries, &other.tries) {
            (Some(a), Some(b)) => join_tries(a, b),
            _ => None,
        };
        State {
            frame,
            tries,
            x: self.x.and(&other.x),
            caught: self.caught || other.caught,
        }
    }

    fn frame_slots(&self) -> Result<u32, String> {
        match self.frame {
            Frame::Slots(n) => Ok(n),
            Frame::None => Err("no frame".into()),
            Frame::Unknown => Err("paths with different frames meet here".into()),
        }
    }

    fn tries(&self) -> Result<&Vec<Try>, String> {
        self.tries
            .as_ref()
            .ok_or_else(|| "paths with different exception handlers meet here".into())
    }
}

/// Handlers where two paths meet: one list must extend the other (those
/// only some paths installed are `maybe`); None when they disagree.
fn join_tries(a: &[Try], b: &[Try]) -> Option<Vec<Try>> {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut tries = long.to_vec();
    for (i, t) in tries.iter_mut().enumerate() {
        match short.get(i) {
            Some(s) if s.slot == t.slot => t.maybe |= s.maybe,
            Some(_) => return None,
            None => t.maybe = true,
        }
    }
    Some(tries)
}

/// Verifies every function of a validated module.
pub fn verify(m: &Module) -> Result<(), ValidationError> {
    let n = m.code.len() as u32;
    for l in &m.lambdas {
        let f = &m.functions[l.function as usize];
        if f.arity < l.num_free {
            return Err(ValidationError {
                pc: Some(f.start),
                message: format!(
                    "a lambda of {} captures {} values but its function takes {}",
                    fname(m, f),
                    l.num_free,
                    f.arity
                ),
            });
        }
    }
    let targets = branch_targets(m);
    let returns = returning(m);
    let landings = try_landings(m);
    for (i, f) in m.functions.iter().enumerate() {
        let end = m.functions.get(i + 1).map_or(n, |g| g.start);
        Walk {
            m,
            f,
            targets: &targets,
            returns: &returns,
            landings: &landings,
            start: f.start,
            end,
            states: vec![None; (end - f.start) as usize],
            work: Vec::new(),
        }
        .run()
        .map_err(|(pc, message)| ValidationError {
            pc: Some(pc),
            message: format!("{}: {message}", fname(m, f)),
        })?;
    }
    Ok(())
}

fn fname(m: &Module, f: &Function) -> String {
    format!("{}/{}", m.atoms[f.name as usize], f.arity)
}

type Fail = (u32, String);

/// The walk over one function's instructions, `start..end`.
struct Walk<'a> {
    m: &'a Module,
    f: &'a Function,
    /// [`branch_targets`].
    targets: &'a [bool],
    /// [`returning`].
    returns: &'a [bool],
    /// [`try_landings`].
    landings: &'a [bool],
    start: u32,
    end: u32,
    states: Vec<Option<State>>,
    work: Vec<u32>,
}

impl Walk<'_> {
    fn run(mut self) -> Result<(), Fail> {
        // Calls enter at the entry; jumps (a failed clause) reach the start.
        let entry = State::entry(self.f.arity);
        self.reach(self.f.entry, entry.clone(), self.f.entry)?;
        self.reach(self.f.start, entry, self.f.start)?;
        while let Some(pc) = self.work.pop() {
            let s = self.states[(pc - self.start) as usize]
                .clone()
                .expect("reached");
            self.step(pc, s)?;
        }
        Ok(())
    }

    /// Notes that `pc` is reached in state `s` (from `from`).
    fn reach(&mut self, pc: u32, mut s: State, from: u32) -> Result<(), Fail> {
        if pc < self.start || pc >= self.end {
            return Err((from, format!("control leaves the function (to {pc})")));
        }
        // A try's landing pad reached by ordinary control flow, its handler
        // still installed: code the compiler knew no call gets back to (by
        // types the .lam does not keep: a local function that always
        // fails, erlang:raise/3 of a class). The interpreter's try_end
        // there, removing the live handler, empties x1..x3, which the pad
        // reads as the exception.
        if self.landings[pc as usize]
            && !s.caught
            && let Operand::Y(y) = self.m.args(&self.m.code[pc as usize])[0]
            && matches!(s.tries.as_deref(), Some([.., t]) if t.slot == u32::from(y) && !t.maybe)
        {
            (1..4).for_each(|r| s.x.set(r));
        }
        let slot = &mut self.states[(pc - self.start) as usize];
        let joined = match slot {
            None => s,
            Some(old) => {
                let j = old.join(&s);
                if j == *old {
                    return Ok(());
                }
                j
            }
        };
        *slot = Some(joined);
        self.work.push(pc);
        Ok(())
    }

    fn label(&mut self, o: &Operand, s: &State, pc: u32) -> Result<(), Fail> {
        match o {
            Operand::Label(l) => self.reach(*l, s.clone(), pc),
            _ => Ok(()),
        }
    }

    fn step(&mut self, pc: u32, mut s: State) -> Result<(), Fail> {
        let ins = &self.m.code[pc as usize];
        let a = self.m.args(ins);
        let err = |m: String| Err((pc, m));
        // Every register operand, read or written, must exist.
        for (shape, o) in ins.op.info().shapes.iter().zip(a) {
            each_register(*shape, o, &mut |r| y_in_frame(r, &s)).map_err(|m| (pc, m))?;
        }
        // A handler's slot holds its marker until `try_end`/`catch_end`.
        if !matches!(ins.op, LamOp::TryEnd | LamOp::CatchEnd | LamOp::Try) {
            for (shape, o) in ins.op.info().shapes.iter().zip(a) {
                let written = match (ins.op, shape) {
                    (LamOp::RecvMark, _) => kind(&a[0], MARK_KINDS) != "use",
                    (_, Shape::Dst | Shape::SrcDsts) => true,
                    _ => false,
                };
                if written {
                    written_register(*shape, o, &mut |r| match r {
                        Operand::Y(y) => {
                            if s.tries()?.iter().any(|t| t.slot == *y as u32) {
                                return Err(format!(
                                    "y{y} holds an exception handler and cannot be written"
                                ));
                            }
                            Ok(())
                        }
                        _ => Ok(()),
                    })
                    .map_err(|m| (pc, m))?;
                }
            }
        }
        self.reads(ins.op, a, &s).map_err(|m| (pc, m))?;
        let mut falls = true;
        match ins.op {
            LamOp::Allocate => {
                let slots = num(&a[0]);
                if s.frame != Frame::None {
                    return err("allocate where a frame may be allocated already".into());
                }
                if slots > Y_REGS {
                    return err(format!("a frame of {slots} slots (at most {Y_REGS})"));
                }
                s.frame = Frame::Slots(slots);
            }
            LamOp::Deallocate => {
                s.frame_slots()
                    .map_err(|m| (pc, format!("deallocate: {m}")))?;
                no_handlers(&s, "deallocate").map_err(|m| (pc, m))?;
                s.frame = Frame::None;
            }
            LamOp::Trim => {
                let n = num(&a[0]);
                let size = s.frame_slots().map_err(|m| (pc, format!("trim: {m}")))?;
                if n > size {
                    return err(format!("trim {n} of a frame of {size}"));
                }
                no_handlers(&s, "trim").map_err(|m| (pc, m))?;
                s.frame = Frame::Slots(size - n);
            }
            LamOp::Jump => {
                self.label(&a[0], &s, pc)?;
                falls = false;
            }
            LamOp::Test => {
                let k = kind(&a[0], TEST_KINDS);
                let count = match &a[2] {
                    Operand::List(l) => l.len(),
                    _ => 0,
                };
                let want = match k {
                    "test_arity" | "is_function2" => 2,
                    "is_tagged_tuple" => 3,
                    "lt" | "ge" | "eq" | "ne" | "eq_exact" | "ne_exact" => 2,
                    _ => 1,
                };
                if count != want {
                    return err(format!("test {k} takes {want} operands, not {count}"));
                }
                if a[1] == Operand::NoLabel {
                    return err("test needs a label".into());
                }
                self.label(&a[1], &s, pc)?;
            }
            LamOp::Select => {
                self.label(&a[2], &s, pc)?;
                // That the values are constants is the validator's rule
                // (the loader needs it in unreachable code too).
                if let Operand::List(pairs) = &a[3] {
                    for p in pairs.chunks(2) {
                        self.label(&p[1], &s, pc)?;
                    }
                }
                falls = false;
            }
            LamOp::Call | LamOp::TailCall => {
                let n = num(&a[0]);
                self.call_target(n, &a[1]).map_err(|m| (pc, m))?;
                if ins.op == LamOp::TailCall {
                    leaving(&s, "tail_call").map_err(|m| (pc, m))?;
                    falls = false;
                }
                // The code after a call that only raises (as the compiler
                // lays it out, the next block's label) is not its return.
                if !self.may_return(pc, &a[1]) {
                    falls = false;
                }
            }
            LamOp::CallFun | LamOp::TailCallFun => {
                let n = num(&a[1]);
                let apply = kind(&a[0], FUN_KINDS) == "apply";
                if n > MAX_ARITY || apply && n + 2 > X_REGS {
                    return err(format!("a call with {n} arguments (at most {MAX_ARITY})"));
                }
                if ins.op == LamOp::TailCallFun {
                    leaving(&s, "tail_call_fun").map_err(|m| (pc, m))?;
                    falls = false;
                }
            }
            LamOp::Return => {
                leaving(&s, "return").map_err(|m| (pc, m))?;
                falls = false;
            }
            LamOp::Bif => {
                let count = list_len(&a[2]);
                if let Operand::Import(i) = a[0] {
                    let arity = self.m.imports[i as usize].arity;
                    if arity as usize != count {
                        return err(format!("bif of arity {arity} given {count} operands"));
                    }
                }
                self.label(&a[1], &s, pc)?;
            }
            LamOp::Arith | LamOp::PutMap => self.label(&a[1], &s, pc)?,
            LamOp::GetMap | LamOp::PeekMessage => self.label(&a[0], &s, pc)?,
            LamOp::NextMessage => {
                self.label(&a[0], &s, pc)?;
                falls = false;
            }
            LamOp::MakeFun => {
                let i = num(&a[0]);
                let Some(l) = self.m.lambdas.get(i as usize) else {
                    return err(format!("make_fun of lambda {i}, which does not exist"));
                };
                let count = list_len(&a[2]);
                if count != l.num_free as usize {
                    return err(format!(
                        "make_fun of lambda {i} with {count} values; it captures {}",
                        l.num_free
                    ));
                }
            }
            LamOp::MakeTuple if list_len(&a[1]) > MAX_TUPLE => {
                return err("a tuple of more than 16,777,215 elements".into());
            }
            LamOp::Try => {
                let Operand::Y(y) = a[0] else {
                    return err("try's handler must be in a y slot".into());
                };
                let y = y as u32;
                let mut tries = s.tries().map_err(|m| (pc, m))?.clone();
                if tries.iter().any(|t| t.slot == y) {
                    return err(format!("y{y} holds a handler already"));
                }
                // An exception lands with this handler and newer ones gone,
                // and with no register but the exception's.
                let landing = State {
                    x: Defined::first(4),
                    caught: true,
                    ..s.clone()
                };
                self.label(&a[1], &landing, pc)?;
                tries.push(Try {
                    slot: y,
                    maybe: false,
                });
                s.tries = Some(tries);
            }
            LamOp::TryEnd | LamOp::CatchEnd => {
                let Operand::Y(y) = a[0] else {
                    return err(format!("{}'s handler must be in a y slot", ins.op.name()));
                };
                let y = y as u32;
                let mut tries = s.tries().map_err(|m| (pc, m))?.clone();
                match tries.iter().position(|t| t.slot == y) {
                    Some(i) if i + 1 == tries.len() => {
                        tries.pop();
                        s.tries = Some(tries);
                    }
                    Some(_) => return err(format!("the handler in y{y} is not the newest")),
                    // At a landing pad the handler is gone already.
                    None => {}
                }
            }
            LamOp::Fail => falls = false,
            LamOp::Raise => falls = raise_goes_on(self.m, self.targets, pc),
            // A receive that waits forever has no timeout path.
            LamOp::Wait => {
                // Waiting keeps no register (nor do other processes run
                // in between leave them alone).
                (s.x, s.caught) = (Defined::NONE, false);
                self.label(&a[0], &s, pc)?;
                falls = !matches!(a[1], Operand::Atom(i)
                    if &*self.m.atoms[i as usize] == "infinity");
            }
            LamOp::Spawn => {
                let n = num(&a[1]);
                if !(1..=4).contains(&n) {
                    return err(format!(
                        "spawn with {n} arguments (erlang:spawn takes 1 to 4)"
                    ));
                }
            }
            _ => {}
        }
        if falls {
            written(ins.op, a, &mut s).map_err(|m| (pc, m))?;
            if pc + 1 >= self.end {
                return err("control runs off the end of the function".into());
            }
            self.reach(pc + 1, s, pc)?;
        }
        Ok(())
    }

    /// Checks the `x` registers instruction `op` (operands `a`) reads in
    /// state `s`, named or implied: each must be written on every path
    /// that reaches it, and x0 must not be a caught exception's marker
    /// (but for `catch_end`, which turns it into a value). Float registers
    /// appear only where the interpreter takes them for raw floats.
    fn reads(&self, op: LamOp, a: &[Operand], s: &State) -> Result<(), String> {
        self.float_registers(op, a)?;
        let read = |r: u32| -> Result<(), String> {
            if r >= u32::from(FLOAT_REG_BASE) {
                return Ok(());
            }
            if !s.x.has(r) {
                return Err(format!(
                    "x{r} is read where a path reaches it unwritten (or made stale by a call, a wait or a collection)"
                ));
            }
            if r == 0 && s.caught && op != LamOp::CatchEnd {
                return Err(
                    "x0 is read where it may hold a caught exception (only catch_end reads it then)"
                        .into(),
                );
            }
            Ok(())
        };
        let operand = |o: &Operand| match o {
            Operand::X(r) => read(u32::from(*r)),
            _ => Ok(()),
        };
        for (shape, o) in op.info().shapes.iter().zip(a) {
            match (shape, o) {
                // A wait's timeout is only compared with `infinity` and
                // small integers, never followed, and it is read again
                // when a message wakes a receive with no clauses (whose
                // wait is its own label) after the wait made it stale.
                (Shape::Src, _) if op == LamOp::Wait => {}
                (Shape::Src, _) => operand(o)?,
                (Shape::Dst, _) if op == LamOp::Swap => operand(o)?,
                (Shape::Srcs | Shape::SrcSrcs, Operand::List(l)) => {
                    l.iter().try_for_each(operand)?
                }
                (Shape::SrcLabels | Shape::SrcDsts, Operand::List(l)) => {
                    l.chunks(2).try_for_each(|p| operand(&p[0]))?
                }
                _ => {}
            }
        }
        // What the instruction reads without naming it.
        let implied = match op {
            // (Too many arguments is an error of its own.)
            LamOp::Call | LamOp::TailCall if num(&a[0]) > MAX_ARITY => 0,
            LamOp::Call | LamOp::TailCall => num(&a[0]),
            LamOp::Spawn if num(&a[1]) > 4 => 0,
            LamOp::Spawn => num(&a[1]),
            LamOp::CallFun | LamOp::TailCallFun => {
                let n = num(&a[1]).min(MAX_ARITY);
                if kind(&a[0], FUN_KINDS) == "apply" {
                    n + 2
                } else {
                    n
                }
            }
            LamOp::Return | LamOp::CatchEnd => 1,
            LamOp::Send => 2,
            LamOp::Allocate => {
                let live = num(&a[1]);
                if live > u32::from(FLOAT_REG_BASE) {
                    return Err(format!(
                        "allocate keeping {live} x registers (at most {FLOAT_REG_BASE})"
                    ));
                }
                live
            }
            // The function's arguments go into the exception.
            LamOp::Fail if kind(&a[0], FAIL_KINDS) == "function_clause" => self.f.arity,
            _ => 0,
        };
        (0..implied).try_for_each(read)
    }

    /// Float registers (`x1024` and up) hold raw `f64` bits, never terms:
    /// they may be moved (to or from a term register, which boxes or
    /// unboxes), operated on by `arith` whose operands and result are all
    /// float registers, and filled by `bif` as `erlang:float/1` of a term
    /// or `erlang:'-'/1` of a float register (the BEAM's `fconv` and
    /// `fnegate`); anywhere else one would be read as a term.
    fn float_registers(&self, op: LamOp, a: &[Operand]) -> Result<(), String> {
        let float = |o: &Operand| matches!(o, Operand::X(r) if *r >= FLOAT_REG_BASE);
        let mut any = None;
        for (shape, o) in op.info().shapes.iter().zip(a) {
            let _ = each_register(*shape, o, &mut |r| {
                if float(r) && any.is_none() {
                    any = Some(r.clone());
                }
                Ok(())
            });
        }
        let Some(Operand::X(r)) = any else {
            return Ok(());
        };
        let allowed = match op {
            LamOp::Move => true,
            LamOp::Arith => float(&a[2]) && float(&a[3]) && float(&a[4]),
            LamOp::Bif if float(&a[3]) => {
                let arg = match &a[2] {
                    Operand::List(l) if l.len() == 1 => &l[0],
                    _ => &Operand::Nil,
                };
                let want = if float(arg) { "-" } else { "float" };
                match a[0] {
                    Operand::Import(i) => {
                        let imp = &self.m.imports[i as usize];
                        imp.arity == 1
                            && &*self.m.atoms[imp.module as usize] == "erlang"
                            && &*self.m.atoms[imp.function as usize] == want
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if allowed {
            return Ok(());
        }
        Err(format!(
            "x{r} is a float register, which only move, arith on float registers and bif erlang:float/1 or erlang:'-'/1 into one may use"
        ))
    }

    /// Whether the call at `pc` to `t` may return.
    fn may_return(&self, pc: u32, t: &Operand) -> bool {
        match t {
            // erlang:raise/3 of a class returns nothing (of anything else,
            // badarg).
            Operand::Import(i) if raise_3(self.m, *i) => {
                !known_class(self.m, self.targets, pc, &Operand::X(0))
            }
            Operand::Import(i) => !no_return(self.m, *i),
            Operand::Label(l) => self.m.function_at(*l).is_none_or(|f| {
                let i = self.m.functions.partition_point(|g| g.start < f.start);
                self.returns[i]
            }),
            _ => true,
        }
    }

    /// A call of `n` arguments to `t`: an import of that arity, or the
    /// start or entry of a local function of that arity.
    fn call_target(&self, n: u32, t: &Operand) -> Result<(), String> {
        if n > MAX_ARITY {
            return Err(format!("a call with {n} arguments (at most {MAX_ARITY})"));
        }
        let arity = match t {
            Operand::Import(i) => self.m.imports[*i as usize].arity,
            Operand::Label(l) => {
                let f = self
                    .m
                    .function_at(*l)
                    .filter(|f| f.entry == *l || f.start == *l);
                let Some(f) = f else {
                    return Err(format!("a call to {l}, which is no function's entry"));
                };
                f.arity
            }
            _ => return Ok(()),
        };
        if arity != n {
            return Err(format!(
                "a call with {n} arguments to a function of arity {arity}"
            ));
        }
        Ok(())
    }
}

/// The `try_end`s that are the landing pads of their `try`s (the BEAM's
/// `try_case`): reached by an exception, their `try` handler is gone and
/// x1..x3 hold the exception.
pub fn try_landings(m: &Module) -> Vec<bool> {
    let mut t = vec![false; m.code.len()];
    for ins in m.code.iter().filter(|i| i.op == LamOp::Try) {
        let a = m.args(ins);
        if let Operand::Label(l) = a[1]
            && let Some(pad) = m.code.get(l as usize)
            && pad.op == LamOp::TryEnd
            && m.args(pad)[0] == a[0]
        {
            t[l as usize] = true;
        }
    }
    t
}

/// Which instructions a label names, or a function starts or is entered
/// at: where control arrives other than from the instruction before.
pub fn branch_targets(m: &Module) -> Vec<bool> {
    let mut t = vec![false; m.code.len()];
    let mut mark = |l: u32| {
        if let Some(b) = t.get_mut(l as usize) {
            *b = true;
        }
    };
    for f in &m.functions {
        mark(f.start);
        mark(f.entry);
    }
    for o in &m.operands {
        match o {
            Operand::Label(l) => mark(*l),
            Operand::List(items) => items.iter().for_each(|o| {
                if let Operand::Label(l) = o {
                    mark(*l)
                }
            }),
            _ => {}
        }
    }
    t
}

/// Whether the `raise` at `pc` goes on to the next instruction when its
/// class is no class (as `erlang:raise/3` then returns `badarg`, and erl's
/// `raw_raise` goes on with it in x0). The compiler puts the code that
/// takes that value right after it, unlabelled; a raise it knows raises
/// ends its block, and what follows is another block's label or another
/// function. There the interpreter raises `badarg` instead, so control
/// never reaches code the verifier did not follow from the raise.
pub fn raise_goes_on(m: &Module, targets: &[bool], pc: u32) -> bool {
    let a = m.args(&m.code[pc as usize]);
    if known_class(m, targets, pc, &a[0]) {
        return false;
    }
    let next = pc as usize + 1;
    // (A function's start is a target too.)
    next < m.code.len() && !targets[next]
}

/// Whether operand `o` of the instruction at `pc` is an exception class
/// (`error`, `exit` or `throw`): an atom, or a register the instruction
/// before (with no other way in) set to one.
fn known_class(m: &Module, targets: &[bool], pc: u32, o: &Operand) -> bool {
    let class = |o: &Operand| {
        matches!(o, Operand::Atom(a)
            if matches!(&*m.atoms[*a as usize], "error" | "exit" | "throw"))
    };
    if class(o) {
        return true;
    }
    if pc == 0 || targets[pc as usize] || !matches!(o, Operand::X(_)) {
        return false;
    }
    let before = &m.code[pc as usize - 1];
    let b = m.args(before);
    before.op == LamOp::Move && b[1] == *o && class(&b[0])
}

/// Which functions may return to their caller: those with a `return`, a
/// `tail_call_fun`, or a tail call of an import or a function that may
/// return, found by iterating to a fixed point. Every instruction counts,
/// reachable or not, so a function is never taken for one that does not
/// return when it does.
fn returning(m: &Module) -> Vec<bool> {
    let n = m.code.len() as u32;
    let index = |l: u32| {
        m.function_at(l)
            .map(|f| m.functions.partition_point(|g| g.start < f.start))
    };
    let mut returns = vec![false; m.functions.len()];
    loop {
        let mut changed = false;
        for (i, f) in m.functions.iter().enumerate() {
            if returns[i] {
                continue;
            }
            let end = m.functions.get(i + 1).map_or(n, |g| g.start);
            let r = m.code[f.start as usize..end as usize].iter().any(|ins| {
                let a = m.args(ins);
                match ins.op {
                    LamOp::Return | LamOp::TailCallFun => true,
                    LamOp::TailCall => match a[1] {
                        Operand::Import(i) => !no_return(m, i),
                        Operand::Label(l) => index(l).is_none_or(|g| returns[g]),
                        _ => true,
                    },
                    _ => false,
                }
            });
            if r {
                returns[i] = true;
                changed = true;
            }
        }
        if !changed {
            return returns;
        }
    }
}

fn raise_3(m: &Module, i: u32) -> bool {
    let imp = &m.imports[i as usize];
    &*m.atoms[imp.module as usize] == "erlang"
        && &*m.atoms[imp.function as usize] == "raise"
        && imp.arity == 3
}

/// Imports that never return: the `erlang` functions that only raise.
fn no_return(m: &Module, i: u32) -> bool {
    let imp = &m.imports[i as usize];
    &*m.atoms[imp.module as usize] == "erlang"
        && matches!(
            (&*m.atoms[imp.function as usize], imp.arity),
            ("error", 1..=3) | ("exit", 1) | ("throw", 1) | ("nif_error", 1..=2)
        )
}

/// The registers after instruction `op` (operands `a`), on its way to the
/// next instruction (its fail label, if any, sees them as they were).
fn written(op: LamOp, a: &[Operand], s: &mut State) -> Result<(), String> {
    let mut write = |o: &Operand| {
        if let Operand::X(r) = o
            && *r < FLOAT_REG_BASE
        {
            s.x.set(u32::from(*r));
            if *r == 0 {
                s.caught = false;
            }
        }
    };
    for (shape, o) in op.info().shapes.iter().zip(a) {
        match (shape, o) {
            (Shape::Dst, _) => match op {
                // A handler's slot (a y slot), a receive mark's register
                // (written only by `reserve`).
                LamOp::Try | LamOp::TryEnd | LamOp::CatchEnd => {}
                LamOp::RecvMark if kind(&a[0], MARK_KINDS) != "reserve" => {}
                _ => write(o),
            },
            (Shape::SrcDsts, Operand::List(l)) => l.chunks(2).for_each(|p| write(&p[1])),
            _ => {}
        }
    }
    match op {
        // The callee may have collected, or yielded to other processes,
        // keeping only its arguments: the result is all there is.
        LamOp::Call | LamOp::CallFun => {
            (s.x, s.caught) = (Defined::first(1), false);
        }
        LamOp::Send | LamOp::Spawn | LamOp::CatchEnd | LamOp::Raise => {
            s.x.set(0);
            s.caught = false;
        }
        // A collection here keeps the first `live` registers only.
        LamOp::Allocate => {
            let live = num(&a[1]);
            if s.caught && (1..4).contains(&live) {
                return Err(format!(
                    "allocate keeping {live} x registers where x0 may hold a caught exception (x1..x3 would go stale)"
                ));
            }
            s.x = s.x.and(&Defined::first(live));
            if live == 0 {
                s.caught = false;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The largest tuple, as on the BEAM.
pub const MAX_TUPLE: usize = (1 << 24) - 1;

fn num(o: &Operand) -> u32 {
    match o {
        Operand::Num(n) => *n,
        _ => 0,
    }
}

fn kind(o: &Operand, words: &[&'static str]) -> &'static str {
    match o {
        Operand::Kind(k) => words.get(*k as usize).copied().unwrap_or(""),
        _ => "",
    }
}

fn list_len(o: &Operand) -> usize {
    match o {
        Operand::List(l) => l.len(),
        _ => 0,
    }
}

/// Calls `f` on every register of operand `o` of shape `shape`.
fn each_register(
    shape: Shape,
    o: &Operand,
    f: &mut impl FnMut(&Operand) -> Result<(), String>,
) -> Result<(), String> {
    let mut reg = |x: &Operand| match x {
        Operand::X(_) | Operand::Y(_) => f(x),
        _ => Ok(()),
    };
    match (shape, o) {
        (Shape::Src | Shape::Dst, _) => reg(o),
        (Shape::Srcs | Shape::SrcSrcs | Shape::SrcDsts, Operand::List(l)) => {
            l.iter().try_for_each(reg)
        }
        (Shape::SrcLabels, Operand::List(l)) => l.chunks(2).try_for_each(|p| reg(&p[0])),
        _ => Ok(()),
    }
}

/// Calls `f` on every register operand `o` writes.
fn written_register(
    shape: Shape,
    o: &Operand,
    f: &mut impl FnMut(&Operand) -> Result<(), String>,
) -> Result<(), String> {
    match (shape, o) {
        (Shape::SrcDsts, Operand::List(l)) => l.chunks(2).try_for_each(|p| f(&p[1])),
        _ => each_register(shape, o, f),
    }
}

fn y_in_frame(o: &Operand, s: &State) -> Result<(), String> {
    match o {
        Operand::Y(y) => match s.frame_slots() {
            Ok(n) if (*y as u32) < n => Ok(()),
            Ok(n) => Err(format!("y{y} beyond the frame of {n} slots")),
            Err(m) => Err(format!("y{y}: {m}")),
        },
        _ => Ok(()),
    }
}

fn no_handlers(s: &State, what: &str) -> Result<(), String> {
    match s.tries()?.last() {
        Some(t) => Err(format!(
            "{what} with the handler in y{} {}installed",
            t.slot,
            if t.maybe { "perhaps " } else { "" }
        )),
        None => Ok(()),
    }
}

/// Leaving the function (return, tail calls): no frame, no handler.
fn leaving(s: &State, what: &str) -> Result<(), String> {
    match s.frame {
        Frame::None => no_handlers(s, what),
        Frame::Slots(_) => Err(format!("{what} with a frame still allocated")),
        Frame::Unknown => Err(format!("{what} where paths with different frames meet")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lam::text::parse;

    /// Verifies a module of one function `f/1` (start 0, entry 1) and a
    /// function `g/0` after it, with the given code; the error message, if
    /// any.
    fn check(code: &str, g_start: u32) -> Result<(), String> {
        let text = format!(
            "atoms\n    m\n    f\n    g\n    infinity\n    erlang\n    '+'\nimports\n    erlang:'+'/2\nfunctions\n    f/1 start 0 entry 1 export\n    g/0 start {g_start} entry {g_start}\nlambdas\n    1 free 0 uniq 0\ncode\n{code}"
        );
        let m = parse(&text).map_err(|e| format!("parse: {e}"))?;
        m.validate().map_err(|e| format!("validate: {e}"))?;
        verify(&m).map_err(|e| e.to_string())
    }

    fn rejects(code: &str, g_start: u32, why: &str) {
        match check(code, g_start) {
            Ok(()) => panic!("verified, expected {why:?}:\n{code}"),
            Err(e) => assert!(e.contains(why), "{e}\nexpected {why:?}"),
        }
    }

    const G: &str = "    move [], x0\n    return\n";

    #[test]
    fn accepts_frames_handlers_and_shared_failure_code() {
        let code = "    fail function_clause, []
    allocate 2, 1
    try y0, L7
    arith add, nofail, x0, 1, x0
    try_end y0
    move x0, y1
    jump L8
L7:
    catch_end y0
L8:
    deallocate 2
    return
";
        check(&format!("{code}{G}"), 10).unwrap();
        // A return reached with a frame and without: rejected.
        let code = "    fail function_clause, []
    allocate 3, 1
    test is_nil, L6, [x0]
    trim 2, 1
    test is_nil, L6, [x0]
    deallocate 1
L6:
    return
";
        rejects(&format!("{code}{G}"), 7, "paths with different frames meet");
        // A failure block shared by paths with frames of 3 and of 1 slot,
        // reading a slot both have: accepted.
        let code = "    fail function_clause, []
    allocate 3, 1
    test is_nil, L7, [x0]
    trim 2, 1
    test is_nil, L7, [x0]
    deallocate 1
    return
L7:
    fail badmatch, y0
";
        check(&format!("{code}{G}"), 8).unwrap();
        // A receive that waits forever has no timeout path to fall through.
        let code = "    fail function_clause, []
L1:
    peek_message L4, x0
    remove_message
    return
L4:
    wait L1, 'infinity'
";
        check(&format!("{code}{G}"), 5).unwrap();
    }

    #[test]
    fn rejects_frame_misuse() {
        let f = "    fail function_clause, []\n";
        rejects(
            &format!("{f}    move y0, x0\n    return\n{G}"),
            3,
            "y0: no frame",
        );
        rejects(
            &format!("{f}    allocate 1, 1\n    move x0, y1\n    deallocate 1\n    return\n{G}"),
            5,
            "y1 beyond the frame of 1 slots",
        );
        rejects(
            &format!("{f}    deallocate 1\n    return\n{G}"),
            3,
            "deallocate: no frame",
        );
        rejects(
            &format!("{f}    allocate 1, 1\n    return\n{G}"),
            3,
            "return with a frame",
        );
        rejects(
            &format!("{f}    allocate 1, 1\n    allocate 1, 1\n    return\n{G}"),
            4,
            "allocate where a frame may be allocated",
        );
        rejects(
            &format!("{f}    allocate 4000000000, 1\n    return\n{G}"),
            3,
            "a frame of 4000000000 slots",
        );
        rejects(
            &format!("{f}    trim 1, 0\n    return\n{G}"),
            3,
            "trim: no frame",
        );
        rejects(
            &format!("{f}    allocate 1, 1\n    tail_call 0, L3\n{G}"),
            3,
            "tail_call with a frame",
        );
    }

    #[test]
    fn rejects_handler_misuse() {
        let f = "    fail function_clause, []\n    allocate 2, 1\n";
        rejects(
            &format!("{f}    try y0, L5\n    deallocate 2\n    return\nL5:\n    return\n{G}"),
            6,
            "deallocate with the handler in y0 installed",
        );
        rejects(
            &format!(
                "{f}    try y0, L6\n    move x0, y0\n    try_end y0\n    return\nL6:\n    return\n{G}"
            ),
            7,
            "y0 holds an exception handler",
        );
        rejects(
            &format!(
                "{f}    try y0, L6\n    try y1, L6\n    try_end y0\n    return\nL6:\n    return\n{G}"
            ),
            7,
            "the handler in y0 is not the newest",
        );
        rejects(
            &format!("{f}    try x0, L3\n    return\n{G}"),
            4,
            "must be in a y slot",
        );
    }

    #[test]
    fn rejects_falling_off_and_leaving_the_function() {
        let f = "    fail function_clause, []\n";
        rejects(&format!("{f}    move x0, x1\n{G}"), 2, "runs off the end");
        rejects(
            &format!("{f}    jump L3\n    return\n{G}"),
            3,
            "control leaves the function",
        );
        rejects(
            &format!("{f}    peek_message L3, x0\n    return\n    wait L1, 10\n{G}"),
            4,
            "runs off the end",
        );
    }

    #[test]
    fn x_registers_are_written_before_they_are_read() {
        let f = "    fail function_clause, []\n";
        // x1 of f/1: never written.
        rejects(
            &format!("{f}    move x1, x0\n    return\n{G}"),
            3,
            "x1 is read where a path reaches it unwritten",
        );
        // Written on one path only.
        rejects(
            &format!(
                "{f}    test is_nil, L3, [x0]\n    move x0, x1\nL3:\n    move x1, x0\n    return\n{G}"
            ),
            5,
            "x1 is read",
        );
        // A call leaves only its result.
        rejects(
            &format!(
                "{f}    allocate 0, 1\n    move x0, x1\n    call 0, L7\n    move x1, x0\n    deallocate 0\n    return\n{G}"
            ),
            7,
            "x1 is read",
        );
        // A collection at allocate keeps only its live registers, and
        // needs them written.
        rejects(
            &format!(
                "{f}    move x0, x1\n    allocate 0, 1\n    move x1, x0\n    deallocate 0\n    return\n{G}"
            ),
            6,
            "x1 is read",
        );
        rejects(
            &format!("{f}    allocate 0, 2\n    deallocate 0\n    return\n{G}"),
            4,
            "x1 is read",
        );
        // Implied reads: a call's arguments, a tail call's, send's.
        rejects(
            &format!("{f}    tail_call 2, erlang:'+'/2\n{G}"),
            2,
            "x1 is read",
        );
        rejects(&format!("{f}    send\n    return\n{G}"), 3, "x1 is read");
        // A wait keeps no register.
        rejects(
            &format!("{f}    wait L1, 0\n    return\n{G}"),
            3,
            "x0 is read",
        );
        // Written on every path: accepted.
        check(
            &format!(
                "{f}    test is_nil, L4, [x0]\n    move x0, x1\n    jump L5\nL4:\n    move 1, x1\nL5:\n    tail_call 2, erlang:'+'/2\n{G}"
            ),
            6,
        )
        .unwrap();
    }

    #[test]
    fn a_caught_exception_is_read_by_catch_end_or_as_x1_to_x3() {
        let f = "    fail function_clause, []\n    allocate 1, 1\n";
        // catch: the landing pad is catch_end, which ordinary flow reaches too.
        check(
            &format!(
                "{f}    try y0, L4\n    call 0, L7\nL4:\n    catch_end y0\n    deallocate 1\n    return\n{G}"
            ),
            7,
        )
        .unwrap();
        // try: the pad reads x1..x3 after try_end.
        check(
            &format!(
                "{f}    try y0, L6\n    call 0, L11\n    try_end y0\n    jump L9\nL6:\n    try_end y0\n    move x2, x0\n    jump L9\nL9:\n    deallocate 1\n    return\n{G}"
            ),
            11,
        )
        .unwrap();
        // x0 holds the caught exception's marker: nothing else reads it.
        rejects(
            &format!(
                "{f}    try y0, L6\n    call 0, L11\n    try_end y0\n    jump L9\nL6:\n    try_end y0\n    move x0, x1\n    jump L9\nL9:\n    deallocate 1\n    return\n{G}"
            ),
            11,
            "may hold a caught exception",
        );
    }

    #[test]
    fn float_registers_are_never_read_as_terms() {
        let f = "    fail function_clause, []\n";
        check(
            &format!("{f}    move x0, x1024\n    arith add, nofail, x1024, x1024, x1025\n    move x1025, x0\n    return\n{G}"),
            5,
        )
        .unwrap();
        rejects(
            &format!("{f}    test is_integer, L0, [x1024]\n    return\n{G}"),
            3,
            "x1024 is a float register",
        );
        rejects(
            &format!("{f}    arith add, nofail, x1024, x0, x0\n    return\n{G}"),
            3,
            "x1024 is a float register",
        );
        rejects(
            &format!("{f}    swap x0, x1024\n    return\n{G}"),
            3,
            "x1024 is a float register",
        );
    }

    #[test]
    fn rejects_counts_that_do_not_match() {
        let f = "    fail function_clause, []\n";
        rejects(
            &format!("{f}    test eq_exact, L0, [x0]\n    return\n{G}"),
            3,
            "test eq_exact takes 2 operands, not 1",
        );
        rejects(
            &format!("{f}    tail_call 3000, L2\n{G}"),
            2,
            "3000 arguments",
        );
        rejects(
            &format!("{f}    call 1, L3\n    return\n{G}"),
            3,
            "to a function of arity 0",
        );
        rejects(
            &format!("{f}    call 0, L0\n    return\n{G}"),
            3,
            "to a function of arity 1",
        );
        rejects(
            &format!("{f}    bif erlang:'+'/2, nofail, [x0], x0\n    return\n{G}"),
            3,
            "bif of arity 2 given 1 operands",
        );
        rejects(
            &format!("{f}    make_fun 0, x0, [x0]\n    return\n{G}"),
            3,
            "with 1 values",
        );
        rejects(
            &format!("{f}    make_fun 7, x0, []\n    return\n{G}"),
            3,
            "does not exist",
        );
        rejects(
            &format!("{f}    spawn spawn, 9\n    return\n{G}"),
            3,
            "spawn with 9",
        );
    }
}
