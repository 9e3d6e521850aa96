//! Finding inputs: `.beam` files under paths, and the installed OTP and
//! Elixir library directories.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, ErrorKind, Result};

/// Every `.beam` file named or found below the given paths (sorted within
/// each directory; files named directly are kept as given).
pub fn beams(paths: &[PathBuf], extension: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, extension, &mut found)?;
            found.sort();
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(Error::new(ErrorKind::Io, "no such file or directory").in_file(p));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, &e))?;
    for e in entries {
        let p = e.map_err(|e| Error::io(dir, &e))?.path();
        if p.is_dir() {
            walk(&p, extension, out)?;
        } else if p.extension().is_some_and(|x| x == extension) {
            out.push(p);
        }
    }
    Ok(())
}

fn run(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A program on the PATH, with symbolic links resolved.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    // std's WASI has no `split_paths` (it panics); the list is Unix's.
    #[cfg(target_os = "wasi")]
    let dirs: Vec<PathBuf> = path
        .to_string_lossy()
        .split(':')
        .map(PathBuf::from)
        .collect();
    #[cfg(not(target_os = "wasi"))]
    let dirs = std::env::split_paths(&path);
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .and_then(|p| p.canonicalize().ok())
}

/// The installed OTP's library directory: `$LAM_OTP_ROOT/lib` when set,
/// else the `ROOTDIR` the `erl` script on the PATH names (read, not run:
/// starting erl takes a tenth of a second), else what running erl reports.
pub fn otp_lib_dir() -> Result<PathBuf> {
    if let Some(root) = std::env::var_os("LAM_OTP_ROOT") {
        return Ok(PathBuf::from(root).join("lib"));
    }
    let from_script = on_path("erl").and_then(|erl| {
        let text = std::fs::read_to_string(erl).ok()?;
        let root = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("ROOTDIR="))?;
        let lib = PathBuf::from(root.trim_matches('"')).join("lib");
        lib.is_dir().then_some(lib)
    });
    if let Some(lib) = from_script {
        return Ok(lib);
    }
    run(Command::new("erl").args([
        "-noshell",
        "-eval",
        "io:format(\"~s\", [code:lib_dir()]), halt().",
    ]))
    .map(PathBuf::from)
    .ok_or_else(|| {
        Error::new(
            ErrorKind::Io,
            "cannot find OTP: set LAM_OTP_ROOT or put erl on the PATH",
        )
    })
}

/// The directory holding Elixir's applications, if Elixir is installed:
/// found from where the `elixir` script lives (`<root>/bin/elixir`,
/// applications in `<root>/lib`), else by running it.
pub fn elixir_lib_dir() -> Option<PathBuf> {
    if let Some(lib) = on_path("elixir")
        .and_then(|e| e.parent()?.parent().map(|root| root.join("lib")))
        .filter(|lib| lib.join("elixir/ebin").is_dir())
    {
        return Some(lib);
    }
    let dir = PathBuf::from(run(
        Command::new("elixir").args(["-e", "IO.puts(:code.lib_dir(:elixir))"])
    )?);
    let dir = dir.canonicalize().unwrap_or(dir);
    dir.parent().map(Path::to_path_buf)
}
