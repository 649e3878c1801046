//! Staff move cases through their life cycle (the LAPOR! flow) through the
//! JSON API, on both engines: deadlines across a weekend on the store's
//! manual clock, refusals that store nothing, who may do what, the inbox
//! per role, and Open311's status following the staff's steps.

use serde_json::{Value, json};

use crate::common::{TestApp, each_engine, said, said_html, spawn_clocked};

/// Friday 4 December 2026, 10:00 WIB.
pub(crate) const FRIDAY_MORNING: i64 = 1_796_353_200_000;

pub(crate) async fn call(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).header("Authorization", token);
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn act(app: &TestApp, number: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, &format!("/api/v1/cases/{number}/actions"), token, Some(&body)).await
}

async fn list(app: &TestApp, query: &str, token: &str) -> (u16, Vec<String>) {
    let (status, v) = call(app, reqwest::Method::GET, &format!("/api/v1/cases{query}"), token, None).await;
    let numbers = v["cases"].as_array().map(|a| a.iter().map(|c| c["number"].as_str().unwrap().to_string()).collect()).unwrap_or_default();
    (status, numbers)
}

/// Files a report through Open311 with a reporter's contacts; its number.
pub(crate) async fn file(app: &TestApp, token: &str, text: &str) -> String {
    let fields = [
        ("service_code", "JALAN"),
        ("lat", "-7.1502"),
        ("long", "111.8817"),
        ("description", text),
        ("first_name", "Siti"),
        ("last_name", "Aminah"),
        ("email", "siti.aminah@contoh.id"),
        ("phone", "081234567890"),
        ("api_key", token),
    ];
    let r = app.client.post(app.url("/open311/v2/requests.json")).form(&fields).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    v[0]["service_request_id"].as_str().unwrap().to_string()
}

pub(crate) async fn open311_status(app: &TestApp, number: &str) -> String {
    let v: Value = app.get(&format!("/open311/v2/requests/{number}.json")).await.json().await.unwrap();
    v[0]["status"].as_str().unwrap().to_string()
}

pub(crate) async fn count(app: &TestApp, q: &str) -> i64 {
    app.store.fetch_scalar::<i64>(pendopo::store::sql_built(q.to_string())).await.unwrap()
}

/// A region with a road service of the public works agency (dpupr), a
/// region admin, dpupr's officer, another agency's officer and a village
/// operator (a stranger to cases), each with an API token.
pub(crate) struct Staff {
    pub app: TestApp,
    pub admin: String,
    pub officer: String,
    pub other: String,
    pub stranger: String,
}

async fn staff(db: &crate::common::TestDb, clock: &pendopo::clock::Clock) -> Staff {
    staff_of(spawn_clocked(db, clock.clone()).await).await
}

/// [`staff`] on a server the caller started.
pub(crate) async fn staff_of(app: TestApp) -> Staff {
    app.add_org("dpupr").await;
    app.add_org("dinkes").await;
    let admin = app.token_for(&app.add_user("walidata@kominfo.id", "walidata", None).await).await;
    let officer = app.token_for(&app.add_user("operator@dpupr.id", "editor", Some("dpupr")).await).await;
    let other = app.token_for(&app.add_user("operator@dinkes.id", "editor", Some("dinkes")).await).await;
    let stranger = app.token_for(&app.add_user("operator@desa.id", "village_operator", None).await).await;
    let service = json!({
        "code": "JALAN", "name": "Pengaduan jalan rusak", "agency": "dpupr",
        "description": "Jalan kabupaten yang rusak.",
    });
    let (status, v) = call(&app, reqwest::Method::POST, "/api/v1/services", &officer, Some(&service)).await;
    assert_eq!(status, 201, "{v}");
    Staff { app, admin, officer, other, stranger }
}

#[tokio::test]
async fn staff_take_a_case_from_received_to_answered_with_deadlines_history_and_permissions() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let Staff { app, admin, officer, other, stranger } = staff(&db, &clock).await;
        let first = file(&app, &admin, "Jalan di Desa Sukorejo berlubang besar.").await;
        let second = file(&app, &admin, "Lampu jalan mati sejak seminggu.").await;
        assert_eq!(open311_status(&app, &first).await, "open");

        // Closing an unverified case: refused in the caller's language, nothing stored.
        let before = count(&app, "SELECT COUNT(*) FROM service_case_history").await;
        let (status, v) = act(&app, &second, &admin, json!({ "action": "close" })).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["error"]["fields"]["action"][0], json!(said("layanan.refusal.not_verified", &[("state", "received")])), "{v}");
        // In English for a caller who asks for it.
        let r = app
            .client
            .post(app.url(&format!("/api/v1/cases/{second}/actions")))
            .header("Authorization", &admin)
            .header("accept-language", "en")
            .json(&json!({ "action": "close" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let v: Value = r.json().await.unwrap();
        let english = pendopo::web::ui::Catalog::embedded().text(
            pendopo::web::ui::Lang::En,
            "layanan.refusal.not_verified",
            &[("state", "received".to_string())],
        );
        assert_eq!(v["error"]["fields"]["action"][0], json!(english));
        assert!(english.starts_with("The report has not been verified"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_case_history").await, before);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases WHERE state = 'received'").await, 2);
        // An agency cannot verify; strangers cannot see a case.
        assert_eq!(act(&app, &first, &officer, json!({ "action": "verify" })).await.0, 403);
        assert_eq!(call(&app, reqwest::Method::GET, &format!("/api/v1/cases/{first}"), &stranger, None).await.0, 403);

        // Friday: verified (the verification deadline runs on), then dispositioned:
        // five working days across the weekend, Friday 11 December.
        let (status, v) = act(&app, &first, &admin, json!({ "action": "verify", "text": "Lengkap." })).await;
        assert_eq!((status, v["state"].clone(), v["stage_due"].clone()), (200, json!("verified"), json!("2026-12-09")), "{v}");
        let (status, v) = act(&app, &first, &admin, json!({ "action": "disposition", "agency": "nope" })).await;
        assert_eq!(
            (status, v["error"]["fields"]["agency"][0].clone()),
            (422, json!(said("layanan.agency_unknown", &[("agency", "nope")])))
        );
        let (status, v) = act(&app, &first, &admin, json!({ "action": "disposition", "agency": "dpupr" })).await;
        assert_eq!((status, v["state"].clone(), v["stage_due"].clone()), (200, json!("dispositioned"), json!("2026-12-11")), "{v}");
        assert_eq!(v["agency"], "dpupr");

        // Only the agency holding the case works on it.
        assert_eq!(act(&app, &first, &other, json!({ "action": "start" })).await.0, 403);
        assert_eq!(act(&app, &first, &stranger, json!({ "action": "start" })).await.0, 403);
        let (status, v) = act(&app, &first, &officer, json!({ "action": "answer" })).await;
        assert_eq!((status, v["error"]["fields"]["text"][0].clone()), (422, json!(said("layanan.answer_required", &[]))));

        // Monday: taken in hand (resolution: 60 days from verification), then answered
        // (auto-close: ten working days from Monday).
        clock.advance(std::time::Duration::from_secs(3 * 86_400));
        let (status, v) = act(&app, &first, &officer, json!({ "action": "start" })).await;
        assert_eq!((status, v["state"].clone(), v["stage_due"].clone()), (200, json!("in_progress"), json!("2027-02-02")), "{v}");
        assert!(v.get("reporter").is_none(), "agency staff never see the reporter's contacts: {v}");
        let (status, v) = act(&app, &first, &officer, json!({ "action": "answer", "text": "Sudah ditambal pada hari Senin." })).await;
        assert_eq!((status, v["state"].clone(), v["stage_due"].clone()), (200, json!("answered"), json!("2026-12-21")), "{v}");
        let steps: Vec<(String, String, String)> = v["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (h["action"].as_str().unwrap().into(), h["to_state"].as_str().unwrap().into(), h["actor"].as_str().unwrap_or("").into())
            })
            .collect();
        let expected = [
            ("file", "received", "walidata@kominfo.id"),
            ("verify", "verified", "walidata@kominfo.id"),
            ("disposition", "dispositioned", "walidata@kominfo.id"),
            ("start", "in_progress", "operator@dpupr.id"),
            ("answer", "answered", "operator@dpupr.id"),
        ];
        assert_eq!(steps, expected.map(|(a, s, u)| (a.to_string(), s.to_string(), u.to_string())).to_vec(), "{v}");
        assert_eq!(v["history"][4]["note"], "Sudah ditambal pada hari Senin.");
        assert_eq!(v["history"][3]["at"], json!(FRIDAY_MORNING + 3 * 86_400_000));
        assert_eq!(open311_status(&app, &first).await, "open");

        // The inbox: the admin sees both with the reporter, the agency its own, the other agency none.
        let (status, all) = list(&app, "", &admin).await;
        assert_eq!((status, all.len()), (200, 2));
        let (_, v) = call(&app, reqwest::Method::GET, "/api/v1/cases?state=received", &admin, None).await;
        assert_eq!((v["count"].clone(), v["cases"][0]["reporter"]["email"].clone()), (json!(1), json!("siti.aminah@contoh.id")), "{v}");
        assert_eq!(list(&app, "?colour=red", &admin).await.1, vec![second.clone()]);
        assert_eq!(list(&app, "?colour=blue", &admin).await.1, vec![first.clone()]);
        assert_eq!(list(&app, "", &officer).await, (200, vec![first.clone()]));
        assert_eq!(list(&app, "", &other).await, (200, Vec::new()));
        assert_eq!(list(&app, "?agency=dpupr", &other).await.0, 403);
        assert_eq!(list(&app, "", &stranger).await.0, 403);

        // Closed by the coordinator: Open311 says closed; a closed case refuses more.
        assert_eq!(act(&app, &first, &admin, json!({ "action": "close" })).await.0, 200);
        assert_eq!(open311_status(&app, &first).await, "closed");
        let (status, v) = act(&app, &first, &officer, json!({ "action": "start" })).await;
        assert_eq!(
            (status, v["error"]["fields"]["action"][0].clone()),
            (422, json!(said("layanan.refusal.closed", &[("state", "closed")])))
        );
        // A duplicate points at its original.
        let (status, v) = act(&app, &second, &admin, json!({ "action": "mark_duplicate", "duplicate_of": first })).await;
        assert_eq!((status, v["state"].clone(), v["duplicate_of"].clone()), (200, json!("duplicate"), json!(first)), "{v}");
        assert_eq!(open311_status(&app, &second).await, "closed");
    }
}

#[tokio::test]
async fn the_inbox_and_case_pages_show_each_role_its_cases_and_only_the_steps_allowed() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let Staff { app, admin, .. } = staff(&db, &clock).await;
        let first = file(&app, &admin, "Jembatan Desa Kalitidu retak.").await;
        let second = file(&app, &admin, "Selokan tersumbat di depan pasar.").await;
        assert_eq!(act(&app, &first, &admin, json!({ "action": "verify" })).await.0, 200);
        assert_eq!(act(&app, &first, &admin, json!({ "action": "disposition", "agency": "dpupr" })).await.0, 200);

        // The region admin: both cases, a colour filter, the reporter's contacts.
        let walidata = app.signed_in_as("walidata@kominfo.id").await;
        assert!(walidata.get_text("/layanan").await.1.contains("href=\"/layanan/kasus\""), "staff reach the inbox from the catalogue");
        let (status, html) = walidata.get_text("/layanan/kasus").await;
        assert_eq!(status, 200);
        assert!(html.contains(&first) && html.contains(&second), "{html}");
        assert!(html.contains("2026-12-11") && html.contains(&said_html("kasus.state.dispositioned", &[])), "{html}");
        let (_, red) = walidata.get_text("/layanan/kasus?colour=red").await;
        assert!(red.contains(&first) && red.contains(&second));
        let (_, received) = walidata.get_text("/layanan/kasus?state=received").await;
        assert!(!received.contains(&first) && received.contains(&second));
        let (_, page) = walidata.get_text(&format!("/layanan/kasus/{second}")).await;
        assert!(page.contains("siti.aminah@contoh.id"), "{page}");
        for offered in ["verify-action", "reject-action", "mark_duplicate-action"] {
            assert!(page.contains(&format!("id=\"{offered}\"")), "{offered}");
        }
        for refused in ["close-action", "start-action", "answer-action", "disposition-action"] {
            assert!(!page.contains(&format!("id=\"{refused}\"")), "{refused}");
        }

        // A rejection without a reason: the page again, the error beside its field, nothing stored.
        let path = format!("/layanan/kasus/{second}");
        let csrf = walidata.csrf(&path).await;
        let r = walidata.post_form(&path, &[("csrf", &csrf), ("action", "reject"), ("reason", " ")]).await;
        assert_eq!(r.status().as_u16(), 422);
        let html = r.text().await.unwrap();
        let error = format!("id=\"reject-reason-error\">{}", said_html("layanan.refusal.missing_reason", &[]));
        assert!(html.contains(&error), "{html}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases WHERE state = 'rejected'").await, 0);
        let r = walidata.post_form(&path, &[("csrf", &csrf), ("action", "reject"), ("reason", "Di luar kewenangan kabupaten.")]).await;
        assert_eq!(r.status().as_u16(), 303);
        let (_, page) = walidata.get_text(&path).await;
        assert!(page.contains("Di luar kewenangan kabupaten.") && page.contains(&said_html("kasus.state.rejected", &[])));

        // The agency's officer: its own case only, without the reporter; the form starts it.
        let officer = app.signed_in_as("operator@dpupr.id").await;
        let (_, html) = officer.get_text("/layanan/kasus").await;
        assert!(html.contains(&first) && !html.contains(&second), "{html}");
        assert_eq!(officer.get_text(&path).await.0, 403);
        let mine = format!("/layanan/kasus/{first}");
        let (_, page) = officer.get_text(&mine).await;
        assert!(!page.contains("siti.aminah@contoh.id") && page.contains("id=\"start-action\"") && !page.contains("id=\"verify-action\""));
        let csrf = officer.csrf(&mine).await;
        assert_eq!(officer.post_form(&mine, &[("csrf", &csrf), ("action", "start")]).await.status().as_u16(), 303);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases WHERE state = 'in_progress'").await, 1);
        // Another agency's officer sees none of it.
        let other = app.signed_in_as("operator@dinkes.id").await;
        let (_, html) = other.get_text("/layanan/kasus").await;
        assert!(!html.contains(&first) && !html.contains(&second));
        assert_eq!(other.get_text(&mine).await.0, 403);
    }
}

#[tokio::test]
async fn the_inbox_pages_through_many_cases_nearest_deadline_first() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let Staff { app, admin, .. } = staff(&db, &clock).await;
        // 60 cases filed over three working days: three deadlines.
        for day in 0..3 {
            for n in 0..20 {
                file(&app, &admin, &format!("Jalan rusak nomor {day}-{n}.")).await;
            }
            clock.advance(std::time::Duration::from_secs(24 * 3600));
        }

        // The API: 100 unless asked, `limit` and `offset`, `next_offset` while more follow.
        let (status, all) = call(&app, reqwest::Method::GET, "/api/v1/cases", &admin, None).await;
        assert_eq!((status, all["count"].clone(), all["next_offset"].clone()), (200, json!(60), Value::Null), "{all}");
        let (_, first) = call(&app, reqwest::Method::GET, "/api/v1/cases?limit=25", &admin, None).await;
        assert_eq!((first["count"].clone(), first["next_offset"].clone()), (json!(25), json!(25)));
        let (_, last) = call(&app, reqwest::Method::GET, "/api/v1/cases?limit=25&offset=50", &admin, None).await;
        assert_eq!((last["count"].clone(), last["next_offset"].clone()), (json!(10), Value::Null));
        let numbers =
            |v: &Value| v["cases"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        let everything = numbers(&all);
        assert_eq!(numbers(&first), everything[..25], "pages follow the list's order");
        assert_eq!(numbers(&last), everything[50..], "{}", app.label);
        let dues: Vec<&str> = all["cases"].as_array().unwrap().iter().map(|c| c["stage_due"].as_str().unwrap()).collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]), "nearest deadline first: {dues:?}");
        let (status, v) = call(&app, reqwest::Method::GET, "/api/v1/cases?limit=5000", &admin, None).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["error"]["fields"]["limit"][0], said("kasus.limit_invalid", &[("max", "1000")]));

        // The page: 50 a page, the next page's link keeps the filter.
        let browser = app.signed_in_as("walidata@kominfo.id").await;
        let (_, one) = browser.get_text("/layanan/kasus?state=received").await;
        assert_eq!(one.matches("<tr class=\"sla-").count(), 50);
        assert!(one.contains("href=\"/layanan/kasus?state=received&amp;halaman=2\""), "{one}");
        assert!(one.len() < 100_000, "{} bytes", one.len());
        let (_, two) = browser.get_text("/layanan/kasus?state=received&halaman=2").await;
        assert_eq!(two.matches("<tr class=\"sla-").count(), 10);
        assert!(two.contains("halaman=1\"") && !two.contains("halaman=3"), "{two}");
        assert!(two.contains(&everything[59]) && !two.contains(&format!(">{}<", everything[0])));
    }
}

/// 200 Open311 reports at once (the group writer files those that arrive
/// together in one transaction): 190 different reports, 10 of them sent a
/// second time with the same idempotency key, and one for a service that
/// does not exist. Every report gets its own number, in sequence without a
/// gap; a replay gets its first sending's case; the bad one its Open311
/// error; the store holds exactly the 190.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_filed_at_once_get_sequential_numbers_replays_their_case_and_a_bad_one_its_error() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let Staff { app, admin, .. } = staff(&db, &clock).await;
        let report = |n: usize, key: Option<String>, service: &str| {
            let mut fields = vec![
                ("service_code", service.to_string()),
                ("lat", "-7.1502".to_string()),
                ("long", "111.8817".to_string()),
                ("description", format!("Jalan berlubang di depan rumah nomor {n}.")),
                ("email", format!("warga{n}@contoh.id")),
                ("api_key", admin.clone()),
            ];
            fields.extend(key.map(|k| ("idempotency_key", k)));
            fields
        };
        let mut sent: Vec<Vec<(&str, String)>> = (0..190).map(|n| report(n, (n < 10).then(|| format!("aplikasi-{n}")), "JALAN")).collect();
        sent.extend((0..10).map(|n| report(n, Some(format!("aplikasi-{n}")), "JALAN")));
        sent.push(report(999, None, "TIDAKADA"));
        let posts: Vec<_> = sent
            .into_iter()
            .map(|fields| {
                let (client, url) = (app.client.clone(), app.url("/open311/v2/requests.json"));
                tokio::spawn(async move {
                    let r = client.post(url).form(&fields).send().await.unwrap();
                    (r.status().as_u16(), r.json::<Value>().await.unwrap())
                })
            })
            .collect();
        let mut answers = Vec::new();
        for post in posts {
            answers.push(post.await.unwrap());
        }

        let (status, bad) = answers.pop().unwrap();
        assert_eq!(status, 404, "{bad}");
        assert_eq!(bad[0]["description"], json!(said("layanan.open311_service_unknown", &[("code", "TIDAKADA")])));
        let numbers: Vec<String> = answers
            .iter()
            .map(|(status, v)| {
                assert_eq!(*status, 200, "{v} ({})", app.label);
                v[0]["service_request_id"].as_str().unwrap().to_string()
            })
            .collect();
        for n in 0..10 {
            assert_eq!(numbers[n], numbers[190 + n], "a replay gets its case ({})", app.label);
        }
        let mut distinct = numbers[..190].to_vec();
        distinct.sort();
        let expected: Vec<String> = (1..=190).map(|n| format!("2026-{n:06}")).collect();
        assert_eq!(distinct, expected, "one number each, in sequence ({})", app.label);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases").await, 190);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_case_history WHERE action = 'file'").await, 190);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM jobs WHERE kind = 'layanan:deadline'").await, 190);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_notifications WHERE event = 'filed'").await, 190);
        // Each case is the report that got its number.
        for n in [0usize, 57, 189] {
            let text: String = app
                .store
                .fetch_scalar(pendopo::store::sql("SELECT description FROM service_cases WHERE number = $1").bind(numbers[n].as_str()))
                .await
                .unwrap();
            assert_eq!(text, format!("Jalan berlubang di depan rumah nomor {n}."));
        }
    }
}
