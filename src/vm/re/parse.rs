//! The pattern parser: PCRE 8 syntax to a tree ([`Node`]), with PCRE 8's
//! error messages and offsets (in bytes of the pattern, as erl reports them).

// The items are named after PCRE's syntax and erl's options, which
// docs/re.md describes.
#![allow(missing_docs)]

use super::{CompileOptions, Newline};

/// Greedy, lazy or possessive repetition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Greed {
    Greedy,
    Lazy,
    Possessive,
}

/// A zero-width assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assert {
    /// `^`: multiline or not.
    Caret(bool),
    /// `$`: multiline or not.
    Dollar(bool),
    /// `\A`
    Start,
    /// `\z`
    End,
    /// `\Z`
    EndOrNewline,
    /// `\b`
    WordB,
    /// `\B`
    NotWordB,
    /// `\G`
    StartOffset,
}

/// A predefined set of characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Set {
    Digit,
    Word,
    Space,
    HSpace,
    VSpace,
    Posix(Posix),
    Prop(Prop),
}

/// A POSIX class name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posix {
    Alpha,
    Lower,
    Upper,
    Alnum,
    Ascii,
    Blank,
    Cntrl,
    Digit,
    Graph,
    Print,
    Punct,
    Space,
    Word,
    Xdigit,
}

/// A Unicode property, as far as LAM knows them (see docs/re.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prop {
    Any,
    L,
    Lu,
    Ll,
    Lt,
    Lm,
    Lo,
    N,
    Nd,
    Nl,
    No,
    P,
    S,
    Z,
    Zs,
    Zl,
    Zp,
    C,
    Cc,
    M,
    Xan,
    Xsp,
    Xps,
    Xwd,
    Script(Script),
}

/// The scripts LAM knows, by code point ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Hebrew,
    Arabic,
    Devanagari,
    Thai,
    Georgian,
    Hangul,
    Hiragana,
    Katakana,
    Han,
    Common,
}

/// One item of a bracketed class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Range(u32, u32),
    Set(Set, bool),
}

/// A bracketed class (or an escape such as `\d` outside one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub neg: bool,
    pub nocase: bool,
    pub items: Vec<Item>,
    /// Written as an escape such as `\w`, not in brackets.
    pub escape: bool,
}

/// A reference to a group, by number or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRef {
    Num(u32),
    Name(String, usize),
}

/// The condition of a conditional group.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Group(GroupRef),
    Recursion,
    Define,
    Look(bool, bool, Box<Node>),
}

/// A pattern tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Empty,
    Lit(u32, bool),
    Dot(bool),
    Class(Box<Class>),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Group(Option<u32>, Box<Node>),
    Repeat(Box<Node>, u32, Option<u32>, Greed),
    Atomic(Box<Node>),
    /// ahead, negated, body
    Look(bool, bool, Box<Node>),
    Backref(GroupRef, bool),
    Assert(Assert),
    Keep,
    Cond(Box<Cond>, Box<Node>, Box<Node>),
    /// A recursion, and the offset PCRE reports it at.
    Recurse(GroupRef, usize),
    Fail,
    Newline,
    Grapheme,
}

/// A compile error: PCRE's message and its byte offset.
pub type Error = (&'static str, usize);

#[derive(Clone, Copy)]
struct Flags {
    caseless: bool,
    multiline: bool,
    dotall: bool,
    extended: bool,
    ungreedy: bool,
    dupnames: bool,
    no_auto_capture: bool,
}

/// What parsing gives: the tree, the number of groups and their names.
pub struct Parsed {
    pub node: Node,
    pub groups: u32,
    pub names: Vec<(String, u32)>,
    /// Options the pattern set at its start with `(*...)` verbs.
    pub newline: Option<Newline>,
    pub bsr_anycrlf: Option<bool>,
    pub ucp: bool,
    pub utf: bool,
}

struct Parser<'a> {
    chars: Vec<u32>,
    offsets: Vec<usize>,
    pos: usize,
    groups: u32,
    names: Vec<(String, u32)>,
    refs: Vec<(String, usize)>,
    max_num_ref: (u32, usize),
    opts: &'a CompileOptions,
    depth: usize,
    captures_open: usize,
}

/// Parses a pattern (code points, each with its byte offset; the offsets
/// have one more entry, the pattern's length).
pub fn parse(chars: Vec<u32>, offsets: Vec<usize>, opts: &CompileOptions) -> Result<Parsed, Error> {
    let mut p = Parser {
        chars,
        offsets,
        pos: 0,
        groups: 0,
        names: Vec::new(),
        refs: Vec::new(),
        max_num_ref: (0, 0),
        opts,
        depth: 0,
        captures_open: 0,
    };
    let (mut newline, mut bsr, mut ucp, mut utf) = (None, None, false, false);
    // Leading (*VERB) settings.
    loop {
        let rest: String = p.chars[p.pos..]
            .iter()
            .take(20)
            .filter_map(|&c| char::from_u32(c))
            .collect();
        let known = [
            ("(*CR)", 0),
            ("(*LF)", 1),
            ("(*CRLF)", 2),
            ("(*ANYCRLF)", 3),
            ("(*ANY)", 4),
            ("(*BSR_ANYCRLF)", 5),
            ("(*BSR_UNICODE)", 6),
            ("(*UCP)", 7),
            ("(*UTF8)", 8),
            ("(*UTF)", 8),
            ("(*NO_START_OPT)", 9),
        ];
        let Some((text, k)) = known.iter().find(|(t, _)| rest.starts_with(t)) else {
            break;
        };
        p.pos += text.len();
        match k {
            0 => newline = Some(Newline::Cr),
            1 => newline = Some(Newline::Lf),
            2 => newline = Some(Newline::Crlf),
            3 => newline = Some(Newline::AnyCrlf),
            4 => newline = Some(Newline::Any),
            5 => bsr = Some(true),
            6 => bsr = Some(false),
            7 => ucp = true,
            8 => utf = true,
            _ => {}
        }
    }
    let flags = Flags {
        caseless: opts.caseless,
        multiline: opts.multiline,
        dotall: opts.dotall,
        extended: opts.extended,
        ungreedy: opts.ungreedy,
        dupnames: opts.dupnames,
        no_auto_capture: opts.no_auto_capture,
    };
    let node = p.alternation(flags)?;
    if p.pos < p.chars.len() {
        // Only a `)` stops the top level early.
        return Err(("unmatched parentheses", p.off(p.pos)));
    }
    for (name, at) in &p.refs {
        if !p.names.iter().any(|(n, _)| n == name) {
            return Err(("reference to non-existent subpattern", *at));
        }
    }
    if p.max_num_ref.0 > p.groups {
        return Err(("reference to non-existent subpattern", p.max_num_ref.1));
    }
    check_left_recursion(&node, &p.names)?;
    Ok(Parsed {
        node,
        groups: p.groups,
        names: p.names,
        newline,
        bsr_anycrlf: bsr,
        ucp,
        utf,
    })
}

/// Whether a node can match the empty string (conservatively: `true` when
/// unsure).
pub fn nullable(n: &Node) -> bool {
    match n {
        Node::Lit(..) | Node::Dot(_) | Node::Class(_) | Node::Newline | Node::Grapheme => false,
        Node::Seq(v) => v.iter().all(nullable),
        Node::Alt(v) => v.iter().any(nullable),
        Node::Group(_, b) | Node::Atomic(b) => nullable(b),
        Node::Repeat(b, min, _, _) => *min == 0 || nullable(b),
        Node::Fail => false,
        _ => true,
    }
}

/// The fixed length of what a node matches, in characters, if it has one.
pub fn fixed_len(n: &Node) -> Option<u32> {
    match n {
        Node::Empty | Node::Assert(_) | Node::Look(..) | Node::Keep | Node::Fail => Some(0),
        Node::Lit(..) | Node::Dot(_) | Node::Class(_) => Some(1),
        Node::Seq(v) => v.iter().try_fold(0u32, |a, x| Some(a + fixed_len(x)?)),
        Node::Alt(v) => {
            let first = fixed_len(v.first()?)?;
            v.iter()
                .all(|x| fixed_len(x) == Some(first))
                .then_some(first)
        }
        Node::Group(_, b) | Node::Atomic(b) => fixed_len(b),
        Node::Repeat(b, min, Some(max), _) if min == max => Some(fixed_len(b)? * min),
        _ => None,
    }
}

/// The recursions a node can reach before it consumes a character.
fn leftmost_recursions<'a>(n: &'a Node, out: &mut Vec<(&'a GroupRef, usize)>) {
    match n {
        Node::Recurse(r, at) => out.push((r, *at)),
        Node::Seq(v) => {
            for x in v {
                leftmost_recursions(x, out);
                if !nullable(x) {
                    break;
                }
            }
        }
        Node::Alt(v) => v.iter().for_each(|x| leftmost_recursions(x, out)),
        Node::Group(_, b) | Node::Atomic(b) | Node::Repeat(b, ..) | Node::Look(_, _, b) => {
            leftmost_recursions(b, out)
        }
        Node::Cond(_, y, no) => {
            leftmost_recursions(y, out);
            leftmost_recursions(no, out);
        }
        _ => {}
    }
}

/// PCRE refuses a recursion into a group (or the whole pattern) that the
/// group reaches again before consuming anything: it would never end.
fn check_left_recursion(root: &Node, names: &[(String, u32)]) -> Result<(), Error> {
    let targets = |r: &GroupRef| -> Vec<u32> {
        match r {
            GroupRef::Num(n) => vec![*n],
            GroupRef::Name(name, _) => names
                .iter()
                .filter(|(x, _)| x == name)
                .map(|(_, g)| *g)
                .collect(),
        }
    };
    let mut found = Vec::new();
    leftmost_recursions(root, &mut found);
    if let Some((_, at)) = found.iter().find(|(r, _)| targets(r).contains(&0)) {
        return Err(("recursive call could loop indefinitely", *at));
    }
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match n {
            Node::Group(Some(g), b) => {
                let mut found = Vec::new();
                leftmost_recursions(b, &mut found);
                if let Some((_, at)) = found.iter().find(|(r, _)| targets(r).contains(g)) {
                    return Err(("recursive call could loop indefinitely", *at));
                }
                stack.push(b);
            }
            Node::Seq(v) | Node::Alt(v) => stack.extend(v.iter()),
            Node::Group(None, b) | Node::Atomic(b) | Node::Repeat(b, ..) | Node::Look(_, _, b) => {
                stack.push(b)
            }
            Node::Cond(c, y, no) => {
                if let Cond::Look(_, _, b) = &**c {
                    stack.push(b);
                }
                stack.push(y);
                stack.push(no);
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_digit(c: u32) -> bool {
    (b'0' as u32..=b'9' as u32).contains(&c)
}

fn is_word_char(c: u32) -> bool {
    c < 128 && ((c as u8).is_ascii_alphanumeric() || c == b'_' as u32)
}

impl Parser<'_> {
    fn off(&self, i: usize) -> usize {
        self.offsets[i.min(self.offsets.len() - 1)]
    }

    fn end_off(&self) -> usize {
        *self.offsets.last().unwrap_or(&0)
    }

    fn peek(&self) -> Option<u32> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u32> {
        self.chars.get(self.pos + k).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c as u32) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn looking_at(&self, s: &str) -> bool {
        s.bytes()
            .enumerate()
            .all(|(i, b)| self.peek_at(i) == Some(b as u32))
    }

    fn is_newline_at(&self, i: usize) -> Option<usize> {
        let c = *self.chars.get(i)?;
        let next = self.chars.get(i + 1).copied();
        match self.opts.newline {
            Newline::Lf => (c == 10).then_some(1),
            Newline::Cr => (c == 13).then_some(1),
            Newline::Crlf => (c == 13 && next == Some(10)).then_some(2),
            Newline::AnyCrlf => match c {
                13 if next == Some(10) => Some(2),
                10 | 13 => Some(1),
                _ => None,
            },
            Newline::Any => match c {
                13 if next == Some(10) => Some(2),
                10..=13 | 0x85 | 0x2028 | 0x2029 => Some(1),
                _ => None,
            },
        }
    }

    /// Skips white space and comments in extended mode.
    fn skip_extended(&mut self, f: Flags) {
        if !f.extended {
            return;
        }
        loop {
            match self.peek() {
                Some(9..=13 | 32) => self.pos += 1,
                Some(35) => {
                    self.pos += 1;
                    while self.pos < self.chars.len() {
                        if let Some(n) = self.is_newline_at(self.pos) {
                            self.pos += n;
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn alternation(&mut self, mut f: Flags) -> Result<Node, Error> {
        self.depth += 1;
        if self.depth > 1500 {
            return Err(("regular expression is too complicated", self.off(self.pos)));
        }
        let mut alts = vec![self.sequence(&mut f)?];
        while self.eat(b'|') {
            alts.push(self.sequence(&mut f)?);
        }
        self.depth -= 1;
        Ok(if alts.len() == 1 {
            alts.pop().expect("one")
        } else {
            Node::Alt(alts)
        })
    }

    /// A branch reset group's alternatives, each numbering its groups from
    /// the same start.
    fn branch_reset(&mut self, mut f: Flags) -> Result<Node, Error> {
        let start = self.groups;
        let mut most = start;
        let mut alts = Vec::new();
        loop {
            self.groups = start;
            alts.push(self.sequence(&mut f)?);
            most = most.max(self.groups);
            if !self.eat(b'|') {
                break;
            }
        }
        self.groups = most;
        Ok(Node::Alt(alts))
    }

    fn sequence(&mut self, f: &mut Flags) -> Result<Node, Error> {
        let mut items: Vec<Node> = Vec::new();
        loop {
            self.skip_extended(*f);
            let Some(c) = self.peek() else { break };
            if c == b'|' as u32 || c == b')' as u32 {
                break;
            }
            let start = self.pos;
            let atom = self.atom(f)?;
            let Some(atom) = atom else { continue };
            let atom = self.quantifiers(atom, start, *f)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().expect("one"),
            _ => Node::Seq(items),
        })
    }

    /// A `{n}`, `{n,}` or `{n,m}` quantifier at the current position, if
    /// one is there (else `{` is a literal).
    fn counted(&mut self) -> Result<Option<(u32, Option<u32>)>, Error> {
        let save = self.pos;
        if !self.eat(b'{') {
            return Ok(None);
        }
        let num = |p: &mut Parser| -> Result<Option<u32>, Error> {
            let s = p.pos;
            let mut n: u64 = 0;
            while let Some(c) = p.peek().filter(|&c| is_digit(c)) {
                n = n * 10 + u64::from(c - b'0' as u32);
                p.pos += 1;
                if n > 65535 {
                    while p.peek().is_some_and(is_digit) {
                        p.pos += 1;
                    }
                    return Err(("number too big in {} quantifier", p.off(p.pos)));
                }
            }
            Ok((p.pos > s).then_some(n as u32))
        };
        // A quantifier only if the syntax is whole; check first.
        let mut i = self.pos;
        let digits = |i: &mut usize, p: &Parser| {
            let s = *i;
            while p.chars.get(*i).copied().is_some_and(is_digit) {
                *i += 1;
            }
            *i > s
        };
        let ok = digits(&mut i, self)
            && match self.chars.get(i).copied() {
                Some(125) => true,
                Some(44) => {
                    i += 1;
                    digits(&mut i, self);
                    self.chars.get(i) == Some(&125)
                }
                _ => false,
            };
        if !ok {
            self.pos = save;
            return Ok(None);
        }
        let min = num(self)?.expect("digits");
        let max = if self.eat(b',') {
            num(self)?
        } else {
            Some(min)
        };
        self.pos += 1; // '}'
        if let Some(m) = max
            && m < min
        {
            return Err((
                "numbers out of order in {} quantifier",
                self.off(self.pos - 1),
            ));
        }
        Ok(Some((min, max)))
    }

    fn quantifiers(&mut self, mut atom: Node, start: usize, f: Flags) -> Result<Node, Error> {
        let mut repeated = false;
        loop {
            self.skip_extended(f);
            let at = self.pos;
            let q = match self.peek() {
                Some(42) => {
                    self.pos += 1;
                    Some((0, None))
                }
                Some(43) => {
                    self.pos += 1;
                    Some((1, None))
                }
                Some(63) => {
                    self.pos += 1;
                    Some((0, Some(1)))
                }
                Some(123) => self.counted()?,
                _ => None,
            };
            let Some((min, max)) = q else {
                return Ok(atom);
            };
            let repeatable = !matches!(atom, Node::Assert(_) | Node::Keep | Node::Empty)
                || matches!(atom, Node::Empty if false);
            if repeated || !repeatable {
                let _ = at;
                return Err(("nothing to repeat", self.off(self.pos - 1)));
            }
            let _ = start;
            let mut greed = if f.ungreedy {
                Greed::Lazy
            } else {
                Greed::Greedy
            };
            if self.eat(b'+') {
                greed = Greed::Possessive;
            } else if self.eat(b'?') {
                greed = if f.ungreedy {
                    Greed::Greedy
                } else {
                    Greed::Lazy
                };
            }
            // A lookaround repeated: PCRE treats a maximum above one as one.
            if let Node::Look(..) = atom {
                let max = max.map(|m| m.min(1)).or(Some(1));
                atom = if min == 0 {
                    Node::Repeat(Box::new(atom), 0, max, greed)
                } else {
                    atom
                };
            } else {
                atom = Node::Repeat(Box::new(atom), min, max, greed);
            }
            repeated = true;
        }
    }

    /// Each alternative of a lookbehind must have a fixed length.
    fn check_behind(&self, body: &Node) -> Result<(), Error> {
        let ok = match body {
            Node::Alt(v) => v.iter().all(|a| fixed_len(a).is_some()),
            other => fixed_len(other).is_some(),
        };
        if ok {
            Ok(())
        } else {
            Err((
                "lookbehind assertion is not fixed length",
                self.off(self.pos),
            ))
        }
    }

    fn group_name(&mut self, term: u8) -> Result<String, Error> {
        let s = self.pos;
        let mut name = String::new();
        while let Some(c) = self.peek().filter(|&c| is_word_char(c)) {
            name.push(char::from_u32(c).unwrap_or('?'));
            self.pos += 1;
        }
        if self.peek() != Some(term as u32) {
            if self.pos == s {
                return Err(("group name must start with a non-digit", self.off(self.pos)));
            }
            return Err((
                "syntax error in subpattern name (missing terminator)",
                self.off(self.pos),
            ));
        }
        if name.is_empty() {
            return Err(("group name must start with a non-digit", self.off(self.pos)));
        }
        if name.len() > 32 {
            return Err((
                "subpattern name is too long (maximum 32 characters)",
                self.off(self.pos),
            ));
        }
        if is_digit(name.as_bytes()[0] as u32) {
            return Err(("group name must start with a non-digit", self.off(s)));
        }
        self.pos += 1;
        Ok(name)
    }

    fn new_group(&mut self, name: Option<String>, f: Flags) -> Result<u32, Error> {
        self.groups += 1;
        let n = self.groups;
        if let Some(name) = name {
            if let Some((_, m)) = self.names.iter().find(|(x, _)| *x == name)
                && !f.dupnames
                && *m != n
            {
                return Err((
                    "two named subpatterns have the same name",
                    self.off(self.pos - 1),
                ));
            }
            if !self.names.iter().any(|(x, m)| *x == name && *m == n) {
                self.names.push((name, n));
            }
        }
        Ok(n)
    }

    fn close(&mut self) -> Result<(), Error> {
        if self.eat(b')') {
            Ok(())
        } else {
            Err(("missing )", self.end_off()))
        }
    }

    /// A group after its `(`.
    fn group(&mut self, f: &mut Flags) -> Result<Option<Node>, Error> {
        if self.eat(b'*') {
            // Verbs.
            let s = self.pos;
            while self.peek().is_some_and(|c| c != b')' as u32) {
                self.pos += 1;
            }
            let verb: String = self.chars[s..self.pos]
                .iter()
                .filter_map(|&c| char::from_u32(c))
                .collect();
            if self.peek().is_none() {
                return Err(("(*VERB) not recognized or malformed", self.off(self.pos)));
            }
            self.pos += 1;
            return match verb.as_str() {
                "FAIL" | "F" => Ok(Some(Node::Fail)),
                "ACCEPT" | "COMMIT" | "PRUNE" | "SKIP" | "THEN" => Err((
                    "(*VERB) not recognized or malformed",
                    self.off(self.pos - 1),
                )),
                _ => Err((
                    "(*VERB) not recognized or malformed",
                    self.off(self.pos - 1),
                )),
            };
        }
        if !self.eat(b'?') {
            let idx = if f.no_auto_capture {
                None
            } else {
                Some(self.new_group(None, *f)?)
            };
            // PCRE's compile workspace holds 798 nested capturing groups.
            self.captures_open += 1;
            if self.captures_open > 798 {
                return Err(("regular expression is too complicated", self.off(self.pos)));
            }
            let body = self.alternation(*f)?;
            self.captures_open -= 1;
            self.close()?;
            return Ok(Some(Node::Group(idx, Box::new(body))));
        }
        let at = self.pos;
        let Some(c) = self.peek() else {
            return Err(("unrecognized character after (? or (?-", self.off(at)));
        };
        let c = char::from_u32(c).unwrap_or('\0');
        match c {
            '#' => {
                while self.peek().is_some_and(|c| c != b')' as u32) {
                    self.pos += 1;
                }
                if self.peek().is_none() {
                    return Err(("missing ) after comment", self.end_off()));
                }
                self.pos += 1;
                Ok(None)
            }
            ':' | '|' | '>' | '=' | '!' => {
                self.pos += 1;
                let body = if c == '|' {
                    self.branch_reset(*f)?
                } else {
                    self.alternation(*f)?
                };
                self.close()?;
                let b = Box::new(body);
                Ok(Some(match c {
                    ':' | '|' => Node::Group(None, b),
                    '>' => Node::Atomic(b),
                    '=' => Node::Look(true, false, b),
                    _ => {
                        if matches!(*b, Node::Empty) {
                            Node::Fail
                        } else {
                            Node::Look(true, true, b)
                        }
                    }
                }))
            }
            '<' if matches!(self.peek_at(1), Some(61 | 33)) => {
                let neg = self.peek_at(1) == Some(33);
                self.pos += 2;
                let body = self.alternation(*f)?;
                self.check_behind(&body)?;
                self.close()?;
                Ok(Some(Node::Look(false, neg, Box::new(body))))
            }
            '<' | '\'' | 'P' => {
                self.pos += 1;
                let term = match c {
                    '<' => b'>',
                    '\'' => b'\'',
                    _ => {
                        if self.eat(b'<') {
                            b'>'
                        } else if self.eat(b'=') {
                            let name = self.group_name(b')')?;
                            let at = self.off(self.pos - 1);
                            self.refs.push((name.clone(), at));
                            return Ok(Some(Node::Backref(GroupRef::Name(name, at), f.caseless)));
                        } else if self.eat(b'>') {
                            let name = self.group_name(b')')?;
                            let at = self.off(self.pos - 1);
                            self.refs.push((name.clone(), at));
                            return Ok(Some(Node::Recurse(GroupRef::Name(name, at), at)));
                        } else {
                            return Err(("unrecognized character after (?P", self.off(self.pos)));
                        }
                    }
                };
                if c == '<' && !self.peek().is_some_and(is_word_char) {
                    return Err(("unrecognized character after (?<", self.off(self.pos)));
                }
                let name = self.group_name(term)?;
                let idx = self.new_group(Some(name), *f)?;
                let body = self.alternation(*f)?;
                self.close()?;
                Ok(Some(Node::Group(Some(idx), Box::new(body))))
            }
            '&' => {
                self.pos += 1;
                let name = self.group_name(b')')?;
                let at = self.off(self.pos - 1);
                self.refs.push((name.clone(), at));
                Ok(Some(Node::Recurse(GroupRef::Name(name, at), at)))
            }
            'R' | '0'..='9' | '+' | '-' if c != '-' || self.peek_at(1).is_some_and(is_digit) => {
                let rel = match c {
                    '+' => 1,
                    '-' => -1,
                    _ => 0,
                };
                if rel != 0 {
                    self.pos += 1;
                }
                let n = if c == 'R' {
                    self.pos += 1;
                    0
                } else {
                    let mut n: u32 = 0;
                    while let Some(d) = self.peek().filter(|&d| is_digit(d)) {
                        n = n.saturating_mul(10).saturating_add(d - 48);
                        self.pos += 1;
                    }
                    n
                };
                if self.peek() != Some(b')' as u32) {
                    return Err((
                        "(?R or (?[+-]digits must be followed by )",
                        self.off(self.pos),
                    ));
                }
                let at = self.off(self.pos);
                let n = match rel {
                    1 => self.groups + n,
                    -1 => {
                        if n == 0 || n > self.groups {
                            return Err(("reference to non-existent subpattern", at));
                        }
                        self.groups + 1 - n
                    }
                    _ => n,
                };
                self.pos += 1;
                if n > self.max_num_ref.0 {
                    self.max_num_ref = (n, at);
                }
                Ok(Some(Node::Recurse(GroupRef::Num(n), at)))
            }
            '(' => {
                self.pos += 1;
                self.conditional(f)
            }
            _ => {
                // Option settings: (?imsxUJ-imsxUJ) or (?imsx-imsx:...).
                let mut nf = *f;
                let mut on = true;
                loop {
                    let Some(ch) = self.peek() else {
                        return Err(("unrecognized character after (? or (?-", self.off(self.pos)));
                    };
                    match char::from_u32(ch).unwrap_or('\0') {
                        'i' => nf.caseless = on,
                        'm' => nf.multiline = on,
                        's' => nf.dotall = on,
                        'x' => nf.extended = on,
                        'U' => nf.ungreedy = on,
                        'J' => nf.dupnames = on,
                        'X' => {}
                        '-' if on => on = false,
                        ')' => {
                            self.pos += 1;
                            *f = nf;
                            return Ok(None);
                        }
                        ':' => {
                            self.pos += 1;
                            let body = self.alternation(nf)?;
                            self.close()?;
                            return Ok(Some(Node::Group(None, Box::new(body))));
                        }
                        _ => {
                            return Err((
                                "unrecognized character after (? or (?-",
                                self.off(self.pos),
                            ));
                        }
                    }
                    self.pos += 1;
                }
            }
        }
    }

    /// A conditional group after its `(?(`.
    fn conditional(&mut self, f: &mut Flags) -> Result<Option<Node>, Error> {
        let cond = if self.looking_at("?=")
            || self.looking_at("?!")
            || self.looking_at("?<=")
            || self.looking_at("?<!")
        {
            self.pos += 1;
            let ahead = !self.eat(b'<');
            let neg = self.peek() == Some(b'!' as u32);
            self.pos += 1;
            let body = self.alternation(*f)?;
            if !ahead {
                self.check_behind(&body)?;
            }
            self.close()?;
            Cond::Look(ahead, neg, Box::new(body))
        } else if self.looking_at("R)") {
            self.pos += 2;
            Cond::Recursion
        } else if self.looking_at("DEFINE)") {
            self.pos += 7;
            Cond::Define
        } else if self.peek().is_some_and(is_digit) {
            let mut n: u32 = 0;
            while let Some(d) = self.peek().filter(|&d| is_digit(d)) {
                n = n.saturating_mul(10).saturating_add(d - 48);
                self.pos += 1;
            }
            if !self.eat(b')') {
                return Err(("malformed number or name after (?(", self.off(self.pos)));
            }
            if n == 0 {
                return Err(("invalid condition (?(0)", self.off(self.pos - 1)));
            }
            if n > self.max_num_ref.0 {
                self.max_num_ref = (n, self.off(self.pos));
            }
            Cond::Group(GroupRef::Num(n))
        } else {
            let term = if self.eat(b'<') {
                b'>'
            } else if self.eat(b'\'') {
                b'\''
            } else {
                b')'
            };
            let name = self.group_name(term)?;
            if term != b')' && !self.eat(b')') {
                return Err(("malformed number or name after (?(", self.off(self.pos)));
            }
            let at = self.off(self.pos);
            self.refs.push((name.clone(), at));
            Cond::Group(GroupRef::Name(name, at))
        };
        let mut nf = *f;
        let yes = self.sequence(&mut nf)?;
        let no = if self.eat(b'|') {
            let mut nf = *f;
            let no = self.sequence(&mut nf)?;
            if self.peek() == Some(b'|' as u32) {
                while self.eat(b'|') {
                    let mut nf = *f;
                    self.sequence(&mut nf)?;
                }
                if self.peek().is_none() {
                    return Err(("missing )", self.end_off()));
                }
                return Err((
                    "conditional group contains more than two branches",
                    self.off(self.pos),
                ));
            }
            no
        } else {
            Node::Empty
        };
        self.close()?;
        Ok(Some(Node::Cond(
            Box::new(cond),
            Box::new(yes),
            Box::new(no),
        )))
    }

    fn atom(&mut self, f: &mut Flags) -> Result<Option<Node>, Error> {
        let c = self.peek().expect("not at the end");
        self.pos += 1;
        let ch = char::from_u32(c).unwrap_or('\u{fffd}');
        Ok(Some(match ch {
            '(' => return self.group(f),
            '[' => self.class(*f)?,
            '.' => Node::Dot(f.dotall),
            '^' => Node::Assert(Assert::Caret(f.multiline)),
            '$' => Node::Assert(Assert::Dollar(f.multiline)),
            '*' | '+' | '?' => return Err(("nothing to repeat", self.off(self.pos - 1))),
            '{' => {
                self.pos -= 1;
                if self.counted()?.is_some() {
                    return Err(("nothing to repeat", self.off(self.pos - 1)));
                }
                self.pos += 1;
                Node::Lit(c, f.caseless)
            }
            '\\' => return self.escape(f),
            _ => Node::Lit(c, f.caseless),
        }))
    }

    fn hex_digits(&mut self, max: usize) -> u32 {
        let mut n = 0;
        let mut k = 0;
        while k < max {
            match self.peek().and_then(|c| char::from_u32(c)?.to_digit(16)) {
                Some(d) => {
                    n = n * 16 + d;
                    self.pos += 1;
                    k += 1;
                }
                None => break,
            }
        }
        n
    }

    /// A character escape common to classes and the top level: `Ok(Some(c))`
    /// for a character, `Ok(None)` when the caller must handle it.
    fn char_escape(&mut self, e: u32, in_class: bool) -> Result<Option<u32>, Error> {
        let ch = char::from_u32(e).unwrap_or('\0');
        Ok(Some(match ch {
            'a' => 7,
            'e' => 27,
            'f' => 12,
            'n' => 10,
            'r' => 13,
            't' => 9,
            'b' if in_class => 8,
            '0' => {
                let mut n = 0;
                let mut k = 0;
                while k < 2 && self.peek().is_some_and(|c| (48..56).contains(&c)) {
                    n = n * 8 + self.peek().expect("digit") - 48;
                    self.pos += 1;
                    k += 1;
                }
                n
            }
            'o' if self.peek() == Some(b'{' as u32) => {
                self.pos += 1;
                let mut n: u64 = 0;
                while self.peek().is_some_and(|c| (48..56).contains(&c)) {
                    n = n * 8 + u64::from(self.peek().expect("digit") - 48);
                    self.pos += 1;
                    if n > 0x10ffff {
                        n = 0x110000;
                    }
                }
                if !self.eat(b'}') {
                    return Err(("digits missing in \\x{} or \\o{}", self.off(self.pos)));
                }
                self.check_char(n, self.pos - 1)?
            }
            'x' => {
                if self.peek() == Some(b'{' as u32) {
                    let save = self.pos;
                    self.pos += 1;
                    let s = self.pos;
                    let mut n: u64 = 0;
                    while let Some(d) = self.peek().and_then(|c| char::from_u32(c)?.to_digit(16)) {
                        n = (n * 16 + u64::from(d)).min(0x1_0000_0000);
                        self.pos += 1;
                    }
                    if self.pos > s && self.eat(b'}') {
                        self.check_char(n, self.pos - 1)?
                    } else {
                        // Not a \x{...}: \x then a literal '{'.
                        self.pos = save;
                        0
                    }
                } else {
                    self.hex_digits(2)
                }
            }
            'c' => {
                let Some(x) = self.peek() else {
                    return Err(("\\c at end of pattern", self.off(self.pos)));
                };
                if x > 127 {
                    return Err((
                        "\\c must be followed by an ASCII character",
                        self.off(self.pos),
                    ));
                }
                self.pos += 1;
                let up = if (97..=122).contains(&x) { x - 32 } else { x };
                up ^ 0x40
            }
            'L' | 'l' | 'U' | 'u' => {
                return Err((
                    "PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u",
                    self.off(self.pos - 1),
                ));
            }
            '1'..='9' if in_class => {
                // Octal if it can be, else the digit itself.
                if ch <= '7' {
                    self.pos -= 1;
                    let mut n = 0;
                    let mut k = 0;
                    while k < 3 && self.peek().is_some_and(|c| (48..56).contains(&c)) {
                        n = n * 8 + self.peek().expect("digit") - 48;
                        self.pos += 1;
                        k += 1;
                    }
                    n
                } else {
                    e
                }
            }
            _ if ch.is_ascii_alphanumeric() => return Ok(None),
            _ => e,
        }))
    }

    fn check_char(&self, n: u64, at: usize) -> Result<u32, Error> {
        let limit = if self.opts.unicode { 0x10ffff } else { 0xff };
        if n > limit {
            return Err((
                "character value in \\x{} or \\o{} is too large",
                self.off(at),
            ));
        }
        if self.opts.unicode && (0xd800..0xe000).contains(&n) {
            return Err((
                "disallowed Unicode code point (>= 0xd800 && <= 0xdfff)",
                self.off(at),
            ));
        }
        Ok(n as u32)
    }

    /// `\p{..}` or `\P{..}` after the letter: the property and whether it
    /// is negated.
    fn property(&mut self, neg: bool) -> Result<(Prop, bool), Error> {
        let mut neg = neg;
        let name: String = if self.eat(b'{') {
            if self.eat(b'^') {
                neg = !neg;
            }
            let s = self.pos;
            while self.peek().is_some_and(|c| c != b'}' as u32) {
                self.pos += 1;
            }
            if self.peek().is_none() {
                return Err(("malformed \\P or \\p sequence", self.off(self.pos)));
            }
            let n = self.chars[s..self.pos]
                .iter()
                .filter_map(|&c| char::from_u32(c))
                .collect();
            self.pos += 1;
            n
        } else {
            match self.peek() {
                Some(c) => {
                    self.pos += 1;
                    char::from_u32(c).map(String::from).unwrap_or_default()
                }
                None => return Err(("malformed \\P or \\p sequence", self.off(self.pos))),
            }
        };
        let p = match name.as_str() {
            "Any" => Prop::Any,
            "L" | "L&" => Prop::L,
            "Lu" => Prop::Lu,
            "Ll" => Prop::Ll,
            "Lt" => Prop::Lt,
            "Lm" => Prop::Lm,
            "Lo" => Prop::Lo,
            "N" => Prop::N,
            "Nd" => Prop::Nd,
            "Nl" => Prop::Nl,
            "No" => Prop::No,
            "P" | "Pc" | "Pd" | "Ps" | "Pe" | "Pi" | "Pf" | "Po" => Prop::P,
            "S" | "Sm" | "Sc" | "Sk" | "So" => Prop::S,
            "Z" => Prop::Z,
            "Zs" => Prop::Zs,
            "Zl" => Prop::Zl,
            "Zp" => Prop::Zp,
            "C" => Prop::C,
            "Cc" => Prop::Cc,
            "M" | "Mn" | "Mc" | "Me" => Prop::M,
            "Xan" => Prop::Xan,
            "Xsp" => Prop::Xsp,
            "Xps" => Prop::Xps,
            "Xwd" => Prop::Xwd,
            "Latin" => Prop::Script(Script::Latin),
            "Greek" => Prop::Script(Script::Greek),
            "Cyrillic" => Prop::Script(Script::Cyrillic),
            "Armenian" => Prop::Script(Script::Armenian),
            "Hebrew" => Prop::Script(Script::Hebrew),
            "Arabic" => Prop::Script(Script::Arabic),
            "Devanagari" => Prop::Script(Script::Devanagari),
            "Thai" => Prop::Script(Script::Thai),
            "Georgian" => Prop::Script(Script::Georgian),
            "Hangul" => Prop::Script(Script::Hangul),
            "Hiragana" => Prop::Script(Script::Hiragana),
            "Katakana" => Prop::Script(Script::Katakana),
            "Han" => Prop::Script(Script::Han),
            "Common" => Prop::Script(Script::Common),
            _ => {
                return Err((
                    "unknown property name after \\P or \\p",
                    self.off(self.pos - 1),
                ));
            }
        };
        Ok((p, neg))
    }

    fn set_class(set: Set, neg: bool) -> Node {
        Node::Class(Box::new(Class {
            neg: false,
            nocase: false,
            items: vec![Item::Set(set, neg)],
            escape: true,
        }))
    }

    /// A numbered back reference `\g..` after the `g`.
    fn g_escape(&mut self, f: Flags) -> Result<Node, Error> {
        let braced = self.eat(b'{');
        let angle = !braced && (self.peek() == Some(60) || self.peek() == Some(39));
        if angle {
            // \g<n> / \g'name': a subroutine call (Oniguruma syntax).
            let term = if self.eat(b'<') {
                b'>'
            } else {
                self.pos += 1;
                b'\''
            };
            if self
                .peek()
                .is_some_and(|c| is_digit(c) || c == 43 || c == 45)
            {
                let neg = self.eat(b'-');
                let plus = !neg && self.eat(b'+');
                let mut n: u32 = 0;
                while let Some(d) = self.peek().filter(|&d| is_digit(d)) {
                    n = n.saturating_mul(10).saturating_add(d - 48);
                    self.pos += 1;
                }
                let at = self.off(self.pos);
                if !self.eat(term) {
                    return Err((
                        "\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number",
                        at,
                    ));
                }
                let n = if neg {
                    if n == 0 || n > self.groups {
                        return Err(("reference to non-existent subpattern", at));
                    }
                    self.groups + 1 - n
                } else if plus {
                    self.groups + n
                } else {
                    n
                };
                if n > self.max_num_ref.0 {
                    self.max_num_ref = (n, at);
                }
                return Ok(Node::Recurse(GroupRef::Num(n), at));
            }
            let name = self.group_name(term)?;
            let at = self.off(self.pos - 1);
            self.refs.push((name.clone(), at));
            return Ok(Node::Recurse(GroupRef::Name(name, at), at));
        }
        let neg = self.eat(b'-');
        if !neg && braced && !self.peek().is_some_and(is_digit) && !self.looking_at("+") {
            let name = self.group_name(b'}')?;
            let at = self.off(self.pos - 1);
            self.refs.push((name.clone(), at));
            return Ok(Node::Backref(GroupRef::Name(name, at), f.caseless));
        }
        let s = self.pos;
        let mut n: u32 = 0;
        while let Some(d) = self.peek().filter(|&d| is_digit(d)) {
            n = n.saturating_mul(10).saturating_add(d - 48);
            self.pos += 1;
        }
        if self.pos == s || n == 0 {
            if braced && self.peek() == Some(b'}' as u32) {
                self.pos += 1;
            }
            return Err((
                "a numbered reference must not be zero",
                self.off(self.pos - 1),
            ));
        }
        if braced && !self.eat(b'}') {
            return Err((
                "\\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number",
                self.off(self.pos),
            ));
        }
        let n = if neg {
            if n > self.groups {
                return Err(("reference to non-existent subpattern", self.off(self.pos)));
            }
            self.groups + 1 - n
        } else {
            n
        };
        if n > self.max_num_ref.0 {
            self.max_num_ref = (n, self.end_off());
        }
        Ok(Node::Backref(GroupRef::Num(n), f.caseless))
    }

    fn escape(&mut self, f: &mut Flags) -> Result<Option<Node>, Error> {
        let Some(e) = self.peek() else {
            return Err(("\\ at end of pattern", self.off(self.pos)));
        };
        self.pos += 1;
        let ch = char::from_u32(e).unwrap_or('\0');
        let node = match ch {
            'd' | 'D' => Self::set_class(Set::Digit, ch == 'D'),
            'w' | 'W' => Self::set_class(Set::Word, ch == 'W'),
            's' | 'S' => Self::set_class(Set::Space, ch == 'S'),
            'h' | 'H' => Self::set_class(Set::HSpace, ch == 'H'),
            'v' | 'V' => Self::set_class(Set::VSpace, ch == 'V'),
            'p' | 'P' => {
                let (p, neg) = self.property(ch == 'P')?;
                Self::set_class(Set::Prop(p), neg)
            }
            'N' => {
                if self.peek() == Some(b'{' as u32) {
                    return Err((
                        "PCRE does not support \\L, \\l, \\N{name}, \\U, or \\u",
                        self.off(self.pos - 1),
                    ));
                }
                Node::Dot(false)
            }
            'R' => Node::Newline,
            'X' => Node::Grapheme,
            'C' => Node::Dot(true),
            'K' => Node::Keep,
            'A' => Node::Assert(Assert::Start),
            'z' => Node::Assert(Assert::End),
            'Z' => Node::Assert(Assert::EndOrNewline),
            'b' => Node::Assert(Assert::WordB),
            'B' => Node::Assert(Assert::NotWordB),
            'G' => Node::Assert(Assert::StartOffset),
            'Q' => {
                let mut lits = Vec::new();
                while self.pos < self.chars.len() {
                    if self.looking_at("\\E") {
                        self.pos += 2;
                        break;
                    }
                    lits.push(Node::Lit(self.chars[self.pos], f.caseless));
                    self.pos += 1;
                }
                // Quantifiers apply to the last literal only.
                return Ok(match lits.len() {
                    0 => None,
                    1 => lits.pop(),
                    _ => {
                        let last = lits.pop().expect("one");
                        let start = self.pos;
                        let last = self.quantifiers(last, start, *f)?;
                        lits.push(last);
                        Some(Node::Seq(lits))
                    }
                });
            }
            'E' => return Ok(None),
            'g' => self.g_escape(*f)?,
            'k' => {
                let term = match self.peek() {
                    Some(60) => b'>',
                    Some(39) => b'\'',
                    Some(123) => b'}',
                    _ => {
                        return Err((
                            "\\k is not followed by a braced, angle-bracketed, or quoted name",
                            self.off(self.pos - 1),
                        ));
                    }
                };
                self.pos += 1;
                let name = self.group_name(term)?;
                let at = self.off(self.pos - 1);
                self.refs.push((name.clone(), at));
                Node::Backref(GroupRef::Name(name, at), f.caseless)
            }
            '1'..='9' => {
                // A back reference, unless a number of 10 or more that is
                // not a group yet and reads as octal.
                let s = self.pos - 1;
                let mut n: u32 = e - 48;
                while let Some(d) = self.peek().filter(|&d| is_digit(d)) {
                    n = n.saturating_mul(10).saturating_add(d - 48);
                    self.pos += 1;
                }
                if e >= b'8' as u32 && n < 10 && n > self.groups {
                    // \8 and \9 with fewer groups are the digits themselves.
                    Node::Lit(e, f.caseless)
                } else if n < 10 || n <= self.groups {
                    if n > self.max_num_ref.0 {
                        self.max_num_ref = (n, self.end_off());
                    }
                    Node::Backref(GroupRef::Num(n), f.caseless)
                } else {
                    self.pos = s;
                    if (b'8' as u32..=b'9' as u32).contains(&e) {
                        self.pos += 1;
                        Node::Lit(e, f.caseless)
                    } else {
                        let mut v = 0;
                        let mut k = 0;
                        while k < 3 && self.peek().is_some_and(|c| (48..56).contains(&c)) {
                            v = v * 8 + self.peek().expect("digit") - 48;
                            self.pos += 1;
                            k += 1;
                        }
                        if !self.opts.unicode {
                            v &= 0xff;
                        }
                        Node::Lit(v, f.caseless)
                    }
                }
            }
            _ => match self.char_escape(e, false)? {
                Some(c) => Node::Lit(c, f.caseless),
                None => {
                    // An unknown letter escape is the letter itself.
                    Node::Lit(e, f.caseless)
                }
            },
        };
        Ok(Some(node))
    }

    fn posix_name(&mut self) -> Result<Option<(Posix, bool)>, Error> {
        // At "[:" (or "[." / "[=") inside a class.
        let open = self.peek_at(1).expect("checked");
        let mut i = self.pos + 2;
        while let Some(&c) = self.chars.get(i) {
            if c == b']' as u32 || c == b'[' as u32 {
                return Ok(None);
            }
            if c == open && self.chars.get(i + 1) == Some(&(b']' as u32)) {
                break;
            }
            i += 1;
        }
        if i >= self.chars.len() {
            return Ok(None);
        }
        if open != b':' as u32 {
            return Err((
                "POSIX collating elements are not supported",
                self.off(i + 1),
            ));
        }
        let mut s = self.pos + 2;
        let neg = self.chars.get(s) == Some(&(b'^' as u32));
        if neg {
            s += 1;
        }
        let name: String = self.chars[s..i]
            .iter()
            .filter_map(|&c| char::from_u32(c))
            .collect();
        let p = match name.as_str() {
            "alpha" => Posix::Alpha,
            "lower" => Posix::Lower,
            "upper" => Posix::Upper,
            "alnum" => Posix::Alnum,
            "ascii" => Posix::Ascii,
            "blank" => Posix::Blank,
            "cntrl" => Posix::Cntrl,
            "digit" => Posix::Digit,
            "graph" => Posix::Graph,
            "print" => Posix::Print,
            "punct" => Posix::Punct,
            "space" => Posix::Space,
            "word" => Posix::Word,
            "xdigit" => Posix::Xdigit,
            _ => return Err(("unknown POSIX class name", self.off(s))),
        };
        self.pos = i + 2;
        Ok(Some((p, neg)))
    }

    fn class(&mut self, f: Flags) -> Result<Node, Error> {
        let neg = self.eat(b'^');
        let mut items: Vec<Item> = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(("missing terminating ] for character class", self.end_off()));
            };
            if c == b']' as u32 && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == b'[' as u32
                && matches!(self.peek_at(1), Some(58 | 46 | 61))
                && let Some((p, n)) = self.posix_name()?
            {
                items.push(Item::Set(Set::Posix(p), n));
                continue;
            }
            // One character, or a set.
            let lo_at = self.pos;
            let lo = match self.class_char()? {
                ClassChar::Set(s, n) => {
                    items.push(Item::Set(s, n));
                    continue;
                }
                ClassChar::Char(c) => c,
                ClassChar::Nothing => continue,
            };
            // A range?
            if self.peek() == Some(b'-' as u32) && self.peek_at(1).is_some_and(|c| c != b']' as u32)
            {
                let save = self.pos;
                self.pos += 1;
                if self.peek() == Some(b'[' as u32) && matches!(self.peek_at(1), Some(58 | 46 | 61))
                {
                    // `a-[:digit:]`: the hyphen is literal.
                    self.pos = save;
                    items.push(Item::Range(lo, lo));
                    continue;
                }
                match self.class_char()? {
                    ClassChar::Char(hi) => {
                        if hi < lo {
                            return Err((
                                "range out of order in character class",
                                self.off(self.pos - 1),
                            ));
                        }
                        items.push(Item::Range(lo, hi));
                    }
                    ClassChar::Set(..) => {
                        return Err(("invalid range in character class", self.off(self.pos - 1)));
                    }
                    ClassChar::Nothing => {
                        self.pos = save + 1;
                        items.push(Item::Range(lo, lo));
                        items.push(Item::Range(45, 45));
                    }
                }
                let _ = lo_at;
            } else {
                items.push(Item::Range(lo, lo));
            }
        }
        Ok(Node::Class(Box::new(Class {
            neg,
            nocase: f.caseless,
            items,
            escape: false,
        })))
    }

    fn class_char(&mut self) -> Result<ClassChar, Error> {
        let c = self.peek().expect("checked");
        self.pos += 1;
        if c != b'\\' as u32 {
            return Ok(ClassChar::Char(c));
        }
        let Some(e) = self.peek() else {
            return Err(("missing terminating ] for character class", self.end_off()));
        };
        self.pos += 1;
        let ch = char::from_u32(e).unwrap_or('\0');
        Ok(match ch {
            'd' | 'D' => ClassChar::Set(Set::Digit, ch == 'D'),
            'w' | 'W' => ClassChar::Set(Set::Word, ch == 'W'),
            's' | 'S' => ClassChar::Set(Set::Space, ch == 'S'),
            'h' | 'H' => ClassChar::Set(Set::HSpace, ch == 'H'),
            'v' | 'V' => ClassChar::Set(Set::VSpace, ch == 'V'),
            'p' | 'P' => {
                let (p, neg) = self.property(ch == 'P')?;
                ClassChar::Set(Set::Prop(p), neg)
            }
            'E' => ClassChar::Nothing,
            'Q' => {
                // Literal text up to \E: taken one character at a time.
                if self.looking_at("\\E") {
                    self.pos += 2;
                    return Ok(ClassChar::Nothing);
                }
                let c = self.peek();
                match c {
                    Some(c) => {
                        self.pos += 1;
                        // Remember we are still quoting by rewriting: \Q..\E
                        // inside classes is rare; handle the common one-char case.
                        if self.looking_at("\\E") {
                            self.pos += 2;
                        }
                        ClassChar::Char(c)
                    }
                    None => ClassChar::Nothing,
                }
            }
            'N' => return Err(("\\N is not supported in a class", self.off(self.pos))),
            'R' | 'X' | 'B' => {
                return Err((
                    "escape sequence is invalid in character class",
                    self.off(self.pos),
                ));
            }
            _ => match self.char_escape(e, true)? {
                Some(c) => ClassChar::Char(c),
                None => ClassChar::Char(e),
            },
        })
    }
}

enum ClassChar {
    Char(u32),
    Set(Set, bool),
    Nothing,
}
