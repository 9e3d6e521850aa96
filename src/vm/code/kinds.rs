//! The kinds of the linked instructions that are not arithmetic or tests
//! (those are the ops layer's `ArithOp` and `TestOp`), as typed enums: the
//! loader turns each kind index into a variant once, and the run loop and
//! the runtime match variants, never numbers or names.

crate::vm::ops::kinds::kinds! {
    /// A kind of `select`, in `isa::SELECT_KINDS` order.
    SelectKind, crate::lam::isa::SELECT_KINDS;
    Value = "value",
    TupleArity = "tuple_arity",
}

crate::vm::ops::kinds::kinds! {
    /// A kind of `call_fun` and `tail_call_fun`, in `isa::FUN_KINDS` order.
    FunKind, crate::lam::isa::FUN_KINDS;
    Fun = "fun",
    Apply = "apply",
}

crate::vm::ops::kinds::kinds! {
    /// A kind of `put_map`, in `isa::MAP_KINDS` order.
    MapKind, crate::lam::isa::MAP_KINDS;
    Assoc = "assoc",
    Exact = "exact",
}

crate::vm::ops::kinds::kinds! {
    /// A kind of `fail`, in `isa::FAIL_KINDS` order.
    FailKind, crate::lam::isa::FAIL_KINDS;
    Badmatch = "badmatch",
    CaseClause = "case_clause",
    IfClause = "if_clause",
    TryClause = "try_clause",
    Badrecord = "badrecord",
    FunctionClause = "function_clause",
    Unsupported = "unsupported",
}

crate::vm::ops::kinds::kinds! {
    /// A kind of `recv_mark`, in `isa::MARK_KINDS` order.
    MarkKind, crate::lam::isa::MARK_KINDS;
    Reserve = "reserve",
    Bind = "bind",
    Use = "use",
    Clear = "clear",
    Timeout = "timeout",
}

crate::vm::ops::kinds::kinds! {
    /// A kind of `spawn` (and the `erlang` BIF it stands for), in
    /// `isa::SPAWN_KINDS` order.
    SpawnKind, crate::lam::isa::SPAWN_KINDS;
    Spawn = "spawn",
    SpawnLink = "spawn_link",
    SpawnMonitor = "spawn_monitor",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::ops::arith::ArithOp;
    use crate::vm::ops::test::TestOp;

    #[test]
    fn kinds_follow_the_isa_tables() {
        macro_rules! check {
            ($($k:ident),*) => {$(
                let names: Vec<&str> = $k::ALL.iter().map(|k| k.name()).collect();
                assert_eq!(names, $k::TABLE, "{}", stringify!($k));
                for (i, k) in $k::ALL.iter().enumerate() {
                    assert_eq!($k::from_index(i as u8), Some(*k));
                    assert_eq!($k::from_name(k.name()), Some(*k));
                }
                assert_eq!($k::from_index($k::ALL.len() as u8), None);
            )*};
        }
        check!(
            ArithOp, TestOp, SelectKind, FunKind, MapKind, FailKind, MarkKind, SpawnKind
        );
    }
}
