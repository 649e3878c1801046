//! Device ingestion (the sensors slice's `iot`): provisioning in IoT
//! Agent's own API, measures over MQTT from the real `mosquitto_pub` and over
//! HTTP, refusals counted, and the subscriber surviving its broker going away.
//!
//! The MQTT tests need a Mosquitto broker (`PENDOPO_TEST_MQTT_URL`, default
//! mqtt://127.0.0.1:1883) and `mosquitto_pub`; each test uses its own topic
//! prefix, client id and apikey, so tests running together never see each
//! other's messages. Without them the tests say so loudly and pass, unless
//! `PENDOPO_TEST_MQTT_REQUIRED=1` (scripts/test sets it when both are there).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A name no other test (or run) uses: topic prefixes, client ids, apikeys.
pub(crate) fn unique(what: &str) -> String {
    format!("{what}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

pub(crate) fn broker_address() -> (String, u16) {
    let url = std::env::var("PENDOPO_TEST_MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".into());
    let u = pendopo::kernel::mqtt::MqttUrl::parse(&url).expect("PENDOPO_TEST_MQTT_URL");
    (u.host, u.port)
}

/// Whether the MQTT tests can run here; says loudly why not.
pub(crate) async fn mqtt_available() -> bool {
    let (host, port) = broker_address();
    let publisher = std::process::Command::new("mosquitto_pub").arg("--help").output().is_ok();
    let broker = tokio::net::TcpStream::connect((host.as_str(), port)).await.is_ok();
    if publisher && broker {
        return true;
    }
    let why = format!("MQTT TEST SKIPPED: mosquitto_pub found: {publisher}, broker at {host}:{port} reachable: {broker}");
    assert!(std::env::var("PENDOPO_TEST_MQTT_REQUIRED").as_deref() != Ok("1"), "{why}");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! {why}\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    false
}

/// Publishes one message at QoS 1 with the real client; returns once the
/// broker acknowledged it.
fn mosquitto_pub(topic: &str, payload: &str) {
    let (host, port) = broker_address();
    let out = std::process::Command::new("mosquitto_pub")
        .args(["-h", &host, "-p", &port.to_string(), "-q", "1", "-t", topic, "-m", payload])
        .output()
        .expect("mosquitto_pub runs");
    assert!(out.status.success(), "mosquitto_pub: {}", String::from_utf8_lossy(&out.stderr));
}

/// The app with its subscriber on `broker` (host:port) under its own prefix and client id.
async fn spawn_with_mqtt(db: &TestDb, broker: (String, u16), prefix: &str) -> TestApp {
    let url = format!("mqtt://{}:{}?client_id={}&prefix={prefix}", broker.0, broker.1, unique("pendopo-test"));
    let mqtt = pendopo::kernel::mqtt::MqttUrl::parse(&url).unwrap();
    spawn(db, |c| pendopo::web::WebConfig { mqtt: Some(mqtt), ..c }).await
}

/// Waits (up to 20 s) until `check` holds, looking every 20 ms.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "still not: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Iot {
    app: TestApp,
    token: String,
}

impl Iot {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut r = self
            .app
            .client
            .request(method, self.app.url(path))
            .header("authorization", &self.token)
            .header("fiware-service", "bojonegoro")
            .header("fiware-servicepath", "/bpbd");
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }

    /// A group under `apikey` and river gauges mapping `l` to waterLevel.
    async fn provision(&self, apikey: &str, devices: &[&str]) {
        let group = json!({"services": [{"apikey": apikey, "resource": "/iot/json", "entity_type": "WaterObserved", "cbroker": "http://orion:1026"}]});
        assert_eq!(self.send(reqwest::Method::POST, "/iot/services", Some(group)).await.status(), 201);
        let devices: Vec<Value> = devices
            .iter()
            .map(|d| {
                json!({
                    "device_id": d, "entity_name": format!("urn:ngsi-ld:WaterObserved:{d}"), "entity_type": "WaterObserved",
                    "attributes": [{"object_id": "l", "name": "waterLevel", "type": "Number"}],
                    "static_attributes": [{"name": "river", "type": "Text", "value": "Bengawan Solo"}]
                })
            })
            .collect();
        assert_eq!(self.send(reqwest::Method::POST, "/iot/devices", Some(json!({ "devices": devices }))).await.status(), 201);
    }

    /// Publishes to a probe device until one of its measures is stored: the
    /// subscriber is then connected and subscribed (probes sent before it
    /// subscribed are lost, which is why they go to a device of their own).
    async fn wait_subscribed(&self, prefix: &str, apikey: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.stored("probe").await == 0 {
            assert!(tokio::time::Instant::now() < deadline, "the subscriber never took a measure");
            mosquitto_pub(&format!("{prefix}/json/{apikey}/probe/attrs"), r#"{"l": 1}"#);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Measures stored from `device` (counted after `measures::store` committed).
    async fn stored(&self, device: &str) -> i64 {
        let q = pendopo::store::sql("SELECT measures FROM iot_devices WHERE tenant_id = $1 AND device_id = $2").bind(REGION).bind(device);
        self.app.store.fetch_scalar(q).await.unwrap()
    }

    /// Points of an entity's attribute in the broker's time series.
    async fn points(&self, entity: &str, attr: &str) -> i64 {
        let name = ngsild::context::core().expand(attr);
        let q = pendopo::store::sql("SELECT COUNT(*) FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND name = $3")
            .bind(REGION)
            .bind(entity)
            .bind(name);
        self.app.store.fetch_scalar(q).await.unwrap()
    }

    /// An entity's current value of an attribute, as the broker holds it.
    async fn current(&self, entity: &str, attr: &str) -> Option<Value> {
        let e = pendopo::slices::sensors::repo::load(&self.app.store, REGION, entity).await.unwrap()?;
        let name = ngsild::context::core().expand(attr);
        e.attrs.get(&name).and_then(|list| list.first()).map(|a| a.value.clone())
    }

    async fn metric(&self, line_start: &str) -> i64 {
        let (_, text) = self.app.get_text("/metrics").await;
        text.lines().find_map(|l| l.strip_prefix(line_start)).map(|v| v.trim().parse().unwrap()).unwrap_or(0)
    }
}

async fn iot(app: TestApp) -> Iot {
    let token = app.token_for(&app.add_user("walidata@kominfo.id", "walidata", None).await).await;
    Iot { app, token }
}

#[tokio::test]
async fn provisioning_round_trip_in_iot_agent_shapes() {
    use reqwest::Method;
    for db in each_engine().await {
        let iot = iot(spawn_app(&db).await).await;
        let label = db.label;
        let group = json!({"services": [{"apikey": "k-round", "resource": "/iot/json", "entity_type": "WaterObserved", "cbroker": "http://orion:1026"}]});
        assert_eq!(iot.send(Method::POST, "/iot/services", Some(group.clone())).await.status(), 201, "{label}");
        // The same apikey again: IoT Agent's DUPLICATE_GROUP, 409.
        let r = iot.send(Method::POST, "/iot/services", Some(group)).await;
        assert_eq!(r.status(), 409);
        assert_eq!(r.json::<Value>().await.unwrap()["name"], "DUPLICATE_GROUP");
        // Without the FIWARE headers: MISSING_HEADERS, naming them.
        let r = iot.app.client.get(iot.app.url("/iot/services")).header("authorization", &iot.token).send().await.unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["name"], "MISSING_HEADERS");
        assert!(body["message"].as_str().unwrap().contains("fiware-servicepath"), "{body}");
        let listed: Value = iot.send(Method::GET, "/iot/services", None).await.json().await.unwrap();
        assert_eq!(listed["count"], 1);
        assert_eq!(listed["services"][0]["apikey"], "k-round");
        assert_eq!(listed["services"][0]["cbroker"], "http://orion:1026");
        assert_eq!(
            (listed["services"][0]["service"].as_str(), listed["services"][0]["subservice"].as_str()),
            (Some("bojonegoro"), Some("/bpbd"))
        );

        let devices = json!({"devices": [
            {"device_id": "awlr01", "entity_name": "bojonegoro", "attributes": [{"object_id": "l", "name": "waterLevel", "type": "Number"}]},
            {"device_id": "awlr02", "entity_name": "karangnongko", "entity_type": "WaterObserved", "transport": "MQTT"}
        ]});
        assert_eq!(iot.send(Method::POST, "/iot/devices", Some(devices)).await.status(), 201);
        let listed: Value = iot.send(Method::GET, "/iot/devices", None).await.json().await.unwrap();
        assert_eq!(listed["count"], 2);
        let first = &listed["devices"][0];
        assert_eq!(
            (first["device_id"].as_str(), first["entity_type"].as_str()),
            (Some("awlr01"), Some("WaterObserved")),
            "the group's type"
        );
        assert_eq!(first["attributes"][0]["object_id"], "l");
        assert_eq!(first["service_path"], "/bpbd");
        let one: Value = iot.send(Method::GET, "/iot/devices/awlr02", None).await.json().await.unwrap();
        assert_eq!((one["entity_name"].as_str(), one["transport"].as_str()), (Some("karangnongko"), Some("MQTT")));
        // A batch with one known id stores none of it.
        let again = json!({"devices": [{"device_id": "awlr03"}, {"device_id": "awlr01"}]});
        let r = iot.send(Method::POST, "/iot/devices", Some(again)).await;
        assert_eq!(r.status(), 409);
        assert_eq!(r.json::<Value>().await.unwrap()["name"], "DUPLICATE_DEVICE_ID");
        assert_eq!(iot.send(Method::GET, "/iot/devices/awlr03", None).await.status(), 404);
        let r = iot.send(Method::POST, "/iot/devices", Some(json!({"devices": [{"entity_name": "x"}]}))).await;
        assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()["name"].clone()), (400, json!("WRONG_SYNTAX")));

        assert_eq!(iot.send(Method::DELETE, "/iot/devices/awlr02", None).await.status(), 204);
        let r = iot.send(Method::GET, "/iot/devices/awlr02", None).await;
        assert_eq!(r.status(), 404);
        assert_eq!(r.json::<Value>().await.unwrap()["name"], "DEVICE_NOT_FOUND");
        // Another path lists none of them; `/*` all.
        let other = iot
            .app
            .client
            .get(iot.app.url("/iot/devices"))
            .header("authorization", &iot.token)
            .header("fiware-service", "bojonegoro")
            .header("fiware-servicepath", "/dishub")
            .send()
            .await
            .unwrap();
        assert_eq!(other.json::<Value>().await.unwrap()["count"], 0);

        // Who may: no token 401, a village operator 403.
        let r = iot.app.client.post(iot.app.url("/iot/devices")).json(&json!({"devices": []})).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let operator = iot.app.token_for(&iot.app.add_user("operator@desa.id", "village_operator", None).await).await;
        let r = iot
            .app
            .client
            .delete(iot.app.url("/iot/devices/awlr01"))
            .header("authorization", &operator)
            .header("fiware-service", "bojonegoro")
            .header("fiware-servicepath", "/bpbd")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);

        assert_eq!(iot.send(Method::DELETE, "/iot/services?resource=/iot/json&apikey=k-round", None).await.status(), 204);
        let r = iot.send(Method::DELETE, "/iot/services?resource=/iot/json&apikey=k-round", None).await;
        assert_eq!(r.json::<Value>().await.unwrap()["name"], "DEVICE_GROUP_NOT_FOUND");
    }
}

#[tokio::test]
async fn http_measures_by_apikey_are_stored_and_strangers_counted() {
    for db in each_engine().await {
        let iot = iot(spawn_app(&db).await).await;
        iot.provision("k-http", &["awlr-http"]).await;
        let post = |q: &str, body: &str| iot.app.client.post(iot.app.url(&format!("/iot/json{q}"))).body(body.to_string()).send();
        assert_eq!(post("?k=k-http&i=awlr-http", r#"{"l": 12.5}"#).await.unwrap().status(), 200, "{}", db.label);
        assert_eq!(iot.stored("awlr-http").await, 1);
        let r = post("?k=salah&i=awlr-http", r#"{"l": 12.5}"#).await.unwrap();
        assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()["name"].clone()), (404, json!("DEVICE_GROUP_NOT_FOUND")));
        let r = post("?k=k-http&i=tak-dikenal", r#"{"l": 12.5}"#).await.unwrap();
        assert_eq!((r.status().as_u16(), r.json::<Value>().await.unwrap()["name"].clone()), (404, json!("DEVICE_NOT_FOUND")));
        let r = post("?k=k-http&i=awlr-http", r#"{"l": "tinggi"}"#).await.unwrap();
        assert_eq!(r.status(), 400);
        let r = post("?k=k-http", "{}").await.unwrap();
        assert_eq!(
            (r.status().as_u16(), r.json::<Value>().await.unwrap()["name"].clone()),
            (400, json!("MANDATORY_PARAMS_NOT_FOUND_HTTP"))
        );
        assert_eq!(iot.stored("awlr-http").await, 1, "nothing refused was stored");
        let entity = "urn:ngsi-ld:WaterObserved:awlr-http";
        assert_eq!(iot.points(entity, "waterLevel").await, 1);
        assert_eq!(iot.current(entity, "waterLevel").await, Some(json!(12.5)));
        assert_eq!(iot.current(entity, "river").await, Some(json!("Bengawan Solo")), "the static attribute");
        assert_eq!(iot.metric("pendopo_iot_rejected_total{reason=\"apikey\"}").await, 1);
        assert_eq!(iot.metric("pendopo_iot_rejected_total{reason=\"device\"}").await, 1);
        assert_eq!(iot.metric("pendopo_iot_rejected_total{reason=\"payload\"}").await, 1);
        assert_eq!(iot.metric("pendopo_iot_measures_total").await, 1);
        // The staff page shows the device and the refusals.
        let admin = iot.app.signed_in_as("walidata@kominfo.id").await;
        let (status, html) = admin.get_text("/sensor/perangkat").await;
        assert_eq!(status, 200);
        assert!(html.contains("awlr-http") && html.contains("tak-dikenal"), "{html}");
        assert!(html.contains(&said_html("sensor.iot.reason.apikey", &[])));
        assert_eq!(iot.app.get("/sensor/perangkat").await.status(), 303, "strangers sign in first");
    }
}

/// The app subscribed to the machine's broker under a prefix of its own,
/// with a service group of a new apikey holding `devices` (and the probe):
/// the app, the prefix and the apikey.
async fn subscribed(db: &TestDb, devices: &[&str]) -> (Iot, String, String) {
    let prefix = unique("t");
    let iot = iot(spawn_with_mqtt(db, broker_address(), &prefix).await).await;
    let apikey = unique("k");
    let all: Vec<&str> = ["probe"].iter().chain(devices).copied().collect();
    iot.provision(&apikey, &all).await;
    iot.wait_subscribed(&prefix, &apikey).await;
    (iot, prefix, apikey)
}

#[tokio::test]
async fn a_measure_published_with_mosquitto_pub_reaches_storage_and_strangers_are_counted() {
    if !mqtt_available().await {
        return;
    }
    let db = sqlite_db();
    let (iot, prefix, apikey) = subscribed(&db, &["awlr-mqtt"]).await;
    let topic = format!("{prefix}/json/{apikey}/awlr-mqtt/attrs");
    mosquitto_pub(&topic, r#"{"l": 13.1, "TimeInstant": "2023-01-05T03:00:00Z"}"#);
    // The short topic form too, and a multi-measure list.
    mosquitto_pub(
        &format!("{prefix}/{apikey}/awlr-mqtt/attrs"),
        r#"[{"l": 13.2, "TimeInstant": "2023-01-05T06:00:00Z"}, {"l": 13.3, "TimeInstant": "2023-01-05T09:00:00Z"}]"#,
    );
    mosquitto_pub(&format!("{prefix}/json/salah/awlr-mqtt/attrs"), r#"{"l": 1}"#);
    mosquitto_pub(&format!("{prefix}/json/{apikey}/tak-dikenal/attrs"), r#"{"l": 1}"#);
    mosquitto_pub(&topic, "bukan json");
    mosquitto_pub(&topic, r#"{"l": 13.4}"#);
    // Messages are taken in order: once the last is stored, every refusal is counted.
    eventually("all four measures stored", || async { iot.stored("awlr-mqtt").await == 4 }).await;
    let entity = "urn:ngsi-ld:WaterObserved:awlr-mqtt";
    assert_eq!(iot.points(entity, "waterLevel").await, 4, "four points in the time series");
    assert_eq!(iot.current(entity, "waterLevel").await, Some(json!(13.4)), "the newest is current");
    assert_eq!(iot.metric("pendopo_iot_rejected_total{reason=\"payload\"}").await, 1);
    assert_eq!(iot.metric("pendopo_iot_rejected_total{reason=\"device\"}").await, 1);
    // A wrong apikey names no tenant: counted under the default region.
    assert_eq!(iot.metric("pendopo_iot_rejected_total{reason=\"apikey\"}").await, 1);
}

#[tokio::test]
async fn the_simulator_publishes_measures_every_demo_device_takes() {
    if !mqtt_available().await {
        return;
    }
    let db = sqlite_db();
    let (iot, prefix, apikey) = subscribed(&db, &[]).await;
    // The demo's devices, provisioned as the demo does, under this test's apikey.
    use pendopo::slices::sensors::iot::simulate::{DEMO_DEVICES, simulate};
    let devices: Vec<Value> = DEMO_DEVICES.iter().map(|d| d.provisioning()).collect();
    assert_eq!(iot.send(reqwest::Method::POST, "/iot/devices", Some(json!({ "devices": devices }))).await.status(), 201);
    // Two rounds of the demo devices, as `pendopo sensors simulate --count 14` publishes them.
    let (host, port) = broker_address();
    let url = pendopo::kernel::mqtt::MqttUrl::parse(&format!("mqtt://{host}:{port}?prefix={prefix}")).unwrap();
    let rounds = 2;
    simulate(&url, 500.0, (rounds * DEMO_DEVICES.len()) as u64, &apikey).await.unwrap();
    for d in DEMO_DEVICES {
        eventually(&format!("{} stored its measures", d.device_id), || async { iot.stored(d.device_id).await == rounds as i64 }).await;
    }
    assert!(simulate(&url, 0.0, 1, &apikey).await.is_err(), "a rate of nothing is refused");
}

/// A TCP relay the test can cut and restore: the subscriber talks to the
/// broker through it.
struct Relay {
    port: u16,
    up: Arc<std::sync::atomic::AtomicBool>,
    pipes: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(to: (String, u16)) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let pipes: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (u, p) = (up.clone(), pipes.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !u.load(Ordering::SeqCst) {
                    continue; // dropped: the broker is "away"
                }
                let to = to.clone();
                p.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut broker) = tokio::net::TcpStream::connect((to.0.as_str(), to.1)).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut broker).await;
                    }
                }));
            }
        });
        Relay { port, up, pipes }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for pipe in self.pipes.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn the_broker_going_away_and_back_loses_nothing_acknowledged() {
    if !mqtt_available().await {
        return;
    }
    let db = sqlite_db();
    let relay = Relay::start(broker_address()).await;
    let prefix = unique("t");
    let iot = iot(spawn_with_mqtt(&db, ("127.0.0.1".into(), relay.port), &prefix).await).await;
    let apikey = unique("k");
    iot.provision(&apikey, &["probe", "awlr-relay"]).await;
    iot.wait_subscribed(&prefix, &apikey).await;
    let topic = format!("{prefix}/json/{apikey}/awlr-relay/attrs");
    // The broker goes away for the subscriber; devices keep publishing, and
    // the broker acknowledges each (mosquitto_pub waits for it).
    relay.cut();
    for i in 0..20 {
        mosquitto_pub(&topic, &json!({"l": 12.0 + i as f64 / 100.0, "TimeInstant": format!("2026-12-01T00:{i:02}:00Z")}).to_string());
    }
    relay.restore();
    eventually("all 20 acknowledged while away are stored", || async { iot.stored("awlr-relay").await == 20 }).await;
    let entity = "urn:ngsi-ld:WaterObserved:awlr-relay";
    assert_eq!(iot.points(entity, "waterLevel").await, 20, "each once, none lost");
    assert_eq!(iot.current(entity, "waterLevel").await, Some(json!(12.19)));
    let running = iot.app.state.service_stats.snapshot().into_iter().find(|(n, _, _)| *n == "sensor:mqtt").unwrap();
    assert!(running.2, "the subscriber runs again");
}

/// 2023-01-05T10:00 WIB.
const JAN_2023: i64 = 1_672_887_600_000;
/// 2018-06-01T10:00 WIB.
const JUN_2018: i64 = 1_527_822_000_000;

/// The app at `at` with the region's flood settings, and its admin signed in.
async fn flood_app(db: &TestDb, at: i64) -> (TestApp, TestApp, pendopo::clock::Clock) {
    let clock = pendopo::clock::Clock::manual(at);
    let app = spawn_clocked(db, clock.clone()).await;
    pendopo::slices::setup_tenant(&app.store, REGION).await.unwrap();
    app.add_user("walidata@kominfo.id", "walidata", None).await;
    let admin = app.signed_in_as("walidata@kominfo.id").await;
    (app, admin, clock)
}

async fn enter_reading(admin: &TestApp, gauge: &str, level: &str, at: &str) -> reqwest::Response {
    let csrf = admin.csrf(&format!("/banjir/{gauge}/bacaan")).await;
    admin.post_form(&format!("/banjir/{gauge}/bacaan"), &[("csrf", &csrf), ("level", level), ("observed_at", at)]).await
}

fn in_large_type(html: &str, key: &str) -> bool {
    html.contains(&format!("font-weight:bold;margin:0\">{}</p>", said_html(key, &[])))
}

#[tokio::test]
async fn flood_status_follows_the_dated_levels_and_a_stale_reading_is_never_current() {
    for db in each_engine().await {
        let (app, admin, clock) = flood_app(&db, JAN_2023).await;
        // A webhook the test listens on: the status change is announced there.
        let hook = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/bpbd", hook.local_addr().unwrap());
        let q = pendopo::store::sql("UPDATE flood_settings SET webhook_url = $1 WHERE tenant_id = $2").bind(url).bind(REGION);
        app.store.execute(q).await.unwrap();

        let r = enter_reading(&admin, "bojonegoro", "tinggi", "2023-01-05T09:00").await;
        assert_eq!(r.status(), 422, "{}", db.label);
        assert!(r.text().await.unwrap().contains(&said_html("sensor.banjir.level_invalid", &[])));
        let r = enter_reading(&admin, "bojonegoro", "13,10", "2023-01-05T09:00").await;
        assert_eq!(r.status(), 303);
        let (status, html) = app.get_text("/banjir").await;
        assert_eq!(status, 200);
        assert!(html.contains("13,10 m"), "{html}");
        assert!(in_large_type(&html, "sensor.banjir.status.kuning"), "13.10 m in 2023 is Siaga Kuning (>= 13.06)");
        assert!(html.contains(&said_html("sensor.banjir.none", &[])), "Karangnongko has no reading");

        // The check and the announcement run as jobs; the webhook gets the change.
        let (got, _) = tokio::join!(
            async {
                let (mut s, _) = hook.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let n = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await.unwrap();
                tokio::io::AsyncWriteExt::write_all(&mut s, b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n").await.unwrap();
                String::from_utf8_lossy(&buf[..n]).to_string()
            },
            async {
                app.drain_jobs().await;
            }
        );
        assert!(got.starts_with("POST /bpbd HTTP/1.1"), "{got}");
        let body: Value = serde_json::from_str(got.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(
            (body["from"].as_str(), body["status"].as_str(), body["gauge"].as_str()),
            (Some("normal"), Some("kuning"), Some("bojonegoro"))
        );

        // Seven hours without a reading: not current any more.
        clock.advance(Duration::from_secs(7 * 3600));
        let (_, html) = app.get_text("/banjir").await;
        assert!(!in_large_type(&html, "sensor.banjir.status.kuning"), "a stale reading is never shown as current");
        assert!(html.contains(&said_html("sensor.banjir.stale", &[("hours", "6")])), "{html}");

        // Only region admins and the BPBD's officers enter readings.
        app.add_user("operator@desa.id", "village_operator", None).await;
        let operator = app.signed_in_as("operator@desa.id").await;
        assert_eq!(operator.get("/banjir/bojonegoro/bacaan").await.status(), 403);
    }
}

#[tokio::test]
async fn the_same_level_before_2019_is_judged_by_the_old_levels() {
    let db = sqlite_db();
    let (app, admin, _) = flood_app(&db, JUN_2018).await;
    assert_eq!(enter_reading(&admin, "bojonegoro", "13.10", "2018-06-01T09:00").await.status(), 303);
    let (_, html) = app.get_text("/banjir").await;
    assert!(in_large_type(&html, "sensor.banjir.status.hijau"), "13.10 m in 2018 is Siaga Hijau (>= 13.00, < 14.00)");
    // Upstream Karangnongko: 29.50 is Kuning.
    assert_eq!(enter_reading(&admin, "karangnongko", "29.5", "2018-06-01T09:30").await.status(), 303);
    let (_, html) = app.get_text("/banjir").await;
    assert!(in_large_type(&html, "sensor.banjir.status.kuning"));
}

#[tokio::test]
async fn a_status_change_is_emailed_to_each_address_of_the_flood_settings() {
    for db in each_engine().await {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let smtp = pendopo::kernel::mail::Smtp::parse(&format!("smtp://{}?from=bpbd@bojonegorokab.go.id", listener.local_addr().unwrap()))
            .unwrap();
        let mails = crate::case_deadlines::smtp_sink(listener);
        let clock = pendopo::clock::Clock::manual(JAN_2023);
        let app = spawn_clocked_with(&db, clock, |c| pendopo::web::WebConfig { smtp: Some(smtp), ..c }).await;
        pendopo::slices::setup_tenant(&app.store, REGION).await.unwrap();
        app.add_user("walidata@kominfo.id", "walidata", None).await;
        let admin = app.signed_in_as("walidata@kominfo.id").await;
        let q = pendopo::store::sql("UPDATE flood_settings SET emails = $1 WHERE tenant_id = $2")
            .bind("kalaksa@bpbd.bojonegorokab.go.id\ncamat.bojonegoro@bojonegorokab.go.id")
            .bind(REGION);
        app.store.execute(q).await.unwrap();
        assert_eq!(enter_reading(&admin, "bojonegoro", "13,10", "2023-01-05T09:00").await.status(), 303, "{}", db.label);
        eventually("two mails sent", || async {
            app.drain_jobs().await;
            mails.lock().unwrap().len() == 2
        })
        .await;
        let mut sent = mails.lock().unwrap().clone();
        sent.sort_by(|a, b| a.to.cmp(&b.to));
        assert_eq!(sent[0].to, ["camat.bojonegoro@bojonegorokab.go.id"]);
        assert_eq!(sent[1].to, ["kalaksa@bpbd.bojonegorokab.go.id"]);
        assert_eq!(sent[0].from, "bpbd@bojonegorokab.go.id");
        let subject = said(
            "sensor.banjir.email.subject",
            &[("gauge", "Bengawan Solo di Bojonegoro (Taman Bengawan Solo)"), ("status", &said("sensor.banjir.status.kuning", &[]))],
        );
        assert!(sent[0].data.contains(&format!("Subject: {subject}\r\n")), "{}", sent[0].data);
        assert!(sent[0].data.contains("13,10 m"), "{}", sent[0].data);
        assert!(sent[0].data.contains(&said("sensor.banjir.status.kuning", &[])), "{}", sent[0].data);
    }
}

/// The sensors role: a sensor operator's token writes to the broker and
/// provisions devices, signed in it enters flood readings; it changes
/// nothing of the catalogue nor of the flood warning's settings.
#[tokio::test]
async fn a_sensor_operator_runs_the_sensors_and_nothing_else() {
    for db in each_engine().await {
        let (app, _admin, _) = flood_app(&db, JAN_2023).await;
        crate::ckan_api::setup(&app).await;
        let operator = app.add_user("sensor@kominfo.id", "sensor_operator", None).await;
        let iot = Iot { token: app.token_for(&operator).await, app };
        iot.provision("k-operator", &["awlr-operator"]).await;
        let listed: Value = iot.send(reqwest::Method::GET, "/iot/devices", None).await.json().await.unwrap();
        assert_eq!(listed["devices"][0]["device_id"], "awlr-operator", "{} {listed}", db.label);

        let gauge =
            json!({"id": "urn:ngsi-ld:WaterObserved:op", "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 1.5}});
        let create = |token: Option<&str>| {
            let r = iot.app.client.post(iot.app.url("/ngsi-ld/v1/entities")).json(&gauge);
            match token {
                Some(t) => r.header("authorization", t.to_string()),
                None => r,
            }
            .send()
        };
        assert_eq!(create(None).await.unwrap().status(), 401, "no token, no write");
        assert_eq!(create(Some(&iot.token)).await.unwrap().status(), 201);
        assert!(iot.current("urn:ngsi-ld:WaterObserved:op", "waterLevel").await.is_some());

        // The catalogue is not theirs.
        let (status, v) = crate::ckan_api::action(&iot.app, "package_create", Some(&iot.token), Some(crate::ckan_api::padi())).await;
        assert_eq!(status, 403, "{v}");
        let (status, _) = crate::ckan_api::action(&iot.app, "package_show", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 404, "nothing was published");

        // Signed in: a reading by hand yes, the warning's settings no.
        let signed_in = iot.app.signed_in_as("sensor@kominfo.id").await;
        assert_eq!(enter_reading(&signed_in, "bojonegoro", "13,10", "2023-01-05T09:00").await.status(), 303);
        assert_eq!(signed_in.get("/banjir/pengaturan").await.status(), 403);
        assert_eq!(signed_in.get("/sensor/perangkat").await.status(), 200);
        let (_, html) = signed_in.get_text("/banjir").await;
        assert!(html.contains("13,10 m"), "{html}");
        assert!(!html.contains("/banjir/pengaturan"), "no link to settings it may not change");
    }
}
