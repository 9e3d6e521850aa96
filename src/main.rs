//! The `lam-translate` command.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use lam_translate::beam;
use lam_translate::dis;

#[derive(Parser)]
#[command(
    name = "lam-translate",
    version,
    about = "Translate BEAM modules to the Little Actor Machine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the disassembly of .beam files.
    Dis {
        /// Output format: `text` for people, `erlang` for exactly what
        /// OTP's beam_disasm:file/1 returns (one ~w term per line).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// The .beam files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Erlang,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Dis { format, files } => dis_command(format, &files),
    }
}

fn report(err: lam_translate::Error) {
    let report = miette::Report::new(err);
    eprintln!("{report:?}");
}

fn dis_command(format: Format, files: &[PathBuf]) -> ExitCode {
    if matches!(format, Format::Erlang) && files.len() > 1 {
        eprintln!("lam-translate: --format erlang takes one file at a time");
        return ExitCode::from(2);
    }
    // Read in parallel, print in order: output never depends on timing.
    let results: Vec<_> = files
        .par_iter()
        .map(|f| {
            beam::read_file(f).and_then(|m| {
                match format {
                    Format::Text => dis::text::disassemble(&m),
                    Format::Erlang => dis::erlang::disassemble(&m),
                }
                .map_err(|e| e.in_file(f))
            })
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(text) => {
                if files.len() > 1 {
                    let _ = writeln!(
                        out,
                        "{}== {}",
                        if i > 0 { "\n" } else { "" },
                        files[i].display()
                    );
                }
                if out.write_all(text.as_bytes()).is_err() {
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                let _ = out.flush();
                report(e);
                failed = true;
            }
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
