//! The filing form's time check, instead of a third-party CAPTCHA: the form
//! carries the time it was issued, signed with the region's key
//! (HMAC-SHA256), so a script that posts at once, or replays an old form, is
//! told so, while a person who takes a few seconds to write passes.

use crate::kernel::hmac;
use crate::kernel::identity::random_secret;
use crate::store::{Store, StoreError, sql};

/// Faster than anyone reads and fills the form.
pub const MIN_AGE_MS: i64 = 3_000;
/// A form left open longer is issued again (with the values kept).
pub const MAX_AGE_MS: i64 = 6 * 60 * 60 * 1000;

#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    TooFast,
    Expired,
    /// Missing, altered or signed with another key.
    Forged,
}

/// The region's signing key, made on first use (two servers making it at
/// once keep the first).
pub async fn key(store: &Store, tenant: &str) -> Result<String, StoreError> {
    let read = || sql("SELECT secret FROM service_form_keys WHERE tenant_id = $1").bind(tenant);
    if let Some(row) = store.fetch_optional(read()).await? {
        return row.get("secret");
    }
    store
        .execute(
            sql("INSERT INTO service_form_keys (tenant_id, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING")
                .bind(tenant)
                .bind(random_secret())
                .bind(store.now_ms()),
        )
        .await?;
    store.fetch_optional(read()).await?.ok_or(StoreError::NotFound)?.get("secret")
}

fn signature(key: &str, issued_ms: i64) -> String {
    hmac::hex(&hmac::sha256(key.as_bytes(), format!("layanan-lapor|{issued_ms}").as_bytes()))
}

/// The stamp a form issued at `now_ms` carries: `MS.SIGNATURE`.
pub fn issue(key: &str, now_ms: i64) -> String {
    format!("{now_ms}.{}", signature(key, now_ms))
}

/// Whether a stamp sent back at `now_ms` is genuine and of a believable age.
pub fn check(key: &str, stamp: &str, now_ms: i64) -> Result<(), Refused> {
    let (issued, sent) = stamp.trim().split_once('.').ok_or(Refused::Forged)?;
    let issued: i64 = issued.parse().map_err(|_| Refused::Forged)?;
    let expected = signature(key, issued);
    // Compared in constant time: the signature is the secret's stand-in.
    if !hmac::same(expected.as_bytes(), sent.as_bytes()) {
        return Err(Refused::Forged);
    }
    let age = now_ms - issued;
    if age < MIN_AGE_MS {
        Err(Refused::TooFast)
    } else if age > MAX_AGE_MS {
        Err(Refused::Expired)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_passes_between_three_seconds_and_six_hours() {
        let stamp = issue("k", 1_000_000);
        assert_eq!(check("k", &stamp, 1_001_000), Err(Refused::TooFast));
        assert_eq!(check("k", &stamp, 1_000_000 + MIN_AGE_MS), Ok(()));
        assert_eq!(check("k", &stamp, 1_000_000 + MAX_AGE_MS + 1), Err(Refused::Expired));
        // Another key, an earlier time with the old signature, nothing at all.
        assert_eq!(check("other", &stamp, 1_010_000), Err(Refused::Forged));
        let moved = stamp.replacen("1000000", "990000", 1);
        assert_eq!(check("k", &moved, 1_010_000), Err(Refused::Forged));
        assert_eq!(check("k", "", 1_010_000), Err(Refused::Forged));
    }
}
