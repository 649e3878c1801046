//! The read actions CKAN clients call besides search and show: the site,
//! tags, autocompletion, the newest datasets with their resources, the
//! agencies a user may write for, the activity stream of changes, users
//! (for the signed in), resource search and a datastore table's info. Each
//! sees only what the caller may see (the public, unless signed in).

use serde_json::{Value, json};

use super::package::package_dict;
use super::{Call, CkanError, CkanResult};
use crate::clock::iso_utc;
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::slices::catalog;
use crate::slices::catalog::repo::{self, Viewer};
use crate::slices::catalog::search::{self, Facet, Sort};

pub(super) async fn site_read(_: &Call) -> CkanResult {
    Ok(json!(true))
}

/// `limit` (up to `max`) and `offset`.
pub(super) fn page(call: &Call, default: i64, max: i64) -> Result<(i64, i64), CkanError> {
    Ok((call.int("limit", default)?.clamp(0, max), call.int("offset", 0)?.max(0)))
}

/// The datasets the caller may see, by `sort`, as page `rows` from `start`.
pub(super) async fn datasets(
    call: &Call,
    filters: Vec<search::Filter>,
    sort: Sort,
    rows: i64,
    start: i64,
) -> Result<Vec<Value>, CkanError> {
    let query = search::Query::listing(filters, sort, rows, start);
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let found = catalog::searches(&call.ctx.app).search(store, tenant, &call.viewer(), &query).await?;
    Ok(repo::get_many(store, tenant, &found.ids).await?.iter().map(|d| package_dict(d, &call.base)).collect())
}

pub(super) async fn current_package_list_with_resources(call: &Call) -> CkanResult {
    let (limit, offset) = page(call, 100, 1000)?;
    Ok(json!(datasets(call, vec![], Sort::ModifiedDesc, limit, offset).await?))
}

fn tag_dict(name: &str) -> Value {
    json!({"id": name, "name": name, "display_name": name, "vocabulary_id": null})
}

pub(super) async fn tag_show(call: &Call) -> CkanResult {
    let name = call.required("id")?;
    let tags = repo::tags(&call.ctx.app.store, &call.ctx.tenant.id, &call.viewer()).await?;
    if !tags.contains(&name) {
        return Err(CkanError::NotFound(Msg::new("ckan.tag_not_found").arg("tag", &name)));
    }
    let mut d = tag_dict(&name);
    if call.bool("include_datasets") {
        d["packages"] = json!(datasets(call, vec![search::Filter { field: Facet::Tags, value: name }], Sort::NameAsc, 1000, 0).await?);
    }
    Ok(d)
}

pub(super) async fn tag_list(call: &Call) -> CkanResult {
    let tags = repo::tags(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default()).await?;
    let q = call.str("query").map(|q| q.to_lowercase());
    let tags = tags.into_iter().filter(|t| q.as_ref().is_none_or(|q| t.to_lowercase().contains(q)));
    if call.bool("all_fields") { Ok(json!(tags.map(|t| tag_dict(&t)).collect::<Vec<_>>())) } else { Ok(json!(tags.collect::<Vec<_>>())) }
}

/// What an autocompletion looks for: `q` (or `incomplete`), lowercased.
fn typed(call: &Call) -> String {
    call.str("q").or_else(|| call.str("incomplete")).unwrap_or_default().trim().to_lowercase()
}

pub(super) async fn package_autocomplete(call: &Call) -> CkanResult {
    let q = typed(call);
    let limit = call.int("limit", 10)?;
    let found = repo::autocomplete(&call.ctx.app.store, &call.ctx.tenant.id, &call.viewer(), &q, limit).await?;
    Ok(json!(
        found
            .into_iter()
            .map(|(name, title)| {
                let by_name = name.to_lowercase().contains(&q);
                json!({"name": name, "title": title, "match_field": if by_name { "name" } else { "title" },
                       "match_displayed": if by_name { name.clone() } else { title.clone() }})
            })
            .collect::<Vec<_>>()
    ))
}

pub(super) async fn tag_autocomplete(call: &Call) -> CkanResult {
    let q = typed(call);
    let limit = call.int("limit", 10)?.clamp(0, 100) as usize;
    let tags = repo::tags(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default()).await?;
    Ok(json!(tags.into_iter().filter(|t| t.to_lowercase().contains(&q)).take(limit).collect::<Vec<_>>()))
}

/// Formats of the public datasets' resources, most used first.
pub(super) async fn format_autocomplete(call: &Call) -> CkanResult {
    let q = typed(call);
    let limit = call.int("limit", 5)?.clamp(0, 100) as usize;
    let query = search::Query { facets: vec![Facet::ResFormat], facet_limit: 1000, ..search::Query::listing(vec![], Sort::NameAsc, 0, 0) };
    let found = catalog::searches(&call.ctx.app).search(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default(), &query).await?;
    let formats = found.facets.get(Facet::ResFormat.name()).into_iter().flatten().map(|f| f.name.clone());
    Ok(json!(formats.filter(|f| f.to_lowercase().contains(&q)).take(limit).collect::<Vec<_>>()))
}

pub(super) async fn organization_autocomplete(call: &Call) -> CkanResult {
    let q = typed(call);
    let limit = call.int("limit", 20)?.clamp(0, 100) as usize;
    let list = orgs::list(&call.ctx.app.store, &call.ctx.tenant.id).await?;
    let hits = list.iter().filter(|o| o.slug.contains(&q) || o.name.to_lowercase().contains(&q)).take(limit);
    Ok(json!(hits.map(|o| json!({"id": o.id, "name": o.slug, "title": o.name})).collect::<Vec<_>>()))
}

/// The agencies the caller may publish for; nobody's for a stranger.
pub(super) async fn organization_list_for_user(call: &Call) -> CkanResult {
    let Some(user) = &call.ctx.user else { return Ok(json!([])) };
    let mine = crate::kernel::access::writable_orgs(&call.ctx.app.store, &call.ctx.tenant.id, user).await?;
    Ok(json!(mine.iter().map(super::groups::org_dict).collect::<Vec<_>>()))
}

/// One change as CKAN's activity stream shows it. Who made it is named
/// only to a signed-in caller; the public sees that it changed, and when.
fn activity_dict(call: &Call, c: &repo::Change) -> Value {
    let kind = match c.action.as_str() {
        "created" => "new package",
        "deleted" => "deleted package",
        _ => "changed package",
    };
    let signed_in = call.ctx.user.is_some();
    json!({
        "id": c.id, "timestamp": iso_utc(c.at), "activity_type": kind, "object_id": c.dataset_id,
        "user_id": if signed_in { json!(c.user_id) } else { Value::Null },
        "user_name": if signed_in { json!(c.user_name) } else { Value::Null },
        "data": {"package": {"id": c.dataset_id, "name": c.dataset_name, "title": c.dataset_title}, "action": c.action},
    })
}

pub(super) async fn package_activity_list(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let d = repo::get(store, tenant, &id, &call.viewer()).await?.ok_or_else(super::not_found)?;
    let (limit, offset) = page(call, 31, 100)?;
    let changes = repo::changes(store, tenant, &call.viewer(), Some(&d.id), limit, offset).await?;
    Ok(json!(changes.iter().map(|c| activity_dict(call, c)).collect::<Vec<_>>()))
}

pub(super) async fn recently_changed_packages_activity_list(call: &Call) -> CkanResult {
    let (limit, offset) = page(call, 31, 100)?;
    let changes = repo::changes(&call.ctx.app.store, &call.ctx.tenant.id, &call.viewer(), None, limit, offset).await?;
    Ok(json!(changes.iter().map(|c| activity_dict(call, c)).collect::<Vec<_>>()))
}

/// A user as CKAN shows one; the e-mail only to region admins and to the
/// user themself.
fn user_dict(call: &Call, u: &crate::kernel::identity::User) -> Value {
    let caller = call.ctx.user.as_ref();
    let shows_email = caller.is_some_and(|c| c.is_region_admin() || c.id == u.id);
    json!({
        "id": u.id, "name": u.id, "fullname": u.name, "display_name": u.name, "created": iso_utc(u.created_at),
        "state": if u.disabled { "deleted" } else { "active" }, "sysadmin": u.role == crate::kernel::identity::Role::Sysadmin,
        "email": if shows_email { json!(u.email) } else { Value::Null },
    })
}

/// Users are shown to signed-in callers only, as CKAN does by default
/// since 2.10 (`ckan.auth.public_user_details = false`).
fn signed_in(call: &Call, action: &str) -> Result<(), CkanError> {
    match call.ctx.user {
        Some(_) => Ok(()),
        None => Err(super::needs_sign_in(action)),
    }
}

pub(super) async fn user_show(call: &Call) -> CkanResult {
    signed_in(call, "user_show")?;
    let id = call.required("id")?;
    let u = crate::kernel::identity::get_user(&call.ctx.app.store, &call.ctx.tenant.id, &id)
        .await?
        .ok_or_else(|| CkanError::NotFound(Msg::new("ckan.user_not_found")))?;
    Ok(user_dict(call, &u))
}

pub(super) async fn user_list(call: &Call) -> CkanResult {
    signed_in(call, "user_list")?;
    let q = call.str("q").unwrap_or_default().to_lowercase();
    let users = crate::kernel::identity::list_users(&call.ctx.app.store, &call.ctx.tenant.id, None).await?;
    let shown = users.iter().filter(|u| q.is_empty() || u.name.to_lowercase().contains(&q));
    Ok(json!(shown.map(|u| user_dict(call, u)).collect::<Vec<_>>()))
}

/// CKAN's `resource_search`: `query` is `field:text` (or a list of them),
/// every one required, on a resource's name, description, format or url.
pub(super) async fn resource_search(call: &Call) -> CkanResult {
    let queries: Vec<String> = match call.params.get("query") {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => call.str("query").into_iter().collect(),
    };
    let mut terms = Vec::new();
    for q in &queries {
        let (field, text) =
            q.split_once(':').ok_or_else(|| super::invalid_field("query", Msg::new("ckan.resource_query").arg("query", q)))?;
        let field = repo::SEARCHABLE
            .iter()
            .find(|f| **f == field.trim())
            .ok_or_else(|| super::invalid_field("query", Msg::new("ckan.resource_field").arg("field", field)))?;
        terms.push((*field, text.trim().to_string()));
    }
    let (limit, offset) = page(call, 100, 1000)?;
    let store = &call.ctx.app.store;
    let (count, found) = repo::search_resources(store, &call.ctx.tenant.id, &call.viewer(), &terms, limit, offset).await?;
    let results: Vec<Value> = found.iter().map(|r| super::resource::resource_dict(r, &call.base)).collect();
    Ok(json!({"count": count, "results": results}))
}

/// CKAN's `datastore_info`: a table's size and its columns with their types.
pub(super) async fn datastore_info(call: &Call) -> CkanResult {
    let id = call.required("id").or_else(|_| call.required("resource_id"))?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let not_found = || super::resource_not_found(&id);
    let r = repo::resource(store, tenant, &id).await?.ok_or_else(not_found)?;
    repo::get(store, tenant, &r.dataset_id, &call.viewer()).await?.ok_or_else(not_found)?;
    let table = catalog::datastore::table(store, tenant, &id).await?.ok_or_else(not_found)?;
    let fields: Vec<Value> =
        table.fields.iter().map(|f| json!({"id": f.id, "type": f.ckan_type(), "schema": {"native_type": f.ckan_type()}})).collect();
    Ok(json!({
        "meta": {"id": id, "count": table.row_count, "table_type": "BASE TABLE", "aliases": [], "last_modified": iso_utc(table.updated_at)},
        "fields": fields,
    }))
}
