//! Which of OTP's BIFs LAM provides natively, measured against the live
//! `erl` (`erlang:is_builtin/3` over the modules below). A BIF that is not
//! native would run OTP's stub, which raises `undef`/`nif_error`: the test
//! fails when one is missing that is not listed in `NOT_NATIVE` with the
//! reason, and when a listed one has become native (so the list stays true).

mod common;

use std::process::Command;

const MODULES: &[&str] = &[
    "erlang",
    "lists",
    "maps",
    "binary",
    "unicode",
    "math",
    "persistent_term",
    "os",
];

/// BIFs left out on purpose, by prefix, with the reason.
const NOT_NATIVE: &[(&str, &str)] = &[
    ("erlang:dist_", "distribution: LAM runs one node"),
    ("erlang:trace/", "tracing"),
    ("erlang:trace_pattern/", "tracing"),
    ("erlang:trace_delivered/", "tracing"),
    ("erlang:seq_trace", "tracing"),
    ("erlang:system_monitor", "VM introspection"),
    ("erlang:system_profile", "VM introspection"),
    ("erlang:erase_persistent", "internal to persistent_term"),
    ("erlang:setnode/", "distribution"),
    ("erlang:dmonitor", "distribution"),
    ("erlang:dunlink", "distribution"),
    ("erlang:load_module/", "code loading is LAM's loader"),
    ("erlang:purge_module/", "code loading is LAM's loader"),
    ("erlang:prepare_loading/", "code loading is LAM's loader"),
    ("erlang:set_cpu_topology/", "VM configuration"),
    ("erlang:suspend_process/", "debugging"),
    ("erlang:resume_process/", "debugging"),
    ("erlang:decode_packet/", "packet parsing: not yet"),
    (
        "erlang:exit_signal/",
        "internal to the BEAM's signal handling",
    ),
    ("persistent_term:info/", "VM introspection: not yet"),
];

#[test]
fn bifs_are_native() {
    let script = "[begin code:ensure_loaded(M), \
        [io:format(\"~s:~s/~p~n\", [M, F, A]) || {F, A} <- M:module_info(exports), \
         erlang:is_builtin(M, F, A)] end || M <- MODULES], halt().";
    let list = MODULES
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let out = common::run(Command::new("erl").args([
        "-noshell",
        "-eval",
        &script.replace("MODULES", &format!("[{list}]")),
    ]));
    let mut vm = lam_translate::vm::Vm::new(vec![common::otp_lib_dir()]);
    let (mut native, mut missing, mut listed_but_native) = (0, vec![], vec![]);
    for line in out.lines() {
        let (m, rest) = line.split_once(':').unwrap();
        let (f, a) = rest.rsplit_once('/').unwrap();
        let (mi, fi) = (vm.atoms.intern(m), vm.atoms.intern(f));
        let is_native = matches!(
            vm.resolve(mi, fi, a.parse().unwrap()),
            Some(lam_translate::vm::code::loader::Callee::Native(_))
                | Some(lam_translate::vm::code::loader::Callee::Host(_))
        );
        let listed = NOT_NATIVE.iter().any(|(p, _)| line.starts_with(p));
        match (is_native, listed) {
            (true, false) => native += 1,
            (true, true) => listed_but_native.push(line.to_string()),
            (false, false) => missing.push(line.to_string()),
            (false, true) => {}
        }
    }
    println!(
        "{native} of {} BIFs of {MODULES:?} native on LAM; {} left out on purpose",
        out.lines().count(),
        out.lines().count() - native - missing.len()
    );
    println!("not native:\n{}", missing.join("\n"));
    assert!(
        listed_but_native.is_empty(),
        "now native, take them out of NOT_NATIVE: {listed_but_native:?}"
    );
    assert!(
        missing.is_empty(),
        "{} BIFs not native:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// The compatibility report agrees with erl on what a BIF is: every BIF of
/// `MODULES` and `ets` (by `erlang:is_builtin/3`) resolves to a native, or
/// without one to a missing native or a port BIF, never to Erlang code that
/// would raise when it runs (the stub in its module's `.beam`).
#[test]
fn report_resolves_every_bif_to_a_native_or_to_nothing() {
    use lam_translate::report::calls::{Via, module_calls};
    use lam_translate::report::resolve::{Status, Universe};
    let mut all: Vec<&str> = MODULES.to_vec();
    all.push("ets");
    let script = "[begin code:ensure_loaded(M), \
        [io:format(\"~s:~s/~p~n\", [M, F, A]) || {F, A} <- M:module_info(exports), \
         erlang:is_builtin(M, F, A)] end || M <- MODULES], halt().";
    let out = common::run(Command::new("erl").args([
        "-noshell",
        "-eval",
        &script.replace("MODULES", &format!("[{}]", all.join(","))),
    ]));
    let path = lam_translate::vm::code::path::CodePath::new(vec![common::otp_lib_dir()]);
    let calls: Vec<_> = all
        .iter()
        .map(|m| {
            let file = path.find(m).unwrap_or_else(|| panic!("{m}.beam"));
            module_calls(&lam_translate::vm::code::path::read_module(file).unwrap().0)
        })
        .collect();
    let registry = lam_translate::vm::natives::registry();
    let u = Universe::new(registry, &calls);
    let mut wrong = vec![];
    let mut unsupported = 0;
    for line in out.lines() {
        let (m, rest) = line.split_once(':').unwrap();
        let (f, a) = rest.rsplit_once('/').unwrap();
        let a: u32 = a.parse().unwrap();
        let status = u.resolve(m, f, a, Via::Call);
        let ok = match status {
            Status::Native => registry.get(m, f, a).is_some(),
            Status::MissingNative | Status::Port => {
                unsupported += 1;
                registry.get(m, f, a).is_none()
            }
            _ => false,
        };
        if !ok {
            wrong.push(format!("{line}: {status:?}"));
        }
    }
    println!(
        "{} BIFs of {all:?}: {unsupported} unsupported at run time",
        out.lines().count()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
