//! Loading: finding a module's `.beam` (or `.lam`) on the code path,
//! translating it, and linking it into executable form: operands resolved to
//! registers, constant words and instruction indices; literals placed in the
//! module's own literal area; imports resolved on first call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::lam::isa::{FLOAT_REG_BASE, LamOp, Operand, X_REGS};
use crate::lam::module::Module;
use crate::term::Term;
use crate::vm::code::kinds::{FailKind, FunKind, MapKind, MarkKind, SelectKind, SpawnKind};
use crate::vm::native::{CodeInfo, LambdaInfo, Registry};
use crate::vm::ops::arith::ArithOp;
use crate::vm::ops::bs::BsOp;
use crate::vm::ops::test::TestOp;
use crate::vm::term::atoms::Atoms;
use crate::vm::term::heap::Area;
use crate::vm::term::word::Word;

/// A source operand, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Src {
    /// `x[n]`.
    X(u16),
    /// `y[n]`.
    Y(u16),
    /// A constant: an immediate or a pointer into the literal area.
    C(Word),
}

/// An `x` (below `Reg::Y`) or `y` (`Reg::Y | n`) register in two bytes,
/// for runs of moves packed into one instruction.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reg(pub u16);

impl Reg {
    /// The bit that marks a `y` register.
    pub const Y: u16 = 0x8000;

    fn of_src(s: &Src) -> Option<Reg> {
        match *s {
            Src::X(r) if r < Reg::Y => Some(Reg(r)),
            Src::Y(r) if r < Reg::Y => Some(Reg(Reg::Y | r)),
            _ => None,
        }
    }

    fn of_dst(d: &Dst) -> Option<Reg> {
        match *d {
            Dst::X(r) if r < Reg::Y => Some(Reg(r)),
            Dst::Y(r) if r < Reg::Y => Some(Reg(Reg::Y | r)),
            _ => None,
        }
    }
}

/// The most moves one `Ins::Moves` holds.
pub const MOVES_MAX: usize = 8;

/// What an `Ins::Moves` does after its moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MovesThen {
    /// The next instruction (not a local call).
    Next,
    /// A local `call`.
    Call,
    /// A local `tail_call`.
    TailCall,
    /// `deallocate`, then a local `tail_call`.
    DeallocTailCall,
    /// `trim`, then a local `call` (the frame's dead slots dropped before
    /// the last call that keeps it).
    TrimCall,
}

/// What a local call's callee does first when that is a test which, on
/// small integers, sends it straight back to its caller (a base case:
/// tak's `if Y < X -> ...; true -> Z end`, fib's `fib(0) -> 0; fib(1) ->
/// 1`). The call instruction evaluates it (`mark_leaves`): when the
/// callee would return at once, the call is answered where it stands,
/// one dispatch where there were three and no return address pushed and
/// popped. Anything else (a bignum, a float, a test that passes) makes
/// the call as it is.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[allow(missing_docs)] // fields: by the variants' lines
pub enum Leaf {
    /// The callee has no such test.
    #[default]
    None,
    /// It returns `x[ret]` when `x[a] >= x[b]`.
    Ge { a: u16, b: u16, ret: u16 },
    /// It returns `x0` as it is when `x0 - base` is a set bit of `mask`.
    Select { base: i16, mask: u16 },
}

/// A destination, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dst {
    /// `x[n]`.
    X(u16),
    /// `y[n]`.
    Y(u16),
    /// Nowhere.
    Discard,
}

/// A call target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// An instruction of this module.
    Local(u32),
    /// An import of this module.
    Import(u32),
}

/// A BIF common in guards that the run loop does without calling its
/// native when the arguments have the usual shape (`exec/fast.rs`); the
/// native still does the rest: errors, long lists, hash maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardBif {
    /// `element/2`.
    Element,
    /// `tuple_size/1`.
    TupleSize,
    /// `hd/1`.
    Hd,
    /// `tl/1`.
    Tl,
    /// `length/1`.
    Length,
    /// `map_get/2`.
    MapGet,
    /// `is_map_key/2`.
    IsMapKey,
    /// A comparison as a value (`=:=`, `<`, ...): `true` when the test holds.
    Cmp(TestOp),
    /// A comparison as a value with its operands swapped (`>` is `<`
    /// swapped, `=<` is `>=` swapped).
    CmpSwapped(TestOp),
}

impl GuardBif {
    /// The guard BIF `erlang:name/arity` is, if the run loop knows it.
    pub fn of(module: &str, name: &str, arity: u32) -> Option<GuardBif> {
        use GuardBif::*;
        if module != "erlang" {
            return None;
        }
        Some(match (name, arity) {
            ("element", 2) => Element,
            ("tuple_size", 1) => TupleSize,
            ("hd", 1) => Hd,
            ("tl", 1) => Tl,
            ("length", 1) => Length,
            ("map_get", 2) => MapGet,
            ("is_map_key", 2) => IsMapKey,
            ("=:=", 2) => Cmp(TestOp::EqExact),
            ("=/=", 2) => Cmp(TestOp::NeExact),
            ("==", 2) => Cmp(TestOp::Eq),
            ("/=", 2) => Cmp(TestOp::Ne),
            ("<", 2) => Cmp(TestOp::Lt),
            (">=", 2) => Cmp(TestOp::Ge),
            (">", 2) => CmpSwapped(TestOp::Lt),
            ("=<", 2) => CmpSwapped(TestOp::Ge),
            _ => return None,
        })
    }
}

/// "No label": the instruction raises instead of jumping.
pub const NOFAIL: u32 = u32::MAX;

/// An executable instruction (one per LAM instruction, some fused).
///
/// Field names are the same across variants: `src` and `dst` are a source
/// operand and a destination; `fail` is a fail label (`NOFAIL`: raise
/// instead); `label` any other jump target; `import` an index into the
/// module's imports; `arity` a call's number of arguments; `live` the
/// number of live x registers. Fields keep the order (and types) they had
/// as tuple fields, so the enum's layout does not change. The tag is a
/// byte of its own (`repr(u8)`): with a niche in the first field's tag
/// instead, each dispatch first decoded it (a subtraction, a conditional
/// move and a range check before the jump); a variant's fields are then
/// laid out in their declared order, so a small field goes first.
#[derive(Debug, Clone)]
#[allow(missing_docs)] // fields: by the names above and each variant's line
#[repr(u8)]
pub enum Ins {
    /// Copies `src` into `dst`.
    Move { src: Src, dst: Dst },
    /// Exchanges the contents of two registers.
    Swap { a: Dst, b: Dst },
    /// Pushes a frame of `slots` y registers, then skips the `skip`
    /// instructions after it: `move [], y` stores into the new frame,
    /// which already holds `[]` in every slot (see `fuse`). No collection
    /// here (the LAM operand of live x registers is the verifier's): a
    /// frame is on the stack, and the next call tests the heap.
    Allocate { slots: u32, skip: u32 },
    /// Pops the current frame.
    Deallocate,
    /// Drops the lowest `slots` y registers of the current frame.
    Trim { slots: u32 },
    /// Jumps to a label.
    Jump(u32),
    /// Jumps back to a label, charging a reduction (a trampoline after the
    /// module's code that every backward edge goes through): the process
    /// yields here when its slice is spent.
    LoopJump(u32),
    /// A test (`op`) of any number of arguments: falls through when it
    /// holds, else jumps to `fail`.
    Test {
        op: TestOp,
        fail: u32,
        args: Box<[Src]>,
    },
    /// A test of one argument (most are), without the indirection.
    Test1 { op: TestOp, fail: u32, arg: Src },
    /// A test of two arguments (comparisons), without the indirection.
    Test2 {
        op: TestOp,
        fail: u32,
        lhs: Src,
        rhs: Src,
    },
    /// Jumps to the label paired with `src`'s value (or its tuple arity),
    /// else to `fail`.
    Select {
        kind: SelectKind,
        src: Src,
        fail: u32,
        /// The values and their labels; sorted by word when `sorted`.
        table: Box<[(Word, u32)]>,
        /// Every value is an immediate (an atom, a small integer), so the
        /// table is sorted by its words and searched by halving: a large
        /// table (OTP's `unicode_util` has thousands of values) costs a
        /// few comparisons, not one per value.
        sorted: bool,
    },
    /// Calls `target` with `arity` arguments in x registers.
    Call { arity: u32, target: Target },
    /// Calls `target` in place of the current function.
    TailCall { arity: u32, target: Target },
    /// `call_fun` (or, with `tail`, `tail_call_fun`).
    CallFun {
        kind: FunKind,
        arity: u32,
        fun: Src,
        tail: bool,
    },
    /// Returns to the caller.
    Return,
    /// Calls the BIF `import` on `args` into `dst`; on an error, jumps to
    /// `fail` (or raises).
    Bif {
        import: u32,
        fail: u32,
        args: Box<[Src]>,
        dst: Dst,
    },
    /// A `bif` whose import is a heap-only native, resolved at link time:
    /// the function, the import (for error reports), fail label,
    /// arguments, and which guard BIF it is when the run loop does that
    /// one itself on the common shapes.
    Native {
        native: crate::vm::native::NativeFn,
        import: u32,
        fail: u32,
        args: Box<[Src]>,
        dst: Dst,
        guard: Option<GuardBif>,
    },
    /// Arithmetic (`op`) on `lhs` and `rhs` into `dst`.
    Arith {
        op: ArithOp,
        fail: u32,
        lhs: Src,
        rhs: Src,
        dst: Dst,
    },
    /// Builds a tuple of `elems` into `dst`.
    MakeTuple { dst: Dst, elems: Box<[Src]> },
    /// Element `index` (from 0) of `tuple` into `dst`.
    GetElement { tuple: Src, index: u32, dst: Dst },
    /// Builds the list cell `[head | tail]` into `dst`.
    Cons { head: Src, tail: Src, dst: Dst },
    /// Splits the list cell `list` into its head and tail.
    SplitList { list: Src, head: Dst, tail: Dst },
    /// Map `src` with `pairs` put in, into `dst` (`kind`: `assoc` puts any
    /// key, `exact` only updates existing ones, else `fail`).
    PutMap {
        kind: MapKind,
        fail: u32,
        src: Src,
        dst: Dst,
        pairs: Box<[(Src, Src)]>,
    },
    /// Gets the value of each key of `pairs` from map `src` into its
    /// destination, else jumps to `fail`.
    GetMap {
        fail: u32,
        src: Src,
        pairs: Box<[(Src, Dst)]>,
    },
    /// Builds a fun of the module's lambda `lambda` with free variables
    /// `free` into `dst`.
    MakeFun {
        lambda: u32,
        dst: Dst,
        free: Box<[Src]>,
    },
    /// Installs a handler at `label`, marked in y register `slot`.
    Try { slot: Dst, label: u32 },
    /// Removes the handler marked in `slot`; `landing`: this is its try's
    /// landing pad (`lam::verify::try_landings`), where ordinary control
    /// flow, which the compiler knew never arrives, finds x1..x3 emptied.
    TryEnd { slot: Dst, landing: bool },
    /// Removes the handler marked in `slot`, and turns an exception caught
    /// by it into `catch`'s value.
    CatchEnd { slot: Dst },
    /// Raises an exception of `class`, `reason` and `trace`; a class that
    /// is none goes on with badarg in x0 when `goes_on`
    /// (`lam::verify::raise_goes_on`), else raises badarg.
    Raise {
        goes_on: bool,
        class: Src,
        reason: Src,
        trace: Src,
    },
    /// Raises an error of `kind` (`badmatch`, ...) with `value`.
    Fail { kind: FailKind, value: Src },
    /// The process's pid into a register.
    SelfPid(Dst),
    /// `send`: x1 to x0 (x1 is the value).
    Send,
    /// The current message into `dst`, or to `label` when there is none.
    PeekMessage { label: u32, dst: Dst },
    /// Steps past the current message, to `label`.
    NextMessage { label: u32 },
    /// Removes the current message from the mailbox.
    RemoveMessage,
    /// Waits for a message (then goes to `label`) or for `timeout`.
    Wait { label: u32, timeout: Src },
    /// Only `reserve` and `use` do anything (the register is all a mark is).
    RecvMark { kind: MarkKind, dst: Dst },
    /// Spawns a process (how, by `kind`) to run a fun of `arity` arguments.
    Spawn { kind: SpawnKind, arity: u32 },
    // Float registers (LAM's x1024 and up) hold raw f64 bits, never terms:
    // the loader gives every instruction that touches one a form of its own,
    // so float arithmetic allocates nothing. Register numbers are absolute.
    /// A float (or any number) into a float register.
    FLoad { src: Src, dst: u16 },
    /// A float register, boxed, into a term register.
    FStore { src: u16, dst: Dst },
    /// Float arithmetic (`+ - * /`) on float registers.
    FArith {
        op: ArithOp,
        fail: u32,
        lhs: u16,
        rhs: u16,
        dst: u16,
    },
    /// `-F` on float registers.
    FNeg { fail: u32, src: u16, dst: u16 },
    // Pairs fused by the loader (see `fuse`): the first instruction of a
    // pair does both and skips the second, which stays in place for jumps
    // that land on it.
    /// `move` then `move`.
    Move2 { s1: Src, d1: Dst, s2: Src, d2: Dst },
    /// `deallocate` then `return`.
    DeallocReturn,
    /// `move` then `return`, or (with `dealloc`) `move`, `deallocate`,
    /// `return`: how nearly every function hands back its result.
    MoveReturn { src: Src, dst: Dst, dealloc: bool },
    /// `call_fun` then `deallocate`, `return`: a tail call (as the BEAM's
    /// loader makes it, so the caller's frame is gone from stack traces
    /// there too).
    CallFunLast { kind: FunKind, arity: u32, fun: Src },
    /// `move` then a local `call` (or `tail_call`, with `tail`) to `to`:
    /// the moves that set up a call's arguments cost no dispatch.
    MoveCall {
        tail: bool,
        to: u32,
        src: Src,
        dst: Dst,
    },
    /// `move`, `move`, `deallocate`, then a local `tail_call` (the last
    /// call of a function with a frame).
    Move2DeallocTail {
        to: u32,
        s1: Src,
        d1: Dst,
        s2: Src,
        d2: Dst,
    },
    /// A run of three to `MOVES_MAX` moves between registers (`regs`:
    /// source and destination of each, see [`Reg`]), then (`then`)
    /// nothing, or a local `call`, `tail_call` or `deallocate`, `tail_call`
    /// to `to`: the argument shuffles around nested calls (tak's
    /// `tak(tak(..), tak(..), tak(..))` moves five or six registers
    /// between calls) in one dispatch.
    Moves {
        n: u8,
        then: MovesThen,
        /// The slots `MovesThen::TrimCall` trims.
        trim: u16,
        to: u32,
        regs: [(Reg, Reg); MOVES_MAX],
        /// The callee's base case, when `then` is a call.
        leaf: Leaf,
    },
    /// `move`, `move`, then a local `call` or `tail_call`.
    /// (The destinations after both sources: in declared order, as
    /// `repr(u8)` lays them out, the variant holds its leaf in 56 bytes.)
    Move2Call {
        tail: bool,
        /// The callee's base case.
        leaf: Leaf,
        to: u32,
        s1: Src,
        s2: Src,
        d1: Dst,
        d2: Dst,
    },
    // The commonest arithmetic and tests, one variant each, so that the
    // dispatch itself selects the operation (no second jump on a kind).
    /// `arith add`.
    Add {
        fail: u32,
        lhs: Src,
        rhs: Src,
        dst: Dst,
    },
    /// `arith sub`.
    Sub {
        fail: u32,
        lhs: Src,
        rhs: Src,
        dst: Dst,
    },
    /// `arith add` of a small integer constant (`rhs`, a small integer
    /// word): `N + 1`.
    AddI {
        fail: u32,
        lhs: Src,
        rhs: Word,
        dst: Dst,
    },
    /// `arith sub` of a small integer constant: `N - 1`.
    SubI {
        fail: u32,
        lhs: Src,
        rhs: Word,
        dst: Dst,
    },
    /// `test lt` against a small integer constant: `N < 2`.
    LtI { fail: u32, lhs: Src, rhs: Word },
    /// `test ge` against a small integer constant.
    GeI { fail: u32, lhs: Src, rhs: Word },
    /// `element/2` (a `bif` of the heap-only native `native`, import
    /// `import`): element `index` of `tuple` into `dst`, the one guard
    /// BIF that loops over tuples run on every step (`element(I, Row)`).
    /// `dst` first: the tag is a byte, so a small field fits beside it.
    Element {
        dst: Dst,
        fail: u32,
        import: u32,
        index: Src,
        tuple: Src,
        native: crate::vm::native::NativeFn,
    },
    /// `test lt` of a small integer constant against `lhs`, operands
    /// swapped: passes when `lhs > rhs` (`when N > 0`).
    GtI { fail: u32, lhs: Src, rhs: Word },
    /// `test ge` of a small integer constant against `lhs`, operands
    /// swapped: passes when `lhs =< rhs`.
    LeI { fail: u32, lhs: Src, rhs: Word },
    /// `test lt`.
    Lt { fail: u32, lhs: Src, rhs: Src },
    /// `test ge`.
    Ge { fail: u32, lhs: Src, rhs: Src },
    /// `test eq_exact`.
    EqExact { fail: u32, lhs: Src, rhs: Src },
    /// `test ne_exact`.
    NeExact { fail: u32, lhs: Src, rhs: Src },
    /// `arith add` or `sub` (`op`) of a small integer constant, then a
    /// local call (or `tail_call`, with `tail`) to `to`: `len(N + 1, T)`.
    ArithICall {
        op: ArithOp,
        tail: bool,
        dst: Dst,
        to: u32,
        fail: u32,
        lhs: Src,
        rhs: Word,
    },
    /// A `select` on values that are all small integers close together
    /// (clauses on `0`, `1`, ...): `src`'s label is `labels[src - base]`,
    /// a hole or anything else going to `fail` (an integer of no table
    /// equals a value that is not a small integer exactly).
    SelectInt {
        src: Src,
        fail: u32,
        base: i64,
        labels: Box<[u32]>,
    },
    /// Two `test`s of one argument of the same `op` and `fail` label, on
    /// `a` then `b` (`when is_integer(A), is_integer(B)`).
    Test1Pair {
        op: TestOp,
        fail: u32,
        a: Src,
        b: Src,
    },
    /// `test lt` whose fail label is `move ret, x0`, `return` (or just
    /// `return`: `ret` is then `x0`), and when `pass_ret`, whose next
    /// instruction is `return` too: a clause that ends in a comparison
    /// (`max/2`, tak's `Y < X` and its last clause). Tag, `pass_ret`
    /// and `fail` share the first word.
    LtRet {
        pass_ret: bool,
        fail: u32,
        lhs: Src,
        rhs: Src,
        ret: Src,
    },
    /// `test is_nonempty_list` then `split_list` of the same list (fused).
    ListSplit {
        fail: u32,
        list: Src,
        head: Dst,
        tail: Dst,
    },
    /// `lam:build_stacktrace/1`: the stack trace of the raw trace in
    /// `raw`, built if the raise left it for later.
    BuildStacktrace { raw: Src, dst: Dst },
    /// A `bif` of a matching native with constant operands (see `BsOp`):
    /// the op, the import, fail label, the match context, destination,
    /// and the native that does what the run loop leaves.
    BsMatch {
        op: BsOp,
        import: u32,
        fail: u32,
        ctx: Src,
        dst: Dst,
        native: crate::vm::native::NativeFn,
    },
}

// The run loop reads one of these per dispatch: keep them small.
const _: () = assert!(std::mem::size_of::<Ins>() <= 56);

/// Fuses common runs of instructions into one dispatch. Instruction
/// indices do not change (the first instruction of a run does the whole
/// run; the others stay in place for jumps that land on them), so labels,
/// the line table and return addresses stay valid. Going forward, the
/// instructions after `i` are still the originals when `i` is fused.
fn fuse(code: &mut [Ins]) {
    // Whether a local call (tail, frame popped first, target) starts at `i`.
    fn local_call(code: &[Ins], i: usize) -> Option<(bool, bool, u32)> {
        match code.get(i) {
            Some(Ins::Call {
                target: Target::Local(l),
                ..
            }) => Some((false, false, *l)),
            Some(Ins::TailCall {
                target: Target::Local(l),
                ..
            }) => Some((true, false, *l)),
            Some(Ins::Deallocate) => match code.get(i + 1) {
                Some(Ins::TailCall {
                    target: Target::Local(l),
                    ..
                }) => Some((true, true, *l)),
                _ => None,
            },
            _ => None,
        }
    }
    // Whether the moves from `i` are an odd run of three or more that ends
    // in `deallocate`, `tail_call`: then the run's first move is best left
    // alone, so that its last two fuse with the call (pairs from the start
    // would leave one move, the `deallocate` and the call to three
    // dispatches).
    fn odd_run_to_dealloc_tail(code: &[Ins], i: usize) -> bool {
        let run = code[i..]
            .iter()
            .take_while(|c| matches!(c, Ins::Move { .. }))
            .count();
        run >= 3 && run % 2 == 1 && matches!(local_call(code, i + run), Some((true, true, _)))
    }
    // A small integer constant operand, whose value the loop takes from
    // the word with no test.
    fn small(s: &Src) -> Option<Word> {
        match s {
            Src::C(w) if w.as_small().is_some() => Some(*w),
            _ => None,
        }
    }
    // The local call or tail call at `i` an `add` or `sub` of a small
    // constant just before it fuses with (not one after `deallocate`).
    fn call_after_arith(code: &[Ins], i: usize) -> Option<(bool, u32)> {
        match local_call(code, i)? {
            (tail, false, to) => Some((tail, to)),
            (_, true, _) => None,
        }
    }
    // A `select` table of small integers as the smallest value and the
    // labels from there, when they span at most `INT_TABLE` values (the
    // first of equal values wins, as in a scan).
    fn int_table(table: &[(Word, u32)]) -> Option<(i64, Vec<Option<u32>>)> {
        const INT_TABLE: i64 = 64;
        let ints: Option<Vec<i64>> = table.iter().map(|(w, _)| w.as_small()).collect();
        let ints = ints?;
        let (lo, hi) = (*ints.iter().min()?, *ints.iter().max()?);
        if hi - lo >= INT_TABLE {
            return None;
        }
        let mut labels = vec![None; (hi - lo + 1) as usize];
        for (i, (_, l)) in ints.iter().zip(table) {
            labels[(i - lo) as usize].get_or_insert(*l);
        }
        Some((lo, labels))
    }
    // How many `move [], y` into a frame of `slots` follow `i` (the
    // compiler's `init_yregs`, for slots a collection may see before
    // they are written): a frame is pushed with `[]` in every slot, so
    // `allocate` skips them (they stay in place for jumps that land on
    // them).
    fn nil_stores(code: &[Ins], i: usize, slots: u32) -> u32 {
        code[i + 1..]
            .iter()
            .take_while(|c| {
                matches!(c, Ins::Move { src: Src::C(w), dst: Dst::Y(y) }
                    if *w == Word::NIL && u32::from(*y) < slots)
            })
            .count() as u32
    }
    // The moves between registers from `i` (at most `MOVES_MAX`), and
    // what follows them when they are all the moves there are.
    #[allow(clippy::type_complexity)]
    fn register_moves(code: &[Ins], i: usize) -> (Vec<(Reg, Reg)>, Option<(MovesThen, u16, u32)>) {
        let moves: Vec<(Reg, Reg)> = code[i..]
            .iter()
            .map_while(|c| match c {
                Ins::Move { src, dst } => Some((Reg::of_src(src)?, Reg::of_dst(dst)?)),
                _ => None,
            })
            .take(MOVES_MAX)
            .collect();
        let after = i + moves.len();
        let then = match (local_call(code, after), code.get(after)) {
            (Some((false, _, to)), _) => Some((MovesThen::Call, 0, to)),
            (Some((true, false, to)), _) => Some((MovesThen::TailCall, 0, to)),
            (Some((true, true, to)), _) => Some((MovesThen::DeallocTailCall, 0, to)),
            (None, Some(&Ins::Trim { slots })) => match local_call(code, after + 1) {
                Some((false, _, to)) => u16::try_from(slots)
                    .ok()
                    .map(|t| (MovesThen::TrimCall, t, to)),
                _ => None,
            },
            _ => None,
        };
        (moves, then)
    }
    for i in 0..code.len() {
        let fused = match (&code[i], code.get(i + 1)) {
            (Ins::Move { .. }, Some(Ins::Move { .. })) if register_moves(code, i).0.len() >= 3 => {
                let (moves, then) = register_moves(code, i);
                let mut regs = [(Reg::default(), Reg::default()); MOVES_MAX];
                regs[..moves.len()].copy_from_slice(&moves);
                let (then, trim, to) = then.unwrap_or((MovesThen::Next, 0, 0));
                Ins::Moves {
                    n: moves.len() as u8,
                    then,
                    trim,
                    to,
                    regs,
                    leaf: Leaf::None,
                }
            }
            (&Ins::Allocate { slots, .. }, _) if nil_stores(code, i, slots) > 0 => Ins::Allocate {
                slots,
                skip: nil_stores(code, i, slots),
            },
            // `len(N + 1, T)`: the argument's arithmetic, then the call.
            (
                &Ins::Add {
                    fail,
                    lhs,
                    rhs,
                    dst,
                }
                | &Ins::Sub {
                    fail,
                    lhs,
                    rhs,
                    dst,
                },
                _,
            ) if small(&rhs).is_some() && call_after_arith(code, i + 1).is_some() => {
                let (tail, to) = call_after_arith(code, i + 1).expect("checked");
                Ins::ArithICall {
                    op: match code[i] {
                        Ins::Add { .. } => ArithOp::Add,
                        _ => ArithOp::Sub,
                    },
                    tail,
                    dst,
                    to,
                    fail,
                    lhs,
                    rhs: small(&rhs).expect("checked"),
                }
            }
            (
                &Ins::Test1 { op, fail, arg: a },
                Some(&Ins::Test1 {
                    op: op2,
                    fail: fail2,
                    arg: b,
                }),
            ) if op == op2 && fail == fail2 => Ins::Test1Pair { op, fail, a, b },
            // Not a fusion: a table of small integers becomes a jump table.
            (
                Ins::Select {
                    kind: SelectKind::Value,
                    src,
                    fail,
                    table,
                    ..
                },
                _,
            ) if int_table(table).is_some() => {
                let (base, labels) = int_table(table).expect("checked");
                Ins::SelectInt {
                    src: *src,
                    fail: *fail,
                    base,
                    labels: labels.into_iter().map(|l| l.unwrap_or(*fail)).collect(),
                }
            }
            // Not fusions: operands of the commonest shape get a variant of
            // their own (one operand fewer to decode).
            (
                &Ins::Add {
                    fail,
                    lhs,
                    rhs,
                    dst,
                },
                _,
            ) if small(&rhs).is_some() => Ins::AddI {
                fail,
                lhs,
                rhs: small(&rhs).expect("checked"),
                dst,
            },
            (
                &Ins::Sub {
                    fail,
                    lhs,
                    rhs,
                    dst,
                },
                _,
            ) if small(&rhs).is_some() => Ins::SubI {
                fail,
                lhs,
                rhs: small(&rhs).expect("checked"),
                dst,
            },
            (&Ins::Lt { fail, lhs, rhs }, _) if small(&rhs).is_some() => Ins::LtI {
                fail,
                lhs,
                rhs: small(&rhs).expect("checked"),
            },
            (&Ins::Ge { fail, lhs, rhs }, _) if small(&rhs).is_some() => Ins::GeI {
                fail,
                lhs,
                rhs: small(&rhs).expect("checked"),
            },
            // The compiler writes `N > 0` as `0 < N`: the constant first.
            (&Ins::Lt { fail, lhs, rhs }, _) if small(&lhs).is_some() => Ins::GtI {
                fail,
                lhs: rhs,
                rhs: small(&lhs).expect("checked"),
            },
            (&Ins::Ge { fail, lhs, rhs }, _) if small(&lhs).is_some() => Ins::LeI {
                fail,
                lhs: rhs,
                rhs: small(&lhs).expect("checked"),
            },
            (&Ins::Lt { fail, lhs, rhs }, next) if returns(code, fail).is_some() => Ins::LtRet {
                pass_ret: matches!(next, Some(Ins::Return)),
                fail,
                lhs,
                rhs,
                ret: returns(code, fail).expect("checked"),
            },
            (Ins::Move { .. }, Some(Ins::Move { .. })) if odd_run_to_dealloc_tail(code, i) => {
                continue;
            }
            (Ins::Move { src: s1, dst: d1 }, Some(Ins::Move { src: s2, dst: d2 })) => {
                match local_call(code, i + 2) {
                    Some((true, true, to)) => Ins::Move2DeallocTail {
                        to,
                        s1: *s1,
                        d1: *d1,
                        s2: *s2,
                        d2: *d2,
                    },
                    Some((tail, _, to)) => Ins::Move2Call {
                        tail,
                        to,
                        s1: *s1,
                        d1: *d1,
                        s2: *s2,
                        d2: *d2,
                        leaf: Leaf::None,
                    },
                    None => Ins::Move2 {
                        s1: *s1,
                        d1: *d1,
                        s2: *s2,
                        d2: *d2,
                    },
                }
            }
            (Ins::Move { src: s, dst: d }, next) => match local_call(code, i + 1) {
                Some((tail, false, to)) => Ins::MoveCall {
                    tail,
                    to,
                    src: *s,
                    dst: *d,
                },
                Some((_, true, _)) => continue,
                None => match (next, code.get(i + 2)) {
                    (Some(Ins::Return), _) => Ins::MoveReturn {
                        src: *s,
                        dst: *d,
                        dealloc: false,
                    },
                    (Some(Ins::Deallocate), Some(Ins::Return)) => Ins::MoveReturn {
                        src: *s,
                        dst: *d,
                        dealloc: true,
                    },
                    _ => continue,
                },
            },
            (Ins::Deallocate, Some(Ins::Return)) => Ins::DeallocReturn,
            (
                Ins::Test1 {
                    op: TestOp::IsNonemptyList,
                    fail,
                    arg: s,
                },
                Some(Ins::SplitList {
                    list: s2,
                    head: h,
                    tail: t,
                }),
            ) if s == s2 => Ins::ListSplit {
                fail: *fail,
                list: *s,
                head: *h,
                tail: *t,
            },
            (
                Ins::CallFun {
                    kind,
                    arity,
                    fun,
                    tail: false,
                },
                Some(Ins::Deallocate),
            ) if matches!(code.get(i + 2), Some(Ins::Return)) => Ins::CallFunLast {
                kind: *kind,
                arity: *arity,
                fun: *fun,
            },
            _ => continue,
        };
        code[i] = fused;
    }
    mark_leaves(code);
}

/// What the instructions at `at` return, when they are `move S, x0`,
/// `return` (`S`) or `return` (`x0`); either may be fused already (`fuse`
/// looks before and after fusing, `mark_leaves` after).
fn returns(code: &[Ins], at: u32) -> Option<Src> {
    let at = at as usize;
    match (code.get(at)?, code.get(at + 1)) {
        (Ins::Return, _) => Some(Src::X(0)),
        (
            Ins::Move {
                src,
                dst: Dst::X(0),
            }
            | Ins::MoveReturn {
                src,
                dst: Dst::X(0),
                dealloc: false,
            },
            Some(Ins::Return),
        ) => Some(*src),
        _ => None,
    }
}

/// Gives each fused local call its callee's [`Leaf`]; after `fuse`, as
/// the base case's test is one of its fusions (`LtRet`, `SelectInt`).
fn mark_leaves(code: &mut [Ins]) {
    let leaf_at = |code: &[Ins], to: u32| -> Leaf {
        let x = |s: &Src| match *s {
            Src::X(r) => Some(r),
            _ => None,
        };
        match code.get(to as usize) {
            // The test fails (`a >= b`): `move ret, x0`, `return`.
            Some(Ins::LtRet { lhs, rhs, ret, .. }) => match (x(lhs), x(rhs), x(ret)) {
                (Some(a), Some(b), Some(ret)) => Leaf::Ge { a, b, ret },
                _ => Leaf::None,
            },
            // The test passes: `move ret, x0`, `return`, or `return`.
            Some(Ins::Ge { lhs, rhs, .. }) => {
                let ret = returns(code, to + 1).and_then(|s| x(&s));
                match (x(lhs), x(rhs), ret) {
                    (Some(a), Some(b), Some(ret)) => Leaf::Ge { a, b, ret },
                    _ => Leaf::None,
                }
            }
            Some(Ins::SelectInt {
                src: Src::X(0),
                base,
                labels,
                ..
            }) => {
                let mask = labels.iter().take(16).enumerate().fold(0u16, |m, (k, l)| {
                    if matches!(code.get(*l as usize), Some(Ins::Return)) {
                        m | 1 << k
                    } else {
                        m
                    }
                });
                match i16::try_from(*base) {
                    Ok(base) if mask != 0 => Leaf::Select { base, mask },
                    _ => Leaf::None,
                }
            }
            _ => Leaf::None,
        }
    };
    for i in 0..code.len() {
        let found = match &code[i] {
            Ins::Moves { then, to, .. } if *then != MovesThen::Next => leaf_at(code, *to),
            Ins::Move2Call { to, .. } => leaf_at(code, *to),
            _ => continue,
        };
        match &mut code[i] {
            Ins::Moves { leaf, .. } | Ins::Move2Call { leaf, .. } => *leaf = found,
            _ => {}
        }
    }
}

/// What an import resolves to.
#[derive(Debug, Clone, Copy)]
pub enum Callee {
    /// A native function.
    Native(crate::vm::native::NativeFn),
    /// Code: module id and entry instruction.
    Code(u32, u32),
    /// A native that acts on processes or what they share: the runtime does it.
    Host(crate::vm::native::HostOp),
}

/// A linked module.
#[derive(Debug)]
pub struct Loaded {
    /// Its index in the VM (its literal area is `id + 1`).
    pub id: u32,
    /// Its name, as a global atom.
    pub name: u32,
    /// The code.
    pub code: Vec<Ins>,
    /// Imports as global atoms (module, function, arity).
    pub imports: Vec<(u32, u32, u32)>,
    /// Imports resolved to a native, once resolved (natives never change).
    pub resolved: Vec<OnceLock<Callee>>,
    /// Imports resolved to code: `(module id + 1) << 32 | entry`, 0 while
    /// unresolved. Unlike a native, the code an import reaches changes
    /// when its module is replaced or deleted: the VM clears the slots
    /// that reach the code made old (`Loaded::forget`), so the next call
    /// resolves to the current code, as an erl call through the export
    /// table does.
    pub code_imports: Vec<AtomicU64>,
    /// Which version of its module this is ([`CURRENT`], [`OLD`], or
    /// [`GONE`] once purged): what natives that name a module by its name
    /// (`module_loaded/1`, `function_exported/3`, `module_info`) see.
    pub state: AtomicU8,
    /// Exported functions: (name, arity) → entry.
    pub exports: HashMap<(u32, u32), u32>,
    /// Lambdas: entry, arity (with captured values), captured count, old uniq.
    pub lambdas: Vec<(u32, u32, u32, u32)>,
    /// The lambda that runs the module's `-on_load` function, if it has one.
    pub on_load: Option<u32>,
    /// The LAM module (function table and line table, for stack traces).
    pub lam: Module,
    /// Local atom index → global atom.
    pub atoms: Vec<u32>,
    /// The MD5 erl gives the module, when it was read from a `.beam` file.
    pub md5: Option<[u8; 16]>,
}

/// [`Loaded::state`]: the module's current code.
pub const CURRENT: u8 = 0;
/// [`Loaded::state`]: old code, replaced or deleted but not yet purged
/// (processes running it go on running it).
pub const OLD: u8 = 1;
/// [`Loaded::state`]: purged code. It stays in memory (module ids and
/// literal areas are never reused), but no name reaches it.
pub const GONE: u8 = 2;
/// [`Loaded::state`]: code loaded with an `-on_load` function that has not
/// yet succeeded (`erlang:finish_after_on_load/2` makes it current).
pub const PENDING: u8 = 3;

impl Loaded {
    /// Whether this is the current code of its module.
    pub fn is_current(&self) -> bool {
        self.state.load(Ordering::Relaxed) == CURRENT
    }

    /// What import `i` resolved to, if it has been.
    #[inline]
    pub fn import(&self, i: u32) -> Option<Callee> {
        let s = self.code_imports[i as usize].load(Ordering::Acquire);
        if s != 0 {
            return Some(Callee::Code((s >> 32) as u32 - 1, s as u32));
        }
        self.resolved[i as usize].get().copied()
    }

    /// Records what import `i` resolved to. Called under the VM's lock,
    /// so that it cannot record code that a load made old meanwhile.
    pub fn set_import(&self, i: u32, c: Callee) {
        match c {
            Callee::Code(id, entry) => self.code_imports[i as usize].store(
                (u64::from(id) + 1) << 32 | u64::from(entry),
                Ordering::Release,
            ),
            _ => {
                let _ = self.resolved[i as usize].set(c);
            }
        }
    }

    /// Clears the imports that reach module `id` (code made old).
    pub fn forget(&self, id: u32) {
        for slot in &self.code_imports {
            let s = slot.load(Ordering::Relaxed);
            if s != 0 && (s >> 32) as u32 == id + 1 {
                slot.store(0, Ordering::Release);
            }
        }
    }

    /// The function containing `pc`, as (name atom, arity).
    pub fn function_at(&self, pc: u32) -> Option<(u32, u32)> {
        self.lam
            .function_at(pc)
            .map(|f| (self.atoms[f.name as usize], f.arity))
    }
}

/// Builds the executable form of a validated LAM module.
pub fn link(m: Module, id: u32, atoms: &Atoms, natives: &Registry) -> (Loaded, Area) {
    let area = id + 1;
    let globals: Vec<u32> = m.atoms.iter().map(|a| atoms.intern(a)).collect();
    let mut lits = Area::default();
    let literal_words: Vec<Word> = m
        .literals
        .iter()
        .map(|t| lits.from_term(area, t, atoms))
        .collect();
    // Integer operands too large for a small integer (60 bits) but within
    // 64 bits are bignums in the literal area, built once here.
    let mut big_ints: HashMap<i64, Word> = HashMap::new();
    fn ints(o: &Operand, out: &mut Vec<i64>) {
        match o {
            Operand::Int(i) if Word::small(*i).is_none() => out.push(*i),
            Operand::List(items) => items.iter().for_each(|x| ints(x, out)),
            _ => {}
        }
    }
    let mut wide = Vec::new();
    for ins in &m.code {
        m.args(ins).iter().for_each(|o| ints(o, &mut wide));
    }
    for i in wide {
        big_ints
            .entry(i)
            .or_insert_with(|| lits.integer(area, &num_bigint::BigInt::from(i)));
    }
    // The run loop reads `x` registers unchecked: this is what makes that
    // sound whatever module it is given (validation has checked the same).
    let x = |r: u16| {
        assert!(
            u32::from(r) < X_REGS,
            "register x{r} in a module that was not validated"
        );
        r
    };
    let src = |o: &Operand| -> Src {
        match o {
            Operand::X(r) => Src::X(x(*r)),
            Operand::Y(r) => Src::Y(*r),
            Operand::Nil => Src::C(Word::NIL),
            Operand::Atom(a) => Src::C(Word::atom(globals[*a as usize])),
            Operand::Int(i) => Src::C(Word::small(*i).unwrap_or_else(|| big_ints[i])),
            Operand::Literal(l) => Src::C(literal_words[*l as usize]),
            _ => Src::C(Word::NIL),
        }
    };
    let dst = |o: &Operand| -> Dst {
        match o {
            Operand::X(r) => Dst::X(x(*r)),
            Operand::Y(r) => Dst::Y(*r),
            _ => Dst::Discard,
        }
    };
    // Every edge back to an earlier instruction (or the same one) goes
    // through a trampoline after the module's code, which charges a
    // reduction (`Ins::LoopJump`): any loop that makes no call still ends
    // its slice, so the scheduler, `Vm::max_reductions` and `Vm::deadline`
    // get their turn. Forward edges and calls (charged already) are left
    // alone, so straight-line code pays nothing. The trampolines, one per
    // target, in order.
    let here = std::cell::Cell::new(0u32);
    let loops: std::cell::RefCell<(HashMap<u32, u32>, Vec<u32>)> = Default::default();
    let first_loop = m.code.len() as u32;
    let label = |o: &Operand| match o {
        Operand::Label(l) if *l <= here.get() => {
            let mut b = loops.borrow_mut();
            let (map, order) = &mut *b;
            *map.entry(*l).or_insert_with(|| {
                order.push(*l);
                first_loop + order.len() as u32 - 1
            })
        }
        Operand::Label(l) => *l,
        _ => NOFAIL,
    };
    let num = |o: &Operand| match o {
        Operand::Num(n) => *n,
        _ => 0,
    };
    let kind = |o: &Operand| match o {
        Operand::Kind(k) => *k,
        _ => 0,
    };
    // The validator checked every kind against its instruction's table.
    let arith_op = |o: &Operand| ArithOp::from_index(kind(o)).expect("a validated arith kind");
    let test_op = |o: &Operand| TestOp::from_index(kind(o)).expect("a validated test kind");
    let select_kind = |o: &Operand| SelectKind::from_index(kind(o)).expect("validated");
    let fun_kind = |o: &Operand| FunKind::from_index(kind(o)).expect("validated");
    let map_kind = |o: &Operand| MapKind::from_index(kind(o)).expect("validated");
    let fail_kind = |o: &Operand| FailKind::from_index(kind(o)).expect("validated");
    let mark_kind = |o: &Operand| MarkKind::from_index(kind(o)).expect("validated");
    let spawn_kind = |o: &Operand| SpawnKind::from_index(kind(o)).expect("validated");
    let list = |o: &Operand| -> Vec<Operand> {
        match o {
            Operand::List(items) => items.to_vec(),
            _ => vec![],
        }
    };
    let target = |o: &Operand| match o {
        Operand::Import(i) => Target::Import(*i),
        Operand::Label(l) => Target::Local(*l),
        _ => Target::Local(NOFAIL),
    };
    let fr = |o: &Operand| match o {
        Operand::X(r) if *r >= FLOAT_REG_BASE => Some(*r),
        _ => None,
    };
    let import_name = |o: &Operand| match o {
        Operand::Import(i) => {
            let imp = &m.imports[*i as usize];
            (
                &*m.atoms[imp.module as usize],
                &*m.atoms[imp.function as usize],
                imp.arity,
            )
        }
        _ => ("", "", 0),
    };
    // An import's heap-only native, looked up once, on its first `bif`:
    // those instructions are linked to it directly. Natives that need the
    // VM (spawn, send, ...) stay imports.
    let heap_native = |i: usize| {
        let imp = &m.imports[i];
        natives
            .get(
                &m.atoms[imp.module as usize],
                &m.atoms[imp.function as usize],
                imp.arity,
            )
            .and_then(crate::vm::native::Native::heap_fn)
    };
    let mut heap_natives: Vec<Option<Option<crate::vm::native::NativeFn>>> =
        vec![None; m.imports.len()];
    let targets = crate::lam::verify::branch_targets(&m);
    let landings = crate::lam::verify::try_landings(&m);
    let mut code = Vec::with_capacity(m.code.len());
    for (pc, ins) in m.code.iter().enumerate() {
        here.set(pc as u32);
        let a = m.args(ins);
        let e = match ins.op {
            LamOp::Move => match (fr(&a[0]), fr(&a[1])) {
                // Float register to float register: raw bits, copied as they are.
                (Some(_), Some(_)) => Ins::Move {
                    src: src(&a[0]),
                    dst: dst(&a[1]),
                },
                (None, Some(d)) => match &a[0] {
                    // A constant float: its bits, ready at load time.
                    Operand::Literal(l) if matches!(m.literals[*l as usize], Term::Float(_)) => {
                        let Term::Float(f) = m.literals[*l as usize] else {
                            unreachable!("checked")
                        };
                        Ins::Move {
                            src: Src::C(Word(f.to_bits())),
                            dst: Dst::X(x(d)),
                        }
                    }
                    s => Ins::FLoad {
                        src: src(s),
                        dst: d,
                    },
                },
                (Some(s), None) => Ins::FStore {
                    src: s,
                    dst: dst(&a[1]),
                },
                (None, None) => Ins::Move {
                    src: src(&a[0]),
                    dst: dst(&a[1]),
                },
            },
            LamOp::Arith => match (fr(&a[2]), fr(&a[3]), fr(&a[4])) {
                (Some(x), Some(y), Some(d)) => Ins::FArith {
                    op: arith_op(&a[0]),
                    fail: label(&a[1]),
                    lhs: x,
                    rhs: y,
                    dst: d,
                },
                _ => {
                    let (fail, lhs, rhs, dst) = (label(&a[1]), src(&a[2]), src(&a[3]), dst(&a[4]));
                    match arith_op(&a[0]) {
                        ArithOp::Add => Ins::Add {
                            fail,
                            lhs,
                            rhs,
                            dst,
                        },
                        ArithOp::Sub => Ins::Sub {
                            fail,
                            lhs,
                            rhs,
                            dst,
                        },
                        op => Ins::Arith {
                            op,
                            fail,
                            lhs,
                            rhs,
                            dst,
                        },
                    }
                }
            },
            LamOp::Bif if fr(&a[3]).is_some() => {
                let arg = list(&a[2]).first().cloned().unwrap_or(Operand::Nil);
                let d = fr(&a[3]).expect("checked");
                match (import_name(&a[0]), fr(&arg)) {
                    (("erlang", "-", 1), Some(s)) => Ins::FNeg {
                        fail: label(&a[1]),
                        src: s,
                        dst: d,
                    },
                    // fconv, and anything else that fills a float register.
                    _ => Ins::FLoad {
                        src: src(&arg),
                        dst: d,
                    },
                }
            }
            LamOp::Swap => Ins::Swap {
                a: dst(&a[0]),
                b: dst(&a[1]),
            },
            LamOp::Allocate => Ins::Allocate {
                slots: num(&a[0]),
                skip: 0,
            },
            LamOp::Deallocate => Ins::Deallocate,
            LamOp::Trim => Ins::Trim { slots: num(&a[0]) },
            LamOp::Jump => Ins::Jump(label(&a[0])),
            LamOp::Test => match &*list(&a[2]) {
                [x] => Ins::Test1 {
                    op: test_op(&a[0]),
                    fail: label(&a[1]),
                    arg: src(x),
                },
                [x, y] => {
                    let (fail, lhs, rhs) = (label(&a[1]), src(x), src(y));
                    match test_op(&a[0]) {
                        TestOp::Lt => Ins::Lt { fail, lhs, rhs },
                        TestOp::Ge => Ins::Ge { fail, lhs, rhs },
                        TestOp::EqExact => Ins::EqExact { fail, lhs, rhs },
                        TestOp::NeExact => Ins::NeExact { fail, lhs, rhs },
                        op => Ins::Test2 { op, fail, lhs, rhs },
                    }
                }
                args => Ins::Test {
                    op: test_op(&a[0]),
                    fail: label(&a[1]),
                    args: args.iter().map(src).collect(),
                },
            },
            LamOp::Select => {
                let pairs = list(&a[3]);
                let mut table: Vec<(Word, u32)> = pairs
                    .chunks(2)
                    .map(|p| {
                        let Src::C(w) = src(&p[0]) else {
                            unreachable!("select values are constants")
                        };
                        (w, label(&p[1]))
                    })
                    .collect();
                let sorted = table.iter().all(|(w, _)| !w.is_boxed());
                if sorted {
                    // A stable sort keeps the first of equal values first,
                    // the one a scan would find.
                    table.sort_by_key(|(w, _)| w.0);
                    table.dedup_by_key(|(w, _)| w.0);
                }
                Ins::Select {
                    kind: select_kind(&a[0]),
                    src: src(&a[1]),
                    fail: label(&a[2]),
                    table: table.into(),
                    sorted,
                }
            }
            LamOp::Call => Ins::Call {
                arity: num(&a[0]),
                target: target(&a[1]),
            },
            LamOp::TailCall => Ins::TailCall {
                arity: num(&a[0]),
                target: target(&a[1]),
            },
            LamOp::CallFun | LamOp::TailCallFun => Ins::CallFun {
                kind: fun_kind(&a[0]),
                arity: num(&a[1]),
                fun: src(&a[2]),
                tail: ins.op == LamOp::TailCallFun,
            },
            LamOp::Return => Ins::Return,
            LamOp::Bif => {
                let Operand::Import(i) = a[0] else {
                    unreachable!("validated")
                };
                if let Some(f) =
                    *heap_natives[i as usize].get_or_insert_with(|| heap_native(i as usize))
                {
                    let args: Box<[Src]> = list(&a[2]).iter().map(src).collect();
                    let bs = match (import_name(&a[0]), args.split_first()) {
                        (("lam", name, _), Some((ctx, rest))) => {
                            let constants: Vec<Option<Word>> = rest
                                .iter()
                                .map(|s| match s {
                                    Src::C(w) => Some(*w),
                                    _ => None,
                                })
                                .collect();
                            BsOp::of(name, &constants).map(|op| (op, *ctx))
                        }
                        _ => None,
                    };
                    if let Some((op, ctx)) = bs {
                        code.push(Ins::BsMatch {
                            op,
                            import: i,
                            fail: label(&a[1]),
                            ctx,
                            dst: dst(&a[3]),
                            native: f,
                        });
                        continue;
                    }
                    let (mo, fu, ar) = import_name(&a[0]);
                    // The trace a raise left to build later (`exec::trace`):
                    // the run loop has the code to build it, the native not.
                    if (mo, fu, ar) == ("lam", "build_stacktrace", 1) && args.len() == 1 {
                        code.push(Ins::BuildStacktrace {
                            raw: args[0],
                            dst: dst(&a[3]),
                        });
                        continue;
                    }
                    if let (Some(GuardBif::Element), [index, tuple]) =
                        (GuardBif::of(mo, fu, ar), &args[..])
                    {
                        code.push(Ins::Element {
                            dst: dst(&a[3]),
                            fail: label(&a[1]),
                            import: i,
                            index: *index,
                            tuple: *tuple,
                            native: f,
                        });
                        continue;
                    }
                    code.push(Ins::Native {
                        native: f,
                        import: i,
                        fail: label(&a[1]),
                        guard: GuardBif::of(mo, fu, ar).filter(|_| args.len() == ar as usize),
                        args,
                        dst: dst(&a[3]),
                    });
                    continue;
                }
                Ins::Bif {
                    import: i,
                    fail: label(&a[1]),
                    args: list(&a[2]).iter().map(src).collect(),
                    dst: dst(&a[3]),
                }
            }
            LamOp::MakeTuple => Ins::MakeTuple {
                dst: dst(&a[0]),
                elems: list(&a[1]).iter().map(src).collect(),
            },
            LamOp::GetElement => Ins::GetElement {
                tuple: src(&a[0]),
                index: num(&a[1]),
                dst: dst(&a[2]),
            },
            LamOp::Cons => Ins::Cons {
                head: src(&a[0]),
                tail: src(&a[1]),
                dst: dst(&a[2]),
            },
            LamOp::SplitList => Ins::SplitList {
                list: src(&a[0]),
                head: dst(&a[1]),
                tail: dst(&a[2]),
            },
            LamOp::PutMap => {
                let pairs = list(&a[4])
                    .chunks(2)
                    .map(|p| (src(&p[0]), src(&p[1])))
                    .collect();
                Ins::PutMap {
                    kind: map_kind(&a[0]),
                    fail: label(&a[1]),
                    src: src(&a[2]),
                    dst: dst(&a[3]),
                    pairs,
                }
            }
            LamOp::GetMap => {
                let pairs = list(&a[2])
                    .chunks(2)
                    .map(|p| (src(&p[0]), dst(&p[1])))
                    .collect();
                Ins::GetMap {
                    fail: label(&a[0]),
                    src: src(&a[1]),
                    pairs,
                }
            }
            LamOp::MakeFun => Ins::MakeFun {
                lambda: num(&a[0]),
                dst: dst(&a[1]),
                free: list(&a[2]).iter().map(src).collect(),
            },
            LamOp::Try => Ins::Try {
                slot: dst(&a[0]),
                label: label(&a[1]),
            },
            LamOp::TryEnd => Ins::TryEnd {
                slot: dst(&a[0]),
                landing: landings[pc],
            },
            LamOp::CatchEnd => Ins::CatchEnd { slot: dst(&a[0]) },
            LamOp::Raise => Ins::Raise {
                class: src(&a[0]),
                reason: src(&a[1]),
                trace: src(&a[2]),
                goes_on: crate::lam::verify::raise_goes_on(&m, &targets, pc as u32),
            },
            LamOp::Fail => Ins::Fail {
                kind: fail_kind(&a[0]),
                value: src(&a[1]),
            },
            LamOp::SelfPid => Ins::SelfPid(dst(&a[0])),
            LamOp::Send => Ins::Send,
            LamOp::PeekMessage => Ins::PeekMessage {
                label: label(&a[0]),
                dst: dst(&a[1]),
            },
            // It charges its own reduction (`next_message`).
            LamOp::NextMessage => Ins::NextMessage {
                label: match a[0] {
                    Operand::Label(l) => l,
                    _ => NOFAIL,
                },
            },
            LamOp::RemoveMessage => Ins::RemoveMessage,
            // A wait ends its slice wherever it goes, so its label needs no
            // trampoline, and must not have one: the runtime moves a parked
            // process's pc there when a message comes, and a crash report
            // or a stack trace of that process reads the function from it.
            LamOp::Wait => Ins::Wait {
                label: match a[0] {
                    Operand::Label(l) => l,
                    _ => NOFAIL,
                },
                timeout: src(&a[1]),
            },
            LamOp::RecvMark => Ins::RecvMark {
                kind: mark_kind(&a[0]),
                dst: dst(&a[1]),
            },
            LamOp::Spawn => Ins::Spawn {
                kind: spawn_kind(&a[0]),
                arity: num(&a[1]),
            },
        };
        code.push(e);
    }
    code.extend(loops.into_inner().1.into_iter().map(Ins::LoopJump));
    // A NIF stub runs its native however it is reached (a local call, a
    // local fun, an export), as loading the NIF library replaces the
    // stub's code on the BEAM: its entry becomes a tail call of the native
    // through an import of its own name.
    let mut nif_imports = Vec::new();
    for f in &m.functions {
        let is_nif = natives
            .get(&m.atoms[0], &m.atoms[f.name as usize], f.arity)
            .is_some_and(|n| n.is_nif());
        if is_nif && let Some(ins) = code.get_mut(f.entry as usize) {
            let import = (m.imports.len() + nif_imports.len()) as u32;
            nif_imports.push((globals[0], globals[f.name as usize], f.arity));
            *ins = Ins::TailCall {
                arity: f.arity as _,
                target: Target::Import(import),
            };
        }
    }
    fuse(&mut code);
    let imports: Vec<(u32, u32, u32)> = m
        .imports
        .iter()
        .map(|i| {
            (
                globals[i.module as usize],
                globals[i.function as usize],
                i.arity,
            )
        })
        .chain(nif_imports)
        .collect();
    let exports = m
        .functions
        .iter()
        .filter(|f| f.exported)
        .map(|f| ((globals[f.name as usize], f.arity), f.entry))
        .collect();
    let mut lambdas: Vec<(u32, u32, u32, u32)> = m
        .lambdas
        .iter()
        .map(|l| {
            let f = m.functions[l.function as usize];
            (f.entry, f.arity, l.num_free, l.old_uniq)
        })
        .collect();
    // The on_load function as one more lambda, so that
    // `erlang:call_on_load_function/1` can apply it as a fun.
    let on_load = m.on_load.map(|f| {
        lambdas.push((m.functions[f as usize].entry, 0, 0, 0));
        (lambdas.len() - 1) as u32
    });
    let loaded = Loaded {
        id,
        name: globals[0],
        code,
        resolved: (0..imports.len()).map(|_| OnceLock::new()).collect(),
        code_imports: (0..imports.len()).map(|_| AtomicU64::new(0)).collect(),
        state: AtomicU8::new(CURRENT),
        imports,
        exports,
        lambdas,
        on_load,
        lam: m,
        atoms: globals,
        md5: None,
    };
    (loaded, lits)
}

/// The loaded modules, indexed by id, as natives see them.
impl CodeInfo for Vec<Arc<Loaded>> {
    fn loaded(&self) -> Vec<u32> {
        // Current and old code, as erl lists them, each module once.
        let mut names: Vec<u32> = Vec::new();
        for m in self
            .iter()
            .filter(|m| m.state.load(Ordering::Relaxed) != GONE)
        {
            if !names.contains(&m.name) {
                names.push(m.name);
            }
        }
        names
    }

    fn is_loaded(&self, module: u32) -> bool {
        self.iter().any(|m| m.name == module && m.is_current())
    }

    fn exports(&self, module: u32) -> Option<Vec<(u32, u32)>> {
        let m = self.iter().find(|m| m.name == module && m.is_current())?;
        let mut es: Vec<(u32, u32)> = m.exports.keys().copied().collect();
        es.sort_by_key(|e| m.exports[e]);
        Some(es)
    }

    fn functions(&self, module: u32) -> Option<Vec<(u32, u32)>> {
        let m = self.iter().find(|m| m.name == module && m.is_current())?;
        Some(
            m.lam
                .functions
                .iter()
                .map(|f| (m.atoms[f.name as usize], f.arity))
                .collect(),
        )
    }

    fn module_info(&self, module: u32) -> Option<crate::term::Term> {
        let m = self.iter().find(|m| m.name == module && m.is_current())?;
        m.lam
            .module_info
            .and_then(|l| m.lam.literals.get(l as usize))
            .cloned()
    }

    fn is_exported(&self, module: u32, function: u32, arity: u32) -> bool {
        self.iter().any(|m| {
            m.name == module && m.is_current() && m.exports.contains_key(&(function, arity))
        })
    }

    fn module_id(&self, module: u32) -> Option<u32> {
        self.iter()
            .find(|m| m.name == module && m.is_current())
            .map(|m| m.id)
    }

    fn md5(&self, id: u32) -> Option<[u8; 16]> {
        self.get(id as usize)?.md5
    }

    fn lambda(&self, id: u32, index: u32) -> Option<LambdaInfo> {
        let m = self.get(id as usize)?;
        let &(entry, arity, free, uniq) = m.lambdas.get(index as usize)?;
        Some(LambdaInfo {
            module: m.name,
            function: m.function_at(entry).map(|(f, _)| f),
            arity,
            free,
            uniq,
        })
    }
}
