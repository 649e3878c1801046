//! The working-day calendar of one region and the deadline arithmetic on it.

use std::collections::BTreeMap;

use crate::holiday::fixed_national_name;
use crate::{Date, Holiday, HolidayKind};

/// The days off of one region: weekends, the fixed-date national holidays
/// (built in, for every year) and whatever holidays were added — usually the
/// year's national list from the SKB plus the region's own additions.
///
/// A day is a working day when it is Monday to Friday and no holiday of any
/// kind falls on it.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    // Keyed by (date, kind) so adding the same day and kind again replaces the
    // name instead of listing the day twice. An imported `libur_nasional` on a
    // fixed date (SKB lists include 17 August) thus takes the built-in's place.
    added: BTreeMap<(Date, HolidayKind), String>,
}

impl Calendar {
    /// Weekends and the fixed-date national holidays only.
    pub fn new() -> Calendar {
        Calendar::default()
    }

    /// Adds a day off; a holiday of the same date and kind is replaced.
    pub fn add(&mut self, holiday: Holiday) {
        self.added.insert((holiday.date, holiday.kind), holiday.name);
    }

    /// Whether any holiday (fixed, imported or regional) falls on `date`,
    /// whatever the weekday.
    pub fn is_holiday(&self, date: Date) -> bool {
        fixed_national_name(date).is_some() || self.added.range(day_keys(date, date)).next().is_some()
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        !date.weekday().is_weekend() && !self.is_holiday(date)
    }

    /// The holidays from `from` to `to`, both included, by date then kind.
    /// Empty when `from` is after `to`.
    pub fn holidays_between(&self, from: Date, to: Date) -> Vec<Holiday> {
        if from > to {
            return Vec::new();
        }
        let fixed = (from.year()..=to.year())
            .flat_map(crate::fixed_national_holidays)
            .filter(|h| (from..=to).contains(&h.date) && !self.added.contains_key(&(h.date, HolidayKind::National)));
        let added = self.added.range(day_keys(from, to)).map(|(&(date, kind), name)| Holiday::new(date, name.clone(), kind));
        let mut all: Vec<Holiday> = fixed.chain(added).collect();
        all.sort_by_key(|h| (h.date, h.kind));
        all
    }

    /// The first working day strictly after `date`.
    ///
    /// # Panics
    ///
    /// If there is none before 9999-12-31.
    pub fn next_working_day(&self, date: Date) -> Date {
        let mut day = date.add_days(1);
        while !self.is_working_day(day) {
            day = day.add_days(1);
        }
        day
    }

    /// The deadline `n` working days after `start`.
    ///
    /// The start day itself never counts, whether or not it is a working day:
    /// a complaint filed on Wednesday with a 1-day limit is due Thursday, and
    /// one filed on Saturday is due Monday. For `n = 0` the answer is `start`
    /// when it is a working day and otherwise the next working day ("the same
    /// day, or the first day the office is open").
    ///
    /// # Panics
    ///
    /// If the deadline would fall after 9999-12-31.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        if n == 0 && self.is_working_day(start) {
            return start;
        }
        (0..n.max(1)).fold(start, |day, _| self.next_working_day(day))
    }

    /// The number of working days in `(a, b]`: after `a`, up to and including `b`.
    ///
    /// This is the inverse of [`Calendar::add_working_days`]: for `n >= 1`,
    /// `working_days_between(d, add_working_days(d, n)) == n`. It is 0 when
    /// `a == b`, and when `b` is before `a` it is the negated count of
    /// `(b, a]`, so `working_days_between(deadline, today)` is positive
    /// exactly when a case is overdue, by that many working days.
    /// The cost is one lookup per calendar day in the range.
    pub fn working_days_between(&self, a: Date, b: Date) -> i64 {
        let (from, to, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
        let count = (from.days_since_epoch() + 1..=to.days_since_epoch())
            .filter_map(Date::from_days_since_epoch)
            .filter(|&day| self.is_working_day(day))
            .count();
        sign * count as i64
    }
}

impl Extend<Holiday> for Calendar {
    fn extend<I: IntoIterator<Item = Holiday>>(&mut self, holidays: I) {
        holidays.into_iter().for_each(|h| self.add(h));
    }
}

impl FromIterator<Holiday> for Calendar {
    fn from_iter<I: IntoIterator<Item = Holiday>>(holidays: I) -> Calendar {
        let mut calendar = Calendar::new();
        calendar.extend(holidays);
        calendar
    }
}

/// The map keys of every kind of holiday from `from` to `to`, both included
/// (`National` is the least kind and `Regional` the greatest).
fn day_keys(from: Date, to: Date) -> std::ops::RangeInclusive<(Date, HolidayKind)> {
    (from, HolidayKind::National)..=(to, HolidayKind::Regional)
}
