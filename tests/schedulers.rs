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
