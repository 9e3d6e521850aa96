//! Compatibility reports: how much of a set of modules translates and can
//! run on LAM, per application and per module. Every call is resolved
//! against what the VM implements (its native registry) and the modules it
//! can load (those reported on and the code path), so a module whose code
//! translates but whose NIFs do not exist on LAM is not called compatible.
//! Rendered as text, Markdown, or JSON (schema in `docs/report.md`).

pub mod calls;
mod render;
pub mod resolve;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::translate::{Translation, Unsupported};
use calls::{ModuleCalls, Via, module_calls};
use resolve::{Status, Universe};

/// The JSON format's name and version, so tools can check what they read.
pub const FORMAT: &str = "lam-translate-report";
/// Bumped whenever a field changes meaning or disappears (and, once, when
/// call resolution came: see `docs/report.md`).
pub const VERSION: u32 = 2;

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

/// One call that cannot run on LAM.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnsupportedCall {
    /// `name/arity` of the calling function.
    pub function: String,
    /// `module:function/arity` it calls.
    pub target: String,
    /// How it calls it.
    pub via: Via,
    /// Why it cannot run: never `native` or `code`.
    pub status: Status,
    /// Source file, if known.
    pub file: Option<String>,
    /// Source line, if known.
    pub line: Option<u32>,
}

/// Call sites by what they reach.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct CallCounts {
    /// Natives of the VM.
    pub native: usize,
    /// Erlang code LAM runs.
    pub code: usize,
    /// NIF and BIF stubs with no native.
    pub missing_native: usize,
    /// Port BIFs with no native.
    pub port: usize,
    /// Functions their (existing) module does not export.
    pub undefined: usize,
    /// Modules that exist nowhere.
    pub unresolved: usize,
}

impl CallCounts {
    fn add(&mut self, s: Status, n: usize) {
        *match s {
            Status::Native => &mut self.native,
            Status::Code => &mut self.code,
            Status::MissingNative => &mut self.missing_native,
            Status::Port => &mut self.port,
            Status::Undefined => &mut self.undefined,
            Status::Unresolved => &mut self.unresolved,
        } += n;
    }

    fn merge(&mut self, o: &CallCounts) {
        self.native += o.native;
        self.code += o.code;
        self.missing_native += o.missing_native;
        self.port += o.port;
        self.undefined += o.undefined;
        self.unresolved += o.unresolved;
    }

    /// Call sites that cannot run.
    pub fn unsupported(&self) -> usize {
        self.missing_native + self.port + self.undefined + self.unresolved
    }
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
    /// Functions that can run: fully translated, and every call they make
    /// directly reaches a native or code LAM runs.
    pub functions_runnable: usize,
    /// Whether it calls `erlang:load_nif/2`.
    pub loads_nifs: bool,
    /// Its NIF stubs that have no native (`name/arity`).
    pub nif_stubs: Vec<String>,
    /// Its call sites, by what they reach.
    pub call_sites: CallCounts,
    /// Every unsupported construct.
    pub unsupported: Vec<UnsupportedEntry>,
    /// Every call that cannot run, in code order.
    pub unsupported_calls: Vec<UnsupportedCall>,
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
    /// Functions that can run.
    pub functions_runnable: usize,
    /// `functions_runnable / functions` (1.0 when there are none).
    pub share_runnable: f64,
    /// Modules that call `erlang:load_nif/2`.
    pub modules_loading_nifs: usize,
    /// NIF stubs with no native.
    pub nif_stubs: usize,
    /// Call sites, by what they reach.
    pub call_sites: CallCounts,
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

/// A function that cannot run on LAM, with everything that calls it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TargetSummary {
    /// `module:function/arity`.
    pub target: String,
    /// Why it cannot run.
    pub status: Status,
    /// Call sites.
    pub call_sites: usize,
    /// Distinct calling functions.
    pub functions: usize,
    /// Distinct calling modules.
    pub modules: usize,
}

/// A module called but found nowhere.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnresolvedModule {
    /// Its name.
    pub module: String,
    /// Call sites.
    pub call_sites: usize,
    /// Distinct calling modules.
    pub modules: usize,
    /// The functions called, `module:function/arity`, sorted.
    pub targets: Vec<String>,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Always [`VERSION`].
    pub version: u32,
    /// Directories searched for modules that calls reach, beyond those
    /// reported on.
    pub code_path: Vec<PathBuf>,
    /// Totals over everything.
    pub totals: Totals,
    /// Functions with no native on LAM (statuses `missing_native` and
    /// `port`), most call sites first.
    pub missing_natives: Vec<TargetSummary>,
    /// Modules found nowhere, most call sites first.
    pub unresolved_modules: Vec<UnresolvedModule>,
    /// Functions their module does not export, most call sites first.
    pub undefined_functions: Vec<TargetSummary>,
    /// Per application, sorted by name.
    pub applications: Vec<AppReport>,
}

/// A module read and translated, with its calls, before resolution.
#[derive(Debug)]
pub struct Analyzed {
    /// What can be said without looking at other modules.
    pub report: ModuleReport,
    /// Its calls, if it translated.
    pub calls: Option<ModuleCalls>,
}

impl ModuleReport {
    /// The report of a translated module, before its calls are resolved.
    pub fn from_translation(path: &Path, t: &Translation) -> ModuleReport {
        ModuleReport {
            module: t.module.name().to_string(),
            path: path.to_path_buf(),
            translated: true,
            error: None,
            functions: t.functions,
            functions_full: t.functions_full,
            functions_runnable: t.functions_full,
            loads_nifs: false,
            nif_stubs: vec![],
            call_sites: CallCounts::default(),
            unsupported: t.unsupported.iter().map(entry).collect(),
            unsupported_calls: vec![],
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
            functions_runnable: 0,
            loads_nifs: false,
            nif_stubs: vec![],
            call_sites: CallCounts::default(),
            unsupported: vec![],
            unsupported_calls: vec![],
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

/// Reads, translates and analyses one `.beam` file.
pub fn analyze_file(path: &Path) -> Analyzed {
    let translated = crate::beam::read_file(path)
        .and_then(|m| crate::translate::translate(&m).map_err(|e| e.in_file(path)));
    match translated {
        Ok(t) => Analyzed {
            report: ModuleReport::from_translation(path, &t),
            calls: Some(module_calls(&t.module)),
        },
        Err(e) => Analyzed {
            report: ModuleReport::failed(path, e.to_string()),
            calls: None,
        },
    }
}

/// Resolves every call of the analysed modules against the VM's natives,
/// the analysed modules themselves and the modules on `code_path` (read
/// only when a call reaches them), and builds the report.
pub fn build(analyzed: Vec<Analyzed>, code_path: &[PathBuf]) -> Report {
    let (reports, calls): (Vec<ModuleReport>, Vec<Option<ModuleCalls>>) =
        analyzed.into_iter().map(|a| (a.report, a.calls)).unzip();
    let known: HashSet<&str> = calls.iter().flatten().map(|c| &*c.name).collect();
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    for c in calls.iter().flatten() {
        for t in &c.targets {
            if !known.contains(&*t.module) {
                wanted.insert(&t.module);
            }
        }
    }
    let path = crate::vm::code::path::CodePath::new(code_path.to_vec());
    let files: Vec<&Path> = wanted.iter().filter_map(|m| path.find(m)).collect();
    // A module that cannot be read is left out: calls to it are unresolved,
    // as the VM, failing to load it, finds nothing to call either.
    let extra: Vec<ModuleCalls> = files
        .par_iter()
        .filter_map(|f| crate::vm::code::path::read_module(f).ok())
        .map(|(m, _md5)| module_calls(&m))
        .collect();
    let universe = Universe::new(
        crate::vm::natives::registry(),
        calls.iter().flatten().chain(extra.iter()),
    );
    let modules: Vec<ModuleReport> = reports
        .into_par_iter()
        .zip(&calls)
        .map(|(r, c)| match c {
            Some(c) => resolve_module(r, c, &universe),
            None => r,
        })
        .collect();
    // Freeing a quarter of a million call sites one by one shows in the
    // report's time: they go in parallel instead.
    drop(universe);
    calls
        .into_par_iter()
        .chain(extra.into_par_iter().map(Some))
        .for_each(drop);
    Report::new(modules, code_path.to_vec())
}

/// Fills in what a module's calls reach.
fn resolve_module(mut r: ModuleReport, c: &ModuleCalls, u: &Universe<'_>) -> ModuleReport {
    // A target is only ever reached one way, locally or not (calls.rs
    // keys local targets apart), so one status per target.
    let mut local = vec![false; c.targets.len()];
    for s in c.functions.iter().flat_map(|f| &f.sites) {
        if s.via == Via::Local {
            local[s.target as usize] = true;
        }
    }
    let status: Vec<Status> = c
        .targets
        .iter()
        .zip(&local)
        .map(|(t, &local)| {
            let via = if local { Via::Local } else { Via::Call };
            u.resolve(&t.module, &t.function, t.arity, via)
        })
        .collect();
    r.loads_nifs = c.loads_nifs;
    r.functions_runnable = 0;
    for f in &c.functions {
        if f.nif_stub {
            // A stub's own calls are what raises; whether it runs depends
            // only on a native existing for it.
            if u.has_native(&c.name, &f.name, f.arity) {
                r.functions_runnable += 1;
            } else {
                r.nif_stubs.push(format!("{}/{}", f.name, f.arity));
            }
            continue;
        }
        let mut runs = f.full;
        for s in &f.sites {
            let st = status[s.target as usize];
            if s.via == Via::Local && st == Status::Code {
                continue;
            }
            r.call_sites.add(st, 1);
            if st.runs() {
                continue;
            }
            runs = false;
            let (file, line) = match c.location(s) {
                Some((file, line)) => (Some(file.to_string()), Some(line)),
                None => (None, None),
            };
            r.unsupported_calls.push(UnsupportedCall {
                function: format!("{}/{}", f.name, f.arity),
                target: c.targets[s.target as usize].to_string(),
                via: s.via,
                status: st,
                file,
                line,
            });
        }
        r.functions_runnable += runs as usize;
    }
    r
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

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

fn totals<'a>(modules: impl Iterator<Item = &'a ModuleReport>) -> Totals {
    let mut t = Totals::default();
    for m in modules {
        t.modules += 1;
        t.modules_translated += m.translated as usize;
        t.functions += m.functions;
        t.functions_full += m.functions_full;
        t.functions_runnable += m.functions_runnable;
        t.modules_loading_nifs += m.loads_nifs as usize;
        t.nif_stubs += m.nif_stubs.len();
        t.call_sites.merge(&m.call_sites);
        for u in &m.unsupported {
            *t.unsupported_by_opcode.entry(u.opcode.clone()).or_default() += 1;
        }
    }
    t.share_full = share(t.functions_full, t.functions);
    t.share_runnable = share(t.functions_runnable, t.functions);
    t
}

/// Call sites, calling functions and calling modules of one target.
#[derive(Default)]
struct Callers<'a> {
    sites: usize,
    functions: BTreeSet<(&'a str, &'a str)>,
    modules: BTreeSet<&'a str>,
}

/// The unsupported targets of `modules`, grouped and ranked.
fn rank(
    modules: &[&ModuleReport],
) -> (
    Vec<TargetSummary>,
    Vec<UnresolvedModule>,
    Vec<TargetSummary>,
) {
    let mut by_target: BTreeMap<(&str, Status), Callers<'_>> = BTreeMap::new();
    for m in modules {
        for c in &m.unsupported_calls {
            let e = by_target.entry((&c.target, c.status)).or_default();
            e.sites += 1;
            e.functions.insert((&m.module, &c.function));
            e.modules.insert(&m.module);
        }
    }
    let mut missing = Vec::new();
    let mut undefined = Vec::new();
    let mut unresolved: BTreeMap<&str, (Callers<'_>, Vec<String>)> = BTreeMap::new();
    for ((target, status), callers) in &by_target {
        let summary = TargetSummary {
            target: target.to_string(),
            status: *status,
            call_sites: callers.sites,
            functions: callers.functions.len(),
            modules: callers.modules.len(),
        };
        match status {
            Status::MissingNative | Status::Port => missing.push(summary),
            Status::Undefined => undefined.push(summary),
            Status::Unresolved => {
                let module = target.rsplit_once(':').map_or(*target, |(m, _)| m);
                let e = unresolved.entry(module).or_default();
                e.0.sites += callers.sites;
                e.0.modules.extend(callers.modules.iter().copied());
                e.1.push(target.to_string());
            }
            Status::Native | Status::Code => {}
        }
    }
    let most_first = |a: &TargetSummary, b: &TargetSummary| {
        (b.call_sites, b.modules)
            .cmp(&(a.call_sites, a.modules))
            .then_with(|| a.target.cmp(&b.target))
    };
    missing.sort_by(most_first);
    undefined.sort_by(most_first);
    let mut unresolved: Vec<UnresolvedModule> = unresolved
        .into_iter()
        .map(|(module, (callers, targets))| UnresolvedModule {
            module: module.to_string(),
            call_sites: callers.sites,
            modules: callers.modules.len(),
            targets,
        })
        .collect();
    unresolved.sort_by(|a, b| {
        (b.call_sites, b.modules)
            .cmp(&(a.call_sites, a.modules))
            .then_with(|| a.module.cmp(&b.module))
    });
    (missing, unresolved, undefined)
}

impl Report {
    /// Builds a report from per-module results (with their calls resolved).
    pub fn new(modules: Vec<ModuleReport>, code_path: Vec<PathBuf>) -> Report {
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
        let all: Vec<&ModuleReport> = applications.iter().flat_map(|a| &a.modules).collect();
        let (missing_natives, unresolved_modules, undefined_functions) = rank(&all);
        let totals = totals(all.into_iter());
        Report {
            format: FORMAT,
            version: VERSION,
            code_path,
            totals,
            missing_natives,
            unresolved_modules,
            undefined_functions,
            applications,
        }
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }
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

    fn crypto_like_report() -> ModuleReport {
        let m = calls::tests::crypto_like();
        let c = module_calls(&m);
        let u = Universe::new(crate::vm::natives::registry(), [&c]);
        let r = ModuleReport {
            module: "m".into(),
            path: "/l/app-1.0/ebin/m.beam".into(),
            translated: true,
            error: None,
            functions: 5,
            functions_full: 5,
            functions_runnable: 5,
            loads_nifs: false,
            nif_stubs: vec![],
            call_sites: CallCounts::default(),
            unsupported: vec![],
            unsupported_calls: vec![],
        };
        resolve_module(r, &c, &u)
    }

    #[test]
    fn resolution_of_a_module() {
        let r = crypto_like_report();
        assert!(r.loads_nifs);
        assert_eq!(r.nif_stubs, ["stub_error/1", "hash_nif/2"]);
        let ets_new = crate::vm::natives::registry().get("ets", "new", 2);
        let load_nif = crate::vm::natives::registry().get("erlang", "load_nif", 2);
        // hash/2 reaches a stub; table/0 and init/0 run if ets:new/2 and
        // erlang:load_nif/2 have natives.
        assert_eq!(
            r.functions_runnable,
            ets_new.is_some() as usize + load_nif.is_some() as usize
        );
        let hash_nif = UnsupportedCall {
            function: "hash/2".into(),
            target: "m:hash_nif/2".into(),
            via: Via::Local,
            status: Status::MissingNative,
            file: Some("m.erl".into()),
            line: Some(3),
        };
        assert_eq!(r.unsupported_calls[0], hash_nif);
        // Only m is known here: without natives, ets and erlang are found nowhere.
        assert_eq!(r.call_sites.missing_native, 1);
        assert_eq!(
            r.call_sites.unresolved,
            ets_new.is_none() as usize + load_nif.is_none() as usize
        );
        assert_eq!(
            r.call_sites.native,
            1 + ets_new.is_some() as usize + load_nif.is_some() as usize,
            "erlang:iolist_to_binary/1 is a native"
        );
    }

    #[test]
    fn totals_rankings_and_renderings() {
        let ok = ModuleReport {
            module: "a".into(),
            path: "/l/app-1.0/ebin/a.beam".into(),
            translated: true,
            error: None,
            functions: 4,
            functions_full: 3,
            functions_runnable: 2,
            loads_nifs: true,
            nif_stubs: vec!["g_nif/0".into()],
            call_sites: CallCounts {
                native: 5,
                missing_native: 2,
                unresolved: 1,
                ..CallCounts::default()
            },
            unsupported: vec![UnsupportedEntry {
                function: "f/1".into(),
                opcode: "put_string".into(),
                file: Some("a.erl".into()),
                line: Some(3),
            }],
            unsupported_calls: vec![
                UnsupportedCall {
                    function: "g/0".into(),
                    target: "a:g_nif/0".into(),
                    via: Via::Local,
                    status: Status::MissingNative,
                    file: Some("a.erl".into()),
                    line: Some(7),
                },
                UnsupportedCall {
                    function: "h/0".into(),
                    target: "a:g_nif/0".into(),
                    via: Via::Local,
                    status: Status::MissingNative,
                    file: Some("a.erl".into()),
                    line: Some(9),
                },
                UnsupportedCall {
                    function: "h/0".into(),
                    target: "dep:f/1".into(),
                    via: Via::Call,
                    status: Status::Unresolved,
                    file: None,
                    line: None,
                },
            ],
        };
        let bad = ModuleReport::failed(Path::new("/l/app-1.0/ebin/b.beam"), "truncated".into());
        let r = Report::new(vec![bad, ok], vec!["/otp/lib".into()]);
        assert_eq!(r.applications.len(), 1);
        assert_eq!(r.totals.modules, 2);
        assert_eq!(r.totals.modules_translated, 1);
        assert_eq!(r.totals.share_full, 0.75);
        assert_eq!(r.totals.share_runnable, 0.5);
        assert_eq!(r.totals.modules_loading_nifs, 1);
        assert_eq!(r.totals.nif_stubs, 1);
        assert_eq!(r.totals.call_sites.unsupported(), 3);
        assert_eq!(r.totals.unsupported_by_opcode["put_string"], 1);
        assert_eq!(r.applications[0].modules[0].module, "a");
        assert_eq!(
            r.missing_natives,
            [TargetSummary {
                target: "a:g_nif/0".into(),
                status: Status::MissingNative,
                call_sites: 2,
                functions: 2,
                modules: 1
            }]
        );
        assert_eq!(
            r.unresolved_modules,
            [UnresolvedModule {
                module: "dep".into(),
                call_sites: 1,
                modules: 1,
                targets: vec!["dep:f/1".into()]
            }]
        );
        assert!(r.undefined_functions.is_empty());

        let text = r.text();
        let top = text.find("a:g_nif/0 — 2 call sites in 1 module").unwrap();
        let apps = text.find("app ").unwrap();
        assert!(top < apps, "the top list comes first:\n{text}");
        assert!(text.contains("dep — 1 call site in 1 module"), "{text}");
        assert!(text.contains("Modules that load NIFs (1): a"), "{text}");
        assert!(
            text.contains(
                "a: 3/4 functions fully translated, 2 can run; unsupported: put_string x1; loads NIFs; 1 NIF stub without a native"
            ),
            "{text}"
        );
        assert!(
            text.contains("a:g_nif/0 (missing native): g/0 at a.erl:7, h/0 at a.erl:9"),
            "{text}"
        );
        let md = r.markdown();
        assert!(
            md.find("| `a:g_nif/0` | 2 | 2 | 1 |").unwrap() < md.find("## Applications").unwrap()
        );
        assert!(
            md.contains("| app | 2 | 4 | 75.0% | 50.0% | `put_string` 1, 2 calls to missing natives, 1 call to an unresolved module |"),
            "{md}"
        );
        let v: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(v["format"], FORMAT);
        assert_eq!(v["version"], VERSION);
        assert_eq!(v["code_path"][0], "/otp/lib");
        assert_eq!(v["missing_natives"][0]["status"], "missing_native");
        let a = &v["applications"][0]["modules"][0];
        assert_eq!(a["unsupported_calls"][2]["via"], "call");
        assert_eq!(a["unsupported_calls"][2]["status"], "unresolved");
        assert_eq!(a["call_sites"]["missing_native"], 2);
        assert_eq!(v["applications"][0]["modules"][1]["error"], "truncated");
    }
}
