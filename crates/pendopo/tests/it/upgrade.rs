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
