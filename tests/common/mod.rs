//! Helpers shared by the integration tests: finding the installed OTP and
//! Elixir, running `erl`, and collecting `.beam` files.
//!
//! A missing `erl` is a failure, never a skip: `.ci/run` installs it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a command and returns its stdout, panicking with its stderr on failure.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (is Erlang/OTP installed? see .ci/run)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("command output is UTF-8")
}

/// OTP's `code:lib_dir()`.
pub fn otp_lib_dir() -> PathBuf {
    let s = run(Command::new("erl").args([
        "-noshell",
        "-eval",
        "io:format(\"~s\", [code:lib_dir()]), halt().",
    ]));
    PathBuf::from(s.trim())
}

/// The directory holding Elixir's applications (`elixir`, `mix`, ...).
pub fn elixir_lib_dir() -> PathBuf {
    let s = run(Command::new("elixir").args(["-e", "IO.puts(:code.lib_dir(:elixir))"]));
    let dir = PathBuf::from(s.trim());
    let dir = dir.canonicalize().unwrap_or(dir);
    dir.parent()
        .expect("elixir lib dir has a parent")
        .to_path_buf()
}

/// Every `.beam` file below `dir`, sorted.
pub fn beams_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "beam") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every installed OTP and Elixir module.
pub fn installed_beams() -> Vec<PathBuf> {
    let mut all = beams_under(&otp_lib_dir());
    all.extend(beams_under(&elixir_lib_dir()));
    all.sort();
    all.dedup();
    all
}

/// The crate's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The best of three in-VM timings of `beam_disasm:file/1` over `files`,
/// measured by `erl/bench_disasm.escript` (for the benchmarks).
pub fn beam_disasm_time(files: &[PathBuf]) -> std::time::Duration {
    let script = root().join("erl/bench_disasm.escript");
    let out = run(Command::new("escript").arg(script).args(files));
    let us: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("best_us "))
        .and_then(|v| v.trim().parse().ok())
        .expect("escript reports best_us");
    std::time::Duration::from_micros(us)
}
