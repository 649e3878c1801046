//! The billboard poster as files: one village's at
//! `/desa/{code}/poster/{year}.svg|.pdf` and every published village's of
//! a year in one ZIP at `/desa/poster/{year}.zip`, A4 unless `?ukuran=a1`.
//! The figures are the published budget's, as the village page shows them
//! (`api::budget_view`); `poster.rs` lays them out.

use axum::extract::{Path, Query};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{BudgetView, budget_view, find_village, year_of};
use super::poster::{self, PosterData, Size};
use super::repo;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::format::date_words;

#[derive(Deserialize)]
pub struct SizeParam {
    #[serde(default)]
    ukuran: Option<String>,
}

impl SizeParam {
    fn size(&self) -> AppResult<Size> {
        match self.ukuran.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(Size::A4),
            Some(s) => Size::parse(s).ok_or_else(AppError::not_found),
        }
    }
}

/// `2026.pdf` > (2026, "pdf").
fn split_file(file: &str) -> AppResult<(i32, &str)> {
    let (year, ext) = file.rsplit_once('.').ok_or_else(AppError::not_found)?;
    Ok((year_of(year)?, ext))
}

/// The poster's data from a village and its published budget.
fn data(ctx: &Ctx, village: &repo::Village, budget: BudgetView) -> PosterData {
    let published = budget.versions.iter().find(|v| v.version == budget.version).and_then(|v| v.published_at);
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let published = published
        .and_then(|ms| kalender::Date::from_unix_millis(ms, offset))
        .map(|d| date_words(d.year().into(), d.month(), d.day(), ctx.lang))
        .unwrap_or_default();
    let reported = [budget.lines.iter().any(|l| l.realisasi_s1.is_some()), budget.lines.iter().any(|l| l.realisasi_s2.is_some())];
    PosterData {
        desa_name: village.name.clone(),
        desa_code: village.code.clone(),
        kecamatan: village.kecamatan_name.clone(),
        regency: ctx.tenant.name.clone(),
        year: budget.year,
        perubahan: budget.perubahan,
        figures: budget.totals,
        reported,
        published,
        page_url: format!("{}/desa/{}", ctx.base_url(), village.code),
    }
}

/// `/desa/{code}/poster/{year}.svg|.pdf`: the published budget's poster.
pub async fn one(ctx: Ctx, Path((code, file)): Path<(String, String)>, Query(p): Query<SizeParam>) -> AppResult<Response> {
    let (year, ext) = split_file(&file)?;
    let size = p.size()?;
    let village = find_village(&ctx, &code).await?;
    let budget = budget_view(&ctx, &code, year, None, false).await?.ok_or_else(AppError::not_found)?;
    let data = data(&ctx, &village, budget);
    let drawing = poster::poster(&data, size);
    let (media_type, body) = match ext {
        "svg" => ("image/svg+xml", drawing.to_svg().into_bytes()),
        "pdf" => ("application/pdf", drawing.to_pdf()),
        _ => return Err(AppError::not_found()),
    };
    let disposition = format!("inline; filename=\"{}\"", poster::file_name(&data, size, ext));
    Ok(([(CONTENT_TYPE, media_type.to_string()), (CONTENT_DISPOSITION, disposition)], body).into_response())
}

/// `/desa/poster/{year}.zip`: the PDF poster of every village whose
/// budget of the year is published, in code order.
pub async fn all(ctx: Ctx, Path(file): Path<String>, Query(p): Query<SizeParam>) -> AppResult<Response> {
    let (year, ext) = split_file(&file)?;
    if ext != "zip" {
        return Err(AppError::not_found());
    }
    let size = p.size()?;
    let mut posters = Vec::new();
    for village in repo::villages(&ctx.app.store, &ctx.tenant.id).await? {
        if let Some(budget) = budget_view(&ctx, &village.code, year, None, false).await? {
            posters.push(data(&ctx, &village, budget));
        }
    }
    if posters.is_empty() {
        return Err(AppError::not_found());
    }
    // Drawing and compressing 430 pages is CPU work: off the request threads.
    let zip = tokio::task::spawn_blocking(move || {
        poster::zip_bytes(posters.iter().map(|d| (poster::file_name(d, size, "pdf"), poster::poster(d, size).to_pdf())))
    })
    .await
    .map_err(|e| AppError::Internal(format!("posters: {e}")))?
    .map_err(|e| AppError::Internal(format!("posters zip: {e}")))?;
    let disposition = format!("attachment; filename=\"poster-apbdes-{year}-{}.zip\"", size.slug());
    Ok(([(CONTENT_TYPE, "application/zip".to_string()), (CONTENT_DISPOSITION, disposition)], zip).into_response())
}
