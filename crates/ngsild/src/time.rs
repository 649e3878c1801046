//! The DateTime, Date and Time values of clause 4.6.3: what `observedAt`,
//! `createdAt` and the temporal API's parameters must look like, read into
//! instants so that stores sort and compare them as time, not as text.
//!
//! A DateTime is `YYYY-MM-DDThh:mm:ss[.ffffff]Z`: UTC only (the trailing
//! `Z`), at most six fractional digits, and in requests a comma for the
//! decimal point as well.

use kalender::civil::parse_rfc3339;

/// Microseconds since 1970-01-01T00:00:00Z of a spec DateTime, or `None`
/// if the text is not one (an offset, a missing `Z`, seven fractional digits).
pub fn parse_datetime(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[10] != b'T' || *b.last()? != b'Z' {
        return None;
    }
    let fraction = &text[19..text.len() - 1];
    let digits = match fraction.as_bytes() {
        [] => "",
        [b'.' | b',', rest @ ..] if (1..=6).contains(&rest.len()) && rest.iter().all(u8::is_ascii_digit) => &fraction[1..],
        _ => return None,
    };
    let stamp = parse_rfc3339(&format!("{}Z", &text[..19]))?;
    let micros = if digits.is_empty() { 0 } else { digits.parse::<i64>().ok()? * 10i64.pow(6 - digits.len() as u32) };
    Some(stamp.seconds * 1_000_000 + micros)
}

/// Whether `text` is a spec DateTime.
pub fn is_datetime(text: &str) -> bool {
    parse_datetime(text).is_some()
}

/// Whether `text` is a Date, `YYYY-MM-DD`, that exists.
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && parse_rfc3339(&format!("{text}T00:00:00Z")).is_some()
}

/// Whether `text` is a Time, `hh:mm:ss[.ffffff]` with an optional `Z`.
pub fn is_time(text: &str) -> bool {
    let t = text.strip_suffix('Z').unwrap_or(text);
    t.len() >= 8 && parse_datetime(&format!("1970-01-01T{t}Z")).is_some()
}

/// Microseconds since the epoch written as a DateTime, with as many
/// fractional digits as it needs (none, three or six).
pub fn format_datetime(micros: i64) -> String {
    let (days, in_day) = (micros.div_euclid(86_400_000_000), micros.rem_euclid(86_400_000_000));
    let (y, m, d) = kalender::civil::civil_from_days(days);
    let secs = in_day / 1_000_000;
    let (h, min, s, frac) = (secs / 3600, secs / 60 % 60, secs % 60, in_day % 1_000_000);
    let head = format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}");
    match frac {
        0 => format!("{head}Z"),
        f if f % 1000 == 0 => format!("{head}.{:03}Z", f / 1000),
        f => format!("{head}.{f:06}Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(parse_datetime("1970-01-01T00:00:01.5Z"), Some(1_500_000));
        assert_eq!(parse_datetime("1970-01-01T00:00:01,000001Z"), Some(1_000_001));
        assert_eq!(parse_datetime("1970-01-01T00:00:01.0000001Z"), None);
        assert_eq!(parse_datetime("2024-01-01T00:00:00+07:00"), None);
        assert_eq!(parse_datetime("2024-01-01T00:00:00"), None);
        assert_eq!(parse_datetime("2024-01-01 00:00:00Z"), None);
        assert_eq!(parse_datetime("2024-02-30T00:00:00Z"), None);
        assert_eq!(format_datetime(parse_datetime("2026-12-06T12:35:17.25Z").unwrap()), "2026-12-06T12:35:17.250Z");
        assert_eq!(format_datetime(-1), "1969-12-31T23:59:59.999999Z");
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(is_time("12:00:00Z"));
        assert!(is_time("23:59:59.5"));
        assert!(!is_time("24:00:00Z"));
    }
}
