//! The translator over every installed OTP and Elixir module: the
//! compatibility report (run through the CLI, as a user would) and exact
//! round trips through both LAM formats.

mod common;

use std::process::Command;

use lam_translate::lam::{binary, text};
use rayon::prelude::*;

#[test]
fn report_over_installed_otp_and_elixir_shows_everything_translated() {
    let out_file = common::root().join("target/lam-report-installed.json");
    let out = Command::new(env!("CARGO_BIN_EXE_lam-translate"))
        .args(["report", "--format", "json", "-o"])
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    assert_eq!(json["format"], "lam-translate-report");
    assert_eq!(json["version"], lam_translate::report::VERSION);
    let t = &json["totals"];
    let modules = t["modules"].as_u64().unwrap();
    println!(
        "report: {}/{} modules translated, {}/{} functions fully translated (share {}), unsupported: {}; {} can run (share {}), call sites {}",
        t["modules_translated"],
        modules,
        t["functions_full"],
        t["functions"],
        t["share_full"],
        t["unsupported_by_opcode"],
        t["functions_runnable"],
        t["share_runnable"],
        t["call_sites"]
    );
    let missing = json["missing_natives"].as_array().unwrap();
    println!("missing natives that block the most code:");
    for m in missing.iter().take(10) {
        println!(
            "  {} ({}): {} call sites in {} modules",
            m["target"], m["status"], m["call_sites"], m["modules"]
        );
    }
    // The ranked list accounts for every unsupported call site of its kinds,
    // most call sites first, none with a native.
    let listed: u64 = missing
        .iter()
        .map(|m| m["call_sites"].as_u64().unwrap())
        .sum();
    let sites = &t["call_sites"];
    assert_eq!(
        listed,
        sites["missing_native"].as_u64().unwrap() + sites["port"].as_u64().unwrap()
    );
    let counts: Vec<u64> = missing
        .iter()
        .map(|m| m["call_sites"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let registry = lam_translate::vm::natives::registry();
    for m in missing {
        let target = m["target"].as_str().unwrap();
        let (module, fa) = target.split_once(':').unwrap();
        let (f, a) = fa.rsplit_once('/').unwrap();
        // Only a local call could reach a stub that has a native (the VM
        // links local calls to the module's code); OTP makes none. A native
        // that only raises notsup is a missing one.
        assert!(
            registry
                .get(module, f, a.parse().unwrap())
                .is_none_or(|n| n.is_notsup()),
            "{target} has a native"
        );
    }
    for a in json["applications"].as_array().unwrap() {
        let t = &a["totals"];
        assert!(
            t["functions_runnable"].as_u64() <= t["functions_full"].as_u64(),
            "{}: {t}",
            a["name"]
        );
    }
    assert!(
        modules >= 1000,
        "expected the ~1,200 installed modules, found {modules}"
    );
    assert_eq!(
        t["modules_translated"], t["modules"],
        "some modules did not translate"
    );
    assert_eq!(
        t["share_full"], 1.0,
        "some functions have unsupported constructs"
    );
    let apps: Vec<&str> = json["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for app in ["stdlib", "kernel", "compiler", "elixir"] {
        assert!(
            apps.contains(&app),
            "application {app} missing from {apps:?}"
        );
    }
}

#[test]
fn every_installed_module_round_trips_through_binary_and_text() {
    let files = common::installed_beams();
    let failures: Vec<String> = files
        .par_iter()
        .filter_map(|f| {
            let m = lam_translate::beam::read_file(f).ok()?;
            let t = lam_translate::translate::translate(&m)
                .map_err(|e| format!("{}: {e}", f.display()))
                .ok()?;
            let bin = binary::encode(&t.module);
            let back = match binary::decode(&bin) {
                Ok(b) => b,
                Err(e) => return Some(format!("{}: decode: {e}", f.display())),
            };
            if let Err(e) = back.validate() {
                return Some(format!("{}: decoded module invalid: {e}", f.display()));
            }
            let asm = text::print(&back);
            let parsed = match text::parse(&asm) {
                Ok(p) => p,
                Err(e) => return Some(format!("{}: parse: {e}", f.display())),
            };
            if binary::encode(&back) != bin {
                return Some(format!("{}: binary -> binary differs", f.display()));
            }
            if binary::encode(&parsed) != bin {
                return Some(format!("{}: binary -> text -> binary differs", f.display()));
            }
            if text::print(&parsed) != asm {
                return Some(format!("{}: text -> binary -> text differs", f.display()));
            }
            None
        })
        .collect();
    println!(
        "round-tripped {} translated modules through binary and text",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} modules failed:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}

/// Every `string` segment of `bs_create_bin` must carry its bytes (the BEAM
/// keeps them in a string table LAM does not have), as a binary literal of
/// exactly the segment's size.
#[test]
fn string_segments_carry_their_bytes() {
    use lam_translate::lam::isa::{LamOp, Operand};
    use lam_translate::term::Term;
    let files = common::installed_beams();
    let checked: usize = files
        .par_iter()
        .map(|f| {
            let m = lam_translate::beam::read_file(f).unwrap();
            let t = lam_translate::translate::translate(&m).unwrap();
            let lam = &t.module;
            let mut n = 0;
            for ins in lam.code.iter().filter(|i| i.op == LamOp::Bif) {
                let args = lam.args(ins);
                let Operand::Import(imp) = args[0] else {
                    continue;
                };
                let imp = lam.imports[imp as usize];
                if &*lam.atoms[imp.function as usize] != "bs_create_bin" {
                    continue;
                }
                let Operand::List(items) = &args[2] else {
                    panic!("bs_create_bin without arguments")
                };
                for seg in items[1..].chunks(6) {
                    if seg[0]
                        != Operand::Atom(
                            lam.atoms
                                .iter()
                                .position(|a| &**a == "string")
                                .unwrap_or(usize::MAX) as u32,
                        )
                    {
                        continue;
                    }
                    let (Operand::Literal(l), Operand::Int(size)) = (&seg[4], &seg[5]) else {
                        panic!(
                            "{}: string segment without literal bytes: {seg:?}",
                            f.display()
                        )
                    };
                    match &lam.literals[*l as usize] {
                        Term::Binary(b) => assert_eq!(b.len() as i64, *size, "{}", f.display()),
                        other => panic!("{}: string segment literal {other:?}", f.display()),
                    }
                    n += 1;
                }
            }
            n
        })
        .sum();
    println!("checked {checked} string segments");
    assert!(
        checked > 100,
        "expected many string segments in OTP, found {checked}"
    );
}

/// The translator emits only natives its table documents, with their arity.
#[test]
fn only_documented_natives_are_emitted() {
    use lam_translate::translate::natives;
    let files = common::installed_beams();
    let bad: Vec<String> = files
        .par_iter()
        .flat_map_iter(|f| {
            let m = lam_translate::beam::read_file(f).unwrap();
            let t = lam_translate::translate::translate(&m).unwrap();
            let lam = t.module;
            lam.imports
                .iter()
                .filter(|i| &*lam.atoms[i.module as usize] == "lam")
                .filter_map(|i| {
                    let name = &*lam.atoms[i.function as usize];
                    let ok =
                        natives::find(name).is_some_and(|n| n.arity.is_none_or(|a| a == i.arity));
                    (!ok).then(|| format!("{}: lam:{name}/{}", f.display(), i.arity))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(bad.is_empty(), "undocumented natives: {bad:?}");
}
