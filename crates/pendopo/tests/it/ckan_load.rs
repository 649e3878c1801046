//! What `ckanapi dump` and `ckanapi load` need of the CKAN API: the
//! organization, group and member writes, ids kept on create, deleted
//! datasets readable to the walidata until `dataset_purge`, and the whole
//! copy between two Pendopos with the real command line.

use serde_json::{Value, json};

use crate::ckan_api::{action, padi, python, setup};
use crate::common::{TestApp, TestDb, postgres_db, said, spawn_app, sqlite_db};

/// Two fresh databases of each engine: a source and a target.
async fn engine_pairs() -> Vec<(TestDb, TestDb)> {
    let mut pairs = vec![(sqlite_db(), sqlite_db())];
    if let (Some(a), Some(b)) = (postgres_db().await, postgres_db().await) {
        pairs.push((a, b));
    }
    pairs
}

/// The real `ckanapi` command line copies organisations, groups and
/// datasets with their uploaded files from one Pendopo to another.
#[tokio::test]
async fn ckanapi_dump_and_load_copy_a_catalogue() {
    for (a, b) in engine_pairs().await {
        let source = spawn_app(&a).await;
        let target = spawn_app(&b).await;
        let (source_token, _) = setup(&source).await;
        // A fresh region: its walidata, and only the six smart city groups.
        pendopo::slices::setup_tenant(&target.store, crate::common::REGION).await.unwrap();
        let walidata = target.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let target_token = target.token_for(&walidata).await;
        let work = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ckanapi/round_trip.py");
        let args = [
            script.to_string(),
            format!("http://{}", source.addr),
            source_token,
            format!("http://{}", target.addr),
            target_token,
            work.path().display().to_string(),
        ];
        let out = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args(args).output())
            .await
            .unwrap()
            .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: ckanapi round trip failed (see scripts/test):\n{stdout}\n{stderr}", source.label);
        assert!(stdout.contains("checks passed"), "{stdout}");
    }
}

fn error_type(v: &Value) -> &str {
    v["error"]["__type"].as_str().unwrap_or("")
}

const KESEHATAN_ID: &str = "0b1e6d3c-6d2a-4f6e-9a51-1f0c8e2b7a90";

#[tokio::test]
async fn organization_writes_follow_ckan_rules() {
    for db in crate::common::each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        let admin = app.add_user("admin@pertanian.id", "org_admin", Some("dinas-pertanian")).await;
        let admin = app.token_for(&admin).await;
        let new = json!({"id": KESEHATAN_ID, "name": "dinas-kesehatan", "title": "Dinas Kesehatan", "kind": "dinas"});

        let (status, v) = action(&app, "organization_create", None, Some(new.clone())).await;
        assert_eq!((status, error_type(&v)), (403, "Authorization Error"), "{}: a stranger", app.label);
        let (status, v) = action(&app, "organization_create", Some(&editor), Some(new.clone())).await;
        assert_eq!((status, error_type(&v)), (403, "Authorization Error"), "an agency's editor");
        let bad = json!({"name": "Dinas Kesehatan!", "kind": "warung", "id": "123"});
        let (status, v) = action(&app, "organization_create", Some(&walidata), Some(bad)).await;
        assert_eq!((status, error_type(&v)), (409, "Validation Error"), "{v}");
        assert_eq!(v["error"]["id"], json!([said("catalog.id_invalid", &[])]));
        let (_, v) = action(&app, "organization_list", None, None).await;
        assert_eq!(v["result"], json!(["dinas-pertanian", "dishub"]), "nothing stored");

        let (status, v) = action(&app, "organization_create", Some(&walidata), Some(new.clone())).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!((v["result"]["id"].as_str(), v["result"]["kind"].as_str()), (Some(KESEHATAN_ID), Some("dinas")), "the id is kept");
        let (status, v) = action(&app, "organization_create", Some(&walidata), Some(new.clone())).await;
        assert_eq!(status, 409, "the same id again: {v}");
        assert!(v["error"]["id"].is_array(), "{v}");
        let mut same_name = new.clone();
        same_name["id"] = json!(null);
        let (status, v) = action(&app, "organization_create", Some(&walidata), Some(same_name)).await;
        assert_eq!(status, 409, "the same name again: {v}");
        assert!(v["error"]["name"].is_array(), "{v}");

        // An agency's admin edits only its own; patch keeps what it does not name.
        let (status, _) =
            action(&app, "organization_patch", Some(&admin), Some(json!({"id": "dinas-kesehatan", "description": "x"}))).await;
        assert_eq!(status, 403, "another agency's admin");
        let (status, v) = action(
            &app,
            "organization_patch",
            Some(&admin),
            Some(json!({"id": "dinas-pertanian", "description": "Pangan dan pertanian."})),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["description"], "Pangan dan pertanian.");
        assert_eq!(v["result"]["title"], "Dinas dinas-pertanian", "a patch keeps the title");
        let update = json!({"id": KESEHATAN_ID, "name": "dinkes", "title": "Dinas Kesehatan Kabupaten"});
        let (status, v) = action(&app, "organization_update", Some(&walidata), Some(update)).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!((v["result"]["name"].as_str(), v["result"]["kind"].as_str()), (Some("dinkes"), Some("dinas")), "update keeps the kind");
        let (status, v) = action(&app, "organization_update", Some(&walidata), Some(json!({"id": "tidak-ada", "name": "x-y"}))).await;
        assert_eq!((status, error_type(&v)), (404, "Not Found Error"));

        // An agency with datasets or people stays; an empty one can go.
        action(&app, "package_create", Some(&walidata), Some(padi())).await;
        for (id, field) in [("dinas-pertanian", "id"), ("dishub", "")] {
            let (status, v) = action(&app, "organization_delete", Some(&walidata), Some(json!({"id": id}))).await;
            if field.is_empty() {
                assert_eq!(status, 200, "{id}: {v}");
            } else {
                assert_eq!((status, error_type(&v)), (409, "Validation Error"), "{id}: {v}");
            }
        }
        let (status, _) = action(&app, "organization_delete", Some(&admin), Some(json!({"id": "dinkes"}))).await;
        assert_eq!(status, 403, "an agency's admin removes no agency");
        let (status, _) = action(&app, "organization_purge", Some(&walidata), Some(json!({"id": "dinkes"}))).await;
        assert_eq!(status, 200);
        let (_, v) = action(&app, "organization_list", None, None).await;
        assert_eq!(v["result"], json!(["dinas-pertanian"]));
    }
}

#[tokio::test]
async fn group_writes_and_members_follow_ckan_rules() {
    for db in crate::common::each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        let group = json!({"name": "data-prioritas", "title": "Data Prioritas"});
        let (status, _) = action(&app, "group_create", Some(&editor), Some(group.clone())).await;
        assert_eq!(status, 403, "{}: groups are the walidata's", app.label);
        let (status, v) = action(&app, "group_create", Some(&walidata), Some(json!({"name": "X"}))).await;
        assert_eq!((status, error_type(&v)), (409, "Validation Error"));
        assert!(v["error"]["name"].is_array());
        let (status, v) = action(&app, "group_create", Some(&walidata), Some(group.clone())).await;
        assert_eq!(status, 200, "{v}");
        let (status, v) = action(&app, "group_create", Some(&walidata), Some(group.clone())).await;
        assert_eq!(status, 409, "a taken name: {v}");
        let (_, v) = action(&app, "group_list", None, None).await;
        assert_eq!(v["result"].as_array().unwrap().len(), 7);

        // A dataset joins and leaves a group; its owners may do that, a stranger may not.
        action(&app, "package_create", Some(&walidata), Some(padi())).await;
        let member = json!({"id": "data-prioritas", "object": "produksi-padi-2024", "object_type": "package", "capacity": "public"});
        let (status, _) = action(&app, "member_create", None, Some(member.clone())).await;
        assert_eq!(status, 403);
        let other = app.add_user("editor@dishub.id", "editor", Some("dishub")).await;
        let other = app.token_for(&other).await;
        let (status, v) = action(&app, "member_create", Some(&other), Some(member.clone())).await;
        assert_eq!((status, error_type(&v)), (403, "Authorization Error"), "another agency's editor");
        let (status, v) = action(&app, "member_create", Some(&editor), Some(member.clone())).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["table_name"], "package");
        let (_, v) = action(&app, "package_search", None, Some(json!({"fq": "groups:data-prioritas"}))).await;
        assert_eq!(v["result"]["count"], 1, "the search knows at once");
        let (status, v) =
            action(&app, "member_create", Some(&walidata), Some(json!({"id": "data-prioritas", "object": "x", "object_type": "dataset"})))
                .await;
        assert_eq!((status, error_type(&v)), (409, "Validation Error"));
        assert!(v["error"]["object_type"].is_array());

        // Renaming a group moves its datasets' facet with it.
        let (status, v) = action(&app, "group_patch", Some(&walidata), Some(json!({"id": "data-prioritas", "name": "prioritas"}))).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["title"], "Data Prioritas", "a patch keeps the title");
        let (_, v) = action(&app, "package_show", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        let names: Vec<&str> = v["result"]["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["prioritas", "smart-economy"]);

        let member = json!({"id": "prioritas", "object": "produksi-padi-2024", "object_type": "package"});
        let (status, _) = action(&app, "member_delete", Some(&editor), Some(member.clone())).await;
        assert_eq!(status, 200);
        let (status, v) = action(&app, "member_delete", Some(&editor), Some(member)).await;
        assert_eq!((status, error_type(&v)), (404, "Not Found Error"), "not a member any more");

        let (status, _) = action(&app, "group_update", Some(&editor), Some(json!({"id": "smart-economy", "name": "smart-economy"}))).await;
        assert_eq!(status, 403);
        let (status, _) = action(&app, "group_delete", Some(&editor), Some(json!({"id": "smart-economy"}))).await;
        assert_eq!(status, 403);
        let (status, _) = action(&app, "group_delete", Some(&walidata), Some(json!({"id": "smart-economy"}))).await;
        assert_eq!(status, 200);
        let (_, v) = action(&app, "package_show", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(v["result"]["groups"], json!([]), "the dataset stays, out of the group");
        let (status, _) = action(&app, "group_show", None, Some(json!({"id": "smart-economy"}))).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn package_create_keeps_ids_for_the_walidata() {
    for db in crate::common::each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        let dataset_id = "7d0c3a57-2b8e-4c61-9a3f-5e2d1c0b9a88";
        let resource_id = "5f3e2d1c-0b9a-4887-a6f5-e4d3c2b1a090";
        let mut given = padi();
        given["id"] = json!(dataset_id);
        given["resources"][0]["id"] = json!(resource_id);

        let mut by_editor = given.clone();
        by_editor["name"] = json!("oleh-editor");
        let (status, v) = action(&app, "package_create", Some(&editor), Some(by_editor)).await;
        assert_eq!(status, 200, "{}: {v}", app.label);
        assert_ne!(v["result"]["id"], dataset_id, "an editor's id is ignored, as CKAN ignores it");
        assert_eq!(v["result"]["resources"][0]["id"], resource_id, "resource ids are anyone's to give");

        let (status, v) = action(&app, "package_create", Some(&walidata), Some(given.clone())).await;
        assert_eq!((status, error_type(&v)), (409, "Validation Error"), "the resource id is taken: {v}");
        assert!(v["error"]["resources"].is_array(), "{v}");
        let (status, _) = action(&app, "package_show", Some(&walidata), Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 404, "nothing half-stored");

        given["resources"][0]["id"] = json!("5f3e2d1c-0b9a-4887-a6f5-e4d3c2b1a091");
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(given.clone())).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["id"], dataset_id);
        let mut again = given.clone();
        again["name"] = json!("nama-lain");
        again["resources"] = json!([]);
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(again.clone())).await;
        assert_eq!((status, error_type(&v)), (409, "Validation Error"));
        assert_eq!(v["error"]["id"], json!([said("catalog.id_taken", &[])]));
        again["id"] = json!("bukan-uuid");
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(again)).await;
        assert_eq!(status, 409);
        assert_eq!(v["error"]["id"], json!([said("catalog.id_invalid", &[])]));

        // resource_patch changes what it names and keeps the rest.
        let patch = json!({"id": "5f3e2d1c-0b9a-4887-a6f5-e4d3c2b1a091", "description": "Dari BPS"});
        let (status, _) = action(&app, "resource_patch", None, Some(patch.clone())).await;
        assert_eq!(status, 403);
        let (status, v) = action(&app, "resource_patch", Some(&walidata), Some(patch)).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!((v["result"]["description"].as_str(), v["result"]["name"].as_str()), (Some("Dari BPS"), Some("Produksi padi")));
    }
}

async fn upload(app: &TestApp, token: &str, dataset: &str, filename: &str, bytes: &[u8]) -> Value {
    let form = reqwest::multipart::Form::new()
        .text("package_id", dataset.to_string())
        .part("upload", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(filename.to_string()));
    let r = app.client.post(app.url("/api/3/action/resource_create")).header("authorization", token).multipart(form).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], true, "{v}");
    v["result"].clone()
}

#[tokio::test]
async fn deleted_datasets_stay_readable_to_the_walidata_until_purged() {
    for db in crate::common::each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        let (_, v) = action(&app, "package_create", Some(&walidata), Some(padi())).await;
        let id = v["result"]["id"].as_str().unwrap().to_string();
        let table = upload(&app, &walidata, &id, "padi.csv", b"kecamatan,ton\nNgraho,10\n").await;
        let file = app.files.path();
        let files_before = count_files(file);
        assert!(files_before > 0);
        action(&app, "package_delete", Some(&walidata), Some(json!({"id": "produksi-padi-2024"}))).await;

        let (status, v) = action(&app, "package_show", Some(&walidata), Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 200, "{}: by name", app.label);
        assert_eq!(v["result"]["state"], "deleted");
        let (_, v) = action(&app, "package_show", Some(&walidata), Some(json!({"id": id}))).await;
        assert_eq!(v["result"]["state"], "deleted", "by id");
        for token in [None, Some(editor.as_str())] {
            let (status, v) = action(&app, "package_show", token, Some(json!({"id": "produksi-padi-2024"}))).await;
            assert_eq!((status, error_type(&v)), (404, "Not Found Error"), "others do not see it");
        }
        let (_, v) = action(&app, "package_search", Some(&walidata), Some(json!({"q": "padi", "include_private": true}))).await;
        assert_eq!(v["result"]["count"], 0, "not searched");
        let (_, v) = action(&app, "package_list", Some(&walidata), None).await;
        assert_eq!(v["result"], json!([]), "not listed");
        // The pages do not show it, nor its files.
        let walidata_browser = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        for path in ["/dataset/produksi-padi-2024".to_string(), table["url"].as_str().unwrap().replace(&app.url(""), "")] {
            assert_eq!(app.get(&path).await.status(), 404, "{path}");
            assert_eq!(walidata_browser.get(&path).await.status(), 404, "{path} for the walidata");
        }

        // The name is taken until the dataset is purged, by the walidata only.
        let (status, v) = action(&app, "package_create", Some(&walidata), Some(padi())).await;
        assert_eq!(status, 409, "{v}");
        assert!(v["error"]["name"].is_array());
        let (status, v) = action(&app, "dataset_purge", Some(&editor), Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!((status, error_type(&v)), (403, "Authorization Error"));
        let (status, _) = action(&app, "dataset_purge", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 403);
        let (status, v) = action(&app, "dataset_purge", Some(&walidata), Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(status, 200, "{v}");
        let (status, _) = action(&app, "package_show", Some(&walidata), Some(json!({"id": id}))).await;
        assert_eq!(status, 404, "gone for everyone");
        let (status, _) = action(&app, "datastore_search", None, Some(json!({"resource_id": table["id"]}))).await;
        assert_eq!(status, 404, "its table too");
        assert_eq!(count_files(file), 0, "and its files");
        let (status, v) = action(&app, "dataset_purge", Some(&walidata), Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!((status, error_type(&v)), (404, "Not Found Error"));

        let (status, v) = action(&app, "package_create", Some(&walidata), Some(padi())).await;
        assert_eq!(status, 200, "the name is free again: {v}");
        assert_ne!(v["result"]["id"], id.as_str());

        // Updated as active by the walidata, a deleted dataset comes back
        // (what `ckanapi load` does into a region that had deleted it).
        let mut back = v["result"].clone();
        action(&app, "package_delete", Some(&walidata), Some(json!({"id": "produksi-padi-2024"}))).await;
        back["state"] = json!("active");
        let (status, _) = action(&app, "package_update", Some(&editor), Some(back.clone())).await;
        assert_eq!(status, 404, "not for the agency's editor");
        back["state"] = json!("deleted");
        let (status, _) = action(&app, "package_update", Some(&walidata), Some(back.clone())).await;
        assert_eq!(status, 404, "an update that keeps it deleted finds nothing to update");
        back["state"] = json!("active");
        let (status, v) = action(&app, "package_update", Some(&walidata), Some(back)).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["state"], "active");
        let (_, v) = action(&app, "package_search", None, Some(json!({"q": "padi"}))).await;
        assert_eq!(v["result"]["count"], 1, "public and found again");
    }
}

fn count_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.flatten().map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 }).sum()
}

#[tokio::test]
async fn package_revise_changes_only_a_dataset_that_still_matches() {
    for db in crate::common::each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        let mut two = padi();
        two["resources"] = json!([{"name": "Satu", "url": "https://example.id/1.csv"}, {"name": "Dua", "url": "https://example.id/2.csv"}]);
        let (_, v) = action(&app, "package_create", Some(&walidata), Some(two)).await;
        let first_id = v["result"]["resources"][0]["id"].as_str().unwrap().to_string();

        let revise =
            json!({"match": {"name": "produksi-padi-2024", "title": "Produksi Padi per Kecamatan 2024"}, "update": {"notes": "Baru."}});
        let (status, _) = action(&app, "package_revise", None, Some(revise.clone())).await;
        assert_eq!(status, 403, "{}", app.label);
        let other = app.add_user("editor@dishub.id", "editor", Some("dishub")).await;
        let other = app.token_for(&other).await;
        let (status, v) = action(&app, "package_revise", Some(&other), Some(revise.clone())).await;
        assert_eq!((status, error_type(&v)), (403, "Authorization Error"), "another agency");
        let stale = json!({"match": {"name": "produksi-padi-2024", "title": "Judul lama"}, "update": {"notes": "Baru."}});
        let (status, v) = action(&app, "package_revise", Some(&editor), Some(stale)).await;
        assert_eq!((status, error_type(&v)), (409, "Validation Error"), "a dataset that changed since: {v}");
        assert_eq!(v["error"]["match"], json!([said("ckan.revise_mismatch", &[("path", "title")])]));
        let (status, v) = action(&app, "package_revise", Some(&editor), Some(json!({"update": {"notes": "x"}}))).await;
        assert_eq!(status, 409, "match must name the dataset: {v}");
        assert!(v["error"]["match"].is_array());

        let (status, v) = action(&app, "package_revise", Some(&editor), Some(revise)).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["result"]["package"]["notes"], "Baru.");
        assert_eq!(v["result"]["package"]["tags"].as_array().unwrap().len(), 2, "the rest stays");

        // Flattened keys: a resource by index, by the start of its id, a new one at the end.
        // (UUIDv7 ids made in the same millisecond share their first 12 digits.)
        let prefix = &first_id[..30];
        let flat = json!({
            "match__id": v["result"]["package"]["id"],
            "update__resources__1__description": "kedua",
            format!("update__resources__{prefix}__name"): "Pertama",
            "update__resources__extend": [{"name": "Tiga", "url": "https://example.id/3.csv"}],
            "include": ["+resources__*__name", "-resources__*__*", "+name", "-*"],
        });
        let (status, v) = action(&app, "package_revise", Some(&walidata), Some(flat)).await;
        assert_eq!(status, 200, "{v}");
        let package = &v["result"]["package"];
        let names: Vec<&str> = package["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Pertama", "Dua", "Tiga"]);
        assert_eq!(package["resources"][0].as_object().unwrap().len(), 1, "include keeps only the names: {package}");
        assert!(package.get("notes").is_none() && package["id"].is_string() && package["name"] == "produksi-padi-2024");
        let (_, v) = action(&app, "package_show", None, Some(json!({"id": "produksi-padi-2024"}))).await;
        assert_eq!(v["result"]["resources"][1]["description"], "kedua");
        assert_eq!(v["result"]["resources"][0]["id"], first_id.as_str(), "resources keep their ids");

        // Filter then update: the tags replaced, the second resource removed.
        let replace =
            json!({"match": {"name": "produksi-padi-2024"}, "filter": ["-tags", "-resources__1"], "update": {"tags": [{"name": "beras"}]}});
        let (status, v) = action(&app, "package_revise", Some(&walidata), Some(replace)).await;
        assert_eq!(status, 200, "{v}");
        let package = &v["result"]["package"];
        assert_eq!(package["tags"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect::<Vec<_>>(), [json!("beras")]);
        assert_eq!(package["resources"].as_array().unwrap().len(), 2);
        let (status, v) = action(
            &app,
            "package_revise",
            Some(&walidata),
            Some(json!({"match": {"name": "produksi-padi-2024"}, "update__resources__9__name": "x"})),
        )
        .await;
        assert_eq!((status, error_type(&v)), (409, "Validation Error"), "no ninth resource: {v}");

        // help_show points at CKAN's documentation of each new action, in its module.
        for (name, module) in
            [("package_revise", "update"), ("dataset_purge", "delete"), ("member_create", "create"), ("group_patch", "patch")]
        {
            let (_, v) = action(&app, "help_show", None, Some(json!({"name": name}))).await;
            assert!(v["result"].as_str().unwrap().ends_with(&format!("ckan.logic.action.{module}.{name}")), "{v}");
        }
    }
}
