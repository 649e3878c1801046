//! Proleptic Gregorian day arithmetic on plain numbers, and RFC 3339
//! date-times read into instants, for every crate of the workspace that
//! needs them (this crate's [`Date`], the OCDS merge and red flags, the
//! uploaded tables' dates, the server's clock): one implementation, checked
//! once.
//!
//! [`Date`]: crate::Date

/// Whether `year` has a 29 February.
pub const fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1–12) of `year`.
pub const fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (negative before it) of `year`-`month`-`day`, the
/// month 1–12 and the day within it; the caller checks them.
///
/// Howard Hinnant's `days_from_civil`: the year is shifted to start on 1 March
/// so the leap day is the last day of its year, then split into 400-year eras
/// of exactly 146 097 days. See <https://howardhinnant.github.io/date_algorithms.html>.
pub const fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (m, d) = (month as i64, day as i64);
    let y = year - (m <= 2) as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day) of a day count.
pub const fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (yoe + era * 400 + (month <= 2) as i64, month, day)
}

/// An instant read from an RFC 3339 date-time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// Nanoseconds within the second (digits past nine are dropped).
    pub nanos: u32,
    /// Whether the text said its offset (`Z` or `±HH:MM`); without one it is
    /// read as UTC, which only lenient callers accept.
    pub zoned: bool,
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` (`t` or a space for `T`,
/// `z` for `Z`, a leap second allowed), a date that exists, nothing after.
pub fn parse_rfc3339(text: &str) -> Option<Stamp> {
    let b = text.as_bytes();
    let num = |at: usize, len: usize| -> Option<i64> {
        let digits = b.get(at..at + len)?;
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)? as u8, num(8, 2)? as u8);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return None;
        }
        let digits = &fraction[..len.min(9)];
        nanos = digits.parse::<u32>().ok()? * 10u32.pow(9 - digits.len() as u32);
        rest = &fraction[len..];
    }
    let (offset, zoned) = match rest.as_bytes() {
        [] => (0, false),
        [b'Z' | b'z'] => (0, true),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| (a.is_ascii_digit() && b.is_ascii_digit()).then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'));
            let (h, m) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            (if *sign == b'+' { h * 3600 + m * 60 } else { -(h * 3600 + m * 60) }, true)
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(Stamp { seconds, nanos, zoned })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_day_numbers() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2026, 8, 17), 20_682);
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn every_day_of_ten_thousand_years_round_trips() {
        let mut expected = days_from_civil(0, 1, 1);
        for year in 0..=9999 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), expected, "{year}-{month}-{day}");
                    assert_eq!(civil_from_days(expected), (year, month, day));
                    expected += 1;
                }
            }
        }
    }

    #[test]
    fn rfc3339_instants() {
        let at = |t: &str| parse_rfc3339(t).map(|s| (s.seconds, s.nanos, s.zoned));
        assert_eq!(at("1970-01-01T00:00:00Z"), Some((0, 0, true)));
        assert_eq!(at("1970-01-02T00:00:00.5z"), Some((86_400, 500_000_000, true)));
        assert_eq!(at("1970-01-01 00:00:00.1234567891+01:00"), Some((-3600, 123_456_789, true)));
        assert_eq!(at("2000-02-29t00:00:00"), Some((951_782_400, 0, false)));
        assert_eq!(at("2016-12-31T23:59:60Z"), Some((1_483_228_800, 0, true)));
        assert!(parse_rfc3339("2014-01-01T00:00:00-01:00") > parse_rfc3339("2014-01-01T00:30:00Z"));
        for bad in [
            "",
            "x",
            "2014-01-01",
            "2014-13-01T00:00:00Z",
            "2014-02-30T00:00:00Z",
            "2014-01-01T24:00:00Z",
            "2014-01-01T00:00:00+7",
            "2014-01-01T00:00:00+24:00",
            "2014-01-01T00:00:00.Z",
            "2014-01-01T00:00:00Zjunk",
            "+014-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn leap_years() {
        assert!(is_leap(2024) && is_leap(2000) && !is_leap(1900) && !is_leap(2026));
        assert_eq!((days_in_month(2024, 2), days_in_month(2026, 2), days_in_month(2026, 4)), (29, 28, 30));
    }
}
