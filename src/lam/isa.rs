//! The LAM instruction set: exactly 35 instructions, defined once.
//!
//! [`for_each_lam_op!`] lists every instruction with its operand shapes and
//! its meaning in one line; the [`LamOp`] enum, names, operand checks, the
//! text and binary codecs and `docs/isa.md` all come from it.
//!
//! Notation: `x[N]` argument registers, `y[N]` frame slots, `S` any source
//! (register or literal), `D` a destination register (or `_` to discard),
//! `L` a label (`nofail` where a label is optional), `N` a number, `K` a
//! kind word listed with the instruction, `T` a call target (label or
//! import), `I` an import.

/// What an operand position accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A register or a literal.
    Src,
    /// A register, or `_` to discard.
    Dst,
    /// A label, or `nofail` where the instruction allows it.
    Label,
    /// A non-negative number.
    Num,
    /// One word of the given list.
    Kind(&'static [&'static str]),
    /// A label (local function) or an import (external function).
    Target,
    /// An import (a native function for `bif`).
    Import,
    /// A list of sources.
    Srcs,
    /// A list of pairs: a source and a label (jump tables).
    SrcLabels,
    /// A list of pairs: two sources (key and value).
    SrcSrcs,
    /// A list of pairs: a source and a destination (key and target register).
    SrcDsts,
}

/// Kinds of the `test` instruction.
pub const TEST_KINDS: &[&str] = &[
    "is_integer",
    "is_float",
    "is_number",
    "is_atom",
    "is_pid",
    "is_reference",
    "is_port",
    "is_nil",
    "is_binary",
    "is_bitstring",
    "is_list",
    "is_nonempty_list",
    "is_tuple",
    "is_map",
    "is_boolean",
    "is_function",
    "is_function2",
    "test_arity",
    "is_tagged_tuple",
    "lt",
    "ge",
    "eq",
    "ne",
    "eq_exact",
    "ne_exact",
];
/// Kinds of `select`.
pub const SELECT_KINDS: &[&str] = &["value", "tuple_arity"];
/// Kinds of `call_fun` and `tail_call_fun`.
pub const FUN_KINDS: &[&str] = &["fun", "apply"];
/// Kinds of `arith`.
pub const ARITH_KINDS: &[&str] = &[
    "add", "sub", "mul", "div", "idiv", "rem", "band", "bor", "bxor", "bsl", "bsr",
];
/// Kinds of `put_map`.
pub const MAP_KINDS: &[&str] = &["assoc", "exact"];
/// Kinds of `fail`.
pub const FAIL_KINDS: &[&str] = &[
    "badmatch",
    "case_clause",
    "if_clause",
    "try_clause",
    "badrecord",
    "function_clause",
    "unsupported",
];
/// Kinds of `recv_mark`.
pub const MARK_KINDS: &[&str] = &["reserve", "bind", "use", "clear", "timeout"];
/// Kinds of `spawn`.
pub const SPAWN_KINDS: &[&str] = &["spawn", "spawn_link", "spawn_monitor"];

/// Calls `$m!` with the whole instruction table:
/// `Variant "name" [shapes] "meaning";` in opcode order.
#[macro_export]
macro_rules! for_each_lam_op {
    ($m:ident) => {
        $m! {
            Move "move" [Src, Dst] "D := S";
            Swap "swap" [Dst, Dst] "exchange the two registers";
            Allocate "allocate" [Num, Num] "push a frame of N1 slots, all [], keeping x[0..N2)";
            Deallocate "deallocate" [Num] "pop the frame of N slots";
            Trim "trim" [Num, Num] "drop the N1 lowest frame slots, keeping N2";
            Jump "jump" [Label] "pc := L";
            Test "test" [Kind(TEST_KINDS), Label, Srcs] "if not K(S...) then pc := L";
            Select "select" [Kind(SELECT_KINDS), Src, Label, SrcLabels] "pc := label paired with S (or its tuple arity), else L";
            Call "call" [Num, Target] "call T with N arguments in x[0..N); result in x[0]";
            TailCall "tail_call" [Num, Target] "jump to T with N arguments, returning to our caller";
            CallFun "call_fun" [Kind(FUN_KINDS), Num, Src] "call fun S (or apply x[N]:x[N+1]) with N arguments";
            TailCallFun "tail_call_fun" [Kind(FUN_KINDS), Num, Src] "as call_fun, as a tail call";
            Return "return" [] "return x[0] to the caller";
            Bif "bif" [Import, Label, Srcs, Dst] "D := I(S...); on failure pc := L, or raise";
            Arith "arith" [Kind(ARITH_KINDS), Label, Src, Src, Dst] "D := S1 K S2; on failure pc := L, or raise badarith";
            MakeTuple "make_tuple" [Dst, Srcs] "D := {S...}";
            GetElement "get_element" [Src, Num, Dst] "D := element N+1 of tuple S";
            Cons "cons" [Src, Src, Dst] "D := [S1 | S2]";
            SplitList "split_list" [Src, Dst, Dst] "D1 := hd(S); D2 := tl(S)";
            PutMap "put_map" [Kind(MAP_KINDS), Label, Src, Dst, SrcSrcs] "D := S#{K => V...} (exact: keys must exist, else pc := L)";
            GetMap "get_map" [Label, Src, SrcDsts] "for each K, D: D := S(K); if a key is missing pc := L";
            MakeFun "make_fun" [Num, Dst, Srcs] "D := closure of lambda N over S...";
            Try "try" [Dst, Label] "install a handler in y-slot D: an exception continues at L";
            TryEnd "try_end" [Dst] "remove the handler in D";
            CatchEnd "catch_end" [Dst] "remove the handler in D; turn a caught exception in x[0] into catch's value";
            Raise "raise" [Src, Src, Src] "raise class S1, reason S2, stack trace S3 (class [] = take it from S3)";
            Fail "fail" [Kind(FAIL_KINDS), Src] "raise error K (with S, as in {badmatch, S})";
            PeekMessage "peek_message" [Label, Dst] "D := message at the save pointer, or pc := L when there is none";
            NextMessage "next_message" [Label] "advance the save pointer; pc := L";
            RemoveMessage "remove_message" [] "take the current message out of the mailbox; reset the save pointer";
            Wait "wait" [Label, Src] "sleep until a message arrives (pc := L) or S ms pass (fall through)";
            RecvMark "recv_mark" [Kind(MARK_KINDS), Dst, Src] "receive markers: reserve D, bind D to ref S, use D, clear D; timeout: a receive ended without a message, the next scans from the start";
            Send "send" [] "send x[1] to x[0]; x[0] := x[1]";
            Spawn "spawn" [Kind(SPAWN_KINDS), Num] "x[0] := new process running x[0..N) as erlang:K/N would";
            SelfPid "self" [Dst] "D := this process's pid";
        }
    };
}

macro_rules! define_lam_ops {
    ($( $variant:ident $name:literal [$($shape:expr),*] $meaning:literal; )*) => {
        /// A LAM opcode.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum LamOp {
            $( #[doc = $meaning] $variant, )*
        }

        /// Every opcode with its name, operand shapes and meaning, in opcode order.
        pub static LAM_OPS: &[LamOpInfo] = &[
            $( LamOpInfo { op: LamOp::$variant, name: $name, shapes: &[$(shape!($shape)),*], meaning: $meaning }, )*
        ];
    };
}

macro_rules! shape {
    (Kind($k:expr)) => {
        Shape::Kind($k)
    };
    ($s:ident) => {
        Shape::$s
    };
    ($e:expr) => {
        $e
    };
}

use Shape::*;
for_each_lam_op!(define_lam_ops);

/// What the table says about one instruction.
#[derive(Debug, Clone, Copy)]
pub struct LamOpInfo {
    /// The opcode.
    pub op: LamOp,
    /// Its name in the text format.
    pub name: &'static str,
    /// Its operand shapes (the instruction's arity is their count).
    pub shapes: &'static [Shape],
    /// One line of semantics.
    pub meaning: &'static str,
}

impl LamOp {
    /// The table entry.
    pub fn info(self) -> &'static LamOpInfo {
        &LAM_OPS[self as usize]
    }

    /// The name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The number of operands.
    pub fn arity(self) -> usize {
        self.info().shapes.len()
    }

    /// The opcode by number.
    pub fn from_u8(n: u8) -> Option<LamOp> {
        LAM_OPS.get(n as usize).map(|i| i.op)
    }

    /// The opcode by name.
    pub fn from_name(name: &str) -> Option<LamOp> {
        LAM_OPS.iter().find(|i| i.name == name).map(|i| i.op)
    }
}

/// A LAM operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// Argument register.
    X(u16),
    /// Frame slot.
    Y(u16),
    /// A destination whose value is not needed.
    Discard,
    /// `[]`.
    Nil,
    /// An atom, by index into the module's atom table (0-based).
    Atom(u32),
    /// A small integer.
    Int(i64),
    /// An entry of the literal table.
    Literal(u32),
    /// A code position (instruction index).
    Label(u32),
    /// No label: the instruction raises instead of jumping.
    NoLabel,
    /// An entry of the import table.
    Import(u32),
    /// A non-negative number (arity, count, index).
    Num(u32),
    /// A kind word, by index into the instruction's kind list.
    Kind(u8),
    /// A list of operands.
    List(Box<[Operand]>),
}

/// Float registers of the BEAM live in x registers from here on.
pub const FLOAT_REG_BASE: u16 = 1024;
/// The number of x registers (argument registers, then float registers).
pub const X_REGS: u32 = 2048;
/// The largest frame.
pub const Y_REGS: u32 = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_35_instructions_with_unique_names() {
        assert_eq!(LAM_OPS.len(), 35);
        for (i, info) in LAM_OPS.iter().enumerate() {
            assert_eq!(info.op as usize, i);
            assert_eq!(LamOp::from_name(info.name), Some(info.op));
        }
    }

    #[test]
    fn operands_stay_small() {
        assert_eq!(std::mem::size_of::<Operand>(), 24);
    }
}
