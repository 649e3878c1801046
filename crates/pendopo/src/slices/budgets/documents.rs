//! The planning and budget documents of each year along the cycle (RPJMD,
//! Renstra, RKPD, KUA-PPAS, APBD, Perbup Penjabaran, Renja, RKA, DPA,
//! LKPJ), each a file at its stage, streamed into the file store by the
//! upload form and served to anyone: they are public documents.

use axum::extract::{Multipart, Path};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};

use super::repo::{self, Document};
use crate::kernel::identity::new_id;
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

/// The stages in the order of the cycle: code and message key.
pub const STAGES: [(&str, &str); 10] = [
    ("rpjmd", "anggaran.stage.rpjmd"),
    ("renstra", "anggaran.stage.renstra"),
    ("rkpd", "anggaran.stage.rkpd"),
    ("renja", "anggaran.stage.renja"),
    ("kua-ppas", "anggaran.stage.kua_ppas"),
    ("rka", "anggaran.stage.rka"),
    ("apbd", "anggaran.stage.apbd"),
    ("perbup-penjabaran", "anggaran.stage.perbup"),
    ("dpa", "anggaran.stage.dpa"),
    ("lkpj", "anggaran.stage.lkpj"),
];

pub fn stage_key(code: &str) -> Option<&'static str> {
    STAGES.iter().find(|(c, _)| *c == code).map(|(_, k)| *k)
}

/// Removes a file a refused form left.
async fn discard(ctx: &Ctx, key: &str) {
    if let Ok(path) = ctx.app.files.path(key) {
        let _ = tokio::fs::remove_file(path).await;
    }
}

/// `POST /anggaran/kelola/dokumen`: year, stage, title and the file.
pub async fn upload_form(SignedIn(ctx): SignedIn, form: Multipart) -> AppResult<Response> {
    let user = super::access::writer(&ctx).await?.clone();
    let csrf = ctx.csrf.clone();
    let check = move |sent: &str| !csrf.is_empty() && sent == csrf;
    let parsed = crate::web::upload::read(&ctx.app, &ctx.tenant.id, form, &|n| n == "file", Some(&check)).await?;
    let field = |n: &str| parsed.fields.get(n).map(|s| s.trim().to_string()).unwrap_or_default();
    ctx.check_csrf(&field("csrf"))?;
    let mut problems = Vec::new();
    let year = field("year").parse::<i32>().ok().filter(|y| (1990..=2200).contains(y));
    if year.is_none() {
        problems.push(("year".to_string(), Msg::new("anggaran.e.year")));
    }
    let stage = field("stage");
    if stage_key(&stage).is_none() {
        problems.push(("stage".to_string(), Msg::new("anggaran.e.stage")));
    }
    let title = field("title");
    if title.is_empty() || !crate::kernel::text::is_plain(&title) {
        problems.push(("title".to_string(), Msg::new("anggaran.e.title")));
    }
    if parsed.file.is_none() {
        problems.push(("file".to_string(), Msg::new("error.file_missing")));
    }
    let (Some(year), Some((name, saved)), true) = (year, &parsed.file, problems.is_empty()) else {
        if let Some((_, saved)) = &parsed.file {
            discard(&ctx, &saved.key).await;
        }
        return super::pages::render_manage(&ctx, StatusCode::UNPROCESSABLE_ENTITY, Some(&AppError::Invalid(problems)), None).await;
    };
    let doc = Document {
        id: new_id(),
        year,
        stage,
        title,
        file_key: saved.key.clone(),
        file_name: name.clone(),
        size: saved.size as i64,
        created_at: ctx.app.store.now_ms(),
    };
    repo::add_document(&ctx.app.store, &ctx.tenant.id, &doc, &user.id).await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/anggaran#dokumen".to_string())]).into_response())
}

pub fn address(d: &Document) -> String {
    format!("/anggaran/dokumen/{}/{}", d.id, crate::web::urlencode(&d.file_name))
}

/// `GET /anggaran/dokumen/{id}/{name}`: the file, to anyone.
pub async fn serve(ctx: Ctx, Path((id, _name)): Path<(String, String)>) -> AppResult<Response> {
    let doc = repo::document(&ctx.app.store, &ctx.tenant.id, &id).await?.ok_or_else(AppError::not_found)?;
    let path = ctx.app.files.path(&doc.file_key).map_err(|e| AppError::Internal(e.to_string()))?;
    let kind = crate::slices::contracting::files::media_type(&doc.file_name);
    let disposition = format!("inline; filename=\"{}\"", doc.file_name.replace('"', ""));
    let mut res = crate::web::send_file(&path, vec![(CONTENT_TYPE, kind.to_string())]).await?;
    if let Ok(v) = disposition.parse() {
        res.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
