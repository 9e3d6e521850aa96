//! The BIF fuzzer: every BIF of `erlang` and every function LAM implements
//! natively, called with random arguments in one batch on erl and one on
//! LAM; `~w` of each result, or the exception's class and reason, must be
//! the same.
//!
//! Each call runs in a fresh process (so a call that kills, links, traps
//! exits or changes the group leader affects only itself), and the driver
//! waits for that process to be gone before the next call (so `register`
//! and friends see the same world on both VMs). A call that runs longer
//! than five seconds is killed and printed as `timeout`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::harness::{self, Workdir};
use crate::rng::Rng;
use crate::terms::Terms;
use crate::{Opts, Summary};

/// Left out, with the reason: calls that would stop or disturb the harness
/// rather than test a result.
const EXCLUDED: &[(&str, &str)] = &[
    ("erlang:halt", "stops the VM under test"),
    (
        "erlang:display",
        "writes to the file descriptor around the io system, so its place among the printed lines is not fixed",
    ),
    ("erlang:process_display", "writes a VM-specific backtrace"),
    (
        "prim_file:internal_name2native",
        "erl 25 itself dies on some bitstrings",
    ),
    ("erlang:system_info", "the system-services issue (14)"),
    ("erlang:system_flag", "changes the whole VM"),
    (
        "erlang:hibernate",
        "waits for a message that never comes (the call is killed after five seconds)",
    ),
    (
        "os:set_signal",
        "changes how the VM under test handles signals",
    ),
    (
        "erts_internal:erase_persistent_terms",
        "erases what the VM under test keeps in persistent_term",
    ),
    (
        "erl_ddll:loaded_drivers",
        "erl has five drivers linked in; LAM runs no driver",
    ),
    ("application_controller:", "the system-services issue (14)"),
    ("code:", "the code server: the system-services issue (14)"),
    ("net_kernel:", "distribution"),
    ("io:", "LAM's own glue to its group leader"),
    ("logger:", "LAM's own glue to its logger"),
    ("lam:", "LAM's own module; erl has none"),
    (
        "erlang:loaded/",
        "which modules are loaded differs by design: erl preloads about 100 at boot, LAM loads each on its first call",
    ),
    (
        "erlang:get_module_info/",
        "which modules are loaded differs by design: erl preloads about 100 at boot, LAM loads each on its first call",
    ),
    (
        "erlang:module_loaded/",
        "which modules are loaded differs by design: erl preloads about 100 at boot, LAM loads each on its first call",
    ),
    (
        "erlang:function_exported/",
        "which modules are loaded differs by design: erl preloads about 100 at boot, LAM loads each on its first call",
    ),
    (
        "erlang:ports/",
        "erl's boot opens ports of its own (standard I/O, the forker); LAM opens none until a program does",
    ),
    (
        "erts_internal:open_port/",
        "starts programs, whatever a random string names",
    ),
    (
        "crypto:info_lib/",
        "names the crypto library: OpenSSL on erl, RustCrypto on LAM",
    ),
    (
        "erlang:load_nif/",
        "erl refuses it unless its module's own code calls it, which a native cannot see",
    ),
];

/// Functions whose successful result is not the same from one run to the
/// next, or from one VM to another by design: clocks, counters, the set of
/// processes and loaded modules, memory, text and encodings that show pid
/// and reference numbers, and results documented as opaque
/// (`binary:compile_pattern/1`; `binary:referenced_byte_size/1`, which
/// shows how the VM stores binaries; `erlang:md5_init/0`, whose 88 bytes are
/// erl's C struct, partly uninitialised). Only whether they return or raise, and the
/// exception, are compared.
const OPAQUE_RESULTS: &[&str] = &[
    "erlang:now",
    "erlang:monotonic_time",
    "erlang:system_time/",
    "erlang:time_offset",
    "erlang:timestamp",
    "erlang:time/",
    "erlang:date/",
    "erlang:localtime/",
    "erlang:universaltime/",
    "erlang:unique_integer",
    "erlang:make_ref",
    "erlang:statistics",
    "erlang:memory",
    "erlang:process_info",
    "erlang:processes",
    "erlang:registered",
    "erlang:md5_init",
    "erlang:read_timer",
    "erlang:cancel_timer",
    "erlang:pid_to_list",
    "erlang:ref_to_list",
    "erlang:port_to_list",
    "erlang:fun_to_list",
    "binary:compile_pattern",
    // A compiled pattern's binary is LAM's own (docs/re.md); its group
    // count and flags are checked by tests/re_vs_erl.rs.
    "re:compile",
    // The old state of a VM-wide switch that earlier calls in the batch
    // turn on; LAM never measures scheduler wall time, so it stays off.
    "erts_internal:scheduler_wall_time",
    // Whether a function is traceable depends on its module being loaded:
    // erl preloads about 100 at boot, LAM loads each on its first call.
    "erlang:trace_info",
    // LAM's engine reports PCRE's version with a mark of its own, on
    // purpose (docs/re.md: Elixir then recompiles ~r sigils from source).
    "re:version",
    "binary:referenced_byte_size",
    "os:getpid",
    "os:getenv/0",
    "os:env/0",
    "os:system_time",
    "os:timestamp",
    "os:perf_counter",
    "os:time_offset",
    "persistent_term:get/0",
    "persistent_term:info",
];

/// Functions whose result encodes a pid, reference or fun by the VM's own
/// numbering (the external term format, hashes of terms): their arguments
/// hold none.
const NO_OPAQUE_ARGS: &[&str] = &[
    "erlang:term_to_binary",
    "erlang:term_to_iovec",
    "erlang:external_size",
    "erlang:phash",
    "erlang:phash2",
];

/// Functions that allocate in proportion to an integer argument: their
/// integers are kept small, or erl would try to build a list of 2^60
/// elements.
const SIZED: &[&str] = &[
    "lists:seq",
    "lists:duplicate",
    "string:copies",
    "string:chars",
    "string:pad",
    "binary:copy",
    "erlang:make_tuple",
    "erlang:list_to_tuple",
];

fn listed(list: &[&str], name: &str) -> bool {
    list.iter().any(|p| name.starts_with(p))
}

struct Function {
    module: String,
    name: String,
    arity: u32,
}

impl Function {
    fn key(&self) -> String {
        format!("{}:{}/{}", self.module, self.name, self.arity)
    }
}

/// The functions to call: every BIF of `erlang` and every other function
/// LAM implements natively, that erl exports. A BIF LAM lacks is left out
/// here: it runs OTP's stub, which raises `undef`, and
/// `tests/bif_coverage.rs` lists each one with its reason.
/// Left-out functions, each with why.
type Skipped = Vec<(String, String)>;

fn functions() -> Result<(Vec<Function>, Skipped), String> {
    let registry = lam_translate::vm::natives::registry();
    let natives: BTreeSet<(String, String, u32)> = registry
        .iter()
        .filter(|n| !n.is_variadic())
        .map(|n| (n.module.to_string(), n.name.to_string(), n.arity))
        .collect();
    let modules: BTreeSet<&str> = natives.iter().map(|(m, _, _)| m.as_str()).collect();
    let list: Vec<String> = modules.iter().map(|m| format!("'{m}'")).collect();
    // erl's own view: each module's exports, and which of erlang's are BIFs.
    let eval = format!(
        "[begin code:ensure_loaded(M), \
           [io:format(\"~s ~s ~b ~w~n\", [M, F, A, erlang:is_builtin(M, F, A)]) \
            || erlang:module_loaded(M), {{F, A}} <- M:module_info(exports), F =/= module_info] \
         end || M <- [{}]], halt().",
        list.join(",")
    );
    let out = harness::run(
        Command::new("erl").args(["-noshell", "-eval", &eval]),
        Duration::from_secs(60),
    )?;
    let mut chosen = BTreeMap::new();
    let mut skipped = Vec::new();
    for line in out.stdout.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let [m, f, a, bif] = parts[..] else { continue };
        let Ok(arity) = a.parse::<u32>() else {
            continue;
        };
        let f = Function {
            module: m.into(),
            name: f.into(),
            arity,
        };
        let key = f.key();
        let native = natives.contains(&(m.into(), f.name.clone(), arity));
        if let Some((_, why)) = EXCLUDED.iter().find(|(p, _)| key.starts_with(p)) {
            if native || bif == "true" {
                skipped.push((key, why.to_string()));
            }
            continue;
        }
        if native {
            chosen.insert(key, f);
        } else if m == "erlang" && bif == "true" {
            skipped.push((
                key,
                "not native on LAM; tests/bif_coverage.rs says why".into(),
            ));
        }
    }
    if chosen.is_empty() {
        return Err(format!("erl listed no functions:\n{}", out.stderr));
    }
    Ok((chosen.into_values().collect(), skipped))
}

/// One generated call: the function and its arguments as source.
struct Call {
    function: usize,
    args: String,
    uses_dead: bool,
    /// The arguments hold a map over 32 keys.
    big_map: bool,
}

fn generate(functions: &[Function], rng: &mut Rng, count: usize) -> Vec<Call> {
    (0..count)
        .map(|i| {
            // Round robin, so every function gets its share of calls.
            let function = i % functions.len();
            let f = &functions[function];
            let mut terms = Terms::new(rng);
            terms.small_ints = listed(SIZED, &f.key());
            terms.no_opaque = listed(NO_OPAQUE_ARGS, &f.key());
            let args: Vec<String> = (0..f.arity).map(|_| terms.any(2)).collect();
            Call {
                function,
                uses_dead: terms.uses_dead,
                big_map: terms.big_map,
                args: format!("[{}]", args.join(", ")),
            }
        })
        .collect()
}

/// Calls per generated function: small functions keep `erlc` fast.
const CHUNK: usize = 250;

fn calls_module(functions: &[Function], calls: &[Call]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "-module(lam_fuzz_calls).\n-export([count/0, call/2]).\n");
    let _ = writeln!(s, "count() -> {}.\n", calls.len());
    let _ = writeln!(s, "call(I, D) ->\n    case I div {CHUNK} of");
    for c in 0..calls.len().div_ceil(CHUNK) {
        let _ = writeln!(s, "        {c} -> c{c}(I, D);");
    }
    let _ = writeln!(s, "        _ -> error(no_such_call)\n    end.\n");
    for (c, chunk) in calls.chunks(CHUNK).enumerate() {
        for (j, call) in chunk.iter().enumerate() {
            let f = &functions[call.function];
            let i = c * CHUNK + j;
            let d = if call.uses_dead { "D" } else { "_" };
            let sep = if j + 1 == chunk.len() { '.' } else { ';' };
            let _ = writeln!(
                s,
                "c{c}({i}, {d}) -> {{'{}', '{}', {}}}{sep}",
                f.module, f.name, call.args
            );
        }
        s.push('\n');
    }
    s
}

const DRIVER: &str = r#"-module(lam_fuzz_bifs).
-export([main/1]).

main([From]) ->
    Dead = dead(),
    run(list_to_integer(From), lam_fuzz_calls:count(), Dead).

dead() ->
    {P, R} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', R, process, P, _} -> P end.

run(N, N, _) -> ok;
run(I, N, Dead) ->
    {W, R} = spawn_opt(fun() -> exit({'$done', call(I, Dead)}) end,
                       [monitor, {max_heap_size, #{size => 20000000, kill => true,
                                                   error_logger => false}}]),
    Out = receive
              {'DOWN', R, process, W, {'$done', Res}} -> Res;
              {'DOWN', R, process, W, Other} -> {died, Other}
          after 5000 ->
              exit(W, kill),
              receive {'DOWN', R, process, W, _} -> timeout end
          end,
    Shown = shrink(Out),
    case big_map(Shown) of
        true -> io:format("~b ~w\t~w~n", [I, Shown, canon(Shown)]);
        false -> io:format("~b ~w~n", [I, Shown])
    end,
    run(I + 1, N, Dead).

call(I, Dead) ->
    {M, F, A} = lam_fuzz_calls:call(I, Dead),
    try {ok, apply(M, F, A)} catch C:E -> {C, E} end.

"#;

pub fn run(opts: &Opts, lam: &Path) -> Result<Summary, String> {
    let (functions, skipped) = functions()?;
    let mut rng = Rng::new(opts.seed);
    let calls = generate(&functions, &mut rng, opts.count);
    let dir = Workdir::new(opts.keep.as_deref(), "bifs")?;
    let calls_src = dir.write("lam_fuzz_calls.erl", &calls_module(&functions, &calls))?;
    let driver = dir.write(
        "lam_fuzz_bifs.erl",
        &format!("{DRIVER}{}", harness::DIGESTS),
    )?;
    harness::erlc(&dir.path, &[calls_src, driver])?;

    // A call is killed by the driver after 5 s: 30 s of silence is a hang.
    let limit = Duration::from_secs(30);
    let erl = harness::run_batch(calls.len(), "erl", |from| {
        harness::run_erl(&dir.path, "lam_fuzz_bifs", &[from.to_string()], limit)
    })?;
    let lam_out = harness::run_batch(calls.len(), "LAM", |from| {
        harness::run_lam(
            lam,
            &dir.path,
            "lam_fuzz_bifs",
            &[from.to_string()],
            opts.schedulers,
            limit,
        )
    })?;

    let mut summary = Summary::default();
    summary.note(format!(
        "bifs: seed {}, {} calls of {} functions ({} left out)",
        opts.seed,
        calls.len(),
        functions.len(),
        skipped.len()
    ));
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, why) in &skipped {
        by_reason.entry(why).or_default().push(key);
    }
    for (why, keys) in by_reason {
        summary.note(format!(
            "  left out {} ({why}): {}",
            keys.len(),
            keys.join(" ")
        ));
    }
    for (i, call) in calls.iter().enumerate() {
        let f = &functions[call.function];
        let key = f.key();
        let (e, l) = (&erl[&i], &lam_out[&i]);
        summary.checked += 1;
        let (e_raw, e_canon) = e.split_once('\t').unwrap_or((e, ""));
        let (l_raw, l_canon) = l.split_once('\t').unwrap_or((l, ""));
        let cause = if e_raw == l_raw
            || (listed(OPAQUE_RESULTS, &key) && outcome_kind(e_raw) == outcome_kind(l_raw))
        {
            continue;
        } else if (!e_canon.is_empty() && e_canon == l_canon)
            || (call.big_map && (same_characters(e_raw, l_raw) || listed(HASH_SHAPED, &key)))
        {
            // erl places an atom, pid, reference or fun inside a key by its
            // index in erl's own tables, which no other VM can reproduce:
            // with one in the arguments, the large-map order may differ.
            if has_vm_numbered(&call.args) {
                continue;
            }
            MAP_ORDER
        } else {
            &key
        };
        summary.mismatch(
            cause,
            format!(
                "call {i}: {key} with {}\n  erl: {e_raw}\n  lam: {l_raw}",
                call.args
            ),
        );
    }
    Ok(summary)
}

/// Functions whose result counts the words of a map over 32 keys, which
/// follow the shape of erl's hash trie: with such a map in the arguments,
/// a difference is the large-map cause too.
const HASH_SHAPED: &[&str] = &["erts_debug:flat_size"];

/// Whether printed terms hold an atom, pid, port, reference or fun: terms
/// whose place in a large map erl derives from its own table indices.
/// Letters after a digit are a float's exponent, not an atom.
fn has_vm_numbered(text: &str) -> bool {
    if ["#Ref", "#Fun", "#Port", "<0.", "'"]
        .iter()
        .any(|m| text.contains(m))
    {
        return true;
    }
    let mut prev = ' ';
    for c in text.chars() {
        if c.is_ascii_lowercase() && !prev.is_ascii_alphanumeric() && prev != '.' && prev != '_' {
            return true;
        }
        prev = c;
    }
    false
}

/// The key of mismatches that only the order of a large map explains.
const MAP_ORDER: &str = "order-of-maps-over-32-keys";

/// Whether two printed results hold the same characters in another order:
/// what a large map's order explains when it shows in a result that is not
/// a map (`maps:keys/1`, `term_to_binary/1`), and a wrong value almost
/// never does.
fn same_characters(a: &str, b: &str) -> bool {
    let sorted = |s: &str| {
        let mut v: Vec<char> = s.chars().collect();
        v.sort_unstable();
        v
    };
    sorted(a) == sorted(b)
}

/// `{ok,...}` for any result, else the whole exception.
fn outcome_kind(printed: &str) -> &str {
    if printed.starts_with("{ok,") {
        "{ok,_}"
    } else {
        printed
    }
}

#[cfg(test)]
mod tests {
    use super::has_vm_numbered;

    #[test]
    fn atoms_pids_and_funs_are_told_from_numbers() {
        assert!(has_vm_numbered("[#{all => infinity}, [], #{1 => 0}]"));
        assert!(has_vm_numbered("[<0.5.0>]"));
        assert!(has_vm_numbered("['Ab c']"));
        assert!(!has_vm_numbered("[#{1 => 2.5e-7, 3 => <<1,2>>}, [1.0e10]]"));
    }
}
