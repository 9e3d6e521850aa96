//! Layer 4, code: the linked instruction type, the loader and linker with
//! their fusion and specialisation passes, and the code path.

pub mod loader;
pub mod path;
