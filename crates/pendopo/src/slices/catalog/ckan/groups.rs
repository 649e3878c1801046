//! The organization, group and tag actions, with each list's counts of
//! public datasets.

use serde_json::{Value, json};

use super::{Call, CkanError, CkanResult};
use crate::clock::iso_utc;
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::slices::catalog;
use crate::slices::catalog::repo::{self, Viewer};
use crate::slices::catalog::search::{self, Facet, Sort};

pub fn org_dict(o: &orgs::Organization) -> Value {
    json!({
        "id": o.id, "name": o.slug, "title": o.name, "display_name": o.name, "description": o.description,
        "type": "organization", "is_organization": true, "state": "active", "image_url": "",
        "created": iso_utc(o.created_at), "approval_status": "approved",
        // Pendopo's own: what kind of agency, and its area when it has one.
        "kind": o.kind, "region_code": o.region_code,
    })
}

async fn count_datasets(call: &Call, filter: search::Filter) -> Result<i64, CkanError> {
    let query = search::Query::listing(vec![filter], Sort::NameAsc, 0, 0);
    Ok(catalog::searches(&call.ctx.app).search(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default(), &query).await?.count)
}

pub(super) async fn organization_list(call: &Call) -> CkanResult {
    let mut list = orgs::list(&call.ctx.app.store, &call.ctx.tenant.id).await?;
    // CKAN's `sort`: `name` or `title` (its default), ascending unless `desc`.
    let sort = call.str("sort").unwrap_or_else(|| "title asc".into()).to_ascii_lowercase();
    let mut words = sort.split_whitespace();
    match words.next() {
        Some("name") => list.sort_by(|a, b| a.slug.cmp(&b.slug)),
        Some("title" | "display_name") => list.sort_by_key(|o| o.name.to_lowercase()),
        _ => return Err(CkanError::Search(Msg::new("ckan.sort_unknown").arg("sort", &sort))),
    }
    if words.next() == Some("desc") {
        list.reverse();
    }
    let (limit, offset) = super::reads::page(call, 1000, 1000)?;
    let page: Vec<_> = list.into_iter().skip(offset as usize).take(limit as usize).collect();
    named_list(call, &page, |o| o.slug.clone(), org_dict, Facet::Organization).await
}

/// CKAN's list actions: the names, or with `all_fields` each dict with its
/// count of public datasets.
async fn named_list<T>(call: &Call, items: &[T], name: impl Fn(&T) -> String, dict: impl Fn(&T) -> Value, facet: Facet) -> CkanResult {
    if !call.bool("all_fields") {
        return Ok(json!(items.iter().map(&name).collect::<Vec<_>>()));
    }
    let mut out = Vec::new();
    for item in items {
        let mut d = dict(item);
        d["package_count"] = json!(count_datasets(call, search::Filter { field: facet, value: name(item) }).await?);
        out.push(d);
    }
    Ok(json!(out))
}

pub(super) async fn organization_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let org = match orgs::get(store, tenant, &id).await? {
        Some(o) => o,
        None => orgs::get_by_id(store, tenant, &id).await?.ok_or_else(|| CkanError::NotFound(Msg::new("ckan.organization_not_found")))?,
    };
    let mut d = org_dict(&org);
    d["package_count"] = json!(count_datasets(call, search::Filter { field: Facet::Organization, value: org.slug.clone() }).await?);
    if call.bool("include_datasets") {
        let filter = search::Filter { field: Facet::Organization, value: org.slug.clone() };
        d["packages"] = json!(super::reads::datasets(call, vec![filter], Sort::NameAsc, 1000, 0).await?);
    }
    Ok(d)
}

pub(super) fn group_dict(g: &repo::Group) -> Value {
    json!({"id": g.id, "name": g.name, "title": g.title, "display_name": g.title, "description": g.description, "type": "group", "is_organization": false, "state": "active"})
}

pub(super) async fn group_list(call: &Call) -> CkanResult {
    let groups = repo::groups(&call.ctx.app.store, &call.ctx.tenant.id).await?;
    named_list(call, &groups, |g| g.name.clone(), group_dict, Facet::Groups).await
}

pub(super) async fn group_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let g = repo::group(&call.ctx.app.store, &call.ctx.tenant.id, &id)
        .await?
        .ok_or_else(|| CkanError::NotFound(Msg::new("ckan.group_not_found")))?;
    let mut d = group_dict(&g);
    let filter = search::Filter { field: Facet::Groups, value: g.name.clone() };
    d["package_count"] = json!(count_datasets(call, filter.clone()).await?);
    if call.bool("include_datasets") {
        d["packages"] = json!(super::reads::datasets(call, vec![filter], Sort::NameAsc, 1000, 0).await?);
    }
    Ok(d)
}
