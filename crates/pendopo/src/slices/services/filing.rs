//! A citizen files a report without an account (`/layanan/lapor`): kind,
//! service (grouped by agency), text, kecamatan/desa and/or a pin, up to
//! three photos, the service's extra questions, optional contacts, *anonim*
//! and *rahasia*. One multipart form that works without JavaScript; the
//! checks are Open311's (`layanan::open311::parse_post`, the same rules as
//! `POST requests`) plus the form's own, every problem beside its field.
//! Abuse is held back by a limit per client and per phone number, a
//! honeypot field and a signed issued-at time (`form_stamp`). The case,
//! its photos (stripped of metadata) and the sender's digest are stored in
//! one transaction (`cases::file_with`), so a refused form keeps nothing.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use layanan::case::{Channel, Kind};
use layanan::open311::{self, Problem, Problems, ServiceDefinition};
use serde::Serialize;

use super::cases::{self, Attached, NewCase, Place};
use super::form::FormPairs;
use super::model::Service;
use super::{form_stamp, repo};
use crate::kernel::msg::Msg;
use crate::kernel::photos;
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};
use crate::web::throttle::{self, Limit};

pub const MAX_PHOTOS: usize = 3;
/// A phone camera's photo is 2-4 MB.
pub const MAX_PHOTO_BYTES: u64 = 5 * 1024 * 1024;
/// Every text field together (read before the CSRF token is checked).
const MAX_TEXT_BYTES: usize = 64 * 1024;
const HOUR_MS: i64 = 60 * 60 * 1000;
/// Filings from one client address in an hour, and with one phone number in a day.
pub const PER_CLIENT: Limit = Limit { max: 10, window_ms: HOUR_MS };
pub const PER_PHONE: Limit = Limit { max: 5, window_ms: 24 * HOUR_MS };
/// The field people leave empty (it is hidden) and form-filling scripts fill.
const HONEYPOT: &str = "website";

/// What the form sent: its fields in order (a multi-valued question repeats
/// its name) and the photos as `(file name, bytes)`.
struct Sent {
    pairs: FormPairs,
    photos: Vec<(String, bytes::Bytes)>,
    too_many_photos: bool,
}

impl Sent {
    fn get(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }
}

/// Reads the multipart form: the CSRF token must come before any photo (so
/// no stranger's photo is even held), each photo at most
/// [`MAX_PHOTO_BYTES`] (413 as it arrives).
async fn read(ctx: &Ctx, mut form: Multipart) -> AppResult<Sent> {
    let mut sent = Sent { pairs: Vec::new(), photos: Vec::new(), too_many_photos: false };
    let mut text_bytes = 0;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            // The token comes first in the form: a stranger's photo is never read.
            ctx.check_csrf(sent.get("csrf"))?;
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = crate::web::upload::part_bytes(&mut field, MAX_PHOTO_BYTES).await?;
            // A file input left empty still sends a part, without a name.
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            if sent.photos.len() == MAX_PHOTOS {
                sent.too_many_photos = true;
            } else {
                sent.photos.push((file_name, bytes));
            }
            continue;
        }
        let bytes = crate::web::upload::part_bytes(&mut field, MAX_TEXT_BYTES as u64).await?;
        text_bytes += bytes.len();
        if text_bytes > MAX_TEXT_BYTES {
            return Err(AppError::TooLarge(MAX_TEXT_BYTES as u64));
        }
        sent.pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    ctx.check_csrf(sent.get("csrf"))?;
    Ok(sent)
}

/// A service in the form's list.
#[derive(Serialize)]
struct Choice {
    code: String,
    name: String,
}

#[derive(Serialize)]
struct AgencyGroup {
    name: String,
    services: Vec<Choice>,
}

#[derive(Serialize)]
struct PlaceOption {
    code: String,
    name: String,
}

#[derive(Serialize)]
struct Kecamatan {
    code: String,
    name: String,
    desa: Vec<PlaceOption>,
}

/// The region's kecamatan with their desa/kelurahan, for the place list.
fn places(ctx: &Ctx) -> Vec<Kecamatan> {
    let dir = wilayah::Directory::embedded();
    dir.children_of(&ctx.tenant.code())
        .map(|k| Kecamatan {
            code: k.code.to_string(),
            name: k.name.clone(),
            desa: dir.children_of(&k.code).map(|d| PlaceOption { code: d.code.to_string(), name: d.name.clone() }).collect(),
        })
        .collect()
}

fn groups(services: &[Service]) -> Vec<AgencyGroup> {
    let mut by_agency: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    for s in services {
        by_agency.entry(s.agency.name.clone()).or_default().push(Choice { code: s.code.clone(), name: s.name.clone() });
    }
    by_agency.into_iter().map(|(name, services)| AgencyGroup { name, services }).collect()
}

/// The page with the form: empty, or as sent with its problems (the
/// photos must be attached again: a browser never refills a file input).
async fn render(
    ctx: &Ctx,
    status: StatusCode,
    pairs: &FormPairs,
    general: Option<String>,
    errors: BTreeMap<String, String>,
) -> AppResult<Response> {
    let store = &ctx.app.store;
    let services = repo::list(store, &ctx.tenant.id).await?;
    let first = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    let chosen = services.iter().find(|s| s.code == first("service_code"));
    let values: BTreeMap<&str, &str> = pairs.iter().rev().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ticked: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let key = form_stamp::key(store, &ctx.tenant.id).await?;
    let page = minijinja::context! {
        groups => groups(&services),
        places => places(ctx),
        kinds => Kind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>(),
        chosen => chosen,
        values, ticked, errors, general,
        stamp => form_stamp::issue(&key, store.now_ms()),
        max_photos => MAX_PHOTOS,
        max_photo_mb => MAX_PHOTO_BYTES / (1024 * 1024),
        max_chars => open311::MAX_DESCRIPTION_CHARS,
    };
    Ok((status, ctx.render("services/file.html", page)?).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PageParams {
    /// A service to report on, chosen from its catalogue page: its
    /// questions are asked at once.
    layanan: String,
}

/// `GET /layanan/lapor`.
pub async fn page(ctx: Ctx, Query(p): Query<PageParams>) -> AppResult<Response> {
    let pairs = if p.layanan.is_empty() { Vec::new() } else { vec![("service_code".to_string(), p.layanan)] };
    render(&ctx, StatusCode::OK, &pairs, None, BTreeMap::new()).await
}

/// The form field an Open311 problem is said beside, and what it says.
fn said(p: &Problem, service: Option<&Service>) -> (String, Msg) {
    let question = |code: &str| {
        let asked = service.and_then(|s| s.attributes.iter().find(|a| a.code == code)).map(|a| a.description.clone());
        asked.filter(|d| !d.is_empty()).unwrap_or_else(|| code.to_string())
    };
    match p {
        Problem::MissingServiceCode => ("service_code".into(), Msg::new("layanan.lapor.service_missing")),
        Problem::UnknownServiceCode(code) => ("service_code".into(), Msg::new("layanan.lapor.service_unknown").arg("code", code)),
        Problem::MissingLocation => ("place".into(), Msg::new("layanan.lapor.place_missing")),
        Problem::IncompleteCoordinates | Problem::BadCoordinate { .. } => ("lat".into(), Msg::new("layanan.lapor.pin_invalid")),
        Problem::DescriptionTooLong { chars } => (
            "description".into(),
            Msg::new("layanan.lapor.description_too_long").arg("chars", chars).arg("max", open311::MAX_DESCRIPTION_CHARS),
        ),
        Problem::BadEmail(_) => ("email".into(), Msg::new("layanan.lapor.email_invalid")),
        Problem::MissingAttribute { code } => {
            (format!("attribute[{code}]"), Msg::new("layanan.lapor.answer_missing").arg("question", question(code)))
        }
        Problem::UnknownAttribute { code } | Problem::BadAttributeValue { code, .. } | Problem::TooManyValues { code } => {
            (format!("attribute[{code}]"), Msg::new("layanan.lapor.answer_invalid").arg("question", question(code)))
        }
        other => ("".into(), Msg::new("error.bad_request").arg("detail", other)),
    }
}

/// Digits of a phone number, `+62`/`62` written as the leading 0: one
/// number counts once for the limit however it was typed.
fn phone_digits(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("62") {
        Some(rest) if text.trim_start().starts_with('+') || digits.len() > 11 => format!("0{rest}"),
        _ => digits,
    }
}

/// How many cases a sender (or a phone number) filed since `since`.
async fn filed_since(ctx: &Ctx, column: &str, value: &str, since: i64) -> AppResult<i64> {
    let q =
        crate::store::sql_built(format!("SELECT COUNT(*) FROM service_cases WHERE tenant_id = $1 AND {column} = $2 AND created_at >= $3"));
    Ok(ctx.app.store.fetch_scalar::<i64>(q.bind(&ctx.tenant.id).bind(value).bind(since)).await?)
}

/// `POST /layanan/lapor`: files the report and sends the reporter to its
/// private page, or shows the form again with every problem (422), or
/// refuses a flood (429), a script (honeypot, time check), a stranger's
/// form (403), a photo too large (413).
pub async fn submit(ctx: Ctx, form: Multipart) -> AppResult<Response> {
    let sent = read(&ctx, form).await?;
    let store = &ctx.app.store;
    let now = store.now_ms();
    if !sent.get(HONEYPOT).is_empty() {
        tracing::warn!("a filing with its honeypot filled was refused");
        return Err(AppError::BadRequest(Msg::new("layanan.lapor.honeypot")));
    }
    let key = form_stamp::key(store, &ctx.tenant.id).await?;
    if let Err(refused) = form_stamp::check(&key, sent.get("stamp"), now) {
        let why = match refused {
            form_stamp::Refused::TooFast => "layanan.lapor.too_fast",
            form_stamp::Refused::Expired => "layanan.lapor.expired",
            form_stamp::Refused::Forged => "layanan.lapor.stamp_invalid",
        };
        let general = ctx.msg(&Msg::new(why));
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &sent.pairs, Some(general), BTreeMap::new()).await;
    }
    let sender = throttle::sender(&ctx);
    let recent = filed_since(&ctx, "sender", &sender, PER_CLIENT.since(now)).await?;
    PER_CLIENT.check(recent, Msg::new("layanan.lapor.throttled_client"))?;
    let phone = phone_digits(sent.get("phone"));
    if !phone.is_empty() {
        let recent = filed_since(&ctx, "reporter_phone", &phone, PER_PHONE.since(now)).await?;
        PER_PHONE.check(recent, Msg::new("layanan.lapor.throttled_phone"))?;
    }

    let mut problems: Vec<(String, Msg)> = Vec::new();
    let service = match sent.get("service_code") {
        "" => None,
        code => repo::get(store, &ctx.tenant.id, code).await?,
    };
    let kind = Kind::from_code(sent.get("kind"));
    match (kind, &service) {
        (None, _) => problems.push(("kind".into(), Msg::new("layanan.lapor.kind_missing"))),
        (Some(k), Some(s)) if !s.kinds.contains(&k) => {
            problems.push(("kind".into(), Msg::new("layanan.lapor.kind_not_taken").arg_msg("kind", Msg::new(kind_key(k)))))
        }
        _ => {}
    }
    if sent.get("description").is_empty() {
        problems.push(("description".into(), Msg::new("layanan.lapor.description_missing")));
    }
    let place = match sent.get("place") {
        "" => None,
        code => {
            let place = Place::within(&ctx.tenant.code(), code);
            if place.is_none() {
                problems.push(("place".into(), Msg::new("layanan.lapor.place_unknown")));
            }
            place
        }
    };
    // The Open311 checks, on the form's fields under their Open311 names.
    let mut open = vec![("service_code".to_string(), sent.get("service_code").to_string())];
    for name in ["description", "lat", "long", "email", "phone"] {
        open.push((name.to_string(), sent.get(name).to_string()));
    }
    if let Some(p) = &place {
        open.push(("address_id".into(), p.desa_code.clone().unwrap_or_else(|| p.kecamatan_code.clone())));
    } else if !sent.get("place").is_empty() {
        // An unknown place was said above; it still counts as saying where.
        open.push(("address_string".into(), sent.get("place").to_string()));
    }
    open.extend(sent.pairs.iter().filter(|(k, _)| k.starts_with("attribute[")).cloned());
    let definition = service.as_ref().map(|s| ServiceDefinition { service_code: s.code.clone(), attributes: s.open311_attributes() });
    let request = match open311::parse_post(&open, |code| definition.as_ref().filter(|d| d.service_code == code)) {
        Ok(r) => Some(r),
        Err(Problems(list)) => {
            problems.extend(list.iter().map(|p| said(p, service.as_ref())));
            None
        }
    };
    let mut kept = Vec::new();
    if sent.too_many_photos {
        problems.push(("photo".into(), Msg::new("layanan.lapor.too_many_photos").arg("max", MAX_PHOTOS)));
    }
    for (name, bytes) in &sent.photos {
        match photos::strip(bytes) {
            Some((format, clean)) => kept.push((format.media_type(), clean)),
            None => problems.push(("photo".into(), Msg::new("layanan.lapor.photo_not_image").arg("name", name))),
        }
    }
    let (Some(request), Some(service), Some(kind), true) = (request, service.as_ref(), kind, problems.is_empty()) else {
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        for (field, m) in problems {
            let text = ctx.msg(&m);
            errors.entry(field).and_modify(|t| *t = format!("{t}; {text}")).or_insert(text);
        }
        return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &sent.pairs, None, errors).await;
    };

    let optional = |name: &str| Some(sent.get(name).to_string()).filter(|v| !v.is_empty());
    let new = NewCase {
        lat_long: request.location.lat_long,
        address_id: request.location.address_id.clone(),
        attributes: request.attributes,
        reporter_name: optional("name"),
        reporter_email: optional("email"),
        reporter_phone: Some(phone).filter(|p| !p.is_empty()),
        anonymous: !sent.get("anonim").is_empty(),
        confidential: !sent.get("rahasia").is_empty(),
        desa_code: place.as_ref().and_then(|p| p.desa_code.clone()),
        kecamatan_code: place.map(|p| p.kecamatan_code),
        ..NewCase::new(service, kind, Channel::Web, sent.get("description").to_string())
    };
    let photos = kept.len();
    let attached = Attached { sender: Some(sender), photos: kept };
    let filed = cases::file_with(store, &ctx.tenant.id, &new, attached, ctx.today()).await?;
    tracing::info!(number = %filed.number, service = %service.code, photos, "case filed on the web form");
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/layanan/lapor/{}?baru=1", filed.token))]).into_response())
}

fn kind_key(k: Kind) -> &'static str {
    match k {
        Kind::Pengaduan => "layanan.kind.pengaduan",
        Kind::Aspirasi => "layanan.kind.aspirasi",
        Kind::PermintaanInformasi => "layanan.kind.permintaan_informasi",
    }
}

#[cfg(test)]
mod tests {
    use super::phone_digits;

    #[test]
    fn a_phone_number_counts_once_however_it_is_written() {
        for typed in ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "0812 3456 7890"] {
            assert_eq!(phone_digits(typed), "081234567890", "{typed}");
        }
        assert_eq!(phone_digits(""), "");
    }
}
