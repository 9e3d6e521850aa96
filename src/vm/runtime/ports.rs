//! Ports: `open_port/2` and the rest of the port BIFs, over file
//! descriptors (`{fd, In, Out}`) and child processes (`{spawn, Cmd}`,
//! `{spawn_executable, Path}`).
//!
//! A port is an entry of the VM's port table, connected to (owned by) one
//! process and linked like a process. Its input comes from a reader thread
//! per port (a blocking `read` on the descriptor or the child's standard
//! output) that puts raw events in the table's [`Inbox`]; the scheduler
//! takes them between slices, as it fires timers, and turns them into
//! messages (`{Port, {data, D}}`, `{Port, eof}`, `{Port, {exit_status,
//! N}}`) framed by the port's options (`stream`, `{line, N}`, `{packet,
//! N}`). Output to descriptor 1 goes through the VM's output buffer, so it
//! stays in order with what the group leader prints; output to a child
//! goes through a writer thread, so a child that does not read never
//! blocks the VM.
//!
//! Links and monitors name a port by its number with [`PORT_LINK`] set,
//! in the same lists as processes (`exec::proc::Links`).

use std::io::{Read, Write};

use crate::vm::exec::proc::{PORT_LINK, Proc};
use crate::vm::native::{NativeResult, badarg};
use crate::vm::natives::bits::iodata_bytes_within;
use crate::vm::runtime::inet_drv;
use crate::vm::runtime::port_table::{
    Event, Framing, MAILBOX_MAX, OpenError, Piece, Port, Sink, frame, parse_opts, port_of_link,
    spawn_reader, spawn_writer, start_child, text,
};
use crate::vm::runtime::vm::{AliasMode, Deferred, Vm, is, ref_id};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::memory::{Account, refused};
use crate::vm::term::word::Word;

impl Vm {
    /// `erts_internal:open_port/2`: a port, or the atom `erlang:open_port/2`
    /// raises (`badarg`, `badopt`, a POSIX error).
    pub(crate) fn open_port(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        let v = View {
            heap: &p.heap,
            literals: &self.literals,
        };
        let fail = |vm: &Vm, what: &str| NativeResult::Value(Word::atom(vm.atoms.intern(what)));
        let opts = match parse_opts(&self.atoms, &v, a[1]) {
            Ok(o) => o,
            Err(_) => return fail(self, "badopt"),
        };
        enum Kind {
            Fd(i64, i64),
            Spawn(String, bool),
            Driver(String),
        }
        let kind = match v.tuple(a[0]) {
            Some([k, x]) => {
                let key = Word(*k).as_atom().map(|k| self.atoms.name(k).to_string());
                match key.as_deref() {
                    Some("spawn") => text(&v, Word(*x), &self.atoms).map(|c| Kind::Spawn(c, true)),
                    Some("spawn_executable") => {
                        text(&v, Word(*x), &self.atoms).map(|c| Kind::Spawn(c, false))
                    }
                    Some("spawn_driver") => text(&v, Word(*x), &self.atoms)
                        .filter(|d| inet_drv::is_driver(d))
                        .map(Kind::Driver),
                    _ => None,
                }
            }
            Some([k, i, o]) if Word(*k) == Word::atom(self.atoms.intern("fd")) => {
                match (Word(*i).as_small(), Word(*o).as_small()) {
                    (Some(i), Some(o))
                        if (0..1 << 31).contains(&i) && (0..1 << 31).contains(&o) =>
                    {
                        Some(Kind::Fd(i, o))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(kind) = kind else {
            return fail(self, "badarg");
        };
        let id = self.ports.next;
        let mut reading = None;
        let (name, sink, os_pid) = match &kind {
            Kind::Driver(d) => (d.clone(), Sink::None, None),
            Kind::Fd(i, o) => {
                let sink = if !opts.output {
                    Sink::None
                } else {
                    match o {
                        1 => Sink::Stdout,
                        2 => Sink::Stderr,
                        n => match std::fs::OpenOptions::new()
                            .write(true)
                            .open(format!("/dev/fd/{n}"))
                        {
                            Ok(f) => Sink::File(f),
                            Err(_) => return fail(self, "badarg"),
                        },
                    }
                };
                // Descriptors 1 and 2 are the VM's outputs: reopening one
                // through /dev/fd could read what is written to it (a pipe's
                // other end), so a port on them reads nothing.
                if opts.input && !matches!(i, 1 | 2) {
                    let r: Box<dyn Read + Send> = if *i == 0 {
                        Box::new(std::io::stdin())
                    } else {
                        match std::fs::File::open(format!("/dev/fd/{i}")) {
                            Ok(f) => Box::new(f),
                            Err(_) => return fail(self, "badarg"),
                        }
                    };
                    reading = Some(spawn_reader(self.ports.inbox.clone(), id, r, None));
                }
                (format!("{i}/{o}"), sink, None)
            }
            Kind::Spawn(prog, shell) => {
                if prog.is_empty() {
                    return fail(self, "badarg");
                }
                match start_child(prog, *shell, &opts) {
                    Ok((child, stdin, out)) => {
                        let os_pid = child.id();
                        let sink = Sink::Child(spawn_writer(stdin));
                        let r = spawn_reader(self.ports.inbox.clone(), id, out, Some(child));
                        reading = Some(r);
                        (prog.clone(), sink, Some(os_pid))
                    }
                    Err(OpenError::Posix(e)) => {
                        // erl spends a port number on a program that fails to start.
                        self.ports.next += 1;
                        return fail(self, e);
                    }
                    Err(OpenError::Badopt) => return fail(self, "badopt"),
                }
            }
        };
        self.ports.next += 1;
        self.ports.table.insert(
            id,
            Port {
                name,
                owner: p.pid,
                links: vec![p.pid],
                monitors: Vec::new(),
                opts,
                sink,
                os_pid,
                pending: Vec::new(),
                pending_held: Account::default(),
                input: 0,
                output: 0,
                data: (Area::default(), Word::atom(atom::UNDEFINED)),
                inet: matches!(kind, Kind::Driver(_)).then(inet_drv::Inet::default),
                _reading: reading,
            },
        );
        p.sig.links.push(PORT_LINK | id);
        NativeResult::Value(Word::port(id))
    }

    /// The port a word names, if it is open. (`register/2` takes only
    /// processes on LAM: no port has a name.)
    fn open_port_of(&self, w: Word) -> Option<u64> {
        let id = w.as_port()?;
        self.ports.table.contains_key(&id).then_some(id)
    }

    /// Writes `bytes` to port `id` (framed as its options say).
    fn port_write(&mut self, id: u64, bytes: Vec<u8>) {
        let Some(port) = self.ports.table.get_mut(&id) else {
            return;
        };
        let bytes = match port.opts.framing {
            Framing::Packet(n) => {
                let len = (bytes.len() as u64).to_be_bytes();
                let mut b = len[8 - n..].to_vec();
                b.extend(bytes);
                b
            }
            _ => bytes,
        };
        port.output += bytes.len() as u64;
        match &mut port.sink {
            Sink::Stdout => self.write_bytes(&bytes),
            Sink::Stderr => {
                let mut e = std::io::stderr().lock();
                let _ = e.write_all(&bytes);
                let _ = e.flush();
            }
            Sink::File(f) => {
                let _ = f.write_all(&bytes);
            }
            Sink::Child(tx) => {
                let _ = tx.send(bytes);
            }
            Sink::None => {}
        }
    }

    /// `erts_internal:port_command/3`: `true`, `false` (busy, with
    /// `nosuspend`: never), or the atom `erlang:port_command` raises.
    pub(crate) fn port_command(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        let v = View {
            heap: &p.heap,
            literals: &self.literals,
        };
        let Some(opts) = list_items(&v, a[2]) else {
            return NativeResult::Value(Word::atom(self.atoms.intern("badopt")));
        };
        for o in opts {
            let ok = o
                .as_atom()
                .is_some_and(|x| matches!(&*self.atoms.name(x), "force" | "nosuspend"));
            if !ok {
                return NativeResult::Value(Word::atom(self.atoms.intern("badopt")));
            }
        }
        // The iodata is flattened into one buffer of a size the program
        // chose: the caller pays for it, as for `iolist_to_binary/1`.
        let bytes = match iodata_bytes_within(&v, a[1], &self.memory) {
            Ok(Some(b)) => b,
            Ok(None) => return NativeResult::Value(Word::atom(atom::BADARG)),
            Err(b) => {
                return NativeResult::Error(refused(&self.memory, p.pid, "a port command", b));
            }
        };
        let Some(id) = self.open_port_of(a[0]) else {
            return NativeResult::Value(Word::atom(atom::BADARG));
        };
        if matches!(self.ports.table[&id].sink, Sink::None) {
            return NativeResult::Value(Word::atom(atom::BADARG));
        }
        self.port_write(id, bytes);
        NativeResult::Value(Word::atom(atom::TRUE))
    }

    /// `erts_internal:port_close/1`.
    pub(crate) fn port_close(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        let Some(id) = self.open_port_of(a[0]) else {
            return NativeResult::Value(Word::atom(atom::BADARG));
        };
        self.close_port(&mut Some(p), id, None);
        NativeResult::Value(Word::atom(atom::TRUE))
    }

    /// `erts_internal:port_connect/2`: the new owner is linked too.
    pub(crate) fn port_connect(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        let (Some(id), Some(to)) = (self.open_port_of(a[0]), a[1].as_pid()) else {
            return NativeResult::Value(Word::atom(atom::BADARG));
        };
        if self.busy(to, p) {
            return NativeResult::Retry;
        }
        if !(to == p.pid || self.procs.contains_key(&to)) {
            return NativeResult::Value(Word::atom(atom::BADARG));
        }
        self.connect(&mut Some(p), id, to, true);
        NativeResult::Value(Word::atom(atom::TRUE))
    }

    /// Makes `to` the port's owner; `port_connect/2` links it too, a
    /// `{connect, Pid}` message does not.
    fn connect(&mut self, running: &mut Option<&mut Proc>, id: u64, to: u64, link: bool) {
        let Some(port) = self.ports.table.get_mut(&id) else {
            return;
        };
        port.owner = to;
        if link && !port.links.contains(&to) {
            port.links.push(to);
            self.with_proc(running, to, |t| t.sig.links.push(PORT_LINK | id));
        }
    }

    /// `erlang:ports/0`.
    pub(crate) fn ports_list(&mut self, p: &mut Proc) -> NativeResult {
        let ids: Vec<Word> = self.ports.table.keys().map(|i| Word::port(*i)).collect();
        NativeResult::Value(list_of(&mut p.heap, &ids))
    }

    /// `erts_internal:port_info/1,2`: a list of items, one item, `undefined`
    /// for a closed port, or `badarg`/`badtype` for erlang.erl to raise.
    pub(crate) fn port_info(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        // Every item `port_info/2` takes; `port_info/1` gives the first seven.
        const KNOWN: [&str; 14] = [
            "name",
            "links",
            "id",
            "connected",
            "input",
            "output",
            "os_pid",
            "registered_name",
            "monitors",
            "monitored_by",
            "memory",
            "queue_size",
            "locking",
            "parallelism",
        ];
        const ALL: &[&str] = KNOWN.split_at(7).0;
        let port_word = a[0];
        // erl's checks, in its order: a name (no port has one on LAM) is
        // `undefined`; then anything but a port is `badarg` alone and
        // `badtype` with an item; then an unknown item is `badarg`.
        if port_word.as_atom().is_some() {
            return NativeResult::Value(Word::atom(atom::UNDEFINED));
        }
        if port_word.as_port().is_none() {
            let e = if a.len() == 1 { "badarg" } else { "badtype" };
            return NativeResult::Value(Word::atom(self.atoms.intern(e)));
        }
        let item = match a.get(1) {
            None => None,
            Some(w) => match w.as_atom().map(|x| self.atoms.name(x).to_string()) {
                Some(s) => Some(s),
                None => return NativeResult::Value(Word::atom(atom::BADARG)),
            },
        };
        if let Some(i) = &item
            && !KNOWN.contains(&i.as_str())
        {
            return NativeResult::Value(Word::atom(atom::BADARG));
        }
        let Some(id) = self.open_port_of(port_word) else {
            return NativeResult::Value(Word::atom(atom::UNDEFINED));
        };
        let build = |vm: &mut Vm, heap: &mut Area, key: &str| -> Option<Word> {
            let port = &vm.ports.table[&id];
            let small = |n: u64| Word::small(n as i64).expect("a count");
            let val = match key {
                "name" => {
                    let chars: Vec<Word> = port.name.chars().map(|c| small(c as u64)).collect();
                    list_of(heap, &chars)
                }
                "links" => {
                    let l: Vec<Word> = port.links.iter().rev().map(|x| Word::pid(*x)).collect();
                    list_of(heap, &l)
                }
                "id" => small(id << 3),
                "connected" => Word::pid(port.owner),
                "input" => small(port.input),
                "output" => small(port.output),
                "os_pid" => match port.os_pid {
                    Some(n) => small(u64::from(n)),
                    None => Word::atom(atom::UNDEFINED),
                },
                "registered_name" => return None,
                "monitors" => Word::NIL,
                "monitored_by" => {
                    let l: Vec<Word> = port.monitors.iter().map(|(_, x)| Word::pid(*x)).collect();
                    list_of(heap, &l)
                }
                "memory" => small(40),
                "queue_size" => small(0),
                "locking" => Word::atom(vm.atoms.intern("port_level")),
                "parallelism" => Word::atom(atom::FALSE),
                _ => return None,
            };
            let k = Word::atom(vm.atoms.intern(key));
            Some(heap.tuple(0, &[k, val]))
        };
        let out = match item {
            // A port has no registered name: `[]`, as erl answers.
            Some(k) => build(self, &mut p.heap, &k).unwrap_or(Word::NIL),
            None => {
                let items: Vec<Word> = ALL
                    .iter()
                    .filter_map(|k| build(self, &mut p.heap, k))
                    .collect();
                list_of(&mut p.heap, &items)
            }
        };
        NativeResult::Value(out)
    }

    /// `erlang:port_get_data/1`.
    pub(crate) fn port_get_data(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        let Some(id) = self.open_port_of(a[0]) else {
            return badarg();
        };
        let (area, w) = &self.ports.table[&id].data;
        let v = View {
            heap: area,
            literals: &self.literals,
        };
        match self.memory.copy_within(&v, *w, &mut p.heap) {
            Ok((w, _)) => NativeResult::Value(w),
            Err(b) => NativeResult::Error(refused(&self.memory, p.pid, "port_get_data/1", b)),
        }
    }

    /// `erlang:port_set_data/2`.
    pub(crate) fn port_set_data(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        let Some(id) = self.open_port_of(a[0]) else {
            return badarg();
        };
        let v = View {
            heap: &p.heap,
            literals: &self.literals,
        };
        let mut area = Area::default();
        let w = match self.memory.copy_within(&v, a[1], &mut area) {
            Ok((w, _)) => w,
            Err(b) => {
                return NativeResult::Error(refused(&self.memory, p.pid, "port_set_data/2", b));
            }
        };
        self.ports.table.get_mut(&id).expect("open").data = (area, w);
        NativeResult::Value(Word::atom(atom::TRUE))
    }

    /// `monitor(port, Port)`: a `'DOWN'` message when it closes (at once,
    /// with `noproc`, if it is not open).
    pub(crate) fn monitor_port(&mut self, p: &mut Proc, target: Word) -> NativeResult {
        let r = self.make_ref(&mut p.heap);
        let rid = ref_id(
            &View {
                heap: &p.heap,
                literals: &self.literals,
            },
            r,
        )
        .expect("a reference");
        match self.open_port_of(target) {
            Some(id) => {
                self.ports
                    .table
                    .get_mut(&id)
                    .expect("open")
                    .monitors
                    .push((rid, p.pid));
                p.sig.monitoring.push((rid, PORT_LINK | id));
            }
            None => {
                let msg = p.heap.tuple(
                    0,
                    &[
                        Word::atom(atom::DOWN),
                        r,
                        Word::atom(self.atoms.intern("port")),
                        target,
                        Word::atom(atom::NOPROC),
                    ],
                );
                p.rx.mailbox.push_back(msg);
            }
        }
        NativeResult::Value(r)
    }

    /// Forgets monitor `rid` of a port (`demonitor/1,2`).
    pub(crate) fn demonitor_port(&mut self, target: u64, rid: u64) -> bool {
        match port_of_link(target).and_then(|id| self.ports.table.get_mut(&id)) {
            Some(port) => {
                port.monitors.retain(|(r, _)| *r != rid);
                true
            }
            None => false,
        }
    }

    /// `link(Port)`.
    pub(crate) fn link_port(&mut self, p: &mut Proc, port: u64) -> NativeResult {
        match self.ports.table.get_mut(&port) {
            Some(pt) => {
                if !pt.links.contains(&p.pid) {
                    pt.links.push(p.pid);
                    p.sig.links.push(PORT_LINK | port);
                }
            }
            None if p.sig.trap_exit => {
                let msg = p.heap.tuple(
                    0,
                    &[
                        Word::atom(atom::EXIT_TAG),
                        Word::port(port),
                        Word::atom(atom::NOPROC),
                    ],
                );
                p.rx.mailbox.push_back(msg);
            }
            None => {
                return NativeResult::Error(crate::vm::term::exception::Exception::error(
                    Word::atom(atom::NOPROC),
                ));
            }
        }
        NativeResult::Value(Word::atom(atom::TRUE))
    }

    /// `unlink(Port)`.
    pub(crate) fn unlink_port(&mut self, p: &mut Proc, port: u64) -> NativeResult {
        p.sig.links.retain(|x| *x != PORT_LINK | port);
        if let Some(pt) = self.ports.table.get_mut(&port) {
            pt.links.retain(|x| *x != p.pid);
        }
        NativeResult::Value(Word::atom(atom::TRUE))
    }

    /// `Port ! Msg` from `from`: `{Pid, {command, Data}}`, `{Pid, close}`,
    /// `{Pid, {connect, NewPid}}`. Anything else, or a `Pid` that is not
    /// the port's owner, sends the owner an exit signal `badsig` from the
    /// port, which stays open (as on the BEAM); a message to a closed port
    /// is dropped.
    pub(crate) fn send_to_port(
        &mut self,
        from: &mut Proc,
        port: u64,
        msg: Word,
    ) -> Result<(), Exception> {
        if !self.ports.table.contains_key(&port) {
            return Ok(());
        }
        let owner = self.ports.table[&port].owner;
        let v = View {
            heap: &from.heap,
            literals: &self.literals,
        };
        let badsig = Word::atom(self.atoms.intern("badsig"));
        let Some([pid, what]) = v.tuple(msg) else {
            self.port_badsig(&mut Some(from), port, badsig);
            return Ok(());
        };
        let (pid, what) = (Word(*pid), Word(*what));
        if pid.as_pid() != Some(owner) {
            self.port_badsig(&mut Some(from), port, badsig);
            return Ok(());
        }
        if what == Word::atom(self.atoms.intern("close")) {
            self.close_port(&mut Some(from), port, None);
            let tag = Word::atom(self.atoms.intern("closed"));
            self.signal(&mut Some(from), owner, |heap| {
                heap.tuple(0, &[Word::port(port), tag])
            });
            return Ok(());
        }
        match v.tuple(what) {
            Some([k, d]) if Word(*k) == Word::atom(self.atoms.intern("command")) => {
                match iodata_bytes_within(&v, Word(*d), &self.memory) {
                    Ok(Some(b)) if !matches!(self.ports.table[&port].sink, Sink::None) => {
                        self.port_write(port, b)
                    }
                    Err(b) => return Err(refused(&self.memory, from.pid, "a port command", b)),
                    _ => self.port_badsig(&mut Some(from), port, badsig),
                }
            }
            Some([k, np]) if Word(*k) == Word::atom(self.atoms.intern("connect")) => {
                match Word(*np).as_pid() {
                    Some(np) => {
                        let mut running = Some(&mut *from);
                        self.connect(&mut running, port, np, false);
                        let tag = Word::atom(self.atoms.intern("connected"));
                        self.signal(&mut running, owner, |heap| {
                            heap.tuple(0, &[Word::port(port), tag])
                        });
                    }
                    None => self.port_badsig(&mut Some(from), port, badsig),
                }
            }
            _ => self.port_badsig(&mut Some(from), port, badsig),
        }
        Ok(())
    }

    /// The port's owner gets the exit signal `reason` from it (it stays
    /// linked): a message if it traps exits, else its end.
    fn port_badsig(&mut self, running: &mut Option<&mut Proc>, id: u64, reason: Word) {
        let owner = self.ports.table[&id].owner;
        let Some(trapping) = self.with_proc(running, owner, |o| o.sig.trap_exit) else {
            return;
        };
        if trapping {
            self.signal(running, owner, |heap| {
                heap.tuple(0, &[Word::atom(atom::EXIT_TAG), Word::port(id), reason])
            });
        } else if let Some(run) = running.as_deref_mut().filter(|x| x.pid == owner) {
            run.pending_exit = Some(reason);
        } else if let Some(mut o) = self.procs.remove(&owner) {
            self.unready(owner);
            self.exit_signals_to(&mut o, reason, running.as_deref_mut());
            self.ended_by_signal(o, reason);
        }
    }

    /// `exit(Port, Reason)`: the port ends of any reason, `normal`
    /// included, whoever sends it (`kill` as `killed`), as erl's does; a
    /// linked process's end is another matter ([`Vm::port_exit_signal`]).
    pub(crate) fn exit_port(&mut self, p: &mut Proc, id: u64, reason: Word) -> NativeResult {
        if self.ports.table.contains_key(&id) {
            let reason = if reason == Word::atom(atom::KILL) {
                Word::atom(atom::KILLED)
            } else {
                reason
            };
            let mut area = Area::default();
            let v = View {
                heap: &p.heap,
                literals: &self.literals,
            };
            // Copied again for each link and monitor (each asks for its
            // own room); this copy the caller pays for, as a message.
            let r = match self.memory.copy_within(&v, reason, &mut area) {
                Ok((r, _)) => r,
                Err(b) => {
                    return NativeResult::Error(refused(&self.memory, p.pid, "an exit signal", b));
                }
            };
            self.close_port_with(&mut Some(p), id, (area, r));
        }
        NativeResult::Value(Word::atom(atom::TRUE))
    }

    /// Closes port `id`: its links hear `{'EXIT', Port, Reason}` (`normal`
    /// when `reason` is `None`, else an atom; only processes that trap
    /// exits see a normal one), its monitors `'DOWN'`, and its input stops.
    pub(crate) fn close_port(
        &mut self,
        running: &mut Option<&mut Proc>,
        id: u64,
        reason: Option<Word>,
    ) {
        let reason = reason.unwrap_or(Word::atom(atom::NORMAL));
        debug_assert!(reason.is_immediate());
        self.close_port_with(running, id, (Area::default(), reason));
    }

    /// [`Vm::close_port`] with a reason in an area of its own.
    fn close_port_with(
        &mut self,
        running: &mut Option<&mut Proc>,
        id: u64,
        (area, reason): (Area, Word),
    ) {
        let Some(port) = self.ports.table.remove(&id) else {
            return;
        };
        let literals = self.literals.clone();
        let view = View {
            heap: &area,
            literals: &literals,
        };
        self.port_gone(running, id, &port, &view, reason);
    }

    /// What a closed port leaves behind: exit signals to its links and
    /// `'DOWN'` to its monitors, with `reason` (read through `view`).
    fn port_gone(
        &mut self,
        running: &mut Option<&mut Proc>,
        id: u64,
        port: &Port,
        view: &View,
        reason: Word,
    ) {
        let from = PORT_LINK | id;
        // Sized once for every link and monitor; the port cannot pay, so a
        // refusal ends the one whose heap or area is refused, as a dead
        // process's reason does (`Vm::signal_within`).
        let words = self.memory.copy_words(view, reason);
        for &to in &port.links {
            if self.running.contains_key(&to) && !is(running, to) {
                let mut area = Area::default();
                let d = match words.and_then(|w| self.memory.grow(&mut area.words, w)) {
                    Ok(_) => {
                        let r = view.copy_into(reason, &mut area);
                        Deferred::LinkExit(from, area, r)
                    }
                    Err(b) => Deferred::Refused(b as u64),
                };
                self.defer(to, d);
            } else {
                self.link_exit(running, to, from, view, reason);
            }
        }
        let port_atom = Word::atom(self.atoms.intern("port"));
        for &(rid, watcher) in &port.monitors {
            self.with_proc(running, watcher, |w| {
                w.sig.monitoring.retain(|(x, _)| *x != rid)
            });
            if self
                .aliases
                .get(&rid)
                .is_some_and(|(_, m)| *m != AliasMode::Explicit)
            {
                self.aliases.remove(&rid);
            }
            self.signal_within(running, watcher, words, |heap| {
                let r = heap.reference(0, rid);
                let reason = view.copy_into(reason, heap);
                heap.tuple(
                    0,
                    &[Word::atom(atom::DOWN), r, port_atom, Word::port(id), reason],
                )
            });
        }
    }

    /// The exit signal of linked process `p` (ended with `reason`, read
    /// through `view`) reaches port `id`: the owner's end closes it with
    /// that reason, another's only when it is not `normal`.
    pub(crate) fn port_exit_signal(
        &mut self,
        running: &mut Option<&mut Proc>,
        id: u64,
        pid: u64,
        view: &View,
        reason: Word,
    ) {
        let Some(port) = self.ports.table.get_mut(&id) else {
            return;
        };
        port.links.retain(|x| *x != pid);
        port.monitors.retain(|(_, x)| *x != pid);
        if port.owner != pid && reason == Word::atom(atom::NORMAL) {
            return;
        }
        let port = self.ports.table.remove(&id).expect("open");
        self.port_gone(running, id, &port, view, reason);
    }

    /// Turns what the reader threads saw into messages to the ports'
    /// owners (called by the scheduler between slices).
    pub(crate) fn port_events(&mut self) {
        let mut events = self.ports.inbox.take().into_iter();
        while let Some((id, e)) = events.next() {
            let Some(port) = self.ports.table.get_mut(&id) else {
                if let Event::Data(b) = &e {
                    self.ports.inbox.delivered(b.len());
                }
                continue;
            };
            // An owner that has many messages waiting gets no more input
            // until it has taken some: the rest waits, and so do the readers.
            let owner = port.owner;
            let waiting = match self.procs.get(&owner) {
                Some(o) => o.rx.mailbox.len(),
                // Running on another scheduler: what reached it meanwhile.
                None => self.running.get(&owner).map_or(0, Vec::len),
            };
            if matches!(e, Event::Data(_)) && waiting > MAILBOX_MAX {
                let mut back = vec![(id, e)];
                back.extend(events);
                self.ports.inbox.put_back(back);
                return;
            }
            match e {
                Event::Data(b) => {
                    self.ports.inbox.delivered(b.len());
                    port.input += b.len() as u64;
                    // A partial packet or line waits in `pending`, which
                    // asks the budget first: the external program decides
                    // how much it sends, and a refusal closes its port,
                    // not the VM.
                    if !matches!(port.opts.framing, Framing::Stream)
                        && let Err(bytes) = self.memory.grow(&mut port.pending, b.len())
                    {
                        eprintln!(
                            "lam: port #Port<0.{id}> closes with out_of_memory: its input buffer asked for {bytes} bytes"
                        );
                        let reason = Some(Word::atom(atom::OUT_OF_MEMORY));
                        self.close_port(&mut None, id, reason);
                        continue;
                    }
                    let msgs = frame(port.opts.framing, &mut port.pending, b, false);
                    port.pending_held.set(&self.memory, port.pending.capacity());
                    self.send_data(id, msgs);
                }
                Event::Exit(status) => {
                    if port.opts.exit_status {
                        let owner = port.owner;
                        let tag = Word::atom(self.atoms.intern("exit_status"));
                        self.deliver(owner, |heap, _| {
                            let s = Word::small(i64::from(status)).expect("a status");
                            let inner = heap.tuple(0, &[tag, s]);
                            heap.tuple(0, &[Word::port(id), inner])
                        });
                    }
                }
                Event::Eof => {
                    let msgs = frame(port.opts.framing, &mut port.pending, Vec::new(), true);
                    let (owner, eof) = (port.owner, port.opts.eof);
                    self.send_data(id, msgs);
                    if eof {
                        let tag = Word::atom(self.atoms.intern("eof"));
                        self.deliver(owner, |heap, _| heap.tuple(0, &[Word::port(id), tag]));
                    } else {
                        self.close_port(&mut None, id, None);
                    }
                }
            }
        }
    }

    /// Sends `{Port, {data, D}}` for each framed piece.
    fn send_data(&mut self, id: u64, msgs: Vec<Piece>) {
        let Some(port) = self.ports.table.get(&id) else {
            return;
        };
        let (owner, binary) = (port.owner, port.opts.binary);
        let data = Word::atom(self.atoms.intern("data"));
        let (eol, noeol) = (
            Word::atom(self.atoms.intern("eol")),
            Word::atom(self.atoms.intern("noeol")),
        );
        for m in msgs {
            // The owner's heap is given room first (a list is two words a
            // byte, and a packet may be as long as its header says): the
            // port cannot pay, so a refusal ends the owner.
            let len = match &m {
                Piece::Raw(b) | Piece::Line(b, _) => b.len(),
            };
            let words = if binary { 24 } else { 2 * len } + 16;
            self.signal_within(&mut None, owner, Ok(words), |heap| {
                let bytes = |heap: &mut Area, b: &[u8]| {
                    if binary {
                        heap.bitstring(0, b, 8)
                    } else {
                        let l: Vec<Word> = b
                            .iter()
                            .map(|x| Word::small(i64::from(*x)).expect("a byte"))
                            .collect();
                        list_of(heap, &l)
                    }
                };
                let d = match &m {
                    Piece::Raw(b) => bytes(heap, b),
                    Piece::Line(b, full) => {
                        let d = bytes(heap, b);
                        heap.tuple(0, &[if *full { eol } else { noeol }, d])
                    }
                };
                let inner = heap.tuple(0, &[data, d]);
                heap.tuple(0, &[Word::port(id), inner])
            });
        }
    }
}

impl Vm {
    /// `erts_internal:port_control/3`: the driver's reply as a byte list
    /// (`runtime/inet_drv.rs`), or `badarg` for erlang.erl to raise.
    pub(crate) fn port_control(&mut self, p: &mut Proc, a: &[Word]) -> NativeResult {
        let refused = NativeResult::Value(Word::atom(atom::BADARG));
        let v = View {
            heap: &p.heap,
            literals: &self.literals,
        };
        let Some(data) = crate::vm::natives::bits::iodata_bytes(&v, a[2]) else {
            return refused;
        };
        let (Some(id), Some(code)) = (a[0].as_port(), a[1].as_small()) else {
            return refused;
        };
        let Some(inet) = self
            .ports
            .table
            .get_mut(&id)
            .and_then(|port| port.inet.as_mut())
        else {
            return refused;
        };
        let reply = match inet.control(code, &data) {
            Ok(answer) => [1].into_iter().chain(answer).collect::<Vec<u8>>(),
            Err(name) => [0].into_iter().chain(name.bytes()).collect(),
        };
        let bytes: Vec<Word> = reply
            .into_iter()
            .filter_map(|b| Word::small(i64::from(b)))
            .collect();
        NativeResult::Value(list_of(&mut p.heap, &bytes))
    }
}
