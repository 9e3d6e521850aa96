//! The program fuzzer (being written).

use std::path::Path;

use crate::{Opts, Summary};

pub fn run(_opts: &Opts, _lam: &Path) -> Result<Summary, String> {
    Err("the program fuzzer is not written yet".into())
}
