//! The filing form's time check, instead of a third-party CAPTCHA: the form
//! carries the time it was issued, signed with the region's key
//! (HMAC-SHA256), so a script that posts at once, or replays an old form, is
//! told so, while a person who takes a few seconds to write passes.

use sha2::{Digest, Sha256};

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

/// HMAC-SHA256 (RFC 2104), written out: two hashes over the padded key.
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

fn signature(key: &str, issued_ms: i64) -> String {
    hmac(key.as_bytes(), format!("layanan-lapor|{issued_ms}").as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
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
    let differs = expected.len() != sent.len() || expected.bytes().zip(sent.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0;
    if differs {
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
    fn hmac_sha256_matches_rfc_4231() {
        let hex = |b: [u8; 32]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(hmac(b"Jefe", b"what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(hmac(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

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
