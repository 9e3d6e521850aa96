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
    "files_raw",
    "system_file",
    "system_timer",
    "io_stdin",
    "closures",
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
/// `lam-translate bundle BEAMS -o OUT --vm WASM`, which must succeed.
fn bundle(beams: &[PathBuf], out: &Path, wasm: &Path) {
    let made = Command::new(env!("CARGO_BIN_EXE_lam-translate"))
        .arg("bundle")
        .args(beams)
        .arg("-o")
        .arg(out)
        .arg("--vm")
        .arg(wasm)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "bundle {beams:?}: {}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// Fails the test, never skips it, when `tool --version` does not run.
fn require(tool: &str, why: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is not installed: {why} (.ci/setup installs it)"
    );
}

fn node() -> Command {
    require("node", "the WASI tests need node >= 20");
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
        bundle(&[dir.join(format!("{m}.beam"))], &out, wasm);
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

/// The browser page (`web/index.html`) in Debian's chromium, headless:
/// served from a small HTTP server here, with `lam.wasm` bundled from
/// `web/examples`, it runs an example at once (`?example=NAME&post=1`) and
/// posts the text it shows as output, which must be what erl prints.
#[test]
fn the_page_runs_examples_in_chromium_as_erl_does() {
    require("chromium", "the page's test needs it");
    let wasm = wasm_module();
    let site = common::TempDir::made("lam-web");
    let examples: Vec<PathBuf> = ["hello", "ring", "bignum"]
        .iter()
        .map(|m| common::root().join(format!("web/examples/{m}.erl")))
        .collect();
    common::run(Command::new("erlc").arg("-o").arg(&site).args(&examples));
    let beams: Vec<PathBuf> = ["hello", "ring", "bignum"]
        .iter()
        .map(|m| site.join(format!("{m}.beam")))
        .collect();
    bundle(&beams, &site.join("lam.wasm"), wasm);
    let (port, results) = serve(site.to_path_buf());
    let script = common::root().join("erl/run.escript");
    for m in ["hello", "bignum"] {
        let erl = common::run(Command::new("escript").arg(&script).arg(&site).arg(m));
        let profile = site.join(format!("chromium-{m}"));
        let mut chromium = Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!(
                "http://127.0.0.1:{port}/index.html?example={m}&post=1"
            ))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromium");
        let posted = results.recv_timeout(std::time::Duration::from_secs(180));
        let _ = chromium.kill();
        let _ = chromium.wait();
        let posted = posted.unwrap_or_else(|_| panic!("{m}: the page posted no result"));
        let shown: serde_json::Value = serde_json::from_str(&posted).unwrap();
        assert_eq!(
            shown["output"].as_str(),
            Some(erl.as_str()),
            "{m}: the page showed something else than erl printed: {posted}"
        );
        assert!(
            shown["report"]
                .as_str()
                .is_some_and(|r| r.contains("functions")),
            "{m}: no compatibility report: {posted}"
        );
        assert!(
            shown["stats"].as_str().is_some_and(|s| s.contains("bytes")),
            "{m}: no size shown: {posted}"
        );
    }
}

/// Serves the page's files (from `web/`, and `lam.wasm` from `site`) on a
/// free port of 127.0.0.1, forever, in a thread; what the page posts to
/// `/result` comes out of the channel.
fn serve(site: PathBuf) -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut r = BufReader::new(conn);
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = r.read_exact(&mut body);
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let path = path
                .split('?')
                .next()
                .unwrap_or("/")
                .trim_start_matches('/');
            let (status, kind, content) = if line.starts_with("POST") && path == "result" {
                let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
                ("200 OK", "text/plain", Vec::new())
            } else {
                let file = match path {
                    "lam.wasm" => site.join("lam.wasm"),
                    "index.html" | "app.mjs" | "wasi-shim.mjs" => {
                        common::root().join("web").join(path)
                    }
                    _ => PathBuf::new(),
                };
                let kind = match file.extension().and_then(|e| e.to_str()) {
                    Some("html") => "text/html",
                    Some("mjs") => "text/javascript",
                    Some("wasm") => "application/wasm",
                    _ => "application/octet-stream",
                };
                match std::fs::read(&file) {
                    Ok(c) => ("200 OK", kind, c),
                    Err(_) => ("404 Not Found", "text/plain", Vec::new()),
                }
            };
            let mut conn = r.into_inner();
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                content.len()
            );
            let _ = conn.write_all(&content);
        }
    });
    (port, rx)
}
