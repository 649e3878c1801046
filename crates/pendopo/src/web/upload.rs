//! Multipart uploads streamed to the file store: the file never sits whole
//! in memory, and the size limit is enforced while it arrives.

use std::collections::BTreeMap;

use axum::extract::multipart::{Field, Multipart, MultipartError};
use bytes::Bytes;

use crate::kernel::files::{ChunkSource, FileError, Saved};
use crate::kernel::identity::new_id;
use crate::kernel::msg::Msg;
use crate::web::App;
use crate::web::error::AppError;

struct FieldChunks<'a>(Field<'a>);

impl ChunkSource for FieldChunks<'_> {
    type Error = MultipartError;
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, MultipartError> {
        self.0.chunk().await
    }
}

/// A small file part read into memory (a package to validate, a holiday
/// list), refused at `limit` bytes as it arrives, not after.
pub async fn part_bytes(field: &mut Field<'_>, limit: u64) -> Result<Bytes, AppError> {
    let mut bytes = bytes::BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e)))? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(AppError::TooLarge(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

/// The text fields of a form and, if one was sent, the file (with the name
/// of the field it came in).
pub struct Parsed {
    pub fields: BTreeMap<String, String>,
    pub file: Option<(String, Saved)>,
    pub file_field: String,
}

/// Text fields are small: anything longer is not a form field we know.
const MAX_TEXT_FIELD: usize = 64 * 1024;
/// All text fields of one form together (read before the CSRF token is
/// checked, so a stranger can make us hold at most this much).
const MAX_TEXT_FIELDS: usize = 256 * 1024;

/// Reads a multipart form whose file field is the one `is_file` names. When
/// `csrf_first` is given, the form's CSRF token must arrive (and match)
/// before the file, so no stranger's file is ever written.
pub async fn read(
    app: &App,
    tenant: &str,
    mut form: Multipart,
    is_file: &(dyn Fn(&str) -> bool + Sync),
    csrf_first: Option<&(dyn Fn(&str) -> bool + Sync)>,
) -> Result<Parsed, AppError> {
    let mut fields = BTreeMap::new();
    let mut file = None;
    let mut file_field = String::new();
    let mut text_total = 0;
    let bad = |e: MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        // A file input left empty still sends a part, with no file name.
        if is_file(&name) && field.file_name().is_some_and(str::is_empty) {
            while field.chunk().await.map_err(bad)?.is_some() {}
            continue;
        }
        if is_file(&name) && field.file_name().is_some() {
            if let Some(check) = csrf_first
                && !fields.get("csrf").is_some_and(|t: &String| check(t))
            {
                return Err(AppError::Forbidden(Msg::new("error.csrf")));
            }
            let filename = crate::kernel::files::safe_name(field.file_name().unwrap_or("file"));
            if filename.is_empty() || file.is_some() {
                continue;
            }
            let key = format!("{tenant}/{}/{filename}", new_id());
            let saved = app.files.save(&key, FieldChunks(field), app.max_upload_bytes).await.map_err(|e| match e {
                FileError::TooLarge { limit } => AppError::TooLarge(limit),
                FileError::Source(detail) => AppError::BadRequest(Msg::new("error.bad_request").arg("detail", detail)),
                FileError::Io(e) => AppError::Internal(format!("file store: {e}")),
            })?;
            if saved.size == 0 {
                return Err(AppError::BadRequest(Msg::new("error.file_empty")));
            }
            file = Some((filename, saved));
            file_field = name;
        } else {
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                text.extend_from_slice(&chunk);
                text_total += chunk.len();
                if text.len() > MAX_TEXT_FIELD {
                    return Err(AppError::TooLarge(MAX_TEXT_FIELD as u64));
                }
                if text_total > MAX_TEXT_FIELDS {
                    return Err(AppError::TooLarge(MAX_TEXT_FIELDS as u64));
                }
            }
            fields.insert(name, String::from_utf8_lossy(&text).into_owned());
        }
    }
    Ok(Parsed { fields, file, file_field })
}

/// A small form of text fields and one file, as an import page sends it.
pub struct SmallForm {
    /// The file, `None` when missing or empty.
    pub file: Option<Bytes>,
    pub fields: std::collections::HashMap<String, String>,
}

/// Reads a small multipart form whose CSRF token comes first: a file sent
/// before the token (or without it) is refused before a byte of it is held,
/// and the file is refused at `limit` bytes as it arrives.
pub async fn csrf_first(
    ctx: &crate::web::ctx::Ctx,
    mut form: axum::extract::Multipart,
    file: &str,
    limit: u64,
) -> Result<SmallForm, AppError> {
    use crate::kernel::msg::Msg;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
    let mut read = SmallForm { file: None, fields: Default::default() };
    let mut csrf_ok = false;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "csrf" {
            ctx.check_csrf(&field.text().await.map_err(bad)?)?;
            csrf_ok = true;
        } else if name == file {
            if !csrf_ok {
                return Err(AppError::Forbidden(Msg::new("error.csrf")));
            }
            read.file = Some(part_bytes(&mut field, limit).await?).filter(|b| !b.is_empty());
        } else {
            read.fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    if !csrf_ok {
        return Err(AppError::Forbidden(Msg::new("error.csrf")));
    }
    Ok(read)
}
