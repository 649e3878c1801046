//! The Dinas Perhubungan and Dinas Pertanian dashboards over the broker's
//! entities (`/lalu-lintas`, `/pertanian`), the live list and map of every
//! sensor (`/sensor`), their CSV downloads, the catalogue dataset that
//! refreshes as measures arrive, and the Bojonegoro demo behind them. Reads
//! entities and series only through the broker's `repo`; writes only
//! through `measures::store`.

pub mod datasets;
pub mod demo;
pub mod figures;
mod pages;
pub mod tables;

use axum::routing::get;

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/lalu-lintas", get(pages::traffic))
        .route("/lalu-lintas/per-jam.csv", get(pages::traffic_hourly_csv))
        .route("/lalu-lintas/harian.csv", get(pages::traffic_daily_csv))
        .route("/pertanian", get(pages::agriculture))
        .route("/pertanian/curah-hujan.csv", get(pages::rain_csv))
        .route("/pertanian/lahan.csv", get(pages::parcels_csv))
        .route("/pertanian/harga.csv", get(pages::prices_csv))
        .route("/sensor", get(pages::sensors))
        .route("/sensor/daftar.csv", get(pages::sensors_csv))
        .route("/sensor/unduh.csv", get(pages::series_csv))
}

pub fn job_handlers() -> Vec<(&'static str, crate::worker::Handler)> {
    vec![(datasets::REFRESH_JOB, |app, job| {
        Box::pin(async move { datasets::refresh(&app.store, &app.files, &job.tenant_id).await.map(|_| ()) })
    })]
}
