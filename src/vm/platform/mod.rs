//! What the operating system provides, behind one interface, so that the
//! native build and the WebAssembly one (`wasm32-wasip1`) differ here and
//! nowhere else: threads, the processor count, file metadata and the file
//! operations WASI lacks or spells differently, OS error numbers, child
//! processes (ports and `os:cmd`) and signals. The clock (`Instant`,
//! `SystemTime`), sleeping, stdio, files and the environment are std's on
//! both, since WASI gives std all of them.
//!
//! The bottom layer of the VM (`docs/vm.md`): it imports nothing of it.

#[cfg(not(target_os = "wasi"))]
mod native;
#[cfg(not(target_os = "wasi"))]
pub(crate) use native::*;

#[cfg(target_os = "wasi")]
mod wasi;
#[cfg(target_os = "wasi")]
pub(crate) use wasi::*;

/// What `#file_info{}` reports of a file, whatever the platform knows of it
/// (WASI has no owners, modes or devices: they are made up as a file
/// system without them would answer).
pub(crate) struct Stat {
    pub size: u64,
    /// `device`, `directory`, `regular`, `symlink` or `other`.
    pub kind: &'static str,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    pub mode: u32,
    pub nlink: u64,
    pub dev: u64,
    pub rdev: u64,
    pub ino: u64,
    pub uid: u32,
    pub gid: u32,
}

/// The signal numbers `os:set_signal/2` knows (Linux's, which WASI, having
/// no signals, only uses as names).
pub(crate) mod signal {
    pub const SIGHUP: i32 = 1;
    pub const SIGQUIT: i32 = 3;
    pub const SIGABRT: i32 = 6;
    pub const SIGUSR1: i32 = 10;
    pub const SIGUSR2: i32 = 12;
    pub const SIGALRM: i32 = 14;
    pub const SIGTERM: i32 = 15;
    pub const SIGCHLD: i32 = 17;
    pub const SIGSTOP: i32 = 19;
    pub const SIGTSTP: i32 = 20;
}
