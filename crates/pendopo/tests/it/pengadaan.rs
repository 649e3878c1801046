//! Procurement for people: an officer records a process step by step (or
//! imports a sheet), citizens find it, read its flags explained, and report
//! what they see; the agency answers. Both engines.

use std::collections::HashSet;

use serde_json::Value;

use crate::common::{TestApp, csrf_in, each_engine, said_html, spawn_app};

/// Uploads a red-flag settings file as the settings page's form does.
async fn post_multipart_ini(app: &TestApp, csrf: &str, bytes: &'static [u8]) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .part("ini", reqwest::multipart::Part::bytes(bytes).file_name("pengaturan.ini"));
    app.client.post(app.url("/pengadaan/pengaturan/unggah")).multipart(form).send().await.unwrap()
}

/// Posts a multipart form (as the pages' forms are), with an optional file.
async fn post_multipart(app: &TestApp, path: &str, fields: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    }
    app.client.post(app.url(path)).multipart(form).send().await.unwrap()
}

const OCID: &str = "ocds-pd3522-2025-30412345";

/// The files under the server's data directory.
fn files_in(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| entries.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { count(&p) } else { 1 }).sum())
    }
    count(app.files.path())
}
/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F,
    0x15, 0xC4, 0x89, 0, 0, 0, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0,
    0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn an_officer_records_each_step_and_citizens_follow_and_report() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_org("dinas-pu-bina-marga").await;
        app.add_org("dinkes").await;
        app.add_user("pu@bojonegorokab.go.id", "editor", Some("dinas-pu-bina-marga")).await;
        app.add_user("dinkes@bojonegorokab.go.id", "editor", Some("dinkes")).await;
        let officer = app.signed_in_as("pu@bojonegorokab.go.id").await;
        let csrf = officer.csrf("/pengadaan/baru").await;
        let plan = [
            ("csrf", csrf.as_str()),
            ("buyer", "dinas-pu-bina-marga"),
            ("rup_code", "30412345"),
            ("title", "Rehabilitasi Jalan Desa Ngumpakdalem"),
            ("category", "pekerjaan_konstruksi"),
            ("method", "Tender"),
            ("year", "2025"),
            ("budget", "1.000.000.000"),
            ("lat", "-7.1502"),
            ("lon", "111.8817"),
        ];
        let r = post_multipart(&officer, "/pengadaan", &plan, None).await;
        assert_eq!(r.status(), 303, "{}", app.label);
        assert_eq!(r.headers()["location"], format!("/pengadaan/{OCID}").as_str(), "the region's prefix, the year and the RUP code");
        let again = post_multipart(&officer, "/pengadaan", &plan, None).await;
        assert_eq!(again.status(), 422);
        assert!(again.text().await.unwrap().contains("sudah tercatat"), "one RUP, one process");

        let step = |name: &'static str| format!("/pengadaan/{OCID}/langkah/{name}");
        let csrf = officer.csrf(&step("tender")).await;
        // Out of order: a contract before any award is refused, with the reason.
        let r = post_multipart(
            &officer,
            &step("contract"),
            &[("csrf", &csrf), ("amount", "900000000"), ("date", "2025-04-10"), ("end", "2025-09-10")],
            None,
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(&said_html("pengadaan.needs_award", &[])));
        // Refused with the signed contract attached: nothing of the file is kept.
        let files_before = files_in(&app);
        let fields = [("csrf", csrf.as_str()), ("amount", "900000000"), ("date", "2025-04-10"), ("end", "2025-09-10")];
        let r = post_multipart(&officer, &step("contract"), &fields, Some(("kontrak.pdf", b"%PDF-1.4 kontrak".to_vec()))).await;
        assert_eq!(r.status(), 422);
        assert_eq!(files_in(&app), files_before, "{}: the refused step's PDF is not left on disk", app.label);
        let recorded: i64 = app.store.fetch_scalar(pendopo::store::sql("SELECT count(*) FROM ocds_files")).await.unwrap();
        assert_eq!(recorded, 0, "nor recorded");
        let steps: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("tender", vec![("method", "Tender"), ("hps", "950.000.000"), ("start", "2025-03-01"), ("end", "2025-03-20")]),
            (
                "bid",
                vec![
                    ("party_name", "CV Maju Jaya"),
                    ("party_id", "01.234.567.8-601.000"),
                    ("amount", "900.000.000"),
                    ("date", "2025-03-18"),
                ],
            ),
            (
                "bid",
                vec![
                    ("party_name", "PT Bengawan"),
                    ("party_id", "02.345.678.9-601.000"),
                    ("amount", "930.000.000"),
                    ("date", "2025-03-19"),
                ],
            ),
            (
                "award",
                vec![
                    ("party_name", "CV Maju Jaya"),
                    ("party_id", "01.234.567.8-601.000"),
                    ("amount", "900.000.000"),
                    ("date", "2025-04-01"),
                ],
            ),
            ("contract", vec![("amount", "900.000.000"), ("date", "2025-04-10"), ("end", "2025-09-10")]),
            ("payment", vec![("amount", "270.000.000"), ("date", "2025-05-10")]),
        ];
        for (name, fields) in &steps {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend(fields.iter().copied());
            let file = (*name == "contract").then(|| ("kontrak-ditandatangani.pdf", b"%PDF-1.4 kontrak".to_vec()));
            let r = post_multipart(&officer, &step(name), &all, file).await;
            assert_eq!(r.status(), 303, "step {name} on {}: {}", app.label, r.text().await.unwrap());
        }
        // The signed contract as a PDF, attached to a contract amendment step.
        let r = post_multipart(
            &officer,
            &step("progress"),
            &[("csrf", &csrf), ("percent", "10"), ("date", "2025-05-01")],
            Some(("kontrak.pdf", b"%PDF-1.4".to_vec())),
        )
        .await;
        assert_eq!(r.status(), 400, "a progress photo must be a photo");
        // A payment dated before the signature is refused.
        let r = post_multipart(&officer, &step("payment"), &[("csrf", &csrf), ("amount", "1000"), ("date", "2025-04-01")], None).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("sebelum penandatanganan kontrak"));
        let progress = [("csrf", csrf.as_str()), ("percent", "40"), ("date", "2025-06-01"), ("note", "Pengaspalan lapis pertama")];
        let r = post_multipart(&officer, &step("progress"), &progress, Some(("lokasi.png", PNG.to_vec()))).await;
        assert_eq!(r.status(), 303);

        // Another agency's officer may not add to this process.
        let other = app.signed_in_as("dinkes@bojonegorokab.go.id").await;
        let csrf_other = other.csrf("/pengadaan/baru").await;
        let r = post_multipart(&other, &step("payment"), &[("csrf", &csrf_other), ("amount", "1000"), ("date", "2025-06-01")], None).await;
        assert_eq!(r.status(), 403);

        // A citizen reads the process: values in Rupiah, payments, progress, the map.
        let citizen = app.another_browser();
        let (status, html) = citizen.get_text(&format!("/pengadaan/{OCID}")).await;
        assert_eq!(status, 200);
        for expected in [
            "Rehabilitasi Jalan Desa Ngumpakdalem",
            "Rp 950.000.000",
            "Rp 900.000.000",
            "Rp 270.000.000 (30%)",
            "Progres fisik 40%",
            "CV Maju Jaya",
            "<svg",
            "openstreetmap.org/?mlat=-7.15020",
        ] {
            assert!(html.contains(expected), "{expected} on the process page ({})", app.label);
        }
        assert!(!html.contains("/langkah/"), "citizens get no entry forms");
        let record: Value = citizen.get(&format!("/ocds/records/{OCID}")).await.json().await.unwrap();
        let compiled = &record["records"][0]["compiledRelease"];
        assert_eq!(compiled["tender"]["numberOfTenderers"], 2);
        assert_eq!(compiled["contracts"][0]["implementation"]["transactions"][0]["value"]["amount"], 270_000_000.0);
        assert_eq!(compiled["contracts"][0]["documents"][0]["documentType"], "contractSigned");
        assert!(html.contains("kontrak-ditandatangani.pdf"), "the contract is listed among the documents");
        let photo = compiled["contracts"][0]["implementation"]["documents"][0]["url"].as_str().unwrap().to_string();
        let photo_path = &photo[photo.find("/pengadaan/berkas/").unwrap()..];
        let r = citizen.get(photo_path).await;
        assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
        let page: Value = citizen.get("/ocds/releases").await.json().await.unwrap();
        assert_eq!(page["releases"].as_array().unwrap().len(), 8, "one release per step");
        let report = ocds::validate::validate_package(&serde_json::to_vec(&page).unwrap());
        assert!(report.valid, "{}", serde_json::to_string(&report).unwrap());

        // The list finds it by agency, method and value, not by another method.
        let (_, list) = citizen.get_text("/pengadaan?buyer=dinas-pu-bina-marga&method=Tender&min=800.000.000").await;
        assert!(list.contains(OCID) && list.contains("1 paket"), "{}", app.label);
        let (_, none) = citizen.get_text("/pengadaan?method=Seleksi").await;
        assert!(!none.contains(OCID) && none.contains("0 paket"));
        let (_, none) = citizen.get_text("/pengadaan?max=500000000").await;
        assert!(!none.contains(OCID));

        // A monitoring report: the contact stays with the agency.
        let page_csrf = csrf_in(&citizen.get_text(&format!("/pengadaan/{OCID}")).await.1);
        let fields = [
            ("csrf", page_csrf.as_str()),
            ("body", "Aspal sudah retak di dekat jembatan."),
            ("contact", "0812-3456-7890"),
            ("lat", "-7.151"),
            ("lon", "111.882"),
        ];
        let files_before = files_in(&app);
        let empty = [("csrf", page_csrf.as_str()), ("body", " ")];
        let r = post_multipart(&citizen, &format!("/pengadaan/{OCID}/laporan"), &empty, Some(("retak.jpg", PNG.to_vec()))).await;
        assert_eq!(r.status(), 400, "a report needs words");
        assert_eq!(files_in(&app), files_before, "the refused report's photo is not kept");
        let r = post_multipart(&citizen, &format!("/pengadaan/{OCID}/laporan"), &fields, Some(("retak.jpg", PNG.to_vec()))).await;
        assert_eq!(r.status(), 303);
        // A browser sends an empty file input as a part without a file name.
        let no_photo = reqwest::multipart::Form::new()
            .text("csrf", page_csrf.clone())
            .text("body", "Papan proyek tidak ada.")
            .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
        let r = citizen.client.post(citizen.url(&format!("/pengadaan/{OCID}/laporan"))).multipart(no_photo).send().await.unwrap();
        assert_eq!(r.status(), 303, "a report without a photo");
        let forged =
            post_multipart(&app.another_browser(), &format!("/pengadaan/{OCID}/laporan"), &[("csrf", "palsu"), ("body", "x")], None).await;
        assert_eq!(forged.status(), 403);
        let (_, public) = citizen.get_text(&format!("/pengadaan/{OCID}")).await;
        assert!(public.contains("Aspal sudah retak") && !public.contains("0812-3456-7890"), "reports are public, contacts are not");
        let (_, seen) = officer.get_text(&format!("/pengadaan/{OCID}")).await;
        assert!(seen.contains("0812-3456-7890"), "the agency sees the contact to answer");
        let (_, inbox) = officer.get_text("/pengadaan/laporan").await;
        assert!(inbox.contains("Aspal sudah retak") && inbox.contains("0812-3456-7890") && inbox.contains("2 belum dijawab"), "{inbox}");
        let (_, elsewhere) = other.get_text("/pengadaan/laporan").await;
        assert!(!elsewhere.contains("Aspal sudah retak"), "another agency's inbox holds only its own processes");
        assert_eq!(citizen.get("/pengadaan/laporan").await.status(), 303, "citizens are sent to sign in");
        let report_id = seen.split(&format!("/pengadaan/{OCID}/laporan/")).nth(1).unwrap().split('/').next().unwrap().to_string();
        let answer_path = format!("/pengadaan/{OCID}/laporan/{report_id}/jawab");
        let r = other.post_form(&answer_path, &[("csrf", &csrf_other), ("answer", "bukan urusan kami")]).await;
        assert_eq!(r.status(), 403, "only the buying agency answers");
        let r = officer.post_form(&answer_path, &[("csrf", &csrf), ("answer", "Penyedia akan memperbaiki dalam masa pemeliharaan.")]).await;
        assert_eq!(r.status(), 303);
        let (_, public) = citizen.get_text(&format!("/pengadaan/{OCID}")).await;
        assert!(public.contains("Penyedia akan memperbaiki"));
        for path in ["/ocds/releases", "/ocds/bulk/compiled.csv", &format!("/ocds/records/{OCID}")] {
            let body = citizen.get(path).await.text().await.unwrap();
            assert!(!body.contains("0812-3456-7890"), "{path} never carries a reporter's contact");
        }
        // One sender's flood is held back after ten in an hour (two sent
        // earlier in this test; the forged one was refused before it counted); other
        // senders are not.
        for n in 0..8 {
            let body = format!("Laporan ke-{n}");
            let r = post_multipart(&citizen, &format!("/pengadaan/{OCID}/laporan"), &[("csrf", &page_csrf), ("body", &body)], None).await;
            assert_eq!(r.status(), 303, "report {n}");
        }
        let r = post_multipart(&citizen, &format!("/pengadaan/{OCID}/laporan"), &[("csrf", &page_csrf), ("body", "sebelas")], None).await;
        assert_eq!(r.status(), 429, "{}", app.label);
        let elsewhere = citizen
            .client
            .post(citizen.url(&format!("/pengadaan/{OCID}/laporan")))
            .header("x-forwarded-for", "198.51.100.23")
            .multipart(reqwest::multipart::Form::new().text("csrf", page_csrf.clone()).text("body", "dari warga lain"))
            .send()
            .await
            .unwrap();
        assert_eq!(elsewhere.status(), 303, "another sender (through the local proxy)");
    }
}

#[tokio::test]
async fn a_sheet_is_imported_all_or_nothing_or_only_its_valid_rows() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_org("dinkes").await;
        app.add_user("dinkes@bojonegorokab.go.id", "editor", Some("dinkes")).await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let officer = app.signed_in_as("dinkes@bojonegorokab.go.id").await;
        let csrf = officer.csrf("/pengadaan/impor").await;
        let sheet = "kode_rup;judul;perangkat_daerah;kategori;metode;tahun;pagu;hps;tanggal_pengumuman;tanggal_penutupan;pemenang;npwp_pemenang;nilai_kontrak;tanggal_kontrak\n\
            501;Alat kesehatan Puskesmas Dander;dinkes;barang;Tender;2025;1.000.000.000;950.000.000;2025-03-01;2025-03-20;PT Sehat;01.111.111.1-601.000;900.000.000;2025-04-10\n\
            502;Obat dan BMHP;dinkes;barang;Pengadaan Langsung;2025;150.000.000;;;;;;;\n\
            503;Ambulans;dinkes;barang;Tender;2025;satu miliar;;;;;;;\n";
        let r = post_multipart(&officer, "/pengadaan/impor", &[("csrf", &csrf)], Some(("paket.csv", sheet.as_bytes().to_vec()))).await;
        assert_eq!(r.status(), 422, "{}", app.label);
        let html = r.text().await.unwrap();
        assert!(html.contains("<td>4</td><td>pagu</td><td>bukan nilai rupiah</td>"), "line, column and reason: {html}");
        let count = |app: &TestApp| {
            let store = app.store.clone();
            async move { store.fetch_one(pendopo::store::sql("SELECT COUNT(*) FROM ocds_releases")).await.unwrap().at::<i64>(0).unwrap() }
        };
        assert_eq!(count(&app).await, 0, "nothing stored");

        let r = post_multipart(
            &officer,
            "/pengadaan/impor",
            &[("csrf", &csrf), ("only_valid", "1")],
            Some(("paket.csv", sheet.as_bytes().to_vec())),
        )
        .await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("5 rilis dari 2 paket") && html.contains("bukan nilai rupiah"), "{html}");
        let (_, list) = app.get_text("/pengadaan?buyer=dinkes").await;
        assert!(list.contains("ocds-pd3522-2025-501") && list.contains("ocds-pd3522-2025-502") && list.contains("2 paket"));

        // An OCDS file names its own buyers: the walidata's to load.
        let jsonl = r#"{"ocid":"ocds-213czf-1","id":"1","date":"2025-01-01T00:00:00Z","tag":["planning"],"buyer":{"id":"x","name":"X"}}"#;
        let r = post_multipart(&officer, "/pengadaan/impor", &[("csrf", &csrf)], Some(("rilis.jsonl", jsonl.as_bytes().to_vec()))).await;
        assert_eq!(r.status(), 403);
        let walidata = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        let csrf_w = walidata.csrf("/pengadaan/impor").await;
        let r = post_multipart(&walidata, "/pengadaan/impor", &[("csrf", &csrf_w)], Some(("rilis.jsonl", jsonl.as_bytes().to_vec()))).await;
        assert_eq!(r.status(), 200);
        assert_eq!(count(&app).await, 6);
        let broken =
            post_multipart(&walidata, "/pengadaan/impor", &[("csrf", &csrf_w)], Some(("rusak.json", b"{\"releases\": [".to_vec()))).await;
        assert_eq!(broken.status(), 422);
        assert_eq!(count(&app).await, 6);
    }
}

#[tokio::test]
async fn the_walidata_tunes_the_flags_and_citizens_read_them_explained() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let walidata = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        let csrf = walidata.csrf("/pengadaan/pengaturan").await;
        let (_, page) = walidata.get_text("/pengadaan/pengaturan").await;
        assert!(page.contains("ocds-pd3522"), "defaults shown");
        // A form per indicator, in Bahasa Indonesia: its name, what it means, its thresholds as labelled fields.
        for expected in [
            "R003: Masa penawaran singkat",
            "Waktu antara pengumuman dan batas akhir penawaran",
            r#"<label for="f-indonesia-ceiling_works">Batas pengadaan langsung pekerjaan konstruksi"#,
            r#"name="indonesia.ceiling_works" value="400.000.000""#,
            r#"name="on.R003" value="1" checked"#,
            r#"href="/pengadaan/pengaturan/bendera.ini""#,
        ] {
            assert!(page.contains(expected), "{expected}");
        }
        let sent = |extra: &[(&'static str, &'static str)]| {
            let mut fields = vec![("csrf", csrf.as_str()), ("ocid_prefix", "ocds-abc123"), ("on.R018", "1"), ("on.indonesia", "1")];
            fields.extend_from_slice(extra);
            fields
        };
        // Wrong numbers: each said next to its field and in the summary, nothing stored.
        let r = walidata
            .post_form(
                "/pengadaan/pengaturan",
                &sent(&[("on.R003", "1"), ("R003.threshold", "dua"), ("indonesia.splitting_band", "1,5"), ("license", "bukan alamat")]),
            )
            .await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        for expected in [
            r#"<p class="field-error" id="f-R003-threshold-error">Isi bilangan bulat, mis. 15.</p>"#,
            r#"<p class="field-error" id="f-indonesia-splitting_band-error">Isi nilai antara 0 dan 1.</p>"#,
            r##"<a href="#f-R003-threshold">Masa pemasukan penawaran minimum"##,
            r#"aria-invalid="true""#,
            r#"value="dua""#,
            r#"<p class="field-error" id="license-error">"#,
            "Ada 3 isian yang perlu diperbaiki",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        let unchanged = pendopo::slices::contracting::settings::load(&app.store, crate::common::REGION).await.unwrap();
        assert_eq!(unchanged.flags_ini, pendopo::slices::contracting::settings::DEFAULT_FLAGS_INI, "nothing half-stored");
        // R003 off, R018 on, two wins: saved into the same file.
        let r = walidata.post_form("/pengadaan/pengaturan", &sent(&[("indonesia.repeat_wins", "2")])).await;
        assert_eq!(r.status(), 200);
        let ini = walidata.get_text("/pengadaan/pengaturan/bendera.ini").await.1;
        assert!(ini.contains("[R018]\n") && ini.contains("repeat_wins = 2") && !ini.contains("[R003]"), "{ini}");
        assert!(ini.starts_with("; Red-flag settings"), "the file's own comments are kept");
        assert_eq!(app.another_browser().get("/pengadaan/pengaturan/bendera.ini").await.status(), 303, "strangers sign in first");
        // The file can be uploaded again, checked like the form.
        let upload = |bytes: &'static [u8]| post_multipart_ini(&walidata, &csrf, bytes);
        let r = upload(b"[R018]\n[indonesia]\nrepeat = 2\n").await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("baris 3"), "the line of the mistake");
        let r = upload(b"[R018]\n[indonesia]\nrepeat_wins = 2\n").await;
        assert_eq!(r.status(), 200);
        let r = walidata.post_form("/pengadaan/pengaturan", &[("csrf", &csrf), ("ocid_prefix", "OCDS-X"), ("flags_ini", "[R018]\n")]).await;
        assert_eq!(r.status(), 422);
        let r = walidata.post_form("/pengadaan/pengaturan", &sent(&[("license", "lisensi terbuka")])).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(r#"id="license-error""#));
        let r = walidata
            .post_form(
                "/pengadaan/pengaturan",
                &sent(&[("license", "https://creativecommons.org/publicdomain/zero/1.0/"), ("indonesia.repeat_wins", "2")]),
            )
            .await;
        assert_eq!(r.status(), 200);
        let page: Value = app.get("/ocds/releases").await.json().await.unwrap();
        assert_eq!(page["license"], "https://creativecommons.org/publicdomain/zero/1.0/", "packages carry the region's licence");
        let settings = pendopo::slices::contracting::settings::load(&app.store, crate::common::REGION).await.unwrap();
        assert_eq!(settings.ocid_prefix, "ocds-abc123");
        let citizen = app.another_browser();
        assert_eq!(
            citizen
                .post_form("/pengadaan/pengaturan", &[("csrf", &csrf), ("ocid_prefix", "ocds-zzz999"), ("flags_ini", "")])
                .await
                .status(),
            303,
            "strangers are sent to sign in"
        );

        // Two contracts above the HPS from one buyer to one supplier.
        let mut releases = Vec::new();
        for n in 1..=2 {
            let ocid = format!("ocds-abc123-2025-{n}");
            releases.push(serde_json::json!({
                "ocid": ocid, "id": format!("{ocid}-1"), "date": "2025-05-01T08:00:00+07:00", "tag": ["tender", "award", "contract"],
                "buyer": {"id": "dinkes", "name": "Dinas Kesehatan"},
                "tender": {"id": "t", "title": format!("Pengadaan obat {n}"), "procurementMethod": "open", "procurementMethodDetails": "Tender",
                           "numberOfTenderers": 1, "value": {"amount": 100_000_000.0, "currency": "IDR"},
                           "tenderPeriod": {"startDate": "2025-03-01T08:00:00+07:00", "endDate": "2025-03-20T08:00:00+07:00"}},
                "awards": [{"id": "a", "status": "active", "date": "2025-04-01T08:00:00+07:00", "value": {"amount": 110_000_000.0, "currency": "IDR"}, "suppliers": [{"id": "S1", "name": "CV Satu"}]}],
                "contracts": [{"id": "c", "awardID": "a", "status": "active", "dateSigned": "2025-04-05T08:00:00+07:00", "value": {"amount": 110_000_000.0, "currency": "IDR"}}]
            }));
        }
        pendopo::slices::contracting::import(&app.store, crate::common::REGION, releases).await.unwrap();
        app.drain_jobs().await;
        let (_, list) = citizen.get_text("/pengadaan?flag=ID_DI_ATAS_HPS").await;
        assert!(list.contains("2 paket"), "{}", app.label);
        let (_, list) = citizen.get_text("/pengadaan?flag=R003").await;
        assert!(list.contains("0 paket"), "R003 is off in this region's settings");
        let (_, page) = citizen.get_text("/pengadaan/ocds-abc123-2025-1").await;
        for expected in [
            "ID_DI_ATAS_HPS: Nilai kontrak di atas HPS",
            "R018: Hanya satu penawaran",
            "ID_PEMENANG_BERULANG",
            "Yang tidak dibuktikannya:",
            "Tidak membuktikan kerugian negara",
        ] {
            assert!(page.contains(expected), "{expected} ({})", app.label);
        }
        let (_, dash) = citizen.get_text("/pengadaan/dasbor").await;
        assert!(dash.contains("Rp 220.000.000") && dash.contains("Dinas Kesehatan") && dash.contains("<svg"), "{dash}");
    }
}

#[test]
fn the_demo_is_two_thousand_valid_processes_that_trip_the_flags() {
    let releases = pendopo::slices::contracting::demo::releases("ocds-pd3522");
    let ocids: HashSet<&str> = releases.iter().filter_map(|r| r["ocid"].as_str()).collect();
    assert!((2000..2100).contains(&ocids.len()), "{}", ocids.len());
    let package = serde_json::json!({"uri": "https://bojonegoro.example/ocds", "publishedDate": "2026-01-01T00:00:00Z", "version": "1.1",
        "publisher": {"name": "Demo"}, "extensions": [pendopo::slices::contracting::BID_EXTENSION], "releases": releases});
    let report = ocds::validate::validate_package(&serde_json::to_vec(&package).unwrap());
    assert!(report.valid, "{}", serde_json::to_string(&report).unwrap().chars().take(2000).collect::<String>());

    let merger = ocds::merge::Merger::ocds_1_1();
    let mut by_process: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    for r in &releases {
        by_process.entry(r["ocid"].as_str().unwrap()).or_default().push(r.clone());
    }
    let compiled: Vec<Value> = by_process.values().map(|rs| merger.compiled(rs).unwrap()).collect();
    let methods: HashSet<&str> = compiled.iter().filter_map(|c| c["tender"]["procurementMethodDetails"].as_str()).collect();
    assert_eq!(methods.len(), 7, "every method: {methods:?}");
    let settings = ocds::flags::Settings::parse(pendopo::slices::contracting::settings::DEFAULT_FLAGS_INI).unwrap();
    let flags = pendopo::slices::contracting::index::flags_of(&compiled, &settings);
    let codes: HashSet<&str> = flags.iter().filter(|f| f.kind == "OCID").map(|f| f.code.as_str()).collect();
    use pendopo::slices::contracting::index::{FLAG_CODES, PARTY_ONLY_FLAGS};
    for code in FLAG_CODES.iter().filter(|c| !PARTY_ONLY_FLAGS.contains(c)) {
        assert!(codes.contains(code), "some demo process trips {code}");
    }
    let spend: f64 = compiled.iter().filter_map(|c| c["contracts"][0]["value"]["amount"].as_f64()).sum();
    assert!((2.0e12..5.0e12).contains(&spend), "about Rp 1 trillion a year over three years: {spend}");
}

#[test]
fn every_flag_is_explained_in_both_languages() {
    use pendopo::web::ui::{catalogues, parse_catalog};
    let codes = pendopo::slices::contracting::index::FLAG_CODES;
    for catalog in catalogues().map(|text| parse_catalog(&text)) {
        for code in codes {
            for prefix in ["flag.", "flag_means.", "flag_not."] {
                assert!(catalog.contains_key(&format!("{prefix}{code}")), "{prefix}{code}");
            }
        }
        for stage in pendopo::slices::contracting::index::STAGES {
            assert!(catalog.contains_key(&format!("stage.{stage}")), "stage.{stage}");
        }
    }
}

#[tokio::test]
async fn the_demo_pages_stay_small() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let n = pendopo::slices::contracting::demo::load(&app.store, crate::common::REGION).await.unwrap();
    assert!(n > 2000);
    let (_, list) = app.get_text("/pengadaan").await;
    let first = list.split("href=\"/pengadaan/ocds-").nth(1).unwrap().split('"').next().unwrap().to_string();
    for path in ["/pengadaan".to_string(), "/pengadaan/dasbor".into(), "/pengadaan/peta".into(), format!("/pengadaan/ocds-{first}")] {
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.len() < 100 * 1024, "{path} is {} bytes", body.len());
    }
    let (_, reported) = app.get_text("/pengadaan?stage=implementation&category=works").await;
    assert!(reported.contains("paket"));
}

#[tokio::test]
async fn procurement_forms_say_every_problem_beside_its_field() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    app.add_org("dinas-pu-bina-marga").await;
    app.add_user("pu@bojonegorokab.go.id", "editor", Some("dinas-pu-bina-marga")).await;
    let officer = app.signed_in_as("pu@bojonegorokab.go.id").await;
    let csrf = officer.csrf("/pengadaan/baru").await;
    let plan = [
        ("csrf", csrf.as_str()),
        ("buyer", "dinas-pu-bina-marga"),
        ("rup_code", "30 41"),
        ("title", ""),
        ("category", "pekerjaan_konstruksi"),
        ("method", "Tender"),
        ("year", "1999"),
        ("budget", "banyak"),
        ("lat", "-95"),
        ("lon", "111.88"),
    ];
    let r = post_multipart(&officer, "/pengadaan", &plan, None).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    // All five at once, each in the summary by its label and beside its field.
    for (id, label) in [
        ("rup_code", "pengadaan.f.rup_code"),
        ("title", "pengadaan.f.title"),
        ("year", "pengadaan.f.year"),
        ("budget", "pengadaan.f.budget"),
        ("lat", "pengadaan.f.lat"),
    ] {
        assert!(html.contains(&format!("<a href=\"#{id}\">{}</a>", said_html(label, &[]))), "{id} in the summary");
        assert!(html.contains(&format!("<p class=\"field-error\" id=\"{id}-error\">")), "{id}'s message beside it");
    }
    assert!(html.contains("required aria-invalid=\"true\" aria-describedby=\"budget-error\""));
    assert!(html.contains(&said_html("pengadaan.invalid_rup", &[])) && html.contains(&said_html("pengadaan.invalid_location", &[])));
    assert!(html.contains("value=\"banyak\""), "what was typed is kept");
}

/// A payment dated after today is scheduled, not paid; a paid total above
/// the contract is said next to it.
#[tokio::test]
async fn payments_are_paid_only_once_their_day_has_come_and_overpayment_is_said() {
    for db in each_engine().await {
        // 6 December 2026, 10:00 WIB.
        let clock = pendopo::clock::Clock::manual(pendopo::clock::parse_rfc3339("2026-12-06T03:00:00Z").unwrap());
        let app = crate::common::spawn_clocked(&db, clock.clone()).await;
        let ocid = "ocds-pd3522-bayar-1";
        let release = serde_json::json!({
            "ocid": ocid, "id": "bayar-1", "date": "2026-11-01T08:00:00+07:00", "tag": ["contract", "implementation"],
            "buyer": {"id": "dpu", "name": "Dinas Pekerjaan Umum"},
            "tender": {"id": "t", "title": "Rehabilitasi jembatan", "procurementMethod": "open", "procurementMethodDetails": "Tender"},
            "awards": [{"id": "a", "status": "active", "value": {"amount": 100_000_000.0, "currency": "IDR"}, "suppliers": [{"id": "S1", "name": "CV Satu"}]}],
            "contracts": [{"id": "c", "awardID": "a", "status": "active", "dateSigned": "2026-11-02T08:00:00+07:00",
                "value": {"amount": 100_000_000.0, "currency": "IDR"},
                "implementation": {"transactions": [
                    {"id": "p1", "date": "2026-11-30T09:00:00+07:00", "value": {"amount": 60_000_000.0, "currency": "IDR"}},
                    {"id": "p2", "date": "2026-12-20T09:00:00+07:00", "value": {"amount": 50_000_000.0, "currency": "IDR"}}
                ]}}]
        });
        pendopo::slices::contracting::import(&app.store, crate::common::REGION, vec![release]).await.unwrap();
        app.drain_jobs().await;
        let (status, page) = app.get_text(&format!("/pengadaan/{ocid}")).await;
        assert_eq!(status, 200, "{}", app.label);
        assert!(page.contains("ID_BAYAR_LEBIH: Pembayaran melebihi nilai kontrak"), "recorded payments beyond the contract are a red flag");
        assert!(page.contains("Rp 60.000.000 (60%)"), "only the November payment is paid: {page}");
        assert!(page.contains("Pembayaran terjadwal") && page.contains("Terjadwal (belum jatuh tempo)"));
        assert!(page.contains("<caption>"), "the payments table says what it holds");
        assert!(!page.contains("total yang dibayar melebihi"), "what is paid so far is within the contract");

        // After 20 December both are paid: Rp 110 juta against a Rp 100 juta contract.
        clock.advance(std::time::Duration::from_secs(15 * 86_400));
        let (_, page) = app.get_text(&format!("/pengadaan/{ocid}")).await;
        assert!(page.contains("Rp 110.000.000 (110%)"), "{page}");
        assert!(page.contains("total yang dibayar melebihi nilai kontrak sebesar Rp 10.000.000"), "{page}");
        assert!(!page.contains("Pembayaran terjadwal"));
    }
}
