//! Translates every .beam named on the command line and prints a summary; for development.
fn main() {
    let (mut ok, mut fns, mut full, mut uns) = (0, 0, 0, 0);
    let mut ops = std::collections::BTreeMap::new();
    for f in std::env::args().skip(1) {
        let m = lam_translate::beam::read_file(std::path::Path::new(&f)).unwrap();
        match lam_translate::translate::translate(&m) {
            Ok(t) => {
                ok += 1;
                fns += t.functions;
                full += t.functions_full;
                uns += t.unsupported.len();
                for u in t.unsupported {
                    *ops.entry(u.opcode).or_insert(0) += 1;
                }
            }
            Err(e) => println!("ERROR {f}: {e}"),
        }
    }
    println!("{ok} modules, {fns} functions, {full} full, {uns} unsupported {ops:?}");
}
