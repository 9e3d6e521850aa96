//! Reads every installed OTP and Elixir `.beam` with our reader and with
//! OTP's `beam_disasm:file/1`, in one run, and reports the ratio.
//!
//! Run: `cargo bench --bench read_all`. Not a test: nothing here asserts a time.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use rayon::prelude::*;

fn best_of<T>(rounds: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let files = common::installed_beams();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!(
        "{} installed .beam files, {:.1} MB",
        files.len(),
        bytes as f64 / 1e6
    );

    // Warm the page cache so both sides read from memory.
    for f in &files {
        let _ = std::fs::read(f);
    }

    let read_all = |parallel: bool| {
        let one = |f: &std::path::PathBuf| {
            lam_translate::beam::read_file(f).expect("installed beam reads")
        };
        if parallel {
            files
                .par_iter()
                .map(one)
                .map(|m| m.code.instrs.len())
                .sum::<usize>()
        } else {
            files
                .iter()
                .map(one)
                .map(|m| m.code.instrs.len())
                .sum::<usize>()
        }
    };
    let instrs = read_all(true);
    let ours_par = best_of(10, || read_all(true));
    let ours_seq = best_of(5, || read_all(false));
    let dis_par = best_of(3, || {
        files
            .par_iter()
            .map(|f| {
                let m = lam_translate::beam::read_file(f).unwrap();
                lam_translate::dis::erlang::disassemble(&m).unwrap().len()
            })
            .sum::<usize>()
    });

    let theirs = common::beam_disasm_time(&files);

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("{instrs} instructions decoded");
    println!(
        "beam_disasm:file/1, all files (erl, best of 3):  {:8.1} ms",
        ms(theirs)
    );
    println!(
        "lam reader, {} threads (best of 10):             {:8.1} ms   {:5.1}x faster",
        rayon::current_num_threads(),
        ms(ours_par),
        theirs.as_secs_f64() / ours_par.as_secs_f64()
    );
    println!(
        "lam reader, 1 thread (best of 5):                 {:8.1} ms   {:5.1}x faster",
        ms(ours_seq),
        theirs.as_secs_f64() / ours_seq.as_secs_f64()
    );
    println!(
        "lam read + beam_disasm-format text (best of 3):   {:8.1} ms   {:5.1}x faster",
        ms(dis_par),
        theirs.as_secs_f64() / dis_par.as_secs_f64()
    );
}
