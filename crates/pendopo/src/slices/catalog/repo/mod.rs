//! Reading and writing datasets. Every write runs in one transaction with
//! its tags, groups, resources, history entry and search index.

use serde::Serialize;
use serde_json::Value;

use super::model::{self, DatasetInput, Extra, FieldErrors, SatuData, State};
use super::search;
use crate::kernel::catalog_version;
use crate::kernel::identity::{Role, User, new_id};
use crate::kernel::msg::Msg;
use crate::kernel::organizations::{self as orgs, Organization};
use crate::store::{Row, Store, StoreError, Tx, Value as DbValue, sql, sql_built};

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
}

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

#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub id: String,
    pub name: String,
    pub title: String,
    pub notes: String,
    pub license_id: String,
    pub org: Organization,
    pub private: bool,
    pub state: State,
    pub review_notes: String,
    pub extras: Vec<Extra>,
    pub satudata: SatuData,
    pub year: i64,
    pub tags: Vec<String>,
    pub groups: Vec<Group>,
    pub resources: Vec<Resource>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

impl Dataset {
    /// Anyone may see it: published and not private.
    pub fn is_public(&self) -> bool {
        self.state == State::Published && !self.private
    }
}

/// Who is looking, for what they may see beyond the public datasets.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub admin: bool,
    pub org_id: Option<String>,
}

impl Viewer {
    pub fn of(user: Option<&User>) -> Viewer {
        match user {
            Some(u) => Viewer { admin: u.is_region_admin(), org_id: u.org_id.clone() },
            None => Viewer::default(),
        }
    }

    pub fn may_see(&self, d: &Dataset) -> bool {
        d.state != State::Deleted && (d.is_public() || self.admin || self.org_id.as_deref() == Some(&d.org.id))
    }

    /// Which datasets this viewer sees, as a value: viewers with equal
    /// scopes see the same datasets under `filter`, so cached search
    /// answers are shared between them and never beyond.
    pub fn scope(&self) -> Scope {
        match &self.org_id {
            _ if self.admin => Scope::Everything,
            Some(org) if !org.is_empty() => Scope::PublicAndOrganization(org.clone()),
            _ => Scope::Public,
        }
    }

    /// The same rule as SQL over `datasets d`, with its two arguments.
    pub fn filter(&self, first_arg: usize) -> (String, Vec<DbValue>) {
        let text = format!(
            "(d.state <> 'deleted' AND ((d.state = 'published' AND d.private = 0) OR ${} = 1 OR d.org_id = ${}))",
            first_arg,
            first_arg + 1
        );
        (text, vec![DbValue::from(self.admin), DbValue::from(self.org_id.clone().unwrap_or_default())])
    }
}

/// What a [`Viewer`] may see: the public datasets; those and one agency's
/// own; or every dataset that is not deleted (the walidata).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Public,
    PublicAndOrganization(String),
    Everything,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("invalid: {0:?}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &str, m: Msg) -> CatalogError {
    CatalogError::Invalid(FieldErrors::from([(field.to_string(), vec![m])]))
}

use crate::kernel::access;

const DATASET_COLUMNS: &str = "d.id, d.name, d.title, d.notes, d.license_id, d.org_id, d.private, d.state, d.review_notes, d.extras, d.satudata, d.year, d.created_by, d.created_at, d.updated_at, d.published_at";

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

const RESOURCE_COLUMNS: &str = "id, dataset_id, position, name, description, format, url, url_type, size, hash, created_at, modified_at,
     EXISTS (SELECT 1 FROM datastore_tables t WHERE t.tenant_id = resources.tenant_id AND t.resource_id = resources.id) AS datastore_active";

fn resource_from_row(r: &Row) -> Result<Resource, StoreError> {
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

fn group_from_row(r: &Row) -> Result<Group, StoreError> {
    Ok(Group { id: r.get("id")?, name: r.get("name")?, title: r.get("title")?, description: r.get("description")? })
}

/// A dataset by id or name, if this viewer may see it.
pub async fn get(store: &Store, tenant: &str, id_or_name: &str, viewer: &Viewer) -> Result<Option<Dataset>, StoreError> {
    let q = select_datasets("d.tenant_id = $1 AND (d.id = $2 OR d.name = $2)");
    let Some(row) = store.fetch_optional(sql_built(q).bind(tenant).bind(id_or_name)).await? else { return Ok(None) };
    let d = load_many(store, tenant, &[row]).await?.pop().ok_or(StoreError::NotFound)?;
    Ok(viewer.may_see(&d).then_some(d))
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
    let id = new_id();
    let mut tx = store.begin().await?;
    let inserted = tx
        .execute(
            sql("INSERT INTO datasets (tenant_id, id, name, title, notes, license_id, org_id, private, state, review_notes, extras, satudata, year,
                                       created_by, created_at, updated_at, published_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', $10, $11, $12, $13, $14, $14, $15)")
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
                .bind((state == State::Published).then_some(now)),
        )
        .await;
    match inserted {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => return Err(invalid("name", Msg::new("catalog.name_taken"))),
        Err(e) => return Err(e.into()),
    }
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
                tx.execute(
                    sql("INSERT INTO resources (tenant_id, id, dataset_id, position, name, description, format, url, url_type, size, hash, created_at, modified_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', NULL, '', $9, $9)")
                        .bind(tenant)
                        .bind(new_id())
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

/// The format from a URL's extension, as CKAN does for links.
pub fn guess_format(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    match path.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()) {
        Some(ext) if ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()) && !path.ends_with('/') => ext.to_uppercase(),
        _ => String::new(),
    }
}

async fn activity(tx: &mut Tx, tenant: &str, dataset: &str, user: Option<&str>, action: &str, notes: &str) -> Result<(), StoreError> {
    tx.execute(
        sql("INSERT INTO dataset_activity (tenant_id, id, dataset_id, at, user_id, action, notes) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(tenant)
            .bind(new_id())
            .bind(dataset)
            .bind(tx.now_ms())
            .bind(user.map(str::to_string))
            .bind(action)
            .bind(notes),
    )
    .await?;
    Ok(())
}

/// Replaces a dataset's fields with the input's (CKAN's package_update).
pub async fn update(store: &Store, tenant: &str, user: &User, id_or_name: &str, input: &DatasetInput) -> Result<Dataset, CatalogError> {
    let viewer = Viewer::of(Some(user));
    let current = get(store, tenant, id_or_name, &viewer).await?.ok_or(CatalogError::NotFound)?;
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
                 year = $9, updated_at = $10 WHERE tenant_id = $11 AND id = $12")
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
                .bind(&current.id),
        )
        .await;
    match changed {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => return Err(invalid("name", Msg::new("catalog.name_taken"))),
        Err(e) => return Err(e.into()),
    }
    write_children(&mut tx, tenant, &current.id, input, &groups, now).await?;
    index_dataset(&mut tx, tenant, &current.id).await?;
    activity(&mut tx, tenant, &current.id, Some(&user.id), "updated", "").await?;
    commit(tx, tenant).await?;
    get(store, tenant, &current.id, &Viewer { admin: true, org_id: None }).await?.ok_or(CatalogError::NotFound)
}

/// The input that reproduces a dataset as it is (the base of a patch).
pub fn as_input(d: &Dataset) -> Value {
    serde_json::json!({
        "name": d.name, "title": d.title, "notes": d.notes, "license_id": d.license_id, "owner_org": d.org.id,
        "private": d.private, "tags": d.tags.iter().map(|t| serde_json::json!({"name": t})).collect::<Vec<_>>(),
        "groups": d.groups.iter().map(|g| serde_json::json!({"name": g.name})).collect::<Vec<_>>(),
        "extras": d.extras, "satudata": d.satudata,
        "resources": d.resources.iter().map(|r| serde_json::json!({
            "id": r.id, "name": r.name, "description": r.description, "format": r.format, "url": r.url,
        })).collect::<Vec<_>>(),
    })
}

/// Moves a dataset along the review cycle.
#[derive(Debug, Clone)]
pub enum Review {
    /// The produsen data asks the walidata to check it.
    Submit,
    /// The walidata publishes it.
    Publish,
    /// The walidata sends it back with notes.
    Return(String),
}

pub async fn review(store: &Store, tenant: &str, user: &User, id_or_name: &str, step: Review) -> Result<Dataset, CatalogError> {
    let d = get(store, tenant, id_or_name, &Viewer::of(Some(user))).await?.ok_or(CatalogError::NotFound)?;
    let (to, action, notes) = match &step {
        Review::Submit => {
            if !access::for_org(user, &d.org.id) {
                return Err(CatalogError::Forbidden);
            }
            if !matches!(d.state, State::Draft | State::Returned) {
                return Err(invalid("state", Msg::new("catalog.state_wrong").arg("state", d.state.as_str())));
            }
            (State::Submitted, "submitted", String::new())
        }
        Review::Publish | Review::Return(_) => {
            if !user.is_region_admin() {
                return Err(CatalogError::Forbidden);
            }
            if d.state == State::Published && matches!(step, Review::Publish) {
                return Err(invalid("state", Msg::new("catalog.state_wrong").arg("state", d.state.as_str())));
            }
            match step {
                Review::Return(notes) if notes.trim().is_empty() => return Err(invalid("notes", Msg::new("catalog.return_needs_notes"))),
                Review::Return(notes) => (State::Returned, "returned", notes.trim().to_string()),
                _ => (State::Published, "published", String::new()),
            }
        }
    };
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    tx.execute(
        sql("UPDATE datasets SET state = $1, review_notes = $2, updated_at = $3,
             published_at = CASE WHEN $1 = 'published' THEN $3 ELSE published_at END WHERE tenant_id = $4 AND id = $5")
        .bind(to.as_str())
        .bind(&notes)
        .bind(now)
        .bind(tenant)
        .bind(&d.id),
    )
    .await?;
    activity(&mut tx, tenant, &d.id, Some(&user.id), action, &notes).await?;
    commit(tx, tenant).await?;
    // The index holds words, not states: visibility is checked against the
    // dataset row at query time, so a review step needs no reindexing.
    get(store, tenant, &d.id, &Viewer { admin: true, org_id: None }).await?.ok_or(CatalogError::NotFound)
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

/// Commits a catalog write. Every write of a dataset, its tags, groups or
/// resources ends here, so the tenant's catalogue version is bumped in the
/// same transaction and every server's cached search answers go stale at
/// the moment the change becomes visible.
async fn commit(mut tx: Tx, tenant: &str) -> Result<(), StoreError> {
    catalog_version::bump(&mut tx, tenant).await?;
    tx.commit().await
}

/// Indexes a dataset as it stands inside the transaction that changed it,
/// so the index never disagrees with a committed dataset. The one
/// definition of what a dataset is found by: title, name, notes,
/// organisation, tags, groups, and its resources' names, descriptions and
/// formats, all stemmed.
pub(crate) async fn index_dataset(tx: &mut Tx, tenant: &str, id: &str) -> Result<(), StoreError> {
    let texts = |q: &'static str| sql(q).bind(tenant).bind(id);
    let mut parts: Vec<String> = Vec::new();
    let head = tx
        .fetch_one(texts(
            "SELECT d.title, d.name, d.notes, o.name AS org_name, o.slug FROM datasets d
             JOIN organizations o ON o.tenant_id = d.tenant_id AND o.id = d.org_id WHERE d.tenant_id = $1 AND d.id = $2",
        ))
        .await?;
    parts.extend(head.values().iter().filter_map(|v| match v {
        DbValue::Text(t) => Some(t.clone()),
        _ => None,
    }));
    for q in [
        "SELECT tag FROM dataset_tags WHERE tenant_id = $1 AND dataset_id = $2",
        "SELECT g.title FROM dataset_groups dg JOIN catalog_groups g ON g.tenant_id = dg.tenant_id AND g.id = dg.group_id WHERE dg.tenant_id = $1 AND dg.dataset_id = $2",
        "SELECT name || ' ' || description || ' ' || format FROM resources WHERE tenant_id = $1 AND dataset_id = $2",
    ] {
        for row in tx.fetch_all(texts(q)).await? {
            parts.push(row.at(0)?);
        }
    }
    search::index(tx, tenant, id, &search::body_of(parts.iter().map(String::as_str))).await
}

#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub at: i64,
    pub action: String,
    pub notes: String,
    pub user_name: Option<String>,
}

/// A dataset's history, newest first, with who did what (by name only).
pub async fn history(store: &Store, tenant: &str, dataset_id: &str) -> Result<Vec<Activity>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT a.at, a.action, a.notes, u.name AS user_name FROM dataset_activity a
                 LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
                 WHERE a.tenant_id = $1 AND a.dataset_id = $2 ORDER BY a.at DESC, a.id DESC")
            .bind(tenant)
            .bind(dataset_id),
        )
        .await?;
    rows.iter()
        .map(|r| Ok(Activity { at: r.get("at")?, action: r.get("action")?, notes: r.get("notes")?, user_name: r.get("user_name")? }))
        .collect()
}

/// Names of the datasets this viewer may see (CKAN's package_list).
pub async fn names(store: &Store, tenant: &str, viewer: &Viewer, limit: i64, offset: i64) -> Result<Vec<String>, StoreError> {
    let (filter, args) = viewer.filter(2);
    let q = format!("SELECT d.name FROM datasets d WHERE d.tenant_id = $1 AND {filter} ORDER BY d.name LIMIT {limit} OFFSET {offset}");
    store.fetch_all(sql_built(q).bind(tenant).bind_all(args)).await?.iter().map(|r| r.at(0)).collect()
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

// ---- uploads -----------------------------------------------------------

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
    if super::datastore::is_tabular(&filename) {
        // The table is loaded right after this commit; if the process dies
        // first, this job loads it (it does nothing when the table is current).
        let job = crate::kernel::jobs::NewJob::now(
            now,
            tenant,
            super::datastore::LOAD_JOB,
            resource_id.as_str(),
            serde_json::json!({ "resource_id": resource_id }),
        );
        crate::kernel::jobs::enqueue(&mut tx, &job).await?;
    }
    commit(tx, tenant).await?;
    resource(store, tenant, &resource_id).await?.ok_or(CatalogError::NotFound)
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
