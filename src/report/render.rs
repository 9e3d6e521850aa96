//! The report for people: plain text and Markdown. Both lead with what
//! blocks the most code, then go application by application.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{ModuleReport, Report, TargetSummary, Totals, UnsupportedCall, UnsupportedEntry};
use crate::report::resolve::Status;

/// How many entries of each ranked list the text and Markdown show (the
/// JSON has them all).
const TOP: usize = 20;
/// How many call sites a text line shows per target and module.
const SITES: usize = 5;
/// What "can run" means, said where the share is given.
const RUNNABLE: &str = "they translate fully and each of their calls reaches a native or \
     Erlang code LAM runs (calls are followed one step, not transitively)";

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn callers(t: &TargetSummary) -> String {
    format!(
        "{} in {}",
        plural(t.call_sites, "call site", "call sites"),
        plural(t.modules, "module", "modules")
    )
}

fn tag(s: Status) -> &'static str {
    match s {
        Status::Port => " (port)",
        _ => "",
    }
}

fn status_words(s: Status) -> &'static str {
    match s {
        Status::Native => "native",
        Status::Code => "code",
        Status::MissingNative => "missing native",
        Status::Port => "port, no native",
        Status::Undefined => "undefined",
        Status::Unresolved => "unresolved module",
    }
}

fn loaders(r: &Report) -> Vec<&str> {
    r.applications
        .iter()
        .flat_map(|a| &a.modules)
        .filter(|m| m.loads_nifs)
        .map(|m| m.module.as_str())
        .collect()
}

fn has_problems(m: &ModuleReport) -> bool {
    m.error.is_some()
        || !m.unsupported.is_empty()
        || !m.unsupported_calls.is_empty()
        || !m.nif_stubs.is_empty()
}

fn more(s: &mut String, shown: usize, total: usize, indent: &str) {
    if total > shown {
        let _ = writeln!(
            s,
            "{indent}... and {} more (--format json lists every one)",
            total - shown
        );
    }
}

/// The unsupported calls of a module grouped by target, in the order
/// their first call site appears.
fn by_target(calls: &[UnsupportedCall]) -> Vec<(&str, Status, Vec<&UnsupportedCall>)> {
    let mut out: Vec<(&str, Status, Vec<&UnsupportedCall>)> = Vec::new();
    for c in calls {
        match out
            .iter_mut()
            .find(|(t, s, _)| *t == c.target && *s == c.status)
        {
            Some((_, _, v)) => v.push(c),
            None => out.push((&c.target, c.status, vec![c])),
        }
    }
    out
}

fn site(c: &UnsupportedCall) -> String {
    match (&c.file, c.line) {
        (Some(f), Some(l)) => format!("{} at {f}:{l}", c.function),
        _ => c.function.clone(),
    }
}

impl Report {
    /// The report as plain text.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let t = &self.totals;
        let _ = writeln!(
            s,
            "{} of {} functions can run on LAM ({:.2}%): {RUNNABLE}.",
            t.functions_runnable,
            t.functions,
            pct(t.functions_runnable, t.functions)
        );
        if !self.missing_natives.is_empty() {
            let _ = writeln!(
                s,
                "\nMissing natives that block the most code (unsupported at run time):"
            );
            for m in self.missing_natives.iter().take(TOP) {
                let _ = writeln!(s, "  {}{} — {}", m.target, tag(m.status), callers(m));
            }
            more(&mut s, TOP, self.missing_natives.len(), "  ");
        }
        if !self.unresolved_modules.is_empty() {
            let _ = writeln!(
                s,
                "\nUnresolved modules (found nowhere: a missing dependency?):"
            );
            for u in self.unresolved_modules.iter().take(TOP) {
                let _ = writeln!(
                    s,
                    "  {} — {} in {}",
                    u.module,
                    plural(u.call_sites, "call site", "call sites"),
                    plural(u.modules, "module", "modules")
                );
            }
            more(&mut s, TOP, self.unresolved_modules.len(), "  ");
        }
        if !self.undefined_functions.is_empty() {
            let _ = writeln!(
                s,
                "\nUndefined functions (their module does not export them):"
            );
            for u in self.undefined_functions.iter().take(TOP) {
                let _ = writeln!(s, "  {} — {}", u.target, callers(u));
            }
            more(&mut s, TOP, self.undefined_functions.len(), "  ");
        }
        let loading = loaders(self);
        if !loading.is_empty() {
            let _ = writeln!(
                s,
                "\nModules that load NIFs ({}): {}",
                loading.len(),
                loading.join(", ")
            );
        }
        s.push('\n');
        for a in &self.applications {
            let t = &a.totals;
            let _ = writeln!(
                s,
                "{:<24} {:>5} modules  {:>6}/{:<6} functions fully translated ({:.1}%), {:>6} can run ({:.1}%)",
                a.name,
                t.modules,
                t.functions_full,
                t.functions,
                100.0 * t.share_full,
                t.functions_runnable,
                100.0 * t.share_runnable
            );
            for m in a.modules.iter().filter(|m| has_problems(m)) {
                module_text(&mut s, m);
            }
        }
        let _ = writeln!(
            s,
            "total: {}/{} modules translated, {}/{} functions fully translated ({:.2}%), {} unsupported constructs; {} can run ({:.2}%), {} unsupported call sites",
            t.modules_translated,
            t.modules,
            t.functions_full,
            t.functions,
            100.0 * t.share_full,
            t.unsupported_by_opcode.values().sum::<usize>(),
            t.functions_runnable,
            100.0 * t.share_runnable,
            t.call_sites.unsupported()
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
            "{} of {} modules translated; {} of {} functions fully translated ({:.2}%); \
             **{} can run ({:.2}%)**: {RUNNABLE}.",
            t.modules_translated,
            t.modules,
            t.functions_full,
            t.functions,
            100.0 * t.share_full,
            t.functions_runnable,
            100.0 * t.share_runnable
        );
        if !self.missing_natives.is_empty() {
            s.push_str("\n## Missing natives that block the most code\n\n| function | call sites | calling functions | calling modules |\n|---|---:|---:|---:|\n");
            for m in self.missing_natives.iter().take(TOP) {
                let _ = writeln!(
                    s,
                    "| `{}`{} | {} | {} | {} |",
                    m.target,
                    tag(m.status),
                    m.call_sites,
                    m.functions,
                    m.modules
                );
            }
            md_more(&mut s, TOP, self.missing_natives.len());
        }
        if !self.unresolved_modules.is_empty() {
            s.push_str("\n## Unresolved modules (a missing dependency?)\n\n| module | call sites | calling modules | functions called |\n|---|---:|---:|---|\n");
            for u in self.unresolved_modules.iter().take(TOP) {
                let called: Vec<String> = u.targets.iter().map(|t| format!("`{t}`")).collect();
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} |",
                    u.module,
                    u.call_sites,
                    u.modules,
                    called.join(", ")
                );
            }
            md_more(&mut s, TOP, self.unresolved_modules.len());
        }
        if !self.undefined_functions.is_empty() {
            s.push_str("\n## Undefined functions\n\n| function | call sites | calling modules |\n|---|---:|---:|\n");
            for u in self.undefined_functions.iter().take(TOP) {
                let _ = writeln!(s, "| `{}` | {} | {} |", u.target, u.call_sites, u.modules);
            }
            md_more(&mut s, TOP, self.undefined_functions.len());
        }
        let loading = loaders(self);
        if !loading.is_empty() {
            let names: Vec<String> = loading.iter().map(|m| format!("`{m}`")).collect();
            let _ = writeln!(s, "\n## Modules that load NIFs\n\n{}", names.join(", "));
        }
        s.push_str("\n## Applications\n\n| application | modules | functions | fully translated | can run | unsupported |\n|---|---:|---:|---:|---:|---|\n");
        for a in &self.applications {
            let t = &a.totals;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.1}% | {:.1}% | {} |",
                a.name,
                t.modules,
                t.functions,
                100.0 * t.share_full,
                100.0 * t.share_runnable,
                unsupported_summary(t)
            );
        }
        let problems: Vec<&ModuleReport> = self
            .applications
            .iter()
            .flat_map(|a| a.modules.iter())
            .filter(|m| has_problems(m))
            .collect();
        if !problems.is_empty() {
            s.push_str("\n## Modules with unsupported constructs or calls\n\n| module | fully translated | can run | unsupported |\n|---|---:|---:|---|\n");
            for m in problems {
                let what = match &m.error {
                    Some(e) => format!("not translated: {e}"),
                    None => module_problems(m, true),
                };
                let _ = writeln!(
                    s,
                    "| `{}` | {}/{} | {}/{} | {} |",
                    m.module,
                    m.functions_full,
                    m.functions,
                    m.functions_runnable,
                    m.functions,
                    what
                );
            }
        }
        s
    }
}

fn md_more(s: &mut String, shown: usize, total: usize) {
    if total > shown {
        let _ = writeln!(
            s,
            "\n... and {} more (the JSON report lists every one).",
            total - shown
        );
    }
}

fn unsupported_summary(t: &Totals) -> String {
    let mut parts: Vec<String> = t
        .unsupported_by_opcode
        .iter()
        .map(|(o, n)| format!("`{o}` {n}"))
        .collect();
    let c = &t.call_sites;
    for (n, one, many) in [
        (
            c.missing_native,
            "call to a missing native",
            "calls to missing natives",
        ),
        (c.port, "port call", "port calls"),
        (
            c.undefined,
            "call to an undefined function",
            "calls to undefined functions",
        ),
        (
            c.unresolved,
            "call to an unresolved module",
            "calls to unresolved modules",
        ),
    ] {
        if n > 0 {
            parts.push(plural(n, one, many));
        }
    }
    parts.join(", ")
}

/// One line of what is wrong with a module: opcodes, NIF loading, stubs
/// and unsupported calls by target.
fn module_problems(m: &ModuleReport, markdown: bool) -> String {
    let code = |x: &str| {
        if markdown {
            format!("`{x}`")
        } else {
            x.to_string()
        }
    };
    let mut parts = Vec::new();
    if !m.unsupported.is_empty() {
        parts.push(format!("unsupported: {}", by_opcode(&m.unsupported)));
    }
    if m.loads_nifs {
        parts.push("loads NIFs".to_string());
    }
    if !m.nif_stubs.is_empty() {
        parts.push(plural(
            m.nif_stubs.len(),
            "NIF stub without a native",
            "NIF stubs without a native",
        ));
    }
    if markdown {
        let calls: Vec<String> = by_target(&m.unsupported_calls)
            .iter()
            .map(|(t, st, sites)| format!("{} ({}) x{}", code(t), status_words(*st), sites.len()))
            .collect();
        if !calls.is_empty() {
            parts.push(format!("calls {}", calls.join(", ")));
        }
    }
    parts.join("; ")
}

fn module_text(s: &mut String, m: &ModuleReport) {
    if let Some(e) = &m.error {
        let _ = writeln!(s, "    {}: not translated: {e}", m.path.display());
        return;
    }
    let problems = module_problems(m, false);
    let _ = writeln!(
        s,
        "    {}: {}/{} functions fully translated, {} can run{}{problems}",
        m.module,
        m.functions_full,
        m.functions,
        m.functions_runnable,
        if problems.is_empty() { "" } else { "; " },
    );
    for (target, status, sites) in by_target(&m.unsupported_calls) {
        let shown: Vec<String> = sites.iter().take(SITES).map(|c| site(c)).collect();
        let rest = if sites.len() > SITES {
            format!(", and {} more", sites.len() - SITES)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "        {target} ({}): {}{rest}",
            status_words(status),
            shown.join(", ")
        );
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
