//! Conversion BIFs: numbers to and from text in any base, binary forms of
//! the list conversions, existing atoms, bitstrings as lists, the external
//! term format (`term_to_binary`, `binary_to_term`), pids and references
//! as text, and the small list and tuple helpers the compiler calls by name.

use num_bigint::BigInt;

use crate::term::Term;
use crate::vm::native::{Ctx, LambdaInfo, NativeFn, NativeResult, badarg, boolean, small};
use crate::vm::natives::bits::{binary_bytes, binary_word, string_list};
use crate::vm::natives::erlang::{by_name, native_table, test_native};
use crate::vm::term::compare;
use crate::vm::term::list::{list_items, list_of, string_of};
use crate::vm::term::word::{Word, kind};

use NativeResult::Value;

fn text_of_binary(c: &Ctx, w: Word) -> Option<String> {
    String::from_utf8(binary_bytes(c, w)?).ok()
}

/// Runs a list-producing native and gives its result as a binary.
fn as_binary(c: &mut Ctx, r: NativeResult) -> NativeResult {
    match r {
        Value(l) => match string_of(&c.view(), l) {
            Some(s) => Value(binary_word(c, s.as_bytes())),
            None => badarg(),
        },
        other => other,
    }
}

/// An integer in `base` (2..=36) as `list_to_integer/2` reads it: an
/// optional sign, then at least one digit of either case.
fn parse_int(s: &str, base: i64) -> Option<BigInt> {
    if !(2..=36).contains(&base) {
        return None;
    }
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|ch| ch.is_digit(base as u32)) {
        return None;
    }
    let n = BigInt::parse_bytes(digits.as_bytes(), base as u32)?;
    Some(if s.starts_with('-') { -n } else { n })
}

/// A float as `list_to_float/1` reads it: digits, a point, digits, and an
/// optional exponent; nothing else (no "1", "1e5" or ".5").
fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    if let Some(e) = exp
        && !digits(e.strip_prefix(['+', '-']).unwrap_or(e))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn float_word(c: &mut Ctx, f: Option<f64>) -> NativeResult {
    match f {
        Some(f) => Value(c.heap.float(0, f)),
        None => badarg(),
    }
}

fn int_word(c: &mut Ctx, n: Option<BigInt>) -> NativeResult {
    match n {
        Some(n) => Value(c.heap.integer(0, &n)),
        None => badarg(),
    }
}

/// `bitstring_to_list/1`: the whole bytes, then the trailing bits (if
/// any) as a last element.
fn bitstring_to_list(c: &mut Ctx, w: Word) -> NativeResult {
    let Some((bytes, last)) = c.view().bits(w) else {
        return badarg();
    };
    let bytes = bytes.to_vec();
    let (whole, tail) = if last == 8 || bytes.is_empty() {
        (&bytes[..], Word::NIL)
    } else {
        let t = c.heap.bitstring(0, &bytes[bytes.len() - 1..], last);
        (&bytes[..bytes.len() - 1], c.heap.cons(0, t, Word::NIL))
    };
    let mut l = tail;
    for b in whole.iter().rev() {
        l = c.heap.cons(0, Word::small(*b as i64).expect("byte"), l);
    }
    Value(l)
}

fn term_to_binary(c: &mut Ctx, t: Word, opts: Word) -> NativeResult {
    let v = c.view();
    let Some(opts) = list_items(&v, opts) else {
        return badarg();
    };
    let term = v.to_term(t, c.atoms);
    let mut bytes = crate::beam::etf::encode(&term);
    let compressed = opts.iter().any(|o| {
        o.as_atom()
            .is_some_and(|a| &*c.atoms.name(a) == "compressed")
            || v.tuple(*o).is_some_and(|x| {
                x.len() == 2
                    && Word(x[0])
                        .as_atom()
                        .is_some_and(|a| &*c.atoms.name(a) == "compressed")
                    && Word(x[1]).as_small().is_some_and(|l| l > 0)
            })
    });
    if compressed {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        if z.write_all(&bytes[1..]).is_ok()
            && let Ok(packed) = z.finish()
            && packed.len() + 5 < bytes.len() - 1
        {
            let mut out = vec![131, 80];
            out.extend((bytes.len() as u32 - 1).to_be_bytes());
            out.extend(packed);
            bytes = out;
        }
    }
    Value(binary_word(c, &bytes))
}

fn binary_to_term(c: &mut Ctx, b: Word) -> NativeResult {
    let Some(bytes) = binary_bytes(c, b) else {
        return badarg();
    };
    match crate::beam::etf::decode(&bytes, 0) {
        // Pids, references and funs from elsewhere have no meaning here.
        Ok(t) if !has_foreign(&t) => Value(c.heap.from_term(0, &t, c.atoms)),
        _ => badarg(),
    }
}

fn has_foreign(t: &Term) -> bool {
    match t {
        Term::Ref { .. } | Term::Fun(_) | Term::Port { .. } => true,
        Term::List(items, tail) => items.iter().any(has_foreign) || has_foreign(tail),
        Term::Tuple(items) => items.iter().any(has_foreign),
        Term::Map(pairs) => pairs.iter().any(|(k, v)| has_foreign(k) || has_foreign(v)),
        _ => false,
    }
}

/// `"<0.N.S>"` and back: a pid's number N has 15 bits and its serial S 13,
/// as on the BEAM (LAM's pid counter is S * 2^15 + N).
fn parse_pid(s: &str) -> Option<u64> {
    let inner = s.strip_prefix('<')?.strip_suffix('>')?;
    let mut parts = inner.split('.');
    let (node, id, serial) = (parts.next()?, parts.next()?, parts.next()?);
    let (id, serial): (u64, u64) = (id.parse().ok()?, serial.parse().ok()?);
    (node == "0" && id < 1 << 15 && serial < 1 << 13 && parts.next().is_none())
        .then_some(id | serial << 15)
}

fn pid_text(id: u64) -> String {
    format!("<0.{}.{}>", id & 0x7fff, id >> 15)
}

fn make_tuple3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let (Some(n), Some(inits)) = (a[0].as_small(), list_items(&v, a[2])) else {
        return badarg();
    };
    if n < 0 {
        return badarg();
    }
    let mut elems = vec![a[1]; n as usize];
    for i in inits {
        match v.tuple(i) {
            Some([p, x]) => match Word(*p).as_small() {
                Some(p) if p >= 1 && p <= n => elems[p as usize - 1] = Word(*x),
                _ => return badarg(),
            },
            _ => return badarg(),
        }
    }
    Value(c.heap.tuple(0, &elems))
}

fn is_record(c: &mut Ctx, t: Word, tag: Word, size: Option<Word>) -> NativeResult {
    if tag.as_atom().is_none() {
        return badarg();
    }
    let v = c.view();
    boolean(v.tuple(t).is_some_and(|x| {
        !x.is_empty()
            && Word(x[0]) == tag
            && size.is_none_or(|s| s.as_small() == Some(x.len() as i64))
    }))
}

fn get_keys1(c: &mut Ctx, val: Word) -> NativeResult {
    let v = c.view();
    let ks: Vec<Word> = c
        .dict
        .entries()
        .filter(|e| compare::exact_eq(&v, c.atoms, e.value, val))
        .map(|e| e.key)
        .collect();
    Value(list_of(c.heap, &ks))
}

fn fun_info_mfa(c: &mut Ctx, f: Word) -> NativeResult {
    let v = c.view();
    if !f.is_boxed() {
        return badarg();
    }
    let p = f.ptr();
    match v.header(f).header_kind() {
        kind::EXPORT => {
            let (m, fu, ar) = (v.at(p, 1), v.at(p, 2), v.at(p, 3));
            Value(c.heap.tuple(0, &[m, fu, ar]))
        }
        kind::FUN => {
            let mid = v.at(p, 1).as_small().unwrap_or(0) as u32;
            let idx = v.at(p, 2).as_small().unwrap_or(0) as u32;
            let Some(LambdaInfo {
                module,
                function: Some(name),
                arity,
                ..
            }) = c.code.lambda(mid, idx)
            else {
                return badarg();
            };
            let t = [
                Word::atom(module),
                Word::atom(name),
                Word::small(arity as i64).expect("arity"),
            ];
            Value(c.heap.tuple(0, &t))
        }
        _ => badarg(),
    }
}

native_table! {
    /// Conversion natives.
    CONV_NATIVES;
    "erlang":"integer_to_binary"/2 => |c, a| { let r = by_name("erlang", "integer_to_list", 2)(c, a); as_binary(c, r) };
    "erlang":"float_to_binary"/1 => |c, a| { let r = by_name("erlang", "float_to_list", 1)(c, a); as_binary(c, r) };
    "erlang":"float_to_binary"/2 => |c, a| { let r = by_name("erlang", "float_to_list", 2)(c, a); as_binary(c, r) };
    "erlang":"list_to_integer"/2 => |c, a| { let n = string_of(&c.view(), a[0]).zip(a[1].as_small()).and_then(|(s, b)| parse_int(&s, b)); int_word(c, n) };
    "erlang":"binary_to_integer"/2 => |c, a| { let n = text_of_binary(c, a[0]).zip(a[1].as_small()).and_then(|(s, b)| parse_int(&s, b)); int_word(c, n) };
    "erlang":"list_to_float"/1 => |c, a| { let f = string_of(&c.view(), a[0]).and_then(|s| parse_float(&s)); float_word(c, f) };
    "erlang":"binary_to_float"/1 => |c, a| { let f = text_of_binary(c, a[0]).and_then(|s| parse_float(&s)); float_word(c, f) };
    "erlang":"list_to_existing_atom"/1 => |c, a| match string_of(&c.view(), a[0]).and_then(|s| c.atoms.existing(&s)) { Some(x) => Value(Word::atom(x)), None => badarg() };
    "erlang":"binary_to_existing_atom"/2 => |c, a| match text_of_binary(c, a[0]).and_then(|s| c.atoms.existing(&s)) { Some(x) => Value(Word::atom(x)), None => badarg() };
    "erlang":"binary_to_existing_atom"/1 => |c, a| match text_of_binary(c, a[0]).and_then(|s| c.atoms.existing(&s)) { Some(x) => Value(Word::atom(x)), None => badarg() };
    "erlang":"bitstring_to_list"/1 => |c, a| bitstring_to_list(c, a[0]);
    "erlang":"binary_part"/2 => |c, a| match c.view().tuple(a[1]) {
        Some([s, l]) => { let (s, l) = (Word(*s), Word(*l)); by_name("erlang", "binary_part", 3)(c, &[a[0], s, l]) }
        _ => badarg(),
    };
    "erlang":"term_to_binary"/1 => |c, a| term_to_binary(c, a[0], Word::NIL);
    "erlang":"term_to_binary"/2 => |c, a| term_to_binary(c, a[0], a[1]);
    "erlang":"term_to_iovec"/1 => |c, a| match term_to_binary(c, a[0], Word::NIL) { Value(b) => Value(c.heap.cons(0, b, Word::NIL)), r => r };
    "erlang":"term_to_iovec"/2 => |c, a| match term_to_binary(c, a[0], a[1]) { Value(b) => Value(c.heap.cons(0, b, Word::NIL)), r => r };
    "erlang":"external_size"/1 => |c, a| match term_to_binary(c, a[0], Word::NIL) { Value(b) => Value(small(c.view().bits(b).map_or(0, |x| x.0.len()))), r => r };
    "erlang":"external_size"/2 => |c, a| match term_to_binary(c, a[0], Word::NIL) { Value(b) => Value(small(c.view().bits(b).map_or(0, |x| x.0.len()))), r => r };
    "erlang":"binary_to_term"/1 => |c, a| binary_to_term(c, a[0]);
    "erlang":"binary_to_term"/2 => |c, a| binary_to_term(c, a[0]);
    "erlang":"iolist_to_iovec"/1 => |c, a| match by_name("erlang", "iolist_to_binary", 1)(c, a) {
        Value(b) if c.view().bits(b).is_some_and(|x| x.0.is_empty()) => Value(Word::NIL),
        Value(b) => Value(c.heap.cons(0, b, Word::NIL)),
        r => r,
    };
    "erlang":"pid_to_list"/1 => |c, a| match a[0].as_pid() { Some(id) => Value(string_list(c, &pid_text(id))), None => badarg() };
    "erlang":"list_to_pid"/1 => |c, a| match string_of(&c.view(), a[0]).and_then(|s| parse_pid(&s)) { Some(id) => Value(Word::pid(id)), None => badarg() };
    "erlang":"ref_to_list"/1 => |c, a| {
        let v = c.view();
        if !a[0].is_boxed() || v.header(a[0]).header_kind() != kind::REF { return badarg() }
        let text = crate::erlfmt::w(&v.to_term(a[0], c.atoms));
        Value(string_list(c, &text))
    };
    "erlang":"subtract"/2 => |c, a| by_name("erlang", "--", 2)(c, a);
    "erlang":"append"/2 => |c, a| by_name("erlang", "++", 2)(c, a);
    "erlang":"is_function"/2 => |c, a| match a[1].as_small() { Some(n) if n >= 0 => test_native(c, a, "is_function2"), _ => badarg() };
    "erlang":"is_record"/2 => |c, a| is_record(c, a[0], a[1], None);
    "erlang":"is_record"/3 => |c, a| is_record(c, a[0], a[1], Some(a[2]));
    "erlang":"make_tuple"/3 => |c, a| make_tuple3(c, a);
    "erlang":"get_keys"/1 => |c, a| get_keys1(c, a[0]);
    "erlang":"erase"/0 => |c, _| {
        let d = c.dict.take();
        let ts: Vec<Word> = d.iter().map(|(k, v)| c.heap.tuple(0, &[*k, *v])).collect();
        Value(list_of(c.heap, &ts))
    };
    "erlang":"fun_info_mfa"/1 => |c, a| fun_info_mfa(c, a[0]);
    "erlang":"make_fun"/3 => |c, a| match (a[0].as_atom(), a[1].as_atom(), a[2].as_small()) {
        (Some(m), Some(f), Some(n)) if (0..=255).contains(&n) => Value(c.heap.export(0, m, f, n as u8)),
        _ => badarg(),
    };
    "erlang":"function_exported"/3 => |c, a| match (a[0].as_atom(), a[1].as_atom(), a[2].as_small()) {
        (Some(m), Some(f), Some(n)) => boolean(
            c.code.is_exported(m, f, n as u32)
                || crate::vm::natives::erlang::lookup(c.atoms, m, f, n as u32).is_some(),
        ),
        _ => badarg(),
    };
    "erlang":"is_builtin"/3 => |c, a| match (a[0].as_atom(), a[1].as_atom(), a[2].as_small()) {
        (Some(m), Some(f), Some(n)) => boolean(
            crate::vm::natives::erlang::lookup(c.atoms, m, f, n as u32).is_some()
                || u32::try_from(n).is_ok_and(|n| {
                    crate::vm::runtime::proc_natives::proc_native(&c.atoms.name(m), &c.atoms.name(f), n)
                        .is_some()
                }),
        ),
        _ => badarg(),
    };
    "erlang":"nif_error"/2 => |_, a| NativeResult::Error(crate::vm::term::Exception::error(a[0]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_as_erlang_reads_them() {
        assert_eq!(parse_int("-ff", 16), Some(BigInt::from(-255)));
        assert_eq!(parse_int("+Zz", 36), Some(BigInt::from(35 * 36 + 35)));
        assert_eq!(parse_int("12", 2), None);
        assert_eq!(parse_int("", 10), None);
        assert_eq!(parse_int("-", 10), None);
        assert_eq!(parse_float("1.5e3"), Some(1500.0));
        assert_eq!(parse_float("-0.25"), Some(-0.25));
        for bad in ["1", "1e5", ".5", "1.", "1.0e", "1.0e+", "inf", "1.0e999"] {
            assert_eq!(parse_float(bad), None, "{bad}");
        }
        assert_eq!(parse_pid("<0.42.0>"), Some(42));
        assert_eq!(parse_pid("<0.42.1>"), Some(42 + (1 << 15)));
        assert_eq!(pid_text(42 + (3 << 15)), "<0.42.3>");
        assert_eq!(parse_pid("<1.42.0>"), None);
        assert_eq!(parse_pid("<0.99999.0>"), None);
    }
}
