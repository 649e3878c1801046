//! A village's APBDes to take away as a Fiscal Data Package: the
//! descriptor at `/desa/{code}/apbdes/{year}/datapackage.json` (written by
//! `anggaran::fdp`, as the regency's APBD is) whose one resource is the CSV
//! served beside it, `/desa/{code}/apbdes/{year}/apbdes.csv`. Both show
//! the latest published version, or `?versi=N`; drafts are never shown.

use anggaran::apbdes::{Apbdes, CodeList};
use axum::extract::{Path, Query};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::api::{find_village, year_of};
use super::repo;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

#[derive(Deserialize)]
pub struct VersionParams {
    #[serde(default)]
    versi: Option<i64>,
}

/// The village, its code and the published version asked for, checked.
async fn published(ctx: &Ctx, code: &str, year: &str, wanted: Option<i64>) -> AppResult<(repo::Village, wilayah::Code, i32, i64, Apbdes)> {
    let village = find_village(ctx, code).await?;
    let parsed = wilayah::Code::parse(&village.code).map_err(|_| AppError::not_found())?;
    let year = year_of(year)?;
    let versions = repo::versions(&ctx.app.store, &ctx.tenant.id, &village.code, year).await?;
    let mut shown = versions.into_iter().filter(|v| v.status == "published");
    let version = match wanted {
        Some(n) => shown.find(|v| v.version == n),
        None => shown.next_back(),
    }
    .ok_or_else(AppError::not_found)?;
    let (_, checked) = repo::budget(&ctx.app.store, &ctx.tenant.id, &village.code, year, &version).await?;
    let checked = checked.ok_or_else(|| AppError::Internal(format!("stored APBDes {} {year} no longer checks", village.code)))?;
    Ok((village, parsed, year, version.version, checked))
}

/// `?versi=N` to carry into the resource's address.
fn version_query(wanted: Option<i64>) -> String {
    wanted.map(|n| format!("?versi={n}")).unwrap_or_default()
}

/// `GET /desa/{code}/apbdes/{year}/datapackage.json`.
pub async fn datapackage(ctx: Ctx, Path((code, year)): Path<(String, String)>, Query(p): Query<VersionParams>) -> AppResult<Response> {
    let (village, parsed, year, version, _) = published(&ctx, &code, &year, p.versi).await?;
    let base = ctx.base_url();
    let page = format!("{base}/desa/{}", village.code);
    let meta = anggaran::fdp::Meta {
        name: format!("apbdes-{}-{year}", parsed.bps()),
        title: format!("APBDes {} {year} (versi {version})", village.name),
        description: format!(
            "Anggaran Pendapatan dan Belanja Desa {} (Kecamatan {}, {}) tahun {year}, versi {version}: rencana dan realisasi per \
             semester per rekening, bidang dan kegiatan (Permendagri 20/2018).",
            village.name, village.kecamatan_name, ctx.tenant.name
        ),
        homepage: Some(format!("{page}?tahun={year}")),
        license: ("CC-BY-4.0".into(), "https://creativecommons.org/licenses/by/4.0/".into(), "Creative Commons Attribution 4.0".into()),
        year,
        csv_url: format!("{page}/apbdes/{year}/apbdes.csv{}", version_query(p.versi)),
        // Made on request; the version says which figures it holds.
        created: None,
    };
    let package = anggaran::fdp::datapackage(anggaran::fdp::Kind::Apbdes, &meta).map_err(|e| AppError::Internal(e.code().into()))?;
    Ok(axum::Json(package).into_response())
}

/// `GET /desa/{code}/apbdes/{year}/apbdes.csv`: the package's resource.
pub async fn csv(ctx: Ctx, Path((code, year)): Path<(String, String)>, Query(p): Query<VersionParams>) -> AppResult<Response> {
    let (village, parsed, year, _, budget) = published(&ctx, &code, &year, p.versi).await?;
    let disposition = format!("attachment; filename=\"apbdes-{}-{year}.csv\"", parsed.bps());
    let text = anggaran::fdp::apbdes_csv(year, &[(parsed, village.name.as_str(), &budget)], &CodeList::embedded());
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (CONTENT_DISPOSITION, disposition)], text).into_response())
}
