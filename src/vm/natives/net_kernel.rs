//! The `net_kernel` functions LAM implements natively (there is no distribution).

use crate::vm::native::{Ctx, Native, NativeResult};
use crate::vm::term::atoms::atom;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `net_kernel` natives.
pub const NATIVES: &[Native] = &[Native::heap(
    "net_kernel",
    "dflag_unicode_io",
    1,
    dflag_unicode_io_1,
)];

fn dflag_unicode_io_1(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(Word::atom(atom::TRUE))
}
