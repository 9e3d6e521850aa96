//! Bit syntax: binaries built from random segments (integers of any size,
//! unit, signedness and endianness, floats of 16, 32 and 64 bits, binary
//! and bitstring segments, UTF-8/16/32 code points, strings), patterns
//! that take them apart (sizes from variables bound before the pattern or
//! earlier in it, tails), and layouts: a binary built from a list of
//! segment sizes and a pattern over the same sizes read another way, so
//! that matches succeed often enough to compare what they bind.

use super::exprs::{Bud, Gen, Ty, binds_nothing, list_of};

/// Integer segment sizes around the edges (a byte, a word, the small
/// integer limits).
const INT_SIZES: &[u32] = &[
    0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 27, 28, 31, 32, 33, 53, 59, 60, 61, 63, 64, 65,
    70,
];

const ALIGNED_SIZES: &[u32] = &[8, 16, 24, 32, 40, 48, 56, 64, 72, 128];

/// Code points at the edges of each UTF encoding's ranges.
const CODE_POINTS: &[&str] = &[
    "0",
    "$a",
    "127",
    "128",
    "16#7FF",
    "16#800",
    "16#D7FF",
    "16#E000",
    "16#FFFD",
    "16#FFFF",
    "16#10000",
    "16#10FFFF",
    "233",
    "16#3A9",
];

/// Code points no encoding takes (badarg).
const BAD_CODE_POINTS: &[&str] = &["16#D800", "16#DFFF", "16#110000", "-1"];

/// One segment of a layout.
#[derive(Clone, Copy)]
enum Seg {
    Int(u32),
    Float(u32),
    Bytes(u32),
    /// A code point in UTF-8, 16 or 32, with its endianness.
    Utf(u32, &'static str),
}

impl Gen<'_> {
    /// `/type-signedness-endianness` for an integer segment.
    fn int_spec(&mut self) -> String {
        let mut parts = Vec::new();
        if self.one_in(4) {
            parts.push("integer");
        }
        match self.below(3) {
            0 => parts.push("signed"),
            1 => parts.push("unsigned"),
            _ => {}
        }
        match self.below(4) {
            0 => parts.push("big"),
            1 => parts.push("little"),
            2 => parts.push("native"),
            _ => {}
        }
        if parts.is_empty() {
            String::new()
        } else {
            // Specifiers come in any order.
            if self.one_in(2) {
                parts.reverse();
            }
            format!("/{}", parts.join("-"))
        }
    }

    fn endian(&mut self) -> &'static str {
        self.pick(&["", "-big", "-little", "-native"])
    }

    /// A small integer expression to size a segment with.
    fn size_expr(&mut self, b: Bud, mask: &str) -> String {
        match self.var_of(
            &Ty::Int,
            Bud {
                bits: 100_000,
                len: 100_000,
            },
        ) {
            Some(v) if self.one_in(2) => format!("({v} {mask})"),
            _ => {
                let x = self.e(&Ty::Int, 1, b);
                format!("({x} {mask})")
            }
        }
    }

    fn code_point(&mut self, b: Bud) -> String {
        if self.risky() {
            return self.pick(BAD_CODE_POINTS).to_string();
        }
        match self.below(5) {
            0 => {
                let x = self.e(&Ty::Int, 1, b);
                format!("(({x}) band 16#FFFF)")
            }
            _ => self.pick(CODE_POINTS).to_string(),
        }
    }

    /// One construction segment; `aligned` keeps it a whole number of bytes.
    fn segment(&mut self, d: u32, b: Bud, aligned: bool) -> String {
        let w = if self.focus == "bin_build" { 3 } else { 1 };
        match self.choose(&[6, 2, w * 2, 2, w, 2, 2, w * 2]) {
            0 => {
                let v = self.e(&Ty::Int, d, b);
                let spec = self.int_spec();
                if aligned && self.one_in(3) {
                    return format!("({v}):{}{}", self.below(10), with_unit(&spec, 8));
                }
                let size = if aligned {
                    self.pick(ALIGNED_SIZES)
                } else {
                    self.pick(INT_SIZES)
                };
                format!("({v}):{size}{spec}")
            }
            1 => {
                let v = self.e(&Ty::Int, d, b);
                let spec = self.int_spec();
                let unit = if aligned {
                    8
                } else {
                    self.pick(&[1, 2, 3, 5, 8, 13, 16])
                };
                format!("({v}):{}{}", self.below(6), with_unit(&spec, unit))
            }
            2 => {
                let v = self.num(d, b);
                let size = self.pick(&["16", "32", "64", "64", ""]);
                let e = self.endian();
                if size.is_empty() {
                    format!("({v})/float{e}")
                } else {
                    format!("({v}):{size}/float{e}")
                }
            }
            3 => {
                if aligned || self.one_in(2) {
                    let v = self.e(&Ty::Bin, d, b.half_len());
                    if self.risky() {
                        format!("({v}):{}/binary", self.below(4))
                    } else {
                        format!("({v})/binary")
                    }
                } else {
                    let v = self.e(&Ty::Bits, d, b.half_len());
                    let t = self.pick(&["bits", "bitstring"]);
                    if self.risky() {
                        format!("({v}):{}/{t}", self.below(12))
                    } else {
                        format!("({v})/{t}")
                    }
                }
            }
            4 => {
                let v = self.code_point(b);
                let (t, e) = match self.below(3) {
                    0 => ("utf8", ""),
                    1 => ("utf16", self.endian()),
                    _ => ("utf32", self.endian()),
                };
                format!("({v})/{t}{e}")
            }
            5 => self
                .pick(&[
                    "\"abc\"",
                    "\"\"",
                    "\"\\x{e9}t\\x{e9}\"",
                    "\"\\x{3a9}\"/utf8",
                    "\"ab\"/utf16-little",
                    "\"z\"/utf32",
                ])
                .to_string(),
            6 => {
                if aligned {
                    self.pick(&["255", "0", "-1:16/signed", "16#1234:16/little", "$a"])
                        .to_string()
                } else {
                    self.pick(&["1:1", "0:3", "-1:5/signed", "7:3/little", "255"])
                        .to_string()
                }
            }
            _ => {
                let v = self.e(&Ty::Int, d, b);
                let spec = self.int_spec();
                if aligned {
                    format!("({v}):({} * 8){spec}", self.size_expr(b, "band 3"))
                } else if self.risky() {
                    format!("({v}):({} rem 9){spec}", self.size_expr(b, "bor 0"))
                } else {
                    format!("({v}):{}{spec}", self.size_expr(b, "band 15"))
                }
            }
        }
    }

    /// `<<Segment, ...>>`.
    pub fn construction(&mut self, d: u32, b: Bud, aligned: bool) -> String {
        let n = 1 + self.below(4);
        let segs: Vec<String> = (0..n).map(|_| self.segment(d, b, aligned)).collect();
        format!("<<{}>>", segs.join(", "))
    }

    /// A binary (or, not `aligned`, a bitstring) expression.
    pub fn binary(&mut self, d: u32, b: Bud, aligned: bool) -> String {
        let s = d - 1;
        let w = if self.focus == "bin_build" { 4 } else { 1 };
        match self.choose(&[w * 4, w * 2, 2, 2, w, 1]) {
            0 => self.construction(s, b, aligned),
            1 => {
                // Appending, which both VMs do in place when they can.
                let (t, ty) = if aligned {
                    ("binary", Ty::Bin)
                } else {
                    ("bits", Ty::Bits)
                };
                let src = self.e(&ty, s, b.half_len());
                let seg = self.segment(s, b.half_len(), aligned);
                format!("<<({src})/{t}, {seg}>>")
            }
            2 => {
                if aligned {
                    match self.below(8) {
                        0 => format!("integer_to_binary({})", self.e(&Ty::Int, s, b)),
                        1 => format!("atom_to_binary({})", self.e(&Ty::Atom, s, b)),
                        2 => {
                            let opt = self.pick(&[
                                "[short]",
                                "[{decimals, 3}]",
                                "[{scientific, 5}]",
                                "[{decimals, 0}, compact]",
                                "[]",
                            ]);
                            format!("float_to_binary({}, {opt})", self.e(&Ty::Float, s, b))
                        }
                        3 => format!("term_to_binary({})", self.e(&Ty::Any, s, b.half_len())),
                        4 => {
                            let parts = format!(
                                "[{}, {}, [{}]]",
                                self.e(&Ty::Bin, s, b.half_len()),
                                self.pick(&["\"xy\"", "$z", "[]", "<<>>", "[[1], 2]"]),
                                self.e(&Ty::Bin, s, b.half_len())
                            );
                            format!(
                                "{}({parts})",
                                self.pick(&[
                                    "iolist_to_binary",
                                    "list_to_binary",
                                    "erlang:iolist_to_binary"
                                ])
                            )
                        }
                        5 => format!(
                            "binary:encode_unsigned({})",
                            self.e(&Ty::Int, s, b.bits(b.bits.min(b.len * 8)))
                        ),
                        6 => {
                            let x = self.e(&Ty::Bin, s, b);
                            if self.risky() || !binds_nothing(&x) {
                                format!("binary:part({x}, 1, 2)")
                            } else {
                                format!("binary_part({x}, {{0, byte_size({x})}})")
                            }
                        }
                        _ => format!(
                            "list_to_binary({})",
                            self.e(&list_of(Ty::Bin), s, b.len(b.len / 4))
                        ),
                    }
                } else {
                    match self.below(3) {
                        0 => format!(
                            "list_to_bitstring([{}, {}])",
                            self.e(&Ty::Bits, s, b.half_len()),
                            self.e(&Ty::Bin, s, b.half_len())
                        ),
                        1 => {
                            let x = self.e(&Ty::Bits, s, b);
                            format!("element(2, erlang:split_binary(<<({x})/bits, 0:8>>, 1))")
                        }
                        _ => self.construction(s, b, false),
                    }
                }
            }
            3 => self.bin_comprehension(s, b, aligned),
            4 => self.layout_binary(s, b, aligned).0,
            _ => {
                let ty = if aligned { Ty::Bin } else { Ty::Bits };
                let t = Ty::Tuple(vec![ty.clone(), Ty::Int]);
                let src = self.e(&t, s, b);
                format!("element(1, {src})")
            }
        }
    }

    /// `<< <<Seg>> || Gen >>`.
    pub fn bin_comprehension(&mut self, d: u32, b: Bud, aligned: bool) -> String {
        let mark = self.mark();
        let g = if self.one_in(2) {
            let src = self.e(&list_of(Ty::Int), d, b);
            let x = self.new_var(Ty::Int, b);
            format!("{x} <- {src}")
        } else {
            let k = self.pick(&[1, 2, 4, 8, 16]);
            let src = self.e(&Ty::Bits, d, b.len(b.len.min(6)));
            let x = self.new_var(Ty::Int, b.bits(16));
            let spec = self.pick(&["", "/signed", "/little"]);
            format!("<<{x}:{k}{spec}>> <= {src}")
        };
        let filter = if self.one_in(3) {
            format!(", {}", self.filter(d, b))
        } else {
            String::new()
        };
        let seg = self.segment(d, b.bits(64).len(2), aligned);
        self.unwind(mark);
        format!("<< <<{seg}>> || {g}{filter} >>")
    }

    fn layout(&mut self, aligned: bool) -> Vec<Seg> {
        let n = 1 + self.below(4);
        (0..n)
            .map(|_| match self.below(8) {
                0..=3 => Seg::Int(if aligned {
                    self.pick(ALIGNED_SIZES)
                } else {
                    self.pick(INT_SIZES)
                }),
                4 => Seg::Float(self.pick(&[16, 32, 64])),
                5 | 6 => Seg::Bytes(self.below(4) as u32),
                _ => {
                    let k = self.pick(&[8, 16, 32]);
                    Seg::Utf(k, if k == 8 { "" } else { self.endian() })
                }
            })
            .collect()
    }

    /// A binary built from a layout, and the layout.
    fn layout_binary(&mut self, d: u32, b: Bud, aligned: bool) -> (String, Vec<Seg>) {
        let layout = self.layout(aligned);
        let segs: Vec<String> = layout
            .iter()
            .map(|seg| match *seg {
                Seg::Int(n) => {
                    let spec = self.int_spec();
                    format!("({}):{n}{spec}", self.e(&Ty::Int, d, b))
                }
                Seg::Float(n) => {
                    let e = self.endian();
                    format!("({}):{n}/float{e}", self.num(d, b))
                }
                Seg::Bytes(n) => {
                    let bytes: Vec<String> = (0..n).map(|_| self.below(256).to_string()).collect();
                    format!("<<{}>>/binary", bytes.join(","))
                }
                Seg::Utf(k, e) => format!("({})/utf{k}{e}", self.code_point(b)),
            })
            .collect();
        (format!("<<{}>>", segs.join(", ")), layout)
    }

    /// A pattern over `layout`, each segment read as written or another way
    /// (signedness, endianness, a float or bytes as an integer), ending in
    /// a tail or not; it binds its variables.
    fn layout_pattern(&mut self, layout: &[Seg], b: Bud) -> String {
        let mut segs = Vec::new();
        for seg in layout {
            let p = match *seg {
                Seg::Float(n) if !self.one_in(3) => {
                    let v = self.new_var(Ty::Float, b);
                    format!("{v}:{n}/float{}", self.endian())
                }
                Seg::Int(n) | Seg::Float(n) => {
                    let v = self.new_var(Ty::Int, b.bits(n.max(9)));
                    format!("{v}:{n}{}", self.int_spec())
                }
                Seg::Bytes(n) if self.one_in(3) => {
                    let v = self.new_var(Ty::Int, b.bits((8 * n).max(9)));
                    format!("{v}:{n}/unit:8{}", self.endian())
                }
                Seg::Bytes(n) => {
                    let v = self.new_var(Ty::Bin, b.len(n));
                    format!("{v}:{n}/binary")
                }
                // Read back as written: erl 25.2's JIT segfaults when a
                // utf32 match fails on an invalid code point.
                Seg::Utf(k, e) => {
                    let v = self.new_var(Ty::Int, b.bits(21));
                    format!("{v}/utf{k}{e}")
                }
            };
            segs.push(p);
        }
        match self.below(4) {
            0 => {
                let v = self.new_var(Ty::Bits, b);
                segs.push(format!("{v}/bits"));
            }
            1 => segs.push("_/binary".into()),
            _ => {}
        }
        format!("<<{}>>", segs.join(", "))
    }

    /// A random binary pattern: segments of any kind, sizes from literals,
    /// from variables bound before it or earlier in it, and a tail or not.
    pub fn bin_pattern(&mut self, b: Bud) -> String {
        // Sizes may come from variables bound before the whole pattern (not
        // elsewhere in it: erlc says unbound) or earlier in this binary.
        let before: Vec<String> = self.vars[..self.pat_base.min(self.vars.len())]
            .iter()
            .filter(|v| v.ty == Ty::Int)
            .map(|v| v.name.clone())
            .collect();
        let mut sizes_here: Vec<String> = Vec::new();
        let n = 1 + self.below(3);
        let mut segs = Vec::new();
        for _ in 0..n {
            let seg = match self.below(12) {
                0..=3 => {
                    let size = self.pick(INT_SIZES);
                    let v = self.new_var(Ty::Int, b.bits(size.max(9)));
                    format!("{v}:{size}{}", self.int_spec())
                }
                4 => {
                    // A size read from the binary itself.
                    let nv = self.new_var(Ty::Int, b.bits(9));
                    sizes_here.push(nv.clone());
                    let k = self.pick(&[2, 3, 4, 5]);
                    let v = self.new_var(Ty::Int, b.bits(40));
                    format!("{nv}:{k}, {v}:{nv}{}", self.int_spec())
                }
                5 => {
                    let all: Vec<String> =
                        before.iter().chain(sizes_here.iter()).cloned().collect();
                    if all.is_empty() {
                        let v = self.new_var(Ty::Int, b.bits(9));
                        format!("{v}:8")
                    } else {
                        let sz = all[self.below(all.len())].clone();
                        match self.below(3) {
                            0 => {
                                let v = self.new_var(Ty::Bin, b);
                                format!("{v}:{sz}/binary")
                            }
                            1 => {
                                let v = self.new_var(Ty::Bits, b);
                                format!("{v}:({sz} * 2)/bits")
                            }
                            _ => {
                                let v = self.new_var(Ty::Int, b.bits(b.len * 8));
                                format!("{v}:{sz}/signed-little")
                            }
                        }
                    }
                }
                6 => {
                    let v = self.new_var(Ty::Float, b);
                    let size = self.pick(&[16, 32, 64]);
                    format!("{v}:{size}/float{}", self.endian())
                }
                7 => {
                    let k = self.below(4);
                    if self.one_in(2) {
                        let v = self.new_var(Ty::Bin, b.len(k as u32));
                        format!("{v}:{k}/binary")
                    } else {
                        let k = self.below(12);
                        let v = self.new_var(Ty::Bits, b.len(2));
                        format!("{v}:{k}/bits")
                    }
                }
                8 => {
                    let v = self.new_var(Ty::Int, b.bits(21));
                    // No utf32 here: erl 25.2's JIT segfaults when a utf32
                    // match fails on an invalid code point.
                    let t = self.pick(&["utf8", "utf16", "utf16-little", "utf16-native"]);
                    format!("{v}/{t}")
                }
                9 => self
                    .pick(&["0:1", "1:1", "$a", "255", "-1:8/signed", "\"ab\"", "0:3"])
                    .to_string(),
                10 => format!("_:{}", self.below(20)),
                _ => {
                    let size = self.pick(&[8, 16, 32, 64]);
                    let v = self.new_var(Ty::Int, b.bits(size));
                    format!("{v}:{}/unit:{}{}", size / 8, 8, self.endian())
                }
            };
            segs.push(seg);
        }
        match self.below(10) {
            0..=4 => {
                let v = self.new_var(Ty::Bits, b);
                segs.push(format!("{v}/bits"));
            }
            5 | 6 => {
                let v = self.new_var(Ty::Bin, b);
                segs.push(format!("{v}/binary"));
            }
            _ => {}
        }
        format!("<<{}>>", segs.join(", "))
    }

    /// A `case` taking a binary apart, returning what it bound.
    pub fn bin_case(&mut self, d: u32, b: Bud) -> String {
        let (scrut, layout) = if self.one_in(2) {
            let aligned = self.one_in(2);
            self.layout_binary(d, b, aligned)
        } else {
            (self.e(&Ty::Bits, d, b), Vec::new())
        };
        let n = 1 + self.below(3);
        let mut clauses = Vec::new();
        for i in 0..n {
            let mark = self.mark();
            self.pat_base = mark;
            let pat = if i == 0 && !layout.is_empty() {
                self.layout_pattern(&layout, b)
            } else {
                self.bin_pattern(b)
            };
            let bound: Vec<String> = self.vars[mark..].iter().map(|v| v.name.clone()).collect();
            let guard = if self.one_in(4) {
                format!(" when {}", self.guard())
            } else {
                String::new()
            };
            self.unwind(mark);
            clauses.push(format!("{pat}{guard} -> {{{}}}", bound.join(", ")));
        }
        let other = self.fresh();
        clauses.push(format!("{other} -> {{nomatch, {other}}}"));
        format!("case {scrut} of {} end", clauses.join("; "))
    }
}

/// An integer segment's specifiers with a unit added.
fn with_unit(spec: &str, unit: u32) -> String {
    if spec.is_empty() {
        format!("/unit:{unit}")
    } else {
        format!("{spec}-unit:{unit}")
    }
}
