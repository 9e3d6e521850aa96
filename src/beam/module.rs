//! A fully decoded BEAM module: every chunk OTP and Elixir write, read
//! eagerly except the large debug/documentation chunks, which are kept as
//! bytes and decoded on demand.

use std::path::Path;
use std::sync::Arc;

use crate::bail;
use crate::beam::compact::{self, Int, Operand};
use crate::beam::container::{self, RawChunk};
use crate::beam::etf;
use crate::beam::opcodes::{self, Op};
use crate::beam::reader::Reader;
use crate::error::{ChunkId, Error, ErrorKind, Result};
use crate::term::{Atom, Term};

/// An imported function (`ImpT`), by atom indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Import {
    /// Module atom index.
    pub module: u32,
    /// Function atom index.
    pub function: u32,
    /// Arity.
    pub arity: u32,
}

/// An exported or local function (`ExpT`, `LocT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionRef {
    /// Function atom index.
    pub function: u32,
    /// Arity.
    pub arity: u32,
    /// Entry label.
    pub label: u32,
}

/// A lambda (`FunT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lambda {
    /// Function atom index of the generated function.
    pub function: u32,
    /// Arity, including free variables.
    pub arity: u32,
    /// Entry label.
    pub label: u32,
    /// Index in the fun table.
    pub index: u32,
    /// Number of free variables.
    pub num_free: u32,
    /// The old uniq value.
    pub old_uniq: u32,
}

/// One instruction of the `Code` chunk. Its operands (exactly
/// `op.arity()` of them) live in [`Code::operands`] from `first` on, so
/// that a module's millions of operands take one allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instr {
    /// The opcode.
    pub op: Op,
    /// Absolute offset of the opcode byte in the file.
    pub offset: u32,
    /// Index of the first operand in [`Code::operands`].
    pub first: u32,
}

/// The `Code` chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    /// Instruction set version (always 0 so far).
    pub instruction_set: u32,
    /// The highest opcode number used.
    pub opcode_max: u32,
    /// The number of labels.
    pub label_count: u32,
    /// The number of functions.
    pub function_count: u32,
    /// The instructions, in order.
    pub instrs: Vec<Instr>,
    /// The operands of all instructions, decoded but not resolved.
    pub operands: Vec<Operand>,
}

impl Code {
    /// The operands of an instruction.
    #[inline]
    pub fn args(&self, i: &Instr) -> &[Operand] {
        &self.operands[i.first as usize..i.first as usize + i.op.arity()]
    }
}

/// A source location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Index into [`LineTable::files`] (0 is the module's own source).
    pub file: u32,
    /// Line number.
    pub line: u32,
}

/// The `Line` chunk.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineTable {
    /// Format version.
    pub version: u32,
    /// Flags.
    pub flags: u32,
    /// Number of `line` instructions in the code.
    pub instr_count: u32,
    /// Locations; index 0 is "no location", so `items[i - 1]` is item `i`.
    pub items: Vec<Location>,
    /// File names; file index `k >= 1` is `files[k - 1]`.
    pub files: Vec<String>,
}

/// One entry of the `Type` chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeEntry {
    /// Bit set of primitive types (atom, bitstring, ...).
    pub bits: u16,
    /// Lower bound of an integer range, as stored.
    pub min: Option<i64>,
    /// Upper bound of an integer range, as stored.
    pub max: Option<i64>,
    /// Unit of a bitstring type (format version 3).
    pub unit: Option<u8>,
}

/// The `Type` chunk.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypeTable {
    /// Format version (1 in OTP 25, 2 in OTP 26, 3 from OTP 27).
    pub version: u32,
    /// The entries, by index.
    pub entries: Vec<TypeEntry>,
}

/// A chunk kept as bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Its id.
    pub id: ChunkId,
    /// Absolute offset of its data.
    pub offset: usize,
    /// Its bytes.
    pub data: Vec<u8>,
}

impl Chunk {
    /// Decodes the chunk as one term in the external term format (as
    /// `Meta`, `Dbgi`, `Docs` and `ExCk` are).
    pub fn term(&self) -> Result<Term> {
        etf::decode(&self.data, self.offset).map_err(|e| e.in_chunk(self.id))
    }
}

/// A decoded BEAM module.
#[derive(Debug, Clone, PartialEq)]
pub struct BeamModule {
    /// Atoms; atom index `i >= 1` is `atoms[i - 1]`, and atom 1 is the module name.
    pub atoms: Vec<Atom>,
    /// The code.
    pub code: Code,
    /// The string table used by binary instructions.
    pub strings: Vec<u8>,
    /// Imports.
    pub imports: Vec<Import>,
    /// Exports.
    pub exports: Vec<FunctionRef>,
    /// Local functions (only when the compiler kept them).
    pub locals: Vec<FunctionRef>,
    /// Lambdas.
    pub lambdas: Vec<Lambda>,
    /// Literals, by index.
    pub literals: Vec<Term>,
    /// The line table, if present.
    pub lines: Option<LineTable>,
    /// Types of typed registers, if present.
    pub types: Option<TypeTable>,
    /// Module attributes (`Attr`), if present.
    pub attributes: Option<Term>,
    /// Compile information (`CInf`), if present.
    pub compile_info: Option<Term>,
    /// The module's MD5, as `M:module_info(md5)` and `beam_lib:md5/1` give it.
    pub md5: [u8; 16],
    /// Every chunk that is not decoded above (`Meta`, `Dbgi`, `Docs`, `ExCk`, unknown ones).
    pub other_chunks: Vec<Chunk>,
    /// The ids of all chunks in file order.
    pub chunk_order: Vec<ChunkId>,
    /// Whether the file was gzip-compressed.
    pub compressed: bool,
}

/// Reads a `.beam` file.
pub fn read_file(path: &Path) -> Result<BeamModule> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    read(&bytes).map_err(|e| e.in_file(path))
}

/// Reads a `.beam` image from memory.
pub fn read(bytes: &[u8]) -> Result<BeamModule> {
    if container::is_gzip(bytes) {
        let inflated = container::gunzip(bytes)?;
        let mut m =
            read_uncompressed(&inflated).map_err(|e| e.context("in the decompressed image"))?;
        m.compressed = true;
        return Ok(m);
    }
    read_uncompressed(bytes)
}

fn find<'a>(chunks: &[RawChunk<'a>], id: &ChunkId) -> Option<RawChunk<'a>> {
    chunks.iter().find(|c| &c.id == id).copied()
}

fn read_uncompressed(bytes: &[u8]) -> Result<BeamModule> {
    let chunks = container::chunks(bytes)?;
    let atoms = match (find(&chunks, b"AtU8"), find(&chunks, b"Atom")) {
        (Some(c), _) => with_chunk(c, |r| atoms(r, true))?,
        (None, Some(c)) => with_chunk(c, |r| atoms(r, false))?,
        (None, None) => bail!(0, Invalid, "no atom table (AtU8 or Atom chunk)"),
    };
    if atoms.is_empty() {
        bail!(
            0,
            Invalid,
            "the atom table is empty: it must start with the module name"
        );
    }
    let Some(code_raw) = find(&chunks, b"Code") else {
        bail!(0, Invalid, "no Code chunk");
    };
    let strings = find(&chunks, b"StrT")
        .map(|c| c.data.to_vec())
        .unwrap_or_default();
    let imports = opt(&chunks, b"ImpT", |r| {
        let n = r.count(12, "import count")?;
        (0..n)
            .map(|_| {
                Ok(Import {
                    module: r.u32("import module")?,
                    function: r.u32("import function")?,
                    arity: r.u32("import arity")?,
                })
            })
            .collect()
    })?
    .unwrap_or_default();
    let exports = opt(&chunks, b"ExpT", function_refs)?.unwrap_or_default();
    let locals = opt(&chunks, b"LocT", function_refs)?.unwrap_or_default();
    let lambdas = opt(&chunks, b"FunT", |r| {
        let n = r.count(24, "lambda count")?;
        (0..n)
            .map(|_| {
                Ok(Lambda {
                    function: r.u32("lambda function")?,
                    arity: r.u32("lambda arity")?,
                    label: r.u32("lambda label")?,
                    index: r.u32("lambda index")?,
                    num_free: r.u32("lambda free count")?,
                    old_uniq: r.u32("lambda uniq")?,
                })
            })
            .collect()
    })?
    .unwrap_or_default();
    let literals = opt(&chunks, b"LitT", literal_table)?.unwrap_or_default();
    let lines = opt(&chunks, b"Line", line_table)?;
    let types = opt(&chunks, b"Type", type_table)?;
    let limits = Limits {
        atoms: atoms.len(),
        literals: literals.len(),
        types: types.as_ref().map_or(0, |t| t.entries.len()),
    };
    let code = with_chunk(code_raw, |r| code_chunk(r, &limits))
        .map_err(|e| e.context(format!("module {}", atoms[0])))?;
    let attributes = opt(&chunks, b"Attr", whole_term)?;
    let compile_info = opt(&chunks, b"CInf", whole_term)?;
    const DECODED: [&ChunkId; 13] = [
        b"AtU8", b"Atom", b"Code", b"StrT", b"ImpT", b"ExpT", b"LocT", b"FunT", b"LitT", b"Line",
        b"Type", b"Attr", b"CInf",
    ];
    let other_chunks = chunks
        .iter()
        .filter(|c| !DECODED.contains(&&c.id))
        .map(|c| Chunk {
            id: c.id,
            offset: c.offset,
            data: c.data.to_vec(),
        })
        .collect();
    let m = BeamModule {
        atoms,
        code,
        strings,
        imports,
        exports,
        locals,
        lambdas,
        literals,
        lines,
        types,
        attributes,
        compile_info,
        md5: md5(&chunks),
        other_chunks,
        chunk_order: chunks.iter().map(|c| c.id).collect(),
        compressed: false,
    };
    m.check_references()?;
    Ok(m)
}

/// The MD5 the BEAM gives a module: over the chunks that make its code
/// what it is, in a fixed order, with each lambda's old unique number
/// zeroed (it depends on the compiler's run, not on the code).
fn md5(chunks: &[RawChunk<'_>]) -> [u8; 16] {
    use md5::Digest;
    let mut h = md5::Md5::new();
    for id in [
        b"Atom", b"AtU8", b"Code", b"StrT", b"ImpT", b"ExpT", b"FunT", b"LitT", b"Meta",
    ] {
        let Some(c) = find(chunks, id) else {
            continue;
        };
        if id == b"FunT" && c.data.len() >= 4 {
            // A count, then entries of six 32-bit words, the old uniq last.
            h.update(&c.data[..4]);
            for e in c.data[4..].chunks(24) {
                if e.len() == 24 {
                    h.update(&e[..20]);
                    h.update([0u8; 4]);
                } else {
                    h.update(e);
                }
            }
        } else {
            h.update(c.data);
        }
    }
    h.finalize().into()
}

fn with_chunk<T>(c: RawChunk<'_>, f: impl FnOnce(&mut Reader<'_>) -> Result<T>) -> Result<T> {
    let mut r = Reader::new(c.data, c.offset);
    f(&mut r).map_err(|e| e.in_chunk(c.id))
}

fn opt<T>(
    chunks: &[RawChunk<'_>],
    id: &ChunkId,
    f: impl FnOnce(&mut Reader<'_>) -> Result<T>,
) -> Result<Option<T>> {
    find(chunks, id).map(|c| with_chunk(c, f)).transpose()
}

fn whole_term(r: &mut Reader<'_>) -> Result<Term> {
    let t = etf::decode_versioned(r)?;
    if !r.is_empty() {
        bail!(
            r.offset(),
            Invalid,
            "{} trailing bytes after the term",
            r.remaining()
        );
    }
    Ok(t)
}

fn atoms(r: &mut Reader<'_>, utf8: bool) -> Result<Vec<Atom>> {
    let at = r.offset();
    let raw = r.i32("atom count")?;
    // A negative count (OTP 28) means lengths use the compact encoding, so
    // that atoms longer than 255 bytes fit.
    let long_lengths = raw < 0;
    let n = raw.unsigned_abs() as usize;
    r.check_count(n, 1, at, "atom count")?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let lat = r.offset();
        let len = if long_lengths {
            match compact::tag_and_int(r, false)? {
                (compact::tag::U, Int::Small(l)) if l >= 0 => l as usize,
                _ => bail!(lat, Invalid, "bad atom length"),
            }
        } else {
            r.u8("atom length")? as usize
        };
        let b = r.bytes(len, "atom text")?;
        let s: Atom = if utf8 {
            match std::str::from_utf8(b) {
                Ok(s) => Arc::from(s),
                Err(_) => bail!(lat, Invalid, "atom {} is not valid UTF-8", out.len() + 1),
            }
        } else {
            Arc::from(b.iter().map(|&c| c as char).collect::<String>())
        };
        out.push(s);
    }
    Ok(out)
}

fn function_refs(r: &mut Reader<'_>) -> Result<Vec<FunctionRef>> {
    let n = r.count(12, "function count")?;
    (0..n)
        .map(|_| {
            Ok(FunctionRef {
                function: r.u32("function name")?,
                arity: r.u32("function arity")?,
                label: r.u32("function label")?,
            })
        })
        .collect()
}

fn literal_table(r: &mut Reader<'_>) -> Result<Vec<Term>> {
    let at = r.offset();
    let size = r.u32("uncompressed literal table size")? as usize;
    // Size 0 marks an uncompressed table.
    let inflated;
    let mut t = if size == 0 {
        r.sub(r.remaining(), "literal table")?
    } else {
        if size > etf::MAX_INFLATED {
            bail!(
                at,
                Unsupported,
                "literal table of {size} bytes is too large"
            );
        }
        inflated = etf::inflate_exact(r.rest(), size, r.offset())?;
        // Offsets inside the inflated table are reported relative to the
        // chunk's compressed data: the best place a user can look at.
        Reader::new(&inflated, r.offset())
    };
    let n = t.count(5, "literal count")?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let len = t.u32("literal size")? as usize;
        let mut lr = t.sub(len, "literal")?;
        let term = etf::decode_versioned(&mut lr).map_err(|e| e.context(format!("literal {i}")))?;
        if !lr.is_empty() {
            bail!(
                lr.offset(),
                Invalid,
                "literal {i} has {} trailing bytes",
                lr.remaining()
            );
        }
        out.push(term);
    }
    Ok(out)
}

fn line_table(r: &mut Reader<'_>) -> Result<LineTable> {
    let version = r.u32("line table version")?;
    let flags = r.u32("line table flags")?;
    let instr_count = r.u32("line instruction count")?;
    let at = r.offset();
    let n_items = r.u32("line item count")? as usize;
    let n_files = r.u32("file name count")? as usize;
    r.check_count(n_items, 1, at, "line item count")?;
    let mut items = Vec::with_capacity(n_items);
    let mut file = 0u32;
    while items.len() < n_items {
        let iat = r.offset();
        match compact::tag_and_int(r, false)? {
            (compact::tag::I, Int::Small(l)) if (0..=u32::MAX as i64).contains(&l) => {
                items.push(Location {
                    file,
                    line: l as u32,
                })
            }
            (compact::tag::A, Int::Small(f)) if (0..=n_files as i64).contains(&f) => {
                file = f as u32
            }
            (compact::tag::A, _) => bail!(iat, Invalid, "line item names file {file} of {n_files}"),
            (t, _) => bail!(iat, Invalid, "bad line item (tag {t})"),
        }
    }
    r.check_count(n_files, 2, r.offset(), "file name count")?;
    let mut files = Vec::with_capacity(n_files);
    for _ in 0..n_files {
        let len = r.u16("file name length")? as usize;
        let fat = r.offset();
        let b = r.bytes(len, "file name")?;
        match std::str::from_utf8(b) {
            Ok(s) => files.push(s.to_string()),
            Err(_) => bail!(fat, Invalid, "file name is not valid UTF-8"),
        }
    }
    Ok(LineTable {
        version,
        flags,
        instr_count,
        items,
        files,
    })
}

fn type_table(r: &mut Reader<'_>) -> Result<TypeTable> {
    let vat = r.offset();
    let version = r.u32("type table version")?;
    let n = r.count(2, "type count")?;
    let mut entries = Vec::with_capacity(n);
    match version {
        1 => {
            for _ in 0..n {
                let bits = r.u16("type bits")?;
                let min = r.u64("type lower bound")? as i64;
                let max = r.u64("type upper bound")? as i64;
                entries.push(TypeEntry {
                    bits,
                    min: Some(min),
                    max: Some(max),
                    unit: None,
                });
            }
        }
        2 | 3 => {
            const HAS_LOWER: u16 = 1 << 13;
            const HAS_UPPER: u16 = 1 << 14;
            const HAS_UNIT: u16 = 1 << 15;
            for _ in 0..n {
                let bits = r.u16("type bits")?;
                let min = if bits & HAS_LOWER != 0 {
                    Some(r.u64("type lower bound")? as i64)
                } else {
                    None
                };
                let max = if bits & HAS_UPPER != 0 {
                    Some(r.u64("type upper bound")? as i64)
                } else {
                    None
                };
                let unit = if version == 3 && bits & HAS_UNIT != 0 {
                    Some(r.u8("type unit")?.wrapping_add(1))
                } else {
                    None
                };
                entries.push(TypeEntry {
                    bits,
                    min,
                    max,
                    unit,
                });
            }
        }
        v => bail!(
            vat,
            Unsupported,
            "type table version {v} is not supported (known: 1 to 3)"
        ),
    }
    if !r.is_empty() {
        bail!(
            r.offset(),
            Invalid,
            "{} trailing bytes after {n} types",
            r.remaining()
        );
    }
    Ok(TypeTable { version, entries })
}

/// Table sizes that operands index into: checked while decoding, so later
/// stages can index without checking.
struct Limits {
    atoms: usize,
    literals: usize,
    types: usize,
}

impl Limits {
    /// What an operand refers to that does not exist, if anything.
    #[cold]
    fn missing(&self, o: &Operand) -> Option<String> {
        match o {
            Operand::Atom(i) if *i as usize > self.atoms => Some(format!("atom {i}")),
            Operand::Literal(i) if *i as usize >= self.literals => {
                Some(format!("literal {i} (the table has {})", self.literals))
            }
            Operand::Typed(_, t) if *t as usize >= self.types => Some(format!("type {t}")),
            Operand::List(items) => items.iter().find_map(|x| self.missing(x)),
            _ => None,
        }
    }

    #[inline]
    fn ok(&self, o: &Operand) -> bool {
        match o {
            Operand::Atom(i) => (*i as usize) <= self.atoms,
            Operand::Literal(_) | Operand::Typed(..) | Operand::List(_) => {
                self.missing(o).is_none()
            }
            _ => true,
        }
    }
}

fn code_chunk(r: &mut Reader<'_>, limits: &Limits) -> Result<Code> {
    let at = r.offset();
    let sub_size = r.u32("code header size")? as usize;
    if sub_size < 16 {
        bail!(
            at,
            Invalid,
            "code header size {sub_size} is smaller than 16"
        );
    }
    let mut h = r.sub(sub_size, "code header")?;
    let instruction_set = h.u32("instruction set")?;
    let opcode_max = h.u32("highest opcode")?;
    let label_count = h.u32("label count")?;
    let function_count = h.u32("function count")?;
    if instruction_set != 0 {
        bail!(
            at + 4,
            Unsupported,
            "instruction set {instruction_set} is not supported (only 0)"
        );
    }
    // Instructions average about four bytes, operands about one and a half.
    let mut instrs = Vec::with_capacity(r.remaining() / 4);
    let mut operands = Vec::with_capacity(r.remaining() / 2);
    while !r.is_empty() {
        let oat = r.offset();
        let n = r.u8("opcode")?;
        let Some(op) = Op::from_number(n) else {
            if n > opcodes::max_opcode() {
                bail!(
                    oat,
                    Unsupported,
                    "unknown opcode {n}: the highest known is {} (was the module compiled by a newer OTP?)",
                    opcodes::max_opcode()
                );
            }
            bail!(oat, Invalid, "invalid opcode {n}");
        };
        let first = operands.len() as u32;
        for i in 0..op.arity() {
            let o = compact::operand(r).map_err(|e| {
                e.context(format!("operand {} of {} at 0x{oat:x}", i + 1, op.name()))
            })?;
            if !limits.ok(&o) {
                let what = limits.missing(&o).unwrap_or_default();
                bail!(oat, Invalid, "{} refers to missing {what}", op.name());
            }
            operands.push(o);
        }
        instrs.push(Instr {
            op,
            offset: oat as u32,
            first,
        });
        if op == Op::IntCodeEnd {
            break;
        }
    }
    Ok(Code {
        instruction_set,
        opcode_max,
        label_count,
        function_count,
        instrs,
        operands,
    })
}

impl BeamModule {
    /// The module's name.
    pub fn name(&self) -> &Atom {
        &self.atoms[0]
    }

    /// Atom by (1-based) index.
    pub fn atom(&self, index: u32) -> Option<&Atom> {
        (index as usize)
            .checked_sub(1)
            .and_then(|i| self.atoms.get(i))
    }

    /// The source location of line item `index`, as (file name, line).
    pub fn location(&self, index: u32) -> Option<(String, u32)> {
        let lines = self.lines.as_ref()?;
        let loc = lines.items.get((index as usize).checked_sub(1)?)?;
        let file = match loc.file {
            0 => format!("{}.erl", self.name()),
            k => lines.files.get(k as usize - 1)?.clone(),
        };
        Some((file, loc.line))
    }

    /// A chunk kept as bytes, by id.
    pub fn chunk(&self, id: &ChunkId) -> Option<&Chunk> {
        self.other_chunks.iter().find(|c| &c.id == id)
    }

    /// Checks that every atom index in the tables points at an atom (the
    /// code's operands were checked as they were decoded).
    fn check_references(&self) -> Result<()> {
        let n_atoms = self.atoms.len() as u32;
        let atom_ok = |i: u32| i >= 1 && i <= n_atoms;
        let bad = |what: &str, chunk: &ChunkId| {
            Error::new(
                ErrorKind::Invalid,
                format!("{what} refers to a missing atom"),
            )
            .in_chunk(*chunk)
        };
        for i in &self.imports {
            if !atom_ok(i.module) || !atom_ok(i.function) {
                return Err(bad("an import", b"ImpT"));
            }
        }
        for e in self.exports.iter().chain(&self.locals) {
            if !atom_ok(e.function) {
                return Err(bad("a function entry", b"ExpT"));
            }
        }
        for l in &self.lambdas {
            if !atom_ok(l.function) {
                return Err(bad("a lambda", b"FunT"));
            }
        }
        Ok(())
    }
}
