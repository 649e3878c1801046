//! Indeks Kepuasan Masyarakat (IKM), the community satisfaction index of
//! PermenPANRB 14/2017 (*Survei Kepuasan Masyarakat*, SKM).
//!
//! Each respondent scores nine elements (*unsur*) from 1 to 4. Per element the
//! *nilai rata-rata* is `NRR = sum of scores / respondents`; the index is
//! `IKM = sum of NRR x 1/9` on the 1-4 scale and `IKM x 25` on the 25-100
//! scale, graded A-D. The regulation prints the weight 1/9 as 0.11, which caps
//! a perfect score at 99; this module uses exactly 1/9.
//!
//! The converted index is computed in integer hundredths straight from the
//! score totals (`2500 x total / (9 x respondents)`, rounded half up), so the
//! figure printed with two decimals and the grade derived from it can never
//! disagree through floating-point error.

use serde::Serialize;
use std::fmt;

/// The nine elements, in the regulation's order U1..U9.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Element {
    /// U1 Persyaratan.
    U1,
    /// U2 Sistem, mekanisme, dan prosedur.
    U2,
    /// U3 Waktu penyelesaian.
    U3,
    /// U4 Biaya/tarif.
    U4,
    /// U5 Produk spesifikasi jenis pelayanan.
    U5,
    /// U6 Kompetensi pelaksana.
    U6,
    /// U7 Perilaku pelaksana.
    U7,
    /// U8 Penanganan pengaduan, saran dan masukan.
    U8,
    /// U9 Sarana dan prasarana.
    U9,
}

impl Element {
    pub const ALL: [Element; 9] =
        [Element::U1, Element::U2, Element::U3, Element::U4, Element::U5, Element::U6, Element::U7, Element::U8, Element::U9];

    /// `U1`..`U9`, the code reports and the API use.
    pub fn code(self) -> &'static str {
        ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"][self.index()]
    }

    /// The element's name in the regulation (Bahasa Indonesia).
    pub fn name(self) -> &'static str {
        [
            "Persyaratan",
            "Sistem, mekanisme, dan prosedur",
            "Waktu penyelesaian",
            "Biaya/tarif",
            "Produk spesifikasi jenis pelayanan",
            "Kompetensi pelaksana",
            "Perilaku pelaksana",
            "Penanganan pengaduan, saran dan masukan",
            "Sarana dan prasarana",
        ][self.index()]
    }

    /// 0 for U1 .. 8 for U9.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_code(code: &str) -> Option<Element> {
        Element::ALL.into_iter().find(|e| e.code().eq_ignore_ascii_case(code))
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a set of answers was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerError {
    /// Not nine answers.
    Count { given: usize },
    /// An answer outside 1..=4, for this element.
    OutOfRange { element: Element, value: i64 },
}

impl AnswerError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            AnswerError::Count { .. } => "ikm_answer_count",
            AnswerError::OutOfRange { .. } => "ikm_answer_out_of_range",
        }
    }
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::Count { given } => write!(f, "expected 9 answers (U1..U9), got {given}"),
            AnswerError::OutOfRange { element, value } => write!(f, "{element} ({}): {value} is not a score from 1 to 4", element.name()),
        }
    }
}

impl std::error::Error for AnswerError {}

/// One respondent's nine scores, each 1..=4 (parse, don't validate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answers([u8; 9]);

impl Answers {
    /// Checks the count first, then each element in order, and names the first
    /// element that is out of range.
    pub fn new(scores: &[i64]) -> Result<Answers, AnswerError> {
        Answers::check_each(scores).map_err(|mut problems| problems.remove(0))
    }

    /// As [`Answers::new`], but names every element out of range (a form
    /// shows each bad cell at once); never an empty list.
    pub fn check_each(scores: &[i64]) -> Result<Answers, Vec<AnswerError>> {
        if scores.len() != 9 {
            return Err(vec![AnswerError::Count { given: scores.len() }]);
        }
        let mut out = [0u8; 9];
        let mut problems = Vec::new();
        for (element, (&value, slot)) in Element::ALL.into_iter().zip(scores.iter().zip(&mut out)) {
            if (1..=4).contains(&value) {
                *slot = value as u8;
            } else {
                problems.push(AnswerError::OutOfRange { element, value });
            }
        }
        if problems.is_empty() { Ok(Answers(out)) } else { Err(problems) }
    }

    pub fn score(&self, element: Element) -> u8 {
        self.0[element.index()]
    }

    pub fn scores(&self) -> [u8; 9] {
        self.0
    }
}

codes! {
    /// *Jenis kelamin*, as on the regulation's sample questionnaire (L / P).
    Sex {
        LakiLaki = "l",
        Perempuan = "p",
    }
}

impl Sex {
    /// The label printed on the questionnaire.
    pub fn label(self) -> &'static str {
        match self {
            Sex::LakiLaki => "Laki-laki",
            Sex::Perempuan => "Perempuan",
        }
    }
}

codes! {
    /// *Pendidikan*: the sample questionnaire of PermenPANRB 14/2017 lists
    /// SD, SMP, SMA, S1, S2, S3. Diploma (D1-D4) is added from the list of its
    /// predecessor PermenPAN-RB 16/2014, because a diploma holder otherwise has
    /// no box to tick; "SD" also takes those with less schooling.
    Education {
        Sd = "sd",
        Smp = "smp",
        Sma = "sma",
        Diploma = "diploma",
        S1 = "s1",
        S2 = "s2",
        S3 = "s3",
    }
}

impl Education {
    /// The label printed on the questionnaire.
    pub fn label(self) -> &'static str {
        match self {
            Education::Sd => "SD ke bawah",
            Education::Smp => "SMP",
            Education::Sma => "SMA",
            Education::Diploma => "D1-D4",
            Education::S1 => "S1",
            Education::S2 => "S2",
            Education::S3 => "S3",
        }
    }
}

codes! {
    /// *Pekerjaan*, the sample questionnaire's list.
    Occupation {
        Pns = "pns",
        Tni = "tni",
        Polri = "polri",
        Swasta = "swasta",
        Wirausaha = "wirausaha",
        Lainnya = "lainnya",
    }
}

impl Occupation {
    /// The label printed on the questionnaire.
    pub fn label(self) -> &'static str {
        match self {
            Occupation::Pns => "PNS",
            Occupation::Tni => "TNI",
            Occupation::Polri => "POLRI",
            Occupation::Swasta => "Swasta",
            Occupation::Wirausaha => "Wirausaha",
            Occupation::Lainnya => "Lainnya",
        }
    }
}

codes! {
    /// *Usia*: the questionnaire asks the age in years; Pendopo keeps only a
    /// ten-year band ([`AgeBand::from_years`]), enough for the report's profile
    /// table and less identifying than the exact age.
    AgeBand {
        Under20 = "under_20",
        From20 = "20_29",
        From30 = "30_39",
        From40 = "40_49",
        From50 = "50_59",
        From60 = "60_plus",
    }
}

impl AgeBand {
    /// The label printed on the questionnaire.
    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under20 => "di bawah 20 tahun",
            AgeBand::From20 => "20-29 tahun",
            AgeBand::From30 => "30-39 tahun",
            AgeBand::From40 => "40-49 tahun",
            AgeBand::From50 => "50-59 tahun",
            AgeBand::From60 => "60 tahun ke atas",
        }
    }

    pub fn from_years(age: u32) -> AgeBand {
        match age {
            0..=19 => AgeBand::Under20,
            20..=29 => AgeBand::From20,
            30..=39 => AgeBand::From30,
            40..=49 => AgeBand::From40,
            50..=59 => AgeBand::From50,
            _ => AgeBand::From60,
        }
    }
}

/// The respondent's profile; every part is optional (a paper form may leave a
/// box empty, and the score still counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub age: Option<AgeBand>,
    pub sex: Option<Sex>,
    pub education: Option<Education>,
    pub occupation: Option<Occupation>,
}

/// Grade (*mutu pelayanan*) with the regulation's boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    /// The grade of a converted index given in hundredths (8167 for 81.67).
    ///
    /// The table gives D 25.00-64.99, C 65.00-76.60, B 76.61-88.30 and
    /// A 88.31-100.00 on the converted scale (2.60-3.064, 3.0644-3.532,
    /// 3.5324-4.00 on the 1-4 scale, the same points times 25). The grade is
    /// taken from the converted index rounded to two decimals, the figure the
    /// report prints, so the table's gaps (76.60 to 76.61, 3.064 to 3.0644)
    /// never hold a value: 76.605 prints 76.61 and is B.
    pub fn from_hundredths(hundredths: u32) -> Grade {
        match hundredths {
            8831.. => Grade::A,
            7661.. => Grade::B,
            6500.. => Grade::C,
            _ => Grade::D,
        }
    }

    pub fn letter(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }

    /// *Kinerja unit pelayanan* as the regulation words it.
    pub fn label(self) -> &'static str {
        match self {
            Grade::A => "Sangat baik",
            Grade::B => "Baik",
            Grade::C => "Kurang baik",
            Grade::D => "Tidak baik",
        }
    }
}

/// Running totals of a survey: per element the sum of scores, and the count
/// of respondents. Totals add, so surveys of parts (days, services, servers)
/// merge into the whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Survey {
    sums: [u64; 9],
    respondents: u64,
}

impl Survey {
    pub fn new() -> Survey {
        Survey::default()
    }

    /// Totals already summed elsewhere (a database `SUM` per element).
    pub fn from_totals(sums: [u64; 9], respondents: u64) -> Survey {
        Survey { sums, respondents }
    }

    pub fn add(&mut self, answers: &Answers) {
        for (sum, score) in self.sums.iter_mut().zip(answers.0) {
            *sum += u64::from(score);
        }
        self.respondents += 1;
    }

    pub fn merge(&mut self, other: &Survey) {
        for (sum, more) in self.sums.iter_mut().zip(other.sums) {
            *sum += more;
        }
        self.respondents += other.respondents;
    }

    pub fn respondents(&self) -> u64 {
        self.respondents
    }

    pub fn sums(&self) -> [u64; 9] {
        self.sums
    }

    /// NRR per element; `None` without respondents.
    pub fn nrr(&self) -> Option<[f64; 9]> {
        (self.respondents > 0).then(|| self.sums.map(|sum| sum as f64 / self.respondents as f64))
    }

    /// IKM on the 1-4 scale: the mean of the nine NRR (weight exactly 1/9).
    pub fn ikm(&self) -> Option<f64> {
        (self.respondents > 0).then(|| self.total() as f64 / (9 * self.respondents) as f64)
    }

    /// The converted index (x 25) in hundredths, rounded half up, exactly.
    pub fn converted_hundredths(&self) -> Option<u32> {
        let n = 9 * u128::from(self.respondents);
        // 100 x 25 x total / (9 n), rounded half up: floor((2 x 2500 x total + 9n) / (2 x 9n)).
        (n > 0).then(|| ((5000 * u128::from(self.total()) + n) / (2 * n)) as u32)
    }

    /// The converted index (25-100) with two decimals.
    pub fn ikm_converted(&self) -> Option<f64> {
        self.converted_hundredths().map(|h| f64::from(h) / 100.0)
    }

    pub fn grade(&self) -> Option<Grade> {
        self.converted_hundredths().map(Grade::from_hundredths)
    }

    /// The element with the lowest NRR, the first in U1..U9 order on a tie.
    pub fn lowest_element(&self) -> Option<Element> {
        (self.respondents > 0).then(|| Element::ALL.into_iter().min_by_key(|e| self.sums[e.index()]).expect("nine elements"))
    }

    /// The report for a unit with `population` users in the period (if known).
    pub fn report(&self, population: Option<u64>) -> Report {
        let min_sample = population.map(min_sample);
        Report {
            respondents: self.respondents,
            nrr: self.nrr().map(|nrr| nrr.map(|v| round_to(v, 4)).to_vec()).unwrap_or_default(),
            ikm: self.ikm().map(|v| round_to(v, 4)),
            ikm_converted: self.ikm_converted(),
            grade: self.grade(),
            population,
            min_sample,
            sample_met: min_sample.map(|s| self.respondents >= s),
            lowest_element: self.lowest_element(),
        }
    }

    fn total(&self) -> u64 {
        self.sums.iter().sum()
    }
}

/// The IKM of a unit as `GET /api/v1/ikm` answers it. `nrr` is empty and the
/// index fields are null without respondents; `min_sample` and `sample_met`
/// are null when the population is unknown. NRR and IKM on the 1-4 scale are
/// rounded to four decimals (the table's precision), the converted index to two.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub respondents: u64,
    pub nrr: Vec<f64>,
    pub ikm: Option<f64>,
    pub ikm_converted: Option<f64>,
    pub grade: Option<Grade>,
    pub population: Option<u64>,
    pub min_sample: Option<u64>,
    pub sample_met: Option<bool>,
    pub lowest_element: Option<Element>,
}

/// The IKM of nine NRR values (1-4 scale), for figures already averaged.
pub fn ikm_from_nrr(nrr: &[f64; 9]) -> f64 {
    nrr.iter().sum::<f64>() / 9.0
}

/// The minimum sample for a population of `n` (Krejcie and Morgan, 1970, as
/// PermenPANRB 14/2017 tabulates it): `S = 3.841 N 0.25 / (0.0025 (N - 1) +
/// 3.841 x 0.25)`, which multiplied out is `3841 N / (10 N + 3831)`.
///
/// The result is rounded to the *nearest* whole respondent (halves up), in
/// integers: that is how Krejcie and Morgan's table and the regulation's copy
/// of it are rounded (N = 500 gives 217.47 and the table says 217; N = 15
/// gives 14.47 and the table says 14). Rounding up would print 218 and 15.
pub fn min_sample(population: u64) -> u64 {
    let n = u128::from(population);
    let divisor = 10 * n + 3831;
    ((2 * 3841 * n + divisor) / (2 * divisor)) as u64
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}
