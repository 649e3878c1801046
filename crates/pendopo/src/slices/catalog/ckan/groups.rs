//! The organization, group and tag actions, with each list's counts of
//! public datasets.

use serde_json::{Value, json};

use super::package::package_dict;
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
    })
}

async fn count_datasets(call: &Call, filter: search::Filter) -> Result<i64, CkanError> {
    let query = search::Query {
        q_clauses: None,
        fq: Vec::new(),
        q: String::new(),
        filters: vec![filter],
        sort: Sort::NameAsc,
        rows: 0,
        start: 0,
        facets: vec![],
        facet_limit: 1,
    };
    Ok(catalog::searches(&call.ctx.app).search(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default(), &query).await?.count)
}

pub(super) async fn organization_list(call: &Call) -> CkanResult {
    let list = orgs::list(&call.ctx.app.store, &call.ctx.tenant.id).await?;
    named_list(call, &list, |o| o.slug.clone(), org_dict, Facet::Organization).await
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
        let query = search::Query {
            q_clauses: None,
            fq: Vec::new(),
            q: String::new(),
            filters: vec![search::Filter { field: Facet::Organization, value: org.slug.clone() }],
            sort: Sort::NameAsc,
            rows: 1000,
            start: 0,
            facets: vec![],
            facet_limit: 1,
        };
        let found = catalog::searches(&call.ctx.app).search(store, tenant, &Viewer::default(), &query).await?;
        d["packages"] =
            json!(repo::get_many(store, tenant, &found.ids).await?.iter().map(|p| package_dict(p, &call.base)).collect::<Vec<_>>());
    }
    Ok(d)
}

fn group_dict(g: &repo::Group) -> Value {
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
    d["package_count"] = json!(count_datasets(call, search::Filter { field: Facet::Groups, value: g.name.clone() }).await?);
    Ok(d)
}

pub(super) async fn tag_list(call: &Call) -> CkanResult {
    let tags = repo::tags(&call.ctx.app.store, &call.ctx.tenant.id, &Viewer::default()).await?;
    let q = call.str("query").map(|q| q.to_lowercase());
    Ok(json!(tags.into_iter().filter(|t| q.as_ref().is_none_or(|q| t.to_lowercase().contains(q))).collect::<Vec<_>>()))
}
