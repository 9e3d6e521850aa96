//! The IFF container: `FOR1`, the form size, `BEAM`, then 4-byte aligned
//! chunks. Whole-file gzip compression (`erlc +compressed`) is undone first.

use std::io::Read;

use crate::bail;
use crate::beam::reader::Reader;
use crate::error::{ChunkId, Error, ErrorKind, Result};

/// The largest decompressed size accepted for a gzip-compressed beam.
pub const MAX_BEAM_SIZE: usize = 1 << 30;

/// One chunk: its id, the absolute offset of its data, and the data.
#[derive(Debug, Clone, Copy)]
pub struct RawChunk<'a> {
    /// The four-byte id.
    pub id: ChunkId,
    /// Absolute offset of the first data byte in the (decompressed) file.
    pub offset: usize,
    /// The chunk's bytes, without padding.
    pub data: &'a [u8],
}

/// Whether `bytes` start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// The most chunks a file may have. A BEAM file has about a dozen; a
/// file of millions of empty chunks is a bomb (each costs far more memory
/// in the chunk table than its eight bytes in the file).
pub const MAX_CHUNKS: usize = 4096;

/// Inflated bytes one thread may hold without a permit. Past it, an
/// inflation takes the one process-wide permit for large inflations, so
/// that N threads reading compressed bombs at once hold at most
/// N x this plus one large output, not N x `MAX_BEAM_SIZE`.
const FREE_INFLATION: usize = 64 << 20;

static LARGE_INFLATION: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// Whether this thread holds the large-inflation permit (an inflation
    /// nested in one that holds it, such as a compressed literal table
    /// of a compressed beam, goes on under it).
    static HOLDS_LARGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The permit to hold more than [`FREE_INFLATION`] inflated bytes; held
/// as long as the bytes are.
pub struct Permit(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Permit {
    /// Waits for the permit; None when this thread holds it already.
    fn acquire() -> Option<Permit> {
        if HOLDS_LARGE.with(|h| h.get()) {
            return None;
        }
        let guard = LARGE_INFLATION
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        HOLDS_LARGE.with(|h| h.set(true));
        Some(Permit(guard))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        HOLDS_LARGE.with(|h| h.set(false));
    }
}

/// Inflated bytes, with the permit that lets them be large.
pub struct Inflated {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Dropped with the bytes.
    pub permit: Option<Permit>,
}

impl std::ops::Deref for Inflated {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Reads `r` to its end, at most `limit` bytes (one more shows that there
/// were more), taking the large-inflation permit past [`FREE_INFLATION`].
pub fn inflate(mut r: impl Read, limit: usize) -> std::io::Result<Inflated> {
    let mut out = Inflated {
        bytes: Vec::new(),
        permit: None,
    };
    let first = (&mut r)
        .take(FREE_INFLATION.min(limit + 1) as u64)
        .read_to_end(&mut out.bytes)?;
    if first == FREE_INFLATION && limit >= FREE_INFLATION {
        out.permit = Permit::acquire();
        r.take((limit + 1 - FREE_INFLATION) as u64)
            .read_to_end(&mut out.bytes)?;
    }
    Ok(out)
}

/// Undoes whole-file gzip compression.
pub fn gunzip(bytes: &[u8]) -> Result<Inflated> {
    let out = inflate(flate2::read::GzDecoder::new(bytes), MAX_BEAM_SIZE)
        .map_err(|e| Error::at(0, ErrorKind::Invalid, format!("bad gzip data: {e}")))?;
    if out.len() > MAX_BEAM_SIZE {
        bail!(
            0,
            Unsupported,
            "compressed beam inflates to more than {MAX_BEAM_SIZE} bytes"
        );
    }
    Ok(out)
}

/// Splits an uncompressed beam into its chunks.
pub fn chunks(bytes: &[u8]) -> Result<Vec<RawChunk<'_>>> {
    let mut r = Reader::new(bytes, 0);
    if bytes.len() < 12 {
        if !bytes.starts_with(b"FOR1") && !b"FOR1".starts_with(&bytes[..bytes.len().min(4)]) {
            bail!(0, Invalid, "not a BEAM file: it does not start with FOR1");
        }
        bail!(
            0,
            Truncated,
            "file of {} bytes is too short for a BEAM header",
            bytes.len()
        );
    }
    let magic = r.bytes(4, "magic")?;
    if magic != b"FOR1" {
        bail!(0, Invalid, "not a BEAM file: it does not start with FOR1");
    }
    let size_at = r.offset();
    let size = r.u32("form size")? as usize;
    let form = r.bytes(4, "form type")?;
    if form != b"BEAM" {
        bail!(8, Invalid, "not a BEAM file: the form type is not BEAM");
    }
    if size < 4 {
        bail!(size_at, Invalid, "form size {size} is too small");
    }
    if size - 4 > r.remaining() {
        bail!(
            size_at,
            Truncated,
            "form size says {size} bytes but the file has {} after the header",
            r.remaining() + 4
        );
    }
    // Bytes past the form (some tools pad files) are ignored, as beam_lib does.
    let mut r = r.sub(size - 4, "chunks")?;
    let mut out = Vec::new();
    while !r.is_empty() {
        let at = r.offset();
        if r.remaining() < 8 {
            bail!(
                at,
                Truncated,
                "{} stray bytes where a chunk header should be",
                r.remaining()
            );
        }
        let mut id = [0u8; 4];
        id.copy_from_slice(r.bytes(4, "chunk id")?);
        let len = r.u32("chunk size")? as usize;
        let offset = r.offset();
        let data = r
            .bytes(len, "chunk data")
            .map_err(|e| e.in_chunk(id).context(format!("chunk of {len} bytes")))?;
        let pad = (4 - len % 4) % 4;
        // The last chunk may lack its padding.
        let pad = pad.min(r.remaining());
        r.bytes(pad, "chunk padding")?;
        if out.len() == MAX_CHUNKS {
            bail!(
                at,
                Unsupported,
                "more than {MAX_CHUNKS} chunks (a BEAM file has a few dozen at most)"
            );
        }
        out.push(RawChunk { id, offset, data });
    }
    Ok(out)
}

/// The module's MD5 as erl computes it (`Module:module_info(md5)`,
/// `beam_lib:md5/1`, and the `Uniq` of its funs in the external format):
/// over the data of the chunks that make its code, in a fixed order, with
/// the lambda table's old unique numbers zeroed (the compiler derives those
/// from this very sum, after computing it).
pub fn module_md5(bytes: &[u8]) -> Result<[u8; 16]> {
    use md5::Digest;
    let inflated;
    let bytes = if is_gzip(bytes) {
        inflated = gunzip(bytes)?;
        &inflated[..]
    } else {
        bytes
    };
    let all = chunks(bytes)?;
    let mut sum = md5::Md5::new();
    for id in [
        b"Atom", b"AtU8", b"Code", b"StrT", b"ImpT", b"ExpT", b"FunT", b"LitT", b"Meta",
    ] {
        let Some(c) = all.iter().find(|c| &c.id == id) else {
            continue;
        };
        if id == b"FunT" {
            // A count, then six words a lambda; the sixth is the old uniq.
            let mut data = c.data.to_vec();
            for entry in data.get_mut(4..).unwrap_or_default().chunks_exact_mut(24) {
                entry[20..].fill(0);
            }
            sum.update(&data);
        } else {
            sum.update(c.data);
        }
    }
    Ok(sum.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut body = b"BEAM".to_vec();
        for (id, data) in chunks {
            body.extend_from_slice(*id);
            body.extend((data.len() as u32).to_be_bytes());
            body.extend_from_slice(data);
            while !body.len().is_multiple_of(4) {
                body.push(0);
            }
        }
        let mut out = b"FOR1".to_vec();
        out.extend((body.len() as u32).to_be_bytes());
        out.extend(body);
        out
    }

    #[test]
    fn splits_aligned_chunks() {
        let f = form(&[(b"AtU8", b"abc"), (b"Zzzz", b"12345678")]);
        let cs = chunks(&f).unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(&cs[0].id, b"AtU8");
        assert_eq!(cs[0].data, b"abc");
        assert_eq!(cs[0].offset, 20);
        assert_eq!(cs[1].data, b"12345678");
        assert_eq!(cs[1].offset, 32);
    }

    #[test]
    fn rejects_bad_headers_and_truncation() {
        assert_eq!(
            chunks(b"hello world!!").unwrap_err().kind(),
            ErrorKind::Invalid
        );
        assert_eq!(chunks(b"FOR1").unwrap_err().kind(), ErrorKind::Truncated);
        let mut f = form(&[(b"AtU8", b"abcdefgh")]);
        f.truncate(f.len() - 2);
        let e = chunks(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
        assert_eq!(e.offset(), Some(4));
        // A chunk that claims more than the form holds.
        let mut f = form(&[(b"AtU8", b"abcdefgh")]);
        f[16..20].copy_from_slice(&100u32.to_be_bytes());
        let e = chunks(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Truncated);
        assert_eq!(e.chunk(), Some(*b"AtU8"));
    }

    #[test]
    fn gzip_round_trip() {
        use std::io::Write;
        let f = form(&[(b"AtU8", b"abc")]);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&f).unwrap();
        let gz = enc.finish().unwrap();
        assert!(is_gzip(&gz));
        assert_eq!(gunzip(&gz).unwrap().bytes, f);
        assert!(gunzip(&gz[..gz.len() / 2]).is_err());
    }
}
