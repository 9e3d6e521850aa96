//! Memory budget for large binaries: `fixtures/binary_offheap_loop.erl`
//! makes 1 MB binaries in loops of local calls and drops them, 1.5 GB in
//! all, while its heap stays small. Their bytes must count as collection
//! pressure, so they are freed as the loop goes: LAM's peak resident size
//! (VmHWM, read from /proc while it runs) stays under a budget, and its
//! output is erl's.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Peak resident memory allowed (erl's own peak is under 40 MB).
const BUDGET_KB: u64 = 300 * 1024;

#[test]
fn large_binaries_made_in_local_call_loops_are_collected() {
    let dir = common::TempDir::made("lam-offheap");
    common::run(
        Command::new("erlc")
            .arg("-o")
            .arg(&dir)
            .arg(common::root().join("fixtures/binary_offheap_loop.erl")),
    );
    let erl = common::output_within(
        Command::new("escript")
            .arg(common::root().join("erl/run.escript"))
            .arg(&dir)
            .arg("binary_offheap_loop"),
        Duration::from_secs(60),
    )
    .expect("erl finishes");
    assert!(erl.status.success(), "erl failed: {erl:?}");
    for schedulers in [1, 2] {
        let (status, stdout, peak_kb) = run_measured(
            Command::new(env!("CARGO_BIN_EXE_lam-translate"))
                .arg("run")
                .arg(format!("--schedulers={schedulers}"))
                .arg(dir.join("binary_offheap_loop.beam")),
        );
        assert!(status.success(), "lam failed on {schedulers} schedulers");
        assert_eq!(
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&erl.stdout),
            "output on {schedulers} schedulers"
        );
        println!("peak resident size on {schedulers} schedulers: {peak_kb} kB");
        assert!(
            peak_kb < BUDGET_KB,
            "peak resident size {peak_kb} kB on {schedulers} schedulers, budget {BUDGET_KB} kB"
        );
    }
}

/// Runs a command to its end (at most 60 s), polling its peak resident
/// size; its status, standard output and the largest peak read.
fn run_measured(cmd: &mut Command) -> (std::process::ExitStatus, Vec<u8>, u64) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lam-translate starts");
    let mut out = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let status_file = format!("/proc/{}/status", child.id());
    let (start, mut peak_kb) = (Instant::now(), 0);
    let status = loop {
        // VmHWM is the peak so far: a read just before the end sees it all.
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait for lam-translate") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("lam-translate ran for more than 60 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    (status, reader.join().unwrap(), peak_kb)
}
