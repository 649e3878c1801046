//! Each stage's deadline as a durable job (`layanan:deadline`), queued in
//! the transaction that files or moves the case, due when the deadline day
//! has ended in the region's zone. When it runs it reads the case again:
//! a case that has moved on is left alone; one still in that stage with
//! that deadline is escalated (history row `escalate` by the system, the
//! agency head and the coordinator told), or, after an answer nobody
//! replied to, auto-closed through `workflow::apply`. The escalation is a
//! conditional update, so with several servers it happens once.

use kalender::Date;
use layanan::case::{Action, Stage, State};
use serde_json::json;

use super::workflow::{self, HistoryRow, Move, MoveError, StaffCase};
use crate::kernel::jobs::{self, Job, NewJob};
use crate::store::{Store, StoreError, Tx, sql};
use crate::web::App;

pub const DEADLINE_JOB: &str = "layanan:deadline";

fn stage_code(stage: Stage) -> &'static str {
    match stage {
        Stage::Verify => "verify",
        Stage::FollowUp => "follow_up",
        Stage::Resolution => "resolution",
        Stage::AutoClose => "auto_close",
    }
}

/// The region's offset from UTC in hours (tenant ids are region codes).
fn utc_offset_hours(tenant: &str) -> i64 {
    wilayah::Code::parse(tenant).map(|c| wilayah::TimeZone::of_province(c.province_number()).utc_offset_hours()).unwrap_or(7)
}

/// The region's day now, on the store's clock.
pub fn today(store: &Store, tenant: &str) -> Date {
    Date::from_unix_millis(store.now_ms(), utc_offset_hours(tenant)).expect("the clock is within the calendar")
}

/// The first moment after `due` in the region's zone (ms): a case is
/// overdue from the next day on, work done on the due day is on time.
pub fn end_of(tenant: &str, due: Date) -> i64 {
    ((due.days_since_epoch() + 1) * 86_400 - utc_offset_hours(tenant) * 3600) * 1000
}

/// Queues the deadline job of a stage, in the caller's transaction. The key
/// (case, stage, due) makes a second scheduling of the same deadline one job.
pub async fn schedule(tx: &mut Tx, tenant: &str, case_id: &str, stage: Option<Stage>, due: Option<Date>) -> Result<(), StoreError> {
    let (Some(stage), Some(due)) = (stage, due) else { return Ok(()) };
    let stage = stage_code(stage);
    let job = NewJob {
        tenant: tenant.into(),
        kind: DEADLINE_JOB,
        dedup_key: format!("{case_id}:{stage}:{due}"),
        payload: json!({ "case": case_id, "stage": stage, "due": due.to_string() }),
        run_at: end_of(tenant, due),
        max_attempts: 10,
    };
    jobs::enqueue(tx, &job).await?;
    Ok(())
}

/// The job: escalate or auto-close a case still in the stage it was due to
/// leave; nothing for one that moved on.
pub async fn run(app: App, job: Job) -> Result<(), String> {
    let store = &app.store;
    let tenant = job.tenant_id.as_str();
    let case_id = crate::worker::text(&job, "case")?;
    let stage = crate::worker::text(&job, "stage")?;
    let due: Date = crate::worker::text(&job, "due")?.parse().map_err(|_| "the job's due day is not a date".to_string())?;
    let Some(case) = workflow::by_id(store, tenant, &case_id).await.map_err(|e| e.to_string())? else { return Ok(()) };
    let current = case.state.stage().map(stage_code);
    if current != Some(stage.as_str()) || case.stage_due != Some(due) {
        return Ok(());
    }
    if current == Some("auto_close") {
        let step = Move { action: Action::AutoClose, agency_id: None, note: String::new(), actor: None, files: Vec::new() };
        return match workflow::apply(store, tenant, &case, &step, today(store, tenant)).await {
            // Moved meanwhile (the reporter replied, or another server closed it).
            Ok(_) | Err(MoveError::Raced) | Err(MoveError::Refused(_)) => Ok(()),
            Err(MoveError::Store(e)) => Err(e.to_string()),
        };
    }
    escalate(store, tenant, &case, &stage, due).await.map_err(|e| e.to_string())
}

/// Marks the case escalated with its history row and the notifications to
/// the agency head and the coordinators, once: the update only takes a case
/// still in that state with that deadline and not escalated yet.
async fn escalate(store: &Store, tenant: &str, case: &StaffCase, stage: &str, due: Date) -> Result<(), StoreError> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let changed = tx
        .execute(
            sql("UPDATE service_cases SET escalated_at = $1
                 WHERE tenant_id = $2 AND id = $3 AND state = $4 AND stage_due = $5 AND escalated_at IS NULL")
            .bind(now)
            .bind(tenant)
            .bind(&case.id)
            .bind(case.state.code())
            .bind(due.to_string()),
        )
        .await?;
    if changed != 1 {
        return Ok(());
    }
    let note = format!("{stage} {due}");
    let state: State = case.state;
    workflow::record(
        &mut tx,
        tenant,
        &case.id,
        now,
        &HistoryRow { action: "escalate", from: state, to: state, actor: None, note: &note, handed_to: None },
    )
    .await?;
    super::notify::escalated(&mut tx, tenant, case, stage, due).await?;
    // One more overdue case: the catalogue's figures follow.
    super::datasets::changed(&mut tx, tenant, now).await?;
    tx.commit().await?;
    tracing::info!(number = %case.number, stage, "case escalated");
    Ok(())
}
