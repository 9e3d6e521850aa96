//! `lam-translate run --entry`: the forms Erlang and Elixir users write an
//! entry point in, and what a bad one says.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lam-run-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(beam: &std::path::Path, entry: &str) -> std::process::Output {
    common::output_within(
        Command::new(env!("CARGO_BIN_EXE_lam-translate"))
            .arg("run")
            .arg(beam)
            .arg("--entry")
            .arg(entry),
        std::time::Duration::from_secs(60),
    )
    .expect("lam-translate finishes")
}

#[test]
fn elixir_and_erlang_entry_forms() {
    let d = scratch("entry");
    std::fs::write(
        d.join("entry.ex"),
        "defmodule Cli.Entry do\n\
         def main, do: IO.puts(\"main/0\")\n\
         def main(args), do: IO.puts(\"main/1 #{inspect(args)}\")\n\
         def other, do: IO.puts(\"other/0\")\n\
         end\n",
    )
    .unwrap();
    std::fs::write(
        d.join("entry_erl.erl"),
        "-module(entry_erl).\n-export([go/0]).\ngo() -> io:format(\"go~n\").\n",
    )
    .unwrap();
    common::run(
        Command::new("elixirc")
            .arg("-o")
            .arg(&d)
            .arg(d.join("entry.ex")),
    );
    common::run(
        Command::new("erlc")
            .arg("-o")
            .arg(&d)
            .arg(d.join("entry_erl.erl")),
    );
    let ex = d.join("Elixir.Cli.Entry.beam");
    let erl = d.join("entry_erl.beam");
    for (beam, entry, want) in [
        (&ex, "Cli.Entry.other", "other/0\n"),
        (&ex, "Cli.Entry.other/0", "other/0\n"),
        (&ex, "Elixir.Cli.Entry.other", "other/0\n"),
        (&ex, "'Elixir.Cli.Entry':other", "other/0\n"),
        (&ex, "Elixir.Cli.Entry:other", "other/0\n"),
        (&ex, "Cli.Entry.main/0", "main/0\n"),
        (&ex, "Cli.Entry.main", "main/1 []\n"),
        (&ex, "Cli.Entry.main/1", "main/1 []\n"),
        (&erl, "entry_erl:go", "go\n"),
        (&erl, "entry_erl:go/0", "go\n"),
        (&erl, ":entry_erl.go", "go\n"),
    ] {
        let out = run(beam, entry);
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).as_ref()
            ),
            (Some(0), want),
            "--entry {entry}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for bad in ["nodot", "Cli.Entry.main/2", "Cli.Entry.", ":x", "m:f/x"] {
        let out = run(&ex, bad);
        assert_eq!(out.status.code(), Some(2), "--entry {bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--entry takes"),
            "--entry {bad}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
