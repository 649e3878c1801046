//! Service groups and devices as provisioned (IoT Agent's own shapes, kept
//! as sent), and the lookup a measure needs: which tenant and device an
//! apikey and device id name.

use serde_json::{Map, Value as Json, json};

use super::error::IotError;
use super::mapping::{AttrMap, DeviceMap, StaticAttr};
use crate::store::{Row, Store, StoreError, Tx, sql};

/// Where provisioning happens: Pendopo's tenant, and the FIWARE service and
/// service path the client sent (kept and given back; the path scopes lists).
pub struct Scope<'a> {
    pub tenant: &'a str,
    pub service: &'a str,
    pub path: &'a str,
}

impl Scope<'_> {
    /// `/*` and `/#` (and no path) mean every path, as IoT Agent reads them.
    fn path_filter(&self) -> &str {
        if matches!(self.path, "/*" | "/#" | "") { "" } else { self.path }
    }
}

fn text<'a>(object: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn list_of(body: &Json, key: &str) -> Result<Vec<Map<String, Json>>, IotError> {
    let items = body.get(key).and_then(Json::as_array).ok_or_else(|| IotError::syntax(&format!("\"{key}\" must be a list")))?;
    if items.is_empty() {
        return Err(IotError::syntax(&format!("\"{key}\" is empty")));
    }
    items.iter().map(|i| i.as_object().cloned().ok_or_else(|| IotError::syntax(&format!("each of \"{key}\" must be an object")))).collect()
}

/// Checks that a provisioned `attributes` list reads as mappings.
fn attributes(object: &Map<String, Json>) -> Result<Vec<AttrMap>, IotError> {
    match object.get("attributes") {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| IotError::syntax(&format!("attributes: {e}"))),
    }
}

fn static_attributes(object: &Map<String, Json>) -> Result<Vec<StaticAttr>, IotError> {
    match object.get("static_attributes") {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| IotError::syntax(&format!("static_attributes: {e}"))),
    }
}

/// Adds service groups, all or none.
pub async fn create_groups(store: &Store, scope: &Scope<'_>, body: &Json) -> Result<(), IotError> {
    let groups = list_of(body, "services")?;
    let mut tx = store.begin().await?;
    for g in &groups {
        let (Some(apikey), Some(resource)) = (text(g, "apikey"), text(g, "resource")) else {
            return Err(IotError::syntax("a service group needs \"apikey\" and \"resource\""));
        };
        attributes(g)?;
        static_attributes(g)?;
        let entity_type = text(g, "entity_type").unwrap_or("Thing");
        let inserted = tx
            .execute(
                sql("INSERT INTO iot_groups (tenant_id, apikey, resource, fiware_service, service_path, entity_type, body, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(scope.tenant)
                .bind(apikey)
                .bind(resource)
                .bind(scope.service)
                .bind(scope.path)
                .bind(entity_type)
                .bind(Json::Object(g.clone()).to_string())
                .bind(store.now_ms()),
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(StoreError::Duplicate(_)) => return Err(IotError::duplicate_group(resource, apikey)),
            Err(e) => return Err(e.into()),
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The groups in scope, as IoT Agent lists them.
pub async fn list_groups(store: &Store, scope: &Scope<'_>) -> Result<Vec<Json>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT body, fiware_service, service_path FROM iot_groups
                 WHERE tenant_id = $1 AND ($2 = '' OR service_path = $2) ORDER BY created_at, apikey")
            .bind(scope.tenant)
            .bind(scope.path_filter()),
        )
        .await?;
    rows.iter().map(|r| with_scope(r, "subservice")).collect()
}

/// The stored body with the service and path it was provisioned under.
fn with_scope(r: &Row, path_key: &str) -> Result<Json, StoreError> {
    let mut body: Json = serde_json::from_str(&r.at::<String>(0)?).unwrap_or_else(|_| json!({}));
    if let Some(o) = body.as_object_mut() {
        o.insert("service".into(), json!(r.at::<String>(1)?));
        o.insert(path_key.into(), json!(r.at::<String>(2)?));
    }
    Ok(body)
}

/// Removes the group of an apikey (and resource, when given).
pub async fn delete_group(store: &Store, scope: &Scope<'_>, apikey: &str, resource: &str) -> Result<(), IotError> {
    let n = store
        .execute(
            sql("DELETE FROM iot_groups WHERE tenant_id = $1 AND apikey = $2 AND ($3 = '' OR resource = $3)")
                .bind(scope.tenant)
                .bind(apikey)
                .bind(resource),
        )
        .await?;
    if n == 0 { Err(IotError::group_not_found(resource, apikey)) } else { Ok(()) }
}

/// Adds devices, all or none.
pub async fn create_devices(store: &Store, scope: &Scope<'_>, body: &Json) -> Result<(), IotError> {
    let devices = list_of(body, "devices")?;
    let mut tx = store.begin().await?;
    for d in &devices {
        let Some(device_id) = text(d, "device_id") else {
            return Err(IotError::syntax("a device needs \"device_id\""));
        };
        attributes(d)?;
        static_attributes(d)?;
        let apikey = text(d, "apikey").unwrap_or("");
        let entity_type = match text(d, "entity_type") {
            Some(t) => t.to_string(),
            None => group_entity_type(&mut tx, scope, apikey).await?,
        };
        if !ngsild::entity::is_valid_name(&entity_type) {
            return Err(IotError::syntax(&format!("entity_type \"{entity_type}\" is not a valid NGSI-LD type name")));
        }
        let entity_name = text(d, "entity_name").map(str::to_string).unwrap_or_else(|| format!("{entity_type}:{device_id}"));
        let inserted = tx
            .execute(
                sql("INSERT INTO iot_devices (tenant_id, device_id, apikey, fiware_service, service_path, entity_name, entity_type, body, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(scope.tenant)
                .bind(device_id)
                .bind(apikey)
                .bind(scope.service)
                .bind(scope.path)
                .bind(entity_name.as_str())
                .bind(entity_type.as_str())
                .bind(Json::Object(d.clone()).to_string())
                .bind(store.now_ms()),
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(StoreError::Duplicate(_)) => return Err(IotError::duplicate_device(device_id)),
            Err(e) => return Err(e.into()),
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The entity type of the device's group (by its apikey, else the one
/// group of its service path), else IoT Agent's default `Thing`.
async fn group_entity_type(tx: &mut Tx, scope: &Scope<'_>, apikey: &str) -> Result<String, StoreError> {
    let row = tx
        .fetch_optional(
            sql("SELECT entity_type FROM iot_groups WHERE tenant_id = $1 AND (apikey = $2 OR ($2 = '' AND service_path = $3))
                 ORDER BY created_at LIMIT 1")
            .bind(scope.tenant)
            .bind(apikey)
            .bind(scope.path),
        )
        .await?;
    Ok(match row {
        Some(r) => r.at(0)?,
        None => "Thing".into(),
    })
}

const DEVICE_COLUMNS: &str = "SELECT body, fiware_service, service_path, entity_name, entity_type, device_id FROM iot_devices";

fn device_json(r: &Row) -> Result<Json, StoreError> {
    let mut body = with_scope(r, "service_path")?;
    if let Some(o) = body.as_object_mut() {
        o.insert("entity_name".into(), json!(r.at::<String>(3)?));
        o.insert("entity_type".into(), json!(r.at::<String>(4)?));
        o.insert("device_id".into(), json!(r.at::<String>(5)?));
    }
    Ok(body)
}

/// The devices in scope, as IoT Agent lists them, with paging.
pub async fn list_devices(store: &Store, scope: &Scope<'_>, limit: i64, offset: i64) -> Result<(i64, Vec<Json>), StoreError> {
    let count: i64 = store
        .fetch_scalar(
            sql("SELECT COUNT(*) FROM iot_devices WHERE tenant_id = $1 AND ($2 = '' OR service_path = $2)")
                .bind(scope.tenant)
                .bind(scope.path_filter()),
        )
        .await?;
    let rows = store
        .fetch_all(
            crate::store::sql_built(format!(
                "{DEVICE_COLUMNS} WHERE tenant_id = $1 AND ($2 = '' OR service_path = $2) ORDER BY device_id LIMIT $3 OFFSET $4"
            ))
            .bind(scope.tenant)
            .bind(scope.path_filter())
            .bind(limit)
            .bind(offset),
        )
        .await?;
    Ok((count, rows.iter().map(device_json).collect::<Result<_, _>>()?))
}

pub async fn get_device(store: &Store, scope: &Scope<'_>, device_id: &str) -> Result<Json, IotError> {
    let row = store
        .fetch_optional(
            crate::store::sql_built(format!("{DEVICE_COLUMNS} WHERE tenant_id = $1 AND device_id = $2")).bind(scope.tenant).bind(device_id),
        )
        .await?;
    match row {
        Some(r) => Ok(device_json(&r)?),
        None => Err(IotError::device_not_found(device_id)),
    }
}

pub async fn delete_device(store: &Store, scope: &Scope<'_>, device_id: &str) -> Result<(), IotError> {
    let n =
        store.execute(sql("DELETE FROM iot_devices WHERE tenant_id = $1 AND device_id = $2").bind(scope.tenant).bind(device_id)).await?;
    if n == 0 { Err(IotError::device_not_found(device_id)) } else { Ok(()) }
}

/// What an apikey and device id name.
#[derive(Clone, Debug)]
pub enum Source {
    Device {
        tenant: String,
        device: DeviceMap,
    },
    /// No group has this apikey (or the device has another one of its own).
    WrongApikey {
        tenant: Option<String>,
    },
    /// The apikey is known, the device is not.
    UnknownDevice {
        tenant: String,
    },
}

/// Looks up the device a measure comes from. The device's mapping is its
/// own attributes, then its group's.
pub async fn source(store: &Store, apikey: &str, device_id: &str) -> Result<Source, StoreError> {
    let Some(group) = store.fetch_optional(sql("SELECT tenant_id, body FROM iot_groups WHERE apikey = $1").bind(apikey)).await? else {
        return Ok(Source::WrongApikey { tenant: None });
    };
    let tenant: String = group.at(0)?;
    let group_body: Json = serde_json::from_str(&group.at::<String>(1)?).unwrap_or_default();
    let row = store
        .fetch_optional(
            sql("SELECT apikey, entity_name, entity_type, body FROM iot_devices WHERE tenant_id = $1 AND device_id = $2")
                .bind(tenant.as_str())
                .bind(device_id),
        )
        .await?;
    let Some(row) = row else {
        return Ok(Source::UnknownDevice { tenant });
    };
    let own_key: String = row.at(0)?;
    if !own_key.is_empty() && own_key != apikey {
        return Ok(Source::WrongApikey { tenant: Some(tenant) });
    }
    let body: Json = serde_json::from_str(&row.at::<String>(3)?).unwrap_or_default();
    let empty = Map::new();
    let (d, g) = (body.as_object().unwrap_or(&empty), group_body.as_object().unwrap_or(&empty));
    let mut mapped = attributes(d).unwrap_or_default();
    mapped.extend(attributes(g).unwrap_or_default());
    let mut statics = static_attributes(d).unwrap_or_default();
    statics.extend(static_attributes(g).unwrap_or_default());
    Ok(Source::Device {
        tenant,
        device: DeviceMap {
            device_id: device_id.to_string(),
            entity_name: row.at(1)?,
            entity_type: row.at(2)?,
            attributes: mapped,
            static_attributes: statics,
        },
    })
}

/// Counts what a device sent that was stored, and when it last did.
pub async fn count_measures(store: &Store, tenant: &str, device_id: &str, n: i64, last_at: i64) -> Result<(), StoreError> {
    store
        .execute(
            sql("UPDATE iot_devices SET measures = measures + $3,
                 last_measure_at = CASE WHEN last_measure_at IS NULL OR last_measure_at < $4 THEN $4 ELSE last_measure_at END
                 WHERE tenant_id = $1 AND device_id = $2")
            .bind(tenant)
            .bind(device_id)
            .bind(n)
            .bind(last_at),
        )
        .await?;
    Ok(())
}

/// A device on the staff page: id, entity, measures stored, last one.
#[derive(Debug, serde::Serialize)]
pub struct DeviceRow {
    pub device_id: String,
    pub entity_name: String,
    pub entity_type: String,
    pub measures: i64,
    pub last_measure_at: Option<i64>,
}

pub async fn device_rows(store: &Store, tenant: &str) -> Result<Vec<DeviceRow>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT device_id, entity_name, entity_type, measures, last_measure_at FROM iot_devices WHERE tenant_id = $1 ORDER BY device_id")
                .bind(tenant),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DeviceRow {
                device_id: r.at(0)?,
                entity_name: r.at(1)?,
                entity_type: r.at(2)?,
                measures: r.at(3)?,
                last_measure_at: r.at::<Option<i64>>(4)?,
            })
        })
        .collect()
}
