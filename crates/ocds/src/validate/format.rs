//! The `format` values the OCDS schemas use (`date-time`, `uri`), plus
//! `email`, checked strictly; and date-times parsed to instants so that the
//! coherence checks compare moments, not strings (two offsets can order
//! differently as text and as time).

/// An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds.
pub(crate) type Instant = (i64, u32);

/// Parses an RFC 3339 `date-time` (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`).
///
/// Strict on purpose: JSON Schema's `date-time` is RFC 3339, which requires
/// the offset, so a date without one is a format error here even though
/// the merge routine reads it leniently as UTC.
pub(crate) fn parse_date_time(text: &str) -> Option<Instant> {
    // A `T` between date and time, not the space RFC 3339's note allows.
    if !matches!(text.as_bytes().get(10), Some(b'T' | b't')) {
        return None;
    }
    let stamp = kalender::civil::parse_rfc3339(text).filter(|t| t.zoned)?;
    Some((stamp.seconds, stamp.nanos))
}

/// An absolute URI (RFC 3986 `scheme ":" hier-part`): a scheme, then only
/// URI characters and well-formed percent escapes. Relative references
/// fail, as they do in the Python checker lib-cove-ocds uses.
pub(crate) fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.bytes();
    if !scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c);
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

/// A plausible email address: one `@`, a non-empty local part and a dotted
/// domain, no whitespace. Deliberately loose: deliverability is not ours to
/// judge, only an obvious slip (a name or a phone number) is.
pub(crate) fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_parse_to_comparable_instants() {
        assert_eq!(parse_date_time("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(parse_date_time("1970-01-02T00:00:00.25Z"), Some((86_400, 250_000_000)));
        assert_eq!(parse_date_time("2024-02-29T07:00:00+07:00"), parse_date_time("2024-02-29T00:00:00Z"));
        assert!(parse_date_time("2010-01-01T00:00:00-05:00") > parse_date_time("2010-01-01T04:00:00Z"));
        assert_eq!(parse_date_time("1969-12-31T23:59:59Z"), Some((-1, 0)));
    }

    #[test]
    fn malformed_date_times_are_rejected() {
        for bad in [
            "",
            "2010-01-01",
            "2010-01-01T00:00:00",
            "2010-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2010-01-01T24:00:00Z",
            "2010-01-01T00:00:00+7",
            "2010-01-01T00:00:00.Z",
            "2010-01-01 00:00:00Z",
            "२०१०-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_date_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn uris_need_a_scheme_and_uri_characters() {
        assert!(is_uri("https://example.com/a?b=c#d"));
        assert!(is_uri("urn:isbn:0451450523"));
        assert!(is_uri("http://example.com/%20x"));
        assert!(!is_uri("example.com/page"));
        assert!(!is_uri("http://example.com/a b"));
        assert!(!is_uri("http://example.com/%zz"));
        assert!(!is_uri("1http://x"));
    }

    #[test]
    fn emails_are_loosely_shaped() {
        assert!(is_email("procurement@example.go.id"));
        assert!(!is_email("procurement at example"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
    }
}
