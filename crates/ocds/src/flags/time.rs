//! RFC 3339 date-times (OCDS `date-time`) as instants, to order them and to
//! count whole days between them (read by `kalender::civil`).

/// An instant as nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) type Instant = i128;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND;

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; `None` for anything else,
/// a date-time without its offset included (Cardinal treats unparsable dates as absent).
pub(crate) fn parse_rfc3339(s: &str) -> Option<Instant> {
    let stamp = kalender::civil::parse_rfc3339(s).filter(|t| t.zoned)?;
    Some(i128::from(stamp.seconds) * NANOS_PER_SECOND + i128::from(stamp.nanos))
}

/// Whole days from `start` to `end`, truncated toward zero.
pub(crate) fn whole_days(start: Instant, end: Instant) -> i128 {
    (end - start) / NANOS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-02T00:00:00+01:00"), Some(23 * 3600 * NANOS_PER_SECOND));
        assert_eq!(
            parse_rfc3339("2000-03-01T00:00:00.5Z").unwrap() - parse_rfc3339("2000-02-29T00:00:00Z").unwrap(),
            NANOS_PER_DAY + NANOS_PER_SECOND / 2
        );
        assert_eq!(parse_rfc3339("invalid"), None);
        assert_eq!(parse_rfc3339("2000-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2000-01-01T00:00:00"), None);
        assert_eq!(parse_rfc3339("2000-01-01T00:00:00.Z"), None);
    }

    #[test]
    fn whole_days_truncate() {
        let s = parse_rfc3339("2000-01-01T18:00:00Z").unwrap();
        assert_eq!(whole_days(s, parse_rfc3339("2000-01-16T17:59:59Z").unwrap()), 14);
        assert_eq!(whole_days(s, parse_rfc3339("2000-01-16T18:00:00Z").unwrap()), 15);
        assert_eq!(whole_days(s, parse_rfc3339("2000-01-01T00:00:00Z").unwrap()), 0);
    }
}
