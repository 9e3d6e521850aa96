//! The disassembly that OTP's `beam_disasm:file/1` returns, one `~w` term
//! per line, so that it can be compared with `erl` byte for byte.
//!
//! `beam_disasm` decodes operands into raw `{Tag, Value}` pairs and then
//! "resolves" some of them (`{u,N}` to `N`, `{i,N}` to `{integer,N}`,
//! imports to `{extfunc,M,F,A}`, local call targets to `{M,F,A}`), but not
//! all: which operands of which instruction stay raw is part of its output
//! format, and this module follows it instruction by instruction.

use std::collections::HashMap;

use crate::beam::compact::{Int, Operand};
use crate::beam::{BeamModule, Instr, Op};
use crate::dis::{entry_labels, functions, types};
use crate::erlfmt::write_w;
use crate::error::{Error, ErrorKind, Result};
use crate::term::Term;

/// Prints the disassembly: for each function `{function,Name,Arity,Entry}`,
/// then its instructions, one per line.
pub fn disassemble(m: &BeamModule) -> Result<String> {
    let funs = functions(m)?;
    let labels = entry_labels(m, &funs);
    let cx = Cx {
        m,
        funs: &funs,
        labels: &labels,
    };
    let mut out = String::with_capacity(m.code.instrs.len() * 32);
    for (k, f) in funs.iter().enumerate() {
        let head = Term::Tuple(vec![
            Term::atom("function"),
            Term::atom(f.name),
            Term::Int(f.arity as i64),
            Term::Int(f.entry as i64),
        ]);
        write_w(&mut out, &head);
        out.push('\n');
        // beam_disasm hands the labels and lines that precede a func_info
        // to the next function in reverse order, except for the first
        // function; reproduce that.
        let split = f
            .code
            .iter()
            .position(|i| i.op == Op::FuncInfo)
            .unwrap_or(0);
        let (prefix, body) = f.code.split_at(split);
        let prefix: Box<dyn Iterator<Item = &Instr>> = if k == 0 {
            Box::new(prefix.iter())
        } else {
            Box::new(prefix.iter().rev())
        };
        for i in prefix.chain(body) {
            let t = cx.instr(i)?;
            write_w(&mut out, &t);
            out.push('\n');
        }
    }
    Ok(out)
}

struct Cx<'a> {
    m: &'a BeamModule,
    funs: &'a [crate::dis::FunctionSpan<'a>],
    labels: &'a HashMap<u32, usize>,
}

fn a(s: &str) -> Term {
    Term::atom(s)
}

fn t(items: Vec<Term>) -> Term {
    Term::Tuple(items)
}

fn pair(tag: &str, v: Term) -> Term {
    t(vec![a(tag), v])
}

fn int(i: &Int) -> Term {
    match i {
        Int::Small(v) => Term::Int(*v),
        Int::Big(b) => Term::Big((**b).clone()),
    }
}

impl Cx<'_> {
    #[cold]
    fn fail(&self, i: &Instr, what: &str) -> Error {
        Error::at(
            i.offset as usize,
            ErrorKind::Invalid,
            format!("{}: {what}", i.op.name()),
        )
        .in_chunk(*b"Code")
    }

    fn atom(&self, idx: u32) -> Term {
        // Indices were checked when the module was read.
        Term::Atom(self.m.atom(idx).cloned().unwrap_or_else(|| "?".into()))
    }

    /// An operand as `beam_disasm`'s first pass leaves it.
    fn raw(&self, o: &Operand) -> Term {
        match o {
            Operand::U(n) => pair("u", Term::int(*n)),
            Operand::UBig(n) => pair("u", Term::Big((**n).clone())),
            Operand::I(i) => pair("i", int(i)),
            Operand::Atom(0) => a("nil"),
            Operand::Atom(k) => pair("atom", self.atom(*k)),
            Operand::X(n) => pair("x", Term::Int(*n as i64)),
            Operand::Y(n) => pair("y", Term::Int(*n as i64)),
            Operand::Label(n) => pair("f", Term::Int(*n as i64)),
            Operand::Char(n) => pair("h", Term::Int(*n as i64)),
            Operand::Float(f) => pair("float", Term::Float(*f)),
            Operand::FReg(n) => pair("fr", Term::Int(*n as i64)),
            Operand::Literal(k) => match &self.m.literals[*k as usize] {
                Term::Float(f) => pair("float", Term::Float(*f)),
                lit => pair("literal", lit.clone()),
            },
            Operand::Alloc(items) => {
                let items = items
                    .iter()
                    .map(|(kind, n)| {
                        let k = ["words", "floats", "funs"][*kind as usize];
                        pair(k, Term::int(*n))
                    })
                    .collect();
                pair("u", pair("alloc", Term::list(items)))
            }
            Operand::Typed(reg, ty) => {
                let reg = self.raw(reg);
                t(vec![a("tr"), reg, self.type_term(*ty)])
            }
            // Lists only occur where the caller unpacks them.
            Operand::List(items) => Term::list(items.iter().map(|x| self.raw(x)).collect()),
        }
    }

    fn type_term(&self, idx: u32) -> Term {
        let Some(table) = &self.m.types else {
            return a("any");
        };
        let e = table.entries[idx as usize];
        let ty = types::to_term(types::from_bits(e.bits & 0x1fff));
        if table.version == 1 {
            // OTP 25 reads the bounds as unsigned 64-bit numbers.
            let u = |v: Option<i64>| Term::int(v.unwrap_or(0) as u64);
            t(vec![ty, u(e.min), u(e.max)])
        } else {
            let b = |v: Option<i64>| v.map(Term::Int).unwrap_or_else(|| a("none"));
            t(vec![ty, b(e.min), b(e.max)])
        }
    }

    /// An operand after `beam_disasm`'s `resolve_arg`.
    fn res(&self, o: &Operand) -> Term {
        match o {
            Operand::U(n) => Term::int(*n),
            Operand::UBig(n) => Term::Big((**n).clone()),
            Operand::I(i) => pair("integer", int(i)),
            Operand::Alloc(_) => match self.raw(o) {
                Term::Tuple(ref mut v) => v.pop().expect("pair"),
                other => other,
            },
            _ => self.raw(o),
        }
    }

    fn res_all(&self, os: &[Operand]) -> Vec<Term> {
        os.iter().map(|o| self.res(o)).collect()
    }

    fn uint(&self, i: &Instr, o: &Operand) -> Result<Term> {
        match o {
            Operand::U(n) => Ok(Term::int(*n)),
            Operand::UBig(n) => Ok(Term::Big((**n).clone())),
            Operand::Alloc(_) => Ok(self.res(o)),
            _ => Err(self.fail(i, "expected an unsigned operand")),
        }
    }

    fn list<'o>(&self, i: &Instr, o: &'o Operand) -> Result<&'o [Operand]> {
        match o {
            Operand::List(v) => Ok(v),
            _ => Err(self.fail(i, "expected an operand list")),
        }
    }

    fn res_list(&self, i: &Instr, o: &Operand) -> Result<Term> {
        Ok(pair("list", Term::list(self.res_all(self.list(i, o)?))))
    }

    fn import(&self, i: &Instr, o: &Operand) -> Result<Term> {
        let Operand::U(n) = o else {
            return Err(self.fail(i, "expected an import index"));
        };
        let imp = self
            .m
            .imports
            .get(*n as usize)
            .ok_or_else(|| self.fail(i, &format!("import {n} does not exist")))?;
        Ok(t(vec![
            a("extfunc"),
            self.atom(imp.module),
            self.atom(imp.function),
            Term::Int(imp.arity as i64),
        ]))
    }

    fn bif_name(&self, i: &Instr, o: &Operand) -> Result<Term> {
        match self.import(i, o)? {
            Term::Tuple(ref mut v) => Ok(v.swap_remove(2)),
            _ => unreachable!("import returns a tuple"),
        }
    }

    fn local(&self, i: &Instr, o: &Operand) -> Result<Term> {
        let Operand::Label(l) = o else {
            return Err(self.fail(i, "expected a label"));
        };
        let k = self
            .labels
            .get(l)
            .ok_or_else(|| self.fail(i, &format!("label {l} is not a function entry")))?;
        let f = &self.funs[*k];
        Ok(t(vec![
            Term::Atom(self.m.name().clone()),
            Term::atom(f.name),
            Term::Int(f.arity as i64),
        ]))
    }

    fn lambda(
        &self,
        i: &Instr,
        o: &Operand,
    ) -> Result<(Term, Term, Term, &crate::beam::module::Lambda)> {
        let Operand::U(n) = o else {
            return Err(self.fail(i, "expected a lambda index"));
        };
        let l = self
            .m
            .lambdas
            .get(*n as usize)
            .ok_or_else(|| self.fail(i, &format!("lambda {n} does not exist")))?;
        let mfa = t(vec![
            Term::Atom(self.m.name().clone()),
            self.atom(l.function),
            Term::Int(l.arity as i64),
        ]);
        Ok((mfa, Term::int(*n), Term::int(l.old_uniq), l))
    }

    fn flags(&self, i: &Instr, o: &Operand) -> Result<Term> {
        Ok(pair("field_flags", self.uint(i, o)?))
    }

    fn string(&self, i: &Instr, off: &Operand, len: u64) -> Result<&[u8]> {
        let Operand::U(off) = off else {
            return Err(self.fail(i, "expected a string offset"));
        };
        let (off, len) = (*off as usize, len as usize);
        self.m
            .strings
            .get(off..off.saturating_add(len))
            .ok_or_else(|| self.fail(i, "string is outside the string table"))
    }

    fn instr(&self, i: &Instr) -> Result<Term> {
        use Op::*;
        let g = self.m.code.args(i);
        let name = a(i.op.name());
        let test = |rest: Vec<Term>| -> Result<Term> {
            Ok(t(vec![
                a("test"),
                name.clone(),
                self.res(&g[0]),
                Term::list(rest),
            ]))
        };
        Ok(match i.op {
            Label => pair("label", self.uint(i, &g[0])?),
            FuncInfo => t(vec![
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.uint(i, &g[2])?,
            ]),
            Call | CallOnly => t(vec![name, self.uint(i, &g[0])?, self.local(i, &g[1])?]),
            CallLast => t(vec![
                name,
                self.uint(i, &g[0])?,
                self.local(i, &g[1])?,
                self.uint(i, &g[2])?,
            ]),
            CallExt | CallExtOnly => t(vec![name, self.uint(i, &g[0])?, self.import(i, &g[1])?]),
            CallExtLast => t(vec![
                name,
                self.uint(i, &g[0])?,
                self.import(i, &g[1])?,
                self.uint(i, &g[2])?,
            ]),
            Bif0 => t(vec![
                a("bif"),
                self.bif_name(i, &g[0])?,
                a("nofail"),
                Term::Nil,
                self.res(&g[1]),
            ]),
            Bif1 | Bif2 => {
                let n = g.len();
                t(vec![
                    a("bif"),
                    self.bif_name(i, &g[1])?,
                    self.res(&g[0]),
                    Term::list(self.res_all(&g[2..n - 1])),
                    self.res(&g[n - 1]),
                ])
            }
            GcBif1 | GcBif2 | GcBif3 => {
                let n = g.len();
                t(vec![
                    a("gc_bif"),
                    self.bif_name(i, &g[2])?,
                    self.res(&g[0]),
                    self.res(&g[1]),
                    Term::list(self.res_all(&g[3..n - 1])),
                    self.res(&g[n - 1]),
                ])
            }
            Allocate | AllocateZero | TestHeap | Trim | ApplyLast => {
                t(vec![name, self.uint(i, &g[0])?, self.uint(i, &g[1])?])
            }
            AllocateHeap | AllocateHeapZero => t(vec![
                name,
                self.uint(i, &g[0])?,
                self.uint(i, &g[1])?,
                self.uint(i, &g[2])?,
            ]),
            Deallocate | CallFun | Apply => t(vec![name, self.uint(i, &g[0])?]),
            PutTuple => t(vec![name, self.uint(i, &g[0])?, self.raw(&g[1])]),
            Return | Send | RemoveMessage | Timeout | IfEnd | Fclearerror | BuildStacktrace
            | RawRaise | BsInitWritable | OnLoad | NifStart | IntCodeEnd => name,
            Init | LoopRecEnd | Wait | Jump | CatchEnd | TryEnd | TryCase | RecvMark | RecvSet
            | RecvMarkerClear | RecvMarkerReserve | RecvMarkerUse => t(vec![name, self.raw(&g[0])]),
            LoopRec | Catch | Try | GetHd | GetTl | BsSetPosition | RecvMarkerBind => {
                t(vec![name, self.raw(&g[0]), self.raw(&g[1])])
            }
            GetList => t(vec![
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.raw(&g[2]),
            ]),
            BsGetTail | BsGetPosition => t(vec![
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.raw(&g[2]),
            ]),
            BsStartMatch3 | BsStartMatch4 => t(vec![
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.raw(&g[2]),
                self.raw(&g[3]),
            ]),
            WaitTimeout => t(vec![name, self.raw(&g[0]), self.res(&g[1])]),
            IsLt | IsGe | IsEq | IsNe | IsEqExact | IsNeExact | IsInteger | IsFloat | IsNumber
            | IsAtom | IsPid | IsReference | IsPort | IsNil | IsBinary | IsList
            | IsNonemptyList | IsTuple | TestArity | IsTaggedTuple | IsFunction | IsBoolean
            | IsFunction2 | IsBitstr | IsMap | IsConstant => test(self.res_all(&g[1..]))?,
            SelectVal | SelectTupleArity => t(vec![
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.res_list(i, &g[2])?,
            ]),
            Move => t(vec![name, self.res(&g[0]), self.raw(&g[1])]),
            Badmatch | CaseEnd | Put | Fcheckerror | TryCaseEnd | BsContextToBinary | Badrecord => {
                t(vec![name, self.res(&g[0])])
            }
            GetTupleElement => t(vec![
                name,
                self.res(&g[0]),
                self.uint(i, &g[1])?,
                self.res(&g[2]),
            ]),
            SetTupleElement => t(vec![
                name,
                self.res(&g[0]),
                self.res(&g[1]),
                self.uint(i, &g[2])?,
            ]),
            PutList => t(vec![
                name,
                self.res(&g[0]),
                self.res(&g[1]),
                self.raw(&g[2]),
            ]),
            BsPutInteger | BsPutBinary | BsPutFloat => t(vec![
                name,
                self.raw(&g[0]),
                self.res(&g[1]),
                self.uint(i, &g[2])?,
                self.flags(i, &g[3])?,
                self.res(&g[4]),
            ]),
            BsPutString => {
                let Operand::U(len) = g[0] else {
                    return Err(self.fail(i, "expected a length"));
                };
                let s = self.string(i, &g[1], len)?;
                let s = Term::list(s.iter().map(|&b| Term::Int(b as i64)).collect());
                t(vec![name, Term::int(len), pair("string", s)])
            }
            Fmove | Fconv | Swap => t(vec![name, self.res(&g[0]), self.res(&g[1])]),
            Fadd | Fsub | Fmul | Fdiv | Fnegate => {
                let n = g.len();
                t(vec![
                    a("arithfbif"),
                    name,
                    self.res(&g[0]),
                    Term::list(self.res_all(&g[1..n - 1])),
                    self.res(&g[n - 1]),
                ])
            }
            MakeFun2 => {
                let (mfa, idx, uniq, l) = self.lambda(i, &g[0])?;
                t(vec![name, mfa, idx, uniq, Term::Int(l.num_free as i64)])
            }
            MakeFun3 => {
                let (mfa, idx, uniq, _) = self.lambda(i, &g[0])?;
                t(vec![
                    name,
                    mfa,
                    idx,
                    uniq,
                    self.raw(&g[1]),
                    self.res_list(i, &g[2])?,
                ])
            }
            Raise => t(vec![
                name,
                pair("f", Term::Int(0)),
                Term::list(vec![self.raw(&g[0]), self.raw(&g[1])]),
                pair("x", Term::Int(0)),
            ]),
            BsInit2 | BsInitBits => t(vec![
                name,
                self.raw(&g[0]),
                self.res(&g[1]),
                self.uint(i, &g[2])?,
                self.uint(i, &g[3])?,
                self.flags(i, &g[4])?,
                self.res(&g[5]),
            ]),
            BsAdd => t(vec![
                name,
                self.raw(&g[0]),
                Term::list(self.res_all(&g[1..4])),
                self.res(&g[4]),
            ]),
            BsStartMatch2 => test(vec![
                self.raw(&g[1]),
                self.uint(i, &g[2])?,
                self.uint(i, &g[3])?,
                self.raw(&g[4]),
            ])?,
            BsGetInteger2 | BsGetBinary2 | BsGetFloat2 => test(vec![
                self.raw(&g[1]),
                self.uint(i, &g[2])?,
                self.res(&g[3]),
                self.uint(i, &g[4])?,
                self.flags(i, &g[5])?,
                self.res(&g[6]),
            ])?,
            BsSkipBits2 => test(vec![
                self.raw(&g[1]),
                self.res(&g[2]),
                self.uint(i, &g[3])?,
                self.flags(i, &g[4])?,
            ])?,
            BsTestTail2 | BsTestUnit => test(vec![self.raw(&g[1]), self.uint(i, &g[2])?])?,
            BsSave2 | BsRestore2 => {
                let pos = match &g[1] {
                    Operand::Atom(_) => self.raw(&g[1]),
                    o => self.uint(i, o)?,
                };
                t(vec![name, self.raw(&g[0]), pos])
            }
            BsMatchString => {
                let Operand::U(bits) = g[2] else {
                    return Err(self.fail(i, "expected a bit count"));
                };
                let s = self.string(i, &g[3], bits.div_ceil(8))?;
                test(vec![
                    self.raw(&g[1]),
                    Term::int(bits),
                    Term::Binary(s.to_vec()),
                ])?
            }
            BsAppend => t(vec![
                name,
                self.raw(&g[0]),
                self.res(&g[1]),
                self.uint(i, &g[2])?,
                self.uint(i, &g[3])?,
                self.uint(i, &g[4])?,
                self.res(&g[5]),
                self.flags(i, &g[6])?,
                self.res(&g[7]),
            ]),
            BsPrivateAppend => t(vec![
                name,
                self.raw(&g[0]),
                self.res(&g[1]),
                self.uint(i, &g[2])?,
                self.res(&g[3]),
                self.flags(i, &g[4])?,
                self.res(&g[5]),
            ]),
            BsGetUtf8 | BsGetUtf16 | BsGetUtf32 => test(vec![
                self.res(&g[1]),
                self.res(&g[2]),
                self.flags(i, &g[3])?,
                self.res(&g[4]),
            ])?,
            BsSkipUtf8 | BsSkipUtf16 | BsSkipUtf32 => test(vec![
                self.res(&g[1]),
                self.res(&g[2]),
                self.flags(i, &g[3])?,
            ])?,
            BsUtf8Size | BsUtf16Size => t(vec![
                name,
                self.raw(&g[0]),
                self.res(&g[1]),
                self.res(&g[2]),
            ]),
            BsPutUtf8 | BsPutUtf16 | BsPutUtf32 => t(vec![
                name,
                self.raw(&g[0]),
                self.flags(i, &g[1])?,
                self.res(&g[2]),
            ]),
            Line => pair("line", self.res(&g[0])),
            PutMapAssoc | PutMapExact => t(vec![
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.raw(&g[2]),
                self.uint(i, &g[3])?,
                self.res_list(i, &g[4])?,
            ]),
            HasMapFields => t(vec![
                a("test"),
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.res_list(i, &g[2])?,
            ]),
            GetMapElements => t(vec![
                name,
                self.raw(&g[0]),
                self.raw(&g[1]),
                self.res_list(i, &g[2])?,
            ]),
            PutTuple2 => t(vec![name, self.raw(&g[0]), self.res_list(i, &g[1])?]),
            InitYregs => t(vec![name, self.res_list(i, &g[0])?]),
            BsCreateBin => {
                let items = self.list(i, &g[5])?;
                let mut v: Vec<Term> = g[..5].iter().map(|o| self.raw(o)).collect();
                v.push(pair("z", Term::Int(1)));
                v.push(pair("u", Term::int(items.len() as u64)));
                v.push(Term::list(items.iter().map(|o| self.raw(o)).collect()));
                t(vec![name, Term::list(vec![t(v)])])
            }
            CallFun2 => t(vec![
                name,
                self.raw(&g[0]),
                self.uint(i, &g[1])?,
                self.raw(&g[2]),
            ]),
            // Opcodes OTP 25's beam_disasm does not know: print them in the
            // same style, raw operands in a list.
            _ => t(vec![
                name,
                Term::list(g.iter().map(|o| self.raw(o)).collect()),
            ]),
        })
    }
}
