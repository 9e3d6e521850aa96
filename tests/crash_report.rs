//! What `lam-translate run` prints on standard error when the entry
//! function crashes: the exit value as erl's error report shows it, byte for
//! byte (`~p`, with its strings and line breaks), pid numbers aside. The
//! erl side is the report erl prints when `crash_reasons:F()` is the first
//! call of a process (`erl/run.escript`); run_vs_erl compares only standard
//! output, where both VMs print the report of a crash in any process.

mod common;

use std::process::Command;
use std::time::Duration;

/// The lines of erl's report from `Error in process` up to the blank line
/// that ends it.
fn erl_report(dir: &std::path::Path, function: &str) -> String {
    let out = common::output_within(
        Command::new("escript")
            .arg(common::root().join("erl/run.escript"))
            .arg(dir)
            .arg("crash_reasons")
            .arg(function),
        Duration::from_secs(60),
    )
    .expect("erl finishes");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let start = text
        .find("Error in process")
        .unwrap_or_else(|| panic!("{function}: no report from erl:\n{text}"));
    let body = &text[start..];
    let end = body
        .find("\n\n")
        .expect("the report ends with a blank line");
    format!("{}\n", &body[..end])
}

fn lam_report(dir: &std::path::Path, function: &str) -> String {
    let out = common::output_within(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("run")
            .arg(dir.join("crash_reasons.beam"))
            .arg("--entry")
            .arg(format!("crash_reasons:{function}")),
        Duration::from_secs(60),
    )
    .expect("lam-translate finishes");
    assert_eq!(out.status.code(), Some(1), "{function}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_entry_function_that_crashes_reports_its_exit_value_as_erl_does() {
    let dir = common::compile_fixtures("crash");
    // `nope` is not defined: the process dies of undef at once.
    for f in [
        "badmatch_string",
        "long_error",
        "throw_string",
        "nested",
        "unicode_text",
        "nope",
    ] {
        let want = common::normalize_output(erl_report(&dir, f).as_bytes());
        let got = common::normalize_output(lam_report(&dir, f).as_bytes());
        assert_eq!(got, want, "{f}");
    }
}

#[test]
fn an_exit_of_the_entry_function_is_reported_too() {
    // erl reports no exit; the text is what `~p` makes of the exit value.
    let dir = common::compile_fixtures("crash-exit");
    let want = common::run(Command::new("erl").args([
        "-noshell",
        "-eval",
        "io:format(\"Error in process ~p with exit value:~n~p~n\", \
         [list_to_pid(\"<0.2.0>\"), {shutdown, \"abc\"}]), halt().",
    ]));
    assert_eq!(
        common::normalize_output(lam_report(&dir, "exit_string").as_bytes()),
        common::normalize_output(want.as_bytes())
    );
}

#[test]
fn an_exit_value_200000_deep_is_reported_whole() {
    // LAM's report walks the term with stacks of its own; erl's logger
    // drops a report this deep, so the reference is its `~p` of the value.
    let dir = common::compile_fixtures("crash-deep");
    let want = common::run(Command::new("erl").args([
        "-noshell",
        "-eval",
        "io:format(\"Error in process ~p with exit value:~n~p~n\", \
         [list_to_pid(\"<0.2.0>\"), \
         lists:foldl(fun(_, A) -> [A] end, [], lists:seq(1, 200000))]), halt().",
    ]));
    assert_eq!(
        common::normalize_output(lam_report(&dir, "deep_exit").as_bytes()),
        common::normalize_output(want.as_bytes())
    );
}
