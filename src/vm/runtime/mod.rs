//! Layer 7, runtime: the process table, registry, aliases, signals, spawn,
//! timers, the scheduler and its run queues, boot.

pub(crate) mod boot;
pub(crate) mod ets_owner;
pub(crate) mod flags;
pub(crate) mod inet_drv;
pub(crate) mod port_table;
pub(crate) mod ports;
pub mod proc_natives;
pub(crate) mod reload;
pub(crate) mod runq;
pub(crate) mod sched;
pub mod shared;
pub(crate) mod system;
pub mod timers;
pub mod vm;
