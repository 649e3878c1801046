//! Alert levels and the status a reading gives (BPBD's Siaga Hijau, Kuning
//! and Merah), each set of levels in force from its valid-from date, so an
//! old reading is judged by the levels of its day. No I/O.

use serde::Serialize;

/// One gauge's levels in centimetres, in force from `valid_from_ms` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Levels {
    pub valid_from_ms: i64,
    pub hijau_cm: i64,
    pub kuning_cm: i64,
    pub merah_cm: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Normal,
    Hijau,
    Kuning,
    Merah,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Normal => "normal",
            Status::Hijau => "hijau",
            Status::Kuning => "kuning",
            Status::Merah => "merah",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        [Status::Normal, Status::Hijau, Status::Kuning, Status::Merah].into_iter().find(|s| s.code() == code)
    }
}

/// The levels in force at `at_ms`: the latest whose valid-from is not after it.
pub fn in_force(table: &[Levels], at_ms: i64) -> Option<Levels> {
    table.iter().filter(|l| l.valid_from_ms <= at_ms).max_by_key(|l| l.valid_from_ms).copied()
}

/// The status of a reading of `level_cm` taken at `at_ms`: a level at or
/// above a threshold is that alert (no levels in force: normal).
pub fn status(table: &[Levels], level_cm: i64, at_ms: i64) -> Status {
    match in_force(table, at_ms) {
        Some(l) if level_cm >= l.merah_cm => Status::Merah,
        Some(l) if level_cm >= l.kuning_cm => Status::Kuning,
        Some(l) if level_cm >= l.hijau_cm => Status::Hijau,
        _ => Status::Normal,
    }
}

/// Metres (as read or typed) to whole centimetres.
pub fn centimetres(metres: f64) -> i64 {
    (metres * 100.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2019-01-01T00:00:00+07:00 in ms.
    const Y2019: i64 = 1_546_275_600_000;

    fn bojonegoro() -> Vec<Levels> {
        vec![
            Levels { valid_from_ms: 0, hijau_cm: 1300, kuning_cm: 1400, merah_cm: 1500 },
            Levels { valid_from_ms: Y2019, hijau_cm: 1206, kuning_cm: 1306, merah_cm: 1404 },
        ]
    }

    #[test]
    fn a_reading_is_judged_by_the_levels_of_its_day() {
        let t = bojonegoro();
        // 13.10 m: Kuning in 2023 (>= 13.06), Hijau in 2018 (>= 13.00, < 14.00).
        assert_eq!(status(&t, centimetres(13.10), 1_672_887_600_000), Status::Kuning);
        assert_eq!(status(&t, centimetres(13.10), 1_530_000_000_000), Status::Hijau);
        assert_eq!(status(&t, centimetres(14.04), Y2019), Status::Merah, "the threshold itself is the alert");
        assert_eq!(status(&t, centimetres(14.03), Y2019), Status::Kuning);
        assert_eq!(status(&t, centimetres(12.05), Y2019), Status::Normal);
        assert_eq!(status(&t, centimetres(14.50), Y2019 - 1), Status::Kuning, "14.50 the day before: old levels");
        assert_eq!(status(&[], 5000, 0), Status::Normal);
    }

    #[test]
    fn codes_read_back() {
        for s in [Status::Normal, Status::Hijau, Status::Kuning, Status::Merah] {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
    }
}
