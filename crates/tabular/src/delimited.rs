//! CSV: dialect detection, the analysing pass and the loading pass.
//!
//! Both passes use the `csv` crate's `ByteRecord`, reused from row to row, so a
//! row costs no allocation; values are typed straight from their bytes and only
//! text cells are decoded into a `String`.

use std::io::{Chain, Cursor, Read};

use csv::ByteRecord;

use crate::encoding::{Detector, EncodingProblem, decode_into};
use crate::infer::Infer;
use crate::value::{classify, date_to_timestamp, parse_bool, parse_date, parse_int_in, parse_num_in, parse_timestamp};
use crate::{
    Batch, BatchSource, Cell, Column, ColumnType, Dialect, Encoding, ErrorKind, ImportError, Options, Progress, Schema, Source,
    build_columns, unparseable,
};

/// How much of the file is read ahead to detect the delimiter.
const SAMPLE_BYTES: usize = 64 * 1024;
/// How many records of that sample are compared.
const SAMPLE_RECORDS: usize = 50;
/// Progress is reported every this many rows in the first pass.
const PROGRESS_EVERY: u64 = 16 * 1024;
const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];

type Input<R> = Chain<Cursor<Vec<u8>>, R>;

/// The start of the file, read ahead, with a byte order mark removed.
struct Opened<R> {
    input: Input<R>,
    sample_end: usize,
    complete: bool,
    bom: bool,
}

impl<R: Read> Opened<R> {
    fn open(mut input: R) -> Result<Self, ImportError> {
        let mut sample = Vec::with_capacity(SAMPLE_BYTES);
        (&mut input).take(SAMPLE_BYTES as u64).read_to_end(&mut sample).map_err(|e| ImportError::io(0, &e))?;
        let complete = sample.len() < SAMPLE_BYTES;
        if sample.starts_with(&[0xFF, 0xFE]) || sample.starts_with(&[0xFE, 0xFF]) {
            return Err(ImportError::new(ErrorKind::Encoding, 1, None, "the file is UTF-16; save it as UTF-8 CSV"));
        }
        let bom = sample.starts_with(&[0xEF, 0xBB, 0xBF]);
        if bom {
            sample.drain(..3);
        }
        let sample_end = sample.len();
        Ok(Opened { input: Cursor::new(sample).chain(input), sample_end, complete, bom })
    }

    fn sample(&self) -> &[u8] {
        &self.input.get_ref().0.get_ref()[..self.sample_end]
    }
}

fn csv_reader<R: Read>(input: R, delimiter: u8) -> csv::Reader<R> {
    // Flexible, so that a ragged row reaches us and is reported with our wording and line.
    csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).buffer_capacity(64 * 1024).from_reader(input)
}

/// Picks the delimiter whose field counts agree best over the first records.
///
/// Parsing (not counting characters) keeps quoted delimiters out of the count. The
/// score prefers, in order: a header of more than one field that every sampled row
/// matches; more rows matching the header; more fields. Ties go to comma, then
/// semicolon, then tab. A file no candidate splits is one column, read with commas.
fn sniff_delimiter(sample: &[u8], complete: bool) -> u8 {
    let mut best = (b',', (false, 0usize, 0usize));
    for d in CANDIDATES {
        let mut reader = csv_reader(sample, d);
        let mut record = ByteRecord::new();
        let mut counts = Vec::new();
        let mut reached_end = false;
        while counts.len() < SAMPLE_RECORDS + 1 {
            match reader.read_byte_record(&mut record) {
                Ok(true) if is_blank(record.as_slice()) => {}
                Ok(true) => counts.push(record.len()),
                Ok(false) => {
                    reached_end = true;
                    break;
                }
                Err(_) => break,
            }
        }
        // The last record of a cut-off sample may be cut off too.
        if (!complete || !reached_end) && counts.len() > 1 {
            counts.pop();
        }
        let Some(&header) = counts.first() else { continue };
        let matching = counts.iter().filter(|&&c| c == header).count();
        let score = (header > 1 && matching == counts.len(), matching, header);
        if header > 1 && score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

fn line_of(record: &ByteRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

fn csv_error(e: &csv::Error) -> ImportError {
    let line = e.position().map_or(0, |p| p.line());
    ImportError::io(line, e)
}

/// Reads the header: skips blank records before it, checks the width, decodes the names.
fn read_header<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut ByteRecord,
    detector: &mut Detector,
    options: &Options,
) -> Result<Vec<String>, ImportError> {
    loop {
        if !reader.read_byte_record(record).map_err(|e| csv_error(&e))? {
            return Err(ImportError::new(ErrorKind::Empty, 0, None, "the file is empty: it needs a header row"));
        }
        let line = line_of(record);
        detector.observe(record.as_slice(), record, line).map_err(|p| encoding_error(p, line, &[]))?;
        if is_blank(record.as_slice()) {
            continue;
        }
        if record.len() > options.max_columns {
            return Err(ImportError::new(
                ErrorKind::TooManyColumns { limit: options.max_columns, found: record.len() },
                line,
                None,
                format!("the header has {} columns; at most {} are allowed", record.len(), options.max_columns),
            ));
        }
        let encoding = detector.encoding();
        return Ok(record
            .iter()
            .map(|f| {
                let mut s = String::new();
                decode_into(f.trim_ascii(), encoding, &mut s);
                s.trim().to_string()
            })
            .collect());
    }
}

/// `names` are the column names (empty while reading the header).
fn encoding_error(p: EncodingProblem, line: u64, names: &[String]) -> ImportError {
    let column = p.field.and_then(|i| names.get(i)).cloned();
    ImportError::new(ErrorKind::Encoding, line, column, p.reason)
}

fn ragged(line: u64, expected: usize, found: usize) -> ImportError {
    ImportError::new(
        ErrorKind::RaggedRow { expected, found },
        line,
        None,
        format!("this row has {found} fields but the header has {expected}; check for a missing or extra delimiter or an unclosed quote"),
    )
}

/// The first pass over a CSV file: see [`analyze_csv_with_progress`].
pub fn analyze_csv<R: Read>(input: R, options: &Options) -> Result<Schema, ImportError> {
    analyze_csv_with_progress(input, options, None, &mut |_| {})
}

/// The first pass over a CSV file: detects the dialect, reads the header, checks every
/// row (field count, encoding) and infers the column types from all values.
///
/// `total_bytes` is the file's size if known, only for [`Progress`]; `on_progress` is
/// called every few thousand rows and once at the end.
pub fn analyze_csv_with_progress<R: Read>(
    input: R,
    options: &Options,
    total_bytes: Option<u64>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Schema, ImportError> {
    let opened = Opened::open(input)?;
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(opened.sample(), opened.complete));
    let bom = opened.bom;
    let bom_len = if bom { 3 } else { 0 };
    let mut detector = Detector::new(options.encoding, bom);
    let mut reader = csv_reader(opened.input, delimiter);
    let mut record = ByteRecord::new();
    let originals = read_header(&mut reader, &mut record, &mut detector, options)?;
    let width = originals.len();
    let mut infers = vec![Infer::new(); width];
    let mut rows = 0u64;
    let mut blank = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(&e)),
        }
        let line = line_of(&record);
        detector.observe(record.as_slice(), &record, line).map_err(|p| encoding_error(p, line, &originals))?;
        if is_blank(record.as_slice()) {
            blank += 1;
            continue;
        }
        if record.len() != width {
            return Err(ragged(line, width, record.len()));
        }
        for (inf, field) in infers.iter_mut().zip(record.iter()) {
            let v = field.trim_ascii();
            if options.is_null(v) {
                continue;
            }
            if inf.is_text() {
                inf.observe_text();
            } else {
                inf.observe(classify(v));
            }
        }
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY) {
            options.check_time(line)?;
            on_progress(Progress { bytes_read: reader.position().byte() + bom_len, total_bytes, rows, total_rows: None });
        }
    }
    on_progress(Progress { bytes_read: reader.position().byte() + bom_len, total_bytes, rows, total_rows: Some(rows) });
    let (columns, header_notes) = build_columns(originals, &infers);
    Ok(Schema {
        columns,
        rows,
        skipped_blank_rows: blank,
        header_notes,
        source: Source::Csv(Dialect { encoding: detector.encoding(), delimiter, bom }),
        options: options.clone(),
    })
}

/// How one column is read in the second pass.
struct Plan {
    ty: ColumnType,
    decimal_comma: bool,
}

/// The second pass over a CSV file: typed rows in batches.
///
/// Made from the [`Schema`] of the first pass (possibly edited) and a fresh reader of
/// the same file. Every row is checked again (encoding, field count) and every value is
/// parsed as its column's type; the first failure is returned as an error and the
/// reader stops.
pub struct CsvReader<R: Read> {
    reader: csv::Reader<Input<R>>,
    record: ByteRecord,
    columns: Vec<Column>,
    names: Vec<String>,
    plans: Vec<Plan>,
    options: Options,
    detector: Detector,
    encoding: Encoding,
    bom_len: u64,
    rows: u64,
    total_rows: u64,
    total_bytes: Option<u64>,
    done: bool,
}

impl<R: Read> CsvReader<R> {
    /// Opens the second pass. `total_bytes` is only for [`Progress`].
    ///
    /// Fails with [`ErrorKind::SchemaMismatch`] if the schema is not a CSV one or the
    /// header differs from the analysed one.
    pub fn new(input: R, schema: &Schema, total_bytes: Option<u64>) -> Result<Self, ImportError> {
        let Source::Csv(dialect) = schema.source else {
            return Err(ImportError::new(ErrorKind::SchemaMismatch, 0, None, "this schema is for a spreadsheet, not a CSV file"));
        };
        let opened = Opened::open(input)?;
        // The encoding is known now: later records are held to it.
        let mut detector = Detector::new(Some(dialect.encoding), opened.bom);
        let mut reader = csv_reader(opened.input, dialect.delimiter);
        let mut record = ByteRecord::new();
        let header = read_header(&mut reader, &mut record, &mut detector, &schema.options)?;
        let same = header.len() == schema.columns.len() && header.iter().zip(&schema.columns).all(|(h, c)| *h == c.original_name);
        if !same {
            return Err(ImportError::new(
                ErrorKind::SchemaMismatch,
                line_of(&record),
                None,
                "the header differs from the analysed file; analyse the file again",
            ));
        }
        Ok(CsvReader {
            reader,
            record,
            plans: schema.columns.iter().map(|c| Plan { ty: c.ty, decimal_comma: c.decimal_comma }).collect(),
            columns: schema.columns.clone(),
            names: schema.columns.iter().map(|c| c.name.clone()).collect(),
            options: schema.options.clone(),
            detector,
            encoding: dialect.encoding,
            bom_len: if opened.bom { 3 } else { 0 },
            rows: 0,
            total_rows: schema.rows,
            total_bytes,
            done: false,
        })
    }

    /// The columns being produced.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// How far the reader has come.
    pub fn progress(&self) -> Progress {
        Progress {
            bytes_read: self.reader.position().byte() + self.bom_len,
            total_bytes: self.total_bytes,
            rows: self.rows,
            total_rows: Some(self.total_rows),
        }
    }

    /// The next at most `max_rows` rows (at least one is asked for even if `max_rows` is 0),
    /// or `None` at the end of the file. After an error it returns `None`.
    pub fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, ImportError> {
        if self.done {
            return Ok(None);
        }
        let max_rows = max_rows.max(1);
        let mut batch = Batch::with_capacity(self.plans.len(), max_rows.min(64 * 1024));
        let result = self.fill(&mut batch, max_rows);
        if result.is_err() {
            self.done = true;
        }
        result?;
        Ok(if batch.is_empty() { None } else { Some(batch) })
    }

    fn fill(&mut self, batch: &mut Batch, max_rows: usize) -> Result<(), ImportError> {
        let width = self.plans.len();
        while batch.len() < max_rows {
            if !self.reader.read_byte_record(&mut self.record).map_err(|e| csv_error(&e))? {
                self.done = true;
                break;
            }
            let line = line_of(&self.record);
            let record = &self.record;
            self.detector.observe(record.as_slice(), record, line).map_err(|p| encoding_error(p, line, &self.names))?;
            if is_blank(record.as_slice()) {
                continue;
            }
            if record.len() != width {
                return Err(ragged(line, width, record.len()));
            }
            for ((field, plan), column) in record.iter().zip(&self.plans).zip(&self.columns) {
                let v = field.trim_ascii();
                let cell = if self.options.is_null(v) {
                    Cell::Null
                } else {
                    convert(v, field, plan, self.encoding, self.options.naive_offset_minutes).ok_or_else(|| {
                        let mut shown = String::new();
                        decode_into(v, self.encoding, &mut shown);
                        unparseable(line, column, &shown)
                    })?
                };
                batch.cells.push(cell);
            }
            batch.lines.push(line);
            self.rows += 1;
            if self.rows.is_multiple_of(PROGRESS_EVERY) {
                self.options.check_time(line)?;
            }
        }
        Ok(())
    }
}

impl<R: Read> BatchSource for CsvReader<R> {
    fn next_batch(&mut self, max_rows: usize) -> Result<Option<Batch>, ImportError> {
        CsvReader::next_batch(self, max_rows)
    }

    fn progress(&self) -> Progress {
        CsvReader::progress(self)
    }
}

/// Parses one trimmed, non-null value `v` (`raw` untrimmed, for text).
#[inline]
fn convert(v: &[u8], raw: &[u8], plan: &Plan, encoding: Encoding, naive_offset_minutes: i32) -> Option<Cell> {
    Some(match plan.ty {
        ColumnType::Integer => Cell::Int(parse_int_in(v, plan.decimal_comma)?),
        ColumnType::Numeric => Cell::Num(parse_num_in(v, plan.decimal_comma)?),
        ColumnType::Date => Cell::Date(parse_date(v)?),
        ColumnType::Timestamp => Cell::Timestamp(
            parse_timestamp(v, naive_offset_minutes).or_else(|| parse_date(v).map(|d| date_to_timestamp(d, naive_offset_minutes)))?,
        ),
        ColumnType::Boolean => Cell::Bool(parse_bool(v)?),
        ColumnType::Text => {
            let mut s = String::with_capacity(raw.len());
            decode_into(raw, encoding, &mut s);
            Cell::Text(s)
        }
    })
}
