//! Assembles a .lasm text file into a binary .lam file (validated, not
//! verified, so that a regression input can be anything the fuzzer could
//! write); for development.
fn main() {
    let mut args = std::env::args().skip(1);
    let (from, to) = (args.next().unwrap(), args.next().unwrap());
    let text = std::fs::read_to_string(&from).unwrap();
    let m = lam_translate::lam::text::parse(&text).unwrap();
    m.validate().unwrap();
    std::fs::write(&to, lam_translate::lam::binary::encode(&m)).unwrap();
}
