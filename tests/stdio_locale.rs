//! Standard output's encoding under two locales: `fixtures/stdio_encoding.erl`
//! runs under real `erl` and under `lam-translate run` (one and two
//! schedulers) with `LANG=C.UTF-8` and with `LC_ALL=C`; the bytes written
//! must be identical. Under OTP 25's `-noshell` the locale decides file
//! name encoding but not the output's, which stays latin1 until
//! `io:setopts/1` changes it: the fixture's first line (the file name
//! encoding) shows that each locale took effect.

mod common;

use std::process::Command;

#[test]
fn stdio_encoding_is_erls_under_each_locale() {
    let dir = common::compile_fixture("stdio_encoding");
    let script = common::root().join("erl/run.escript");
    let limit = std::time::Duration::from_secs(60);
    let mut first_lines = Vec::new();
    for (var, value) in [("LANG", "C.UTF-8"), ("LC_ALL", "C")] {
        let with_locale = |cmd: &mut Command| {
            for k in ["LANG", "LC_ALL", "LC_CTYPE"] {
                cmd.env_remove(k);
            }
            cmd.env(var, value);
        };
        let mut erl = Command::new("escript");
        erl.arg(&script).arg(&dir).arg("stdio_encoding");
        with_locale(&mut erl);
        let erl = common::output_within(&mut erl, limit).expect("erl finishes");
        assert!(erl.status.success(), "erl under {var}={value}: {erl:?}");
        for n in [1, 2] {
            let mut lam = Command::new(env!("CARGO_BIN_EXE_lam-translate"));
            lam.arg("run")
                .arg(format!("--schedulers={n}"))
                .arg(dir.join("stdio_encoding.beam"));
            with_locale(&mut lam);
            let lam = common::output_within(&mut lam, limit).expect("LAM finishes");
            assert_eq!(
                (lam.status.code(), &lam.stdout),
                (erl.status.code(), &erl.stdout),
                "under {var}={value}, {n} schedulers:\n--- erl\n{}--- lam\n{}{}",
                String::from_utf8_lossy(&erl.stdout),
                String::from_utf8_lossy(&lam.stdout),
                String::from_utf8_lossy(&lam.stderr)
            );
        }
        first_lines.push(
            erl.stdout
                .split(|b| *b == b'\n')
                .next()
                .unwrap_or(&[])
                .to_vec(),
        );
    }
    assert_ne!(
        first_lines[0], first_lines[1],
        "the locales made no difference"
    );
}
