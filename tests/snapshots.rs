//! Snapshots of the disassembly of our own fixtures, in both formats.

mod common;

use lam_translate::{beam, dis};

fn fixture(name: &str) -> beam::BeamModule {
    beam::read_file(&common::root().join("fixtures").join(name)).expect("fixture reads")
}

#[test]
fn text_disassembly() {
    for name in ["hello", "binaries", "maps_and_records", "exceptions"] {
        let m = fixture(&format!("{name}.beam"));
        insta::assert_snapshot!(format!("text_{name}"), dis::text::disassemble(&m).unwrap());
    }
}

#[test]
fn erlang_disassembly() {
    for name in ["hello", "funs", "processes"] {
        let m = fixture(&format!("{name}.beam"));
        insta::assert_snapshot!(
            format!("erlang_{name}"),
            dis::erlang::disassemble(&m).unwrap()
        );
    }
}

#[test]
fn compressed_beam_reads_like_the_plain_one() {
    let plain = fixture("hello.beam");
    let gz = fixture("hello_compressed.beam");
    assert!(gz.compressed && !plain.compressed);
    assert_eq!(
        dis::erlang::disassemble(&plain).unwrap(),
        dis::erlang::disassemble(&gz).unwrap()
    );
}

#[test]
fn every_chunk_is_read() {
    let m = fixture("maps_and_records.beam");
    assert_eq!(&**m.name(), "maps_and_records");
    assert!(m.lines.as_ref().is_some_and(|l| !l.items.is_empty()));
    assert!(m.attributes.is_some() && m.compile_info.is_some());
    assert!(!m.literals.is_empty() && !m.imports.is_empty() && !m.exports.is_empty());
    // Chunks kept raw still decode on demand.
    for c in &m.other_chunks {
        if [b"Meta", b"Dbgi", b"Docs", b"ExCk"].contains(&&c.id) {
            c.term().unwrap();
        }
    }
    let (file, line) = m.location(1).unwrap();
    assert_eq!(file, "maps_and_records.erl");
    assert!(line > 0);
}
