//! Layer 2, ops: the pure semantics of arithmetic, comparisons and type
//! tests, float operations, and the binary-matching fast path. The run loop
//! and the natives both use them, so each rule is written once.

pub mod arith;
pub mod bs;
pub mod kinds;
pub mod test;

#[cfg(test)]
mod tests {
    use super::arith::ArithOp;
    use super::test::TestOp;

    #[test]
    fn kinds_follow_the_isa_tables() {
        let names = |all: &[&'static str]| all.to_vec();
        assert_eq!(
            names(&ArithOp::ALL.iter().map(|k| k.name()).collect::<Vec<_>>()),
            ArithOp::TABLE
        );
        assert_eq!(
            names(&TestOp::ALL.iter().map(|k| k.name()).collect::<Vec<_>>()),
            TestOp::TABLE
        );
    }
}
