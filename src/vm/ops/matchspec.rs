//! Match specifications (`docs/matchspec.md`): compiled once from the
//! `[{Head, Guards, Body}]` term into a pattern tree and expression trees,
//! then run on each object without copying it; only the result is built on
//! the caller's heap.
//!
//! Three areas meet when a specification runs: the object's (`src`, perhaps
//! an ETS table's own area), the specification's constants (its own area)
//! and the caller's heap, where computed values go. Every value is tagged
//! with the area it lives in ([`Val`]); an operation on values of two areas
//! reads each through its own view, and copies into the heap only in the
//! rare case of comparing two compound terms of different areas.

use std::cmp::Ordering;
use std::collections::HashMap;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, Signed};

use crate::term::Term;
use crate::vm::ops::arith::{ArithOp, arith};
use crate::vm::ops::test::{TestOp, test};
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::compare::{self, Num, big_to_f64, cmp_num, number};
use crate::vm::term::heap::{Area, View};
use crate::vm::term::maps;
use crate::vm::term::memory::Memory;
use crate::vm::term::word::{Word, kind};

/// A compiled match specification. It owns copies of its constants, so it
/// outlives the heap it was read from and can be shared between threads.
#[derive(Debug, Clone)]
pub struct MatchSpec {
    consts: Area,
    clauses: Vec<Clause>,
    table: bool,
}

#[derive(Debug, Clone)]
struct Clause {
    head: Pat,
    /// The head, copied into the constants (for [`MatchSpec::bound_keys`]).
    head_term: Word,
    /// Variable slots, in the order of the variables' numbers (the order of `'$$'`).
    vars: usize,
    guards: Vec<Expr>,
    body: Vec<Expr>,
}

/// A head pattern. Variables are numbered by slot; the first occurrence (in
/// matching order) binds, the later ones compare.
#[derive(Debug, Clone)]
enum Pat {
    Any,
    Bind(usize),
    Same(usize),
    /// An immediate: equal only to the same word.
    Imm(Word),
    /// A compound constant (float, bignum, binary, ...) in the constants.
    Const(Word),
    Tuple(Box<[Pat]>),
    /// Elements, then the tail.
    List(Box<[Pat]>, Box<Pat>),
    /// Keys (in the constants) that must be present, with their values' patterns.
    Map(Box<[(Word, Pat)]>),
}

#[derive(Debug, Clone)]
enum Expr {
    Var(usize),
    /// `'$_'`.
    Whole,
    /// `'$$'`.
    AllVars,
    Imm(Word),
    Const(Word),
    Tuple(Box<[Expr]>),
    List(Box<[Expr]>, Box<Expr>),
    Map(Box<[(Expr, Expr)]>),
    Call(Bif, Box<[Expr]>),
    AndAlso(Box<[Expr]>),
    OrElse(Box<[Expr]>),
    SelfPid,
    Node,
    /// Tracing: `{message, X}`.
    Message(Box<Expr>),
    /// Tracing: `{return_trace}` / `{exception_trace}`.
    Flag(TraceFlag),
    /// Tracing: a form with effects LAM does not trace; its value.
    Nop(Word),
}

/// A flag a tracing specification sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFlag {
    /// `{return_trace}`.
    ReturnTrace,
    /// `{exception_trace}`.
    ExceptionTrace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
    ExactEq,
    ExactNe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bif {
    Type(TestOp),
    IsRecord,
    IsMapKey,
    Abs,
    Element,
    Hd,
    Tl,
    Length,
    Node1,
    Round,
    Trunc,
    Float,
    Size,
    BitSize,
    ByteSize,
    MapSize,
    MapGet,
    BinaryPart2,
    BinaryPart3,
    Plus,
    Minus,
    Bnot,
    Arith(ArithOp),
    Cmp(Cmp),
    Not,
    And,
    Or,
    Xor,
}

/// The guard functions a specification may call, by name and arity.
const BIFS: &[(&str, usize, Bif)] = &[
    ("is_atom", 1, Bif::Type(TestOp::IsAtom)),
    ("is_float", 1, Bif::Type(TestOp::IsFloat)),
    ("is_integer", 1, Bif::Type(TestOp::IsInteger)),
    ("is_list", 1, Bif::Type(TestOp::IsList)),
    ("is_number", 1, Bif::Type(TestOp::IsNumber)),
    ("is_pid", 1, Bif::Type(TestOp::IsPid)),
    ("is_port", 1, Bif::Type(TestOp::IsPort)),
    ("is_reference", 1, Bif::Type(TestOp::IsReference)),
    ("is_tuple", 1, Bif::Type(TestOp::IsTuple)),
    ("is_map", 1, Bif::Type(TestOp::IsMap)),
    ("is_binary", 1, Bif::Type(TestOp::IsBinary)),
    ("is_function", 1, Bif::Type(TestOp::IsFunction)),
    ("is_record", 3, Bif::IsRecord),
    ("is_map_key", 2, Bif::IsMapKey),
    ("abs", 1, Bif::Abs),
    ("element", 2, Bif::Element),
    ("hd", 1, Bif::Hd),
    ("tl", 1, Bif::Tl),
    ("length", 1, Bif::Length),
    ("node", 1, Bif::Node1),
    ("round", 1, Bif::Round),
    ("trunc", 1, Bif::Trunc),
    ("float", 1, Bif::Float),
    ("size", 1, Bif::Size),
    ("bit_size", 1, Bif::BitSize),
    ("byte_size", 1, Bif::ByteSize),
    ("map_size", 1, Bif::MapSize),
    ("map_get", 2, Bif::MapGet),
    ("binary_part", 2, Bif::BinaryPart2),
    ("binary_part", 3, Bif::BinaryPart3),
    ("+", 1, Bif::Plus),
    ("-", 1, Bif::Minus),
    ("bnot", 1, Bif::Bnot),
    ("+", 2, Bif::Arith(ArithOp::Add)),
    ("-", 2, Bif::Arith(ArithOp::Sub)),
    ("*", 2, Bif::Arith(ArithOp::Mul)),
    ("/", 2, Bif::Arith(ArithOp::Div)),
    ("div", 2, Bif::Arith(ArithOp::IDiv)),
    ("rem", 2, Bif::Arith(ArithOp::Rem)),
    ("band", 2, Bif::Arith(ArithOp::Band)),
    ("bor", 2, Bif::Arith(ArithOp::Bor)),
    ("bxor", 2, Bif::Arith(ArithOp::Bxor)),
    ("bsl", 2, Bif::Arith(ArithOp::Bsl)),
    ("bsr", 2, Bif::Arith(ArithOp::Bsr)),
    (">", 2, Bif::Cmp(Cmp::Gt)),
    (">=", 2, Bif::Cmp(Cmp::Ge)),
    ("<", 2, Bif::Cmp(Cmp::Lt)),
    ("=<", 2, Bif::Cmp(Cmp::Le)),
    ("==", 2, Bif::Cmp(Cmp::Eq)),
    ("/=", 2, Bif::Cmp(Cmp::Ne)),
    ("=:=", 2, Bif::Cmp(Cmp::ExactEq)),
    ("=/=", 2, Bif::Cmp(Cmp::ExactNe)),
    ("not", 1, Bif::Not),
    ("xor", 2, Bif::Xor),
];

/// Forms only tracing specifications may use (the name erl reports for
/// each, which for `set_seq_token` is another), with their arities.
const TRACE_FORMS: &[(&str, &str, &[usize])] = &[
    ("message", "message", &[1]),
    ("return_trace", "return_trace", &[0]),
    ("exception_trace", "exception_trace", &[0]),
    ("display", "display", &[1]),
    ("caller", "caller", &[0]),
    ("caller_line", "caller_line", &[0]),
    ("process_dump", "process_dump", &[0]),
    ("enable_trace", "enable_trace", &[1, 2]),
    ("disable_trace", "disable_trace", &[1, 2]),
    ("is_seq_trace", "is_seq_trace", &[0]),
    ("set_seq_token", "set_seq_trace", &[2]),
    ("get_seq_token", "get_seq_token", &[0]),
    ("silent", "silent", &[1]),
    ("trace", "trace", &[2, 3]),
];

/// Trace-only functions (not special forms).
const TRACE_BIFS: &[(&str, usize)] = &[("get_tcw", 0), ("set_tcw", 1), ("set_tcw_fake", 1)];

/// The number of a match variable `'$N'`, if `name` is one: `$` and at
/// most 11 digits, without leading zeros (as erl reads them).
fn variable(name: &str) -> Option<u64> {
    let digits = name.strip_prefix('$')?;
    if digits.is_empty()
        || digits.len() > 11
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// What an atom means in a specification.
enum AtomKind {
    Var(u64),
    Underscore,
    Whole,
    AllVars,
    Plain,
}

struct Compiler<'a, 'v> {
    v: &'a View<'v>,
    atoms: &'a Atoms,
    table: bool,
    consts: Area,
    errors: Vec<String>,
    /// Variable number to slot, for the clause being compiled.
    slots: HashMap<u64, usize>,
    /// Which slots the head has bound so far (while compiling it).
    bound: Vec<bool>,
    in_guard: bool,
    /// How deeply nested the term being compiled is.
    depth: usize,
}

/// How deeply a head or an expression may nest (lists along their tails do
/// not count): compiling and matching recurse, and a scheduler's stack is
/// finite. erl has no such limit; a deeper specification is refused.
const MAX_DEPTH: usize = 1000;

/// LAM's message for a specification past [`MAX_DEPTH`].
const TOO_DEEP: &str = "Match specification is nested too deeply.";

impl Compiler<'_, '_> {
    fn atom_kind(&self, w: Word) -> Option<AtomKind> {
        let a = w.as_atom()?;
        let name = self.atoms.name(a);
        Some(match &*name {
            "_" => AtomKind::Underscore,
            "$_" => AtomKind::Whole,
            "$$" => AtomKind::AllVars,
            n => match variable(n) {
                Some(i) => AtomKind::Var(i),
                None => AtomKind::Plain,
            },
        })
    }

    /// A copy of `w` in the constants (immediates need none).
    fn own(&mut self, w: Word) -> Word {
        if w.is_immediate() {
            return w;
        }
        deep_copy(self.v, self.atoms, w, &mut self.consts)
    }

    fn show(&self, w: Word) -> String {
        let mut out = String::new();
        erts_term(&mut out, &self.v.to_term(w, self.atoms));
        out
    }

    /// The elements of a proper list, `None` for anything else.
    fn list(&self, w: Word) -> Option<Vec<Word>> {
        let mut out = Vec::new();
        let mut cur = w;
        while cur.is_list() {
            let (h, t) = self.v.cons(cur);
            out.push(h);
            cur = t;
        }
        (cur == Word::NIL).then_some(out)
    }

    /// Every variable number in a head, in no particular order.
    fn head_vars(&self, w: Word, out: &mut Vec<u64>) {
        let mut stack = vec![w];
        while let Some(w) = stack.pop() {
            if w.is_list() {
                let (h, t) = self.v.cons(w);
                stack.push(h);
                stack.push(t);
            } else if let Some(es) = self.v.tuple(w) {
                stack.extend(es.iter().map(|e| Word(*e)));
            } else if let Some(pairs) = self.map_pairs(w) {
                stack.extend(pairs.into_iter().map(|(_, x)| x));
            } else if let Some(AtomKind::Var(i)) = self.atom_kind(w) {
                out.push(i);
            }
        }
    }

    fn map_pairs(&self, w: Word) -> Option<Vec<(Word, Word)>> {
        if !maps::is_map(self.v, w) {
            return None;
        }
        maps::entries(self.v, self.atoms, w)
    }

    /// Whether a term has no variable or `'_'` in it.
    fn ground(&self, w: Word) -> bool {
        let mut stack = vec![w];
        while let Some(w) = stack.pop() {
            if w.is_list() {
                let (h, t) = self.v.cons(w);
                stack.push(h);
                stack.push(t);
            } else if let Some(es) = self.v.tuple(w) {
                stack.extend(es.iter().map(|e| Word(*e)));
            } else if let Some(pairs) = self.map_pairs(w) {
                stack.extend(pairs.into_iter().flat_map(|(k, x)| [k, x]));
            } else if matches!(
                self.atom_kind(w),
                Some(AtomKind::Var(_) | AtomKind::Underscore)
            ) {
                return false;
            }
        }
        true
    }

    fn pattern(&mut self, w: Word) -> Pat {
        if self.depth >= MAX_DEPTH {
            if !self.errors.iter().any(|e| e == TOO_DEEP) {
                self.errors.push(TOO_DEEP.into());
            }
            return Pat::Any;
        }
        self.depth += 1;
        let p = self.pattern_at(w);
        self.depth -= 1;
        p
    }

    fn pattern_at(&mut self, w: Word) -> Pat {
        if w.is_immediate() {
            return match self.atom_kind(w) {
                Some(AtomKind::Underscore) => Pat::Any,
                Some(AtomKind::Var(i)) => {
                    let s = self.slots[&i];
                    if std::mem::replace(&mut self.bound[s], true) {
                        Pat::Same(s)
                    } else {
                        Pat::Bind(s)
                    }
                }
                _ => Pat::Imm(w),
            };
        }
        if w.is_list() {
            let mut elems = Vec::new();
            let mut cur = w;
            while cur.is_list() {
                let (h, t) = self.v.cons(cur);
                elems.push(self.pattern(h));
                cur = t;
            }
            let tail = self.pattern(cur);
            return Pat::List(elems.into(), Box::new(tail));
        }
        if let Some(es) = self.v.tuple(w) {
            return Pat::Tuple(es.iter().map(|e| self.pattern(Word(*e))).collect());
        }
        if let Some(pairs) = self.map_pairs(w) {
            let mut out = Vec::with_capacity(pairs.len());
            for (k, x) in pairs {
                match self.atom_kind(k) {
                    Some(AtomKind::Var(_)) => {
                        self.errors.push("Variable found in map key.".into());
                        continue;
                    }
                    Some(AtomKind::Underscore) => {
                        self.errors.push("Underscore found in map key.".into());
                        continue;
                    }
                    _ => {}
                }
                let key = self.own(k);
                out.push((key, self.pattern(x)));
            }
            return Pat::Map(out.into());
        }
        Pat::Const(self.own(w))
    }

    /// Compiles `terms` as expressions, reporting errors in reverse order as
    /// erl does for the arguments of a call and the elements of a tuple.
    fn exprs_reversed(&mut self, terms: &[Word]) -> Box<[Expr]> {
        let mut out: Vec<Expr> = terms.iter().rev().map(|t| self.expr(*t)).collect();
        out.reverse();
        out.into()
    }

    fn expr(&mut self, w: Word) -> Expr {
        if self.depth >= MAX_DEPTH {
            if !self.errors.iter().any(|e| e == TOO_DEEP) {
                self.errors.push(TOO_DEEP.into());
            }
            return Expr::Imm(Word::NIL);
        }
        self.depth += 1;
        let e = self.expr_at(w);
        self.depth -= 1;
        e
    }

    fn expr_at(&mut self, w: Word) -> Expr {
        if w.is_immediate() {
            return match self.atom_kind(w) {
                Some(AtomKind::Whole) => Expr::Whole,
                Some(AtomKind::AllVars) => Expr::AllVars,
                Some(AtomKind::Var(i)) => match self.slots.get(&i) {
                    Some(s) => Expr::Var(*s),
                    None => {
                        self.errors.push(format!("Variable ${i} is unbound."));
                        Expr::Imm(w)
                    }
                },
                _ => Expr::Imm(w),
            };
        }
        if w.is_list() {
            let mut elems = Vec::new();
            let mut cur = w;
            while cur.is_list() {
                let (h, t) = self.v.cons(cur);
                elems.push(self.expr(h));
                cur = t;
            }
            let tail = self.expr(cur);
            // A list of immediates is one constant, built once.
            if elems.iter().all(|e| matches!(e, Expr::Imm(_))) && matches!(tail, Expr::Imm(_)) {
                return Expr::Const(self.own(w));
            }
            return Expr::List(elems.into(), Box::new(tail));
        }
        if let Some(es) = self.v.tuple(w) {
            return self.call(w, es.iter().map(|e| Word(*e)).collect());
        }
        if let Some(pairs) = self.map_pairs(w) {
            // Values before keys, for erl's order of errors.
            let mut out: Vec<(Expr, Expr)> = pairs
                .iter()
                .map(|(k, x)| {
                    let x = self.expr(*x);
                    let before = self.errors.len();
                    let k = self.expr(*k);
                    // erl reports a key that is neither a call nor a tuple twice.
                    if self.errors.len() == before + 1
                        && self.errors[before].contains("is neither a function call")
                    {
                        self.errors.push(self.errors[before].clone());
                    }
                    (k, x)
                })
                .collect();
            out.shrink_to_fit();
            return Expr::Map(out.into());
        }
        Expr::Const(self.own(w))
    }

    fn call(&mut self, w: Word, es: Vec<Word>) -> Expr {
        let neither = |c: &mut Self| {
            let msg = format!(
                "{} is neither a function call, nor a tuple (tuples are written {{{{ ... }}}}).",
                c.show(w)
            );
            c.errors.push(msg);
            Expr::Imm(Word::NIL)
        };
        let Some(&first) = es.first() else {
            return neither(self);
        };
        if es.len() == 1
            && let Some(inner) = self.v.tuple(first)
        {
            // `{{A, B}}`: the tuple `{A, B}` built from its elements.
            let elems: Vec<Word> = inner.iter().map(|e| Word(*e)).collect();
            return Expr::Tuple(self.exprs_reversed(&elems));
        }
        let Some(a) = first.as_atom() else {
            return neither(self);
        };
        if matches!(self.atom_kind(first), Some(AtomKind::Var(_))) {
            return neither(self);
        }
        let name = self.atoms.name(a);
        let args = &es[1..];
        match &*name {
            "const" => {
                if args.len() == 1 {
                    return match args[0].is_immediate() {
                        true => Expr::Imm(args[0]),
                        false => Expr::Const(self.own(args[0])),
                    };
                }
                let msg = format!(
                    "Special form 'const' called with more than one argument in {}.",
                    self.show(w)
                );
                self.errors.push(msg);
                return Expr::Imm(Word::NIL);
            }
            "and" | "or" | "andalso" | "orelse" => {
                if args.is_empty() {
                    let msg = format!(
                        "Special form '{name}' called without arguments in {}.",
                        self.show(w)
                    );
                    self.errors.push(msg);
                    return Expr::Imm(Word::NIL);
                }
                let args = self.exprs_reversed(args);
                return match &*name {
                    "and" => Expr::Call(Bif::And, args),
                    "or" => Expr::Call(Bif::Or, args),
                    "andalso" => Expr::AndAlso(args),
                    _ => Expr::OrElse(args),
                };
            }
            "self" if args.is_empty() => return Expr::SelfPid,
            "node" if args.is_empty() => return Expr::Node,
            _ => {}
        }
        if let Some((_, shown, arities)) = TRACE_FORMS.iter().find(|(n, _, _)| **n == *name) {
            if self.table {
                self.errors
                    .push(format!("Special form '{shown}' used in wrong dialect."));
                return Expr::Imm(Word::NIL);
            }
            if self.in_guard {
                self.errors
                    .push(format!("Special form '{shown}' called in guard context."));
                return Expr::Imm(Word::NIL);
            }
            if !arities.contains(&args.len()) {
                let msg = format!(
                    "Special form '{shown}' called with wrong number of arguments in {}.",
                    self.show(w)
                );
                self.errors.push(msg);
                return Expr::Imm(Word::NIL);
            }
            let args = self.exprs_reversed(args);
            return match &*name {
                "message" => Expr::Message(Box::new(args[0].clone())),
                "return_trace" => Expr::Flag(TraceFlag::ReturnTrace),
                "exception_trace" => Expr::Flag(TraceFlag::ExceptionTrace),
                "caller" | "caller_line" | "get_seq_token" => {
                    Expr::Nop(Word::atom(atom::UNDEFINED))
                }
                "is_seq_trace" => Expr::Nop(Word::atom(atom::FALSE)),
                _ => Expr::Nop(Word::atom(atom::TRUE)),
            };
        }
        if TRACE_BIFS.contains(&(&*name, args.len())) {
            if self.table || (self.in_guard && &*name != "get_tcw") {
                self.errors.push(format!(
                    "Function {name}/{} cannot be called in this context.",
                    args.len()
                ));
                return Expr::Imm(Word::NIL);
            }
            let _ = self.exprs_reversed(args);
            return Expr::Nop(Word::small(0).expect("small"));
        }
        match BIFS
            .iter()
            .find(|(n, arity, _)| *n == &*name && *arity == args.len())
        {
            Some((_, _, bif)) => {
                let args = self.exprs_reversed(args);
                Expr::Call(*bif, args)
            }
            None => {
                let mut shown = String::new();
                erts_atom(&mut shown, &name);
                self.errors
                    .push(format!("Function {shown}/{} does_not_exist.", args.len()));
                Expr::Imm(Word::NIL)
            }
        }
    }

    fn clause(&mut self, w: Word) -> Option<Clause> {
        let Some(parts) = self.v.tuple(w).filter(|t| t.len() == 3) else {
            self.errors
                .push("Match program part is not a tuple of arity 3.".into());
            return None;
        };
        let (head, guards, body) = (Word(parts[0]), Word(parts[1]), Word(parts[2]));
        let mut numbers = Vec::new();
        self.head_vars(head, &mut numbers);
        numbers.sort_unstable();
        numbers.dedup();
        self.slots = numbers.iter().enumerate().map(|(s, n)| (*n, s)).collect();
        self.bound = vec![false; numbers.len()];
        let errors = self.errors.len();
        let pat = self.pattern(head);
        if self.errors.len() > errors {
            // erl reports the head's first error and looks no further.
            self.errors.truncate(errors + 1);
            return None;
        }
        let head_term = if self.ground_somewhere(head) {
            self.own(head)
        } else {
            Word::NIL
        };
        self.in_guard = true;
        let guards = match self.list(guards) {
            Some(g) => g.into_iter().map(|g| self.expr(g)).collect(),
            None => {
                self.errors.push(if guards.is_list() {
                    "Match expression is not a proper list.".into()
                } else {
                    "Match expression is not a list.".into()
                });
                Vec::new()
            }
        };
        self.in_guard = false;
        let body = match self.list(body) {
            Some(b) if !b.is_empty() => b.into_iter().map(|b| self.expr(b)).collect(),
            Some(_) if !self.table => Vec::new(),
            Some(_) => {
                self.errors
                    .push("Body clause does not return anything.".into());
                Vec::new()
            }
            None if body.is_list() => {
                self.errors
                    .push("Match expression is not a proper list.".into());
                Vec::new()
            }
            None => {
                self.errors
                    .push("Body clause does not return anything.".into());
                Vec::new()
            }
        };
        Some(Clause {
            head: pat,
            head_term,
            vars: numbers.len(),
            guards,
            body,
        })
    }

    /// Whether a head is a tuple with some ground element, so that keeping
    /// a copy of it for [`MatchSpec::bound_keys`] is worth it.
    fn ground_somewhere(&self, head: Word) -> bool {
        self.table
            && self
                .v
                .tuple(head)
                .is_some_and(|es| es.iter().any(|e| self.ground(Word(*e))))
    }
}

/// A copy of `w` in `dst` that shares nothing with `v`'s areas, the literal
/// areas included (`View::copy_into` keeps pointers into those), so that a
/// specification outlives the heap and the modules it was read from.
fn deep_copy(v: &View, atoms: &Atoms, w: Word, dst: &mut Area) -> Word {
    if w.is_immediate() {
        return w;
    }
    if w.is_list() {
        let mut cells = Vec::new();
        let mut cur = w;
        while cur.is_list() {
            let (h, t) = v.cons(cur);
            cells.push(h);
            cur = t;
        }
        let mut acc = deep_copy(v, atoms, cur, dst);
        for h in cells.into_iter().rev() {
            let h = deep_copy(v, atoms, h, dst);
            acc = dst.cons(0, h, acc);
        }
        return acc;
    }
    if let Some((bytes, last)) = v.bits(w) {
        return dst.bitstring(0, bytes, last);
    }
    let h = v.header(w);
    let (k, p) = (h.header_kind(), w.ptr());
    let words = (1..=h.header_arity()).map(|i| v.at(p, i));
    let words: Vec<Word> = match k {
        kind::TUPLE | kind::MAP | kind::HMAP | kind::HNODE | kind::FUN | kind::EXPORT => {
            words.map(|x| deep_copy(v, atoms, x, dst)).collect()
        }
        // Raw words: digits, bits of a float, a reference's number.
        kind::FLOAT | kind::BIG_POS | kind::BIG_NEG | kind::REF => words.collect(),
        _ => return dst.from_term(0, &v.to_term(w, atoms), atoms),
    };
    dst.boxed(0, k, &words)
}

/// How much of a message erl keeps (its buffer, less the terminating zero).
const ERROR_CHARS: usize = 99;

/// Whether a Latin-1 code is a lowercase letter, as erts's printer decides.
fn latin1_lower(c: u32) -> bool {
    (0x61..=0x7a).contains(&c) || ((223..=255).contains(&c) && c != 247)
}

fn latin1_alnum(c: u32) -> bool {
    latin1_lower(c)
        || (b'A' as u32..=b'Z' as u32).contains(&c)
        || ((192..=222).contains(&c) && c != 215)
        || (b'0' as u32..=b'9' as u32).contains(&c)
}

/// An atom as erts's term printer writes it in error messages: quoted
/// unless it is a lowercase letter then letters, digits and `_` (keywords
/// are not quoted, `@` is). Messages are byte strings, as in erl: each byte
/// of the name's UTF-8 is one character here.
fn erts_atom(out: &mut String, name: &str) {
    let bytes = |out: &mut String, c: char| {
        let mut buf = [0; 4];
        out.extend(c.encode_utf8(&mut buf).bytes().map(char::from));
    };
    let mut codes = name.chars().map(|c| c as u32);
    let plain =
        codes.next().is_some_and(latin1_lower) && codes.all(|c| latin1_alnum(c) || c == '_' as u32);
    if plain {
        name.chars().for_each(|c| bytes(out, c));
        return;
    }
    out.push('\'');
    for c in name.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 32 || (128..160).contains(&(c as u32)) => {
                out.push_str(&format!("\\{:03o}", c as u32));
            }
            c => bytes(out, c),
        }
    }
    out.push('\'');
}

/// A term as erts's own printer (`%T`) writes it in match specification
/// errors: like `~w`, but floats as C's `%e`, printable lists and binaries
/// as strings, and atoms quoted by [`erts_atom`]'s rule.
fn erts_term(out: &mut String, t: &Term) {
    use std::fmt::Write;
    let seq = |out: &mut String, items: &[Term]| {
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            erts_term(out, x);
        }
    };
    match t {
        Term::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Term::Big(b) => {
            let _ = write!(out, "{b}");
        }
        Term::Float(f) => {
            // C's "%e": six decimals, a signed exponent of two digits at least.
            let s = format!("{f:.6e}");
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            let _ = write!(out, "{m}e{sign}{digits:0>2}");
        }
        Term::Atom(a) => erts_atom(out, a),
        Term::Nil => out.push_str("[]"),
        Term::List(items, tail) => {
            let printable = matches!(**tail, Term::Nil)
                && items.iter().all(|x| match x {
                    Term::Int(c @ 0..=255) => {
                        let c = *c;
                        !(c < 32 || c == 127 || (128..160).contains(&c)) || matches!(c, 9 | 10 | 13)
                    }
                    _ => false,
                });
            if printable {
                out.push('"');
                for x in items {
                    if let Term::Int(c) = x {
                        match *c as u8 {
                            b'\n' => out.push_str("\\n"),
                            b'"' => out.push_str("\\\""),
                            b => out.push(char::from(b)),
                        }
                    }
                }
                out.push('"');
                return;
            }
            out.push('[');
            seq(out, items);
            if !matches!(**tail, Term::Nil) {
                out.push('|');
                erts_term(out, tail);
            }
            out.push(']');
        }
        Term::Tuple(items) => {
            out.push('{');
            seq(out, items);
            out.push('}');
        }
        Term::Map(pairs) => {
            out.push_str("#{");
            for (i, (k, x)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                erts_term(out, k);
                out.push_str("=>");
                erts_term(out, x);
            }
            out.push('}');
        }
        Term::Binary(bytes) if !bytes.is_empty() && bytes.iter().all(|b| (32..127).contains(b)) => {
            out.push_str("<<\"");
            for b in bytes {
                if *b == b'"' {
                    out.push('\\');
                }
                out.push(char::from(*b));
            }
            out.push_str("\">>");
        }
        Term::Binary(bytes) => {
            out.push_str("<<");
            let _ = write!(
                out,
                "{}",
                bytes
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            );
            out.push_str(">>");
        }
        Term::Bits(bytes, bits) => {
            out.push_str("<<");
            let (last, whole) = bytes.split_last().unwrap_or((&0, &[]));
            for b in whole {
                let _ = write!(out, "{b},");
            }
            let _ = write!(out, "{}:{bits}>>", last >> (8 - bits));
        }
        other => out.push_str(&crate::erlfmt::w(other)),
    }
}

/// A value while a specification runs, tagged with the area it lives in.
#[derive(Debug, Clone, Copy)]
enum Val {
    /// In the object's area.
    Src(Word),
    /// In the specification's constants.
    Lit(Word),
    /// On the caller's heap (or an immediate).
    Heap(Word),
}

impl Val {
    fn word(self) -> Word {
        match self {
            Val::Src(w) | Val::Lit(w) | Val::Heap(w) => w,
        }
    }

    fn area(self) -> u8 {
        match self {
            Val::Src(_) => 0,
            Val::Lit(_) => 1,
            Val::Heap(_) => 2,
        }
    }

    /// Another word of the same area.
    fn with(self, w: Word) -> Val {
        match self {
            Val::Src(_) => Val::Src(w),
            Val::Lit(_) => Val::Lit(w),
            Val::Heap(_) => Val::Heap(w),
        }
    }
}

fn boolean(b: bool) -> Val {
    Val::Heap(Word::boolean(b))
}

fn as_bool(w: Word) -> Result<bool, ()> {
    match w.as_atom() {
        Some(atom::TRUE) => Ok(true),
        Some(atom::FALSE) => Ok(false),
        _ => Err(()),
    }
}

/// Exact equality of two terms read through different views (the
/// specification's constants and an object): structural, as matching a
/// constant in a head compares (a float by its bits).
fn eq_cross(va: &View, a: Word, vb: &View, b: Word, atoms: &Atoms) -> bool {
    let (mut a, mut b) = (a, b);
    loop {
        if a.is_immediate() || b.is_immediate() {
            return a == b;
        }
        if a.is_list() != b.is_list() {
            return false;
        }
        if a.is_list() {
            let ((ha, ta), (hb, tb)) = (va.cons(a), vb.cons(b));
            if !eq_cross(va, ha, vb, hb, atoms) {
                return false;
            }
            (a, b) = (ta, tb);
            continue;
        }
        let (ka, kb) = (va.header(a).header_kind(), vb.header(b).header_kind());
        let group = |k: u8| match k {
            kind::BIG_POS | kind::BIG_NEG => kind::BIG_POS,
            kind::HEAP_BIN | kind::REFC_BIN | kind::WRITABLE_BIN => kind::HEAP_BIN,
            kind::MAP | kind::HMAP => kind::MAP,
            k => k,
        };
        if group(ka) != group(kb) {
            return false;
        }
        return match group(ka) {
            kind::TUPLE => {
                let (x, y) = (va.tuple(a).unwrap_or(&[]), vb.tuple(b).unwrap_or(&[]));
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|(p, q)| eq_cross(va, Word(*p), vb, Word(*q), atoms))
            }
            kind::FLOAT => va.float(a).map(f64::to_bits) == vb.float(b).map(f64::to_bits),
            kind::BIG_POS => number(va, a) == number(vb, b),
            kind::HEAP_BIN => va.bits(a) == vb.bits(b),
            kind::MAP => {
                va.map_size(a) == vb.map_size(b)
                    && va.map_pairs(a).is_some_and(|pairs| {
                        pairs.iter().all(|(k, x)| {
                            map_find(vb, b, va, *k, atoms)
                                .is_some_and(|y| eq_cross(va, *x, vb, y, atoms))
                        })
                    })
            }
            // Funs, exports, references: word by word, following terms.
            k => {
                let (ha, hb) = (va.header(a), vb.header(b));
                let terms = matches!(k, kind::FUN | kind::EXPORT);
                ha == hb
                    && (1..=ha.header_arity()).all(|i| {
                        let (x, y) = (va.at(a.ptr(), i), vb.at(b.ptr(), i));
                        if terms {
                            eq_cross(va, x, vb, y, atoms)
                        } else {
                            x == y
                        }
                    })
            }
        };
    }
}

/// The value of key `k` (read through `vk`) in map `m` (read through `vm`).
fn map_find(vm: &View, m: Word, vk: &View, k: Word, atoms: &Atoms) -> Option<Word> {
    if k.is_immediate() {
        return maps::get(vm, atoms, m, k);
    }
    vm.map_pairs(m)?
        .into_iter()
        .find(|(key, _)| eq_cross(vk, k, vm, *key, atoms))
        .map(|(_, x)| x)
}

fn pmatch(p: &Pat, v: &View, cv: &View, atoms: &Atoms, w: Word, vars: &mut [Word]) -> bool {
    match p {
        Pat::Any => true,
        Pat::Bind(s) => {
            vars[*s] = w;
            true
        }
        Pat::Same(s) => {
            let o = vars[*s];
            o == w || (!o.is_immediate() && !w.is_immediate() && compare::exact_eq(v, atoms, o, w))
        }
        Pat::Imm(c) => w == *c,
        Pat::Const(c) => eq_cross(cv, *c, v, w, atoms),
        Pat::Tuple(ps) => match v.tuple(w) {
            Some(es) if es.len() == ps.len() => ps
                .iter()
                .zip(es)
                .all(|(p, e)| pmatch(p, v, cv, atoms, Word(*e), vars)),
            _ => false,
        },
        Pat::List(ps, tail) => {
            let mut cur = w;
            for p in ps.iter() {
                if !cur.is_list() {
                    return false;
                }
                let (h, t) = v.cons(cur);
                if !pmatch(p, v, cv, atoms, h, vars) {
                    return false;
                }
                cur = t;
            }
            pmatch(tail, v, cv, atoms, cur, vars)
        }
        Pat::Map(kvs) => {
            if !maps::is_map(v, w) {
                return false;
            }
            kvs.iter().all(|(k, p)| {
                map_find(v, w, cv, *k, atoms).is_some_and(|x| pmatch(p, v, cv, atoms, x, vars))
            })
        }
    }
}

/// One run of a specification on one object.
struct Run<'r, 's> {
    ms: &'r MatchSpec,
    src: &'r View<'s>,
    heap: &'r mut Area,
    atoms: &'r Atoms,
    pid: u64,
    obj: Word,
    vars: &'r [Word],
    /// Tracing: the message (`None`: the default, `true`), and the flags set.
    message: Option<Word>,
    flags: Vec<TraceFlag>,
    /// The budget each copy into `heap` asks first, if any, and the bytes
    /// of the first copy it (or the allocator) refused.
    memory: Option<&'r Memory>,
    refused: Option<usize>,
    /// What a copy of any part of the object takes at most, when known.
    obj_bytes: Option<usize>,
}

/// Below this many bytes, a copy asks the budget for the whole of what it
/// is part of (the object, or the specification's constants), which is
/// known, rather than walk the term to size it: a select of a table of
/// small objects took 24% more instructions with a walk for each result.
const SIZED_WITHOUT_WALK: usize = 1 << 16;

type R = Result<Val, ()>;

impl Run<'_, '_> {
    fn view_of(&self, x: Val) -> View<'_> {
        match x {
            Val::Src(_) => *self.src,
            Val::Lit(_) => self.ms.view(),
            Val::Heap(_) => View {
                heap: self.heap,
                literals: self.src.literals,
            },
        }
    }

    /// The value as a word of the caller's heap, copied there if need be.
    /// A copy is a size the program chose (`{const, Big}` or `'$_'` for
    /// each object of a table): with a budget, it is asked first and the
    /// heap given room with `try_reserve`, and once refused nothing more
    /// is copied (the run's result is then the refusal).
    fn onto_heap(&mut self, x: Val) -> Word {
        let (v, w) = match x {
            Val::Heap(w) => return w,
            Val::Src(w) => (*self.src, w),
            Val::Lit(w) => (self.ms.view(), w),
        };
        if let Some(m) = self.memory
            && !w.is_immediate()
        {
            if self.refused.is_some() {
                return Word::NIL;
            }
            // Objects and constants are copied without sharing, so a part
            // of one takes no more than the whole.
            let whole = match x {
                Val::Src(_) => self.obj_bytes,
                _ => Some(self.ms.consts.words.len() * 8 + self.ms.consts.offheap_bytes),
            };
            let room = match whole.filter(|b| *b < SIZED_WITHOUT_WALK) {
                Some(b) => m.grow(&mut self.heap.words, b / 8),
                None => m.room_for_copy(&v, w, false, Some(&mut *self.heap)),
            };
            if let Err(bytes) = room {
                self.refused = Some(bytes);
                return Word::NIL;
            }
        }
        v.copy_into(w, self.heap)
    }

    fn num(&self, x: Val) -> Result<Num, ()> {
        number(&self.view_of(x), x.word()).ok_or(())
    }

    fn int(&mut self, i: BigInt) -> Val {
        Val::Heap(self.heap.integer(0, &i))
    }

    fn small(i: usize) -> Val {
        Val::Heap(Word::small(i as i64).expect("a size fits"))
    }

    fn eval(&mut self, e: &Expr) -> R {
        Ok(match e {
            Expr::Var(s) => Val::Src(self.vars[*s]),
            Expr::Whole => Val::Src(self.obj),
            Expr::AllVars => {
                let mut l = Word::NIL;
                for w in self.vars.iter().rev() {
                    let h = self.onto_heap(Val::Src(*w));
                    l = self.heap.cons(0, h, l);
                }
                Val::Heap(l)
            }
            Expr::Imm(w) => Val::Heap(*w),
            Expr::Const(w) => Val::Lit(*w),
            Expr::Tuple(es) => {
                let mut ws = Vec::with_capacity(es.len());
                for e in es.iter() {
                    let x = self.eval(e)?;
                    ws.push(self.onto_heap(x));
                }
                Val::Heap(self.heap.tuple(0, &ws))
            }
            Expr::List(es, tail) => {
                let mut ws = Vec::with_capacity(es.len());
                for e in es.iter() {
                    let x = self.eval(e)?;
                    ws.push(self.onto_heap(x));
                }
                let t = self.eval(tail)?;
                let mut l = self.onto_heap(t);
                for w in ws.into_iter().rev() {
                    l = self.heap.cons(0, w, l);
                }
                Val::Heap(l)
            }
            Expr::Map(kvs) => {
                let mut pairs = Vec::with_capacity(kvs.len());
                for (k, x) in kvs.iter() {
                    let (k, x) = (self.eval(k)?, self.eval(x)?);
                    pairs.push((self.onto_heap(k), self.onto_heap(x)));
                }
                let empty = self.heap.map(0, &[], &[]);
                let m = maps::put(
                    self.heap,
                    self.src.literals,
                    self.atoms,
                    empty,
                    &pairs,
                    false,
                )
                .map_err(|_| ())?;
                Val::Heap(m)
            }
            Expr::Call(bif, args) => {
                let mut vals = [Val::Heap(Word::NIL); 3];
                let mut more = Vec::new();
                for (i, a) in args.iter().enumerate() {
                    let x = self.eval(a)?;
                    if i < 3 {
                        vals[i] = x;
                    } else {
                        more.push(x);
                    }
                }
                if args.len() > 3 {
                    let mut all = vals.to_vec();
                    all.extend(more);
                    return self.bif(*bif, &all);
                }
                return self.bif(*bif, &vals[..args.len()]);
            }
            Expr::AndAlso(args) | Expr::OrElse(args) => {
                let stop = matches!(e, Expr::OrElse(_));
                for a in &args[..args.len() - 1] {
                    let x = self.eval(a)?;
                    if as_bool(x.word())? == stop {
                        return Ok(boolean(stop));
                    }
                }
                self.eval(&args[args.len() - 1])?
            }
            Expr::SelfPid => Val::Heap(Word::pid(self.pid)),
            Expr::Node => Val::Heap(Word::atom(atom::NONODE)),
            Expr::Message(x) => {
                let m = match self.eval(x) {
                    Ok(x) => self.onto_heap(x),
                    Err(()) => Word::atom(atom::EXIT_TAG),
                };
                self.message = Some(m);
                Val::Heap(Word::atom(atom::TRUE))
            }
            Expr::Flag(f) => {
                if !self.flags.contains(f) {
                    self.flags.push(*f);
                }
                Val::Heap(Word::atom(atom::TRUE))
            }
            Expr::Nop(w) => Val::Heap(*w),
        })
    }

    fn order(&mut self, a: Val, b: Val) -> Ordering {
        let (wa, wb) = (a.word(), b.word());
        if let (Some(x), Some(y)) = (wa.as_small(), wb.as_small()) {
            return x.cmp(&y);
        }
        if a.area() == b.area() || wa.is_immediate() || wb.is_immediate() {
            let v = self.view_of(if wa.is_immediate() { b } else { a });
            return compare::compare(&v, self.atoms, wa, wb);
        }
        if let (Ok(x), Ok(y)) = (self.num(a), self.num(b)) {
            return cmp_num(&x, &y);
        }
        let (x, y) = (self.onto_heap(a), self.onto_heap(b));
        compare::compare(&self.view_of(Val::Heap(x)), self.atoms, x, y)
    }

    fn exact_eq(&mut self, a: Val, b: Val) -> bool {
        let (wa, wb) = (a.word(), b.word());
        if wa.is_immediate() || wb.is_immediate() {
            return wa == wb;
        }
        if a.area() == b.area() {
            return compare::exact_eq(&self.view_of(a), self.atoms, wa, wb);
        }
        if let (Ok(x), Ok(y)) = (self.num(a), self.num(b)) {
            let float = |n: &Num| matches!(n, Num::Float(_));
            return float(&x) == float(&y) && cmp_num(&x, &y) == Ordering::Equal;
        }
        let (x, y) = (self.onto_heap(a), self.onto_heap(b));
        compare::exact_eq(&self.view_of(Val::Heap(x)), self.atoms, x, y)
    }

    fn bif(&mut self, bif: Bif, a: &[Val]) -> R {
        let atoms = self.atoms;
        match bif {
            Bif::Type(op) => Ok(boolean(test(
                &self.view_of(a[0]),
                atoms,
                op,
                &[a[0].word()],
            ))),
            Bif::IsRecord => {
                let (tag, size) = (a[1].word(), a[2].word());
                if tag.as_atom().is_none() {
                    return Err(());
                }
                let size = size.as_small().ok_or(())?;
                let v = self.view_of(a[0]);
                Ok(boolean(v.tuple(a[0].word()).is_some_and(|es| {
                    es.len() as i64 == size && !es.is_empty() && Word(es[0]) == tag
                })))
            }
            Bif::IsMapKey | Bif::MapGet => {
                let (k, m) = (a[0], a[1]);
                let found = {
                    let vm = self.view_of(m);
                    if !maps::is_map(&vm, m.word()) {
                        return Err(());
                    }
                    map_find(&vm, m.word(), &self.view_of(k), k.word(), atoms)
                };
                match (bif, found) {
                    (Bif::IsMapKey, f) => Ok(boolean(f.is_some())),
                    (_, Some(x)) => Ok(m.with(x)),
                    (_, None) => Err(()),
                }
            }
            Bif::Element => {
                let n = a[0].word().as_small().ok_or(())?;
                let v = self.view_of(a[1]);
                let es = v.tuple(a[1].word()).ok_or(())?;
                if n < 1 || n as usize > es.len() {
                    return Err(());
                }
                Ok(a[1].with(Word(es[n as usize - 1])))
            }
            Bif::Hd | Bif::Tl => {
                let w = a[0].word();
                if !w.is_list() {
                    return Err(());
                }
                let (h, t) = self.view_of(a[0]).cons(w);
                Ok(a[0].with(if bif == Bif::Hd { h } else { t }))
            }
            Bif::Length => {
                let v = self.view_of(a[0]);
                let (mut n, mut cur) = (0, a[0].word());
                while cur.is_list() {
                    n += 1;
                    cur = v.cons(cur).1;
                }
                if cur != Word::NIL {
                    return Err(());
                }
                Ok(Self::small(n))
            }
            Bif::Node1 => {
                let v = self.view_of(a[0]);
                let w = a[0].word();
                let local = [TestOp::IsPid, TestOp::IsReference, TestOp::IsPort]
                    .iter()
                    .any(|op| test(&v, atoms, *op, &[w]));
                if local {
                    Ok(Val::Heap(Word::atom(atom::NONODE)))
                } else {
                    Err(())
                }
            }
            Bif::Size | Bif::BitSize | Bif::ByteSize => {
                let v = self.view_of(a[0]);
                let w = a[0].word();
                if bif == Bif::Size
                    && let Some(es) = v.tuple(w)
                {
                    return Ok(Self::small(es.len()));
                }
                let (bytes, last) = v.bits(w).ok_or(())?;
                let bits = if bytes.is_empty() {
                    0
                } else {
                    (bytes.len() - 1) * 8 + last as usize
                };
                Ok(Self::small(match bif {
                    Bif::BitSize => bits,
                    Bif::ByteSize => bytes.len(),
                    _ => bits / 8,
                }))
            }
            Bif::MapSize => {
                let v = self.view_of(a[0]);
                Ok(Self::small(maps::size(&v, a[0].word()).ok_or(())?))
            }
            Bif::BinaryPart2 | Bif::BinaryPart3 => {
                let (start, len) = if bif == Bif::BinaryPart3 {
                    (a[1].word(), a[2].word())
                } else {
                    let v = self.view_of(a[1]);
                    match v.tuple(a[1].word()) {
                        Some([s, l]) => (Word(*s), Word(*l)),
                        _ => return Err(()),
                    }
                };
                let (s, l) = (start.as_small().ok_or(())?, len.as_small().ok_or(())?);
                let part = {
                    let v = self.view_of(a[0]);
                    let (bytes, last) = v.bits(a[0].word()).ok_or(())?;
                    if last != 8 {
                        return Err(());
                    }
                    let (from, to) = if l < 0 { (s + l, s) } else { (s, s + l) };
                    if from < 0 || to as usize > bytes.len() {
                        return Err(());
                    }
                    bytes[from as usize..to as usize].to_vec()
                };
                Ok(Val::Heap(self.heap.bitstring(0, &part, 8)))
            }
            Bif::Abs | Bif::Round | Bif::Trunc | Bif::Float | Bif::Plus | Bif::Minus => {
                let n = self.num(a[0])?;
                let float = |me: &mut Self, f: f64| Val::Heap(me.heap.float(0, f));
                Ok(match (bif, n) {
                    (Bif::Plus, _) => a[0],
                    (Bif::Float, Num::Float(_)) => a[0],
                    (Bif::Float, Num::Small(i)) => float(self, i as f64),
                    (Bif::Float, Num::Big(b)) => {
                        let f = big_to_f64(&b).ok_or(())?;
                        float(self, f)
                    }
                    (Bif::Round | Bif::Trunc, Num::Small(_) | Num::Big(_)) => a[0],
                    (Bif::Round | Bif::Trunc, Num::Float(f)) => {
                        let r = if bif == Bif::Round {
                            f.round()
                        } else {
                            f.trunc()
                        };
                        let i = BigInt::from_f64(r).ok_or(())?;
                        self.int(i)
                    }
                    // erl leaves -0.0 as it is (it is not below zero).
                    (Bif::Abs, Num::Float(f)) => float(self, if f < 0.0 { -f } else { f }),
                    (Bif::Abs, Num::Small(i)) => self.int(BigInt::from(i).abs()),
                    (Bif::Abs, Num::Big(b)) => self.int(b.abs()),
                    (_, Num::Float(f)) => float(self, -f),
                    (_, Num::Small(i)) => self.int(-BigInt::from(i)),
                    (_, Num::Big(b)) => self.int(-b),
                })
            }
            Bif::Bnot => match self.num(a[0])? {
                Num::Small(i) => Ok(Val::Heap(Word::small(!i).ok_or(())?)),
                Num::Big(b) => Ok(self.int(-b - 1)),
                Num::Float(_) => Err(()),
            },
            Bif::Arith(op) => {
                // Numbers only: a compound term is copied only once it is known to be one.
                self.num(a[0])?;
                self.num(a[1])?;
                let (x, y) = (self.onto_heap(a[0]), self.onto_heap(a[1]));
                arith(self.heap, self.src.literals, op, x, y)
                    .map(Val::Heap)
                    .map_err(|_| ())
            }
            Bif::Cmp(c) => Ok(boolean(match c {
                Cmp::ExactEq => self.exact_eq(a[0], a[1]),
                Cmp::ExactNe => !self.exact_eq(a[0], a[1]),
                _ => {
                    let o = self.order(a[0], a[1]);
                    match c {
                        Cmp::Gt => o == Ordering::Greater,
                        Cmp::Ge => o != Ordering::Less,
                        Cmp::Lt => o == Ordering::Less,
                        Cmp::Le => o != Ordering::Greater,
                        Cmp::Eq => o == Ordering::Equal,
                        _ => o != Ordering::Equal,
                    }
                }
            })),
            Bif::Not => Ok(boolean(!as_bool(a[0].word())?)),
            Bif::Xor => Ok(boolean(as_bool(a[0].word())? ^ as_bool(a[1].word())?)),
            Bif::And | Bif::Or => {
                let mut acc = bif == Bif::And;
                for x in a {
                    let b = as_bool(x.word())?;
                    acc = if bif == Bif::And { acc && b } else { acc || b };
                }
                Ok(boolean(acc))
            }
        }
    }
}

/// Whether every guard of a clause evaluates to `true`.
fn guards_hold(run: &mut Run, guards: &[Expr]) -> bool {
    guards.iter().all(|g| {
        run.eval(g)
            .is_ok_and(|x| x.word() == Word::atom(atom::TRUE))
    })
}

/// The most variables a clause may have for [`MatchSpec::run`] to keep
/// their bindings on the stack.
const STACK_VARS: usize = 16;

impl MatchSpec {
    /// Compiles `ms` (a list of `{Head, Guards, Body}`, read through `v`).
    /// `table` is true for ETS (false: tracing rules). `Err(())` where erl
    /// raises badarg. The empty list compiles to a specification that
    /// matches nothing (`ets:select(T, [])` is `[]`).
    // The one error is badarg, which the caller raises: nothing to carry.
    #[allow(clippy::result_unit_err)]
    pub fn compile(v: &View, atoms: &Atoms, ms: Word, table: bool) -> Result<MatchSpec, ()> {
        if ms == Word::NIL {
            return Ok(MatchSpec {
                consts: Area::default(),
                clauses: Vec::new(),
                table,
            });
        }
        MatchSpec::compile_verbose(v, atoms, ms, table).map_err(|_| ())
    }

    /// [`MatchSpec::compile`] with erl's messages for a bad specification
    /// (what `erlang:match_spec_test/3` returns), the empty list included.
    pub fn compile_verbose(
        v: &View,
        atoms: &Atoms,
        ms: Word,
        table: bool,
    ) -> Result<MatchSpec, Vec<String>> {
        let mut c = Compiler {
            v,
            atoms,
            table,
            consts: Area::default(),
            errors: Vec::new(),
            slots: HashMap::new(),
            bound: Vec::new(),
            in_guard: false,
            depth: 0,
        };
        let Some(parts) = c.list(ms).filter(|p| !p.is_empty()) else {
            return Err(vec![if ms.is_list() {
                "Match programs are not in a proper list.".into()
            } else {
                "Match programs are not in a list.".into()
            }]);
        };
        let mut clauses = Vec::with_capacity(parts.len());
        for p in parts {
            if let Some(cl) = c.clause(p) {
                clauses.push(cl);
            }
            if !c.errors.is_empty() {
                // erl reports the errors of the first bad clause only.
                break;
            }
        }
        if !c.errors.is_empty() {
            // erl formats each message into a buffer of 100 bytes.
            let cut = |e: String| e.chars().take(ERROR_CHARS).collect();
            return Err(c.errors.into_iter().map(cut).collect());
        }
        Ok(MatchSpec {
            consts: c.consts,
            clauses,
            table,
        })
    }

    /// Runs the specification on `obj`, read through `src` (which may be an
    /// ETS object's own area, not the caller's heap). `None` when no clause
    /// matches (a guard that fails or raises fails its clause); the result,
    /// built in `heap` (area 0 of the caller), otherwise: `'EXIT'` when the
    /// body raises.
    pub fn run(
        &self,
        src: &View,
        obj: Word,
        heap: &mut Area,
        atoms: &Atoms,
        pid: u64,
    ) -> Option<Word> {
        self.run_full(src, obj, heap, atoms, pid, None, None)
            .ok()
            .flatten()
            .map(|(w, _)| w)
    }

    /// [`MatchSpec::run`] where each copy into `heap` asks `memory` first
    /// (and the allocator, with `try_reserve`): for the selects, whose
    /// results the program keeps. `obj_bytes`: what a copy of the whole
    /// object takes, if known (a table's object, copied without sharing).
    /// `Err` with the bytes refused.
    #[allow(clippy::too_many_arguments)]
    pub fn run_within(
        &self,
        src: &View,
        obj: Word,
        heap: &mut Area,
        atoms: &Atoms,
        pid: u64,
        memory: &Memory,
        obj_bytes: Option<usize>,
    ) -> Result<Option<Word>, usize> {
        let r = self.run_full(src, obj, heap, atoms, pid, Some(memory), obj_bytes)?;
        Ok(r.map(|(w, _)| w))
    }

    /// [`MatchSpec::run`] for a tracing specification too: for tracing,
    /// the result is the message (`true` unless the body sets one with
    /// `{message, M}`), with the flags the body sets. With `memory` (and
    /// `obj_bytes`), as [`MatchSpec::run_within`].
    #[allow(clippy::too_many_arguments)]
    pub fn run_full(
        &self,
        src: &View,
        obj: Word,
        heap: &mut Area,
        atoms: &Atoms,
        pid: u64,
        memory: Option<&Memory>,
        obj_bytes: Option<usize>,
    ) -> Result<Option<(Word, Vec<TraceFlag>)>, usize> {
        let cv = self.view();
        let mut stack = [Word::NIL; STACK_VARS];
        let mut spill = Vec::new();
        for cl in &self.clauses {
            let vars: &mut [Word] = if cl.vars <= STACK_VARS {
                &mut stack[..cl.vars]
            } else {
                spill.resize(cl.vars, Word::NIL);
                &mut spill[..]
            };
            if !pmatch(&cl.head, src, &cv, atoms, obj, vars) {
                continue;
            }
            let mut run = Run {
                ms: self,
                src,
                heap: &mut *heap,
                atoms,
                pid,
                obj,
                vars,
                message: None,
                flags: Vec::new(),
                memory,
                refused: None,
                obj_bytes,
            };
            let holds = guards_hold(&mut run, &cl.guards);
            if let Some(bytes) = run.refused {
                return Err(bytes);
            }
            if !holds {
                continue;
            }
            if self.table {
                let Some(last) = cl.body.last() else {
                    return Ok(None);
                };
                let w = match run.eval(last) {
                    Ok(x) => run.onto_heap(x),
                    Err(()) => Word::atom(atom::EXIT_TAG),
                };
                return match run.refused {
                    Some(bytes) => Err(bytes),
                    None => Ok(Some((w, Vec::new()))),
                };
            }
            for e in &cl.body {
                let _ = run.eval(e);
            }
            if let Some(bytes) = run.refused {
                return Err(bytes);
            }
            let mut flags = std::mem::take(&mut run.flags);
            flags.sort_by_key(|f| *f != TraceFlag::ReturnTrace);
            let m = run.message.unwrap_or(Word::atom(atom::TRUE));
            return Ok(Some((m, flags)));
        }
        Ok(None)
    }

    /// When every clause's head is a tuple whose element `keypos` (1-based)
    /// is fully bound (contains no variable): those keys, read through
    /// [`MatchSpec::view`], so a table can look them up instead of scanning.
    pub fn bound_keys(&self, keypos: usize) -> Option<Vec<Word>> {
        if keypos == 0 || self.clauses.is_empty() {
            return None;
        }
        let v = self.view();
        let mut keys = Vec::with_capacity(self.clauses.len());
        for cl in &self.clauses {
            let Pat::Tuple(ps) = &cl.head else {
                return None;
            };
            if !ground(ps.get(keypos - 1)?) {
                return None;
            }
            keys.push(Word(*v.tuple(cl.head_term)?.get(keypos - 1)?));
        }
        Some(keys)
    }

    /// A view of the specification's own constants (for `bound_keys`).
    pub fn view(&self) -> View<'_> {
        View {
            heap: &self.consts,
            literals: &[],
        }
    }

    /// Whether this is a specification for tables (not for tracing).
    pub fn is_table(&self) -> bool {
        self.table
    }

    /// Whether the specification `ms` (read through `v`, already compiled
    /// without error) is sure to keep the key at `keypos` of every object it
    /// matches, as `ets:select_replace/2` requires (else badarg): each
    /// clause's body is one expression, `'$_'` or a tuple whose key is built
    /// the way the head matched it (or is `{element, KeyPos, '$_'}`).
    pub fn keeps_key(v: &View, atoms: &Atoms, ms: Word, keypos: usize) -> bool {
        let mut cur = ms;
        while cur.is_list() {
            let (clause, rest) = v.cons(cur);
            match v.tuple(clause) {
                Some([head, _, body]) if keeps(v, atoms, Word(*head), Word(*body), keypos) => {}
                _ => return false,
            }
            cur = rest;
        }
        cur == Word::NIL
    }
}

/// The element at `keypos` (1-based) of a tuple with that many.
fn key_of(v: &View, t: Word, keypos: usize) -> Option<Word> {
    let es = v.tuple(t)?;
    (keypos >= 1 && keypos <= es.len()).then(|| Word(es[keypos - 1]))
}

fn keeps(v: &View, atoms: &Atoms, head: Word, body: Word, keypos: usize) -> bool {
    let name = |w: Word| w.as_atom().map(|a| atoms.name(a));
    if !body.is_list() {
        return false;
    }
    let (expr, rest) = v.cons(body);
    if rest != Word::NIL {
        return false;
    }
    if name(expr).as_deref() == Some("$_") {
        return true;
    }
    let Some(parts) = v.tuple(expr) else {
        return false;
    };
    let Some(head_key) = key_of(v, head, keypos) else {
        return false;
    };
    let (built, const_mode) = match parts {
        [c, x] if name(Word(*c)).as_deref() == Some("const") => (Word(*x), true),
        [x] => (Word(*x), false),
        _ => return false,
    };
    let Some(built_key) = key_of(v, built, keypos) else {
        return false;
    };
    if same_construction(v, atoms, head_key, built_key, const_mode) {
        return true;
    }
    if const_mode {
        return false;
    }
    // `{element, KeyPos, '$_'}`.
    matches!(v.tuple(built_key), Some([f, n, x])
        if name(Word(*f)).as_deref() == Some("element")
            && Word(*n).as_small() == Some(keypos as i64)
            && name(Word(*x)).as_deref() == Some("$_"))
}

/// Whether the body term `b` always builds the term the head term `a`
/// matched (`constant`: `b` is inside `{const, _}`, so its variables are atoms).
fn same_construction(v: &View, atoms: &Atoms, a: Word, b: Word, constant: bool) -> bool {
    let name = |w: Word| w.as_atom().map(|x| atoms.name(x));
    if b.is_list() {
        // Along the tails without recursion: lists can be long.
        let (mut a, mut b) = (a, b);
        while b.is_list() {
            if !a.is_list() {
                return false;
            }
            let ((ha, ta), (hb, tb)) = (v.cons(a), v.cons(b));
            if !same_construction(v, atoms, ha, hb, constant) {
                return false;
            }
            (a, b) = (ta, tb);
        }
        return same_construction(v, atoms, a, b, constant);
    }
    if let Some(bt) = v.tuple(b) {
        let (b, constant) = match bt {
            _ if constant => (b, true),
            [x] if v.tuple(Word(*x)).is_some() => (Word(*x), false),
            [c, x] if name(Word(*c)).as_deref() == Some("const") => {
                return same_construction(v, atoms, a, Word(*x), true);
            }
            _ => return false,
        };
        let (Some(at), Some(bt)) = (v.tuple(a), v.tuple(b)) else {
            return false;
        };
        return at.len() == bt.len()
            && at
                .iter()
                .zip(bt)
                .all(|(x, y)| same_construction(v, atoms, Word(*x), Word(*y), constant));
    }
    if maps::is_map(v, b) {
        // The head's map may have had more keys.
        return false;
    }
    if b.is_boxed() {
        return compare::exact_eq(v, atoms, a, b);
    }
    if a != b {
        return false;
    }
    match name(a).as_deref() {
        Some("_" | "$$" | "$_") => false,
        Some(n) => !(constant && variable(n).is_some()),
        None => true,
    }
}

/// Whether a pattern binds and ignores nothing.
fn ground(p: &Pat) -> bool {
    match p {
        Pat::Any | Pat::Bind(_) | Pat::Same(_) => false,
        Pat::Imm(_) | Pat::Const(_) => true,
        Pat::Tuple(ps) => ps.iter().all(ground),
        Pat::List(ps, t) => ps.iter().all(ground) && ground(t),
        // A map pattern also matches maps with more keys.
        Pat::Map(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlfmt::{parse::whole, w as show};

    /// A term parsed from text, built in `area`.
    fn build(area: &mut Area, atoms: &Atoms, text: &str) -> Word {
        area.from_term(0, &whole(text).expect("a term"), atoms)
    }

    fn compile(atoms: &Atoms, text: &str) -> MatchSpec {
        let mut caller = Area::default();
        let ms = build(&mut caller, atoms, text);
        let v = View {
            heap: &caller,
            literals: &[],
        };
        MatchSpec::compile(&v, atoms, ms, true).expect("a good specification")
    }

    #[test]
    fn specifications_are_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<MatchSpec>();
    }

    #[test]
    fn objects_are_read_in_their_own_area_and_results_built_on_the_heap() {
        let atoms = Atoms::new();
        // The specification's heap is gone once it is compiled.
        let ms = compile(
            &atoms,
            "[{{'$1',<<107,101,121>>,'$2'},[{'>','$2',1.5}],[{{'$_',{const,{c,2.5}},'$$'}}]}]",
        );
        let mut table = Area::default();
        let obj = build(&mut table, &atoms, "{[x],<<107,101,121>>,3}");
        let src = View {
            heap: &table,
            literals: &[],
        };
        let mut heap = Area::default();
        let r = ms.run(&src, obj, &mut heap, &atoms, 1).expect("a match");
        let hv = View {
            heap: &heap,
            literals: &[],
        };
        assert_eq!(
            show(&hv.to_term(r, &atoms)),
            "{{[x],<<107,101,121>>,3},{c,2.5},[[x],3]}"
        );
        let other = build(&mut table, &atoms, "{[x],<<107,101,121>>,1}");
        let src = View {
            heap: &table,
            literals: &[],
        };
        assert!(ms.run(&src, other, &mut heap, &atoms, 1).is_none());
    }

    #[test]
    fn bound_keys_are_those_of_ground_key_elements() {
        let atoms = Atoms::new();
        let keys = |text: &str, pos: usize| {
            let ms = compile(&atoms, text);
            ms.bound_keys(pos).map(|ks| {
                ks.iter()
                    .map(|k| show(&ms.view().to_term(*k, &atoms)))
                    .collect::<Vec<_>>()
            })
        };
        let two = "[{{a,'$1'},[],['$1']},{{{b,[1.5]},'_'},[],[x]}]";
        assert_eq!(keys(two, 1), Some(vec!["a".into(), "{b,[1.5]}".into()]));
        assert_eq!(keys(two, 2), None);
        assert_eq!(keys(two, 3), None);
        assert_eq!(keys("[{'_',[],[x]}]", 1), None);
        assert_eq!(keys("[{{{k,'$1'},v},[],[x]}]", 1), None);
        assert_eq!(keys("[{{#{},v},[],[x]}]", 1), None);
    }
}
