//! The external term format decoder on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = lam_translate::beam::etf::decode(data, 0) {
        let _ = lam_translate::erlfmt::w(&t);
    }
});
