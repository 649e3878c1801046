//! The broker's writes under concurrency: partial updates arriving together
//! are merged into one transaction (`sensors::write`), yet each lands and
//! each is answered for itself.

use pendopo::store::sql;
use serde_json::json;

use crate::common::{PASSWORD, REGION, each_engine};
use crate::ngsi_ld::{Broker, gauge};

const ENTITIES: usize = 6;
const ATTRS: usize = 4;

fn id(i: usize) -> String {
    format!("urn:ngsi-ld:WaterObserved:pos-{i}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_partial_updates_all_land_and_each_is_answered_alone() {
    for db in each_engine().await {
        let b = std::sync::Arc::new(Broker::new(&db).await);
        for i in 0..ENTITIES {
            let mut e = gauge(&id(i), 1.0, 111.88, -7.15);
            for j in 0..ATTRS {
                e[format!("a{j}")] = json!({"type": "Property", "value": 0});
            }
            assert_eq!(b.send("POST", "/entities", Some(e)).await.status(), 201);
        }
        let before: i64 =
            b.app.store.fetch_scalar(sql("SELECT COUNT(*) FROM sensor_instances WHERE tenant_id = $1").bind(REGION)).await.unwrap();

        // Every attribute of every entity at once (several on one entity
        // compose), with two that must fail alone: a missing entity and a
        // missing attribute.
        let mut calls = Vec::new();
        for i in 0..ENTITIES {
            for j in 0..ATTRS {
                let b = b.clone();
                calls.push(tokio::spawn(async move {
                    let path = format!("/entities/{}/attrs/a{j}", id(i));
                    b.send("PATCH", &path, Some(json!({"value": 10 * i + j}))).await.status().as_u16()
                }));
            }
        }
        let missing = {
            let b = b.clone();
            tokio::spawn(async move {
                b.send("PATCH", "/entities/urn:ngsi-ld:WaterObserved:none/attrs/a0", Some(json!({"value": 1}))).await.status().as_u16()
            })
        };
        let no_attr = {
            let b = b.clone();
            tokio::spawn(async move {
                b.send("PATCH", &format!("/entities/{}/attrs/nothing", id(0)), Some(json!({"value": 1}))).await.status().as_u16()
            })
        };
        for c in calls {
            assert_eq!(c.await.unwrap(), 204, "{}", b.app.label);
        }
        assert_eq!(missing.await.unwrap(), 404, "{}", b.app.label);
        assert_eq!(no_attr.await.unwrap(), 404, "{}", b.app.label);

        for i in 0..ENTITIES {
            let (status, e) = b.get(&format!("/entities/{}?options=keyValues", id(i))).await;
            assert_eq!(status, 200);
            for j in 0..ATTRS {
                assert_eq!(e[format!("a{j}")], json!(10 * i + j), "{} a{j} ({})", id(i), b.app.label);
            }
            assert!(e.get("nothing").is_none());
            assert_eq!(e["waterLevel"], json!(1.0), "what no update named stays");
        }
        // One point per update, in the series of its attribute.
        let after: i64 =
            b.app.store.fetch_scalar(sql("SELECT COUNT(*) FROM sensor_instances WHERE tenant_id = $1").bind(REGION)).await.unwrap();
        assert_eq!(after - before, (ENTITIES * ATTRS) as i64, "{}", b.app.label);
        let (_, found) = b.get(&format!("/entities?type=WaterObserved&q=a3=={}", 10 * (ENTITIES - 1) + 3)).await;
        assert_eq!(crate::ngsi_ld::ids(&found), vec![id(ENTITIES - 1).as_str()], "the value index follows ({})", b.app.label);
    }
}

/// A batch upsert larger than one statement's worth of rows on either
/// engine: every entity, value and point stored once.
#[tokio::test]
async fn a_full_batch_upsert_stores_every_row_once() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        let batch: Vec<_> = (0..1000).map(|i| gauge(&id(i), i as f64, 111.0 + i as f64 / 1000.0, -7.15)).collect();
        let r = b.send("POST", "/entityOperations/upsert", Some(json!(batch))).await;
        assert_eq!(r.status(), 201, "{}", b.app.label);
        let count = |table: &'static str| {
            let store = b.app.store.clone();
            async move { store.fetch_scalar::<i64>(sql(table).bind(REGION)).await.unwrap() }
        };
        assert_eq!(count("SELECT COUNT(*) FROM sensor_entities WHERE tenant_id = $1").await, 1000);
        assert_eq!(count("SELECT COUNT(*) FROM sensor_geo WHERE tenant_id = $1").await, 1000);
        // waterLevel and name: the location is a box, not a value.
        assert_eq!(count("SELECT COUNT(*) FROM sensor_attr_values WHERE tenant_id = $1").await, 2000);
        assert_eq!(count("SELECT COUNT(*) FROM sensor_instances WHERE tenant_id = $1").await, 3000);
        let (_, found) = b.get("/entities?type=WaterObserved&q=waterLevel%3E998").await;
        assert_eq!(crate::ngsi_ld::ids(&found), vec![id(999).as_str()], "{}", b.app.label);
    }
}

/// A token is believed for a moment without being read again
/// (`identity::VerifiedTokens`), yet one revoked, or its user disabled,
/// stops writing at once; the other tokens go on.
#[tokio::test]
async fn a_revoked_token_or_a_disabled_operator_stops_writing_at_once() {
    for db in each_engine().await {
        let b = Broker::new(&db).await;
        assert_eq!(b.send("POST", "/entities", Some(gauge(&id(0), 1.0, 111.88, -7.15))).await.status(), 201);
        let path = b.app.url(&format!("/ngsi-ld/v1/entities/{}/attrs/waterLevel", id(0)));
        let patch = |token: &str| {
            b.app
                .client
                .patch(&path)
                .header("authorization", token)
                .header("content-type", "application/json")
                .body(r#"{"value": 2}"#)
                .send()
        };
        let first = b.app.add_user("pos-1@bojonegorokab.go.id", "sensor_operator", None).await;
        let second = b.app.add_user("pos-2@bojonegorokab.go.id", "sensor_operator", None).await;
        let (one, two) = (b.app.token_for(&first).await, b.app.token_for(&second).await);
        for token in [&one, &one, &two, &two] {
            assert_eq!(patch(token).await.unwrap().status(), 204, "{}", b.app.label);
        }

        // The first operator revokes their token through the API.
        let listed: serde_json::Value =
            b.app.client.get(b.app.url("/api/v1/tokens")).header("authorization", &one).send().await.unwrap().json().await.unwrap();
        let token_id = listed["tokens"][0]["id"].as_str().unwrap().to_string();
        let r = b.app.client.delete(b.app.url(&format!("/api/v1/tokens/{token_id}"))).header("authorization", &one).send().await.unwrap();
        assert_eq!(r.status(), 204, "{}", b.app.label);
        assert_eq!(patch(&one).await.unwrap().status(), 401, "revoked ({})", b.app.label);
        assert_eq!(patch(&two).await.unwrap().status(), 204, "{}", b.app.label);

        // The region admin disables the second operator on the users page.
        assert_eq!(b.app.login("bpbd@bojonegorokab.go.id", PASSWORD).await.status(), 303);
        let page = format!("/admin/users/{}", second.id);
        let csrf = b.app.csrf(&page).await;
        let fields = [("role", "sensor_operator"), ("org", ""), ("desa", ""), ("disabled", "on"), ("csrf", csrf.as_str())];
        assert_eq!(b.app.post_form(&page, &fields).await.status(), 303, "{}", b.app.label);
        assert_eq!(patch(&two).await.unwrap().status(), 401, "disabled ({})", b.app.label);
    }
}
