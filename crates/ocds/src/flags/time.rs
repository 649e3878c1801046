//! RFC 3339 date-times (OCDS `date-time`), just enough to order them and to count
//! whole days between them. Written here to keep the crate free of a date library.

/// An instant as nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) type Instant = i128;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_DAY: i128 = 86_400 * NANOS_PER_SECOND;

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; `None` for anything else
/// (Cardinal treats unparsable dates as absent).
pub(crate) fn parse_rfc3339(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }

    let mut i = 19;
    let mut nanos: i128 = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            // Digits beyond nanoseconds are dropped.
            if i - start < 9 {
                nanos = nanos * 10 + i128::from(b[i] - b'0');
            }
            i += 1;
        }
        let count = i - start;
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
    }

    let offset_seconds: i128 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let total = i128::from(oh * 3600 + om * 60);
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };

    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + i128::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    Some(seconds * NANOS_PER_SECOND + nanos)
}

/// Whole days from `start` to `end`, truncated toward zero.
pub(crate) fn whole_days(start: Instant, end: Instant) -> i128 {
    (end - start) / NANOS_PER_DAY
}

fn digits(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = b.get(at..at + len)?;
    slice.iter().try_fold(0u32, |acc, &c| if c.is_ascii_digit() { Some(acc * 10 + u32::from(c - b'0')) } else { None })
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: u32, month: u32, day: u32) -> i128 {
    let y = i128::from(year) - i128::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i128::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i128::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
