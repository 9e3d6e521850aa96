//! Layer 3, the native API: what a native function sees (its [`Ctx`]), what
//! it returns ([`NativeResult`]), and the narrow views of the rest of the VM
//! it may use ([`CodeInfo`]). Natives are written against this and nothing
//! above it, so they never reach into the run loop or the process table.

use std::sync::Arc;

use crate::vm::term::atoms::{Atoms, atom};
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
}

impl Ctx<'_> {
    /// The heap and literal areas, for reading terms.
    pub fn view(&self) -> View<'_> {
        View {
            heap: self.heap,
            literals: self.literals,
        }
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
    /// "Not yet": the process it acts on is running on another scheduler;
    /// the caller yields and makes the call again in its next slice.
    Retry,
}

/// A native function.
pub type NativeFn = fn(&mut Ctx, &[Word]) -> NativeResult;

/// Raises `badarg`.
pub fn badarg() -> NativeResult {
    NativeResult::Error(Exception::error(Word::atom(atom::BADARG)))
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
    /// Whether a loaded module exports `function/arity`.
    fn is_exported(&self, module: u32, function: u32, arity: u32) -> bool;
    /// Lambda `index` of the module loaded as `id`.
    fn lambda(&self, id: u32, index: u32) -> Option<LambdaInfo>;
}
