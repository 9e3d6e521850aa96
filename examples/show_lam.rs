//! Prints the LAM assembly of a .beam file; for development.
fn main() {
    let f = std::env::args().nth(1).unwrap();
    let m = lam_translate::beam::read_file(std::path::Path::new(&f)).unwrap();
    let t = lam_translate::translate::translate(&m).unwrap();
    print!("{}", lam_translate::lam::text::print(&t.module));
}
