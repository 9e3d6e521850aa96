//! The LAM text format (assembly), for people to read and write.
//!
//! It holds exactly what the binary format holds, so binary → text → binary
//! gives the same bytes. Tables come first, one entry per line, in index
//! order; then the code, one instruction per line. `Ln:` marks instruction
//! `n` where something jumps to it (the parser checks the number), `.loc F L`
//! starts a line-table entry, and lines starting with `;` are comments.
//!
//! ```text
//! atoms
//!     hello
//! ...
//! code
//! L2:
//!     .loc 0 6
//!     move 'hello', x0
//!     tail_call 2, io:format/2
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, digit1};
use nom::combinator::{map, map_res, opt, recognize};
use nom::sequence::{pair, preceded};
use nom::{IResult, Parser};

use crate::beam::etf;
use crate::erlfmt::{self, write_atom, write_w};
use crate::error::{Error, ErrorKind, Result};
use crate::lam::isa::{LamOp, Operand, Shape};
use crate::lam::module::{Function, Import, Instr, Lambda, LineEntry, Module};
use crate::term::Term;

/// Whether `~w` text of this term reads back as the same term.
fn readable(t: &Term) -> bool {
    match t {
        Term::Pid { .. } | Term::Port { .. } | Term::Ref { .. } | Term::Fun(_) => false,
        Term::List(items, tail) => items.iter().all(readable) && readable(tail),
        Term::Tuple(items) => items.iter().all(readable),
        Term::Map(pairs) => pairs.iter().all(|(k, v)| readable(k) && readable(v)),
        _ => true,
    }
}

fn import_name(m: &Module, out: &mut String, i: u32) {
    let imp = m.imports[i as usize];
    write_atom(out, &m.atoms[imp.module as usize]);
    out.push(':');
    write_atom(out, &m.atoms[imp.function as usize]);
    let _ = write!(out, "/{}", imp.arity);
}

fn operand(m: &Module, out: &mut String, shape: Shape, o: &Operand) {
    let _ = match o {
        Operand::X(r) => write!(out, "x{r}"),
        Operand::Y(r) => write!(out, "y{r}"),
        Operand::Discard => write!(out, "_"),
        Operand::Nil => write!(out, "[]"),
        Operand::Atom(a) => {
            // Always quoted, so that no atom can be read as a register or kind.
            out.push('\'');
            for c in m.atoms[*a as usize].chars() {
                erlfmt::write_quoted_char(out, c, '\'');
            }
            out.push('\'');
            Ok(())
        }
        Operand::Int(i) => write!(out, "{i}"),
        Operand::Literal(l) => write!(out, "lit:{l}"),
        Operand::Label(l) => write!(out, "L{l}"),
        Operand::NoLabel => write!(out, "nofail"),
        Operand::Import(i) => {
            import_name(m, out, *i);
            Ok(())
        }
        Operand::Num(n) => write!(out, "{n}"),
        Operand::Kind(k) => match shape {
            Shape::Kind(words) => write!(out, "{}", words[*k as usize]),
            _ => write!(out, "kind:{k}"),
        },
        Operand::List(items) => {
            let shapes = list_shapes(shape);
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                operand(m, out, shapes[i % shapes.len()], x);
            }
            out.push(']');
            Ok(())
        }
    };
}

/// The shapes of a list's elements, repeating.
fn list_shapes(shape: Shape) -> &'static [Shape] {
    match shape {
        Shape::SrcLabels => &[Shape::Src, Shape::Label],
        Shape::SrcSrcs => &[Shape::Src, Shape::Src],
        Shape::SrcDsts => &[Shape::Src, Shape::Dst],
        _ => &[Shape::Src],
    }
}

/// Prints a (validated) module as assembly.
pub fn print(m: &Module) -> String {
    let mut out = String::with_capacity(m.code.len() * 24);
    out.push_str("; LAM assembly, format 2\natoms\n");
    for a in &m.atoms {
        out.push_str("    ");
        write_atom(&mut out, a);
        out.push('\n');
    }
    out.push_str("literals\n");
    for l in &m.literals {
        out.push_str("    ");
        if readable(l) {
            write_w(&mut out, l);
        } else {
            out.push_str("etf ");
            for b in etf::encode(l) {
                let _ = write!(out, "{b:02x}");
            }
        }
        out.push('\n');
    }
    out.push_str("imports\n");
    for i in 0..m.imports.len() {
        out.push_str("    ");
        import_name(m, &mut out, i as u32);
        out.push('\n');
    }
    out.push_str("functions\n");
    for f in &m.functions {
        out.push_str("    ");
        write_atom(&mut out, &m.atoms[f.name as usize]);
        let _ = writeln!(
            out,
            "/{} start {} entry {}{}",
            f.arity,
            f.start,
            f.entry,
            if f.exported { " export" } else { "" }
        );
    }
    out.push_str("lambdas\n");
    for l in &m.lambdas {
        let _ = writeln!(
            out,
            "    {} free {} uniq {}",
            l.function, l.num_free, l.old_uniq
        );
    }
    if let Some(f) = m.on_load {
        let _ = writeln!(out, "on_load {f}");
    }
    if let Some(l) = m.module_info {
        let _ = writeln!(out, "module_info {l}");
    }
    out.push_str("files\n");
    for f in &m.files {
        out.push_str("    \"");
        for c in f.chars() {
            erlfmt::write_quoted_char(&mut out, c, '"');
        }
        out.push_str("\"\n");
    }
    out.push_str("code\n");
    let mut targets: HashSet<u32> = HashSet::new();
    for f in &m.functions {
        targets.insert(f.start);
        targets.insert(f.entry);
    }
    collect_labels(&m.operands, &mut targets);
    let mut lines = m.lines.iter().peekable();
    for (pc, ins) in m.code.iter().enumerate() {
        let pc = pc as u32;
        if targets.contains(&pc) {
            let _ = writeln!(out, "L{pc}:");
        }
        while let Some(l) = lines.next_if(|l| l.instr == pc) {
            let _ = writeln!(out, "    .loc {} {}", l.file, l.line);
        }
        let _ = write!(out, "    {}", ins.op.name());
        for (k, (shape, o)) in ins.op.info().shapes.iter().zip(m.args(ins)).enumerate() {
            out.push_str(if k == 0 { " " } else { ", " });
            operand(m, &mut out, *shape, o);
        }
        out.push('\n');
    }
    for l in lines {
        let _ = writeln!(out, "    .loc {} {} @{}", l.file, l.line, l.instr);
    }
    out
}

fn collect_labels(ops: &[Operand], out: &mut HashSet<u32>) {
    for o in ops {
        match o {
            Operand::Label(l) => {
                out.insert(*l);
            }
            Operand::List(items) => collect_labels(items, out),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- parsing

type Res<'a, T> = IResult<&'a str, T>;

fn uint(i: &str) -> Res<'_, u32> {
    map_res(digit1, str::parse::<u32>).parse(i)
}

fn int(i: &str) -> Res<'_, i64> {
    map_res(recognize(pair(opt(char('-')), digit1)), str::parse::<i64>).parse(i)
}

fn reg(i: &str) -> Res<'_, Operand> {
    alt((
        map(
            preceded(char('x'), map_res(digit1, str::parse::<u16>)),
            Operand::X,
        ),
        map(
            preceded(char('y'), map_res(digit1, str::parse::<u16>)),
            Operand::Y,
        ),
    ))
    .parse(i)
}

/// Whether a word continues with `c` (so `nofail5` is an atom, not `nofail`).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '@'
}

fn label(i: &str) -> Res<'_, Operand> {
    let (rest, l) = alt((
        map(preceded(char('L'), uint), Operand::Label),
        map(tag("nofail"), |_| Operand::NoLabel),
    ))
    .parse(i)?;
    if rest.starts_with(word_char) || rest.starts_with(':') {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((rest, l))
}

fn word(i: &str) -> Res<'_, &str> {
    recognize(nom::bytes::complete::take_while1(|c: char| {
        c.is_ascii_alphanumeric() || c == '_'
    }))
    .parse(i)
}

struct Names {
    atoms: HashMap<String, u32>,
    imports: HashMap<(u32, u32, u32), u32>,
}

impl Names {
    fn atom(&self, name: &str) -> Option<u32> {
        self.atoms.get(name).copied()
    }
}

fn import_ref<'a>(names: &Names, i: &'a str) -> Res<'a, Operand> {
    let (rest, (m, _, f, _, a)) = (
        erlfmt::parse::atom,
        char(':'),
        erlfmt::parse::atom,
        char('/'),
        uint,
    )
        .parse(i)?;
    let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify));
    let (m, f) = (
        names.atom(&m).ok_or_else(fail)?,
        names.atom(&f).ok_or_else(fail)?,
    );
    let idx = names.imports.get(&(m, f, a)).ok_or_else(fail)?;
    Ok((rest, Operand::Import(*idx)))
}

fn parse_operand<'a>(names: &Names, shape: Shape, i: &'a str) -> Res<'a, Operand> {
    let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify));
    match shape {
        Shape::Src => alt((
            reg,
            map(tag("[]"), |_| Operand::Nil),
            map(preceded(tag("lit:"), uint), Operand::Literal),
            map(int, Operand::Int),
            |i| {
                let (rest, a) = erlfmt::parse::quoted('\'')(i)?;
                Ok((rest, Operand::Atom(names.atom(&a).ok_or_else(fail)?)))
            },
        ))
        .parse(i),
        Shape::Dst => alt((reg, map(char('_'), |_| Operand::Discard))).parse(i),
        Shape::Label => label(i),
        Shape::Num => map(uint, Operand::Num).parse(i),
        Shape::Kind(words) => {
            let (rest, w) = word(i)?;
            let k = words.iter().position(|x| *x == w).ok_or_else(fail)?;
            if rest.starts_with(word_char) {
                return Err(fail());
            }
            Ok((rest, Operand::Kind(k as u8)))
        }
        Shape::Target => alt((|i| import_ref(names, i), label)).parse(i),
        Shape::Import => import_ref(names, i),
        Shape::Srcs | Shape::SrcLabels | Shape::SrcSrcs | Shape::SrcDsts => {
            let shapes = list_shapes(shape);
            let (rest, _) = char('[').parse(i)?;
            let mut items = Vec::new();
            let mut rest = rest;
            loop {
                if let Some(r) = rest.strip_prefix(']') {
                    return Ok((r, Operand::List(items.into())));
                }
                if !items.is_empty() {
                    rest = rest.strip_prefix(", ").ok_or_else(fail)?;
                }
                let (r, o) = parse_operand(names, shapes[items.len() % shapes.len()], rest)?;
                items.push(o);
                rest = r;
            }
        }
    }
}

#[cold]
fn text_error(line: usize, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Invalid, format!("line {line}: {message}"))
}

fn parse_quoted_string(s: &str) -> Option<String> {
    match erlfmt::parse::quoted('"')(s) {
        Ok(("", v)) => Some(v),
        _ => None,
    }
}

/// Parses assembly into a module (not yet validated).
pub fn parse(text: &str) -> Result<Module> {
    let mut m = Module::default();
    let mut section = "";
    let mut names = Names {
        atoms: HashMap::new(),
        imports: HashMap::new(),
    };
    for (n, raw) in text.lines().enumerate() {
        let n = n + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if !raw.starts_with(' ') {
            if let Some(f) = line.strip_prefix("on_load ") {
                m.on_load = Some(f.parse().map_err(|_| text_error(n, "bad on_load"))?);
                continue;
            }
            if let Some(l) = line.strip_prefix("module_info ") {
                m.module_info = Some(l.parse().map_err(|_| text_error(n, "bad module_info"))?);
                continue;
            }
            if let Some(l) = line.strip_suffix(':').and_then(|l| l.strip_prefix('L')) {
                let at: u32 = l.parse().map_err(|_| text_error(n, "bad label"))?;
                if section != "code" || at as usize != m.code.len() {
                    return Err(text_error(
                        n,
                        format!("label L{at} is at instruction {}", m.code.len()),
                    ));
                }
                continue;
            }
            section = match line {
                "atoms" | "literals" | "imports" | "functions" | "lambdas" | "files" | "code" => {
                    line
                }
                _ => return Err(text_error(n, format!("unknown section {line:?}"))),
            };
            continue;
        }
        let bad = |what: &str| text_error(n, format!("bad {what}: {line}"));
        match section {
            "atoms" => {
                let a = erlfmt::parse::atom(line)
                    .ok()
                    .filter(|(r, _)| r.is_empty())
                    .ok_or_else(|| bad("atom"))?
                    .1;
                names.atoms.insert(a.clone(), m.atoms.len() as u32);
                m.atoms.push(a.into());
            }
            "literals" => {
                let t = match line.strip_prefix("etf ") {
                    Some(hex) => {
                        let bytes: Option<Vec<u8>> = (0..hex.len())
                            .step_by(2)
                            .map(|k| {
                                hex.get(k..k + 2)
                                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                            })
                            .collect();
                        etf::decode(&bytes.ok_or_else(|| bad("literal"))?, 0)
                            .map_err(|e| text_error(n, e))?
                    }
                    None => erlfmt::parse::whole(line).map_err(|e| text_error(n, e))?,
                };
                m.literals.push(t);
            }
            "imports" => {
                let (rest, (mo, _, f, _, a)) = (
                    erlfmt::parse::atom,
                    char(':'),
                    erlfmt::parse::atom,
                    char('/'),
                    uint,
                )
                    .parse(line)
                    .map_err(|_| bad("import"))?;
                if !rest.is_empty() {
                    return Err(bad("import"));
                }
                let module = names
                    .atom(&mo)
                    .ok_or_else(|| bad("import (unknown atom)"))?;
                let function = names.atom(&f).ok_or_else(|| bad("import (unknown atom)"))?;
                names
                    .imports
                    .insert((module, function, a), m.imports.len() as u32);
                m.imports.push(Import {
                    module,
                    function,
                    arity: a,
                });
            }
            "functions" => {
                let (rest, (name, _, arity, _, start, _, entry, export)) = (
                    erlfmt::parse::atom,
                    char('/'),
                    uint,
                    tag(" start "),
                    uint,
                    tag(" entry "),
                    uint,
                    opt(tag(" export")),
                )
                    .parse(line)
                    .map_err(|_| bad("function"))?;
                if !rest.is_empty() {
                    return Err(bad("function"));
                }
                let name = names
                    .atom(&name)
                    .ok_or_else(|| bad("function (unknown atom)"))?;
                m.functions.push(Function {
                    name,
                    arity,
                    start,
                    entry,
                    exported: export.is_some(),
                });
            }
            "lambdas" => {
                let (rest, (function, _, num_free, _, old_uniq)) =
                    (uint, tag(" free "), uint, tag(" uniq "), uint)
                        .parse(line)
                        .map_err(|_| bad("lambda"))?;
                if !rest.is_empty() {
                    return Err(bad("lambda"));
                }
                m.lambdas.push(Lambda {
                    function,
                    num_free,
                    old_uniq,
                });
            }
            "files" => m
                .files
                .push(parse_quoted_string(line).ok_or_else(|| bad("file name"))?),
            "code" => {
                if let Some(loc) = line.strip_prefix(".loc ") {
                    let parts: Vec<&str> = loc.split(' ').collect();
                    let num = |s: &str| s.parse::<u32>().map_err(|_| bad(".loc"));
                    let (file, l, instr) = match parts.as_slice() {
                        [f, l] => (num(f)?, num(l)?, m.code.len() as u32),
                        [f, l, at] => (
                            num(f)?,
                            num(l)?,
                            num(at.strip_prefix('@').ok_or_else(|| bad(".loc"))?)?,
                        ),
                        _ => return Err(bad(".loc")),
                    };
                    m.lines.push(LineEntry {
                        instr,
                        file,
                        line: l,
                    });
                    continue;
                }
                let (name, mut rest) = line.split_once(' ').unwrap_or((line, ""));
                let op = LamOp::from_name(name)
                    .ok_or_else(|| text_error(n, format!("unknown instruction {name:?}")))?;
                let first = m.operands.len() as u32;
                for (k, shape) in op.info().shapes.iter().enumerate() {
                    if k > 0 {
                        rest = rest.strip_prefix(", ").ok_or_else(|| bad("operand list"))?;
                    }
                    let (r, o) = parse_operand(&names, *shape, rest).map_err(|_| {
                        text_error(
                            n,
                            format!(
                                "operand {} of {name}: expected {shape:?} at {rest:.24}",
                                k + 1
                            ),
                        )
                    })?;
                    m.operands.push(o);
                    rest = r;
                }
                if !rest.is_empty() {
                    return Err(text_error(
                        n,
                        format!("unexpected text after {name}: {rest:.24}"),
                    ));
                }
                m.code.push(Instr { op, first });
            }
            _ => return Err(text_error(n, "an entry outside any section")),
        }
    }
    Ok(m)
}
