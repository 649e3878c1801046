//! Importing an SP4N-LAPOR! export: the coordinator's page
//! (`/layanan/impor`) and `POST /api/v1/cases/import`. Each row becomes a
//! case (channel `lapor`, `external_id` = the LAPOR! tracking id, its
//! date kept), all in one transaction: any bad row stores nothing and
//! every row's problem is answered. A tracking id already stored is
//! skipped, not updated: the case lives on in Pendopo's own workflow,
//! which a re-import must not undo; so a file imported twice files nothing
//! the second time.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use layanan::case::Channel;
use serde::Deserialize;

use super::cases::{self, NewCase};
use super::lapor::{self, Problem};
use super::repo;
use crate::kernel::msg::Msg;
use crate::kernel::organizations as orgs;
use crate::web::ctx::{ApiWriter, Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// An export of a year's reports is a few megabytes.
const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// What an import filed (new numbers) and found already stored.
#[derive(Default)]
struct Outcome {
    created: Vec<String>,
    skipped: Vec<String>,
}

/// Reads and stores the file for the signed-in region admin: the outcome,
/// the rows' problems, or a field error (`default_service`).
async fn import(ctx: &Ctx, bytes: &[u8], default_service: &str) -> AppResult<Result<Outcome, Vec<Problem>>> {
    let user = ctx.region_admin()?;
    let (store, tenant) = (&ctx.app.store, &ctx.tenant.id);
    let services = repo::list(store, tenant).await?;
    let agencies = orgs::list(store, tenant).await?;
    let default = default_service.trim();
    let default_service = match default {
        "" => None,
        code => Some(
            services
                .iter()
                .position(|s| s.code == code)
                .ok_or_else(|| AppError::invalid("default_service", Msg::new("layanan.not_found").arg("code", code)))?,
        ),
    };
    let region = lapor::Region {
        code: ctx.tenant.code(),
        services: &services,
        agencies: &agencies,
        default_service,
        offset_minutes: (ctx.tenant.time_zone().utc_offset_hours() * 60) as i32,
        now: store.now_ms(),
    };
    let rows = match lapor::read(bytes, &region) {
        Ok(rows) => rows,
        Err(problems) => return Ok(Err(problems)),
    };
    let calendar = crate::kernel::holidays::calendar(store, tenant).await?;
    let (today, now) = (ctx.today(), store.now_ms());
    let mut outcome = Outcome::default();
    let mut tx = store.begin().await?;
    for row in &rows {
        let service = &services[row.service];
        let case = NewCase {
            external_id: Some(row.tracking_id.clone()),
            filed_at: Some(row.filed_at),
            filed_by: Some(user.id.clone()),
            desa_code: row.place.as_ref().and_then(|p| p.desa_code.clone()),
            kecamatan_code: row.place.as_ref().map(|p| p.kecamatan_code.clone()),
            ..NewCase::new(service, cases::usual_kind(service), Channel::Lapor, row.description.clone())
        };
        let filed = cases::file_in(&mut tx, tenant, &case, today, &calendar, now).await?;
        if filed.new { &mut outcome.created } else { &mut outcome.skipped }.push(filed.number);
    }
    tx.commit().await?;
    tracing::info!(created = outcome.created.len(), skipped = outcome.skipped.len(), "LAPOR! export imported");
    Ok(Ok(outcome))
}

fn problems_json(ctx: &Ctx, problems: &[Problem]) -> Vec<serde_json::Value> {
    problems.iter().map(|p| serde_json::json!({ "row": p.row, "column": p.column, "reason": ctx.msg(&p.msg) })).collect()
}

#[derive(Deserialize)]
pub struct ImportParams {
    #[serde(default)]
    default_service: String,
}

/// `POST /api/v1/cases/import?default_service=CODE` with the file as the
/// body: 201 with the numbers filed and skipped, 422 with every problem.
pub async fn api_import(ApiWriter(ctx): ApiWriter, Query(p): Query<ImportParams>, body: Bytes) -> AppResult<Response> {
    ctx.region_admin()?;
    match import(&ctx, &body, &p.default_service).await? {
        Ok(o) => Ok((StatusCode::CREATED, Json(serde_json::json!({ "created": o.created, "skipped": o.skipped }))).into_response()),
        Err(problems) => {
            let message = ctx.msg(&Msg::new("layanan.impor.refused").arg("n", problems.len()));
            let body = serde_json::json!({ "error": { "message": message, "problems": problems_json(&ctx, &problems) } });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
        }
    }
}

/// What the page shows after a try: the outcome, or the problems.
#[derive(Default)]
struct Shown {
    default_service: String,
    outcome: Option<Outcome>,
    problems: Vec<Problem>,
    errors: BTreeMap<String, String>,
}

async fn render(ctx: &Ctx, status: StatusCode, shown: Shown) -> AppResult<Response> {
    let services = repo::list(&ctx.app.store, &ctx.tenant.id).await?;
    let services: Vec<_> =
        services.iter().map(|s| minijinja::context! { code => s.code, name => s.name, agency => s.agency.name }).collect();
    let labels: BTreeMap<&str, String> = [("file", "layanan.impor.file"), ("default_service", "layanan.impor.default_service")]
        .into_iter()
        .map(|(f, k)| (f, ctx.msg(&Msg::new(k))))
        .collect();
    let page = minijinja::context! {
        services, labels,
        errors => shown.errors,
        default_service => shown.default_service,
        created => shown.outcome.as_ref().map(|o| o.created.clone()),
        skipped => shown.outcome.as_ref().map(|o| o.skipped.clone()),
        problems => problems_json(ctx, &shown.problems),
        columns => lapor::COLUMNS.iter().map(|(f, names)| (format!("{f:?}"), names.join(", "))).collect::<Vec<_>>(),
    };
    Ok((status, ctx.render("services/lapor_import.html", page)?).into_response())
}

/// `/layanan/impor`: the import form (region admins).
pub async fn page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    render(&ctx, StatusCode::OK, Shown::default()).await
}

pub async fn submit(SignedIn(ctx): SignedIn, form: Multipart) -> AppResult<Response> {
    ctx.region_admin()?;
    // The token comes first in the form, so no stranger's file is read.
    let mut sent = crate::web::upload::csrf_first(&ctx, form, "file", MAX_FILE_BYTES).await?;
    let (file, default_service) = (sent.file, sent.fields.remove("default_service").unwrap_or_default());
    let mut shown = Shown { default_service: default_service.clone(), ..Shown::default() };
    let Some(bytes) = file else {
        shown.errors.insert("file".into(), ctx.msg(&Msg::new("error.file_missing")));
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    };
    let status = match import(&ctx, &bytes, &default_service).await {
        Ok(Ok(outcome)) => {
            shown.outcome = Some(outcome);
            StatusCode::OK
        }
        Ok(Err(problems)) => {
            shown.problems = problems;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e @ AppError::Invalid(_)) => {
            shown.errors = e.messages().1.iter().map(|(f, m)| (f.clone(), ctx.msg(m))).collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e),
    };
    render(&ctx, status, shown).await
}
