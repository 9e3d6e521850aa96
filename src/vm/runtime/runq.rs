//! A scheduler's run queue, by priority as erl keeps it: one queue for
//! `max`, one for `high`, and one `normal` and `low` processes share, in
//! which a `low` process is passed over (sent to the back) until it has
//! come up eight times, unless it is the last one there.

use std::collections::VecDeque;

use crate::vm::exec::proc::Priority;

/// How many times a `low` process comes up before it runs (erl's
/// `RESCHEDULE_LOW`).
const RESCHEDULE_LOW: u8 = 8;

/// The queues: processes that can run, by pid.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunQueue {
    max: VecDeque<u64>,
    high: VecDeque<u64>,
    /// With how many more times each comes up before it runs (1 for a
    /// `normal` process: at once).
    normal: VecDeque<(u64, u8)>,
}

/// The three queues, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Max,
    High,
    Normal,
}

impl Level {
    pub(crate) const ALL: [Level; 3] = [Level::Max, Level::High, Level::Normal];
}

impl RunQueue {
    /// Queues `pid` at the back of its priority's queue.
    pub(crate) fn push_back(&mut self, pid: u64, p: Priority) {
        match p {
            Priority::Max => self.max.push_back(pid),
            Priority::High => self.high.push_back(pid),
            Priority::Normal => self.normal.push_back((pid, 1)),
            Priority::Low => self.normal.push_back((pid, RESCHEDULE_LOW)),
        }
    }

    /// Queues `pid` at the front of its priority's queue (it runs next
    /// among its equals, at once even if `low`).
    pub(crate) fn push_front(&mut self, pid: u64, p: Priority) {
        match p {
            Priority::Max => self.max.push_front(pid),
            Priority::High => self.high.push_front(pid),
            Priority::Normal | Priority::Low => self.normal.push_front((pid, 1)),
        }
    }

    /// The next process to run from queue `level`, if it has one.
    pub(crate) fn pop(&mut self, level: Level) -> Option<u64> {
        match level {
            Level::Max => self.max.pop_front(),
            Level::High => self.high.pop_front(),
            Level::Normal => loop {
                let (pid, count) = self.normal.pop_front()?;
                if count > 1 && !self.normal.is_empty() {
                    self.normal.push_back((pid, count - 1));
                    continue;
                }
                return Some(pid);
            },
        }
    }

    /// How many processes queue `level` holds.
    pub(crate) fn len_of(&self, level: Level) -> usize {
        match level {
            Level::Max => self.max.len(),
            Level::High => self.high.len(),
            Level::Normal => self.normal.len(),
        }
    }

    /// How many processes it holds.
    pub(crate) fn len(&self) -> usize {
        self.max.len() + self.high.len() + self.normal.len()
    }

    /// Whether `pid` is queued.
    pub(crate) fn contains(&self, pid: u64) -> bool {
        self.max.contains(&pid)
            || self.high.contains(&pid)
            || self.normal.iter().any(|e| e.0 == pid)
    }

    /// Takes `pid` out.
    pub(crate) fn remove(&mut self, pid: u64) {
        self.max.retain(|x| *x != pid);
        self.high.retain(|x| *x != pid);
        self.normal.retain(|e| e.0 != pid);
    }

    /// Moves the back half of `from`'s queue `level` to the back of this
    /// one's (work stealing).
    pub(crate) fn steal(&mut self, from: &mut RunQueue, level: Level) {
        let half = |n: usize| n - n.div_ceil(2);
        match level {
            Level::Max => self.max.extend(from.max.split_off(half(from.max.len()))),
            Level::High => self.high.extend(from.high.split_off(half(from.high.len()))),
            Level::Normal => self
                .normal
                .extend(from.normal.split_off(half(from.normal.len()))),
        }
    }

    /// Moves everything in `other` to the back of this one.
    pub(crate) fn append(&mut self, other: &mut RunQueue) {
        self.max.append(&mut other.max);
        self.high.append(&mut other.high);
        self.normal.append(&mut other.normal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(q: &mut RunQueue) -> Vec<u64> {
        let mut out = Vec::new();
        for _ in 0..100 {
            match Level::ALL.into_iter().find_map(|l| q.pop(l)) {
                Some(pid) => out.push(pid),
                None => break,
            }
        }
        out
    }

    #[test]
    fn priorities_run_in_erls_order() {
        let mut q = RunQueue::default();
        q.push_back(1, Priority::Low);
        q.push_back(2, Priority::Normal);
        q.push_back(3, Priority::High);
        q.push_back(4, Priority::Max);
        q.push_back(5, Priority::Low);
        q.push_back(6, Priority::Normal);
        // Max, high, then the normal ones; the low ones when they are all
        // that is left (each the last in its queue in turn).
        assert_eq!(order(&mut q), vec![4, 3, 2, 6, 1, 5]);
    }

    #[test]
    fn a_low_process_runs_once_for_eight_turns_of_a_busy_normal_one() {
        let mut q = RunQueue::default();
        q.push_back(1, Priority::Low);
        q.push_back(2, Priority::Normal);
        let mut ran = Vec::new();
        for _ in 0..9 {
            let pid = q.pop(Level::Normal).expect("runnable");
            ran.push(pid);
            // Each runs a slice and is runnable again.
            let p = if pid == 1 {
                Priority::Low
            } else {
                Priority::Normal
            };
            q.push_back(pid, p);
        }
        assert_eq!(ran, vec![2, 2, 2, 2, 2, 2, 2, 1, 2]);
    }
}
