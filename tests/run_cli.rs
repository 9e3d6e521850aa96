//! `lam-translate run --entry`: the forms Erlang and Elixir users write an
//! entry point in, and what a bad one says.

mod common;

use std::process::Command;

fn scratch(name: &str) -> common::TempDir {
    common::TempDir::made(&format!("lam-run-cli-{name}"))
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

/// A mix project built by mix, run with `--project` and no file, prints
/// what `mix run` prints; a rebar3-style layout (`_build/default`) is
/// found too; a missing file or a directory is named, not looked up as a
/// module.
#[test]
fn projects_and_file_problems() {
    let d = scratch("project");
    common::run(
        Command::new("mix")
            .args(["new", "demo", "--module", "Demo"])
            .current_dir(&d),
    );
    let app = d.join("demo");
    std::fs::write(
        app.join("lib/demo.ex"),
        "defmodule Demo do\n\
         def main do\n\
         s = \"the cat and the hat\"\n\
         IO.puts(\"words: #{inspect(Demo.Words.count(s))}\")\n\
         end\n\
         end\n\
         defmodule Demo.Words do\n\
         def count(s), do: s |> String.split() |> Enum.frequencies()\n\
         end\n",
    )
    .unwrap();
    common::run(Command::new("mix").arg("compile").current_dir(&app));
    let want = common::run(
        Command::new("mix")
            .args(["run", "-e", "Demo.main()"])
            .current_dir(&app),
    );
    let lam = |args: &[&str], dir: &std::path::Path| {
        common::output_within(
            Command::new(env!("CARGO_BIN_EXE_lam-translate"))
                .arg("run")
                .args(args)
                .current_dir(dir),
            std::time::Duration::from_secs(60),
        )
        .expect("lam-translate finishes")
    };
    let out = lam(&["--project", ".", "--entry", "Demo.main"], &app);
    assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{out:?}");
    assert!(want.contains("\"the\" => 2"), "{want}");

    // rebar3's layout: _build/default/lib/APP/ebin.
    let r = d.join("rebar");
    let ebin = r.join("_build/default/lib/app/ebin");
    std::fs::create_dir_all(&ebin).unwrap();
    std::fs::write(
        d.join("app_main.erl"),
        "-module(app_main).\n-export([main/0]).\nmain() -> io:format(\"rebar ok~n\").\n",
    )
    .unwrap();
    common::run(
        Command::new("erlc")
            .arg("-o")
            .arg(&ebin)
            .arg(d.join("app_main.erl")),
    );
    let out = lam(&["--project", ".", "--entry", "app_main:main"], &r);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "rebar ok\n",
        "{out:?}"
    );

    let out = lam(&["--project", ".", "--entry", "x:main"], &d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("_build"),
        "{out:?}"
    );
    let out = lam(&["missing.beam"], &d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing.beam: no such file"),
        "{out:?}"
    );
    let out = lam(&["demo"], &d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("demo: is a directory"),
        "{out:?}"
    );
}
