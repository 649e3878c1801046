//! Villages (issue 12), on both engines: a village operator enters and
//! imports an APBDes and sees it on the village's page, another village is
//! refused, bad budgets are refused whole with every problem named, an
//! APBDes Perubahan keeps the old version, realisation above plan needs a
//! reason and is flagged in public, the IDM's worked example and the 409
//! for a kelurahan, the comparison rows and ranking, and the demo's 430
//! village pages.

use serde_json::{Value, json};

use crate::common::{REGION, TestApp, each_engine, said, said_html, spawn_app};

const DESA: &str = "35.22.01.2001";
const OTHER: &str = "35.22.01.2002";
const KELURAHAN: &str = "35.22.15.1001";

async fn api(app: &TestApp, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(t) = token {
        req = req.header("Authorization", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A balanced budget: Dana Desa `dd`, ADD 400 million, spent on two kegiatan.
fn budget(dd: Value, road_s1: Option<i64>, reason: &str) -> Value {
    let mut road = json!({ "kode": "2.2.01", "nama": "Pembangunan jalan desa", "sumber": "DDS", "anggaran": 1_000_000_000i64 });
    if let Some(s1) = road_s1 {
        road["realisasi_s1"] = s1.into();
        road["alasan"] = reason.into();
    }
    json!({ "lines": [
        { "kode": "4.2.1", "nama": "Dana Desa", "sumber": "DDS", "anggaran": dd },
        { "kode": "4.2.3", "nama": "Alokasi Dana Desa", "sumber": "ADD", "anggaran": 400_000_000i64 },
        { "kode": "1.1.01", "nama": "Penghasilan tetap perangkat desa", "sumber": "ADD", "anggaran": 400_000_000i64 },
        road,
    ]})
}

struct Setup {
    app: TestApp,
    operator: String,
    admin: String,
}

async fn setup(db: &crate::common::TestDb) -> Setup {
    let app = spawn_app(db).await;
    let operator = app.token_for(&app.add_user("operator@desa.id", "village_operator", None).await).await;
    let admin = app.token_for(&app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await).await;
    Setup { app, operator, admin }
}

async fn stored_versions(app: &TestApp) -> i64 {
    app.store.fetch_scalar::<i64>(pendopo::store::sql("SELECT COUNT(*) FROM village_apbdes")).await.unwrap()
}

#[tokio::test]
async fn an_operator_enters_and_imports_an_apbdes_and_sees_it_on_the_page() {
    for db in each_engine().await {
        let Setup { app, operator, admin } = setup(&db).await;
        let path = format!("/api/v1/desa/{DESA}/apbdes/2026");
        // Strangers and another village's operator are refused.
        let (status, _) = api(&app, reqwest::Method::PUT, &path, None, Some(budget(json!(1_000_000_000i64), None, ""))).await;
        assert_eq!(status, 401, "{}", app.label);
        let other = format!("/api/v1/desa/{OTHER}/apbdes/2026");
        let (status, _) = api(&app, reqwest::Method::PUT, &other, Some(&operator), Some(budget(json!(1_000_000_000i64), None, ""))).await;
        assert_eq!(status, 403, "{}: another village", app.label);
        // Amounts with "Rp" and thousands separators are read.
        let (status, v) = api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(budget(json!("Rp 1.000.000.000"), None, ""))).await;
        assert_eq!(status, 200, "{}: {v}", app.label);
        assert_eq!(v["version"], 1);
        assert_eq!(v["totals"]["pendapatan"]["plan"], 1_400_000_000i64);
        let (status, v) = api(&app, reqwest::Method::GET, &path, None, None).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["lines"].as_array().unwrap().len(), 4);
        assert_eq!(v["lines"][0]["anggaran"], 1_000_000_000i64);
        let (_, page) = app.get_text(&format!("/desa/{DESA}?tahun=2026")).await;
        assert!(page.contains("Pembangunan jalan desa") && page.contains("Rp 1.000.000.000"), "{}", app.label);
        assert!(page.contains("<svg"), "the infographic is drawn");
        // A region admin writes any village.
        let (status, _) =
            api(&app, reqwest::Method::PUT, &other, Some(&admin), Some(budget(json!(900_000_000i64 + 100_000_000), None, ""))).await;
        assert_eq!(status, 200);

        // The operator imports a Siskeudes-style CSV through the page.
        let browser = app.signed_in_as("operator@desa.id").await;
        let manage = format!("/desa/{DESA}/kelola?tahun=2025");
        let csrf = browser.csrf(&manage).await;
        let csv = "APBDES DESA LUWIHAJI TAHUN 2025,,,\n,,,\nKode Rekening,Uraian,Anggaran,Sumber Dana\n4,PENDAPATAN,,\n\
            4.2.1,Dana Desa,\"1.100.000.000\",DDS\n4.2.3,Alokasi Dana Desa,500000000,ADD\n5,BELANJA,,\n1,Bidang Pemerintahan,,\n\
            1.1,Sub bidang,,\n1.1.01,Penghasilan tetap,600000000,ADD\n2,Bidang Pembangunan,,\n2.2,Sub bidang jalan,,\n\
            2.2.01,Pembangunan jalan usaha tani,1000000000,DDS\n";
        let post = |csv: &'static str| {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("aksi", "impor")
                .text("tahun", "2025")
                .text("terbitkan", "1")
                .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("apbdes.csv"));
            browser.client.post(browser.url(&manage)).multipart(form).send()
        };
        let r = post(csv).await.unwrap();
        assert_eq!(r.status(), 303, "{}: {}", app.label, r.text().await.unwrap());
        let (_, page) = app.get_text(&format!("/desa/{DESA}?tahun=2025")).await;
        assert!(page.contains("Pembangunan jalan usaha tani") && page.contains("Rp 1.100.000.000"), "{}", app.label);

        // A wrong layout and an unknown code: named, nothing stored.
        let before = stored_versions(&app).await;
        let r = post("Kode,Keterangan,Nilai\n4.2.1,x,1000\n").await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains(&said_html("desa.apbdes_no_header", &[("missing", "nama")])), "{body}");
        let r = post("Kode Rekening,Uraian,Anggaran,Sumber Dana\n4.2.9,Dana lain,1000,DDS\n2.2.01,Jalan,1000,DDS\n").await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains(&said_html("desa.apbdes_unknown_code", &[("code", "4.2.9")])), "{body}");
        assert!(body.contains("Baris 2, kolom 1"), "line and column named: {body}");
        assert_eq!(stored_versions(&app).await, before, "nothing stored");
    }
}

#[tokio::test]
async fn bad_budgets_are_refused_whole_with_every_problem() {
    for db in each_engine().await {
        let Setup { app, operator, .. } = setup(&db).await;
        let path = format!("/api/v1/desa/{DESA}/apbdes/2026");
        // Unbalanced: 1.3 billion in, 1.4 billion out.
        let (status, v) = api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(budget(json!(900_000_000i64), None, ""))).await;
        assert_eq!(status, 422, "{v}");
        let unbalanced =
            said("desa.apbdes_unbalanced", &[("income", "Rp 1.300.000.000"), ("spending", "Rp 1.400.000.000"), ("tolerance", "Rp 0")]);
        assert_eq!(v["error"]["fields"]["lines"][0], unbalanced.as_str(), "{v}");
        // An unknown code, a fraction of a rupiah and an unknown source, all at once.
        let mut body = budget(json!("Rp 1.000.000.000,50"), None, "");
        body["lines"][1]["kode"] = "4.1.9".into();
        body["lines"][1]["sumber"] = "PAD".into();
        body["lines"][2]["sumber"] = "XYZ".into();
        let (status, v) = api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(body)).await;
        assert_eq!(status, 422);
        let fields = &v["error"]["fields"];
        assert!(fields["lines.1.anggaran"][0].as_str().unwrap().contains(&said("desa.reason_money_fraction", &[])), "{v}");
        assert!(fields["lines.2.kode"][0].as_str().unwrap().contains(&said("desa.apbdes_unknown_code", &[("code", "4.1.9")])), "{v}");
        assert!(fields["lines.3.sumber"][0].as_str().unwrap().contains("XYZ"), "{v}");
        assert_eq!(stored_versions(&app).await, 0, "{}: nothing stored", app.label);
        let (status, _) = api(&app, reqwest::Method::GET, &path, None, None).await;
        assert_eq!(status, 404);
    }
}

#[tokio::test]
async fn a_perubahan_keeps_the_old_version_and_realisation_above_plan_is_flagged() {
    for db in each_engine().await {
        let Setup { app, operator, .. } = setup(&db).await;
        let path = format!("/api/v1/desa/{DESA}/apbdes/2026");
        let put = |body: Value| api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(body));
        assert_eq!(put(budget(json!(1_000_000_000i64), None, "")).await.0, 200);
        // Realisation reported on the same plan: the same version.
        let (status, v) = put(budget(json!(1_000_000_000i64), Some(300_000_000), "")).await;
        assert_eq!((status, v["version"].clone(), v["perubahan"].clone()), (200, json!(1), json!(false)), "{v}");
        // Above plan without a reason: refused, named under the reason.
        let (status, v) = put(budget(json!(1_000_000_000i64), Some(1_100_000_000), "")).await;
        assert_eq!(status, 422);
        assert!(v["error"]["fields"]["lines.4.alasan"].is_array(), "{v}");
        // With a reason: stored and flagged in public.
        let (status, v) = put(budget(json!(1_000_000_000i64), Some(1_100_000_000), "Harga material naik setelah banjir")).await;
        assert_eq!(status, 200, "{v}");
        let (_, page) = app.get_text(&format!("/desa/{DESA}?tahun=2026")).await;
        assert!(page.contains(&said_html("desa.flag_above_plan", &[])) && page.contains("Harga material naik setelah banjir"));
        // A changed plan on a published budget is the Perubahan, version 2.
        let mut amended = budget(json!(1_200_000_000i64), Some(1_100_000_000), "Harga material naik setelah banjir");
        amended["lines"][3]["anggaran"] = 1_200_000_000i64.into();
        let (status, v) = put(amended).await;
        assert_eq!((status, v["version"].clone(), v["perubahan"].clone()), (200, json!(2), json!(true)), "{v}");
        let (_, v2) = api(&app, reqwest::Method::GET, &path, None, None).await;
        assert_eq!(v2["version"], 2);
        assert_eq!(v2["lines"][0]["anggaran"], 1_200_000_000i64);
        assert!(!v2["changes"].as_array().unwrap().is_empty(), "{v2}");
        let (_, v1) = api(&app, reqwest::Method::GET, &format!("{path}?versi=1"), None, None).await;
        assert_eq!(v1["lines"][0]["anggaran"], 1_000_000_000i64, "the original kept");
    }
}

fn worked_example() -> Value {
    let mut body = serde_json::Map::new();
    for (index, name) in anggaran::idm::INDICATORS {
        let score = match index {
            anggaran::idm::Index::Iks => 4,
            anggaran::idm::Index::Ike => 3,
            anggaran::idm::Index::Ikl => 5,
        };
        body.insert(name.to_string(), score.into());
    }
    Value::Object(body)
}

#[tokio::test]
async fn idm_scores_give_the_worked_example_and_kelurahan_are_not_scored() {
    for db in each_engine().await {
        let Setup { app, operator, admin } = setup(&db).await;
        let path = format!("/api/v1/desa/{DESA}/idm/2026");
        let (status, v) = api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(worked_example())).await;
        assert_eq!(status, 200, "{v}");
        let (status, v) = api(&app, reqwest::Method::GET, &path, None, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            (v["iks"].clone(), v["ike"].clone(), v["ikl"].clone(), v["idm"].clone()),
            (json!(0.8), json!(0.6), json!(1.0), json!(0.8))
        );
        assert_eq!(v["status"], "maju", "{}: {v}", app.label);
        // A missing and an unknown indicator, named.
        let mut wrong = worked_example();
        wrong.as_object_mut().unwrap().remove("Akses Sarkes");
        wrong["Akses Bioskop"] = 3.into();
        let (status, v) = api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(wrong)).await;
        assert_eq!(status, 422);
        assert!(v["error"]["fields"]["Akses Sarkes"].is_array() && v["error"]["fields"]["Akses Bioskop"].is_array(), "{v}");
        // A kelurahan: 409 with the reason.
        let kel = format!("/api/v1/desa/{KELURAHAN}/idm/2026");
        let (status, v) = api(&app, reqwest::Method::PUT, &kel, Some(&admin), Some(worked_example())).await;
        assert_eq!(status, 409);
        assert_eq!(v["error"]["message"], said("desa.idm_kelurahan_not_scored", &[]).as_str());
        let (status, _) = api(&app, reqwest::Method::GET, &kel, None, None).await;
        assert_eq!(status, 409);
    }
}

#[tokio::test]
async fn the_comparison_ranks_villages_by_transparency() {
    for db in each_engine().await {
        let Setup { app, operator, .. } = setup(&db).await;
        let path = format!("/api/v1/desa/{DESA}/apbdes/2026");
        let (status, _) =
            api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(budget(json!(1_000_000_000i64), Some(500_000_000), ""))).await;
        assert_eq!(status, 200);
        api(&app, reqwest::Method::PUT, &format!("/api/v1/desa/{DESA}/idm/2026"), Some(&operator), Some(worked_example())).await;
        // The profile through the operator's page: two dusun of 1,000 residents.
        let browser = app.signed_in_as("operator@desa.id").await;
        let manage = format!("/desa/{DESA}/kelola?tahun=2026");
        let csrf = browser.csrf(&manage).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("aksi", "profil")
            .text("kepala_desa", "Suyanto")
            .text("alamat", "Jl. Raya Luwihaji 1")
            .text("dusun", "Krajan: 600\nNgasem: 400");
        let r = browser.client.post(browser.url(&manage)).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);

        let (status, v) = api(&app, reqwest::Method::GET, "/api/v1/desa?year=2026&kecamatan=35.22.01", None, None).await;
        assert_eq!(status, 200);
        let rows = v["rows"].as_array().unwrap();
        assert!(rows.len() > 5 && rows.iter().all(|r| r["kecamatan"] == "35.22.01"), "{}", rows.len());
        let first = &rows[0];
        assert_eq!(first["code"], DESA, "the only village that published anything ranks first: {first}");
        assert_eq!((first["rank"].clone(), first["rank_kecamatan"].clone()), (json!(1), json!(1)));
        assert_eq!(first["population"], 1000);
        assert_eq!(first["dana_desa_per_resident"], 1_000_000);
        assert_eq!(first["add_per_resident"], 400_000);
        assert_eq!(first["realisation"], "35,71", "500 of 1,400 million spent");
        assert_eq!(first["status"], "maju");
        assert_eq!(v["population_source"], "profil_dusun");
        // APBDes 25, realisation 25, profile 10 of 100.
        assert_eq!(first["transparency"], "60.00");
        let all = api(&app, reqwest::Method::GET, "/api/v1/desa?year=2026", None, None).await.1;
        assert_eq!(all["rows"].as_array().unwrap().len(), 430, "every village of Bojonegoro");
        let (status, page) = app.get_text("/desa?tahun=2026&urut=dana_desa&arah=turun").await;
        assert_eq!(status, 200);
        assert!(page.contains("Luwihaji") && page.contains(&said_html("desa.festival", &[("year", "2026")])));
        // The map by kecamatan: 28 outlines numbered as the table beside
        // them, shaded by the measure chosen, its figures in the alt text.
        let (_, page) = app.get_text("/desa?tahun=2026").await;
        assert!(page.contains("<title id=\"peta-kec-t\">Dana Desa per penduduk per kecamatan, 2026</title>"), "{}", app.label);
        assert!(page.contains("1. Ngraho: Rp 1.000.000;"), "{}: the alt text names each value", app.label);
        assert_eq!(page.matches("<path d=\"M").count(), 28, "{}: every kecamatan outlined", app.label);
        assert!(page.contains("cahyadsn/wilayah_boundaries (lisensi MIT)"), "the outlines' credit");
        assert!(!page.contains(&said_html("desa.chart_kecamatan", &[])), "the map stands in for the bar chart");
        for (measure, title, ngraho) in [
            ("realisasi", "Realisasi belanja per kecamatan, 2026", "35,7 %"),
            ("idm", "Bagian desa berstatus Maju atau Mandiri per kecamatan, 2026", "100 %"),
        ] {
            let (status, page) = app.get_text(&format!("/desa?tahun=2026&peta={measure}")).await;
            assert_eq!(status, 200);
            assert!(page.contains(title), "{}: {measure}", app.label);
            assert!(page.contains(&format!("Ngraho</a></td><td>{ngraho}</td>")), "{}: {measure}: {page}", app.label);
            assert!(page.contains("2. Tambakrejo: tanpa data"), "{}: {measure}: hatched, said", app.label);
            assert!(page.contains(&format!("<option value=\"{measure}\" selected>")), "the choice is kept");
        }
        let (status, _) = app.get_text(&format!("/desa/{KELURAHAN}")).await;
        assert_eq!(status, 200, "a kelurahan has its page");
        let _ = REGION;
    }
}

#[tokio::test]
async fn the_demo_gives_all_430_village_pages() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let admin = app.add_user("admin@bojonegorokab.go.id", "sysadmin", None).await;
        let region = pendopo::slices::DemoRegion { store: &app.store, files: &app.state.files, tenant: REGION, admin: &admin };
        let started = std::time::Instant::now();
        let said = pendopo::slices::villages::demo::load(&region).await.unwrap();
        eprintln!("{}: {said} in {:?}", app.label, started.elapsed());
        let v = api(&app, reqwest::Method::GET, "/api/v1/desa?year=2025", None, None).await.1;
        let rows = v["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 430);
        assert!(
            rows.iter().all(|r| r["dana_desa"].as_i64().is_some_and(|d| (800_000_000..=1_300_000_000).contains(&d))),
            "Dana Desa 0.8-1.2 billion"
        );
        let statuses: std::collections::BTreeSet<&str> = rows.iter().filter_map(|r| r["status"].as_str()).collect();
        assert_eq!(statuses.len(), 5, "a spread over the five statuses: {statuses:?}");
        assert_eq!(rows.iter().filter(|r| r["status"].is_null()).count(), 11, "the 11 kelurahan are not scored");
        let (status, page) = app.get_text(&format!("/desa/{DESA}?tahun=2025")).await;
        assert_eq!(status, 200);
        assert!(page.contains("data demo"), "labelled demo data");
    }
}

#[tokio::test]
async fn the_dpmd_returns_entries_imports_the_official_idm_and_publishes_the_figures() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(1_796_000_000_000);
        let app = crate::common::spawn_clocked(&db, clock.clone()).await;
        app.add_org("dpmd").await;
        let operator = app.token_for(&app.add_user("operator@desa.id", "village_operator", None).await).await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let path = format!("/api/v1/desa/{DESA}/apbdes/2026");
        assert_eq!(api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(budget(json!(1_000_000_000i64), None, ""))).await.0, 200);

        // The DPMD returns the year with a note; the operator sees it.
        let admin = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        let csrf = admin.csrf(&format!("/desa/{DESA}/kelola?tahun=2026")).await;
        let review = format!("/desa/{DESA}/tinjau");
        let r = admin.post_form(&review, &[("csrf", &csrf), ("tahun", "2026"), ("keadaan", "dikembalikan"), ("catatan", "")]).await;
        assert_eq!(r.status(), 422, "a returned entry needs a note");
        let note = "Lampirkan rincian kegiatan 2.2.01";
        let r = admin.post_form(&review, &[("csrf", &csrf), ("tahun", "2026"), ("keadaan", "dikembalikan"), ("catatan", note)]).await;
        assert_eq!(r.status(), 303);
        let operator_browser = app.signed_in_as("operator@desa.id").await;
        let (_, page) = operator_browser.get_text(&format!("/desa/{DESA}/kelola?tahun=2026")).await;
        assert!(page.contains(note) && page.contains(&said_html("desa.review.dikembalikan", &[])), "{}", app.label);
        let r = operator_browser
            .post_form(&review, &[("csrf", &crate::common::csrf_in(&page)), ("tahun", "2026"), ("keadaan", "diterima")])
            .await;
        assert_eq!(r.status(), 403, "an operator does not review");

        // The official IDM table: a kelurahan row refuses the whole file.
        let names: Vec<&str> = anggaran::idm::INDICATORS.iter().map(|(_, n)| *n).collect();
        let header = format!("kode_desa,{}", names.join(","));
        let row = |code: &str, score: u8| format!("{code},{}", vec![score.to_string(); 50].join(","));
        let post = |csv: String| {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("aksi", "idm")
                .text("tahun", "2025")
                .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("idm-2025.csv"));
            admin.client.post(admin.url("/desa/kabupaten")).multipart(form).send()
        };
        let r = post(format!("{header}\n{}\n{}\n", row(DESA, 3), row(KELURAHAN, 3))).await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains(&said_html("desa.idm_import_kelurahan", &[("file", "idm-2025.csv"), ("line", "3"), ("code", KELURAHAN)])),
            "{body}"
        );
        assert_eq!(api(&app, reqwest::Method::GET, &format!("/api/v1/desa/{DESA}/idm/2025"), None, None).await.0, 404, "nothing stored");
        let r = post(format!("{header}\n{}\n{}\n", row(DESA, 3), row(OTHER, 4))).await.unwrap();
        assert_eq!(r.status(), 200);
        let (_, v) = api(&app, reqwest::Method::GET, &format!("/api/v1/desa/{OTHER}/idm/2025"), None, None).await;
        assert_eq!((v["idm"].clone(), v["status"].clone(), v["source"].clone()), (json!(0.8), json!("maju"), json!("kemendesa")), "{v}");
        // Kemendesa's JSON for one village, named by its code.
        let rows: Vec<Value> = names.iter().map(|n| json!({ "INDIKATOR": n, "SKOR": "2" })).collect();
        let doc = json!({ "mapData": { "SUMMARIES": { "TAHUN": 2025, "STATUS": "TERTINGGAL" }, "ROW": rows } });
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("aksi", "idm")
            .text("tahun", "2025")
            .part("file", reqwest::multipart::Part::bytes(doc.to_string().into_bytes()).file_name("3522012003.json"));
        let r = admin.client.post(admin.url("/desa/kabupaten")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let (_, v) = api(&app, reqwest::Method::GET, "/api/v1/desa/35.22.01.2003/idm/2025", None, None).await;
        assert_eq!(v["status"], "sangat_tertinggal", "0.4 is Sangat Tertinggal: {v}");

        // The figures become a catalogue dataset, refreshed by one job.
        let queued: i64 = app
            .store
            .fetch_scalar(pendopo::store::sql("SELECT COUNT(*) FROM jobs WHERE kind = 'desa:datasets' AND state = 'queued'"))
            .await
            .unwrap();
        assert_eq!(queued, 1, "one refresh absorbs every change");
        clock.advance(std::time::Duration::from_secs(15 * 60));
        app.drain_jobs().await;
        let r =
            app.client.post(app.url("/api/3/action/package_show")).json(&json!({"id": "anggaran-dan-indeks-desa"})).send().await.unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["success"], true, "{v}");
        let url = v["result"]["resources"][0]["url"].as_str().unwrap();
        let (status, csv) = app.get_text(&url[url.find("/dataset/").unwrap()..]).await;
        assert_eq!(status, 200);
        assert!(csv.contains(&format!("\n2026,{DESA},Luwihaji,35.22.01,")), "{csv}");
        assert!(csv.contains(&format!("\n2025,{OTHER},Sugihwaras,35.22.01,")) && csv.contains(",0.8000,maju,"), "{}", &csv[..400]);
    }
}

/// The MediaBox of a poster PDF's page, in points.
fn media_box(pdf: &[u8]) -> String {
    let text = String::from_utf8_lossy(pdf);
    let start = text.find("/MediaBox [").expect("a MediaBox") + "/MediaBox [".len();
    text[start..start + text[start..].find(']').unwrap()].trim().to_string()
}

#[tokio::test]
async fn the_billboard_poster_prints_the_published_budget_as_pdf_svg_and_one_zip() {
    for db in each_engine().await {
        let Setup { app, operator, .. } = setup(&db).await;
        let path = format!("/api/v1/desa/{DESA}/apbdes/2026");
        let (status, v) =
            api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(budget(json!(1_000_000_000i64), Some(300_000_000), ""))).await;
        assert_eq!(status, 200, "{}: {v}", app.label);
        // No poster without a published budget, nor in a size that does not exist.
        assert_eq!(app.get(&format!("/desa/{OTHER}/poster/2026.pdf")).await.status(), 404);
        assert_eq!(app.get(&format!("/desa/{DESA}/poster/2026.pdf?ukuran=b5")).await.status(), 404);

        let (status, svg) = app.get_text(&format!("/desa/{DESA}/poster/2026.svg")).await;
        assert_eq!(status, 200);
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{}", &svg[..svg.len().min(80)]);
        assert!(svg.contains("Tahun 2026") && svg.contains("Rp 1.400.000.000"), "the title and the pendapatan are printed");
        assert!(svg.contains("<title") && svg.contains("<desc"), "the poster has its alt text");

        let a4 = app.get(&format!("/desa/{DESA}/poster/2026.pdf")).await;
        assert_eq!(a4.status(), 200);
        assert_eq!(a4.headers()["content-type"], "application/pdf");
        let a4 = a4.bytes().await.unwrap();
        assert!(a4.starts_with(b"%PDF-"));
        let a1 = app.get(&format!("/desa/{DESA}/poster/2026.pdf?ukuran=a1")).await.bytes().await.unwrap();
        let size = |b: &str| b.split_whitespace().map(|n| n.parse::<f64>().unwrap()).collect::<Vec<_>>();
        let (small, large) = (size(&media_box(&a4)), size(&media_box(&a1)));
        assert!((small[2] - 595.28).abs() < 0.5 && (small[3] - 841.89).abs() < 0.5, "A4: {small:?}");
        assert!((large[2] - 1683.78).abs() < 0.5 && (large[3] - 2383.94).abs() < 0.5, "A1: {large:?}");

        // Every published village of the year in one ZIP: here the one.
        let zip = app.get("/desa/poster/2026.zip").await;
        assert_eq!(zip.status(), 200);
        assert_eq!(zip.headers()["content-type"], "application/zip");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes().await.unwrap().to_vec())).unwrap();
        assert_eq!(archive.len(), 1, "{}", app.label);
        let mut entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), "apbdes-35.22.01.2001-2026-a4.pdf");
        let mut pdf = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut pdf).unwrap();
        assert_eq!(pdf, a4.to_vec(), "the ZIP holds the same poster");
        assert_eq!(app.get("/desa/poster/2025.zip").await.status(), 404, "no published budget that year");
    }
}

/// A single village's APBDes as a Fiscal Data Package: the descriptor
/// names its CSV, the CSV's header is the declared schema, every measure
/// and dimension names a column, the amounts add up to the budget, a
/// Perubahan keeps version 1's package at `?versi=1`, and drafts or years
/// without a published budget answer 404.
#[tokio::test]
async fn a_village_apbdes_downloads_as_a_fiscal_data_package() {
    for db in each_engine().await {
        let Setup { app, operator, .. } = setup(&db).await;
        let label = app.label;
        let path = format!("/api/v1/desa/{DESA}/apbdes/2026");
        let (status, v) = api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(budget(json!(1_000_000_000i64), None, ""))).await;
        assert_eq!(status, 200, "{label}: {v}");
        let package_path = format!("/desa/{DESA}/apbdes/2026/datapackage.json");
        let r = app.get(&package_path).await;
        assert_eq!(r.status(), 200, "{label}");
        let package: Value = r.json().await.unwrap();
        assert_eq!(package["profile"], "fiscal-data-package");
        assert_eq!(package["name"], "apbdes-3522012001-2026");
        assert_eq!(package["fiscalPeriod"]["start"], "2026-01-01");
        assert_eq!(package["countryCode"], "ID");
        let resource = &package["resources"][0];
        assert_eq!(resource["profile"], "tabular-data-resource");
        let url = resource["path"].as_str().unwrap();
        assert!(url.starts_with("http") && url.ends_with(&format!("/desa/{DESA}/apbdes/2026/apbdes.csv")), "{url}");
        let r = app.client.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let declared: Vec<&str> = resource["schema"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(header, declared, "{label}: the CSV is as its schema says");
        let model = &package["model"];
        for m in model["measures"].as_object().unwrap().values() {
            assert!(declared.contains(&m["source"].as_str().unwrap()), "{m}");
            assert_eq!(m["currency"], "IDR");
        }
        for d in model["dimensions"].as_object().unwrap().values() {
            for a in d["attributes"].as_object().unwrap().values() {
                assert!(declared.contains(&a["source"].as_str().unwrap()), "{a}");
            }
        }
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 4, "{label}: one row a line");
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let sum =
            |arah: &str| -> i64 { rows.iter().filter(|r| &r[at("arah")] == arah).map(|r| r[at("anggaran")].parse::<i64>().unwrap()).sum() };
        assert_eq!((sum("revenue"), sum("expenditure")), (1_400_000_000, 1_400_000_000));
        assert!(rows.iter().all(|r| &r[at("kode_desa")] == "3522012001" && &r[at("tahun")] == "2026"));
        let road = rows.iter().find(|r| &r[at("kode_kegiatan")] == "2.2.01").expect("the road's line");
        assert_eq!((&road[at("kode_bidang")], &road[at("sumber_dana")]), ("2", "DDS"));

        // A Perubahan: the latest by default, version 1 still at ?versi=1.
        let mut amended = budget(json!(1_100_000_000i64), None, "");
        amended["lines"][3]["anggaran"] = 1_100_000_000i64.into();
        let (status, v) = api(&app, reqwest::Method::PUT, &path, Some(&operator), Some(amended)).await;
        assert_eq!((status, v["version"].as_i64()), (200, Some(2)), "{label}: {v}");
        let sum_of = |csv: String| -> i64 {
            let mut r = csv::Reader::from_reader(csv.as_bytes());
            r.records().map(Result::unwrap).filter(|r| &r[3] == "revenue").map(|r| r[11].parse::<i64>().unwrap()).sum()
        };
        let latest = app.get(&format!("/desa/{DESA}/apbdes/2026/apbdes.csv")).await.text().await.unwrap();
        assert_eq!(sum_of(latest), 1_500_000_000);
        let first: Value = app.get(&format!("{package_path}?versi=1")).await.json().await.unwrap();
        let first_csv = app.client.get(first["resources"][0]["path"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
        assert_eq!(sum_of(first_csv), 1_400_000_000, "{label}: the first version's package keeps its figures");
        let (_, page) = app.get_text(&format!("/desa/{DESA}?tahun=2026")).await;
        assert!(page.contains(&format!("href=\"/desa/{DESA}/apbdes/2026/datapackage.json?versi=2\"")), "{label}: linked from the page");

        // Nothing published: 404, drafts included.
        let mut draft = budget(json!(1_000_000_000i64), None, "");
        draft["draft"] = json!(true);
        let (status, v) = api(&app, reqwest::Method::PUT, &format!("/api/v1/desa/{DESA}/apbdes/2027"), Some(&operator), Some(draft)).await;
        assert_eq!((status, v["published"].as_bool()), (200, Some(false)), "{label}: {v}");
        assert_eq!(app.get(&format!("/desa/{DESA}/apbdes/2027/datapackage.json")).await.status(), 404, "{label}: a draft");
        assert_eq!(app.get(&format!("/desa/{OTHER}/apbdes/2026/datapackage.json")).await.status(), 404);
        assert_eq!(app.get(&format!("/desa/{DESA}/apbdes/2019/apbdes.csv")).await.status(), 404);
        assert_eq!(app.get(&format!("{package_path}?versi=7")).await.status(), 404);
    }
}

/// A Siskeudes export of before 2018 (accounts 1/2/3 of Permendagri
/// 113/2014) is recognised by the import, mapped to 4/5/6 for the totals
/// and kept as written; an operator who says the file is of today's code
/// list gets the codes refused, and nothing is stored.
#[tokio::test]
async fn a_pre_2018_spreadsheet_is_recognised_and_mapped() {
    const OLD: &str = "APBDES TAHUN 2017,,,\nKode Rekening,Uraian,Anggaran,Sumber Dana\n1,PENDAPATAN,1.300.000.000,\n\
        1.2,Pendapatan Transfer,1.300.000.000,\n1.2.1,Dana Desa,900.000.000,DDS\n1.2.3,Alokasi Dana Desa,400.000.000,ADD\n\
        2,BELANJA,1.300.000.000,\n2.1,Bidang Penyelenggaraan Pemerintahan Desa,400.000.000,\n2.1.1,Penghasilan tetap,400.000.000,ADD\n\
        2.2,Bidang Pembangunan Desa,900.000.000,\n2.2.1,Jalan desa,900.000.000,DDS\n";
    for db in each_engine().await {
        let Setup { app, .. } = setup(&db).await;
        let label = app.label;
        let browser = app.signed_in_as("operator@desa.id").await;
        let manage = format!("/desa/{DESA}/kelola?tahun=2017");
        let csrf = browser.csrf(&manage).await;
        let form = browser.get_text(&manage).await.1;
        assert!(form.contains("name=\"kode_rekening\"") && form.contains("Sebelum 2018"), "{label}: the choice is offered");
        let post = |codes: &'static str| {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("aksi", "impor")
                .text("tahun", "2017")
                .text("terbitkan", "1")
                .text("kode_rekening", codes)
                .part("file", reqwest::multipart::Part::bytes(OLD.as_bytes().to_vec()).file_name("apbdes-2017.csv"));
            browser.client.post(browser.url(&manage)).multipart(form).send()
        };
        // Said to be of today's code list: 1.x and 2.x are no accounts there.
        let r = post("2018").await.unwrap();
        assert_eq!(r.status(), 422, "{label}");
        assert_eq!(stored_versions(&app).await, 0, "{label}: nothing stored");
        // Recognised from the file.
        let r = post("otomatis").await.unwrap();
        assert_eq!(r.status(), 303, "{label}: {}", r.text().await.unwrap());
        let (status, v) = api(&app, reqwest::Method::GET, &format!("/api/v1/desa/{DESA}/apbdes/2017"), None, None).await;
        assert_eq!(status, 200, "{label}: {v}");
        let codes: Vec<&str> = v["lines"].as_array().unwrap().iter().map(|l| l["kode"].as_str().unwrap()).collect();
        assert_eq!(codes, ["1.2.1", "1.2.3", "2.1.1", "2.2.1"], "{label}: kept as the file wrote them");
        assert_eq!(v["totals"]["pendapatan"]["plan"], 1_300_000_000i64);
        assert_eq!(v["totals"]["belanja"]["plan"], 1_300_000_000i64);
        assert_eq!(v["totals"]["by_source"]["dana_desa"]["plan"], 900_000_000i64, "{label}: 1.2.1 is Dana Desa: {v}");
        let rows = api(&app, reqwest::Method::GET, "/api/v1/desa?year=2017&kecamatan=35.22.01", None, None).await.1;
        let row = rows["rows"].as_array().unwrap().iter().find(|r| r["code"] == DESA).cloned().unwrap();
        assert_eq!(row["dana_desa"], 900_000_000i64, "{label}: the comparison reads the mapped accounts");
        // Said explicitly, the same file is read the same way.
        let r = post("sebelum_2018").await.unwrap();
        assert_eq!(r.status(), 303, "{label}");
    }
}

/// A region's own kecamatan outlines, put in the file store, replace the
/// built-in ones (and their credit); a broken file leaves the built-in map.
#[tokio::test]
async fn a_region_file_of_kecamatan_outlines_draws_the_map() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let file = app.state.files.path("peta/kecamatan-35.22.geojson").unwrap();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{not json").unwrap();
    let (status, page) = app.get_text("/desa").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches("<path d=\"M").count(), 28, "a broken file: the built-in outlines");
    let two = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"kode":"35.22.01","nama":"Ngraho"},"geometry":{"type":"Polygon","coordinates":[[[111.50,-7.20],[111.60,-7.20],[111.60,-7.30],[111.50,-7.20]]]}},
        {"type":"Feature","properties":{"kode":"35.22.02","nama":"Tambakrejo"},"geometry":{"type":"MultiPolygon","coordinates":[[[[111.60,-7.20],[111.70,-7.20],[111.70,-7.30],[111.60,-7.20]]]]}}]}"#;
    std::fs::write(&file, two).unwrap();
    let (_, page) = app.get_text("/desa").await;
    assert_eq!(page.matches("<path d=\"M").count(), 2, "the region's own outlines");
    assert!(!page.contains("cahyadsn"), "no credit for data not shown");
}
