//! A JSON value that borrows its strings from the text it was parsed from.
//!
//! Merging a large file is mostly parsing and writing JSON. A
//! [`serde_json::Value`] allocates every string and key and keeps objects
//! in B-trees; [`Json`] keeps strings without escapes as slices of the input
//! and objects as vectors in input order, so parsing allocates little, the
//! merge can hold references instead of copies, and the result is written
//! straight from the merge's tree. serde_json still does the parsing (with
//! its error positions and nesting limit) and the writing (escapes, numbers).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

/// A parsed JSON value; see the module documentation.
#[derive(Debug, Clone)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    /// Fields in input order; a repeated key keeps its first place and its last value, as parsers that build maps do.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// `null`, to point at.
pub(crate) static NULL: Json<'static> = Json::Null;

/// Objects with more fields than this look for repeated keys with a hash set
/// rather than a scan, so a hostile object with many keys stays linear.
const SCAN_KEYS_UP_TO: usize = 32;

impl<'a> Json<'a> {
    /// The value a [`Value`] holds, borrowing its strings.
    #[must_use]
    pub fn from_value(value: &'a Value) -> Json<'a> {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(Cow::Borrowed(s)),
            Value::Array(items) => Json::Array(items.iter().map(Json::from_value).collect()),
            Value::Object(fields) => Json::Object(fields.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Json::from_value(v))).collect()),
        }
    }

    /// The same value as a [`Value`].
    #[must_use]
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.as_ref().to_owned()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(fields) => Value::Object(fields.iter().map(|(k, v)| (k.as_ref().to_owned(), v.to_value())).collect()),
        }
    }

    /// The field `key` of an object.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_object(&self) -> Option<&[(Cow<'a, str>, Json<'a>)]> {
        match self {
            Json::Object(fields) => Some(fields),
            _ => None,
        }
    }

    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    #[must_use]
    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// Takes the value out, leaving `null`.
    pub(crate) fn take(&mut self) -> Json<'a> {
        std::mem::replace(self, Json::Null)
    }
}

/// Equality as for [`Value`]: objects are equal whatever the order of their fields.
impl PartialEq for Json<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Number(a), Json::Number(b)) => a == b,
            (Json::String(a), Json::String(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => a == b,
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(key, value)| b.iter().any(|(k, v)| k == key && v == value))
            }
            _ => false,
        }
    }
}

impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key.as_ref(), value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json<'de>, E> {
        // JSON text has no NaN or infinity, so every parsed float is a number.
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut fields: Vec<(Cow<'de, str>, Json<'de>)> = Vec::new();
        let mut seen: Option<HashSet<Cow<'de, str>, foldhash::fast::RandomState>> = None;
        while let Some(key) = map.next_key_seed(Key)? {
            let value: Json<'de> = map.next_value()?;
            let repeated = match &mut seen {
                Some(seen) => !seen.insert(key.clone()),
                None => fields.iter().any(|(k, _)| *k == key),
            };
            if repeated {
                if let Some(field) = fields.iter_mut().find(|(k, _)| *k == key) {
                    field.1 = value;
                }
                continue;
            }
            fields.push((key, value));
            if seen.is_none() && fields.len() > SCAN_KEYS_UP_TO {
                seen = Some(fields.iter().map(|(k, _)| k.clone()).collect());
            }
        }
        Ok(Json::Object(fields))
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::Json;
    use serde_json::Value;

    #[test]
    fn parses_borrowing_and_writes_what_it_read() {
        let text = r#"{"a": "plain", "b\n": "esc\"aped", "n": [1, -2, 2.5, null, true], "o": {}}"#;
        let json: Json = serde_json::from_str(text).unwrap();
        let Json::Object(fields) = &json else { panic!("an object") };
        assert!(matches!(fields[0], (Cow::Borrowed("a"), Json::String(Cow::Borrowed("plain")))), "no escapes: borrowed");
        assert!(matches!(&fields[1], (Cow::Owned(key), Json::String(Cow::Owned(_))) if key == "b\n"), "escapes: unescaped copies");
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(json.to_value(), value);
        assert_eq!(serde_json::to_value(&json).unwrap(), value, "serializes to the same JSON");
        assert_eq!(Json::from_value(&value), json);
    }

    #[test]
    fn a_repeated_key_keeps_the_last_value_like_a_map() {
        for fields in [3, 40] {
            let mut text = String::from("{");
            for i in 0..fields {
                text.push_str(&format!("\"k{i}\": {i}, "));
            }
            text.push_str("\"k1\": \"last\"}");
            let json: Json = serde_json::from_str(&text).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(json.to_value(), value);
            assert_eq!(json.as_object().unwrap().len(), fields, "one field per key");
            assert_eq!(json.as_object().unwrap()[1].0, "k1", "in its first place");
        }
    }

    #[test]
    fn objects_are_equal_whatever_their_order() {
        let a: Json = serde_json::from_str(r#"{"x": 1, "y": [1, {"z": "t"}]}"#).unwrap();
        let b: Json = serde_json::from_str(r#"{"y": [1, {"z": "t"}], "x": 1}"#).unwrap();
        let c: Json = serde_json::from_str(r#"{"y": [{"z": "t"}, 1], "x": 1}"#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c, "arrays keep their order");
        assert_ne!(serde_json::from_str::<Json>("1").unwrap(), serde_json::from_str::<Json>("1.0").unwrap(), "as Value: 1 is not 1.0");
    }
}
