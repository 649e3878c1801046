//! Public services (*layanan publik*): each agency's service catalogue with
//! its versioned Standar Pelayanan and Maklumat Pelayanan (`catalogue`), the
//! IKM satisfaction survey and its reports (`ikm`, paper forms `ikm_paper`), and the catalogue as
//! Open311 GeoReport v2 (`open311`), citizens' reports without an account
//! (`filing`, `tracking`) and the staff's work on cases. The rules are the
//! `layanan` crate's; this slice stores, authorises and shows. Besides the
//! web and Open311, cases come from Dialog Publik sessions staff enter
//! (`dialog`), the SMS/WhatsApp gateway's signed webhook (`gateway`) and
//! SP4N-LAPOR! exports (`lapor`). The agency answers with photos and
//! documents (`attachments`) and hands cases on within itself.

mod attachments;
mod cases;
mod catalogue;
mod dashboard;
mod datasets;
mod deadlines;
pub mod demo;
mod demo_cases;
mod demo_channels;
mod dialog;
mod dialog_pages;
mod duplicates;
mod figures;
mod filing;
mod form;
mod form_stamp;
mod gateway;
mod gateway_page;
mod ikm;
mod ikm_input;
mod ikm_paper;
mod ikm_store;
mod lapor;
mod lapor_import;
mod model;
mod notify;
mod open311;
mod repo;
mod requests;
mod review;
mod signature;
mod staff;
mod staff_pages;
mod tracking;
mod workflow;

use axum::routing::get;

pub use datasets::refresh as refresh_datasets;
pub use demo_channels::DEMO_GATEWAY_SECRET;
pub use gateway::SIGNATURE_HEADER;
pub use ikm_store::{Response as IkmResponse, insert as insert_ikm_responses};
pub use model::{ServiceInput, StandardInput};
pub use signature::header_value as signature_header;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: &[
        "services",
        "service_standards",
        "ikm_responses",
        "service_cases",
        "service_case_history",
        "dialog_sessions",
        "dialog_items",
        "message_gateways",
        "service_notifications",
        "service_case_photos",
        "service_case_attachments",
        "service_form_keys",
    ],
    machine_paths: &["/open311/"],
    // Anyone answers the satisfaction survey (one response at a time) and
    // files a report; the reporter's steps need the case's private token.
    // The gateway's webhook is signed with the region's secret, not a
    // user's token: its check is the signature (401 without it).
    open_writes: &["/api/v1/ikm/responses", "/layanan/{code}/survei", "/layanan/lapor", "/layanan/lapor/{token}", "/api/v1/webhooks/pesan"],
    menu: &[crate::slices::MenuEntry { label: "nav.layanan", href: "/layanan", admins_only: false }],
    templates: &[
        ("services/list.html", include_str!("templates/list.html")),
        ("services/show.html", include_str!("templates/show.html")),
        ("services/form.html", include_str!("templates/form.html")),
        ("services/survey.html", include_str!("templates/survey.html")),
        ("services/report.html", include_str!("templates/report.html")),
        ("services/paper.html", include_str!("templates/paper.html")),
        ("services/cases.html", include_str!("templates/cases.html")),
        ("services/case.html", include_str!("templates/case.html")),
        ("services/panel_organization.html", include_str!("templates/panel_organization.html")),
        ("services/notifications.html", include_str!("templates/notifications.html")),
        ("services/notification_rows.html", include_str!("templates/notification_rows.html")),
        ("services/dialogs.html", include_str!("templates/dialogs.html")),
        ("services/dialog.html", include_str!("templates/dialog.html")),
        ("services/dialog_form.html", include_str!("templates/dialog_form.html")),
        ("services/dialog_items.html", include_str!("templates/dialog_items.html")),
        ("services/gateway.html", include_str!("templates/gateway.html")),
        ("services/lapor_import.html", include_str!("templates/lapor_import.html")),
        ("services/file.html", include_str!("templates/file.html")),
        ("services/track.html", include_str!("templates/track.html")),
        ("services/public_case.html", include_str!("templates/public_case.html")),
        ("services/private_case.html", include_str!("templates/private_case.html")),
        ("services/case_summary.html", include_str!("templates/case_summary.html")),
        ("services/case_steps.html", include_str!("templates/case_steps.html")),
        ("services/step_files.html", include_str!("templates/step_files.html")),
        ("services/dashboard.html", include_str!("templates/dashboard.html")),
        ("services/review.html", include_str!("templates/review.html")),
    ],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    migrations: &[
        crate::store::Migration::shared(14, "0014_services", include_str!("migrations/0014_services.sql")),
        crate::store::Migration::shared(15, "0015_service_cases", include_str!("migrations/0015_service_cases.sql")),
        crate::store::Migration::shared(16, "0016_case_places", include_str!("migrations/0016_case_places.sql")),
        crate::store::Migration::shared(17, "0017_citizen_reports", include_str!("migrations/0017_citizen_reports.sql")),
        crate::store::Migration::shared(18, "0018_case_deadlines", include_str!("migrations/0018_case_deadlines.sql")),
        crate::store::Migration::shared(19, "0019_case_channels", include_str!("migrations/0019_case_channels.sql")),
        crate::store::Migration::shared(20, "0020_case_dashboards", include_str!("migrations/0020_case_dashboards.sql")),
        crate::store::Migration::shared(21, "0021_case_answers", include_str!("migrations/0021_case_answers.sql")),
    ],
    demo: Some(|region| Box::pin(demo::load(region))),
    state: Some(|parts| {
        parts.insert(std::sync::Arc::new(dashboard::Cache::default()));
    }),
    panel: Some(|ctx, place| Box::pin(catalogue::panel(ctx, place))),
    jobs: job_handlers,
    ..crate::slices::Slice::new("layanan", routes)
};

/// The cases' durable jobs: each stage's deadline (escalation, auto-close),
/// sending a notification, and refreshing the catalogue's datasets of the
/// figures.
pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![
        (deadlines::DEADLINE_JOB, |app, job| Box::pin(deadlines::run(app, job))),
        (notify::SEND_JOB, |app, job| Box::pin(notify::send(app, job))),
        (datasets::REFRESH_JOB, |app, job| {
            Box::pin(async move { datasets::refresh(&app.store, &app.files, &job.tenant_id).await.map(|_| ()) })
        }),
    ]
}

pub fn routes() -> crate::slices::Routes {
    use crate::slices::Op;
    crate::slices::Routes::new()
        .route("/layanan", get(catalogue::list_page).post(catalogue::create_form))
        .route("/layanan/baru", get(catalogue::new_page))
        .route("/layanan/dasbor", get(dashboard::page))
        .route("/layanan/dasbor.csv", get(dashboard::csv))
        .route("/layanan/rekap", get(review::page))
        .route("/layanan/kasus", get(staff_pages::inbox_page))
        .route("/layanan/notifikasi", get(staff_pages::notifications_page))
        // Files arrive in the answer's form: the slice's own limits (3 x 10 MB) apply, answered 413.
        .route(
            "/layanan/kasus/{number}",
            get(staff_pages::case_page).post(staff_pages::case_form).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/layanan/kasus/{number}/lampiran/{step}/{n}", get(attachments::staff_file))
        .route("/layanan/dialog", get(dialog_pages::list_page).post(dialog_pages::create_form))
        .route("/layanan/dialog/baru", get(dialog_pages::new_page))
        .route("/layanan/dialog/{id}", get(dialog_pages::show_page).post(dialog_pages::add_form))
        .route("/layanan/pesan", get(gateway_page::page).post(gateway_page::submit))
        .route("/layanan/impor", get(lapor_import::page).post(lapor_import::submit))
        .route("/layanan/kasus/{number}/foto/{n}", get(tracking::staff_photo))
        // Photos arrive in the form: the slice's own limits (3 x 5 MB) apply, answered 413.
        .route("/layanan/lapor", get(filing::page).post(filing::submit).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/layanan/lapor/{token}", get(tracking::private_page).post(tracking::private_step))
        .route("/layanan/lapor/{token}/foto/{n}", get(tracking::private_photo))
        .route("/layanan/lapor/{token}/lampiran/{step}/{n}", get(attachments::private_file))
        .route("/layanan/lacak", get(tracking::track_page))
        .route("/layanan/laporan/{number}", get(tracking::public_page))
        .route("/layanan/laporan/{number}/foto/{n}", get(tracking::public_photo))
        .route("/layanan/laporan/{number}/lampiran/{step}/{n}", get(attachments::public_file))
        .route("/layanan/{code}", get(catalogue::show_page).post(catalogue::update_form))
        .route("/layanan/{code}/ubah", get(catalogue::edit_page))
        .route("/layanan/{code}/survei", get(ikm::survey_page).post(ikm::survey_submit))
        .route("/layanan/{code}/survei/kertas", get(ikm_paper::page).post(ikm_paper::submit))
        .route("/layanan/{code}/survei/kertas/csv", axum::routing::post(ikm_paper::upload))
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
            &[Op {
                method: "get",
                summary: "Cases for staff (?state=&agency=&colour=&mine=1): region admins all, an agency's officers their agency's; mine=1 those handed to the caller",
            }],
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
                summary: "Move a case: {action, reason?, agency?, duplicate_of?, body?, text?, to?} (hand_on: to = a colleague's email in the case's agency); 422 with the refusal when the life cycle forbids it. Files go with the case page's form",
            }],
        )
        .api(
            "/api/v1/cases/import",
            axum::routing::post(lapor_import::api_import),
            &[Op {
                method: "post",
                summary: "Import an SP4N-LAPOR! export (CSV or XLSX as the body, ?default_service=CODE): all rows or none; known tracking ids are skipped",
            }],
        )
        .api(
            "/api/v1/dialogs",
            get(dialog_pages::api_list).post(dialog_pages::api_create),
            &[
                Op { method: "get", summary: "Dialog Publik sessions, newest first" },
                Op { method: "post", summary: "Enter a session with its items, each filed as a case (region admins; all or nothing)" },
            ],
        )
        .api(
            "/api/v1/dialogs/{id}",
            get(dialog_pages::api_show),
            &[Op { method: "get", summary: "A session and its public items (confidential cases left out)" }],
        )
        .api(
            "/api/v1/dialogs/{id}/items",
            axum::routing::post(dialog_pages::api_add),
            &[Op { method: "post", summary: "Add items to a session, each filed as a case (region admins; all or nothing)" }],
        )
        .api(
            "/api/v1/webhooks/pesan",
            axum::routing::post(gateway::webhook),
            &[Op {
                method: "post",
                summary: "An SMS/WhatsApp gateway's message, signed X-Pendopo-Signature: sha256=HMAC-SHA256(secret, body); the same message_id gives the same case",
            }],
        )
        .api("/api/v1/ikm", get(ikm::api_report), &[Op { method: "get", summary: "IKM of a service over a period (PermenPANRB 14/2017)" }])
}
