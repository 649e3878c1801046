//! The SMS/WhatsApp gateway's webhook signature: the gateway signs the raw
//! body with the region's shared secret (HMAC-SHA256, `kernel::hmac`) and
//! sends `X-Pendopo-Signature: sha256=<hex>`.

use crate::kernel::hmac;

/// The header value a sender puts on `body`: `sha256=` and lowercase hex.
pub fn header_value(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac::hex(&hmac::sha256(secret.as_bytes(), body)))
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Whether `header` (`sha256=<hex>`, hex in either case) signs `body` with
/// `secret`. The MACs are compared in constant time, so the answer's timing
/// says nothing about how much of a forged signature was right.
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(sent) = header.trim().strip_prefix("sha256=").and_then(unhex) else { return false };
    hmac::same(&sent, &hmac::sha256(secret.as_bytes(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_only_for_its_body_and_secret() {
        let body = br#"{"message_id":"1"}"#;
        let header = header_value("rahasia", body);
        assert!(verify("rahasia", body, &header));
        assert!(verify("rahasia", body, &header.to_uppercase().replace("SHA256=", "sha256=")));
        assert!(!verify("lain", body, &header));
        assert!(!verify("rahasia", br#"{"message_id":"2"}"#, &header));
        for bad in ["", "sha256=", "sha256=zz", "md5=00", &header[..header.len() - 1]] {
            assert!(!verify("rahasia", body, bad), "{bad}");
        }
    }
}
