//! Public services: the catalogue with versioned standards (API, pages,
//! Open311), the IKM survey (API, public form, report) on both engines.

use serde_json::{Value, json};

use crate::common::{TestApp, each_engine, said, said_html, spawn_app};

/// The six public components first; every component and the pledge.
fn standard(persyaratan: &str) -> Value {
    let mut components = serde_json::Map::new();
    for c in layanan::standar::Component::ALL {
        components.insert(c.code().into(), json!(format!("Isi {}", c.name())));
    }
    components.insert("persyaratan".into(), json!(persyaratan));
    json!({ "components": components, "maklumat": "Kami sanggup melayani sesuai standar." })
}

fn service(code: &str, agency: &str) -> Value {
    json!({
        "code": code,
        "name": "Penerbitan akta kelahiran",
        "agency": agency,
        "description": "Akta kelahiran untuk warga Bojonegoro.",
        "yearly_users": 1000,
        "attributes": [
            { "code": "jenis", "datatype": "singlevaluelist", "required": true, "description": "Jenis permohonan",
              "values": [{ "key": "baru", "name": "Baru" }, { "key": "ganti", "name": "Penggantian" }] },
            { "code": "catatan", "datatype": "text", "description": "Catatan" }
        ],
        "standard": standard("KTP-el dan Kartu Keluarga orang tua."),
    })
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).json(body);
    if let Some(t) = token {
        req = req.header("Authorization", t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, token, body).await
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    app.get(path).await.json().await.unwrap()
}

#[tokio::test]
async fn officers_keep_the_service_catalogue_and_the_public_reads_it() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_org("dukcapil").await;
        app.add_org("dinkes").await;
        let officer = app.add_user("operator@dukcapil.id", "editor", Some("dukcapil")).await;
        let token = app.token_for(&officer).await;
        let other = app.add_user("operator@dinkes.id", "editor", Some("dinkes")).await;
        let other_token = app.token_for(&other).await;

        // Strangers and officers of another agency write nothing.
        assert_eq!(post(&app, "/api/v1/services", None, &service("AKTA", "dukcapil")).await.0, 401, "{}", app.label);
        assert_eq!(post(&app, "/api/v1/services", Some(&other_token), &service("AKTA", "dukcapil")).await.0, 403);

        // Every problem at once, each under its field, and nothing stored.
        let mut bad = service("AKTA LAHIR", "dukcapil");
        bad["name"] = json!("");
        bad["kinds"] = json!([]);
        bad["sla"] = json!({ "verify_working_days": 0 });
        bad["attributes"][0]["datatype"] = json!("warna");
        bad["standard"]["components"]["biaya"] = json!("  ");
        let (status, v) = post(&app, "/api/v1/services", Some(&token), &bad).await;
        assert_eq!(status, 422, "{v}");
        let fields = v["error"]["fields"].as_object().unwrap();
        for f in ["code", "name", "kinds", "sla.verify_working_days", "attributes.0.datatype", "standard.biaya"] {
            assert!(fields.contains_key(f), "{f} in {v}");
        }
        assert_eq!(fields["standard.biaya"][0], said("layanan.component_missing", &[("component", "Biaya/tarif")]));
        assert_eq!(get_json(&app, "/api/v1/services").await["count"], 0);

        // A valid service: deadlines default to SP4N-LAPOR!'s, the standard is version 1.
        let (status, v) = post(&app, "/api/v1/services", Some(&token), &service("AKTA", "dukcapil")).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(
            v["sla"],
            json!({ "verify_working_days": 3, "follow_up_working_days": 5, "auto_close_working_days": 10, "resolution_days": 60 })
        );
        assert_eq!(v["kinds"], json!(["pengaduan", "aspirasi", "permintaan_informasi"]));
        assert_eq!(v["standard"]["version"], 1);
        assert_eq!(v["agency"]["slug"], "dukcapil");
        let (status, v) = post(&app, "/api/v1/services", Some(&token), &service("AKTA", "dukcapil")).await;
        assert_eq!(status, 422);
        assert_eq!(v["error"]["fields"]["code"][0], said("layanan.code_taken", &[("code", "AKTA")]));

        // A changed standard is version 2; version 1 stays readable.
        let mut changed = service("AKTA", "dukcapil");
        changed["standard"] = standard("Surat keterangan lahir dari bidan atau rumah sakit.");
        changed["sla"] = json!({ "verify_working_days": 2 });
        let (status, v) = send(&app, reqwest::Method::PUT, "/api/v1/services/AKTA", Some(&token), &changed).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["standard"]["version"], 2);
        assert_eq!(v["sla"]["verify_working_days"], 2);
        assert_eq!(v["standard_versions"].as_array().unwrap().len(), 2);
        let old = get_json(&app, "/api/v1/services/AKTA?version=1").await;
        assert_eq!(old["standard"]["components"]["persyaratan"], "KTP-el dan Kartu Keluarga orang tua.");
        // Saving the same text again adds no version.
        send(&app, reqwest::Method::PUT, "/api/v1/services/AKTA", Some(&token), &changed).await;
        assert_eq!(get_json(&app, "/api/v1/services/AKTA").await["standard_versions"].as_array().unwrap().len(), 2);
        assert_eq!(send(&app, reqwest::Method::PUT, "/api/v1/services/AKTA", Some(&other_token), &changed).await.0, 403);

        // The public pages: grouped by agency, the six public components first.
        let (status, page) = app.get_text("/layanan").await;
        assert_eq!(status, 200);
        assert!(page.contains("Dinas dukcapil") && page.contains("href=\"/layanan/AKTA\""), "{page}");
        let (status, page) = app.get_text("/layanan/AKTA").await;
        assert_eq!(status, 200);
        let at = |text: &str| page.find(text).unwrap_or_else(|| panic!("{text} in {page}"));
        assert!(
            at("Surat keterangan lahir dari bidan") < at("Isi Penanganan pengaduan")
                && at("Isi Penanganan pengaduan") < at("Isi Dasar hukum")
        );
        assert!(page.contains("Kami sanggup melayani sesuai standar."));
        let (_, page) = app.get_text("/layanan/AKTA?versi=1").await;
        assert!(page.contains("KTP-el dan Kartu Keluarga orang tua."), "{page}");
        assert_eq!(app.get("/layanan/TIDAK-ADA").await.status(), 404);
        let (_, agency) = app.get_text("/organization/dukcapil").await;
        assert!(agency.contains("href=\"/layanan/AKTA\""), "the agency's page lists its services: {agency}");
        let (_, other_agency) = app.get_text("/organization/dinkes").await;
        assert!(!other_agency.contains("/layanan/AKTA"));

        // Open311: the catalogue as services and definitions, XML by default.
        let list = get_json(&app, "/open311/v2/services.json").await;
        assert_eq!(list[0]["service_code"], "AKTA");
        assert_eq!(list[0]["metadata"], true);
        assert_eq!(list[0]["group"], "Dinas dukcapil");
        let r = app.get("/open311/v2/services/AKTA.xml").await;
        assert_eq!(r.headers()["content-type"], "text/xml; charset=utf-8");
        let xml = r.text().await.unwrap();
        assert!(
            xml.contains("<code>jenis</code>") && xml.contains("<datatype>singlevaluelist</datatype>") && xml.contains("<key>ganti</key>"),
            "{xml}"
        );
        let definition = get_json(&app, "/open311/v2/services/AKTA.json").await;
        assert_eq!(definition["attributes"][1]["order"], 2);
        let r = app.get("/open311/v2/services/NOPE.json").await;
        assert_eq!(r.status(), 404);
        let errors: Value = r.json().await.unwrap();
        assert_eq!(errors[0]["code"], 404);
        assert_eq!(errors[0]["description"], said("layanan.open311_service_unknown", &[("code", "NOPE")]));
        let discovery = get_json(&app, "/open311/v2/discovery.json").await;
        assert_eq!(discovery["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
        assert!(discovery["endpoints"][0]["url"].as_str().unwrap().ends_with("/open311/v2"));
        assert_eq!(app.get("/open311/v2/services.xml?jurisdiction_id=contoh.go.id").await.status(), 404);
    }
}

#[tokio::test]
async fn the_officers_form_shows_every_error_beside_its_field() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_org("dukcapil").await;
        app.add_user("operator@dukcapil.id", "editor", Some("dukcapil")).await;
        assert_eq!(app.get("/layanan/baru").await.status(), 303, "strangers are sent to sign in");
        let officer = app.signed_in_as("operator@dukcapil.id").await;
        let csrf = officer.csrf("/layanan/baru").await;
        let mut fields: Vec<(String, String)> = vec![
            ("csrf".into(), csrf.clone()),
            ("code".into(), "KIA".into()),
            ("name".into(), "Kartu Identitas Anak".into()),
            ("agency".into(), "dukcapil".into()),
            ("kinds".into(), "pengaduan".into()),
            ("sla.verify_working_days".into(), "dua".into()),
            ("attributes.0.code".into(), "jenis".into()),
            ("attributes.0.datatype".into(), "singlevaluelist".into()),
            ("attributes.0.description".into(), "Jenis kartu".into()),
            ("attributes.0.values".into(), "".into()),
            ("standard.persyaratan".into(), "Akta kelahiran anak".into()),
        ];
        let r = officer.client.post(officer.url("/layanan")).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        for (id, key) in [
            ("sla.verify_working_days-error", said_html("layanan.number_invalid", &[])),
            ("attributes.0.values-error", said_html("layanan.values_required", &[])),
            ("standard.maklumat-error", said_html("layanan.maklumat_missing", &[])),
            ("standard.biaya-error", said_html("layanan.component_missing", &[("component", "Biaya/tarif")])),
        ] {
            let expected = format!("id=\"{id}\">{key}</p>");
            assert!(page.contains(&expected), "{expected} in {page}");
        }
        assert!(page.contains("value=\"dua\""), "what was typed is kept");
        assert_eq!(app.get("/api/v1/services/KIA").await.status(), 404, "nothing stored");

        // Corrected: saved, then shown.
        fields.retain(|(k, _)| !k.starts_with("sla.") && !k.starts_with("attributes.0.values"));
        fields.push(("attributes.0.values".into(), "baru = Baru\nhilang = Pengganti yang hilang".into()));
        for c in layanan::standar::Component::ALL.iter().skip(1) {
            fields.push((format!("standard.{}", c.code()), format!("Isi {}", c.name())));
        }
        fields.push(("standard.maklumat".into(), "Kami siap melayani.".into()));
        let r = officer.client.post(officer.url("/layanan")).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let v = get_json(&app, "/api/v1/services/KIA").await;
        assert_eq!(v["kinds"], json!(["pengaduan"]));
        assert_eq!(v["attributes"][0]["values"][1], json!({ "key": "hilang", "name": "Pengganti yang hilang" }));
        assert_eq!(v["standard"]["maklumat"], "Kami siap melayani.");
        let (status, form) = officer.get_text("/layanan/KIA/ubah").await;
        assert_eq!(status, 200);
        assert!(form.contains("Akta kelahiran anak") && form.contains("hilang = Pengganti yang hilang"), "{form}");
    }
}

/// The server with one Dukcapil service, and its officer's token.
async fn with_service(db: &crate::common::TestDb, service: Value) -> (TestApp, String) {
    let app = spawn_app(db).await;
    app.add_org("dukcapil").await;
    let officer = app.add_user("operator@dukcapil.id", "editor", Some("dukcapil")).await;
    let token = app.token_for(&officer).await;
    assert_eq!(post(&app, "/api/v1/services", Some(&token), &service).await.0, 201);
    (app, token)
}

/// Ten respondents whose NRR are domain.md's example: 3.20, 3.10, 2.90,
/// 3.80, 3.30, 3.40, 3.50, 3.00, 3.20.
fn worked_example() -> Vec<Vec<i64>> {
    let fours = [2, 1, 0, 8, 3, 4, 5, 0, 2];
    (0..10)
        .map(|r| {
            (0..9)
                .map(|e| match e {
                    2 if r == 0 => 2,
                    _ if r < fours[e] => 4,
                    _ => 3,
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn ikm_of_the_worked_example_through_the_api_and_the_pages() {
    for db in each_engine().await {
        let (app, token) = with_service(&db, service("AKTA", "dukcapil")).await;

        let batch: Vec<Value> = worked_example()
            .into_iter()
            .map(|answers| json!({ "service": "AKTA", "answers": answers, "date": "2026-03-02", "profile": { "age": 34, "sex": "p", "education": "sma", "occupation": "wirausaha" } }))
            .collect();
        // A batch needs a token, and one bad answer stores none of it.
        assert_eq!(post(&app, "/api/v1/ikm/responses", None, &json!({ "responses": batch })).await.0, 401);
        let mut spoiled = batch.clone();
        spoiled[7]["answers"][3] = json!(5);
        let (status, v) = post(&app, "/api/v1/ikm/responses", Some(&token), &json!({ "responses": spoiled })).await;
        assert_eq!(status, 422, "{v}");
        let expected = said("ikm.answer_out_of_range", &[("element", "U4"), ("name", "Biaya/tarif"), ("value", "5")]);
        assert_eq!(v["error"]["fields"]["responses.7.answers"][0], expected, "{}", app.label);
        let (status, v) = post(&app, "/api/v1/ikm/responses", Some(&token), &json!({ "responses": batch })).await;
        assert_eq!((status, &v), (201, &json!({ "stored": 10 })));
        app.add_org("dinkes").await;
        let stranger = app.add_user("operator@dinkes.id", "editor", Some("dinkes")).await;
        let stranger_token = app.token_for(&stranger).await;
        let (status, _) = post(&app, "/api/v1/ikm/responses", Some(&stranger_token), &json!({ "responses": batch })).await;
        assert_eq!(status, 403, "another agency's staff enter no batch for this one");

        let report = get_json(&app, "/api/v1/ikm?service=AKTA&from=2026-03-01&to=2026-03-31").await;
        assert_eq!(
            report,
            json!({
                "respondents": 10, "nrr": [3.2, 3.1, 2.9, 3.8, 3.3, 3.4, 3.5, 3.0, 3.2], "ikm": 3.2667, "ikm_converted": 81.67,
                "grade": "B", "population": 1000, "min_sample": 278, "sample_met": false, "lowest_element": "U3"
            }),
            "{}",
            app.label
        );
        let small = get_json(&app, "/api/v1/ikm?service=AKTA&from=2026-03-01&to=2026-03-31&population=10").await;
        assert_eq!((small["min_sample"].clone(), small["sample_met"].clone()), (json!(10), json!(true)));
        assert_eq!(get_json(&app, "/api/v1/ikm?service=AKTA&from=2026-03-03&to=2026-03-31").await["respondents"], 0);
        let r = app.get("/api/v1/ikm?service=AKTA&from=2026-02-30").await;
        assert_eq!(r.status(), 400);
        assert_eq!(app.get("/api/v1/ikm?service=NOPE").await.status(), 404);

        // The unit: the agency's services together, their users summed.
        let mut kk = service("KK", "dukcapil");
        kk["yearly_users"] = json!(500);
        assert_eq!(post(&app, "/api/v1/services", Some(&token), &kk).await.0, 201);
        let perfect = json!({ "responses": [{ "service": "KK", "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4], "date": "2026-03-02" }] });
        assert_eq!(post(&app, "/api/v1/ikm/responses", Some(&token), &perfect).await.0, 201);
        let unit = get_json(&app, "/api/v1/ikm?agency=dukcapil&from=2026-03-01&to=2026-03-31").await;
        assert_eq!(
            (unit["respondents"].clone(), unit["population"].clone(), unit["min_sample"].clone()),
            (json!(11), json!(1500), json!(306)),
            "{unit}"
        );
        assert_eq!(unit["nrr"][3], 3.8182, "U4: (38 + 4) / 11");
        assert_eq!(app.get("/api/v1/ikm?agency=tidak-ada").await.status(), 404);
        assert_eq!(app.get("/api/v1/ikm").await.status(), 400);

        // Anyone answers once, today; no name, no date.
        let one = json!({ "service": "AKTA", "answers": [4, 4, 4, 4, 4, 4, 4, 4, 4] });
        assert_eq!(post(&app, "/api/v1/ikm/responses", None, &one).await.0, 201);
        let mut named = one.clone();
        named["name"] = json!("Siti Aminah");
        assert_eq!(post(&app, "/api/v1/ikm/responses", None, &named).await.0, 400, "a name is refused, not stored");
        let mut dated = one.clone();
        dated["date"] = json!("2026-01-05");
        assert_eq!(post(&app, "/api/v1/ikm/responses", None, &dated).await.0, 422);

        // The public survey page: an unanswered element is named, nothing stored.
        let citizen = app.another_browser();
        let csrf = citizen.csrf("/layanan/AKTA/survei").await;
        let mut form: Vec<(String, String)> = (1..=9).filter(|n| *n != 6).map(|n| (format!("u{n}"), "3".to_string())).collect();
        form.push(("csrf".into(), csrf));
        form.push(("age".into(), "41".into()));
        let r = citizen.client.post(citizen.url("/layanan/AKTA/survei")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains(&said_html("ikm.answer_missing", &[("element", "U6"), ("name", "Kompetensi pelaksana")])), "{page}");
        form.push(("u6".into(), "2".into()));
        let r = citizen.client.post(citizen.url("/layanan/AKTA/survei")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let all = get_json(&app, "/api/v1/ikm?service=AKTA&from=2000-01-01&to=2100-12-31").await;
        assert_eq!(all["respondents"], 12);

        // The report page (Indonesian decimals) and its CSV.
        let (status, page) = app.get_text("/layanan/AKTA/ikm?dari=2026-03-01&sampai=2026-03-31").await;
        assert_eq!(status, 200);
        assert!(page.contains("81,67") && page.contains(&said_html("ikm.grade.B", &[])) && page.contains("3,2667"), "{page}");
        assert!(page.contains(&said_html("ikm.occupation.wirausaha", &[])), "the profile table");
        let r = app.get("/layanan/AKTA/ikm.csv?dari=2026-03-01&sampai=2026-03-31").await;
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = r.text().await.unwrap();
        assert!(
            csv.contains("U3,Waktu penyelesaian,2.9000")
                && csv.contains("ikm_converted,IKM x 25,81.67")
                && csv.contains("grade,Mutu pelayanan,B"),
            "{csv}"
        );
        // The workbook holds the same figures, as numbers.
        let r = app.get("/layanan/AKTA/ikm.xlsx?dari=2026-03-01&sampai=2026-03-31").await;
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let mut book = tabular::Workbook::open(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let schema = book.analyze(&tabular::SheetSelector::First, &tabular::Options::default()).unwrap();
        let mut rows = book.reader(&schema).unwrap();
        let batch = rows.next_batch(100).unwrap().unwrap();
        let cell = |c: &tabular::Cell| match c {
            tabular::Cell::Text(t) => t.clone(),
            tabular::Cell::Num(n) => n.to_string(),
            tabular::Cell::Int(n) => n.to_string(),
            other => format!("{other:?}"),
        };
        let table: Vec<Vec<String>> = batch.rows().map(|r| r.iter().map(cell).collect()).collect();
        assert!(table.contains(&vec!["ikm_converted".to_string(), "IKM x 25".into(), "81.67".into()]), "{table:?}");
        assert!(table.contains(&vec!["U3".to_string(), "Waktu penyelesaian".into(), "2.9".into()]), "{table:?}");
    }
}

#[tokio::test]
async fn ikm_of_ten_thousand_responses_is_summed_in_the_database() {
    for db in each_engine().await {
        let mut svc = service("KTP", "dukcapil");
        svc["yearly_users"] = json!(42_000);
        let (app, token) = with_service(&db, svc).await;
        // Respondent r scores (r % 4) + 1 on U1 and 4 on the rest: U1's NRR is 2.5.
        let batch: Vec<Value> = (0..10_000)
            .map(|r| json!({ "service": "KTP", "answers": [r % 4 + 1, 4, 4, 4, 4, 4, 4, 4, 4], "date": "2026-02-10" }))
            .collect();
        let started = std::time::Instant::now();
        let (status, v) = post(&app, "/api/v1/ikm/responses", Some(&token), &json!({ "responses": batch })).await;
        assert_eq!(status, 201, "{v}");
        let stored = started.elapsed();
        let started = std::time::Instant::now();
        let report = get_json(&app, "/api/v1/ikm?service=KTP&from=2026-01-01&to=2026-12-31").await;
        let took = started.elapsed();
        eprintln!("{}: 10,000 IKM responses stored in {stored:?}, reported in {took:?}", app.label);
        assert_eq!(report["respondents"], 10_000);
        assert_eq!(report["nrr"][0], 2.5);
        // (2.5 + 8 x 4) / 9 = 3.8333 > 95.83: A; 42,000 users need 381.
        assert_eq!((report["ikm_converted"].clone(), report["grade"].clone()), (json!(95.83), json!("A")));
        assert_eq!(
            (report["min_sample"].clone(), report["sample_met"].clone(), report["lowest_element"].clone()),
            (json!(381), json!(true), json!("U1"))
        );
    }
}

#[tokio::test]
async fn open311_clients_file_requests_and_follow_them_without_seeing_reporters() {
    for db in each_engine().await {
        let (app, token) = with_service(&db, service("AKTA", "dukcapil")).await;
        let filing = |fields: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let r = app.client.post(app.url("/open311/v2/requests.json")).form(&fields).send().await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let report = || {
            vec![
                ("service_code", "AKTA".to_string()),
                ("lat", "-7.1502".to_string()),
                ("long", "111.8817".to_string()),
                ("attribute[jenis]", "baru".to_string()),
                ("description", "Akta anak kami belum terbit setelah tiga minggu.".to_string()),
                ("first_name", "Siti".to_string()),
                ("last_name", "Aminah".to_string()),
                ("email", "siti.aminah@contoh.id".to_string()),
                ("phone", "081234567890".to_string()),
            ]
        };
        let count = || async { app.store.fetch_scalar::<i64>(pendopo::store::sql("SELECT COUNT(*) FROM service_cases")).await.unwrap() };

        // No api_key, a bad one, a missing location, an unknown service: the spec's errors, nothing stored.
        let (status, v) = filing(report()).await;
        assert_eq!((status, v[0]["code"].clone()), (403, json!(403)), "{v}");
        let mut bad_key = report();
        bad_key.push(("api_key", "bukan-token".into()));
        assert_eq!(filing(bad_key).await.0, 403);
        let mut no_place = report();
        no_place.retain(|(k, _)| !matches!(*k, "lat" | "long"));
        no_place.push(("api_key", token.clone()));
        no_place.push(("attribute[jenis]", "hilang".into()));
        let (status, v) = filing(no_place).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v.as_array().unwrap().len(), 2, "every problem at once: {v}");
        let mut unknown = report();
        unknown[0].1 = "NOPE".into();
        unknown.push(("api_key", token.clone()));
        let (status, v) = filing(unknown).await;
        assert_eq!((status, v[0]["description"].clone()), (404, json!(said("layanan.open311_service_unknown", &[("code", "NOPE")]))));
        assert_eq!(count().await, 0, "{}", app.label);

        // Filed: state received, its history row, the verification deadline in working days.
        let mut good = report();
        good.push(("api_key", token.clone()));
        let (status, v) = filing(good.clone()).await;
        assert_eq!(status, 200, "{v}");
        let now = app.store.now_ms();
        let today = kalender::Date::from_unix_millis(now, 7).unwrap();
        let first = v[0]["service_request_id"].as_str().unwrap().to_string();
        assert_eq!(first, format!("{}-000001", today.year()));
        let calendar = pendopo::kernel::holidays::calendar(&app.store, crate::common::REGION).await.unwrap();
        let due = calendar.add_working_days(today, 3);
        assert!(v[0]["service_notice"].as_str().unwrap().contains(&due.to_string()), "{v}");
        // A replay with the same idempotency key gets the same case back.
        let keyed = || {
            let mut fields = good.clone();
            fields.push(("idempotency_key", "app-7f3a".into()));
            fields
        };
        let (_, again) = filing(keyed()).await;
        let (_, replay) = filing(keyed()).await;
        assert_eq!(again[0]["service_request_id"], replay[0]["service_request_id"]);
        assert_eq!(count().await, 2);
        good.push(("rahasia", "true".into()));
        let (_, v) = filing(good).await;
        let hidden = v[0]["service_request_id"].as_str().unwrap().to_string();
        assert_eq!(hidden, format!("{}-000003", today.year()));
        let history = app
            .store
            .fetch_scalar::<i64>(pendopo::store::sql(
                "SELECT COUNT(*) FROM service_case_history WHERE to_state = 'received' AND action = 'file'",
            ))
            .await
            .unwrap();
        assert_eq!(history, 3);

        // The public lists: the confidential case nowhere, no reporter anywhere.
        let list = get_json(&app, "/open311/v2/requests.json").await;
        assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
        let r = &list[1];
        assert_eq!(
            (r["service_request_id"].as_str(), r["status"].as_str(), r["service_code"].as_str()),
            (Some(first.as_str()), Some("open"), Some("AKTA"))
        );
        assert_eq!(r["agency_responsible"], "Dinas dukcapil");
        assert_eq!(r["expected_datetime"], format!("{due}T23:59:59+07:00"));
        assert_eq!(r["lat"], -7.1502);
        assert!(r["requested_datetime"].as_str().unwrap().ends_with("+07:00"));
        for path in ["/open311/v2/requests.json", "/open311/v2/requests.xml", &format!("/open311/v2/requests/{first}.xml")] {
            let (status, body) = app.get_text(path).await;
            assert_eq!(status, 200, "{path}");
            for secret in ["Siti", "Aminah", "siti.aminah@contoh.id", "081234567890"] {
                assert!(!body.contains(secret), "{secret} in {path}");
            }
        }
        assert_eq!(app.get(&format!("/open311/v2/requests/{hidden}.json")).await.status(), 404);
        let extended = get_json(&app, &format!("/open311/v2/requests/{first}.json?extensions=true")).await;
        assert_eq!(
            extended[0]["extended_attributes"],
            json!({ "state": "received", "channel": "open311", "overdue": false }),
            "{extended}"
        );
        assert_eq!(extended[0]["notes"][0]["type"], "received");
        assert_eq!(extended[0]["notes"][0]["description"], said("layanan.note_file", &[]));
        assert!(get_json(&app, "/open311/v2/requests.json").await[0].get("notes").is_none(), "extensions only when asked");
        let by_id = get_json(&app, &format!("/open311/v2/requests.json?service_request_id={first},{hidden}")).await;
        assert_eq!(by_id.as_array().unwrap().len(), 1);
        assert_eq!(get_json(&app, "/open311/v2/requests.json?status=closed").await, json!([]));
        assert_eq!(app.get("/open311/v2/requests.json?start_date=kemarin").await.status(), 400);
        let secret: String = app
            .store
            .fetch_scalar(pendopo::store::sql("SELECT token FROM service_cases WHERE number = $1").bind(first.as_str()))
            .await
            .unwrap();
        let t = get_json(&app, &format!("/open311/v2/tokens/{secret}.json")).await;
        assert_eq!(t[0]["service_request_id"], first.as_str());
    }
}

#[tokio::test]
async fn the_demo_has_forty_services_with_standards_and_every_grade() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        for (slug, name, kind) in pendopo::demo::AGENCIES {
            let input = pendopo::kernel::organizations::OrgInput {
                slug: slug.to_string(),
                name: name.to_string(),
                kind: kind.to_string(),
                ..Default::default()
            };
            pendopo::kernel::organizations::create(&app.store, crate::common::REGION, &input).await.unwrap();
        }
        let admin = app.add_user("admin@bojonegorokab.go.id", "sysadmin", None).await;
        let region =
            pendopo::slices::DemoRegion { store: &app.store, files: &app.state.files, tenant: crate::common::REGION, admin: &admin };
        let started = std::time::Instant::now();
        let said = pendopo::slices::services::demo::load(&region).await.unwrap();
        eprintln!("{}: {said} in {:?}", app.label, started.elapsed());
        let list = get_json(&app, "/api/v1/services").await;
        let services = list["services"].as_array().unwrap();
        assert!(services.len() >= 40, "{}", services.len());
        let agencies: std::collections::BTreeSet<&str> = services.iter().map(|s| s["agency"]["slug"].as_str().unwrap()).collect();
        assert!(agencies.len() >= 15, "{agencies:?}");
        let mut grades = std::collections::BTreeSet::new();
        let mut met = 0;
        for s in services {
            let code = s["code"].as_str().unwrap();
            let one = get_json(&app, &format!("/api/v1/services/{code}")).await;
            assert!(one["standard"]["components"]["jaminan_keamanan"].as_str().unwrap().contains("demo"), "{code}: a labelled standard");
            let report = get_json(&app, &format!("/api/v1/ikm?service={code}&from=2000-01-01&to=2100-12-31")).await;
            grades.insert(report["grade"].as_str().unwrap().to_string());
            met += usize::from(report["sample_met"] == true);
        }
        assert_eq!(grades.into_iter().collect::<Vec<_>>(), ["A", "B", "C", "D"]);
        assert!(met > 0 && met < services.len(), "some services meet the minimum sample, not all ({met})");
        // Three Dialog Publik sessions with their items, and a gateway to try.
        let dialogs = get_json(&app, "/api/v1/dialogs").await;
        assert_eq!(dialogs["count"], 3, "{dialogs}");
        let first = get_json(&app, &format!("/api/v1/dialogs/{}", dialogs["sessions"][0]["id"].as_str().unwrap())).await;
        assert!(first["items"].as_array().unwrap().len() >= 3, "{first}");
        assert!(first.to_string().contains("demo") && !first.to_string().contains("(demo)"), "labelled, no names: {first}");
        let message = json!({ "message_id": "demo-1", "channel": "sms", "from": "081234567890", "text": "PJU lampu mati." });
        let body = serde_json::to_vec(&message).unwrap();
        let signature = pendopo::slices::services::signature_header(pendopo::slices::services::DEMO_GATEWAY_SECRET, &body);
        let r = app
            .client
            .post(app.url("/api/v1/webhooks/pesan"))
            .header(pendopo::slices::services::SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        // A year of cases, about 150 a month, in every life-cycle state, some overdue, some confidential.
        let count = |q: &'static str| {
            let store = app.store.clone();
            async move { store.fetch_scalar::<i64>(pendopo::store::sql(q)).await.unwrap() }
        };
        let cases = count("SELECT COUNT(*) FROM service_cases").await;
        assert!((1_500..=2_200).contains(&cases), "{cases} demo cases");
        let states = count("SELECT COUNT(DISTINCT state) FROM service_cases").await;
        assert!(states >= 9, "{states} states");
        assert!(count("SELECT COUNT(*) FROM service_cases WHERE confidential = 1").await > 30);
        assert!(count("SELECT COUNT(DISTINCT channel) FROM service_cases").await >= 7);
        assert!(count("SELECT COUNT(*) FROM service_case_history").await > 4 * cases);
        assert!(count("SELECT COUNT(*) FROM service_cases WHERE description NOT LIKE '%demo%'").await == 0, "labelled demo data");
        let review = app.get_text("/layanan/rekap").await.1;
        assert!(review.matches("<tr><td>").count() > 10, "some cases are overdue now");
    }
}
