//! Publication at persistent URLs: release packages paged by a cursor,
//! single releases, record packages (compiled and versioned releases merged
//! on request), the gzipped bulk file, the flat CSV, and validation of an
//! uploaded package.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::releases::LOCATION_EXTENSION;
use super::repo;
use super::{BID_EXTENSION, merger};
use crate::clock::{iso_utc, parse_rfc3339};
use crate::kernel::msg::Msg;
use crate::web::App;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// Releases a page of `/ocds/releases` holds at most.
const PAGE: i64 = 100;

/// Validates an uploaded release or record package (the body, as JSON or
/// as a multipart `file`), for anyone: the report as JSON.
pub async fn validate(State(app): State<App>, req: axum::extract::Request) -> AppResult<Response> {
    let bytes = uploaded_package(&app, req).await?;
    Ok(Json(validated(bytes).await?).into_response())
}

/// The package a request carries: its body, or the `file` field of a
/// multipart form; refused over the upload limit.
pub(super) async fn uploaded_package(app: &App, req: axum::extract::Request) -> AppResult<bytes::Bytes> {
    let limit = app.max_upload_bytes;
    let is_multipart = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("multipart/form-data"));
    let bytes = if is_multipart {
        use axum::extract::FromRequest;
        let mut form = axum::extract::Multipart::from_request(req, app)
            .await
            .map_err(|e| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e)))?;
        let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
        let mut found = None;
        // An anonymous caller's gigabyte is refused at the limit, not after.
        while let Some(mut field) = form.next_field().await.map_err(bad)? {
            if field.name() == Some("file") {
                found = Some(crate::web::upload::part_bytes(&mut field, limit).await?);
                break;
            }
        }
        found.ok_or_else(|| AppError::BadRequest(Msg::new("error.file_missing")))?
    } else {
        axum::body::to_bytes(req.into_body(), limit as usize).await.map_err(|_| AppError::TooLarge(limit))?
    };
    if bytes.len() as u64 > limit {
        return Err(AppError::TooLarge(limit));
    }
    Ok(bytes)
}

/// The validation report of a package, computed off the async threads.
pub(super) async fn validated(bytes: bytes::Bytes) -> AppResult<ocds::validate::Report> {
    tokio::task::spawn_blocking(move || ocds::validate::validate_package(&bytes)).await.map_err(|e| AppError::Internal(e.to_string()))
}

fn package(ctx: &Ctx, path: &str) -> Value {
    let (base, tenant) = (ctx.base_url(), &ctx.tenant.name);
    json!({
        "uri": format!("{base}{path}"),
        "version": "1.1",
        "publishedDate": format!("{}Z", &iso_utc(ctx.app.store.now_ms())[..19]),
        "publisher": {"name": tenant},
        "extensions": [BID_EXTENSION, LOCATION_EXTENSION],
    })
}

fn parse_release(text: &str) -> AppResult<Value> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored release is not JSON: {e}")))
}

#[derive(Deserialize)]
pub struct PageParams {
    /// The last release of the previous page (its sequence number).
    cursor: Option<i64>,
    /// Only releases dated at or after this (RFC 3339).
    since: Option<String>,
}

pub async fn releases(ctx: Ctx, Query(p): Query<PageParams>) -> AppResult<Response> {
    let since = match p.since.as_deref() {
        Some(s) => parse_rfc3339(s).ok_or_else(|| AppError::BadRequest(Msg::new("ocds.since_invalid").arg("value", s)))?,
        None => i64::MIN,
    };
    let rows = repo::releases_after(&ctx.app.store, &ctx.tenant.id, p.cursor.unwrap_or(0), since, PAGE).await?;
    let mut list = Vec::with_capacity(rows.len());
    let mut last = None;
    for (seq, data) in &rows {
        last = Some(*seq);
        list.push(parse_release(data)?);
    }
    let mut body = package(&ctx, "/ocds/releases");
    body["releases"] = json!(list);
    if let (Some(last), true) = (last, rows.len() as i64 == PAGE) {
        let since = p.since.map(|s| format!("&since={}", crate::web::urlencode(&s))).unwrap_or_default();
        body["links"] = json!({"next": format!("{}/ocds/releases?cursor={last}{since}", ctx.base_url())});
    }
    Ok(Json(body).into_response())
}

async fn process_releases(ctx: &Ctx, ocid: &str) -> AppResult<Vec<Value>> {
    let rows = repo::releases_of(&ctx.app.store, &ctx.tenant.id, ocid).await?;
    rows.iter().map(|r| parse_release(r)).collect()
}

pub async fn one_release(ctx: Ctx, Path((ocid, release_id)): Path<(String, String)>) -> AppResult<Response> {
    let release = repo::release(&ctx.app.store, &ctx.tenant.id, &ocid, &release_id).await?.ok_or_else(AppError::not_found)?;
    let mut body = package(&ctx, &format!("/ocds/releases/{ocid}/{release_id}"));
    body["releases"] = json!([parse_release(&release)?]);
    Ok(Json(body).into_response())
}

pub async fn record(ctx: Ctx, Path(ocid): Path<String>) -> AppResult<Response> {
    let releases = process_releases(&ctx, &ocid).await?;
    if releases.is_empty() {
        return Err(AppError::not_found());
    }
    let merger = merger();
    let compiled = merger.compiled(&releases).map_err(|e| AppError::Internal(format!("merge of {ocid}: {e}")))?;
    let versioned = merger.versioned(&releases).map_err(|e| AppError::Internal(format!("merge of {ocid}: {e}")))?;
    let mut body = package(&ctx, &format!("/ocds/records/{ocid}"));
    body["records"] = json!([{ "ocid": ocid, "releases": releases, "compiledRelease": compiled, "versionedRelease": versioned }]);
    Ok(Json(body).into_response())
}

/// Every release, one a line, gzipped, written page by page as it streams.
pub async fn bulk(ctx: Ctx) -> AppResult<Response> {
    use std::io::Write;
    use tokio::io::AsyncWriteExt;
    let store = ctx.app.store.clone();
    let tenant = ctx.tenant.id.clone();
    let (mut writer, reader) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let mut cursor = 0i64;
        loop {
            let rows = match repo::releases_after(&store, &tenant, cursor, i64::MIN, 1000).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "bulk file stopped");
                    return;
                }
            };
            // Each page is its own gzip member: concatenated members are one
            // valid gzip stream, and no encoder lives across an await.
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            for (seq, data) in &rows {
                cursor = *seq;
                let _ = gz.write_all(data.as_bytes());
                let _ = gz.write_all(b"\n");
            }
            let Ok(bytes) = gz.finish() else { return };
            if writer.write_all(&bytes).await.is_err() || rows.len() < 1000 {
                return;
            }
        }
    });
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    Ok(([(CONTENT_TYPE, "application/gzip"), (CONTENT_DISPOSITION, "attachment; filename=\"releases.jsonl.gz\"")], body).into_response())
}

/// Columns of the flat file: one row per contract (or one per process
/// without a contract), from the compiled release.
const CSV_COLUMNS: &[&str] = &[
    "ocid",
    "buyer_id",
    "buyer_name",
    "tender_title",
    "procurement_method",
    "procurement_method_details",
    "main_procurement_category",
    "tender_value",
    "currency",
    "award_id",
    "award_date",
    "award_value",
    "supplier_ids",
    "supplier_names",
    "contract_id",
    "contract_status",
    "date_signed",
    "contract_value",
    "payments_total",
];

fn flat_rows(c: &Value) -> Vec<Vec<String>> {
    let text = crate::web::format::cell_text;
    let t = &c["tender"];
    let head = vec![
        text(&c["ocid"]),
        text(&c["buyer"]["id"]),
        text(&c["buyer"]["name"]),
        text(&t["title"]),
        text(&t["procurementMethod"]),
        text(&t["procurementMethodDetails"]),
        text(&t["mainProcurementCategory"]),
        text(&t["value"]["amount"]),
        text(&t["value"]["currency"]),
    ];
    let awards: Vec<&Value> = c["awards"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    let contracts: Vec<&Value> = c["contracts"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    if contracts.is_empty() {
        let mut row = head;
        row.extend(std::iter::repeat_n(String::new(), CSV_COLUMNS.len() - row.len()));
        return vec![row];
    }
    contracts
        .iter()
        .map(|k| {
            let award = awards.iter().find(|a| a["id"] == k["awardID"]).copied().unwrap_or(&Value::Null);
            let suppliers: Vec<&Value> = award["suppliers"].as_array().map(|s| s.iter().collect()).unwrap_or_default();
            let paid: f64 =
                k["implementation"]["transactions"].as_array().into_iter().flatten().filter_map(|t| t["value"]["amount"].as_f64()).sum();
            let mut row = head.clone();
            row.extend([
                text(&award["id"]),
                text(&award["date"]),
                text(&award["value"]["amount"]),
                suppliers.iter().map(|s| text(&s["id"])).collect::<Vec<_>>().join(";"),
                suppliers.iter().map(|s| text(&s["name"])).collect::<Vec<_>>().join(";"),
                text(&k["id"]),
                text(&k["status"]),
                text(&k["dateSigned"]),
                text(&k["value"]["amount"]),
                if paid > 0.0 { paid.to_string() } else { String::new() },
            ]);
            row
        })
        .collect()
}

/// Every process compiled and flattened, one row per contract, streamed.
pub async fn compiled_csv(ctx: Ctx) -> AppResult<Response> {
    use tokio::io::AsyncWriteExt;
    let store = ctx.app.store.clone();
    let tenant = ctx.tenant.id.clone();
    let (mut writer, reader) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let line = |fields: &[String]| crate::web::format::csv_line(fields, b',');
        let header: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
        if writer.write_all(&line(&header)).await.is_err() {
            return;
        }
        let mut after = String::new();
        loop {
            let Ok(ocids) = repo::ocids_after(&store, &tenant, &after, 200).await else {
                return;
            };
            for ocid in &ocids {
                let Ok(rows) = repo::releases_of(&store, &tenant, ocid).await else {
                    return;
                };
                let releases: Vec<Value> = rows.iter().filter_map(|t| serde_json::from_str(t).ok()).collect();
                match merger().compiled(&releases) {
                    Ok(compiled) => {
                        for row in flat_rows(&compiled) {
                            if writer.write_all(&line(&row)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => tracing::warn!(%ocid, error = %e, "process left out of compiled.csv"),
                }
                after = ocid.clone();
            }
            if ocids.len() < 200 {
                return;
            }
        }
    });
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8"), (CONTENT_DISPOSITION, "attachment; filename=\"compiled.csv\"")], body).into_response())
}
