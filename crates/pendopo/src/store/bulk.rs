//! Many rows in few statements: `INSERT INTO t (c) VALUES (..), (..)`,
//! for imports and demo loads that write thousands of rows in one
//! transaction (a statement per row made a 50,000-line import slow).

use super::{Engine, StoreError, Tx, Value, sql_built};

/// Parameters per statement on PostgreSQL: far below its limit (65,535).
const PARAMS_PER_STATEMENT: usize = 400;

/// Parameters per statement on SQLite, whose statements here are written
/// with anonymous `?` parameters. With numbered ones (`$N`) SQLite finds
/// each parameter's name by walking a list, so binding one statement costs
/// the square of its parameters (a statement of 1,000 rows x 16 values made
/// a 50,000-line import spend 93 % of its 17 s in
/// `sqlite3_bind_parameter_name`); anonymous ones have no name to look up,
/// so statements can be larger (fewer statements: each one is a hand-off to
/// sqlx's connection thread). Below SQLite's limit of 32,766.
const SQLITE_PARAMS_PER_STATEMENT: usize = 2_000;

/// Inserts rows of equal width into `table_and_columns` (`t (a, b)`), as
/// many rows a statement as [`PARAMS_PER_STATEMENT`] allows, in `tx`.
pub async fn insert_rows(tx: &mut Tx, table_and_columns: &str, rows: impl IntoIterator<Item = Vec<Value>>) -> Result<(), StoreError> {
    insert_rows_on_conflict(tx, table_and_columns, rows, "").await.map(|_| ())
}

/// [`insert_rows`] with a clause after the rows (`ON CONFLICT (a) DO UPDATE
/// SET b = excluded.b`, `ON CONFLICT DO NOTHING`): upserts in bulk. Answers
/// how many rows were written (for `DO NOTHING`: how many were new). The
/// clause must not hold parameters of its own.
pub async fn insert_rows_on_conflict(
    tx: &mut Tx,
    table_and_columns: &str,
    rows: impl IntoIterator<Item = Vec<Value>>,
    on_conflict: &str,
) -> Result<u64, StoreError> {
    let mut written = 0;
    let rows: Vec<Vec<Value>> = rows.into_iter().collect();
    let width = rows.first().map_or(1, Vec::len).max(1);
    let (cap, numbered) = match tx.engine() {
        Engine::Sqlite => (SQLITE_PARAMS_PER_STATEMENT, false),
        Engine::Postgres => (PARAMS_PER_STATEMENT, true),
    };
    for chunk in rows.chunks((cap / width).max(1)) {
        let text = format!("INSERT INTO {table_and_columns} VALUES {} {on_conflict}", values_list(chunk.len(), width, numbered));
        written += tx.execute(sql_built(text).bind_all(chunk.iter().flatten().cloned())).await?;
    }
    Ok(written)
}

/// `($1,$2),($3,$4)` (numbered) or `(?,?),(?,?)`: `rows` tuples of `width`.
fn values_list(rows: usize, width: usize, numbered: bool) -> String {
    let mut out = String::with_capacity(rows * (width * 6 + 3));
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ",(" });
        for c in 1..=width {
            if c > 1 {
                out.push(',');
            }
            if numbered {
                out.push('$');
                out.push_str(&(r * width + c).to_string());
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::values_list;

    #[test]
    fn values_lists_number_or_leave_anonymous_each_parameter() {
        assert_eq!(values_list(2, 3, true), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(values_list(2, 2, false), "(?,?),(?,?)");
        assert_eq!(values_list(1, 1, true), "($1)");
    }
}
