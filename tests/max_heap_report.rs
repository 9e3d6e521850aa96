//! The report of a process killed for its `max_heap_size`: erl's text, line
//! for line, with the sizes masked (they are each VM's own: LAM has one heap
//! and no old generation). Printed by the group leader before OTP's system
//! runs and by OTP's logger after, as erl's logger prints it.

mod common;

use std::process::Command;

const PROGRAM: &str = r#"
-module(heap_report).
-export([main/0, boot/0, build/2]).
build(0, Acc) -> Acc;
build(N, Acc) -> build(N - 1, [N | Acc]).
main() ->
    {P, R} = spawn_opt(fun() -> build(10000000, []) end,
                       [monitor, {max_heap_size, 100000}]),
    receive {'DOWN', R, process, P, Why} -> io:format("down: ~p~n", [Why]) end,
    timer:sleep(300),
    io:format("done~n").
boot() ->
    {ok, _} = application:get_env(kernel, logger_level),
    main().
"#;

/// The report's lines, sizes masked, and the program's own lines.
fn masked(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    let mut lines = Vec::new();
    let mut gc_info = false;
    for l in text.lines() {
        if l.starts_with("=ERROR REPORT====") || l.is_empty() {
            continue;
        }
        gc_info |= l.contains("GC Info:");
        let l = if gc_info || l.contains("Total Heap Size:") {
            l.chars()
                .map(|c| if c.is_ascii_digit() { 'N' } else { c })
                .collect::<String>()
        } else {
            l.to_string()
        };
        // The GC info list ends with its last element.
        gc_info &= !l.ends_with("}]");
        lines.push(l);
    }
    // Digit runs of different lengths are one mask.
    lines
        .into_iter()
        .map(|l| {
            let mut out = String::new();
            for c in l.chars() {
                if !(c == 'N' && out.ends_with('N')) {
                    out.push(c);
                }
            }
            common::normalize_output(out.as_bytes())
        })
        .collect()
}

#[test]
fn a_process_past_its_max_heap_size_is_reported_as_erl_reports_it() {
    let dir = common::TempDir::made("lam-heap-report");
    std::fs::write(dir.join("heap_report.erl"), PROGRAM).unwrap();
    common::run(
        Command::new("erlc")
            .arg("-o")
            .arg(&dir)
            .arg(dir.join("heap_report.erl")),
    );
    for f in ["main", "boot"] {
        let erl = Command::new("erl")
            .args(["-noshell", "-pa"])
            .arg(&dir)
            .args(["-s", "heap_report", f, "-s", "init", "stop"])
            .output()
            .unwrap();
        let lam = Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("run")
            .arg(dir.join("heap_report.beam"))
            .arg("--entry")
            .arg(format!("heap_report:{f}"))
            .output()
            .unwrap();
        // The report is sent as the process dies, the DOWN message too:
        // their order is a race on both VMs, so each is compared apart.
        let split = |lines: Vec<String>| -> (Vec<String>, Vec<String>) {
            lines.into_iter().partition(|l| l.starts_with("     "))
        };
        let (want, want_own) = split(masked(&erl.stdout));
        let (got, got_own) = split(masked(&lam.stdout));
        assert_eq!(got_own, want_own, "{f}");
        assert!(
            want.iter().any(|l| l.contains("maximum heap size reached")),
            "{f}: erl printed no report: {want:?}"
        );
        assert_eq!(got, want, "{f}");
    }
}
