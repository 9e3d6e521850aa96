//! Reading `.beam` files: bytes in, a fully decoded [`BeamModule`] out.

pub mod compact;
pub mod container;
pub mod etf;
pub mod module;
pub mod opcodes;
pub mod reader;

pub use module::{BeamModule, Instr, read, read_file};
pub use opcodes::Op;
