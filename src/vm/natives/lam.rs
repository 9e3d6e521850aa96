//! The `lam` module: the natives the translator emits (contract in
//! `docs/natives.md`), for binary construction and matching (their
//! machinery is in `bits`) and record updates, and the stack trace of a
//! caught exception.

use num_bigint::BigInt;

use crate::vm::native::{Ctx, Native, NativeResult, badarg};
use crate::vm::natives::bits::{
    create_bin, ctx, ctx_bits, field_flags, get, put, remaining_is, rest, save_slot,
    start_building, utf,
};
use crate::vm::term::atoms::atom;
use crate::vm::term::bits::{bitstring, extract, read_uint, set_pos};
use crate::vm::term::compare::{Num, number};
use crate::vm::term::heap::View;
use crate::vm::term::word::{Ptr, Word, kind};

use NativeResult::Value;

/// The `lam` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("lam", "update_record", 0, update_record).variadic(),
    Native::heap("lam", "build_stacktrace", 1, build_stacktrace_1),
    Native::heap("lam", "bs_start_match", 1, bs_start_match_1),
    Native::heap("lam", "bs_get_integer", 4, bs_get_integer_4),
    Native::heap("lam", "bs_get_float", 4, bs_get_float_4),
    Native::heap("lam", "bs_get_binary", 4, bs_get_binary_4),
    Native::heap("lam", "bs_skip_bits", 4, bs_skip_bits_4),
    Native::heap("lam", "bs_test_tail", 2, bs_test_tail_2),
    Native::heap("lam", "bs_test_unit", 2, bs_test_unit_2),
    Native::heap("lam", "bs_match_string", 2, bs_match_string_2),
    Native::heap("lam", "bs_get_tail", 1, bs_get_tail_1),
    Native::heap("lam", "bs_context_to_binary", 1, bs_context_to_binary_1),
    Native::heap("lam", "bs_get_position", 1, bs_get_position_1),
    Native::heap("lam", "bs_set_position", 2, bs_set_position_2),
    Native::heap("lam", "bs_save", 2, bs_save_2),
    Native::heap("lam", "bs_restore", 2, bs_restore_2),
    Native::heap("lam", "bs_get_utf8", 2, bs_get_utf8_2),
    Native::heap("lam", "bs_get_utf16", 2, bs_get_utf16_2),
    Native::heap("lam", "bs_get_utf32", 2, bs_get_utf32_2),
    Native::heap("lam", "bs_skip_utf8", 2, bs_skip_utf8_2),
    Native::heap("lam", "bs_skip_utf16", 2, bs_skip_utf16_2),
    Native::heap("lam", "bs_skip_utf32", 2, bs_skip_utf32_2),
    Native::heap("lam", "bs_ensure_at_least", 3, bs_ensure_at_least_3),
    Native::heap("lam", "bs_ensure_exactly", 2, bs_ensure_exactly_2),
    Native::heap("lam", "bs_match_bits", 3, bs_match_bits_3),
    Native::heap("lam", "bs_create_bin", 0, bs_create_bin)
        .variadic()
        .raises(),
    Native::heap("lam", "bs_init_writable", 1, bs_init_writable_1),
    Native::heap("lam", "bs_init", 2, bs_init_2),
    Native::heap("lam", "bs_init_bits", 2, bs_init_bits_2),
    Native::heap("lam", "bs_append", 4, bs_append_4),
    Native::heap("lam", "bs_put_integer", 4, bs_put_integer_4),
    Native::heap("lam", "bs_put_binary", 4, bs_put_binary_4),
    Native::heap("lam", "bs_put_float", 4, bs_put_float_4),
    Native::heap("lam", "bs_put_string", 1, bs_put_string_1),
    Native::heap("lam", "bs_put_utf8", 2, bs_put_utf8_2),
    Native::heap("lam", "bs_put_utf16", 2, bs_put_utf16_2),
    Native::heap("lam", "bs_put_utf32", 2, bs_put_utf32_2),
    Native::heap("lam", "bs_utf8_size", 1, bs_utf8_size_1),
    Native::heap("lam", "bs_utf16_size", 1, bs_utf16_size_1),
    Native::heap("lam", "bs_add", 3, bs_add_3),
];

/// Variadic (its row says so): Tuple, then Index, Value pairs.
fn update_record(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some((t, pairs)) = a.split_first().filter(|(_, p)| p.len() % 2 == 0) else {
        return badarg();
    };
    let Some(t) = c.view().tuple(*t) else {
        return badarg();
    };
    let mut elems: Vec<Word> = t.iter().map(|w| Word(*w)).collect();
    for p in pairs.chunks(2) {
        match p[0].as_small() {
            Some(i) if i >= 1 && (i as usize) <= elems.len() => elems[i as usize - 1] = p[1],
            _ => return badarg(),
        }
    }
    Value(c.heap.tuple(0, &elems))
}

fn build_stacktrace_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match c.view().tuple(a[0]) {
        Some([_, _, t]) => Value(Word(*t)),
        _ => Value(Word::NIL),
    }
}

fn bs_start_match_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if ctx(c, a[0]).is_some() {
        return Value(a[0]);
    }
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    let Some((_, len)) = bitstring(&v, a[0]) else {
        return badarg();
    };
    let at = c.heap.words.len();
    c.heap.words.extend([
        Word::header(kind::MATCH_CTX, 4).0,
        a[0].0,
        Word::small(0).expect("0").0,
        Word::small(len as i64).expect("length").0,
        Word::NIL.0,
    ]);
    Value(Word::boxed(Ptr {
        area: 0,
        offset: at,
    }))
}

fn bs_get_integer_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    get(c, a, "integer")
}

fn bs_get_float_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    get(c, a, "float")
}

fn bs_get_binary_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    get(c, a, "binary")
}

fn bs_skip_bits_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    get(c, a, "skip")
}

fn bs_test_tail_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    remaining_is(c, a[0], a[1])
}

fn bs_test_unit_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(m) = ctx(c, a[0]) else {
        return badarg();
    };
    let len = m.len;
    let unit = a[1].as_small().unwrap_or(1).max(1) as usize;
    if (len - m.pos) % unit == 0 {
        Value(Word::atom(atom::OK))
    } else {
        badarg()
    }
}

fn bs_match_string_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(m) = ctx(c, a[0]) else {
        return badarg();
    };
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    let Some((want, n)) = bitstring(&v, a[1]) else {
        return badarg();
    };
    let (bytes, len) = ctx_bits(c, &m);
    if m.pos + n > len || extract(bytes, m.pos, n) != extract(want, 0, n) {
        return badarg();
    }
    set_pos(c.heap, &m, m.pos + n);
    Value(Word::atom(atom::OK))
}

fn bs_get_tail_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match ctx(c, a[0]) {
        Some(m) => Value(rest(c, &m)),
        None => badarg(),
    }
}

fn bs_context_to_binary_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match ctx(c, a[0]) {
        Some(m) => Value(rest(c, &m)),
        None => Value(a[0]),
    }
}

fn bs_get_position_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match ctx(c, a[0]) {
        Some(m) => Value(Word::small(m.pos as i64).expect("position")),
        None => badarg(),
    }
}

fn bs_set_position_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (ctx(c, a[0]), a[1].as_small()) {
        // The translator passes only positions `bs_get_position` gave, but
        // a hand-written or corrupted module can pass any integer: one
        // past the end made every later read compute a negative length.
        (Some(m), Some(p)) if (0..=m.len as i64).contains(&p) => {
            set_pos(c.heap, &m, p as usize);
            Value(Word::atom(atom::OK))
        }
        _ => badarg(),
    }
}

fn bs_save_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(m), Some(slot)) = (ctx(c, a[0]), save_slot(c, a[1])) else {
        return badarg();
    };
    let saves = Word(c.heap.words[m.ptr.offset + 4]);
    let pos = Word::small(m.pos as i64).expect("position");
    let old = c.view().tuple(saves).map(|t| t.len()).unwrap_or(0);
    if slot < old {
        // The tuple is the context's own: write in place (a small
        // integer, which no collector follows: no barrier).
        c.heap.words[saves.ptr().offset + 1 + slot] = pos.0;
    } else {
        let mut elems: Vec<Word> = c
            .view()
            .tuple(saves)
            .unwrap_or(&[])
            .iter()
            .map(|w| Word(*w))
            .collect();
        elems.resize(slot + 1, Word::NIL);
        elems[slot] = pos;
        let t = c.heap.tuple(0, &elems);
        // A pointer into an object that may be old: through the barrier.
        c.heap.set_field(m.ptr.offset, 4, t);
    }
    Value(Word::atom(atom::OK))
}

fn bs_restore_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let (Some(m), Some(slot)) = (ctx(c, a[0]), save_slot(c, a[1])) else {
        return badarg();
    };
    let saves = Word(c.heap.words[m.ptr.offset + 4]);
    let saved = c
        .view()
        .tuple(saves)
        .and_then(|t| t.get(slot))
        .and_then(|w| Word(*w).as_small());
    match saved {
        Some(p) if (0..=m.len as i64).contains(&p) => {
            set_pos(c.heap, &m, p as usize);
            Value(Word::atom(atom::OK))
        }
        // A fresh context starts at 0; other slots must have been saved.
        None if slot == 0 => {
            set_pos(c.heap, &m, 0);
            Value(Word::atom(atom::OK))
        }
        _ => badarg(),
    }
}

fn bs_get_utf8_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    utf(c, a, 8, false)
}

fn bs_get_utf16_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    utf(c, a, 16, false)
}

fn bs_get_utf32_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    utf(c, a, 32, false)
}

fn bs_skip_utf8_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    utf(c, a, 8, true)
}

fn bs_skip_utf16_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    utf(c, a, 16, true)
}

fn bs_skip_utf32_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    utf(c, a, 32, true)
}

fn bs_ensure_at_least_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(m) = ctx(c, a[0]) else {
        return badarg();
    };
    let len = m.len;
    let (size, unit) = (
        a[1].as_small().unwrap_or(0) as usize,
        a[2].as_small().unwrap_or(1).max(1) as usize,
    );
    let rem = len - m.pos;
    if rem >= size && rem % unit == 0 {
        Value(Word::atom(atom::OK))
    } else {
        badarg()
    }
}

fn bs_ensure_exactly_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    remaining_is(c, a[0], a[1])
}

fn bs_match_bits_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(m) = ctx(c, a[0]) else {
        return badarg();
    };
    let (bytes, len) = ctx_bits(c, &m);
    let n = a[1].as_small().unwrap_or(0) as usize;
    if m.pos + n > len {
        return badarg();
    }
    let got = read_uint(bytes, m.pos, n, false, false);
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    let want = match number(&v, a[2]) {
        Some(Num::Small(i)) => BigInt::from(i),
        Some(Num::Big(b)) => b,
        _ => return badarg(),
    };
    if got != want {
        return badarg();
    }
    set_pos(c.heap, &m, m.pos + n);
    Value(Word::atom(atom::OK))
}

fn bs_create_bin(c: &mut Ctx, a: &[Word]) -> NativeResult {
    create_bin(c, a)
}

/// The binary that `private_append` segments then extend (each append
/// copies for now; the BEAM grows it in place).
fn bs_init_writable_1(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(c.heap.writable(&[]))
}

fn bs_init_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small() {
        Some(n) if n >= 0 => start_building(c, n as usize * 8, None),
        _ => badarg(),
    }
}

fn bs_init_bits_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small() {
        Some(n) if n >= 0 => start_building(c, n as usize, None),
        _ => badarg(),
    }
}

fn bs_append_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = View {
        heap: c.heap,
        literals: c.literals,
    };
    // Size is in bits; Unit is what Bin's size must be a multiple of.
    let (Some((bytes, len)), Some(extra), Some(unit)) = (
        bitstring(&v, a[0]),
        a[1].as_small().filter(|s| *s >= 0),
        a[2].as_small(),
    ) else {
        return badarg();
    };
    if unit > 1 && len % unit as usize != 0 {
        return badarg();
    }
    let extra = extra as usize;
    let bytes = bytes.to_vec();
    start_building(c, len + extra, Some((&bytes, len)))
}

fn bs_put_integer_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    put(
        c,
        atom::INTEGER,
        a[2].as_small().unwrap_or(1).max(1) as usize,
        field_flags(a[3]),
        a[0],
        a[1],
    )
}

fn bs_put_binary_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    put(
        c,
        atom::BINARY,
        a[2].as_small().unwrap_or(1).max(1) as usize,
        field_flags(a[3]),
        a[0],
        a[1],
    )
}

fn bs_put_float_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    put(
        c,
        atom::FLOAT,
        a[2].as_small().unwrap_or(1).max(1) as usize,
        field_flags(a[3]),
        a[0],
        a[1],
    )
}

fn bs_put_string_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    put(c, atom::BINARY, 8, 0, a[0], Word::atom(atom::ALL))
}

fn bs_put_utf8_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    put(c, atom::UTF8, 1, field_flags(a[1]), a[0], Word::NIL)
}

fn bs_put_utf16_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    put(c, atom::UTF16, 1, field_flags(a[1]), a[0], Word::NIL)
}

fn bs_put_utf32_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    put(c, atom::UTF32, 1, field_flags(a[1]), a[0], Word::NIL)
}

fn bs_utf8_size_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small().and_then(|cp| char::from_u32(cp as u32)) {
        Some(ch) => Value(Word::small(ch.len_utf8() as i64).expect("size")),
        None => badarg(),
    }
}

fn bs_utf16_size_1(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_small().and_then(|cp| char::from_u32(cp as u32)) {
        Some(ch) => Value(Word::small(ch.len_utf16() as i64 * 2).expect("size")),
        None => badarg(),
    }
}

fn bs_add_3(_c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (a[0].as_small(), a[1].as_small(), a[2].as_small()) {
        (Some(x), Some(y), Some(u)) if x >= 0 && y >= 0 => {
            Value(Word::small(x + y * u).unwrap_or(Word::NIL))
        }
        _ => badarg(),
    }
}
