//! Property test: random valid LAM modules round-trip exactly through the
//! binary and text formats (binary → text → binary, and text → binary → text).
//!
//! The generator is a small seeded PRNG, so every failure is reproducible
//! from the printed seed.

use lam_translate::lam::isa::{LAM_OPS, LamOp, Operand, Shape};
use lam_translate::lam::module::{Function, Import, Lambda, LineEntry, Module};
use lam_translate::lam::{binary, text};
use lam_translate::term::Term;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const ATOM_PARTS: &[&str] = &[
    "ok",
    "x0",
    "L1",
    "Elixir.Foo",
    "it's",
    "a b",
    "receive",
    "é",
    "\u{100}",
    "_",
    "\n",
    "",
    "[]",
    "nofail",
    "lit:1",
];

fn term(r: &mut Rng, depth: usize) -> Term {
    match r.below(if depth > 2 { 6 } else { 11 }) {
        0 => Term::Int(r.next() as i64 >> r.below(64)),
        1 => {
            Term::int(num_bigint::BigInt::from(r.next()) * num_bigint::BigInt::from(r.next()) * -1)
        }
        2 => Term::Float(f64::from_bits(r.next()) % 1e300),
        3 => Term::atom(ATOM_PARTS[r.below(ATOM_PARTS.len())]),
        4 => Term::Nil,
        5 => Term::Binary((0..r.below(5)).map(|_| r.next() as u8).collect()),
        6 => Term::List(
            (0..1 + r.below(3)).map(|_| term(r, depth + 1)).collect(),
            Box::new(if r.chance(30) {
                term(r, depth + 1)
            } else {
                Term::Nil
            }),
        ),
        7 => Term::Tuple((0..r.below(4)).map(|_| term(r, depth + 1)).collect()),
        8 => Term::Bits(vec![r.next() as u8 & 0xf0], 4),
        9 => Term::Export {
            module: "lists".into(),
            function: "map".into(),
            arity: r.below(255) as u8,
        },
        _ => {
            let mut keys: Vec<Term> = Vec::new();
            for _ in 0..r.below(4) {
                let k = term(r, depth + 1);
                if !keys.iter().any(|x| x.cmp_exact(&k).is_eq()) {
                    keys.push(k);
                }
            }
            Term::Map(keys.into_iter().map(|k| (k, term(r, depth + 1))).collect())
        }
    }
}

fn operand(r: &mut Rng, m: &Module, shape: Shape, code_len: u32) -> Operand {
    let constant = |r: &mut Rng| match r.below(4) {
        0 => Operand::Nil,
        1 => Operand::Atom(r.below(m.atoms.len()) as u32),
        2 => Operand::Int(r.next() as i64 >> r.below(64)),
        _ => Operand::Literal(r.below(m.literals.len()) as u32),
    };
    let src = |r: &mut Rng| match r.below(3) {
        0 => Operand::X(r.below(2048) as u16),
        1 => Operand::Y(r.below(1024) as u16),
        _ => constant(r),
    };
    let label = |r: &mut Rng| Operand::Label(r.below(code_len as usize) as u32);
    let dst = |r: &mut Rng| match r.below(3) {
        0 => Operand::X(r.below(2048) as u16),
        1 => Operand::Y(r.below(1024) as u16),
        _ => Operand::Discard,
    };
    let pairs =
        |r: &mut Rng, first: &dyn Fn(&mut Rng) -> Operand, second: &dyn Fn(&mut Rng) -> Operand| {
            let mut v = Vec::new();
            for _ in 0..r.below(4) {
                v.push(first(r));
                v.push(second(r));
            }
            Operand::List(v.into())
        };
    match shape {
        Shape::Src => src(r),
        Shape::Dst => dst(r),
        Shape::Label => label(r),
        Shape::Num => Operand::Num(r.next() as u32),
        Shape::Kind(words) => Operand::Kind(r.below(words.len()) as u8),
        Shape::Target if r.chance(50) => label(r),
        Shape::Target | Shape::Import => Operand::Import(r.below(m.imports.len()) as u32),
        Shape::Srcs => Operand::List((0..r.below(5)).map(|_| src(r)).collect()),
        // select's values are constants (the validator's rule).
        Shape::SrcLabels => pairs(r, &constant, &label),
        Shape::SrcSrcs => pairs(r, &src, &src),
        Shape::SrcDsts => pairs(r, &src, &dst),
    }
}

fn module(r: &mut Rng) -> Module {
    let mut m = Module::default();
    let n_atoms = 1 + r.below(12);
    for i in 0..n_atoms {
        let name = format!("{}{}", ATOM_PARTS[r.below(ATOM_PARTS.len())], i);
        m.atoms.push(name.into());
    }
    for _ in 0..1 + r.below(6) {
        m.literals.push(term(r, 0));
    }
    for _ in 0..1 + r.below(5) {
        let imp = Import {
            module: r.below(n_atoms) as u32,
            function: r.below(n_atoms) as u32,
            arity: r.below(5) as u32,
        };
        if !m.imports.contains(&imp) {
            m.imports.push(imp);
        }
    }
    let code_len = 1 + r.below(40) as u32;
    for _ in 0..code_len {
        let op = LAM_OPS[r.below(LAM_OPS.len())].op;
        let args = op
            .info()
            .shapes
            .iter()
            .map(|s| operand(r, &m, *s, code_len))
            .collect::<Vec<_>>();
        // Jumps must have real labels, which the generator always gives.
        m.push(op, args);
    }
    let mut start = 0;
    while start < code_len {
        let entry = start + r.below((code_len - start) as usize) as u32;
        m.functions.push(Function {
            name: r.below(n_atoms) as u32,
            arity: r.below(4) as u32,
            start,
            entry,
            exported: r.chance(50),
        });
        start += 1 + r.below(10) as u32;
    }
    for _ in 0..r.below(3) {
        m.lambdas.push(Lambda {
            function: r.below(m.functions.len()) as u32,
            num_free: r.below(3) as u32,
            old_uniq: r.next() as u32,
        });
    }
    m.on_load = r.chance(20).then(|| r.below(m.functions.len()) as u32);
    m.module_info =
        (r.chance(20) && !m.literals.is_empty()).then(|| r.below(m.literals.len()) as u32);
    m.files = vec!["a.erl".into(), "lib/\"odd\" \\ name.ex".into()];
    let mut instr = 0;
    while instr < code_len {
        m.lines.push(LineEntry {
            instr,
            file: r.below(2) as u32,
            line: r.below(1000) as u32,
        });
        instr += 1 + r.below(8) as u32;
    }
    m
}

#[test]
fn random_modules_round_trip_exactly() {
    let cases: u64 = 2000;
    for seed in 1..=cases {
        let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let m = module(&mut r);
        m.validate()
            .unwrap_or_else(|e| panic!("seed {seed}: generator made an invalid module: {e}"));
        let bin = binary::encode(&m);
        let asm = text::print(&m);
        let from_text = text::parse(&asm).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{asm}"));
        assert!(
            binary::encode(&from_text) == bin,
            "seed {seed}: binary -> text -> binary differs\n{asm}"
        );
        let from_bin = binary::decode(&bin).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(
            text::print(&from_bin),
            asm,
            "seed {seed}: text -> binary -> text differs"
        );
    }
    println!("{cases} random modules round-tripped");
}

#[test]
fn damaged_binaries_and_texts_never_panic() {
    let mut r = Rng(42);
    for _ in 0..300 {
        let m = module(&mut r);
        let bin = binary::encode(&m);
        for _ in 0..20 {
            let mut b = bin.clone();
            let i = r.below(b.len());
            b[i] ^= 1 << r.below(8);
            if let Ok(d) = binary::decode(&b[..r.below(b.len() + 1).max(i)]) {
                let _ = d.validate();
            }
        }
        let asm = text::print(&m);
        let cut = r.below(asm.len());
        if asm.is_char_boundary(cut)
            && let Ok(p) = text::parse(&asm[..cut])
        {
            let _ = p.validate();
        }
    }
    assert_eq!(LamOp::from_name("move"), Some(LamOp::Move));
}
