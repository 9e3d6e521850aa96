//! The `ets` BIFs (storage in `ops::ets`, design in `docs/ets.md`): what
//! OTP 25's ets.beam leaves to the VM. Its Erlang functions (`foldl`,
//! `tab2list`, `match_delete`, `select_delete`, `all`, ...) run as
//! translated code on top of these. `give_away/3` and
//! `internal_request_all/0` send messages, so the runtime carries them out
//! (`runtime::ets_owner`).

use num_bigint::BigInt;

use crate::vm::native::{Ctx, HostOp, Native, NativeResult, badarg, boolean, small};
use crate::vm::ops::ets::{
    Access, Key, NewObj, Obj, Store, Stored, TabId, Table, TableRef, Type, key_hash, read,
    ref_word, tid_word, write,
};
use crate::vm::ops::matchspec::MatchSpec;
use crate::vm::term::atoms::atom;
use crate::vm::term::compare::{Num, number};
use crate::vm::term::exception::Exception;
use crate::vm::term::list::{list_items, list_of};
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `ets` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("ets", "new", 2, new_2),
    Native::heap("ets", "insert", 2, insert_2),
    Native::heap("ets", "insert_new", 2, insert_new_2),
    Native::heap("ets", "lookup", 2, lookup_2),
    Native::heap("ets", "lookup_element", 3, lookup_element_3),
    Native::heap("ets", "member", 2, member_2),
    Native::heap("ets", "delete", 1, delete_1),
    Native::heap("ets", "delete", 2, delete_2),
    Native::heap("ets", "delete_object", 2, delete_object_2),
    Native::heap("ets", "internal_delete_all", 2, internal_delete_all_2),
    Native::heap("ets", "internal_select_delete", 2, internal_select_delete_2),
    Native::heap("ets", "take", 2, take_2),
    Native::heap("ets", "update_counter", 3, update_counter_3),
    Native::heap("ets", "update_counter", 4, update_counter_4),
    Native::heap("ets", "update_element", 3, update_element_3),
    Native::heap("ets", "first", 1, first_1),
    Native::heap("ets", "next", 2, next_2),
    Native::heap("ets", "last", 1, last_1),
    Native::heap("ets", "prev", 2, prev_2),
    Native::heap("ets", "slot", 2, slot_2),
    Native::heap("ets", "info", 1, info_1),
    Native::heap("ets", "info", 2, info_2),
    Native::heap("ets", "rename", 2, rename_2),
    Native::heap("ets", "whereis", 1, whereis_1),
    Native::heap("ets", "setopts", 2, setopts_2),
    Native::heap("ets", "safe_fixtable", 2, safe_fixtable_2),
    Native::heap("ets", "match", 1, select_1),
    Native::heap("ets", "match", 2, match_2),
    Native::heap("ets", "match", 3, match_3),
    Native::heap("ets", "match_object", 1, select_1),
    Native::heap("ets", "match_object", 2, match_object_2),
    Native::heap("ets", "match_object", 3, match_object_3),
    Native::heap("ets", "select", 1, select_1),
    Native::heap("ets", "select", 2, select_2),
    Native::heap("ets", "select", 3, select_3),
    Native::heap("ets", "select_reverse", 1, select_1),
    Native::heap("ets", "select_reverse", 2, select_reverse_2),
    Native::heap("ets", "select_reverse", 3, select_reverse_3),
    Native::heap("ets", "select_count", 2, select_count_2),
    Native::heap("ets", "select_replace", 2, select_replace_2),
    Native::heap("ets", "match_spec_compile", 1, match_spec_compile_1),
    Native::heap("ets", "is_compiled_ms", 1, is_compiled_ms_1),
    Native::heap("ets", "match_spec_run_r", 3, match_spec_run_r_3),
    Native::host("ets", "give_away", 3, HostOp::EtsGiveAway),
    Native::host("ets", "internal_request_all", 0, HostOp::EtsRequestAll),
];

/// `badarg` with the `error_info` cause erl gives (`erl_stdlib_errors`
/// explains it): the map rides in the exception's trace slot until the
/// run loop moves it to the failing BIF's frame.
fn fail(c: &mut Ctx, cause: &str) -> NativeResult {
    let keys = [
        Word::atom(c.atoms.intern("cause")),
        Word::atom(c.atoms.intern("module")),
    ];
    let vals = [
        Word::atom(c.atoms.intern(cause)),
        Word::atom(c.atoms.intern("erl_stdlib_errors")),
    ];
    let map = c.heap.map(0, &keys, &vals);
    NativeResult::Error(Exception {
        class: atom::ERROR,
        reason: Word::atom(atom::BADARG),
        trace: map,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Need {
    Read,
    Write,
}

/// The table `t` names, if the caller may use it so: else the error
/// (`id`: no such table, `access`: not allowed).
fn open(c: &mut Ctx, t: Word, need: Need) -> Result<TableRef, NativeResult> {
    let Some(tr) = c.ets.resolve(&c.view(), t) else {
        return Err(fail(c, "id"));
    };
    let denied = denied(c, &read(&tr), need);
    match denied {
        Some(cause) => Err(fail(c, cause)),
        None => Ok(tr),
    }
}

/// Why the caller may not use table `g` so, if it may not (`lookup` and
/// `insert` ask under the one guard they take, not locking twice).
fn denied(c: &Ctx, g: &Table, need: Need) -> Option<&'static str> {
    if g.deleted {
        return Some("id");
    }
    let ok = g.owner == c.pid
        || matches!(
            (g.access, need),
            (Access::Public, _) | (Access::Protected, Need::Read)
        );
    (!ok).then_some("access")
}

fn atom_named(c: &Ctx, w: Word, name: &str) -> bool {
    w.as_atom().is_some_and(|a| &*c.atoms.name(a) == name)
}

fn eot(c: &Ctx) -> Word {
    Word::atom(c.atoms.intern("$end_of_table"))
}

fn new_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(name) = a[0].as_atom() else {
        return badarg();
    };
    let v = c.view();
    let Some(opts) = list_items(&v, a[1]) else {
        return badarg();
    };
    let mut t = Table {
        id: 0,
        name,
        named: false,
        ty: Type::Set,
        access: Access::Protected,
        keypos: 1,
        owner: c.pid,
        heir: None,
        read_concurrency: false,
        write_concurrency: false,
        compressed: false,
        decentralized_counters: false,
        fixes: Vec::new(),
        store: Table::empty_store(Type::Set, 1),
        arena: Default::default(),
        deleted: false,
    };
    let mut decentralized = None;
    for o in opts {
        if let Some(x) = o.as_atom() {
            match &*c.atoms.name(x) {
                "set" => t.ty = Type::Set,
                "ordered_set" => t.ty = Type::OrderedSet,
                "bag" => t.ty = Type::Bag,
                "duplicate_bag" => t.ty = Type::DuplicateBag,
                "public" => t.access = Access::Public,
                "protected" => t.access = Access::Protected,
                "private" => t.access = Access::Private,
                "named_table" => t.named = true,
                "compressed" => t.compressed = true,
                _ => return badarg(),
            }
            continue;
        }
        let Some(tuple) = v.tuple(o) else {
            return badarg();
        };
        let items: Vec<Word> = tuple.iter().map(|w| Word(*w)).collect();
        let Some(tag) = items.first().and_then(|w| w.as_atom()) else {
            return badarg();
        };
        let flag = |w: Word| match w.as_atom() {
            Some(atom::TRUE) => Some(true),
            Some(atom::FALSE) => Some(false),
            _ => None,
        };
        match (&*c.atoms.name(tag), items.len()) {
            ("keypos", 2) => match items[1].as_small() {
                Some(k) if k >= 1 => t.keypos = k as usize,
                _ => return badarg(),
            },
            ("heir", 2) if atom_named(c, items[1], "none") => t.heir = None,
            ("heir", 3) => match items[1].as_pid() {
                Some(p) => match Stored::new_within(&v, items[2], c.memory) {
                    Ok(d) => t.heir = Some((p, d)),
                    Err(b) => return c.out_of_memory(b),
                },
                None => return badarg(),
            },
            ("read_concurrency", 2) => match flag(items[1]) {
                Some(b) => t.read_concurrency = b,
                None => return badarg(),
            },
            ("write_concurrency", 2) => match flag(items[1]) {
                Some(b) => t.write_concurrency = b,
                None if atom_named(c, items[1], "auto") => t.write_concurrency = true,
                None => return badarg(),
            },
            ("decentralized_counters", 2) => match flag(items[1]) {
                Some(b) => decentralized = Some(b),
                None => return badarg(),
            },
            _ => return badarg(),
        }
    }
    // A private table is never written concurrently.
    if t.access == Access::Private {
        t.write_concurrency = false;
    }
    // erl's default: decentralized counters for ordered sets written concurrently.
    t.decentralized_counters =
        decentralized.unwrap_or(t.ty == Type::OrderedSet && t.write_concurrency);
    t.store = Table::empty_store(t.ty, t.stripes());
    t.id = c.ets.fresh_id();
    let (id, named) = (t.id, t.named);
    if !c.ets.add(t) {
        return fail(c, "already_exists");
    }
    Value(if named {
        Word::atom(name)
    } else {
        ref_word(c.heap, id)
    })
}

/// The objects `w` gives (a tuple or a proper list of them), each with at
/// least `keypos` elements.
fn objects(c: &Ctx, w: Word, keypos: usize) -> Option<Vec<Word>> {
    let v = c.view();
    let items = if v.tuple(w).is_some() {
        vec![w]
    } else {
        list_items(&v, w)?
    };
    items
        .iter()
        .all(|o| v.tuple(*o).is_some_and(|e| e.len() >= keypos))
        .then_some(items)
}

fn insert_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    insert(c, a, false)
}

fn insert_new_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    insert(c, a, true)
}

fn insert(c: &mut Ctx, a: &[Word], new: bool) -> NativeResult {
    let Some(t) = TabId::of(&c.view(), a[0]) else {
        return fail(c, "id");
    };
    let ets = c.ets;
    ets.with(t, |tr| match tr {
        Some(tr) => insert_into(c, tr, a, new),
        None => fail(c, "id"),
    })
}

fn insert_into(c: &mut Ctx, tr: &TableRef, a: &[Word], new: bool) -> NativeResult {
    let mut g = write(tr);
    if let Some(cause) = denied(c, &g, Need::Write) {
        drop(g);
        return fail(c, cause);
    }
    let (keypos, ty) = (g.keypos, g.ty);
    let v = c.view();
    // One object, the usual call: no list of them.
    if let Some(elems) = v.tuple(a[1]) {
        if elems.len() < keypos {
            return badarg();
        }
        let o = NewObj::new(&v, c.atoms, a[1], keypos, ty);
        if new && g.has(&o.key, o.hash) {
            return boolean(false);
        }
        if let Err(bytes) = g.room_for(c.memory, &v, &a[1..2]) {
            drop(g);
            return c.out_of_memory(bytes);
        }
        g.insert(&v, o);
        g.charge(c.memory);
        return boolean(true);
    }
    let Some(items) = objects(c, a[1], keypos) else {
        return badarg();
    };
    if let Err(bytes) = g.room_for(c.memory, &v, &items) {
        drop(g);
        return c.out_of_memory(bytes);
    }
    let objs: Vec<NewObj> = items
        .iter()
        .map(|o| NewObj::new(&v, c.atoms, *o, keypos, ty))
        .collect();
    if new && objs.iter().any(|o| g.has(&o.key, o.hash)) {
        return boolean(false);
    }
    if g.ty == Type::Bag {
        // erl puts a list into a bag from its end.
        for o in objs.into_iter().rev() {
            g.insert(&v, o);
        }
    } else {
        for o in objs {
            g.insert(&v, o);
        }
    }
    g.charge(c.memory);
    boolean(true)
}

/// The key `k` (in the caller's heap) as table `tr` looks it up (call
/// it with no guard of the table held).
fn key_of(c: &Ctx, ty: Type, k: Word) -> (Key, u32) {
    let v = c.view();
    (Key::for_type(&v, c.atoms, k, ty), key_hash(&v, c.atoms, k))
}

/// Objects copied out as a list, in the order erl builds it: the chain
/// reversed (a bag's objects come out in insertion order).
fn object_list(c: &mut Ctx, t: &Table, objs: &[&Obj]) -> NativeResult {
    if let Err(e) = room_for(c, objs) {
        return e;
    }
    let mut l = Word::NIL;
    for o in objs {
        let w = t.copy_out(o, c.heap);
        l = c.heap.cons(0, w, l);
    }
    Value(l)
}

/// Room on the caller's heap for copies of `objs` (or of parts of them)
/// and a list cell each, asked before copying (`Ctx::reserve_words`): a
/// size the program chose (an object of a gigabyte, a bag's objects under
/// one key, looked up again and again), where the heap's own doubling
/// would abort the VM when the allocator refuses. An object's weight in
/// its table bounds its copy (it is stored without sharing), so nothing
/// is walked to size it.
fn room_for(c: &mut Ctx, objs: &[&Obj]) -> Result<(), NativeResult> {
    let words = objs
        .iter()
        .fold(0usize, |n, o| n.saturating_add(o.size()).saturating_add(2));
    c.reserve_words(words)
}

fn lookup_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(t) = TabId::of(&c.view(), a[0]) else {
        return fail(c, "id");
    };
    let ets = c.ets;
    ets.with(t, |tr| match tr {
        Some(tr) => lookup_in(c, tr, a),
        None => fail(c, "id"),
    })
}

fn lookup_in(c: &mut Ctx, tr: &TableRef, a: &[Word]) -> NativeResult {
    let g = read(tr);
    if let Some(cause) = denied(c, &g, Need::Read) {
        drop(g);
        return fail(c, cause);
    }
    let (k, h) = key_of(c, g.ty, a[1]);
    if matches!(g.ty, Type::Set | Type::OrderedSet) {
        return match g.find_first(&k, h) {
            Some(o) => object_list(c, &g, &[o]),
            None => Value(Word::NIL),
        };
    }
    let found = g.find(&k, h);
    object_list(c, &g, &found)
}

fn lookup_element_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(pos) = a[2].as_small().filter(|p| *p >= 1).map(|p| p as usize) else {
        return badarg();
    };
    let g = read(&tr);
    let (k, h) = key_of(c, g.ty, a[1]);
    let found = g.find(&k, h);
    if found.is_empty() {
        drop(g);
        return fail(c, "badkey");
    }
    if found.iter().any(|o| g.elems(o).len() < pos) {
        return badarg();
    }
    if let Err(e) = room_for(c, &found) {
        return e;
    }
    let elem = |c: &mut Ctx, o: &Obj| g.view().copy_into(Word(g.elems(o)[pos - 1]), c.heap);
    if g.ty == Type::Set || g.ty == Type::OrderedSet {
        return Value(elem(c, found[0]));
    }
    let mut l = Word::NIL;
    for o in &found {
        let e = elem(c, o);
        l = c.heap.cons(0, e, l);
    }
    Value(l)
}

fn member_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let g = read(&tr);
    let (k, h) = key_of(c, g.ty, a[1]);
    boolean(g.has(&k, h))
}

fn delete_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let id = read(&tr).id;
    c.ets.remove(id);
    boolean(true)
}

fn delete_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let mut g = write(&tr);
    let (k, h) = key_of(c, g.ty, a[1]);
    g.remove_key(&k, h);
    boolean(true)
}

fn delete_object_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let keypos = read(&tr).keypos;
    let v = c.view();
    if v.tuple(a[1]).is_none_or(|e| e.len() < keypos) {
        return badarg();
    }
    let ty = read(&tr).ty;
    let obj = NewObj::new(&v, c.atoms, a[1], keypos, ty);
    let mut g = write(&tr);
    let found = g.find(&obj.key, obj.hash);
    let matching = found.iter().filter(|o| g.same_object(o, &v, &obj)).count();
    if matching == 0 {
        return boolean(true);
    }
    let ty = g.ty;
    if matches!(ty, Type::Set | Type::OrderedSet) {
        g.remove_key(&obj.key, obj.hash);
    } else {
        let mut left = if ty == Type::Bag { 1 } else { usize::MAX };
        let probe = Key::exact(&v, obj.term);
        g.remove_where(|av, o| {
            if left > 0
                && o.hash == obj.hash
                && o.key.same(&obj.key)
                && Key::exact(av, o.root).same(&probe)
            {
                left -= 1;
                true
            } else {
                false
            }
        });
    }
    boolean(true)
}

fn internal_delete_all_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let n = write(&tr).clear();
    Value(small(n))
}

fn take_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let mut g = write(&tr);
    let (k, h) = key_of(c, g.ty, a[1]);
    let gone = g.remove_key(&k, h);
    // Copied out before the lock goes: a writer's insert may compact the
    // arena the removed objects' words are in.
    let refs: Vec<&Obj> = gone.iter().collect();
    object_list(c, &g, &refs)
}

/// An integer read through the caller's view.
fn int_of(c: &Ctx, w: Word) -> Option<BigInt> {
    match number(&c.view(), w)? {
        Num::Small(i) => Some(BigInt::from(i)),
        Num::Big(b) => Some(b),
        Num::Float(_) => None,
    }
}

/// One `update_counter` operation: position, increment, and the
/// threshold and value it resets to.
type CounterOp = (usize, BigInt, Option<(BigInt, BigInt)>);

fn counter_ops(c: &Ctx, w: Word, keypos: usize) -> Option<(Vec<CounterOp>, bool)> {
    let v = c.view();
    let one = |w: Word| -> Option<CounterOp> {
        if let Some(i) = int_of(c, w) {
            return Some((keypos + 1, i, None));
        }
        let t = v.tuple(w)?;
        // A position below 1 is past the object, as erl's `position`.
        let pos = usize::try_from(Word(t[0]).as_small()?).unwrap_or(0);
        let pos = if pos == 0 { usize::MAX } else { pos };
        match t.len() {
            2 => Some((pos, int_of(c, Word(t[1]))?, None)),
            4 => Some((
                pos,
                int_of(c, Word(t[1]))?,
                Some((int_of(c, Word(t[2]))?, int_of(c, Word(t[3]))?)),
            )),
            _ => None,
        }
    };
    if let Some(op) = one(w) {
        return Some((vec![op], false));
    }
    let items = list_items(&v, w)?;
    let ops = items.into_iter().map(one).collect::<Option<Vec<_>>>()?;
    Some((ops, true))
}

/// `update_counter`'s op `w` when it is a small increment (`Incr` or
/// `{Pos, Incr}`) of an element other than the key: its position and
/// increment.
fn simple_counter_op(c: &Ctx, w: Word, keypos: usize) -> Option<(usize, i64)> {
    if let Some(i) = w.as_small() {
        return Some((keypos + 1, i));
    }
    match c.view().tuple(w)? {
        [p, i] => {
            let pos = Word(*p).as_small().filter(|p| *p >= 1)? as usize;
            (pos != keypos).then_some((pos, Word(*i).as_small()?))
        }
        _ => None,
    }
}

fn update_counter_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    update_counter(c, a, None)
}

fn update_counter_4(c: &mut Ctx, a: &[Word]) -> NativeResult {
    update_counter(c, a, Some(a[3]))
}

fn update_counter(c: &mut Ctx, a: &[Word], default: Option<Word>) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let (ty, keypos) = {
        let g = read(&tr);
        (g.ty, g.keypos)
    };
    if !matches!(ty, Type::Set | Type::OrderedSet) {
        return fail(c, "table_type");
    }
    // The usual counter, a small increment of one element, needs no
    // `BigInt` and no copy of the object: it is done in place when the
    // element is a small integer (`Table::bump_small`).
    let simple = simple_counter_op(c, a[2], keypos);
    let parsed = match simple {
        Some(_) => None,
        None => match counter_ops(c, a[2], keypos) {
            Some(p) => Some(p),
            None => return badarg(),
        },
    };
    if let Some(d) = default
        && c.view().tuple(d).is_none_or(|e| e.len() < keypos)
    {
        return badarg();
    }
    let mut g = write(&tr);
    let (k, h) = key_of(c, g.ty, a[1]);
    if let Some((pos, incr)) = simple
        && let Some(w) = g.bump_small(&k, h, pos, incr)
    {
        return Value(w);
    }
    let (ops, many) = parsed.unwrap_or_else(|| {
        let (pos, incr) = simple.expect("a simple op");
        (vec![(pos, BigInt::from(incr), None)], false)
    });
    // The object, copied to the caller's heap to be changed there.
    let copy = match g.find_first(&k, h) {
        Some(o) => match room_for(c, &[o]) {
            Ok(()) => g.copy_out(o, c.heap),
            Err(e) => return e,
        },
        None => match default {
            None => {
                drop(g);
                return fail(c, "badkey");
            }
            Some(d) => {
                let elems: Vec<Word> = c
                    .view()
                    .tuple(d)
                    .expect("a tuple")
                    .iter()
                    .map(|w| Word(*w))
                    .collect();
                let mut elems = elems;
                elems[keypos - 1] = a[1];
                c.heap.tuple(0, &elems)
            }
        },
    };
    let mut elems: Vec<Word> = c
        .view()
        .tuple(copy)
        .expect("a tuple")
        .iter()
        .map(|w| Word(*w))
        .collect();
    let mut results = Vec::with_capacity(ops.len());
    for (pos, incr, reset) in ops {
        if pos == keypos {
            drop(g);
            return fail(c, "keypos");
        }
        if pos > elems.len() {
            drop(g);
            return fail(c, "position");
        }
        let Some(old) = int_of(c, elems[pos - 1]) else {
            return badarg();
        };
        let mut new = old + &incr;
        if let Some((threshold, set)) = reset {
            let over = if incr >= BigInt::from(0) {
                new > threshold
            } else {
                new < threshold
            };
            if over {
                new = set;
            }
        }
        let w = c.heap.integer(0, &new);
        elems[pos - 1] = w;
        results.push(w);
    }
    let updated = c.heap.tuple(0, &elems);
    let v = c.view();
    // A default object (or a counter grown into a bignum) is a copy into
    // the table the program sized: asked of the budget as an insert is.
    if let Err(bytes) = g.room_for(c.memory, &v, &[updated]) {
        drop(g);
        return c.out_of_memory(bytes);
    }
    let obj = NewObj::new(&v, c.atoms, updated, keypos, ty);
    if g.has(&k, h) {
        g.replace(&k, h, &v, obj);
    } else {
        g.insert(&v, obj);
    }
    g.charge(c.memory);
    drop(g);
    Value(if many {
        list_of(c.heap, &results)
    } else {
        results[0]
    })
}

fn update_element_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let (ty, keypos) = {
        let g = read(&tr);
        (g.ty, g.keypos)
    };
    if !matches!(ty, Type::Set | Type::OrderedSet) {
        return fail(c, "table_type");
    }
    let v = c.view();
    let pair = |w: Word| -> Option<(usize, Word)> {
        match v.tuple(w)? {
            [p, x] => Some((Word(*p).as_small().filter(|p| *p >= 1)? as usize, Word(*x))),
            _ => None,
        }
    };
    let changes = match pair(a[2]) {
        Some(p) => vec![p],
        None => match list_items(&v, a[2]).and_then(|l| l.into_iter().map(pair).collect()) {
            Some(ps) => ps,
            None => return badarg(),
        },
    };
    let mut g = write(&tr);
    let (k, h) = key_of(c, g.ty, a[1]);
    let copy = match g.find_first(&k, h) {
        Some(o) => match room_for(c, &[o]) {
            Ok(()) => g.copy_out(o, c.heap),
            Err(e) => return e,
        },
        None => return boolean(false),
    };
    let mut elems: Vec<Word> = c
        .view()
        .tuple(copy)
        .expect("a tuple")
        .iter()
        .map(|w| Word(*w))
        .collect();
    for (pos, x) in changes {
        if pos == keypos {
            drop(g);
            return fail(c, "keypos");
        }
        if pos > elems.len() {
            return badarg();
        }
        elems[pos - 1] = x;
    }
    let updated = c.heap.tuple(0, &elems);
    let v = c.view();
    if let Err(bytes) = g.room_for(c.memory, &v, &[updated]) {
        drop(g);
        return c.out_of_memory(bytes);
    }
    let obj = NewObj::new(&v, c.atoms, updated, keypos, ty);
    g.replace(&k, h, &v, obj);
    g.charge(c.memory);
    boolean(true)
}

/// The key of `o`, copied out.
fn key_out(c: &mut Ctx, t: &Table, o: &Obj) -> Result<Word, NativeResult> {
    room_for(c, &[o])?;
    Ok(t.view().copy_into(Word(t.elems(o)[t.keypos - 1]), c.heap))
}

fn first_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    edge(c, a, false)
}

fn last_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    edge(c, a, true)
}

fn edge(c: &mut Ctx, a: &[Word], last: bool) -> NativeResult {
    let tr = match open(c, a[0], Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let g = read(&tr);
    let o = match &g.store {
        Store::Tree(t) if last => t.values().next_back(),
        Store::Tree(t) => t.values().next(),
        // A hash table's last is its first, as in erl.
        Store::Hash(h) => h.slots_from(0).flat_map(|i| h.chain(i)).next(),
    };
    match o.map(|o| key_out(c, &g, o)) {
        Some(Ok(k)) => Value(k),
        Some(Err(e)) => e,
        None => Value(eot(c)),
    }
}

fn next_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    step(c, a, false)
}

fn prev_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    step(c, a, true)
}

fn step(c: &mut Ctx, a: &[Word], back: bool) -> NativeResult {
    use std::ops::Bound::{Excluded, Unbounded};
    let tr = match open(c, a[0], Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let g = read(&tr);
    let (k, h) = key_of(c, g.ty, a[1]);
    let o = match &g.store {
        Store::Tree(t) if back => t.range((Unbounded, Excluded(&k))).next_back().map(|x| x.1),
        Store::Tree(t) => t.range((Excluded(&k), Unbounded)).next().map(|x| x.1),
        Store::Hash(t) => {
            let ix = t.slot_of(h);
            let mut chain = t.chain(ix).skip_while(|o| !(o.hash == h && o.key.same(&k)));
            if chain.next().is_none() {
                drop(g);
                return badarg();
            }
            let rest = chain.find(|o| !(o.hash == h && o.key.same(&k)));
            rest.or_else(|| {
                t.next_slot(ix)
                    .and_then(|n| t.slots_from(n).flat_map(|i| t.chain(i)).next())
            })
        }
    };
    match o.map(|o| key_out(c, &g, o)) {
        Some(Ok(k)) => Value(k),
        Some(Err(e)) => e,
        None => Value(eot(c)),
    }
}

fn slot_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(i) = a[1].as_small().filter(|i| *i >= 0).map(|i| i as usize) else {
        return badarg();
    };
    let g = read(&tr);
    match &g.store {
        Store::Hash(t) => {
            if i < t.slots.len() {
                let objs: Vec<&Obj> = t.chain(i).collect();
                object_list(c, &g, &objs)
            } else if i == t.slots.len() {
                Value(eot(c))
            } else {
                badarg()
            }
        }
        Store::Tree(t) => {
            if i < t.len() {
                let o = t.values().nth(i).expect("in range");
                object_list(c, &g, &[o])
            } else if i == t.len() {
                Value(eot(c))
            } else {
                badarg()
            }
        }
    }
}

/// The words of memory erl would report, near enough.
fn memory_words(t: &Table) -> usize {
    let base = match t.ty {
        Type::OrderedSet => 153,
        _ => 305,
    };
    base + t.walk().iter().map(|o| o.size() + 4).sum::<usize>()
}

const INFO_ITEMS: &[&str] = &[
    "id",
    "decentralized_counters",
    "read_concurrency",
    "write_concurrency",
    "compressed",
    "memory",
    "owner",
    "heir",
    "name",
    "size",
    "node",
    "named_table",
    "type",
    "keypos",
    "protection",
];

fn info_item(c: &mut Ctx, t: &Table, item: &str) -> Option<Word> {
    let a = |c: &mut Ctx, s: &str| Word::atom(c.atoms.intern(s));
    Some(match item {
        "id" => ref_word(c.heap, t.id),
        "decentralized_counters" => Word::boolean(t.decentralized_counters),
        "read_concurrency" => Word::boolean(t.read_concurrency),
        "write_concurrency" => Word::boolean(t.write_concurrency),
        "compressed" => Word::boolean(t.compressed),
        "memory" => small(memory_words(t)),
        "owner" => Word::pid(t.owner),
        "heir" => match &t.heir {
            Some((p, _)) => Word::pid(*p),
            None => a(c, "none"),
        },
        "name" => Word::atom(t.name),
        "size" => small(t.size()),
        "node" => Word::atom(atom::NONODE),
        "named_table" => Word::boolean(t.named),
        "type" => a(c, t.ty.name()),
        "keypos" => small(t.keypos),
        "protection" => a(c, t.access.name()),
        "fixed" => Word::boolean(t.fixed()),
        "safe_fixed" | "safe_fixed_monotonic_time" => {
            if !t.fixed() {
                Word::boolean(false)
            } else {
                let pairs: Vec<Word> = t
                    .fixes
                    .iter()
                    .map(|(p, n)| c.heap.tuple(0, &[Word::pid(*p), small(*n)]))
                    .collect();
                let l = list_of(c.heap, &pairs);
                c.heap.tuple(0, &[small(0), l])
            }
        }
        "stats" => {
            let n = match &t.store {
                Store::Hash(h) => h.slots.len(),
                Store::Tree(_) => 0,
            };
            let z = Word::small(0).expect("0");
            let f = c.heap.float(0, 0.0);
            c.heap
                .tuple(0, &[small(n), small(t.size()), small(t.size()), f, f, f, z])
        }
        "binary" => Word::NIL,
        _ => return None,
    })
}

fn info_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(tr) = c.ets.resolve(&c.view(), a[0]) else {
        return gone(c, a[0]);
    };
    let g = read(&tr);
    if g.deleted {
        return Value(Word::atom(atom::UNDEFINED));
    }
    let mut items = Vec::new();
    for name in INFO_ITEMS {
        let x = info_item(c, &g, name).expect("an item");
        let k = Word::atom(c.atoms.intern(name));
        items.push(c.heap.tuple(0, &[k, x]));
    }
    Value(list_of(c.heap, &items))
}

fn info_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(tr) = c.ets.resolve(&c.view(), a[0]) else {
        return gone(c, a[0]);
    };
    let Some(item) = a[1].as_atom() else {
        return badarg();
    };
    let g = read(&tr);
    if g.deleted {
        return Value(Word::atom(atom::UNDEFINED));
    }
    let name = c.atoms.name(item);
    match info_item(c, &g, &name) {
        Some(x) => Value(x),
        None => badarg(),
    }
}

/// `ets:info` of no table: `undefined` for an atom or a reference that
/// named a table (now deleted), else badarg.
fn gone(c: &Ctx, t: Word) -> NativeResult {
    let v = c.view();
    let table_ref = t.is_boxed()
        && v.header(t).header_kind() == crate::vm::term::word::kind::REF
        && v.header(t).header_arity() == 1
        && v.at(t.ptr(), 1).0 >= crate::vm::ops::ets::REF_BASE;
    if t.as_atom().is_some() || table_ref {
        Value(Word::atom(atom::UNDEFINED))
    } else {
        badarg()
    }
}

fn rename_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(name) = a[1].as_atom() else {
        return badarg();
    };
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let id = read(&tr).id;
    if !c.ets.rename(id, name) {
        return fail(c, "already_exists");
    }
    Value(a[1])
}

fn whereis_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(name) = a[0].as_atom() else {
        return badarg();
    };
    match c.ets.by_name(name) {
        Some(tr) => {
            let id = read(&tr).id;
            Value(ref_word(c.heap, id))
        }
        None => Value(Word::atom(atom::UNDEFINED)),
    }
}

fn setopts_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    if read(&tr).owner != c.pid {
        return fail(c, "not_owner");
    }
    let v = c.view();
    let opts = if v.tuple(a[1]).is_some() {
        vec![a[1]]
    } else {
        match list_items(&v, a[1]) {
            Some(l) => l,
            None => return badarg(),
        }
    };
    let mut g = write(&tr);
    for o in opts {
        let items: Vec<Word> = match v.tuple(o) {
            Some(t) => t.iter().map(|w| Word(*w)).collect(),
            None => return badarg(),
        };
        let tag = items[0].as_atom().map(|t| c.atoms.name(t));
        match (tag.as_deref(), items.len()) {
            (Some("heir"), 2) if atom_named(c, items[1], "none") => g.heir = None,
            (Some("heir"), 3) => match items[1].as_pid() {
                Some(p) => match Stored::new_within(&v, items[2], c.memory) {
                    Ok(d) => g.heir = Some((p, d)),
                    Err(b) => return c.out_of_memory(b),
                },
                None => return badarg(),
            },
            (Some("protection"), 2) => {
                g.access = match items[1].as_atom().map(|x| c.atoms.name(x)).as_deref() {
                    Some("public") => Access::Public,
                    Some("protected") => Access::Protected,
                    Some("private") => Access::Private,
                    _ => return badarg(),
                }
            }
            _ => return badarg(),
        }
    }
    boolean(true)
}

fn safe_fixtable_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let on = match a[1].as_atom() {
        Some(atom::TRUE) => true,
        Some(atom::FALSE) => false,
        _ => return badarg(),
    };
    let mut g = write(&tr);
    let pid = c.pid;
    match g.fixes.iter_mut().find(|(p, _)| *p == pid) {
        Some((_, n)) if on => *n += 1,
        None if on => g.fixes.push((pid, 1)),
        Some((_, n)) => {
            *n -= 1;
            if *n == 0 {
                g.fixes.retain(|(p, _)| *p != pid);
            }
        }
        None => {}
    }
    boolean(true)
}

// Matching.

/// The specification `[{P, [], [Body]}]` of a match pattern.
fn pattern_spec(c: &mut Ctx, p: Word, body: &str) -> Word {
    let b = Word::atom(c.atoms.intern(body));
    let body = c.heap.cons(0, b, Word::NIL);
    let clause = c.heap.tuple(0, &[p, Word::NIL, body]);
    c.heap.cons(0, clause, Word::NIL)
}

fn compile(c: &Ctx, ms: Word) -> Option<MatchSpec> {
    MatchSpec::compile(&c.view(), c.atoms, ms, true).ok()
}

/// Runs `ms` on every object a select would visit, in erl's order (for a
/// hash table, only the slots of the keys every clause binds): the
/// results, in the order visited, and for a hash table the slot after
/// each object's (for chunking); or the native's end when the memory
/// budget or the allocator refuses a result's copy.
fn visit(
    c: &mut Ctx,
    t: &Table,
    ms: &MatchSpec,
    from_slot: usize,
) -> Result<Vec<(Word, usize)>, NativeResult> {
    let mut out = Vec::new();
    let atoms = c.atoms;
    match &t.store {
        Store::Hash(h) => {
            let slots: Vec<usize> = match ms.bound_keys(t.keypos) {
                Some(keys) if from_slot == 0 => {
                    let mut s = Vec::new();
                    for k in keys {
                        let ix = h.slot_of(key_hash(&ms.view(), atoms, k));
                        if !s.contains(&ix) {
                            s.push(ix);
                        }
                    }
                    s
                }
                _ => h.slots_from(from_slot).collect(),
            };
            for ix in slots {
                for o in h.chain(ix) {
                    if let Some(r) = run_ms(c, t, ms, o)? {
                        out.push((r, ix));
                    }
                }
            }
        }
        Store::Tree(tr) => {
            for o in tr.values() {
                if let Some(r) = run_ms(c, t, ms, o)? {
                    out.push((r, 0));
                }
            }
        }
    }
    Ok(out)
}

/// `ms` run on object `o` of `t`, its result on the caller's heap: the
/// copies a result makes there (`'$_'`, `{const, T}`) ask the memory
/// budget first, since a select makes one for each object it keeps.
fn run_ms(c: &mut Ctx, t: &Table, ms: &MatchSpec, o: &Obj) -> Result<Option<Word>, NativeResult> {
    // An object's weight (its words, and its large binaries' bytes, which
    // a copy shares) bounds what a copy of any part of it takes; it
    // saturates at u32::MAX, no bound then.
    let bytes = (o.size() < u32::MAX as usize).then_some(o.size() * 8);
    ms.run_within(&t.view(), o.root, c.heap, c.atoms, c.pid, c.memory, bytes)
        .map_err(|bytes| c.out_of_memory(bytes))
}

fn select_all(c: &mut Ctx, tab: Word, ms: Word, reverse: bool) -> NativeResult {
    let tr = match open(c, tab, Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(spec) = compile(c, ms) else {
        return badarg();
    };
    let g = read(&tr);
    let found = match visit(c, &g, &spec, 0) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let words: Vec<Word> = found.into_iter().map(|(w, _)| w).collect();
    Value(match (&g.store, reverse) {
        // A hash table's results come consed up: last visited first.
        (Store::Hash(_), _) | (Store::Tree(_), true) => {
            let mut l = Word::NIL;
            for w in words {
                l = c.heap.cons(0, w, l);
            }
            l
        }
        (Store::Tree(_), false) => list_of(c.heap, &words),
    })
}

fn match_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let ms = pattern_spec(c, a[1], "$$");
    select_all(c, a[0], ms, false)
}

fn match_object_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let ms = pattern_spec(c, a[1], "$_");
    select_all(c, a[0], ms, false)
}

fn select_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    select_all(c, a[0], a[1], false)
}

fn select_reverse_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    select_all(c, a[0], a[1], true)
}

fn match_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let ms = pattern_spec(c, a[1], "$$");
    select_chunk(c, a[0], ms, a[2], false)
}

fn match_object_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let ms = pattern_spec(c, a[1], "$_");
    select_chunk(c, a[0], ms, a[2], false)
}

fn select_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    select_chunk(c, a[0], a[1], a[2], false)
}

fn select_reverse_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    select_chunk(c, a[0], a[1], a[2], true)
}

/// erl's limit of objects a select looks at before it traps (and goes on
/// as a continued select, whose leftovers come out in another order).
const ITERATIONS: usize = 1000;

/// A chunk of a select (head first), the leftovers (head first), and the
/// hash slot to go on from (`None`: the end).
type Chunk = (Vec<Word>, Vec<Word>, Option<usize>);

/// A chunked select over a hash table from `slot`, with the results
/// `rest` carried over (head first): erl's traversal, to the letter, so
/// chunks split where erl's do. Returns the chunk (head first), the
/// leftovers and the slot to go on from (`None`: the end), or the
/// native's end (not a hash table, or a result's copy refused).
fn hash_chunk(
    c: &mut Ctx,
    t: &Table,
    ms: &MatchSpec,
    chunk: usize,
    slot: Option<usize>,
    mut rest: Vec<Word>,
    first: bool,
) -> Result<Chunk, NativeResult> {
    let Store::Hash(h) = &t.store else {
        return Err(badarg());
    };
    let atoms = c.atoms;
    // The match list, head first (erl conses each result on).
    let mut list = rest.split_off(0);
    list.reverse();
    let mut got = list.len();
    let mut iterations = ITERATIONS;
    let mut continued = !first;
    let mut next = slot;
    let bound: Option<Vec<usize>> = if first {
        ms.bound_keys(t.keypos).map(|keys| {
            let mut s = Vec::new();
            for k in keys {
                let ix = h.slot_of(key_hash(&ms.view(), atoms, k));
                if !s.contains(&ix) {
                    s.push(ix);
                }
            }
            s
        })
    } else {
        None
    };
    if let Some(slots) = bound {
        for ix in slots {
            for o in h.chain(ix) {
                if let Some(r) = run_ms(c, t, ms, o)? {
                    list.push(r);
                    got += 1;
                }
            }
        }
        next = None;
    } else if let Some(mut ix) = slot.filter(|_| !(chunk > 0 && got >= chunk)) {
        loop {
            for o in h.chain(ix) {
                if let Some(r) = run_ms(c, t, ms, o)? {
                    list.push(r);
                    got += 1;
                }
                iterations = iterations.saturating_sub(1);
            }
            match h.next_slot(ix) {
                Some(n) => ix = n,
                None => {
                    next = None;
                    break;
                }
            }
            if got >= chunk {
                next = Some(ix);
                break;
            }
            if iterations == 0 {
                // erl traps here and resumes as a continued select.
                continued = true;
                iterations = ITERATIONS;
            }
        }
    }
    // `list` is in visit order; erl's match list is its reverse.
    list.reverse();
    if got > chunk {
        let extra = got - chunk;
        let mut rest: Vec<Word> = list.drain(..extra).collect();
        if continued {
            rest.reverse();
        }
        // `rest` is kept head first.
        return Ok((list, rest, next));
    }
    Ok((list, Vec::new(), next))
}

/// A select continuation of LAM's own: `{Tab, Where, Chunk, MS, Rest,
/// Reverse}`, where Where is a hash table's next slot (-1: the end) or
/// `{Key}`, the last key an ordered set gave (`[]` before the first).
fn continuation(
    c: &mut Ctx,
    tab: Word,
    at: Word,
    chunk: usize,
    ms: Word,
    rest: &[Word],
    reverse: bool,
) -> Word {
    let rest = list_of(c.heap, rest);
    c.heap.tuple(
        0,
        &[tab, at, small(chunk), ms, rest, Word::boolean(reverse)],
    )
}

fn select_chunk(c: &mut Ctx, tab: Word, ms: Word, chunk: Word, reverse: bool) -> NativeResult {
    let tr = match open(c, tab, Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(chunk) = chunk.as_small().filter(|n| *n > 0).map(|n| n as usize) else {
        return badarg();
    };
    let Some(spec) = compile(c, ms) else {
        return badarg();
    };
    let g = read(&tr);
    let tid = tid_word(c.heap, &g);
    if matches!(g.store, Store::Hash(_)) {
        if g.size() == 0 {
            return Value(eot(c));
        }
        let (list, rest, next) = match hash_chunk(c, &g, &spec, chunk, Some(0), Vec::new(), true) {
            Ok(found) => found,
            Err(e) => return e,
        };
        return hash_result(c, tid, list, rest, next, chunk, ms, reverse);
    }
    tree_chunk(c, &g, tid, &spec, ms, chunk, None, reverse)
}

#[allow(clippy::too_many_arguments)]
fn hash_result(
    c: &mut Ctx,
    tid: Word,
    list: Vec<Word>,
    rest: Vec<Word>,
    next: Option<usize>,
    chunk: usize,
    ms: Word,
    reverse: bool,
) -> NativeResult {
    let l = list_of(c.heap, &list);
    if !rest.is_empty() || next.is_some() {
        let at = Word::small(next.map_or(-1, |n| n as i64)).expect("a slot");
        let k = continuation(c, tid, at, chunk, ms, &rest, reverse);
        return Value(c.heap.tuple(0, &[l, k]));
    }
    if list.is_empty() {
        return Value(eot(c));
    }
    let e = eot(c);
    Value(c.heap.tuple(0, &[l, e]))
}

#[allow(clippy::too_many_arguments)]
fn tree_chunk(
    c: &mut Ctx,
    t: &Table,
    tid: Word,
    spec: &MatchSpec,
    ms: Word,
    chunk: usize,
    after: Option<Key>,
    reverse: bool,
) -> NativeResult {
    use std::ops::Bound::{Excluded, Unbounded};
    let Store::Tree(tree) = &t.store else {
        return badarg();
    };
    let mut got: Vec<Word> = Vec::new();
    let mut last: Option<&Obj> = None;
    let range: Box<dyn Iterator<Item = (&Key, &Obj)>> = match (&after, reverse) {
        (None, false) => Box::new(tree.iter()),
        (None, true) => Box::new(tree.iter().rev()),
        (Some(k), false) => Box::new(tree.range((Excluded(k), Unbounded))),
        (Some(k), true) => Box::new(tree.range((Unbounded, Excluded(k))).rev()),
    };
    let mut more = false;
    for (_, o) in range {
        if got.len() == chunk {
            more = true;
            break;
        }
        match run_ms(c, t, spec, o) {
            Ok(Some(r)) => got.push(r),
            Ok(None) => {}
            Err(e) => return e,
        }
        last = Some(o);
    }
    if got.is_empty() {
        return Value(eot(c));
    }
    let l = list_of(c.heap, &got);
    if !more {
        let e = eot(c);
        return Value(c.heap.tuple(0, &[l, e]));
    }
    let key = match key_out(c, t, last.expect("an object")) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let at = c.heap.tuple(0, &[key]);
    let k = continuation(c, tid, at, chunk, ms, &[], reverse);
    Value(c.heap.tuple(0, &[l, k]))
}

fn select_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if a[0] == eot(c) {
        return Value(a[0]);
    }
    let v = c.view();
    let Some([tab, at, chunk, ms, rest, reverse]) = v.tuple(a[0]).map(|t| {
        let w: Vec<Word> = t.iter().map(|x| Word(*x)).collect();
        <[Word; 6]>::try_from(w).unwrap_or([Word::NONE; 6])
    }) else {
        return badarg();
    };
    if tab == Word::NONE {
        return badarg();
    }
    let (Some(chunk), Some(rest)) = (
        chunk.as_small().filter(|n| *n > 0).map(|n| n as usize),
        list_items(&v, rest),
    ) else {
        return badarg();
    };
    let reverse = reverse == Word::boolean(true);
    let tr = match open(c, tab, Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(spec) = compile(c, ms) else {
        return badarg();
    };
    let g = read(&tr);
    match &g.store {
        Store::Hash(h) => {
            let Some(slot) = at.as_small() else {
                return badarg();
            };
            let slot = (slot >= 0).then_some(slot as usize);
            if slot.is_some_and(|s| s >= h.slots.len()) {
                return badarg();
            }
            // Leftovers are kept head first; the traversal wants them in
            // visit order.
            let mut visit_order = rest;
            visit_order.reverse();
            let (list, rest, next) = match hash_chunk(c, &g, &spec, chunk, slot, visit_order, false)
            {
                Ok(found) => found,
                Err(e) => return e,
            };
            hash_result(c, tab, list, rest, next, chunk, ms, reverse)
        }
        Store::Tree(_) => {
            let v = c.view();
            let Some([k]) = v.tuple(at) else {
                return badarg();
            };
            let key = Key::of(&v, c.atoms, Word(*k));
            tree_chunk(c, &g, tab, &spec, ms, chunk, Some(key), reverse)
        }
    }
}

fn select_count_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Read) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(spec) = compile(c, a[1]) else {
        return badarg();
    };
    let g = read(&tr);
    let found = match visit(c, &g, &spec, 0) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let n = found
        .iter()
        .filter(|(w, _)| *w == Word::boolean(true))
        .count();
    Value(small(n))
}

fn internal_select_delete_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(spec) = compile(c, a[1]) else {
        return badarg();
    };
    let (atoms, pid) = (c.atoms, c.pid);
    let heap = &mut *c.heap;
    let n = write(&tr)
        .remove_where(|v, o| spec.run(v, o.root, heap, atoms, pid) == Some(Word::boolean(true)));
    Value(small(n))
}

fn select_replace_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let tr = match open(c, a[0], Need::Write) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(spec) = compile(c, a[1]) else {
        return badarg();
    };
    let (atoms, pid) = (c.atoms, c.pid);
    let mut g = write(&tr);
    let (keypos, ty) = (g.keypos, g.ty);
    if !MatchSpec::keeps_key(&c.view(), atoms, a[1], keypos) {
        return badarg();
    }
    if !matches!(g.ty, Type::Set | Type::OrderedSet) {
        drop(g);
        return fail(c, "table_type");
    }
    // The replacements, found first, then made: (old key, hash, new object).
    let mut new = Vec::new();
    for o in g.walk() {
        let Some(r) = spec.run(&g.view(), o.root, c.heap, atoms, pid) else {
            continue;
        };
        let v = c.view();
        let Some(elems) = v.tuple(r) else {
            continue;
        };
        if elems.len() < keypos {
            continue;
        }
        let obj = NewObj::new(&v, atoms, r, keypos, ty);
        // The key may not change (erl refuses such specifications).
        if !obj.key.same(&o.key) {
            continue;
        }
        new.push((o.key.clone(), o.hash, obj));
    }
    let n = new.len();
    let v = c.view();
    let objs: Vec<Word> = new.iter().map(|(_, _, o)| o.term).collect();
    if let Err(bytes) = g.room_for(c.memory, &v, &objs) {
        drop(g);
        return c.out_of_memory(bytes);
    }
    for (k, h, obj) in new {
        g.replace(&k, h, &v, obj);
    }
    g.charge(c.memory);
    Value(small(n))
}

// Compiled specifications outside tables (`ets:match_spec_run/2`): erl's
// is a magic reference; here the specification itself, tagged, compiled
// again at each run.

fn compiled_tag(c: &Ctx) -> Word {
    Word::atom(c.atoms.intern("$lam_compiled_ms"))
}

fn match_spec_compile_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    // The engine takes `[]` (a select with it matches nothing), but erl
    // refuses to compile an empty specification on its own.
    if a[0] == Word::NIL || compile(c, a[0]).is_none() {
        return badarg();
    }
    let tag = compiled_tag(c);
    Value(c.heap.tuple(0, &[tag, a[0]]))
}

/// The specification a compiled one holds.
fn compiled_spec(c: &Ctx, w: Word) -> Option<Word> {
    match c.view().tuple(w)? {
        [t, ms] if Word(*t) == compiled_tag(c) => Some(Word(*ms)),
        _ => None,
    }
}

fn is_compiled_ms_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    boolean(compiled_spec(c, a[0]).is_some())
}

fn match_spec_run_r_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let Some(spec) = compiled_spec(c, a[1]).and_then(|ms| compile(c, ms)) else {
        return badarg();
    };
    let Some(items) = list_items(&c.view(), a[0]) else {
        return badarg();
    };
    let mut acc = a[2];
    for x in items {
        // The object lives on the caller's heap: run it from a copy so the
        // results can be built on that heap.
        let obj = Stored::new(&c.view(), x);
        if let Some(r) = spec.run(&obj.view(), obj.root, c.heap, c.atoms, c.pid) {
            acc = c.heap.cons(0, r, acc);
        }
    }
    Value(acc)
}
