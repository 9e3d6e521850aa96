//! Generated documentation stays in step with the code.

mod common;

/// Compares a generated page with its file; `BLESS=1` rewrites the file.
fn check_generated(rel: &str, want: String) {
    let path = common::root().join(rel);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{rel} is out of date: run BLESS=1 cargo test --test docs"
    );
}

#[test]
fn beam_ops_reference_is_current() {
    check_generated(
        "docs/beam-ops.md",
        lam_translate::beam::opcodes::reference_markdown(),
    );
}

#[test]
fn natives_reference_is_current() {
    check_generated(
        "docs/natives.md",
        lam_translate::translate::natives::markdown(),
    );
}

#[test]
fn isa_reference_is_current() {
    check_generated(
        "docs/isa.md",
        lam_translate::translate::reference::isa_markdown(),
    );
}

#[test]
fn every_lam_instruction_is_emitted_for_some_beam_opcode() {
    use lam_translate::lam::isa::LAM_OPS;
    use lam_translate::translate::{Fate, fate};
    for info in LAM_OPS {
        let used = lam_translate::beam::opcodes::OPS
            .iter()
            .any(|o| matches!(fate(o.op), Fate::Translated(ops) if ops.contains(&info.op)));
        assert!(
            used,
            "{} is not the translation of any BEAM opcode",
            info.name
        );
    }
}
