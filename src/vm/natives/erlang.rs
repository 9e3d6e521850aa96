//! Native functions: the `erlang` BIFs and the functions OTP implements as
//! BIFs elsewhere (`lists:reverse/2`, `maps:*`, ...), plus the helpers the
//! interpreter's `test`, `arith` and map instructions share with them.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_traits::Zero;

use crate::term::Term;
use crate::vm::native::{Ctx, NativeFn, NativeResult, badarg, boolean, error, small};
use crate::vm::ops::arith::{ArithOp, arith, to_big, to_f64};
use crate::vm::ops::test::{TestOp, test};
use crate::vm::term::atoms::{Atoms, atom};
use crate::vm::term::compare::{self, Num, number};
use crate::vm::term::exception::Exception;

use crate::vm::term::heap::View;
use crate::vm::term::list::{list_items, list_of, string_of};
use crate::vm::term::maps;
use crate::vm::term::word::{Word, kind};

use NativeResult::{Error as Err_, Value};

// ---------------------------------------------------------------- maps

/// A map's entries in key order, or `{badmap, M}`.
fn map_entries(c: &mut Ctx, m: Word) -> Result<Vec<(Word, Word)>, NativeResult> {
    match maps::entries(&c.view(), c.atoms, m) {
        Some(e) => Ok(e),
        None => Err(badmap(c, m)),
    }
}

fn from_pairs(c: &mut Ctx, kv: &[(Word, Word)]) -> NativeResult {
    let empty = c.heap.map(0, &[], &[]);
    match maps::put(c.heap, c.literals, c.atoms, empty, kv, false) {
        Ok(w) => Value(w),
        Err(e) => Err_(e),
    }
}

// ---------------------------------------------------------------- natives

fn cmp_native(c: &mut Ctx, a: &[Word], f: fn(Ordering) -> bool) -> NativeResult {
    boolean(f(compare::compare(&c.view(), c.atoms, a[0], a[1])))
}

fn arith_native(c: &mut Ctx, a: &[Word], op: ArithOp) -> NativeResult {
    match arith(c.heap, c.literals, op, a[0], a[1]) {
        Ok(w) => Value(w),
        Err(e) => Err_(e),
    }
}

pub(crate) fn test_native(c: &mut Ctx, a: &[Word], name: &str) -> NativeResult {
    let op = TestOp::from_name(name).expect("a test kind");
    boolean(test(&c.view(), c.atoms, op, a))
}

/// A table of natives: `NAME; "module":"function"/arity => fn; ...`.
/// Every native module declares its table with it.
macro_rules! native_table {
    ($(#[$doc:meta])* $name:ident; $( $m:literal : $f:literal / $a:literal => $body:expr ; )*) => {
        $(#[$doc])*
        pub static $name: &[(&str, &str, u32, NativeFn)] = &[
            $( ($m, $f, $a, $body), )*
        ];
    };
}
pub(crate) use native_table;

native_table! {
    /// Every native, by module, name and arity.
    NATIVES;
    "erlang":"+"/2 => |c, a| arith_native(c, a, ArithOp::Add);
    "erlang":"-"/2 => |c, a| arith_native(c, a, ArithOp::Sub);
    "erlang":"*"/2 => |c, a| arith_native(c, a, ArithOp::Mul);
    "erlang":"/"/2 => |c, a| arith_native(c, a, ArithOp::Div);
    "erlang":"div"/2 => |c, a| arith_native(c, a, ArithOp::IDiv);
    "erlang":"rem"/2 => |c, a| arith_native(c, a, ArithOp::Rem);
    "erlang":"band"/2 => |c, a| arith_native(c, a, ArithOp::Band);
    "erlang":"bor"/2 => |c, a| arith_native(c, a, ArithOp::Bor);
    "erlang":"bxor"/2 => |c, a| arith_native(c, a, ArithOp::Bxor);
    "erlang":"bsl"/2 => |c, a| arith_native(c, a, ArithOp::Bsl);
    "erlang":"bsr"/2 => |c, a| arith_native(c, a, ArithOp::Bsr);
    // A float is negated (-(0.0) is -0.0); an integer is subtracted from 0.
    "erlang":"-"/1 => |c, a| match c.view().float(a[0]) {
        Some(f) => Value(c.heap.float(0, -f)),
        None => arith_native(c, &[Word::small(0).expect("0"), a[0]], ArithOp::Sub),
    };
    "erlang":"+"/1 => |c, a| if number(&c.view(), a[0]).is_some() { Value(a[0]) } else { error(Word::atom(atom::BADARITH)) };
    "erlang":"bnot"/1 => |c, a| arith_native(c, &[a[0], Word::small(-1).expect("-1")], ArithOp::Bxor);
    "erlang":"abs"/1 => |c, a| match number(&c.view(), a[0]) {
        Some(Num::Float(f)) => Value(c.heap.float(0, f.abs())),
        Some(n) => { let b = to_big(&n).expect("int"); Value(c.heap.integer(0, &if b < BigInt::zero() { -b } else { b })) }
        None => badarg(),
    };
    "erlang":"float"/1 => |c, a| match number(&c.view(), a[0]).as_ref().and_then(to_f64) {
        Some(f) => Value(c.heap.float(0, f)),
        None => badarg(),
    };
    "erlang":"trunc"/1 => |c, a| float_to_int(c, a[0], f64::trunc);
    "erlang":"round"/1 => |c, a| float_to_int(c, a[0], f64::round);
    "erlang":"floor"/1 => |c, a| float_to_int(c, a[0], f64::floor);
    "erlang":"ceil"/1 => |c, a| float_to_int(c, a[0], f64::ceil);
    "erlang":"=="/2 => |c, a| cmp_native(c, a, |o| o == Ordering::Equal);
    "erlang":"/="/2 => |c, a| cmp_native(c, a, |o| o != Ordering::Equal);
    "erlang":"<"/2 => |c, a| cmp_native(c, a, |o| o == Ordering::Less);
    "erlang":">"/2 => |c, a| cmp_native(c, a, |o| o == Ordering::Greater);
    "erlang":"=<"/2 => |c, a| cmp_native(c, a, |o| o != Ordering::Greater);
    "erlang":">="/2 => |c, a| cmp_native(c, a, |o| o != Ordering::Less);
    "erlang":"=:="/2 => |c, a| boolean(compare::exact_eq(&c.view(), c.atoms, a[0], a[1]));
    "erlang":"=/="/2 => |c, a| boolean(!compare::exact_eq(&c.view(), c.atoms, a[0], a[1]));
    "erlang":"not"/1 => |_, a| match a[0].as_atom() { Some(atom::TRUE) => boolean(false), Some(atom::FALSE) => boolean(true), _ => badarg() };
    "erlang":"and"/2 => |_, a| bool_op(a, |x, y| x && y);
    "erlang":"or"/2 => |_, a| bool_op(a, |x, y| x || y);
    "erlang":"xor"/2 => |_, a| bool_op(a, |x, y| x ^ y);
    "erlang":"is_atom"/1 => |c, a| test_native(c, a, "is_atom");
    "erlang":"is_binary"/1 => |c, a| test_native(c, a, "is_binary");
    "erlang":"is_bitstring"/1 => |c, a| test_native(c, a, "is_bitstring");
    "erlang":"is_boolean"/1 => |c, a| test_native(c, a, "is_boolean");
    "erlang":"is_float"/1 => |c, a| test_native(c, a, "is_float");
    "erlang":"is_function"/1 => |c, a| test_native(c, a, "is_function");
    "erlang":"is_integer"/1 => |c, a| test_native(c, a, "is_integer");
    "erlang":"is_list"/1 => |c, a| test_native(c, a, "is_list");
    "erlang":"is_map"/1 => |c, a| test_native(c, a, "is_map");
    "erlang":"is_number"/1 => |c, a| test_native(c, a, "is_number");
    "erlang":"is_pid"/1 => |c, a| test_native(c, a, "is_pid");
    "erlang":"is_port"/1 => |c, a| test_native(c, a, "is_port");
    "erlang":"is_reference"/1 => |c, a| test_native(c, a, "is_reference");
    "erlang":"is_tuple"/1 => |c, a| test_native(c, a, "is_tuple");
    "erlang":"element"/2 => |c, a| {
        let v = c.view();
        match (a[0].as_small(), v.tuple(a[1])) {
            (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() => Value(Word(t[i as usize - 1])),
            _ => badarg(),
        }
    };
    "erlang":"setelement"/3 => |c, a| {
        let v = c.view();
        match (a[0].as_small(), v.tuple(a[1])) {
            (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() => {
                let mut elems: Vec<Word> = t.iter().map(|w| Word(*w)).collect();
                elems[i as usize - 1] = a[2];
                Value(c.heap.tuple(0, &elems))
            }
            _ => badarg(),
        }
    };
    "erlang":"tuple_size"/1 => |c, a| match c.view().tuple(a[0]) { Some(t) => Value(small(t.len())), None => badarg() };
    "erlang":"size"/1 => |c, a| {
        let v = c.view();
        match (v.tuple(a[0]), v.bits(a[0])) { (Some(t), _) => Value(small(t.len())), (_, Some((b, _))) => Value(small(b.len())), _ => badarg() }
    };
    "erlang":"byte_size"/1 => |c, a| match c.view().bits(a[0]) { Some((b, _)) => Value(small(b.len())), None => badarg() };
    "erlang":"map_size"/1 => |c, a| match maps::size(&c.view(), a[0]) { Some(n) => Value(small(n)), None => badmap(c, a[0]) };
    "erlang":"map_get"/2 => |c, a| maps_get(c, a[1], a[0]);
    "erlang":"is_map_key"/2 => |c, a| { let v = c.view(); if !maps::is_map(&v, a[1]) { return badmap(c, a[1]) } boolean(maps::get(&v, c.atoms, a[1], a[0]).is_some()) };
    "erlang":"make_tuple"/2 => |c, a| match a[0].as_small() { Some(n) if n >= 0 => Value(c.heap.tuple(0, &vec![a[1]; n as usize])), _ => badarg() };
    "erlang":"tuple_to_list"/1 => |c, a| match c.view().tuple(a[0]) { Some(t) => { let t: Vec<Word> = t.iter().map(|w| Word(*w)).collect(); Value(list_of(c.heap, &t)) } None => badarg() };
    "erlang":"list_to_tuple"/1 => |c, a| match list_items(&c.view(), a[0]) { Some(items) => Value(c.heap.tuple(0, &items)), None => badarg() };
    "erlang":"hd"/1 => |c, a| if a[0].is_list() { Value(c.view().cons(a[0]).0) } else { badarg() };
    "erlang":"tl"/1 => |c, a| if a[0].is_list() { Value(c.view().cons(a[0]).1) } else { badarg() };
    "erlang":"length"/1 => |c, a| match list_items(&c.view(), a[0]) { Some(items) => Value(small(items.len())), None => badarg() };
    "erlang":"++"/2 => |c, a| match list_items(&c.view(), a[0]) {
        Some(items) => Value(items.iter().rev().fold(a[1], |acc, h| c.heap.cons(0, *h, acc))),
        None => badarg(),
    };
    "erlang":"--"/2 => |c, a| {
        let v = c.view();
        let (Some(mut xs), Some(ys)) = (list_items(&v, a[0]), list_items(&v, a[1])) else { return badarg() };
        for y in ys {
            if let Some(i) = xs.iter().position(|x| compare::exact_eq(&v, c.atoms, *x, y)) { xs.remove(i); }
        }
        Value(list_of(c.heap, &xs))
    };
    "erlang":"atom_to_list"/1 => |c, a| match a[0].as_atom() { Some(x) => { let t = Term::string(&c.atoms.name(x)); Value(c.heap.from_term(0, &t, c.atoms)) } None => badarg() };
    "erlang":"list_to_atom"/1 => |c, a| match string_of(&c.view(), a[0]) { Some(s) => Value(Word::atom(c.atoms.intern(&s))), None => badarg() };
    "erlang":"integer_to_list"/1 => |c, a| match number(&c.view(), a[0]) {
        Some(n @ (Num::Small(_) | Num::Big(_))) => { let t = Term::string(&to_big(&n).expect("int").to_string()); Value(c.heap.from_term(0, &t, c.atoms)) }
        _ => badarg(),
    };
    "erlang":"list_to_integer"/1 => |c, a| match string_of(&c.view(), a[0]).and_then(|s| s.parse::<BigInt>().ok()) { Some(b) => Value(c.heap.integer(0, &b)), None => badarg() };
    "erlang":"error"/1 => |_, a| error(a[0]);
    "erlang":"error"/2 => |_, a| error(a[0]);
    "erlang":"error"/3 => |_, a| error(a[0]);
    "erlang":"module_loaded"/1 => |c, a| match a[0].as_atom() { Some(m) => boolean(c.code.is_loaded(m)), None => badarg() };
    "erlang":"float_to_list"/1 => |c, a| float_to_list(c, a[0], Word::NIL);
    "erlang":"float_to_list"/2 => |c, a| float_to_list(c, a[0], a[1]);
    "math":"sqrt"/1 => |c, a| math1(c, a[0], f64::sqrt);
    "math":"sin"/1 => |c, a| math1(c, a[0], f64::sin);
    "math":"cos"/1 => |c, a| math1(c, a[0], f64::cos);
    "math":"tan"/1 => |c, a| math1(c, a[0], f64::tan);
    "math":"atan"/1 => |c, a| math1(c, a[0], f64::atan);
    "math":"exp"/1 => |c, a| math1(c, a[0], f64::exp);
    "math":"log"/1 => |c, a| math1(c, a[0], f64::ln);
    "math":"log2"/1 => |c, a| math1(c, a[0], f64::log2);
    "math":"log10"/1 => |c, a| math1(c, a[0], f64::log10);
    "math":"floor"/1 => |c, a| math1(c, a[0], f64::floor);
    "math":"ceil"/1 => |c, a| math1(c, a[0], f64::ceil);
    "math":"pow"/2 => |c, a| {
        let v = c.view();
        match (number(&v, a[0]).as_ref().and_then(to_f64), number(&v, a[1]).as_ref().and_then(to_f64)) {
            (Some(x), Some(y)) if x.powf(y).is_finite() => Value(c.heap.float(0, x.powf(y))),
            (Some(_), Some(_)) => error(Word::atom(atom::BADARITH)),
            _ => badarg(),
        }
    };
    "math":"pi"/0 => |c, _| Value(c.heap.float(0, std::f64::consts::PI));
    "erlang":"throw"/1 => |_, a| Err_(Exception { class: atom::THROW, reason: a[0], trace: Word::NONE });
    "erlang":"exit"/1 => |_, a| Err_(Exception { class: atom::EXIT, reason: a[0], trace: Word::NONE });
    "erlang":"raise"/3 => |_, a| match a[0].as_atom() {
        Some(cl @ (atom::ERROR | atom::EXIT | atom::THROW)) => Err_(Exception { class: cl, reason: a[1], trace: a[2] }),
        _ => badarg(),
    };
    "erlang":"apply"/3 => |c, a| match list_items(&c.view(), a[2]) {
        Some(args) => NativeResult::Apply(a[0], a[1], args),
        None => badarg(),
    };
    "erlang":"put"/2 => |c, a| {
        let v = View { heap: c.heap, literals: c.literals };
        Value(c.dict.put(&v, c.atoms, a[0], a[1]).unwrap_or(Word::atom(atom::UNDEFINED)))
    };
    "erlang":"get"/1 => |c, a| {
        let v = c.view();
        Value(c.dict.get(&v, c.atoms, a[0]).unwrap_or(Word::atom(atom::UNDEFINED)))
    };
    "erlang":"erase"/1 => |c, a| {
        let v = View { heap: c.heap, literals: c.literals };
        Value(c.dict.erase(&v, c.atoms, a[0]).unwrap_or(Word::atom(atom::UNDEFINED)))
    };
    "erlang":"get_module_info"/1 => |c, a| module_info(c, a[0], None);
    "erlang":"get_module_info"/2 => |c, a| module_info(c, a[0], Some(a[1]));
    "erlang":"min"/2 => |c, a| Value(if compare::compare(&c.view(), c.atoms, a[1], a[0]) == Ordering::Less { a[1] } else { a[0] });
    "erlang":"max"/2 => |c, a| Value(if compare::compare(&c.view(), c.atoms, a[1], a[0]) == Ordering::Greater { a[1] } else { a[0] });
    "erlang":"get"/0 => |c, _| { let d = c.dict.pairs(); let ts: Vec<Word> = d.iter().map(|(k, v)| c.heap.tuple(0, &[*k, *v])).collect(); Value(list_of(c.heap, &ts)) };
    "erlang":"get_keys"/0 => |c, _| { let ks: Vec<Word> = c.dict.entries().map(|e| e.key).collect(); Value(list_of(c.heap, &ks)) };
    // Modules load on first call here: there is nothing to ensure.
    "code":"ensure_modules_loaded"/1 => |_, _| Value(Word::atom(atom::OK));
    "erlang":"fun_to_list"/1 => |c, a| {
        let v = c.view();
        if !a[0].is_boxed() { return badarg() }
        let p = a[0].ptr();
        let text = match v.header(a[0]).header_kind() {
            kind::FUN => {
                let (mid, idx) = (v.at(p, 1).as_small().unwrap_or(0) as u32, v.at(p, 2).as_small().unwrap_or(0) as u32);
                let Some(l) = c.code.lambda(mid, idx) else { return badarg() };
                format!("#Fun<{}.{}.{}>", c.atoms.name(l.module), idx, l.uniq)
            }
            kind::EXPORT => {
                let mut s = String::from("fun ");
                crate::erlfmt::write_atom(&mut s, &c.atoms.name(v.at(p, 1).as_atom().unwrap_or(0)));
                s.push(':');
                crate::erlfmt::write_atom(&mut s, &c.atoms.name(v.at(p, 2).as_atom().unwrap_or(0)));
                format!("{s}/{}", v.at(p, 3).as_small().unwrap_or(0))
            }
            _ => return badarg(),
        };
        let t = Term::string(&text);
        Value(c.heap.from_term(0, &t, c.atoms))
    };
    "maps":"remove"/2 => |c, a| match maps::remove(c.heap, c.literals, c.atoms, a[1], a[0]) { Some(m) => Value(m), None => badmap(c, a[1]) };
    "maps":"take"/2 => |c, a| {
        let v = c.view();
        if !maps::is_map(&v, a[1]) { return badmap(c, a[1]) }
        match maps::get(&v, c.atoms, a[1], a[0]) {
            None => Value(Word::atom(c.atoms.intern("error"))),
            Some(x) => {
                let rest = maps::remove(c.heap, c.literals, c.atoms, a[1], a[0]).expect("a map");
                Value(c.heap.tuple(0, &[x, rest]))
            }
        }
    };
    "maps":"update"/3 => |c, a| match maps::put(c.heap, c.literals, c.atoms, a[2], &[(a[0], a[1])], true) { Ok(w) => Value(w), Err(e) => Err_(e) };
    "maps":"from_keys"/2 => |c, a| match list_items(&c.view(), a[0]) {
        Some(keys) => {
            let kv: Vec<(Word, Word)> = keys.into_iter().map(|k| (k, a[1])).collect();
            from_pairs(c, &kv)
        }
        None => badarg(),
    };
    "erlang":"fun_info"/2 => |c, a| {
        let v = c.view();
        let (Some(key), true) = (a[1].as_atom(), a[0].is_boxed()) else { return badarg() };
        let p = a[0].ptr();
        let key_name = c.atoms.name(key);
        let value = match (v.header(a[0]).header_kind(), &*key_name) {
            (kind::FUN, k) => {
                let (mid, idx) = (v.at(p, 1).as_small().unwrap_or(0) as u32, v.at(p, 2).as_small().unwrap_or(0) as u32);
                let Some(l) = c.code.lambda(mid, idx) else { return badarg() };
                match k {
                    "arity" => v.at(p, 3),
                    "module" => Word::atom(l.module),
                    "type" => Word::atom(c.atoms.intern("local")),
                    "name" => Word::atom(l.function.unwrap_or(atom::UNDEFINED)),
                    "index" => small(idx as usize),
                    "uniq" => Word::small(l.uniq as i64).expect("uniq"),
                    "env" => { let env: Vec<Word> = (0..l.free as usize).map(|k| v.at(p, 4 + k)).collect(); list_of(c.heap, &env) }
                    _ => return badarg(),
                }
            }
            (kind::EXPORT, k) => match k {
                "arity" => v.at(p, 3),
                "module" => v.at(p, 1),
                "name" => v.at(p, 2),
                "type" => Word::atom(c.atoms.intern("external")),
                "env" => Word::NIL,
                _ => return badarg(),
            },
            _ => return badarg(),
        };
        Value(c.heap.tuple(0, &[a[1], value]))
    };
    "erlang":"append_element"/2 => |c, a| match c.view().tuple(a[0]) {
        Some(t) => { let mut e: Vec<Word> = t.iter().map(|w| Word(*w)).collect(); e.push(a[1]); Value(c.heap.tuple(0, &e)) }
        None => badarg(),
    };
    "erlang":"delete_element"/2 => |c, a| match (a[0].as_small(), c.view().tuple(a[1])) {
        (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() => { let mut e: Vec<Word> = t.iter().map(|w| Word(*w)).collect(); e.remove(i as usize - 1); Value(c.heap.tuple(0, &e)) }
        _ => badarg(),
    };
    "erlang":"insert_element"/3 => |c, a| match (a[0].as_small(), c.view().tuple(a[1])) {
        (Some(i), Some(t)) if i >= 1 && (i as usize) <= t.len() + 1 => { let mut e: Vec<Word> = t.iter().map(|w| Word(*w)).collect(); e.insert(i as usize - 1, a[2]); Value(c.heap.tuple(0, &e)) }
        _ => badarg(),
    };
    // A deterministic hash of the term's structure. dict and sets only need
    // a stable hash in 1..Range; it is not the BEAM's value, so the internal
    // order of such collections differs (their contents do not).
    "erlang":"phash"/2 => |c, a| phash(c, a[0], a[1]);
    "erlang":"phash2"/1 => |c, a| phash(c, a[0], Word::small(1 << 27).expect("range")).and_minus_one();
    "erlang":"phash2"/2 => |c, a| phash(c, a[0], a[1]).and_minus_one();
    "string":"list_to_integer"/1 => |c, a| {
        let Some(s) = string_of(&c.view(), a[0]) else { return badarg() };
        let digits_end = s.char_indices().find(|&(i, ch)| !(ch.is_ascii_digit() || (i == 0 && (ch == '-' || ch == '+')))).map_or(s.len(), |(i, _)| i);
        match s[..digits_end].parse::<BigInt>() {
            Ok(n) => { let n = c.heap.integer(0, &n); let rest = c.heap.from_term(0, &Term::string(&s[digits_end..]), c.atoms); Value(c.heap.tuple(0, &[n, rest])) }
            Err(_) => { let e = Word::atom(c.atoms.intern("error")); let r = Word::atom(c.atoms.intern("no_integer")); Value(c.heap.tuple(0, &[e, r])) }
        }
    };
    "string":"list_to_float"/1 => |c, a| {
        let Some(s) = string_of(&c.view(), a[0]) else { return badarg() };
        // The longest prefix that reads as an Erlang float (digits, '.', digits, exponent).
        let best = (1..=s.len()).rev().filter(|&i| s.is_char_boundary(i)).find(|&i| {
            let p = &s[..i];
            p.contains('.') && !p.ends_with(['e', 'E', '+', '-', '.']) && p.parse::<f64>().is_ok()
        });
        match best {
            Some(i) => { let f = c.heap.float(0, s[..i].parse().expect("parsed")); let rest = c.heap.from_term(0, &Term::string(&s[i..]), c.atoms); Value(c.heap.tuple(0, &[f, rest])) }
            None => { let e = Word::atom(c.atoms.intern("error")); let r = Word::atom(c.atoms.intern("no_float")); Value(c.heap.tuple(0, &[e, r])) }
        }
    };
    "erlang":"node"/0 => |_, _| Value(Word::atom(atom::NONODE));
    "erlang":"node"/1 => |_, _| Value(Word::atom(atom::NONODE));
    "net_kernel":"dflag_unicode_io"/1 => |_, _| Value(Word::atom(atom::TRUE));
    "erlang":"nif_error"/1 => |_, a| error(a[0]);
    "lists":"reverse"/2 => |c, a| match list_items(&c.view(), a[0]) { Some(items) => Value(items.iter().fold(a[1], |acc, h| c.heap.cons(0, *h, acc))), None => badarg() };
    "lists":"member"/2 => |c, a| {
        let v = c.view();
        match list_items(&v, a[1]) { Some(items) => boolean(items.iter().any(|x| compare::exact_eq(&v, c.atoms, *x, a[0]))), None => badarg() }
    };
    "lists":"keyfind"/3 => |c, a| match keyfind(c, a) { Ok(Some(t)) => Value(t), Ok(None) => boolean(false), Err(()) => badarg() };
    "lists":"keymember"/3 => |c, a| match keyfind(c, a) { Ok(found) => boolean(found.is_some()), Err(()) => badarg() };
    "lists":"keysearch"/3 => |c, a| match keyfind(c, a) { Ok(Some(t)) => Value(c.heap.tuple(0, &[Word::atom(c.atoms.intern("value")), t])), Ok(None) => boolean(false), Err(()) => badarg() };
    "maps":"get"/2 => |c, a| maps_get(c, a[1], a[0]);
    "maps":"find"/2 => |c, a| { let v = c.view(); if !maps::is_map(&v, a[1]) { return badmap(c, a[1]) } match maps::get(&v, c.atoms, a[1], a[0]) { Some(x) => Value(c.heap.tuple(0, &[Word::atom(atom::OK), x])), None => Value(Word::atom(c.atoms.intern("error"))) } };
    "maps":"is_key"/2 => |c, a| { let v = c.view(); if !maps::is_map(&v, a[1]) { return badmap(c, a[1]) } boolean(maps::get(&v, c.atoms, a[1], a[0]).is_some()) };
    "maps":"put"/3 => |c, a| match maps::put(c.heap, c.literals, c.atoms, a[2], &[(a[0], a[1])], false) { Ok(w) => Value(w), Err(e) => Err_(e) };
    "maps":"to_list"/1 => |c, a| match map_entries(c, a[0]) {
        Ok(e) => { let ts: Vec<Word> = e.iter().map(|(k, v)| c.heap.tuple(0, &[*k, *v])).collect(); Value(list_of(c.heap, &ts)) }
        Err(r) => r,
    };
    "maps":"keys"/1 => |c, a| match map_entries(c, a[0]) { Ok(e) => { let k: Vec<Word> = e.iter().map(|x| x.0).collect(); Value(list_of(c.heap, &k)) } Err(r) => r };
    "maps":"values"/1 => |c, a| match map_entries(c, a[0]) { Ok(e) => { let v: Vec<Word> = e.iter().map(|x| x.1).collect(); Value(list_of(c.heap, &v)) } Err(r) => r };
    "maps":"from_list"/1 => |c, a| {
        let v = c.view();
        let Some(items) = list_items(&v, a[0]) else { return badarg() };
        let mut kv = Vec::new();
        for it in items { match v.tuple(it) { Some([k, x]) => kv.push((Word(*k), Word(*x))), _ => return badarg() } }
        from_pairs(c, &kv)
    };
    "maps":"merge"/2 => |c, a| {
        if !maps::is_map(&c.view(), a[0]) { return badmap(c, a[0]) }
        let kv = match map_entries(c, a[1]) { Ok(e) => e, Err(r) => return r };
        match maps::put(c.heap, c.literals, c.atoms, a[0], &kv, false) { Ok(w) => Value(w), Err(e) => Err_(e) }
    };
    // maps:next/1: the path of a flat map's iterator is the next key's position.
    "erts_internal":"map_next"/3 => |c, a| {
        let v = c.view();
        let (Some(i), Some(n)) = (a[0].as_small(), maps::size(&v, a[1])) else { return badarg() };
        if a[2] != Word::atom(c.atoms.intern("iterator")) {
            return badarg();
        }
        let i = i as usize;
        let none = Word::atom(c.atoms.intern("none"));
        if i >= n {
            return Value(none);
        }
        if v.header(a[1]).header_kind() == kind::HMAP {
            // The whole iteration at once, {K, V, {K2, V2, ... none}}, which
            // maps:next/1 passes along as it is: a hash map has no cheap
            // position to resume from.
            let e = maps::entries(&v, c.atoms, a[1]).expect("a map");
            let mut it = none;
            for (k, x) in e[i..].iter().rev() {
                it = c.heap.tuple(0, &[*k, *x, it]);
            }
            return Value(it);
        }
        let (k, x) = maps::entries(&v, c.atoms, a[1]).expect("a map")[i];
        let next = c.heap.cons(0, small(i + 1), a[1]);
        Value(c.heap.tuple(0, &[k, x, next]))
    };
    // Variadic (see `lookup`): Tuple, then Index, Value pairs.
    "lam":"update_record"/0 => |c, a| {
        let Some((t, pairs)) = a.split_first().filter(|(_, p)| p.len() % 2 == 0) else { return badarg() };
        let Some(t) = c.view().tuple(*t) else { return badarg() };
        let mut elems: Vec<Word> = t.iter().map(|w| Word(*w)).collect();
        for p in pairs.chunks(2) {
            match p[0].as_small() {
                Some(i) if i >= 1 && (i as usize) <= elems.len() => elems[i as usize - 1] = p[1],
                _ => return badarg(),
            }
        }
        Value(c.heap.tuple(0, &elems))
    };
    "lam":"build_stacktrace"/1 => |c, a| match c.view().tuple(a[0]) { Some([_, _, t]) => Value(Word(*t)), _ => Value(Word::NIL) };
}

fn bool_op(a: &[Word], f: fn(bool, bool) -> bool) -> NativeResult {
    let b = |w: Word| match w.as_atom() {
        Some(atom::TRUE) => Some(true),
        Some(atom::FALSE) => Some(false),
        _ => None,
    };
    match (b(a[0]), b(a[1])) {
        (Some(x), Some(y)) => boolean(f(x, y)),
        _ => badarg(),
    }
}

fn float_to_int(c: &mut Ctx, w: Word, f: fn(f64) -> f64) -> NativeResult {
    match number(&c.view(), w) {
        Some(Num::Float(x)) => match num_traits::FromPrimitive::from_f64(f(x)) {
            Some(b) => Value(c.heap.integer(0, &b)),
            None => badarg(),
        },
        Some(_) => Value(w),
        None => badarg(),
    }
}

pub(crate) fn math1(c: &mut Ctx, w: Word, f: fn(f64) -> f64) -> NativeResult {
    match number(&c.view(), w).as_ref().and_then(to_f64).map(f) {
        Some(r) if r.is_finite() => Value(c.heap.float(0, r)),
        Some(_) => error(Word::atom(atom::BADARITH)),
        None => badarg(),
    }
}

/// `float_to_list/1,2`: options `short`, `{decimals, N}`, `{scientific, N}`, `compact`.
pub(crate) fn float_to_list(c: &mut Ctx, w: Word, opts: Word) -> NativeResult {
    let v = c.view();
    let Some(f) = v.float(w) else { return badarg() };
    let Some(opts) = list_items(&v, opts) else {
        return badarg();
    };
    let (mut decimals, mut scientific, mut compact, mut short) = (None, None, false, false);
    for o in opts {
        if o.as_atom().is_some_and(|a| &*c.atoms.name(a) == "compact") {
            compact = true;
        } else if o.as_atom().is_some_and(|a| &*c.atoms.name(a) == "short") {
            short = true;
        } else if let Some([k, n]) = v.tuple(o) {
            let n = Word(*n).as_small().filter(|n| (0..=253).contains(n));
            match (Word(*k).as_atom().map(|a| c.atoms.name(a)), n) {
                (Some(k), Some(n)) if &*k == "decimals" => decimals = Some(n as usize),
                (Some(k), Some(n)) if &*k == "scientific" => scientific = Some(n as usize),
                _ => return badarg(),
            }
        } else {
            return badarg();
        }
    }
    let text = if short {
        let mut s = String::new();
        crate::erlfmt::write_float(&mut s, f);
        s
    } else if let Some(d) = decimals {
        let mut s = format!("{f:.d$}");
        if compact && s.contains('.') {
            while s.ends_with('0') && !s.ends_with(".0") {
                s.pop();
            }
        }
        s
    } else {
        let d = scientific.unwrap_or(20);
        // C's %.*e: two-digit exponent with a sign.
        let s = format!("{f:.d$e}");
        let (m, e) = s.split_once('e').expect("exponent");
        let e: i32 = e.parse().expect("exponent");
        format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    };
    let t = Term::string(&text);
    Value(c.heap.from_term(0, &t, c.atoms))
}

impl NativeResult {
    /// For phash2: a value in 0..Range instead of 1..=Range.
    fn and_minus_one(self) -> NativeResult {
        match self {
            Value(w) => Value(Word::small(w.as_small().unwrap_or(1) - 1).expect("hash")),
            other => other,
        }
    }
}

fn phash(c: &mut Ctx, term: Word, range: Word) -> NativeResult {
    let Some(range) = range.as_small().filter(|r| *r >= 1) else {
        return badarg();
    };
    let text = crate::erlfmt::w(&c.view().to_term(term, c.atoms));
    // FNV-1a over the term's printed form: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    Value(Word::small((h % range as u64) as i64 + 1).expect("hash"))
}

pub(crate) fn badmap(c: &mut Ctx, m: Word) -> NativeResult {
    error(c.heap.tuple(0, &[Word::atom(atom::BADMAP), m]))
}

fn maps_get(c: &mut Ctx, m: Word, k: Word) -> NativeResult {
    let v = c.view();
    if !maps::is_map(&v, m) {
        return badmap(c, m);
    }
    match maps::get(&v, c.atoms, m, k) {
        Some(x) => Value(x),
        None => error(c.heap.tuple(0, &[Word::atom(atom::BADKEY), k])),
    }
}

fn keyfind(c: &mut Ctx, a: &[Word]) -> Result<Option<Word>, ()> {
    let v = c.view();
    let n = a[1].as_small().filter(|n| *n >= 1).ok_or(())? as usize;
    let items = list_items(&v, a[2]).ok_or(())?;
    Ok(items.into_iter().find(|t| {
        v.tuple(*t).is_some_and(|e| {
            e.len() >= n && compare::compare(&v, c.atoms, Word(e[n - 1]), a[0]) == Ordering::Equal
        })
    }))
}

fn module_info(c: &mut Ctx, m: Word, key: Option<Word>) -> NativeResult {
    let Some(name) = m.as_atom() else {
        return badarg();
    };
    let Some(exports) = c.code.exports(name) else {
        return badarg();
    };
    match key.and_then(|k| k.as_atom()).map(|k| c.atoms.name(k)) {
        Some(k) if &*k == "exports" => {
            let ts: Vec<Word> = exports
                .into_iter()
                .map(|(f, a)| {
                    c.heap
                        .tuple(0, &[Word::atom(f), Word::small(a as i64).expect("arity")])
                })
                .collect();
            Value(list_of(c.heap, &ts))
        }
        Some(k) if &*k == "module" => Value(m),
        _ => Value(Word::NIL),
    }
}

/// A native by its names, for natives built on others.
pub(crate) fn by_name(module: &str, function: &str, arity: u32) -> NativeFn {
    all_natives()
        .find(|(m, f, a, _)| *m == module && *f == function && *a == arity)
        .map(|(_, _, _, fun)| *fun)
        .unwrap_or_else(|| panic!("no native {module}:{function}/{arity}"))
}

fn all_natives() -> impl Iterator<Item = &'static (&'static str, &'static str, u32, NativeFn)> {
    NATIVES
        .iter()
        .chain(crate::vm::natives::bits::BIT_NATIVES)
        .chain(crate::vm::natives::binary::BINARY_NATIVES)
        .chain(crate::vm::natives::conv::CONV_NATIVES)
        .chain(crate::vm::natives::sys::SYS_NATIVES)
}

/// The native for `module:function/arity`, if there is one.
pub fn lookup(atoms: &Atoms, module: u32, function: u32, arity: u32) -> Option<NativeFn> {
    let (m, f) = (atoms.name(module), atoms.name(function));
    // lam:bs_create_bin and lam:update_record take any number of arguments;
    // their table entries say 0.
    let variadic = &*m == "lam" && matches!(&*f, "bs_create_bin" | "update_record");
    all_natives()
        .find(|(nm, nf, na, _)| *nm == &*m && *nf == &*f && (*na == arity || variadic && *na == 0))
        .map(|(_, _, _, fun)| *fun)
}
