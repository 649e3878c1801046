//! The catalogue as Open311 GeoReport v2 (`/open311/v2/`): `discovery`,
//! `services` and `services/{code}`, in XML (the spec's default, also for a
//! path without a suffix) or JSON. The documents are `layanan::open311`'s;
//! errors are the spec's `[{code, description}]` list.
//!
//! Service requests (`requests`, `tokens`) are `requests.rs`'s.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use layanan::open311::write::{self, Format};
use layanan::open311::{self, Discovery, Endpoint, Problem, Problems, ServiceDefinition, ServiceType, Time};

use super::form::FormPairs;
use super::model::Service;
use super::repo;
use crate::kernel::msg::Msg;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

pub struct Jurisdiction {
    pub jurisdiction_id: Option<String>,
}

impl Jurisdiction {
    fn of(pairs: &FormPairs) -> Jurisdiction {
        Jurisdiction { jurisdiction_id: pairs.iter().find(|(k, _)| k == "jurisdiction_id").map(|(_, v)| v.clone()) }
    }
}

/// `services.json` > ("services", JSON); without a known suffix, XML (a
/// service code may hold a dot itself).
pub fn split(file: &str) -> (&str, Format) {
    file.rsplit_once('.').and_then(|(name, ext)| Format::from_extension(ext).map(|f| (name, f))).unwrap_or((file, Format::Xml))
}

pub fn answer(status: StatusCode, format: Format, body: String) -> Response {
    (status, [(CONTENT_TYPE, format.content_type())], body).into_response()
}

/// The spec's error list, worded in the caller's language where Pendopo
/// has its own words (the spec's English otherwise), with the most telling
/// status of the lot.
pub fn problems_answer(ctx: &Ctx, problems: Vec<Problem>, format: Format) -> Response {
    let describe = |p: &Problem| match p {
        Problem::UnknownServiceCode(code) => ctx.msg(&Msg::new("layanan.open311_service_unknown").arg("code", code)),
        Problem::UnknownJurisdiction(id) => ctx.msg(&Msg::new("layanan.open311_jurisdiction_unknown").arg("id", id)),
        Problem::MissingApiKey | Problem::InvalidApiKey => ctx.msg(&Msg::new("layanan.open311_api_key")),
        Problem::NotFound(_) => ctx.msg(&Msg::new("layanan.open311_not_found")),
        other => other.to_string(),
    };
    let problems = Problems(problems);
    let status = StatusCode::from_u16(problems.status()).unwrap_or(StatusCode::BAD_REQUEST);
    answer(status, format, write::errors(&problems.0, describe, format))
}

fn problem(ctx: &Ctx, p: Problem, format: Format) -> Response {
    problems_answer(ctx, vec![p], format)
}

/// One endpoint per region: a `jurisdiction_id`, when given, must be one of
/// the region's host names (the spec's suggestion) or its region code.
pub fn jurisdiction_problem(ctx: &Ctx, j: &Jurisdiction) -> Option<Problem> {
    let id = j.jurisdiction_id.as_deref().map(str::trim).filter(|id| !id.is_empty())?;
    let known = id == ctx.tenant.id || ctx.tenant.hostnames.iter().any(|h| h.eq_ignore_ascii_case(id));
    (!known).then(|| Problem::UnknownJurisdiction(id.to_string()))
}

fn time(ctx: &Ctx, ms: i64) -> Time {
    Time::new(ms.div_euclid(1000), ctx.tenant.time_zone().utc_offset_hours())
}

fn listed(s: &Service) -> open311::Service {
    open311::Service {
        service_code: s.code.clone(),
        service_name: s.name.clone(),
        description: Some(s.description.clone()).filter(|d| !d.is_empty()),
        metadata: !s.attributes.is_empty(),
        service_type: ServiceType::Realtime,
        keywords: Some(s.kinds.iter().map(|k| k.code()).collect::<Vec<_>>().join(",")),
        group: Some(s.agency.name.clone()),
    }
}

/// `discovery`, `services` and `requests`, `.xml` or `.json`.
pub async fn document(ctx: Ctx, Path(file): Path<String>, Query(pairs): Query<FormPairs>) -> AppResult<Response> {
    let (name, format) = split(&file);
    if let Some(p) = jurisdiction_problem(&ctx, &Jurisdiction::of(&pairs)) {
        return Ok(problem(&ctx, p, format));
    }
    if name == "requests" {
        return super::requests::list(&ctx, format, &pairs).await;
    }
    let services = repo::list(&ctx.app.store, &ctx.tenant.id).await?;
    let body = match name {
        "services" => write::services(&services.iter().map(listed).collect::<Vec<_>>(), format),
        "discovery" => {
            let base = ctx.base_url();
            let changed = services.iter().map(|s| s.updated_at).max().unwrap_or(0);
            let changeset = time(&ctx, changed).to_string();
            let endpoint = Endpoint {
                specification: open311::SPECIFICATION.to_string(),
                url: format!("{base}/open311/v2"),
                changeset: changeset.clone(),
                endpoint_type: "production".into(),
                formats: vec!["text/xml".into(), "application/json".into()],
            };
            let document = Discovery {
                changeset,
                contact: format!("{base}/layanan"),
                key_service: format!("{base}/account"),
                endpoints: vec![endpoint],
            };
            write::discovery(&document, format)
        }
        _ => return Ok(problem(&ctx, Problem::NotFound(name.to_string()), format)),
    };
    Ok(answer(StatusCode::OK, format, body))
}

/// `services/{code}.{xml,json}`: the service's attributes.
pub async fn definition(ctx: Ctx, Path(file): Path<String>, Query(pairs): Query<FormPairs>) -> AppResult<Response> {
    let (code, format) = split(&file);
    if let Some(p) = jurisdiction_problem(&ctx, &Jurisdiction::of(&pairs)) {
        return Ok(problem(&ctx, p, format));
    }
    let Some(service) = repo::get(&ctx.app.store, &ctx.tenant.id, code).await? else {
        return Ok(problem(&ctx, Problem::UnknownServiceCode(code.to_string()), format));
    };
    let definition = ServiceDefinition { service_code: service.code.clone(), attributes: service.open311_attributes() };
    Ok(answer(StatusCode::OK, format, write::service_definition(&definition, format)))
}
