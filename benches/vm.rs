//! The interpreter against erl, in one run: each program in
//! `benches/programs/` is compiled with erlc and timed inside each VM by the
//! same Erlang code (`erl/bench_tc.erl`: best of five `timer:tc` runs, so
//! start-up and code loading are excluded on both), and the ratio is
//! printed; then start-up of a program that prints with io:format, end to
//! end.
//! `bench_idle` reports memory per idle process (`erlang:memory(processes)`
//! on each VM) instead of a time.
//!
//! Run: `cargo bench --bench vm`. Not a test: nothing asserts a time.
//!
//! Before and after a VM change, in one run: when `LAM_BENCH_BASELINE`
//! names another `lam-translate` binary (say, one built from an older
//! commit), every program is also timed on it, the same way (its
//! `lam-translate run bench_tc.beam --entry bench_tc:main [--schedulers N]
//! -- Module` prints the best of five from inside its VM, so its start-up is
//! excluded too), and the table gains the columns `base (ms)` and
//! `lam/base` (`?` where the baseline failed or printed nothing usable):
//!
//! ```sh
//! git worktree add /tmp/base 97bdaa4
//! cargo build --release --manifest-path /tmp/base/Cargo.toml
//! LAM_BENCH_BASELINE=/tmp/base/target/release/lam-translate cargo bench --bench vm
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lam_translate::term::Term;

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
    // Erlang programs (`.erl`) and Elixir ones (`.ex`, each with a module
    // named as its file, such as `defmodule :bench_ex_enum`): erl times
    // the Elixir ones with Elixir's libraries on its path, as `elixir`
    // runs them.
    let elixir = lam_translate::files::elixir_lib_dir();
    for m in &modules {
        let ex = src.join(format!("{m}.ex"));
        if ex.exists() {
            common::run(Command::new("elixirc").arg("-o").arg(&out).arg(ex));
        } else {
            common::run(
                Command::new("erlc")
                    .arg("-o")
                    .arg(&out)
                    .arg(src.join(format!("{m}.erl"))),
            );
        }
    }
    common::run(
        Command::new("erlc")
            .arg("-o")
            .arg(&out)
            .arg(common::root().join("erl/bench_tc.erl")),
    );
    let mut escript = Command::new("escript");
    escript
        .arg(common::root().join("erl/bench_run.escript"))
        .arg(&out)
        .args(&modules);
    if let Some(e) = &elixir {
        escript.env("ERL_LIBS", e);
    }
    let erl_out = common::run(&mut escript);
    let erl: HashMap<&str, (u64, &str)> = erl_out
        .lines()
        .filter_map(|l| {
            let mut p = l.splitn(3, ' ');
            Some((p.next()?, (p.next()?.parse().ok()?, p.next()?)))
        })
        .collect();
    let mut path = vec![out.clone(), common::otp_lib_dir()];
    path.extend(elixir);
    let baseline = std::env::var_os("LAM_BENCH_BASELINE").map(PathBuf::from);
    if let Some(b) = &baseline {
        println!("baseline: {}", b.display());
    }
    let base_header = if baseline.is_some() {
        format!(" {:>10} {:>8}", "base (ms)", "lam/base")
    } else {
        String::new()
    };
    println!(
        "{:<14} {:>10} {:>10} {:>8}{base_header}  result",
        "program", "erl (ms)", "lam (ms)", "lam/erl"
    );
    // bench_parallel (and bench_ets_parallel) run on one scheduler and on
    // two, on both VMs.
    let runs: Vec<(String, String, Option<usize>)> = modules
        .iter()
        .flat_map(|m| {
            if m.ends_with("_parallel") {
                vec![
                    (m.clone(), format!("{m}@1"), Some(1)),
                    (m.clone(), format!("{m}@2"), Some(2)),
                ]
            } else {
                vec![(m.clone(), m.clone(), None)]
            }
        })
        .collect();
    let mut parallel = HashMap::new();
    for (m, label, schedulers) in &runs {
        let timed = lam_translate::vm::eval_on(
            path.clone(),
            "bench_tc",
            "best",
            &[Term::atom(m)],
            *schedulers,
        );
        let (lam, result) = match timed {
            Ok(Term::Tuple(ref t)) if t.len() == 2 => {
                let us = match t[0] {
                    Term::Int(us) => us.max(0) as u64,
                    _ => 0,
                };
                (Duration::from_micros(us), Ok(t[1].clone()))
            }
            other => (Duration::ZERO, other),
        };
        let result = match result {
            Ok(t) => lam_translate::erlfmt::w(&t),
            Err((c, r)) => format!(
                "exception {}:{}",
                lam_translate::erlfmt::w(&c),
                lam_translate::erlfmt::w(&r)
            ),
        };
        let (erl_us, erl_result) = erl.get(label.as_str()).copied().unwrap_or((0, "?"));
        let base = baseline
            .as_deref()
            .map(|b| time_baseline(b, &out, m, *schedulers));
        let m = label;
        if m == "bench_idle" {
            // Its result is what it measures: bytes per idle process.
            let base = match &base {
                Some(Some((_, r))) => format!(", base {r} bytes"),
                Some(None) => ", base ? bytes".to_string(),
                None => String::new(),
            };
            println!(
                "{m:<14} memory per idle process (100,000 waiting in receive): lam {result} bytes, erl {erl_result} bytes{base}"
            );
            continue;
        }
        let erl_t = Duration::from_micros(erl_us);
        let mut notes = String::new();
        if result != erl_result {
            notes.push_str("  (RESULT DIFFERS)");
        }
        let base_cols = match &base {
            None => String::new(),
            Some(None) => format!(" {:>10} {:>8}", "?", "?"),
            Some(Some((base_t, base_result))) => {
                if *base_result != result {
                    notes.push_str(&format!("  (BASE RESULT DIFFERS: {base_result})"));
                }
                format!(
                    " {:>10.1} {:>7.2}x",
                    base_t.as_secs_f64() * 1e3,
                    lam.as_secs_f64() / base_t.as_secs_f64().max(1e-9)
                )
            }
        };
        println!(
            "{m:<14} {:>10.1} {:>10.1} {:>7.1}x{base_cols}  {result}{notes}",
            erl_t.as_secs_f64() * 1e3,
            lam.as_secs_f64() * 1e3,
            lam.as_secs_f64() / erl_t.as_secs_f64().max(1e-9)
        );
        if let Some(n) = schedulers {
            let base_t = base.flatten().map(|(t, _)| t);
            let program = m.split('@').next().unwrap_or(m).to_string();
            parallel.insert((program, *n), (erl_t, lam, base_t));
        }
    }
    let mut programs: Vec<String> = parallel.keys().map(|(p, _)| p.clone()).collect();
    programs.sort();
    programs.dedup();
    for program in programs {
        let (Some((e1, l1, b1)), Some((e2, l2, b2))) = (
            parallel.get(&(program.clone(), 1)),
            parallel.get(&(program.clone(), 2)),
        ) else {
            continue;
        };
        let base = match (b1, b2) {
            (Some(b1), Some(b2)) => {
                format!(", base {:.2}x", b1.as_secs_f64() / b2.as_secs_f64())
            }
            _ if baseline.is_some() => ", base ?".to_string(),
            _ => String::new(),
        };
        println!(
            "{program} speed-up from 1 to 2 schedulers: lam {:.2}x, erl {:.2}x{base}",
            l1.as_secs_f64() / l2.as_secs_f64(),
            e1.as_secs_f64() / e2.as_secs_f64()
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

/// Times `module` on the baseline binary `bin` as LAM is timed in process:
/// `bench_tc:main/1` prints "bench_tc Microseconds Result" from inside its
/// VM. `None` (and a note on stderr) if it fails or prints no such line.
fn time_baseline(
    bin: &Path,
    dir: &Path,
    module: &str,
    schedulers: Option<usize>,
) -> Option<(Duration, String)> {
    let mut cmd = Command::new(bin);
    cmd.arg("run")
        .arg(dir.join("bench_tc.beam"))
        .arg("-pa")
        .arg(dir)
        .args(["--entry", "bench_tc:main"]);
    if let Some(n) = schedulers {
        cmd.arg("--schedulers").arg(n.to_string());
    }
    cmd.arg("--").arg(module);
    let output = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("baseline {}: cannot run: {e}", bin.display());
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed = stdout.lines().find_map(|l| {
        let (us, result) = l.strip_prefix("bench_tc ")?.split_once(' ')?;
        Some((Duration::from_micros(us.parse().ok()?), result.to_string()))
    });
    if parsed.is_none() || !output.status.success() {
        eprintln!(
            "baseline {module}: {}; stdout {:?}; stderr {:?}",
            output.status,
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parsed.filter(|_| output.status.success())
}
