//! Release dates, parsed just enough to order releases by instant.
//!
//! Comparing the strings would misorder dates written with different UTC
//! offsets, and a typo'd date would silently sort first or last; parsing
//! catches both. No date crate: this is the only date arithmetic needed.

/// An instant as (seconds since 1970-01-01T00:00:00Z, nanoseconds).
pub(crate) type Instant = (i64, u32);

/// Parses an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
///
/// Lenient where publishers commonly are: `t`/space for `T`, `z` for `Z`, and
/// a missing offset is read as UTC. Returns `None` for anything else.
pub(crate) fn parse(text: &str) -> Option<Instant> {
    let bytes = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let year = num(0..4)?;
    let sep = |i: usize, allowed: &[u8]| bytes.get(i).is_some_and(|b| allowed.contains(b));
    if !sep(4, b"-") || !sep(7, b"-") || !sep(10, b"Tt ") || !sep(13, b":") || !sep(16, b":") {
        return None;
    }
    let (month, day, hour, minute, second) = (num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return None;
        }
        // Only the first nine digits matter at nanosecond precision.
        let digits = &fraction[..len.min(9)];
        nanos = digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32);
        rest = &fraction[len..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let b = rest.as_bytes();
            if b.len() != 6 || b[3] != b':' {
                return None;
            }
            let sign = match b[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits = |s: &[u8]| -> Option<i64> {
                s.iter().all(u8::is_ascii_digit).then(|| s.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
            };
            let (h, m) = (digits(&b[1..3])?, digits(&b[4..6])?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some((seconds, nanos))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`, public domain).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
