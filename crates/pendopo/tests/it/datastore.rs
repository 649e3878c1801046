//! The datastore: uploaded tables loaded all or nothing, typed, searchable
//! through CKAN's datastore_search, previewed and dumped.

use serde_json::{Value, json};

use crate::common::{PASSWORD, TestApp, each_engine, said_up_to, spawn_app};

const PADI: &str = "kode_kecamatan,kecamatan,luas_panen_ha,produksi_ton,panen_raya\n\
35.22.01,Ngraho,2100,12600.5,2024-03-10\n\
35.22.02,Tambakrejo,1800,10100.25,2024-03-12\n\
35.22.16,Kalitidu,2500,15250,2024-03-09\n\
35.22.15,Bojonegoro,300,1600,\n";

async fn setup(app: &TestApp) -> (TestApp, String) {
    pendopo::slices::setup_tenant(&app.store, crate::common::REGION).await.unwrap();
    app.add_org("dinas-pertanian").await;
    let walidata = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
    let token = app.token_for(&walidata).await;
    let browser = app.another_browser();
    assert_eq!(browser.login("walidata@bojonegorokab.go.id", PASSWORD).await.status(), 303);
    let csrf = browser.csrf("/dataset/new").await;
    let r = browser
        .post_form("/dataset", &[("title", "Produksi Padi"), ("name", "produksi-padi"), ("owner_org", "dinas-pertanian"), ("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), 303);
    // Published, so anyone may query it.
    let csrf = browser.csrf("/dataset/produksi-padi").await;
    assert_eq!(browser.post_form("/dataset/produksi-padi/publish", &[("csrf", &csrf)]).await.status(), 303);
    (browser, token)
}

/// The CSV uploaded as a resource of the dataset; its id.
async fn padi_resource(browser: &TestApp) -> String {
    let r = upload(browser, "/dataset/produksi-padi/resource", PADI.as_bytes(), "padi.csv").await;
    r.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().to_string()
}

/// `datastore_search_sql` as an anonymous caller: status and body.
async fn search_sql(app: &TestApp, q: &str) -> (u16, String) {
    let r = crate::common::client().post(app.url("/api/3/action/datastore_search_sql")).json(&json!({"sql": q})).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn upload(browser: &TestApp, path: &str, bytes: &[u8], filename: &'static str) -> reqwest::Response {
    let csrf = browser.csrf("/dataset/produksi-padi").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .part("upload", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(filename));
    browser.client.post(browser.url(path)).multipart(form).send().await.unwrap()
}

/// A CKAN action called with an API token: status and body.
async fn action(app: &TestApp, token: &str, name: &str, body: Value) -> (u16, Value) {
    let r = crate::common::client()
        .post(app.url(&format!("/api/3/action/{name}")))
        .header("authorization", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn search(app: &TestApp, body: Value) -> (u16, Value) {
    let r = crate::common::client().post(app.url("/api/3/action/datastore_search")).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn an_uploaded_csv_becomes_a_typed_searchable_table() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (browser, _) = setup(&app).await;
        let r = upload(&browser, "/dataset/produksi-padi/resource", PADI.as_bytes(), "padi.csv").await;
        assert_eq!(r.status(), 303, "{}", app.label);
        let page = r.headers()["location"].to_str().unwrap().to_string();
        let rid = page.rsplit('/').next().unwrap().to_string();
        let (_, html) = browser.get_text(&page).await;
        assert!(html.contains("4 baris") && html.contains("Kalitidu"), "preview with the row count");
        assert!(html.contains(r#"<option value="numeric" selected>"#), "produksi_ton detected as numeric");
        // A chart of the first label column against the first number column, and one chosen.
        assert!(html.contains(r#"role="img""#) && html.matches("<rect").count() == 4, "a bar per row");
        assert!(html.contains("Ngraho: 2.100"), "values as text in the chart's description");
        let (_, html) = browser.get_text(&format!("{page}?chart=line&x=kecamatan&y=produksi_ton")).await;
        assert!(html.contains("<polyline") && html.contains("Kalitidu: 15.250"), "{html}");

        let (status, v) = search(&app, json!({"resource_id": rid})).await;
        assert_eq!(status, 200, "{v}");
        let result = &v["result"];
        assert_eq!(result["total"], 4);
        let types: Vec<(&str, &str)> =
            result["fields"].as_array().unwrap().iter().map(|f| (f["id"].as_str().unwrap(), f["type"].as_str().unwrap())).collect();
        assert_eq!(
            types,
            [
                ("_id", "int"),
                ("kode_kecamatan", "text"),
                ("kecamatan", "text"),
                ("luas_panen_ha", "int8"),
                ("produksi_ton", "numeric"),
                ("panen_raya", "date")
            ]
        );
        assert_eq!(
            result["records"][0],
            json!({"_id": 1, "kode_kecamatan": "35.22.01", "kecamatan": "Ngraho", "luas_panen_ha": 2100, "produksi_ton": 12600.5, "panen_raya": "2024-03-10"})
        );
        assert!(result["records"][3]["panen_raya"].is_null(), "empty cells are NULL");

        let (_, v) = search(&app, json!({"resource_id": rid, "filters": {"kecamatan": ["Kalitidu", "Ngraho"]}, "sort": "luas_panen_ha desc", "fields": ["kecamatan", "luas_panen_ha"]})).await;
        assert_eq!(v["result"]["total"], 2);
        assert_eq!(
            v["result"]["records"],
            json!([{"kecamatan": "Kalitidu", "luas_panen_ha": 2500}, {"kecamatan": "Ngraho", "luas_panen_ha": 2100}])
        );
        let (_, v) = search(&app, json!({"resource_id": rid, "filters": {"luas_panen_ha": 1800}})).await;
        assert_eq!(v["result"]["records"][0]["kecamatan"], "Tambakrejo", "a typed equality filter");
        let (_, v) = search(&app, json!({"resource_id": rid, "q": "bojo", "records_format": "lists", "include_total": false})).await;
        assert_eq!(v["result"]["records"], json!([[4, "35.22.15", "Bojonegoro", 300, 1600.0, null]]));
        assert!(v["result"].get("total").is_none());
        let (_, v) =
            search(&app, json!({"resource_id": rid, "limit": 2, "offset": 1, "records_format": "csv", "fields": "kecamatan"})).await;
        assert_eq!(v["result"]["records"], "Tambakrejo\nKalitidu\n");
        assert!(v["result"]["_links"]["next"].as_str().unwrap().contains("offset=3"));
        assert_eq!(v["result"]["next_page"], v["result"]["_links"]["next"]);
        // GET with filters as JSON text, as CKAN clients send them.
        let got: Value = app
            .get(&format!("/api/3/action/datastore_search?resource_id={rid}&filters=%7B%22kecamatan%22%3A%22Ngraho%22%7D"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(got["result"]["total"], 1);

        let (status, v) = search(&app, json!({"resource_id": rid, "filters": {"tidak_ada": 1}})).await;
        assert_eq!(status, 409);
        assert_eq!(v["error"]["__type"], "Validation Error");
        let (status, v) = search(&app, json!({"resource_id": rid, "limit": 40000})).await;
        assert_eq!((status, v["error"]["__type"].as_str()), (409, Some("Validation Error")));
        let (status, _) = search(&app, json!({"resource_id": "tidak-ada"})).await;
        assert_eq!(status, 404);

        // Dumps, as CKAN serves them: `_id` first (a whole-table dump is in dump_formats_are_ckans).
        let csv = app.get(&format!("/datastore/dump/{rid}?format=csv")).await.text().await.unwrap();
        assert!(
            csv.starts_with(
                "_id,kode_kecamatan,kecamatan,luas_panen_ha,produksi_ton,panen_raya\n1,35.22.01,Ngraho,2100,12600.5,2024-03-10\n"
            ),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 5);
        assert_eq!(app.get(&format!("/datastore/dump/{rid}?format=pdf")).await.status(), 400);
        // XLSX, read back with the same reader uploads go through.
        let xlsx = app.get(&format!("/datastore/dump/{rid}?format=xlsx")).await.bytes().await.unwrap();
        let mut book = tabular::Workbook::open(std::io::Cursor::new(xlsx.to_vec())).unwrap();
        let schema = book.analyze(&tabular::SheetSelector::First, &Default::default()).unwrap();
        assert_eq!(schema.rows, 4);
        let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["kode_kecamatan", "kecamatan", "luas_panen_ha", "produksi_ton", "panen_raya"]);
        assert_eq!(schema.columns[2].ty, tabular::ColumnType::Integer);
    }
}

#[tokio::test]
async fn bad_tables_are_refused_with_line_and_column_and_nothing_changes() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (browser, _) = setup(&app).await;
        let ragged = "a,b\n1,2\n3\n";
        let r = upload(&browser, "/dataset/produksi-padi/resource", ragged.as_bytes(), "rusak.csv").await;
        assert_eq!(r.status(), 422, "{}", app.label);
        let html = r.text().await.unwrap();
        assert!(html.contains(&said_up_to("datastore.rejected", &[("line", "3")], "column")), "{html}");
        let (_, v) = search(&app, json!({"resource_id": "x"})).await;
        assert_eq!(v["success"], false);
        let show: Value = app.get("/api/3/action/package_show?id=produksi-padi").await.json().await.unwrap();
        assert_eq!(show["result"]["resources"], json!([]), "no resource was recorded");

        // A good file, then a type the data does not fit: refused, the table stays.
        let r = upload(&browser, "/dataset/produksi-padi/resource", PADI.as_bytes(), "padi.csv").await;
        let page = r.headers()["location"].to_str().unwrap().to_string();
        let csrf = browser.csrf(&page).await;
        let r = browser.post_form(&format!("{page}/types"), &[("type:produksi_ton", "int"), ("csrf", &csrf)]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("baris 2, kolom produksi_ton"), "where the value is: {html}");
        let rid = page.rsplit('/').next().unwrap();
        let (_, v) = search(&app, json!({"resource_id": rid, "fields": ["produksi_ton"], "limit": 1})).await;
        assert_eq!(v["result"]["records"][0]["produksi_ton"], 12600.5, "the old table is untouched");
        // A type the data fits: the table is reloaded with it.
        let r = browser
            .post_form(&format!("{page}/types"), &[("type:kode_kecamatan", "text"), ("type:luas_panen_ha", "numeric"), ("csrf", &csrf)])
            .await;
        assert_eq!(r.status(), 303);
        let (_, v) = search(&app, json!({"resource_id": rid, "fields": ["luas_panen_ha"], "limit": 1})).await;
        assert_eq!(v["result"]["fields"][0]["type"], "numeric");
        assert_eq!(v["result"]["records"][0]["luas_panen_ha"], 2100.0);
    }
}

#[tokio::test]
async fn datastore_search_sql_reads_only_datastore_tables() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (browser, _) = setup(&app).await;
        let rid = padi_resource(&browser).await;
        let sql = |q: String| {
            let app = &app;
            async move {
                let (status, body) = search_sql(app, &q).await;
                (status, serde_json::from_str::<Value>(&body).unwrap())
            }
        };
        let (status, v) =
            sql(format!(r#"SELECT kecamatan, produksi_ton FROM "{rid}" WHERE luas_panen_ha >= 2000 ORDER BY produksi_ton DESC"#)).await;
        assert_eq!(status, 200, "{} {v}", app.label);
        assert_eq!(
            v["result"]["records"],
            json!([{"kecamatan": "Kalitidu", "produksi_ton": 15250.0}, {"kecamatan": "Ngraho", "produksi_ton": 12600.5}])
        );
        let (_, v) = sql(format!(r#"SELECT count(*) AS n, sum(luas_panen_ha) AS luas FROM "{rid}""#)).await;
        assert_eq!(v["result"]["records"][0]["n"], 4, "{v}");
        assert_eq!(v["result"]["records"][0]["luas"], 6700);
        let (_, v) = sql(format!(r#"SELECT * FROM "{rid}" LIMIT 1"#)).await;
        let names: Vec<&str> = v["result"]["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["_id", "kode_kecamatan", "kecamatan", "luas_panen_ha", "produksi_ton", "panen_raya"],
            "the file's names, not the storage's"
        );

        // Said in the caller's language (Indonesian here), from the catalogue.
        let said = |key: &str, args: &[(&str, String)]| pendopo::web::ui::Catalog::embedded().text(pendopo::web::ui::Lang::Id, key, args);
        for (q, expected) in [
            (format!(r#"DELETE FROM "{rid}""#), Some(said("ckan.sql_read_only", &[]))),
            ("SELECT * FROM users".to_string(), Some(said("ckan.sql_table", &[("table", "users".into())]))),
            ("SELECT * FROM sqlite_master".to_string(), Some(said("ckan.sql_table", &[("table", "sqlite_master".into())]))),
            (format!(r#"SELECT pg_sleep(5) FROM "{rid}""#), Some(said("ckan.sql_function", &[("name", "pg_sleep".into())]))),
            // The database's own words about a column that does not exist.
            (format!(r#"SELECT nama FROM "{rid}""#), None),
        ] {
            let (status, v) = sql(q.clone()).await;
            assert_eq!(status, 409, "{q}: {v}");
            assert_eq!(v["error"]["__type"], "Validation Error");
            let message = v["error"]["query"][0].as_str().unwrap();
            match expected {
                Some(text) => assert_eq!(message, text, "{q}"),
                None => assert!(message.starts_with(&said("ckan.sql_failed", &[("detail", String::new())])), "{q}: {message}"),
            }
        }
        let (status, _) = sql(r#"SELECT * FROM "00000000-0000-0000-0000-000000000000""#.to_string()).await;
        assert_eq!(status, 404);
    }
}

/// The review's attacks on `datastore_search_sql`: none reads a table other
/// than the datastore's, runs a second statement or writes; abandoned slow
/// queries leave the server able to write and `/healthz` truthful.
#[tokio::test]
async fn datastore_search_sql_cannot_be_talked_into_reading_or_writing_anything_else() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (browser, _) = setup(&app).await;
        let rid = padi_resource(&browser).await;
        let post = |q: String| {
            let app = &app;
            async move { search_sql(app, &q).await }
        };
        for q in [
            format!(r#"SELECT E'\' , email, password_hash FROM (SELECT 1 AS E), users --' FROM "{rid}""#),
            format!(r#"SELECT 1 FROM "{rid}"; PRAGMA query_only=0; INSERT INTO api_tokens (tenant_id) VALUES ('x')"#),
            format!(r#"SELECT * FROM "{rid}" WHERE 1 = 1); ATTACH DATABASE '/tmp/pendopo-evil.db' AS evil; SELECT (1"#),
            format!(r#"SELECT (SELECT password_hash FROM users LIMIT 1) FROM "{rid}""#),
            format!(r#"SELECT $$x$$ FROM "{rid}""#),
        ] {
            let (status, body) = post(q.clone()).await;
            assert_eq!(status, 409, "{} {q}: {body}", app.label);
            assert!(!body.contains("argon2") && !body.contains("@"), "no account data: {body}");
        }
        assert!(!std::path::Path::new("/tmp/pendopo-evil.db").exists());

        // Eight slow queries abandoned half-way, as a client that gives up.
        let from: Vec<String> = (0..10).map(|i| format!(r#""{rid}" t{i}"#)).collect();
        let slow = format!("SELECT count(*) FROM {}", from.join(", "));
        let quick = reqwest::Client::builder().timeout(std::time::Duration::from_millis(30)).build().unwrap();
        let mut abandoned = tokio::task::JoinSet::new();
        for _ in 0..8 {
            abandoned.spawn(quick.post(app.url("/api/3/action/datastore_search_sql")).json(&json!({"sql": slow})).send());
        }
        while let Some(r) = abandoned.join_next().await {
            assert!(r.unwrap().is_err(), "the client gave up");
        }
        // Pages still write (signing in stores a session) and /healthz says so.
        let another = app.another_browser();
        assert_eq!(another.login("walidata@bojonegorokab.go.id", PASSWORD).await.status(), 303, "{}", app.label);
        let health: Value = app.get("/healthz").await.json().await.unwrap();
        assert_eq!(health["status"], "ok", "{health}");
    }
}

/// An upload whose process dies after the file is recorded but before its
/// table is loaded: the job queued with the record loads it; run again, it
/// does nothing.
#[tokio::test]
async fn an_upload_cut_off_before_its_table_is_loaded_by_its_job() {
    use pendopo::kernel::files::InMemory;
    use pendopo::slices::catalog::{datastore, repo};
    for db in each_engine().await {
        let app = crate::common::spawn(&db, |c| pendopo::web::WebConfig { run_jobs: false, ..c }).await;
        setup(&app).await;
        let walidata = pendopo::kernel::identity::find_user_by_email(&app.store, crate::common::REGION, "walidata@bojonegorokab.go.id")
            .await
            .unwrap()
            .unwrap();
        let saved = app.state.files.save("35.22/x/padi.csv", InMemory(Some(PADI.as_bytes().to_vec().into())), 1 << 20).await.unwrap();
        let up = repo::Upload {
            resource_id: None,
            name: "Padi".into(),
            description: String::new(),
            format: String::new(),
            filename: "padi.csv".into(),
            saved,
        };
        // Only the record, as if the process had died right after it.
        let r = repo::record_upload(&app.store, crate::common::REGION, &walidata, "produksi-padi", up).await.unwrap();
        assert!(datastore::table(&app.store, crate::common::REGION, &r.id).await.unwrap().is_none(), "{}: no table yet", app.label);
        assert!(app.drain_jobs().await >= 1);
        let table = datastore::table(&app.store, crate::common::REGION, &r.id).await.unwrap().expect("loaded by the job");
        assert_eq!(table.row_count, 4, "{}", app.label);
        let again = datastore::load_if_stale(&app.store, &app.state.files, crate::common::REGION, &r.id).await.unwrap();
        assert!(!again, "a current table is not loaded again");
    }
}

/// Tables made and changed through the API, as sensor feeds and scripts do;
/// they survive `db copy` though no file holds them.
#[tokio::test]
async fn datastore_create_upsert_delete_through_the_api() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (_, token) = setup(&app).await;
        let call = |name: &'static str, body: Value| action(&app, &token, name, body);
        let (status, v) = call(
            "datastore_create",
            json!({"resource": {"package_id": "produksi-padi", "name": "Tinggi muka air"}, "primary_key": "pos",
                   "fields": [{"id": "pos", "type": "text"}, {"id": "tinggi_m", "type": "numeric"}, {"id": "waktu", "type": "timestamp"}],
                   "records": [{"pos": "Bojonegoro", "tinggi_m": 12.1, "waktu": "2024-12-01T09:00:00+07:00"}]}),
        )
        .await;
        assert_eq!(status, 200, "{} {v}", app.label);
        let rid = v["result"]["resource_id"].as_str().unwrap().to_string();
        let (status, v) = call(
            "datastore_upsert",
            json!({"resource_id": rid, "records": [{"pos": "Bojonegoro", "tinggi_m": 13.2}, {"pos": "Karangnongko", "tinggi_m": 29.1}]}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let (_, v) = search(&app, json!({"resource_id": rid, "sort": "pos"})).await;
        assert_eq!(v["result"]["total"], 2);
        assert_eq!(v["result"]["records"][0]["tinggi_m"], 13.2, "the key's row was updated, not added");
        assert_eq!(v["result"]["records"][0]["waktu"], "2024-12-01T09:00:00+07:00", "fields not sent are kept");

        let (status, v) = call("datastore_upsert", json!({"resource_id": rid, "records": [{"pos": "Kanor", "tinggi_m": "tinggi"}]})).await;
        assert_eq!(status, 409, "a value of the wrong type: {v}");
        assert!(v["error"]["records"][0].as_str().unwrap().contains(&said_up_to("datastore.record", &[("n", "1")], "reason")), "{v}");
        let (status, _) =
            call("datastore_upsert", json!({"resource_id": rid, "method": "update", "records": [{"pos": "Tidak Ada", "tinggi_m": 1}]}))
                .await;
        assert_eq!(status, 409, "update needs an existing key");
        let (_, v) = search(&app, json!({"resource_id": rid})).await;
        assert_eq!(v["result"]["total"], 2, "failed writes changed nothing");
        // CKAN's datastore_info: its size and its columns with their types.
        let (status, v) = call("datastore_info", json!({"id": rid})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["meta"]["count"], 2);
        let fields: Vec<&str> = v["result"]["fields"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert_eq!(fields, ["pos", "tinggi_m", "waktu"]);

        let (status, _) = crate::common::client()
            .post(app.url("/api/3/action/datastore_upsert"))
            .json(&json!({"resource_id": rid, "records": []}))
            .send()
            .await
            .map(|r| (r.status().as_u16(), ()))
            .unwrap();
        assert_eq!(status, 403, "anonymous writes are refused");

        // A copy to another store carries the API-made table over.
        let target = crate::common::sqlite_db();
        let to = pendopo::store::Store::connect(&target.url).await.unwrap();
        pendopo::kernel::db_copy::copy(&app.store, &to, &pendopo::slices::copied_tables(), |_, _, _| {}).await.unwrap();
        pendopo::slices::rebuild_derived(&app.store, &to, &pendopo::kernel::files::FileStore::new(app.files.path().join("files")))
            .await
            .unwrap();
        let t = pendopo::slices::catalog::datastore::table(&to, crate::common::REGION, &rid).await.unwrap().unwrap();
        assert_eq!(t.row_count, 2, "copied row by row ({})", app.label);

        let (status, _) = call("datastore_delete", json!({"resource_id": rid, "filters": {"pos": "Karangnongko"}})).await;
        assert_eq!(status, 200);
        let (_, v) = search(&app, json!({"resource_id": rid})).await;
        assert_eq!(v["result"]["total"], 1);
        call("datastore_delete", json!({"resource_id": rid})).await;
        let (status, _) = search(&app, json!({"resource_id": rid})).await;
        assert_eq!(status, 404, "the whole table is gone");
    }
}

#[tokio::test]
async fn an_uploaded_xlsx_is_loaded_like_a_csv() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let (browser, _) = setup(&app).await;
    // A workbook as office software writes it, made here with a real XLSX writer.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["kecamatan", "jumlah_sekolah", "rasio"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (k, n, x)) in [("Ngraho", 31.0, 0.52), ("Kalitidu", 28.0, 0.47)].iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *k).unwrap();
        sheet.write_number(r, 1, *n).unwrap();
        sheet.write_number(r, 2, *x).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let r = upload(&browser, "/dataset/produksi-padi/resource", &bytes, "sekolah.xlsx").await;
    assert_eq!(r.status(), 303);
    let rid = r.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().to_string();
    let (_, v) = search(&app, json!({"resource_id": rid})).await;
    let types: Vec<&str> = v["result"]["fields"].as_array().unwrap().iter().map(|f| f["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["int", "text", "int8", "numeric"]);
    assert_eq!(v["result"]["records"][1], json!({"_id": 2, "kecamatan": "Kalitidu", "jumlah_sekolah": 28, "rasio": 0.47}));
}

/// A dump's body and the two headers CKAN sets.
async fn dump(app: &TestApp, rid: &str, query: &str) -> (u16, String, String, Vec<u8>) {
    let r = app.get(&format!("/datastore/dump/{rid}?{query}")).await;
    let header = |h: &str| r.headers().get(h).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let (ty, disposition) = (header("content-type"), header("content-disposition"));
    (r.status().as_u16(), ty, disposition, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn dump_formats_are_ckans() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (browser, _) = setup(&app).await;
        let rid = padi_resource(&browser).await;

        let (status, ty, disposition, body) = dump(&app, &rid, "format=csv&bom=true").await;
        assert_eq!((status, ty.as_str()), (200, "text/csv; charset=utf-8"), "{}", app.label);
        assert_eq!(disposition, format!("attachment; filename=\"{rid}.csv\""));
        assert!(body.starts_with("\u{feff}_id,kode_kecamatan,".as_bytes()), "a UTF-8 BOM first when asked");
        let (_, _, _, body) = dump(&app, &rid, "format=csv&limit=2&offset=1").await;
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "_id,kode_kecamatan,kecamatan,luas_panen_ha,produksi_ton,panen_raya\n\
             2,35.22.02,Tambakrejo,1800,10100.25,2024-03-12\n3,35.22.16,Kalitidu,2500,15250.0,2024-03-09\n"
        );

        let (_, ty, disposition, body) = dump(&app, &rid, "format=tsv&limit=1").await;
        assert_eq!(ty, "text/tab-separated-values; charset=utf-8");
        assert!(disposition.ends_with(".tsv\""));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "_id\tkode_kecamatan\tkecamatan\tluas_panen_ha\tproduksi_ton\tpanen_raya\n1\t35.22.01\tNgraho\t2100\t12600.5\t2024-03-10\n"
        );

        let (_, ty, _, body) = dump(&app, &rid, "format=json&offset=2").await;
        assert_eq!(ty, "application/json; charset=utf-8");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("{\n  \"fields\": [{\"id\":\"_id\",\"type\":\"int\"},") && text.ends_with("\n]}\n"), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["fields"][3], json!({"id": "luas_panen_ha", "type": "int8"}));
        assert_eq!(
            v["records"],
            json!([[3, "35.22.16", "Kalitidu", 2500, 15250.0, "2024-03-09"], [4, "35.22.15", "Bojonegoro", 300, 1600.0, null]])
        );

        let (_, ty, _, body) = dump(&app, &rid, "format=xml&offset=3").await;
        assert_eq!(ty, "text/xml; charset=utf-8");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "<data xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<row _id=\"4\"><kode_kecamatan>35.22.15</kode_kecamatan>\
             <kecamatan>Bojonegoro</kecamatan><luas_panen_ha>300</luas_panen_ha><produksi_ton>1600.0</produksi_ton>\
             <panen_raya xsi:nil=\"true\" /></row>\n</data>\n"
        );

        // An empty slice is still a whole document.
        let (_, _, _, body) = dump(&app, &rid, "format=json&limit=0").await;
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["records"], json!([]));

        for bad in ["format=pdf", "limit=abc", "limit=-1", "offset=x"] {
            let (status, _, _, body) = dump(&app, &rid, bad).await;
            assert_eq!(status, 400, "{bad}");
            let text = String::from_utf8_lossy(&body);
            assert!(text.contains("pdf") || text.contains("bilangan bulat"), "{bad}: the reason is said: {text}");
        }
    }
}

#[tokio::test]
async fn a_big_table_dumps_across_pages_without_gaps() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (_, token) = setup(&app).await;
        // Made through the API in chunks: an upload of this size is over the test server's limit.
        let (app, token) = (&app, &token);
        let call = |name: &'static str, body: Value| async move {
            let (status, v) = action(app, token, name, body).await;
            assert_eq!(status, 200, "{name}: {v}");
            v
        };
        let v = call(
            "datastore_create",
            json!({"resource": {"package_id": "produksi-padi", "name": "Besar"}, "fields": [{"id": "nomor", "type": "int4"}, {"id": "nilai", "type": "int"}]}),
        )
        .await;
        let rid = v["result"]["resource_id"].as_str().unwrap().to_string();
        for chunk in (1..=12_001).collect::<Vec<i64>>().chunks(3_000) {
            let records: Vec<Value> = chunk.iter().map(|i| json!({"nomor": i, "nilai": i * 2})).collect();
            call("datastore_upsert", json!({"resource_id": rid, "method": "insert", "records": records})).await;
        }
        let (_, _, _, body) = dump(app, &rid, "format=csv").await;
        let text = String::from_utf8(body).unwrap();
        let ids: Vec<i64> = text.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
        assert_eq!(ids, (1..=12_001).collect::<Vec<_>>(), "every row once, in order, over three pages");
        let (_, _, _, body) = dump(app, &rid, "format=csv&offset=4000&limit=6000").await;
        let text = String::from_utf8(body).unwrap();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!((rows.len(), rows[0], rows[5_999]), (6_000, "4001,4001,8002", "10000,10000,20000"));
    }
}

#[tokio::test]
async fn indonesian_number_formats_load_as_numbers_on_both_engines() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (browser, _) = setup(&app).await;
        // A village budget sheet exported from a spreadsheet in an Indonesian locale.
        let bytes = include_bytes!("../../../tabular/tests/import/fixtures/realisasi_apbdes.csv");
        let r = upload(&browser, "/dataset/produksi-padi/resource", bytes, "realisasi_apbdes.csv").await;
        assert_eq!(r.status(), 303, "{}", app.label);
        let rid = r.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().to_string();
        let (_, v) = search(&app, json!({"resource_id": rid, "sort": "realisasi_rp desc", "limit": 1})).await;
        let types: Vec<&str> = v["result"]["fields"].as_array().unwrap().iter().map(|f| f["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["int", "text", "int8", "numeric", "numeric", "int8", "numeric"]);
        assert_eq!(
            v["result"]["records"][0],
            json!({"_id": 1, "desa": "Ngraho", "pagu_rp": 1_200_000_000i64, "realisasi_rp": 1_150_250_000.5, "persen": 95.85, "jumlah_kk": 1234, "luas_ha": 12.5}),
            "sorted as numbers, stored canonically"
        );
    }
}
