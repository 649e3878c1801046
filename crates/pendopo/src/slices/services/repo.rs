//! The catalogue's tables: services and the versions of their standards.
//! A save is one transaction: the service row and, when its standard's text
//! changed, a new version beside the old ones.

use std::collections::BTreeMap;

use layanan::case::{Kind, SlaSettings};

use super::model::{Agency, Checked, FieldErrors, Service, Standard};
use crate::kernel::identity::{User, new_id};
use crate::kernel::msg::Msg;
use crate::kernel::organizations::Organization;
use crate::store::{Row, Store, StoreError, sql, sql_built};

const COLUMNS: &str = "SELECT s.id, s.code, s.name, s.org_id, o.slug AS org_slug, o.name AS org_name, s.description, s.kinds,
        s.verify_working_days, s.follow_up_working_days, s.auto_close_working_days, s.resolution_days, s.yearly_users,
        s.attributes, s.created_at, s.updated_at
    FROM services s JOIN organizations o ON o.tenant_id = s.tenant_id AND o.id = s.org_id";

fn days(r: &Row, column: &str) -> Result<u32, StoreError> {
    Ok(r.get::<i64>(column)? as u32)
}

fn from_row(r: &Row) -> Result<Service, StoreError> {
    let kinds: String = r.get("kinds")?;
    let attributes: String = r.get("attributes")?;
    Ok(Service {
        id: r.get("id")?,
        code: r.get("code")?,
        name: r.get("name")?,
        agency: Agency { id: r.get("org_id")?, slug: r.get("org_slug")?, name: r.get("org_name")? },
        description: r.get("description")?,
        kinds: kinds.split(',').filter_map(Kind::from_code).collect(),
        sla: SlaSettings {
            verify_working_days: days(r, "verify_working_days")?,
            follow_up_working_days: days(r, "follow_up_working_days")?,
            auto_close_working_days: days(r, "auto_close_working_days")?,
            resolution_days: days(r, "resolution_days")?,
        },
        yearly_users: r.get("yearly_users")?,
        attributes: serde_json::from_str(&attributes)
            .map_err(|e| StoreError::Decode { column: "attributes".into(), reason: e.to_string() })?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

/// The region's services, by agency name then service name.
pub async fn list(store: &Store, tenant: &str) -> Result<Vec<Service>, StoreError> {
    let q = sql_built(format!("{COLUMNS} WHERE s.tenant_id = $1 ORDER BY o.name, o.slug, s.name, s.code"));
    store.fetch_all(q.bind(tenant)).await?.iter().map(from_row).collect()
}

pub async fn get(store: &Store, tenant: &str, code: &str) -> Result<Option<Service>, StoreError> {
    let q = sql_built(format!("{COLUMNS} WHERE s.tenant_id = $1 AND s.code = $2"));
    store.fetch_optional(q.bind(tenant).bind(code)).await?.as_ref().map(from_row).transpose()
}

fn standard_from_row(r: &Row) -> Result<Standard, StoreError> {
    let components: String = r.get("components")?;
    Ok(Standard {
        version: r.get("version")?,
        components: serde_json::from_str(&components)
            .map_err(|e| StoreError::Decode { column: "components".into(), reason: e.to_string() })?,
        maklumat: r.get("maklumat")?,
        created_at: r.get("created_at")?,
    })
}

/// A version of a service's standard: the given one, or the newest.
pub async fn standard(store: &Store, tenant: &str, service_id: &str, version: Option<i64>) -> Result<Option<Standard>, StoreError> {
    let q = match version {
        Some(v) => sql("SELECT version, components, maklumat, created_at FROM service_standards
                        WHERE tenant_id = $1 AND service_id = $2 AND version = $3")
        .bind(tenant)
        .bind(service_id)
        .bind(v),
        None => sql("SELECT version, components, maklumat, created_at FROM service_standards
                     WHERE tenant_id = $1 AND service_id = $2 ORDER BY version DESC LIMIT 1")
        .bind(tenant)
        .bind(service_id),
    };
    store.fetch_optional(q).await?.as_ref().map(standard_from_row).transpose()
}

/// The versions of a service's standard, newest first: (version, saved at).
pub async fn versions(store: &Store, tenant: &str, service_id: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let q = sql("SELECT version, created_at FROM service_standards WHERE tenant_id = $1 AND service_id = $2 ORDER BY version DESC")
        .bind(tenant)
        .bind(service_id);
    store.fetch_all(q).await?.iter().map(|r| Ok((r.get("version")?, r.get("created_at")?))).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("invalid fields")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a service (`existing` None) or changes one, in one transaction:
/// a standard whose text differs from the newest version becomes the next.
pub async fn save(
    store: &Store,
    tenant: &str,
    user: &User,
    existing: Option<&Service>,
    org: &Organization,
    input: &Checked,
) -> Result<Service, SaveError> {
    let now = store.now_ms();
    let id = existing.map_or_else(new_id, |s| s.id.clone());
    let kinds = input.kinds.iter().map(|k| k.code()).collect::<Vec<_>>().join(",");
    let attributes = serde_json::to_string(&input.attributes).expect("attributes serialise");
    let q = if existing.is_some() {
        sql("UPDATE services SET code = $3, name = $4, org_id = $5, description = $6, kinds = $7, verify_working_days = $8,
                follow_up_working_days = $9, auto_close_working_days = $10, resolution_days = $11, yearly_users = $12,
                attributes = $13, updated_at = $14
             WHERE tenant_id = $1 AND id = $2")
    } else {
        sql("INSERT INTO services (tenant_id, id, code, name, org_id, description, kinds, verify_working_days,
                follow_up_working_days, auto_close_working_days, resolution_days, yearly_users, attributes, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)")
    };
    let q = q
        .bind(tenant)
        .bind(&id)
        .bind(&input.code)
        .bind(&input.name)
        .bind(&org.id)
        .bind(&input.description)
        .bind(kinds)
        .bind(i64::from(input.sla.verify_working_days))
        .bind(i64::from(input.sla.follow_up_working_days))
        .bind(i64::from(input.sla.auto_close_working_days))
        .bind(i64::from(input.sla.resolution_days))
        .bind(input.yearly_users)
        .bind(attributes)
        .bind(now);
    let mut tx = store.begin().await?;
    match tx.execute(q).await {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => {
            let taken = Msg::new("layanan.code_taken").arg("code", &input.code);
            return Err(SaveError::Invalid(vec![("code".into(), taken)]));
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(given) = &input.standard {
        let latest = match existing {
            Some(s) => standard(store, tenant, &s.id, None).await?,
            None => None,
        };
        let changed = latest.as_ref().is_none_or(|l| l.components != given.components || l.maklumat != given.maklumat);
        if changed {
            let next = latest.map_or(1, |l| l.version + 1);
            let components: BTreeMap<&String, &String> = given.components.iter().collect();
            tx.execute(
                sql("INSERT INTO service_standards (tenant_id, service_id, version, components, maklumat, created_at, created_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(tenant)
                .bind(&id)
                .bind(next)
                .bind(serde_json::to_string(&components).expect("components serialise"))
                .bind(&given.maklumat)
                .bind(now)
                .bind(&user.id),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(get(store, tenant, &input.code).await?.ok_or(StoreError::NotFound)?)
}
