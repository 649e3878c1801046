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

use crate::kernel::identity::new_id;
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, sql};
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
    let rows = store
        .fetch_all(
            sql("SELECT r.id, r.body, r.photo_id, f.filename, r.lat, r.lon, r.created_at, r.answer, r.answered_at, r.contact
                 FROM ocds_reports r LEFT JOIN ocds_files f ON f.tenant_id = r.tenant_id AND f.id = r.photo_id
                 WHERE r.tenant_id = $1 AND r.ocid = $2 ORDER BY r.created_at")
            .bind(tenant)
            .bind(ocid),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let photo = match (r.at::<Option<String>>(2)?, r.at::<Option<String>>(3)?) {
                (Some(id), Some(name)) => Some(super::files::address(&id, &name)),
                _ => None,
            };
            let place = r.at::<Option<f64>>(4)?.zip(r.at::<Option<f64>>(5)?);
            Ok(ReportView {
                id: r.at(0)?,
                body: r.at(1)?,
                photo,
                osm: place.map(|(lat, lon)| crate::web::map::osm_link(lat, lon)),
                created_at: r.at(6)?,
                answer: r.at(7)?,
                answered_at: r.at(8)?,
                contact: if officer { Some(r.at::<String>(9)?).filter(|c| !c.is_empty()) } else { None },
            })
        })
        .collect()
}

fn back_to(ocid: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, format!("/pengadaan/{ocid}#laporan"))]).into_response()
}

async fn process_exists(ctx: &Ctx, ocid: &str) -> AppResult<()> {
    ctx.app
        .store
        .fetch_optional(sql("SELECT 1 FROM ocds_processes WHERE tenant_id = $1 AND ocid = $2").bind(&ctx.tenant.id).bind(ocid))
        .await?
        .map(|_| ())
        .ok_or_else(AppError::not_found)
}

/// Reports one sender may make in [`REPORT_WINDOW_MS`].
pub const MAX_REPORTS_PER_SENDER: i64 = 10;
pub const REPORT_WINDOW_MS: i64 = 60 * 60 * 1000;

/// Anyone may report (a citizen needs no account); the form's CSRF token
/// is still required, and the photo must be a photo.
pub async fn create(ctx: Ctx, Path(ocid): Path<String>, form: Multipart) -> AppResult<Response> {
    process_exists(&ctx, &ocid).await?;
    // One sender's flood is held back (the address through the trusted-proxy
    // rule, kept only as a digest), before anything is read or stored.
    let sender = crate::kernel::identity::digest(&format!("{}|{}", ctx.tenant.id, ctx.client.address()));
    let since = ctx.app.store.now_ms() - REPORT_WINDOW_MS;
    let recent: i64 = ctx
        .app
        .store
        .fetch_scalar(
            sql("SELECT count(*) FROM ocds_reports WHERE tenant_id = $1 AND sender = $2 AND created_at > $3")
                .bind(&ctx.tenant.id)
                .bind(&sender)
                .bind(since),
        )
        .await?;
    if recent >= MAX_REPORTS_PER_SENDER {
        return Err(AppError::TooManyRequests(Msg::new("pengadaan.report_throttled")));
    }
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
        let place =
            crate::web::map::parse_place(&get("lat"), &get("lon")).map_err(|_| AppError::BadRequest(Msg::new("pengadaan.invalid_location")))?;
        let photo = match &parsed.file {
            Some((name, saved)) => Some(super::files::keep(&ctx.app.store, &ctx.tenant.id, name, saved, super::files::Allowed::Photo).await?),
            None => None,
        };
        let id = new_id();
        ctx.app
            .store
            .execute(
                sql("INSERT INTO ocds_reports (tenant_id, id, ocid, body, photo_id, lat, lon, contact, created_at, sender) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                    .bind(&ctx.tenant.id)
                    .bind(&id)
                    .bind(&ocid)
                    .bind(&body)
                    .bind(photo)
                    .bind(place.map(|p| p.0))
                    .bind(place.map(|p| p.1))
                    .bind(get("contact"))
                    .bind(ctx.app.store.now_ms())
                    .bind(sender),
            )
            .await?;
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
    let row = ctx
        .app
        .store
        .fetch_optional(sql("SELECT buyer_id FROM ocds_processes WHERE tenant_id = $1 AND ocid = $2").bind(&ctx.tenant.id).bind(&ocid))
        .await?
        .ok_or_else(AppError::not_found)?;
    if !super::entry::may_enter(&ctx, &user, &row.at::<String>(0)?).await? {
        return Err(ctx.denied());
    }
    let answer = form.answer.trim();
    if answer.is_empty() {
        return Err(AppError::BadRequest(Msg::new("pengadaan.report_empty")));
    }
    let n = ctx
        .app
        .store
        .execute(
            sql("UPDATE ocds_reports SET answer = $4, answered_by = $5, answered_at = $6 WHERE tenant_id = $1 AND ocid = $2 AND id = $3")
                .bind(&ctx.tenant.id)
                .bind(&ocid)
                .bind(&id)
                .bind(answer)
                .bind(&user.id)
                .bind(ctx.app.store.now_ms()),
        )
        .await?;
    if n == 0 {
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
    let rows = store
        .fetch_all(
            sql("SELECT p.ocid, p.title, p.buyer_name, p.buyer_id FROM ocds_processes p
                 WHERE p.tenant_id = $1 AND p.ocid IN (SELECT ocid FROM ocds_reports WHERE tenant_id = $1)
                 ORDER BY p.ocid")
            .bind(&ctx.tenant.id),
        )
        .await?;
    let mut items = Vec::new();
    for r in &rows {
        let buyer: String = r.at(3)?;
        if !mine.contains(&buyer) {
            continue;
        }
        let ocid: String = r.at(0)?;
        for report in for_process(store, &ctx.tenant.id, &ocid, true).await? {
            items.push(InboxItem { ocid: ocid.clone(), title: r.at(1)?, buyer_name: r.at(2)?, report });
        }
    }
    items.sort_by_key(|i| (i.report.answer.is_some(), i.report.created_at));
    let open = items.iter().filter(|i| i.report.answer.is_none()).count();
    Ok(ctx.render("pengadaan_inbox.html", minijinja::context! { items, open })?.into_response())
}
