//! The dashboards' arithmetic, no I/O: BMKG's daily rainfall categories,
//! the rain day a measure belongs to, the local hour and week of a time.

use serde::Serialize;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// BMKG's categories of a day's rainfall (domain.md section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RainCategory {
    /// Under 0.5 mm: no rain day.
    Kering,
    Ringan,
    Sedang,
    Lebat,
    SangatLebat,
    Ekstrem,
}

impl RainCategory {
    pub const ALL: [RainCategory; 6] = [
        RainCategory::Kering,
        RainCategory::Ringan,
        RainCategory::Sedang,
        RainCategory::Lebat,
        RainCategory::SangatLebat,
        RainCategory::Ekstrem,
    ];

    /// Ringan 0.5-20, sedang 20-50, lebat 50-100, sangat lebat 100-150,
    /// ekstrem above 150 mm: a bound belongs to the category it starts
    /// (20 mm is sedang), as BMKG's tables read "20-50".
    pub fn of(mm: f64) -> RainCategory {
        match mm {
            x if x > 150.0 => RainCategory::Ekstrem,
            x if x >= 100.0 => RainCategory::SangatLebat,
            x if x >= 50.0 => RainCategory::Lebat,
            x if x >= 20.0 => RainCategory::Sedang,
            x if x >= 0.5 => RainCategory::Ringan,
            _ => RainCategory::Kering,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            RainCategory::Kering => "kering",
            RainCategory::Ringan => "ringan",
            RainCategory::Sedang => "sedang",
            RainCategory::Lebat => "lebat",
            RainCategory::SangatLebat => "sangat_lebat",
            RainCategory::Ekstrem => "ekstrem",
        }
    }
}

/// The rain day of a measure at `ms`, as days since the epoch: BMKG's
/// observation day ends at 07:00 local time, and a day's rainfall is what
/// fell in the 24 hours up to its 07:00 (a reading at exactly 07:00 closes
/// that day; one at 07:01 counts for the next).
pub fn rain_day(ms: i64, offset_hours: i64) -> i64 {
    let local = ms + offset_hours * HOUR_MS - 7 * HOUR_MS;
    (local + DAY_MS - 1).div_euclid(DAY_MS)
}

/// The local calendar day of `ms`, as days since the epoch.
pub fn local_day(ms: i64, offset_hours: i64) -> i64 {
    (ms + offset_hours * HOUR_MS).div_euclid(DAY_MS)
}

/// The local hour of the day (0-23) of `ms`.
pub fn local_hour(ms: i64, offset_hours: i64) -> i64 {
    (ms + offset_hours * HOUR_MS).rem_euclid(DAY_MS) / HOUR_MS
}

/// A day number as `YYYY-MM-DD`.
pub fn day_text(day: i64) -> String {
    kalender::Date::from_days_since_epoch(day).map(|d| d.to_string()).unwrap_or_default()
}

/// `YYYY-MM-DD HH:00` local, for hourly rows.
pub fn hour_text(ms: i64, offset_hours: i64) -> String {
    format!("{} {:02}:00", day_text(local_day(ms, offset_hours)), local_hour(ms, offset_hours))
}

/// The Monday that starts the local week of `ms` (days since the epoch;
/// 1970-01-01 was a Thursday).
pub fn week_start(ms: i64, offset_hours: i64) -> i64 {
    let day = local_day(ms, offset_hours);
    day - (day + 3).rem_euclid(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmkg_categories_at_their_bounds() {
        let cases = [
            (0.0, "kering"),
            (0.4, "kering"),
            (0.5, "ringan"),
            (19.9, "ringan"),
            (20.0, "sedang"),
            (49.9, "sedang"),
            (50.0, "lebat"),
            (99.9, "lebat"),
            (100.0, "sangat_lebat"),
            (150.0, "sangat_lebat"),
            (150.1, "ekstrem"),
        ];
        for (mm, code) in cases {
            assert_eq!(RainCategory::of(mm).code(), code, "{mm} mm");
        }
    }

    #[test]
    fn the_rain_day_closes_at_seven_local() {
        // 2026-12-06T07:00 WIB = 00:00 UTC.
        let seven = 1_764_979_200_000 + 365 * DAY_MS;
        let day = local_day(seven, 7);
        assert_eq!(day_text(day), "2026-12-06");
        assert_eq!(rain_day(seven, 7), day, "the 07:00 reading closes the 6th");
        assert_eq!(rain_day(seven + 60_000, 7), day + 1, "07:01 belongs to the 7th");
        assert_eq!(rain_day(seven - 23 * HOUR_MS, 7), day, "08:00 of the 5th already counts for the 6th");
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-12-06 is a Sunday; its week began on Monday 30 November.
        let sunday = 1_764_979_200_000 + 365 * DAY_MS;
        assert_eq!(day_text(week_start(sunday, 7)), "2026-11-30");
        assert_eq!(local_hour(sunday, 7), 7);
    }
}
