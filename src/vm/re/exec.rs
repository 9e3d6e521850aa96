//! The backtracking matcher: an explicit stack of alternatives, undo
//! records and marks, so no pattern or subject can overflow the Rust stack;
//! steps are counted for `match_limit`.

// The items are named after PCRE's syntax and erl's options, which
// docs/re.md describes.
#![allow(missing_docs)]

use super::compile::{Inst, case_variants};
use super::parse::{Assert, Class, Item, Posix, Prop, Script, Set};
use super::{ExecError, Newline, Regex};

const UNSET: usize = usize::MAX;

/// How deep recursions (`(?R)`, `(?1)`) may nest.
const MAX_RECURSION: usize = 200;

enum Bt {
    Alt(usize, usize),
    Restore(usize, usize),
    Mark(usize, usize),
}

/// The subject and what the match needs to know about it.
pub struct Subject<'a> {
    pub s: &'a [u8],
    pub utf: bool,
    pub ucp: bool,
    pub newline: Newline,
    pub bsr_anycrlf: bool,
    pub notbol: bool,
    pub noteol: bool,
    pub dollar_endonly: bool,
    pub start_offset: usize,
}

impl Subject<'_> {
    /// The character at `pos` and where the next one starts.
    #[inline]
    pub fn next(&self, pos: usize) -> Option<(u32, usize)> {
        let b = *self.s.get(pos)?;
        if !self.utf || b < 0x80 {
            return Some((u32::from(b), pos + 1));
        }
        let (n, init) = match b {
            0xc0..=0xdf => (2, u32::from(b & 0x1f)),
            0xe0..=0xef => (3, u32::from(b & 0x0f)),
            _ => (4, u32::from(b & 0x07)),
        };
        let mut c = init;
        for k in 1..n {
            c = (c << 6) | u32::from(*self.s.get(pos + k)? & 0x3f);
        }
        Some((c, pos + n))
    }

    /// The character before `pos` and where it starts.
    #[inline]
    pub fn prev(&self, pos: usize) -> Option<(u32, usize)> {
        if pos == 0 {
            return None;
        }
        let mut p = pos - 1;
        if self.utf {
            while p > 0 && self.s[p] & 0xc0 == 0x80 {
                p -= 1;
            }
        }
        self.next(p).map(|(c, _)| (c, p))
    }

    /// The length of the newline starting at `pos`, if one does.
    pub fn newline_at(&self, pos: usize) -> Option<usize> {
        let (c, n) = self.next(pos)?;
        let next_is_lf = self.s.get(n) == Some(&10);
        match self.newline {
            Newline::Lf => (c == 10).then_some(1),
            Newline::Cr => (c == 13).then_some(1),
            Newline::Crlf => (c == 13 && next_is_lf).then_some(2),
            Newline::AnyCrlf => match c {
                13 if next_is_lf => Some(2),
                10 | 13 => Some(1),
                _ => None,
            },
            Newline::Any => match c {
                13 if next_is_lf => Some(2),
                10..=13 | 0x85 | 0x2028 | 0x2029 => Some(n - pos),
                _ => None,
            },
        }
    }

    /// Whether a newline ends just before `pos`.
    pub fn newline_before(&self, pos: usize) -> bool {
        let Some((c, p)) = self.prev(pos) else {
            return false;
        };
        let prev_is_cr = p > 0 && self.s[p - 1] == 13;
        match self.newline {
            Newline::Lf => c == 10,
            Newline::Cr => c == 13,
            Newline::Crlf => c == 10 && prev_is_cr,
            Newline::AnyCrlf => c == 10 || c == 13,
            Newline::Any => matches!(c, 10..=13 | 0x85 | 0x2028 | 0x2029),
        }
    }

    fn is_word(&self, c: u32) -> bool {
        if c < 128 {
            (c as u8).is_ascii_alphanumeric() || c == 95
        } else if self.ucp {
            char::from_u32(c).is_some_and(|ch| prop(Prop::Xwd, ch))
        } else {
            // erl's PCRE tables know Latin-1 letters, in both modes.
            latin1_letter(c)
        }
    }

    fn word_before(&self, pos: usize) -> bool {
        self.prev(pos).is_some_and(|(c, _)| self.is_word(c))
    }

    fn word_at(&self, pos: usize) -> bool {
        self.next(pos).is_some_and(|(c, _)| self.is_word(c))
    }

    fn assert(&self, a: Assert, pos: usize) -> bool {
        let len = self.s.len();
        match a {
            Assert::Caret(false) => pos == 0 && !self.notbol,
            Assert::Caret(true) => {
                if pos == 0 {
                    !self.notbol
                } else {
                    pos < len && self.newline_before(pos)
                }
            }
            Assert::Dollar(false) => {
                if self.noteol {
                    return false;
                }
                pos == len
                    || (!self.dollar_endonly
                        && self.newline_at(pos).is_some_and(|n| pos + n == len))
            }
            Assert::Dollar(true) => {
                if pos == len {
                    !self.noteol
                } else {
                    self.newline_at(pos).is_some()
                }
            }
            Assert::Start => pos == 0,
            Assert::End => pos == len,
            Assert::EndOrNewline => {
                pos == len || self.newline_at(pos).is_some_and(|n| pos + n == len)
            }
            Assert::WordB => self.word_before(pos) != self.word_at(pos),
            Assert::NotWordB => self.word_before(pos) == self.word_at(pos),
            Assert::StartOffset => pos == self.start_offset,
        }
    }

    pub fn class(&self, cls: &Class, c: u32) -> bool {
        let mut m = cls.items.iter().any(|it| self.item(it, c));
        if !m && cls.nocase {
            m = case_variants(c, self.utf)
                .into_iter()
                .skip(1)
                .any(|v| cls.items.iter().any(|it| self.item(it, v)));
        }
        m != cls.neg
    }

    fn item(&self, it: &Item, c: u32) -> bool {
        match it {
            Item::Range(lo, hi) => (*lo..=*hi).contains(&c),
            Item::Set(s, neg) => self.set(*s, c) != *neg,
        }
    }

    fn set(&self, s: Set, c: u32) -> bool {
        let ch = char::from_u32(c);
        let uni = self.ucp && c >= 128;
        match s {
            Set::Digit => (48..=57).contains(&c) || (uni && ch.is_some_and(|x| prop(Prop::Nd, x))),
            Set::Word => self.is_word(c),
            Set::Space => matches!(c, 9..=13 | 32) || (uni && ch.is_some_and(|x| prop(Prop::Z, x))),
            Set::HSpace => matches!(
                c,
                9 | 32 | 0xa0 | 0x1680 | 0x180e | 0x2000..=0x200a | 0x202f | 0x205f | 0x3000
            ),
            Set::VSpace => matches!(c, 10..=13 | 0x85 | 0x2028 | 0x2029),
            Set::Posix(p) => {
                if uni {
                    let Some(x) = ch else { return false };
                    return match p {
                        Posix::Alpha => prop(Prop::L, x),
                        Posix::Lower => prop(Prop::Ll, x),
                        Posix::Upper => prop(Prop::Lu, x),
                        Posix::Alnum => prop(Prop::Xan, x),
                        Posix::Digit => prop(Prop::Nd, x),
                        Posix::Space => prop(Prop::Xps, x),
                        Posix::Word => prop(Prop::Xwd, x),
                        Posix::Graph | Posix::Print => !prop(Prop::C, x) && !prop(Prop::Z, x),
                        Posix::Punct => prop(Prop::P, x),
                        _ => false,
                    };
                }
                if c >= 256 {
                    return false;
                }
                if c >= 128 {
                    // erl's PCRE classifies Latin-1 (its character tables
                    // are built for ISO 8859-1), in both modes.
                    return match p {
                        Posix::Alpha | Posix::Alnum | Posix::Word => latin1_letter(c),
                        Posix::Lower => latin1_lower(c),
                        Posix::Upper => latin1_upper(c),
                        Posix::Punct => {
                            (160..192).contains(&c) && !latin1_letter(c) || c == 215 || c == 247
                        }
                        Posix::Graph | Posix::Print => (160..256).contains(&c),
                        Posix::Cntrl => c < 160,
                        Posix::Ascii => c < 256,
                        _ => false,
                    };
                }
                let b = c as u8;
                match p {
                    Posix::Alpha => b.is_ascii_alphabetic(),
                    Posix::Lower => b.is_ascii_lowercase(),
                    Posix::Upper => b.is_ascii_uppercase(),
                    Posix::Alnum => b.is_ascii_alphanumeric(),
                    Posix::Ascii => true,
                    Posix::Blank => b == 9 || b == 32,
                    Posix::Cntrl => b < 32 || b == 127,
                    Posix::Digit => b.is_ascii_digit(),
                    Posix::Graph => b.is_ascii_graphic(),
                    Posix::Print => b.is_ascii_graphic() || b == 32,
                    Posix::Punct => b.is_ascii_punctuation(),
                    Posix::Space => matches!(b, 9..=13 | 32),
                    Posix::Word => b.is_ascii_alphanumeric() || b == 95,
                    Posix::Xdigit => b.is_ascii_hexdigit(),
                }
            }
            Set::Prop(p) => ch.is_some_and(|x| prop(p, x)),
        }
    }
}

/// The letters of Latin-1 above ASCII, as erl's PCRE tables have them.
pub fn latin1_letter(c: u32) -> bool {
    matches!(c, 170 | 181 | 186 | 192..=214 | 216..=246 | 248..=255)
}

fn latin1_lower(c: u32) -> bool {
    matches!(c, 170 | 181 | 186 | 223..=246 | 248..=255)
}

fn latin1_upper(c: u32) -> bool {
    matches!(c, 192..=214 | 216..=222)
}

fn in_ranges(c: u32, r: &[(u32, u32)]) -> bool {
    r.iter().any(|&(a, b)| (a..=b).contains(&c))
}

const LT: &[(u32, u32)] = &[
    (0x1c5, 0x1c5),
    (0x1c8, 0x1c8),
    (0x1cb, 0x1cb),
    (0x1f2, 0x1f2),
    (0x1f88, 0x1f8f),
    (0x1f98, 0x1f9f),
    (0x1fa8, 0x1faf),
    (0x1fbc, 0x1fbc),
    (0x1fcc, 0x1fcc),
    (0x1ffc, 0x1ffc),
];
const LM: &[(u32, u32)] = &[
    (0x2b0, 0x2c1),
    (0x2c6, 0x2d1),
    (0x2e0, 0x2e4),
    (0x2ec, 0x2ec),
    (0x2ee, 0x2ee),
    (0x374, 0x374),
    (0x37a, 0x37a),
    (0x559, 0x559),
    (0x640, 0x640),
    (0x1d2c, 0x1d6a),
    (0x3005, 0x3005),
    (0x3031, 0x3035),
    (0x309d, 0x309e),
    (0x30fc, 0x30fe),
    (0xff70, 0xff70),
    (0xff9e, 0xff9f),
];
const NOT_ND: &[(u32, u32)] = &[
    (0xb2, 0xb3),
    (0xb9, 0xb9),
    (0xbc, 0xbe),
    (0x9f4, 0x9f9),
    (0xbf0, 0xbf2),
    (0x16ee, 0x16f0),
    (0x2070, 0x209f),
    (0x2150, 0x218b),
    (0x2460, 0x24ff),
    (0x2776, 0x2793),
    (0x2cfd, 0x2cfd),
    (0x3007, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303a),
    (0x3192, 0x3195),
    (0x3220, 0x3229),
    (0x3248, 0x324f),
    (0x3251, 0x325f),
    (0x3280, 0x3289),
    (0x32b1, 0x32bf),
    (0x10107, 0x10133),
    (0x10140, 0x10178),
];
const NL: &[(u32, u32)] = &[
    (0x16ee, 0x16f0),
    (0x2160, 0x2182),
    (0x2185, 0x2188),
    (0x3007, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303a),
    (0x10140, 0x10174),
];
const PUNCT: &[(u32, u32)] = &[
    (0xa1, 0xa1),
    (0xa7, 0xa7),
    (0xab, 0xab),
    (0xb6, 0xb7),
    (0xbb, 0xbb),
    (0xbf, 0xbf),
    (0x37e, 0x37e),
    (0x387, 0x387),
    (0x55a, 0x55f),
    (0x589, 0x58a),
    (0x5be, 0x5be),
    (0x5c0, 0x5c0),
    (0x5c3, 0x5c3),
    (0x5c6, 0x5c6),
    (0x5f3, 0x5f4),
    (0x609, 0x60a),
    (0x60c, 0x60d),
    (0x61b, 0x61b),
    (0x61e, 0x61f),
    (0x66a, 0x66d),
    (0x6d4, 0x6d4),
    (0x964, 0x965),
    (0x970, 0x970),
    (0xe4f, 0xe4f),
    (0xe5a, 0xe5b),
    (0x2010, 0x2027),
    (0x2030, 0x2043),
    (0x2045, 0x2051),
    (0x2053, 0x205e),
    (0x207d, 0x207e),
    (0x208d, 0x208e),
    (0x2308, 0x230b),
    (0x2329, 0x232a),
    (0x2768, 0x2775),
    (0x27c5, 0x27c6),
    (0x27e6, 0x27ef),
    (0x2983, 0x2998),
    (0x2e00, 0x2e4f),
    (0x3001, 0x3003),
    (0x3008, 0x3011),
    (0x3014, 0x301f),
    (0x3030, 0x3030),
    (0x303d, 0x303d),
    (0x30a0, 0x30a0),
    (0x30fb, 0x30fb),
    (0xfe10, 0xfe19),
    (0xfe30, 0xfe52),
    (0xfe54, 0xfe61),
    (0xfe63, 0xfe63),
    (0xfe68, 0xfe68),
    (0xfe6a, 0xfe6b),
    (0xff01, 0xff03),
    (0xff05, 0xff0a),
    (0xff0c, 0xff0f),
    (0xff1a, 0xff1b),
    (0xff1f, 0xff20),
    (0xff3b, 0xff3d),
    (0xff3f, 0xff3f),
    (0xff5b, 0xff5b),
    (0xff5d, 0xff5d),
    (0xff5f, 0xff65),
];
const MARKS: &[(u32, u32)] = &[
    (0x300, 0x36f),
    (0x483, 0x489),
    (0x591, 0x5bd),
    (0x5bf, 0x5bf),
    (0x5c1, 0x5c2),
    (0x5c4, 0x5c5),
    (0x5c7, 0x5c7),
    (0x610, 0x61a),
    (0x64b, 0x65f),
    (0x670, 0x670),
    (0x6d6, 0x6dc),
    (0x6df, 0x6e4),
    (0x6e7, 0x6e8),
    (0x6ea, 0x6ed),
    (0x900, 0x903),
    (0x93a, 0x93c),
    (0x93e, 0x94f),
    (0x951, 0x957),
    (0x962, 0x963),
    (0xe31, 0xe31),
    (0xe34, 0xe3a),
    (0xe47, 0xe4e),
    (0x1ab0, 0x1aff),
    (0x1dc0, 0x1dff),
    (0x200c, 0x200d),
    (0x20d0, 0x20ff),
    (0x302a, 0x302f),
    (0x3099, 0x309a),
    (0xfe00, 0xfe0f),
    (0xfe20, 0xfe2f),
    (0x1f3fb, 0x1f3ff),
    (0xe0100, 0xe01ef),
];
const CF: &[(u32, u32)] = &[
    (0xad, 0xad),
    (0x600, 0x605),
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x180e, 0x180e),
    (0x200b, 0x200f),
    (0x202a, 0x202e),
    (0x2060, 0x2064),
    (0x2066, 0x206f),
    (0xfeff, 0xfeff),
    (0xfff9, 0xfffb),
    (0xe000, 0xf8ff),
    (0xf0000, 0x10ffff),
];

fn is_symbol(c: u32) -> bool {
    if c < 128 {
        return matches!(
            c as u8,
            b'$' | b'+' | b'<' | b'=' | b'>' | b'^' | b'`' | b'|' | b'~'
        );
    }
    in_ranges(
        c,
        &[
            (0xa2, 0xa6),
            (0xa8, 0xa9),
            (0xac, 0xac),
            (0xae, 0xb1),
            (0xb4, 0xb4),
            (0xb8, 0xb8),
            (0xd7, 0xd7),
            (0xf7, 0xf7),
            (0x2c2, 0x2c5),
            (0x2d2, 0x2df),
            (0x384, 0x385),
            (0x20a0, 0x20cf),
            (0x2100, 0x2101),
            (0x2103, 0x2106),
            (0x2108, 0x2109),
            (0x2114, 0x2114),
            (0x2116, 0x2118),
            (0x211e, 0x2123),
            (0x2125, 0x2125),
            (0x2127, 0x2127),
            (0x2129, 0x2129),
            (0x212e, 0x212e),
            (0x2190, 0x2307),
            (0x230c, 0x2328),
            (0x232b, 0x2426),
            (0x2500, 0x2767),
            (0x2794, 0x27c4),
            (0x27c7, 0x27e5),
            (0x27f0, 0x2982),
            (0x2999, 0x2b73),
            (0x3004, 0x3004),
            (0x3012, 0x3013),
            (0x3020, 0x3020),
            (0x309b, 0x309c),
            (0xff04, 0xff04),
            (0xff0b, 0xff0b),
            (0xff1c, 0xff1e),
            (0xff3e, 0xff3e),
            (0xff40, 0xff40),
            (0xff5c, 0xff5c),
            (0xff5e, 0xff5e),
            (0xffe0, 0xffee),
            (0x1f000, 0x1faff),
        ],
    )
}

fn script(s: Script, c: u32) -> bool {
    let r: &[(u32, u32)] = match s {
        Script::Latin => &[
            (0x41, 0x5a),
            (0x61, 0x7a),
            (0xaa, 0xaa),
            (0xba, 0xba),
            (0xc0, 0xd6),
            (0xd8, 0xf6),
            (0xf8, 0x2b8),
            (0x2e0, 0x2e4),
            (0x1d00, 0x1d25),
            (0x1e00, 0x1eff),
            (0x2071, 0x2071),
            (0x207f, 0x207f),
            (0x212a, 0x212b),
            (0x2c60, 0x2c7f),
            (0xa722, 0xa7ff),
            (0xff21, 0xff3a),
            (0xff41, 0xff5a),
        ],
        Script::Greek => &[
            (0x370, 0x373),
            (0x375, 0x377),
            (0x37a, 0x37d),
            (0x37f, 0x37f),
            (0x384, 0x384),
            (0x386, 0x386),
            (0x388, 0x3e1),
            (0x3f0, 0x3ff),
            (0x1d26, 0x1d2a),
            (0x1f00, 0x1ffe),
            (0x2126, 0x2126),
        ],
        Script::Cyrillic => &[
            (0x400, 0x52f),
            (0x1c80, 0x1c88),
            (0x2de0, 0x2dff),
            (0xa640, 0xa69f),
        ],
        Script::Armenian => &[(0x531, 0x58a), (0xfb13, 0xfb17)],
        Script::Hebrew => &[(0x591, 0x5f4), (0xfb1d, 0xfb4f)],
        Script::Arabic => &[
            (0x600, 0x604),
            (0x606, 0x60b),
            (0x60d, 0x61a),
            (0x61e, 0x61e),
            (0x620, 0x63f),
            (0x641, 0x64a),
            (0x656, 0x66f),
            (0x671, 0x6dc),
            (0x6de, 0x6ff),
            (0x750, 0x77f),
            (0xfb50, 0xfdff),
            (0xfe70, 0xfefc),
        ],
        Script::Devanagari => &[(0x900, 0x950), (0x955, 0x963), (0x966, 0x97f)],
        Script::Thai => &[(0xe01, 0xe3a), (0xe40, 0xe5b)],
        Script::Georgian => &[(0x10a0, 0x10ff), (0x1c90, 0x1cbf), (0x2d00, 0x2d2d)],
        Script::Hangul => &[
            (0x1100, 0x11ff),
            (0x3131, 0x318e),
            (0xa960, 0xa97c),
            (0xac00, 0xd7a3),
            (0xd7b0, 0xd7fb),
        ],
        Script::Hiragana => &[(0x3041, 0x3096), (0x309d, 0x309f)],
        Script::Katakana => &[
            (0x30a1, 0x30fa),
            (0x30fd, 0x30ff),
            (0x31f0, 0x31ff),
            (0xff66, 0xff6f),
            (0xff71, 0xff9d),
        ],
        Script::Han => &[
            (0x2e80, 0x2fd5),
            (0x3005, 0x3005),
            (0x3007, 0x3007),
            (0x3021, 0x3029),
            (0x3038, 0x303b),
            (0x3400, 0x4dbf),
            (0x4e00, 0x9fff),
            (0xf900, 0xfaff),
            (0x20000, 0x3134a),
        ],
        Script::Common => {
            return char::from_u32(c)
                .is_some_and(|x| !x.is_alphabetic() && !in_ranges(c, MARKS) || x.is_ascii_digit())
                && !in_ranges(c, &[(0x300, 0x36f)]);
        }
    };
    in_ranges(c, r)
}

/// Whether `ch` has Unicode property `p` (approximately: see docs/re.md).
pub fn prop(p: Prop, ch: char) -> bool {
    let c = ch as u32;
    match p {
        Prop::Any => true,
        Prop::L => ch.is_alphabetic() && !in_ranges(c, MARKS) && !prop(Prop::Nl, ch),
        Prop::Lu => ch.is_uppercase() && !in_ranges(c, &[(0x2160, 0x216f), (0x24b6, 0x24cf)]),
        Prop::Ll => {
            ch.is_lowercase()
                && !in_ranges(
                    c,
                    &[
                        (0xaa, 0xaa),
                        (0xba, 0xba),
                        (0x2170, 0x217f),
                        (0x24d0, 0x24e9),
                    ],
                )
                && !in_ranges(c, LM)
        }
        Prop::Lt => in_ranges(c, LT),
        Prop::Lm => in_ranges(c, LM),
        Prop::Lo => {
            prop(Prop::L, ch)
                && !ch.is_uppercase()
                && !ch.is_lowercase()
                && !in_ranges(c, LT)
                && !in_ranges(c, LM)
                || in_ranges(c, &[(0xaa, 0xaa), (0xba, 0xba)])
        }
        Prop::N => ch.is_numeric(),
        Prop::Nd => ch.is_numeric() && !in_ranges(c, NOT_ND),
        Prop::Nl => in_ranges(c, NL),
        Prop::No => ch.is_numeric() && in_ranges(c, NOT_ND) && !in_ranges(c, NL),
        Prop::P => {
            if c < 128 {
                (c as u8).is_ascii_punctuation() && !is_symbol(c)
            } else {
                in_ranges(c, PUNCT)
            }
        }
        Prop::S => is_symbol(c),
        Prop::Z => prop(Prop::Zs, ch) || c == 0x2028 || c == 0x2029,
        Prop::Zs => matches!(
            c,
            0x20 | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x202f | 0x205f | 0x3000
        ),
        Prop::Zl => c == 0x2028,
        Prop::Zp => c == 0x2029,
        Prop::Cc => c < 32 || (127..160).contains(&c),
        Prop::C => prop(Prop::Cc, ch) || in_ranges(c, CF),
        Prop::M => in_ranges(c, MARKS),
        Prop::Xan => prop(Prop::L, ch) || prop(Prop::N, ch),
        Prop::Xsp | Prop::Xps => matches!(c, 9..=13) || prop(Prop::Z, ch),
        Prop::Xwd => prop(Prop::L, ch) || prop(Prop::N, ch) || c == 95,
        Prop::Script(s) => script(s, c),
    }
}

/// The limits of one match, and the steps it took.
pub struct Budget {
    pub steps: u64,
    pub limit: u64,
    pub depth_limit: u64,
}

/// Runs program `prog_id` (0: the pattern; else a group, for recursion)
/// from `pos`: the end position and the slots of its first match.
#[allow(clippy::too_many_arguments)]
pub fn run(
    re: &Regex,
    subj: &Subject,
    prog_id: u32,
    start: usize,
    slots_in: &[usize],
    budget: &mut Budget,
    depth: usize,
    check_empty: Option<(bool, bool)>,
) -> Result<Option<(usize, Vec<usize>)>, ExecError> {
    let prog = match re.prog(prog_id) {
        Some(p) => p,
        None => return Ok(None),
    };
    let insts = &prog.insts[..];
    let s = subj.s;
    let mut slots = slots_in.to_vec();
    let mut stack: Vec<Bt> = Vec::new();
    let mut alts: u64 = 0;
    let mut pc = 0usize;
    let mut pos = start;
    macro_rules! set {
        ($slot:expr, $v:expr) => {{
            let slot = $slot;
            stack.push(Bt::Restore(slot, slots[slot]));
            slots[slot] = $v;
        }};
    }
    loop {
        let ok = match &insts[pc] {
            Inst::Char(c) => {
                if !subj.utf || *c < 128 {
                    if s.get(pos).is_some_and(|&b| u32::from(b) == *c) {
                        pos += 1;
                        pc += 1;
                        true
                    } else {
                        false
                    }
                } else {
                    match subj.next(pos) {
                        Some((x, n)) if x == *c => {
                            pos = n;
                            pc += 1;
                            true
                        }
                        _ => false,
                    }
                }
            }
            Inst::CharAny(v) => match subj.next(pos) {
                Some((x, n)) if v.contains(&x) => {
                    pos = n;
                    pc += 1;
                    true
                }
                _ => false,
            },
            Inst::Dot(all) => {
                if pos < s.len() && (*all || subj.newline_at(pos).is_none()) {
                    pos = subj.next(pos).map_or(pos + 1, |(_, n)| n);
                    pc += 1;
                    true
                } else {
                    false
                }
            }
            Inst::Class(cls) => match subj.next(pos) {
                Some((x, n)) if subj.class(cls, x) => {
                    pos = n;
                    pc += 1;
                    true
                }
                _ => false,
            },
            Inst::Split(a, b) => {
                budget.steps += 1;
                if budget.steps > budget.limit {
                    return Err(ExecError::MatchLimit);
                }
                alts += 1;
                if alts > budget.depth_limit {
                    return Err(ExecError::RecursionLimit);
                }
                stack.push(Bt::Alt(*b, pos));
                pc = *a;
                true
            }
            Inst::Jmp(t) => {
                pc = *t;
                true
            }
            Inst::Save(slot) => {
                set!(*slot, pos);
                pc += 1;
                true
            }
            Inst::Progress(r, top) => {
                pc = if slots[*r] == pos { pc + 1 } else { *top };
                true
            }
            Inst::Assert(a) => {
                pc += 1;
                subj.assert(*a, pos)
            }
            Inst::Backref(groups, nocase) => {
                let set_group = groups
                    .iter()
                    .find(|&&g| slots.get(2 * g as usize + 1).is_some_and(|&e| e != UNSET));
                match set_group {
                    None => false,
                    Some(&g) => {
                        let (a, b) = (slots[2 * g as usize], slots[2 * g as usize + 1]);
                        match backref(subj, a, b, pos, *nocase) {
                            Some(n) => {
                                pos = n;
                                pc += 1;
                                true
                            }
                            None => false,
                        }
                    }
                }
            }
            Inst::Mark(r, on_fail) => {
                let depth_here = stack.len() + 1;
                set!(*r, depth_here);
                stack.push(Bt::Mark(pos, on_fail.unwrap_or(UNSET)));
                pc += 1;
                true
            }
            Inst::Cut(r) | Inst::LookOk(r) => {
                let d = slots[*r];
                let mark_pos = match stack.get(d) {
                    Some(Bt::Mark(p, _)) => *p,
                    _ => pos,
                };
                let mut dropped = 0;
                let tail: Vec<Bt> = stack
                    .drain(d..)
                    .filter(|e| {
                        dropped += u64::from(matches!(e, Bt::Alt(..)));
                        matches!(e, Bt::Restore(..))
                    })
                    .collect();
                alts = alts.saturating_sub(dropped);
                stack.extend(tail);
                if let Inst::LookOk(_) = insts[pc] {
                    pos = mark_pos;
                }
                pc += 1;
                true
            }
            Inst::LookNot(r, goto) => {
                let d = slots[*r];
                while stack.len() > d + 1 {
                    match stack.pop() {
                        Some(Bt::Restore(slot, old)) => slots[slot] = old,
                        Some(Bt::Alt(..)) => alts = alts.saturating_sub(1),
                        _ => {}
                    }
                }
                let mark_pos = match stack.pop() {
                    Some(Bt::Mark(p, _)) => p,
                    _ => pos,
                };
                match goto {
                    Some(t) => {
                        pos = mark_pos;
                        pc = *t;
                        true
                    }
                    None => false,
                }
            }
            Inst::Back(n) => {
                let mut p = pos;
                let mut ok = true;
                for _ in 0..*n {
                    match subj.prev(p) {
                        Some((_, q)) => p = q,
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok {
                    pos = p;
                    pc += 1;
                }
                ok
            }
            Inst::IfGroup(groups, no) => {
                let any = groups
                    .iter()
                    .any(|&g| slots.get(2 * g as usize + 1).is_some_and(|&e| e != UNSET));
                pc = if any { pc + 1 } else { *no };
                true
            }
            Inst::IfRecursion(no) => {
                pc = if depth > 0 { pc + 1 } else { *no };
                true
            }
            Inst::Recurse(g) => {
                if depth >= MAX_RECURSION {
                    return Err(ExecError::RecursionLimit);
                }
                budget.steps += 1;
                match run(re, subj, *g, pos, &slots, budget, depth + 1, None)? {
                    Some((end, _)) => {
                        pos = end;
                        pc += 1;
                        true
                    }
                    None => false,
                }
            }
            Inst::Newline => match subj.next(pos) {
                Some((13, n)) => {
                    pos = if s.get(n) == Some(&10) { n + 1 } else { n };
                    pc += 1;
                    true
                }
                Some((10, n)) => {
                    pos = n;
                    pc += 1;
                    true
                }
                Some((11 | 12 | 0x85 | 0x2028 | 0x2029, n)) if !subj.bsr_anycrlf => {
                    pos = n;
                    pc += 1;
                    true
                }
                _ => false,
            },
            Inst::Grapheme => match subj.next(pos) {
                Some((c, mut n)) => {
                    if c == 13 && s.get(n) == Some(&10) {
                        n += 1;
                    } else {
                        while let Some((m, k)) = subj.next(n) {
                            let ext = char::from_u32(m).is_some_and(|x| prop(Prop::M, x));
                            if !ext {
                                break;
                            }
                            n = k;
                        }
                    }
                    pos = n;
                    pc += 1;
                    true
                }
                None => false,
            },
            Inst::Fail => false,
            Inst::Match => {
                let empty_bad = match check_empty {
                    Some((notempty, atstart)) => {
                        let st = slots[0];
                        pos == st && (notempty || (atstart && st == subj.start_offset))
                    }
                    None => false,
                };
                if !empty_bad {
                    return Ok(Some((pos, slots)));
                }
                false
            }
        };
        if ok {
            continue;
        }
        // Backtrack.
        loop {
            match stack.pop() {
                None => return Ok(None),
                Some(Bt::Restore(slot, old)) => slots[slot] = old,
                Some(Bt::Alt(p, at)) => {
                    alts = alts.saturating_sub(1);
                    budget.steps += 1;
                    if budget.steps > budget.limit {
                        return Err(ExecError::MatchLimit);
                    }
                    pc = p;
                    pos = at;
                    break;
                }
                Some(Bt::Mark(at, on_fail)) => {
                    if on_fail != UNSET {
                        pc = on_fail;
                        pos = at;
                        break;
                    }
                }
            }
        }
    }
}

/// Matches the text of a group again at `pos`: where it ends.
fn backref(subj: &Subject, a: usize, b: usize, pos: usize, nocase: bool) -> Option<usize> {
    let s = subj.s;
    let len = b.saturating_sub(a);
    if !nocase {
        return (s.len() >= pos + len && s[a..a + len] == s[pos..pos + len]).then_some(pos + len);
    }
    let (mut i, mut j) = (a, pos);
    while i < b {
        let (x, ni) = subj.next(i)?;
        let (y, nj) = subj.next(j)?;
        if x != y && !case_variants(x, subj.utf).contains(&y) {
            return None;
        }
        i = ni;
        j = nj;
    }
    Some(j)
}
