//! Unsupported constructs: a hand-crafted beam whose `move` was replaced by
//! the retired opcode `put_literal` (OTP 22+ compilers emit nothing the
//! translator cannot translate, so a real one has to be made by hand).

mod common;

use std::path::Path;
use std::process::Command;

use lam_translate::beam::{self, Op, compact::Operand};
use lam_translate::translate::{self, diagnostic::UnsupportedDiagnostic};

/// Patches `fixtures/retired.beam` the way `fixtures/retired_opcode.beam` was made.
fn hand_crafted() -> Vec<u8> {
    let path = common::root().join("fixtures/retired.beam");
    let mut bytes = std::fs::read(&path).unwrap();
    let m = beam::read(&bytes).unwrap();
    let world = m.atoms.iter().position(|a| &**a == "world").unwrap() as u32 + 1;
    let mv = m
        .code
        .instrs
        .iter()
        .find(|i| i.op == Op::Move && m.code.args(i)[0] == Operand::Atom(world))
        .expect("main/0 moves 'world' into x0");
    bytes[mv.offset as usize] = Op::PutLiteral as u8;
    bytes
}

#[test]
fn committed_fixture_is_the_patched_beam() {
    let path = common::root().join("fixtures/retired_opcode.beam");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, hand_crafted()).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == hand_crafted(),
        "regenerate fixtures/retired_opcode.beam: BLESS=1 cargo test --test unsupported"
    );
}

#[test]
fn unsupported_opcode_is_reported_with_its_place() {
    let rel = Path::new("fixtures/retired_opcode.beam");
    let m = beam::read(&hand_crafted()).unwrap();
    let t = translate::translate(&m).unwrap();
    assert_eq!(t.unsupported.len(), 1);
    let u = &t.unsupported[0];
    assert_eq!(
        (u.module.as_str(), u.function.as_str(), u.arity, u.opcode),
        ("retired", "main", 0, "put_literal")
    );
    assert_eq!((u.file.as_deref(), u.line), (Some("retired.erl"), Some(9)));
    assert_eq!((t.functions, t.functions_full), (4, 3));
    // The function still translates, to code that fails at run time.
    t.module.validate().unwrap();

    let d = UnsupportedDiagnostic::new(
        u.clone(),
        &common::root().join(rel),
        m.compile_info.as_ref(),
    );
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, &d)
        .unwrap();
    let out = out.replace(&common::root().display().to_string(), "<root>");
    insta::assert_snapshot!("unsupported_diagnostic", out);
}

#[test]
fn cli_reports_and_deny_unsupported_fails() {
    let dir = common::TempDir::made("lam-unsupported");
    let bin = env!("CARGO_BIN_EXE_lam-translate");
    let input = common::root().join("fixtures/retired_opcode.beam");
    let out = Command::new(bin)
        .arg(&input)
        .arg("-o")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "unsupported constructs alone do not fail"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("lam::unsupported_instruction") && err.contains("put_literal"),
        "{err}"
    );
    assert!(err.contains("main() ->"), "source line shown: {err}");
    assert!(dir.join("retired_opcode.lam").is_file());
    let out = Command::new(bin)
        .arg(&input)
        .arg("-o")
        .arg(&dir)
        .arg("--deny-unsupported")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
