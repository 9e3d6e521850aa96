//! OS signals, as erl takes them: `os:set_signal/2` sets what the process
//! does on one of the signals erl lets a program handle, and a handled
//! signal becomes the message `{notify, Signal}` to `erl_signal_server`
//! (the runtime sends it between slices, `runtime/boot.rs`).
//!
//! The platform layer owns the OS side (natively the crate `signal-hook`,
//! as the crate forbids `unsafe`; WASI has no signals): its handler only
//! writes to a pipe, and a thread of its reads the signals from it and calls
//! [`arrived`], which sets a bit per handled signal and wakes a sleeping
//! scheduler; the schedulers look at the bits between slices. Once a signal
//! has been given a handler it keeps it: `ignore` then drops what arrives
//! and `default` does what the OS would have (`emulate_default_handler`).
//! A signal never set keeps the OS's disposition. Dispositions belong to
//! the OS process, so this state does too (tests that run several VMs in
//! one process share it, as they share the OS's).

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use crate::vm::platform::{self, SignalWatch, signal as sig};

/// The signals `os:set_signal/2` takes, by name (OTP 25's list).
pub(crate) const SIGNALS: [(&str, i32); 10] = [
    ("sighup", sig::SIGHUP),
    ("sigquit", sig::SIGQUIT),
    ("sigabrt", sig::SIGABRT),
    ("sigalrm", sig::SIGALRM),
    ("sigterm", sig::SIGTERM),
    ("sigusr1", sig::SIGUSR1),
    ("sigusr2", sig::SIGUSR2),
    ("sigchld", sig::SIGCHLD),
    ("sigstop", sig::SIGSTOP),
    ("sigtstp", sig::SIGTSTP),
];

/// What `os:set_signal/2` sets.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Disposition {
    Handle = 1,
    Ignore = 2,
    Default = 3,
}

/// Each signal's disposition, by index of [`SIGNALS`] (0: never set, the
/// OS's).
static DISPOSITION: [AtomicU8; 10] = [const { AtomicU8::new(0) }; 10];
/// Handled signals that arrived and were not yet taken, one bit per index.
static PENDING: AtomicU32 = AtomicU32::new(0);
/// Whether anything arrived since the scheduler last looked.
static ARRIVED: AtomicBool = AtomicBool::new(false);
/// Signals the program asked to handle itself (SIGTERM's handling at start
/// is not counted): while there are any, a VM with nothing to run waits
/// for one instead of ending.
static ASKED: AtomicU32 = AtomicU32::new(0);
/// The sleeping schedulers' condition variable, while a run goes on.
static WAKER: Mutex<Option<Arc<Condvar>>> = Mutex::new(None);

/// The watcher thread's handle, to give it more signals; started with
/// erl's own disposition at start, SIGTERM handled (it stops the system).
fn watcher() -> Option<&'static SignalWatch> {
    static WATCH: OnceLock<Option<SignalWatch>> = OnceLock::new();
    WATCH
        .get_or_init(|| {
            let watch = SignalWatch::start(sig::SIGTERM, arrived)?;
            DISPOSITION[index_of(sig::SIGTERM)?]
                .store(Disposition::Handle as u8, Ordering::Release);
            Some(watch)
        })
        .as_ref()
}

fn index_of(s: i32) -> Option<usize> {
    SIGNALS.iter().position(|&(_, x)| x == s)
}

/// A signal that came, on the watcher thread.
fn arrived(s: i32) {
    let Some(i) = index_of(s) else { return };
    match DISPOSITION[i].load(Ordering::Acquire) {
        x if x == Disposition::Handle as u8 => {
            PENDING.fetch_or(1 << i, Ordering::AcqRel);
            ARRIVED.store(true, Ordering::Release);
            if let Some(w) = &*WAKER.lock().unwrap_or_else(|e| e.into_inner()) {
                w.notify_all();
            }
        }
        x if x == Disposition::Default as u8 => {
            platform::default_action(s);
        }
        _ => {}
    }
}

/// Sets what the process does on signal `name` (one of [`SIGNALS`]). A
/// signal the OS lets no one catch (SIGSTOP) keeps its disposition, and
/// erl answers `ok` all the same.
pub(crate) fn set(name: &str, d: Disposition) {
    let Some(i) = SIGNALS.iter().position(|&(n, _)| n == name) else {
        return;
    };
    let Some(handle) = watcher() else { return };
    let fresh = DISPOSITION[i].load(Ordering::Acquire) == 0;
    if fresh && d == Disposition::Default {
        return;
    }
    if fresh && !handle.add(SIGNALS[i].1) {
        return;
    }
    DISPOSITION[i].store(d as u8, Ordering::Release);
    if d == Disposition::Handle {
        ASKED.fetch_or(1 << i, Ordering::AcqRel);
    } else {
        ASKED.fetch_and(!(1 << i), Ordering::AcqRel);
    }
}

/// Installs erl's dispositions at start (once per OS process, so that what
/// a program set stays set for a next run in the same process).
pub(crate) fn install_defaults() {
    watcher();
}

/// Whether a handled signal may have arrived since the last [`take`].
pub(crate) fn arrived_any() -> bool {
    ARRIVED.load(Ordering::Acquire)
}

/// The names of the handled signals that arrived, in [`SIGNALS`]' order.
pub(crate) fn take() -> Vec<&'static str> {
    ARRIVED.store(false, Ordering::Release);
    let bits = PENDING.swap(0, Ordering::AcqRel);
    SIGNALS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, &(n, _))| n)
        .collect()
}

/// Whether the program handles a signal itself, so that one may still come
/// to a VM with nothing to run.
pub(crate) fn awaited() -> bool {
    ASKED.load(Ordering::Acquire) != 0
}

/// Lets the watcher wake the schedulers sleeping on `c`.
pub(crate) fn set_waker(c: Option<Arc<Condvar>>) {
    *WAKER.lock().unwrap_or_else(|e| e.into_inner()) = c;
}
