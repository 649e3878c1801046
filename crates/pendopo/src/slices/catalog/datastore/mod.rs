//! The datastore: a tabular resource's rows in a typed table of their own,
//! loaded from its current file all or nothing, queried by CKAN's
//! `datastore_search` and the preview on the resource page.
//!
//! Physical columns are named `c0, c1, ...` and mapped to the file's column
//! names in `datastore_tables.fields`, so any header (spaces, quotes, 200
//! characters) is safe in SQL on both engines.

//!
//! Here are a table's description, its storage (table, key index, view) and
//! its registry row; loading, searching, SQL queries and the API-made tables
//! are in the modules below.

mod api;
mod dump;
mod load;
mod search;
mod search_sql;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tabular::{ColumnType, ImportError};

use crate::kernel::msg::Msg;
use crate::store::{Kind, Store, StoreError, Value, sql, sql_built};

pub use api::{Method, copy_api_tables, create_table, delete, write_records};
pub use dump::{Dump, DumpFormat, dump};
pub use load::{INDEX_JOB, LOAD_JOB, check_file, import, index_columns, load_if_stale, rebuild_all};
pub use search::{Found, Search, search};
pub use search_sql::{SQL_ROWS_MAX, SQL_TIME_LIMIT, SqlError, SqlResult, run_sql};

/// A column as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Field {
    pub id: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// The physical column (`c0`, `c1`, ...).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub column: String,
    /// The type inference chose, shown beside the publisher's choice.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub inferred: String,
    /// Part of the primary key (tables made by `datastore_create`).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub key: bool,
}

impl Field {
    /// The type by the name CKAN's datastore reports (PostgreSQL's), as
    /// clients see it in `fields`; `_id` is `int`, as CKAN itself says.
    pub fn ckan_type(&self) -> &'static str {
        if self.id == "_id" {
            return "int";
        }
        ColumnType::from_name(&self.ty).unwrap_or(ColumnType::Text).ckan_name()
    }
}

/// Columns as CKAN's `datastore_search` lists them: `{"id", "type"}`.
pub fn ckan_fields(fields: &[Field]) -> Vec<Json> {
    fields.iter().map(|f| json!({"id": f.id, "type": f.ckan_type()})).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub resource_id: String,
    pub table_name: String,
    pub fields: Vec<Field>,
    pub row_count: i64,
    pub updated_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DatastoreError {
    /// The file cannot be loaded as it is: the line, column and reason.
    #[error("{0}")]
    Import(ImportError),
    /// The file is not a table (PDF, ZIP, ...).
    #[error("not a table")]
    NotTabular,
    #[error("{0:?}")]
    Invalid(Msg),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Formats the datastore loads.
pub fn is_tabular(filename: &str) -> bool {
    matches!(extension(filename).as_str(), "csv" | "tsv" | "txt" | "xlsx" | "xls" | "xlsb" | "ods")
}

fn extension(filename: &str) -> String {
    filename.rsplit('.').next().unwrap_or("").to_ascii_lowercase()
}

fn table_name(resource_id: &str) -> String {
    format!("ds_{}", resource_id.replace('-', ""))
}

/// A double-quoted SQL identifier, safe for any name.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Integer | ColumnType::Boolean => "BIGINT",
        ColumnType::Numeric => "DOUBLE PRECISION",
        ColumnType::Date | ColumnType::Timestamp | ColumnType::Text => "TEXT",
    }
}

fn kind(ty: &str) -> Kind {
    match ColumnType::from_name(ty) {
        Some(ColumnType::Integer | ColumnType::Boolean) => Kind::Int,
        Some(ColumnType::Numeric) => Kind::Float,
        _ => Kind::Text,
    }
}

/// (Re)creates a resource's table for these fields, its unique index on the
/// key fields, and the view named by the resource id (what
/// `datastore_search_sql` reads), which depends on the table and so goes
/// first and comes back after.
async fn make_storage(tx: &mut crate::store::Tx, resource_id: &str, name: &str, fields: &[Field]) -> Result<(), StoreError> {
    tx.execute(sql_built(format!("DROP VIEW IF EXISTS {}", quote_ident(resource_id))).transient()).await?;
    tx.execute(sql_built(format!("DROP TABLE IF EXISTS {name}")).transient()).await?;
    let columns: Vec<String> =
        fields.iter().map(|f| format!("{} {}", f.column, sql_type(ColumnType::from_name(&f.ty).unwrap_or(ColumnType::Text)))).collect();
    // On SQLite `INTEGER PRIMARY KEY` makes `_id` the rowid, so every
    // column index is also ordered by `_id` and a filtered page stops early.
    let id_type = if tx.engine() == crate::store::Engine::Sqlite { "INTEGER" } else { "BIGINT" };
    tx.execute(sql_built(format!("CREATE TABLE {name} (_id {id_type} PRIMARY KEY, {})", columns.join(", "))).transient()).await?;
    let keys: Vec<&str> = fields.iter().filter(|f| f.key).map(|f| f.column.as_str()).collect();
    if !keys.is_empty() {
        tx.execute(sql_built(format!("CREATE UNIQUE INDEX {name}_key ON {name} ({})", keys.join(", "))).transient()).await?;
    }
    let view_columns: Vec<String> = fields.iter().map(|f| format!("{} AS {}", f.column, quote_ident(&f.id))).collect();
    let view = format!("CREATE VIEW {} AS SELECT _id, {} FROM {name}", quote_ident(resource_id), view_columns.join(", "));
    tx.execute(sql_built(view).transient()).await?;
    Ok(())
}

/// Removes a resource's table, its view and its registry row, if it has them.
pub async fn drop_storage(tx: &mut crate::store::Tx, tenant: &str, resource_id: &str) -> Result<(), StoreError> {
    tx.execute(sql_built(format!("DROP VIEW IF EXISTS {}", quote_ident(resource_id))).transient()).await?;
    tx.execute(sql_built(format!("DROP TABLE IF EXISTS {}", table_name(resource_id))).transient()).await?;
    tx.execute(sql("DELETE FROM datastore_tables WHERE tenant_id = $1 AND resource_id = $2").bind(tenant).bind(resource_id)).await?;
    Ok(())
}

/// Records which table holds a resource's rows (`source_version` 0: made
/// through the API, not loaded from a file).
#[allow(clippy::too_many_arguments)]
async fn register(
    tx: &mut crate::store::Tx,
    tenant: &str,
    resource_id: &str,
    name: &str,
    fields: &[Field],
    row_count: i64,
    source_version: i64,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(sql("DELETE FROM datastore_tables WHERE tenant_id = $1 AND resource_id = $2").bind(tenant).bind(resource_id)).await?;
    tx.execute(
        sql("INSERT INTO datastore_tables (tenant_id, resource_id, table_name, fields, row_count, source_version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(tenant)
            .bind(resource_id)
            .bind(name)
            .bind(serde_json::to_string(fields).expect("fields serialize"))
            .bind(row_count)
            .bind(source_version)
            .bind(now),
    )
    .await?;
    Ok(())
}

pub async fn table(store: &Store, tenant: &str, resource_id: &str) -> Result<Option<Table>, StoreError> {
    let row = store
        .fetch_optional(
            sql("SELECT resource_id, table_name, fields, row_count, updated_at FROM datastore_tables WHERE tenant_id = $1 AND resource_id = $2")
                .bind(tenant)
                .bind(resource_id),
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Table {
        resource_id: r.get("resource_id")?,
        table_name: r.get("table_name")?,
        fields: serde_json::from_str(&r.get::<String>("fields")?).unwrap_or_default(),
        row_count: r.get("row_count")?,
        updated_at: r.get("updated_at")?,
    }))
}

fn json_value(v: &Value, ty: &str) -> Json {
    match (v, ty) {
        (Value::Null(_), _) => Json::Null,
        (Value::Int(i), "bool") => json!(*i != 0),
        (Value::Int(i), _) => json!(i),
        (Value::Float(f), _) => json!(f),
        (Value::Text(t), _) => json!(t),
        (Value::Bytes(_), _) => Json::Null,
    }
}
