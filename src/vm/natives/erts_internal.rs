//! The `erts_internal` functions OTP's own modules call.

use crate::vm::native::{Ctx, Native, NativeResult, badarg};
use crate::vm::term::atoms::atom;
use crate::vm::term::compare;
use crate::vm::term::maps;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `erts_internal` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("erts_internal", "map_next", 3, map_next_3),
    Native::heap("erts_internal", "cmp_term", 2, cmp_term_2),
    Native::heap("erts_internal", "is_system_process", 1, is_system_process_1),
    Native::heap(
        "erts_internal",
        "scheduler_wall_time",
        1,
        scheduler_wall_time_1,
    ),
    Native::heap("erts_internal", "system_check", 1, system_check_1),
    Native::heap("erts_internal", "beamfile_chunk", 2, beamfile_chunk_2),
    Native::heap(
        "erts_internal",
        "beamfile_module_md5",
        1,
        beamfile_module_md5_1,
    ),
];

/// The contents of chunk `Id` (a four-character string) of a `.beam` in a
/// binary, `undefined` if it has none (erl_features reads `Meta` before
/// it lets code load), and for a binary that is no `.beam`.
fn beamfile_chunk_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(bytes) = crate::vm::natives::bits::binary_bytes(c, a[0]) else {
        return badarg();
    };
    let Some(id) = crate::vm::term::list::string_of(&c.view(), a[1]).filter(|s| s.len() == 4)
    else {
        return badarg();
    };
    // A binary that is no `.beam` has no chunk either (erl: `undefined`).
    let Ok(chunks) = crate::beam::container::chunks(&bytes) else {
        return Value(Word::atom(crate::vm::term::atoms::atom::UNDEFINED));
    };
    match chunks.iter().find(|ch| ch.id[..] == *id.as_bytes()) {
        Some(ch) => {
            let data = ch.data.to_vec();
            Value(crate::vm::natives::bits::binary_word(c, &data))
        }
        None => Value(Word::atom(crate::vm::term::atoms::atom::UNDEFINED)),
    }
}

/// The MD5 erl gives the module in a `.beam` binary (`undefined` for a
/// binary that is no `.beam`).
fn beamfile_module_md5_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(bytes) = crate::vm::natives::bits::binary_bytes(c, a[0]) else {
        return badarg();
    };
    match crate::beam::container::module_md5(&bytes) {
        Ok(md5) => Value(crate::vm::natives::bits::binary_word(c, &md5)),
        Err(_) => Value(Word::atom(crate::vm::term::atoms::atom::UNDEFINED)),
    }
}

/// `erts_internal:system_check(schedulers)`: erl has every scheduler check
/// in and answers `ok`; LAM's are always responsive to the VM's lock.
fn system_check_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_atom() {
        Some(x) if &*c.atoms.name(x) == "schedulers" => Value(Word::atom(atom::OK)),
        _ => badarg(),
    }
}

/// `system_flag(scheduler_wall_time, Bool)` and OTP's `kernel_refc`
/// (which counts who asked for it) call this to switch the measurement on
/// or off; the answer is whether it was on. LAM does not measure it, so it
/// never was.
fn scheduler_wall_time_1(_c: &mut Ctx, _: &[Word]) -> NativeResult {
    // erl takes anything here (only `true` turns measuring on), and LAM
    // never measures: the old state is always `false`.
    Value(Word::atom(crate::vm::term::atoms::atom::FALSE))
}

/// maps:next/1: the rest of the iteration at once, `{K, V, {K2, V2, ...
/// none}}`, as erl gives it for a map of up to 32 keys (and, lacking a
/// cheap place to resume from, LAM for a larger one too).
fn map_next_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let (Some(i), Some(n)) = (a[0].as_small(), maps::size(&v, a[1])) else {
        return badarg();
    };
    if a[2] != Word::atom(c.atoms.intern("iterator")) {
        return badarg();
    }
    let i = i as usize;
    let none = Word::atom(c.atoms.intern("none"));
    if i >= n {
        return Value(none);
    }
    let e = maps::iteration(&v, c.atoms, a[1]).expect("a map");
    let mut it = none;
    for (k, x) in e[i..].iter().rev() {
        it = c.heap.tuple(0, &[*k, *x, it]);
    }
    Value(it)
}

/// The standard order of terms as -1, 0 or 1 (`1` and `1.0` differ, as in
/// `=:=`).
fn cmp_term_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let o = compare::cmp(&c.view(), c.atoms, a[0], a[1], true);
    Value(Word::small(o as i64).expect("-1, 0 or 1"))
}

/// Whether a process is one of the emulator's own (the BEAM's literal
/// collector, code purger helpers...), which `init:stop/0` leaves alone:
/// LAM has none, every process runs a program's or OTP's code.
fn is_system_process_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[0].as_pid().is_some() {
        Value(Word::atom(crate::vm::term::atoms::atom::FALSE))
    } else {
        badarg()
    }
}
