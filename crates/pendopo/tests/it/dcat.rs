//! The DCAT-AP export as harvesters read it: parsed by rdflib in all three
//! formats, validated by pySHACL against the official DCAT-AP 3.0.0 and
//! 2.1.1 shapes (tests/dcat/README.md), and reached by content negotiation.

use serde_json::json;

use crate::ckan_api::{action, padi, python, setup};
use crate::common::{TestApp, TestDb, each_engine, spawn_app};

/// Runs a script of tests/dcat against the server; its stdout, or the test
/// fails with what the script said.
async fn run_check(app: &TestApp, script: &'static str) -> String {
    let path = format!("{}/tests/dcat/{script}", env!("CARGO_MANIFEST_DIR"));
    let base = format!("http://{}", app.addr);
    let out = tokio::task::spawn_blocking(move || std::process::Command::new(python()).args([&path, &base]).output())
        .await
        .unwrap()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{script} failed on {} (see scripts/test): {stdout}\n{}",
        app.label,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The Bojonegoro demo, loaded as `serve --demo` does: thirty datasets of
/// twenty agencies with their CSVs, Satu Data metadata and groups.
pub async fn demo_app(db: &TestDb) -> TestApp {
    let store = pendopo::store::Store::open(&db.url).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    pendopo::demo::load(&store, &pendopo::kernel::files::FileStore::new(files.path().to_path_buf()))
        .await
        .unwrap()
        .expect("an empty store");
    let app = spawn_app(db).await;
    // The slices' generated datasets are published by jobs: all of them, now.
    app.drain_jobs().await;
    app
}

#[tokio::test]
async fn dcat_export_of_the_demo_passes_the_dcat_ap_shapes() {
    for db in each_engine().await {
        let app = demo_app(&db).await;
        // One more, with text every format must escape.
        let walidata = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let mut tricky = padi();
        tricky["title"] = json!("Padi \"gogo\" & <sawah> \\ ½");
        tricky["notes"] = json!("Catatan: a < b && c > d;\r\n'kutip' \"ganda\"\ttab\nbaris ]]> 3");
        tricky["maintainer_email"] = json!("data@pertanian.bojonegorokab.go.id");
        tricky["owner_org"] = json!("dinas-pertanian");
        let (status, v) = action(&app, "package_create", Some(&app.token_for(&walidata).await), Some(tricky)).await;
        assert_eq!(status, 200, "{v}");

        let names = run_check(&app, "check.py").await;
        let names: Vec<&str> = names.trim().strip_prefix("datasets: ").unwrap().split(' ').collect();
        // The demo's thirty, the two of the complaints' figures, the villages'
        // figures, the APBD of 2024-2026, the city sensors' series, and ours.
        assert_eq!(names.len(), 38, "the demo's thirty-seven and ours, over two pages ({}): {names:?}", app.label);
        assert!(names.contains(&"data-sensor-kota"), "the sensors' dataset: {names:?}");
        assert!(names.contains(&"anggaran-dan-indeks-desa") && names.contains(&"apbd-2026"), "{names:?}");
        assert!(names.contains(&"pengaduan-layanan-per-kecamatan"), "generated datasets are in the catalogue");
        assert!(names.contains(&"produksi-padi-2024") && names.contains(&"produksi-padi"));

        let report = run_check(&app, "shacl_check.py").await;
        for set in ["DCAT-AP 3.0.0:", "DCAT-AP 3.0.0 split shapes:", "DCAT-AP 2.1.1:"] {
            let line = report.lines().find(|l| l.starts_with(set)).unwrap_or_else(|| panic!("{set} in {report}"));
            assert!(line.contains(": 0 violations in 40 documents (38 datasets)"), "{line} ({})", app.label);
        }

        // What the modelling promises, in the Turtle a harvester gets.
        let ttl = app.get("/dataset/produksi-padi.ttl").await.text().await.unwrap();
        for expected in [
            "dct:format <http://publications.europa.eu/resource/authority/file-type/CSV>",
            "dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv>",
            "dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/ANNUAL>",
            "dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ECON>",
            "skos:closeMatch <http://publications.europa.eu/resource/authority/data-theme/ECON>",
            "dcat:startDate \"2024-01-01\"^^xsd:date",
            "dcat:endDate \"2024-12-31\"^^xsd:date",
            "^^xsd:nonNegativeInteger",
            "a dct:LicenseDocument",
            "skos:prefLabel \"Kabupaten Bojonegoro\"@id",
        ] {
            assert!(ttl.contains(expected), "{expected} in\n{ttl}");
        }
        let spatial = format!("dct:spatial <http://{}/wilayah/35.22>", app.addr);
        assert!(ttl.contains(&spatial), "{spatial}");
        let ours = app.get("/dataset/produksi-padi-2024.ttl").await.text().await.unwrap();
        assert!(ours.contains("vcard:hasEmail <mailto:data@pertanian.bojonegorokab.go.id>"), "{ours}");
        let v2 = app.get("/dataset/produksi-padi.ttl?profile=dcat-ap-2").await.text().await.unwrap();
        assert!(v2.contains("^^xsd:decimal") && !v2.contains("nonNegativeInteger"), "{v2}");
    }
}

/// Only what anyone may see is exported: not a private dataset, not a draft.
#[tokio::test]
async fn dcat_catalogue_holds_only_public_datasets() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, editor) = setup(&app).await;
        action(&app, "package_create", Some(&walidata), Some(padi())).await;
        let mut private = padi();
        private["name"] = json!("data-rahasia");
        private["private"] = json!(true);
        action(&app, "package_create", Some(&walidata), Some(private)).await;
        let mut draft = padi();
        draft["name"] = json!("draf-dinas");
        action(&app, "package_create", Some(&editor), Some(draft)).await;

        let stdout = run_check(&app, "check.py").await;
        assert_eq!(stdout.trim(), "datasets: produksi-padi-2024", "only the public dataset ({})", app.label);
        for path in ["/dataset/data-rahasia.ttl", "/dataset/draf-dinas.jsonld", "/dataset/draf-dinas.rdf"] {
            assert_eq!(app.get(path).await.status(), 404, "{path}");
        }
        let r = app.client.get(app.url("/dataset/draf-dinas")).header("accept", "text/turtle").send().await.unwrap();
        assert_eq!(r.status(), 404, "a draft is not described by negotiation either");
    }
}

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

#[tokio::test]
async fn dcat_formats_are_negotiated_and_pages_checked() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let (walidata, _) = setup(&app).await;
        action(&app, "package_create", Some(&walidata), Some(padi())).await;
        let ask = |path: &'static str, accept: &'static str| {
            let req = app.client.get(app.url(path)).header("accept", accept);
            async move {
                let r = req.send().await.unwrap();
                let header = |h: &str| r.headers().get(h).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                let (ct, vary, location) = (header("content-type"), header("vary"), header("location"));
                (r.status().as_u16(), ct, vary, location, r.text().await.unwrap())
            }
        };
        for (accept, media_type, start) in [
            ("text/turtle", "text/turtle", "@prefix"),
            ("application/ld+json", "application/ld+json", "{"),
            ("application/rdf+xml;q=1, text/html;q=0.5", "application/rdf+xml", "<?xml"),
        ] {
            for path in ["/catalog", "/dataset/produksi-padi-2024"] {
                let (status, ct, vary, _, body) = ask(path, accept).await;
                assert_eq!(status, 200, "{path} {accept} ({})", app.label);
                assert!(ct.starts_with(media_type), "{path} {accept}: {ct}");
                assert!(vary.contains("Accept"), "{path}: Vary {vary}");
                assert!(body.starts_with(start), "{path} {accept}: {body}");
            }
        }
        let (status, ct, vary, _, body) = ask("/dataset/produksi-padi-2024", BROWSER).await;
        assert_eq!((status, vary.contains("Accept")), (200, true));
        assert!(ct.starts_with("text/html") && body.contains("Produksi Padi per Kecamatan 2024"), "{ct}");
        // The page names its DCAT forms, so a harvester starting from it finds them.
        for (media_type, suffix) in [("text/turtle", "ttl"), ("application/ld+json", "jsonld"), ("application/rdf+xml", "rdf")] {
            let link = format!("<link rel=\"alternate\" type=\"{media_type}\" href=\"/dataset/produksi-padi-2024.{suffix}\">");
            assert!(body.contains(&link), "{link}");
        }
        let (_, _, _, _, list) = ask("/dataset", BROWSER).await;
        assert!(
            list.contains("<link rel=\"alternate\" type=\"text/turtle\" href=\"/catalog.ttl\">"),
            "the catalogue's Turtle is named on /dataset"
        );
        let (status, _, vary, location, _) = ask("/catalog", BROWSER).await;
        assert_eq!((status, location.as_str(), vary.contains("Accept")), (303, "/dataset", true), "people browse at /dataset");

        // The fixed-format addresses, and bad pages said plainly.
        let (status, ct, ..) = ask("/catalog.rdf", "*/*").await;
        assert_eq!((status, ct.as_str()), (200, "application/rdf+xml; charset=utf-8"));
        let (status, ..) = ask("/catalog.ttl?page=1", "*/*").await;
        assert_eq!(status, 200);
        for bad in ["/catalog.ttl?page=0", "/catalog.ttl?page=dua", "/catalog.jsonld?profile=dcat-ap-9"] {
            let (status, ..) = ask(bad, "*/*").await;
            assert_eq!(status, 400, "{bad}");
        }
        let (status, _, _, _, body) = ask("/catalog.ttl?page=2", "text/html").await;
        assert_eq!(status, 404);
        assert!(body.contains("halaman 1") || body.contains("page 1"), "says where the catalogue ends: {body}");
    }
}
