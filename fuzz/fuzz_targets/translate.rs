//! Reading, translating and both LAM formats on arbitrary bytes: whatever
//! translates must validate and round-trip.
#![no_main]

use lam_translate::lam::{binary, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = lam_translate::beam::read(data) else {
        return;
    };
    let Ok(t) = lam_translate::translate::translate(&m) else {
        return;
    };
    t.module.validate().expect("translations validate");
    let bin = binary::encode(&t.module);
    let back = binary::decode(&bin).expect("our own encoding decodes");
    assert!(binary::encode(&back) == bin);
    let asm = text::print(&back);
    let parsed = text::parse(&asm).expect("our own text parses");
    assert!(binary::encode(&parsed) == bin);
});
