//! A LAM module: tables plus one code array, as the translator produces it
//! and as the binary and text formats store it.

use crate::lam::isa::{LamOp, Operand, Shape, X_REGS, Y_REGS};
use crate::term::{Atom, Term};

/// An external function: `module:function/arity` by atom indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Import {
    /// Module atom.
    pub module: u32,
    /// Function atom.
    pub function: u32,
    /// Arity.
    pub arity: u32,
}

/// A function of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// Name atom.
    pub name: u32,
    /// Arity.
    pub arity: u32,
    /// Index of its first instruction (stack traces map code positions to functions).
    pub start: u32,
    /// Index of the instruction a call enters at.
    pub entry: u32,
    /// Whether it is exported.
    pub exported: bool,
}

/// A lambda: the function a closure runs, and how many values it captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lambda {
    /// Index into [`Module::functions`].
    pub function: u32,
    /// Number of captured values (they follow the arguments).
    pub num_free: u32,
    /// The BEAM's old uniq, kept so closures print and compare as on the BEAM.
    pub old_uniq: u32,
}

/// Where the instructions from `instr` on came from (until the next entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineEntry {
    /// First instruction index covered.
    pub instr: u32,
    /// Index into [`Module::files`]; ignored when `line` is 0 (no location).
    pub file: u32,
    /// Line number, 0 for none.
    pub line: u32,
}

/// One instruction: its operands are `operands[first..first + arity]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instr {
    /// The opcode.
    pub op: LamOp,
    /// Index of the first operand.
    pub first: u32,
}

/// A LAM module.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// Atoms; atom 0 is the module's name.
    pub atoms: Vec<Atom>,
    /// Literal terms.
    pub literals: Vec<Term>,
    /// External functions (ordinary calls and natives alike).
    pub imports: Vec<Import>,
    /// All functions, in code order.
    pub functions: Vec<Function>,
    /// Lambdas, by the index `make_fun` uses.
    pub lambdas: Vec<Lambda>,
    /// The function to run when the module is loaded, if any.
    pub on_load: Option<u32>,
    /// The literal holding what `module_info/0,1` reports beyond the
    /// module's name and functions: `[{attributes, A}, {compile, C}, {md5, B}]`.
    pub module_info: Option<u32>,
    /// The code.
    pub code: Vec<Instr>,
    /// All operands of all instructions.
    pub operands: Vec<Operand>,
    /// Source file names.
    pub files: Vec<String>,
    /// Source locations, sorted by instruction.
    pub lines: Vec<LineEntry>,
}

impl Module {
    /// The module's name.
    pub fn name(&self) -> &str {
        self.atoms.first().map(|a| &**a).unwrap_or("")
    }

    /// The operands of an instruction.
    pub fn args(&self, i: &Instr) -> &[Operand] {
        &self.operands[i.first as usize..i.first as usize + i.op.arity()]
    }

    /// Appends an instruction and returns its index.
    pub fn push(&mut self, op: LamOp, args: Vec<Operand>) -> u32 {
        debug_assert_eq!(args.len(), op.arity(), "{}", op.name());
        let first = self.operands.len() as u32;
        self.operands.extend(args);
        self.code.push(Instr { op, first });
        self.code.len() as u32 - 1
    }

    /// Index of an atom, added if missing.
    pub fn atom(&mut self, name: &str) -> u32 {
        match self.atoms.iter().position(|a| &**a == name) {
            Some(i) => i as u32,
            None => {
                self.atoms.push(name.into());
                self.atoms.len() as u32 - 1
            }
        }
    }

    /// Index of an import, added if missing.
    pub fn import(&mut self, module: &str, function: &str, arity: u32) -> u32 {
        let imp = Import {
            module: self.atom(module),
            function: self.atom(function),
            arity,
        };
        match self.imports.iter().position(|i| *i == imp) {
            Some(i) => i as u32,
            None => {
                self.imports.push(imp);
                self.imports.len() as u32 - 1
            }
        }
    }

    /// Index of a literal, added if missing.
    pub fn literal(&mut self, t: Term) -> u32 {
        match self.literals.iter().position(|l| *l == t) {
            Some(i) => i as u32,
            None => {
                self.literals.push(t);
                self.literals.len() as u32 - 1
            }
        }
    }

    /// The function whose code contains instruction `pc`.
    pub fn function_at(&self, pc: u32) -> Option<&Function> {
        let i = self.functions.partition_point(|f| f.start <= pc);
        i.checked_sub(1).map(|i| &self.functions[i])
    }

    /// The source location of instruction `pc`, as (file, line).
    pub fn location(&self, pc: u32) -> Option<(&str, u32)> {
        let i = self
            .lines
            .partition_point(|l| l.instr <= pc)
            .checked_sub(1)?;
        let l = self.lines[i];
        if l.line == 0 {
            return None;
        }
        Some((self.files.get(l.file as usize)?.as_str(), l.line))
    }

    /// Checks everything the interpreter relies on: every label, register,
    /// index and kind in range, every operand of the right shape.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let bad = |pc: Option<u32>, message: String| Err(ValidationError { pc, message });
        if self.atoms.is_empty() {
            return bad(
                None,
                "the atom table is empty (atom 0 must be the module name)".into(),
            );
        }
        let n = self.code.len() as u32;
        // Names must be unique: the text format refers to atoms and imports by name.
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.atoms.iter().find(|a| !seen.insert(&***a)) {
            return bad(None, format!("atom {dup:?} appears twice"));
        }
        let mut seen = std::collections::HashSet::new();
        if self.imports.iter().any(|i| !seen.insert(*i)) {
            return bad(None, "an import appears twice".into());
        }
        for imp in &self.imports {
            if imp.module as usize >= self.atoms.len() || imp.function as usize >= self.atoms.len()
            {
                return bad(None, "an import names a missing atom".into());
            }
        }
        let mut last_start = None;
        for f in &self.functions {
            if f.name as usize >= self.atoms.len() {
                return bad(None, "a function names a missing atom".into());
            }
            if f.start >= n || f.entry >= n || f.entry < f.start {
                return bad(
                    None,
                    format!(
                        "function {}/{} points outside the code",
                        self.atoms[f.name as usize], f.arity
                    ),
                );
            }
            if last_start.is_some_and(|s| f.start < s) {
                return bad(None, "functions are not in code order".into());
            }
            last_start = Some(f.start);
        }
        for l in &self.lambdas {
            if l.function as usize >= self.functions.len() {
                return bad(None, "a lambda names a missing function".into());
            }
        }
        if self
            .on_load
            .is_some_and(|f| f as usize >= self.functions.len())
        {
            return bad(None, "on_load names a missing function".into());
        }
        if self
            .module_info
            .is_some_and(|l| l as usize >= self.literals.len())
        {
            return bad(None, "module_info names a missing literal".into());
        }
        let mut prev = None;
        for l in &self.lines {
            if l.instr >= n.max(1) || prev.is_some_and(|p| l.instr <= p) {
                return bad(
                    Some(l.instr),
                    "line table entries must be in code order".into(),
                );
            }
            if l.line != 0 && l.file as usize >= self.files.len() {
                return bad(Some(l.instr), "line table names a missing file".into());
            }
            prev = Some(l.instr);
        }
        let mut expected = 0u32;
        for (pc, ins) in self.code.iter().enumerate() {
            let pc = pc as u32;
            if ins.first != expected || ins.first as usize + ins.op.arity() > self.operands.len() {
                return bad(Some(pc), "operands are not laid out in order".into());
            }
            expected += ins.op.arity() as u32;
            let needs_label = matches!(
                ins.op,
                LamOp::Jump
                    | LamOp::Try
                    | LamOp::PeekMessage
                    | LamOp::NextMessage
                    | LamOp::Wait
                    | LamOp::Select
            );
            if needs_label && self.args(ins).contains(&Operand::NoLabel) {
                return bad(Some(pc), format!("{} needs a label", ins.op.name()));
            }
            for (k, (shape, o)) in ins.op.info().shapes.iter().zip(self.args(ins)).enumerate() {
                if let Err(m) = self.check(*shape, o) {
                    return bad(
                        Some(pc),
                        format!("{} operand {}: {m}", ins.op.name(), k + 1),
                    );
                }
            }
        }
        if expected as usize != self.operands.len() {
            return bad(None, "stray operands after the last instruction".into());
        }
        Ok(())
    }

    fn check(&self, shape: Shape, o: &Operand) -> Result<(), String> {
        let n = self.code.len() as u32;
        let list = |o: &Operand, width: usize| -> Result<Vec<Operand>, String> {
            match o {
                Operand::List(items) if items.len() % width == 0 => Ok(items.to_vec()),
                Operand::List(_) => Err(format!("list length must be a multiple of {width}")),
                _ => Err("expected a list".into()),
            }
        };
        match (shape, o) {
            (Shape::Src, Operand::X(_) | Operand::Y(_))
            | (Shape::Dst, Operand::X(_) | Operand::Y(_)) => self.reg(o),
            (Shape::Dst, Operand::Discard) => Ok(()),
            (Shape::Src, Operand::Nil | Operand::Int(_)) => Ok(()),
            (Shape::Src, Operand::Atom(a)) if (*a as usize) < self.atoms.len() => Ok(()),
            (Shape::Src, Operand::Literal(l)) if (*l as usize) < self.literals.len() => Ok(()),
            (Shape::Label, Operand::NoLabel) => Ok(()),
            (Shape::Label | Shape::Target, Operand::Label(l)) if *l < n => Ok(()),
            (Shape::Import | Shape::Target, Operand::Import(i))
                if (*i as usize) < self.imports.len() =>
            {
                Ok(())
            }
            (Shape::Num, Operand::Num(_)) => Ok(()),
            (Shape::Kind(words), Operand::Kind(k)) if (*k as usize) < words.len() => Ok(()),
            (Shape::Srcs, _) => list(o, 1)?
                .iter()
                .try_for_each(|x| self.check(Shape::Src, x)),
            (Shape::SrcLabels | Shape::SrcSrcs | Shape::SrcDsts, _) => {
                let second = match shape {
                    Shape::SrcLabels => Shape::Label,
                    Shape::SrcSrcs => Shape::Src,
                    _ => Shape::Dst,
                };
                let items = list(o, 2)?;
                for pair in items.chunks(2) {
                    // The loader builds select's jump table from the
                    // values, in all code: unreachable code, which the
                    // verifier does not walk, too.
                    if shape == Shape::SrcLabels && matches!(pair[0], Operand::X(_) | Operand::Y(_))
                    {
                        return Err("a select value must be a constant, not a register".into());
                    }
                    self.check(Shape::Src, &pair[0])?;
                    if pair[1] == Operand::NoLabel {
                        return Err("a jump table entry needs a label".into());
                    }
                    self.check(second, &pair[1])?;
                }
                Ok(())
            }
            _ => Err(format!("{o:?} does not fit {shape:?} (or is out of range)")),
        }
    }

    fn reg(&self, o: &Operand) -> Result<(), String> {
        match o {
            Operand::X(r) if (*r as u32) < X_REGS => Ok(()),
            Operand::Y(r) if (*r as u32) < Y_REGS => Ok(()),
            _ => Err(format!("register {o:?} out of range")),
        }
    }
}

/// Why a module failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The instruction, when the problem is in the code.
    pub pc: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pc {
            Some(pc) => write!(f, "instruction {pc}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for ValidationError {}
