//! Hash maps keyed by numbers the VM hands out itself (pids, references,
//! atom indices).

use std::collections::HashMap;

/// A map keyed by pid, reference or atom numbers: numbers the VM hands out
/// itself, so no adversary picks them and a multiplicative hash does
/// (the default SipHash costs more than the rest of a message send).
pub type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHash>>;

/// Fibonacci hashing of one integer key.
#[derive(Default)]
pub struct IdHash(u64);

impl std::hash::Hasher for IdHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}
