//! The interpreter against erl, in one run: each program in
//! `benches/programs/` is compiled with erlc, timed inside erl (the BEAM's
//! JIT, start-up excluded) and inside LAM, and the ratio is printed; then
//! start-up of a program that prints with io:format, end to end.
//! `bench_idle` reports memory per idle process (`erlang:memory(processes)`
//! on each VM) instead of a time.
//!
//! Run: `cargo bench --bench vm`. Not a test: nothing asserts a time.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let src = common::root().join("benches/programs");
    let out = std::env::temp_dir().join(format!("lam-bench-vm-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let mut modules: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.path()
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .collect();
    modules.sort();
    modules.dedup();
    for m in &modules {
        common::run(
            Command::new("erlc")
                .arg("-o")
                .arg(&out)
                .arg(src.join(format!("{m}.erl"))),
        );
    }
    let erl_out = common::run(
        Command::new("escript")
            .arg(common::root().join("erl/bench_run.escript"))
            .arg(&out)
            .args(&modules),
    );
    let erl: HashMap<&str, (u64, &str)> = erl_out
        .lines()
        .filter_map(|l| {
            let mut p = l.splitn(3, ' ');
            Some((p.next()?, (p.next()?.parse().ok()?, p.next()?)))
        })
        .collect();
    let path = vec![out.clone(), common::otp_lib_dir()];
    println!(
        "{:<14} {:>10} {:>10} {:>8}  result",
        "program", "erl (ms)", "lam (ms)", "lam/erl"
    );
    for m in &modules {
        let best = (0..3)
            .map(|_| {
                let t = Instant::now();
                let r = lam_translate::vm::eval(path.clone(), m, "run");
                (t.elapsed(), r)
            })
            .min_by_key(|(d, _)| *d)
            .unwrap();
        let (lam, result) = best;
        let result = match result {
            Ok(t) => lam_translate::erlfmt::w(&t),
            Err((c, r)) => format!(
                "exception {}:{}",
                lam_translate::erlfmt::w(&c),
                lam_translate::erlfmt::w(&r)
            ),
        };
        let (erl_us, erl_result) = erl.get(m.as_str()).copied().unwrap_or((0, "?"));
        if m == "bench_idle" {
            // Its result is what it measures: bytes per idle process.
            println!(
                "{m:<14} memory per idle process (100,000 waiting in receive): lam {result} bytes, erl {erl_result} bytes"
            );
            continue;
        }
        let erl_t = Duration::from_micros(erl_us);
        let same = if result == erl_result {
            ""
        } else {
            "  (RESULT DIFFERS)"
        };
        println!(
            "{m:<14} {:>10.1} {:>10.1} {:>7.1}x  {result}{same}",
            erl_t.as_secs_f64() * 1e3,
            lam.as_secs_f64() * 1e3,
            lam.as_secs_f64() / erl_t.as_secs_f64().max(1e-9)
        );
    }
    let startup = |cmd: &mut Command| {
        (0..10)
            .map(|_| {
                let t = Instant::now();
                assert!(cmd.output().unwrap().status.success());
                t.elapsed()
            })
            .min()
            .unwrap()
    };
    let fixtures = common::root().join("fixtures");
    let lam = startup(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("run")
            .arg(fixtures.join("hello.beam")),
    );
    let erl = startup(
        Command::new("erl")
            .arg("-noshell")
            .arg("-pa")
            .arg(&fixtures)
            .args(["-eval", "hello:main(), halt()."]),
    );
    println!(
        "start-up, hello world end to end (best of 10): lam {:.1} ms, erl {:.1} ms",
        lam.as_secs_f64() * 1e3,
        erl.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&out);
}
