//! Citizens file reports without an account on `/layanan/lapor` (photos
//! stripped of EXIF, anonim and rahasia honoured), follow them on the
//! public page and through their private link (reply, "not resolved",
//! rating), are refused clearly on bad input, floods, scripts and hasty
//! forms, and the coordinator is offered likely duplicates to merge. On
//! both engines, through real HTTP clients, on the store's manual clock.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::common::{TestApp, each_engine, said_html, spawn_clocked};

/// Friday 4 December 2026, 10:00 WIB.
const FRIDAY_MORNING: i64 = 1_796_353_200_000;
const DESA: &str = "35.22.01.2001";

async fn count(app: &TestApp, q: &str) -> i64 {
    app.store.fetch_scalar::<i64>(pendopo::store::sql_built(q.to_string())).await.unwrap()
}

async fn api(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).header("Authorization", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn act(app: &TestApp, number: &str, token: &str, body: Value) -> Value {
    let (status, v) = api(app, reqwest::Method::POST, &format!("/api/v1/cases/{number}/actions"), token, Some(body)).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// A region with the public works agency's road service (which asks how
/// deep the hole is) and a street-light service, the coordinator (a
/// region admin) and the agency's officer, with API tokens.
struct Region {
    app: TestApp,
    clock: pendopo::clock::Clock,
    admin: String,
    officer: String,
}

async fn region(db: &crate::common::TestDb) -> Region {
    let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
    let app = spawn_clocked(db, clock.clone()).await;
    app.add_org("dpupr").await;
    let admin = app.token_for(&app.add_user("walidata@kominfo.id", "walidata", None).await).await;
    let officer = app.token_for(&app.add_user("operator@dpupr.id", "editor", Some("dpupr")).await).await;
    for service in [
        json!({
            "code": "JALAN", "name": "Pengaduan jalan rusak", "agency": "dpupr", "description": "Jalan kabupaten yang rusak.",
            "attributes": [{
                "code": "kedalaman", "datatype": "singlevaluelist", "required": true, "description": "Seberapa dalam lubangnya?",
                "values": [{"key": "dangkal", "name": "Dangkal"}, {"key": "dalam", "name": "Dalam"}],
            }],
        }),
        json!({ "code": "LAMPU", "name": "Lampu penerangan jalan", "agency": "dpupr", "description": "Lampu jalan." }),
    ] {
        let (status, v) = api(&app, reqwest::Method::POST, "/api/v1/services", &officer, Some(service)).await;
        assert_eq!(status, 201, "{v}");
    }
    Region { app, clock, admin, officer }
}

fn value_after(html: &str, marker: &str) -> String {
    let start = html.find(marker).unwrap_or_else(|| panic!("{marker} in {html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// A citizen's browser with the form open (its CSRF token and stamp).
struct Citizen {
    browser: TestApp,
    csrf: String,
    stamp: String,
}

async fn open_form(r: &Region) -> Citizen {
    let browser = r.app.another_browser();
    let (status, html) = browser.get_text("/layanan/lapor").await;
    assert_eq!(status, 200);
    let csrf = value_after(&html, "name=\"csrf\" value=\"");
    let stamp = value_after(&html, "name=\"stamp\" value=\"");
    Citizen { browser, csrf, stamp }
}

/// The fields of a good report, which a test changes.
fn good_fields() -> Vec<(&'static str, String)> {
    [
        ("kind", "pengaduan"),
        ("service_code", "JALAN"),
        ("description", "Jalan di Desa Sukorejo berlubang besar dekat sekolah."),
        ("place", DESA),
        ("lat", "-7.1502"),
        ("long", "111.8817"),
        ("attribute[kedalaman]", "dalam"),
        ("name", "Siti Aminah"),
        ("email", "siti.aminah@contoh.id"),
        ("phone", "0812-3456-7890"),
        ("website", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

type Fields = Vec<(&'static str, String)>;
/// A form's fields, its photos, and what the page must say.
type BadCase<'a> = (Fields, Vec<(&'a str, Vec<u8>)>, String);

fn with(mut fields: Vec<(&'static str, String)>, name: &'static str, value: &str) -> Vec<(&'static str, String)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value.to_string()));
    fields
}

/// Sends the form as a browser does: the CSRF token and the stamp first,
/// then the fields, then the photos `(file name, bytes)`.
async fn send(c: &Citizen, fields: &[(&'static str, String)], photos: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let mut form = Form::new().text("csrf", c.csrf.clone()).text("stamp", c.stamp.clone());
    for (k, v) in fields {
        form = form.text(*k, v.clone());
    }
    for (name, bytes) in photos {
        form = form.part("photo", Part::bytes(bytes.clone()).file_name(name.to_string()));
    }
    c.browser.client.post(c.browser.url("/layanan/lapor")).multipart(form).send().await.unwrap()
}

/// Files a report after a person's pause; the private token.
async fn file(r: &Region, fields: &[(&'static str, String)], photos: &[(&str, Vec<u8>)]) -> String {
    let c = open_form(r).await;
    r.clock.advance(std::time::Duration::from_secs(20));
    let res = send(&c, fields, photos).await;
    assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
    let to = res.headers()["location"].to_str().unwrap().to_string();
    to.strip_prefix("/layanan/lapor/").unwrap().strip_suffix("?baru=1").unwrap().to_string()
}

async fn number_of(app: &TestApp, token: &str) -> String {
    let q = pendopo::store::sql("SELECT number FROM service_cases WHERE token = $1").bind(token);
    app.store.fetch_scalar::<String>(q).await.unwrap()
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(body);
    s
}

/// An EXIF block (big-endian TIFF) as a phone writes it: the camera's make
/// in IFD0 and a GPS IFD with the latitude 7° 9' 6.54" S.
fn exif_with_gps() -> Vec<u8> {
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        [tag.to_be_bytes().to_vec(), kind.to_be_bytes().to_vec(), count.to_be_bytes().to_vec(), value.to_vec()].concat()
    };
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    // IFD0 at 8 (30 bytes), the GPS IFD at 38 (30 bytes), the make at 68, the rationals at 80.
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend(entry(0x010F, 2, 12, 68u32.to_be_bytes()));
    tiff.extend(entry(0x8825, 4, 1, 38u32.to_be_bytes()));
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend(entry(0x0001, 2, 2, *b"S\0\0\0"));
    tiff.extend(entry(0x0002, 5, 3, 80u32.to_be_bytes()));
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(b"KameraMerek\0");
    for (n, d) in [(7u32, 1u32), (9, 1), (654, 100)] {
        tiff.extend_from_slice(&n.to_be_bytes());
        tiff.extend_from_slice(&d.to_be_bytes());
    }
    assert_eq!(tiff.len(), 104);
    [b"Exif\0\0".to_vec(), tiff].concat()
}

/// A real baseline JPEG (8x8 grey: one block whose DC and AC are each the
/// only code of a one-code Huffman table) with a GPS EXIF block and a
/// comment, and the same file as it must be stored: without them.
pub(crate) fn jpeg_with_gps() -> (Vec<u8>, Vec<u8>) {
    let app0 = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let dqt = segment(0xDB, &[[0u8].as_slice(), &[1u8; 64]].concat());
    let sof0 = segment(0xC0, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
    let one_code = |class: u8| segment(0xC4, &[[class, 1].as_slice(), &[0u8; 15], &[0]].concat());
    let sos = segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]);
    let scan = [0x3F, 0xFF, 0xD9];
    let image = |extra: &[Vec<u8>]| {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&app0);
        for e in extra {
            j.extend_from_slice(e);
        }
        for s in [&dqt, &sof0, &one_code(0x00), &one_code(0x10), &sos] {
            j.extend_from_slice(s);
        }
        j.extend_from_slice(&scan);
        j
    };
    (image(&[segment(0xE1, &exif_with_gps()), segment(0xFE, b"Difoto dengan KameraMerek")]), image(&[]))
}

/// A real 1x1 PNG (zlib-compressed scanline, CRCs) with an author's tEXt
/// chunk and an eXIf chunk, and the same without them.
fn png_with_text() -> (Vec<u8>, Vec<u8>) {
    use std::io::Write;
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        [(data.len() as u32).to_be_bytes().as_slice(), kind, data, &crc.sum().to_be_bytes()].concat()
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&[0, 200, 30, 30]).unwrap();
    let idat = z.finish().unwrap();
    let head = [b"\x89PNG\r\n\x1a\n".to_vec(), chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])].concat();
    let tail = [chunk(b"IDAT", &idat), chunk(b"IEND", b"")].concat();
    let sent = [head.clone(), chunk(b"tEXt", b"Author\0Siti Aminah"), chunk(b"eXIf", &exif_with_gps()[6..]), tail.clone()].concat();
    (sent, [head, tail].concat())
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_citizen_files_with_photos_and_follows_the_case_through_the_private_link() {
    for db in each_engine().await {
        let r = region(&db).await;
        let app = &r.app;
        // The form: services grouped by agency, the region's desa, the limits said.
        let (status, html) = app.get_text("/layanan/lapor").await;
        assert_eq!(status, 200);
        assert!(html.contains("<optgroup label=\"Dinas dpupr\">") && html.contains("Pengaduan jalan rusak"), "{html}");
        assert!(html.contains(&format!("value=\"{DESA}\"")), "the desa of the region are offered");
        assert!(html.contains(&said_html("lapor.photos_help", &[("max", "3"), ("mb", "5")])));
        assert!(html.len() < 100_000, "{} bytes", html.len());
        let (_, asked) = app.get_text("/layanan/lapor?layanan=JALAN").await;
        assert!(asked.contains("Seberapa dalam lubangnya?") && asked.contains("name=\"attribute[kedalaman]\""), "{asked}");

        // Filed with a JPEG carrying GPS EXIF and a PNG with text chunks, anonim.
        let (jpeg, jpeg_clean) = jpeg_with_gps();
        let (png, png_clean) = png_with_text();
        let fields = with(good_fields(), "anonim", "1");
        let token = file(&r, &fields, &[("IMG_2041.jpg", jpeg), ("layar.png", png)]).await;
        let number = number_of(app, &token).await;
        assert_eq!(number, "2026-000001");
        let (status, page) = app.get_text(&format!("/layanan/lapor/{token}?baru=1")).await;
        assert_eq!(status, 200);
        assert!(page.contains(&said_html("lapor.filed", &[("number", &number)])), "{page}");
        assert!(page.contains(&format!("/layanan/lapor/{token}")), "the private link is given");
        assert!(page.contains("openstreetmap.org") && page.contains(&format!("/layanan/lapor/{token}/foto/2")), "{page}");
        let channel =
            app.store.fetch_scalar::<String>(pendopo::store::sql_built("SELECT channel FROM service_cases".into())).await.unwrap();
        assert_eq!(channel, "web");

        // The photos as stored and served: no EXIF, no GPS, no camera, no
        // text chunks; the image itself byte for byte.
        for (n, clean, kind) in [(1, &jpeg_clean, "image/jpeg"), (2, &png_clean, "image/png")] {
            for path in [format!("/layanan/lapor/{token}/foto/{n}"), format!("/layanan/laporan/{number}/foto/{n}")] {
                let res = app.client.get(app.url(&path)).header("accept-encoding", "gzip, br").send().await.unwrap();
                assert_eq!(res.status().as_u16(), 200, "{path}");
                assert_eq!(res.headers()["content-type"], kind);
                assert!(res.headers().get("content-encoding").is_none(), "photos are sent as stored");
                let bytes = res.bytes().await.unwrap();
                assert_eq!(&bytes[..], &clean[..], "{path}");
                for trace in [b"Exif".as_slice(), b"KameraMerek", b"Siti", &[0, 0, 2, 0x8E, 0, 0, 0, 0x64]] {
                    assert!(!contains(&bytes, trace), "{path} still holds {trace:?}");
                }
            }
        }

        // The public page: the case, its photos and history; no name or contacts.
        let (status, public) = app.get_text(&format!("/layanan/laporan/{number}")).await;
        assert_eq!(status, 200);
        assert!(public.contains("berlubang besar") && public.contains(&format!("/layanan/laporan/{number}/foto/1")), "{public}");
        for private in ["Siti", "siti.aminah@contoh.id", "081234567890", &token] {
            assert!(!public.contains(private), "{private} on the public page");
        }
        let r311 = app.get(&format!("/open311/v2/requests/{number}.json")).await;
        assert_eq!(r311.status().as_u16(), 200);
        assert!(!r311.text().await.unwrap().contains("Siti"));
        // Tracking by number leads to it.
        let res = app.get(&format!("/layanan/lacak?nomor={number}")).await;
        assert_eq!(res.headers()["location"], format!("/layanan/laporan/{number}").as_str());

        // Anonim: the agency's officer never sees the name, the coordinator does.
        act(app, &number, &r.admin, json!({ "action": "verify" })).await;
        act(app, &number, &r.admin, json!({ "action": "disposition", "agency": "dpupr" })).await;
        let (_, seen) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &r.officer, None).await;
        assert!(seen.get("reporter").is_none() && seen.get("reporter_name").is_none(), "{seen}");
        let (_, page) = app.signed_in_as("operator@dpupr.id").await.get_text(&format!("/layanan/kasus/{number}")).await;
        assert!(!page.contains("Siti Aminah") && page.contains(&format!("/layanan/kasus/{number}/foto/1")), "{page}");
        let (_, seen) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &r.admin, None).await;
        assert_eq!(seen["reporter"]["name"], "Siti Aminah", "{seen}");
        assert!(
            app.signed_in_as("walidata@kominfo.id").await.get_text(&format!("/layanan/kasus/{number}")).await.1.contains("Siti Aminah")
        );

        // The agency asks; the reporter reads the question and replies on the private page.
        act(app, &number, &r.officer, json!({ "action": "ask_reporter", "text": "Di depan SD yang mana?" })).await;
        let citizen = app.another_browser();
        let private = format!("/layanan/lapor/{token}");
        let (_, page) = citizen.get_text(&private).await;
        assert!(page.contains("Di depan SD yang mana?") && page.contains("id=\"reporter_replies-action\""), "{page}");
        let csrf = citizen.csrf(&private).await;
        let res = citizen.post_form(&private, &[("csrf", &csrf), ("action", "reporter_replies"), ("text", " ")]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.unwrap().contains(&said_html("layanan.lapor.reply_missing", &[])));
        let res = citizen.post_form(&private, &[("csrf", &csrf), ("action", "reporter_replies"), ("text", "SD Negeri 2 Sukorejo.")]).await;
        assert_eq!(res.status().as_u16(), 303);
        let (_, seen) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &r.officer, None).await;
        let last = seen["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["action"].clone(), last["actor"].clone(), last["note"].clone()),
            (json!("reporter_replies"), Value::Null, json!("SD Negeri 2 Sukorejo."))
        );

        // Answered; the reporter says it is not resolved: the case reopens.
        act(app, &number, &r.officer, json!({ "action": "answer", "text": "Sudah ditambal." })).await;
        assert!(citizen.get_text(&private).await.1.contains("Sudah ditambal."));
        let res = citizen.post_form(&private, &[("csrf", &csrf), ("action", "not_resolved"), ("text", "Lubangnya muncul lagi.")]).await;
        assert_eq!(res.status().as_u16(), 303);
        let (_, seen) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &r.officer, None).await;
        assert_eq!(seen["state"], "reopened");
        // Answered again and rated 4 of 5: closed. A rating of 9 is refused first.
        act(app, &number, &r.officer, json!({ "action": "answer", "text": "Ditambal ulang dengan aspal." })).await;
        let res = citizen.post_form(&private, &[("csrf", &csrf), ("action", "rate"), ("stars", "9")]).await;
        assert_eq!(res.status().as_u16(), 422);
        let res = citizen.post_form(&private, &[("csrf", &csrf), ("action", "rate"), ("stars", "4"), ("text", "Cepat.")]).await;
        assert_eq!(res.status().as_u16(), 303);
        let (_, seen) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), &r.officer, None).await;
        assert_eq!(seen["state"], "closed");
        assert_eq!(seen["history"].as_array().unwrap().last().unwrap()["note"], "4/5: Cepat.");
        // Without its CSRF token, or with a token that opens nothing: refused.
        assert_eq!(citizen.post_form(&private, &[("action", "rate"), ("stars", "5")]).await.status().as_u16(), 403);
        assert_eq!(citizen.get_text("/layanan/lapor/bukan-token").await.0, 404);
        let res = citizen.post_form("/layanan/lapor/bukan-token", &[("csrf", &csrf), ("action", "rate"), ("stars", "5")]).await;
        assert_eq!(res.status().as_u16(), 404);
        assert_eq!(citizen.get_text("/layanan/lapor/bukan-token/foto/1").await.0, 404);

        // Rahasia (and not anonim): never public, the reporter's link still works,
        // the agency sees the name.
        let fields = with(with(good_fields(), "rahasia", "1"), "phone", "0813 1111 2222");
        let (jpeg, _) = jpeg_with_gps();
        let secret = file(&r, &fields, &[("foto.jpg", jpeg)]).await;
        let hidden = number_of(app, &secret).await;
        for path in [
            format!("/layanan/laporan/{hidden}"),
            format!("/layanan/laporan/{hidden}/foto/1"),
            format!("/layanan/lacak?nomor={hidden}"),
            format!("/open311/v2/requests/{hidden}.json"),
        ] {
            assert_eq!(app.get_text(&path).await.0, 404, "{path}");
        }
        let (_, list) = app.get_text("/open311/v2/requests.json").await;
        assert!(list.contains(&number) && !list.contains(&hidden), "{list}");
        assert_eq!(app.get_text(&format!("/layanan/lapor/{secret}")).await.0, 200);
        assert_eq!(app.get_text(&format!("/layanan/lapor/{secret}/foto/1")).await.0, 200);
        act(app, &hidden, &r.admin, json!({ "action": "verify" })).await;
        let seen = act(app, &hidden, &r.admin, json!({ "action": "disposition", "agency": "dpupr" })).await;
        assert!(seen["confidential"].as_bool().unwrap());
        let (_, seen) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{hidden}"), &r.officer, None).await;
        assert_eq!((seen["reporter_name"].clone(), seen.get("reporter")), (json!("Siti Aminah"), None), "{seen}");
    }
}

#[tokio::test]
async fn bad_reports_are_refused_clearly_and_nothing_is_stored() {
    for db in each_engine().await {
        let r = region(&db).await;
        let app = &r.app;
        let c = open_form(&r).await;
        r.clock.advance(std::time::Duration::from_secs(20));
        let refused = |field: &str, key: &str, args: &[(&str, &str)]| format!("id=\"{field}-error\">{}", said_html(key, args));
        let mut cases: Vec<BadCase> = vec![
            (
                with(with(good_fields(), "place", ""), "lat", "").into_iter().filter(|(k, _)| *k != "long").collect(),
                vec![],
                refused("place", "layanan.lapor.place_missing", &[]),
            ),
            (
                with(good_fields(), "description", &"a".repeat(4001)),
                vec![],
                refused("description", "layanan.lapor.description_too_long", &[("chars", "4001"), ("max", "4000")]),
            ),
            (
                with(good_fields(), "service_code", "SAMPAH"),
                vec![],
                refused("service_code", "layanan.lapor.service_unknown", &[("code", "SAMPAH")]),
            ),
            (
                good_fields(),
                vec![("foto.jpg", b"%PDF-1.7 this is a document".to_vec())],
                refused("photo", "layanan.lapor.photo_not_image", &[("name", "foto.jpg")]),
            ),
            (
                good_fields(),
                vec![
                    ("a.jpg", jpeg_with_gps().0),
                    ("b.jpg", jpeg_with_gps().0),
                    ("c.jpg", jpeg_with_gps().0),
                    ("d.jpg", jpeg_with_gps().0),
                ],
                refused("photo", "layanan.lapor.too_many_photos", &[("max", "3")]),
            ),
            (with(good_fields(), "place", "35.21.01.2001"), vec![], refused("place", "layanan.lapor.place_unknown", &[])),
            (
                with(good_fields(), "attribute[kedalaman]", ""),
                vec![],
                refused("attribute[kedalaman]", "layanan.lapor.answer_missing", &[("question", "Seberapa dalam lubangnya?")]),
            ),
        ];
        // A good photo beside a bad one: still nothing kept.
        cases[3].1.insert(0, ("baik.jpg", jpeg_with_gps().0));
        for (fields, photos, expected) in cases {
            let res = send(&c, &fields, &photos).await;
            assert_eq!(res.status().as_u16(), 422, "{expected}");
            let html = res.text().await.unwrap();
            assert!(html.contains(&expected), "{expected} in {html}");
            assert!(
                html.contains("Jalan di Desa Sukorejo") || fields.iter().any(|(k, v)| *k == "description" && v.len() > 4000),
                "values kept"
            );
        }
        // An oversized photo: 413 saying the limit.
        let mut big = jpeg_with_gps().0;
        big.resize(5 * 1024 * 1024 + 1, 0);
        let res = send(&c, &good_fields(), &[("besar.jpg", big)]).await;
        assert_eq!(res.status().as_u16(), 413);
        assert!(res.text().await.unwrap().contains(&said_html("error.too_large", &[("limit", "5.242.880")])));
        // A stranger's form (no CSRF token) is refused before its photo is read.
        let stranger = Form::new().text("stamp", c.stamp.clone()).part("photo", Part::bytes(jpeg_with_gps().0).file_name("a.jpg"));
        let res = app.another_browser().client.post(app.url("/layanan/lapor")).multipart(stranger).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403);
        for table in ["service_cases", "service_case_history", "service_case_photos"] {
            assert_eq!(count(app, &format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
        }
        // In English for a browser that asks for it.
        let res = c
            .browser
            .client
            .post(c.browser.url("/layanan/lapor"))
            .header("accept-language", "en")
            .multipart(Form::new().text("csrf", c.csrf.clone()).text("stamp", c.stamp.clone()).text("kind", "pengaduan"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 422);
        let english = pendopo::web::ui::Catalog::embedded().text(pendopo::web::ui::Lang::En, "layanan.lapor.service_missing", &[]);
        assert!(res.text().await.unwrap().contains(&english));
    }
}

#[tokio::test]
async fn floods_scripts_and_hasty_forms_are_held_back_without_a_captcha() {
    for db in each_engine().await {
        let r = region(&db).await;
        let app = &r.app;
        // A script fills the hidden field: refused, nothing stored.
        let c = open_form(&r).await;
        r.clock.advance(std::time::Duration::from_secs(20));
        let res = send(&c, &with(good_fields(), "website", "http://spam.example"), &[]).await;
        assert_eq!(res.status().as_u16(), 400);
        assert!(res.text().await.unwrap().contains(&said_html("layanan.lapor.honeypot", &[])));
        // Sent a second after the form was opened; after seven hours; with a made-up stamp.
        let hasty = open_form(&r).await;
        r.clock.advance(std::time::Duration::from_secs(1));
        let res = send(&hasty, &good_fields(), &[]).await;
        assert_eq!(res.status().as_u16(), 422);
        let html = res.text().await.unwrap();
        assert!(html.contains(&said_html("layanan.lapor.too_fast", &[])) && html.contains("Jalan di Desa Sukorejo"), "{html}");
        r.clock.advance(std::time::Duration::from_secs(7 * 3600));
        let res = send(&hasty, &good_fields(), &[]).await;
        assert!(res.text().await.unwrap().contains(&said_html("layanan.lapor.expired", &[])));
        let forged = Citizen { stamp: format!("{}.{}", FRIDAY_MORNING, "0".repeat(64)), ..open_form(&r).await };
        r.clock.advance(std::time::Duration::from_secs(20));
        let res = send(&forged, &good_fields(), &[]).await;
        assert!(res.text().await.unwrap().contains(&said_html("layanan.lapor.stamp_invalid", &[])));
        assert_eq!(count(app, "SELECT COUNT(*) FROM service_cases").await, 0);

        // Five a day with one phone number (however it is written), then 429.
        for phone in ["0812-3456-7890", "+62 812 3456 7890", "081234567890", "6281234567890", "0812 3456 7890"] {
            file(&r, &with(good_fields(), "phone", phone), &[]).await;
        }
        let c = open_form(&r).await;
        r.clock.advance(std::time::Duration::from_secs(20));
        let res = send(&c, &good_fields(), &[]).await;
        assert_eq!(res.status().as_u16(), 429);
        assert!(res.text().await.unwrap().contains(&said_html("layanan.lapor.throttled_phone", &[])));
        // Ten an hour from one address, whatever the phone, then 429.
        r.clock.advance(std::time::Duration::from_secs(3600));
        for n in 0..10 {
            file(&r, &with(good_fields(), "phone", &format!("08570000000{n}")), &[]).await;
        }
        let c = open_form(&r).await;
        r.clock.advance(std::time::Duration::from_secs(20));
        let res = send(&c, &with(good_fields(), "phone", ""), &[]).await;
        assert_eq!(res.status().as_u16(), 429);
        assert!(res.text().await.unwrap().contains(&said_html("layanan.lapor.throttled_client", &[])));
        assert_eq!(count(app, "SELECT COUNT(*) FROM service_cases").await, 15);
        // An hour later the address may file again.
        r.clock.advance(std::time::Duration::from_secs(3600));
        file(&r, &with(good_fields(), "phone", ""), &[]).await;
    }
}

/// Files through Open311 (the coordinator's token), placed in `desa` and at `pin`.
async fn file_311(r: &Region, service: &str, text: &str, desa: &str, pin: Option<(&str, &str)>) -> String {
    let mut fields = vec![("service_code", service), ("description", text), ("address_id", desa), ("api_key", r.admin.as_str())];
    if let Some((lat, long)) = pin {
        fields.extend([("lat", lat), ("long", long)]);
    }
    if service == "JALAN" {
        fields.push(("attribute[kedalaman]", "dalam"));
    }
    let res = r.app.client.post(r.app.url("/open311/v2/requests.json")).form(&fields).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    r.clock.advance(std::time::Duration::from_secs(60));
    let v: Value = res.json().await.unwrap();
    v[0]["service_request_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn duplicate_suggestions_list_nearby_and_similar_open_cases_and_merging_works() {
    for db in each_engine().await {
        let r = region(&db).await;
        let app = &r.app;
        let other_desa = "35.22.02.2001";
        let far_desa = "35.22.03.2001";
        // Same service and desa, like text: suggested.
        let same_desa = file_311(&r, "JALAN", "Jalan Desa Sukorejo berlubang besar dekat sekolah.", DESA, None).await;
        // Same service, another desa, a pin 300 m away, other words: suggested (near).
        let near = file_311(&r, "JALAN", "Aspal terkelupas di tikungan.", other_desa, Some(("-7.1475", "111.8817"))).await;
        // Another service in the same desa: not suggested.
        let lamp = file_311(&r, "LAMPU", "Jalan Desa Sukorejo gelap, lampu dekat sekolah mati.", DESA, None).await;
        // Far away, unlike: not suggested.
        let far = file_311(&r, "JALAN", "Drainase tersumbat sampah plastik.", far_desa, Some(("-7.3000", "111.6000"))).await;
        // Same desa but already rejected: not suggested.
        let done = file_311(&r, "JALAN", "Jalan Desa Sukorejo berlubang.", DESA, None).await;
        act(app, &done, &r.admin, json!({ "action": "reject", "reason": "Sudah dilaporkan." })).await;
        // Far, another desa, but the same words: suggested (similar).
        let similar = file_311(&r, "JALAN", "Lubang besar di jalan dekat sekolah Sukorejo.", far_desa, None).await;
        // The new case.
        let new =
            file_311(&r, "JALAN", "Ada lubang besar di jalan Desa Sukorejo dekat sekolah.", DESA, Some(("-7.1502", "111.8817"))).await;

        let (status, v) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{new}"), &r.admin, None).await;
        assert_eq!(status, 200);
        let numbers: Vec<&str> = v["suggested_duplicates"].as_array().unwrap().iter().map(|s| s["number"].as_str().unwrap()).collect();
        assert_eq!(numbers, vec![similar.as_str(), near.as_str(), same_desa.as_str()], "{v}");
        assert!(![lamp.as_str(), far.as_str(), done.as_str()].iter().any(|n| numbers.contains(n)));
        let near_one = &v["suggested_duplicates"][1];
        assert!((250..350).contains(&near_one["metres"].as_i64().unwrap()), "{near_one}");

        // On the coordinator's page, each with a button; merging marks the case.
        let walidata = app.signed_in_as("walidata@kominfo.id").await;
        let path = format!("/layanan/kasus/{new}");
        let (_, page) = walidata.get_text(&path).await;
        assert!(page.contains(&said_html("kasus.suggested", &[])), "{page}");
        assert!(page.contains(&format!("name=\"duplicate_of\" value=\"{same_desa}\"")), "{page}");
        let csrf = walidata.csrf(&path).await;
        let res = walidata.post_form(&path, &[("csrf", &csrf), ("action", "mark_duplicate"), ("duplicate_of", &same_desa)]).await;
        assert_eq!(res.status().as_u16(), 303);
        let (_, v) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{new}"), &r.admin, None).await;
        assert_eq!((v["state"].clone(), v["duplicate_of"].clone()), (json!("duplicate"), json!(same_desa)));
        assert_eq!(v["suggested_duplicates"], json!([]), "a merged case has nothing more to merge");
        // The agency's officer gets no suggestions (merging is the coordinator's).
        let (_, v) = api(app, reqwest::Method::GET, &format!("/api/v1/cases/{same_desa}"), &r.officer, None).await;
        assert!(v.get("suggested_duplicates").is_none());
    }
}
