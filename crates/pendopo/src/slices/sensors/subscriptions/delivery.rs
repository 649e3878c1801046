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

fn fail_text(f: Fail) -> String {
    match f {
        Fail::Problem(p) | Fail::TooLarge(p) | Fail::Status(_, p) => p.to_string(),
        Fail::App(e) => format!("{e:?}"),
    }
}

/// An entity as the notification writes it.
fn render(e: &Entity, ctx: &Context, n: &Notification) -> Json {
    let mut e = e.map_names(&|x| ctx.compact(x));
    if !n.attributes.is_empty() {
        let keep: Vec<String> = n.attributes.iter().map(|a| ctx.compact(&ctx.expand(a))).collect();
        e.attrs.retain(|name, _| keep.contains(name));
    }
    let r = Render { sys_attrs: n.sys_attrs };
    match n.format {
        Format::Normalized => e.to_normalized(r),
        Format::Concise => e.to_concise(r),
        Format::KeyValues => e.to_key_values(None),
    }
}

/// Puts back the `deletedAt` of a deleted entity, and with `sysAttrs` (it is
/// a system attribute) of a deleted attribute (`matching` queues them so; an
/// entity's reading drops the member), in what is sent.
fn deleted_at(queued: &Json, out: &mut Json, ctx: &Context, sys_attrs: bool) {
    let Json::Object(members) = queued else { return };
    for (name, v) in members {
        let at = if name == "deletedAt" { Some(v) } else { v.get("deletedAt") };
        let Some(at) = at else { continue };
        if name == "deletedAt" {
            out["deletedAt"] = at.clone();
        } else if sys_attrs && let Some(Json::Object(attr)) = out.get_mut(ctx.compact(name)) {
            attr.insert("deletedAt".into(), at.clone());
        }
    }
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
    let ctx = ld::resolve(store, &held.context).await.map_err(fail_text)?;
    let mut data = Vec::new();
    for queued in job.payload["entities"].as_array().into_iter().flatten() {
        let e = Entity::parse(queued, Form::Normalized).map_err(|e| e.to_string())?;
        let mut out = render(&e, &ctx, &sub.notification);
        deleted_at(queued, &mut out, &ctx, sub.notification.sys_attrs);
        data.push(out);
    }
    let notification = crate::worker::text(&job, "notification")?;
    let body = notification_body(&notification, &id, &ngsild::temporal::format_instant(now), data);
    let sent = send(&sub.notification.endpoint, &held.context, body).await;
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
    for (eid, pattern, t) in &held.compiled.entities {
        let s = Selector {
            types: vec![vec![t.clone()]],
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
    let url = context.as_str().unwrap_or(context::CORE_CONTEXT_URL);
    let mut headers: Vec<(String, String)> = Vec::new();
    if ld {
        body["@context"] = if context.is_null() { json!(context::CORE_CONTEXT_URL) } else { context.clone() };
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
