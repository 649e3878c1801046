//! `datastore_search` over one table: filters, q, sort, fields and paging.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{DatastoreError, Field, Table, json_value};
use crate::kernel::msg::Msg;
use crate::store::{Store, Value, sql_built};

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
    /// Only rows after this `_id` (keyset paging for dumps: a page deep
    /// in a big table costs what the first one does, unlike an offset).
    pub after_id: Option<i64>,
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
    if let Some(after) = s.after_id {
        args.push(Value::Int(after));
        conditions.push(format!("_id > ${}", args.len()));
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
