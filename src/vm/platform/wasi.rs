//! The platform services on WASI (`wasm32-wasip1`): one thread, no child
//! processes, no signals, and files without owners, modes or devices.
//! What the VM asks of those answers as erl does on a system without
//! them: a program to start is not found (`enoent`), a signal is never
//! delivered.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::SystemTime;

pub(crate) use std::os::wasi::ffi::OsStrExt;

use super::Stat;

/// The Linux numbers of the errors this layer makes: the natives speak
/// Linux's numbering on every platform.
const ENOENT: i32 = 2;
const EACCES: i32 = 13;
const EINVAL: i32 = 22;
const ENOTSUP: i32 = 95;

/// WASI preview 1 has no threads: one scheduler runs everything, and what
/// a native build does on a thread of its own is done in line.
pub(crate) const THREADS: bool = false;

pub(crate) fn processors() -> usize {
    1
}

/// Runs `f` at once, to its end: there is no thread to run it beside the
/// caller (a port on standard input reads it all when it opens).
pub(crate) fn background(_name: &str, f: impl FnOnce() + Send + 'static) {
    f();
}

fn seconds(t: std::io::Result<SystemTime>) -> i64 {
    t.ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn stat(m: &Metadata) -> Stat {
    let ft = m.file_type();
    let (kind, mode) = if ft.is_dir() {
        ("directory", 0o040755)
    } else if ft.is_file() {
        ("regular", 0o100644)
    } else if ft.is_symlink() {
        ("symlink", 0o120777)
    } else {
        ("other", 0)
    };
    let mtime = seconds(m.modified());
    Stat {
        size: m.len(),
        kind,
        atime: seconds(m.accessed()),
        mtime,
        // WASI's change time is not in std's portable metadata.
        ctime: mtime,
        mode,
        nlink: 1,
        dev: 0,
        rdev: 0,
        ino: 0,
        uid: 0,
        gid: 0,
    }
}

/// WASI's portable metadata holds no inode: two paths are the same file
/// when they name it the same way.
pub(crate) fn same_file(_a: &Metadata, _b: &Metadata) -> bool {
    false
}

/// A positioned read, by seeking there and back (std's WASI `FileExt` is
/// not stable).
pub(crate) fn read_at(f: &mut File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    let here = f.stream_position()?;
    f.seek(SeekFrom::Start(off))?;
    let r = f.read(buf);
    f.seek(SeekFrom::Start(here))?;
    r
}

pub(crate) fn write_all_at(f: &mut File, buf: &[u8], off: u64) -> std::io::Result<()> {
    let here = f.stream_position()?;
    f.seek(SeekFrom::Start(off))?;
    let r = f.write_all(buf);
    f.seek(SeekFrom::Start(here))?;
    r
}

/// WASI's `fdflags` sync is not reachable from stable std; writes go to the
/// host, which decides when they reach the disk.
pub(crate) fn sync_writes(_o: &mut OpenOptions) {}

pub(crate) fn nonblocking(o: &mut OpenOptions) -> &mut OpenOptions {
    o
}

/// WASI files have a read-only flag rather than modes: a mode with no
/// write bit makes the file read-only.
pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    let mut p = std::fs::metadata(path)?.permissions();
    p.set_readonly(mode & 0o222 == 0);
    std::fs::set_permissions(path, p)
}

pub(crate) fn symlink(_from: &Path, _to: &Path) -> std::io::Result<()> {
    Err(os_error(ENOTSUP))
}

pub(crate) fn chown(_path: &Path, _uid: Option<u32>, _gid: Option<u32>) -> std::io::Result<()> {
    Err(os_error(ENOTSUP))
}

/// WASI's error numbers (its `errno` enumeration, 1 to 76) and Linux's for
/// the same error; `notcapable` (a path outside the preopened directories)
/// is Linux's `eacces`.
const ERRNO: [(i32, i32); 76] = [
    (1, 7),
    (2, 13),
    (3, 98),
    (4, 99),
    (5, 97),
    (6, 11),
    (7, 114),
    (8, 9),
    (9, 74),
    (10, 16),
    (11, 125),
    (12, 10),
    (13, 103),
    (14, 111),
    (15, 104),
    (16, 35),
    (17, 89),
    (18, 33),
    (19, 122),
    (20, 17),
    (21, 14),
    (22, 27),
    (23, 113),
    (24, 43),
    (25, 84),
    (26, 115),
    (27, 4),
    (28, 22),
    (29, 5),
    (30, 106),
    (31, 21),
    (32, 40),
    (33, 24),
    (34, 31),
    (35, 90),
    (36, 72),
    (37, 36),
    (38, 100),
    (39, 102),
    (40, 101),
    (41, 23),
    (42, 105),
    (43, 19),
    (44, 2),
    (45, 8),
    (46, 37),
    (47, 67),
    (48, 12),
    (49, 42),
    (50, 92),
    (51, 28),
    (52, 38),
    (53, 107),
    (54, 20),
    (55, 39),
    (56, 131),
    (57, 88),
    (58, 95),
    (59, 25),
    (60, 6),
    (61, 75),
    (62, 130),
    (63, 1),
    (64, 32),
    (65, 71),
    (66, 93),
    (67, 91),
    (68, 34),
    (69, 30),
    (70, 29),
    (71, 3),
    (72, 116),
    (73, 110),
    (74, 26),
    (75, 18),
    (76, EACCES),
];

pub(crate) fn errno(e: &std::io::Error) -> Option<i32> {
    let n = e.raw_os_error()?;
    Some(
        ERRNO
            .iter()
            .find(|&&(w, _)| w == n)
            .map_or(EINVAL, |&(_, l)| l),
    )
}

pub(crate) fn os_error(n: i32) -> std::io::Error {
    let w = ERRNO.iter().find(|&&(_, l)| l == n).map_or(28, |&(w, _)| w);
    std::io::Error::from_raw_os_error(w)
}

/// No users: everything belongs to root, who may do anything.
pub(crate) fn ids() -> (u32, u32, u32, u32, Vec<u32>) {
    (0, 0, 0, 0, Vec::new())
}

/// WASI has no process ids (std's `process::id` panics); the program is
/// the only process there is.
pub(crate) fn os_pid() -> u32 {
    1
}

/// WASI has no host name; OTP's kernel needs one to start (`inet_db`).
pub(crate) fn host_name() -> Option<Vec<u8>> {
    Some(b"localhost".to_vec())
}

// ------------------------------------------------------ child processes

pub(crate) fn command(program: &str, _shell: bool, _arg0: Option<&str>) -> std::process::Command {
    std::process::Command::new(program)
}

/// Never built: [`spawn`] fails first.
pub(crate) type Started = (std::process::Child, NoStdin, Box<dyn Read + Send>);

/// A child's input that cannot exist.
pub(crate) enum NoStdin {}

impl Write for NoStdin {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        match *self {}
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match *self {}
    }
}

/// There are no processes to start: the program is not found, as erl
/// says of an executable that is missing.
pub(crate) fn spawn(
    _cmd: std::process::Command,
    _stderr_to_stdout: bool,
) -> std::io::Result<Started> {
    Err(os_error(ENOENT))
}

pub(crate) fn exit_status(s: std::process::ExitStatus) -> i32 {
    s.code().unwrap_or(0)
}

// ------------------------------------------------------ signals

/// No signals reach a WASI program.
pub(crate) struct SignalWatch;

impl SignalWatch {
    pub(crate) fn start(_first: i32, _arrived: fn(i32)) -> Option<SignalWatch> {
        None
    }

    pub(crate) fn add(&self, _s: i32) -> bool {
        false
    }
}

pub(crate) fn default_action(_s: i32) {}
