//! Sending notifications (the `sensor:notify` job) and making periodic ones
//! (`sensor:notify_periodic`). A delivery writes the entities the change
//! queued through the subscription's @context and format, sends them to
//! the endpoint (HTTP POST, or an MQTT publish at QoS 1 with the binding's
//! `metadata` and `body`), and records the outcome in the subscription:
//! a failure counts in `timesFailed` with its time and reason, and the job
//! is retried with the jobs' back-off until the receiver takes it.

use std::time::Duration;

use ngsild::context::{self, Context};
use ngsild::entity::{Entity, Form, Render};
use ngsild::subscription::{Endpoint, Format, Notification, Subscription, notification_body};
use serde_json::{Value as Json, json};

use super::{matching, model, repo};
use crate::kernel::jobs::Job;
use crate::slices::sensors::http::{self as ld, Fail};
use crate::slices::sensors::query::{self, Selector};
use crate::web::App;

/// Entities at most in one periodic notification.
const PERIODIC_MAX: usize = 1000;
/// After a failed delivery, how long the subscription's other notifications
/// wait without trying (a dead endpoint must not hold the job worker up
/// for a timeout per notification while other jobs wait).
const HOLD_AFTER_FAILURE_MS: i64 = 5_000;
/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

pub fn fail_text(f: Fail) -> String {
    match f {
        Fail::Problem(p) | Fail::TooLarge(p) | Fail::Status(_, p) => p.to_string(),
        Fail::App(e) => format!("{e:?}"),
    }
}

/// The members `matching` adds to a queued attribute instance that are not
/// the entity's own: `deletedAt` (a deleted attribute) and, with
/// `showChanges`, the value before the change (clause 5.8.6). They are taken
/// out before the entity is read and put back in what is sent.
const NOTES: &[&str] = &[
    "deletedAt",
    "previousValue",
    "previousObject",
    "previousLanguageMap",
    "previousJson",
    "previousVocab",
    "previousValueList",
    "previousObjectList",
];

/// Notes of one instance, by (attribute name, datasetId).
type Notes = Vec<(String, Option<String>, serde_json::Map<String, Json>)>;

/// Takes the notes out of a queued entity (names expanded).
fn take_notes(queued: &Json) -> (Json, Notes) {
    let mut clean = queued.clone();
    let mut notes = Notes::new();
    let Json::Object(members) = &mut clean else { return (clean, notes) };
    for (name, v) in members.iter_mut() {
        let instances: Vec<&mut Json> = match v {
            Json::Array(items) => items.iter_mut().collect(),
            one @ Json::Object(_) => vec![one],
            _ => continue,
        };
        for instance in instances {
            let Json::Object(attr) = instance else { continue };
            let taken: serde_json::Map<String, Json> = NOTES.iter().filter_map(|k| attr.remove(*k).map(|v| (k.to_string(), v))).collect();
            if !taken.is_empty() {
                let dataset = attr.get("datasetId").and_then(Json::as_str).map(str::to_string);
                notes.push((name.clone(), dataset, taken));
            }
        }
    }
    (clean, notes)
}

/// Puts the notes back on the instances as rendered (names compacted):
/// `deletedAt` of an attribute with `sysAttrs` only (a system member), the
/// previous values always (they are queued only with `showChanges`).
fn put_notes(out: &mut Json, notes: &Notes, ctx: &Context, sys_attrs: bool) {
    for (name, dataset, taken) in notes {
        let Some(rendered) = out.get_mut(ctx.compact(name)) else { continue };
        let instances: Vec<&mut Json> = match rendered {
            Json::Array(items) => items.iter_mut().collect(),
            one => vec![one],
        };
        for instance in instances {
            if instance.get("datasetId").and_then(Json::as_str) != dataset.as_deref() {
                continue;
            }
            if !instance.is_object() {
                // A concise bare value gets its members back as an object.
                *instance = json!({"value": instance.take()});
            }
            let attr = instance.as_object_mut().expect("made an object");
            for (k, v) in taken {
                match k.as_str() {
                    "deletedAt" if !sys_attrs => {}
                    // A vocabulary's terms are names: compacted as the value is.
                    "previousVocab" => {
                        attr.insert(k.clone(), compact_vocab(v, ctx));
                    }
                    _ => {
                        attr.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
}

fn compact_vocab(v: &Json, ctx: &Context) -> Json {
    match v {
        Json::String(s) => json!(ctx.compact(s)),
        Json::Array(items) => items.iter().map(|i| compact_vocab(i, ctx)).collect(),
        other => other.clone(),
    }
}

/// The attribute instances of the subscription's `datasetId`s (`@none`:
/// the default instance); attributes left without one are not notified.
fn of_datasets(e: &mut Entity, datasets: &[String]) {
    if datasets.is_empty() {
        return;
    }
    for instances in e.attrs.values_mut() {
        instances.retain(|a| datasets.iter().any(|d| a.dataset_id.as_deref().unwrap_or("@none") == d));
    }
    e.attrs.retain(|_, instances| !instances.is_empty());
}

/// `pick` and `omit` (clause 4.21) on an entity as written: the names
/// compacted as the entity's are; `@context` and the system members stay.
fn project(out: &mut Json, n: &Notification, ctx: &Context) {
    let Json::Object(members) = out else { return };
    let named = |list: &[String]| -> Vec<String> { list.iter().map(|a| ctx.compact(&ctx.expand(a))).collect() };
    let (pick, omit) = (named(&n.pick), named(&n.omit));
    let kept = |k: &String| ["@context", "createdAt", "modifiedAt", "deletedAt"].contains(&k.as_str());
    if !n.pick.is_empty() {
        members.retain(|k, _| kept(k) || pick.contains(k) || n.pick.contains(k));
    }
    members.retain(|k, _| kept(k) || !(omit.contains(k) || n.omit.contains(k)));
}

/// An entity as the notification writes it (`queued`: normalised, names expanded).
fn render(queued: &Json, ctx: &Context, sub: &Subscription) -> Result<Json, String> {
    let n = &sub.notification;
    let (clean, notes) = take_notes(queued);
    let e = Entity::parse(&clean, Form::Normalized).map_err(|e| e.to_string())?;
    let mut e = e.map_names(&|x| ctx.compact(x));
    if !n.attributes.is_empty() {
        let keep: Vec<String> = n.attributes.iter().map(|a| ctx.compact(&ctx.expand(a))).collect();
        e.attrs.retain(|name, _| keep.contains(name));
    }
    of_datasets(&mut e, &sub.dataset_id);
    let r = Render { sys_attrs: n.sys_attrs };
    let mut out = match n.format {
        Format::Normalized => e.to_normalized(r),
        Format::Concise => e.to_concise(r),
        Format::KeyValues => key_values(&e, r),
    };
    if n.format != Format::KeyValues {
        put_notes(&mut out, &notes, ctx, n.sys_attrs);
    }
    // A deleted entity's deletedAt is what its notification says.
    if let Some(at) = queued.get("deletedAt") {
        out["deletedAt"] = at.clone();
    }
    project(&mut out, n, ctx);
    Ok(out)
}

/// The simplified form, with the entity's system members when `sysAttrs`;
/// an attribute with several instances as `{"dataset": {datasetId or
/// "@none": value}}` (clause 4.5.3), so a deleted instance shows.
fn key_values(e: &Entity, r: Render) -> Json {
    let mut out = e.to_key_values(None);
    for (name, instances) in e.attrs.iter().filter(|(_, i)| i.len() > 1) {
        let by_dataset: serde_json::Map<String, Json> =
            instances.iter().map(|a| (a.dataset_id.clone().unwrap_or_else(|| "@none".into()), a.to_key_value())).collect();
        out[name.as_str()] = json!({"dataset": by_dataset});
    }
    if r.sys_attrs {
        for (k, v) in [("createdAt", &e.created_at), ("modifiedAt", &e.modified_at)] {
            if let Some(t) = v {
                out[k] = json!(t);
            }
        }
    }
    out
}

/// The subscription as it writes a linked entity (`joined`): its format and
/// `sysAttrs`, nothing of it left out.
fn whole(sub: &Subscription) -> Subscription {
    let n = &sub.notification;
    let notification = Notification { attributes: Vec::new(), pick: Vec::new(), omit: Vec::new(), show_changes: false, ..n.clone() };
    Subscription { notification, dataset_id: Vec::new(), ..sub.clone() }
}

/// The `sensor:notify` job.
pub async fn notify(app: App, job: Job) -> Result<(), String> {
    let store = &app.store;
    let tenant = job.tenant_id.as_str();
    let id = crate::worker::text(&job, "subscription")?;
    // A subscription deleted meanwhile has nowhere to deliver to.
    let Some(held) = repo::get(store, tenant, &id).await.map_err(|e| e.to_string())? else { return Ok(()) };
    let now = store.now_ms();
    let s = &held.status;
    if let Some(failed) = s.last_failure.filter(|f| *f > s.last_success.unwrap_or(i64::MIN) && now - *f < HOLD_AFTER_FAILURE_MS) {
        // The endpoint just failed: the other notifications waiting for it
        // wait their back-off without each costing the worker a timeout.
        return Err(format!("the endpoint failed {} ms ago; this notification waits to be retried", now - failed));
    }
    let sub = Subscription::parse(&held.body).map_err(|e| e.to_string())?;
    // `jsonldContext` (clause 5.2.12) names the @context notifications are written with.
    let context = sub.jsonld_context.as_ref().map_or_else(|| held.context.clone(), |url| json!(url));
    let ctx = ld::resolve(store, &context).await.map_err(fail_text)?;
    let mut data = Vec::new();
    let mut roots = Vec::new();
    for queued in job.payload["entities"].as_array().into_iter().flatten() {
        data.push(render(queued, &ctx, &sub)?);
        if sub.notification.join.is_some() {
            roots.push(Entity::parse(&take_notes(queued).0, Form::Normalized).map_err(|e| e.to_string())?);
        }
    }
    if let Some(j) = sub.notification.join {
        let whole = whole(&sub);
        let write = |e: &Entity| render(&e.to_normalized(Render { sys_attrs: true }), &ctx, &whole);
        super::joined::add(store, tenant, j, &roots, &mut data, &ctx, write).await?;
    }
    let notification = crate::worker::text(&job, "notification")?;
    let body = notification_body(&notification, &id, &ngsild::temporal::format_instant(now), data);
    let sent = send(&sub.notification.endpoint, &context, body).await;
    repo::delivered(store, tenant, &id, sent.as_ref().err().map(String::as_str)).await.map_err(|e| e.to_string())?;
    sent
}

/// The `sensor:notify_periodic` job: the subscription's entities as they
/// are now, queued for delivery, and the next time scheduled, in one
/// transaction. A paused, expired or deleted subscription stops here (a
/// PATCH that makes it active again schedules it anew).
pub async fn periodic(app: App, job: Job) -> Result<(), String> {
    let store = &app.store;
    let tenant = job.tenant_id.as_str();
    let id = crate::worker::text(&job, "subscription")?;
    let Some(held) = repo::get(store, tenant, &id).await.map_err(|e| e.to_string())? else { return Ok(()) };
    let now = store.now_ms();
    if held.time_interval_ms == 0 || held.status.state(now) != "active" {
        return Ok(());
    }
    let m = held.compiled.matcher();
    let mut data: Vec<Entity> = Vec::new();
    for (i, (eid, pattern, _)) in held.compiled.entities.iter().enumerate() {
        let s = Selector {
            types: held.compiled.types_of(i),
            ids: eid.iter().cloned().collect(),
            id_pattern: pattern.as_deref().and_then(|p| regex_lite::Regex::new(p).ok()),
            q: m.q.clone(),
            geo: m.geo.clone(),
            scope_q: m.scope.clone(),
        };
        let (found, _) = query::select(store, tenant, &s, PERIODIC_MAX, 0, false).await.map_err(fail_text)?;
        for e in found {
            if data.len() < PERIODIC_MAX && !data.iter().any(|d| d.id == e.id) {
                data.push(e);
            }
        }
    }
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    if !data.is_empty() {
        let json = data.iter().map(|e| e.to_normalized(Render { sys_attrs: true })).collect();
        matching::queue(&mut tx, tenant, &id, json, now).await.map_err(|e| e.to_string())?;
    }
    matching::schedule(&mut tx, tenant, &id, now + held.time_interval_ms).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    app.job_wake.notify_one();
    Ok(())
}

/// Sends a notification to its endpoint.
async fn send(endpoint: &Endpoint, context: &Json, mut body: Json) -> Result<(), String> {
    let ld = endpoint.accept == "application/ld+json";
    // A context given as a list of one URL is linked as that URL.
    let url = match context {
        Json::Array(items) if items.len() == 1 => items[0].as_str(),
        c => c.as_str(),
    };
    let url = url.unwrap_or(context::CORE_CONTEXT_URL);
    let mut headers: Vec<(String, String)> = Vec::new();
    if ld {
        let inline = if context.is_null() { json!(context::CORE_CONTEXT_URL) } else { context.clone() };
        // Each notified entity carries the @context (clause 5.8.6 with application/ld+json), as does the notification.
        for e in body["data"].as_array_mut().into_iter().flatten() {
            e["@context"] = inline.clone();
        }
        body["@context"] = inline;
        headers.push(("Content-Type".into(), "application/ld+json".into()));
    } else {
        headers.push(("Content-Type".into(), "application/json".into()));
        headers.push(("Link".into(), context::link_header(url)));
    }
    headers.extend(endpoint.receiver_info.iter().cloned());
    if let Some(rest) = endpoint.uri.strip_prefix("mqtt://") {
        let (server, topic) = rest.split_once('/').ok_or("the mqtt:// endpoint has no topic")?;
        let broker = crate::kernel::mqtt::MqttUrl::parse(&format!("mqtt://{server}"))?;
        let metadata: serde_json::Map<String, Json> = headers.into_iter().map(|(k, v)| (k, Json::String(v))).collect();
        let message = json!({"metadata": metadata, "body": body}).to_string();
        publish(&broker, topic, &message, false).await
    } else {
        post(&endpoint.uri, &headers, &body.to_string()).await
    }
}

/// POSTs a body to an `http://` URL (a relay on the host does TLS onward,
/// as for mail) with the given headers; any 2xx answer is taken.
pub async fn post(url: &str, headers: &[(String, String)], body: &str) -> Result<(), String> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs are reached (a relay on the host does TLS onward)")?;
    let (hostport, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let exchange = async {
        let address = if hostport.contains(':') { hostport.to_string() } else { format!("{hostport}:80") };
        let mut stream = tokio::net::TcpStream::connect(address).await.map_err(|e| format!("{url}: {e}"))?;
        let mut request = format!("POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("{url}: {e}"))?;
        let mut status = String::new();
        BufReader::new(stream).read_line(&mut status).await.map_err(|e| format!("{url}: {e}"))?;
        let code = status.split_whitespace().nth(1).unwrap_or("");
        if code.starts_with('2') && code.len() == 3 { Ok(()) } else { Err(format!("{url} answered {}", status.trim())) }
    };
    tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| format!("{url}: no answer in {} s", TIMEOUT.as_secs()))?
}

/// One message at QoS 1 (retained or not), returning once the broker acknowledged it.
pub async fn publish(broker: &crate::kernel::mqtt::MqttUrl, topic: &str, body: &str, retain: bool) -> Result<(), String> {
    use rumqttc::{AsyncClient, Event, Packet, QoS};
    let id = format!("pendopo-notify-{}", crate::kernel::identity::new_id());
    let (client, mut events) = AsyncClient::new(broker.options(&id), 10);
    client.publish(topic, QoS::AtLeastOnce, retain, body.as_bytes().to_vec()).await.map_err(|e| e.to_string())?;
    let acked = tokio::time::timeout(TIMEOUT, async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(format!("MQTT publish: {e}")),
            }
        }
    })
    .await
    .map_err(|_| format!("MQTT publish: no acknowledgement in {} s", TIMEOUT.as_secs()))?;
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_millis(200), events.poll()).await;
    acked
}

/// Whether a subscription's row is one a periodic job should be scheduled for.
pub fn is_periodic(c: &model::Checked) -> bool {
    c.time_interval_ms() > 0 && c.sub.is_active
}
