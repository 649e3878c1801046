//! Staff move a case through its life cycle: every step is
//! `layanan::case::transition`'s (no second copy of the rules here), stored
//! in one transaction with its history row (who, when, why, the files it
//! carries, the colleague a hand-on went to) and the new stage's deadline
//! on the region's working-day calendar.

use kalender::Date;
use layanan::case::{Action, Refusal, Stage, State};

use super::attachments::{self, Attachment, Listed};
use super::cases::Audience;
use super::repo;
use crate::store::{Row, Store, StoreError, Tx, Value, sql, sql_built};

/// A case as staff see it. The reporter's contacts are here; the handlers
/// decide who may see them.
#[derive(Debug, Clone)]
pub struct StaffCase {
    pub id: String,
    pub number: String,
    pub service_code: String,
    pub state: State,
    pub description: String,
    pub stage_due: Option<Date>,
    pub agency_id: Option<String>,
    pub agency_slug: Option<String>,
    pub duplicate_of: Option<String>,
    pub referred_to: Option<String>,
    pub verified_on: Option<Date>,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    pub anonymous: bool,
    pub confidential: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the deadline job escalated the current stage (cleared when
    /// the case gets another deadline).
    pub escalated_at: Option<i64>,
    /// The agency's officer a colleague handed the case to (a user id),
    /// and their address as the pages show it.
    pub assignee: Option<String>,
    pub assignee_email: Option<String>,
}

const COLUMNS: &str = "SELECT c.id, c.number, s.code AS service_code, c.state, c.description, c.stage_due, c.agency_id,
        o.slug AS agency_slug, c.duplicate_of, c.referred_to, c.verified_on, c.reporter_name, c.reporter_email,
        c.reporter_phone, c.anonymous, c.confidential, c.created_at, c.updated_at, c.escalated_at, c.assignee,
        a.email AS assignee_email
    FROM service_cases c
    JOIN services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id
    LEFT JOIN organizations o ON o.tenant_id = c.tenant_id AND o.id = c.agency_id
    LEFT JOIN users a ON a.tenant_id = c.tenant_id AND a.id = c.assignee";

fn date(r: &Row, column: &str) -> Result<Option<Date>, StoreError> {
    Ok(r.get::<Option<String>>(column)?.and_then(|d| d.parse().ok()))
}

fn from_row(r: &Row) -> Result<StaffCase, StoreError> {
    let state: String = r.get("state")?;
    Ok(StaffCase {
        id: r.get("id")?,
        number: r.get("number")?,
        service_code: r.get("service_code")?,
        state: State::from_code(&state).ok_or_else(|| StoreError::Decode { column: "state".into(), reason: state.clone() })?,
        description: r.get("description")?,
        stage_due: date(r, "stage_due")?,
        agency_id: r.get("agency_id")?,
        agency_slug: r.get("agency_slug")?,
        duplicate_of: r.get("duplicate_of")?,
        referred_to: r.get("referred_to")?,
        verified_on: date(r, "verified_on")?,
        reporter_name: r.get("reporter_name")?,
        reporter_email: r.get("reporter_email")?,
        reporter_phone: r.get("reporter_phone")?,
        anonymous: r.get::<i64>("anonymous")? != 0,
        confidential: r.get::<i64>("confidential")? != 0,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        escalated_at: r.get("escalated_at")?,
        assignee: r.get("assignee")?,
        assignee_email: r.get("assignee_email")?,
    })
}

pub async fn get(store: &Store, tenant: &str, number: &str) -> Result<Option<StaffCase>, StoreError> {
    let q = sql_built(format!("{COLUMNS} WHERE c.tenant_id = $1 AND c.number = $2"));
    store.fetch_optional(q.bind(tenant).bind(number)).await?.as_ref().map(from_row).transpose()
}

/// A case by its id (the jobs keep ids, pages numbers).
pub async fn by_id(store: &Store, tenant: &str, id: &str) -> Result<Option<StaffCase>, StoreError> {
    let q = sql_built(format!("{COLUMNS} WHERE c.tenant_id = $1 AND c.id = $2"));
    store.fetch_optional(q.bind(tenant).bind(id)).await?.as_ref().map(from_row).transpose()
}

/// What the staff list asks for; `agency_id` limits it to one agency's
/// cases, `assignee` to those handed to one officer; `limit` and `offset`
/// page it.
pub struct ListWhere {
    pub states: Vec<State>,
    pub agency_id: Option<String>,
    pub assignee: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

/// Cases for staff, the nearest deadline first.
pub async fn list(store: &Store, tenant: &str, w: &ListWhere) -> Result<Vec<StaffCase>, StoreError> {
    // The page of cases is chosen first, from `service_cases` alone in the
    // inbox's index order, and only then joined: left to itself, SQLite's
    // planner (after ANALYZE) walked the services first and sorted 100,000
    // cases for each page (0.5 s against 15 ms).
    let mut page = String::from("SELECT * FROM service_cases c WHERE c.tenant_id = $1");
    let mut args: Vec<Value> = vec![tenant.into()];
    if let Some(agency) = &w.agency_id {
        args.push(agency.as_str().into());
        page.push_str(&format!(" AND c.agency_id = ${}", args.len()));
    }
    if let Some(assignee) = &w.assignee {
        args.push(assignee.as_str().into());
        page.push_str(&format!(" AND c.assignee = ${}", args.len()));
    }
    if !w.states.is_empty() {
        let first = args.len() + 1;
        let marks: Vec<String> = (first..first + w.states.len()).map(|n| format!("${n}")).collect();
        page.push_str(&format!(" AND c.state IN ({})", marks.join(", ")));
        args.extend(w.states.iter().map(|s| Value::from(s.code())));
    }
    const ORDER: &str = " ORDER BY c.stage_due IS NULL, c.stage_due, c.number";
    page.push_str(&format!("{ORDER} LIMIT {} OFFSET {}", w.limit, w.offset));
    let text = COLUMNS.replacen("FROM service_cases c", &format!("FROM ({page}) c"), 1) + ORDER;
    store.fetch_all(sql_built(text).bind_all(args)).await?.iter().map(from_row).collect()
}

/// One history row as staff see it: who and why included.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub seq: i64,
    pub at: i64,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor: Option<String>,
    pub note: String,
    /// A hand-on's colleague (their address).
    pub handed_to: Option<String>,
    /// The step's files (an answer's, a question's).
    pub files: Vec<Listed>,
}

/// A case's history with every file, for the staff and the reporter.
pub async fn history(store: &Store, tenant: &str, case: &StaffCase) -> Result<Vec<Step>, StoreError> {
    let q = sql("SELECT h.seq, h.at, h.action, h.from_state, h.to_state, u.email AS actor, h.note, t.email AS handed_to
         FROM service_case_history h
         LEFT JOIN users u ON u.tenant_id = h.tenant_id AND u.id = h.actor
         LEFT JOIN users t ON t.tenant_id = h.tenant_id AND t.id = h.handed_to
         WHERE h.tenant_id = $1 AND h.case_id = $2 ORDER BY h.seq")
    .bind(tenant)
    .bind(&case.id);
    let files = attachments::list(store, tenant, &case.number, Audience::Trusted).await?;
    store
        .fetch_all(q)
        .await?
        .iter()
        .map(|r| {
            let seq = r.get("seq")?;
            Ok(Step {
                seq,
                at: r.get("at")?,
                action: r.get("action")?,
                from_state: r.get("from_state")?,
                to_state: r.get("to_state")?,
                actor: r.get("actor")?,
                note: r.get("note")?,
                handed_to: r.get("handed_to")?,
                files: attachments::of_step(&files, seq),
            })
        })
        .collect()
}

/// A step to take: the action, the agency's id for a disposition, and the
/// note the history keeps (the reason, the answer, the question); the
/// actor is a user's id, or `None` for the reporter (the private link).
pub struct Move<'a> {
    pub action: Action,
    pub agency_id: Option<&'a str>,
    pub note: String,
    /// The user who takes the step; `None` for the reporter (through the
    /// private link) and the system (the deadline jobs).
    pub actor: Option<&'a str>,
    /// The step's files, checked (an answer's, a question's).
    pub files: Vec<Attachment>,
}

pub enum MoveError {
    Refused(Refusal),
    /// Someone else moved the case between the read and the write.
    Raced,
    Store(StoreError),
}

impl From<StoreError> for MoveError {
    fn from(e: StoreError) -> MoveError {
        MoveError::Store(e)
    }
}

/// The deadline of `next`'s stage. The verification deadline runs on while
/// the case is verified but not yet forwarded, and the resolution deadline
/// (counted from verification) on while the agency asks the reporter; any
/// other stage starts afresh today.
fn next_due(
    case: &StaffCase,
    action: &Action,
    next: State,
    sla: &layanan::case::SlaSettings,
    today: Date,
    calendar: &kalender::Calendar,
) -> Option<Date> {
    // Handing on within the agency is no new stage: the clock runs on.
    if matches!(action, Action::HandOn { .. }) {
        return case.stage_due;
    }
    let stage = next.stage()?;
    if case.state.stage() == Some(stage) && matches!(stage, Stage::Verify | Stage::Resolution) && case.stage_due.is_some() {
        return case.stage_due;
    }
    let since = if stage == Stage::Resolution { case.verified_on.unwrap_or(today) } else { today };
    Some(sla.due(stage, since, calendar))
}

/// One history row to add: what was done, the states before and after,
/// who (`None`: the system) and the note.
pub struct HistoryRow<'a> {
    pub action: &'a str,
    pub from: State,
    pub to: State,
    pub actor: Option<&'a str>,
    pub note: &'a str,
    /// A hand-on's colleague (a user id).
    pub handed_to: Option<&'a str>,
}

/// Adds a history row after the case's last one, in the caller's
/// transaction; its seq.
pub async fn record(tx: &mut Tx, tenant: &str, case_id: &str, at: i64, row: &HistoryRow<'_>) -> Result<i64, StoreError> {
    tx.fetch_scalar(
        sql("INSERT INTO service_case_history (tenant_id, case_id, seq, at, action, from_state, to_state, actor, note, handed_to)
             SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9 FROM service_case_history
             WHERE tenant_id = $1 AND case_id = $2 RETURNING seq")
        .bind(tenant)
        .bind(case_id)
        .bind(at)
        .bind(row.action)
        .bind(row.from.code())
        .bind(row.to.code())
        .bind(row.actor)
        .bind(row.note)
        .bind(row.handed_to),
    )
    .await
}

/// Takes one step: the transition, the state, deadline and history row in
/// one transaction, or nothing at all.
pub async fn apply(store: &Store, tenant: &str, case: &StaffCase, step: &Move<'_>, today: Date) -> Result<State, MoveError> {
    let next = layanan::case::transition(case.state, &step.action).map_err(MoveError::Refused)?;
    let service = repo::get(store, tenant, &case.service_code).await?.ok_or(StoreError::NotFound)?;
    let calendar = crate::kernel::holidays::calendar(store, tenant).await?;
    let due = next_due(case, &step.action, next, &service.sla, today, &calendar);
    let now = store.now_ms();
    let (duplicate_of, referred_to) = match &step.action {
        Action::MarkDuplicate { of } => (Some(of.clone()), None),
        Action::Refer { body } => (None, Some(body.clone())),
        _ => (None, None),
    };
    // Who in the agency works on it: the colleague it was handed to; a
    // disposition (to this agency again or another) starts without one.
    let handed_to = match &step.action {
        Action::HandOn { to } => Some(to.as_str()),
        _ => None,
    };
    let assignee = match &step.action {
        Action::HandOn { to } => Some(to.clone()),
        Action::Disposition { .. } => None,
        _ => case.assignee.clone(),
    };
    let verified_on = match step.action {
        Action::Verify => Some(today.to_string()),
        _ => case.verified_on.map(|d| d.to_string()),
    };
    let agency = step.agency_id.map(str::to_string).or_else(|| case.agency_id.clone());
    // The dashboards' medians: the first answer is kept once; the close
    // is the latest (a reopened case closes again later).
    let answered_at = matches!(step.action, Action::Answer).then_some(now);
    let closed_at = next.is_done().then_some(now);
    // A stage keeps its escalation while its deadline stays (verifying
    // leaves the verification deadline running); a new deadline starts clean.
    let same_deadline = next.stage() == case.state.stage() && due == case.stage_due;
    let escalated_at = if same_deadline { case.escalated_at } else { None };
    let mut tx = store.begin().await?;
    let changed = tx
        .execute(
            sql("UPDATE service_cases SET state = $1, stage_due = $2, agency_id = $3, duplicate_of = COALESCE($4, duplicate_of),
                    referred_to = COALESCE($5, referred_to), verified_on = $6, updated_at = $7,
                    first_answer_at = COALESCE(first_answer_at, $12), closed_at = $13, escalated_at = $14, assignee = $15
                 WHERE tenant_id = $8 AND id = $9 AND state = $10 AND updated_at = $11")
            .bind(next.code())
            .bind(due.map(|d| d.to_string()))
            .bind(agency)
            .bind(duplicate_of)
            .bind(referred_to)
            .bind(verified_on)
            .bind(now)
            .bind(tenant)
            .bind(&case.id)
            .bind(case.state.code())
            .bind(case.updated_at)
            .bind(answered_at)
            .bind(closed_at)
            .bind(escalated_at)
            .bind(assignee),
        )
        .await?;
    if changed != 1 {
        return Err(MoveError::Raced);
    }
    let row = HistoryRow { action: step.action.kind().code(), from: case.state, to: next, actor: step.actor, note: &step.note, handed_to };
    let seq = record(&mut tx, tenant, &case.id, now, &row).await?;
    attachments::store(&mut tx, tenant, &case.id, seq, &step.files, now).await?;
    // The new stage's deadline job and the notifications of this step, in
    // the same transaction: both happen exactly when the step does.
    if !same_deadline {
        super::deadlines::schedule(&mut tx, tenant, &case.id, next.stage(), due).await?;
    }
    let agency = step.agency_id.or(case.agency_id.as_deref());
    super::notify::after_move(&mut tx, tenant, case, &step.action, &step.note, agency, due).await?;
    super::datasets::changed(&mut tx, tenant, now).await?;
    tx.commit().await?;
    Ok(next)
}
