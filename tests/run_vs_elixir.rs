//! Differential test of Elixir programs: every `fixtures/*.ex` is compiled
//! with `elixirc` in the test run, and every module among them that
//! exports `main/0` runs under the real `elixir` command (`elixir -pa DIR
//! -e 'Mod.main()'`, which starts the elixir and logger applications,
//! runs the call, flushes Logger and halts) and through `lam-translate run
//! DIR/Elixir.Mod.beam --entry Mod.main` on one and two schedulers, which
//! runs an Elixir module the same way (`lam_system:elixir/3`). Standard
//! output and exit status must be identical after `common::normalize_output`
//! (pids, references, Logger's times).

mod common;

use std::process::Command;

/// Compiles every `fixtures/*.ex` with `elixirc` into a fresh directory.
fn compile_elixir_fixtures() -> common::TempDir {
    let out = common::TempDir::made("lam-fixtures-elixir");
    common::run(
        Command::new("elixirc")
            .arg("--ignore-module-conflict")
            .arg("-o")
            .arg(&out)
            .args(common::fixture_sources("ex")),
    );
    out
}

#[test]
fn elixir_programs_print_what_elixir_prints() {
    let dir = compile_elixir_fixtures();
    let modules: Vec<String> = common::main_modules(&dir)
        .into_iter()
        .filter_map(|m| m.strip_prefix("Elixir.").map(str::to_string))
        .collect();
    assert!(modules.len() >= 6, "found only {modules:?}");
    let limit = std::time::Duration::from_secs(60);
    let mut failures = Vec::new();
    for m in &modules {
        let reference = common::output_within(
            Command::new("elixir")
                .arg("-pa")
                .arg(&dir)
                .arg("-e")
                .arg(format!("{m}.main()")),
            limit,
        )
        .unwrap_or_else(|| panic!("{m}: elixir ran for more than {limit:?}"));
        failures.extend(common::differences(
            m,
            &reference,
            &[1, 2],
            |n| {
                let mut lam = Command::new(env!("CARGO_BIN_EXE_lam-translate"));
                lam.arg("run")
                    .arg(format!("--schedulers={n}"))
                    .arg(dir.join(format!("Elixir.{m}.beam")))
                    .arg("--entry")
                    .arg(format!("{m}.main"));
                lam
            },
            limit,
        ));
    }
    println!(
        "ran {} Elixir programs under elixir and LAM: {} runs differ",
        modules.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} runs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
