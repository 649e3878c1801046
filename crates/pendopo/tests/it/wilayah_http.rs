//! The region directory through the API and the pages.

use serde_json::Value;

use crate::common::{said_html, spawn_app, sqlite_db};

#[tokio::test]
async fn region_api_answers_with_children_and_levels() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let r = app.get("/api/v1/wilayah/35.22.15").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "35.22.15");
    assert_eq!(body["name"], "Bojonegoro");
    assert_eq!(body["level"], "kecamatan");
    assert_eq!(body["parent"], "35.22");
    let children = body["children"].as_array().unwrap();
    assert!(children.iter().any(|c| c["level"] == "kelurahan"));
    assert!(children.iter().all(|c| c["code"].as_str().unwrap().starts_with("35.22.15.")));

    let body: Value = app.get("/api/v1/wilayah/35.22").await.json().await.unwrap();
    assert_eq!(body["level"], "kabupaten");
    assert_eq!(body["children"].as_array().unwrap().len(), 28);
    let body: Value = app.get("/api/v1/wilayah/35.78").await.json().await.unwrap();
    assert_eq!(body["level"], "kota");
    let body: Value = app.get("/api/v1/wilayah/35").await.json().await.unwrap();
    assert_eq!((body["level"].as_str(), body["parent"].is_null()), (Some("provinsi"), true));
    // The BPS form of a code is understood too.
    let body: Value = app.get("/api/v1/wilayah/3522012001").await.json().await.unwrap();
    assert_eq!(body["level"], "desa");
}

#[tokio::test]
async fn region_api_rejects_bad_and_unknown_codes_clearly() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let r = app.get("/api/v1/wilayah/35.2x").await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "region_code");
    assert_eq!(
        body["error"]["message"],
        "Kode wilayah '35.2x' tidak sah: hanya boleh angka dan titik. Contoh kode yang benar: 35, 35.22, 35.22.01, 35.22.01.2001."
    );
    let r = app.client.get(app.url("/api/v1/wilayah/35.2")).header("accept-language", "en-US,en;q=0.9").send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("two digits each"), "{body}");

    let r = app.client.get(app.url("/api/v1/wilayah/35.98")).header("accept-language", "en").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Region 35.98 is not in the national table.");

    let r = app.get("/api/v1/wilayah").await;
    assert_eq!(r.status(), 400, "a search needs q");
}

#[tokio::test]
async fn region_search_is_case_insensitive_prefix_and_scoped() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let body: Value = app.get("/api/v1/wilayah?q=KALITI").await.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0]["code"], "35.22.16");
    assert_eq!(results[0]["path"], serde_json::json!(["Jawa Timur", "Kabupaten Bojonegoro"]));
    let body: Value = app.get("/api/v1/wilayah?q=sumber&within=35.22.01&limit=100").await.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["code"].as_str().unwrap().starts_with("35.22.01.")));
    let body: Value = app.get("/api/v1/wilayah?q=regapu%E2%80%99u").await.json().await.unwrap();
    assert_eq!(body["results"][0]["name"], "Regapu’u");
}

#[tokio::test]
async fn directory_pages_walk_from_province_to_village_in_both_languages() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    let (status, html) = app.get_text("/wilayah").await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"id\">"));
    assert!(
        html.contains("38 provinsi, 514 kabupaten/kota, 7.285 kecamatan, dan 83.762 desa/kelurahan"),
        "counts with Indonesian separators"
    );
    assert!(html.contains("idn-area-data / Kemendagri"), "ODbL attribution on the page");

    let (_, html) = app.get_text("/wilayah/35.22.15").await;
    assert!(html.contains(r#"<a href="/wilayah/35">Jawa Timur</a>"#), "breadcrumb to the province");
    assert!(html.contains(r#"<a href="/wilayah/35.22">Kabupaten Bojonegoro</a>"#));
    assert!(html.contains("Kelurahan"));
    let (_, html) = app.get_text("/wilayah/35.22?q=kalitidu").await;
    assert!(html.contains(&said_html("wilayah.results", &[("count", "2")])));

    // The switch sets the language for the next pages.
    let r = app.get("/lang/en?next=/wilayah/35.22").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/wilayah/35.22");
    let (_, html) = app.get_text("/wilayah/35.22").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Regions below (28)"));
    assert!(html.contains(r#"href="/lang/id?next="#), "the switch back");

    let (status, html) = app.get_text("/wilayah/99.99").await;
    assert_eq!(status, 404);
    assert!(html.contains("Region 99.99 is not in the national table."));
}

#[tokio::test]
async fn pages_stay_under_100_kb() {
    let db = sqlite_db();
    let app = spawn_app(&db).await;
    for path in ["/", "/wilayah", "/wilayah/35", "/wilayah/35.22", "/wilayah/35.22.01", "/organization", "/login", "/static/style.css"] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.len() < 100 * 1024, "{path} is {} bytes", body.len());
    }
}

#[tokio::test]
async fn region_and_agency_pages_link_their_datasets_and_procurement() {
    let db = sqlite_db();
    let store = pendopo::store::Store::open(&db.url).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    pendopo::demo::load(&store, &pendopo::kernel::files::FileStore::new(files.path().to_path_buf())).await.unwrap().unwrap();
    let app = spawn_app(&db).await;

    // A kecamatan: its office's procurement, and the regency's datasets that cover it.
    let (status, html) = app.get_text("/wilayah/35.22.01").await;
    assert_eq!(status, 200);
    // The demo's kecamatan offices buy nothing: the page says so of Ngraho's.
    let none = said_html("pengadaan.panel_none", &[("buyer", "Kecamatan Ngraho")]);
    assert!(html.contains(&none), "the office's processes");
    assert!(html.contains(&said_html("dataset.covering_region", &[("n", "30")])), "datasets covering it");
    assert!(html.contains("<a href=\"/dataset/cakupan-imunisasi\">"), "the first of them by name");
    // A desa of it: the kecamatan office serves it.
    let (_, desa) = app.get_text("/wilayah/35.22.01.2001").await;
    assert!(desa.contains(&none), "the desa's kecamatan office");
    // The regency: all of it.
    let (_, regency) = app.get_text("/wilayah/35.22").await;
    assert!(regency.contains("<a href=\"/pengadaan\">") && regency.contains("<a href=\"/pengadaan/dasbor\">"));
    // Outside the region, nothing of ours.
    let (_, other) = app.get_text("/wilayah/35.78").await;
    let main = &other[other.find("<main").unwrap()..];
    assert!(!main.contains("/pengadaan") && !main.contains("/dataset/"));
    // An agency: its datasets and its procurement.
    let (_, agency) = app.get_text("/organization/dinas-pertanian").await;
    assert!(agency.contains("<a href=\"/dataset/produksi-padi\">"));
    assert!(agency.contains("<a href=\"/pengadaan?buyer=dinas-pertanian\">"), "{agency}");
}
