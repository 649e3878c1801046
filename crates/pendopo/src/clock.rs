//! Time is made in Rust, not in SQL, so both engines store the same numbers;
//! and it comes from one [`Clock`], held by the store, so tests can move it
//! (deadlines, throttles, expiry, scheduled jobs) instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kalender::civil;

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
    let (y, m, d) = civil::civil_from_days(days);
    format!("{d:02}-{m:02}-{y} {:02}:{:02} {}", rem / 3600, rem % 3600 / 60, zone.abbreviation())
}

/// UTC without a zone suffix, to the microsecond, as CKAN writes its
/// timestamps (`2026-11-28T23:30:00.123000`).
pub fn iso_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}", rem / 3600, rem % 3600 / 60, rem % 60, ms.rem_euclid(1000) * 1000)
}

/// Milliseconds since the epoch of an RFC 3339 date-time
/// (`2024-03-01T09:00:00+07:00`, `...Z`, fractions allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let stamp = civil::parse_rfc3339(s).filter(|t| t.zoned)?;
    Some(stamp.seconds * 1000 + i64::from(stamp.nanos / 1_000_000))
}

/// An instant as crawlers and people write it in a query string: a date
/// (`2026-12-01`: its midnight), or a date-time with or without seconds
/// and with or without a zone; without one it is at `offset_hours` east of
/// UTC (the region's WIB, WITA or WIT). A `+` of a zone that a query string
/// turned into a space (`10:00:00 07:00`) is read as the `+` it was.
pub fn parse_local(text: &str, offset_hours: i64) -> Option<i64> {
    let mut s = text.trim().to_string();
    match s.len() {
        10 => s.push_str("T00:00:00"),
        16 => s.push_str(":00"),
        _ => {}
    }
    let b = s.as_bytes();
    if b.len() >= 25 && b[b.len() - 6] == b' ' && b[b.len() - 3] == b':' {
        let at = s.len() - 6;
        s.replace_range(at..=at, "+");
    }
    let stamp = civil::parse_rfc3339(&s)?;
    let ms = stamp.seconds * 1000 + i64::from(stamp.nanos / 1_000_000);
    Some(if stamp.zoned { ms } else { ms - offset_hours * 3_600_000 })
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
    fn local_instants_are_read_in_the_region_zone() {
        // Midnight of 1 December 2026 in Bojonegoro (WIB) and in Jayapura (WIT).
        let wib = parse_rfc3339("2026-11-30T17:00:00Z").unwrap();
        assert_eq!(parse_local("2026-12-01", 7), Some(wib));
        assert_eq!(parse_local("2026-12-01", 9), Some(wib - 2 * 3_600_000));
        assert_eq!(parse_local("2026-12-01T00:00", 7), Some(wib));
        assert_eq!(parse_local("2026-12-01T00:00:00", 7), Some(wib));
        assert_eq!(parse_local("2026-12-01T00:00:00+07:00", 9), Some(wib), "a zone given wins");
        assert_eq!(parse_local("2026-12-01T00:00:00 07:00", 9), Some(wib), "a + that became a space");
        assert_eq!(parse_local("2026-11-30T17:00:00Z", 8), Some(wib));
        for bad in ["kemarin", "2026-13-01", "2026-02-30", "2026-12-01T25:00", "1701388800", ""] {
            assert_eq!(parse_local(bad, 7), None, "{bad}");
        }
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
        for bad in ["2026-11-28", "2026-13-28T23:30:00Z", "2026-02-30T00:00:00Z", "2026-11-28T23:30:00", "2026-11-28T23:30:00+0700"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
