//! `docs/isa.md`: the ISA reference, generated from the instruction table
//! and the fate table so that it cannot drift from the code.

use std::fmt::Write;

use crate::beam::opcodes::OPS;
use crate::lam::isa::{LAM_OPS, LamOp, Shape};
use crate::translate::{Fate, fate};

fn example(op: LamOp) -> &'static str {
    use LamOp::*;
    match op {
        Move => "move 'ok', y0            ; y[0] := ok",
        Swap => "swap x0, y2",
        Allocate => "allocate 3, 2            ; three frame slots; x0 and x1 are live",
        Deallocate => "deallocate 3",
        Trim => "trim 2, 1                ; drop y0 and y1; the old y2 becomes y0",
        Jump => "jump L12",
        Test => "test is_tagged_tuple, L7, [x0, 3, 'point']",
        Select => "select value, x0, L9, ['a', L4, 'b', L6]",
        Call => "call 2, lists:reverse/2  ; or: call 1, L20 for a local function",
        TailCall => "tail_call 1, L20",
        CallFun => "call_fun fun, 2, x2       ; x2(x0, x1)",
        TailCallFun => "tail_call_fun apply, 1, x1   ; x1:x2(x0)",
        Return => "return",
        Bif => "bif erlang:element/2, nofail, [1, x0], x1",
        Arith => "arith add, nofail, x0, 1, x0",
        MakeTuple => "make_tuple x0, ['ok', y1]",
        GetElement => "get_element x0, 1, x1      ; x1 := element(2, x0)",
        Cons => "cons x1, [], x0             ; x0 := [x1]",
        SplitList => "split_list x0, x1, _        ; x1 := hd(x0)",
        PutMap => "put_map assoc, nofail, x0, x0, ['count', x1]",
        GetMap => "get_map L5, x0, ['w', x1, 'h', x2]",
        MakeFun => "make_fun 0, x0, [y1]        ; closure of lambda 0 capturing y1",
        Try => "try y0, L30",
        TryEnd => "try_end y0",
        CatchEnd => "catch_end y0",
        Raise => "raise x0, x1, x2",
        Fail => "fail badmatch, x0           ; error({badmatch, X0})",
        PeekMessage => "peek_message L40, x0",
        NextMessage => "next_message L38",
        RemoveMessage => "remove_message",
        Wait => "wait L38, 1000              ; after 1000 ms fall through to the timeout clause",
        RecvMark => "recv_mark bind, y0, x0",
        Send => "send",
        Spawn => "spawn spawn_link, 3         ; x0 := spawn_link(x0, x1, x2)",
        SelfPid => "self x1",
    }
}

fn shape(s: Shape) -> String {
    match s {
        Shape::Src => "S source".into(),
        Shape::Dst => "D destination".into(),
        Shape::Label => "L label".into(),
        Shape::Num => "N number".into(),
        Shape::Kind(words) => format!(
            "K kind: {}",
            words
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Shape::Target => "T target (label or import)".into(),
        Shape::Import => "I import (a native function)".into(),
        Shape::Srcs => "[S...] list of sources".into(),
        Shape::SrcLabels => "[S, L...] value/label pairs".into(),
        Shape::SrcSrcs => "[S, S...] key/value pairs".into(),
        Shape::SrcDsts => "[S, D...] key/destination pairs".into(),
    }
}

/// The whole reference page.
pub fn isa_markdown() -> String {
    let mut s = String::from(include_str!("isa_intro.md"));
    s.push_str("\n## Instructions\n");
    for info in LAM_OPS {
        let _ = writeln!(s, "\n### {} `{}`\n", info.op as u8, info.name);
        let _ = writeln!(s, "{}\n", info.meaning);
        if info.shapes.is_empty() {
            s.push_str("Operands: none.\n\n");
        } else {
            s.push_str("Operands:\n");
            for (i, sh) in info.shapes.iter().enumerate() {
                let _ = writeln!(s, "{}. {}", i + 1, shape(*sh));
            }
            s.push('\n');
        }
        let from: Vec<String> = OPS
            .iter()
            .filter(|o| matches!(fate(o.op), Fate::Translated(ops) if ops.contains(&info.op)))
            .map(|o| format!("`{}`", o.name))
            .collect();
        let _ = writeln!(
            s,
            "From BEAM: {}\n",
            if from.is_empty() {
                "none (the translator does not emit it yet)".to_string()
            } else {
                from.join(", ")
            }
        );
        let _ = writeln!(s, "```\n{}\n```", example(info.op));
    }
    s.push_str(include_str!("isa_verify.md"));
    s.push_str("\n## The fate of every BEAM opcode\n\n| # | BEAM opcode | fate | LAM instructions or reason |\n|---:|---|---|---|\n");
    for o in OPS {
        let (what, detail) = match fate(o.op) {
            Fate::Translated(ops) => (
                "translated",
                ops.iter()
                    .map(|op| format!("`{}`", op.name()))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Fate::Erased(why) => ("erased", why.to_string()),
            Fate::Unsupported(why) => ("unsupported", why.to_string()),
        };
        let _ = writeln!(
            s,
            "| {} | `{}/{}` | {what} | {detail} |",
            o.op as u8, o.name, o.arity
        );
    }
    s
}
