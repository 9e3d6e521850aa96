//! The `string` functions LAM implements natively.

use num_bigint::BigInt;

use crate::term::Term;
use crate::vm::native::{Ctx, Native, NativeResult, badarg};
use crate::vm::term::list::string_of;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `string` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("string", "list_to_integer", 1, list_to_integer_1),
    Native::heap("string", "list_to_float", 1, list_to_float_1),
];

fn list_to_integer_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(s) = string_of(&c.view(), a[0]) else {
        return badarg();
    };
    let digits_end = s
        .char_indices()
        .find(|&(i, ch)| !(ch.is_ascii_digit() || (i == 0 && (ch == '-' || ch == '+'))))
        .map_or(s.len(), |(i, _)| i);
    match s[..digits_end].parse::<BigInt>() {
        Ok(n) => {
            let n = c.heap.integer(0, &n);
            let rest = c
                .heap
                .from_term(0, &Term::string(&s[digits_end..]), c.atoms);
            Value(c.heap.tuple(0, &[n, rest]))
        }
        Err(_) => {
            let e = Word::atom(c.atoms.intern("error"));
            let r = Word::atom(c.atoms.intern("no_integer"));
            Value(c.heap.tuple(0, &[e, r]))
        }
    }
}

fn list_to_float_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(s) = string_of(&c.view(), a[0]) else {
        return badarg();
    };
    // The longest prefix that reads as an Erlang float (digits, '.', digits, exponent).
    let best = (1..=s.len())
        .rev()
        .filter(|&i| s.is_char_boundary(i))
        .find(|&i| {
            let p = &s[..i];
            p.contains('.') && !p.ends_with(['e', 'E', '+', '-', '.']) && p.parse::<f64>().is_ok()
        });
    match best {
        Some(i) => {
            let f = c.heap.float(0, s[..i].parse().expect("parsed"));
            let rest = c.heap.from_term(0, &Term::string(&s[i..]), c.atoms);
            Value(c.heap.tuple(0, &[f, rest]))
        }
        None => {
            let e = Word::atom(c.atoms.intern("error"));
            let r = Word::atom(c.atoms.intern("no_float"));
            Value(c.heap.tuple(0, &[e, r]))
        }
    }
}
