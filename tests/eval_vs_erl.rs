//! Differential test of the interpreter: every exported `t_*/0` of
//! `fixtures/pure.erl` (sequential code) and `fixtures/procs.erl` (processes) runs under real `erl` (live, through
//! `erl/eval.escript`) and on LAM, and the printed results must be identical.
//! The fixtures are compiled with `erlc` in the test run; each LAM
//! evaluation has a time limit (erl's side has its own, in the escript).

mod common;

use std::process::Command;

use lam_translate::erlfmt::w;

#[test]
fn pure_functions_return_what_erl_returns() {
    compare_module("pure");
}

#[test]
fn process_programs_return_what_erl_returns() {
    compare_module("procs");
}

fn compare_module(module: &str) {
    let fixtures = common::compile_fixtures(module);
    let beam = lam_translate::beam::read_file(&fixtures.join(format!("{module}.beam"))).unwrap();
    let mut names: Vec<String> = beam
        .exports
        .iter()
        .map(|e| beam.atom(e.function).unwrap().to_string())
        .filter(|n| n.starts_with("t_"))
        .collect();
    names.sort();
    let script = common::root().join("erl/eval.escript");
    let expected = common::run(
        Command::new("escript")
            .arg(script)
            .arg(&fixtures)
            .arg(module)
            .args(&names),
    );
    let mut code_path = vec![fixtures.to_path_buf(), common::otp_lib_dir()];
    code_path.dedup();
    let mut failures = Vec::new();
    // erl also prints error reports of crashed processes; keep the result lines.
    let results: std::collections::HashMap<&str, &str> = expected
        .lines()
        .filter_map(|l| {
            l.split_once(' ')
                .filter(|(n, _)| names.iter().any(|x| x == n))
                .map(|(n, _)| (n, l))
        })
        .collect();
    for name in &names {
        let want = results
            .get(name.as_str())
            .copied()
            .unwrap_or("(no result from erl)");
        let (tx, rx) = std::sync::mpsc::channel();
        let (path, m, f) = (code_path.clone(), module.to_string(), name.clone());
        std::thread::spawn(move || {
            let _ = tx.send(lam_translate::vm::eval(path, &m, &f));
        });
        let got = match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(Ok(v)) => format!("{name} value {}", w(&v)),
            Ok(Err((c, r))) => format!("{name} exception {}:{}", w(&c), w(&r)),
            // The runaway thread is left behind; the failure below ends the test.
            Err(_) => format!("{name} ran for more than 30 s on LAM"),
        };
        if got != want {
            failures.push(format!("  erl: {want}\n  lam: {got}"));
        }
    }
    println!(
        "compared {} functions with erl: {} identical",
        names.len(),
        names.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}
