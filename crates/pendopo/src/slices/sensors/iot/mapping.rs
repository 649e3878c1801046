//! A device's flat JSON measure (FIWARE IoT Agent JSON: `{"l": 12.3,
//! "TimeInstant": "..."}`) turned into a [`Measure`] of its entity, through
//! the device's provisioned attributes. No I/O: the caller passes the
//! reception time.

use ngsild::entity::{AttrKind, Attribute};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::slices::sensors::measures::Measure;

/// One mapped attribute: the measure's key, the attribute's name and type.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AttrMap {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub object_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// An attribute every update of the device carries as provisioned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StaticAttr {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Json,
}

/// What a measure needs of its device.
#[derive(Clone, Debug)]
pub struct DeviceMap {
    pub device_id: String,
    pub entity_name: String,
    pub entity_type: String,
    pub attributes: Vec<AttrMap>,
    pub static_attributes: Vec<StaticAttr>,
}

/// Why a payload was refused (the code is what is counted).
#[derive(Clone, Debug, PartialEq)]
pub enum BadPayload {
    NotJson,
    NotAnObject,
    /// An attribute whose value does not fit its provisioned type.
    WrongType {
        key: String,
        kind: String,
    },
    BadTimeInstant,
}

impl BadPayload {
    pub fn describe(&self) -> String {
        match self {
            BadPayload::NotJson => "the body is not JSON".into(),
            BadPayload::NotAnObject => "a measure must be a JSON object (or a list of them)".into(),
            BadPayload::WrongType { key, kind } => format!("\"{key}\" is not a {kind}"),
            BadPayload::BadTimeInstant => "TimeInstant is not an ISO 8601 date-time".into(),
        }
    }
}

/// The key whose value is the time of the measure (as IoT Agent reads it).
pub const TIME_INSTANT: &str = "TimeInstant";

/// The entity id of a device: its `entity_name` when that is already a URI,
/// else `urn:ngsi-ld:{type}:{name}` (an NGSI-LD id must be a URI).
pub fn entity_id(entity_type: &str, entity_name: &str) -> String {
    if ngsild::entity::is_uri(entity_name) { entity_name.to_string() } else { format!("urn:ngsi-ld:{entity_type}:{entity_name}") }
}

/// The measures of one message: an object, or a list of objects (IoT Agent
/// JSON's multi-measure), each at its `TimeInstant` or at `received_ms`.
pub fn measures(device: &DeviceMap, payload: &[u8], received_ms: i64) -> Result<Vec<Measure>, BadPayload> {
    let body: Json = serde_json::from_slice(payload).map_err(|_| BadPayload::NotJson)?;
    match body {
        Json::Array(items) => items.iter().map(|item| measure(device, item, received_ms)).collect(),
        item => Ok(vec![measure(device, &item, received_ms)?]),
    }
}

fn measure(device: &DeviceMap, item: &Json, received_ms: i64) -> Result<Measure, BadPayload> {
    let object = item.as_object().ok_or(BadPayload::NotAnObject)?;
    let observed_at_ms = match object.get(TIME_INSTANT) {
        Some(Json::String(text)) => ngsild::time::parse_datetime(text).ok_or(BadPayload::BadTimeInstant)? / 1000,
        Some(_) => return Err(BadPayload::BadTimeInstant),
        None => received_ms,
    };
    let mut attrs = Vec::new();
    for (key, value) in object {
        if key == TIME_INSTANT {
            continue;
        }
        // A key without a mapping is passed on under its own name, its type
        // read from the JSON value (as IoT Agent does).
        let (name, kind) = match device.attributes.iter().find(|a| a.object_id == *key || (a.object_id.is_empty() && a.name == *key)) {
            Some(a) => (a.name.clone(), a.kind.clone()),
            None => (key.clone(), inferred(value).to_string()),
        };
        let attr = convert(value, &kind).ok_or_else(|| BadPayload::WrongType { key: key.clone(), kind: kind.clone() })?;
        attrs.push((name, attr));
    }
    for s in &device.static_attributes {
        if let Some(attr) = convert(&s.value, &s.kind) {
            attrs.push((s.name.clone(), attr));
        }
    }
    Ok(Measure {
        entity_id: entity_id(&device.entity_type, &device.entity_name),
        entity_type: device.entity_type.clone(),
        observed_at_ms,
        attrs,
    })
}

fn inferred(value: &Json) -> &'static str {
    match value {
        Json::Number(_) => "Number",
        Json::Bool(_) => "Boolean",
        Json::Object(_) | Json::Array(_) => "StructuredValue",
        _ => "Text",
    }
}

/// A value as an attribute of the provisioned type (IoT Agent's names, any
/// case): numbers from numbers or numeric text, booleans from booleans or
/// `true`/`false`, `geo:point` from `"lat,lon"`, `geo:json` from GeoJSON.
pub fn convert(value: &Json, kind: &str) -> Option<Attribute> {
    let kind = kind.to_ascii_lowercase();
    let property = |v: Json| Some(Attribute::property(v));
    match kind.as_str() {
        "number" | "float" | "integer" | "double" => match value {
            Json::Number(_) => property(value.clone()),
            Json::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).and_then(|f| property(json!(f))),
            _ => None,
        },
        "boolean" | "bool" => match value {
            Json::Bool(_) => property(value.clone()),
            Json::String(s) if s.eq_ignore_ascii_case("true") => property(json!(true)),
            Json::String(s) if s.eq_ignore_ascii_case("false") => property(json!(false)),
            _ => None,
        },
        "text" | "string" => match value {
            Json::String(_) => property(value.clone()),
            Json::Number(_) | Json::Bool(_) => property(json!(value.to_string())),
            _ => None,
        },
        "geo:point" => {
            let (lat, lon) = value.as_str()?.split_once(',')?;
            let (lat, lon) = (lat.trim().parse::<f64>().ok()?, lon.trim().parse::<f64>().ok()?);
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return None;
            }
            Some(Attribute::new(AttrKind::GeoProperty, json!({"type": "Point", "coordinates": [lon, lat]})))
        }
        "geo:json" => {
            ngsild::geo::Geometry::from_geojson(value).ok()?;
            Some(Attribute::new(AttrKind::GeoProperty, value.clone()))
        }
        "relationship" => {
            value.as_str().filter(|s| ngsild::entity::is_uri(s)).map(|_| Attribute::new(AttrKind::Relationship, value.clone()))
        }
        // StructuredValue, DateTime and other names: the value as sent.
        _ => property(value.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge() -> DeviceMap {
        DeviceMap {
            device_id: "awlr01".into(),
            entity_name: "bojonegoro".into(),
            entity_type: "WaterObserved".into(),
            attributes: vec![
                AttrMap { object_id: "l".into(), name: "waterLevel".into(), kind: "Number".into() },
                AttrMap { object_id: "p".into(), name: "location".into(), kind: "geo:point".into() },
                AttrMap { object_id: "ok".into(), name: "online".into(), kind: "Boolean".into() },
            ],
            static_attributes: vec![StaticAttr { name: "river".into(), kind: "Text".into(), value: json!("Bengawan Solo") }],
        }
    }

    #[test]
    fn keys_map_through_the_device_and_values_convert_to_their_types() {
        let m = measures(&gauge(), br#"{"l": "13.1", "p": "-7.15,111.88", "ok": "true", "extra": 3}"#, 1_000).unwrap();
        assert_eq!(m.len(), 1);
        let m = &m[0];
        assert_eq!(m.entity_id, "urn:ngsi-ld:WaterObserved:bojonegoro");
        assert_eq!(m.observed_at_ms, 1_000);
        let get = |n: &str| m.attrs.iter().find(|(k, _)| k == n).map(|(_, a)| a.clone()).unwrap();
        assert_eq!(get("waterLevel").value, json!(13.1));
        assert_eq!(get("location").kind, AttrKind::GeoProperty);
        assert_eq!(get("location").value, json!({"type": "Point", "coordinates": [111.88, -7.15]}));
        assert_eq!(get("online").value, json!(true));
        assert_eq!(get("extra").value, json!(3));
        assert_eq!(get("river").value, json!("Bengawan Solo"));
    }

    #[test]
    fn time_instant_sets_the_time_and_lists_are_several_measures() {
        let body = br#"[{"l": 12, "TimeInstant": "2023-01-05T03:00:00Z"}, {"l": 13}]"#;
        let m = measures(&gauge(), body, 7).unwrap();
        assert_eq!(m[0].observed_at_ms, 1_672_887_600_000);
        assert_eq!(m[1].observed_at_ms, 7);
        assert!(m[0].attrs.iter().all(|(k, _)| k != TIME_INSTANT));
    }

    #[test]
    fn values_that_do_not_fit_their_type_refuse_the_message() {
        assert_eq!(
            measures(&gauge(), br#"{"l": "tinggi"}"#, 0).unwrap_err(),
            BadPayload::WrongType { key: "l".into(), kind: "Number".into() }
        );
        assert_eq!(
            measures(&gauge(), br#"{"p": "91,10"}"#, 0).unwrap_err(),
            BadPayload::WrongType { key: "p".into(), kind: "geo:point".into() }
        );
        assert_eq!(measures(&gauge(), b"12", 0).unwrap_err(), BadPayload::NotAnObject);
        assert_eq!(measures(&gauge(), b"{", 0).unwrap_err(), BadPayload::NotJson);
        assert_eq!(measures(&gauge(), br#"{"TimeInstant": "kemarin"}"#, 0).unwrap_err(), BadPayload::BadTimeInstant);
    }
}
