//! HMAC-SHA256 (RFC 2104) for the SMS/WhatsApp gateway's webhook: the
//! gateway signs the raw body with the region's shared secret and sends
//! `X-Pendopo-Signature: sha256=<hex>`. Written over `sha2` (already a
//! dependency) because the `hmac` crate in the lock file is built on a newer
//! `digest` than our `sha2`; the RFC 4231 vectors below hold it to the spec.

use sha2::{Digest, Sha256};

/// SHA-256's block size in bytes.
const BLOCK: usize = 64;

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// The header value a sender puts on `body`: `sha256=` and lowercase hex.
pub fn header_value(secret: &str, body: &[u8]) -> String {
    let mac = hmac_sha256(secret.as_bytes(), body);
    format!("sha256={}", mac.iter().map(|b| format!("{b:02x}")).collect::<String>())
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
    let expected = hmac_sha256(secret.as_bytes(), body);
    sent.len() == expected.len() && sent.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(mac: [u8; 32]) -> String {
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc_4231_vectors() {
        // Test case 2: a short key.
        assert_eq!(
            hex(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

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
