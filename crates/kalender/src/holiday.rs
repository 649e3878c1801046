//! Days off: national holidays, cuti bersama and regional additions, and the
//! fixed-date national holidays shipped for every year.

use crate::Date;

/// Why a day is off. Every kind closes the offices, so all three stop the
/// deadline clock alike; the kind matters for display and for the CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HolidayKind {
    /// Libur nasional: a national public holiday.
    National,
    /// Cuti bersama: collective leave set alongside the holidays by the joint
    /// decree (SKB) of three ministers; government offices close.
    CollectiveLeave,
    /// Libur daerah: a day off declared by the region itself (say, the
    /// regency's anniversary), on top of the national list.
    Regional,
}

impl HolidayKind {
    /// The `jenis` value in the CSV file.
    pub fn code(self) -> &'static str {
        match self {
            HolidayKind::National => "libur_nasional",
            HolidayKind::CollectiveLeave => "cuti_bersama",
            HolidayKind::Regional => "libur_daerah",
        }
    }

    /// Reads a `jenis` value, ignoring ASCII case.
    pub fn from_code(code: &str) -> Option<HolidayKind> {
        [HolidayKind::National, HolidayKind::CollectiveLeave, HolidayKind::Regional]
            .into_iter()
            .find(|kind| kind.code().eq_ignore_ascii_case(code))
    }
}

/// One day off.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
    pub kind: HolidayKind,
}

impl Holiday {
    pub fn new(date: Date, name: impl Into<String>, kind: HolidayKind) -> Holiday {
        Holiday { date, name: name.into(), kind }
    }
}

/// The national holidays whose Gregorian date never changes, as (month, day, name).
/// They are not moved when they fall on a weekend; any cuti bersama next to
/// them comes from the year's list. Hari Buruh has been a holiday since 2014
/// and Hari Lahir Pancasila since 2017, so earlier years get two days too many.
const FIXED_NATIONAL: [(u8, u8, &str); 5] = [
    (1, 1, "Tahun Baru Masehi"),
    (5, 1, "Hari Buruh Internasional"),
    (6, 1, "Hari Lahir Pancasila"),
    (8, 17, "Hari Kemerdekaan Republik Indonesia"),
    (12, 25, "Hari Raya Natal"),
];

/// The name of the fixed-date national holiday on `date`, if there is one.
pub(crate) fn fixed_national_name(date: Date) -> Option<&'static str> {
    FIXED_NATIONAL.iter().find(|&&(m, d, _)| (m, d) == (date.month(), date.day())).map(|&(_, _, name)| name)
}

/// The five fixed-date national holidays of `year`, in date order (none outside 0000–9999).
pub fn fixed_national_holidays(year: i32) -> impl Iterator<Item = Holiday> {
    FIXED_NATIONAL
        .iter()
        .filter_map(move |&(m, d, name)| Date::new(year, m, d).ok().map(|date| Holiday::new(date, name, HolidayKind::National)))
}
