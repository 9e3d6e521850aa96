//! Run budgets for embedders and fuzzing: `run --max-reductions N` and
//! `run --timeout S` stop a program that would run forever, with an error
//! that names the budget, instead of running on.

mod common;

use std::process::Command;
use std::time::Duration;

fn run(entry: &str, budget: &[&str]) -> std::process::Output {
    let dir = common::compile_fixture("spin_forever");
    common::output_within(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("run")
            .arg(dir.join("spin_forever.beam"))
            .arg("--entry")
            .arg(format!("spin_forever:{entry}"))
            .args(budget),
        Duration::from_secs(120),
    )
    .expect("the budget stops the run")
}

#[test]
fn a_reduction_budget_stops_a_loop_that_never_ends() {
    for entry in ["start", "ping_pong"] {
        let out = run(entry, &["--max-reductions", "200000"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{entry}: {err}");
        assert!(
            err.contains("budget of 200000 reductions"),
            "{entry}: {err}"
        );
    }
}

#[test]
fn a_timeout_stops_a_loop_that_never_ends() {
    let out = run("start", &["--timeout", "0.5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("passed its deadline"), "{err}");
}

/// An idle VM waits for its next timer; the run's deadline bounds that
/// wait too (it slept through `--timeout` until the timer fired: an hour
/// here, and the `run` fuzz target's runs slowed to a few hundred a second).
#[test]
fn a_timeout_stops_a_wait_on_a_long_timer() {
    let start = std::time::Instant::now();
    let out = run("sleep_long", &["--timeout", "0.5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("passed its deadline"), "{err}");
    // Not a timing assertion on speed: the other bound is an hour.
    assert!(start.elapsed() < Duration::from_secs(100), "{err}");
}
