//! Differential test: `dis --format erlang` against OTP's own
//! `beam_disasm:file/1`, run live by `erl/disasm.escript`, over every
//! installed OTP and Elixir module and every fixture.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use rayon::prelude::*;

/// Splits the escript's output ("== Path" headers) into per-file texts.
fn split_sections(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("== ") {
            if let Some((p, t)) = current.take() {
                out.insert(p, t);
            }
            current = Some((path.trim_end().to_string(), String::new()));
        } else if let Some((_, t)) = current.as_mut() {
            t.push_str(line);
        }
    }
    if let Some((p, t)) = current {
        out.insert(p, t);
    }
    out
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  beam_disasm: {x}\n  ours:        {y}", i + 1);
        }
    }
    format!(
        "line counts differ: beam_disasm {} lines, ours {}",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn every_installed_module_and_fixture_disassembles_exactly_like_beam_disasm() {
    let mut files = common::installed_beams();
    assert!(
        files.len() >= 1000,
        "expected the ~1,200 installed OTP and Elixir modules, found {}",
        files.len()
    );
    // Every fixture compiled by erlc; retired_opcode.beam is hand-made with an
    // opcode beam_disasm cannot resolve, so it has nothing to compare with.
    files.extend(
        common::beams_under(&common::root().join("fixtures"))
            .into_iter()
            .filter(|f| !f.ends_with("retired_opcode.beam")),
    );
    let script = common::root().join("erl/disasm.escript");

    // Two escript processes, one per core, each over half the files.
    let halves: Vec<Vec<PathBuf>> = files
        .chunks(files.len().div_ceil(2))
        .map(|c| c.to_vec())
        .collect();
    let expected: HashMap<String, String> = halves
        .par_iter()
        .map(|part| {
            // Each batch must show at least two files so every section has a header.
            let mut cmd = Command::new("escript");
            cmd.arg(&script).args(part);
            if part.len() == 1 {
                cmd.arg(&part[0]);
            }
            split_sections(&common::run(&mut cmd))
        })
        .reduce(HashMap::new, |mut a, b| {
            a.extend(b);
            a
        });

    let results: Vec<(PathBuf, Result<(), String>, usize)> = files
        .par_iter()
        .map(|f| {
            let want = expected
                .get(&f.display().to_string())
                .unwrap_or_else(|| panic!("escript printed nothing for {}", f.display()));
            let ours = lam_translate::beam::read_file(f)
                .and_then(|m| lam_translate::dis::erlang::disassemble(&m));
            let lines = want.lines().count();
            let verdict = match ours {
                Err(e) if want.starts_with("error:") => Err(format!("both failed; ours: {e}")),
                Err(e) => Err(format!("we failed where beam_disasm did not: {e}")),
                Ok(text) if text == *want => Ok(()),
                Ok(text) => Err(first_difference(want, &text)),
            };
            (f.clone(), verdict, lines)
        })
        .collect();

    let failures: Vec<_> = results.iter().filter(|r| r.1.is_err()).collect();
    let lines: usize = results.iter().map(|r| r.2).sum();
    println!(
        "compared {} files ({} lines of disassembly) with beam_disasm: {} identical, {} different",
        results.len(),
        lines,
        results.len() - failures.len(),
        failures.len()
    );
    for (f, e, _) in failures.iter().take(10) {
        eprintln!("{}: {}", f.display(), e.as_ref().unwrap_err());
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ from beam_disasm",
        failures.len(),
        results.len()
    );
}
