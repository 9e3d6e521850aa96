//! BEAM to LAM: one BEAM module becomes one LAM module, and every construct
//! that cannot be translated is reported with its place instead of dropped.
//!
//! Each BEAM instruction has one fate (see [`fate`]): translated into LAM
//! instructions, erased (a hint LAM does not need), or unsupported (a
//! retired opcode). Labels are emitted as BEAM label numbers and patched to
//! instruction indices once the whole module is laid out.

pub mod diagnostic;
pub mod natives;
pub mod reference;

use std::collections::HashMap;

use crate::beam::compact::{Int, Operand as B};
use crate::beam::{BeamModule, Op};
use crate::dis;
use crate::error::{Error, ErrorKind, Result};
use crate::lam::isa::{self, FLOAT_REG_BASE, LamOp, Operand as L};
use crate::lam::module::{Function, Import, Lambda, LineEntry, Module};
use crate::term::Term;

/// A construct the translator could not translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// Module name.
    pub module: String,
    /// Function name.
    pub function: String,
    /// Function arity.
    pub arity: u32,
    /// The BEAM opcode's name.
    pub opcode: &'static str,
    /// Absolute offset of the instruction in the `.beam` file.
    pub offset: u32,
    /// Source file, from the Line chunk.
    pub file: Option<String>,
    /// Source line, from the Line chunk.
    pub line: Option<u32>,
    /// Why it cannot be translated.
    pub reason: &'static str,
}

/// The result of translating one module.
#[derive(Debug, Clone)]
pub struct Translation {
    /// The LAM module (validated).
    pub module: Module,
    /// Everything that could not be translated.
    pub unsupported: Vec<Unsupported>,
    /// How many functions the module has.
    pub functions: usize,
    /// How many of them translated with nothing unsupported.
    pub functions_full: usize,
}

/// What happens to a BEAM opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Becomes these LAM instructions.
    Translated(&'static [LamOp]),
    /// Needs nothing in LAM; the reason says why.
    Erased(&'static str),
    /// Cannot be translated; the reason says why.
    Unsupported(&'static str),
}

/// The fate of every BEAM opcode: the single place the translator, the
/// reports and `docs/isa.md` agree on.
pub fn fate(op: Op) -> Fate {
    use LamOp as O;
    use Op::*;
    let t = Fate::Translated;
    if op.info().retired {
        return Fate::Unsupported("retired before OTP 22: no supported compiler emits it");
    }
    match op {
        Label => Fate::Erased("labels become instruction indices"),
        FuncInfo => t(&[O::Fail]),
        IntCodeEnd => Fate::Erased("the code array has an end"),
        Op::Call => t(&[O::Call]),
        CallLast => t(&[O::Deallocate, O::TailCall]),
        CallOnly => t(&[O::TailCall]),
        CallExt => t(&[O::Call, O::Spawn]),
        CallExtLast => t(&[O::Deallocate, O::TailCall, O::Spawn, O::Return]),
        CallExtOnly => t(&[O::TailCall, O::Spawn, O::Return]),
        Bif0 | Bif1 | Bif2 => t(&[O::Bif, O::SelfPid]),
        GcBif1 | GcBif2 | GcBif3 => t(&[O::Bif, O::Arith]),
        Op::Allocate | AllocateZero | AllocateHeap | AllocateHeapZero => t(&[O::Allocate]),
        TestHeap => Fate::Erased("the interpreter's heap grows on demand"),
        Init | InitYregs => t(&[O::Move]),
        Op::Deallocate => t(&[O::Deallocate]),
        Op::Return => t(&[O::Return]),
        Op::Send => t(&[O::Send]),
        Op::RemoveMessage => t(&[O::RemoveMessage]),
        Timeout => t(&[O::RecvMark]),
        LoopRec => t(&[O::PeekMessage]),
        LoopRecEnd => t(&[O::NextMessage]),
        Op::Wait | WaitTimeout => t(&[O::Wait]),
        IsLt | IsGe | IsEq | IsNe | IsEqExact | IsNeExact | IsInteger | IsFloat | IsNumber
        | IsAtom | IsPid | IsReference | IsPort | IsNil | IsBinary | IsList | IsNonemptyList
        | IsTuple | TestArity | IsFunction | IsBoolean | IsFunction2 | IsBitstr | IsMap
        | IsTaggedTuple => t(&[O::Test]),
        SelectVal | SelectTupleArity => t(&[O::Select]),
        Op::Jump => t(&[O::Jump]),
        Catch | Op::Try => t(&[O::Try]),
        Op::CatchEnd => t(&[O::CatchEnd]),
        Op::TryEnd => t(&[O::TryEnd]),
        TryCase => t(&[O::TryEnd, O::Move]),
        TryCaseEnd | Badmatch | IfEnd | CaseEnd | Badrecord => t(&[O::Fail]),
        Op::Move | Fmove => t(&[O::Move]),
        Op::Swap => t(&[O::Swap]),
        GetList | GetHd | GetTl => t(&[O::SplitList]),
        GetTupleElement => t(&[O::GetElement]),
        SetTupleElement | UpdateRecord => t(&[O::Bif]),
        PutList => t(&[O::Cons]),
        PutTuple | Put | PutTuple2 => t(&[O::MakeTuple]),
        Op::CallFun | CallFun2 | Apply => t(&[O::CallFun]),
        ApplyLast => t(&[O::Deallocate, O::TailCallFun]),
        MakeFun2 | MakeFun3 => t(&[O::MakeFun]),
        Fclearerror | Fcheckerror => {
            Fate::Erased("float arithmetic raises badarith itself instead of setting a flag")
        }
        Fconv | Fnegate => t(&[O::Bif]),
        Fadd | Fsub | Fmul | Fdiv => t(&[O::Arith]),
        Op::Raise | RawRaise => t(&[O::Raise]),
        BuildStacktrace => t(&[O::Bif]),
        Op::Trim => t(&[O::Trim]),
        PutMapAssoc | PutMapExact => t(&[O::PutMap]),
        HasMapFields | GetMapElements => t(&[O::GetMap]),
        OnLoad => Fate::Erased("the module's on_load function is recorded in its header"),
        Op::RecvMark | RecvSet => {
            Fate::Erased("the pre-OTP 24 receive optimisation; a plain receive means the same")
        }
        RecvMarkerBind | RecvMarkerClear | RecvMarkerReserve | RecvMarkerUse => t(&[O::RecvMark]),
        NifStart => Fate::Erased("a marker for functions a NIF may replace"),
        Line | ExecutableLine | DebugLine => Fate::Erased("becomes the line table"),
        // Binary construction and matching run as natives of the `lam` module.
        BsPutInteger | BsPutBinary | BsPutFloat | BsPutString | BsInit2 | BsInitBits | BsAdd
        | BsStartMatch2 | BsGetInteger2 | BsGetFloat2 | BsGetBinary2 | BsSkipBits2
        | BsTestTail2 | BsSave2 | BsRestore2 | BsContextToBinary | BsTestUnit | BsMatchString
        | BsInitWritable | BsAppend | BsPrivateAppend | BsGetUtf8 | BsSkipUtf8 | BsGetUtf16
        | BsSkipUtf16 | BsGetUtf32 | BsSkipUtf32 | BsUtf8Size | BsPutUtf8 | BsUtf16Size
        | BsPutUtf16 | BsPutUtf32 | BsGetTail | BsStartMatch3 | BsGetPosition | BsSetPosition
        | BsStartMatch4 | BsCreateBin | BsMatch => t(&[O::Bif]),
        _ => Fate::Unsupported("retired before OTP 22: no supported compiler emits it"),
    }
}

/// Translates a BEAM module.
pub fn translate(beam: &BeamModule) -> Result<Translation> {
    let funs = dis::functions(beam)?;
    let mut t = Translator {
        beam,
        m: Module {
            atoms: beam.atoms.clone(),
            literals: beam.literals.clone(),
            imports: beam
                .imports
                .iter()
                .map(|i| Import {
                    module: i.module - 1,
                    function: i.function - 1,
                    arity: i.arity,
                })
                .collect(),
            ..Module::default()
        },
        labels: HashMap::new(),
        unsupported: Vec::new(),
        file_index: HashMap::new(),
        current: None,
        pending_tuple: None,
    };
    let exports: std::collections::HashSet<(u32, u32)> = beam
        .exports
        .iter()
        .map(|e| (e.function - 1, e.arity))
        .collect();
    let mut entry_fn = HashMap::new();
    let mut functions_full = 0;
    // The function the compiler marked with the `on_load` instruction (OTP
    // keeps no `on_load` attribute in the `.beam`).
    let mut on_load_fn = None;
    for f in &funs {
        if f.code.iter().any(|i| i.op == Op::OnLoad) {
            on_load_fn = Some(t.m.functions.len() as u32);
        }
        let start = t.m.code.len() as u32;
        let before = t.unsupported.len();
        for ins in f.code {
            t.instr(ins, f)?;
        }
        t.flush_tuple();
        if t.unsupported.len() == before {
            functions_full += 1;
        }
        let name = t.m.atom(f.name);
        entry_fn.insert(f.entry, t.m.functions.len() as u32);
        t.m.functions.push(Function {
            name,
            arity: f.arity,
            start,
            entry: f.entry, // patched below
            exported: exports.contains(&(name, f.arity)),
        });
    }
    let labels = std::mem::take(&mut t.labels);
    let at = |l: u32| -> Result<u32> {
        labels.get(&l).copied().ok_or_else(|| {
            Error::new(ErrorKind::Invalid, format!("jump to undefined label {l}"))
                .in_chunk(*b"Code")
        })
    };
    for f in &mut t.m.functions {
        f.entry = at(f.entry)?;
    }
    for op in &mut t.m.operands {
        patch_labels(op, &at)?;
    }
    for l in &beam.lambdas {
        let function = *entry_fn.get(&l.label).ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                format!("lambda entry label {} is not a function", l.label),
            )
            .in_chunk(*b"FunT")
        })?;
        t.m.lambdas.push(Lambda {
            function,
            num_free: l.num_free,
            old_uniq: l.old_uniq,
        });
    }
    t.m.on_load = on_load_fn.or_else(|| on_load(beam, &t.m));
    let info = module_info(beam);
    t.m.module_info = Some(t.m.literal(info));
    let module = t.m;
    module
        .validate()
        .and_then(|()| crate::lam::verify::verify(&module))
        .map_err(|e| {
            Error::new(
                ErrorKind::Invalid,
                format!("translation produced an invalid module: {e}"),
            )
        })?;
    Ok(Translation {
        module,
        unsupported: t.unsupported,
        functions: funs.len(),
        functions_full,
    })
}

fn patch_labels(op: &mut L, at: &impl Fn(u32) -> Result<u32>) -> Result<()> {
    match op {
        L::Label(l) => *l = at(*l)?,
        L::List(items) => {
            for x in items.iter_mut() {
                patch_labels(x, at)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// What `module_info/0,1` reports besides the name and functions: the
/// attributes and compile information as the BEAM file has them (none
/// without the chunks), and the module's MD5.
fn module_info(beam: &BeamModule) -> Term {
    let pair = |k: &str, v: Term| Term::Tuple(vec![Term::atom(k), v]);
    Term::list(vec![
        pair("attributes", beam.attributes.clone().unwrap_or(Term::Nil)),
        pair("compile", beam.compile_info.clone().unwrap_or(Term::Nil)),
        pair("md5", Term::Binary(beam.md5.to_vec())),
    ])
}

/// The function named by `-on_load(F/0)`, if any.
fn on_load(beam: &BeamModule, m: &Module) -> Option<u32> {
    let Some(Term::List(attrs, _)) = &beam.attributes else {
        return None;
    };
    attrs.iter().find_map(|a| match a {
        Term::Tuple(kv) if kv.len() == 2 && kv[0].as_atom() == Some("on_load") => match &kv[1] {
            Term::List(items, _) => match items.first() {
                Some(Term::Tuple(fa)) if fa.len() == 2 => {
                    let name = fa[0].as_atom()?;
                    m.functions
                        .iter()
                        .position(|f| &*m.atoms[f.name as usize] == name && f.arity == 0)
                        .map(|i| i as u32)
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}

struct Translator<'a> {
    beam: &'a BeamModule,
    m: Module,
    /// BEAM label → LAM instruction index.
    labels: HashMap<u32, u32>,
    unsupported: Vec<Unsupported>,
    file_index: HashMap<String, u32>,
    /// The source location of the instructions being emitted.
    current: Option<(u32, u32)>,
    /// An old-style `put_tuple` waiting for its `put`s.
    pending_tuple: Option<(L, usize, Vec<L>)>,
}

const ARITH: &[(&str, &str)] = &[
    ("+", "add"),
    ("-", "sub"),
    ("*", "mul"),
    ("/", "div"),
    ("div", "idiv"),
    ("rem", "rem"),
    ("band", "band"),
    ("bor", "bor"),
    ("bxor", "bxor"),
    ("bsl", "bsl"),
    ("bsr", "bsr"),
];

fn kind(words: &[&str], w: &str) -> L {
    L::Kind(
        words
            .iter()
            .position(|x| *x == w)
            .expect("kind is in its list") as u8,
    )
}

impl Translator<'_> {
    fn emit(&mut self, op: LamOp, args: Vec<L>) {
        self.m.push(op, args);
    }

    #[cold]
    fn bad(&self, ins: &crate::beam::Instr, what: &str) -> Error {
        Error::at(
            ins.offset as usize,
            ErrorKind::Invalid,
            format!("{}: {what}", ins.op.name()),
        )
        .in_chunk(*b"Code")
    }

    /// A BEAM operand as a LAM source.
    fn src(&mut self, o: &B) -> L {
        match o {
            // Out-of-range registers stay out of range, for the validator to reject.
            B::X(n) => L::X(u16::try_from(*n).unwrap_or(u16::MAX)),
            B::Y(n) => L::Y(u16::try_from(*n).unwrap_or(u16::MAX)),
            B::FReg(n) => {
                L::X(u16::try_from(*n).map_or(u16::MAX, |n| n.saturating_add(FLOAT_REG_BASE)))
            }
            B::Typed(r, _) => self.src(r),
            B::Atom(0) => L::Nil,
            B::Atom(k) => L::Atom(k - 1),
            B::I(Int::Small(v)) => L::Int(*v),
            // A file may spell a small value in a bignum's encoding; as
            // `Term::Big` it would encode as a bignum, decode as a small
            // integer, and the .lam would not round-trip.
            B::I(Int::Big(b)) | B::UBig(b) => match i64::try_from(&**b) {
                Ok(v) => L::Int(v),
                Err(_) => L::Literal(self.m.literal(Term::Big((**b).clone()))),
            },
            B::U(n) => match i64::try_from(*n) {
                Ok(v) => L::Int(v),
                Err(_) => L::Literal(self.m.literal(Term::Big((*n).into()))),
            },
            B::Char(c) => L::Int(*c as i64),
            B::Float(f) => L::Literal(self.m.literal(Term::Float(*f))),
            B::Literal(k) => L::Literal(*k),
            B::Label(0) => L::NoLabel,
            B::Label(l) => L::Label(*l),
            B::List(items) => L::List(items.iter().map(|x| self.src(x)).collect()),
            B::Alloc(items) => L::Int(items.iter().map(|(_, n)| *n as i64).sum()),
        }
    }

    fn label(&self, o: &B) -> L {
        match o {
            B::Label(0) | B::Atom(_) => L::NoLabel,
            B::Label(l) => L::Label(*l),
            _ => L::NoLabel,
        }
    }

    fn num(&self, o: &B) -> u32 {
        match o {
            B::U(n) => *n as u32,
            B::I(Int::Small(n)) => u32::try_from(*n).unwrap_or(u32::MAX),
            B::Alloc(items) => items.iter().map(|(_, n)| *n as u32).sum(),
            _ => 0,
        }
    }

    fn srcs(&mut self, os: &[B]) -> L {
        L::List(os.iter().map(|o| self.src(o)).collect())
    }

    /// `bif lam:Name/N` for the runtime helpers binary syntax needs.
    fn native(&mut self, name: &str, fail: L, args: Vec<L>, dst: L) {
        debug_assert!(
            natives::find(name).is_some_and(|n| n.arity.is_none_or(|a| a as usize == args.len())),
            "lam:{name}/{} is not in the natives table",
            args.len()
        );
        let imp = self.m.import("lam", name, args.len() as u32);
        self.emit(
            LamOp::Bif,
            vec![L::Import(imp), fail, L::List(args.into()), dst],
        );
    }

    fn flush_tuple(&mut self) {
        if let Some((dst, _, elems)) = self.pending_tuple.take() {
            self.emit(LamOp::MakeTuple, vec![dst, L::List(elems.into())]);
        }
    }

    fn import_name(&self, idx: u32) -> Option<(&str, &str, u32)> {
        let i = self.m.imports.get(idx as usize)?;
        Some((
            &self.m.atoms[i.module as usize],
            &self.m.atoms[i.function as usize],
            i.arity,
        ))
    }

    fn spawn_kind(&self, imp: &B) -> Option<L> {
        let B::U(i) = imp else { return None };
        match self.import_name(*i as u32)? {
            ("erlang", f @ ("spawn" | "spawn_link" | "spawn_monitor"), 1 | 3) => {
                Some(kind(isa::SPAWN_KINDS, f))
            }
            _ => None,
        }
    }

    fn set_location(&mut self, o: &B) {
        let B::U(idx) = o else { return };
        let loc = self.beam.location(*idx as u32);
        let (file, line) = match &loc {
            Some((f, l)) => {
                let next = self.file_index.len() as u32;
                let fi = *self.file_index.entry(f.clone()).or_insert_with(|| {
                    self.m.files.push(f.clone());
                    next
                });
                (fi, *l)
            }
            None => (0, 0),
        };
        if self.current == Some((file, line)) {
            return;
        }
        self.current = Some((file, line));
        let instr = self.m.code.len() as u32;
        let entry = LineEntry { instr, file, line };
        match self.m.lines.last_mut() {
            Some(last) if last.instr == instr => *last = entry,
            _ => self.m.lines.push(entry),
        }
    }

    fn instr(&mut self, ins: &crate::beam::Instr, f: &dis::FunctionSpan<'_>) -> Result<()> {
        use LamOp as O;
        let g = self.beam.code.args(ins);
        if ins.op != Op::Put {
            self.flush_tuple();
        }
        match ins.op {
            Op::Label => {
                let B::U(l) = g[0] else {
                    return Err(self.bad(ins, "label without a number"));
                };
                self.labels.insert(l as u32, self.m.code.len() as u32);
            }
            Op::Line | Op::ExecutableLine | Op::DebugLine => self.set_location(&g[0]),
            Op::FuncInfo => {
                let k = kind(isa::FAIL_KINDS, "function_clause");
                self.emit(O::Fail, vec![k, L::Nil]);
            }
            Op::IntCodeEnd
            | Op::TestHeap
            | Op::Fclearerror
            | Op::Fcheckerror
            | Op::OnLoad
            | Op::RecvMark
            | Op::RecvSet
            | Op::NifStart => {}
            Op::Call | Op::CallOnly => {
                let op = if ins.op == Op::Call {
                    O::Call
                } else {
                    O::TailCall
                };
                self.emit(op, vec![L::Num(self.num(&g[0])), L::Label(label_of(&g[1]))]);
            }
            Op::CallLast => {
                self.emit(O::Deallocate, vec![L::Num(self.num(&g[2]))]);
                self.emit(
                    O::TailCall,
                    vec![L::Num(self.num(&g[0])), L::Label(label_of(&g[1]))],
                );
            }
            Op::CallExt | Op::CallExtOnly | Op::CallExtLast => {
                let arity = L::Num(self.num(&g[0]));
                if let Some(k) = self.spawn_kind(&g[1]) {
                    self.emit(O::Spawn, vec![k, arity]);
                    if ins.op == Op::CallExtLast {
                        self.emit(O::Deallocate, vec![L::Num(self.num(&g[2]))]);
                    }
                    if ins.op != Op::CallExt {
                        self.emit(O::Return, vec![]);
                    }
                } else {
                    let target = L::Import(self.num(&g[1]));
                    match ins.op {
                        Op::CallExt => self.emit(O::Call, vec![arity, target]),
                        Op::CallExtOnly => self.emit(O::TailCall, vec![arity, target]),
                        _ => {
                            self.emit(O::Deallocate, vec![L::Num(self.num(&g[2]))]);
                            self.emit(O::TailCall, vec![arity, target]);
                        }
                    }
                }
            }
            Op::Bif0 | Op::Bif1 | Op::Bif2 => {
                let (imp, fail, args, dst) = match ins.op {
                    Op::Bif0 => (&g[0], L::NoLabel, &g[..0], &g[1]),
                    _ => (
                        &g[1],
                        self.label(&g[0]),
                        &g[2..g.len() - 1],
                        &g[g.len() - 1],
                    ),
                };
                let imp = self.num(imp);
                let dst = self.src(dst);
                if matches!(self.import_name(imp), Some(("erlang", "self", 0))) {
                    self.emit(O::SelfPid, vec![dst]);
                } else {
                    let args = self.srcs(args);
                    self.emit(O::Bif, vec![L::Import(imp), fail, args, dst]);
                }
            }
            Op::GcBif1 | Op::GcBif2 | Op::GcBif3 => {
                let imp = self.num(&g[2]);
                let fail = self.label(&g[0]);
                let args = &g[3..g.len() - 1];
                let dst = self.src(&g[g.len() - 1]);
                let arith = match self.import_name(imp) {
                    Some(("erlang", name, 2)) => {
                        ARITH.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
                    }
                    _ => None,
                };
                match arith {
                    Some(k) if args.len() == 2 => {
                        let (a, b) = (self.src(&args[0]), self.src(&args[1]));
                        self.emit(O::Arith, vec![kind(isa::ARITH_KINDS, k), fail, a, b, dst]);
                    }
                    _ => {
                        let args = self.srcs(args);
                        self.emit(O::Bif, vec![L::Import(imp), fail, args, dst]);
                    }
                }
            }
            Op::Allocate | Op::AllocateZero | Op::AllocateHeap | Op::AllocateHeapZero => {
                let live = self.num(&g[g.len() - 1]);
                self.emit(O::Allocate, vec![L::Num(self.num(&g[0])), L::Num(live)]);
            }
            Op::Init => {
                let d = self.src(&g[0]);
                self.emit(O::Move, vec![L::Nil, d]);
            }
            Op::InitYregs => {
                let B::List(regs) = &g[0] else {
                    return Err(self.bad(ins, "expected a list"));
                };
                for r in regs.iter() {
                    let d = self.src(r);
                    self.emit(O::Move, vec![L::Nil, d]);
                }
            }
            Op::Deallocate => self.emit(O::Deallocate, vec![L::Num(self.num(&g[0]))]),
            Op::Return => self.emit(O::Return, vec![]),
            Op::Send => self.emit(O::Send, vec![]),
            Op::RemoveMessage => self.emit(O::RemoveMessage, vec![]),
            Op::LoopRec => {
                let d = self.src(&g[1]);
                self.emit(O::PeekMessage, vec![self.label(&g[0]), d]);
            }
            Op::LoopRecEnd => self.emit(O::NextMessage, vec![self.label(&g[0])]),
            Op::Wait => {
                let inf = L::Atom(self.m.atom("infinity"));
                self.emit(O::Wait, vec![self.label(&g[0]), inf]);
            }
            Op::WaitTimeout => {
                let t = self.src(&g[1]);
                self.emit(O::Wait, vec![self.label(&g[0]), t]);
            }
            Op::IsLt
            | Op::IsGe
            | Op::IsEq
            | Op::IsNe
            | Op::IsEqExact
            | Op::IsNeExact
            | Op::IsInteger
            | Op::IsFloat
            | Op::IsNumber
            | Op::IsAtom
            | Op::IsPid
            | Op::IsReference
            | Op::IsPort
            | Op::IsNil
            | Op::IsBinary
            | Op::IsList
            | Op::IsNonemptyList
            | Op::IsTuple
            | Op::TestArity
            | Op::IsFunction
            | Op::IsBoolean
            | Op::IsFunction2
            | Op::IsBitstr
            | Op::IsMap
            | Op::IsTaggedTuple => {
                let name = match ins.op {
                    Op::IsLt => "lt",
                    Op::IsGe => "ge",
                    Op::IsEq => "eq",
                    Op::IsNe => "ne",
                    Op::IsEqExact => "eq_exact",
                    Op::IsNeExact => "ne_exact",
                    Op::IsBitstr => "is_bitstring",
                    other => other.name(),
                };
                let args = self.srcs(&g[1..]);
                self.emit(
                    O::Test,
                    vec![kind(isa::TEST_KINDS, name), self.label(&g[0]), args],
                );
            }
            Op::SelectVal | Op::SelectTupleArity => {
                let k = if ins.op == Op::SelectVal {
                    "value"
                } else {
                    "tuple_arity"
                };
                let s = self.src(&g[0]);
                let table = self.src(&g[2]);
                self.emit(
                    O::Select,
                    vec![kind(isa::SELECT_KINDS, k), s, self.label(&g[1]), table],
                );
            }
            Op::Jump => self.emit(O::Jump, vec![self.label(&g[0])]),
            Op::Catch | Op::Try => {
                let y = self.src(&g[0]);
                self.emit(O::Try, vec![y, self.label(&g[1])]);
            }
            Op::CatchEnd => {
                let y = self.src(&g[0]);
                self.emit(O::CatchEnd, vec![y]);
            }
            Op::TryEnd | Op::TryCase => {
                let y = self.src(&g[0]);
                self.emit(O::TryEnd, vec![y]);
                if ins.op == Op::TryCase {
                    // An exception arrives as x1..x3 = class, reason, trace
                    // (x0 holds no value); try_case moves them to x0..x2.
                    for r in 0..3 {
                        self.emit(O::Move, vec![L::X(r + 1), L::X(r)]);
                    }
                }
            }
            Op::TryCaseEnd | Op::Badmatch | Op::CaseEnd | Op::Badrecord | Op::IfEnd => {
                let k = match ins.op {
                    Op::TryCaseEnd => "try_clause",
                    Op::Badmatch => "badmatch",
                    Op::CaseEnd => "case_clause",
                    Op::Badrecord => "badrecord",
                    _ => "if_clause",
                };
                let v = if ins.op == Op::IfEnd {
                    L::Nil
                } else {
                    self.src(&g[0])
                };
                self.emit(O::Fail, vec![kind(isa::FAIL_KINDS, k), v]);
            }
            Op::Move | Op::Fmove => {
                let (s, d) = (self.src(&g[0]), self.src(&g[1]));
                self.emit(O::Move, vec![s, d]);
            }
            Op::Swap => {
                let (a, b) = (self.src(&g[0]), self.src(&g[1]));
                self.emit(O::Swap, vec![a, b]);
            }
            Op::GetList => {
                let (s, h, t) = (self.src(&g[0]), self.src(&g[1]), self.src(&g[2]));
                self.emit(O::SplitList, vec![s, h, t]);
            }
            Op::GetHd | Op::GetTl => {
                let (s, d) = (self.src(&g[0]), self.src(&g[1]));
                let args = if ins.op == Op::GetHd {
                    vec![s, d, L::Discard]
                } else {
                    vec![s, L::Discard, d]
                };
                self.emit(O::SplitList, args);
            }
            Op::GetTupleElement => {
                let (s, d) = (self.src(&g[0]), self.src(&g[2]));
                self.emit(O::GetElement, vec![s, L::Num(self.num(&g[1])), d]);
            }
            Op::SetTupleElement => {
                let (v, tup) = (self.src(&g[0]), self.src(&g[1]));
                let pos = L::Int(self.num(&g[2]) as i64 + 1);
                let imp = self.m.import("erlang", "setelement", 3);
                self.emit(
                    O::Bif,
                    vec![
                        L::Import(imp),
                        L::NoLabel,
                        L::List(vec![pos, tup.clone(), v].into()),
                        tup,
                    ],
                );
            }
            Op::UpdateRecord => {
                let src = self.src(&g[2]);
                let dst = self.src(&g[3]);
                let mut args = vec![src];
                if let L::List(items) = self.src(&g[4]) {
                    args.extend(items.into_vec());
                }
                self.native("update_record", L::NoLabel, args, dst);
            }
            Op::PutList => {
                let (h, t, d) = (self.src(&g[0]), self.src(&g[1]), self.src(&g[2]));
                self.emit(O::Cons, vec![h, t, d]);
            }
            Op::PutTuple => {
                let n = self.num(&g[0]) as usize;
                let d = self.src(&g[1]);
                if n == 0 {
                    self.emit(O::MakeTuple, vec![d, L::List(Box::new([]))]);
                } else {
                    // n comes from the file: the puts that follow grow the vector, so a
                    // corrupt arity cannot reserve memory it never fills.
                    self.pending_tuple = Some((d, n, Vec::with_capacity(n.min(64))));
                }
            }
            Op::Put => {
                let v = self.src(&g[0]);
                match self.pending_tuple.as_mut() {
                    Some((_, n, elems)) => {
                        elems.push(v);
                        if elems.len() == *n {
                            self.flush_tuple();
                        }
                    }
                    None => return Err(self.bad(ins, "put without put_tuple")),
                }
            }
            Op::PutTuple2 => {
                let d = self.src(&g[0]);
                let elems = self.src(&g[1]);
                self.emit(O::MakeTuple, vec![d, elems]);
            }
            Op::CallFun => {
                let n = self.num(&g[0]);
                let k = kind(isa::FUN_KINDS, "fun");
                self.emit(O::CallFun, vec![k, L::Num(n), xreg(n)]);
            }
            Op::CallFun2 => {
                let n = self.num(&g[1]);
                let fun = self.src(&g[2]);
                self.emit(
                    O::CallFun,
                    vec![kind(isa::FUN_KINDS, "fun"), L::Num(n), fun],
                );
            }
            Op::Apply | Op::ApplyLast => {
                let n = self.num(&g[0]);
                let k = kind(isa::FUN_KINDS, "apply");
                if ins.op == Op::Apply {
                    self.emit(O::CallFun, vec![k, L::Num(n), xreg(n)]);
                } else {
                    self.emit(O::Deallocate, vec![L::Num(self.num(&g[1]))]);
                    self.emit(O::TailCallFun, vec![k, L::Num(n), xreg(n)]);
                }
            }
            Op::MakeFun2 => {
                let idx = self.num(&g[0]);
                let nfree = self
                    .beam
                    .lambdas
                    .get(idx as usize)
                    .map_or(0, |l| l.num_free);
                // The count comes from the file's FunT chunk: a fun's free
                // variables sit in x registers, so more than there are is a
                // corrupt module, not something to reserve for.
                if nfree > crate::lam::isa::X_REGS {
                    return Err(self.bad(
                        ins,
                        "make_fun2 of a fun with more free variables than x registers",
                    ));
                }
                let free = (0..nfree).map(|i| L::X(i as u16)).collect();
                self.emit(O::MakeFun, vec![L::Num(idx), L::X(0), L::List(free)]);
            }
            Op::MakeFun3 => {
                let (d, free) = (self.src(&g[1]), self.src(&g[2]));
                self.emit(O::MakeFun, vec![L::Num(self.num(&g[0])), d, free]);
            }
            Op::Fconv | Op::Fnegate => {
                let (name, fail, a, d) = if ins.op == Op::Fconv {
                    ("float", L::NoLabel, &g[0], &g[1])
                } else {
                    ("-", self.label(&g[0]), &g[1], &g[2])
                };
                let (a, d) = (self.src(a), self.src(d));
                let imp = self.m.import("erlang", name, 1);
                self.emit(
                    O::Bif,
                    vec![L::Import(imp), fail, L::List(vec![a].into()), d],
                );
            }
            Op::Fadd | Op::Fsub | Op::Fmul | Op::Fdiv => {
                let k = match ins.op {
                    Op::Fadd => "add",
                    Op::Fsub => "sub",
                    Op::Fmul => "mul",
                    _ => "div",
                };
                let (a, b, d) = (self.src(&g[1]), self.src(&g[2]), self.src(&g[3]));
                self.emit(
                    O::Arith,
                    vec![kind(isa::ARITH_KINDS, k), self.label(&g[0]), a, b, d],
                );
            }
            Op::Raise => {
                // raise/2 takes the class from the stack trace.
                let (trace, value) = (self.src(&g[0]), self.src(&g[1]));
                self.emit(O::Raise, vec![L::Nil, value, trace]);
            }
            Op::RawRaise => self.emit(O::Raise, vec![L::X(0), L::X(1), L::X(2)]),
            Op::BuildStacktrace => {
                self.native("build_stacktrace", L::NoLabel, vec![L::X(0)], L::X(0))
            }
            Op::Trim => self.emit(
                O::Trim,
                vec![L::Num(self.num(&g[0])), L::Num(self.num(&g[1]))],
            ),
            Op::PutMapAssoc | Op::PutMapExact => {
                let k = if ins.op == Op::PutMapAssoc {
                    "assoc"
                } else {
                    "exact"
                };
                let (s, d, pairs) = (self.src(&g[1]), self.src(&g[2]), self.src(&g[4]));
                self.emit(
                    O::PutMap,
                    vec![kind(isa::MAP_KINDS, k), self.label(&g[0]), s, d, pairs],
                );
            }
            Op::GetMapElements => {
                let (s, pairs) = (self.src(&g[1]), self.src(&g[2]));
                self.emit(O::GetMap, vec![self.label(&g[0]), s, pairs]);
            }
            Op::HasMapFields => {
                let s = self.src(&g[1]);
                let L::List(keys) = self.src(&g[2]) else {
                    return Err(self.bad(ins, "expected a list"));
                };
                let pairs: Vec<L> = keys
                    .into_vec()
                    .into_iter()
                    .flat_map(|k| [k, L::Discard])
                    .collect();
                self.emit(O::GetMap, vec![self.label(&g[0]), s, L::List(pairs.into())]);
            }
            // `after 0` reaches it with the save pointer past the messages
            // it scanned; a timer that fired has reset it already.
            Op::Timeout => {
                let k = kind(isa::MARK_KINDS, "timeout");
                self.emit(O::RecvMark, vec![k, L::X(0), L::Nil]);
            }
            Op::RecvMarkerReserve
            | Op::RecvMarkerBind
            | Op::RecvMarkerUse
            | Op::RecvMarkerClear => {
                let k = match ins.op {
                    Op::RecvMarkerReserve => "reserve",
                    Op::RecvMarkerBind => "bind",
                    Op::RecvMarkerUse => "use",
                    _ => "clear",
                };
                let d = self.src(&g[0]);
                let s = if ins.op == Op::RecvMarkerBind {
                    self.src(&g[1])
                } else {
                    L::Nil
                };
                self.emit(O::RecvMark, vec![kind(isa::MARK_KINDS, k), d, s]);
            }
            op if op.name().starts_with("bs_") => self.binary(ins, g)?,
            op => {
                let reason = match fate(op) {
                    Fate::Unsupported(r) => r,
                    _ => "not handled by this translator",
                };
                self.unsupported(ins, f, reason);
            }
        }
        Ok(())
    }

    fn unsupported(
        &mut self,
        ins: &crate::beam::Instr,
        f: &dis::FunctionSpan<'_>,
        reason: &'static str,
    ) {
        let (file, line) = match self.current {
            Some((fi, l)) if l > 0 => (self.m.files.get(fi as usize).cloned(), Some(l)),
            _ => (None, None),
        };
        self.unsupported.push(Unsupported {
            module: self.beam.name().to_string(),
            function: f.name.to_string(),
            arity: f.arity,
            opcode: ins.op.name(),
            offset: ins.offset,
            file,
            line,
            reason,
        });
        let what = Term::Tuple(vec![Term::atom("unsupported"), Term::atom(ins.op.name())]);
        let lit = L::Literal(self.m.literal(what));
        self.emit(LamOp::Fail, vec![kind(isa::FAIL_KINDS, "unsupported"), lit]);
    }

    /// Binary construction and matching become calls to `lam` natives that
    /// work on binaries and match contexts as terms.
    fn binary(&mut self, ins: &crate::beam::Instr, g: &[B]) -> Result<()> {
        let s = |t: &mut Self, i: usize| t.src(&g[i]);
        let fail = g.first().map_or(L::NoLabel, |o| self.label(o));
        match ins.op {
            Op::BsStartMatch2 | Op::BsStartMatch3 => {
                let (bin, dst) = (
                    s(self, 1),
                    s(self, if ins.op == Op::BsStartMatch2 { 4 } else { 3 }),
                );
                self.native("bs_start_match", fail, vec![bin], dst.clone());
                if ins.op == Op::BsStartMatch2 {
                    // The BEAM's bs_start_match2 sets the `start` slot (the
                    // one bs_restore2 goes back to), also on a context it
                    // reuses; the slot count is left to bs_save.
                    let start = L::Atom(self.m.atom("start"));
                    self.native("bs_save", L::NoLabel, vec![dst, start], L::Discard);
                }
            }
            Op::BsStartMatch4 => {
                let (bin, dst) = (s(self, 2), s(self, 3));
                self.native("bs_start_match", fail, vec![bin], dst);
            }
            Op::BsGetInteger2 | Op::BsGetFloat2 | Op::BsGetBinary2 => {
                let name = match ins.op {
                    Op::BsGetInteger2 => "bs_get_integer",
                    Op::BsGetFloat2 => "bs_get_float",
                    _ => "bs_get_binary",
                };
                let args = vec![s(self, 1), s(self, 3), s(self, 4), s(self, 5)];
                let dst = s(self, 6);
                self.native(name, fail, args, dst);
            }
            Op::BsSkipBits2 => {
                let args = vec![s(self, 1), s(self, 2), s(self, 3), s(self, 4)];
                self.native("bs_skip_bits", fail, args, L::Discard);
            }
            Op::BsTestTail2 | Op::BsTestUnit => {
                let name = if ins.op == Op::BsTestTail2 {
                    "bs_test_tail"
                } else {
                    "bs_test_unit"
                };
                let args = vec![s(self, 1), s(self, 2)];
                self.native(name, fail, args, L::Discard);
            }
            Op::BsMatchString => {
                let bits = self.num(&g[2]) as usize;
                let off = self.num(&g[3]) as usize;
                let bytes = self
                    .beam
                    .strings
                    .get(off..off.saturating_add(bits.div_ceil(8)))
                    .ok_or_else(|| self.bad(ins, "string outside the string table"))?;
                let lit = L::Literal(self.m.literal(bitstring(bytes, bits)));
                let ctx = s(self, 1);
                self.native("bs_match_string", fail, vec![ctx, lit], L::Discard);
            }
            Op::BsSave2 | Op::BsRestore2 => {
                let name = if ins.op == Op::BsSave2 {
                    "bs_save"
                } else {
                    "bs_restore"
                };
                let args = vec![s(self, 0), s(self, 1)];
                self.native(name, L::NoLabel, args, L::Discard);
            }
            Op::BsContextToBinary => {
                let r = s(self, 0);
                self.native("bs_context_to_binary", L::NoLabel, vec![r.clone()], r);
            }
            Op::BsGetTail | Op::BsGetPosition => {
                let name = if ins.op == Op::BsGetTail {
                    "bs_get_tail"
                } else {
                    "bs_get_position"
                };
                let (ctx, dst) = (s(self, 0), s(self, 1));
                self.native(name, L::NoLabel, vec![ctx], dst);
            }
            Op::BsSetPosition => {
                let args = vec![s(self, 0), s(self, 1)];
                self.native("bs_set_position", L::NoLabel, args, L::Discard);
            }
            Op::BsGetUtf8 | Op::BsGetUtf16 | Op::BsGetUtf32 => {
                let name = ins.op.name();
                let args = vec![s(self, 1), s(self, 3)];
                let dst = s(self, 4);
                self.native(name, fail, args, dst);
            }
            Op::BsSkipUtf8 | Op::BsSkipUtf16 | Op::BsSkipUtf32 => {
                let name = ins.op.name();
                let args = vec![s(self, 1), s(self, 3)];
                self.native(name, fail, args, L::Discard);
            }
            Op::BsInit2 | Op::BsInitBits => {
                let name = if ins.op == Op::BsInit2 {
                    "bs_init"
                } else {
                    "bs_init_bits"
                };
                let args = vec![s(self, 1), s(self, 4)];
                let dst = s(self, 5);
                self.native(name, fail, args, dst);
            }
            Op::BsPutInteger | Op::BsPutBinary | Op::BsPutFloat => {
                let name = ins.op.name();
                let args = vec![s(self, 4), s(self, 1), s(self, 2), s(self, 3)];
                self.native(name, fail, args, L::Discard);
            }
            Op::BsPutString => {
                let len = self.num(&g[0]) as usize;
                let off = self.num(&g[1]) as usize;
                let bytes = self
                    .beam
                    .strings
                    .get(off..off.saturating_add(len))
                    .ok_or_else(|| self.bad(ins, "string outside the string table"))?
                    .to_vec();
                let lit = L::Literal(self.m.literal(Term::Binary(bytes)));
                self.native("bs_put_string", L::NoLabel, vec![lit], L::Discard);
            }
            Op::BsPutUtf8 | Op::BsPutUtf16 | Op::BsPutUtf32 => {
                let name = ins.op.name();
                let args = vec![s(self, 2), s(self, 1)];
                self.native(name, fail, args, L::Discard);
            }
            Op::BsUtf8Size | Op::BsUtf16Size => {
                let name = ins.op.name();
                let (a, d) = (s(self, 1), s(self, 2));
                self.native(name, fail, vec![a], d);
            }
            Op::BsAdd => {
                let args = vec![s(self, 1), s(self, 2), s(self, 3)];
                let dst = s(self, 4);
                self.native("bs_add", fail, args, dst);
            }
            Op::BsInitWritable => {
                self.native("bs_init_writable", L::NoLabel, vec![L::X(0)], L::X(0))
            }
            Op::BsAppend => {
                let args = vec![s(self, 5), s(self, 1), s(self, 4), s(self, 6)];
                let dst = s(self, 7);
                self.native("bs_append", fail, args, dst);
            }
            Op::BsPrivateAppend => {
                let args = vec![s(self, 3), s(self, 1), s(self, 2), s(self, 4)];
                let dst = s(self, 5);
                self.native("bs_append", fail, args, dst);
            }
            Op::BsCreateBin => {
                let unit = s(self, 3);
                let dst = s(self, 4);
                let B::List(segs) = &g[5] else {
                    return Err(self.bad(ins, "expected a segment list"));
                };
                if segs.len() % 6 != 0 {
                    return Err(self.bad(ins, "segment list length is not a multiple of 6"));
                }
                let mut args = vec![unit];
                for seg in segs.chunks(6) {
                    let is_string = matches!(&seg[0], B::Atom(k) if self.beam.atom(*k).is_some_and(|a| &**a == "string"));
                    let literal_all = matches!(&seg[5], B::Atom(k) if self.beam.atom(*k).is_some_and(|a| &**a == "all"));
                    for (k, o) in seg.iter().enumerate() {
                        // A string segment's source is an offset into the BEAM's
                        // string table, which LAM does not have: inline the bytes.
                        let v = if is_string && k == 4 {
                            let (off, len) = (self.num(o) as usize, self.num(&seg[5]) as usize);
                            let bytes = self
                                .beam
                                .strings
                                .get(off..off.saturating_add(len))
                                .ok_or_else(|| {
                                    self.bad(ins, "string segment outside the string table")
                                })?;
                            L::Literal(self.m.literal(Term::Binary(bytes.to_vec())))
                        } else if literal_all && k == 3 {
                            // Operand 3 is the flags: `all` among them says the
                            // size is the literal `all`, which the native cannot
                            // tell from a size that is the atom only at run time
                            // (badarg, as on the BEAM).
                            let mut flags = match o {
                                B::Literal(i) => match self.beam.literals.get(*i as usize) {
                                    Some(Term::List(items, _)) => items.clone(),
                                    _ => Vec::new(),
                                },
                                _ => Vec::new(),
                            };
                            flags.push(Term::atom("all"));
                            L::Literal(self.m.literal(Term::list(flags)))
                        } else {
                            self.src(o)
                        };
                        args.push(v);
                    }
                }
                self.native("bs_create_bin", fail, args, dst);
            }
            Op::BsMatch => self.bs_match(ins, g)?,
            _ => return Err(self.bad(ins, "no translation for this binary instruction")),
        }
        Ok(())
    }

    /// OTP 26's `bs_match` runs a list of matching commands; each becomes
    /// the native the older instructions use.
    fn bs_match(&mut self, ins: &crate::beam::Instr, g: &[B]) -> Result<()> {
        let fail = self.label(&g[0]);
        let ctx = self.src(&g[1]);
        let B::List(cmds) = &g[2] else {
            return Err(self.bad(ins, "expected a command list"));
        };
        let mut i = 0;
        let word = |o: &B| match o {
            B::Atom(k) => self.beam.atom(*k).map(|a| a.to_string()),
            _ => None,
        };
        let mut steps: Vec<(String, usize)> = Vec::new();
        while i < cmds.len() {
            let name = word(&cmds[i]).ok_or_else(|| self.bad(ins, "bad bs_match command"))?;
            let n = match name.as_str() {
                "ensure_at_least" => 2,
                "ensure_exactly" => 1,
                "integer" | "binary" | "float" => 5,
                "skip" => 1,
                "get_tail" => 3,
                "=:=" => 3,
                _ => return Err(self.bad(ins, &format!("unknown bs_match command {name}"))),
            };
            if i + 1 + n > cmds.len() {
                return Err(self.bad(ins, "truncated bs_match command"));
            }
            steps.push((name, i + 1));
            i += 1 + n;
        }
        for (name, at) in steps {
            let a = |t: &mut Self, k: usize| t.src(&cmds[at + k]);
            match name.as_str() {
                "ensure_at_least" => {
                    let args = vec![ctx.clone(), a(self, 0), a(self, 1)];
                    self.native("bs_ensure_at_least", fail.clone(), args, L::Discard);
                }
                "ensure_exactly" => {
                    let args = vec![ctx.clone(), a(self, 0)];
                    self.native("bs_ensure_exactly", fail.clone(), args, L::Discard);
                }
                "integer" | "binary" | "float" => {
                    // Live, Flags, Size, Unit, Dst
                    let args = vec![ctx.clone(), a(self, 2), a(self, 3), a(self, 1)];
                    let dst = a(self, 4);
                    self.native(&format!("bs_get_{name}"), fail.clone(), args, dst);
                }
                "skip" => {
                    let args = vec![ctx.clone(), a(self, 0), L::Int(1), L::Int(0)];
                    self.native("bs_skip_bits", fail.clone(), args, L::Discard);
                }
                "get_tail" => {
                    let dst = a(self, 2);
                    self.native("bs_get_tail", L::NoLabel, vec![ctx.clone()], dst);
                }
                _ => {
                    // '=:=' Live Size Value
                    let args = vec![ctx.clone(), a(self, 1), a(self, 2)];
                    self.native("bs_match_bits", fail.clone(), args, L::Discard);
                }
            }
        }
        Ok(())
    }
}

/// `x[n]`, kept out of range (for the validator) when `n` does not fit.
fn xreg(n: u32) -> L {
    L::X(u16::try_from(n).unwrap_or(u16::MAX))
}

fn label_of(o: &B) -> u32 {
    match o {
        B::Label(l) => *l,
        _ => 0,
    }
}

/// The first `bits` bits of `bytes` as a term.
fn bitstring(bytes: &[u8], bits: usize) -> Term {
    let mut v = bytes.to_vec();
    match bits % 8 {
        0 => Term::Binary(v),
        r => {
            let last = v.len() - 1;
            v[last] &= 0xffu8 << (8 - r);
            Term::Bits(v, r as u8)
        }
    }
}
