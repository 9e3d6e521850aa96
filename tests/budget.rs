//! Run budgets for embedders and fuzzing: `run --max-reductions N` and
//! `run --timeout S` stop a program that would run forever, with an error
//! that names the budget, instead of running on. And the atom table's
//! limit (`run --max-atoms N`, erl's `+t`): a program that fills the table
//! gets `system_limit` and the VM goes on.

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

/// A program that makes atoms until the table is full: on erl the whole VM
/// stops (run live here, with erl's own table: a non-zero exit and "no
/// more index entries in atom_tab"); on LAM the process that asked gets
/// `system_limit` from `list_to_atom` and `binary_to_atom`, `badarg` from
/// `binary_to_term`, another process gets the same, existing atoms are
/// still found, and the run ends normally. With the default limit (erl's,
/// as erl prints it) and with a small one.
#[test]
fn a_full_atom_table_fails_the_caller_not_the_vm() {
    let dir = common::compile_fixture("atom_table_full");
    let erl = common::output_within(
        Command::new("erl")
            .args(["-noshell", "-pa"])
            .arg(&dir)
            .args(["-eval", "atom_table_full:start(), halt()."])
            // No crash dump: the message comes first either way.
            .env("ERL_CRASH_DUMP_SECONDS", "0")
            .current_dir(&dir),
        Duration::from_secs(120),
    )
    .expect("erl ends");
    // (erl says it on standard error, before its crash dump.)
    let erl_said = String::from_utf8_lossy(&erl.stderr);
    assert_ne!(erl.status.code(), Some(0), "{erl_said}");
    assert!(
        erl_said.contains("no more index entries in atom_tab"),
        "{erl_said}"
    );
    // The fixture prints the table's limit first: erl's, before it stops.
    let erl_out = String::from_utf8_lossy(&erl.stdout);
    let erl_limit = erl_out
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("limit: "))
        .unwrap_or_else(|| panic!("erl printed its limit first: {erl_out}"))
        .to_string();
    for (flags, shown) in [
        (&[][..], erl_limit.as_str()),
        (&["--max-atoms", "50000"][..], "50000"),
    ] {
        let out = common::output_within(
            Command::new(env!("CARGO_BIN_EXE_lam-translate"))
                .arg("run")
                .args(flags)
                .arg(dir.join("atom_table_full.beam"))
                .args(["--entry", "atom_table_full:start"]),
            Duration::from_secs(120),
        )
        .expect("the run ends");
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{flags:?}: {said}");
        let want = format!(
            "limit: {shown}\n\
             made new atoms: true\n\
             list_to_atom: system_limit\n\
             binary_to_atom: system_limit\n\
             binary_to_term: badarg\n\
             another process: system_limit\n\
             existing atoms: {{ok,atom_0}}\n\
             table full: true\n"
        );
        assert_eq!(said, want, "{flags:?}");
    }
}
