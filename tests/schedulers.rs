//! When the VM stops: by default when the entry function returns (as
//! `erl -s M F -s init stop` does), with `--until-idle` when no process can
//! run anymore; on any number of scheduler threads.

mod common;

use std::process::Command;
use std::time::Duration;

fn run(dir: &std::path::Path, extra: &[&str]) -> String {
    let out = common::output_within(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("run")
            .args(extra)
            .arg(dir.join("until_idle.beam")),
        Duration::from_secs(30),
    )
    .expect("lam-translate finishes");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn the_vm_stops_with_the_entry_function_or_when_idle() {
    let dir = common::compile_fixtures("sched");
    for n in ["--schedulers=1", "--schedulers=2", "--schedulers=4"] {
        assert_eq!(run(&dir, &[n]), "early\n", "{n}");
        assert_eq!(
            run(&dir, &[n, "--until-idle"]),
            "early\nlate\nwaiter done\n",
            "{n} --until-idle"
        );
    }
}

/// Priorities decide the order processes run in on one scheduler (on more,
/// several run at once): `proc_priority:order/0` prints the order its
/// processes finish in, under `erl +S 1` and `--schedulers 1`.
#[test]
fn priorities_order_processes_on_one_scheduler_as_on_erl() {
    let dir = common::compile_fixtures("priority");
    let limit = Duration::from_secs(60);
    let erl = common::output_within(
        Command::new("erl")
            .args(["+S", "1", "-noshell", "-pa"])
            .arg(&dir)
            .args(["-eval", "proc_priority:order(), halt()."]),
        limit,
    )
    .expect("erl finishes");
    let lam = common::output_within(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .args(["run", "--schedulers", "1"])
            .arg(dir.join("proc_priority.beam"))
            .args(["--entry", "proc_priority:order"]),
        limit,
    )
    .expect("lam-translate finishes");
    assert!(
        erl.status.success() && lam.status.success(),
        "{erl:?}\n{lam:?}"
    );
    assert_eq!(
        String::from_utf8_lossy(&lam.stdout),
        String::from_utf8_lossy(&erl.stdout)
    );
}

/// Natives that yield mid-call (`length/1`, `lists:reverse/2`, ...) give
/// erl's results wherever they stop: `fixtures/fair_natives.erl` runs with
/// slices of 1 and of 3 reductions (`LAM_DEBUG_SLICE`), so each of its
/// calls on a long list stops every 16 or 48 cells, and on every length
/// up to 70 the stops fall at every offset; its ticker phases hold too.
#[test]
fn natives_that_yield_give_erls_results_at_every_stop() {
    same_as_erl_at_slices_of_1_and_3("fair_natives");
}

/// A loop of products of two 200,000-bit integers, each one instruction,
/// ends its slice at each product (it costs reductions by its operands'
/// sizes), so a ticker on the same scheduler keeps its period. erl does not
/// (its ticker is late by tens of seconds), so the check is LAM's own.
#[test]
fn bignum_products_leave_a_ticker_its_period() {
    let dir = common::compile_fixture("fair_natives");
    let out = common::output_within(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .args(["run", "--schedulers", "1", "--entry", "fair_natives:bignum"])
            .arg(dir.join("fair_natives.beam")),
        Duration::from_secs(120),
    )
    .expect("the run ends");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text, "bignum_mul: ok\n");
}

/// Runs of register moves fused with the call after them (`Ins::Moves`:
/// a call, a trim and call, a deallocate and tail call) fall back to the
/// instructions they fused when the slice runs out at the call:
/// `fixtures/calls_nested.erl` gives erl's output with slices of 1 and 3
/// reductions, so the fallback is taken at every call.
#[test]
fn fused_moves_and_calls_give_erls_results_at_every_stop() {
    same_as_erl_at_slices_of_1_and_3("calls_nested");
}

/// Runs `fixtures/NAME.erl`'s `main/0` on erl, then on one LAM scheduler
/// with slices of 1 and of 3 reductions (`LAM_DEBUG_SLICE`), and fails
/// unless every LAM run prints what erl printed.
fn same_as_erl_at_slices_of_1_and_3(name: &str) {
    let dir = common::compile_fixture(name);
    let limit = Duration::from_secs(120);
    let erl = common::output_within(
        Command::new("escript")
            .arg(common::root().join("erl/run.escript"))
            .arg(&dir)
            .arg(name),
        limit,
    )
    .expect("erl finishes");
    let differ = common::differences(
        name,
        &erl,
        &[1, 3],
        |slice| {
            let mut lam = Command::new(env!("CARGO_BIN_EXE_lam-translate"));
            lam.args(["run", "--schedulers", "1"])
                .arg(dir.join(format!("{name}.beam")))
                .env("LAM_DEBUG_SLICE", slice.to_string());
            lam
        },
        limit,
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
