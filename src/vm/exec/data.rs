//! Moving and building terms: `move`, `swap`, tuples, lists, `select` and
//! `make_fun`.

use std::sync::Arc;

use crate::vm::code::kinds::SelectKind;
use crate::vm::code::loader::{Dst, Loaded, Src};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::Flow;
use crate::vm::exec::proc::{Proc, Regs};
use crate::vm::exec::regs::{dst_src, read, write};
use crate::vm::exec::run::Worker;
use crate::vm::term::compare;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::word::{Ptr, Word, kind};

impl<L: Lock> Worker<'_, L> {
    /// `move` (and the move of a fused `move`, `call`: the call that
    /// follows makes the call).
    #[inline]
    pub(super) fn mov(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        s: Src,
        d: Dst,
    ) -> Result<Flow, Exception> {
        write(proc, xs, d, read(proc, xs, s));
        Ok(Flow::Next)
    }

    /// Two `move`s (fused), which skip the second instruction (the call
    /// that follows fused ones makes the call).
    #[inline]
    pub(super) fn move2(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        pc: u32,
        moves: [(Src, Dst); 2],
    ) -> Result<Flow, Exception> {
        for (s, d) in moves {
            let v = read(proc, xs, s);
            write(proc, xs, d, v);
        }
        Ok(Flow::Goto(pc + 2))
    }

    #[inline]
    pub(super) fn swap(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        a: Dst,
        b: Dst,
    ) -> Result<Flow, Exception> {
        let (va, vb) = (read(proc, xs, dst_src(a)), read(proc, xs, dst_src(b)));
        write(proc, xs, a, vb);
        write(proc, xs, b, va);
        Ok(Flow::Next)
    }

    /// `select`: the label paired with the value (or its tuple arity).
    #[inline]
    pub(super) fn select(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        kind: SelectKind,
        src: Src,
        fail: u32,
        (table, sorted): (&[(Word, u32)], bool),
    ) -> Result<Flow, Exception> {
        let v = read(proc, xs, src);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let key = match kind {
            SelectKind::TupleArity => match view.tuple(v) {
                Some(t) => Word::small(t.len() as i64).expect("arity"),
                None => return Ok(Flow::Goto(fail)),
            },
            SelectKind::Value => v,
        };
        if sorted {
            // Only an immediate equals an immediate exactly.
            let hit = (!key.is_boxed())
                .then(|| table.binary_search_by_key(&key.0, |(w, _)| w.0).ok())
                .flatten();
            return Ok(Flow::Goto(hit.map_or(fail, |i| table[i].1)));
        }
        let hit = table
            .iter()
            .find(|(w, _)| compare::exact_eq(&view, &self.atoms, *w, key));
        Ok(Flow::Goto(hit.map_or(fail, |(_, l)| *l)))
    }

    #[inline]
    pub(super) fn make_tuple(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        d: Dst,
        elems: &[Src],
    ) -> Result<Flow, Exception> {
        let vals: Vec<Word> = elems.iter().map(|s| read(proc, xs, *s)).collect();
        let t = proc.heap.tuple(0, &vals);
        write(proc, xs, d, t);
        Ok(Flow::Next)
    }

    #[inline]
    pub(super) fn get_element(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        s: Src,
        i: u32,
        d: Dst,
    ) -> Result<Flow, Exception> {
        let t = read(proc, xs, s);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let v = view
            .tuple(t)
            .and_then(|e| e.get(i as usize))
            .map(|w| Word(*w))
            .ok_or_else(Exception::badarg)?;
        write(proc, xs, d, v);
        Ok(Flow::Next)
    }

    #[inline]
    pub(super) fn cons(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        h: Src,
        t: Src,
        d: Dst,
    ) -> Result<Flow, Exception> {
        let c = proc.heap.cons(0, read(proc, xs, h), read(proc, xs, t));
        write(proc, xs, d, c);
        Ok(Flow::Next)
    }

    #[inline]
    pub(super) fn split_list(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        s: Src,
        h: Dst,
        t: Dst,
    ) -> Result<Flow, Exception> {
        let l = read(proc, xs, s);
        if !l.is_list() {
            return Err(Exception::badarg());
        }
        let (hv, tv) = View {
            heap: &proc.heap,
            literals: &self.literals,
        }
        .cons(l);
        write(proc, xs, h, hv);
        write(proc, xs, t, tv);
        Ok(Flow::Next)
    }

    /// `make_fun`: a fun of lambda `idx` of module `m`, capturing `free`.
    pub(super) fn make_fun(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        m: &Arc<Loaded>,
        idx: u32,
        d: Dst,
        free: &[Src],
    ) -> Result<Flow, Exception> {
        let (_, arity, nfree, _) = m.lambdas[idx as usize];
        let mut words = vec![
            Word::small(m.id as i64).expect("id"),
            Word::small(idx as i64).expect("index"),
            Word::small((arity - nfree) as i64).expect("arity"),
        ];
        words.extend(free.iter().map(|s| read(proc, xs, *s)));
        let at = proc.heap.words.len();
        proc.heap.words.push(Word::header(kind::FUN, words.len()).0);
        proc.heap.words.extend(words.iter().map(|w| w.0));
        write(
            proc,
            xs,
            d,
            Word::boxed(Ptr {
                area: 0,
                offset: at,
            }),
        );
        Ok(Flow::Next)
    }
}
