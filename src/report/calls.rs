//! What the functions of a translated module call, read from its LAM code
//! (after translation, so calls the translator turned into instructions,
//! such as `self/0`, arithmetic or `spawn/3`, are no calls any more), and
//! which of them are NIF stubs.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::lam::isa::{FAIL_KINDS, LamOp, Operand};
use crate::lam::module::Module;
use crate::term::{Atom, Term};

/// How a call site reaches its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// An external call (`call_ext` and its tail-call forms).
    Call,
    /// A `bif` or `gc_bif`, or a native the translator itself calls.
    Bif,
    /// An external fun literal, `fun M:F/A`: it may be called later.
    Fun,
    /// A call to a function of the same module.
    Local,
}

/// `module:function/arity`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mfa {
    /// Module.
    pub module: Atom,
    /// Function.
    pub function: Atom,
    /// Arity.
    pub arity: u32,
}

impl fmt::Display for Mfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.module, self.function, self.arity)
    }
}

/// One call in the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// Index into [`ModuleCalls::targets`].
    pub target: u32,
    /// How it is called.
    pub via: Via,
    /// Index into [`ModuleCalls::files`] and the line, when known.
    pub location: Option<(u32, u32)>,
}

/// One function: whether it translated fully, whether it is a NIF stub,
/// and every call it makes.
#[derive(Debug, Clone)]
pub struct FunctionCalls {
    /// Name.
    pub name: Atom,
    /// Arity.
    pub arity: u32,
    /// Whether the module exports it.
    pub exported: bool,
    /// Whether it translated with nothing unsupported.
    pub full: bool,
    /// Whether its body only raises through `erlang:nif_error/1,2`: a
    /// function whose real code is native (a NIF, or a BIF of `erlang`).
    pub nif_stub: bool,
    /// Its calls, in code order.
    pub sites: Vec<Site>,
}

/// What a module's functions call.
#[derive(Debug, Clone)]
pub struct ModuleCalls {
    /// The module's name.
    pub name: Atom,
    /// Its functions, in code order.
    pub functions: Vec<FunctionCalls>,
    /// Every distinct target of a [`Site`].
    pub targets: Vec<Mfa>,
    /// Source file names, for [`Site::location`].
    pub files: Vec<String>,
    /// Whether it calls `erlang:load_nif/2` (on the BEAM, from its
    /// `on_load` function, replacing its stubs with native code).
    pub loads_nifs: bool,
    /// Indices of `functions` by name and arity, for [`ModuleCalls::function`]
    /// (sorted here, on the parallel path, rather than hashed later for
    /// every module at once).
    by_name: Vec<u32>,
}

impl ModuleCalls {
    /// The function `name/arity`, if the module defines it.
    pub fn function(&self, name: &str, arity: u32) -> Option<&FunctionCalls> {
        let key = |i: &u32| {
            let f = &self.functions[*i as usize];
            (&*f.name, f.arity)
        };
        let i = self
            .by_name
            .binary_search_by(|i| key(i).cmp(&(name, arity)))
            .ok()?;
        Some(&self.functions[self.by_name[i] as usize])
    }

    /// The source file and line of a site, when known.
    pub fn location(&self, site: &Site) -> Option<(&str, u32)> {
        let (file, line) = site.location?;
        Some((self.files.get(file as usize)?.as_str(), line))
    }
}

/// Gathers the distinct targets of a module's sites, each looked up once.
struct Collector<'m> {
    m: &'m Module,
    targets: Vec<Mfa>,
    /// Per import, its target.
    imports: Vec<Option<u32>>,
    /// Per function, its target as a local callee.
    locals: Vec<Option<u32>>,
    /// Per literal, the targets of the `fun M:F/A` terms in it.
    literal_funs: Vec<Box<[u32]>>,
    /// Whether any literal holds one: most modules have none, and then
    /// operands need no look.
    any_funs: bool,
}

impl Collector<'_> {
    fn push(&mut self, mfa: Mfa) -> u32 {
        self.targets.push(mfa);
        self.targets.len() as u32 - 1
    }

    fn import(&mut self, i: u32) -> Option<u32> {
        if let Some(t) = *self.imports.get(i as usize)? {
            return Some(t);
        }
        let imp = *self.m.imports.get(i as usize)?;
        let atoms = &self.m.atoms;
        let mfa = Mfa {
            module: atoms.get(imp.module as usize)?.clone(),
            function: atoms.get(imp.function as usize)?.clone(),
            arity: imp.arity,
        };
        let t = self.push(mfa);
        self.imports[i as usize] = Some(t);
        Some(t)
    }

    fn local(&mut self, module: &Atom, f: u32) -> Option<u32> {
        if let Some(t) = *self.locals.get(f as usize)? {
            return Some(t);
        }
        let g = self.m.functions.get(f as usize)?;
        let mfa = Mfa {
            module: module.clone(),
            function: self.m.atoms.get(g.name as usize)?.clone(),
            arity: g.arity,
        };
        let t = self.push(mfa);
        self.locals[f as usize] = Some(t);
        Some(t)
    }

    /// Finds the `fun M:F/A` terms of every literal, each a target.
    fn literal_funs(&mut self) {
        let mut exports: HashMap<Mfa, u32> = HashMap::new();
        let mut funs = Vec::new();
        for t in &self.m.literals {
            funs.clear();
            export_funs(t, &mut funs);
            let ids: Box<[u32]> = funs
                .drain(..)
                .map(|mfa| match exports.get(&mfa) {
                    Some(&t) => t,
                    None => {
                        self.targets.push(mfa.clone());
                        let t = self.targets.len() as u32 - 1;
                        exports.insert(mfa, t);
                        t
                    }
                })
                .collect();
            self.any_funs |= !ids.is_empty();
            self.literal_funs.push(ids);
        }
    }

    /// Appends the targets of the funs in the literals among `o`.
    fn funs_in(&self, o: &Operand, out: &mut Vec<u32>) {
        match o {
            Operand::Literal(l) => {
                if let Some(ids) = self.literal_funs.get(*l as usize) {
                    out.extend_from_slice(ids);
                }
            }
            Operand::List(items) => items.iter().for_each(|x| self.funs_in(x, out)),
            _ => {}
        }
    }
}

fn export_funs(t: &Term, out: &mut Vec<Mfa>) {
    match t {
        Term::Export {
            module,
            function,
            arity,
        } => out.push(Mfa {
            module: module.clone(),
            function: function.clone(),
            arity: u32::from(*arity),
        }),
        Term::List(items, tail) => {
            items.iter().for_each(|x| export_funs(x, out));
            export_funs(tail, out);
        }
        Term::Tuple(items) => items.iter().for_each(|x| export_funs(x, out)),
        Term::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            export_funs(k, out);
            export_funs(v, out);
        }),
        _ => {}
    }
}

/// What a function's body does, as far as deciding whether it is a stub.
#[derive(Default, Clone, Copy)]
struct StubEvidence {
    raises_nif_error: bool,
    /// Calls itself through its module, which only erlang.erl does for a
    /// BIF (`apply(F, A) -> erlang:apply(F, A)`): the BEAM swaps in the BIF.
    calls_itself: bool,
    /// Calls, sends, receives or spawns anything else.
    does_more: bool,
}

/// Reads what every function of `m` calls.
pub fn module_calls(m: &Module) -> ModuleCalls {
    let name: Atom = m.atoms.first().cloned().unwrap_or_else(|| Atom::from(""));
    let unsupported_kind = FAIL_KINDS
        .iter()
        .position(|k| *k == "unsupported")
        .map(|k| k as u8);
    let atom = |i: u32| m.atoms.get(i as usize).map_or("", |a| &**a);
    // Local calls name their callee by its entry instruction.
    let mut entry_of = vec![u32::MAX; m.code.len()];
    for (i, f) in m.functions.iter().enumerate() {
        if let Some(e) = entry_of.get_mut(f.entry as usize) {
            *e = i as u32;
        }
    }
    let mut c = Collector {
        m,
        targets: Vec::new(),
        imports: vec![None; m.imports.len()],
        locals: vec![None; m.functions.len()],
        literal_funs: Vec::with_capacity(m.literals.len()),
        any_funs: false,
    };
    c.literal_funs();
    // The imports whose calls say what a function is: a NIF stub raises
    // through nif_error, a module loading NIFs calls load_nif.
    let import_is = |i: u32, f: &str, arities: &[u32]| {
        m.imports.get(i as usize).is_some_and(|imp| {
            atom(imp.module) == "erlang" && atom(imp.function) == f && arities.contains(&imp.arity)
        })
    };
    let mut functions = Vec::with_capacity(m.functions.len());
    let mut evidence = Vec::with_capacity(m.functions.len());
    let mut local_callees: Vec<Vec<u32>> = Vec::with_capacity(m.functions.len());
    let mut loads_nifs = false;
    let mut funs = Vec::new();
    for (fi, f) in m.functions.iter().enumerate() {
        let end = m
            .functions
            .get(fi + 1)
            .map_or(m.code.len(), |n| n.start as usize);
        let fname = atom(f.name);
        let mut sites = Vec::new();
        let mut full = true;
        let mut ev = StubEvidence::default();
        let mut callees = Vec::new();
        for pc in (f.start as usize).min(end)..end {
            let ins = &m.code[pc];
            let args = m.args(ins);
            let here = || location(m, pc as u32);
            match ins.op {
                LamOp::Call | LamOp::TailCall | LamOp::Bif => {
                    let target = if ins.op == LamOp::Bif {
                        &args[0]
                    } else {
                        &args[1]
                    };
                    let via = if ins.op == LamOp::Bif {
                        Via::Bif
                    } else {
                        Via::Call
                    };
                    match target {
                        Operand::Import(i) => {
                            let Some(t) = c.import(*i) else { continue };
                            loads_nifs |= import_is(*i, "load_nif", &[2]);
                            if ins.op != LamOp::Bif {
                                let mfa = &c.targets[t as usize];
                                if import_is(*i, "nif_error", &[1, 2]) {
                                    ev.raises_nif_error = true;
                                } else if &*name == "erlang"
                                    && mfa.module == name
                                    && &*mfa.function == fname
                                    && mfa.arity == f.arity
                                {
                                    ev.calls_itself = true;
                                } else {
                                    ev.does_more = true;
                                }
                            }
                            sites.push(Site {
                                target: t,
                                via,
                                location: here(),
                            });
                        }
                        Operand::Label(l) => {
                            let callee = entry_of.get(*l as usize).copied().unwrap_or(u32::MAX);
                            // u32::MAX is no function: c.local finds none.
                            let Some(t) = c.local(&name, callee) else {
                                continue;
                            };
                            callees.push(callee);
                            sites.push(Site {
                                target: t,
                                via: Via::Local,
                                location: here(),
                            });
                        }
                        _ => {}
                    }
                }
                LamOp::CallFun
                | LamOp::TailCallFun
                | LamOp::Send
                | LamOp::Spawn
                | LamOp::PeekMessage => ev.does_more = true,
                LamOp::Fail => {
                    if matches!(args[0], Operand::Kind(k) if Some(k) == unsupported_kind) {
                        full = false;
                    }
                }
                _ => {}
            }
            if !c.any_funs {
                continue;
            }
            funs.clear();
            args.iter().for_each(|o| c.funs_in(o, &mut funs));
            for &t in &funs {
                sites.push(Site {
                    target: t,
                    via: Via::Fun,
                    location: here(),
                });
            }
        }
        functions.push(FunctionCalls {
            name: m
                .atoms
                .get(f.name as usize)
                .cloned()
                .unwrap_or_else(|| Atom::from("")),
            arity: f.arity,
            exported: f.exported,
            full,
            nif_stub: false,
            sites,
        });
        evidence.push(ev);
        local_callees.push(callees);
    }
    // A stub the VM replaces with a NIF native runs: calling it does not
    // make the caller a stub.
    let replaced: Vec<bool> = m
        .functions
        .iter()
        .map(|f| {
            crate::vm::natives::registry()
                .get(&name, atom(f.name), f.arity)
                .is_some_and(|n| n.is_nif() && !n.is_notsup())
        })
        .collect();
    mark_stubs(&mut functions, &evidence, &local_callees, &replaced);
    let mut by_name: Vec<u32> = (0..functions.len() as u32).collect();
    by_name.sort_by(|a, b| {
        let (a, b) = (&functions[*a as usize], &functions[*b as usize]);
        (&a.name, a.arity).cmp(&(&b.name, b.arity))
    });
    ModuleCalls {
        name,
        functions,
        targets: c.targets,
        files: m.files.clone(),
        loads_nifs,
        by_name,
    }
}

/// A stub raises through `nif_error` (or is a BIF's self-call) and does
/// nothing else but call other stubs of its module: crypto's `hash_nif/2`
/// calls `nif_stub_error/1`, which calls `erlang:nif_error/1`. The least
/// fixed point, so a function is a stub only if every local call it makes
/// ends in one.
fn mark_stubs(
    functions: &mut [FunctionCalls],
    ev: &[StubEvidence],
    callees: &[Vec<u32>],
    replaced: &[bool],
) {
    loop {
        let mut changed = false;
        for i in 0..functions.len() {
            if functions[i].nif_stub || ev[i].does_more {
                continue;
            }
            let stub = |c: u32| functions[c as usize].nif_stub && !replaced[c as usize];
            let locals_are_stubs = callees[i].iter().all(|&c| c as usize == i || stub(c));
            let raises = ev[i].raises_nif_error
                || ev[i].calls_itself
                || callees[i].iter().any(|&c| c as usize != i && stub(c));
            if locals_are_stubs && raises {
                functions[i].nif_stub = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

fn location(m: &Module, pc: u32) -> Option<(u32, u32)> {
    let i = m.lines.partition_point(|l| l.instr <= pc).checked_sub(1)?;
    let l = m.lines[i];
    (l.line > 0 && (l.file as usize) < m.files.len()).then_some((l.file, l.line))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lam::module::{Function, LineEntry};

    /// A module `m` as crypto writes its NIFs: `stub_error/1` raises through
    /// `erlang:nif_error/1`, `hash_nif/2` calls it, `hash/2` converts its
    /// argument and calls `hash_nif/2`, `table/0` returns `fun ets:new/2`,
    /// `init/0` loads the NIF library.
    pub(crate) fn crypto_like() -> Module {
        crypto_like_sending(false)
    }

    /// [`crypto_like`], with `stub_error/1` sending a message first if `send`.
    fn crypto_like_sending(send: bool) -> Module {
        let mut m = Module {
            atoms: vec!["m".into()],
            files: vec!["m.erl".into()],
            ..Module::default()
        };
        let function = |m: &mut Module, name: &str, arity, exported, line| {
            let start = m.code.len() as u32;
            let name = m.atom(name);
            m.functions.push(Function {
                name,
                arity,
                start,
                entry: start,
                exported,
            });
            m.lines.push(LineEntry {
                instr: start,
                file: 0,
                line,
            });
        };
        function(&mut m, "stub_error", 1, false, 1);
        if send {
            m.push(LamOp::Send, vec![]);
        }
        let nif_error = m.import("erlang", "nif_error", 1);
        m.push(
            LamOp::TailCall,
            vec![Operand::Num(1), Operand::Import(nif_error)],
        );
        function(&mut m, "hash_nif", 2, false, 2);
        let stub_error = Operand::Label(m.functions[0].entry);
        m.push(LamOp::TailCall, vec![Operand::Num(1), stub_error]);
        function(&mut m, "hash", 2, true, 3);
        let to_bin = m.import("erlang", "iolist_to_binary", 1);
        m.push(LamOp::Call, vec![Operand::Num(1), Operand::Import(to_bin)]);
        let hash_nif = Operand::Label(m.functions[1].entry);
        m.push(LamOp::TailCall, vec![Operand::Num(2), hash_nif]);
        function(&mut m, "table", 0, true, 4);
        let fun = m.literal(Term::Export {
            module: "ets".into(),
            function: "new".into(),
            arity: 2,
        });
        m.push(LamOp::Move, vec![Operand::Literal(fun), Operand::X(0)]);
        m.push(LamOp::Return, vec![]);
        function(&mut m, "init", 0, false, 5);
        let load = m.import("erlang", "load_nif", 2);
        m.push(
            LamOp::TailCall,
            vec![Operand::Num(2), Operand::Import(load)],
        );
        m.validate().expect("a valid module");
        m
    }

    #[test]
    fn calls_stubs_and_funs() {
        let c = module_calls(&crypto_like());
        assert!(c.loads_nifs);
        let stubs: Vec<&str> = c
            .functions
            .iter()
            .filter(|f| f.nif_stub)
            .map(|f| &*f.name)
            .collect();
        assert_eq!(stubs, ["stub_error", "hash_nif"]);
        let hash = &c.functions[2];
        assert!(hash.full && hash.exported);
        let sites: Vec<_> = hash
            .sites
            .iter()
            .map(|s| {
                let t = c.targets[s.target as usize].to_string();
                (t, s.via, c.location(s))
            })
            .collect();
        assert_eq!(
            sites,
            vec![
                (
                    "erlang:iolist_to_binary/1".into(),
                    Via::Call,
                    Some(("m.erl", 3))
                ),
                ("m:hash_nif/2".into(), Via::Local, Some(("m.erl", 3)))
            ]
        );
        let table = &c.functions[3];
        assert_eq!(table.sites.len(), 1);
        assert_eq!(table.sites[0].via, Via::Fun);
        assert_eq!(
            c.targets[table.sites[0].target as usize].to_string(),
            "ets:new/2"
        );
    }

    #[test]
    fn a_function_that_does_more_is_no_stub() {
        // stub_error/1 also sends: it is real code, and so is hash_nif/2.
        let m = crypto_like_sending(true);
        let c = module_calls(&m);
        assert!(c.functions.iter().all(|f| !f.nif_stub));
        assert_eq!(
            c.functions[1].sites.len(),
            1,
            "hash_nif/2 still calls stub_error/1"
        );
    }
}
