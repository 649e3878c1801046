//! Spreadsheets (XLSX, XLS, XLSB, ODS) through `calamine`, mapped to the same typed model.
//!
//! A workbook is a zip (or OLE) archive that needs random access, and calamine
//! materialises a whole sheet anyway, so the file is read into memory once and
//! each pass walks the sheet's cells.

use std::io::{Cursor, Read};
use std::sync::Arc;

use calamine::{Data, ExcelDateTime, Range, Reader, Sheets, open_workbook_auto_from_rs};

use crate::infer::Infer;
use crate::prescan::{self, Area};
use crate::value::{
    F_BOOL_WORD, F_BOOL01, F_DATE, F_INT, F_NUM_CELL, F_TS, classify, date_to_timestamp, parse_bool, parse_date, parse_int_in,
    parse_num_in, parse_timestamp,
};
use crate::{
    Batch, BatchSource, Cell, Column, ColumnType, Date, ErrorKind, ImportError, Options, Progress, Schema, Source, build_columns,
    unparseable,
};

/// `Arc` so that calamine's format probing clones a pointer, not the file.
type Bytes = Cursor<Arc<[u8]>>;

/// The kind of workbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetFormat {
    /// Office Open XML (`.xlsx`, `.xlsm`).
    Xlsx,
    /// Excel 97-2003 (`.xls`).
    Xls,
    /// Excel binary (`.xlsb`).
    Xlsb,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
}

/// Which sheet of a workbook to read.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum SheetSelector {
    /// The first sheet.
    #[default]
    First,
    /// The sheet at this 0-based position.
    Index(usize),
    /// The sheet with this exact name.
    Name(String),
}

/// A workbook read into memory.
pub struct Workbook {
    sheets: Sheets<Bytes>,
    names: Vec<String>,
    size: u64,
    /// The last sheet loaded, so the second pass does not parse the XML again.
    cache: Option<(String, Range<Data>)>,
    /// The bounds the workbook was opened with (cells per sheet).
    max_cells: u64,
}

impl Workbook {
    /// Reads a whole workbook from `input` with the default [`Options`]; the
    /// format is recognised from its content.
    pub fn open<R: Read>(input: R) -> Result<Self, ImportError> {
        Self::open_with(input, &Options::default())
    }

    /// Reads a whole workbook from `input`, refusing one that would unpack
    /// past `options.max_unpacked_bytes` before anything is unpacked.
    pub fn open_with<R: Read>(mut input: R, options: &Options) -> Result<Self, ImportError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(|e| ImportError::io(0, &e))?;
        if bytes.is_empty() {
            return Err(ImportError::new(ErrorKind::Empty, 0, None, "the file is empty"));
        }
        let size = bytes.len() as u64;
        let bytes = Arc::<[u8]>::from(bytes);
        prescan::check(&bytes, options)?;
        let sheets = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
            ImportError::new(ErrorKind::Spreadsheet, 0, None, format!("not a readable XLSX, XLS, XLSB or ODS workbook ({e})"))
        })?;
        let names = sheets.sheet_names();
        Ok(Workbook { sheets, names, size, cache: None, max_cells: options.max_cells })
    }

    /// The kind of workbook.
    pub fn format(&self) -> SheetFormat {
        match self.sheets {
            Sheets::Xls(_) => SheetFormat::Xls,
            Sheets::Xlsx(_) => SheetFormat::Xlsx,
            Sheets::Xlsb(_) => SheetFormat::Xlsb,
            Sheets::Ods(_) => SheetFormat::Ods,
        }
    }

    /// The sheets' names, in workbook order.
    pub fn sheet_names(&self) -> &[String] {
        &self.names
    }

    fn resolve(&self, sheet: &SheetSelector) -> Result<String, ImportError> {
        let found = match sheet {
            SheetSelector::First => self.names.first(),
            SheetSelector::Index(i) => self.names.get(*i),
            SheetSelector::Name(n) => self.names.iter().find(|s| *s == n),
        };
        found.cloned().ok_or_else(|| {
            let which = match sheet {
                SheetSelector::First => "the workbook has no sheets".to_string(),
                SheetSelector::Index(i) => format!("there is no sheet number {} (the workbook has {})", i + 1, self.names.len()),
                SheetSelector::Name(n) => format!("there is no sheet named {n:?}; the sheets are: {}", self.names.join(", ")),
            };
            ImportError::new(ErrorKind::SheetNotFound, 0, None, which)
        })
    }

    fn load(&mut self, name: &str) -> Result<Range<Data>, ImportError> {
        if let Some((cached, range)) = self.cache.take()
            && cached == name
        {
            return Ok(range);
        }
        self.check_area(name)?;
        self.sheets
            .worksheet_range(name)
            .map_err(|e| ImportError::new(ErrorKind::Spreadsheet, 0, None, format!("could not read sheet {name:?} ({e})")))
    }

    /// calamine lays a sheet out as a dense grid from its first to its last
    /// cell: two cells at A1 and XFD1048576 in a 1.5 KB file would take
    /// 17 billion slots. XLSX and XLSB sheets are loaded one at a time, so
    /// each one's used area is measured, cell by cell, before it is loaded.
    fn check_area(&mut self, name: &str) -> Result<(), ImportError> {
        let max = self.max_cells;
        let mut area = Area::default();
        let read_error = |e: String| ImportError::new(ErrorKind::Spreadsheet, 0, None, format!("could not read sheet {name:?} ({e})"));
        match &mut self.sheets {
            Sheets::Xlsx(x) => {
                let mut cells = x.worksheet_cells_reader(name).map_err(|e| read_error(e.to_string()))?;
                while let Some(c) = cells.next_cell().map_err(|e| read_error(e.to_string()))? {
                    area.add(c.get_position(), max)?;
                }
            }
            Sheets::Xlsb(x) => {
                let mut cells = x.worksheet_cells_reader(name).map_err(|e| read_error(e.to_string()))?;
                while let Some(c) = cells.next_cell().map_err(|e| read_error(e.to_string()))? {
                    area.add(c.get_position(), max)?;
                }
            }
            // calamine laid XLS and ODS out when it opened them: measured
            // then, by `prescan::check`.
            Sheets::Xls(_) | Sheets::Ods(_) => return Ok(()),
        }
        area.check(max)
    }

    /// The first pass over one sheet: reads the header (the first row with data) and infers
    /// every column's type from all its cells. [`Options::delimiter`] and
    /// [`Options::encoding`] do not apply.
    pub fn analyze(&mut self, sheet: &SheetSelector, options: &Options) -> Result<Schema, ImportError> {
        let name = self.resolve(sheet)?;
        let range = self.load(&name)?;
        let first_line = u64::from(range.start().map_or(0, |(r, _)| r)) + 1;
        let mut rows_iter = range.rows();
        let Some(header) = rows_iter.next() else {
            return Err(ImportError::new(ErrorKind::Empty, 0, None, format!("sheet {name:?} is empty: it needs a header row")));
        };
        if header.len() > options.max_columns {
            return Err(ImportError::new(
                ErrorKind::TooManyColumns { limit: options.max_columns, found: header.len() },
                first_line,
                None,
                format!("the header has {} columns; at most {} are allowed", header.len(), options.max_columns),
            ));
        }
        let originals: Vec<String> = header.iter().map(|d| text_of(d).map(|s| s.trim().to_string()).unwrap_or_default()).collect();
        let mut infers = vec![Infer::new(); header.len()];
        // calamine has read the whole sheet by now, which may have taken a while.
        options.check_time(first_line)?;
        let mut rows = 0;
        let mut blank = 0;
        for (i, row) in rows_iter.enumerate() {
            if i % 16_384 == 16_383 {
                options.check_time(first_line + i as u64 + 1)?;
            }
            if row.iter().all(|d| is_null(d, options)) {
                blank += 1;
                continue;
            }
            for (inf, d) in infers.iter_mut().zip(row) {
                if let Some(flags) = flags_of(d, options) {
                    inf.observe(flags);
                }
            }
            rows += 1;
        }
        let (columns, header_notes) = build_columns(originals, &infers);
        self.cache = Some((name.clone(), range));
        Ok(Schema { columns, rows, skipped_blank_rows: blank, header_notes, source: Source::Sheet { name }, options: options.clone() })
    }

    /// The second pass over the sheet of `schema` (possibly edited).
    pub fn reader(&mut self, schema: &Schema) -> Result<SheetReader, ImportError> {
        let Source::Sheet { name } = &schema.source else {
            return Err(ImportError::new(ErrorKind::SchemaMismatch, 0, None, "this schema is for a CSV file, not a spreadsheet"));
        };
        let range = self.load(name)?;
        let first_line = u64::from(range.start().map_or(0, |(r, _)| r)) + 1;
        let same = range.rows().next().is_some_and(|h| {
            h.len() == schema.columns.len()
                && h.iter().zip(&schema.columns).all(|(d, c)| text_of(d).unwrap_or_default().trim() == c.original_name)
        });
        if !same {
            return Err(ImportError::new(
                ErrorKind::SchemaMismatch,
                first_line,
                None,
                "the header differs from the analysed sheet; analyse it again",
            ));
        }
        Ok(SheetReader {
            range,
            next: 1,
            first_line,
            columns: schema.columns.clone(),
            options: schema.options.clone(),
            rows: 0,
            total_rows: schema.rows,
            size: self.size,
            done: false,
        })
    }
}

/// The second pass over a sheet: typed rows in batches. See [`crate::CsvReader`].
pub struct SheetReader {
    range: Range<Data>,
    /// Index in the range of the next row (0 is the header).
    next: usize,
    first_line: u64,
    columns: Vec<Column>,
    options: Options,
    rows: u64,
    total_rows: u64,
    size: u64,
    done: bool,
}

impl SheetReader {
    /// The columns being produced.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// How far the reader has come (by rows: the whole file is already in memory).
    pub fn progress(&self) -> Progress {
        Progress { bytes_read: self.size, total_bytes: Some(self.size), rows: self.rows, total_rows: Some(self.total_rows) }
    }

    /// The next at most `max_rows` rows, or `None` at the end. After an error it returns `None`.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, ImportError> {
        if self.done {
            return Ok(None);
        }
        if let Err(e) = self.options.check_time(self.first_line + self.next as u64) {
            self.done = true;
            return Err(e);
        }
        let max_rows = max_rows.max(1);
        let width = self.columns.len();
        let mut batch = Batch::with_capacity(width, max_rows.min(64 * 1024));
        while batch.len() < max_rows {
            let Some(row) = self.range.rows().nth(self.next) else {
                self.done = true;
                break;
            };
            let line = self.first_line + self.next as u64;
            self.next += 1;
            if row.iter().all(|d| is_null(d, &self.options)) {
                continue;
            }
            for (i, column) in self.columns.iter().enumerate() {
                // calamine's rows are as wide as the range; be safe anyway.
                let d = row.get(i).unwrap_or(&Data::Empty);
                let cell = if is_null(d, &self.options) {
                    Cell::Null
                } else {
                    match convert(d, column, &self.options) {
                        Some(c) => c,
                        None => {
                            self.done = true;
                            return Err(unparseable(line, column, &text_of(d).unwrap_or_default()));
                        }
                    }
                };
                batch.cells.push(cell);
            }
            batch.lines.push(line);
            self.rows += 1;
        }
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }
}

impl BatchSource for SheetReader {
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, ImportError> {
        SheetReader::next_batch(self, max_rows)
    }

    fn progress(&self) -> Progress {
        SheetReader::progress(self)
    }
}

fn is_null(d: &Data, options: &Options) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => options.is_null(s.as_bytes().trim_ascii()),
        _ => false,
    }
}

/// A spreadsheet date: a day, or a day and a time (no zone: Excel has none).
enum Instant {
    Day(Date),
    /// Milliseconds since the epoch, as if the wall-clock time were UTC.
    Naive(i64),
}

fn excel_instant(dt: &ExcelDateTime) -> Option<Instant> {
    let serial = dt.as_f64();
    // Durations and bare times of day (serial below 1) are not instants; past 9999-12-31 neither.
    if dt.is_duration() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    // 1900-02-29, Excel's famous non-date, fails here and stays text.
    let date = Date::from_ymd(i32::from(y), u32::from(mo), u32::from(d))?;
    if (h, mi, s, ms) == (0, 0, 0, 0) {
        Some(Instant::Day(date))
    } else {
        let day_ms = ((i64::from(h) * 60 + i64::from(mi)) * 60 + i64::from(s)) * 1000 + i64::from(ms);
        Some(Instant::Naive(date_to_timestamp(date, 0) + day_ms))
    }
}

/// The integer a float holds, if it is whole and fits comfortably in i64.
fn whole(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
}

fn int_flags(i: i64) -> u16 {
    if i == 0 || i == 1 { F_INT | F_BOOL01 } else { F_INT }
}

/// The inference flags of a cell, `None` for NULL.
fn flags_of(d: &Data, options: &Options) -> Option<u16> {
    Some(match d {
        Data::Empty => return None,
        Data::Int(i) => int_flags(*i),
        Data::Float(f) => match whole(*f) {
            Some(i) => int_flags(i),
            None if f.is_finite() => F_NUM_CELL,
            None => 0,
        },
        Data::String(s) | Data::DateTimeIso(s) => {
            let v = s.as_bytes().trim_ascii();
            if options.is_null(v) {
                return None;
            }
            classify(v)
        }
        Data::Bool(_) => F_BOOL_WORD,
        Data::DateTime(dt) => match excel_instant(dt) {
            Some(Instant::Day(_)) => F_DATE,
            Some(Instant::Naive(_)) => F_TS,
            None => 0,
        },
        Data::DurationIso(_) | Data::Error(_) => 0,
    })
}

/// Parses a non-null cell as its column's type.
fn convert(d: &Data, column: &Column, options: &Options) -> Option<Cell> {
    let offset = options.naive_offset_minutes;
    let text = match d {
        Data::String(s) | Data::DateTimeIso(s) => Some(s.as_bytes().trim_ascii()),
        _ => None,
    };
    Some(match column.ty {
        ColumnType::Integer => Cell::Int(match d {
            Data::Int(i) => *i,
            Data::Float(f) => whole(*f)?,
            _ => parse_int_in(text?, column.decimal_comma)?,
        }),
        ColumnType::Numeric => Cell::Num(match d {
            Data::Int(i) => *i as f64,
            Data::Float(f) if f.is_finite() => *f,
            _ => parse_num_in(text?, column.decimal_comma)?,
        }),
        ColumnType::Date => Cell::Date(match d {
            Data::DateTime(dt) => match excel_instant(dt)? {
                Instant::Day(day) => day,
                Instant::Naive(_) => return None,
            },
            _ => parse_date(text?)?,
        }),
        ColumnType::Timestamp => Cell::Timestamp(match d {
            Data::DateTime(dt) => match excel_instant(dt)? {
                Instant::Day(day) => date_to_timestamp(day, offset),
                Instant::Naive(ms) => ms - i64::from(offset) * 60_000,
            },
            _ => {
                let v = text?;
                parse_timestamp(v, offset).or_else(|| parse_date(v).map(|day| date_to_timestamp(day, offset)))?
            }
        }),
        ColumnType::Boolean => Cell::Bool(match d {
            Data::Bool(b) => *b,
            Data::Int(0) => false,
            Data::Int(1) => true,
            Data::Float(f) if *f == 0.0 || *f == 1.0 => *f == 1.0,
            _ => parse_bool(text?)?,
        }),
        ColumnType::Text => Cell::Text(text_of(d)?),
    })
}

/// A cell as text: what a text column stores and what error messages show.
fn text_of(d: &Data) -> Option<String> {
    Some(match d {
        Data::Empty => return None,
        Data::Int(i) => i.to_string(),
        Data::Float(f) => match whole(*f) {
            Some(i) => i.to_string(),
            None => f.to_string(),
        },
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match excel_instant(dt) {
            Some(Instant::Day(day)) => day.to_string(),
            Some(Instant::Naive(ms)) => {
                let day = Date(ms.div_euclid(86_400_000) as i32);
                let secs = ms.rem_euclid(86_400_000) / 1000;
                format!("{day} {:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
            }
            None => {
                // A duration or a time of day: hours may exceed 24 for durations.
                let secs = (dt.as_f64() * 86_400.0).round() as i64;
                format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
            }
        },
        Data::Error(e) => e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_that_are_whole() {
        assert_eq!(whole(12.0), Some(12));
        assert_eq!(whole(12.5), None);
        assert_eq!(whole(f64::NAN), None);
        assert_eq!(whole(1e19), None);
    }
}
