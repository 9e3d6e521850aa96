//! Lists the `lam` natives the translator emits over the given .beam files; for development.
fn main() {
    let mut seen = std::collections::BTreeMap::new();
    for f in std::env::args().skip(1) {
        let m = lam_translate::beam::read_file(std::path::Path::new(&f)).unwrap();
        let t = lam_translate::translate::translate(&m).unwrap();
        for i in &t.module.imports {
            if &*t.module.atoms[i.module as usize] == "lam" {
                *seen
                    .entry((t.module.atoms[i.function as usize].to_string(), i.arity))
                    .or_insert(0) += 1;
            }
        }
    }
    for ((f, a), n) in seen {
        println!("lam:{f}/{a} in {n} modules");
    }
}
