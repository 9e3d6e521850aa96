//! Terms as 64-bit tagged words (layout in `docs/vm.md`).

/// A term: one tagged 64-bit word.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Word(pub u64);

/// Primary tags (low two bits).
const TAG_HEADER: u64 = 0b00;
const TAG_LIST: u64 = 0b01;
const TAG_BOXED: u64 = 0b10;
const TAG_IMMED: u64 = 0b11;

/// Immediate tags (low four bits).
const IMM_SMALL: u64 = 0b0011;
const IMM_ATOM: u64 = 0b0111;
const IMM_PID: u64 = 0b1011;
const IMM_SPECIAL: u64 = 0b1111;

/// A port is a special immediate with the top bit set: the other specials
/// (`[]`, no value, `try` markers of any realistic depth) never reach it.
const PORT_BIT: u64 = 1 << 63;

/// The largest port number: 28 bits, as erl's `list_to_port/1` accepts.
pub const MAX_PORT: u64 = (1 << 28) - 1;

/// Where an object lives: area 0 is the owning process's heap, area
/// `1 + M` the literal area of module `M`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ptr {
    /// The area.
    pub area: u32,
    /// Word offset within the area.
    pub offset: usize,
}

const OFFSET_BITS: u32 = 45;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;

/// The smallest and largest small integers (60 bits, signed).
pub const MIN_SMALL: i64 = -(1 << 59);
/// See [`MIN_SMALL`].
pub const MAX_SMALL: i64 = (1 << 59) - 1;

/// Kinds of boxed objects (the header's kind field).
pub mod kind {
    #![allow(missing_docs)]
    pub const TUPLE: u8 = 0;
    pub const FLOAT: u8 = 1;
    pub const BIG_POS: u8 = 2;
    pub const BIG_NEG: u8 = 3;
    pub const HEAP_BIN: u8 = 4;
    pub const REFC_BIN: u8 = 5;
    pub const MAP: u8 = 6;
    pub const FUN: u8 = 7;
    pub const EXPORT: u8 = 8;
    pub const REF: u8 = 9;
    pub const MATCH_CTX: u8 = 10;
    /// A binary in a growable buffer of its process (`Area::writable`): appends grow it in place.
    pub const WRITABLE_BIN: u8 = 11;
    /// A map of more than 32 keys: `[size, root node]` (see `vm::term::maps`).
    pub const HMAP: u8 = 12;
    /// A node of a hash map's trie: `[bitmap, child...]`; never a term by itself.
    pub const HNODE: u8 = 13;
}

impl Word {
    /// `[]`.
    pub const NIL: Word = Word(IMM_SPECIAL);
    /// No value: marks moved cons cells during collection and an exception in `catch`.
    pub const NONE: Word = Word((1 << 4) | IMM_SPECIAL);

    /// A small integer, if `i` fits in 60 bits.
    #[inline]
    pub fn small(i: i64) -> Option<Word> {
        (MIN_SMALL..=MAX_SMALL)
            .contains(&i)
            .then_some(Word(((i as u64) << 4) | IMM_SMALL))
    }

    /// The value of a small integer.
    #[inline]
    pub fn as_small(self) -> Option<i64> {
        (self.0 & 0xf == IMM_SMALL).then_some((self.0 as i64) >> 4)
    }

    /// An atom by table index.
    #[inline]
    pub fn atom(index: u32) -> Word {
        Word(((index as u64) << 4) | IMM_ATOM)
    }

    /// The table index of an atom.
    #[inline]
    pub fn as_atom(self) -> Option<u32> {
        (self.0 & 0xf == IMM_ATOM).then_some((self.0 >> 4) as u32)
    }

    /// A local process identifier.
    #[inline]
    pub fn pid(id: u64) -> Word {
        Word((id << 4) | IMM_PID)
    }

    /// The number of a local pid.
    #[inline]
    pub fn as_pid(self) -> Option<u64> {
        (self.0 & 0xf == IMM_PID).then_some(self.0 >> 4)
    }

    /// A local port identifier (`id` at most [`MAX_PORT`]).
    #[inline]
    pub fn port(id: u64) -> Word {
        Word(PORT_BIT | (id << 4) | IMM_SPECIAL)
    }

    /// The number of a local port.
    #[inline]
    pub fn as_port(self) -> Option<u64> {
        (self.0 & (PORT_BIT | 0xf) == PORT_BIT | IMM_SPECIAL).then_some((self.0 & !PORT_BIT) >> 4)
    }

    /// A `true`/`false` atom.
    #[inline]
    pub fn boolean(b: bool) -> Word {
        Word::atom(if b {
            super::atoms::atom::TRUE
        } else {
            super::atoms::atom::FALSE
        })
    }

    fn pointer(tag: u64, p: Ptr) -> Word {
        debug_assert!((p.offset as u64) <= OFFSET_MASK);
        Word(((p.area as u64) << (OFFSET_BITS + 2)) | ((p.offset as u64) << 2) | tag)
    }

    /// A pointer to a cons cell.
    #[inline]
    pub fn list(p: Ptr) -> Word {
        Word::pointer(TAG_LIST, p)
    }

    /// A pointer to a boxed object.
    #[inline]
    pub fn boxed(p: Ptr) -> Word {
        Word::pointer(TAG_BOXED, p)
    }

    /// Whether this is a cons pointer.
    #[inline]
    pub fn is_list(self) -> bool {
        self.0 & 3 == TAG_LIST
    }

    /// Whether this is a boxed pointer.
    #[inline]
    pub fn is_boxed(self) -> bool {
        self.0 & 3 == TAG_BOXED
    }

    /// Whether this is a header word.
    #[inline]
    pub fn is_header(self) -> bool {
        self.0 & 3 == TAG_HEADER
    }

    /// Whether this is an immediate (no heap object behind it).
    #[inline]
    pub fn is_immediate(self) -> bool {
        self.0 & 3 == TAG_IMMED
    }

    /// Where a list or boxed pointer points.
    #[inline]
    pub fn ptr(self) -> Ptr {
        Ptr {
            area: (self.0 >> (OFFSET_BITS + 2)) as u32,
            offset: ((self.0 >> 2) & OFFSET_MASK) as usize,
        }
    }

    /// A header word.
    #[inline]
    pub fn header(kind: u8, arity: usize) -> Word {
        Word(((arity as u64) << 8) | ((kind as u64) << 2) | TAG_HEADER)
    }

    /// A header's kind.
    #[inline]
    pub fn header_kind(self) -> u8 {
        ((self.0 >> 2) & 0x3f) as u8
    }

    /// A header's arity field.
    #[inline]
    pub fn header_arity(self) -> usize {
        (self.0 >> 8) as usize
    }
}

impl std::fmt::Debug for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(i) = self.as_small() {
            write!(f, "Small({i})")
        } else if let Some(a) = self.as_atom() {
            write!(f, "Atom({a})")
        } else if *self == Word::NIL {
            write!(f, "Nil")
        } else if self.is_list() || self.is_boxed() {
            let p = self.ptr();
            write!(
                f,
                "{}({}:{})",
                if self.is_list() { "List" } else { "Boxed" },
                p.area,
                p.offset
            )
        } else {
            write!(f, "Word({:#x})", self.0)
        }
    }
}

/// A reference's number as the three 32-bit words the external format and
/// `#Ref<0.C.B.A>` show, the first of 18 bits as on the BEAM.
pub fn ref_ids(id: u64) -> [u32; 3] {
    [(id & 0x3_ffff) as u32, (id >> 18) as u32, (id >> 50) as u32]
}

/// The reference number of these words, if [`ref_ids`] makes them.
pub fn ref_of_ids(ids: &[u32]) -> Option<u64> {
    match *ids {
        [a, b, c] if a < 1 << 18 && c < 1 << 14 => {
            Some(u64::from(a) | u64::from(b) << 18 | u64::from(c) << 50)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediates_round_trip() {
        for i in [0, 1, -1, MIN_SMALL, MAX_SMALL, 12345678] {
            assert_eq!(Word::small(i).unwrap().as_small(), Some(i));
        }
        assert!(Word::small(MAX_SMALL + 1).is_none());
        assert!(Word::small(MIN_SMALL - 1).is_none());
        assert_eq!(Word::atom(77).as_atom(), Some(77));
        assert_eq!(Word::atom(77).as_small(), None);
        assert_eq!(Word::pid(9).as_pid(), Some(9));
        assert!(Word::NIL.is_immediate() && Word::NONE.is_immediate());
        assert_ne!(Word::NIL, Word::NONE);
        assert_eq!(Word::port(MAX_PORT).as_port(), Some(MAX_PORT));
        assert_eq!(Word::NIL.as_port(), None);
        assert_eq!(Word::pid(3).as_port(), None);
        assert!(Word::port(0).is_immediate());
    }

    #[test]
    fn pointers_and_headers() {
        let p = Ptr {
            area: 3,
            offset: 123_456,
        };
        assert_eq!(Word::list(p).ptr(), p);
        assert!(Word::list(p).is_list() && !Word::list(p).is_boxed());
        assert_eq!(Word::boxed(p).ptr(), p);
        let h = Word::header(kind::TUPLE, 5);
        assert!(h.is_header());
        assert_eq!((h.header_kind(), h.header_arity()), (kind::TUPLE, 5));
    }
}
