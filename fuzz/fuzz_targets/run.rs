//! Mutated `.lam` modules that pass the validator and the verifier are
//! run: the verifier's contract is that such a module never panics or
//! corrupts the VM. Each run has a budget of 20,000 reductions and 20
//! milliseconds, on one scheduler, so a module that loops forever ends
//! too. The budget is small because the seeds are whole test programs:
//! at 200,000 reductions and two seconds, mutants that sleep or loop held
//! the rate under 2,000 runs a second. A memory budget of 64 MiB bounds
//! what one native may copy within those reductions: a term of shared
//! subterms (`X1 = {X0, X0}`, twenty times) is small on the heap and
//! huge once a send flattens it, and copies check no deadline.
#![no_main]

use std::time::{Duration, Instant};

use lam_translate::vm::Vm;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = lam_translate::lam::binary::decode(data) else {
        return;
    };
    if m.validate().is_err() || lam_translate::lam::verify::verify(&m).is_err() {
        return;
    }
    // The exported functions of arity 0 are the entry points a run has.
    let entries: Vec<String> = m
        .functions
        .iter()
        .filter(|f| f.exported && f.arity == 0)
        .filter_map(|f| m.atoms.get(f.name as usize).map(|a| a.to_string()))
        .take(4)
        .collect();
    let name = m.name().to_string();
    for entry in entries {
        let mut vm = Vm::new(Vec::new());
        vm.schedulers = 1;
        vm.max_reductions = Some(20_000);
        vm.deadline = Some(Instant::now() + Duration::from_millis(20));
        vm.memory.set_limit(Some(64 << 20));
        vm.add(m.clone());
        let (module, function) = (vm.atoms.intern(&name), vm.atoms.intern(&entry));
        let _ = vm.run_main(module, function, &[]);
    }
});
