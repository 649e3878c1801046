//! The sensors' time series over time: retention per type (raw points
//! rolled into hourly rows, answers unchanged), the rest of the temporal
//! API (history appended, changed and deleted) and `/types`, `/attributes`
//! with their details.

use pendopo::slices::sensors::measures::{self, Measure};
use pendopo::slices::sensors::rollup;
use pendopo::store::sql;
use serde_json::{Value, json};

use crate::common::{PASSWORD, REGION, TestApp, each_engine, said, spawn_clocked};

const LD: &str = "/ngsi-ld/v1";
const GAUGE: &str = "urn:ngsi-ld:WaterObserved:bojonegoro";
const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn level(at_ms: i64, metres: f64) -> Measure {
    Measure {
        entity_id: GAUGE.into(),
        entity_type: "WaterObserved".into(),
        observed_at_ms: at_ms,
        attrs: vec![("waterLevel".into(), ngsild::entity::Attribute::property(json!(metres)))],
    }
}

struct Broker {
    app: TestApp,
    token: String,
    clock: pendopo::clock::Clock,
}

impl Broker {
    async fn new(db: &crate::common::TestDb, now_ms: i64) -> Broker {
        let clock = pendopo::clock::Clock::manual(now_ms);
        let app = spawn_clocked(db, clock.clone()).await;
        let admin = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&admin).await;
        Broker { app, token, clock }
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.app.client.request(method.parse().unwrap(), self.app.url(path)).header("authorization", &self.token);
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.app.client.get(self.app.url(&format!("{LD}{path}"))).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn count(&self, table: &str) -> i64 {
        let q = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
        self.app.store.fetch_scalar(pendopo::store::sql_built(q).bind(REGION)).await.unwrap()
    }
}

/// Two days of 5-minute readings from `start`, values that sum exactly in
/// binary (halves), so that sums over hours and over points agree to the bit.
fn two_days(start: i64) -> Vec<Measure> {
    (0..2 * 24 * 12).map(|k| level(start + k * 5 * MINUTE, 10.0 + (k % 13) as f64 * 0.5)).collect()
}

fn problem_type(body: &Value) -> &str {
    body["type"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn retention_rolls_old_points_into_hourly_rows_and_answers_stay_the_same() {
    for db in each_engine().await {
        // The clock stands 200 days after the old readings: past the 90 days
        // raw points are kept by default. Two days of recent readings too.
        let now = T0 + 200 * DAY;
        let b = Broker::new(&db, now).await;
        measures::store(&b.app.store, REGION, &two_days(T0)).await.unwrap();
        let recent = now - 3 * DAY;
        measures::store(&b.app.store, REGION, &two_days(recent)).await.unwrap();

        let daily = format!(
            "/temporal/entities/{GAUGE}?options=aggregatedValues&aggrMethods=avg,min,max,sum,totalCount,stddev&aggrPeriodDuration=P1D\
             &timerel=between&timeAt=2026-01-01T00:00:00Z&endTimeAt=2026-01-03T00:00:00Z"
        );
        let hourly_recent = format!(
            "/temporal/entities/{GAUGE}?options=aggregatedValues&aggrMethods=avg,max,totalCount&aggrPeriodDuration=PT1H&timerel=after&timeAt={}",
            ngsild::temporal::format_instant(recent)
        );
        let monthly = format!("/temporal/entities/{GAUGE}?options=aggregatedValues&aggrMethods=avg,totalCount&aggrPeriodDuration=P1M");
        let (s, before) = b.get(&daily).await;
        assert_eq!(s, 200, "{before}");
        assert_eq!(
            before["waterLevel"]["totalCount"],
            json!([[288, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], [288, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]])
        );
        let (_, before_recent) = b.get(&hourly_recent).await;
        assert_eq!(before_recent["waterLevel"]["totalCount"].as_array().unwrap().len(), 48);
        let (_, before_monthly) = b.get(&monthly).await;

        // The sweep: every hour over is rolled up; the old days' raw points go.
        let done = rollup::sweep(&b.app.store, REGION, true).await.unwrap();
        assert_eq!(done.hours, 96, "{}", b.app.label);
        assert_eq!(done.points_deleted, 576);
        assert_eq!(b.count("sensor_instances").await, 576, "only the recent days stay raw");
        let kept: i64 = b
            .app
            .store
            .fetch_scalar(sql("SELECT COUNT(*) FROM sensor_hourly WHERE tenant_id = $1 AND raw_kept = 0").bind(REGION))
            .await
            .unwrap();
        assert_eq!(kept, 48);
        assert_eq!(b.count("sensor_pending").await, 0);

        let (_, after) = b.get(&daily).await;
        assert_eq!(after, before, "daily aggregates of rolled-up days are the same");
        let (_, after_recent) = b.get(&hourly_recent).await;
        assert_eq!(after_recent, before_recent, "aggregates of recent hours are the same from the hourly rows");
        let (_, after_monthly) = b.get(&monthly).await;
        assert_eq!(after_monthly, before_monthly);

        // Instances of a rolled-up hour are its mean, marked as such; raw ones carry an instanceId.
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?timerel=before&timeAt=2026-01-01T02:00:00Z")).await;
        let list = t["waterLevel"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["observedAt"], "2026-01-01T00:00:00Z");
        assert_eq!(list[0]["rolledUp"]["value"]["count"], 12);
        assert_eq!(list[0]["rolledUp"]["value"]["min"], 10.0);
        assert_eq!(list[0]["rolledUp"]["value"]["max"], 15.5);
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?options=temporalValues&timerel=before&timeAt=2026-01-01T02:00:00Z")).await;
        assert_eq!(t["waterLevel"]["rolledUpUntil"], "2026-01-01T02:00:00Z");
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?lastN=1")).await;
        assert!(t["waterLevel"][0]["instanceId"].as_str().unwrap().starts_with("urn:ngsi-ld:Instance:"), "{t}");

        // A late reading for a rolled-up hour joins its row at the next sweep.
        measures::store(&b.app.store, REGION, &[level(T0 + 30 * MINUTE + 1000, 100.0)]).await.unwrap();
        let (_, pending) = b.get(&daily).await;
        assert_eq!(pending["waterLevel"]["totalCount"][0][0], 289, "read raw until rolled up");
        assert_eq!(pending["waterLevel"]["max"][0][0], 100.0);
        rollup::sweep(&b.app.store, REGION, true).await.unwrap();
        let (_, merged) = b.get(&daily).await;
        assert_eq!(merged, pending, "the late reading is in the hour's row");
        assert_eq!(b.count("sensor_instances").await, 576, "and its raw point is gone like the others");
    }
}

#[tokio::test]
async fn retention_settings_are_checked_and_need_a_region_admin() {
    for db in each_engine().await {
        let now = T0 + 200 * DAY;
        let b = Broker::new(&db, now).await;
        b.app.add_org("bpbd").await;
        let officer = b.app.add_user("petugas@bpbd.id", "editor", Some("bpbd")).await;
        let officer_token = b.app.token_for(&officer).await;
        let path = "/api/v1/sensors/retention";
        let r = b
            .app
            .client
            .put(b.app.url(path))
            .header("authorization", &officer_token)
            .header("content-type", "application/json")
            .body(json!({"type": "WaterObserved", "rawDays": 1}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "an agency's officer does not set retention");

        let (s, body) = b.send("PUT", path, Some(json!({"type": "Water Observed", "rawDays": 0, "hourlyYears": "abc"}))).await;
        assert_eq!(s, 422, "{body}");
        let text = body.to_string();
        for key in ["sensor.retensi.type_invalid", "sensor.retensi.days_invalid", "sensor.retensi.years_invalid"] {
            assert!(text.contains(&said(key, &[])), "{key} in {text}");
        }
        let (s, body) = b.send("PUT", path, Some(json!({"type": "WaterObserved", "rawDays": 800, "hourlyYears": 2}))).await;
        assert_eq!(s, 422);
        assert!(body.to_string().contains(&said("sensor.retensi.years_short", &[])));

        // Gauges keep raw points a year and hourly rows for ever; the default
        // for other types becomes 30 days.
        measures::store(&b.app.store, REGION, &two_days(T0)).await.unwrap();
        // A sweep the hourly service queued for ten minutes later must not hold the change back.
        let later = pendopo::kernel::jobs::NewJob { run_at: now + 600_000, ..pendopo::slices::sensors::retention::sweep_job(now, REGION) };
        pendopo::kernel::jobs::enqueue_now(&b.app.store, &later).await.unwrap();
        let (s, body) = b.send("PUT", path, Some(json!({"type": "WaterObserved", "rawDays": 365}))).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["settings"][0]["type"], "WaterObserved");
        assert_eq!(body["settings"][0]["hourlyYears"], Value::Null);
        let (s, _) = b.send("PUT", path, Some(json!({"rawDays": 30, "hourlyYears": 5}))).await;
        assert_eq!(s, 200);
        // Each change queued a sweep (one waiting): the worker runs it.
        b.app.drain_jobs().await;
        assert_eq!(b.count("sensor_instances").await, 576, "the gauge's points are 200 days old: a year keeps them");
        assert_eq!(b.count("sensor_hourly").await, 48, "but they are rolled up");

        // The page: the walidata sees and changes the settings; a bad form says why.
        let page = b.app.signed_in_as("walidata@bojonegorokab.go.id").await;
        let (s, html) = page.get_text("/sensor/retensi").await;
        assert_eq!(s, 200);
        assert!(html.contains(&said("sensor.retensi.title", &[])));
        assert!(html.contains("WaterObserved"));
        let csrf = crate::common::csrf_in(&html);
        let r = page
            .post_form("/sensor/retensi", &[("csrf", &csrf), ("entity_type", "WaterObserved"), ("raw_days", "dua"), ("hourly_years", "")])
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(&said("sensor.retensi.days_invalid", &[])));
        let r = page
            .post_form("/sensor/retensi", &[("csrf", &csrf), ("entity_type", "WaterObserved"), ("raw_days", "7"), ("hourly_years", "")])
            .await;
        assert_eq!(r.status(), 303);
        b.app.drain_jobs().await;
        assert_eq!(b.count("sensor_instances").await, 0, "7 days: the old points are deleted");
        let r = page.post_form("/sensor/retensi/hapus", &[("csrf", &csrf), ("entity_type", "WaterObserved")]).await;
        assert_eq!(r.status(), 303);
        let (_, body) = b.send("GET", path, None).await;
        assert_eq!(body["settings"].as_array().unwrap().len(), 1, "{body}");

        // Officers do not see the page.
        let officer_page = b.app.another_browser();
        assert_eq!(officer_page.login("petugas@bpbd.id", PASSWORD).await.status(), 303);
        assert_eq!(officer_page.get("/sensor/retensi").await.status(), 403);
    }
}

#[tokio::test]
async fn temporal_history_is_appended_changed_and_deleted() {
    for db in each_engine().await {
        let b = Broker::new(&db, T0 + 10 * DAY).await;
        let entity = json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 12.0}});
        assert_eq!(b.send("POST", &format!("{LD}/entities"), Some(entity)).await.0, 201);
        let instances = json!({"waterLevel": [
            {"type": "Property", "value": 11.0, "observedAt": "2026-01-02T00:00:00Z"},
            {"type": "Property", "value": 11.5, "observedAt": "2026-01-02T03:00:00Z"},
            {"type": "Property", "value": 3.0, "observedAt": "2026-01-02T03:00:00Z", "datasetId": "urn:ngsi-ld:Dataset:manual"}
        ], "rainfall": [{"type": "Property", "value": 4.5, "observedAt": "2026-01-02T03:00:00Z"}]});
        let (s, body) = b.send("POST", &format!("{LD}/temporal/entities/{GAUGE}/attrs"), Some(instances)).await;
        assert_eq!(s, 204, "{body}");
        let (s, body) =
            b.send("POST", &format!("{LD}/temporal/entities/urn:ngsi-ld:WaterObserved:none/attrs"), Some(json!({"waterLevel": []}))).await;
        assert_eq!((s, problem_type(&body)), (404, "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"));
        let untimed = json!({"waterLevel": [{"type": "Property", "value": 1.0}]});
        let (s, body) = b.send("POST", &format!("{LD}/temporal/entities/{GAUGE}/attrs"), Some(untimed)).await;
        assert_eq!((s, problem_type(&body)), (400, "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"), "{body}");

        let window = "timerel=between&timeAt=2026-01-02T00:00:00Z&endTimeAt=2026-01-03T00:00:00Z";
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?{window}")).await;
        let levels = t["waterLevel"].as_array().unwrap();
        assert_eq!(levels.len(), 3, "{t}");
        assert_eq!(t["rainfall"][0]["value"], 4.5);
        let first = levels[0]["instanceId"].as_str().unwrap().to_string();

        // One instance changed, then deleted.
        let path = format!("{LD}/temporal/entities/{GAUGE}/attrs/waterLevel/{first}");
        let (s, body) = b.send("PATCH", &path, Some(json!({"type": "Property", "value": 10.75}))).await;
        assert_eq!(s, 204, "{body}");
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?options=temporalValues&attrs=waterLevel&{window}")).await;
        // A series per datasetId, the default instance's first.
        assert_eq!(t["waterLevel"][0]["values"][0], json!([10.75, "2026-01-02T00:00:00Z"]), "{t}");
        assert_eq!(t["waterLevel"][1]["datasetId"], "urn:ngsi-ld:Dataset:manual");
        let sum =
            format!("/temporal/entities/{GAUGE}?attrs=waterLevel&options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=P1D&{window}");
        assert_eq!(b.get(&sum).await.1["waterLevel"]["sum"][0][0], 25.25);
        assert_eq!(b.send("DELETE", &path, None).await.0, 204);
        assert_eq!(b.send("DELETE", &path, None).await.0, 404);
        assert_eq!(b.send("DELETE", &format!("{LD}/temporal/entities/{GAUGE}/attrs/waterLevel/urn:ngsi-ld:Instance:x"), None).await.0, 404);
        assert_eq!(b.get(&sum).await.1["waterLevel"]["sum"][0][0], 14.5);

        // An attribute's history: one datasetId, then the default instance.
        let attr = format!("{LD}/temporal/entities/{GAUGE}/attrs/waterLevel");
        assert_eq!(b.send("DELETE", &format!("{attr}?datasetId=urn:ngsi-ld:Dataset:manual"), None).await.0, 204);
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?attrs=waterLevel&{window}")).await;
        assert_eq!(t["waterLevel"].as_array().unwrap().len(), 1);
        assert_eq!(b.send("DELETE", &format!("{attr}?deleteAll=maybe"), None).await.0, 400);
        assert_eq!(b.send("DELETE", &format!("{attr}?deleteAll=true"), None).await.0, 204);
        assert_eq!(b.send("DELETE", &attr, None).await.0, 404);

        // timeproperty: forgetting history through the temporal API is no deletion of an attribute.
        let (s, body) = b.get(&format!("/temporal/entities/{GAUGE}?timeproperty=deletedAt")).await;
        assert_eq!((s, body), (200, json!({"id": GAUGE, "type": "WaterObserved"})));
        assert_eq!(b.get(&format!("/temporal/entities/{GAUGE}?timeproperty=when")).await.0, 400);
        assert_eq!(b.get(&format!("/temporal/entities/{GAUGE}?timeproperty=observedAt")).await.0, 200);

        // The entity and its history.
        assert_eq!(b.send("DELETE", &format!("{LD}/temporal/entities/{GAUGE}"), None).await.0, 204);
        assert_eq!(b.get(&format!("/temporal/entities/{GAUGE}")).await.0, 404);
        assert_eq!(b.get(&format!("/entities/{GAUGE}")).await.0, 404);
        assert_eq!(b.count("sensor_instances").await, 0);
        assert_eq!(b.count("sensor_pending").await, 0);
        assert_eq!(b.send("DELETE", &format!("{LD}/temporal/entities/{GAUGE}"), None).await.0, 404);

        // Strangers write nothing.
        let r = b.app.client.delete(b.app.url(&format!("{LD}/temporal/entities/{GAUGE}"))).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn aggregated_last_n_keeps_the_newest_periods() {
    for db in each_engine().await {
        let b = Broker::new(&db, T0 + 10 * DAY).await;
        let batch: Vec<Measure> = (0..24).map(|i| level(T0 + i * 3 * HOUR, i as f64)).collect();
        measures::store(&b.app.store, REGION, &batch).await.unwrap();
        let path = format!("/temporal/entities/{GAUGE}?options=aggregatedValues&aggrMethods=max&aggrPeriodDuration=P1D&lastN=2");
        let (_, t) = b.get(&path).await;
        assert_eq!(
            t["waterLevel"]["max"],
            json!([[15.0, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"], [23.0, "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"]])
        );
        rollup::sweep(&b.app.store, REGION, true).await.unwrap();
        assert_eq!(b.get(&path).await.1, t);
    }
}

#[tokio::test]
async fn types_and_attributes_are_described_in_detail() {
    for db in each_engine().await {
        let b = Broker::new(&db, T0).await;
        for (id, ty, attr) in [
            ("urn:ngsi-ld:WaterObserved:bojonegoro", "WaterObserved", "waterLevel"),
            ("urn:ngsi-ld:WaterObserved:karangnongko", "WaterObserved", "waterLevel"),
            ("urn:ngsi-ld:WeatherObserved:dander", "WeatherObserved", "precipitation"),
        ] {
            let e = json!({"id": id, "type": ty, attr: {"type": "Property", "value": 1.5},
                "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.88, -7.15]}}});
            assert_eq!(b.send("POST", &format!("{LD}/entities"), Some(e)).await.0, 201);
        }
        let (s, info) = b.get("/types/WaterObserved").await;
        assert_eq!(s, 200, "{info}");
        assert_eq!(info["type"], "EntityTypeInfo");
        assert_eq!(info["typeName"], "WaterObserved");
        assert_eq!(info["entityCount"], 2);
        let details = info["attributeDetails"].as_array().unwrap();
        let names: Vec<&str> = details.iter().map(|d| d["attributeName"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"waterLevel") && names.contains(&"location"), "{names:?}");
        let location = details.iter().find(|d| d["attributeName"] == "location").unwrap();
        assert_eq!(location["attributeTypes"], json!(["GeoProperty"]));

        let (_, list) = b.get("/types").await;
        assert_eq!(list["typeList"], json!(["WaterObserved", "WeatherObserved"]));
        let (_, detailed) = b.get("/types?details=true").await;
        let weather = detailed.as_array().unwrap().iter().find(|t| t["typeName"] == "WeatherObserved").unwrap();
        assert_eq!(weather["type"], "EntityType");
        assert_eq!(weather["attributeNames"], json!(["location", "precipitation"]));

        let (_, attrs) = b.get("/attributes?details=true").await;
        let level = attrs.as_array().unwrap().iter().find(|a| a["attributeName"] == "waterLevel").unwrap();
        assert_eq!(level["typeNames"], json!(["WaterObserved"]));
        let (s, one) = b.get("/attributes/location").await;
        assert_eq!(s, 200);
        assert_eq!(one["attributeCount"], 3);
        assert_eq!(one["typeNames"], json!(["WaterObserved", "WeatherObserved"]));

        let (s, body) = b.get("/types/TrafficFlowObserved").await;
        assert_eq!((s, problem_type(&body)), (404, "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"));
        assert_eq!(b.get("/attributes/humidity").await.0, 404);
        let (s, body) = b.get("/types?details=maybe").await;
        assert_eq!((s, problem_type(&body)), (400, "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"));
    }
}

/// A deletion instance as a client compares it: without its `instanceId`
/// (made of its time), which it checks is there.
fn without_instance_id(mut instances: Value) -> Value {
    for i in instances.as_array_mut().unwrap() {
        assert!(i["instanceId"].as_str().unwrap().starts_with("urn:ngsi-ld:Instance:"), "{i}");
        i.as_object_mut().unwrap().remove("instanceId");
    }
    instances
}

#[tokio::test]
async fn deleted_attributes_are_instances_of_their_history_at_deleted_at() {
    for db in each_engine().await {
        let b = Broker::new(&db, T0 + 10 * DAY).await;
        let deleted_at = "2026-01-11T00:00:00Z";
        let entity = json!({"id": GAUGE, "type": "WaterObserved", "scope": "/Bojonegoro/Kota",
            "waterLevel": [{"type": "Property", "value": 12.0, "observedAt": "2026-01-10T00:00:00Z"},
                {"type": "Property", "value": 3.0, "observedAt": "2026-01-10T00:00:00Z", "datasetId": "urn:ngsi-ld:Dataset:manual"}],
            "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:awlr-1"},
            "label": {"type": "LanguageProperty", "languageMap": {"id": "Bengawan Solo", "en": "Solo river"}}});
        assert_eq!(b.send("POST", &format!("{LD}/entities"), Some(entity)).await.0, 201);
        // Nothing deleted yet: no attribute has a deletion.
        let deletions = format!("/temporal/entities/{GAUGE}?timeproperty=deletedAt");
        assert_eq!(b.get(&deletions).await, (200, json!({"id": GAUGE, "type": "WaterObserved"})));

        // One datasetId, an attribute, the scope, and a language map by the NGSI-LD Null.
        let attrs = format!("{LD}/entities/{GAUGE}/attrs");
        assert_eq!(b.send("DELETE", &format!("{attrs}/waterLevel?datasetId=urn:ngsi-ld:Dataset:manual"), None).await.0, 204);
        assert_eq!(b.send("DELETE", &format!("{attrs}/refDevice"), None).await.0, 204);
        assert_eq!(b.send("DELETE", &format!("{attrs}/scope"), None).await.0, 204);
        let null = json!({"label": {"type": "LanguageProperty", "languageMap": {"@none": "urn:ngsi-ld:null"}}});
        assert_eq!(b.send("PATCH", &attrs, Some(null)).await.0, 204);

        let (s, t) = b.get(&deletions).await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(
            without_instance_id(t["waterLevel"].clone()),
            json!([{"type": "Property", "value": "urn:ngsi-ld:null", "datasetId": "urn:ngsi-ld:Dataset:manual", "deletedAt": deleted_at}])
        );
        assert_eq!(
            without_instance_id(t["refDevice"].clone()),
            json!([{"type": "Relationship", "object": "urn:ngsi-ld:null", "deletedAt": deleted_at}])
        );
        assert_eq!(
            without_instance_id(t["label"].clone()),
            json!([{"type": "LanguageProperty", "languageMap": {"@none": "urn:ngsi-ld:null"}, "deletedAt": deleted_at}])
        );
        assert_eq!(without_instance_id(t["scope"].clone()), json!([{"type": "Property", "value": [], "deletedAt": deleted_at}]));
        // The deletion is not an instance the instance operations reach.
        let id = t["refDevice"][0]["instanceId"].as_str().unwrap().to_string();
        assert_eq!(b.send("DELETE", &format!("{LD}/temporal/entities/{GAUGE}/attrs/refDevice/{id}"), None).await.0, 404);

        // In the simplified form, and windowed by the deletion's time.
        let (_, t) = b.get(&format!("{deletions}&options=temporalValues&attrs=refDevice")).await;
        assert_eq!(t["refDevice"], json!({"type": "Relationship", "objects": [["urn:ngsi-ld:null", deleted_at]]}));
        let (_, t) = b.get(&format!("{deletions}&timerel=before&timeAt={deleted_at}")).await;
        assert_eq!(t, json!({"id": GAUGE, "type": "WaterObserved"}));
        let (_, t) = b.get(&format!("{deletions}&timerel=after&timeAt={deleted_at}")).await;
        assert_eq!(t["refDevice"].as_array().unwrap().len(), 1, "{t}");

        // The values' history stays as it was: no deletion among the observed instances.
        let (s, t) = b.get(&format!("/temporal/entities/{GAUGE}")).await;
        assert_eq!(s, 200, "{t}");
        let mut values: Vec<f64> = t["waterLevel"].as_array().unwrap().iter().map(|i| i["value"].as_f64().unwrap()).collect();
        values.sort_by(f64::total_cmp);
        assert_eq!(values, [3.0, 12.0], "{t}");
        assert!(!t.to_string().contains("deletedAt") && !t.to_string().contains("urn:ngsi-ld:null"), "{t}");

        // The entity deleted: each instance it held is deleted then (seen once it exists again).
        b.clock.advance(std::time::Duration::from_secs(60));
        assert_eq!(b.send("DELETE", &format!("{LD}/entities/{GAUGE}"), None).await.0, 204);
        let again = json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 12.5}});
        assert_eq!(b.send("POST", &format!("{LD}/entities"), Some(again)).await.0, 201);
        let (_, t) = b.get(&format!("{deletions}&attrs=waterLevel")).await;
        let times: Vec<&str> = t["waterLevel"].as_array().unwrap().iter().map(|i| i["deletedAt"].as_str().unwrap()).collect();
        assert_eq!(times, [deleted_at, "2026-01-11T00:01:00Z"], "{t}");

        // Deleting the temporal entity forgets its deletions too.
        assert_eq!(b.send("DELETE", &format!("{LD}/temporal/entities/{GAUGE}"), None).await.0, 204);
        assert_eq!(b.count("sensor_deletions").await, 0);
    }
}

/// An entity deleted from the current state keeps its history: the temporal
/// API answers it with its type (and its `deletedAt` with sysAttrs) until
/// the temporal entity itself is deleted.
#[tokio::test]
async fn a_deleted_entity_keeps_its_history_until_the_temporal_entity_is_deleted() {
    for db in each_engine().await {
        let b = Broker::new(&db, T0 + 10 * DAY).await;
        let entity = json!({"id": GAUGE, "type": "WaterObserved",
            "waterLevel": {"type": "Property", "value": 12.0, "observedAt": "2026-01-10T00:00:00Z"}});
        assert_eq!(b.send("POST", &format!("{LD}/entities"), Some(entity)).await.0, 201);
        let update = json!({"waterLevel": {"type": "Property", "value": 12.5, "observedAt": "2026-01-10T01:00:00Z"}});
        assert_eq!(b.send("PATCH", &format!("{LD}/entities/{GAUGE}/attrs"), Some(update)).await.0, 204);
        assert_eq!(b.send("DELETE", &format!("{LD}/entities/{GAUGE}"), None).await.0, 204);
        assert_eq!(b.get(&format!("/entities/{GAUGE}")).await.0, 404, "{}", b.app.label);

        let (s, t) = b.get(&format!("/temporal/entities/{GAUGE}?options=temporalValues")).await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(
            t,
            json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": {"type": "Property",
                "values": [[12.0, "2026-01-10T00:00:00Z"], [12.5, "2026-01-10T01:00:00Z"]]}}),
            "{}",
            b.app.label
        );
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?options=sysAttrs")).await;
        assert_eq!(t["deletedAt"], "2026-01-11T00:00:00Z", "{t}");
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?timeproperty=deletedAt")).await;
        assert_eq!(t["waterLevel"][0]["deletedAt"], "2026-01-11T00:00:00Z", "{t}");

        // Deleting the temporal entity forgets it altogether.
        assert_eq!(b.send("DELETE", &format!("{LD}/temporal/entities/{GAUGE}"), None).await.0, 204);
        assert_eq!(b.get(&format!("/temporal/entities/{GAUGE}")).await.0, 404);
        assert_eq!(b.count("sensor_deleted_entities").await, 0);
    }
}

/// Deletions are kept as long as the entity's raw points (90 days by
/// default), then the retention sweep deletes them.
#[tokio::test]
async fn retention_deletes_deletions_past_the_days_raw_points_are_kept() {
    for db in each_engine().await {
        let b = Broker::new(&db, T0 + 10 * DAY).await;
        let entity = json!({"id": GAUGE, "type": "WaterObserved",
            "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:awlr-1"},
            "status": {"type": "Property", "value": "ok"}});
        assert_eq!(b.send("POST", &format!("{LD}/entities"), Some(entity)).await.0, 201);
        let attrs = format!("{LD}/entities/{GAUGE}/attrs");
        assert_eq!(b.send("DELETE", &format!("{attrs}/refDevice"), None).await.0, 204);
        // 91 days later: the first deletion is past the 90 days, the second is new.
        b.clock.advance(std::time::Duration::from_secs(91 * 86_400));
        assert_eq!(b.send("DELETE", &format!("{attrs}/status"), None).await.0, 204);
        assert_eq!(b.count("sensor_deletions").await, 2, "{}", b.app.label);

        let done = rollup::sweep(&b.app.store, REGION, true).await.unwrap();
        assert_eq!(done.deletions_deleted, 1, "{}", b.app.label);
        let (s, t) = b.get(&format!("/temporal/entities/{GAUGE}?timeproperty=deletedAt")).await;
        assert_eq!(s, 200, "{t}");
        assert!(t.get("refDevice").is_none(), "the old deletion is gone: {t}");
        assert_eq!(t["status"][0]["deletedAt"], "2026-04-12T00:00:00Z", "{t}");
        // A sweep without retention (after a backfill) deletes none.
        b.clock.advance(std::time::Duration::from_secs(91 * 86_400));
        assert_eq!(rollup::sweep(&b.app.store, REGION, false).await.unwrap().deletions_deleted, 0);
        assert_eq!(b.count("sensor_deletions").await, 1);
    }
}

#[tokio::test]
async fn a_temporal_entity_keeps_its_scope_and_its_deletion() {
    for db in each_engine().await {
        let b = Broker::new(&db, T0 + 10 * DAY).await;
        let temporal = json!({"id": GAUGE, "type": "WaterObserved", "scope": ["/Bojonegoro/Kota", "/BPBD"],
            "waterLevel": [{"type": "Property", "value": 11.0, "observedAt": "2026-01-02T00:00:00Z"}]});
        let (s, body) = b.send("POST", &format!("{LD}/temporal/entities"), Some(temporal)).await;
        assert_eq!(s, 201, "{body}");
        let (_, e) = b.get(&format!("/entities/{GAUGE}")).await;
        assert_eq!(e["scope"], json!(["/Bojonegoro/Kota", "/BPBD"]), "{e}");
        assert_eq!(e["waterLevel"]["value"], 11.0, "{e}");

        assert_eq!(b.send("DELETE", &format!("{LD}/entities/{GAUGE}/attrs/scope"), None).await.0, 204);
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?timeproperty=deletedAt&options=temporalValues")).await;
        assert_eq!(
            t,
            json!({"id": GAUGE, "type": "WaterObserved", "scope": {"type": "Property", "values": [[[], "2026-01-11T00:00:00Z"]]}})
        );
    }
}
