//! Loading a table from its resource's newest file, all or nothing: the file
//! is read on a blocking thread while its rows are written in one
//! transaction, and the column indexes are built afterwards by a job.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;
use tabular::{BatchSource, Cell, ColumnType, ImportError};

use super::{DatastoreError, Field, Table, extension, is_tabular, kind, make_storage, register, table_name};
use crate::kernel::files::FileStore;
use crate::kernel::jobs::NewJob;
use crate::kernel::msg::Msg;
use crate::slices::catalog::repo;
use crate::store::{Store, StoreError, Value, sql, sql_built};

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

/// Rows the file reader hands to the loader at a time.
const BATCH_ROWS: usize = 5_000;

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
    let (key, filename) = repo::version_file(store, tenant, resource_id, None).await?.ok_or(DatastoreError::NotTabular)?;
    if !is_tabular(&filename) {
        return Err(DatastoreError::NotTabular);
    }
    let version = newest_version(store, tenant, resource_id).await?;
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

/// How long both passes over an uploaded file may take together: the
/// largest upload (200 MB) reads in about ten seconds here
/// (docs/benchmarks.md), so a file that takes thirty times as long was made
/// to hold the server, not to publish a table.
const READ_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// The resource's newest file version (0: it has none).
async fn newest_version(store: &Store, tenant: &str, resource_id: &str) -> Result<i64, StoreError> {
    let q = sql("SELECT COALESCE(MAX(version), 0) FROM resource_versions WHERE tenant_id = $1 AND resource_id = $2");
    store.fetch_scalar(q.bind(tenant).bind(resource_id)).await
}

/// Loads the resource's table from its newest file unless the table is
/// already of that version (what the load job does; harmless to repeat).
pub async fn load_if_stale(store: &Store, files: &FileStore, tenant: &str, resource_id: &str) -> Result<bool, DatastoreError> {
    let newest = newest_version(store, tenant, resource_id).await?;
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
    let options = tabular::Options {
        naive_offset_minutes: 7 * 60,
        deadline: Some(std::time::Instant::now() + READ_TIME_LIMIT),
        ..Default::default()
    };
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
