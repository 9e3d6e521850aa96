//! From a pattern tree to a program for the backtracking matcher.

// The items are named after PCRE's syntax and erl's options, which
// docs/re.md describes.
#![allow(missing_docs)]

use super::parse::{Assert, Class, Cond, Greed, GroupRef, Node, fixed_len, nullable};

/// One instruction.
#[derive(Debug, Clone)]
pub enum Inst {
    /// One character, exactly.
    Char(u32),
    /// One character, any of these (a caseless literal).
    CharAny(Box<[u32]>),
    /// Any character but a newline (`false`), or any at all (`true`).
    Dot(bool),
    Class(Box<Class>),
    /// Go on at the first, or on backtracking at the second.
    Split(usize, usize),
    Jmp(usize),
    /// Sets a slot (capture boundary or register) to the position.
    Save(usize),
    /// Loops on to the target if the position moved since the register
    /// was saved (an iteration that matched nothing ends the loop).
    Progress(usize, usize),
    Assert(Assert),
    Backref(Box<[u32]>, bool),
    /// Pushes a mark (its stack depth in the register); on backtracking
    /// to it, goes on at the target if there is one.
    Mark(usize, Option<usize>),
    /// Drops the alternatives above the mark, and the mark (atomic group).
    Cut(usize),
    /// As `Cut`, and back to the mark's position (lookaround succeeded).
    LookOk(usize),
    /// Undoes everything above the mark, drops it, then goes to the target
    /// at the mark's position, or fails (negative lookaround matched).
    LookNot(usize, Option<usize>),
    /// Steps back this many characters (lookbehind).
    Back(u32),
    /// Goes on if any of these groups is set, else jumps.
    IfGroup(Box<[u32]>, usize),
    /// Goes on inside a recursion, else jumps.
    IfRecursion(usize),
    Recurse(u32),
    Newline,
    Grapheme,
    Fail,
    Match,
}

/// A compiled program.
#[derive(Debug, Clone, Default)]
pub struct Prog {
    pub insts: Vec<Inst>,
}

/// The most instructions a pattern may compile to.
const MAX_PROG: usize = 2_000_000;

pub struct Compiler<'a> {
    pub insts: Vec<Inst>,
    /// The next free register (slots after the capture slots).
    pub next_reg: usize,
    pub names: &'a [(String, u32)],
    pub unicode: bool,
    pub too_large: bool,
}

/// The other cases of a character (itself included): ASCII only in byte
/// mode, as PCRE's default tables; Unicode simple case mappings otherwise.
pub fn case_variants(c: u32, unicode: bool) -> Vec<u32> {
    let mut v = vec![c];
    if !unicode || c < 128 {
        // erl's PCRE tables pair the Latin-1 letters too.
        if (c < 128 && (c as u8).is_ascii_alphabetic())
            || (matches!(c, 192..=254) && c != 215 && c != 247 && c != 223)
        {
            v.push(c ^ 0x20);
        }
        return v;
    }
    let Some(ch) = char::from_u32(c) else {
        return v;
    };
    fn single(mut it: impl Iterator<Item = char>) -> Option<u32> {
        let a = it.next()?;
        if it.next().is_some() {
            None
        } else {
            Some(a as u32)
        }
    }
    let lower = single(ch.to_lowercase());
    let upper = single(ch.to_uppercase());
    for x in [lower, upper].into_iter().flatten() {
        if !v.contains(&x) {
            v.push(x);
        }
        if let Some(xc) = char::from_u32(x) {
            for y in [single(xc.to_lowercase()), single(xc.to_uppercase())]
                .into_iter()
                .flatten()
            {
                if !v.contains(&y) {
                    v.push(y);
                }
            }
        }
    }
    // Characters whose case maps onto one of these (K and the Kelvin sign,
    // s and the long s, ...).
    for &(a, b) in FOLD_EXTRA {
        if v.contains(&a) && !v.contains(&b) {
            v.push(b);
        }
        if v.contains(&b) && !v.contains(&a) {
            v.push(a);
        }
    }
    v
}

/// Case pairs that the simple mappings of one side do not give.
const FOLD_EXTRA: &[(u32, u32)] = &[
    (0x6b, 0x212a),
    (0x73, 0x17f),
    (0xe5, 0x212b),
    (0x3c9, 0x2126),
    (0x3b2, 0x3d0),
    (0x3b5, 0x3f5),
    (0x3b8, 0x3d1),
    (0x3ba, 0x3f0),
    (0x3c0, 0x3d6),
    (0x3c1, 0x3f1),
    (0x3c2, 0x3c3),
    (0x3c6, 0x3d5),
    (0xb5, 0x3bc),
];

impl Compiler<'_> {
    fn emit(&mut self, i: Inst) -> usize {
        if self.insts.len() >= MAX_PROG {
            self.too_large = true;
        } else {
            self.insts.push(i);
        }
        self.insts.len() - 1
    }

    fn pc(&self) -> usize {
        self.insts.len()
    }

    fn reg(&mut self) -> usize {
        self.next_reg += 1;
        self.next_reg - 1
    }

    fn patch(&mut self, at: usize, i: Inst) {
        if let Some(slot) = self.insts.get_mut(at) {
            *slot = i;
        }
    }

    fn groups_of(&self, r: &GroupRef) -> Box<[u32]> {
        match r {
            GroupRef::Num(n) => Box::new([*n]),
            GroupRef::Name(name, _) => self
                .names
                .iter()
                .filter(|(x, _)| x == name)
                .map(|(_, n)| *n)
                .collect(),
        }
    }

    pub fn node(&mut self, n: &Node) {
        if self.too_large {
            return;
        }
        match n {
            Node::Empty => {}
            Node::Lit(c, nocase) => {
                let v = if *nocase {
                    case_variants(*c, self.unicode)
                } else {
                    vec![*c]
                };
                if v.len() == 1 {
                    self.emit(Inst::Char(*c));
                } else {
                    self.emit(Inst::CharAny(v.into_boxed_slice()));
                }
            }
            Node::Dot(all) => {
                self.emit(Inst::Dot(*all));
            }
            Node::Class(c) => {
                self.emit(Inst::Class(c.clone()));
            }
            Node::Seq(v) => v.iter().for_each(|x| self.node(x)),
            Node::Alt(v) => {
                let mut jumps = Vec::new();
                for (i, alt) in v.iter().enumerate() {
                    if i + 1 < v.len() {
                        let split = self.emit(Inst::Fail);
                        self.node(alt);
                        jumps.push(self.emit(Inst::Fail));
                        let next = self.pc();
                        self.patch(split, Inst::Split(split + 1, next));
                    } else {
                        self.node(alt);
                    }
                }
                let end = self.pc();
                for j in jumps {
                    self.patch(j, Inst::Jmp(end));
                }
            }
            Node::Group(idx, b) => match idx {
                Some(g) => {
                    self.emit(Inst::Save(2 * *g as usize));
                    self.node(b);
                    self.emit(Inst::Save(2 * *g as usize + 1));
                }
                None => self.node(b),
            },
            Node::Atomic(b) => {
                let r = self.reg();
                self.emit(Inst::Mark(r, None));
                self.node(b);
                self.emit(Inst::Cut(r));
            }
            Node::Repeat(b, min, max, greed) => self.repeat(b, *min, *max, *greed),
            Node::Look(ahead, neg, b) => {
                let r = self.reg();
                let mark = self.emit(Inst::Fail);
                self.look_body(*ahead, b);
                if *neg {
                    self.emit(Inst::LookNot(r, None));
                    let after = self.pc();
                    self.patch(mark, Inst::Mark(r, Some(after)));
                } else {
                    self.emit(Inst::LookOk(r));
                    self.patch(mark, Inst::Mark(r, None));
                }
            }
            Node::Backref(r, nocase) => {
                let g = self.groups_of(r);
                self.emit(Inst::Backref(g, *nocase));
            }
            Node::Assert(a) => {
                self.emit(Inst::Assert(*a));
            }
            Node::Keep => {
                self.emit(Inst::Save(0));
            }
            Node::Cond(c, yes, no) => self.cond(c, yes, no),
            Node::Recurse(r, _) => {
                let g = self.groups_of(r);
                self.emit(Inst::Recurse(g.first().copied().unwrap_or(0)));
            }
            Node::Fail => {
                self.emit(Inst::Fail);
            }
            Node::Newline => {
                self.emit(Inst::Newline);
            }
            Node::Grapheme => {
                self.emit(Inst::Grapheme);
            }
        }
    }

    /// A lookaround's body; behind, each alternative steps back its own
    /// fixed length first.
    fn look_body(&mut self, ahead: bool, b: &Node) {
        if ahead {
            self.node(b);
            return;
        }
        let alts: Vec<&Node> = match b {
            Node::Alt(v) => v.iter().collect(),
            other => vec![other],
        };
        let mut jumps = Vec::new();
        for (i, alt) in alts.iter().enumerate() {
            let split = (i + 1 < alts.len()).then(|| self.emit(Inst::Fail));
            self.emit(Inst::Back(fixed_len(alt).unwrap_or(0)));
            self.node(alt);
            if let Some(split) = split {
                jumps.push(self.emit(Inst::Fail));
                let next = self.pc();
                self.patch(split, Inst::Split(split + 1, next));
            }
        }
        let end = self.pc();
        for j in jumps {
            self.patch(j, Inst::Jmp(end));
        }
    }

    fn cond(&mut self, c: &Cond, yes: &Node, no: &Node) {
        match c {
            Cond::Group(r) => {
                let g = self.groups_of(r);
                let test = self.emit(Inst::Fail);
                self.node(yes);
                let jmp = self.emit(Inst::Fail);
                let no_pc = self.pc();
                self.node(no);
                let end = self.pc();
                self.patch(test, Inst::IfGroup(g, no_pc));
                self.patch(jmp, Inst::Jmp(end));
            }
            Cond::Recursion => {
                let test = self.emit(Inst::Fail);
                self.node(yes);
                let jmp = self.emit(Inst::Fail);
                let no_pc = self.pc();
                self.node(no);
                let end = self.pc();
                self.patch(test, Inst::IfRecursion(no_pc));
                self.patch(jmp, Inst::Jmp(end));
            }
            Cond::Define => {}
            Cond::Look(ahead, neg, body) => {
                let r = self.reg();
                let mark = self.emit(Inst::Fail);
                self.look_body(*ahead, body);
                let done = self.emit(Inst::Fail);
                // Where the assertion's outcome sends the match.
                let first = self.pc();
                self.node(if *neg { no } else { yes });
                let jmp = self.emit(Inst::Fail);
                let second = self.pc();
                self.node(if *neg { yes } else { no });
                let end = self.pc();
                self.patch(jmp, Inst::Jmp(end));
                if *neg {
                    // Body matched: go to "no" (first); failed: "yes".
                    self.patch(mark, Inst::Mark(r, Some(second)));
                    self.patch(done, Inst::LookNot(r, Some(first)));
                } else {
                    self.patch(mark, Inst::Mark(r, Some(second)));
                    self.patch(done, Inst::LookOk(r));
                }
                let _ = first;
            }
        }
    }

    fn repeat(&mut self, b: &Node, min: u32, max: Option<u32>, greed: Greed) {
        if greed == Greed::Possessive {
            let r = self.reg();
            self.emit(Inst::Mark(r, None));
            self.repeat(b, min, max, Greed::Greedy);
            self.emit(Inst::Cut(r));
            return;
        }
        let lazy = greed == Greed::Lazy;
        if min >= 1 && max.is_none() {
            // X{n,}: n-1 copies, then X+ as one copy that loops back, so
            // nested `+` groups do not double the program at each level.
            for _ in 1..min {
                if self.too_large {
                    return;
                }
                self.node(b);
            }
            let top = self.pc();
            let r = nullable(b).then(|| self.reg());
            if let Some(r) = r {
                self.emit(Inst::Save(r));
            }
            self.node(b);
            let (progress, jmp) = match r {
                Some(r) => {
                    let p = self.emit(Inst::Progress(r, 0));
                    (Some((p, r)), Some(self.emit(Inst::Fail)))
                }
                None => (None, None),
            };
            let split = self.emit(Inst::Fail);
            let end = self.pc();
            if let Some((p, r)) = progress {
                self.patch(p, Inst::Progress(r, split));
            }
            if let Some(j) = jmp {
                self.patch(j, Inst::Jmp(end));
            }
            self.patch(
                split,
                if lazy {
                    Inst::Split(end, top)
                } else {
                    Inst::Split(top, end)
                },
            );
            return;
        }
        for _ in 0..min {
            if self.too_large {
                return;
            }
            self.node(b);
        }
        match max {
            Some(max) => {
                let mut splits = Vec::new();
                for _ in min..max {
                    if self.too_large {
                        return;
                    }
                    splits.push(self.emit(Inst::Fail));
                    self.node(b);
                }
                let end = self.pc();
                for s in splits {
                    self.patch(
                        s,
                        if lazy {
                            Inst::Split(end, s + 1)
                        } else {
                            Inst::Split(s + 1, end)
                        },
                    );
                }
            }
            None => {
                let check = nullable(b);
                let top = self.emit(Inst::Fail);
                let r = if check { Some(self.reg()) } else { None };
                if let Some(r) = r {
                    self.emit(Inst::Save(r));
                }
                self.node(b);
                match r {
                    Some(r) => self.emit(Inst::Progress(r, top)),
                    None => self.emit(Inst::Jmp(top)),
                };
                let end = self.pc();
                self.patch(
                    top,
                    if lazy {
                        Inst::Split(end, top + 1)
                    } else {
                        Inst::Split(top + 1, end)
                    },
                );
            }
        }
    }
}
