//! Open311 service requests: `POST requests` files a case (state
//! `received`, its verification deadline set) for a client holding a
//! Pendopo API token as `api_key`; `GET requests`, `requests/{id}` and
//! `tokens/{token}` answer from the public cases. A confidential
//! (*rahasia*) case is in no answer; no answer names a reporter.
//!
//! Pendopo's own POST fields beside the spec's: `anonim` and `rahasia`
//! (`true`/`1`), the reporter's choices, and `idempotency_key` (or the
//! `Idempotency-Key` header) against replays.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use kalender::Date;
use layanan::case::Channel;
use layanan::open311::write::{self, Format};
use layanan::open311::{
    self, ListQuery, PostReply, Problem, Problems, Receipt, ServiceDefinition, ServiceRequest, Status, Time, TokenReply,
};

use super::cases::{self, ListWhere, Lookup, NewCase, PublicCase};
use super::form::FormPairs;
use super::open311::{Jurisdiction, answer, jurisdiction_problem, problems_answer, split};
use super::repo;
use crate::kernel::identity;
use crate::kernel::msg::Msg;
use crate::web::ctx::{AuthVia, Ctx};
use crate::web::error::AppResult;

fn field<'a>(pairs: &'a FormPairs, name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

fn yes(pairs: &FormPairs, name: &str) -> bool {
    field(pairs, name).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "ya" | "yes" | "on"))
}

/// The user of the `api_key` (or of the request's own token), or why not.
async fn key_user(ctx: &Ctx, pairs: &FormPairs) -> AppResult<Result<identity::User, Problem>> {
    if let Some(key) = field(pairs, "api_key") {
        return Ok(identity::token_user(&ctx.app.store, &ctx.app.tokens, &ctx.tenant.id, key).await?.map_err(|_| Problem::InvalidApiKey));
    }
    match (&ctx.user, ctx.via) {
        (Some(user), AuthVia::Token) => Ok(Ok(user.clone())),
        _ => Ok(Err(Problem::MissingApiKey)),
    }
}

/// The filer's key for a report (`Idempotency-Key`, or Pendopo's form
/// field `idempotency_key`): a client that retries a POST whose answer it
/// lost gets the same case back.
fn idempotency_key(headers: &axum::http::HeaderMap, pairs: &FormPairs) -> Option<String> {
    let header = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    header.or_else(|| field(pairs, "idempotency_key")).map(|k| k.chars().take(200).collect())
}

/// `POST requests.{xml,json}`. The body is read as a form whatever its
/// type says, so every problem is answered as the spec's error list.
pub async fn post(ctx: Ctx, Path(file): Path<String>, headers: axum::http::HeaderMap, body: axum::body::Bytes) -> AppResult<Response> {
    let (name, format) = split(&file);
    let pairs: FormPairs = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let user = match key_user(&ctx, &pairs).await? {
        Ok(user) => user,
        Err(p) => return Ok(problems_answer(&ctx, vec![p], format)),
    };
    if name != "requests" {
        return Ok(problems_answer(&ctx, vec![Problem::NotFound(name.to_string())], format));
    }
    if let Some(p) = jurisdiction_problem(&ctx, &Jurisdiction { jurisdiction_id: field(&pairs, "jurisdiction_id").map(str::to_string) }) {
        return Ok(problems_answer(&ctx, vec![p], format));
    }
    let service = match field(&pairs, "service_code") {
        Some(code) => repo::get(&ctx.app.store, &ctx.tenant.id, code).await?,
        None => None,
    };
    let definition = service.as_ref().map(|s| ServiceDefinition { service_code: s.code.clone(), attributes: s.open311_attributes() });
    let request = match open311::parse_post(&pairs, |code| definition.as_ref().filter(|d| d.service_code == code)) {
        Ok(r) => r,
        Err(Problems(list)) => return Ok(problems_answer(&ctx, list, format)),
    };
    let service = service.expect("parse_post found the service");
    let kind = cases::usual_kind(&service);
    // An `address_id` that is a kecamatan or desa code of the region places
    // the case for the dashboards.
    let place = request.location.address_id.as_deref().and_then(|code| cases::Place::within(&ctx.tenant.code(), code));
    let name = [request.first_name.as_deref(), request.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let new = NewCase {
        service: std::borrow::Cow::Borrowed(&service),
        kind,
        channel: Channel::Open311,
        description: request.description.clone().unwrap_or_default(),
        lat_long: request.location.lat_long,
        address: request.location.address_string.clone(),
        address_id: request.location.address_id.clone(),
        media_url: request.media_url.clone(),
        attributes: request.attributes.clone(),
        reporter_name: Some(name).filter(|n| !n.is_empty()),
        reporter_email: request.email.clone(),
        reporter_phone: request.phone.clone(),
        device_id: request.device_id.clone(),
        account_id: request.account_id.clone(),
        anonymous: yes(&pairs, "anonim"),
        confidential: yes(&pairs, "rahasia"),
        filed_by: Some(user.id.clone()),
        idempotency_key: idempotency_key(&headers, &pairs),
        desa_code: place.as_ref().and_then(|p| p.desa_code.clone()),
        kecamatan_code: place.map(|p| p.kecamatan_code),
        external_id: None,
        filed_at: None,
    };
    let case = cases::file(&ctx.app.store, &ctx.tenant.id, &new, ctx.today()).await?;
    tracing::info!(number = %case.number, service = %service.code, "case filed through Open311");
    let notice = ctx.msg(&Msg::new("layanan.case_notice").arg("number", &case.number).arg("due", case.verify_due));
    let reply = PostReply { receipt: Receipt::Id(case.number.clone()), service_notice: Some(notice), account_id: request.account_id };
    Ok(answer(StatusCode::OK, format, write::post_replies(&[reply], format)))
}

/// The end of a day in the region's zone, as an Open311 time.
fn end_of(ctx: &Ctx, day: Date) -> Time {
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    Time::new((day.days_since_epoch() + 1) * 86_400 - 1 - offset * 3600, offset)
}

/// What a history entry says in public, by its action.
fn note_key(action: &str) -> &'static str {
    match action {
        "file" => "layanan.note_file",
        "escalate" => "layanan.note_escalate",
        _ => "layanan.note_update",
    }
}

/// `extensions=true`: the finer state, the channel and the public updates.
fn extensions(ctx: &Ctx, c: &PublicCase, updates: &[cases::Update]) -> open311::Extensions {
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let notes = updates
        .iter()
        .filter(|u| u.number == c.number)
        .map(|u| open311::Note {
            datetime: Time::new(u.at.div_euclid(1000), offset),
            description: ctx.msg(&Msg::new(note_key(&u.action))),
            note_type: u.state.clone(),
        })
        .collect();
    open311::Extensions { state: c.state.code().to_string(), channel: Some(c.channel.clone()), overdue: c.overdue(ctx.today()), notes }
}

/// The requests as the spec writes them, with the extensions when asked.
async fn requests_of(ctx: &Ctx, found: Vec<PublicCase>, pairs: &FormPairs) -> AppResult<Vec<ServiceRequest>> {
    let updates = if field(pairs, "extensions").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        let numbers: Vec<String> = found.iter().map(|c| c.number.clone()).collect();
        Some(cases::updates(&ctx.app.store, &ctx.tenant.id, &numbers).await?)
    } else {
        None
    };
    Ok(found
        .into_iter()
        .map(|c| {
            let extended = updates.as_ref().map(|u| extensions(ctx, &c, u));
            ServiceRequest { extensions: extended, ..request_of(ctx, c) }
        })
        .collect())
}

fn request_of(ctx: &Ctx, c: PublicCase) -> ServiceRequest {
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let status = if c.state.is_done() { Status::Closed } else { Status::Open };
    ServiceRequest {
        service_request_id: c.number,
        status,
        status_notes: None,
        service_name: Some(c.service_name),
        service_code: c.service_code,
        description: Some(c.description).filter(|d| !d.is_empty()),
        agency_responsible: Some(c.agency_name),
        service_notice: None,
        requested_datetime: Time::new(c.created_at.div_euclid(1000), offset),
        updated_datetime: Some(Time::new(c.updated_at.div_euclid(1000), offset)),
        expected_datetime: c.stage_due.filter(|_| status == Status::Open).map(|d| end_of(ctx, d)),
        address: c.address,
        address_id: c.address_id,
        zipcode: None,
        lat: c.lat,
        long: c.lon,
        media_url: c.media_url,
        extensions: None,
    }
}

/// `GET requests.{xml,json}`: the spec's filters, 90 days, 1,000 at most.
pub async fn list(ctx: &Ctx, format: Format, pairs: &FormPairs) -> AppResult<Response> {
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let query = match open311::parse_list_query(pairs, ctx.app.store.now_ms() / 1000, offset) {
        Ok(q) => q,
        Err(Problems(list)) => return Ok(problems_answer(ctx, list, format)),
    };
    let w = match query {
        ListQuery::Ids(numbers) => {
            ListWhere { numbers, service_codes: Vec::new(), done: None, from_ms: 0, to_ms: 0, limit: open311::MAX_REQUESTS }
        }
        ListQuery::Filter(f) => ListWhere {
            numbers: Vec::new(),
            service_codes: f.service_codes,
            done: match f.statuses.as_slice() {
                [Status::Open] => Some(false),
                [Status::Closed] => Some(true),
                _ => None,
            },
            from_ms: f.start * 1000,
            to_ms: f.end * 1000 + 999,
            limit: f.limit,
        },
    };
    let found = cases::list(&ctx.app.store, &ctx.tenant.id, &w).await?;
    let requests = requests_of(ctx, found, pairs).await?;
    Ok(answer(StatusCode::OK, format, write::service_requests(&requests, format)))
}

/// `GET requests/{id}.{xml,json}`: a list of one.
pub async fn one(ctx: Ctx, Path(file): Path<String>, Query(pairs): Query<FormPairs>) -> AppResult<Response> {
    let (number, format) = split(&file);
    if let Some(p) = jurisdiction_problem(&ctx, &Jurisdiction { jurisdiction_id: field(&pairs, "jurisdiction_id").map(str::to_string) }) {
        return Ok(problems_answer(&ctx, vec![p], format));
    }
    match cases::find(&ctx.app.store, &ctx.tenant.id, Lookup::Number(number)).await? {
        Some(c) => Ok(answer(StatusCode::OK, format, write::service_requests(&requests_of(&ctx, vec![c], &pairs).await?, format))),
        None => Ok(problems_answer(&ctx, vec![Problem::NotFound(format!("service_request_id {number}"))], format)),
    }
}

/// `GET tokens/{token}.{xml,json}`: the request a token names.
pub async fn token(ctx: Ctx, Path(file): Path<String>) -> AppResult<Response> {
    let (token, format) = split(&file);
    match cases::find(&ctx.app.store, &ctx.tenant.id, Lookup::Token(token)).await? {
        Some(c) => {
            let reply = TokenReply { service_request_id: c.number, token: token.to_string() };
            Ok(answer(StatusCode::OK, format, write::token_replies(&[reply], format)))
        }
        None => Ok(problems_answer(&ctx, vec![Problem::NotFound(format!("token {token}"))], format)),
    }
}
