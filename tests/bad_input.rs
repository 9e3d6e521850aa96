//! Bad input: clear errors with a place, a non-zero exit, never a panic.

mod common;

use std::path::Path;
use std::process::Command;

use lam_translate::{ErrorKind, beam, dis};

fn lam(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lam-translate"))
        .args(args)
        .output()
        .unwrap()
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(common::root().join("fixtures").join(name)).unwrap()
}

/// A file written for one test, in a directory of its own that goes
/// with it.
struct TempFile {
    path: std::path::PathBuf,
    _dir: common::TempDir,
}

impl std::ops::Deref for TempFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.path
    }
}

fn write_temp(name: &str, bytes: &[u8]) -> TempFile {
    let dir = common::TempDir::made("lam-bad-input");
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    TempFile { path, _dir: dir }
}

fn code_chunk_offset(bytes: &[u8]) -> usize {
    bytes.windows(4).position(|w| w == b"Code").unwrap() + 8
}

#[test]
fn truncated_file_names_file_and_offset() {
    let b = fixture_bytes("arith.beam");
    let p = write_temp("truncated.beam", &b[..b.len() / 2]);
    let out = lam(&["dis", p.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("truncated.beam"), "{err}");
    assert!(err.contains("at 0x4"), "{err}");
    assert!(err.contains("lam::truncated"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_opcode_names_module_chunk_and_offset() {
    let mut b = fixture_bytes("hello.beam");
    let code = code_chunk_offset(&b);
    // The first instruction follows the 16-byte header (and its size word).
    let first = code + 4 + 16;
    b[first] = 250;
    let p = write_temp("future.beam", &b);
    let out = lam(&["dis", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("future.beam"), "{err}");
    assert!(err.contains("chunk Code"), "{err}");
    assert!(err.contains(&format!("at 0x{first:x}")), "{err}");
    assert!(err.contains("module hello"), "{err}");
    assert!(err.contains("unknown opcode 250"), "{err}");
}

#[test]
fn not_a_beam_and_missing_files() {
    let p = write_temp("text.beam", b"this is not a beam file at all");
    let out = lam(&["dis", p.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a BEAM file"));
    let out = lam(&["dis", "/nonexistent/x.beam"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.beam"));
}

#[test]
fn good_output_is_kept_when_a_later_file_fails() {
    let good = common::root().join("fixtures/hello.beam");
    let bad = write_temp("empty.beam", b"");
    let out = lam(&["dis", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("function main/0"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.beam"));
}

fn read_never_panics(bytes: &[u8]) {
    if let Ok(m) = beam::read(bytes) {
        let _ = dis::erlang::disassemble(&m);
        let _ = dis::text::disassemble(&m);
    }
}

/// Every truncation and a sweep of single-byte corruptions of real modules
/// must give an error or a module, never a panic or a hang.
#[test]
fn truncations_and_corruptions_never_panic() {
    let mut checked = 0;
    for name in [
        "hello.beam",
        "binaries.beam",
        "maps_and_records.beam",
        "hello_compressed.beam",
    ] {
        let b = fixture_bytes(name);
        for len in 0..b.len() {
            let r = beam::read(&b[..len]);
            assert!(r.is_err(), "{name} truncated to {len} bytes still reads");
            checked += 1;
        }
        for i in 0..b.len() {
            for x in [0x00, 0xff, 0x80, 0x7f, 0x17, 0x57] {
                let mut c = b.clone();
                c[i] ^= x | 1;
                read_never_panics(&c);
                checked += 1;
            }
        }
    }
    println!("checked {checked} damaged modules");
}

#[test]
fn error_kinds() {
    let b = fixture_bytes("hello.beam");
    assert_eq!(
        beam::read(&b[..20]).unwrap_err().kind(),
        ErrorKind::Truncated
    );
    assert_eq!(
        beam::read(b"FOR1\0\0\0\x04BEAN").unwrap_err().kind(),
        ErrorKind::Invalid
    );
    let e = beam::read_file(Path::new("/nonexistent.beam")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
}

/// A form of `n` empty chunks.
fn empty_chunks(n: usize) -> Vec<u8> {
    let mut body = b"BEAM".to_vec();
    for _ in 0..n {
        body.extend_from_slice(b"Zzzz\0\0\0\0");
    }
    let mut out = b"FOR1".to_vec();
    out.extend((body.len() as u32).to_be_bytes());
    out.extend(body);
    out
}

#[test]
fn chunk_bombs_are_refused_with_a_place() {
    // 100k empty chunks, plain: refused at the chunk past the cap.
    let p = write_temp("chunks.beam", &empty_chunks(100_000));
    let out = lam(&["dis", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chunks.beam"), "{err}");
    assert!(err.contains("more than 4096 chunks"), "{err}");
    let at = 12 + 4096 * 8;
    assert!(err.contains(&format!("at 0x{at:x}")), "{err}");
    // The same, 10M chunks gzip-compressed (80 MB inflated, past the
    // size one thread inflates without the permit).
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&empty_chunks(10_000_000)).unwrap();
    let p = write_temp("chunks_gz.beam", &gz.finish().unwrap());
    let out = lam(&["dis", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chunks_gz.beam"), "{err}");
    assert!(err.contains("more than 4096 chunks"), "{err}");
}

#[test]
fn large_inflations_take_turns_and_nest() {
    use lam_translate::beam::container::inflate;
    use std::io::Write;
    let big = vec![0u8; 70 << 20];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&big).unwrap();
    let z = z.finish().unwrap();
    let outer = inflate(flate2::read::ZlibDecoder::new(&z[..]), 80 << 20).unwrap();
    assert_eq!(outer.len(), big.len());
    assert!(
        outer.permit.is_some(),
        "past 64 MiB an inflation holds the permit"
    );
    // Nested on the same thread (a compressed literal table inside a
    // compressed beam): goes on under the outer permit, no deadlock.
    let inner = inflate(flate2::read::ZlibDecoder::new(&z[..]), 80 << 20).unwrap();
    assert!(inner.permit.is_none());
    // Another thread waits for the permit until the first is dropped.
    let (tx, rx) = std::sync::mpsc::channel();
    let z2 = z.clone();
    let t = std::thread::spawn(move || {
        let other = inflate(flate2::read::ZlibDecoder::new(&z2[..]), 80 << 20).unwrap();
        tx.send(other.permit.is_some()).unwrap();
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(300))
            .is_err()
    );
    drop(inner);
    drop(outer);
    assert!(rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap());
    t.join().unwrap();
}

#[test]
fn report_fails_on_unreadable_files() {
    let p = write_temp("unreadable.beam", b"not a beam");
    let out = lam(&["report", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unreadable.beam: not translated"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 of 1 files could not be read"), "{err}");
}

/// Inputs the translate fuzz target once crashed on, kept in
/// fuzz/regressions: sizes from the file (a `put_tuple` arity, a fun's
/// free-variable count) reserved up front aborted the process; now the
/// translation fails with a diagnostic that names the file.
#[test]
fn fuzz_regressions_fail_cleanly() {
    let out_dir = common::TempDir::new("lam-bad-input-out");
    for (p, name) in regressions("translate-", ".beam", 2) {
        let out = lam(&[p.to_str().unwrap(), "-o", out_dir.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(&name), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Inputs on which the translate fuzz target's round-trip assertion once
/// failed, kept in fuzz/regressions as `roundtrip-*.beam`: a small integer
/// spelled in a bignum's compact encoding became a bignum literal, which
/// encoded as SMALL_BIG_EXT and decoded as a small integer. Each must
/// translate, and its `.lam` encoding must decode and encode to the same
/// bytes.
#[test]
fn fuzz_round_trip_regressions_round_trip() {
    use lam_translate::lam::binary;
    for (p, name) in regressions("roundtrip-", ".beam", 1) {
        let m = lam_translate::beam::read(&std::fs::read(&p).unwrap()).unwrap();
        let t = lam_translate::translate::translate(&m).unwrap();
        let bin = binary::encode(&t.module);
        let back = binary::decode(&bin).unwrap();
        assert!(binary::encode(&back) == bin, "{name}");
    }
}

/// Inputs the `run` fuzz target once crashed or hung on, kept in
/// fuzz/regressions, run under budgets as the target runs them. Those
/// that read an `x` register no path wrote (in a new process, the word
/// another process left in the scheduler's register file: arithmetic then
/// followed it past the heap's end) are refused by the verifier, which
/// names the function and the instruction; the loops that make no call
/// (`run-loop-*`: a `jump` to itself, a `test` whose fail label is
/// itself), and a loop of few calls that each build a 34 MB binary
/// (`run-loop-big-binary`: a build costs reductions by its size, or the
/// slice, and so the budgets' checks, came after 500 of them, 47 s), are
/// stopped by the reduction budget, and by the deadline. Those that
/// verify and run into a native the translator never calls that way
/// (`run-crash-*`: `bs_set_position` to a position past the binary's end,
/// after which reading the rest computed a negative length, and the
/// allocation of 2^61 bytes aborted the VM; `bs_save` to slot 10^12,
/// which grew the saves tuple to that size) fail in the guilty process
/// with badarg.
#[test]
fn run_fuzz_regressions_end_cleanly() {
    for (p, name) in regressions("run-", ".lam", 6) {
        let file = p.to_str().unwrap();
        let budgets: [&[&str]; 2] = [
            &["--max-reductions", "200000", "--timeout", "60"],
            &["--timeout", "1"],
        ];
        for budget in budgets {
            let mut args = vec!["run", file, "--schedulers", "1"];
            args.extend_from_slice(budget);
            let out = run_guarded(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name} {budget:?}: {err}");
            assert!(!err.contains("panicked"), "{name}: {err}");
            if name.starts_with("run-loop-") {
                let why = if budget[0] == "--timeout" {
                    "passed its deadline"
                } else {
                    "spent its budget of 200000 reductions"
                };
                assert!(err.contains(why), "{name} {budget:?}: {err}");
            } else if name.starts_with("run-crash-") {
                assert!(err.contains("{badarg,"), "{name} {budget:?}: {err}");
            } else {
                assert!(err.contains(&name), "{name}: {err}");
                assert!(err.contains("invalid LAM module: instruction"), "{err}");
            }
        }
    }
}

/// Runs the CLI; a run that has not ended after two minutes (its budgets
/// should have ended it long before) is killed and reported as a hang.
fn run_guarded(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lam-translate"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..1200 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    panic!("lam-translate {args:?} hung past its budgets");
}

/// The inputs kept in fuzz/regressions whose names start with `prefix`
/// and end with `ext`, with their names; fewer than `at_least` means the
/// directory lost some, which fails the test that asked.
fn regressions(prefix: &str, ext: &str, at_least: usize) -> Vec<(std::path::PathBuf, String)> {
    let dir = common::root().join("fuzz/regressions");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(prefix) && name.ends_with(ext) {
            found.push((p, name));
        }
    }
    assert!(
        found.len() >= at_least,
        "the regression inputs {prefix}*{ext} are missing from {}",
        dir.display()
    );
    found
}
