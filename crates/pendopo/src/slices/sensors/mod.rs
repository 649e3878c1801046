//! City sensors (issue 13): an NGSI-LD context broker at `/ngsi-ld/v1/`,
//! measures from devices over MQTT and HTTP (FIWARE IoT Agent JSON), time
//! series, and the BPBD's flood warning, on `ngsild`'s rules.

pub mod measures;

pub const SLICE: crate::slices::Slice = crate::slices::Slice::new("sensor", routes);

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
}
