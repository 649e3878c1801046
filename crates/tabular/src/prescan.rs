//! Measures a workbook before calamine lays it out. calamine turns each
//! sheet into a dense grid from its first to its last cell, and for XLS and
//! ODS it does so for every sheet as soon as the file is opened; a few
//! kilobytes can declare billions of cells. So the archive's directory, the
//! ODS content's repeat counts and the XLS records are read first, without
//! building anything, and a workbook over the bounds is refused.

use std::io::{Cursor, Read};
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};

use crate::{ErrorKind, ImportError, Options};

/// Refuses a workbook over the bounds before calamine opens it: one that
/// unpacks to more than the options allow (zip-based: XLSX, XLSB, ODS), and
/// one whose sheets would together be laid out over `options.max_cells` when
/// calamine opens it (XLS and ODS, which calamine reads whole at opening;
/// XLSX and XLSB are measured per sheet when one is loaded, [`Area`]).
pub(crate) fn check(bytes: &Arc<[u8]>, options: &Options) -> Result<(), ImportError> {
    let cells = if bytes.starts_with(OLE_SIGNATURE) {
        xls_cells(bytes)
    } else if let Some(mut archive) = zip_of(bytes) {
        check_unpacked_size(&mut archive, bytes.len(), options)?;
        let ods = archive.by_name("mimetype").is_ok_and(|mut f| {
            let mut kind = String::new();
            f.read_to_string(&mut kind).is_ok() && kind.trim() == "application/vnd.oasis.opendocument.spreadsheet"
        });
        match archive.by_name("content.xml") {
            Ok(content) if ods => ods_cells(std::io::BufReader::new(content)),
            _ => None,
        }
    } else {
        None
    };
    let max = options.max_cells;
    match cells {
        Some(n) if n > max => {
            Err(ImportError::new(ErrorKind::TooLarge, 0, None, format!("the workbook's sheets span {n} cells together, more than {max}")))
        }
        _ => Ok(()),
    }
}

/// Refuses an archive whose directory says it unpacks to more than the
/// options allow, before anything is unpacked.
fn check_unpacked_size(archive: &mut zip::ZipArchive<Cursor<Arc<[u8]>>>, size: usize, options: &Options) -> Result<(), ImportError> {
    // The central directory's sizes (files written with data descriptors
    // have them there too, though not in their local headers).
    let mut unpacked = 0u128;
    for i in 0..archive.len() {
        unpacked += archive.by_index_raw(i).map_or(0, |f| u128::from(f.size()));
    }
    let packed = size as u128;
    let ratio_limit = u128::from(crate::MAX_PACKING_RATIO) * packed;
    let too_large = unpacked > u128::from(options.max_unpacked_bytes) || (unpacked > 64 << 20 && unpacked > ratio_limit);
    if too_large {
        let why = format!("the workbook unpacks to {} MB from {} KB: too large to read", unpacked >> 20, packed >> 10);
        return Err(ImportError::new(ErrorKind::TooLarge, 0, None, why));
    }
    Ok(())
}

/// The archive, when the file is one (a broken one is calamine's to
/// report, in its own words).
fn zip_of(bytes: &Arc<[u8]>) -> Option<zip::ZipArchive<Cursor<Arc<[u8]>>>> {
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    zip::ZipArchive::new(Cursor::new(bytes.clone())).ok()
}

/// The box a sheet's cells span, counted as they are read.
#[derive(Default)]
pub(crate) struct Area {
    cells: u64,
    rows: Option<(u64, u64)>,
    cols: Option<(u64, u64)>,
}

impl Area {
    /// Adds the cells from (`row`, `col`) spanning `rows` rows and `cols` columns.
    fn add_block(&mut self, (row, col): (u64, u64), (rows, cols): (u64, u64)) {
        let widen = |span: &mut Option<(u64, u64)>, lo: u64, hi: u64| {
            *span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        };
        self.cells = self.cells.saturating_add(rows.saturating_mul(cols));
        widen(&mut self.rows, row, row.saturating_add(rows.max(1) - 1));
        widen(&mut self.cols, col, col.saturating_add(cols.max(1) - 1));
    }

    /// Adds one cell, refusing as soon as the sheet is over `max`.
    pub(crate) fn add(&mut self, (r, c): (u32, u32), max: u64) -> Result<(), ImportError> {
        self.add_block((u64::from(r), u64::from(c)), (1, 1));
        if self.cells > max { self.check(max) } else { Ok(()) }
    }

    /// The grid's size: rows by columns of the box.
    fn size(&self) -> u64 {
        let span = |s: Option<(u64, u64)>| s.map_or(0, |(lo, hi)| hi - lo + 1);
        span(self.rows).saturating_mul(span(self.cols)).max(self.cells)
    }

    pub(crate) fn check(&self, max: u64) -> Result<(), ImportError> {
        if self.size() > max {
            let span = |s: Option<(u64, u64)>| s.map_or(0, |(lo, hi)| hi - lo + 1);
            let why = format!("the sheet spans {} rows and {} columns, more than {max} cells", span(self.rows), span(self.cols));
            return Err(ImportError::new(ErrorKind::TooLarge, 0, None, why));
        }
        Ok(())
    }
}

/// The cells the tables of an ODS `content.xml` span, each from its first
/// to its last cell with a value, repeats counted; `None` when the XML
/// cannot be read (calamine then says why).
fn ods_cells(content: impl std::io::BufRead) -> Option<u64> {
    let mut reader = quick_xml::Reader::from_reader(content);
    let mut buf = Vec::new();
    let mut total = 0u64;
    let mut table = Area::default();
    // Where the next row and cell start, and the current row's repeat.
    let (mut row, mut col, mut row_repeat) = (0u64, 0u64, 1u64);
    loop {
        let event = reader.read_event_into(&mut buf).ok()?;
        // A cell written as a start tag has content (its text); an empty
        // element has a value only through its attributes.
        let (e, has_content) = match &event {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) => {
                match e.name().as_ref() {
                    "table:table-row" => {
                        row = row.saturating_add(row_repeat);
                    }
                    "table:table" => {
                        total = total.saturating_add(table.size());
                        table = Area::default();
                        row = 0;
                    }
                    _ => {}
                }
                buf.clear();
                continue;
            }
            Event::Eof => return Some(total),
            _ => {
                buf.clear();
                continue;
            }
        };
        match e.name().as_ref() {
            "table:table-row" => {
                row_repeat = repeat(e, "table:number-rows-repeated");
                col = 0;
                if !has_content {
                    row = row.saturating_add(row_repeat);
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let cols = repeat(e, "table:number-columns-repeated");
                let valued = has_content || has_attribute(e, "office:value-type") || has_attribute(e, "table:formula");
                if valued {
                    table.add_block((row, col), (row_repeat, cols));
                }
                col = col.saturating_add(cols);
            }
            _ => {}
        }
        buf.clear();
    }
}

fn repeat(e: &BytesStart<'_>, name: &str) -> u64 {
    e.try_get_attribute(name).ok().flatten().and_then(|a| a.value.trim().parse().ok()).unwrap_or(1).max(1)
}

fn has_attribute(e: &BytesStart<'_>, name: &str) -> bool {
    e.try_get_attribute(name).ok().flatten().is_some()
}

/// An OLE compound file: Excel 97-2003.
const OLE_SIGNATURE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// BIFF record types ([MS-XLS] 2.3).
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const DIMENSIONS: u16 = 0x0200;
const MULRK: u16 = 0x00BD;
/// Records of one cell, whose first four bytes are its row and column:
/// Number, Label, RString, BoolErr, RK, LabelSst, Formula.
const CELLS: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];
/// The BOF's substream type of a worksheet.
const WORKSHEET: u16 = 0x0010;

/// The cells the worksheets of an XLS file span: per sheet the larger of
/// the box its DIMENSIONS record declares (calamine reserves that much) and
/// the box of its cells; `None` when the file is not readable as one
/// (calamine then says why).
fn xls_cells(bytes: &Arc<[u8]>) -> Option<u64> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes.clone())).ok()?;
    let name = ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n))?;
    let mut stream = Vec::new();
    file.open_stream(name).ok()?.read_to_end(&mut stream).ok()?;
    let u16_at = |d: &[u8], i: usize| d.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |d: &[u8], i: usize| d.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let mut total = 0u64;
    let mut sheet: Option<Area> = None;
    let mut declared = 0u64;
    // BOF/EOF pairs nested in a worksheet (an embedded chart) are skipped.
    let mut depth = 0usize;
    let mut rest = &stream[..];
    while rest.len() >= 4 {
        let (typ, len) = (u16_at(rest, 0)?, usize::from(u16_at(rest, 2)?));
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        match (typ, sheet.as_mut()) {
            (BOF, None) if u16_at(data, 2) == Some(WORKSHEET) => {
                sheet = Some(Area::default());
                declared = 0;
            }
            (BOF, Some(_)) => depth += 1,
            (EOF, Some(_)) if depth > 0 => depth -= 1,
            (EOF, Some(area)) => {
                total = total.saturating_add(area.size().max(declared));
                sheet = None;
            }
            (_, Some(_)) if depth > 0 => {}
            (DIMENSIONS, Some(_)) => {
                // Rows first..last+1 and columns first..last+1 (BIFF8: rows as u32).
                let (first, end, cols) = if len >= 14 {
                    (u64::from(u32_at(data, 0)?), u64::from(u32_at(data, 4)?), u64::from(u16_at(data, 10)?))
                } else {
                    (u64::from(u16_at(data, 0)?), u64::from(u16_at(data, 2)?), u64::from(u16_at(data, 6)?))
                };
                // A first row past the end is refused: calamine would count
                // the rows between them backwards, round the u32 range.
                let rows = match end {
                    0 => 1,
                    end if first >= end => u64::MAX,
                    end => end - first,
                };
                declared = rows.saturating_mul(cols.max(1));
            }
            (MULRK, Some(area)) => {
                let (row, first, last) = (u16_at(data, 0)?, u16_at(data, 2)?, u16_at(data, len.checked_sub(2)?)?);
                area.add_block((u64::from(row), u64::from(first)), (1, u64::from(last.saturating_sub(first)) + 1));
            }
            (t, Some(area)) if CELLS.contains(&t) => {
                area.add_block((u64::from(u16_at(data, 0)?), u64::from(u16_at(data, 2)?)), (1, 1));
            }
            _ => {}
        }
    }
    Some(total)
}
