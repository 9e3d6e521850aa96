//! Translates every installed OTP and Elixir `.beam` to `.lam`, end to end
//! through the CLI (one process, parallel over files), and times OTP's
//! `beam_disasm:file/1` over the same files in the same run.
//!
//! Run: `cargo bench --bench translate_all`. Not a test: nothing asserts a time.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use rayon::prelude::*;

fn main() {
    let files = common::installed_beams();
    let dirs = [common::otp_lib_dir(), common::elixir_lib_dir()];
    let out = std::env::temp_dir().join(format!("lam-bench-{}", std::process::id()));
    let bin = env!("CARGO_BIN_EXE_lam-translate");
    println!("{} installed .beam files", files.len());

    let cli = (0..5)
        .map(|_| {
            let _ = std::fs::remove_dir_all(&out);
            let t = Instant::now();
            let status = Command::new(bin)
                .args(&dirs)
                .arg("-o")
                .arg(&out)
                .status()
                .unwrap();
            assert!(status.success());
            t.elapsed()
        })
        .min()
        .unwrap();
    let written = std::fs::read_dir(&out).unwrap().count();
    let lam_bytes: u64 = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let _ = std::fs::remove_dir_all(&out);

    let in_process = (0..5)
        .map(|_| {
            let t = Instant::now();
            let n: usize = files
                .par_iter()
                .map(|f| {
                    let m = lam_translate::beam::read_file(f).unwrap();
                    let t = lam_translate::translate::translate(&m).unwrap();
                    lam_translate::lam::binary::encode(&t.module).len()
                })
                .sum();
            std::hint::black_box(n);
            t.elapsed()
        })
        .min()
        .unwrap();

    let theirs = common::beam_disasm_time(&files);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "beam_disasm:file/1 over all files (erl, in VM, best of 3):   {:8.1} ms",
        ms(theirs)
    );
    println!(
        "lam-translate DIRS -o OUT (whole CLI run, wall, best of 5):   {:8.1} ms   {:5.1}x faster   ({written} .lam files, {:.1} MB)",
        ms(cli),
        theirs.as_secs_f64() / cli.as_secs_f64(),
        lam_bytes as f64 / 1e6
    );
    println!(
        "read + translate + encode in process ({} threads, best of 5): {:8.1} ms   {:5.1}x faster",
        rayon::current_num_threads(),
        ms(in_process),
        theirs.as_secs_f64() / in_process.as_secs_f64()
    );
}
