//! `lam-translate test` against `elixir`: the ExUnit test files of
//! `fixtures/exunit/` are compiled live with `elixirc`, run by ExUnit's own
//! runner on LAM and on the BEAM (`fixtures/exunit/driver.exs` registers the
//! precompiled modules as `lam-translate test` does), and the outputs must
//! be the same byte for byte once the `Finished in` timing line, the seed
//! line and pids are masked. Exit statuses must match too (2 on failures).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Compiles `fixtures/exunit/support/*.ex` (what the tests' doctests read,
/// compiled first as mix compiles lib/ before test/), then every
/// `*_test.exs` of `fixtures/exunit`, into a fresh directory.
fn compile_tests() -> common::TempDir {
    let out = common::TempDir::made("lam-exunit");
    let dir = common::root().join("fixtures/exunit");
    let mut support: Vec<PathBuf> = std::fs::read_dir(dir.join("support"))
        .expect("fixtures/exunit/support")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ex"))
        .collect();
    support.sort();
    common::run(Command::new("elixirc").arg("-o").arg(&out).args(&support));
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/exunit")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with("_test.exs"))
        .collect();
    sources.sort();
    common::run(
        Command::new("elixirc")
            .arg("--ignore-module-conflict")
            .arg("-pa")
            .arg(&out)
            .arg("-o")
            .arg(&out)
            .args(&sources),
    );
    out
}

/// The test modules' names in `dir`, sorted (as `lam-translate test`
/// registers them), without the `Elixir.` prefix.
fn modules(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            Some(name.strip_suffix(".beam")?.to_string())
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| n.trim_start_matches("Elixir.").to_string())
        .collect()
}

/// What may differ between two runs of the same suite: the time taken,
/// the seed (fixed here anyway) and pids.
fn mask(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let mut result = String::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("Finished in ") {
            result.push_str("Finished in <time>\n");
            continue;
        }
        if line.starts_with("Randomized with seed ") {
            result.push_str("Randomized with seed <seed>\n");
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("#PID<0.") {
            let after = &rest[i + 7..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            result.push_str(&rest[..i]);
            result.push_str("#PID<0.N");
            rest = &after[digits..];
        }
        result.push_str(rest);
    }
    result
}

/// Runs `modules` (all of `dir`'s when `files` is None, else the given
/// files) on elixir and on LAM with each scheduler count; returns the
/// differences found.
fn compare(dir: &Path, files: Option<&[&str]>, exclude: &str) -> Vec<String> {
    let limit = std::time::Duration::from_secs(120);
    let mods: Vec<String> = match files {
        Some(f) => f.iter().map(|s| s.to_string()).collect(),
        None => modules(dir),
    };
    let elixir = common::output_within(
        Command::new("elixir")
            .arg("-pa")
            .arg(dir)
            .arg(common::root().join("fixtures/exunit/driver.exs"))
            .args(["0", "1", exclude])
            .args(&mods),
        limit,
    )
    .expect("elixir finishes");
    assert!(
        !elixir.stdout.is_empty(),
        "elixir printed nothing: {}",
        String::from_utf8_lossy(&elixir.stderr)
    );
    let paths: Vec<PathBuf> = match files {
        Some(f) => f
            .iter()
            .map(|m| dir.join(format!("Elixir.{m}.beam")))
            .collect(),
        None => vec![dir.to_path_buf()],
    };
    let mut diffs = Vec::new();
    for n in [1, 2] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lam-translate"));
        cmd.arg("test")
            .arg(format!("--schedulers={n}"))
            .args(["--seed", "0", "--max-cases", "1"]);
        for tag in exclude.split(',').filter(|t| !t.is_empty()) {
            cmd.args(["--exclude", tag]);
        }
        let Some(lam) = common::output_within(cmd.args(&paths), limit) else {
            diffs.push(format!("schedulers {n}: LAM ran for more than {limit:?}"));
            continue;
        };
        if mask(&elixir.stdout) != mask(&lam.stdout) || elixir.status.code() != lam.status.code() {
            diffs.push(format!(
                "schedulers {n}: elixir exit {:?}, lam exit {:?}\n--- elixir\n{}--- lam\n{}--- lam stderr\n{}",
                elixir.status.code(),
                lam.status.code(),
                mask(&elixir.stdout),
                mask(&lam.stdout),
                String::from_utf8_lossy(&lam.stderr)
            ));
        }
    }
    diffs
}

#[test]
fn exunit_suites_print_what_elixir_prints() {
    let dir = compile_tests();
    let mut diffs = compare(&dir, None, "slow");
    // One passing module given as a file: exit status 0, and the excluded
    // and skipped counts of a suite with none.
    diffs.extend(compare(&dir, Some(&["LamEx.PassingTest"]), ""));
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
