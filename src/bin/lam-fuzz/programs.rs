//! The program fuzzer: random Erlang programs, each a module of a few
//! functions written around one feature apiece (arithmetic on integers of
//! every size, bit operations, floats, comparisons and term order, guards,
//! case/if, pattern matching, maps, bit syntax construction and matching,
//! try/catch/after, closures, comprehensions, bounded recursion,
//! higher-order functions, errors of every kind), run on erl and on LAM;
//! `~w` of each function's result, or of `{Class, Reason}` when it raises,
//! must be the same.
//!
//! As in the BIF fuzzer, the whole batch is compiled by one `erlc` and run
//! by one erl and one LAM (at the same time, one per core), each calling
//! every function in its own process; a VM that dies is restarted after the
//! last result it printed, and the call that killed it is charged with it.
//! `--keep DIR` keeps the sources: `lam_fuzz_pN.erl` has a `main/0` that
//! prints its own results, so one program runs alone with
//! `lam-translate run DIR/programs/lam_fuzz_pN.beam`.

mod bits;
mod exprs;
mod features;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use crate::harness::{self, Workdir};
use crate::rng::Rng;
use crate::{Opts, Summary};
use exprs::Gen;
use features::{FEATURES, Function};

struct Program {
    number: usize,
    module: String,
    source: String,
    functions: Vec<Function>,
}

/// Functions are given features in turn, so every feature gets its share
/// whatever the count.
fn generate(seed: u64, count: usize) -> Vec<Program> {
    let mut rng = Rng::new(seed);
    let mut g = Gen::new(&mut rng);
    let mut next_feature = 0;
    (0..count)
        .map(|p| {
            let module = format!("lam_fuzz_p{p}");
            let n = 4 + g.below(5);
            let functions: Vec<Function> = (1..=n)
                .map(|i| {
                    let feature = FEATURES[next_feature % FEATURES.len()];
                    next_feature += 1;
                    features::function(&mut g, &format!("f{i}"), feature)
                })
                .collect();
            let mut s = String::new();
            let _ = writeln!(s, "%% lam-fuzz programs --seed {seed}: program {p}.");
            let _ = writeln!(s, "-module({module}).");
            let _ = writeln!(s, "-compile([export_all, nowarn_export_all]).\n");
            let _ = writeln!(s, "{}", features::RECORDS);
            let _ = writeln!(s, "main() ->\n    lam_fuzz_progs:local(?MODULE, {n}).\n");
            let calls: Vec<String> = functions
                .iter()
                .enumerate()
                .map(|(i, f)| format!("c({}) -> {}({})", i + 1, f.name, f.args))
                .collect();
            let _ = writeln!(s, "{}.\n", calls.join(";\n"));
            for f in &functions {
                let _ = writeln!(s, "%% {}: {}\n{}", f.name, f.feature, f.source);
            }
            let _ = writeln!(s, "{}", features::CANON);
            Program {
                number: p,
                module,
                source: s,
                functions,
            }
        })
        .collect()
}

const DRIVER: &str = r#"-module(lam_fuzz_progs).
-export([main/1, local/2]).

main([From]) ->
    run(list_to_integer(From), cases()).

%% A program's own main/0: its functions' results, one per line.
local(M, N) ->
    lists:foreach(fun(I) -> io:format("~b ~w~n", [I, call(M, I)]) end, lists:seq(1, N)).

run(G, Cases) when G >= tuple_size(Cases) -> ok;
run(G, Cases) ->
    {P, M, I} = element(G + 1, Cases),
    case I of
        1 -> io:format("program ~b~n", [P]);
        _ -> ok
    end,
    Out = call(M, I),
    case big_map(Out) of
        true -> io:format("~b ~w\t~w~n", [G, Out, canon(Out)]);
        false -> io:format("~b ~w~n", [G, Out])
    end,
    run(G + 1, Cases).

%% Each call in a process of its own, so that what one leaves behind (its
%% process dictionary, a hang) cannot reach the next.
call(M, I) ->
    {W, R} = spawn_monitor(fun() -> exit({'$done', try {ok, M:c(I)} catch C:E -> {C, E} end}) end),
    receive
        {'DOWN', R, process, W, {'$done', Res}} -> shrink(Res);
        {'DOWN', R, process, W, Other} -> {died, Other}
    after 5000 ->
        exit(W, kill),
        receive {'DOWN', R, process, W, _} -> timeout end
    end.

"#;

fn driver(programs: &[Program]) -> String {
    let cases: Vec<String> = programs
        .iter()
        .flat_map(|prog| {
            (1..=prog.functions.len())
                .map(move |i| format!("{{{}, {}, {i}}}", prog.number, prog.module))
        })
        .collect();
    format!(
        "{DRIVER}{}\ncases() ->\n    {{{}}}.\n",
        harness::DIGESTS,
        cases.join(",\n     ")
    )
}

/// The key of mismatches that only the order of a large map explains.
const MAP_ORDER: &str = "order-of-maps-over-32-keys";

/// The key of calls that killed or hung erl but not LAM.
const ERL_DIED: &str = "erl-died";

pub fn run(opts: &Opts, lam: &Path) -> Result<Summary, String> {
    let mut programs = generate(opts.seed, opts.count);
    let dir = Workdir::new(opts.keep.as_deref(), "programs")?;
    let mut files = Vec::new();
    for p in &programs {
        files.push(dir.write(&format!("{}.erl", p.module), &p.source)?);
    }
    let mut summary = Summary::default();
    let mut errors = Vec::new();
    let mut crashed = Vec::new();
    for (file, failure) in harness::compile_each(&dir.path, &files)? {
        let module = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        match failure {
            harness::CompileFailure::Crash(why) => {
                summary.note(format!(
                    "  left out {module}: erlc crashed compiling it ({why:.300})"
                ));
                crashed.push(module);
            }
            harness::CompileFailure::Errors(why) => {
                errors.push(format!("{}: {why}", file.display()))
            }
        }
    }
    if !errors.is_empty() {
        return Err(format!(
            "generated programs do not compile (a generator bug):\n{}",
            errors.join("\n")
        ));
    }
    programs.retain(|p| !crashed.contains(&p.module));
    let driver_src = dir.write("lam_fuzz_progs.erl", &driver(&programs))?;
    harness::erlc(&dir.path, &[driver_src])?;

    let cases: Vec<(usize, usize)> = programs
        .iter()
        .enumerate()
        .flat_map(|(p, prog)| (0..prog.functions.len()).map(move |f| (p, f)))
        .collect();
    // A call is killed by the driver after 5 s: 30 s of silence is a hang.
    let limit = Duration::from_secs(30);
    let (erl, lam_out) = std::thread::scope(|s| {
        let erl = s.spawn(|| {
            harness::run_batch(cases.len(), "erl", |from| {
                harness::run_erl(&dir.path, "lam_fuzz_progs", &[from.to_string()], limit)
            })
        });
        let lam_out = harness::run_batch(cases.len(), "LAM", |from| {
            harness::run_lam(
                lam,
                &dir.path,
                "lam_fuzz_progs",
                &[from.to_string()],
                opts.schedulers,
                limit,
            )
        });
        (
            erl.join()
                .unwrap_or_else(|_| Err("the erl side panicked".into())),
            lam_out,
        )
    });
    let (erl, lam_out) = (erl?, lam_out?);

    summary.note_first(format!(
        "programs: seed {}, {} programs, {} functions",
        opts.seed,
        programs.len(),
        cases.len()
    ));
    let mut per_feature: BTreeMap<&str, usize> = BTreeMap::new();
    let mut raised = 0;
    for (g, &(p, f)) in cases.iter().enumerate() {
        let prog = &programs[p];
        let func = &prog.functions[f];
        *per_feature.entry(func.feature).or_default() += 1;
        let (e, l) = (&erl[&g], &lam_out[&g]);
        summary.checked += 1;
        if !e.starts_with("{ok,") {
            raised += 1;
        }
        let (e_raw, e_canon) = e.split_once('\t').unwrap_or((e, ""));
        let (l_raw, l_canon) = l.split_once('\t').unwrap_or((l, ""));
        if e_raw == l_raw {
            continue;
        }
        let key = if !e_canon.is_empty() && e_canon == l_canon {
            MAP_ORDER.to_string()
        } else if e_raw.starts_with("<the VM") && !l_raw.starts_with("<the VM") {
            // erl's own crash (its JIT has segfaulted on generated code):
            // no verdict on LAM.
            ERL_DIED.to_string()
        } else {
            format!("feature:{}", func.feature)
        };
        let (e_shown, l_shown) = clip_pair(e_raw, l_raw);
        summary.mismatch(
            &key,
            format!(
                "program {}, {}:{} ({}), called as {}({}):\n{}  erl: {e_shown}\n  lam: {l_shown}\n",
                prog.number,
                prog.module,
                func.name,
                func.feature,
                func.name,
                func.args,
                indent(&func.source)
            ),
        );
    }
    let counts: Vec<String> = per_feature
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    summary.note(format!(
        "  {} of {} calls raised on erl; functions per feature: {}",
        raised,
        cases.len(),
        counts.join(", ")
    ));
    Ok(summary)
}

fn indent(src: &str) -> String {
    src.lines().map(|l| format!("    | {l}\n")).collect()
}

/// Both outputs, cut to the neighbourhood of their first difference when
/// long.
fn clip_pair<'a>(a: &'a str, b: &'a str) -> (String, String) {
    const KEEP: usize = 300;
    if a.len() <= 2 * KEEP && b.len() <= 2 * KEEP {
        return (a.to_string(), b.to_string());
    }
    let first = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let clip = |s: &str| {
        let mut from = first.saturating_sub(KEEP / 2);
        while !s.is_char_boundary(from.min(s.len())) {
            from -= 1;
        }
        let from = from.min(s.len());
        let mut to = (from + KEEP).min(s.len());
        while !s.is_char_boundary(to) {
            to += 1;
        }
        format!(
            "{}{}{} ({} bytes)",
            if from > 0 { "..." } else { "" },
            &s[from..to],
            if to < s.len() { "..." } else { "" },
            s.len()
        )
    };
    (clip(a), clip(b))
}
