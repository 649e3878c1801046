//! The regency budget (issue 12): BPKAD imports SIPD's sheet, citizens see
//! exact totals at every level on the page and in the API, bad sheets are
//! refused whole with every problem named, the APBD-P keeps the APBD, the
//! Fiscal Data Package's resource is served as declared, and a sub-kegiatan
//! leads to the procurement it funds and back.

use serde_json::{Value, json};

use crate::common::{REGION, TestApp, each_engine, spawn_app};

/// A SIPD-style export: `;`-separated, amounts with thousand separators and
/// "Rp", a subtotal row without an account (skipped), two agencies, a
/// pendapatan line and both pembiayaan directions.
const SHEET: &str = "\
Kode SKPD;Nama SKPD;Kode Sub Kegiatan;Nama Sub Kegiatan;Kode Rekening;Uraian;Pagu;Realisasi TW I;Realisasi TW II;Realisasi TW III;Realisasi TW IV
1.02.0.00.0.00.01.0000;Dinas Kesehatan;1.02.02.2.01.0001;Pelayanan Kesehatan Ibu Hamil;5.1.01.01.01.0001;Gaji Pokok;Rp 1.000.000;100.000;200.000;;
1.02.0.00.0.00.01.0000;Dinas Kesehatan;1.02.02.2.01.0001;Pelayanan Kesehatan Ibu Hamil;5.1.02.01.01.0024;Alat Kantor;500.000;;;;50.000
;;;;;Jumlah Sub Kegiatan;1.500.000;;;;
1.02.0.00.0.00.01.0000;Dinas Kesehatan;1.02.02.2.01.0002;Pelayanan Kesehatan Bayi;5.2.02.05.01.0001;Alat Kesehatan;2.000.000;;;;
1.03.0.00.0.00.01.0000;Dinas PU;1.03.03.2.02.0001;Rehabilitasi Jalan;5.1.02.01.01.0024;Bahan;7.000.000;1.000.000;;;
5.02.0.00.0.00.01.0000;BPKAD;;;4.1.01.06.01.0001;Pajak Penerangan Jalan;20.000.000;5.000.000;;;
5.02.0.00.0.00.01.0000;BPKAD;;;6.1.01.01.01.0001;SiLPA;1.000.000;;;;
5.02.0.00.0.00.01.0000;BPKAD;;;6.2.02.01.01.0001;Penyertaan Modal;500.000;;;;
";

async fn import(app: &TestApp, year: &str, version: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    // A stranger has no form to read: the sign-in page's token.
    let page = if app.get("/anggaran/kelola").await.status() == 200 { "/anggaran/kelola" } else { "/login" };
    let csrf = app.csrf(page).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("year", year.to_string())
        .text("version", version.to_string())
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    app.client.post(app.url("/anggaran/kelola/impor")).multipart(form).send().await.unwrap()
}

async fn api(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

fn plan(v: &Value) -> i64 {
    v["jumlah"]["pagu"].as_i64().unwrap()
}

#[tokio::test]
async fn bpkad_publishes_the_apbd_and_citizens_follow_it_to_procurement() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let label = app.label;
        app.add_org("bpkad").await;
        app.add_org("dinkes").await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        app.add_user("kasubbid@bpkad.id", "editor", Some("bpkad")).await;
        let dinkes = app.add_user("editor@dinkes.id", "editor", Some("dinkes")).await;

        // The walidata names BPKAD as the budget's publisher.
        let walidata = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        let csrf = walidata.csrf("/anggaran/kelola").await;
        let r = walidata.post_form("/anggaran/kelola/penerbit", &[("csrf", &csrf), ("publishers", "bpkad, bappeda")]).await;
        assert_eq!(r.status(), 303, "{label}");

        // Strangers and officers of other agencies are refused.
        let stranger = app.another_browser();
        let r = import(&stranger, "2025", "apbd", "apbd.csv", SHEET.into()).await;
        assert_eq!(r.status(), 303, "a stranger goes to sign in");
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
        let editor = app.signed_in_as("editor@dinkes.id").await;
        assert_eq!(editor.get("/anggaran/kelola").await.status(), 403);
        let token = app.token_for(&dinkes).await;
        let r = app
            .client
            .put(app.url("/api/v1/apbd/2025"))
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({"lines": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{label}: an officer of a non-publishing agency");

        let bpkad = app.signed_in_as("kasubbid@bpkad.id").await;
        // Wrong layout: no Pagu column. Named, nothing stored.
        let no_pagu = SHEET.replace(";Pagu;", ";Keterangan;");
        let r = import(&bpkad, "2025", "apbd", "apbd.csv", no_pagu.into()).await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("Baris judul kolom tidak ditemukan; kolom yang kurang: pagu"), "{label}: {page}");
        // An unknown code and a bad amount: each with its line and column.
        let bad = SHEET.replace("1.02.02.2.01.0002", "1.2.02.2.01.0002").replace("7.000.000;1.000.000", "7.000.000,5;1.000.000");
        let r = import(&bpkad, "2025", "apbd", "apbd.csv", bad.into()).await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("<td>5</td><td>C</td><td>Kode tidak sesuai Permendagri 90/2019"), "{label}: {page}");
        assert!(page.contains("<td>6</td><td>G</td><td>Nilai bukan jumlah rupiah yang sah"), "{label}: {page}");
        assert_eq!(app.get("/api/v1/apbd/2025").await.status(), 404, "{label}: nothing stored");

        // The sheet as exported: stored, totals exact at every level.
        let r = import(&bpkad, "2025", "apbd", "apbd.csv", SHEET.into()).await;
        assert_eq!(r.status(), 303, "{label}: {}", r.text().await.unwrap());
        let v = api(&app, "/api/v1/apbd/2025").await;
        assert_eq!(v["versi"], "apbd");
        assert_eq!(v["jumlah"]["belanja"]["pagu"], 10_500_000);
        assert_eq!(v["jumlah"]["belanja"]["realisasi"], json!([1_100_000, 200_000, 0, 50_000]));
        assert_eq!(v["jumlah"]["belanja"]["persen_teks"], "12,86");
        assert_eq!(v["jumlah"]["pendapatan"]["pagu"], 20_000_000);
        assert_eq!(v["jumlah"]["penerimaan_pembiayaan"]["pagu"], 1_000_000);
        assert_eq!(v["jumlah"]["pengeluaran_pembiayaan"]["pagu"], 500_000);
        let urusan: Vec<(&str, i64)> = v["simpul"].as_array().unwrap().iter().map(|n| (n["kode"].as_str().unwrap(), plan(n))).collect();
        assert_eq!(urusan, [("1", 10_500_000)]);
        for (code, expected) in [("1", 10_500_000), ("1.02", 3_500_000), ("1.02.02", 3_500_000), ("1.02.02.2.01", 3_500_000)] {
            let v = api(&app, &format!("/api/v1/apbd/2025?code={code}")).await;
            let children: i64 = v["simpul"].as_array().unwrap().iter().map(plan).sum();
            assert_eq!(plan(v["jalur"].as_array().unwrap().last().unwrap()), expected, "{code}");
            assert_eq!(children, expected, "{label}: the children of {code} add up");
        }
        let subs = api(&app, "/api/v1/apbd/2025?level=sub_kegiatan").await;
        let subs: Vec<(&str, i64)> = subs["simpul"].as_array().unwrap().iter().map(|n| (n["kode"].as_str().unwrap(), plan(n))).collect();
        assert_eq!(subs, [("1.02.02.2.01.0001", 1_500_000), ("1.02.02.2.01.0002", 2_000_000), ("1.03.03.2.02.0001", 7_000_000)]);
        let pu = api(&app, "/api/v1/apbd/2025?agency=1.03.0.00.0.00.01.0000").await;
        assert_eq!(pu["jumlah"]["belanja"]["pagu"], 7_000_000);
        assert_eq!(app.get("/api/v1/apbd/2025?code=9.99").await.status(), 404);
        assert_eq!(app.get("/api/v1/apbd/2025?level=desa").await.status(), 422);

        // The page shows the same figures, level by level, as links.
        let (status, page) = app.get_text("/anggaran/2025").await;
        assert_eq!(status, 200);
        assert!(page.contains("Rp 10.500.000") && page.contains("Rp 20.000.000") && page.contains("12,86%"), "{label}: {page}");
        assert!(page.contains("href=\"/anggaran/2025?code=1\"") && page.contains("<svg"), "{page}");
        let (_, page) = app.get_text("/anggaran/2025?code=1.02.02.2.01").await;
        assert!(page.contains("href=\"/anggaran/2025/sub-kegiatan/1.02.02.2.01.0001\"") && page.contains("Rp 1.500.000"), "{page}");
        assert!(page.contains("Rp 3.500.000") && page.contains("10,00%"), "{label}: the kegiatan's own total: {page}");

        // APBD-P through the API: the APBD stays, the APBD-P is shown.
        let bpkad_user = pendopo::kernel::identity::find_user_by_email(&app.store, REGION, "kasubbid@bpkad.id").await.unwrap().unwrap();
        let token = app.token_for(&bpkad_user).await;
        let lines = json!({"lines": [
            {"nama_opd": "Dinas Kesehatan", "sub_kegiatan": "1.02.02.2.01.0001", "nama_sub_kegiatan": "Pelayanan Kesehatan Ibu Hamil",
             "rekening": "5.1.01.01.01.0001", "uraian": "Gaji Pokok", "pagu": "Rp 1.250.000", "realisasi": [100000, 200000, null, null]},
            {"nama_opd": "BPKAD", "rekening": "4.1.01.06.01.0001", "uraian": "Pajak", "pagu": 21000000},
        ], "names": {"1": "Urusan Pemerintahan Wajib yang Berkaitan dengan Pelayanan Dasar", "1.02.02": "Program Pemenuhan Upaya Kesehatan"}});
        let put = |body: Value| {
            let (app, token) = (&app, &token);
            async move {
                app.client
                    .put(app.url("/api/v1/apbd/2025?version=apbd-p"))
                    .header("authorization", format!("Bearer {token}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let mut bad = lines.clone();
        bad["lines"][1]["pagu"] = json!("dua juta");
        let r = put(bad).await;
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["problems"][0]["line"], 2);
        assert_eq!(body["error"]["problems"][0]["column"], "pagu");
        assert_eq!(body["error"]["problems"][0]["error"], "apbd_bad_amount");
        assert_eq!(api(&app, "/api/v1/apbd/2025").await["versi"], "apbd", "nothing stored");
        let r = put(lines).await;
        assert_eq!(r.status(), 200, "{label}: {}", r.text().await.unwrap());
        let p = api(&app, "/api/v1/apbd/2025").await;
        assert_eq!((p["versi"].as_str(), p["jumlah"]["belanja"]["pagu"].as_i64()), (Some("apbd-p"), Some(1_250_000)));
        assert_eq!(p["simpul"][0]["nama"], "Urusan Pemerintahan Wajib yang Berkaitan dengan Pelayanan Dasar");
        let murni = api(&app, "/api/v1/apbd/2025?version=apbd").await;
        assert_eq!(murni["jumlah"]["belanja"]["pagu"], 10_500_000, "{label}: the APBD is kept");
        // A planning document at its stage, public once uploaded.
        let csrf = bpkad.csrf("/anggaran/kelola").await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("year", "2025")
            .text("stage", "kua-ppas")
            .text("title", "KUA-PPAS 2025")
            .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 kua".to_vec()).file_name("kua-ppas-2025.pdf"));
        let r = bpkad.client.post(app.url("/anggaran/kelola/dokumen")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303, "{label}");
        let (_, page) = app.get_text("/anggaran").await;
        let at = page.find("/anggaran/dokumen/").expect("the document is listed");
        let href = &page[at..at + page[at..].find('"').unwrap()];
        assert_eq!(app.get(href).await.bytes().await.unwrap().as_ref(), b"%PDF-1.4 kua");
        assert!(page.contains("KUA-PPAS 2025") && page[..at].contains("KUA-PPAS"), "under its stage");
        assert!(page.contains("APBD Perubahan") && page.contains("/anggaran/2025/datapackage.json"), "{page}");

        // The Fiscal Data Package: its resource is served, columns as declared.
        let package = api(&app, "/anggaran/2025/datapackage.json").await;
        assert_eq!(package["profile"], "fiscal-data-package");
        let resource = &package["resources"][0];
        let url = resource["path"].as_str().unwrap();
        assert!(url.starts_with("http") && url.ends_with("/anggaran/2025/apbd.csv"), "{url}");
        let csv = app.client.get(url).send().await.unwrap().text().await.unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let declared: Vec<&str> = resource["schema"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(header, declared);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        for m in package["model"]["measures"].as_object().unwrap().values() {
            assert!(header.contains(&m["source"].as_str().unwrap().to_string()), "measure {m}");
        }
        let xlsx = app.get("/anggaran/2025/apbd.xlsx").await.bytes().await.unwrap();
        assert!(xlsx.starts_with(b"PK\x03\x04"), "a workbook");

        // An XLSX sheet imports as the CSV does (the next year).
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, line) in SHEET.lines().enumerate() {
            for (c, cell) in line.split(';').enumerate() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
        let r = import(&bpkad, "2026", "apbd", "apbd.xlsx", book.save_to_buffer().unwrap()).await;
        assert_eq!(r.status(), 303, "{label}: {}", r.text().await.unwrap());
        assert_eq!(api(&app, "/api/v1/apbd/2026").await["jumlah"]["belanja"]["pagu"], 10_500_000);

        // Budget > procurement > contract > payment, and back.
        use pendopo::slices::contracting::releases::{Award, Contract, Party, Payment, Plan, Process, Step, Tender};
        let p = Process {
            ocid: "ocds-test-2025-77".into(),
            buyer: Party { id: "dinkes".into(), name: "Dinas Kesehatan".into() },
            supplier: Some(Party { id: "cv-sehat".into(), name: "CV Sehat".into() }),
        };
        let steps = [
            Step::Plan(Plan {
                rup_code: "77".into(),
                title: "Pengadaan alat USG".into(),
                description: String::new(),
                category: "barang".into(),
                method: "tender".into(),
                year: 2025,
                budget: 1_000_000.0,
                location: None,
                budget_project: Some("1.02.02.2.01.0001".into()),
            }),
            Step::Tender(Tender {
                hps: 950_000.0,
                method: "Tender".into(),
                start: "2025-01-10T08:00:00+07:00".into(),
                end: "2025-01-30T08:00:00+07:00".into(),
            }),
            Step::Award(Award { supplier: p.supplier.clone().unwrap(), amount: 900_000.0, date: "2025-02-10T08:00:00+07:00".into() }),
            Step::Contract(Contract {
                amount: 900_000.0,
                signed: "2025-03-01T08:00:00+07:00".into(),
                end: "2025-06-01T08:00:00+07:00".into(),
            }),
            Step::Payment(Payment { amount: 450_000.0, date: "2025-04-01T08:00:00+07:00".into() }),
        ];
        let releases: Vec<Value> = steps.iter().enumerate().map(|(i, s)| p.release(i + 1, s)).collect();
        pendopo::slices::contracting::import(&app.store, REGION, releases).await.unwrap();
        let (status, page) = app.get_text("/anggaran/2025/sub-kegiatan/1.02.02.2.01.0001").await;
        assert_eq!(status, 200);
        assert!(page.contains("href=\"/pengadaan/ocds-test-2025-77\"") && page.contains("Pengadaan alat USG"), "{label}: {page}");
        assert!(page.contains("Rp 900.000") && page.contains("Rp 450.000"), "{label}: contract value and payment: {page}");
        let (_, page) = app.get_text("/anggaran/2025/sub-kegiatan/1.02.02.2.01.0002").await;
        assert!(!page.contains("ocds-test-2025-77"), "only the line it names");
        let (_, page) = app.get_text("/pengadaan/ocds-test-2025-77").await;
        assert!(page.contains("href=\"/anggaran/2025/sub-kegiatan/1.02.02.2.01.0001\""), "{label}: the process links back: {page}");

        // A changed budget refreshes the catalogue's dataset.
        app.drain_jobs().await;
        let ds = app.get("/api/3/action/package_show?id=apbd-2025").await;
        assert_eq!(ds.status(), 200, "{label}: the APBD dataset is published");
    }
}

/// The demo's APBD: about Rp 7 trillion of belanja, thousands of
/// sub-kegiatan, and its procurement found from the budget line.
#[tokio::test]
async fn the_demo_budget_leads_to_the_demo_procurement() {
    let db = crate::common::sqlite_db();
    let app = crate::dcat::demo_app(&db).await;
    let v = api(&app, "/api/v1/apbd/2025?level=sub_kegiatan").await;
    assert_eq!(v["versi"], "apbd-p", "2025 has its APBD-P");
    let belanja = v["jumlah"]["belanja"]["pagu"].as_i64().unwrap();
    assert!((6_500_000_000_000..7_800_000_000_000).contains(&belanja), "{belanja}");
    let subs = v["halaman"]["total"].as_u64().unwrap();
    assert!(subs > 1_500, "{subs}");
    assert_eq!(v["simpul"].as_array().unwrap().len(), 100, "a page of the default size");
    let murni = api(&app, "/api/v1/apbd/2025?version=apbd").await;
    assert!(murni["jumlah"]["belanja"]["pagu"].as_i64().unwrap() < belanja, "the APBD stays beside its APBD-P");
    // A process of the contracting demo names its sub-kegiatan, whose page lists it.
    let code = pendopo::slices::budgets::demo::sub_kegiatan_of("dinas-pu-bina-marga", 1).unwrap();
    let (status, page) = app.get_text(&format!("/anggaran/2024/sub-kegiatan/{code}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/pengadaan/ocds-"), "the demo's processes are linked: {page}");
}

/// A sheet of `n` sub-kegiatan, one line each, the k-th planned k million.
fn many_sub_kegiatan(n: usize) -> String {
    let mut out = String::from("Kode SKPD;Nama SKPD;Kode Sub Kegiatan;Nama Sub Kegiatan;Kode Rekening;Uraian;Pagu\n");
    for k in 1..=n {
        let (kegiatan, sub) = ((k - 1) / 100 + 1, (k - 1) % 100 + 1);
        out.push_str(&format!(
            "1.02.0.00.0.00.01.0000;Dinas Kesehatan;1.02.02.2.{kegiatan:02}.{sub:04};Sub {k};5.1.02.01.01.0024;Belanja;{}\n",
            k * 1_000_000
        ));
    }
    out
}

/// The sub-kegiatan level of a large APBD is listed a page at a time: the
/// API's `halaman.next` walks every node once, in order, with exact totals
/// beside each page; the page shows 100 rows with Next/Previous links; bad
/// paging parameters are refused in Bahasa Indonesia; the OpenAPI
/// document names `limit` and `offset`.
#[tokio::test]
async fn the_sub_kegiatan_level_is_paged_with_next_links_in_the_api_and_on_the_page() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let label = app.label;
        // A region admin writes the budget (no publisher agency needed).
        let user = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let token = app.token_for(&user).await;
        let r = app
            .client
            .post(app.url("/api/v1/apbd/2027/import?version=apbd"))
            .header("authorization", format!("Bearer {token}"))
            .body(many_sub_kegiatan(250))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{label}: {}", r.text().await.unwrap());

        let first = api(&app, "/api/v1/apbd/2027?level=sub_kegiatan").await;
        assert_eq!(first["halaman"]["total"], 250);
        assert_eq!(first["simpul"].as_array().unwrap().len(), 100, "{label}: the default page");
        assert_eq!(first["jumlah"]["belanja"]["pagu"], (1..=250i64).sum::<i64>() * 1_000_000, "totals are of the whole budget");
        assert_eq!(first["halaman"]["next"], "/api/v1/apbd/2027?level=sub_kegiatan&offset=100");
        assert_eq!(first["halaman"]["prev"], Value::Null);

        // Following `next` with a page of 90 meets every sub-kegiatan once, in order.
        let mut seen = Vec::new();
        let mut at = Some("/api/v1/apbd/2027?level=sub_kegiatan&limit=90".to_string());
        let mut pages = 0;
        while let Some(path) = at {
            let v = api(&app, &path).await;
            for n in v["simpul"].as_array().unwrap() {
                seen.push((n["kode"].as_str().unwrap().to_string(), plan(n)));
            }
            at = v["halaman"]["next"].as_str().map(str::to_string);
            pages += 1;
        }
        assert_eq!(pages, 3, "{label}: 90 + 90 + 70");
        assert_eq!(seen.len(), 250);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen, "{label}: in code order, none twice");
        assert_eq!(seen[249], ("1.02.02.2.03.0050".to_string(), 250_000_000));
        let last = api(&app, "/api/v1/apbd/2027?level=sub_kegiatan&limit=90&offset=180").await;
        assert_eq!(last["halaman"]["next"], Value::Null);
        assert_eq!(last["halaman"]["prev"], "/api/v1/apbd/2027?level=sub_kegiatan&limit=90&offset=90");
        // Paging holds for an agency's tree and a version too.
        let v = api(&app, "/api/v1/apbd/2027?level=sub_kegiatan&agency=1.02.0.00.0.00.01.0000&version=apbd&limit=200").await;
        assert_eq!(
            v["halaman"]["next"],
            "/api/v1/apbd/2027?version=apbd&level=sub_kegiatan&agency=1.02.0.00.0.00.01.0000&limit=200&offset=200"
        );

        for bad in ["limit=0", "limit=5000", "offset=-1", "limit=sepuluh"] {
            let r = app.get(&format!("/api/v1/apbd/2027?level=sub_kegiatan&{bad}")).await;
            assert_eq!(r.status(), 422, "{label}: {bad}");
            let body: Value = r.json().await.unwrap();
            assert!(body["error"]["fields"].to_string().contains("bukan halaman yang sah"), "{label}: {bad}: {body}");
        }

        // The page: 100 rows, then the next hundred by a link.
        let (status, page) = app.get_text("/anggaran/2027?level=sub_kegiatan").await;
        assert_eq!(status, 200);
        assert_eq!(page.matches("href=\"/anggaran/2027/sub-kegiatan/").count(), 100, "{label}");
        assert!(page.contains("Menampilkan 1–100 dari 250"), "{label}: {page}");
        assert!(page.contains("href=\"/anggaran/2027?level=sub_kegiatan&amp;offset=100\" rel=\"next\""), "{label}: {page}");
        let (_, page) = app.get_text("/anggaran/2027?level=sub_kegiatan&offset=200").await;
        assert_eq!(page.matches("href=\"/anggaran/2027/sub-kegiatan/").count(), 50);
        assert!(page.contains("Menampilkan 201–250 dari 250") && !page.contains("rel=\"next\"") && page.contains("rel=\"prev\""), "{page}");
    }
    let db = crate::common::sqlite_db();
    let app = spawn_app(&db).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let params = &doc["paths"]["/api/v1/apbd/{year}"]["get"]["parameters"];
    let names: Vec<&str> = params.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["level", "limit", "offset"] {
        assert!(names.contains(&name), "{names:?}");
    }
}

async fn upload_document(app: &TestApp, name: &str, bytes: &[u8]) -> reqwest::Response {
    let csrf = app.csrf("/anggaran/kelola").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("year", "2025")
        .text("stage", "rka")
        .text("title", "RKA Dinas Kesehatan 2025")
        .part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    app.client.post(app.url("/anggaran/kelola/dokumen")).multipart(form).send().await.unwrap()
}

/// Planning documents are taken by their content: a program renamed
/// `.pdf`, a PDF named `.xlsx` and an unknown kind are refused with a
/// Bahasa Indonesia message beside the file field and nothing listed; a
/// real XLSX is listed and served as a spreadsheet.
#[tokio::test]
async fn planning_documents_are_checked_by_their_content() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let label = app.label;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let bpkad = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        for (name, bytes, says) in [
            ("rka-2025.pdf", &b"MZ\x90\x00\x03\x00\x00\x00"[..], "Isi berkas rka-2025.pdf bukan PDF"),
            ("rka-2025.xlsx", &b"%PDF-1.4 bukan lembar kerja"[..], "Isi berkas rka-2025.xlsx bukan XLSX"),
            ("rka-2025.exe", &b"MZ\x90\x00"[..], "Berkas rka-2025.exe tidak diterima: dokumen perencanaan diunggah sebagai PDF, XLSX"),
        ] {
            let r = upload_document(&bpkad, name, bytes).await;
            assert_eq!(r.status(), 422, "{label}: {name}");
            let page = r.text().await.unwrap();
            assert!(page.contains(says), "{label}: {name}: {page}");
            assert!(page.contains("id=\"doc_file-error\""), "{label}: beside the file field");
        }
        let (_, page) = app.get_text("/anggaran").await;
        assert!(!page.contains("/anggaran/dokumen/"), "{label}: nothing listed");

        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "RKA").unwrap();
        let xlsx = book.save_to_buffer().unwrap();
        let r = upload_document(&bpkad, "rka-2025.xlsx", &xlsx).await;
        assert_eq!(r.status(), 303, "{label}");
        let (_, page) = app.get_text("/anggaran").await;
        let at = page.find("/anggaran/dokumen/").expect("the document is listed");
        let href = &page[at..at + page[at..].find('"').unwrap()];
        let r = app.get(href).await;
        assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert_eq!(r.bytes().await.unwrap().as_ref(), &xlsx[..]);
    }
}

/// The procurement entry form takes the sub-kegiatan that funds a process:
/// a code of another level is refused, a code missing from the year's APBD
/// is refused naming the year, a code of the APBD links the process to its
/// budget line both ways, and a year without an APBD takes the code as
/// written.
#[tokio::test]
async fn the_procurement_form_names_its_sub_kegiatan_checked_against_the_apbd() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        let label = app.label;
        app.add_org("dinkes").await;
        let walidata = app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        app.add_user("editor@dinkes.id", "editor", Some("dinkes")).await;
        let token = app.token_for(&walidata).await;
        let r = app
            .client
            .post(app.url("/api/v1/apbd/2025/import"))
            .header("authorization", format!("Bearer {token}"))
            .body(SHEET)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{label}");

        let officer = app.signed_in_as("editor@dinkes.id").await;
        let (_, page) = officer.get_text("/pengadaan/baru").await;
        assert!(page.contains("<label for=\"sub_kegiatan\">Kode sub kegiatan APBD</label>"), "{label}: the field is offered");
        let create = |rup: &'static str, year: &'static str, sub: &'static str| {
            let officer = &officer;
            async move {
                let csrf = officer.csrf("/pengadaan/baru").await;
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in [
                    ("csrf", csrf.as_str()),
                    ("buyer", "dinkes"),
                    ("rup_code", rup),
                    ("title", "Pengadaan alat USG"),
                    ("category", "barang"),
                    ("method", "Tender"),
                    ("year", year),
                    ("budget", "1.000.000"),
                    ("sub_kegiatan", sub),
                ] {
                    form = form.text(k.to_string(), v.to_string());
                }
                officer.client.post(officer.url("/pengadaan")).multipart(form).send().await.unwrap()
            }
        };
        let r = create("501", "2025", "1.02.02").await;
        assert_eq!(r.status(), 422, "{label}");
        let page = r.text().await.unwrap();
        assert!(page.contains("&quot;1.02.02&quot; bukan kode sub kegiatan Permendagri 90/2019"), "{label}: {page}");
        let r = create("501", "2025", "1.02.02.2.01.0009").await;
        assert_eq!(r.status(), 422, "{label}");
        let page = r.text().await.unwrap();
        assert!(page.contains("Sub kegiatan 1.02.02.2.01.0009 tidak ada dalam APBD 2025"), "{label}: {page}");
        assert!(page.contains("value=\"1.02.02.2.01.0009\""), "{label}: the form keeps what was typed");
        assert_eq!(app.get("/pengadaan/ocds-pd3522-2025-501").await.status(), 404, "{label}: nothing stored");

        let r = create("501", "2025", "1.02.02.2.01.0001").await;
        assert_eq!(r.status(), 303, "{label}: {}", r.text().await.unwrap());
        let (_, page) = app.get_text("/pengadaan/ocds-pd3522-2025-501").await;
        assert!(page.contains("href=\"/anggaran/2025/sub-kegiatan/1.02.02.2.01.0001\""), "{label}: the process links to its budget line");
        let (_, page) = app.get_text("/anggaran/2025/sub-kegiatan/1.02.02.2.01.0001").await;
        assert!(page.contains("href=\"/pengadaan/ocds-pd3522-2025-501\""), "{label}: and the budget line to it: {page}");

        // No APBD 2031 yet: the code is taken as written.
        let r = create("502", "2031", "1.02.02.2.01.0042").await;
        assert_eq!(r.status(), 303, "{label}");
        let (_, page) = app.get_text("/pengadaan/ocds-pd3522-2031-502").await;
        assert!(page.contains("1.02.02.2.01.0042"), "{label}: {page}");
    }
}
