//! Public services (*layanan publik*): each agency's service catalogue with
//! its versioned Standar Pelayanan and Maklumat Pelayanan (`catalogue`), the
//! IKM satisfaction survey and its reports (`ikm`), and the catalogue as
//! Open311 GeoReport v2 (`open311`). The rules are the `layanan` crate's;
//! this slice stores, authorises and shows.

mod cases;
mod catalogue;
mod dashboard;
mod datasets;
pub mod demo;
mod demo_cases;
mod figures;
mod form;
mod ikm;
mod ikm_store;
mod model;
mod open311;
mod repo;
mod requests;
mod review;
mod staff;
mod staff_pages;
mod workflow;

use axum::routing::get;

pub use datasets::refresh as refresh_datasets;
pub use ikm_store::{Response as IkmResponse, insert as insert_ikm_responses};
pub use model::{ServiceInput, StandardInput};

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: &["services", "service_standards", "ikm_responses", "service_cases", "service_case_history"],
    machine_paths: &["/open311/"],
    // Anyone answers the satisfaction survey (one response at a time).
    open_writes: &["/api/v1/ikm/responses", "/layanan/{code}/survei"],
    menu: &[crate::slices::MenuEntry { label: "nav.layanan", href: "/layanan", admins_only: false }],
    templates: &[
        ("services/list.html", include_str!("templates/list.html")),
        ("services/show.html", include_str!("templates/show.html")),
        ("services/form.html", include_str!("templates/form.html")),
        ("services/survey.html", include_str!("templates/survey.html")),
        ("services/report.html", include_str!("templates/report.html")),
        ("services/cases.html", include_str!("templates/cases.html")),
        ("services/case.html", include_str!("templates/case.html")),
        ("services/panel_organization.html", include_str!("templates/panel_organization.html")),
        ("services/dashboard.html", include_str!("templates/dashboard.html")),
        ("services/review.html", include_str!("templates/review.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    migrations: &[
        crate::store::Migration::shared(14, "0014_services", include_str!("migrations/0014_services.sql")),
        crate::store::Migration::shared(15, "0015_service_cases", include_str!("migrations/0015_service_cases.sql")),
        crate::store::Migration::shared(16, "0016_case_places", include_str!("migrations/0016_case_places.sql")),
        crate::store::Migration::shared(20, "0020_case_dashboards", include_str!("migrations/0020_case_dashboards.sql")),
    ],
    demo: Some(|region| Box::pin(demo::load(region))),
    state: Some(|parts| {
        parts.insert(std::sync::Arc::new(dashboard::Cache::default()));
    }),
    jobs: || {
        vec![(datasets::REFRESH_JOB, |app, job| {
            Box::pin(async move { datasets::refresh(&app.store, &app.files, &job.tenant_id).await.map(|_| ()) })
        })]
    },
    panel: Some(|ctx, place| Box::pin(catalogue::panel(ctx, place))),
    ..crate::slices::Slice::new("layanan", routes)
};

pub fn routes() -> crate::slices::Routes {
    use crate::slices::Op;
    crate::slices::Routes::new()
        .route("/layanan", get(catalogue::list_page).post(catalogue::create_form))
        .route("/layanan/baru", get(catalogue::new_page))
        .route("/layanan/dasbor", get(dashboard::page))
        .route("/layanan/dasbor.csv", get(dashboard::csv))
        .route("/layanan/rekap", get(review::page))
        .route("/layanan/kasus", get(staff_pages::inbox_page))
        .route("/layanan/kasus/{number}", get(staff_pages::case_page).post(staff_pages::case_form))
        .route("/layanan/{code}", get(catalogue::show_page).post(catalogue::update_form))
        .route("/layanan/{code}/ubah", get(catalogue::edit_page))
        .route("/layanan/{code}/survei", get(ikm::survey_page).post(ikm::survey_submit))
        .route("/layanan/{code}/ikm", get(ikm::report_page))
        .route("/layanan/{code}/ikm.csv", get(ikm::report_csv))
        .route("/layanan/{code}/ikm.xlsx", get(ikm::report_xlsx))
        .route("/open311/v2/{file}", get(open311::document).post(requests::post))
        .route("/open311/v2/services/{file}", get(open311::definition))
        .route("/open311/v2/requests/{file}", get(requests::one))
        .route("/open311/v2/tokens/{file}", get(requests::token))
        .api(
            "/api/v1/services",
            get(catalogue::api_list).post(catalogue::api_create),
            &[
                Op { method: "get", summary: "The region's public services, by agency" },
                Op { method: "post", summary: "Add a service with its standard (the agency's officers, region admins)" },
            ],
        )
        .api(
            "/api/v1/services/{code}",
            get(catalogue::api_show).put(catalogue::api_update),
            &[
                Op { method: "get", summary: "A service with its Standar Pelayanan (newest, or ?version=N) and the versions kept" },
                Op { method: "put", summary: "Change a service; a changed standard becomes a new version" },
            ],
        )
        .api(
            "/api/v1/ikm/responses",
            axum::routing::post(ikm::api_post),
            &[Op { method: "post", summary: "Answer the IKM survey (anyone, one response) or enter a batch (staff, all or nothing)" }],
        )
        .api(
            "/api/v1/cases",
            get(staff::api_list),
            &[Op { method: "get", summary: "Cases for staff (?state=&agency=&colour=): region admins all, an agency's officers their agency's" }],
        )
        .api(
            "/api/v1/cases/stats",
            get(dashboard::api_stats),
            &[Op {
                method: "get",
                summary: "Public figures (?year=&month=&agency=&kecamatan=): per agency, kecamatan and month, received, verified, in process, answered, overdue, medians, on-time share, colours",
            }],
        )
        .api(
            "/api/v1/cases/{number}",
            get(staff::api_show),
            &[Op { method: "get", summary: "A case with its history, for the staff who may see it" }],
        )
        .api(
            "/api/v1/cases/{number}/actions",
            axum::routing::post(staff::api_act),
            &[Op {
                method: "post",
                summary: "Move a case: {action, reason?, agency?, duplicate_of?, body?, text?}; 422 with the refusal when the life cycle forbids it",
            }],
        )
        .api("/api/v1/ikm", get(ikm::api_report), &[Op { method: "get", summary: "IKM of a service over a period (PermenPANRB 14/2017)" }])
}
