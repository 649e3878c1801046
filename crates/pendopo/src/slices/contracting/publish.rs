//! Publication at persistent URLs: release packages paged by a cursor,
//! single releases, record packages (compiled and versioned releases merged
//! on request), the gzipped bulk file, the flat CSV, and validation of an
//! uploaded package.

use axum::Json;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LINK};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::releases::LOCATION_EXTENSION;
use super::repo;
use super::{BID_EXTENSION, PAGINATION_EXTENSION, merger};
use crate::clock::iso_utc;
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

/// What every package says of itself: its own address, who publishes it,
/// under which licence and policy (the region's settings, with defaults),
/// and the extensions its releases and its `links` use.
async fn package(ctx: &Ctx, uri: String) -> AppResult<Value> {
    let settings = super::settings::load(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(json!({
        "uri": uri,
        "version": "1.1",
        "publishedDate": format!("{}Z", &iso_utc(ctx.app.store.now_ms())[..19]),
        "publisher": publisher(ctx),
        "license": settings.license_uri(),
        "publicationPolicy": settings.policy_uri(&ctx.base_url()),
        "extensions": [BID_EXTENSION, LOCATION_EXTENSION, PAGINATION_EXTENSION],
    }))
}

/// The regency or city that publishes. Its identifier is its Kemendagri
/// region code (`35.22`): the official code the Ministry of Home Affairs
/// gives every province, regency and village, stable across renamings and
/// used by every Indonesian government system. No org-id.guide list covers
/// Indonesia's local governments, so the scheme is named the way
/// org-id.guide names lists, by country and issuer: `ID-KEMENDAGRI`. The
/// `uri` is the region's page on this portal.
fn publisher(ctx: &Ctx) -> Value {
    json!({
        "name": ctx.tenant.name,
        "scheme": "ID-KEMENDAGRI",
        "uid": ctx.tenant.id,
        "uri": format!("{}/wilayah/{}", ctx.base_url(), ctx.tenant.id),
    })
}

fn parse_release(text: &str) -> AppResult<Value> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored release is not JSON: {e}")))
}

#[derive(Deserialize)]
pub struct PageParams {
    /// The last release of the previous page (its storage number).
    cursor: Option<String>,
    /// Only releases Pendopo published at or after this: a date or a
    /// date-time, in the region's zone when it names none.
    since: Option<String>,
    /// Releases a page holds (1 to 1000; 100 by default).
    limit: Option<String>,
}

/// Most releases one page may hold: a page stays a few megabytes.
const PAGE_MAX: i64 = 1000;

/// A page of `/ocds/releases`: a release package whose `uri` is the page's
/// own address and whose `links` (pagination extension) lead to the next
/// and previous pages with the same `since` and `limit`.
pub async fn releases(ctx: Ctx, Query(p): Query<PageParams>, RawQuery(query): RawQuery) -> AppResult<Response> {
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let since = match p.since.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => {
            crate::clock::parse_local(s, offset).ok_or_else(|| AppError::BadRequest(Msg::new("ocds.since_invalid").arg("value", s)))?
        }
        None => i64::MIN,
    };
    let whole = |key: &'static str, v: &Option<String>, range: std::ops::RangeInclusive<i64>| -> AppResult<Option<i64>> {
        match v.as_deref() {
            None | Some("") => Ok(None),
            Some(t) => t.trim().parse::<i64>().ok().filter(|n| range.contains(n)).map(Some).ok_or_else(|| {
                AppError::BadRequest(Msg::new("ocds.param_invalid").arg("param", key).arg("value", t).arg("max", *range.end()))
            }),
        }
    };
    let cursor = whole("cursor", &p.cursor, 0..=i64::MAX)?.unwrap_or(0);
    let limit = whole("limit", &p.limit, 1..=PAGE_MAX)?.unwrap_or(PAGE);
    let store = &ctx.app.store;
    // One more than the page: a next page is announced only when it has
    // releases (an empty package is not valid OCDS).
    let mut rows = repo::releases_after(store, &ctx.tenant.id, cursor, since, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let list = rows.iter().map(|(_, data)| parse_release(data)).collect::<AppResult<Vec<_>>>()?;
    let base = format!("{}/ocds/releases", ctx.base_url());
    let uri = match query.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => format!("{base}?{q}"),
        None => base.clone(),
    };
    let mut body = package(&ctx, uri).await?;
    body["releases"] = json!(list);
    // The same `since` and `limit` on every page, as the caller wrote them.
    let keep: String = [("since", &p.since), ("limit", &p.limit)]
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("&{k}={}", crate::web::urlencode(v))))
        .collect();
    let mut links = serde_json::Map::new();
    if let (Some((last, _)), true) = (rows.last(), more) {
        links.insert("next".into(), json!(format!("{base}?cursor={last}{keep}")));
    }
    if cursor > 0 {
        let before = repo::cursor_before(store, &ctx.tenant.id, cursor, since, limit).await?;
        links.insert("prev".into(), json!(format!("{base}?cursor={before}{keep}")));
    }
    if !links.is_empty() {
        body["links"] = Value::Object(links);
    }
    Ok(Json(body).into_response())
}

async fn process_releases(ctx: &Ctx, ocid: &str) -> AppResult<Vec<Value>> {
    let rows = repo::releases_of(&ctx.app.store, &ctx.tenant.id, ocid).await?;
    rows.iter().map(|r| parse_release(r)).collect()
}

pub async fn one_release(ctx: Ctx, Path((ocid, release_id)): Path<(String, String)>) -> AppResult<Response> {
    let release = repo::release(&ctx.app.store, &ctx.tenant.id, &ocid, &release_id).await?.ok_or_else(AppError::not_found)?;
    let mut body = package(&ctx, format!("{}/ocds/releases/{ocid}/{release_id}", ctx.base_url())).await?;
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
    let mut body = package(&ctx, format!("{}/ocds/records/{ocid}", ctx.base_url())).await?;
    body["records"] = json!([{ "ocid": ocid, "releases": releases, "compiledRelease": compiled, "versionedRelease": versioned }]);
    Ok(Json(body).into_response())
}

/// The licence and publication policy of a bulk file, which has no package
/// to say them in, as a `Link` header (RFC 8288's `license` relation).
async fn license_link(ctx: &Ctx) -> AppResult<String> {
    let settings = super::settings::load(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(format!("<{}>; rel=\"license\", <{}>; rel=\"describedby\"", settings.license_uri(), settings.policy_uri(&ctx.base_url())))
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
    let headers = [
        (CONTENT_TYPE, "application/gzip".to_string()),
        (CONTENT_DISPOSITION, "attachment; filename=\"releases.jsonl.gz\"".to_string()),
        (LINK, license_link(&ctx).await?),
    ];
    Ok((headers, body).into_response())
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
    let headers = [
        (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
        (CONTENT_DISPOSITION, "attachment; filename=\"compiled.csv\"".to_string()),
        (LINK, license_link(&ctx).await?),
    ];
    Ok((headers, body).into_response())
}
