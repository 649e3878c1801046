//! Status changes: a new reading of a gauge queues a check (a durable job);
//! the check compares the status with the one last announced and, when it
//! changed, records the new one and queues the announcement in the same
//! transaction; the announcement goes to the region's MQTT status topic
//! (retained, so a newcomer sees the present status) and to its webhook,
//! and is retried until both took it.

use std::time::Duration;

use serde_json::json;

use super::levels::{self, Status};
use super::{reading, repo};
use crate::kernel::jobs::{self, Job, NewJob};
use crate::store::{Store, StoreError, sql_built};
use crate::web::App;

pub const CHECK_JOB: &str = "sensor:flood_check";
pub const ANNOUNCE_JOB: &str = "sensor:flood_announce";

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

/// One message at QoS 1, retained, returning once the broker acknowledged it.
async fn publish_retained(url: &crate::kernel::mqtt::MqttUrl, topic: &str, body: &str) -> Result<(), String> {
    use rumqttc::{AsyncClient, Event, Packet, QoS};
    let id = format!("pendopo-flood-{}", crate::kernel::identity::new_id());
    let (client, mut events) = AsyncClient::new(url.options(&id), 10);
    client.publish(topic, QoS::AtLeastOnce, true, body.as_bytes().to_vec()).await.map_err(|e| e.to_string())?;
    let acked = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(format!("MQTT status publish: {e}")),
            }
        }
    })
    .await
    .map_err(|_| "MQTT status publish: no acknowledgement in 10 s".to_string())?;
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_millis(200), events.poll()).await;
    acked
}

/// POSTs JSON to an `http://` webhook (a relay does TLS onward, as for
/// mail); any 2xx is taken.
async fn post_json(url: &str, body: &str) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").ok_or("the flood webhook must be an http:// URL (a relay on the host does TLS onward)")?;
    let (hostport, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let exchange = async {
        let mut stream =
            tokio::net::TcpStream::connect(if hostport.contains(':') { hostport.to_string() } else { format!("{hostport}:80") })
                .await
                .map_err(|e| format!("webhook: {e}"))?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("webhook: {e}"))?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await.map_err(|e| format!("webhook: {e}"))?;
        let status = std::str::from_utf8(&head[9..12]).unwrap_or("");
        if status.starts_with('2') { Ok(()) } else { Err(format!("webhook answered {status}")) }
    };
    tokio::time::timeout(Duration::from_secs(10), exchange).await.map_err(|_| "webhook: no answer in 10 s".to_string())?
}
