//! The MQTT subscriber: a singleton service (one server at a time holds it)
//! that takes IoT Agent JSON measures from `/json/{apikey}/{device}/attrs`
//! (and the shorter `/{apikey}/{device}/attrs`) at QoS 1, stores them in
//! batches and acknowledges each message only after its batch is stored:
//! what the broker was told is safe is in the store. Its session is kept at
//! the broker (no clean session), so messages sent while it was away or
//! not yet acknowledged come again when it reconnects.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, Packet, Publish, QoS};
use tokio::sync::{mpsc, watch};

use super::ingest::{self, Message, Sources};
use crate::kernel::mqtt::MqttUrl;
use crate::services::{Ended, Service};
use crate::web::App;

/// Run only where a broker is configured (`--mqtt-url`).
pub const SERVICE: Service = Service { name: "sensor:mqtt", singleton: true, run: run_service, wanted: |app| app.mqtt.is_some() };

fn run_service(app: App, stop: watch::Receiver<bool>) -> Ended {
    Box::pin(run(app, stop))
}

/// The most messages stored in one transaction: a batch is what arrived
/// while the previous one was stored, up to this.
pub const BATCH: usize = 500;
/// Messages received and not yet stored (the broker's in-flight window
/// bounds it in practice).
const QUEUE: usize = 20_000;

/// The topic filters the subscriber takes.
pub fn filters(url: &MqttUrl) -> [String; 2] {
    [url.topic("/json/+/+/attrs"), url.topic("/+/+/attrs")]
}

/// The apikey and device id of a measure's topic.
pub fn parse_topic<'a>(url: &MqttUrl, topic: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = topic.strip_prefix(url.prefix.as_str())?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["", "json", apikey, device, "attrs"] | ["", apikey, device, "attrs"] => Some((apikey, device)),
        _ => None,
    }
}

async fn run(app: App, mut stop: watch::Receiver<bool>) -> Result<(), String> {
    let Some(url) = app.mqtt.clone() else {
        // No broker configured: nothing to do until the server stops.
        let _ = stop.wait_for(|s| *s).await;
        return Ok(());
    };
    let mut options = url.options(&url.client_id);
    options.set_clean_session(false).set_manual_acks(true).set_max_packet_size(256 * 1024, 256 * 1024);
    let (client, mut events) = AsyncClient::new(options, QUEUE);
    let (tx, rx) = mpsc::channel::<(Publish, i64)>(QUEUE);
    let storing = tokio::spawn(store_loop(app.clone(), url.clone(), client.clone(), rx));
    let mut pause = Duration::from_millis(100);
    let outcome = loop {
        tokio::select! {
            changed = stop.changed() => if changed.is_err() || *stop.borrow() { break Ok(()) },
            event = events.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    tracing::info!(host = %url.host, port = url.port, session = ack.session_present, "mqtt connected");
                    pause = Duration::from_millis(100);
                    for f in filters(&url) {
                        if let Err(e) = client.try_subscribe(f, QoS::AtLeastOnce) {
                            tracing::warn!(error = %e, "mqtt subscribe not queued");
                        }
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    // Stamped on arrival: a measure without TimeInstant is at this time.
                    if tx.send((p, app.store.now_ms())).await.is_err() {
                        break Err("the storing task ended".to_string());
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    // The broker went away (or is not there yet): try again
                    // soon, more slowly while it stays away.
                    tracing::warn!(error = %e, retry_ms = pause.as_millis() as u64, "mqtt connection lost");
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        changed = stop.changed() => if changed.is_err() || *stop.borrow() { break Ok(()) },
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
    };
    drop(tx);
    let stored = storing.await.map_err(|e| e.to_string()).and_then(|r| r);
    // Send the last acknowledgements before leaving (what is not sent comes
    // again to the next holder, and is stored once).
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_secs(1), async { while events.poll().await.is_ok() {} }).await;
    outcome.and(stored)
}

/// Stores what arrives, a batch at a time, and acknowledges it once stored.
/// A store failure ends the service unacknowledged: the broker sends the
/// messages again when the service is started again.
async fn store_loop(app: App, url: MqttUrl, client: AsyncClient, mut rx: mpsc::Receiver<(Publish, i64)>) -> Result<(), String> {
    let mut sources = Sources::default();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let messages: Vec<Message> = batch
            .iter()
            .filter_map(|(p, received_ms)| {
                let (apikey, device_id) = parse_topic(&url, &p.topic)?;
                Some(Message { apikey, device_id, payload: &p.payload, received_ms: *received_ms })
            })
            .collect();
        let default_tenant = app.tenants.for_host(None).await.map_err(|e| e.to_string())?.map(|t| t.id).unwrap_or_default();
        ingest::ingest(&app.store, &default_tenant, &mut sources, &messages).await.map_err(|e| format!("storing measures: {e}"))?;
        for (p, _) in &batch {
            client.ack(p).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_the_apikey_and_device_under_the_prefix() {
        let plain = MqttUrl::parse("mqtt://h").unwrap();
        assert_eq!(parse_topic(&plain, "/json/k1/awlr01/attrs"), Some(("k1", "awlr01")));
        assert_eq!(parse_topic(&plain, "/k1/awlr01/attrs"), Some(("k1", "awlr01")));
        assert_eq!(parse_topic(&plain, "/json/k1/awlr01/cmd"), None);
        let prefixed = MqttUrl::parse("mqtt://h?prefix=t9").unwrap();
        assert_eq!(filters(&prefixed)[0], "t9/json/+/+/attrs");
        assert_eq!(parse_topic(&prefixed, "t9/json/k1/d/attrs"), Some(("k1", "d")));
        assert_eq!(parse_topic(&prefixed, "/json/k1/d/attrs"), None);
    }
}
