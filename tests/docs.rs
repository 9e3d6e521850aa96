//! Generated documentation stays in step with the code.

mod common;

#[test]
fn beam_ops_reference_is_current() {
    let want = lam_translate::beam::opcodes::reference_markdown();
    let path = common::root().join("docs/beam-ops.md");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/beam-ops.md is out of date: run BLESS=1 cargo test --test docs"
    );
}

#[test]
fn isa_reference_is_current() {
    let want = lam_translate::translate::reference::isa_markdown();
    let path = common::root().join("docs/isa.md");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/isa.md is out of date: run BLESS=1 cargo test --test docs"
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
