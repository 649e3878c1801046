//! The NGSI-LD context broker (slices/sensors): measures into entities and
//! time series, the `/ngsi-ld/v1/` API, the temporal API.

use pendopo::slices::sensors::measures::{self, Measure, Stored};
use pendopo::store::sql;
use serde_json::json;

use crate::common::{REGION, each_engine, spawn_app};

const GAUGE: &str = "urn:ngsi-ld:WaterObserved:bojonegoro";
const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

fn level(at_ms: i64, metres: f64) -> Measure {
    let attr = ngsild::entity::Attribute::property(json!(metres));
    Measure {
        entity_id: GAUGE.into(),
        entity_type: "WaterObserved".into(),
        observed_at_ms: at_ms,
        attrs: vec![("waterLevel".into(), attr)],
    }
}

#[tokio::test]
async fn measures_out_of_order_and_twice_are_kept_in_time_order_once() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let first = [level(T0 + 3 * HOUR, 12.5), level(T0, 11.0)];
        assert_eq!(measures::store(&app.store, REGION, &first).await.unwrap(), Stored { points: 2, duplicates: 0 });
        // A late reading (between the two) and one sent again.
        let second = [level(T0 + HOUR, 11.8), level(T0 + 3 * HOUR, 12.5)];
        assert_eq!(measures::store(&app.store, REGION, &second).await.unwrap(), Stored { points: 1, duplicates: 1 }, "{}", app.label);

        let rows = app
            .store
            .fetch_all(
                sql("SELECT at, num FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 ORDER BY at").bind(REGION).bind(GAUGE),
            )
            .await
            .unwrap();
        let series: Vec<(i64, f64)> = rows.iter().map(|r| (r.at::<i64>(0).unwrap() / 1000, r.at::<f64>(1).unwrap())).collect();
        assert_eq!(series, vec![(T0, 11.0), (T0 + HOUR, 11.8), (T0 + 3 * HOUR, 12.5)]);

        // The current value is the newest reading, not the latest to arrive.
        let e = pendopo::slices::sensors::repo::load(&app.store, REGION, GAUGE).await.unwrap().unwrap();
        let core = ngsild::context::core();
        let current = &e.attrs[&core.expand("waterLevel")][0];
        assert_eq!(current.value, json!(12.5));
        assert_eq!(current.observed_at.as_deref(), Some("2026-01-01T03:00:00Z"));
        assert_eq!(e.types, vec![core.expand("WaterObserved")]);
    }
}

pub const LD: &str = "/ngsi-ld/v1";

pub struct Broker {
    pub app: crate::common::TestApp,
    pub token: String,
}

impl Broker {
    pub async fn new(db: &crate::common::TestDb) -> Broker {
        let app = spawn_app(db).await;
        let admin = app.add_user("bpbd@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&admin).await;
        Broker { app, token }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut r =
            self.app.client.request(method.parse().unwrap(), self.app.url(&format!("{LD}{path}"))).header("authorization", &self.token);
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        r.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.app.client.get(self.app.url(&format!("{LD}{path}"))).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

use serde_json::Value;

pub fn gauge(id: &str, level: f64, lon: f64, lat: f64) -> Value {
    json!({
        "id": id, "type": "WaterObserved",
        "waterLevel": {"type": "Property", "value": level, "unitCode": "MTR"},
        "name": {"type": "Property", "value": "Taman Bengawan Solo"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}
    })
}

pub fn ids(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn entities_are_created_read_and_queried_with_q_and_geo() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        // Bojonegoro's gauge, Karangnongko upstream (about 40 km west), and one far away.
        for (id, level, lon, lat) in [
            ("urn:ngsi-ld:WaterObserved:bojonegoro", 12.5, 111.8816, -7.1502),
            ("urn:ngsi-ld:WaterObserved:karangnongko", 29.6, 111.5120, -7.2310),
            ("urn:ngsi-ld:WaterObserved:cepu", 9.0, 111.5900, -7.1500),
        ] {
            let r = b.send("POST", "/entities", Some(gauge(id, level, lon, lat))).await;
            assert_eq!(r.status(), 201, "{}", app_label(&b));
            assert_eq!(r.headers()["location"], format!("{LD}/entities/{id}"));
        }
        let again = b.send("POST", "/entities", Some(gauge("urn:ngsi-ld:WaterObserved:cepu", 1.0, 0.0, 0.0))).await;
        assert_eq!(again.status(), 409);

        let (s, e) = b.get("/entities/urn:ngsi-ld:WaterObserved:bojonegoro").await;
        assert_eq!(s, 200);
        assert_eq!(e["waterLevel"]["value"], 12.5);
        assert_eq!(e["waterLevel"]["unitCode"], "MTR");
        assert_eq!(e["type"], "WaterObserved");
        let (_, kv) = b.get("/entities/urn:ngsi-ld:WaterObserved:bojonegoro?options=keyValues").await;
        assert_eq!(kv["waterLevel"], 12.5);
        assert_eq!(kv["location"]["coordinates"], json!([111.8816, -7.1502]));
        let (_, concise) = b.get("/entities/urn:ngsi-ld:WaterObserved:bojonegoro?format=concise").await;
        assert_eq!(concise["name"], "Taman Bengawan Solo");
        assert_eq!(concise["waterLevel"]["value"], 12.5, "a unit keeps the object form");
        let (s, _) = b.get("/entities/urn:ngsi-ld:WaterObserved:none").await;
        assert_eq!(s, 404);

        let (_, found) = b.get("/entities?type=WaterObserved&q=waterLevel%3E10").await;
        assert_eq!(ids(&found), vec!["urn:ngsi-ld:WaterObserved:bojonegoro", "urn:ngsi-ld:WaterObserved:karangnongko"]);
        let (_, found) = b.get("/entities?type=WaterObserved&q=waterLevel%3E10;waterLevel%3C20").await;
        assert_eq!(ids(&found), vec!["urn:ngsi-ld:WaterObserved:bojonegoro"]);
        // Near Bojonegoro within 5 km; within a polygon around the west.
        let near = "/entities?type=WaterObserved&georel=near;maxDistance==5000&geometry=Point&coordinates=%5B111.88,-7.15%5D";
        assert_eq!(ids(&b.get(near).await.1), vec!["urn:ngsi-ld:WaterObserved:bojonegoro"]);
        let poly = "[[[111.4,-7.3],[111.7,-7.3],[111.7,-7.1],[111.4,-7.1],[111.4,-7.3]]]";
        let within = format!("/entities?type=WaterObserved&georel=within&geometry=Polygon&coordinates={}", urlencode(poly));
        assert_eq!(ids(&b.get(&within).await.1), vec!["urn:ngsi-ld:WaterObserved:cepu", "urn:ngsi-ld:WaterObserved:karangnongko"]);

        // Paging and the count.
        let r = b.app.client.get(b.app.url(&format!("{LD}/entities?type=WaterObserved&limit=1&offset=1&count=true"))).send().await.unwrap();
        assert_eq!(r.headers()["ngsild-results-count"], "3");
        assert_eq!(ids(&r.json::<Value>().await.unwrap()), vec!["urn:ngsi-ld:WaterObserved:cepu"]);
        // GeoJSON.
        let r = b
            .app
            .client
            .get(b.app.url(&format!("{LD}/entities?type=WaterObserved&limit=1")))
            .header("accept", "application/geo+json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "application/geo+json");
        let fc: Value = r.json().await.unwrap();
        assert_eq!(fc["type"], "FeatureCollection");
        assert_eq!(fc["features"][0]["geometry"]["type"], "Point");
        let (_, types) = b.get("/types").await;
        assert_eq!(types["typeList"], json!(["WaterObserved"]));

        // A q syntax error names its position.
        let (s, p) = b.get("/entities?type=WaterObserved&q=waterLevel%3E").await;
        assert_eq!(s, 400);
        assert_eq!(p["type"], "https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
        assert!(p["detail"].as_str().unwrap().contains("position 11"), "{p}");

        let r = b.send("DELETE", "/entities/urn:ngsi-ld:WaterObserved:cepu", None).await;
        assert_eq!(r.status(), 204);
        assert_eq!(b.get("/entities/urn:ngsi-ld:WaterObserved:cepu").await.0, 404);
        assert_eq!(ids(&b.get(&within).await.1), vec!["urn:ngsi-ld:WaterObserved:karangnongko"], "its geo index went with it");
    }
}

fn app_label(b: &Broker) -> &'static str {
    b.app.label
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|c| if c.is_ascii_alphanumeric() || b"-._~".contains(&c) { (c as char).to_string() } else { format!("%{c:02X}") })
        .collect()
}

#[tokio::test]
async fn attributes_are_updated_merged_and_deleted() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let id = "urn:ngsi-ld:WaterObserved:bojonegoro";
        assert_eq!(b.send("POST", "/entities", Some(gauge(id, 12.0, 111.88, -7.15))).await.status(), 201);
        let r = b.send("PATCH", &format!("/entities/{id}/attrs/waterLevel"), Some(json!({"value": 13.2}))).await;
        assert_eq!(r.status(), 204);
        let (_, e) = b.get(&format!("/entities/{id}")).await;
        assert_eq!(e["waterLevel"]["value"], 13.2);
        assert_eq!(e["waterLevel"]["unitCode"], "MTR", "a partial update keeps what it does not name");

        let r = b
            .send(
                "PATCH",
                &format!("/entities/{id}"),
                Some(json!({"flow": {"type": "Property", "value": 850}, "name": "urn:ngsi-ld:null"})),
            )
            .await;
        assert_eq!(r.status(), 204);
        let (_, e) = b.get(&format!("/entities/{id}?options=keyValues")).await;
        assert_eq!(e["flow"], 850);
        assert!(e.get("name").is_none(), "merge with the null marker deletes");

        // Append without overwrite of what exists: 207 naming it (as an IRI, as the ETSI suite expects).
        let r = b
            .send("POST", &format!("/entities/{id}/attrs?options=noOverwrite"), Some(json!({"flow": {"type": "Property", "value": 1}})))
            .await;
        assert_eq!(r.status(), 207);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["notUpdated"][0]["attributeName"], "https://uri.etsi.org/ngsi-ld/default-context/flow");
        assert_eq!(b.send("DELETE", &format!("/entities/{id}/attrs/flow"), None).await.status(), 204);
        assert_eq!(b.send("DELETE", &format!("/entities/{id}/attrs/flow"), None).await.status(), 404);
        // q no longer finds the deleted attribute's value.
        let (_, found) = b.get("/entities?type=WaterObserved&q=flow%3E1").await;
        assert_eq!(found, json!([]));
    }
}

#[tokio::test]
async fn batch_upsert_reports_each_entity_and_refuses_oversized_batches() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let batch = json!([
            gauge("urn:ngsi-ld:WaterObserved:a", 1.0, 111.8, -7.1),
            gauge("urn:ngsi-ld:WaterObserved:b", 2.0, 111.8, -7.1),
            {"id": "not a uri", "type": "WaterObserved"}
        ]);
        let r = b.send("POST", "/entityOperations/upsert", Some(batch)).await;
        assert_eq!(r.status(), 207, "{}", b.app.label);
        let result: Value = r.json().await.unwrap();
        assert_eq!(result["success"], json!(["urn:ngsi-ld:WaterObserved:a", "urn:ngsi-ld:WaterObserved:b"]));
        assert_eq!(result["errors"][0]["error"]["type"], "https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
        // Again: all exist now, replaced.
        let r = b.send("POST", "/entityOperations/upsert", Some(json!([gauge("urn:ngsi-ld:WaterObserved:a", 5.0, 111.8, -7.1)]))).await;
        assert_eq!(r.status(), 204);
        assert_eq!(b.get("/entities/urn:ngsi-ld:WaterObserved:a?options=keyValues").await.1["waterLevel"], 5.0);
        let r = b.send("POST", "/entityOperations/create", Some(json!([gauge("urn:ngsi-ld:WaterObserved:a", 5.0, 111.8, -7.1)]))).await;
        assert_eq!(r.status(), 207);
        let r =
            b.send("POST", "/entityOperations/delete", Some(json!(["urn:ngsi-ld:WaterObserved:b", "urn:ngsi-ld:WaterObserved:zzz"]))).await;
        assert_eq!(r.status(), 207);
        let result: Value = r.json().await.unwrap();
        assert_eq!(result["success"], json!(["urn:ngsi-ld:WaterObserved:b"]));
        assert_eq!(result["errors"][0]["entityId"], "urn:ngsi-ld:WaterObserved:zzz");

        let many: Vec<Value> = (0..1001).map(|i| gauge(&format!("urn:ngsi-ld:WaterObserved:{i}"), 1.0, 111.8, -7.1)).collect();
        let r = b.send("POST", "/entityOperations/upsert", Some(Value::Array(many))).await;
        assert_eq!(r.status(), 413);
        let p: Value = r.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("1000"), "{p}");
        assert_eq!(b.get("/entities/urn:ngsi-ld:WaterObserved:0").await.0, 404, "nothing of it stored");
    }
}

#[tokio::test]
async fn temporal_last_n_and_daily_aggregates() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        // Two days of 3-hourly readings: day one 10..17 m, day two 20..27 m.
        let batch: Vec<Measure> =
            (0..16).map(|i| level(T0 + i * 3 * HOUR, if i < 8 { 10.0 + i as f64 } else { 12.0 + i as f64 })).collect();
        measures::store(&b.app.store, REGION, &batch).await.unwrap();
        let (s, t) = b.get(&format!("/temporal/entities/{GAUGE}?lastN=2")).await;
        assert_eq!(s, 200, "{t}");
        let points = t["waterLevel"].as_array().unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0]["value"], 26.0);
        assert_eq!(points[1]["value"], 27.0);
        assert_eq!(points[1]["observedAt"], "2026-01-02T21:00:00Z");

        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?options=temporalValues&timerel=before&timeAt=2026-01-01T06:00:00Z")).await;
        assert_eq!(t["waterLevel"]["values"], json!([[10.0, "2026-01-01T00:00:00Z"], [11.0, "2026-01-01T03:00:00Z"]]));

        let path = format!("/temporal/entities/{GAUGE}?options=aggregatedValues&aggrMethods=avg,min,max,totalCount&aggrPeriodDuration=P1D");
        let (s, t) = b.get(&path).await;
        assert_eq!(s, 200, "{t}");
        let w = &t["waterLevel"];
        assert_eq!(
            w["avg"],
            json!([[13.5, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], [23.5, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]])
        );
        assert_eq!(w["min"][1][0], 20.0);
        assert_eq!(w["max"][0][0], 17.0);
        assert_eq!(w["totalCount"][0][0], 8);

        // Backfill through the API joins the same series.
        let body = json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": [
            {"type": "Property", "value": 9.5, "observedAt": "2025-12-31T21:00:00Z"},
            {"type": "Property", "value": 10.0, "observedAt": "2026-01-01T00:00:00Z"}
        ]});
        assert_eq!(b.send("POST", "/temporal/entities", Some(body)).await.status(), 204);
        let (_, t) = b.get(&format!("/temporal/entities/{GAUGE}?options=temporalValues&timerel=before&timeAt=2026-01-01T03:00:00Z")).await;
        assert_eq!(t["waterLevel"]["values"], json!([[9.5, "2025-12-31T21:00:00Z"], [10.0, "2026-01-01T00:00:00Z"]]));
    }
}

#[tokio::test]
async fn contexts_tenants_and_writers() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let link = "<https://contoh.id/ctx.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";
        let r = b.app.client.get(b.app.url(&format!("{LD}/entities?type=WaterObserved"))).header("link", link).send().await.unwrap();
        assert_eq!(r.status(), 503);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable");
        assert!(p["detail"].as_str().unwrap().contains("https://contoh.id/ctx.jsonld"), "{p}");

        // The sysadmin stores it; then it maps names.
        let sys = b.app.add_user("sysadmin@pendopo.id", "sysadmin", None).await;
        let sys_token = b.app.token_for(&sys).await;
        let ctx = json!({"url": "https://contoh.id/ctx.jsonld", "@context": {"tinggi": "https://smartdatamodels.org/dataModel.Environment/waterLevel"}});
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/jsonldContexts")))
            .header("authorization", &b.token)
            .json(&ctx)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "a region admin does not store deployment-wide contexts");
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/jsonldContexts")))
            .header("authorization", &sys_token)
            .json(&ctx)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body = json!({"id": "urn:ngsi-ld:WaterObserved:x", "type": "WaterObserved", "tinggi": {"type": "Property", "value": 3}});
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/entities")))
            .header("authorization", &b.token)
            .header("link", link)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let (_, core_view) = b.get("/entities/urn:ngsi-ld:WaterObserved:x").await;
        assert_eq!(core_view["https://smartdatamodels.org/dataModel.Environment/waterLevel"]["value"], 3, "{core_view}");
        let r =
            b.app.client.get(b.app.url(&format!("{LD}/entities/urn:ngsi-ld:WaterObserved:x"))).header("link", link).send().await.unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["tinggi"]["value"], 3);

        // Writes need a token of a region admin or an agency's officer.
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/entities")))
            .json(&gauge("urn:ngsi-ld:WaterObserved:y", 1.0, 0.0, 0.0))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let operator = b.app.add_user("operator@desa.id", "village_operator", None).await;
        let op_token = b.app.token_for(&operator).await;
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/entities")))
            .header("authorization", op_token)
            .json(&gauge("urn:ngsi-ld:WaterObserved:y", 1.0, 0.0, 0.0))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(b.get("/entities/urn:ngsi-ld:WaterObserved:y").await.0, 404);

        // NGSILD-Tenant names a region by its code; an unknown one is refused.
        let r = b
            .app
            .client
            .get(b.app.url(&format!("{LD}/entities/urn:ngsi-ld:WaterObserved:x")))
            .header("ngsild-tenant", REGION)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = b
            .app
            .client
            .get(b.app.url(&format!("{LD}/entities?type=WaterObserved")))
            .header("ngsild-tenant", "35.99")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.json::<Value>().await.unwrap()["type"], "https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant");
        pendopo::kernel::tenancy::init_region(&b.app.store, "35.21", &[], false).await.unwrap();
        b.app.state.tenants.invalidate();
        let r = b
            .app
            .client
            .get(b.app.url(&format!("{LD}/entities?type=WaterObserved")))
            .header("ngsild-tenant", "35.21")
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<Value>().await.unwrap(), json!([]), "another region's broker is empty");
        let r = b
            .app
            .client
            .post(b.app.url(&format!("{LD}/entities")))
            .header("authorization", &b.token)
            .header("ngsild-tenant", "35.21")
            .json(&gauge("urn:ngsi-ld:WaterObserved:z", 1.0, 0.0, 0.0))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "a token of 35.22 does not write in 35.21");
    }
}

#[tokio::test]
async fn other_modules_read_current_values_and_series_by_short_names() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let batch = [level(T0, 11.0), level(T0 + 3 * HOUR, 12.5), level(T0 + 6 * HOUR, 13.1)];
    measures::store(&app.store, REGION, &batch).await.unwrap();
    use pendopo::slices::sensors::repo;
    let e = repo::load_short(&app.store, REGION, GAUGE).await.unwrap().unwrap();
    assert_eq!(e.attrs["waterLevel"][0].value, json!(13.1));
    let gauges = repo::of_type(&app.store, REGION, "WaterObserved", 10).await.unwrap();
    assert_eq!(gauges.len(), 1);
    assert_eq!(gauges[0].types, vec!["WaterObserved".to_string()]);
    let trend = repo::series(&app.store, REGION, GAUGE, "waterLevel", T0 + HOUR, T0 + 7 * HOUR).await.unwrap();
    assert_eq!(trend, vec![(T0 + 3 * HOUR, json!(12.5)), (T0 + 6 * HOUR, json!(13.1))]);
}
