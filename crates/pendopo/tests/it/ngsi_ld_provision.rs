//! The provision operations as the ETSI suite checks them
//! (docs/conformance.md): update and append with types and scope, replace
//! attribute, batch update without overwrite, the temporal upsert, and the
//! checks made before routing (names and ids in paths, `Accept`).

use serde_json::{Value, json};

use crate::common::{each_engine, spawn_app};
use crate::ngsi_ld_etsi::{call, holding, writer};

const LD: &str = "/ngsi-ld/v1";
const GAUGE: &str = "urn:ngsi-ld:WaterObserved:kali-gandong";
const BAD_REQUEST_DATA: &str = "https://uri.etsi.org/ngsi-ld/errors/BadRequestData";
const JSON: &str = "application/json";

fn gauge() -> Value {
    json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 2.5, "unitCode": "MTR"}})
}

#[tokio::test]
async fn an_update_appends_what_the_entity_lacks_adds_types_and_replaces_only_a_held_scope() {
    for db in each_engine().await {
        let (app, token) = holding(&db, gauge()).await;
        let attrs = format!("/entities/{GAUGE}/attrs");
        // An attribute the entity lacks is appended (204, not 207), with the existing one replaced.
        let fragment = json!({"waterLevel": {"type": "Property", "value": 3.0}, "flow": {"type": "Property", "value": 850}});
        let (status, _, body) = call(&app, &token, "PATCH", &attrs, JSON, Some(fragment)).await;
        assert_eq!(status, 204, "{} {body}", app.label);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}?options=keyValues"), "", None).await;
        assert_eq!((e["waterLevel"].clone(), e["flow"].clone()), (json!(3.0), json!(850)), "{e}");
        // Types are added, never removed.
        let (status, _, _) = call(&app, &token, "PATCH", &attrs, JSON, Some(json!({"type": ["WaterObserved", "Gauge"]}))).await;
        assert_eq!(status, 204);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert_eq!(e["type"], json!(["WaterObserved", "Gauge"]), "{e}");
        // A scope is not given to an entity without one: 207 naming it.
        let (status, _, result) = call(&app, &token, "PATCH", &attrs, JSON, Some(json!({"scope": "/Jatim"}))).await;
        assert_eq!(status, 207, "{result}");
        assert_eq!(result["notUpdated"][0]["attributeName"], "scope");
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert!(e.get("scope").is_none(), "{e}");
        // Append gives one; then update replaces it.
        let (status, _, _) = call(&app, &token, "POST", &attrs, JSON, Some(json!({"scope": "/Jatim"}))).await;
        assert_eq!(status, 204);
        let (status, _, _) = call(&app, &token, "PATCH", &attrs, JSON, Some(json!({"scope": "/Jatim/Bojonegoro"}))).await;
        assert_eq!(status, 204);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert_eq!(e["scope"], "/Jatim/Bojonegoro", "{e}");
    }
}

#[tokio::test]
async fn append_replaces_or_adds_scopes_and_a_scope_is_deleted_by_name() {
    for db in each_engine().await {
        let mut entity = gauge();
        entity["scope"] = json!("/Jatim");
        let (app, token) = holding(&db, entity).await;
        let attrs = format!("/entities/{GAUGE}/attrs");
        let (status, _, _) = call(&app, &token, "POST", &attrs, JSON, Some(json!({"scope": "/Jateng"}))).await;
        assert_eq!(status, 204, "{}", app.label);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert_eq!(e["scope"], "/Jateng", "overwriting replaces: {e}");
        let (status, _, _) =
            call(&app, &token, "POST", &format!("{attrs}?options=noOverwrite"), JSON, Some(json!({"scope": "/Jatim"}))).await;
        assert_eq!(status, 204);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert_eq!(e["scope"], json!(["/Jateng", "/Jatim"]), "without overwrite it is added: {e}");
        let (status, _, _) = call(&app, &token, "DELETE", &format!("{attrs}/scope"), "", None).await;
        assert_eq!(status, 204);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert!(e.get("scope").is_none(), "{e}");
        let (status, _, _) = call(&app, &token, "DELETE", &format!("{attrs}/scope"), "", None).await;
        assert_eq!(status, 404, "no scope left");
    }
}

#[tokio::test]
async fn replace_attribute_puts_the_instance_whole_and_keeps_its_creation() {
    for db in each_engine().await {
        let mut entity = gauge();
        entity["flow"] = json!([
            {"type": "Property", "value": 900},
            {"type": "Property", "value": 880, "datasetId": "urn:ngsi-ld:Dataset:pjt", "source": {"type": "Property", "value": "PJT"}}
        ]);
        let (app, token) = holding(&db, entity).await;
        let (_, _, before) = call(&app, &token, "GET", &format!("/entities/{GAUGE}?options=sysAttrs"), "", None).await;
        let path = |attr: &str| format!("/entities/{GAUGE}/attrs/{attr}");

        // Another type, and what was not given (unitCode) is gone.
        let (status, _, p) =
            call(&app, &token, "PUT", &path("waterLevel"), JSON, Some(json!({"type": "Relationship", "object": "urn:ngsi-ld:River:solo"})))
                .await;
        assert_eq!(status, 204, "{} {p}", app.label);
        // One instance of a multi-attribute, by its datasetId.
        let instance = json!({"type": "Property", "value": 870, "datasetId": "urn:ngsi-ld:Dataset:pjt"});
        let (status, _, p) = call(&app, &token, "PUT", &path("flow"), JSON, Some(instance)).await;
        assert_eq!(status, 204, "{p}");
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}?options=sysAttrs"), "", None).await;
        assert_eq!(e["waterLevel"]["object"], "urn:ngsi-ld:River:solo", "{e}");
        assert!(e["waterLevel"].get("unitCode").is_none(), "{e}");
        assert_eq!(e["waterLevel"]["createdAt"], before["waterLevel"]["createdAt"]);
        assert_eq!(e["flow"][0]["value"], 900);
        assert_eq!(e["flow"][1]["value"], 870);
        assert!(e["flow"][1].get("source").is_none(), "{e}");
        assert_eq!(e["flow"][1]["createdAt"], before["flow"][1]["createdAt"]);

        // What the entity lacks, scope, a name that is none, an entity that does not exist.
        let any = json!({"type": "Property", "value": 1});
        for (attr, status_wanted) in [("name", 404), ("scope", 400), ("@invalid", 400)] {
            let (status, _, p) = call(&app, &token, "PUT", &path(attr), JSON, Some(any.clone())).await;
            assert_eq!(status, status_wanted, "{attr}: {p}");
        }
        let other = json!({"type": "Property", "value": 1, "datasetId": "urn:ngsi-ld:Dataset:lain"});
        let (status, _, _) = call(&app, &token, "PUT", &path("flow"), JSON, Some(other)).await;
        assert_eq!(status, 404, "no instance with that datasetId");
        let (status, _, _) = call(&app, &token, "PUT", "/entities/urn:ngsi-ld:WaterObserved:tidak-ada/attrs/flow", JSON, Some(any)).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn a_batch_update_without_overwrite_reports_the_entities_that_kept_attributes() {
    for db in each_engine().await {
        let (app, token) = holding(&db, gauge()).await;
        let other = "urn:ngsi-ld:WaterObserved:lain";
        let (status, _, _) = call(&app, &token, "POST", "/entities", JSON, Some(json!({"id": other, "type": "WaterObserved"}))).await;
        assert_eq!(status, 201);
        let items = json!([
            {"id": GAUGE, "type": "WaterObserved", "waterLevel": {"type": "Property", "value": 9.0}, "flow": {"type": "Property", "value": 1}},
            {"id": other, "type": ["WaterObserved", "Gauge"], "flow": {"type": "Property", "value": 2}}
        ]);
        let (status, _, result) = call(&app, &token, "POST", "/entityOperations/update?options=noOverwrite", JSON, Some(items)).await;
        assert_eq!(status, 207, "{} {result}", app.label);
        assert_eq!(result["success"], json!([other]));
        assert_eq!(result["errors"][0]["entityId"], GAUGE);
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}?options=keyValues"), "", None).await;
        assert_eq!((e["waterLevel"].clone(), e["flow"].clone()), (json!(2.5), json!(1)), "kept, and the new one added: {e}");
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{other}?options=keyValues"), "", None).await;
        assert_eq!(e["type"], json!(["WaterObserved", "Gauge"]), "types are added by a batch update: {e}");
    }
}

#[tokio::test]
async fn a_temporal_upsert_replaces_the_instance_at_the_same_time() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        let series = |values: &[(f64, &str)]| -> Value {
            let instances: Vec<Value> = values
                .iter()
                .map(|(v, at)| json!({"type": "Property", "value": v, "observedAt": format!("2026-01-01T{at}:00Z")}))
                .collect();
            json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": instances})
        };
        let (status, _, _) = call(&app, &token, "POST", "/temporal/entities", JSON, Some(series(&[(2.0, "01:00"), (2.5, "02:00")]))).await;
        assert_eq!(status, 201, "{}", app.label);
        let (status, _, _) = call(&app, &token, "POST", "/temporal/entities", JSON, Some(series(&[(2.1, "01:00"), (3.0, "03:00")]))).await;
        assert_eq!(status, 204);
        let (_, _, t) = call(&app, &token, "GET", &format!("/temporal/entities/{GAUGE}?options=temporalValues"), "", None).await;
        assert_eq!(
            t["waterLevel"]["values"],
            json!([[2.1, "2026-01-01T01:00:00Z"], [2.5, "2026-01-01T02:00:00Z"], [3.0, "2026-01-01T03:00:00Z"]]),
            "{t}"
        );
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}?options=keyValues"), "", None).await;
        assert_eq!(e["waterLevel"], 3.0);
    }
}

#[tokio::test]
async fn names_and_instance_ids_in_paths_are_checked_before_routing() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        let body = json!({"id": GAUGE, "type": "WaterObserved", "waterLevel": [{"type": "Property", "value": 2.0, "observedAt": "2026-01-01T01:00:00Z"}]});
        let (status, _, _) = call(&app, &token, "POST", "/temporal/entities", JSON, Some(body)).await;
        assert_eq!(status, 201);
        let fragment = json!({"type": "Property", "value": 1.0});
        for (method, path) in [
            ("DELETE", format!("/temporal/entities/{GAUGE}/attrs/invalid(Name")),
            ("DELETE", format!("/temporal/entities/{GAUGE}/attrs/waterLevel/invalidId")),
            ("PATCH", format!("/temporal/entities/{GAUGE}/attrs/waterLevel/invalidId")),
            ("PATCH", format!("/temporal/entities/{GAUGE}/attrs/invalid(Id/urn:ngsi-ld:Instance:1")),
            ("PATCH", format!("/entities/{GAUGE}/attrs/invalid(Name")),
            // A dot segment escaped twice (once, the client resolves it itself).
            ("DELETE", format!("/temporal/entities/{GAUGE}/attrs/%252e%252e")),
            ("DELETE", format!("/temporal/entities/{GAUGE}/attrs/%252e")),
            // scope is no attribute to update partially.
            ("PATCH", format!("/entities/{GAUGE}/attrs/scope")),
        ] {
            let (status, _, p) = call(&app, &token, method, &path, JSON, Some(fragment.clone())).await;
            assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{} {method} {path}: {p}", app.label);
        }
        // A URI that names no instance is still 404.
        let (status, _, _) =
            call(&app, &token, "DELETE", &format!("/temporal/entities/{GAUGE}/attrs/waterLevel/urn:ngsi-ld:Instance:1"), "", None).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn the_type_parameter_selects_the_entity_an_attribute_write_changes() {
    for db in each_engine().await {
        let (app, token) = holding(&db, gauge()).await;
        let value = json!({"type": "Property", "value": 7.0});
        let writes = [
            ("POST", format!("/entities/{GAUGE}/attrs"), json!({"waterLevel": value})),
            ("PATCH", format!("/entities/{GAUGE}/attrs"), json!({"waterLevel": value})),
            ("PATCH", format!("/entities/{GAUGE}/attrs/waterLevel"), json!({"value": 7.0})),
            ("PUT", format!("/entities/{GAUGE}/attrs/waterLevel"), value.clone()),
            ("DELETE", format!("/entities/{GAUGE}/attrs/waterLevel"), Value::Null),
        ];
        for (method, path, body) in &writes {
            let body = (!body.is_null()).then(|| body.clone());
            let (status, _, p) = call(&app, &token, method, &format!("{path}?type=Building"), JSON, body).await;
            assert_eq!(status, 404, "{} {method} {path}: {p}", app.label);
        }
        let (_, _, e) = call(&app, &token, "GET", &format!("/entities/{GAUGE}?options=keyValues"), "", None).await;
        assert_eq!(e["waterLevel"], 2.5, "nothing written: {e}");
        for (method, path, body) in writes {
            let body = (!body.is_null()).then_some(body);
            let (status, _, p) = call(&app, &token, method, &format!("{path}?type=WaterObserved"), JSON, body).await;
            assert_eq!(status, 204, "{method} {path}: {p}");
        }
        // The entity's delete too.
        let (status, _, _) = call(&app, &token, "DELETE", &format!("/entities/{GAUGE}?type=Building"), "", None).await;
        assert_eq!(status, 404);
        let (status, _, _) = call(&app, &token, "DELETE", &format!("/entities/{GAUGE}?type=WaterObserved"), "", None).await;
        assert_eq!(status, 204);
    }
}

#[tokio::test]
async fn unanswerable_accepts_are_refused_before_routing() {
    for db in each_engine().await {
        let (app, _) = holding(&db, gauge()).await;
        let get = |path: &str, accept: &str| {
            let request = app.client.get(app.url(&format!("{LD}{path}"))).header("accept", accept.to_string());
            async move { request.send().await.unwrap().status().as_u16() }
        };
        // Paths Pendopo does not serve are refused for their Accept first (6.3.4).
        assert_eq!(get("/csourceRegistrations?type=Building", "application/xml").await, 406, "{}", app.label);
        // GeoJSON answers only entities.
        assert_eq!(
            get("/temporal/entities?type=WaterObserved&timerel=after&timeAt=2020-08-01T12:05:00Z", "application/geo+json").await,
            406
        );
        assert_eq!(get("/subscriptions/urn:ngsi-ld:Subscription:x", "application/geo+json").await, 406);
        assert_eq!(get("/types", "application/geo+json").await, 406);
        assert_eq!(get(&format!("/entities/{GAUGE}"), "application/geo+json").await, 200);
        assert_eq!(get("/entities?type=WaterObserved", "application/geo+json").await, 200);
        assert_eq!(get("/temporal/entities?type=WaterObserved&timerel=after&timeAt=2020-08-01T12:05:00Z", "application/json").await, 200);
    }
}

#[tokio::test]
async fn a_type_that_is_a_keyword_and_a_batch_with_two_contexts_are_refused() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let token = writer(&app).await;
        let core = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld";
        let keyword = json!({"id": GAUGE, "type": "type", "@context": [core]});
        let (status, _, p) = call(&app, &token, "POST", "/entities", "application/ld+json", Some(keyword)).await;
        assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{} {p}", app.label);
        // JSON-LD items and a Link header: 400 for the whole batch.
        let items = json!([{"id": GAUGE, "type": "WaterObserved", "@context": core}]);
        let link = format!("<{core}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        let r = app
            .client
            .post(app.url(&format!("{LD}/entityOperations/create")))
            .header("authorization", &token)
            .header("content-type", "application/ld+json")
            .header("link", link)
            .body(items.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], BAD_REQUEST_DATA);
        // The NGSI-LD Null has nothing to delete in a new entity, nested or not.
        for probe in [
            json!({"type": "Property", "value": "urn:ngsi-ld:null"}),
            json!({"type": "Relationship", "object": "urn:ngsi-ld:null"}),
            json!({"type": "Property", "value": 1, "sub": {"type": "Property", "value": "urn:ngsi-ld:null"}}),
        ] {
            let entity = json!({"id": GAUGE, "type": "WaterObserved", "probe": probe});
            let (status, _, p) = call(&app, &token, "POST", "/entities", JSON, Some(entity)).await;
            assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{probe}: {p}");
        }
        // A null item fails the whole batch.
        let items = json!([{"id": GAUGE, "type": "WaterObserved"}, null]);
        let (status, _, p) = call(&app, &token, "POST", "/entityOperations/create", JSON, Some(items)).await;
        assert_eq!((status, p["type"].clone()), (400, json!(BAD_REQUEST_DATA)), "{p}");
        let (status, _, _) = call(&app, &token, "GET", &format!("/entities/{GAUGE}"), "", None).await;
        assert_eq!(status, 404, "nothing created");
    }
}
