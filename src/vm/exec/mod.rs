//! Layer 6, exec: the run loop and the instruction bodies, the per-process
//! state they work on, and stack traces.

pub mod proc;
pub mod run;
pub mod trace;
