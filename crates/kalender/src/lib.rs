//! Indonesian working-day calendar for complaint-handling deadlines.
//!
//! Public-service complaint handling (LAPOR!-style) promises answers within a
//! number of *hari kerja*, working days. This crate says which days those are
//! and does the deadline arithmetic. It does no I/O.
//!
//! # Which days are off
//!
//! A [`Calendar`] is the calendar of one region. A day is a working day when
//! it is Monday to Friday and no holiday falls on it. Holidays come from:
//!
//! - the fixed-date national holidays, built in for every year: 1 January
//!   (Tahun Baru Masehi), 1 May (Hari Buruh Internasional), 1 June (Hari Lahir
//!   Pancasila), 17 August (Hari Kemerdekaan Republik Indonesia) and
//!   25 December (Hari Raya Natal);
//! - the year's list set by the joint decree (SKB) of three ministers: the
//!   moving national holidays (Imlek, Isra Mikraj, Nyepi, Idul Fitri, Wafat and
//!   Kenaikan Yesus Kristus, Waisak, Idul Adha, Tahun Baru Islam, Maulid) and
//!   the cuti bersama, which the region imports as CSV ([`parse_csv`]);
//! - the region's own days off (libur daerah), in the same format.
//!
//! Every kind of holiday closes the offices, so all stop the clock alike.
//! A holiday on a weekend gives no substitute day unless the list says so.
//! There is no "working Saturday" override.
//!
//! # Counting
//!
//! - [`Calendar::add_working_days`]`(start, n)` is the `n`-th working day
//!   *after* `start`; the start day never counts, even when it is a working
//!   day (a complaint filed on Wednesday with a 1-day limit is due Thursday;
//!   one filed on Saturday, Monday). For `n = 0` it is `start` itself if that
//!   is a working day, else the next one.
//! - [`Calendar::working_days_between`]`(a, b)` counts the working days in
//!   `(a, b]`, so it undoes `add_working_days` for every `n >= 1`; it is 0 for
//!   `a == b` and negative when `b` is before `a`.
//! - Days are the region's local days: [`Date::from_unix_millis`] with the
//!   zone's UTC offset ([`WIB`] +7, [`WITA`] +8, [`WIT`] +9) turns a
//!   timestamp into the day it was filed.
//!
//! ```
//! use kalender::{Calendar, Date};
//!
//! let calendar = Calendar::new();
//! let filed: Date = "2026-08-12".parse().unwrap(); // a Wednesday
//! // Thu 13, Fri 14, (weekend), (Mon 17 August), Tue 18, Wed 19, Thu 20.
//! let due = calendar.add_working_days(filed, 5);
//! assert_eq!(due.to_string(), "2026-08-20");
//! assert_eq!(calendar.working_days_between(filed, due), 5);
//! ```
//!
//! # Errors
//!
//! Errors are data, not prose: [`CsvError`] carries the line, the [`Column`]
//! and a [`CsvReason`] (with [`CsvReason::code`] as a stable key) so the
//! application can word the message in the reader's language. Their
//! `Display` is English, for logs.

mod calendar;
pub mod civil;
mod csv;
mod date;
mod holiday;

pub use calendar::Calendar;
pub use csv::{Column, CsvError, CsvReason, parse_csv, write_csv};
pub use date::{Date, DateError, WIB, WIT, WITA, Weekday};
pub use holiday::{Holiday, HolidayKind, fixed_national_holidays};
