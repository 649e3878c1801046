//! The agency answers with files and hands cases on within itself, on both
//! engines through real HTTP clients: an officer answers on the case page
//! with a photo (its EXIF stripped) and a PDF; the reporter's private page
//! and the public page show them, a confidential case's never in public;
//! a non-PDF named `.pdf` and an oversized file are refused with nothing
//! stored; a hand-on reaches the colleague's `?mine=1` inbox and the
//! history, and is refused towards someone of another agency.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::citizen_reports::{contains, jpeg_with_gps};
use crate::common::{TestApp, each_engine, said, said_html, spawn_clocked};
use crate::service_cases::{FRIDAY_MORNING, Staff, act, call, count, file, staff_of};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A report filed through Open311 (rahasia when asked), verified and
/// dispositioned to dpupr; its number and the reporter's private token.
async fn dispositioned(s: &Staff, text: &str, rahasia: bool) -> (String, String) {
    let app = &s.app;
    let number = if rahasia {
        let fields = [("service_code", "JALAN"), ("address_string", "Jl. Veteran"), ("description", text), ("rahasia", "1")];
        let r = app
            .client
            .post(app.url("/open311/v2/requests.json"))
            .form(&[&fields[..], &[("api_key", s.admin.as_str())]].concat())
            .send()
            .await;
        let v: Value = r.unwrap().json().await.unwrap();
        v[0]["service_request_id"].as_str().unwrap().to_string()
    } else {
        file(app, &s.admin, text).await
    };
    assert_eq!(act(app, &number, &s.admin, json!({ "action": "verify" })).await.0, 200);
    assert_eq!(act(app, &number, &s.admin, json!({ "action": "disposition", "agency": "dpupr" })).await.0, 200);
    let q = pendopo::store::sql("SELECT token FROM service_cases WHERE number = $1").bind(&number);
    (number.clone(), app.store.fetch_scalar::<String>(q).await.unwrap())
}

/// Sends a case page's form as a browser does: the CSRF token first, the
/// fields, then the files `(file name, bytes)`.
async fn send(browser: &TestApp, number: &str, fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let path = format!("/layanan/kasus/{number}");
    let mut form = Form::new().text("csrf", browser.csrf(&path).await);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in files {
        form = form.part("attachment", Part::bytes(bytes.clone()).file_name(name.to_string()));
    }
    browser.client.post(browser.url(&path)).multipart(form).send().await.unwrap()
}

/// The case's last history row, as the staff API gives it.
async fn last_step(app: &TestApp, number: &str, token: &str) -> Value {
    let (status, v) = call(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), token, None).await;
    assert_eq!(status, 200, "{v}");
    v["history"].as_array().unwrap().last().unwrap().clone()
}

/// A file as served: status, type, and the bytes, asking for compression
/// (which must not happen: files go out as stored).
async fn fetch(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let res = app.client.get(app.url(path)).header("accept-encoding", "gzip, br").send().await.unwrap();
    let status = res.status().as_u16();
    assert!(status != 200 || res.headers().get("content-encoding").is_none(), "{path} is sent as stored");
    let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn an_officer_answers_with_a_photo_and_a_pdf_that_the_reporter_and_the_public_see() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let s = staff_of(spawn_clocked(&db, clock.clone()).await).await;
        let app = &s.app;
        let (number, token) = dispositioned(&s, "Jalan di Desa Sukorejo berlubang besar.", false).await;
        let officer = app.signed_in_as("operator@dpupr.id").await;

        // The answer's form takes files; the limits are said beside the input.
        let (_, page) = officer.get_text(&format!("/layanan/kasus/{number}")).await;
        assert!(page.contains("id=\"answer-action\" enctype=\"multipart/form-data\"") && page.contains("name=\"attachment\""), "{page}");
        assert!(page.contains(&said_html("kasus.attachments_help", &[("max", "3"), ("mb", "10")])), "{page}");
        assert!(page.len() < 100_000);

        // First a question with a form to fill: the reporter's, never public.
        let res = send(
            &officer,
            &number,
            &[("action", "ask_reporter"), ("text", "Mohon isi formulir terlampir.")],
            &[("formulir.pdf", PDF.to_vec())],
        )
        .await;
        assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
        let asked = last_step(app, &number, &s.officer).await["seq"].as_i64().unwrap();

        // The answer with a phone's photo (GPS EXIF, a camera comment) and a letter.
        let (jpeg, jpeg_clean) = jpeg_with_gps();
        let text = "Sudah ditambal, lihat foto dan surat.";
        let files = [("IMG_2041.jpg", jpeg), ("Surat Jawaban.pdf", PDF.to_vec())];
        let res = send(&officer, &number, &[("action", "answer"), ("text", text)], &files).await;
        assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
        let step = last_step(app, &number, &s.officer).await;
        assert_eq!(
            (step["action"].clone(), step["to_state"].clone(), step["note"].clone()),
            (json!("answer"), json!("answered"), json!(text))
        );
        let files = step["files"].as_array().unwrap();
        assert_eq!(files.len(), 2, "{step}");
        assert_eq!((files[0]["media_type"].clone(), files[0]["photo"].clone()), (json!("image/jpeg"), json!(true)));
        assert_eq!((files[1]["media_type"].clone(), files[1]["file_name"].clone()), (json!("application/pdf"), json!("Surat_Jawaban.pdf")));
        let seq = step["seq"].as_i64().unwrap();

        // The staff page, the reporter's page and the public page link them:
        // the photo inline, the document as a link under its name.
        let staff = format!("/layanan/kasus/{number}/lampiran/{seq}");
        let private = format!("/layanan/lapor/{token}/lampiran/{seq}");
        let public = format!("/layanan/laporan/{number}/lampiran/{seq}");
        let (_, page) = officer.get_text(&format!("/layanan/kasus/{number}")).await;
        assert!(page.contains(&format!("<img src=\"{staff}/1\"")) && page.contains(&format!("href=\"{staff}/2\"")), "{page}");
        let reporter = app.another_browser();
        let (_, page) = reporter.get_text(&format!("/layanan/lapor/{token}")).await;
        assert!(page.contains(text) && page.contains(&format!("<img src=\"{private}/1\"")), "{page}");
        assert!(page.contains(&format!("href=\"{private}/2\" download>Surat_Jawaban.pdf</a>")), "{page}");
        assert!(page.contains(&format!("/layanan/lapor/{token}/lampiran/{asked}/1")), "the question's form too");
        let (status, page) = app.another_browser().get_text(&format!("/layanan/laporan/{number}")).await;
        assert_eq!(status, 200);
        assert!(page.contains(&format!("<img src=\"{public}/1\"")) && page.contains(&format!("href=\"{public}/2\"")), "{page}");
        assert!(!page.contains(&format!("/lampiran/{asked}/")), "a question's files are the reporter's");
        for hidden in ["Siti", "siti.aminah@contoh.id", "081234567890", &token] {
            assert!(!page.contains(hidden), "{hidden} on the public page");
        }

        // Served byte for byte as stored: the photo without EXIF, GPS or
        // camera; the PDF as sent, downloaded under its name.
        for base in [&staff, &private, &public] {
            let who = if base == &staff { &officer } else { app };
            let (status, kind, bytes) = fetch(who, &format!("{base}/1")).await;
            assert_eq!((status, kind.as_str()), (200, "image/jpeg"), "{base}");
            assert_eq!(bytes, jpeg_clean, "{base}");
            for trace in [b"Exif".as_slice(), b"KameraMerek"] {
                assert!(!contains(&bytes, trace), "{base} still holds {trace:?}");
            }
            let (status, kind, bytes) = fetch(who, &format!("{base}/2")).await;
            assert_eq!((status, kind.as_str(), bytes.as_slice()), (200, "application/pdf", PDF), "{base}");
        }
        let res = app.get(&format!("{public}/2")).await;
        assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"Surat_Jawaban.pdf\"");
        // The question's file: the reporter's and the staff's, not the public's.
        assert_eq!(fetch(app, &format!("/layanan/lapor/{token}/lampiran/{asked}/1")).await.0, 200);
        assert_eq!(fetch(app, &format!("/layanan/laporan/{number}/lampiran/{asked}/1")).await.0, 404);
        // Another agency's officer and a stranger to the case: not theirs.
        assert_eq!(app.signed_in_as("operator@dinkes.id").await.get(&format!("{staff}/1")).await.status().as_u16(), 403);
        assert_eq!(app.get(&format!("/layanan/lapor/bukan-token/lampiran/{seq}/1")).await.status().as_u16(), 404);

        // A confidential case: its answer's files never public, the reporter's link still shows them.
        let (secret, secret_token) = dispositioned(&s, "Pungutan liar di loket.", true).await;
        let (jpeg, _) = jpeg_with_gps();
        let res = send(&officer, &secret, &[("action", "answer"), ("text", "Petugas sudah ditegur.")], &[("bukti.jpg", jpeg)]).await;
        assert_eq!(res.status().as_u16(), 303);
        let seq = last_step(app, &secret, &s.officer).await["seq"].as_i64().unwrap();
        assert_eq!(fetch(app, &format!("/layanan/laporan/{secret}/lampiran/{seq}/1")).await.0, 404);
        assert_eq!(app.get_text(&format!("/layanan/laporan/{secret}")).await.0, 404);
        assert_eq!(fetch(app, &format!("/layanan/lapor/{secret_token}/lampiran/{seq}/1")).await.0, 200);
        let (_, page) = app.get_text(&format!("/layanan/lapor/{secret_token}")).await;
        assert!(page.contains(&format!("/layanan/lapor/{secret_token}/lampiran/{seq}/1")), "{page}");
    }
}

#[tokio::test]
async fn a_fake_pdf_an_oversized_file_and_too_many_files_are_refused_and_nothing_is_stored() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let s = staff_of(spawn_clocked(&db, clock.clone()).await).await;
        let app = &s.app;
        let (number, _) = dispositioned(&s, "Jembatan Desa Kalitidu retak.", false).await;
        let officer = app.signed_in_as("operator@dpupr.id").await;
        let history = || count(app, "SELECT COUNT(*) FROM service_case_history");
        let before = (history().await, count(app, "SELECT COUNT(*) FROM service_case_attachments").await);
        let answer = [("action", "answer"), ("text", "Sudah diperbaiki.")];

        // A web page named .pdf: the page again, the error beside the file input.
        let res = send(&officer, &number, &answer, &[("surat.pdf", b"<html><body>bukan PDF</body></html>".to_vec())]).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.unwrap();
        let error = format!("id=\"answer-attachment-error\">{}", said_html("layanan.attachment.not_allowed", &[("name", "surat.pdf")]));
        assert!(html.contains(&error), "{html}");
        // Four files where three are allowed.
        let four: Vec<(&str, Vec<u8>)> = (0..4).map(|_| ("surat.pdf", PDF.to_vec())).collect();
        let res = send(&officer, &number, &answer, &four).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.unwrap().contains(&said_html("layanan.attachment.too_many", &[("max", "3")])));
        // A file over 10 MB: 413 as it arrives.
        let mut big = PDF.to_vec();
        big.resize(10 * 1024 * 1024 + 1, b' ');
        let res = send(&officer, &number, &answer, &[("besar.pdf", big)]).await;
        assert_eq!(res.status().as_u16(), 413);
        // Files on a step that carries none.
        let res = send(&officer, &number, &[("action", "start")], &[("surat.pdf", PDF.to_vec())]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.unwrap().contains(&said_html("layanan.attachment.not_here", &[])));

        let after = (history().await, count(app, "SELECT COUNT(*) FROM service_case_attachments").await);
        assert_eq!(after, before, "nothing half-stored");
        let (_, v) = call(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &s.officer, None).await;
        assert_eq!(v["state"], "dispositioned");
        // Without the form's CSRF token, no file is read: refused.
        let form = Form::new().text("action", "answer").text("text", "x").part("attachment", Part::bytes(PDF.to_vec()).file_name("a.pdf"));
        let res = officer.client.post(officer.url(&format!("/layanan/kasus/{number}"))).multipart(form).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403);
    }
}

#[tokio::test]
async fn an_officer_hands_a_case_on_to_a_colleague_of_the_same_agency_only() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let s = staff_of(spawn_clocked(&db, clock.clone()).await).await;
        let app = &s.app;
        let colleague = app.token_for(&app.add_user("kabid@dpupr.id", "editor", Some("dpupr")).await).await;
        let (number, _) = dispositioned(&s, "Jalan di Desa Sukorejo berlubang besar.", false).await;
        let (other_case, _) = dispositioned(&s, "Lampu jalan mati.", false).await;
        let officer = app.signed_in_as("operator@dpupr.id").await;
        let path = format!("/layanan/kasus/{number}");
        let (_, before) = call(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &s.officer, None).await;

        // The form offers the agency's officers, and no one else.
        let (_, page) = officer.get_text(&path).await;
        assert!(page.contains("id=\"hand_on-action\"") && page.contains("value=\"kabid@dpupr.id\""), "{page}");
        assert!(!page.contains("value=\"operator@dinkes.id\"") && !page.contains("value=\"walidata@kominfo.id\""), "{page}");

        // Handed on through the page: kept in the history, the state and deadline unchanged.
        let csrf = officer.csrf(&path).await;
        let why = "Lokasi di wilayah seksi Anda.";
        let res = officer.post_form(&path, &[("csrf", &csrf), ("action", "hand_on"), ("to", "kabid@dpupr.id"), ("text", why)]).await;
        assert_eq!(res.status().as_u16(), 303);
        let (_, after) = call(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &s.officer, None).await;
        assert_eq!((after["state"].clone(), after["stage_due"].clone()), (before["state"].clone(), before["stage_due"].clone()), "{after}");
        assert_eq!(after["assignee"], "kabid@dpupr.id");
        let step = after["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (step["action"].clone(), step["actor"].clone(), step["handed_to"].clone(), step["note"].clone(), step["to_state"].clone()),
            (json!("hand_on"), json!("operator@dpupr.id"), json!("kabid@dpupr.id"), json!(why), json!("dispositioned"))
        );
        let (_, page) = officer.get_text(&path).await;
        assert!(page.contains(&said_html("kasus.handed_to", &[("email", "kabid@dpupr.id")])) && page.contains(why), "{page}");

        // The colleague's inbox: ?mine=1 holds it and not the other case; the inbox names who has it.
        let kabid = app.signed_in_as("kabid@dpupr.id").await;
        let (_, mine) = kabid.get_text("/layanan/kasus?mine=1").await;
        assert!(mine.contains(&number) && !mine.contains(&other_case), "{mine}");
        let (_, all) = kabid.get_text("/layanan/kasus").await;
        assert!(all.contains(&number) && all.contains(&other_case) && all.contains("kabid@dpupr.id"), "{all}");
        assert!(!officer.get_text("/layanan/kasus?mine=1").await.1.contains(&number));
        let (_, v) = call(app, reqwest::Method::GET, "/api/v1/cases?mine=1", &colleague, None).await;
        assert_eq!(v["cases"].as_array().unwrap().iter().map(|c| c["number"].clone()).collect::<Vec<_>>(), [json!(number)], "{v}");
        // The colleague is told, in the outbox.
        let told =
            count(app, "SELECT COUNT(*) FROM service_notifications WHERE event = 'handed_on' AND recipient = 'kabid@dpupr.id'").await;
        assert_eq!(told, 1);

        // To someone of another agency, a region admin or no one: refused, nothing changed.
        let history = || count(app, "SELECT COUNT(*) FROM service_case_history");
        let kept = history().await;
        for to in ["operator@dinkes.id", "walidata@kominfo.id", "tidak.ada@dpupr.id"] {
            let (status, v) = act(app, &number, &colleague, json!({ "action": "hand_on", "to": to, "text": "x" })).await;
            assert_eq!(status, 422, "{v}");
            assert_eq!(v["error"]["fields"]["to"][0], json!(said("layanan.hand_on.not_colleague", &[("email", to)])), "{v}");
        }
        let res = kabid.post_form(&path, &[("csrf", &kabid.csrf(&path).await), ("action", "hand_on"), ("to", "operator@dinkes.id")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let error = format!("id=\"hand_on-to-error\">{}", said_html("layanan.hand_on.not_colleague", &[("email", "operator@dinkes.id")]));
        assert!(res.text().await.unwrap().contains(&error));
        let (status, v) = act(app, &number, &colleague, json!({ "action": "hand_on", "text": "x" })).await;
        assert_eq!(
            (status, v["error"]["fields"]["to"][0].clone()),
            (422, json!(said("layanan.refusal.missing_target", &[("state", "dispositioned")])))
        );
        // Another agency's officer may not hand it on at all.
        assert_eq!(act(app, &number, &s.other, json!({ "action": "hand_on", "to": "kabid@dpupr.id" })).await.0, 403);
        assert_eq!(history().await, kept);

        // Handed back through the API; a new disposition clears who has it.
        let (status, v) =
            act(app, &number, &colleague, json!({ "action": "hand_on", "to": "operator@dpupr.id", "text": "Kembali ke Anda." })).await;
        assert_eq!((status, v["assignee"].clone()), (200, json!("operator@dpupr.id")), "{v}");
        let (status, v) = act(app, &number, &s.admin, json!({ "action": "disposition", "agency": "dpupr" })).await;
        assert_eq!((status, v["assignee"].clone()), (200, Value::Null), "{v}");
    }
}
