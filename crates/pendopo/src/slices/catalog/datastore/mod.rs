//! The datastore: a tabular resource's rows in a typed table of their own,
//! loaded from its current file all or nothing, queried by CKAN's
//! `datastore_search` and the preview on the resource page.
//!
//! Physical columns are named `c0, c1, ...` and mapped to the file's column
//! names in `datastore_tables.fields`, so any header (spaces, quotes, 200
//! characters) is safe in SQL on both engines.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use tabular::{BatchSource, Cell, ColumnType, ImportError};

use crate::kernel::jobs::NewJob;

use crate::kernel::files::FileStore;
use crate::kernel::msg::Msg;
use crate::store::{Kind, Store, StoreError, Value, sql, sql_built};

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

fn cell_value(cell: &Cell, ty: ColumnType) -> Value {
    match cell {
        Cell::Null => Value::Null(kind(ty.as_str())),
        Cell::Int(i) => Value::Int(*i),
        Cell::Num(f) => Value::Float(*f),
        Cell::Date(d) => Value::Text(d.to_string()),
        Cell::Timestamp(ms) => Value::Text(format!("{}Z", crate::clock::iso_utc(*ms))),
        Cell::Bool(b) => Value::Int(*b as i64),
        Cell::Text(t) => Value::Text(t.clone()),
    }
}

/// What the blocking reader sends to the writer.
enum Piece {
    Schema(tabular::Schema),
    Rows(tabular::Batch),
}

/// Loads the resource's newest file into its table, replacing the old rows
/// only if the whole file loads. `types` are the publisher's choices by
/// column name; other columns keep the inferred type.
pub async fn import(
    store: &Store,
    files: &FileStore,
    tenant: &str,
    resource_id: &str,
    types: &BTreeMap<String, String>,
) -> Result<Table, DatastoreError> {
    let (key, filename) = super::repo::version_file(store, tenant, resource_id, None).await?.ok_or(DatastoreError::NotTabular)?;
    if !is_tabular(&filename) {
        return Err(DatastoreError::NotTabular);
    }
    let version: i64 = store
        .fetch_scalar(
            sql("SELECT COALESCE(MAX(version), 0) FROM resource_versions WHERE tenant_id = $1 AND resource_id = $2")
                .bind(tenant)
                .bind(resource_id),
        )
        .await?;
    let path = files.path(&key).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut overrides = Vec::new();
    for (name, ty) in types {
        let ty = ColumnType::from_name(ty).ok_or_else(|| DatastoreError::Invalid(Msg::new("datastore.type_unknown").arg("type", ty)))?;
        overrides.push((name.clone(), ty));
    }
    let (sender, mut pieces) = tokio::sync::mpsc::channel::<Result<Piece, ImportError>>(4);
    let reader = tokio::task::spawn_blocking(move || read_file(path, &filename, overrides, sender));

    let first = pieces.recv().await;
    let schema = match first {
        Some(Ok(Piece::Schema(s))) => s,
        Some(Err(e)) => return Err(DatastoreError::Import(e)),
        _ => return Err(DatastoreError::Store(StoreError::Other("the reader stopped before the header".into()))),
    };
    let fields: Vec<Field> = schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| Field {
            id: c.name.clone(),
            ty: c.ty.as_str().into(),
            column: format!("c{i}"),
            inferred: c.inferred.as_str().into(),
            key: false,
        })
        .collect();
    let types: Vec<ColumnType> = schema.column_types();
    let name = table_name(resource_id);
    let mut tx = store.begin().await?;
    make_storage(&mut tx, resource_id, &name, &fields).await?;
    let width = fields.len() + 1;
    let sqlite = tx.engine() == crate::store::Engine::Sqlite;
    if sqlite {
        // A big load spills SQLite's small page cache (2 MB) again and
        // again: up to 64 MB for a connection that loads (a ceiling, filled
        // only as pages are used; resetting it before the commit cost more
        // than it saved).
        tx.execute(sql("PRAGMA cache_size = -65536")).await?;
    }
    // Many rows per statement (SQLite measured fastest at about 8,000
    // arguments, PostgreSQL allows 65,535). A size that divides the
    // reader's batches makes every statement but the file's last one the
    // same text, prepared once and reused.
    let cap = (if sqlite { 8_000 } else { 30_000 } / width).max(1);
    let per_statement = (1..=cap).rev().find(|n| BATCH_ROWS.is_multiple_of(*n)).unwrap_or(1);
    let insert_head =
        format!("INSERT INTO {name} (_id, {}) VALUES ", fields.iter().map(|f| f.column.as_str()).collect::<Vec<_>>().join(", "));
    let mut next_id: i64 = 1;
    while let Some(piece) = pieces.recv().await {
        let batch = match piece {
            Ok(Piece::Rows(b)) => b,
            Ok(Piece::Schema(_)) => continue,
            Err(e) => return Err(DatastoreError::Import(e)),
        };
        let rows: Vec<&[Cell]> = batch.rows().collect();
        for chunk in rows.chunks(per_statement) {
            let mut text = String::with_capacity(insert_head.len() + chunk.len() * width * 6);
            text.push_str(&insert_head);
            let mut args = Vec::with_capacity(chunk.len() * width);
            for (r, row) in chunk.iter().enumerate() {
                if r > 0 {
                    text.push(',');
                }
                text.push('(');
                for c in 0..width {
                    if c > 0 {
                        text.push(',');
                    }
                    // SQLite looks each named parameter up in a list, which
                    // is quadratic in a statement with thousands of them;
                    // plain `?` are bound by position.
                    if sqlite {
                        text.push('?');
                    } else {
                        text.push('$');
                        text.push_str(&(r * width + c + 1).to_string());
                    }
                }
                text.push(')');
                args.push(Value::Int(next_id));
                next_id += 1;
                for (cell, ty) in row.iter().zip(&types) {
                    args.push(cell_value(cell, *ty));
                }
            }
            // Full chunks share one statement text, so it is prepared once
            // and reused; only the last, shorter one is prepared for itself.
            let statement = sql_built(text).bind_all(args);
            tx.execute(if chunk.len() == per_statement { statement } else { statement.transient() }).await?;
        }
    }
    reader.await.map_err(|e| StoreError::Other(format!("reader: {e}")))?;
    let row_count = next_id - 1;
    let now = store.now_ms();
    register(&mut tx, tenant, resource_id, &name, &fields, row_count, version, now).await?;
    // Filters and sorts want an index per column. Built after the load by a
    // job queued with it, so a large upload is not held up (as CKAN's
    // XLoader also indexes after loading), queries are correct meanwhile,
    // and a restart does not lose the work.
    let columns: Vec<String> = fields.iter().map(|f| f.column.clone()).collect();
    let job = NewJob::now(now, tenant, INDEX_JOB, resource_id, json!({ "table": name, "columns": columns }));
    crate::kernel::jobs::enqueue(&mut tx, &job).await?;
    tx.commit().await?;
    tracing::info!(resource = resource_id, rows = row_count, "datastore loaded");
    Ok(Table { resource_id: resource_id.into(), table_name: name, fields, row_count, updated_at: now })
}

/// The job that loads a resource's table when its upload's own load did
/// not happen (the process died between recording the file and loading it).
pub const LOAD_JOB: &str = "catalog:load_table";

/// Loads the resource's table from its newest file unless the table is
/// already of that version (what the load job does; harmless to repeat).
pub async fn load_if_stale(store: &Store, files: &FileStore, tenant: &str, resource_id: &str) -> Result<bool, DatastoreError> {
    let newest: i64 = store
        .fetch_scalar(
            sql("SELECT COALESCE(MAX(version), 0) FROM resource_versions WHERE tenant_id = $1 AND resource_id = $2")
                .bind(tenant)
                .bind(resource_id),
        )
        .await?;
    let loaded = store
        .fetch_optional(
            sql("SELECT source_version FROM datastore_tables WHERE tenant_id = $1 AND resource_id = $2").bind(tenant).bind(resource_id),
        )
        .await?;
    if newest == 0 || loaded.map(|r| r.at::<i64>(0)).transpose()? == Some(newest) {
        return Ok(false);
    }
    import(store, files, tenant, resource_id, &Default::default()).await?;
    Ok(true)
}

/// The job that indexes a loaded table's columns.
pub const INDEX_JOB: &str = "catalog:index_columns";

/// Builds an index on each column (the job queued by a load).
pub async fn index_columns(store: &Store, table: &str, columns: &[String]) {
    let started = std::time::Instant::now();
    for c in columns {
        // (column, _id): an equality filter reads its rows already in the
        // default order, on both engines.
        let q = sql_built(format!("CREATE INDEX IF NOT EXISTS {table}_{c} ON {table} ({c}, _id)")).transient();
        if let Err(e) = store.execute(q).await {
            // A table reloaded or removed meanwhile: its successor indexes itself.
            tracing::debug!(table, column = %c, error = %e, "column index not built");
            return;
        }
    }
    tracing::info!(table, ms = started.elapsed().as_millis() as u64, "datastore columns indexed");
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

/// Reads a file through both passes without storing anything: an upload is
/// refused (with line, column and reason) before it is recorded if its rows
/// cannot be loaded as they are.
pub async fn check_file(path: PathBuf, filename: &str) -> Result<(), ImportError> {
    let filename = filename.to_string();
    let (sender, mut pieces) = tokio::sync::mpsc::channel::<Result<Piece, ImportError>>(4);
    let reader = tokio::task::spawn_blocking(move || read_file(path, &filename, Vec::new(), sender));
    while let Some(piece) = pieces.recv().await {
        piece?;
    }
    let _ = reader.await;
    Ok(())
}

/// Both passes over the file, on a blocking thread; pieces go to the writer.
fn read_file(
    path: PathBuf,
    filename: &str,
    overrides: Vec<(String, ColumnType)>,
    out: tokio::sync::mpsc::Sender<Result<Piece, ImportError>>,
) {
    let send = |p: Result<Piece, ImportError>| out.blocking_send(p).is_ok();
    let open = || std::fs::File::open(&path).map(std::io::BufReader::new).map_err(|e| ImportError::io(0, &e));
    let options = tabular::Options { naive_offset_minutes: 7 * 60, ..Default::default() };
    let apply = |schema: &mut tabular::Schema| -> Result<(), ImportError> {
        for (name, ty) in &overrides {
            schema.set_type(name, *ty)?;
        }
        Ok(())
    };
    let result: Result<(), ImportError> = (|| {
        if matches!(extension(filename).as_str(), "csv" | "tsv" | "txt") {
            let mut schema = tabular::analyze_csv(open()?, &options)?;
            apply(&mut schema)?;
            let mut reader = tabular::CsvReader::new(open()?, &schema, None)?;
            if !send(Ok(Piece::Schema(schema))) {
                return Ok(());
            }
            pump(&mut reader, &send)
        } else {
            let mut book = tabular::Workbook::open_with(open()?, &options)?;
            let mut schema = book.analyze(&tabular::SheetSelector::First, &options)?;
            apply(&mut schema)?;
            let mut reader = book.reader(&schema)?;
            if !send(Ok(Piece::Schema(schema))) {
                return Ok(());
            }
            pump(&mut reader, &send)
        }
    })();
    if let Err(e) = result {
        send(Err(e));
    }
}

fn pump(reader: &mut dyn BatchSource, send: &dyn Fn(Result<Piece, ImportError>) -> bool) -> Result<(), ImportError> {
    while let Some(batch) = reader.next_batch(BATCH_ROWS)? {
        if !send(Ok(Piece::Rows(batch))) {
            break;
        }
    }
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

/// A query against one table, in CKAN's terms.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Column name > accepted values (any of them).
    pub filters: BTreeMap<String, Vec<Json>>,
    /// Words that must appear in some text column (case-insensitive).
    pub q: String,
    /// Columns to return; empty for all.
    pub fields: Vec<String>,
    /// (column, descending)
    pub sort: Vec<(String, bool)>,
    pub limit: i64,
    pub offset: i64,
    pub include_total: bool,
}

pub struct Found {
    pub fields: Vec<Field>,
    pub records: Vec<Vec<Json>>,
    pub total: Option<i64>,
}

/// Runs a search; names that are not columns are reported, not ignored.
pub async fn search(store: &Store, t: &Table, s: &Search) -> Result<Found, DatastoreError> {
    let by_name: BTreeMap<&str, &Field> = t.fields.iter().map(|f| (f.id.as_str(), f)).collect();
    let unknown = |name: &str| DatastoreError::Invalid(Msg::new("datastore.field_unknown").arg("field", name));
    let id_field = Field { id: "_id".into(), ty: "int".into(), column: "_id".into(), inferred: String::new(), key: false };
    let column_of = |name: &str| -> Result<Field, DatastoreError> {
        if name == "_id" {
            return Ok(id_field.clone());
        }
        by_name.get(name).map(|f| (*f).clone()).ok_or_else(|| unknown(name))
    };
    let chosen: Vec<Field> = if s.fields.is_empty() {
        std::iter::once(id_field.clone()).chain(t.fields.iter().cloned()).collect()
    } else {
        s.fields.iter().map(|n| column_of(n)).collect::<Result<_, _>>()?
    };
    let mut args: Vec<Value> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    for (name, values) in &s.filters {
        let f = column_of(name)?;
        let mut alternatives = Vec::new();
        for v in values {
            args.push(filter_value(&f, v).ok_or_else(|| DatastoreError::Invalid(Msg::new("datastore.filter_value").arg("field", name)))?);
            alternatives.push(format!("{} = ${}", f.column, args.len()));
        }
        if alternatives.is_empty() {
            continue;
        }
        conditions.push(format!("({})", alternatives.join(" OR ")));
    }
    let text_columns: Vec<&Field> = t.fields.iter().filter(|f| f.ty == "text").collect();
    for word in s.q.split_whitespace() {
        if text_columns.is_empty() {
            conditions.push("1 = 0".into());
            break;
        }
        args.push(Value::Text(format!("%{}%", word.to_lowercase().replace(['%', '_'], ""))));
        let n = args.len();
        conditions
            .push(format!("({})", text_columns.iter().map(|f| format!("lower({}) LIKE ${n}", f.column)).collect::<Vec<_>>().join(" OR ")));
    }
    let where_clause = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let mut order = Vec::new();
    for (name, desc) in &s.sort {
        let f = column_of(name)?;
        order.push(format!("{} {}", f.column, if *desc { "DESC" } else { "ASC" }));
    }
    order.push("_id ASC".into());
    let select = chosen.iter().map(|f| f.column.as_str()).collect::<Vec<_>>().join(", ");
    let q = format!(
        "SELECT {select} FROM {}{where_clause} ORDER BY {} LIMIT {} OFFSET {}",
        t.table_name,
        order.join(", "),
        s.limit.clamp(0, 32_000),
        s.offset.max(0)
    );
    let rows = store.fetch_all(sql_built(q).bind_all(args.clone()).transient()).await?;
    let records = rows.iter().map(|r| r.values().iter().zip(&chosen).map(|(v, f)| json_value(v, &f.ty)).collect()).collect();
    let total = if !s.include_total {
        None
    } else if where_clause.is_empty() {
        // The count is kept with the table: no scan for the common case.
        Some(t.row_count)
    } else {
        Some(
            store
                .fetch_scalar(sql_built(format!("SELECT count(*) FROM {}{where_clause}", t.table_name)).bind_all(args).transient())
                .await?,
        )
    };
    let fields = chosen.into_iter().map(|f| Field { column: String::new(), inferred: String::new(), ..f }).collect();
    Ok(Found { fields, records, total })
}

fn filter_value(f: &Field, v: &Json) -> Option<Value> {
    let text = match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(match f.ty.as_str() {
        "int" => Value::Int(text.trim().parse().ok()?),
        "numeric" => Value::Float(text.trim().parse().ok()?),
        "bool" => Value::Int(matches!(text.trim().to_lowercase().as_str(), "true" | "1" | "ya" | "yes") as i64),
        _ => Value::Text(text),
    })
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

/// Reloads every table from its file with the types chosen for it (after
/// `db copy`, which copies the registry's files but not the tables).
pub async fn rebuild_all(store: &Store, files: &FileStore) -> Result<usize, StoreError> {
    // Tables made through the API (no file, source_version 0) are copied
    // row by row by `copy_api_tables` instead.
    let rows = store
        .fetch_all(sql(
            "SELECT tenant_id, resource_id, fields FROM datastore_tables WHERE source_version > 0 ORDER BY tenant_id, resource_id",
        ))
        .await?;
    for r in &rows {
        let fields: Vec<Field> = serde_json::from_str(&r.get::<String>("fields")?).unwrap_or_default();
        let types = fields.into_iter().map(|f| (f.id, f.ty)).collect();
        let (tenant, resource): (String, String) = (r.get("tenant_id")?, r.get("resource_id")?);
        if let Err(e) = import(store, files, &tenant, &resource, &types).await {
            return Err(StoreError::Other(format!("datastore table of resource {resource}: {e}")));
        }
    }
    Ok(rows.len())
}

/// Rows `datastore_search_sql` returns at most (CKAN's default rows_max).
pub const SQL_ROWS_MAX: usize = 32_000;
/// Rows the file reader hands to the loader at a time.
const BATCH_ROWS: usize = 5_000;

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
pub async fn run_sql(store: &Store, query: &super::sql_check::Checked) -> Result<SqlResult, SqlError> {
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
                    Value::Int(_) => Some("int"),
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

// ---- tables made through the API (datastore_create/upsert/delete) --------

/// Creates (or replaces) a table with the given fields and no rows; its rows
/// then come through `write_records`. `key` fields form the primary key.
pub async fn create_table(
    store: &Store,
    tenant: &str,
    resource_id: &str,
    fields: &[(String, ColumnType, bool)],
) -> Result<Table, DatastoreError> {
    let mut seen = std::collections::BTreeSet::new();
    for (id, _, _) in fields {
        if id.is_empty() || id.starts_with('_') || !seen.insert(id.as_str()) {
            return Err(DatastoreError::Invalid(Msg::new("datastore.field_name").arg("field", id)));
        }
    }
    let fields: Vec<Field> = fields
        .iter()
        .enumerate()
        .map(|(i, (id, ty, key))| Field {
            id: id.clone(),
            ty: ty.as_str().into(),
            column: format!("c{i}"),
            inferred: String::new(),
            key: *key,
        })
        .collect();
    let name = table_name(resource_id);
    let mut tx = store.begin().await?;
    make_storage(&mut tx, resource_id, &name, &fields).await?;
    let now = store.now_ms();
    register(&mut tx, tenant, resource_id, &name, &fields, 0, 0, now).await?;
    tx.commit().await?;
    Ok(Table { resource_id: resource_id.into(), table_name: name, fields, row_count: 0, updated_at: now })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Insert,
    Upsert,
    Update,
}

/// A JSON value as the field's type, or why not.
fn typed_value(f: &Field, v: &Json) -> Result<Value, Msg> {
    let bad = || Msg::new("datastore.value_type").arg("field", &f.id).arg("type", &f.ty);
    let ty = ColumnType::from_name(&f.ty).unwrap_or(ColumnType::Text);
    Ok(match (ty, v) {
        (_, Json::Null) => Value::Null(kind(&f.ty)),
        (ColumnType::Integer, Json::Number(n)) => Value::Int(n.as_i64().ok_or_else(bad)?),
        (ColumnType::Integer, Json::String(s)) => Value::Int(s.trim().parse().map_err(|_| bad())?),
        (ColumnType::Numeric, Json::Number(n)) => Value::Float(n.as_f64().ok_or_else(bad)?),
        (ColumnType::Numeric, Json::String(s)) => Value::Float(s.trim().parse().map_err(|_| bad())?),
        (ColumnType::Boolean, Json::Bool(b)) => Value::Int(*b as i64),
        (ColumnType::Date, Json::String(s)) if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') => Value::Text(s.clone()),
        (ColumnType::Timestamp, Json::String(s)) if s.len() >= 19 && s.as_bytes().get(10).is_some_and(|c| *c == b'T' || *c == b' ') => {
            Value::Text(s.clone())
        }
        (ColumnType::Text, Json::String(s)) => Value::Text(s.clone()),
        (ColumnType::Text, other) => Value::Text(other.to_string()),
        _ => return Err(bad()),
    })
}

/// Inserts, updates or upserts records (objects of field name to value), in
/// one transaction: a bad record leaves the table as it was.
pub async fn write_records(
    store: &Store,
    t: &Table,
    records: &[serde_json::Map<String, Json>],
    method: Method,
) -> Result<usize, DatastoreError> {
    let keys: Vec<&Field> = t.fields.iter().filter(|f| f.key).collect();
    if method != Method::Insert && keys.is_empty() {
        return Err(DatastoreError::Invalid(Msg::new("datastore.needs_key")));
    }
    let mut tx = store.begin().await?;
    let mut next_id: i64 =
        tx.fetch_one(sql_built(format!("SELECT COALESCE(MAX(_id), 0) + 1 FROM {}", t.table_name)).transient()).await?.at(0)?;
    for (n, record) in records.iter().enumerate() {
        for name in record.keys() {
            if !t.fields.iter().any(|f| &f.id == name) {
                return Err(DatastoreError::Invalid(Msg::new("datastore.field_unknown").arg("field", name)));
            }
        }
        let row_error = |m: Msg| DatastoreError::Invalid(Msg::new("datastore.record").arg("n", n + 1).arg_msg("reason", m));
        let mut values = Vec::new();
        for f in &t.fields {
            values.push(typed_value(f, record.get(&f.id).unwrap_or(&Json::Null)).map_err(row_error)?);
        }
        let mut updated = 0;
        if method != Method::Insert {
            let given: Vec<(usize, &Field)> = t.fields.iter().enumerate().filter(|(_, f)| !f.key && record.contains_key(&f.id)).collect();
            let mut args: Vec<Value> = given.iter().map(|(i, _)| values[*i].clone()).collect();
            let sets: Vec<String> = given.iter().enumerate().map(|(k, (_, f))| format!("{} = ${}", f.column, k + 1)).collect();
            let mut wheres = Vec::new();
            for f in &keys {
                let i = t.fields.iter().position(|x| x.id == f.id).expect("key field");
                if values[i].is_null() {
                    return Err(row_error(Msg::new("datastore.key_missing").arg("field", &f.id)));
                }
                args.push(values[i].clone());
                wheres.push(format!("{} = ${}", f.column, args.len()));
            }
            let text = if sets.is_empty() {
                format!("SELECT count(*) FROM {} WHERE {}", t.table_name, wheres.join(" AND "))
            } else {
                format!("UPDATE {} SET {} WHERE {}", t.table_name, sets.join(", "), wheres.join(" AND "))
            };
            updated = if sets.is_empty() {
                tx.fetch_one(sql_built(text).bind_all(args).transient()).await?.at::<i64>(0)? as u64
            } else {
                tx.execute(sql_built(text).bind_all(args).transient()).await?
            };
            if updated == 0 && method == Method::Update {
                return Err(row_error(Msg::new("datastore.key_not_found")));
            }
        }
        if updated == 0 {
            let columns: Vec<&str> = t.fields.iter().map(|f| f.column.as_str()).collect();
            let marks: Vec<String> = (1..=columns.len() + 1).map(|i| format!("${i}")).collect();
            let text = format!("INSERT INTO {} (_id, {}) VALUES ({})", t.table_name, columns.join(", "), marks.join(", "));
            let inserted = tx.execute(sql_built(text).bind(next_id).bind_all(values).transient()).await;
            match inserted {
                Ok(_) => next_id += 1,
                Err(StoreError::Duplicate(_)) => return Err(row_error(Msg::new("datastore.key_duplicate"))),
                Err(e) => return Err(e.into()),
            }
        }
    }
    refresh_count(&mut tx, t).await?;
    tx.commit().await?;
    Ok(records.len())
}

async fn refresh_count(tx: &mut crate::store::Tx, t: &Table) -> Result<(), StoreError> {
    let n: i64 = tx.fetch_one(sql_built(format!("SELECT count(*) FROM {}", t.table_name)).transient()).await?.at(0)?;
    tx.execute(
        sql("UPDATE datastore_tables SET row_count = $1, updated_at = $2 WHERE table_name = $3")
            .bind(n)
            .bind(tx.now_ms())
            .bind(&t.table_name),
    )
    .await?;
    Ok(())
}

/// Deletes the rows matching `filters` (field name > value), or the whole
/// table when there are none.
pub async fn delete(store: &Store, tenant: &str, t: &Table, filters: Option<&serde_json::Map<String, Json>>) -> Result<(), DatastoreError> {
    let mut tx = store.begin().await?;
    match filters.filter(|f| !f.is_empty()) {
        None => {
            tx.execute(sql_built(format!("DROP VIEW IF EXISTS {}", quote_ident(&t.resource_id))).transient()).await?;
            tx.execute(sql_built(format!("DROP TABLE IF EXISTS {}", t.table_name)).transient()).await?;
            tx.execute(sql("DELETE FROM datastore_tables WHERE tenant_id = $1 AND resource_id = $2").bind(tenant).bind(&t.resource_id))
                .await?;
        }
        Some(filters) => {
            let mut wheres = Vec::new();
            let mut args = Vec::new();
            for (name, v) in filters {
                let f = t
                    .fields
                    .iter()
                    .find(|f| &f.id == name)
                    .ok_or_else(|| DatastoreError::Invalid(Msg::new("datastore.field_unknown").arg("field", name)))?;
                args.push(typed_value(f, v).map_err(DatastoreError::Invalid)?);
                wheres.push(format!("{} = ${}", f.column, args.len()));
            }
            tx.execute(sql_built(format!("DELETE FROM {} WHERE {}", t.table_name, wheres.join(" AND "))).bind_all(args).transient())
                .await?;
            refresh_count(&mut tx, t).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Copies the API-made tables (no file to reload them from) row by row.
pub async fn copy_api_tables(from: &Store, to: &Store) -> Result<usize, StoreError> {
    let rows = from
        .fetch_all(sql("SELECT tenant_id, resource_id FROM datastore_tables WHERE source_version = 0 ORDER BY tenant_id, resource_id"))
        .await?;
    for r in &rows {
        let (tenant, resource): (String, String) = (r.get("tenant_id")?, r.get("resource_id")?);
        let Some(t) = table(from, &tenant, &resource).await? else { continue };
        let fields: Vec<(String, ColumnType, bool)> =
            t.fields.iter().map(|f| (f.id.clone(), ColumnType::from_name(&f.ty).unwrap_or(ColumnType::Text), f.key)).collect();
        let target = create_table(to, &tenant, &resource, &fields).await.map_err(|e| StoreError::Other(e.to_string()))?;
        let mut offset = 0;
        loop {
            let page = search(from, &t, &Search { limit: 5_000, offset, ..Default::default() })
                .await
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let records: Vec<serde_json::Map<String, Json>> = page
                .records
                .iter()
                .map(|row| page.fields.iter().zip(row).filter(|(f, _)| f.id != "_id").map(|(f, v)| (f.id.clone(), v.clone())).collect())
                .collect();
            write_records(to, &target, &records, Method::Insert).await.map_err(|e| StoreError::Other(e.to_string()))?;
            if (page.records.len() as i64) < 5_000 {
                break;
            }
            offset += 5_000;
        }
    }
    Ok(rows.len())
}
