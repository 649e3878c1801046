//! Time is made in Rust, not in SQL, so both engines store the same numbers.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
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
    fn formats_in_the_region_zone() {
        // 2026-11-28T23:30:00Z is the next morning in Jakarta and Jayapura.
        let ms = 1_795_908_600_000;
        assert_eq!(format_local(ms, wilayah::TimeZone::Wib), "29-11-2026 06:30 WIB");
        assert_eq!(format_local(ms, wilayah::TimeZone::Wit), "29-11-2026 08:30 WIT");
        assert_eq!(format_local(0, wilayah::TimeZone::Wita), "01-01-1970 08:00 WITA");
        assert_eq!(iso_utc(ms + 123), "2026-11-28T23:30:00.123000");
    }
}
