//! erl's command-line flags for `lam-translate run`: the ones OTP's `init`
//! and application controller read (`-config File`, `-App Key Value`),
//! from `run`'s options and from the environment variables erlexec reads
//! (`ERL_AFLAGS`, `ERL_FLAGS`, `ERL_ZFLAGS`). LAM passes them to OTP's
//! real `init:boot/1` (`docs/vm.md`, "Boot"), so their meaning is OTP's own.

use std::path::PathBuf;

/// What the flags ask of a run.
#[derive(Debug, Default, PartialEq)]
pub struct Flags {
    /// Flags for `init`, in order, each flag followed by its values.
    pub init: Vec<String>,
    /// `-pa` directories (before the program's code path).
    pub pa: Vec<PathBuf>,
    /// `-pz` directories (after it).
    pub pz: Vec<PathBuf>,
    /// Flags LAM does not honour, for a warning.
    pub ignored: Vec<String>,
}

/// Flags that erlexec or LAM itself decides (the boot, the node, what runs):
/// given in a flags variable, they are left out with a warning rather than
/// passed on to contradict LAM's own.
const LAM_DECIDES: &[&str] = &[
    "-root",
    "-bindir",
    "-progname",
    "-home",
    "-boot",
    "-mode",
    "-name",
    "-sname",
    "-setcookie",
    "-detached",
    "-args_file",
    "-env",
    "-extra",
    "-s",
    "-run",
    "-eval",
    "-S",
    "-shell",
];

/// Splits a flags variable into words as erlexec does: blanks separate
/// words; single or double quotes group up to the same quote with nothing
/// special inside; outside quotes a backslash takes the next character as
/// it is.
pub fn split(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' | '"' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    w.push(q);
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.next());
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

impl Flags {
    /// Adds erl flags given as words (`["-config", "sys", "-myapp", "k",
    /// "v"]`). A flag takes the words after it up to the next word that
    /// starts with `-` or `+`, as `init` groups them. Emulator flags (`+S
    /// 2`) have no meaning on LAM and are skipped with their values.
    pub fn add(&mut self, words: &[String]) {
        let mut i = 0;
        while i < words.len() {
            let flag = &words[i];
            let end = words[i + 1..]
                .iter()
                .position(|w| w.starts_with('-') || w.starts_with('+'))
                .map_or(words.len(), |n| i + 1 + n);
            let values = &words[i + 1..end];
            if flag == "-pa" {
                self.pa.extend(values.iter().map(PathBuf::from));
            } else if flag == "-pz" {
                self.pz.extend(values.iter().map(PathBuf::from));
            } else if !flag.starts_with('-') || LAM_DECIDES.contains(&flag.as_str()) {
                self.ignored.push(flag.clone());
            } else if !matches!(flag.as_str(), "-noshell" | "-noinput" | "-nouser") {
                // (Those three LAM's boot passes already.)
                self.init.push(flag.clone());
                self.init.extend(values.iter().cloned());
            }
            i = end;
        }
    }

    /// Adds the flags of an erlexec environment variable, if set.
    pub fn add_env(&mut self, var: &str) {
        if let Some(text) = std::env::var_os(var) {
            self.add(&split(&text.to_string_lossy()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn splits_as_erlexec_does() {
        // Checked against erl 25: init:get_argument(a) of
        // ERL_FLAGS="-a 'x y' \"p q\" a\ b 'it''s' \"x\\\"y\" -b c".
        assert_eq!(
            split(r#"-a 'x y' "p q" a\ b 'it''s' "x\"y" -b c"#),
            words(&["-a", "x y", "p q", "a b", "its", "x\\y -b c"])
        );
        assert_eq!(split("  "), Vec::<String>::new());
        assert_eq!(split("''"), words(&[""]));
    }

    #[test]
    fn groups_flags_and_keeps_init_flags() {
        let mut f = Flags::default();
        f.add(&words(&[
            "+S", "2", "-config", "a", "b", "-pa", "d1", "d2", "-myapp", "k", "[1]", "-noshell",
            "-s", "m", "f", "-pz", "z",
        ]));
        assert_eq!(f.init, words(&["-config", "a", "b", "-myapp", "k", "[1]"]));
        assert_eq!(f.pa, vec![PathBuf::from("d1"), PathBuf::from("d2")]);
        assert_eq!(f.pz, vec![PathBuf::from("z")]);
        assert_eq!(f.ignored, words(&["+S", "-s"]));
    }
}
