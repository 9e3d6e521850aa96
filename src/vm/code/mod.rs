//! Layer 4, code: the linked instruction type and its kinds, the loader and linker with
//! their fusion and specialisation passes, and the code path.

pub mod kinds;
pub mod loader;
pub mod path;
