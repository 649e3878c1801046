//! Release dates, parsed just enough to order releases by instant.
//!
//! Comparing the strings would misorder dates written with different UTC
//! offsets, and a typo'd date would silently sort first or last; parsing
//! catches both (with `kalender::civil`, the workspace's one reader).

/// An instant as (seconds since 1970-01-01T00:00:00Z, nanoseconds).
pub(crate) type Instant = (i64, u32);

/// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
///
/// Lenient where publishers commonly are: `t`/space for `T`, `z` for `Z`, and
/// a missing offset is read as UTC. Returns `None` for anything else.
pub(crate) fn parse(text: &str) -> Option<Instant> {
    kalender::civil::parse_rfc3339(text).map(|t| (t.seconds, t.nanos))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_and_orders_instants() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(parse("1970-01-02T00:00:00.5Z"), Some((86_400, 500_000_000)));
        assert_eq!(parse("2014-01-01T07:00:00+07:00"), parse("2014-01-01T00:00:00Z"));
        assert_eq!(parse("2000-02-29T00:00:00"), parse("2000-02-29T00:00:00Z"));
        assert!(parse("2014-01-01T00:00:00-01:00") > parse("2014-01-01T00:30:00Z"));
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in ["", "2014-01-01", "2014-13-01T00:00:00Z", "2014-02-30T00:00:00Z", "2014-01-01T24:00:00Z", "2014-01-01T00:00:00+7", "x"]
        {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
