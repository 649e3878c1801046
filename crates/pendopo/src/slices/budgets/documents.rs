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

/// The kinds of planning document taken, by extension: the media type
/// served, and the family of magic bytes their content must start with.
const KINDS: &[(&str, &str, Magic)] = &[
    ("pdf", "application/pdf", Magic::Pdf),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Magic::Zip),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Magic::Zip),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", Magic::Zip),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet", Magic::Zip),
    ("odt", "application/vnd.oasis.opendocument.text", Magic::Zip),
    ("xls", "application/vnd.ms-excel", Magic::Ole),
    ("doc", "application/msword", Magic::Ole),
    ("csv", "text/csv; charset=utf-8", Magic::Text),
];

/// How a kind's content begins: read from the bytes, never trusted from
/// the name, so a renamed program or page is not published as a budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Magic {
    /// `%PDF-`.
    Pdf,
    /// A ZIP container (Office Open XML and OpenDocument are ZIPs).
    Zip,
    /// The OLE2 compound file of Excel 97-2003 and Word 97-2003.
    Ole,
    /// UTF-8 text without NUL bytes.
    Text,
}

/// The extensions taken, for the error message.
pub fn kinds_list() -> String {
    KINDS.iter().map(|(e, _, _)| e.to_ascii_uppercase()).collect::<Vec<_>>().join(", ")
}

/// The media type a document is served with, by its (checked) name.
pub fn media_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    KINDS.iter().find(|(e, _, _)| *e == ext).map(|(_, t, _)| *t).unwrap_or("application/octet-stream")
}

/// Checks a document's name against its first bytes: `Ok` with its media
/// type, or the message to show (the kind is not taken, or the content is
/// not what the name says).
pub fn check_kind(name: &str, head: &[u8]) -> Result<&'static str, Msg> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let Some((ext, kind, magic)) = KINDS.iter().find(|(e, _, _)| *e == ext) else {
        return Err(Msg::new("anggaran.e.doc_kind").arg("name", name).arg("kinds", kinds_list()));
    };
    let fits = match magic {
        Magic::Pdf => head.starts_with(b"%PDF-"),
        Magic::Zip => head.starts_with(b"PK\x03\x04"),
        Magic::Ole => head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"),
        // A cut in the middle of a character at the end of the head is fine.
        Magic::Text => {
            !head.is_empty()
                && !head.contains(&0)
                && match std::str::from_utf8(head) {
                    Ok(_) => true,
                    Err(e) => e.error_len().is_none(),
                }
        }
    };
    if fits { Ok(kind) } else { Err(Msg::new("anggaran.e.doc_content").arg("name", name).arg("kind", ext.to_ascii_uppercase())) }
}

/// The first bytes of a saved upload (at most 8 KB).
async fn head_of(ctx: &Ctx, key: &str) -> AppResult<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let path = ctx.app.files.path(key).map_err(|e| AppError::Internal(e.to_string()))?;
    let file = tokio::fs::File::open(path).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let mut head = Vec::with_capacity(8192);
    file.take(8192).read_to_end(&mut head).await.map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(head)
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
    match &parsed.file {
        None => problems.push(("doc_file".to_string(), Msg::new("error.file_missing"))),
        Some((name, saved)) => {
            if let Err(msg) = check_kind(name, &head_of(&ctx, &saved.key).await?) {
                problems.push(("doc_file".to_string(), msg));
            }
        }
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
    let kind = media_type(&doc.file_name);
    let disposition = format!("inline; filename=\"{}\"", doc.file_name.replace('"', ""));
    let mut res = crate::web::send_file(&path, vec![(CONTENT_TYPE, kind.to_string())]).await?;
    if let Ok(v) = disposition.parse() {
        res.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_taken_by_their_content_not_their_name() {
        assert_eq!(check_kind("KUA-PPAS 2025.PDF", b"%PDF-1.7\n"), Ok("application/pdf"));
        assert!(check_kind("rka.xlsx", b"PK\x03\x04\x14\x00").unwrap().contains("spreadsheetml"));
        assert_eq!(check_kind("dpa.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0"), Ok("application/vnd.ms-excel"));
        assert_eq!(check_kind("lines.csv", "kode;uraian;pagu\n1.02;Kesehatan;Rp 1.000\n".as_bytes()), Ok("text/csv; charset=utf-8"));
        // A renamed program, a PDF called .docx, a page called .pdf.
        assert_eq!(check_kind("rka.pdf", b"MZ\x90\x00").unwrap_err().key, "anggaran.e.doc_content");
        assert_eq!(check_kind("renja.docx", b"%PDF-1.4").unwrap_err().key, "anggaran.e.doc_content");
        assert_eq!(check_kind("tabel.csv", b"PK\x03\x04\0\0").unwrap_err().key, "anggaran.e.doc_content");
        assert_eq!(check_kind("setup.exe", b"MZ").unwrap_err().key, "anggaran.e.doc_kind");
        assert_eq!(check_kind("tanpa-ekstensi", b"%PDF-1.4").unwrap_err().key, "anggaran.e.doc_kind");
        assert_eq!(media_type("a.ODS"), "application/vnd.oasis.opendocument.spreadsheet");
    }
}
