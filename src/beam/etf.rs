//! The external term format (`term_to_binary`), as found in `LitT`, `Attr`,
//! `CInf`, `Meta`, `Dbgi`, `Docs` and `ExCk`.
//!
//! Every length is checked against the bytes that are left before anything
//! is allocated, and nesting is bounded, so hostile input cannot make the
//! decoder allocate without limit or overflow the stack.

use std::io::Read;
use std::sync::Arc;

use num_bigint::{BigInt, Sign};

use crate::bail;
use crate::beam::reader::Reader;
use crate::error::{Error, ErrorKind, Result};
use crate::term::{Atom, Closure, Term};

/// The version byte that starts every encoded term.
pub const VERSION: u8 = 131;

/// How deeply terms may nest. Real literals stay far below this.
pub const MAX_DEPTH: usize = 1000;

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
pub fn inflate_exact(data: &[u8], size: usize, at: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size.min(data.len().saturating_mul(64)).min(1 << 24));
    let mut z = flate2::read::ZlibDecoder::new(data).take(size as u64 + 1);
    z.read_to_end(&mut out)
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

/// Decodes one term (no version byte).
pub fn term(r: &mut Reader<'_>, depth: usize) -> Result<Term> {
    let at = r.offset();
    if depth > MAX_DEPTH {
        bail!(at, Unsupported, "term nests deeper than {MAX_DEPTH} levels");
    }
    let tag = r.u8("term tag")?;
    Ok(match tag {
        97 => Term::Int(r.u8("small integer")? as i64),
        98 => Term::Int(r.i32("integer")? as i64),
        70 => {
            let bits = r.u64("float")?;
            Term::Float(f64::from_bits(bits))
        }
        99 => {
            let b = r.bytes(31, "float text")?;
            let s = std::str::from_utf8(b)
                .ok()
                .map(|s| s.trim_end_matches('\0').trim())
                .and_then(|s| s.parse::<f64>().ok());
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
        104 => {
            let n = r.u8("tuple arity")? as usize;
            Term::Tuple(elements(r, n, depth)?)
        }
        105 => {
            let n = r.u32("tuple arity")? as usize;
            Term::Tuple(elements(r, n, depth)?)
        }
        106 => Term::Nil,
        107 => {
            let n = r.u16("string length")? as usize;
            let b = r.bytes(n, "string")?;
            Term::list(b.iter().map(|&c| Term::Int(c as i64)).collect())
        }
        108 => {
            let n = r.u32("list length")? as usize;
            let items = elements(r, n, depth)?;
            let tail = term(r, depth + 1)?;
            if items.is_empty() {
                tail
            } else {
                Term::List(items, Box::new(tail))
            }
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
        116 => {
            let n = r.u32("map size")? as usize;
            r.check_count(n, 2, at, "map size")?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let k = term(r, depth + 1)?;
                let v = term(r, depth + 1)?;
                pairs.push((k, v));
            }
            Term::Map(pairs)
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
        112 => {
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
            Term::Fun(Box::new(Closure {
                module,
                arity,
                uniq,
                index,
                old_index,
                old_uniq,
                pid,
                free,
            }))
        }
        117 => {
            let nfree = r.u32("fun free count")? as usize;
            let pid = term(r, depth + 1)?;
            let module = atom(r)?;
            let index = small_int(r, depth)?;
            let old_uniq = small_int(r, depth)?;
            let free = elements(r, nfree, depth)?;
            Term::Fun(Box::new(Closure {
                module,
                arity: 0,
                uniq: [0; 16],
                index: index as u32,
                old_index: index,
                old_uniq,
                pid,
                free,
            }))
        }
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
