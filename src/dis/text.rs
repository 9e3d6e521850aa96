//! A disassembly for people: names instead of indices, `file:line` instead
//! of line-table indices, and the module's tables up front.

use std::fmt::Write;

use crate::beam::compact::{Int, Operand};
use crate::beam::{BeamModule, Instr, Op};
use crate::dis::{entry_labels, functions, types};
use crate::erlfmt::{write_atom, write_w};
use crate::error::Result;

/// Prints the module in the friendly format.
pub fn disassemble(m: &BeamModule) -> Result<String> {
    let funs = functions(m)?;
    let labels = entry_labels(m, &funs);
    let mut out = String::with_capacity(m.code.instrs.len() * 24);
    let _ = write!(out, "module ");
    write_atom(&mut out, m.name());
    out.push('\n');
    let _ = writeln!(
        out,
        "; {} functions, {} labels, {} atoms, {} literals, {} imports{}",
        m.code.function_count,
        m.code.label_count,
        m.atoms.len(),
        m.literals.len(),
        m.imports.len(),
        if m.compressed {
            ", gzip-compressed"
        } else {
            ""
        }
    );
    let chunks: Vec<String> = m.chunk_order.iter().map(crate::error::chunk_name).collect();
    let _ = writeln!(out, "; chunks: {}", chunks.join(" "));
    for e in &m.exports {
        out.push_str("export ");
        write_atom(&mut out, m.atom(e.function).map(|a| &**a).unwrap_or("?"));
        let _ = writeln!(out, "/{} L{}", e.arity, e.label);
    }
    let p = Printer {
        m,
        funs: &funs,
        labels: &labels,
    };
    for f in &funs {
        out.push_str("\nfunction ");
        write_atom(&mut out, f.name);
        let _ = writeln!(out, "/{} entry L{}", f.arity, f.entry);
        for i in f.code {
            p.instr(&mut out, i);
            out.push('\n');
        }
    }
    Ok(out)
}

struct Printer<'a> {
    m: &'a BeamModule,
    funs: &'a [crate::dis::FunctionSpan<'a>],
    labels: &'a std::collections::HashMap<u32, usize>,
}

impl Printer<'_> {
    fn instr(&self, out: &mut String, i: &Instr) {
        if i.op == Op::Label {
            if let Some(Operand::U(l)) = self.m.code.args(i).first() {
                let _ = write!(out, "L{l}:");
            }
            return;
        }
        let _ = write!(out, "    {}", i.op.name());
        for (k, arg) in self.m.code.args(i).iter().enumerate() {
            out.push_str(if k == 0 { " " } else { ", " });
            self.operand(out, i.op, k, arg);
        }
        if let (Op::Line, Some(Operand::U(n))) = (i.op, self.m.code.args(i).first())
            && let Some((file, line)) = self.m.location(*n as u32)
        {
            let _ = write!(out, "  ; {file}:{line}");
        }
    }

    /// Operands that are indices into a table are shown as what they name.
    fn operand(&self, out: &mut String, op: Op, k: usize, o: &Operand) {
        use Op::*;
        let import_at = match op {
            CallExt | CallExtLast | CallExtOnly => Some(1),
            Bif0 => Some(0),
            Bif1 | Bif2 => Some(1),
            GcBif1 | GcBif2 | GcBif3 => Some(2),
            _ => None,
        };
        match (o, import_at == Some(k)) {
            (Operand::U(n), true) => {
                if let Some(imp) = self.m.imports.get(*n as usize) {
                    self.mfa(out, imp.module, imp.function, imp.arity);
                    return;
                }
            }
            (Operand::Label(l), _) if matches!(op, Call | CallLast | CallOnly) && k == 1 => {
                if let Some(f) = self.labels.get(l).map(|&i| &self.funs[i]) {
                    write_atom(out, f.name);
                    let _ = write!(out, "/{}", f.arity);
                    return;
                }
            }
            (Operand::U(n), _) if matches!(op, MakeFun2 | MakeFun3) && k == 0 => {
                if let Some(l) = self.m.lambdas.get(*n as usize) {
                    out.push_str("fun ");
                    write_atom(out, self.m.atom(l.function).map(|a| &**a).unwrap_or("?"));
                    let _ = write!(out, "/{}", l.arity);
                    return;
                }
            }
            _ => {}
        }
        self.plain(out, o);
    }

    fn mfa(&self, out: &mut String, m: u32, f: u32, a: u32) {
        let name = |i| self.m.atom(i).map(|a| &**a).unwrap_or("?");
        write_atom(out, name(m));
        out.push(':');
        write_atom(out, name(f));
        let _ = write!(out, "/{a}");
    }

    fn plain(&self, out: &mut String, o: &Operand) {
        let _ = match o {
            Operand::U(n) => write!(out, "{n}"),
            Operand::UBig(n) => write!(out, "{n}"),
            Operand::I(Int::Small(v)) => write!(out, "{v}"),
            Operand::I(Int::Big(v)) => write!(out, "{v}"),
            Operand::Atom(0) => write!(out, "[]"),
            Operand::Atom(k) => {
                write_atom(out, self.m.atom(*k).map(|a| &**a).unwrap_or("?"));
                Ok(())
            }
            Operand::X(n) => write!(out, "x{n}"),
            Operand::Y(n) => write!(out, "y{n}"),
            Operand::Label(n) => write!(out, "L{n}"),
            Operand::Char(c) => write!(out, "${c}"),
            Operand::Float(f) => {
                crate::erlfmt::write_float(out, *f);
                Ok(())
            }
            Operand::FReg(n) => write!(out, "fr{n}"),
            Operand::Literal(k) => {
                crate::erlfmt::write_p(out, &self.m.literals[*k as usize]);
                Ok(())
            }
            Operand::Alloc(items) => {
                out.push_str("alloc(");
                for (i, (kind, n)) in items.iter().enumerate() {
                    let name = ["words", "floats", "funs"][*kind as usize];
                    let _ = write!(out, "{}{name}={n}", if i > 0 { ", " } else { "" });
                }
                out.push(')');
                Ok(())
            }
            Operand::Typed(reg, ty) => {
                self.plain(out, reg);
                if let Some(table) = &self.m.types {
                    let e = table.entries[*ty as usize];
                    out.push_str("::");
                    write_w(out, &types::to_term(types::from_bits(e.bits & 0x1fff)));
                    if let (Some(lo), Some(hi)) = (e.min, e.max)
                        && e.bits & (1 << 6) != 0
                        && lo <= hi
                    {
                        let _ = write!(out, "[{lo}..{hi}]");
                    }
                }
                Ok(())
            }
            Operand::List(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.plain(out, x);
                }
                out.push(']');
                Ok(())
            }
        };
    }
}
