//! Compatibility reports: how much of a set of modules translates, per
//! application and per module, with the unsupported constructs grouped by
//! opcode. Rendered as text, Markdown, or JSON (schema in `docs/report.md`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::translate::{Translation, Unsupported};

/// The JSON format's name and version, so tools can check what they read.
pub const FORMAT: &str = "lam-translate-report";
/// Bumped whenever a field changes meaning or disappears.
pub const VERSION: u32 = 1;

/// One unsupported construct, as reported.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnsupportedEntry {
    /// `name/arity` of the function.
    pub function: String,
    /// The BEAM opcode.
    pub opcode: String,
    /// Source file, if known.
    pub file: Option<String>,
    /// Source line, if known.
    pub line: Option<u32>,
}

/// One module's result.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleReport {
    /// Module name (empty when the file could not be read).
    pub module: String,
    /// The `.beam` file.
    pub path: PathBuf,
    /// Whether it translated (possibly with unsupported constructs).
    pub translated: bool,
    /// Why it did not, if it did not.
    pub error: Option<String>,
    /// Number of functions.
    pub functions: usize,
    /// Functions with nothing unsupported.
    pub functions_full: usize,
    /// Every unsupported construct.
    pub unsupported: Vec<UnsupportedEntry>,
}

/// Totals over a group of modules.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Modules seen.
    pub modules: usize,
    /// Modules that translated.
    pub modules_translated: usize,
    /// Functions.
    pub functions: usize,
    /// Functions with nothing unsupported.
    pub functions_full: usize,
    /// `functions_full / functions` (1.0 when there are none).
    pub share_full: f64,
    /// Unsupported constructs, by opcode.
    pub unsupported_by_opcode: BTreeMap<String, usize>,
}

/// One application (an OTP or Elixir app directory, or a plain directory).
#[derive(Debug, Clone, Serialize)]
pub struct AppReport {
    /// Application name (`stdlib`, `elixir`, ...).
    pub name: String,
    /// Totals for the application.
    pub totals: Totals,
    /// Per module, sorted by name.
    pub modules: Vec<ModuleReport>,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Always [`VERSION`].
    pub version: u32,
    /// Totals over everything.
    pub totals: Totals,
    /// Per application, sorted by name.
    pub applications: Vec<AppReport>,
}

impl ModuleReport {
    /// The report of a translated module.
    pub fn from_translation(path: &Path, t: &Translation) -> ModuleReport {
        ModuleReport {
            module: t.module.name().to_string(),
            path: path.to_path_buf(),
            translated: true,
            error: None,
            functions: t.functions,
            functions_full: t.functions_full,
            unsupported: t.unsupported.iter().map(entry).collect(),
        }
    }

    /// The report of a file that could not be read or translated.
    pub fn failed(path: &Path, error: String) -> ModuleReport {
        let module = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        ModuleReport {
            module,
            path: path.to_path_buf(),
            translated: false,
            error: Some(error),
            functions: 0,
            functions_full: 0,
            unsupported: vec![],
        }
    }
}

fn entry(u: &Unsupported) -> UnsupportedEntry {
    UnsupportedEntry {
        function: format!("{}/{}", u.function, u.arity),
        opcode: u.opcode.to_string(),
        file: u.file.clone(),
        line: u.line,
    }
}

/// The application a `.beam` belongs to: the directory above `ebin`, without
/// its version suffix (`.../stdlib-4.2/ebin/lists.beam` is `stdlib`), else
/// the directory the file is in.
pub fn application_of(path: &Path) -> String {
    let dir = path.parent();
    let app_dir = match dir {
        Some(d) if d.file_name().is_some_and(|n| n == "ebin") => d.parent(),
        d => d,
    };
    let name = app_dir
        .and_then(|d| d.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".into());
    match name.rsplit_once('-') {
        Some((app, vsn)) if vsn.starts_with(|c: char| c.is_ascii_digit()) => app.to_string(),
        _ => name,
    }
}

fn totals<'a>(modules: impl Iterator<Item = &'a ModuleReport>) -> Totals {
    let mut t = Totals::default();
    for m in modules {
        t.modules += 1;
        t.modules_translated += m.translated as usize;
        t.functions += m.functions;
        t.functions_full += m.functions_full;
        for u in &m.unsupported {
            *t.unsupported_by_opcode.entry(u.opcode.clone()).or_default() += 1;
        }
    }
    t.share_full = if t.functions == 0 {
        1.0
    } else {
        t.functions_full as f64 / t.functions as f64
    };
    t
}

impl Report {
    /// Builds a report from per-module results.
    pub fn new(modules: Vec<ModuleReport>) -> Report {
        let mut apps: BTreeMap<String, Vec<ModuleReport>> = BTreeMap::new();
        for m in modules {
            apps.entry(application_of(&m.path)).or_default().push(m);
        }
        let applications: Vec<AppReport> = apps
            .into_iter()
            .map(|(name, mut modules)| {
                modules.sort_by(|a, b| a.module.cmp(&b.module).then(a.path.cmp(&b.path)));
                AppReport {
                    name,
                    totals: totals(modules.iter()),
                    modules,
                }
            })
            .collect();
        let all = totals(applications.iter().flat_map(|a| a.modules.iter()));
        Report {
            format: FORMAT,
            version: VERSION,
            totals: all,
            applications,
        }
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// The report as plain text.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let pct = |t: &Totals| 100.0 * t.share_full;
        for a in &self.applications {
            let t = &a.totals;
            let _ = writeln!(
                s,
                "{:<24} {:>5} modules  {:>6}/{:<6} functions fully translated ({:.1}%)",
                a.name,
                t.modules,
                t.functions_full,
                t.functions,
                pct(t)
            );
            for m in &a.modules {
                if let Some(e) = &m.error {
                    let _ = writeln!(s, "    {}: not translated: {e}", m.path.display());
                } else if !m.unsupported.is_empty() {
                    let _ = writeln!(
                        s,
                        "    {}: {}/{} functions; unsupported: {}",
                        m.module,
                        m.functions_full,
                        m.functions,
                        by_opcode(&m.unsupported)
                    );
                }
            }
        }
        let t = &self.totals;
        let _ = writeln!(
            s,
            "total: {}/{} modules translated, {}/{} functions fully translated ({:.2}%), {} unsupported constructs",
            t.modules_translated,
            t.modules,
            t.functions_full,
            t.functions,
            pct(t),
            t.unsupported_by_opcode.values().sum::<usize>()
        );
        for (op, n) in &t.unsupported_by_opcode {
            let _ = writeln!(s, "    {op}: {n}");
        }
        s
    }

    /// The report as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = String::from("# LAM compatibility report\n\n");
        let t = &self.totals;
        let _ = writeln!(
            s,
            "{} of {} modules translated; {} of {} functions fully translated ({:.2}%).\n",
            t.modules_translated,
            t.modules,
            t.functions_full,
            t.functions,
            100.0 * t.share_full
        );
        s.push_str("| application | modules | functions | fully translated | unsupported |\n|---|---:|---:|---:|---|\n");
        for a in &self.applications {
            let t = &a.totals;
            let uns: Vec<String> = t
                .unsupported_by_opcode
                .iter()
                .map(|(o, n)| format!("`{o}` {n}"))
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.1}% | {} |",
                a.name,
                t.modules,
                t.functions,
                100.0 * t.share_full,
                uns.join(", ")
            );
        }
        let problems: Vec<&ModuleReport> = self
            .applications
            .iter()
            .flat_map(|a| a.modules.iter())
            .filter(|m| m.error.is_some() || !m.unsupported.is_empty())
            .collect();
        if !problems.is_empty() {
            s.push_str("\n## Modules with unsupported constructs\n\n| module | functions | unsupported |\n|---|---:|---|\n");
            for m in problems {
                let what = match &m.error {
                    Some(e) => format!("not translated: {e}"),
                    None => by_opcode(&m.unsupported),
                };
                let _ = writeln!(
                    s,
                    "| `{}` | {}/{} | {} |",
                    m.module, m.functions_full, m.functions, what
                );
            }
        }
        s
    }
}

fn by_opcode(us: &[UnsupportedEntry]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for u in us {
        *counts.entry(&u.opcode).or_default() += 1;
    }
    counts
        .iter()
        .map(|(o, n)| format!("{o} x{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_names() {
        assert_eq!(
            application_of(Path::new("/usr/lib/erlang/lib/stdlib-4.2/ebin/lists.beam")),
            "stdlib"
        );
        assert_eq!(
            application_of(Path::new(
                "/usr/lib/elixir/lib/elixir/ebin/Elixir.Enum.beam"
            )),
            "elixir"
        );
        assert_eq!(application_of(Path::new("fixtures/hello.beam")), "fixtures");
        assert_eq!(application_of(Path::new("/x/my-app/ebin/m.beam")), "my-app");
    }

    #[test]
    fn totals_and_renderings() {
        let ok = ModuleReport {
            module: "a".into(),
            path: "/l/app-1.0/ebin/a.beam".into(),
            translated: true,
            error: None,
            functions: 4,
            functions_full: 3,
            unsupported: vec![UnsupportedEntry {
                function: "f/1".into(),
                opcode: "put_string".into(),
                file: Some("a.erl".into()),
                line: Some(3),
            }],
        };
        let bad = ModuleReport::failed(Path::new("/l/app-1.0/ebin/b.beam"), "truncated".into());
        let r = Report::new(vec![bad, ok]);
        assert_eq!(r.applications.len(), 1);
        assert_eq!(r.totals.modules, 2);
        assert_eq!(r.totals.modules_translated, 1);
        assert_eq!(r.totals.share_full, 0.75);
        assert_eq!(r.totals.unsupported_by_opcode["put_string"], 1);
        assert_eq!(r.applications[0].modules[0].module, "a");
        assert!(
            r.text()
                .contains("a: 3/4 functions; unsupported: put_string x1")
        );
        assert!(
            r.markdown()
                .contains("| app | 2 | 4 | 75.0% | `put_string` 1 |")
        );
        let v: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(v["format"], FORMAT);
        assert_eq!(v["applications"][0]["modules"][1]["error"], "truncated");
    }
}
