//! Loading: finding a module's `.beam` (or `.lam`) on the code path,
//! translating it, and linking it into executable form: operands resolved to
//! registers, constant words and instruction indices; literals placed in the
//! module's own literal area; imports resolved on first call.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::lam::isa::{FLOAT_REG_BASE, LamOp, Operand, X_REGS};
use crate::lam::module::Module;
use crate::term::Term;
use crate::vm::code::kinds::{FailKind, FunKind, MapKind, MarkKind, SelectKind, SpawnKind};
use crate::vm::native::{CodeInfo, LambdaInfo, Registry};
use crate::vm::ops::arith::ArithOp;
use crate::vm::ops::bs::BsOp;
use crate::vm::ops::test::TestOp;
use crate::vm::term::atoms::Atoms;
use crate::vm::term::heap::Area;
use crate::vm::term::word::Word;

/// A source operand, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Src {
    /// `x[n]`.
    X(u16),
    /// `y[n]`.
    Y(u16),
    /// A constant: an immediate or a pointer into the literal area.
    C(Word),
}

/// A destination, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dst {
    /// `x[n]`.
    X(u16),
    /// `y[n]`.
    Y(u16),
    /// Nowhere.
    Discard,
}

/// A call target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// An instruction of this module.
    Local(u32),
    /// An import of this module.
    Import(u32),
}

/// "No label": the instruction raises instead of jumping.
pub const NOFAIL: u32 = u32::MAX;

/// An executable instruction (one per LAM instruction).
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum Ins {
    Move(Src, Dst),
    Swap(Dst, Dst),
    Allocate(u32, u32),
    Deallocate,
    Trim(u32),
    Jump(u32),
    Test(TestOp, u32, Box<[Src]>),
    /// A test of one argument (most are), without the indirection.
    Test1(TestOp, u32, Src),
    /// A test of two arguments (comparisons), without the indirection.
    Test2(TestOp, u32, Src, Src),
    /// Jumps to the label paired with `src`'s value (or its tuple arity),
    /// else to `fail`.
    Select {
        kind: SelectKind,
        src: Src,
        fail: u32,
        table: Box<[(Word, u32)]>,
    },
    Call(u32, Target),
    TailCall(u32, Target),
    /// `call_fun` (or, with `tail`, `tail_call_fun`).
    CallFun {
        kind: FunKind,
        arity: u32,
        fun: Src,
        tail: bool,
    },
    Return,
    Bif(u32, u32, Box<[Src]>, Dst),
    /// A `bif` whose import is a heap-only native, resolved at link time:
    /// the function, the import (for error reports), fail label, arguments.
    Native(crate::vm::native::NativeFn, u32, u32, Box<[Src]>, Dst),
    Arith(ArithOp, u32, Src, Src, Dst),
    MakeTuple(Dst, Box<[Src]>),
    GetElement(Src, u32, Dst),
    Cons(Src, Src, Dst),
    SplitList(Src, Dst, Dst),
    PutMap {
        kind: MapKind,
        fail: u32,
        src: Src,
        dst: Dst,
        pairs: Box<[(Src, Src)]>,
    },
    GetMap(u32, Src, Box<[(Src, Dst)]>),
    MakeFun(u32, Dst, Box<[Src]>),
    Try(Dst, u32),
    TryEnd(Dst),
    CatchEnd(Dst),
    Raise(Src, Src, Src),
    Fail(FailKind, Src),
    SelfPid(Dst),
    Send,
    PeekMessage(u32, Dst),
    NextMessage(u32),
    RemoveMessage,
    Wait(u32, Src),
    /// Only `reserve` and `use` do anything (the register is all a mark is).
    RecvMark(MarkKind, Dst),
    Spawn(SpawnKind, u32),
    // Float registers (LAM's x1024 and up) hold raw f64 bits, never terms:
    // the loader gives every instruction that touches one a form of its own,
    // so float arithmetic allocates nothing. Register numbers are absolute.
    /// A float (or any number) into a float register.
    FLoad(Src, u16),
    /// A float register, boxed, into a term register.
    FStore(u16, Dst),
    /// Float arithmetic (`+ - * /`) on float registers.
    FArith(ArithOp, u32, u16, u16, u16),
    /// `-F` on float registers.
    FNeg(u32, u16, u16),
    // Pairs fused by the loader (see `fuse`): the first instruction of a
    // pair does both and skips the second, which stays in place for jumps
    // that land on it.
    /// `move` then `move`.
    Move2(Src, Dst, Src, Dst),
    /// `deallocate` then `return`.
    DeallocReturn,
    /// `call_fun` then `deallocate`, `return`: a tail call (as the BEAM's
    /// loader makes it, so the caller's frame is gone from stack traces
    /// there too).
    CallFunLast {
        kind: FunKind,
        arity: u32,
        fun: Src,
    },
    /// `move` then a local `call` (or `tail_call`, with `tail`) to `to`:
    /// the moves that set up a call's arguments cost no dispatch.
    MoveCall {
        tail: bool,
        to: u32,
        src: Src,
        dst: Dst,
    },
    /// `move`, `move`, then a local `call` or `tail_call`.
    Move2Call {
        tail: bool,
        to: u32,
        s1: Src,
        d1: Dst,
        s2: Src,
        d2: Dst,
    },
    // The commonest arithmetic and tests, one variant each, so that the
    // dispatch itself selects the operation (no second jump on a kind).
    /// `arith add`: fail label, operands, destination.
    Add(u32, Src, Src, Dst),
    /// `arith sub`.
    Sub(u32, Src, Src, Dst),
    /// `test lt`: fail label, operands.
    Lt(u32, Src, Src),
    /// `test ge`.
    Ge(u32, Src, Src),
    /// `test eq_exact`.
    EqExact(u32, Src, Src),
    /// `test ne_exact`.
    NeExact(u32, Src, Src),
    /// `test is_nonempty_list` then `split_list` of the same list (fused).
    ListSplit(u32, Src, Dst, Dst),
    /// A `bif` of a matching native with constant operands (see `BsOp`):
    /// the op, the import, fail label, the match context, destination,
    /// and the native that does what the run loop leaves.
    BsMatch(BsOp, u32, u32, Src, Dst, crate::vm::native::NativeFn),
}

// The run loop reads one of these per dispatch: keep them small.
const _: () = assert!(std::mem::size_of::<Ins>() <= 56);

/// Fuses common runs of instructions into one dispatch. Instruction
/// indices do not change (the first instruction of a run does the whole
/// run; the others stay in place for jumps that land on them), so labels,
/// the line table and return addresses stay valid. Going forward, the
/// instructions after `i` are still the originals when `i` is fused.
fn fuse(code: &mut [Ins]) {
    fn local_call(code: &[Ins], i: usize) -> Option<(bool, u32)> {
        match code.get(i) {
            Some(Ins::Call(_, Target::Local(l))) => Some((false, *l)),
            Some(Ins::TailCall(_, Target::Local(l))) => Some((true, *l)),
            _ => None,
        }
    }
    for i in 0..code.len() {
        let fused = match (&code[i], code.get(i + 1)) {
            (Ins::Move(s1, d1), Some(Ins::Move(s2, d2))) => match local_call(code, i + 2) {
                Some((tail, to)) => Ins::Move2Call {
                    tail,
                    to,
                    s1: *s1,
                    d1: *d1,
                    s2: *s2,
                    d2: *d2,
                },
                None => Ins::Move2(*s1, *d1, *s2, *d2),
            },
            (Ins::Move(s, d), _) => match local_call(code, i + 1) {
                Some((tail, to)) => Ins::MoveCall {
                    tail,
                    to,
                    src: *s,
                    dst: *d,
                },
                None => continue,
            },
            (Ins::Deallocate, Some(Ins::Return)) => Ins::DeallocReturn,
            (Ins::Test1(TestOp::IsNonemptyList, fail, s), Some(Ins::SplitList(s2, h, t)))
                if s == s2 =>
            {
                Ins::ListSplit(*fail, *s, *h, *t)
            }
            (
                Ins::CallFun {
                    kind,
                    arity,
                    fun,
                    tail: false,
                },
                Some(Ins::Deallocate),
            ) if matches!(code.get(i + 2), Some(Ins::Return)) => Ins::CallFunLast {
                kind: *kind,
                arity: *arity,
                fun: *fun,
            },
            _ => continue,
        };
        code[i] = fused;
    }
}

/// What an import resolves to.
#[derive(Debug, Clone, Copy)]
pub enum Callee {
    /// A native function.
    Native(crate::vm::native::NativeFn),
    /// Code: module id and entry instruction.
    Code(u32, u32),
    /// A native that acts on processes or what they share: the runtime does it.
    Host(crate::vm::native::HostOp),
}

/// A linked module.
#[derive(Debug)]
pub struct Loaded {
    /// Its index in the VM (its literal area is `id + 1`).
    pub id: u32,
    /// Its name, as a global atom.
    pub name: u32,
    /// The code.
    pub code: Vec<Ins>,
    /// Imports as global atoms (module, function, arity).
    pub imports: Vec<(u32, u32, u32)>,
    /// Imports once resolved.
    pub resolved: Vec<OnceLock<Callee>>,
    /// Exported functions: (name, arity) → entry.
    pub exports: HashMap<(u32, u32), u32>,
    /// Lambdas: entry, arity (with captured values), captured count, old uniq.
    pub lambdas: Vec<(u32, u32, u32, u32)>,
    /// The LAM module (function table and line table, for stack traces).
    pub lam: Module,
    /// Local atom index → global atom.
    pub atoms: Vec<u32>,
}

impl Loaded {
    /// The function containing `pc`, as (name atom, arity).
    pub fn function_at(&self, pc: u32) -> Option<(u32, u32)> {
        self.lam
            .function_at(pc)
            .map(|f| (self.atoms[f.name as usize], f.arity))
    }
}

/// Builds the executable form of a validated LAM module.
pub fn link(m: Module, id: u32, atoms: &Atoms, natives: &Registry) -> (Loaded, Area) {
    let area = id + 1;
    let globals: Vec<u32> = m.atoms.iter().map(|a| atoms.intern(a)).collect();
    let mut lits = Area::default();
    let literal_words: Vec<Word> = m
        .literals
        .iter()
        .map(|t| lits.from_term(area, t, atoms))
        .collect();
    // The run loop reads `x` registers unchecked: this is what makes that
    // sound whatever module it is given (validation has checked the same).
    let x = |r: u16| {
        assert!(
            u32::from(r) < X_REGS,
            "register x{r} in a module that was not validated"
        );
        r
    };
    let src = |o: &Operand| -> Src {
        match o {
            Operand::X(r) => Src::X(x(*r)),
            Operand::Y(r) => Src::Y(*r),
            Operand::Nil => Src::C(Word::NIL),
            Operand::Atom(a) => Src::C(Word::atom(globals[*a as usize])),
            Operand::Int(i) => Src::C(Word::small(*i).unwrap_or(Word::NIL)),
            Operand::Literal(l) => Src::C(literal_words[*l as usize]),
            _ => Src::C(Word::NIL),
        }
    };
    let dst = |o: &Operand| -> Dst {
        match o {
            Operand::X(r) => Dst::X(x(*r)),
            Operand::Y(r) => Dst::Y(*r),
            _ => Dst::Discard,
        }
    };
    let label = |o: &Operand| match o {
        Operand::Label(l) => *l,
        _ => NOFAIL,
    };
    let num = |o: &Operand| match o {
        Operand::Num(n) => *n,
        _ => 0,
    };
    let kind = |o: &Operand| match o {
        Operand::Kind(k) => *k,
        _ => 0,
    };
    // The validator checked every kind against its instruction's table.
    let arith_op = |o: &Operand| ArithOp::from_index(kind(o)).expect("a validated arith kind");
    let test_op = |o: &Operand| TestOp::from_index(kind(o)).expect("a validated test kind");
    let select_kind = |o: &Operand| SelectKind::from_index(kind(o)).expect("validated");
    let fun_kind = |o: &Operand| FunKind::from_index(kind(o)).expect("validated");
    let map_kind = |o: &Operand| MapKind::from_index(kind(o)).expect("validated");
    let fail_kind = |o: &Operand| FailKind::from_index(kind(o)).expect("validated");
    let mark_kind = |o: &Operand| MarkKind::from_index(kind(o)).expect("validated");
    let spawn_kind = |o: &Operand| SpawnKind::from_index(kind(o)).expect("validated");
    let list = |o: &Operand| -> Vec<Operand> {
        match o {
            Operand::List(items) => items.to_vec(),
            _ => vec![],
        }
    };
    let target = |o: &Operand| match o {
        Operand::Import(i) => Target::Import(*i),
        o => Target::Local(label(o)),
    };
    let fr = |o: &Operand| match o {
        Operand::X(r) if *r >= FLOAT_REG_BASE => Some(*r),
        _ => None,
    };
    let import_name = |o: &Operand| match o {
        Operand::Import(i) => {
            let imp = &m.imports[*i as usize];
            (
                &*m.atoms[imp.module as usize],
                &*m.atoms[imp.function as usize],
                imp.arity,
            )
        }
        _ => ("", "", 0),
    };
    // An import's heap-only native, looked up once, on its first `bif`:
    // those instructions are linked to it directly. Natives that need the
    // VM (spawn, send, ...) stay imports.
    let heap_native = |i: usize| {
        let imp = &m.imports[i];
        natives
            .get(
                &m.atoms[imp.module as usize],
                &m.atoms[imp.function as usize],
                imp.arity,
            )
            .and_then(crate::vm::native::Native::heap_fn)
    };
    let mut heap_natives: Vec<Option<Option<crate::vm::native::NativeFn>>> =
        vec![None; m.imports.len()];
    let mut code = Vec::with_capacity(m.code.len());
    for ins in &m.code {
        let a = m.args(ins);
        let e = match ins.op {
            LamOp::Move => match (fr(&a[0]), fr(&a[1])) {
                // Float register to float register: raw bits, copied as they are.
                (Some(_), Some(_)) => Ins::Move(src(&a[0]), dst(&a[1])),
                (None, Some(d)) => match &a[0] {
                    // A constant float: its bits, ready at load time.
                    Operand::Literal(l) if matches!(m.literals[*l as usize], Term::Float(_)) => {
                        let Term::Float(f) = m.literals[*l as usize] else {
                            unreachable!("checked")
                        };
                        Ins::Move(Src::C(Word(f.to_bits())), Dst::X(x(d)))
                    }
                    s => Ins::FLoad(src(s), d),
                },
                (Some(s), None) => Ins::FStore(s, dst(&a[1])),
                (None, None) => Ins::Move(src(&a[0]), dst(&a[1])),
            },
            LamOp::Arith => match (fr(&a[2]), fr(&a[3]), fr(&a[4])) {
                (Some(x), Some(y), Some(d)) => Ins::FArith(arith_op(&a[0]), label(&a[1]), x, y, d),
                _ => {
                    let (fail, x, y, d) = (label(&a[1]), src(&a[2]), src(&a[3]), dst(&a[4]));
                    match arith_op(&a[0]) {
                        ArithOp::Add => Ins::Add(fail, x, y, d),
                        ArithOp::Sub => Ins::Sub(fail, x, y, d),
                        k => Ins::Arith(k, fail, x, y, d),
                    }
                }
            },
            LamOp::Bif if fr(&a[3]).is_some() => {
                let arg = list(&a[2]).first().cloned().unwrap_or(Operand::Nil);
                let d = fr(&a[3]).expect("checked");
                match (import_name(&a[0]), fr(&arg)) {
                    (("erlang", "-", 1), Some(s)) => Ins::FNeg(label(&a[1]), s, d),
                    // fconv, and anything else that fills a float register.
                    _ => Ins::FLoad(src(&arg), d),
                }
            }
            LamOp::Swap => Ins::Swap(dst(&a[0]), dst(&a[1])),
            LamOp::Allocate => Ins::Allocate(num(&a[0]), num(&a[1])),
            LamOp::Deallocate => Ins::Deallocate,
            LamOp::Trim => Ins::Trim(num(&a[0])),
            LamOp::Jump => Ins::Jump(label(&a[0])),
            LamOp::Test => match &*list(&a[2]) {
                [x] => Ins::Test1(test_op(&a[0]), label(&a[1]), src(x)),
                [x, y] => {
                    let (fail, x, y) = (label(&a[1]), src(x), src(y));
                    match test_op(&a[0]) {
                        TestOp::Lt => Ins::Lt(fail, x, y),
                        TestOp::Ge => Ins::Ge(fail, x, y),
                        TestOp::EqExact => Ins::EqExact(fail, x, y),
                        TestOp::NeExact => Ins::NeExact(fail, x, y),
                        k => Ins::Test2(k, fail, x, y),
                    }
                }
                args => Ins::Test(test_op(&a[0]), label(&a[1]), args.iter().map(src).collect()),
            },
            LamOp::Select => {
                let pairs = list(&a[3]);
                let table = pairs
                    .chunks(2)
                    .map(|p| {
                        let Src::C(w) = src(&p[0]) else {
                            unreachable!("select values are constants")
                        };
                        (w, label(&p[1]))
                    })
                    .collect();
                Ins::Select {
                    kind: select_kind(&a[0]),
                    src: src(&a[1]),
                    fail: label(&a[2]),
                    table,
                }
            }
            LamOp::Call => Ins::Call(num(&a[0]), target(&a[1])),
            LamOp::TailCall => Ins::TailCall(num(&a[0]), target(&a[1])),
            LamOp::CallFun | LamOp::TailCallFun => Ins::CallFun {
                kind: fun_kind(&a[0]),
                arity: num(&a[1]),
                fun: src(&a[2]),
                tail: ins.op == LamOp::TailCallFun,
            },
            LamOp::Return => Ins::Return,
            LamOp::Bif => {
                let Operand::Import(i) = a[0] else {
                    unreachable!("validated")
                };
                if let Some(f) =
                    *heap_natives[i as usize].get_or_insert_with(|| heap_native(i as usize))
                {
                    let args: Box<[Src]> = list(&a[2]).iter().map(src).collect();
                    let bs = match (import_name(&a[0]), args.split_first()) {
                        (("lam", name, _), Some((ctx, rest))) => {
                            let constants: Vec<Option<Word>> = rest
                                .iter()
                                .map(|s| match s {
                                    Src::C(w) => Some(*w),
                                    _ => None,
                                })
                                .collect();
                            BsOp::of(name, &constants).map(|op| (op, *ctx))
                        }
                        _ => None,
                    };
                    if let Some((op, ctx)) = bs {
                        code.push(Ins::BsMatch(op, i, label(&a[1]), ctx, dst(&a[3]), f));
                        continue;
                    }
                    code.push(Ins::Native(f, i, label(&a[1]), args, dst(&a[3])));
                    continue;
                }
                Ins::Bif(
                    i,
                    label(&a[1]),
                    list(&a[2]).iter().map(src).collect(),
                    dst(&a[3]),
                )
            }
            LamOp::MakeTuple => Ins::MakeTuple(dst(&a[0]), list(&a[1]).iter().map(src).collect()),
            LamOp::GetElement => Ins::GetElement(src(&a[0]), num(&a[1]), dst(&a[2])),
            LamOp::Cons => Ins::Cons(src(&a[0]), src(&a[1]), dst(&a[2])),
            LamOp::SplitList => Ins::SplitList(src(&a[0]), dst(&a[1]), dst(&a[2])),
            LamOp::PutMap => {
                let pairs = list(&a[4])
                    .chunks(2)
                    .map(|p| (src(&p[0]), src(&p[1])))
                    .collect();
                Ins::PutMap {
                    kind: map_kind(&a[0]),
                    fail: label(&a[1]),
                    src: src(&a[2]),
                    dst: dst(&a[3]),
                    pairs,
                }
            }
            LamOp::GetMap => {
                let pairs = list(&a[2])
                    .chunks(2)
                    .map(|p| (src(&p[0]), dst(&p[1])))
                    .collect();
                Ins::GetMap(label(&a[0]), src(&a[1]), pairs)
            }
            LamOp::MakeFun => Ins::MakeFun(
                num(&a[0]),
                dst(&a[1]),
                list(&a[2]).iter().map(src).collect(),
            ),
            LamOp::Try => Ins::Try(dst(&a[0]), label(&a[1])),
            LamOp::TryEnd => Ins::TryEnd(dst(&a[0])),
            LamOp::CatchEnd => Ins::CatchEnd(dst(&a[0])),
            LamOp::Raise => Ins::Raise(src(&a[0]), src(&a[1]), src(&a[2])),
            LamOp::Fail => Ins::Fail(fail_kind(&a[0]), src(&a[1])),
            LamOp::SelfPid => Ins::SelfPid(dst(&a[0])),
            LamOp::Send => Ins::Send,
            LamOp::PeekMessage => Ins::PeekMessage(label(&a[0]), dst(&a[1])),
            LamOp::NextMessage => Ins::NextMessage(label(&a[0])),
            LamOp::RemoveMessage => Ins::RemoveMessage,
            LamOp::Wait => Ins::Wait(label(&a[0]), src(&a[1])),
            LamOp::RecvMark => Ins::RecvMark(mark_kind(&a[0]), dst(&a[1])),
            LamOp::Spawn => Ins::Spawn(spawn_kind(&a[0]), num(&a[1])),
        };
        code.push(e);
    }
    fuse(&mut code);
    let imports: Vec<(u32, u32, u32)> = m
        .imports
        .iter()
        .map(|i| {
            (
                globals[i.module as usize],
                globals[i.function as usize],
                i.arity,
            )
        })
        .collect();
    let exports = m
        .functions
        .iter()
        .filter(|f| f.exported)
        .map(|f| ((globals[f.name as usize], f.arity), f.entry))
        .collect();
    let lambdas = m
        .lambdas
        .iter()
        .map(|l| {
            let f = m.functions[l.function as usize];
            (f.entry, f.arity, l.num_free, l.old_uniq)
        })
        .collect();
    let loaded = Loaded {
        id,
        name: globals[0],
        code,
        resolved: (0..imports.len()).map(|_| OnceLock::new()).collect(),
        imports,
        exports,
        lambdas,
        lam: m,
        atoms: globals,
    };
    (loaded, lits)
}

/// The loaded modules, indexed by id, as natives see them.
impl CodeInfo for Vec<Arc<Loaded>> {
    fn loaded(&self) -> Vec<u32> {
        self.iter().map(|m| m.name).collect()
    }

    fn is_loaded(&self, module: u32) -> bool {
        self.iter().any(|m| m.name == module)
    }

    fn exports(&self, module: u32) -> Option<Vec<(u32, u32)>> {
        let m = self.iter().find(|m| m.name == module)?;
        let mut es: Vec<(u32, u32)> = m.exports.keys().copied().collect();
        es.sort_by_key(|e| m.exports[e]);
        Some(es)
    }

    fn is_exported(&self, module: u32, function: u32, arity: u32) -> bool {
        self.iter()
            .any(|m| m.name == module && m.exports.contains_key(&(function, arity)))
    }

    fn lambda(&self, id: u32, index: u32) -> Option<LambdaInfo> {
        let m = self.get(id as usize)?;
        let &(entry, arity, free, uniq) = m.lambdas.get(index as usize)?;
        Some(LambdaInfo {
            module: m.name,
            function: m.function_at(entry).map(|(f, _)| f),
            arity,
            free,
            uniq,
        })
    }
}
