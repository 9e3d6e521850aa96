//! Reads every .beam file named on the command line, sequentially; for profiling the reader.
fn main() {
    let mut n = 0;
    for _ in 0..3 {
        for f in std::env::args().skip(1) {
            n += lam_translate::beam::read_file(std::path::Path::new(&f))
                .unwrap()
                .code
                .instrs
                .len();
        }
    }
    println!("{n}");
}
