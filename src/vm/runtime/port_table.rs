//! The port table's data, apart from the VM (`runtime::ports` has the
//! operations): ports, their options and framing, and the threads that
//! read from and write to descriptors and children. See `docs/vm.md`,
//! "Ports".

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};

use crate::vm::exec::proc::PORT_LINK;
use crate::vm::platform;
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::list_items;
use crate::vm::term::memory::Account;
use crate::vm::term::word::Word;

/// The number of the first port a program opens: erl's boot has used
/// 0 to 4 (the forker, standard error and standard input), so a
/// program's first port prints as `#Port<0.5>` there too.
pub(crate) const FIRST_PORT: u64 = 5;

/// How much a reader takes from a descriptor at once.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// How many bytes of input may wait, read but not delivered, before the
/// readers pause.
const QUEUED_MAX: usize = 1 << 20;

/// How many messages a port's owner may have waiting before its port's
/// input waits instead (flow control, as erl's busy message queue).
pub(crate) const MAILBOX_MAX: usize = 4096;

/// What a reader thread saw, for the scheduler to turn into messages.
#[derive(Debug)]
pub(crate) enum Event {
    Data(Vec<u8>),
    /// The child ended with this status (after all its output).
    Exit(i32),
    Eof,
}

/// Where reader threads leave their events, and how they wake a sleeping
/// scheduler.
#[derive(Default)]
pub(crate) struct Inbox {
    events: Mutex<Vec<(u64, Event)>>,
    /// Set when `events` has something: the scheduler looks at no lock
    /// until then.
    pending: AtomicBool,
    /// Reader threads that may still deliver: while there are any, the VM
    /// is not idle for good.
    live: AtomicUsize,
    /// Bytes read but not yet delivered as messages: a reader waits while
    /// there are more than [`QUEUED_MAX`], so input faster than its
    /// consumer is not all read into the heap of a process.
    queued: AtomicUsize,
    /// The sleeping schedulers' condition variable, while a run goes on.
    waker: Mutex<Option<Arc<Condvar>>>,
}

impl Inbox {
    pub(crate) fn push(&self, port: u64, e: Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((port, e));
        self.pending.store(true, Ordering::Release);
        if let Some(w) = &*self.waker.lock().unwrap_or_else(|e| e.into_inner()) {
            w.notify_all();
        }
    }

    /// Puts back events that could not be delivered yet, before any that
    /// came since.
    pub(crate) fn put_back(&self, mut back: Vec<(u64, Event)>) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        back.append(&mut events);
        *events = back;
        self.pending.store(true, Ordering::Release);
    }

    /// Notes that `n` bytes of input went out as messages.
    pub(crate) fn delivered(&self, n: usize) {
        self.queued.fetch_sub(n, Ordering::AcqRel);
    }

    pub(crate) fn take(&self) -> Vec<(u64, Event)> {
        if !self.pending.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// How a port frames its input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Framing {
    Stream,
    /// Lines of at most this many bytes (`{line, N}`).
    Line(usize),
    /// Messages with a big-endian length header of 1, 2 or 4 bytes.
    Packet(usize),
}

/// The options of `open_port/2` that shape the port's traffic.
#[derive(Debug, Clone)]
pub(crate) struct Opts {
    pub(crate) binary: bool,
    pub(crate) eof: bool,
    pub(crate) exit_status: bool,
    pub(crate) framing: Framing,
    pub(crate) input: bool,
    pub(crate) output: bool,
    pub(crate) stderr_to_stdout: bool,
    pub(crate) args: Option<Vec<String>>,
    arg0: Option<String>,
    pub(crate) env: Vec<(String, Option<String>)>,
    pub(crate) cd: Option<String>,
}

/// Where output goes.
pub(crate) enum Sink {
    /// Standard output, through the VM's output buffer.
    Stdout,
    Stderr,
    File(std::fs::File),
    /// A child's standard input, through its writer thread.
    Child(mpsc::Sender<Vec<u8>>),
    None,
}

/// One open port.
pub(crate) struct Port {
    pub(crate) name: String,
    /// The connected process.
    pub(crate) owner: u64,
    /// Linked processes.
    pub(crate) links: Vec<u64>,
    /// Monitors: (reference number, monitoring process).
    pub(crate) monitors: Vec<(u64, u64)>,
    pub(crate) opts: Opts,
    pub(crate) sink: Sink,
    pub(crate) os_pid: Option<u32>,
    /// Input bytes not yet framed (a partial line or packet).
    pub(crate) pending: Vec<u8>,
    /// `pending`'s room, counted in the VM's memory budget: a packet
    /// header may announce 4 GB, and its bytes wait here until they came.
    pub(crate) pending_held: Account,
    /// Bytes read and written, for `port_info/2`.
    pub(crate) input: u64,
    pub(crate) output: u64,
    /// `port_set_data/2`: an immediate, or a term in an area of its own.
    pub(crate) data: (Area, Word),
    /// A driver port's state (`{spawn_driver, "udp_inet"}`).
    pub(crate) inet: Option<crate::vm::runtime::inet_drv::Inet>,
    /// The thread reading the port's input, if any (held for its drop).
    pub(crate) _reading: Option<Reading>,
}

/// The port table.
pub(crate) struct Ports {
    pub(crate) table: BTreeMap<u64, Port>,
    pub(crate) next: u64,
    pub(crate) inbox: Arc<Inbox>,
}

impl Default for Ports {
    fn default() -> Ports {
        Ports {
            table: BTreeMap::new(),
            next: FIRST_PORT,
            inbox: Arc::default(),
        }
    }
}

impl Ports {
    /// Whether a reader may still deliver input (so the VM is not idle
    /// for good while it waits).
    pub(crate) fn live_readers(&self) -> bool {
        self.inbox.live.load(Ordering::Acquire) > 0
    }

    /// Lets reader threads wake the schedulers sleeping on `c`.
    pub(crate) fn set_waker(&self, c: Option<Arc<Condvar>>) {
        *self.inbox.waker.lock().unwrap_or_else(|e| e.into_inner()) = c;
    }

    /// Whether events wait to be taken.
    pub(crate) fn has_events(&self) -> bool {
        self.inbox.pending.load(Ordering::Acquire)
    }
}

/// The word of a link or monitor target: a port when [`PORT_LINK`] is set.
pub(crate) fn port_of_link(id: u64) -> Option<u64> {
    (id & PORT_LINK != 0).then_some(id & !PORT_LINK)
}

/// An option error as `erts_internal:open_port/2` reports it.
pub(crate) enum OpenError {
    /// An option is bad: `badarg` with cause `badopt`.
    Badopt,
    /// The program could not start: a POSIX error atom.
    Posix(&'static str),
}

pub(crate) fn text(v: &View, w: Word, atoms: &Atoms) -> Option<String> {
    if let Some(a) = w.as_atom() {
        return Some(atoms.name(a).to_string());
    }
    if let Some((b, 8)) = v.bits(w) {
        return String::from_utf8(b.to_vec()).ok();
    }
    crate::vm::term::list::string_of(v, w)
}

pub(crate) fn parse_opts(atoms: &Atoms, v: &View, w: Word) -> Result<Opts, OpenError> {
    let mut o = Opts {
        binary: false,
        eof: false,
        exit_status: false,
        framing: Framing::Stream,
        input: true,
        output: true,
        stderr_to_stdout: false,
        args: None,
        arg0: None,
        env: Vec::new(),
        cd: None,
    };
    let items = list_items(v, w).ok_or(OpenError::Badopt)?;
    let (mut only_in, mut only_out) = (false, false);
    for it in items {
        if let Some(a) = it.as_atom() {
            match &*atoms.name(a) {
                "binary" => o.binary = true,
                "eof" => o.eof = true,
                "exit_status" => o.exit_status = true,
                "stream" => o.framing = Framing::Stream,
                "in" => only_in = true,
                "out" => only_out = true,
                "stderr_to_stdout" => o.stderr_to_stdout = true,
                "use_stdio" | "hide" | "overlapped_io" | "nouse_stdio" => {}
                _ => return Err(OpenError::Badopt),
            }
            continue;
        }
        let Some([k, x]) = v.tuple(it) else {
            return Err(OpenError::Badopt);
        };
        let (k, x) = (Word(*k), Word(*x));
        let key = k.as_atom().map(|a| atoms.name(a).to_string());
        match key.as_deref() {
            Some("line") => match x.as_small() {
                Some(n) if n > 0 => o.framing = Framing::Line(n as usize),
                _ => return Err(OpenError::Badopt),
            },
            Some("packet") => match x.as_small() {
                Some(n @ (1 | 2 | 4)) => o.framing = Framing::Packet(n as usize),
                _ => return Err(OpenError::Badopt),
            },
            Some("args") => {
                let l = list_items(v, x).ok_or(OpenError::Badopt)?;
                let args = l
                    .into_iter()
                    .map(|a| text(v, a, atoms))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(OpenError::Badopt)?;
                o.args = Some(args);
            }
            Some("arg0") => o.arg0 = Some(text(v, x, atoms).ok_or(OpenError::Badopt)?),
            Some("cd") => o.cd = Some(text(v, x, atoms).ok_or(OpenError::Badopt)?),
            Some("env") => {
                for e in list_items(v, x).ok_or(OpenError::Badopt)? {
                    let Some([n, val]) = v.tuple(e) else {
                        return Err(OpenError::Badopt);
                    };
                    let name = text(v, Word(*n), atoms).ok_or(OpenError::Badopt)?;
                    let val = if Word(*val) == Word::atom(atom::FALSE) {
                        None
                    } else {
                        Some(text(v, Word(*val), atoms).ok_or(OpenError::Badopt)?)
                    };
                    o.env.push((name, val));
                }
            }
            Some("parallelism" | "busy_limits_port" | "busy_limits_msgq") => {}
            _ => return Err(OpenError::Badopt),
        }
    }
    if only_in && !only_out {
        o.output = false;
    }
    if only_out && !only_in {
        o.input = false;
    }
    Ok(o)
}

/// A port's hold on its reader thread: while the port is open the reader
/// counts as live (the VM waits for its input); when the port is dropped
/// the reader stops at its next read, closing its end of the pipe so that
/// a child still writing gets `SIGPIPE`, as under erl, instead of being
/// read forever for a port no one has.
pub(crate) struct Reading {
    open: Arc<AtomicBool>,
    inbox: Arc<Inbox>,
}

impl Drop for Reading {
    fn drop(&mut self) {
        if self.open.swap(false, Ordering::AcqRel) {
            self.inbox.live.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Reads `r` to its end in a thread of its own, handing each chunk to the
/// inbox; then, for a child, waits for it and hands over its status. The
/// reading stops early when the port drops the handle returned.
pub(crate) fn spawn_reader(
    inbox: Arc<Inbox>,
    port: u64,
    mut r: Box<dyn Read + Send>,
    child: Option<std::process::Child>,
) -> Reading {
    inbox.live.fetch_add(1, Ordering::AcqRel);
    let open = Arc::new(AtomicBool::new(true));
    let handle = Reading {
        open: open.clone(),
        inbox: inbox.clone(),
    };
    platform::background("lam-port-reader", move || {
        let mut buf = vec![0u8; READ_CHUNK];
        while open.load(Ordering::Acquire) {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    inbox.queued.fetch_add(n, Ordering::AcqRel);
                    inbox.push(port, Event::Data(buf[..n].to_vec()));
                    // Without threads the reader runs to its end first:
                    // no one would take the input it waits on.
                    while platform::THREADS && inbox.queued.load(Ordering::Acquire) > QUEUED_MAX {
                        std::thread::sleep(std::time::Duration::from_micros(500));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        drop(r);
        let status = child.map(|mut c| match c.wait() {
            Ok(s) => platform::exit_status(s),
            Err(_) => 0,
        });
        // A port closed meanwhile wants neither, and no longer counts.
        if open.swap(false, Ordering::AcqRel) {
            if let Some(s) = status {
                inbox.push(port, Event::Exit(s));
            }
            inbox.push(port, Event::Eof);
            inbox.live.fetch_sub(1, Ordering::AcqRel);
        }
    });
    handle
}

/// Writes what the port is given to a child's standard input, in order,
/// until the port closes (and the child's input with it).
pub(crate) fn spawn_writer(mut w: impl Write + Send + 'static) -> mpsc::Sender<Vec<u8>> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    platform::background("lam-port-writer", move || {
        while let Ok(b) = rx.recv() {
            if w.write_all(&b).is_err() {
                break;
            }
        }
    });
    tx
}

pub(crate) fn posix_of(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "enoent",
        std::io::ErrorKind::PermissionDenied => "eacces",
        _ => match e.raw_os_error() {
            Some(8) => "enoexec",
            Some(20) => "enotdir",
            Some(24) => "emfile",
            _ => "einval",
        },
    }
}

/// Starts a child for `{spawn, Cmd}` (through `/bin/sh -c "exec Cmd"`, as
/// erl does) or `{spawn_executable, Path}`.
pub(crate) fn start_child(
    program: &str,
    shell: bool,
    o: &Opts,
) -> Result<platform::Started, OpenError> {
    let mut cmd = platform::command(program, shell, o.arg0.as_deref());
    if !shell && let Some(args) = &o.args {
        cmd.args(args);
    }
    for (k, v) in &o.env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    if let Some(d) = &o.cd {
        cmd.current_dir(d);
    }
    platform::spawn(cmd, o.stderr_to_stdout).map_err(|e| OpenError::Posix(posix_of(&e)))
}

/// One message's worth of input.
#[derive(Debug, PartialEq)]
pub(crate) enum Piece {
    Raw(Vec<u8>),
    /// A line (without its newline) and whether it was complete (`eol`).
    Line(Vec<u8>, bool),
}

/// Cuts input into the pieces the port's framing sends; at end of input
/// (`end`), a partial line goes as `noeol` and a partial packet is dropped.
/// `pending` keeps what is left in place: a packet of many megabytes
/// comes in many reads, and copying the part already there at each read
/// made its arrival quadratic.
pub(crate) fn frame(framing: Framing, pending: &mut Vec<u8>, b: Vec<u8>, end: bool) -> Vec<Piece> {
    let mut out = Vec::new();
    let start = match framing {
        Framing::Stream => {
            if !b.is_empty() {
                out.push(Piece::Raw(b));
            }
            return out;
        }
        Framing::Line(n) => {
            pending.extend(b);
            let mut start = 0;
            loop {
                let rest = &pending[start..];
                match rest.iter().position(|c| *c == b'\n') {
                    Some(i) if i <= n => {
                        out.push(Piece::Line(rest[..i].to_vec(), true));
                        start += i + 1;
                    }
                    _ if rest.len() > n => {
                        out.push(Piece::Line(rest[..n].to_vec(), false));
                        start += n;
                    }
                    _ => break,
                }
            }
            if end && start < pending.len() {
                out.push(Piece::Line(pending[start..].to_vec(), false));
            }
            start
        }
        Framing::Packet(h) => {
            pending.extend(b);
            let mut start = 0;
            while pending.len() - start >= h {
                let len = pending[start..start + h]
                    .iter()
                    .fold(0usize, |a, x| (a << 8) | usize::from(*x));
                if pending.len() - start - h < len {
                    break;
                }
                out.push(Piece::Raw(pending[start + h..start + h + len].to_vec()));
                start += h + len;
            }
            start
        }
    };
    if end {
        *pending = Vec::new();
    } else if start > 0 {
        pending.drain(..start);
        // The room a big packet took goes back once it is out.
        if pending.capacity() > 4 * pending.len().max(1 << 16) {
            pending.shrink_to_fit();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str, full: bool) -> Piece {
        Piece::Line(s.as_bytes().to_vec(), full)
    }

    #[test]
    fn lines_are_cut_at_newlines_and_at_the_limit() {
        let mut pending = Vec::new();
        let f = Framing::Line(4);
        let got = frame(f, &mut pending, b"abcdefghij\nxy".to_vec(), false);
        assert_eq!(
            got,
            [line("abcd", false), line("efgh", false), line("ij", true)]
        );
        assert_eq!(pending, b"xy");
        let got = frame(f, &mut pending, b"z\n\nabcd\nq".to_vec(), false);
        assert_eq!(got, [line("xyz", true), line("", true), line("abcd", true)]);
        assert_eq!(frame(f, &mut pending, Vec::new(), true), [line("q", false)]);
    }

    #[test]
    fn packets_wait_for_their_whole_length() {
        let mut pending = Vec::new();
        let f = Framing::Packet(2);
        assert_eq!(frame(f, &mut pending, vec![0, 3, b'a'], false), []);
        let got = frame(f, &mut pending, vec![b'b', b'c', 0, 0, 0], false);
        assert_eq!(got, [Piece::Raw(b"abc".to_vec()), Piece::Raw(vec![])]);
        assert_eq!(pending, [0]);
        // A partial packet at the end of input is dropped.
        assert_eq!(frame(f, &mut pending, Vec::new(), true), []);
    }
}
