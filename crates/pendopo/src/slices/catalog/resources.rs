//! Resource pages: a resource with its versions, the upload forms, and the
//! download of any kept version.

use axum::Form;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::datastore::{self, DatastoreError};
use super::intake::{self, IntakeError};
use super::repo::{self, Upload, Viewer};
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};
use crate::web::upload;

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new()
        .route("/dataset/{name}/resource", post(upload_new).layer(DefaultBodyLimit::disable()))
        .route("/dataset/{name}/resource/{rid}", get(show))
        .route("/dataset/{name}/resource/{rid}/upload", post(upload_version).layer(DefaultBodyLimit::disable()))
        .route("/dataset/{name}/resource/{rid}/delete", post(delete))
        .route("/dataset/{name}/resource/{rid}/types", post(set_types))
        .route("/datastore/dump/{rid}", get(dump))
        .route("/dataset/{name}/resource/{rid}/download/{filename}", get(download))
}

#[derive(Deserialize, Default)]
struct PreviewParams {
    page: Option<i64>,
    sort: Option<String>,
    desc: Option<String>,
    /// Chart: bar or line, the label column and the value column.
    chart: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// Rows a chart shows at most; more would not be readable.
const CHART_POINTS: i64 = 60;

const PREVIEW_ROWS: i64 = 25;

async fn show(ctx: Ctx, Path((name, rid)): Path<(String, String)>, Query(p): Query<PreviewParams>) -> AppResult<Response> {
    render_show(&ctx, &name, &rid, &p, None).await
}

async fn render_show(ctx: &Ctx, name: &str, rid: &str, p: &PreviewParams, error: Option<&AppError>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let d = repo::get(store, &ctx.tenant.id, name, &Viewer::of(ctx.user.as_ref())).await?.ok_or_else(AppError::not_found)?;
    let r = d.resources.iter().find(|r| r.id == rid).cloned().ok_or_else(AppError::not_found)?;
    let versions = repo::versions(store, &ctx.tenant.id, &r.id).await?;
    let can_edit = ctx.user.as_ref().is_some_and(|u| crate::kernel::access::for_org(u, &d.org.id));
    let table = datastore::table(store, &ctx.tenant.id, &r.id).await?;
    // The preview: a page of rows, sorted by a column the visitor chose.
    let (mut preview, mut pages, page) = (None, 0, p.page.unwrap_or(1).max(1));
    let mut chart = None;
    if let Some(t) = &table {
        let sort = p.sort.clone().filter(|s| t.fields.iter().any(|f| &f.id == s));
        let desc = p.desc.as_deref() == Some("1");
        let query = datastore::Search {
            sort: sort.iter().map(|s| (s.clone(), desc)).collect(),
            limit: PREVIEW_ROWS,
            offset: (page - 1) * PREVIEW_ROWS,
            include_total: true,
            ..Default::default()
        };
        let mut found = datastore::search(store, t, &query).await.map_err(datastore_error)?;
        pages = (found.total.unwrap_or(0) + PREVIEW_ROWS - 1) / PREVIEW_ROWS;
        numbers_first(&mut found);
        let labels: Vec<String> = found.fields.iter().map(|f| crate::web::format::column_label(&f.id)).collect();
        preview = Some(minijinja::context! { fields => found.fields, labels, records => found.records, total => found.total, sort, desc });
        chart = chart_of(store, t, p).await?;
    }
    let (message, status) = match error {
        Some(e) => (Some(ctx.msg(&e.messages().1.first().map(|(_, m)| m.clone()).unwrap_or_else(|| e.messages().0))), e.status()),
        None => (None, StatusCode::OK),
    };
    let page_ctx = minijinja::context! {
        d, r, versions, can_edit, table, preview, page, pages, chart, error => message,
        types => tabular::ColumnType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        max_upload => ctx.app.max_upload_bytes as i64,
    };
    Ok((status, ctx.render("catalog/resource_show.html", page_ctx)?).into_response())
}

pub fn datastore_error(e: DatastoreError) -> AppError {
    match e {
        DatastoreError::Import(e) => rejected(&e),
        DatastoreError::NotTabular => AppError::BadRequest(Msg::new("datastore.not_tabular")),
        DatastoreError::Invalid(m) => AppError::BadRequest(m),
        DatastoreError::Store(e) => e.into(),
    }
}

/// The publisher's column types: reload the file with them, all or nothing.
async fn set_types(
    SignedIn(ctx): SignedIn,
    Path((name, rid)): Path<(String, String)>,
    Form(form): Form<std::collections::BTreeMap<String, String>>,
) -> AppResult<Response> {
    ctx.check_csrf(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let user = ctx.user()?;
    let d = repo::get(&ctx.app.store, &ctx.tenant.id, &name, &Viewer::of(Some(user))).await?.ok_or_else(AppError::not_found)?;
    if !crate::kernel::access::for_org(user, &d.org.id) || !d.resources.iter().any(|r| r.id == rid) {
        return Err(ctx.denied());
    }
    let types = form.iter().filter_map(|(k, v)| k.strip_prefix("type:").map(|col| (col.to_string(), v.clone()))).collect();
    match datastore::import(&ctx.app.store, &ctx.app.files, &ctx.tenant.id, &rid, &types).await {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/dataset/{name}/resource/{rid}"))]).into_response()),
        Err(e) => {
            let e = datastore_error(e);
            match e {
                AppError::Invalid(_) | AppError::BadRequest(_) => render_show(&ctx, &name, &rid, &PreviewParams::default(), Some(&e)).await,
                e => Err(e),
            }
        }
    }
}

async fn receive(ctx: &Ctx, name: &str, resource_id: Option<String>, form: Multipart) -> AppResult<Response> {
    let user = ctx.user()?;
    // Who may write this dataset is asked before the form is read: no file
    // of someone who may not is ever written.
    let dataset = repo::get(&ctx.app.store, &ctx.tenant.id, name, &Viewer::of(Some(user))).await?.ok_or_else(AppError::not_found)?;
    if !crate::kernel::access::for_org(user, &dataset.org.id) {
        return Err(ctx.denied());
    }
    let expected = ctx.csrf.clone();
    let check = move |t: &str| !expected.is_empty() && t == expected;
    let parsed = upload::read(&ctx.app, &ctx.tenant.id, form, &|n| n == "upload", Some(&check)).await?;
    ctx.check_csrf(parsed.fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let Some((filename, saved)) = parsed.file else {
        return Err(AppError::BadRequest(crate::kernel::msg::Msg::new("error.file_missing")));
    };
    let field = |k: &str| parsed.fields.get(k).cloned().unwrap_or_default();
    let up = Upload { resource_id, name: field("name"), description: field("description"), format: field("format"), filename, saved };
    match intake::accept(&ctx.app.store, &ctx.app.files, &ctx.tenant.id, user, name, up).await {
        Ok((r, _)) => {
            let d =
                repo::get(&ctx.app.store, &ctx.tenant.id, &r.dataset_id, &Viewer::of(Some(user))).await?.ok_or_else(AppError::not_found)?;
            Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/dataset/{}/resource/{}", d.name, r.id))]).into_response())
        }
        Err(IntakeError::Rejected(e)) => Err(rejected(&e)),
        Err(IntakeError::Catalog(e)) => Err(e.into()),
    }
}

/// A table that cannot be loaded: where and why.
pub fn rejected_msg(e: &tabular::ImportError) -> Msg {
    Msg::new("datastore.rejected")
        .arg("line", e.line)
        .arg("column", e.column.clone().unwrap_or_else(|| "-".into()))
        .arg("reason", &e.reason)
}

/// The same, as the upload form's error.
pub fn rejected(e: &tabular::ImportError) -> AppError {
    AppError::invalid("upload", rejected_msg(e))
}

async fn upload_new(SignedIn(ctx): SignedIn, Path(name): Path<String>, form: Multipart) -> AppResult<Response> {
    receive(&ctx, &name, None, form).await
}

async fn upload_version(SignedIn(ctx): SignedIn, Path((name, rid)): Path<(String, String)>, form: Multipart) -> AppResult<Response> {
    receive(&ctx, &name, Some(rid), form).await
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn delete(SignedIn(ctx): SignedIn, Path((name, rid)): Path<(String, String)>, Form(form): Form<CsrfForm>) -> AppResult<Response> {
    ctx.check_csrf(&form.csrf)?;
    let user = ctx.user()?;
    repo::delete_resource(&ctx.app.store, &ctx.tenant.id, user, &rid).await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/dataset/{name}"))]).into_response())
}

#[derive(Deserialize)]
struct VersionParam {
    version: Option<i64>,
}

/// The file, streamed from disk: a version kept in the history, or the newest.
async fn download(
    ctx: Ctx,
    Path((name, rid, _filename)): Path<(String, String, String)>,
    Query(v): Query<VersionParam>,
) -> AppResult<Response> {
    let store = &ctx.app.store;
    let d = repo::get(store, &ctx.tenant.id, &name, &Viewer::of(ctx.user.as_ref())).await?.ok_or_else(AppError::not_found)?;
    if !d.resources.iter().any(|r| r.id == rid) {
        return Err(AppError::not_found());
    }
    let (key, filename) = repo::version_file(store, &ctx.tenant.id, &rid, v.version).await?.ok_or_else(AppError::not_found)?;
    let path = ctx.app.files.path(&key).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers =
        vec![(CONTENT_TYPE, content_type(&filename).to_string()), (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\""))];
    crate::web::send_file(&path, headers).await
}

fn content_type(filename: &str) -> &'static str {
    match filename.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("ods") => "application/vnd.oasis.opendocument.spreadsheet",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("geojson") => "application/geo+json",
        _ => "application/octet-stream",
    }
}

#[derive(Deserialize)]
struct DumpParams {
    format: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    bom: Option<String>,
}

/// CKAN's `/datastore/dump/{resource_id}`: the table as CSV, TSV, JSON or
/// XML in CKAN's layouts (`datastore::dump`), with `limit`, `offset` and
/// `bom`; or as XLSX (Pendopo's own). Bad parameters answer 400 before
/// anything is read.
async fn dump(ctx: Ctx, Path(rid): Path<String>, Query(p): Query<DumpParams>) -> AppResult<Response> {
    let store = ctx.app.store.clone();
    let tenant = ctx.tenant.id.clone();
    let format_name = p.format.as_deref().unwrap_or("csv").trim().to_ascii_lowercase();
    let format = datastore::DumpFormat::parse(&format_name);
    if format.is_none() && format_name != "xlsx" {
        return Err(AppError::BadRequest(Msg::new("datastore.format_unknown").arg("format", &format_name)));
    }
    let number = |v: &Option<String>, key: &str| -> AppResult<Option<i64>> {
        match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => t
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| AppError::BadRequest(Msg::new("datastore.dump_number").arg("param", key).arg("value", t))),
        }
    };
    let (limit, offset) = (number(&p.limit, "limit")?, number(&p.offset, "offset")?.unwrap_or(0));
    // CKAN's boolean reading: anything else is false.
    let bom = p.bom.as_deref().is_some_and(|b| matches!(b.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "y" | "t" | "on"));
    let r = repo::resource(&store, &tenant, &rid).await?.ok_or_else(AppError::not_found)?;
    let d = repo::get(&store, &tenant, &r.dataset_id, &Viewer::of(ctx.user.as_ref())).await?.ok_or_else(AppError::not_found)?;
    let table = datastore::table(&store, &tenant, &rid).await?.ok_or_else(AppError::not_found)?;
    let Some(format) = format else {
        return dump_xlsx(store, table, &format!("{}-{}", d.name, crate::kernel::files::safe_name(&r.name))).await;
    };
    let body = datastore::dump(store, table, datastore::Dump { format, offset, limit, bom });
    // CKAN names the file by the resource id.
    let headers = [
        (CONTENT_TYPE, format.content_type().to_string()),
        (CONTENT_DISPOSITION, format!("attachment; filename=\"{rid}.{}\"", format.extension())),
    ];
    Ok((headers, body).into_response())
}

/// The preview's columns with what a phone should show before the table
/// scrolls: the row number, the row's name (its first text column that is
/// not a code), then the numbers, then the rest in the file's order.
fn numbers_first(found: &mut datastore::Found) {
    let fields = &found.fields;
    let is_number = |i: usize| matches!(fields[i].ty.as_str(), "int" | "numeric") && fields[i].id != "_id";
    let name = (0..fields.len()).find(|&i| fields[i].ty == "text" && !fields[i].id.starts_with("kode"));
    let mut order: Vec<usize> = (0..fields.len()).filter(|&i| fields[i].id == "_id").collect();
    order.extend(name);
    order.extend((0..fields.len()).filter(|&i| is_number(i)));
    let rest: Vec<usize> = (0..fields.len()).filter(|i| !order.contains(i)).collect();
    order.extend(rest);
    found.fields = order.iter().map(|&i| found.fields[i].clone()).collect();
    for row in &mut found.records {
        *row = order.iter().filter_map(|&i| row.get(i).cloned()).collect();
    }
}

/// The chart the visitor chose, or a sensible first one: the first label
/// column against the first number column.
async fn chart_of(store: &crate::store::Store, t: &datastore::Table, p: &PreviewParams) -> AppResult<Option<minijinja::Value>> {
    let numbers: Vec<&str> = t.fields.iter().filter(|f| f.ty == "int" || f.ty == "numeric").map(|f| f.id.as_str()).collect();
    let labels: Vec<&str> = t.fields.iter().filter(|f| f.ty == "text" || f.ty == "date").map(|f| f.id.as_str()).collect();
    let y = p.y.as_deref().filter(|y| numbers.contains(y)).or_else(|| numbers.first().copied());
    let x =
        p.x.as_deref()
            .filter(|x| labels.contains(x))
            .or_else(|| labels.iter().find(|l| !l.starts_with("kode")).or(labels.first()).copied());
    let (Some(x), Some(y)) = (x, y) else { return Ok(None) };
    let kind = crate::web::chart::Kind::parse(p.chart.as_deref().unwrap_or("bar"));
    let query = datastore::Search { fields: vec![x.to_string(), y.to_string()], limit: CHART_POINTS, ..Default::default() };
    let found = datastore::search(store, t, &query).await.map_err(datastore_error)?;
    let points: Vec<(String, f64)> = found
        .records
        .iter()
        .filter_map(|row| Some((row.first()?.as_str().unwrap_or_default().to_string(), row.get(1)?.as_f64()?)))
        .collect();
    let svg = crate::web::chart::render(kind, &format!("{y} / {x}"), y, &points);
    Ok(Some(minijinja::context! {
        svg => minijinja::Value::from_safe_string(svg), x, y, numbers, labels,
        kind => if kind == crate::web::chart::Kind::Line { "line" } else { "bar" },
        truncated => t.row_count > CHART_POINTS,
    }))
}

/// Rows an XLSX sheet can hold besides its header.
const XLSX_MAX_ROWS: i64 = 1_048_575;

/// The table as an XLSX workbook, written row by row to a temporary file
/// (the writer's constant-memory mode), then streamed.
async fn dump_xlsx(store: crate::store::Store, table: datastore::Table, name: &str) -> AppResult<Response> {
    if table.row_count > XLSX_MAX_ROWS {
        return Err(AppError::BadRequest(Msg::new("datastore.xlsx_too_many").arg("rows", crate::web::format::thousands(table.row_count))));
    }
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Vec<serde_json::Value>>>(2);
    let fields = table.fields.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<tempfile::NamedTempFile, String> {
        use rust_xlsxwriter::Workbook;
        let mut book = Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory().map_err(|e| e.to_string())?;
        for (c, f) in fields.iter().enumerate() {
            sheet.write_string(0, c as u16, &f.id).map_err(|e| e.to_string())?;
        }
        let mut row: u32 = 1;
        for page in receiver {
            for record in page {
                for (c, v) in record.iter().enumerate() {
                    let c = c as u16;
                    let written = match v {
                        serde_json::Value::Null => continue,
                        serde_json::Value::Bool(b) => sheet.write_boolean(row, c, *b).map(|_| ()),
                        serde_json::Value::Number(n) => sheet.write_number(row, c, n.as_f64().unwrap_or(0.0)).map(|_| ()),
                        serde_json::Value::String(s) => sheet.write_string(row, c, s).map(|_| ()),
                        other => sheet.write_string(row, c, other.to_string()).map(|_| ()),
                    };
                    written.map_err(|e| e.to_string())?;
                }
                row += 1;
            }
        }
        let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        book.save(file.path()).map_err(|e| e.to_string())?;
        Ok(file)
    });
    let names: Vec<String> = table.fields.iter().map(|f| f.id.clone()).collect();
    let mut offset = 0;
    loop {
        let query = datastore::Search { fields: names.clone(), limit: 5_000, offset, ..Default::default() };
        let found = datastore::search(&store, &table, &query).await.map_err(datastore_error)?;
        let n = found.records.len() as i64;
        if sender.send(found.records).is_err() {
            break;
        }
        if n < 5_000 {
            break;
        }
        offset += 5_000;
    }
    drop(sender);
    let file = writer.await.map_err(|e| AppError::Internal(e.to_string()))?.map_err(AppError::Internal)?;
    // The open handle keeps the file readable after the name is removed.
    let handle = tokio::fs::File::open(file.path()).await.map_err(|e| AppError::Internal(e.to_string()))?;
    drop(file);
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(handle));
    let headers =
        [(CONTENT_TYPE, content_type("x.xlsx").to_string()), (CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.xlsx\""))];
    Ok((headers, body).into_response())
}
