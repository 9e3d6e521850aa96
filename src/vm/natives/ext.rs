//! The external term format straight between a process heap and bytes,
//! for `term_to_binary` and `binary_to_term`: no tree of terms in between,
//! and a stack of its own instead of recursion, so that a term of any depth
//! converts, as on erl (a list nested a thousand deep is an ordinary
//! iolist), and hostile input can neither overflow the native stack nor
//! make the decoder allocate more than its bytes describe.
//!
//! Local funs, references and pids convert both ways (a fun by its
//! module's name and MD5 and its lambda's index, as erl writes it);
//! those of other nodes, ports and old-style funs do not decode, since
//! nothing here could stand for them.

use num_bigint::{BigInt, Sign};

use crate::beam::etf::{MAX_INFLATED, VERSION, encode_atom, encode_big};
use crate::beam::reader::Reader;
use crate::vm::native::{Ctx, NativeResult};
use crate::vm::term::compare::{Num, number};
use crate::vm::term::list::list_of;
use crate::vm::term::maps;
use crate::vm::term::word::{MAX_PORT, Word, kind, ref_ids, ref_of_ids};

/// The node every local pid and reference names.
const NODE: &str = "nonode@nohost";

/// Marks, on the stack of what is left to write, a step that is no term
/// (no term is this word): under it is the kind, [`FUN_END`] or
/// [`LIST_REST`], and under that its word.
const MARK: Word = Word::NONE;

/// The size of the fun that starts at this offset, written once its
/// captured values are.
const FUN_END: i64 = 0;

/// The elements of a list from this cell on (its tail is already below):
/// a long list is written a cell at a time, not expanded on the stack.
const LIST_REST: i64 = 1;

/// List cells counted (before a list is written) for the cost of one
/// step: counting is a small part of writing.
const CELLS_COUNTED_PER_STEP: usize = 8;

/// An encoding under way, which may stop after some steps and go on later
/// (`term_to_binary` yields so on a long term): the bytes so far, the
/// binaries' spans, and the stack of what is left to write, kept apart
/// since its words are terms, which a collection may move meanwhile.
pub(crate) struct Encoder {
    out: Vec<u8>,
    parts: Vec<(usize, usize)>,
    minor: u8,
    /// The bytes the memory budget or the allocator refused the output,
    /// if it did: the encoding stopped there.
    pub(crate) refused: Option<usize>,
}

/// An encoding's bytes and the (offset, length) of its large binaries.
pub(crate) type Encoding = (Vec<u8>, Vec<(usize, usize)>);

/// Room the output keeps ahead of a step (an atom is at most 1,023 bytes):
/// asked of the memory budget and the allocator, with a binary's bytes
/// asked for before they are written, so the output's growth never
/// aborts the VM.
const OUT_SLACK: usize = 1 << 16;

fn int(out: &mut Vec<u8>, i: i64) {
    if (0..=255).contains(&i) {
        out.extend([97, i as u8]);
    } else if let Ok(i) = i32::try_from(i) {
        out.push(98);
        out.extend(i.to_be_bytes());
    } else {
        encode_big(out, &BigInt::from(i));
    }
}

fn pid(out: &mut Vec<u8>, id: u64, minor: u8) {
    out.push(88);
    encode_atom(out, NODE, minor);
    out.extend(((id & 0x7fff) as u32).to_be_bytes());
    out.extend(((id >> 15) as u32).to_be_bytes());
    out.extend(0u32.to_be_bytes());
}

/// `term_to_binary(Root, [{minor_version, Minor}])`, with the version byte
/// (0 writes floats as text, FLOAT_EXT; 2 writes every atom as UTF-8), and
/// the (offset, length) of the bytes of each binary over 64 bytes:
/// `term_to_iovec` gives those as parts of their own, as erl gives the
/// binaries it keeps off the heap.
/// `Err`: the bytes refused ([`Encoder::refused`]).
pub(crate) fn encode(c: &Ctx, root: Word, minor: u8) -> Result<Encoding, usize> {
    let mut e = Encoder::new(minor);
    e.run(c, &mut vec![root], usize::MAX);
    match e.refused {
        Some(bytes) => Err(bytes),
        None => Ok(e.finish()),
    }
}

impl Encoder {
    /// An encoding with minor version `minor` (see [`encode`]), of the
    /// term the caller puts on its stack.
    pub(crate) fn new(minor: u8) -> Encoder {
        Encoder {
            out: vec![VERSION],
            parts: Vec::new(),
            minor,
            refused: None,
        }
    }

    /// The bytes and the spans of the binaries over 64 bytes.
    pub(crate) fn finish(self) -> (Vec<u8>, Vec<(usize, usize)>) {
        (self.out, self.parts)
    }

    /// Writes what is on `todo` until it is empty or about `budget` steps
    /// (a term, or a list cell) are done: the steps done.
    pub(crate) fn run(&mut self, c: &Ctx, todo: &mut Vec<Word>, budget: usize) -> usize {
        let (mut out, mut parts, minor) = (
            std::mem::take(&mut self.out),
            std::mem::take(&mut self.parts),
            self.minor,
        );
        let (steps, refused) = encode_steps(c, &mut out, &mut parts, minor, todo, budget);
        (self.out, self.parts, self.refused) = (out, parts, refused);
        steps
    }
}

fn encode_steps(
    c: &Ctx,
    out: &mut Vec<u8>,
    parts: &mut Vec<(usize, usize)>,
    minor: u8,
    todo: &mut Vec<Word>,
    budget: usize,
) -> (usize, Option<usize>) {
    let v = c.view();
    let mut steps = 0;
    while steps < budget {
        let Some(w) = todo.pop() else { break };
        // A binary asks for its bytes, anything else for the slack.
        let ahead = v.bits(w).map_or(OUT_SLACK, |(b, _)| b.len() + 16);
        if out.capacity() - out.len() < ahead
            && let Err(bytes) = c.memory.grow(out, ahead.max(OUT_SLACK))
        {
            todo.push(w);
            return (steps, Some(bytes));
        }
        steps += 1;
        if w == MARK {
            let kind = todo.pop().and_then(Word::as_small);
            let Some(under) = todo.pop() else { break };
            if kind == Some(LIST_REST) {
                let (h, t) = v.cons(under);
                if t.is_list() {
                    todo.extend([t, Word::small(LIST_REST).expect("a kind"), MARK]);
                }
                todo.push(h);
                continue;
            }
            let at = under.as_small().unwrap_or(0) as usize;
            let size = (out.len() - at) as u32;
            out[at..at + 4].copy_from_slice(&size.to_be_bytes());
            continue;
        }
        if let Some(i) = w.as_small() {
            int(out, i);
            continue;
        }
        if let Some(a) = w.as_atom() {
            encode_atom(out, &c.atoms.name(a), minor);
            continue;
        }
        if w == Word::NIL {
            out.push(106);
            continue;
        }
        if let Some(id) = w.as_pid() {
            pid(out, id, minor);
            continue;
        }
        if let Some(id) = w.as_port() {
            // NEW_PORT_EXT, as erl 25 writes a port whose number fits 32 bits.
            out.push(89);
            encode_atom(out, NODE, minor);
            out.extend((id as u32).to_be_bytes());
            out.extend(0u32.to_be_bytes());
            continue;
        }
        if w.is_list() {
            // Counted first: the length comes before the elements.
            let byte = |x: Word| x.as_small().is_some_and(|i| (0..=255).contains(&i));
            let (mut n, mut bytes, mut cur) = (0usize, true, w);
            while cur.is_list() {
                let (h, t) = v.cons(cur);
                bytes = bytes && byte(h);
                n += 1;
                cur = t;
            }
            steps += n / CELLS_COUNTED_PER_STEP;
            if cur == Word::NIL && n < 65536 && bytes {
                // A string: STRING_EXT, as erl writes a list of bytes.
                out.push(107);
                out.extend((n as u16).to_be_bytes());
                let mut cur = w;
                while cur.is_list() {
                    let (h, t) = v.cons(cur);
                    out.push(h.as_small().unwrap_or(0) as u8);
                    cur = t;
                }
                continue;
            }
            out.push(108);
            out.extend((n as u32).to_be_bytes());
            todo.extend([cur, w, Word::small(LIST_REST).expect("a kind"), MARK]);
            continue;
        }
        if !w.is_boxed() {
            // No other immediate reaches a program.
            encode_atom(out, "undefined", minor);
            continue;
        }
        let p = w.ptr();
        let h = v.header(w);
        let n = h.header_arity();
        match h.header_kind() {
            kind::TUPLE => {
                if n < 256 {
                    out.extend([104, n as u8]);
                } else {
                    out.push(105);
                    out.extend((n as u32).to_be_bytes());
                }
                todo.extend((1..=n).rev().map(|i| v.at(p, i)));
            }
            kind::FLOAT if minor == 0 => {
                crate::beam::etf::encode_float_text(out, f64::from_bits(v.at(p, 1).0))
            }
            kind::FLOAT => {
                out.push(70);
                out.extend(v.at(p, 1).0.to_be_bytes());
            }
            kind::BIG_POS | kind::BIG_NEG => match number(&v, w) {
                Some(Num::Big(b)) => encode_big(out, &b),
                Some(Num::Small(i)) => int(out, i),
                _ => encode_atom(out, "undefined", minor),
            },
            kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => {
                let (bytes, last) = v.bits(w).unwrap_or((&[], 8));
                if last == 8 || bytes.is_empty() {
                    out.push(109);
                    out.extend((bytes.len() as u32).to_be_bytes());
                } else {
                    out.push(77);
                    out.extend((bytes.len() as u32).to_be_bytes());
                    out.push(last);
                }
                // A bitstring's partial last byte is not part of it.
                let whole = if last == 8 {
                    bytes.len()
                } else {
                    bytes.len().saturating_sub(1)
                };
                if whole > 64 {
                    parts.push((out.len(), whole));
                }
                out.extend_from_slice(bytes);
            }
            kind::MAP | kind::HMAP => {
                let pairs = maps::listing(&v, c.atoms, w).unwrap_or_default();
                out.push(116);
                out.extend((pairs.len() as u32).to_be_bytes());
                for (k, x) in pairs.into_iter().rev() {
                    todo.push(x);
                    todo.push(k);
                }
            }
            kind::EXPORT => {
                out.push(113);
                encode_atom(out, &c.atoms.name(v.at(p, 1).as_atom().unwrap_or(0)), minor);
                encode_atom(out, &c.atoms.name(v.at(p, 2).as_atom().unwrap_or(0)), minor);
                int(out, v.at(p, 3).as_small().unwrap_or(0));
            }
            kind::REF => {
                let ids = ref_ids(v.at(p, 1).0);
                out.push(90);
                out.extend((ids.len() as u16).to_be_bytes());
                encode_atom(out, NODE, minor);
                out.extend(0u32.to_be_bytes());
                for i in ids {
                    out.extend(i.to_be_bytes());
                }
            }
            kind::FUN => {
                let (mid, idx) = (
                    v.at(p, 1).as_small().unwrap_or(0) as u32,
                    v.at(p, 2).as_small().unwrap_or(0) as u32,
                );
                let Some(l) = c.code.lambda(mid, idx) else {
                    encode_atom(out, "undefined", minor);
                    continue;
                };
                out.push(112);
                let at = out.len();
                out.extend([0; 4]);
                out.push(v.at(p, 3).as_small().unwrap_or(0) as u8);
                out.extend(c.code.md5(mid).unwrap_or([0; 16]));
                out.extend(idx.to_be_bytes());
                out.extend(l.free.to_be_bytes());
                encode_atom(out, &c.atoms.name(l.module), minor);
                int(out, idx.into());
                int(out, l.uniq.into());
                // LAM does not keep a fun's creator: the encoding process
                // stands in (as `fun_info(F, pid)` answers).
                pid(out, c.pid, minor);
                todo.extend([
                    Word::small(at as i64).expect("an offset"),
                    Word::small(FUN_END).expect("a kind"),
                    MARK,
                ]);
                todo.extend((0..l.free as usize).rev().map(|k| v.at(p, 4 + k)));
            }
            _ => encode_atom(out, "undefined", minor),
        }
    }
    (steps, None)
}

/// A container being decoded: how many values it takes, and where in the
/// value stack they start.
enum Frame {
    Tuple(usize, usize),
    /// Elements, then the tail.
    List(usize, usize),
    /// Keys and values, alternating.
    Map(usize, usize),
    /// Module id, lambda index, arity, captured values, where they start,
    /// and the offset where the fun's bytes end.
    Fun(u32, u32, u32, usize, usize, usize),
}

impl Frame {
    fn wants(&self) -> (usize, usize) {
        match *self {
            Frame::Tuple(n, s) => (n, s),
            Frame::List(n, s) => (n + 1, s),
            Frame::Map(n, s) => (2 * n, s),
            Frame::Fun(_, _, _, n, s, _) => (n, s),
        }
    }
}

/// `binary_to_term` a budget of tags at a time, for a native that yields
/// between two slices: where it stopped and the containers open; the
/// values decoded so far are the caller's (the trap's words, which a
/// collection moves). A compressed encoding is inflated first, a budget of
/// bytes at a time ([`Decoder::inflate`]).
pub(crate) struct Decoder {
    bytes: Vec<u8>,
    at: usize,
    frames: Vec<Frame>,
    safe: bool,
    /// A compressed encoding being inflated (`bytes` is the encoding).
    inflating: Option<Inflating>,
    /// For a compressed encoding, once inflated (`bytes` are the inflated
    /// ones, which the term must take all of): the encoding's bytes up to
    /// the end of its zlib data.
    whole: Option<usize>,
}

/// A compressed encoding's inflation under way.
struct Inflating {
    z: flate2::Decompress,
    /// The bytes inflated so far, in room asked for the whole size.
    out: Vec<u8>,
    /// The size its header gives, which the inflated bytes must have.
    size: usize,
}

/// Where a compressed encoding's zlib data starts: after the version, the
/// tag and the inflated size.
const COMPRESSED_DATA: usize = 6;

/// How a run of a [`Decoder`] ended.
pub(crate) enum Decoded {
    /// The term and the bytes it took.
    Done(Word, usize),
    /// What erl refuses.
    Refused,
    /// The budget ran out first.
    Paused,
}

impl Decoder {
    /// A decoder of `bytes`, or `None` when they are not an encoding at all.
    pub(crate) fn new(bytes: Vec<u8>, safe: bool) -> Option<Decoder> {
        if bytes.first() != Some(&VERSION) {
            return None;
        }
        let mut inflating = None;
        if bytes.get(1) == Some(&80) {
            let size = bytes.get(2..COMPRESSED_DATA)?;
            let size = u32::from_be_bytes(size.try_into().ok()?) as usize;
            if size > MAX_INFLATED {
                return None;
            }
            inflating = Some(Inflating {
                z: flate2::Decompress::new(true),
                out: Vec::new(),
                size,
            });
        }
        Some(Decoder {
            bytes,
            at: 1,
            frames: Vec::new(),
            safe,
            inflating,
            whole: None,
        })
    }

    /// Inflates a compressed encoding until it is done, refused (bad zlib
    /// data, or not of the size its header gives), or `made` (bytes
    /// inflated) reaches `budget`: `Some(true)` when the decoding may
    /// start, `Some(false)` when the budget ran out first, `None` when
    /// refused. Nothing to do for an uncompressed one. The inflated bytes'
    /// room is asked of the memory budget at the first call (where a
    /// module's compressed chunks take the large-inflation permit, which
    /// stays with its thread while a process may go on on another).
    pub(crate) fn inflate(
        &mut self,
        c: &Ctx,
        budget: usize,
        made: &mut usize,
    ) -> Result<Option<bool>, NativeResult> {
        let Some(inf) = &mut self.inflating else {
            return Ok(Some(true));
        };
        if inf.out.capacity() == 0 {
            // One byte more than the size shows data that inflates to more.
            inf.out = c.byte_buffer(inf.size + 1)?;
        }
        loop {
            if *made >= budget {
                return Ok(Some(false));
            }
            let len = inf.out.len();
            let want = (budget - *made).min(inf.size + 1 - len);
            if want == 0 {
                return Ok(None);
            }
            inf.out.resize(len + want, 0);
            let (before_in, before_out) = (inf.z.total_in(), inf.z.total_out());
            let input = COMPRESSED_DATA as u64 + before_in;
            let input = self.bytes.get(input as usize..).unwrap_or_default();
            let status =
                inf.z
                    .decompress(input, &mut inf.out[len..], flate2::FlushDecompress::None);
            let took = (inf.z.total_in() - before_in) as usize;
            let produced = (inf.z.total_out() - before_out) as usize;
            inf.out.truncate(len + produced);
            *made += produced;
            match status {
                Err(_) => return Ok(None),
                Ok(flate2::Status::StreamEnd) => {
                    if inf.out.len() != inf.size {
                        return Ok(None);
                    }
                    // `used` counts the encoding up to the zlib data's end.
                    self.whole = Some(COMPRESSED_DATA + inf.z.total_in() as usize);
                    self.bytes = std::mem::take(&mut inf.out);
                    self.at = 0;
                    self.inflating = None;
                    return Ok(Some(true));
                }
                // Data cut short: no progress with room to make it in.
                Ok(_) if took == 0 && produced == 0 => return Ok(None),
                Ok(_) => {}
            }
        }
    }

    /// Decodes until done, refused, or `steps` (one a tag) reaches `budget`.
    pub(crate) fn run(
        &mut self,
        c: &mut Ctx,
        vals: &mut Vec<Word>,
        budget: usize,
        steps: &mut usize,
    ) -> Decoded {
        let Decoder {
            bytes,
            at,
            frames,
            safe,
            whole,
            ..
        } = self;
        let mut r = Reader::new(bytes.get(*at..).unwrap_or_default(), *at);
        let out = term_steps(c, &mut r, *safe, frames, vals, budget, steps);
        *at = r.offset();
        match (out, *whole) {
            (None, _) => Decoded::Refused,
            (Some(None), _) => Decoded::Paused,
            (Some(Some(w)), None) => Decoded::Done(w, *at),
            // The inflated bytes hold one term and nothing after it.
            (Some(Some(w)), Some(n)) if *at == bytes.len() => Decoded::Done(w, n),
            (Some(Some(_)), Some(_)) => Decoded::Refused,
        }
    }
}

/// The term at `r`, with the containers open and the values decoded so
/// far: `None` for what erl refuses, `Some(None)` when `steps` reached
/// `budget` first (at the start of a tag, to go on from there).
fn term_steps(
    c: &mut Ctx,
    r: &mut Reader<'_>,
    safe: bool,
    frames: &mut Vec<Frame>,
    vals: &mut Vec<Word>,
    budget: usize,
    steps: &mut usize,
) -> Option<Option<Word>> {
    loop {
        if *steps >= budget {
            return Some(None);
        }
        *steps += 1;
        let at = r.offset();
        let tag = r.u8("tag").ok()?;
        let mut value = match tag {
            104 | 105 => {
                let n = if tag == 104 {
                    r.u8("arity").ok()? as usize
                } else {
                    r.u32("arity").ok()? as usize
                };
                r.check_count(n, 1, at, "arity").ok()?;
                if n > 0 {
                    frames.push(Frame::Tuple(n, vals.len()));
                    continue;
                }
                c.heap.tuple(0, &[])
            }
            108 => {
                let n = r.u32("length").ok()? as usize;
                r.check_count(n, 1, at, "length").ok()?;
                frames.push(Frame::List(n, vals.len()));
                continue;
            }
            116 => {
                let n = r.u32("size").ok()? as usize;
                r.check_count(n, 2, at, "size").ok()?;
                if n > 0 {
                    frames.push(Frame::Map(n, vals.len()));
                    continue;
                }
                c.heap.map(0, &[], &[])
            }
            112 => {
                let (mid, idx, arity, nfree, end) = fun_head(c, r, at)?;
                let f = Frame::Fun(mid, idx, arity, nfree, vals.len(), end);
                if nfree > 0 {
                    frames.push(f);
                    continue;
                }
                finish(c, r, f, vals)?
            }
            _ => leaf(c, r, tag, safe)?,
        };
        // Hand the value to the containers it completes.
        loop {
            vals.push(value);
            let Some(top) = frames.last() else {
                return (vals.len() == 1).then(|| Some(vals[0]));
            };
            let (n, start) = top.wants();
            if vals.len() - start < n {
                break;
            }
            let f = frames.pop()?;
            value = finish(c, r, f, vals)?;
        }
    }
}

/// The container `f` of the values on top of the stack, which it takes off.
fn finish(c: &mut Ctx, r: &Reader<'_>, f: Frame, vals: &mut Vec<Word>) -> Option<Word> {
    let (_, start) = f.wants();
    let items = vals.split_off(start);
    Some(match f {
        Frame::Tuple(..) => c.heap.tuple(0, &items),
        Frame::List(n, _) => {
            let mut l = items[n];
            for x in items[..n].iter().rev() {
                l = c.heap.cons(0, *x, l);
            }
            l
        }
        Frame::Map(..) => {
            let pairs: Vec<(Word, Word)> = items.chunks(2).map(|kv| (kv[0], kv[1])).collect();
            let empty = c.heap.map(0, &[], &[]);
            maps::put(c.heap, c.literals, c.atoms, empty, &pairs, false).ok()?
        }
        Frame::Fun(mid, idx, arity, _, _, end) => {
            if r.offset() != end {
                return None;
            }
            let mut words = vec![
                Word::small(mid.into())?,
                Word::small(idx.into())?,
                Word::small(arity.into())?,
            ];
            words.extend(items);
            c.heap.boxed(0, kind::FUN, &words)
        }
    })
}

/// NEW_FUN_EXT up to its captured values: the loaded module and lambda it
/// names (module id, index, arity, captured count) and where its bytes end.
fn fun_head(c: &mut Ctx, r: &mut Reader<'_>, at: usize) -> Option<(u32, u32, u32, usize, usize)> {
    let size = r.u32("fun size").ok()? as usize;
    // The size counts itself and what follows it.
    let end = at.checked_add(1 + size)?;
    if size < 4 || end > r.offset() + r.remaining() {
        return None;
    }
    let arity = r.u8("arity").ok()?;
    r.bytes(16, "uniq").ok()?;
    let idx = r.u32("index").ok()?;
    let nfree = r.u32("free").ok()? as usize;
    r.check_count(nfree, 1, at, "free").ok()?;
    let tag = r.u8("module").ok()?;
    let module = atom(c, r, tag, false)?.as_atom()?;
    for _ in 0..2 {
        // Old index and old uniq: integers, not needed to find the lambda.
        let tag = r.u8("integer").ok()?;
        leaf(c, r, tag, false)?.as_small()?;
    }
    // The creator, whatever node it is on: a fun does not need it.
    let tag = r.u8("pid").ok()?;
    pid_parts(c, r, tag)?;
    let mid = c.code.module_id(module)?;
    let l = c.code.lambda(mid, idx)?;
    if l.free as usize != nfree || l.arity - l.free != u32::from(arity) {
        return None;
    }
    Some((mid, idx, arity.into(), nfree, end))
}

/// An atom of tag `tag` (100, 115, 118, 119); erl refuses one of more than
/// 255 characters.
fn atom(c: &mut Ctx, r: &mut Reader<'_>, tag: u8, safe: bool) -> Option<Word> {
    let n = match tag {
        100 | 118 => r.u16("atom length").ok()? as usize,
        115 | 119 => r.u8("atom length").ok()? as usize,
        _ => return None,
    };
    let b = r.bytes(n, "atom").ok()?;
    let text: String = if matches!(tag, 118 | 119) {
        std::str::from_utf8(b).ok()?.to_string()
    } else {
        b.iter().map(|&x| x as char).collect()
    };
    if text.chars().count() > 255 {
        return None;
    }
    // Past the atom table's limit the term is refused (badarg).
    let a = if safe {
        c.atoms.existing(&text)?
    } else {
        c.atoms.try_intern(&text)?
    };
    Some(Word::atom(a))
}

/// PID_EXT or NEW_PID_EXT (`tag`): node, number, serial.
fn pid_parts(c: &mut Ctx, r: &mut Reader<'_>, tag: u8) -> Option<(u32, u32, u32)> {
    if !matches!(tag, 88 | 103) {
        return None;
    }
    let t = r.u8("node").ok()?;
    let node = atom(c, r, t, false)?.as_atom()?;
    let id = r.u32("id").ok()?;
    let serial = r.u32("serial").ok()?;
    if tag == 88 {
        r.u32("creation").ok()?;
    } else {
        r.u8("creation").ok()?;
    }
    Some((node, id, serial))
}

/// A term that is not a tuple, list, map or fun.
fn leaf(c: &mut Ctx, r: &mut Reader<'_>, tag: u8, safe: bool) -> Option<Word> {
    Some(match tag {
        97 => Word::small(r.u8("integer").ok()?.into())?,
        98 => Word::small(r.i32("integer").ok()?.into())?,
        70 => {
            let f = f64::from_bits(r.u64("float").ok()?);
            // Erlang has no infinities or NaNs.
            if !f.is_finite() {
                return None;
            }
            c.heap.float(0, f)
        }
        99 => {
            let b = r.bytes(31, "float").ok()?;
            let f = std::str::from_utf8(b)
                .ok()?
                .trim_end_matches('\0')
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())?;
            c.heap.float(0, f)
        }
        100 | 115 | 118 | 119 => atom(c, r, tag, safe)?,
        106 => Word::NIL,
        107 => {
            let n = r.u16("string length").ok()? as usize;
            let b = r.bytes(n, "string").ok()?;
            let items: Vec<Word> = b
                .iter()
                .map(|&x| Word::small(x.into()))
                .collect::<Option<_>>()?;
            list_of(c.heap, &items)
        }
        110 | 111 => {
            let n = if tag == 110 {
                r.u8("bignum length").ok()? as usize
            } else {
                r.u32("bignum length").ok()? as usize
            };
            // Any sign byte but 0 is negative, as erl reads it.
            let sign = if r.u8("sign").ok()? == 0 {
                Sign::Plus
            } else {
                Sign::Minus
            };
            let digits = r.bytes(n, "bignum").ok()?;
            c.heap.integer(0, &BigInt::from_bytes_le(sign, digits))
        }
        109 => {
            let n = r.u32("binary length").ok()? as usize;
            let b = r.bytes(n, "binary").ok()?.to_vec();
            c.heap.bitstring(0, &b, 8)
        }
        77 => {
            let n = r.u32("bitstring length").ok()? as usize;
            let bits = r.u8("tail bits").ok()?;
            let mut b = r.bytes(n, "bitstring").ok()?.to_vec();
            if bits == 8 || (n > 0 && bits == 0) {
                c.heap.bitstring(0, &b, 8)
            } else if n == 0 || bits > 8 {
                return None;
            } else {
                // Only the significant bits, so equal bitstrings are equal.
                let last = b.len() - 1;
                b[last] &= 0xffu8 << (8 - bits);
                c.heap.bitstring(0, &b, bits)
            }
        }
        113 => {
            let t = r.u8("module").ok()?;
            let m = atom(c, r, t, safe)?.as_atom()?;
            let t = r.u8("function").ok()?;
            let f = atom(c, r, t, safe)?.as_atom()?;
            if r.u8("arity tag").ok()? != 97 {
                return None;
            }
            let arity = r.u8("arity").ok()?;
            c.heap.export(0, m, f, arity)
        }
        103 | 88 => {
            let (node, id, serial) = pid_parts(c, r, tag)?;
            // A pid of another node has no process here.
            if &*c.atoms.name(node) != NODE || id >= 1 << 15 || serial >= 1 << 13 {
                return None;
            }
            Word::pid(u64::from(id) | u64::from(serial) << 15)
        }
        // PORT_EXT, NEW_PORT_EXT, V4_PORT_EXT: a port of this node only.
        102 | 89 | 120 => {
            let t = r.u8("node").ok()?;
            let node = atom(c, r, t, false)?.as_atom()?;
            let id = if tag == 120 {
                r.u64("port id").ok()?
            } else {
                u64::from(r.u32("port id").ok()?)
            };
            if tag == 102 {
                r.u8("creation").ok()?;
            } else {
                r.u32("creation").ok()?;
            }
            if &*c.atoms.name(node) != NODE || id > MAX_PORT {
                return None;
            }
            Word::port(id)
        }
        114 | 90 => {
            let n = r.u16("reference length").ok()? as usize;
            let t = r.u8("node").ok()?;
            let node = atom(c, r, t, false)?.as_atom()?;
            if tag == 90 {
                r.u32("creation").ok()?;
            } else {
                r.u8("creation").ok()?;
            }
            r.check_count(n, 4, 0, "reference length").ok()?;
            let ids: Vec<u32> = (0..n).map(|_| r.u32("id")).collect::<Result<_, _>>().ok()?;
            if &*c.atoms.name(node) != NODE {
                return None;
            }
            let id = ref_of_ids(&ids)?;
            c.heap.boxed(0, kind::REF, &[Word(id)])
        }
        _ => return None,
    })
}
