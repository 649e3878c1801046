//! Time is made in Rust, not in SQL, so both engines store the same numbers;
//! and it comes from one [`Clock`], held by the store, so tests can move it
//! (deadlines, throttles, expiry, scheduled jobs) instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, from the system. The server reads
/// time through [`Clock`]; this is for tools that have no store.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The time the application goes by: the system's, or one a test sets and
/// moves. Cheap to clone; clones of a manual clock move together.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stands at `ms` until moved.
    pub fn manual(ms: i64) -> Clock {
        Clock { manual: Some(Arc::new(AtomicI64::new(ms))) }
    }

    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::SeqCst),
            None => now_ms(),
        }
    }

    /// Moves a manual clock forward; the system's cannot be moved.
    pub fn advance(&self, by: Duration) {
        let t = self.manual.as_ref().expect("only a manual clock can be moved");
        t.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

/// A date and time in the region's zone, e.g. `28-11-2026 14:05 WIB`.
pub fn format_local(ms: i64, zone: wilayah::TimeZone) -> String {
    let secs = ms.div_euclid(1000) + zone.utc_offset_hours() * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{d:02}-{m:02}-{y} {:02}:{:02} {}", rem / 3600, rem % 3600 / 60, zone.abbreviation())
}

/// UTC without a zone suffix, to the microsecond, as CKAN writes its
/// timestamps (`2026-11-28T23:30:00.123000`).
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}", rem / 3600, rem % 3600 / 60, rem % 60, ms.rem_euclid(1000) * 1000)
}

/// Milliseconds since the epoch of an RFC 3339 date-time
/// (`2024-03-01T09:00:00+07:00`, `...Z`, fractions allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return None;
        }
        millis = format!("{:0<3}", &digits[..digits.len().min(3)]).parse().ok()?;
        rest = &frac[digits.len()..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && &o[3..4] == ":" => {
            let v = o[1..3].parse::<i64>().ok()? * 60 + o[4..6].parse::<i64>().ok()?;
            if o.starts_with('-') { -v } else { v }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60) * 1000 + millis)
}

/// (year, month, day) to days since 1970-01-01 (Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's civil_from_days algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_with_it() {
        let clock = Clock::manual(1_000);
        let other = clock.clone();
        assert_eq!(clock.now_ms(), 1_000);
        other.advance(Duration::from_secs(90));
        assert_eq!(clock.now_ms(), 91_000);
        assert!(Clock::system().now_ms() > 1_795_000_000_000);
    }

    #[test]
    fn formats_in_the_region_zone() {
        // 2026-11-28T23:30:00Z is the next morning in Jakarta and Jayapura.
        let ms = 1_795_908_600_000;
        assert_eq!(format_local(ms, wilayah::TimeZone::Wib), "29-11-2026 06:30 WIB");
        assert_eq!(format_local(ms, wilayah::TimeZone::Wit), "29-11-2026 08:30 WIT");
        assert_eq!(format_local(0, wilayah::TimeZone::Wita), "01-01-1970 08:00 WITA");
        assert_eq!(iso_utc(ms + 123), "2026-11-28T23:30:00.123000");
        assert_eq!(parse_rfc3339("2026-11-29T06:30:00+07:00"), Some(ms));
        assert_eq!(parse_rfc3339("2026-11-28T23:30:00.123Z"), Some(ms + 123));
        for bad in ["2026-11-28", "2026-13-28T23:30:00Z", "2026-11-28T23:30:00", "2026-11-28T23:30:00+0700"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
