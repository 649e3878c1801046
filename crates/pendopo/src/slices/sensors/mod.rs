//! City sensors (issue 13): an NGSI-LD context broker at `/ngsi-ld/v1/`,
//! measures from devices over MQTT and HTTP (FIWARE IoT Agent JSON), time
//! series, and the BPBD's flood warning, on `ngsild`'s rules.

pub mod measures;
pub mod repo;

use crate::store::Migration;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    tables: &["sensor_contexts", "sensor_entities", "sensor_entity_types", "sensor_attr_values", "sensor_geo", "sensor_instances"],
    // The R*Tree and its shadow tables are refilled by sensor_geo's triggers.
    derived: |t| t.starts_with("sensor_geo_rtree"),
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
}
