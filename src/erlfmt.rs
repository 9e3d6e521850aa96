//! Printing terms exactly as Erlang's `io_lib:write/1` (the `~w` control
//! sequence) prints them, so that our output can be compared byte for byte
//! with `erl`'s.

use std::fmt::Write;

use crate::term::Term;

/// Formats a term as `~w` does.
pub fn w(t: &Term) -> String {
    let mut s = String::new();
    write_w(&mut s, t);
    s
}

/// Appends a term formatted as `~w` does.
pub fn write_w(out: &mut String, t: &Term) {
    write_term(out, t, false);
}

/// Appends a term formatted as [`p`] does.
pub fn write_p(out: &mut String, t: &Term) {
    write_term(out, t, true);
}

/// What is left to write of a term, on a stack of its own, so that a term
/// of any depth prints without recursion.
enum Job<'a> {
    /// A whole term.
    Term(&'a Term),
    /// Fixed text.
    Text(&'static str),
    /// Sequence items after the first, each preceded by a comma.
    Rest(&'a [Term]),
}

/// Pushes the jobs that write `items` separated by commas (the first on top).
fn push_seq<'a>(jobs: &mut Vec<Job<'a>>, items: &'a [Term]) {
    if let Some((first, rest)) = items.split_first() {
        jobs.push(Job::Rest(rest));
        jobs.push(Job::Term(first));
    }
}

/// Pops the next term to write, writing fixed text and commas on the way.
fn next_term<'a>(jobs: &mut Vec<Job<'a>>, text: &mut dyn FnMut(&str)) -> Option<&'a Term> {
    loop {
        match jobs.pop()? {
            Job::Term(t) => return Some(t),
            Job::Text(s) => text(s),
            Job::Rest(items) => {
                if let Some((first, rest)) = items.split_first() {
                    text(",");
                    jobs.push(Job::Rest(rest));
                    return Some(first);
                }
            }
        }
    }
}

/// The one writer behind `~w` and [`p`]: `readable` turns on strings.
fn write_term(out: &mut String, t: &Term, readable: bool) {
    let mut jobs = vec![Job::Term(t)];
    while let Some(t) = next_term(&mut jobs, &mut |s| out.push_str(s)) {
        write_level(out, t, readable, &mut jobs);
    }
}

/// Writes what `t` has at its own level, and pushes the jobs for its
/// subterms.
fn write_level<'a>(out: &mut String, t: &'a Term, readable: bool, jobs: &mut Vec<Job<'a>>) {
    match t {
        Term::List(items, tail)
            if readable
                && matches!(**tail, Term::Nil)
                && items
                    .iter()
                    .all(|x| matches!(x, Term::Int(c) if printable(*c))) =>
        {
            write_string_lit(
                out,
                items.iter().map(|x| match x {
                    Term::Int(c) => char::from_u32(*c as u32).unwrap_or('?'),
                    _ => '?',
                }),
            );
        }
        Term::Binary(b)
            if readable
                && !b.is_empty()
                && std::str::from_utf8(b).is_ok_and(|s| s.chars().all(|c| printable(c as i64))) =>
        {
            out.push_str("<<");
            write_string_lit(out, std::str::from_utf8(b).unwrap_or("").chars());
            out.push_str(">>");
        }
        Term::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Term::Big(b) => {
            let _ = write!(out, "{b}");
        }
        Term::Float(f) => write_float(out, *f),
        Term::Atom(a) => write_atom(out, a),
        Term::Nil => out.push_str("[]"),
        Term::List(items, tail) => {
            out.push('[');
            jobs.push(Job::Text("]"));
            if !matches!(**tail, Term::Nil) {
                jobs.push(Job::Term(tail));
                jobs.push(Job::Text("|"));
            }
            push_seq(jobs, items);
        }
        Term::Tuple(items) => {
            out.push('{');
            jobs.push(Job::Text("}"));
            push_seq(jobs, items);
        }
        Term::Map(pairs) => {
            out.push_str("#{");
            jobs.push(Job::Text("}"));
            push_pairs(jobs, pairs, " => ");
        }
        Term::Binary(b) => write_bits(out, b, 8),
        Term::Bits(b, n) => write_bits(out, b, *n),
        Term::Pid { id, serial, .. } => {
            let _ = write!(out, "<0.{id}.{serial}>");
        }
        Term::Port { id, .. } => {
            let _ = write!(out, "#Port<0.{id}>");
        }
        Term::Ref { ids, .. } => {
            out.push_str("#Ref<0");
            for i in ids.iter().rev() {
                let _ = write!(out, ".{i}");
            }
            out.push('>');
        }
        Term::Export {
            module,
            function,
            arity,
        } => {
            out.push_str("fun ");
            write_atom(out, module);
            out.push(':');
            write_atom(out, function);
            let _ = write!(out, "/{arity}");
        }
        Term::Fun(c) => {
            out.push_str("#Fun<");
            out.push_str(&c.module);
            let _ = write!(out, ".{}.{}>", c.old_index, c.old_uniq);
        }
    }
}

/// Pushes the jobs that write a map's pairs in key order, `K => V`
/// separated by commas (the first on top).
fn push_pairs<'a>(jobs: &mut Vec<Job<'a>>, pairs: &'a [(Term, Term)], arrow: &'static str) {
    let sorted = Term::sorted_map(pairs);
    for (i, (k, v)) in sorted.into_iter().enumerate().rev() {
        jobs.push(Job::Term(v));
        jobs.push(Job::Text(arrow));
        jobs.push(Job::Term(k));
        if i > 0 {
            jobs.push(Job::Text(","));
        }
    }
}

/// Formats a term for people: like `~w`, but lists of printable characters
/// print as `"strings"` and printable binaries as `<<"text">>`, as `~p`
/// shows them (without `~p`'s line breaking).
pub fn p(t: &Term) -> String {
    let mut s = String::new();
    write_p(&mut s, t);
    s
}

fn printable(c: i64) -> bool {
    (0x20..=0x7e).contains(&c) || (0xa0..=0x10ffff).contains(&c) || matches!(c, 8..=13 | 27)
}

fn write_string_lit(out: &mut String, chars: impl Iterator<Item = char>) {
    out.push('"');
    for c in chars {
        if (c as u32) > 0xff {
            out.push(c);
        } else {
            write_quoted_char(out, c, '"');
        }
    }
    out.push('"');
}

/// `<<1,2,3>>`, with a last partial byte printed as `Value:Bits`.
fn write_bits(out: &mut String, bytes: &[u8], last_bits: u8) {
    out.push_str("<<");
    let n = bytes.len();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if i + 1 == n && last_bits < 8 {
            let _ = write!(out, "{}:{}", b >> (8 - last_bits), last_bits);
        } else {
            let _ = write!(out, "{b}");
        }
    }
    out.push_str(">>");
}

const RESERVED: &[&str] = &[
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive",
    "rem", "try", "when", "xor",
];

fn is_lower_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('ß'..='ÿ').contains(&c) && c != '÷')
}

fn is_name_char(c: char) -> bool {
    is_lower_start(c)
        || c.is_ascii_uppercase()
        || (('À'..='Þ').contains(&c) && c != '×')
        || c.is_ascii_digit()
        || c == '_'
        || c == '@'
}

/// Whether an atom must be quoted to read back as the same atom.
pub fn atom_needs_quotes(a: &str) -> bool {
    let mut cs = a.chars();
    match cs.next() {
        Some(c) if is_lower_start(c) => !cs.all(is_name_char) || RESERVED.contains(&a),
        _ => true,
    }
}

/// Writes an atom as `~w` does (latin-1 output: characters above 255 are escaped).
pub fn write_atom(out: &mut String, a: &str) {
    if !atom_needs_quotes(a) {
        out.push_str(a);
        return;
    }
    out.push('\'');
    for c in a.chars() {
        write_quoted_char(out, c, '\'');
    }
    out.push('\'');
}

/// One character inside a quoted atom or string, escaped as `io_lib` does
/// for latin-1 output.
pub fn write_quoted_char(out: &mut String, c: char, quote: char) {
    let n = c as u32;
    match c {
        _ if c == quote => {
            out.push('\\');
            out.push(c);
        }
        '\\' => out.push_str("\\\\"),
        ' '..='~' => out.push(c),
        _ if (0xa0..=0xff).contains(&n) => out.push(c),
        _ if n > 0xff => {
            let _ = write!(out, "\\x{{{n:X}}}");
        }
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\u{1b}' => out.push_str("\\e"),
        '\u{7f}' => out.push_str("\\d"),
        _ => {
            let _ = write!(out, "\\{}{}{}", (n >> 6) & 7, (n >> 3) & 7, n & 7);
        }
    }
}

/// Of the shortest digit strings that read back as `f` (positive), the one
/// nearest its exact value, and on a tie the one with an even last digit,
/// as erl chooses; Rust's shortest form can take the odd one of a tie
/// (`-217778543547808.125` prints as `...808.13`, erl as `...808.12`).
fn nearest_even(f: f64, digits: String, exp: i32) -> String {
    let last = digits.as_bytes()[digits.len() - 1];
    if last.is_multiple_of(2) {
        return digits;
    }
    let mut below = digits.clone().into_bytes();
    *below.last_mut().expect("digits") -= 1;
    let below = String::from_utf8(below).expect("ASCII digits");
    let read = |d: &str| {
        format!(
            "{}.{}e{exp}",
            &d[..1],
            if d.len() > 1 { &d[1..] } else { "0" }
        )
    };
    if read(&below).parse::<f64>() != Ok(f) {
        return digits;
    }
    // Both read back as f: a tie when f lies exactly halfway, that is when
    // its exact expansion is `below` followed by 5 and then only zeros.
    let precision = digits.len() + 800;
    let exact = format!("{f:.precision$e}");
    let (m, e) = exact.split_once('e').expect("an exponent");
    let exact: String = m.chars().filter(|c| *c != '.').collect();
    let tie = e.parse::<i32>() == Ok(exp)
        && exact.starts_with(&below)
        && exact[below.len()..].starts_with('5')
        && exact[below.len() + 1..].bytes().all(|b| b == b'0');
    if tie { below } else { digits }
}

/// A term as `erlang:display/1` prints it (the emulator's own printer, not
/// `io_lib`): strings of latin-1 characters and printable ASCII binaries
/// as text, floats as C's `%e`, maps as `#{K=>V}`, characters as single
/// bytes and atoms as their UTF-8. (A map of more than 32 keys, which erl
/// shows as its internal tree, prints as a flat one.)
pub fn display(t: &Term) -> Vec<u8> {
    let mut out = Vec::new();
    write_display(&mut out, t);
    out
}

fn write_display(out: &mut Vec<u8>, t: &Term) {
    let mut jobs = vec![Job::Term(t)];
    while let Some(t) = next_term(&mut jobs, &mut |s| out.extend_from_slice(s.as_bytes())) {
        display_level(out, t, &mut jobs);
    }
}

/// [`write_level`] for `erlang:display/1`.
fn display_level<'a>(out: &mut Vec<u8>, t: &'a Term, jobs: &mut Vec<Job<'a>>) {
    match t {
        Term::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Term::Big(b) => out.extend_from_slice(b.to_string().as_bytes()),
        Term::Float(f) => {
            // C's %e: six decimals, an exponent of at least two digits.
            let s = format!("{f:.6e}");
            let (m, e) = s.split_once('e').expect("an exponent");
            let e: i32 = e.parse().expect("an exponent");
            let sign = if e < 0 { '-' } else { '+' };
            out.extend_from_slice(format!("{m}e{sign}{:02}", e.abs()).as_bytes());
        }
        Term::Atom(a) => display_atom(out, a),
        Term::Nil => out.extend_from_slice(b"[]"),
        Term::List(items, tail)
            if matches!(**tail, Term::Nil) && items.iter().all(display_char) =>
        {
            out.push(b'"');
            for x in items {
                let Term::Int(c) = x else { continue };
                match *c as u8 {
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'"' => out.extend_from_slice(b"\\\""),
                    c => out.push(c),
                }
            }
            out.push(b'"');
        }
        Term::List(items, tail) => {
            out.push(b'[');
            jobs.push(Job::Text("]"));
            if !matches!(**tail, Term::Nil) {
                jobs.push(Job::Term(tail));
                jobs.push(Job::Text("|"));
            }
            push_seq(jobs, items);
        }
        Term::Tuple(items) => {
            out.push(b'{');
            jobs.push(Job::Text("}"));
            push_seq(jobs, items);
        }
        Term::Map(pairs) => {
            out.extend_from_slice(b"#{");
            jobs.push(Job::Text("}"));
            push_pairs(jobs, pairs, "=>");
        }
        Term::Binary(b) if !b.is_empty() && b.iter().all(|c| (b' '..=b'~').contains(c)) => {
            out.extend_from_slice(b"<<\"");
            for &c in b {
                if c == b'"' {
                    out.push(b'\\');
                }
                out.push(c);
            }
            out.extend_from_slice(b"\">>");
        }
        Term::Binary(b) => {
            let mut s = String::new();
            write_bits(&mut s, b, 8);
            out.extend_from_slice(s.as_bytes());
        }
        Term::Bits(b, n) => {
            let mut s = String::new();
            write_bits(&mut s, b, *n);
            out.extend_from_slice(s.as_bytes());
        }
        Term::Pid { .. } | Term::Port { .. } | Term::Ref { .. } => {
            let mut s = String::new();
            write_w(&mut s, t);
            out.extend_from_slice(s.as_bytes());
        }
        Term::Export {
            module,
            function,
            arity,
        } => {
            out.extend_from_slice(b"fun ");
            display_atom(out, module);
            out.push(b':');
            display_atom(out, function);
            out.extend_from_slice(format!("/{arity}").as_bytes());
        }
        Term::Fun(c) => {
            out.extend_from_slice(b"#Fun<");
            out.extend_from_slice(c.module.as_bytes());
            out.extend_from_slice(format!(".{}.{}>", c.old_index, c.old_uniq).as_bytes());
        }
    }
}

/// Whether `erlang:display/1` shows a list element as a character of a
/// string: a latin-1 character that is not a control character, or a
/// space, newline, tab or carriage return.
fn display_char(x: &Term) -> bool {
    matches!(x, Term::Int(c @ 0..=255)
        if !(*c < 32 || *c == 127 || (128..160).contains(c)) || matches!(c, 9 | 10 | 13 | 32))
}

/// An atom as `erlang:display/1` prints it: quoted unless it starts with a
/// lowercase latin-1 letter and goes on with latin-1 letters, digits and
/// `_`; ASCII control characters escaped (in octal when they have no
/// letter), the other characters as their UTF-8 bytes.
pub(crate) fn display_atom(out: &mut Vec<u8>, a: &str) {
    let lower = |c: char| c.is_ascii_lowercase() || (('ß'..='ÿ').contains(&c) && c != '÷');
    let alnum = |c: char| {
        lower(c)
            || c.is_ascii_uppercase()
            || c.is_ascii_digit()
            || (('À'..='Þ').contains(&c) && c != '×')
    };
    let mut cs = a.chars();
    let plain = cs.next().is_some_and(lower) && cs.all(|c| alnum(c) || c == '_');
    if plain {
        out.extend_from_slice(a.as_bytes());
        return;
    }
    out.push(b'\'');
    for c in a.chars() {
        match c {
            '\'' => out.extend_from_slice(b"\\'"),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{b}' => out.extend_from_slice(b"\\v"),
            _ if (c as u32) < 32 || (128..160).contains(&(c as u32)) => {
                out.extend_from_slice(format!("\\{:03o}", c as u32).as_bytes());
            }
            _ => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'\'');
}

/// Writes a float as `float_to_list(F, [short])` does: the shortest digits
/// that read back to the same float, in plain notation when that is no
/// longer than scientific notation (and the value is below 2^53, where
/// every integer is exact), else in scientific notation.
pub fn write_float(out: &mut String, f: f64) {
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    if !f.is_finite() {
        // Not an Erlang value (the readers refuse them); print something rather than fail.
        let _ = write!(out, "{f}");
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde-N".
    let sci = format!("{:e}", f.abs());
    let (mant, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let digits = nearest_even(f.abs(), digits, exp);
    let nd = digits.len() as i32;
    if f < 0.0 {
        out.push('-');
    }
    let sci_text = {
        let mut s = String::new();
        s.push_str(&digits[..1]);
        s.push('.');
        s.push_str(if nd > 1 { &digits[1..] } else { "0" });
        let _ = write!(s, "e{exp}");
        s
    };
    let plain_text = if exp >= 0 {
        if f.abs() >= 9007199254740992.0 {
            None
        } else if nd > exp + 1 {
            let (int, frac) = digits.split_at(exp as usize + 1);
            Some(format!("{int}.{frac}"))
        } else {
            Some(format!("{digits}{}.0", "0".repeat((exp + 1 - nd) as usize)))
        }
    } else {
        Some(format!("0.{}{digits}", "0".repeat((-exp - 1) as usize)))
    };
    match plain_text {
        Some(p) if p.len() <= sci_text.len() => out.push_str(&p),
        _ => out.push_str(&sci_text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, x);
        s
    }

    #[test]
    fn floats_follow_short_rules() {
        // Each expectation was checked against erl's ~w.
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1.0e3, "1.0e3"),
            (123456789.0, "123456789.0"),
            (1.2345678901234568e16, "1.2345678901234568e16"),
            (0.0001, "0.0001"),
            (1.0e-5, "1.0e-5"),
            (1.23e-4, "1.23e-4"),
            (9007199254740992.0, "9.007199254740992e15"),
            (9007199254740991.0, "9007199254740991.0"),
            (0.0012, "0.0012"),
            (-1.5e-7, "-1.5e-7"),
            (5.0e-324, "5.0e-324"),
            (120.0, "120.0"),
            (1200.0, "1.2e3"),
            // 2^-25 is 2.98023223876953125e-8: a tie, broken to even.
            (2.9802322387695312e-8, "2.9802322387695312e-8"),
        ];
        for (x, want) in cases {
            assert_eq!(f(x), want, "{x:e}");
        }
    }

    #[test]
    fn atoms_are_quoted_when_needed() {
        let q = |a: &str| {
            let mut s = String::new();
            write_atom(&mut s, a);
            s
        };
        assert_eq!(q("ok"), "ok");
        assert_eq!(q("Elixir.Foo"), "'Elixir.Foo'");
        assert_eq!(q("receive"), "'receive'");
        assert_eq!(q("maybe"), "maybe");
        assert_eq!(q(""), "''");
        assert_eq!(q("a\nb"), "'a\\nb'");
        assert_eq!(q("it's"), "'it\\'s'");
        assert_eq!(q("é"), "é");
        assert_eq!(q("\u{100}a"), "'\\x{100}a'");
        assert_eq!(q("a@b_1"), "a@b_1");
        assert_eq!(q("\u{1}"), "'\\001'");
    }

    #[test]
    fn compound_terms() {
        let t = Term::Tuple(vec![
            Term::List(vec![Term::atom("a")], Box::new(Term::atom("b"))),
            Term::Bits(vec![1, 0b0110_0000], 3),
            Term::Map(vec![
                (Term::atom("b"), Term::Int(2)),
                (Term::Int(1), Term::Nil),
            ]),
            Term::Export {
                module: "lists".into(),
                function: "map".into(),
                arity: 2,
            },
        ]);
        assert_eq!(w(&t), "{[a|b],<<1,3:3>>,#{1 => [],b => 2},fun lists:map/2}");
        let s = Term::Tuple(vec![
            Term::string("hi\n"),
            Term::Binary(b"ok".to_vec()),
            Term::string(""),
        ]);
        assert_eq!(p(&s), "{\"hi\\n\",<<\"ok\">>,[]}");
    }
}

/// Reading back what [`write_w`] writes (used by the LAM text format for
/// its literal table). Pids, ports, references and closures do not read
/// back; the text format stores such literals in the external format.
pub mod parse {
    use nom::branch::alt;
    use nom::bytes::complete::{tag, take_while, take_while1};
    use nom::character::complete::{char, digit1, multispace0};
    use nom::combinator::{map, map_res, opt, recognize};
    use nom::multi::separated_list0;
    use nom::sequence::{delimited, pair, preceded};
    use nom::{IResult, Parser};
    use num_bigint::BigInt;

    use crate::term::Term;

    fn ws<'a, O>(
        p: impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>>,
    ) -> impl Parser<&'a str, Output = O, Error = nom::error::Error<&'a str>> {
        delimited(multispace0, p, multispace0)
    }

    fn number(i: &str) -> IResult<&str, Term> {
        let (rest, text) = recognize((
            opt(char('-')),
            digit1,
            opt((char('.'), digit1)),
            opt((char('e'), opt(char('-')), digit1)),
        ))
        .parse(i)?;
        let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Digit));
        if text.contains('.') || text.contains('e') {
            let f: f64 = text.parse().map_err(|_| fail())?;
            Ok((rest, Term::Float(f)))
        } else {
            let b: BigInt = text.parse().map_err(|_| fail())?;
            Ok((rest, Term::int(b)))
        }
    }

    fn bare_atom(i: &str) -> IResult<&str, String> {
        let (rest, s) = recognize(pair(
            take_while1(|c: char| c.is_ascii_lowercase() || (('ß'..='ÿ').contains(&c) && c != '÷')),
            take_while(|c: char| {
                c.is_ascii_alphanumeric()
                    || c == '_'
                    || c == '@'
                    || (('À'..='ÿ').contains(&c) && c != '×' && c != '÷')
            }),
        ))
        .parse(i)?;
        Ok((rest, s.to_string()))
    }

    /// A quoted atom or string body, with io_lib's escapes.
    pub fn quoted(q: char) -> impl Fn(&str) -> IResult<&str, String> {
        move |i: &str| {
            let err = |at| nom::Err::Error(nom::error::Error::new(at, nom::error::ErrorKind::Char));
            let Some(mut rest) = i.strip_prefix(q) else {
                return Err(err(i));
            };
            let mut out = String::new();
            loop {
                let mut cs = rest.chars();
                match cs.next() {
                    None => return Err(err(rest)),
                    Some(c) if c == q => return Ok((cs.as_str(), out)),
                    Some('\\') => {
                        let after = cs.as_str();
                        let mut cs2 = after.chars();
                        let e = cs2.next().ok_or_else(|| err(rest))?;
                        rest = match e {
                            'n' | 'r' | 't' | 'v' | 'b' | 'f' | 'e' | 'd' | 's' => {
                                out.push(match e {
                                    'n' => '\n',
                                    'r' => '\r',
                                    't' => '\t',
                                    'v' => '\u{b}',
                                    'b' => '\u{8}',
                                    'f' => '\u{c}',
                                    'e' => '\u{1b}',
                                    'd' => '\u{7f}',
                                    _ => ' ',
                                });
                                cs2.as_str()
                            }
                            'x' => {
                                let body =
                                    cs2.as_str().strip_prefix('{').ok_or_else(|| err(rest))?;
                                let end = body.find('}').ok_or_else(|| err(rest))?;
                                let n =
                                    u32::from_str_radix(&body[..end], 16).map_err(|_| err(rest))?;
                                out.push(char::from_u32(n).ok_or_else(|| err(rest))?);
                                &body[end + 1..]
                            }
                            '0'..='7' => {
                                let digits: String = after
                                    .chars()
                                    .take(3)
                                    .take_while(|c| ('0'..='7').contains(c))
                                    .collect();
                                let n = u32::from_str_radix(&digits, 8).map_err(|_| err(rest))?;
                                out.push(char::from_u32(n).ok_or_else(|| err(rest))?);
                                &after[digits.len()..]
                            }
                            c => {
                                out.push(c);
                                cs2.as_str()
                            }
                        };
                    }
                    Some(c) => {
                        out.push(c);
                        rest = cs.as_str();
                    }
                }
            }
        }
    }

    /// An atom, bare or quoted.
    pub fn atom(i: &str) -> IResult<&str, String> {
        alt((quoted('\''), bare_atom)).parse(i)
    }

    fn list(i: &str) -> IResult<&str, Term> {
        let (i, _) = char('[').parse(i)?;
        let (i, items) = separated_list0(ws(char(',')), ws(term)).parse(i)?;
        let (i, tail) = opt(preceded(ws(char('|')), ws(term))).parse(i)?;
        let (i, _) = char(']').parse(i)?;
        let tail = tail.unwrap_or(Term::Nil);
        Ok((
            i,
            if items.is_empty() {
                tail
            } else {
                Term::List(items, Box::new(tail))
            },
        ))
    }

    fn tuple(i: &str) -> IResult<&str, Term> {
        map(
            delimited(
                char('{'),
                separated_list0(ws(char(',')), ws(term)),
                char('}'),
            ),
            Term::Tuple,
        )
        .parse(i)
    }

    fn map_term(i: &str) -> IResult<&str, Term> {
        let pair_p = (ws(term), tag("=>"), ws(term));
        map(
            delimited(tag("#{"), separated_list0(ws(char(',')), pair_p), char('}')),
            |pairs| Term::Map(pairs.into_iter().map(|(k, _, v)| (k, v)).collect()),
        )
        .parse(i)
    }

    fn byte(i: &str) -> IResult<&str, u8> {
        map_res(digit1, str::parse::<u8>).parse(i)
    }

    fn binary(i: &str) -> IResult<&str, Term> {
        let seg = (
            ws(byte),
            opt(preceded(char(':'), map_res(digit1, str::parse::<u8>))),
        );
        let (rest, segs) =
            delimited(tag("<<"), separated_list0(char(','), seg), tag(">>")).parse(i)?;
        let fail = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Verify));
        let mut bytes = Vec::with_capacity(segs.len());
        let n = segs.len();
        for (k, (v, bits)) in segs.into_iter().enumerate() {
            match bits {
                None => bytes.push(v),
                Some(b) if k + 1 == n && (1..8).contains(&b) && (v as u16) < (1 << b) => {
                    bytes.push(v << (8 - b));
                    return Ok((rest, Term::Bits(bytes, b)));
                }
                Some(_) => return Err(fail()),
            }
        }
        Ok((rest, Term::Binary(bytes)))
    }

    fn export(i: &str) -> IResult<&str, Term> {
        let (i, (_, m, _, f, _, a)) = (
            tag("fun "),
            atom,
            char(':'),
            atom,
            char('/'),
            map_res(digit1, str::parse::<u8>),
        )
            .parse(i)?;
        Ok((
            i,
            Term::Export {
                module: m.into(),
                function: f.into(),
                arity: a,
            },
        ))
    }

    /// One term, as `~w` prints it.
    pub fn term(i: &str) -> IResult<&str, Term> {
        alt((
            export,
            number,
            map(atom, |a| Term::Atom(a.into())),
            list,
            tuple,
            map_term,
            binary,
        ))
        .parse(i)
    }

    /// Parses a whole string as one term.
    pub fn whole(s: &str) -> Result<Term, String> {
        match ws(term).parse(s) {
            Ok(("", t)) => Ok(t),
            Ok((rest, _)) => Err(format!("unexpected text after the term: {rest:.20}")),
            Err(e) => Err(format!("not a term: {e}")),
        }
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn what_w_writes_reads_back() {
        let terms = [
            "0",
            "-12345678901234567890123",
            "1.0e-5",
            "-0.0",
            "ok",
            "'Elixir.Foo'",
            "'a\\nb\\'c\\x{100}\\001'",
            "é",
            "[]",
            "[1,[2]|a]",
            "{}",
            "{a,{b,<<1,2,7:3>>}}",
            "#{}",
            "#{1 => [],b => 2}",
            "<<>>",
            "fun lists:map/2",
            "fun erlang:'+'/2",
        ];
        for text in terms {
            let t = parse::whole(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(w(&t), text);
        }
        assert!(parse::whole("{a,").is_err());
        assert!(parse::whole("<<1:9>>").is_err());
        assert!(parse::whole("a b").is_err());
    }
}
