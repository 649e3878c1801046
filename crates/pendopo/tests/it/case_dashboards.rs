//! The public complaints dashboard, its JSON and CSV, the weekly review of
//! overdue cases and the figures published as catalogue datasets, on both
//! engines: a month of cases moved through the LAPOR! flow on the store's
//! manual clock, with a confidential one and a reporter's contacts that
//! must show nowhere.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, each_engine, spawn_clocked_with};

/// Monday 2 November 2026, 09:00 WIB.
const MONDAY: i64 = 1_793_584_800_000;
const DAY: Duration = Duration::from_secs(86_400);

/// What must never be shown: the reporter's contacts and the confidential report.
const SECRETS: [&str; 5] = ["Siti", "siti.aminah@contoh.id", "081234567890", "RAHASIA-XYZ", "Budi Rahasia"];

async fn api(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).header("Authorization", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn step(app: &TestApp, token: &str, number: &str, body: Value) {
    let (status, v) = api(app, reqwest::Method::POST, &format!("/api/v1/cases/{number}/actions"), token, Some(body)).await;
    assert_eq!(status, 200, "{number}: {v}");
}

/// Files a report on `service` through Open311; its number.
async fn file(app: &TestApp, token: &str, service: &str, place: Option<&str>, extra: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("service_code", service),
        ("lat", "-7.1502"),
        ("long", "111.8817"),
        ("description", "Jalan berlubang di depan balai desa."),
        ("first_name", "Siti"),
        ("last_name", "Aminah"),
        ("email", "siti.aminah@contoh.id"),
        ("phone", "081234567890"),
        ("api_key", token),
    ];
    if let Some(code) = place {
        fields.push(("address_id", code));
    }
    fields.extend_from_slice(extra);
    let r = app.client.post(app.url("/open311/v2/requests.json")).form(&fields).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    v[0]["service_request_id"].as_str().unwrap_or_else(|| panic!("{v}")).to_string()
}

struct Seeded {
    app: TestApp,
    clock: pendopo::clock::Clock,
    confidential: String,
    late_public: String,
}

/// Seven cases, as of Friday 4 December 2026:
/// - A (dpupr, Ngraho desa): answered after 2 days, closed after 7;
/// - B (dpupr, kecamatan 35.22.02): answered after 5 days (blue);
/// - C (dinkes, Ngraho, confidential): dispositioned, overdue since 9 Nov;
/// - D (dpupr, no place): never verified, overdue since 5 Nov;
/// - F (dpupr, no place): rejected;
/// - G (dpupr, 35.22.02): in progress, within its 60 days;
/// - E (dinkes, 35.22.02): filed 1 December, not yet due.
async fn seed(db: &crate::common::TestDb) -> Seeded {
    let clock = pendopo::clock::Clock::manual(MONDAY);
    // Jobs run when the test drains them, never meanwhile: a background
    // worker woken by the last filing could claim the refresh that the
    // seed's last step of the clock made due (the test counts it waiting).
    let app = spawn_clocked_with(db, clock.clone(), |c| pendopo::web::WebConfig { run_jobs: false, ..c }).await;
    for org in ["dpupr", "dinkes", "diskominfo"] {
        app.add_org(org).await;
    }
    let admin = app.token_for(&app.add_user("walidata@kominfo.id", "walidata", None).await).await;
    for (code, agency) in [("JALAN", "dpupr"), ("PUSKESMAS", "dinkes")] {
        let body = json!({ "code": code, "name": format!("Layanan {code}"), "agency": agency, "description": "Contoh." });
        let (status, v) = api(&app, reqwest::Method::POST, "/api/v1/services", &admin, Some(body)).await;
        assert_eq!(status, 201, "{v}");
    }
    let a = file(&app, &admin, "JALAN", Some("35.22.01.2001"), &[]).await;
    let b = file(&app, &admin, "JALAN", Some("35.22.02"), &[]).await;
    let secret = [("rahasia", "true"), ("description", "RAHASIA-XYZ: pungutan liar di puskesmas."), ("first_name", "Budi Rahasia")];
    let c = file(&app, &admin, "PUSKESMAS", Some("35.22.01"), &secret).await;
    let d = file(&app, &admin, "JALAN", None, &[]).await;
    let f = file(&app, &admin, "JALAN", None, &[]).await;
    let g = file(&app, &admin, "JALAN", Some("35.22.02"), &[]).await;
    for (n, agency) in [(&a, "dpupr"), (&b, "dpupr"), (&c, "dinkes"), (&g, "dpupr")] {
        step(&app, &admin, n, json!({ "action": "verify" })).await;
        step(&app, &admin, n, json!({ "action": "disposition", "agency": agency })).await;
    }
    step(&app, &admin, &f, json!({ "action": "reject", "reason": "Bukan kewenangan kabupaten." })).await;
    clock.advance(DAY);
    step(&app, &admin, &g, json!({ "action": "start" })).await;
    clock.advance(DAY);
    step(&app, &admin, &a, json!({ "action": "answer", "text": "Sudah ditambal." })).await;
    clock.advance(3 * DAY);
    step(&app, &admin, &b, json!({ "action": "answer", "text": "Dijadwalkan." })).await;
    clock.advance(2 * DAY);
    step(&app, &admin, &a, json!({ "action": "close" })).await;
    // Tuesday 1 December: E; then Friday 4 December, 09:00.
    clock.advance(22 * DAY);
    file(&app, &admin, "PUSKESMAS", Some("35.22.02"), &[]).await;
    clock.advance(3 * DAY);
    Seeded { app, clock, confidential: c, late_public: d }
}

fn line<'a>(list: &'a Value, key: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|l| l["key"] == key).unwrap_or_else(|| panic!("no {key} in {list}"))
}

/// The figures a reader compares: counts, medians, on-time share, colours.
fn figures(l: &Value) -> Value {
    json!([
        l["received"],
        l["verified"],
        l["in_process"],
        l["answered"],
        l["closed"],
        l["overdue"],
        l["median_days_to_first_response"],
        l["median_days_to_close"],
        l["on_time_percent"],
        l["red"],
        l["yellow"],
        l["blue"],
    ])
}

#[tokio::test]
async fn the_dashboard_counts_per_agency_kecamatan_and_month_with_medians_and_colours() {
    for db in each_engine().await {
        let Seeded { app, confidential, .. } = seed(&db).await;
        let v: Value = app.get("/api/v1/cases/stats?year=2026").await.json().await.unwrap();
        assert_eq!(figures(&v["total"]), json!([7, 4, 2, 2, 1, 2, 3.5, 7.0, 100.0, 3, 1, 2]), "{}", app.label);
        assert_eq!(figures(line(&v["agencies"], "dpupr")), json!([5, 3, 1, 2, 1, 1, 3.5, 7.0, 100.0, 1, 1, 2]));
        assert_eq!(figures(line(&v["agencies"], "dinkes")), json!([2, 1, 1, 0, 0, 1, null, null, null, 2, 0, 0]));
        assert_eq!(line(&v["agencies"], "dinkes")["name"], "Dinas dinkes");
        let ngraho = line(&v["kecamatan"], "35.22.01");
        assert_eq!((ngraho["name"].as_str(), ngraho["received"].as_i64(), ngraho["overdue"].as_i64()), (Some("Ngraho"), Some(2), Some(1)));
        assert_eq!(line(&v["kecamatan"], "35.22.02")["received"], 3);
        assert_eq!(line(&v["kecamatan"], "")["received"], 2, "reports without a place count apart");
        assert_eq!(line(&v["months"], "2026-11")["received"], 6);
        assert_eq!(line(&v["months"], "2026-12")["received"], 1);

        // Filters: a month, an agency, a kecamatan, and together.
        let total = |q: &'static str| {
            let app = &app;
            async move { app.get(&format!("/api/v1/cases/stats?{q}")).await.json::<Value>().await.unwrap()["total"]["received"].clone() }
        };
        assert_eq!(total("year=2026&month=11").await, 6);
        assert_eq!(total("year=2026&agency=dinkes").await, 2);
        assert_eq!(total("year=2026&kecamatan=35.22.02").await, 3);
        assert_eq!(total("year=2026&month=12&kecamatan=35.22.02&agency=dinkes").await, 1);
        assert_eq!(total("year=2025").await, 0);
        // Wrong filters: the field and the reason, in the caller's language.
        for (q, field) in [("year=abad", "year"), ("month=13", "month"), ("agency=nope", "agency"), ("kecamatan=35.21.01", "kecamatan")] {
            let r = app.get(&format!("/api/v1/cases/stats?{q}")).await;
            assert_eq!(r.status().as_u16(), 422, "{q}");
            let v: Value = r.json().await.unwrap();
            assert!(v["error"]["fields"][field].is_array(), "{q}: {v}");
        }

        // The page: the same figures, charts, the map without the confidential case.
        let (status, html) = app.get_text("/layanan/dasbor?year=2026").await;
        assert_eq!(status, 200);
        assert!(html.len() < 100_000, "{} bytes", html.len());
        assert!(html.contains("<svg") && html.contains("class=\"map\"") && !html.contains("<script"));
        assert!(
            html.contains("Dinas dpupr, Merah (belum ditindaklanjuti): 1; Dinas dpupr, Kuning (dalam proses): 1"),
            "colours per agency"
        );
        assert!(html.contains("Dasbor pengaduan layanan publik"));
        // The CSV: a line per agency, kecamatan and month after the total.
        let (status, csv) = app.get_text("/layanan/dasbor.csv?year=2026").await;
        assert_eq!(status, 200);
        assert!(csv.starts_with("dimensi,kode,nama,diterima,diverifikasi,dalam_proses,dijawab,selesai,terlambat,merah,kuning,biru"));
        assert!(csv.contains("\ninstansi,dpupr,Dinas dpupr,5,3,1,2,1,1,1,1,2,3.5,7,1,100\n"), "{csv}");
        assert!(csv.contains("\nkecamatan,35.22.01,Ngraho,2,"), "{csv}");
        // Nothing of the confidential case nor of any reporter, anywhere.
        let json = app.get("/api/v1/cases/stats?year=2026").await.text().await.unwrap();
        for text in [&html, &csv, &json] {
            for secret in SECRETS.iter().copied().chain([confidential.as_str()]) {
                assert!(!text.contains(secret), "{secret} shown");
            }
        }
        assert!(html.contains("/layanan/laporan/"), "public cases are on the map");
        // In the OpenAPI document.
        let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        assert!(doc["paths"]["/api/v1/cases/stats"]["get"].is_object());
    }
}

#[tokio::test]
async fn the_weekly_review_lists_overdue_cases_per_agency_and_prints() {
    for db in each_engine().await {
        let Seeded { app, confidential, late_public, .. } = seed(&db).await;
        let (status, html) = app.get_text("/layanan/rekap").await;
        assert_eq!(status, 200);
        assert!(html.contains("2 laporan terlambat"), "{html}");
        // D: due Thursday 5 November, 21 working days late on Friday 4 December.
        let row = html.split("<tr>").find(|r| r.contains(&late_public)).expect("the overdue public case");
        assert!(row.contains("Verifikasi") && row.contains("2026-11-05") && row.contains("21 hari kerja"), "{row}");
        // C is counted under its agency, nothing of it shown.
        let dinkes = html.split("<h2>").find(|s| s.starts_with("Dinas dinkes")).expect("dinkes");
        assert!(dinkes.contains("Ditambah 1 laporan rahasia"), "{dinkes}");
        for secret in SECRETS.iter().copied().chain([confidential.as_str()]) {
            assert!(!html.contains(secret), "{secret} shown");
        }
        // Not overdue: the answered, in-progress and new ones.
        assert_eq!(html.matches("<tr><td>").count(), 1);
        assert!(html.contains("@page { size: A4") && html.contains("class=\"printable rekap\""));
    }
}

#[tokio::test]
async fn the_figures_are_datasets_of_the_catalogue_with_aggregates_only() {
    for db in each_engine().await {
        let Seeded { app, clock, .. } = seed(&db).await;
        // Many changes, one refresh job waiting; it runs some minutes later.
        let waiting: i64 = app
            .store
            .fetch_scalar(pendopo::store::sql("SELECT COUNT(*) FROM jobs WHERE kind = 'layanan:datasets' AND state = 'queued'"))
            .await
            .unwrap();
        assert_eq!(waiting, 1);
        clock.advance(Duration::from_secs(15 * 60));
        app.drain_jobs().await;
        // The deadline jobs that drain ran auto-closed the answered case
        // the seed left past its wait (so one more refresh was queued);
        // once that one ran, the figures are the settled ones.
        clock.advance(Duration::from_secs(15 * 60));
        app.drain_jobs().await;
        let r = app
            .client
            .post(app.url("/api/3/action/package_show"))
            .json(&json!({"id": "pengaduan-layanan-per-perangkat-daerah"}))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["success"], true, "{v}");
        let d = &v["result"];
        assert_eq!(d["organization"]["name"], "diskominfo");
        assert!(d["extras"].as_array().unwrap().iter().any(|e| e["key"] == "generated_by" && e["value"] == "layanan"), "{d}");
        let url = d["resources"][0]["url"].as_str().unwrap();
        let path = url.find("/dataset/").map(|i| &url[i..]).unwrap();
        let (status, csv) = app.get_text(path).await;
        assert_eq!(status, 200, "{url}");
        assert!(csv.starts_with("tahun,bulan,kode_perangkat_daerah,perangkat_daerah,diterima,"), "{csv}");
        assert!(csv.contains("\n2026,11,dpupr,Dinas dpupr,5,3,1,2,2,1,1,1,2,3.5,19.5,2,100\n"), "{csv}");
        assert!(csv.contains("\n2026,12,dinkes,Dinas dinkes,1,"), "{csv}");
        for secret in SECRETS.iter().copied().chain(["Jalan berlubang", "2026-0000"]) {
            assert!(!csv.contains(secret), "{secret} in the dataset");
        }
        let r = app
            .client
            .post(app.url("/api/3/action/package_show"))
            .json(&json!({"id": "pengaduan-layanan-per-kecamatan"}))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["success"], true, "{v}");
        // Again without a change: the same file, no new version.
        let versions = |app: &TestApp| {
            let store = app.store.clone();
            async move { store.fetch_scalar::<i64>(pendopo::store::sql("SELECT COUNT(*) FROM resource_versions")).await.unwrap() }
        };
        let before = versions(&app).await;
        pendopo::slices::services::refresh_datasets(&app.store, &app.state.files, crate::common::REGION).await.unwrap();
        assert_eq!(versions(&app).await, before);
    }
}
