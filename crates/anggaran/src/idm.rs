//! Indeks Desa Membangun (IDM, Permendesa 2/2016), as domain.md section 6
//! gives it: 50 indicators scored 0-5, in three indices (IKS social 35, IKE
//! economic 12, IKL environmental 3); each index is `sum / (5 x count)` and
//! `IDM = (IKS + IKE + IKL) / 3`; the status follows from the IDM by fixed
//! cut-offs. Only desa are scored; kelurahan are not.
//!
//! The indices are kept as exact fractions of integer sums (IDM over the
//! common denominator 6300 = 3 x lcm(175, 60, 15)), so nothing is lost
//! before display. Published IDM figures have **four decimals**, and so does
//! [`Ratio::decimal`]; the status is decided on that four-decimal figure,
//! so the number printed beside a status can never contradict it (an exact
//! 0.49071 prints as 0.4907, and 0.4907 is *Sangat Tertinggal* in the
//! table).

use serde::Serialize;
use std::fmt;

/// The three indices the indicators belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Index {
    /// Indeks Ketahanan Sosial, 35 indicators.
    Iks,
    /// Indeks Ketahanan Ekonomi, 12 indicators.
    Ike,
    /// Indeks Ketahanan Lingkungan/Ekologi, 3 indicators.
    Ikl,
}

impl Index {
    pub fn code(self) -> &'static str {
        match self {
            Index::Iks => "IKS",
            Index::Ike => "IKE",
            Index::Ikl => "IKL",
        }
    }

    /// How many indicators the index has (35, 12, 3).
    pub fn count(self) -> usize {
        INDICATORS.iter().filter(|(i, _)| *i == self).count()
    }
}

/// The 50 indicators, by the names Kemendesa's per-village output uses
/// (domain.md section 6), in that order. The order is the storage order of
/// [`Scores`].
pub const INDICATORS: [(Index, &str); 50] = [
    // IKS: kesehatan
    (Index::Iks, "Akses Sarkes"),
    (Index::Iks, "Dokter"),
    (Index::Iks, "Bidan"),
    (Index::Iks, "Nakes Lain"),
    (Index::Iks, "Tingkat Kepesertaan BPJS"),
    (Index::Iks, "Akses Poskesdes"),
    (Index::Iks, "Aktivitas Posyandu"),
    // IKS: pendidikan
    (Index::Iks, "Akses SD/MI"),
    (Index::Iks, "Akses SMP/MTS"),
    (Index::Iks, "Akses SMA/SMK"),
    (Index::Iks, "Ketersediaan PAUD"),
    (Index::Iks, "Ketersediaan PKBM/Paket ABC"),
    (Index::Iks, "Ketersediaan Kursus"),
    (Index::Iks, "Ketersediaan Taman Baca/Perpus Desa"),
    // IKS: modal sosial
    (Index::Iks, "Kebiasaan Goryong"),
    (Index::Iks, "Frekuensi Goryong"),
    (Index::Iks, "Ketersediaan Ruang Publik"),
    (Index::Iks, "Kelompok OR"),
    (Index::Iks, "Kegiatan OR"),
    (Index::Iks, "Keragaman Agama"),
    (Index::Iks, "Keragaman Bahasa"),
    (Index::Iks, "Keragaman Komunikasi"),
    (Index::Iks, "Poskamling"),
    (Index::Iks, "Siskamling"),
    (Index::Iks, "Konflik"),
    (Index::Iks, "PMKS"),
    (Index::Iks, "SLB"),
    // IKS: permukiman
    (Index::Iks, "Akses Listrik"),
    (Index::Iks, "Sinyal Tlp"),
    (Index::Iks, "Internet Kantor Desa"),
    (Index::Iks, "Akses Internet Warga"),
    (Index::Iks, "Akses Jamban"),
    (Index::Iks, "Sampah"),
    (Index::Iks, "Air Minum"),
    (Index::Iks, "Air Mandi & Cuci"),
    // IKE
    (Index::Ike, "Keragaman Produksi"),
    (Index::Ike, "Pertokoan"),
    (Index::Ike, "Pasar"),
    (Index::Ike, "Toko/Warung Kelontong"),
    (Index::Ike, "Kedai & Penginapan"),
    (Index::Ike, "POS & Logistik"),
    (Index::Ike, "Bank & BPR"),
    (Index::Ike, "Kredit"),
    (Index::Ike, "Lembaga Ekonomi"),
    (Index::Ike, "Moda Transportasi Umum"),
    (Index::Ike, "Keterbukaan Wilayah"),
    (Index::Ike, "Kualitas Jalan"),
    // IKL
    (Index::Ikl, "Kualitas Lingkungan"),
    (Index::Ikl, "Rawan Bencana"),
    (Index::Ikl, "Tanggap Bencana"),
];

/// The highest score of one indicator.
pub const MAX_SCORE: u8 = 5;

/// The position (0..50) of the indicator with this name. Case, runs of
/// spaces and a leading `Skor ` (as Kemendesa's rows write `Skor Akses
/// Sarkes`) are ignored; nothing else is guessed.
pub fn indicator(name: &str) -> Option<usize> {
    let norm = normalise(name);
    let norm = norm.strip_prefix("skor ").unwrap_or(&norm);
    INDICATORS.iter().position(|(_, n)| normalise(n) == norm)
}

fn normalise(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Why a set of scores was refused; all problems are reported at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ScoreError {
    /// A name that is none of the 50.
    UnknownIndicator { name: String },
    /// The same indicator twice.
    Duplicate { name: &'static str },
    /// A score outside 0..=5.
    OutOfRange { name: &'static str, value: i64 },
    /// An indicator with no score.
    Missing { name: &'static str },
}

impl ScoreError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            ScoreError::UnknownIndicator { .. } => "idm_unknown_indicator",
            ScoreError::Duplicate { .. } => "idm_duplicate_indicator",
            ScoreError::OutOfRange { .. } => "idm_score_out_of_range",
            ScoreError::Missing { .. } => "idm_missing_indicator",
        }
    }
}

impl fmt::Display for ScoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoreError::UnknownIndicator { name } => write!(f, "{name:?} is not one of the 50 IDM indicators"),
            ScoreError::Duplicate { name } => write!(f, "{name}: scored twice"),
            ScoreError::OutOfRange { name, value } => write!(f, "{name}: {value} is not a score from 0 to 5"),
            ScoreError::Missing { name } => write!(f, "{name}: no score"),
        }
    }
}

/// The 50 scores of one village and year, each 0..=5, in [`INDICATORS`]
/// order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scores([u8; 50]);

impl Scores {
    /// From `(indicator name, score)` pairs, e.g. the API's PUT body. Every
    /// unknown name, duplicate, out-of-range score and missing indicator is
    /// reported, in input order and then indicator order.
    pub fn from_named<'a, I: IntoIterator<Item = (&'a str, i64)>>(pairs: I) -> Result<Scores, Vec<ScoreError>> {
        let mut seen: [Option<u8>; 50] = [None; 50];
        let mut problems = Vec::new();
        for (name, value) in pairs {
            let Some(at) = indicator(name) else {
                problems.push(ScoreError::UnknownIndicator { name: name.to_string() });
                continue;
            };
            let canonical = INDICATORS[at].1;
            if seen[at].is_some() {
                problems.push(ScoreError::Duplicate { name: canonical });
            } else if !(0..=MAX_SCORE as i64).contains(&value) {
                problems.push(ScoreError::OutOfRange { name: canonical, value });
                seen[at] = Some(0);
            } else {
                seen[at] = Some(value as u8);
            }
        }
        for (at, slot) in seen.iter().enumerate() {
            if slot.is_none() {
                problems.push(ScoreError::Missing { name: INDICATORS[at].1 });
            }
        }
        if problems.is_empty() { Ok(Scores(seen.map(|s| s.unwrap_or_default()))) } else { Err(problems) }
    }

    /// From 50 scores in [`INDICATORS`] order.
    pub fn from_array(scores: [u8; 50]) -> Result<Scores, Vec<ScoreError>> {
        Scores::from_named(INDICATORS.iter().zip(scores).map(|((_, n), s)| (*n, s as i64)))
    }

    pub fn get(&self, at: usize) -> u8 {
        self.0[at]
    }

    /// `(name, score)` in [`INDICATORS`] order, for the API's answer.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, u8)> + '_ {
        INDICATORS.iter().zip(self.0).map(|((_, n), s)| (*n, s))
    }

    fn sum(&self, index: Index) -> u64 {
        INDICATORS.iter().zip(self.0).filter(|((i, _), _)| *i == index).map(|(_, s)| s as u64).sum()
    }
}

/// An exact non-negative fraction, printed with four decimals.
#[derive(Clone, Copy, Debug)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    /// Ten-thousandths, rounded half up: 0.70725 gives 7073.
    pub fn ten_thousandths(self) -> u64 {
        (self.num * 20_000 + self.den) / (2 * self.den)
    }

    /// `0.8000`: the four decimals published IDM figures carry.
    pub fn decimal(self) -> String {
        let t = self.ten_thousandths();
        format!("{}.{:04}", t / 10_000, t % 10_000)
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Ratio) -> bool {
        self.num as u128 * other.den as u128 == other.num as u128 * self.den as u128
    }
}

/// As the four-decimal figure, a JSON number (`0.8`).
impl Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.ten_thousandths() as f64 / 10_000.0)
    }
}

/// The IDM status, from the table in domain.md section 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    SangatTertinggal,
    Tertinggal,
    Berkembang,
    Maju,
    Mandiri,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::SangatTertinggal, Status::Tertinggal, Status::Berkembang, Status::Maju, Status::Mandiri];

    /// Upper bounds, in ten-thousandths, inclusive: `<= 0.4907` is Sangat
    /// Tertinggal, `> 0.4907 and <= 0.5989` Tertinggal, ..., `> 0.8155`
    /// Mandiri.
    const UPPER: [u64; 4] = [4907, 5989, 7072, 8155];

    /// The status of an IDM given in ten-thousandths (the printed figure).
    pub fn from_ten_thousandths(idm: u64) -> Status {
        let at = Status::UPPER.iter().position(|&upper| idm <= upper).unwrap_or(4);
        Status::ALL[at]
    }

    /// A stable code (`sangat_tertinggal`, ..., `mandiri`).
    pub fn code(self) -> &'static str {
        ["sangat_tertinggal", "tertinggal", "berkembang", "maju", "mandiri"][self as usize]
    }

    /// The label as Kemendesa prints it.
    pub fn label(self) -> &'static str {
        ["Sangat Tertinggal", "Tertinggal", "Berkembang", "Maju", "Mandiri"][self as usize]
    }

    /// Reads `MAJU`, `Sangat Tertinggal`, `sangat_tertinggal`.
    pub fn parse(text: &str) -> Option<Status> {
        let norm = normalise(&text.replace('_', " "));
        Status::ALL.into_iter().find(|s| s.label().to_lowercase() == norm)
    }
}

/// A village's IDM for a year, the API's `{iks, ike, ikl, idm, status}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Idm {
    pub iks: Ratio,
    pub ike: Ratio,
    pub ikl: Ratio,
    pub idm: Ratio,
    pub status: Status,
}

/// Why a village was not scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotScored {
    /// A kelurahan: IDM scores desa only.
    Kelurahan,
    /// A code above village level (a kecamatan, a regency).
    NotAVillage,
}

impl NotScored {
    /// A stable key for the message catalogue (the API answers 409).
    pub fn code(&self) -> &'static str {
        match self {
            NotScored::Kelurahan => "idm_kelurahan_not_scored",
            NotScored::NotAVillage => "idm_not_a_village",
        }
    }
}

impl fmt::Display for NotScored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotScored::Kelurahan => "kelurahan are not scored by the IDM, only desa",
            NotScored::NotAVillage => "only a desa has an IDM",
        })
    }
}

/// Computes the IDM of `village` from its scores; kelurahan are refused.
pub fn score(village: &wilayah::Code, scores: &Scores) -> Result<Idm, NotScored> {
    match village.level() {
        wilayah::Level::Desa => Ok(compute(scores)),
        wilayah::Level::Kelurahan => Err(NotScored::Kelurahan),
        _ => Err(NotScored::NotAVillage),
    }
}

/// The formula itself, for any set of scores.
pub fn compute(scores: &Scores) -> Idm {
    let part = |index: Index| Ratio { num: scores.sum(index), den: MAX_SCORE as u64 * index.count() as u64 };
    let (iks, ike, ikl) = (part(Index::Iks), part(Index::Ike), part(Index::Ikl));
    // (a/175 + b/60 + c/15) / 3 over 6300: 175 x 12 = 60 x 35 = 15 x 140 = 2100.
    let idm = Ratio { num: iks.num * 12 + ike.num * 35 + ikl.num * 140, den: 6300 };
    Idm { iks, ike, ikl, idm, status: Status::from_ten_thousandths(idm.ten_thousandths()) }
}

/// What a Kemendesa IDM JSON file (`/open/api/desa/rumusan/{kode}/{tahun}`,
/// saved to a file) holds, as far as Pendopo reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Official {
    /// `SUMMARIES.TAHUN`.
    pub year: Option<i32>,
    /// `SUMMARIES.SKOR_SAAT_INI` in ten-thousandths (0.7212 is 7212).
    pub idm: Option<u64>,
    /// `SUMMARIES.STATUS`.
    pub status: Option<Status>,
    /// `SUMMARIES.TARGET_STATUS`.
    pub target_status: Option<Status>,
    /// The 50 scores from `ROW`.
    pub scores: Scores,
    /// What Pendopo computes from the scores.
    pub computed: Idm,
    /// `INDIKATOR` texts of rows that are none of the 50 and not a summary
    /// row (reported, not fatal: the API adds rows over the years).
    pub ignored_rows: Vec<String>,
}

impl Official {
    /// Whether Kemendesa's own figure differs from the one computed here.
    pub fn disagrees(&self) -> bool {
        self.idm.is_some_and(|i| i != self.computed.idm.ten_thousandths()) || self.status.is_some_and(|s| s != self.computed.status)
    }
}

/// Why a Kemendesa IDM file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfficialError {
    /// Not JSON.
    Json(String),
    /// No `mapData.ROW` array.
    NoRows,
    /// A row's `SKOR` is not a whole number (row index from 0).
    BadScore { row: usize, value: String },
    /// The scores read do not make 50 valid ones.
    Scores(Vec<ScoreError>),
    /// A summary field is present but unreadable.
    BadSummary { field: &'static str, value: String },
}

impl OfficialError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            OfficialError::Json(_) => "idm_file_not_json",
            OfficialError::NoRows => "idm_file_no_rows",
            OfficialError::BadScore { .. } => "idm_file_bad_score",
            OfficialError::Scores(_) => "idm_file_scores",
            OfficialError::BadSummary { .. } => "idm_file_bad_summary",
        }
    }
}

/// Reads Kemendesa's IDM JSON. What is assumed, since only the field names
/// in domain.md are documented:
///
/// - `mapData.SUMMARIES` is an object, or an array whose first element is
///   one; `SKOR_SAAT_INI` and `TAHUN` may be numbers or numeric strings;
///   `STATUS`/`TARGET_STATUS` are labels in any case (`MAJU`).
/// - Each `mapData.ROW` element names its indicator in `INDIKATOR` (with or
///   without a `Skor ` prefix) and its score in `SKOR` (number or string).
///   Rows whose `INDIKATOR` is a summary (starting with IKS, IKE, IKL or
///   IDM, as `IKS 2023`) are skipped; other unknown names are kept in
///   [`Official::ignored_rows`]. Other fields of a row are not read.
pub fn read_official(json: &str) -> Result<Official, OfficialError> {
    use serde_json::Value;
    let doc: Value = serde_json::from_str(json).map_err(|e| OfficialError::Json(e.to_string()))?;
    let map = &doc["mapData"];
    let rows = map["ROW"].as_array().ok_or(OfficialError::NoRows)?;
    let mut pairs: Vec<(String, i64)> = Vec::new();
    let mut ignored_rows = Vec::new();
    for (at, row) in rows.iter().enumerate() {
        let name = text(&row["INDIKATOR"]).unwrap_or_default();
        let upper = name.trim().to_uppercase();
        if ["IKS", "IKE", "IKL", "IDM"].iter().any(|p| upper.starts_with(p)) {
            continue;
        }
        if indicator(&name).is_none() {
            ignored_rows.push(name);
            continue;
        }
        let raw = text(&row["SKOR"]).unwrap_or_default();
        let value =
            raw.trim().parse::<i64>().ok().or_else(|| raw.trim().parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64));
        let value = value.ok_or(OfficialError::BadScore { row: at, value: raw.clone() })?;
        pairs.push((name, value));
    }
    let scores = Scores::from_named(pairs.iter().map(|(n, v)| (n.as_str(), *v))).map_err(OfficialError::Scores)?;
    let summary = match &map["SUMMARIES"] {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let field = |name: &'static str| text(&summary[name]).filter(|t| !t.trim().is_empty());
    let bad = |field: &'static str, value: &str| OfficialError::BadSummary { field, value: value.to_string() };
    let year = match field("TAHUN") {
        Some(t) => Some(t.trim().parse::<i32>().map_err(|_| bad("TAHUN", &t))?),
        None => None,
    };
    let idm = match field("SKOR_SAAT_INI") {
        Some(t) => Some(decimal_ten_thousandths(&t).ok_or_else(|| bad("SKOR_SAAT_INI", &t))?),
        None => None,
    };
    let status = match field("STATUS") {
        Some(t) => Some(Status::parse(&t).ok_or_else(|| bad("STATUS", &t))?),
        None => None,
    };
    let target_status = match field("TARGET_STATUS") {
        Some(t) => Some(Status::parse(&t).ok_or_else(|| bad("TARGET_STATUS", &t))?),
        None => None,
    };
    Ok(Official { year, idm, status, target_status, computed: compute(&scores), scores, ignored_rows })
}

/// A JSON string or number as text.
fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `0.7212` (or `0,7212`) in ten-thousandths, rounded half up past four
/// decimals; no floats involved.
fn decimal_ten_thousandths(text: &str) -> Option<u64> {
    let t = text.trim().replace(',', ".");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: Vec<u64> = frac.bytes().map(|b| (b - b'0') as u64).collect();
    digits.resize(digits.len().max(5), 0);
    let four = digits[..4].iter().fold(0, |a, d| a * 10 + d);
    let up = u64::from(digits[4] >= 5);
    whole.parse::<u64>().ok()?.checked_mul(10_000)?.checked_add(four + up)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(iks: u8, ike: u8, ikl: u8) -> Scores {
        let mut s = [0u8; 50];
        for (at, (index, _)) in INDICATORS.iter().enumerate() {
            s[at] = match index {
                Index::Iks => iks,
                Index::Ike => ike,
                Index::Ikl => ikl,
            };
        }
        Scores::from_array(s).unwrap()
    }

    fn desa() -> wilayah::Code {
        wilayah::Code::parse("35.22.01.2001").unwrap()
    }

    #[test]
    fn fifty_indicators_in_three_indices() {
        assert_eq!((Index::Iks.count(), Index::Ike.count(), Index::Ikl.count()), (35, 12, 3));
        let mut names: Vec<_> = INDICATORS.iter().map(|(_, n)| normalise(n)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 50);
    }

    #[test]
    fn worked_example_of_domain_md() {
        // Every IKS indicator 4, every IKE 3, every IKL 5.
        let idm = score(&desa(), &uniform(4, 3, 5)).unwrap();
        assert_eq!(idm.iks, Ratio { num: 4, den: 5 });
        assert_eq!(idm.ike, Ratio { num: 3, den: 5 });
        assert_eq!(idm.ikl, Ratio { num: 1, den: 1 });
        assert_eq!(idm.idm, Ratio { num: 4, den: 5 });
        assert_eq!(
            (idm.iks.decimal(), idm.ike.decimal(), idm.ikl.decimal(), idm.idm.decimal()),
            ("0.8000".into(), "0.6000".into(), "1.0000".into(), "0.8000".into())
        );
        assert_eq!(idm.status, Status::Maju);
        let json = serde_json::to_value(idm).unwrap();
        assert_eq!(json, serde_json::json!({"iks": 0.8, "ike": 0.6, "ikl": 1.0, "idm": 0.8, "status": "maju"}));
    }

    #[test]
    fn one_iks_point_adds_1_over_525_to_the_idm() {
        let base = compute(&uniform(0, 0, 0));
        let mut s = [0u8; 50];
        s[0] = 1;
        let one = compute(&Scores::from_array(s).unwrap());
        assert_eq!(base.idm, Ratio { num: 0, den: 1 });
        assert_eq!(one.idm, Ratio { num: 1, den: 525 });
        assert_eq!(one.idm.decimal(), "0.0019");
        assert_eq!(compute(&uniform(5, 5, 5)).idm.decimal(), "1.0000");
        assert_eq!(compute(&uniform(0, 0, 0)).status, Status::SangatTertinggal);
        assert_eq!(compute(&uniform(5, 5, 5)).status, Status::Mandiri);
    }

    #[test]
    fn cut_offs_are_inclusive_upper_bounds() {
        let check = |t, s| assert_eq!(Status::from_ten_thousandths(t), s, "{t}");
        check(4907, Status::SangatTertinggal);
        check(4908, Status::Tertinggal);
        check(5989, Status::Tertinggal);
        check(5990, Status::Berkembang);
        check(7072, Status::Berkembang);
        check(7073, Status::Maju);
        check(8155, Status::Maju);
        check(8156, Status::Mandiri);
    }

    #[test]
    fn status_follows_the_printed_figure() {
        // IDM 3092/6300 = 0.490793...: printed 0.4908, so Tertinggal.
        let r = Ratio { num: 3092, den: 6300 };
        assert_eq!(r.decimal(), "0.4908");
        assert_eq!(Status::from_ten_thousandths(r.ten_thousandths()), Status::Tertinggal);
        // 3091/6300 = 0.490635: printed 0.4906, Sangat Tertinggal.
        let r = Ratio { num: 3091, den: 6300 };
        assert_eq!(r.decimal(), "0.4906");
        assert_eq!(Status::from_ten_thousandths(r.ten_thousandths()), Status::SangatTertinggal);
    }

    #[test]
    fn kelurahan_are_not_scored() {
        let kelurahan = wilayah::Code::parse("35.22.15.1001").unwrap();
        assert_eq!(score(&kelurahan, &uniform(4, 3, 5)), Err(NotScored::Kelurahan));
        let kecamatan = wilayah::Code::parse("35.22.15").unwrap();
        assert_eq!(score(&kecamatan, &uniform(4, 3, 5)).unwrap_err().code(), "idm_not_a_village");
    }

    #[test]
    fn every_problem_of_a_put_at_once() {
        let mut pairs: Vec<(&str, i64)> = INDICATORS.iter().skip(2).map(|(_, n)| (*n, 3)).collect();
        pairs[0].1 = 6; // Bidan
        pairs.push(("akses  listrik", 2)); // a duplicate, spelled loosely
        pairs.push(("Jumlah Sapi", 1));
        let problems = Scores::from_named(pairs).unwrap_err();
        assert_eq!(
            problems,
            vec![
                ScoreError::OutOfRange { name: "Bidan", value: 6 },
                ScoreError::Duplicate { name: "Akses Listrik" },
                ScoreError::UnknownIndicator { name: "Jumlah Sapi".into() },
                ScoreError::Missing { name: "Akses Sarkes" },
                ScoreError::Missing { name: "Dokter" },
            ]
        );
        assert_eq!(problems[0].code(), "idm_score_out_of_range");
    }

    fn official_json(summary: &str, extra_row: &str) -> String {
        let rows: Vec<String> = INDICATORS
            .iter()
            .enumerate()
            .map(|(at, (index, name))| {
                let score = match index {
                    Index::Iks => 4,
                    Index::Ike => 3,
                    Index::Ikl => 5,
                };
                // Alternate the shapes the API is seen to use: number and string.
                if at % 2 == 0 {
                    format!(r#"{{"NO":{at},"INDIKATOR":"Skor {name}","SKOR":{score}}}"#)
                } else {
                    format!(r#"{{"NO":{at},"INDIKATOR":"{name}","SKOR":"{score}"}}"#)
                }
            })
            .collect();
        format!(
            r#"{{"status":200,"mapData":{{"SUMMARIES":{summary},"ROW":[{{"INDIKATOR":"IKS 2024","SKOR":0.8}},{extra_row}{}]}}}}"#,
            rows.join(",")
        )
    }

    #[test]
    fn reads_kemendesa_json() {
        let json = official_json(
            r#"{"SKOR_SAAT_INI":"0.8000","STATUS":"MAJU","TARGET_STATUS":"MANDIRI","TAHUN":2024}"#,
            r#"{"INDIKATOR":"Catatan","SKOR":""},"#,
        );
        let official = read_official(&json).unwrap();
        assert_eq!(official.year, Some(2024));
        assert_eq!(official.idm, Some(8000));
        assert_eq!(official.status, Some(Status::Maju));
        assert_eq!(official.target_status, Some(Status::Mandiri));
        assert_eq!(official.computed.status, Status::Maju);
        assert_eq!(official.ignored_rows, vec!["Catatan".to_string()]);
        assert!(!official.disagrees());
        // An array of summaries, a figure Kemendesa computed differently.
        let json = official_json(r#"[{"SKOR_SAAT_INI":0.71,"STATUS":"Berkembang","TAHUN":"2023"}]"#, "");
        let official = read_official(&json).unwrap();
        assert_eq!((official.year, official.idm, official.status), (Some(2023), Some(7100), Some(Status::Berkembang)));
        assert!(official.disagrees());
    }

    #[test]
    fn refuses_broken_kemendesa_json() {
        assert_eq!(read_official("<html>").unwrap_err().code(), "idm_file_not_json");
        assert_eq!(read_official(r#"{"mapData":{}}"#), Err(OfficialError::NoRows));
        let json = official_json(r#"{"STATUS":"Hebat"}"#, "");
        assert_eq!(read_official(&json), Err(OfficialError::BadSummary { field: "STATUS", value: "Hebat".into() }));
        let json = official_json("{}", r#"{"INDIKATOR":"Dokter","SKOR":"4,5"},"#);
        assert_eq!(read_official(&json).unwrap_err().code(), "idm_file_bad_score");
        let json = r#"{"mapData":{"ROW":[{"INDIKATOR":"Dokter","SKOR":9}]}}"#;
        let Err(OfficialError::Scores(problems)) = read_official(json) else { panic!() };
        assert_eq!(problems.len(), 50);
    }

    #[test]
    fn reads_decimal_figures_without_floats() {
        assert_eq!(decimal_ten_thousandths("0.72125"), Some(7213));
        assert_eq!(decimal_ten_thousandths("0,6"), Some(6000));
        assert_eq!(decimal_ten_thousandths("1"), Some(10_000));
        assert_eq!(decimal_ten_thousandths("-0.5"), None);
        assert_eq!(Status::parse("sangat_tertinggal"), Some(Status::SangatTertinggal));
        assert_eq!(Status::parse("SANGAT  TERTINGGAL"), Some(Status::SangatTertinggal));
    }
}
