//! Status changes: a new reading of a gauge queues a check (a durable job);
//! the check compares the status with the one last announced and, when it
//! changed, records the new one and queues the announcement in the same
//! transaction; the announcement goes to the region's MQTT status topic
//! (retained, so a newcomer sees the present status) and to its webhook,
//! and is retried until both took it; each address of the region's email
//! list gets its own message (a job of its own, through `--smtp-url`).

use serde_json::json;

use super::levels::{self, Status};
use super::{reading, repo};
use crate::kernel::jobs::{self, Job, NewJob};
use crate::store::{Store, StoreError, sql_built};
use crate::web::App;

pub const CHECK_JOB: &str = "sensor:flood_check";
pub const ANNOUNCE_JOB: &str = "sensor:flood_announce";
pub const EMAIL_JOB: &str = "sensor:flood_email";

/// Queues a check of every gauge among `entity_ids` (a tenant's entities
/// that just got readings). One waiting check per gauge absorbs the rest.
pub async fn readings_arrived(store: &Store, tenant: &str, entity_ids: &[&str]) -> Result<(), StoreError> {
    if entity_ids.is_empty() {
        return Ok(());
    }
    let list = crate::slices::sensors::repo::placeholders(2, entity_ids.len());
    let q = sql_built(format!("SELECT id FROM flood_gauges WHERE tenant_id = $1 AND entity_id IN ({list})"))
        .bind(tenant)
        .bind_all(entity_ids.iter().map(|e| (*e).into()));
    let gauges = store.fetch_all(q).await?;
    if gauges.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    for g in &gauges {
        let id: String = g.at(0)?;
        let job = NewJob::now(tx.now_ms(), tenant, CHECK_JOB, id.clone(), json!({ "gauge": id }));
        jobs::enqueue(&mut tx, &job).await?;
    }
    tx.commit().await
}

/// The check: the status of the gauge's current reading against the last
/// announced one (none yet counts as normal). A stale reading announces
/// nothing: it is not the river now.
pub async fn check(app: App, job: Job) -> Result<(), String> {
    let store = &app.store;
    let tenant = job.tenant_id.as_str();
    let gauge_id = job.payload["gauge"].as_str().unwrap_or_default();
    let gauges = repo::gauges(store, tenant).await.map_err(|e| e.to_string())?;
    let Some(gauge) = gauges.iter().find(|g| g.id == gauge_id) else { return Ok(()) };
    let Some(now) = reading::latest(store, tenant, &gauge.entity_id).await.map_err(|e| e.to_string())? else { return Ok(()) };
    let settings = repo::settings(store, tenant).await.map_err(|e| e.to_string())?;
    if store.now_ms() - now.observed_at_ms > settings.stale_after_ms {
        return Ok(());
    }
    let level_cm = levels::centimetres(now.metres);
    let status = levels::status(&gauge.levels, level_cm, now.observed_at_ms);
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    tx.serialize_on(&format!("flood:{tenant}:{gauge_id}")).await.map_err(|e| e.to_string())?;
    let before = repo::announced(&mut tx, tenant, gauge_id).await.map_err(|e| e.to_string())?.unwrap_or(Status::Normal);
    repo::set_announced(&mut tx, tenant, gauge_id, status, level_cm, now.observed_at_ms).await.map_err(|e| e.to_string())?;
    if before != status {
        let payload = json!({
            "gauge": gauge_id, "name": gauge.name, "entity": gauge.entity_id,
            "from": before.code(), "status": status.code(),
            "waterLevel": now.metres, "observedAt": ngsild::temporal::format_instant(now.observed_at_ms),
        });
        let key = format!("{gauge_id}:{}", now.observed_at_ms);
        for to in &settings.emails {
            let (subject, body) = email(&gauge.name, before, status, now.metres, now.observed_at_ms);
            let mail = json!({ "to": to, "subject": subject, "body": body });
            let job = NewJob { max_attempts: 30, ..NewJob::now(tx.now_ms(), tenant, EMAIL_JOB, format!("{key}:{to}"), mail) };
            jobs::enqueue(&mut tx, &job).await.map_err(|e| e.to_string())?;
        }
        let job = NewJob::now(tx.now_ms(), tenant, ANNOUNCE_JOB, key, payload);
        jobs::enqueue(&mut tx, &job).await.map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    app.job_wake.notify_one();
    Ok(())
}

/// The announcement: to the MQTT status topic (when the server has a
/// broker) and the webhook (when the region set one).
pub async fn announce(app: App, job: Job) -> Result<(), String> {
    let settings = repo::settings(&app.store, &job.tenant_id).await.map_err(|e| e.to_string())?;
    let body = job.payload.to_string();
    if let Some(url) = &app.mqtt
        && !settings.status_topic.is_empty()
    {
        let topic = url.topic(&format!("{}/{}", settings.status_topic, job.payload["gauge"].as_str().unwrap_or_default()));
        publish_retained(url, &topic, &body).await?;
    }
    if !settings.webhook_url.is_empty() {
        post_json(&settings.webhook_url, &body).await?;
    }
    Ok(())
}

/// The subject and body of a status change's email, in Bahasa Indonesia
/// (the region's language) from the message catalogue.
fn email(gauge: &str, from: Status, to: Status, metres: f64, observed_at_ms: i64) -> (String, String) {
    static CATALOG: std::sync::OnceLock<crate::web::ui::Catalog> = std::sync::OnceLock::new();
    let c = CATALOG.get_or_init(crate::web::ui::Catalog::embedded);
    let lang = crate::web::ui::Lang::Id;
    let status = |s: Status| {
        let key = match s {
            Status::Normal => "sensor.banjir.status.normal",
            Status::Hijau => "sensor.banjir.status.hijau",
            Status::Kuning => "sensor.banjir.status.kuning",
            Status::Merah => "sensor.banjir.status.merah",
        };
        c.text(lang, key, &[])
    };
    let args = [
        ("gauge", gauge.to_string()),
        ("from", status(from)),
        ("status", status(to)),
        ("level", format!("{metres:.2}").replace('.', ",")),
        ("at", ngsild::temporal::format_instant(observed_at_ms)),
    ];
    (c.text(lang, "sensor.banjir.email.subject", &args), c.text(lang, "sensor.banjir.email.body", &args))
}

/// The email job: one message to one address. Without `--smtp-url` there
/// is no way to send; the server's log says so and the job ends.
pub async fn send_email(app: App, job: Job) -> Result<(), String> {
    let field = |k: &str| crate::worker::text(&job, k);
    let Some(smtp) = &app.smtp else {
        tracing::warn!(tenant = %job.tenant_id, "flood status email not sent: the server has no --smtp-url");
        return Ok(());
    };
    smtp.send(&field("to")?, &field("subject")?, &field("body")?).await
}

/// One message at QoS 1, retained, returning once the broker acknowledged it.
async fn publish_retained(url: &crate::kernel::mqtt::MqttUrl, topic: &str, body: &str) -> Result<(), String> {
    crate::slices::sensors::subscriptions::delivery::publish(url, topic, body, true).await
}

/// POSTs JSON to an `http://` webhook (a relay does TLS onward, as for
/// mail); any 2xx is taken.
async fn post_json(url: &str, body: &str) -> Result<(), String> {
    let headers = [("Content-Type".to_string(), "application/json".to_string())];
    crate::slices::sensors::subscriptions::delivery::post(url, &headers, body).await.map_err(|e| format!("webhook: {e}"))
}
