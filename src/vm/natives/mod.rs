//! Layer 5, natives: the functions Erlang code calls that LAM implements in
//! Rust, grouped by the Erlang module they belong to.

pub mod binary;
pub mod bits;
pub mod conv;
pub mod erlang;
pub mod sys;
