//! The code path: where modules come from, and reading one into a
//! validated and verified LAM module.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::lam::module::Module;

/// Where modules come from: directories searched in order, like `erl -pa`.
#[derive(Debug, Default)]
pub struct CodePath {
    index: HashMap<String, PathBuf>,
    dirs: Vec<PathBuf>,
}

impl CodePath {
    /// A code path over these directories (each searched for `*.beam` and
    /// `*.lam`, and, for OTP-style library roots, `*/ebin`).
    pub fn new(dirs: Vec<PathBuf>) -> CodePath {
        let mut index = HashMap::new();
        for d in &dirs {
            let mut candidates = vec![d.clone()];
            if let Ok(entries) = std::fs::read_dir(d) {
                let mut apps: Vec<PathBuf> = entries
                    .flatten()
                    .map(|e| e.path().join("ebin"))
                    .filter(|p| p.is_dir())
                    .collect();
                apps.sort();
                candidates.extend(apps);
            }
            for c in candidates {
                let Ok(entries) = std::fs::read_dir(&c) else {
                    continue;
                };
                let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                files.sort();
                for f in files {
                    let ext = f.extension().and_then(|e| e.to_str());
                    if matches!(ext, Some("beam" | "lam"))
                        && let Some(stem) = f.file_stem().and_then(|s| s.to_str())
                    {
                        index.entry(stem.to_string()).or_insert(f.clone());
                    }
                }
            }
        }
        CodePath { index, dirs }
    }

    /// The directories, in order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The file of a module, if any directory holds it.
    pub fn find(&self, module: &str) -> Option<&Path> {
        self.index.get(module).map(PathBuf::as_path)
    }
}

/// Reads and translates (or decodes) a module file into a validated LAM
/// module, with the MD5 erl gives a `.beam` file's module (none for `.lam`).
pub fn read_module(path: &Path) -> Result<(Module, Option<[u8; 16]>)> {
    let (m, md5) = if path.extension().is_some_and(|e| e == "lam") {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
        let m = crate::lam::binary::decode(&bytes).map_err(|e| e.in_file(path))?;
        // A translation was verified as it was made; a file was not.
        m.validate()
            .and_then(|()| crate::lam::verify::verify(&m))
            .map_err(|e| {
                Error::new(ErrorKind::Invalid, format!("invalid LAM module: {e}")).in_file(path)
            })?;
        (m, None)
    } else {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
        let beam = crate::beam::read(&bytes).map_err(|e| e.in_file(path))?;
        let md5 = crate::beam::container::module_md5(&bytes).map_err(|e| e.in_file(path))?;
        let m = crate::translate::translate(&beam)
            .map_err(|e| e.in_file(path))?
            .module;
        (m, Some(md5))
    };
    Ok((m, md5))
}
