//! `/sensor/perangkat`: the devices with what they sent and when, and the
//! messages refused, for the sensor operators, the agencies' officers and
//! region admins.

use axum::response::{IntoResponse, Response};

use super::{registry, rejections};
use crate::kernel::access;
use crate::web::ctx::SignedIn;
use crate::web::error::AppResult;

pub async fn devices_page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    if !access::for_sensors(ctx.user()?) {
        return Err(ctx.denied());
    }
    let devices = registry::device_rows(&ctx.app.store, &ctx.tenant.id).await?;
    let rejected = rejections::list(&ctx.app.store, &ctx.tenant.id).await?;
    let page = minijinja::context! { devices, rejected, mqtt => ctx.app.mqtt.is_some() };
    Ok(ctx.render("sensors/iot_devices.html", page)?.into_response())
}
