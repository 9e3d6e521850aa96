//! One `.wasm` per application (`lam-translate bundle`): the WebAssembly
//! build of the VM with a custom section, `lam-bundle`, that holds the
//! application's modules (`app/*.beam`, kept as compiled: the VM translates
//! them as it loads them, as `run` does, and `report` can read them) and
//! the OTP modules they reach, translated to LAM and laid out as an OTP
//! tree (`lib/APP/ebin/*.lam`, the `.app` files, the boot file), so that
//! the program runs with no OTP installation. A WASI module
//! cannot read its own bytes, so the host unpacks the section into a
//! directory it gives the module (`web/run-wasi.mjs` does; `docs/wasm.md`).
//!
//! The payload: the magic [`MAGIC`], then entries, each a file's path and
//! its bytes, both preceded by their length (four bytes, little-endian).
//! The first entry, `entry`, names the program's module.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// The custom section's name.
pub const SECTION: &str = "lam-bundle";
/// The payload's first bytes.
pub const MAGIC: &[u8] = b"LAMBUNDLE1\n";

/// The applications whose every module goes in: OTP's boot starts them,
/// and reaches their modules by name at run time, not by calls the
/// `.beam` files import.
const WHOLE_APPS: &[&str] = &["kernel", "stdlib"];

/// What a bundle holds, for the caller to report.
pub struct Bundle {
    /// The `.wasm` bytes.
    pub wasm: Vec<u8>,
    /// How many modules it holds (the application's and OTP's).
    pub modules: usize,
    /// The payload's size in bytes.
    pub payload: usize,
}

/// A module of an installed library: its application directory's name
/// (`stdlib-4.3`) and file.
struct Installed {
    app: String,
    file: PathBuf,
}

/// Every module under the library directories (`lib/APP/ebin/*.beam`),
/// by name; an earlier directory wins.
fn index(libs: &[PathBuf]) -> HashMap<String, Installed> {
    let mut out = HashMap::new();
    for lib in libs {
        let Ok(apps) = std::fs::read_dir(lib) else {
            continue;
        };
        let mut apps: Vec<PathBuf> = apps.flatten().map(|e| e.path()).collect();
        apps.sort();
        for app in apps {
            let Ok(files) = std::fs::read_dir(app.join("ebin")) else {
                continue;
            };
            let name = app
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            for f in files.flatten().map(|e| e.path()) {
                if f.extension().is_some_and(|e| e == "beam")
                    && let Some(stem) = f.file_stem().and_then(|s| s.to_str())
                {
                    out.entry(stem.to_string()).or_insert(Installed {
                        app: name.clone(),
                        file: f.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The application's name without its version (`stdlib-4.3` is `stdlib`).
fn app_name(dir: &str) -> &str {
    dir.split_once('-').map_or(dir, |(n, _)| n)
}

/// The module names a `.beam` file may call: the modules it imports, and
/// the atoms that name an installed module (`apply/3`, callbacks, `M:f()`
/// with `M` a literal the compiler left dynamic).
fn reached(bytes: &[u8], installed: &HashMap<String, Installed>) -> Result<Vec<String>> {
    let beam = crate::beam::read(bytes)?;
    let mut out = Vec::new();
    for i in &beam.imports {
        if let Some(a) = beam.atom(i.module) {
            out.push(a.to_string());
        }
    }
    for a in &beam.atoms {
        let a = a.to_string();
        if installed.contains_key(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

/// The LAM translation of a `.beam` file, or the `.beam` itself when it
/// does not translate (the VM then reports why when the module is loaded,
/// as it does from an OTP tree).
fn translated(bytes: &[u8]) -> (Vec<u8>, &'static str) {
    match crate::beam::read(bytes).and_then(|b| crate::translate::translate(&b)) {
        Ok(t) => (crate::lam::binary::encode(&t.module), "lam"),
        Err(_) => (bytes.to_vec(), "beam"),
    }
}

/// Builds the bundle of `vm` (the WebAssembly build of lam-translate) with
/// the program `files` (`.beam`; the first one's module is the program)
/// and the modules of `libs` (OTP's and Elixir's `lib` directories) they
/// reach. `otp_root` gives the boot file.
pub fn bundle(vm: &[u8], files: &[PathBuf], libs: &[PathBuf], otp_root: &Path) -> Result<Bundle> {
    if vm.get(..4) != Some(b"\0asm") {
        return Err(Error::new(
            ErrorKind::Invalid,
            "the VM given is not a WebAssembly module",
        ));
    }
    let installed = index(libs);
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut todo: Vec<String> = Vec::new();
    let mut own: BTreeSet<String> = BTreeSet::new();
    let mut entry = None;
    for f in files {
        let bytes = std::fs::read(f).map_err(|e| Error::io(f, &e))?;
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        todo.extend(reached(&bytes, &installed).map_err(|e| e.in_file(f))?);
        entries.insert(format!("app/{stem}.beam"), bytes);
        entry.get_or_insert_with(|| stem.clone());
        own.insert(stem);
    }
    let Some(entry) = entry else {
        return Err(Error::new(ErrorKind::Invalid, "no program to bundle"));
    };
    for (name, m) in &installed {
        if WHOLE_APPS.contains(&app_name(&m.app)) {
            todo.push(name.clone());
        }
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut apps: BTreeSet<String> = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if own.contains(&name) || !seen.insert(name.clone()) {
            continue;
        }
        let Some(m) = installed.get(&name) else {
            continue;
        };
        let bytes = std::fs::read(&m.file).map_err(|e| Error::io(&m.file, &e))?;
        if let Ok(more) = reached(&bytes, &installed) {
            todo.extend(more);
        }
        let (out, ext) = translated(&bytes);
        entries.insert(format!("lib/{}/ebin/{name}.{ext}", m.app), out);
        apps.insert(m.app.clone());
    }
    // The applications' resource files, which booting and
    // `application:start/1` read.
    for app in &apps {
        let ebin = libs
            .iter()
            .map(|l| l.join(app).join("ebin"))
            .find(|d| d.is_dir());
        let Some(Ok(files)) = ebin.map(std::fs::read_dir) else {
            continue;
        };
        for f in files.flatten().map(|e| e.path()) {
            if f.extension().is_some_and(|e| e == "app")
                && let Ok(bytes) = std::fs::read(&f)
            {
                let file = f.file_name().unwrap_or_default().to_string_lossy();
                entries.insert(format!("lib/{app}/ebin/{file}"), bytes);
            }
        }
    }
    let boot = otp_root.join("bin/no_dot_erlang.boot");
    if let Ok(bytes) = std::fs::read(&boot) {
        entries.insert("bin/no_dot_erlang.boot".into(), bytes);
    }
    let modules = own.len() + seen.iter().filter(|m| installed.contains_key(*m)).count();
    let mut payload = MAGIC.to_vec();
    let mut put = |name: &str, bytes: &[u8]| {
        payload.extend((name.len() as u32).to_le_bytes());
        payload.extend(name.as_bytes());
        payload.extend((bytes.len() as u32).to_le_bytes());
        payload.extend(bytes);
    };
    put("entry", entry.as_bytes());
    for (name, bytes) in &entries {
        put(name, bytes);
    }
    let mut wasm = vm.to_vec();
    // A custom section: id 0, its size, then its name and contents.
    let mut body = Vec::new();
    leb128(&mut body, SECTION.len() as u64);
    body.extend(SECTION.as_bytes());
    body.extend(&payload);
    wasm.push(0);
    leb128(&mut wasm, body.len() as u64);
    wasm.extend(body);
    Ok(Bundle {
        wasm,
        modules,
        payload: payload.len(),
    })
}

fn leb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
