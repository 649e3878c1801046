//! A budget's lines checked as a whole: every problem at once, each with
//! its line and field, and nothing accepted unless all is well, so the
//! application stores all of an APBDes or none of it.
//!
//! Checks: each code parses and is known to the [`CodeList`]; a pendapatan
//! line sits under one of the sources, a pembiayaan line under 6.1 or 6.2, a
//! belanja account line under a kegiatan; the funding source is a listed
//! one, and on a pendapatan line it matches the account; amounts are whole
//! rupiah, not negative; realisation above plan is accepted only with a
//! reason (and then flagged for the public page); and the budget balances:
//! `pendapatan + penerimaan pembiayaan = belanja + pengeluaran pembiayaan`
//! within [`Settings::tolerance`].

use super::{Akun, ArahPembiayaan, CodeError, CodeList, Kegiatan, Kelompok, Pos, SumberPendapatan};
use crate::money::{MoneyError, Rupiah};
use crate::problem::Coded;
use serde::Serialize;
use std::collections::BTreeMap;

/// Settings of the check, kept per region by the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// How far the two sides of the balance may differ. Default Rp 0: the
    /// amounts are whole rupiah, so a balanced budget balances exactly; a
    /// regency that accepts Siskeudes rounding raises it.
    pub tolerance: Rupiah,
    /// The file uses the accounts of before 2018 (1/2/3, Permendagri
    /// 113/2014), mapped to 4/5/6. The application sets it from the year or
    /// the operator's choice; it is never guessed from the codes, because
    /// `1.1.01` is also a kegiatan.
    pub pre_2018: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { tolerance: Rupiah::ZERO, pre_2018: false }
    }
}

/// The fields of a line, as the API and the problems name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Kode,
    Akun,
    Nama,
    Sumber,
    Anggaran,
    RealisasiS1,
    RealisasiS2,
    Alasan,
}

impl Field {
    pub fn code(self) -> &'static str {
        ["kode", "akun", "nama", "sumber", "anggaran", "realisasi_s1", "realisasi_s2", "alasan"][self as usize]
    }
}

/// One line as given (API body or spreadsheet row), every field as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineInput {
    /// The line's number for messages: the spreadsheet row, or the
    /// position in the API's list (from 1).
    pub line: usize,
    /// An account (`4.2.1`, `6.1.1`) or a kegiatan (`1.1.01`).
    pub kode: String,
    /// The belanja account detailing a kegiatan (`5.2.1.01`), or empty.
    pub akun: String,
    pub nama: String,
    /// A funding-source code (`DDS`), or empty.
    pub sumber: String,
    pub anggaran: String,
    /// Realisation in the first and second semester; empty until reported.
    pub realisasi_s1: String,
    pub realisasi_s2: String,
    /// Why realisation exceeds the plan, when it does.
    pub alasan: String,
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ProblemKind {
    BadCode {
        reason: &'static str,
    },
    UnknownCode {
        code: String,
    },
    /// A pendapatan line above the sources (`4`, `4.2`).
    NoSource,
    /// A pembiayaan line that is neither 6.1 nor 6.2.
    NoDirection,
    /// An account given with a line that is not a kegiatan, or not a
    /// belanja account.
    NotABelanjaAccount,
    /// A belanja account line with no kegiatan.
    NoKegiatan,
    UnknownSource {
        sumber: String,
    },
    /// A pendapatan line whose funding source is tied to another account.
    SourceMismatch {
        sumber: String,
        akun: String,
    },
    NoName,
    BadAmount {
        reason: &'static str,
    },
    Negative,
    /// Realisation above plan without a reason.
    AbovePlan {
        plan: Rupiah,
        realised: Rupiah,
    },
    /// The two sides differ by more than the tolerance.
    Unbalanced {
        income: Rupiah,
        spending: Rupiah,
        tolerance: Rupiah,
    },
    /// A total too large to hold.
    Overflow,
    /// (Spreadsheets) a header row whose amount is not the sum below it.
    Subtotal {
        given: Rupiah,
        sum: Rupiah,
    },
    /// (Spreadsheets) no header row naming these columns.
    NoHeader {
        missing: Vec<&'static str>,
    },
    /// (Spreadsheets) nothing but the header.
    Empty,
}

impl Coded for ProblemKind {
    /// A stable key for the message catalogue.
    fn code(&self) -> &'static str {
        match self {
            ProblemKind::BadCode { .. } => "apbdes_bad_code",
            ProblemKind::UnknownCode { .. } => "apbdes_unknown_code",
            ProblemKind::NoSource => "apbdes_pendapatan_without_source",
            ProblemKind::NoDirection => "apbdes_pembiayaan_without_direction",
            ProblemKind::NotABelanjaAccount => "apbdes_not_a_belanja_account",
            ProblemKind::NoKegiatan => "apbdes_belanja_without_kegiatan",
            ProblemKind::UnknownSource { .. } => "apbdes_unknown_funding_source",
            ProblemKind::SourceMismatch { .. } => "apbdes_funding_source_mismatch",
            ProblemKind::NoName => "apbdes_no_name",
            ProblemKind::BadAmount { .. } => "apbdes_bad_amount",
            ProblemKind::Negative => "apbdes_negative_amount",
            ProblemKind::AbovePlan { .. } => "apbdes_realisation_above_plan",
            ProblemKind::Unbalanced { .. } => "apbdes_unbalanced",
            ProblemKind::Overflow => "apbdes_total_overflow",
            ProblemKind::Subtotal { .. } => "apbdes_subtotal_mismatch",
            ProblemKind::NoHeader { .. } => "apbdes_no_header",
            ProblemKind::Empty => "apbdes_empty",
        }
    }
}

/// A problem of this module, with where it is.
pub type Problem = crate::problem::Problem<Field, ProblemKind>;

/// A checked line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub line: usize,
    pub pos: Pos,
    pub name: String,
    /// The funding source's code, upper case.
    pub sumber: Option<String>,
    pub plan: Rupiah,
    /// Per semester; `None` until reported.
    pub realised: [Option<Rupiah>; 2],
    /// Why realisation exceeds the plan (set only when it does).
    pub reason: Option<String>,
}

impl Line {
    /// Realised so far (both semesters).
    pub fn realised_total(&self) -> Rupiah {
        self.realised.iter().flatten().copied().sum()
    }

    /// Realisation above plan (accepted with a reason): shown flagged.
    pub fn above_plan(&self) -> bool {
        self.realised_total() > self.plan
    }
}

/// Plan and realisation per semester of a group of lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Amounts {
    pub plan: Rupiah,
    pub s1: Rupiah,
    pub s2: Rupiah,
}

impl Amounts {
    fn add(&mut self, line: &Line) -> Result<(), MoneyError> {
        self.plan = self.plan.checked_add(line.plan)?;
        self.s1 = self.s1.checked_add(line.realised[0].unwrap_or_default())?;
        self.s2 = self.s2.checked_add(line.realised[1].unwrap_or_default())?;
        Ok(())
    }

    /// Both semesters.
    pub fn realised(&self) -> Rupiah {
        Rupiah::new(self.s1.get().saturating_add(self.s2.get()))
    }
}

/// The totals the village page and the poster show.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub pendapatan: Amounts,
    pub belanja: Amounts,
    pub penerimaan_pembiayaan: Amounts,
    pub pengeluaran_pembiayaan: Amounts,
    /// Pendapatan by source (Dana Desa, ADD, ...).
    pub by_source: BTreeMap<SumberPendapatan, Amounts>,
    /// Belanja by bidang (1-5).
    pub by_bidang: BTreeMap<u8, Amounts>,
    /// Belanja by kegiatan.
    pub by_kegiatan: BTreeMap<Kegiatan, Amounts>,
    /// Belanja by funding source code (lines without one under `""`).
    pub by_funding: BTreeMap<String, Amounts>,
}

/// A checked APBDes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Apbdes {
    pub lines: Vec<Line>,
    pub totals: Totals,
}

impl Apbdes {
    /// The lines whose realisation is above plan (each with its reason).
    pub fn above_plan(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.above_plan())
    }
}

/// Checks a budget's lines and computes its totals; all problems at once.
pub fn check(input: &[LineInput], list: &CodeList, settings: &Settings) -> Result<Apbdes, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for raw in input {
        if let Some(line) = check_line(raw, list, settings, &mut problems) {
            lines.push(line);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let totals = match totals(&lines) {
        Ok(t) => t,
        Err(_) => return Err(vec![Problem::whole(None, ProblemKind::Overflow)]),
    };
    let income = totals.pendapatan.plan.get() as i128 + totals.penerimaan_pembiayaan.plan.get() as i128;
    let spending = totals.belanja.plan.get() as i128 + totals.pengeluaran_pembiayaan.plan.get() as i128;
    if (income - spending).abs() > settings.tolerance.get() as i128 {
        let kind = ProblemKind::Unbalanced {
            income: Rupiah::new(income as i64),
            spending: Rupiah::new(spending as i64),
            tolerance: settings.tolerance,
        };
        return Err(vec![Problem::whole(None, kind)]);
    }
    Ok(Apbdes { lines, totals })
}

fn check_line(raw: &LineInput, list: &CodeList, settings: &Settings, problems: &mut Vec<Problem>) -> Option<Line> {
    let before = problems.len();
    let n = raw.line;
    let pos = parse_pos(raw, list, settings, problems);
    let name = raw.nama.trim();
    if name.is_empty() {
        problems.push(Problem::at(n, Field::Nama, ProblemKind::NoName));
    }
    let sumber = raw.sumber.trim();
    let sumber = if sumber.is_empty() {
        None
    } else {
        match list.sumber(sumber) {
            None => {
                problems.push(Problem::at(n, Field::Sumber, ProblemKind::UnknownSource { sumber: sumber.to_string() }));
                None
            }
            Some(s) => {
                if let Some(Pos::Pendapatan { akun }) = &pos
                    && !akun.is_under(s.akun.as_str())
                {
                    problems.push(Problem::at(
                        n,
                        Field::Sumber,
                        ProblemKind::SourceMismatch { sumber: s.code.clone(), akun: akun.to_string() },
                    ));
                }
                Some(s.code.clone())
            }
        }
    };
    let plan = amount(n, Field::Anggaran, &raw.anggaran, false, problems);
    let s1 = amount(n, Field::RealisasiS1, &raw.realisasi_s1, true, problems);
    let s2 = amount(n, Field::RealisasiS2, &raw.realisasi_s2, true, problems);
    let reason = Some(raw.alasan.trim()).filter(|r| !r.is_empty()).map(str::to_string);
    if let (Some(Some(plan)), Some(s1), Some(s2)) = (plan, s1, s2) {
        let realised = Rupiah::new(s1.unwrap_or_default().get().saturating_add(s2.unwrap_or_default().get()));
        if realised > plan && reason.is_none() {
            problems.push(Problem::at(n, Field::Alasan, ProblemKind::AbovePlan { plan, realised }));
        }
    }
    if problems.len() > before {
        return None;
    }
    let line = Line { line: n, pos: pos?, name: name.to_string(), sumber, plan: plan??, realised: [s1?, s2?], reason };
    let reason = line.reason.clone().filter(|_| line.above_plan());
    Some(Line { reason, ..line })
}

/// Parses an amount field: `Some(None)` for an empty optional field, `None`
/// after recording a problem.
fn amount(n: usize, field: Field, text: &str, optional: bool, problems: &mut Vec<Problem>) -> Option<Option<Rupiah>> {
    if optional && text.trim().is_empty() {
        return Some(None);
    }
    match Rupiah::parse(text) {
        Ok(r) if r.is_negative() => {
            problems.push(Problem::at(n, field, ProblemKind::Negative));
            None
        }
        Ok(r) => Some(Some(r)),
        Err(e) => {
            problems.push(Problem::at(n, field, ProblemKind::BadAmount { reason: e.code() }));
            None
        }
    }
}

fn bad(n: usize, field: Field, e: CodeError) -> Problem {
    Problem::at(n, field, ProblemKind::BadCode { reason: e.code() })
}

fn parse_pos(raw: &LineInput, list: &CodeList, settings: &Settings, problems: &mut Vec<Problem>) -> Option<Pos> {
    let n = raw.line;
    let (kode, akun) = (raw.kode.trim(), raw.akun.trim());
    let unknown = |code: String| Problem::at(n, Field::Kode, ProblemKind::UnknownCode { code });
    // A kegiatan (never in a pre-2018 file, which has no kegiatan codes).
    if !settings.pre_2018
        && let Ok(k) = Kegiatan::parse(kode)
    {
        if !list.knows_kegiatan(&k) {
            problems.push(unknown(k.to_string()));
        }
        let akun = if akun.is_empty() {
            None
        } else {
            match Akun::parse(akun, false) {
                Ok(a) if a.kelompok() == Kelompok::Belanja => {
                    if !list.knows_akun(&a) {
                        problems.push(Problem::at(n, Field::Akun, ProblemKind::UnknownCode { code: a.to_string() }));
                    }
                    Some(a)
                }
                Ok(_) => {
                    problems.push(Problem::at(n, Field::Akun, ProblemKind::NotABelanjaAccount));
                    return None;
                }
                Err(e) => {
                    problems.push(bad(n, Field::Akun, e));
                    return None;
                }
            }
        };
        return Some(Pos::Belanja { kegiatan: Some(k), akun });
    }
    let a = match Akun::parse(kode, settings.pre_2018) {
        Ok(a) => a,
        Err(e) => {
            problems.push(bad(n, Field::Kode, e));
            return None;
        }
    };
    if !akun.is_empty() {
        problems.push(Problem::at(n, Field::Akun, ProblemKind::NotABelanjaAccount));
    }
    if !list.knows_akun(&a) {
        problems.push(unknown(a.to_string()));
    }
    match a.kelompok() {
        Kelompok::Pendapatan if a.sumber().is_none() => problems.push(Problem::at(n, Field::Kode, ProblemKind::NoSource)),
        Kelompok::Pembiayaan if a.arah().is_none() => problems.push(Problem::at(n, Field::Kode, ProblemKind::NoDirection)),
        Kelompok::Belanja if !settings.pre_2018 => problems.push(Problem::at(n, Field::Kode, ProblemKind::NoKegiatan)),
        Kelompok::Belanja if Pos::Belanja { kegiatan: None, akun: Some(a.clone()) }.bidang().is_none() => {
            problems.push(Problem::at(n, Field::Kode, ProblemKind::NoKegiatan))
        }
        _ => {}
    }
    Some(match a.kelompok() {
        Kelompok::Pendapatan => Pos::Pendapatan { akun: a },
        Kelompok::Belanja => Pos::Belanja { kegiatan: None, akun: Some(a) },
        Kelompok::Pembiayaan => Pos::Pembiayaan { akun: a },
    })
}

fn totals(lines: &[Line]) -> Result<Totals, MoneyError> {
    let mut t = Totals::default();
    for line in lines {
        match &line.pos {
            Pos::Pendapatan { akun } => {
                t.pendapatan.add(line)?;
                if let Some(s) = akun.sumber() {
                    t.by_source.entry(s).or_default().add(line)?;
                }
            }
            Pos::Belanja { kegiatan, .. } => {
                t.belanja.add(line)?;
                if let Some(b) = line.pos.bidang() {
                    t.by_bidang.entry(b).or_default().add(line)?;
                }
                if let Some(k) = kegiatan {
                    t.by_kegiatan.entry(*k).or_default().add(line)?;
                }
                t.by_funding.entry(line.sumber.clone().unwrap_or_default()).or_default().add(line)?;
            }
            Pos::Pembiayaan { akun } => match akun.arah() {
                Some(ArahPembiayaan::Penerimaan) => t.penerimaan_pembiayaan.add(line)?,
                _ => t.pengeluaran_pembiayaan.add(line)?,
            },
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apbdes::tests_support::lines;

    const SUKAMAJU: &str = "
        4.1.1 | Hasil Usaha Desa | PAD | Rp 10.000.000 | 4.000.000 | 5.000.000
        4.2.1 | Dana Desa | DDS | Rp 1.000.000.000 | 600.000.000 | 400.000.000
        4.2.3 | Alokasi Dana Desa | ADD | 450.000.000 | 225.000.000 |
        4.2.2 | Bagi Hasil Pajak | PBH | 40,000,000 | |
        1.1.01/5.1.1.01 | Penghasilan Tetap Kepala Desa | ADD | 300.000.000 | 150.000.000 | 150.000.000
        1.1.01/5.1.1.02 | Tunjangan Kepala Desa | ADD | 100.000.000 | 50.000.000 |
        2.2.01 | Posyandu | DDS | 200.000.000 | 100.000.000 | 120.000.000 | harga naik, perubahan menyusul
        2.3.05 | Jalan Desa | DDS | 850.000.000 | 300.000.000 |
        5.1.01 | Penanggulangan Bencana | DDS | 100.000.000 | |
        6.1.1 | SiLPA | | 60.000.000 | 60.000.000 |
        6.2.2 | Penyertaan Modal BUMDes | DDS | 10.000.000 | |
    ";

    #[test]
    fn a_balanced_budget_and_its_totals() {
        let apbdes = check(&lines(SUKAMAJU), &CodeList::embedded(), &Settings::default()).unwrap();
        let t = &apbdes.totals;
        assert_eq!(t.pendapatan.plan, Rupiah::new(1_500_000_000));
        assert_eq!(t.belanja.plan, Rupiah::new(1_550_000_000));
        assert_eq!(t.penerimaan_pembiayaan.plan, Rupiah::new(60_000_000));
        assert_eq!(t.pengeluaran_pembiayaan.plan, Rupiah::new(10_000_000));
        assert_eq!(
            t.by_source[&SumberPendapatan::DanaDesa],
            Amounts { plan: Rupiah::new(1_000_000_000), s1: Rupiah::new(600_000_000), s2: Rupiah::new(400_000_000) }
        );
        assert_eq!(t.by_source[&SumberPendapatan::Pades].realised(), Rupiah::new(9_000_000));
        assert_eq!(t.by_bidang[&1].plan, Rupiah::new(400_000_000));
        assert_eq!(t.by_bidang[&2].plan, Rupiah::new(1_050_000_000));
        assert_eq!(t.by_bidang[&5].plan, Rupiah::new(100_000_000));
        assert_eq!(t.by_kegiatan[&Kegiatan::parse("1.1.01").unwrap()].s1, Rupiah::new(200_000_000));
        assert_eq!(t.by_funding["DDS"].plan, Rupiah::new(1_150_000_000));
        assert_eq!(t.by_funding["ADD"].plan, Rupiah::new(400_000_000));
        // Posyandu is above plan, accepted with its reason, and flagged.
        let flagged: Vec<_> = apbdes.above_plan().map(|l| (l.line, l.reason.as_deref())).collect();
        assert_eq!(flagged, vec![(7, Some("harga naik, perubahan menyusul"))]);
        assert_eq!(apbdes.lines[4].pos.code(), "1.1.01/5.1.1.01");
    }

    #[test]
    fn the_balance_and_its_tolerance() {
        let text =
            SUKAMAJU.replace("6.2.2 | Penyertaan Modal BUMDes | DDS | 10.000.000", "6.2.2 | Penyertaan Modal BUMDes | DDS | 10.000.500");
        let problems = check(&lines(&text), &CodeList::embedded(), &Settings::default()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, None);
        assert_eq!(
            problems[0].kind,
            ProblemKind::Unbalanced { income: Rupiah::new(1_560_000_000), spending: Rupiah::new(1_560_000_500), tolerance: Rupiah::ZERO }
        );
        let settings = Settings { tolerance: Rupiah::new(1000), ..Settings::default() };
        assert!(check(&lines(&text), &CodeList::embedded(), &settings).is_ok());
    }

    #[test]
    fn every_problem_at_once_with_line_and_field() {
        let text = "
            4.2 | Pendapatan Transfer | | 1.000
            4.9.1 | Entah | | 1.000
            6.3 | Pembiayaan lain | | 1.000
            5.2.1.01 | Belanja tanpa kegiatan | | 1.000
            1.1.01/4.2.1 | Salah akun | DDS | 1.000
            4.2.1 | Dana Desa | ADD | 1.000
            2.2.01 | Posyandu | XYZ | 1.000,50
            2.2.02 | | DDS | satu juta
            2.2.03 | Jalan | DDS | -5.000
            2.2.04 | Sumur | DDS | 1.000 | 800 | 300
            7.1 | Tujuh | | 1
        ";
        let problems = check(&lines(text), &CodeList::embedded(), &Settings::default()).unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line.unwrap(), p.field.unwrap().code(), p.code())).collect();
        assert_eq!(
            got,
            vec![
                (1, "kode", "apbdes_pendapatan_without_source"),
                (2, "kode", "apbdes_unknown_code"),
                (2, "kode", "apbdes_pendapatan_without_source"),
                (3, "kode", "apbdes_unknown_code"),
                (3, "kode", "apbdes_pembiayaan_without_direction"),
                (4, "kode", "apbdes_belanja_without_kegiatan"),
                (5, "akun", "apbdes_not_a_belanja_account"),
                (6, "sumber", "apbdes_funding_source_mismatch"),
                (7, "sumber", "apbdes_unknown_funding_source"),
                (7, "anggaran", "apbdes_bad_amount"),
                (8, "nama", "apbdes_no_name"),
                (8, "anggaran", "apbdes_bad_amount"),
                (9, "anggaran", "apbdes_negative_amount"),
                (10, "alasan", "apbdes_realisation_above_plan"),
                (11, "kode", "apbdes_bad_code"),
            ]
        );
        assert_eq!(problems[9].kind, ProblemKind::BadAmount { reason: "money_fraction" });
        assert_eq!(problems[13].kind, ProblemKind::AbovePlan { plan: Rupiah::new(1000), realised: Rupiah::new(1100) });
    }

    #[test]
    fn a_pre_2018_budget_is_mapped() {
        let text = "
            1.2.1 | Dana Desa | DDS | 700.000.000
            1.2.3 | ADD | ADD | 300.000.000
            2.1.1 | Siltap | ADD | 300.000.000
            2.2.3 | Jalan | DDS | 700.000.000
        ";
        let settings = Settings { pre_2018: true, ..Settings::default() };
        let apbdes = check(&lines(text), &CodeList::embedded(), &settings).unwrap();
        assert_eq!(apbdes.lines[0].pos, Pos::Pendapatan { akun: Akun::parse("4.2.1", false).unwrap() });
        assert_eq!(apbdes.totals.by_bidang[&2].plan, Rupiah::new(700_000_000));
        assert_eq!(apbdes.totals.belanja.plan, Rupiah::new(1_000_000_000));
        // The same file read as a 2018 one: 1.2.1 is not an account.
        assert!(check(&lines(text), &CodeList::embedded(), &Settings::default()).is_err());
    }
}
