//! IoT Agent's provisioning API (`/iot/services`, `/iot/devices`) and its
//! HTTP measure endpoint (`/iot/json`), in its own shapes. The Pendopo
//! tenant is the site's (its host, the token's user); `fiware-service` and
//! `fiware-servicepath` are required as IoT Agent requires them, kept with
//! what is provisioned and given back, and the path scopes lists.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::error::IotError;
use super::ingest::{self, Fate, Message};
use super::registry::{self, Scope};
use super::rejections::Reason;
use crate::kernel::access;
use crate::web::ctx::{ApiWriter, Ctx};

type Answer = Result<Response, IotError>;

/// The sensor operators, agency officers and region admins provision; the
/// lists hold the apikeys (credentials), so they read them too, and no one else.
fn provisioner(ctx: &Ctx) -> Result<(), IotError> {
    let user = ctx.user()?;
    if access::for_sensors(user) { Ok(()) } else { Err(ctx.denied().into()) }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The FIWARE service and path of a provisioning request.
fn scope<'a>(ctx: &'a Ctx, headers: &'a HeaderMap) -> Result<Scope<'a>, IotError> {
    let service = header(headers, "fiware-service");
    let path = header(headers, "fiware-servicepath");
    let missing: Vec<&str> =
        [("fiware-service", service), ("fiware-servicepath", path)].iter().filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Err(IotError::missing_headers(&missing));
    }
    let path = path.unwrap_or("/");
    if !path.starts_with('/') {
        return Err(IotError::syntax("fiware-servicepath must start with /"));
    }
    Ok(Scope { tenant: &ctx.tenant.id, service: service.unwrap_or(""), path })
}

fn json_body(body: &Bytes) -> Result<Json, IotError> {
    serde_json::from_slice(body).map_err(|e| IotError::syntax(&format!("the body is not JSON ({e})")))
}

pub async fn create_groups(ApiWriter(ctx): ApiWriter, headers: HeaderMap, body: Bytes) -> Answer {
    provisioner(&ctx)?;
    let scope = scope(&ctx, &headers)?;
    registry::create_groups(&ctx.app.store, &scope, &json_body(&body)?).await?;
    Ok(StatusCode::CREATED.into_response())
}

pub async fn list_groups(ctx: Ctx, headers: HeaderMap) -> Answer {
    provisioner(&ctx)?;
    let scope = scope(&ctx, &headers)?;
    let services = registry::list_groups(&ctx.app.store, &scope).await?;
    Ok(axum::Json(json!({"count": services.len(), "services": services})).into_response())
}

#[derive(Deserialize)]
pub struct GroupKey {
    #[serde(default)]
    apikey: String,
    #[serde(default)]
    resource: String,
}

pub async fn delete_group(ApiWriter(ctx): ApiWriter, headers: HeaderMap, Query(key): Query<GroupKey>) -> Answer {
    provisioner(&ctx)?;
    let scope = scope(&ctx, &headers)?;
    if key.apikey.is_empty() {
        return Err(IotError::missing_params(&["apikey"]));
    }
    registry::delete_group(&ctx.app.store, &scope, &key.apikey, &key.resource).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn create_devices(ApiWriter(ctx): ApiWriter, headers: HeaderMap, body: Bytes) -> Answer {
    provisioner(&ctx)?;
    let scope = scope(&ctx, &headers)?;
    registry::create_devices(&ctx.app.store, &scope, &json_body(&body)?).await?;
    Ok(StatusCode::CREATED.into_response())
}

#[derive(Deserialize)]
pub struct Paging {
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn list_devices(ctx: Ctx, headers: HeaderMap, Query(paging): Query<Paging>) -> Answer {
    provisioner(&ctx)?;
    let scope = scope(&ctx, &headers)?;
    // IoT Agent's default page is 20 devices.
    let limit = paging.limit.unwrap_or(20).clamp(1, 1000);
    let offset = paging.offset.unwrap_or(0).max(0);
    let (count, devices) = registry::list_devices(&ctx.app.store, &scope, limit, offset).await?;
    Ok(axum::Json(json!({"count": count, "devices": devices})).into_response())
}

pub async fn get_device(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    provisioner(&ctx)?;
    let scope = scope(&ctx, &headers)?;
    Ok(axum::Json(registry::get_device(&ctx.app.store, &scope, &id).await?).into_response())
}

pub async fn delete_device(ApiWriter(ctx): ApiWriter, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    provisioner(&ctx)?;
    let scope = scope(&ctx, &headers)?;
    registry::delete_device(&ctx.app.store, &scope, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct MeasureKey {
    k: Option<String>,
    i: Option<String>,
}

/// `POST /iot/json?k=APIKEY&i=DEVICE`: a device's measure over HTTP. The
/// apikey is the device's credential (no user token): a wrong one is
/// counted and refused like one over MQTT.
pub async fn measure(ctx: Ctx, Query(key): Query<MeasureKey>, body: Bytes) -> Answer {
    let (Some(apikey), Some(device_id)) = (key.k.as_deref(), key.i.as_deref()) else {
        let missing: Vec<&str> = [("i", &key.i), ("k", &key.k)].iter().filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
        return Err(IotError::missing_params(&missing));
    };
    let store = &ctx.app.store;
    let message = Message { apikey, device_id, payload: &body, received_ms: store.now_ms() };
    let fates = ingest::ingest(store, &ctx.tenant.id, &mut ingest::Sources::default(), &[message]).await?;
    match fates.into_iter().next() {
        Some(Fate::Refused(Reason::Apikey, _)) => Err(IotError::group_not_found("/iot/json", apikey)),
        Some(Fate::Refused(Reason::Device, _)) => Err(IotError::device_not_found(device_id)),
        Some(Fate::Refused(Reason::Payload, why)) => Err(IotError::bad_payload(&why)),
        _ => Ok(StatusCode::OK.into_response()),
    }
}
