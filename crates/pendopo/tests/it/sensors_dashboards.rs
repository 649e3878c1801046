//! The sensors' dashboards over the Bojonegoro demo: Dinas Pertanian's
//! rainfall with BMKG's categories, parcels and market prices; Dinas
//! Perhubungan's traffic counts; the sensor list with stale and low-battery
//! devices; every table and series as CSV; the catalogue dataset that
//! refreshes when measures arrive; and the BPBD's flood settings page.

use std::time::Duration;

use pendopo::slices::sensors::dashboards::{datasets, demo};
use pendopo::slices::sensors::measures::{self, Measure};
use serde_json::{Value, json};

use crate::common::*;

/// 2026-12-06T14:30 WIB (a Sunday).
const NOW: i64 = 1_796_542_200_000;

/// The app at [`NOW`] with the flood settings, Diskominfo (the dataset's
/// publisher) and the sensors demo loaded, its dataset made.
async fn demo_app(db: &TestDb) -> (TestApp, pendopo::clock::Clock) {
    let clock = pendopo::clock::Clock::manual(NOW);
    let app = spawn_clocked(db, clock.clone()).await;
    pendopo::slices::setup_tenant(&app.store, REGION).await.unwrap();
    app.add_org("diskominfo").await;
    let started = std::time::Instant::now();
    let said = demo::load(&app.store, REGION, 7).await.unwrap();
    eprintln!("{}: {said} in {:?}", db.label, started.elapsed());
    datasets::refresh_soon(&app.store, REGION).await.unwrap();
    app.drain_jobs().await;
    (app, clock)
}

/// The HTML from `start` (an element's opening text) to the end of its row or item.
fn part<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start} in the page"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
}

async fn csv_of(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"), "{path}");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"), "{path}");
    csv_rows(&r.text().await.unwrap())
}

#[tokio::test]
async fn the_agriculture_page_gives_rainfall_categories_parcels_and_market_prices() {
    for db in each_engine().await {
        let (app, _) = demo_app(&db).await;
        let (status, html) = app.get_text("/pertanian").await;
        assert_eq!(status, 200, "{}", db.label);
        assert!(html.len() < 100 * 1024, "a page for a slow phone: {} bytes", html.len());
        assert!(html.contains(&said_html("sensor.dash.demo", &[])), "labelled demo data");
        // The last rain day (up to 07:00 on 6 December) at Kanor: 158 mm is ekstrem.
        let kanor = part(&html, "id=\"pos-kanor\"", "</tr>");
        assert!(kanor.contains("Pos hujan Kanor") && kanor.contains("158 mm"), "{kanor}");
        assert!(kanor.contains(&said_html("sensor.dash.rain.category.ekstrem", &[])), "{kanor}");
        assert!(kanor.contains("6 Desember 2026"), "{kanor}");
        let kota = part(&html, "id=\"pos-bojonegoro\"", "</tr>");
        assert!(kota.contains("62,5 mm") && kota.contains(&said_html("sensor.dash.rain.category.lebat", &[])), "{kota}");
        // Parcels and harvest.
        assert!(html.contains(&said_html("sensor.dash.parcels.count", &[("n", "200")])));
        assert!(html.contains("<th scope=\"row\">padi</th>"), "padi is a crop of the parcels");
        // This week's price of beras medium at Pasar Kota Bojonegoro.
        let market = part(&html, "<h3>Pasar Kota Bojonegoro</h3>", "</table>");
        let beras = part(market, "Beras medium</a>", "</tr>");
        assert!(beras.contains("Rp 13.500/kg"), "{beras}");
        assert_eq!(html.matches("<table class=\"market-prices\">").count(), 5, "five markets");

        // The rainfall table as CSV: one row per station and rain day.
        let rows = csv_of(&app, "/pertanian/curah-hujan.csv").await;
        assert_eq!(rows[0], ["pos_id", "pos", "kecamatan", "tanggal", "curah_hujan_mm", "kategori_bmkg"]);
        assert_eq!(rows.len() - 1, 9 * 90 + 88, "90 days at nine stations, 88 at the silent one");
        let last_kanor = rows.iter().rfind(|r| r[0] == "urn:ngsi-ld:WeatherObserved:kanor").unwrap();
        assert_eq!(last_kanor[3..], ["2026-12-06", "158", "ekstrem"]);
        let prices = csv_of(&app, "/pertanian/harga.csv").await;
        assert_eq!(prices[0], ["pasar", "komoditas", "satuan", "minggu_mulai", "harga_rupiah"]);
        assert_eq!(prices.len() - 1, 5 * 10 * 52);
        assert!(prices.iter().any(|r| r[..] == ["Pasar Kota Bojonegoro", "Beras medium", "kg", "2026-11-30", "13500"]));
        let parcels = csv_of(&app, "/pertanian/lahan.csv").await;
        assert_eq!(parcels.len() - 1, 200);
        assert_eq!(parcels[0][..3], ["lahan_id", "nama", "kecamatan"]);
        assert!(parcels[1..].iter().all(|r| r[4].starts_with("35.22.")), "every parcel names its village");
    }
}

#[tokio::test]
async fn the_traffic_page_ranks_the_busiest_places_and_every_hour_downloads() {
    let db = sqlite_db();
    let (app, _) = demo_app(&db).await;
    let (status, html) = app.get_text("/lalu-lintas").await;
    assert_eq!(status, 200);
    assert!(html.len() < 100 * 1024, "a page for a slow phone: {} bytes", html.len());
    let veteran = html.find("id=\"jl-veteran\"").unwrap();
    let temayang = html.find("id=\"jl-raya-temayang\"").unwrap();
    assert!(veteran < html.find("id=\"jl-panglima-sudirman\"").unwrap() && veteran < temayang, "Jl. Veteran is the busiest");
    assert!(html.contains(&said_html("sensor.dash.traffic.profile", &[("place", "Jl. Veteran")])), "its hours drawn");

    let rows = csv_of(&app, "/lalu-lintas/per-jam.csv").await;
    assert_eq!(rows[0], ["lokasi_id", "lokasi", "kecamatan", "jam_mulai", "kendaraan", "okupansi", "kecepatan_rata_kmh", "macet"]);
    assert_eq!(rows.len() - 1, 19 * 28 * 24 + (28 * 24 - 72), "hourly for four weeks; the silent counter three days short");
    // The last full hour before 14:30 started at 13:00.
    let last = rows.iter().rfind(|r| r[0] == "urn:ngsi-ld:TrafficFlowObserved:jl-veteran").unwrap();
    assert_eq!(last[3], "2026-12-06 13:00");
    // The same hour in the entity's own series.
    let series = csv_of(&app, "/sensor/unduh.csv?entitas=urn:ngsi-ld:TrafficFlowObserved:jl-veteran&atribut=intensity").await;
    assert_eq!(series[0], ["waktu", "nilai"]);
    assert_eq!(series.len() - 1, 28 * 24);
    assert_eq!(series.last().unwrap(), &vec!["2026-12-06T06:00:00Z".to_string(), last[4].clone()]);
    assert_eq!(app.get("/sensor/unduh.csv?entitas=urn:ngsi-ld:TrafficFlowObserved:nowhere&atribut=intensity").await.status(), 404);
    assert_eq!(app.get("/sensor/unduh.csv?entitas=urn:ngsi-ld:TrafficFlowObserved:jl-veteran&atribut=no%20such").await.status(), 400);
    let daily = csv_of(&app, "/lalu-lintas/harian.csv").await;
    assert_eq!(daily[0], ["lokasi_id", "lokasi", "kecamatan", "tanggal", "kendaraan", "kecepatan_rata_kmh", "jam_macet"]);
}

#[tokio::test]
async fn the_sensor_list_flags_stale_devices_and_flat_batteries() {
    let db = sqlite_db();
    let (app, clock) = demo_app(&db).await;
    let (status, html) = app.get_text("/sensor").await;
    assert_eq!(status, 200);
    assert!(html.len() < 100 * 1024, "a page for a slow phone: {} bytes", html.len());
    assert!(html.contains("<svg") && html.contains("class=\"map\""), "a map drawn on the server");
    let stale = said_html("sensor.dash.sensors.stale", &[]);
    let silent = part(&html, "id=\"atcs-jl-raya-temayang\"", "</li>");
    assert!(silent.contains(&stale), "three days silent: {silent}");
    let rain = part(&html, "id=\"arg-temayang\"", "</li>");
    assert!(rain.contains(&stale), "no rain report for two days: {rain}");
    let live = part(&html, "id=\"atcs-jl-veteran\"", "</li>");
    assert!(!live.contains(&stale), "{live}");
    let flat = part(&html, "id=\"atcs-jl-raya-dander\"", "</li>");
    assert!(flat.contains(&said_html("sensor.dash.sensors.battery", &[("pct", "12")])) && flat.contains("sensor-low"), "{flat}");
    assert!(html.contains(&said_html("sensor.dash.sensors.kecamatan", &[("name", "Temayang")])), "grouped by kecamatan");

    let rows = csv_of(&app, "/sensor/daftar.csv").await;
    assert_eq!(rows[0], ["perangkat_id", "jenis", "entitas", "besaran", "kecamatan", "baterai_persen", "laporan_terakhir", "basi"]);
    assert_eq!(rows.len() - 1, 10 + 20 + 2);
    let temayang = rows.iter().find(|r| r[0] == "urn:ngsi-ld:Device:atcs-jl-raya-temayang").unwrap();
    assert_eq!((temayang[1].as_str(), temayang[7].as_str()), ("TrafficFlowObserved", "ya"));

    // A device of a kind the dashboards do not know, placed nowhere, that never reported.
    let m = Measure {
        entity_id: "urn:ngsi-ld:Device:aqm-alun-alun".into(),
        entity_type: "Device".into(),
        observed_at_ms: NOW,
        attrs: vec![(
            "controlledAsset".into(),
            ngsild::entity::Attribute::new(ngsild::entity::AttrKind::Relationship, json!("urn:ngsi-ld:AirQualityObserved:alun-alun")),
        )],
    };
    measures::store(&app.store, REGION, &[m]).await.unwrap();
    let (_, html) = app.get_text("/sensor").await;
    let unknown = part(&html, "id=\"aqm-alun-alun\"", "</li>");
    assert!(unknown.contains("AirQualityObserved") && unknown.contains(&said_html("sensor.dash.sensors.never", &[])), "{unknown}");
    assert!(unknown.contains(&stale), "never reported is stale");
    assert!(html.contains(&said_html("sensor.dash.sensors.kecamatan", &[("name", &said("sensor.dash.sensors.no_kecamatan", &[]))])));

    // Four hours later every counter is stale: nothing reported since.
    clock.advance(Duration::from_secs(4 * 3600));
    let (_, html) = app.get_text("/sensor").await;
    assert!(part(&html, "id=\"atcs-jl-veteran\"", "</li>").contains(&stale));
}

#[tokio::test]
async fn the_sensor_dataset_is_in_the_catalogue_and_refreshes_once_for_many_measures() {
    for db in each_engine().await {
        let (app, clock) = demo_app(&db).await;
        let (status, body) = app.get_text("/api/3/action/package_show?id=data-sensor-kota").await;
        assert_eq!(status, 200, "{}: {body}", db.label);
        let v: Value = serde_json::from_str(&body).unwrap();
        let pkg = &v["result"];
        assert_eq!(pkg["organization"]["name"], "diskominfo");
        let names: Vec<&str> = pkg["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), 5, "{names:?}");
        let rain = pkg["resources"].as_array().unwrap().iter().find(|r| r["name"] == "Curah hujan harian per pos").unwrap();
        let url = rain["url"].as_str().unwrap();
        let path = &url[url.find("/dataset/").unwrap()..];
        let file = app.get_text(path).await.1;
        assert!(file.starts_with("pos_id,pos,kecamatan,tanggal,curah_hujan_mm,kategori_bmkg\n"), "{file:.200}");
        assert!(file.contains("urn:ngsi-ld:WeatherObserved:kanor,Pos hujan Kanor,Kanor,2026-12-06,158,ekstrem"));

        // Three batches of measures from a new station: one refresh waits.
        for minute in 0..3 {
            let m = Measure {
                entity_id: "urn:ngsi-ld:WeatherObserved:gondang".into(),
                entity_type: "WeatherObserved".into(),
                observed_at_ms: NOW - 3_600_000 + minute * 60_000,
                attrs: vec![("precipitation".into(), ngsild::entity::Attribute::property(json!(4.5)))],
            };
            measures::store(&app.store, REGION, &[m]).await.unwrap();
        }
        let q = pendopo::store::sql("SELECT count(*) FROM jobs WHERE tenant_id = $1 AND kind = $2 AND state = 'queued'")
            .bind(REGION)
            .bind(datasets::REFRESH_JOB);
        assert_eq!(app.store.fetch_scalar::<i64>(q).await.unwrap(), 1, "one refresh for many measures");
        assert_eq!(app.drain_jobs().await, 0, "not before a quarter of an hour");
        clock.advance(Duration::from_secs(16 * 60));
        assert!(app.drain_jobs().await >= 1);
        let v: Value = serde_json::from_str(&app.get_text("/api/3/action/package_show?id=data-sensor-kota").await.1).unwrap();
        let rain = v["result"]["resources"].as_array().unwrap().iter().find(|r| r["name"] == "Curah hujan harian per pos").unwrap().clone();
        let url = rain["url"].as_str().unwrap();
        let file = app.get_text(&url[url.find("/dataset/").unwrap()..]).await.1;
        assert!(file.contains("urn:ngsi-ld:WeatherObserved:gondang,gondang,,2026-12-07,13.5,ringan"), "the new station's day: {file:.300}");
    }
}

async fn settings_form(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf("/banjir/pengaturan").await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    app.post_form("/banjir/pengaturan", &all).await
}

#[tokio::test]
async fn flood_settings_are_saved_whole_or_refused_with_reasons() {
    for db in each_engine().await {
        let app = spawn_clocked(&db, pendopo::clock::Clock::manual(NOW)).await;
        pendopo::slices::setup_tenant(&app.store, REGION).await.unwrap();
        app.add_user("walidata@kominfo.id", "walidata", None).await;
        let admin = app.signed_in_as("walidata@kominfo.id").await;
        let (status, html) = admin.get_text("/banjir/pengaturan").await;
        assert_eq!(status, 200, "{}", db.label);
        assert!(html.contains("value=\"6\"") && html.contains("value=\"pendopo/banjir/status\""), "the settings in force");
        assert!(html.contains("14,04") && html.contains("2019-01-01"), "Bojonegoro's levels and their date");

        // Good settings with bad levels: nothing is saved, every reason said.
        let r = settings_form(
            &admin,
            &[
                ("stale_hours", "4"),
                ("webhook_url", "ftp://bpbd"),
                ("status_topic", "banjir/#"),
                ("emails", "bpbd@bojonegorokab.go.id\nbukan alamat"),
                ("bojonegoro_valid_from", "2026-12-01"),
                ("bojonegoro_hijau", "13,50"),
                ("bojonegoro_kuning", "12,50"),
                ("bojonegoro_merah", "14,50"),
            ],
        )
        .await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        for key in [
            "sensor.banjir.settings.webhook_invalid",
            "sensor.banjir.settings.topic_invalid",
            "sensor.banjir.settings.emails_invalid",
            "sensor.banjir.settings.order_invalid",
        ] {
            assert!(html.contains(&said_html(key, &[])), "{key}");
        }
        let r = settings_form(&admin, &[("stale_hours", "0"), ("status_topic", "pendopo/banjir/status")]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(&said_html("sensor.banjir.settings.stale_invalid", &[])));
        let kept = pendopo::slices::sensors::flood::repo::settings(&app.store, REGION).await.unwrap();
        assert_eq!(kept.stale_after_ms, 6 * 3_600_000, "nothing saved");

        let r = settings_form(
            &admin,
            &[
                ("stale_hours", "4"),
                ("webhook_url", "http://127.0.0.1:9/bpbd"),
                ("status_topic", "bojonegoro/banjir/status"),
                ("emails", "bpbd@bojonegorokab.go.id\n kominfo@bojonegorokab.go.id "),
                ("bojonegoro_valid_from", "2026-12-01"),
                ("bojonegoro_hijau", "12,50"),
                ("bojonegoro_kuning", "13.50"),
                ("bojonegoro_merah", "14,50"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/banjir/pengaturan?tersimpan=1");
        let s = pendopo::slices::sensors::flood::repo::settings(&app.store, REGION).await.unwrap();
        assert_eq!(
            (s.stale_after_ms, s.webhook_url.as_str(), s.status_topic.as_str()),
            (4 * 3_600_000, "http://127.0.0.1:9/bpbd", "bojonegoro/banjir/status")
        );
        assert_eq!(s.emails, ["bpbd@bojonegorokab.go.id", "kominfo@bojonegorokab.go.id"], "one address a line, trimmed");
        let (_, html) = app.get_text("/banjir").await;
        assert!(
            html.contains(&said_html("sensor.banjir.levels", &[("hijau", "12,50"), ("kuning", "13,50"), ("merah", "14,50")])),
            "the new levels in force"
        );
        let (_, html) = admin.get_text("/banjir/pengaturan?tersimpan=1").await;
        assert!(html.contains(&said_html("sensor.banjir.settings.saved", &[])));

        // The BPBD's officers may; a village operator and strangers may not.
        app.add_org("bpbd").await;
        app.add_user("petugas@bpbd.id", "editor", Some("bpbd")).await;
        assert_eq!(app.signed_in_as("petugas@bpbd.id").await.get("/banjir/pengaturan").await.status(), 200);
        app.add_user("operator@desa.id", "village_operator", None).await;
        let operator = app.signed_in_as("operator@desa.id").await;
        assert_eq!(operator.get("/banjir/pengaturan").await.status(), 403);
        let stranger = app.another_browser();
        let csrf = stranger.csrf("/login").await;
        let r = stranger.post_form("/banjir/pengaturan", &[("csrf", &csrf), ("stale_hours", "1"), ("status_topic", "x")]).await;
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
        let s = pendopo::slices::sensors::flood::repo::settings(&app.store, REGION).await.unwrap();
        assert_eq!(s.stale_after_ms, 4 * 3_600_000, "a stranger changes nothing");
    }
}
