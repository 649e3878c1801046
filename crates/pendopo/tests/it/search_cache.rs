//! Cached search answers: every kind of write makes them stale at once, on
//! every server of one database; they never cross viewers or tenants.

use serde_json::{Value, json};

use crate::ckan_api::{action, padi, setup};
use crate::common::{REGION, TestApp, each_engine, spawn_app};
use pendopo::kernel::{identity, organizations, tenancy};
use pendopo::slices::catalog::{model::DatasetInput, repo};

/// A search as a stranger, asked twice so the second answer comes from the
/// cache when nothing changed; both must agree. Returns (count, names).
async fn search(app: &TestApp, body: Value) -> (i64, Vec<String>) {
    let mut seen = Vec::new();
    for _ in 0..2 {
        let (status, v) = action(app, "package_search", None, Some(body.clone())).await;
        assert_eq!(status, 200, "{v}");
        let names = v["result"]["results"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_string()).collect();
        seen.push((v["result"]["count"].as_i64().unwrap(), names));
    }
    assert_eq!(seen[0], seen[1], "a repeated search answers the same ({})", app.label);
    seen.pop().unwrap()
}

fn named(name: &str, title: &str) -> Value {
    let mut d = padi();
    d["name"] = json!(name);
    d["title"] = json!(title);
    d
}

#[tokio::test]
async fn every_write_makes_cached_answers_stale() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        let write = |name: &'static str, body: Value| {
            let app = &app;
            let token = walidata.clone();
            async move {
                let (status, v) = action(app, name, Some(&token), Some(body)).await;
                assert_eq!(status, 200, "{name}: {v}");
            }
        };
        let padi_search = || search(&app, json!({"q": "padi", "sort": "name asc", "facet.field": ["res_format"]}));
        assert_eq!(padi_search().await.0, 0, "{}", app.label);

        // Create.
        write("package_create", named("data-a", "Padi A")).await;
        assert_eq!(padi_search().await, (1, vec!["data-a".to_string()]), "create ({})", app.label);
        write("package_create", named("data-b", "Padi B")).await;
        assert_eq!(padi_search().await.0, 2, "a second create");

        // Update: a new word is found, the old title's word is not.
        assert_eq!(search(&app, json!({"q": "kedelai"})).await.0, 0);
        write("package_patch", json!({"id": "data-a", "title": "Kedelai A"})).await;
        assert_eq!(search(&app, json!({"q": "kedelai"})).await, (1, vec!["data-a".to_string()]), "patch ({})", app.label);
        let mut whole = named("data-b", "Jagung B");
        whole["id"] = json!("data-b");
        whole["notes"] = json!("Produksi jagung.");
        whole["tags"] = json!([{"name": "jagung"}]);
        whole["resources"] = json!([]);
        write("package_update", whole).await;
        assert_eq!(search(&app, json!({"q": "jagung"})).await.0, 1, "update ({})", app.label);
        assert_eq!(padi_search().await.0, 1, "padi-b no longer mentions padi");

        // Resources: a new format appears in the facet.
        let formats = || async {
            let (_, v) = action(&app, "package_search", None, Some(json!({"facet.field": ["res_format"]}))).await;
            v["result"]["search_facets"]["res_format"]["items"].as_array().unwrap().iter().map(|i| i["name"].clone()).collect::<Vec<_>>()
        };
        assert_eq!(formats().await, vec![json!("CSV")]);
        assert_eq!(formats().await, vec![json!("CSV")]);
        write("resource_create", json!({"package_id": "data-b", "url": "https://example.id/jagung.pdf"})).await;
        assert_eq!(formats().await, vec![json!("CSV"), json!("PDF")], "resource create ({})", app.label);

        // Private flag: hidden from strangers, still seen by the walidata.
        write("package_patch", json!({"id": "data-a", "private": true})).await;
        assert_eq!(search(&app, json!({"q": "kedelai"})).await.0, 0, "private ({})", app.label);
        let (_, v) = action(&app, "package_search", Some(&walidata), Some(json!({"q": "kedelai", "include_private": true}))).await;
        assert_eq!(v["result"]["count"], 1);
        write("package_patch", json!({"id": "data-a", "private": false})).await;
        assert_eq!(search(&app, json!({"q": "kedelai"})).await.0, 1, "public again ({})", app.label);

        // State change outside the API (another process on the same
        // database): the editor's draft appears once the walidata publishes.
        let (status, _) = action(&app, "package_create", Some(&editor), Some(named("data-draft", "Padi draf"))).await;
        assert_eq!(status, 200);
        assert_eq!(padi_search().await.0, 1, "a draft is not public");
        let walidata_user = identity::find_user_by_email(&app.store, REGION, "walidata@bojonegorokab.go.id").await.unwrap().unwrap();
        repo::review(&app.store, REGION, &walidata_user, "data-draft", repo::Review::Publish).await.unwrap();
        assert_eq!(padi_search().await.0, 2, "published ({})", app.label);

        // Delete.
        write("package_delete", json!({"id": "data-draft"})).await;
        assert_eq!(padi_search().await.0, 1, "delete ({})", app.label);

        // An organisation's new slug is a new facet value and filter.
        assert_eq!(search(&app, json!({"fq": "organization:pertanian"})).await.0, 0);
        let input = organizations::OrgInput {
            slug: "pertanian".into(),
            name: "Dinas Pertanian".into(),
            kind: "dinas".into(),
            ..Default::default()
        };
        organizations::update(&app.store, REGION, "dinas-pertanian", &input).await.unwrap();
        assert_eq!(search(&app, json!({"fq": "organization:pertanian"})).await.0, 2, "organisation renamed ({})", app.label);
    }
}

#[tokio::test]
async fn private_datasets_never_leak_through_the_cache() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        action(&app, "package_create", Some(&walidata), Some(named("padi-umum", "Padi umum"))).await;
        let mut secret = named("padi-rahasia", "Padi rahasia");
        secret["private"] = json!(true);
        action(&app, "package_create", Some(&walidata), Some(secret)).await;
        let mut other = named("padi-dishub", "Padi dishub");
        other["owner_org"] = json!("dishub");
        other["private"] = json!(true);
        action(&app, "package_create", Some(&walidata), Some(other)).await;
        let outsider = app.add_user("editor@dishub.id", "editor", Some("dishub")).await;
        let outsider = app.token_for(&outsider).await;

        let body = json!({"q": "padi", "include_private": true, "facet.field": ["organization"], "sort": "name asc"});
        let names = |v: &Value| v["result"]["results"].as_array().unwrap().iter().map(|d| d["name"].clone()).collect::<Vec<_>>();
        // The walidata asks first, so every later caller could be served
        // the walidata's answer if the cache ignored who is asking.
        for round in 0..2 {
            let (_, v) = action(&app, "package_search", Some(&walidata), Some(body.clone())).await;
            assert_eq!(v["result"]["count"], 3, "walidata, round {round} ({})", app.label);
            let (_, v) = action(&app, "package_search", None, Some(body.clone())).await;
            assert_eq!(names(&v), vec![json!("padi-umum")], "stranger, round {round} ({})", app.label);
            assert_eq!(v["result"]["search_facets"]["organization"]["items"][0]["count"], 1, "facets count only what is visible");
            let (_, v) = action(&app, "package_search", Some(&editor), Some(body.clone())).await;
            assert_eq!(names(&v), vec![json!("padi-rahasia"), json!("padi-umum")], "dinas-pertanian's editor, round {round}");
            let (_, v) = action(&app, "package_search", Some(&outsider), Some(body.clone())).await;
            assert_eq!(names(&v), vec![json!("padi-dishub"), json!("padi-umum")], "dishub's editor, round {round}");
        }
        // The pages share the cache: a stranger's /dataset after the walidata's.
        let walidata_browser = app.another_browser();
        assert_eq!(walidata_browser.login("walidata@bojonegorokab.go.id", crate::common::PASSWORD).await.status().as_u16(), 303);
        let (_, html) = walidata_browser.get_text("/dataset?q=padi").await;
        assert!(html.contains("padi-rahasia"), "the walidata sees the private dataset");
        let (_, html) = app.another_browser().get_text("/dataset?q=padi").await;
        assert!(html.contains("padi-umum") && !html.contains("padi-rahasia") && !html.contains("padi-dishub"), "{}", app.label);
    }
}

#[tokio::test]
async fn tenants_never_share_answers() {
    for db in each_engine().await {
        // Two regencies on one server, at the same catalogue version.
        let store = pendopo::store::Store::open(&db.url).await.unwrap();
        tenancy::init_region(&store, REGION, &[], true).await.unwrap();
        tenancy::init_region(&store, "35.07", &["malang.localhost".to_string()], false).await.unwrap();
        let app = spawn_app(&db).await;
        setup(&app).await;
        pendopo::slices::setup_tenant(&app.store, "35.07").await.unwrap();
        for (tenant, title) in [(REGION, "Padi Bojonegoro"), ("35.07", "Padi Malang")] {
            let org = organizations::OrgInput {
                slug: "dinas-pertanian".into(),
                name: "Dinas".into(),
                kind: "dinas".into(),
                ..Default::default()
            };
            if tenant != REGION {
                organizations::create(&app.store, tenant, &org).await.unwrap();
            }
            let new = identity::NewUser {
                email: format!("walidata@{tenant}.id"),
                password: crate::common::PASSWORD.into(),
                role: "walidata".into(),
                ..Default::default()
            };
            let admin = identity::create_user(&app.store, tenant, &new).await.unwrap();
            let input =
                DatasetInput { name: "padi".into(), title: title.into(), owner_org: "dinas-pertanian".into(), ..Default::default() };
            repo::create(&app.store, tenant, &admin, &input).await.unwrap();
        }
        let title_on = |host: &'static str| {
            let app = &app;
            async move {
                let r =
                    crate::common::client().get(app.url("/api/3/action/package_search?q=padi")).header("host", host).send().await.unwrap();
                let v: Value = r.json().await.unwrap();
                v["result"]["results"][0]["title"].as_str().unwrap().to_string()
            }
        };
        for _ in 0..2 {
            assert_eq!(title_on("localhost").await, "Padi Bojonegoro", "{}", app.label);
            assert_eq!(title_on("malang.localhost").await, "Padi Malang", "{}", app.label);
        }
    }
}

#[tokio::test]
async fn servers_on_one_database_agree_on_staleness() {
    for db in each_engine().await {
        let first = spawn_app(&db).await;
        let (walidata, _) = setup(&first).await;
        let second = spawn_app(&db).await;
        assert_eq!(search(&first, json!({"q": "padi"})).await.0, 0);
        let (status, _) = action(&second, "package_create", Some(&walidata), Some(padi())).await;
        assert_eq!(status, 200);
        assert_eq!(search(&first, json!({"q": "padi"})).await.0, 1, "the first server sees the second's write ({})", first.label);
    }
}
