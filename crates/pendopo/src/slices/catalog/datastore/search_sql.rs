//! Running a `datastore_search_sql` query that passed `sql_check`, with a
//! row limit and a time limit.

use serde_json::Value as Json;

use super::{Field, json_value};
use crate::slices::catalog::sql_check;
use crate::store::{Store, StoreError, Value, sql_built};

/// Rows `datastore_search_sql` returns at most (CKAN's default rows_max).
pub const SQL_ROWS_MAX: usize = 32_000;

/// How long a query may run.
pub const SQL_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct SqlResult {
    pub fields: Vec<Field>,
    pub records: Vec<serde_json::Map<String, Json>>,
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("the query ran longer than {} seconds", SQL_TIME_LIMIT.as_secs())]
    TooLong,
    #[error("too many queries are running: try again in a moment")]
    Busy,
    #[error("{0}")]
    Database(String),
}

/// Runs a query that passed `sql_check` (its rebuilt text, never the
/// caller's) over the resource-id views, on the store's read-only pool,
/// with a row limit and a time limit.
pub async fn run_sql(store: &Store, query: &sql_check::Checked) -> Result<SqlResult, SqlError> {
    let wrapped = sql_built(format!("SELECT * FROM ({}) AS q LIMIT {}", query.sql, SQL_ROWS_MAX + 1)).transient();
    let rows = store.fetch_all_bounded(wrapped, SQL_TIME_LIMIT).await.map_err(|e| match e {
        StoreError::TimedOut => SqlError::TooLong,
        StoreError::Busy => SqlError::Busy,
        e => SqlError::Database(e.to_string()),
    })?;
    let truncated = rows.len() > SQL_ROWS_MAX;
    let columns: Vec<String> = rows.first().map(|r| r.columns().to_vec()).unwrap_or_default();
    let fields = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let ty = rows
                .iter()
                .find_map(|r| match &r.values()[i] {
                    Value::Int(_) => Some("int8"),
                    Value::Float(_) => Some("numeric"),
                    Value::Text(_) => Some("text"),
                    _ => None,
                })
                .unwrap_or("text");
            Field { id: c.clone(), ty: ty.into(), column: String::new(), inferred: String::new(), key: false }
        })
        .collect::<Vec<_>>();
    let records = rows
        .iter()
        .take(SQL_ROWS_MAX)
        .map(|r| columns.iter().zip(r.values()).zip(&fields).map(|((c, v), f)| (c.clone(), json_value(v, &f.ty))).collect())
        .collect();
    Ok(SqlResult { fields, records, truncated })
}
