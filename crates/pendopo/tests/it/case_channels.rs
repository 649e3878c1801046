//! The other channels that feed cases, on both engines: Dialog Publik
//! sessions staff enter (items become cases with their channel and place;
//! the public page names no one and hides confidential items), the signed
//! SMS/WhatsApp webhook (into the verification queue once per message;
//! unsigned or wrongly signed: 401 and nothing stored), and SP4N-LAPOR!
//! exports as CSV and XLSX (each tracking id filed once; one bad row
//! stores nothing and every problem is named by row and column).

use serde_json::{Value, json};

use crate::common::{PASSWORD, TestApp, csrf_in, each_engine, said, said_html, spawn_clocked};

/// Friday 4 December 2026, 10:00 WIB.
const FRIDAY_MORNING: i64 = 1_796_353_200_000;

async fn count(app: &TestApp, q: &str) -> i64 {
    app.store.fetch_scalar::<i64>(pendopo::store::sql_built(q.to_string())).await.unwrap()
}

async fn call(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).header("Authorization", token);
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A region with a road service (dpupr) and a street-light service
/// (dishub), a region admin signed in in a browser and with a token, and
/// an agency officer's token.
struct Region {
    app: TestApp,
    admin: String,
    browser: TestApp,
    officer: String,
}

async fn region(db: &crate::common::TestDb) -> Region {
    let app = spawn_clocked(db, pendopo::clock::Clock::manual(FRIDAY_MORNING)).await;
    app.add_org("dpupr").await;
    app.add_org("dishub").await;
    let admin = app.token_for(&app.add_user("walidata@kominfo.id", "walidata", None).await).await;
    let officer = app.token_for(&app.add_user("operator@dpupr.id", "editor", Some("dpupr")).await).await;
    for (code, name, agency) in [("JALAN", "Pengaduan jalan rusak", "dpupr"), ("PJU", "Penerangan jalan umum", "dishub")] {
        let service = json!({ "code": code, "name": name, "agency": agency, "description": name });
        let (status, v) = call(&app, reqwest::Method::POST, "/api/v1/services", &admin, Some(&service)).await;
        assert_eq!(status, 201, "{v}");
    }
    let browser = app.another_browser();
    assert_eq!(browser.login("walidata@kominfo.id", PASSWORD).await.status(), 303);
    Region { app, admin, browser, officer }
}

fn session(items: Value) -> Value {
    json!({
        "held_on": "2026-12-04", "place": "Pendopo Malowopati",
        "officials": "Bupati; Kepala Dinas PU Bina Marga", "notes": "Dihadiri 120 warga.", "items": items,
    })
}

#[tokio::test]
async fn a_dialog_publik_session_files_its_items_as_cases_and_its_public_page_names_no_one() {
    for db in each_engine().await {
        let Region { app, admin, browser, officer } = region(&db).await;
        let items = json!([
            { "service": "JALAN", "text": "Jalan poros Kalitidu rusak berat.", "place": "35.22.16.2006", "reporter_name": "Sutrisno Wibowo" },
            { "service": "PJU", "channel": "radio", "text": "Lampu Jalan Veteran mati.", "place": "35.22.15", "reporter_name": "Pendengar Hartini" },
            { "service": "JALAN", "channel": "sms", "kind": "aspirasi", "text": "Jembatan desa perlu diperlebar." },
            { "service": "JALAN", "text": "Rahasia: pungutan di proyek jalan.", "reporter_name": "Pelapor Rahasia", "confidential": true },
        ]);
        // An agency's officer may not enter sessions.
        assert_eq!(call(&app, reqwest::Method::POST, "/api/v1/dialogs", &officer, Some(&session(items.clone()))).await.0, 403);

        // Every problem at once, under its field; nothing stored.
        let mut bad = session(json!([
            items[0].clone(),
            { "service": "TIDAK-ADA", "text": "", "place": "35.21.01", "channel": "fax" },
        ]));
        bad["held_on"] = json!("04/12/2026");
        let (status, v) = call(&app, reqwest::Method::POST, "/api/v1/dialogs", &admin, Some(&bad)).await;
        assert_eq!(status, 422, "{v}");
        let fields = v["error"]["fields"].as_object().unwrap();
        for f in ["held_on", "items.1.service", "items.1.text", "items.1.place", "items.1.channel"] {
            assert!(fields.contains_key(f), "{f}: {v}");
        }
        assert_eq!(fields["items.1.place"][0], json!(said("layanan.channel.place_unknown", &[("code", "35.21.01")])));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM dialog_sessions").await, 0);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases").await, 0);

        let (status, v) = call(&app, reqwest::Method::POST, "/api/v1/dialogs", &admin, Some(&session(items))).await;
        assert_eq!(status, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        let numbers: Vec<String> = v["numbers"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
        assert_eq!(numbers.len(), 4);
        let row = app
            .store
            .fetch_one(
                pendopo::store::sql("SELECT channel, state, desa_code, kecamatan_code, reporter_name FROM service_cases WHERE number = $1")
                    .bind(&numbers[0]),
            )
            .await
            .unwrap();
        let got: (String, String, Option<String>, Option<String>, Option<String>) = (
            row.get("channel").unwrap(),
            row.get("state").unwrap(),
            row.get("desa_code").unwrap(),
            row.get("kecamatan_code").unwrap(),
            row.get("reporter_name").unwrap(),
        );
        let want = ("dialog_publik", "received", Some("35.22.16.2006"), Some("35.22.16"), Some("Sutrisno Wibowo"));
        assert_eq!((got.0.as_str(), got.1.as_str(), got.2.as_deref(), got.3.as_deref(), got.4.as_deref()), want);
        let channels =
            count(&app, "SELECT COUNT(*) FROM service_cases WHERE channel = 'radio' AND kecamatan_code = '35.22.15' AND desa_code IS NULL")
                .await;
        assert_eq!(channels, 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases WHERE channel = 'sms' AND kind = 'aspirasi'").await, 1);
        // The coordinator's queue holds them.
        let (_, queue) = call(&app, reqwest::Method::GET, "/api/v1/cases?state=received", &admin, None).await;
        assert_eq!(queue["cases"].as_array().unwrap().len(), 4, "{queue}");

        // In public: the session, its open items as links, no names, no confidential item, no staff notes.
        let stranger = app.another_browser();
        let (status, list) = stranger.get_text("/layanan/dialog").await;
        assert_eq!(status, 200);
        assert!(list.contains(&format!("/layanan/dialog/{id}")) && list.contains("Pendopo Malowopati"));
        let (status, page) = stranger.get_text(&format!("/layanan/dialog/{id}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Bupati; Kepala Dinas PU Bina Marga"));
        for n in &numbers[..3] {
            assert!(page.contains(&format!("/layanan/laporan/{n}\">{n}</a>")), "{n} linked");
        }
        for hidden in ["Sutrisno", "Hartini", "Pelapor Rahasia", "pungutan", &numbers[3], "Dihadiri 120 warga"] {
            assert!(!page.contains(hidden), "{hidden} in the public page");
        }
        assert!(page.len() < 100_000);
        let v: Value = stranger.get(&format!("/api/v1/dialogs/{id}")).await.json().await.unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 3, "{v}");
        assert!(!v.to_string().contains("Sutrisno") && v.get("notes").is_none(), "{v}");

        // Staff add an item through the session page's form: an error beside its field, then saved.
        let csrf = browser.csrf(&format!("/layanan/dialog/{id}")).await;
        let path = format!("/layanan/dialog/{id}");
        let form = [
            ("csrf", csrf.as_str()),
            ("items.0.service", "PJU"),
            ("items.0.channel", "dialog_publik"),
            ("items.0.text", ""),
            ("items.0.place", ""),
        ];
        let r = browser.client.post(browser.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"items.0.text-error\""), "the error beside its field");
        assert!(html.contains("href=\"#items.0.text\""), "and in the summary");
        let form = [
            ("csrf", csrf.as_str()),
            ("items.0.service", "PJU"),
            ("items.0.channel", "dialog_publik"),
            ("items.0.text", "Lampu taman mati."),
            ("items.0.place", "35.22.14"),
        ];
        let r = browser.client.post(browser.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM dialog_items").await, 5);
        assert!(stranger.get_text(&path).await.1.contains("Lampu taman mati."));

        // A new session through the form.
        let csrf = browser.csrf("/layanan/dialog/baru").await;
        let form = [
            ("csrf", csrf.as_str()),
            ("held_on", "2026-11-27"),
            ("place", "Radio Malowopati FM"),
            ("officials", "Wakil Bupati"),
            ("notes", ""),
            ("items.0.service", "JALAN"),
            ("items.0.channel", "radio"),
            ("items.0.text", "Jalan Ngraho longsor."),
            ("items.0.place", "35.22.01"),
            ("items.1.service", ""),
            ("items.1.channel", "dialog_publik"),
            ("items.1.text", ""),
        ];
        let r = browser.client.post(browser.url("/layanan/dialog")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let v: Value = stranger.get("/api/v1/dialogs").await.json().await.unwrap();
        assert_eq!(v["count"], 2, "{v}");
        assert_eq!(v["sessions"][0]["held_on"], "2026-12-04", "newest first");
    }
}

/// The admin sets the gateway up on its page; the secret shown once.
async fn gateway_secret(browser: &TestApp, intake: &str, rotate: bool) -> String {
    let csrf = browser.csrf("/layanan/pesan").await;
    let mut form = vec![("csrf", csrf.as_str()), ("intake_service", intake)];
    if rotate {
        form.push(("rotate", "1"));
    }
    let r = browser.client.post(browser.url("/layanan/pesan")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let start = html.find("<code id=\"secret\">").expect("the new secret is shown") + "<code id=\"secret\">".len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

async fn post_message(app: &TestApp, body: &Value, signature: Option<String>) -> (u16, Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let mut req = app.client.post(app.url("/api/v1/webhooks/pesan")).header("content-type", "application/json").body(raw);
    if let Some(s) = signature {
        req = req.header(pendopo::slices::services::SIGNATURE_HEADER, s);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn signed(secret: &str, body: &Value) -> Option<String> {
    Some(pendopo::slices::services::signature_header(secret, &serde_json::to_vec(body).unwrap()))
}

#[tokio::test]
async fn the_gateway_files_signed_messages_once_into_the_queue_and_refuses_unsigned_ones() {
    for db in each_engine().await {
        let Region { app, admin, browser, .. } = region(&db).await;
        let message = json!({
            "message_id": "sms-7781", "channel": "sms", "from": "+62 812-3456-7890",
            "text": "Jalan di depan SDN Kalitidu berlubang besar.", "received_at": "2026-12-04T09:15:00+07:00",
        });
        // Before a secret is set, nothing is accepted.
        assert_eq!(post_message(&app, &message, signed("tebakan", &message)).await.0, 401);

        // An intake service is required to set the gateway up, said beside its field.
        let csrf = browser.csrf("/layanan/pesan").await;
        let r = browser
            .client
            .post(browser.url("/layanan/pesan"))
            .form(&[("csrf", csrf.as_str()), ("intake_service", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"intake_service-error\""));
        let secret = gateway_secret(&browser, "JALAN", false).await;
        assert!(secret.len() >= 20, "{secret}");

        // Wrong secret, tampered body, missing header: 401 with a clear JSON error, nothing stored.
        let mut tampered = message.clone();
        tampered["text"] = json!("Diubah di jalan.");
        for (body, signature) in [(&message, signed("salah", &message)), (&tampered, signed(&secret, &message)), (&message, None)] {
            let (status, v) = post_message(&app, body, signature).await;
            assert_eq!(status, 401, "{v}");
            assert_eq!(v["error"]["message"], json!(said("layanan.channel.signature_invalid", &[])), "{v}");
        }
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases").await, 0);

        let (status, v) = post_message(&app, &message, signed(&secret, &message)).await;
        assert_eq!(status, 201, "{v}");
        let number = v["number"].as_str().unwrap().to_string();
        assert_eq!((v["service_code"].clone(), v["state"].clone()), (json!("JALAN"), json!("received")));
        // A replay (the gateway retrying) gives the same case back.
        let (status, again) = post_message(&app, &message, signed(&secret, &message)).await;
        assert_eq!((status, again["number"].as_str()), (200, Some(number.as_str())));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases").await, 1);
        let row = app
            .store
            .fetch_one(pendopo::store::sql("SELECT channel, reporter_phone, created_at FROM service_cases WHERE number = $1").bind(&number))
            .await
            .unwrap();
        assert_eq!(row.get::<String>("channel").unwrap(), "sms");
        assert_eq!(row.get::<String>("reporter_phone").unwrap(), "+6281234567890");
        assert_eq!(row.get::<i64>("created_at").unwrap(), 1_796_350_500_000, "received at 09:15 WIB");
        // In the coordinator's verification queue; the phone never in public.
        let (_, queue) = call(&app, reqwest::Method::GET, "/api/v1/cases?state=received", &admin, None).await;
        assert_eq!(queue["cases"][0]["number"], json!(number), "{queue}");
        let (_, public) = app.get_text(&format!("/open311/v2/requests/{number}.json")).await;
        assert!(public.contains("SDN Kalitidu") && !public.contains("3456"), "{public}");

        // A WhatsApp message naming a service by its first word files under it.
        let named =
            json!({ "message_id": "wamid.1", "channel": "whatsapp", "from": "081299998888", "text": "pju lampu mati di Jalan Veteran" });
        let (status, v) = post_message(&app, &named, signed(&secret, &named)).await;
        assert_eq!((status, v["service_code"].clone()), (201, json!("PJU")), "{v}");
        // A bad message, signed: every field's problem, nothing stored.
        let bad = json!({ "message_id": "", "channel": "fax", "from": "x", "text": "" });
        let (status, v) = post_message(&app, &bad, signed(&secret, &bad)).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["error"]["fields"].as_object().unwrap().len(), 4, "{v}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases").await, 2);

        // Rotating the secret: the old one stops working at once.
        let rotated = gateway_secret(&browser, "JALAN", true).await;
        assert_ne!(rotated, secret);
        let next = json!({ "message_id": "sms-7782", "channel": "sms", "from": "081234567890", "text": "Selokan mampet." });
        assert_eq!(post_message(&app, &next, signed(&secret, &next)).await.0, 401);
        assert_eq!(post_message(&app, &next, signed(&rotated, &next)).await.0, 201);
    }
}

const LAPOR_CSV: &str = "No. Tiket;Tanggal Laporan;Judul;Isi Laporan;Kategori;Instansi;Status;Lokasi
LAP-0001;20/11/2026 08:30;Jalan berlubang;Jalan di Desa Sukorejo berlubang besar.;Pengaduan jalan rusak;Dinas dpupr;Selesai;35.22.15
LAP-0002;2026-11-21;Lampu mati;Lampu jalan mati di Kalitidu.;PJU;;Proses;Kecamatan Kalitidu
0003;22-11-2026 10:00;Lainnya;Permintaan informasi anggaran.;Lain-lain;Dinas xyz;Belum diverifikasi;
";

async fn import_api(app: &TestApp, token: &str, query: &str, bytes: Vec<u8>) -> (u16, Value) {
    let r =
        app.client.post(app.url(&format!("/api/v1/cases/import{query}"))).header("Authorization", token).body(bytes).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn import_page(browser: &TestApp, bytes: Vec<u8>, name: &str, default_service: &str) -> (u16, String) {
    let csrf = browser.csrf("/layanan/impor").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("default_service", default_service.to_string())
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let r = browser.client.post(browser.url("/layanan/impor")).multipart(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn lapor_exports_import_once_from_csv_and_xlsx_and_a_bad_row_stores_nothing() {
    for db in each_engine().await {
        let Region { app, admin, browser, officer } = region(&db).await;
        assert_eq!(import_api(&app, &officer, "?default_service=JALAN", LAPOR_CSV.into()).await.0, 403);

        let (status, v) = import_api(&app, &admin, "?default_service=JALAN", LAPOR_CSV.into()).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!((v["created"].as_array().unwrap().len(), v["skipped"].as_array().unwrap().len()), (3, 0), "{v}");
        let rows = app
            .store
            .fetch_all(pendopo::store::sql(
                "SELECT c.external_id, c.channel, c.created_at, c.kecamatan_code, s.code FROM service_cases c
                 JOIN services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id ORDER BY c.external_id",
            ))
            .await
            .unwrap();
        let got: Vec<(String, String, i64, Option<String>, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.get("external_id").unwrap(),
                    r.get("channel").unwrap(),
                    r.get("created_at").unwrap(),
                    r.get("kecamatan_code").unwrap(),
                    r.get("code").unwrap(),
                )
            })
            .collect();
        let want = [
            ("0003", 1_795_316_400_000, None, "JALAN"),
            ("LAP-0001", 1_795_138_200_000, Some("35.22.15"), "JALAN"),
            ("LAP-0002", 1_795_194_000_000, Some("35.22.16"), "PJU"),
        ];
        for ((id, channel, at, kec, code), (wid, wat, wkec, wcode)) in got.iter().zip(want) {
            assert_eq!((id.as_str(), channel.as_str(), *at, kec.as_deref(), code.as_str()), (wid, "lapor", wat, wkec, wcode));
        }
        // The same file again: nothing new, the same cases named as skipped.
        let (status, again) = import_api(&app, &admin, "?default_service=JALAN", LAPOR_CSV.into()).await;
        assert_eq!(status, 201);
        assert_eq!((again["created"].as_array().unwrap().len(), again["skipped"].as_array().unwrap().len()), (0, 3), "{again}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases").await, 3);

        // An XLSX export with English headers, on the staff page: one new row, one known.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["Tracking ID", "Date", "Title", "Description", "Category", "Agency"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let xlsx_rows = [
            ["LAP-0001", "2026-11-20 08:30", "Jalan berlubang", "Jalan di Desa Sukorejo berlubang besar.", "JALAN", ""],
            ["LAP-0009", "2026-11-25 14:00", "Lampu taman", "Lampu taman kota mati.", "", "Dinas dishub"],
        ];
        for (r, row) in xlsx_rows.iter().enumerate() {
            for (c, text) in row.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, *text).unwrap();
            }
        }
        let (status, html) = import_page(&browser, book.save_to_buffer().unwrap(), "lapor.xlsx", "").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains(&said_html("layanan.impor.done", &[("created", "1"), ("skipped", "1")])), "{html}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases WHERE external_id = 'LAP-0009' AND channel = 'lapor'").await, 1);

        // A file with bad rows: nothing stored, every problem named by row and column.
        let bad = "No. Tiket;Tanggal Laporan;Isi Laporan;Kategori
LAP-0100;2026-11-30;Sampah menumpuk.;JALAN
LAP-0101;kemarin;Got mampet.;JALAN
;2026-11-30;Tanpa tiket.;Lain-lain
LAP-0100;2026-11-30;Lagi.;PJU
";
        let before = count(&app, "SELECT COUNT(*) FROM service_cases").await;
        let (status, v) = import_api(&app, &admin, "", bad.into()).await;
        assert_eq!(status, 422, "{v}");
        let problems: Vec<(u64, String, String)> = v["error"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["row"].as_u64().unwrap(), p["column"].as_str().unwrap().to_string(), p["reason"].as_str().unwrap().to_string()))
            .collect();
        let expect = [
            (3, "Tanggal Laporan", said("layanan.impor.date_invalid", &[("value", "kemarin")])),
            (4, "No. Tiket", said("layanan.impor.id_invalid", &[])),
            (4, "Kategori", said("layanan.impor.service_unknown", &[("category", "Lain-lain"), ("agency", "")])),
            (5, "No. Tiket", said("layanan.impor.id_twice", &[("id", "LAP-0100"), ("row", "2")])),
        ];
        assert_eq!(problems, expect.map(|(r, c, m)| (r, c.to_string(), m)), "{v}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases").await, before);
        // The page says the same in a table, and keeps the choice.
        let (status, html) = import_page(&browser, bad.into(), "lapor.csv", "").await;
        assert_eq!(status, 422);
        assert!(html.contains(&said_html("layanan.impor.refused", &[("n", "4")])), "{html}");
        assert!(html.contains("<td>3</td><td>Tanggal Laporan</td>"), "{html}");
        // No file chosen: said beside the field.
        let csrf = csrf_in(&browser.get_text("/layanan/impor").await.1);
        let form = reqwest::multipart::Form::new().text("csrf", csrf).text("default_service", "JALAN");
        let r = browser.client.post(browser.url("/layanan/impor")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"file-error\""));
    }
}
