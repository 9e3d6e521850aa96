//! Layer 3, the native API: what a native function sees (its [`Ctx`]), what
//! it returns ([`NativeResult`]), and the narrow views of the rest of the VM
//! it may use ([`CodeInfo`]). Natives are written against this and nothing
//! above it, so they never reach into the run loop or the process table.
//!
//! Each native is a row ([`Native`]) of a table; a [`Registry`] finds rows by
//! module, name and arity.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::term::{Closure, Term};
use crate::vm::term::atoms::Atoms;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::{Area, View};
use crate::vm::term::pdict::Dict;
use crate::vm::term::word::Word;

/// What a native sees: the calling process's heap and dictionary, and the VM's tables.
pub struct Ctx<'a> {
    /// The process heap.
    pub heap: &'a mut Area,
    /// Literal areas.
    pub literals: &'a [Arc<Area>],
    /// The atom table.
    pub atoms: &'a Atoms,
    /// The process dictionary.
    pub dict: &'a mut Dict,
    /// The loaded code, for the natives that describe it.
    pub code: &'a dyn CodeInfo,
    /// Old-style binary construction under way (see `Proc::building`).
    pub building: &'a mut Option<(Word, usize)>,
    /// The VM's environment variables.
    pub env: &'a Env,
    /// The calling process.
    pub pid: u64,
    /// The VM's ETS tables.
    pub ets: &'a crate::vm::ops::ets::Tables,
    /// `system_flag(backtrace_depth, N)`, which `raise/3` honours too.
    pub backtrace_depth: &'a std::sync::atomic::AtomicUsize,
    /// Reductions spent in the calling process's slice, the call's own
    /// included: a native adds what its work costs ([`Ctx::charge`]).
    pub reductions: &'a mut u32,
    /// What a native that yielded mid-call saved for its next call
    /// ([`Ctx::resume`], [`Ctx::trap`]).
    pub trap: &'a mut Option<Trap>,
    /// The VM's memory budget: a native that builds something of a size
    /// the program chose asks it first ([`Ctx::reserve_words`],
    /// [`Ctx::byte_buffer`]).
    pub memory: &'a std::sync::Arc<crate::vm::term::memory::Memory>,
}

/// Reductions in a process's slice: it yields at the first call past them.
pub const BUDGET: u32 = 4000;

/// List cells a native walks (or builds) for one reduction, the BEAM's
/// rate for its trapping list BIFs (`length/1`, `lists:reverse/2`).
pub const CELLS_PER_REDUCTION: usize = 16;

/// Bytes a native copies, encodes or decodes for one reduction.
pub const BYTES_PER_REDUCTION: usize = 256;

/// The state of a native call that yielded before its work was done (the
/// BEAM's trapping BIFs): kept by the process until the call is made
/// again, its words GC roots (a collection may run while it waits).
#[derive(Debug, Default)]
pub struct Trap {
    /// The native that saved it.
    native: &'static str,
    /// The arguments it was called with: the call made again must be the
    /// same one (a collection moves these as it moves the registers).
    args: Vec<Word>,
    /// Terms the native keeps: where it stopped, its partial result.
    pub words: Vec<Word>,
    /// A count it keeps (cells seen, say).
    pub count: usize,
    /// Whatever else it keeps that holds no term (bytes written so far).
    pub state: Option<Box<dyn std::any::Any + Send>>,
}

impl Trap {
    /// Its words, for a collection to move: the arguments and the terms kept.
    pub fn roots(&mut self) -> [&mut [Word]; 2] {
        [&mut self.args, &mut self.words]
    }
}

/// The VM's own copy of the operating system's environment, shared by all
/// its processes as on the BEAM: what `os:getenv` reads and `os:putenv` and
/// `os:unsetenv` change. It is copied from the process environment when the
/// VM starts, so the VM never changes the real one (which other threads may
/// be reading: `std::env::set_var` is unsafe for that reason).
#[derive(Debug, Default)]
pub struct Env(RwLock<Vec<(String, String)>>);

impl Env {
    /// A copy of this process's environment, in its order (a name or value
    /// that is not UTF-8 is read lossily).
    pub fn from_process() -> Env {
        let vars = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        Env(RwLock::new(vars))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<(String, String)>> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<(String, String)>> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of `name`, if it is set.
    pub fn get(&self, name: &str) -> Option<String> {
        let vars = self.read();
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// Every variable, in order: a new one comes last, as `setenv` puts it.
    pub fn vars(&self) -> Vec<(String, String)> {
        self.read().clone()
    }

    /// Sets `name` to `value`.
    pub fn set(&self, name: &str, value: &str) {
        let mut vars = self.write();
        match vars.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value.to_string(),
            None => vars.push((name.to_string(), value.to_string())),
        }
    }

    /// Removes `name`, if it is set.
    pub fn remove(&self, name: &str) {
        self.write().retain(|(k, _)| k != name);
    }
}

/// The debugging output asked for by `LAM_DEBUG_*` variables, read once
/// when the VM starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct DebugFlags {
    /// `LAM_DEBUG_PROCS`: report each exception a process raises and each
    /// abnormal exit.
    pub procs: bool,
    /// `LAM_DEBUG_UNDEF`: report each call of an undefined function.
    pub undef: bool,
    /// `LAM_DEBUG_SLICE=N`: slices of N reductions (1 to [`BUDGET`])
    /// instead of [`BUDGET`], so that tests can stop long natives at every
    /// point where they may yield. (A process's reduction count then
    /// includes the part of each slice it never had.)
    pub slice: Option<u32>,
}

impl DebugFlags {
    /// The flags set in `env`.
    pub fn from_env(env: &Env) -> DebugFlags {
        DebugFlags {
            procs: env.get("LAM_DEBUG_PROCS").is_some(),
            undef: env.get("LAM_DEBUG_UNDEF").is_some(),
            slice: env
                .get("LAM_DEBUG_SLICE")
                .and_then(|n| n.parse::<u32>().ok())
                .map(|n| n.clamp(1, BUDGET)),
        }
    }
}

impl Ctx<'_> {
    /// The heap and literal areas, for reading terms.
    pub fn view(&self) -> View<'_> {
        View {
            heap: self.heap,
            literals: self.literals,
        }
    }

    /// The external representation of a term, local funs included.
    pub fn to_term(&self, w: Word) -> Term {
        let (code, atoms, pid) = (self.code, self.atoms, self.pid);
        self.view().to_term_with(w, atoms, &|id, index| {
            closure_of(code, atoms, pid, id, index)
        })
    }

    /// Charges `units` of work at `per` units a reduction (rounded up): a
    /// long native ends its process's slice sooner, as on the BEAM.
    pub fn charge(&mut self, units: usize, per: usize) {
        let r = u32::try_from(units.div_ceil(per.max(1))).unwrap_or(u32::MAX);
        *self.reductions = self.reductions.saturating_add(r);
    }

    /// How many units of work at `per` a reduction fit in what is left of
    /// the slice: at least `per`, so that every call makes progress.
    pub fn room(&self, per: usize) -> usize {
        BUDGET.saturating_sub(*self.reductions).max(1) as usize * per
    }

    /// The state `native` saved when it last yielded, if this call is that
    /// one made again (the same arguments); any other saved state is stale
    /// and dropped.
    pub fn resume(&mut self, native: &'static str, args: &[Word]) -> Option<Trap> {
        let t = self.trap.take()?;
        (t.native == native && t.args == args).then_some(t)
    }

    /// Yields in the middle of `native`'s work on `args`: `words` and
    /// `count` are kept for the call made again next slice ([`Ctx::resume`]).
    pub fn trap(
        &mut self,
        native: &'static str,
        args: &[Word],
        words: Vec<Word>,
        count: usize,
    ) -> NativeResult {
        self.save(Trap {
            native,
            args: args.to_vec(),
            words,
            count,
            state: None,
        })
    }

    /// As [`Ctx::trap`], keeping `state` too (which holds no term).
    pub fn trap_state(
        &mut self,
        native: &'static str,
        args: &[Word],
        words: Vec<Word>,
        state: Box<dyn std::any::Any + Send>,
    ) -> NativeResult {
        self.save(Trap {
            native,
            args: args.to_vec(),
            words,
            count: 0,
            state: Some(state),
        })
    }

    fn save(&mut self, t: Trap) -> NativeResult {
        // The slice ends here: the process yields.
        *self.reductions = (*self.reductions).max(BUDGET);
        *self.trap = Some(t);
        NativeResult::Retry
    }

    /// Room on the heap for `words` more words, or the native's end when
    /// the memory budget or the allocator refuses it (see
    /// [`Ctx::out_of_memory`]).
    pub fn reserve_words(&mut self, words: usize) -> Result<(), NativeResult> {
        let bytes = words.saturating_mul(8);
        if !self.memory.fits(bytes) || self.heap.words.try_reserve(words).is_err() {
            return Err(self.out_of_memory(bytes));
        }
        Ok(())
    }

    /// An empty buffer with room for `bytes`, or the native's end when the
    /// memory budget or the allocator refuses it.
    pub fn byte_buffer(&self, bytes: usize) -> Result<Vec<u8>, NativeResult> {
        let mut v = Vec::new();
        if !self.memory.fits(bytes) || v.try_reserve_exact(bytes).is_err() {
            return Err(self.out_of_memory(bytes));
        }
        Ok(v)
    }

    /// The end of a native that needs `bytes` more than the memory budget
    /// or the allocator gives: the process exits with reason
    /// `out_of_memory` (an `exit` exception, as `exit(out_of_memory)`
    /// raises, so a `catch` may take it), where erl stops the whole VM.
    #[cold]
    pub fn out_of_memory(&self, bytes: usize) -> NativeResult {
        NativeResult::Error(crate::vm::term::memory::refused(
            self.memory,
            self.pid,
            "a native",
            bytes,
        ))
    }

    /// A term of the external representation on the heap, local funs
    /// included (a fun whose lambda is not loaded becomes `undefined`).
    pub fn from_term(&mut self, t: &Term) -> Word {
        let (code, atoms) = (self.code, self.atoms);
        self.heap
            .from_term_with(0, t, atoms, &|c| lambda_of(code, atoms, c))
    }
}

/// What a native returns.
pub enum NativeResult {
    /// A value.
    Value(Word),
    /// An exception.
    Error(Exception),
    /// "Call module:function with these arguments" (`apply`).
    Apply(Word, Word, Vec<Word>),
    /// "Not yet": the process it acts on is running on another scheduler,
    /// or the native has used up the slice and saved where it stopped
    /// ([`Ctx::trap`]); the caller yields and makes the call again in its
    /// next slice.
    Retry,
}

/// A native function.
pub type NativeFn = fn(&mut Ctx, &[Word]) -> NativeResult;

/// An operation on what processes share (the process table, registry,
/// timers, `persistent_term`, output): what a host native asks the runtime
/// to do. The natives layer names them in its rows; the runtime carries
/// them out (`runtime::proc_natives::host`), so no native reaches the VM
/// itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum HostOp {
    Halt,
    PersistentGet,
    PrintableRange,
    AppGetEnv,
    SetLoggerConfig,
    SystemStarted,
    SystemUp,
    LoadedFiles,
    PersistentPut,
    PersistentErase,
    PutChars,
    ExitReport,
    Spawn,
    SpawnLink,
    SpawnMonitor,
    SelfPid,
    MakeRef,
    Send,
    Monitor,
    Demonitor,
    Link,
    Unlink,
    ProcessFlag,
    Register,
    Unregister,
    Whereis,
    GroupLeader,
    IsProcessAlive,
    GarbageCollect,
    Exit,
    SendAfter,
    StartTimer,
    CancelTimer,
    ReadTimer,
    ProcessInfo,
    Registered,
    Memory,
    Processes,
    SpawnOpt,
    Alias,
    Unalias,
    Yield,
    Apply,
    SystemInfo,
    Statistics,
    SystemFlag,
    TraceInfo,
    Hibernate,
    ErasePersistentTerms,
    CollectSelf,
    EtsGiveAway,
    EtsRequestAll,
    PrepareLoading,
    FinishLoading,
    HasPreparedCodeOnLoad,
    DeleteModule,
    CheckOldCode,
    PurgeModule,
    CheckProcessCode,
    RequestSystemTask,
    CallOnLoad,
    FinishAfterOnLoad,
    OpenPort,
    PortCommand,
    PortClose,
    PortConnect,
    PortInfo,
    PortControl,
    PortCall,
    Ports,
    PortGetData,
    PortSetData,
}

/// How a native runs.
#[derive(Clone, Copy)]
pub enum Fun {
    /// On the calling process's heap and dictionary alone (a [`Ctx`]).
    Heap(NativeFn),
    /// An operation on what processes share, which the runtime carries out.
    Host(HostOp),
}

/// What is special about a native (a set of bits).
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct Flags(u8);

impl Flags {
    /// Nothing.
    pub const NONE: Flags = Flags(0);
    /// Raising is what it is for (`erlang:error/1`, `throw/1`, `exit/1`,
    /// `raise/3`, `nif_error/1`, `apply/3`, ...): a stack trace records no
    /// frame of its own for it.
    pub const RAISES: Flags = Flags(1);
    /// It takes any number of arguments, at least its row's arity.
    pub const VARIADIC: Flags = Flags(1 << 1);
    /// It is a NIF of its module: the module's own stub for it (called
    /// locally, or as a local fun) runs the native too, as loading a NIF
    /// library replaces a stub's code on the BEAM.
    pub const NIF: Flags = Flags(1 << 2);
    /// It only raises `notsup`: what it would do is not implemented (the
    /// compatibility report counts it as missing).
    pub const NOTSUP: Flags = Flags(1 << 3);

    /// Both sets.
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A native: one row of a table.
#[derive(Clone, Copy)]
pub struct Native {
    /// The Erlang module it belongs to.
    pub module: &'static str,
    /// Its function name.
    pub name: &'static str,
    /// Its arity (for a variadic native, the least it takes).
    pub arity: u32,
    /// The code.
    pub fun: Fun,
    /// What is special about it.
    pub flags: Flags,
}

impl Native {
    /// A heap native `module:name/arity`.
    pub const fn heap(module: &'static str, name: &'static str, arity: u32, f: NativeFn) -> Native {
        Native {
            module,
            name,
            arity,
            fun: Fun::Heap(f),
            flags: Flags::NONE,
        }
    }

    /// A host native `module:name/arity`: the runtime does `op`.
    pub const fn host(module: &'static str, name: &'static str, arity: u32, op: HostOp) -> Native {
        Native {
            module,
            name,
            arity,
            fun: Fun::Host(op),
            flags: Flags::NONE,
        }
    }

    /// This native, marked as one whose purpose is to raise ([`Flags::RAISES`]).
    pub const fn raises(self) -> Native {
        Native {
            flags: self.flags.with(Flags::RAISES),
            ..self
        }
    }

    /// This native, marked as taking any number of arguments ([`Flags::VARIADIC`]).
    pub const fn variadic(self) -> Native {
        Native {
            flags: self.flags.with(Flags::VARIADIC),
            ..self
        }
    }

    /// This native, marked as a NIF of its module ([`Flags::NIF`]).
    pub const fn nif(self) -> Native {
        Native {
            flags: self.flags.with(Flags::NIF),
            ..self
        }
    }

    /// This native, marked as one that only raises `notsup` ([`Flags::NOTSUP`]).
    pub const fn notsup(self) -> Native {
        Native {
            flags: self.flags.with(Flags::NOTSUP),
            ..self
        }
    }

    /// Whether it only raises `notsup`.
    pub fn is_notsup(&self) -> bool {
        self.flags.contains(Flags::NOTSUP)
    }

    /// Whether it is a NIF of its module.
    pub fn is_nif(&self) -> bool {
        self.flags.contains(Flags::NIF)
    }

    /// Whether raising is its purpose.
    pub fn is_raising(&self) -> bool {
        self.flags.contains(Flags::RAISES)
    }

    /// Whether it takes any number of arguments.
    pub fn is_variadic(&self) -> bool {
        self.flags.contains(Flags::VARIADIC)
    }

    /// Its function, if it is a heap native.
    pub fn heap_fn(&self) -> Option<NativeFn> {
        match self.fun {
            Fun::Heap(f) => Some(f),
            Fun::Host(_) => None,
        }
    }
}

/// Natives by module, name and arity, built once from tables of rows.
pub struct Registry {
    exact: HashMap<(&'static str, &'static str, u32), &'static Native>,
    /// Variadic rows, by module and name.
    variadic: HashMap<(&'static str, &'static str), &'static Native>,
}

impl Registry {
    /// A registry of every row of these tables. Panics if two rows have the
    /// same module, name and arity (or two variadic rows the same name).
    pub fn new(tables: &[&'static [Native]]) -> Registry {
        let mut r = Registry {
            exact: HashMap::new(),
            variadic: HashMap::new(),
        };
        for n in tables.iter().flat_map(|t| t.iter()) {
            let clash = if n.is_variadic() {
                r.variadic.insert((n.module, n.name), n)
            } else {
                r.exact.insert((n.module, n.name, n.arity), n)
            };
            if clash.is_some() {
                panic!("two natives {}:{}/{}", n.module, n.name, n.arity);
            }
        }
        r
    }

    /// The native `module:name/arity`, if there is one.
    pub fn get(&self, module: &str, name: &str, arity: u32) -> Option<&'static Native> {
        if let Some(n) = self.exact.get(&(module, name, arity)) {
            return Some(n);
        }
        self.variadic
            .get(&(module, name))
            .copied()
            .filter(|n| arity >= n.arity)
    }

    /// Every row.
    pub fn iter(&self) -> impl Iterator<Item = &'static Native> + '_ {
        self.exact.values().chain(self.variadic.values()).copied()
    }
}

/// Raises `badarg`.
pub fn badarg() -> NativeResult {
    NativeResult::Error(Exception::badarg())
}

/// Raises an `error` with this reason.
pub fn error(reason: Word) -> NativeResult {
    NativeResult::Error(Exception::error(reason))
}

/// Returns `true` or `false`.
pub fn boolean(b: bool) -> NativeResult {
    NativeResult::Value(Word::boolean(b))
}

/// A count or index as a small integer.
pub fn small(n: usize) -> Word {
    Word::small(n as i64).expect("a count fits in a small")
}

/// A lambda of a loaded module, as `erlang:fun_info/2` describes it.
#[derive(Debug, Clone, Copy)]
pub struct LambdaInfo {
    /// The module's name.
    pub module: u32,
    /// The function the compiler made of it, if known.
    pub function: Option<u32>,
    /// Its arity, counting captured values.
    pub arity: u32,
    /// How many values it captures.
    pub free: u32,
    /// The old-style unique number.
    pub uniq: u32,
}

/// What natives may ask about the loaded code (the code layer implements it).
pub trait CodeInfo {
    /// The names of the loaded modules, in load order.
    fn loaded(&self) -> Vec<u32>;
    /// Whether a module of this name is loaded.
    fn is_loaded(&self, module: u32) -> bool;
    /// A loaded module's exports (name, arity), in the order of their code.
    fn exports(&self, module: u32) -> Option<Vec<(u32, u32)>>;
    /// A loaded module's functions, local ones too (name, arity), in code order.
    fn functions(&self, module: u32) -> Option<Vec<(u32, u32)>>;
    /// What a loaded module's `module_info` reports besides its name and
    /// functions (`[{attributes, A}, {compile, C}, {md5, B}]`), if known.
    fn module_info(&self, module: u32) -> Option<crate::term::Term>;
    /// Whether a loaded module exports `function/arity`.
    fn is_exported(&self, module: u32, function: u32, arity: u32) -> bool;
    /// The id of the loaded module of this name.
    fn module_id(&self, module: u32) -> Option<u32>;
    /// The MD5 erl gives the module loaded as `id`, if it came from a `.beam`.
    fn md5(&self, id: u32) -> Option<[u8; 16]>;
    /// Lambda `index` of the module loaded as `id`.
    fn lambda(&self, id: u32, index: u32) -> Option<LambdaInfo>;
}

/// A local fun as the external format describes it (`convert::FunsOut`):
/// lambda `index` of the module loaded as `id`, made by process `pid`.
pub fn closure_of(
    code: &dyn CodeInfo,
    atoms: &Atoms,
    pid: u64,
    id: u32,
    index: u32,
) -> Option<Closure> {
    let l = code.lambda(id, index)?;
    Some(Closure {
        module: atoms.name(l.module),
        arity: u8::try_from(l.arity.checked_sub(l.free)?).ok()?,
        // A module translated from LAM's own format has no MD5.
        uniq: code.md5(id).unwrap_or_default(),
        index,
        old_index: i64::from(index),
        old_uniq: i64::from(l.uniq),
        pid: Term::Pid {
            node: "nonode@nohost".into(),
            id: (pid & 0x7fff) as u32,
            serial: (pid >> 15) as u32,
            creation: 0,
        },
        free: Vec::new(),
    })
}

/// The lambda (module id, index) a closure from the external format names
/// (`convert::FunsIn`): its module must be loaded, and the lambda there
/// the same (arity, captured values, unique numbers), as erl requires for a
/// fun to be callable.
pub fn lambda_of(code: &dyn CodeInfo, atoms: &Atoms, c: &Closure) -> Option<(u32, u32)> {
    let id = code.module_id(atoms.existing(&c.module)?)?;
    let l = code.lambda(id, c.index)?;
    let same = l.arity.checked_sub(l.free) == Some(u32::from(c.arity))
        && l.free as usize == c.free.len()
        && i64::from(l.uniq) == c.old_uniq
        && code.md5(id).is_none_or(|m| m == c.uniq);
    same.then_some((id, c.index))
}
