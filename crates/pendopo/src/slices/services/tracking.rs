//! Following a report: `/layanan/lacak` (by number), the public case page
//! `/layanan/laporan/{number}` (through `cases::find`/`cases::updates`: a
//! confidential case is not there, a reporter's name or contacts never),
//! and the reporter's private page `/layanan/lapor/{token}` with the whole
//! history, the agency's answers and questions, and the reporter's own
//! steps (reply, "not resolved", a rating) through `workflow::apply` with
//! no user as the actor. Photos are answered byte for byte as stored; the
//! agency's files on its steps are listed beside them (`attachments`: the
//! reporter sees every one, the public an answer's).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use layanan::case::{Action, ActionKind};
use serde::{Deserialize, Serialize};

use super::attachments::{self, Listed};
use super::cases::{self, Audience, Lookup};
use super::form::FormPairs;
use super::workflow::{self, Move, MoveError};
use super::{repo, staff};
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// Where a case's public page is (dashboards, Dialog Publik sessions link it).
pub fn public_href(number: &str) -> String {
    format!("/layanan/laporan/{number}")
}

/// The steps whose note is written to the reporter: the agency's answers
/// and questions, a rejection's reason, where the case went, and the
/// reporter's own words. Staff's internal notes (verification, start)
/// stay with staff.
const NOTES_FOR_THE_REPORTER: [&str; 8] =
    ["answer", "ask_reporter", "reject", "refer", "mark_duplicate", "reporter_replies", "not_resolved", "rate"];

/// The steps the reporter takes on the private page.
const REPORTER_STEPS: [ActionKind; 3] = [ActionKind::ReporterReplies, ActionKind::NotResolved, ActionKind::Rate];

fn not_found(number: &str) -> AppError {
    AppError::NotFound(Msg::new("layanan.case_not_found").arg("number", number))
}

/// The name of a kecamatan or desa code, for the page.
fn place_name(code: Option<&str>) -> Option<String> {
    let code = wilayah::Code::parse(code?).ok()?;
    let dir = wilayah::Directory::embedded();
    let here = dir.get(&code)?;
    let above = code.parent().and_then(|p| dir.get(&p)).filter(|_| code.depth() == 4);
    Some(match above {
        Some(kec) => format!("{}, {}", here.name, kec.name),
        None => here.name.clone(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TrackParams {
    nomor: String,
}

/// `GET /layanan/lacak?nomor=`: the form, or the public page of that number.
pub async fn track_page(ctx: Ctx, Query(p): Query<TrackParams>) -> AppResult<Response> {
    let number = p.nomor.trim();
    if number.is_empty() {
        return Ok(ctx.render("services/track.html", minijinja::context! { nomor => "" })?.into_response());
    }
    if cases::find(&ctx.app.store, &ctx.tenant.id, Lookup::Number(number)).await?.is_some() {
        return Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/laporan/{}", crate::web::urlencode(number)))]).into_response());
    }
    let error = ctx.msg(&Msg::new("layanan.lacak.not_found").arg("number", number));
    let page = minijinja::context! { nomor => number, errors => BTreeMap::from([("nomor", error)]) };
    Ok((StatusCode::NOT_FOUND, ctx.render("services/track.html", page)?).into_response())
}

#[derive(Serialize)]
struct Step {
    at: i64,
    action: String,
    state: String,
    note: Option<String>,
    files: Vec<Listed>,
}

/// `GET /layanan/laporan/{number}`: what anyone may see of a case.
pub async fn public_page(ctx: Ctx, Path(number): Path<String>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let case = cases::find(store, &ctx.tenant.id, Lookup::Number(&number)).await?.ok_or_else(|| not_found(&number))?;
    let updates = cases::updates(store, &ctx.tenant.id, std::slice::from_ref(&case.number)).await?;
    let files = attachments::list(store, &ctx.tenant.id, &case.number, Audience::Public).await?;
    let steps: Vec<Step> = updates
        .into_iter()
        .map(|u| Step { files: attachments::of_step(&files, u.seq), at: u.at, action: u.action, state: u.state, note: None })
        .collect();
    let photos = cases::photo_numbers(store, &ctx.tenant.id, &case.number, Audience::Public).await?;
    let today = ctx.today();
    let page = minijinja::context! {
        number => case.number,
        service_code => case.service_code, service_name => case.service_name, agency_name => case.agency_name,
        state => case.state.code(), colour => case.state.colour().map(|c| c.code()),
        due => case.stage_due.filter(|_| !case.state.is_done()).map(|d| d.to_string()),
        overdue => case.stage_due.is_some_and(|d| !case.state.is_done() && layanan::case::is_overdue(d, today)),
        description => case.description, created_at => case.created_at,
        place => place_name(case.address_id.as_deref()),
        osm => case.lat.zip(case.lon).map(|(lat, lon)| crate::web::map::osm_link(lat, lon)),
        photos => photos.iter().map(|n| format!("/layanan/laporan/{}/foto/{n}", case.number)).collect::<Vec<_>>(),
        files_at => format!("/layanan/laporan/{}/lampiran", case.number),
        steps,
    };
    Ok(ctx.render("services/public_case.html", page)?.into_response())
}

fn photo_answer(found: Option<(String, Vec<u8>)>, cache: &'static str) -> AppResult<Response> {
    let (media_type, bytes) = found.ok_or_else(AppError::not_found)?;
    // Only the formats kept are ever answered, under their own type.
    let media_type =
        crate::kernel::photos::Format::from_media_type(&media_type).map(|f| f.media_type()).unwrap_or("application/octet-stream");
    let mut response = ([(CONTENT_TYPE, media_type), (CACHE_CONTROL, cache)], bytes).into_response();
    response.extensions_mut().insert(crate::web::assets::AsStored);
    Ok(response)
}

/// `GET /layanan/laporan/{number}/foto/{n}`: a public case's photo.
pub async fn public_photo(ctx: Ctx, Path((number, n)): Path<(String, i64)>) -> AppResult<Response> {
    let found = cases::photo(&ctx.app.store, &ctx.tenant.id, &number, n, Audience::Public).await?;
    photo_answer(found, "public, max-age=3600")
}

/// `GET /layanan/lapor/{token}/foto/{n}`: the reporter's own photo.
pub async fn private_photo(ctx: Ctx, Path((token, n)): Path<(String, i64)>) -> AppResult<Response> {
    let number = cases::number_of_token(&ctx.app.store, &ctx.tenant.id, &token).await?.ok_or_else(AppError::not_found)?;
    let found = cases::photo(&ctx.app.store, &ctx.tenant.id, &number, n, Audience::Trusted).await?;
    photo_answer(found, "private, no-store")
}

/// `GET /layanan/kasus/{number}/foto/{n}`: a photo for the staff who may see the case.
pub async fn staff_photo(SignedIn(ctx): SignedIn, Path((number, n)): Path<(String, i64)>) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let case = staff::find(&ctx, &number).await?;
    if !staff::may_see(&user, &case) {
        return Err(ctx.denied());
    }
    let found = cases::photo(&ctx.app.store, &ctx.tenant.id, &number, n, Audience::Trusted).await?;
    photo_answer(found, "private, no-store")
}

/// The case a private token opens, or 404.
async fn case_of_token(ctx: &Ctx, token: &str) -> AppResult<workflow::StaffCase> {
    let store = &ctx.app.store;
    let number = cases::number_of_token(store, &ctx.tenant.id, token).await?.ok_or_else(AppError::not_found)?;
    workflow::get(store, &ctx.tenant.id, &number).await?.ok_or_else(AppError::not_found)
}

async fn render_private(ctx: &Ctx, status: StatusCode, token: &str, fresh: bool, errors: BTreeMap<String, String>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let case = case_of_token(ctx, token).await?;
    let service = repo::get(store, &ctx.tenant.id, &case.service_code).await?.ok_or_else(AppError::not_found)?;
    let steps: Vec<Step> = workflow::history(store, &ctx.tenant.id, &case)
        .await?
        .into_iter()
        .map(|h| Step {
            files: h.files,
            note: Some(h.note).filter(|n| !n.is_empty() && NOTES_FOR_THE_REPORTER.contains(&h.action.as_str())),
            at: h.at,
            action: h.action,
            state: h.to_state,
        })
        .collect();
    let photos = cases::photo_numbers(store, &ctx.tenant.id, &case.number, Audience::Trusted).await?;
    let sample = |k: ActionKind| match k {
        ActionKind::Rate => Action::Rate { stars: 5 },
        ActionKind::NotResolved => Action::NotResolved,
        _ => Action::ReporterReplies,
    };
    let allowed: Vec<&str> =
        REPORTER_STEPS.iter().filter(|k| layanan::case::transition(case.state, &sample(**k)).is_ok()).map(|k| k.code()).collect();
    // Where the reporter said it is (the public page's read skips a confidential case).
    let q = crate::store::sql("SELECT address_id, lat, lon FROM service_cases WHERE tenant_id = $1 AND id = $2")
        .bind(&ctx.tenant.id)
        .bind(&case.id);
    let at = store.fetch_optional(q).await?.ok_or_else(AppError::not_found)?;
    let (address_id, lat, lon): (Option<String>, Option<f64>, Option<f64>) = (at.get("address_id")?, at.get("lat")?, at.get("lon")?);
    let link = format!("{}/layanan/lapor/{token}", ctx.base_url());
    let page = minijinja::context! {
        fresh, link, token, errors, allowed,
        number => case.number,
        service_name => service.name, agency_name => service.agency.name,
        state => case.state.code(), colour => case.state.colour().map(|c| c.code()),
        due => case.stage_due.filter(|_| !case.state.is_done()).map(|d| d.to_string()),
        description => case.description, created_at => case.created_at,
        anonymous => case.anonymous, confidential => case.confidential,
        duplicate_of => case.duplicate_of,
        place => place_name(address_id.as_deref()),
        osm => lat.zip(lon).map(|(lat, lon)| crate::web::map::osm_link(lat, lon)),
        photos => photos.iter().map(|n| format!("/layanan/lapor/{token}/foto/{n}")).collect::<Vec<_>>(),
        files_at => format!("/layanan/lapor/{token}/lampiran"),
        steps,
    };
    Ok((status, ctx.render("services/private_case.html", page)?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PrivateParams {
    baru: String,
}

/// `GET /layanan/lapor/{token}`: the reporter's page (`?baru=1` right
/// after filing: the number and the link to keep).
pub async fn private_page(ctx: Ctx, Path(token): Path<String>, Query(p): Query<PrivateParams>) -> AppResult<Response> {
    render_private(&ctx, StatusCode::OK, &token, !p.baru.is_empty(), BTreeMap::new()).await
}

/// `POST /layanan/lapor/{token}`: the reporter replies, says "not
/// resolved" (the case reopens) or rates the answer. Open to anyone who
/// holds the token (and the form's CSRF token); 404 for a token that opens
/// nothing.
pub async fn private_step(ctx: Ctx, Path(token): Path<String>, Form(pairs): Form<FormPairs>) -> AppResult<Response> {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    ctx.check_csrf(&get("csrf"))?;
    let case = case_of_token(&ctx, &token).await?;
    let kind = ActionKind::from_code(&get("action")).filter(|k| REPORTER_STEPS.contains(k));
    let text = get("text");
    let (action, note) = match kind {
        Some(ActionKind::ReporterReplies) if text.is_empty() => {
            return invalid(&ctx, &token, "reporter_replies-text", Msg::new("layanan.lapor.reply_missing")).await;
        }
        Some(ActionKind::ReporterReplies) => (Action::ReporterReplies, text),
        Some(ActionKind::NotResolved) => (Action::NotResolved, text),
        Some(_) => {
            let stars = get("stars").parse::<u8>().unwrap_or(0);
            (Action::Rate { stars }, format!("{stars}/5{}", if text.is_empty() { String::new() } else { format!(": {text}") }))
        }
        None => return Err(AppError::BadRequest(Msg::new("layanan.action_unknown").arg("action", get("action")))),
    };
    let field = format!("{}-action", action.kind().code());
    let step = Move { action, agency_id: None, note, actor: None, files: Vec::new() };
    match workflow::apply(&ctx.app.store, &ctx.tenant.id, &case, &step, ctx.today()).await {
        Ok(next) => {
            tracing::info!(number = %case.number, from = case.state.code(), to = next.code(), "the reporter moved a case");
            Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/lapor/{token}"))]).into_response())
        }
        Err(MoveError::Refused(r)) => invalid(&ctx, &token, &field, Msg::new(staff::refusal_key(r)).arg("state", case.state.code())).await,
        Err(MoveError::Raced) => invalid(&ctx, &token, &field, Msg::new("layanan.case_moved")).await,
        Err(MoveError::Store(e)) => Err(e.into()),
    }
}

async fn invalid(ctx: &Ctx, token: &str, field: &str, m: Msg) -> AppResult<Response> {
    let errors = BTreeMap::from([(field.to_string(), ctx.msg(&m))]);
    render_private(ctx, StatusCode::UNPROCESSABLE_ENTITY, token, false, errors).await
}
