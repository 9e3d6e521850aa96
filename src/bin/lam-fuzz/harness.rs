//! Running generated Erlang on both VMs: a scratch directory, `erlc`, `erl`
//! and `lam-translate run` with time limits, and the masking of what
//! legitimately differs between two VMs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A scratch directory, removed when dropped unless `--keep` named it.
pub struct Workdir {
    pub path: PathBuf,
    keep: bool,
}

impl Workdir {
    pub fn new(keep: Option<&Path>, tag: &str) -> Result<Workdir, String> {
        let (path, keep) = match keep {
            Some(p) => (p.join(tag), true),
            None => (
                std::env::temp_dir().join(format!("lam-fuzz-{tag}-{}", std::process::id())),
                false,
            ),
        };
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Workdir { path, keep })
    }

    pub fn write(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        let p = self.path.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(p)
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// What a finished (or killed) command left behind.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    /// `None` when it ran out of time and was killed.
    pub code: Option<i32>,
}

/// Runs `cmd` until it exits, keeping whatever it printed; it is killed
/// when it prints nothing for `idle` (a hang, not a slow batch).
pub fn run(cmd: &mut Command, idle: Duration) -> Result<Outcome, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    // Drained on threads so that a full pipe never blocks the child.
    let start = Instant::now();
    // Milliseconds from `start` to the last output seen.
    let active = Arc::new(AtomicU64::new(0));
    let drain = |r: Option<Box<dyn Read + Send>>| {
        let active = active.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1 << 16];
            if let Some(mut r) = r {
                while let Ok(n @ 1..) = r.read(&mut chunk) {
                    buf.extend_from_slice(&chunk[..n]);
                    active.store(start.elapsed().as_millis() as u64, Ordering::Relaxed);
                }
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let code = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status.code().unwrap_or(-1));
        }
        let quiet = start.elapsed().as_millis() as u64 - active.load(Ordering::Relaxed);
        if quiet > idle.as_millis() as u64 {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = |h: std::thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned()
    };
    Ok(Outcome {
        stdout: text(out),
        stderr: text(err),
        code,
    })
}

/// Compiles `files` into `dir` with one `erlc` (one VM start for all).
pub fn erlc(dir: &Path, files: &[PathBuf]) -> Result<(), String> {
    let out = run(
        Command::new("erlc")
            .arg("+nowarn_unused_vars")
            .arg("-o")
            .arg(dir)
            .args(files),
        Duration::from_secs(600),
    )?;
    match out.code {
        Some(0) => Ok(()),
        _ => Err(format!("erlc failed:\n{}{}", out.stdout, out.stderr)),
    }
}

/// How a file failed to compile.
pub enum CompileFailure {
    /// The compiler crashed (a bug of erlc's, not of the source).
    Crash(String),
    /// The source has errors.
    Errors(String),
}

/// Compiles each of `files` into `dir` in one erl, as `erlc` would, but
/// going on past a file that fails: the files that did not compile, with
/// why.
pub fn compile_each(
    dir: &Path,
    files: &[PathBuf],
) -> Result<Vec<(PathBuf, CompileFailure)>, String> {
    let list: Vec<String> = files
        .iter()
        .map(|f| format!("{:?}", f.display().to_string()))
        .collect();
    let eval = format!(
        r#"Out = {:?},
        lists:foreach(fun(F) ->
            case compile:file(F, [return_errors, nowarn_unused_vars, {{outdir, Out}}]) of
                {{ok, _}} -> ok;
                {{error, Es, _}} ->
                    Crash = [x || {{_, E}} <- Es, {{_, compile, {{crash, _, _, _}}}} <- E],
                    Text = [try io_lib:format("~p: ~ts; ", [L, M:format_error(D)])
                            catch _:_ -> io_lib:format("~p: ~0p; ", [L, D]) end
                            || {{_, E}} <- Es, {{L, M, D}} <- E],
                    Kind = case Crash of [] -> errors; _ -> crash end,
                    Line = case Crash of
                               [] -> string:replace(lists:flatten(Text), "\n", " ", all);
                               _ -> "an internal error"
                           end,
                    io:format("~s\t~s\t~ts~n", [Kind, F, string:slice(Line, 0, 2000)])
            end
        end, [{}]),
        halt()."#,
        dir.display().to_string(),
        list.join(",")
    );
    let out = run(
        Command::new("erl").args(["-noshell", "-eval", &eval]),
        Duration::from_secs(600),
    )?;
    if out.code != Some(0) {
        return Err(format!("compiling failed:\n{}{}", out.stdout, out.stderr));
    }
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let (kind, file, why) = (parts.next()?, parts.next()?, parts.next()?.to_string());
            let failure = if kind == "crash" {
                CompileFailure::Crash(why)
            } else {
                CompileFailure::Errors(why)
            };
            Some((PathBuf::from(file), failure))
        })
        .collect())
}

/// `module:main(Args)` on erl, then `init:stop()`.
pub fn run_erl(
    dir: &Path,
    module: &str,
    args: &[String],
    idle: Duration,
) -> Result<Outcome, String> {
    let list: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
    let eval = format!("{module}:main([{}]), init:stop().", list.join(","));
    run(
        Command::new("erl")
            .args(["-noshell", "-pa"])
            .arg(dir)
            .args(["-eval", &eval]),
        idle,
    )
}

/// `module:main(Args)` on LAM.
pub fn run_lam(
    lam: &Path,
    dir: &Path,
    module: &str,
    args: &[String],
    schedulers: usize,
    idle: Duration,
) -> Result<Outcome, String> {
    run(
        Command::new(lam)
            .arg("run")
            .arg(dir.join(format!("{module}.beam")))
            .arg("-pa")
            .arg(dir)
            .args(["--schedulers", &schedulers.to_string()])
            .arg("--")
            .args(args),
        idle,
    )
}

/// Runs one side of a batch from item `from` on, `once(from)` starting the
/// VM there; it prints `index result` lines: `index → printed result`. When the VM
/// dies or hangs part-way, the item after the last one printed is charged
/// with it and the batch goes on after it.
pub fn run_batch(
    count: usize,
    what: &str,
    mut once: impl FnMut(usize) -> Result<Outcome, String>,
) -> Result<BTreeMap<usize, String>, String> {
    let mut results = BTreeMap::new();
    let mut from = 0;
    while from < count {
        let out = once(from)?;
        let mut next = from;
        for line in out.stdout.lines() {
            let Some((i, rest)) = line.split_once(' ') else {
                continue;
            };
            let Ok(i) = i.parse::<usize>() else { continue };
            if i >= next {
                results.insert(i, mask(rest));
                next = i + 1;
            }
        }
        if next < count && out.code == Some(0) {
            return Err(format!(
                "{what} stopped at item {next} without an error:\n{}",
                out.stderr
            ));
        }
        if next < count {
            let last = out
                .stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let why = match out.code {
                None => "the VM hung (killed after the batch's time limit)".to_string(),
                Some(c) => format!("the VM died with status {c}: {}", last.trim()),
            };
            results.insert(next, format!("<{why}>"));
            next += 1;
        }
        from = next;
    }
    Ok(results)
}

/// The `lam-translate` beside this executable (where cargo builds both).
pub fn default_lam() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name(format!("lam-translate{}", std::env::consts::EXE_SUFFIX))
}

/// A line with what each VM numbers or names its own way made equal: pids
/// (`<0.85.0>`), references (`#Ref<0.1.2.3>`), ports and funs
/// (`#Fun<m.3.1234>`: erl names a fun by its module's hash). Nothing else is
/// masked: every other byte of `~w` output must agree.
pub fn mask(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &line[i..];
        let opaque = ["#Ref<", "#Port<", "#Fun<"]
            .iter()
            .find(|p| rest.starts_with(**p));
        if let Some(p) = opaque
            && let Some(end) = rest.find('>')
        {
            out.push_str(&p[..p.len() - 1]);
            i += end + 1;
            continue;
        }
        if let Some(after) = rest.strip_prefix('<') {
            let digits_dots = after
                .bytes()
                .take_while(|c| c.is_ascii_digit() || *c == b'.')
                .count();
            if digits_dots >= 5 && after[digits_dots..].starts_with('>') {
                out.push_str("<pid>");
                i += digits_dots + 2;
                continue;
            }
        }
        let c = rest.chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Erlang functions both fuzzers' drivers end with: `shrink/1` prints huge
/// results as a digest, so that neither VM spends a batch printing
/// megabytes; `big_map/1` and `canon/1` tell a map's hash order (over 32
/// keys it is the VM's own) from its contents.
pub const DIGESTS: &str = r#"
shrink(I) when is_integer(I), (I > 1 bsl 4096 orelse I < -(1 bsl 4096)) ->
    {'$big', I rem 4294967291};
shrink(B) when is_binary(B), byte_size(B) > 4096 -> {'$bin', byte_size(B), erlang:crc32(B)};
shrink(T) when is_tuple(T) -> list_to_tuple(shrink_list(tuple_to_list(T)));
shrink(L) when is_list(L) -> shrink_list(L);
shrink(X) -> X.

shrink_list([H | T]) -> [shrink(H) | shrink_list(T)];
shrink_list([]) -> [];
shrink_list(T) -> shrink(T).

big_map(M) when is_map(M) -> map_size(M) > 32 orelse big_map(maps:to_list(M));
big_map(T) when is_tuple(T) -> big_map(tuple_to_list(T));
big_map([H | T]) -> big_map(H) orelse big_map(T);
big_map(_) -> false.

canon(M) when is_map(M) -> {'$map', lists:sort([{canon(K), canon(V)} || {K, V} <- maps:to_list(M)])};
canon(T) when is_tuple(T) -> list_to_tuple(canon(tuple_to_list(T)));
canon([H | T]) -> [canon(H) | canon(T)];
canon(X) -> X.
"#;

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_what_each_vm_numbers_itself() {
        assert_eq!(
            mask("{ok,[<0.85.0>,#Ref<0.1.2.3>,#Fun<m.3.12>,'<0.1>']}"),
            "{ok,[<pid>,#Ref,#Fun,'<0.1>']}"
        );
    }
}
