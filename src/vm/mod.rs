//! The LAM virtual machine's data layer: atoms, tagged words, heaps and the
//! garbage collector (see `docs/vm.md`). The interpreter builds on these.

pub mod atoms;
pub mod heap;
pub mod word;

pub use atoms::Atoms;
pub use heap::{Area, View};
pub use word::Word;
