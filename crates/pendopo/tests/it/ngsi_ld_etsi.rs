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
