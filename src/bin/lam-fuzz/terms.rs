//! Random Erlang terms, written as source expressions and biased towards
//! the edges where VMs disagree: integers around the small/big boundaries
//! of both VMs (2^27, 2^59, 2^60, 2^63, 2^64), floats such as -0.0,
//! subnormals and integral values, 255- and 256-character atoms, bitstrings
//! of odd sizes, improper lists, deep tuples, maps of both sizes, pids,
//! references and funs.
//!
//! Most terms are literals; pids, references and funs are expressions
//! evaluated where the call runs (`self()`, `make_ref()`, and `D`, a pid
//! whose process has exited, bound by the caller).

use crate::rng::Rng;

/// Atoms the terms draw from: no name of a function that could stop the VM
/// under test (`halt`, `init`...), since any atom may reach `apply`.
const ATOMS: &[&str] = &[
    "a",
    "b",
    "ok",
    "error",
    "undefined",
    "true",
    "false",
    "nil",
    "infinity",
    "lists",
    "reverse",
    "length",
    "'hello world'",
    "''",
    "'ünïcödé'",
    "'Ωμέγα'",
    "'$1'",
    "'_'",
    "global",
    "unicode",
    "latin1",
    "utf8",
    "utf16",
    "big",
    "little",
    "all",
    "trim",
    "scope",
    "compressed",
    "safe",
    "used",
    "positive",
    "decimals",
    "scientific",
    "short",
    "nomatch",
];

/// Options as the functions that take option lists expect them.
const OPTIONS: &[&str] = &[
    "[global]",
    "[trim]",
    "[trim_all]",
    "[global, trim]",
    "[{scope, {1, 2}}]",
    "[{decimals, 2}]",
    "[{decimals, 0}, compact]",
    "[{scientific, 3}]",
    "[short]",
    "[unicode]",
    "[{encoding, utf8}]",
    "[compressed]",
    "[{compressed, 9}]",
    "[{minor_version, 1}]",
    "[safe]",
    "[used]",
    "[{parts, 2}]",
    "[{part, {0, 1}}]",
    "[global | foo]",
    "[{capture, all}]",
    "[deep]",
    "[positive]",
];

pub struct Terms<'r> {
    pub rng: &'r mut Rng,
    /// Whether the last terms used `D` (so the caller binds it).
    pub uses_dead: bool,
    /// Integers no larger than this in magnitude, when set: for functions
    /// that allocate in proportion to an argument (`lists:seq/2`...).
    pub small_ints: bool,
    /// No pids, references or funs, when set.
    pub no_opaque: bool,
}

impl<'r> Terms<'r> {
    pub fn new(rng: &'r mut Rng) -> Terms<'r> {
        Terms {
            rng,
            uses_dead: false,
            small_ints: false,
            no_opaque: false,
        }
    }

    /// Any term, at most `depth` containers deep.
    pub fn any(&mut self, depth: u32) -> String {
        let leaf = depth == 0;
        match self.rng.below(if leaf { 9 } else { 16 }) {
            0 | 1 => self.integer(),
            2 => self.float(),
            3 | 4 => self.atom(),
            5 => self.binary(),
            6 => self.string(),
            7 => self.opaque(),
            8 => self.rng.pick(OPTIONS).to_string(),
            9 | 10 => self.list(depth - 1),
            11 | 12 => self.tuple(depth - 1),
            13 => self.map(depth - 1),
            14 => self.iolist(depth - 1),
            _ => self.keylist(depth - 1),
        }
    }

    pub fn integer(&mut self) -> String {
        if self.small_ints {
            return self.rng.range(-3, 40).to_string();
        }
        match self.rng.below(10) {
            0..=3 => self.rng.range(-10, 300).to_string(),
            4..=6 => {
                // Around a boundary: 2^k plus or minus a little, either sign.
                let k = *self
                    .rng
                    .pick(&[7u32, 8, 15, 16, 27, 28, 31, 32, 59, 60, 61, 63, 64, 65, 127]);
                let v = (1i128 << k) + self.rng.range(-2, 2) as i128;
                let v = if self.rng.one_in(3) { -v } else { v };
                v.to_string()
            }
            7 => self.rng.range(i32::MIN as i64, i32::MAX as i64).to_string(),
            8 => (self.rng.next() as i64).to_string(),
            _ => {
                let digits = 20 + self.rng.below(60);
                let mut s = String::new();
                if self.rng.one_in(2) {
                    s.push('-');
                }
                s.push(char::from(b'1' + self.rng.below(9) as u8));
                for _ in 1..digits {
                    s.push(char::from(b'0' + self.rng.below(10) as u8));
                }
                s
            }
        }
    }

    pub fn float(&mut self) -> String {
        let f: f64 = match self.rng.below(12) {
            0 => 0.0,
            1 => return "-0.0".into(),
            2 => 5e-324,
            3 => 2.2250738585072014e-308,
            4 => f64::MAX,
            5 => 9007199254740992.0,
            6 => 1e300,
            7 => 0.5,
            8 => 2.5,
            9 => self.rng.range(-1000, 1000) as f64,
            _ => (self.rng.next() as i64 as f64) / (1u64 << self.rng.below(64)) as f64,
        };
        let f = if self.rng.one_in(3) { -f } else { f };
        float_literal(f)
    }

    pub fn atom(&mut self) -> String {
        match self.rng.below(20) {
            0 => format!("'{}'", "x".repeat(255)),
            // Not 255: OTP 25's compiler crashes writing a 510-byte atom.
            1 => format!("'{}'", "é".repeat(100)),
            _ => self.rng.pick(ATOMS).to_string(),
        }
    }

    pub fn binary(&mut self) -> String {
        match self.rng.below(8) {
            0 => "<<>>".into(),
            1 => "<<\"hello\">>".into(),
            2 => "<<\"h\\x{e9}llo \\x{3a9}\"/utf8>>".into(),
            3 => format!("<<{}:{}>>", self.rng.below(8), 1 + self.rng.below(7)),
            4 => "<<200, 1, 255, 0>>".into(),
            5 => format!("<<\"{}\">>", "ab".repeat(self.rng.below(40))),
            6 => format!(
                "<<1, 2, 3, {}:{}>>",
                self.rng.below(16),
                1 + self.rng.below(15)
            ),
            _ => {
                let n = self.rng.below(24);
                let bytes: Vec<String> = (0..n).map(|_| self.rng.below(256).to_string()).collect();
                format!("<<{}>>", bytes.join(","))
            }
        }
    }

    pub fn string(&mut self) -> String {
        match self.rng.below(8) {
            0 => "\"\"".into(),
            1 => "\"hello world\"".into(),
            2 => "\"h\\x{e9}llo \\x{3a9}\\x{2603}\"".into(),
            3 => format!("\"{}\"", "x".repeat(256)),
            4 => "\"123\"".into(),
            5 => "\"-42\"".into(),
            6 => "\"3.25\"".into(),
            _ => "\"a,b,,c\"".into(),
        }
    }

    /// A pid, reference or fun.
    pub fn opaque(&mut self) -> String {
        if self.no_opaque {
            return self.atom();
        }
        match self.rng.below(9) {
            0 => "self()".into(),
            1 => {
                self.uses_dead = true;
                "D".into()
            }
            2 => "make_ref()".into(),
            3 => "fun erlang:abs/1".into(),
            4 => "fun lists:reverse/1".into(),
            5 => "fun(X) -> {X} end".into(),
            6 => "fun(X, Y) -> X < Y end".into(),
            7 => "fun() -> ok end".into(),
            _ => "fun(_) -> true end".into(),
        }
    }

    pub fn list(&mut self, depth: u32) -> String {
        let n = self.rng.below(6);
        let items: Vec<String> = (0..n).map(|_| self.small(depth)).collect();
        match self.rng.below(6) {
            0 if n > 0 => format!("[{} | {}]", items.join(", "), self.small(0)),
            1 => {
                let len = self.rng.below(20);
                format!("lists:seq(1, {len})")
            }
            _ => format!("[{}]", items.join(", ")),
        }
    }

    pub fn tuple(&mut self, depth: u32) -> String {
        if self.rng.one_in(8) {
            // Deep, for the recursive walks of comparison, copying and printing.
            let mut t = self.atom();
            for _ in 0..(10 + self.rng.below(50)) {
                t = format!("{{{t}}}");
            }
            return t;
        }
        let n = self.rng.below(5);
        let items: Vec<String> = (0..n).map(|_| self.small(depth)).collect();
        format!("{{{}}}", items.join(", "))
    }

    pub fn map(&mut self, depth: u32) -> String {
        if self.rng.one_in(4) {
            // Past 32 keys a map is a hash map, whose order `~w` shows;
            // integer keys keep that order free of atom-table indices.
            let n = 33 + self.rng.below(40);
            let items: Vec<String> = (0..n).map(|i| format!("{} => {}", i * 7 + 1, i)).collect();
            return format!("#{{{}}}", items.join(", "));
        }
        let n = self.rng.below(4);
        let items: Vec<String> = (0..n)
            .map(|_| format!("{} => {}", self.small(0), self.small(depth)))
            .collect();
        format!("#{{{}}}", items.join(", "))
    }

    pub fn iolist(&mut self, depth: u32) -> String {
        let mut parts = vec![
            self.binary(),
            "\"bc\"".into(),
            self.rng.below(256).to_string(),
        ];
        if depth > 0 {
            parts.push(format!("[{}]", self.binary()));
        }
        if self.rng.one_in(4) {
            parts.push("<<\"tail\">>".into());
            return format!("[{} | <<\"t\">>]", parts.join(", "));
        }
        format!("[{}]", parts.join(", "))
    }

    pub fn keylist(&mut self, depth: u32) -> String {
        let n = self.rng.below(5);
        let items: Vec<String> = (0..n)
            .map(|_| format!("{{{}, {}}}", self.atom(), self.small(depth)))
            .collect();
        format!("[{}]", items.join(", "))
    }

    /// A term biased to small scalars, for the inside of containers.
    fn small(&mut self, depth: u32) -> String {
        match self.rng.below(4) {
            0 => self.rng.range(-5, 100).to_string(),
            1 => self.atom(),
            _ => self.any(depth),
        }
    }
}

/// `f` as an Erlang float literal (`1.0e300`, not Rust's `1e300`).
pub fn float_literal(f: f64) -> String {
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').expect("{:e} has an exponent");
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}e{exp}")
}

#[cfg(test)]
mod tests {
    use super::float_literal;

    #[test]
    fn floats_are_erlang_literals() {
        assert_eq!(float_literal(1e300), "1.0e300");
        assert_eq!(float_literal(0.5), "5.0e-1");
        assert_eq!(float_literal(-2.25), "-2.25e0");
        assert_eq!(float_literal(5e-324), "5.0e-324");
    }
}
