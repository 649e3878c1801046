//! The staff's page for paper IKM questionnaires (`/layanan/{code}/survei/kertas`):
//! the grid, the CSV upload, the all-or-nothing checks named by row and
//! cell, and who may use it; on both engines.

use layanan::ikm::Element;
use serde_json::{Value, json};

use crate::common::{TestApp, TestDb, each_engine, said, said_html, spawn_clocked};

/// Tuesday 10 March 2026, 10:00 in Bojonegoro (WIB).
const TUESDAY: i64 = 1_773_111_600_000;
const PAGE: &str = "/layanan/AKTA/survei/kertas";

/// The server on a fixed day with the AKTA service of Dukcapil and its
/// officer signed in.
async fn with_officer(db: &TestDb) -> (TestApp, TestApp) {
    let app = spawn_clocked(db, pendopo::clock::Clock::manual(TUESDAY)).await;
    app.add_org("dukcapil").await;
    let officer = app.add_user("operator@dukcapil.id", "editor", Some("dukcapil")).await;
    let token = app.token_for(&officer).await;
    let service = json!({
        "code": "AKTA", "name": "Penerbitan akta kelahiran", "agency": "dukcapil", "yearly_users": 1000,
        "description": "Akta kelahiran untuk warga Bojonegoro.",
    });
    let r = app.client.post(app.url("/api/v1/services")).header("Authorization", &token).json(&service).send().await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let browser = app.signed_in_as("operator@dukcapil.id").await;
    (app, browser)
}

async fn report(app: &TestApp) -> Value {
    app.get("/api/v1/ikm?service=AKTA&from=2026-01-01&to=2026-12-31").await.json().await.unwrap()
}

/// How many stored answers came by each way (`paper`, `web`, `api`).
async fn sources(app: &TestApp) -> Vec<(String, i64)> {
    let q = pendopo::store::sql("SELECT source, COUNT(*) AS n FROM ikm_responses GROUP BY source ORDER BY source");
    app.store.fetch_all(q).await.unwrap().iter().map(|r| (r.get("source").unwrap(), r.get("n").unwrap())).collect()
}

/// The grid's fields: the page's CSRF token, then `rows` as (row, cell, value).
async fn grid(browser: &TestApp, rows: &[(usize, &str, &str)]) -> reqwest::Response {
    let csrf = browser.csrf(PAGE).await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf)];
    // The page's ten rows, dated today, as a browser sends them.
    form.extend((1..=10).map(|n| (format!("r{n}.date"), "2026-03-10".to_string())));
    for (row, cell, value) in rows {
        let key = format!("r{row}.{cell}");
        form.retain(|(k, _)| *k != key);
        form.push((key, value.to_string()));
    }
    browser.client.post(browser.url(PAGE)).form(&form).send().await.unwrap()
}

/// A row's nine answers as grid cells.
fn answers(row: usize, scores: [&'static str; 9]) -> Vec<(usize, &'static str, &'static str)> {
    const CELLS: [&str; 9] = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"];
    CELLS.iter().zip(scores).map(|(c, s)| (row, *c, s)).collect()
}

#[tokio::test]
async fn an_officer_enters_three_paper_forms_and_the_report_counts_them() {
    for db in each_engine().await {
        let (app, officer) = with_officer(&db).await;
        // The service page and the report lead the officer here; not the public.
        let (_, show) = officer.get_text("/layanan/AKTA").await;
        assert!(show.contains(&format!("href=\"{PAGE}\"")), "{}", app.label);
        let (_, report_page) = officer.get_text("/layanan/AKTA/ikm").await;
        assert!(report_page.contains(&format!("href=\"{PAGE}\"")));
        assert!(!app.get_text("/layanan/AKTA").await.1.contains(PAGE), "no link for a visitor");

        // Ten empty rows dated today; ?baris=N for more, at most 100.
        let (status, page) = officer.get_text(PAGE).await;
        assert_eq!(status, 200);
        assert!(page.contains("name=\"r10.u9\"") && !page.contains("name=\"r11.u1\""), "ten rows");
        assert!(page.contains("name=\"r1.date\" id=\"r1.date\" value=\"2026-03-10\""), "dated today");
        assert!(officer.get_text(&format!("{PAGE}?baris=25")).await.1.contains("name=\"r25.occupation\""));
        let (_, hundred) = officer.get_text(&format!("{PAGE}?baris=500")).await;
        assert!(hundred.contains("name=\"r100.u1\"") && !hundred.contains("name=\"r101.u1\""));
        // The default page is light; a hundred rows (~150 KB) compress well.
        assert!(page.len() < 100 * 1024, "{} bytes", page.len());

        // Three forms; the seven other rows stay empty and are ignored.
        let mut rows = answers(1, ["4", "4", "3", "3", "3", "3", "3", "3", "3"]);
        rows.extend(answers(2, ["3", "4", "3", "3", "3", "3", "3", "3", "3"]));
        rows.extend(answers(3, ["2", "4", "3", "3", "3", "3", "3", "3", "1"]));
        rows.extend([
            (1, "date", "2026-03-02"),
            (1, "age", "34"),
            (1, "sex", "p"),
            (2, "education", "sma"),
            (3, "occupation", "wirausaha"),
        ]);
        let r = grid(&officer, &rows).await;
        assert_eq!(r.status(), 303);
        let back = r.headers()["location"].to_str().unwrap().to_string();
        let (_, done) = officer.get_text(&back).await;
        assert!(done.contains(&said_html("ikm.paper.stored", &[("n", "3")])), "{done}");
        assert!(done.contains("href=\"/layanan/AKTA/ikm\""), "a link to the report");

        let report = report(&app).await;
        assert_eq!(report["respondents"], 3, "{report}");
        assert_eq!(report["nrr"], json!([3.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.3333]), "{report}");
        assert_eq!(report["lowest_element"], "U9");
        assert_eq!(sources(&app).await, vec![("paper".to_string(), 3)]);
        let (_, page) = app.get_text("/layanan/AKTA/ikm?dari=2026-03-01&sampai=2026-03-10").await;
        assert!(page.contains(&said_html("ikm.occupation.wirausaha", &[])) && page.contains(&said_html("ikm.age_band.30_39", &[])));
    }
}

#[tokio::test]
async fn a_bad_cell_is_named_beside_it_and_in_the_summary_and_nothing_is_stored() {
    for db in each_engine().await {
        let (app, officer) = with_officer(&db).await;
        let mut rows = answers(1, ["4"; 9]);
        rows.extend(answers(2, ["3", "3", "3", "3", "6", "3", "3", "3", "3"]));
        // Row 3 is partly filled: U3 left out.
        rows.extend(answers(3, ["3", "3", "", "3", "3", "3", "3", "3", "3"]));
        rows.extend(answers(4, ["2"; 9]));
        rows.push((4, "date", "2026-02-30"));
        rows.push((5, "sex", "x"));
        let r = grid(&officer, &rows).await;
        assert_eq!(r.status(), 422, "{}", app.label);
        let page = r.text().await.unwrap();
        let beside = |field: &str, message: String| format!("<p class=\"field-error\" id=\"{field}-error\">{message}</p>");
        let u5 = said_html("ikm.answer_out_of_range", &[("element", "U5"), ("name", Element::U5.name()), ("value", "6")]);
        let u3 = said_html("ikm.answer_missing", &[("element", "U3"), ("name", Element::U3.name())]);
        let date = said_html("ikm.date_invalid", &[("date", "2026-02-30")]);
        for (field, label, message) in
            [("r2.u5", ("2", "U5"), &u5), ("r3.u3", ("3", "U3"), &u3), ("r4.date", ("4", &said("ikm.paper.date", &[])), &date)]
        {
            assert!(page.contains(&beside(field, message.clone())), "{field} beside its cell: {page}");
            let summary =
                format!("<a href=\"#{field}\">{}</a>: {message}", said_html("ikm.paper.cell", &[("row", label.0), ("part", label.1)]));
            assert!(page.contains(&summary), "{summary} in the summary");
        }
        // Row 5 has only a profile cell: partly filled, its answers missing.
        assert!(page.contains("id=\"r5.u1-error\"") && page.contains("id=\"r5.u9-error\""));
        assert!(page.contains("id=\"r5.sex-error\""));
        assert!(!page.contains("id=\"r1.u1-error\""), "the good row is not blamed");
        // Values kept as typed.
        assert!(
            page.contains("name=\"r2.u5\" id=\"r2.u5\" value=\"6\"")
                && page.contains("name=\"r4.date\" id=\"r4.date\" value=\"2026-02-30\"")
        );
        assert!(page.contains("aria-invalid=\"true\""));
        assert_eq!(report(&app).await["respondents"], 0, "nothing stored");

        // A date after today is refused too; an empty grid says so.
        let mut future = answers(1, ["4"; 9]);
        future.push((1, "date", "2026-03-11"));
        assert_eq!(grid(&officer, &future).await.status(), 422);
        let r = grid(&officer, &[]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(&said_html("ikm.paper.nothing", &[])));
        assert_eq!(sources(&app).await, vec![]);
    }
}

/// Uploads `csv` through the page's second form, the token first.
async fn upload(browser: &TestApp, csv: String) -> reqwest::Response {
    let csrf = browser.csrf(PAGE).await;
    let file = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("ikm.csv").mime_str("text/csv").unwrap();
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part("file", file);
    browser.client.post(browser.url(&format!("{PAGE}/csv"))).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn a_csv_of_twenty_questionnaires_is_stored_as_paper_all_or_nothing() {
    for db in each_engine().await {
        let (app, officer) = with_officer(&db).await;
        // Respondent i scores (i % 4) + 1 on U1 and 3 on the rest: U1's NRR is 2.5.
        let mut csv = String::from("tanggal,u1,u2,u3,u4,u5,u6,u7,u8,u9,usia,jenis_kelamin,pendidikan,pekerjaan\n");
        for i in 0..20 {
            let sex = if i % 2 == 0 { "l" } else { "p" };
            csv.push_str(&format!("2026-03-0{},{},3,3,3,3,3,3,3,3,{},{sex},s1,pns\n", i % 9 + 1, i % 4 + 1, 20 + i));
        }
        // One bad cell on the file's line 8 (respondent 7): nothing is stored.
        let bad = csv.replacen("2026-03-07,3,3,", "2026-03-07,3,5,", 1);
        assert_ne!(bad, csv);
        let r = upload(&officer, bad).await;
        assert_eq!(r.status(), 422, "{}", app.label);
        let page = r.text().await.unwrap();
        let u2 = said_html("ikm.answer_out_of_range", &[("element", "U2"), ("name", Element::U2.name()), ("value", "5")]);
        let summary = format!("<a href=\"#file\">{}</a>: {u2}", said_html("ikm.paper.cell", &[("row", "8"), ("part", "U2")]));
        assert!(page.contains(&summary), "{page}");
        assert!(page.contains(&said_html("ikm.paper.csv_refused", &[("n", "1")])), "beside the file input");
        assert_eq!(report(&app).await["respondents"], 0);

        // A required column missing is said as such.
        let r = upload(&officer, csv.replacen("u9,", "u10,", 1)).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(&said_html("ikm.paper.csv_column_missing", &[("column", "u9")])));

        let r = upload(&officer, csv).await;
        assert_eq!(r.status(), 303);
        assert_eq!(sources(&app).await, vec![("paper".to_string(), 20)]);
        let report = report(&app).await;
        assert_eq!((report["respondents"].clone(), report["nrr"][0].clone()), (json!(20), json!(2.5)), "{report}");
        // A semicolon-separated file with English headers is read the same.
        let semicolons = "date;u1;u2;u3;u4;u5;u6;u7;u8;u9;sex\n2026-03-09;4;4;4;4;4;4;4;4;4;p\n";
        assert_eq!(upload(&officer, semicolons.into()).await.status(), 303);
        assert_eq!(sources(&app).await, vec![("paper".to_string(), 21)]);
    }
}

#[tokio::test]
async fn only_the_agencys_officers_and_region_admins_enter_paper_forms() {
    for db in each_engine().await {
        let (app, officer) = with_officer(&db).await;
        app.add_org("dinkes").await;
        app.add_user("operator@dinkes.id", "editor", Some("dinkes")).await;
        let other = app.signed_in_as("operator@dinkes.id").await;
        assert_eq!(other.get(PAGE).await.status(), 403, "{}", app.label);
        let csrf = other.csrf("/account").await;
        let r = other.post_form(PAGE, &[("csrf", &csrf), ("r1.date", "2026-03-10"), ("r1.u1", "4")]).await;
        assert_eq!(r.status(), 403);

        // A visitor is sent to sign in, for the page and for both writes.
        let visitor = app.another_browser();
        for r in [
            visitor.get(PAGE).await,
            visitor.post_form(PAGE, &[("r1.u1", "4")]).await,
            visitor.post_form(&format!("{PAGE}/csv"), &[]).await,
        ] {
            assert_eq!(r.status(), 303);
            assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?next="), "{:?}", r.headers());
        }
        assert_eq!(visitor.get("/layanan/NOPE/survei/kertas").await.status(), 303);

        // The region's walidata may; an unknown service is 404.
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let walidata = app.signed_in_as("walidata@bojonegorokab.go.id").await;
        assert_eq!(walidata.get(PAGE).await.status(), 200);
        assert_eq!(officer.get("/layanan/NOPE/survei/kertas").await.status(), 404);
        assert_eq!(sources(&app).await, vec![]);
    }
}
