//! Reads uploaded tables (CSV, XLSX, XLS, ODS) into typed columns for the datastore.
//!
//! A pure library: no database, no network, and input only through the
//! [`std::io::Read`] values the caller hands over. An import is two passes:
//!
//! 1. **Analyse** ([`analyze_csv`], [`Workbook::analyze`]) reads the whole
//!    table once, detects the encoding and the delimiter, reads the header,
//!    checks every row's shape and encoding, and infers each column's
//!    [`ColumnType`] from *all* its values. The result is a [`Schema`] that the
//!    publisher may edit ([`Schema::set_type`]).
//! 2. **Load** ([`CsvReader`], [`SheetReader`]) reads the table again and yields
//!    rows of typed [`Cell`]s in [`Batch`]es, with [`Progress`]. The caller
//!    writes every batch inside one database transaction and rolls back on the
//!    first [`ImportError`], so an import is all or nothing.
//!
//! A CSV file is read twice, so the caller opens it twice (it is on disk or in
//! the object store after upload). A spreadsheet is a zip archive that needs
//! random access: [`Workbook::open`] reads it into memory once.
//!
//! Every read is bounded, for files built to hurt: a workbook is measured
//! before calamine lays its sheets out (its zip directory, an ODS's repeat
//! counts, an XLS's records; [`Options::max_cells`],
//! [`Options::max_unpacked_bytes`]), and both passes stop at
//! [`Options::deadline`].
//!
//! ```
//! use tabular::{Cell, ColumnType, CsvReader, Options, analyze_csv};
//!
//! let data = "kecamatan;penduduk;luas_km2\nCibinong;363424;43,36\nBojonggede;287000;28,7\n";
//! let mut schema = analyze_csv(data.as_bytes(), &Options::default())?;
//! assert_eq!(schema.column_types(), [ColumnType::Text, ColumnType::Integer, ColumnType::Numeric]);
//! schema.set_type("penduduk", ColumnType::Numeric)?; // the publisher's edit
//!
//! let mut reader = CsvReader::new(data.as_bytes(), &schema, None)?;
//! while let Some(batch) = reader.next_batch(10_000)? {
//!     for row in batch.rows() {
//!         assert!(matches!(row[2], Cell::Num(_)));
//!     }
//! }
//! assert_eq!(reader.progress().rows, 2);
//! # Ok::<(), tabular::ImportError>(())
//! ```
//!
//! # Inference rules
//!
//! Values are trimmed of ASCII spaces first. An empty value (or one equal to
//! one of [`Options::null_markers`]) is NULL and does not vote. A column with
//! no values at all is text. Otherwise the first rule that every value of the
//! column satisfies wins:
//!
//! 1. **int**: every value is an integer with an optional `+`/`-` that fits in
//!    `i64`, written without a leading zero. `0812...`, `007` and 20-digit
//!    codes stay text: they are identifiers (phone numbers, NIK, kode desa) and
//!    a number would lose their zeros or digits. A column of only `0` and `1`
//!    is an integer column, not a boolean one.
//! 2. **bool**: every value is `true`/`false`, `ya`/`tidak`, `yes`/`no` (any
//!    case) or `1`/`0`, and at least one value is a word. `1`/`0` alone are
//!    numbers (rule 1).
//! 3. **numbers with separators**: every value is a number in one
//!    convention, and the column decides which from all its values.
//!    Indonesian: `.` groups thousands and `,` marks the decimals (`1.200,50`,
//!    `12.345`, `1.234.567`, `2,5`); English: the other way round (`1,200.50`,
//!    `1,234,567`, `2.5`, `1e-3`). One value that fits only one convention
//!    (`1.200,50` or `2,5` prove the Indonesian one; `1,200.50`, `2.5` or
//!    `0.250` the English one) decides for the column; values that fit both
//!    (`1.200` and `1,200`: one to three digits, a mark, exactly three
//!    digits) follow it, and when every value fits both the column is read
//!    the Indonesian way, the region's, and [`Column::ambiguous_thousands`]
//!    says the reading rested on that default. Thousands marks must split
//!    groups of three (`35.22.01` is a code, text). The column is **int** when
//!    no value has a fraction in that reading (`1.200` is 1200), else
//!    **numeric**, and the canonical number is stored. A column whose values
//!    fit no single convention (`1.200,50` beside `1,200.50`, or `2,5` beside
//!    `2.5`) stays **text**: nothing is silently read a thousand times too
//!    big or small. [`Column::decimal_comma`] records the convention for the
//!    second pass. The delimiter does not matter: a quoted `"1.200,50"` in a
//!    comma-separated file is a number (spreadsheets in an Indonesian locale
//!    write such files).
//! 4. (numbers written as spreadsheet number cells fit either convention.)
//! 5. **date**: every value is `YYYY-MM-DD`, `DD/MM/YYYY` or `DD-MM-YYYY` (day
//!    and month may have one digit in the last two), a real calendar date,
//!    forms may mix. Day first always: month-first is never guessed.
//! 6. **timestamp**: every value is ISO 8601 `YYYY-MM-DD` + `T` or space +
//!    `HH:MM[:SS[.fff]]` with an optional `Z` or `±HH[:MM]` zone, or a date
//!    (read as midnight), and at least one has a time. Times without a zone are
//!    at [`Options::naive_offset_minutes`] east of UTC (0 by default; 420 for WIB).
//! 7. **text**: anything else, kept exactly as written (whitespace-only cells are NULL).
//!
//! Spreadsheet cells follow the same rules: numbers that are whole are
//! integers, other numbers are decimals in either convention, booleans are words, date
//! cells are dates (timestamps when they have a time of day), text cells are
//! classified like CSV values, and error cells (`#N/A`), bare times of day and
//! durations are text.
//!
//! When the publisher overrides a type, the second pass parses each value as
//! that type and rejects the file at the first value that does not parse, with
//! its line and column. Parsing is slightly more lenient than inference:
//! integers may have leading zeros, numerics may be long digit strings, and a
//! timestamp column accepts plain dates.

#![warn(missing_docs)]

mod delimited;
mod encoding;
mod error;
mod infer;
mod prescan;
mod sheet;
mod value;

use std::collections::HashSet;
use std::fmt;

use kalender::civil;

pub use delimited::{CsvReader, analyze_csv, analyze_csv_with_progress};
pub use error::{ErrorKind, ImportError};
pub use sheet::{SheetFormat, SheetReader, SheetSelector, Workbook};

/// A column's type, named like the CKAN datastore's types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// 64-bit signed integer (`int`).
    Integer,
    /// 64-bit float (`numeric`).
    Numeric,
    /// Calendar date (`date`).
    Date,
    /// Instant in UTC, millisecond precision (`timestamp`).
    Timestamp,
    /// `bool`.
    Boolean,
    /// `text`.
    Text,
}

impl ColumnType {
    /// All types, in inference precedence order.
    pub const ALL: [ColumnType; 6] =
        [ColumnType::Integer, ColumnType::Boolean, ColumnType::Numeric, ColumnType::Date, ColumnType::Timestamp, ColumnType::Text];

    /// The CKAN datastore type name: `int`, `numeric`, `date`, `timestamp`, `bool`, `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Integer => "int",
            ColumnType::Numeric => "numeric",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Boolean => "bool",
            ColumnType::Text => "text",
        }
    }

    /// The PostgreSQL type name CKAN's `datastore_search` reports for a
    /// column of this type. Integers are stored in 64 bits, so they are
    /// `int8`: a client that recreates the table from these names (a
    /// harvester, `ckanapi`) then gets a column that holds every value;
    /// decimals are `numeric`, which holds every 64-bit float exactly.
    pub fn ckan_name(self) -> &'static str {
        match self {
            ColumnType::Integer => "int8",
            ColumnType::Numeric => "numeric",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Boolean => "bool",
            ColumnType::Text => "text",
        }
    }

    /// The inverse of [`ColumnType::as_str`]; also accepts the names CKAN's
    /// datastore reports and `datastore_create` takes (`int2`, `int4`,
    /// `int8`, `float4`, `float8`, `timestamptz`, `boolean`, ...).
    pub fn from_name(name: &str) -> Option<ColumnType> {
        Some(match name {
            "int" | "integer" | "int2" | "int4" | "int8" | "smallint" | "bigint" => ColumnType::Integer,
            "numeric" | "float4" | "float8" | "float" | "real" | "double precision" => ColumnType::Numeric,
            "date" => ColumnType::Date,
            "timestamp" | "timestamptz" => ColumnType::Timestamp,
            "bool" | "boolean" => ColumnType::Boolean,
            "text" => ColumnType::Text,
            _ => return None,
        })
    }

    /// What a value of this type looks like, for error messages.
    fn expectation(self) -> &'static str {
        match self {
            ColumnType::Integer => "an integer",
            ColumnType::Numeric => "a number",
            ColumnType::Date => "a date (YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY)",
            ColumnType::Timestamp => "an ISO 8601 timestamp (YYYY-MM-DDTHH:MM:SS with an optional zone)",
            ColumnType::Boolean => "a boolean (true/false, ya/tidak, yes/no, 1/0)",
            ColumnType::Text => "text",
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar date, as days since 1970-01-01 (proleptic Gregorian), years 1 to 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// The date, if it exists (and the year is 1 to 9999).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        let (Ok(month), Ok(day)) = (u8::try_from(month), u8::try_from(day)) else { return None };
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 || day > civil::days_in_month(year.into(), month) {
            return None;
        }
        // Years 1 to 9999 keep the day count well inside an i32.
        Some(Date(civil::days_from_civil(year.into(), month, day) as i32))
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i32, u32, u32) {
        let (year, month, day) = civil::civil_from_days(self.0.into());
        (year as i32, month.into(), day.into())
    }
}

impl fmt::Display for Date {
    /// ISO 8601: `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// One typed value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// An empty cell.
    Null,
    /// An `int` value.
    Int(i64),
    /// A `numeric` value (always finite).
    Num(f64),
    /// A `date` value.
    Date(Date),
    /// A `timestamp` value: milliseconds since 1970-01-01T00:00:00Z.
    Timestamp(i64),
    /// A `bool` value.
    Bool(bool),
    /// A `text` value, exactly as written.
    Text(String),
}

/// The character encoding of a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark (also every pure ASCII file).
    Utf8,
    /// Windows-1252 (a superset of the printable Latin-1), what Excel on Windows writes.
    Windows1252,
}

/// Settings of an import. `Default` detects everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// CSV only: the field delimiter; `None` detects comma, semicolon or tab.
    pub delimiter: Option<u8>,
    /// CSV only: the encoding; `None` detects UTF-8 or Windows-1252.
    pub encoding: Option<Encoding>,
    /// Headers wider than this are rejected ([`ErrorKind::TooManyColumns`]). Default 1000
    /// (PostgreSQL allows 1600 columns per table, and the datastore adds its own).
    pub max_columns: usize,
    /// Trimmed values that mean NULL besides the empty string, compared byte for byte (so keep
    /// them ASCII, which reads the same in both encodings), e.g. `["-", "NA"]`
    /// for statistics tables that write a dash for "no data". Empty by default: nothing is dropped
    /// unless the publisher says so.
    pub null_markers: Vec<String>,
    /// Minutes east of UTC for timestamps written without a zone (420 for WIB, 480 WITA, 540 WIT).
    pub naive_offset_minutes: i32,
    /// Spreadsheets only: a sheet whose used area (the box from its first to
    /// its last cell, empty cells included) is larger is refused before it
    /// is laid out in memory ([`ErrorKind::TooLarge`]). Default 16 million
    /// cells (1.6 million rows of ten columns).
    pub max_cells: u64,
    /// Spreadsheets only: a workbook whose files unpack to more than this, or
    /// to more than [`MAX_PACKING_RATIO`] times its own size when over
    /// 64 MiB, is refused before anything is unpacked. Default 1 GiB.
    pub max_unpacked_bytes: u64,
    /// When reading must have ended: past it, both passes stop with
    /// [`ErrorKind::TooSlow`] at the next check (every few thousand rows).
    /// `None` (the default): no limit.
    pub deadline: Option<std::time::Instant>,
}

/// How many times its own size a workbook over 64 MiB unpacked may unpack
/// to: real sheets pack 5 to 20 times; a 600 KB file of 200 MB of XML is a
/// bomb.
pub const MAX_PACKING_RATIO: u64 = 50;

impl Default for Options {
    fn default() -> Self {
        Options {
            delimiter: None,
            encoding: None,
            max_columns: 1000,
            null_markers: Vec::new(),
            naive_offset_minutes: 0,
            max_cells: 16_000_000,
            max_unpacked_bytes: 1 << 30,
            deadline: None,
        }
    }
}

impl Options {
    /// Refuses to go on past [`Options::deadline`]; `line` is where reading is.
    pub(crate) fn check_time(&self, line: u64) -> Result<(), ImportError> {
        match self.deadline {
            Some(deadline) if std::time::Instant::now() > deadline => {
                Err(ImportError::new(ErrorKind::TooSlow, line, None, "reading the file took longer than the time allowed for it"))
            }
            _ => Ok(()),
        }
    }

    fn is_null(&self, trimmed: &[u8]) -> bool {
        trimmed.is_empty() || self.null_markers.iter().any(|m| m.as_bytes() == trimmed)
    }
}

/// How a CSV file was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// The encoding.
    pub encoding: Encoding,
    /// The field delimiter: `b','`, `b';'` or `b'\t'` when detected.
    pub delimiter: u8,
    /// Whether the file starts with a UTF-8 byte order mark (skipped).
    pub bom: bool,
}

/// Where a schema's table comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A CSV file read with this dialect.
    Csv(Dialect),
    /// A sheet of a workbook.
    Sheet {
        /// The sheet's name.
        name: String,
    },
}

/// One column of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The unique name: the trimmed header, or a made-up one (see [`Schema::header_notes`]).
    pub name: String,
    /// The trimmed header as written in the file.
    pub original_name: String,
    /// The type the second pass will produce: inferred, or set by the publisher.
    pub ty: ColumnType,
    /// The type inference chose.
    pub inferred: ColumnType,
    /// Numbers in this column are written the Indonesian way (`1.200,50`:
    /// `.` thousands, `,` decimals); else the English way. Used when `ty` is
    /// int or numeric.
    pub decimal_comma: bool,
    /// Every separated number fits both conventions (`1.250`: 1.25 or 1250?);
    /// the column was read the Indonesian way by default.
    pub ambiguous_thousands: bool,
    /// Values that are not NULL.
    pub non_null: u64,
}

/// Why a header name was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderIssue {
    /// The header cell was empty: named `column_N` (N is the 1-based position).
    Empty,
    /// The name was already used by an earlier column: a suffix `_2`, `_3`, ... was added.
    Duplicate,
}

/// A header name that was made up or changed to keep names unique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderNote {
    /// 0-based column position.
    pub index: usize,
    /// The trimmed name in the file.
    pub original: String,
    /// The name given.
    pub name: String,
    /// Why.
    pub issue: HeaderIssue,
}

/// The result of the first pass, editable before the second.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The columns, in file order.
    pub columns: Vec<Column>,
    /// Data rows (the header and skipped blank rows are not counted).
    pub rows: u64,
    /// Rows where every cell was empty; they are skipped, not loaded.
    pub skipped_blank_rows: u64,
    /// Header names that were made up or changed.
    pub header_notes: Vec<HeaderNote>,
    /// Where the table comes from.
    pub source: Source,
    options: Options,
}

impl Schema {
    /// Sets when the second pass must have ended ([`Options::deadline`]):
    /// a load started later than the analysis gets its own time.
    pub fn set_deadline(&mut self, deadline: Option<std::time::Instant>) {
        self.options.deadline = deadline;
    }

    /// Each column's current type.
    pub fn column_types(&self) -> Vec<ColumnType> {
        self.columns.iter().map(|c| c.ty).collect()
    }

    /// The options the table was analysed with (used again by the second pass).
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The publisher's edit: the second pass will read column `name` (its unique name) as `ty`.
    pub fn set_type(&mut self, name: &str, ty: ColumnType) -> Result<(), ImportError> {
        let column = self.columns.iter_mut().find(|c| c.name == name).ok_or_else(|| {
            ImportError::new(ErrorKind::UnknownColumn, 0, Some(name.to_string()), format!("there is no column named {name:?}"))
        })?;
        column.ty = ty;
        Ok(())
    }
}

/// How far an import has come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Input bytes consumed so far (CSV), or the workbook's size once loaded (spreadsheets).
    pub bytes_read: u64,
    /// The input's size, when the caller knows it.
    pub total_bytes: Option<u64>,
    /// Data rows read so far.
    pub rows: u64,
    /// The number of data rows, when known (spreadsheets; CSV in the second pass).
    pub total_rows: Option<u64>,
}

impl Progress {
    /// Done fraction from 0.0 to 1.0, when a total is known.
    pub fn fraction(&self) -> Option<f64> {
        let f = match (self.total_rows, self.total_bytes) {
            (Some(t), _) if t > 0 => self.rows as f64 / t as f64,
            (_, Some(t)) if t > 0 => self.bytes_read as f64 / t as f64,
            (Some(_), _) | (_, Some(_)) => 1.0,
            (None, None) => return None,
        };
        Some(f.clamp(0.0, 1.0))
    }
}

/// Rows of typed cells, stored flat (one allocation per batch, not per row).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    width: usize,
    cells: Vec<Cell>,
    lines: Vec<u64>,
}

impl Batch {
    fn with_capacity(width: usize, rows: usize) -> Self {
        // Capped: a wide table with a large `max_rows` grows the vector as needed instead of
        // reserving gigabytes up front.
        let cells = width.saturating_mul(rows).min(1 << 20);
        Batch { width, cells: Vec::with_capacity(cells), lines: Vec::with_capacity(rows.min(1 << 16)) }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True if there are no rows.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Cells per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The rows, each a slice of `width` cells.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[Cell]> + '_ {
        // `max(1)` because `chunks(0)` panics; a table always has at least one column anyway.
        self.cells.chunks(self.width.max(1))
    }

    /// Row `i` of this batch.
    pub fn row(&self, i: usize) -> Option<&[Cell]> {
        self.cells.get(i.checked_mul(self.width)?..i.checked_add(1)?.checked_mul(self.width)?)
    }

    /// The file line (or sheet row) where row `i` starts, for the caller's own error messages.
    pub fn line(&self, i: usize) -> Option<u64> {
        self.lines.get(i).copied()
    }

    /// All cells, row after row.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// All cells, row after row, by value.
    pub fn into_cells(self) -> Vec<Cell> {
        self.cells
    }
}

/// What both second-pass readers offer, so the datastore can load either the same way.
pub trait BatchSource {
    /// The next at most `max_rows` rows (at least one), or `None` at the end. After an error, `None`.
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, ImportError>;
    /// How far the reader has come.
    fn progress(&self) -> Progress;
}

/// Trimmed header names made unique; see [`HeaderIssue`].
fn unique_names(originals: &[String]) -> (Vec<String>, Vec<HeaderNote>) {
    let taken_in_file: HashSet<&str> = originals.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
    let mut assigned: HashSet<String> = HashSet::new();
    let mut names = Vec::with_capacity(originals.len());
    let mut notes = Vec::new();
    for (index, original) in originals.iter().enumerate() {
        if !original.is_empty() && !assigned.contains(original) {
            assigned.insert(original.clone());
            names.push(original.clone());
            continue;
        }
        let (base, issue) = if original.is_empty() {
            (format!("column_{}", index + 1), HeaderIssue::Empty)
        } else {
            (original.clone(), HeaderIssue::Duplicate)
        };
        let free = |n: &str| !taken_in_file.contains(n) && !assigned.contains(n);
        let mut name = base.clone();
        let mut k = 2;
        while !(issue == HeaderIssue::Empty && k == 2 && free(&name)) {
            name = format!("{base}_{k}");
            if free(&name) {
                break;
            }
            k += 1;
        }
        assigned.insert(name.clone());
        notes.push(HeaderNote { index, original: original.clone(), name: name.clone(), issue });
        names.push(name);
    }
    (names, notes)
}

/// Builds the columns from the header and the finished inference.
fn build_columns(originals: Vec<String>, infers: &[infer::Infer]) -> (Vec<Column>, Vec<HeaderNote>) {
    let (names, notes) = unique_names(&originals);
    let columns = originals
        .into_iter()
        .zip(names)
        .zip(infers)
        .map(|((original_name, name), inf)| {
            let d = inf.decide();
            Column {
                name,
                original_name,
                ty: d.ty,
                inferred: d.ty,
                decimal_comma: d.decimal_comma,
                ambiguous_thousands: d.ambiguous_thousands,
                non_null: inf.non_null,
            }
        })
        .collect();
    (columns, notes)
}

/// The reason text of an unparseable value.
fn unparseable(line: u64, column: &Column, shown: &str) -> ImportError {
    let mut reason = format!("expected {} but found {}", column.ty.expectation(), error::show_value(shown));
    if column.ty == ColumnType::Numeric || (column.ty == ColumnType::Integer && column.decimal_comma) {
        reason.push_str(if column.decimal_comma {
            " (this column uses a decimal comma and a point between thousands)"
        } else {
            " (this column uses a decimal point and a comma between thousands)"
        });
    }
    ImportError::new(ErrorKind::Unparseable { expected: column.ty }, line, Some(column.name.clone()), reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_unique() {
        let originals: Vec<String> = ["a", "", "a", "a_2", "column_2"].iter().map(|s| s.to_string()).collect();
        let (names, notes) = unique_names(&originals);
        assert_eq!(names, ["a", "column_2_2", "a_3", "a_2", "column_2"]);
        assert_eq!(notes.len(), 2);
    }
}
