//! The staff's pages on cases: the inbox (`/layanan/kasus`, filtered by
//! state and SLA colour) and a case's page (`/layanan/kasus/{number}`)
//! with its history and a form for each step the user may take now; the
//! forms go through `staff::take`, as the API does. The answer's and the
//! question's forms are multipart, to carry files (`attachments`); the
//! others are plain forms, and the handler takes both. The coordinators'
//! outbox (`/layanan/notifikasi`) lists every notification and its state.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use layanan::case::{Action, ActionKind, Colour, State};

use super::attachments;
use super::form::FormPairs;
use super::notify;
use super::staff::{self, ActionBody, ListParams};
use super::workflow::{self, StaffCase};
use crate::kernel::access;
use crate::kernel::identity::{self, User};
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// The steps staff take, in the order the page offers them.
const STEPS: [ActionKind; 10] = [
    ActionKind::Verify,
    ActionKind::Disposition,
    ActionKind::Start,
    ActionKind::Answer,
    ActionKind::AskReporter,
    ActionKind::HandOn,
    ActionKind::Refer,
    ActionKind::MarkDuplicate,
    ActionKind::Reject,
    ActionKind::Close,
];

/// The action of `kind` with a stand-in payload, to ask the life cycle
/// whether the state allows it (the payload is checked when it is sent).
fn sample(kind: ActionKind) -> Action {
    let some = || "-".to_string();
    match kind {
        ActionKind::Verify => Action::Verify,
        ActionKind::Reject => Action::Reject { reason: some() },
        ActionKind::MarkDuplicate => Action::MarkDuplicate { of: some() },
        ActionKind::Disposition => Action::Disposition { agency: some() },
        ActionKind::Refer => Action::Refer { body: some() },
        ActionKind::Start => Action::Start,
        ActionKind::Answer => Action::Answer,
        ActionKind::AskReporter => Action::AskReporter,
        ActionKind::HandOn => Action::HandOn { to: some() },
        _ => Action::Close,
    }
}

/// The steps `user` may take on `case` now.
fn allowed(user: &User, case: &StaffCase) -> Vec<&'static str> {
    STEPS
        .iter()
        .filter(|k| if staff::coordinators(**k) { user.is_region_admin() } else { staff::may_see(user, case) })
        .filter(|k| layanan::case::transition(case.state, &sample(**k)).is_ok())
        .map(|k| k.code())
        .collect()
}

/// Cases on one inbox page: a page an officer reads, small on a phone.
const INBOX_PAGE: usize = 50;

/// The inbox page's query: the filters and the page number. (Not
/// `ListParams` flattened: a flattened query reads every value as text.)
#[derive(serde::Deserialize, Default)]
pub struct InboxParams {
    state: Option<String>,
    colour: Option<String>,
    mine: Option<String>,
    halaman: Option<usize>,
}

/// `/layanan/kasus`: the cases the user works on, `?state=`, `?colour=`
/// and `?mine=1` (those handed to the user), 50 a page (`?halaman=N`).
pub async fn inbox_page(SignedIn(ctx): SignedIn, Query(p): Query<InboxParams>) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    // An agency's officers see their own agency's cases; the page filters by state and colour.
    let list = ListParams { state: p.state, colour: p.colour, mine: p.mine, ..ListParams::default() };
    let number = p.halaman.unwrap_or(1).max(1);
    let page = staff::inbox(&ctx, &user, &list, INBOX_PAGE, (number - 1) * INBOX_PAGE).await?;
    let today = ctx.today();
    let cases: Vec<serde_json::Value> = page.cases.iter().map(|c| staff::case_json(&user, c, today)).collect();
    // The other pages' links keep the filters.
    let filters: Vec<(&str, &str)> = [("state", list.state.as_deref()), ("colour", list.colour.as_deref()), ("mine", list.mine.as_deref())]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    let link = |n: usize| {
        let mut query = filters.clone();
        let n = n.to_string();
        query.push(("halaman", &n));
        format!("/layanan/kasus?{}", serde_urlencoded::to_string(&query).unwrap_or_default())
    };
    let page = minijinja::context! {
        cases,
        states => State::ALL.iter().map(|s| s.code()).collect::<Vec<_>>(),
        colours => Colour::ALL.iter().map(|c| c.code()).collect::<Vec<_>>(),
        state => list.state, colour => list.colour, mine => list.mine(),
        page_number => number,
        previous => (number > 1).then(|| link(number - 1)),
        next => page.more.then(|| link(number + 1)),
    };
    Ok(ctx.render("services/cases.html", page)?.into_response())
}

async fn render_case(ctx: &Ctx, status: StatusCode, number: &str, sent: Option<(&str, &AppError)>) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let case = staff::find(ctx, number).await?;
    if !staff::may_see(&user, &case) {
        return Err(ctx.denied());
    }
    let history = workflow::history(&ctx.app.store, &ctx.tenant.id, &case).await?;
    // The messages about this case; an agency's officers do not see the
    // reporter's address, so not the mails to the reporter either.
    let mut notifications = notify::list(&ctx.app.store, &ctx.tenant.id, Some(&case.id), 200).await?;
    notifications.retain(|n| user.is_region_admin() || n.audience != notify::Audience::Reporter.code());
    let agencies = if user.is_region_admin() { orgs::list(&ctx.app.store, &ctx.tenant.id).await? } else { Vec::new() };
    // Each form's fields are named `{action}-{field}`, so an error lands
    // beside the field of the form that was sent.
    let errors: BTreeMap<String, String> = match sent {
        Some((kind, e)) => e.messages().1.iter().map(|(f, m)| (format!("{kind}-{f}"), ctx.msg(m))).collect(),
        None => BTreeMap::new(),
    };
    // The coordinator merges duplicates: the likely ones are offered.
    let suggested =
        if user.is_region_admin() { super::duplicates::suggest(&ctx.app.store, &ctx.tenant.id, &case.number).await? } else { Vec::new() };
    let photos = super::cases::photo_numbers(&ctx.app.store, &ctx.tenant.id, &case.number, super::cases::Audience::Trusted).await?;
    let actions = allowed(&user, &case);
    let colleagues = if actions.contains(&ActionKind::HandOn.code()) { colleagues(ctx, &case).await? } else { Vec::new() };
    let page = minijinja::context! {
        case => staff::case_json(&user, &case, ctx.today()),
        history, agencies, errors, notifications, suggested, photos, colleagues, actions,
        files_at => format!("/layanan/kasus/{}/lampiran", case.number),
        max_files => attachments::MAX_FILES,
        max_file_mb => attachments::MAX_FILE_BYTES / (1024 * 1024),
        admin => user.is_region_admin(),
        officer => case.agency_id.as_deref().is_some_and(|a| access::for_org(&user, a)),
    };
    Ok((status, ctx.render("services/case.html", page)?).into_response())
}

/// `/layanan/kasus/{number}`: the case, its history, the steps allowed now.
pub async fn case_page(SignedIn(ctx): SignedIn, Path(number): Path<String>) -> AppResult<Response> {
    render_case(&ctx, StatusCode::OK, &number, None).await
}

/// The agency's officers a case may be handed on to, as `(address, name)`.
async fn colleagues(ctx: &Ctx, case: &StaffCase) -> AppResult<Vec<(String, String)>> {
    let Some(agency) = case.agency_id.as_deref() else { return Ok(Vec::new()) };
    let users = identity::list_users(&ctx.app.store, &ctx.tenant.id, Some(agency)).await?;
    let officer = |u: &User| !u.disabled && !u.is_region_admin() && access::for_org(u, agency);
    Ok(users.into_iter().filter(officer).map(|u| (u.email, u.name)).collect())
}

/// Every text field of a case form together.
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A case form as sent: its text fields and the files (`attachment`).
/// The CSRF token must come before any file, so no stranger's file is read;
/// each file is refused (413) past `attachments::MAX_FILE_BYTES` as it
/// arrives, and past one more than allowed the rest are not kept.
async fn read_form(ctx: &Ctx, req: Request) -> AppResult<(FormPairs, Vec<(String, bytes::Bytes)>)> {
    let multipart = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("multipart/form-data"));
    if !multipart {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_TEXT_BYTES).await.map_err(|_| AppError::TooLarge(MAX_TEXT_BYTES as u64))?;
        let Form(pairs) = Form::<FormPairs>::from_request(Request::from_parts(parts, bytes.into()), &())
            .await
            .map_err(|e| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e)))?;
        return Ok((pairs, Vec::new()));
    }
    let mut form =
        Multipart::from_request(req, &()).await.map_err(|e| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e)))?;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
    let (mut pairs, mut files): (FormPairs, Vec<(String, bytes::Bytes)>) = (Vec::new(), Vec::new());
    let mut text_bytes = 0;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "attachment" {
            let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
            ctx.check_csrf(csrf)?;
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = crate::web::upload::part_bytes(&mut field, attachments::MAX_FILE_BYTES).await?;
            // A file input left empty still sends a part, without a name.
            if !(file_name.is_empty() && bytes.is_empty()) && files.len() <= attachments::MAX_FILES {
                files.push((file_name, bytes));
            }
            continue;
        }
        let bytes = crate::web::upload::part_bytes(&mut field, MAX_TEXT_BYTES as u64).await?;
        text_bytes += bytes.len();
        if text_bytes > MAX_TEXT_BYTES {
            return Err(AppError::TooLarge(MAX_TEXT_BYTES as u64));
        }
        pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok((pairs, files))
}

/// A step sent from the case page: back to the page, or the page again with
/// the error beside its field (422). Who may see the case is asked before
/// the form is read.
pub async fn case_form(SignedIn(ctx): SignedIn, Path(number): Path<String>, req: Request) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let case = staff::find(&ctx, &number).await?;
    if !staff::may_see(&user, &case) {
        return Err(ctx.denied());
    }
    let (pairs, files) = read_form(&ctx, req).await?;
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    ctx.check_csrf(get("csrf").as_deref().unwrap_or(""))?;
    let action = get("action").unwrap_or_default();
    let body = ActionBody {
        reason: get("reason"),
        agency: get("agency"),
        duplicate_of: get("duplicate_of"),
        body: get("body"),
        text: get("text"),
        to: get("to"),
        files,
        action: action.clone(),
    };
    match staff::take(&ctx, &user, &case, &body).await {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/kasus/{number}"))]).into_response()),
        Err(e @ AppError::Invalid(_)) => render_case(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &number, Some((&action, &e))).await,
        Err(e) => Err(e),
    }
}

/// `/layanan/notifikasi`: the region's newest notifications with their
/// state, for the coordinators (region admins): sent, kept (no SMTP server
/// configured) or pending with the last error. The newest 150 keep the
/// page under 100 KB.
pub async fn notifications_page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    if !ctx.user()?.is_region_admin() {
        return Err(ctx.denied());
    }
    let notifications = notify::list(&ctx.app.store, &ctx.tenant.id, None, 150).await?;
    let page = minijinja::context! { notifications, smtp => ctx.app.smtp.is_some() };
    Ok(ctx.render("services/notifications.html", page)?.into_response())
}
