//! The compact operand decoder on arbitrary bytes, operand after operand.
#![no_main]

use lam_translate::beam::{compact, reader::Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data, 0);
    while !r.is_empty() {
        if compact::operand(&mut r).is_err() {
            break;
        }
    }
});
