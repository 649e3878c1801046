//! The one error type of an import.

use std::fmt;

use crate::ColumnType;

/// What went wrong, as a stable value the web layer can translate.
///
/// [`ErrorKind::code`] gives a snake_case code that never changes once released.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the input failed.
    Io,
    /// The file has no header row.
    Empty,
    /// Bytes that are neither UTF-8 nor Windows-1252, a NUL byte, UTF-16, or a file mixing encodings.
    Encoding,
    /// A row has a different number of fields than the header.
    RaggedRow {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A value that does not parse as its column's type.
    Unparseable {
        /// The column's type.
        expected: ColumnType,
    },
    /// More columns than [`crate::Options::max_columns`].
    TooManyColumns {
        /// The configured limit.
        limit: usize,
        /// Columns in the header.
        found: usize,
    },
    /// The spreadsheet could not be opened or read (XLSX, XLS, XLSB, ODS).
    Spreadsheet,
    /// A workbook larger than [`crate::Options::max_cells`] or
    /// [`crate::Options::max_unpacked_bytes`] allow.
    TooLarge,
    /// The chosen sheet does not exist.
    SheetNotFound,
    /// The file read in the second pass is not the one analysed, or the schema was edited inconsistently.
    SchemaMismatch,
    /// A type override names a column that does not exist.
    UnknownColumn,
    /// Reading went past [`crate::Options::deadline`].
    TooSlow,
}

impl ErrorKind {
    /// A stable snake_case code for translations and API clients.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Empty => "empty",
            ErrorKind::Encoding => "encoding",
            ErrorKind::RaggedRow { .. } => "ragged_row",
            ErrorKind::Unparseable { .. } => "unparseable",
            ErrorKind::TooManyColumns { .. } => "too_many_columns",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Spreadsheet => "spreadsheet",
            ErrorKind::SheetNotFound => "sheet_not_found",
            ErrorKind::SchemaMismatch => "schema_mismatch",
            ErrorKind::UnknownColumn => "unknown_column",
            ErrorKind::TooSlow => "too_slow",
        }
    }
}

/// Why an import was rejected, and where.
///
/// `line` is the 1-based line of the file where the offending record starts (the header is
/// line 1; for spreadsheets it is the sheet's row number), or 0 when the error is not about a
/// line. `column` is the (made unique) header name when the error is about one cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based line (or sheet row) of the record; 0 if not about a line.
    pub line: u64,
    /// The column's header name, when the error is about one cell.
    pub column: Option<String>,
    /// The stable kind.
    pub kind: ErrorKind,
    /// A clear English sentence for logs and for API clients without translations.
    pub reason: String,
}

impl ImportError {
    pub(crate) fn new(kind: ErrorKind, line: u64, column: Option<String>, reason: impl Into<String>) -> Self {
        ImportError { line, column, kind, reason: reason.into() }
    }

    /// A read failure (e.g. the caller could not open the file) at a line (0: before any).
    pub fn io(line: u64, err: &dyn fmt::Display) -> Self {
        ImportError::new(ErrorKind::Io, line, None, format!("could not read the file: {err}"))
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.column) {
            (0, None) => write!(f, "{}", self.reason),
            (0, Some(c)) => write!(f, "column {c:?}: {}", self.reason),
            (l, None) => write!(f, "line {l}: {}", self.reason),
            (l, Some(c)) => write!(f, "line {l}, column {c:?}: {}", self.reason),
        }
    }
}

impl std::error::Error for ImportError {}

/// Shows a value in an error message: quoted, and cut short so a huge cell cannot flood a page.
pub(crate) fn show_value(v: &str) -> String {
    const MAX: usize = 60;
    if v.chars().count() <= MAX {
        format!("{v:?}")
    } else {
        let cut: String = v.chars().take(MAX).collect();
        format!("{cut:?}...")
    }
}
