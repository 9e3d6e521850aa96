//! Layer 1, terms: tagged words, the atom table, heap areas and the views
//! that read them, building and copying terms, the collector, term order,
//! maps, lists and the exception value. Imports nothing else from the VM.

pub mod atoms;
pub mod bits;
pub mod compare;
pub mod convert;
pub mod exception;
pub mod gc;
pub mod hash;
pub mod heap;
pub mod idmap;
pub mod list;
pub mod maps;
pub mod memory;
pub mod pdict;
pub mod word;

pub use atoms::Atoms;
pub use exception::Exception;
pub use heap::{Area, View};
pub use word::Word;
