//! Files on an agency's step: the photos and documents of an answer or of
//! a question to the reporter (`service_case_attachments`, migration
//! `0021`). Each is recognised by its content, never its name: a photo
//! (JPEG, PNG, WebP) is stripped of its metadata by `photos` as the
//! citizen's are, a document is a PDF (`%PDF-`); at most [`MAX_FILES`] per
//! step and [`MAX_FILE_BYTES`] each (413 as it arrives). They are stored in
//! the transaction of the history row they belong to (`workflow::apply`)
//! and answered byte for byte, with the access rules of the citizen's
//! photos: the staff who may see the case and the reporter (through the
//! private link) see every file; the public sees an answer's files, never
//! a confidential case's.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use layanan::case::ActionKind;
use serde::Serialize;

use super::cases::{self, Audience};
use super::staff;
use crate::kernel::photos;
use crate::store::{Store, StoreError, Tx, sql, sql_built};
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

pub const MAX_FILES: usize = 3;
/// A scanned letter or a phone's photo fits well under it.
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
const PDF: &str = "application/pdf";

/// The steps that carry files: the agency's answer and its question.
pub fn takes_files(kind: ActionKind) -> bool {
    matches!(kind, ActionKind::Answer | ActionKind::AskReporter)
}

/// A file checked and ready to store.
pub struct Attachment {
    pub media_type: &'static str,
    pub file_name: String,
    pub content: Vec<u8>,
}

/// A file as sent, by its content: a photo without its metadata, a PDF as
/// it is, or `None` (anything else, whatever it is called).
pub fn check(file_name: &str, bytes: &[u8]) -> Option<Attachment> {
    let file_name = crate::kernel::files::safe_name(file_name);
    if photos::sniff(bytes).is_some() {
        let (format, clean) = photos::strip(bytes)?;
        return Some(Attachment { media_type: format.media_type(), file_name, content: clean });
    }
    if !bytes.starts_with(b"%PDF-") {
        return None;
    }
    // The download is named as a PDF whatever the sender called it.
    let file_name = if file_name.to_ascii_lowercase().ends_with(".pdf") { file_name } else { format!("{file_name}.pdf") };
    Some(Attachment { media_type: PDF, file_name, content: bytes.to_vec() })
}

/// Stores a step's files in the step's transaction (`step`: its history row's seq).
pub async fn store(tx: &mut Tx, tenant: &str, case_id: &str, step: i64, files: &[Attachment], now: i64) -> Result<(), StoreError> {
    for (n, file) in (1i64..).zip(files) {
        tx.execute(
            sql("INSERT INTO service_case_attachments (tenant_id, case_id, step, n, media_type, file_name, content, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(tenant)
            .bind(case_id)
            .bind(step)
            .bind(n)
            .bind(file.media_type)
            .bind(file.file_name.as_str())
            .bind(file.content.clone())
            .bind(now),
        )
        .await?;
    }
    Ok(())
}

/// A stored file as pages list it: the step it belongs to and its number there.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub step: i64,
    pub n: i64,
    pub media_type: String,
    pub file_name: String,
    /// Shown inline; a document is a link.
    pub photo: bool,
}

/// What `to` may see: anyone an answer's files of a public case, the
/// reporter and the case's staff every file.
fn hidden(to: Audience) -> &'static str {
    match to {
        Audience::Public => " AND c.confidential = 0 AND h.action = 'answer'",
        Audience::Trusted => "",
    }
}

const FROM: &str = "FROM service_case_attachments f
    JOIN service_cases c ON c.tenant_id = f.tenant_id AND c.id = f.case_id
    JOIN service_case_history h ON h.tenant_id = f.tenant_id AND h.case_id = f.case_id AND h.seq = f.step";

/// A case's files (by its number) that `to` may see, in step order.
pub async fn list(store: &Store, tenant: &str, number: &str, to: Audience) -> Result<Vec<Listed>, StoreError> {
    let q = sql_built(format!(
        "SELECT f.step, f.n, f.media_type, f.file_name {FROM} WHERE f.tenant_id = $1 AND c.number = $2{} ORDER BY f.step, f.n",
        hidden(to)
    ));
    let rows = store.fetch_all(q.bind(tenant).bind(number)).await?;
    rows.iter()
        .map(|r| {
            let media_type: String = r.get("media_type")?;
            Ok(Listed {
                step: r.get("step")?,
                n: r.get("n")?,
                photo: photos::Format::from_media_type(&media_type).is_some(),
                media_type,
                file_name: r.get("file_name")?,
            })
        })
        .collect()
}

/// The files of one step, out of a case's list.
pub fn of_step(files: &[Listed], step: i64) -> Vec<Listed> {
    files.iter().filter(|f| f.step == step).cloned().collect()
}

struct Stored {
    media_type: String,
    file_name: String,
    content: Vec<u8>,
}

/// One stored file that `to` may see.
async fn get(store: &Store, tenant: &str, number: &str, (step, n): (i64, i64), to: Audience) -> Result<Option<Stored>, StoreError> {
    let q = sql_built(format!(
        "SELECT f.media_type, f.file_name, f.content {FROM} WHERE f.tenant_id = $1 AND c.number = $2 AND f.step = $3 AND f.n = $4{}",
        hidden(to)
    ));
    let row = store.fetch_optional(q.bind(tenant).bind(number).bind(step).bind(n)).await?;
    row.map(|r| Ok(Stored { media_type: r.get("media_type")?, file_name: r.get("file_name")?, content: r.get("content")? })).transpose()
}

/// The file as stored: a photo under its own type, shown in the page; a
/// PDF downloaded under its name. Never compressed on the way (`AsStored`).
fn answer(found: Option<Stored>, cache: &'static str) -> AppResult<Response> {
    let file = found.ok_or_else(AppError::not_found)?;
    let (media_type, disposition) = match photos::Format::from_media_type(&file.media_type) {
        Some(format) => (format.media_type(), "inline".to_string()),
        None => (PDF, format!("attachment; filename=\"{}\"", crate::kernel::files::safe_name(&file.file_name))),
    };
    let headers = [(CONTENT_TYPE, media_type.to_string()), (CONTENT_DISPOSITION, disposition), (CACHE_CONTROL, cache.to_string())];
    let mut response = (headers, file.content).into_response();
    response.extensions_mut().insert(crate::web::assets::AsStored);
    Ok(response)
}

/// `GET /layanan/laporan/{number}/lampiran/{step}/{n}`: an answer's file of a public case.
pub async fn public_file(ctx: Ctx, Path((number, step, n)): Path<(String, i64, i64)>) -> AppResult<Response> {
    let found = get(&ctx.app.store, &ctx.tenant.id, &number, (step, n), Audience::Public).await?;
    answer(found, "public, max-age=3600")
}

/// `GET /layanan/lapor/{token}/lampiran/{step}/{n}`: a file of the reporter's own case.
pub async fn private_file(ctx: Ctx, Path((token, step, n)): Path<(String, i64, i64)>) -> AppResult<Response> {
    let number = cases::number_of_token(&ctx.app.store, &ctx.tenant.id, &token).await?.ok_or_else(AppError::not_found)?;
    let found = get(&ctx.app.store, &ctx.tenant.id, &number, (step, n), Audience::Trusted).await?;
    answer(found, "private, no-store")
}

/// `GET /layanan/kasus/{number}/lampiran/{step}/{n}`: a file for the staff who may see the case.
pub async fn staff_file(SignedIn(ctx): SignedIn, Path((number, step, n)): Path<(String, i64, i64)>) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let case = staff::find(&ctx, &number).await?;
    if !staff::may_see(&user, &case) {
        return Err(ctx.denied());
    }
    let found = get(&ctx.app.store, &ctx.tenant.id, &number, (step, n), Audience::Trusted).await?;
    answer(found, "private, no-store")
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn a_file_is_what_its_content_says() {
        let pdf = check("Surat Jawaban.PDF", b"%PDF-1.7\n1 0 obj\n").unwrap();
        assert_eq!((pdf.media_type, pdf.file_name.as_str()), ("application/pdf", "Surat_Jawaban.PDF"));
        assert_eq!(check("scan", b"%PDF-1.4").unwrap().file_name, "scan.pdf");
        // Named like a PDF or a photo, but neither inside.
        assert!(check("surat.pdf", b"<html>not a pdf</html>").is_none());
        assert!(check("foto.jpg", b"\xFF\xD8\xFFbroken").is_none());
        assert!(check("dokumen.docx", b"PK\x03\x04").is_none());
    }
}
