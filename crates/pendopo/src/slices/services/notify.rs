//! Notifications of case events: one outbox row per recipient
//! (`service_notifications`), written in the transaction of the event it
//! tells of, with a `layanan:notify` job that sends it by email when the
//! server has an SMTP URL, or else keeps it (state `kept`) for the staff
//! pages. Nothing is lost: a failed send stays `pending` with its error and
//! is retried with the job's backoff.
//!
//! Who hears what: the reporter (when they left an address) of the filing,
//! an answer, a question and the auto-close; the agency's officers of a
//! disposition, a reply and a "not resolved"; the colleague a case is
//! handed on to, of the hand-on; the agency head (the
//! agency's `org_admin` accounts: Pendopo has no separate head role, the
//! organisation's administrator stands for its *kepala*) and the
//! coordinators (the region admins) of an escalation. Mails to an agency
//! never carry the reporter's name or contacts; texts are in Bahasa
//! Indonesia; logs name the case, never an address.

use std::sync::OnceLock;

use kalender::Date;
use layanan::case::Action;
use serde::Serialize;
use serde_json::json;

use super::workflow::StaffCase;
use crate::kernel::identity::new_id;
use crate::kernel::jobs::{self, Job, NewJob};
use crate::store::{Store, StoreError, Tx, sql};
use crate::web::App;
use crate::web::ui::{Catalog, Lang};

pub const SEND_JOB: &str = "layanan:notify";

/// Who a notification is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Reporter,
    Agency,
    Coordinator,
    Head,
}

impl Audience {
    pub fn code(self) -> &'static str {
        match self {
            Audience::Reporter => "reporter",
            Audience::Agency => "agency",
            Audience::Coordinator => "coordinator",
            Audience::Head => "head",
        }
    }
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(Catalog::embedded)
}

/// What a message says: the event and the case's facts it names.
struct Event<'a> {
    name: &'static str,
    number: &'a str,
    service: &'a str,
    due: Option<Date>,
    text: &'a str,
}

/// The subject's and the body's catalogue keys of an event.
fn keys(event: &str) -> (&'static str, &'static str) {
    match event {
        "filed" => ("notif.filed.subject", "notif.filed.body"),
        "dispositioned" => ("notif.dispositioned.subject", "notif.dispositioned.body"),
        "answered" => ("notif.answered.subject", "notif.answered.body"),
        "asked" => ("notif.asked.subject", "notif.asked.body"),
        "replied" => ("notif.replied.subject", "notif.replied.body"),
        "not_resolved" => ("notif.not_resolved.subject", "notif.not_resolved.body"),
        "handed_on" => ("notif.handed_on.subject", "notif.handed_on.body"),
        "escalated" => ("notif.escalated.subject", "notif.escalated.body"),
        _ => ("notif.auto_closed.subject", "notif.auto_closed.body"),
    }
}

/// A stage's name in the messages.
fn stage_key(stage: &str) -> &'static str {
    match stage {
        "verify" => "notif.stage.verify",
        "follow_up" => "notif.stage.follow_up",
        "resolution" => "notif.stage.resolution",
        _ => "notif.stage.auto_close",
    }
}

impl Event<'_> {
    fn say(&self, key: &str) -> String {
        let args = [
            ("number", self.number.to_string()),
            ("service", self.service.to_string()),
            ("due", self.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into())),
            ("text", self.text.to_string()),
        ];
        catalog().text(Lang::Id, key, &args)
    }
}

/// Queues one message to each address, in the caller's transaction.
async fn queue(tx: &mut Tx, tenant: &str, case_id: &str, audience: Audience, to: &[String], event: &Event<'_>) -> Result<(), StoreError> {
    let footer = catalog().text(Lang::Id, "notif.footer", &[]);
    let (subject_key, body_key) = keys(event.name);
    let (subject, body) = (event.say(subject_key), format!("{}\n\n{footer}\n", event.say(body_key)));
    let now = tx.now_ms();
    for recipient in to {
        let id = new_id();
        tx.execute(
            sql("INSERT INTO service_notifications (tenant_id, id, case_id, event, audience, recipient, subject, body, state, attempts,
                    last_error, created_at, sent_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, '', $9, NULL)")
            .bind(tenant)
            .bind(id.as_str())
            .bind(case_id)
            .bind(event.name)
            .bind(audience.code())
            .bind(recipient.as_str())
            .bind(subject.as_str())
            .bind(body.as_str())
            .bind(now),
        )
        .await?;
        // Retried for about a day (the backoff tops out at an hour) before the
        // job gives up; the row then stays pending with its error, in sight.
        let job = NewJob { max_attempts: 30, ..NewJob::now(now, tenant, SEND_JOB, id.as_str(), json!({ "id": id })) };
        jobs::enqueue(tx, &job).await?;
    }
    Ok(())
}

/// The addresses of users matching `filter` (a fixed SQL condition on `users`).
async fn addresses(tx: &mut Tx, tenant: &str, filter: &str, org: Option<&str>) -> Result<Vec<String>, StoreError> {
    let q = crate::store::sql_built(format!(
        "SELECT email FROM users WHERE tenant_id = $1 AND disabled = 0 AND ({filter}) AND ($2 = '' OR org_id = $2) ORDER BY email"
    ));
    let rows = tx.fetch_all(q.bind(tenant).bind(org.unwrap_or(""))).await?;
    rows.iter().map(|r| r.get::<String>("email")).collect()
}

async fn officers(tx: &mut Tx, tenant: &str, agency: &str) -> Result<Vec<String>, StoreError> {
    addresses(tx, tenant, "role IN ('org_admin', 'editor')", Some(agency)).await
}

/// The address of the colleague a case was handed to (a user id).
async fn colleague(tx: &mut Tx, tenant: &str, user_id: &str) -> Result<Vec<String>, StoreError> {
    let q = sql("SELECT email FROM users WHERE tenant_id = $1 AND id = $2 AND disabled = 0").bind(tenant).bind(user_id);
    tx.fetch_optional(q).await?.map(|r| r.get::<String>("email")).transpose().map(|e| e.into_iter().collect())
}

fn reporter(case_email: Option<&str>) -> Vec<String> {
    case_email.map(str::trim).filter(|e| crate::kernel::mail::plain_address(e)).map(|e| vec![e.to_string()]).unwrap_or_default()
}

/// The reporter's receipt of a filing, when they left an address.
pub async fn filed(
    tx: &mut Tx,
    tenant: &str,
    case_id: &str,
    number: &str,
    service: &str,
    email: Option<&str>,
    due: Date,
) -> Result<(), StoreError> {
    let event = Event { name: "filed", number, service, due: Some(due), text: "" };
    queue(tx, tenant, case_id, Audience::Reporter, &reporter(email), &event).await
}

/// The notifications of a step `workflow::apply` takes.
pub async fn after_move(
    tx: &mut Tx,
    tenant: &str,
    case: &StaffCase,
    action: &Action,
    note: &str,
    agency: Option<&str>,
    due: Option<Date>,
) -> Result<(), StoreError> {
    let (name, audience) = match action {
        Action::Disposition { .. } => ("dispositioned", Audience::Agency),
        Action::Answer => ("answered", Audience::Reporter),
        Action::AskReporter => ("asked", Audience::Reporter),
        Action::ReporterReplies => ("replied", Audience::Agency),
        Action::NotResolved => ("not_resolved", Audience::Agency),
        Action::AutoClose => ("auto_closed", Audience::Reporter),
        Action::HandOn { .. } => ("handed_on", Audience::Agency),
        _ => return Ok(()),
    };
    let to = match (action, audience, agency) {
        (Action::HandOn { to }, ..) => colleague(tx, tenant, to).await?,
        (_, Audience::Reporter, _) => reporter(case.reporter_email.as_deref()),
        (_, _, Some(agency)) => officers(tx, tenant, agency).await?,
        // A reply before any agency holds the case is the coordinator's to read.
        (_, _, None) => return Ok(()),
    };
    let event = Event { name, number: &case.number, service: &case.service_code, due, text: quoted(action, case, note) };
    queue(tx, tenant, &case.id, audience, &to, &event).await
}

/// The text a message quotes: the report itself for a disposition (the
/// reporter's name is kept apart from it), else the step's note (the
/// answer, the question, the reply).
fn quoted<'a>(action: &Action, case: &'a StaffCase, note: &'a str) -> &'a str {
    match action {
        Action::Disposition { .. } => &case.description,
        _ => note,
    }
}

/// An escalation: the agency head (when an agency holds the case) and the
/// coordinators.
pub async fn escalated(tx: &mut Tx, tenant: &str, case: &StaffCase, stage: &str, due: Date) -> Result<(), StoreError> {
    let stage_name = catalog().text(Lang::Id, stage_key(stage), &[]);
    let event = Event { name: "escalated", number: &case.number, service: &case.service_code, due: Some(due), text: &stage_name };
    if let Some(agency) = &case.agency_id {
        let heads = addresses(tx, tenant, "role = 'org_admin'", Some(agency)).await?;
        queue(tx, tenant, &case.id, Audience::Head, &heads, &event).await?;
    }
    let coordinators = addresses(tx, tenant, "role IN ('walidata', 'sysadmin')", None).await?;
    queue(tx, tenant, &case.id, Audience::Coordinator, &coordinators, &event).await
}

/// The job: send one notification, or keep it when there is no SMTP server.
pub async fn send(app: App, job: Job) -> Result<(), String> {
    let store = &app.store;
    let id = crate::worker::text(&job, "id")?;
    let tenant = job.tenant_id.as_str();
    let q =
        sql("SELECT recipient, subject, body, state FROM service_notifications WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(&id);
    let Some(row) = store.fetch_optional(q).await.map_err(|e| e.to_string())? else { return Ok(()) };
    let field = |name: &str| row.get::<String>(name).map_err(|e| e.to_string());
    if field("state")? != "pending" {
        return Ok(());
    }
    let Some(smtp) = &app.smtp else {
        mark(store, tenant, &id, "kept", "").await.map_err(|e| e.to_string())?;
        return Ok(());
    };
    match smtp.send(&field("recipient")?, &field("subject")?, &field("body")?).await {
        Ok(()) => mark(store, tenant, &id, "sent", "").await.map_err(|e| e.to_string()),
        Err(e) => {
            mark(store, tenant, &id, "pending", &e).await.map_err(|e| e.to_string())?;
            Err(e)
        }
    }
}

async fn mark(store: &Store, tenant: &str, id: &str, state: &str, error: &str) -> Result<(), StoreError> {
    let now = store.now_ms();
    let sent_at = (state == "sent").then_some(now);
    store
        .execute(
            sql("UPDATE service_notifications SET state = $1, last_error = $2, sent_at = $3,
                    attempts = attempts + CASE WHEN $1 = 'kept' THEN 0 ELSE 1 END
                 WHERE tenant_id = $4 AND id = $5")
            .bind(state)
            .bind(error)
            .bind(sent_at)
            .bind(tenant)
            .bind(id),
        )
        .await?;
    Ok(())
}

/// A notification as the staff pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub number: String,
    pub event: String,
    pub audience: String,
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The newest notifications of the region, or of one case.
pub async fn list(store: &Store, tenant: &str, case_id: Option<&str>, limit: i64) -> Result<Vec<Notification>, StoreError> {
    let q = sql("SELECT c.number, n.event, n.audience, n.recipient, n.subject, n.state, n.attempts, n.last_error, n.created_at, n.sent_at
         FROM service_notifications n JOIN service_cases c ON c.tenant_id = n.tenant_id AND c.id = n.case_id
         WHERE n.tenant_id = $1 AND ($2 = '' OR n.case_id = $2) ORDER BY n.created_at DESC, n.id DESC LIMIT $3")
    .bind(tenant)
    .bind(case_id.unwrap_or(""))
    .bind(limit);
    store
        .fetch_all(q)
        .await?
        .iter()
        .map(|r| {
            Ok(Notification {
                number: r.get("number")?,
                event: r.get("event")?,
                audience: r.get("audience")?,
                recipient: r.get("recipient")?,
                subject: r.get("subject")?,
                state: r.get("state")?,
                attempts: r.get("attempts")?,
                last_error: r.get("last_error")?,
                created_at: r.get("created_at")?,
                sent_at: r.get("sent_at")?,
            })
        })
        .collect()
}
