//! LAM, the Little Actor Machine: its instruction set, its module format
//! (binary and text), and the validator and verifier that check a module
//! before it runs.

pub mod binary;
pub mod isa;
pub mod module;
pub mod text;
pub mod verify;

pub use isa::{LamOp, Operand, Shape};
pub use module::Module;
