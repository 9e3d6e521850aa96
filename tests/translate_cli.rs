//! The translator's command line and the LAM text of our fixtures.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn lam(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lam-translate"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lam-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn translation_writes_lam_beside_the_input_and_prints_nothing() {
    let d = scratch("beside");
    let input = d.join("hello.beam");
    std::fs::copy(common::root().join("fixtures/hello.beam"), &input).unwrap();
    let out = lam(&[input.as_os_str()]);
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(d.join("hello.lam")).unwrap();
    let m = lam_translate::lam::binary::decode(&bytes).unwrap();
    m.validate().unwrap();
    assert_eq!(m.name(), "hello");
}

#[test]
fn out_dir_text_emit_and_directories() {
    let d = scratch("outdir");
    let fixtures = common::root().join("fixtures");
    let hello = fixtures.join("hello.beam");
    let out = lam(&[
        hello.as_os_str(),
        fixtures.as_os_str(),
        "-o".as_ref(),
        d.as_os_str(),
        "--emit".as_ref(),
        "text".as_ref(),
    ]);
    // fixtures/ holds retired_opcode.beam, which is reported but still translated.
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["hello", "arith", "binaries", "funs", "retired_opcode"] {
        let asm = std::fs::read_to_string(d.join(format!("{name}.lasm"))).unwrap();
        let m = lam_translate::lam::text::parse(&asm).unwrap();
        m.validate().unwrap();
    }
}

#[test]
fn bad_inputs_fail_with_a_diagnostic() {
    let d = scratch("bad");
    let junk = d.join("junk.beam");
    std::fs::write(&junk, b"FOR1\0\0\0\x10BEAM").unwrap();
    let out = lam(&[junk.as_os_str(), "-o".as_ref(), d.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("junk.beam"), "{err}");
    let out = lam(&["/no/such/dir".as_ref()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn lam_text_of_fixtures() {
    for name in [
        "hello",
        "funs",
        "binaries",
        "exceptions",
        "processes",
        "maps_and_records",
    ] {
        let m =
            lam_translate::beam::read_file(&common::root().join(format!("fixtures/{name}.beam")))
                .unwrap();
        let t = lam_translate::translate::translate(&m).unwrap();
        assert!(t.unsupported.is_empty());
        insta::assert_snapshot!(
            format!("lam_{name}"),
            lam_translate::lam::text::print(&t.module)
        );
    }
}
