//! City sensors (issue 13): an NGSI-LD context broker at `/ngsi-ld/v1/`,
//! measures from devices over MQTT and HTTP (FIWARE IoT Agent JSON), time
//! series, and the BPBD's flood warning, on `ngsild`'s rules.

pub mod contexts;
pub mod entities;
pub mod geo_index;
pub mod http;
pub mod measures;
pub mod query;
pub mod repo;
pub mod temporal;
pub mod write;
// Device ingestion (IoT Agent JSON provisioning, MQTT, /iot/json).
pub mod iot;
// The BPBD's flood warning (/banjir).
pub mod flood;

use axum::routing::{get, post};

use crate::store::Migration;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: &[
        "sensor_contexts",
        "sensor_entities",
        "sensor_entity_types",
        "sensor_attr_values",
        "sensor_geo",
        "sensor_instances",
        // Device ingestion and the flood warning (migration 0025).
        "iot_groups",
        "iot_devices",
        "iot_rejections",
        "flood_gauges",
        "flood_levels",
        "flood_status",
        "flood_settings",
    ],
    // The R*Tree and its shadow tables are refilled by sensor_geo's triggers.
    derived: |t| t.starts_with("sensor_geo_rtree"),
    migrations: &[
        Migration::per_engine(
            24,
            "0024_sensors",
            concat!(include_str!("migrations/0024_sensors.sql"), include_str!("migrations/0024_sensors_rtree.sqlite.sql")),
            include_str!("migrations/0024_sensors.sql"),
        ),
        // Device ingestion and the flood warning.
        Migration::shared(25, "0025_sensor_devices", include_str!("migrations/0025_sensor_devices.sql")),
        // Indexes that answer queries without visiting rows (issue 13's figures).
        Migration::per_engine(
            28,
            "0028_sensor_indexes",
            include_str!("migrations/0028_sensor_indexes.sqlite.sql"),
            include_str!("migrations/0028_sensor_indexes.postgres.sql"),
        ),
    ],
    // Device ingestion.
    machine_paths: &["/ngsi-ld/", "/iot/"],
    // A device's measure over HTTP: its apikey is the credential (as over MQTT).
    open_writes: &["/iot/json"],
    services: &[iot::mqtt::SERVICE],
    templates: &[
        ("sensors/iot_devices.html", include_str!("iot/templates/iot_devices.html")),
        ("sensors/banjir.html", include_str!("flood/templates/banjir.html")),
        ("sensors/banjir_reading.html", include_str!("flood/templates/banjir_reading.html")),
    ],
    locales: [
        concat!(include_str!("iot/locales/id.txt"), include_str!("flood/locales/id.txt")),
        concat!(include_str!("iot/locales/en.txt"), include_str!("flood/locales/en.txt")),
    ],
    // The flood warning: the region's gauges and levels, status checks and announcements.
    setup_tenant: Some(|store, tenant| Box::pin(flood::repo::seed(store, tenant))),
    jobs: flood::job_handlers,
    menu: &[crate::slices::MenuEntry { label: "nav.banjir", href: "/banjir", admins_only: false }],
    cli: Some(iot::simulate::CLI),
    demo: Some(|region| Box::pin(iot::demo::load(region))),
    ..crate::slices::Slice::new("sensor", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/ngsi-ld/v1/entities", get(query::query).post(entities::create))
        .route("/ngsi-ld/v1/entities/{id}", get(entities::retrieve).delete(entities::delete).patch(entities::merge).put(entities::replace))
        .route("/ngsi-ld/v1/entities/{id}/attrs", post(entities::append).patch(entities::update_attrs))
        .route("/ngsi-ld/v1/entities/{id}/attrs/{attr}", axum::routing::patch(entities::partial).delete(entities::delete_attr))
        .route("/ngsi-ld/v1/entityOperations/{op}", post(entities::batch))
        .route("/ngsi-ld/v1/types", get(query::types))
        .route("/ngsi-ld/v1/attributes", get(query::attributes))
        .route("/ngsi-ld/v1/temporal/entities", get(temporal::query).post(temporal::backfill))
        .route("/ngsi-ld/v1/temporal/entities/{id}", get(temporal::retrieve))
        .route("/ngsi-ld/v1/jsonldContexts", get(contexts::list).post(contexts::upload))
        // Device ingestion.
        .merge(iot::routes())
        // The flood warning.
        .merge(flood::routes())
}
