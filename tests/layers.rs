//! The VM's layers (`docs/vm.md`): every file under `src/vm/` sits in one
//! layer's folder and imports only from its own layer and those below, and
//! no two of its files import each other, directly or around a cycle. The
//! test reads the source, so it holds for code that is not compiled in a
//! given configuration too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, bottom first.
const LAYERS: &[&str] = &[
    "platform", "re", "term", "ops", "native", "code", "natives", "exec", "runtime",
];

/// A file of the VM, as `layer/module` (`layer/mod` for a layer's `mod.rs`).
type Node = String;

fn layer_of(node: &str) -> Option<usize> {
    let l = node.split('/').next()?;
    LAYERS.iter().position(|x| *x == l)
}

/// Every `.rs` file under `src/vm`, as nodes with their text.
fn files() -> BTreeMap<Node, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/vm");
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(&root).unwrap().with_extension("");
                let node = rel.to_string_lossy().replace('\\', "/");
                out.insert(node, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

/// The text with comments and string literals blanked out, so that paths
/// in docs and messages are not taken for imports.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '"' or '{'.
            i += 3;
            out.push_str("' '");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// The path segments that follow each `crate::vm::` in the code; a group
/// (`a::{b, c::d}`) gives one path per member.
fn vm_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::vm::") {
        rest = &rest[i + "crate::vm::".len()..];
        expand(rest, Vec::new(), &mut out);
    }
    out
}

fn expand(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut t = text;
    loop {
        let name: String = t
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            t = &t[name.len()..];
            path.push(name);
        }
        if let Some(r) = t.strip_prefix("::") {
            t = r;
            if let Some(r) = t.strip_prefix('{') {
                // One path per member of the group.
                let mut depth = 0;
                let mut start = 0;
                for (i, c) in r.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            expand(r[start..i].trim(), path.clone(), out);
                            return;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(r[start..i].trim(), path.clone(), out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                return;
            }
            continue;
        }
        out.push(path);
        return;
    }
}

/// The file a path names: `layer/module` when the module is a file of
/// that layer, else the layer's `mod.rs` (an item defined there).
fn target(files: &BTreeMap<Node, String>, path: &[String]) -> Option<Node> {
    let layer = path.first()?;
    if let Some(m) = path.get(1) {
        let node = format!("{layer}/{m}");
        if files.contains_key(&node) {
            return Some(node);
        }
    }
    Some(format!("{layer}/mod"))
}

/// Every import edge between VM files (including `super::` within a layer
/// and a `mod.rs`'s re-exports).
fn edges(files: &BTreeMap<Node, String>) -> BTreeMap<Node, BTreeSet<Node>> {
    let mut out: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for (node, text) in files {
        let code = code_only(text);
        let mut targets = BTreeSet::new();
        for p in vm_paths(&code) {
            if let Some(t) = target(files, &p) {
                targets.insert(t);
            }
        }
        let layer = node.split('/').next().unwrap_or("");
        let is_mod = node.ends_with("/mod");
        // `super::x` from a layer's file is a sibling (or the layer's mod.rs);
        // `pub use x::...` / `use self::x` in a mod.rs is one of its children.
        for (pat, from_mod) in [("super::", false), ("self::", true)] {
            let mut rest = code.as_str();
            while let Some(i) = rest.find(pat) {
                rest = &rest[i + pat.len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if from_mod == is_mod && !name.is_empty() {
                    let sib = format!("{layer}/{name}");
                    targets.insert(if files.contains_key(&sib) {
                        sib
                    } else {
                        format!("{layer}/mod")
                    });
                }
            }
        }
        if is_mod {
            for line in code.lines() {
                let l = line.trim_start();
                if let Some(r) = l.strip_prefix("pub use ") {
                    let name: String = r
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    let child = format!("{layer}/{name}");
                    if files.contains_key(&child) {
                        targets.insert(child);
                    }
                }
            }
        }
        // Unit tests (`mod tests { use super::*; }`) import their own file.
        targets.remove(node);
        out.insert(node.clone(), targets);
    }
    out
}

#[test]
fn every_vm_file_is_in_a_layer() {
    let stray: Vec<Node> = files()
        .into_keys()
        .filter(|n| n != "mod" && layer_of(n).is_none())
        .collect();
    assert!(
        stray.is_empty(),
        "files under src/vm outside the layer folders {LAYERS:?}: {stray:?}"
    );
}

#[test]
fn imports_go_down_the_layers() {
    let files = files();
    let mut up = Vec::new();
    for (from, tos) in edges(&files) {
        let Some(lf) = layer_of(&from) else { continue };
        for to in tos {
            match layer_of(&to) {
                Some(lt) if lt > lf => up.push(format!(
                    "{from} ({}) imports {to} ({})",
                    LAYERS[lf], LAYERS[lt]
                )),
                Some(_) => {}
                None => up.push(format!("{from} imports {to}, which is in no layer")),
            }
        }
    }
    assert!(
        up.is_empty(),
        "imports that go up a layer:\n{}",
        up.join("\n")
    );
}

#[test]
fn no_import_cycles() {
    let files = files();
    let graph = edges(&files);
    // Depth-first search; a grey node met again closes a cycle.
    fn visit(
        n: &Node,
        g: &BTreeMap<Node, BTreeSet<Node>>,
        state: &mut BTreeMap<Node, u8>,
        path: &mut Vec<Node>,
        cycles: &mut Vec<String>,
    ) {
        match state.get(n) {
            Some(2) => return,
            Some(1) => {
                let start = path.iter().position(|p| p == n).unwrap_or(0);
                let mut c = path[start..].to_vec();
                c.push(n.clone());
                cycles.push(c.join(" -> "));
                return;
            }
            _ => {}
        }
        state.insert(n.clone(), 1);
        path.push(n.clone());
        for m in g.get(n).into_iter().flatten() {
            visit(m, g, state, path, cycles);
        }
        path.pop();
        state.insert(n.clone(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for n in graph.keys() {
        visit(n, &graph, &mut state, &mut Vec::new(), &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_imports() {
    // The parser itself, on a grouped import and an inline path.
    let paths = vm_paths(&code_only(
        "use crate::vm::term::{atoms::Atoms, word::{Word, kind}};\n\
         let x = crate::vm::ops::arith::arith(); // crate::vm::runtime::x\n\
         let s = \"crate::vm::exec::y\";",
    ));
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "term::atoms::Atoms",
            "term::word::Word",
            "term::word::kind",
            "ops::arith::arith"
        ]
    );
}
