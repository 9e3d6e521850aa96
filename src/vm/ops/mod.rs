//! Layer 2, ops: the pure semantics of arithmetic, comparisons and type
//! tests, float operations, the binary-matching fast path, and match
//! specifications (which ETS and `match_spec_test` share). The run loop
//! and the natives both use them, so each rule is written once.

pub mod arith;
pub mod bs;
pub mod ets;
pub mod kinds;
pub mod matchspec;
pub mod test;

// The test that the kinds follow the ISA's tables is with the other
// instruction kinds, in `code::kinds` (a layer above, which sees both).
