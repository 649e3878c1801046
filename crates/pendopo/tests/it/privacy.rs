//! Privacy (UU 27/2022 on personal data): a reporter's name, phone, email,
//! NIK and home address, and everything of a *rahasia* report, never
//! appear in what the public can read. The test files reports carrying
//! such values through every channel, then reads everything a visitor can
//! reach (every page linked from the home page and the services pages, the
//! files they link, Open311, the public JSON API, the catalogue through
//! CKAN and DCAT) and the server's own logs at debug level, and looks for
//! each value in all of it. It runs the real binary so the logs are the
//! ones an operator would ship.

use std::collections::{BTreeSet, VecDeque};
use std::io::Read;
use std::process::Stdio;

use serde_json::{Value, json};

use crate::cli::{bojonegoro_with_walidata, pendopo, run_ok, start_server_logging_to};
use crate::common::{PASSWORD, client, csrf_in, each_engine};

/// The personal values seeded; none may be found in a public output.
const NAME: &str = "Sastrodiharjo";
const FULL_NAME: &str = "Wiryo Sastrodiharjo";
const EMAIL: &str = "wiryo.pribadi@contoh.id";
const PHONE: &str = "081299887766";
const PHONE_INTL: &str = "6281299887766";
const NIK: &str = "3522011204850003";
const HOME: &str = "Jl. Kenanga Gang Buntu 17";
/// The text of a rahasia report: never public at all.
const SECRET_TEXT: &str = "Pungutan liar di loket kecamatan oleh petugas berinisial QZX";

fn needles() -> [&'static str; 7] {
    [NAME, FULL_NAME, EMAIL, PHONE, PHONE_INTL, NIK, SECRET_TEXT]
}

/// Where a crawl does not go: other slices' big trees (every desa of the
/// country, every procurement process), signing in and out.
fn skipped(path: &str) -> bool {
    ["/wilayah", "/pengadaan", "/ocds", "/login", "/logout", "/static", "/dataset/", "/api/3/action/datastore"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The links (`href`, `src`) of an HTML page that stay on this server.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for part in html.split(attr).skip(1) {
            let Some(end) = part.find('"') else { continue };
            let link = part[..end].replace("&amp;", "&");
            if link.starts_with('/') && !link.starts_with("//") {
                out.push(link.split('#').next().unwrap().to_string());
            }
        }
    }
    out
}

/// A body as text to search: XLSX is a zip of XML parts, read them all.
fn readable(content_type: &str, bytes: &[u8]) -> String {
    if content_type.contains("spreadsheetml") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut all = String::new();
        for i in 0..zip.len() {
            let _ = zip.by_index(i).unwrap().read_to_string(&mut all);
        }
        return all;
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// Reads every public output reachable from `seeds` (following links on
/// HTML pages) and returns `(address, text)` pairs.
async fn crawl(base: &str, seeds: &[String]) -> Vec<(String, String)> {
    let c = client();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = seeds.iter().cloned().collect();
    let mut read = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || seen.len() > 1500 {
            continue;
        }
        let r = c.get(format!("{base}{path}")).send().await.unwrap();
        let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let text = readable(&content_type, &r.bytes().await.unwrap());
        if content_type.starts_with("text/html") {
            for link in links(&text) {
                if !skipped(&link) && !seen.contains(&link) {
                    queue.push_back(link);
                }
            }
        }
        read.push((path, text));
    }
    read
}

async fn send(base: &str, token: &str, path: &str, body: &Value) -> Value {
    let r = client().post(format!("{base}{path}")).header("Authorization", token).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status < 300, "{path}: {status} {v}");
    v
}

/// Files a report through Open311 with every personal value; its number.
async fn file_open311(base: &str, token: &str, text: &str, confidential: bool) -> String {
    let mut fields = vec![
        ("service_code", "SAMPAH"),
        ("lat", "-7.1502"),
        ("long", "111.8817"),
        ("address_id", "35.22.01.2001"),
        ("description", text),
        ("first_name", "Wiryo"),
        ("last_name", NAME),
        ("email", EMAIL),
        ("phone", PHONE),
        ("attribute[nik]", NIK),
        ("attribute[alamat_pelapor]", HOME),
        ("api_key", token),
    ];
    if confidential {
        fields.push(("rahasia", "true"));
    }
    let r = client().post(format!("{base}/open311/v2/requests.json")).form(&fields).send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    v[0]["service_request_id"].as_str().unwrap_or_else(|| panic!("filed: {v}")).to_string()
}

fn value_after(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("{marker} in {html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// Files a report on the citizens' form, as a person does (a pause
/// before sending); its number, read from the private page.
async fn file_on_the_form(base: &str) -> String {
    let browser = client();
    let html = browser.get(format!("{base}/layanan/lapor?layanan=SAMPAH")).send().await.unwrap().text().await.unwrap();
    let (csrf, stamp) = (csrf_in(&html), value_after(&html, "name=\"stamp\" value=\""));
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf).text("stamp", stamp);
    for (k, v) in [
        ("kind", "pengaduan"),
        ("service_code", "SAMPAH"),
        ("description", "Sampah di saluran air Desa Luwihaji"),
        ("place", "35.22.01.2001"),
        ("attribute[nik]", NIK),
        ("attribute[alamat_pelapor]", HOME),
        ("name", FULL_NAME),
        ("email", EMAIL),
        ("phone", PHONE),
        ("website", ""),
    ] {
        form = form.text(k, v);
    }
    let r = browser.post(format!("{base}/layanan/lapor")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let private = r.headers()["location"].to_str().unwrap().to_string();
    let page = browser.get(format!("{base}{private}")).send().await.unwrap().text().await.unwrap();
    // The tracking number, `YYYY-NNNNNN`, as the page says it.
    let bytes = page.as_bytes();
    let at = (0..bytes.len().saturating_sub(11))
        .find(|&i| {
            bytes[i..i + 4].iter().all(u8::is_ascii_digit) && bytes[i + 4] == b'-' && bytes[i + 5..i + 11].iter().all(u8::is_ascii_digit)
        })
        .unwrap_or_else(|| panic!("a tracking number in {page}"));
    page[at..at + 11].to_string()
}

/// The walidata sets the SMS gateway up in a browser; the secret shown once.
async fn gateway_secret(base: &str) -> String {
    let browser = client();
    let csrf = csrf_in(&browser.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap());
    let login = [("email", "walidata@bojonegorokab.go.id"), ("password", PASSWORD), ("csrf", &csrf)];
    assert_eq!(browser.post(format!("{base}/login")).form(&login).send().await.unwrap().status(), 303);
    let csrf = csrf_in(&browser.get(format!("{base}/layanan/pesan")).send().await.unwrap().text().await.unwrap());
    let html = browser
        .post(format!("{base}/layanan/pesan"))
        .form(&[("csrf", csrf.as_str()), ("intake_service", "SAMPAH")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html.find("<code id=\"secret\">").expect("the new secret is shown") + "<code id=\"secret\">".len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn no_reporter_data_nor_rahasia_report_reaches_any_public_output_or_the_logs() {
    for db in each_engine().await {
        let dir = tempfile::tempdir().unwrap();
        bojonegoro_with_walidata(&db, dir.path());
        let token =
            run_ok(pendopo(&db, dir.path()).args(["token", "create", "--email", "walidata@bojonegorokab.go.id"])).trim().to_string();
        let log_path = dir.path().join("serve.log");
        let mut serve = pendopo(&db, dir.path());
        serve.args(["serve", "--listen", "127.0.0.1:0"]).env("RUST_LOG", "debug");
        let server = start_server_logging_to(serve, Stdio::from(std::fs::File::create(&log_path).unwrap()));
        let base = server.base.clone();

        // An agency with a service whose extra questions ask for the NIK and home address.
        send(&base, &token, "/api/v1/organizations", &json!({ "slug": "dlh", "name": "Dinas Lingkungan Hidup", "kind": "dinas" })).await;
        let mut components = serde_json::Map::new();
        for c in layanan::standar::Component::ALL {
            components.insert(c.code().into(), json!(format!("Isi {}", c.name())));
        }
        let service = json!({
            "code": "SAMPAH", "name": "Pengangkutan sampah", "agency": "dlh", "description": "Sampah rumah tangga.",
            "attributes": [
                { "code": "nik", "datatype": "string", "description": "NIK pelapor" },
                { "code": "alamat_pelapor", "datatype": "string", "description": "Alamat rumah pelapor" }
            ],
            "standard": { "components": components, "maklumat": "Kami sanggup." },
        });
        send(&base, &token, "/api/v1/services", &service).await;

        // Reports through Open311: a public one, a rahasia one, and one
        // the coordinator moves along (history, public updates).
        let open = file_open311(&base, &token, "Sampah menumpuk di depan pasar", false).await;
        let secret = file_open311(&base, &token, SECRET_TEXT, true).await;
        let moved = file_open311(&base, &token, "Tempat sampah rusak di taman", false).await;
        send(&base, &token, &format!("/api/v1/cases/{moved}/actions"), &json!({ "action": "verify" })).await;
        send(&base, &token, &format!("/api/v1/cases/{moved}/actions"), &json!({ "action": "disposition", "agency": "dlh" })).await;

        // The citizens' form, a Dialog Publik item, an SMS through the gateway.
        let web = file_on_the_form(&base).await;
        let dialog = json!({
            "held_on": "2026-12-04", "place": "Pendopo Malowopati", "officials": "Bupati", "notes": "Dialog Jumat.",
            "items": [{ "service": "SAMPAH", "text": "Truk sampah jarang lewat di Ngraho", "place": "35.22.01", "reporter_name": FULL_NAME }],
        });
        let session = send(&base, &token, "/api/v1/dialogs", &dialog).await;
        let session_id = session["id"].as_str().unwrap_or_else(|| panic!("{session}")).to_string();
        let gateway = gateway_secret(&base).await;
        let message = serde_json::to_vec(&json!({
            "message_id": "sms-1", "channel": "sms", "from": PHONE_INTL, "text": "SAMPAH Tumpukan sampah di pasar Kota",
        }))
        .unwrap();
        let r = client()
            .post(format!("{base}/api/v1/webhooks/pesan"))
            .header("content-type", "application/json")
            .header(pendopo::slices::services::SIGNATURE_HEADER, pendopo::slices::services::signature_header(&gateway, &message))
            .body(message)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

        // Staff do see the reporter (so the values are really stored).
        let staff: Value = client()
            .get(format!("{base}/api/v1/cases/{secret}"))
            .header("Authorization", &token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(staff.to_string().contains(EMAIL), "the coordinator reads the reporter's contacts: {staff}");

        let mut seeds: Vec<String> = [
            "/",
            "/layanan",
            "/layanan/SAMPAH",
            "/layanan/dialog",
            "/layanan/lacak",
            "/open311/v2/discovery.json",
            "/open311/v2/services.xml",
            "/open311/v2/requests.json?extensions=true",
            "/open311/v2/requests.xml?extensions=true",
            "/api/v1/services",
            "/api/3/action/package_search?rows=1000",
            "/api/3/action/current_package_list_with_resources",
            "/catalog.ttl",
            "/catalog.jsonld",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        seeds.push(format!("/layanan/dialog/{session_id}"));
        for number in [&open, &secret, &moved, &web] {
            seeds.push(format!("/layanan/laporan/{number}"));
            seeds.push(format!("/open311/v2/requests/{number}.json?extensions=true"));
            seeds.push(format!("/open311/v2/requests/{number}.xml?extensions=true"));
        }
        let read = crawl(&base, &seeds).await;
        assert!(read.len() >= seeds.len(), "{} outputs read", read.len());
        for public in [
            "Sampah menumpuk di depan pasar",
            "Sampah di saluran air Desa Luwihaji",
            "Truk sampah jarang lewat",
            "Tumpukan sampah di pasar",
        ] {
            assert!(read.iter().any(|(_, text)| text.contains(public)), "{public:?} is public: the crawl reaches every channel's report");
        }
        for (path, text) in &read {
            for needle in needles() {
                assert!(!text.contains(needle), "{needle:?} in public output {path} ({})", db.label);
            }
        }
        for needle in [NIK, HOME] {
            // The extra answers are personal too: not in Open311 answers.
            assert!(read.iter().all(|(_, t)| !t.contains(needle)), "{needle}");
        }

        drop(server);
        let logs = std::fs::read_to_string(&log_path).unwrap();
        assert!(logs.contains("DEBUG") || logs.contains("INFO"), "the server logged at debug level");
        for needle in needles().into_iter().chain([HOME]) {
            assert!(!logs.contains(needle), "{needle:?} in the server's logs ({})", db.label);
        }
        eprintln!("{}: {} public outputs read, {} bytes of logs", db.label, read.len(), logs.len());
    }
}
