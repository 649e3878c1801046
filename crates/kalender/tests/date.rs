//! `Date`: parsing, display, weekdays, arithmetic and local days from timestamps.

use kalender::{Date, DateError, WIB, WIT, WITA, Weekday};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn parses_and_displays_yyyy_mm_dd() {
    let date = d("2026-08-17");
    assert_eq!((date.year(), date.month(), date.day()), (2026, 8, 17));
    assert_eq!(date.to_string(), "2026-08-17");
    assert_eq!(d("0000-01-01"), Date::MIN);
    assert_eq!(d("9999-12-31"), Date::MAX);
    assert_eq!(Date::MIN.to_string(), "0000-01-01");
    assert_eq!(format!("{:?}", date), "Date(2026-08-17)");
}

#[test]
fn refuses_malformed_and_impossible_dates() {
    for bad in ["", "2026-8-17", "17/08/2026", "2026-08-17 ", "+202-08-17", "2026-08-1x", "2026_08_17", "２０２６-08-17"] {
        assert_eq!(bad.parse::<Date>(), Err(DateError::Format), "{bad:?}");
    }
    for bad in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-00", "1900-02-29"] {
        assert_eq!(bad.parse::<Date>(), Err(DateError::NoSuchDay), "{bad:?}");
    }
    assert!("2024-02-29".parse::<Date>().is_ok());
    assert!("2000-02-29".parse::<Date>().is_ok());
    assert_eq!(Date::new(10_000, 1, 1), Err(DateError::OutOfRange));
    assert_eq!(Date::new(-1, 1, 1), Err(DateError::OutOfRange));
    assert_eq!(DateError::NoSuchDay.code(), "no_such_day");
}

#[test]
fn weekdays() {
    assert_eq!(d("1970-01-01").weekday(), Weekday::Thursday);
    assert_eq!(d("2026-08-12").weekday(), Weekday::Wednesday);
    assert_eq!(d("2026-08-17").weekday(), Weekday::Monday);
    assert_eq!(d("2026-03-20").weekday(), Weekday::Friday);
    assert_eq!(d("1945-08-17").weekday(), Weekday::Friday);
    assert_eq!(d("0000-01-01").weekday(), Weekday::Saturday);
    assert!(d("2026-08-15").weekday().is_weekend());
    assert!(!d("2026-08-14").weekday().is_weekend());
}

#[test]
fn adds_days_across_months_years_and_leap_days() {
    assert_eq!(d("2024-02-28").add_days(1), d("2024-02-29"));
    assert_eq!(d("2026-02-28").add_days(1), d("2026-03-01"));
    assert_eq!(d("2026-12-31").add_days(1), d("2027-01-01"));
    assert_eq!(d("2026-01-01").add_days(-1), d("2025-12-31"));
    assert_eq!(d("2026-08-17").add_days(365), d("2027-08-17"));
    assert_eq!(Date::MAX.checked_add_days(1), None);
    assert_eq!(Date::MIN.checked_add_days(-1), None);
    assert_eq!(Date::from_days_since_epoch(d("2026-08-17").days_since_epoch()), Some(d("2026-08-17")));
}

#[test]
fn orders_chronologically() {
    let mut dates = vec![d("2026-08-17"), d("2025-12-31"), d("2026-01-02"), d("2026-01-01")];
    dates.sort();
    assert_eq!(dates, [d("2025-12-31"), d("2026-01-01"), d("2026-01-02"), d("2026-08-17")]);
}

#[test]
fn local_day_from_unix_millis() {
    // 2026-08-16T17:30:00Z: still the 16th in UTC, already 17 August in all three zones.
    let ms = 1_786_901_400_000;
    assert_eq!(Date::from_unix_millis(ms, 0), Some(d("2026-08-16")));
    assert_eq!(Date::from_unix_millis(ms, WIB), Some(d("2026-08-17")));
    assert_eq!(Date::from_unix_millis(ms, WITA), Some(d("2026-08-17")));
    assert_eq!(Date::from_unix_millis(ms, WIT), Some(d("2026-08-17")));
    // 16:59:59.999Z is 23:59:59.999 WIB, the last moment of the 16th there, but the 17th in WITA.
    let before_midnight_wib = ms - 30 * 60 * 1000 - 1;
    assert_eq!(Date::from_unix_millis(before_midnight_wib, WIB), Some(d("2026-08-16")));
    assert_eq!(Date::from_unix_millis(before_midnight_wib, WITA), Some(d("2026-08-17")));
    // Before the epoch the day rounds down, not towards zero.
    assert_eq!(Date::from_unix_millis(-1, 0), Some(d("1969-12-31")));
    assert_eq!(Date::from_unix_millis(i64::MAX, WIT), None);
    assert_eq!(Date::from_unix_millis(i64::MIN, 0), None);
}
