//! The BPBD's flood warning on the Bengawan Solo: gauges with dated alert
//! levels (`levels`, `repo`), their readings as the broker holds them
//! (`reading`), the public page and the hand-entered reading (`page`), and
//! status changes announced by durable jobs (`notify`).

pub mod demo;
pub mod levels;
pub mod notify;
mod page;
pub mod reading;
pub mod repo;
pub mod settings;

use axum::routing::get;

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/banjir", get(page::public_page))
        .route("/banjir/pengaturan", get(settings::page).post(settings::save))
        .route("/banjir/{gauge}/bacaan", get(page::reading_page).post(page::reading_form))
}

pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![
        (notify::CHECK_JOB, |app, job| Box::pin(notify::check(app, job))),
        (notify::ANNOUNCE_JOB, |app, job| Box::pin(notify::announce(app, job))),
        (notify::EMAIL_JOB, |app, job| Box::pin(notify::send_email(app, job))),
    ]
}
