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
