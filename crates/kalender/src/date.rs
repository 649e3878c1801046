//! Civil dates (proleptic Gregorian) and their day numbers since 1970-01-01.
//!
//! Dates are limited to the years 0000–9999, the range the `YYYY-MM-DD` form
//! can write, so that parsing and [`Display`](fmt::Display) round-trip for
//! every value of the type.

use std::fmt;
use std::str::FromStr;

use crate::civil;

/// UTC offset of Waktu Indonesia Barat (Sumatra, Java, West and Central Kalimantan).
pub const WIB: i64 = 7;
/// UTC offset of Waktu Indonesia Tengah (Bali, Nusa Tenggara, Sulawesi, the rest of Kalimantan).
pub const WITA: i64 = 8;
/// UTC offset of Waktu Indonesia Timur (Maluku, Papua).
pub const WIT: i64 = 9;

const MS_PER_DAY: i64 = 86_400_000;
const MS_PER_HOUR: i64 = 3_600_000;
const MIN_DAYS: i64 = days_from_civil(0, 1, 1);
const MAX_DAYS: i64 = days_from_civil(9999, 12, 31);

/// A calendar day. Fields are ordered year, month, day so the derived
/// ordering is chronological.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i16,
    month: u8,
    day: u8,
}

/// Day of the week, Monday first (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Saturday and Sunday: government offices are closed.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }
}

/// Why a date was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD` (four, two and two ASCII digits).
    Format,
    /// The month or the day does not exist, such as 2026-02-29 or 2026-13-01.
    NoSuchDay,
    /// The year is outside 0000–9999.
    OutOfRange,
}

impl DateError {
    /// A stable name of the reason, for callers that word the message in another language.
    pub fn code(self) -> &'static str {
        match self {
            DateError::Format => "format",
            DateError::NoSuchDay => "no_such_day",
            DateError::OutOfRange => "out_of_range",
        }
    }
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateError::Format => "not a date of the form YYYY-MM-DD",
            DateError::NoSuchDay => "no such day in the calendar",
            DateError::OutOfRange => "year outside 0000-9999",
        })
    }
}

impl std::error::Error for DateError {}

impl Date {
    /// The earliest representable date, 0000-01-01.
    pub const MIN: Date = Date { year: 0, month: 1, day: 1 };
    /// The latest representable date, 9999-12-31.
    pub const MAX: Date = Date { year: 9999, month: 12, day: 31 };

    /// A date from its parts; month and day are 1-based.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        let year = i16::try_from(year).ok().filter(|y| (0..=9999).contains(y)).ok_or(DateError::OutOfRange)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay);
        }
        Ok(Date { year, month, day })
    }

    pub fn year(self) -> i32 {
        i32::from(self.year)
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The date `days` after 1970-01-01, or `None` outside 0000–9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        (MIN_DAYS..=MAX_DAYS).contains(&days).then(|| civil_from_days(days))
    }

    /// The local calendar day at `unix_ms` (milliseconds since 1970-01-01T00:00Z)
    /// in a zone `utc_offset_hours` ahead of UTC ([`WIB`], [`WITA`], [`WIT`]).
    /// Deadlines count in the region's local days: a complaint sent at 23:30 WIB
    /// is filed on that WIB day, although it is already the next day in WIT.
    pub fn from_unix_millis(unix_ms: i64, utc_offset_hours: i64) -> Option<Date> {
        let local_ms = unix_ms.checked_add(utc_offset_hours.checked_mul(MS_PER_HOUR)?)?;
        // Euclidean division so instants before 1970 fall on the day they belong to.
        Date::from_days_since_epoch(local_ms.div_euclid(MS_PER_DAY))
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday, index 3 counting from Monday.
        const DAYS: [Weekday; 7] =
            [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday, Weekday::Saturday, Weekday::Sunday];
        DAYS[(self.days_since_epoch() + 3).rem_euclid(7) as usize]
    }

    /// The date `days` later (earlier if negative), or `None` outside 0000–9999.
    pub fn checked_add_days(self, days: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    /// The date `days` later (earlier if negative).
    ///
    /// # Panics
    ///
    /// If the result falls outside 0000–9999; see [`Date::checked_add_days`].
    pub fn add_days(self, days: i64) -> Date {
        self.checked_add_days(days).expect("date outside 0000-9999")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

// `Date(2026-08-17)` reads far better in assertion failures than the three fields.
impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Strictly `YYYY-MM-DD`: no signs, spaces, or missing leading zeros, so a
    /// spreadsheet's `17/08/2026` or `2026-8-17` is refused rather than guessed.
    fn from_str(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        let shaped = b.len() == 10 && b.iter().enumerate().all(|(i, &c)| if i == 4 || i == 7 { c == b'-' } else { c.is_ascii_digit() });
        if !shaped {
            return Err(DateError::Format);
        }
        let number = |from: usize, to: usize| b[from..to].iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0'));
        // Month and day have two digits, so they fit in a u8.
        Date::new(number(0, 4) as i32, number(5, 7) as u8, number(8, 10) as u8)
    }
}

fn days_in_month(year: i16, month: u8) -> u8 {
    civil::days_in_month(i64::from(year), month)
}

const fn days_from_civil(year: i16, month: u8, day: u8) -> i64 {
    civil::days_from_civil(year as i64, month, day)
}

/// `days` must lie in `MIN_DAYS..=MAX_DAYS`.
fn civil_from_days(days: i64) -> Date {
    let (year, month, day) = civil::civil_from_days(days);
    Date { year: year as i16, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_round_trips_and_is_consecutive() {
        let mut previous: Option<Date> = None;
        for days in MIN_DAYS..=MAX_DAYS {
            let date = Date::from_days_since_epoch(days).unwrap();
            assert_eq!(date.days_since_epoch(), days);
            assert_eq!(Date::new(date.year(), date.month(), date.day()), Ok(date));
            if let Some(p) = previous {
                assert!(p < date, "{p} !< {date}");
            }
            previous = Some(date);
        }
        assert_eq!(previous, Some(Date::MAX));
        assert_eq!(Date::from_days_since_epoch(MIN_DAYS), Some(Date::MIN));
        assert_eq!(Date::from_days_since_epoch(MIN_DAYS - 1), None);
        assert_eq!(Date::from_days_since_epoch(MAX_DAYS + 1), None);
    }
}
