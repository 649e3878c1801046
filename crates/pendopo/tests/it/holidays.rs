//! The walidata keeps the region's holidays, and deadlines in working days
//! count by them: fixed national days built in, the year's list imported as
//! CSV (all or nothing), days added and removed, the list exported again.

use serde_json::Value;

use crate::common::{PASSWORD, REGION, TestApp, each_engine, spawn_app};

/// The 2026 list as an operator would prepare it (a test list: the moving
/// dates here are for the test, not the decree).
const LIST_2026: &str = "tanggal,nama,jenis\n2026-03-20,Hari Raya Idul Fitri 1447 H,libur_nasional\n2026-03-23,\"Cuti bersama Idul Fitri, hari pertama\",cuti_bersama\n2026-10-05,Hari Jadi Kabupaten Bojonegoro,libur_daerah\n";

async fn import(app: &TestApp, csv: &str) -> reqwest::Response {
    let csrf = app.csrf("/admin/libur?tahun=2026").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("libur-2026.csv"));
    app.client.post(app.url("/admin/libur/impor")).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn the_walidata_keeps_the_holidays_and_deadlines_count_by_them() {
    for db in each_engine().await {
        let app = spawn_app(&db).await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let api = |year: i32| {
            let app = &app;
            async move { app.get(&format!("/api/v1/holidays?year={year}")).await.json::<Value>().await.unwrap() }
        };
        // Built in before anything is recorded: the fixed national days.
        let v = api(2026).await;
        let dates: Vec<&str> = v["holidays"].as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap()).collect();
        assert_eq!(dates, ["2026-01-01", "2026-05-01", "2026-06-01", "2026-08-17", "2026-12-25"], "{}", app.label);
        // 2026 has 261 weekdays, and all five fixed holidays fall on one.
        assert_eq!(v["working_days"], 256, "{v}");

        // Strangers and editors cannot change them.
        assert_eq!(crate::common::client().get(app.url("/admin/libur")).send().await.unwrap().status(), 303);
        app.add_org("dinkes").await;
        app.add_user("editor@dinkes.id", "editor", Some("dinkes")).await;
        let editor = app.another_browser();
        assert_eq!(editor.login("editor@dinkes.id", PASSWORD).await.status(), 303);
        assert_eq!(editor.get("/admin/libur").await.status(), 403);
        assert_eq!(app.login("walidata@bojonegorokab.go.id", PASSWORD).await.status(), 303);
        let (status, page) = app.get_text("/admin/libur?tahun=2026").await;
        assert_eq!(status, 200);
        assert!(page.contains("Hari Kemerdekaan Republik Indonesia") && page.contains("bawaan"), "{page}");

        // A list with one bad line stores nothing and says where.
        let bad = format!("{LIST_2026}2026-02-30,Hari yang tidak ada,libur_nasional\n");
        let r = import(&app, &bad).await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("Baris 5, kolom tanggal"), "{page}");
        assert_eq!(api(2026).await["holidays"].as_array().unwrap().len(), 5, "nothing stored");

        assert_eq!(import(&app, LIST_2026).await.status(), 303);
        let v = api(2026).await;
        assert_eq!(v["holidays"].as_array().unwrap().len(), 8);
        assert_eq!(v["working_days"], 253, "three more weekdays off (all three are weekdays)");

        // Deadlines: five working days from Thursday 19 March skip the
        // Friday holiday, the weekend and Monday's cuti bersama.
        let calendar = pendopo::kernel::holidays::calendar(&app.store, REGION).await.unwrap();
        let due = calendar.add_working_days("2026-03-19".parse().unwrap(), 5);
        assert_eq!(due.to_string(), "2026-03-30", "{}", app.label);

        // A day added by hand, then removed.
        let csrf = app.csrf("/admin/libur?tahun=2026").await;
        let r = app
            .post_form("/admin/libur", &[("csrf", &csrf), ("tanggal", "2026-11-02"), ("nama", "Libur pilkada"), ("jenis", "libur_daerah")])
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(api(2026).await["holidays"].as_array().unwrap().len(), 9);
        // A day with every field wrong says all three, each beside its field, and stores nothing.
        let r = app.post_form("/admin/libur", &[("csrf", &csrf), ("tanggal", "2026-11-31"), ("nama", " "), ("jenis", "libur_bulan")]).await;
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        for (field, label) in [("tanggal", "holiday.date"), ("nama", "holiday.name"), ("jenis", "holiday.kind")] {
            assert!(page.contains(&format!("<a href=\"#{field}\">{}</a>", crate::common::said_html(label, &[]))), "{field} in the summary");
            assert!(page.contains(&format!("<p class=\"field-error\" id=\"{field}-error\">")), "{field}'s reason beside it");
        }
        assert!(page.contains("value=\"2026-11-31\""), "what was typed is kept");
        assert_eq!(api(2026).await["holidays"].as_array().unwrap().len(), 9);
        let r = app.post_form("/admin/libur/hapus", &[("csrf", &csrf), ("tanggal", "2026-11-02"), ("jenis", "libur_daerah")]).await;
        assert_eq!(r.status(), 303);

        // The export is the recorded list, which imports again unchanged.
        let r = app.get("/admin/libur.csv?tahun=2026").await;
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = r.text().await.unwrap();
        assert_eq!(csv.lines().count(), 4, "{csv}");
        assert!(csv.contains("\"Cuti bersama Idul Fitri, hari pertama\""));
        assert_eq!(kalender::parse_csv(&csv).unwrap(), kalender::parse_csv(LIST_2026).unwrap());

        // Without the form's token, nothing.
        let r =
            app.post_form("/admin/libur", &[("csrf", "forged"), ("tanggal", "2026-11-03"), ("nama", "X"), ("jenis", "libur_daerah")]).await;
        assert_eq!(r.status(), 403);
    }
}
