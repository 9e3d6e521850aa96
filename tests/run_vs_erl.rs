//! Differential test of whole programs: every fixture is compiled with
//! `erlc` in the test run, and every one that exports `main/0` runs under
//! real `erl` (live, through `erl/run.escript`) and through `lam-translate
//! run`; standard output and exit status must be identical. Each run has a
//! time limit, so a hang is a failure. Report header times and pid numbers
//! are normalised (`common::normalize_output`): they differ by construction.
//! Every program runs twice on LAM, on one scheduler thread and on two: the
//! output must not depend on it (the process fixtures are written so that it
//! does not depend on scheduling under erl either).
//!
//! A fixture `NAME.erl` with a sibling `fixtures/NAME.stdin` gets that file
//! as standard input on both sides. When the fixture opens descriptor 0
//! itself (`open_port({fd, 0, 1}, ...)`), erl runs with `-noinput`
//! (through `ERL_FLAGS`), so that its `user` process does not read the
//! input first; a fixture that reads through `io` needs that `user`.
//!
//! A sibling `fixtures/NAME.config` is the run's configuration file (`erl
//! -config`, `lam-translate run --config`), and `fixtures/NAME.flags` holds
//! erl flags (`-App Key Value`) that both get through `ERL_FLAGS`. erl
//! writes no crash dump for such a run (a bad configuration file stops it).

mod common;

use std::process::Command;

/// Fixtures that do not match yet, with the reason. The test fails when one
/// of them starts matching, so this list stays true.
const KNOWN_GAPS: &[(&str, &str)] = &[];

#[test]
fn programs_print_what_erl_prints() {
    compare_programs(&common::compile_fixtures("run"), None, &[1, 2]);
}

/// The binary fixtures again, compiled as OTP 24 compiles binary
/// construction (`bs_init2`, `bs_append`, `bs_put_*` instead of
/// `bs_create_bin`), which the translator maps to other natives.
#[test]
fn old_style_binary_construction_prints_what_erl_prints() {
    let dir = common::compile_fixtures_with("run-old", &["+no_bs_create_bin", "+no_type_opt"]);
    compare_programs(&dir, Some(OLD_STYLE), &[1]);
}

const OLD_STYLE: &[&str] = &[
    "binaries",
    "bits_syntax",
    "bits_fields",
    "bits_float_widths",
    "bits_native",
    "binary_append",
    "binary_module",
    "conversions",
    "json_like",
    "packets",
    "strings",
    "sub_binaries",
    "unicode_text",
];

fn compare_programs(fixtures: &std::path::Path, only: Option<&[&str]>, schedulers: &[usize]) {
    let modules: Vec<String> = common::main_modules(fixtures)
        .into_iter()
        .filter(|m| only.is_none_or(|o| o.contains(&m.as_str())))
        .collect();
    assert!(modules.len() >= 6, "found only {modules:?}");
    let script = common::root().join("erl/run.escript");
    let mut failures = Vec::new();
    let mut gaps_passing = Vec::new();
    let limit = std::time::Duration::from_secs(60);
    for m in &modules {
        let stdin_file = common::root().join("fixtures").join(format!("{m}.stdin"));
        let stdin = || {
            if stdin_file.exists() {
                std::process::Stdio::from(std::fs::File::open(&stdin_file).unwrap())
            } else {
                std::process::Stdio::inherit()
            }
        };
        let mut erl_cmd = Command::new("escript");
        erl_cmd.arg(&script).arg(fixtures).arg(m).stdin(stdin());
        let source =
            std::fs::read_to_string(common::root().join("fixtures").join(format!("{m}.erl")))
                .unwrap_or_default();
        let mut erl_flags = Vec::new();
        if stdin_file.exists() && (source.contains("{fd, 0") || source.contains("{fd,0")) {
            erl_flags.push("-noinput".to_string());
        }
        let config = common::root().join("fixtures").join(format!("{m}.config"));
        if config.exists() {
            erl_flags.push(format!("-config '{}'", config.display()));
            erl_cmd.env("ERL_CRASH_DUMP_SECONDS", "0");
        }
        let flags =
            std::fs::read_to_string(common::root().join("fixtures").join(format!("{m}.flags")))
                .map(|f| f.trim().to_string())
                .unwrap_or_default();
        erl_flags.push(flags.clone());
        erl_cmd.env("ERL_FLAGS", erl_flags.join(" ").trim());
        let erl = common::output_within(&mut erl_cmd, limit)
            .unwrap_or_else(|| panic!("{m}: erl ran for more than {limit:?}"));
        let differ = common::differences(
            m,
            &erl,
            schedulers,
            |n| {
                let mut lam = Command::new(env!("CARGO_BIN_EXE_lam-translate"));
                lam.arg("run")
                    .arg(format!("--schedulers={n}"))
                    .arg(fixtures.join(format!("{m}.beam")))
                    .stdin(stdin())
                    .env("ERL_FLAGS", &flags);
                if config.exists() {
                    lam.arg("--config").arg(&config);
                }
                lam
            },
            limit,
        );
        match (differ.is_empty(), KNOWN_GAPS.iter().any(|(g, _)| g == m)) {
            (true, true) => gaps_passing.push(m.clone()),
            (false, false) => failures.extend(differ),
            _ => {}
        }
    }
    println!(
        "ran {} programs under erl and LAM on {schedulers:?} schedulers: {} runs differ, known gaps: {}",
        modules.len(),
        failures.len(),
        KNOWN_GAPS
            .iter()
            .map(|(m, why)| format!("{m} ({why})"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    assert!(
        gaps_passing.is_empty(),
        "known gaps now pass, update KNOWN_GAPS: {gaps_passing:?}"
    );
    assert!(
        failures.is_empty(),
        "{} programs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
