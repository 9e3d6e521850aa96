//! The `code` functions LAM implements natively.

use crate::vm::native::{Ctx, Native, NativeResult};
use crate::vm::term::atoms::atom;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `code` natives.
pub const NATIVES: &[Native] = &[Native::heap(
    "code",
    "ensure_modules_loaded",
    1,
    ensure_modules_loaded_1,
)];

/// Modules load on first call here: there is nothing to ensure.
fn ensure_modules_loaded_1(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::atom(atom::OK))
}
