//! Prints the LAM assembly of a .beam file (translated) or of a binary
//! .lam file (decoded); for development.
fn main() {
    let f = std::env::args().nth(1).unwrap();
    let m = if f.ends_with(".lam") {
        let bytes = std::fs::read(&f).unwrap();
        lam_translate::lam::binary::decode(&bytes).unwrap()
    } else {
        let m = lam_translate::beam::read_file(std::path::Path::new(&f)).unwrap();
        lam_translate::translate::translate(&m).unwrap().module
    };
    print!("{}", lam_translate::lam::text::print(&m));
}
