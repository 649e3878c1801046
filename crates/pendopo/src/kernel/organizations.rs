//! Organisations (OPD, perangkat daerah): the agencies, hospitals and
//! kecamatan offices that publish and answer inside a region.

use crate::kernel::identity::new_id;
use crate::kernel::msg::Msg;
use crate::store::{Row, Store, StoreError, sql};

/// Kinds of organisation, as catalogue keys `org_kind.<kind>`.
pub const KINDS: [&str; 8] = ["sekretariat", "dinas", "badan", "inspektorat", "kecamatan", "kelurahan", "rumah_sakit", "lainnya"];

#[derive(Debug, Clone, serde::Serialize)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub region_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The editable fields, from a form or a JSON body.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OrgInput {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub region_code: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// A field that cannot be saved as given: (field, message).
    #[error("{0}: {1:?}")]
    Invalid(&'static str, Msg),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Slugs follow CKAN's rule for names: 2-100 characters of a-z, 0-9, - and _.
pub fn valid_slug(s: &str) -> bool {
    (2..=100).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A slug made from a name: "Dinas Pertanian" > "dinas-pertanian".
pub fn slugify(name: &str) -> String {
    let folded = wilayah::fold(name);
    let mut out = String::new();
    for ch in folded.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(100).collect()
}

fn from_row(r: &Row) -> Result<Organization, StoreError> {
    read(r, |column| column.to_string())
}

/// An organisation read from another table's row, joined as `alias` with
/// the columns of [`joined_columns`].
pub fn from_joined(r: &Row, alias: &str) -> Result<Organization, StoreError> {
    read(r, |column| format!("{alias}_{column}"))
}

fn read(r: &Row, name: impl Fn(&str) -> String) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: r.get(&name("id"))?,
        slug: r.get(&name("slug"))?,
        name: r.get(&name("name"))?,
        kind: r.get(&name("kind"))?,
        description: r.get(&name("description"))?,
        region_code: r.get(&name("region_code"))?,
        created_at: r.get(&name("created_at"))?,
        updated_at: r.get(&name("updated_at"))?,
    })
}

const FIELDS: [&str; 8] = ["id", "slug", "name", "kind", "description", "region_code", "created_at", "updated_at"];

const COLUMNS: &str = "SELECT id, slug, name, kind, description, region_code, created_at, updated_at FROM organizations";

/// The columns to select from `organizations` joined as `alias`, named
/// apart from the other table's (`{alias}_{column}`), for [`from_joined`].
pub fn joined_columns(alias: &str) -> String {
    FIELDS.iter().map(|f| format!("{alias}.{f} AS {alias}_{f}")).collect::<Vec<_>>().join(", ")
}

pub async fn list(store: &Store, tenant_id: &str) -> Result<Vec<Organization>, StoreError> {
    let q = crate::store::sql_built(format!("{COLUMNS} WHERE tenant_id = $1 ORDER BY name"));
    store.fetch_all(q.bind(tenant_id)).await?.iter().map(from_row).collect()
}

pub async fn get(store: &Store, tenant_id: &str, slug: &str) -> Result<Option<Organization>, StoreError> {
    let q = crate::store::sql_built(format!("{COLUMNS} WHERE tenant_id = $1 AND slug = $2"));
    store.fetch_optional(q.bind(tenant_id).bind(slug)).await?.as_ref().map(from_row).transpose()
}

pub async fn get_by_id(store: &Store, tenant_id: &str, id: &str) -> Result<Option<Organization>, StoreError> {
    let q = crate::store::sql_built(format!("{COLUMNS} WHERE tenant_id = $1 AND id = $2"));
    store.fetch_optional(q.bind(tenant_id).bind(id)).await?.as_ref().map(from_row).transpose()
}

async fn check(store: &Store, tenant_id: &str, input: &OrgInput) -> Result<(), OrgError> {
    if !valid_slug(&input.slug) {
        return Err(OrgError::Invalid("slug", Msg::new("error.slug_invalid")));
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(OrgError::Invalid("name", Msg::new("error.name_required")));
    }
    if !crate::kernel::text::is_plain(name) {
        return Err(OrgError::Invalid("name", Msg::new("error.name_control")));
    }
    if !KINDS.contains(&input.kind.as_str()) {
        return Err(OrgError::Invalid("kind", Msg::new("error.kind_unknown").arg("kind", &input.kind)));
    }
    if let Some(code) = input.region_code.as_deref().filter(|c| !c.is_empty()) {
        let known: i64 = store
            .fetch_scalar(sql("SELECT count(*) FROM tenant_regions WHERE tenant_id = $1 AND code = $2").bind(tenant_id).bind(code))
            .await?;
        if known == 0 {
            return Err(OrgError::Invalid("region_code", Msg::new("error.region_not_in_tenant").arg("code", code)));
        }
    }
    Ok(())
}

fn region(input: &OrgInput) -> Option<String> {
    input.region_code.clone().filter(|c| !c.trim().is_empty())
}

pub async fn create(store: &Store, tenant_id: &str, input: &OrgInput) -> Result<Organization, OrgError> {
    create_with_id(store, tenant_id, None, input).await
}

/// Creates an organisation with the id given (a copy from another CKAN
/// keeps its ids, so its datasets find their owner), or a new one.
pub async fn create_with_id(store: &Store, tenant_id: &str, id: Option<&str>, input: &OrgInput) -> Result<Organization, OrgError> {
    check(store, tenant_id, input).await?;
    if let Some(id) = id
        && get_by_id(store, tenant_id, id).await?.is_some()
    {
        return Err(OrgError::Invalid("id", Msg::new("error.id_taken")));
    }
    let now = store.now_ms();
    let org = Organization {
        id: id.map(str::to_string).unwrap_or_else(new_id),
        slug: input.slug.clone(),
        name: input.name.trim().to_string(),
        kind: input.kind.clone(),
        description: input.description.trim().to_string(),
        region_code: region(input),
        created_at: now,
        updated_at: now,
    };
    let q = sql("INSERT INTO organizations (tenant_id, id, slug, name, kind, description, region_code, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)")
    .bind(tenant_id)
    .bind(&org.id)
    .bind(&org.slug)
    .bind(&org.name)
    .bind(&org.kind)
    .bind(&org.description)
    .bind(org.region_code.clone())
    .bind(now);
    match store.execute(q).await {
        Ok(_) => Ok(org),
        Err(StoreError::Duplicate(_)) => Err(OrgError::Invalid("slug", Msg::new("error.slug_taken").arg("slug", &org.slug))),
        Err(e) => Err(e.into()),
    }
}

/// Saves new values for an organisation found by its current slug.
pub async fn update(store: &Store, tenant_id: &str, current_slug: &str, input: &OrgInput) -> Result<Organization, OrgError> {
    let existing = get(store, tenant_id, current_slug).await?.ok_or(StoreError::NotFound)?;
    check(store, tenant_id, input).await?;
    let now = store.now_ms();
    let q = sql("UPDATE organizations SET slug = $1, name = $2, kind = $3, description = $4, region_code = $5, updated_at = $6
                 WHERE tenant_id = $7 AND id = $8")
    .bind(&input.slug)
    .bind(input.name.trim())
    .bind(&input.kind)
    .bind(input.description.trim())
    .bind(region(input))
    .bind(now)
    .bind(tenant_id)
    .bind(&existing.id);
    // A slug is a facet value and a search filter: the catalogue's cached
    // answers go stale with it.
    let mut tx = store.begin().await?;
    let updated = tx.execute(q).await;
    if updated.is_ok() {
        super::catalog_version::bump(&mut tx, tenant_id).await?;
        tx.commit().await?;
    }
    match updated {
        Ok(_) => Ok(get_by_id(store, tenant_id, &existing.id).await?.ok_or(StoreError::NotFound)?),
        Err(StoreError::Duplicate(_)) => Err(OrgError::Invalid("slug", Msg::new("error.slug_taken").arg("slug", &input.slug))),
        Err(e) => Err(e.into()),
    }
}

/// Removes an organisation that nothing belongs to any more: no dataset
/// (a deleted one must be purged first) and no user.
pub async fn delete(store: &Store, tenant_id: &str, id: &str) -> Result<(), OrgError> {
    let count = |q: &'static str| sql(q).bind(tenant_id).bind(id);
    let mut tx = store.begin().await?;
    if tx.fetch_scalar::<i64>(count("SELECT count(*) FROM datasets WHERE tenant_id = $1 AND org_id = $2")).await? > 0 {
        return Err(OrgError::Invalid("id", Msg::new("error.org_has_datasets")));
    }
    if tx.fetch_scalar::<i64>(count("SELECT count(*) FROM users WHERE tenant_id = $1 AND org_id = $2")).await? > 0 {
        return Err(OrgError::Invalid("id", Msg::new("error.org_has_users")));
    }
    if tx.execute(count("DELETE FROM organizations WHERE tenant_id = $1 AND id = $2")).await? == 0 {
        return Err(OrgError::Store(StoreError::NotFound));
    }
    super::catalog_version::bump(&mut tx, tenant_id).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_ckan_names() {
        assert_eq!(slugify("Dinas Komunikasi dan Informatika"), "dinas-komunikasi-dan-informatika");
        assert_eq!(slugify("RSUD Dr. R. Sosodoro Djatikoesoemo"), "rsud-dr-r-sosodoro-djatikoesoemo");
        assert!(valid_slug("dinas-pertanian"));
        for bad in ["a", "Dinas", "dinas pertanian", "dinas.pertanian", &"x".repeat(101)] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }
}
