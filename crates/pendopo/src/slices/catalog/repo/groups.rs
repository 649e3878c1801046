//! The catalogue's groups (the six smart city groups to begin with) and the
//! tags in use.

use serde::Serialize;

use super::Viewer;
use crate::kernel::identity::new_id;
use crate::slices::catalog::model;
use crate::store::{Row, Store, StoreError, sql, sql_built};

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
