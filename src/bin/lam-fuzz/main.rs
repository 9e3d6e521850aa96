//! `lam-fuzz`: differential fuzzers. Each generates Erlang from a seed,
//! compiles it live with `erlc`, runs it on erl and on LAM, and reports
//! every difference.
//!
//! ```text
//! lam-fuzz bifs     [--seed N] [--count N]   random calls of every BIF and native
//! lam-fuzz programs [--seed N] [--count N]   random programs
//! ```
//!
//! It prints each mismatch, then one `mismatched KEY N` line per function
//! (BIFs) or generator feature (programs) for tools, then a summary; it
//! exits 1 when anything differed and 2 when the harness itself failed.
//! `tests/fuzz_vs_erl.rs` runs a fixed-seed batch of both in CI.

mod bifs;
mod harness;
mod programs;
mod rng;
mod terms;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "lam-fuzz", about = "Differential fuzzers: LAM against erl")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Random calls of every BIF of `erlang` and every native of LAM
    Bifs(Opts),
    /// Random programs, compiled by erlc and run on both VMs
    Programs(Opts),
}

#[derive(clap::Args)]
pub struct Opts {
    /// The seed: the same seed generates the same calls or programs
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many calls or programs
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Keep the generated sources and beams in this directory
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// The lam-translate to test (default: the one beside this program)
    #[arg(long)]
    pub lam: Option<PathBuf>,
    /// Scheduler threads for LAM
    #[arg(long, default_value_t = 1)]
    pub schedulers: usize,
    /// Mismatches printed in full per function or feature (all are counted)
    #[arg(long, default_value_t = 3)]
    pub show: usize,
}

/// What a fuzzer found.
#[derive(Default)]
pub struct Summary {
    notes: Vec<String>,
    /// Calls or programs compared.
    pub checked: usize,
    /// Mismatches by function or feature.
    mismatches: BTreeMap<String, Vec<String>>,
}

impl Summary {
    pub fn note(&mut self, s: String) {
        self.notes.push(s);
    }

    /// A note printed before those already taken.
    pub fn note_first(&mut self, s: String) {
        self.notes.insert(0, s);
    }

    pub fn mismatch(&mut self, key: &str, detail: String) {
        self.mismatches
            .entry(key.to_string())
            .or_default()
            .push(detail);
    }

    fn print(&self, show: usize) {
        for n in &self.notes {
            println!("{n}");
        }
        for (key, all) in &self.mismatches {
            for d in all.iter().take(show) {
                println!("{d}");
            }
            if all.len() > show {
                println!("... and {} more of {key}", all.len() - show);
            }
        }
        for (key, all) in &self.mismatches {
            println!("mismatched {key} {}", all.len());
        }
        let total: usize = self.mismatches.values().map(Vec::len).sum();
        println!(
            "{} checked, {} mismatches in {} keys",
            self.checked,
            total,
            self.mismatches.len()
        );
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (opts, result) = match &cli.command {
        Command::Bifs(o) => (
            o,
            bifs::run(o, &o.lam.clone().unwrap_or_else(harness::default_lam)),
        ),
        Command::Programs(o) => (
            o,
            programs::run(o, &o.lam.clone().unwrap_or_else(harness::default_lam)),
        ),
    };
    match result {
        Ok(summary) => {
            summary.print(opts.show);
            if summary.mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("lam-fuzz: {e}");
            ExitCode::from(2)
        }
    }
}
