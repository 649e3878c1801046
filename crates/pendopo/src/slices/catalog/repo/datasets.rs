//! Datasets: read with their organisation and children (one query per kind
//! of child, however many datasets), and created, updated and deleted with
//! their tags, groups and resources in one transaction.

use serde_json::Value;

use super::groups::group_from_row;
use super::history::activity;
use super::resources::{RESOURCE_COLUMNS, resource_from_row};
use super::{CatalogError, Dataset, Group, Resource, Viewer, commit, index_dataset, invalid};
use crate::kernel::access;
use crate::kernel::identity::{Role, User, new_id};
use crate::kernel::msg::Msg;
use crate::kernel::organizations::{self as orgs, Organization};
use crate::slices::catalog::model::{self, DatasetInput, SatuData, State};
use crate::slices::catalog::search;
use crate::store::{Row, Store, StoreError, Tx, Value as DbValue, sql, sql_built};

const DATASET_COLUMNS: &str = "d.id, d.name, d.title, d.notes, d.license_id, d.org_id, d.private, d.state, d.review_notes, d.extras, d.satudata, d.core, d.year, d.created_by, d.created_at, d.updated_at, d.published_at";

/// Datasets with their organisation, in one query: `WHERE` and the
/// arguments follow. The organisation's columns are read by `orgs::from_joined`.
fn select_datasets(condition: &str) -> String {
    format!(
        "SELECT {DATASET_COLUMNS}, {} FROM datasets d JOIN organizations o ON o.tenant_id = d.tenant_id AND o.id = d.org_id WHERE {condition}",
        orgs::joined_columns("o")
    )
}

/// `($2, $3, ...)` for `n` ids after the tenant argument.
fn id_list(n: usize) -> String {
    format!("({})", (0..n).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", "))
}

/// Builds datasets from their rows (with their organisation joined, see
/// `select_datasets`) with one query per kind of child (tags, groups,
/// resources), however many datasets.
async fn load_many(store: &Store, tenant: &str, rows: &[Row]) -> Result<Vec<Dataset>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.get("id")).collect::<Result<_, _>>()?;
    let list = id_list(ids.len());
    let args = || ids.iter().map(DbValue::from).collect::<Vec<_>>();
    let mut tags: std::collections::HashMap<String, Vec<String>> = Default::default();
    let q = format!("SELECT dataset_id, tag FROM dataset_tags WHERE tenant_id = $1 AND dataset_id IN {list} ORDER BY tag");
    for r in store.fetch_all(sql_built(q).bind(tenant).bind_all(args())).await? {
        tags.entry(r.at(0)?).or_default().push(r.at(1)?);
    }
    let mut groups: std::collections::HashMap<String, Vec<Group>> = Default::default();
    let q = format!(
        "SELECT dg.dataset_id, g.id, g.name, g.title, g.description FROM dataset_groups dg
         JOIN catalog_groups g ON g.tenant_id = dg.tenant_id AND g.id = dg.group_id WHERE dg.tenant_id = $1 AND dg.dataset_id IN {list} ORDER BY g.name"
    );
    for r in store.fetch_all(sql_built(q).bind(tenant).bind_all(args())).await? {
        groups.entry(r.at(0)?).or_default().push(group_from_row(&r)?);
    }
    let mut resources: std::collections::HashMap<String, Vec<Resource>> = Default::default();
    let q = format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE tenant_id = $1 AND dataset_id IN {list} ORDER BY position");
    for r in store.fetch_all(sql_built(q).bind(tenant).bind_all(args())).await? {
        let res = resource_from_row(&r)?;
        resources.entry(res.dataset_id.clone()).or_default().push(res);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (row, id) in rows.iter().zip(ids) {
        let state: String = row.get("state")?;
        out.push(Dataset {
            name: row.get("name")?,
            title: row.get("title")?,
            notes: row.get("notes")?,
            license_id: row.get("license_id")?,
            org: orgs::from_joined(row, "o")?,
            private: row.get("private")?,
            state: State::parse(&state).ok_or_else(|| StoreError::Other(format!("unknown dataset state {state}")))?,
            review_notes: row.get("review_notes")?,
            extras: parse_json(&row.get::<String>("extras")?),
            satudata: parse_json(&row.get::<String>("satudata")?),
            core: parse_json(&row.get::<String>("core")?),
            year: row.get("year")?,
            tags: tags.remove(&id).unwrap_or_default(),
            groups: groups.remove(&id).unwrap_or_default(),
            resources: resources.remove(&id).unwrap_or_default(),
            created_by: row.get("created_by")?,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
            published_at: row.get("published_at")?,
            id,
        });
    }
    Ok(out)
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    // Written by us from typed values, so only a hand-edited row fails here.
    serde_json::from_str(s).unwrap_or_default()
}

/// A dataset by id or name, if this viewer may see it.
pub async fn get(store: &Store, tenant: &str, id_or_name: &str, viewer: &Viewer) -> Result<Option<Dataset>, StoreError> {
    Ok(find(store, tenant, id_or_name).await?.filter(|d| viewer.may_see(d)))
}

/// A dataset by id or name as CKAN's `package_show` finds it: what this
/// viewer may see, and for the walidata also a deleted one (until purged).
pub async fn get_shown(store: &Store, tenant: &str, id_or_name: &str, viewer: &Viewer) -> Result<Option<Dataset>, StoreError> {
    let Some(d) = find(store, tenant, id_or_name).await? else { return Ok(None) };
    Ok((viewer.may_see(&d) || (viewer.admin && d.state == State::Deleted)).then_some(d))
}

/// A dataset by id or name, whoever may see it: only for the checks and
/// writes that decide that themselves.
async fn find(store: &Store, tenant: &str, id_or_name: &str) -> Result<Option<Dataset>, StoreError> {
    let q = select_datasets("d.tenant_id = $1 AND (d.id = $2 OR d.name = $2)");
    let Some(row) = store.fetch_optional(sql_built(q).bind(tenant).bind(id_or_name)).await? else { return Ok(None) };
    Ok(load_many(store, tenant, &[row]).await?.pop())
}

/// Loads many datasets by id, keeping the given order.
pub async fn get_many(store: &Store, tenant: &str, ids: &[String]) -> Result<Vec<Dataset>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = select_datasets(&format!("d.tenant_id = $1 AND d.id IN {}", id_list(ids.len())));
    let rows = store.fetch_all(sql_built(q).bind(tenant).bind_all(ids.iter().map(DbValue::from))).await?;
    let mut by_id: std::collections::HashMap<String, Dataset> =
        load_many(store, tenant, &rows).await?.into_iter().map(|d| (d.id.clone(), d)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

async fn resolve_org(store: &Store, tenant: &str, id_or_name: &str) -> Result<Organization, CatalogError> {
    let key = id_or_name.trim();
    if let Some(o) = orgs::get(store, tenant, key).await? {
        return Ok(o);
    }
    orgs::get_by_id(store, tenant, key).await?.ok_or_else(|| invalid("owner_org", Msg::new("catalog.org_unknown").arg("org", key)))
}

async fn resolve_groups(store: &Store, tenant: &str, refs: &[model::GroupRef]) -> Result<Vec<String>, CatalogError> {
    let mut ids = Vec::new();
    for g in refs {
        let key = if g.name.is_empty() { &g.id } else { &g.name };
        let row = store
            .fetch_optional(sql("SELECT id FROM catalog_groups WHERE tenant_id = $1 AND (name = $2 OR id = $2)").bind(tenant).bind(key))
            .await?;
        match row {
            Some(r) => ids.push(r.at::<String>(0)?),
            None => return Err(invalid("groups", Msg::new("catalog.group_unknown").arg("group", key))),
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Checks what the database knows: the organisation, the groups, the region
/// of the metadata, and that the writer belongs to the organisation.
async fn prepare(store: &Store, tenant: &str, user: &User, input: &DatasetInput) -> Result<(Organization, Vec<String>), CatalogError> {
    let errors = model::check(input);
    if !errors.is_empty() {
        return Err(CatalogError::Invalid(errors));
    }
    let org = resolve_org(store, tenant, &input.owner_org).await?;
    if !access::for_org(user, &org.id) {
        return Err(CatalogError::Forbidden);
    }
    let groups = resolve_groups(store, tenant, &input.groups).await?;
    if let Some(code) = input.satudata.as_ref().map(|s| s.cakupan_wilayah.as_str()).filter(|c| !c.is_empty()) {
        let known: i64 = store
            .fetch_scalar(sql("SELECT count(*) FROM tenant_regions WHERE tenant_id = $1 AND code = $2").bind(tenant).bind(code))
            .await?;
        if known == 0 {
            return Err(invalid("satudata.cakupan_wilayah", Msg::new("error.region_not_in_tenant").arg("code", code)));
        }
    }
    Ok((org, groups))
}

fn satudata_of(input: &DatasetInput, org: &Organization) -> SatuData {
    let mut sd = input.satudata.clone().unwrap_or_default();
    if sd.produsen_data.trim().is_empty() {
        sd.produsen_data = org.name.clone();
    }
    sd
}

pub async fn create(store: &Store, tenant: &str, user: &User, input: &DatasetInput) -> Result<Dataset, CatalogError> {
    let (org, groups) = prepare(store, tenant, user, input).await?;
    let now = store.now_ms();
    // The walidata publishes directly unless asking for a draft; a
    // produsen data's dataset starts as a draft to be submitted for review.
    let state = if user.is_region_admin() && input.state.as_deref() != Some("draft") { State::Published } else { State::Draft };
    let sd = satudata_of(input, &org);
    let year = sd.start_year().unwrap_or_else(|| year_of(now));
    // CKAN keeps a given id for a sysadmin only (a copy keeps its links);
    // anyone else's is ignored, as CKAN ignores it.
    let id = match input.id.as_deref().filter(|id| !id.is_empty()) {
        Some(given) if user.is_region_admin() && model::valid_uuid(given) => given.to_string(),
        Some(_) if user.is_region_admin() => return Err(invalid("id", Msg::new("catalog.id_invalid"))),
        _ => new_id(),
    };
    let mut tx = store.begin().await?;
    let taken: i64 = tx.fetch_scalar(sql("SELECT count(*) FROM datasets WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(&id)).await?;
    if taken > 0 {
        return Err(invalid("id", Msg::new("catalog.id_taken")));
    }
    let inserted = tx
        .execute(
            sql("INSERT INTO datasets (tenant_id, id, name, title, notes, license_id, org_id, private, state, review_notes, extras, satudata, year,
                                       created_by, created_at, updated_at, published_at, core)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, $11, $12, $13, $14, $14, $15, $16)")
                .bind(tenant)
                .bind(&id)
                .bind(&input.name)
                .bind(title_or_name(input))
                .bind(&input.notes)
                .bind(&input.license_id)
                .bind(&org.id)
                .bind(model::parse_private(&input.private).unwrap_or(false))
                .bind(state.as_str())
                .bind(serde_json::to_string(&input.extras).expect("extras serialize"))
                .bind(serde_json::to_string(&sd).expect("metadata serializes"))
                .bind(year)
                .bind(&user.id)
                .bind(now)
                .bind((state == State::Published).then_some(now))
                .bind(serde_json::to_string(&input.core).expect("core fields serialize")),
        )
        .await;
    inserted.map_err(name_taken)?;
    write_children(&mut tx, tenant, &id, input, &groups, now).await?;
    index_dataset(&mut tx, tenant, &id).await?;
    activity(&mut tx, tenant, &id, Some(&user.id), "created", "").await?;
    commit(tx, tenant).await?;
    get(store, tenant, &id, &Viewer { admin: true, org_id: None }).await?.ok_or(CatalogError::NotFound)
}

fn title_or_name(input: &DatasetInput) -> String {
    if input.title.trim().is_empty() { input.name.clone() } else { input.title.trim().to_string() }
}

fn year_of(ms: i64) -> i64 {
    // Good to the day for the facet; the zone does not matter at year ends
    // often enough to justify calendar arithmetic here.
    1970 + (ms / 1000 / 86_400 * 4 + 2) / 1461
}

/// Replaces tags, groups and resources with the input's.
async fn write_children(
    tx: &mut Tx,
    tenant: &str,
    id: &str,
    input: &DatasetInput,
    groups: &[String],
    now: i64,
) -> Result<(), CatalogError> {
    tx.execute(sql("DELETE FROM dataset_tags WHERE tenant_id = $1 AND dataset_id = $2").bind(tenant).bind(id)).await?;
    let mut tags: Vec<String> = input.tags.iter().map(|t| t.name.trim().to_string()).collect();
    tags.sort();
    tags.dedup();
    for tag in tags {
        tx.execute(sql("INSERT INTO dataset_tags (tenant_id, dataset_id, tag) VALUES ($1, $2, $3)").bind(tenant).bind(id).bind(tag))
            .await?;
    }
    tx.execute(sql("DELETE FROM dataset_groups WHERE tenant_id = $1 AND dataset_id = $2").bind(tenant).bind(id)).await?;
    for g in groups {
        tx.execute(sql("INSERT INTO dataset_groups (tenant_id, dataset_id, group_id) VALUES ($1, $2, $3)").bind(tenant).bind(id).bind(g))
            .await?;
    }
    // Resources keep their ids (and so their files and tables) when the
    // client sends them back; the ones left out are removed.
    let existing: Vec<String> = tx
        .fetch_all(sql("SELECT id FROM resources WHERE tenant_id = $1 AND dataset_id = $2").bind(tenant).bind(id))
        .await?
        .iter()
        .map(|r| r.at(0))
        .collect::<Result<_, _>>()?;
    let mut kept = Vec::new();
    for (pos, r) in input.resources.iter().enumerate() {
        let format = if r.format.is_empty() { guess_format(&r.url) } else { r.format.trim().to_uppercase() };
        let name = if r.name.trim().is_empty() { r.url.rsplit('/').next().unwrap_or("").to_string() } else { r.name.trim().to_string() };
        match r.id.as_ref().filter(|rid| existing.contains(rid)) {
            Some(rid) => {
                tx.execute(
                    sql("UPDATE resources SET position = $1, name = $2, description = $3, format = $4, url = CASE WHEN url_type = 'upload' THEN url ELSE $5 END,
                         modified_at = $6 WHERE tenant_id = $7 AND id = $8")
                        .bind(pos as i64)
                        .bind(name)
                        .bind(&r.description)
                        .bind(format)
                        .bind(&r.url)
                        .bind(now)
                        .bind(tenant)
                        .bind(rid),
                )
                .await?;
                kept.push(rid.clone());
            }
            None => {
                let rid = match r.id.as_deref().filter(|rid| !rid.is_empty()) {
                    Some(given) => free_resource_id(tx, given, pos).await?,
                    None => new_id(),
                };
                tx.execute(
                    sql("INSERT INTO resources (tenant_id, id, dataset_id, position, name, description, format, url, url_type, size, hash, created_at, modified_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', NULL, '', $9, $9)")
                        .bind(tenant)
                        .bind(rid)
                        .bind(id)
                        .bind(pos as i64)
                        .bind(name)
                        .bind(&r.description)
                        .bind(format)
                        .bind(r.url.trim())
                        .bind(now),
                )
                .await?;
            }
        }
    }
    for old in existing.iter().filter(|e| !kept.contains(e)) {
        tx.execute(sql("DELETE FROM resources WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(old)).await?;
    }
    Ok(())
}

/// A resource id a client gave for a new resource (a copy from another
/// CKAN keeps its resources' ids, so its uploads can follow), if no
/// resource of any region has it: the datastore's tables are named by
/// resource id across regions.
async fn free_resource_id(tx: &mut Tx, given: &str, pos: usize) -> Result<String, CatalogError> {
    let used: i64 = tx.fetch_scalar(sql("SELECT count(*) FROM resources WHERE id = $1").bind(given)).await?;
    if used > 0 {
        return Err(invalid("resources", Msg::new("catalog.resource_id_taken").arg("n", pos + 1)));
    }
    Ok(given.to_string())
}

/// The format from a URL's extension, as CKAN does for links.
pub fn guess_format(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    match path.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()) {
        Some(ext) if ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()) && !path.ends_with('/') => ext.to_uppercase(),
        _ => String::new(),
    }
}

/// Replaces a dataset's fields with the input's (CKAN's package_update).
pub async fn update(store: &Store, tenant: &str, user: &User, id_or_name: &str, input: &DatasetInput) -> Result<Dataset, CatalogError> {
    let viewer = Viewer::of(Some(user));
    // A deleted dataset comes back when the walidata updates it as active
    // (as CKAN's sysadmin does, and `ckanapi load` into a region that had it).
    let restore = input.state.as_deref() == Some("active");
    let current = get_shown(store, tenant, id_or_name, &viewer)
        .await?
        .filter(|d| d.state != State::Deleted || restore)
        .ok_or(CatalogError::NotFound)?;
    if !access::for_org(user, &current.org.id) {
        return Err(CatalogError::Forbidden);
    }
    let (org, groups) = prepare(store, tenant, user, input).await?;
    let sd = satudata_of(input, &org);
    let now = store.now_ms();
    let year = sd.start_year().unwrap_or_else(|| year_of(current.created_at));
    let mut tx = store.begin().await?;
    let changed = tx
        .execute(
            sql("UPDATE datasets SET name = $1, title = $2, notes = $3, license_id = $4, org_id = $5, private = $6, extras = $7, satudata = $8,
                 year = $9, updated_at = $10, core = $13 WHERE tenant_id = $11 AND id = $12")
                .bind(&input.name)
                .bind(title_or_name(input))
                .bind(&input.notes)
                .bind(&input.license_id)
                .bind(&org.id)
                .bind(model::parse_private(&input.private).unwrap_or(false))
                .bind(serde_json::to_string(&input.extras).expect("extras serialize"))
                .bind(serde_json::to_string(&sd).expect("metadata serializes"))
                .bind(year)
                .bind(now)
                .bind(tenant)
                .bind(&current.id)
                .bind(serde_json::to_string(&input.core).expect("core fields serialize")),
        )
        .await;
    changed.map_err(name_taken)?;
    if current.state == State::Deleted {
        tx.execute(
            sql("UPDATE datasets SET state = 'published', published_at = COALESCE(published_at, $1) WHERE tenant_id = $2 AND id = $3")
                .bind(now)
                .bind(tenant)
                .bind(&current.id),
        )
        .await?;
    }
    write_children(&mut tx, tenant, &current.id, input, &groups, now).await?;
    index_dataset(&mut tx, tenant, &current.id).await?;
    activity(&mut tx, tenant, &current.id, Some(&user.id), "updated", "").await?;
    commit(tx, tenant).await?;
    get(store, tenant, &current.id, &Viewer { admin: true, org_id: None }).await?.ok_or(CatalogError::NotFound)
}

/// The input that reproduces a dataset as it is (the base of a patch).
pub fn as_input(d: &Dataset) -> Value {
    let mut input = serde_json::json!({
        "name": d.name, "title": d.title, "notes": d.notes, "license_id": d.license_id, "owner_org": d.org.id,
        "private": d.private, "tags": d.tags.iter().map(|t| serde_json::json!({"name": t})).collect::<Vec<_>>(),
        "groups": d.groups.iter().map(|g| serde_json::json!({"name": g.name})).collect::<Vec<_>>(),
        "extras": d.extras, "satudata": d.satudata,
        "resources": d.resources.iter().map(|r| serde_json::json!({
            "id": r.id, "name": r.name, "description": r.description, "format": r.format, "url": r.url,
        })).collect::<Vec<_>>(),
    });
    if let (Value::Object(fields), Value::Object(core)) = (&mut input, serde_json::to_value(&d.core).expect("core fields serialize")) {
        fields.extend(core);
    }
    input
}

/// Marks a dataset deleted (CKAN's package_delete); it disappears from
/// every listing but its history stays.
pub async fn delete(store: &Store, tenant: &str, user: &User, id_or_name: &str) -> Result<(), CatalogError> {
    let d = get(store, tenant, id_or_name, &Viewer::of(Some(user))).await?.ok_or(CatalogError::NotFound)?;
    if !(user.is_region_admin() || (user.role == Role::OrgAdmin && user.org_id.as_deref() == Some(&d.org.id))) {
        return Err(CatalogError::Forbidden);
    }
    let mut tx = store.begin().await?;
    tx.execute(
        sql("UPDATE datasets SET state = 'deleted', updated_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(store.now_ms())
            .bind(tenant)
            .bind(&d.id),
    )
    .await?;
    activity(&mut tx, tenant, &d.id, Some(&user.id), "deleted", "").await?;
    search::remove(&mut tx, tenant, &d.id).await?;
    commit(tx, tenant).await?;
    Ok(())
}

/// Removes a dataset for good (CKAN's `dataset_purge`, the walidata's):
/// its row and children, its search entry, its resources' datastore tables
/// and, once that is committed, their files; its name is free again.
pub async fn purge(
    store: &Store,
    files: &crate::kernel::files::FileStore,
    tenant: &str,
    user: &User,
    id_or_name: &str,
) -> Result<(), CatalogError> {
    if !user.is_region_admin() {
        return Err(CatalogError::Forbidden);
    }
    let d = find(store, tenant, id_or_name).await?.ok_or(CatalogError::NotFound)?;
    let mut tx = store.begin().await?;
    let keys: Vec<String> = tx
        .fetch_all(
            sql("SELECT v.file_key FROM resource_versions v JOIN resources r ON r.tenant_id = v.tenant_id AND r.id = v.resource_id
                 WHERE r.tenant_id = $1 AND r.dataset_id = $2")
            .bind(tenant)
            .bind(&d.id),
        )
        .await?
        .iter()
        .map(|r| r.at(0))
        .collect::<Result<_, _>>()?;
    for r in &d.resources {
        crate::slices::catalog::datastore::drop_storage(&mut tx, tenant, &r.id).await?;
    }
    tx.execute(sql("DELETE FROM datasets WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(&d.id)).await?;
    search::remove(&mut tx, tenant, &d.id).await?;
    commit(tx, tenant).await?;
    for key in keys {
        if let Ok(path) = files.path(&key) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
    Ok(())
}

/// Names of the datasets this viewer may see (CKAN's package_list).
pub async fn names(store: &Store, tenant: &str, viewer: &Viewer, limit: i64, offset: i64) -> Result<Vec<String>, StoreError> {
    let (filter, args) = viewer.filter(2);
    let q = format!("SELECT d.name FROM datasets d WHERE d.tenant_id = $1 AND {filter} ORDER BY d.name LIMIT {limit} OFFSET {offset}");
    store.fetch_all(sql_built(q).bind(tenant).bind_all(args)).await?.iter().map(|r| r.at(0)).collect()
}

/// A write refused by the unique name: the publisher is told on the field.
fn name_taken(e: StoreError) -> CatalogError {
    match e {
        StoreError::Duplicate(_) => invalid("name", Msg::new("catalog.name_taken")),
        e => e.into(),
    }
}

/// Datasets `viewer` may see whose name or title contains `q` (CKAN's
/// `package_autocomplete`): (name, title), names first matched.
pub async fn autocomplete(store: &Store, tenant: &str, viewer: &Viewer, q: &str, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
    let (visible, args) = viewer.filter(2);
    let like = format!("%{}%", crate::store::escape_like(&q.to_lowercase()));
    let n = args.len() + 2;
    let q = format!(
        "SELECT d.name, d.title FROM datasets d WHERE d.tenant_id = $1 AND {visible}
         AND (lower(d.name) LIKE ${n} ESCAPE '\\' OR lower(d.title) LIKE ${n} ESCAPE '\\')
         ORDER BY CASE WHEN lower(d.name) LIKE ${n} ESCAPE '\\' THEN 0 ELSE 1 END, d.name LIMIT {}",
        limit.clamp(0, 100)
    );
    let rows = store.fetch_all(sql_built(q).bind(tenant).bind_all(args).bind(like)).await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_link_extensions() {
        assert_eq!(guess_format("https://data.go.id/padi.csv"), "CSV");
        assert_eq!(guess_format("https://x.id/file.XLSX?download=1"), "XLSX");
        assert_eq!(guess_format("https://x.id/"), "");
        assert_eq!(guess_format("https://x.id/page"), "");
    }

    #[test]
    fn years_from_milliseconds() {
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(1_795_908_600_000), 2026);
        assert_eq!(year_of(1_704_067_200_000), 2024); // 2024-01-01T00:00Z
    }
}
