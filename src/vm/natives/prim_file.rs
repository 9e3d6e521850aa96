//! `prim_file`'s NIFs: file handles (open, read, write, seek, ...), the
//! file system operations (information, links, directories, the current
//! directory) and the file name conversions, with erl's semantics on
//! Linux. Paths reach the NIFs as OTP's `prim_file` encodes them:
//! NUL-terminated bytes in the native name encoding. Failures are erl's
//! `{error, Posix}`. `docs/files.md` says what differs from erl.
//!
//! An open file is a resource (`resource`) owned by the process that
//! opened it: its descriptor is closed by `close_nif/1` or when that
//! process exits, as erl's monitor on the owner does. A handle used after
//! it was closed answers `{error, einval}`, as erl's closed state does.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::term::Term;
use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::bits::{binary_bytes, binary_word};
use crate::vm::natives::file::utf8_locale;
use crate::vm::natives::resource;
use crate::vm::platform::{self, OsStrExt};
use crate::vm::term::compare::number;
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
    Native::heap("prim_file", "open_nif", 2, open_nif_2).nif(),
    Native::heap("prim_file", "close_nif", 1, close_nif_1).nif(),
    Native::heap("prim_file", "delayed_close_nif", 1, delayed_close_nif_1).nif(),
    Native::heap(
        "prim_file",
        "file_desc_to_ref_nif",
        1,
        file_desc_to_ref_nif_1,
    )
    .nif(),
    Native::heap("prim_file", "read_nif", 2, read_nif_2).nif(),
    Native::heap("prim_file", "write_nif", 2, write_nif_2).nif(),
    Native::heap("prim_file", "pread_nif", 3, pread_nif_3).nif(),
    Native::heap("prim_file", "pwrite_nif", 3, pwrite_nif_3).nif(),
    Native::heap("prim_file", "seek_nif", 3, seek_nif_3).nif(),
    Native::heap("prim_file", "sync_nif", 2, sync_nif_2).nif(),
    Native::heap("prim_file", "truncate_nif", 1, truncate_nif_1).nif(),
    Native::heap("prim_file", "allocate_nif", 3, allocate_nif_3).nif(),
    Native::heap("prim_file", "advise_nif", 4, advise_nif_4).nif(),
    Native::heap("prim_file", "get_handle_nif", 1, get_handle_nif_1).nif(),
    Native::heap(
        "prim_file",
        "read_handle_info_nif",
        1,
        read_handle_info_nif_1,
    )
    .nif(),
    Native::heap(
        "prim_file",
        "ipread_s32bu_p32bu_nif",
        3,
        ipread_s32bu_p32bu_nif_3,
    )
    .nif(),
    Native::heap("prim_file", "make_hard_link_nif", 2, make_hard_link_nif_2).nif(),
    Native::heap("prim_file", "make_soft_link_nif", 2, make_soft_link_nif_2).nif(),
    Native::heap("prim_file", "rename_nif", 2, rename_nif_2).nif(),
    Native::heap("prim_file", "set_permissions_nif", 2, set_permissions_nif_2).nif(),
    Native::heap("prim_file", "set_owner_nif", 3, set_owner_nif_3).nif(),
    Native::heap("prim_file", "set_time_nif", 4, set_time_nif_4).nif(),
    Native::heap("prim_file", "read_link_nif", 1, read_link_nif_1).nif(),
    Native::heap("prim_file", "make_dir_nif", 1, make_dir_nif_1).nif(),
    Native::heap("prim_file", "del_file_nif", 1, del_file_nif_1).nif(),
    Native::heap("prim_file", "del_dir_nif", 1, del_dir_nif_1).nif(),
    Native::heap("prim_file", "get_device_cwd_nif", 1, get_device_cwd_nif_1).nif(),
    Native::heap("prim_file", "set_cwd_nif", 1, set_cwd_nif_1).nif(),
    Native::heap("prim_file", "altname_nif", 1, altname_nif_1).nif(),
];

/// The POSIX name of an OS error number, as erl's `erl_errno_id` gives it
/// (Linux numbering).
fn errno_name(n: i32) -> &'static str {
    const NAMES: &[&str] = &[
        "unknown",
        "eperm",
        "enoent",
        "esrch",
        "eintr",
        "eio",
        "enxio",
        "e2big",
        "enoexec",
        "ebadf",
        "echild",
        "eagain",
        "enomem",
        "eacces",
        "efault",
        "enotblk",
        "ebusy",
        "eexist",
        "exdev",
        "enodev",
        "enotdir",
        "eisdir",
        "einval",
        "enfile",
        "emfile",
        "enotty",
        "etxtbsy",
        "efbig",
        "enospc",
        "espipe",
        "erofs",
        "emlink",
        "epipe",
        "edom",
        "erange",
        "edeadlk",
        "enametoolong",
        "enolck",
        "enosys",
        "enotempty",
        "eloop",
    ];
    match n {
        0..=40 => NAMES[n as usize],
        61 => "enodata",
        75 => "eoverflow",
        95 => "enotsup",
        116 => "estale",
        122 => "edquot",
        _ => "unknown",
    }
}

/// The POSIX name of an I/O error; one without an OS number (std's own
/// checks) is `einval`.
fn posix(e: &std::io::Error) -> &'static str {
    match platform::errno(e) {
        Some(n) => errno_name(n),
        None if e.kind() == std::io::ErrorKind::OutOfMemory => "enomem",
        None => "einval",
    }
}

const EINVAL: i32 = 22;
const EEXIST: i32 = 17;
const EPERM: i32 = 1;
const EISDIR: i32 = 21;
const ENOTEMPTY: i32 = 39;
const ENOTSUP: i32 = 95;
const ENOMEM: i32 = 12;
const EFBIG: i32 = 27;

fn atom(c: &Ctx, name: &str) -> Word {
    Word::atom(c.atoms.intern(name))
}

fn error_errno(c: &mut Ctx, n: i32) -> NativeResult {
    let reason = atom(c, errno_name(n));
    let e = atom(c, "error");
    Value(c.heap.tuple(0, &[e, reason]))
}

fn error(c: &mut Ctx, e: &std::io::Error) -> NativeResult {
    let reason = atom(c, posix(e));
    let tag = atom(c, "error");
    Value(c.heap.tuple(0, &[tag, reason]))
}

fn ok(c: &mut Ctx, w: Word) -> NativeResult {
    let ok = atom(c, "ok");
    Value(c.heap.tuple(0, &[ok, w]))
}

fn done<T>(c: &mut Ctx, r: std::io::Result<T>) -> NativeResult {
    match r {
        Ok(_) => Value(atom(c, "ok")),
        Err(e) => error(c, &e),
    }
}

fn atom_name(c: &Ctx, w: Word) -> Option<Arc<str>> {
    w.as_atom().map(|i| c.atoms.name(i))
}

/// An integer argument as the NIFs read one: `Err` (badarg) for what is
/// not a number, `Ok(None)` for a number that is no 64-bit integer (the
/// NIFs answer `einval` to those).
fn int64(c: &Ctx, w: Word) -> Result<Option<i64>, ()> {
    if let Some(i) = w.as_small() {
        return Ok(Some(i));
    }
    match number(&c.view(), w) {
        None => Err(()),
        Some(_) => {
            Ok(crate::vm::natives::helpers::integer_of(c, w).and_then(|b| i64::try_from(b).ok()))
        }
    }
}

/// An integer argument that must fit a C `int` (badarg otherwise).
fn int32(c: &Ctx, w: Word) -> Option<i32> {
    int64(c, w)
        .ok()
        .flatten()
        .and_then(|i| i32::try_from(i).ok())
}

/// A path argument: a binary whose bytes end in one or more NULs and hold
/// no other (erl's marshalling; anything else is `einval`).
fn path_arg(c: &Ctx, w: Word) -> Option<PathBuf> {
    let b = binary_bytes(c, w)?;
    let first = b.iter().position(|&x| x == 0)?;
    if b[first..].iter().any(|&x| x != 0) {
        return None;
    }
    Some(std::ffi::OsStr::from_bytes(&b[..first]).into())
}

/// Runs `f` on the path argument `w`, or answers `{error, einval}`.
fn with_path(
    c: &mut Ctx,
    w: Word,
    f: impl FnOnce(&mut Ctx, PathBuf) -> NativeResult,
) -> NativeResult {
    match path_arg(c, w) {
        Some(p) => f(c, p),
        None => error_errno(c, EINVAL),
    }
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
    with_path(c, a[0], |c, path| {
        let r = open_file(&path, Modes::READ).and_then(|mut f| {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map(|_| bytes)
        });
        match r {
            Ok(bytes) => {
                let w = binary_word(c, &bytes);
                ok(c, w)
            }
            Err(e) => error(c, &e),
        }
    })
}

/// The names of a directory's entries but `.` and `..`, last read first
/// (erl's NIF builds its list so, and `prim_file` reverses it).
fn list_dir_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_path(c, a[0], |c, path| {
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
        let ws: Vec<Word> = names
            .iter()
            .rev()
            .map(|n| binary_word(c, n.as_bytes()))
            .collect();
        let list = list_of(c.heap, &ws);
        ok(c, list)
    })
}

// ------------------------------------------------------ file information

/// The process's user and group ids: real and effective uid and gid, and
/// the supplementary groups.
struct Ids {
    ruid: u32,
    euid: u32,
    rgid: u32,
    egid: u32,
    groups: Vec<u32>,
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let (ruid, euid, rgid, egid, groups) = platform::ids();
        Ids {
            ruid,
            euid,
            rgid,
            egid,
            groups,
        }
    })
}

/// `read`, `write`, `read_write` or `none` from read and write permission.
fn access_name(r: bool, w: bool) -> &'static str {
    match (r, w) {
        (true, true) => "read_write",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "none",
    }
}

/// What `access(2)` answers for reading and writing a path, which erl's
/// `read_info` asks: by the real ids, the superuser may do both.
fn path_access(m: &platform::Stat) -> &'static str {
    let ids = ids();
    if ids.ruid == 0 {
        return access_name(true, true);
    }
    let mode = m.mode;
    let bits = if m.uid == ids.ruid {
        mode >> 6
    } else if m.gid == ids.rgid || ids.groups.contains(&m.gid) {
        mode >> 3
    } else {
        mode
    };
    access_name(bits & 4 != 0, bits & 2 != 0)
}

/// What erl's `read_handle_info` says of an open file: the mode bits of
/// the class the effective ids fall in, the superuser included.
fn handle_access(m: &platform::Stat) -> &'static str {
    let ids = ids();
    let mode = m.mode;
    let bits = if m.uid == ids.euid {
        mode >> 6
    } else if m.gid == ids.egid {
        mode >> 3
    } else {
        mode
    };
    access_name(bits & 4 != 0, bits & 2 != 0)
}

/// `#file_info{}` with times in POSIX seconds (OTP's `prim_file` converts
/// them): size, type, access, atime, mtime, ctime, mode, links,
/// major_device, minor_device, inode, uid, gid.
fn file_info(c: &mut Ctx, m: &platform::Stat, access: &str) -> NativeResult {
    let int = |v: i64| Term::Int(v);
    // erl makes the numbers with `enif_make_uint`: 32 bits.
    let uint = |v: u64| Term::Int(i64::from(v as u32));
    let t = Term::Tuple(vec![
        Term::atom("file_info"),
        Term::Int(m.size as i64),
        Term::atom(m.kind),
        Term::atom(access),
        int(m.atime),
        int(m.mtime),
        int(m.ctime),
        uint(u64::from(m.mode)),
        uint(m.nlink),
        uint(m.dev),
        uint(m.rdev),
        uint(m.ino),
        uint(u64::from(m.uid)),
        uint(u64::from(m.gid)),
    ]);
    Value(c.from_term(&t))
}

fn read_info_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(follow) = int32(c, a[1]) else {
        return badarg();
    };
    with_path(c, a[0], |c, path| {
        let meta = if follow != 0 {
            std::fs::metadata(&path)
        } else {
            std::fs::symlink_metadata(&path)
        };
        match meta {
            Ok(m) => {
                let m = platform::stat(&m);
                file_info(c, &m, path_access(&m))
            }
            Err(e) => error(c, &e),
        }
    })
}

// ------------------------------------------------------------ open files

/// The open modes erl's NIF understands (others, `raw`, `binary`,
/// `read_ahead`, ..., are `prim_file`'s or `file`'s business).
#[derive(Clone, Copy, Default)]
struct Modes {
    read: bool,
    write: bool,
    append: bool,
    exclusive: bool,
    sync: bool,
    skip_type_check: bool,
}

impl Modes {
    const READ: Modes = Modes {
        read: true,
        write: false,
        append: false,
        exclusive: false,
        sync: false,
        skip_type_check: false,
    };
}

/// Opens `path` as erl's `efile_open` does: read and write as asked (read
/// when neither is), created with mode 0666 (less the umask) when written,
/// truncated when only written, and a directory refused with `eisdir`
/// unless the modes skip that check.
fn open_file(path: &std::path::Path, mut m: Modes) -> std::io::Result<File> {
    if m.append || m.exclusive {
        m.write = true;
    } else if !m.read && !m.write {
        m.read = true;
    }
    let mut o = OpenOptions::new();
    o.read(m.read).write(m.write);
    if m.write {
        o.create(true);
        if !m.read && !m.append {
            o.truncate(true);
        }
    }
    if m.append {
        o.append(true);
    }
    if m.exclusive {
        o.create_new(true);
    }
    if m.sync {
        platform::sync_writes(&mut o);
    }
    let f = o.open(path)?;
    if !m.skip_type_check && f.metadata().is_ok_and(|md| md.is_dir()) {
        return Err(platform::os_error(EISDIR));
    }
    Ok(f)
}

/// An open file: the state behind a file handle's resource.
struct Handle {
    file: File,
}

/// Runs `f` on the open file handle `w` names: badarg for what is no
/// handle, `{error, einval}` for one that was closed.
fn with_handle(
    c: &mut Ctx,
    w: Word,
    f: impl FnOnce(&mut Ctx, &mut File) -> NativeResult,
) -> NativeResult {
    let Some((_, slot)) = resource::get(c, w) else {
        return if resource::released(c, w) {
            error_errno(c, EINVAL)
        } else {
            badarg()
        };
    };
    let mut guard = resource::lock(&slot);
    match guard.downcast_mut::<Handle>() {
        Some(h) => f(c, &mut h.file),
        None => badarg(),
    }
}

fn new_handle(c: &mut Ctx, file: File) -> NativeResult {
    let r = resource::make(c, Box::new(Handle { file }));
    ok(c, r)
}

fn open_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let mut modes = Modes::default();
    let mut l = a[1];
    if l != Word::NIL && !l.is_list() {
        return badarg();
    }
    while l.is_list() {
        let (head, tail) = c.view().cons(l);
        match atom_name(c, head).as_deref() {
            Some("read") => modes.read = true,
            Some("write") => modes.write = true,
            Some("append") => modes.append = true,
            Some("exclusive") => modes.exclusive = true,
            Some("sync") => modes.sync = true,
            Some("skip_type_check") | Some("directory") => modes.skip_type_check = true,
            _ => {}
        }
        l = tail;
    }
    with_path(c, a[0], |c, path| match open_file(&path, modes) {
        Ok(f) => new_handle(c, f),
        Err(e) => error(c, &e),
    })
}

/// Closes the file now (std's close reports no error, which erl would
/// give for an NFS write-back failure).
fn close_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let r = with_handle(c, a[0], |c, _| Value(atom(c, "ok")));
    if matches!(r, Value(w) if w == atom(c, "ok")) {
        resource::release(c, a[0]);
    }
    r
}

/// erl's helper process closes files whose owner died this way; here the
/// owner's exit has closed them already.
fn delayed_close_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if resource::get(c, a[0]).is_none() && !resource::released(c, a[0]) {
        return badarg();
    }
    resource::release(c, a[0]);
    Value(atom(c, "ok"))
}

/// A handle for an inherited descriptor. std cannot take over a raw
/// descriptor without `unsafe`, so the file it names is opened again
/// through `/proc/self/fd` (same file, its own position).
fn file_desc_to_ref_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(fd) = int32(c, a[0]) else {
        return badarg();
    };
    let path = PathBuf::from(format!("/proc/self/fd/{fd}"));
    let r = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .or_else(|_| OpenOptions::new().write(true).open(&path))
        .or_else(|_| File::open(&path));
    match r {
        Ok(f) => new_handle(c, f),
        Err(_) => error_errno(c, 9),
    }
}

/// Reads up to `size` bytes with `read` until that many or the end; the
/// buffer grows as data comes rather than being allocated whole, so a
/// huge size on a small file costs nothing.
fn read_up_to(
    size: u64,
    mut read: impl FnMut(&mut [u8], u64) -> std::io::Result<usize>,
) -> std::io::Result<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    let mut got = 0u64;
    while got < size {
        let want = (size - got).min(1 << 20) as usize;
        let len = out.len();
        if out.try_reserve(want).is_err() {
            return Err(platform::os_error(ENOMEM));
        }
        out.resize(len + want, 0);
        let n = loop {
            match read(&mut out[len..], got) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        out.truncate(len + n);
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    Ok(out)
}

fn data_or_eof(c: &mut Ctx, r: std::io::Result<Vec<u8>>) -> NativeResult {
    match r {
        Ok(b) if b.is_empty() => Value(atom(c, "eof")),
        Ok(b) => {
            let w = binary_word(c, &b);
            ok(c, w)
        }
        Err(e) => error(c, &e),
    }
}

fn read_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let size = a[1];
    with_handle(c, a[0], |c, f| {
        let size = match int64(c, size) {
            Err(()) => return badarg(),
            Ok(Some(n)) if n >= 0 => n as u64,
            Ok(_) => return error_errno(c, EINVAL),
        };
        let r = read_up_to(size, |buf, _| f.read(buf));
        data_or_eof(c, r)
    })
}

/// The binaries of an I/O vector (a list of binaries), joined.
fn iovec(c: &Ctx, w: Word) -> Option<Vec<u8>> {
    let items = crate::vm::term::list::list_items(&c.view(), w)?;
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(&binary_bytes(c, i)?);
    }
    Some(out)
}

fn write_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let data = a[1];
    with_handle(c, a[0], |c, f| {
        let Some(bytes) = iovec(c, data) else {
            return badarg();
        };
        let r = f.write_all(&bytes);
        done(c, r)
    })
}

fn pread_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (off, size) = (a[1], a[2]);
    with_handle(c, a[0], |c, f| {
        let (Ok(off), Ok(size)) = (int64(c, off), int64(c, size)) else {
            return badarg();
        };
        let (Some(off), Some(size)) = (off, size) else {
            return error_errno(c, EINVAL);
        };
        if off < 0 || size < 0 {
            return error_errno(c, EINVAL);
        }
        let r = read_up_to(size as u64, |buf, got| {
            platform::read_at(f, buf, off as u64 + got)
        });
        data_or_eof(c, r)
    })
}

fn pwrite_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (off, data) = (a[1], a[2]);
    with_handle(c, a[0], |c, f| {
        let (Ok(off), Some(bytes)) = (int64(c, off), iovec(c, data)) else {
            return badarg();
        };
        match off {
            Some(off) if off >= 0 => {
                let r = platform::write_all_at(f, &bytes, off as u64);
                done(c, r)
            }
            _ => error_errno(c, EINVAL),
        }
    })
}

fn seek_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (mark, off) = (a[1], a[2]);
    with_handle(c, a[0], |c, f| {
        let Ok(Some(off)) = int64(c, off) else {
            return badarg();
        };
        let to = match atom_name(c, mark).as_deref() {
            Some("bof") if off < 0 => return error_errno(c, EINVAL),
            Some("bof") => SeekFrom::Start(off as u64),
            Some("cur") => SeekFrom::Current(off),
            Some("eof") => SeekFrom::End(off),
            _ => return badarg(),
        };
        match f.seek(to) {
            Ok(p) => {
                let w = crate::vm::natives::helpers::int_word(c, i128::from(p));
                ok(c, w)
            }
            Err(e) => error(c, &e),
        }
    })
}

fn sync_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let data_only = a[1];
    with_handle(c, a[0], |c, f| {
        let Some(data_only) = int32(c, data_only) else {
            return badarg();
        };
        let r = if data_only != 0 {
            f.sync_data()
        } else {
            f.sync_all()
        };
        done(c, r)
    })
}

/// Cuts the file at the current position.
fn truncate_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_handle(c, a[0], |c, f| {
        let r = f.stream_position().and_then(|p| f.set_len(p));
        done(c, r)
    })
}

/// Offset and length arguments as `allocate_nif` and `advise_nif` check
/// them: badarg for non-numbers, `einval` for negative or huge ones.
fn range_args(c: &mut Ctx, off: Word, len: Word) -> Result<(u64, u64), NativeResult> {
    match (int64(c, off), int64(c, len)) {
        (Ok(Some(o)), Ok(Some(l))) if o >= 0 && l >= 0 => Ok((o as u64, l as u64)),
        (Ok(_), Ok(_)) => Err(error_errno(c, EINVAL)),
        _ => Err(badarg()),
    }
}

/// erl reserves the blocks with `fallocate(2)`, which std cannot reach:
/// what shows of it, a file grown to cover the range (zeros), is done by
/// extending it.
fn allocate_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (off, len) = (a[1], a[2]);
    with_handle(c, a[0], |c, f| {
        let (o, l) = match range_args(c, off, len) {
            Ok(r) => r,
            Err(r) => return r,
        };
        let Some(end) = o.checked_add(l) else {
            return error_errno(c, EFBIG);
        };
        let r = f.metadata().and_then(|m| {
            if m.len() < end {
                f.set_len(end)
            } else {
                Ok(())
            }
        });
        done(c, r)
    })
}

/// The advice is checked and then, being only advice, not given.
fn advise_nif_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (off, len, advice) = (a[1], a[2], a[3]);
    with_handle(c, a[0], |c, _| {
        if let Err(r) = range_args(c, off, len) {
            return r;
        }
        match atom_name(c, advice).as_deref() {
            Some("normal" | "random" | "sequential" | "will_need" | "dont_need" | "no_reuse") => {
                Value(atom(c, "ok"))
            }
            _ => error_errno(c, EINVAL),
        }
    })
}

/// The descriptor's number as erl gives it: the bytes of a C `int`.
fn get_handle_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_handle(c, a[0], |c, f| {
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd();
        Value(binary_word(c, &fd.to_ne_bytes()))
    })
}

fn read_handle_info_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_handle(c, a[0], |c, f| match f.metadata() {
        Ok(m) => {
            let m = platform::stat(&m);
            file_info(c, &m, handle_access(&m))
        }
        Err(e) => error(c, &e),
    })
}

/// DETS's indirect read: a 32-bit size and a 32-bit offset at `Offset`,
/// then that many bytes (at most `MaxSize`) at that offset:
/// `{ok, {Size, Pointer, Data | eof}}`, or `eof` when the pointer cannot
/// be read whole or the size is too large.
fn ipread_s32bu_p32bu_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (off, max) = (a[1], a[2]);
    with_handle(c, a[0], |c, f| {
        let (Ok(off), Ok(max)) = (int64(c, off), int64(c, max)) else {
            return badarg();
        };
        let (Some(off), Some(max)) = (off, max) else {
            return error_errno(c, EINVAL);
        };
        if off < 0 || max >= 1 << 31 {
            return error_errno(c, EINVAL);
        }
        let ptr = match read_up_to(8, |buf, got| platform::read_at(f, buf, off as u64 + got)) {
            Ok(p) => p,
            Err(e) => return error(c, &e),
        };
        if ptr.len() < 8 {
            return Value(atom(c, "eof"));
        }
        let size = u32::from_be_bytes([ptr[0], ptr[1], ptr[2], ptr[3]]);
        let at = u32::from_be_bytes([ptr[4], ptr[5], ptr[6], ptr[7]]);
        if i64::from(size) > max {
            return Value(atom(c, "eof"));
        }
        let data = match read_up_to(u64::from(size), |buf, got| {
            platform::read_at(f, buf, u64::from(at) + got)
        }) {
            Ok(d) => d,
            Err(e) => return error(c, &e),
        };
        let payload = if data.is_empty() {
            atom(c, "eof")
        } else {
            binary_word(c, &data)
        };
        let size_w = Word::small(i64::from(size)).expect("a 32-bit size");
        let at_w = Word::small(i64::from(at)).expect("a 32-bit offset");
        let t = c.heap.tuple(0, &[size_w, at_w, payload]);
        ok(c, t)
    })
}

// ---------------------------------------------------- file system changes

fn make_hard_link_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(from), Some(to)) = (path_arg(c, a[0]), path_arg(c, a[1])) else {
        return error_errno(c, EINVAL);
    };
    let r = std::fs::hard_link(from, to);
    done(c, r)
}

fn make_soft_link_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(from), Some(to)) = (path_arg(c, a[0]), path_arg(c, a[1])) else {
        return error_errno(c, EINVAL);
    };
    let r = platform::symlink(&from, &to);
    done(c, r)
}

/// `rename(2)`, with erl's corrections: a target directory that is not
/// empty is `eexist`, and renaming `/` is `einval`.
fn rename_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(from), Some(to)) = (path_arg(c, a[0]), path_arg(c, a[1])) else {
        return error_errno(c, EINVAL);
    };
    match std::fs::rename(&from, to) {
        Ok(()) => Value(atom(c, "ok")),
        Err(e) if platform::errno(&e) == Some(ENOTEMPTY) => error_errno(c, EEXIST),
        Err(_) if from.as_os_str() == "/" => error_errno(c, EINVAL),
        Err(e) => error(c, &e),
    }
}

/// `chmod(2)` of the bits a mode may change (set-id and permissions);
/// when the set-id bits are refused, the permissions alone.
fn set_permissions_nif_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(mode) = int64(c, a[1])
        .ok()
        .flatten()
        .and_then(|m| u32::try_from(m).ok())
    else {
        return badarg();
    };
    with_path(c, a[0], |c, path| {
        let mode = mode & 0o6777;
        let set = |m: u32| platform::set_mode(&path, m);
        let r = set(mode).or_else(|_| set(mode & 0o777));
        done(c, r)
    })
}

/// `chown(2)`; -1 leaves the id as it is.
fn set_owner_nif_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(uid), Some(gid)) = (int32(c, a[1]), int32(c, a[2])) else {
        return badarg();
    };
    with_path(c, a[0], |c, path| {
        let id = |v: i32| (v != -1).then_some(v as u32);
        let r = platform::chown(&path, id(uid), id(gid));
        done(c, r)
    })
}

/// Sets the access and modification times (POSIX seconds; the change time
/// is the system's), as erl's `utime(2)` does. std sets times on an open
/// file, so the file is opened for that (without blocking, for a FIFO).
fn set_time_nif_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let times: Option<Vec<i64>> = a[1..4]
        .iter()
        .map(|w| int64(c, *w).ok().flatten())
        .collect();
    let Some(times) = times else {
        return badarg();
    };
    with_path(c, a[0], |c, path| {
        let at = |s: i64| {
            if s >= 0 {
                SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s as u64))
            } else {
                SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(s.unsigned_abs()))
            }
        };
        let (Some(atime), Some(mtime)) = (at(times[0]), at(times[1])) else {
            return error_errno(c, EINVAL);
        };
        let f = platform::nonblocking(OpenOptions::new().read(true))
            .open(&path)
            .or_else(|_| platform::nonblocking(OpenOptions::new().write(true)).open(&path));
        let r = f.and_then(|f| {
            f.set_times(
                std::fs::FileTimes::new()
                    .set_accessed(atime)
                    .set_modified(mtime),
            )
        });
        done(c, r)
    })
}

fn read_link_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_path(c, a[0], |c, path| match std::fs::read_link(&path) {
        Ok(p) => {
            let w = binary_word(c, p.as_os_str().as_bytes());
            ok(c, w)
        }
        Err(e) => error(c, &e),
    })
}

fn make_dir_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_path(c, a[0], |c, path| {
        let r = std::fs::create_dir(path);
        done(c, r)
    })
}

/// `unlink(2)`; Linux's `eisdir` for a directory is erl's `eperm`.
fn del_file_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_path(c, a[0], |c, path| match std::fs::remove_file(path) {
        Ok(()) => Value(atom(c, "ok")),
        Err(e) if platform::errno(&e) == Some(EISDIR) => error_errno(c, EPERM),
        Err(e) => error(c, &e),
    })
}

/// `rmdir(2)`; a directory that is not empty is `eexist`, and the current
/// directory `einval`, as erl says.
fn del_dir_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_path(c, a[0], |c, path| match std::fs::remove_dir(&path) {
        Ok(()) => Value(atom(c, "ok")),
        Err(e) => {
            let mut n = platform::errno(&e).unwrap_or(EINVAL);
            if n == ENOTEMPTY {
                n = EEXIST;
            }
            if n == EEXIST
                && let (Ok(p), Ok(cwd)) = (std::fs::metadata(&path), std::fs::metadata("."))
                && platform::same_file(&p, &cwd)
            {
                n = EINVAL;
            }
            error_errno(c, n)
        }
    })
}

/// Drive letters are Windows's: `enotsup`, as erl on Unix says.
fn get_device_cwd_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if int32(c, a[0]).is_none() {
        return badarg();
    }
    error_errno(c, ENOTSUP)
}

fn set_cwd_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_path(c, a[0], |c, path| {
        let r = std::env::set_current_dir(path);
        done(c, r)
    })
}

/// Short names are Windows's: `enotsup`.
fn altname_nif_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    with_path(c, a[0], |c, _| error_errno(c, ENOTSUP))
}
