//! Open contracting: a region's procurement as OCDS 1.1 releases. Officers
//! record each step (or import CSV or OCDS files); the releases are published
//! at persistent URLs (`publish`), summarised and screened for red flags
//! (`index`), shown to citizens with a map and a dashboard (`pages`), who
//! can leave monitoring reports that the agency answers (`reports`).

pub mod budget_links;
pub mod cli;
mod csv_rows;
pub mod demo;
mod entry;
pub mod files;
pub mod flag_form;
mod import;
pub mod index;
mod pages;
mod panels;
pub mod payments;
mod publish;
pub mod releases;
pub mod repo;
mod reports;
pub mod settings;
mod validation;

use std::sync::OnceLock;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use import::{ImportError, ImportReport, Mode, Prepared, import, import_with, prepare, store_prepared, store_releases};

/// The bid extension, declared in every package: the releases may carry
/// `bids`, which the red-flag indicators read.
pub const BID_EXTENSION: &str = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json";

/// The pagination extension (`links.next`, `links.prev` on packages), at
/// the address publishers declare it by (it has no release tags).
pub const PAGINATION_EXTENSION: &str =
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/master/extension.json";

/// Copied by `db copy`; the summaries and flags are rebuilt from the releases.
pub const TABLES: &[&str] = &["ocds_releases", "ocds_settings", "ocds_files", "ocds_reports"];

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: TABLES,
    derived: |name| matches!(name, "ocds_processes" | "ocds_flags"),
    rebuild: Some(|_, to, _| Box::pin(index::rebuild_all(to))),
    jobs: job_handlers,
    machine_paths: &["/ocds/"],
    // Validating a file stores nothing; citizens report without an account.
    open_writes: &["/ocds/validate", "/pengadaan/validasi", "/pengadaan/{ocid}/laporan"],
    menu: &[crate::slices::MenuEntry { label: "nav.pengadaan", href: "/pengadaan", admins_only: false }],
    templates: &[
        ("contracting/dashboard.html", include_str!("templates/dashboard.html")),
        ("contracting/import.html", include_str!("templates/import.html")),
        ("contracting/inbox.html", include_str!("templates/inbox.html")),
        ("contracting/list.html", include_str!("templates/list.html")),
        ("contracting/legend.html", include_str!("templates/legend.html")),
        ("contracting/map.html", include_str!("templates/map.html")),
        ("contracting/new.html", include_str!("templates/new.html")),
        ("contracting/panel.html", include_str!("templates/panel.html")),
        ("contracting/policy.html", include_str!("templates/policy.html")),
        ("contracting/settings.html", include_str!("templates/settings.html")),
        ("contracting/show.html", include_str!("templates/show.html")),
        ("contracting/step.html", include_str!("templates/step.html")),
        ("contracting/validation.html", include_str!("templates/validation.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    migrations: &[
        crate::store::Migration::per_engine(
            4,
            "0004_contracting",
            include_str!("migrations/0004_contracting.sqlite.sql"),
            include_str!("migrations/0004_contracting.postgres.sql"),
        ),
        crate::store::Migration::per_engine(
            5,
            "0005_contracting_pages",
            include_str!("migrations/0005_contracting_pages.sqlite.sql"),
            include_str!("migrations/0005_contracting_pages.postgres.sql"),
        ),
        crate::store::Migration::shared(9, "0009_report_sender", include_str!("migrations/0009_report_sender.sql")),
        crate::store::Migration::shared(13, "0013_ocds_feeds", include_str!("migrations/0013_ocds_feeds.sql")),
    ],
    cli: Some(cli::CLI),
    panel: Some(|ctx, place| Box::pin(panels::panel(ctx, place))),
    demo: Some(|region| Box::pin(async move { Ok(format!("{} procurement processes", demo::load(region.store, region.tenant).await?)) })),
    ..crate::slices::Slice::new("pengadaan", routes)
};

/// The background jobs of open contracting: the region's flags, and the
/// summaries of processes whose releases were stored.
pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![
        (index::REFLAG_JOB, |app, job| Box::pin(async move { index::reflag(&app.store, &job.tenant_id).await.map_err(|e| e.to_string()) })),
        (index::REFRESH_JOB, |app, job| {
            Box::pin(async move {
                let ocids: Vec<String> = serde_json::from_value(job.payload["ocids"].clone()).map_err(|e| e.to_string())?;
                index::refresh(&app.store, &job.tenant_id, Some(&ocids)).await.map(|_| ()).map_err(|e| e.to_string())
            })
        }),
    ]
}

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/ocds/releases", get(publish::releases))
        .route("/ocds/releases/{ocid}/{release_id}", get(publish::one_release))
        .route("/ocds/records/{ocid}", get(publish::record))
        .route("/ocds/bulk/releases.jsonl.gz", get(publish::bulk))
        .route("/ocds/bulk/compiled.csv", get(publish::compiled_csv))
        .route("/ocds/validate", post(publish::validate).layer(DefaultBodyLimit::disable()))
        .route("/pengadaan", get(pages::list).post(entry::create).layer(DefaultBodyLimit::disable()))
        .route("/pengadaan/dasbor", get(pages::dashboard))
        .route("/pengadaan/peta", get(pages::map_page))
        .route("/pengadaan/laporan", get(reports::inbox))
        .route("/pengadaan/baru", get(entry::new_page))
        .route("/pengadaan/impor", get(entry::import_page).post(entry::import_upload).layer(DefaultBodyLimit::disable()))
        .route("/pengadaan/pengaturan", get(settings::page).post(settings::submit))
        .route("/pengadaan/pengaturan/bendera.ini", get(settings::download))
        .route("/pengadaan/pengaturan/unggah", post(settings::upload).layer(DefaultBodyLimit::disable()))
        .route(settings::POLICY_PATH, get(settings::policy))
        .route("/pengadaan/berkas/{id}/{name}", get(files::serve))
        .route("/pengadaan/validasi", get(validation::page).post(validation::submit).layer(DefaultBodyLimit::disable()))
        .route("/pengadaan/{ocid}", get(pages::show))
        .route("/pengadaan/{ocid}/langkah/{step}", get(entry::step_page).post(entry::step_submit).layer(DefaultBodyLimit::disable()))
        .route("/pengadaan/{ocid}/laporan", post(reports::create).layer(DefaultBodyLimit::disable()))
        .route("/pengadaan/{ocid}/laporan/{id}/jawab", post(reports::answer))
}

fn merger() -> &'static ocds::merge::Merger {
    static MERGER: OnceLock<ocds::merge::Merger> = OnceLock::new();
    MERGER.get_or_init(ocds::merge::Merger::ocds_1_1)
}
