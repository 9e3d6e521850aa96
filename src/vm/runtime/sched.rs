//! The scheduler: N threads run M processes.
//!
//! Each scheduler thread is a [`Worker`]: it takes a process off a run
//! queue, owns it for one slice (a budget of reductions, or until it waits
//! or ends) without holding any lock, and puts it back. What processes share
//! (the process table, the registry, timers, loaded code, output) is the
//! [`Vm`], behind one lock that a scheduler takes between slices and, inside
//! a slice, for the operations that touch other processes: sends, spawns,
//! links, monitors, the registry, module loading. Pure computation, the bulk
//! of any program, runs in parallel.
//!
//! Every scheduler has its own run queue: a process made runnable goes to
//! the queue of the scheduler that made it so (the one holding the lock),
//! and a scheduler whose queue is empty steals half of the longest other
//! queue. With one scheduler there is one queue and the order in which
//! processes run is fully determined by the program (`--schedulers 1`).
//!
//! A process running on one scheduler can be sent signals by another:
//! those are kept with it ([`Deferred`]) and applied when its slice ends.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::vm::exec::Lock;
use crate::vm::exec::proc::{Outcome, Proc};
use crate::vm::exec::run::Worker;
use crate::vm::natives::signals;
use crate::vm::platform;
use crate::vm::runtime::runq::{Level, RunQueue};
use crate::vm::runtime::vm::{Deferred, Vm};
use crate::vm::term::atoms::atom;
use crate::vm::term::exception::Exception;
use crate::vm::term::heap::View;
use crate::vm::term::word::Word;

/// The VM shared by the scheduler threads, and the signal that wakes an
/// idle one.
pub(crate) struct Sched {
    vm: Mutex<Vm>,
    /// Shared with the ports' reader threads, which wake a sleeping
    /// scheduler when input arrives.
    wake: Arc<Condvar>,
    /// Where schedulers taken offline sleep: apart, so that waking an idle
    /// one never wakes one that would go back to sleep.
    offline: Condvar,
}

impl Lock for Sched {
    type Shared = Vm;
    type Guard<'a> = MutexGuard<'a, Vm>;

    /// The VM, locked by scheduler `id`.
    fn lock(&self, id: usize) -> MutexGuard<'_, Vm> {
        // A panic while the lock was held is a bug already being reported;
        // the data is still what it was.
        let mut vm = self.vm.lock().unwrap_or_else(|e| e.into_inner());
        vm.current = id;
        vm
    }
}

/// Stops every scheduler when one unwinds from a panic (a bug in the VM):
/// the others would wait for work forever, and the run would hang instead
/// of reporting it.
struct StopOnPanic<'a>(&'a Sched);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.lock(0).stopped = true;
            self.0.wake.notify_all();
            self.0.offline.notify_all();
        }
    }
}

impl Vm {
    /// Runs processes until `until` finishes (its result) or, with `None`,
    /// until none can run, on `self.schedulers` threads.
    pub(crate) fn schedule(&mut self, until: Option<u64>) -> Option<Result<Word, Exception>> {
        // Without threads one scheduler runs all (`--schedulers` asks for
        // more in vain, as erl's `+S` beyond its limit).
        let n = if platform::THREADS {
            self.schedulers.max(1)
        } else {
            1
        };
        self.schedulers_online = n;
        self.root = until;
        self.ended = None;
        self.stopped = false;
        let mut queued = RunQueue::default();
        for mut q in self.run_queues.drain(..) {
            queued.append(&mut q);
        }
        self.run_queues = vec![RunQueue::default(); n];
        self.run_queues[0] = queued;
        let vm = std::mem::replace(self, Vm::bare(Vec::new()));
        let wake = Arc::new(Condvar::new());
        vm.ports.set_waker(Some(wake.clone()));
        signals::install_defaults();
        signals::set_waker(Some(wake.clone()));
        let sched = Sched {
            vm: Mutex::new(vm),
            wake,
            offline: Condvar::new(),
        };
        std::thread::scope(|s| {
            let workers: Vec<_> = (1..n)
                .map(|id| {
                    let sched = &sched;
                    s.spawn(move || {
                        let _stop = StopOnPanic(sched);
                        let mut w = Worker::new(sched, id, &sched.lock(id));
                        w.run();
                    })
                })
                .collect();
            let stop = StopOnPanic(&sched);
            let mut w = Worker::new(&sched, 0, &sched.lock(0));
            w.run();
            drop(stop);
            for h in workers {
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            w.drain_group_leader();
        });
        *self = sched.vm.into_inner().unwrap_or_else(|e| e.into_inner());
        self.ports.set_waker(None);
        signals::set_waker(None);
        // Processes still queued on the other schedulers' queues stay
        // runnable (an `--until-idle` run goes on with them).
        let mut rest: Vec<RunQueue> = self.run_queues.drain(1..).collect();
        for q in &mut rest {
            self.run_queues[0].append(q);
        }
        self.current = 0;
        let ended = self.ended.take();
        until.map(|_| {
            ended.unwrap_or_else(|| {
                Err(Exception {
                    class: atom::ERROR,
                    reason: Word::atom(self.atoms.intern("deadlock")),
                    trace: Word::NIL,
                })
            })
        })
    }

    /// The next process for scheduler `id`: the most urgent one of its own
    /// queue, or if another scheduler has a more urgent one than it, half
    /// of that queue of the longest such (a high priority process waits
    /// for no normal one anywhere).
    fn next_runnable(&mut self, id: usize) -> Option<u64> {
        for level in Level::ALL {
            if self.run_queues[id].len_of(level) > 0 {
                return self.run_queues[id].pop(level);
            }
            let (victim, len) = self
                .run_queues
                .iter()
                .enumerate()
                .map(|(i, q)| (i, q.len_of(level)))
                .max_by_key(|(_, len)| *len)?;
            if len > 0 {
                let mut from = std::mem::take(&mut self.run_queues[victim]);
                self.run_queues[id].steal(&mut from, level);
                self.run_queues[victim] = from;
                return self.run_queues[id].pop(level);
            }
        }
        None
    }

    fn queued(&self) -> usize {
        self.run_queues.iter().map(RunQueue::len).sum()
    }

    /// Puts back a process whose slice ended without it ending: on the run
    /// queue, or (`waiting`) aside until a message or its timeout.
    fn park(&mut self, mut p: Box<Proc>, waiting: bool) {
        let pid = p.pid;
        // Its timeout may have fired while it ran, and found it not waiting.
        let timed_out = waiting && p.rx.deadline.is_some_and(|d| d <= Instant::now());
        p.rx.waiting = waiting && !timed_out;
        if timed_out {
            p.time_out();
        }
        self.procs.insert(pid, p);
        if !waiting || timed_out {
            self.ready(pid);
        }
    }

    /// Takes the end of a slice of process `p` (which ran on the caller's
    /// scheduler): puts it back, or sends its exit signals and, if it is
    /// the process the run waits for, ends the run.
    fn finish(&mut self, mut p: Box<Proc>, outcome: Outcome) {
        let pid = p.pid;
        if let Some(total) = p.max_heap_reached.take() {
            self.max_heap_report(&p, total);
        }
        let mut deferred = self.running.remove(&pid).unwrap_or_default();
        let (reason, result) = match outcome {
            Outcome::Yield | Outcome::Wait => {
                let blocked = p.blocked_on.take();
                let for_system = self.waiting_for_system(pid);
                // A slice that ends for a retry (the process acted on is
                // running elsewhere, or the system boots) goes on, as erl
                // sees it, when the instruction runs again: what it spawned
                // stays held until then.
                if blocked.is_none() && !for_system {
                    self.release_spawned(pid);
                }
                match blocked.and_then(|t| self.running.get_mut(&t)) {
                    // It waits, off the run queues, for the process it acts
                    // on to finish its slice.
                    Some(signals) => {
                        signals.push(Deferred::Waiter(pid));
                        self.procs.insert(pid, p);
                    }
                    // It waits, off the run queues, for the system to boot.
                    None if for_system => {
                        self.procs.insert(pid, p);
                    }
                    None => self.park(p, matches!(outcome, Outcome::Wait)),
                }
                self.apply_deferred(pid, deferred);
                return;
            }
            Outcome::Done(v) => (Word::atom(atom::NORMAL), Ok(v)),
            Outcome::Failed(e) => {
                let reason = self.exit_reason(&mut p, &e);
                if e.class != atom::EXIT {
                    self.error_report(&p, reason);
                }
                self.exit_value_report(&p, reason);
                if self.debug.procs {
                    let v = View {
                        heap: &p.heap,
                        literals: &self.literals,
                    };
                    eprintln!(
                        "lam: process <0.{}.0> exits: {}",
                        p.pid,
                        crate::erlfmt::w(&v.to_term(reason, &self.atoms))
                    );
                }
                (reason, Err(e))
            }
        };
        self.release_spawned(pid);
        // The processes waiting for it can act now (on a process gone).
        deferred.retain(|d| matches!(d, Deferred::Waiter(_)));
        self.apply_deferred(pid, deferred);
        self.exit_signals(&mut p, reason);
        crate::vm::natives::resource::process_exited(pid);
        self.stats.dead_reductions += p.total_reductions + u64::from(p.reductions);
        if Some(pid) == self.root {
            // Its own crash, not the system's stop, ends the run.
            self.root_crashed = result.is_err() && self.halted.is_none();
            self.last_heap = Some(p);
            self.ended = Some(result);
        }
        if self.halted.is_some() || self.ended.is_some() && !self.stop_system() {
            self.stopped = true;
        }
    }
}

impl<'w> Worker<'w, Sched> {
    /// The scheduler loop: runs processes until the run ends.
    pub(crate) fn run(&mut self) {
        let sched = self.sched;
        let mut vm = sched.lock(self.id);
        while !vm.stopped {
            if self.id >= vm.schedulers_online {
                // Offline. The work it leaves queued (the process whose
                // slice it just ended, say) is for an idle scheduler that
                // is online: wake one, or it may sleep on with work queued.
                if vm.idle > 0 && vm.queued() > 0 {
                    sched.wake.notify_one();
                }
                // No one signals a scheduler coming back online, so it
                // looks again now and then.
                vm = sched
                    .offline
                    .wait_timeout(vm, std::time::Duration::from_millis(10))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                vm.current = self.id;
                continue;
            }
            if !vm.timers.is_empty() {
                vm.fire_timers(Instant::now());
            }
            if vm.ports.has_events() {
                vm.port_events();
            }
            if signals::arrived_any() {
                vm.os_signals();
                if vm.stopped {
                    continue;
                }
            }
            let Some(pid) = vm.next_runnable(self.id) else {
                // Nothing to run here: wait for the earliest timer, for
                // another scheduler's slice to make work, or (neither
                // possible) stop: no process can run again.
                let others_run = !vm.running.is_empty();
                // A reader thread wakes this one when input arrives (or a
                // signal the program handles); the bound covers a wake-up
                // that came between looking at the inbox and falling
                // asleep (the readers do not take the VM's lock).
                let ports_bound = (vm.ports.live_readers() || signals::awaited())
                    .then(|| Instant::now() + std::time::Duration::from_millis(5));
                let mut deadline = match (vm.timers.next_deadline(), ports_bound) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                // The run's own deadline bounds a wait that has an end
                // (a run where nothing can happen again ends at once).
                if let Some(end) = vm.deadline
                    && (deadline.is_some() || others_run)
                {
                    if Instant::now() >= end {
                        vm.charge(0);
                        continue;
                    }
                    deadline = Some(deadline.map_or(end, |d| d.min(end)));
                }
                match deadline {
                    Some(deadline) => {
                        let now = Instant::now();
                        if deadline > now {
                            vm.idle += 1;
                            vm = sched
                                .wake
                                .wait_timeout(vm, deadline - now)
                                .unwrap_or_else(|e| e.into_inner())
                                .0;
                            vm.idle -= 1;
                            vm.current = self.id;
                        }
                    }
                    None if others_run => {
                        vm.idle += 1;
                        vm = sched.wake.wait(vm).unwrap_or_else(|e| e.into_inner());
                        vm.idle -= 1;
                        vm.current = self.id;
                    }
                    None => vm.stopped = true,
                }
                continue;
            };
            let Some(p) = vm.procs.remove(&pid) else {
                continue;
            };
            vm = self.slice(vm, p);
            // Wake an idle scheduler when there is more work than this one
            // takes next, or when the run is over.
            if vm.idle > 0 && (vm.stopped || vm.queued() > 1) {
                sched.wake.notify_one();
            }
        }
        drop(vm);
        sched.wake.notify_all();
        sched.offline.notify_all();
    }

    /// Lets the group leader finish what it was given (output and error
    /// reports) before the VM stops, as erl's I/O is flushed at halt.
    pub(crate) fn drain_group_leader(&mut self) {
        let mut vm = self.sched.lock(self.id);
        // Bounded: a group leader never needs more than a few slices.
        for _ in 0..1000 {
            let Some(gl) = vm.group_leader_pid() else {
                return;
            };
            if !vm.run_queues.iter().any(|q| q.contains(gl)) {
                return;
            }
            vm.unready(gl);
            let Some(g) = vm.procs.remove(&gl) else {
                return;
            };
            vm = self.slice(vm, g);
        }
    }

    /// Runs one slice of `p` (just taken out of the table) with the lock
    /// released, and hands its end back to the VM; returns the lock.
    fn slice(&mut self, mut vm: MutexGuard<'w, Vm>, mut p: Box<Proc>) -> MutexGuard<'w, Vm> {
        vm.running.insert(p.pid, Vec::new());
        self.sync(&vm);
        drop(vm);
        let outcome = self.run_slice(&mut p);
        let spent = u64::from(p.reductions);
        let mut vm = self.sched.lock(self.id);
        vm.finish(p, outcome);
        vm.charge(spent);
        vm
    }
}
