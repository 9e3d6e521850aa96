//! The `re` functions OTP implements as BIFs (`version/0`, `compile/1,2`,
//! `run/2,3`, `internal_run/4`, `inspect/2`), on LAM's own engine
//! (`vm::re`, docs/re.md). As in erl, a run with `global` goes to
//! `re:grun/3` and a unicode run whose subject or pattern is not a binary
//! (or that wants lists back) to `re:urun/3`, OTP's Erlang code, which
//! call back in here.

use std::sync::Arc;

use crate::vm::native::{Ctx, Native, NativeResult, badarg, small};
use crate::vm::natives::bits::{binary_word, slice, to_bytes};
use crate::vm::re::{CompileOptions, ExecError, MatchOptions, Newline, Regex, cached};
use crate::vm::term::atoms::atom;
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `re` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("re", "version", 0, version_0),
    Native::heap("re", "compile", 1, compile_1),
    Native::heap("re", "compile", 2, compile_2),
    Native::heap("re", "run", 2, run_2),
    Native::heap("re", "run", 3, run_3),
    Native::heap("re", "internal_run", 4, internal_run_4),
    Native::heap("re", "inspect", 2, inspect_2),
];

/// erl 25's PCRE version with LAM's mark. The engine is not PCRE, and the
/// difference matters: Elixir stores `~r` patterns compiled by the BEAM's PCRE
/// in its `.beam` files, with the version that compiled them, and recompiles
/// from the source when `re:version()` differs. Reporting PCRE's own version
/// would hand LAM bytecode it cannot read.
const VERSION: &str = "8.44 2020-02-12 (LAM)";

/// The start of the binary in a compiled pattern: then the options (4 bytes,
/// little-endian) and the pattern's bytes.
const MAGIC: &[u8] = b"LAM-RE1\0";

fn version_0(c: &mut Ctx, _: &[Word]) -> NativeResult {
    Value(binary_word(c, VERSION.as_bytes()))
}

/// A parsed option list.
#[derive(Default)]
struct Opts {
    compile: CompileOptions,
    any_compile: bool,
    any_exec: bool,
    m: MatchOptions,
    newline: Option<Newline>,
    bsr: Option<bool>,
    capture: Option<(Word, Word)>,
    global: bool,
    report_errors: bool,
}

fn atom_name(c: &Ctx, w: Word) -> Option<Arc<str>> {
    w.as_atom().map(|a| c.atoms.name(a))
}

fn parse_opts(c: &Ctx, list: Word) -> Option<Opts> {
    let v = c.view();
    let items = list_items(&v, list)?;
    let mut o = Opts::default();
    let int = |w: Word| -> Option<u64> {
        let i = w.as_small()?;
        (0..=i64::from(i32::MAX)).contains(&i).then_some(i as u64)
    };
    for it in items {
        if let Some(t) = v.tuple(it) {
            let t: Vec<Word> = t.iter().map(|&x| Word(x)).collect();
            // `{}` is no option (and has no first element to name one).
            let key = atom_name(c, *t.first()?);
            match (t.len(), key.as_deref()) {
                (3, Some("capture")) => {
                    o.capture = Some((t[1], t[2]));
                    o.any_exec = true;
                }
                (2, Some("capture")) => {
                    o.capture = Some((t[1], Word::atom(c.atoms.intern("index"))));
                    o.any_exec = true;
                }
                (2, Some("offset")) => {
                    o.m.offset = int(t[1])? as usize;
                    o.any_exec = true;
                }
                (2, Some("match_limit")) => {
                    o.m.match_limit = Some(int(t[1])?);
                    o.any_exec = true;
                }
                (2, Some("match_limit_recursion")) => {
                    o.m.match_limit_recursion = Some(int(t[1])?);
                    o.any_exec = true;
                }
                (2, Some("newline")) => {
                    o.newline = Some(match atom_name(c, t[1])?.as_ref() {
                        "cr" => Newline::Cr,
                        "lf" => Newline::Lf,
                        "crlf" => Newline::Crlf,
                        "anycrlf" => Newline::AnyCrlf,
                        "any" => Newline::Any,
                        _ => return None,
                    });
                }
                _ => return None,
            }
            continue;
        }
        let name = atom_name(c, it)?;
        let cmp = &mut o.compile;
        let mut compile = |f: &mut bool| {
            *f = true;
            o.any_compile = true;
        };
        match name.as_ref() {
            "anchored" => {
                cmp.anchored = true;
                o.m.anchored = true;
            }
            "notempty" => {
                o.m.notempty = true;
                o.any_exec = true;
            }
            "notempty_atstart" => {
                o.m.notempty_atstart = true;
                o.any_exec = true;
            }
            "notbol" => {
                o.m.notbol = true;
                o.any_exec = true;
            }
            "noteol" => {
                o.m.noteol = true;
                o.any_exec = true;
            }
            "caseless" => compile(&mut cmp.caseless),
            "dollar_endonly" => compile(&mut cmp.dollar_endonly),
            "dotall" => compile(&mut cmp.dotall),
            "extended" => compile(&mut cmp.extended),
            "firstline" => compile(&mut cmp.firstline),
            "multiline" => compile(&mut cmp.multiline),
            "no_auto_capture" => compile(&mut cmp.no_auto_capture),
            "dupnames" => compile(&mut cmp.dupnames),
            "ungreedy" => compile(&mut cmp.ungreedy),
            "ucp" => compile(&mut cmp.ucp),
            "unicode" => compile(&mut cmp.unicode),
            "no_start_optimize" | "never_utf" => {
                let mut ignored = false;
                compile(&mut ignored);
            }
            "report_errors" => {
                o.report_errors = true;
                o.any_exec = true;
            }
            "global" => {
                o.global = true;
                o.any_exec = true;
            }
            "bsr_anycrlf" => o.bsr = Some(true),
            "bsr_unicode" => o.bsr = Some(false),
            _ => return None,
        }
    }
    if let Some(n) = o.newline {
        o.compile.newline = n;
    }
    if let Some(b) = o.bsr {
        o.compile.bsr_anycrlf = b;
    }
    Some(o)
}

/// Raises `badarg` for a bad option, as erl (with its `badopt` cause,
/// which only erl's extended error information shows).
fn badopt() -> NativeResult {
    badarg()
}

fn is_bitstring(c: &Ctx, w: Word) -> bool {
    c.view().bits(w).is_some()
}

fn apply_re(c: &mut Ctx, function: &str, args: Vec<Word>) -> NativeResult {
    let m = Word::atom(c.atoms.intern("re"));
    let f = Word::atom(c.atoms.intern(function));
    NativeResult::Apply(m, f, args)
}

/// `{error, {Message, Offset}}`'s inner tuple.
fn compile_error(c: &mut Ctx, (msg, off): (&str, usize)) -> Word {
    let chars: Vec<Word> = msg.bytes().map(|b| small(b as usize)).collect();
    let s = list_of(c.heap, &chars);
    c.heap.tuple(0, &[s, small(off)])
}

/// The `{re_pattern, Groups, Unicode, CRLF, Binary}` term of a pattern.
fn pattern_term(c: &mut Ctx, re: &Regex, source: &[u8], opts: &CompileOptions) -> Word {
    let mut bin = MAGIC.to_vec();
    bin.extend_from_slice(&opts.bits().to_le_bytes());
    bin.extend_from_slice(source);
    let b = binary_word(c, &bin);
    let tag = Word::atom(c.atoms.intern("re_pattern"));
    c.heap.tuple(
        0,
        &[
            tag,
            small(re.groups as usize),
            small(usize::from(opts.unicode)),
            small(usize::from(re.uses_crlf())),
            b,
        ],
    )
}

/// The compiled pattern a `{re_pattern, ...}` term holds.
fn pattern_of(c: &Ctx, w: Word) -> Option<(Arc<Regex>, bool)> {
    let v = c.view();
    let t = v.tuple(w)?;
    if t.len() != 5 || atom_name(c, Word(t[0])).as_deref() != Some("re_pattern") {
        return None;
    }
    let unicode = Word(t[2]).as_small()?;
    Word(t[1]).as_small()?;
    Word(t[3]).as_small()?;
    let bytes = match v.bits(Word(t[4]))? {
        (b, 8) => b,
        _ => return None,
    };
    let rest = bytes.strip_prefix(MAGIC)?;
    let bits = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?);
    let opts = CompileOptions::from_bits(bits)?;
    let re = cached(&rest[4..], &opts).ok()?;
    Some((re, unicode != 0))
}

fn compile_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    compile(c, a[0], Word::NIL)
}

fn compile_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    compile(c, a[0], a[1])
}

fn compile(c: &mut Ctx, pat: Word, opts: Word) -> NativeResult {
    let Some(o) = parse_opts(c, opts) else {
        return badopt();
    };
    if o.any_exec {
        return badopt();
    }
    if o.compile.unicode && !is_bitstring(c, pat) {
        return apply_re(c, "ucompile", vec![pat, opts]);
    }
    let Some(source) = to_bytes(c, pat) else {
        return badarg();
    };
    match cached(&source, &o.compile) {
        Ok(re) => {
            let t = pattern_term(c, &re, &source, &o.compile);
            Value(c.heap.tuple(0, &[Word::atom(atom::OK), t]))
        }
        Err(e) => {
            let inner = compile_error(c, e);
            let err = Word::atom(c.atoms.intern("error"));
            Value(c.heap.tuple(0, &[err, inner]))
        }
    }
}

fn run_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    run(c, a[0], a[1], Word::NIL)
}

fn run_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    run(c, a[0], a[1], a[2])
}

fn internal_run_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[3] != Word::boolean(true) && a[3] != Word::boolean(false) {
        return badarg();
    }
    run(c, a[0], a[1], a[2])
}

/// What the capture option asks for.
enum Spec {
    /// `all` (0) or `all_but_first` (1): the groups from there on.
    From(usize),
    /// These groups (each one, or for a duplicated name, the first set).
    Groups(Vec<Vec<i64>>),
    None,
}

#[derive(PartialEq)]
enum Kind {
    Index,
    List,
    Binary,
}

fn name_groups(re: &Regex, name: &[u8]) -> Vec<i64> {
    let g: Vec<i64> = re
        .names
        .iter()
        .filter(|(n, _)| n.as_bytes() == name)
        .map(|(_, g)| i64::from(*g))
        .collect();
    if g.is_empty() { vec![-1] } else { g }
}

fn capture_spec(c: &Ctx, re: &Regex, values: Word, kind: Word) -> Option<(Spec, Kind)> {
    let kind = match atom_name(c, kind)?.as_ref() {
        "index" => Kind::Index,
        "list" => Kind::List,
        "binary" => Kind::Binary,
        _ => return None,
    };
    if values == Word::NIL {
        return Some((Spec::None, kind));
    }
    if let Some(name) = atom_name(c, values) {
        let spec = match name.as_ref() {
            "all" => Spec::From(0),
            "none" => Spec::None,
            "all_but_first" => Spec::From(1),
            "first" => Spec::Groups(vec![vec![0]]),
            "all_names" => {
                if re.names.is_empty() {
                    Spec::None
                } else {
                    let mut seen: Vec<&str> = Vec::new();
                    let mut groups = Vec::new();
                    for (n, _) in &re.names {
                        if !seen.contains(&n.as_str()) {
                            seen.push(n);
                            groups.push(name_groups(re, n.as_bytes()));
                        }
                    }
                    Spec::Groups(groups)
                }
            }
            _ => return None,
        };
        return Some((spec, kind));
    }
    let v = c.view();
    let items = list_items(&v, values)?;
    let mut groups = Vec::new();
    for it in items {
        if let Some(i) = it.as_small() {
            if !(0..=i64::from(i32::MAX)).contains(&i) {
                return None;
            }
            groups.push(vec![i]);
        } else if let Some(n) = atom_name(c, it) {
            groups.push(name_groups(re, n.as_bytes()));
        } else {
            let bytes = to_bytes(c, it)?;
            groups.push(name_groups(re, &bytes));
        }
    }
    Some((Spec::Groups(groups), kind))
}

fn run(c: &mut Ctx, subject: Word, pat: Word, opts: Word) -> NativeResult {
    let Some(o) = parse_opts(c, opts) else {
        return badopt();
    };
    let is_list_cap = o
        .capture
        .is_some_and(|(_, k)| atom_name(c, k).as_deref() == Some("list"));
    let re = if let Some((re, unicode)) = pattern_of(c, pat) {
        if o.any_compile {
            return badarg();
        }
        if unicode && (!is_bitstring(c, subject) || (is_list_cap && !o.global)) {
            return apply_re(c, "urun", vec![subject, pat, opts]);
        }
        if o.global {
            let r = c.heap.tuple(0, &[opts, Word::boolean(false)]);
            return apply_re(c, "grun", vec![subject, pat, r]);
        }
        re
    } else {
        let v = c.view();
        if v.tuple(pat).is_some() || !(is_bitstring(c, pat) || pat.is_list() || pat == Word::NIL) {
            return badarg();
        }
        if o.compile.unicode
            && (!is_bitstring(c, pat) || !is_bitstring(c, subject) || (is_list_cap && !o.global))
        {
            return apply_re(c, "urun", vec![subject, pat, opts]);
        }
        let Some(source) = to_bytes(c, pat) else {
            return badarg();
        };
        match cached(&source, &o.compile) {
            Ok(re) => {
                if o.global {
                    let p = pattern_term(c, &re, &source, &o.compile);
                    let r = c.heap.tuple(0, &[opts, Word::boolean(o.any_compile), pat]);
                    return apply_re(c, "grun", vec![subject, p, r]);
                }
                re
            }
            Err(e) => {
                if o.report_errors {
                    let inner = compile_error(c, e);
                    let tag = Word::atom(c.atoms.intern("compile"));
                    let t = c.heap.tuple(0, &[tag, inner]);
                    let err = Word::atom(c.atoms.intern("error"));
                    return Value(c.heap.tuple(0, &[err, t]));
                }
                return badarg();
            }
        }
    };
    let (spec, kind) = match o.capture {
        Some((values, k)) => match capture_spec(c, &re, values, k) {
            Some(x) => x,
            None => return badarg(),
        },
        None => (Spec::From(0), Kind::Index),
    };
    let bin_subject = match c.view().bits(subject) {
        Some((b, 8)) => Some(b.len()),
        _ => None,
    };
    let Some(bytes) = to_bytes(c, subject) else {
        return badarg();
    };
    let mut m = o.m;
    m.newline = o.newline;
    m.bsr_anycrlf = o.bsr;
    let found = match re.exec(&bytes, &m) {
        Ok(f) => f,
        Err(ExecError::BadUtf8 | ExecError::BadOffset) => return badarg(),
        Err(e @ (ExecError::MatchLimit | ExecError::RecursionLimit)) => {
            if o.report_errors {
                let why = if e == ExecError::MatchLimit {
                    "match_limit"
                } else {
                    "match_limit_recursion"
                };
                let err = Word::atom(c.atoms.intern("error"));
                let w = Word::atom(c.atoms.intern(why));
                return Value(c.heap.tuple(0, &[err, w]));
            }
            None
        }
    };
    let Some(groups) = found else {
        return Value(Word::atom(c.atoms.intern("nomatch")));
    };
    let rc = groups.len();
    let picked: Vec<Option<(usize, usize)>> = match spec {
        Spec::None => return Value(Word::atom(c.atoms.intern("match"))),
        Spec::From(k) => groups.iter().skip(k).copied().collect(),
        Spec::Groups(gs) => gs
            .iter()
            .map(|alts| {
                let mut x = alts[0];
                if alts.len() > 1
                    && let Some(&g) = alts
                        .iter()
                        .find(|&&g| g >= 0 && (g as usize) < rc && groups[g as usize].is_some())
                {
                    x = g;
                }
                if x >= 0 && (x as usize) < rc {
                    groups[x as usize]
                } else {
                    None
                }
            })
            .collect(),
    };
    let items: Vec<Word> = picked
        .iter()
        .map(|g| match kind {
            Kind::Index => match g {
                // \K in a lookahead can end a match before its start: erl
                // reports the negative length.
                Some((a, b)) => {
                    let len = Word::small(*b as i64 - *a as i64).expect("small");
                    c.heap.tuple(0, &[small(*a), len])
                }
                None => {
                    let m1 = Word::small(-1).expect("small");
                    c.heap.tuple(0, &[m1, small(0)])
                }
            },
            Kind::List => {
                let (a, b) = g.map_or((0, 0), |(a, b)| (a, b.max(a)));
                let chars: Vec<Word> = bytes[a..b].iter().map(|&x| small(x as usize)).collect();
                list_of(c.heap, &chars)
            }
            Kind::Binary => {
                let (a, b) = g.map_or((0, 0), |(a, b)| (a, b.max(a)));
                match (bin_subject, g) {
                    (Some(len), Some(_)) => slice(c, subject, len * 8, a * 8, (b - a) * 8),
                    _ => binary_word(c, &bytes[a..b]),
                }
            }
        })
        .collect();
    let list = list_of(c.heap, &items);
    let tag = Word::atom(c.atoms.intern("match"));
    Value(c.heap.tuple(0, &[tag, list]))
}

fn inspect_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some((re, _)) = pattern_of(c, a[0]) else {
        return badarg();
    };
    if atom_name(c, a[1]).as_deref() != Some("namelist") {
        return badarg();
    }
    let mut names: Vec<&str> = Vec::new();
    for (n, _) in &re.names {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    let bins: Vec<Word> = names.iter().map(|n| binary_word(c, n.as_bytes())).collect();
    let list = list_of(c.heap, &bins);
    let tag = Word::atom(c.atoms.intern("namelist"));
    Value(c.heap.tuple(0, &[tag, list]))
}
