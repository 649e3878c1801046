//! A Siskeudes-style export (CSV or XLSX/XLS/ODS) read through `tabular`
//! into the rows of text cells `anggaran::apbdes::import_rows` reads: every
//! column as text (codes such as `4.2.1` and amounts such as `1.250.000`
//! stay as written), each row at its line in the file, blank rows kept as
//! empty ones so the problems name the lines the operator sees.

use std::io::Cursor;

use tabular::{Cell, ColumnType, ImportError, Options};

/// The rows of the first sheet, or of the CSV; the first is the file's
/// first line (titles above the table's header included).
pub fn rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    let options = Options::default();
    let as_text = |schema: &mut tabular::Schema| -> Result<(), ImportError> {
        let names: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
        for name in names {
            schema.set_type(&name, ColumnType::Text)?;
        }
        Ok(())
    };
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut put = |line: u64, cells: &[Cell]| {
        let at = (line as usize).saturating_sub(1);
        if out.len() <= at {
            out.resize(at + 1, Vec::new());
        }
        out[at] = cells.iter().map(text).collect();
    };
    // A zip (XLSX, ODS) or an OLE file (XLS) is a workbook; anything else is CSV.
    let workbook = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if workbook {
        let mut book = tabular::Workbook::open_with(Cursor::new(bytes), &options)?;
        let mut schema = book.analyze(&tabular::SheetSelector::First, &options)?;
        as_text(&mut schema)?;
        put(1, &schema.columns.iter().map(|c| Cell::Text(c.original_name.clone())).collect::<Vec<_>>());
        let mut reader = book.reader(&schema)?;
        while let Some(batch) = reader.next_batch(1000)? {
            for (i, row) in batch.rows().enumerate() {
                put(batch.line(i).unwrap_or(0), row);
            }
        }
    } else {
        let mut schema = tabular::analyze_csv(Cursor::new(bytes), &options)?;
        as_text(&mut schema)?;
        put(1, &schema.columns.iter().map(|c| Cell::Text(c.original_name.clone())).collect::<Vec<_>>());
        let mut reader = tabular::CsvReader::new(Cursor::new(bytes), &schema, None)?;
        while let Some(batch) = reader.next_batch(1000)? {
            for (i, row) in batch.rows().enumerate() {
                put(batch.line(i).unwrap_or(0), row);
            }
        }
    }
    Ok(out)
}

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Num(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => {
            let (y, m, dd) = d.ymd();
            format!("{y:04}-{m:02}-{dd:02}")
        }
        Cell::Timestamp(ms) => ms.to_string(),
    }
}
