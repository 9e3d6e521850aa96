//! The VM-wide memory budget (`docs/vm.md`, "Memory budget"): what the
//! processes hold, counted at their collections, against an optional
//! limit, so that one process that allocates without bound dies alone
//! instead of taking the VM down.

use std::collections::TryReserveError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The bytes counted against the budget, and the budget.
#[derive(Debug, Default)]
pub struct Memory {
    /// The most bytes all accounts together may hold (0: no limit).
    limit: AtomicUsize,
    /// The bytes the accounts hold.
    used: AtomicUsize,
}

impl Memory {
    /// A budget of `limit` bytes, or none.
    pub fn new(limit: Option<usize>) -> Memory {
        let m = Memory::default();
        m.set_limit(limit);
        m
    }

    /// Sets the budget (`None`: no limit).
    pub fn set_limit(&self, limit: Option<usize>) {
        self.limit.store(
            limit.unwrap_or(0).max(usize::from(limit.is_some())),
            Ordering::Relaxed,
        );
    }

    /// The budget, if there is one.
    pub fn limit(&self) -> Option<usize> {
        Some(self.limit.load(Ordering::Relaxed)).filter(|&l| l > 0)
    }

    /// The bytes the accounts hold.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Whether `extra` more bytes than the accounts hold fit in the budget:
    /// the check before a one-off allocation (a native's result), which is
    /// counted at the process's next collection.
    pub fn fits(&self, extra: usize) -> bool {
        self.limit()
            .is_none_or(|l| self.used().saturating_add(extra) <= l)
    }
}

/// What one process holds, counted in its [`Memory`]: given back when the
/// account is dropped with the process.
#[derive(Debug, Default)]
pub struct Account {
    memory: Option<Arc<Memory>>,
    bytes: usize,
}

impl Account {
    /// Counts `bytes` (instead of what was counted before) in `memory`;
    /// whether the budget still holds.
    pub fn set(&mut self, memory: &Arc<Memory>, bytes: usize) -> bool {
        if !self.memory.as_ref().is_some_and(|m| Arc::ptr_eq(m, memory)) {
            self.release();
            self.memory = Some(memory.clone());
        }
        let used = if bytes >= self.bytes {
            memory
                .used
                .fetch_add(bytes - self.bytes, Ordering::Relaxed)
                .saturating_add(bytes - self.bytes)
        } else {
            memory
                .used
                .fetch_sub(self.bytes - bytes, Ordering::Relaxed)
                .saturating_sub(self.bytes - bytes)
        };
        self.bytes = bytes;
        memory.limit().is_none_or(|l| used <= l)
    }

    /// The bytes counted.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn release(&mut self) {
        if let Some(m) = self.memory.take() {
            m.used.fetch_sub(self.bytes, Ordering::Relaxed);
        }
        self.bytes = 0;
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        self.release();
    }
}

/// Room for `extra` more elements in `v`, exactly, or the allocator's
/// refusal (where `Vec::reserve` would abort the VM).
pub fn try_room<T>(v: &mut Vec<T>, extra: usize) -> Result<(), TryReserveError> {
    v.try_reserve_exact(extra)
}

/// Parses a size in bytes with an optional suffix (`K`, `M`, `G`, `T`,
/// powers of 1024; `512M`, `4G`), for `--max-memory`.
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (digits, shift) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 10),
        (i, 'm' | 'M') => (&s[..i], 20),
        (i, 'g' | 'G') => (&s[..i], 30),
        (i, 't' | 'T') => (&s[..i], 40),
        _ => (s, 0),
    };
    digits.parse::<usize>().ok()?.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("4g"), Some(4 << 30));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("99999999999T"), None);
    }

    #[test]
    fn accounts_count_until_dropped_and_report_the_budget_passed() {
        let m = Arc::new(Memory::new(Some(1000)));
        let mut a = Account::default();
        assert!(a.set(&m, 600));
        let mut b = Account::default();
        assert!(!b.set(&m, 600));
        assert_eq!(m.used(), 1200);
        assert!(b.set(&m, 100));
        assert!(!m.fits(400));
        assert!(m.fits(300));
        drop(a);
        assert_eq!(m.used(), 100);
        drop(b);
        assert_eq!(m.used(), 0);
    }
}
