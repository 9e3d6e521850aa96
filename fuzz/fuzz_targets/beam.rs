//! Whole-file reading and both disassemblers: any bytes must give a
//! module or an error, never a panic, hang or runaway allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = lam_translate::beam::read(data) {
        let _ = lam_translate::dis::erlang::disassemble(&m);
        let _ = lam_translate::dis::text::disassemble(&m);
        for c in &m.other_chunks {
            let _ = c.term();
        }
    }
});
