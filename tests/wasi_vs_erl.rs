//! The WebAssembly build (`docs/wasm.md`) against erl: `lam-translate` is
//! built for `wasm32-wasip1` once per test run (into `target/wasi-test`, a
//! target directory of its own, so that it does not wait on the lock of the
//! build running the tests), and fixtures run under node's WASI through
//! `web/run-wasi.mjs`, compared with erl run live exactly as
//! `run_vs_erl.rs` compares the native build.
//!
//! node is required: without it the tests fail, saying so (`.ci/setup`
//! installs it). `LAM_WASI_FIXTURES=all` runs every fixture instead of the
//! set below and lists the ones that differ.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The fixtures run under WASI by default: a spread of the language
/// (arithmetic, binaries, maps, exceptions, processes, timers, ETS, files,
/// standard input) small enough for CI, as node starts slower than LAM.
const FIXTURES: &[&str] = &[
    "hello",
    "arith",
    "bignums",
    "atoms",
    "binaries",
    "bits_syntax",
    "exceptions",
    "crash_reasons",
    "maps_and_records",
    "lists_hof",
    "strings",
    "unicode_text",
    "json_like",
    "float_shortest",
    "processes",
    "proc_gen_server",
    "proc_timers",
    "proc_monitors",
    "ets_tables",
    "files_io",
    "files_fs",
    "io_stdin",
    "closures",
    "zlib_api",
    "ports_spawn",
    "re_usage",
];

/// The wasm module, built once for all the tests of this file.
pub fn wasm_module() -> &'static Path {
    static MODULE: OnceLock<PathBuf> = OnceLock::new();
    MODULE.get_or_init(|| {
        let target = common::root().join("target/wasi-test");
        let status = Command::new(env!("CARGO"))
            .current_dir(common::root())
            .args([
                "build",
                "--profile",
                "wasm",
                "--target",
                "wasm32-wasip1",
                "--bin",
                "lam-translate",
                "--target-dir",
            ])
            .arg(&target)
            .status()
            .expect("cargo");
        assert!(
            status.success(),
            "the wasm32-wasip1 build failed (is the target installed? rustup target add wasm32-wasip1)"
        );
        target.join("wasm32-wasip1/wasm/lam-translate.wasm")
    })
}

/// node, or a failure that says it is missing.
fn node() -> Command {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "node is not installed: the WASI tests need node >= 20 (.ci/setup installs it)"
    );
    let mut c = Command::new("node");
    c.arg("--no-turbo-fast-api-calls")
        .arg("--no-warnings")
        .arg(common::root().join("web/run-wasi.mjs"));
    c
}

/// `lam-translate ARGS` under node, in `dir` (which the module sees).
pub fn under_node(wasm: &Path, dir: &Path) -> Command {
    let mut c = node();
    c.current_dir(dir).env("LAM_WASM", wasm);
    c
}

#[test]
fn fixtures_under_wasi_print_what_erl_prints() {
    let wasm = wasm_module();
    let dir = common::compile_fixtures("wasi");
    let all = std::env::var("LAM_WASI_FIXTURES").is_ok_and(|v| v == "all");
    let modules: Vec<String> = if all {
        common::main_modules(&dir)
    } else {
        FIXTURES.iter().map(|s| s.to_string()).collect()
    };
    let script = common::root().join("erl/run.escript");
    let limit = std::time::Duration::from_secs(60);
    let mut failures = Vec::new();
    let mut differing = Vec::new();
    for m in &modules {
        assert!(dir.join(format!("{m}.beam")).exists(), "no fixture {m}");
        let stdin_file = common::root().join("fixtures").join(format!("{m}.stdin"));
        let stdin = || {
            if stdin_file.exists() {
                std::process::Stdio::from(std::fs::File::open(&stdin_file).unwrap())
            } else {
                std::process::Stdio::null()
            }
        };
        let config = common::root().join("fixtures").join(format!("{m}.config"));
        let flags =
            std::fs::read_to_string(common::root().join("fixtures").join(format!("{m}.flags")))
                .map(|f| f.trim().to_string())
                .unwrap_or_default();
        let source =
            std::fs::read_to_string(common::root().join("fixtures").join(format!("{m}.erl")))
                .unwrap_or_default();
        let mut erl_flags = vec![flags.clone()];
        if stdin_file.exists() && (source.contains("{fd, 0") || source.contains("{fd,0")) {
            erl_flags.push("-noinput".into());
        }
        let mut erl_cmd = Command::new("escript");
        erl_cmd.arg(&script).arg(&dir).arg(m).stdin(stdin());
        if config.exists() {
            erl_flags.push(format!("-config '{}'", config.display()));
            erl_cmd.env("ERL_CRASH_DUMP_SECONDS", "0");
        }
        erl_cmd.env("ERL_FLAGS", erl_flags.join(" ").trim());
        let erl = common::output_within(&mut erl_cmd, limit)
            .unwrap_or_else(|| panic!("{m}: erl ran for more than {limit:?}"));
        let differ = common::differences(
            m,
            &erl,
            &[1],
            |_| {
                let mut lam = under_node(wasm, &dir);
                lam.arg("run")
                    .arg(format!("{m}.beam"))
                    .stdin(stdin())
                    .env("ERL_FLAGS", &flags);
                if config.exists() {
                    // The module sees the fixture directory only.
                    std::fs::copy(&config, dir.join(format!("{m}.config"))).unwrap();
                    lam.arg("--config").arg(format!("{m}.config"));
                }
                lam
            },
            limit,
        );
        if !differ.is_empty() {
            differing.push(m.clone());
        }
        failures.extend(differ);
    }
    println!(
        "ran {} programs under erl and under node's WASI: {} differ: {differing:?}",
        modules.len(),
        differing.len()
    );
    assert!(
        failures.is_empty(),
        "{} programs differ under WASI:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `lam-translate bundle`: one `.wasm` per program, run under node from an
/// empty directory, with no OTP tree preopened, prints what erl prints.
#[test]
fn bundles_run_without_otp_and_print_what_erl_prints() {
    let wasm = wasm_module();
    let script = common::root().join("erl/run.escript");
    let limit = std::time::Duration::from_secs(120);
    let mut failures = Vec::new();
    for m in ["hello", "proc_gen_server", "json_like"] {
        let dir = common::compile_fixture(m);
        let out = dir.join(format!("{m}.wasm"));
        let made = Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("bundle")
            .arg(dir.join(format!("{m}.beam")))
            .arg("-o")
            .arg(&out)
            .arg("--vm")
            .arg(wasm)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "bundle {m}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let empty = dir.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let erl =
            common::output_within(Command::new("escript").arg(&script).arg(&dir).arg(m), limit)
                .unwrap_or_else(|| panic!("{m}: erl ran for more than {limit:?}"));
        failures.extend(common::differences(
            m,
            &erl,
            &[1],
            |_| {
                let mut c = under_node(&out, &empty);
                c.env_remove("LAM_OTP_ROOT")
                    .stdin(std::process::Stdio::null());
                c
            },
            limit,
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
