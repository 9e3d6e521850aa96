//! The translator's command line and the LAM text of our fixtures.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn lam(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lam-translate"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> common::TempDir {
    common::TempDir::made(&format!("lam-cli-{name}"))
}

#[test]
fn translation_writes_lam_beside_the_input_and_prints_nothing() {
    let d = scratch("beside");
    let input = d.join("hello.beam");
    std::fs::copy(common::root().join("fixtures/hello.beam"), &input).unwrap();
    let out = lam(&[input.as_os_str()]);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(d.join("hello.lam")).unwrap();
    let m = lam_translate::lam::binary::decode(&bytes).unwrap();
    m.validate().unwrap();
    assert_eq!(m.name(), "hello");
}

#[test]
fn out_dir_text_emit_and_directories() {
    let d = scratch("outdir");
    let fixtures = common::root().join("fixtures");
    let hello = fixtures.join("hello.beam");
    let out = lam(&[
        hello.as_os_str(),
        fixtures.as_os_str(),
        "-o".as_ref(),
        d.as_os_str(),
        "--emit".as_ref(),
        "text".as_ref(),
    ]);
    // fixtures/ holds retired_opcode.beam, which is reported but still translated.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["hello", "arith", "binaries", "funs", "retired_opcode"] {
        let asm = std::fs::read_to_string(d.join(format!("{name}.lasm"))).unwrap();
        let m = lam_translate::lam::text::parse(&asm).unwrap();
        m.validate().unwrap();
    }
}

#[test]
fn bad_inputs_fail_with_a_diagnostic() {
    let d = scratch("bad");
    let junk = d.join("junk.beam");
    std::fs::write(&junk, b"FOR1\0\0\0\x10BEAM").unwrap();
    let out = lam(&[junk.as_os_str(), "-o".as_ref(), d.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.beam"), "{err}");
    let out = lam(&["/no/such/dir".as_ref()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn lam_text_of_fixtures() {
    for name in [
        "hello",
        "funs",
        "binaries",
        "exceptions",
        "processes",
        "maps_and_records",
    ] {
        let m =
            lam_translate::beam::read_file(&common::root().join(format!("fixtures/{name}.beam")))
                .unwrap();
        let t = lam_translate::translate::translate(&m).unwrap();
        assert!(t.unsupported.is_empty());
        insta::assert_snapshot!(
            format!("lam_{name}"),
            lam_translate::lam::text::print(&t.module)
        );
    }
}

/// `lam-translate report --format json ARGS...`, parsed.
fn report_json(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = lam(&[
        &["report".as_ref(), "--format".as_ref(), "json".as_ref()],
        args,
    ]
    .concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every module report in a JSON report.
fn modules(r: &serde_json::Value) -> Vec<&serde_json::Value> {
    r["applications"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["modules"].as_array().unwrap())
        .collect()
}

fn module<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    modules(r)
        .into_iter()
        .find(|m| m["module"] == name)
        .unwrap_or_else(|| panic!("module {name} in the report"))
}

/// What the registry makes of a BIF the fixture calls: a native, or what
/// it is without one.
fn unless_native(m: &str, f: &str, a: u32, otherwise: &'static str) -> &'static str {
    if lam_translate::vm::natives::registry()
        .get(m, f, a)
        .is_some()
    {
        "native"
    } else {
        otherwise
    }
}

#[test]
fn report_classifies_each_kind_of_call() {
    let dir = common::compile_fixture("report_calls");
    let r = report_json(&[dir.join("report_calls.beam").as_os_str()]);
    assert_eq!(r["version"], lam_translate::report::VERSION);
    let m = module(&r, "report_calls");
    let source = std::fs::read_to_string(common::root().join("fixtures/report_calls.erl")).unwrap();
    let line_of = |text: &str| {
        source
            .lines()
            .position(|l| l.contains(text))
            .map(|i| i as u64 + 1)
            .unwrap_or_else(|| panic!("{text} in the fixture"))
    };
    let mut got: Vec<(String, String, String, String, u64)> = m["unsupported_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(
                c["file"].as_str().unwrap().ends_with("report_calls.erl"),
                "{c}"
            );
            (
                c["function"].as_str().unwrap().into(),
                c["target"].as_str().unwrap().into(),
                c["via"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
                c["line"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String, String, String, u64)> = [
        (
            "init/0",
            "erlang:load_nif/2",
            "call",
            unless_native("erlang", "load_nif", 2, "missing_native"),
            "erlang:load_nif(",
        ),
        (
            "nif/1",
            "report_calls:nif_stub/1",
            "local",
            "missing_native",
            "nif_stub(lists:reverse(X))",
        ),
        (
            "port/0",
            "erlang:open_port/2",
            "call",
            unless_native("erts_internal", "open_port", 2, "port"),
            "open_port(",
        ),
        (
            "undefined/0",
            "lists:no_such_function/0",
            "call",
            "undefined",
            "lists:no_such_function()",
        ),
        (
            "unknown/1",
            "no_such_module_anywhere:f/1",
            "call",
            "unresolved",
            "no_such_module_anywhere:f(X)",
        ),
    ]
    .into_iter()
    .filter(|w| w.3 != "native")
    .map(|(f, t, v, s, text)| (f.into(), t.into(), v.into(), s.into(), line_of(text)))
    .collect();
    want.sort();
    assert_eq!(got, want);
    // A local call to a stub runs the stub whatever the registry says.
    assert_eq!(m["nif_stubs"], serde_json::json!(["nif_stub/1"]));
    assert_eq!(m["loads_nifs"], true);
    // atom_to_list/1 (the supported BIF), lists:flatten/1 and lists:reverse/1
    // run; so do module_info/0,1 (erlang:get_module_info/1,2).
    assert!(
        lam_translate::vm::natives::registry()
            .get("erlang", "atom_to_list", 1)
            .is_some(),
        "the fixture's supported BIF"
    );
    let runnable = ["bif/1", "code/1", "module_info/0", "module_info/1"].len()
        + want.iter().all(|w| w.0 != "init/0") as usize
        + want.iter().all(|w| w.0 != "port/0") as usize;
    assert_eq!(m["functions_runnable"], runnable as u64);
    assert_eq!(m["functions"], 10);
    // atom_to_list/1, lists:reverse/1, lists:flatten/1 and
    // erlang:get_module_info/1,2, and the port and NIF loading BIFs if
    // they have natives.
    let sites = &m["call_sites"];
    assert_eq!(
        sites["native"].as_u64().unwrap() + sites["code"].as_u64().unwrap(),
        5 + (runnable - 4) as u64,
        "{sites}"
    );
    assert_eq!(
        r["unresolved_modules"][0]["module"],
        "no_such_module_anywhere"
    );
    assert_eq!(
        r["undefined_functions"][0]["target"],
        "lists:no_such_function/0"
    );
    let missing: Vec<&str> = r["missing_natives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert!(missing.contains(&"report_calls:nif_stub/1"), "{missing:?}");

    // The text leads with the same findings.
    let out = lam(&["report".as_ref(), dir.join("report_calls.beam").as_os_str()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let first = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} in:\n{text}"));
    assert!(
        first("report_calls:nif_stub/1 — 1 call site in 1 module") < first("report_calls: 10/10")
    );
    assert!(first("no_such_module_anywhere — 1 call site") < first("report_calls: 10/10"));
    assert!(
        text.contains("Modules that load NIFs (1): report_calls"),
        "{text}"
    );
}

/// The `ebin` directory of an installed OTP application.
fn otp_app(name: &str) -> PathBuf {
    let lib = common::otp_lib_dir();
    std::fs::read_dir(&lib)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.strip_prefix(name).is_some_and(|v| v.starts_with('-')))
        })
        .unwrap_or_else(|| panic!("{name} under {}", lib.display()))
        .join("ebin")
}

/// `m:f/a` as its parts.
fn mfa(target: &str) -> (&str, &str, u32) {
    let (m, fa) = target.split_once(':').unwrap();
    let (f, a) = fa.rsplit_once('/').unwrap();
    (m, f, a.parse().unwrap())
}

#[test]
fn report_over_crypto_shows_what_of_it_cannot_run() {
    let registry = lam_translate::vm::natives::registry();
    let r = report_json(&[otp_app("crypto").as_os_str()]);
    let m = module(&r, "crypto");
    assert_eq!(m["loads_nifs"], true);
    let stubs: Vec<&str> = m["nif_stubs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(stubs.len() > 20, "crypto's NIFs: {stubs:?}");
    for s in &stubs {
        let (f, a) = s.rsplit_once('/').unwrap();
        assert!(
            registry
                .get("crypto", f, a.parse().unwrap())
                .is_none_or(|n| n.is_notsup()),
            "{s}"
        );
    }
    // Hashing runs: its NIF is native, so no call to it is unsupported.
    assert!(registry.get("crypto", "hash_nif", 2).is_some());
    assert!(!stubs.contains(&"hash_nif/2"), "{stubs:?}");
    let calls = m["unsupported_calls"].as_array().unwrap();
    assert!(calls.iter().all(|c| c["target"] != "crypto:hash_nif/2"));
    // Signing does not (public keys are `notsup` rows): the call is listed
    // with its place, and the NIF among the missing natives.
    assert!(
        registry
            .get("crypto", "pkey_sign_nif", 5)
            .is_some_and(|n| n.is_notsup())
    );
    let call = calls
        .iter()
        .find(|c| c["target"] == "crypto:pkey_sign_nif/5")
        .expect("a call to crypto:pkey_sign_nif/5");
    assert_eq!(call["status"], "missing_native");
    assert_eq!(call["file"], "crypto.erl");
    assert!(call["line"].as_u64().unwrap() > 0);
    let top = r["missing_natives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == "crypto:pkey_sign_nif/5")
        .expect("crypto:pkey_sign_nif/5 among the missing natives");
    assert!(top["call_sites"].as_u64().unwrap() >= 1 && top["modules"] == 1);
    // Everything translates, and still not everything can run.
    let t = &r["totals"];
    assert_eq!(t["share_full"], 1.0);
    assert!(t["share_runnable"].as_f64().unwrap() < 1.0, "{t}");
    assert!(t["call_sites"]["missing_native"].as_u64().unwrap() > 0);
}

#[test]
fn report_over_stdlib_shows_ets_without_natives_as_missing_natives() {
    let registry = lam_translate::vm::natives::registry();
    let r = report_json(&[otp_app("stdlib").as_os_str()]);
    let mut ets_calls = 0;
    for m in modules(&r) {
        for c in m["unsupported_calls"].as_array().unwrap() {
            let target = c["target"].as_str().unwrap();
            let (module, f, a) = mfa(target);
            if module == "ets" {
                ets_calls += 1;
                assert!(registry.get(module, f, a).is_none(), "{target} is native");
                assert_eq!(c["status"], "missing_native", "{c}");
            }
        }
    }
    // Functions stdlib surely calls (qlc, dets, the shell and ets itself do):
    // among the missing natives exactly when the registry lacks them.
    let missing: Vec<&str> = r["missing_natives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    let mut lacking = 0;
    for (f, a) in [("new", 2), ("insert", 2), ("lookup", 2), ("delete", 1)] {
        let native = registry.get("ets", f, a).is_some();
        lacking += !native as usize;
        assert_eq!(
            missing.contains(&format!("ets:{f}/{a}").as_str()),
            !native,
            "ets:{f}/{a}"
        );
    }
    if lacking > 0 {
        assert!(ets_calls > 0);
        assert!(r["totals"]["share_runnable"].as_f64().unwrap() < 1.0);
    }
    println!("stdlib: {ets_calls} calls to ETS functions without a native");
}

#[test]
fn report_text_and_markdown_of_the_fixture() {
    let compiled = common::compile_fixture("report_calls");
    // The application is named after the directory above ebin.
    let snap = scratch("report-snap");
    let ebin = snap.join("report_calls-1.0/ebin");
    std::fs::create_dir_all(&ebin).unwrap();
    std::fs::copy(
        compiled.join("report_calls.beam"),
        ebin.join("report_calls.beam"),
    )
    .unwrap();
    let root = common::root().display().to_string();
    for format in ["text", "markdown"] {
        let out = lam(&[
            "report".as_ref(),
            "--format".as_ref(),
            format.as_ref(),
            ebin.as_os_str(),
        ]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout)
            .unwrap()
            .replace(&root, "<root>");
        insta::assert_snapshot!(format!("report_{format}"), text);
    }
}
