//! A subscription as the slice keeps it: the body the client gave (read
//! and checked by `ngsild::subscription`), the @context it was given with,
//! and its names expanded once at creation (`Compiled`), so matching in a
//! write's transaction needs no context; plus what the broker itself
//! decides (which endpoints it can reach, an `expiresAt` in the future).

use std::collections::BTreeMap;

use ngsild::context::Context;
use ngsild::entity::Entity;
use ngsild::geo::GeoQuery;
use ngsild::problem::ErrorType;
use ngsild::q::Expr;
use ngsild::scope::ScopeQuery;
use ngsild::subscription::{DEFAULT_TRIGGERS, Subscription};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::slices::sensors::http::{Fail, bad};

/// The subscription's names expanded through its @context.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Compiled {
    /// (id, idPattern, type IRI) per member of `entities`; empty: any entity.
    pub entities: Vec<(Option<String>, Option<String>, String)>,
    /// Per member of `entities`, its type expression as an OR of
    /// AND-groups of IRIs (absent in subscriptions stored before type
    /// expressions were read: then the type IRI alone).
    #[serde(default)]
    pub type_groups: Vec<TypeGroups>,
    pub watched: Vec<String>,
    /// The `q` text as given, and each name it uses with its expansion.
    pub q: Option<String>,
    pub names: BTreeMap<String, String>,
    /// `geoQ` with its `geoproperty` expanded.
    pub geo_q: Option<Json>,
    /// `scopeQ` as given (scopes are not names: nothing to expand); absent
    /// in subscriptions stored before it was read.
    #[serde(default)]
    pub scope_q: Option<String>,
    /// `notificationTrigger` as given (empty: the defaults; absent in subscriptions stored before it).
    #[serde(default)]
    pub triggers: Vec<String>,
    /// `notification.showChanges`: the queued entities carry the values before the change.
    #[serde(default)]
    pub show_changes: bool,
}

impl Compiled {
    pub fn new(s: &Subscription, ctx: &Context) -> Compiled {
        let names = std::cell::RefCell::new(BTreeMap::new());
        let q = s.q.as_deref().map(q_text);
        if let Some(q) = &q {
            let expr = ngsild::q::parse(q).expect("checked by Subscription::parse");
            expr.map_names(&|n| {
                let iri = ctx.expand(n);
                names.borrow_mut().insert(n.to_string(), iri.clone());
                iri
            });
        }
        let geo_q = s.geo_q.clone().map(|mut g| {
            let prop = g.get("geoproperty").and_then(Json::as_str).unwrap_or("location").to_string();
            g["geoproperty"] = json!(ctx.expand(&prop));
            g
        });
        Compiled {
            entities: s.entities.iter().map(|e| (e.id.clone(), e.id_pattern.clone(), ctx.expand(&e.entity_type))).collect(),
            type_groups: s
                .entities
                .iter()
                .map(|e| e.type_groups().into_iter().map(|g| g.iter().map(|t| ctx.expand(t)).collect()).collect())
                .collect(),
            watched: s.watched_attributes.iter().map(|n| ctx.expand(n)).collect(),
            q,
            names: names.into_inner(),
            geo_q,
            scope_q: s.scope_q.clone(),
            triggers: s.notification_trigger.clone(),
            show_changes: s.notification.show_changes,
        }
    }

    /// The type groups of the `i`th member of `entities`.
    pub fn types_of(&self, i: usize) -> TypeGroups {
        self.type_groups.get(i).cloned().unwrap_or_else(|| vec![vec![self.entities[i].2.clone()]])
    }

    /// Ready to test entities against (expanded names on both sides).
    pub fn matcher(&self) -> Matcher {
        let q = self
            .q
            .as_deref()
            .and_then(|q| ngsild::q::parse(q).ok())
            .map(|e| e.map_names(&|n| self.names.get(n).cloned().unwrap_or_else(|| n.to_string())));
        Matcher {
            entities: self
                .entities
                .iter()
                .enumerate()
                .map(|(i, (id, p, _))| (id.clone(), p.as_deref().and_then(|p| regex_lite::Regex::new(p).ok()), self.types_of(i)))
                .collect(),
            watched: self.watched.clone(),
            q,
            geo: self.geo_q.as_ref().and_then(|g| GeoQuery::from_json(g).ok()),
            scope: self.scope_q.as_deref().and_then(|t| ScopeQuery::parse(t).ok()),
            triggers: if self.triggers.is_empty() {
                DEFAULT_TRIGGERS.iter().map(|t| t.to_string()).collect()
            } else {
                self.triggers.clone()
            },
            show_changes: self.show_changes,
        }
    }
}

/// What a change did to an entity, as `notificationTrigger` names it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Triggered {
    /// The trigger names the change fires (among those the subscription has).
    pub fired: bool,
    /// The watched attributes it deleted (each notified with `deletedAt`
    /// when `attributeDeleted` is among the triggers); all of them when the
    /// entity was deleted.
    pub deleted_attrs: Vec<String>,
    /// The instances (attribute, datasetId) it deleted from watched
    /// attributes that keep others (`DELETE .../attrs/{name}?datasetId=`).
    pub deleted_instances: Vec<(String, Option<String>)>,
}

/// A type expression as an OR of AND-groups of type IRIs.
pub type TypeGroups = Vec<Vec<String>>;

/// A compiled subscription's tests.
pub struct Matcher {
    /// (id, idPattern, OR of AND-groups of type IRIs) per member of `entities`.
    pub entities: Vec<(Option<String>, Option<regex_lite::Regex>, TypeGroups)>,
    pub watched: Vec<String>,
    pub q: Option<Expr>,
    pub geo: Option<GeoQuery>,
    pub scope: Option<ScopeQuery>,
    /// The subscription's triggers, the defaults when it names none.
    pub triggers: Vec<String>,
    pub show_changes: bool,
}

impl Matcher {
    fn has(&self, trigger: &str) -> bool {
        self.triggers.iter().any(|t| t == trigger)
    }

    /// Whether a change from `old` to `new` (none: deleted) fires one of
    /// the subscription's triggers: the entity's (created, updated, deleted)
    /// or an attribute's among the watched ones (all when none is watched).
    pub fn triggered(&self, old: Option<&Entity>, new: Option<&Entity>) -> Triggered {
        let mut out = Triggered::default();
        let in_scope = |name: &String| self.watched.is_empty() || self.watched.contains(name);
        let (old_e, new_e) = match (old, new) {
            (None, None) => return out,
            (Some(o), None) => {
                // Deleting an entity deletes its attributes too (the suite's 046_22_12).
                if self.has("attributeDeleted") {
                    out.deleted_attrs = o.attrs.keys().filter(|n| in_scope(n)).cloned().collect();
                }
                out.fired = self.has("entityDeleted") || !out.deleted_attrs.is_empty();
                return out;
            }
            (None, Some(_)) if self.has("entityCreated") => {
                out.fired = true;
                return out;
            }
            (Some(o), Some(n)) if self.has("entityUpdated") && o != n => {
                out.fired = true;
                (old, n)
            }
            (o, Some(n)) => (o, n),
        };
        let before = |name: &String| old_e.and_then(|o| o.attrs.get(name));
        for (name, now) in new_e.attrs.iter().filter(|(n, _)| in_scope(n)) {
            match before(name) {
                None if self.has("attributeCreated") => out.fired = true,
                Some(was) if was != now && self.has("attributeUpdated") => out.fired = true,
                _ => {}
            }
        }
        if self.has("attributeDeleted") {
            let gone = old_e.into_iter().flat_map(|o| o.attrs.keys()).filter(|n| in_scope(n) && !new_e.attrs.contains_key(*n));
            out.deleted_attrs = gone.cloned().collect();
            for (name, now) in new_e.attrs.iter().filter(|(n, _)| in_scope(n)) {
                let kept = |d: &Option<String>| now.iter().any(|a| a.dataset_id == *d);
                let lost = before(name).into_iter().flatten().filter(|a| !kept(&a.dataset_id));
                out.deleted_instances.extend(lost.map(|a| (name.clone(), a.dataset_id.clone())));
            }
            out.fired |= !out.deleted_attrs.is_empty() || !out.deleted_instances.is_empty();
        }
        out
    }

    /// Whether an entity is one the subscription names (by id, pattern and type).
    pub fn selects(&self, e: &Entity) -> bool {
        self.entities.is_empty()
            || self.entities.iter().any(|(id, pattern, groups)| {
                groups.iter().any(|g| g.iter().all(|t| e.types.contains(t)))
                    && id.as_ref().is_none_or(|id| *id == e.id)
                    && pattern.as_ref().is_none_or(|p| p.is_match(&e.id))
            })
    }

    /// Whether the entity as it is now passes `q`, `geoQ` and `scopeQ` (`json`: its normalised form, names expanded).
    pub fn passes(&self, json: &Json) -> bool {
        self.q.as_ref().is_none_or(|q| q.matches(json))
            && self.geo.as_ref().is_none_or(|g| g.matches_entity(json))
            && self.scope.as_ref().is_none_or(|sq| sq.matches(&ngsild::scope::scopes_of(json.get("scope"))))
    }
}

/// A subscription's `q` as matched: `%XX` escapes decoded, as in a query's
/// URL (the suite writes `name==\"Eiffel%20Tower\"`), unless that leaves no query.
fn q_text(q: &str) -> String {
    let decoded = crate::slices::sensors::http::percent_decoded(q);
    if ngsild::q::parse(&decoded).is_ok() { decoded } else { q.to_string() }
}

/// Milliseconds of a number of seconds.
fn ms(seconds: Option<f64>) -> i64 {
    seconds.map_or(0, |s| (s * 1000.0).round() as i64)
}

/// A subscription checked for this broker: what is stored of it.
pub struct Checked {
    pub sub: Subscription,
    pub compiled: Compiled,
    pub expires_at: Option<i64>,
}

impl Checked {
    pub fn throttling_ms(&self) -> i64 {
        ms(self.sub.throttling)
    }

    pub fn time_interval_ms(&self) -> i64 {
        ms(self.sub.time_interval)
    }
}

/// Reads a body into a subscription this broker can serve: the standard's
/// checks, then an endpoint it can reach and (when `new_expiry`: the body
/// sets it) an `expiresAt` still ahead.
pub fn check(body: &Json, ctx: &Context, now_ms: i64, new_expiry: bool) -> Result<Checked, Fail> {
    let sub = Subscription::parse(body).map_err(|e| Fail::Problem(e.into()))?;
    let uri = &sub.notification.endpoint.uri;
    if uri.starts_with("https://") || uri.starts_with("mqtts://") {
        return Err(bad(
            ErrorType::BadRequestData,
            "notification.endpoint.uri: TLS endpoints are not reached directly; give an http:// or mqtt:// address of a relay that does TLS onward",
        ));
    }
    if let Some(rest) = uri.strip_prefix("mqtt://") {
        let (_, topic) = rest.split_once('/').unwrap_or((rest, ""));
        if topic.is_empty() || topic.contains(['+', '#']) {
            return Err(bad(
                ErrorType::BadRequestData,
                "notification.endpoint.uri: an mqtt:// endpoint needs a topic without wildcards, as mqtt://host:1883/topic",
            ));
        }
        crate::kernel::mqtt::MqttUrl::parse(&format!("mqtt://{}", rest.split_once('/').map_or(rest, |(h, _)| h)))
            .map_err(|e| bad(ErrorType::BadRequestData, format!("notification.endpoint.uri: {e}")))?;
    } else if !uri.starts_with("http://") {
        return Err(bad(ErrorType::BadRequestData, "notification.endpoint.uri: only http:// and mqtt:// endpoints are supported"));
    }
    let expires_at = sub.expires_at.as_deref().and_then(ngsild::time::parse_datetime).map(|us| us.div_euclid(1000));
    if new_expiry && expires_at.is_some_and(|t| t <= now_ms) {
        return Err(bad(ErrorType::BadRequestData, "expiresAt: the time is already past"));
    }
    let compiled = Compiled::new(&sub, ctx);
    Ok(Checked { sub, compiled, expires_at })
}

/// The status members a broker adds to a subscription it gives back.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub active: bool,
    pub expires_at: Option<i64>,
    pub times_sent: i64,
    pub times_failed: i64,
    pub last_notification: Option<i64>,
    pub last_success: Option<i64>,
    pub last_failure: Option<i64>,
    pub last_error: String,
}

impl Status {
    /// `active`, `paused` or `expired`.
    pub fn state(&self, now_ms: i64) -> &'static str {
        if self.expires_at.is_some_and(|t| t <= now_ms) {
            "expired"
        } else if self.active {
            "active"
        } else {
            "paused"
        }
    }
}

/// The subscription as answered: its body with `isActive`, `status` and
/// the notification's status members.
pub fn render(id: &str, body: &Json, s: &Status, now_ms: i64) -> Json {
    let mut out = body.clone();
    out["id"] = json!(id);
    if out.get("notificationTrigger").is_none() {
        out["notificationTrigger"] = json!(DEFAULT_TRIGGERS);
    }
    // `isActive` is given back as the body said it (the suite's expectations
    // have it only where the subscription was made with it); `status` says it anyway.
    out["status"] = json!(s.state(now_ms));
    let n = &mut out["notification"];
    // The counters appear once something was sent (clause 5.2.14: optional).
    for (k, v) in [("timesSent", s.times_sent), ("timesFailed", s.times_failed)] {
        if v > 0 {
            n[k] = json!(v);
        }
    }
    let when = |t: Option<i64>| t.map(ngsild::temporal::format_instant);
    for (k, v) in [("lastNotification", s.last_notification), ("lastSuccess", s.last_success), ("lastFailure", s.last_failure)] {
        if let Some(t) = when(v) {
            n[k] = json!(t);
        }
    }
    if s.last_notification.is_some() {
        let failed = s.last_failure.is_some() && s.last_failure >= s.last_success;
        n["status"] = json!(if failed { "failed" } else { "ok" });
    }
    if !s.last_error.is_empty() {
        // Not a spec member: why the last delivery failed, so a failure is never silent.
        n["lastErrorReason"] = json!(s.last_error);
    }
    out
}
