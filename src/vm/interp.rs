//! The interpreter: a VM holding loaded modules, and the run loop that
//! executes one process's code (sequential Erlang for now: receive, send and
//! spawn come with the scheduler).

use std::collections::HashMap;
use std::sync::Arc;

use crate::term::Term;
use crate::vm::atoms::{Atoms, atom};
use crate::vm::bif::{self, Ctx, NativeResult};
use crate::vm::compare;
use crate::vm::heap::{Area, View, collect};
use crate::vm::loader::{self, Callee, CodePath, Dst, Ins, Loaded, NOFAIL, Src, Target};
use crate::vm::word::{Word, kind};

/// An exception: class (`error`, `exit` or `throw`), reason, stack trace.
#[derive(Debug, Clone, Copy)]
pub struct Exception {
    /// The class atom.
    pub class: u32,
    /// The reason.
    pub reason: Word,
    /// The stack trace term, once built.
    pub trace: Word,
}

impl Exception {
    /// An `error` exception (trace filled in when raised).
    pub fn error(reason: Word) -> Exception {
        Exception {
            class: atom::ERROR,
            reason,
            trace: Word::NONE,
        }
    }
}

/// The VM: atoms, loaded modules and their literal areas, the code path.
pub struct Vm {
    /// The atom table.
    pub atoms: Atoms,
    /// Loaded modules, by id.
    pub modules: Vec<Arc<Loaded>>,
    by_name: HashMap<u32, u32>,
    /// Literal areas: area `i + 1` is `literals[i]`, module `i`'s literals.
    pub literals: Vec<Arc<Area>>,
    code_path: CodePath,
    failed: HashMap<u32, String>,
}

struct Frame {
    start: usize,
    base: usize,
}

struct Ret {
    module: u32,
    pc: u32,
}

struct Handler {
    module: u32,
    label: u32,
    calls: usize,
    frames: usize,
    stack: usize,
}

/// A process's state.
pub struct Proc {
    /// Argument registers.
    pub x: Vec<Word>,
    stack: Vec<Word>,
    frames: Vec<Frame>,
    calls: Vec<Ret>,
    handlers: Vec<Handler>,
    /// The heap.
    pub heap: Area,
    /// The process dictionary.
    pub dict: Vec<(Word, Word)>,
    /// Heap size that triggers the next collection.
    gc_limit: usize,
    /// This process's pid number.
    pub pid: u64,
}

impl Default for Proc {
    fn default() -> Self {
        Proc {
            x: vec![Word::NIL; crate::lam::isa::X_REGS as usize],
            stack: Vec::new(),
            frames: Vec::new(),
            calls: Vec::new(),
            handlers: Vec::new(),
            heap: Area::default(),
            dict: Vec::new(),
            gc_limit: 1 << 16,
            pid: 0,
        }
    }
}

/// The marker a `try` leaves in its frame slot (a special immediate).
fn handler_marker(depth: usize) -> Word {
    Word((((depth as u64) + 2) << 4) | 0xf)
}

impl Vm {
    /// A VM that loads modules from these directories.
    pub fn new(code_path: Vec<std::path::PathBuf>) -> Vm {
        Vm {
            atoms: Atoms::new(),
            modules: Vec::new(),
            by_name: HashMap::new(),
            literals: Vec::new(),
            code_path: CodePath::new(code_path),
            failed: HashMap::new(),
        }
    }

    /// The module with this name, loading it from the code path if needed.
    pub fn module(&mut self, name: u32) -> Option<u32> {
        if let Some(&id) = self.by_name.get(&name) {
            return Some(id);
        }
        if self.failed.contains_key(&name) {
            return None;
        }
        let text = self.atoms.name(name);
        let path = self.code_path.find(&text)?.to_path_buf();
        match loader::read_module(&path) {
            Ok(m) => Some(self.add(m)),
            Err(e) => {
                self.failed.insert(name, e.to_string());
                None
            }
        }
    }

    /// Links a validated LAM module into the VM and returns its id.
    pub fn add(&mut self, m: crate::lam::Module) -> u32 {
        let id = self.modules.len() as u32;
        let (loaded, area) = loader::link(m, id, &self.atoms);
        self.by_name.insert(loaded.name, id);
        self.modules.push(Arc::new(loaded));
        self.literals.push(Arc::new(area));
        id
    }

    /// Why a module failed to load, if it did.
    pub fn load_error(&self, name: u32) -> Option<&str> {
        self.failed.get(&name).map(String::as_str)
    }

    /// What `module:function/arity` is: a native, code, or nothing.
    pub fn resolve(&mut self, module: u32, function: u32, arity: u32) -> Option<Callee> {
        if let Some(f) = bif::lookup(&self.atoms, module, function, arity) {
            return Some(Callee::Native(f));
        }
        let id = self.module(module)?;
        let entry = *self.modules[id as usize].exports.get(&(function, arity))?;
        Some(Callee::Code(id, entry))
    }

    /// Runs `module:function(args)` to completion in `proc`.
    pub fn apply(
        &mut self,
        proc: &mut Proc,
        module: u32,
        function: u32,
        args: &[Word],
    ) -> Result<Word, Exception> {
        proc.x[..args.len()].copy_from_slice(args);
        proc.calls.clear();
        proc.frames.clear();
        proc.stack.clear();
        proc.handlers.clear();
        match self.resolve(module, function, args.len() as u32) {
            Some(Callee::Code(m, entry)) => self.run(proc, m, entry),
            Some(Callee::Native(f)) => match self.native(proc, f, args.len()) {
                NativeResult::Value(v) => Ok(v),
                NativeResult::Error(e) => Err(e),
                NativeResult::Apply(m, f, args) => {
                    let (Some(m), Some(f)) = (m.as_atom(), f.as_atom()) else {
                        return Err(Exception::error(Word::atom(atom::BADARG)));
                    };
                    self.apply(proc, m, f, &args)
                }
            },
            None => Err(self.undef(proc, module, function, args.len() as u32)),
        }
    }

    fn undef(&self, proc: &mut Proc, module: u32, function: u32, arity: u32) -> Exception {
        let mfa = proc.heap.tuple(
            0,
            &[
                Word::atom(module),
                Word::atom(function),
                Word::small(arity as i64).expect("arity"),
            ],
        );
        let _ = mfa;
        Exception::error(Word::atom(atom::UNDEF))
    }

    fn native(&mut self, proc: &mut Proc, f: bif::NativeFn, arity: usize) -> NativeResult {
        let args: Vec<Word> = proc.x[..arity].to_vec();
        let mut ctx = Ctx {
            heap: &mut proc.heap,
            literals: &self.literals,
            atoms: &self.atoms,
            dict: &mut proc.dict,
            modules: &self.modules,
        };
        f(&mut ctx, &args)
    }

    /// The stack trace at `pc` of `module`, as Erlang shows it:
    /// `[{M, F, A, [{file, F}, {line, L}]}]`, at most eight entries.
    fn trace(&self, proc: &mut Proc, module: u32, pc: u32) -> Word {
        let mut entries = vec![(module, pc)];
        entries.extend(
            proc.calls
                .iter()
                .rev()
                .map(|r| (r.module, r.pc.saturating_sub(1))),
        );
        entries.truncate(8);
        let mut list = Word::NIL;
        for (m, pc) in entries.into_iter().rev() {
            let loaded = &self.modules[m as usize];
            let Some((f, a)) = loaded.function_at(pc) else {
                continue;
            };
            let loc = match loaded.lam.location(pc) {
                Some((file, line)) => {
                    let file_term = proc.heap.from_term(0, &Term::string(file), &self.atoms);
                    let fpair = proc.heap.tuple(0, &[Word::atom(atom::FILE), file_term]);
                    let lpair = proc.heap.tuple(
                        0,
                        &[
                            Word::atom(atom::LINE),
                            Word::small(line as i64).expect("line"),
                        ],
                    );
                    let tail = proc.heap.cons(0, lpair, Word::NIL);
                    proc.heap.cons(0, fpair, tail)
                }
                None => Word::NIL,
            };
            let e = proc.heap.tuple(
                0,
                &[
                    Word::atom(loaded.name),
                    Word::atom(f),
                    Word::small(a as i64).expect("arity"),
                    loc,
                ],
            );
            list = proc.heap.cons(0, e, list);
        }
        list
    }

    /// The run loop.
    fn run(&mut self, proc: &mut Proc, mut mid: u32, mut pc: u32) -> Result<Word, Exception> {
        let mut m = self.modules[mid as usize].clone();
        loop {
            let step = self.step(proc, &m, pc);
            match step {
                Ok(Flow::Next) => pc += 1,
                Ok(Flow::Goto(to)) => pc = to,
                Ok(Flow::Enter(to_mod, to)) => {
                    if to_mod != mid {
                        mid = to_mod;
                        m = self.modules[mid as usize].clone();
                    }
                    pc = to;
                }
                Ok(Flow::Return) => match proc.calls.pop() {
                    Some(r) => {
                        if r.module != mid {
                            mid = r.module;
                            m = self.modules[mid as usize].clone();
                        }
                        pc = r.pc;
                    }
                    None => return Ok(proc.x[0]),
                },
                Err(mut e) => {
                    if e.trace == Word::NONE {
                        e.trace = self.trace(proc, mid, pc);
                    }
                    let Some(h) = proc.handlers.pop() else {
                        return Err(e);
                    };
                    proc.calls.truncate(h.calls);
                    proc.frames.truncate(h.frames);
                    proc.stack.truncate(h.stack);
                    // The slot no longer marks a live handler: try_end/catch_end
                    // at the landing pad must not remove another one.
                    if let Some(slot) = proc
                        .stack
                        .iter_mut()
                        .rev()
                        .find(|w| **w == handler_marker(proc.handlers.len()))
                    {
                        *slot = Word::NIL;
                    }
                    let raw = proc
                        .heap
                        .tuple(0, &[Word::atom(atom::LAM), Word::atom(e.class), e.trace]);
                    proc.x[0] = Word::NONE;
                    proc.x[1] = Word::atom(e.class);
                    proc.x[2] = e.reason;
                    proc.x[3] = raw;
                    if h.module != mid {
                        mid = h.module;
                        m = self.modules[mid as usize].clone();
                    }
                    pc = h.label;
                }
            }
        }
    }

    fn step(&mut self, proc: &mut Proc, m: &Arc<Loaded>, pc: u32) -> Result<Flow, Exception> {
        let read = |proc: &Proc, s: Src| -> Word {
            match s {
                Src::X(r) => proc.x[r as usize],
                Src::Y(r) => proc.stack[proc.frames.last().expect("a frame").base + r as usize],
                Src::C(w) => w,
            }
        };
        fn write(proc: &mut Proc, d: Dst, w: Word) {
            match d {
                Dst::X(r) => proc.x[r as usize] = w,
                Dst::Y(r) => {
                    let base = proc.frames.last().expect("a frame").base;
                    proc.stack[base + r as usize] = w;
                }
                Dst::Discard => {}
            }
        }
        let badarg = || Exception::error(Word::atom(atom::BADARG));
        let fail_or = |label: u32, e: Exception| {
            if label == NOFAIL {
                Err(e)
            } else {
                Ok(Flow::Goto(label))
            }
        };
        match &m.code[pc as usize] {
            Ins::Move(s, d) => write(proc, *d, read(proc, *s)),
            Ins::Swap(a, b) => {
                let (va, vb) = (read(proc, dst_src(*a)), read(proc, dst_src(*b)));
                write(proc, *a, vb);
                write(proc, *b, va);
            }
            Ins::Allocate(n, live) => {
                if proc.heap.len() > proc.gc_limit {
                    self.gc(proc, *live as usize);
                }
                let start = proc.stack.len();
                proc.stack.resize(start + *n as usize, Word::NIL);
                proc.frames.push(Frame { start, base: start });
            }
            Ins::Deallocate => {
                let f = proc.frames.pop().expect("a frame");
                proc.stack.truncate(f.start);
            }
            Ins::Trim(n) => proc.frames.last_mut().expect("a frame").base += *n as usize,
            Ins::Jump(l) => return Ok(Flow::Goto(*l)),
            Ins::Test(k, fail, args) => {
                // Tests take at most three arguments: no allocation here.
                let mut vals = [Word::NIL; 3];
                for (v, s) in vals.iter_mut().zip(args.iter()) {
                    *v = read(proc, *s);
                }
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                if !bif::test(&view, &self.atoms, *k, &vals[..args.len()]) {
                    return Ok(Flow::Goto(*fail));
                }
            }
            Ins::Select(arity, s, fail, table) => {
                let v = read(proc, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let key = if *arity {
                    match view.tuple(v) {
                        Some(t) => Word::small(t.len() as i64).expect("arity"),
                        None => return Ok(Flow::Goto(*fail)),
                    }
                } else {
                    v
                };
                let hit = table
                    .iter()
                    .find(|(w, _)| compare::exact_eq(&view, &self.atoms, *w, key));
                return Ok(Flow::Goto(hit.map_or(*fail, |(_, l)| *l)));
            }
            Ins::Call(arity, t) | Ins::TailCall(arity, t) => {
                let tail = matches!(&m.code[pc as usize], Ins::TailCall(..));
                let callee = match *t {
                    Target::Local(l) => Callee::Code(m.id, l),
                    Target::Import(i) => self.import(proc, m, i)?,
                };
                return self.enter(proc, m.id, pc, callee, *arity as usize, tail);
            }
            Ins::CallFun(apply, arity, f, tail) => {
                let n = *arity as usize;
                let callee = if *apply {
                    let (module, function) = (proc.x[n], proc.x[n + 1]);
                    let (Some(mo), Some(fu)) = (module.as_atom(), function.as_atom()) else {
                        return Err(badarg());
                    };
                    match self.resolve(mo, fu, n as u32) {
                        Some(c) => c,
                        None => return Err(self.undef(proc, mo, fu, n as u32)),
                    }
                } else {
                    let fun = read(proc, *f);
                    self.fun_callee(proc, fun, n)?
                };
                return self.enter(proc, m.id, pc, callee, proc_args_len(callee, n), *tail);
            }
            Ins::Return => return Ok(Flow::Return),
            Ins::Bif(i, fail, args, d) => {
                let callee = match self.import(proc, m, *i) {
                    Ok(c) => c,
                    Err(e) => return fail_or(*fail, e),
                };
                let Callee::Native(f) = callee else {
                    return fail_or(*fail, badarg());
                };
                let mut small = [Word::NIL; 8];
                let big: Vec<Word>;
                let vals: &[Word] = if args.len() <= small.len() {
                    for (v, s) in small.iter_mut().zip(args.iter()) {
                        *v = read(proc, *s);
                    }
                    &small[..args.len()]
                } else {
                    big = args.iter().map(|s| read(proc, *s)).collect();
                    &big
                };
                let mut ctx = Ctx {
                    heap: &mut proc.heap,
                    literals: &self.literals,
                    atoms: &self.atoms,
                    dict: &mut proc.dict,
                    modules: &self.modules,
                };
                match f(&mut ctx, vals) {
                    NativeResult::Value(v) => write(proc, *d, v),
                    NativeResult::Error(e) => return fail_or(*fail, e),
                    NativeResult::Apply(..) => return fail_or(*fail, badarg()),
                }
            }
            Ins::Arith(k, fail, a, b, d) => {
                let (va, vb) = (read(proc, *a), read(proc, *b));
                match bif::arith(&mut proc.heap, &self.literals, *k, va, vb) {
                    Ok(v) => write(proc, *d, v),
                    Err(e) => return fail_or(*fail, e),
                }
            }
            Ins::MakeTuple(d, elems) => {
                let vals: Vec<Word> = elems.iter().map(|s| read(proc, *s)).collect();
                let t = proc.heap.tuple(0, &vals);
                write(proc, *d, t);
            }
            Ins::GetElement(s, i, d) => {
                let t = read(proc, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let v = view
                    .tuple(t)
                    .and_then(|e| e.get(*i as usize))
                    .map(|w| Word(*w))
                    .ok_or_else(badarg)?;
                write(proc, *d, v);
            }
            Ins::Cons(h, t, d) => {
                let c = proc.heap.cons(0, read(proc, *h), read(proc, *t));
                write(proc, *d, c);
            }
            Ins::SplitList(s, h, t) => {
                let l = read(proc, *s);
                if !l.is_list() {
                    return Err(badarg());
                }
                let (hv, tv) = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                }
                .cons(l);
                write(proc, *h, hv);
                write(proc, *t, tv);
            }
            Ins::PutMap(exact, fail, s, d, pairs) => {
                let map = read(proc, *s);
                let kv: Vec<(Word, Word)> = pairs
                    .iter()
                    .map(|(k, v)| (read(proc, *k), read(proc, *v)))
                    .collect();
                match bif::map_put(
                    &mut proc.heap,
                    &self.literals,
                    &self.atoms,
                    map,
                    &kv,
                    *exact,
                ) {
                    Ok(w) => write(proc, *d, w),
                    Err(e) => return fail_or(*fail, e),
                }
            }
            Ins::GetMap(fail, s, pairs) => {
                let map = read(proc, *s);
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                let mut found = Vec::with_capacity(pairs.len());
                for (k, d) in pairs.iter() {
                    match bif::map_get(&view, &self.atoms, map, read(proc, *k)) {
                        Some(v) => found.push((*d, v)),
                        None => return Ok(Flow::Goto(*fail)),
                    }
                }
                for (d, v) in found {
                    write(proc, d, v);
                }
            }
            Ins::MakeFun(idx, d, free) => {
                let (_, arity, nfree, _) = m.lambdas[*idx as usize];
                let mut words = vec![
                    Word::small(m.id as i64).expect("id"),
                    Word::small(*idx as i64).expect("index"),
                    Word::small((arity - nfree) as i64).expect("arity"),
                ];
                words.extend(free.iter().map(|s| read(proc, *s)));
                let at = proc.heap.words.len();
                proc.heap.words.push(Word::header(kind::FUN, words.len()).0);
                proc.heap.words.extend(words.iter().map(|w| w.0));
                write(
                    proc,
                    *d,
                    Word::boxed(crate::vm::word::Ptr {
                        area: 0,
                        offset: at,
                    }),
                );
            }
            Ins::Try(y, l) => {
                let depth = proc.handlers.len();
                proc.handlers.push(Handler {
                    module: m.id,
                    label: *l,
                    calls: proc.calls.len(),
                    frames: proc.frames.len(),
                    stack: proc.stack.len(),
                });
                write(proc, *y, handler_marker(depth));
            }
            Ins::TryEnd(y) | Ins::CatchEnd(y) => {
                if read(proc, dst_src(*y)) == handler_marker(proc.handlers.len().wrapping_sub(1)) {
                    proc.handlers.pop();
                }
                write(proc, *y, Word::NIL);
                if matches!(&m.code[pc as usize], Ins::CatchEnd(_)) && proc.x[0] == Word::NONE {
                    proc.x[0] = self.catch_value(proc);
                }
            }
            Ins::Raise(c, r, t) => {
                let (class, reason, trace) = (read(proc, *c), read(proc, *r), read(proc, *t));
                let view = View {
                    heap: &proc.heap,
                    literals: &self.literals,
                };
                // A raw trace is {lam, Class, Trace}; raise/2 (class []) takes the class from it.
                let (class, trace) = match view.tuple(trace) {
                    Some([tag, cls, tr]) if Word(*tag) == Word::atom(atom::LAM) => (
                        if class == Word::NIL {
                            Word(*cls)
                        } else {
                            class
                        },
                        Word(*tr),
                    ),
                    _ => (class, trace),
                };
                match class.as_atom() {
                    Some(c @ (atom::ERROR | atom::EXIT | atom::THROW)) => {
                        return Err(Exception {
                            class: c,
                            reason,
                            trace,
                        });
                    }
                    _ => {
                        proc.x[0] = Word::atom(atom::BADARG);
                    }
                }
            }
            Ins::Fail(k, v) => {
                let v = read(proc, *v);
                let tag = |a: u32, proc: &mut Proc| proc.heap.tuple(0, &[Word::atom(a), v]);
                let reason = match crate::lam::isa::FAIL_KINDS[*k as usize] {
                    "badmatch" => tag(atom::BADMATCH, proc),
                    "case_clause" => tag(atom::CASE_CLAUSE, proc),
                    "try_clause" => tag(atom::TRY_CLAUSE, proc),
                    "badrecord" => tag(atom::BADRECORD, proc),
                    "if_clause" => Word::atom(atom::IF_CLAUSE),
                    "function_clause" => Word::atom(atom::FUNCTION_CLAUSE),
                    _ => v,
                };
                return Err(Exception::error(reason));
            }
            Ins::SelfPid(d) => write(proc, *d, Word::pid(proc.pid)),
            Ins::NotYet(name) => {
                let what = proc.heap.tuple(
                    0,
                    &[
                        Word::atom(atom::UNSUPPORTED),
                        Word::atom(self.atoms.intern(name)),
                    ],
                );
                return Err(Exception::error(what));
            }
        }
        Ok(Flow::Next)
    }

    fn import(&mut self, proc: &mut Proc, m: &Arc<Loaded>, i: u32) -> Result<Callee, Exception> {
        if let Some(c) = m.resolved[i as usize].get() {
            return Ok(*c);
        }
        let (mo, f, a) = m.imports[i as usize];
        match self.resolve(mo, f, a) {
            Some(c) => {
                let _ = m.resolved[i as usize].set(c);
                Ok(c)
            }
            None => Err(self.undef(proc, mo, f, a)),
        }
    }

    fn fun_callee(&mut self, proc: &mut Proc, fun: Word, n: usize) -> Result<Callee, Exception> {
        let badfun = |proc: &mut Proc| {
            Exception::error(proc.heap.tuple(0, &[Word::atom(atom::BADFUN), fun]))
        };
        if !fun.is_boxed() {
            return Err(badfun(proc));
        }
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let p = fun.ptr();
        let h = view.at(p, 0);
        match h.header_kind() {
            kind::FUN => {
                let mid = view.at(p, 1).as_small().unwrap_or(0) as usize;
                let idx = view.at(p, 2).as_small().unwrap_or(0) as usize;
                let (entry, arity, nfree, _) = self.modules[mid].lambdas[idx];
                if (arity - nfree) as usize != n {
                    let args = list_of(&mut proc.heap, &proc.x[..n]);
                    let inner = proc.heap.tuple(0, &[fun, args]);
                    return Err(Exception::error(
                        proc.heap.tuple(0, &[Word::atom(atom::BADARITY), inner]),
                    ));
                }
                for k in 0..nfree as usize {
                    proc.x[n + k] = view.at(p, 4 + k);
                }
                Ok(Callee::Code(mid as u32, entry))
            }
            kind::EXPORT => {
                let (mo, f, a) = (
                    view.at(p, 1),
                    view.at(p, 2),
                    view.at(p, 3).as_small().unwrap_or(0),
                );
                let (mo, f) = (mo.as_atom().unwrap_or(0), f.as_atom().unwrap_or(0));
                if a as usize != n {
                    let args = list_of(&mut proc.heap, &proc.x[..n]);
                    let inner = proc.heap.tuple(0, &[fun, args]);
                    return Err(Exception::error(
                        proc.heap.tuple(0, &[Word::atom(atom::BADARITY), inner]),
                    ));
                }
                self.resolve(mo, f, a as u32)
                    .ok_or_else(|| self.undef(proc, mo, f, a as u32))
            }
            _ => Err(badfun(proc)),
        }
    }

    fn enter(
        &mut self,
        proc: &mut Proc,
        mid: u32,
        pc: u32,
        callee: Callee,
        arity: usize,
        tail: bool,
    ) -> Result<Flow, Exception> {
        match callee {
            Callee::Code(to_mod, entry) => {
                if !tail {
                    proc.calls.push(Ret {
                        module: mid,
                        pc: pc + 1,
                    });
                }
                Ok(Flow::Enter(to_mod, entry))
            }
            Callee::Native(f) => match self.native(proc, f, arity) {
                NativeResult::Value(v) => {
                    proc.x[0] = v;
                    Ok(if tail { Flow::Return } else { Flow::Next })
                }
                NativeResult::Error(e) => Err(e),
                NativeResult::Apply(mo, fu, args) => {
                    let (Some(mo), Some(fu)) = (mo.as_atom(), fu.as_atom()) else {
                        return Err(Exception::error(Word::atom(atom::BADARG)));
                    };
                    let n = args.len();
                    proc.x[..n].copy_from_slice(&args);
                    let c = self
                        .resolve(mo, fu, n as u32)
                        .ok_or_else(|| self.undef(proc, mo, fu, n as u32))?;
                    self.enter(proc, mid, pc, c, n, tail)
                }
            },
        }
    }

    /// `catch`'s value for the exception in x1..x3.
    fn catch_value(&self, proc: &mut Proc) -> Word {
        let (class, reason, raw) = (proc.x[1], proc.x[2], proc.x[3]);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let trace = match view.tuple(raw) {
            Some([_, _, t]) => Word(*t),
            _ => Word::NIL,
        };
        match class.as_atom() {
            Some(atom::THROW) => reason,
            Some(atom::ERROR) => {
                let inner = proc.heap.tuple(0, &[reason, trace]);
                proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), inner])
            }
            _ => proc.heap.tuple(0, &[Word::atom(atom::EXIT_TAG), reason]),
        }
    }

    fn gc(&self, proc: &mut Proc, live: usize) {
        let live = live.min(proc.x.len());
        let xs = &mut proc.x[..live];
        let mut dict: Vec<Word> = proc.dict.iter().flat_map(|(k, v)| [*k, *v]).collect();
        let survivors = collect(&mut proc.heap, &mut [xs, &mut proc.stack, &mut dict]);
        for (i, pair) in dict.chunks(2).enumerate() {
            proc.dict[i] = (pair[0], pair[1]);
        }
        proc.gc_limit = (survivors * 2).max(1 << 16);
    }
}

/// Natives take their arguments from x registers; code takes the captured
/// values of a closure after them.
fn proc_args_len(_c: Callee, n: usize) -> usize {
    n
}

fn dst_src(d: Dst) -> Src {
    match d {
        Dst::X(r) => Src::X(r),
        Dst::Y(r) => Src::Y(r),
        Dst::Discard => Src::C(Word::NIL),
    }
}

/// A proper list of words, built on a heap.
pub fn list_of(heap: &mut Area, items: &[Word]) -> Word {
    items
        .iter()
        .rev()
        .fold(Word::NIL, |acc, w| heap.cons(0, *w, acc))
}

enum Flow {
    Next,
    Goto(u32),
    Enter(u32, u32),
    Return,
}
