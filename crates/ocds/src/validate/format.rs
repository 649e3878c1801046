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
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0i64, |acc, d| d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=month_length(year, month)).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = b.get(19..)?;
    let mut nanos = 0u32;
    if let Some((b'.', fraction)) = rest.split_first() {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        // Digits past the ninth are below a nanosecond: ignored, not rounded.
        for (i, d) in fraction.iter().take(9).take(len).enumerate() {
            nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &fraction[len..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |x: u8, y: u8| (x.is_ascii_digit() && y.is_ascii_digit()).then(|| i64::from(x - b'0') * 10 + i64::from(y - b'0'));
            let (h, m) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = h * 3600 + m * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let days = days_since_epoch(year, month, day);
    Some((days * 86_400 + hour * 3600 + minute * 60 + second - offset, nanos))
}

fn month_length(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date, counting 400-year
/// cycles from 0000-03-01 so that the leap day ends each cycle year.
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    let (y, m) = if month > 2 { (year, month - 3) } else { (year - 1, month + 9) };
    let cycle = y.div_euclid(400);
    let year_of_cycle = y.rem_euclid(400);
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    // 719_468 days separate 0000-03-01 from 1970-01-01.
    cycle * 146_097 + day_of_cycle - 719_468
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
