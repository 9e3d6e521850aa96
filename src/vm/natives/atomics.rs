//! The BIFs behind OTP's `atomics` and `counters` modules: arrays of 64-bit
//! integers that every process may update at once (`atomics:new/2` makes
//! one through `erts_internal:atomics_new/2`; `counters` with
//! `write_concurrency` through `erts_internal:counters_*`, the others over
//! `atomics`). atomics.erl and counters.erl run unchanged around them.
//!
//! An array is a resource (`resource`): a reference naming shared cells,
//! updated with the processor's atomic operations, so processes on
//! different schedulers never lock each other out for longer than the
//! table lookup. The BEAM frees an array when the last term naming it goes;
//! LAM's collector cannot tell, and arrays are commonly made by one process
//! and used by others after it ends (Logger's counter, made while its
//! application starts, lives in `persistent_term`), so an array lives as
//! long as the VM.

use num_bigint::BigInt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::vm::native::{Ctx, Native, NativeResult, badarg};
use crate::vm::natives::helpers::{int_word, integer_of};
use crate::vm::natives::resource;
use crate::vm::term::atoms::atom;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `atomics` BIFs and their `erts_internal` helpers.
pub const NATIVES: &[Native] = &[
    Native::heap("erts_internal", "atomics_new", 2, atomics_new_2),
    Native::heap("atomics", "get", 2, get_2),
    Native::heap("atomics", "put", 3, put_3),
    Native::heap("atomics", "add", 3, add_3),
    Native::heap("atomics", "add_get", 3, add_get_3),
    Native::heap("atomics", "exchange", 3, exchange_3),
    Native::heap("atomics", "compare_exchange", 4, compare_exchange_4),
    Native::heap("atomics", "info", 1, info_1),
    Native::heap("erts_internal", "counters_new", 1, counters_new_1),
    Native::heap("erts_internal", "counters_get", 2, get_2),
    Native::heap("erts_internal", "counters_put", 3, put_3),
    Native::heap("erts_internal", "counters_add", 3, add_3),
    Native::heap("erts_internal", "counters_info", 1, counters_info_1),
];

/// The cells of one array; `signed` says how a cell's bits read as an
/// integer (a counter is always signed).
struct Cells {
    signed: bool,
    cells: Box<[AtomicU64]>,
}

/// A new array of `n` zeros (badarg unless `n` is a positive integer the
/// machine can hold).
fn make(c: &mut Ctx, n: Word, signed: bool) -> NativeResult {
    // A size erl cannot allocate is its system_limit (erl stops the whole
    // VM for some it tries); past 2^40 cells LAM does not try.
    let Some(n) = integer_of(c, n).filter(|n| *n >= BigInt::from(1)) else {
        return badarg();
    };
    let Some(n) = u64::try_from(&n).ok().filter(|n| *n <= 1 << 40) else {
        return crate::vm::native::error(Word::atom(atom::SYSTEM_LIMIT));
    };
    let mut cells = Vec::new();
    if cells.try_reserve_exact(n as usize).is_err() {
        return crate::vm::native::error(Word::atom(atom::SYSTEM_LIMIT));
    }
    cells.extend((0..n).map(|_| AtomicU64::new(0)));
    let state = Arc::new(Cells {
        signed,
        cells: cells.into_boxed_slice(),
    });
    Value(resource::make_unowned(c, Box::new(state)))
}

/// `erts_internal:atomics_new(Arity, EncodedOptions)`: the options are
/// bits of a word (bit 0: signed), the rest ignored as erl does.
fn atomics_new_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(opts) = integer_of(c, a[1]).filter(|o| *o >= BigInt::from(0)) else {
        return badarg();
    };
    let Ok(opts) = u64::try_from(&opts) else {
        return crate::vm::native::error(Word::atom(atom::SYSTEM_LIMIT));
    };
    make(c, a[0], opts & 1 == 1)
}

fn counters_new_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    make(c, a[0], true)
}

/// The array `r` names and its (1-based) cell `ix`.
fn cell(c: &Ctx, r: Word, ix: Word) -> Option<(Arc<Cells>, usize)> {
    let (_, slot) = resource::get(c, r)?;
    let cells = resource::lock(&slot).downcast_ref::<Arc<Cells>>()?.clone();
    let ix = usize::try_from(ix.as_small()?).ok()?.checked_sub(1)?;
    (ix < cells.cells.len()).then_some((cells, ix))
}

/// A value a cell can hold, as its bits: in the signed or the unsigned
/// 64-bit range, as the array reads its cells.
fn value_bits(c: &Ctx, signed: bool, w: Word) -> Option<u64> {
    let v = integer_of(c, w)?;
    if signed {
        i64::try_from(&v).ok().map(|v| v as u64)
    } else {
        u64::try_from(&v).ok()
    }
}

/// An increment: any integer whose bits fit in 64, signed or not (the sum
/// wraps around either way).
fn increment_bits(c: &Ctx, w: Word) -> Option<u64> {
    let v = integer_of(c, w)?;
    i64::try_from(&v)
        .map(|v| v as u64)
        .or_else(|_| u64::try_from(&v))
        .ok()
}

/// A cell's bits as the integer the array reads.
fn read(c: &mut Ctx, cells: &Cells, bits: u64) -> Word {
    let v = if cells.signed {
        i128::from(bits as i64)
    } else {
        i128::from(bits)
    };
    int_word(c, v)
}

fn get_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some((cells, ix)) = cell(c, a[0], a[1]) else {
        return badarg();
    };
    let bits = cells.cells[ix].load(Ordering::SeqCst);
    Value(read(c, &cells, bits))
}

fn put_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some((cells, ix)) = cell(c, a[0], a[1]) else {
        return badarg();
    };
    let Some(v) = value_bits(c, cells.signed, a[2]) else {
        return badarg();
    };
    cells.cells[ix].store(v, Ordering::SeqCst);
    Value(Word::atom(atom::OK))
}

/// Adds the increment `a[2]` to the cell, returning the cells and the new
/// bits.
fn add(c: &Ctx, a: &[Word]) -> Option<(Arc<Cells>, u64)> {
    let (cells, ix) = cell(c, a[0], a[1])?;
    let incr = increment_bits(c, a[2])?;
    let old = cells.cells[ix].fetch_add(incr, Ordering::SeqCst);
    Some((cells, old.wrapping_add(incr)))
}

fn add_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match add(c, a) {
        Some(_) => Value(Word::atom(atom::OK)),
        None => badarg(),
    }
}

fn add_get_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match add(c, a) {
        Some((cells, bits)) => Value(read(c, &cells, bits)),
        None => badarg(),
    }
}

fn exchange_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some((cells, ix)) = cell(c, a[0], a[1]) else {
        return badarg();
    };
    let Some(v) = value_bits(c, cells.signed, a[2]) else {
        return badarg();
    };
    let old = cells.cells[ix].swap(v, Ordering::SeqCst);
    Value(read(c, &cells, old))
}

/// `ok` when the cell held `Expected` (it now holds `Desired`), else what
/// it holds.
fn compare_exchange_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some((cells, ix)) = cell(c, a[0], a[1]) else {
        return badarg();
    };
    let (Some(expected), Some(desired)) = (
        value_bits(c, cells.signed, a[2]),
        value_bits(c, cells.signed, a[3]),
    ) else {
        return badarg();
    };
    match cells.cells[ix].compare_exchange(expected, desired, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => Value(Word::atom(atom::OK)),
        Err(now) => Value(read(c, &cells, now)),
    }
}

/// The array `r` names.
fn array(c: &Ctx, r: Word) -> Option<Arc<Cells>> {
    let (_, slot) = resource::get(c, r)?;
    let cells = resource::lock(&slot).downcast_ref::<Arc<Cells>>()?.clone();
    Some(cells)
}

/// `#{size, max, min, memory}`; memory as erts 13 counts an array: a
/// 40-byte header and 8 bytes a cell.
fn info_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(cells) = array(c, a[0]) else {
        return badarg();
    };
    let n = cells.cells.len() as i128;
    let (min, max) = if cells.signed {
        (i128::from(i64::MIN), i128::from(i64::MAX))
    } else {
        (0, i128::from(u64::MAX))
    };
    let values = [
        int_word(c, max),
        int_word(c, 40 + 8 * n),
        int_word(c, min),
        int_word(c, n),
    ];
    Value(info_map(c, &["max", "memory", "min", "size"], &values))
}

/// `#{size, memory}` of a `write_concurrency` counter array. erts 13 keeps
/// one 64-byte line of 8 counters per scheduler and one more, and a 32-byte
/// header; the schedulers counted are the machine's cores, erl's default.
fn counters_info_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(cells) = array(c, a[0]) else {
        return badarg();
    };
    let n = cells.cells.len();
    let schedulers = crate::vm::platform::processors();
    let memory = 32 + 64 * n.div_ceil(8) * (schedulers + 1);
    let values = [int_word(c, memory as i128), int_word(c, n as i128)];
    Value(info_map(c, &["memory", "size"], &values))
}

/// A map of the keys (in term order) to the values.
fn info_map(c: &mut Ctx, keys: &[&str], values: &[Word]) -> Word {
    let keys: Vec<Word> = keys.iter().map(|k| Word::atom(c.atoms.intern(k))).collect();
    c.heap.map(0, &keys, values)
}
