//! The NGSI-LD broker as the ETSI test suite calls it (docs/conformance.md):
//! the specification's resource paths with their trailing slash.

use serde_json::{Value, json};

use crate::common::{each_engine, spawn_app};

const LD: &str = "/ngsi-ld/v1";

#[tokio::test]
async fn resource_paths_with_a_trailing_slash_are_the_same_resources() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let admin = app.add_user("bpbd@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&admin).await;
        let id = "urn:ngsi-ld:WaterObserved:kali-gandong";
        let entity = json!({"id": id, "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 2.5}});
        let r = app
            .client
            .post(app.url(&format!("{LD}/entities/")))
            .header("authorization", &token)
            .header("content-type", "application/json")
            .body(entity.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", app.label);
        assert_eq!(r.headers()["location"], format!("{LD}/entities/{id}").as_str());

        let more = json!({"name": {"type": "Property", "value": "Kali Gandong"}});
        let r = app
            .client
            .post(app.url(&format!("{LD}/entities/{id}/attrs/")))
            .header("authorization", &token)
            .header("content-type", "application/json")
            .body(more.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);

        // The query keeps its parameters when the slash goes.
        let r = app.get(&format!("{LD}/entities/?type=WaterObserved&attrs=name")).await;
        assert_eq!(r.status(), 200);
        let found: Value = r.json().await.unwrap();
        assert_eq!(found, json!([{"id": id, "type": "WaterObserved", "name": {"type": "Property", "value": "Kali Gandong"}}]));
        let r = app.get(&format!("{LD}/entities/{id}/")).await;
        assert_eq!(r.status(), 200);

        // Other paths keep their meaning: a page's trailing slash is not rewritten.
        let (status, _) = app.get_text("/banjir/").await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn media_types_are_checked_before_the_entity_is_looked_up() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let admin = app.add_user("bpbd@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&admin).await;
        let missing = format!("{LD}/entities/urn:ngsi-ld:WaterObserved:tidak-ada");

        // An Accept the broker cannot answer: 406, even for an entity that does not exist.
        let r = app.client.get(app.url(&missing)).header("accept", "application/xml").send().await.unwrap();
        assert_eq!(r.status(), 406, "{}", app.label);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["status"], 406);

        // A body that is not JSON by its media type: 415.
        let fragment = json!({"waterLevel": {"type": "Property", "value": 1.0}});
        let r = app
            .client
            .patch(app.url(&format!("{missing}/attrs/waterLevel")))
            .header("authorization", &token)
            .header("content-type", "application/xml")
            .body(fragment.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);

        // A @context in a body sent as plain JSON is refused (clause 6.3.5).
        let with_context = json!({"id": "urn:ngsi-ld:WaterObserved:x", "type": "WaterObserved", "@context": "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"});
        let r = app
            .client
            .post(app.url(&format!("{LD}/entities")))
            .header("authorization", &token)
            .header("content-type", "application/json")
            .body(with_context.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "https://uri.etsi.org/ngsi-ld/errors/BadRequestData");

        // A GET's Content-Type says nothing about its (absent) body.
        let r = app.client.get(app.url(&format!("{LD}/types"))).header("content-type", "application/ld+json").send().await.unwrap();
        assert_eq!(r.status(), 200);

        // Equal weights: JSON, with the context linked.
        let r =
            app.client.get(app.url(&format!("{LD}/types"))).header("accept", "application/ld+json, application/json").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert!(r.headers().contains_key("link"));
    }
}

/// A writer's request to the broker: (status, headers, JSON body or null).
pub(crate) async fn call(
    app: &crate::common::TestApp,
    token: &str,
    method: &str,
    path: &str,
    content_type: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = app.client.request(method.parse().unwrap(), app.url(&format!("{LD}{path}"))).header("authorization", token);
    if let Some(b) = body {
        r = r.header("content-type", content_type).body(b.to_string());
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

const INVALID_REQUEST: &str = "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest";
const BAD_REQUEST_DATA: &str = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData";
const GAUGE: &str = "urn:ngsi-ld:WaterObserved:kali-gandong";

pub(crate) async fn writer(app: &crate::common::TestApp) -> String {
    app.token_for(&app.add_user("bpbd@bojonegorokab.go.id", "walidata", None).await).await
}

async fn create(app: &crate::common::TestApp, token: &str, entity: Value) {
    let (status, _, body) = call(app, token, "POST", "/entities", "application/json", Some(entity)).await;
    assert_eq!(status, 201, "{body}");
}

/// A server, a writer's token, and `entity` created.
pub(crate) async fn holding(db: &crate::common::TestDb, entity: Value) -> (crate::common::TestApp, String) {
    let app = spawn_app(db).await;
    let token = writer(&app).await;
    create(&app, &token, entity).await;
    (app, token)
}

#[tokio::test]
async fn unknown_parameters_and_option_words_are_refused_and_path_ids_must_be_uris() {
    for db in each_engine().await {
        let (app, token) =
            holding(&db, json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 2.5}})).await;

        // A parameter no operation defines: 400 InvalidRequest naming it, on reads and writes.
        for (method, path) in [
            ("GET", "/entities?type=WaterObserved&invalidParam=x"),
            ("GET", &format!("/entities/{GAUGE}?invalidParam=x")),
            ("GET", "/temporal/entities?type=WaterObserved&invalidParam=x"),
            ("GET", "/types?invalidParam=x"),
            ("GET", "/subscriptions?invalidParam=x"),
        ] {
            let (status, _, p) = call(&app, &token, method, path, "", None).await;
            assert_eq!(status, 400, "{} {path}: {p}", app.label);
            assert_eq!(p["type"], INVALID_REQUEST, "{p}");
            assert!(p["detail"].as_str().unwrap().contains("invalidParam"), "{p}");
        }
        let created = json!({"id": "urn:ngsi-ld:WaterObserved:lain", "type": "WaterObserved"});
        let (status, _, p) = call(&app, &token, "POST", "/entities?invalidParam=x", "application/json", Some(created)).await;
        assert_eq!((status, p["type"].clone()), (400, json!(INVALID_REQUEST)), "{p}");
        let (status, _, _) = call(&app, &token, "GET", "/entities/urn:ngsi-ld:WaterObserved:lain", "", None).await;
        assert_eq!(status, 404, "nothing was created");

        // Words of options and format the broker does not know.
        for path in [
            format!("/entities/{GAUGE}?options=invalidOptions"),
            format!("/entities/{GAUGE}?options=keyValues,invalid"),
            "/temporal/entities?type=WaterObserved&format=invalidFormat".to_string(),
        ] {
            let (status, _, p) = call(&app, &token, "GET", &path, "", None).await;
            assert_eq!((status, p["type"].clone()), (400, json!(INVALID_REQUEST)), "{path}: {p}");
        }

        // Parameters other helpers' features read are not refused here.
        let (status, _, _) = call(&app, &token, "GET", "/entities?type=WaterObserved&pick=waterLevel&lang=id", "", None).await;
        assert_ne!(status, 400);
        let (status, _, found) = call(&app, &token, "GET", &format!("/entities/{GAUGE}?options=keyValues"), "", None).await;
        assert_eq!((status, found["waterLevel"].clone()), (200, json!(2.5)));

        // An id in the path that is not a URI, or none: 400 BadRequestData, not 404.
        let fragment = json!({"waterLevel": {"type": "Property", "value": 1.0}});
        for (method, path) in [
            ("GET", "/entities/thisisaninvaliduri"),
            ("DELETE", "/entities/thisisaninvaliduri"),
            ("POST", "/entities/thisisaninvaliduri/attrs"),
            ("POST", "/entities//attrs/"),
            ("PATCH", "/entities/"),
            ("GET", "/temporal/entities/invalidUri"),
        ] {
            let (status, _, p) = call(&app, &token, method, path, "application/json", Some(fragment.clone())).await;
            assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{method} {path}: {p}");
        }
        // An escaped colon is still a URI.
        let (status, _, _) = call(&app, &token, "GET", "/entities/urn%3Angsi-ld%3AWaterObserved%3Akali-gandong", "", None).await;
        assert_eq!(status, 200);

        // The attribute list is named as the specification names it.
        let (_, _, list) = call(&app, &token, "GET", "/attributes", "", None).await;
        assert_eq!(list["type"], "AttributeList", "{list}");
        assert!(list["id"].as_str().unwrap().starts_with("urn:ngsi-ld:AttributeList:"), "{list}");
    }
}

#[tokio::test]
async fn the_null_marker_deletes_through_update_partial_update_and_merge() {
    for db in each_engine().await {
        let (app, token) = holding(
            &db,
            json!({
                "id": GAUGE, "type": "WaterObserved",
                "name": {"type": "Property", "value": "Kali Gandong"},
                "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.88, -7.15]}},
                "flow": [{"type": "Property", "value": 900}, {"type": "Property", "value": 880, "datasetId": "urn:ngsi-ld:Dataset:pjt"}],
                "feeds": {"type": "Relationship", "object": "urn:ngsi-ld:River:solo"},
                "waterLevel": {"type": "Property", "value": 2.5}
            }),
        )
        .await;
        let marker = "urn:ngsi-ld:null";
        // Update: a Property and a Relationship.
        let update = json!({"name": {"type": "Property", "value": marker}, "feeds": {"type": "Relationship", "object": marker}});
        let (status, _, body) = call(&app, &token, "PATCH", &format!("/entities/{GAUGE}/attrs"), "application/json", Some(update)).await;
        assert_eq!(status, 204, "{} {body}", app.label);
        // Partial update: a GeoProperty's null value is not a geometry to refuse.
        let geo = json!({"type": "GeoProperty", "value": marker});
        let (status, _, body) =
            call(&app, &token, "PATCH", &format!("/entities/{GAUGE}/attrs/location"), "application/json", Some(geo)).await;
        assert_eq!(status, 204, "{body}");
        // One instance of a multi-attribute, by its datasetId; the default stays.
        let one = json!({"value": marker, "datasetId": "urn:ngsi-ld:Dataset:pjt"});
        let (status, _, body) = call(&app, &token, "PATCH", &format!("/entities/{GAUGE}/attrs/flow"), "application/json", Some(one)).await;
        assert_eq!(status, 204, "{body}");
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        for gone in ["name", "feeds", "location"] {
            assert!(e.get(gone).is_none(), "{gone} deleted: {e}");
        }
        assert_eq!(e["flow"], json!({"type": "Property", "value": 900}), "{e}");
        assert_eq!(e["waterLevel"]["value"], 2.5);
        // Merge deletes the same way.
        let merge = json!({"waterLevel": {"type": "Property", "value": marker}});
        let (status, _, _) = call(&app, &token, "PATCH", &format!("/entities/{GAUGE}"), "application/json", Some(merge)).await;
        assert_eq!(status, 204);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert!(e.get("waterLevel").is_none(), "{e}");
    }
}

#[tokio::test]
async fn a_partial_update_keeps_the_attributes_type() {
    for db in each_engine().await {
        let (app, token) = holding(
            &db,
            json!({
                "id": GAUGE, "type": "WaterObserved",
                "waterLevel": {"type": "Property", "value": 2.5, "unitCode": "MTR"},
                "feeds": {"type": "Relationship", "object": "urn:ngsi-ld:River:solo"}
            }),
        )
        .await;
        let other_type = json!({"type": "Relationship", "object": "urn:ngsi-ld:River:solo"});
        let (status, _, p) =
            call(&app, &token, "PATCH", &format!("/entities/{GAUGE}/attrs/waterLevel"), "application/json", Some(other_type)).await;
        assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{} {p}", app.label);
        let (status, _, _) =
            call(&app, &token, "PATCH", &format!("/entities/{GAUGE}/attrs/waterLevel"), "application/json", Some(json!({}))).await;
        assert_eq!(status, 400, "an empty fragment");
        // Only a sub-attribute: the Relationship keeps its object and gains no value.
        let sub = json!({"providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Person:bpbd"}});
        let (status, _, p) = call(&app, &token, "PATCH", &format!("/entities/{GAUGE}/attrs/feeds"), "application/json", Some(sub)).await;
        assert_eq!(status, 204, "{p}");
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert_eq!(
            e["feeds"],
            json!({"type": "Relationship", "object": "urn:ngsi-ld:River:solo",
                "providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Person:bpbd"}}),
            "{e}"
        );
        assert_eq!(e["waterLevel"], json!({"type": "Property", "value": 2.5, "unitCode": "MTR"}));
    }
}

#[tokio::test]
async fn batches_are_refused_empty_and_checked_item_by_item() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        for op in ["create", "upsert", "update", "delete", "merge"] {
            let (status, _, p) = call(&app, &token, "POST", &format!("/entityOperations/{op}"), "application/json", Some(json!([]))).await;
            assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{} {op}: {p}", app.label);
        }
        // JSON-LD: each item names its own context, one without fails alone;
        // plain JSON: an item with a @context fails alone.
        let core = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
        for (content_type, with_context, without, created) in [("application/ld+json", "a", "b", "a"), ("application/json", "c", "d", "d")]
        {
            let failed = if created == with_context { without } else { with_context };
            let items = json!([
                {"id": format!("urn:ngsi-ld:WaterObserved:{with_context}"), "type": "WaterObserved", "@context": core},
                {"id": format!("urn:ngsi-ld:WaterObserved:{without}"), "type": "WaterObserved"}
            ]);
            let (status, _, result) = call(&app, &token, "POST", "/entityOperations/create", content_type, Some(items)).await;
            assert_eq!(status, 207, "{content_type}: {result}");
            assert_eq!(result["success"], json!([format!("urn:ngsi-ld:WaterObserved:{created}")]));
            assert_eq!(result["errors"][0]["entityId"], format!("urn:ngsi-ld:WaterObserved:{failed}"));
        }
        for (id, there) in [("a", 200), ("b", 404), ("c", 404), ("d", 200)] {
            let (status, _, _) = call(&app, &token, "GET", &format!("/entities/urn:ngsi-ld:WaterObserved:{id}"), "", None).await;
            assert_eq!(status, there, "{id}");
        }
    }
}

#[tokio::test]
async fn geojson_carries_its_context_unless_the_client_prefers_the_link() {
    for db in each_engine().await {
        let (app, _) = holding(
            &db,
            json!({
                "id": GAUGE, "type": "WaterObserved",
                "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.88, -7.15]}},
                "observationSpace": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.0, -7.0]}}
            }),
        )
        .await;
        let get = |path: String, prefer: bool| {
            let mut r = app.client.get(app.url(&format!("{LD}{path}"))).header("accept", "application/geo+json");
            if prefer {
                r = r.header("prefer", "body=json");
            }
            r.send()
        };
        let r = get(format!("/entities/{GAUGE}"), false).await.unwrap();
        assert_eq!(r.headers()["content-type"], "application/geo+json");
        let f: Value = r.json().await.unwrap();
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["@context"], "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld", "{f}");
        assert_eq!(f["geometry"]["coordinates"], json!([111.88, -7.15]));
        // geometryProperty picks the geometry; one the entity lacks is null.
        let f: Value = get(format!("/entities/{GAUGE}?geometryProperty=observationSpace"), false).await.unwrap().json().await.unwrap();
        assert_eq!(f["geometry"]["coordinates"], json!([111.0, -7.0]), "{f}");
        let f: Value = get(format!("/entities/{GAUGE}?geometryProperty=operationSpace"), false).await.unwrap().json().await.unwrap();
        assert_eq!(f["geometry"], Value::Null, "{f}");
        assert!(f["properties"].get("location").is_some());
        // A query's FeatureCollection; with Prefer: body=json the Link alone.
        let r = get("/entities?type=WaterObserved".to_string(), true).await.unwrap();
        assert!(r.headers().contains_key("link"));
        let fc: Value = r.json().await.unwrap();
        assert_eq!(fc["type"], "FeatureCollection");
        assert!(fc.get("@context").is_none(), "{fc}");
        let fc: Value = get("/entities?type=WaterObserved".to_string(), false).await.unwrap().json().await.unwrap();
        assert!(fc.get("@context").is_some(), "{fc}");
    }
}

#[tokio::test]
async fn a_purge_deletes_or_trims_what_its_query_selects() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        for (id, ty) in [("a", "WaterObserved"), ("b", "WaterObserved"), ("c", "Rainfall")] {
            let e = json!({"id": format!("urn:ngsi-ld:{ty}:{id}"), "type": ty,
                "name": {"type": "Property", "value": id}, "level": {"type": "Property", "value": 1}});
            create(&app, &token, e).await;
        }
        // Too wide, or contradictory: refused, nothing deleted.
        for path in [
            "/entities",
            "/entities?id=urn:ngsi-ld:WaterObserved:a",
            "/entities?idPattern=.*",
            "/entities?attrs=createdAt",
            "/entities?type=WaterObserved&keep=name&drop=level",
        ] {
            let (status, _, p) = call(&app, &token, "DELETE", path, "", None).await;
            assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{} {path}: {p}", app.label);
        }
        // drop: the attribute goes, the entities stay.
        let (status, _, _) = call(&app, &token, "DELETE", "/entities?type=WaterObserved&drop=level", "", None).await;
        assert_eq!(status, 204);
        let (_, _, found) = call(&app, &token, "GET", "/entities?type=WaterObserved&options=keyValues", "", None).await;
        assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
        assert!(found.as_array().unwrap().iter().all(|e| e.get("level").is_none() && e["name"].is_string()), "{found}");
        // keep, for one id.
        let (status, _, _) = call(&app, &token, "DELETE", "/entities?type=Rainfall&id=urn:ngsi-ld:Rainfall:c&keep=level", "", None).await;
        assert_eq!(status, 204);
        let (_, _, c) = call(&app, &token, "GET", "/entities/urn:ngsi-ld:Rainfall:c?options=keyValues", "", None).await;
        assert_eq!(c, json!({"id": "urn:ngsi-ld:Rainfall:c", "type": "Rainfall", "level": 1}));
        // Neither: the entities of the type are deleted, the others stay.
        let (status, _, _) = call(&app, &token, "DELETE", "/entities?type=WaterObserved", "", None).await;
        assert_eq!(status, 204);
        let (_, _, found) = call(&app, &token, "GET", "/entities?type=WaterObserved", "", None).await;
        assert_eq!(found, json!([]));
        let (status, _, _) = call(&app, &token, "GET", "/entities/urn:ngsi-ld:Rainfall:c", "", None).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn a_temporal_answer_past_the_instance_limit_is_cut_with_a_content_range() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        // Two attributes of 5,001 instances each, a minute apart, interleaved:
        // 10,002 instances, two past the broker's 10,000.
        let t0 = 1_767_225_600; // 2026-01-01T00:00:00Z
        let at = |s: i64| ngsild::time::format_datetime(s * 1_000_000);
        let series = |offset: i64| -> Vec<Value> {
            (0..5_001).map(|i| json!({"type": "Property", "value": i, "observedAt": at(t0 + i * 60 + offset)})).collect()
        };
        let body = json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": series(0), "flow": series(30)});
        let (status, headers, p) = call(&app, &token, "POST", "/temporal/entities", "application/json", Some(body.clone())).await;
        assert_eq!(status, 201, "{} {p}", app.label);
        assert_eq!(headers["location"], format!("{LD}/temporal/entities/{GAUGE}").as_str());
        let (status, _, _) = call(&app, &token, "POST", "/temporal/entities", "application/json", Some(body)).await;
        assert_eq!(status, 204, "the entity exists now");

        let count = |e: &Value| e["waterLevel"].as_array().map_or(0, Vec::len) + e["flow"].as_array().map_or(0, Vec::len);
        let (status, headers, e) = call(&app, &token, "GET", &format!("/temporal/entities/{GAUGE}"), "", None).await;
        assert_eq!(status, 206);
        // Cut at the 10,000th instance from the oldest: flow's 5,000th (index 4,999).
        let range = format!("date-time {}-{}/*", at(t0), at(t0 + 4_999 * 60 + 30));
        assert_eq!(headers["content-range"], range.as_str());
        assert_eq!(count(&e), 10_000);
        assert_eq!(e["waterLevel"].as_array().unwrap().len(), 5_000, "nothing inside the range is missing");

        // lastN counts from the newest; the range starts at the window's end.
        let path = format!("/temporal/entities/{GAUGE}?lastN=5001&timerel=before&timeAt={}", at(t0 + 86_400 * 10));
        let (status, headers, e) = call(&app, &token, "GET", &path, "", None).await;
        assert_eq!(status, 206);
        let range = format!("date-time {}-{}/5001", at(t0 + 86_400 * 10), at(t0 + 60));
        assert_eq!(headers["content-range"], range.as_str());
        assert_eq!(count(&e), 10_000);

        // Within the limit: the whole answer, 200.
        let (status, headers, e) = call(&app, &token, "GET", &format!("/temporal/entities/{GAUGE}?lastN=100"), "", None).await;
        assert_eq!(status, 200);
        assert!(!headers.contains_key("content-range"));
        assert_eq!(count(&e), 200);
        // A query over entities is cut the same way.
        let (status, headers, _) = call(&app, &token, "GET", "/temporal/entities?type=WaterObserved", "", None).await;
        assert_eq!(status, 206);
        assert!(headers["content-range"].to_str().unwrap().ends_with("/*"));
    }
}

/// A writer's GET of the broker.
async fn fetch(app: &crate::common::TestApp, token: &str, path: impl AsRef<str>) -> (u16, reqwest::header::HeaderMap, Value) {
    call(app, token, "GET", path.as_ref(), "", None).await
}

/// A vehicle's history: speed by default and in two datasets, fuel in one,
/// a street name as a LanguageProperty (backfilled in 2020).
fn vehicle(id: &str, ty: &str) -> Value {
    let p = |v: f64, at: &str, set: Option<&str>| {
        let mut i = json!({"type": "Property", "value": v, "observedAt": at});
        if let Some(s) = set {
            i["datasetId"] = json!(s);
        }
        i
    };
    json!({"id": id, "type": ty,
        "speed": [
            p(120.0, "2020-09-01T12:03:00Z", None),
            p(80.0, "2020-09-01T12:05:00Z", Some("urn:ngsi-ld:Dataset:Common")),
            p(90.0, "2020-09-01T13:05:00Z", Some("urn:ngsi-ld:Dataset:Common")),
            p(60.0, "2020-09-01T12:05:00Z", Some("urn:ngsi-ld:Dataset:Speed")),
        ],
        "fuelLevel": [p(67.0, "2020-09-01T12:03:00Z", None), p(53.0, "2020-09-01T14:07:00Z", Some("urn:ngsi-ld:Dataset:fuel"))],
        "street": [{"type": "LanguageProperty", "languageMap": {"id": "Jalan Veteran", "en": "Veteran Street"}, "observedAt": "2020-09-01T12:03:00Z"}],
    })
}

const CAR: &str = "urn:ngsi-ld:Vehicle:b-1234";

async fn with_vehicles(db: &crate::common::TestDb) -> (crate::common::TestApp, String) {
    let app = spawn_app(db).await;
    let token = writer(&app).await;
    for (id, ty) in [(CAR, "Vehicle"), ("urn:ngsi-ld:Bus:trans-1", "Bus")] {
        let (status, _, p) = call(&app, &token, "POST", "/temporal/entities", "application/json", Some(vehicle(id, ty))).await;
        assert_eq!(status, 201, "{} {p}", app.label);
    }
    (app, token)
}

#[tokio::test]
async fn temporal_answers_keep_the_datasets_asked_for_and_give_one_series_per_dataset() {
    for db in each_engine().await {
        let (app, token) = with_vehicles(&db).await;
        // Simplified: a series per datasetId, the default one's first, a list when several.
        let (status, _, e) = fetch(&app, &token, format!("/temporal/entities/{CAR}?options=temporalValues&attrs=speed")).await;
        assert_eq!(status, 200, "{} {e}", app.label);
        assert_eq!(
            e["speed"],
            json!([
                {"type": "Property", "values": [[120.0, "2020-09-01T12:03:00Z"]]},
                {"type": "Property", "datasetId": "urn:ngsi-ld:Dataset:Common", "values": [[80.0, "2020-09-01T12:05:00Z"], [90.0, "2020-09-01T13:05:00Z"]]},
                {"type": "Property", "datasetId": "urn:ngsi-ld:Dataset:Speed", "values": [[60.0, "2020-09-01T12:05:00Z"]]},
            ])
        );
        // datasetId: only those instances; an attribute with none of them is not shown.
        let (_, _, e) =
            fetch(&app, &token, format!("/temporal/entities/{CAR}?options=temporalValues&datasetId=urn:ngsi-ld:Dataset:Common")).await;
        assert_eq!(e["speed"]["datasetId"], "urn:ngsi-ld:Dataset:Common", "{e}");
        assert!(e.get("fuelLevel").is_none() && e.get("street").is_none(), "{e}");
        let (_, _, e) = fetch(&app, &token, format!("/temporal/entities/{CAR}?datasetId=@none")).await;
        assert_eq!(e["speed"].as_array().map(Vec::len), Some(1), "{e}");
        assert_eq!(e["fuelLevel"][0]["value"], 67.0);
        // A query: an entity none of whose asked instances is held is left out.
        let path = "/temporal/entities?type=Vehicle&attrs=speed&datasetId=urn:ngsi-ld:Dataset:fuel";
        assert_eq!(fetch(&app, &token, path).await.2, json!([]));
        let path = "/temporal/entities?type=Vehicle&attrs=fuelLevel&datasetId=urn:ngsi-ld:Dataset:fuel&options=temporalValues";
        let (_, _, found) = fetch(&app, &token, path).await;
        assert_eq!(found[0]["fuelLevel"]["values"], json!([[53.0, "2020-09-01T14:07:00Z"]]), "{found}");
        // A language map is given in its member.
        let (_, _, e) = fetch(&app, &token, format!("/temporal/entities/{CAR}?options=temporalValues&attrs=street")).await;
        assert_eq!(e["street"]["languageMaps"][0][0], json!({"languageMap": {"id": "Jalan Veteran", "en": "Veteran Street"}}));
    }
}

#[tokio::test]
async fn a_temporal_query_by_post_reads_its_window_from_temporal_q() {
    for db in each_engine().await {
        let (app, token) = with_vehicles(&db).await;
        let body = json!({"type": "Query", "entities": [{"type": "Vehicle"}, {"type": "Bus"}],
            "temporalQ": {"timerel": "after", "timeAt": "2020-09-01T13:00:00Z"}});
        let (status, _, found) = call(&app, &token, "POST", "/temporal/entityOperations/query", "application/json", Some(body)).await;
        assert_eq!(status, 200, "{} {found}", app.label);
        let ids: Vec<&str> = found.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["urn:ngsi-ld:Bus:trans-1", CAR]);
        // Only what is after the instant; an attribute with nothing there is not shown.
        assert_eq!(found[1]["speed"].as_array().map(Vec::len), Some(1), "{found}");
        assert_eq!(found[1]["speed"][0]["value"], 90.0);
        assert!(found[1].get("street").is_none(), "{found}");
        let body = json!({"type": "Query", "temporalQ": {"timerel": "after", "timeAt": "2020-09-01T13:00:00Z"}});
        let (status, _, _) = call(&app, &token, "POST", "/temporal/entityOperations/query", "application/json", Some(body)).await;
        assert_eq!(status, 400, "a query needs entities");
    }
}

#[tokio::test]
async fn temporal_answers_pick_omit_and_take_format_over_options() {
    for db in each_engine().await {
        let (app, token) = with_vehicles(&db).await;
        let (_, _, e) = fetch(&app, &token, format!("/temporal/entities/{CAR}?pick=id,speed")).await;
        let mut keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["id", "speed"], "{} {e}", app.label);
        let (_, _, found) = fetch(&app, &token, "/temporal/entities?type=Vehicle&omit=type,speed").await;
        assert!(found[0].get("type").is_none() && found[0].get("speed").is_none() && found[0]["fuelLevel"].is_array(), "{found}");
        // Refused together; nothing left to show is 404.
        for path in [format!("/temporal/entities/{CAR}?pick=speed&omit=speed"), format!("/temporal/entities/{CAR}?attrs=speed&pick=speed")]
        {
            assert_eq!(fetch(&app, &token, path).await.0, 400);
        }
        for path in [format!("/temporal/entities/{CAR}?pick=unknown"), format!("/temporal/entities/{CAR}?attrs=unknown")] {
            assert_eq!(fetch(&app, &token, path).await.0, 404);
        }
        // format names the representation over options.
        let (_, _, e) = fetch(
            &app,
            &token,
            format!("/temporal/entities/{CAR}?attrs=fuelLevel&options=aggregatedValues&format=temporalValues&aggrMethods=sum"),
        )
        .await;
        assert_eq!(e["fuelLevel"][0]["values"], json!([[67.0, "2020-09-01T12:03:00Z"]]), "{e}");
    }
}

#[tokio::test]
async fn aggregation_periods_start_at_the_first_instance_without_time_at() {
    for db in each_engine().await {
        let (app, token) = with_vehicles(&db).await;
        let path = format!("/temporal/entities/{CAR}?attrs=speed&options=aggregatedValues&aggrMethods=max&aggrPeriodDuration=PT1H");
        let (status, _, e) = call(&app, &token, "GET", &path, "", None).await;
        assert_eq!(status, 200, "{} {e}", app.label);
        assert_eq!(
            e["speed"]["max"],
            json!([[120.0, "2020-09-01T12:03:00Z", "2020-09-01T13:03:00Z"], [90.0, "2020-09-01T13:03:00Z", "2020-09-01T14:03:00Z"]])
        );
    }
}

#[tokio::test]
async fn timeproperty_created_at_windows_instances_by_when_they_were_stored() {
    for db in each_engine().await {
        let (app, token) = with_vehicles(&db).await;
        // Observed in 2020, stored now: before 2021 by observedAt, after it by createdAt.
        let window = "timerel=before&timeAt=2021-01-01T00:00:00Z";
        let (_, _, e) = fetch(&app, &token, format!("/temporal/entities/{CAR}?attrs=fuelLevel&{window}")).await;
        assert_eq!(e["fuelLevel"].as_array().map(Vec::len), Some(2), "{} {e}", app.label);
        let (_, _, e) = fetch(&app, &token, format!("/temporal/entities/{CAR}?{window}&timeproperty=createdAt")).await;
        assert!(e.get("fuelLevel").is_none(), "{e}");
        let after = "timerel=after&timeAt=2021-01-01T00:00:00Z";
        for property in ["createdAt", "modifiedAt"] {
            let (status, _, e) =
                fetch(&app, &token, format!("/temporal/entities/{CAR}?attrs=fuelLevel&{after}&timeproperty={property}")).await;
            assert_eq!(status, 200);
            assert_eq!(e["fuelLevel"].as_array().map(Vec::len), Some(2), "{property}: {e}");
        }
        // The temporal query is ordered by id only, in either direction.
        let (status, _, found) =
            fetch(&app, &token, format!("/temporal/entities?type=Vehicle,Bus&{after}&timeproperty=createdAt&orderBy=id;desc")).await;
        assert_eq!(status, 200);
        assert_eq!(found[0]["id"], CAR, "{found}");
        assert_eq!(fetch(&app, &token, format!("/temporal/entities?type=Vehicle&{after}&orderBy=speed")).await.0, 400);
    }
}

#[tokio::test]
async fn queries_show_the_datasets_asked_for_and_sort_by_order_by() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        // Created in the order b, a, c.
        for (id, name, rank) in [("b", "Banyu", 2), ("a", "Alas", 3), ("c", "Cepu", 1)] {
            let e = json!({"id": format!("urn:ngsi-ld:Building:{id}"), "type": "Building",
                "name": [{"type": "Property", "value": name, "rank": {"type": "Property", "value": rank}},
                         {"type": "Property", "value": format!("{name} (en)"), "datasetId": "urn:ngsi-ld:Dataset:en"}]});
            create(&app, &token, e).await;
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let ids = |found: &Value| -> Vec<String> {
            found
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().trim_start_matches("urn:ngsi-ld:Building:").to_string())
                .collect()
        };
        for (order, want) in [
            ("name;desc", ["c", "b", "a"]),
            ("createdAt", ["b", "a", "c"]),
            ("name.rank", ["c", "b", "a"]),
            ("type,name.rank;desc", ["a", "b", "c"]),
            ("id", ["a", "b", "c"]),
        ] {
            let (status, _, found) = fetch(&app, &token, format!("/entities?type=Building&orderBy={order}")).await;
            assert_eq!(status, 200, "{} {order}: {found}", app.label);
            assert_eq!(ids(&found), want, "{order}");
        }
        let (_, _, found) = fetch(&app, &token, "/entities?type=Building&orderBy=name;desc&limit=1&offset=1").await;
        assert_eq!(ids(&found), ["b"]);
        // datasetId: the instances of those datasets (@none: the default one).
        let (_, _, found) = fetch(&app, &token, "/entities?type=Building&datasetId=urn:ngsi-ld:Dataset:en").await;
        assert_eq!(found[0]["name"]["value"], "Alas (en)", "{found}");
        let (_, _, e) = fetch(&app, &token, "/entities/urn:ngsi-ld:Building:a?datasetId=@none").await;
        assert_eq!(e["name"]["value"], "Alas", "{e}");
        let (_, _, e) = fetch(&app, &token, "/entities/urn:ngsi-ld:Building:a?datasetId=urn:ngsi-ld:Dataset:de").await;
        assert!(e.get("name").is_none(), "{e}");
    }
}

#[tokio::test]
async fn queries_need_more_than_ids_and_shown_nothing_is_not_found() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        create(&app, &token, json!({"id": GAUGE, "type": "WaterObserved", "level": {"type": "Property", "value": 1}})).await;
        create(&app, &token, json!({"id": "urn:ngsi-ld:Rainfall:r", "type": "Rainfall", "name": {"type": "Property", "value": "r"}})).await;
        for path in [
            format!("/entities?id={GAUGE}"),
            "/entities?type=WaterObserved&id=not-a-uri".to_string(),
            format!("/temporal/entities?id={GAUGE}&timerel=after&timeAt=2020-01-01T00:00:00Z"),
        ] {
            let (status, _, p) = fetch(&app, &token, &path).await;
            assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{} {path}: {p}", app.label);
        }
        // local=true alone asks for every entity.
        let (status, _, found) = fetch(&app, &token, "/entities?local=true").await;
        assert_eq!((status, found.as_array().map(Vec::len)), (200, Some(2)), "{found}");
        let (status, _, _) = fetch(&app, &token, "/temporal/entities?local=true").await;
        assert_eq!(status, 200);
        // Nothing of the entity left to show: 404; a query leaves it out.
        for path in [format!("/entities/{GAUGE}?attrs=name"), format!("/entities/{GAUGE}?pick=name")] {
            assert_eq!(fetch(&app, &token, &path).await.0, 404, "{path}");
        }
        let (_, _, found) = fetch(&app, &token, "/entities?type=WaterObserved,Rainfall&pick=name").await;
        assert_eq!(found, json!([{"name": {"type": "Property", "value": "r"}}]));
    }
}

#[tokio::test]
async fn temporal_queries_page_count_and_read_aggregation_from_temporal_q() {
    for db in each_engine().await {
        let (app, token) = with_vehicles(&db).await;
        // offset and count, as for entities.
        let (status, headers, found) = fetch(&app, &token, "/temporal/entities?type=Vehicle,Bus&count=true&limit=1&offset=1").await;
        assert_eq!(status, 200, "{} {found}", app.label);
        assert_eq!(headers["ngsild-results-count"], "2");
        assert_eq!(found.as_array().map(Vec::len), Some(1));
        assert_eq!(found[0]["id"], CAR);
        // temporalQ's aggrMethods (a list or a text) aggregate; a bad duration is 400.
        let query = |temporal: Value| json!({"type": "Query", "entities": [{"type": "Vehicle"}], "temporalQ": temporal});
        let post = |body: Value| call(&app, &token, "POST", "/temporal/entityOperations/query", "application/json", Some(body));
        let (status, _, found) = post(query(json!({"timerel": "after", "timeAt": "2020-01-01T00:00:00Z", "aggrMethods": ["max"]}))).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(found[0]["fuelLevel"]["max"][0][0], 67.0, "{found}");
        let bad = query(json!({"timerel": "after", "timeAt": "2020-01-01T00:00:00Z", "aggrMethods": "max", "aggrPeriodDuration": "bogus"}));
        assert_eq!(post(bad).await.0, 400);
        // temporalQ is the temporal query's alone; an empty attrs list is refused.
        for body in [
            json!({"type": "Query", "entities": [{"type": "Vehicle"}], "temporalQ": {"timerel": "after", "timeAt": "2020-01-01T00:00:00Z"}}),
            json!({"type": "Query", "entities": [{"type": "Vehicle"}], "attrs": []}),
        ] {
            let (status, _, p) = call(&app, &token, "POST", "/entityOperations/query", "application/json", Some(body)).await;
            assert_eq!(status, 400, "{p}");
        }
        // System members alone select nothing: refused.
        assert_eq!(fetch(&app, &token, "/temporal/entities?timerel=after&timeAt=2020-01-01T00:00:00Z&attrs=createdAt").await.0, 400);
    }
}

#[tokio::test]
async fn projections_take_pipes_and_braces_only_with_join() {
    for db in each_engine().await {
        let (app, token) = with_vehicles(&db).await;
        let (status, _, e) = fetch(&app, &token, format!("/entities/{CAR}?pick=id|street")).await;
        assert_eq!(status, 200, "{} {e}", app.label);
        assert!(e["street"].is_object() && e.get("speed").is_none(), "{e}");
        for path in [
            format!("/entities/{CAR}?pick=id||street"),
            format!("/entities/{CAR}?pick=owner{{name}}"),
            format!("/temporal/entities/{CAR}?pick=owner{{name}}"),
            "/entities?type=Vehicle&join=inline&joinLevel=1&omit=owner{locatedAt{name}}".to_string(),
        ] {
            let (status, _, p) = fetch(&app, &token, &path).await;
            assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{path}: {p}");
        }
        // A retrieve naming another type: 404.
        assert_eq!(fetch(&app, &token, format!("/entities/{CAR}?type=Bus")).await.0, 404);
        assert_eq!(fetch(&app, &token, format!("/entities/{CAR}?type=Vehicle")).await.0, 200);
    }
}
