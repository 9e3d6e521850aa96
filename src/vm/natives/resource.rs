//! NIF resources: the native state behind the opaque terms that crypto and
//! zlib hand to Erlang code (a hash or MAC context, a cipher state, a zlib
//! stream). On the BEAM these are resource objects, which Erlang code sees as
//! references (`is_reference/1` is true of them, and zlib.erl checks it).
//!
//! Here each is a reference whose number indexes a VM-wide table. The
//! numbers come from a range of their own (the top bit set), so they never
//! equal a reference of `make_ref/0`. LAM's collector does not know which
//! terms hold them, so an entry cannot be freed when the last term naming it
//! is collected, as the BEAM frees a resource: it is freed by an explicit
//! release (`zlib:close/1`) or when the process that made it exits
//! ([`process_exited`], called by the scheduler). Any process may use an
//! entry while it lives; zlib checks its owner itself, as erl does.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::vm::native::Ctx;
use crate::vm::term::word::{Word, kind};

/// A resource's state, locked while a native works on it.
pub(crate) type Slot = Arc<Mutex<Box<dyn Any + Send>>>;

struct Entry {
    owner: u64,
    slot: Slot,
    /// Whether the entry outlives its owner, its state dropped (see [`make_kept`]).
    kept: bool,
}

#[derive(Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    by_owner: HashMap<u64, Vec<u64>>,
}

fn table() -> MutexGuard<'static, Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The first number of the resources' range.
const FIRST: u64 = 1 << 63;

/// A new resource holding `state`, owned by the calling process: the
/// reference that names it.
pub(crate) fn make(c: &mut Ctx, state: Box<dyn Any + Send>) -> Word {
    make_with(c, state, false)
}

/// Like [`make`], for a resource whose owner alone may use it (a zlib
/// stream): when the owner exits its state is dropped, but the entry stays,
/// so that another process still holding the reference gets erl's "not
/// the owner" error rather than a `badarg`.
pub(crate) fn make_kept(c: &mut Ctx, state: Box<dyn Any + Send>) -> Word {
    make_with(c, state, true)
}

/// Like [`make`], for a resource no process owns: it lives as long as
/// the VM (atomics, which outlive the process that made them).
pub(crate) fn make_unowned(c: &mut Ctx, state: Box<dyn Any + Send>) -> Word {
    static NEXT: AtomicU64 = AtomicU64::new(FIRST | 1 << 62);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    table().entries.insert(
        id,
        Entry {
            owner: 0,
            slot: Arc::new(Mutex::new(state)),
            kept: false,
        },
    );
    c.heap.reference(0, id)
}

fn make_with(c: &mut Ctx, state: Box<dyn Any + Send>, kept: bool) -> Word {
    static NEXT: AtomicU64 = AtomicU64::new(FIRST);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut t = table();
    t.entries.insert(
        id,
        Entry {
            owner: c.pid,
            slot: Arc::new(Mutex::new(state)),
            kept,
        },
    );
    t.by_owner.entry(c.pid).or_default().push(id);
    c.heap.reference(0, id)
}

/// The number of the resource that `w` names, if it is one of this table's
/// references (live or not).
fn number(c: &Ctx, w: Word) -> Option<u64> {
    let v = c.view();
    if !w.is_boxed() || v.header(w).header_kind() != kind::REF {
        return None;
    }
    let id = v.at(w.ptr(), 1).0;
    (id >= FIRST).then_some(id)
}

/// The live resource `w` names, with the process that owns it.
pub(crate) fn get(c: &Ctx, w: Word) -> Option<(u64, Slot)> {
    let id = number(c, w)?;
    let t = table();
    t.entries.get(&id).map(|e| (e.owner, e.slot.clone()))
}

/// Gives the resource `w` names to process `owner`.
pub(crate) fn set_owner(c: &Ctx, w: Word, owner: u64) -> bool {
    let Some(id) = number(c, w) else { return false };
    let mut t = table();
    let Some(e) = t.entries.get_mut(&id) else {
        return false;
    };
    let old = std::mem::replace(&mut e.owner, owner);
    if let Some(ids) = t.by_owner.get_mut(&old) {
        ids.retain(|i| *i != id);
    }
    t.by_owner.entry(owner).or_default().push(id);
    true
}

/// Frees the resource `w` names now (a file closed): later uses find no
/// entry, which [`released`] tells apart from a term that never was one.
pub(crate) fn release(c: &Ctx, w: Word) {
    let Some(id) = number(c, w) else { return };
    let mut t = table();
    if let Some(e) = t.entries.remove(&id)
        && let Some(ids) = t.by_owner.get_mut(&e.owner)
    {
        ids.retain(|i| *i != id);
    }
}

/// Whether `w` is a reference of the resources' range whose entry is gone
/// (released, or its owner exited).
pub(crate) fn released(c: &Ctx, w: Word) -> bool {
    number(c, w).is_some_and(|id| !table().entries.contains_key(&id))
}

/// Frees every resource process `pid` owns: it has exited.
pub fn process_exited(pid: u64) {
    let mut t = table();
    if let Some(ids) = t.by_owner.remove(&pid) {
        for id in ids {
            match t.entries.get(&id) {
                Some(e) if e.kept => *lock(&e.slot) = Box::new(Gone),
                _ => {
                    t.entries.remove(&id);
                }
            }
        }
    }
}

/// How many resources are live (for tests).
pub fn live() -> usize {
    table().entries.len()
}

/// The state of a kept resource whose owner has exited.
pub(crate) struct Gone;

/// Locks a resource's state.
pub(crate) fn lock(slot: &Slot) -> MutexGuard<'_, Box<dyn Any + Send>> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}
