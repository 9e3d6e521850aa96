//! The `error_logger` module's BIF: `warning_map/0`.

use crate::vm::native::{Ctx, Native, NativeResult};
use crate::vm::term::word::Word;

/// The `error_logger` natives.
/// (A NIF row: `error_logger` calls it locally too, and its stub must run
/// it.)
pub const NATIVES: &[Native] =
    &[Native::heap("error_logger", "warning_map", 0, warning_map_0).nif()];

/// What a warning is reported as: `warning`, erl's default (its `+W w`).
fn warning_map_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    NativeResult::Value(Word::atom(c.atoms.intern("warning")))
}
