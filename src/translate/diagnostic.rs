//! Unsupported constructs as miette diagnostics, with the source line shown
//! when the Erlang (or Elixir) source file can be found.

use std::fmt;
use std::path::{Path, PathBuf};

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};

use crate::term::Term;
use crate::translate::Unsupported;

/// An unsupported construct, ready to print.
#[derive(Debug)]
pub struct UnsupportedDiagnostic {
    /// What was not translated.
    pub unsupported: Unsupported,
    /// The `.beam` file.
    pub beam: PathBuf,
    source: Option<(NamedSource<String>, SourceSpan)>,
}

impl UnsupportedDiagnostic {
    /// Builds the diagnostic, looking for the source file next to the beam,
    /// in `../src`, at the path the compile info records, and as given.
    pub fn new(unsupported: Unsupported, beam: &Path, compile_info: Option<&Term>) -> Self {
        let source = unsupported
            .file
            .as_deref()
            .zip(unsupported.line)
            .and_then(|(file, line)| {
                let path = find_source(beam, file, compile_info)?;
                let text = std::fs::read_to_string(&path).ok()?;
                let span = line_span(&text, line)?;
                Some((NamedSource::new(path.display().to_string(), text), span))
            });
        UnsupportedDiagnostic {
            unsupported,
            beam: beam.to_path_buf(),
            source,
        }
    }
}

/// The byte span of line `line` (1-based) in `text`.
fn line_span(text: &str, line: u32) -> Option<SourceSpan> {
    let mut start = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line as usize {
            let trimmed = l.trim_end_matches(['\n', '\r']);
            let indent = trimmed.len() - trimmed.trim_start().len();
            return Some(SourceSpan::new(
                (start + indent).into(),
                trimmed.len() - indent,
            ));
        }
        start += l.len();
    }
    None
}

fn compile_source(ci: Option<&Term>) -> Option<PathBuf> {
    let Some(Term::List(items, _)) = ci else {
        return None;
    };
    items.iter().find_map(|i| match i {
        Term::Tuple(kv) if kv.len() == 2 && kv[0].as_atom() == Some("source") => {
            let Term::List(chars, _) = &kv[1] else {
                return None;
            };
            let s: Option<String> = chars
                .iter()
                .map(|c| match c {
                    Term::Int(c) => char::from_u32(*c as u32),
                    _ => None,
                })
                .collect();
            s.map(PathBuf::from)
        }
        _ => None,
    })
}

fn find_source(beam: &Path, file: &str, ci: Option<&Term>) -> Option<PathBuf> {
    let dir = beam.parent().unwrap_or(Path::new("."));
    let name = Path::new(file);
    let mut candidates = vec![dir.join(name), dir.join("../src").join(name.file_name()?)];
    if let Some(src) = compile_source(ci)
        && src.file_name() == name.file_name()
    {
        candidates.push(src);
    }
    candidates.push(name.to_path_buf());
    candidates.into_iter().find(|p| p.is_file())
}

impl fmt::Display for UnsupportedDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.unsupported;
        write!(
            f,
            "{}: {}:{}/{}: unsupported BEAM instruction `{}`",
            self.beam.display(),
            u.module,
            u.function,
            u.arity,
            u.opcode
        )?;
        match (&u.file, u.line) {
            (Some(file), Some(line)) => write!(f, " at {file}:{line}")?,
            _ => write!(f, " at offset 0x{:x}", u.offset)?,
        }
        write!(f, " ({})", u.reason)
    }
}

impl std::error::Error for UnsupportedDiagnostic {}

impl Diagnostic for UnsupportedDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("lam::unsupported_instruction"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "the rest of {}/{} still translates; reaching this instruction raises error {{unsupported,{}}} at run time (--deny-unsupported makes this fatal)",
            self.unsupported.function, self.unsupported.arity, self.unsupported.opcode
        )))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|(s, _)| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, span) = self.source.as_ref()?;
        let label = format!("`{}` comes from here", self.unsupported.opcode);
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label),
            *span,
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_skip_indentation() {
        let text = "a\n  bc\nd";
        let s = line_span(text, 2).unwrap();
        assert_eq!((s.offset(), s.len()), (4, 2));
        assert!(line_span(text, 9).is_none());
    }
}
