//! Installations upgrade without losing data: a database made by the
//! release before the slice registry, jobs and holidays (main at d728678:
//! `init`, a user and a token, an OCDS import, an organisation, a dataset
//! with an uploaded CSV in the datastore; `tests/fixtures/`) is opened by
//! this binary, migrated, and keeps every row.

use std::collections::BTreeMap;

use pendopo::store::{Store, sql, sql_built};
use serde_json::{Value, json};

use crate::common::{PASSWORD, spawn, sqlite_db_from};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/made-by-d728678.db");
const RESOURCE: &str = "01a23b9a-e3cc-7194-bbf8-28448b6e73f3";

async fn counts(store: &Store) -> BTreeMap<String, i64> {
    let tables = store.fetch_all(sql("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).await.unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let name: String = t.at(0).unwrap();
        let n: i64 = store.fetch_scalar(sql_built(format!("SELECT count(*) FROM \"{name}\""))).await.unwrap();
        out.insert(name, n);
    }
    out
}

#[tokio::test]
async fn a_database_made_by_the_previous_release_opens_and_keeps_everything() {
    let db = sqlite_db_from(std::path::Path::new(FIXTURE));
    let before = counts(&Store::connect(&db.url).await.unwrap()).await;
    assert_eq!(before["pendopo_migrations"], 6, "the fixture is from before migration 0007");
    assert_eq!(before["ocds_releases"], 6);

    let app = spawn(&db, |c| c).await;
    let after = counts(&app.store).await;
    for (table, n) in &before {
        // Every migration since the fixture's six is recorded; no other row moves.
        let expected = if table == "pendopo_migrations" { pendopo::store::migrations().len() as i64 } else { *n };
        assert_eq!(after.get(table), Some(&expected), "{table} after the upgrade");
    }
    for new in ["jobs", "region_holidays", "service_leases"] {
        assert!(after.contains_key(new), "{new} made by the upgrade");
    }

    // What was there works as before: signing in, the process, the table.
    assert_eq!(app.login("walidata@bojonegorokab.go.id", PASSWORD).await.status(), 303);
    assert_eq!(app.get("/pengadaan/ocds-213czf-000-00001").await.status(), 200);
    let r = app.client.post(app.url("/api/3/action/datastore_search")).json(&json!({"resource_id": RESOURCE})).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["total"], 3, "{v}");
    assert_eq!(v["result"]["records"][0]["kecamatan"], "Kalitidu");
    // And what is new works on it.
    let holidays: Value = app.get("/api/v1/holidays?year=2026").await.json().await.unwrap();
    assert_eq!(holidays["working_days"], 256);
    assert_eq!(app.get("/admin/jobs").await.status(), 200);
}

const SENSORS_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sensors-made-by-3616b85.db");
/// The token `token create` gave when the fixture was made.
const SENSORS_TOKEN: &str = "pdp_NWAyxabdUlwajlgv9p9yIgMysLaPxQSU59k9j4ezFOs";

/// The ids a query of the broker answers, and its count when asked.
async fn broker_ids(app: &crate::common::TestApp, token: &str, query: &str) -> (Vec<String>, Option<String>) {
    let r = app.client.get(app.url(&format!("/ngsi-ld/v1/{query}"))).header("Authorization", token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{query}");
    let count = r.headers().get("NGSILD-Results-Count").map(|v| v.to_str().unwrap().to_string());
    let v: Value = r.json().await.unwrap();
    (v.as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect(), count)
}

/// The fixture's three entities (two gauges with a number, a text and, on
/// one, a list; a station with a number), as they were made.
fn fixture_entities() -> Value {
    json!([
        {"id": "urn:ngsi-ld:WaterObserved:bojonegoro", "type": "WaterObserved",
         "waterLevel": {"type": "Property", "value": 14.2, "observedAt": "2026-12-01T00:00:00Z"},
         "status": {"type": "Property", "value": "ok"},
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [111.88, -7.15]}}},
        {"id": "urn:ngsi-ld:WaterObserved:karangnongko", "type": "WaterObserved",
         "waterLevel": {"type": "Property", "value": 9.5, "observedAt": "2026-12-01T00:00:00Z"},
         "status": {"type": "Property", "value": "offline"},
         "tags": {"type": "Property", "value": ["upstream", "bengawan solo"]}},
        {"id": "urn:ngsi-ld:WeatherObserved:kalitidu", "type": "WeatherObserved",
         "precipitation": {"type": "Property", "value": 32.5}, "status": {"type": "Property", "value": "ok"}}
    ])
}

/// What the [`fixture_entities`] answer once migration 0035 numbered
/// their names: `q` on numbers, strings and lists, `/attributes`, and new
/// writes of a numbered name and of a new one.
async fn the_values_answer_as_before(app: &crate::common::TestApp, token: &str) {
    let label = app.label;
    let names: i64 = app.store.fetch_scalar(sql("SELECT COUNT(*) FROM sensor_attr_names")).await.unwrap();
    assert_eq!(names, 4, "waterLevel, status, tags, precipitation: one number each ({label})");
    let (gauge, upstream, station) =
        ("urn:ngsi-ld:WaterObserved:bojonegoro", "urn:ngsi-ld:WaterObserved:karangnongko", "urn:ngsi-ld:WeatherObserved:kalitidu");
    assert_eq!(broker_ids(app, token, "entities?type=WaterObserved&q=waterLevel%3E10").await.0, [gauge], "{label}");
    assert_eq!(broker_ids(app, token, "entities?q=status==%22offline%22").await.0, [upstream]);
    assert_eq!(broker_ids(app, token, "entities?q=tags==%22upstream%22").await.0, [upstream], "a list's member");
    assert_eq!(broker_ids(app, token, "entities?q=precipitation%3E30").await.0, [station]);
    let (ids, count) = broker_ids(app, token, "entities?q=waterLevel%3C100&count=true").await;
    assert_eq!((ids, count.as_deref()), (vec![gauge.to_string(), upstream.to_string()], Some("2")));
    let r = app.client.get(app.url("/ngsi-ld/v1/attributes")).header("Authorization", token).send().await.unwrap();
    let list: Value = r.json().await.unwrap();
    // In the order of their IRIs, as before: the default context's, then the core's.
    assert_eq!(list["attributeList"], json!(["precipitation", "tags", "waterLevel", "location", "status"]), "{list}");

    // A new number of a name numbered by the migration, and a new name.
    let patch = json!({"waterLevel": {"type": "Property", "value": 5.5}, "flow": {"type": "Property", "value": 120.0}});
    let r = app.client.post(app.url(&format!("/ngsi-ld/v1/entities/{gauge}/attrs"))).header("Authorization", token).json(&patch);
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let above = broker_ids(app, token, "entities?type=WaterObserved&q=waterLevel%3E10").await.0;
    assert!(above.is_empty(), "the old number is gone from the index: {above:?}");
    assert_eq!(broker_ids(app, token, "entities?q=waterLevel%3C6").await.0, [gauge]);
    assert_eq!(broker_ids(app, token, "entities?q=flow%3E100").await.0, [gauge]);
    let numbered: i64 = app
        .store
        .fetch_scalar(sql("SELECT id FROM sensor_attr_names WHERE name = 'https://uri.etsi.org/ngsi-ld/default-context/flow'"))
        .await
        .unwrap();
    assert_eq!(numbered, 5, "the next number after the migration's four");
}

/// Migration 0035 keys the value indexes by a number per attribute name:
/// on SQLite, a database made by the release before it is rebuilt with
/// every value, and answers as before.
#[tokio::test]
async fn the_brokers_values_keep_answering_q_after_the_upgrade() {
    let db = sqlite_db_from(std::path::Path::new(SENSORS_FIXTURE));
    let before = counts(&Store::connect(&db.url).await.unwrap()).await;
    assert_eq!(before["sensor_attr_values"], 7, "the fixture's values");
    assert!(!before.contains_key("sensor_attr_names"), "the fixture is from before migration 0035");

    let app = spawn(&db, |c| c).await;
    assert_eq!(counts(&app.store).await["sensor_attr_values"], 7);
    the_values_answer_as_before(&app, SENSORS_TOKEN).await;
}

/// The same on PostgreSQL, whose migration adds the numbers to the table
/// in place: the values are written by this release, the schema is taken
/// back to what the release before 0035 had, and migrating again numbers
/// them.
#[tokio::test]
async fn postgres_values_keep_answering_q_after_the_upgrade() {
    let Some(db) = crate::common::postgres_db().await else { return };
    let b = crate::ngsi_ld::Broker::new(&db).await;
    assert_eq!(b.send("POST", "/entityOperations/create", Some(fixture_entities())).await.status(), 201);
    for statement in [
        "DROP TABLE sensor_deleted_entities",
        "DROP TABLE sensor_attr_names",
        "ALTER TABLE sensor_attr_values DROP COLUMN attr",
        "CREATE INDEX sensor_attr_values_num ON sensor_attr_values (tenant_id, name, num) INCLUDE (entity_id)",
        "CREATE INDEX sensor_attr_values_txt ON sensor_attr_values (tenant_id, name, txt) INCLUDE (entity_id)",
        "DELETE FROM pendopo_migrations WHERE version >= 35",
    ] {
        b.app.store.execute(sql(statement)).await.unwrap();
    }
    assert_eq!(b.app.store.migrate().await.unwrap(), [35, 36]);
    // A server started on the upgraded database (the first one's prepared statements knew the old table).
    let app = spawn(&db, |c| c).await;
    the_values_answer_as_before(&app, &b.token).await;
}
