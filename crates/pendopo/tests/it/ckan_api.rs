//! The CKAN Action API as CKAN clients use it.

use serde_json::{Value, json};

use crate::common::{TestApp, each_engine, spawn_app};

pub async fn setup(app: &TestApp) -> (String, String) {
    pendopo::slices::setup_tenant(&app.store, crate::common::REGION).await.unwrap();
    app.add_org("dinas-pertanian").await;
    app.add_org("dishub").await;
    let walidata = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
    let editor = app.add_user("editor@pertanian.id", "editor", Some("dinas-pertanian")).await;
    (app.token_for(&walidata).await, app.token_for(&editor).await)
}

/// Calls an action: POST with a JSON body when there is one, else GET.
pub async fn action(app: &TestApp, name: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let url = app.url(&format!("/api/3/action/{name}"));
    let mut req = match &body {
        Some(b) => crate::common::client().post(url).json(b),
        None => crate::common::client().get(url),
    };
    if let Some(t) = token {
        req = req.header("authorization", t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert!(v["help"].as_str().unwrap().contains(&format!("help_show?name={name}")), "{v}");
    (status, v)
}

pub fn padi() -> Value {
    json!({
        "name": "produksi-padi-2024",
        "title": "Produksi Padi per Kecamatan 2024",
        "notes": "Luas panen dan produksi padi hasil petani di 28 kecamatan. Contoh data (demo).",
        "owner_org": "dinas-pertanian",
        "license_id": "cc-by-4.0",
        "tags": [{"name": "padi"}, {"name": "pangan"}],
        "groups": [{"name": "smart-economy"}],
        "resources": [{"name": "Produksi padi", "url": "https://example.id/padi.csv"}],
        "satudata": {"frekuensi": "tahunan", "cakupan_wilayah": "35.22", "periode_awal": "2024", "satuan": "ton", "konsep": "Produksi gabah kering giling"}
    })
}

#[tokio::test]
async fn read_actions_describe_the_portal() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        setup(&app).await;
        let (status, v) = action(&app, "status_show", None, None).await;
        assert_eq!((status, v["success"].clone()), (200, json!(true)), "{}", app.label);
        assert!(v["result"]["ckan_version"].as_str().unwrap().starts_with("2."));
        let (_, v) = action(&app, "group_list", None, None).await;
        assert_eq!(v["result"].as_array().unwrap().len(), 6, "the six smart city dimensions");
        let (_, v) = action(&app, "license_list", None, None).await;
        assert!(v["result"].as_array().unwrap().iter().any(|l| l["id"] == "cc-by-4.0"));
        let (_, v) = action(&app, "organization_list", None, None).await;
        assert_eq!(v["result"], json!(["dinas-pertanian", "dishub"]));
        let (status, v) = action(&app, "no_such_action", None, None).await;
        assert_eq!(status, 400);
        assert_eq!(v["success"], false);
        let (status, v) = action(&app, "package_show", None, Some(json!({"id": "tidak-ada"}))).await;
        assert_eq!(status, 404);
        assert_eq!(v["error"]["__type"], "Not Found Error");
    }
}

#[tokio::test]
async fn create_show_patch_update_delete_with_ckan_errors() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, _) = setup(&app).await;

        let (status, v) = action(&app, "package_create", None, Some(padi())).await;
        assert_eq!(status, 403, "{}", app.label);
        assert_eq!(v["error"]["__type"], "Authorization Error");

        let (status, v) = action(&app, "package_create", Some(&walidata), Some(padi())).await;
        assert_eq!(status, 200, "{v}");
        let d = &v["result"];
        assert_eq!(d["state"], "active");
        assert_eq!(d["satudata_state"], "published", "the walidata publishes directly");
        assert_eq!(d["organization"]["name"], "dinas-pertanian");
        assert_eq!(d["resources"][0]["format"], "CSV");
        assert_eq!(d["satudata"]["produsen_data"], "Dinas dinas-pertanian", "defaults to the organisation");
        assert_eq!(d["tags"].as_array().unwrap().len(), 2);

        let (status, v) = action(&app, "package_create", Some(&walidata), Some(padi())).await;
        assert_eq!(status, 409);
        assert_eq!(v["error"]["__type"], "Validation Error");
        assert_eq!(v["error"]["name"], json!(["Alamat URL itu sudah dipakai."]));

        let (status, v) = action(&app, "package_create", Some(&walidata), Some(json!({"name": "X Y", "license_id": "mit"}))).await;
        assert_eq!(status, 409);
        for field in ["name", "owner_org", "license_id"] {
            assert!(v["error"][field].is_array(), "{field} in {v}");
        }
        let mut outside = padi();
        outside["name"] = json!("di-luar");
        outside["satudata"]["cakupan_wilayah"] = json!("35.21");
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(outside)).await;
        assert_eq!(status, 409, "coverage outside the region: {v}");

        let (_, v) = action(&app, "package_show", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(v["result"]["title"], "Produksi Padi per Kecamatan 2024");
        let resource_id = v["result"]["resources"][0]["id"].as_str().unwrap().to_string();

        let (status, v) =
            action(&app, "package_patch", Some(&walidata), Some(json!({"id": "produksi-padi-2024", "title": "Produksi Padi 2024"}))).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["title"], "Produksi Padi 2024");
        assert_eq!(v["result"]["tags"].as_array().unwrap().len(), 2, "a patch keeps what it does not name");
        assert_eq!(v["result"]["resources"][0]["id"], resource_id.as_str(), "resources keep their ids");

        let mut full = padi();
        full["id"] = json!("produksi-padi-2024");
        full["tags"] = json!([{"name": "beras"}]);
        let (_, v) = action(&app, "package_update", Some(&walidata), Some(full)).await;
        assert_eq!(v["result"]["tags"], json!([{"name": "beras", "display_name": "beras", "state": "active"}]));
        // As in CKAN, resources sent without an id are new ones; the old one is gone.
        let new_id = v["result"]["resources"][0]["id"].as_str().unwrap().to_string();
        assert_ne!(new_id, resource_id);
        let (status, _) = action(&app, "resource_show", None, Some(json!({"id": resource_id}))).await;
        assert_eq!(status, 404);
        let (_, v) = action(&app, "resource_show", None, Some(json!({"id": new_id}))).await;
        assert_eq!(v["result"]["url"], "https://example.id/padi.csv");
        // A link a browser would run is no link (stored XSS on the resource page).
        for url in ["javascript:alert(document.cookie)", " JAVASCRIPT:alert(1)", "data:text/html,<script>x</script>"] {
            let link = json!({"package_id": "produksi-padi-2024", "name": "x", "url": url});
            let (status, v) = action(&app, "resource_create", Some(&walidata), Some(link)).await;
            assert_eq!(status, 409, "{url}: {v}");
            assert_eq!(v["error"]["__type"], "Validation Error");
        }

        let (status, _) = action(&app, "package_delete", Some(&walidata), Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 200);
        let (status, _) = action(&app, "package_show", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 404);
        let (_, v) = action(&app, "package_list", None, None).await;
        assert_eq!(v["result"], json!([]));
    }
}

#[tokio::test]
async fn drafts_and_private_datasets_stay_hidden_from_the_public() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        // A produsen data's dataset starts as a draft.
        let (status, v) = action(&app, "package_create", Some(&editor), Some(padi())).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["satudata_state"], "draft");
        // Not for another agency.
        let mut other = padi();
        other["name"] = json!("lalu-lintas");
        other["owner_org"] = json!("dishub");
        let (status, _) = action(&app, "package_create", Some(&editor), Some(other)).await;
        assert_eq!(status, 403);
        // A private one from the walidata.
        let mut private = padi();
        private["name"] = json!("data-rahasia");
        private["private"] = json!(true);
        action(&app, "package_create", Some(&walidata), Some(private)).await;

        for id in ["produksi-padi-2024", "data-rahasia"] {
            let (status, _) = action(&app, "package_show", None, Some(json!({"id": id}))).await;
            assert_eq!(status, 404, "{id} hidden from the public ({})", app.label);
        }
        let (_, v) = action(&app, "package_list", None, None).await;
        assert_eq!(v["result"], json!([]));
        let (_, v) =
            action(&app, "package_search", None, Some(json!({"q": "padi", "facet.field": ["tags"], "include_private": true}))).await;
        assert_eq!(v["result"]["count"], 0, "include_private gives strangers nothing");
        assert_eq!(v["result"]["search_facets"]["tags"]["items"], json!([]), "nor facet counts");
        let (_, v) = action(&app, "tag_list", None, None).await;
        assert_eq!(v["result"], json!([]));

        // The owners and the walidata see them when they ask.
        let (_, v) = action(&app, "package_search", Some(&walidata), Some(json!({"q": "padi", "include_private": true}))).await;
        assert_eq!(v["result"]["count"], 2);
        let (_, v) = action(&app, "package_search", Some(&editor), Some(json!({"q": "padi", "include_private": true}))).await;
        assert_eq!(v["result"]["count"], 2, "both belong to the editor's agency");
        let (status, _) = action(&app, "package_show", Some(&editor), Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn search_stems_indonesian_and_counts_facets() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, _) = setup(&app).await;
        action(&app, "package_create", Some(&walidata), Some(padi())).await;
        let roads = json!({
            "name": "kondisi-jalan", "title": "Kondisi Jalan Kabupaten", "notes": "Panjang jalan rusak dan baik per kecamatan.",
            "owner_org": "dishub", "license_id": "odc-odbl", "tags": [{"name": "jalan"}],
            "resources": [{"name": "Kondisi jalan", "url": "https://example.id/jalan.xlsx"}],
            "satudata": {"periode_awal": "2023"}
        });
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(roads)).await;
        assert_eq!(status, 200, "{v}");

        let search = |body: Value| action(&app, "package_search", None, Some(body));
        // "pertanian" finds the rice data through the stem "tani" (petani, Dinas Pertanian).
        let (_, v) = search(json!({"q": "pertanian"})).await;
        assert_eq!(v["result"]["count"], 1, "{} {v}", app.label);
        assert_eq!(v["result"]["results"][0]["name"], "produksi-padi-2024");
        let (_, v) = search(json!({"q": "jalan rusak"})).await;
        assert_eq!(v["result"]["results"][0]["name"], "kondisi-jalan");
        assert_eq!(v["result"]["count"], 1, "all words must match");

        let (_, v) = search(
            json!({"q": "*:*", "facet.field": ["organization", "tags", "res_format", "license_id", "year", "groups"], "sort": "name asc"}),
        )
        .await;
        let r = &v["result"];
        assert_eq!(r["count"], 2);
        assert_eq!(r["results"][0]["name"], "kondisi-jalan", "sorted by name");
        let items = |f: &str| r["search_facets"][f]["items"].clone();
        assert_eq!(
            items("res_format"),
            json!([{"name": "CSV", "display_name": "CSV", "count": 1}, {"name": "XLSX", "display_name": "XLSX", "count": 1}])
        );
        assert_eq!(
            items("year"),
            json!([{"name": "2023", "display_name": "2023", "count": 1}, {"name": "2024", "display_name": "2024", "count": 1}])
        );
        assert_eq!(items("organization")[0]["display_name"], "Dinas dinas-pertanian");
        assert_eq!(items("groups"), json!([{"name": "smart-economy", "display_name": "Smart Economy", "count": 1}]));

        let (_, v) = search(json!({"fq": "organization:dishub", "rows": 1})).await;
        assert_eq!(v["result"]["count"], 1);
        assert_eq!(v["result"]["results"][0]["name"], "kondisi-jalan");
        let (_, v) = search(json!({"fq": "tags:\"padi\" res_format:csv"})).await;
        assert_eq!(v["result"]["count"], 1);
        // GET with CKAN's query string, facet.field as a JSON string.
        let r = app.get("/api/3/action/package_search?q=padi&facet.field=%5B%22tags%22%5D&rows=5").await;
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["result"]["search_facets"]["tags"]["items"][0]["count"], 1);

        let (_, v) = action(&app, "organization_list", None, Some(json!({"all_fields": true}))).await;
        let counts: Vec<(String, i64)> = v["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["name"].as_str().unwrap().to_string(), o["package_count"].as_i64().unwrap()))
            .collect();
        assert_eq!(counts, [("dinas-pertanian".to_string(), 1), ("dishub".to_string(), 1)]);
        let (_, v) = action(&app, "group_list", None, Some(json!({"all_fields": true}))).await;
        let economy = v["result"].as_array().unwrap().iter().find(|g| g["name"] == "smart-economy").unwrap().clone();
        assert_eq!(economy["package_count"], 1);
        let (status, v) = search(json!({"fq": "author:budi"})).await;
        assert_eq!(status, 400);
        assert_eq!(v["error"]["__type"], "Search Query Error");
        let (status, v) = search(json!({"rows": 5000})).await;
        assert_eq!(status, 409);
        assert!(v["error"]["rows"].is_array());
    }
}

/// The Python that has `ckanapi` and `rdflib`: `scripts/test` sets
/// `PENDOPO_TEST_PYTHON` to its venv's; otherwise `python3` on the PATH.
pub fn python() -> String {
    std::env::var("PENDOPO_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// The real `ckanapi` Python client (PyPI), as developers use it against CKAN.
#[tokio::test]
async fn the_ckanapi_client_works_as_against_ckan() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let (walidata, editor) = setup(&app).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ckanapi/client_test.py");
    let base = format!("http://{}", app.addr);
    let out = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args([script, &base, &walidata, &editor]).output())
        .await
        .unwrap()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ckanapi run failed (see scripts/test):\n{stdout}\n{stderr}");
    assert!(stdout.contains("checks passed"), "{stdout}");
}

/// The DCAT-AP export parsed by rdflib, as a national harvester reads it.
#[tokio::test]
async fn dcat_catalogue_parses_and_holds_only_public_datasets() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        action(&app, "package_create", Some(&walidata), Some(padi())).await;
        let mut private = padi();
        private["name"] = json!("data-rahasia");
        private["private"] = json!(true);
        action(&app, "package_create", Some(&walidata), Some(private)).await;
        let mut draft = padi();
        draft["name"] = json!("draf-dinas");
        action(&app, "package_create", Some(&editor), Some(draft)).await;

        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dcat/check.py");
        let base = format!("http://{}", app.addr);
        let out = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args([script, &base]).output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "rdflib check failed (see scripts/test): {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(stdout.trim(), "datasets: produksi-padi-2024", "only the public dataset ({})", app.label);
        assert_eq!(app.get("/dataset/data-rahasia.ttl").await.status(), 404);
        assert_eq!(app.get("/dataset/draf-dinas.jsonld").await.status(), 404);
    }
}

/// The native API's OpenAPI document: valid OpenAPI 3.1 by the reference
/// validator, and every operation in it is a method its route takes (and
/// every method a route takes is in it).
#[tokio::test]
async fn the_native_api_is_described_by_a_valid_openapi_document() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for route in pendopo::slices::routes().api_routes() {
        let documented: Vec<String> =
            paths[route.path].as_object().unwrap().keys().filter(|k| *k != "parameters").map(|k| k.to_uppercase()).collect();
        let path: String = route.path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        let r = app.client.patch(app.url(&path)).send().await.unwrap();
        let allow = r.headers()["allow"].to_str().unwrap().to_string();
        let mut taken: Vec<String> = allow.split(',').map(|m| m.trim().to_string()).filter(|m| m != "HEAD").collect();
        taken.sort();
        let mut documented = documented;
        documented.sort();
        assert_eq!(documented, taken, "{}", route.path);
    }
    assert!(paths.contains_key("/api/v1/organizations/{slug}"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/openapi/check.py");
    let base = format!("http://{}", app.addr);
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new(python()).args([script, &base]).output()).await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "openapi-spec-validator (see scripts/test): {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("valid OpenAPI 3.1.0"), "{stdout}");
}

/// CKAN's errors keep CKAN's `__type` and are said in the caller's
/// language: English as CKAN words them, or Bahasa Indonesia.
#[tokio::test]
async fn errors_are_said_in_the_callers_language() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    setup(&app).await;
    let ask = |path: &'static str, lang: &'static str| {
        let url = app.url(path);
        async move {
            let r = crate::common::client().get(url).header("accept-language", lang).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, v) = ask("/api/3/action/no_such_action", "en").await;
    assert_eq!((status, v["success"].clone()), (400, json!(false)));
    assert_eq!(v["error"]["message"], "Bad request - Action name not known: no_such_action");
    let (_, v) = ask("/api/3/action/no_such_action", "id").await;
    assert_eq!(v["error"]["message"], "Permintaan salah - nama aksi tidak dikenal: no_such_action");
    let (status, v) = ask("/api/3/action/package_show?id=tidak-ada", "en").await;
    assert_eq!((status, v["error"]["__type"].as_str(), v["error"]["message"].as_str()), (404, Some("Not Found Error"), Some("Not found")));
    let (_, v) = ask("/api/3/action/package_show?id=tidak-ada", "id").await;
    assert_eq!(v["error"]["message"], "Tidak ditemukan");
    let (status, v) = ask("/api/3/action/package_search?fq=author:budi", "en").await;
    assert_eq!((status, v["error"]["__type"].as_str()), (400, Some("Search Query Error")));
    assert_eq!(v["error"]["message"], "Search Query is invalid: cannot filter on 'author'");
    let (_, v) = ask("/api/3/action/package_search?rows=5000", "en").await;
    assert_eq!(v["error"]["rows"], json!(["Must be between 0 and 1000"]));
    let (_, v) = ask("/api/3/action/package_create", "en").await;
    assert_eq!(v["error"]["message"], "Action package_create requires an authenticated user");
}

/// ckanext-harvest's CKAN harvester against Pendopo, query for query: it
/// pages `package_search` by `sort=id asc`, `rows` and `start` until a page
/// comes back empty, with its organisation and group filters in `fq`, and
/// on later runs adds `metadata_modified:[<last run - 1 h>Z TO *]`.
async fn harvest(app: &TestApp, fq_terms: &[String], rows: usize) -> Vec<Value> {
    let mut found: Vec<Value> = Vec::new();
    let mut start = 0;
    loop {
        let mut params = vec![("rows", rows.to_string()), ("start", start.to_string()), ("sort", "id asc".to_string())];
        if !fq_terms.is_empty() {
            params.push(("fq", fq_terms.join(" ")));
        }
        let r = crate::common::client().get(app.url("/api/3/action/package_search")).query(&params).send().await.unwrap();
        assert_eq!(r.status(), 200, "{params:?}");
        let v: Value = r.json().await.unwrap();
        let page = v["result"]["results"].as_array().unwrap().clone();
        if page.is_empty() {
            return found;
        }
        assert!(page.iter().all(|p| !found.iter().any(|f| f["id"] == p["id"])), "pages overlap at start={start}");
        found.extend(page);
        start += rows;
    }
}

fn names(datasets: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = datasets.iter().map(|d| d["name"].as_str().unwrap().to_string()).collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_ckan_harvester_gets_everything_then_what_changed() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, _) = setup(&app).await;
        app.add_org("bappeda").await;
        let made = [
            ("produksi-padi", "dinas-pertanian", "Produksi Padi", "smart-economy"),
            ("luas-sawah", "dinas-pertanian", "Luas Sawah", "smart-environment"),
            ("harga-pupuk", "dinas-pertanian", "Harga Pupuk", "smart-economy"),
            ("kondisi-jalan", "dishub", "Kondisi Jalan", "smart-living"),
            ("terminal-bus", "dishub", "Penumpang Terminal Bus", "smart-living"),
            ("usulan-musrenbang", "bappeda", "Usulan Musrenbang", "smart-governance"),
        ];
        for (name, org, title, group) in made {
            let body = json!({"name": name, "title": title, "owner_org": org, "license_id": "cc-by-4.0",
                "groups": [{"name": group}], "extras": [{"key": "sumber", "value": if org == "dishub" { "Dishub" } else { "BPS" }}]});
            let (status, v) = action(&app, "package_create", Some(&walidata), Some(body)).await;
            assert_eq!(status, 200, "{v}");
        }
        let all: Vec<String> = names(&made.iter().map(|m| json!({"name": m.0})).collect::<Vec<_>>());

        // The first run: everything, page by page, in id order.
        let first = harvest(&app, &[], 4).await;
        assert_eq!(names(&first), all, "{}", app.label);
        let ids: Vec<&str> = first.iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id: {ids:?}");

        // Its organisation and group filters, as the harvester writes them.
        let include = harvest(&app, &["organization:dishub OR organization:bappeda".into()], 100).await;
        assert_eq!(names(&include), ["kondisi-jalan", "terminal-bus", "usulan-musrenbang"]);
        let exclude = harvest(&app, &["-organization:dinas-pertanian".into(), "-organization:bappeda".into()], 100).await;
        assert_eq!(names(&exclude), ["kondisi-jalan", "terminal-bus"]);
        let groups = harvest(&app, &["groups:smart-economy OR groups:smart-governance".into()], 100).await;
        assert_eq!(names(&groups), ["harga-pupuk", "produksi-padi", "usulan-musrenbang"]);
        let no_group = harvest(&app, &["-groups:smart-living".into()], 2).await;
        assert_eq!(no_group.len(), 4);

        // A later run asks for what changed since it last ran.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let last_run = pendopo::clock::iso_utc(app.store.now_ms()) + "Z";
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let (status, _) =
            action(&app, "package_patch", Some(&walidata), Some(json!({"id": "kondisi-jalan", "notes": "Diperbarui."}))).await;
        assert_eq!(status, 200);
        let changed = harvest(&app, &[format!("metadata_modified:[{last_run} TO *]")], 100).await;
        assert_eq!(names(&changed), ["kondisi-jalan"], "{}: since {last_run}", app.label);
        assert_eq!(changed[0]["notes"], "Diperbarui.");
        let within_include = harvest(&app, &["organization:dishub".into(), format!("metadata_modified:[{last_run} TO *]")], 100).await;
        assert_eq!(names(&within_include), ["kondisi-jalan"]);
        // An hour back, as the harvester goes to be safe: everything made in this test.
        assert_eq!(harvest(&app, &["metadata_modified:[NOW-1HOUR TO *]".into()], 100).await.len(), 6);
        assert!(harvest(&app, &["metadata_modified:[* TO 2000-01-01T00:00:00Z]".into()], 100).await.is_empty());

        // The rest of the language, as other clients write it.
        let search = |params: Vec<(&'static str, &'static str)>| {
            let url = app.url("/api/3/action/package_search");
            async move {
                let r = crate::common::client().get(url).query(&params).send().await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let found = |v: &Value| names(v["result"]["results"].as_array().unwrap());
        let (_, v) = search(vec![("fq", "extras_sumber:BPS -organization:bappeda")]).await;
        assert_eq!(found(&v), ["harga-pupuk", "luas-sawah", "produksi-padi"]);
        let (_, v) = search(vec![("fq", "(organization:dishub AND name:terminal*) OR name:[u TO v}")]).await;
        assert_eq!(found(&v), ["terminal-bus", "usulan-musrenbang"]);
        let (_, v) = search(vec![("q", "title:padi OR title:sawah")]).await;
        assert_eq!(found(&v), ["luas-sawah", "produksi-padi"]);
        let (_, v) = search(vec![("q", "pup*")]).await;
        assert_eq!(found(&v), ["harga-pupuk"]);
        let (_, v) = search(vec![("q", "name:kondisi-jalan"), ("fq", "state:active type:dataset private:false")]).await;
        assert_eq!(found(&v), ["kondisi-jalan"]);
        let (_, v) = search(vec![("sort", "title_string desc"), ("rows", "2")]).await;
        let titles: Vec<&str> = v["result"]["results"].as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Usulan Musrenbang", "Produksi Padi"]);
        let (_, v) = search(vec![("sort", "metadata_created asc, name desc"), ("rows", "1")]).await;
        assert_eq!(v["result"]["results"][0]["name"], "produksi-padi", "made first");

        // What cannot be answered is a Search Query Error, never an empty success.
        for (param, bad) in [("fq", "title:padi~2"), ("fq", "author:budi"), ("q", "(title:padi"), ("sort", "views_recent desc")] {
            let (status, v) = search(vec![(param, bad)]).await;
            assert_eq!(
                (status, v["success"].clone(), v["error"]["__type"].as_str()),
                (400, json!(false), Some("Search Query Error")),
                "{bad}"
            );
        }
    }
}

/// CKAN's core fields travel with the dataset: kept as given, `null` when
/// empty (as CKAN shows them), checked, and shown on the dataset's page.
#[tokio::test]
async fn ckan_s_core_fields_are_kept() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, _) = setup(&app).await;
        let core = json!({"author": "Bidang Statistik", "author_email": "statistik@bojonegorokab.go.id", "maintainer": "Diskominfo",
            "maintainer_email": "satudata@bojonegorokab.go.id", "version": "2024.1", "url": "https://bojonegorokab.go.id/padi"});
        let mut body = padi();
        body.as_object_mut().unwrap().extend(core.as_object().unwrap().clone());
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(body)).await;
        assert_eq!(status, 200, "{v}");
        let (_, v) = action(&app, "package_show", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        for (k, want) in core.as_object().unwrap() {
            assert_eq!(&v["result"][k], want, "{}: {k}", app.label);
        }
        // A patch of something else keeps them; a null clears one.
        let (_, v) = action(
            &app,
            "package_patch",
            Some(&walidata),
            Some(json!({"id": "produksi-padi-2024", "version": null, "notes": "Diperbarui."})),
        )
        .await;
        assert_eq!((v["result"]["version"].clone(), v["result"]["maintainer"].clone()), (Value::Null, json!("Diskominfo")), "{v}");
        let (_, html) = app.get_text("/dataset/produksi-padi-2024").await;
        assert!(html.contains("mailto:satudata@bojonegorokab.go.id") && html.contains("Bidang Statistik"), "{html}");

        let bad = json!({"id": "produksi-padi-2024", "author_email": "bukan surel", "url": "javascript:alert(1)"});
        let (status, v) = action(&app, "package_patch", Some(&walidata), Some(bad)).await;
        assert_eq!(status, 409);
        assert_eq!(v["error"]["author_email"], json!([crate::common::said("error.email_invalid", &[])]));
        assert_eq!(v["error"]["url"], json!([crate::common::said("catalog.core_url", &[])]));
    }
}

/// The read actions clients call besides search: each answers as CKAN's
/// does, with only what the caller may see.
#[tokio::test]
async fn the_other_read_actions_answer_as_ckan_does() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(padi())).await;
        assert_eq!(status, 200, "{v}");
        let roads = json!({"name": "kondisi-jalan", "title": "Kondisi Jalan", "owner_org": "dishub", "tags": [{"name": "jalan"}],
            "resources": [{"name": "Jalan", "url": "https://example.id/jalan.xlsx"}]});
        action(&app, "package_create", Some(&walidata), Some(roads)).await;
        action(&app, "package_patch", Some(&walidata), Some(json!({"id": "kondisi-jalan", "notes": "Diperbarui."}))).await;
        let get = |name: &'static str, body: Value| action(&app, name, None, Some(body));

        assert_eq!(get("site_read", json!({})).await.1["result"], true);
        let (_, v) = get("help_show", json!({"name": "package_search"})).await;
        assert!(v["result"].as_str().unwrap().ends_with("ckan.logic.action.get.package_search"), "{v}");
        assert_eq!(get("help_show", json!({"name": "no_such_action"})).await.0, 404);

        let (_, v) = get("tag_show", json!({"id": "padi", "include_datasets": true})).await;
        assert_eq!((v["result"]["name"].as_str(), v["result"]["packages"][0]["name"].as_str()), (Some("padi"), Some("produksi-padi-2024")));
        assert_eq!(get("tag_show", json!({"id": "tidak-ada"})).await.0, 404);
        let (_, v) = get("tag_list", json!({"all_fields": true})).await;
        assert_eq!(v["result"][0], json!({"id": "jalan", "name": "jalan", "display_name": "jalan", "vocabulary_id": null}));

        let (_, v) = get("package_autocomplete", json!({"q": "jal"})).await;
        assert_eq!(
            v["result"],
            json!([{"name": "kondisi-jalan", "title": "Kondisi Jalan", "match_field": "name", "match_displayed": "kondisi-jalan"}])
        );
        assert_eq!(get("tag_autocomplete", json!({"q": "PA"})).await.1["result"], json!(["padi", "pangan"]));
        assert_eq!(get("format_autocomplete", json!({"q": "xl"})).await.1["result"], json!(["XLSX"]));
        let (_, v) = get("organization_autocomplete", json!({"q": "hub"})).await;
        assert_eq!(v["result"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect::<Vec<_>>(), ["dishub"]);

        let (_, v) = get("current_package_list_with_resources", json!({"limit": 1})).await;
        assert_eq!(v["result"][0]["name"], "kondisi-jalan", "the latest change first");
        assert_eq!(v["result"][0]["resources"][0]["format"], "XLSX");

        let (_, v) = get("organization_list", json!({"sort": "name desc", "limit": 1, "offset": 0})).await;
        assert_eq!(v["result"], json!(["dishub"]));
        let (_, v) = get("organization_list", json!({"sort": "name asc", "offset": 1})).await;
        assert_eq!(v["result"], json!(["dishub"]));
        let (_, v) = get("group_show", json!({"id": "smart-economy", "include_datasets": true})).await;
        assert_eq!(v["result"]["packages"][0]["name"], "produksi-padi-2024");

        // Who may write for which agency, as each caller sees it.
        assert_eq!(get("organization_list_for_user", json!({})).await.1["result"], json!([]));
        let (_, v) = action(&app, "organization_list_for_user", Some(&editor), Some(json!({}))).await;
        assert_eq!(v["result"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect::<Vec<_>>(), ["dinas-pertanian"]);

        // The activity stream: what changed and when for everyone; who, for the signed in.
        let (_, v) = get("package_activity_list", json!({"id": "kondisi-jalan"})).await;
        let kinds: Vec<&str> = v["result"].as_array().unwrap().iter().map(|a| a["activity_type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["changed package", "new package"], "{v}");
        assert_eq!(v["result"][0]["user_id"], Value::Null, "no names for strangers");
        let (_, v) = action(&app, "package_activity_list", Some(&walidata), Some(json!({"id": "kondisi-jalan"}))).await;
        assert_eq!(v["result"][0]["user_name"], "walidata");
        let (_, v) = get("recently_changed_packages_activity_list", json!({"limit": 2})).await;
        assert_eq!(v["result"][0]["data"]["package"]["name"], "kondisi-jalan");

        // Users: for the signed in, e-mails for admins and oneself only.
        assert_eq!(get("user_list", json!({})).await.1["error"]["__type"], "Authorization Error");
        let (_, v) = action(&app, "user_list", Some(&editor), Some(json!({}))).await;
        let users = v["result"].as_array().unwrap();
        assert_eq!(users.len(), 2, "{v}");
        let walidata_user = users.iter().find(|u| u["fullname"] == "walidata").unwrap();
        assert_eq!(walidata_user["email"], Value::Null, "an editor does not see others' e-mails");
        let (_, v) = action(&app, "user_show", Some(&walidata), Some(json!({"id": walidata_user["id"]}))).await;
        assert_eq!(v["result"]["email"], "walidata@bojonegorokab.go.id");

        let (_, v) = get("resource_search", json!({"query": "format:xls"})).await;
        assert_eq!((v["result"]["count"].clone(), v["result"]["results"][0]["name"].clone()), (json!(1), json!("Jalan")));
        let (_, v) = get("resource_search", json!({"query": ["name:padi", "url:example.id"]})).await;
        assert_eq!(v["result"]["count"], 1);
        assert_eq!(get("resource_search", json!({"query": "hash:abc"})).await.0, 409);

        // Outside the action API.
        assert_eq!(app.get("/api/3").await.json::<Value>().await.unwrap(), json!({"version": 3}));
        let status: Value = app.get("/api/util/status").await.json().await.unwrap();
        assert!(status["ckan_version"].as_str().unwrap().starts_with("2."));
        let r = app.get("/api/3/unknown/thing").await;
        assert_eq!(r.status(), 404);
        let v: Value = r.json().await.unwrap();
        assert_eq!((v["success"].clone(), v["error"]["__type"].as_str()), (json!(false), Some("Not Found Error")));
        let v: Value = app.get("/api/v1/unknown").await.json().await.unwrap();
        assert!(v["error"]["code"].is_string(), "the native API keeps its own errors: {v}");
    }
}
