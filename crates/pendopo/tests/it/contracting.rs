//! Open contracting publication: releases imported all or nothing, served as
//! packages that validate, records merged as the standard's example says.

use std::io::Read;
use std::process::Command;

use serde_json::Value;

use crate::common::{REGION, each_engine, said_html, spawn_app};

const FICTIONAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ocds/tests/data/sample-data/fictional-example/1.1");

fn fictional_releases() -> Vec<Value> {
    let mut out = Vec::new();
    for n in 1..=6 {
        let path = std::fs::read_dir(FICTIONAL)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(&format!("ocds-213czf-000-00001-0{n}")))
            .unwrap();
        let package: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        out.extend(package["releases"].as_array().unwrap().iter().cloned());
    }
    out
}

/// An import whose process dies right after its releases are committed
/// (40,000 releases once stood without summaries: missing from the pages,
/// re-import refused, restart no help): the job queued with them rebuilds
/// the summaries, so the process appears.
#[tokio::test]
async fn an_import_cut_off_after_its_releases_is_completed_by_its_job() {
    use pendopo::slices::contracting::{Mode, prepare, store_releases};
    for db in each_engine().await {
        let app = crate::common::spawn(&db, |c| pendopo::web::WebConfig { run_jobs: false, ..c }).await;
        let prepared = prepare(fictional_releases(), Mode::AllOrNothing).unwrap();
        let (report, _, job) = store_releases(&app.store, REGION, prepared).await.unwrap();
        assert_eq!(report.releases, 6);
        assert!(job.is_some(), "the repair is queued with the releases");
        let ocid = "ocds-213czf-000-00001";
        assert_eq!(app.get(&format!("/pengadaan/{ocid}")).await.status(), 404, "{}: no summary yet", app.label);
        assert_eq!(app.drain_jobs().await, 2, "the summaries, then the region's flags");
        let (status, page) = app.get_text(&format!("/pengadaan/{ocid}")).await;
        assert_eq!(status, 200, "{}", app.label);
        assert!(page.contains(ocid));
    }
}

#[tokio::test]
async fn releases_are_published_as_valid_packages_and_records() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let report = pendopo::slices::contracting::import(&app.store, REGION, fictional_releases()).await.unwrap();
        assert_eq!((report.releases, report.processes), (6, 1), "{}", app.label);

        let page: Value = app.get("/ocds/releases").await.json().await.unwrap();
        assert_eq!(page["releases"].as_array().unwrap().len(), 6);
        assert!(page.get("links").is_none(), "one page only");
        let report = ocds::validate::validate_package(&serde_json::to_vec(&page).unwrap());
        assert!(report.valid, "{}", serde_json::to_string(&report).unwrap());

        let ocid = "ocds-213czf-000-00001";
        let record: Value = app.get(&format!("/ocds/records/{ocid}")).await.json().await.unwrap();
        let published: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{FICTIONAL}/record/ocds-213czf-000-00001.json")).unwrap()).unwrap();
        assert_eq!(record["records"][0]["compiledRelease"], published["records"][0]["compiledRelease"]);
        assert!(ocds::validate::validate_package(&serde_json::to_vec(&record).unwrap()).valid, "the record package validates");

        let tender = page["releases"].as_array().unwrap().iter().find(|r| r["tag"] == serde_json::json!(["tender"])).unwrap();
        let one: Value = app.get(&format!("/ocds/releases/{ocid}/{}", tender["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(&one["releases"][0], tender);
        assert_eq!(app.get(&format!("/ocds/releases/{ocid}/tidak-ada")).await.status(), 404);
        assert_eq!(app.get("/ocds/records/ocds-213czf-tidak-ada").await.status(), 404);

        let later: Value = app.get("/ocds/releases?since=2010-03-15T09:30:00Z").await.json().await.unwrap();
        assert_eq!(later["releases"].as_array().unwrap().len(), 6, "since reads when Pendopo published them (now), not their dates");
        let r = app.get("/ocds/releases?since=kemarin").await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "ocds.since_invalid", "errors in JSON here");

        let gz = app.get("/ocds/bulk/releases.jsonl.gz").await.bytes().await.unwrap();
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&gz[..]).read_to_string(&mut text).unwrap();
        assert_eq!(text.lines().count(), 6);

        // The flat file: a header and one row per contract of the compiled process.
        let csv = app.get("/ocds/bulk/compiled.csv").await.text().await.unwrap();
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("ocid,buyer_id,buyer_name,tender_title"));
        let rows: Vec<&str> = lines.collect();
        let contracts = record["records"][0]["compiledRelease"]["contracts"].as_array().unwrap().len();
        assert_eq!(rows.len(), contracts, "{csv}");
        assert!(rows[0].starts_with("ocds-213czf-000-00001,"));

        // All or nothing: a file with one repeat stores none of its releases.
        let mut again = fictional_releases();
        again[0]["id"] = Value::from("baru-1");
        let err = pendopo::slices::contracting::import(&app.store, REGION, again).await.err().unwrap();
        assert!(err.to_string().contains("already has a release"), "{err}");
        let mut broken = fictional_releases();
        broken[3].as_object_mut().unwrap().remove("date");
        let err = pendopo::slices::contracting::import(&app.store, REGION, broken).await.err().unwrap();
        assert!(err.to_string().starts_with("release 4: no date"), "{err}");
        let page: Value = app.get("/ocds/releases").await.json().await.unwrap();
        assert_eq!(page["releases"].as_array().unwrap().len(), 6, "nothing was added");
    }
}

#[test]
fn the_import_command_stores_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("releases.jsonl");
    let lines: Vec<String> = fictional_releases().iter().map(|r| r.to_string()).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pendopo"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env_remove("PENDOPO_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    assert!(run(&["init", "--region", "35.22"]).status.success());
    let out = run(&["ocds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Stored 6 releases of 1 processes in region 35.22."));
    let again = run(&["ocds", "import", file.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has a release"));

    // A sound release, then something wrong further on: nothing is stored, and the error says what and where.
    let sound = r#"{"ocid": "ocds-pd3522-9", "id": "1", "date": "2025-01-01T00:00:00Z", "tag": ["planning"]}"#;
    for (rest, says) in
        [("{\"ocid\": ", "invalid JSON"), (r#"{"ocid": "ocds-pd3522-9", "date": "2025-01-02T00:00:00Z", "tag": []}"#, "release 2: no id")]
    {
        std::fs::write(&file, format!("{sound}\n{rest}\n")).unwrap();
        let out = run(&["ocds", "import", file.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::write(&file, format!("{sound}\n")).unwrap();
    let out = run(&["ocds", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "the sound release was not stored before: {}", String::from_utf8_lossy(&out.stderr));
}

/// A stranger's endless multipart upload is refused at the limit, as it
/// arrives: the server does not read on until the file ends (1 GB was tried).
#[tokio::test]
async fn an_endless_anonymous_upload_is_refused_at_the_limit() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    for path in ["/ocds/validate", "/pengadaan/validasi"] {
        let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary=X\r\nTransfer-Encoding: chunked\r\n\r\n",
            app.addr
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        let part = "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.json\"\r\n\r\n";
        socket.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes()).await.unwrap();
        let chunk = vec![b' '; 64 * 1024];
        let (mut read, mut write) = socket.into_split();
        // Keep sending (at most 64 MB, 1,000 times the test server's limit)
        // while waiting for the answer; it must come long before the end.
        let sender = tokio::spawn(async move {
            for _ in 0..1024 {
                let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                if write.write_all(&frame).await.is_err() {
                    break;
                }
            }
        });
        let mut answer = vec![0; 1024];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), read.read(&mut answer)).await.expect("answered").unwrap();
        let status = String::from_utf8_lossy(&answer[..n]).to_string();
        assert!(status.starts_with("HTTP/1.1 413"), "{path}: {status}");
        sender.abort();
    }
}

#[tokio::test]
async fn anyone_can_validate_a_package_by_posting_it() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let good = std::fs::read(format!("{FICTIONAL}/ocds-213czf-000-00001-01-planning.json")).unwrap();
    let r = crate::common::client().post(app.url("/ocds/validate")).body(good.clone()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["valid"], true);
    let mut bad: Value = serde_json::from_slice(&good).unwrap();
    bad["releases"][0]["tag"] = Value::from(vec!["rencana"]);
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(serde_json::to_vec(&bad).unwrap()).file_name("p.json"));
    let report: Value = crate::common::client().post(app.url("/ocds/validate")).multipart(form).send().await.unwrap().json().await.unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"][0]["type"], "closed_codelist");
    // Over the upload limit (64 KiB in tests): 413 in JSON, naming it.
    let r = crate::common::client().post(app.url("/ocds/validate")).body(vec![b' '; 70 * 1024]).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().contains("65.536"));
}

#[tokio::test]
async fn anyone_reads_a_validation_report_as_a_page_in_their_language() {
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let page = crate::common::client().get(app.url("/pengadaan/validasi")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&said_html("validasi.title", &[])) && page.contains("name=\"file\""), "an upload form, in Bahasa Indonesia");
    let listing = crate::common::client().get(app.url("/pengadaan")).send().await.unwrap().text().await.unwrap();
    assert!(listing.contains("href=\"/pengadaan/validasi\""), "linked from the procurement list");

    let upload = |bytes: Vec<u8>, lang: &'static str| {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("paket.json"));
        crate::common::client().post(app.url("/pengadaan/validasi")).header("accept-language", lang).multipart(form).send()
    };
    let good = std::fs::read(format!("{FICTIONAL}/ocds-213czf-000-00001-01-planning.json")).unwrap();
    let r = upload(good.clone(), "id").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(&said_html("validasi.valid", &[])));

    let mut bad: Value = serde_json::from_slice(&good).unwrap();
    bad["releases"][0]["tag"] = Value::from(vec!["rencana"]);
    bad["releases"][0]["x_catatan"] = serde_json::json!({"isi": 1});
    let page = upload(serde_json::to_vec(&bad).unwrap(), "id").await.unwrap().text().await.unwrap();
    assert!(page.contains(&said_html("validasi.invalid", &[("n", "1")])), "{page}");
    assert!(
        page.contains(&said_html("validasi.issue.closed_codelist", &[])) && page.contains("releases/tag"),
        "the issue, named in Indonesian, and where"
    );
    assert!(page.contains("<code>releases/0/tag/0</code>: <code>\"rencana\"</code>"), "the example and its value: {page}");
    assert!(page.contains("<li><code>releases/0/x_catatan</code></li>"), "an object is named, not shown as a value: {page}");
    let page = upload(serde_json::to_vec(&bad).unwrap(), "en").await.unwrap().text().await.unwrap();
    assert!(page.contains("Code outside a closed codelist"), "in English when asked");

    let page = upload(b"{\"releases\": [\n{\"ocid\": }]}".to_vec(), "id").await.unwrap().text().await.unwrap();
    assert!(
        page.contains(&said_html("validasi.issue.invalid_json", &[])) && page.contains("baris 2, kolom 10"),
        "where the JSON breaks: {page}"
    );
}

/// Every issue type the validator documents has a name on the report page in both languages.
#[test]
fn every_validation_issue_type_is_named_in_both_languages() {
    let documented = include_str!("../../../ocds/src/validate.rs");
    let codes: Vec<&str> = documented
        .lines()
        .filter_map(|line| line.strip_prefix("//! | `"))
        .flat_map(|row| row.split(" | ").next().unwrap_or("").split(", "))
        .map(|code| code.trim_matches('`'))
        .collect();
    assert!(codes.len() >= 25 && codes.contains(&"date_order") && codes.contains(&"max_properties"), "{codes:?}");
    for catalogue in pendopo::web::ui::catalogues() {
        let keys = pendopo::web::ui::parse_catalog(&catalogue);
        for code in &codes {
            assert!(keys.contains_key(&format!("validasi.issue.{code}")), "no name for {code}");
        }
    }
}

/// GET `path` as JSON.
async fn json_of(app: &crate::common::TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["releases"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

/// Kingfisher's incremental crawl: `since` the last crawl finds a release
/// published after it, even one dated years earlier; every page says its
/// own address, links to its neighbours, and validates.
#[tokio::test]
async fn an_incremental_crawl_finds_a_back_dated_release_published_after_it() {
    for db in each_engine().await {
        // 1 December 2026, 08:00 in Bojonegoro (WIB).
        let clock = pendopo::clock::Clock::manual(pendopo::clock::parse_rfc3339("2026-12-01T01:00:00Z").unwrap());
        let app = crate::common::spawn_clocked(&db, clock.clone()).await;
        pendopo::slices::contracting::import(&app.store, REGION, fictional_releases()).await.unwrap();
        let first = json_of(&app, "/ocds/releases?since=2026-12-01").await;
        assert_eq!(ids(&first).len(), 6, "{}: published today, in the region's day", app.label);
        assert_eq!(ids(&json_of(&app, "/ocds/releases?since=2026-12-02").await).len(), 0);

        // A day later an officer records a step dated back in 2011.
        clock.advance(std::time::Duration::from_secs(86_400));
        let mut late = fictional_releases().pop().unwrap();
        late["id"] = Value::from("ocds-213czf-000-00001-koreksi");
        late["date"] = Value::from("2011-01-05T10:00:00Z");
        pendopo::slices::contracting::import(&app.store, REGION, vec![late]).await.unwrap();
        // The crawler asks for what was published since its last visit, as it wrote it:
        // a date-time in the region's zone, with a zone, in UTC, or a date.
        for since in ["2026-12-01T09:00", "2026-12-01T09:00:00%2B07:00", "2026-12-01T02:00:00Z", "2026-12-02"] {
            let page = json_of(&app, &format!("/ocds/releases?since={since}")).await;
            assert_eq!(ids(&page), ["ocds-213czf-000-00001-koreksi"], "since={since}");
            let base = app.url("/ocds/releases");
            assert_eq!(page["uri"], format!("{base}?since={since}"), "the page's uri is its own address");
        }
        for bad in ["kemarin", "2026-13-01", "1701388800"] {
            let r = app.get(&format!("/ocds/releases?since={bad}")).await;
            assert_eq!(r.status(), 400, "{bad}");
            assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "ocds.since_invalid");
        }
        assert_eq!(app.get("/ocds/releases?limit=0").await.status(), 400);
        assert_eq!(app.get("/ocds/releases?cursor=-1").await.status(), 400);

        // Pages of three: next and prev lead where they say.
        let p1 = json_of(&app, "/ocds/releases?limit=3&since=2026-12-01").await;
        assert!(p1["links"].get("prev").is_none(), "the first page has no previous");
        let next = p1["links"]["next"].as_str().unwrap();
        let p2 = json_of(&app, next.strip_prefix(&app.url("")).unwrap()).await;
        assert_eq!(p2["uri"], next, "a page reached by its link says that link");
        let p3 = json_of(&app, p2["links"]["next"].as_str().unwrap().strip_prefix(&app.url("")).unwrap()).await;
        assert!(p3["links"].get("next").is_none(), "7 releases: the third page is the last");
        assert_eq!(ids(&p3).len(), 1);
        let back = json_of(&app, p2["links"]["prev"].as_str().unwrap().strip_prefix(&app.url("")).unwrap()).await;
        assert_eq!(ids(&back), ids(&p1), "prev of the second page is the first");
        let all: Vec<String> = [&p1, &p2, &p3].iter().flat_map(|p| ids(p)).collect();
        assert_eq!(all.len(), 7);

        // The package says who publishes, under which licence and policy, and that its links are the pagination extension's.
        assert_eq!(p2["publisher"]["scheme"], "ID-KEMENDAGRI");
        assert_eq!(p2["publisher"]["uid"], REGION);
        assert_eq!(p2["publisher"]["uri"], app.url("/wilayah/35.22"));
        assert_eq!(p2["license"], "https://creativecommons.org/licenses/by/4.0/");
        assert_eq!(p2["publicationPolicy"], app.url("/pengadaan/kebijakan"));
        assert_eq!(app.get("/pengadaan/kebijakan").await.status(), 200, "the policy is a page");
        assert!(p2["extensions"].as_array().unwrap().contains(&Value::from(pendopo::slices::contracting::PAGINATION_EXTENSION)));
        // `pendopo ocds validate` on the fetched page: valid, and `links` known.
        let mut child = Command::new(env!("CARGO_BIN_EXE_pendopo"))
            .args(["ocds", "validate", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&serde_json::to_vec(&p2).unwrap()).unwrap();
        let out = child.wait_with_output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(out.status.success() && report["valid"] == true, "{report}");
        assert!(!report.to_string().contains("additional_field"), "{report}");
        let record = json_of(&app, "/ocds/records/ocds-213czf-000-00001").await;
        assert_eq!((&record["license"], &record["publisher"]["uid"]), (&p2["license"], &p2["publisher"]["uid"]));
        let bulk = app.get("/ocds/bulk/releases.jsonl.gz").await;
        assert!(bulk.headers()["link"].to_str().unwrap().contains("<https://creativecommons.org/licenses/by/4.0/>; rel=\"license\""));
    }
}
