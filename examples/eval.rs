//! Times `Module:Function()` on LAM: `eval DIR MODULE FUNCTION`; for development.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let path = vec![
        std::path::PathBuf::from(&a[1]),
        std::path::PathBuf::from("/usr/lib/erlang/lib"),
    ];
    let t = std::time::Instant::now();
    let r = lam_translate::vm::eval(path, &a[2], &a[3]);
    println!("lam: {r:?} in {} ms", t.elapsed().as_millis());
}
