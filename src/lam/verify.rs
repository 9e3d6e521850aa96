//! The verifier: what the validator cannot see from one instruction at a
//! time. It follows every path through every function, as the JVM's and
//! WebAssembly's verifiers do, and proves what the interpreter takes for
//! granted without checking on each instruction: that `y` slots exist,
//! that frames are pushed and popped in pairs, that exception handlers nest
//! inside their frame, that no path runs off the end of its function, and
//! that counts match the operands they count. Its contract: a module that
//! validates and verifies can never panic or corrupt the VM. The rules are
//! listed in `docs/isa.md`, "Verification".

use crate::lam::isa::{FUN_KINDS, LamOp, MARK_KINDS, Operand, Shape, TEST_KINDS, X_REGS, Y_REGS};
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
    const ENTRY: State = State {
        frame: Frame::None,
        tries: Some(Vec::new()),
    };

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
        State { frame, tries }
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
    for (i, f) in m.functions.iter().enumerate() {
        let end = m.functions.get(i + 1).map_or(n, |g| g.start);
        Walk {
            m,
            f,
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
    start: u32,
    end: u32,
    states: Vec<Option<State>>,
    work: Vec<u32>,
}

impl Walk<'_> {
    fn run(mut self) -> Result<(), Fail> {
        // Calls enter at the entry; jumps (a failed clause) reach the start.
        self.reach(self.f.entry, State::ENTRY, self.f.entry)?;
        self.reach(self.f.start, State::ENTRY, self.f.start)?;
        while let Some(pc) = self.work.pop() {
            let s = self.states[(pc - self.start) as usize]
                .clone()
                .expect("reached");
            self.step(pc, s)?;
        }
        Ok(())
    }

    /// Notes that `pc` is reached in state `s` (from `from`).
    fn reach(&mut self, pc: u32, s: State, from: u32) -> Result<(), Fail> {
        if pc < self.start || pc >= self.end {
            return Err((from, format!("control leaves the function (to {pc})")));
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
                // An exception lands with this handler and newer ones gone.
                self.label(&a[1], &s, pc)?;
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
            LamOp::Raise | LamOp::Fail => falls = false,
            // A receive that waits forever has no timeout path.
            LamOp::Wait => {
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
            if pc + 1 >= self.end {
                return err("control runs off the end of the function".into());
            }
            self.reach(pc + 1, s, pc)?;
        }
        Ok(())
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

    const G: &str = "    return\n";

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
