//! The binary `.lam` format (specified in `docs/format.md`).
//!
//! A magic number, a version, then sections in a fixed order, each an id
//! byte and a byte length. Numbers are LEB128; signed ones are zigzagged;
//! literals use the external term format. Encoding is deterministic, so a
//! module written, read and written again gives the same bytes.

use crate::bail;
use crate::beam::etf;
use crate::beam::reader::Reader;
use crate::error::{Error, ErrorKind, Result};
use crate::lam::isa::{LamOp, Operand};
use crate::lam::module::{Function, Import, Instr, Lambda, LineEntry, Module};

/// The first four bytes of every `.lam` file.
pub const MAGIC: &[u8; 4] = b"LAM\0";
/// The format version this crate reads and writes.
pub const VERSION: u16 = 2;

const SECTIONS: [(u8, &str); 8] = [
    (1, "atoms"),
    (2, "literals"),
    (3, "imports"),
    (4, "functions"),
    (5, "lambdas"),
    (6, "code"),
    (7, "lines"),
    (8, "meta"),
];

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, v: i64) {
    uleb(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    uleb(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn operand(out: &mut Vec<u8>, o: &Operand) {
    match o {
        Operand::X(r) => {
            out.push(0);
            uleb(out, *r as u64);
        }
        Operand::Y(r) => {
            out.push(1);
            uleb(out, *r as u64);
        }
        Operand::Discard => out.push(2),
        Operand::Nil => out.push(3),
        Operand::Atom(a) => {
            out.push(4);
            uleb(out, *a as u64);
        }
        Operand::Int(i) => {
            out.push(5);
            sleb(out, *i);
        }
        Operand::Literal(l) => {
            out.push(6);
            uleb(out, *l as u64);
        }
        Operand::Label(l) => {
            out.push(7);
            uleb(out, *l as u64);
        }
        Operand::NoLabel => out.push(8),
        Operand::Import(i) => {
            out.push(9);
            uleb(out, *i as u64);
        }
        Operand::Num(n) => {
            out.push(10);
            uleb(out, *n as u64);
        }
        Operand::Kind(k) => out.extend([11, *k]),
        Operand::List(items) => {
            out.push(12);
            uleb(out, items.len() as u64);
            for x in items.iter() {
                operand(out, x);
            }
        }
    }
}

/// Writes a module in the binary format.
pub fn encode(m: &Module) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(VERSION.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    let mut section = |id: u8, body: Vec<u8>| {
        out.push(id);
        uleb(&mut out, body.len() as u64);
        out.extend(body);
    };
    let mut s = Vec::new();
    uleb(&mut s, m.atoms.len() as u64);
    for a in &m.atoms {
        bytes(&mut s, a.as_bytes());
    }
    section(1, s);
    let mut s = Vec::new();
    uleb(&mut s, m.literals.len() as u64);
    for l in &m.literals {
        bytes(&mut s, &etf::encode(l));
    }
    section(2, s);
    let mut s = Vec::new();
    uleb(&mut s, m.imports.len() as u64);
    for i in &m.imports {
        for v in [i.module, i.function, i.arity] {
            uleb(&mut s, v as u64);
        }
    }
    section(3, s);
    let mut s = Vec::new();
    uleb(&mut s, m.functions.len() as u64);
    for f in &m.functions {
        for v in [f.name, f.arity, f.start, f.entry, f.exported as u32] {
            uleb(&mut s, v as u64);
        }
    }
    section(4, s);
    let mut s = Vec::new();
    uleb(&mut s, m.lambdas.len() as u64);
    for l in &m.lambdas {
        for v in [l.function, l.num_free, l.old_uniq] {
            uleb(&mut s, v as u64);
        }
    }
    section(5, s);
    let mut s = Vec::new();
    uleb(&mut s, m.code.len() as u64);
    for i in &m.code {
        s.push(i.op as u8);
        for o in m.args(i) {
            operand(&mut s, o);
        }
    }
    section(6, s);
    let mut s = Vec::new();
    uleb(&mut s, m.files.len() as u64);
    for f in &m.files {
        bytes(&mut s, f.as_bytes());
    }
    uleb(&mut s, m.lines.len() as u64);
    for l in &m.lines {
        for v in [l.instr, l.file, l.line] {
            uleb(&mut s, v as u64);
        }
    }
    section(7, s);
    let mut s = Vec::new();
    uleb(&mut s, m.on_load.map_or(0, |f| f as u64 + 1));
    uleb(&mut s, m.module_info.map_or(0, |l| l as u64 + 1));
    section(8, s);
    out
}

fn read_uleb(r: &mut Reader<'_>, what: &str) -> Result<u64> {
    let at = r.offset();
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = r.u8(what)?;
        if shift == 63 && b > 1 {
            break;
        }
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    bail!(at, Invalid, "{what}: number does not fit in 64 bits")
}

fn read_u32(r: &mut Reader<'_>, what: &str) -> Result<u32> {
    let at = r.offset();
    let v = read_uleb(r, what)?;
    u32::try_from(v)
        .map_err(|_| Error::at(at, ErrorKind::Invalid, format!("{what} {v} is too large")))
}

fn read_count(r: &mut Reader<'_>, min_size: usize, what: &str) -> Result<usize> {
    let at = r.offset();
    let n = read_uleb(r, what)? as usize;
    r.check_count(n, min_size, at, what)?;
    Ok(n)
}

fn read_str(r: &mut Reader<'_>, what: &str) -> Result<String> {
    let n = read_count(r, 1, what)?;
    let at = r.offset();
    let b = r.bytes(n, what)?;
    String::from_utf8(b.to_vec())
        .map_err(|_| Error::at(at, ErrorKind::Invalid, format!("{what} is not UTF-8")))
}

fn read_operand(r: &mut Reader<'_>, depth: usize) -> Result<Operand> {
    let at = r.offset();
    let reg = |r: &mut Reader<'_>| -> Result<u16> {
        let v = read_uleb(r, "register")?;
        u16::try_from(v)
            .map_err(|_| Error::at(at, ErrorKind::Invalid, format!("register {v} is too large")))
    };
    Ok(match r.u8("operand tag")? {
        0 => Operand::X(reg(r)?),
        1 => Operand::Y(reg(r)?),
        2 => Operand::Discard,
        3 => Operand::Nil,
        4 => Operand::Atom(read_u32(r, "atom")?),
        5 => {
            let z = read_uleb(r, "integer")?;
            Operand::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
        }
        6 => Operand::Literal(read_u32(r, "literal")?),
        7 => Operand::Label(read_u32(r, "label")?),
        8 => Operand::NoLabel,
        9 => Operand::Import(read_u32(r, "import")?),
        10 => Operand::Num(read_u32(r, "number")?),
        11 => Operand::Kind(r.u8("kind")?),
        12 if depth == 0 => {
            let n = read_count(r, 1, "list length")?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(read_operand(r, depth + 1)?);
            }
            Operand::List(v.into())
        }
        12 => bail!(at, Invalid, "operand lists do not nest"),
        t => bail!(at, Invalid, "unknown operand tag {t}"),
    })
}

/// Reads a module from the binary format. The result is not yet validated:
/// call [`Module::validate`] before running it.
pub fn decode(data: &[u8]) -> Result<Module> {
    let mut r = Reader::new(data, 0);
    if r.bytes(4, "magic").ok() != Some(MAGIC.as_slice()) {
        bail!(
            0,
            Invalid,
            "not a LAM module: it does not start with LAM\\0"
        );
    }
    let vat = r.offset();
    let version = u16::from_le_bytes([r.u8("version")?, r.u8("version")?]);
    if version != VERSION {
        bail!(
            vat,
            Unsupported,
            "LAM format version {version} is not supported (this reader knows {VERSION})"
        );
    }
    r.bytes(2, "flags")?;
    let mut m = Module::default();
    for (id, name) in SECTIONS {
        let at = r.offset();
        let got = r.u8("section id")?;
        if got != id {
            bail!(at, Invalid, "expected section {id} ({name}), found {got}");
        }
        let len = read_count(&mut r, 1, "section length")?;
        let mut s = r.sub(len, name)?;
        section(&mut m, id, &mut s).map_err(|e| e.context(format!("section {name}")))?;
        if !s.is_empty() {
            bail!(
                s.offset(),
                Invalid,
                "{} trailing bytes in section {name}",
                s.remaining()
            );
        }
    }
    if !r.is_empty() {
        bail!(
            r.offset(),
            Invalid,
            "{} trailing bytes after the last section",
            r.remaining()
        );
    }
    Ok(m)
}

fn section(m: &mut Module, id: u8, s: &mut Reader<'_>) -> Result<()> {
    match id {
        1 => {
            let n = read_count(s, 1, "atom count")?;
            for _ in 0..n {
                m.atoms.push(read_str(s, "atom")?.into());
            }
        }
        2 => {
            let n = read_count(s, 1, "literal count")?;
            for _ in 0..n {
                let len = read_count(s, 1, "literal size")?;
                let at = s.offset();
                let b = s.bytes(len, "literal")?;
                m.literals.push(etf::decode(b, at)?);
            }
        }
        3 => {
            let n = read_count(s, 3, "import count")?;
            for _ in 0..n {
                let module = read_u32(s, "import module")?;
                let function = read_u32(s, "import function")?;
                let arity = read_u32(s, "import arity")?;
                m.imports.push(Import {
                    module,
                    function,
                    arity,
                });
            }
        }
        4 => {
            let n = read_count(s, 5, "function count")?;
            for _ in 0..n {
                let name = read_u32(s, "function name")?;
                let arity = read_u32(s, "function arity")?;
                let start = read_u32(s, "function start")?;
                let entry = read_u32(s, "function entry")?;
                let at = s.offset();
                let exported = match read_uleb(s, "exported flag")? {
                    0 => false,
                    1 => true,
                    v => bail!(at, Invalid, "exported flag {v} is not 0 or 1"),
                };
                m.functions.push(Function {
                    name,
                    arity,
                    start,
                    entry,
                    exported,
                });
            }
        }
        5 => {
            let n = read_count(s, 3, "lambda count")?;
            for _ in 0..n {
                let function = read_u32(s, "lambda function")?;
                let num_free = read_u32(s, "lambda free count")?;
                let old_uniq = read_u32(s, "lambda uniq")?;
                m.lambdas.push(Lambda {
                    function,
                    num_free,
                    old_uniq,
                });
            }
        }
        6 => {
            let n = read_count(s, 1, "instruction count")?;
            m.code.reserve(n);
            for _ in 0..n {
                let at = s.offset();
                let b = s.u8("opcode")?;
                let Some(op) = LamOp::from_u8(b) else {
                    bail!(at, Invalid, "unknown LAM opcode {b}")
                };
                let first = m.operands.len() as u32;
                for _ in 0..op.arity() {
                    let o = read_operand(s, 0)?;
                    m.operands.push(o);
                }
                m.code.push(Instr { op, first });
            }
        }
        7 => {
            let n = read_count(s, 1, "file count")?;
            for _ in 0..n {
                m.files.push(read_str(s, "file name")?);
            }
            let n = read_count(s, 3, "line entry count")?;
            for _ in 0..n {
                let instr = read_u32(s, "line instruction")?;
                let file = read_u32(s, "line file")?;
                let line = read_u32(s, "line number")?;
                m.lines.push(LineEntry { instr, file, line });
            }
        }
        _ => {
            let f = read_u32(s, "on_load")?;
            m.on_load = f.checked_sub(1);
            let l = read_u32(s, "module_info")?;
            m.module_info = l.checked_sub(1);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips_and_rejects_overflow() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            uleb(&mut b, v);
            assert_eq!(read_uleb(&mut Reader::new(&b, 0), "v").unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            let mut b = Vec::new();
            operand(&mut b, &Operand::Int(v));
            assert_eq!(
                read_operand(&mut Reader::new(&b, 0), 0).unwrap(),
                Operand::Int(v)
            );
        }
        let e = read_uleb(&mut Reader::new(&[0xff; 11], 0), "v").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        let e = read_uleb(&mut Reader::new(&[0x80], 5), "v").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Truncated, Some(6)));
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(
            decode(b"BEAM")
                .unwrap_err()
                .to_string()
                .contains("not a LAM module")
        );
        assert_eq!(
            decode(b"LAM\0\x09\0\0\0").unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            decode(b"LAM\0\x01\0\0\0").unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        assert_eq!(
            decode(b"LAM\0\x02\0\0\0").unwrap_err().kind(),
            ErrorKind::Truncated
        );
    }
}
