//! NGSI-LD subscriptions (slices/sensors/subscriptions): the API, and
//! notifications delivered to a receiver each test runs itself, after API
//! writes and device measures, filtered by watched attributes, `q`,
//! throttling and expiry, retried after a failure until the receiver takes
//! them, and sent periodically. The store's clock is the test's, so retries
//! and periods are reached by moving it, never by sleeping.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pendopo::clock::Clock;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;

const LD: &str = "/ngsi-ld/v1";
/// 2026-12-06T00:00:00Z.
const T0: i64 = 1_796_515_200_000;
const CORE: &str = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
const BOJONEGORO: &str = "urn:ngsi-ld:WaterObserved:bojonegoro";

/// One request a receiver took: its head (request line and headers) and its JSON body.
#[derive(Clone, Debug)]
struct Got {
    head: String,
    body: Value,
}

/// An HTTP receiver on 127.0.0.1 that answers 204 and keeps what it got.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        Receiver::on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()).await
    }

    async fn on(listener: tokio::net::TcpListener) -> Receiver {
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let keep = got.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let keep = keep.clone();
                tokio::spawn(async move {
                    if let Some((head, body)) = read_request(&mut s).await {
                        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        keep.lock().unwrap().push(Got { head, body });
                        let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n").await;
                    }
                });
            }
        });
        Receiver { url, got }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

async fn read_request(s: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some((head, buf[end + 4..end + 4 + len].to_vec()));
        }
    }
}

struct Broker {
    app: TestApp,
    token: String,
    clock: Clock,
}

impl Broker {
    async fn new(db: &TestDb) -> Broker {
        let clock = Clock::manual(T0);
        // Jobs run only when the test drains them: a background worker
        // finishing a job between `drain`'s looks could leave the
        // notification it queued for later (worker::drain's window).
        let app = spawn_clocked_with(db, clock.clone(), |c| pendopo::web::WebConfig { run_jobs: false, ..c }).await;
        let token = app.token_for(&app.add_user("bpbd@bojonegorokab.go.id", "walidata", None).await).await;
        Broker { app, token, clock }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut r =
            self.app.client.request(method.parse().unwrap(), self.app.url(&format!("{LD}{path}"))).header("authorization", &self.token);
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        r.send().await.unwrap()
    }

    async fn json(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let r = self.send(method, path, body).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Creates a subscription; answers its id (from the Location header).
    async fn subscribe(&self, body: Value) -> String {
        let r = self.send("POST", "/subscriptions", Some(body)).await;
        assert_eq!(r.status(), 201, "{}: {}", self.app.label, r.text().await.unwrap());
        let location = r.headers()["location"].to_str().unwrap().to_string();
        location.strip_prefix(&format!("{LD}/subscriptions/")).expect("a subscription's location").to_string()
    }

    async fn subscription(&self, id: &str) -> Value {
        let (status, body) = self.json("GET", &format!("/subscriptions/{id}"), None).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn gauge(&self, id: &str, level: f64) {
        let body = json!({
            "id": id, "type": "WaterObserved",
            "waterLevel": {"type": "Property", "value": level, "unitCode": "MTR"},
            "name": {"type": "Property", "value": "Taman Bengawan Solo"},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.8816, -7.1502]}}
        });
        assert_eq!(self.send("POST", "/entities", Some(body)).await.status(), 201);
    }

    async fn set(&self, id: &str, attrs: Value) {
        let r = self.send("PATCH", &format!("/entities/{id}/attrs"), Some(attrs)).await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    }

    async fn level(&self, id: &str, level: f64) {
        self.set(id, json!({"waterLevel": {"type": "Property", "value": level}})).await;
    }

    fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }
}

fn on_level(uri: &str) -> Value {
    json!({
        "type": "Subscription",
        "entities": [{"type": "WaterObserved"}],
        "notification": {"endpoint": {"uri": uri}}
    })
}

#[tokio::test]
async fn subscriptions_are_created_listed_read_changed_and_deleted() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let mut body = on_level("http://127.0.0.1:9/notify");
        body["id"] = json!("urn:ngsi-ld:Subscription:banjir");
        body["watchedAttributes"] = json!(["waterLevel"]);
        body["q"] = json!("waterLevel>=13.06");
        body["notification"]["attributes"] = json!(["waterLevel"]);
        body["notification"]["endpoint"]["receiverInfo"] = json!([{"key": "X-Api-Key", "value": "rahasia"}]);
        assert_eq!(b.subscribe(body.clone()).await, "urn:ngsi-ld:Subscription:banjir");
        let again = b.send("POST", "/subscriptions", Some(body)).await;
        assert_eq!(again.status(), 409, "{}", db.label);
        b.advance(1);
        let other = b.subscribe(on_level("mqtt://127.0.0.1:1883/bpbd/banjir")).await;
        assert!(other.starts_with("urn:ngsi-ld:Subscription:"), "{other}");

        let s = b.subscription("urn:ngsi-ld:Subscription:banjir").await;
        assert_eq!(s["type"], "Subscription");
        assert_eq!(s["q"], "waterLevel>=13.06");
        assert_eq!(s["watchedAttributes"], json!(["waterLevel"]));
        assert!(s.get("isActive").is_none(), "given back only when the body said it: {s}");
        assert_eq!(s["status"], "active");
        assert_eq!(s["notification"]["format"], "normalized");
        assert!(s["notification"].get("timesSent").is_none(), "counted from the first notification: {s}");
        assert_eq!(s["notification"]["endpoint"]["receiverInfo"][0]["key"], "X-Api-Key");

        let r = b.send("GET", "/subscriptions?count=true&limit=1", None).await;
        assert_eq!(r.headers()["ngsild-results-count"], "2");
        let links: Vec<&str> = r.headers().get_all("link").iter().map(|l| l.to_str().unwrap()).collect();
        assert!(links[0].contains(CORE), "{links:?}");
        assert_eq!(
            links[1..],
            [r#"</ngsi-ld/v1/subscriptions?limit=1&offset=1>;rel="next";type="application/json""#],
            "the next page, no previous one"
        );
        let page: Value = r.json().await.unwrap();
        assert_eq!(page.as_array().unwrap().len(), 1);
        assert_eq!(page[0]["id"], "urn:ngsi-ld:Subscription:banjir", "oldest first");
        let r = b.send("GET", "/subscriptions?limit=1&offset=1", None).await;
        let links: Vec<&str> = r.headers().get_all("link").iter().map(|l| l.to_str().unwrap()).collect();
        assert_eq!(links[1..], [r#"</ngsi-ld/v1/subscriptions?limit=1&offset=0>;rel="prev";type="application/json""#]);
        let rest: Value = r.json().await.unwrap();
        assert_eq!(rest[0]["id"], json!(other));

        // PATCH (clause 5.8.2): a member replaces the held one whole, so a
        // notification without its endpoint is refused and nothing changes.
        let patch = json!({"isActive": false, "notification": {"format": "keyValues"}});
        let (status, p) = b.json("PATCH", "/subscriptions/urn:ngsi-ld:Subscription:banjir", Some(patch)).await;
        assert_eq!((status, p["type"].as_str()), (400, Some("https://uri.etsi.org/ngsi-ld/errors/BadRequestData")), "{p}");
        assert_eq!(b.subscription("urn:ngsi-ld:Subscription:banjir").await["status"], "active");
        // Paused, another format with its endpoint.
        let notification = json!({"format": "keyValues", "endpoint": {"uri": "http://127.0.0.1:9/notify"}});
        let patch = json!({"isActive": false, "notification": notification});
        assert_eq!(b.send("PATCH", "/subscriptions/urn:ngsi-ld:Subscription:banjir", Some(patch)).await.status(), 204);
        let s = b.subscription("urn:ngsi-ld:Subscription:banjir").await;
        assert_eq!((s["isActive"].clone(), s["status"].clone()), (json!(false), json!("paused")));
        assert_eq!(s["notification"]["format"], "keyValues");
        assert_eq!(s["notification"]["endpoint"]["uri"], "http://127.0.0.1:9/notify");

        assert_eq!(b.send("DELETE", &format!("/subscriptions/{other}"), None).await.status(), 204);
        let (status, p) = b.json("GET", &format!("/subscriptions/{other}"), None).await;
        assert_eq!(status, 404);
        assert_eq!(p["type"], "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound");
        assert_eq!(b.send("DELETE", &format!("/subscriptions/{other}"), None).await.status(), 404);
        let (status, _) = b.json("PATCH", "/subscriptions/urn:ngsi-ld:Subscription:none", Some(json!({"q": "a>1"}))).await;
        assert_eq!(status, 404);

        // Subscriptions are a writer's: no token, no list (receiverInfo may hold secrets).
        let r = b.app.client.get(b.app.url(&format!("{LD}/subscriptions"))).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let operator = b.app.token_for(&b.app.add_user("operator@desa.id", "village_operator", None).await).await;
        let r =
            b.app.client.post(b.app.url(&format!("{LD}/subscriptions"))).header("authorization", operator).body("{}").send().await.unwrap();
        assert_eq!(r.status(), 403);
    }
}

#[tokio::test]
async fn bad_subscriptions_are_refused_naming_what_is_wrong() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let cases = [
            (json!({"type": "Subscription", "entities": [{"type": "WaterObserved"}]}), "notification"),
            (json!({"type": "Subscription", "notification": {"endpoint": {"uri": "http://x/y"}}}), "entities"),
            (
                {
                    let mut s = on_level("http://x/y");
                    s["q"] = json!("waterLevel>>13");
                    s
                },
                "position",
            ),
            (on_level("https://bpbd.example/hook"), "relay"),
            (on_level("ftp://bpbd.example/hook"), "http://"),
            (on_level("mqtt://127.0.0.1:1883"), "topic"),
            (
                {
                    let mut s = on_level("http://x/y");
                    s["expiresAt"] = json!("2026-12-05T00:00:00Z");
                    s
                },
                "expiresAt",
            ),
            (
                {
                    let mut s = on_level("http://x/y");
                    s["throttling"] = json!("sebentar");
                    s
                },
                "throttling",
            ),
            (
                {
                    let mut s = on_level("http://x/y");
                    s["geoQ"] = json!({"georel": "near;maxDistance==500", "geometry": "Point"});
                    s
                },
                "geoQ",
            ),
        ];
        for (body, says) in cases {
            let (status, p) = b.json("POST", "/subscriptions", Some(body.clone())).await;
            assert_eq!(status, 400, "{} {body}", db.label);
            assert_eq!(p["type"], "https://uri.etsi.org/ngsi-ld/errors/BadRequestData", "{p}");
            assert!(p["title"].as_str().unwrap().contains("input data"), "{p}");
            assert!(p["detail"].as_str().unwrap().contains(says), "{says}: {p}");
        }
        let r = b.send("POST", "/subscriptions", None).await;
        assert_eq!(r.status(), 400);
        let (_, list) = b.json("GET", "/subscriptions", None).await;
        assert_eq!(list, json!([]), "nothing refused was stored");
    }
}

#[tokio::test]
async fn an_entity_update_and_a_device_measure_are_notified() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let rx = Receiver::start().await;
        let mut body = on_level(&rx.url);
        body["notification"]["endpoint"]["receiverInfo"] = json!([{"key": "X-Api-Key", "value": "rahasia"}]);
        let id = b.subscribe(body).await;
        b.gauge(BOJONEGORO, 12.5).await;
        b.app.drain_jobs().await;
        let got = rx.got();
        assert_eq!(got.len(), 1, "{}: the creation is a change", db.label);
        b.level(BOJONEGORO, 13.2).await;
        b.app.drain_jobs().await;
        let got = rx.got();
        assert_eq!(got.len(), 2);
        let n = &got[1];
        assert!(n.head.starts_with("POST /notify HTTP/1.1"), "{}", n.head);
        assert!(n.head.contains("Content-Type: application/json"), "{}", n.head);
        assert!(n.head.contains(&format!("Link: <{CORE}>")), "{}", n.head);
        assert!(n.head.contains("X-Api-Key: rahasia"), "receiverInfo as headers: {}", n.head);
        assert!(n.body["id"].as_str().unwrap().starts_with("urn:ngsi-ld:Notification:"), "{}", n.body);
        assert_eq!(n.body["type"], "Notification");
        assert_eq!(n.body["subscriptionId"], json!(id));
        assert_eq!(n.body["notifiedAt"], "2026-12-06T00:00:00Z");
        assert_eq!(n.body["data"][0]["id"], BOJONEGORO);
        assert_eq!(n.body["data"][0]["type"], "WaterObserved");
        assert_eq!(n.body["data"][0]["waterLevel"]["value"], 13.2);

        // A device's measure over HTTP (IoT Agent JSON) is a change too.
        let iot = |method: reqwest::Method, path: &str, body: Value| {
            b.app
                .client
                .request(method, b.app.url(path))
                .header("authorization", &b.token)
                .header("fiware-service", "bojonegoro")
                .header("fiware-servicepath", "/bpbd")
                .json(&body)
                .send()
        };
        let group = json!({"services": [{"apikey": "k-subs", "resource": "/iot/json", "entity_type": "WaterObserved"}]});
        assert_eq!(iot(reqwest::Method::POST, "/iot/services", group).await.unwrap().status(), 201);
        let device = json!({"devices": [{"device_id": "awlr01", "entity_name": BOJONEGORO, "entity_type": "WaterObserved",
            "attributes": [{"object_id": "l", "name": "waterLevel", "type": "Number"}]}]});
        assert_eq!(iot(reqwest::Method::POST, "/iot/devices", device).await.unwrap().status(), 201);
        let r = b.app.client.post(b.app.url("/iot/json?k=k-subs&i=awlr01")).body(r#"{"l": 13.4}"#).send().await.unwrap();
        assert_eq!(r.status(), 200);
        b.app.drain_jobs().await;
        let got = rx.got();
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].body["data"][0]["waterLevel"]["value"], 13.4);
        assert_eq!(got[2].body["data"][0]["waterLevel"]["observedAt"], "2026-12-06T00:00:00Z");

        let s = b.subscription(&id).await;
        assert_eq!(s["notification"]["timesSent"], 3);
        assert_eq!(s["notification"]["status"], "ok");
        assert_eq!(s["notification"]["lastSuccess"], "2026-12-06T00:00:00Z");
        assert_eq!(s["notification"]["lastNotification"], "2026-12-06T00:00:00Z");
        assert!(s["notification"].get("lastFailure").is_none(), "{s}");
    }
}

#[tokio::test]
async fn watched_attributes_and_q_decide_what_is_notified() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        b.gauge(BOJONEGORO, 12.5).await;
        b.gauge("urn:ngsi-ld:WaterObserved:karangnongko", 29.0).await;
        let rx = Receiver::start().await;
        let mut body = on_level(&rx.url);
        body["entities"] = json!([{"type": "WaterObserved", "idPattern": ".*:bojonegoro$"}]);
        body["watchedAttributes"] = json!(["waterLevel"]);
        body["q"] = json!("waterLevel>=13.06");
        body["notification"]["format"] = json!("keyValues");
        body["notification"]["attributes"] = json!(["waterLevel"]);
        b.subscribe(body).await;

        b.set(BOJONEGORO, json!({"name": {"type": "Property", "value": "Pos Bojonegoro"}})).await;
        b.level(BOJONEGORO, 12.9).await;
        b.level("urn:ngsi-ld:WaterObserved:karangnongko", 30.0).await;
        b.app.drain_jobs().await;
        assert!(rx.got().is_empty(), "{}: not watched, below q, another entity: {:?}", db.label, rx.got());

        b.level(BOJONEGORO, 13.1).await;
        b.app.drain_jobs().await;
        let got = rx.got();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body["data"], json!([{"id": BOJONEGORO, "type": "WaterObserved", "waterLevel": 13.1}]));
    }
}

#[tokio::test]
async fn throttling_holds_notifications_back_and_expiry_ends_them() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        b.gauge(BOJONEGORO, 12.5).await;
        let rx = Receiver::start().await;
        let mut body = on_level(&rx.url);
        body["throttling"] = json!(60);
        body["expiresAt"] = json!("2026-12-06T00:10:00Z");
        let id = b.subscribe(body).await;

        b.level(BOJONEGORO, 12.6).await;
        b.level(BOJONEGORO, 12.7).await;
        b.advance(30);
        b.level(BOJONEGORO, 12.8).await;
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 1, "{}: one in the first minute", db.label);
        assert_eq!(rx.got()[0].body["data"][0]["waterLevel"]["value"], 12.6);
        b.advance(31);
        b.level(BOJONEGORO, 12.9).await;
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 2, "the minute is over");
        assert_eq!(rx.got()[1].body["data"][0]["waterLevel"]["value"], 12.9);

        // Past expiresAt: expired, and changes notify nothing.
        b.advance(600);
        assert_eq!(b.subscription(&id).await["status"], "expired");
        b.level(BOJONEGORO, 13.5).await;
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 2);
    }
}

#[tokio::test]
async fn a_failing_endpoint_is_recorded_and_retried_until_the_receiver_takes_it() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        // A port nobody listens on, until the receiver comes up there.
        let port = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let id = b.subscribe(on_level(&format!("http://127.0.0.1:{port}/notify"))).await;
        b.gauge(BOJONEGORO, 13.3).await;
        b.app.drain_jobs().await;
        let s = b.subscription(&id).await;
        let n = &s["notification"];
        assert_eq!((n["timesSent"].clone(), n["timesFailed"].clone()), (json!(1), json!(1)), "{}: {s}", db.label);
        assert_eq!(n["status"], "failed");
        assert_eq!(n["lastFailure"], "2026-12-06T00:00:00Z");
        assert!(n["lastErrorReason"].as_str().unwrap().contains(&port.to_string()), "{s}");
        assert_eq!(s["status"], "active", "a failure does not stop the subscription");
        // Another change meanwhile waits without trying the dead endpoint again at once.
        b.level(BOJONEGORO, 13.4).await;
        b.app.drain_jobs().await;
        let n = b.subscription(&id).await["notification"].clone();
        assert_eq!((n["timesSent"].clone(), n["timesFailed"].clone()), (json!(1), json!(1)), "held back, not sent");

        // The receiver comes up; the retry (after its back-off) is taken.
        let rx = Receiver::on(tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap()).await;
        b.app.drain_jobs().await;
        assert!(rx.got().is_empty(), "not before the back-off");
        b.advance(10);
        b.app.drain_jobs().await;
        let mut levels: Vec<f64> = rx.got().iter().map(|g| g.body["data"][0]["waterLevel"]["value"].as_f64().unwrap()).collect();
        levels.sort_by(f64::total_cmp);
        assert_eq!(levels, [13.3, 13.4], "both delivered, none lost");
        let n = b.subscription(&id).await["notification"].clone();
        assert_eq!((n["timesSent"].clone(), n["timesFailed"].clone(), n["status"].clone()), (json!(3), json!(1), json!("ok")));
        assert_eq!(n["lastSuccess"], "2026-12-06T00:00:10Z");
        assert_eq!(n["lastFailure"], "2026-12-06T00:00:00Z", "the failure stays in sight");
    }
}

#[tokio::test]
async fn a_time_interval_notifies_periodically_until_paused() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        b.gauge(BOJONEGORO, 12.5).await;
        b.gauge("urn:ngsi-ld:WaterObserved:karangnongko", 29.0).await;
        let rx = Receiver::start().await;
        let mut body = on_level(&rx.url);
        body["timeInterval"] = json!(3600);
        body["q"] = json!("waterLevel>20");
        let id = b.subscribe(body).await;
        b.level(BOJONEGORO, 12.6).await;
        b.app.drain_jobs().await;
        assert!(rx.got().is_empty(), "{}: a periodic subscription is not notified on change", db.label);
        b.advance(3600);
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 1);
        assert_eq!(rx.got()[0].body["data"][0]["id"], "urn:ngsi-ld:WaterObserved:karangnongko");
        assert_eq!(rx.got()[0].body["data"].as_array().unwrap().len(), 1);
        b.advance(1800);
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 1, "not before the hour");
        b.advance(1800);
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 2);

        assert_eq!(b.send("PATCH", &format!("/subscriptions/{id}"), Some(json!({"isActive": false}))).await.status(), 204);
        b.advance(3600);
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 2, "paused");
        assert_eq!(b.send("PATCH", &format!("/subscriptions/{id}"), Some(json!({"isActive": true}))).await.status(), 204);
        b.advance(3600);
        b.app.drain_jobs().await;
        assert_eq!(rx.got().len(), 3, "active again");
    }
}

#[tokio::test]
async fn an_mqtt_endpoint_gets_the_notification_with_its_metadata() {
    use rumqttc::{AsyncClient, Event, Packet, QoS};
    if !crate::sensors_iot::mqtt_available().await {
        return;
    }
    let db = sqlite_db();
    let b = Broker::new(&db).await;
    let (host, port) = crate::sensors_iot::broker_address();
    let topic = format!("{}/banjir", crate::sensors_iot::unique("t"));
    // The test's own client, subscribed before anything is notified.
    let (client, mut events) = AsyncClient::new(rumqttc::MqttOptions::new(crate::sensors_iot::unique("rx"), host.clone(), port), 10);
    client.subscribe(&topic, QoS::AtLeastOnce).await.unwrap();
    loop {
        if let Event::Incoming(Packet::SubAck(_)) = events.poll().await.unwrap() {
            break;
        }
    }
    let mut body = on_level(&format!("mqtt://{host}:{port}/{topic}"));
    body["notification"]["endpoint"]["receiverInfo"] = json!([{"key": "X-Api-Key", "value": "rahasia"}]);
    body["notification"]["format"] = json!("keyValues");
    let id = b.subscribe(body).await;
    b.gauge(BOJONEGORO, 13.3).await;
    let (message, _) = tokio::join!(
        async {
            tokio::time::timeout(Duration::from_secs(20), async {
                loop {
                    if let Event::Incoming(Packet::Publish(p)) = events.poll().await.unwrap() {
                        return serde_json::from_slice::<Value>(&p.payload).unwrap();
                    }
                }
            })
            .await
            .expect("a notification within 20 s")
        },
        b.app.drain_jobs()
    );
    assert_eq!(message["metadata"]["X-Api-Key"], "rahasia", "{message}");
    assert_eq!(message["metadata"]["Content-Type"], "application/json");
    assert!(message["metadata"]["Link"].as_str().unwrap().contains(CORE));
    assert_eq!(message["body"]["type"], "Notification");
    assert_eq!(message["body"]["subscriptionId"], json!(id));
    assert_eq!(message["body"]["data"][0]["waterLevel"], 13.3);
    assert_eq!(b.subscription(&id).await["notification"]["timesSent"], 1);
}

#[tokio::test]
async fn scope_q_decides_which_entities_notify() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let kali = "urn:ngsi-ld:WaterObserved:kali";
        for (id, scope) in [(BOJONEGORO, json!(["/Bojonegoro/Kota", "/BPBD"])), (kali, json!("/Tuban/Kota"))] {
            let body = json!({"id": id, "type": "WaterObserved", "scope": scope, "waterLevel": {"type": "Property", "value": 10.0}});
            assert_eq!(b.send("POST", "/entities", Some(body)).await.status(), 201);
        }
        let rx = Receiver::start().await;
        let mut body = on_level(&rx.url);
        body["scopeQ"] = json!("/Bojonegoro/+;/BPBD");
        let id = b.subscribe(body).await;
        assert_eq!(b.subscription(&id).await["scopeQ"], "/Bojonegoro/+;/BPBD");

        b.level(kali, 11.0).await;
        b.app.drain_jobs().await;
        assert!(rx.got().is_empty(), "{}: another scope: {:?}", db.label, rx.got());
        b.level(BOJONEGORO, 11.0).await;
        b.app.drain_jobs().await;
        let got = rx.got();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body["data"][0]["id"], BOJONEGORO);

        let mut bad = on_level(&rx.url);
        bad["scopeQ"] = json!("Bojonegoro");
        let (s, e) = b.json("POST", "/subscriptions", Some(bad)).await;
        assert_eq!((s, e["type"].as_str()), (400, Some("https://uri.etsi.org/ngsi-ld/errors/BadRequestData")));
    }
}

#[tokio::test]
async fn notification_triggers_choose_the_changes_and_deletions_are_notified_with_deleted_at() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let (on_default, on_entity_deleted, on_attr_deleted) = (Receiver::start().await, Receiver::start().await, Receiver::start().await);
        let plain = b.subscribe(on_level(&on_default.url)).await;
        let mut body = on_level(&on_entity_deleted.url);
        body["notificationTrigger"] = json!(["entityDeleted"]);
        body["notification"]["format"] = json!("keyValues");
        b.subscribe(body).await;
        let mut body = on_level(&on_attr_deleted.url);
        body["notificationTrigger"] = json!(["attributeDeleted"]);
        body["watchedAttributes"] = json!(["name"]);
        body["notification"]["sysAttrs"] = json!(true);
        b.subscribe(body).await;
        // A subscription without triggers has the specification's defaults.
        assert_eq!(b.subscription(&plain).await["notificationTrigger"], json!(["attributeCreated", "attributeUpdated"]));
        let mut bad = on_level(&on_default.url);
        bad["notificationTrigger"] = json!(["entityRenamed"]);
        let (status, p) = b.json("POST", "/subscriptions", Some(bad)).await;
        assert_eq!(status, 400, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("entityRenamed"), "{p}");

        b.gauge(BOJONEGORO, 12.5).await;
        b.level(BOJONEGORO, 13.0).await;
        b.app.drain_jobs().await;
        assert_eq!(on_default.got().len(), 2, "{}: created, updated", db.label);
        assert!(on_entity_deleted.got().is_empty() && on_attr_deleted.got().is_empty());

        // An unwatched attribute deleted: nobody; the watched one: its subscriber, with deletedAt.
        assert_eq!(b.send("DELETE", &format!("/entities/{BOJONEGORO}/attrs/waterLevel"), None).await.status(), 204);
        b.app.drain_jobs().await;
        assert!(on_attr_deleted.got().is_empty());
        assert_eq!(b.send("DELETE", &format!("/entities/{BOJONEGORO}/attrs/name"), None).await.status(), 204);
        b.app.drain_jobs().await;
        let got = on_attr_deleted.got();
        assert_eq!(got.len(), 1);
        let name = &got[0].body["data"][0]["name"];
        assert_eq!(name["value"], "urn:ngsi-ld:null", "{}", got[0].body);
        assert_eq!(name["deletedAt"], "2026-12-06T00:00:00Z", "{}", got[0].body);
        assert_eq!(on_default.got().len(), 2, "deletions are not among the default triggers");

        // The entity deleted: its id, type and deletedAt.
        assert_eq!(b.send("DELETE", &format!("/entities/{BOJONEGORO}"), None).await.status(), 204);
        b.app.drain_jobs().await;
        let got = on_entity_deleted.got();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].body["data"], json!([{"id": BOJONEGORO, "type": "WaterObserved", "deletedAt": "2026-12-06T00:00:00Z"}]));
        assert_eq!(on_attr_deleted.got().len(), 1);
        assert_eq!(on_default.got().len(), 2);
    }
}

/// A subscription sent as JSON-LD, its @context in the body; answers its id.
async fn subscribe_ld(b: &Broker, body: Value) -> String {
    let r = b
        .app
        .client
        .post(b.app.url(&format!("{LD}/subscriptions")))
        .header("authorization", &b.token)
        .header("content-type", "application/ld+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}: {}", b.app.label, r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    location.rsplit('/').next().unwrap().to_string()
}

#[tokio::test]
async fn show_changes_carries_previous_values_and_deletions_name_what_went() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let (changes, gone, instances, entity_gone) =
            (Receiver::start().await, Receiver::start().await, Receiver::start().await, Receiver::start().await);
        let mut body = on_level(&changes.url);
        body["notification"]["showChanges"] = json!(true);
        body["notificationTrigger"] = json!(["attributeCreated", "attributeUpdated", "attributeDeleted"]);
        b.subscribe(body).await;
        let mut body = on_level(&gone.url);
        body["notificationTrigger"] = json!(["entityDeleted"]);
        body["notification"]["showChanges"] = json!(true);
        b.subscribe(body).await;
        let mut body = on_level(&instances.url);
        body["notificationTrigger"] = json!(["attributeDeleted"]);
        body["watchedAttributes"] = json!(["name"]);
        b.subscribe(body).await;
        let mut body = on_level(&entity_gone.url);
        body["notificationTrigger"] = json!(["entityDeleted"]);
        body["notification"]["format"] = json!("keyValues");
        body["notification"]["sysAttrs"] = json!(true);
        b.subscribe(body).await;

        b.gauge(BOJONEGORO, 12.5).await;
        b.level(BOJONEGORO, 13.0).await;
        b.app.drain_jobs().await;
        let got = changes.got();
        assert_eq!(got.len(), 2, "{}", db.label);
        assert!(got[0].body["data"][0]["waterLevel"].get("previousValue").is_none(), "nothing before a creation: {}", got[0].body);
        let e = &got[1].body["data"][0];
        assert_eq!((e["waterLevel"]["value"].clone(), e["waterLevel"]["previousValue"].clone()), (json!(13.0), json!(12.5)), "{e}");
        assert!(e["name"].get("previousValue").is_none(), "an unchanged attribute has none: {e}");

        // An instance of a datasetId deleted: the attribute as it stays, and the instance as the null marker.
        let second = json!({"name": {"type": "Property", "value": "Pos Jawa", "datasetId": "urn:ngsi-ld:Dataset:jv"}});
        assert_eq!(b.send("POST", &format!("/entities/{BOJONEGORO}/attrs"), Some(second)).await.status(), 204);
        let r = b.send("DELETE", &format!("/entities/{BOJONEGORO}/attrs/name?datasetId=urn:ngsi-ld:Dataset:jv"), None).await;
        assert_eq!(r.status(), 204);
        b.app.drain_jobs().await;
        let got = instances.got();
        assert_eq!(got.len(), 1, "{:?}", got);
        let mut name = got[0].body["data"][0]["name"].as_array().expect("both instances").clone();
        name.sort_by_key(|i| i.get("datasetId").is_some());
        assert_eq!(
            name,
            json!([{"type": "Property", "value": "Taman Bengawan Solo"}, {"type": "Property", "value": "urn:ngsi-ld:null", "datasetId": "urn:ngsi-ld:Dataset:jv"}]).as_array().unwrap().clone()
        );

        // An attribute deleted, with showChanges: the null marker and the value it had.
        assert_eq!(b.send("DELETE", &format!("/entities/{BOJONEGORO}/attrs/waterLevel"), None).await.status(), 204);
        b.app.drain_jobs().await;
        let got = changes.got();
        let last = &got.last().unwrap().body["data"][0];
        assert_eq!(last["waterLevel"], json!({"type": "Property", "value": "urn:ngsi-ld:null", "previousValue": 13.0}), "{last}");

        // The entity deleted: with showChanges each attribute as it was; the
        // watched attribute to attributeDeleted; keyValues with sysAttrs its system members.
        assert_eq!(b.send("DELETE", &format!("/entities/{BOJONEGORO}"), None).await.status(), 204);
        b.app.drain_jobs().await;
        let e = &gone.got()[0].body["data"][0];
        assert_eq!(e["deletedAt"], "2026-12-06T00:00:00Z", "{e}");
        assert_eq!(e["name"], json!({"type": "Property", "value": "urn:ngsi-ld:null", "previousValue": "Taman Bengawan Solo"}));
        assert_eq!(e["location"]["previousValue"]["type"], "Point", "{e}");
        let e = &instances.got()[1].body["data"][0];
        assert_eq!(
            *e,
            json!({"id": BOJONEGORO, "type": "WaterObserved", "deletedAt": "2026-12-06T00:00:00Z",
                "name": {"type": "Property", "value": "urn:ngsi-ld:null"}})
        );
        let e = &entity_gone.got()[0].body["data"][0];
        let mut members: Vec<&String> = e.as_object().unwrap().keys().collect();
        members.sort();
        assert_eq!(members, ["createdAt", "deletedAt", "id", "modifiedAt", "type"], "{e}");

        let mut bad = on_level(&changes.url);
        bad["notification"]["showChanges"] = json!(true);
        bad["notification"]["format"] = json!("keyValues");
        let (status, p) = b.json("POST", "/subscriptions", Some(bad)).await;
        assert_eq!(status, 400, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("showChanges"), "{p}");
    }
}

#[tokio::test]
async fn notifications_follow_pick_omit_dataset_ids_type_expressions_and_the_context() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let (pick, omit, datasets, ld, kv) =
            (Receiver::start().await, Receiver::start().await, Receiver::start().await, Receiver::start().await, Receiver::start().await);
        let v19 = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";
        let mut body = on_level(&pick.url);
        body["entities"] = json!([{"type": "(Building|WaterObserved)"}]);
        body["notification"]["pick"] = json!(["id", "waterLevel"]);
        body["q"] = json!("name==\"Taman%20Bengawan%20Solo\"");
        body["@context"] = json!([v19]);
        subscribe_ld(&b, body).await;
        let mut body = on_level(&omit.url);
        body["entities"] = json!([{"type": "WaterObserved;Building"}]);
        body["notification"]["omit"] = json!(["type", "name"]);
        b.subscribe(body).await;
        let mut body = on_level(&datasets.url);
        body["datasetId"] = json!(["urn:ngsi-ld:Dataset:jv"]);
        body["jsonldContext"] = json!(v19);
        let id = b.subscribe(body).await;
        let s = b.subscription(&id).await;
        assert_eq!((s["datasetId"].clone(), s["jsonldContext"].clone()), (json!(["urn:ngsi-ld:Dataset:jv"]), json!(v19)), "{s}");
        let mut body = on_level(&ld.url);
        body["notification"]["endpoint"]["accept"] = json!("application/ld+json");
        b.subscribe(body).await;
        let mut body = on_level(&kv.url);
        body["notification"]["format"] = json!("keyValues");
        body["notification"]["sysAttrs"] = json!(true);
        body["isActive"] = json!(true);
        let id = b.subscribe(body).await;
        assert_eq!(b.subscription(&id).await["isActive"], true, "given, so given back");

        b.gauge(BOJONEGORO, 12.5).await;
        let second = json!({"waterLevel": {"type": "Property", "value": 12.7, "datasetId": "urn:ngsi-ld:Dataset:jv"}});
        assert_eq!(b.send("POST", &format!("/entities/{BOJONEGORO}/attrs"), Some(second)).await.status(), 204);
        b.app.drain_jobs().await;

        let n = &pick.got()[0];
        assert_eq!(
            n.body["data"][0],
            json!({"id": BOJONEGORO, "waterLevel": {"type": "Property", "value": 12.5, "unitCode": "MTR"}}),
            "{}",
            db.label
        );
        assert!(n.head.contains(&format!("Link: <{v19}>")), "a context of one URL is linked as it: {}", n.head);
        assert!(omit.got().is_empty(), "WaterObserved;Building: both types needed");
        let e = &datasets.got()[0].body["data"][0];
        assert!(e.get("name").is_none() && e.get("location").is_none(), "no instance of the dataset: {e}");
        assert!(datasets.got()[1].head.contains(&format!("Link: <{v19}>")), "jsonldContext links: {}", datasets.got()[1].head);
        let e = &datasets.got()[1].body["data"][0];
        assert_eq!(e["waterLevel"], json!({"type": "Property", "value": 12.7, "datasetId": "urn:ngsi-ld:Dataset:jv"}), "{e}");
        let n = &ld.got()[0];
        assert!(!n.head.contains("Link:"), "{}", n.head);
        assert_eq!(n.body["data"][0]["@context"], CORE, "each entity carries its @context: {}", n.body);
        let e = &kv.got()[0].body["data"][0];
        assert_eq!(
            (e["createdAt"].clone(), e["modifiedAt"].clone()),
            (json!("2026-12-06T00:00:00Z"), json!("2026-12-06T00:00:00Z")),
            "{e}"
        );

        // Omit: a multi-typed entity matches the AND expression.
        let both = json!({"id": "urn:ngsi-ld:Building:pos", "type": ["WaterObserved", "Building"], "name": {"type": "Property", "value": "Pos"}, "waterLevel": {"type": "Property", "value": 1.0}});
        assert_eq!(b.send("POST", "/entities", Some(both)).await.status(), 201);
        b.app.drain_jobs().await;
        assert_eq!(
            omit.got()[0].body["data"][0],
            json!({"id": "urn:ngsi-ld:Building:pos", "waterLevel": {"type": "Property", "value": 1.0}})
        );

        for (notification, says) in [
            (json!({"pick": ["id"], "omit": ["id"]}), "omit"),
            (json!({"pick": ["id"], "attributes": ["waterLevel"]}), "pick"),
            (json!({"omit": ["name"], "attributes": ["waterLevel"]}), "omit"),
            (json!({"endpoint": {"uri": "http://x/y", "notifierInfo": [{"key": "K", "value": {"a": 1}}]}}), "notifierInfo"),
        ] {
            let mut bad = on_level("http://x/y");
            for (k, v) in notification.as_object().unwrap() {
                bad["notification"][k] = v.clone();
            }
            let (status, p) = b.json("POST", "/subscriptions", Some(bad)).await;
            assert_eq!(status, 400, "{notification}: {p}");
            assert!(p["detail"].as_str().unwrap().contains(says), "{says}: {p}");
        }
    }
}

#[tokio::test]
async fn a_subscription_is_read_back_in_the_asking_context_and_never_as_geojson() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let mut body = on_level("http://127.0.0.1:9/notify");
        body["entities"] = json!([{"type": "(Pos|WaterObserved)"}]);
        body["watchedAttributes"] = json!(["tinggi"]);
        body["@context"] = json!([{"Pos": "https://bpbd.example/ns#Pos", "tinggi": "https://bpbd.example/ns#tinggi"}, CORE]);
        let id = subscribe_ld(&b, body).await;
        // Read without a Link: the core context's names, the others as IRIs.
        let s = b.subscription(&id).await;
        assert_eq!(s["entities"][0]["type"], "(https://bpbd.example/ns#Pos|WaterObserved)", "{}: {s}", db.label);
        assert_eq!(s["watchedAttributes"], json!(["https://bpbd.example/ns#tinggi"]));
        let (_, list) = b.json("GET", "/subscriptions", None).await;
        assert_eq!(list[0]["watchedAttributes"], json!(["https://bpbd.example/ns#tinggi"]));

        let geo = |path: String| {
            b.app
                .client
                .get(b.app.url(&format!("{LD}{path}")))
                .header("authorization", &b.token)
                .header("accept", "application/geo+json")
                .send()
        };
        assert_eq!(geo(format!("/subscriptions/{id}")).await.unwrap().status(), 406);
        assert_eq!(geo("/subscriptions/urn:ngsi-ld:Subscription:none".into()).await.unwrap().status(), 406, "before the look-up");
        assert_eq!(geo("/subscriptions".into()).await.unwrap().status(), 406);
    }
}

#[tokio::test]
async fn join_adds_the_linked_entities_flat_or_inline() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let rx = Receiver::start().await;
        let device = "urn:ngsi-ld:Device:awlr-1";
        let body = json!({"id": device, "type": "Device", "batteryLevel": {"type": "Property", "value": 0.8},
            "controlledBy": {"type": "Relationship", "object": "urn:ngsi-ld:Organization:bpbd"}});
        assert_eq!(b.send("POST", "/entities", Some(body)).await.status(), 201);
        let bpbd = json!({"id": "urn:ngsi-ld:Organization:bpbd", "type": "Organization", "name": {"type": "Property", "value": "BPBD"}});
        assert_eq!(b.send("POST", "/entities", Some(bpbd)).await.status(), 201);
        b.gauge(BOJONEGORO, 12.5).await;
        b.set(BOJONEGORO, json!({"refDevice": {"type": "Relationship", "object": device}})).await;
        let flat = json!({"type": "Subscription", "entities": [{"type": "WaterObserved"}], "watchedAttributes": ["waterLevel"],
            "notification": {"endpoint": {"uri": rx.url}, "attributes": ["refDevice"], "join": "flat"}});
        let flat = b.subscribe(flat).await;
        let inline = json!({"type": "Subscription", "entities": [{"type": "WaterObserved"}], "watchedAttributes": ["waterLevel"],
            "notification": {"endpoint": {"uri": rx.url}, "format": "keyValues", "join": "inline", "joinLevel": 2}});
        let inline = b.subscribe(inline).await;
        assert_eq!(b.subscription(&inline).await["notification"]["joinLevel"], 2);
        let (status, p) = b
            .json(
                "POST",
                "/subscriptions",
                Some(json!({"type": "Subscription", "entities": [{"type": "WaterObserved"}],
            "notification": {"endpoint": {"uri": rx.url}, "join": "nested"}})),
            )
            .await;
        assert_eq!((status, p["type"].as_str()), (400, Some("https://uri.etsi.org/ngsi-ld/errors/BadRequestData")), "{p}");

        b.level(BOJONEGORO, 13.2).await;
        b.app.drain_jobs().await;
        let got = rx.got();
        let of = |sub: &str| got.iter().find(|g| g.body["subscriptionId"] == sub).map(|g| g.body["data"].clone()).unwrap();
        // Flat: the linked device, whole, after the gauge (one level by default: not its organisation).
        assert_eq!(
            of(&flat),
            json!([{"id": BOJONEGORO, "type": "WaterObserved", "refDevice": {"type": "Relationship", "object": device}},
                {"id": device, "type": "Device", "batteryLevel": {"type": "Property", "value": 0.8},
                    "controlledBy": {"type": "Relationship", "object": "urn:ngsi-ld:Organization:bpbd"}}]),
            "{}",
            db.label
        );
        // Inline, two levels: the device in the gauge's relationship, its organisation in the device's.
        let data = of(&inline);
        assert_eq!(data.as_array().unwrap().len(), 1, "{data}");
        assert_eq!(
            data[0]["refDevice"],
            json!({"id": device, "type": "Device", "batteryLevel": 0.8,
                "controlledBy": {"id": "urn:ngsi-ld:Organization:bpbd", "type": "Organization", "name": "BPBD"}})
        );
        assert_eq!(data[0]["waterLevel"], 13.2);
    }
}
