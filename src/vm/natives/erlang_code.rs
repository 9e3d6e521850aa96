//! The `erlang` module's natives that describe the loaded code and funs:
//! `module_loaded`, `get_module_info`, `function_exported`, `is_builtin`,
//! `fun_info`, `fun_to_list`, `make_fun`.

use crate::term::Term;
use crate::vm::native::{Ctx, LambdaInfo, Native, NativeResult, badarg, boolean, small};
use crate::vm::term::atoms::atom;
use crate::vm::term::list::list_of;
use crate::vm::term::word::{Word, kind};

use NativeResult::Value;

/// The `erlang` natives about code and funs.
pub const NATIVES: &[Native] = &[
    Native::heap("erlang", "module_loaded", 1, module_loaded_1),
    Native::heap("erlang", "get_module_info", 1, get_module_info_1),
    Native::heap("erlang", "get_module_info", 2, get_module_info_2),
    Native::heap("erlang", "fun_to_list", 1, fun_to_list_1),
    Native::heap("erlang", "fun_info", 2, fun_info_2),
    Native::heap("erlang", "fun_info_mfa", 1, fun_info_mfa_1),
    Native::heap("erlang", "make_fun", 3, make_fun_3),
    Native::heap("erlang", "function_exported", 3, function_exported_3),
    Native::heap("erlang", "is_builtin", 3, is_builtin_3),
    Native::heap("erlang", "loaded", 0, loaded_0),
    Native::heap("erlang", "pre_loaded", 0, pre_loaded_0),
];

/// The modules erts 13 (OTP 25) has compiled into the emulator, in the
/// order `erlang:pre_loaded/0` lists them. LAM loads these from erts's
/// `ebin` like any other module, but OTP's code server treats them as
/// preloaded (sticky, never loaded from a file) and asks for this list.
pub(crate) const PRE_LOADED: &[&str] = &[
    "persistent_term",
    "counters",
    "atomics",
    "erts_dirty_process_signal_handler",
    "erts_literal_area_collector",
    "erl_tracer",
    "erts_internal",
    "erlang",
    "erl_prim_loader",
    "prim_zip",
    "prim_net",
    "prim_socket",
    "socket_registry",
    "zlib",
    "prim_file",
    "prim_inet",
    "prim_eval",
    "prim_buffer",
    "init",
    "erl_init",
    "erts_code_purger",
];

/// `erlang:get_module_info/1,2`, which every module's `module_info/0,1`
/// calls: all items in erl's order, or one (badarg for an unknown one).
fn module_info(c: &mut Ctx, m: Word, key: Option<Word>) -> NativeResult {
    const ALL: [&str; 5] = ["module", "exports", "attributes", "compile", "md5"];
    let Some(name) = m.as_atom() else {
        return badarg();
    };
    if !c.code.is_loaded(name) {
        return badarg();
    }
    let Some(key) = key else {
        let mut items = Vec::with_capacity(ALL.len());
        for k in ALL {
            let Some(v) = info_item(c, name, k) else {
                return badarg();
            };
            let k = Word::atom(c.atoms.intern(k));
            items.push(c.heap.tuple(0, &[k, v]));
        }
        return Value(list_of(c.heap, &items));
    };
    let k = key.as_atom().map(|k| c.atoms.name(k));
    match k.and_then(|k| info_item(c, name, &k)) {
        Some(v) => Value(v),
        None => badarg(),
    }
}

/// One `module_info` item of a loaded module; `None` for an unknown item.
fn info_item(c: &mut Ctx, module: u32, key: &str) -> Option<Word> {
    let fun_list = |c: &mut Ctx, fs: Vec<(u32, u32)>| {
        let ts: Vec<Word> = fs
            .into_iter()
            .map(|(f, a)| {
                c.heap
                    .tuple(0, &[Word::atom(f), Word::small(a as i64).expect("arity")])
            })
            .collect();
        list_of(c.heap, &ts)
    };
    Some(match key {
        "module" => Word::atom(module),
        "exports" => {
            let fs = c.code.exports(module)?;
            fun_list(c, fs)
        }
        "functions" => {
            let fs = c.code.functions(module)?;
            fun_list(c, fs)
        }
        "nifs" => Word::NIL,
        "native" => Word::atom(atom::FALSE),
        "attributes" | "compile" | "md5" => {
            // A module made without them (written as LAM text) has no
            // attributes or compile information, and an MD5 of zeros.
            let info = c.code.module_info(module);
            let item = info.as_ref().and_then(|t| match t {
                Term::List(items, _) => items.iter().find_map(|i| match i {
                    Term::Tuple(kv) if kv.len() == 2 && kv[0].as_atom() == Some(key) => {
                        Some(kv[1].clone())
                    }
                    _ => None,
                }),
                _ => None,
            });
            let default = if key == "md5" {
                Term::Binary(vec![0; 16])
            } else {
                Term::Nil
            };
            c.heap
                .from_term(0, item.as_ref().unwrap_or(&default), c.atoms)
        }
        _ => return None,
    })
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

fn module_loaded_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match a[0].as_atom() {
        Some(m) => boolean(c.code.is_loaded(m)),
        None => badarg(),
    }
}

fn get_module_info_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    module_info(c, a[0], None)
}

fn get_module_info_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    module_info(c, a[0], Some(a[1]))
}

fn fun_to_list_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    if !a[0].is_boxed() {
        return badarg();
    }
    let p = a[0].ptr();
    let text = match v.header(a[0]).header_kind() {
        kind::FUN => {
            let (mid, idx) = (
                v.at(p, 1).as_small().unwrap_or(0) as u32,
                v.at(p, 2).as_small().unwrap_or(0) as u32,
            );
            let Some(l) = c.code.lambda(mid, idx) else {
                return badarg();
            };
            format!("#Fun<{}.{}.{}>", c.atoms.name(l.module), idx, l.uniq)
        }
        kind::EXPORT => {
            // Atoms as the emulator's printer writes them (UTF-8, quoted
            // where needed), not as io_lib does.
            let mut s = b"fun ".to_vec();
            crate::erlfmt::display_atom(&mut s, &c.atoms.name(v.at(p, 1).as_atom().unwrap_or(0)));
            s.push(b':');
            crate::erlfmt::display_atom(&mut s, &c.atoms.name(v.at(p, 2).as_atom().unwrap_or(0)));
            s.extend(format!("/{}", v.at(p, 3).as_small().unwrap_or(0)).bytes());
            String::from_utf8(s).unwrap_or_default()
        }
        _ => return badarg(),
    };
    // The text's UTF-8 bytes, one list element each, as erl gives them.
    let bytes: Vec<Word> = text
        .bytes()
        .map(|b| Word::small(b as i64).expect("a byte"))
        .collect();
    Value(list_of(c.heap, &bytes))
}

fn fun_info_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let v = c.view();
    let (Some(key), true) = (a[1].as_atom(), a[0].is_boxed()) else {
        return badarg();
    };
    let p = a[0].ptr();
    let key_name = c.atoms.name(key);
    let value = match (v.header(a[0]).header_kind(), &*key_name) {
        (kind::FUN, k) => {
            let (mid, idx) = (
                v.at(p, 1).as_small().unwrap_or(0) as u32,
                v.at(p, 2).as_small().unwrap_or(0) as u32,
            );
            let Some(l) = c.code.lambda(mid, idx) else {
                return badarg();
            };
            match k {
                "arity" => v.at(p, 3),
                "module" => Word::atom(l.module),
                "type" => Word::atom(c.atoms.intern("local")),
                "name" => Word::atom(l.function.unwrap_or(atom::UNDEFINED)),
                "index" | "new_index" => small(idx as usize),
                "uniq" => Word::small(l.uniq as i64).expect("uniq"),
                "new_uniq" => {
                    let md5 = c.code.md5(mid).unwrap_or_default();
                    c.heap.bitstring(0, &md5, 8)
                }
                "env" => {
                    let env: Vec<Word> = (0..l.free as usize).map(|k| v.at(p, 4 + k)).collect();
                    list_of(c.heap, &env)
                }
                // LAM's funs do not record the process that made them; the
                // process asking stands in, so that fun_info/1 (and
                // Elixir's inspect of a fun) works.
                "pid" => Word::pid(c.pid),
                _ => return badarg(),
            }
        }
        (kind::EXPORT, k) => match k {
            "arity" => v.at(p, 3),
            "module" => v.at(p, 1),
            "name" => v.at(p, 2),
            "type" => Word::atom(c.atoms.intern("external")),
            "env" => Word::NIL,
            // What only a local fun has.
            "index" | "new_index" | "uniq" | "new_uniq" | "pid" => Word::atom(atom::UNDEFINED),
            _ => return badarg(),
        },
        _ => return badarg(),
    };
    Value(c.heap.tuple(0, &[a[1], value]))
}

fn fun_info_mfa_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    fun_info_mfa(c, a[0])
}

fn make_fun_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (a[0].as_atom(), a[1].as_atom(), a[2].as_small()) {
        (Some(m), Some(f), Some(n)) if (0..=255).contains(&n) => {
            Value(c.heap.export(0, m, f, n as u8))
        }
        _ => badarg(),
    }
}

fn function_exported_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (a[0].as_atom(), a[1].as_atom(), a[2].as_small()) {
        (Some(m), Some(f), Some(n)) => boolean(
            c.code.is_exported(m, f, n as u32)
                || crate::vm::natives::registry()
                    .get(&c.atoms.name(m), &c.atoms.name(f), n as u32)
                    .is_some(),
        ),
        _ => badarg(),
    }
}

fn is_builtin_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (a[0].as_atom(), a[1].as_atom(), a[2].as_small()) {
        (Some(m), Some(f), Some(n)) => boolean(
            crate::vm::natives::registry()
                .get(&c.atoms.name(m), &c.atoms.name(f), n as u32)
                .is_some(),
        ),
        _ => badarg(),
    }
}

fn loaded_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let ms: Vec<Word> = c.code.loaded().into_iter().map(Word::atom).collect();
    Value(list_of(c.heap, &ms))
}

fn pre_loaded_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let ms: Vec<Word> = PRE_LOADED
        .iter()
        .map(|m| Word::atom(c.atoms.intern(m)))
        .collect();
    Value(list_of(c.heap, &ms))
}
