//! Device ingestion as FIWARE IoT Agent JSON does it: provisioning in its
//! own API (`provision`, `registry`), measures over MQTT (`mqtt`, a
//! singleton service) and HTTP (`/iot/json`), mapped through each device's
//! attributes (`mapping`) and stored through `measures::store` (`ingest`);
//! refusals counted (`rejections`); `pendopo sensors simulate` (`simulate`).

pub mod demo;
mod error;
mod ingest;
pub mod mapping;
pub mod mqtt;
mod page;
mod provision;
mod registry;
mod rejections;
pub mod simulate;

use axum::routing::{get, post};

pub use rejections::totals as rejection_totals;

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/iot/services", get(provision::list_groups).post(provision::create_groups).delete(provision::delete_group))
        .route("/iot/devices", get(provision::list_devices).post(provision::create_devices))
        .route("/iot/devices/{id}", get(provision::get_device).delete(provision::delete_device))
        .route("/iot/json", post(provision::measure))
        .route("/sensor/perangkat", get(page::devices_page))
}

/// Measures stored from every device and refusals by reason, for `/metrics`.
pub async fn metrics(store: &crate::store::Store) -> String {
    use std::fmt::Write;
    let mut text = String::from(
        "# HELP pendopo_iot_measures_total Device messages stored (MQTT and HTTP).\n# TYPE pendopo_iot_measures_total counter\n",
    );
    let stored: i64 = store.fetch_scalar(crate::store::sql("SELECT COALESCE(SUM(measures), 0) FROM iot_devices")).await.unwrap_or_default();
    let _ = writeln!(text, "pendopo_iot_measures_total {stored}");
    text.push_str(
        "# HELP pendopo_iot_rejected_total Device messages refused (wrong apikey, unknown device, bad payload).\n# TYPE pendopo_iot_rejected_total counter\n",
    );
    for (reason, n) in rejections::totals(store).await.unwrap_or_default() {
        let _ = writeln!(text, "pendopo_iot_rejected_total{{reason=\"{reason}\"}} {n}");
    }
    text
}
