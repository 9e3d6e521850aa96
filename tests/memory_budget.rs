//! The VM-wide memory budget: processes that allocate past
//! `run --max-memory` or past what the allocator gives (`ulimit -v`) exit
//! with `out_of_memory` alone, and the VM goes on. erl stops the whole VM
//! in these scenarios ("eheap_alloc: Cannot allocate N bytes"), so the
//! checks are LAM's own: every such process's DOWN reason names the cause,
//! and what runs beside them finishes as it would anyway.

mod common;

use std::process::Command;
use std::time::Duration;

/// Runs `fixtures/memory_budget.erl` with `lam-translate run` under
/// `bash -c`, with `limit` (a shell command) before it and `flags` after,
/// on two schedulers (whatever the machine's cores), so that messages to
/// a process running on the other one take their own path.
fn run(limit: &str, flags: &str) -> std::process::Output {
    run_fixture(
        "memory_budget",
        limit,
        &format!("--entry memory_budget:start --schedulers 2 {flags}"),
    )
}

/// Runs `fixtures/NAME.erl` as [`run`] does, with `flags` after it.
fn run_fixture(name: &str, limit: &str, flags: &str) -> std::process::Output {
    let dir = common::compile_fixture(name);
    let lam = env!("CARGO_BIN_EXE_lam-translate");
    let beam = dir.join(format!("{name}.beam"));
    common::output_within(
        Command::new("bash").arg("-c").arg(format!(
            "{limit} exec '{lam}' run '{}' {flags}",
            beam.display()
        )),
        Duration::from_secs(300),
    )
    .expect("the run ends")
}

fn check(out: &std::process::Output) {
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}\n{err}");
    let lines: Vec<&str> = text.lines().collect();
    // What the guilty processes died of, then what went on beside them.
    for what in [
        "heap",
        "list_to_binary",
        "iolist_to_binary",
        "binary_copy",
        "ets",
        "ets_update_counter",
        "ets_update_element",
        "ets_select_const",
        "ets_select_object",
        "persistent_term",
        "send_after",
        "start_timer",
        "messages",
        "messages_running",
        "down_reason",
        "exit_trapped",
        "exit_linked",
        "exit_running",
        "ets_lookup",
        "ets_lookup_element",
        "persistent_term_get",
        "port_command",
        "port_message",
        "port_set_data",
        "port_exit",
        "port_packet",
        "process_info_dictionary",
        "process_info_messages",
        "ets_give_away",
        "ets_heir",
    ] {
        let line = format!("{what}: out_of_memory");
        assert!(
            lines.contains(&line.as_str()),
            "no {line:?} in\n{text}\n{err}"
        );
    }
    for line in [
        "iolist_size 1099511627776",
        "caught {'EXIT',out_of_memory}",
        "erased true",
        "spawn_args {'EXIT',out_of_memory}",
        "spawn_fun {'EXIT',out_of_memory}",
        "exit_signal {'EXIT',out_of_memory}",
        "send_after_gone true",
        "start_timer_gone true",
        "server 500500",
        "survived",
    ] {
        assert!(lines.contains(&line), "no {line:?} in\n{text}\n{err}");
    }
    assert!(err.contains("exits with out_of_memory"), "{err}");
}

#[test]
fn processes_past_the_memory_budget_exit_alone() {
    let out = run("", "--max-memory 1G");
    check(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("budget of 1073741824 bytes"));
}

#[test]
fn processes_the_allocator_refuses_exit_alone() {
    check(&run("ulimit -v 4000000;", ""));
}

#[test]
fn a_bad_memory_budget_is_a_clear_error() {
    let out = run("", "--max-memory 12Q");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a size in bytes"), "{err}");
}

/// A crash report to OTP's logger whose reason is small on the process's
/// heap and gigabytes flattened names `out_of_memory` in its place, and
/// the VM goes on (it aborted sizing the reason's copy).
#[test]
fn a_crash_report_of_a_huge_shared_reason_does_not_abort() {
    for (limit, flags) in [("ulimit -v 4000000;", ""), ("", "--max-memory 1G")] {
        let out = run_fixture("crash_report_huge", limit, flags);
        let text = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{limit}{flags}\n{text}\n{err}");
        let all = format!("{text}{err}");
        assert!(all.contains("with exit value:\nout_of_memory"), "{all}");
        assert!(text.lines().any(|l| l == "survived"), "{all}");
    }
}

#[test]
fn a_run_ends_when_a_port_refused_memory_kills_its_first_process() {
    let out = run_fixture(
        "port_packet_root",
        "",
        "--entry port_packet_root:start --max-memory 256M",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("closes with out_of_memory"), "{err}");
    assert!(err.contains("with exit value:\nout_of_memory"), "{err}");
}
