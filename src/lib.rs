//! LAM translator: reads BEAM modules, translates them to the Little Actor
//! Machine, and runs them.
#![deny(missing_docs)]
// The VM is safe Rust: no unsafe anywhere, and none can be added unnoticed.
#![forbid(unsafe_code)]

pub mod beam;
pub mod bundle;
pub mod dis;
pub mod erl_flags;
pub mod erlfmt;
pub mod error;
pub mod files;
pub mod lam;
pub mod report;
pub mod term;
pub mod translate;
pub mod vm;

pub use error::{Error, ErrorKind, Result};
