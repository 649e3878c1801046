//! Tables made through the API (`datastore_create`, `datastore_upsert`,
//! `datastore_delete`): no file behind them, so `db copy` copies their rows.

use serde_json::Value as Json;
use tabular::ColumnType;

use super::{DatastoreError, Field, Search, Table, kind, make_storage, register, search, table, table_name};
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, Value, sql, sql_built};

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
            super::drop_storage(&mut tx, tenant, &t.resource_id).await?;
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
