//! A dataset's resources and their uploaded files: every upload is kept as
//! a version, recorded in one transaction (which queues a table's load).

use serde::Serialize;

use super::history::activity;
use super::{CatalogError, Viewer, commit, get, guess_format, index_dataset};
use crate::kernel::access;
use crate::kernel::identity::{User, new_id};
use crate::slices::catalog::datastore;
use crate::store::{Row, Store, StoreError, Value as DbValue, sql, sql_built};

#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub id: String,
    pub dataset_id: String,
    pub position: i64,
    pub name: String,
    pub description: String,
    pub format: String,
    pub url: String,
    pub url_type: String,
    pub size: Option<i64>,
    pub hash: String,
    pub created_at: i64,
    pub modified_at: i64,
    /// Its rows are in the datastore (searchable, previewable).
    pub datastore_active: bool,
}

pub(super) const RESOURCE_COLUMNS: &str = "id, dataset_id, position, name, description, format, url, url_type, size, hash, created_at, modified_at,
     EXISTS (SELECT 1 FROM datastore_tables t WHERE t.tenant_id = resources.tenant_id AND t.resource_id = resources.id) AS datastore_active";

pub(super) fn resource_from_row(r: &Row) -> Result<Resource, StoreError> {
    Ok(Resource {
        id: r.get("id")?,
        dataset_id: r.get("dataset_id")?,
        position: r.get("position")?,
        name: r.get("name")?,
        description: r.get("description")?,
        format: r.get("format")?,
        url: r.get("url")?,
        url_type: r.get("url_type")?,
        size: r.get("size")?,
        hash: r.get("hash")?,
        created_at: r.get("created_at")?,
        modified_at: r.get("modified_at")?,
        datastore_active: r.get("datastore_active")?,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub version: i64,
    pub filename: String,
    pub size: i64,
    pub hash: String,
    pub created_at: i64,
    pub created_by: Option<String>,
}

/// What an uploaded file becomes: a new resource, or a new version of one.
pub struct Upload {
    pub resource_id: Option<String>,
    pub name: String,
    pub description: String,
    pub format: String,
    pub filename: String,
    pub saved: crate::kernel::files::Saved,
}

/// The address a resource's current file is downloaded from.
pub fn download_path(dataset_id: &str, resource_id: &str, filename: &str) -> String {
    format!("/dataset/{dataset_id}/resource/{resource_id}/download/{filename}")
}

/// Records an uploaded file (already in the file store) as a new resource or
/// as the next version of an existing one, in one transaction.
pub async fn record_upload(store: &Store, tenant: &str, user: &User, dataset: &str, up: Upload) -> Result<Resource, CatalogError> {
    let d = get(store, tenant, dataset, &Viewer::of(Some(user))).await?.ok_or(CatalogError::NotFound)?;
    if !access::for_org(user, &d.org.id) {
        return Err(CatalogError::Forbidden);
    }
    let now = store.now_ms();
    let filename = crate::kernel::files::safe_name(&up.filename);
    let format = if up.format.trim().is_empty() { guess_format(&filename) } else { up.format.trim().to_uppercase() };
    let mut tx = store.begin().await?;
    let resource_id = match &up.resource_id {
        Some(rid) => {
            let found = tx
                .fetch_optional(
                    sql("SELECT id FROM resources WHERE tenant_id = $1 AND id = $2 AND dataset_id = $3").bind(tenant).bind(rid).bind(&d.id),
                )
                .await?;
            if found.is_none() {
                return Err(CatalogError::NotFound);
            }
            tx.execute(
                sql("UPDATE resources SET url = $1, url_type = 'upload', size = $2, hash = $3, format = $4,
                     name = CASE WHEN $5 = '' THEN name ELSE $5 END, description = CASE WHEN $6 = '' THEN description ELSE $6 END, modified_at = $7
                     WHERE tenant_id = $8 AND id = $9")
                    .bind(download_path(&d.id, rid, &filename))
                    .bind(up.saved.size as i64)
                    .bind(&up.saved.hash)
                    .bind(&format)
                    .bind(up.name.trim())
                    .bind(up.description.trim())
                    .bind(now)
                    .bind(tenant)
                    .bind(rid),
            )
            .await?;
            rid.clone()
        }
        None => {
            let rid = new_id();
            let position: i64 = tx
                .fetch_one(sql("SELECT count(*) FROM resources WHERE tenant_id = $1 AND dataset_id = $2").bind(tenant).bind(&d.id))
                .await?
                .at(0)?;
            let name = if up.name.trim().is_empty() { filename.clone() } else { up.name.trim().to_string() };
            tx.execute(
                sql("INSERT INTO resources (tenant_id, id, dataset_id, position, name, description, format, url, url_type, size, hash, created_at, modified_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'upload', $9, $10, $11, $11)")
                    .bind(tenant)
                    .bind(&rid)
                    .bind(&d.id)
                    .bind(position)
                    .bind(name)
                    .bind(up.description.trim())
                    .bind(&format)
                    .bind(download_path(&d.id, &rid, &filename))
                    .bind(up.saved.size as i64)
                    .bind(&up.saved.hash)
                    .bind(now),
            )
            .await?;
            rid
        }
    };
    let version: i64 = tx
        .fetch_one(
            sql("SELECT COALESCE(MAX(version), 0) + 1 FROM resource_versions WHERE tenant_id = $1 AND resource_id = $2")
                .bind(tenant)
                .bind(&resource_id),
        )
        .await?
        .at(0)?;
    tx.execute(
        sql("INSERT INTO resource_versions (tenant_id, id, resource_id, version, file_key, filename, size, hash, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(tenant)
        .bind(new_id())
        .bind(&resource_id)
        .bind(version)
        .bind(&up.saved.key)
        .bind(&filename)
        .bind(up.saved.size as i64)
        .bind(&up.saved.hash)
        .bind(now)
        .bind(&user.id),
    )
    .await?;
    tx.execute(sql("UPDATE datasets SET updated_at = $1 WHERE tenant_id = $2 AND id = $3").bind(now).bind(tenant).bind(&d.id)).await?;
    index_dataset(&mut tx, tenant, &d.id).await?;
    let action = if version == 1 { "resource_added" } else { "resource_version" };
    activity(&mut tx, tenant, &d.id, Some(&user.id), action, &filename).await?;
    if datastore::is_tabular(&filename) {
        // The table is loaded right after this commit; if the process dies
        // first, this job loads it (it does nothing when the table is current).
        let job = crate::kernel::jobs::NewJob::now(
            now,
            tenant,
            datastore::LOAD_JOB,
            resource_id.as_str(),
            serde_json::json!({ "resource_id": resource_id }),
        );
        crate::kernel::jobs::enqueue(&mut tx, &job).await?;
    }
    commit(tx, tenant).await?;
    resource(store, tenant, &resource_id).await?.ok_or(CatalogError::NotFound)
}

/// The fields `resource_search` may look in.
pub const SEARCHABLE: &[&str] = &["name", "description", "format", "url"];

/// Resources of the datasets `viewer` may see whose every `(field, text)`
/// contains the text, case aside (CKAN's `resource_search`): how many, and
/// page `limit` from `offset`, by name.
pub async fn search_resources(
    store: &Store,
    tenant: &str,
    viewer: &Viewer,
    terms: &[(&str, String)],
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Resource>), StoreError> {
    let (visible, mut args) = viewer.filter(2);
    let mut conditions = vec![visible];
    for (field, text) in terms {
        assert!(SEARCHABLE.contains(field), "the caller checks the field");
        args.push(DbValue::from(format!("%{}%", crate::store::escape_like(&text.to_lowercase()))));
        conditions.push(format!("lower(r.{field}) LIKE ${} ESCAPE '\\'", args.len() + 1));
    }
    let from = format!(
        "FROM resources r JOIN datasets d ON d.tenant_id = r.tenant_id AND d.id = r.dataset_id WHERE r.tenant_id = $1 AND {}",
        conditions.join(" AND ")
    );
    let count: i64 = store.fetch_scalar(sql_built(format!("SELECT COUNT(*) {from}")).bind(tenant).bind_all(args.clone())).await?;
    // The page through the ids, so the resource columns need no alias.
    let page = format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE tenant_id = $1 AND id IN (SELECT r.id {from})
         ORDER BY name, id LIMIT {} OFFSET {}",
        limit.clamp(0, 1000),
        offset.max(0)
    );
    let rows = store.fetch_all(sql_built(page).bind(tenant).bind_all(args)).await?;
    Ok((count, rows.iter().map(resource_from_row).collect::<Result<_, _>>()?))
}

pub async fn resource(store: &Store, tenant: &str, id: &str) -> Result<Option<Resource>, StoreError> {
    let q = sql_built(format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE tenant_id = $1 AND id = $2"));
    store.fetch_optional(q.bind(tenant).bind(id)).await?.as_ref().map(resource_from_row).transpose()
}

pub async fn versions(store: &Store, tenant: &str, resource_id: &str) -> Result<Vec<Version>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT v.version, v.filename, v.size, v.hash, v.created_at, u.name AS created_by FROM resource_versions v
                 LEFT JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.created_by
                 WHERE v.tenant_id = $1 AND v.resource_id = $2 ORDER BY v.version DESC")
            .bind(tenant)
            .bind(resource_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.get("version")?,
                filename: r.get("filename")?,
                size: r.get("size")?,
                hash: r.get("hash")?,
                created_at: r.get("created_at")?,
                created_by: r.get("created_by")?,
            })
        })
        .collect()
}

/// The stored file of a version (the newest when `version` is `None`).
pub async fn version_file(
    store: &Store,
    tenant: &str,
    resource_id: &str,
    version: Option<i64>,
) -> Result<Option<(String, String)>, StoreError> {
    let row = store
        .fetch_optional(
            sql("SELECT file_key, filename FROM resource_versions WHERE tenant_id = $1 AND resource_id = $2 AND ($3 = 0 OR version = $3)
                 ORDER BY version DESC LIMIT 1")
            .bind(tenant)
            .bind(resource_id)
            .bind(version.unwrap_or(0)),
        )
        .await?;
    match row {
        Some(r) => Ok(Some((r.get("file_key")?, r.get("filename")?))),
        None => Ok(None),
    }
}

/// Removes a resource from its dataset (its files stay on disk for the record).
pub async fn delete_resource(store: &Store, tenant: &str, user: &User, id: &str) -> Result<(), CatalogError> {
    let r = resource(store, tenant, id).await?.ok_or(CatalogError::NotFound)?;
    let d = get(store, tenant, &r.dataset_id, &Viewer::of(Some(user))).await?.ok_or(CatalogError::NotFound)?;
    if !access::for_org(user, &d.org.id) {
        return Err(CatalogError::Forbidden);
    }
    let mut tx = store.begin().await?;
    tx.execute(sql("DELETE FROM resources WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id)).await?;
    index_dataset(&mut tx, tenant, &d.id).await?;
    activity(&mut tx, tenant, &d.id, Some(&user.id), "resource_removed", &r.name).await?;
    commit(tx, tenant).await?;
    Ok(())
}
