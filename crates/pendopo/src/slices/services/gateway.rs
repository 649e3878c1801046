//! The SMS/WhatsApp gateway: a machine posts each message it received to
//! `POST /api/v1/webhooks/pesan`, signed with the region's shared secret
//! (see `signature`). A message becomes a case in state `received`, the
//! coordinator's verification queue, with the phone as the reporter's
//! (never public). The same `message_id` on the same channel gives back the
//! same case, so a gateway may retry freely.
//!
//! Which service: when the message's first word is a service code (`PJU
//! lampu mati di ...`, any case, a leading `#` allowed) that service, else
//! the region's intake service, which the region admin chooses with the
//! secret on `/layanan/pesan` (a secret cannot be set without one).

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use layanan::case::Channel;
use serde::Deserialize;

use super::cases::{self, NewCase};
use super::model::Service;
use super::{repo, signature};
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, sql};
use crate::web::ctx::Ctx;
use crate::web::error::{AppError, AppResult};

pub const SIGNATURE_HEADER: &str = "x-pendopo-signature";

/// A region's gateway settings.
pub struct Gateway {
    pub secret: String,
    pub intake_service_id: String,
    pub updated_at: i64,
}

pub async fn get(store: &Store, tenant: &str) -> Result<Option<Gateway>, StoreError> {
    let q = sql("SELECT secret, intake_service_id, updated_at FROM message_gateways WHERE tenant_id = $1").bind(tenant);
    let Some(r) = store.fetch_optional(q).await? else { return Ok(None) };
    Ok(Some(Gateway { secret: r.get("secret")?, intake_service_id: r.get("intake_service_id")?, updated_at: r.get("updated_at")? }))
}

/// Sets the secret and the intake service (a rotation replaces the secret:
/// the old one stops working at once).
pub async fn save(store: &Store, tenant: &str, secret: &str, intake_service_id: &str, by: Option<&str>) -> Result<(), StoreError> {
    let q = sql("INSERT INTO message_gateways (tenant_id, secret, intake_service_id, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (tenant_id) DO UPDATE SET secret = $2, intake_service_id = $3, updated_by = $4, updated_at = $5")
    .bind(tenant)
    .bind(secret)
    .bind(intake_service_id)
    .bind(by.map(str::to_string))
    .bind(store.now_ms());
    store.execute(q).await?;
    Ok(())
}

/// What the gateway posts. Every field is read as text first, so a missing
/// one is the caller's field error, not a parse failure.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Message {
    from: String,
    channel: String,
    text: String,
    /// RFC 3339, e.g. `2026-12-04T09:15:00+07:00`; absent: now.
    received_at: Option<String>,
    message_id: String,
}

/// The service a message names by its first word, if any.
fn named_service<'a>(services: &'a [Service], text: &str) -> Option<&'a Service> {
    let word = text.split_whitespace().next()?.trim_start_matches('#').trim_end_matches([':', ',', '.']);
    services.iter().find(|s| s.code.eq_ignore_ascii_case(word))
}

/// A phone number as gateways write it: digits, an optional leading `+`,
/// spaces and dashes dropped.
fn phone(text: &str) -> Option<String> {
    let kept: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    ((6..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())).then_some(kept)
}

/// The message's problems, each under its field, or the checked values.
fn check(m: &Message, now: i64) -> Result<(Channel, String, String, Option<i64>), AppError> {
    let mut errors = Vec::new();
    let channel = match m.channel.trim() {
        "sms" => Some(Channel::Sms),
        "whatsapp" => Some(Channel::Whatsapp),
        other => {
            errors.push(("channel".to_string(), Msg::new("layanan.channel.gateway_channel").arg("channel", other)));
            None
        }
    };
    let from = phone(&m.from);
    if from.is_none() {
        errors.push(("from".into(), Msg::new("layanan.channel.phone_invalid")));
    }
    let text = cases::checked_text(&m.text).map_err(|e| errors.push(("text".into(), e))).ok();
    let id = m.message_id.trim();
    if id.is_empty() || id.len() > 200 || !crate::kernel::text::is_plain(id) {
        errors.push(("message_id".into(), Msg::new("layanan.required")));
    }
    // A receipt in the future is the gateway's clock being off: now then.
    let received = match m.received_at.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match kalender::civil::parse_rfc3339(t).filter(|s| s.zoned) {
            Some(s) => Some((s.seconds * 1000).min(now)),
            None => {
                errors.push(("received_at".into(), Msg::new("layanan.channel.time_invalid")));
                None
            }
        },
    };
    match (channel, from, text, errors.is_empty()) {
        (Some(c), Some(f), Some(t), true) => Ok((c, f, t, received)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// `POST /api/v1/webhooks/pesan`: 401 unless the body is signed with the
/// region's secret (nothing is read from an unsigned body), 201 with the
/// new case's number, 200 with the same number for a message seen before.
pub async fn webhook(ctx: Ctx, headers: HeaderMap, body: Bytes) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let Some(gateway) = get(store, tenant).await? else {
        return Err(AppError::Unauthorized(Msg::new("layanan.channel.gateway_off")));
    };
    let sent = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !signature::verify(&gateway.secret, &body, sent) {
        tracing::warn!("gateway message refused: bad or missing signature");
        return Err(AppError::Unauthorized(Msg::new("layanan.channel.signature_invalid")));
    }
    let message: Message =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(Msg::new("layanan.channel.json_invalid").arg("detail", e)))?;
    let (channel, from, text, received) = check(&message, store.now_ms())?;
    let services = repo::list(store, tenant).await?;
    let service = match named_service(&services, &text) {
        Some(s) => s,
        None => services
            .iter()
            .find(|s| s.id == gateway.intake_service_id)
            .ok_or_else(|| AppError::Internal("the gateway's intake service is gone".into()))?,
    };
    let case = NewCase {
        reporter_phone: Some(from),
        external_id: Some(format!("{}:{}", channel.code(), message.message_id.trim())),
        filed_at: received,
        ..NewCase::new(service, cases::usual_kind(service), channel, text)
    };
    let filed = cases::file(store, tenant, &case, ctx.today()).await?;
    if filed.new {
        tracing::info!(number = %filed.number, service = %service.code, channel = channel.code(), "case filed from the gateway");
    }
    let status = if filed.new { StatusCode::CREATED } else { StatusCode::OK };
    let body = serde_json::json!({
        "number": filed.number, "new": filed.new, "service_code": service.code, "state": "received",
        "verify_due": filed.verify_due.to_string(),
    });
    Ok((status, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_their_digits_and_plus() {
        assert_eq!(phone("+62 812-3456-7890").as_deref(), Some("+6281234567890"));
        assert_eq!(phone("081234567890").as_deref(), Some("081234567890"));
        for bad in ["", "12", "0812abc4567", "+62 812 3456 7890 1234 5"] {
            assert_eq!(phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_message_is_checked_field_by_field() {
        let m = Message { channel: "fax".into(), ..Default::default() };
        let Err(AppError::Invalid(errors)) = check(&m, 0) else { panic!("accepted") };
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["channel", "from", "text", "message_id"]);
        let m = Message {
            from: "0812 3456 7890".into(),
            channel: "whatsapp".into(),
            text: " Lampu mati ".into(),
            received_at: Some("2026-12-04T09:00:00+07:00".into()),
            message_id: "wamid.1".into(),
        };
        let (channel, from, text, at) = check(&m, i64::MAX).unwrap_or_else(|_| panic!("refused"));
        assert_eq!((channel, from.as_str(), text.as_str(), at), (Channel::Whatsapp, "081234567890", "Lampu mati", Some(1_796_349_600_000)));
    }
}
