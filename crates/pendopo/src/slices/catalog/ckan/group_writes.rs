//! The organization, group and member writes: what `ckanapi load
//! organizations|groups` calls (create, or update with the id it found),
//! and the rest of CKAN's set (patch, delete, purge, member_create and
//! member_delete for a dataset in a group).
//!
//! Organisations are the region's agencies (the kernel's): the walidata
//! makes and removes them, an agency's admin may edit its own. Groups are
//! the walidata's. A copy keeps the ids it is given, so the datasets loaded
//! after them find their owner and groups.

use serde_json::{Map, Value, json};

use super::groups::{group_dict, org_dict};
use super::{Call, CkanError, CkanResult, catalog_error, invalid_field, missing, not_found};
use crate::kernel::msg::Msg;
use crate::kernel::organizations::{self as orgs, OrgError, OrgInput, Organization};
use crate::slices::catalog::model;
use crate::slices::catalog::repo::{self, GroupInput};

/// A parameter as text (CKAN clients send numbers and text alike).
fn text(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An id a client chose, if it gave one: a UUID, as CKAN makes them.
fn chosen_id(params: &Map<String, Value>) -> Result<Option<String>, CkanError> {
    match text(params, "id").filter(|id| !id.is_empty()) {
        Some(id) if model::valid_uuid(&id) => Ok(Some(id)),
        Some(_) => Err(invalid_field("id", Msg::new("catalog.id_invalid"))),
        None => Ok(None),
    }
}

/// A patch: the current dict (with its id) and the given fields over it.
fn patched(current: Value, params: &Map<String, Value>) -> Map<String, Value> {
    let Value::Object(mut merged) = current else { unreachable!("the dicts are objects") };
    merged.extend(params.iter().filter(|(k, _)| k.as_str() != "id").map(|(k, v)| (k.clone(), v.clone())));
    merged
}

fn org_not_found() -> CkanError {
    CkanError::NotFound(Msg::new("ckan.organization_not_found"))
}

fn group_not_found() -> CkanError {
    CkanError::NotFound(Msg::new("ckan.group_not_found"))
}

fn not_authorized(action: &str) -> CkanError {
    CkanError::Authorization(Msg::new("ckan.not_authorized").arg("action", action))
}

/// The organisation `id` names (by id or name), whoever asks.
async fn find_org(call: &Call, key: &str) -> Result<Organization, CkanError> {
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    match orgs::get(store, tenant, key).await? {
        Some(o) => Ok(o),
        None => orgs::get_by_id(store, tenant, key).await?.ok_or_else(org_not_found),
    }
}

/// CKAN's organization dict as the kernel's fields: `name` is the short
/// name, `title` the full one; the kind and region are Pendopo's own and
/// stay as they were when not given (a new one is of kind `lainnya`).
fn org_input(params: &Map<String, Value>, current: Option<&Organization>) -> OrgInput {
    let slug = text(params, "name").unwrap_or_default();
    let given = |key: &str| text(params, key).filter(|v| !v.trim().is_empty());
    OrgInput {
        name: given("title").unwrap_or_else(|| slug.clone()),
        kind: given("kind").or_else(|| current.map(|o| o.kind.clone())).unwrap_or_else(|| "lainnya".into()),
        description: text(params, "description").unwrap_or_default(),
        region_code: match params.get("region_code") {
            Some(_) => text(params, "region_code"),
            None => current.and_then(|o| o.region_code.clone()),
        },
        slug,
    }
}

fn org_error(e: OrgError) -> CkanError {
    match e {
        // The kernel's field names, as CKAN's dict names them.
        OrgError::Invalid(field, m) => invalid_field(
            match field {
                "slug" => "name",
                "name" => "title",
                other => other,
            },
            m,
        ),
        OrgError::Store(crate::store::StoreError::NotFound) => org_not_found(),
        OrgError::Store(e) => e.into(),
    }
}

pub(super) async fn organization_create(call: &Call) -> CkanResult {
    let user = call.writer("organization_create")?;
    if !user.is_region_admin() {
        return Err(not_authorized("organization_create"));
    }
    let id = chosen_id(&call.params)?;
    if text(&call.params, "name").is_none_or(|n| n.is_empty()) {
        return Err(missing("name"));
    }
    let input = org_input(&call.params, None);
    let org = orgs::create_with_id(&call.ctx.app.store, &call.ctx.tenant.id, id.as_deref(), &input).await.map_err(org_error)?;
    Ok(org_dict(&org))
}

/// `organization_update` (`patch` false: the dict given is the whole) and
/// `organization_patch` (the given fields over the current dict), by the
/// organisation's own rule: the walidata, or the agency's own admin.
pub(super) async fn organization_write(call: &Call, action: &str, patch: bool) -> CkanResult {
    let user = call.writer(action)?;
    let current = find_org(call, &call.required("id")?).await?;
    let params = if patch { patched(org_dict(&current), &call.params) } else { call.params.clone() };
    if !user.can_edit_org(&current.id) {
        return Err(not_authorized(action));
    }
    if text(&params, "name").is_none_or(|n| n.is_empty()) {
        return Err(missing("name"));
    }
    let input = org_input(&params, Some(&current));
    let org = orgs::update(&call.ctx.app.store, &call.ctx.tenant.id, &current.slug, &input).await.map_err(org_error)?;
    Ok(org_dict(&org))
}

/// `organization_delete` and `organization_purge`: Pendopo keeps no
/// deleted agencies, so both remove one that nothing belongs to any more.
pub(super) async fn organization_delete(call: &Call) -> CkanResult {
    let user = call.writer("organization_delete")?;
    let org = find_org(call, &call.required("id")?).await?;
    if !user.is_region_admin() {
        return Err(not_authorized("organization_delete"));
    }
    orgs::delete(&call.ctx.app.store, &call.ctx.tenant.id, &org.id).await.map_err(org_error)?;
    Ok(Value::Null)
}

fn group_input(params: &Map<String, Value>) -> GroupInput {
    GroupInput {
        id: None,
        name: text(params, "name").unwrap_or_default(),
        title: text(params, "title").unwrap_or_default(),
        description: text(params, "description").unwrap_or_default(),
    }
}

pub(super) async fn group_create(call: &Call) -> CkanResult {
    let user = call.writer("group_create")?;
    // The id's shape is checked with the rest, after who may create groups.
    let input = GroupInput { id: text(&call.params, "id").filter(|id| !id.is_empty()), ..group_input(&call.params) };
    let g =
        repo::create_group(&call.ctx.app.store, &call.ctx.tenant.id, user, &input).await.map_err(|e| catalog_error(e, "group_create"))?;
    Ok(group_dict(&g))
}

/// `group_update` and `group_patch`, as for organisations; the groups are
/// the walidata's.
pub(super) async fn group_write(call: &Call, action: &str, patch: bool) -> CkanResult {
    let user = call.writer(action)?;
    let key = call.required("id")?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let current = repo::group(store, tenant, &key).await?.ok_or_else(group_not_found)?;
    let params = if patch { patched(group_dict(&current), &call.params) } else { call.params.clone() };
    let g = repo::update_group(store, tenant, user, &current.id, &group_input(&params)).await.map_err(|e| catalog_error(e, action))?;
    Ok(group_dict(&g))
}

/// `group_delete` and `group_purge`: the group goes, its datasets stay.
pub(super) async fn group_delete(call: &Call) -> CkanResult {
    let user = call.writer("group_delete")?;
    let key = call.required("id")?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    repo::group(store, tenant, &key).await?.ok_or_else(group_not_found)?;
    repo::delete_group(store, tenant, user, &key).await.map_err(|e| catalog_error(e, "group_delete"))?;
    Ok(Value::Null)
}

/// What a member call names: the group or organisation, the object, its kind.
struct Member {
    group: String,
    object: String,
    kind: String,
}

fn member(call: &Call) -> Result<Member, CkanError> {
    let kind = call.required("object_type")?;
    if !matches!(kind.as_str(), "package" | "user") {
        return Err(invalid_field("object_type", Msg::new("ckan.member_type")));
    }
    Ok(Member { group: call.required("id")?, object: call.required("object")?, kind })
}

/// A member of an organisation rather than a group: a dataset already
/// belongs to its own (its `owner_org` says which), and people join an
/// agency through Pendopo's user administration.
async fn org_member(call: &Call, m: &Member) -> Result<Option<Value>, CkanError> {
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    if repo::group(store, tenant, &m.group).await?.is_some() {
        return Ok(None);
    }
    let org = find_org(call, &m.group).await.map_err(|_| group_not_found())?;
    if m.kind == "user" {
        return Err(invalid_field("object_type", Msg::new("ckan.member_user")));
    }
    let d = repo::get(store, tenant, &m.object, &call.viewer()).await?.ok_or_else(not_found)?;
    if d.org.id != org.id {
        return Err(invalid_field("object", Msg::new("ckan.member_owner_org")));
    }
    Ok(Some(member_dict(&org.id, &d.id, call)))
}

fn member_dict(group_id: &str, dataset_id: &str, call: &Call) -> Value {
    json!({"table_name": "package", "table_id": dataset_id, "group_id": group_id,
           "capacity": call.str("capacity").unwrap_or_else(|| "public".into()), "state": "active"})
}

pub(super) async fn member_create(call: &Call) -> CkanResult {
    let user = call.writer("member_create")?;
    let m = member(call)?;
    if let Some(done) = org_member(call, &m).await? {
        return Ok(done);
    }
    if m.kind == "user" {
        return Err(invalid_field("object_type", Msg::new("ckan.member_user")));
    }
    let (g, dataset) = repo::add_to_group(&call.ctx.app.store, &call.ctx.tenant.id, user, &m.group, &m.object)
        .await
        .map_err(|e| catalog_error(e, "member_create"))?;
    Ok(member_dict(&g.id, &dataset, call))
}

pub(super) async fn member_delete(call: &Call) -> CkanResult {
    let user = call.writer("member_delete")?;
    let m = member(call)?;
    if org_member(call, &m).await?.is_some() {
        // A dataset cannot leave its own organisation: it moves to another.
        return Err(invalid_field("object", Msg::new("ckan.member_owner_org")));
    }
    if m.kind == "user" {
        return Err(invalid_field("object_type", Msg::new("ckan.member_user")));
    }
    repo::remove_from_group(&call.ctx.app.store, &call.ctx.tenant.id, user, &m.group, &m.object)
        .await
        .map_err(|e| catalog_error(e, "member_delete"))?;
    Ok(Value::Null)
}
