//! The catalogue version: a per-tenant counter that every write able to
//! change a catalogue search answer bumps inside its own transaction
//! (datasets and their tags, groups and resources in the catalog slice;
//! organisations here in the kernel, whose slugs are facet values and
//! filters). Servers cache search answers under the version they read
//! before computing them, so a write makes the cached answers of its tenant
//! stale on every server at the moment it commits. It lives in the kernel
//! because organisations, a kernel table, must bump it too.

use crate::store::{Result, Store, Tx, sql};

/// Bumps the tenant's version. Call it last in the transaction, right
/// before commit: on PostgreSQL it takes the counter row's lock, and a lock
/// held only until commit cannot take part in a deadlock.
pub async fn bump(tx: &mut Tx, tenant: &str) -> Result<()> {
    tx.execute(
        sql("INSERT INTO catalog_versions (tenant_id, version) VALUES ($1, 1)
             ON CONFLICT (tenant_id) DO UPDATE SET version = catalog_versions.version + 1")
        .bind(tenant),
    )
    .await?;
    Ok(())
}

/// Bumps every tenant's version (after a rebuild of derived data, which
/// may change answers without going through a dataset write).
pub async fn bump_all(tx: &mut Tx) -> Result<()> {
    tx.execute(sql("UPDATE catalog_versions SET version = version + 1")).await?;
    Ok(())
}

/// The tenant's version now: one primary-key lookup, 0 before any write.
pub async fn current(store: &Store, tenant: &str) -> Result<i64> {
    let row = store.fetch_optional(sql("SELECT version FROM catalog_versions WHERE tenant_id = $1").bind(tenant)).await?;
    row.map_or(Ok(0), |r| r.at(0))
}
