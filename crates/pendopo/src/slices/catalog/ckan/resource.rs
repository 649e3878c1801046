//! The resource actions: show, create, update (a link, or an uploaded file
//! as a new version) and delete, and the resource dict.

use serde_json::{Value, json};

use super::package::dataset_input;
use super::{Call, CkanError, CkanResult, catalog_error, invalid_field, missing, not_found, resource_not_found};
use crate::clock::iso_utc;
use crate::kernel::identity::User;
use crate::slices::catalog;
use crate::slices::catalog::repo::{self, Dataset, Viewer};

pub fn resource_dict(r: &repo::Resource, base: &str) -> Value {
    let url = if r.url_type == "upload" { format!("{base}{}", r.url) } else { r.url.clone() };
    json!({
        "id": r.id, "package_id": r.dataset_id, "name": r.name, "description": r.description, "format": r.format,
        "url": url, "url_type": if r.url_type.is_empty() { Value::Null } else { json!(r.url_type) },
        "size": r.size, "hash": r.hash, "position": r.position, "state": "active",
        "created": iso_utc(r.created_at), "last_modified": iso_utc(r.modified_at), "datastore_active": r.datastore_active,
    })
}

pub(super) async fn resource_show(call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let r = repo::resource(store, tenant, &id).await?.ok_or_else(|| resource_not_found(&id))?;
    // A resource is as visible as its dataset.
    match repo::get(store, tenant, &r.dataset_id, &call.viewer()).await? {
        Some(_) => Ok(resource_dict(&r, &call.base)),
        None => Err(resource_not_found(&id)),
    }
}

/// The uploaded file as a resource (new, or a new version of `resource_id`).
pub(super) async fn store_upload(call: &Call, user: &User, dataset: &str, resource_id: Option<String>) -> CkanResult {
    let Some(super::Upload { filename, saved, .. }) = call.upload.clone() else { return Err(missing("upload")) };
    let up = repo::Upload {
        resource_id,
        name: call.str("name").unwrap_or_default(),
        description: call.str("description").unwrap_or_default(),
        format: call.str("format").unwrap_or_default(),
        filename,
        saved,
    };
    let app = &call.ctx.app;
    match catalog::intake::accept(&app.store, &app.files, &call.ctx.tenant.id, user, dataset, up).await {
        Ok((r, _)) => Ok(resource_dict(&r, &call.base)),
        Err(catalog::intake::IntakeError::Rejected(e)) => Err(invalid_field("upload", catalog::resources::rejected_msg(&e))),
        Err(catalog::intake::IntakeError::Catalog(e)) => Err(catalog_error(e, "resource_create")),
    }
}

/// Applies a change to a dataset's resource list through package_update's path.
pub(super) async fn change_resources(
    call: &Call,
    user: &User,
    dataset: &str,
    change: impl FnOnce(&mut Vec<Value>) -> Result<(), CkanError>,
) -> Result<Dataset, CkanError> {
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let d = repo::get(store, tenant, dataset, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    let mut input = repo::as_input(&d);
    let list = input["resources"].as_array_mut().expect("as_input lists resources");
    change(list)?;
    let input = dataset_input(input.as_object().cloned().unwrap_or_default())?;
    repo::update(store, tenant, user, &d.id, &input).await.map_err(|e| catalog_error(e, "resource_update"))
}

pub(super) async fn resource_create(call: &Call) -> CkanResult {
    let user = call.writer("resource_create")?;
    let dataset = call.required("package_id")?;
    if call.upload.is_some() {
        return store_upload(call, user, &dataset, None).await;
    }
    let url = call.required("url")?;
    let new = json!({"name": call.str("name").unwrap_or_default(), "description": call.str("description").unwrap_or_default(), "format": call.str("format").unwrap_or_default(), "url": url});
    let d = change_resources(call, user, &dataset, |list| {
        list.push(new);
        Ok(())
    })
    .await?;
    let r = d.resources.last().ok_or_else(|| CkanError::Internal("the new resource is missing".into()))?;
    Ok(resource_dict(r, &call.base))
}

pub(super) async fn resource_update(call: &Call) -> CkanResult {
    let user = call.writer("resource_update")?;
    let id = call.required("id")?;
    let store = &call.ctx.app.store;
    let r = repo::resource(store, &call.ctx.tenant.id, &id).await?.ok_or_else(|| resource_not_found(&id))?;
    if call.upload.is_some() {
        return store_upload(call, user, &r.dataset_id, Some(id)).await;
    }
    let fields: Vec<(&str, Option<String>)> = ["name", "description", "format", "url"].iter().map(|k| (*k, call.str(k))).collect();
    let d = change_resources(call, user, &r.dataset_id, |list| {
        let item = list.iter_mut().find(|x| x["id"] == id.as_str()).ok_or_else(|| resource_not_found(&id))?;
        for (k, v) in fields {
            if let Some(v) = v {
                item[k] = json!(v);
            }
        }
        Ok(())
    })
    .await?;
    let r = d.resources.iter().find(|x| x.id == id).ok_or_else(|| resource_not_found(&id))?;
    Ok(resource_dict(r, &call.base))
}

pub(super) async fn resource_delete(call: &Call) -> CkanResult {
    let user = call.writer("resource_delete")?;
    let id = call.required("id")?;
    repo::delete_resource(&call.ctx.app.store, &call.ctx.tenant.id, user, &id).await.map_err(|e| catalog_error(e, "resource_delete"))?;
    Ok(Value::Null)
}
