//! CSV import and export of holiday lists: `tanggal,nama,jenis`.
//!
//! The dialect is RFC 4180 with some leniency for files saved by spreadsheets:
//! a UTF-8 byte order mark is skipped, lines may end in `\r\n`, blank lines
//! are ignored, and spaces around an unquoted field are trimmed. A quoted
//! field is taken verbatim (commas, doubled quotes `""` and line breaks
//! included). Import is all or nothing: the first bad line fails the whole file.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::str::Chars;

use crate::{DateError, Holiday, HolidayKind};

/// The accepted headers, matched ignoring ASCII case.
const HEADERS: [[&str; 3]; 2] = [["tanggal", "nama", "jenis"], ["date", "name", "kind"]];

/// A column of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// `tanggal` / `date`, the first column.
    Date,
    /// `nama` / `name`, the second column.
    Name,
    /// `jenis` / `kind`, the third column.
    Kind,
}

impl Column {
    fn from_index(index: usize) -> Option<Column> {
        [Column::Date, Column::Name, Column::Kind].get(index).copied()
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Column::Date => "date",
            Column::Name => "name",
            Column::Kind => "kind",
        })
    }
}

/// What is wrong at the place a [`CsvError`] points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CsvReason {
    /// The file has no lines (besides blank ones).
    MissingHeader,
    /// The first line is neither `tanggal,nama,jenis` nor `date,name,kind`.
    BadHeader,
    /// The line does not have exactly three fields.
    FieldCount { found: usize },
    /// A quoted field is never closed.
    UnterminatedQuote,
    /// A quote inside an unquoted field, or text after a closing quote.
    MisplacedQuote,
    /// The `tanggal` is not a valid `YYYY-MM-DD` date.
    InvalidDate(DateError),
    /// The `nama` is empty or only spaces.
    EmptyName,
    /// The `jenis` is not `libur_nasional`, `cuti_bersama` or `libur_daerah`.
    UnknownKind,
    /// The same date and kind already appear on `first_line`.
    Duplicate { first_line: usize },
}

impl CsvReason {
    /// A stable name of the reason, for callers that word the message in another language.
    pub fn code(self) -> &'static str {
        match self {
            CsvReason::MissingHeader => "missing_header",
            CsvReason::BadHeader => "bad_header",
            CsvReason::FieldCount { .. } => "field_count",
            CsvReason::UnterminatedQuote => "unterminated_quote",
            CsvReason::MisplacedQuote => "misplaced_quote",
            CsvReason::InvalidDate(_) => "invalid_date",
            CsvReason::EmptyName => "empty_name",
            CsvReason::UnknownKind => "unknown_kind",
            CsvReason::Duplicate { .. } => "duplicate",
        }
    }
}

impl fmt::Display for CsvReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvReason::MissingHeader => f.write_str("the file is empty; expected the header tanggal,nama,jenis"),
            CsvReason::BadHeader => f.write_str("expected the header tanggal,nama,jenis or date,name,kind"),
            CsvReason::FieldCount { found } => write!(f, "expected 3 fields, found {found}"),
            CsvReason::UnterminatedQuote => f.write_str("quoted field is not closed"),
            CsvReason::MisplacedQuote => f.write_str("quote inside an unquoted field or text after a closing quote"),
            CsvReason::InvalidDate(e) => write!(f, "invalid date: {e}"),
            CsvReason::EmptyName => f.write_str("empty name"),
            CsvReason::UnknownKind => f.write_str("kind is not libur_nasional, cuti_bersama or libur_daerah"),
            CsvReason::Duplicate { first_line } => write!(f, "same date and kind as line {first_line}"),
        }
    }
}

/// Why a holiday file was refused: where (1-based physical line, counting the
/// header as line 1; the column when one is to blame) and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CsvError {
    pub line: usize,
    pub column: Option<Column>,
    pub reason: CsvReason,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for CsvError {}

/// Reads a holiday list. A file with only the header is an empty list.
pub fn parse_csv(text: &str) -> Result<Vec<Holiday>, CsvError> {
    let mut records = Records { chars: text.strip_prefix('\u{feff}').unwrap_or(text).chars(), line: 1 };
    let header = records.next().unwrap_or(Err(CsvError { line: 1, column: None, reason: CsvReason::MissingHeader }))?;
    let header_ok = HEADERS.iter().any(|expected| {
        header.fields.len() == 3 && header.fields.iter().zip(expected).all(|(found, name)| found.eq_ignore_ascii_case(name))
    });
    if !header_ok {
        return Err(CsvError { line: header.line, column: None, reason: CsvReason::BadHeader });
    }
    let mut first_lines = HashMap::new();
    records
        .map(|record| {
            let record = record?;
            let line = record.line;
            let holiday = holiday(record)?;
            match first_lines.entry((holiday.date, holiday.kind)) {
                Entry::Occupied(first) => {
                    Err(CsvError { line, column: Some(Column::Date), reason: CsvReason::Duplicate { first_line: *first.get() } })
                }
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    Ok(holiday)
                }
            }
        })
        .collect()
}

/// Writes a holiday list in the form [`parse_csv`] reads, in the given order,
/// with the Indonesian header and `\n` line ends. Names are quoted when they
/// need it, so any list `parse_csv` produced comes back unchanged.
pub fn write_csv<'a>(holidays: impl IntoIterator<Item = &'a Holiday>) -> String {
    let mut out = String::from("tanggal,nama,jenis\n");
    for holiday in holidays {
        out.push_str(&holiday.date.to_string());
        out.push(',');
        // Quote what the reader would otherwise split on, or trim.
        let name = &holiday.name;
        if name.contains([',', '"', '\n', '\r']) || name.trim() != name {
            out.push('"');
            out.push_str(&name.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(name);
        }
        out.push(',');
        out.push_str(holiday.kind.code());
        out.push('\n');
    }
    out
}

/// One non-blank record: the line it starts on and its fields.
struct Record {
    line: usize,
    fields: Vec<String>,
}

fn holiday(record: Record) -> Result<Holiday, CsvError> {
    let line = record.line;
    let at = |column, reason| CsvError { line, column: Some(column), reason };
    let found = record.fields.len();
    let Ok([date, name, kind]) = <[String; 3]>::try_from(record.fields) else {
        return Err(CsvError { line, column: None, reason: CsvReason::FieldCount { found } });
    };
    let date = date.parse().map_err(|e| at(Column::Date, CsvReason::InvalidDate(e)))?;
    if name.trim().is_empty() {
        return Err(at(Column::Name, CsvReason::EmptyName));
    }
    let kind = HolidayKind::from_code(&kind).ok_or_else(|| at(Column::Kind, CsvReason::UnknownKind))?;
    Ok(Holiday { date, name, kind })
}

/// Splits the text into records lazily, so errors come out in file order.
struct Records<'a> {
    chars: Chars<'a>,
    /// The current physical line, 1-based.
    line: usize,
}

impl Iterator for Records<'_> {
    type Item = Result<Record, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.chars.as_str().is_empty() {
            match self.record() {
                Ok(None) => continue,
                other => return other.transpose(),
            }
        }
        None
    }
}

impl Records<'_> {
    /// Reads one record up to and including its line end; `None` for a blank line.
    fn record(&mut self) -> Result<Option<Record>, CsvError> {
        let line = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        loop {
            let c = self.chars.next();
            match c {
                Some('"') if !quoted && field.trim().is_empty() => {
                    field = self.quoted(fields.len())?;
                    quoted = true;
                }
                Some(',' | '\n') | None => {
                    if fields.is_empty() && !quoted && field.trim().is_empty() && c != Some(',') {
                        self.line += 1;
                        return Ok(None);
                    }
                    fields.push(if quoted { std::mem::take(&mut field) } else { field.trim().to_owned() });
                    field.clear();
                    quoted = false;
                    if c != Some(',') {
                        self.line += 1;
                        return Ok(Some(Record { line, fields }));
                    }
                }
                // Whitespace after a closing quote, including the `\r` of `\r\n`.
                Some(c) if quoted && c.is_whitespace() => {}
                Some(c) if quoted || c == '"' => {
                    return Err(CsvError { line: self.line, column: Column::from_index(fields.len()), reason: CsvReason::MisplacedQuote });
                }
                Some(c) => field.push(c),
            }
        }
    }

    /// Reads a quoted field after its opening quote, through the closing one.
    fn quoted(&mut self, index: usize) -> Result<String, CsvError> {
        let opened = self.line;
        let mut field = String::new();
        loop {
            match self.chars.next() {
                None => return Err(CsvError { line: opened, column: Column::from_index(index), reason: CsvReason::UnterminatedQuote }),
                Some('"') if self.chars.as_str().starts_with('"') => {
                    self.chars.next();
                    field.push('"');
                }
                Some('"') => return Ok(field),
                Some(c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    field.push(c);
                }
            }
        }
    }
}
