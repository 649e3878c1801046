//! The Satu Data catalog: datasets with Satu Data metadata, their resources,
//! tags and groups, the produsen data > walidata review cycle, search in the
//! database, and the CKAN Action API.

pub mod ckan;
pub mod datastore;
pub mod dcat;
pub mod intake;
pub mod model;
pub mod pages;
pub mod repo;
pub mod resources;
pub mod search;
pub mod search_cache;
pub mod sql_check;

use axum::Router;

use crate::web::App;

/// The catalog's background jobs: indexing a loaded table's columns.
pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![(datastore::INDEX_JOB, |app, job| {
        Box::pin(async move {
            let table = crate::worker::text(&job, "table")?;
            let columns: Vec<String> = serde_json::from_value(job.payload["columns"].clone()).map_err(|e| e.to_string())?;
            datastore::index_columns(&app.store, &table, &columns).await;
            Ok(())
        })
    })]
}

pub fn routes() -> Router<App> {
    Router::new().merge(ckan::routes()).merge(pages::routes()).merge(resources::routes())
}

/// The catalog's tables, parents first, for `db copy`. The search index is
/// derived and rebuilt instead (`search::reindex_all`).
pub const TABLES: &[&str] = &[
    "catalog_groups",
    "datasets",
    "dataset_tags",
    "dataset_groups",
    "resources",
    "resource_versions",
    "datastore_tables",
    "dataset_activity",
];
