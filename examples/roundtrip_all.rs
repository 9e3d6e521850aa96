//! Round-trips every translated module through both formats; for development.
use lam_translate::lam::{binary, text};
fn main() {
    let mut bad = 0;
    for f in std::env::args().skip(1) {
        let m = lam_translate::beam::read_file(std::path::Path::new(&f)).unwrap();
        let t = lam_translate::translate::translate(&m).unwrap();
        let bin = binary::encode(&t.module);
        let back = binary::decode(&bin).unwrap();
        back.validate().unwrap();
        let bin2 = binary::encode(&back);
        let txt = text::print(&back);
        let parsed = match text::parse(&txt) {
            Ok(p) => p,
            Err(e) => {
                bad += 1;
                println!("{f}: parse: {e}");
                continue;
            }
        };
        let bin3 = binary::encode(&parsed);
        let txt2 = text::print(&parsed);
        if bin != bin2 || bin != bin3 || txt != txt2 {
            bad += 1;
            println!(
                "{f}: mismatch bin2={} bin3={} txt={}",
                bin == bin2,
                bin == bin3,
                txt == txt2
            );
        }
    }
    println!("bad {bad}");
}
