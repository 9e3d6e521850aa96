//! The natives of the `lam` module: runtime helpers the translator calls
//! with `bif` (binary syntax, stack traces, record updates). This table is
//! their contract with the interpreter, and `docs/natives.md` is made from it.
//!
//! Conventions: `Ctx` is a match context (a term the interpreter defines);
//! `Flags` is the BEAM's field-flag number (1 aligned, 2 little-endian,
//! 4 signed, 8 exact, 16 native-endian); a size may be the atom `all`.
//! A native that can fail jumps to the instruction's label, or raises
//! `badarg` when it has none.

/// One native.
#[derive(Debug, Clone, Copy)]
pub struct Native {
    /// Function name in the `lam` module.
    pub name: &'static str,
    /// Arity, or `None` for a variable number of arguments.
    pub arity: Option<u32>,
    /// The arguments, in order.
    pub args: &'static str,
    /// What it returns or does, and when it fails.
    pub meaning: &'static str,
}

macro_rules! natives {
    ($( $name:literal / $arity:tt ($args:literal) $meaning:literal; )*) => {
        /// Every native the translator may emit.
        pub static NATIVES: &[Native] = &[
            $( Native { name: $name, arity: natives!(@arity $arity), args: $args, meaning: $meaning }, )*
        ];
    };
    (@arity n) => { None };
    (@arity $a:literal) => { Some($a) };
}

natives! {
    "bs_start_match"/1 ("Bin") "a match context at the start of bitstring Bin (or Bin itself when it already is one); fails if Bin is not a bitstring";
    "bs_get_integer"/4 ("Ctx, Size, Unit, Flags") "the next Size*Unit bits as an integer, advancing Ctx; fails if too few bits remain";
    "bs_get_float"/4 ("Ctx, Size, Unit, Flags") "the next Size*Unit bits (16, 32 or 64) as a float; fails on too few bits or a NaN/infinity";
    "bs_get_binary"/4 ("Ctx, Size, Unit, Flags") "the next Size*Unit bits (or all remaining, Size = all) as a bitstring";
    "bs_skip_bits"/4 ("Ctx, Size, Unit, Flags") "advance Ctx by Size*Unit bits; fails if too few remain";
    "bs_test_tail"/2 ("Ctx, Bits") "succeeds if exactly Bits bits remain";
    "bs_test_unit"/2 ("Ctx, Unit") "succeeds if the number of remaining bits is a multiple of Unit";
    "bs_match_string"/2 ("Ctx, Bits") "succeeds, advancing Ctx, if the next bits equal the bitstring Bits";
    "bs_get_tail"/1 ("Ctx") "the remaining bits as a bitstring";
    "bs_get_position"/1 ("Ctx") "the current position in bits";
    "bs_set_position"/2 ("Ctx, Pos") "move Ctx to bit position Pos";
    "bs_save"/2 ("Ctx, Slot") "remember the position of Ctx in slot Slot (pre-OTP 22 code)";
    "bs_restore"/2 ("Ctx, Slot") "go back to the position saved in Slot (pre-OTP 22 code)";
    "bs_context_to_binary"/1 ("Ctx") "the bitstring Ctx matches (Ctx itself if it is not a context)";
    "bs_get_utf8"/2 ("Ctx, Flags") "the next UTF-8 encoded code point; fails on invalid UTF-8";
    "bs_get_utf16"/2 ("Ctx, Flags") "the next UTF-16 encoded code point (Flags give the endianness)";
    "bs_get_utf32"/2 ("Ctx, Flags") "the next UTF-32 encoded code point";
    "bs_skip_utf8"/2 ("Ctx, Flags") "skip one UTF-8 encoded code point";
    "bs_skip_utf16"/2 ("Ctx, Flags") "skip one UTF-16 encoded code point";
    "bs_skip_utf32"/2 ("Ctx, Flags") "skip one UTF-32 encoded code point";
    "bs_ensure_at_least"/3 ("Ctx, Size, Unit") "succeeds if at least Size bits remain and the remainder is a multiple of Unit (OTP 26 bs_match)";
    "bs_ensure_exactly"/2 ("Ctx, Size") "succeeds if exactly Size bits remain (OTP 26 bs_match)";
    "bs_match_bits"/3 ("Ctx, Size, Value") "succeeds, advancing Ctx, if the next Size bits equal integer Value (OTP 26 bs_match)";
    "bs_create_bin"/n ("Unit, then 6 per segment: Type, Index, SegUnit, Flags, Src, Size") "a new bitstring of the segments in order; Type is integer, float, binary, utf8, utf16, utf32, string (Src is the bytes), append or private_append (Src is the bitstring to extend); Flags is [] or a list of atoms (little, signed, ..., and all when Size is the literal all: a Size that is the atom all otherwise is badarg); fails with the BEAM's error for a bad segment";
    "bs_init"/2 ("Size, Flags") "a new writable binary of Size bytes that following bs_put_* natives fill in (pre-OTP 25 code)";
    "bs_init_bits"/2 ("Bits, Flags") "as bs_init, sized in bits";
    "bs_put_integer"/4 ("Value, Size, Unit, Flags") "append Value as Size*Unit bits to the binary being built";
    "bs_put_binary"/4 ("Value, Size, Unit, Flags") "append bitstring Value (or Size*Unit bits of it)";
    "bs_put_float"/4 ("Value, Size, Unit, Flags") "append Value as a float of Size*Unit bits";
    "bs_put_string"/1 ("Bytes") "append binary Bytes";
    "bs_put_utf8"/2 ("Value, Flags") "append code point Value in UTF-8";
    "bs_put_utf16"/2 ("Value, Flags") "append code point Value in UTF-16";
    "bs_put_utf32"/2 ("Value, Flags") "append code point Value in UTF-32";
    "bs_utf8_size"/1 ("Value") "the number of bytes of code point Value in UTF-8";
    "bs_utf16_size"/1 ("Value") "the number of bytes of code point Value in UTF-16";
    "bs_add"/3 ("A, B, Unit") "A + B*Unit, for computing binary sizes; fails on non-integers";
    "bs_append"/4 ("Bin, Size, Unit, Flags") "a copy of bitstring Bin (whose size must be a multiple of Unit) with room for Size more bits, which following bs_put_* natives fill in";
    "bs_init_writable"/1 ("Size") "a new empty writable binary (the BEAM's bs_init_writable)";
    "build_stacktrace"/1 ("Raw") "the stack trace as Erlang sees it ([{M, F, A, Location}]) from the raw trace a try clause received";
    "update_record"/n ("Tuple, then pairs: Index, Value") "a copy of Tuple with each (1-based) Index set to its Value";
}

/// The native with this name, if any.
pub fn find(name: &str) -> Option<&'static Native> {
    NATIVES.iter().find(|n| n.name == name)
}

/// `docs/natives.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "# Natives of the `lam` module\n\n\
         Generated from `src/translate/natives.rs`: the contract between the translator,\n\
         which calls these with `bif`, and the interpreter, which implements them. A test\n\
         checks that the translator emits no other `lam` native.\n\n\
         Conventions: `Ctx` is a match context; `Flags` is the BEAM's field-flag number\n\
         (1 aligned, 2 little-endian, 4 signed, 8 exact, 16 native-endian); a size may be\n\
         the atom `all`. A native that fails jumps to the `bif` instruction's label, or\n\
         raises `badarg` when it has none.\n\n\
         | native | arguments | meaning |\n|---|---|---|\n",
    );
    for n in NATIVES {
        let arity = n.arity.map_or("N".to_string(), |a| a.to_string());
        s.push_str(&format!(
            "| `lam:{}/{arity}` | {} | {} |\n",
            n.name, n.args, n.meaning
        ));
    }
    s
}
