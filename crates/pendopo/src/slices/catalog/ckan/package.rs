//! The package (dataset) actions: list, show, search, create, update, patch,
//! delete and purge, and the package dict they answer with.

use serde_json::{Map, Value, json};

use super::groups::org_dict;
use super::resource::resource_dict;
use super::{Call, CkanError, CkanResult, catalog_error, invalid_field, not_found};
use crate::clock::iso_utc;
use crate::kernel::msg::Msg;
use crate::slices::catalog;
use crate::slices::catalog::model::{self, DatasetInput};
use crate::slices::catalog::repo::{self, Dataset, Viewer};
use crate::slices::catalog::search::{self, Facet, Sort};
use crate::slices::catalog::solr;

pub fn package_dict(d: &Dataset, base: &str) -> Value {
    let license = model::license(&d.license_id);
    let mut dict = json!({
        "id": d.id, "name": d.name, "title": d.title, "notes": d.notes, "type": "dataset",
        "license_id": d.license_id, "license_title": license.map(|l| l.title), "license_url": license.map(|l| l.url),
        "owner_org": d.org.id, "organization": org_dict(&d.org), "private": d.private,
        "state": d.state.ckan(), "satudata_state": d.state.as_str(), "review_notes": d.review_notes,
        "tags": d.tags.iter().map(|t| json!({"name": t, "display_name": t, "state": "active"})).collect::<Vec<_>>(),
        "num_tags": d.tags.len(),
        "groups": d.groups.iter().map(|g| json!({"id": g.id, "name": g.name, "title": g.title, "display_name": g.title, "description": g.description})).collect::<Vec<_>>(),
        "extras": d.extras, "satudata": d.satudata,
        "resources": d.resources.iter().map(|r| resource_dict(r, base)).collect::<Vec<_>>(),
        "num_resources": d.resources.len(),
        "metadata_created": iso_utc(d.created_at), "metadata_modified": iso_utc(d.updated_at),
    });
    if let Value::Object(fields) = &mut dict {
        fields.extend(d.core.as_ckan());
    }
    dict
}

pub(super) async fn package_list(call: &Call) -> CkanResult {
    // CKAN lists public datasets only, whoever asks.
    let limit = call.int("limit", 1000)?.clamp(0, 100_000);
    let offset = call.int("offset", 0)?.max(0);
    Ok(json!(repo::names(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default(), limit, offset).await?))
}

pub(super) async fn package_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    // A deleted dataset stays readable to the walidata until it is purged.
    match repo::get_shown(&call.ctx.app.store, &call.ctx.tenant.id, &id, &call.viewer()).await? {
        Some(d) => Ok(package_dict(&d, &call.base)),
        None => Err(not_found()),
    }
}

pub(super) fn dataset_input(params: Map<String, Value>) -> Result<DatasetInput, CkanError> {
    serde_json::from_value(Value::Object(params)).map_err(|e| invalid_field("__junk", Msg::new("catalog.input_shape").arg("detail", e)))
}

pub(super) async fn package_create(call: &Call) -> CkanResult {
    let user = call.writer("package_create")?;
    let input = dataset_input(call.params.clone())?;
    let d = repo::create(&call.ctx.app.store, &call.ctx.tenant.id, user, &input).await.map_err(|e| catalog_error(e, "package_create"))?;
    Ok(package_dict(&d, &call.base))
}

pub(super) async fn package_update(call: &Call) -> CkanResult {
    let user = call.writer("package_update")?;
    let id = call.required("id")?;
    let input = dataset_input(call.params.clone())?;
    let d =
        repo::update(&call.ctx.app.store, &call.ctx.tenant.id, user, &id, &input).await.map_err(|e| catalog_error(e, "package_update"))?;
    Ok(package_dict(&d, &call.base))
}

pub(super) async fn package_patch(call: &Call) -> CkanResult {
    let user = call.writer("package_patch")?;
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let current = repo::get(store, &call.ctx.tenant.id, &id, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    let Value::Object(mut merged) = repo::as_input(&current) else { unreachable!("as_input builds an object") };
    for (k, v) in call.params.iter().filter(|(k, _)| k.as_str() != "id") {
        merged.insert(k.clone(), v.clone());
    }
    let input = dataset_input(merged)?;
    let d = repo::update(store, &call.ctx.tenant.id, user, &current.id, &input).await.map_err(|e| catalog_error(e, "package_patch"))?;
    Ok(package_dict(&d, &call.base))
}

pub(super) async fn package_delete(call: &Call) -> CkanResult {
    let user = call.writer("package_delete")?;
    let id = call.required("id")?;
    repo::delete(&call.ctx.app.store, &call.ctx.tenant.id, user, &id).await.map_err(|e| catalog_error(e, "package_delete"))?;
    Ok(Value::Null)
}

/// CKAN's `dataset_purge`: the dataset and everything of it removed for
/// good, so its name can be used again (the walidata's, as CKAN's sysadmin's).
pub(super) async fn dataset_purge(call: &Call) -> CkanResult {
    let user = call.writer("dataset_purge")?;
    let id = call.required("id")?;
    let app = &call.ctx.app;
    repo::purge(&app.store, &app.files, &call.ctx.tenant.id, user, &id).await.map_err(|e| catalog_error(e, "dataset_purge"))?;
    Ok(Value::Null)
}

pub(super) async fn package_search(call: &Call) -> CkanResult {
    let q = call.str("q").unwrap_or_default();
    let now = call.ctx.app.store.now_ms();
    // Plain words are ranked text search; anything else is CKAN's query language.
    let q_clauses = match q.trim() {
        "" | "*:*" => None,
        words if solr::is_plain_words(words) => None,
        query => Some(solr::parse(query, now).map_err(CkanError::Search)?),
    };
    let fq = solr::parse(&call.str("fq").unwrap_or_default(), now).map_err(CkanError::Search)?;
    let sort = match call.str("sort") {
        Some(s) if !s.trim().is_empty() => {
            Sort::parse(&s).ok_or_else(|| CkanError::Search(Msg::new("ckan.sort_unknown").arg("sort", &s)))?
        }
        _ if q.trim().is_empty() || q.trim() == "*:*" => Sort::ModifiedDesc,
        _ => Sort::Relevance,
    };
    let rows = call.int("rows", 10)?;
    if !(0..=1000).contains(&rows) {
        return Err(invalid_field("rows", Msg::new("ckan.between").arg("max", 1000)));
    }
    let start = call.int("start", 0)?.max(0);
    let facets = match call.json_list("facet.field")? {
        Some(names) => names
            .iter()
            .map(|n| Facet::parse(n).ok_or_else(|| CkanError::Search(Msg::new("ckan.facet_unknown").arg("facet", n))))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let facet_limit = match call.int("facet.limit", 50)? {
        n if n < 0 => 1000,
        n => n,
    };
    // Private and unpublished datasets only when asked for, and only those
    // the caller may see.
    let viewer = if call.bool("include_private") { call.viewer() } else { Viewer::default() };
    let query = search::Query { q, q_clauses, fq, filters: Vec::new(), sort, rows, start, facets, facet_limit };
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let found = catalog::searches(&call.ctx.app).search(store, tenant, &viewer, &query).await?;
    let results: Vec<Value> = repo::get_many(store, tenant, &found.ids).await?.iter().map(|d| package_dict(d, &call.base)).collect();
    let mut search_facets = Map::new();
    let mut facets_legacy = Map::new();
    for (field, items) in &found.facets {
        let mut out = Vec::new();
        let mut legacy = Map::new();
        for item in items {
            out.push(json!({"name": item.name, "display_name": item.label, "count": item.count}));
            legacy.insert(item.name.clone(), json!(item.count));
        }
        search_facets.insert(field.to_string(), json!({"title": field, "items": out}));
        facets_legacy.insert(field.to_string(), Value::Object(legacy));
    }
    Ok(
        json!({"count": found.count, "results": results, "sort": call.str("sort").unwrap_or_else(|| "score desc, metadata_modified desc".into()), "facets": facets_legacy, "search_facets": search_facets}),
    )
}
