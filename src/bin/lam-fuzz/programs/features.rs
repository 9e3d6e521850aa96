//! One generated function per feature: its parameters (whose values the
//! caller passes as literals, so erlc cannot fold the function), a few
//! statements written around the feature, and a tuple of what each
//! statement bound as its result. Helper functions it needs (guarded
//! clauses, recursion, binary loops) are written beside it.

use super::exprs::{Bud, Gen, MAP_KEYS, Ty, binds_nothing, list_of};

/// The features a function is written around; a mismatch is keyed by the
/// feature of the function it shows up in.
pub const FEATURES: &[&str] = &[
    "arith",
    "bitops",
    "float",
    "compare",
    "guards",
    "case_if",
    "match",
    "maps",
    "bin_build",
    "bin_match",
    "try",
    "closures",
    "comprehensions",
    "recursion",
    "hof",
    "errors",
    "bigmaps",
    "heap",
    "select",
    "records",
    "stdlib",
    "frames",
];

/// Records every program defines (in `RECORDS`), with their fields.
pub const RECORD_DEFS: &[(&str, &[&str])] = &[
    ("r1", &["a", "b", "c"]),
    ("r2", &["k", "v", "w"]),
    ("r3", &[]),
];

/// The record definitions every program starts with.
pub const RECORDS: &str =
    "-record(r1, {a, b = 0, c = x}).\n-record(r2, {k = 1, v, w = <<>>}).\n-record(r3, {}).\n";

pub struct Function {
    pub feature: &'static str,
    pub name: String,
    /// The function and its helpers.
    pub source: String,
    /// The arguments `main` calls it with.
    pub args: String,
}

/// What a statement adds: its lines and the variables to return.
type Stmt = (Vec<String>, Vec<String>);

fn assign(g: &mut Gen, ty: Ty, expr: String, b: Bud) -> Stmt {
    let v = g.new_var(ty, b);
    (vec![format!("{v} = {expr}")], vec![v])
}

pub fn function(g: &mut Gen, name: &str, feature: &'static str) -> Function {
    g.reset(name, feature);
    let mut params = Vec::new();
    let mut args = Vec::new();
    for t in param_types(g, feature) {
        g.lit_bits = 0;
        let arg = g.lit(&t, Bud { bits: 300, len: 6 });
        let bud = Bud {
            bits: g.lit_bits.max(9),
            len: 6,
        };
        params.push(g.new_var(t, bud));
        args.push(arg);
    }
    let mut lines = Vec::new();
    let mut results = Vec::new();
    // A frames function is long and keeps every value to its end.
    let (count, keep) = if feature == "frames" {
        (15 + g.below(21), 64)
    } else {
        (2 + g.below(4), 8)
    };
    for _ in 0..count {
        let (l, r) = statement(g, feature);
        lines.extend(l);
        results.extend(r);
    }
    if results.len() > keep {
        results.drain(..results.len() - keep);
    }
    lines.push(format!("{{{}}}", results.join(", ")));
    let mut source = format!(
        "{name}({}) ->\n    {}.\n",
        params.join(", "),
        lines.join(",\n    ")
    );
    for h in &g.helpers {
        source.push('\n');
        source.push_str(h);
    }
    Function {
        feature,
        name: name.to_string(),
        source,
        args: args.join(", "),
    }
}

fn param_types(g: &mut Gen, feature: &str) -> Vec<Ty> {
    use Ty::*;
    let mut tys = match feature {
        "arith" | "bitops" => vec![Int, Int, Int],
        "float" => vec![Float, Float, Int],
        "compare" => vec![Any, Int, Float],
        "bin_build" => vec![Int, Int, Bin, Float],
        "bin_match" => vec![Bin, Bits, Int],
        "maps" => {
            let fs = g.map_fields(1);
            vec![Map(fs), Any, Int]
        }
        "closures" | "hof" | "comprehensions" => vec![list_of(Int), Int, list_of(Any)],
        "recursion" | "heap" => vec![Int, list_of(Int), Bin],
        "bigmaps" => vec![Int, Any],
        "select" => vec![Int, Atom, Any],
        "records" => vec![Any, Int, Tuple(vec![Atom, Int])],
        "stdlib" => vec![list_of(Tuple(vec![Int, Any])), Bin, list_of(Int), Any],
        "frames" => vec![Int, Float, Any, list_of(Int), Bin],
        _ => vec![g.ty(2), g.ty(1), Int],
    };
    tys.truncate(1 + g.below(tys.len()));
    if g.one_in(3) {
        tys.push(g.ty(2));
    }
    tys
}

fn statement(g: &mut Gen, feature: &str) -> Stmt {
    // Now and then a statement about something else, as real code mixes.
    if g.one_in(6) {
        let b = g.bud();
        let t = g.ty(1);
        let e = g.e(&t, 3, b);
        return assign(g, t, e, b);
    }
    let b = g.bud();
    match feature {
        "arith" | "bitops" => match g.below(6) {
            0..=3 => {
                let e = g.int(3, b);
                assign(g, Ty::Int, e, b)
            }
            4 => {
                let e = g.float(2, b);
                assign(g, Ty::Float, e, b)
            }
            _ => {
                let e = g.boolean(2, b);
                assign(g, Ty::Bool, e, b)
            }
        },
        "float" => float_stmt(g, b),
        "compare" => compare_stmt(g, b),
        "guards" => guards_stmt(g, b),
        "case_if" => {
            let t = g.ty(1);
            let e = if g.one_in(2) {
                g.case_expr(&t, 2, b)
            } else {
                g.if_expr(&t, 2, b)
            };
            assign(g, t, e, b)
        }
        "match" => match_stmt(g, b),
        "maps" => maps_stmt(g, b),
        "bin_build" if g.one_in(5) => shared_appends(g, b),
        "bin_build" => match g.below(7) {
            0..=3 => {
                let aligned = g.one_in(2);
                let e = g.binary(3, b, aligned);
                assign(g, if aligned { Ty::Bin } else { Ty::Bits }, e, b)
            }
            4 => {
                let x = g.construction(2, b, false);
                let e = format!(
                    "begin {0} = {x}, {{bit_size({0}), byte_size({0}), {0}}} end",
                    g.fresh()
                );
                assign(g, Ty::Tuple(vec![Ty::Int, Ty::Int, Ty::Bits]), e, b)
            }
            5 => {
                let aligned = g.one_in(2);
                let e = g.bin_comprehension(2, b, aligned);
                assign(g, if aligned { Ty::Bin } else { Ty::Bits }, e, b)
            }
            _ => {
                // Appending in a loop: both VMs grow the binary in place.
                let l = g.e(&list_of(Ty::Int), 2, b);
                let mark = g.mark();
                let x = g.new_var(Ty::Int, b);
                let acc = g.new_var(Ty::Bits, b);
                let seg = match g.below(3) {
                    0 => format!("{x}:8"),
                    1 => format!("{x}:{}/little", g.pick(&[3, 13, 16, 61])),
                    _ => format!("({x} band 16#FFFF)/utf8"),
                };
                g.unwind(mark);
                let e =
                    format!("lists:foldl(fun({x}, {acc}) -> <<{acc}/bits, {seg}>> end, <<>>, {l})");
                assign(g, Ty::Bits, e, b)
            }
        },
        "bin_match" => bin_match_stmt(g, b),
        "try" => try_stmt(g, b),
        "closures" => closures_stmt(g, b),
        "comprehensions" => match g.below(5) {
            0..=2 => {
                let t = g.ty(1);
                let e = g.comprehension(&t, 2, b);
                assign(g, list_of(t), e, b)
            }
            3 => {
                let aligned = g.one_in(2);
                let e = g.bin_comprehension(2, b, aligned);
                assign(g, if aligned { Ty::Bin } else { Ty::Bits }, e, b)
            }
            _ => {
                let t = g.ty(0);
                let inner = b.len(4);
                let mark = g.mark();
                let gen1 = g.generator(2, inner);
                let body = g.comprehension(&t, 2, inner);
                g.unwind(mark);
                assign(g, list_of(list_of(t)), format!("[{body} || {gen1}]"), b)
            }
        },
        "recursion" => recursion_stmt(g, b),
        "bigmaps" => bigmaps_stmt(g, b),
        "heap" => heap_stmt(g, b),
        "select" => select_stmt(g, b),
        "records" => records_stmt(g, b),
        "stdlib" => stdlib_stmt(g, b),
        "frames" => frames_stmt(g, b),
        "hof" => hof_stmt(g, b),
        _ => errors_stmt(g, b),
    }
}

fn float_stmt(g: &mut Gen, b: Bud) -> Stmt {
    match g.below(6) {
        0..=2 => {
            let e = g.float(3, b);
            assign(g, Ty::Float, e, b)
        }
        3 => {
            let f = g.e(&Ty::Float, 2, b);
            let e = match g.below(6) {
                0 => format!("float_to_list({f}, [{{decimals, {}}}])", g.below(20)),
                1 => format!("float_to_binary({f}, [{{scientific, {}}}])", g.below(20)),
                2 => format!("float_to_list({f}, [short])"),
                3 => format!("float_to_list({f})"),
                4 => format!(
                    "float_to_binary({f}, [{{decimals, {}}}, compact])",
                    g.below(8)
                ),
                _ => format!(
                    "lists:flatten(io_lib:format(\"~.3f ~e ~g ~w ~p\", [{f}, {f}, {f}, {f}, {f}]))"
                ),
            };
            assign(g, Ty::Any, e, b)
        }
        4 => {
            let f = g.float(2, b);
            let (l1, mut r) = assign(g, Ty::Float, f, b);
            let f = r[0].clone();
            let e = format!("{{round({f}), trunc({f}), floor({f}), ceil({f})}}");
            let (l2, r2) = assign(g, Ty::Tuple(vec![Ty::Int; 4]), e, b.bits(1100));
            r.extend(r2);
            ([l1, l2].concat(), r)
        }
        _ => {
            let i = g.int(2, b);
            let (l1, r1) = assign(g, Ty::Int, i, b);
            let i = r1[0].clone();
            let f = match g.below(3) {
                0 => format!("float({i})"),
                1 => g.float_lit(),
                _ => format!(
                    "(float({i}) * {})",
                    g.pick(&["1.0", "0.5", "-1.0", "1.0000000000000002"])
                ),
            };
            let e = format!(
                "{{{i} == {f}, {i} =:= {f}, {i} < {f}, {f} < {i}, {i} =< {f}, {i} >= {f}}}"
            );
            let (l2, r2) = assign(g, Ty::Tuple(vec![Ty::Bool; 6]), e, b);
            ([l1, l2].concat(), [r1, r2].concat())
        }
    }
}

fn compare_stmt(g: &mut Gen, b: Bud) -> Stmt {
    match g.below(6) {
        0 | 1 => {
            let (x, y) = g.comparable_pair(2, b);
            let (l1, r1) = assign(g, Ty::Any, x, b);
            let (l2, r2) = assign(g, Ty::Any, y, b);
            let (x, y) = (&r1[0], &r2[0]);
            let ops = ["==", "/=", "=:=", "=/=", "<", ">", "=<", ">="];
            let all: Vec<String> = ops.iter().map(|op| format!("{x} {op} {y}")).collect();
            let e = format!("{{{}}}", all.join(", "));
            let (l3, r3) = assign(g, Ty::Tuple(vec![Ty::Bool; 8]), e, b);
            ([l1, l2, l3].concat(), r3)
        }
        2 | 3 => {
            // Term order across every type.
            let n = 2 + g.below(5);
            let items: Vec<String> = (0..n)
                .map(|_| {
                    let t = g.ty(1);
                    g.e(&t, 1, b)
                })
                .collect();
            let l = format!("[{}]", items.join(", "));
            let e = match g.below(4) {
                0 => format!("lists:sort({l})"),
                1 => format!("lists:usort({l})"),
                2 => format!("lists:sort(fun(A, B) -> A >= B end, {l})"),
                _ => format!("lists:max({l})"),
            };
            assign(g, Ty::Any, e, b)
        }
        4 => {
            let (x, y) = g.comparable_pair(2, b);
            let (l1, r1) = assign(g, Ty::Any, x, b);
            let (l2, r2) = assign(g, Ty::Any, y, b);
            let (x, y) = (&r1[0], &r2[0]);
            let e = format!("{{max({x}, {y}), min({x}, {y}), max({y}, {x}), min({y}, {x})}}");
            let (l3, r3) = assign(g, Ty::Tuple(vec![Ty::Any; 4]), e, b);
            ([l1, l2, l3].concat(), r3)
        }
        _ => {
            let t1 = g.ty(0);
            let t2 = g.ty(0);
            let l1 = g.e(&list_of(t1.clone()), 1, b.len(5));
            let l2 = g.e(&list_of(t2.clone()), 1, b.len(5));
            let op = g.pick(&["<", "==", "=:=", ">="]);
            let mark = g.mark();
            let x = g.new_var(t1, b);
            let y = g.new_var(t2, b);
            g.unwind(mark);
            let e = format!("[{x} {op} {y} || {x} <- {l1}, {y} <- {l2}]");
            assign(g, list_of(Ty::Bool), e, b)
        }
    }
}

/// A helper of several clauses, each with patterns and a guard; without a
/// catch-all now and then (function_clause).
fn clause_helper(g: &mut Gen, arity: usize, b: Bud) -> (String, Vec<Ty>) {
    let name = g.helper_name();
    let saved = std::mem::take(&mut g.vars);
    let tys: Vec<Ty> = (0..arity).map(|_| g.ty(1)).collect();
    let n = 2 + g.below(4);
    let mut clauses = Vec::new();
    for _ in 0..n {
        let mut pats = Vec::new();
        for (i, t) in tys.iter().enumerate() {
            // All arguments make one pattern.
            let p = if i == 0 {
                g.pat(t, 2, b)
            } else {
                g.pattern(t, 2, b)
            };
            pats.push(p);
        }
        let guard = if g.one_in(4) {
            String::new()
        } else {
            format!(" when {}", g.guard())
        };
        let body = g.e(&Ty::Any, 2, b);
        g.unwind(0);
        clauses.push(format!("{name}({}){guard} ->\n    {body}", pats.join(", ")));
    }
    if !g.risky() {
        let anys = vec!["_"; arity].join(", ");
        clauses.push(format!(
            "{name}({anys}) ->\n    {}",
            g.pick(&["other", "{other}", "[]"])
        ));
    }
    g.helpers.push(format!("{}.\n", clauses.join(";\n")));
    g.vars = saved;
    (name, tys)
}

fn guards_stmt(g: &mut Gen, b: Bud) -> Stmt {
    if g.one_in(3) {
        let t = g.ty(1);
        let e = g.case_expr(&t, 2, b);
        return assign(g, t, e, b);
    }
    let arity = 1 + g.below(3);
    let (name, tys) = clause_helper(g, arity, b);
    let mut lines = Vec::new();
    let mut results = Vec::new();
    for _ in 0..1 + g.below(3) {
        let args: Vec<String> = tys
            .iter()
            .map(|t| {
                let t = if g.one_in(4) { g.ty(1) } else { t.clone() };
                g.e(&t, 1, b)
            })
            .collect();
        let (l, r) = assign(g, Ty::Any, format!("{name}({})", args.join(", ")), b);
        lines.extend(l);
        results.extend(r);
    }
    (lines, results)
}

/// A pattern that matches every value of `ty` (structure and variables
/// only), unless `risky` slips in a literal or a missing key.
fn sure_pattern(g: &mut Gen, ty: &Ty, depth: u32, b: Bud) -> String {
    if depth == 0 || g.one_in(4) {
        return if g.one_in(5) {
            "_".into()
        } else {
            g.new_var(ty.clone(), b)
        };
    }
    match ty {
        Ty::Tuple(ts) => {
            let items: Vec<String> = ts
                .iter()
                .map(|t| sure_pattern(g, t, depth - 1, b))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Ty::Map(fs) => {
            let mut items = Vec::new();
            for (k, t) in fs {
                if g.one_in(2) {
                    let p = sure_pattern(g, t, depth - 1, b);
                    items.push(format!("{k} := {p}"));
                }
            }
            if g.risky() {
                items.push(format!("{} := _", g.pick(&["missing", "{x, 2}"])));
            }
            format!("#{{{}}}", items.join(", "))
        }
        Ty::List(t) if g.risky() => {
            let h = sure_pattern(g, t, depth - 1, b);
            let tl = g.new_var(ty.clone(), b);
            format!("[{h} | {tl}]")
        }
        _ if g.risky() => g.lit(&Ty::Int, b),
        _ => g.new_var(ty.clone(), b),
    }
}

fn match_stmt(g: &mut Gen, b: Bud) -> Stmt {
    match g.below(6) {
        0..=2 => {
            let t = g.ty(2);
            let e = g.e(&t, 2, b);
            let mark = g.mark();
            g.pat_base = mark;
            let p = sure_pattern(g, &t, 3, b);
            let bound: Vec<String> = g.vars[mark..].iter().map(|v| v.name.clone()).collect();
            (vec![format!("{p} = {e}")], bound)
        }
        3 => {
            let t = g.ty(2);
            let e = g.e(&t, 2, b);
            let v = g.new_var(t.clone(), b);
            let w = g.new_var(t, b);
            (vec![format!("{v} = {w} = {e}")], vec![v, w])
        }
        4 => {
            // A match against a pattern that may not fit (badmatch).
            let t = g.ty(2);
            let e = g.e(&t, 2, b);
            let mark = g.mark();
            let p = g.pat(&t, 2, b);
            let bound: Vec<String> = g.vars[mark..].iter().map(|v| v.name.clone()).collect();
            let v = g.fresh();
            let all = if bound.is_empty() {
                "ok".to_string()
            } else {
                bound.join(", ")
            };
            g.unwind(mark);
            let e = format!("case {e} of {p} -> {{{all}}}; {v} -> {{nomatch, {v}}} end");
            assign(g, Ty::Any, e, b)
        }
        _ => {
            let arity = 1 + g.below(2);
            let (name, tys) = clause_helper(g, arity, b);
            let args: Vec<String> = tys.iter().map(|t| g.e(t, 2, b)).collect();
            assign(g, Ty::Any, format!("{name}({})", args.join(", ")), b)
        }
    }
}

fn map_var(g: &mut Gen, b: Bud) -> (String, Vec<(String, Ty)>) {
    let maps: Vec<(String, Ty)> = g.vars_where(|t| matches!(t, Ty::Map(_)));
    if !maps.is_empty() && !g.one_in(4) {
        let (v, t) = maps[g.below(maps.len())].clone();
        if let Ty::Map(fs) = t {
            return (v, fs);
        }
    }
    let fs = g.map_fields(1);
    let m = g.map(&fs, 2, b);
    (m, fs)
}

fn maps_stmt(g: &mut Gen, b: Bud) -> Stmt {
    match g.below(9) {
        0 | 1 => {
            let fs = match g.vars_where(|t| matches!(t, Ty::Map(_))).first() {
                Some((_, Ty::Map(fs))) if g.one_in(2) => fs.clone(),
                _ => g.map_fields(1),
            };
            let e = g.map(&fs, 3, b);
            assign(g, Ty::Map(fs), e, b)
        }
        2 => {
            let (m, fs) = map_var(g, b);
            let mark = g.mark();
            g.pat_base = mark;
            let p = sure_pattern(g, &Ty::Map(fs), 2, b);
            let bound: Vec<String> = g.vars[mark..].iter().map(|v| v.name.clone()).collect();
            (vec![format!("{p} = {m}")], bound)
        }
        3 => {
            let (m, fs) = map_var(g, b);
            let k = fs[g.below(fs.len())].0.clone();
            let mark = g.mark();
            let kv = g.new_var(Ty::Any, b);
            let vv = g.new_var(Ty::Any, b);
            let body = g.e(&Ty::Bool, 1, b);
            g.unwind(mark);
            let acc = g.fresh();
            let e = match g.below(10) {
                0 => format!(
                    "maps:fold(fun({kv}, {vv}, {acc}) -> [{{{kv}, {vv}}} | {acc}] end, [], {m})"
                ),
                1 => format!("maps:map(fun({kv}, {vv}) -> {{{kv}, {vv}}} end, {m})"),
                2 => format!("maps:filter(fun({kv}, {vv}) -> {body} end, {m})"),
                3 => format!("{{maps:keys({m}), maps:values({m}), maps:to_list({m})}}"),
                4 => format!("maps:with([{k}, {}], {m})", g.pick(MAP_KEYS)),
                5 => format!("maps:take({k}, {m})"),
                6 => format!("maps:update_with({k}, fun({vv}) -> {{{vv}}} end, {m})"),
                7 => format!("maps:get({}, {m}, default)", g.pick(MAP_KEYS)),
                8 => format!("maps:next(maps:iterator({m}))"),
                _ => format!("{{map_size({m}), maps:size({m}), is_map({m})}}"),
            };
            assign(g, Ty::Any, e, b)
        }
        4 => {
            let (m, fs) = map_var(g, b);
            let mark = g.mark();
            let p = g.pat(&Ty::Map(fs), 2, b);
            let guard = if g.one_in(2) {
                format!(" when {}", g.guard())
            } else {
                String::new()
            };
            let body = g.e(&Ty::Any, 1, b);
            g.unwind(mark);
            let e = format!("case {m} of {p}{guard} -> {body}; #{{}} -> empty_match end");
            assign(g, Ty::Any, e, b)
        }
        5 => {
            let (m1, _) = map_var(g, b.half_len());
            let (m2, _) = map_var(g, b.half_len());
            assign(g, Ty::Any, format!("maps:merge({m1}, {m2})"), b)
        }
        6 => {
            // Keys that are not literals, maybe equal to one another.
            let (m, _) = map_var(g, b);
            let k = g.e(&Ty::Any, 1, b.bits(64));
            let v = g.e(&Ty::Any, 1, b);
            let op = if g.risky() { ":=" } else { "=>" };
            assign(g, Ty::Any, format!("({m})#{{{k} {op} {v}}}"), b)
        }
        7 => {
            let n = 1 + g.below(4);
            let items: Vec<String> = (0..n)
                .map(|_| {
                    let k = if g.one_in(2) {
                        g.pick(MAP_KEYS).to_string()
                    } else {
                        g.e(&Ty::Any, 1, b.bits(64))
                    };
                    format!("{k} => {}", g.e(&Ty::Any, 1, b))
                })
                .collect();
            assign(g, Ty::Any, format!("#{{{}}}", items.join(", ")), b)
        }
        _ => {
            let (m, fs) = map_var(g, b);
            let k = fs[g.below(fs.len())].0.clone();
            let e = format!(
                "{{is_map_key({k}, {m}), map_get({k}, {m}), maps:find({}, {m}), maps:is_key({k}, {m})}}",
                g.pick(MAP_KEYS)
            );
            assign(g, Ty::Any, e, b)
        }
    }
}

fn bin_match_stmt(g: &mut Gen, b: Bud) -> Stmt {
    match g.below(7) {
        0..=2 => {
            let e = g.bin_case(2, b);
            assign(g, Ty::Any, e, b)
        }
        3 => {
            let k = g.pick(&[1, 3, 4, 7, 8, 16, 32]);
            let src = g.e(&Ty::Bits, 2, b);
            let mark = g.mark();
            let x = g.new_var(Ty::Int, b.bits(32));
            let spec = g.pick(&["", "/signed", "/little-signed", "/native"]);
            let body = g.e(&Ty::Any, 1, b);
            g.unwind(mark);
            assign(
                g,
                list_of(Ty::Any),
                format!("[{body} || <<{x}:{k}{spec}>> <= {src}]"),
                b,
            )
        }
        4 | 5 => binary_loop(g, b),
        _ => {
            let (name, _) = clause_helper_bin(g, b);
            let arg = g.e(&Ty::Bits, 2, b);
            assign(g, Ty::Any, format!("{name}({arg})"), b)
        }
    }
}

/// A helper that walks a binary segment by segment, accumulating.
fn binary_loop(g: &mut Gen, b: Bud) -> Stmt {
    let name = g.helper_name();
    let k = g.pick(&["1", "3", "5", "8", "12", "16", "32", "64"]);
    let spec = g.pick(&["", "/signed", "/little", "/signed-little", "/float"]);
    let spec = if spec == "/float" && !["16", "32", "64"].contains(&k) {
        ""
    } else {
        spec
    };
    let acc = match g.below(3) {
        0 => "[X | Acc]",
        1 => "Acc + 1",
        _ => "[{X, byte_size(Rest)} | Acc]",
    };
    let (init, done) = if acc == "Acc + 1" {
        ("0", "{Acc, Rest}")
    } else {
        ("[]", "{lists:reverse(Acc), Rest}")
    };
    let tail = g.pick(&["bits", "binary", "bitstring"]);
    g.helpers.push(format!(
        "{name}(<<X:{k}{spec}, Rest/{tail}>>, Acc) ->\n    {name}(Rest, {acc});\n{name}(Rest, Acc) ->\n    {done}.\n"
    ));
    let src = g.e(&Ty::Bits, 2, b.len(b.len.min(12)));
    assign(g, Ty::Any, format!("{name}({src}, {init})"), b)
}

/// A helper whose clauses match binaries in their heads.
fn clause_helper_bin(g: &mut Gen, b: Bud) -> (String, ()) {
    let name = g.helper_name();
    let saved = std::mem::take(&mut g.vars);
    let mut clauses = Vec::new();
    for _ in 0..1 + g.below(3) {
        g.pat_base = 0;
        let p = g.bin_pattern(b);
        let bound: Vec<String> = g.vars.iter().map(|v| v.name.clone()).collect();
        let guard = if g.one_in(3) {
            format!(" when {}", g.guard())
        } else {
            String::new()
        };
        g.unwind(0);
        clauses.push(format!(
            "{name}({p}){guard} ->\n    {{{}}}",
            bound.join(", ")
        ));
    }
    if !g.risky() {
        clauses.push(format!("{name}(Other) ->\n    {{no, Other}}"));
    }
    g.helpers.push(format!("{}.\n", clauses.join(";\n")));
    g.vars = saved;
    (name, ())
}

fn try_stmt(g: &mut Gen, b: Bud) -> Stmt {
    match g.below(7) {
        0..=3 => {
            let body = if g.one_in(2) {
                raising_expr(g, b)
            } else {
                g.maybe_raise(&Ty::Any, 2, b)
            };
            let mut of = String::new();
            if g.one_in(2) {
                let t = g.ty(1);
                let mark = g.mark();
                let p = g.pat(&t, 2, b);
                let e = g.e(&Ty::Any, 1, b);
                g.unwind(mark);
                let rest = if g.risky() {
                    String::new()
                } else {
                    let o = g.fresh();
                    format!("; {o} -> {{other, {o}}}")
                };
                of = format!(" of {p} -> {e}{rest}");
            }
            let mut handlers = Vec::new();
            for _ in 0..1 + g.below(3) {
                let r = g.fresh();
                handlers.push(match g.below(6) {
                    0 => format!("throw:{r} -> {{thrown, {r}}}"),
                    1 => "error:badarith -> arith".to_string(),
                    2 => format!("error:{{badmatch, {r}}} -> {{badmatch, {r}}}"),
                    3 => format!("exit:{r} -> {{exited, {r}}}"),
                    4 => format!("error:{r} when is_atom({r}) -> {{error_atom, {r}}}"),
                    _ => {
                        let st = g.fresh();
                        format!("error:{r}:{st} -> {{error, {r}, is_list({st})}}")
                    }
                });
            }
            if !g.one_in(4) {
                let c = g.fresh();
                let r = g.fresh();
                handlers.push(format!("{c}:{r} -> {{caught, {c}, {r}}}"));
            }
            let n = g.below(1000);
            let key = format!("{{{}, {n}}}", g.fname);
            let after = if g.one_in(2) {
                let v = g.e(&Ty::Any, 1, b);
                format!(" after put({key}, {{'after', {v}}})")
            } else {
                String::new()
            };
            let e = format!("try {body}{of} catch {}{after} end", handlers.join("; "));
            let (mut l, mut r) = assign(g, Ty::Caught, e, b);
            if !after.is_empty() {
                let (l2, r2) = assign(g, Ty::Caught, format!("get({key})"), b);
                l.extend(l2);
                r.extend(r2);
            }
            (l, r)
        }
        4 => {
            // Old-style catch: an error's stack trace is left out of what
            // is printed, its reason kept.
            let body = if g.one_in(2) {
                raising_expr(g, b)
            } else {
                g.maybe_raise(&Ty::Any, 2, b)
            };
            let (r, o) = (g.fresh(), g.fresh());
            let e = format!(
                "case catch {body} of {{'EXIT', {{{r}, _}}}} -> {{caught, {r}}}; {o} -> {o} end"
            );
            assign(g, Ty::Caught, e, b)
        }
        5 => {
            let body = raising_expr(g, b);
            let (c, r, c2, r2) = (g.fresh(), g.fresh(), g.fresh(), g.fresh());
            let e = format!(
                "try try {body} catch {c}:{r} -> erlang:raise({c}, {{again, {r}}}, []) end catch {c2}:{r2} -> {{{c2}, {r2}}} end"
            );
            assign(g, Ty::Caught, e, b)
        }
        _ => {
            // Nested try with after: the order of side effects.
            let k = format!("{{{}, order}}", g.fname);
            let body = raising_expr(g, b);
            let e = format!(
                "begin put({k}, []), try try {body} after put({k}, [inner | get({k})]) end catch _:_ -> put({k}, [handler | get({k})]) after put({k}, [outer | get({k})]) end, get({k}) end"
            );
            assign(g, Ty::Caught, e, b)
        }
    }
}

fn closures_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let funs = g.vars_where(|t| matches!(t, Ty::Fun(..)));
    match g.below(9) {
        0 | 1 => {
            let n = g.below(3);
            let ps: Vec<Ty> = (0..n)
                .map(|_| g.pick_ty(&[Ty::Int, Ty::Int, Ty::Any, Ty::Float]))
                .collect();
            let r = g.ty(1);
            let f = g.fun_expr(&ps, &r, 3, b);
            assign(g, Ty::Fun(ps, Box::new(r)), f, b)
        }
        2 | 3 if !funs.is_empty() => {
            let (f, t) = funs[g.below(funs.len())].clone();
            let Ty::Fun(ps, r) = t else {
                unreachable!("a fun")
            };
            let args: Vec<String> = ps.iter().map(|p| g.e(p, 2, b)).collect();
            if g.risky() {
                // Wrong arity: badarity, whose reason holds the fun.
                let mut args = args;
                args.push("extra".into());
                return assign(g, Ty::Any, format!("{f}({})", args.join(", ")), b);
            }
            assign(g, *r, format!("{f}({})", args.join(", ")), b)
        }
        4 => {
            // A fun returning a fun, each capturing.
            let x = g.e(&Ty::Int, 1, b);
            let mark = g.mark();
            let a = g.new_var(Ty::Int, b);
            let c = g.new_var(Ty::Int, b);
            let body = g.e(&Ty::Any, 2, b);
            g.unwind(mark);
            let y = g.e(&Ty::Int, 1, b);
            let e = format!("((fun({a}) -> fun({c}) -> {body} end end)({x}))({y})");
            assign(g, Ty::Any, e, b)
        }
        5 => {
            // A named fun recursing a bounded number of times.
            let n = g.e(&Ty::Int, 1, b);
            let (f, m, acc) = (g.fresh(), g.fresh(), g.fresh());
            let mark = g.mark();
            g.bind(&m, Ty::Int, b.bits(9));
            g.bind(&acc, Ty::Int, b);
            let step = match g.below(3) {
                0 => format!("{acc} + {}", g.e(&Ty::Int, 1, b)),
                1 => format!("{acc} * 2 + {m}"),
                _ => format!("{acc} bxor ({m} bsl {})", g.pick(&[1, 7, 59, 60, 63])),
            };
            g.unwind(mark);
            let e = format!(
                "(fun {f}(0, {acc}) -> {acc}; {f}({m}, {acc}) -> {f}({m} - 1, {step}) end)(abs({n}) rem 40, {})",
                g.pick(&["0", "1", "-1", "576460752303423487"])
            );
            assign(g, Ty::Int, e, b.bits(b.bits.max(130)))
        }
        6 => {
            let f = g.pick(&[
                "fun erlang:abs/1",
                "fun erlang:integer_to_list/1",
                "fun erlang:is_integer/1",
                "fun lists:reverse/1",
                "fun erlang:'-'/1",
                "fun erlang:'bnot'/1",
            ]);
            let l = g.e(&list_of(Ty::Int), 2, b);
            assign(g, Ty::Any, format!("lists:map({f}, {l})"), b)
        }
        7 if !funs.is_empty() => {
            let (f, _) = funs[g.below(funs.len())].clone();
            let e = format!(
                "{{erlang:fun_info({f}, arity), is_function({f}), is_function({f}, 1), erlang:fun_info({f}, type)}}"
            );
            assign(g, Ty::Any, e, b)
        }
        _ => {
            if g.risky() {
                // Through a variable: `(atom)(1)` would be a local call.
                let x = g.e(&Ty::Any, 1, b);
                let f = g.fresh();
                return assign(g, Ty::Any, format!("begin {f} = {x}, {f}(1) end"), b);
            }
            // Many captured values, called through apply.
            let caps: Vec<String> = g
                .vars_where(|t| !matches!(t, Ty::Fun(..)))
                .into_iter()
                .map(|(v, _)| v)
                .take(5)
                .collect();
            let e = format!("apply(fun() -> {{{}}} end, [])", caps.join(", "));
            assign(g, Ty::Any, e, b)
        }
    }
}

fn recursion_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let name = g.helper_name();
    let saved = std::mem::take(&mut g.vars);
    let (helper, call) = match g.below(6) {
        0 => {
            let (n, acc) = (g.fresh(), g.fresh());
            g.bind(&n, Ty::Int, b.bits(9));
            g.bind(&acc, Ty::Int, b);
            let step = match g.below(2) {
                0 => format!("{acc} + {}", g.e(&Ty::Int, 2, b)),
                _ => format!("({}) bxor {acc}", g.e(&Ty::Int, 2, b)),
            };
            g.unwind(0);
            (
                format!(
                    "{name}(0, {acc}) ->\n    {acc};\n{name}({n}, {acc}) when {n} > 0 ->\n    {name}({n} - 1, {step});\n{name}(_, {acc}) ->\n    {{negative, {acc}}}.\n"
                ),
                "(abs(ARG) rem 30, INIT)",
            )
        }
        1 => {
            let (h, t) = (g.fresh(), g.fresh());
            g.bind(&h, Ty::Int, b);
            let item = g.e(&Ty::Any, 2, b);
            g.unwind(0);
            let base = g.pick(&["[]", "[done]"]);
            (
                format!(
                    "{name}([]) ->\n    {base};\n{name}([{h} | {t}]) ->\n    [{item} | {name}({t})].\n"
                ),
                "(LIST)",
            )
        }
        2 => {
            // Fibonacci pairs: walks integers across 2^59, 2^60, 2^63, 2^64.
            let (n, a, c) = (g.fresh(), g.fresh(), g.fresh());
            let op = g.pick(&["+", "-", "bxor"]);
            (
                format!(
                    "{name}(0, {a}, {c}) ->\n    {{{a}, {c}}};\n{name}({n}, {a}, {c}) ->\n    {name}({n} - 1, {c}, {a} {op} {c}).\n"
                ),
                "(abs(ARG) rem 100, 0, 1)",
            )
        }
        3 => {
            let n = g.fresh();
            (
                format!(
                    "{name}({n}) when {n} =< 0 ->\n    leaf;\n{name}({n}) ->\n    {{{name}({n} - 1), {n}, {name}({n} - 2)}}.\n"
                ),
                "(abs(ARG) rem 8)",
            )
        }
        4 => {
            // Mutual recursion through a second helper.
            let other = format!("{name}_odd");
            let n = g.fresh();
            (
                format!(
                    "{name}(0) ->\n    true;\n{name}({n}) ->\n    {other}({n} - 1).\n\n{other}(0) ->\n    false;\n{other}({n}) ->\n    {name}({n} - 1).\n"
                ),
                "(abs(ARG) rem 50)",
            )
        }
        _ => {
            let (n, acc) = (g.fresh(), g.fresh());
            g.bind(&n, Ty::Int, b.bits(9));
            g.bind(&acc, Ty::Float, b);
            let step = g.e(&Ty::Float, 2, b);
            g.unwind(0);
            (
                format!(
                    "{name}(0, {acc}) ->\n    {acc};\n{name}({n}, {acc}) ->\n    {name}({n} - 1, {acc} + {step}).\n"
                ),
                "(abs(ARG) rem 20, 0.0)",
            )
        }
    };
    g.vars = saved;
    g.helpers.push(helper);
    let arg = g.e(&Ty::Int, 1, b);
    let list = g.e(&list_of(Ty::Int), 1, b);
    let init = g.e(&Ty::Int, 1, b);
    let call = call
        .replace("ARG", &arg)
        .replace("LIST", &list)
        .replace("INIT", &init);
    assign(g, Ty::Any, format!("{name}{call}"), b)
}

fn hof_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let t = g.pick_ty(&[Ty::Int, Ty::Int, Ty::Any, Ty::Float]);
    let l = g.e(&list_of(t.clone()), 2, b);
    let mark = g.mark();
    let x = g.new_var(t.clone(), b);
    // The accumulator is not in scope for `val`: a value built from it
    // twice per element would double at every step.
    let val = g.e(&Ty::Any, 2, b.bits(64));
    let test = g.e(&Ty::Bool, 2, b);
    g.unwind(mark);
    let acc = g.fresh();
    let y = g.fresh();
    let e = match g.below(14) {
        0 => format!("lists:map(fun({x}) -> {val} end, {l})"),
        1 => format!("lists:filter(fun({x}) -> {test} end, {l})"),
        2 => format!("lists:foldl(fun({x}, {acc}) -> [{val} | {acc}] end, [], {l})"),
        3 => format!("lists:foldr(fun({x}, {acc}) -> {{{val}, {acc}}} end, nil, {l})"),
        4 => format!(
            "{{lists:any(fun({x}) -> {test} end, {l}), lists:all(fun({x}) -> {test} end, {l})}}"
        ),
        5 => format!("lists:zipwith(fun({x}, {y}) -> {{{x}, {y}}} end, {l}, lists:reverse({l}))"),
        6 => format!("lists:mapfoldl(fun({x}, {acc}) -> {{{val}, {acc} + 1}} end, 0, {l})"),
        7 => format!(
            "lists:filtermap(fun({x}) -> case {test} of true -> {{true, {val}}}; false -> false end end, {l})"
        ),
        8 => format!("lists:flatmap(fun({x}) -> [{x}, {val}] end, {l})"),
        9 => format!("lists:partition(fun({x}) -> {test} end, {l})"),
        10 => format!("lists:sort(fun({x}, {y}) -> {x} >= {y} end, {l})"),
        11 => format!(
            "{{lists:takewhile(fun({x}) -> {test} end, {l}), lists:dropwhile(fun({x}) -> {test} end, {l})}}"
        ),
        12 => format!("lists:foldl(fun erlang:'+'/2, 0, [{x} || {x} <- {l}, is_number({x})])"),
        _ => format!("lists:search(fun({x}) -> {test} end, {l})"),
    };
    assign(g, Ty::Any, e, b)
}

/// Map keys as functions of an integer `I` (source): integers, their
/// negatives and bignum shifts, floats equal to integers, tuples, lists,
/// binaries, atoms, and keys that collide (`I rem 7`).
const KEY_FORMS: &[&str] = &[
    "I",
    "-I",
    "(I * 3)",
    "{k, I}",
    "integer_to_binary(I)",
    "[I]",
    "(I + 0.5)",
    "float(I)",
    "(I bsl 60)",
    "(I rem 7)",
    "{I rem 3, I}",
    "<<I:16>>",
    "list_to_atom(\"k\" ++ integer_to_list(I rem 40))",
];

/// A key form with `i` (source) for `I`.
fn key_at(form: &str, i: &str) -> String {
    form.replace('I', &format!("({i})"))
}

/// Digests of a large map that do not depend on its order: its size and
/// its pairs sorted (all, or the first few). `canon/1` (in every program)
/// sorts distinct terms apart even when they compare equal (`1` and `1.0`),
/// which a plain sort would leave in each VM's own order.
fn map_digest(g: &mut Gen, m: &str) -> String {
    match g.below(4) {
        0 => format!("{{map_size({m}), canon(maps:to_list({m}))}}"),
        1 => format!("{{map_size({m}), lists:sublist(canon(maps:to_list({m})), 6)}}"),
        2 => format!("{{canon(maps:keys({m})), length(maps:values({m}))}}"),
        _ => {
            let (k, x, a) = (g.fresh(), g.fresh(), g.fresh());
            format!("canon(maps:fold(fun({k}, {x}, {a}) -> [{{{k}, {x}}} | {a}] end, [], {m}))")
        }
    }
}

/// `canon/1`, which every program has: a list in an order that depends on
/// its elements only.
pub const CANON: &str =
    "canon(L) ->\n    [X || {_, X} <- lists:sort([{term_to_binary(X), X} || X <- L])].\n";

/// Maps past 32 keys (the hash-map shape on both VMs): built, updated,
/// merged, filtered, matched and compared, printed only as digests that
/// do not depend on the order each VM keeps them in.
fn bigmaps_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let maps: Vec<String> = g
        .vars_where(|t| *t == Ty::BigMap)
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    let form = g.pick(KEY_FORMS);
    let lookup = |g: &mut Gen| key_at(g.pick(KEY_FORMS), &g.rng.range(-3, 450).to_string());
    if maps.is_empty() || g.one_in(4) {
        let n = g.pick(&[20, 33, 40, 64, 100, 257, 400]);
        let i = g.fresh();
        let key = form.replace('I', &i);
        let mark = g.mark();
        g.bind(&i, Ty::Int, b.bits(16));
        let risk = std::mem::replace(&mut g.risk, 1000);
        let val = if g.one_in(2) {
            g.e(&Ty::Int, 1, b.bits(64))
        } else {
            i.clone()
        };
        g.risk = risk;
        g.unwind(mark);
        let e = match g.below(3) {
            0 => format!("maps:from_list([{{{key}, {val}}} || {i} <- lists:seq(1, {n})])"),
            1 => {
                let m = g.fresh();
                format!(
                    "lists:foldl(fun({i}, {m}) -> {m}#{{{key} => {val}}} end, #{{}}, lists:seq(1, {n}))"
                )
            }
            _ => format!(
                "maps:from_list(lists:zip([{key} || {i} <- lists:seq(1, {n})], lists:seq(1, {n})))"
            ),
        };
        let v = g.new_var(Ty::BigMap, b);
        let (l2, r2) = assign(g, Ty::Int, format!("map_size({v})"), b);
        return ([vec![format!("{v} = {e}")], l2].concat(), r2);
    }
    let m = maps[g.below(maps.len())].clone();
    let other = maps[g.below(maps.len())].clone();
    let k = lookup(g);
    let k2 = lookup(g);
    match g.below(12) {
        0..=3 => {
            let e = match g.below(9) {
                0 => format!("{m}#{{{k} => {}}}", g.e(&Ty::Any, 1, b.bits(64))),
                1 => format!(
                    "{m}#{{{k} := {}, {k2} => {k2}}}",
                    g.e(&Ty::Int, 1, b.bits(64))
                ),
                2 => format!("maps:remove({k}, maps:remove({k2}, {m}))"),
                3 => format!("maps:merge({m}, {other})"),
                4 => format!("maps:without([{k}, {k2}], {m})"),
                5 => {
                    let (x, y) = (g.fresh(), g.fresh());
                    format!(
                        "maps:filter(fun({x}, {y}) -> is_integer({y}) orelse is_tuple({x}) end, {m})"
                    )
                }
                6 => {
                    let (x, y) = (g.fresh(), g.fresh());
                    format!("maps:map(fun({x}, {y}) -> {{{y}, {x}}} end, {m})")
                }
                7 => {
                    let x = g.fresh();
                    format!("maps:update_with({k}, fun({x}) -> {{{x}}} end, new, {m})")
                }
                _ => format!("maps:put({k}, {k2}, {m})"),
            };
            let v = g.new_var(Ty::BigMap, b);
            let d = map_digest(g, &v);
            let (l2, r2) = assign(g, Ty::Any, d, b);
            ([vec![format!("{v} = {e}")], l2].concat(), r2)
        }
        4 => {
            let d = map_digest(g, &m);
            assign(g, Ty::Any, d, b)
        }
        5 => assign(
            g,
            Ty::Any,
            format!(
                "{{maps:get({k}, {m}, none), maps:find({k2}, {m}), is_map_key({k}, {m}), maps:is_key({k2}, {m})}}"
            ),
            b,
        ),
        6 => assign(
            g,
            Ty::Any,
            format!(
                "{{{m} =:= {other}, {m} == {other}, {m} < {other}, {m} >= {other}, map_size({m}) - map_size({other})}}"
            ),
            b,
        ),
        7 => assign(
            g,
            Ty::Any,
            format!(
                "{{binary_to_term(term_to_binary({m})) =:= {m}, maps:from_list(maps:to_list({m})) =:= {m}, maps:merge({m}, #{{}}) == {m}}}"
            ),
            b,
        ),
        8 => {
            // A pattern's key is a literal or a bound variable.
            let (kv, x) = (g.fresh(), g.fresh());
            let e = format!("case {m} of #{{{kv} := {x}}} -> {{found, {x}}}; #{{}} -> missing end");
            let (l, r) = assign(g, Ty::Any, e, b);
            ([vec![format!("{kv} = {k}")], l].concat(), r)
        }
        9 => {
            let a = g.fresh();
            let e = format!("maps:fold(fun(_, _, {a}) -> {a} + 1 end, 0, {m})");
            assign(g, Ty::Int, e, b)
        }
        10 => {
            let (x, rest) = (g.fresh(), g.fresh());
            let e = format!(
                "case maps:take({k}, {m}) of {{{x}, {rest}}} -> {{{x}, map_size({rest})}}; error -> error end"
            );
            assign(g, Ty::Any, e, b)
        }
        _ => {
            let e = format!("canon(maps:to_list(maps:with([{k}, {k2}], {m})))");
            assign(g, Ty::Any, e, b)
        }
    }
}

/// Data large enough that the VMs collect garbage in the middle of
/// building it, keep binaries off the heap (past 64 bytes), take
/// sub-binaries, grow a binary in place and recurse deeply: printed as
/// digests (sizes, sums, ends, a CRC).
fn heap_stmt(g: &mut Gen, _b: Bud) -> Stmt {
    let n = g.pick(&[65, 100, 500, 1000, 3000, 5000]);
    let i = g.fresh();
    // An element computed from the index, raising nothing.
    let elem = |g: &mut Gen, t: &Ty| {
        let mark = g.mark();
        g.bind(&i, Ty::Int, Bud { bits: 16, len: 2 });
        let risk = std::mem::replace(&mut g.risk, 1000);
        let e = g.e(t, 2, Bud { bits: 64, len: 2 });
        g.risk = risk;
        g.unwind(mark);
        e
    };
    match g.below(8) {
        0 | 1 => {
            let t = g.pick_ty(&[
                Ty::Int,
                Ty::Float,
                Ty::Any,
                Ty::Bin,
                Ty::Tuple(vec![Ty::Int, Ty::Any]),
            ]);
            let e = elem(g, &t);
            let l = g.fresh();
            let digest = match g.below(4) {
                0 => format!(
                    "{{length({l}), hd({l}), lists:last({l}), lists:nth({}, {l})}}",
                    n / 2 + 1
                ),
                1 => format!(
                    "{{length({l}), lists:sublist(lists:sort({l}), 5), lists:sublist(lists:reverse(lists:sort({l})), 5)}}"
                ),
                2 => format!("{{length(lists:usort({l})), erlang:crc32(term_to_binary({l}))}}"),
                _ => {
                    let (x, a) = (g.fresh(), g.fresh());
                    format!(
                        "lists:foldl(fun({x}, {a}) -> ({a} * 31 + erlang:crc32(term_to_binary({x}))) rem 1000000007 end, 0, {l})"
                    )
                }
            };
            let v = g.fresh();
            (
                vec![
                    format!("{l} = [{e} || {i} <- lists:seq(1, {n})]"),
                    format!("{v} = {digest}"),
                ],
                vec![v],
            )
        }
        2 => {
            // Deep, not tail-recursive: the stack grows with n. The helper
            // sees only its own argument.
            let name = g.helper_name();
            let outer = std::mem::take(&mut g.vars);
            let e = elem(g, &Ty::Int);
            g.vars = outer;
            g.helpers.push(format!(
                "{name}(0) ->\n    [];\n{name}({i}) ->\n    [{e} | {name}({i} - 1)].\n"
            ));
            let (l, v) = (g.fresh(), g.fresh());
            (
                vec![
                    format!("{l} = {name}({})", n * g.pick(&[1, 4])),
                    format!(
                        "{v} = {{length({l}), lists:sum({l}) rem 1000000007, lists:max({l}), lists:min({l})}}"
                    ),
                ],
                vec![v],
            )
        }
        3 => {
            // A bignum grown by products: every step allocates a larger one.
            let k = g.pick(&[100, 300, 700]);
            let (f, v, acc) = (g.fresh(), g.fresh(), g.fresh());
            let step = g.pick(&["*", "*", "+"]);
            (
                vec![
                    format!(
                        "{f} = lists:foldl(fun({i}, {acc}) -> {acc} {step} ({i} bsl {}) end, 1, lists:seq(1, {k}))",
                        g.below(70)
                    ),
                    format!(
                        "{v} = {{{f} rem 1000000007, length(integer_to_list({f})), {f} bsr (bit_size(binary:encode_unsigned(abs({f}))) - 64), -{f} band 16#FFFFFFFFFFFFFFFFF}}"
                    ),
                ],
                vec![v],
            )
        }
        4 | 5 => {
            let bin = g.fresh();
            let e = elem(g, &Ty::Int);
            let build = match g.below(4) {
                0 => format!(
                    "<< <<({e}):{}>> || {i} <- lists:seq(1, {n}) >>",
                    g.pick(&[8, 16, 24, 32, 64])
                ),
                1 => {
                    let acc = g.fresh();
                    let size = g.pick(&[8, 16, 32]);
                    format!(
                        "lists:foldl(fun({i}, {acc}) -> <<{acc}/binary, ({e}):{size}>> end, <<>>, lists:seq(1, {n}))"
                    )
                }
                2 => format!("binary:copy(<<\"0123456789abcdef\">>, {})", n / 16 + 5),
                _ => format!(
                    "iolist_to_binary([[integer_to_binary({i}), $,] || {i} <- lists:seq(1, {n})])"
                ),
            };
            let (h, rest, v) = (g.fresh(), g.fresh(), g.fresh());
            let k = g.pick(&[1, 10, 64, 65, 100]);
            let lines = match g.below(4) {
                0 => vec![
                    format!("<<{h}:{k}/binary, {rest}/binary>> = {bin}"),
                    format!(
                        "{v} = {{byte_size({bin}), {h}, byte_size({rest}), erlang:crc32({rest}), binary:part({rest}, byte_size({rest}), -3)}}"
                    ),
                ],
                1 => vec![format!(
                    "{v} = {{erlang:crc32({bin}), binary:first({bin}), binary:last({bin}), binary:at({bin}, {}), length(binary:split({bin}, <<0>>, [global]))}}",
                    k - 1
                )],
                2 => {
                    let x = g.fresh();
                    vec![format!(
                        "{v} = {{lists:sum([{x} || <<{x}:32>> <= {bin}]) rem 1000000007, bit_size({bin})}}"
                    )]
                }
                _ => {
                    let (x, acc, r) = (g.fresh(), g.fresh(), g.fresh());
                    let name = g.helper_name();
                    g.helpers.push(format!(
                        "{name}(<<{x}:16, {r}/binary>>, {acc}) ->\n    {name}({r}, ({acc} * 7 + {x}) rem 1000003);\n{name}({r}, {acc}) ->\n    {{{acc}, {r}}}.\n"
                    ));
                    vec![format!("{v} = {name}({bin}, 0)")]
                }
            };
            ([vec![format!("{bin} = {build}")], lines].concat(), vec![v])
        }
        6 => {
            let (t, v) = (g.fresh(), g.fresh());
            let e = elem(g, &Ty::Any);
            (
                vec![
                    format!("{t} = list_to_tuple([{e} || {i} <- lists:seq(1, {n})])"),
                    format!(
                        "{v} = {{tuple_size({t}), element({}, {t}), element({n}, setelement({n}, {t}, last)), tuple_size(erlang:append_element({t}, x))}}",
                        n / 3
                    ),
                ],
                vec![v],
            )
        }
        _ => {
            // Sorting, with duplicates and every kind of term.
            let t = g.pick_ty(&[Ty::Int, Ty::Any, Ty::Float]);
            let e = elem(g, &t);
            let (l, v) = (g.fresh(), g.fresh());
            let sort = g.pick(&["lists:sort", "lists:usort", "lists:reverse"]);
            (
                vec![
                    format!("{l} = {sort}([{e} || {i} <- lists:seq(1, {n})])"),
                    format!(
                        "{v} = {{length({l}), lists:sublist({l}, 4), lists:nthtail(length({l}) - 2, {l})}}"
                    ),
                ],
                vec![v],
            )
        }
    }
}

/// Integers at which a select on values changes on one VM or the other.
const SELECT_EDGES: &[&str] = &[
    "-1",
    "0",
    "1",
    "2",
    "7",
    "255",
    "256",
    "-256",
    "134217727",
    "134217728",
    "-134217729",
    "576460752303423487",
    "576460752303423488",
    "-576460752303423488",
    "-576460752303423489",
    "1152921504606846975",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
];

/// Many literal clauses over one value, as a function's heads or a
/// `case`: dense and sparse integers, atoms, floats, mixed kinds, tagged
/// tuples of several arities, binaries, lists (erlc's jump tables,
/// select_val and select_tuple_arity), called with every literal and with
/// values that just miss.
fn select_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let (pats, misses): (Vec<String>, Vec<String>) = match g.below(8) {
        0 | 1 => {
            let start = g.pick(&[
                -3i128,
                0,
                100,
                (1 << 27) - 5,
                (1 << 59) - 5,
                (1 << 60) - 5,
                (1 << 63) - 5,
                (1 << 64) - 5,
            ]);
            let n = 4 + g.below(17) as i128;
            let step = g.pick(&[1i128, 1, 2, 3]);
            let pats = (0..n).map(|k| (start + k * step).to_string()).collect();
            let misses = vec![
                (start - 1).to_string(),
                (start + n * step).to_string(),
                format!("{}.0", start),
                "a".into(),
            ];
            (pats, misses)
        }
        2 => {
            let mut pats: Vec<String> = Vec::new();
            for _ in 0..4 + g.below(9) {
                let e = g.pick(SELECT_EDGES).to_string();
                if !pats.contains(&e) {
                    pats.push(e);
                }
            }
            (
                pats,
                vec!["3".into(), "-2".into(), "1.0".into(), "[]".into()],
            )
        }
        3 => {
            let atoms = [
                "a",
                "b",
                "c",
                "ok",
                "error",
                "undefined",
                "'hello world'",
                "''",
                "true",
                "false",
                "nil",
                "zzz",
                "'Ωμέγα'",
                "x1",
                "x2",
                "x3",
            ];
            let n = 3 + g.below(atoms.len() - 3);
            (
                atoms[..n].iter().map(|s| s.to_string()).collect(),
                vec!["zz".into(), "1".into(), "\"a\"".into()],
            )
        }
        4 => (
            [
                "0.0",
                "1.0",
                "-1.5",
                "0.1",
                "1.0e300",
                "5.0e-324",
                "2.5",
                "9007199254740993.0",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            vec![
                "0".into(),
                "1".into(),
                "-0.0".into(),
                "2.4999999999999996".into(),
            ],
        ),
        5 => (
            [
                "1",
                "a",
                "[]",
                "{}",
                "<<\"x\">>",
                "\"str\"",
                "1.0",
                "{a, 1}",
                "[a]",
                "-1",
                "<<>>",
                "#{}",
                "#{a := 1}",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            vec![
                "2".into(),
                "b".into(),
                "{a, 2}".into(),
                "<<\"y\">>".into(),
                "[b]".into(),
                "#{a => 2}".into(),
            ],
        ),
        6 => (
            [
                "{a}",
                "{a, _}",
                "{a, _, _}",
                "{b, _}",
                "{b, 1, _}",
                "{c, _, _, _}",
                "{_, _}",
                "{}",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            vec![
                "{a, 1}".into(),
                "{b, 1, 2}".into(),
                "{b, 2, 2}".into(),
                "{d}".into(),
                "{c, 1, 2, 3}".into(),
                "{x, y, z}".into(),
                "{}".into(),
                "[a]".into(),
            ],
        ),
        _ => (
            [
                "<<>>",
                "<<0>>",
                "<<\"ab\">>",
                "<<1:1>>",
                "<<255, 255>>",
                "[]",
                "[a]",
                "[a, b]",
                "[_ | _]",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            vec![
                "<<1>>".into(),
                "<<\"ab\", 0>>".into(),
                "<<0:1>>".into(),
                "[b]".into(),
                "[a | b]".into(),
            ],
        ),
    };
    // Inputs: each pattern as a value (wildcards 0, map patterns built).
    let mut inputs: Vec<String> = pats
        .iter()
        .map(|p| p.replace('_', "0").replace(":=", "=>"))
        .collect();
    inputs.extend(misses);
    let name = g.helper_name();
    let saved = std::mem::take(&mut g.vars);
    let x = g.fresh();
    g.bind(&x, Ty::Any, b);
    let mut clauses = Vec::new();
    for (k, p) in pats.iter().enumerate() {
        let body = if g.one_in(3) {
            g.e(&Ty::Any, 1, b.bits(64))
        } else {
            format!("{{{k}, {x}}}")
        };
        let guard = if g.one_in(6) {
            format!(" when {}", g.guard())
        } else {
            String::new()
        };
        clauses.push((p.clone(), guard, body));
    }
    let default = if g.risky() {
        None
    } else {
        Some(g.e(&Ty::Any, 1, b.bits(64)))
    };
    g.unwind(0);
    g.vars = saved;
    let as_case = g.one_in(3);
    if as_case {
        let mut arms: Vec<String> = clauses
            .iter()
            .map(|(p, gd, body)| format!("{p}{gd} -> {body}"))
            .collect();
        if let Some(d) = default {
            arms.push(format!("_ -> {d}"));
        }
        g.helpers.push(format!(
            "{name}({x}) ->\n    case {x} of\n        {}\n    end.\n",
            arms.join(";\n        ")
        ));
    } else {
        // The patterns bind nothing, so `x` in a body needs the head to name it.
        let mut heads: Vec<String> = clauses
            .iter()
            .map(|(p, gd, body)| format!("{name}(({p}) = {x}){gd} ->\n    {body}"))
            .collect();
        if let Some(d) = default {
            heads.push(format!("{name}({x}) ->\n    {d}"));
        }
        g.helpers.push(format!("{}.\n", heads.join(";\n")));
    }
    // A miss without a default clause raises; each input's result alone.
    let (v, t) = (g.fresh(), g.fresh());
    let e = format!(
        "[try {name}({v}) catch error:function_clause -> no_clause; error:{{case_clause, _}} -> no_case end || {v} <- [{}]]",
        inputs.join(", ")
    );
    (vec![format!("{t} = {e}")], vec![t])
}

/// A record expression of `r`: some fields set, the others defaulted.
fn record_expr(g: &mut Gen, r: &'static str, b: Bud) -> String {
    let fields = RECORD_DEFS
        .iter()
        .find(|(n, _)| *n == r)
        .map_or(&[][..], |(_, f)| *f);
    let mut set = Vec::new();
    for f in fields {
        if g.one_in(2) {
            set.push(format!("{f} = {}", g.e(&Ty::Any, 1, b.bits(64))));
        }
    }
    format!("#{r}{{{}}}", set.join(", "))
}

/// Records: built with defaults, updated, fields read, matched in
/// patterns and heads, tested with is_record in guards, nested, and read
/// from what is no such record (badrecord).
fn records_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let recs: Vec<(String, Ty)> = g.vars_where(|t| matches!(t, Ty::Record(_)));
    let pick_rec = |g: &mut Gen| g.pick(&["r1", "r1", "r2", "r3"]);
    if recs.is_empty() || g.one_in(4) {
        let r = pick_rec(g);
        let e = if g.one_in(4) && r == "r2" {
            let inner = record_expr(g, "r1", b);
            format!("#r2{{v = {inner}, k = {}}}", g.e(&Ty::Int, 1, b.bits(64)))
        } else {
            record_expr(g, r, b)
        };
        return assign(g, Ty::Record(r), e, b);
    }
    let (v, t) = recs[g.below(recs.len())].clone();
    let Ty::Record(r) = t else {
        unreachable!("a record")
    };
    let fields = RECORD_DEFS
        .iter()
        .find(|(n, _)| *n == r)
        .map_or(&[][..], |(_, f)| *f);
    match g.below(8) {
        0 | 1 if !fields.is_empty() => {
            let f = g.pick(fields);
            let e = format!("{v}#{r}{{{f} = {}}}", g.e(&Ty::Any, 1, b.bits(64)));
            assign(g, Ty::Record(r), e, b)
        }
        2 if !fields.is_empty() => {
            let reads: Vec<String> = fields.iter().map(|f| format!("{v}#{r}.{f}")).collect();
            let index = format!("#{r}.{}", fields[0]);
            assign(g, Ty::Any, format!("{{{}, {index}}}", reads.join(", ")), b)
        }
        3 if !fields.is_empty() => {
            let mark = g.mark();
            let mut binds = Vec::new();
            for f in fields {
                if g.one_in(2) {
                    let x = g.new_var(Ty::Any, b);
                    binds.push(format!("{f} = {x}"));
                }
            }
            let bound: Vec<String> = g.vars[mark..].iter().map(|x| x.name.clone()).collect();
            (vec![format!("#{r}{{{}}} = {v}", binds.join(", "))], bound)
        }
        4 => {
            let other = g.e(&Ty::Any, 1, b.bits(64));
            let e = format!(
                "{{is_record({v}, r1), is_record({v}, r2), is_record({v}, r2, 4), is_record({other}, r1), is_tuple({v}), tuple_size({v}), element(1, {v})}}"
            );
            assign(g, Ty::Any, e, b)
        }
        5 => {
            // Record patterns in a function's heads, and guards on fields.
            let name = g.helper_name();
            let (y, rv) = (g.fresh(), g.fresh());
            g.helpers.push(format!(
                "{name}(#r1{{a = {y}}} = {rv}) when is_integer({y}), {y} > {rv}#r1.b ->\n    {{r1_big, {y}}};\n\
                 {name}(#r1{{c = x}}) ->\n    r1_default_c;\n\
                 {name}(#r2{{v = #r1{{a = {y}}}}}) ->\n    {{nested, {y}}};\n\
                 {name}({rv}) when is_record({rv}, r2) ->\n    {{r2, {rv}#r2.k}};\n\
                 {name}(#r3{{}}) ->\n    r3;\n\
                 {name}({y}) ->\n    {{other, {y}}}.\n"
            ));
            let arg = if g.one_in(3) {
                g.e(&Ty::Any, 1, b.bits(64))
            } else {
                v.clone()
            };
            assign(g, Ty::Any, format!("{name}({arg})"), b)
        }
        6 => {
            // A field of what is no such record.
            let x = g.e(&Ty::Any, 1, b.bits(64));
            let f = fields.first().copied().unwrap_or("a");
            let rr = if fields.is_empty() { "r1" } else { r };
            let c = g.fresh();
            let e = format!("try ({x})#{rr}.{f} catch error:{{badrecord, _}} = {c} -> {c} end");
            assign(g, Ty::Caught, e, b)
        }
        _ => {
            let e = format!(
                "{{record_info(size, {r}), record_info(fields, {r}), {v} =:= #{r}{{}}, {v} < #{r}{{}}}}"
            );
            assign(g, Ty::Any, e, b)
        }
    }
}

/// The list, binary and tuple functions LAM implements natively, called
/// with arguments that fit them (key lists of tuples, patterns cut from
/// the subject binary) and now and then with ones that do not.
fn stdlib_stmt(g: &mut Gen, b: Bud) -> Stmt {
    // Each argument bound once, as it is used several times.
    let mut lines = Vec::new();
    let mut arg = |g: &mut Gen, t: Ty, b: Bud| {
        let e = g.e(&t, 2, b);
        let v = g.new_var(t, b);
        lines.push(format!("{v} = {e}"));
        v
    };
    let kl = arg(g, list_of(Ty::Tuple(vec![Ty::Int, Ty::Any])), b);
    let key = arg(g, Ty::Int, b.bits(16));
    let l = arg(g, list_of(Ty::Any), b);
    let il = arg(g, list_of(Ty::Int), b.bits(64));
    let bin = arg(g, Ty::Bin, b);
    let n = g.rng.range(-1, 6);
    let e = match g.below(26) {
        0 => format!(
            "{{lists:keyfind({key}, 1, {kl}), lists:keymember({key}, 1, {kl}), lists:keysearch({key}, 1, {kl})}}"
        ),
        1 => format!(
            "{{lists:keydelete({key}, 1, {kl}), lists:keyreplace({key}, 1, {kl}, {{{key}, new}})}}"
        ),
        2 => format!(
            "{{lists:keystore({key}, 1, {kl}, {{{key}, stored}}), lists:keysort({}, {kl})}}",
            1 + g.below(2)
        ),
        3 => format!(
            "{{lists:ukeysort(1, {kl}), lists:keymerge(1, lists:keysort(1, {kl}), lists:keysort(1, [{{{key}, m}}]))}}"
        ),
        4 => format!(
            "{{lists:reverse({l}, {il}), lists:member({key}, {il}), lists:member({key}, {l})}}"
        ),
        5 => format!("{{{l} ++ {il}, {l} -- {il}, {il} -- {l}, lists:subtract({il}, {il})}}"),
        6 => format!("lists:split({n}, {l})"),
        7 => format!(
            "{{lists:sublist({l}, {}, {n}), lists:nthtail({n}, {l})}}",
            1 + g.below(3)
        ),
        8 => format!("{{lists:prefix({il}, {l}), lists:suffix({il}, {il} ++ {l})}}"),
        9 => format!(
            "{{lists:max([{key} | {il}]), lists:min([{key} | {l}]), lists:droplast([{key} | {il}])}}"
        ),
        10 => format!(
            "{{lists:duplicate({}, {key}), lists:seq({key}, {key} + {}, {})}}",
            g.below(12),
            g.below(30),
            g.pick(&["1", "2", "3", "-1"])
        ),
        11 => format!(
            "{{lists:flatten([{l}, [[{il}], []], {key}]), lists:flatlength([{l}, [{il}]])}}"
        ),
        12 => format!("{{lists:zip3({il}, {il}, {il}), lists:unzip3([{{{key}, a, b}}])}}"),
        13 => format!("{{lists:enumerate({l}), lists:uniq({l} ++ {l})}}"),
        14 => {
            let x = g.fresh();
            format!("lists:splitwith(fun({x}) -> is_integer({x}) end, {l})")
        }
        15 => {
            // A pattern cut from the subject, so that it is found.
            let part = format!("binary:part({bin}, {{{}, {}}})", g.below(3), g.below(3));
            let p = g.fresh();
            format!(
                "case catch {part} of {p} when is_binary({p}), {p} =/= <<>> -> {{binary:match({bin}, {p}), binary:matches({bin}, {p}), binary:split({bin}, {p}, [global])}}; _ -> nopart end"
            )
        }
        16 => format!(
            "{{binary:split({bin}, [<<0>>, <<\"a\">>], [global, trim_all]), binary:split({bin}, <<255>>)}}"
        ),
        17 => format!("{{binary:at({bin}, {n}), binary:first({bin}), binary:last({bin})}}"),
        18 => format!(
            "{{binary:decode_unsigned({bin}), binary:decode_unsigned({bin}, little), binary:encode_unsigned(abs({key}), {})}}",
            g.pick(&["big", "little"])
        ),
        19 => format!(
            "{{binary:longest_common_prefix([{bin}, <<({bin})/binary, 1>>]), binary:longest_common_suffix([{bin}, <<9, ({bin})/binary>>])}}"
        ),
        20 => format!(
            "{{binary:bin_to_list({bin}), binary_to_list({bin}, 1, {n}), binary:copy({bin}, {})}}",
            g.below(4)
        ),
        21 => format!(
            "{{erlang:crc32({bin}), erlang:crc32(7, {bin}), erlang:adler32({bin}), erlang:md5({bin}), erlang:crc32([{bin}, [1, {bin}]])}}"
        ),
        22 => format!(
            "{{iolist_size([{bin}, [{bin}, 65 | <<\"t\">>]]), iolist_to_binary([[{bin}], 0, <<1:8>>])}}"
        ),
        23 => format!(
            "{{erlang:make_tuple({}, {key}), erlang:make_tuple({}, x, [{{1, a}}, {{{}, b}}])}}",
            g.below(5),
            1 + g.below(5),
            1 + g.below(5)
        ),
        24 => format!(
            "{{erlang:insert_element({}, {{a, b}}, {key}), erlang:delete_element({}, {{a, b, c}}), erlang:append_element({{}}, {key})}}",
            1 + g.below(3),
            1 + g.below(3)
        ),
        _ => format!(
            "{{atom_to_binary({}, utf8), binary_to_atom(<<\"ok\">>, latin1), integer_to_binary({key}, {}), binary_to_integer(integer_to_binary({key}, 36), 36)}}",
            g.atom_lit(),
            g.pick(&[2, 16, 36])
        ),
    };
    let (l2, r) = assign(g, Ty::Caught, e, b);
    ([lines, l2].concat(), r)
}

/// One short statement of a long function: a value from earlier ones, a
/// call (of a helper, a fun, through apply or a dynamic module and name)
/// that makes every live value cross it in the stack frame, a `try`, or
/// a `case` whose every clause binds the same variable, used afterwards.
fn frames_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let b = b.bits(b.bits.min(300));
    match g.below(9) {
        0..=2 => {
            let t = g.ty(1);
            let e = g.e(&t, 2, b);
            assign(g, t, e, b)
        }
        3 | 4 => {
            let name = g.helper_name();
            let arity = 1 + g.below(3);
            let saved = std::mem::take(&mut g.vars);
            let ps: Vec<String> = (0..arity).map(|_| g.new_var(Ty::Any, b)).collect();
            let body = g.e(&Ty::Any, 1, b.bits(64));
            g.unwind(0);
            g.vars = saved;
            g.helpers.push(format!(
                "{name}({}) ->\n    {{{}, {body}}}.\n",
                ps.join(", "),
                ps.join(", ")
            ));
            let args: Vec<String> = (0..arity).map(|_| g.e(&Ty::Any, 1, b)).collect();
            let call = match g.below(4) {
                0 => format!("{name}({})", args.join(", ")),
                1 => format!("apply(?MODULE, {name}, [{}])", args.join(", ")),
                2 => {
                    let (m, f) = (g.fresh(), g.fresh());
                    format!(
                        "begin {m} = ?MODULE, {f} = {name}, {m}:{f}({}) end",
                        args.join(", ")
                    )
                }
                _ => format!("(fun ?MODULE:{name}/{arity})({})", args.join(", ")),
            };
            assign(g, Ty::Any, call, b)
        }
        5 => {
            // Bound in every clause, so bound after the case.
            let st = g.ty(1);
            let scrut = g.e(&st, 1, b);
            let z = g.fresh();
            let mut clauses = Vec::new();
            for _ in 0..1 + g.below(3) {
                let mark = g.mark();
                let p = g.pat(&st, 1, b);
                let e = g.e(&Ty::Int, 1, b);
                g.unwind(mark);
                clauses.push(format!("{p} -> {z} = {e}"));
            }
            let e = g.e(&Ty::Int, 1, b);
            clauses.push(format!("_ -> {z} = {e}"));
            g.bind(&z, Ty::Int, b);
            (
                vec![format!("case {scrut} of {} end", clauses.join("; "))],
                vec![z],
            )
        }
        6 => {
            let body = g.maybe_raise(&Ty::Any, 2, b);
            let (c, r) = (g.fresh(), g.fresh());
            assign(
                g,
                Ty::Caught,
                format!("try {body} catch {c}:{r} -> {{{c}, {r}}} end"),
                b,
            )
        }
        7 => {
            // Floats a guard proves, so erlc keeps them in float registers.
            let name = g.helper_name();
            let (x, y) = (g.fresh(), g.fresh());
            let saved = std::mem::take(&mut g.vars);
            g.bind(&x, Ty::Float, b);
            g.bind(&y, Ty::Float, b);
            let terms: Vec<String> = (0..2 + g.below(4))
                .map(|_| {
                    let op = g.pick(&["+", "-", "*", "/"]);
                    let (a, c) = (
                        g.pick(&[x.as_str(), y.as_str()]).to_string(),
                        g.pick(&[x.as_str(), y.as_str(), "2.5", "-0.5", "1.0e200"])
                            .to_string(),
                    );
                    if op == "/" {
                        format!("({a} / ({c} + 0.25))")
                    } else {
                        format!("({a} {op} {c})")
                    }
                })
                .collect();
            let body = terms.join(&format!(" {} ", g.pick(&["+", "-", "*"])));
            g.unwind(0);
            g.vars = saved;
            g.helpers.push(format!(
                "{name}({x}, {y}) when is_float({x}), is_float({y}) ->\n    {body};\n{name}({x}, {y}) ->\n    {{not_floats, {x}, {y}}}.\n"
            ));
            let (a1, a2) = (g.e(&Ty::Float, 1, b), g.num(1, b));
            assign(
                g,
                Ty::Caught,
                format!("try {name}({a1}, {a2}) catch error:badarith -> badarith end"),
                b,
            )
        }
        _ => {
            // An exception thrown from deep in a recursion, caught outside.
            let name = g.helper_name();
            let n = g.fresh();
            let at = g.below(40);
            g.helpers.push(format!(
                "{name}({at}) ->\n    throw({{depth, {at}}});\n{name}({n}) when {n} > 0 ->\n    [{n} | {name}({n} - 1)];\n{name}(_) ->\n    [].\n"
            ));
            let arg = g.e(&Ty::Int, 1, b.bits(9));
            let (c, r) = (g.fresh(), g.fresh());
            assign(
                g,
                Ty::Caught,
                format!("try {name}(abs({arg}) rem 50) catch {c}:{r} -> {{{c}, {r}}} end"),
                b,
            )
        }
    }
}

/// Appends to a binary that is shared: grown in a loop (so in place),
/// then extended twice with different suffixes, its tail matched out and
/// extended too; every view must keep its own bytes.
fn shared_appends(g: &mut Gen, b: Bud) -> Stmt {
    let n = g.pick(&[3, 40, 70, 300]);
    let [i, acc, b0, b1, b2, b3, t, rest, v, w] = std::array::from_fn(|_| g.fresh());
    let (unit, tail) = if g.one_in(3) {
        ("bits", "5:3")
    } else {
        ("binary", "7")
    };
    let x = g.e(&Ty::Int, 1, b.bits(16));
    let y = g.e(&Ty::Int, 1, b.bits(16));
    let lines = vec![
        format!(
            "{b0} = lists:foldl(fun({i}, {acc}) -> <<{acc}/{unit}, {i}:8>> end, <<>>, lists:seq(1, {n}))"
        ),
        format!("{b1} = <<{b0}/{unit}, ({x}):8>>"),
        format!("{b2} = <<{b0}/{unit}, ({y}):16, {tail}>>"),
        format!("{b3} = <<{b1}/{unit}, {b2}/bits>>"),
        format!("<<_:8, {rest}/bits>> = {b0}"),
        format!("{t} = <<{rest}/bits, {b0}/bits>>"),
        // Padded to whole bytes for the CRC and the last bytes.
        format!(
            "{v} = [{{bit_size({w}), erlang:crc32(<<{w}/bits, 0:((8 - bit_size({w}) rem 8) rem 8)>>), \
             binary:part(<<{w}/bits, 0:((8 - bit_size({w}) rem 8) rem 8)>>, byte_size({w}), -min(3, byte_size({w})))}} \
             || {w} <- [{b0}, {b1}, {b2}, {b3}, {rest}, {t}]]"
        ),
    ];
    (lines, vec![v])
}

/// An expression that raises (or, now and then, does not after all).
pub fn raising_expr(g: &mut Gen, b: Bud) -> String {
    let i = g.e(&Ty::Int, 1, b.bits(64));
    let a = g.e(&Ty::Any, 1, b.bits(64));
    match g.below(34) {
        0 if binds_nothing(&i) => format!("({i} div ({i} - {i}))"),
        0 => format!("({i} div 0)"),
        1 => format!("({i} + {})", g.atom_lit()),
        2 => format!(
            "element({}, {{{a}}})",
            g.pick(&["0", "2", "-1", "(1 bsl 64)"])
        ),
        3 => format!("hd(lists:sublist({}, 0))", g.e(&list_of(Ty::Any), 1, b)),
        4 => format!(
            "list_to_integer({})",
            g.pick(&["\"12x\"", "\"\"", "\"-\"", "\"1.5\"", "\" 1\"", "\"+7\""])
        ),
        5 => format!("atom_to_list({i})"),
        6 => format!("begin {{{}}} = {{{a}, {i}}}, ok end", g.fresh()),
        7 => format!(
            "case {a} of {} -> matched end",
            g.pick(&["[]", "{}", "never", "<<>>"])
        ),
        8 => {
            let v = g.fresh();
            format!("begin {v} = {i}, if is_atom({v}) -> atom end end")
        }
        9 => {
            let name = g.helper_name();
            g.helpers
                .push(format!("{name}(X) when is_atom(X) ->\n    X.\n"));
            format!("{name}({i})")
        }
        10 => format!(
            "({})#{{missing := 1}}",
            g.lit(&Ty::Map(vec![("a".into(), Ty::Int)]), b)
        ),
        11 => format!(
            "maps:get(missing, {})",
            g.lit(&Ty::Map(vec![("a".into(), Ty::Int)]), b)
        ),
        12 => format!("({i})#{{a => 1}}"),
        13 => format!("map_get(a, {a})"),
        14 => {
            let f = g.fresh();
            format!("begin {f} = {a}, {f}({i}) end")
        }
        15 => format!("(fun(X) -> X end)({a}, {i})"),
        16 => format!("throw({a})"),
        17 => format!("error({a})"),
        18 => format!("exit({a})"),
        19 => format!(
            "binary_to_term({})",
            g.pick(&["<<1,2,3>>", "<<131>>", "<<131,100>>", "<<>>"])
        ),
        20 => format!("list_to_atom([{}])", g.pick(&["-1", "a", "16#110000"])),
        21 => format!(
            "binary_to_integer({})",
            g.pick(&["<<\"z\">>", "<<>>", "<<\"1_0\">>", "<<\"16#10\">>"])
        ),
        22 => format!("integer_to_list({i}, {})", g.pick(&["1", "37", "0", "a"])),
        23 => format!("abs({})", g.atom_lit()),
        24 => format!("length([{i} | {}])", g.pick(&["2", "a", "<<>>"])),
        25 => format!("tuple_size({})", g.e(&list_of(Ty::Int), 1, b)),
        26 => format!("setelement({}, {{{i}}}, x)", g.pick(&["2", "0"])),
        27 => format!(
            "binary_part({}, {}, 1)",
            g.bytes_lit(4),
            g.pick(&["5", "-2", "0"])
        ),
        28 => format!("<<({i}):({})>>", g.pick(&["-1", "(-8)", "a", "1.5"])),
        29 => format!("float({})", g.pick(&["(1 bsl 1024)", "a", "<<>>"])),
        30 => format!(
            "({} * {})",
            g.pick(&["1.0e308", "-1.0e308", "2.0e200"]),
            g.pick(&["10", "1.0e200", "-2.0"])
        ),
        31 => format!(
            "math:{}",
            g.pick(&[
                "log(0)",
                "log(-1)",
                "sqrt(-1)",
                "acos(2)",
                "pow(-8, 0.5)",
                "pow(0, -1)"
            ])
        ),
        32 => format!("try {a} of nomatch_at_all -> 1 after ok end"),
        _ => g
            .pick(&[
                "lists:nth(0, [a])",
                "lists:seq(1, -5)",
                "apply(lam_fuzz_no_such_module, f, [])",
                "erlang:error(bad, [1, 2])",
                "list_to_existing_atom(\"lam_fuzz_never_an_atom\")",
                "list_to_tuple([a | b])",
                "1 bsl (1 bsl 70)",
                "erlang:raise(throw, x, [])",
                "atom_to_binary(\"a\")",
                "iolist_to_binary([256])",
            ])
            .to_string(),
    }
}

fn errors_stmt(g: &mut Gen, b: Bud) -> Stmt {
    let e = raising_expr(g, b);
    if g.one_in(8) {
        // Uncaught: the whole function's result is the exception.
        return assign(g, Ty::Caught, e, b);
    }
    let (c, r) = (g.fresh(), g.fresh());
    assign(
        g,
        Ty::Caught,
        format!("try {e} catch {c}:{r} -> {{{c}, {r}}} end"),
        b,
    )
}
