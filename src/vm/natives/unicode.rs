//! The `unicode` functions OTP implements as BIFs.

use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::bits::{unicode_chars, walk_chardata};
use crate::vm::natives::helpers::string_list;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `unicode` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("unicode", "characters_to_list", 1, characters_to_list_1),
    Native::heap("unicode", "characters_to_list", 2, characters_to_list_2),
    Native::heap("unicode", "characters_to_binary", 1, characters_to_binary_1),
    Native::heap("unicode", "characters_to_binary", 2, characters_to_binary_2),
    Native::heap("unicode", "characters_to_binary", 3, characters_to_binary_3),
    Native::heap("unicode", "bin_is_7bit", 1, bin_is_7bit_1),
];

fn characters_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match unicode_chars(c, a[0]) {
        Some(s) => Value(string_list(c, &s)),
        None => badarg(),
    }
}

fn characters_to_list_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match chars_in(c, a[0], a[1]) {
        Some(s) => Value(string_list(c, &s)),
        None => badarg(),
    }
}

fn characters_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match unicode_chars(c, a[0]) {
        Some(s) => Value(c.heap.bitstring(0, s.as_bytes(), 8)),
        None => badarg(),
    }
}

fn characters_to_binary_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match chars_in(c, a[0], a[1]) {
        Some(s) => Value(c.heap.bitstring(0, s.as_bytes(), 8)),
        None => badarg(),
    }
}

fn characters_to_binary_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match chars_in(c, a[0], a[1]) {
        Some(s) => Value(c.heap.bitstring(0, s.as_bytes(), 8)),
        None => badarg(),
    }
}

fn bin_is_7bit_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().bits(a[0]) {
        Some((b, 8)) => boolean(b.is_ascii()),
        Some(([], _)) => boolean(true),
        // Not a binary: not a 7-bit binary (erl answers, it does not raise).
        _ => boolean(false),
    }
}

/// Chardata as text, its binaries read in `enc`: `latin1` (a byte a
/// character) or `unicode`/`utf8`.
fn chars_in(c: &Ctx, w: Word, enc: Word) -> Option<String> {
    match &*c.atoms.name(enc.as_atom()?) {
        "unicode" | "utf8" => unicode_chars(c, w),
        "latin1" => {
            let out = std::cell::RefCell::new(String::new());
            walk_chardata(
                &c.view(),
                w,
                |i| {
                    out.borrow_mut()
                        .push(char::from_u32(u32::try_from(i).ok()?)?);
                    Some(())
                },
                |b| {
                    out.borrow_mut().extend(b.iter().map(|&x| char::from(x)));
                    Some(())
                },
            )?;
            Some(out.into_inner())
        }
        _ => None,
    }
}
