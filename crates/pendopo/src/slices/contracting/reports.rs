//! Citizens' monitoring reports on a process (what they saw at the site: a
//! text, a photo, a place), which the buying agency reads and answers in
//! public. The reporter's contact is for the agency only: it never appears
//! on public pages or in any export.

use axum::Form;
use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::repo;
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError};
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// Long enough for what was seen, short enough to read.
const MAX_BODY: usize = 4000;

#[derive(Debug, Serialize)]
pub struct ReportView {
    pub id: String,
    pub body: String,
    pub photo: Option<String>,
    pub osm: Option<String>,
    pub created_at: i64,
    pub answer: Option<String>,
    pub answered_at: Option<i64>,
    /// Only filled for the agency's officers.
    pub contact: Option<String>,
}

pub async fn for_process(store: &Store, tenant: &str, ocid: &str, officer: bool) -> Result<Vec<ReportView>, StoreError> {
    let reports = repo::reports_of(store, tenant, ocid).await?;
    Ok(reports
        .into_iter()
        .map(|r| ReportView {
            photo: r.photo.map(|(id, name)| super::files::address(&id, &name)),
            osm: r.place.map(|(lat, lon)| crate::web::map::osm_link(lat, lon)),
            contact: Some(r.contact).filter(|c| officer && !c.is_empty()),
            id: r.id,
            body: r.body,
            created_at: r.created_at,
            answer: r.answer,
            answered_at: r.answered_at,
        })
        .collect())
}

fn back_to(ocid: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, format!("/pengadaan/{ocid}#laporan"))]).into_response()
}

async fn process_exists(ctx: &Ctx, ocid: &str) -> AppResult<()> {
    repo::buyer_of(&ctx.app.store, &ctx.tenant.id, ocid).await?.map(|_| ()).ok_or_else(AppError::not_found)
}

/// Reports one sender may make in an hour.
pub const REPORTS_PER_SENDER: crate::web::throttle::Limit = crate::web::throttle::Limit { max: 10, window_ms: 60 * 60 * 1000 };

/// Anyone may report (a citizen needs no account); the form's CSRF token
/// is still required, and the photo must be a photo.
pub async fn create(ctx: Ctx, Path(ocid): Path<String>, form: Multipart) -> AppResult<Response> {
    process_exists(&ctx, &ocid).await?;
    // One sender's flood is held back (the address through the trusted-proxy
    // rule, kept only as a digest), before anything is read or stored.
    let sender = crate::web::throttle::sender(&ctx);
    let since = REPORTS_PER_SENDER.since(ctx.app.store.now_ms());
    let recent = repo::reports_by_sender(&ctx.app.store, &ctx.tenant.id, &sender, since).await?;
    REPORTS_PER_SENDER.check(recent, Msg::new("pengadaan.report_throttled"))?;
    let parsed = super::entry::read_form(&ctx, form).await?;
    // A refused report keeps nothing of its photo.
    let outcome: AppResult<Response> = async {
        let get = |k: &str| parsed.fields.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
        let body = get("body");
        if body.is_empty() {
            return Err(AppError::BadRequest(Msg::new("pengadaan.report_empty")));
        }
        if body.chars().count() > MAX_BODY {
            return Err(AppError::BadRequest(Msg::new("pengadaan.report_too_long").arg("max", MAX_BODY)));
        }
        let place = crate::web::map::parse_place(&get("lat"), &get("lon"))
            .map_err(|_| AppError::BadRequest(Msg::new("pengadaan.invalid_location")))?;
        let photo = match &parsed.file {
            Some((name, saved)) => {
                Some(super::files::keep(&ctx.app.store, &ctx.tenant.id, name, saved, super::files::Allowed::Photo).await?)
            }
            None => None,
        };
        let report = repo::NewReport { ocid: &ocid, body: &body, photo_id: photo, place, contact: &get("contact"), sender: &sender };
        let id = repo::add_report(&ctx.app.store, &ctx.tenant.id, &report).await?;
        tracing::info!(%ocid, report = %id, "monitoring report received");
        Ok(back_to(&ocid))
    }
    .await;
    if !super::files::taken(&outcome) {
        super::files::discard(&ctx, &parsed).await;
    }
    outcome
}

/// Every field defaults: who answers is asked before what is missing.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    csrf: String,
    answer: String,
}

/// The buying agency's officers (and the walidata) answer, in public.
pub async fn answer(
    SignedIn(ctx): SignedIn,
    Path((ocid, id)): Path<(String, String)>,
    Form(form): Form<AnswerForm>,
) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.user()?.clone();
    let buyer = repo::buyer_of(&ctx.app.store, &ctx.tenant.id, &ocid).await?.ok_or_else(AppError::not_found)?;
    if !super::entry::may_enter(&ctx, &user, &buyer).await? {
        return Err(ctx.denied());
    }
    let answer = form.answer.trim();
    if answer.is_empty() {
        return Err(AppError::BadRequest(Msg::new("pengadaan.report_empty")));
    }
    if !repo::answer_report(&ctx.app.store, &ctx.tenant.id, &ocid, &id, answer, Some(&user.id)).await? {
        return Err(AppError::not_found());
    }
    Ok(back_to(&ocid))
}

#[derive(Debug, Serialize)]
pub struct InboxItem {
    pub ocid: String,
    pub title: String,
    pub buyer_name: String,
    pub report: ReportView,
}

/// The officer's inbox: reports on the processes of the agencies this user
/// records for (all of them for the walidata), unanswered first, oldest first.
pub async fn inbox(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let store = &ctx.app.store;
    let orgs = crate::kernel::access::writable_orgs(store, &ctx.tenant.id, &user).await?;
    let mine: Vec<String> = orgs.into_iter().map(|o| o.slug).collect();
    if mine.is_empty() {
        return Err(ctx.denied());
    }
    let mut items = Vec::new();
    for (ocid, title, buyer_name, buyer) in repo::reported_processes(store, &ctx.tenant.id).await? {
        if !mine.contains(&buyer) {
            continue;
        }
        for report in for_process(store, &ctx.tenant.id, &ocid, true).await? {
            items.push(InboxItem { ocid: ocid.clone(), title: title.clone(), buyer_name: buyer_name.clone(), report });
        }
    }
    items.sort_by_key(|i| (i.report.answer.is_some(), i.report.created_at));
    let open = items.iter().filter(|i| i.report.answer.is_none()).count();
    Ok(ctx.render("contracting/inbox.html", minijinja::context! { items, open })?.into_response())
}
