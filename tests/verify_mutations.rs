//! The verifier's contract, tried the way the reliability issue found it
//! broken: every single-byte mutation of a translated program's `.lam` file
//! that still decodes, validates and verifies is run, and none may panic or
//! abort the VM (a mutant may crash its process, loop until killed, or
//! print something else).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lam_translate::lam::{binary, verify};

#[test]
fn verified_mutants_never_panic() {
    let beam = lam_translate::beam::read_file(&common::root().join("fixtures/try_catch.beam"))
        .expect("fixture reads");
    let module = lam_translate::translate::translate(&beam)
        .expect("fixture translates")
        .module;
    let original = binary::encode(&module);
    let mut verified = Vec::new();
    let mut tried = 0;
    for i in 0..original.len() {
        for flip in [0x01u8, 0x02, 0x10, 0x80] {
            let mut bytes = original.clone();
            bytes[i] ^= flip;
            tried += 1;
            let Ok(m) = binary::decode(&bytes) else {
                continue;
            };
            if m.validate().is_ok() && verify::verify(&m).is_ok() && m != module {
                verified.push(bytes);
            }
        }
    }
    assert!(tried > 1000, "{tried} mutants");
    assert!(
        !verified.is_empty(),
        "no mutant verifies: the test tests nothing"
    );
    // Run an even sample (all of them with LAM_ALL_MUTANTS set), each in
    // its own VM process with a time budget.
    let step = match std::env::var_os("LAM_ALL_MUTANTS") {
        Some(_) => 1,
        None => verified.len().div_ceil(120),
    };
    let dir = common::TempDir::made("lam-verify-mutants");
    let file = dir.join("try_catch.lam");
    let (mut ran, mut killed) = (0, 0);
    for bytes in verified.iter().step_by(step) {
        std::fs::write(&file, bytes).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .args(["run", "--schedulers", "1"])
            .arg(&file)
            .args(["--entry", "try_catch:main"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if start.elapsed() > Duration::from_secs(3) {
                child.kill().unwrap();
                child.wait().unwrap();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        ran += 1;
        let Some(status) = status else {
            killed += 1;
            continue;
        };
        let mut err = Vec::new();
        use std::io::Read;
        child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
        let err = String::from_utf8_lossy(&err);
        assert!(
            status.code().is_some_and(|c| c != 101) && !err.contains("panicked"),
            "a verified mutant ended the VM ({status:?}):\n{err}"
        );
    }
    eprintln!(
        "{tried} mutants, {} verified, {ran} run, {killed} killed after 3 s",
        verified.len()
    );
}
