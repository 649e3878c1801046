//! The catalogue's groups (the six smart city groups to begin with) and the
//! tags in use.

use serde::Serialize;

use super::history::activity;
use super::{CatalogError, Viewer, commit, index_dataset, invalid};
use crate::kernel::access;
use crate::kernel::identity::{User, new_id};
use crate::kernel::msg::Msg;
use crate::slices::catalog::model::{self, FieldErrors};
use crate::store::{Row, Store, StoreError, Tx, sql, sql_built};

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
}

pub(super) fn group_from_row(r: &Row) -> Result<Group, StoreError> {
    Ok(Group { id: r.get("id")?, name: r.get("name")?, title: r.get("title")?, description: r.get("description")? })
}

/// Creates the six smart city groups for a region that has none.
pub async fn ensure_default_groups(store: &Store, tenant: &str) -> Result<(), StoreError> {
    let n: i64 = store.fetch_scalar(sql("SELECT count(*) FROM catalog_groups WHERE tenant_id = $1").bind(tenant)).await?;
    if n > 0 {
        return Ok(());
    }
    for (name, title, description) in model::SMART_CITY_GROUPS {
        store
            .execute(
                sql("INSERT INTO catalog_groups (tenant_id, id, name, title, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(tenant)
                    .bind(new_id())
                    .bind(*name)
                    .bind(*title)
                    .bind(*description)
                    .bind(store.now_ms()),
            )
            .await?;
    }
    Ok(())
}

pub async fn groups(store: &Store, tenant: &str) -> Result<Vec<Group>, StoreError> {
    store
        .fetch_all(sql("SELECT id, name, title, description FROM catalog_groups WHERE tenant_id = $1 ORDER BY name").bind(tenant))
        .await?
        .iter()
        .map(group_from_row)
        .collect()
}

pub async fn group(store: &Store, tenant: &str, id_or_name: &str) -> Result<Option<Group>, StoreError> {
    let row = store
        .fetch_optional(
            sql("SELECT id, name, title, description FROM catalog_groups WHERE tenant_id = $1 AND (name = $2 OR id = $2)")
                .bind(tenant)
                .bind(id_or_name),
        )
        .await?;
    row.as_ref().map(group_from_row).transpose()
}

/// Tags of the datasets this viewer may see.
pub async fn tags(store: &Store, tenant: &str, viewer: &Viewer) -> Result<Vec<String>, StoreError> {
    let (filter, args) = viewer.filter(2);
    let q = format!(
        "SELECT DISTINCT t.tag FROM dataset_tags t JOIN datasets d ON d.tenant_id = t.tenant_id AND d.id = t.dataset_id
         WHERE t.tenant_id = $1 AND {filter} ORDER BY t.tag"
    );
    store.fetch_all(sql_built(q).bind(tenant).bind_all(args)).await?.iter().map(|r| r.at(0)).collect()
}

/// A group's fields as a client gives them (CKAN's group dict).
#[derive(Debug, Clone, Default)]
pub struct GroupInput {
    /// The id to keep (a copy from another CKAN); `None` makes one.
    pub id: Option<String>,
    pub name: String,
    pub title: String,
    pub description: String,
}

fn check_group(input: &GroupInput) -> Result<(), CatalogError> {
    let mut errors = FieldErrors::new();
    if input.name.is_empty() {
        errors.entry("name".into()).or_default().push(Msg::new("catalog.missing_value"));
    } else if !model::valid_name(&input.name) {
        errors.entry("name".into()).or_default().push(Msg::new("catalog.name_invalid"));
    }
    if input.title.chars().count() > 500 || !crate::kernel::text::is_plain(&input.title) {
        errors.entry("title".into()).or_default().push(Msg::new("catalog.title_long"));
    }
    if input.id.as_deref().is_some_and(|id| !model::valid_uuid(id)) {
        errors.entry("id".into()).or_default().push(Msg::new("catalog.id_invalid"));
    }
    if errors.is_empty() { Ok(()) } else { Err(CatalogError::Invalid(errors)) }
}

/// The groups are the walidata's to make, change and remove.
fn group_writer(user: &User) -> Result<(), CatalogError> {
    if user.is_region_admin() { Ok(()) } else { Err(CatalogError::Forbidden) }
}

fn group_name_taken(e: StoreError) -> CatalogError {
    match e {
        StoreError::Duplicate(_) => invalid("name", Msg::new("catalog.group_name_taken")),
        e => e.into(),
    }
}

fn title_or(input: &GroupInput) -> String {
    if input.title.trim().is_empty() { input.name.clone() } else { input.title.trim().to_string() }
}

pub async fn create_group(store: &Store, tenant: &str, user: &User, input: &GroupInput) -> Result<Group, CatalogError> {
    group_writer(user)?;
    check_group(input)?;
    let id = input.id.clone().unwrap_or_else(new_id);
    let mut tx = store.begin().await?;
    let taken: i64 =
        tx.fetch_scalar(sql("SELECT count(*) FROM catalog_groups WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(&id)).await?;
    if taken > 0 {
        return Err(invalid("id", Msg::new("catalog.id_taken")));
    }
    tx.execute(
        sql("INSERT INTO catalog_groups (tenant_id, id, name, title, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(tenant)
            .bind(&id)
            .bind(&input.name)
            .bind(title_or(input))
            .bind(input.description.trim())
            .bind(store.now_ms()),
    )
    .await
    .map_err(group_name_taken)?;
    commit(tx, tenant).await?;
    group(store, tenant, &id).await?.ok_or(CatalogError::NotFound)
}

/// The ids of a group's datasets, to index again when what they are found
/// by (the group's title) changes.
async fn member_ids(tx: &mut Tx, tenant: &str, group_id: &str) -> Result<Vec<String>, StoreError> {
    let q = sql("SELECT dataset_id FROM dataset_groups WHERE tenant_id = $1 AND group_id = $2").bind(tenant).bind(group_id);
    tx.fetch_all(q).await?.iter().map(|r| r.at(0)).collect()
}

/// Gives the group `id_or_name` the input's name, title and description.
pub async fn update_group(store: &Store, tenant: &str, user: &User, id_or_name: &str, input: &GroupInput) -> Result<Group, CatalogError> {
    group_writer(user)?;
    check_group(&GroupInput { id: None, ..input.clone() })?;
    let current = group(store, tenant, id_or_name).await?.ok_or(CatalogError::NotFound)?;
    let mut tx = store.begin().await?;
    tx.execute(
        sql("UPDATE catalog_groups SET name = $1, title = $2, description = $3 WHERE tenant_id = $4 AND id = $5")
            .bind(&input.name)
            .bind(title_or(input))
            .bind(input.description.trim())
            .bind(tenant)
            .bind(&current.id),
    )
    .await
    .map_err(group_name_taken)?;
    for dataset in member_ids(&mut tx, tenant, &current.id).await? {
        index_dataset(&mut tx, tenant, &dataset).await?;
    }
    commit(tx, tenant).await?;
    group(store, tenant, &current.id).await?.ok_or(CatalogError::NotFound)
}

/// Removes a group and its datasets' memberships (the datasets stay).
pub async fn delete_group(store: &Store, tenant: &str, user: &User, id_or_name: &str) -> Result<(), CatalogError> {
    group_writer(user)?;
    let current = group(store, tenant, id_or_name).await?.ok_or(CatalogError::NotFound)?;
    let mut tx = store.begin().await?;
    let members = member_ids(&mut tx, tenant, &current.id).await?;
    tx.execute(sql("DELETE FROM dataset_groups WHERE tenant_id = $1 AND group_id = $2").bind(tenant).bind(&current.id)).await?;
    tx.execute(sql("DELETE FROM catalog_groups WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(&current.id)).await?;
    for dataset in members {
        index_dataset(&mut tx, tenant, &dataset).await?;
        activity(&mut tx, tenant, &dataset, Some(&user.id), "updated", &current.name).await?;
    }
    commit(tx, tenant).await?;
    Ok(())
}

/// A dataset and a group both found, and the writer allowed to change the
/// dataset (whoever may edit a dataset chooses its groups, as in its form).
async fn membership(store: &Store, tenant: &str, user: &User, group_ref: &str, dataset: &str) -> Result<(Group, String), CatalogError> {
    let g = group(store, tenant, group_ref).await?.ok_or(CatalogError::NotFound)?;
    let d = super::get(store, tenant, dataset, &Viewer::of(Some(user))).await?.ok_or(CatalogError::NotFound)?;
    if !access::for_org(user, &d.org.id) {
        return Err(CatalogError::Forbidden);
    }
    Ok((g, d.id))
}

/// Puts a dataset in a group (CKAN's `member_create` for a package); a
/// dataset already there stays as it is.
pub async fn add_to_group(
    store: &Store,
    tenant: &str,
    user: &User,
    group_ref: &str,
    dataset: &str,
) -> Result<(Group, String), CatalogError> {
    let (g, id) = membership(store, tenant, user, group_ref, dataset).await?;
    let mut tx = store.begin().await?;
    let there: i64 = tx
        .fetch_scalar(
            sql("SELECT count(*) FROM dataset_groups WHERE tenant_id = $1 AND dataset_id = $2 AND group_id = $3")
                .bind(tenant)
                .bind(&id)
                .bind(&g.id),
        )
        .await?;
    if there == 0 {
        tx.execute(
            sql("INSERT INTO dataset_groups (tenant_id, dataset_id, group_id) VALUES ($1, $2, $3)").bind(tenant).bind(&id).bind(&g.id),
        )
        .await?;
        changed_membership(&mut tx, tenant, user, &id, &g).await?;
    }
    commit(tx, tenant).await?;
    Ok((g, id))
}

/// Takes a dataset out of a group (CKAN's `member_delete` for a package).
pub async fn remove_from_group(store: &Store, tenant: &str, user: &User, group_ref: &str, dataset: &str) -> Result<(), CatalogError> {
    let (g, id) = membership(store, tenant, user, group_ref, dataset).await?;
    let mut tx = store.begin().await?;
    let removed = tx
        .execute(
            sql("DELETE FROM dataset_groups WHERE tenant_id = $1 AND dataset_id = $2 AND group_id = $3").bind(tenant).bind(&id).bind(&g.id),
        )
        .await?;
    if removed == 0 {
        return Err(CatalogError::NotFound);
    }
    changed_membership(&mut tx, tenant, user, &id, &g).await?;
    commit(tx, tenant).await?;
    Ok(())
}

async fn changed_membership(tx: &mut Tx, tenant: &str, user: &User, dataset: &str, g: &Group) -> Result<(), StoreError> {
    tx.execute(sql("UPDATE datasets SET updated_at = $1 WHERE tenant_id = $2 AND id = $3").bind(tx.now_ms()).bind(tenant).bind(dataset))
        .await?;
    index_dataset(tx, tenant, dataset).await?;
    activity(tx, tenant, dataset, Some(&user.id), "updated", &g.name).await
}
