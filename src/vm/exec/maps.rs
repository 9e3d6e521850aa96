//! Maps: `put_map` and `get_map`.

use crate::vm::code::kinds::MapKind;
use crate::vm::code::loader::{Dst, Src};
use crate::vm::exec::Lock;
use crate::vm::exec::flow::{Flow, fail_or};
use crate::vm::exec::proc::{Proc, Regs};
use crate::vm::exec::regs::{read, write};
use crate::vm::exec::run::Worker;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::maps;
use crate::vm::term::word::Word;

impl<L: Lock> Worker<'_, L> {
    /// `put_map`: `src` with the pairs put in (`exact`: only keys it has).
    #[allow(clippy::too_many_arguments)] // the instruction's operands
    pub(super) fn put_map(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        kind: MapKind,
        fail: u32,
        src: Src,
        dst: Dst,
        pairs: &[(Src, Src)],
    ) -> Result<Flow, Exception> {
        let map = read(proc, xs, src);
        let kv: Vec<(Word, Word)> = pairs
            .iter()
            .map(|(k, v)| (read(proc, xs, *k), read(proc, xs, *v)))
            .collect();
        let exact = kind == MapKind::Exact;
        match maps::put(&mut proc.heap, &self.literals, &self.atoms, map, &kv, exact) {
            Ok(w) => write(proc, xs, dst, w),
            Err(e) => return fail_or(fail, e),
        }
        Ok(Flow::Next)
    }

    /// `get_map`: every key's value, or the fail label if one is missing.
    pub(super) fn get_map(
        &self,
        proc: &mut Proc,
        xs: &mut Regs,
        fail: u32,
        src: Src,
        pairs: &[(Src, Dst)],
    ) -> Result<Flow, Exception> {
        let map = read(proc, xs, src);
        let view = View {
            heap: &proc.heap,
            literals: &self.literals,
        };
        let mut found = Vec::with_capacity(pairs.len());
        for (k, d) in pairs.iter() {
            match maps::get(&view, &self.atoms, map, read(proc, xs, *k)) {
                Some(v) => found.push((*d, v)),
                None => return Ok(Flow::Goto(fail)),
            }
        }
        for (d, v) in found {
            write(proc, xs, d, v);
        }
        Ok(Flow::Next)
    }
}
