//! NGSI-LD subscriptions and notifications (clauses 5.8 and 5.11 of the
//! spec): `model` (a body checked for this broker, names expanded once),
//! `repo` (`sensor_subscriptions` with the delivery status), `handlers`
//! (`/ngsi-ld/v1/subscriptions`), `matching` (which subscriptions a write
//! notifies, decided in the write's transaction), `delivery` (the jobs
//! that send notifications over HTTP or MQTT and make periodic ones) and
//! `joined` (the linked entities `join` adds to a notification).

pub mod delivery;
pub mod handlers;
// join and joinLevel: linked entities in notifications.
pub mod joined;
pub mod matching;
pub mod model;
pub mod repo;

use axum::routing::get;

pub use matching::changed;

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/ngsi-ld/v1/subscriptions", get(handlers::list).post(handlers::create))
        .route("/ngsi-ld/v1/subscriptions/{id}", get(handlers::retrieve).patch(handlers::update).delete(handlers::delete))
}

pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![
        (matching::NOTIFY_JOB, |app, job| Box::pin(delivery::notify(app, job))),
        (matching::PERIODIC_JOB, |app, job| Box::pin(delivery::periodic(app, job))),
    ]
}
