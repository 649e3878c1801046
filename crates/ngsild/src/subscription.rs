//! Subscriptions (clause 5.2.12 of the spec): the body a client sends to
//! `/subscriptions`, read and checked into a [`Subscription`], written back
//! as JSON, and the notification body (clause 5.3.1) a broker sends.
//!
//! What is checked here is what the standard says of the data alone: the
//! members' types, `entities` or `watchedAttributes` present, `timeInterval`
//! not with `watchedAttributes` or `throttling`, `q` and `geoQ` parsed,
//! `expiresAt` a DateTime, the endpoint an absolute URI, `receiverInfo`
//! usable as headers. What a broker supports beyond that (URI schemes, an
//! `expiresAt` in the future) is the broker's to decide: the crate reads no
//! clock.

use std::fmt;

use serde_json::{Map, Value as Json, json};

use crate::entity::{is_uri, is_valid_name};
use crate::problem::{ErrorType, Problem};

/// How notified entities are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Normalized,
    KeyValues,
    Concise,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Normalized => "normalized",
            Format::KeyValues => "keyValues",
            Format::Concise => "concise",
        }
    }
}

/// One member of `entities`: a type (or a type expression, clause 4.17:
/// `(Building|Tower)`), and optionally an id or an id pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct EntitySelector {
    pub id: Option<String>,
    pub id_pattern: Option<String>,
    pub entity_type: String,
}

impl EntitySelector {
    /// The type expression as an OR of AND-groups of names (checked when read).
    pub fn type_groups(&self) -> Vec<Vec<String>> {
        type_groups(&self.entity_type).unwrap_or_else(|| vec![vec![self.entity_type.clone()]])
    }
}

/// Reads a type expression (clause 4.17): `,` and `|` are OR, `;` AND,
/// parentheses group; the answer is an OR of AND-groups of names (none:
/// not an expression of type names).
pub fn type_groups(text: &str) -> Option<Vec<Vec<String>>> {
    let tokens: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut at = 0;
    let out = type_or(&tokens, &mut at)?;
    (at == tokens.len()).then_some(out)
}

fn type_or(t: &[char], at: &mut usize) -> Option<Vec<Vec<String>>> {
    let mut out = type_and(t, at)?;
    while *at < t.len() && matches!(t[*at], ',' | '|') {
        *at += 1;
        out.extend(type_and(t, at)?);
    }
    Some(out)
}

fn type_and(t: &[char], at: &mut usize) -> Option<Vec<Vec<String>>> {
    let mut out = type_term(t, at)?;
    while *at < t.len() && t[*at] == ';' {
        *at += 1;
        let right = type_term(t, at)?;
        // (a|b);(c|d) is a;c | a;d | b;c | b;d.
        out = out.iter().flat_map(|l| right.iter().map(move |r| [l.clone(), r.clone()].concat())).collect();
    }
    Some(out)
}

fn type_term(t: &[char], at: &mut usize) -> Option<Vec<Vec<String>>> {
    if t.get(*at) == Some(&'(') {
        *at += 1;
        let inner = type_or(t, at)?;
        if t.get(*at) != Some(&')') {
            return None;
        }
        *at += 1;
        return Some(inner);
    }
    let start = *at;
    while *at < t.len() && !matches!(t[*at], ',' | '|' | ';' | '(' | ')') {
        *at += 1;
    }
    let name: String = t[start..*at].iter().collect();
    (is_valid_name(&name) || is_uri(&name)).then(|| vec![vec![name]])
}

/// Where and how notifications go.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub uri: String,
    /// `application/json` (the @context linked) or `application/ld+json` (inline).
    pub accept: String,
    /// Headers (HTTP) or metadata (MQTT) sent with every notification.
    pub receiver_info: Vec<(String, String)>,
}

/// The `notification` member (the status members are the broker's, not read here).
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// Only these attributes are notified; empty: all.
    pub attributes: Vec<String>,
    /// `pick` and `omit` (clause 4.21): entity members (attributes, `id`,
    /// `type`) kept or left out; never both naming one member, nor with `attributes`.
    pub pick: Vec<String>,
    pub omit: Vec<String>,
    /// `showChanges`: each changed attribute carries its previous value.
    pub show_changes: bool,
    pub format: Format,
    pub sys_attrs: bool,
    pub endpoint: Endpoint,
    /// `join` and `joinLevel` (clause 4.5.23, since v1.8.1): the entities
    /// the notified ones link to, inline or after them; none for `@none`.
    pub join: Option<Join>,
}

/// Linked entities in a notification: `inline` in the Relationship
/// (`"entity"`), else flat after the notified entities; `level` links deep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Join {
    pub inline: bool,
    pub level: u64,
}

fn join(o: &Map<String, Json>) -> Result<Option<Join>, SubscriptionError> {
    let level = match o.get("joinLevel") {
        None | Some(Json::Null) => 1,
        Some(v) => match v.as_u64().filter(|n| *n >= 1) {
            Some(n) => n,
            None => return err("notification.joinLevel", "must be a whole number from 1"),
        },
    };
    match text(o, "join", "notification.join")? {
        None | Some("@none") => Ok(None),
        Some("inline") => Ok(Some(Join { inline: true, level })),
        Some("flat") => Ok(Some(Join { inline: false, level })),
        Some(_) => err("notification.join", "must be flat, inline or @none"),
    }
}

/// A subscription as a client defines it.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub entities: Vec<EntitySelector>,
    pub watched_attributes: Vec<String>,
    /// The `q` text, checked to parse.
    pub q: Option<String>,
    /// The `geoQ` member, checked to read as a [`crate::geo::GeoQuery`].
    pub geo_q: Option<Json>,
    /// The `scopeQ` text, checked to parse ([`crate::scope::ScopeQuery`]).
    pub scope_q: Option<String>,
    pub notification: Notification,
    /// Seconds that must pass between two notifications.
    pub throttling: Option<f64>,
    /// Seconds between periodic notifications (instead of on change).
    pub time_interval: Option<f64>,
    /// A DateTime, checked to be one.
    pub expires_at: Option<String>,
    pub is_active: bool,
    /// Whether the body said `isActive` (it is given back only then).
    pub is_active_given: bool,
    /// `datasetId`: only the attribute instances of these datasets are
    /// notified (`@none`: the default instance); empty: all.
    pub dataset_id: Vec<String>,
    /// `jsonldContext`: the @context notifications are compacted with and
    /// linked to, instead of the one the subscription was made with.
    pub jsonld_context: Option<String>,
    /// `notificationTrigger` (clause 5.2.12): the kinds of change that notify; empty: [`DEFAULT_TRIGGERS`].
    pub notification_trigger: Vec<String>,
}

/// The changes a subscription may be notified of (`notificationTrigger`).
pub const TRIGGERS: &[&str] =
    &["entityCreated", "entityUpdated", "entityDeleted", "attributeCreated", "attributeUpdated", "attributeDeleted"];
/// What notifies when a subscription names no trigger.
pub const DEFAULT_TRIGGERS: &[&str] = &["attributeCreated", "attributeUpdated"];

fn triggers(v: Option<&Json>) -> Result<Vec<String>, SubscriptionError> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let Json::Array(items) = v else { return err("notificationTrigger", "must be an array") };
    if items.is_empty() {
        return err("notificationTrigger", "must not be empty");
    }
    items
        .iter()
        .map(|i| match i.as_str() {
            Some(t) if TRIGGERS.contains(&t) => Ok(t.to_string()),
            _ => err("notificationTrigger", format!("{i} is not one of {}", TRIGGERS.join(", "))),
        })
        .collect()
}

/// Why a subscription body was refused, naming the member.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionError {
    /// The member's path, as `notification.endpoint.uri`.
    pub member: String,
    pub reason: String,
}

impl fmt::Display for SubscriptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subscription member {}: {}", self.member, self.reason)
    }
}

impl std::error::Error for SubscriptionError {}

impl From<SubscriptionError> for Problem {
    fn from(e: SubscriptionError) -> Problem {
        Problem::new(ErrorType::BadRequestData, e.to_string())
    }
}

fn err<T>(member: &str, reason: impl Into<String>) -> Result<T, SubscriptionError> {
    Err(SubscriptionError { member: member.to_string(), reason: reason.into() })
}

/// The members a subscription body may have (others are refused, so a
/// misspelt `watchedAttribute` is not silently ignored).
const MEMBERS: &[&str] = &[
    "id",
    "type",
    "subscriptionName",
    "description",
    "entities",
    "watchedAttributes",
    "q",
    "geoQ",
    "scopeQ",
    "notification",
    "throttling",
    "timeInterval",
    "expiresAt",
    "isActive",
    "notificationTrigger",
    "datasetId",
    "jsonldContext",
    "@context",
    // Given back by brokers; accepted (and ignored) so a retrieved subscription can be sent again.
    "status",
    "createdAt",
    "modifiedAt",
];

fn text<'a>(o: &'a Map<String, Json>, member: &str, path: &str) -> Result<Option<&'a str>, SubscriptionError> {
    match o.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(_) => err(path, "must be a string"),
    }
}

fn names(v: Option<&Json>, path: &str) -> Result<Vec<String>, SubscriptionError> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let Json::Array(items) = v else { return err(path, "must be an array of attribute names") };
    if items.is_empty() {
        return err(path, "must not be empty");
    }
    items
        .iter()
        .map(|i| match i.as_str() {
            Some(n) if is_valid_name(n) => Ok(n.to_string()),
            _ => err(path, format!("{i} is not an attribute name")),
        })
        .collect()
}

fn seconds(o: &Map<String, Json>, member: &str) -> Result<Option<f64>, SubscriptionError> {
    match o.get(member) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(s) if s > 0.0 && s.is_finite() => Ok(Some(s)),
            _ => err(member, "must be a positive number of seconds"),
        },
    }
}

/// Whether a header name is an RFC 9110 token and a value has no line break.
fn header_ok(key: &str, value: &str) -> bool {
    !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
        && !value.chars().any(|c| c == '\r' || c == '\n' || c == '\0')
}

fn entities(v: Option<&Json>) -> Result<Vec<EntitySelector>, SubscriptionError> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let Json::Array(items) = v else { return err("entities", "must be an array") };
    if items.is_empty() {
        return err("entities", "must not be empty");
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("entities[{i}]");
        let Json::Object(o) = item else { return err(&path, "must be an object") };
        let id = text(o, "id", &format!("{path}.id"))?;
        if id.is_some_and(|id| !is_uri(id)) {
            return err(&format!("{path}.id"), "must be a URI");
        }
        let id_pattern = text(o, "idPattern", &format!("{path}.idPattern"))?;
        if let Some(p) = id_pattern
            && regex_lite::Regex::new(p).is_err()
        {
            return err(&format!("{path}.idPattern"), "is not a regular expression");
        }
        let Some(entity_type) = text(o, "type", &format!("{path}.type"))? else { return err(&format!("{path}.type"), "is required") };
        if type_groups(entity_type).is_none() {
            return err(&format!("{path}.type"), "is not a type name or type expression");
        }
        out.push(EntitySelector {
            id: id.map(str::to_string),
            id_pattern: id_pattern.map(str::to_string),
            entity_type: entity_type.to_string(),
        });
    }
    Ok(out)
}

fn endpoint(v: Option<&Json>) -> Result<Endpoint, SubscriptionError> {
    let Some(Json::Object(o)) = v else { return err("notification.endpoint", "is required (an object with a uri)") };
    let Some(uri) = text(o, "uri", "notification.endpoint.uri")? else { return err("notification.endpoint.uri", "is required") };
    if !is_uri(uri) || !uri.contains("://") {
        return err("notification.endpoint.uri", "must be an absolute URI, as http://host:port/path or mqtt://host:port/topic");
    }
    let accept = text(o, "accept", "notification.endpoint.accept")?.unwrap_or("application/json");
    if !matches!(accept, "application/json" | "application/ld+json") {
        return err("notification.endpoint.accept", "must be application/json or application/ld+json");
    }
    let mut receiver_info = Vec::new();
    match o.get("receiverInfo") {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) => {
            for item in items {
                let key = item.get("key").and_then(Json::as_str);
                let value = item.get("value").and_then(Json::as_str);
                match (key, value) {
                    (Some(k), Some(v)) if header_ok(k, v) => receiver_info.push((k.to_string(), v.to_string())),
                    _ => {
                        return err(
                            "notification.endpoint.receiverInfo",
                            "must be a list of {\"key\", \"value\"} strings usable as headers",
                        );
                    }
                }
            }
        }
        Some(_) => return err("notification.endpoint.receiverInfo", "must be an array"),
    }
    // `notifierInfo` (Table 5.2.22-1) is for the broker's own settings, of
    // which Pendopo has none: read for its form only.
    let pair = |i: &Json| i.get("key").is_some_and(Json::is_string) && i.get("value").is_some_and(Json::is_string);
    match o.get("notifierInfo") {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) if items.iter().all(pair) => {}
        Some(_) => return err("notification.endpoint.notifierInfo", "must be a list of {\"key\", \"value\"} strings"),
    }
    Ok(Endpoint { uri: uri.to_string(), accept: accept.to_string(), receiver_info })
}

fn notification(v: Option<&Json>) -> Result<Notification, SubscriptionError> {
    let Some(Json::Object(o)) = v else { return err("notification", "is required (an object with an endpoint)") };
    let format = match text(o, "format", "notification.format")? {
        None | Some("normalized") => Format::Normalized,
        Some("keyValues" | "simplified") => Format::KeyValues,
        Some("concise") => Format::Concise,
        Some(_) => return err("notification.format", "must be normalized, keyValues or concise"),
    };
    let sys_attrs = match o.get("sysAttrs") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => return err("notification.sysAttrs", "must be true or false"),
    };
    let show_changes = match o.get("showChanges") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => return err("notification.showChanges", "must be true or false"),
    };
    if show_changes && format == Format::KeyValues {
        return err("notification.showChanges", "cannot be given with the keyValues format (a value has no room for the previous one)");
    }
    let attributes = names(o.get("attributes"), "notification.attributes")?;
    let pick = members(o.get("pick"), "notification.pick")?;
    let omit = members(o.get("omit"), "notification.omit")?;
    if !attributes.is_empty() && (!pick.is_empty() || !omit.is_empty()) {
        return err("notification.attributes", "cannot be given with pick or omit");
    }
    if let Some(both) = pick.iter().find(|p| omit.contains(p)) {
        return err("notification.pick", format!("{both} is also in omit"));
    }
    Ok(Notification { attributes, pick, omit, show_changes, format, sys_attrs, endpoint: endpoint(o.get("endpoint"))?, join: join(o)? })
}

/// `pick` or `omit`: attribute names, `id` and `type` (an array, or a comma-separated string).
fn members(v: Option<&Json>, path: &str) -> Result<Vec<String>, SubscriptionError> {
    match v {
        Some(Json::String(s)) => names(Some(&json!(s.split(',').map(str::trim).collect::<Vec<_>>())), path),
        v => names(v, path),
    }
}

/// `datasetId`: a URI (or `@none`), or a list of them.
fn dataset_ids(v: Option<&Json>) -> Result<Vec<String>, SubscriptionError> {
    let items = match v {
        None | Some(Json::Null) => return Ok(Vec::new()),
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(items)) if !items.is_empty() => {
            items.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<Vec<_>>>().unwrap_or_default()
        }
        Some(_) => Vec::new(),
    };
    if items.is_empty() || items.iter().any(|d| d != "@none" && !is_uri(d)) {
        return err("datasetId", "must be a URI (or @none), or a non-empty list of them");
    }
    Ok(items)
}

impl Subscription {
    /// Reads a subscription body (compacted names as the client wrote them).
    pub fn parse(body: &Json) -> Result<Subscription, SubscriptionError> {
        let Json::Object(o) = body else { return err("(body)", "must be a JSON object") };
        if let Some(unknown) = o.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return err(unknown, "is not a member of a subscription");
        }
        match text(o, "type", "type")? {
            Some("Subscription") => {}
            _ => return err("type", "must be \"Subscription\""),
        }
        let id = text(o, "id", "id")?;
        if id.is_some_and(|id| !is_uri(id)) {
            return err("id", "must be a URI");
        }
        let entities = entities(o.get("entities"))?;
        let watched_attributes = names(o.get("watchedAttributes"), "watchedAttributes")?;
        let time_interval = seconds(o, "timeInterval")?;
        let throttling = seconds(o, "throttling")?;
        if entities.is_empty() && watched_attributes.is_empty() {
            return err("entities", "or watchedAttributes is required");
        }
        if time_interval.is_some() && !watched_attributes.is_empty() {
            return err("timeInterval", "cannot be given with watchedAttributes (a periodic subscription watches nothing)");
        }
        if time_interval.is_some() && throttling.is_some() {
            return err("timeInterval", "cannot be given with throttling");
        }
        let q = text(o, "q", "q")?;
        if let Some(q) = q {
            crate::q::parse(q).map_err(|e| SubscriptionError { member: "q".into(), reason: e.to_string() })?;
        }
        let geo_q = match o.get("geoQ") {
            None | Some(Json::Null) => None,
            Some(g) => {
                crate::geo::GeoQuery::from_json(g).map_err(|e| SubscriptionError { member: "geoQ".into(), reason: e.to_string() })?;
                Some(g.clone())
            }
        };
        let scope_q = text(o, "scopeQ", "scopeQ")?;
        if let Some(sq) = scope_q {
            crate::scope::ScopeQuery::parse(sq).map_err(|e| SubscriptionError { member: "scopeQ".into(), reason: e.to_string() })?;
        }
        let expires_at = text(o, "expiresAt", "expiresAt")?;
        if expires_at.is_some_and(|t| !crate::time::is_datetime(t)) {
            return err("expiresAt", "must be a DateTime in UTC, as 2027-01-01T00:00:00Z");
        }
        let jsonld_context = text(o, "jsonldContext", "jsonldContext")?;
        if jsonld_context.is_some_and(|c| !is_uri(c) || !c.contains("://")) {
            return err("jsonldContext", "must be the URL of a @context");
        }
        let is_active = match o.get("isActive") {
            None | Some(Json::Null) => true,
            Some(Json::Bool(b)) => *b,
            Some(_) => return err("isActive", "must be true or false"),
        };
        Ok(Subscription {
            id: id.map(str::to_string),
            name: text(o, "subscriptionName", "subscriptionName")?.map(str::to_string),
            description: text(o, "description", "description")?.map(str::to_string),
            entities,
            watched_attributes,
            q: q.map(str::to_string),
            geo_q,
            scope_q: scope_q.map(str::to_string),
            notification: notification(o.get("notification"))?,
            throttling,
            time_interval,
            expires_at: expires_at.map(str::to_string),
            is_active,
            is_active_given: o.get("isActive").is_some_and(Json::is_boolean),
            dataset_id: dataset_ids(o.get("datasetId"))?,
            jsonld_context: jsonld_context.map(str::to_string),
            notification_trigger: triggers(o.get("notificationTrigger"))?,
        })
    }

    /// The subscription written as the spec's JSON (without the broker's status members).
    pub fn to_json(&self) -> Json {
        let mut o = Map::new();
        if let Some(id) = &self.id {
            o.insert("id".into(), json!(id));
        }
        o.insert("type".into(), json!("Subscription"));
        if let Some(n) = &self.name {
            o.insert("subscriptionName".into(), json!(n));
        }
        if let Some(d) = &self.description {
            o.insert("description".into(), json!(d));
        }
        if !self.entities.is_empty() {
            let list: Vec<Json> = self
                .entities
                .iter()
                .map(|e| {
                    let mut m = Map::new();
                    if let Some(id) = &e.id {
                        m.insert("id".into(), json!(id));
                    }
                    if let Some(p) = &e.id_pattern {
                        m.insert("idPattern".into(), json!(p));
                    }
                    m.insert("type".into(), json!(e.entity_type));
                    Json::Object(m)
                })
                .collect();
            o.insert("entities".into(), Json::Array(list));
        }
        if !self.watched_attributes.is_empty() {
            o.insert("watchedAttributes".into(), json!(self.watched_attributes));
        }
        if let Some(q) = &self.q {
            o.insert("q".into(), json!(q));
        }
        if let Some(g) = &self.geo_q {
            o.insert("geoQ".into(), g.clone());
        }
        if let Some(sq) = &self.scope_q {
            o.insert("scopeQ".into(), json!(sq));
        }
        let n = &self.notification;
        let mut endpoint = json!({"uri": n.endpoint.uri, "accept": n.endpoint.accept});
        if !n.endpoint.receiver_info.is_empty() {
            endpoint["receiverInfo"] = n.endpoint.receiver_info.iter().map(|(k, v)| json!({"key": k, "value": v})).collect();
        }
        let mut notification = json!({"format": n.format.name(), "endpoint": endpoint});
        for (k, list) in [("attributes", &n.attributes), ("pick", &n.pick), ("omit", &n.omit)] {
            if !list.is_empty() {
                notification[k] = json!(list);
            }
        }
        if n.show_changes {
            notification["showChanges"] = json!(true);
        }
        if n.sys_attrs {
            notification["sysAttrs"] = json!(true);
        }
        if let Some(j) = n.join {
            notification["join"] = json!(if j.inline { "inline" } else { "flat" });
            notification["joinLevel"] = json!(j.level);
        }
        o.insert("notification".into(), notification);
        for (k, v) in [("throttling", self.throttling), ("timeInterval", self.time_interval)] {
            if let Some(t) = v {
                o.insert(k.into(), seconds_json(t));
            }
        }
        if let Some(t) = &self.expires_at {
            o.insert("expiresAt".into(), json!(t));
        }
        if self.is_active_given {
            o.insert("isActive".into(), json!(self.is_active));
        }
        if !self.dataset_id.is_empty() {
            o.insert("datasetId".into(), json!(self.dataset_id));
        }
        if let Some(c) = &self.jsonld_context {
            o.insert("jsonldContext".into(), json!(c));
        }
        if !self.notification_trigger.is_empty() {
            o.insert("notificationTrigger".into(), json!(self.notification_trigger));
        }
        Json::Object(o)
    }
}

/// Seconds as given: a whole number stays one (`5`, not `5.0`).
fn seconds_json(t: f64) -> Json {
    if t.fract() == 0.0 && t < 9.0e15 { json!(t as i64) } else { json!(t) }
}

/// A subscription's body after a PATCH (clause 5.8.2): each member of the
/// fragment replaces the held one whole, `notification` too (a fragment's
/// `notification` without an `endpoint` then fails the check of the
/// result: the suite's 029_03_01); `null` removes.
pub fn patched(held: &Json, fragment: &Json) -> Result<Json, SubscriptionError> {
    let Json::Object(f) = fragment else { return err("(body)", "must be a JSON object") };
    if f.contains_key("id") && f.get("id") != held.get("id") {
        return err("id", "cannot be changed");
    }
    let mut out = held.clone();
    let o = out.as_object_mut().expect("a parsed subscription is an object");
    for (k, v) in f {
        match (k.as_str(), v, o.get_mut(k)) {
            ("@context", _, _) => {}
            (_, Json::Null, _) => {
                o.remove(k);
            }
            _ => {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(out)
}

/// The notification body (clause 5.3.1): `data` holds the entities as the
/// subscription's format writes them; `notified_at` is a DateTime.
pub fn notification_body(notification_id: &str, subscription_id: &str, notified_at: &str, data: Vec<Json>) -> Json {
    json!({
        "id": notification_id,
        "type": "Notification",
        "subscriptionId": subscription_id,
        "notifiedAt": notified_at,
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Json {
        json!({
            "type": "Subscription",
            "entities": [{"type": "WaterObserved", "idPattern": "urn:ngsi-ld:WaterObserved:.*"}],
            "watchedAttributes": ["waterLevel"],
            "q": "waterLevel>13",
            "notification": {"endpoint": {"uri": "http://127.0.0.1:9000/hook", "receiverInfo": [{"key": "X-Token", "value": "abc"}]}}
        })
    }

    fn refused(mut body: Json, change: impl FnOnce(&mut Json)) -> SubscriptionError {
        change(&mut body);
        Subscription::parse(&body).expect_err("refused")
    }

    #[test]
    fn a_subscription_reads_with_defaults_and_writes_back() {
        let s = Subscription::parse(&base()).unwrap();
        assert_eq!(s.entities[0].entity_type, "WaterObserved");
        assert_eq!(s.entities[0].id_pattern.as_deref(), Some("urn:ngsi-ld:WaterObserved:.*"));
        assert_eq!(s.watched_attributes, ["waterLevel"]);
        assert_eq!(s.notification.format, Format::Normalized);
        assert_eq!(s.notification.endpoint.accept, "application/json");
        assert_eq!(s.notification.endpoint.receiver_info, [("X-Token".to_string(), "abc".to_string())]);
        assert!(s.is_active);
        let again = Subscription::parse(&s.to_json()).unwrap();
        assert_eq!(again, s);
        let mut scoped = base();
        scoped["scopeQ"] = json!("/Madrid/#,/CompanyA/+");
        let s = Subscription::parse(&scoped).unwrap();
        assert_eq!(s.scope_q.as_deref(), Some("/Madrid/#,/CompanyA/+"));
        assert_eq!(s.to_json()["scopeQ"], "/Madrid/#,/CompanyA/+");
        assert_eq!(s.to_json()["notification"]["format"], "normalized");
    }

    #[test]
    fn bad_members_are_named() {
        let e = refused(base(), |b| b["type"] = json!("Subscriptions"));
        assert_eq!(e.member, "type");
        let e = refused(base(), |b| {
            b.as_object_mut().unwrap().remove("entities");
            b.as_object_mut().unwrap().remove("watchedAttributes");
        });
        assert_eq!(e.member, "entities");
        let e = refused(base(), |b| b["q"] = json!("waterLevel>>1"));
        assert_eq!(e.member, "q");
        assert!(e.reason.contains("position"), "{e}");
        let e = refused(base(), |b| b["geoQ"] = json!({"georel": "near", "geometry": "Point", "coordinates": [111.8, -7.1]}));
        assert_eq!(e.member, "geoQ");
        let e = refused(base(), |b| b["notification"]["endpoint"]["uri"] = json!("not a uri"));
        assert_eq!(e.member, "notification.endpoint.uri");
        let e = refused(base(), |b| b["notification"]["format"] = json!("xml"));
        assert_eq!(e.member, "notification.format");
        let e = refused(base(), |b| b["notification"]["endpoint"]["receiverInfo"] = json!([{"key": "X\r\nY", "value": "1"}]));
        assert_eq!(e.member, "notification.endpoint.receiverInfo");
        let e = refused(base(), |b| b["timeInterval"] = json!(60));
        assert_eq!(e.member, "timeInterval", "not with watchedAttributes");
        let e = refused(base(), |b| b["throttling"] = json!(-1));
        assert_eq!(e.member, "throttling");
        let e = refused(base(), |b| b["expiresAt"] = json!("2027-01-01 00:00"));
        assert_eq!(e.member, "expiresAt");
        let e = refused(base(), |b| b["entities"] = json!([{"id": "urn:x:1"}]));
        assert_eq!(e.member, "entities[0].type");
        let e = refused(base(), |b| b["entities"][0]["idPattern"] = json!("(unclosed"));
        assert_eq!(e.member, "entities[0].idPattern");
        let e = refused(base(), |b| b["scopeQ"] = json!("Madrid/#"));
        assert_eq!(e.member, "scopeQ");
        let e = refused(base(), |b| b["watchedAttribute"] = json!(["x"]));
        assert_eq!(e.member, "watchedAttribute");
        let p: Problem = e.into();
        assert_eq!(p.status(), 400);
        assert_eq!(p.kind, ErrorType::BadRequestData);
    }

    #[test]
    fn join_reads_and_writes_back() {
        let mut body = base();
        body["notification"]["join"] = json!("inline");
        body["notification"]["joinLevel"] = json!(2);
        let s = Subscription::parse(&body).unwrap();
        assert_eq!(s.notification.join, Some(Join { inline: true, level: 2 }));
        assert_eq!(Subscription::parse(&s.to_json()).unwrap().notification.join, s.notification.join);
        body["notification"]["join"] = json!("@none");
        assert_eq!(Subscription::parse(&body).unwrap().notification.join, None);
        assert!(refused(base(), |b| b["notification"]["join"] = json!("deep")).member.contains("join"));
        assert!(refused(base(), |b| b["notification"]["joinLevel"] = json!(0)).member.contains("joinLevel"));
    }

    #[test]
    fn a_patch_replaces_members_whole() {
        let held = Subscription::parse(&base()).unwrap().to_json();
        let notification = json!({"format": "keyValues", "endpoint": {"uri": "http://127.0.0.1:9001/hook"}});
        let out = patched(&held, &json!({"q": null, "notification": notification, "isActive": false})).unwrap();
        let s = Subscription::parse(&out).unwrap();
        assert_eq!(s.q, None);
        assert_eq!(s.notification.format, Format::KeyValues);
        assert_eq!(s.notification.endpoint.uri, "http://127.0.0.1:9001/hook");
        assert!(s.notification.endpoint.receiver_info.is_empty(), "the held notification is not merged in");
        assert!(!s.is_active);
        // A notification without its endpoint replaces the held one: the result is refused.
        let out = patched(&held, &json!({"notification": {"format": "keyValues"}})).unwrap();
        assert!(Subscription::parse(&out).is_err());
        let mut with_id = held.clone();
        with_id["id"] = json!("urn:ngsi-ld:Subscription:a");
        assert!(patched(&with_id, &json!({"id": "urn:ngsi-ld:Subscription:b"})).is_err());
    }

    #[test]
    fn type_expressions_read_as_or_of_and_groups() {
        let g = |t: &str| type_groups(t).map(|groups| groups.iter().map(|g| g.join(";")).collect::<Vec<_>>());
        assert_eq!(g("Building"), Some(vec!["Building".to_string()]));
        assert_eq!(g("(Building|Tower)"), Some(vec!["Building".to_string(), "Tower".to_string()]));
        assert_eq!(g("A;(B,C)"), Some(vec!["A;B".to_string(), "A;C".to_string()]));
        assert_eq!(g("(A;B)|C"), Some(vec!["A;B".to_string(), "C".to_string()]));
        assert_eq!(g("(A|B"), None);
        assert_eq!(g("A||B"), None);
        let mut body = base();
        body["entities"][0]["type"] = json!("(WaterObserved|Tower)");
        assert!(Subscription::parse(&body).is_ok());
    }

    #[test]
    fn pick_omit_dataset_ids_and_json_ld_context_are_read_and_written_back() {
        let mut body = base();
        body["notification"]["pick"] = json!(["id", "waterLevel"]);
        body["notification"]["showChanges"] = json!(true);
        body["datasetId"] = json!(["urn:ngsi-ld:Dataset:a", "@none"]);
        body["jsonldContext"] = json!("https://example.org/ctx.jsonld");
        let s = Subscription::parse(&body).unwrap();
        assert_eq!(s.notification.pick, ["id", "waterLevel"]);
        assert!(s.notification.show_changes && !s.is_active_given);
        assert_eq!(Subscription::parse(&s.to_json()).unwrap(), s);
        assert!(s.to_json().get("isActive").is_none(), "not given, not written");
        let e = refused(body.clone(), |b| b["notification"]["omit"] = json!(["waterLevel"]));
        assert_eq!(e.member, "notification.pick");
        let e = refused(body.clone(), |b| b["notification"]["attributes"] = json!(["waterLevel"]));
        assert_eq!(e.member, "notification.attributes");
        let e = refused(body.clone(), |b| b["notification"]["format"] = json!("keyValues"));
        assert_eq!(e.member, "notification.showChanges");
        let e = refused(body.clone(), |b| b["datasetId"] = json!(["not a uri"]));
        assert_eq!(e.member, "datasetId");
        let e = refused(body, |b| b["notification"]["endpoint"]["notifierInfo"] = json!([{"key": "K", "value": 1}]));
        assert_eq!(e.member, "notification.endpoint.notifierInfo");
    }

    #[test]
    fn the_notification_body_has_the_spec_members() {
        let n = notification_body(
            "urn:ngsi-ld:Notification:1",
            "urn:ngsi-ld:Subscription:s",
            "2026-12-06T00:00:00Z",
            vec![json!({"id": "urn:x"})],
        );
        assert_eq!(n["type"], "Notification");
        assert_eq!(n["subscriptionId"], "urn:ngsi-ld:Subscription:s");
        assert_eq!(n["data"][0]["id"], "urn:x");
    }
}
