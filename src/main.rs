//! The `lam-translate` command.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Args, Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use lam_translate::lam::{binary, text};
use lam_translate::translate::{self, diagnostic::UnsupportedDiagnostic};
use lam_translate::{beam, dis, files};

/// mimalloc, not glibc's malloc, on native builds: schedulers free and
/// grow memory another thread allocated (a process's heap after it moved
/// to the other scheduler, ETS objects), which glibc serves by taking the
/// other thread's arena lock (docs/corpus-speed.md, "The allocator").
#[cfg(not(target_os = "wasi"))]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "lam-translate",
    version,
    about = "Translate BEAM modules to the Little Actor Machine",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    translate: TranslateArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Translate .beam files to LAM (the default command).
    Translate(TranslateArgs),
    /// Print a compatibility report for files, directories, or (by default)
    /// the installed OTP and Elixir.
    Report(ReportArgs),
    /// Write one .wasm holding the WebAssembly build of the VM, the
    /// program's modules and the OTP modules they reach, translated: it
    /// runs under node (web/run-wasi.mjs) with no OTP installation.
    Bundle(BundleArgs),
    /// Print the disassembly of .beam files.
    Dis(DisArgs),
    /// Run a program: main/1 of the first module with the arguments as
    /// strings (like escript), else main/0, else start/0.
    Run(RunArgs),
    /// Run precompiled ExUnit test modules (from `elixirc`) with ExUnit's
    /// own runner and formatter, as `mix test` does; exits with status 2
    /// when a test fails.
    Test(TestArgs),
}

#[derive(Args)]
struct TestArgs {
    /// Test modules' .beam files, or directories holding them (every
    /// module there that defines `__ex_unit__/0`).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Add a directory to the code path (like erl -pa; -pa works too).
    #[arg(long = "pa", value_name = "DIR")]
    pa: Vec<PathBuf>,
    /// The seed that orders tests (0: in the order they are defined).
    #[arg(long)]
    seed: Option<u64>,
    /// How many async test modules run at once.
    #[arg(long, value_name = "N")]
    max_cases: Option<u32>,
    /// Leave out tests with this tag (`slow`, or `tag:value`); repeatable.
    #[arg(long, value_name = "TAG")]
    exclude: Vec<String>,
    /// Run tests with this tag even if excluded; repeatable.
    #[arg(long, value_name = "TAG")]
    include: Vec<String>,
    /// Run only tests with this tag; repeatable.
    #[arg(long, value_name = "TAG")]
    only: Vec<String>,
    /// Print each test's name and time as it runs.
    #[arg(long)]
    trace: bool,
    /// Scheduler threads that run processes (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    schedulers: Option<u16>,
}

#[derive(Args)]
struct RunArgs {
    /// .beam or .lam files; the first one's module is the program.
    #[arg(required_unless_present = "project")]
    files: Vec<PathBuf>,
    /// A mix or rebar3 project: its `_build/PROFILE/lib/*/ebin` go on the
    /// code path (PROFILE: $MIX_ENV or dev for mix, default for rebar3).
    /// With no FILE, --entry names the program.
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Add a directory to the code path (like erl -pa; -pa works too).
    #[arg(long = "pa", value_name = "DIR")]
    pa: Vec<PathBuf>,
    /// Call this function instead: MODULE:FUNCTION, or as Elixir writes
    /// it, Module.function (meaning 'Elixir.Module':function); /0 or /1
    /// may follow.
    #[arg(long)]
    entry: Option<String>,
    /// Scheduler threads that run processes (default: one per core).
    /// `--schedulers 1` runs processes in an order fixed by the program.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    schedulers: Option<u16>,
    /// Boot OTP's system with this configuration file (like erl -config;
    /// `.config` may be left off; -config works too). Repeatable: later
    /// files override earlier ones.
    #[arg(long = "config", value_name = "FILE")]
    config: Vec<PathBuf>,
    /// Set an application's environment variable (like erl's
    /// `-App Key Value`; Value is an Erlang term). Repeatable.
    #[arg(long = "app-env", num_args = 3, value_names = ["APP", "KEY", "VALUE"], allow_hyphen_values = true)]
    app_env: Vec<String>,
    /// More erl flags, as one string split like ERL_FLAGS (`-config F`,
    /// `-App Key Value`, `-pa Dir`, other flags for init). ERL_AFLAGS,
    /// ERL_FLAGS and ERL_ZFLAGS are read too, in erl's order.
    #[arg(long = "erl-flags", value_name = "FLAGS", allow_hyphen_values = true)]
    erl_flags: Vec<String>,
    /// The most atoms the program may make (like erl +t; default
    /// 1048576): past it, list_to_atom and the like raise system_limit.
    #[arg(long, value_name = "N")]
    max_atoms: Option<usize>,
    /// Stop the run (exit 1, with an error) once all processes together
    /// have spent N reductions.
    #[arg(long, value_name = "N")]
    max_reductions: Option<u64>,
    /// A memory budget for all processes together, in bytes (suffixes
    /// K, M, G, T: 512M, 4G): a process that would pass it exits with
    /// reason out_of_memory and the others go on.
    #[arg(long, value_name = "BYTES", value_parser = parse_max_memory)]
    max_memory: Option<usize>,
    /// Stop the run (exit 1, with an error) after SECONDS of wall-clock
    /// time.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Keep running after the entry function returns, until no process
    /// can run anymore (by default the VM stops when it returns, like
    /// `erl -s M F -s init stop`).
    #[arg(long)]
    until_idle: bool,
    /// Arguments for main/1.
    #[arg(last = true)]
    args: Vec<String>,
}

#[derive(Args)]
struct TranslateArgs {
    /// .beam files, or directories to search for them.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write output files into this directory instead of beside each input.
    #[arg(short = 'o', long = "out-dir")]
    out_dir: Option<PathBuf>,
    /// What to write: `binary` (.lam) or `text` (.lasm, the assembly).
    #[arg(long, value_enum, default_value_t = Emit::Binary)]
    emit: Emit,
    /// Exit with an error when anything could not be translated.
    #[arg(long)]
    deny_unsupported: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    Binary,
    Text,
}

#[derive(Args)]
struct ReportArgs {
    /// Files or directories (default: the installed OTP and Elixir libraries).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Also resolve calls against the modules in this directory (a
    /// dependency's ebin, like erl -pa; -pa works too).
    #[arg(long = "pa", value_name = "DIR")]
    pa: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Args)]
struct BundleArgs {
    /// The program's .beam files; the first one's module is the program.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The .wasm to write.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// The WebAssembly build of lam-translate (default: $LAM_WASM, else
    /// target/wasm32-wasip1/wasm/lam-translate.wasm beside this program's
    /// target directory).
    #[arg(long = "vm", value_name = "WASM")]
    vm: Option<PathBuf>,
}

#[derive(Args)]
struct DisArgs {
    /// Output format: `text` for people, `erlang` for exactly what
    /// OTP's beam_disasm:file/1 returns (one ~w term per line).
    #[arg(long, value_enum, default_value_t = DisFormat::Text)]
    format: DisFormat,
    /// The .beam files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DisFormat {
    Text,
    Erlang,
}

fn main() -> ExitCode {
    // erl spells -pa and -config with one dash; clap wants two. (Not
    // after `--`: those are the program's.)
    let mut rest = false;
    let argv = std::env::args_os().map(|a| {
        rest |= a == "--";
        match a.to_str() {
            Some("-pa" | "-config") if !rest => format!("-{}", a.to_string_lossy()).into(),
            _ => a,
        }
    });
    let cli = Cli::parse_from(argv);
    match cli.command {
        Some(Command::Run(args)) => run_command(&args),
        Some(Command::Test(args)) => test_command(&args),
        Some(Command::Translate(args)) => translate_command(&args),
        Some(Command::Report(args)) => report_command(&args),
        Some(Command::Dis(args)) => dis_command(&args),
        Some(Command::Bundle(args)) => bundle_command(&args),
        None => translate_command(&cli.translate),
    }
}

fn report(err: impl miette::Diagnostic + Send + Sync + 'static) {
    eprintln!("{:?}", miette::Report::new(err));
}

/// Runs `f` over `items` in parallel, showing a progress bar on a terminal.
fn with_progress<T: Sync, R: Send>(what: &str, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let done = AtomicUsize::new(0);
    // The bar is drawn by a thread, which WASI does not have.
    let show = !cfg!(target_os = "wasi") && std::io::stderr().is_terminal() && items.len() > 1;
    let finished = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        if show {
            s.spawn(|| {
                while !finished.load(Ordering::Relaxed) {
                    let n = done.load(Ordering::Relaxed);
                    let width = 30 * n / items.len().max(1);
                    eprint!(
                        "\r[{}{}] {n}/{} {what}",
                        "#".repeat(width),
                        " ".repeat(30 - width),
                        items.len()
                    );
                    std::thread::sleep(std::time::Duration::from_millis(80));
                }
                eprint!("\r{}\r", " ".repeat(50 + what.len()));
            });
        }
        let out = items
            .par_iter()
            .map(|x| {
                let r = f(x);
                done.fetch_add(1, Ordering::Relaxed);
                r
            })
            .collect();
        finished.store(true, Ordering::Relaxed);
        out
    })
}

fn output_path(input: &Path, out_dir: Option<&Path>, emit: Emit) -> PathBuf {
    let ext = match emit {
        Emit::Binary => "lam",
        Emit::Text => "lasm",
    };
    let name = input.with_extension(ext);
    match out_dir {
        Some(d) => d.join(name.file_name().unwrap_or_default()),
        None => name,
    }
}

enum Outcome {
    Done(Vec<UnsupportedDiagnostic>),
    Failed(lam_translate::Error),
}

fn translate_command(args: &TranslateArgs) -> ExitCode {
    let inputs = match files::beams(&args.paths, "beam") {
        Ok(f) => f,
        Err(e) => {
            report(e);
            return ExitCode::FAILURE;
        }
    };
    if let Some(d) = &args.out_dir
        && let Err(e) = std::fs::create_dir_all(d)
    {
        report(lam_translate::Error::io(d, &e));
        return ExitCode::FAILURE;
    }
    let outcomes = with_progress("modules", &inputs, |input| {
        let run = || -> lam_translate::Result<Outcome> {
            let m = beam::read_file(input)?;
            let t = translate::translate(&m).map_err(|e| e.in_file(input))?;
            let bytes = match args.emit {
                Emit::Binary => binary::encode(&t.module),
                Emit::Text => text::print(&t.module).into_bytes(),
            };
            let out = output_path(input, args.out_dir.as_deref(), args.emit);
            std::fs::write(&out, bytes).map_err(|e| lam_translate::Error::io(&out, &e))?;
            let diags = t
                .unsupported
                .into_iter()
                .map(|u| UnsupportedDiagnostic::new(u, input, m.compile_info.as_ref()))
                .collect();
            Ok(Outcome::Done(diags))
        };
        run().unwrap_or_else(Outcome::Failed)
    });
    let (mut failed, mut unsupported) = (false, false);
    for o in outcomes {
        match o {
            Outcome::Done(diags) => {
                unsupported |= !diags.is_empty();
                for d in diags {
                    report(d);
                }
            }
            Outcome::Failed(e) => {
                failed = true;
                report(e);
            }
        }
    }
    if failed || (unsupported && args.deny_unsupported) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report_command(args: &ReportArgs) -> ExitCode {
    // Calls resolve against the modules reported on, then the code path the
    // VM would load from: -pa directories, then the installed OTP and Elixir.
    let mut code_path = args.pa.clone();
    match files::otp_lib_dir() {
        Ok(d) => code_path.push(d),
        Err(e) if args.paths.is_empty() => {
            report(e);
            return ExitCode::FAILURE;
        }
        Err(e) => eprintln!(
            "lam-translate: warning: no installed OTP to resolve calls against ({e}): calls to OTP modules are reported as unresolved"
        ),
    }
    let elixir = files::elixir_lib_dir();
    code_path.extend(elixir.iter().cloned());
    for d in code_path.iter().filter(|d| !d.is_dir()) {
        eprintln!(
            "lam-translate: warning: {} is not a directory: calls to modules that would be there are reported as unresolved",
            d.display()
        );
    }
    let paths = if args.paths.is_empty() {
        code_path[args.pa.len()..].to_vec()
    } else {
        args.paths.clone()
    };
    let inputs = match files::beams(&paths, "beam") {
        Ok(f) => f,
        Err(e) => {
            report(e);
            return ExitCode::FAILURE;
        }
    };
    let modules = with_progress("modules", &inputs, |input| {
        lam_translate::report::analyze_file(input)
    });
    let r = lam_translate::report::build(modules, &code_path);
    // A file that could not be read is a failure of the report, said on
    // standard error too (the report itself names each one).
    let unread = r.totals.modules - r.totals.modules_translated;
    let text = match args.format {
        ReportFormat::Text => r.text(),
        ReportFormat::Json => r.json() + "\n",
        ReportFormat::Markdown => r.markdown(),
    };
    let written = match &args.output {
        Some(p) => std::fs::write(p, text).map_err(|e| lam_translate::Error::io(p, &e)),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| lam_translate::Error::io(Path::new("-"), &e)),
    };
    match written {
        Ok(()) if unread == 0 => ExitCode::SUCCESS,
        Ok(()) => {
            eprintln!(
                "lam-translate: {unread} of {} files could not be read or translated (see the report)",
                r.totals.modules
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            report(e);
            ExitCode::FAILURE
        }
    }
}

fn bundle_command(args: &BundleArgs) -> ExitCode {
    let vm = args
        .vm
        .clone()
        .or_else(|| std::env::var_os("LAM_WASM").map(PathBuf::from))
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            let target = exe.parent()?.parent()?;
            Some(target.join("wasm32-wasip1/wasm/lam-translate.wasm"))
        });
    let Some(vm) = vm else {
        eprintln!("lam-translate: give the WebAssembly build of the VM with --vm");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&vm) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "lam-translate: {}: {e} (build it with cargo build --profile wasm \
                 --target wasm32-wasip1 --bin lam-translate, or give it with --vm)",
                vm.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let mut libs = Vec::new();
    if !add_installed(&mut libs) {
        return ExitCode::FAILURE;
    }
    let root = libs[0].parent().map(Path::to_path_buf).unwrap_or_default();
    match lam_translate::bundle::bundle(&bytes, &args.files, &libs, &root) {
        Ok(b) => {
            if let Err(e) = std::fs::write(&args.output, &b.wasm) {
                eprintln!("lam-translate: {}: {e}", args.output.display());
                return ExitCode::FAILURE;
            }
            eprintln!(
                "{}: {} bytes ({} modules, {} bytes of them)",
                args.output.display(),
                b.wasm.len(),
                b.modules,
                b.payload
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            report(e);
            ExitCode::FAILURE
        }
    }
}

fn dis_command(args: &DisArgs) -> ExitCode {
    if matches!(args.format, DisFormat::Erlang) && args.files.len() > 1 {
        eprintln!("lam-translate: --format erlang takes one file at a time");
        return ExitCode::from(2);
    }
    // Read in parallel, print in order: output never depends on timing.
    let results: Vec<_> = args
        .files
        .par_iter()
        .map(|f| {
            beam::read_file(f).and_then(|m| {
                match args.format {
                    DisFormat::Text => dis::text::disassemble(&m),
                    DisFormat::Erlang => dis::erlang::disassemble(&m),
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
                if args.files.len() > 1 {
                    let _ = writeln!(
                        out,
                        "{}== {}",
                        if i > 0 { "\n" } else { "" },
                        args.files[i].display()
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

/// An entry point as Erlang or Elixir users write it: `mod:fun`,
/// `'Elixir.App':fun` (the quotes are the shell's or Erlang's), or Elixir's
/// `App.Module.fun` (`Elixir.App.Module:fun`) and `:mod.fun` (an Erlang
/// module); each may end in `/0` or `/1`. The module, the function and the
/// arity if given.
fn parse_max_memory(s: &str) -> Result<usize, String> {
    lam_translate::vm::parse_size(s)
        .ok_or_else(|| format!("{s:?} is not a size in bytes (4096, 512M, 4G)"))
}

fn parse_entry(e: &str) -> Option<(String, String, Option<u32>)> {
    let (e, arity) = match e.rsplit_once('/') {
        Some((e, a)) => (e, Some(a.parse::<u32>().ok().filter(|a| *a <= 1)?)),
        None => (e, None),
    };
    let (module, function) = match e.split_once(':').filter(|(m, _)| !m.is_empty()) {
        Some((m, f)) => {
            let m = m
                .strip_prefix('\'')
                .and_then(|m| m.strip_suffix('\''))
                .unwrap_or(m);
            (m.to_string(), f)
        }
        None => {
            let (m, f) = e.rsplit_once('.')?;
            let m = match m.strip_prefix(':') {
                Some(erlang) => erlang.to_string(),
                None if m.starts_with("Elixir.") => m.to_string(),
                None => format!("Elixir.{m}"),
            };
            (m, f)
        }
    };
    let function = function
        .strip_prefix('\'')
        .and_then(|f| f.strip_suffix('\''))
        .unwrap_or(function);
    if module.is_empty() || function.is_empty() || module.ends_with('.') {
        return None;
    }
    Some((module, function.to_string(), arity))
}

/// The test modules among `paths` (files, or directories searched one
/// level deep), by module name: ExUnit's runner gets them in name order.
fn test_modules(paths: &[PathBuf]) -> Result<Vec<(String, PathBuf)>, String> {
    let mut beams = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| format!("{}: {e}", p.display()))?;
            beams.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|f| f.extension().is_some_and(|x| x == "beam")),
            );
        } else {
            beams.push(p.clone());
        }
    }
    let mut found = Vec::new();
    for b in beams {
        let m = lam_translate::beam::read_file(&b).map_err(|e| e.to_string())?;
        let is_test = m
            .exports
            .iter()
            .any(|e| e.arity == 0 && m.atom(e.function).is_some_and(|f| &**f == "__ex_unit__"));
        if is_test {
            let name = m.name().to_string();
            let dir = b.parent().filter(|d| !d.as_os_str().is_empty());
            found.push((name, dir.unwrap_or(Path::new(".")).to_path_buf()));
        }
    }
    found.sort();
    Ok(found)
}

fn test_command(args: &TestArgs) -> ExitCode {
    let modules = match test_modules(&args.paths) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("lam-translate: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut path: Vec<PathBuf> = args.pa.clone();
    for (_, dir) in &modules {
        if !path.contains(dir) {
            path.push(dir.clone());
        }
    }
    if !add_installed(&mut path) {
        return ExitCode::FAILURE;
    }
    let mut runner_args = Vec::new();
    if let Some(s) = args.seed {
        runner_args.push(format!("seed={s}"));
    }
    if let Some(n) = args.max_cases {
        runner_args.push(format!("max_cases={n}"));
    }
    if args.trace {
        runner_args.push("trace=true".into());
    }
    for (kind, tags) in [
        ("include", &args.include),
        ("exclude", &args.exclude),
        ("only", &args.only),
    ] {
        runner_args.extend(tags.iter().map(|t| format!("{kind}={t}")));
    }
    runner_args.extend(modules.iter().map(|(m, _)| format!("module={m}")));
    let options = lam_translate::vm::RunOptions {
        schedulers: args.schedulers.map(usize::from),
        until_idle: false,
        entry_arity: None,
        embedded: vec![lam_translate::vm::EXUNIT_RUNNER],
        boot_flags: Vec::new(),
        max_atoms: None,
        max_reductions: None,
        max_memory: None,
        timeout: None,
    };
    exit_code(lam_translate::vm::run_program(
        path,
        "lam_exunit",
        None,
        &runner_args,
        &options,
    ))
}

/// The `ebin` directories of a mix or rebar3 project's build.
fn project_ebins(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let build = dir.join("_build");
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(&build)
        .map_err(|e| {
            format!(
                "{}: {e} (build the project first: mix compile, or rebar3 compile)",
                build.display()
            )
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("lib").is_dir())
        .collect();
    profiles.sort();
    let wanted = std::env::var("MIX_ENV").unwrap_or_else(|_| "dev".into());
    let profile = [wanted.as_str(), "default"]
        .iter()
        .map(|p| build.join(p))
        .find(|p| profiles.contains(p))
        .or_else(|| (profiles.len() == 1).then(|| profiles[0].clone()))
        .ok_or_else(|| {
            format!(
                "{}: no build profile to choose ({} found; set MIX_ENV)",
                build.display(),
                profiles.len()
            )
        })?;
    let mut ebins: Vec<PathBuf> = std::fs::read_dir(profile.join("lib"))
        .map_err(|e| format!("{}: {e}", profile.display()))?
        .flatten()
        .map(|e| e.path().join("ebin"))
        .filter(|p| p.is_dir())
        .collect();
    ebins.sort();
    Ok(ebins)
}

fn run_command(args: &RunArgs) -> ExitCode {
    // A file that is not there is named, not looked for as a module.
    for f in &args.files {
        if !f.is_file() {
            let why = if f.is_dir() {
                "is a directory, not a .beam or .lam file"
            } else {
                "no such file"
            };
            eprintln!("lam-translate: {}: {why}", f.display());
            return ExitCode::FAILURE;
        }
    }
    if args.files.is_empty() && args.entry.is_none() {
        eprintln!("lam-translate: --project without a FILE needs --entry");
        return ExitCode::from(2);
    }
    let mut module = args
        .files
        .first()
        .and_then(|f| f.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut entry = None;
    let mut entry_arity = None;
    if let Some(e) = &args.entry {
        match parse_entry(e) {
            Some((m, f, a)) => {
                module = m;
                entry = Some(f);
                entry_arity = a;
            }
            None => {
                eprintln!(
                    "lam-translate: --entry takes MODULE:FUNCTION (Erlang) or \
                     Module.function (Elixir), either with an optional /ARITY (0 or 1)"
                );
                return ExitCode::from(2);
            }
        }
    }
    // What erlexec would read, in its order: ERL_AFLAGS, the command
    // line, ERL_FLAGS, ERL_ZFLAGS.
    let mut flags = lam_translate::erl_flags::Flags::default();
    flags.add_env("ERL_AFLAGS");
    for c in &args.config {
        flags.add(&["-config".into(), c.to_string_lossy().into_owned()]);
    }
    for e in args.app_env.chunks(3) {
        flags.add(&[format!("-{}", e[0]), e[1].clone(), e[2].clone()]);
    }
    for f in &args.erl_flags {
        flags.add(&lam_translate::erl_flags::split(f));
    }
    flags.add_env("ERL_FLAGS");
    flags.add_env("ERL_ZFLAGS");
    for f in &flags.ignored {
        eprintln!("lam-translate: warning: erl flag {f} is not supported here; ignored");
    }
    let mut path: Vec<PathBuf> = flags.pa.clone();
    path.extend(args.pa.iter().cloned());
    if let Some(dir) = &args.project {
        match project_ebins(dir) {
            Ok(ebins) => path.extend(ebins),
            Err(e) => {
                eprintln!("lam-translate: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for f in &args.files {
        let dir = f
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !path.iter().any(|p| p == dir) {
            path.push(dir.to_path_buf());
        }
    }
    if !add_installed(&mut path) {
        return ExitCode::FAILURE;
    }
    path.extend(flags.pz.iter().cloned());
    let options = lam_translate::vm::RunOptions {
        schedulers: args.schedulers.map(usize::from),
        until_idle: args.until_idle,
        entry_arity,
        embedded: Vec::new(),
        boot_flags: flags.init,
        max_atoms: args.max_atoms,
        max_reductions: args.max_reductions,
        max_memory: args.max_memory,
        timeout: args
            .timeout
            .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok()),
    };
    exit_code(lam_translate::vm::run_program(
        path,
        &module,
        entry.as_deref(),
        &args.args,
        &options,
    ))
}

/// The exit status of a run: the program's, or 1 with its crash report or
/// the VM's error on standard error.
fn exit_code(ended: Result<lam_translate::vm::Ended, String>) -> ExitCode {
    match ended {
        Ok(lam_translate::vm::Ended::Status(0)) => ExitCode::SUCCESS,
        Ok(lam_translate::vm::Ended::Status(s)) => ExitCode::from(s.clamp(1, 255) as u8),
        Ok(lam_translate::vm::Ended::Crashed { report, .. }) => {
            use std::io::Write;
            let _ = std::io::stderr().write_all(&report);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("lam-translate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Adds the installed OTP's and Elixir's libraries to a program's code
/// path; false (reported) when no OTP is installed.
fn add_installed(path: &mut Vec<PathBuf>) -> bool {
    match files::otp_lib_dir() {
        Ok(d) => path.push(d),
        Err(e) => {
            report(e);
            return false;
        }
    }
    path.extend(files::elixir_lib_dir());
    true
}
