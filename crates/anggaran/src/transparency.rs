//! The transparency score of a village for a year (Bojonegoro's *Festival
//! Transparansi Desa*): which of five items the village has published and
//! how recently, weighted, and the ranking per regency and per kecamatan.
//!
//! No regulation fixes the score; the weights and the freshness window are
//! settings the regency chooses. Pendopo's defaults ([`Settings::default`]):
//!
//! | item | weight |
//! |---|---|
//! | APBDes of the year | 25 |
//! | its realisation | 25 |
//! | accountability report (LPJ) | 20 |
//! | photo of the billboard (*baliho*) | 20 |
//! | village profile | 10 |
//!
//! the budget and its execution first, the billboard as Bojonegoro's
//! hallmark, the profile least because it changes least. An item counts in
//! full when published within `fresh_days` (365) before the reference day
//! (the festival's cut-off, or today), at `stale_percent` (50%) when
//! published earlier, and not at all when not published or published after
//! the reference day. Which document stands for an item in a year (the
//! APBDes *of* that year, the latest profile update, ...) is the slice's
//! choice: this module takes one date per item.
//!
//! The score is the exact fraction `sum(weight x percent) / (100 x sum of
//! weights)`, shown as 0-100 with two decimals; rankings compare the exact
//! fractions.

use kalender::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// The five published items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Apbdes,
    Realisasi,
    Lpj,
    Baliho,
    Profil,
}

impl Item {
    pub const ALL: [Item; 5] = [Item::Apbdes, Item::Realisasi, Item::Lpj, Item::Baliho, Item::Profil];

    pub fn code(self) -> &'static str {
        ["apbdes", "realisasi", "lpj", "baliho", "profil"][self as usize]
    }
}

/// The regency's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Per item, in [`Item::ALL`] order.
    pub weights: [u32; 5],
    /// How many days before the reference day an item still counts in full.
    pub fresh_days: u32,
    /// What an older item counts, in percent (0-100).
    pub stale_percent: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { weights: [25, 25, 20, 20, 10], fresh_days: 365, stale_percent: 50 }
    }
}

/// Why settings were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingsError {
    /// All weights zero: nothing could be scored.
    NoWeight,
    /// `stale_percent` above 100.
    StalePercent,
}

impl SettingsError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::NoWeight => "transparency_no_weight",
            SettingsError::StalePercent => "transparency_stale_percent",
        }
    }
}

impl Settings {
    pub fn check(&self) -> Result<(), SettingsError> {
        if self.weights.iter().all(|&w| w == 0) {
            return Err(SettingsError::NoWeight);
        }
        if self.stale_percent > 100 {
            return Err(SettingsError::StalePercent);
        }
        Ok(())
    }

    fn percent(&self, published: Option<Date>, as_of: Date) -> u32 {
        match published {
            None => 0,
            Some(d) if d > as_of => 0,
            Some(d) if as_of.days_since_epoch() - d.days_since_epoch() <= self.fresh_days as i64 => 100,
            Some(_) => self.stale_percent,
        }
    }
}

/// One item of a village's score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ItemScore {
    pub item: Item,
    #[serde(serialize_with = "iso_date")]
    pub published: Option<Date>,
    /// 100, `stale_percent` or 0.
    pub percent: u32,
}

/// A village's score for a year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    pub desa: wilayah::Code,
    pub items: [ItemScore; 5],
    /// `sum(weight x percent)`, over `max`.
    pub points: u64,
    pub max: u64,
    /// How many items count at all.
    pub published: usize,
    /// The latest date among the items that count: the day the village's
    /// publication was complete as scored.
    #[serde(serialize_with = "iso_date")]
    pub completed: Option<Date>,
}

impl Score {
    /// 0-100 in hundredths, rounded half up (87.5 is 8750).
    pub fn hundredths(&self) -> u64 {
        (self.points * 20_000 + self.max) / (2 * self.max)
    }

    /// `87.50`.
    pub fn decimal(&self) -> String {
        let h = self.hundredths();
        format!("{}.{:02}", h / 100, h % 100)
    }
}

/// Scores a village: one publication date per item (in [`Item::ALL`]
/// order), the reference day, the settings (checked first).
pub fn score(desa: wilayah::Code, published: [Option<Date>; 5], as_of: Date, settings: &Settings) -> Result<Score, SettingsError> {
    settings.check()?;
    let items = std::array::from_fn(|at| {
        let date = published[at];
        ItemScore { item: Item::ALL[at], published: date, percent: settings.percent(date, as_of) }
    });
    let points = items.iter().zip(settings.weights).map(|(i, w)| i.percent as u64 * w as u64).sum();
    let max = 100 * settings.weights.iter().map(|&w| w as u64).sum::<u64>();
    let counted: Vec<&ItemScore> = items.iter().filter(|i| i.percent > 0).collect();
    let completed = counted.iter().filter_map(|i| i.published).max();
    Ok(Score { desa, points, max, published: counted.len(), completed, items })
}

/// Dates as `2025-07-15` (kalender's `Date` has no serde form of its own).
fn iso_date<S: serde::Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => serializer.collect_str(d),
        None => serializer.serialize_none(),
    }
}

/// A place in a ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ranked<'a> {
    /// From 1; equal only for villages equal in score, items and completion
    /// day.
    pub rank: usize,
    pub score: &'a Score,
}

/// Ranks villages: by score (exact, higher first); ties broken by more
/// items published, then by the earlier completion day (whoever published
/// everything first); villages still equal share a rank (1, 2, 2, 4) and
/// are listed by code. Scores are compared as fractions, so villages scored
/// under different settings still rank correctly.
pub fn rank(scores: &[Score]) -> Vec<Ranked<'_>> {
    rank_refs(scores.iter().collect())
}

fn rank_refs(mut sorted: Vec<&Score>) -> Vec<Ranked<'_>> {
    let key = |s: &Score| {
        (
            std::cmp::Reverse(Fraction(s.points, s.max)),
            std::cmp::Reverse(s.published),
            s.completed.map(|d| d.days_since_epoch()).unwrap_or(i64::MAX),
        )
    };
    sorted.sort_by(|a, b| key(a).cmp(&key(b)).then(a.desa.cmp(&b.desa)));
    let mut out: Vec<Ranked> = Vec::with_capacity(sorted.len());
    for (at, s) in sorted.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if key(prev.score) == key(s) => prev.rank,
            _ => at + 1,
        };
        out.push(Ranked { rank, score: s });
    }
    out
}

/// The ranking within each kecamatan (the desa code's parent).
pub fn rank_by_kecamatan(scores: &[Score]) -> BTreeMap<wilayah::Code, Vec<Ranked<'_>>> {
    let mut groups: BTreeMap<wilayah::Code, Vec<&Score>> = BTreeMap::new();
    for s in scores {
        if let Some(kecamatan) = s.desa.parent() {
            groups.entry(kecamatan).or_default().push(s);
        }
    }
    groups.into_iter().map(|(kecamatan, group)| (kecamatan, rank_refs(group))).collect()
}

/// An exact fraction ordered by value (denominators are never zero:
/// [`Settings::check`] refuses all-zero weights).
#[derive(Clone, Copy, Debug)]
struct Fraction(u64, u64);

impl PartialEq for Fraction {
    fn eq(&self, other: &Fraction) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for Fraction {}

impl PartialOrd for Fraction {
    fn partial_cmp(&self, other: &Fraction) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Fraction {
    fn cmp(&self, other: &Fraction) -> std::cmp::Ordering {
        (self.0 as u128 * other.1 as u128).cmp(&(other.0 as u128 * self.1 as u128))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn code(text: &str) -> wilayah::Code {
        wilayah::Code::parse(text).unwrap()
    }

    const AS_OF: &str = "2025-12-01";

    #[test]
    fn weights_and_freshness() {
        let s = Settings::default();
        let all_fresh = score(code("35.22.01.2001"), [Some(d("2025-01-20")); 5], d(AS_OF), &s).unwrap();
        assert_eq!((all_fresh.decimal(), all_fresh.published), ("100.00".into(), 5));
        // Profile from 2023 counts half; no LPJ; the billboard photo dated after the cut-off does not count.
        let mixed = score(
            code("35.22.01.2002"),
            [Some(d("2025-01-20")), Some(d("2025-07-15")), None, Some(d("2025-12-02")), Some(d("2023-05-01"))],
            d(AS_OF),
            &s,
        )
        .unwrap();
        assert_eq!(mixed.items.map(|i| i.percent), [100, 100, 0, 0, 50]);
        assert_eq!((mixed.points, mixed.max), (25 * 100 + 25 * 100 + 10 * 50, 10_000));
        assert_eq!(mixed.decimal(), "55.00");
        assert_eq!(mixed.completed, Some(d("2025-07-15")));
        // Exactly fresh_days old still counts in full; a day more does not.
        let edge =
            |date: &str| score(code("35.22.01.2003"), [Some(d(date)), None, None, None, None], d(AS_OF), &s).unwrap().items[0].percent;
        assert_eq!((edge("2024-12-01"), edge("2024-11-30")), (100, 50));
        // Thirds are rounded only for display.
        let thirds = Settings { weights: [1, 1, 1, 0, 0], ..Settings::default() };
        let one = score(code("35.22.01.2004"), [Some(d("2025-01-01")), None, None, None, None], d(AS_OF), &thirds).unwrap();
        assert_eq!(one.decimal(), "33.33");
        assert_eq!(
            score(code("35.22.01.2004"), [None; 5], d(AS_OF), &Settings { weights: [0; 5], ..Settings::default() }).unwrap_err().code(),
            "transparency_no_weight"
        );
    }

    #[test]
    fn ranking_with_clear_tie_breaks() {
        let s = Settings { weights: [25, 25, 20, 20, 10], ..Settings::default() };
        let jan = Some(d("2025-01-10"));
        let mar = Some(d("2025-03-10"));
        let scores = vec![
            // 50 points from two items, complete in March.
            score(code("35.22.01.2001"), [jan, mar, None, None, None], d(AS_OF), &s).unwrap(),
            // 50 points from three items: 25 + 20 + 10 x 50%.
            score(code("35.22.01.2002"), [jan, None, mar, None, Some(d("2020-01-01"))], d(AS_OF), &s).unwrap(),
            // Same as the first, complete earlier.
            score(code("35.22.02.2001"), [jan, jan, None, None, None], d(AS_OF), &s).unwrap(),
            // Same as the first exactly: shares its rank.
            score(code("35.22.02.2002"), [jan, mar, None, None, None], d(AS_OF), &s).unwrap(),
            score(code("35.22.02.2003"), [jan; 5], d(AS_OF), &s).unwrap(),
        ];
        let ranked: Vec<_> = rank(&scores).iter().map(|r| (r.rank, r.score.desa.to_string())).collect();
        assert_eq!(
            ranked,
            vec![
                (1, "35.22.02.2003".to_string()),
                (2, "35.22.01.2002".into()),
                (3, "35.22.02.2001".into()),
                (4, "35.22.01.2001".into()),
                (4, "35.22.02.2002".into())
            ]
        );
        let by_kec = rank_by_kecamatan(&scores);
        let kec2: Vec<_> = by_kec[&code("35.22.02")].iter().map(|r| (r.rank, r.score.desa.to_string())).collect();
        assert_eq!(kec2, vec![(1, "35.22.02.2003".to_string()), (2, "35.22.02.2001".into()), (3, "35.22.02.2002".into())]);
        let kec1: Vec<_> = by_kec[&code("35.22.01")].iter().map(|r| r.rank).collect();
        assert_eq!(kec1, vec![1, 2]);
    }
}
