//! The staff's JSON API on cases: the coordinating admin (a region admin)
//! verifies, rejects, merges duplicates, dispositions to an agency, refers
//! outside the regency and closes; the agency's officers (the kernel's
//! `access` rules for the organisation holding the case) start, answer and
//! ask the reporter (with files, sent through the case page), and hand the
//! case on to a colleague of the same agency. The reporter's contacts
//! reach region admins only.

use axum::Json;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use kalender::Date;
use layanan::case::{Action, ActionKind, Refusal, State};
use serde::Deserialize;

use super::attachments;
use super::workflow::{self, Move, MoveError, StaffCase};
use crate::kernel::access;
use crate::kernel::identity::{self, User};
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::web::ctx::{ApiWriter, Ctx};
use crate::web::error::{AppError, AppResult};

/// The catalogue key that says a refusal in the caller's language.
pub fn refusal_key(r: Refusal) -> &'static str {
    match r {
        Refusal::NotVerified => "layanan.refusal.not_verified",
        Refusal::AlreadyVerified => "layanan.refusal.already_verified",
        Refusal::NotDispositioned => "layanan.refusal.not_dispositioned",
        Refusal::NotAnswered => "layanan.refusal.not_answered",
        Refusal::AlreadyInProgress => "layanan.refusal.already_in_progress",
        Refusal::AlreadyAnswered => "layanan.refusal.already_answered",
        Refusal::Closed => "layanan.refusal.closed",
        Refusal::Final => "layanan.refusal.final",
        Refusal::Referred => "layanan.refusal.referred",
        Refusal::MissingReason => "layanan.refusal.missing_reason",
        Refusal::MissingTarget => "layanan.refusal.missing_target",
        Refusal::RatingOutOfRange => "layanan.refusal.rating_out_of_range",
    }
}

/// The coordinator's actions; the others the staff API takes are the agency's.
pub fn coordinators(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Verify
            | ActionKind::Reject
            | ActionKind::MarkDuplicate
            | ActionKind::Disposition
            | ActionKind::Refer
            | ActionKind::Close
    )
}

pub async fn find(ctx: &Ctx, number: &str) -> AppResult<StaffCase> {
    workflow::get(&ctx.app.store, &ctx.tenant.id, number)
        .await?
        .ok_or_else(|| AppError::NotFound(Msg::new("layanan.case_not_found").arg("number", number)))
}

/// May this user see the case at all: region admins every case, an agency's
/// officers the cases dispositioned to it.
pub fn may_see(user: &User, case: &StaffCase) -> bool {
    user.is_region_admin() || case.agency_id.as_deref().is_some_and(|a| access::for_org(user, a))
}

/// The case as JSON for `user`: the reporter's contacts for region admins only.
pub fn case_json(user: &User, case: &StaffCase, today: Date) -> serde_json::Value {
    let mut v = serde_json::json!({
        "number": case.number,
        "service_code": case.service_code,
        "state": case.state.code(),
        "colour": case.state.colour().map(|c| c.code()),
        "stage_due": case.stage_due.map(|d| d.to_string()),
        "overdue": case.stage_due.is_some_and(|d| layanan::case::is_overdue(d, today)),
        "agency": case.agency_slug,
        "duplicate_of": case.duplicate_of,
        "referred_to": case.referred_to,
        "description": case.description,
        "anonymous": case.anonymous,
        "confidential": case.confidential,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "assignee": case.assignee_email,
    });
    if user.is_region_admin() {
        v["reporter"] = serde_json::json!({
            "name": case.reporter_name, "email": case.reporter_email, "phone": case.reporter_phone,
        });
    } else if !case.anonymous {
        // The agency knows whom it answers, unless the reporter chose
        // *anonim*; contacts stay with the coordinator.
        v["reporter_name"] = serde_json::json!(case.reporter_name);
    }
    v
}

/// What a staff step asks for. Every field may be missing, so the body is
/// read fully only after the case is found and the caller's right to the
/// step asked (a missing `action` is then the caller's field error).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionBody {
    pub action: String,
    pub reason: Option<String>,
    pub agency: Option<String>,
    pub duplicate_of: Option<String>,
    /// The body outside the regency, for `refer`.
    pub body: Option<String>,
    pub text: Option<String>,
    /// The colleague's address, for `hand_on`.
    pub to: Option<String>,
    /// Files sent with the step as `(file name, bytes)`: through the case
    /// page's multipart form only, never in JSON.
    #[serde(skip)]
    pub files: Vec<(String, bytes::Bytes)>,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().map(str::trim).unwrap_or_default().to_string()
}

/// The layanan action for a body, the agency's id for a disposition, and
/// the note the history keeps; unknown agencies and originals are the
/// caller's field errors.
async fn action_of(ctx: &Ctx, case: &StaffCase, kind: ActionKind, body: &ActionBody) -> AppResult<(Action, Option<String>, String)> {
    let store = &ctx.app.store;
    Ok(match kind {
        ActionKind::Verify => (Action::Verify, None, text(&body.text)),
        ActionKind::Reject => (Action::Reject { reason: text(&body.reason) }, None, text(&body.reason)),
        ActionKind::MarkDuplicate => {
            let of = text(&body.duplicate_of);
            if !of.is_empty() && (of == case.number || workflow::get(store, &ctx.tenant.id, &of).await?.is_none()) {
                return Err(AppError::invalid("duplicate_of", Msg::new("layanan.case_not_found").arg("number", &of)));
            }
            (Action::MarkDuplicate { of: of.clone() }, None, of)
        }
        ActionKind::Disposition => {
            let slug = text(&body.agency);
            let org = if slug.is_empty() { None } else { orgs::get(store, &ctx.tenant.id, &slug).await? };
            if !slug.is_empty() && org.is_none() {
                return Err(AppError::invalid("agency", Msg::new("layanan.agency_unknown").arg("agency", &slug)));
            }
            (Action::Disposition { agency: slug.clone() }, org.map(|o| o.id), slug)
        }
        ActionKind::Refer => (Action::Refer { body: text(&body.body) }, None, text(&body.body)),
        ActionKind::Start => (Action::Start, None, text(&body.text)),
        ActionKind::Answer => (Action::Answer, None, text(&body.text)),
        ActionKind::AskReporter => (Action::AskReporter, None, text(&body.text)),
        ActionKind::Close => (Action::Close, None, text(&body.text)),
        ActionKind::HandOn => (Action::HandOn { to: colleague(ctx, case, &text(&body.to)).await? }, None, text(&body.text)),
        _ => return Err(AppError::invalid("action", Msg::new("layanan.action_unknown").arg("action", &body.action))),
    })
}

/// The user id of the agency's officer `email` names, for a hand-on; empty
/// when none was named (the life cycle says what is missing). Anyone but
/// an officer of the agency holding the case is the caller's field error.
async fn colleague(ctx: &Ctx, case: &StaffCase, email: &str) -> AppResult<String> {
    if email.is_empty() {
        return Ok(String::new());
    }
    let found = identity::find_user_by_email(&ctx.app.store, &ctx.tenant.id, email).await?;
    let agency = case.agency_id.as_deref().unwrap_or_default();
    match found {
        Some(u) if !u.disabled && !u.is_region_admin() && access::for_org(&u, agency) => Ok(u.id),
        _ => Err(AppError::invalid("to", Msg::new("layanan.hand_on.not_colleague").arg("email", email))),
    }
}

/// The files sent with a step, checked by content; the first problem is
/// the caller's field error (`attachment`).
fn checked_files(kind: ActionKind, sent: &[(String, bytes::Bytes)]) -> AppResult<Vec<attachments::Attachment>> {
    let refuse = |m: Msg| Err(AppError::invalid("attachment", m));
    if sent.is_empty() {
        return Ok(Vec::new());
    }
    if !attachments::takes_files(kind) {
        return refuse(Msg::new("layanan.attachment.not_here"));
    }
    if sent.len() > attachments::MAX_FILES {
        return refuse(Msg::new("layanan.attachment.too_many").arg("max", attachments::MAX_FILES));
    }
    let mut kept = Vec::with_capacity(sent.len());
    for (name, bytes) in sent {
        match attachments::check(name, bytes) {
            Some(file) => kept.push(file),
            None => return refuse(Msg::new("layanan.attachment.not_allowed").arg("name", name)),
        }
    }
    Ok(kept)
}

/// Takes the step `body` asks for on `case` as `user`: 403 for someone it
/// is not for, 422 (under the field to fix) when it cannot be taken, and
/// then nothing changed.
pub async fn take(ctx: &Ctx, user: &User, case: &StaffCase, body: &ActionBody) -> AppResult<State> {
    let Some(kind) = ActionKind::from_code(body.action.trim()) else {
        return Err(AppError::invalid("action", Msg::new("layanan.action_unknown").arg("action", &body.action)));
    };
    let allowed = if coordinators(kind) { user.is_region_admin() } else { may_see(user, case) };
    if !allowed {
        return Err(ctx.denied());
    }
    if kind == ActionKind::Answer && text(&body.text).is_empty() {
        return Err(AppError::invalid("text", Msg::new("layanan.answer_required")));
    }
    let files = checked_files(kind, &body.files)?;
    let (action, agency_id, note) = action_of(ctx, case, kind, body).await?;
    let step = Move { action, agency_id: agency_id.as_deref(), note, actor: Some(&user.id), files };
    match workflow::apply(&ctx.app.store, &ctx.tenant.id, case, &step, ctx.today()).await {
        Ok(next) => {
            let files = step.files.len();
            tracing::info!(number = %case.number, from = case.state.code(), to = next.code(), files, "case moved");
            Ok(next)
        }
        Err(MoveError::Refused(r)) => {
            Err(AppError::invalid(refused_field(r, kind), Msg::new(refusal_key(r)).arg("state", case.state.code())))
        }
        Err(MoveError::Raced) => Err(AppError::invalid("action", Msg::new("layanan.case_moved"))),
        Err(MoveError::Store(e)) => Err(e.into()),
    }
}

/// The field a refusal is said beside: the payload's own, else the action.
fn refused_field(r: Refusal, kind: ActionKind) -> &'static str {
    match (r, kind) {
        (Refusal::MissingReason, _) => "reason",
        (Refusal::MissingTarget, ActionKind::MarkDuplicate) => "duplicate_of",
        (Refusal::MissingTarget, ActionKind::Disposition) => "agency",
        (Refusal::MissingTarget, ActionKind::Refer) => "body",
        (Refusal::MissingTarget, ActionKind::HandOn) => "to",
        _ => "action",
    }
}

/// `POST /api/v1/cases/{number}/actions`: one step, or 422 saying why not
/// (nothing changed), or 403 for someone it is not for.
pub async fn api_act(ApiWriter(ctx): ApiWriter, Path(number): Path<String>, Json(body): Json<ActionBody>) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let case = find(&ctx, &number).await?;
    take(&ctx, &user, &case, &body).await?;
    api_show_case(&ctx, &user, &number, ctx.today()).await
}

async fn api_show_case(ctx: &Ctx, user: &User, number: &str, today: Date) -> AppResult<Response> {
    let case = find(ctx, number).await?;
    let mut v = case_json(user, &case, today);
    v["history"] = serde_json::to_value(workflow::history(&ctx.app.store, &ctx.tenant.id, &case).await?).expect("history serialises");
    if user.is_region_admin() {
        let suggested = super::duplicates::suggest(&ctx.app.store, &ctx.tenant.id, &case.number).await?;
        v["suggested_duplicates"] = serde_json::to_value(suggested).expect("suggestions serialise");
    }
    Ok(Json(v).into_response())
}

/// `GET /api/v1/cases/{number}`: the case with its history, for staff who may see it.
pub async fn api_show(ctx: Ctx, Path(number): Path<String>) -> AppResult<Response> {
    let user = ctx.api_user()?.clone();
    let case = find(&ctx, &number).await?;
    if !may_see(&user, &case) {
        return Err(ctx.denied());
    }
    api_show_case(&ctx, &user, &number, ctx.today()).await
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    pub state: Option<String>,
    pub agency: Option<String>,
    pub colour: Option<String>,
    /// The API's paging: at most `limit` cases (100 unless said, 1,000 at
    /// most) after the first `offset`.
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    /// `1`: only the cases handed to the caller.
    pub mine: Option<String>,
}

impl ListParams {
    pub fn mine(&self) -> bool {
        matches!(self.mine.as_deref().map(str::trim), Some("1" | "true"))
    }
}

/// A page of cases, and whether more follow it.
pub struct Page {
    pub cases: Vec<StaffCase>,
    pub more: bool,
}

/// The API's page size when none is asked, and the most it answers.
const API_LIMIT: usize = 100;
const API_MAX: usize = 1000;

/// The cases a user works on, filtered: region admins all (or one
/// agency's), an agency's officers their agency's only; `limit` of them
/// after the first `offset`, nearest deadline first.
pub async fn inbox(ctx: &Ctx, user: &User, p: &ListParams, limit: usize, offset: usize) -> AppResult<Page> {
    let store = &ctx.app.store;
    let agency_id = match p.agency.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(slug) => {
            let org = orgs::get(store, &ctx.tenant.id, slug).await?;
            Some(org.ok_or_else(|| AppError::invalid("agency", Msg::new("layanan.agency_unknown").arg("agency", slug)))?.id)
        }
        None => None,
    };
    let agency_id = if user.is_region_admin() {
        agency_id
    } else {
        match (&user.org_id, agency_id) {
            (Some(own), None) if access::for_org(user, own) => Some(own.clone()),
            (Some(own), Some(asked)) if *own == asked && access::for_org(user, own) => Some(asked),
            _ => return Err(ctx.denied()),
        }
    };
    let mut states: Vec<State> = match p.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            vec![State::from_code(code).ok_or_else(|| AppError::invalid("state", Msg::new("layanan.state_unknown").arg("state", code)))?]
        }
        None => Vec::new(),
    };
    if let Some(colour) = p.colour.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let colour = layanan::case::Colour::from_code(colour)
            .ok_or_else(|| AppError::invalid("colour", Msg::new("layanan.colour_unknown").arg("colour", colour)))?;
        let of_colour = State::ALL.iter().copied().filter(|s| s.colour() == Some(colour));
        states = if states.is_empty() { of_colour.collect() } else { states.into_iter().filter(|s| s.colour() == Some(colour)).collect() };
        if states.is_empty() {
            return Ok(Page { cases: Vec::new(), more: false });
        }
    }
    let assignee = p.mine().then(|| user.id.clone());
    // One more than asked tells whether another page follows.
    let w = workflow::ListWhere { states, agency_id, assignee, limit: limit + 1, offset };
    let mut cases = workflow::list(store, &ctx.tenant.id, &w).await?;
    let more = cases.len() > limit;
    cases.truncate(limit);
    Ok(Page { cases, more })
}

/// `GET /api/v1/cases?state=&agency=&colour=&mine=1`.
pub async fn api_list(ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Response> {
    let user = ctx.api_user()?.clone();
    let limit = p.limit.unwrap_or(API_LIMIT);
    if limit == 0 || limit > API_MAX {
        return Err(AppError::invalid("limit", Msg::new("kasus.limit_invalid").arg("max", API_MAX)));
    }
    let offset = p.offset.unwrap_or(0);
    let page = inbox(&ctx, &user, &p, limit, offset).await?;
    let today = ctx.today();
    let cases: Vec<serde_json::Value> = page.cases.iter().map(|c| case_json(&user, c, today)).collect();
    let next_offset = page.more.then_some(offset + cases.len());
    Ok(Json(serde_json::json!({ "count": cases.len(), "offset": offset, "next_offset": next_offset, "cases": cases })).into_response())
}
