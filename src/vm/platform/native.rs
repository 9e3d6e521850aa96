//! The platform services on Linux (and other Unix systems): std's Unix
//! extensions, threads, child processes and `signal-hook`.

use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io::Read;
use std::os::unix::fs::{FileExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub(crate) use std::os::unix::ffi::OsStrExt;

use super::Stat;

/// Whether the platform runs threads: the VM's schedulers, the ports'
/// reader threads and the signal watcher need them.
pub(crate) const THREADS: bool = true;

/// How many schedulers a run starts with: one per processor, as erl does.
pub(crate) fn processors() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `f` beside the caller, on a thread of its own.
pub(crate) fn background(name: &str, f: impl FnOnce() + Send + 'static) {
    let _ = std::thread::Builder::new().name(name.into()).spawn(f);
}

pub(crate) fn stat(m: &Metadata) -> Stat {
    let ft = m.file_type();
    let kind = if ft.is_block_device() || ft.is_char_device() {
        "device"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "regular"
    } else if ft.is_symlink() {
        "symlink"
    } else {
        "other"
    };
    Stat {
        size: m.size(),
        kind,
        atime: m.atime(),
        mtime: m.mtime(),
        ctime: m.ctime(),
        mode: m.mode(),
        nlink: m.nlink(),
        dev: m.dev(),
        rdev: m.rdev(),
        ino: m.ino(),
        uid: m.uid(),
        gid: m.gid(),
    }
}

/// Whether two metadata are of the same file.
pub(crate) fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.ino() == b.ino() && a.dev() == b.dev()
}

pub(crate) fn read_at(f: &mut File, buf: &mut [u8], off: u64) -> std::io::Result<usize> {
    FileExt::read_at(f, buf, off)
}

pub(crate) fn write_all_at(f: &mut File, buf: &[u8], off: u64) -> std::io::Result<()> {
    FileExt::write_all_at(f, buf, off)
}

/// Opens with `O_SYNC`: every write reaches the disk before it returns.
pub(crate) fn sync_writes(o: &mut OpenOptions) {
    const O_SYNC: i32 = 0o4010000;
    o.custom_flags(O_SYNC);
}

/// Opens without blocking (a FIFO with no writer, say).
pub(crate) fn nonblocking(o: &mut OpenOptions) -> &mut OpenOptions {
    const O_NONBLOCK: i32 = 0o4000;
    o.custom_flags(O_NONBLOCK)
}

pub(crate) fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    std::fs::set_permissions(path, Permissions::from_mode(mode))
}

pub(crate) fn symlink(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(from, to)
}

pub(crate) fn chown(path: &Path, uid: Option<u32>, gid: Option<u32>) -> std::io::Result<()> {
    std::os::unix::fs::chown(path, uid, gid)
}

/// An I/O error's OS number, in Linux's numbering.
pub(crate) fn errno(e: &std::io::Error) -> Option<i32> {
    e.raw_os_error()
}

/// The I/O error of OS number `n` (Linux's numbering).
pub(crate) fn os_error(n: i32) -> std::io::Error {
    std::io::Error::from_raw_os_error(n)
}

/// The process's user and group ids from `/proc/self/status` (std has no
/// `getuid`): real and effective uid and gid, and the supplementary groups.
pub(crate) fn ids() -> (u32, u32, u32, u32, Vec<u32>) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> Vec<u32> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|rest| {
                rest.split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (uid, gid) = (field("Uid:"), field("Gid:"));
    (
        uid.first().copied().unwrap_or(0),
        uid.get(1).copied().unwrap_or(0),
        gid.first().copied().unwrap_or(0),
        gid.get(1).copied().unwrap_or(0),
        field("Groups:"),
    )
}

/// The OS process's id (`os:getpid/0`).
pub(crate) fn os_pid() -> u32 {
    std::process::id()
}

/// The machine's host name, as `gethostname(2)` gives it.
pub(crate) fn host_name() -> Option<Vec<u8>> {
    let name = std::fs::read("/proc/sys/kernel/hostname").ok()?;
    let name = name.strip_suffix(b"\n").unwrap_or(&name);
    (!name.is_empty()).then(|| name.to_vec())
}

// ------------------------------------------------------ child processes

/// A child's program: `program` itself, or with `shell` the command line
/// `program` run by `/bin/sh -c "exec ..."` as erl runs `{spawn, Cmd}`.
pub(crate) fn command(program: &str, shell: bool, arg0: Option<&str>) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    if shell {
        let mut c = std::process::Command::new("/bin/sh");
        c.arg0("sh").arg("-c").arg(format!("exec {program}"));
        c
    } else {
        let mut c = std::process::Command::new(program);
        if let Some(a0) = arg0 {
            c.arg0(a0);
        }
        c
    }
}

/// Starts the child: its process and standard input, and one reader over
/// its output (and its error output too with `stderr_to_stdout`).
pub(crate) type Started = (
    std::process::Child,
    std::process::ChildStdin,
    Box<dyn Read + Send>,
);

pub(crate) fn spawn(
    mut cmd: std::process::Command,
    stderr_to_stdout: bool,
) -> std::io::Result<Started> {
    use std::process::Stdio;
    cmd.stdin(Stdio::piped());
    let pipe = if stderr_to_stdout {
        let (r, w) = std::io::pipe()?;
        let w2 = w.try_clone()?;
        cmd.stdout(w).stderr(w2);
        Some(r)
    } else {
        cmd.stdout(Stdio::piped());
        None
    };
    let mut child = cmd.spawn()?;
    // The command keeps the pipe's writing ends: dropped, the reader sees
    // the end of the output when the child exits.
    drop(cmd);
    let stdin = child.stdin.take().expect("piped");
    let out: Box<dyn Read + Send> = match pipe {
        Some(r) => Box::new(r),
        None => Box::new(child.stdout.take().expect("piped")),
    };
    Ok((child, stdin, out))
}

/// A child's exit status as erl reports it: its code, or 128 plus the
/// signal that ended it.
pub(crate) fn exit_status(s: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
}

// ------------------------------------------------------ signals

/// Watches for signals on a thread of its own, calling `arrived` with each.
pub(crate) struct SignalWatch(signal_hook::iterator::Handle);

impl SignalWatch {
    pub(crate) fn start(first: i32, arrived: fn(i32)) -> Option<SignalWatch> {
        let mut signals = signal_hook::iterator::Signals::new([first]).ok()?;
        let handle = signals.handle();
        std::thread::Builder::new()
            .name("lam-signals".into())
            .spawn(move || {
                for s in signals.forever() {
                    arrived(s);
                }
            })
            .ok()?;
        Some(SignalWatch(handle))
    }

    /// Watches signal `s` too; false when the OS refuses (or lets no one
    /// catch it).
    pub(crate) fn add(&self, s: i32) -> bool {
        !signal_hook::consts::FORBIDDEN.contains(&s) && self.0.add_signal(s).is_ok()
    }
}

/// Does what the OS does on signal `s` with no handler.
pub(crate) fn default_action(s: i32) {
    let _ = signal_hook::low_level::emulate_default_handler(s);
}
