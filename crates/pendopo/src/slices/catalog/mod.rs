//! The Satu Data catalog: datasets with Satu Data metadata, their resources,
//! tags and groups, the produsen data > walidata review cycle, search in the
//! database, and the CKAN Action API.

pub mod ckan;
pub mod datastore;
pub mod dcat;
pub mod demo;
pub mod generated;
pub mod intake;
pub mod model;
pub mod pages;
mod panels;
pub mod repo;
pub mod resources;
pub mod search;
pub mod search_cache;
pub mod solr;
pub mod sql_check;

use crate::web::App;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: TABLES,
    // The search index and the datastore's tables (`ds_...`), loaded again
    // from the kept files with the types recorded for them.
    derived: |name| name == "dataset_search" || name.starts_with("dataset_search_") || name.starts_with("ds_"),
    rebuild: Some(|from, to, files| {
        Box::pin(async move {
            search::reindex_all(to).await?;
            datastore::rebuild_all(to, files).await?;
            datastore::copy_api_tables(from, to).await?;
            Ok(())
        })
    }),
    setup_tenant: Some(|store, tenant| Box::pin(repo::ensure_default_groups(store, tenant))),
    jobs: job_handlers,
    // One route for every CKAN action: each write action checks its caller
    // (tests/it/ckan_api.rs), reads are public as in CKAN.
    open_writes: &["/api/3/action/{action}", "/api/action/{action}"],
    menu: &[
        crate::slices::MenuEntry { label: "nav.datasets", href: "/dataset", admins_only: false },
        crate::slices::MenuEntry { label: "nav.review", href: "/dataset/review", admins_only: true },
    ],
    state: Some(|parts| {
        parts.insert(std::sync::Arc::new(search_cache::SearchCache::default()));
    }),
    templates: &[
        ("catalog/dataset_form.html", include_str!("templates/dataset_form.html")),
        ("catalog/dataset_items.html", include_str!("templates/dataset_items.html")),
        ("catalog/dataset_list.html", include_str!("templates/dataset_list.html")),
        ("catalog/panel_home.html", include_str!("templates/panel_home.html")),
        ("catalog/panel_organization.html", include_str!("templates/panel_organization.html")),
        ("catalog/panel_region.html", include_str!("templates/panel_region.html")),
        ("catalog/dataset_review.html", include_str!("templates/dataset_review.html")),
        ("catalog/dataset_show.html", include_str!("templates/dataset_show.html")),
        ("catalog/group_list.html", include_str!("templates/group_list.html")),
        ("catalog/group_show.html", include_str!("templates/group_show.html")),
        ("catalog/resource_show.html", include_str!("templates/resource_show.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    migrations: &[
        crate::store::Migration::per_engine(
            2,
            "0002_catalog",
            include_str!("migrations/0002_catalog.sqlite.sql"),
            include_str!("migrations/0002_catalog.postgres.sql"),
        ),
        crate::store::Migration::per_engine(
            3,
            "0003_datastore",
            include_str!("migrations/0003_datastore.sqlite.sql"),
            include_str!("migrations/0003_datastore.postgres.sql"),
        ),
        crate::store::Migration::per_engine(
            6,
            "0006_catalog_version",
            include_str!("migrations/0006_catalog_version.sqlite.sql"),
            include_str!("migrations/0006_catalog_version.postgres.sql"),
        ),
        crate::store::Migration::shared(11, "0011_dataset_core", include_str!("migrations/0011_dataset_core.sql")),
        crate::store::Migration::shared(12, "0012_resource_ids", include_str!("migrations/0012_resource_ids.sql")),
    ],
    panel: Some(|ctx, place| Box::pin(panels::panel(ctx, place))),
    demo: Some(|region| {
        Box::pin(async move { Ok(format!("{} datasets", demo::load(region.store, region.files, region.tenant, region.admin).await?)) })
    }),
    ..crate::slices::Slice::new("catalog", routes)
};

/// Catalogue search answers, valid until the tenant's next catalog write.
pub fn searches(app: &App) -> &search_cache::SearchCache {
    app.parts.get::<std::sync::Arc<search_cache::SearchCache>>().expect("the catalog slice puts its search cache into the state")
}

/// The catalog's background jobs: indexing a loaded table's columns.
pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![
        (datastore::LOAD_JOB, |app, job| {
            Box::pin(async move {
                let resource = crate::worker::text(&job, "resource_id")?;
                datastore::load_if_stale(&app.store, &app.files, &job.tenant_id, &resource).await.map(|_| ()).map_err(|e| e.to_string())
            })
        }),
        (datastore::INDEX_JOB, |app, job| {
            Box::pin(async move {
                let table = crate::worker::text(&job, "table")?;
                let columns: Vec<String> = serde_json::from_value(job.payload["columns"].clone()).map_err(|e| e.to_string())?;
                datastore::index_columns(&app.store, &table, &columns).await;
                Ok(())
            })
        }),
    ]
}

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new().merge(ckan::routes()).merge(pages::routes()).merge(dcat::http::routes()).merge(resources::routes())
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
