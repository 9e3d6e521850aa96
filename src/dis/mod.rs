//! Disassembly: a BEAM module printed as text.
//!
//! Two formats carry the same information: [`erlang`] prints exactly what
//! OTP's `beam_disasm:file/1` returns (one `~w` term per instruction), for
//! differential testing; [`text`] is for people (names, `file:line`).

pub mod erlang;
pub mod text;
pub mod types;

use std::collections::HashMap;

use crate::beam::compact::Operand;
use crate::beam::{BeamModule, Instr, Op};
use crate::error::{Error, ErrorKind, Result};

/// One function's slice of the code: the labels and `line`s that precede
/// its `func_info`, the `func_info`, and the body up to the next function.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpan<'a> {
    /// Function name.
    pub name: &'a str,
    /// Arity.
    pub arity: u32,
    /// The label right after `func_info`.
    pub entry: u32,
    /// All instructions of the function, prefix included.
    pub code: &'a [Instr],
}

fn is_prefix(i: &Instr) -> bool {
    matches!(i.op, Op::Label | Op::Line)
}

/// Splits the code into functions the way `beam_disasm` does: labels and
/// `line`s just before a `func_info` belong to the function it starts.
pub fn functions(m: &BeamModule) -> Result<Vec<FunctionSpan<'_>>> {
    let code = &m.code.instrs;
    let end = match code.last() {
        Some(i) if i.op == Op::IntCodeEnd => code.len() - 1,
        _ => code.len(),
    };
    let code = &code[..end];
    let infos: Vec<usize> = (0..code.len())
        .filter(|&i| code[i].op == Op::FuncInfo)
        .collect();
    let start_of = |fi: usize| {
        let mut s = fi;
        while s > 0 && is_prefix(&code[s - 1]) {
            s -= 1;
        }
        s
    };
    if let Some(&first) = infos.first() {
        if start_of(first) != 0 {
            let at = code[0].offset as usize;
            return Err(Error::at(
                at,
                ErrorKind::Invalid,
                "code before the first function",
            ));
        }
    } else if !code.is_empty() {
        return Err(Error::at(
            code[0].offset as usize,
            ErrorKind::Invalid,
            "code has no func_info",
        ));
    }
    let mut out = Vec::with_capacity(infos.len());
    for (k, &fi) in infos.iter().enumerate() {
        let start = start_of(fi);
        let stop = infos.get(k + 1).map(|&n| start_of(n)).unwrap_or(code.len());
        let info = &code[fi];
        let bad =
            |what: &str| Error::at(info.offset as usize, ErrorKind::Invalid, what.to_string());
        let name = match m.code.args(info).get(1) {
            Some(Operand::Atom(a)) => m
                .atom(*a)
                .ok_or_else(|| bad("func_info names a missing atom"))?,
            _ => return Err(bad("func_info without a function name")),
        };
        let arity = match m.code.args(info).get(2) {
            Some(Operand::U(a)) => *a as u32,
            _ => return Err(bad("func_info without an arity")),
        };
        let entry = match code.get(fi + 1) {
            Some(l @ Instr { op: Op::Label, .. }) if fi + 1 < stop => {
                match m.code.args(l).first() {
                    Some(Operand::U(l)) => *l as u32,
                    _ => return Err(bad("label without a number")),
                }
            }
            _ => return Err(bad("func_info is not followed by the entry label")),
        };
        out.push(FunctionSpan {
            name,
            arity,
            entry,
            code: &code[start..stop],
        });
    }
    Ok(out)
}

/// Maps every label that directly follows a `func_info` to its function
/// (index into the list from [`functions`]); `call` targets must be among them.
pub fn entry_labels(m: &BeamModule, funs: &[FunctionSpan<'_>]) -> HashMap<u32, usize> {
    let mut map = HashMap::new();
    for (k, f) in funs.iter().enumerate() {
        let fi = f
            .code
            .iter()
            .position(|i| i.op == Op::FuncInfo)
            .unwrap_or(0);
        for i in &f.code[fi + 1..] {
            match (i.op, m.code.args(i).first()) {
                (Op::Label, Some(Operand::U(l))) => {
                    map.insert(*l as u32, k);
                }
                _ => break,
            }
        }
    }
    map
}
