//! The `erl_ddll` module's BIFs, answering as a VM that has no drivers:
//! LAM loads no driver libraries (it runs no C code), so loading fails as
//! for a library that is not there, nothing is loaded and nothing can be
//! unloaded. The rows are NIF rows: `erl_ddll`'s own functions call them
//! locally (`format_error/1`), and their frames carry no `error_info`, as
//! on erl.

use crate::vm::native::{Ctx, Native, NativeResult, badarg};
use crate::vm::natives::helpers::string_list;
use crate::vm::ops::test::{TestOp, test};
use crate::vm::term::atoms::atom;
use crate::vm::term::list::list_items;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `erl_ddll` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("erl_ddll", "try_load", 3, try_load_3).nif(),
    Native::heap("erl_ddll", "try_unload", 2, try_unload_2).nif(),
    Native::heap("erl_ddll", "loaded_drivers", 0, loaded_drivers_0).nif(),
    Native::heap("erl_ddll", "info", 2, info_2).nif(),
    Native::heap("erl_ddll", "format_error_int", 1, format_error_int_1).nif(),
    Native::heap("erl_ddll", "monitor", 2, monitor_2).nif(),
    Native::heap("erl_ddll", "demonitor", 1, demonitor_1).nif(),
];

/// A driver's name or path as erl takes it: an atom, or characters and
/// binaries in a possibly deep (and binary-tailed) list.
fn is_name(c: &Ctx, w: Word) -> bool {
    w.as_atom().is_some()
        || crate::vm::natives::bits::walk_chardata(&c.view(), w, |_| Some(()), |_| Some(()))
            .is_some()
}

/// Whether `opts` is a list of the options `try_load/3` or `try_unload/2`
/// take: `{monitor, pending_driver | pending}`, and for loading
/// `{reload, ...}` and `{driver_options, [kill_ports]}`, for unloading
/// `kill_ports`.
fn options(c: &Ctx, opts: Word, load: bool) -> bool {
    let v = c.view();
    let name = |w: Word| w.as_atom().map(|a| c.atoms.name(a));
    let Some(items) = list_items(&v, opts) else {
        return false;
    };
    items.iter().all(|&o| {
        if !load && name(o).as_deref() == Some("kill_ports") {
            return true;
        }
        let Some(&[k, x]) = v.tuple(o) else {
            return false;
        };
        let (k, x) = (name(Word(k)), Word(x));
        match k.as_deref() {
            Some("monitor") => matches!(name(x).as_deref(), Some("pending_driver" | "pending")),
            Some("reload") if load => {
                matches!(name(x).as_deref(), Some("pending_driver" | "pending"))
            }
            Some("driver_options") if load => list_items(&v, x)
                .is_some_and(|l| l.iter().all(|&d| name(d).as_deref() == Some("kill_ports"))),
            _ => false,
        }
    })
}

/// `{error, {open_error, -10}}`: the dynamic loader's failure, as erl
/// reports a library it cannot open (`{error, not_loaded}` when asked to
/// reload).
fn try_load_3(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if !is_name(c, a[0]) || !is_name(c, a[1]) {
        return badarg();
    }
    if !options(c, a[2], true) {
        return badarg();
    }
    // Reloading needs a driver loaded already.
    let v = c.view();
    let reload = list_items(&v, a[2]).is_some_and(|l| {
        l.iter().any(|&o| {
            v.tuple(o).is_some_and(|t| {
                Word(t[0])
                    .as_atom()
                    .is_some_and(|k| &*c.atoms.name(k) == "reload")
            })
        })
    });
    if reload {
        let why = Word::atom(c.atoms.intern("not_loaded"));
        return Value(c.heap.tuple(0, &[Word::atom(atom::ERROR), why]));
    }
    let code = Word::small(-10).expect("small");
    let open = c
        .heap
        .tuple(0, &[Word::atom(c.atoms.intern("open_error")), code]);
    Value(c.heap.tuple(0, &[Word::atom(atom::ERROR), open]))
}

/// `{error, not_loaded}`: no driver is.
fn try_unload_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if !is_name(c, a[0]) || !options(c, a[1], false) {
        return badarg();
    }
    let why = Word::atom(c.atoms.intern("not_loaded"));
    Value(c.heap.tuple(0, &[Word::atom(atom::ERROR), why]))
}

fn loaded_drivers_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(c.heap.tuple(0, &[Word::atom(atom::OK), Word::NIL]))
}

/// Information about a loaded driver: there is none, so badarg, as erl
/// answers for a name it has not loaded.
fn info_2(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    badarg()
}

/// Monitoring a driver's loading or unloading: there is none to watch, and
/// erl refuses to monitor a driver it does not have.
fn monitor_2(_c: &mut Ctx, _a: &[Word]) -> NativeResult {
    badarg()
}

fn demonitor_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    if test(&c.view(), c.atoms, TestOp::IsReference, &[a[0]]) {
        Value(Word::atom(atom::TRUE))
    } else {
        badarg()
    }
}

/// The text of an error the BIFs return, erl's words.
fn format_error_int_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    let text = if let Some(x) = a[0].as_atom() {
        match &*c.atoms.name(x) {
            "inconsistent" => {
                "Driver name and/or driver options are inconsistent with currently loaded driver"
            }
            "linked_in_driver" => "Driver is statically linked and cannot be loaded/unloaded",
            "permanent" => "DDLL driver is permanent an cannot be unloaded/loaded",
            "not_loaded" => "DDLL driver is not loaded",
            "not_loaded_by_this_process" => "DDLL driver was not loaded by this process",
            "not_pending" => "DDLL load not pending for this driver name",
            "already_loaded" => "DDLL driver is already loaded successfully",
            "driver_init_failed" => "Driver init failed",
            "bad_driver_name" => "Bad driver name",
            _ => return badarg(),
        }
    } else {
        let v = c.view();
        match v.tuple(a[0]) {
            Some(&[k, n])
                if Word(k)
                    .as_atom()
                    .is_some_and(|k| &*c.atoms.name(k) == "open_error") =>
            {
                match Word(n).as_small() {
                    Some(-1) => "No driver init in dynamic library",
                    Some(-2) => "Driver init failed",
                    Some(-3) => "Bad driver name",
                    Some(-4) => "Driver name to long",
                    Some(-5) => "Driver compiled with incorrect version of erl_driver.h",
                    Some(-6) => "DDLL functionality not available on this platform",
                    Some(-7) => "Unspecified dynamic library error",
                    Some(-8) => "Symbol not found in dynamic library",
                    Some(n) if n <= -10 => "Unknown dlload error",
                    Some(_) => "Unspecified error",
                    None => return badarg(),
                }
            }
            _ => return badarg(),
        }
    };
    Value(string_list(c, text))
}
