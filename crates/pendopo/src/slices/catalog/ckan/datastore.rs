//! The datastore actions: search, SQL search, and the tables made through
//! the API (create, upsert, delete).

use serde_json::{Map, Value, json};

use super::resource::change_resources;
use super::{Call, CkanError, CkanResult, invalid_field, missing, resource_not_found};
use crate::kernel::identity::User;
use crate::kernel::msg::Msg;
use crate::slices::catalog;
use crate::slices::catalog::repo::{self, Viewer};

/// A parameter that may come as JSON or, from a query string, as JSON text.
fn json_param(call: &Call, key: &str) -> Result<Option<Value>, CkanError> {
    match call.params.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str(s).map(Some).map_err(|_| invalid_field(key, Msg::new("ckan.json")))
        }
        Some(v) => Ok(Some(v.clone())),
    }
}

pub(super) async fn datastore_search(call: &Call) -> CkanResult {
    use catalog::datastore::{self, Search};
    let id = call.required("resource_id").or_else(|_| call.required("id"))?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let not_found = || resource_not_found(&id);
    let r = repo::resource(store, tenant, &id).await?.ok_or_else(not_found)?;
    repo::get(store, tenant, &r.dataset_id, &call.viewer()).await?.ok_or_else(not_found)?;
    let table = datastore::table(store, tenant, &id).await?.ok_or_else(not_found)?;

    let mut search = Search { limit: call.int("limit", 100)?, offset: call.int("offset", 0)?, include_total: true, ..Default::default() };
    if !(0..=32_000).contains(&search.limit) {
        return Err(invalid_field("limit", Msg::new("ckan.between").arg("max", 32000)));
    }
    if search.offset < 0 {
        return Err(invalid_field("offset", Msg::new("ckan.natural")));
    }
    if call.params.contains_key("include_total") {
        search.include_total = call.bool("include_total");
    }
    search.q = call.str("q").unwrap_or_default();
    match json_param(call, "filters")? {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let values = match v {
                    Value::Array(a) => a,
                    v => vec![v],
                };
                search.filters.insert(k, values);
            }
        }
        Some(_) => return Err(invalid_field("filters", Msg::new("ckan.json_object"))),
    }
    search.fields = match json_param(call, "fields")? {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        Some(_) => return Err(invalid_field("fields", Msg::new("ckan.list_or_text"))),
    };
    if let Some(sort) = call.str("sort") {
        for part in sort.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or("").trim_matches('"').to_string();
            let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(_) => return Err(invalid_field("sort", Msg::new("ckan.sort_shape"))),
            };
            search.sort.push((name, desc));
        }
    }
    let format = call.str("records_format").unwrap_or_else(|| "objects".into());
    if !["objects", "lists", "csv", "tsv"].contains(&format.as_str()) {
        return Err(invalid_field("records_format", Msg::new("ckan.records_format")));
    }
    let found = datastore::search(store, &table, &search).await.map_err(|e| match e {
        datastore::DatastoreError::Invalid(m) => invalid_field("fields", m),
        e => CkanError::Internal(e.to_string()),
    })?;
    let names: Vec<&str> = found.fields.iter().map(|f| f.id.as_str()).collect();
    let records = match format.as_str() {
        "lists" => json!(found.records),
        "csv" | "tsv" => {
            use crate::web::format::{cell_text, csv_line};
            let delimiter = if format == "csv" { b',' } else { b'\t' };
            let bytes: Vec<u8> = found.records.iter().flat_map(|row| csv_line(row.iter().map(cell_text), delimiter)).collect();
            json!(String::from_utf8_lossy(&bytes))
        }
        _ => json!(
            found
                .records
                .iter()
                .map(|row| names.iter().zip(row).map(|(n, v)| (n.to_string(), v.clone())).collect::<Map<_, _>>())
                .collect::<Vec<_>>()
        ),
    };
    let page = |offset: i64| {
        let mut q = vec![
            ("resource_id".to_string(), id.clone()),
            ("offset".to_string(), offset.to_string()),
            ("limit".to_string(), search.limit.to_string()),
        ];
        for k in ["q", "sort", "filters", "fields", "records_format"] {
            if let Some(v) = call.params.get(k) {
                q.push((
                    k.to_string(),
                    match v {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    },
                ));
            }
        }
        format!("/api/3/action/datastore_search?{}", serde_urlencoded::to_string(&q).unwrap_or_default())
    };
    let next = page(search.offset + search.limit);
    let mut result = json!({
        "resource_id": id,
        "fields": catalog::datastore::ckan_fields(&found.fields),
        "records": records,
        "records_format": format,
        "limit": search.limit,
        "offset": search.offset,
        "_links": {"start": page(0), "next": next},
        "next_page": next,
    });
    if let Some(total) = found.total {
        result["total"] = json!(total);
        result["total_was_estimated"] = json!(false);
    }
    Ok(result)
}

pub(super) async fn datastore_search_sql(call: &Call) -> CkanResult {
    use catalog::datastore;
    let query = call.required("sql")?;
    let store = &call.ctx.app.store;
    let checked = catalog::sql_check::check(&query, store.sql_dialect()).map_err(|e| invalid_field("query", e.msg()))?;
    let tenant = &call.ctx.tenant.id;
    // Every table must be a datastore table of a dataset this caller may see.
    for id in &checked.tables {
        let visible = match repo::resource(store, tenant, id).await? {
            Some(r) => {
                repo::get(store, tenant, &r.dataset_id, &call.viewer()).await?.is_some()
                    && datastore::table(store, tenant, id).await?.is_some()
            }
            None => false,
        };
        if !visible {
            return Err(resource_not_found(id));
        }
    }
    let result = datastore::run_sql(store, &checked).await.map_err(|e| match e {
        datastore::SqlError::TooLong => {
            invalid_field("query", Msg::new("ckan.sql_time").arg("seconds", datastore::SQL_TIME_LIMIT.as_secs()))
        }
        datastore::SqlError::Busy => invalid_field("query", Msg::new("ckan.sql_busy")),
        datastore::SqlError::Database(detail) => invalid_field("query", Msg::new("ckan.sql_failed").arg("detail", detail)),
    })?;
    let mut out = json!({"sql": query, "fields": result.fields, "records": result.records});
    if result.truncated {
        out["records_truncated"] = json!(true);
    }
    Ok(out)
}

fn datastore_failure(e: catalog::datastore::DatastoreError) -> CkanError {
    match e {
        catalog::datastore::DatastoreError::Invalid(m) => invalid_field("records", m),
        e => CkanError::Internal(e.to_string()),
    }
}

/// The resource a datastore write targets, if the caller may write its dataset.
async fn writable_resource(call: &Call, user: &User, id: &str) -> Result<repo::Resource, CkanError> {
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let not_found = || resource_not_found(id);
    let r = repo::resource(store, tenant, id).await?.ok_or_else(not_found)?;
    let d = repo::get(store, tenant, &r.dataset_id, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    if !crate::kernel::access::for_org(user, &d.org.id) {
        return Err(CkanError::Authorization(Msg::new("ckan.datastore_not_authorized")));
    }
    Ok(r)
}

/// The datastore table named by `resource_id`, for a caller who may write it.
async fn writable_table(call: &Call, action: &str) -> Result<(String, catalog::datastore::Table), CkanError> {
    let user = call.writer(action)?;
    let id = call.required("resource_id")?;
    let r = writable_resource(call, user, &id).await?;
    let table = catalog::datastore::table(&call.ctx.app.store, &call.ctx.tenant.id, &r.id)
        .await?
        .ok_or_else(|| CkanError::NotFound(Msg::new("ckan.no_datastore").arg("id", &id)))?;
    Ok((id, table))
}

fn records_param(call: &Call) -> Result<Vec<Map<String, Value>>, CkanError> {
    match json_param(call, "records")? {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                Value::Object(m) => Ok(m),
                _ => Err(invalid_field("records", Msg::new("ckan.record_object"))),
            })
            .collect(),
        Some(_) => Err(invalid_field("records", Msg::new("ckan.records_list"))),
    }
}

pub(super) async fn datastore_create(call: &Call) -> CkanResult {
    use catalog::datastore;
    let user = call.writer("datastore_create")?;
    // An existing resource, or a new one described by `resource`.
    let resource_id = match (call.str("resource_id"), json_param(call, "resource")?) {
        (Some(id), _) if !id.is_empty() => writable_resource(call, user, &id).await?.id,
        (_, Some(Value::Object(desc))) => {
            let dataset = desc.get("package_id").and_then(|v| v.as_str()).ok_or_else(|| missing("resource.package_id"))?.to_string();
            let name = desc.get("name").and_then(|v| v.as_str()).unwrap_or("datastore").to_string();
            let d = change_resources(call, user, &dataset, |list| {
                list.push(
                    json!({"name": name, "description": desc.get("description").cloned().unwrap_or(json!("")), "format": "CSV", "url": ""}),
                );
                Ok(())
            })
            .await?;
            d.resources.last().map(|r| r.id.clone()).ok_or_else(|| CkanError::Internal("the new resource is missing".into()))?
        }
        _ => return Err(missing("resource_id")),
    };
    let keys: Vec<String> = match json_param(call, "primary_key")? {
        None => Vec::new(),
        Some(Value::String(s)) => s.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(_) => return Err(invalid_field("primary_key", Msg::new("ckan.text_or_list"))),
    };
    let fields: Vec<(String, tabular::ColumnType, bool)> = match json_param(call, "fields")? {
        Some(Value::Array(a)) => a
            .iter()
            .map(|f| {
                let id = f["id"].as_str().ok_or_else(|| invalid_field("fields", Msg::new("ckan.field_id")))?.to_string();
                let ty = f.get("type").and_then(|t| t.as_str()).unwrap_or("text");
                let ty = tabular::ColumnType::from_name(ty)
                    .ok_or_else(|| invalid_field("fields", Msg::new("ckan.field_type").arg("type", ty)))?;
                let key = keys.contains(&id);
                Ok((id, ty, key))
            })
            .collect::<Result<_, CkanError>>()?,
        _ => return Err(missing("fields")),
    };
    for k in &keys {
        if !fields.iter().any(|(id, _, _)| id == k) {
            return Err(invalid_field("primary_key", Msg::new("ckan.primary_key_field").arg("key", k)));
        }
    }
    let store = &call.ctx.app.store;
    let table = datastore::create_table(store, &call.ctx.tenant.id, &resource_id, &fields).await.map_err(datastore_failure)?;
    let records = records_param(call)?;
    datastore::write_records(store, &table, &records, datastore::Method::Insert).await.map_err(datastore_failure)?;
    Ok(json!({"resource_id": resource_id, "fields": datastore::ckan_fields(&table.fields), "primary_key": keys, "records": records.len()}))
}

pub(super) async fn datastore_upsert(call: &Call) -> CkanResult {
    use catalog::datastore;
    let (id, table) = writable_table(call, "datastore_upsert").await?;
    let store = &call.ctx.app.store;
    let method = match call.str("method").as_deref().unwrap_or("upsert") {
        "upsert" => datastore::Method::Upsert,
        "insert" => datastore::Method::Insert,
        "update" => datastore::Method::Update,
        _ => return Err(invalid_field("method", Msg::new("ckan.method"))),
    };
    let records = records_param(call)?;
    let n = datastore::write_records(store, &table, &records, method).await.map_err(datastore_failure)?;
    Ok(json!({"resource_id": id, "method": call.str("method").unwrap_or_else(|| "upsert".into()), "records": n}))
}

pub(super) async fn datastore_delete(call: &Call) -> CkanResult {
    use catalog::datastore;
    let (id, table) = writable_table(call, "datastore_delete").await?;
    let store = &call.ctx.app.store;
    let filters = match json_param(call, "filters")? {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err(invalid_field("filters", Msg::new("ckan.json_object"))),
    };
    datastore::delete(store, &call.ctx.tenant.id, &table, filters.as_ref()).await.map_err(datastore_failure)?;
    Ok(json!({"resource_id": id, "filters": filters}))
}
