//! Entities and their attributes (clauses 4.5 and 5.2 of the spec): read
//! from a request body, checked, and written back in the three
//! representations an answer can ask for.
//!
//! Input is read in one of three ways ([`Form`]): `Normalized` takes the
//! normalised form and, as the spec allows since v1.6, the concise one
//! (attribute `type` inferred from `value`, `object` or `languageMap`, a bare
//! value or a bare GeoJSON geometry); `KeyValues` takes the simplified form
//! (every member a Property's value, a GeoJSON geometry a GeoProperty);
//! `Temporal` takes a temporal entity (instances over time).
//! Output is [`Entity::to_normalized`], [`Entity::to_concise`] and
//! [`Entity::to_key_values`].
//!
//! An attribute with several instances (a multi-attribute) is kept as a list,
//! each instance with its own `datasetId` (at most one without). Names are
//! kept as given: [`Entity::map_names`] expands or compacts them with a
//! [`crate::context::Context`].

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value as Json, json};

use crate::geo::{GEOMETRY_TYPES, Geometry};
use crate::problem::{ErrorType, Problem};
use crate::scope::check_scope;
use crate::time::is_datetime;

/// The attribute types this crate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttrKind {
    Property,
    Relationship,
    GeoProperty,
    LanguageProperty,
    /// A value kept verbatim as JSON (`json`): never expanded, never read as JSON-LD.
    JsonProperty,
    /// A term or IRI (or a list of them) in `vocab`: expanded and compacted like a name.
    VocabProperty,
    /// An ordered list of values (`valueList`).
    ListProperty,
    /// An ordered list of entity ids (`objectList`).
    ListRelationship,
}

impl AttrKind {
    pub fn name(self) -> &'static str {
        match self {
            AttrKind::Property => "Property",
            AttrKind::Relationship => "Relationship",
            AttrKind::GeoProperty => "GeoProperty",
            AttrKind::LanguageProperty => "LanguageProperty",
            AttrKind::JsonProperty => "JsonProperty",
            AttrKind::VocabProperty => "VocabProperty",
            AttrKind::ListProperty => "ListProperty",
            AttrKind::ListRelationship => "ListRelationship",
        }
    }

    pub fn from_name(name: &str) -> Option<AttrKind> {
        [
            AttrKind::Property,
            AttrKind::Relationship,
            AttrKind::GeoProperty,
            AttrKind::LanguageProperty,
            AttrKind::JsonProperty,
            AttrKind::VocabProperty,
            AttrKind::ListProperty,
            AttrKind::ListRelationship,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// The member that holds the attribute's value in the normalised form.
    pub fn value_member(self) -> &'static str {
        match self {
            AttrKind::Property | AttrKind::GeoProperty => "value",
            AttrKind::Relationship => "object",
            AttrKind::LanguageProperty => "languageMap",
            AttrKind::JsonProperty => "json",
            AttrKind::VocabProperty => "vocab",
            AttrKind::ListProperty => "valueList",
            AttrKind::ListRelationship => "objectList",
        }
    }
}

/// The members that hold an attribute's value, whichever its type.
pub const VALUE_MEMBERS: &[&str] = &["value", "object", "languageMap", "json", "vocab", "valueList", "objectList"];

/// Attributes by name, each with its instances.
pub type Attributes = BTreeMap<String, Vec<Attribute>>;

/// One instance of an attribute (or of a sub-attribute).
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub kind: AttrKind,
    /// `value` (Property, GeoProperty: a GeoJSON geometry), `object` (a URI,
    /// or an array of them), `languageMap` (language tag to string), `json`
    /// (any JSON), `vocab` (a name or list of names), `valueList` (an array)
    /// or `objectList` (an array of URIs, or of `{"object": URI}`).
    pub value: Json,
    pub observed_at: Option<String>,
    pub unit_code: Option<String>,
    pub dataset_id: Option<String>,
    /// System attributes: kept when read, written with `sysAttrs`.
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
    /// The language a LanguageProperty's value was picked in (`lang`): set
    /// only for an answer, never read from a body.
    pub lang: Option<String>,
    pub sub: Attributes,
}

impl Attribute {
    /// A Property holding `value`, nothing else.
    pub fn property(value: Json) -> Attribute {
        Attribute::new(AttrKind::Property, value)
    }

    pub fn new(kind: AttrKind, value: Json) -> Attribute {
        Attribute {
            kind,
            value,
            observed_at: None,
            unit_code: None,
            dataset_id: None,
            created_at: None,
            modified_at: None,
            lang: None,
            sub: Attributes::new(),
        }
    }

    /// This instance in the normalised form (one element of a temporal
    /// entity's instance list, or of a notification).
    pub fn to_normalized(&self, render: Render) -> Json {
        write_normalized(self, render)
    }

    /// This instance in the concise form.
    pub fn to_concise(&self, render: Render) -> Json {
        write_concise(self, render)
    }

    /// This instance's value in the simplified (keyValues) form.
    pub fn to_key_value(&self) -> Json {
        key_value(self, None)
    }

    /// `observedAt` as microseconds since the epoch (it was checked when read).
    pub fn observed_at_micros(&self) -> Option<i64> {
        self.observed_at.as_deref().and_then(crate::time::parse_datetime)
    }

    /// The geometry of a GeoProperty.
    pub fn geometry(&self) -> Option<Geometry> {
        (self.kind == AttrKind::GeoProperty).then(|| Geometry::from_geojson(&self.value).ok()).flatten()
    }
}

/// An entity.
#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    pub id: String,
    /// One type or more, as given.
    pub types: Vec<String>,
    /// `scope` (a string or array of strings), if any.
    pub scope: Option<Json>,
    pub created_at: Option<String>,
    pub modified_at: Option<String>,
    pub attrs: Attributes,
}

/// How an input body is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Normalised, or concise (types inferred).
    Normalized,
    /// `options=keyValues` (or simplified).
    KeyValues,
    /// A temporal entity (`POST /temporal/entities`): normalised or concise,
    /// each attribute a list of instances over time, each with its `observedAt`
    /// (instances of one `datasetId` may repeat).
    Temporal,
}

/// How to write a system member (`createdAt`, `modifiedAt`): only with `sysAttrs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Render {
    pub sys_attrs: bool,
}

/// Why a body was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The body (or an attribute fragment) is not a JSON object.
    NotAnObject,
    MissingId,
    /// `id` is not an absolute URI.
    IdNotUri,
    MissingType,
    /// `type` is not a non-empty string or list of them.
    BadType,
    /// A name that is empty or has a character the spec forbids (`<>"'=;()`, spaces, controls).
    BadName,
    /// An attribute with a `type` this crate does not know.
    UnknownAttributeType,
    /// A Property or GeoProperty without `value`, a Relationship without `object`, a LanguageProperty without `languageMap`.
    MissingValue,
    /// An attribute (or its value) that is `null`.
    NullValue,
    /// A Relationship's `object` is not a URI (or list of URIs).
    BadObject,
    /// A GeoProperty's value is not a valid GeoJSON geometry.
    BadGeometry,
    /// A `languageMap` that is not an object of strings.
    BadLanguageMap,
    /// `observedAt` is not a DateTime of the spec (UTC, ending in `Z`).
    BadDateTime,
    BadUnitCode,
    /// `datasetId` is not a URI.
    BadDatasetId,
    /// Two instances of one attribute with the same `datasetId` (or both without).
    DuplicateDatasetId,
    /// `location`, `observationSpace` and `operationSpace` are GeoProperties.
    NotAGeoProperty,
    /// `scope` is not a path (`/a/b`) or a list of them.
    BadScope,
    /// A VocabProperty's `vocab` is not a name (or list of names).
    BadVocab,
    /// A ListProperty's `valueList` is not an array.
    BadList,
    /// An attribute carries the value member of another type (a Property's `object`).
    ForeignMember,
    /// An instance of a temporal entity without its `observedAt`.
    MissingObservedAt,
}

impl Reason {
    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::NotAnObject => "not_an_object",
            Reason::MissingId => "missing_id",
            Reason::IdNotUri => "id_not_uri",
            Reason::MissingType => "missing_type",
            Reason::BadType => "bad_type",
            Reason::BadName => "bad_name",
            Reason::UnknownAttributeType => "unknown_attribute_type",
            Reason::MissingValue => "missing_value",
            Reason::NullValue => "null_value",
            Reason::BadObject => "bad_object",
            Reason::BadGeometry => "bad_geometry",
            Reason::BadLanguageMap => "bad_language_map",
            Reason::BadDateTime => "bad_date_time",
            Reason::BadUnitCode => "bad_unit_code",
            Reason::BadDatasetId => "bad_dataset_id",
            Reason::DuplicateDatasetId => "duplicate_dataset_id",
            Reason::NotAGeoProperty => "not_a_geoproperty",
            Reason::BadScope => "bad_scope",
            Reason::BadVocab => "bad_vocab",
            Reason::BadList => "bad_list",
            Reason::ForeignMember => "foreign_member",
            Reason::MissingObservedAt => "missing_observed_at",
        }
    }

    /// The spec's error type: a body that is not an object is an invalid
    /// request; everything else is data the operation cannot take.
    pub fn error_type(self) -> ErrorType {
        match self {
            Reason::NotAnObject => ErrorType::InvalidRequest,
            _ => ErrorType::BadRequestData,
        }
    }
}

/// A refused body: why, and where (`speed[1].accuracy`, empty for the body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityError {
    pub reason: Reason,
    pub path: String,
}

impl fmt::Display for EntityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "entity: {}", self.reason.code())
        } else {
            write!(f, "entity: {} at {}", self.reason.code(), self.path)
        }
    }
}

impl std::error::Error for EntityError {}

impl From<EntityError> for Problem {
    fn from(e: EntityError) -> Problem {
        Problem::new(e.reason.error_type(), e.to_string())
    }
}

fn err<T>(reason: Reason, path: &str) -> Result<T, EntityError> {
    Err(EntityError { reason, path: path.to_string() })
}

/// Whether `text` is an absolute URI: a scheme (a letter, then letters,
/// digits, `+`, `-`, `.`), a colon, then something without spaces.
pub fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else { return false };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`'))
}

/// Whether `name` may name an entity type or an attribute (clause 4.6.2:
/// no characters that would break a query or a URL).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '\'' | '=' | ';' | '(' | ')'))
}

/// Entity members that are not attributes.
const ENTITY_MEMBERS: &[&str] = &["id", "@id", "type", "@type", "scope", "createdAt", "modifiedAt", "deletedAt", "@context"];

/// Attribute members that are not sub-attributes.
const ATTRIBUTE_MEMBERS: &[&str] = &[
    "type",
    "value",
    "object",
    "languageMap",
    "observedAt",
    "unitCode",
    "datasetId",
    "createdAt",
    "modifiedAt",
    "deletedAt",
    "instanceId",
    "objectType",
    "json",
    "vocab",
    "valueList",
    "objectList",
    "@context",
];

/// Attributes the spec makes GeoProperties.
pub const GEO_NAMES: &[&str] = &["location", "observationSpace", "operationSpace"];

fn is_geometry(v: &Json) -> bool {
    v.get("type").and_then(Json::as_str).is_some_and(|t| GEOMETRY_TYPES.contains(&t)) && v.get("coordinates").is_some()
}

impl Entity {
    /// Reads and checks an entity body.
    pub fn parse(body: &Json, form: Form) -> Result<Entity, EntityError> {
        let Json::Object(map) = body else { return err(Reason::NotAnObject, "") };
        let id = match map.get("id").or_else(|| map.get("@id")) {
            None => return err(Reason::MissingId, "id"),
            Some(Json::String(id)) if is_uri(id) => id.clone(),
            Some(_) => return err(Reason::IdNotUri, "id"),
        };
        let types = match map.get("type").or_else(|| map.get("@type")) {
            None => return err(Reason::MissingType, "type"),
            Some(t) => parse_types(t)?,
        };
        let scope = parse_scope(map)?;
        let date = |k: &str| map.get(k).and_then(Json::as_str).filter(|s| is_datetime(s)).map(str::to_string);
        Ok(Entity {
            id,
            types,
            scope,
            created_at: date("createdAt"),
            modified_at: date("modifiedAt"),
            attrs: parse_attributes(body, form)?,
        })
    }

    /// The normalised form.
    pub fn to_normalized(&self, render: Render) -> Json {
        self.write(render, write_normalized)
    }

    /// The concise form: attribute types left out where they can be
    /// inferred, a Property with nothing but a scalar value written bare.
    pub fn to_concise(&self, render: Render) -> Json {
        self.write(render, write_concise)
    }

    /// The simplified (keyValues) form: each attribute's value, of its
    /// default instance (the one without `datasetId`, else the first); a
    /// LanguageProperty as the string in `lang` if asked and present, else
    /// its whole language map.
    pub fn to_key_values(&self, lang: Option<&str>) -> Json {
        let mut out = self.head(Render::default());
        for (name, instances) in &self.attrs {
            if let Some(a) = default_instance(instances) {
                out.insert(name.clone(), key_value(a, lang));
            }
        }
        Json::Object(out)
    }

    fn head(&self, render: Render) -> Map<String, Json> {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("type".into(), if self.types.len() == 1 { json!(self.types[0]) } else { json!(self.types) });
        if let Some(scope) = &self.scope {
            out.insert("scope".into(), scope.clone());
        }
        if render.sys_attrs {
            if let Some(t) = &self.created_at {
                out.insert("createdAt".into(), json!(t));
            }
            if let Some(t) = &self.modified_at {
                out.insert("modifiedAt".into(), json!(t));
            }
        }
        out
    }

    fn write(&self, render: Render, each: impl Fn(&Attribute, Render) -> Json + Copy) -> Json {
        let mut out = self.head(render);
        write_attributes(&self.attrs, render, each, &mut out);
        Json::Object(out)
    }

    /// The entity with its type and attribute names (sub-attributes too)
    /// passed through `f`: `ctx.expand` before storing, `ctx.compact`
    /// before answering. A VocabProperty's terms are names too (clause
    /// 4.5.20: expanded as the vocabulary's IRIs); a JsonProperty's value is
    /// never touched.
    pub fn map_names(&self, f: &dyn Fn(&str) -> String) -> Entity {
        Entity { types: self.types.iter().map(|t| f(t)).collect(), attrs: map_attribute_names(&self.attrs, f), ..self.clone() }
    }
}

/// One attribute instance with its names mapped by `f` as
/// [`Entity::map_names`] maps them: its sub-attributes' names and a
/// VocabProperty's terms (an instance of a temporal answer).
pub fn map_attribute(a: &Attribute, f: &dyn Fn(&str) -> String) -> Attribute {
    let value = if a.kind == AttrKind::VocabProperty { map_vocab(&a.value, f) } else { a.value.clone() };
    Attribute { value, sub: map_attribute_names(&a.sub, f), ..a.clone() }
}

fn map_attribute_names(attrs: &Attributes, f: &dyn Fn(&str) -> String) -> Attributes {
    attrs
        .iter()
        .map(|(name, instances)| {
            let each = |a: &Attribute| {
                let value = if a.kind == AttrKind::VocabProperty { map_vocab(&a.value, f) } else { a.value.clone() };
                Attribute { value, sub: map_attribute_names(&a.sub, f), ..a.clone() }
            };
            (f(name), instances.iter().map(each).collect())
        })
        .collect()
}

fn map_vocab(v: &Json, f: &dyn Fn(&str) -> String) -> Json {
    match v {
        Json::String(s) => Json::String(f(s)),
        Json::Array(items) => Json::Array(items.iter().map(|i| map_vocab(i, f)).collect()),
        other => other.clone(),
    }
}

/// An entity's `scope`: each a path (`/a/b`, clause 4.18), one or a list.
fn parse_scope(map: &Map<String, Json>) -> Result<Option<Json>, EntityError> {
    match map.get("scope") {
        None => Ok(None),
        Some(s @ Json::String(x)) if check_scope(x).is_ok() => Ok(Some(s.clone())),
        Some(Json::Array(items)) if !items.is_empty() && items.iter().all(|i| i.as_str().is_some_and(|x| check_scope(x).is_ok())) => {
            Ok(Some(Json::Array(items.clone())))
        }
        Some(_) => err(Reason::BadScope, "scope"),
    }
}

/// What a fragment (the body of an append, an update, an item of a batch
/// update) carries besides attributes: types to add to the entity's
/// (clause 4.16) and a scope (4.18). Both may be absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Head {
    pub types: Vec<String>,
    pub scope: Option<Json>,
}

/// Reads a fragment's [`Head`]: its `type` (one or a list) and `scope`, checked as an entity's.
pub fn parse_head(body: &Json) -> Result<Head, EntityError> {
    let Json::Object(map) = body else { return err(Reason::NotAnObject, "") };
    let types = match map.get("type").or_else(|| map.get("@type")) {
        None => Vec::new(),
        Some(t) => parse_types(t)?,
    };
    Ok(Head { types, scope: parse_scope(map)? })
}

fn parse_types(t: &Json) -> Result<Vec<String>, EntityError> {
    let names: Vec<String> = match t {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or(EntityError { reason: Reason::BadType, path: "type".into() })?,
        _ => return err(Reason::BadType, "type"),
    };
    if names.iter().any(|n| !is_valid_name(n)) {
        return err(Reason::BadType, "type");
    }
    Ok(names)
}

/// Reads the attributes of a body (an entity, or the fragment of an
/// append or update, whose `id` and `type` are then absent): every member
/// but `id`, `type`, `scope`, the system members and `@context`.
pub fn parse_attributes(body: &Json, form: Form) -> Result<Attributes, EntityError> {
    let Json::Object(map) = body else { return err(Reason::NotAnObject, "") };
    let mut attrs = Attributes::new();
    for (name, v) in map {
        if ENTITY_MEMBERS.contains(&name.as_str()) {
            continue;
        }
        if !is_valid_name(name) {
            return err(Reason::BadName, name);
        }
        let instances = match form {
            Form::Normalized => parse_instances(v, name, false)?,
            Form::Temporal => parse_instances(v, name, true)?,
            Form::KeyValues => vec![key_values_attribute(v, name)?],
        };
        if GEO_NAMES.contains(&name.as_str()) && instances.iter().any(|a| a.kind != AttrKind::GeoProperty) {
            return err(Reason::NotAGeoProperty, name);
        }
        attrs.insert(name.clone(), instances);
    }
    Ok(attrs)
}

fn key_values_attribute(v: &Json, path: &str) -> Result<Attribute, EntityError> {
    match v {
        Json::Null => err(Reason::NullValue, path),
        v if is_geometry(v) => {
            Geometry::from_geojson(v).map_err(|_| EntityError { reason: Reason::BadGeometry, path: path.into() })?;
            Ok(Attribute::new(AttrKind::GeoProperty, v.clone()))
        }
        // The simplified form's wrapped values (clause 4.5.4): `{"json": ...}`,
        // `{"vocab": ...}`, `{"languageMap": ...}` are read as their type's.
        Json::Object(m) if m.len() == 1 && ["json", "vocab", "languageMap"].iter().any(|k| m.contains_key(*k)) => parse_attribute(v, path),
        v => Ok(Attribute::property(v.clone())),
    }
}

/// Whether an array element reads as an attribute instance (not a value).
fn looks_like_instance(v: &Json) -> bool {
    v.get("type").and_then(Json::as_str).is_some_and(|t| AttrKind::from_name(t).is_some())
        || VALUE_MEMBERS.iter().any(|k| v.get(k).is_some())
}

/// An attribute's instances; `over_time` (a temporal body) lets a
/// `datasetId` repeat and asks each instance for its `observedAt`.
fn parse_instances(v: &Json, path: &str, over_time: bool) -> Result<Vec<Attribute>, EntityError> {
    let (items, multi): (Vec<&Json>, bool) = match v {
        Json::Array(items) if !items.is_empty() && items.iter().all(looks_like_instance) => (items.iter().collect(), true),
        v => (vec![v], false),
    };
    let mut out: Vec<Attribute> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let here = if multi { format!("{path}[{i}]") } else { path.to_string() };
        let a = parse_attribute(item, &here)?;
        if over_time && a.observed_at.is_none() {
            return err(Reason::MissingObservedAt, &here);
        }
        if !over_time && out.iter().any(|o| o.dataset_id == a.dataset_id) {
            return err(Reason::DuplicateDatasetId, &here);
        }
        out.push(a);
    }
    Ok(out)
}

fn parse_attribute(v: &Json, path: &str) -> Result<Attribute, EntityError> {
    let map = match v {
        Json::Null => return err(Reason::NullValue, path),
        Json::Object(map) => map,
        // Concise: a bare value is a Property's.
        v => return Ok(Attribute::property(v.clone())),
    };
    let declared = map.get("type").and_then(Json::as_str);
    let kind = match declared {
        Some(t) if GEOMETRY_TYPES.contains(&t) => {
            // Concise: a bare GeoJSON geometry.
            Geometry::from_geojson(v).map_err(|_| EntityError { reason: Reason::BadGeometry, path: path.into() })?;
            return Ok(Attribute::new(AttrKind::GeoProperty, v.clone()));
        }
        Some(t) => AttrKind::from_name(t).ok_or(EntityError { reason: Reason::UnknownAttributeType, path: path.into() })?,
        None if map.get("type").is_some() => return err(Reason::UnknownAttributeType, path),
        None if map.contains_key("object") => AttrKind::Relationship,
        None if map.contains_key("languageMap") => AttrKind::LanguageProperty,
        None if map.contains_key("json") => AttrKind::JsonProperty,
        None if map.contains_key("vocab") => AttrKind::VocabProperty,
        None if map.contains_key("valueList") => AttrKind::ListProperty,
        None if map.contains_key("objectList") => AttrKind::ListRelationship,
        None if map.get("value").is_some_and(is_geometry) => AttrKind::GeoProperty,
        None if map.contains_key("value") => AttrKind::Property,
        // Concise: an object with none of the markers is a compound value.
        None => return Ok(Attribute::property(v.clone())),
    };
    let value = match map.get(kind.value_member()) {
        None => return err(Reason::MissingValue, path),
        Some(Json::Null) => return err(Reason::NullValue, path),
        Some(v) => v.clone(),
    };
    match kind {
        AttrKind::Property => {}
        AttrKind::Relationship => {
            let ok = match &value {
                Json::String(s) => is_uri(s),
                Json::Array(items) => !items.is_empty() && items.iter().all(|i| i.as_str().is_some_and(is_uri)),
                _ => false,
            };
            if !ok {
                return err(Reason::BadObject, &format!("{path}.object"));
            }
        }
        AttrKind::GeoProperty => {
            // The null marker deletes a GeoProperty in an update or a merge.
            if value.as_str() != Some(crate::update::NULL_MARKER) && Geometry::from_geojson(&value).is_err() {
                return err(Reason::BadGeometry, &format!("{path}.value"));
            }
        }
        AttrKind::LanguageProperty => {
            let ok = value
                .as_object()
                .is_some_and(|m| m.values().all(|s| s.is_string() || s.as_array().is_some_and(|a| a.iter().all(Json::is_string))));
            if !ok {
                return err(Reason::BadLanguageMap, &format!("{path}.languageMap"));
            }
        }
        AttrKind::JsonProperty => {}
        AttrKind::VocabProperty => {
            let ok = match &value {
                Json::String(s) => is_valid_name(s) || is_uri(s),
                Json::Array(items) => !items.is_empty() && items.iter().all(|i| i.as_str().is_some_and(|s| is_valid_name(s) || is_uri(s))),
                _ => false,
            };
            if !ok {
                return err(Reason::BadVocab, &format!("{path}.vocab"));
            }
        }
        AttrKind::ListProperty => {
            if !value.is_array() {
                return err(Reason::BadList, &format!("{path}.valueList"));
            }
        }
        AttrKind::ListRelationship => {
            let ok = value.as_array().is_some_and(|items| items.iter().all(|i| list_object(i).is_some_and(is_uri)));
            if !ok {
                return err(Reason::BadObject, &format!("{path}.objectList"));
            }
        }
    }
    // A member that belongs to another attribute type (a Property with an
    // `object`, a Relationship with a `languageMap`) is not a sub-attribute.
    if let Some(other) = VALUE_MEMBERS.iter().find(|m| **m != kind.value_member() && map.contains_key(**m)) {
        return err(Reason::ForeignMember, &format!("{path}.{other}"));
    }
    let mut a = Attribute::new(kind, value);
    let text = |k: &str| map.get(k).map(|v| v.as_str().map(str::to_string).ok_or(()));
    match text("observedAt") {
        Some(Ok(s)) if is_datetime(&s) => a.observed_at = Some(s),
        Some(_) => return err(Reason::BadDateTime, &format!("{path}.observedAt")),
        None => {}
    }
    match text("unitCode") {
        Some(Ok(s)) if !s.trim().is_empty() => a.unit_code = Some(s),
        Some(_) => return err(Reason::BadUnitCode, &format!("{path}.unitCode")),
        None => {}
    }
    match text("datasetId") {
        Some(Ok(s)) if is_uri(&s) => a.dataset_id = Some(s),
        Some(_) => return err(Reason::BadDatasetId, &format!("{path}.datasetId")),
        None => {}
    }
    a.created_at = map.get("createdAt").and_then(Json::as_str).filter(|s| is_datetime(s)).map(str::to_string);
    a.modified_at = map.get("modifiedAt").and_then(Json::as_str).filter(|s| is_datetime(s)).map(str::to_string);
    for (name, sub) in map {
        if ATTRIBUTE_MEMBERS.contains(&name.as_str()) {
            continue;
        }
        let sub_path = format!("{path}.{name}");
        if !is_valid_name(name) {
            return err(Reason::BadName, &sub_path);
        }
        a.sub.insert(name.clone(), parse_instances(sub, &sub_path, false)?);
    }
    Ok(a)
}

fn write_attributes(attrs: &Attributes, render: Render, each: impl Fn(&Attribute, Render) -> Json + Copy, out: &mut Map<String, Json>) {
    for (name, instances) in attrs {
        let v = match instances.as_slice() {
            [one] => each(one, render),
            // Every instance of a multi-attribute stays an object (a bare
            // concise value would read back as an array value).
            many => Json::Array(
                many.iter()
                    .map(|a| {
                        let v = each(a, render);
                        if looks_like_instance(&v) { v } else { json!({a.kind.value_member(): a.value}) }
                    })
                    .collect(),
            ),
        };
        out.insert(name.clone(), v);
    }
}

fn members(a: &Attribute, render: Render, out: &mut Map<String, Json>) {
    for (k, v) in [("observedAt", &a.observed_at), ("unitCode", &a.unit_code), ("datasetId", &a.dataset_id), ("lang", &a.lang)] {
        if let Some(v) = v {
            out.insert(k.into(), json!(v));
        }
    }
    if render.sys_attrs {
        for (k, v) in [("createdAt", &a.created_at), ("modifiedAt", &a.modified_at)] {
            if let Some(v) = v {
                out.insert(k.into(), json!(v));
            }
        }
    }
}

fn write_normalized(a: &Attribute, render: Render) -> Json {
    let mut out = Map::new();
    out.insert("type".into(), json!(a.kind.name()));
    out.insert(a.kind.value_member().into(), a.value.clone());
    members(a, render, &mut out);
    write_attributes(&a.sub, render, write_normalized, &mut out);
    Json::Object(out)
}

fn write_concise(a: &Attribute, render: Render) -> Json {
    let mut out = Map::new();
    members(a, render, &mut out);
    write_attributes(&a.sub, render, write_concise, &mut out);
    if out.is_empty() {
        match a.kind {
            AttrKind::Property if !a.value.is_object() && !a.value.is_array() => return a.value.clone(),
            AttrKind::GeoProperty => return a.value.clone(),
            _ => {}
        }
    }
    out.insert(a.kind.value_member().into(), a.value.clone());
    Json::Object(out)
}

fn default_instance(instances: &[Attribute]) -> Option<&Attribute> {
    instances.iter().find(|a| a.dataset_id.is_none()).or(instances.first())
}

/// An element of an `objectList`'s URI: the element itself, or its `object`.
pub fn list_object(item: &Json) -> Option<&str> {
    item.as_str().or_else(|| item.get("object").and_then(Json::as_str))
}

/// An attribute's simplified value (clause 4.5.4): bare for a value, an
/// object, a list; a JsonProperty and a VocabProperty keep their member's
/// name around it (`{"json": ...}`, `{"vocab": ...}`): bare, a JSON object
/// would read back as a compound Property value.
fn key_value(a: &Attribute, lang: Option<&str>) -> Json {
    match (a.kind, lang) {
        (AttrKind::LanguageProperty, Some(lang)) => a.value.get(lang).cloned().unwrap_or_else(|| a.value.clone()),
        (AttrKind::JsonProperty, _) => json!({"json": a.value}),
        (AttrKind::VocabProperty, _) => json!({"vocab": a.value}),
        (AttrKind::ListRelationship, _) => {
            Json::Array(a.value.as_array().into_iter().flatten().filter_map(|i| list_object(i).map(|s| json!(s))).collect())
        }
        _ => a.value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's Vehicle example (clause C.2.2), with a river gauge's readings.
    fn vehicle() -> Json {
        json!({
            "id": "urn:ngsi-ld:Vehicle:A4567",
            "type": "Vehicle",
            "brandName": {"type": "Property", "value": "Mercedes"},
            "isParked": {
                "type": "Relationship",
                "object": "urn:ngsi-ld:OffStreetParking:Downtown1",
                "observedAt": "2017-07-29T12:00:04Z",
                "providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"}
            },
            "speed": [
                {"type": "Property", "value": 55, "unitCode": "KMH", "datasetId": "urn:ngsi-ld:Dataset:gps"},
                {"type": "Property", "value": 54.5, "unitCode": "KMH"}
            ],
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [-8.5, 41.2]}},
            "name": {"type": "LanguageProperty", "languageMap": {"id": "Mobil", "en": "Car"}},
            "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
        })
    }

    #[test]
    fn normalised_round_trip() {
        let e = Entity::parse(&vehicle(), Form::Normalized).unwrap();
        assert_eq!(e.types, ["Vehicle"]);
        assert_eq!(e.attrs["speed"].len(), 2);
        assert_eq!(e.attrs["isParked"][0].kind, AttrKind::Relationship);
        assert_eq!(e.attrs["isParked"][0].sub["providedBy"][0].value, json!("urn:ngsi-ld:Person:Bob"));
        assert_eq!(e.attrs["location"][0].geometry(), Some(Geometry::Point([-8.5, 41.2])));
        let mut expected = vehicle();
        expected.as_object_mut().unwrap().remove("@context");
        assert_eq!(e.to_normalized(Render::default()), expected);
        assert_eq!(Entity::parse(&e.to_normalized(Render::default()), Form::Normalized).unwrap(), e);
    }

    #[test]
    fn concise_and_key_values() {
        let e = Entity::parse(&vehicle(), Form::Normalized).unwrap();
        let concise = e.to_concise(Render::default());
        assert_eq!(concise["brandName"], json!("Mercedes"));
        assert_eq!(concise["location"], json!({"type": "Point", "coordinates": [-8.5, 41.2]}));
        assert_eq!(concise["isParked"]["object"], json!("urn:ngsi-ld:OffStreetParking:Downtown1"));
        assert_eq!(concise["isParked"]["providedBy"], json!({"object": "urn:ngsi-ld:Person:Bob"}));
        assert_eq!(concise["name"], json!({"languageMap": {"id": "Mobil", "en": "Car"}}));
        assert_eq!(concise["speed"][1], json!({"value": 54.5, "unitCode": "KMH"}));
        let mut two = e.clone();
        two.attrs.get_mut("speed").unwrap()[1].unit_code = None;
        assert_eq!(two.to_concise(Render::default())["speed"][1], json!({"value": 54.5}));
        assert_eq!(Entity::parse(&two.to_concise(Render::default()), Form::Normalized).unwrap(), two);
        // Concise reads back to the same entity.
        assert_eq!(Entity::parse(&concise, Form::Normalized).unwrap(), e);
        let kv = e.to_key_values(None);
        assert_eq!(kv["speed"], json!(54.5));
        assert_eq!(kv["isParked"], json!("urn:ngsi-ld:OffStreetParking:Downtown1"));
        assert_eq!(kv["location"]["type"], "Point");
        assert_eq!(e.to_key_values(Some("id"))["name"], "Mobil");
        let back = Entity::parse(
            &json!({"id": "urn:x:1", "type": "T", "level": 12.3, "location": {"type": "Point", "coordinates": [111.9, -7.15]}}),
            Form::KeyValues,
        )
        .unwrap();
        assert_eq!(back.attrs["level"][0], Attribute::property(json!(12.3)));
        assert_eq!(back.attrs["location"][0].kind, AttrKind::GeoProperty);
    }

    #[test]
    fn system_attributes_only_when_asked() {
        let mut body = vehicle();
        body["createdAt"] = json!("2024-01-01T00:00:00Z");
        body["brandName"]["modifiedAt"] = json!("2024-01-02T00:00:00Z");
        let e = Entity::parse(&body, Form::Normalized).unwrap();
        assert!(e.to_normalized(Render::default()).get("createdAt").is_none());
        let with = e.to_normalized(Render { sys_attrs: true });
        assert_eq!(with["createdAt"], "2024-01-01T00:00:00Z");
        assert_eq!(with["brandName"]["modifiedAt"], "2024-01-02T00:00:00Z");
    }

    #[test]
    fn refusals_name_the_member() {
        let refuse = |body: Json| Entity::parse(&body, Form::Normalized).unwrap_err();
        let with = |k: &str, v: Json| {
            let mut b = vehicle();
            b[k] = v;
            b
        };
        assert_eq!(refuse(json!([1])).reason.error_type(), ErrorType::InvalidRequest);
        assert_eq!(refuse(json!({"type": "T"})), EntityError { reason: Reason::MissingId, path: "id".into() });
        assert_eq!(refuse(with("id", json!("not a uri"))).reason, Reason::IdNotUri);
        assert_eq!(refuse(with("id", json!("A4567"))).reason, Reason::IdNotUri);
        assert_eq!(refuse(json!({"id": "urn:x:1"})).reason, Reason::MissingType);
        assert_eq!(refuse(with("type", json!([]))).reason, Reason::BadType);
        assert_eq!(refuse(with("bad name", json!(1))).reason, Reason::BadName);
        assert_eq!(
            refuse(with("a", json!({"type": "Proprety", "value": 1}))),
            EntityError { reason: Reason::UnknownAttributeType, path: "a".into() }
        );
        assert_eq!(refuse(with("a", json!({"type": "Property"}))).reason, Reason::MissingValue);
        assert_eq!(refuse(with("a", json!({"type": "Property", "value": null}))).reason, Reason::NullValue);
        assert_eq!(refuse(with("a", json!(null))).reason, Reason::NullValue);
        assert_eq!(
            refuse(with("a", json!({"type": "Relationship", "object": "Bob"}))),
            EntityError { reason: Reason::BadObject, path: "a.object".into() }
        );
        assert_eq!(
            refuse(with("a", json!({"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1]}}))).reason,
            Reason::BadGeometry
        );
        assert_eq!(refuse(with("a", json!({"type": "LanguageProperty", "languageMap": {"en": 1}}))).reason, Reason::BadLanguageMap);
        assert_eq!(refuse(with("a", json!({"value": 1, "observedAt": "yesterday"}))).reason, Reason::BadDateTime);
        assert_eq!(refuse(with("a", json!({"value": 1, "observedAt": "2024-01-01T00:00:00"}))).reason, Reason::BadDateTime);
        assert_eq!(refuse(with("a", json!({"value": 1, "observedAt": "2024-01-01T07:00:00+07:00"}))).reason, Reason::BadDateTime);
        assert_eq!(refuse(with("a", json!({"value": 1, "datasetId": "gps"}))).reason, Reason::BadDatasetId);
        assert_eq!(
            refuse(with("a", json!([{"value": 1}, {"value": 2}]))),
            EntityError { reason: Reason::DuplicateDatasetId, path: "a[1]".into() }
        );
        assert_eq!(refuse(with("location", json!({"type": "Property", "value": 1}))).reason, Reason::NotAGeoProperty);
        assert_eq!(refuse(with("scope", json!("Madrid"))).reason, Reason::BadScope);
        assert_eq!(refuse(with("scope", json!(["/Madrid", "/a/+"]))).reason, Reason::BadScope);
        assert!(Entity::parse(&with("scope", json!(["/Madrid/Gardens", "/CompanyA"])), Form::Normalized).is_ok());
        assert_eq!(refuse(with("a", json!({"value": 1, "accuracy": {"type": "Property"}}))).reason, Reason::MissingValue);
        assert_eq!(refuse(with("a", json!({"value": 1, "accuracy": {"type": "Property"}}))).path, "a.accuracy");
        let p: Problem = refuse(with("id", json!(1))).into();
        assert_eq!(p.to_json()["type"], "https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
    }

    #[test]
    fn names_map_through_a_context() {
        let e = Entity::parse(&vehicle(), Form::Normalized).unwrap();
        let core = crate::context::core();
        let expanded = e.map_names(&|n| core.expand(n));
        assert_eq!(expanded.types, ["https://uri.etsi.org/ngsi-ld/default-context/Vehicle"]);
        assert!(expanded.attrs.contains_key("https://uri.etsi.org/ngsi-ld/location"));
        assert!(
            expanded.attrs["https://uri.etsi.org/ngsi-ld/default-context/isParked"][0]
                .sub
                .contains_key("https://uri.etsi.org/ngsi-ld/default-context/providedBy")
        );
        assert_eq!(expanded.map_names(&|n| core.compact(n)), e);
    }

    #[test]
    fn temporal_bodies() {
        let body = json!({
            "id": "urn:ngsi-ld:WaterObserved:bojonegoro",
            "type": "WaterObserved",
            "waterLevel": [
                {"type": "Property", "value": 11.9, "observedAt": "2026-01-01T00:00:00Z"},
                {"type": "Property", "value": 12.2, "observedAt": "2026-01-01T03:00:00Z"}
            ]
        });
        let e = Entity::parse(&body, Form::Temporal).unwrap();
        assert_eq!(e.attrs["waterLevel"].len(), 2);
        assert_eq!(Entity::parse(&body, Form::Normalized).unwrap_err().reason, Reason::DuplicateDatasetId);
        let mut without = body.clone();
        without["waterLevel"][1].as_object_mut().unwrap().remove("observedAt");
        assert_eq!(
            Entity::parse(&without, Form::Temporal).unwrap_err(),
            EntityError { reason: Reason::MissingObservedAt, path: "waterLevel[1]".into() }
        );
    }

    /// The ETSI suite's 454_01 entity: one attribute of each type.
    fn every_type() -> Json {
        json!({
            "id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle",
            "street": {"type": "JsonProperty", "json": {"id": "some-id", "type": "some-type", "null": null},
                "source": {"type": "Property", "value": "Speedometer"}},
            "category": {"type": "VocabProperty", "vocab": "non-commercial"},
            "tyreTreadDepths": {"type": "ListProperty", "valueList": [1.2, 3.4]},
            "route": {"type": "ListRelationship", "objectList": ["urn:ngsi-ld:Road:1", "urn:ngsi-ld:Road:2"]},
            "stops": {"type": "ListRelationship", "objectList": [{"object": "urn:ngsi-ld:Stop:1"}]}
        })
    }

    #[test]
    fn json_vocab_and_list_attributes() {
        let e = Entity::parse(&every_type(), Form::Normalized).unwrap();
        assert_eq!(e.attrs["street"][0].kind, AttrKind::JsonProperty);
        assert_eq!(e.attrs["street"][0].value["null"], Json::Null, "json is kept verbatim, nulls too");
        assert_eq!(e.attrs["street"][0].sub["source"][0].value, json!("Speedometer"));
        assert_eq!(e.attrs["category"][0].kind, AttrKind::VocabProperty);
        assert_eq!(e.attrs["tyreTreadDepths"][0].kind, AttrKind::ListProperty);
        assert_eq!(e.attrs["route"][0].kind, AttrKind::ListRelationship);
        assert_eq!(e.to_normalized(Render::default()), every_type());
        // Concise: the type is left out, the member says it.
        let concise = e.to_concise(Render::default());
        assert_eq!(concise["category"], json!({"vocab": "non-commercial"}));
        assert_eq!(concise["tyreTreadDepths"], json!({"valueList": [1.2, 3.4]}));
        assert_eq!(Entity::parse(&concise, Form::Normalized).unwrap(), e);
        // Simplified (4.5.4): wrapped json and vocab, bare lists, ids of an objectList.
        let kv = e.to_key_values(None);
        assert_eq!(kv["street"], json!({"json": {"id": "some-id", "type": "some-type", "null": null}}));
        assert_eq!(kv["category"], json!({"vocab": "non-commercial"}));
        assert_eq!(kv["tyreTreadDepths"], json!([1.2, 3.4]));
        assert_eq!(kv["route"], json!(["urn:ngsi-ld:Road:1", "urn:ngsi-ld:Road:2"]));
        assert_eq!(kv["stops"], json!(["urn:ngsi-ld:Stop:1"]));
        let back = Entity::parse(&kv, Form::KeyValues).unwrap();
        assert_eq!(back.attrs["street"][0].kind, AttrKind::JsonProperty);
        assert_eq!(back.attrs["category"][0].kind, AttrKind::VocabProperty);
    }

    #[test]
    fn vocab_terms_are_names_json_is_not() {
        let e = Entity::parse(&every_type(), Form::Normalized).unwrap();
        let core = crate::context::core();
        let expanded = e.map_names(&|n| core.expand(n));
        let category = &expanded.attrs["https://uri.etsi.org/ngsi-ld/default-context/category"][0];
        assert_eq!(category.value, json!("https://uri.etsi.org/ngsi-ld/default-context/non-commercial"));
        let street = &expanded.attrs["https://uri.etsi.org/ngsi-ld/default-context/street"][0];
        assert_eq!(street.value["type"], "some-type", "a JsonProperty's members are not names");
        assert_eq!(expanded.map_names(&|n| core.compact(n)), e);
    }

    #[test]
    fn new_types_refuse_bad_values() {
        let refuse = |attr: Json| Entity::parse(&json!({"id": "urn:x:1", "type": "T", "a": attr}), Form::Normalized).unwrap_err();
        assert_eq!(refuse(json!({"type": "VocabProperty", "vocab": 1})).reason, Reason::BadVocab);
        assert_eq!(refuse(json!({"type": "VocabProperty", "vocab": "two words"})).reason, Reason::BadVocab);
        assert_eq!(refuse(json!({"type": "ListProperty", "valueList": 1})).reason, Reason::BadList);
        assert_eq!(refuse(json!({"type": "ListRelationship", "objectList": ["Bob"]})).reason, Reason::BadObject);
        assert_eq!(refuse(json!({"type": "JsonProperty", "json": null})).reason, Reason::NullValue);
        assert_eq!(refuse(json!({"type": "JsonProperty"})).reason, Reason::MissingValue);
        // 452_01: a Property carrying another type's value member.
        let foreign = refuse(json!({"type": "Property", "value": 1, "object": "urn:x:2"}));
        assert_eq!(foreign, EntityError { reason: Reason::ForeignMember, path: "a.object".into() });
        assert_eq!(refuse(json!({"type": "Property", "value": 1, "valueList": [1]})).reason, Reason::ForeignMember);
    }

    #[test]
    fn uris() {
        assert!(is_uri("urn:ngsi-ld:Vehicle:A4567"));
        assert!(is_uri("https://example.org/a?b=c"));
        assert!(!is_uri("Vehicle"));
        assert!(!is_uri("1urn:x"));
        assert!(!is_uri("urn:"));
        assert!(!is_uri("urn:a b"));
    }
}
