//! placeholder
use crate::vm::native::Native;
/// The `zlib` natives.
pub const NATIVES: &[Native] = &[];
