//! The LAM binary and text readers on arbitrary input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = lam_translate::lam::binary::decode(data) {
        if m.validate().is_ok() {
            let _ = lam_translate::lam::verify::verify(&m);
            let _ = lam_translate::lam::text::print(&m);
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(m) = lam_translate::lam::text::parse(s) {
            let _ = m.validate();
        }
    }
});
