//! Deadlines, escalation, auto-close and notifications of cases, on both
//! engines, on the store's manual clock: a missed working-day deadline
//! (across a weekend and a region holiday) escalates once with two servers,
//! never before the day has ended; an answer nobody replies to closes
//! itself; notifications are kept for the staff pages without an SMTP
//! server, and with one (a sink this test starts) reach the reporter and the
//! agency, waiting while the server is down.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::common::{TestApp, each_engine, said_html, spawn_clocked, spawn_clocked_with};
use crate::service_cases::{FRIDAY_MORNING, Staff, act, call, count, file, staff_of};

/// Midnight starting the day `days` after Friday 4 December 2026, WIB, plus `minutes`.
fn at(days: i64, minutes: i64) -> i64 {
    FRIDAY_MORNING - 10 * 3_600_000 + days * 86_400_000 + minutes * 60_000
}

fn move_to(clock: &pendopo::clock::Clock, ms: i64) {
    let now = clock.now_ms();
    assert!(ms >= now, "the clock only moves forward");
    clock.advance(Duration::from_millis((ms - now) as u64));
}

async fn case(app: &TestApp, number: &str, token: &str) -> Value {
    let (status, v) = call(app, reqwest::Method::GET, &format!("/api/v1/cases/{number}"), token, None).await;
    assert_eq!(status, 200, "{v}");
    v
}

fn escalations(v: &Value) -> Vec<&Value> {
    v["history"].as_array().unwrap().iter().filter(|h| h["action"] == "escalate").collect()
}

async fn overdue_in_public(app: &TestApp, number: &str) -> Value {
    let v: Value = app.get(&format!("/open311/v2/requests/{number}.json?extensions=true")).await.json().await.unwrap();
    v[0]["extended_attributes"]["overdue"].clone()
}

/// `(audience, recipient, event, state)` of a case's notifications, sorted.
async fn notifications(app: &TestApp, number: &str) -> Vec<(String, String, String, String)> {
    let q = pendopo::store::sql(
        "SELECT n.audience, n.recipient, n.event, n.state FROM service_notifications n
         JOIN service_cases c ON c.tenant_id = n.tenant_id AND c.id = n.case_id WHERE c.number = $1
         ORDER BY n.event, n.audience, n.recipient",
    )
    .bind(number);
    let rows = app.store.fetch_all(q).await.unwrap();
    rows.iter()
        .map(|r| (r.get("audience").unwrap(), r.get("recipient").unwrap(), r.get("event").unwrap(), r.get("state").unwrap()))
        .collect()
}

fn n(audience: &str, recipient: &str, event: &str, state: &str) -> (String, String, String, String) {
    (audience.into(), recipient.into(), event.into(), state.into())
}

/// The agency head of dpupr (its organisation admin), besides the officers.
async fn add_head(app: &TestApp) {
    app.add_user("kepala@dpupr.id", "org_admin", Some("dpupr")).await;
}

#[tokio::test]
async fn a_missed_deadline_escalates_once_after_the_working_days_across_a_weekend_and_a_holiday() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let Staff { app, admin, officer, .. } = staff_of(spawn_clocked(&db, clock.clone()).await).await;
        add_head(&app).await;
        // A second server on the same database and clock.
        let other_server = spawn_clocked(&db, clock.clone()).await;
        // Tuesday 8 December is a region holiday, entered by the walidata.
        let walidata = app.signed_in_as("walidata@kominfo.id").await;
        let csrf = walidata.csrf("/admin/libur?tahun=2026").await;
        let fields = [("csrf", csrf.as_str()), ("tanggal", "2026-12-08"), ("nama", "Libur daerah"), ("jenis", "libur_daerah")];
        assert_eq!(walidata.post_form("/admin/libur", &fields).await.status(), 303);

        // Filed on Friday: three working days skip the weekend and Tuesday,
        // Thursday 10 December (Wednesday without the holiday).
        let number = file(&app, &admin, "Jalan di Desa Sukorejo berlubang besar.").await;
        assert_eq!(case(&app, &number, &admin).await["stage_due"], "2026-12-10", "{}", db.label);
        app.drain_jobs().await;
        assert_eq!(overdue_in_public(&app, &number).await, json!(false));

        // Through the weekend, the holiday and all of Thursday: nothing happens.
        for moment in [at(3, 0), at(5, 0), at(6, 0), at(6, 24 * 60 - 1)] {
            move_to(&clock, moment);
            app.drain_jobs().await;
            assert!(escalations(&case(&app, &number, &admin).await).is_empty(), "escalated too early, at {moment}");
        }
        assert_eq!(overdue_in_public(&app, &number).await, json!(false));

        // Friday 11 December: both servers drain at once; one escalation.
        move_to(&clock, at(7, 1));
        tokio::join!(app.drain_jobs(), other_server.drain_jobs());
        let v = case(&app, &number, &admin).await;
        let rows = escalations(&v);
        assert_eq!(rows.len(), 1, "{v}");
        assert_eq!(
            (rows[0]["to_state"].clone(), rows[0]["actor"].clone()),
            (json!("received"), Value::Null),
            "by the system, state unchanged"
        );
        assert_eq!(v["state"], "received");
        assert_eq!(overdue_in_public(&app, &number).await, json!(true), "flagged in public");
        // Without an SMTP server: the receipt and the coordinator's message, kept.
        assert_eq!(
            notifications(&app, &number).await,
            vec![n("coordinator", "walidata@kominfo.id", "escalated", "kept"), n("reporter", "siti.aminah@contoh.id", "filed", "kept"),]
        );

        // Dispositioned: a new deadline (five working days, Friday 18th), no longer overdue.
        assert_eq!(act(&app, &number, &admin, json!({ "action": "verify" })).await.0, 200);
        let (status, v) = act(&app, &number, &admin, json!({ "action": "disposition", "agency": "dpupr" })).await;
        assert_eq!((status, v["stage_due"].clone()), (200, json!("2026-12-18")), "{v}");
        assert_eq!(overdue_in_public(&app, &number).await, json!(false));
        move_to(&clock, at(14, 24 * 60 - 1));
        app.drain_jobs().await;
        assert_eq!(escalations(&case(&app, &number, &admin).await).len(), 1);
        // Saturday 19th: the follow-up is late; the agency head and the coordinator are told, once.
        move_to(&clock, at(15, 0));
        tokio::join!(app.drain_jobs(), other_server.drain_jobs());
        assert_eq!(escalations(&case(&app, &number, &admin).await).len(), 2);
        let told: Vec<_> = notifications(&app, &number).await.into_iter().filter(|(_, _, e, _)| e != "filed").collect();
        assert_eq!(
            told,
            vec![
                n("agency", "kepala@dpupr.id", "dispositioned", "kept"),
                n("agency", "operator@dpupr.id", "dispositioned", "kept"),
                n("coordinator", "walidata@kominfo.id", "escalated", "kept"),
                n("coordinator", "walidata@kominfo.id", "escalated", "kept"),
                n("head", "kepala@dpupr.id", "escalated", "kept"),
            ]
        );

        // A case that moved on before its deadline is left alone.
        let second = file(&app, &admin, "Lampu jalan mati.").await;
        assert_eq!(act(&app, &second, &admin, json!({ "action": "reject", "reason": "Bukan kewenangan kabupaten." })).await.0, 200);
        move_to(&clock, at(30, 0));
        app.drain_jobs().await;
        assert!(escalations(&case(&app, &second, &admin).await).is_empty());

        // The coordinators' outbox page; not for an agency's officer, whose
        // case page leaves out the mails to the reporter (signed in again:
        // a month has passed on the clock).
        let walidata = app.signed_in_as("walidata@kominfo.id").await;
        assert!(walidata.get_text("/layanan/kasus").await.1.contains("href=\"/layanan/notifikasi\""), "the inbox links the outbox");
        let (status, page) = walidata.get_text("/layanan/notifikasi").await;
        assert_eq!(status, 200);
        assert!(page.contains("siti.aminah@contoh.id") && page.contains(&said_html("notif.state.kept", &[])), "{page}");
        let dpupr = app.signed_in_as("operator@dpupr.id").await;
        assert_eq!(dpupr.get_text("/layanan/notifikasi").await.0, 403);
        assert!(!dpupr.get_text("/layanan/kasus").await.1.contains("href=\"/layanan/notifikasi\""));
        let (status, page) = dpupr.get_text(&format!("/layanan/kasus/{number}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("kepala@dpupr.id") && !page.contains("siti.aminah@contoh.id"), "{page}");
        let (_, page) = walidata.get_text(&format!("/layanan/kasus/{number}")).await;
        assert!(page.contains(&said_html("kasus.action.escalate", &[])), "{page}");
        let _ = officer;
    }
}

#[tokio::test]
async fn an_answer_without_reply_closes_itself_after_ten_working_days_unless_the_case_moved_on() {
    for db in each_engine().await {
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let Staff { app, admin, officer, .. } = staff_of(spawn_clocked(&db, clock.clone()).await).await;
        let mut numbers = Vec::new();
        for text in ["Jembatan retak.", "Selokan tersumbat."] {
            let number = file(&app, &admin, text).await;
            assert_eq!(act(&app, &number, &admin, json!({ "action": "verify" })).await.0, 200);
            assert_eq!(act(&app, &number, &admin, json!({ "action": "disposition", "agency": "dpupr" })).await.0, 200);
            let (status, v) = act(&app, &number, &officer, json!({ "action": "answer", "text": "Sudah diperbaiki." })).await;
            // Ten working days from Friday 4th: Friday 18th.
            assert_eq!((status, v["stage_due"].clone()), (200, json!("2026-12-18")), "{v}");
            numbers.push(number);
        }
        // The coordinator closes the second: its auto-close has nothing left to do.
        assert_eq!(act(&app, &numbers[1], &admin, json!({ "action": "close" })).await.0, 200);
        move_to(&clock, at(14, 24 * 60 - 1));
        app.drain_jobs().await;
        assert_eq!(case(&app, &numbers[0], &admin).await["state"], "answered");
        move_to(&clock, at(15, 0));
        app.drain_jobs().await;
        let v = case(&app, &numbers[0], &admin).await;
        assert_eq!(v["state"], "auto_closed", "{v}");
        let last = v["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["action"].clone(), last["actor"].clone()), (json!("auto_close"), Value::Null), "{v}");
        let v = case(&app, &numbers[1], &admin).await;
        assert_eq!((v["state"].clone(), v["history"].as_array().unwrap().len()), (json!("closed"), 5), "{v}");
        assert!(escalations(&case(&app, &numbers[0], &admin).await).is_empty(), "an auto-close is no escalation");
        // The reporter hears of the filing, the answer and the close; the agency of the disposition.
        let reporter = "siti.aminah@contoh.id";
        assert_eq!(
            notifications(&app, &numbers[0]).await,
            vec![
                n("reporter", reporter, "answered", "kept"),
                n("reporter", reporter, "auto_closed", "kept"),
                n("agency", "operator@dpupr.id", "dispositioned", "kept"),
                n("reporter", reporter, "filed", "kept"),
            ]
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_cases WHERE state = 'auto_closed'").await, 1);
    }
}

/// A mail as the SMTP sink received it.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// A small SMTP server on `listener` that accepts every mail and records it.
pub(crate) fn smtp_sink(listener: TcpListener) -> Arc<Mutex<Vec<Mail>>> {
    let mails = Arc::new(Mutex::new(Vec::new()));
    let kept = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(smtp_session(socket, kept.clone()));
        }
    });
    mails
}

async fn smtp_session(socket: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let reply = async |w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str| w.write_all(text.as_bytes()).await.is_ok();
    if !reply(&mut write, "220 sink ESMTP\r\n").await {
        return;
    }
    let between = |line: &str| line.split_once('<').and_then(|(_, r)| r.split_once('>')).map(|(a, _)| a.to_string()).unwrap_or_default();
    let (mut from, mut to) = (String::new(), Vec::new());
    loop {
        let mut line = String::new();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let upper = line.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            "250-sink\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = between(&line);
            "250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(between(&line));
            "250 OK\r\n"
        } else if upper.starts_with("DATA") {
            if !reply(&mut write, "354 go on\r\n").await {
                return;
            }
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                    return;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            mails.lock().unwrap().push(Mail { from: from.clone(), to: std::mem::take(&mut to), data });
            "250 kept\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = reply(&mut write, "221 bye\r\n").await;
            return;
        } else {
            "502 what\r\n"
        };
        if !reply(&mut write, answer).await {
            return;
        }
    }
}

fn mails_to(mails: &Arc<Mutex<Vec<Mail>>>, to: &str) -> Vec<Mail> {
    mails.lock().unwrap().iter().filter(|m| m.to == [to]).cloned().collect()
}

#[tokio::test]
async fn notifications_reach_the_reporter_and_the_agency_by_smtp_and_wait_while_the_server_is_down() {
    for db in each_engine().await {
        // The SMTP server's address, with no server on it yet.
        let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let smtp = pendopo::kernel::mail::Smtp::parse(&format!("smtp://{addr}?from=lapor@bojonegorokab.go.id")).unwrap();
        let clock = pendopo::clock::Clock::manual(FRIDAY_MORNING);
        let app = spawn_clocked_with(&db, clock.clone(), |c| pendopo::web::WebConfig { smtp: Some(smtp), ..c }).await;
        let Staff { app, admin, officer, .. } = staff_of(app).await;
        add_head(&app).await;

        // An anonymous report with the reporter's address; the mail server is down.
        let fields = [
            ("service_code", "JALAN"),
            ("lat", "-7.1502"),
            ("long", "111.8817"),
            ("description", "Jalan ambles di depan balai desa."),
            ("first_name", "Siti"),
            ("last_name", "Aminah"),
            ("email", "siti.aminah@contoh.id"),
            ("phone", "081234567890"),
            ("anonim", "true"),
            ("api_key", admin.as_str()),
        ];
        let r = app.client.post(app.url("/open311/v2/requests.json")).form(&fields).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let number = r.json::<Value>().await.unwrap()[0]["service_request_id"].as_str().unwrap().to_string();
        app.drain_jobs().await;
        let q = "SELECT COUNT(*) FROM service_notifications WHERE state = 'pending' AND attempts >= 1 AND last_error LIKE '%SMTP%'";
        assert_eq!(count(&app, q).await, 1, "kept pending with its error, {}", db.label);
        let walidata = app.signed_in_as("walidata@kominfo.id").await;
        let (_, page) = walidata.get_text("/layanan/notifikasi").await;
        assert!(page.contains(&said_html("notif.state.pending", &[])), "{page}");

        // The server comes back; the retry after the backoff delivers the receipt.
        let mails = smtp_sink(TcpListener::bind(addr).await.unwrap());
        clock.advance(Duration::from_secs(5));
        app.drain_jobs().await;
        let receipts = mails_to(&mails, "siti.aminah@contoh.id");
        assert_eq!(receipts.len(), 1, "{:?}", mails.lock().unwrap());
        assert_eq!(receipts[0].from, "lapor@bojonegorokab.go.id");
        assert!(receipts[0].data.contains(&format!("Subject: Laporan {number} telah diterima")), "{}", receipts[0].data);
        assert!(receipts[0].data.contains("2026-12-09"), "the verification deadline: {}", receipts[0].data);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM service_notifications WHERE state = 'sent' AND sent_at IS NOT NULL").await, 1);

        // Dispositioned: the agency's officers are told, without the anonymous reporter's name or contacts.
        assert_eq!(act(&app, &number, &admin, json!({ "action": "verify" })).await.0, 200);
        assert_eq!(act(&app, &number, &admin, json!({ "action": "disposition", "agency": "dpupr" })).await.0, 200);
        app.drain_jobs().await;
        for officer_address in ["operator@dpupr.id", "kepala@dpupr.id"] {
            let got = mails_to(&mails, officer_address);
            assert_eq!(got.len(), 1, "{officer_address}");
            assert!(got[0].data.contains(&format!("Laporan {number} diteruskan")) && got[0].data.contains("Jalan ambles"));
            for private in ["Siti", "Aminah", "siti.aminah", "081234567890"] {
                assert!(!got[0].data.contains(private), "{private} in the agency's mail");
            }
        }
        assert!(mails_to(&mails, "operator@dinkes.id").is_empty(), "another agency hears nothing");

        // Answered: the reporter gets the answer.
        assert_eq!(act(&app, &number, &officer, json!({ "action": "answer", "text": "Sudah diurug dan diaspal." })).await.0, 200);
        app.drain_jobs().await;
        let to_reporter = mails_to(&mails, "siti.aminah@contoh.id");
        assert_eq!(to_reporter.len(), 2);
        assert!(
            to_reporter[1].data.contains("Sudah diurug dan diaspal.") && to_reporter[1].data.contains("dijawab"),
            "{}",
            to_reporter[1].data
        );
        let unsent = "SELECT COUNT(*) FROM service_notifications WHERE state <> 'sent'";
        assert_eq!(count(&app, unsent).await, 0, "nothing lost, nothing merely kept");
    }
}
