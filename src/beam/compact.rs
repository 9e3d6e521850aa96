//! The compact term encoding used for operands in the `Code` chunk (and for
//! line items in the `Line` chunk).
//!
//! The low three bits of the first byte are a tag. Small values live in the
//! high four bits (`vvvv0ttt`), values below 2048 take one more byte
//! (`vvv01ttt vvvvvvvv`), and larger ones give a byte count (`nnn11ttt`,
//! with `111` meaning "the count follows as another compact value").
//! Worked example: 1000 with tag `i` (1) is `[0x69, 0xe8]`.
//! Tag 7 (`z`) opens the extended forms: floats, lists, float registers,
//! allocation lists, literals and (OTP 25+) typed registers.

use num_bigint::{BigInt, Sign};

use crate::bail;
use crate::beam::reader::Reader;
use crate::error::Result;

/// An integer operand, which may be arbitrarily large.
#[derive(Debug, Clone, PartialEq)]
pub enum Int {
    /// Fits in 64 bits.
    Small(i64),
    /// Does not (boxed: rare, and keeps operands small).
    Big(Box<BigInt>),
}

/// One decoded operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `u`: an unsigned number (arities, counts, indices).
    U(u64),
    /// `u` past 64 bits: erlc writes a bit count the compiler knows but no
    /// binary can have this way (`bs_test_tail2` of `<<_:Huge/bits>>`).
    UBig(Box<BigInt>),
    /// `i`: an integer literal.
    I(Int),
    /// `a`: an atom by index into the atom table; 0 means `[]`.
    Atom(u32),
    /// `x`: an argument register.
    X(u32),
    /// `y`: a stack slot.
    Y(u32),
    /// `f`: a label (0 means "no label").
    Label(u32),
    /// `h`: a character.
    Char(u32),
    /// Extended: a float literal (only old compilers emit these).
    Float(f64),
    /// Extended: a list of operands (jump tables, map pairs, ...).
    List(Box<[Operand]>),
    /// Extended: a float register.
    FReg(u32),
    /// Extended: an allocation list of `(kind, count)` pairs:
    /// kind 0 words, 1 floats, 2 funs.
    Alloc(Box<[(u32, u64)]>),
    /// Extended: an index into the literal table.
    Literal(u32),
    /// Extended: a register with an index into the `Type` chunk.
    Typed(Box<Operand>, u32),
}

/// The tag numbers of the compact encoding.
pub mod tag {
    /// Unsigned.
    pub const U: u8 = 0;
    /// Integer.
    pub const I: u8 = 1;
    /// Atom.
    pub const A: u8 = 2;
    /// X register.
    pub const X: u8 = 3;
    /// Y register.
    pub const Y: u8 = 4;
    /// Label.
    pub const F: u8 = 5;
    /// Character.
    pub const H: u8 = 6;
    /// Extended.
    pub const Z: u8 = 7;
}

/// Bounds nesting of extended forms (a list inside a list inside ...).
const MAX_NESTING: usize = 8;

/// Reads the tag and the raw integer value of one non-extended operand.
/// `signed` applies to the multi-byte form only, as in the BEAM loader.
pub fn tag_and_int(r: &mut Reader<'_>, signed: bool) -> Result<(u8, Int)> {
    tag_and_int_in(r, signed, false)
}

/// `in_prefix`: reading the length prefix of a large operand. That prefix
/// never needs a prefix of its own (it would count 2^64 bytes), and
/// allowing one let a run of 0xff bytes recurse once per byte until the
/// native stack overflowed (found by the `compact` fuzz target).
fn tag_and_int_in(r: &mut Reader<'_>, signed: bool, in_prefix: bool) -> Result<(u8, Int)> {
    let at = r.offset();
    let b = r.u8("operand")?;
    let t = b & 7;
    if b & 0x08 == 0 {
        return Ok((t, Int::Small((b >> 4) as i64)));
    }
    if b & 0x10 == 0 {
        let lo = r.u8("operand low byte")? as i64;
        return Ok((t, Int::Small((((b & 0xe0) as i64) << 3) | lo)));
    }
    if in_prefix && b >> 5 == 7 {
        bail!(
            at,
            Invalid,
            "the length prefix of a large operand has a length prefix"
        );
    }
    let at = r.offset();
    let len = match b >> 5 {
        7 => {
            let (lt, l) = tag_and_int_in(r, false, true)?;
            match (lt, l) {
                (tag::U, Int::Small(l)) if l >= 0 => (l as usize).saturating_add(9),
                _ => bail!(at, Invalid, "bad length prefix of a large operand"),
            }
        }
        n => n as usize + 2,
    };
    let at = r.offset();
    let bytes = r.bytes(len, "large operand")?;
    let negative = signed && t == tag::I && bytes[0] & 0x80 != 0;
    if len <= 8 {
        let mut v: u64 = if negative { u64::MAX } else { 0 };
        for &x in bytes {
            v = (v << 8) | x as u64;
        }
        if negative || len < 8 || v <= i64::MAX as u64 {
            return Ok((t, Int::Small(v as i64)));
        }
    }
    let _ = at;
    let big = if negative {
        let mag = BigInt::from_bytes_be(Sign::Plus, bytes);
        mag - (BigInt::from(1) << (len * 8))
    } else {
        BigInt::from_bytes_be(Sign::Plus, bytes)
    };
    Ok((t, Int::Big(Box::new(big))))
}

fn unsigned(r: &mut Reader<'_>, what: &str) -> Result<u64> {
    let at = r.offset();
    match tag_and_int(r, false)? {
        (tag::U, Int::Small(v)) if v >= 0 => Ok(v as u64),
        (t, _) => bail!(
            at,
            Invalid,
            "{what}: expected an unsigned operand, found tag {t}"
        ),
    }
}

fn small_u32(v: Int, at: usize, what: &str) -> Result<u32> {
    match v {
        Int::Small(v) if (0..=u32::MAX as i64).contains(&v) => Ok(v as u32),
        _ => bail!(at, Invalid, "{what} operand out of range"),
    }
}

/// Reads one operand.
#[inline]
pub fn operand(r: &mut Reader<'_>) -> Result<Operand> {
    // Most operands are one byte: a small value with a plain tag.
    if let Some(b) = r.peek()
        && b & 0x08 == 0
        && b & 7 != tag::Z
    {
        let v = (b >> 4) as u32;
        let op = match b & 7 {
            tag::U => Operand::U(v as u64),
            tag::I => Operand::I(Int::Small(v as i64)),
            tag::A => Operand::Atom(v),
            tag::X => Operand::X(v),
            tag::Y => Operand::Y(v),
            tag::F => Operand::Label(v),
            _ => Operand::Char(v),
        };
        r.skip(1);
        return Ok(op);
    }
    operand_nested(r, 0)
}

fn operand_nested(r: &mut Reader<'_>, depth: usize) -> Result<Operand> {
    let at = r.offset();
    let first = match r.peek() {
        Some(b) => b,
        None => {
            r.u8("operand")?;
            unreachable!("u8 on an empty reader fails")
        }
    };
    if first & 7 == tag::Z {
        r.u8("extended tag")?;
        if first & 0x08 != 0 {
            bail!(at, Invalid, "bad extended operand byte 0x{first:02x}");
        }
        if depth >= MAX_NESTING {
            bail!(at, Invalid, "extended operands nest too deeply");
        }
        return Ok(match first >> 4 {
            0 => {
                let f = f64::from_bits(r.u64("float operand")?);
                if !f.is_finite() {
                    bail!(at, Invalid, "float operand is not finite");
                }
                Operand::Float(f)
            }
            1 => {
                let lat = r.offset();
                let n = unsigned(r, "list length")?;
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                r.check_count(n, 1, lat, "operand list length")?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    v.push(operand_nested(r, depth + 1)?);
                }
                Operand::List(v.into_boxed_slice())
            }
            2 => {
                let fat = r.offset();
                let n = unsigned(r, "float register")?;
                Operand::FReg(small_u32(Int::Small(n as i64), fat, "float register")?)
            }
            3 => {
                let lat = r.offset();
                let n = unsigned(r, "allocation list length")? as usize;
                r.check_count(n, 2, lat, "allocation list length")?;
                let mut v = Vec::with_capacity(n);
                for _ in 0..n {
                    let kat = r.offset();
                    let kind = unsigned(r, "allocation kind")?;
                    if kind > 2 {
                        bail!(kat, Invalid, "unknown allocation kind {kind}");
                    }
                    let count = unsigned(r, "allocation count")?;
                    v.push((kind as u32, count));
                }
                Operand::Alloc(v.into_boxed_slice())
            }
            4 => {
                let lat = r.offset();
                let n = unsigned(r, "literal index")?;
                Operand::Literal(small_u32(Int::Small(n as i64), lat, "literal index")?)
            }
            5 => {
                let rat = r.offset();
                let reg = operand_nested(r, depth + 1)?;
                if !matches!(reg, Operand::X(_) | Operand::Y(_)) {
                    bail!(rat, Invalid, "typed register must be an x or y register");
                }
                let tat = r.offset();
                let t = unsigned(r, "type index")?;
                Operand::Typed(
                    Box::new(reg),
                    small_u32(Int::Small(t as i64), tat, "type index")?,
                )
            }
            n => bail!(at, Invalid, "unknown extended operand tag {n}"),
        });
    }
    let (t, v) = tag_and_int(r, true)?;
    Ok(match t {
        tag::U => match v {
            Int::Small(v) if v >= 0 => Operand::U(v as u64),
            Int::Small(_) => bail!(at, Invalid, "unsigned operand out of range"),
            Int::Big(b) => match u64::try_from(&*b) {
                Ok(v) => Operand::U(v),
                Err(_) => Operand::UBig(b),
            },
        },
        tag::I => Operand::I(v),
        tag::A => Operand::Atom(small_u32(v, at, "atom")?),
        tag::X => Operand::X(small_u32(v, at, "x register")?),
        tag::Y => Operand::Y(small_u32(v, at, "y register")?),
        tag::F => Operand::Label(small_u32(v, at, "label")?),
        tag::H => Operand::Char(small_u32(v, at, "character")?),
        _ => unreachable!("tag is three bits and 7 is handled above"),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn operands_stay_small() {
        // Every module holds millions of these: keep them at three words.
        assert_eq!(std::mem::size_of::<super::Operand>(), 24);
    }

    use super::*;
    use crate::error::ErrorKind;

    fn one(bytes: &[u8]) -> Result<Operand> {
        let mut r = Reader::new(bytes, 0x40);
        let op = operand(&mut r)?;
        assert!(r.is_empty(), "left {} bytes", r.remaining());
        Ok(op)
    }

    #[test]
    fn small_forms() {
        assert_eq!(one(&[0x00]).unwrap(), Operand::U(0));
        assert_eq!(one(&[0x50]).unwrap(), Operand::U(5));
        assert_eq!(one(&[0x13]).unwrap(), Operand::X(1));
        assert_eq!(one(&[0x24]).unwrap(), Operand::Y(2));
        assert_eq!(one(&[0x35]).unwrap(), Operand::Label(3));
        assert_eq!(one(&[0x02]).unwrap(), Operand::Atom(0));
        assert_eq!(one(&[0x46]).unwrap(), Operand::Char(4));
    }

    #[test]
    fn eleven_bit_form() {
        // 1000 = 0b011_1110_1000: high three bits 011 go to the top of the tag byte.
        assert_eq!(one(&[0x69, 0xe8]).unwrap(), Operand::I(Int::Small(1000)));
        assert_eq!(one(&[0x08 | 0xe0, 0xff]).unwrap(), Operand::U(2047));
    }

    #[test]
    fn multi_byte_forms_and_signs() {
        // 2 bytes, tag i: 0x7fff
        assert_eq!(
            one(&[0x19, 0x7f, 0xff]).unwrap(),
            Operand::I(Int::Small(0x7fff))
        );
        // 2 bytes, tag i, high bit set: negative
        assert_eq!(
            one(&[0x19, 0xff, 0x00]).unwrap(),
            Operand::I(Int::Small(-256))
        );
        // 2 bytes, tag u, high bit set: stays positive
        assert_eq!(one(&[0x18, 0xff, 0x00]).unwrap(), Operand::U(0xff00));
        // 9 bytes via the nested length (7 << 5 | 0x18 | tag), length 9 - 9 = 0.
        let mut b = vec![0xf9, 0x00];
        b.extend([0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            one(&b).unwrap(),
            Operand::I(Int::Big(Box::new(BigInt::from(1u128 << 64))))
        );
        let mut b = vec![0xf9, 0x00];
        b.extend([0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            one(&b).unwrap(),
            Operand::I(Int::Big(Box::new(-(BigInt::from(1u128 << 64)))))
        );
        // 8 bytes, tag i: i64::MIN
        assert_eq!(
            one(&[0xd9, 0x80, 0, 0, 0, 0, 0, 0, 0]).unwrap(),
            Operand::I(Int::Small(i64::MIN))
        );
        // 8 bytes, tag u, top bit set: still a u64
        assert_eq!(
            one(&[0xd8, 0x80, 0, 0, 0, 0, 0, 0, 0]).unwrap(),
            Operand::U(1 << 63)
        );
        // 9 bytes, tag u: past u64, as erlc writes an impossible bit count
        let mut b = vec![0xf8, 0x00];
        b.extend([0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            one(&b).unwrap(),
            Operand::UBig(Box::new(BigInt::from(1u128 << 64)))
        );
    }

    #[test]
    fn extended_forms() {
        let mut b = vec![0x07];
        b.extend(1.5f64.to_bits().to_be_bytes());
        assert_eq!(one(&b).unwrap(), Operand::Float(1.5));
        assert_eq!(
            one(&[0x17, 0x20, 0x13, 0x35]).unwrap(),
            Operand::List(vec![Operand::X(1), Operand::Label(3)].into())
        );
        assert_eq!(one(&[0x27, 0x30]).unwrap(), Operand::FReg(3));
        assert_eq!(
            one(&[0x37, 0x20, 0x00, 0x30, 0x10, 0x10]).unwrap(),
            Operand::Alloc(vec![(0, 3), (1, 1)].into())
        );
        assert_eq!(one(&[0x47, 0x50]).unwrap(), Operand::Literal(5));
        assert_eq!(
            one(&[0x57, 0x03, 0x20]).unwrap(),
            Operand::Typed(Box::new(Operand::X(0)), 2)
        );
    }

    #[test]
    fn nested_length_prefixes_are_refused() {
        let bytes = vec![0xf8u8; 200_000];
        let e = one(&bytes).unwrap_err().to_string();
        assert!(e.contains("length prefix"), "{e}");
    }

    #[test]
    fn errors_carry_offsets() {
        let e = one(&[]).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Truncated, Some(0x40)));
        let e = one(&[0x19, 0x7f]).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Truncated, Some(0x41)));
        let e = one(&[0x0f]).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Invalid, Some(0x40)));
        let e = one(&[0x77]).unwrap_err();
        assert!(
            e.to_string().contains("unknown extended operand tag 7"),
            "{e}"
        );
        let e = one(&[0x37, 0x10, 0x30, 0x10]).unwrap_err();
        assert!(e.to_string().contains("allocation kind"), "{e}");
        let e = one(&[0x57, 0x00, 0x00]).unwrap_err();
        assert!(e.to_string().contains("typed register"), "{e}");
        let e = one(&[0x17, 0x18, 0xff, 0xff]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
        let e = one(&[0xf9, 0x01]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
    }
}
