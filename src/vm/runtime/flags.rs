//! The system flags `erlang:system_flag/2` sets and `system_info/1` reads
//! back, kept on the VM (`runtime/system.rs` has the natives).

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use crate::vm::term::atoms::atom;
use crate::vm::term::word::Word;

/// The system flags a program may set and read back (`system_flag/2`,
/// `system_info/1`). Only `backtrace_depth` changes what LAM does (the
/// length of stack traces) besides `schedulers_online`, which lives on the
/// VM; the garbage collection defaults are kept for `system_info` but a
/// process's heap follows LAM's own sizing (docs/vm.md), and the blocking
/// of multi-scheduling is recorded, not enforced.
#[derive(Debug)]
pub(crate) struct SysFlags {
    /// How many frames a stack trace keeps, BIF frame included (at least
    /// one); read by every scheduler as it builds a trace.
    pub(crate) backtrace_depth: Arc<AtomicUsize>,
    pub(crate) trace_control_word: u64,
    pub(crate) fullsweep_after: u64,
    pub(crate) min_heap_size: u64,
    pub(crate) min_bin_vheap_size: u64,
    /// What a new process gets as its `max_heap_size`.
    pub(crate) max_heap: crate::vm::exec::proc::MaxHeap,
    /// Processes that blocked multi-scheduling, each with its count.
    pub(crate) blockers: Vec<(u64, u32)>,
    pub(crate) normal_blockers: Vec<(u64, u32)>,
    pub(crate) outstanding_system_requests_limit: u64,
    pub(crate) dirty_cpu_schedulers_online: Option<usize>,
    pub(crate) sequential_tracer: Word,
}

impl Default for SysFlags {
    fn default() -> SysFlags {
        SysFlags {
            backtrace_depth: Arc::new(AtomicUsize::new(8)),
            trace_control_word: 0,
            fullsweep_after: 65_535,
            min_heap_size: 233,
            min_bin_vheap_size: 46_422,
            max_heap: Default::default(),
            blockers: Vec::new(),
            normal_blockers: Vec::new(),
            outstanding_system_requests_limit: 4,
            dirty_cpu_schedulers_online: None,
            sequential_tracer: Word::atom(atom::FALSE),
        }
    }
}
