//! Demo (labelled as such): the service group and devices that
//! `pendopo sensors simulate` publishes for, provisioned as an integrator's
//! script would through IoT Agent's API shapes.

use serde_json::json;

use super::registry::{self, Scope};
use super::simulate::{DEMO_APIKEY, DEMO_DEVICES};
use crate::kernel::AnyError;
use crate::slices::sensors::dashboards::datasets::offset_of;

pub async fn load(region: &crate::slices::DemoRegion<'_>) -> Result<String, AnyError> {
    let scope = Scope { tenant: region.tenant, service: "bojonegoro", path: "/demo" };
    let group =
        json!({"services": [{"apikey": DEMO_APIKEY, "resource": "/iot/json", "entity_type": "Device", "description": "Demo data"}]});
    registry::create_groups(region.store, &scope, &group).await.map_err(|e| format!("demo service group: {e:?}"))?;
    let devices: Vec<_> = DEMO_DEVICES.iter().map(|d| d.provisioning()).collect();
    registry::create_devices(region.store, &scope, &json!({ "devices": devices })).await.map_err(|e| format!("demo devices: {e:?}"))?;
    let readings = crate::slices::sensors::flood::demo::load(region.store, region.tenant).await?;
    let dashboards = crate::slices::sensors::dashboards::demo::load(region.store, region.tenant, offset_of(region.tenant)).await?;
    // The catalogue dataset of the demo's figures, made by the worker soon.
    crate::slices::sensors::dashboards::datasets::refresh_soon(region.store, region.tenant).await?;
    Ok(format!(
        "{} demo sensor devices (apikey {DEMO_APIKEY}), a year of river gauge readings ({readings} points), {dashboards}",
        DEMO_DEVICES.len()
    ))
}
