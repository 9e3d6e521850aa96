//! Timers on the monotonic clock: receive timeouts (`after`) and the
//! `erlang:send_after`/`start_timer` family.
//!
//! One heap of deadlines holds both. A receive timeout names its process
//! and the "wait epoch" it belongs to, so a timeout for a receive that has
//! since completed is recognised as stale and dropped instead of being
//! searched for and removed. A message timer owns its message in a small
//! area of its own until it fires, when the message is copied into the
//! receiver's heap like any other. The area counts against the memory
//! budget until then; a timer whose receiver is a process that ends is
//! cancelled, as erl cancels it, so its copy is not kept for nobody.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use crate::vm::term::heap::Area;
use crate::vm::term::memory::Account;
use crate::vm::term::word::Word;

/// Where a timer's message goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dest {
    /// A process.
    Pid(u64),
    /// A registered name, looked up when the timer fires.
    Name(u32),
}

/// A message waiting for its time.
#[derive(Debug)]
pub struct Pending {
    /// The receiver.
    pub to: Dest,
    /// The message, in `area`.
    pub msg: Word,
    /// The area holding the message.
    pub area: Area,
    /// The area's bytes, counted against the memory budget until the
    /// timer fires (the copy is then the receiver's) or is cancelled.
    pub held: Account,
    /// When it fires.
    pub deadline: Instant,
}

/// What a deadline is for.
#[derive(Debug)]
pub enum Event {
    /// The receive of process `pid` that began in wait epoch `epoch` times out.
    Timeout {
        /// The waiting process.
        pid: u64,
        /// Its wait epoch when the timeout was set.
        epoch: u64,
    },
    /// The timer with this reference number fires.
    Message(u64),
}

/// All pending deadlines of a scheduler.
#[derive(Debug, Default)]
pub struct Timers {
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    events: HashMap<u64, Event>,
    /// Message timers by reference number.
    pending: HashMap<u64, Pending>,
    /// The message timers aimed at each process (by pid), cancelled when
    /// it ends.
    by_pid: HashMap<u64, Vec<u64>>,
    next: u64,
}

impl Timers {
    fn push(&mut self, at: Instant, e: Event) {
        let seq = self.next;
        self.next += 1;
        self.queue.push(Reverse((at, seq)));
        self.events.insert(seq, e);
    }

    /// A receive timeout.
    pub fn timeout(&mut self, at: Instant, pid: u64, epoch: u64) {
        self.push(at, Event::Timeout { pid, epoch });
    }

    /// A message timer, known by its reference number.
    pub fn message(&mut self, reference: u64, p: Pending) {
        let at = p.deadline;
        if let Dest::Pid(pid) = p.to {
            self.by_pid.entry(pid).or_default().push(reference);
        }
        self.pending.insert(reference, p);
        self.push(at, Event::Message(reference));
    }

    /// Cancels a message timer: its message and deadline, if it had not fired.
    pub fn cancel(&mut self, reference: u64) -> Option<Pending> {
        let p = self.pending.remove(&reference)?;
        self.forget(&p, reference);
        Some(p)
    }

    /// Cancels every message timer aimed at process `pid`, which ended.
    pub fn cancel_for(&mut self, pid: u64) {
        for r in self.by_pid.remove(&pid).unwrap_or_default() {
            self.pending.remove(&r);
        }
    }

    /// Takes timer `reference` (no longer pending) off its receiver's list.
    fn forget(&mut self, p: &Pending, reference: u64) {
        let Dest::Pid(pid) = p.to else {
            return;
        };
        if let Some(refs) = self.by_pid.get_mut(&pid) {
            refs.retain(|r| *r != reference);
            if refs.is_empty() {
                self.by_pid.remove(&pid);
            }
        }
    }

    /// When a message timer fires, if it is pending.
    pub fn deadline_of(&self, reference: u64) -> Option<Instant> {
        self.pending.get(&reference).map(|p| p.deadline)
    }

    /// The earliest deadline, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _))| *at)
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The next event due at `now`, if any; message timers come with their
    /// message (cancelled ones are skipped).
    pub fn pop_due(&mut self, now: Instant) -> Option<(Event, Option<Pending>)> {
        while let Some(Reverse((at, seq))) = self.queue.peek().copied() {
            if at > now {
                return None;
            }
            self.queue.pop();
            match self.events.remove(&seq) {
                Some(Event::Message(r)) => match self.pending.remove(&r) {
                    Some(p) => {
                        self.forget(&p, r);
                        return Some((Event::Message(r), Some(p)));
                    }
                    None => continue,
                },
                Some(e) => return Some((e, None)),
                None => continue,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn events_come_due_in_deadline_order_and_cancelled_ones_never() {
        let mut t = Timers::default();
        let now = Instant::now();
        let p = |ms| Pending {
            to: Dest::Pid(1),
            msg: Word::NIL,
            area: Area::default(),
            held: Account::default(),
            deadline: now + Duration::from_millis(ms),
        };
        t.message(7, p(30));
        t.timeout(now + Duration::from_millis(10), 3, 1);
        t.message(8, p(20));
        assert!(t.cancel(8).is_some());
        assert_eq!(t.deadline_of(7), Some(now + Duration::from_millis(30)));
        assert!(t.pop_due(now).is_none());
        let later = now + Duration::from_millis(40);
        assert!(matches!(
            t.pop_due(later),
            Some((Event::Timeout { pid: 3, epoch: 1 }, None))
        ));
        assert!(matches!(
            t.pop_due(later),
            Some((Event::Message(7), Some(_)))
        ));
        assert!(t.pop_due(later).is_none());
        assert!(t.is_empty());
    }

    #[test]
    fn a_process_that_ends_takes_its_timers_along() {
        let mut t = Timers::default();
        let now = Instant::now();
        let p = |to| Pending {
            to,
            msg: Word::NIL,
            area: Area::default(),
            held: Account::default(),
            deadline: now,
        };
        t.message(1, p(Dest::Pid(5)));
        t.message(2, p(Dest::Pid(6)));
        t.message(3, p(Dest::Pid(5)));
        t.message(4, p(Dest::Name(5)));
        assert!(t.cancel(3).is_some());
        t.cancel_for(5);
        assert!(t.deadline_of(1).is_none());
        assert!(t.deadline_of(2).is_some());
        assert!(t.deadline_of(4).is_some(), "a name is not a process");
        let due: Vec<_> = std::iter::from_fn(|| t.pop_due(now)).collect();
        assert_eq!(due.len(), 2);
        assert!(t.by_pid.is_empty());
    }
}
