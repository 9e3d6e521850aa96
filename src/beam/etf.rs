//! The external term format (`term_to_binary`), as found in `LitT`, `Attr`,
//! `CInf`, `Meta`, `Dbgi`, `Docs` and `ExCk`.
//!
//! Every length is checked against the bytes that are left before anything
//! is allocated, and nesting is bounded, so hostile input cannot make the
//! decoder allocate without limit or overflow the stack.

use std::sync::Arc;

use num_bigint::{BigInt, Sign};

use crate::bail;
use crate::beam::container::{Inflated, inflate};
use crate::beam::reader::Reader;
use crate::error::{Error, ErrorKind, Result};
use crate::term::{Atom, Closure, Term};

/// The version byte that starts every encoded term.
pub const VERSION: u8 = 131;

/// How deeply terms may nest. Real literals stay far below this; the bound
/// keeps every recursive walk over a term (decoding, printing, dropping)
/// well inside a thread's stack.
pub const MAX_DEPTH: usize = 512;

/// The largest decompressed size accepted for a compressed term.
pub const MAX_INFLATED: usize = 1 << 30;

/// Decodes a complete encoded term (starting with the version byte) whose
/// first byte is at absolute offset `base`; trailing bytes are an error.
pub fn decode(bytes: &[u8], base: usize) -> Result<Term> {
    let mut r = Reader::new(bytes, base);
    let t = decode_versioned(&mut r)?;
    if !r.is_empty() {
        bail!(
            r.offset(),
            Invalid,
            "{} trailing bytes after term",
            r.remaining()
        );
    }
    Ok(t)
}

/// Decodes a version byte and one term from `r`.
pub fn decode_versioned(r: &mut Reader<'_>) -> Result<Term> {
    let at = r.offset();
    let v = r.u8("term version")?;
    if v != VERSION {
        bail!(
            at,
            Invalid,
            "bad external term format version {v} (expected {VERSION})"
        );
    }
    if r.peek() == Some(80) {
        let at = r.offset();
        r.u8("tag")?;
        let size = r.u32("uncompressed size")? as usize;
        if size > MAX_INFLATED {
            bail!(
                at,
                Unsupported,
                "compressed term of {size} bytes is too large"
            );
        }
        let data = inflate_exact(r.rest(), size, at)?;
        let consumed = r.remaining();
        r.bytes(consumed, "compressed term")?;
        let mut inner = Reader::new(&data, at);
        let t = term(&mut inner, 0)?;
        if !inner.is_empty() {
            bail!(at, Invalid, "compressed term has trailing bytes");
        }
        return Ok(t);
    }
    term(r, 0)
}

/// Inflates zlib data that must produce exactly `size` bytes.
pub fn inflate_exact(data: &[u8], size: usize, at: usize) -> Result<Inflated> {
    let out = inflate(flate2::read::ZlibDecoder::new(data), size)
        .map_err(|e| Error::at(at, ErrorKind::Invalid, format!("bad zlib data: {e}")))?;
    if out.len() != size {
        bail!(
            at,
            Invalid,
            "zlib data inflates to {} bytes, header says {size}",
            out.len()
        );
    }
    Ok(out)
}

fn atom_text(r: &mut Reader<'_>, len: usize, utf8: bool) -> Result<Atom> {
    let at = r.offset();
    let b = r.bytes(len, "atom text")?;
    if utf8 {
        match std::str::from_utf8(b) {
            Ok(s) => Ok(Arc::from(s)),
            Err(_) => bail!(at, Invalid, "atom text is not valid UTF-8"),
        }
    } else {
        Ok(Arc::from(b.iter().map(|&c| c as char).collect::<String>()))
    }
}

/// Decodes an atom in any of the four atom encodings.
fn atom(r: &mut Reader<'_>) -> Result<Atom> {
    let at = r.offset();
    match r.u8("atom tag")? {
        100 => {
            let n = r.u16("atom length")? as usize;
            atom_text(r, n, false)
        }
        115 => {
            let n = r.u8("atom length")? as usize;
            atom_text(r, n, false)
        }
        118 => {
            let n = r.u16("atom length")? as usize;
            atom_text(r, n, true)
        }
        119 => {
            let n = r.u8("atom length")? as usize;
            atom_text(r, n, true)
        }
        t => bail!(at, Invalid, "expected an atom, found tag {t}"),
    }
}

fn small_int(r: &mut Reader<'_>, depth: usize) -> Result<i64> {
    let at = r.offset();
    match term(r, depth + 1)? {
        Term::Int(i) => Ok(i),
        _ => bail!(at, Invalid, "expected an integer"),
    }
}

fn big(r: &mut Reader<'_>, n: usize) -> Result<Term> {
    let at = r.offset();
    let sign = r.u8("bignum sign")?;
    let digits = r.bytes(n, "bignum digits")?;
    let sign = match sign {
        0 => Sign::Plus,
        1 => Sign::Minus,
        s => bail!(at, Invalid, "bad bignum sign byte {s}"),
    };
    Ok(Term::int(BigInt::from_bytes_le(sign, digits)))
}

fn elements(r: &mut Reader<'_>, n: usize, depth: usize) -> Result<Vec<Term>> {
    r.check_count(n, 1, r.offset(), "element count")?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(term(r, depth + 1)?);
    }
    Ok(v)
}

fn pid_or_port_creation(r: &mut Reader<'_>, wide: bool) -> Result<u32> {
    if wide {
        r.u32("creation")
    } else {
        Ok(r.u8("creation")? as u32)
    }
}

/// A container being filled while decoding: the decoder keeps its own
/// stack instead of recursing, so nesting depth never threatens the
/// thread's stack.
enum Frame {
    Tuple(Vec<Term>, usize),
    List(Vec<Term>, usize),
    ListTail(Vec<Term>),
    Map(Vec<(Term, Term)>, Option<Term>, usize),
}

/// Decodes one term (no version byte).
pub fn term(r: &mut Reader<'_>, depth: usize) -> Result<Term> {
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let at = r.offset();
        if depth + stack.len() > MAX_DEPTH {
            bail!(at, Unsupported, "term nests deeper than {MAX_DEPTH} levels");
        }
        let tag = r.u8("term tag")?;
        let mut value = match tag {
            104 | 105 => {
                let n = if tag == 104 {
                    r.u8("tuple arity")? as usize
                } else {
                    r.u32("tuple arity")? as usize
                };
                r.check_count(n, 1, at, "tuple arity")?;
                if n > 0 {
                    stack.push(Frame::Tuple(Vec::with_capacity(n), n));
                    continue;
                }
                Term::Tuple(Vec::new())
            }
            108 => {
                let n = r.u32("list length")? as usize;
                r.check_count(n, 1, at, "list length")?;
                stack.push(if n > 0 {
                    Frame::List(Vec::with_capacity(n), n)
                } else {
                    Frame::ListTail(Vec::new())
                });
                continue;
            }
            116 => {
                let n = r.u32("map size")? as usize;
                r.check_count(n, 2, at, "map size")?;
                if n > 0 {
                    stack.push(Frame::Map(Vec::with_capacity(n), None, n));
                    continue;
                }
                Term::Map(Vec::new())
            }
            _ => leaf(r, at, tag, depth + stack.len())?,
        };
        // Hand the finished value to the enclosing containers.
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(value);
            };
            match top {
                Frame::Tuple(items, n) => {
                    items.push(value);
                    if items.len() < *n {
                        break;
                    }
                    let Some(Frame::Tuple(items, _)) = stack.pop() else {
                        unreachable!()
                    };
                    value = Term::Tuple(items);
                }
                Frame::List(items, n) => {
                    items.push(value);
                    if items.len() == *n {
                        let Some(Frame::List(items, _)) = stack.pop() else {
                            unreachable!()
                        };
                        stack.push(Frame::ListTail(items));
                    }
                    break;
                }
                Frame::ListTail(_) => {
                    let Some(Frame::ListTail(items)) = stack.pop() else {
                        unreachable!()
                    };
                    value = if items.is_empty() {
                        value
                    } else {
                        Term::List(items, Box::new(value))
                    };
                }
                Frame::Map(pairs, key, n) => {
                    match key.take() {
                        None => {
                            *key = Some(value);
                            break;
                        }
                        Some(k) => pairs.push((k, value)),
                    }
                    if pairs.len() < *n {
                        break;
                    }
                    let Some(Frame::Map(pairs, _, _)) = stack.pop() else {
                        unreachable!()
                    };
                    value = Term::Map(pairs);
                }
            }
        }
    }
}

/// Decodes a term that is not a tuple, list or map.
fn leaf(r: &mut Reader<'_>, at: usize, tag: u8, depth: usize) -> Result<Term> {
    Ok(match tag {
        97 => Term::Int(r.u8("small integer")? as i64),
        98 => Term::Int(r.i32("integer")? as i64),
        70 => {
            let f = f64::from_bits(r.u64("float")?);
            if !f.is_finite() {
                // Erlang has no infinities or NaNs; binary_to_term refuses them too.
                bail!(at, Invalid, "float is not finite");
            }
            Term::Float(f)
        }
        99 => {
            let b = r.bytes(31, "float text")?;
            let s = std::str::from_utf8(b)
                .ok()
                .map(|s| s.trim_end_matches('\0').trim())
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|f| f.is_finite());
            match s {
                Some(f) => Term::Float(f),
                None => bail!(at, Invalid, "bad float text"),
            }
        }
        100 | 118 => {
            let n = r.u16("atom length")? as usize;
            Term::Atom(atom_text(r, n, tag == 118)?)
        }
        115 | 119 => {
            let n = r.u8("atom length")? as usize;
            Term::Atom(atom_text(r, n, tag == 119)?)
        }
        110 => {
            let n = r.u8("bignum length")? as usize;
            big(r, n)?
        }
        111 => {
            let n = r.u32("bignum length")? as usize;
            r.check_count(n, 1, at, "bignum length")?;
            big(r, n)?
        }
        106 => Term::Nil,
        107 => {
            let n = r.u16("string length")? as usize;
            let b = r.bytes(n, "string")?;
            Term::list(b.iter().map(|&c| Term::Int(c as i64)).collect())
        }
        109 => {
            let n = r.u32("binary length")? as usize;
            Term::Binary(r.bytes(n, "binary")?.to_vec())
        }
        77 => {
            let n = r.u32("bitstring length")? as usize;
            let bits = r.u8("bitstring tail bits")?;
            let data = r.bytes(n, "bitstring")?.to_vec();
            if bits == 8 || (n > 0 && bits == 0) {
                Term::Binary(data)
            } else if n == 0 || bits > 8 {
                bail!(
                    at,
                    Invalid,
                    "bad bitstring: {n} bytes with {bits} bits in the last"
                );
            } else {
                let mut data = data;
                // Keep only the significant bits so that equal bitstrings compare equal.
                let last = data.len() - 1;
                data[last] &= 0xffu8 << (8 - bits);
                Term::Bits(data, bits)
            }
        }
        113 => {
            let module = atom(r)?;
            let function = atom(r)?;
            let aat = r.offset();
            let arity = small_int(r, depth)?;
            let arity = u8::try_from(arity).map_err(|_| {
                Error::at(aat, ErrorKind::Invalid, format!("bad fun arity {arity}"))
            })?;
            Term::Export {
                module,
                function,
                arity,
            }
        }
        112 => new_fun(r, at, depth)?,
        117 => old_fun(r, depth)?,
        88 | 89 | 90 | 101 | 102 | 103 | 114 | 120 => identifier(r, at, tag)?,
        82 => bail!(
            at,
            Unsupported,
            "atom cache references only occur in distribution messages"
        ),
        80 => bail!(
            at,
            Invalid,
            "a compressed term may only appear at the top level"
        ),
        t => bail!(at, Invalid, "unknown term tag {t}"),
    })
}

#[inline(never)]
fn new_fun(r: &mut Reader<'_>, at: usize, depth: usize) -> Result<Term> {
    let size = r.u32("fun size")? as usize;
    if size < 4 {
        bail!(at, Invalid, "bad fun size {size}");
    }
    let mut body = r.sub(size - 4, "fun")?;
    let arity = body.u8("fun arity")?;
    let mut uniq = [0u8; 16];
    uniq.copy_from_slice(body.bytes(16, "fun uniq")?);
    let index = body.u32("fun index")?;
    let nfree = body.u32("fun free count")? as usize;
    let module = atom(&mut body)?;
    let old_index = small_int(&mut body, depth)?;
    let old_uniq = small_int(&mut body, depth)?;
    let pid = term(&mut body, depth + 1)?;
    let free = elements(&mut body, nfree, depth)?;
    if !body.is_empty() {
        bail!(
            body.offset(),
            Invalid,
            "fun has {} trailing bytes",
            body.remaining()
        );
    }
    Ok(Term::Fun(Box::new(Closure {
        module,
        arity,
        uniq,
        index,
        old_index,
        old_uniq,
        pid,
        free,
    })))
}

#[inline(never)]
fn old_fun(r: &mut Reader<'_>, depth: usize) -> Result<Term> {
    let nfree = r.u32("fun free count")? as usize;
    let pid = term(r, depth + 1)?;
    let module = atom(r)?;
    let index = small_int(r, depth)?;
    let old_uniq = small_int(r, depth)?;
    let free = elements(r, nfree, depth)?;
    Ok(Term::Fun(Box::new(Closure {
        module,
        arity: 0,
        uniq: [0; 16],
        index: index as u32,
        old_index: index,
        old_uniq,
        pid,
        free,
    })))
}

#[inline(never)]
fn identifier(r: &mut Reader<'_>, at: usize, tag: u8) -> Result<Term> {
    Ok(match tag {
        103 | 88 => {
            let node = atom(r)?;
            let id = r.u32("pid id")?;
            let serial = r.u32("pid serial")?;
            let creation = pid_or_port_creation(r, tag == 88)?;
            Term::Pid {
                node,
                id,
                serial,
                creation,
            }
        }
        102 | 89 => {
            let node = atom(r)?;
            let id = r.u32("port id")? as u64;
            let creation = pid_or_port_creation(r, tag == 89)?;
            Term::Port { node, id, creation }
        }
        120 => {
            let node = atom(r)?;
            let id = r.u64("port id")?;
            let creation = r.u32("creation")?;
            Term::Port { node, id, creation }
        }
        101 => {
            let node = atom(r)?;
            let id = r.u32("reference id")?;
            let creation = r.u8("creation")? as u32;
            Term::Ref {
                node,
                creation,
                ids: vec![id],
            }
        }
        114 | 90 => {
            let n = r.u16("reference length")? as usize;
            let node = atom(r)?;
            let creation = pid_or_port_creation(r, tag == 90)?;
            r.check_count(n, 4, at, "reference length")?;
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(r.u32("reference id")?);
            }
            Term::Ref {
                node,
                creation,
                ids,
            }
        }
        _ => bail!(at, Invalid, "unknown identifier tag {tag}"),
    })
}

/// Encodes a term in the external term format (with the version byte),
/// so that [`decode`] gives the same term back.
pub fn encode(t: &Term) -> Vec<u8> {
    encode_minor(t, 1)
}

/// [`encode`] as `term_to_binary(T, [{minor_version, Minor}])` writes it:
/// 0 writes floats as text (FLOAT_EXT), 2 writes every atom as UTF-8.
pub fn encode_minor(t: &Term, minor: u8) -> Vec<u8> {
    encode_parts(t, minor).0
}

/// [`encode_minor`], with where the bytes of each binary of more than 64
/// bytes lie (offset, length): `term_to_iovec/1,2` gives those as parts of
/// their own, as erl gives the binaries it stores apart from the heap.
pub fn encode_parts(t: &Term, minor: u8) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut out = vec![VERSION];
    let mut e = Enc {
        minor,
        parts: Some(Vec::new()),
    };
    put(&mut out, t, &mut e);
    (out, e.parts.unwrap_or_default())
}

/// How to encode, and what to note while encoding.
struct Enc {
    minor: u8,
    /// The large binaries' places, when wanted.
    parts: Option<Vec<(usize, usize)>>,
}

impl Enc {
    /// Notes `len` bytes about to be written at `at`, if they are many.
    fn note(&mut self, at: usize, len: usize) {
        if len > 64
            && let Some(p) = &mut self.parts
        {
            p.push((at, len));
        }
    }
}

/// FLOAT_EXT, what minor version 0 writes for a float: C's "%.20e",
/// NUL-padded to 31 bytes.
pub fn encode_float_text(out: &mut Vec<u8>, f: f64) {
    let text = format!("{f:.20e}");
    let (mantissa, exp) = text.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an exponent");
    let text = format!(
        "{mantissa}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    );
    out.push(99);
    let mut field = [0u8; 31];
    field[..text.len()].copy_from_slice(text.as_bytes());
    out.extend(field);
}

/// Atoms as OTP 25's `term_to_binary` writes them: Latin-1 atoms as
/// ATOM_EXT, others as UTF-8.
pub fn encode_atom(out: &mut Vec<u8>, a: &str, minor: u8) {
    if minor < 2 && a.chars().all(|c| (c as u32) < 256) {
        out.push(100);
        out.extend((a.chars().count() as u16).to_be_bytes());
        out.extend(a.chars().map(|c| c as u8));
        return;
    }
    let b = a.as_bytes();
    if b.len() < 256 {
        out.push(119);
        out.push(b.len() as u8);
    } else {
        out.push(118);
        out.extend((b.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(b);
}

/// Appends the encoding of `t` (no version byte).
pub fn encode_into(out: &mut Vec<u8>, t: &Term) {
    put(
        out,
        t,
        &mut Enc {
            minor: 1,
            parts: None,
        },
    )
}

fn put(out: &mut Vec<u8>, t: &Term, e: &mut Enc) {
    match t {
        Term::Int(i) if (0..=255).contains(i) => out.extend([97, *i as u8]),
        Term::Int(i) if i32::try_from(*i).is_ok() => {
            out.push(98);
            out.extend((*i as i32).to_be_bytes());
        }
        Term::Int(i) => encode_big(out, &BigInt::from(*i)),
        Term::Big(b) => encode_big(out, b),
        Term::Float(f) if e.minor == 0 => encode_float_text(out, *f),
        Term::Float(f) => {
            out.push(70);
            out.extend(f.to_bits().to_be_bytes());
        }
        Term::Atom(a) => encode_atom(out, a, e.minor),
        Term::Nil => out.push(106),
        Term::List(items, tail)
            if **tail == Term::Nil
                && items.len() < 65536
                && items.iter().all(|x| matches!(x, Term::Int(0..=255))) =>
        {
            // A string: STRING_EXT, as the BEAM encodes lists of bytes.
            out.push(107);
            out.extend((items.len() as u16).to_be_bytes());
            out.extend(items.iter().map(|x| match x {
                Term::Int(b) => *b as u8,
                _ => unreachable!("checked"),
            }));
        }
        Term::List(items, tail) => {
            out.push(108);
            out.extend((items.len() as u32).to_be_bytes());
            for x in items {
                put(out, x, e);
            }
            put(out, tail, e);
        }
        Term::Tuple(items) => {
            if items.len() < 256 {
                out.extend([104, items.len() as u8]);
            } else {
                out.push(105);
                out.extend((items.len() as u32).to_be_bytes());
            }
            for x in items {
                put(out, x, e);
            }
        }
        Term::Map(pairs) => {
            out.push(116);
            out.extend((pairs.len() as u32).to_be_bytes());
            // Keys in term order: one map, one encoding.
            for (k, v) in Term::sorted_map(pairs).into_iter().map(|p| (&p.0, &p.1)) {
                put(out, k, e);
                put(out, v, e);
            }
        }
        Term::Binary(b) => {
            out.push(109);
            out.extend((b.len() as u32).to_be_bytes());
            e.note(out.len(), b.len());
            out.extend_from_slice(b);
        }
        Term::Bits(b, n) => {
            out.push(77);
            out.extend((b.len() as u32).to_be_bytes());
            out.push(*n);
            // The whole bytes; the partial last one is written apart.
            e.note(out.len(), b.len().saturating_sub(1));
            out.extend_from_slice(b);
        }
        Term::Pid {
            node,
            id,
            serial,
            creation,
        } => {
            out.push(88);
            encode_atom(out, node, e.minor);
            out.extend(id.to_be_bytes());
            out.extend(serial.to_be_bytes());
            out.extend(creation.to_be_bytes());
        }
        Term::Port { node, id, creation } => {
            out.push(120);
            encode_atom(out, node, e.minor);
            out.extend(id.to_be_bytes());
            out.extend(creation.to_be_bytes());
        }
        Term::Ref {
            node,
            creation,
            ids,
        } => {
            out.push(90);
            out.extend((ids.len() as u16).to_be_bytes());
            encode_atom(out, node, e.minor);
            out.extend(creation.to_be_bytes());
            for i in ids {
                out.extend(i.to_be_bytes());
            }
        }
        Term::Export {
            module,
            function,
            arity,
        } => {
            out.push(113);
            encode_atom(out, module, e.minor);
            encode_atom(out, function, e.minor);
            out.extend([97, *arity]);
        }
        Term::Fun(c) => {
            // Offsets inside the body are not the output's: note nothing.
            let e = &mut Enc {
                minor: e.minor,
                parts: None,
            };
            let mut body = vec![c.arity];
            body.extend_from_slice(&c.uniq);
            body.extend(c.index.to_be_bytes());
            body.extend((c.free.len() as u32).to_be_bytes());
            encode_atom(&mut body, &c.module, e.minor);
            put(&mut body, &Term::Int(c.old_index), e);
            put(&mut body, &Term::Int(c.old_uniq), e);
            put(&mut body, &c.pid, e);
            for x in &c.free {
                put(&mut body, x, e);
            }
            out.push(112);
            out.extend(((body.len() + 4) as u32).to_be_bytes());
            out.extend(body);
        }
    }
}

/// Appends a bignum: SMALL_BIG_EXT, or LARGE_BIG_EXT past 255 bytes.
pub fn encode_big(out: &mut Vec<u8>, b: &BigInt) {
    let (sign, digits) = b.to_bytes_le();
    if digits.len() < 256 {
        out.extend([110, digits.len() as u8]);
    } else {
        out.push(111);
        out.extend((digits.len() as u32).to_be_bytes());
    }
    out.push(u8::from(sign == Sign::Minus));
    out.extend(digits);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlfmt::w;

    fn dec(bytes: &[u8]) -> Result<Term> {
        let mut v = vec![VERSION];
        v.extend_from_slice(bytes);
        decode(&v, 0x100)
    }

    fn ok(bytes: &[u8]) -> String {
        w(&dec(bytes).unwrap())
    }

    fn err(bytes: &[u8]) -> (ErrorKind, usize, String) {
        let e = dec(bytes).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.to_string())
    }

    #[test]
    fn encode_round_trips() {
        let terms = [
            Term::Int(0),
            Term::Int(-1),
            Term::Int(1 << 40),
            Term::Int(i64::MIN),
            Term::Big(BigInt::from(1u128 << 100)),
            Term::Float(-2.5),
            Term::atom("é"),
            Term::atom(&"a".repeat(300)),
            Term::List(vec![Term::Int(1)], Box::new(Term::atom("t"))),
            Term::Tuple((0..300).map(Term::Int).collect()),
            Term::Map(vec![(Term::atom("k"), Term::Binary(vec![1, 2]))]),
            Term::Bits(vec![0xa0], 3),
            Term::Export {
                module: "m".into(),
                function: "f".into(),
                arity: 2,
            },
            Term::Ref {
                node: "n".into(),
                creation: 1,
                ids: vec![1, 2, 3],
            },
        ];
        for t in terms {
            assert_eq!(decode(&encode(&t), 0).unwrap(), t);
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(ok(&[97, 200]), "200");
        assert_eq!(ok(&[98, 0xff, 0xff, 0xff, 0xfe]), "-2");
        assert_eq!(ok(&[110, 2, 0, 0x00, 0x01]), "256");
        assert_eq!(
            ok(&[110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0x80]),
            "-9223372036854775808"
        );
        assert_eq!(
            ok(&[110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            "18446744073709551616"
        );
        assert_eq!(ok(&[111, 0, 0, 0, 1, 0, 7]), "7");
        let mut f = vec![70];
        f.extend(2.5f64.to_bits().to_be_bytes());
        assert_eq!(ok(&f), "2.5");
        let mut old = vec![99];
        let text = b"1.50000000000000000000e+00";
        old.extend(text);
        old.extend(std::iter::repeat_n(0, 31 - text.len()));
        assert_eq!(ok(&old), "1.5");
    }

    #[test]
    fn atoms_in_every_encoding() {
        assert_eq!(ok(&[100, 0, 2, b'o', b'k']), "ok");
        assert_eq!(ok(&[115, 3, b'F', b'o', b'o']), "'Foo'");
        assert_eq!(ok(&[118, 0, 2, 0xc3, 0xa9]), "é");
        assert_eq!(ok(&[119, 2, 0xc4, 0x80]), "'\\x{100}'");
        // Latin-1 byte 0xe9 is é too.
        assert_eq!(ok(&[115, 1, 0xe9]), "é");
    }

    #[test]
    fn containers() {
        assert_eq!(ok(&[104, 2, 97, 1, 106]), "{1,[]}");
        assert_eq!(ok(&[105, 0, 0, 0, 1, 97, 1]), "{1}");
        assert_eq!(ok(&[107, 0, 2, b'h', b'i']), "[104,105]");
        assert_eq!(ok(&[108, 0, 0, 0, 2, 97, 1, 97, 2, 106]), "[1,2]");
        assert_eq!(ok(&[108, 0, 0, 0, 1, 97, 1, 115, 1, b'b']), "[1|b]");
        assert_eq!(ok(&[109, 0, 0, 0, 2, 1, 2]), "<<1,2>>");
        assert_eq!(ok(&[77, 0, 0, 0, 2, 3, 1, 0b1010_0000]), "<<1,5:3>>");
        assert_eq!(
            ok(&[116, 0, 0, 0, 2, 115, 1, b'b', 97, 2, 115, 1, b'a', 97, 1]),
            "#{a => 1,b => 2}"
        );
        assert_eq!(
            ok(&[
                113, 115, 5, b'l', b'i', b's', b't', b's', 115, 3, b'm', b'a', b'p', 97, 2
            ]),
            "fun lists:map/2"
        );
    }

    #[test]
    fn pids_ports_refs() {
        let node = [115, 1, b'n'];
        let mut pid = vec![88];
        pid.extend(node);
        pid.extend([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(ok(&pid), "<0.5.0>");
        let mut pid = vec![103];
        pid.extend(node);
        pid.extend([0, 0, 0, 5, 0, 0, 0, 0, 1]);
        assert_eq!(ok(&pid), "<0.5.0>");
        let mut port = vec![89];
        port.extend(node);
        port.extend([0, 0, 0, 7, 0, 0, 0, 1]);
        assert_eq!(ok(&port), "#Port<0.7>");
        let mut port = vec![120];
        port.extend(node);
        port.extend([0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1]);
        assert_eq!(ok(&port), "#Port<0.9>");
        let mut r = vec![90, 0, 2];
        r.extend(node);
        r.extend([0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 4]);
        assert_eq!(ok(&r), "#Ref<0.4.3>");
        let mut r = vec![114, 0, 1];
        r.extend(node);
        r.extend([1, 0, 0, 0, 3]);
        assert_eq!(ok(&r), "#Ref<0.3>");
        let mut r = vec![101];
        r.extend(node);
        r.extend([0, 0, 0, 3, 1]);
        assert_eq!(ok(&r), "#Ref<0.3>");
    }

    #[test]
    fn closures() {
        let node = [115, 1, b'n'];
        let mut pid = vec![88];
        pid.extend(node);
        pid.extend([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]);
        let mut body = vec![1u8];
        body.extend([0u8; 16]);
        body.extend([0, 0, 0, 3, 0, 0, 0, 1]);
        body.extend([115, 1, b'm', 97, 3, 97, 9]);
        body.extend(&pid);
        body.extend([97, 42]);
        let mut f = vec![112];
        f.extend(((body.len() + 4) as u32).to_be_bytes());
        f.extend(&body);
        match dec(&f).unwrap() {
            Term::Fun(ref c) => {
                assert_eq!((c.arity, c.index, c.old_index, c.old_uniq), (1, 3, 3, 9));
                assert_eq!(c.free, vec![Term::Int(42)]);
            }
            t => panic!("{t:?}"),
        }
        let mut old = vec![117, 0, 0, 0, 0];
        old.extend(&pid);
        old.extend([115, 1, b'm', 97, 3, 97, 9]);
        assert!(matches!(dec(&old).unwrap(), Term::Fun(_)));
    }

    #[test]
    fn compressed_terms() {
        use std::io::Write;
        let inner = [104, 2, 97, 1, 97, 2];
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&inner).unwrap();
        let mut c = vec![80];
        c.extend((inner.len() as u32).to_be_bytes());
        c.extend(z.finish().unwrap());
        assert_eq!(ok(&c), "{1,2}");
        // The size in the header must be right.
        c[4] = 9;
        assert_eq!(err(&c).0, ErrorKind::Invalid);
    }

    #[test]
    fn error_paths_name_their_offsets() {
        // Offsets: 0x100 is the version byte, 0x101 the first tag.
        assert_eq!(
            decode(&[130, 106], 0).unwrap_err().kind(),
            ErrorKind::Invalid
        );
        assert_eq!(decode(&[], 7).unwrap_err().offset(), Some(7));
        assert_eq!(err(&[]).0, ErrorKind::Truncated);
        assert_eq!(err(&[255]), (ErrorKind::Invalid, 0x101, err(&[255]).2));
        assert!(err(&[255]).2.contains("unknown term tag 255"));
        assert_eq!(err(&[97]).0, ErrorKind::Truncated);
        assert_eq!(err(&[98, 0, 0]).0, ErrorKind::Truncated);
        assert_eq!(err(&[70, 0, 0]).0, ErrorKind::Truncated);
        assert_eq!(err(&[99, b'x']).0, ErrorKind::Truncated);
        let mut nan = vec![70];
        nan.extend(f64::NAN.to_bits().to_be_bytes());
        assert_eq!(err(&nan).0, ErrorKind::Invalid);
        let mut bad_float = vec![99];
        bad_float.extend([b'z'; 31]);
        assert_eq!(err(&bad_float).0, ErrorKind::Invalid);
        assert_eq!(err(&[110, 1, 2, 5]).0, ErrorKind::Invalid); // sign byte 2
        assert_eq!(
            err(&[111, 0xff, 0xff, 0xff, 0xff, 0]).0,
            ErrorKind::Truncated
        );
        assert_eq!(err(&[118, 0, 1, 0xff]).0, ErrorKind::Invalid); // not UTF-8
        assert_eq!(err(&[100, 0, 9, b'a']).0, ErrorKind::Truncated);
        // Huge counts fail before allocating.
        assert_eq!(err(&[105, 0xff, 0xff, 0xff, 0xff]).0, ErrorKind::Truncated);
        assert_eq!(
            err(&[108, 0xff, 0xff, 0xff, 0xff, 106]).0,
            ErrorKind::Truncated
        );
        assert_eq!(err(&[116, 0xff, 0xff, 0xff, 0xff]).0, ErrorKind::Truncated);
        assert_eq!(err(&[109, 0xff, 0xff, 0xff, 0xff]).0, ErrorKind::Truncated);
        assert_eq!(err(&[107, 0xff, 0xff]).0, ErrorKind::Truncated);
        assert_eq!(err(&[77, 0, 0, 0, 1, 9, 0]).0, ErrorKind::Invalid);
        assert_eq!(err(&[77, 0, 0, 0, 0, 3]).0, ErrorKind::Invalid);
        assert_eq!(err(&[113, 97, 1]).0, ErrorKind::Invalid); // module is not an atom
        assert_eq!(
            err(&[113, 115, 1, b'm', 115, 1, b'f', 98, 0, 0, 1, 0]).0,
            ErrorKind::Invalid
        );
        assert_eq!(err(&[112, 0, 0, 0, 2]).0, ErrorKind::Invalid);
        assert_eq!(err(&[82, 0]).0, ErrorKind::Unsupported);
        assert_eq!(err(&[104, 1, 80, 0, 0, 0, 0]).0, ErrorKind::Invalid);
        assert!(err(&[106, 106]).2.contains("trailing"));
        // Deep nesting is refused, not a stack overflow.
        let mut deep = [104, 1].repeat(MAX_DEPTH + 5);
        deep.push(106);
        assert_eq!(err(&deep).0, ErrorKind::Unsupported);
    }
}
