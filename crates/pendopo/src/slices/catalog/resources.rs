//! Resource pages: a resource with its versions, the upload forms, and the
//! download of any kept version.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::repo::{self, Upload, Viewer};
use crate::web::App;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};
use crate::web::upload;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/dataset/{name}/resource", post(upload_new).layer(DefaultBodyLimit::disable()))
        .route("/dataset/{name}/resource/{rid}", get(show))
        .route("/dataset/{name}/resource/{rid}/upload", post(upload_version).layer(DefaultBodyLimit::disable()))
        .route("/dataset/{name}/resource/{rid}/delete", post(delete))
        .route("/dataset/{name}/resource/{rid}/download/{filename}", get(download))
}

async fn show(ctx: Ctx, Path((name, rid)): Path<(String, String)>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let d = repo::get(store, &ctx.tenant.id, &name, &Viewer::of(ctx.user.as_ref())).await?.ok_or_else(AppError::not_found)?;
    let r = d.resources.iter().find(|r| r.id == rid).cloned().ok_or_else(AppError::not_found)?;
    let versions = repo::versions(store, &ctx.tenant.id, &r.id).await?;
    let can_edit = ctx.user.as_ref().is_some_and(|u| repo::can_write(u, &d.org.id));
    let page = minijinja::context! { d, r, versions, can_edit, max_upload => ctx.app.max_upload_bytes as i64 };
    Ok(ctx.render("resource_show.html", page)?.into_response())
}

async fn receive(ctx: &Ctx, name: &str, resource_id: Option<String>, form: Multipart) -> AppResult<Response> {
    let user = ctx.user()?;
    let expected = ctx.csrf.clone();
    let check = move |t: &str| !expected.is_empty() && t == expected;
    let parsed = upload::read(&ctx.app, &ctx.tenant.id, form, "upload", Some(&check)).await?;
    ctx.check_csrf(parsed.fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let Some((filename, saved)) = parsed.file else {
        return Err(AppError::BadRequest(crate::kernel::msg::Msg::new("error.file_missing")));
    };
    let field = |k: &str| parsed.fields.get(k).cloned().unwrap_or_default();
    let up = Upload { resource_id, name: field("name"), description: field("description"), format: field("format"), filename, saved };
    let key = up.saved.key.clone();
    match repo::record_upload(&ctx.app.store, &ctx.tenant.id, user, name, up).await {
        Ok(r) => {
            let d =
                repo::get(&ctx.app.store, &ctx.tenant.id, &r.dataset_id, &Viewer::of(Some(user))).await?.ok_or_else(AppError::not_found)?;
            Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/dataset/{}/resource/{}", d.name, r.id))]).into_response())
        }
        Err(e) => {
            // Nothing refers to the file: do not keep it.
            if let Ok(path) = ctx.app.files.path(&key) {
                let _ = tokio::fs::remove_file(path).await;
            }
            Err(e.into())
        }
    }
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
    let file = tokio::fs::File::open(&path).await.map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let headers = [
        (CONTENT_TYPE, content_type(&filename).to_string()),
        (CONTENT_LENGTH, len.to_string()),
        (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
    ];
    Ok((headers, body).into_response())
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
