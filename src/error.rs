//! One error type for every stage: it always carries a place.
//!
//! Reading a `.beam` can fail in many ways, but a user only needs to know
//! where: which file, which chunk, which byte. Errors are boxed so that
//! `Result<T>` stays one word on the happy path, and constructors are `#[cold]`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A four-byte chunk identifier such as `Code` or `AtU8`.
pub type ChunkId = [u8; 4];

/// What went wrong, broadly: lets callers (and tests) tell truncation from corruption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended before a value it announced.
    Truncated,
    /// The bytes are present but do not form a valid value.
    Invalid,
    /// A value that is valid but not supported by this reader.
    Unsupported,
    /// An operating-system error while reading or writing a file.
    Io,
}

/// An error with the place it happened.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: String,
    file: Option<PathBuf>,
    chunk: Option<ChunkId>,
    offset: Option<usize>,
    context: Option<String>,
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error at a byte offset (absolute within the file being read).
    #[cold]
    pub fn at(offset: usize, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            file: None,
            chunk: None,
            offset: Some(offset),
            context: None,
        }))
    }

    /// An error with no byte position (for example, a failed `open`).
    #[cold]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            file: None,
            chunk: None,
            offset: None,
            context: None,
        }))
    }

    /// An I/O error on `path`.
    #[cold]
    pub fn io(path: &Path, err: &std::io::Error) -> Error {
        Error::new(ErrorKind::Io, err.to_string()).in_file(path)
    }

    /// Names the file, unless an inner layer already did.
    pub fn in_file(mut self, path: &Path) -> Error {
        if self.0.file.is_none() {
            self.0.file = Some(path.to_path_buf());
        }
        self
    }

    /// Names the chunk, unless an inner layer already did.
    pub fn in_chunk(mut self, chunk: ChunkId) -> Error {
        if self.0.chunk.is_none() {
            self.0.chunk = Some(chunk);
        }
        self
    }

    /// Adds what was being done (for example `function foo/2`), innermost first.
    pub fn context(mut self, what: impl Into<String>) -> Error {
        let what = what.into();
        self.0.context = Some(match self.0.context.take() {
            Some(inner) => format!("{what}: {inner}"),
            None => what,
        });
        self
    }

    /// The broad class of the error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message without the place.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The absolute byte offset, when known.
    pub fn offset(&self) -> Option<usize> {
        self.0.offset
    }

    /// The chunk, when known.
    pub fn chunk(&self) -> Option<ChunkId> {
        self.0.chunk
    }

    /// The file, when known.
    pub fn file(&self) -> Option<&Path> {
        self.0.file.as_deref()
    }
}

/// Shows a chunk id as text when it is printable, else as escaped bytes.
pub fn chunk_name(id: &ChunkId) -> String {
    if id.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        String::from_utf8_lossy(id).into_owned()
    } else {
        id.iter().map(|b| format!("\\x{b:02x}")).collect()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        let mut sep = "";
        if let Some(file) = &i.file {
            write!(f, "{}", file.display())?;
            sep = ": ";
        }
        if let Some(chunk) = &i.chunk {
            write!(f, "{sep}chunk {}", chunk_name(chunk))?;
            sep = " ";
        }
        if let Some(off) = i.offset {
            write!(f, "{sep}at 0x{off:x}")?;
        }
        if i.file.is_some() || i.chunk.is_some() || i.offset.is_some() {
            write!(f, ": ")?;
        }
        if let Some(ctx) = &i.context {
            write!(f, "{ctx}: ")?;
        }
        write!(f, "{}", i.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

impl miette::Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = match self.0.kind {
            ErrorKind::Truncated => "lam::truncated",
            ErrorKind::Invalid => "lam::invalid",
            ErrorKind::Unsupported => "lam::unsupported",
            ErrorKind::Io => "lam::io",
        };
        Some(Box::new(code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help = match self.0.kind {
            ErrorKind::Truncated => "the file ends early: was it copied or written completely?",
            ErrorKind::Invalid => "the file is not a well-formed BEAM module",
            ErrorKind::Unsupported => "the file uses something this version does not support",
            ErrorKind::Io => return None,
        };
        Some(Box::new(help))
    }
}

/// Returns early with an error at an offset: `bail!(offset, kind, "format", args...)`.
#[macro_export]
macro_rules! bail {
    ($at:expr, $kind:ident, $($fmt:tt)+) => {
        return Err($crate::error::Error::at($at, $crate::error::ErrorKind::$kind, format!($($fmt)+)))
    };
}
