//! The `file` module's BIF: `native_name_encoding/0`.

use crate::vm::native::{Ctx, Native, NativeResult};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `file` natives.
pub const NATIVES: &[Native] = &[Native::heap(
    "file",
    "native_name_encoding",
    0,
    native_name_encoding_0,
)];

/// Whether the locale the program started in (`LC_ALL`, else `LC_CTYPE`,
/// else `LANG`: the first one set and not empty) is installed and has
/// UTF-8 for its character set, as erl decides at start how file names
/// are encoded. A locale that is not installed is the C locale, as for
/// `setlocale`. `os:putenv/2` later changes nothing, as on the BEAM.
pub fn utf8_locale() -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    let (lang, rest) = locale.split_once('.').unwrap_or((&locale, ""));
    let (codeset, modifier) = rest.split_once('@').unwrap_or((rest, ""));
    let norm: String = codeset
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    norm == "utf8" && (lang == "C" || installed(lang, &norm, modifier))
}

/// Whether the C library has locale `lang.codeset[@modifier]`: a directory
/// of its own under `/usr/lib/locale`, or an entry of the locale archive
/// there (whose names are NUL-terminated, with the codeset normalised as
/// in `utf8`).
fn installed(lang: &str, codeset: &str, modifier: &str) -> bool {
    let mut name = format!("{lang}.{codeset}");
    if !modifier.is_empty() {
        name = format!("{name}@{modifier}");
    }
    let dir = std::path::Path::new("/usr/lib/locale");
    if dir.join(&name).is_dir() {
        return true;
    }
    let Ok(archive) = std::fs::read(dir.join("locale-archive")) else {
        return false;
    };
    let mut needle = name.into_bytes();
    needle.push(0);
    archive
        .windows(needle.len())
        .enumerate()
        .any(|(i, w)| w == needle.as_slice() && (i == 0 || archive[i - 1] == 0))
}

/// `utf8` under a UTF-8 locale, `latin1` otherwise (the C locale
/// included), as erl without `+fnu`/`+fnl` answers.
fn native_name_encoding_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let name = if utf8_locale() { "utf8" } else { "latin1" };
    Value(Word::atom(c.atoms.intern(name)))
}
