//! The first of `prim_file`'s NIFs: what OTP's `erl_prim_loader` and
//! `init` need to find and read files (the current directory, whole-file
//! reads, directory listings, file information) and the file name
//! conversions. Paths reach the NIFs as OTP's `prim_file` encodes them:
//! NUL-terminated bytes in the native name encoding. Failures are erl's
//! `{error, Posix}`.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

use crate::term::Term;
use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::bits::{binary_bytes, binary_word};
use crate::vm::natives::file::utf8_locale;
use crate::vm::term::list::{list_of, string_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `prim_file` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("prim_file", "internal_name2native", 1, name2native_1),
    Native::heap("prim_file", "internal_native2name", 1, native2name_1),
    Native::heap("prim_file", "internal_normalize_utf8", 1, normalize_utf8_1),
    Native::heap("prim_file", "is_translatable", 1, is_translatable_1),
    Native::heap("prim_file", "get_cwd_nif", 0, get_cwd_nif_0).nif(),
    Native::heap("prim_file", "read_file_nif", 1, read_file_nif_1).nif(),
    Native::heap("prim_file", "list_dir_nif", 1, list_dir_nif_1).nif(),
    Native::heap("prim_file", "read_info_nif", 2, read_info_nif_2).nif(),
];

/// The POSIX name of an OS error, as erl reports it.
fn posix(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(1) => "eperm",
        Some(2) => "enoent",
        Some(5) => "eio",
        Some(9) => "ebadf",
        Some(12) => "enomem",
        Some(13) => "eacces",
        Some(16) => "ebusy",
        Some(17) => "eexist",
        Some(18) => "exdev",
        Some(20) => "enotdir",
        Some(21) => "eisdir",
        Some(22) => "einval",
        Some(24) => "emfile",
        Some(28) => "enospc",
        Some(30) => "erofs",
        Some(36) => "enametoolong",
        Some(39) => "enotempty",
        Some(40) => "eloop",
        _ => "eio",
    }
}

fn error(c: &mut Ctx, e: &std::io::Error) -> NativeResult {
    let t = Term::Tuple(vec![Term::atom("error"), Term::atom(posix(e))]);
    Value(c.from_term(&t))
}

fn ok(c: &mut Ctx, w: Word) -> NativeResult {
    let ok = Word::atom(c.atoms.intern("ok"));
    Value(c.heap.tuple(0, &[ok, w]))
}

/// A path argument: NUL-terminated bytes, the NUL dropped (an inner NUL
/// is badarg, as erl's encoding never makes one).
fn path_arg(c: &Ctx, w: Word) -> Option<std::path::PathBuf> {
    let mut b = binary_bytes(c, w)?;
    if b.pop() != Some(0) || b.contains(&0) {
        return None;
    }
    Some(std::ffi::OsStr::from_bytes(&b).into())
}

/// A file name (a flat list of characters, or a binary) as native bytes
/// with a terminating NUL: UTF-8, or latin-1 where that is the encoding.
fn name2native_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let mut bytes = if let Some(b) = binary_bytes(c, a[0]) {
        b
    } else {
        let Some(s) = string_of(&c.view(), a[0]) else {
            return badarg();
        };
        if utf8_locale() {
            s.into_bytes()
        } else {
            let mut out = Vec::with_capacity(s.len());
            for ch in s.chars() {
                match u8::try_from(u32::from(ch)) {
                    Ok(b) => out.push(b),
                    Err(_) => return badarg(),
                }
            }
            out
        }
    };
    if bytes.contains(&0) {
        return badarg();
    }
    bytes.push(0);
    Value(binary_word(c, &bytes))
}

/// Native bytes back to a file name (a list of characters); bytes that
/// are not UTF-8 under a UTF-8 encoding are `{error, warning}`: erl's
/// default handling of such names (`+fnuw`) is to warn and leave them out.
fn native2name_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(b) = binary_bytes(c, a[0]) else {
        return badarg();
    };
    let chars: Vec<u32> = if utf8_locale() {
        match std::str::from_utf8(&b) {
            Ok(s) => s.chars().map(u32::from).collect(),
            Err(_) => {
                let t = Term::Tuple(vec![Term::atom("error"), Term::atom("warning")]);
                return Value(c.from_term(&t));
            }
        }
    } else {
        b.iter().map(|&x| u32::from(x)).collect()
    };
    let ws: Vec<Word> = chars
        .into_iter()
        .map(|x| Word::small(i64::from(x)).expect("a character"))
        .collect();
    Value(list_of(c.heap, &ws))
}

/// Unicode normalisation (NFC) is left to the file system: names pass
/// through as characters.
fn normalize_utf8_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(b) = binary_bytes(c, a[0]) else {
        return badarg();
    };
    let Ok(s) = std::str::from_utf8(&b) else {
        return badarg();
    };
    let ws: Vec<Word> = s
        .chars()
        .map(|x| Word::small(i64::from(u32::from(x))).expect("a character"))
        .collect();
    Value(list_of(c.heap, &ws))
}

fn is_translatable_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match binary_bytes(c, a[0]) {
        Some(b) => boolean(!utf8_locale() || std::str::from_utf8(&b).is_ok()),
        None => badarg(),
    }
}

fn get_cwd_nif_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    match std::env::current_dir() {
        Ok(p) => {
            let w = binary_word(c, p.as_os_str().as_bytes());
            ok(c, w)
        }
        Err(e) => error(c, &e),
    }
}

fn read_file_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(path) = path_arg(c, a[0]) else {
        return badarg();
    };
    match std::fs::read(&path) {
        Ok(bytes) => {
            let w = binary_word(c, &bytes);
            ok(c, w)
        }
        Err(e) => error(c, &e),
    }
}

fn list_dir_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(path) = path_arg(c, a[0]) else {
        return badarg();
    };
    let entries = match std::fs::read_dir(&path) {
        Ok(d) => d,
        Err(e) => return error(c, &e),
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => names.push(e.file_name()),
            Err(e) => return error(c, &e),
        }
    }
    let ws: Vec<Word> = names.iter().map(|n| binary_word(c, n.as_bytes())).collect();
    let list = list_of(c.heap, &ws);
    ok(c, list)
}

/// `#file_info{}` with times in POSIX seconds (OTP's `prim_file` converts
/// them): size, type, access, atime, mtime, ctime, mode, links,
/// major_device, minor_device, inode, uid, gid.
fn read_info_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(path) = path_arg(c, a[0]) else {
        return badarg();
    };
    let follow = a[1] != Word::small(0).expect("0");
    let meta = if follow {
        std::fs::metadata(&path)
    } else {
        std::fs::symlink_metadata(&path)
    };
    let m = match meta {
        Ok(m) => m,
        Err(e) => return error(c, &e),
    };
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        "symlink"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "regular"
    } else {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_block_device() || ft.is_char_device() {
            "device"
        } else {
            "other"
        }
    };
    // What the owner may do, as an approximation of access(2).
    let access = match (m.mode() & 0o400 != 0, m.mode() & 0o200 != 0) {
        (true, true) => "read_write",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "none",
    };
    let int = |v: i64| Term::Int(v);
    let t = Term::Tuple(vec![
        Term::atom("file_info"),
        int(m.size() as i64),
        Term::atom(kind),
        Term::atom(access),
        int(m.atime()),
        int(m.mtime()),
        int(m.ctime()),
        int(i64::from(m.mode())),
        int(m.nlink() as i64),
        int(m.dev() as i64),
        int(m.rdev() as i64),
        int(m.ino() as i64),
        int(i64::from(m.uid())),
        int(i64::from(m.gid())),
    ]);
    Value(c.from_term(&t))
}
