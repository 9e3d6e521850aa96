//! Runs `Module:main()` with OTP on the code path, streaming output; for development.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let path = vec![
        std::path::PathBuf::from(&a[1]),
        std::path::PathBuf::from("/usr/lib/erlang/lib"),
    ];
    let mut vm = lam_translate::vm::Vm::new(path);
    vm.stream_stdout = true;
    let (m, f) = (
        vm.atoms.intern(&a[2]),
        vm.atoms.intern(a.get(3).map_or("main", |s| s)),
    );
    let r = vm.run_main(m, f, &[]);
    if let Err(e) = r {
        let root = vm.last_heap.take().unwrap_or_default();
        let view = lam_translate::vm::View {
            heap: &root.heap,
            literals: &vm.literals,
        };
        eprintln!(
            "exception {}:{} {}",
            vm.atoms.name(e.class),
            lam_translate::erlfmt::w(&view.to_term(e.reason, &vm.atoms)),
            lam_translate::erlfmt::w(&view.to_term(e.trace, &vm.atoms))
        );
    }
}
