//! `erlang:match_spec_test/3` (what `ets:test_ms/2` calls): compiles a match
//! specification with `ops::matchspec` and runs it on one term.

use crate::term::Term;
use crate::vm::native::{Ctx, Native, NativeResult, badarg};
use crate::vm::ops::matchspec::{MatchSpec, TraceFlag};
use crate::vm::term::heap::{Area, View};
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::word::Word;

/// The match specification natives.
pub const NATIVES: &[Native] = &[Native::heap(
    "erlang",
    "match_spec_test",
    3,
    match_spec_test_3,
)];

/// `{ok, Result, Flags, []}`, or `{error, [{error, Message}]}` for a bad
/// specification; badarg for a kind other than `table` and `trace`, or a
/// trace test on something other than an argument list.
fn match_spec_test_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(kind) = a[2].as_atom() else {
        return badarg();
    };
    let table = match c.atoms.name(kind).as_ref() {
        "table" => true,
        "trace" => false,
        _ => return badarg(),
    };
    if !table && list_items(&c.view(), a[0]).is_none() {
        return badarg();
    }
    let ms = match MatchSpec::compile_verbose(&c.view(), c.atoms, a[1], table) {
        Ok(ms) => ms,
        Err(errors) => {
            let errors = errors
                .into_iter()
                .map(|e| Term::Tuple(vec![Term::atom("error"), Term::string(&e)]))
                .collect();
            let t = Term::Tuple(vec![Term::atom("error"), Term::list(errors)]);
            return NativeResult::Value(c.from_term(&t));
        }
    };
    // The object is read from an area of its own, as a table's would be.
    let mut own = Area::default();
    let obj = c.view().copy_into(a[0], &mut own);
    let src = View {
        heap: &own,
        literals: c.literals,
    };
    let (result, flags) = match ms.run_full(&src, obj, c.heap, c.atoms, c.pid, Some(c.memory), None)
    {
        Ok(r) => r.unwrap_or((Word::boolean(false), Vec::new())),
        Err(bytes) => return c.out_of_memory(bytes),
    };
    let flags: Vec<Word> = flags
        .iter()
        .map(|f| {
            Word::atom(c.atoms.intern(match f {
                TraceFlag::ReturnTrace => "return_trace",
                TraceFlag::ExceptionTrace => "exception_trace",
            }))
        })
        .collect();
    let flags = list_of(c.heap, &flags);
    let ok = Word::atom(c.atoms.intern("ok"));
    NativeResult::Value(c.heap.tuple(0, &[ok, result, flags, Word::NIL]))
}
