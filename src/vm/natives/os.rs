//! The `os` module's BIFs: clocks, the process id and the environment (the
//! VM's own copy, [`Env`](crate::vm::native::Env)).

use crate::vm::native::{Ctx, Native, NativeResult, badarg, boolean};
use crate::vm::natives::helpers::{badarg_info, int_word, string_list};
use crate::vm::natives::sys::{in_unit, monotonic_ns, system_ns, timestamp};
use crate::vm::term::list::list_of;
use crate::vm::term::word::Word;

use NativeResult::Value;

/// The `os` natives.
pub const NATIVES: &[Native] = &[
    Native::heap("os", "system_time", 0, system_time_0),
    Native::heap("os", "system_time", 1, system_time_1),
    Native::heap("os", "timestamp", 0, timestamp_0),
    Native::heap("os", "perf_counter", 0, perf_counter_0),
    Native::heap("os", "getpid", 0, getpid_0),
    Native::heap("os", "getenv", 1, getenv_1),
    Native::heap("os", "getenv", 0, getenv_0),
    Native::heap("os", "env", 0, env_0),
    Native::heap("os", "putenv", 2, putenv_2),
    Native::heap("os", "unsetenv", 1, unsetenv_1),
    Native::heap("os", "set_signal", 2, set_signal_2),
];

/// `os:set_signal(Signal, Option)`: the signals erl lets a program handle,
/// ignore or leave to their default (`natives/signals.rs`); a handled one
/// goes to `erl_signal_server` as `{notify, Signal}`.
fn set_signal_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    use crate::vm::natives::signals::{self, Disposition, SIGNALS};
    let name = |w: Word| w.as_atom().map(|x| c.atoms.name(x));
    let Some(sig) = name(a[0]).filter(|s| SIGNALS.iter().any(|(n, _)| *n == &**s)) else {
        return badarg_info(c, "erl_kernel_errors", None);
    };
    let d = match name(a[1]).as_deref() {
        Some("handle") => Disposition::Handle,
        Some("ignore") => Disposition::Ignore,
        Some("default") => Disposition::Default,
        _ => return badarg_info(c, "erl_kernel_errors", Some("badopt")),
    };
    signals::set(&sig, d);
    Value(Word::atom(crate::vm::term::atoms::atom::OK))
}

/// The text of a (possibly deep) list of characters: what the environment
/// functions take for names and values (binaries are not taken).
fn deep_text(c: &Ctx, w: Word) -> Option<String> {
    let out = std::cell::RefCell::new(String::new());
    crate::vm::natives::bits::walk_chardata(
        &c.view(),
        w,
        |i| {
            out.borrow_mut()
                .push(char::from_u32(u32::try_from(i).ok()?)?);
            Some(())
        },
        |_| None,
    )?;
    Some(out.into_inner())
}

/// Whether `name` can name a variable (the empty name can, as on the BEAM).
fn name_ok(name: &str) -> bool {
    !name.contains(['=', '\0'])
}

fn getenv(c: &mut Ctx, name: Word) -> NativeResult {
    match deep_text(c, name) {
        Some(n) if name_ok(&n) => match c.env.get(&n) {
            Some(val) => Value(string_list(c, &val)),
            None => Value(Word::atom(crate::vm::term::atoms::atom::FALSE)),
        },
        _ => badarg(),
    }
}

fn system_time_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(int_word(c, system_ns()))
}

fn system_time_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    in_unit(c, system_ns(), a[0])
}

fn timestamp_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(timestamp(c, system_ns()))
}

fn perf_counter_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(int_word(c, monotonic_ns()))
}

fn getpid_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    Value(string_list(c, &crate::vm::platform::os_pid().to_string()))
}

fn getenv_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    getenv(c, a[0])
}

fn getenv_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let all: Vec<String> = c
        .env
        .vars()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let ws: Vec<Word> = all.iter().map(|s| string_list(c, s)).collect();
    Value(list_of(c.heap, &ws))
}

fn env_0(c: &mut Ctx, _a: &[Word]) -> NativeResult {
    let all = c.env.vars();
    let ws: Vec<Word> = all
        .iter()
        .map(|(k, v)| {
            let (k, v) = (string_list(c, k), string_list(c, v));
            c.heap.tuple(0, &[k, v])
        })
        .collect();
    Value(list_of(c.heap, &ws))
}

fn putenv_2(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match (deep_text(c, a[0]), deep_text(c, a[1])) {
        // The environment belongs to the whole VM, as on the BEAM.
        (Some(k), Some(x)) if name_ok(&k) && !x.contains('\0') => {
            c.env.set(&k, &x);
            boolean(true)
        }
        _ => badarg(),
    }
}

fn unsetenv_1(c: &mut Ctx, a: &[Word]) -> NativeResult {
    match deep_text(c, a[0]) {
        Some(k) if name_ok(&k) => {
            c.env.remove(&k);
            boolean(true)
        }
        _ => badarg(),
    }
}
