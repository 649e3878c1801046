//! The crate's one test binary: inference, CSV and spreadsheet imports.

mod csv;
mod inference;
mod sheets;

use tabular::{Batch, BatchSource, Cell, ImportError};

/// Reads every batch of a second pass, `max_rows` at a time.
pub fn read_all(source: &mut dyn BatchSource, max_rows: usize) -> Result<Vec<Batch>, ImportError> {
    let mut batches = Vec::new();
    while let Some(batch) = source.next_batch(max_rows)? {
        batches.push(batch);
    }
    Ok(batches)
}

/// All rows of all batches, as owned vectors.
pub fn rows(batches: &[Batch]) -> Vec<Vec<Cell>> {
    batches.iter().flat_map(|b| b.rows().map(<[Cell]>::to_vec)).collect()
}

pub fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}
