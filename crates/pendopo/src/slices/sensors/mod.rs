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

use axum::routing::{get, post};

use crate::store::Migration;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: &["sensor_contexts", "sensor_entities", "sensor_entity_types", "sensor_attr_values", "sensor_geo", "sensor_instances"],
    // The R*Tree and its shadow tables are refilled by sensor_geo's triggers.
    derived: |t| t.starts_with("sensor_geo_rtree"),
    machine_paths: &["/ngsi-ld/"],
    migrations: &[Migration::per_engine(
        24,
        "0024_sensors",
        concat!(include_str!("migrations/0024_sensors.sql"), include_str!("migrations/0024_sensors_rtree.sqlite.sql")),
        include_str!("migrations/0024_sensors.sql"),
    )],
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
}
