//! Features as vertical slices: each owns its routes, pages and API, and is
//! merged into the router in one line (`web::router`).

pub mod accounts;
pub mod catalog;
pub mod contracting;
pub mod home;
pub mod jobs;
pub mod organizations;
pub mod users;
pub mod wilayah;

use serde::Deserialize;

/// The hidden field every form sends back.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// Every table `db copy` moves, parents first: the kernel's, then each slice's.
pub fn copied_tables() -> Vec<&'static str> {
    [crate::kernel::db_copy::KERNEL_TABLES, catalog::TABLES, contracting::TABLES].concat()
}

/// Tables derived from others: rebuilt after a copy, not copied. The
/// search index, the procurement summaries and flags, and the datastore's tables (`ds_...`), which are loaded
/// again from the kept files with the types recorded for them.
pub fn is_derived_table(name: &str) -> bool {
    name == "dataset_search" || name.starts_with("dataset_search_") || name.starts_with("ds_") || contracting::is_derived_table(name)
}

/// Rebuilds on `to` what `db copy` does not copy table by table: the search
/// index, the datastore tables loaded from files (reloaded), and those made
/// through the API (copied row by row from `from`).
pub async fn rebuild_derived(
    from: &crate::store::Store,
    to: &crate::store::Store,
    files: &crate::kernel::files::FileStore,
) -> Result<(), crate::store::StoreError> {
    catalog::search::reindex_all(to).await?;
    catalog::datastore::rebuild_all(to, files).await?;
    catalog::datastore::copy_api_tables(from, to).await?;
    contracting::index::rebuild_all(to).await
}

/// The handlers of every slice's background jobs, by kind.
pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    [catalog::job_handlers(), contracting::job_handlers()].concat()
}

/// What each slice sets up for a new region (e.g. the default groups).
pub async fn setup_tenant(store: &crate::store::Store, tenant_id: &str) -> Result<(), crate::store::StoreError> {
    catalog::repo::ensure_default_groups(store, tenant_id).await
}
