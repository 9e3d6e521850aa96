//! The program generator's core: types, the variables in scope, literals,
//! typed expressions, patterns and guards.
//!
//! Expressions are typed by construction (an integer expression is built
//! from integer operands...), so most generated code runs to completion and
//! computes something worth comparing; a few choices (`risky`) take the
//! variant that may raise instead (a divisor that may be zero, `hd` of a
//! list that may be empty, a `case` without a catch-all).
//!
//! Every variable gets a fresh name, and a variable bound inside a clause,
//! fun, comprehension or argument never leaves it: so no generated program
//! uses an unbound or unsafe variable, and a pattern only repeats a bound
//! variable when the generator means it to.
//!
//! Sizes are budgeted ([`Bud`]) so values stay printable: an integer
//! expression under a budget of `bits` is at most about that many bits (a
//! product halves the budget, a shift left by `n` takes `n` from it), and a
//! list, binary or map at most `len` long. A variable remembers the budget
//! it was made under and is only used where that fits, so nothing grows
//! from one statement to the next beyond the largest budget, and a loop
//! (fold, recursion) can grow its accumulator only by adding.

use crate::rng::Rng;
use crate::terms::float_literal;

#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Atom,
    /// A binary (a whole number of bytes).
    Bin,
    /// Any bitstring.
    Bits,
    List(Box<Ty>),
    Tuple(Vec<Ty>),
    /// A map with these keys (source of literal terms) and value types.
    Map(Vec<(String, Ty)>),
    /// A fun taking these and returning that.
    Fun(Vec<Ty>, Box<Ty>),
    /// Any term except a fun (funs are never compared or sorted: their
    /// order is each VM's own).
    Any,
    /// A map of more than 32 keys, which only the `bigmaps` feature
    /// touches: printed or listed as it is, its order would be each VM's.
    BigMap,
    /// A record of the ones every program defines (`features::RECORDS`).
    Record(&'static str),
    /// What a `try` caught or gave: an exception's reason may hold a fun
    /// (`badfun`, `badarity`), so it is printed but never compared, sorted
    /// or encoded (LAM's term_to_binary has no local funs yet).
    Caught,
}

pub fn list_of(t: Ty) -> Ty {
    Ty::List(Box::new(t))
}

/// Whether a value of type `have` may stand where `want` is expected.
pub fn fits(have: &Ty, want: &Ty) -> bool {
    match (have, want) {
        (Ty::Fun(..) | Ty::BigMap | Ty::Caught, Ty::Any) => false,
        (_, Ty::Any) => true,
        (Ty::Bool, Ty::Atom) | (Ty::Bin, Ty::Bits) => true,
        (Ty::List(a), Ty::List(b)) => fits(a, b),
        (Ty::Tuple(a), Ty::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| fits(x, y))
        }
        (Ty::Map(a), Ty::Map(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|((k, x), (l, y))| k == l && fits(x, y))
        }
        _ => have == want,
    }
}

/// A size budget: integers of at most about `bits` bits, lists, binaries
/// and maps of at most `len` elements, bytes or keys.
#[derive(Clone, Copy, Debug)]
pub struct Bud {
    pub bits: u32,
    pub len: u32,
}

impl Bud {
    pub fn bits(self, bits: u32) -> Bud {
        Bud { bits, ..self }
    }
    pub fn len(self, len: u32) -> Bud {
        Bud { len, ..self }
    }
    pub fn half_len(self) -> Bud {
        self.len((self.len / 2).max(1))
    }
}

/// The smallest integers are always allowed, whatever the budget.
const FLOOR_BITS: u32 = 9;

#[derive(Clone)]
pub struct Var {
    pub name: String,
    pub ty: Ty,
    pub bud: Bud,
}

pub const ATOMS: &[&str] = &[
    "a",
    "b",
    "ok",
    "error",
    "undefined",
    "nil",
    "x",
    "zzz",
    "'hello world'",
    "''",
    "'A'",
    "'$x'",
    "'Ωμέγα'",
    "'ünïcödé'",
];

/// Map keys: atoms, integers and floats that are `==` but not `=:=`,
/// tuples, binaries, lists, a bignum.
pub const MAP_KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "k",
    "ok",
    "1",
    "2",
    "-1",
    "1.0",
    "0.0",
    "{x, 1}",
    "<<\"key\">>",
    "[]",
    "\"s\"",
    "18446744073709551616",
    "576460752303423488",
];

/// Bit counts at which integers change representation on one VM or the
/// other (LAM's small integers are 60 bits, erl's 60 too on 64-bit, words
/// are 64, doubles are exact to 53).
const EDGES: &[u32] = &[
    4, 7, 8, 15, 16, 26, 27, 28, 31, 32, 47, 52, 53, 54, 58, 59, 60, 61, 62, 63, 64, 65, 96, 127,
    128, 129, 200, 256, 300, 1000,
];

/// Shift amounts at the same edges.
const SHIFTS: &[i64] = &[
    0, 1, 2, 3, 4, 7, 8, 15, 16, 27, 28, 31, 32, 33, 52, 53, 59, 60, 61, 62, 63, 64, 65, 100, 127,
    128, 200,
];

pub struct Gen<'r> {
    pub rng: &'r mut Rng,
    pub vars: Vec<Var>,
    fresh: u32,
    /// Extra functions the current function calls (`fN_hM`).
    pub helpers: Vec<String>,
    pub fname: String,
    /// The feature the current function is about: biases some choices.
    pub focus: &'static str,
    /// The largest integer, in bits, of the literals written since the
    /// caller last reset it (to give parameters their true budget).
    pub lit_bits: u32,
    /// One risky choice in this many.
    pub risk: usize,
    /// Where the variables bound by the pattern being written start (a
    /// binary size may only use variables bound before that).
    pub pat_base: usize,
    helper_count: usize,
}

impl<'r> Gen<'r> {
    pub fn new(rng: &'r mut Rng) -> Gen<'r> {
        Gen {
            rng,
            vars: Vec::new(),
            fresh: 0,
            helpers: Vec::new(),
            fname: String::new(),
            focus: "",
            lit_bits: 0,
            risk: 14,
            pat_base: 0,
            helper_count: 0,
        }
    }

    /// Starts a new function.
    pub fn reset(&mut self, fname: &str, focus: &'static str) {
        self.vars.clear();
        self.fresh = 0;
        self.helpers.clear();
        self.helper_count = 0;
        self.fname = fname.to_string();
        self.focus = focus;
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        *self.rng.pick(xs)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.rng.below(n)
    }

    pub fn one_in(&mut self, n: usize) -> bool {
        self.rng.one_in(n)
    }

    pub fn pick_ty(&mut self, xs: &[Ty]) -> Ty {
        self.rng.pick(xs).clone()
    }

    /// Whether to take the variant that may raise.
    pub fn risky(&mut self) -> bool {
        self.rng.one_in(self.risk)
    }

    /// An index in `0..weights.len()`, each with its weight.
    pub fn choose(&mut self, weights: &[usize]) -> usize {
        let total: usize = weights.iter().sum();
        let mut r = self.rng.below(total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        unreachable!("r < total")
    }

    pub fn fresh(&mut self) -> String {
        self.fresh += 1;
        format!("V{}", self.fresh)
    }

    pub fn helper_name(&mut self) -> String {
        self.helper_count += 1;
        format!("{}_h{}", self.fname, self.helper_count)
    }

    pub fn bind(&mut self, name: &str, ty: Ty, bud: Bud) {
        self.vars.push(Var {
            name: name.to_string(),
            ty,
            bud,
        });
    }

    /// A fresh variable of `ty` bound from here on.
    pub fn new_var(&mut self, ty: Ty, bud: Bud) -> String {
        let v = self.fresh();
        self.bind(&v, ty, bud);
        v
    }

    pub fn mark(&self) -> usize {
        self.vars.len()
    }

    pub fn unwind(&mut self, mark: usize) {
        self.vars.truncate(mark);
    }

    /// A statement's budget.
    pub fn bud(&mut self) -> Bud {
        Bud {
            bits: self.pick(&[16, 64, 64, 128, 128, 300, 600, 1100]),
            len: self.pick(&[4, 8, 8, 16, 24]),
        }
    }

    /// A variable in scope that fits `ty` and `b`.
    pub fn var_of(&mut self, ty: &Ty, b: Bud) -> Option<String> {
        let bits = b.bits.max(FLOOR_BITS);
        let found: Vec<usize> = (0..self.vars.len())
            .filter(|&i| {
                let v = &self.vars[i];
                fits(&v.ty, ty) && v.bud.bits <= bits && v.bud.len <= b.len.max(1)
            })
            .collect();
        if found.is_empty() {
            None
        } else {
            let i = self.pick(&found);
            Some(self.vars[i].name.clone())
        }
    }

    /// Variables in scope whose type satisfies `f`, with their types.
    pub fn vars_where(&self, f: impl Fn(&Ty) -> bool) -> Vec<(String, Ty)> {
        self.vars
            .iter()
            .filter(|v| f(&v.ty))
            .map(|v| (v.name.clone(), v.ty.clone()))
            .collect()
    }

    /// A random type, `depth` containers deep at most.
    pub fn ty(&mut self, depth: u32) -> Ty {
        match self.below(if depth == 0 { 9 } else { 15 }) {
            0..=2 => Ty::Int,
            3 => Ty::Float,
            4 => Ty::Atom,
            5 => Ty::Bool,
            6 => Ty::Bin,
            7 => Ty::Bits,
            8 => Ty::Any,
            9 | 10 => list_of(self.ty(depth - 1)),
            11 | 12 => {
                let n = 1 + self.below(3);
                Ty::Tuple((0..n).map(|_| self.ty(depth - 1)).collect())
            }
            _ => Ty::Map(self.map_fields(depth - 1)),
        }
    }

    pub fn map_fields(&mut self, depth: u32) -> Vec<(String, Ty)> {
        let n = 1 + self.below(4);
        let mut keys: Vec<&str> = Vec::new();
        while keys.len() < n {
            let k = self.pick(MAP_KEYS);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys.into_iter()
            .map(|k| (k.to_string(), self.ty(depth)))
            .collect()
    }

    // ---------------------------------------------------------------- literals

    pub fn atom_lit(&mut self) -> String {
        self.pick(ATOMS).to_string()
    }

    pub fn int_lit(&mut self, bits: u32) -> String {
        let bits = bits.max(FLOOR_BITS);
        let (s, used) = match self.below(14) {
            0..=4 => (self.rng.range(-10, 300).to_string(), 9),
            5..=8 => {
                let ks: Vec<u32> = EDGES.iter().copied().filter(|&k| k < bits).collect();
                let k = self.pick(&ks);
                let delta = self.rng.range(-2, 2);
                let neg = self.one_in(3);
                (pow2_literal(k, delta, neg, self.one_in(3)), k + 1)
            }
            9 => (
                self.rng.range(i32::MIN as i64, i32::MAX as i64).to_string(),
                32,
            ),
            10 if bits >= 64 => ((self.rng.next() as i64).to_string(), 64),
            11 if bits >= 70 => {
                let digits = 20 + self.below(((bits * 3 / 10) as usize).saturating_sub(20).max(1));
                let mut s = String::new();
                if self.one_in(2) {
                    s.push('-');
                }
                s.push(char::from(b'1' + self.below(9) as u8));
                for _ in 1..digits {
                    s.push(char::from(b'0' + self.below(10) as u8));
                }
                (s, digits as u32 * 10 / 3 + 1)
            }
            12 => (format!("${}", self.pick(&['a', 'Z', '0', ' '])), 7),
            _ => (
                self.pick(&["2#101", "8#17", "16#7f", "36#z", "-16#10"])
                    .to_string(),
                9,
            ),
        };
        self.lit_bits = self.lit_bits.max(used);
        s
    }

    pub fn float_lit(&mut self) -> String {
        let f: f64 = match self.below(16) {
            0 => 0.0,
            1 => return "-0.0".into(),
            2 => 5e-324,
            3 => 2.2250738585072014e-308,
            4 => f64::MAX,
            5 => 9007199254740992.0,
            6 => 9007199254740993.0,
            7 => 1e300,
            8 => 0.5,
            9 => 2.5,
            10 => (1u64 << 63) as f64,
            11 => (1u64 << 60) as f64,
            12 => 0.1,
            _ => {
                let x = self.rng.range(-100000, 100000) as f64;
                x / self.pick(&[1.0, 3.0, 7.0, 1024.0, 1e10])
            }
        };
        let f = if self.one_in(3) { -f } else { f };
        float_literal(f)
    }

    pub fn bytes_lit(&mut self, max: u32) -> String {
        match self.below(6) {
            0 => "<<>>".into(),
            1 => "<<\"abc\">>".into(),
            2 => "<<\"h\\x{e9}llo\"/utf8>>".into(),
            3 => "<<255, 0, 128, 127>>".into(),
            _ => {
                let n = self.below(max.clamp(1, 12) as usize + 1);
                let bytes: Vec<String> = (0..n)
                    .map(|_| {
                        self.pick(&[0, 1, 7, 127, 128, 200, 255, 65, 97])
                            .to_string()
                    })
                    .collect();
                format!("<<{}>>", bytes.join(","))
            }
        }
    }

    pub fn bits_lit(&mut self, max: u32) -> String {
        if self.one_in(3) {
            return self.bytes_lit(max);
        }
        let n = self.below(max.clamp(1, 6) as usize);
        let mut segs: Vec<String> = (0..n).map(|_| self.below(256).to_string()).collect();
        segs.push(format!("{}:{}", self.below(8), 1 + self.below(7)));
        format!("<<{}>>", segs.join(","))
    }

    /// A literal of `ty`.
    pub fn lit(&mut self, ty: &Ty, b: Bud) -> String {
        match ty {
            Ty::Int => self.int_lit(b.bits),
            Ty::Float => self.float_lit(),
            Ty::Bool => self.pick(&["true", "false"]).into(),
            Ty::Atom => self.atom_lit(),
            Ty::Bin => self.bytes_lit(b.len),
            Ty::Bits => self.bits_lit(b.len),
            Ty::List(t) => {
                let n = self.below(b.len.min(5) as usize + 1);
                let items: Vec<String> = (0..n).map(|_| self.lit(t, b)).collect();
                format!("[{}]", items.join(", "))
            }
            Ty::Tuple(ts) => {
                let items: Vec<String> = ts.iter().map(|t| self.lit(t, b)).collect();
                format!("{{{}}}", items.join(", "))
            }
            Ty::Map(fs) => {
                let items: Vec<String> = fs
                    .iter()
                    .map(|(k, t)| format!("{k} => {}", self.lit(t, b)))
                    .collect();
                format!("#{{{}}}", items.join(", "))
            }
            Ty::Fun(ps, r) => {
                let saved = std::mem::take(&mut self.vars);
                let f = self.fun_expr(ps, r, 1, b);
                self.vars = saved;
                f
            }
            Ty::Any => {
                let t = self.ty(1);
                self.lit(&t, b)
            }
            Ty::BigMap => "maps:from_list([{K, K} || K <- lists:seq(1, 40)])".into(),
            Ty::Caught => "ok".into(),
            Ty::Record(r) => format!("#{r}{{}}"),
        }
    }

    // ------------------------------------------------------------- expressions

    /// An expression of type `ty`, `d` levels deep at most, within `b`.
    pub fn e(&mut self, ty: &Ty, d: u32, b: Bud) -> String {
        if d == 0 || self.one_in(4) {
            if let Some(v) = self.var_of(ty, b) {
                return v;
            }
            if d == 0 {
                return self.lit(ty, b);
            }
        }
        if d >= 2 && self.one_in(9) {
            return self.control(ty, d, b);
        }
        match ty {
            Ty::Int => self.int(d, b),
            Ty::Float => self.float(d, b),
            Ty::Bool => self.boolean(d, b),
            Ty::Atom => self.atom(d, b),
            Ty::Bin => self.binary(d, b, true),
            Ty::Bits => self.binary(d, b, false),
            Ty::List(t) => self.list(t, d, b),
            Ty::Tuple(ts) => self.tuple(ts, d, b),
            Ty::Map(fs) => self.map(fs, d, b),
            Ty::Fun(ps, r) => self.fun_expr(ps, r, d, b),
            Ty::BigMap | Ty::Caught | Ty::Record(_) => self.lit(ty, b),
            Ty::Any => {
                if self.one_in(4) {
                    return self.any_op(d, b);
                }
                let t = self.ty(1);
                self.e(&t, d, b)
            }
        }
    }

    /// An integer expression that is never zero, or rarely may be.
    fn divisor(&mut self, d: u32, b: Bud) -> String {
        if self.risky() {
            return self.e(&Ty::Int, d, b);
        }
        match self.below(4) {
            0 => {
                let lit = self.int_lit(b.bits);
                if lit == "0" {
                    "7".into()
                } else {
                    format!("({lit})")
                }
            }
            _ => format!("({} bor 1)", self.e(&Ty::Int, d, b)),
        }
    }

    fn shift(&mut self, d: u32, b: Bud) -> String {
        let op = self.pick(&["bsl", "bsr"]);
        match self.below(5) {
            0..=2 => {
                let n = self.pick(SHIFTS);
                let n = if self.one_in(5) { -n } else { n };
                let left = if op == "bsl" { n } else { -n };
                let rest = b.bits.saturating_sub(left.max(0) as u32);
                format!("({} {op} {n})", self.e(&Ty::Int, d, b.bits(rest)))
            }
            3 => {
                let amount = format!(
                    "({} {})",
                    self.e(&Ty::Int, d, b),
                    self.pick(&["band 63", "rem 70", "band 7", "bsr 58"])
                );
                let rest = b.bits.saturating_sub(70);
                format!("({} {op} {amount})", self.e(&Ty::Int, d, b.bits(rest)))
            }
            _ => {
                // Past every bit, or past the BEAM's limit (system_limit).
                let n = self.pick(&["1000", "(1 bsl 40)", "(1 bsl 70)", "-1000", "-(1 bsl 64)"]);
                let op = if n.starts_with('-') == (op == "bsl") {
                    op
                } else {
                    "bsr"
                };
                if op == "bsl" && !n.starts_with('-') && !self.risky() {
                    return format!("({} bsr {n})", self.e(&Ty::Int, d, b));
                }
                format!("({} {op} {n})", self.e(&Ty::Int, d, b))
            }
        }
    }

    pub fn int(&mut self, d: u32, b: Bud) -> String {
        let s = d - 1;
        let bitw = if self.focus == "bitops" { 8 } else { 2 };
        let arw = if self.focus == "arith" { 8 } else { 3 };
        let i = Ty::Int;
        match self.choose(&[
            arw * 2,
            arw,
            arw,
            bitw * 2,
            bitw * 2,
            bitw,
            2,
            2,
            2,
            2,
            2,
            2,
            2,
            1,
            2,
        ]) {
            0 => {
                let op = self.pick(&["+", "-"]);
                format!("({} {op} {})", self.e(&i, s, b), self.e(&i, s, b))
            }
            1 => {
                let h = b.bits(b.bits / 2);
                format!("({} * {})", self.e(&i, s, h), self.e(&i, s, h))
            }
            2 => {
                let op = self.pick(&["div", "rem"]);
                format!("({} {op} {})", self.e(&i, s, b), self.divisor(s, b))
            }
            3 => {
                let op = self.pick(&["band", "bor", "bxor"]);
                format!("({} {op} {})", self.e(&i, s, b), self.e(&i, s, b))
            }
            4 => self.shift(s, b),
            5 => format!("(bnot {})", self.e(&i, s, b)),
            6 => match self.below(3) {
                0 => format!("(-({}))", self.e(&i, s, b)),
                1 => format!("abs({})", self.e(&i, s, b)),
                _ => format!("(+({}))", self.e(&i, s, b)),
            },
            7 => {
                let f = self.pick(&["max", "min"]);
                format!("{f}({}, {})", self.e(&i, s, b), self.e(&i, s, b))
            }
            8 => {
                let f = self.pick(&["trunc", "round", "floor", "ceil"]);
                let x = format!("{f}({})", self.e(&Ty::Float, s, b));
                if b.bits >= 1100 {
                    x
                } else {
                    format!(
                        "({x} rem {})",
                        pow2_literal(b.bits.clamp(8, 64), 0, false, false)
                    )
                }
            }
            9 => self.size_of(s, b),
            10 => self.extract(&Ty::Int, s, b),
            11 => {
                let l = self.e(&list_of(Ty::Int), s, b.bits(b.bits.saturating_sub(5)));
                match self.below(4) {
                    0 | 1 => format!("lists:sum({l})"),
                    2 => format!("length({l})"),
                    _ if self.risky() => {
                        format!("lists:{}({l})", self.pick(&["max", "min", "last"]))
                    }
                    _ => format!("lists:{}([0 | {l}])", self.pick(&["max", "min", "last"])),
                }
            }
            12 => {
                let x = self.e(&i, s, b);
                match self.below(4) {
                    0 => {
                        let base = self.pick(&[2, 8, 10, 16, 36]);
                        format!("list_to_integer(integer_to_list({x}, {base}), {base})")
                    }
                    1 => format!("binary_to_integer(integer_to_binary({x}))"),
                    2 => format!("binary_to_term(term_to_binary({x}))"),
                    _ => format!("list_to_integer(integer_to_list({x}))"),
                }
            }
            13 => self.fold_int(s, b),
            _ => self.int_lit(b.bits),
        }
    }

    /// `length`, `tuple_size`, `byte_size`... of something.
    fn size_of(&mut self, d: u32, b: Bud) -> String {
        match self.below(6) {
            0 => {
                let t = self.ty(0);
                format!("length({})", self.e(&list_of(t), d, b))
            }
            1 => {
                let t = Ty::Tuple((0..1 + self.below(3)).map(|_| Ty::Any).collect());
                format!("tuple_size({})", self.e(&t, d, b))
            }
            2 => format!("byte_size({})", self.e(&Ty::Bits, d, b)),
            3 => format!("bit_size({})", self.e(&Ty::Bits, d, b)),
            4 => {
                let m = Ty::Map(self.map_fields(0));
                format!("map_size({})", self.e(&m, d, b))
            }
            _ => format!("size({})", self.e(&Ty::Bin, d, b)),
        }
    }

    /// A value of `want` taken out of a container variable in scope:
    /// `element/2` of a tuple, `hd/1` or `lists:nth/2` of a list, a map's
    /// value; else built some other way.
    fn extract(&mut self, want: &Ty, d: u32, b: Bud) -> String {
        let bits = b.bits.max(FLOOR_BITS);
        let mut options = Vec::new();
        for v in &self.vars {
            if v.bud.bits > bits {
                continue;
            }
            match &v.ty {
                Ty::Tuple(ts) => {
                    for (i, t) in ts.iter().enumerate() {
                        if fits(t, want) {
                            options.push(format!("element({}, {})", i + 1, v.name));
                        }
                    }
                }
                Ty::List(t) if fits(t, want) => {
                    // Lists may be empty: the raising forms are the risky ones.
                    options.push(format!("hd({} ++ [DEFAULT])", v.name));
                    options.push(format!("lists:last([DEFAULT | {}])", v.name));
                    options.push(format!("hd({})", v.name));
                    options.push(format!("lists:nth(1, {})", v.name));
                }
                Ty::Map(fs) => {
                    for (k, t) in fs {
                        if fits(t, want) {
                            options.push(format!("map_get({k}, {})", v.name));
                            options.push(format!("maps:get({k}, {})", v.name));
                            options.push(format!("maps:get({k}, {}, {})", v.name, "nope"));
                        }
                    }
                }
                _ => {}
            }
        }
        if options.is_empty() {
            // A tuple built on the spot.
            let x = self.e(want, d, b);
            let other = self.e(&Ty::Any, d, b.bits(16));
            return if self.one_in(2) {
                format!("element(2, {{{other}, {x}}})")
            } else {
                format!("hd([{x}, {other}])")
            };
        }
        let i = self.below(options.len());
        let chosen = options.swap_remove(i);
        let raising =
            chosen.starts_with("hd(") && !chosen.contains("++") || chosen.starts_with("lists:nth");
        if raising && !self.risky() {
            return self.extract(want, d, b);
        }
        if chosen.contains("DEFAULT") {
            let default = self.lit(want, b);
            return chosen.replace("DEFAULT", &default);
        }
        chosen
    }

    fn fold_int(&mut self, d: u32, b: Bud) -> String {
        let et = self.pick_ty(&[Ty::Int, Ty::Int, Ty::Any, Ty::Float]);
        let l = self.e(&list_of(et.clone()), d, b);
        let mark = self.mark();
        let x = self.fresh();
        let acc = self.fresh();
        self.bind(&x, et, b);
        self.bind(&acc, Ty::Int, b);
        let body = match self.below(3) {
            0 => format!("({acc} + {})", self.e(&Ty::Int, d, b)),
            1 => format!("({acc} bxor {})", self.e(&Ty::Int, d, b)),
            _ => self.e(&Ty::Int, d, b),
        };
        self.unwind(mark);
        let init = self.e(&Ty::Int, d, b);
        let f = self.pick(&["foldl", "foldr"]);
        format!("lists:{f}(fun({x}, {acc}) -> {body} end, {init}, {l})")
    }

    /// An integer or a float.
    pub fn num(&mut self, d: u32, b: Bud) -> String {
        if self.one_in(2) {
            self.e(&Ty::Int, d, b)
        } else {
            self.e(&Ty::Float, d, b)
        }
    }

    pub fn float(&mut self, d: u32, b: Bud) -> String {
        let s = d - 1;
        let f = Ty::Float;
        let fw = if self.focus == "float" { 4 } else { 1 };
        match self.choose(&[fw * 4, fw * 2, 2, fw * 2, fw, 1, 1, fw * 2, 1, 1]) {
            0 => {
                let op = self.pick(&["+", "-", "*"]);
                if self.one_in(2) {
                    format!("({} {op} {})", self.e(&f, s, b), self.num(s, b))
                } else {
                    format!("({} {op} {})", self.num(s, b), self.e(&f, s, b))
                }
            }
            1 => {
                let den = if self.risky() {
                    self.num(s, b)
                } else {
                    format!("({} + 0.5)", self.e(&f, s, b))
                };
                format!("({} / {den})", self.num(s, b))
            }
            2 => format!("float({})", self.e(&Ty::Int, s, b)),
            3 => {
                let x = self.num(s, b);
                let safe = format!("abs({x})");
                match self.below(9) {
                    0 => format!("math:sqrt({safe})"),
                    1 => format!("math:sin({x})"),
                    2 => format!("math:cos({x})"),
                    3 => format!("math:atan({x})"),
                    4 => format!("math:exp({} / 1.0e300)", x),
                    5 => format!("math:log({safe} + 1)"),
                    6 => format!("math:{}({x})", self.pick(&["floor", "ceil"])),
                    7 => format!("math:atan2({x}, {})", self.num(s, b)),
                    _ => format!("math:tanh({x})"),
                }
            }
            4 => {
                let x = self.num(s, b);
                match self.below(3) {
                    0 => format!(
                        "math:pow({x}, {})",
                        self.pick(&["2", "0.5", "3", "-1", "1.5", "0"])
                    ),
                    1 => format!(
                        "math:fmod({x}, {})",
                        self.pick(&["7", "2.5", "-3.0", "1.0e-3"])
                    ),
                    _ => format!(
                        "math:pow({}, {x})",
                        self.pick(&["2", "0.5", "-2.0", "1.0e-5"])
                    ),
                }
            }
            5 => match self.below(2) {
                0 => format!("(-({}))", self.e(&f, s, b)),
                _ => format!("abs({})", self.e(&f, s, b)),
            },
            6 => {
                let m = self.pick(&["max", "min"]);
                format!("{m}({}, {})", self.e(&f, s, b), self.e(&f, s, b))
            }
            7 => {
                let x = self.e(&f, s, b);
                match self.below(5) {
                    0 => format!("list_to_float(float_to_list({x}))"),
                    1 => format!("binary_to_float(float_to_binary({x}, [short]))"),
                    2 => format!("binary_to_term(term_to_binary({x}))"),
                    3 => format!("list_to_float(float_to_list({x}, [{{scientific, 17}}]))"),
                    _ => format!("binary_to_term(term_to_binary({x}, [{{minor_version, 0}}]))"),
                }
            }
            8 => self.extract(&f, s, b),
            _ => self.float_lit(),
        }
    }

    /// Two values that compare in an interesting way: an integer and a
    /// float near it, values of different types, equal values.
    pub fn comparable_pair(&mut self, d: u32, b: Bud) -> (String, String) {
        match self.below(5) {
            0 => {
                let x = self.e(&Ty::Int, d, b);
                let y = match self.below(3) {
                    0 if binds_nothing(&x) => format!("float({x})"),
                    1 if binds_nothing(&x) => format!("(float({x}) + 1.0)"),
                    _ => self.float_lit(),
                };
                (x, y)
            }
            1 => {
                let t = self.ty(1);
                (self.e(&t, d, b), self.e(&t, d, b))
            }
            2 => {
                let x = self.e(&Ty::Any, d, b);
                if binds_nothing(&x) {
                    (x.clone(), x)
                } else {
                    let t = self.ty(0);
                    (x, self.lit(&t, b))
                }
            }
            _ => {
                let t1 = self.ty(1);
                let t2 = self.ty(1);
                (self.e(&t1, d, b), self.e(&t2, d, b))
            }
        }
    }

    pub fn boolean(&mut self, d: u32, b: Bud) -> String {
        let s = d - 1;
        match self.below(10) {
            0..=2 => {
                let (x, y) = self.comparable_pair(s, b);
                let op = self.pick(&["==", "/=", "=:=", "=/=", "<", ">", "=<", ">="]);
                format!("({x} {op} {y})")
            }
            3 => {
                let t = self.pick(&[
                    "integer",
                    "float",
                    "number",
                    "atom",
                    "boolean",
                    "binary",
                    "bitstring",
                    "list",
                    "tuple",
                    "map",
                    "function",
                ]);
                format!("is_{t}({})", self.e(&Ty::Any, s, b))
            }
            4 => format!("(not {})", self.e(&Ty::Bool, s, b)),
            5 | 6 => {
                let op = self.pick(&["andalso", "orelse", "and", "or", "xor"]);
                format!(
                    "({} {op} {})",
                    self.e(&Ty::Bool, s, b),
                    self.e(&Ty::Bool, s, b)
                )
            }
            7 => {
                let t = self.ty(0);
                format!(
                    "lists:member({}, {})",
                    self.e(&t, s, b),
                    self.e(&list_of(t.clone()), s, b)
                )
            }
            8 => {
                let fs = self.map_fields(0);
                let k = if self.one_in(2) {
                    fs[0].0.clone()
                } else {
                    self.pick(MAP_KEYS).to_string()
                };
                let m = self.e(&Ty::Map(fs), s, b);
                let f = self.pick(&["is_map_key", "maps:is_key"]);
                format!("{f}({k}, {m})")
            }
            _ => {
                let t = self.ty(0);
                let l = self.e(&list_of(t.clone()), s, b);
                let mark = self.mark();
                let x = self.new_var(t, b);
                let body = self.e(&Ty::Bool, s, b);
                self.unwind(mark);
                let f = self.pick(&["all", "any"]);
                format!("lists:{f}(fun({x}) -> {body} end, {l})")
            }
        }
    }

    fn atom(&mut self, d: u32, b: Bud) -> String {
        let s = d - 1;
        match self.below(5) {
            0 => self.e(&Ty::Bool, s, b),
            1 => format!(
                "list_to_atom(atom_to_list({}) ++ \"_x\")",
                self.e(&Ty::Atom, s, b)
            ),
            2 => format!(
                "binary_to_atom(atom_to_binary({}))",
                self.e(&Ty::Atom, s, b)
            ),
            3 => self.extract(&Ty::Atom, s, b),
            _ => self.atom_lit(),
        }
    }

    pub fn list(&mut self, t: &Ty, d: u32, b: Bud) -> String {
        let s = d - 1;
        let lt = list_of(t.clone());
        let hw = if self.focus == "hof" || self.focus == "comprehensions" {
            4
        } else {
            1
        };
        match self.choose(&[3, 2, 2, 1, 2, hw, hw, hw * 2, 2, 1, 1]) {
            0 => {
                let n = self.below(b.len.min(4) as usize + 1);
                let items: Vec<String> = (0..n).map(|_| self.e(t, s, b)).collect();
                format!("[{}]", items.join(", "))
            }
            1 => format!(
                "[{} | {}]",
                self.e(t, s, b),
                self.e(&lt, s, b.len(b.len.saturating_sub(1)))
            ),
            2 => format!(
                "({} ++ {})",
                self.e(&lt, s, b.half_len()),
                self.e(&lt, s, b.half_len())
            ),
            3 => format!("({} -- {})", self.e(&lt, s, b), self.e(&lt, s, b)),
            4 => {
                let l = self.e(&lt, s, b);
                match self.below(5) {
                    0 => format!("lists:reverse({l})"),
                    1 => format!("lists:sort({l})"),
                    2 => format!("lists:usort({l})"),
                    3 => format!("lists:sublist({l}, {})", self.below(5)),
                    _ => {
                        if self.risky() {
                            format!("tl({l})")
                        } else {
                            format!("lists:droplast({l} ++ [{}])", self.lit(t, b))
                        }
                    }
                }
            }
            5 => {
                let u = self.ty(1);
                let src = self.e(&list_of(u.clone()), s, b);
                let mark = self.mark();
                let x = self.new_var(u, b);
                let body = self.e(t, s, b);
                self.unwind(mark);
                format!("lists:map(fun({x}) -> {body} end, {src})")
            }
            6 => {
                let src = self.e(&lt, s, b);
                let mark = self.mark();
                let x = self.new_var(t.clone(), b);
                let body = self.e(&Ty::Bool, s, b);
                self.unwind(mark);
                format!("lists:filter(fun({x}) -> {body} end, {src})")
            }
            7 => self.comprehension(t, s, b),
            8 => self.typed_list(t, s, b),
            9 => format!(
                "lists:append([{}, {}])",
                self.e(&lt, s, b.half_len()),
                self.e(&lt, s, b.half_len())
            ),
            _ => self.extract(&lt, s, b),
        }
    }

    /// Lists only some element types come from.
    fn typed_list(&mut self, t: &Ty, d: u32, b: Bud) -> String {
        match t {
            Ty::Int => match self.below(6) {
                0 | 1 => {
                    let from = self.e(&Ty::Int, d, b);
                    let from = if binds_nothing(&from) {
                        from
                    } else {
                        self.int_lit(b.bits)
                    };
                    let n = self.below(b.len as usize + 1);
                    let step = self.pick(&["", ", 1", ", 2", ", -1"]);
                    if step == ", -1" {
                        format!("lists:seq({from}, ({from}) - {n}, -1)")
                    } else {
                        format!("lists:seq({from}, ({from}) + {n}{step})")
                    }
                }
                2 => format!("binary_to_list({})", self.e(&Ty::Bin, d, b)),
                3 => format!("integer_to_list({})", self.e(&Ty::Int, d, b)),
                4 => format!("atom_to_list({})", self.e(&Ty::Atom, d, b)),
                _ => {
                    let k = self.pick(&[1, 3, 4, 7, 8, 12, 16]);
                    let src = self.e(&Ty::Bits, d, b.len(b.len.min(4)));
                    let sign = self.pick(&["", "/signed", "/little", "/signed-little"]);
                    let x = self.fresh();
                    format!("[{x} || <<{x}:{k}{sign}>> <= {src}]")
                }
            },
            Ty::Any => match self.below(4) {
                0 => format!(
                    "tuple_to_list({})",
                    self.e(&Ty::Tuple(vec![Ty::Any, Ty::Any]), d, b)
                ),
                1 => {
                    let m = Ty::Map(self.map_fields(0));
                    format!(
                        "maps:{}({})",
                        self.pick(&["keys", "values"]),
                        self.e(&m, d, b)
                    )
                }
                2 => format!("lists:flatten([{}])", self.e(&list_of(Ty::Int), d, b)),
                _ => format!("binary_to_list({})", self.e(&Ty::Bin, d, b)),
            },
            Ty::Tuple(ts) if ts.len() == 2 => {
                let l1 = self.e(&list_of(ts[0].clone()), d, b);
                if self.risky() {
                    let l2 = self.e(&list_of(ts[1].clone()), d, b);
                    format!("lists:zip({l1}, {l2})")
                } else {
                    let mark = self.mark();
                    let x = self.new_var(ts[0].clone(), b);
                    let y = self.e(&ts[1], d, b);
                    self.unwind(mark);
                    format!("[{{{x}, {y}}} || {x} <- {l1}]")
                }
            }
            _ => {
                let n = self.below(3);
                let items: Vec<String> = (0..n).map(|_| self.e(t, d, b)).collect();
                format!("lists:reverse([{}])", items.join(", "))
            }
        }
    }

    /// `[E || Gen, Filter...]`: generators over lists (some with patterns
    /// that skip elements) and binaries, filters that are guards or
    /// boolean expressions.
    pub fn comprehension(&mut self, t: &Ty, d: u32, b: Bud) -> String {
        let mark = self.mark();
        let mut quals = Vec::new();
        let two = b.len >= 9 && self.one_in(3);
        let inner = if two { b.len(3) } else { b };
        for _ in 0..(if two { 2 } else { 1 }) {
            quals.push(self.generator(d, inner));
            if self.one_in(2) {
                quals.push(self.filter(d, b));
            }
        }
        let body = self.e(t, d, b);
        self.unwind(mark);
        format!("[{body} || {}]", quals.join(", "))
    }

    pub fn generator(&mut self, d: u32, b: Bud) -> String {
        match self.below(5) {
            0 => {
                let k = self.pick(&[1, 2, 3, 4, 5, 8, 9, 16]);
                let src = self.e(&Ty::Bits, d, b.len(b.len.min(6)));
                let x = self.new_var(Ty::Int, b.bits(16));
                let spec = self.pick(&["", "/signed", "/little", "/little-signed", "/big"]);
                format!("<<{x}:{k}{spec}>> <= {src}")
            }
            1 => {
                // A pattern that skips elements it does not match.
                let src = self.e(&list_of(Ty::Any), d, b);
                let x = self.new_var(Ty::Any, b);
                let p = match self.below(5) {
                    0 => format!("{{{x}, _}}"),
                    1 => format!("[{x} | _]"),
                    2 => format!("{{{x}}}"),
                    3 => format!("{{_, {x}}}"),
                    _ => x,
                };
                format!("{p} <- {src}")
            }
            _ => {
                let t = self.ty(1);
                let src = self.e(&list_of(t.clone()), d, b);
                let p = self.pat(&t, 1, b);
                format!("{p} <- {src}")
            }
        }
    }

    /// A comprehension filter: a guard or a boolean expression.
    pub fn filter(&mut self, d: u32, b: Bud) -> String {
        if self.one_in(2) {
            self.gtest(2)
        } else {
            self.e(&Ty::Bool, d, b)
        }
    }

    pub fn tuple(&mut self, ts: &[Ty], d: u32, b: Bud) -> String {
        let s = d - 1;
        let tt = Ty::Tuple(ts.to_vec());
        match self.below(6) {
            0 if !ts.is_empty() => {
                let i = self.below(ts.len());
                let src = self.e(&tt, s, b);
                format!("setelement({}, {src}, {})", i + 1, self.e(&ts[i], s, b))
            }
            1 => {
                let items: Vec<String> = ts.iter().map(|t| self.e(t, s, b)).collect();
                format!("list_to_tuple([{}])", items.join(", "))
            }
            2 if !ts.is_empty() => {
                let (init, last) = ts.split_at(ts.len() - 1);
                let src = self.e(&Ty::Tuple(init.to_vec()), s, b);
                format!("erlang:append_element({src}, {})", self.e(&last[0], s, b))
            }
            3 => self.extract(&tt, s, b),
            _ => {
                let items: Vec<String> = ts.iter().map(|t| self.e(t, s, b)).collect();
                format!("{{{}}}", items.join(", "))
            }
        }
    }

    pub fn map(&mut self, fs: &[(String, Ty)], d: u32, b: Bud) -> String {
        let s = d - 1;
        let mt = Ty::Map(fs.to_vec());
        let mw = if self.focus == "maps" { 3 } else { 1 };
        match self.choose(&[2, mw * 2, mw * 2, mw, mw, mw, 1]) {
            1 | 2 => {
                // An update: `:=` of keys it has, or of one it lacks (badkey).
                let src = self.e(&mt, s, b);
                let n = 1 + self.below(fs.len().min(2));
                let mut items = Vec::new();
                for _ in 0..n {
                    let (k, t) = fs[self.below(fs.len())].clone();
                    let op = if self.one_in(2) { ":=" } else { "=>" };
                    items.push(format!("{k} {op} {}", self.e(&t, s, b)));
                }
                if self.risky() {
                    items.push(format!("{} := 0", self.pick(&["missing", "{x, 2}", "3"])));
                }
                format!("({src})#{{{}}}", items.join(", "))
            }
            3 => {
                let (k, t) = fs[self.below(fs.len())].clone();
                let src = self.e(&mt, s, b);
                let f = if self.risky() { "update" } else { "put" };
                format!("maps:{f}({k}, {}, {src})", self.e(&t, s, b))
            }
            4 => {
                let items: Vec<String> = fs
                    .iter()
                    .map(|(k, t)| format!("{{{k}, {}}}", self.e(t, s, b)))
                    .collect();
                format!("maps:from_list([{}])", items.join(", "))
            }
            5 => {
                let src = self.e(&mt, s, b);
                let (k, t) = fs[self.below(fs.len())].clone();
                format!("maps:merge({src}, #{{{k} => {}}})", self.e(&t, s, b))
            }
            6 => self.extract(&mt, s, b),
            _ => {
                let items: Vec<String> = fs
                    .iter()
                    .map(|(k, t)| format!("{k} => {}", self.e(t, s, b)))
                    .collect();
                format!("#{{{}}}", items.join(", "))
            }
        }
    }

    /// Terms of no particular type: conversions and the functions that
    /// take any term.
    fn any_op(&mut self, d: u32, b: Bud) -> String {
        let s = d - 1;
        match self.below(9) {
            0 => format!("binary_to_term(term_to_binary({}))", self.e(&Ty::Any, s, b)),
            1 => {
                let fs = self.map_fields(0);
                let m = self.e(&Ty::Map(fs.clone()), s, b);
                match self.below(4) {
                    0 => format!("maps:to_list({m})"),
                    1 => format!("maps:remove({}, {m})", fs[0].0),
                    2 => format!("maps:without([{}], {m})", fs[self.below(fs.len())].0),
                    _ => format!("maps:find({}, {m})", self.pick(MAP_KEYS)),
                }
            }
            2 => {
                let l = self.e(&list_of(Ty::Any), s, b);
                format!(
                    "lists:{}({l})",
                    self.pick(&["sort", "usort", "reverse", "max", "min"])
                )
            }
            3 => {
                let (x, y) = self.comparable_pair(s, b);
                format!("{}({x}, {y})", self.pick(&["max", "min"]))
            }
            4 => {
                let t = Ty::Tuple(vec![self.ty(0), self.ty(0)]);
                let l = self.e(&list_of(t), s, b);
                match self.below(3) {
                    0 => format!("lists:keysort({}, {l})", 1 + self.below(2)),
                    1 => format!("lists:keyfind({}, 1, {l})", self.e(&Ty::Any, s, b)),
                    _ => format!("lists:unzip({l})"),
                }
            }
            5 => format!(
                "erlang:delete_element(1, {})",
                self.e(&Ty::Tuple(vec![Ty::Any, Ty::Int]), s, b)
            ),
            6 => format!("list_to_tuple({})", self.e(&list_of(Ty::Any), s, b)),
            7 => {
                // OTP's own printers, run as translated code on either VM.
                let x = self.e(&Ty::Any, s, b.half_len());
                let (f, args) = match self.below(5) {
                    0 => ("~w", format!("[{x}]")),
                    1 => ("~200p", format!("[{x}]")),
                    2 => ("~P", format!("[{x}, {}]", 2 + self.below(6))),
                    3 if binds_nothing(&x) => ("~10000p~n~w", format!("[{x}, {x}]")),
                    _ => ("~p", format!("[{x}]")),
                };
                format!("lists:flatten(io_lib:format(\"{f}\", {args}))")
            }
            _ => format!("[{} | {}]", self.e(&Ty::Any, s, b), self.e(&Ty::Any, s, b)),
        }
    }

    /// `fun(X...) -> Body end`, capturing what is in scope.
    pub fn fun_expr(&mut self, ps: &[Ty], r: &Ty, d: u32, b: Bud) -> String {
        let mark = self.mark();
        let params: Vec<String> = ps.iter().map(|t| self.new_var(t.clone(), b)).collect();
        let body = self.e(r, d.saturating_sub(1), b);
        self.unwind(mark);
        format!("fun({}) -> {body} end", params.join(", "))
    }

    // --------------------------------------------------------- control flow

    /// A `case`, `if`, `try`, block or applied fun of type `ty`.
    pub fn control(&mut self, ty: &Ty, d: u32, b: Bud) -> String {
        let s = d - 1;
        match self.below(6) {
            0 | 1 => self.case_expr(ty, s, b),
            2 => self.if_expr(ty, s, b),
            3 => {
                let body = self.maybe_raise(ty, s, b);
                let class = match self.below(6) {
                    0 => self.fresh(),
                    _ => self
                        .pick(&["error", "throw", "exit", "_", "error"])
                        .to_string(),
                };
                let reason = match self.below(5) {
                    0 => self.fresh(),
                    _ => self
                        .pick(&["_", "badarith", "badarg", "{badmatch, _}"])
                        .to_string(),
                };
                let handler = self.e(ty, s, b);
                format!("try {body} catch {class}:{reason} -> {handler} end")
            }
            4 => {
                let t = self.ty(1);
                let x = self.e(&t, s, b);
                let mark = self.mark();
                let v = self.new_var(t, b);
                let body = self.e(ty, s, b);
                self.unwind(mark);
                format!("begin {v} = {x}, {body} end")
            }
            _ => {
                let t = self.ty(1);
                let x = self.e(&t, s, b);
                let f = self.fun_expr(&[t], ty, d, b);
                format!("({f})({x})")
            }
        }
    }

    /// An expression of `ty` that sometimes raises on purpose.
    pub fn maybe_raise(&mut self, ty: &Ty, d: u32, b: Bud) -> String {
        if !self.one_in(3) {
            return self.e(ty, d, b);
        }
        let cond = self.e(&Ty::Bool, d, b);
        let value = self.e(ty, d, b);
        let raise = self.raise(d, b);
        format!("case {cond} of true -> {raise}; false -> {value} end")
    }

    /// An expression that raises.
    pub fn raise(&mut self, d: u32, b: Bud) -> String {
        let what = self.e(&Ty::Any, d, b.bits(64));
        match self.below(6) {
            0 => format!("throw({what})"),
            1 => format!("error({what})"),
            2 => format!("exit({what})"),
            3 => format!(
                "erlang:raise({}, {what}, [])",
                self.pick(&["throw", "error", "exit"])
            ),
            4 => format!("error({what}, [{}])", self.e(&Ty::Int, d, b.bits(16))),
            _ => self
                .pick(&[
                    "error(badarith)",
                    "throw(ok)",
                    "exit(normal)",
                    "error({badmatch, 3})",
                ])
                .to_string(),
        }
    }

    pub fn case_expr(&mut self, ty: &Ty, d: u32, b: Bud) -> String {
        let st = self.ty(1);
        let scrut = self.e(&st, d, b);
        let n = 1 + self.below(3);
        let mut clauses = Vec::new();
        for _ in 0..n {
            let mark = self.mark();
            let pat = self.pat(&st, 2, b);
            let guard = if self.one_in(3) {
                format!(" when {}", self.guard())
            } else {
                String::new()
            };
            let body = self.e(ty, d, b);
            self.unwind(mark);
            clauses.push(format!("{pat}{guard} -> {body}"));
        }
        if !self.risky() {
            clauses.push(format!("_ -> {}", self.e(ty, d, b)));
        }
        format!("case {scrut} of {} end", clauses.join("; "))
    }

    pub fn if_expr(&mut self, ty: &Ty, d: u32, b: Bud) -> String {
        let n = 1 + self.below(3);
        let mut clauses = Vec::new();
        for _ in 0..n {
            let g = self.guard();
            clauses.push(format!("{g} -> {}", self.e(ty, d, b)));
        }
        if !self.risky() {
            clauses.push(format!("true -> {}", self.e(ty, d, b)));
        }
        format!("if {} end", clauses.join("; "))
    }

    // ------------------------------------------------------------- patterns

    /// A whole pattern for values of `ty`; the variables it binds are in
    /// scope afterwards (the caller unwinds them).
    pub fn pat(&mut self, ty: &Ty, depth: u32, b: Bud) -> String {
        self.pat_base = self.mark();
        self.pattern(ty, depth, b)
    }

    /// A pattern inside the one [`Gen::pat`] started.
    pub fn pattern(&mut self, ty: &Ty, depth: u32, b: Bud) -> String {
        let scalar = matches!(
            ty,
            Ty::Int | Ty::Float | Ty::Bool | Ty::Atom | Ty::Bin | Ty::Bits
        );
        match self.below(10) {
            0..=2 => return self.new_var(ty.clone(), b),
            3 => return "_".into(),
            4 if scalar => return self.lit(ty, b),
            5 => {
                if let Some(v) = self.var_of(
                    ty,
                    Bud {
                        bits: 100_000,
                        len: 100_000,
                    },
                ) {
                    return v;
                }
            }
            6 if depth > 0 && !matches!(ty, Ty::Fun(..)) => {
                // An alias: both sides bind.
                let p = self.pattern(ty, depth - 1, b);
                let v = self.new_var(ty.clone(), b);
                return if p == "_" { v } else { format!("({p}) = {v}") };
            }
            _ => {}
        }
        let dd = depth.saturating_sub(1);
        match ty {
            Ty::Tuple(ts) if depth > 0 => {
                let items: Vec<String> = ts.iter().map(|t| self.pattern(t, dd, b)).collect();
                format!("{{{}}}", items.join(", "))
            }
            Ty::List(t) if depth > 0 => match self.below(5) {
                0 => "[]".into(),
                1 => {
                    let h = self.pattern(t, dd, b);
                    let tl = self.pattern(ty, dd, b);
                    format!("[{h} | {tl}]")
                }
                2 => {
                    let x = self.pattern(t, dd, b);
                    let y = self.pattern(t, dd, b);
                    format!("[{x}, {y}]")
                }
                3 => {
                    let x = self.pattern(t, dd, b);
                    let rest = self.new_var(ty.clone(), b);
                    format!("[{x}, _ | {rest}]")
                }
                _ => {
                    let x = self.pattern(t, dd, b);
                    format!("[{x}]")
                }
            },
            Ty::Map(fs) if depth > 0 => {
                let mut items = Vec::new();
                for (k, t) in fs {
                    if self.one_in(2) {
                        let p = self.pattern(t, dd, b);
                        items.push(format!("{k} := {p}"));
                    }
                }
                if self.risky() {
                    items.push("missing := _".into());
                }
                format!("#{{{}}}", items.join(", "))
            }
            Ty::Bin | Ty::Bits => self.bin_pattern(b),
            Ty::Any if depth > 0 => {
                let t = self.ty(1);
                self.pattern(&t, dd, b)
            }
            Ty::Fun(..) => self.new_var(ty.clone(), b),
            _ => self.new_var(ty.clone(), b),
        }
    }

    // --------------------------------------------------------------- guards

    /// A guard: tests joined by `,` (and) and `;` (or).
    pub fn guard(&mut self) -> String {
        let n = 1 + self.below(2);
        let alts: Vec<String> = (0..n)
            .map(|_| {
                let k = 1 + self.below(2);
                (0..k).map(|_| self.gtest(2)).collect::<Vec<_>>().join(", ")
            })
            .collect();
        alts.join("; ")
    }

    /// A guard test. Guards may apply any guard BIF to any variable: an
    /// exception in a guard is a failed test, which is part of the point.
    pub fn gtest(&mut self, d: u32) -> String {
        let any: Vec<(String, Ty)> = self.vars_where(|_| true);
        match self.below(if d == 0 { 4 } else { 11 }) {
            0 | 1 if !any.is_empty() => {
                let (v, _) = any[self.below(any.len())].clone();
                let t = self.pick(&[
                    "is_integer",
                    "is_float",
                    "is_number",
                    "is_atom",
                    "is_boolean",
                    "is_binary",
                    "is_bitstring",
                    "is_list",
                    "is_tuple",
                    "is_map",
                    "is_function",
                ]);
                format!("{t}({v})")
            }
            2 => {
                let bools = self.vars_where(|t| *t == Ty::Bool);
                if bools.is_empty() {
                    self.pick(&["true", "false"]).into()
                } else {
                    bools[self.below(bools.len())].0.clone()
                }
            }
            3 => {
                let t = self.pick_ty(&[Ty::Int, Ty::Int, Ty::Float, Ty::Any]);
                let op = self.pick(&["==", "/=", "=:=", "=/=", "<", ">", "=<", ">="]);
                format!("({} {op} {})", self.gexpr(&t, 2), self.gexpr(&t, 2))
            }
            4 | 5 => {
                let op = self.pick(&["andalso", "orelse", "and", "or", "xor"]);
                format!("({} {op} {})", self.gtest(d - 1), self.gtest(d - 1))
            }
            6 => format!("not ({})", self.gtest(d - 1)),
            7 => {
                let maps = self.vars_where(|t| matches!(t, Ty::Map(_)));
                let k = self.pick(MAP_KEYS);
                match maps.first() {
                    Some((m, _)) => format!("is_map_key({k}, {m})"),
                    None => format!("is_map_key({k}, {})", self.gexpr(&Ty::Any, 1)),
                }
            }
            9 | 10 => {
                // Guard BIFs on whatever is at hand, raising inside the
                // guard as often as not (which fails the test, silently).
                let x = self.gany(1);
                let i = self.gexpr(&Ty::Int, 1);
                match self.below(12) {
                    0 => format!("is_function({x}, {})", self.below(4)),
                    1 => format!("is_record({x}, {})", self.pick(&["r1", "r2", "r3"])),
                    2 => format!("is_record({x}, r2, {})", 1 + self.below(5)),
                    3 => format!("(binary_part({x}, {{0, 1}}) =/= <<>>)"),
                    4 => format!("((1 bsl {i}) > 0)"),
                    5 => format!("(({i} div {}) >= 0)", self.gexpr(&Ty::Int, 1)),
                    6 => format!("(length({x}) >= {})", self.below(3)),
                    7 => format!("(node() =/= {})", self.pick(&["nonode@nohost", "x"])),
                    8 => format!(
                        "({}({x}) > {})",
                        self.pick(&["map_size", "tuple_size", "byte_size", "bit_size", "size"]),
                        self.below(3)
                    ),
                    9 => format!("(float({x}) > {})", self.float_lit()),
                    10 => format!("(round({x}) == {x})"),
                    _ => format!(
                        "(({i} bsr {}) =:= 0)",
                        self.pick(&["0", "59", "64", "1000", "(1 bsl 70)"])
                    ),
                }
            }
            _ => {
                let t = self.pick_ty(&[Ty::Int, Ty::Float]);
                let op = self.pick(&["<", ">", "=<", ">=", "=:="]);
                format!("({} {op} {})", self.gexpr(&t, 2), self.gexpr(&t, 2))
            }
        }
    }

    /// A guard expression, mostly of `ty`.
    pub fn gexpr(&mut self, ty: &Ty, d: u32) -> String {
        let var = |g: &mut Self, t: &Ty| {
            let vs = g.vars_where(|x| fits(x, t));
            if vs.is_empty() {
                None
            } else {
                Some(vs[g.below(vs.len())].0.clone())
            }
        };
        if d == 0 || self.one_in(3) {
            if let Some(v) = var(self, ty) {
                return v;
            }
            return self.lit(ty, Bud { bits: 128, len: 3 });
        }
        let s = d - 1;
        match ty {
            Ty::Int => match self.below(12) {
                0 | 1 => {
                    let op = self.pick(&["+", "-", "*", "div", "rem", "band", "bor", "bxor"]);
                    format!("({} {op} {})", self.gexpr(ty, s), self.gexpr(ty, s))
                }
                2 => format!("({} bsl {})", self.gexpr(ty, s), self.below(70)),
                3 => format!("abs({})", self.gexpr(ty, s)),
                4 => format!("length({})", self.gany(s)),
                5 => format!(
                    "{}({})",
                    self.pick(&["tuple_size", "byte_size", "bit_size", "map_size", "size"]),
                    self.gany(s)
                ),
                6 => format!("element({}, {})", 1 + self.below(3), self.gany(s)),
                7 => format!("hd({})", self.gany(s)),
                8 => format!(
                    "{}({})",
                    self.pick(&["trunc", "round", "floor", "ceil"]),
                    self.gexpr(&Ty::Float, s)
                ),
                9 => format!("map_get({}, {})", self.pick(MAP_KEYS), self.gany(s)),
                10 => format!("(bnot {})", self.gexpr(ty, s)),
                _ => format!("(-({}))", self.gexpr(ty, s)),
            },
            Ty::Float => match self.below(4) {
                0 => format!("float({})", self.gexpr(&Ty::Int, s)),
                1 => format!("({} * {})", self.gexpr(ty, s), self.gexpr(&Ty::Int, s)),
                2 => format!("({} / {})", self.gexpr(ty, s), self.gexpr(&Ty::Int, s)),
                _ => format!("abs({})", self.gexpr(ty, s)),
            },
            _ => match self.below(4) {
                0 => format!("element(1, {})", self.gany(s)),
                1 => format!("tl({})", self.gany(s)),
                2 => format!("binary_part({}, 0, 1)", self.gany(s)),
                _ => self.gany(s),
            },
        }
    }

    /// Any variable (or literal) for a guard BIF to work on.
    fn gany(&mut self, d: u32) -> String {
        let all = self.vars_where(|t| !matches!(t, Ty::Fun(..)));
        if all.is_empty() || (d > 0 && self.one_in(4)) {
            let t = self.ty(1);
            return self.lit(&t, Bud { bits: 64, len: 3 });
        }
        all[self.below(all.len())].0.clone()
    }
}

/// Whether an expression's text can be written twice: one that binds a
/// variable in a clause (or a block) would bind it twice, and erlc calls
/// such a variable unsafe.
pub fn binds_nothing(e: &str) -> bool {
    !e.contains(" of ") && !e.contains(" = ") && !e.contains("catch")
}

/// `±(2^k + delta)` as an Erlang literal, in decimal or in hex.
pub fn pow2_literal(k: u32, delta: i64, neg: bool, hex: bool) -> String {
    // Little-endian 64-bit limbs, with room for the carry.
    let mut limbs = vec![0u64; k as usize / 64 + 2];
    limbs[k as usize / 64] = 1 << (k % 64);
    if delta >= 0 {
        let mut carry = delta as u64;
        for l in limbs.iter_mut() {
            let (v, c) = l.overflowing_add(carry);
            *l = v;
            carry = c as u64;
        }
    } else {
        let mut borrow = delta.unsigned_abs();
        for l in limbs.iter_mut() {
            let (v, c) = l.overflowing_sub(borrow);
            *l = v;
            borrow = c as u64;
        }
    }
    while limbs.len() > 1 && limbs[limbs.len() - 1] == 0 {
        limbs.pop();
    }
    let sign = if neg { "-" } else { "" };
    if hex {
        let mut s = format!("{:X}", limbs[limbs.len() - 1]);
        for l in limbs.iter().rev().skip(1) {
            s.push_str(&format!("{l:016X}"));
        }
        format!("{sign}16#{s}")
    } else {
        format!("{sign}{}", to_decimal(&limbs))
    }
}

fn to_decimal(limbs: &[u64]) -> String {
    let mut n: Vec<u64> = limbs.to_vec();
    let mut digits = Vec::new();
    while n.iter().any(|&l| l != 0) {
        // Divide by 10^18, keeping the remainder.
        let mut rem: u128 = 0;
        for l in n.iter_mut().rev() {
            let cur = (rem << 64) | *l as u128;
            *l = (cur / 1_000_000_000_000_000_000) as u64;
            rem = cur % 1_000_000_000_000_000_000;
        }
        digits.push(rem as u64);
    }
    match digits.split_last() {
        None => "0".into(),
        Some((top, rest)) => {
            let mut s = top.to_string();
            for d in rest.iter().rev() {
                s.push_str(&format!("{d:018}"));
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pow2_literal;

    #[test]
    fn powers_of_two() {
        assert_eq!(pow2_literal(4, 0, false, false), "16");
        assert_eq!(pow2_literal(64, -1, false, false), "18446744073709551615");
        assert_eq!(pow2_literal(64, 2, true, true), "-16#10000000000000002");
        assert_eq!(
            pow2_literal(128, 0, false, false),
            "340282366920938463463374607431768211456"
        );
        assert_eq!(pow2_literal(60, -2, false, true), "16#FFFFFFFFFFFFFFE");
    }
}
