//! `pendopo db copy --to URL`: everything from one store into another empty
//! one (typically SQLite to PostgreSQL), checked by row counts per table.

use crate::store::{Result, Store, StoreError, Value, sql_built};

/// The kernel's tables, parents before children so foreign keys hold while
/// copying. Slices add theirs after these (`slices::copied_tables`); a test
/// checks that the whole list names every table of the schema.
/// The kernel's tables that `db copy` leaves behind: who runs which service
/// on the old database's servers means nothing on the new one.
pub const KERNEL_TRANSIENT: &[&str] = &["service_leases"];

pub const KERNEL_TABLES: &[&str] = &[
    "tenants",
    "catalog_versions",
    "tenant_regions",
    "organizations",
    "users",
    "sessions",
    "api_tokens",
    "login_failures",
    "jobs",
    "region_holidays",
];

const BATCH: usize = 500;

#[derive(Debug)]
pub struct CopyReport {
    pub tables: Vec<(String, i64)>,
}

async fn count(store: &Store, table: &str) -> Result<i64> {
    store.fetch_scalar(sql_built(format!("SELECT count(*) FROM {table}"))).await
}

/// Copies all rows in one transaction on the target, so a failure leaves it
/// empty; refuses a target that already holds data. `progress` hears each
/// table's name and rows copied so far.
pub async fn copy(from: &Store, to: &Store, tables: &[&str], mut progress: impl FnMut(&str, i64, i64)) -> Result<CopyReport> {
    to.migrate().await?;
    for table in tables {
        let n = count(to, table).await?;
        if n > 0 {
            return Err(StoreError::Other(format!("the target already has {n} rows in {table}: copy only into an empty database")));
        }
    }
    let mut tx = to.begin().await?;
    for table in tables {
        let total = count(from, table).await?;
        let mut offset = 0i64;
        loop {
            // The first column of every table here is part of its key, and
            // ordering by all key columns is not needed for completeness:
            // the count check below catches any gap.
            let page = from.fetch_all(sql_built(format!("SELECT * FROM {table} ORDER BY 1, 2 LIMIT {BATCH} OFFSET {offset}"))).await?;
            if page.is_empty() {
                break;
            }
            let columns = page[0].columns().join(", ");
            let width = page[0].columns().len();
            let mut text = format!("INSERT INTO {table} ({columns}) VALUES ");
            let mut args: Vec<Value> = Vec::with_capacity(page.len() * width);
            for (i, row) in page.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                let marks: Vec<String> = (1..=width).map(|c| format!("${}", i * width + c)).collect();
                text.push('(');
                text.push_str(&marks.join(","));
                text.push(')');
                args.extend(row.values().iter().cloned());
            }
            tx.execute(sql_built(text).bind_all(args)).await?;
            offset += page.len() as i64;
            progress(table, offset, total);
        }
    }
    tx.commit().await?;
    let mut counted = Vec::new();
    for table in tables {
        let (a, b) = (count(from, table).await?, count(to, table).await?);
        if a != b {
            return Err(StoreError::Other(format!("{table}: {a} rows in the source but {b} in the target")));
        }
        counted.push((table.to_string(), b));
    }
    Ok(CopyReport { tables: counted })
}
