//! Helpers shared by the integration tests: finding the installed OTP and
//! Elixir, running `erl`, and collecting `.beam` files.
//!
//! A missing `erl` is a failure, never a skip: `.ci/run` installs it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a command and returns its stdout, panicking with its stderr on failure.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (is Erlang/OTP installed? see .ci/run)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("command output is UTF-8")
}

/// OTP's `code:lib_dir()`.
pub fn otp_lib_dir() -> PathBuf {
    let s = run(Command::new("erl").args([
        "-noshell",
        "-eval",
        "io:format(\"~s\", [code:lib_dir()]), halt().",
    ]));
    PathBuf::from(s.trim())
}

/// The directory holding Elixir's applications (`elixir`, `mix`, ...).
pub fn elixir_lib_dir() -> PathBuf {
    let s = run(Command::new("elixir").args(["-e", "IO.puts(:code.lib_dir(:elixir))"]));
    let dir = PathBuf::from(s.trim());
    let dir = dir.canonicalize().unwrap_or(dir);
    dir.parent()
        .expect("elixir lib dir has a parent")
        .to_path_buf()
}

/// Every `.beam` file below `dir`, sorted.
pub fn beams_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "beam") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every installed OTP and Elixir module.
pub fn installed_beams() -> Vec<PathBuf> {
    let mut all = beams_under(&otp_lib_dir());
    all.extend(beams_under(&elixir_lib_dir()));
    all.sort();
    all.dedup();
    all
}

/// The crate's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The best of three in-VM timings of `beam_disasm:file/1` over `files`,
/// measured by `erl/bench_disasm.escript` (for the benchmarks).
pub fn beam_disasm_time(files: &[PathBuf]) -> std::time::Duration {
    let script = root().join("erl/bench_disasm.escript");
    let out = run(Command::new("escript").arg(script).args(files));
    let us: u64 = out
        .lines()
        .find_map(|l| l.strip_prefix("best_us "))
        .and_then(|v| v.trim().parse().ok())
        .expect("escript reports best_us");
    std::time::Duration::from_micros(us)
}

/// Compiles every `fixtures/*.erl` with `erlc` into a fresh directory and
/// returns it: the differential tests run what this machine's compiler
/// makes of the sources, not the `.beam` files kept for the reader's tests.
pub fn compile_fixtures(tag: &str) -> TempDir {
    compile_fixtures_with(tag, &[])
}

/// [`compile_fixtures`] with extra `erlc` options (`+no_bs_create_bin`, ...).
pub fn compile_fixtures_with(tag: &str, options: &[&str]) -> TempDir {
    let out = TempDir::made(&format!("lam-fixtures-{tag}"));
    run(Command::new("erlc")
        .args(options)
        .arg("-o")
        .arg(&out)
        .args(fixture_sources("erl")));
    out
}

/// A temporary directory that goes when the test is done with it: seven
/// runs of the suite had left 362 of them in /tmp.
/// One a failing test leaves (its drop runs while the panic unwinds) is
/// kept, and named on stderr, to look into.
pub struct TempDir(PathBuf);

impl TempDir {
    /// An empty directory whose name no other call in any test process
    /// shares: tests of one binary run on parallel threads, and two of
    /// them compiling the same fixture into one directory would delete
    /// each other's files. It is not made yet.
    pub fn new(prefix: &str) -> TempDir {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let out = std::env::temp_dir().join(format!("{prefix}-{}-{call}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        TempDir(out)
    }

    /// The same, made.
    pub fn made(prefix: &str) -> TempDir {
        let d = TempDir::new(prefix);
        std::fs::create_dir_all(&d.0).expect("temporary directory");
        d
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for the failure above: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Every `fixtures/*.EXT`, sorted.
pub fn fixture_sources(ext: &str) -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures"))
        .expect("fixtures directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    sources.sort();
    sources
}

/// Compiles one fixture, `fixtures/NAME.erl`, with `erlc` into a fresh
/// directory and returns the directory.
pub fn compile_fixture(name: &str) -> TempDir {
    let out = TempDir::made(&format!("lam-fixture-{name}"));
    run(Command::new("erlc")
        .arg("-o")
        .arg(&out)
        .arg(root().join("fixtures").join(format!("{name}.erl"))));
    out
}

/// Every module in `dir` that exports `main/0` (by the `.beam` file's
/// stem), sorted.
pub fn main_modules(dir: &Path) -> Vec<String> {
    let mut modules: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "beam"))
        .filter_map(|p| {
            let m = lam_translate::beam::read_file(&p).ok()?;
            let main = m
                .exports
                .iter()
                .any(|e| e.arity == 0 && m.atom(e.function).is_some_and(|f| &**f == "main"));
            main.then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    modules.sort();
    modules
}

/// One program's run under the reference VM and under LAM on each
/// scheduler count: `lam(n)` is LAM's command for `n` schedulers. The
/// runs that differ from the reference (after [`normalize_output`]) in
/// standard output or exit status, each described for the failure
/// message; an empty list when all match.
pub fn differences(
    name: &str,
    reference: &std::process::Output,
    schedulers: &[usize],
    mut lam: impl FnMut(usize) -> Command,
    limit: std::time::Duration,
) -> Vec<String> {
    let mut failures = Vec::new();
    for &n in schedulers {
        let Some(out) = output_within(&mut lam(n), limit) else {
            failures.push(format!(
                "{name} (schedulers {n}): LAM ran for more than {limit:?} (killed)"
            ));
            continue;
        };
        let same = normalize_output(&reference.stdout) == normalize_output(&out.stdout)
            && reference.status.code() == out.status.code();
        if !same {
            failures.push(format!(
                "{name} (schedulers {n}): reference exit {:?}, lam exit {:?}\n--- reference\n{}--- lam\n{}{}",
                reference.status.code(),
                out.status.code(),
                String::from_utf8_lossy(&reference.stdout),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    failures
}

/// Runs a command with a time limit: its output, or `None` (after killing
/// it) when it runs longer, so a hang fails a test instead of stalling CI.
pub fn output_within(
    cmd: &mut Command,
    limit: std::time::Duration,
) -> Option<std::process::Output> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    // Drained on threads so a full pipe never blocks the child.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let (stdout, stderr) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    status.map(|status| std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// Output with what legitimately differs between two VMs made equal: the
/// time in logger report headers (`=ERROR REPORT==== <time> ===`) and at
/// the start of Elixir's Logger lines (`<time> [info] ...`), pid
/// numbers (`<0.N.0>`: each VM numbers its own processes), reference
/// numbers (`#Ref<0.N.N.N>`, `#Reference<0.N.N.N>`, likewise), and the heap size, stack size and
/// reduction count in a crash report (each VM counts its own words and
/// reductions).
pub fn normalize_output(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let mut result = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if body.starts_with('=') && body.ends_with(" ===") && body.contains(" REPORT==== ") {
            let head = &body[..body.find(" REPORT==== ").expect("checked") + 12];
            result.push_str(head);
            result.push_str("<time> ===");
            result.push_str(&line[body.len()..]);
            continue;
        }
        // Elixir's Logger starts a line with the time (`12:34:56.789 [info]`).
        if let Some(rest) = elixir_log_time(body) {
            result.push_str("<time> [");
            result.push_str(rest);
            result.push_str(&line[body.len()..]);
            continue;
        }
        // A crash report's memory and reduction counts are the VM's own.
        let trimmed = body.trim_start();
        if let Some((key, n)) = trimmed.split_once(": ")
            && matches!(key, "heap_size" | "stack_size" | "reductions")
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            result.push_str(&body[..body.len() - n.len()]);
            result.push('N');
            result.push_str(&line[body.len()..]);
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("<0.") {
            let after = &rest[i + 3..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && after[digits..].starts_with(".0>") {
                result.push_str(&rest[..i]);
                result.push_str("<0.N.0>");
                rest = &after[digits + 3..];
            } else {
                result.push_str(&rest[..i + 3]);
                rest = after;
            }
        }
        result.push_str(rest);
    }
    normalize_refs(&result)
}

/// What follows `HH:MM:SS.mmm [` at the start of a line of Elixir's
/// Logger, if the line starts so.
fn elixir_log_time(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let shape = b"00:00:00.000 [";
    let timed = b.len() > shape.len()
        && shape.iter().zip(b).all(|(s, c)| match s {
            b'0' => c.is_ascii_digit(),
            _ => s == c,
        });
    timed.then(|| &line[shape.len()..])
}

/// `#Ref<0.A.B.C>` as `#Ref<0.N.N.N>`, and Elixir's `#Reference<0.A.B.C>`
/// as `#Reference<0.N.N.N>`.
fn normalize_refs(text: &str) -> String {
    normalize_ref_prefix(&normalize_ref_prefix(text, "#Ref<0."), "#Reference<0.")
}

fn normalize_ref_prefix(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        let after = &rest[i + prefix.len()..];
        let end = after.find('>').unwrap_or(0);
        let numbers: Vec<&str> = after[..end].split('.').collect();
        let is_ref = end > 0
            && numbers.len() == 3
            && numbers
                .iter()
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if is_ref {
            out.push_str(&rest[..i]);
            out.push_str(prefix);
            out.push_str("N.N.N>");
            rest = &after[end + 1..];
        } else {
            out.push_str(&rest[..i + prefix.len()]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}
