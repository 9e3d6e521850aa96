//! A bounds-checked cursor over bytes that knows its absolute file offset.
//!
//! Sub-readers keep the absolute offset of their first byte, so an error deep
//! inside a chunk (or inside a decompressed literal table) still points at a
//! meaningful place.

use crate::error::{Error, ErrorKind, Result};

/// A cursor over a byte slice.
#[derive(Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader whose first byte is at absolute offset `base`.
    pub fn new(data: &'a [u8], base: usize) -> Reader<'a> {
        Reader { data, pos: 0, base }
    }

    /// The absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Whether everything was consumed.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    #[cold]
    fn eof(&self, need: usize, what: &str) -> Error {
        Error::at(
            self.offset(),
            ErrorKind::Truncated,
            format!(
                "unexpected end of data reading {what}: need {need} bytes, {} left",
                self.remaining()
            ),
        )
    }

    /// Reads `n` bytes.
    #[inline]
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.eof(n, what));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads `n` bytes as a sub-reader that keeps absolute offsets.
    pub fn sub(&mut self, n: usize, what: &str) -> Result<Reader<'a>> {
        let base = self.offset();
        let data = self.bytes(n, what)?;
        Ok(Reader::new(data, base))
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self, what: &str) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof(1, what)),
        }
    }

    /// Skips `n` bytes that the caller has already seen with [`Reader::peek`].
    #[inline]
    pub fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data.len());
    }

    /// Peeks at the next byte without consuming it.
    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Reads a big-endian `u16`.
    pub fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Reads a big-endian `u32`.
    #[inline]
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a big-endian `i32`.
    pub fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(self.u32(what)? as i32)
    }

    /// Reads a big-endian `u64`.
    pub fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.bytes(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// Reads a count of items that each take at least `min_size` bytes, and
    /// checks that they can fit in what is left: a corrupted count must never
    /// turn into a huge allocation.
    pub fn count(&mut self, min_size: usize, what: &str) -> Result<usize> {
        let at = self.offset();
        let n = self.u32(what)? as usize;
        self.check_count(n, min_size, at, what)?;
        Ok(n)
    }

    /// Checks that `n` items of at least `min_size` bytes fit in what is left.
    pub fn check_count(&self, n: usize, min_size: usize, at: usize, what: &str) -> Result<()> {
        if n.saturating_mul(min_size) > self.remaining() {
            return Err(Error::at(
                at,
                ErrorKind::Truncated,
                format!(
                    "{what} {n} needs at least {} bytes but only {} are left",
                    n.saturating_mul(min_size),
                    self.remaining()
                ),
            ));
        }
        Ok(())
    }

    /// An error at the current offset.
    #[cold]
    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::at(self.offset(), ErrorKind::Invalid, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_reports_truncation_with_offset() {
        let mut r = Reader::new(&[0, 1, 2, 3, 4], 100);
        assert_eq!(r.u16("x").unwrap(), 1);
        assert_eq!(r.offset(), 102);
        let e = r.u32("a word").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
        assert_eq!(e.offset(), Some(102));
        assert!(e.to_string().contains("a word"), "{e}");
    }

    #[test]
    fn counts_are_checked_against_remaining_bytes() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 1, 2], 0);
        let e = r.count(4, "entry count").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
        assert_eq!(e.offset(), Some(0));
    }
}
