//! The `lam` natives the translator emits (`src/translate/natives.rs`, the
//! contract in `docs/natives.md`) against the interpreter: every one must
//! resolve, and those no installed `erlc` can make the translator emit
//! (`update_record` is OTP 26, `bs_save2`/`bs_restore2` pre-OTP 22) run in
//! LAM assembly written here and are compared with the same computation done
//! live in `erl`.

mod common;

use std::process::Command;

use lam_translate::erlfmt::w;
use lam_translate::translate::natives::NATIVES;
use lam_translate::vm::{View, Vm};

/// The arities to try for a native: its own, or for a variadic one a few of
/// the shape its arguments take.
fn arities(name: &str, arity: Option<u32>) -> Vec<u32> {
    match (name, arity) {
        (_, Some(a)) => vec![a],
        // Unit, then 6 per segment.
        ("bs_create_bin", None) => vec![1, 7, 13, 19],
        // Tuple, then Index/Value pairs.
        ("update_record", None) => vec![3, 5, 7, 21],
        (other, None) => panic!("variadic native lam:{other} has no argument shape in this test"),
    }
}

#[test]
fn every_native_the_translator_can_emit_resolves_in_the_vm() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for n in NATIVES {
        for a in arities(n.name, n.arity) {
            checked += 1;
            let found = lam_translate::vm::natives::registry()
                .get("lam", n.name, a)
                .is_some();
            if !found {
                missing.push(format!("lam:{}/{a}", n.name));
            }
        }
    }
    println!(
        "{} natives, {checked} name/arity pairs checked",
        NATIVES.len()
    );
    assert!(
        missing.is_empty(),
        "natives the translator emits but the VM lacks: {missing:?}"
    );
}

/// Runs `module:function()` of a module given as LAM assembly; its value or
/// its exception, written as `~w` writes `{value, V}` / `{Class, Reason}`.
fn run_lasm(text: &str, module: &str, function: &str) -> String {
    let m = lam_translate::lam::text::parse(text)
        .unwrap_or_else(|e| panic!("LAM assembly does not parse: {e:?}\n{text}"));
    let mut vm = Vm::new(vec![common::otp_lib_dir()]);
    vm.add(m);
    let (m, f) = (vm.atoms.intern(module), vm.atoms.intern(function));
    let r = vm.run_main(m, f, &[]);
    let root = vm.last_heap.take().expect("the process's heap");
    let view = View {
        heap: &root.heap,
        literals: &vm.literals,
    };
    match r {
        Ok(v) => format!("{{value,{}}}", w(&view.to_term(v, &vm.atoms))),
        Err(e) => format!(
            "{{{},{}}}",
            vm.atoms.name(e.class),
            w(&view.to_term(e.reason, &vm.atoms))
        ),
    }
}

/// What `erl` prints, one line per expression, for expressions each
/// evaluating to `{value, V}` or `{Class, Reason}` (as `run_lasm` writes).
fn erl_values(exprs: &[String]) -> Vec<String> {
    let funs: Vec<String> = exprs.iter().map(|e| format!("fun() -> {e} end")).collect();
    let script = format!(
        "[io:format(\"~w~n\", [try {{value, F()}} catch C:R -> {{C, R}} end]) || F <- [{}]], halt().",
        funs.join(", ")
    );
    let out = common::run(
        Command::new("erl")
            .args(["-noshell", "-eval", &script])
            .current_dir(std::env::temp_dir()),
    );
    out.lines().map(str::to_string).collect()
}

/// A module of one function per body, `t0/0`, `t1/0`, ...: each body is a
/// list of instructions with no labels, ending in `return`.
fn lasm_module(
    name: &str,
    imports: &[&str],
    literals: &[String],
    bodies: &[Vec<String>],
) -> String {
    let mut atoms = vec![name.to_string()];
    atoms.extend((0..bodies.len()).map(|i| format!("t{i}")));
    let mut functions = Vec::new();
    let mut code = Vec::new();
    let mut pc = 0;
    for (i, body) in bodies.iter().enumerate() {
        functions.push(format!("    t{i}/0 start {pc} entry {} export", pc + 1));
        code.push(format!("L{pc}:\n    fail function_clause, []"));
        code.push(format!("L{}:", pc + 1));
        code.extend(body.iter().map(|ins| format!("    {ins}")));
        pc += 1 + body.len();
    }
    for imp in imports {
        let (m, rest) = imp.split_once(':').expect("module:function/arity");
        let f = rest.split_once('/').expect("function/arity").0;
        atoms.extend([m.to_string(), f.to_string()]);
    }
    // The quoted atoms the code uses.
    for ins in bodies.iter().flatten() {
        atoms.extend(ins.split('\'').skip(1).step_by(2).map(String::from));
    }
    let mut seen = std::collections::HashSet::new();
    atoms.retain(|a| seen.insert(a.clone()));
    let indent = |xs: &[String]| xs.iter().map(|x| format!("    {x}\n")).collect::<String>();
    let imports: Vec<String> = imports.iter().map(|s| s.to_string()).collect();
    format!(
        "; LAM assembly, format 2\natoms\n{}literals\n{}imports\n{}functions\n{}\nlambdas\nfiles\ncode\n{}\n",
        indent(&atoms),
        indent(literals),
        indent(&imports),
        functions.join("\n"),
        code.join("\n")
    )
}

/// A tuple's elements and the Index/Value pairs to set.
type RecordCase = (&'static [&'static str], &'static [(i64, &'static str)]);

#[test]
fn update_record_matches_setelement_in_erl() {
    // (tuple elements, Index/Value pairs), written so that both LAM
    // assembly and Erlang read them.
    let cases: &[RecordCase] = &[
        (&["'r'", "1", "2"], &[(2, "'x'")]),
        (&["'r'", "1", "2", "3", "4"], &[(2, "10"), (5, "'y'")]),
        (
            &["'r'", "'a'", "'b'", "'c'"],
            &[(4, "'z'"), (2, "'w'"), (3, "-7")],
        ),
        // The same index twice: the last value wins, as with setelement.
        (&["'r'", "0", "0"], &[(3, "1"), (3, "2")]),
        (&["1"], &[(1, "'only'")]),
        // Out of range: badarg, as setelement raises.
        (&["'r'", "1"], &[(3, "'x'")]),
        (&["'r'", "1"], &[(0, "'x'")]),
    ];
    let mut bodies = Vec::new();
    let mut exprs = Vec::new();
    for (elems, pairs) in cases {
        let mut args = vec!["x0".to_string()];
        let mut expr = format!("{{{}}}", elems.join(", "));
        for (i, v) in *pairs {
            args.extend([i.to_string(), v.to_string()]);
            expr = format!("setelement({i}, {expr}, {v})");
        }
        bodies.push(vec![
            format!("make_tuple x0, [{}]", elems.join(", ")),
            format!(
                "bif lam:update_record/{}, nofail, [{}], x0",
                args.len(),
                args.join(", ")
            ),
            "return".to_string(),
        ]);
        exprs.push(expr);
    }
    let arities: std::collections::BTreeSet<usize> =
        cases.iter().map(|(_, p)| 1 + 2 * p.len()).collect();
    let imports: Vec<String> = arities
        .iter()
        .map(|a| format!("lam:update_record/{a}"))
        .collect();
    let imports: Vec<&str> = imports.iter().map(String::as_str).collect();
    let text = lasm_module("lam_update_record", &imports, &[], &bodies);
    compare(&text, "lam_update_record", &exprs);
}

/// One step of a match with saved positions.
#[derive(Clone, Copy)]
enum Step {
    /// Read an unsigned integer of this many bits.
    Get(u32),
    /// `bs_save` into this slot (`None`: `start`).
    Save(Option<i64>),
    /// `bs_restore` from this slot (`None`: `start`).
    Restore(Option<i64>),
    /// `bs_start_match` on the context itself, then `bs_save` of `start`:
    /// what the translator makes of an OTP 21 `bs_start_match2` that reuses
    /// a context.
    Rematch,
}

#[test]
fn bs_save_and_bs_restore_go_back_to_what_erl_reads_there() {
    use Step::*;
    let bin = "<<1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16>>";
    let cases: &[&[Step]] = &[
        &[Get(8), Save(Some(0)), Get(16), Restore(Some(0)), Get(8)],
        &[Get(4), Get(8), Restore(None), Get(16)],
        &[
            Save(Some(2)),
            Get(8),
            Save(Some(0)),
            Get(8),
            Save(Some(1)),
            Get(8),
            Restore(Some(0)),
            Get(8),
            Restore(Some(2)),
            Get(8),
            Restore(Some(1)),
            Get(8),
        ],
        // A slot saved again holds the newer position.
        &[
            Get(8),
            Save(Some(0)),
            Get(8),
            Save(Some(0)),
            Get(8),
            Restore(Some(0)),
            Get(16),
        ],
        // A reused context's start is where it was when matching restarted.
        &[
            Get(24),
            Rematch,
            Get(8),
            Restore(None),
            Get(8),
            Save(Some(3)),
            Get(32),
            Restore(Some(3)),
            Get(3),
        ],
        // -1 names the start slot too.
        &[
            Get(8),
            Rematch,
            Get(16),
            Save(Some(-1)),
            Get(8),
            Restore(None),
            Get(8),
        ],
    ];
    let mut bodies = Vec::new();
    let mut exprs = Vec::new();
    for steps in cases {
        // LAM: the context in x1, each value read in x2, x3, ...
        let mut body = vec![
            "move lit:0, x0".to_string(),
            "bif lam:bs_start_match/1, nofail, [x0], x1".to_string(),
        ];
        // erl: the same reads at positions tracked explicitly.
        let mut erl = vec![
            format!("B = {bin}"),
            "P0 = 0".to_string(),
            "S0 = #{}".to_string(),
        ];
        let slot = |s: Option<i64>| s.map_or("'start'".to_string(), |i| i.to_string());
        let key = |s: Option<i64>| match s {
            None | Some(-1) => "start".to_string(),
            Some(i) => i.to_string(),
        };
        let (mut values, mut p, mut s) = (Vec::new(), 0, 0);
        for step in *steps {
            match *step {
                Get(bits) => {
                    let r = format!("x{}", 2 + values.len());
                    body.push(format!(
                        "bif lam:bs_get_integer/4, nofail, [x1, {bits}, 1, 0], {r}"
                    ));
                    let v = format!("V{}", values.len());
                    erl.push(format!("<<_:P{p}, {v}:{bits}, _/bits>> = B"));
                    erl.push(format!("P{} = P{p} + {bits}", p + 1));
                    p += 1;
                    values.push((r, v));
                }
                Save(n) => {
                    body.push(format!("bif lam:bs_save/2, nofail, [x1, {}], _", slot(n)));
                    erl.push(format!("S{} = S{s}#{{{} => P{p}}}", s + 1, key(n)));
                    s += 1;
                }
                Restore(n) => {
                    body.push(format!(
                        "bif lam:bs_restore/2, nofail, [x1, {}], _",
                        slot(n)
                    ));
                    let at = if key(n) == "start" {
                        format!("maps:get(start, S{s}, 0)")
                    } else {
                        format!("maps:get({}, S{s})", key(n))
                    };
                    erl.push(format!("P{} = {at}", p + 1));
                    p += 1;
                }
                Rematch => {
                    body.push("bif lam:bs_start_match/1, nofail, [x1], x1".to_string());
                    body.push("bif lam:bs_save/2, nofail, [x1, 'start'], _".to_string());
                    erl.push(format!("S{} = S{s}#{{start => P{p}}}", s + 1));
                    s += 1;
                }
            }
        }
        let (regs, vars): (Vec<String>, Vec<String>) = values.into_iter().unzip();
        body.push(format!("make_tuple x0, [{}]", regs.join(", ")));
        body.push("return".to_string());
        bodies.push(body);
        erl.push(format!("{{{}}}", vars.join(", ")));
        exprs.push(erl.join(", "));
    }
    let imports = [
        "lam:bs_start_match/1",
        "lam:bs_get_integer/4",
        "lam:bs_save/2",
        "lam:bs_restore/2",
    ];
    let text = lasm_module("lam_bs_save", &imports, &[bin.to_string()], &bodies);
    compare(&text, "lam_bs_save", &exprs);
}

/// Runs `t0/0`, `t1/0`, ... of the module on LAM and the expressions in erl,
/// and fails on any difference.
fn compare(text: &str, module: &str, exprs: &[String]) {
    let want = erl_values(exprs);
    assert_eq!(want.len(), exprs.len(), "erl printed {want:?}");
    let mut failures = Vec::new();
    for (i, (e, want)) in exprs.iter().zip(&want).enumerate() {
        let got = run_lasm(text, module, &format!("t{i}"));
        if &got != want {
            failures.push(format!("  t{i}: {e}\n    erl: {want}\n    lam: {got}"));
        }
    }
    println!(
        "compared {} functions with erl: {} identical",
        exprs.len(),
        exprs.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "differences:\n{}\n{text}",
        failures.join("\n")
    );
}
