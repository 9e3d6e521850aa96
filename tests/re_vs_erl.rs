//! Differential test of `re`: the cases of `tests/re/re_cases.erl` (grids of
//! patterns, subjects and options, compile errors, replace and split, Elixir's
//! own patterns) run through `tests/re/re_diff.erl` under real erl and under
//! LAM in the same test run; the printed results must be identical line by
//! line. Nothing states an expected result: erl, run live, is the judge.

mod common;

use std::process::Command;

#[test]
fn re_results_are_erls() {
    let out = common::TempDir::made("lam-re-diff");
    let dir = common::root().join("tests/re");
    common::run(
        Command::new("erlc")
            .arg("-o")
            .arg(&out)
            .arg(dir.join("re_diff.erl"))
            .arg(dir.join("re_cases.erl")),
    );
    let limit = std::time::Duration::from_secs(300);
    let erl = common::output_within(
        Command::new("escript")
            .arg(common::root().join("erl/run.escript"))
            .arg(&out)
            .arg("re_diff"),
        limit,
    )
    .expect("erl finishes");
    assert!(
        erl.status.success(),
        "erl failed: {}",
        String::from_utf8_lossy(&erl.stderr)
    );
    let lam = common::output_within(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("run")
            .arg(out.join("re_diff.beam")),
        limit,
    )
    .expect("LAM finishes");
    let erl_text = String::from_utf8_lossy(&erl.stdout);
    let lam_text = String::from_utf8_lossy(&lam.stdout);
    let erl_lines: Vec<&str> = erl_text.lines().collect();
    let lam_lines: Vec<&str> = lam_text.lines().collect();
    let differ: Vec<String> = erl_lines
        .iter()
        .zip(lam_lines.iter())
        .filter(|(a, b)| a != b)
        .take(20)
        .map(|(a, b)| format!("erl: {a}\nlam: {b}"))
        .collect();
    println!(
        "{} re cases under erl, {} lines from LAM, {} differ (first 20 shown)",
        erl_lines.len().saturating_sub(1),
        lam_lines.len(),
        differ.len()
    );
    assert!(
        differ.is_empty() && erl_lines.len() == lam_lines.len(),
        "LAM's re differs from erl's ({} vs {} lines; LAM stderr: {}):\n{}",
        erl_lines.len(),
        lam_lines.len(),
        String::from_utf8_lossy(&lam.stderr),
        differ.join("\n")
    );
    assert!(
        erl_lines.len() > 1000,
        "too few cases ran: {}",
        erl_lines.len()
    );
}
