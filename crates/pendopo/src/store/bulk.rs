//! Many rows in few statements: `INSERT INTO t (c) VALUES (..), (..)`,
//! for imports and demo loads that write thousands of rows in one
//! transaction (a statement per row made a 50,000-line import slow).

use super::{StoreError, Tx, Value, sql_built};

/// Parameters per statement. Far below both engines' limits, and small on
/// purpose: SQLite finds each `$N` parameter's name by walking a list, so
/// binding one statement costs the square of its parameters (a statement of
/// 1,000 rows x 16 values made a 50,000-line import spend 93 % of its 17 s
/// in `sqlite3_bind_parameter_name`).
const PARAMS_PER_STATEMENT: usize = 400;

/// Inserts rows of equal width into `table_and_columns` (`t (a, b)`), as
/// many rows a statement as [`PARAMS_PER_STATEMENT`] allows, in `tx`.
pub async fn insert_rows(tx: &mut Tx, table_and_columns: &str, rows: impl IntoIterator<Item = Vec<Value>>) -> Result<(), StoreError> {
    insert_rows_on_conflict(tx, table_and_columns, rows, "").await.map(|_| ())
}

/// [`insert_rows`] with a clause after the rows (`ON CONFLICT (a) DO UPDATE
/// SET b = excluded.b`, `ON CONFLICT DO NOTHING`): upserts in bulk. Answers
/// how many rows were written (for `DO NOTHING`: how many were new).
pub async fn insert_rows_on_conflict(
    tx: &mut Tx,
    table_and_columns: &str,
    rows: impl IntoIterator<Item = Vec<Value>>,
    on_conflict: &str,
) -> Result<u64, StoreError> {
    let mut written = 0;
    let rows: Vec<Vec<Value>> = rows.into_iter().collect();
    let width = rows.first().map_or(1, Vec::len).max(1);
    for chunk in rows.chunks((PARAMS_PER_STATEMENT / width).max(1)) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", (1..=width).map(|c| format!("${}", r * width + c)).collect::<Vec<_>>().join(",")))
            .collect();
        let text = format!("INSERT INTO {table_and_columns} VALUES {} {on_conflict}", marks.join(","));
        written += tx.execute(sql_built(text).bind_all(chunk.iter().flatten().cloned())).await?;
    }
    Ok(written)
}
