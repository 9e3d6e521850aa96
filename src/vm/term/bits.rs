//! Bitstrings as bits: reading bits and integers out of bytes, a builder
//! that appends bit fields, and the match context's layout (a heap object
//! `[bitstring, bit position, length in bits, saved positions]`), which the
//! run loop's fast path and the matching natives share.

use num_bigint::{BigInt, Sign};
use num_traits::{One, Signed};

use crate::vm::term::heap::{Area, View};
use crate::vm::term::word::{Ptr, Word, kind};

/// Field flag: little-endian.
pub const LITTLE: i64 = 2;
/// Field flag: signed.
pub const SIGNED: i64 = 4;
/// Field flag: the machine's own byte order.
pub const NATIVE: i64 = 16;

/// Field flags with `NATIVE` made explicit: `LITTLE` set when this machine
/// is little-endian, so readers and writers need only look at `LITTLE`.
pub fn resolve_native(f: i64) -> i64 {
    if f & NATIVE != 0 && cfg!(target_endian = "little") {
        f | LITTLE
    } else {
        f
    }
}

/// Bits of a bitstring: its bytes and its length in bits.
pub fn bitstring<'a>(v: &View<'a>, w: Word) -> Option<(&'a [u8], usize)> {
    let (bytes, last) = v.bits(w)?;
    let len = if bytes.is_empty() {
        0
    } else {
        bytes.len() * 8 - (8 - last as usize)
    };
    Some((bytes, len))
}

/// Bit `i` (0 is the first byte's high bit).
pub fn bit_at(bytes: &[u8], i: usize) -> u8 {
    (bytes[i / 8] >> (7 - i % 8)) & 1
}

/// Copies `len` bits starting at bit `start` into a fresh byte vector.
pub fn extract(bytes: &[u8], start: usize, len: usize) -> Vec<u8> {
    if start.is_multiple_of(8) {
        let mut v = bytes[start / 8..(start + len).div_ceil(8)].to_vec();
        if !len.is_multiple_of(8) {
            let last = v.len() - 1;
            v[last] &= 0xffu8 << (8 - len % 8);
        }
        return v;
    }
    // Starting inside a byte: each byte out is two bytes in, shifted.
    let (first, shift) = (start / 8, start % 8);
    let mut out: Vec<u8> = (first..first + len.div_ceil(8))
        .map(|i| bytes[i] << shift | bytes.get(i + 1).map_or(0, |b| b >> (8 - shift)))
        .collect();
    if !len.is_multiple_of(8) {
        let last = out.len() - 1;
        out[last] &= 0xffu8 << (8 - len % 8);
    }
    out
}

/// A growable bit buffer for construction.
#[derive(Default)]
pub struct Bits {
    /// The bytes so far (the last one partly filled when `len` is not a
    /// multiple of 8).
    pub bytes: Vec<u8>,
    /// The length in bits.
    pub len: usize,
    /// Set when building failed on a size past erl's limit or for want of
    /// memory: `system_limit`, where other failures are `badarg`.
    pub too_large: bool,
}

impl Bits {
    /// Appends `n` bits, all ones or all zeros, without a buffer of them
    /// (a huge field of a small integer is mostly its sign).
    pub fn push_fill(&mut self, ones: bool, mut n: usize) {
        let byte = if ones { 0xff } else { 0 };
        while n > 0 && !self.len.is_multiple_of(8) {
            self.push_bits(&[byte], 0, 1);
            n -= 1;
        }
        // Still inside a byte: its bits are all there is to keep.
        if n == 0 {
            return;
        }
        self.bytes.truncate(self.len / 8);
        self.bytes.resize(self.len / 8 + n / 8, byte);
        self.len += n / 8 * 8;
        if !n.is_multiple_of(8) {
            self.push_bits(&[byte], 0, n % 8);
        }
    }

    /// Appends `n` bits of `src` starting at bit `start`.
    pub fn push_bits(&mut self, src: &[u8], start: usize, n: usize) {
        if self.len.is_multiple_of(8) && start.is_multiple_of(8) {
            self.bytes.truncate(self.len / 8);
            self.bytes
                .extend_from_slice(&src[start / 8..(start + n).div_ceil(8)]);
            self.len += n;
            self.bytes.truncate(self.len.div_ceil(8));
            if !self.len.is_multiple_of(8) {
                let last = self.bytes.len() - 1;
                self.bytes[last] &= 0xffu8 << (8 - self.len % 8);
            }
            return;
        }
        for i in 0..n {
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            let b = bit_at(src, start + i);
            let last = self.bytes.len() - 1;
            self.bytes[last] |= b << (7 - self.len % 8);
            self.len += 1;
        }
    }

    /// Pushes the low `bits` (at most 64) bits of `u`: the common case,
    /// without a bignum.
    pub fn push_u64(&mut self, u: u64, bits: usize, little: bool) {
        if bits == 0 {
            return;
        }
        if little && !bits.is_multiple_of(8) {
            return self.push_uint(&BigInt::from(u & mask(bits)), bits, little);
        }
        let u = u & mask(bits);
        let u = if little {
            u.swap_bytes() >> (64 - bits)
        } else {
            u
        };
        if self.len.is_multiple_of(8) && bits.is_multiple_of(8) {
            self.bytes.truncate(self.len / 8);
            self.bytes
                .extend_from_slice(&u.to_be_bytes()[8 - bits / 8..]);
            self.len += bits;
        } else {
            self.push_bits(&(u << (64 - bits)).to_be_bytes(), 0, bits);
        }
    }

    /// Appends `value` as an integer field of `bits` bits.
    pub fn push_uint(&mut self, value: &BigInt, bits: usize, little: bool) {
        // Two's complement of `value` in `bits` bits, big-endian.
        let modulus = BigInt::one() << bits;
        let mut v = value % &modulus;
        if v.is_negative() {
            v += &modulus;
        }
        let (_, mut be) = v.to_bytes_be();
        let nbytes = bits.div_ceil(8);
        if be.len() < nbytes {
            let mut pad = vec![0u8; nbytes - be.len()];
            pad.extend(be);
            be = pad;
        }
        // Left-align the bits: shift the number so its top bit is bit 0.
        let shift = nbytes * 8 - bits;
        let aligned = if shift == 0 {
            be
        } else {
            let n = BigInt::from_bytes_be(Sign::Plus, &be) << shift;
            let (_, mut b) = n.to_bytes_be();
            while b.len() < nbytes {
                b.insert(0, 0);
            }
            b
        };
        if little && bits.is_multiple_of(8) {
            let mut le = aligned.clone();
            le.reverse();
            self.push_bits(&le, 0, bits);
        } else if little {
            // Little-endian with a partial byte: bytes reversed, the partial one last.
            let mut be_bits = Bits::default();
            be_bits.push_bits(&aligned, 0, bits);
            let full = bits / 8;
            let rem = bits % 8;
            let mut chunks: Vec<(usize, usize)> = (0..full).map(|i| (rem + i * 8, 8)).collect();
            chunks.reverse();
            for (s, n) in chunks {
                self.push_bits(&be_bits.bytes, s, n);
            }
            self.push_bits(&be_bits.bytes, 0, rem);
        } else {
            self.push_bits(&aligned, 0, bits);
        }
    }
}

/// The low `bits` bits set.
pub fn mask(bits: usize) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// `read_uint` for at most 64 bits, without a bignum; `None` for the one
/// layout it leaves to the general path (little-endian with a partial byte).
pub fn read_small(
    bytes: &[u8],
    start: usize,
    bits: usize,
    little: bool,
    signed: bool,
) -> Option<i128> {
    if bits > 64 || (little && !bits.is_multiple_of(8)) {
        return None;
    }
    // An unsigned byte or big-endian 16-bit word on a byte boundary: most
    // fields, read without the general shifting and masking.
    if start.is_multiple_of(8) && !signed && !little {
        let i = start / 8;
        match bits {
            8 => return Some(bytes[i].into()),
            16 => return Some(u16::from_be_bytes([bytes[i], bytes[i + 1]]).into()),
            _ => {}
        }
    }
    if bits == 0 {
        return Some(0);
    }
    let (first, last) = (start / 8, (start + bits - 1) / 8);
    let acc = bytes[first..=last]
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | *b as u128);
    let shift = (last - first + 1) * 8 - start % 8 - bits;
    let mut u = (acc >> shift) as u64 & mask(bits);
    if little {
        u = u.swap_bytes() >> (64 - bits);
    }
    let v = u as i128;
    Some(if signed && (u >> (bits - 1)) & 1 == 1 {
        v - (1i128 << bits)
    } else {
        v
    })
}

/// The unsigned (or, with `signed`, two's-complement) integer in `bits` bits at `start`.
pub fn read_uint(bytes: &[u8], start: usize, bits: usize, little: bool, signed: bool) -> BigInt {
    if let Some(v) = read_small(bytes, start, bits, little, signed) {
        return BigInt::from(v);
    }
    let raw = extract(bytes, start, bits);
    let mut v = if little && bits.is_multiple_of(8) {
        let mut b = raw.clone();
        b.reverse();
        BigInt::from_bytes_be(Sign::Plus, &b)
    } else if little {
        // Reverse Bits::push_uint's layout: full bytes reversed, the partial last.
        let rem = bits % 8;
        let full = bits / 8;
        let mut be = Bits::default();
        be.push_bits(&raw, full * 8, rem);
        for i in (0..full).rev() {
            be.push_bits(&raw, i * 8, 8);
        }
        BigInt::from_bytes_be(Sign::Plus, &be.bytes) >> (be.bytes.len() * 8 - bits)
    } else {
        BigInt::from_bytes_be(Sign::Plus, &raw) >> (raw.len() * 8 - bits)
    };
    if signed && bits > 0 && v.bit((bits - 1) as u64) {
        v -= BigInt::one() << bits;
    }
    v
}

/// A match context, decoded.
pub struct Match {
    /// Where it is on the heap.
    pub ptr: Ptr,
    /// The bitstring it matches.
    pub bin: Word,
    /// The bit position reached.
    pub pos: usize,
    /// The binary's length in bits, kept in the context so that tests of
    /// what remains need not look at the binary.
    pub len: usize,
}

/// The match context at `w`, if it is one: contexts are made on the
/// process heap and never leave it.
// Always inlined, like `set_pos`: the run loop's `fast` path calls both, and
// as calls they cost a match loop 5%.
#[inline(always)]
pub fn ctx_on(heap: &Area, w: Word) -> Option<Match> {
    if !w.is_boxed() || w.ptr().area != 0 {
        return None;
    }
    let word = |i: usize| Word(heap.words[w.ptr().offset + i]);
    (word(0).header_kind() == kind::MATCH_CTX).then(|| Match {
        ptr: w.ptr(),
        bin: word(1),
        pos: word(2).as_small().unwrap_or(0) as usize,
        len: word(3).as_small().unwrap_or(0) as usize,
    })
}

/// Moves a match context to bit position `pos`.
#[inline(always)]
pub fn set_pos(heap: &mut Area, m: &Match, pos: usize) {
    heap.words[m.ptr.offset + 2] = Word::small(pos as i64).expect("position").0;
}
