//! Files attached to procurement: an officer's progress photo or a notice
//! or contract (PDF), a citizen's report photo. Kept in the file store, recorded in `ocds_files`, served at
//! `/pengadaan/berkas/{id}/{filename}` (the address OCDS documents carry).

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::Response;

use crate::kernel::files::Saved;
use crate::kernel::identity::new_id;
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, sql};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

/// What a phone camera gives, and the PDF of a notice or a contract.
const TYPES: &[(&str, &str)] =
    &[("jpg", "image/jpeg"), ("jpeg", "image/jpeg"), ("png", "image/png"), ("webp", "image/webp"), ("pdf", "application/pdf")];

pub fn media_type(filename: &str) -> &'static str {
    let ext = filename.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    TYPES.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t).unwrap_or("application/octet-stream")
}

/// What may be attached: a photo (progress, reports) or also a PDF (documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    Photo,
    PhotoOrPdf,
}

/// Records an uploaded file if its type is allowed, else refuses it by name.
pub async fn keep(store: &Store, tenant: &str, filename: &str, saved: &Saved, allowed: Allowed) -> AppResult<String> {
    let kind = media_type(filename);
    let ok = match allowed {
        Allowed::Photo => kind.starts_with("image/"),
        Allowed::PhotoOrPdf => kind != "application/octet-stream",
    };
    if !ok {
        let key = if allowed == Allowed::Photo { "pengadaan.photo_type" } else { "pengadaan.document_type" };
        return Err(AppError::BadRequest(Msg::new(key).arg("name", filename)));
    }
    let id = new_id();
    store
        .execute(
            sql("INSERT INTO ocds_files (tenant_id, id, file_key, filename, size, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(tenant)
                .bind(&id)
                .bind(&saved.key)
                .bind(filename)
                .bind(saved.size as i64)
                .bind(store.now_ms()),
        )
        .await?;
    Ok(id)
}

pub fn address(id: &str, filename: &str) -> String {
    format!("/pengadaan/berkas/{id}/{}", crate::web::urlencode(filename))
}

pub async fn filename(store: &Store, tenant: &str, id: &str) -> Result<Option<String>, StoreError> {
    let row = store.fetch_optional(sql("SELECT filename FROM ocds_files WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id)).await?;
    row.map(|r| r.at(0)).transpose()
}

pub async fn serve(ctx: Ctx, Path((id, _name)): Path<(String, String)>) -> AppResult<Response> {
    let row = ctx
        .app
        .store
        .fetch_optional(sql("SELECT file_key, filename FROM ocds_files WHERE tenant_id = $1 AND id = $2").bind(&ctx.tenant.id).bind(&id))
        .await?
        .ok_or_else(AppError::not_found)?;
    let (key, filename): (String, String) = (row.at(0)?, row.at(1)?);
    let path = ctx.app.files.path(&key).map_err(|e| AppError::Internal(e.to_string()))?;
    // A kept photo never changes: its address names one file for good.
    let headers =
        vec![(CONTENT_TYPE, media_type(&filename).to_string()), (CACHE_CONTROL, "public, max-age=31536000, immutable".to_string())];
    crate::web::send_file(&path, headers).await
}

/// Whether a form's answer means it was taken (the redirect after a write).
pub fn taken(outcome: &crate::web::error::AppResult<axum::response::Response>) -> bool {
    matches!(outcome, Ok(r) if r.status() == axum::http::StatusCode::SEE_OTHER)
}

/// A refused form keeps nothing: its uploaded file, and any record of it.
pub async fn discard(ctx: &crate::web::ctx::Ctx, parsed: &crate::web::upload::Parsed) {
    if let Some((_, saved)) = &parsed.file {
        let forget = sql("DELETE FROM ocds_files WHERE tenant_id = $1 AND file_key = $2").bind(&ctx.tenant.id).bind(&saved.key);
        if let Err(e) = ctx.app.store.execute(forget).await {
            tracing::warn!(error = %e, "a refused form's file record was not removed");
        }
        if let Ok(path) = ctx.app.files.path(&saved.key) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}
