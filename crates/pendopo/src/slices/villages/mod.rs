//! Villages (*desa*): every desa and kelurahan of the region has its page
//! from day one (from the region table). A village's operator keeps its
//! APBDes per year (entered line by line, imported from a Siskeudes-style
//! spreadsheet, amended as APBDes Perubahan that keep the old versions),
//! the realisation per semester, the profile, the accountability report
//! (LPJ) and billboard photos, and the IDM scores; the regency (DPMD)
//! imports the official IDM table, returns entries with a note, sets the
//! transparency weights and compares all villages with the Festival
//! Transparansi Desa ranking. The rules are the `anggaran` crate's; this
//! slice stores, authorises and shows.

mod api;
mod compare;
pub mod datasets;
pub mod demo;
mod downloads;
mod forms;
mod kecamatan_map;
mod messages;
mod pages;
pub mod poster;
mod poster_pages;
mod repo;
mod spreadsheet;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::routing::{get, post};

use crate::slices::Op;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

pub use datasets::refresh as refresh_datasets;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: &[
        "village_apbdes",
        "village_apbdes_lines",
        "village_profiles",
        "village_idm",
        "village_documents",
        "village_reviews",
        "village_settings",
        "village_figures_version",
    ],
    menu: &[crate::slices::MenuEntry { label: "nav.desa", href: "/desa", admins_only: false }],
    templates: &[
        ("villages/list.html", include_str!("templates/list.html")),
        ("villages/show.html", include_str!("templates/show.html")),
        ("villages/manage.html", include_str!("templates/manage.html")),
        ("villages/regency.html", include_str!("templates/regency.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    migrations: &[crate::store::Migration::shared(22, "0022_villages", include_str!("migrations/0022_villages.sql"))],
    demo: Some(|region| Box::pin(demo::load(region))),
    jobs: job_handlers,
    state: Some(|parts| {
        parts.insert(Arc::new(Cache::default()));
    }),
    ..crate::slices::Slice::new("desa", routes)
};

pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![(datasets::REFRESH_JOB, |app, job| {
        Box::pin(async move { datasets::refresh(&app.store, &app.files, &job.tenant_id).await.map(|_| ()) })
    })]
}

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/desa", get(pages::list))
        .route("/desa/kabupaten", get(forms::regency_page).post(forms::regency_form).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/desa/{code}", get(pages::show))
        .route("/desa/{code}/dokumen/{id}", get(pages::document))
        .route("/desa/{code}/poster/{file}", get(poster_pages::one))
        .route("/desa/{code}/apbdes/{year}/datapackage.json", get(downloads::datapackage))
        .route("/desa/{code}/apbdes/{year}/apbdes.csv", get(downloads::csv))
        .route("/desa/poster/{file}", get(poster_pages::all))
        .route("/desa/{code}/kelola", get(forms::manage_page).post(forms::manage_form).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/desa/{code}/tinjau", post(forms::review_form))
        .api(
            "/api/v1/desa",
            get(api::list),
            &[Op { method: "get", summary: "Every village's figures for a year (?year=, ?kecamatan=): Dana Desa and ADD per resident, realisation, IDM status and its change, transparency score and rank" }],
        )
        .api("/api/v1/desa/{code}", get(api::show), &[Op { method: "get", summary: "A village's profile, transparency documents and IDM history" }])
        .api(
            "/api/v1/desa/{code}/apbdes/{year}",
            get(api::apbdes_get).put(api::apbdes_put),
            &[
                Op { method: "get", summary: "A village's APBDes of a year (?versi=N): lines with plan and realisation per semester, totals, what the Perubahan changed" },
                Op { method: "put", summary: "Store a village's APBDes of a year, all lines or none (a published budget whose plan changes becomes a new version, the Perubahan)" },
            ],
        )
        .api(
            "/api/v1/desa/{code}/idm/{year}",
            get(api::idm_get).put(api::idm_put),
            &[
                Op { method: "get", summary: "A desa's IDM of a year: {iks, ike, ikl, idm, status} (kelurahan: 409)" },
                Op { method: "put", summary: "Store a desa's 50 IDM indicator scores by name (kelurahan: 409)" },
            ],
        )
}

/// The comparisons computed, by region, year and day, with the figures'
/// version they were computed at (`datasets::version`, bumped by every
/// write in its transaction): a request reads one row to know whether the
/// cached rows still hold.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<CacheKey, Cached>>);

/// The figures' version and the rows computed at it.
type Cached = (i64, Arc<Vec<compare::Row>>);

/// Region, year, day.
type CacheKey = (String, i32, kalender::Date);

/// Regions x years x days kept at most; the cache starts afresh beyond.
const CACHE_ENTRIES: usize = 64;

/// The comparison of a year as of today.
pub(crate) async fn cached_rows(ctx: &Ctx, year: i32) -> AppResult<Arc<Vec<compare::Row>>> {
    let (store, tenant, today) = (&ctx.app.store, &ctx.tenant.id, ctx.today());
    let cache = ctx.app.parts.get::<Arc<Cache>>().expect("the villages slice puts its cache into the state");
    let version = datasets::version(store, tenant).await?;
    let key = (tenant.clone(), year, today);
    if let Some((v, rows)) = cache.0.lock().unwrap_or_else(|e| e.into_inner()).get(&key)
        && *v == version
    {
        return Ok(rows.clone());
    }
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let rows = Arc::new(compare::rows(store, tenant, year, today, offset).await?);
    let mut map = cache.0.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    map.insert(key, (version, rows.clone()));
    Ok(rows)
}
