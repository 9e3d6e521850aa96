//! The NIFs of OTP 25's `zlib` module, over flate2 with the system zlib (the
//! library erl links, so compressed bytes are erl's). zlib.erl runs
//! unchanged: it checks arguments, queues input (`enqueue_nif`), and calls
//! `deflate_nif`/`inflate_nif` for one output chunk at a time; these work
//! the queue as erl's NIF does (each queued block fed with no flush, up to
//! the input limit, then the flush asked for once the queue is empty and
//! the output chunk has room), so chunking and results match.
//!
//! A stream is a resource (`resource`): a reference naming its state, which
//! belongs to the process that opened it (`set_controlling_process/2`
//! moves it). Another process gets `not_on_controlling_process`, as in erl.
//! `close/1` drops the codec and the queued input; the small remainder
//! (which says "closed") goes when the owner exits.
//!
//! What flate2 does not reach: `deflateInit/6` memory levels other than 8
//! and strategies other than `default` (the stream is made with 8 and
//! `default`: it inflates to the same data, but its bytes are not erl's),
//! `deflateParams/3` between levels 0, 1-3 and 4-9 once data went through
//! (zlib then re-flushes through a call flate2 cannot make safely: the level
//! stays), and `inflateGetDictionary/1` (it raises `enotsup`, as zlib.erl
//! does for a zlib without it).

use std::collections::VecDeque;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

use crate::term::Term;
use crate::vm::native::{Ctx, Native, NativeResult, badarg, error};
use crate::vm::natives::bits::{binary_bytes, binary_word, to_bytes};
use crate::vm::natives::resource;
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `zlib` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("zlib", "open_nif", 0, open_nif_0).nif(),
    Native::heap("zlib", "close_nif", 1, close_nif_1).nif(),
    Native::heap("zlib", "set_controller_nif", 2, set_controller_nif_2).nif(),
    Native::heap("zlib", "deflateInit_nif", 6, deflate_init_nif_6).nif(),
    Native::heap(
        "zlib",
        "deflateSetDictionary_nif",
        2,
        deflate_set_dictionary_nif_2,
    )
    .nif(),
    Native::heap("zlib", "deflateReset_nif", 1, deflate_reset_nif_1).nif(),
    Native::heap("zlib", "deflateEnd_nif", 1, deflate_end_nif_1).nif(),
    Native::heap("zlib", "deflateParams_nif", 3, deflate_params_nif_3).nif(),
    Native::heap("zlib", "deflate_nif", 4, deflate_nif_4).nif(),
    Native::heap("zlib", "inflateInit_nif", 3, inflate_init_nif_3).nif(),
    Native::heap(
        "zlib",
        "inflateSetDictionary_nif",
        2,
        inflate_set_dictionary_nif_2,
    )
    .nif(),
    Native::heap(
        "zlib",
        "inflateGetDictionary_nif",
        1,
        inflate_get_dictionary_nif_1,
    )
    .nif(),
    Native::heap("zlib", "inflateReset_nif", 1, inflate_reset_nif_1).nif(),
    Native::heap("zlib", "inflateEnd_nif", 1, inflate_end_nif_1).nif(),
    Native::heap("zlib", "inflate_nif", 4, inflate_nif_4).nif(),
    Native::heap("zlib", "crc32_nif", 1, crc32_nif_1).nif(),
    Native::heap("zlib", "getStash_nif", 1, get_stash_nif_1).nif(),
    Native::heap("zlib", "clearStash_nif", 1, clear_stash_nif_1).nif(),
    Native::heap("zlib", "setStash_nif", 2, set_stash_nif_2).nif(),
    Native::heap("zlib", "getBufSize_nif", 1, get_buf_size_nif_1).nif(),
    Native::heap("zlib", "setBufSize_nif", 2, set_buf_size_nif_2).nif(),
    Native::heap("zlib", "enqueue_nif", 2, enqueue_nif_2).nif(),
];

/// What to do with input after the end of a compressed stream
/// (`inflateInit/3`'s last argument).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Eos {
    /// Raise `data_error`.
    Error,
    /// Start a new stream (concatenated gzip members).
    Reset,
    /// Drop it.
    Cut,
}

/// The framing an inflating stream expects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrap {
    Raw,
    Zlib,
    Gzip,
    /// zlib or gzip, whichever the first byte says.
    Auto,
    /// zlib with a window of 256 bytes, which flate2 cannot ask for: a
    /// stream whose header names a larger window is refused on its first
    /// byte, as zlib does, and the rest inflates with 512.
    Zlib256,
}

enum Codec {
    None,
    Deflate {
        z: Compress,
        /// Whether data went through since the stream began (see
        /// `deflateParams_nif`).
        used: bool,
        level: u32,
    },
    Inflate {
        /// Made when the framing is known (an `Auto` stream waits for
        /// its first byte).
        z: Option<Decompress>,
        wrap: Wrap,
        bits: u8,
    },
    Closed,
}

/// A zlib stream.
struct Stream {
    codec: Codec,
    eos: Eos,
    eos_seen: bool,
    queue: VecDeque<Vec<u8>>,
    /// The CRC of the uncompressed data of a raw stream (for the deprecated
    /// `crc32/1`): what went in when deflating, out when inflating.
    crc: flate2::Crc,
    /// Whether the stream is raw (no header), so that `crc` is kept.
    raw: bool,
    stash: Option<Term>,
    buf_size: i64,
}

/// What one call of the codec ended with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Res {
    Ok,
    StreamEnd,
    BufError,
    NeedDict(u32),
    DataError,
    StreamError,
}

impl Res {
    fn is_error(self) -> bool {
        matches!(self, Res::DataError | Res::StreamError)
    }
}

fn new_inflater(wrap: Wrap, bits: u8, first: Option<u8>) -> Option<Decompress> {
    match wrap {
        Wrap::Raw => Some(Decompress::new_with_window_bits(false, bits)),
        Wrap::Zlib => Some(Decompress::new_with_window_bits(true, bits)),
        Wrap::Gzip => Some(Decompress::new_gzip(bits)),
        Wrap::Auto => match first? {
            0x1f => Some(Decompress::new_gzip(bits)),
            _ => Some(Decompress::new_with_window_bits(true, bits)),
        },
        Wrap::Zlib256 => first.map(|_| Decompress::new_with_window_bits(true, 9)),
    }
}

impl Stream {
    /// Runs the codec once on `input` into `out`: (result, bytes read,
    /// bytes written).
    fn step(&mut self, input: &[u8], out: &mut [u8], flush: i64) -> (Res, usize, usize) {
        match &mut self.codec {
            Codec::Deflate { z, used, .. } => {
                let f = match flush {
                    0 => FlushCompress::None,
                    1 => FlushCompress::Partial,
                    2 => FlushCompress::Sync,
                    3 => FlushCompress::Full,
                    4 => FlushCompress::Finish,
                    _ => return (Res::StreamError, 0, 0),
                };
                *used = true;
                let (i0, o0) = (z.total_in(), z.total_out());
                let r = z.compress(input, out, f);
                let (read, wrote) = ((z.total_in() - i0) as usize, (z.total_out() - o0) as usize);
                let res = match r {
                    Ok(flate2::Status::Ok) => Res::Ok,
                    Ok(flate2::Status::BufError) => Res::BufError,
                    Ok(flate2::Status::StreamEnd) => Res::StreamEnd,
                    Err(_) => Res::StreamError,
                };
                (res, read, wrote)
            }
            Codec::Inflate { z, wrap, bits } => {
                if z.is_none() {
                    if *wrap == Wrap::Zlib256 && input.first().is_some_and(|b| b >> 4 > 0) {
                        return (Res::DataError, 0, 0);
                    }
                    *z = new_inflater(*wrap, *bits, input.first().copied());
                }
                let Some(z) = z else {
                    // No byte yet to tell zlib from gzip: no progress.
                    return (Res::BufError, 0, 0);
                };
                let f = match flush {
                    0 => FlushDecompress::None,
                    2 => FlushDecompress::Sync,
                    4 => FlushDecompress::Finish,
                    _ => return (Res::StreamError, 0, 0),
                };
                let (i0, o0) = (z.total_in(), z.total_out());
                let r = z.decompress(input, out, f);
                let (read, wrote) = ((z.total_in() - i0) as usize, (z.total_out() - o0) as usize);
                let res = match r {
                    Ok(flate2::Status::Ok) => Res::Ok,
                    Ok(flate2::Status::BufError) => Res::BufError,
                    Ok(flate2::Status::StreamEnd) => Res::StreamEnd,
                    Err(e) => match e.needs_dictionary() {
                        Some(adler) => Res::NeedDict(adler),
                        None => Res::DataError,
                    },
                };
                (res, read, wrote)
            }
            _ => (Res::StreamError, 0, 0),
        }
    }

    fn queued(&self) -> usize {
        self.queue.iter().map(Vec::len).sum()
    }

    fn dequeue(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.queue.front_mut() else {
                return;
            };
            if front.len() <= n {
                n -= front.len();
                self.queue.pop_front();
            } else {
                front.drain(..n);
                n = 0;
            }
        }
    }

    fn reset_input(&mut self) {
        self.queue.clear();
        self.stash = None;
    }

    /// One output chunk, as zlib_nif's codec makes it: `(result, output,
    /// input read, input left)`.
    fn codec(
        &mut self,
        input_limit: usize,
        out_size: usize,
        flush: i64,
    ) -> (Res, Vec<u8>, usize, usize) {
        let deflating = matches!(self.codec, Codec::Deflate { .. });
        let mut out = vec![0u8; out_size];
        let (mut produced, mut consumed) = (0usize, 0usize);
        let mut res = Res::Ok;
        for i in 0..self.queue.len() {
            if res != Res::Ok || consumed >= input_limit {
                break;
            }
            // Taken out while the codec (which borrows the stream) reads it.
            let block = std::mem::take(&mut self.queue[i]);
            let size = block.len().min(input_limit);
            let (r, read, wrote) = self.step(&block[..size], &mut out[produced..], 0);
            res = r;
            if deflating && self.raw {
                self.crc.update(&block[..read]);
            }
            self.queue[i] = block;
            consumed += read;
            produced += wrote;
        }
        self.dequeue(consumed);
        let remaining = self.queued();
        if res == Res::Ok && remaining == 0 && produced < out_size {
            let (r, _, wrote) = self.step(&[], &mut out[produced..], flush);
            res = r;
            produced += wrote;
        }
        out.truncate(produced);
        if !deflating && self.raw {
            self.crc.update(&out);
        }
        (res, out, consumed, remaining)
    }
}

// ------------------------------------------------------------- access

fn atom(c: &Ctx, name: &str) -> Word {
    Word::atom(c.atoms.intern(name))
}

fn ok(c: &Ctx) -> NativeResult {
    Value(atom(c, "ok"))
}

/// Raises the atom `reason` (zlib's NIF raises bare atoms).
fn raise(c: &Ctx, reason: &str) -> NativeResult {
    error(atom(c, reason))
}

/// Which state a call needs the stream in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Any,
    Fresh,
    Deflate,
    Inflate,
    Either,
}

/// Runs `f` on the stream `w` names, after the checks every zlib NIF makes
/// (a stream, of the calling process, in the state the call needs).
fn with_stream(
    c: &mut Ctx,
    w: Word,
    need: Need,
    f: impl FnOnce(&mut Ctx, &mut Stream) -> NativeResult,
) -> NativeResult {
    let Some((owner, slot)) = resource::get(c, w) else {
        return badarg();
    };
    let mut guard = resource::lock(&slot);
    let gone = guard.is::<resource::Gone>();
    let Some(s) = guard.downcast_mut::<Stream>() else {
        return if gone {
            raise(c, "not_on_controlling_process")
        } else {
            badarg()
        };
    };
    if owner != c.pid {
        return raise(c, "not_on_controlling_process");
    }
    let state_ok = match need {
        Need::Any => true,
        Need::Fresh => matches!(s.codec, Codec::None),
        Need::Deflate => matches!(s.codec, Codec::Deflate { .. }),
        Need::Inflate => matches!(s.codec, Codec::Inflate { .. }),
        Need::Either => matches!(s.codec, Codec::Deflate { .. } | Codec::Inflate { .. }),
    };
    if !state_ok {
        let why = if need == Need::Fresh {
            "already_initialized"
        } else {
            "not_initialized"
        };
        return raise(c, why);
    }
    f(c, s)
}

/// What zlib's return code becomes: an atom, or an exception for the
/// errors.
fn zlib_return(c: &Ctx, r: Res) -> NativeResult {
    match r {
        Res::Ok => ok(c),
        Res::StreamEnd => Value(atom(c, "stream_end")),
        Res::BufError => Value(atom(c, "buf_error")),
        Res::NeedDict(_) => Value(atom(c, "need_dict")),
        Res::DataError => raise(c, "data_error"),
        Res::StreamError => raise(c, "stream_error"),
    }
}

fn int(w: Word) -> Option<i64> {
    w.as_small().filter(|i| i32::try_from(*i).is_ok())
}

// ------------------------------------------------------------- the NIFs

fn open_nif_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let s = Stream {
        codec: Codec::None,
        eos: Eos::Cut,
        eos_seen: false,
        queue: VecDeque::new(),
        crc: flate2::Crc::new(),
        raw: false,
        stash: None,
        buf_size: 4000,
    };
    Value(resource::make_kept(c, Box::new(s)))
}

fn close_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Any, |c, s| {
        if matches!(s.codec, Codec::Closed) {
            return raise(c, "not_initialized");
        }
        s.codec = Codec::Closed;
        s.reset_input();
        ok(c)
    })
}

fn set_controller_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(pid) = a[1].as_pid() else {
        return badarg();
    };
    let r = with_stream(c, a[0], Need::Any, |c, _| ok(c));
    if matches!(r, Value(_)) {
        resource::set_owner(c, a[0], pid);
    }
    r
}

fn deflate_init_nif_6(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let args: Option<Vec<i64>> = a[1..].iter().map(|w| int(*w)).collect();
    let Some(args) = args else { return badarg() };
    let (level, method, bits, mem, strategy) = (args[0], args[1], args[2], args[3], args[4]);
    with_stream(c, a[0], Need::Fresh, |c, s| {
        // deflateInit2's checks.
        let (wrap, b) = match bits {
            b if b < 0 => (0, -b),
            b if b > 15 => (2, b - 16),
            b => (1, b),
        };
        let level = if level == -1 { 6 } else { level };
        let bad = !(1..=9).contains(&mem)
            || method != 8
            || !(8..=15).contains(&b)
            || !(0..=9).contains(&level)
            || !(0..=4).contains(&strategy)
            || (b == 8 && wrap != 1);
        if bad {
            return raise(c, "stream_error");
        }
        // zlib makes a window of 256 bytes 512.
        let b = b.max(9) as u8;
        let comp = Compression::new(level as u32);
        let z = match wrap {
            0 => Compress::new_with_window_bits(comp, false, b),
            1 => Compress::new_with_window_bits(comp, true, b),
            _ => Compress::new_gzip(comp, b),
        };
        s.codec = Codec::Deflate {
            z,
            used: false,
            level: level as u32,
        };
        s.eos_seen = false;
        s.raw = wrap == 0;
        s.crc = flate2::Crc::new();
        ok(c)
    })
}

fn deflate_set_dictionary_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(dict) = to_bytes(c, a[1]) else {
        return badarg();
    };
    with_stream(c, a[0], Need::Deflate, |c, s| {
        let raw = s.raw;
        let Codec::Deflate { z, .. } = &mut s.codec else {
            unreachable!("checked")
        };
        match z.set_dictionary(&dict) {
            Ok(adler) => {
                // A raw stream keeps no Adler-32: erl computes one of the
                // dictionary.
                let sum = if raw { adler32(&dict) } else { adler };
                Value(Word::small(i64::from(sum)).expect("32 bits"))
            }
            Err(_) => raise(c, "stream_error"),
        }
    })
}

/// Adler-32 of `data` from a start of 0 (not the usual 1): what erl's NIF
/// returns for a raw stream's dictionary.
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (0u32, 0u32);
    for chunk in data.chunks(5552) {
        for x in chunk {
            a += u32::from(*x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

fn deflate_reset_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Deflate, |c, s| {
        if let Codec::Deflate { z, used, .. } = &mut s.codec {
            z.reset();
            *used = false;
        }
        s.crc = flate2::Crc::new();
        s.eos_seen = false;
        s.reset_input();
        ok(c)
    })
}

fn deflate_end_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Deflate, |c, s| {
        let pending = s.queued() > 0;
        s.reset_input();
        s.codec = Codec::None;
        if pending {
            raise(c, "data_error")
        } else {
            ok(c)
        }
    })
}

/// zlib's compression functions by level: a change between them makes
/// deflateParams flush through deflate.
fn level_class(level: u32) -> u8 {
    match level {
        0 => 0,
        1..=3 => 1,
        _ => 2,
    }
}

fn deflate_params_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(level), Some(strategy)) = (int(a[1]), int(a[2])) else {
        return badarg();
    };
    with_stream(c, a[0], Need::Deflate, |c, s| {
        let level = if level == -1 { 6 } else { level };
        if !(0..=9).contains(&level) || !(0..=4).contains(&strategy) {
            return raise(c, "stream_error");
        }
        let level = level as u32;
        let Codec::Deflate {
            z,
            used,
            level: cur,
        } = &mut s.codec
        else {
            unreachable!("checked")
        };
        // flate2 cannot hand zlib the buffer its flush then needs (it
        // would fail, and flate2 panics on that): the level stays.
        if *used && level_class(level) != level_class(*cur) {
            return ok(c);
        }
        match z.set_level(Compression::new(level)) {
            Ok(()) => {
                *cur = level;
                ok(c)
            }
            Err(_) => Value(atom(c, "buf_error")),
        }
    })
}

/// `deflate_nif/4` and `inflate_nif/4`: `(Z, InputLimit, OutputSize, Flush)`
/// → `{continue | finished, Output}` or `{need_dictionary, Adler, Output}`.
fn codec_reply(c: &mut Ctx, s: &mut Stream, a: &[Word]) -> NativeResult {
    let (Some(limit), Some(size), Some(flush)) = (int(a[1]), int(a[2]), int(a[3])) else {
        return badarg();
    };
    if limit <= 0 || size <= 0 {
        return badarg();
    }
    let (res, out, consumed, remaining) = s.codec(limit as usize, size as usize, flush);
    if res.is_error() {
        return zlib_return(c, res);
    }
    if res == Res::StreamEnd {
        s.eos_seen = true;
    }
    if consumed == 0 && out.is_empty() && remaining > 0 {
        // No progress with input left: not well-formed input.
        return raise(c, "data_error");
    }
    let output = if out.is_empty() {
        Word::NIL
    } else {
        let b = binary_word(c, &out);
        list_of(c.heap, &[b])
    };
    let produced = out.len();
    if remaining == 0 && produced < size as usize {
        let tag = atom(c, "finished");
        return Value(c.heap.tuple(0, &[tag, output]));
    }
    if let Res::NeedDict(adler) = res {
        let tag = atom(c, "need_dictionary");
        let adler = Word::small(i64::from(adler)).expect("32 bits");
        return Value(c.heap.tuple(0, &[tag, adler, output]));
    }
    let tag = atom(c, "continue");
    Value(c.heap.tuple(0, &[tag, output]))
}

fn deflate_nif_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[1..].iter().any(|w| int(*w).is_none()) {
        return badarg();
    }
    with_stream(c, a[0], Need::Deflate, |c, s| codec_reply(c, s, a))
}

fn inflate_init_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(bits), Some(eos)) = (int(a[1]), int(a[2])) else {
        return badarg();
    };
    with_stream(c, a[0], Need::Fresh, |c, s| {
        // inflateInit2's reading of the window bits: negative for raw,
        // +16 for gzip, +32 for either; 0 takes the size from the header.
        let (wrap, b) = match bits {
            b if (-15..0).contains(&b) => (Wrap::Raw, -b),
            b if b < 0 => return raise(c, "stream_error"),
            b if b < 16 => (Wrap::Zlib, b),
            b if b < 32 => (Wrap::Gzip, b & 15),
            b if b < 48 => (Wrap::Auto, b & 15),
            _ => return raise(c, "stream_error"),
        };
        if b != 0 && !(8..=15).contains(&b) {
            return raise(c, "stream_error");
        }
        let wrap = if wrap == Wrap::Zlib && b == 8 {
            Wrap::Zlib256
        } else {
            wrap
        };
        let b = if b == 0 { 15 } else { b.max(9) } as u8;
        s.codec = Codec::Inflate {
            z: new_inflater(wrap, b, None),
            wrap,
            bits: b,
        };
        s.eos = match eos {
            0 => Eos::Error,
            1 => Eos::Reset,
            _ => Eos::Cut,
        };
        s.eos_seen = false;
        s.raw = wrap == Wrap::Raw;
        s.crc = flate2::Crc::new();
        ok(c)
    })
}

fn inflate_set_dictionary_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(dict) = to_bytes(c, a[1]) else {
        return badarg();
    };
    with_stream(c, a[0], Need::Inflate, |c, s| {
        let Codec::Inflate { z, wrap, bits } = &mut s.codec else {
            unreachable!("checked")
        };
        if z.is_none() {
            *z = new_inflater(*wrap, *bits, Some(0));
        }
        let Some(z) = z else {
            return raise(c, "stream_error");
        };
        match z.set_dictionary(&dict) {
            Ok(_) => ok(c),
            Err(e) if e.needs_dictionary().is_some() => raise(c, "data_error"),
            Err(_) => raise(c, "stream_error"),
        }
    })
}

fn inflate_get_dictionary_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Inflate, |c, _| raise(c, "not_supported"))
}

fn inflate_reset(s: &mut Stream) {
    if let Codec::Inflate { z, wrap, bits } = &mut s.codec {
        *z = new_inflater(*wrap, *bits, None);
    }
    s.eos_seen = false;
}

fn inflate_reset_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Inflate, |c, s| {
        inflate_reset(s);
        s.crc = flate2::Crc::new();
        s.reset_input();
        ok(c)
    })
}

fn inflate_end_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Inflate, |c, s| {
        let incomplete = !s.eos_seen || s.queued() > 0;
        s.reset_input();
        s.codec = Codec::None;
        if incomplete {
            raise(c, "data_error")
        } else {
            ok(c)
        }
    })
}

fn inflate_nif_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[1..].iter().any(|w| int(*w).is_none()) {
        return badarg();
    }
    with_stream(c, a[0], Need::Inflate, |c, s| {
        if s.eos_seen && s.queued() > 0 {
            match s.eos {
                Eos::Error => return raise(c, "data_error"),
                Eos::Reset => inflate_reset(s),
                Eos::Cut => s.reset_input(),
            }
        }
        codec_reply(c, s, a)
    })
}

fn crc32_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Either, |_, s| {
        Value(Word::small(i64::from(s.crc.sum())).expect("32 bits"))
    })
}

fn get_stash_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Any, |c, s| match &s.stash {
        None => Value(atom(c, "empty")),
        Some(t) => {
            let t = t.clone();
            let v = c.from_term(&t);
            Value(c.heap.tuple(0, &[atom(c, "ok"), v]))
        }
    })
}

fn clear_stash_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Any, |c, s| match s.stash.take() {
        Some(_) => ok(c),
        None => raise(c, "error"),
    })
}

fn set_stash_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let t = c.to_term(a[1]);
    with_stream(c, a[0], Need::Any, |c, s| {
        if s.stash.is_some() {
            return raise(c, "error");
        }
        s.stash = Some(t);
        ok(c)
    })
}

fn get_buf_size_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Any, |_, s| {
        Value(Word::small(s.buf_size).expect("an int"))
    })
}

fn set_buf_size_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let size = int(a[1]);
    with_stream(c, a[0], Need::Any, |c, s| match size {
        Some(n) => {
            s.buf_size = n;
            ok(c)
        }
        None => badarg(),
    })
}

fn enqueue_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_stream(c, a[0], Need::Either, |c, s| {
        let v = c.view();
        let Some(items) = list_items(&v, a[1]) else {
            return badarg();
        };
        let mut blocks = Vec::with_capacity(items.len());
        for it in items {
            match binary_bytes(c, it) {
                Some(b) => blocks.push(b),
                None => return badarg(),
            }
        }
        s.queue.extend(blocks.into_iter().filter(|b| !b.is_empty()));
        ok(c)
    })
}
