//! A year's budget to take away: the Fiscal Data Package descriptor
//! (`anggaran::fdp`, its resource the CSV served beside it), the CSV
//! itself, and the same table as an XLSX workbook (amounts as numbers).
//! All show the year's shown version (the APBD-P when there is one).

use axum::extract::Path;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::{model, year_of};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

async fn csv_text(ctx: &Ctx, year: &str) -> AppResult<(i32, String)> {
    let year = year_of(year)?;
    let budget = model::load(&ctx.app, &ctx.tenant.id, year, None).await?.ok_or_else(AppError::not_found)?;
    let plain: Vec<anggaran::apbd::Line> = budget.lines.iter().map(|l| l.line.clone()).collect();
    Ok((year, anggaran::fdp::apbd_csv(year, &plain)))
}

/// `/anggaran/{year}/datapackage.json`.
pub async fn datapackage(ctx: Ctx, Path(year): Path<String>) -> AppResult<Response> {
    let year = year_of(&year)?;
    let budget = model::load(&ctx.app, &ctx.tenant.id, year, None).await?.ok_or_else(AppError::not_found)?;
    let base = ctx.base_url();
    let meta = anggaran::fdp::Meta {
        name: format!("apbd-{}-{year}", ctx.tenant.id.replace('.', "-")),
        title: format!("APBD {} {year} ({})", ctx.tenant.name, budget.version.kind.code().to_uppercase()),
        description: format!(
            "Anggaran Pendapatan dan Belanja Daerah {} tahun {year}: pagu dan realisasi per triwulan per sub kegiatan dan rekening \
             (Permendagri 90/2019).",
            ctx.tenant.name
        ),
        homepage: Some(format!("{base}/anggaran/{year}")),
        license: ("CC-BY-4.0".into(), "https://creativecommons.org/licenses/by/4.0/".into(), "Creative Commons Attribution 4.0".into()),
        year,
        csv_url: format!("{base}/anggaran/{year}/apbd.csv"),
        // The descriptor is made on request; its data's date is on the page.
        created: None,
    };
    let package = anggaran::fdp::datapackage(anggaran::fdp::Kind::Apbd, &meta).map_err(|e| AppError::Internal(e.code().into()))?;
    Ok(axum::Json(package).into_response())
}

fn download(kind: &str, year: i32, ext: &str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"apbd-{year}.{ext}\"");
    ([(CONTENT_TYPE, kind.to_string()), (CONTENT_DISPOSITION, disposition)], body).into_response()
}

/// `/anggaran/{year}/apbd.csv`: the package's resource.
pub async fn csv(ctx: Ctx, Path(year): Path<String>) -> AppResult<Response> {
    let (year, text) = csv_text(&ctx, &year).await?;
    Ok(download("text/csv; charset=utf-8", year, "csv", text.into_bytes()))
}

/// Columns of the CSV that hold amounts or the year: numbers in the workbook.
fn is_number(column: &str) -> bool {
    column == "tahun" || column == "anggaran" || column.starts_with("realisasi_")
}

/// `/anggaran/{year}/apbd.xlsx`: the CSV's table as a workbook.
pub async fn xlsx(ctx: Ctx, Path(year): Path<String>) -> AppResult<Response> {
    let (year, text) = csv_text(&ctx, &year).await?;
    let build = || -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name(format!("APBD {year}"))?;
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
        for (c, title) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, title)?;
        }
        for (r, record) in reader.records().enumerate() {
            let record = record?;
            for (c, value) in record.iter().enumerate() {
                match value.parse::<i64>() {
                    Ok(n) if is_number(&header[c]) => sheet.write_number(r as u32 + 1, c as u16, n as f64)?,
                    _ => sheet.write_string(r as u32 + 1, c as u16, value)?,
                };
            }
        }
        Ok(book.save_to_buffer()?)
    };
    let body = build().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", year, "xlsx", body))
}
