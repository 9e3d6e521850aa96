//! LAM's own regular expression engine, PCRE 8 compatible, for the `re`
//! natives (docs/re.md): a parser to a tree (`parse`), compiled to a small
//! program (`compile`), run by a backtracking matcher with an explicit stack
//! (`exec`). Positions are byte offsets, as erl reports them; in unicode
//! mode the subject is UTF-8 and the matcher steps by characters.

pub mod compile;
pub mod exec;
pub mod parse;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use compile::{Compiler, Inst, Prog};
use parse::Node;

/// What ends a line (erl's `{newline, _}` values).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Newline {
    Cr,
    #[default]
    Lf,
    Crlf,
    AnyCrlf,
    Any,
}

/// The options that shape a compiled pattern, named as erl's.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CompileOptions {
    pub unicode: bool,
    pub caseless: bool,
    pub multiline: bool,
    pub dotall: bool,
    pub extended: bool,
    pub anchored: bool,
    pub dollar_endonly: bool,
    pub ungreedy: bool,
    pub ucp: bool,
    pub no_auto_capture: bool,
    pub dupnames: bool,
    pub firstline: bool,
    pub newline: Newline,
    pub bsr_anycrlf: bool,
}

impl CompileOptions {
    /// The options as bits, for the pattern binary.
    pub fn bits(&self) -> u32 {
        let flags = [
            self.unicode,
            self.caseless,
            self.multiline,
            self.dotall,
            self.extended,
            self.anchored,
            self.dollar_endonly,
            self.ungreedy,
            self.ucp,
            self.no_auto_capture,
            self.dupnames,
            self.firstline,
            self.bsr_anycrlf,
        ];
        let mut b = 0u32;
        for (i, f) in flags.iter().enumerate() {
            b |= u32::from(*f) << i;
        }
        b | (self.newline as u32) << 16
    }

    /// Options from their bits.
    pub fn from_bits(b: u32) -> Option<CompileOptions> {
        let f = |i: u32| b & (1 << i) != 0;
        let newline = match b >> 16 {
            0 => Newline::Cr,
            1 => Newline::Lf,
            2 => Newline::Crlf,
            3 => Newline::AnyCrlf,
            4 => Newline::Any,
            _ => return None,
        };
        Some(CompileOptions {
            unicode: f(0),
            caseless: f(1),
            multiline: f(2),
            dotall: f(3),
            extended: f(4),
            anchored: f(5),
            dollar_endonly: f(6),
            ungreedy: f(7),
            ucp: f(8),
            no_auto_capture: f(9),
            dupnames: f(10),
            firstline: f(11),
            bsr_anycrlf: f(12),
            newline,
        })
    }
}

/// The options of one match, named as erl's.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default)]
pub struct MatchOptions {
    pub anchored: bool,
    pub notbol: bool,
    pub noteol: bool,
    pub notempty: bool,
    pub notempty_atstart: bool,
    pub offset: usize,
    pub match_limit: Option<u64>,
    pub match_limit_recursion: Option<u64>,
    pub newline: Option<Newline>,
    pub bsr_anycrlf: Option<bool>,
}

/// Why a match could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecError {
    /// The subject is not UTF-8 (unicode mode), or the offset is not on a
    /// character.
    BadUtf8,
    /// The offset is past the subject's end.
    BadOffset,
    /// More steps than `match_limit`.
    MatchLimit,
    /// More nested alternatives than `match_limit_recursion`.
    RecursionLimit,
}

/// A compiled pattern.
#[derive(Debug)]
pub struct Regex {
    progs: Vec<Option<Prog>>,
    /// The number of capturing groups.
    pub groups: u32,
    /// The group names and their numbers, sorted by name (as PCRE's table).
    pub names: Vec<(String, u32)>,
    /// The options, with those the pattern set itself.
    pub opts: CompileOptions,
    slots: usize,
    anchored: bool,
    first_byte: Option<u8>,
    required_byte: Option<u8>,
    has_cr_or_lf: bool,
    ascii_start: bool,
}

/// PCRE's default match limits.
const DEFAULT_LIMIT: u64 = 10_000_000;

impl Regex {
    /// Compiles a pattern: its bytes (UTF-8 in unicode mode, else Latin-1).
    pub fn new(pattern: &[u8], opts: &CompileOptions) -> Result<Regex, (&'static str, usize)> {
        let (chars, offsets) = if opts.unicode {
            decode_pattern(pattern)?
        } else {
            let chars: Vec<u32> = pattern.iter().map(|&b| u32::from(b)).collect();
            let offsets = (0..=pattern.len()).collect();
            (chars, offsets)
        };
        let mut opts = *opts;
        let parsed = parse::parse(chars, offsets, &opts)?;
        if parsed.utf && !opts.unicode {
            // (*UTF8) at the start: the pattern is UTF-8 after all.
            opts.unicode = true;
            return Regex::new(pattern, &opts);
        }
        if let Some(n) = parsed.newline {
            opts.newline = n;
        }
        if let Some(b) = parsed.bsr_anycrlf {
            opts.bsr_anycrlf = b;
        }
        if parsed.ucp {
            opts.ucp = true;
        }
        let _ = parsed.utf;
        let mut names = parsed.names.clone();
        names.sort();
        let base = 2 * (parsed.groups as usize + 1);
        let mut progs: Vec<Option<Prog>> = vec![None; parsed.groups as usize + 1];
        let mut next_reg = base;
        // The whole pattern, then each group that a recursion calls.
        let mut wanted = vec![0u32];
        let mut done = vec![false; parsed.groups as usize + 1];
        let mut bodies: HashMap<u32, Node> = HashMap::new();
        collect_groups(&parsed.node, &mut bodies);
        while let Some(g) = wanted.pop() {
            if done[g as usize] {
                continue;
            }
            done[g as usize] = true;
            let node = if g == 0 {
                parsed.node.clone()
            } else {
                match bodies.get(&g) {
                    Some(b) => Node::Group(Some(g), Box::new(b.clone())),
                    None => continue,
                }
            };
            let mut c = Compiler {
                insts: Vec::new(),
                next_reg,
                names: &parsed.names,
                unicode: opts.unicode,
                too_large: false,
            };
            if g == 0 {
                c.insts.push(Inst::Save(0));
            }
            c.node(&node);
            if g == 0 {
                c.insts.push(Inst::Save(1));
            }
            c.insts.push(Inst::Match);
            if c.too_large {
                return Err(("regular expression is too large", pattern.len()));
            }
            next_reg = c.next_reg;
            for i in &c.insts {
                if let Inst::Recurse(r) = i
                    && (*r as usize) < done.len()
                    && !done[*r as usize]
                {
                    wanted.push(*r);
                }
            }
            progs[g as usize] = Some(Prog { insts: c.insts });
        }
        Ok(Regex {
            progs,
            groups: parsed.groups,
            names,
            slots: next_reg,
            anchored: opts.anchored || starts_anchored(&parsed.node),
            first_byte: first_byte(&parsed.node, opts.unicode),
            required_byte: required_byte(&parsed.node, opts.unicode),
            has_cr_or_lf: has_cr_or_lf(&parsed.node),
            ascii_start: opts.unicode && !opts.ucp && starts_with_word_escape(&parsed.node),
            opts,
        })
    }

    pub(crate) fn prog(&self, id: u32) -> Option<&Prog> {
        self.progs.get(id as usize)?.as_ref()
    }

    /// Whether the pattern's newline convention treats CRLF as one.
    pub fn uses_crlf(&self) -> bool {
        matches!(
            self.opts.newline,
            Newline::Crlf | Newline::AnyCrlf | Newline::Any
        )
    }

    /// The first match at or after the offset: the span of each group
    /// (the whole match first) up to the last that is set.
    #[allow(clippy::type_complexity)]
    pub fn exec(
        &self,
        s: &[u8],
        m: &MatchOptions,
    ) -> Result<Option<Vec<Option<(usize, usize)>>>, ExecError> {
        if m.offset > s.len() {
            return Err(ExecError::BadOffset);
        }
        if self.opts.unicode {
            if std::str::from_utf8(s).is_err() {
                return Err(ExecError::BadUtf8);
            }
            if m.offset < s.len() && s[m.offset] & 0xc0 == 0x80 {
                return Err(ExecError::BadUtf8);
            }
        }
        let subj = exec::Subject {
            s,
            utf: self.opts.unicode,
            ucp: self.opts.ucp,
            newline: m.newline.unwrap_or(self.opts.newline),
            bsr_anycrlf: m.bsr_anycrlf.unwrap_or(self.opts.bsr_anycrlf),
            notbol: m.notbol,
            noteol: m.noteol,
            dollar_endonly: self.opts.dollar_endonly,
            start_offset: m.offset,
        };
        if let Some(b) = self.required_byte
            && !s[m.offset..].contains(&b)
        {
            return Ok(None);
        }
        let mut budget = exec::Budget {
            steps: 0,
            limit: m.match_limit.unwrap_or(DEFAULT_LIMIT),
            depth_limit: m.match_limit_recursion.unwrap_or(DEFAULT_LIMIT),
        };
        let unset = vec![usize::MAX; self.slots];
        let anchored = self.anchored || m.anchored;
        // firstline: the match must start before the first newline.
        let line_end = if self.opts.firstline {
            let mut p = m.offset;
            while p < s.len() && subj.newline_at(p).is_none() {
                p = subj.next(p).map_or(p + 1, |(_, n)| n);
            }
            Some(p)
        } else {
            None
        };
        let mut start = m.offset;
        loop {
            if let Some(b) = self.first_byte
                && !anchored
            {
                match s[start..].iter().position(|&x| x == b) {
                    Some(k) => start += k,
                    None => return Ok(None),
                }
            }
            if self.ascii_start && !anchored {
                // PCRE's start-of-match table for a leading \w in UTF-8
                // mode has only ASCII bytes: no match starts at a Latin-1
                // letter there, though one may run on through it.
                match s[start..].iter().position(|&x| x < 0x80) {
                    Some(k) => start += k,
                    None => return Ok(None),
                }
            }
            if line_end.is_some_and(|e| start > e) {
                return Ok(None);
            }
            let found = exec::run(
                self,
                &subj,
                0,
                start,
                &unset,
                &mut budget,
                0,
                Some((m.notempty, m.notempty_atstart)),
            )?;
            if let Some((_, slots)) = found {
                let mut out: Vec<Option<(usize, usize)>> = (0..=self.groups as usize)
                    .map(|g| {
                        let (a, b) = (slots[2 * g], slots[2 * g + 1]);
                        (a != usize::MAX && b != usize::MAX).then_some((a, b))
                    })
                    .collect();
                while out.len() > 1 && out.last().is_some_and(Option::is_none) {
                    out.pop();
                }
                return Ok(Some(out));
            }
            if anchored || start >= s.len() {
                return Ok(None);
            }
            start = subj.next(start).map_or(start + 1, |(_, n)| n);
            // As PCRE: past a CR, at an LF, with CRLF newlines and no
            // literal CR or LF in the pattern, the LF is skipped too.
            if s[start - 1] == 13
                && s.get(start) == Some(&10)
                && matches!(
                    subj.newline,
                    Newline::Crlf | Newline::Any | Newline::AnyCrlf
                )
                && !self.has_cr_or_lf
            {
                start += 1;
            }
        }
    }
}

/// A pattern's code points and the byte offset of each (and of its end).
type Decoded = (Vec<u32>, Vec<usize>);

fn decode_pattern(p: &[u8]) -> Result<Decoded, (&'static str, usize)> {
    let text = match std::str::from_utf8(p) {
        Ok(t) => t,
        Err(e) => return Err(("invalid UTF-8 string", e.valid_up_to())),
    };
    let mut chars = Vec::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        chars.push(c as u32);
        offsets.push(i);
    }
    offsets.push(p.len());
    Ok((chars, offsets))
}

fn collect_groups(n: &Node, out: &mut HashMap<u32, Node>) {
    match n {
        Node::Group(idx, b) => {
            if let Some(g) = idx {
                out.entry(*g).or_insert_with(|| (**b).clone());
            }
            collect_groups(b, out);
        }
        Node::Seq(v) | Node::Alt(v) => v.iter().for_each(|x| collect_groups(x, out)),
        Node::Repeat(b, ..) | Node::Atomic(b) | Node::Look(_, _, b) => collect_groups(b, out),
        Node::Cond(c, y, no) => {
            if let parse::Cond::Look(_, _, b) = &**c {
                collect_groups(b, out);
            }
            collect_groups(y, out);
            collect_groups(no, out);
        }
        _ => {}
    }
}

/// Whether the pattern has a literal CR or LF (alone or in a class).
fn has_cr_or_lf(n: &Node) -> bool {
    match n {
        Node::Lit(c, _) => *c == 10 || *c == 13,
        Node::Class(c) => c.items.iter().any(|it| {
            matches!(it, parse::Item::Range(lo, hi) if (*lo..=*hi).contains(&10) || (*lo..=*hi).contains(&13))
        }),
        Node::Seq(v) | Node::Alt(v) => v.iter().any(has_cr_or_lf),
        Node::Group(_, b) | Node::Atomic(b) | Node::Look(_, _, b) | Node::Repeat(b, ..) => {
            has_cr_or_lf(b)
        }
        Node::Cond(c, y, no) => {
            matches!(&**c, parse::Cond::Look(_, _, b) if has_cr_or_lf(b))
                || has_cr_or_lf(y)
                || has_cr_or_lf(no)
        }
        _ => false,
    }
}

/// Whether the pattern starts with a `\w` escape (outside brackets).
fn starts_with_word_escape(n: &Node) -> bool {
    match n {
        Node::Class(c) => {
            !c.neg && c.items == [parse::Item::Set(parse::Set::Word, false)] && c.escape
        }
        Node::Seq(v) => v.first().is_some_and(starts_with_word_escape),
        Node::Group(_, b) | Node::Atomic(b) => starts_with_word_escape(b),
        Node::Repeat(b, min, _, _) if *min > 0 => starts_with_word_escape(b),
        _ => false,
    }
}

/// Whether every alternative starts with `\A`, `\G` or a `^` that is not
/// multiline: then only the start offset can match.
fn starts_anchored(n: &Node) -> bool {
    match n {
        Node::Assert(parse::Assert::Start | parse::Assert::StartOffset) => true,
        Node::Assert(parse::Assert::Caret(false)) => true,
        Node::Seq(v) => v.first().is_some_and(starts_anchored),
        Node::Alt(v) => v.iter().all(starts_anchored),
        Node::Group(_, b) | Node::Atomic(b) => starts_anchored(b),
        _ => false,
    }
}

/// The byte every match starts with, if the pattern fixes it.
fn first_byte(n: &Node, unicode: bool) -> Option<u8> {
    match n {
        Node::Lit(c, false) if *c < 128 || (!unicode && *c < 256) => Some(*c as u8),
        Node::Seq(v) => v.first().and_then(|x| first_byte(x, unicode)),
        Node::Group(_, b) | Node::Atomic(b) => first_byte(b, unicode),
        Node::Repeat(b, min, _, _) if *min > 0 => first_byte(b, unicode),
        Node::Alt(v) => {
            let f = first_byte(v.first()?, unicode)?;
            v.iter()
                .all(|x| first_byte(x, unicode) == Some(f))
                .then_some(f)
        }
        _ => None,
    }
}

/// A byte every match contains (after its start), if the pattern fixes one.
fn required_byte(n: &Node, unicode: bool) -> Option<u8> {
    match n {
        Node::Lit(c, false) if *c < 128 || (!unicode && *c < 256) => Some(*c as u8),
        Node::Seq(v) => v.iter().rev().find_map(|x| required_byte(x, unicode)),
        Node::Group(_, b) | Node::Atomic(b) => required_byte(b, unicode),
        Node::Repeat(b, min, _, _) if *min > 0 => required_byte(b, unicode),
        _ => None,
    }
}

/// A per-VM cache of compiled patterns, keyed by pattern and options, so
/// that `re:run(S, "literal")` in a loop parses once.
pub fn cached(pattern: &[u8], opts: &CompileOptions) -> Result<Arc<Regex>, (&'static str, usize)> {
    type Cache = Mutex<HashMap<(Vec<u8>, CompileOptions), Arc<Regex>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (pattern.to_vec(), *opts);
    if let Some(r) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(r.clone());
    }
    let r = Arc::new(Regex::new(pattern, opts)?);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if c.len() >= 256 {
        c.clear();
    }
    c.insert(key, r.clone());
    Ok(r)
}
