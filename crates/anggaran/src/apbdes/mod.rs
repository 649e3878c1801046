//! The village budget (APBDes) of Permendagri 20/2018: its codes, its code
//! list, a budget's lines checked all at once, and Siskeudes-style
//! spreadsheet rows turned into lines.
//!
//! Two code systems meet in an APBDes (domain.md section 6):
//!
//! - **accounts** ([`Akun`]): 4 Pendapatan, 5 Belanja, 6 Pembiayaan (before
//!   2018: 1, 2, 3), with the pendapatan sources 4.1 PADes, 4.2.1 Dana Desa,
//!   4.2.2 bagi hasil, 4.2.3 ADD, 4.2.4 and 4.2.5 bantuan, 4.3 lain-lain;
//! - **activities** ([`Kegiatan`]): belanja is classified by five *bidang*,
//!   `bidang.subbidang.kegiatan` as in `1.1.01`.
//!
//! A budget line is a [`Pos`]: a pendapatan or pembiayaan account, or a
//! kegiatan (optionally with the belanja account under it, as Siskeudes
//! details a kegiatan).

mod budget;
mod codelist;
mod import;
mod perubahan;

pub use budget::{Amounts, Apbdes, Field, Line, LineInput, Problem, ProblemKind, Settings, Totals, check};
pub use codelist::{CodeList, Entry, ListProblem, Origin, SumberDana};
pub use import::{import_rows, looks_pre_2018};
pub use perubahan::{Change, changes};

use serde::Serialize;
use std::fmt;

/// The three account groups of an APBDes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kelompok {
    Pendapatan,
    Belanja,
    Pembiayaan,
}

/// Where pendapatan comes from: the sources domain.md names, by account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SumberPendapatan {
    /// 4.1 Pendapatan Asli Desa.
    Pades,
    /// 4.2.1 Dana Desa.
    DanaDesa,
    /// 4.2.2 bagi hasil pajak dan retribusi kabupaten/kota.
    BagiHasil,
    /// 4.2.3 Alokasi Dana Desa.
    Add,
    /// 4.2.4 bantuan keuangan provinsi.
    BantuanProvinsi,
    /// 4.2.5 bantuan keuangan kabupaten/kota.
    BantuanKabupaten,
    /// 4.3 lain-lain pendapatan.
    LainLain,
}

impl SumberPendapatan {
    pub const ALL: [SumberPendapatan; 7] = [
        SumberPendapatan::Pades,
        SumberPendapatan::DanaDesa,
        SumberPendapatan::BagiHasil,
        SumberPendapatan::Add,
        SumberPendapatan::BantuanProvinsi,
        SumberPendapatan::BantuanKabupaten,
        SumberPendapatan::LainLain,
    ];

    /// The account under which this source is budgeted.
    pub fn akun(self) -> &'static str {
        ["4.1", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5", "4.3"][self as usize]
    }

    pub fn code(self) -> &'static str {
        ["pades", "dana_desa", "bagi_hasil", "add", "bantuan_provinsi", "bantuan_kabupaten", "lain_lain"][self as usize]
    }
}

/// The two directions of pembiayaan, which sit on opposite sides of the
/// balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArahPembiayaan {
    /// 6.1: SiLPA, drawn reserves, sold assets: money in.
    Penerimaan,
    /// 6.2: reserves set aside, capital put into BUMDes: money out.
    Pengeluaran,
}

/// Why a code was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// Not digits separated by dots, or a segment too long.
    Malformed,
    /// A first digit that is no account group (4/5/6; 1/2/3 in a pre-2018
    /// file).
    NotAnAccount,
    /// Not `bidang.subbidang.kegiatan` with bidang 1-5 and a two-digit
    /// kegiatan.
    NotAKegiatan,
}

impl CodeError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            CodeError::Malformed => "apbdes_code_malformed",
            CodeError::NotAnAccount => "apbdes_code_not_an_account",
            CodeError::NotAKegiatan => "apbdes_code_not_a_kegiatan",
        }
    }
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeError::Malformed => "not a code of digits separated by dots",
            CodeError::NotAnAccount => "not an APBDes account (4, 5 or 6)",
            CodeError::NotAKegiatan => "not a kegiatan code bidang.subbidang.kegiatan (e.g. 1.1.01)",
        })
    }
}

impl std::error::Error for CodeError {}

/// The segments of a dotted code, each 1-4 digits, at most six.
fn segments(code: &str) -> Result<Vec<&str>, CodeError> {
    let segs: Vec<&str> = code.trim().split('.').collect();
    if segs.len() > 6 || segs.iter().any(|s| s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit())) {
        return Err(CodeError::Malformed);
    }
    Ok(segs)
}

/// An APBDes account code: `4`, `4.2.1`, `5.2.1.01`, `6.1.1`. Kept in its
/// canonical text (digits as written: `01` and `1` are different accounts in
/// Siskeudes), and always in the 2018 numbering.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Akun(String);

impl Akun {
    /// Reads an account. With `pre_2018`, a first digit 1/2/3 (Permendagri
    /// 113/2014) is mapped to 4/5/6 and 4/5/6 are refused; otherwise only
    /// 4/5/6 are accounts.
    pub fn parse(code: &str, pre_2018: bool) -> Result<Akun, CodeError> {
        let mut segs: Vec<String> = segments(code)?.into_iter().map(str::to_string).collect();
        let mapped = match (segs[0].as_str(), pre_2018) {
            ("4" | "5" | "6", false) => segs[0].clone(),
            ("1", true) => "4".into(),
            ("2", true) => "5".into(),
            ("3", true) => "6".into(),
            _ => return Err(CodeError::NotAnAccount),
        };
        segs[0] = mapped;
        Ok(Akun(segs.join(".")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as a pre-2018 file writes it (`4.2.1` as `1.2.1`): the
    /// inverse of [`Akun::parse`] with `pre_2018`, so lines read from an old
    /// file are stored as given and mapped again when read.
    pub fn pre_2018_code(&self) -> String {
        let (first, rest) = self.0.split_once('.').map_or((self.0.as_str(), None), |(f, r)| (f, Some(r)));
        let old = match first {
            "4" => "1",
            "5" => "2",
            "6" => "3",
            other => other,
        };
        rest.map_or(old.to_string(), |r| format!("{old}.{r}"))
    }

    /// 1 for `4`, 3 for `4.2.1`.
    pub fn level(&self) -> usize {
        self.0.split('.').count()
    }

    pub fn parent(&self) -> Option<Akun> {
        self.0.rsplit_once('.').map(|(p, _)| Akun(p.to_string()))
    }

    /// Whether `self` is `other` or under it (`4.2.1.01` is under `4.2`).
    pub fn is_under(&self, other: &str) -> bool {
        self.0 == other || (self.0.starts_with(other) && self.0.as_bytes().get(other.len()) == Some(&b'.'))
    }

    pub fn kelompok(&self) -> Kelompok {
        match self.0.as_bytes()[0] {
            b'4' => Kelompok::Pendapatan,
            b'5' => Kelompok::Belanja,
            _ => Kelompok::Pembiayaan,
        }
    }

    /// The pendapatan source of the account, if it is under one.
    pub fn sumber(&self) -> Option<SumberPendapatan> {
        SumberPendapatan::ALL.into_iter().find(|s| self.is_under(s.akun()))
    }

    /// Penerimaan (6.1) or pengeluaran (6.2) pembiayaan.
    pub fn arah(&self) -> Option<ArahPembiayaan> {
        if self.is_under("6.1") {
            Some(ArahPembiayaan::Penerimaan)
        } else if self.is_under("6.2") {
            Some(ArahPembiayaan::Pengeluaran)
        } else {
            None
        }
    }
}

impl fmt::Display for Akun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A kegiatan code `bidang.subbidang.kegiatan` (`1.1.01`): bidang 1-5, a
/// sub-bidang number, a two-digit kegiatan number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kegiatan {
    pub bidang: u8,
    pub sub_bidang: u8,
    pub kegiatan: u8,
}

impl Kegiatan {
    pub fn parse(code: &str) -> Result<Kegiatan, CodeError> {
        let segs = segments(code)?;
        let [b, s, k] = segs[..] else { return Err(CodeError::NotAKegiatan) };
        let (bidang, sub_bidang, kegiatan) = (b.parse::<u8>().unwrap_or(0), s.parse::<u8>().unwrap_or(0), k.parse::<u8>().unwrap_or(0));
        if b.len() != 1 || !(1..=5).contains(&bidang) || s.len() > 2 || sub_bidang == 0 || k.len() != 2 || kegiatan == 0 {
            return Err(CodeError::NotAKegiatan);
        }
        Ok(Kegiatan { bidang, sub_bidang, kegiatan })
    }

    /// `1.1`, the sub-bidang's code.
    pub fn sub_bidang_code(&self) -> String {
        format!("{}.{}", self.bidang, self.sub_bidang)
    }
}

impl fmt::Display for Kegiatan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{:02}", self.bidang, self.sub_bidang, self.kegiatan)
    }
}

impl Serialize for Kegiatan {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The names of the five bidang, as domain.md gives them.
pub const BIDANG: [&str; 5] = [
    "Penyelenggaraan Pemerintahan Desa",
    "Pelaksanaan Pembangunan Desa",
    "Pembinaan Kemasyarakatan",
    "Pemberdayaan Masyarakat",
    "Penanggulangan Bencana, Keadaan Darurat dan Mendesak",
];

/// Where a budget line sits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kelompok", rename_all = "snake_case")]
pub enum Pos {
    /// A pendapatan account (4.x).
    Pendapatan { akun: Akun },
    /// Belanja: a kegiatan, with the belanja account (5.x) detailing it if
    /// given. In a pre-2018 file there is no kegiatan code; the account's
    /// second digit is the bidang (Permendagri 113/2014 numbered belanja
    /// 2.1-2.5 by bidang, mapped here to 5.1-5.5).
    Belanja { kegiatan: Option<Kegiatan>, akun: Option<Akun> },
    /// A pembiayaan account (6.x).
    Pembiayaan { akun: Akun },
}

impl Pos {
    pub fn kelompok(&self) -> Kelompok {
        match self {
            Pos::Pendapatan { .. } => Kelompok::Pendapatan,
            Pos::Belanja { .. } => Kelompok::Belanja,
            Pos::Pembiayaan { .. } => Kelompok::Pembiayaan,
        }
    }

    /// The bidang (1-5) of a belanja line.
    pub fn bidang(&self) -> Option<u8> {
        match self {
            Pos::Belanja { kegiatan: Some(k), .. } => Some(k.bidang),
            Pos::Belanja { kegiatan: None, akun: Some(a) } => {
                a.as_str().split('.').nth(1).and_then(|b| b.parse().ok()).filter(|b| (1..=5).contains(b))
            }
            _ => None,
        }
    }

    /// The code shown for the line: the account, or the kegiatan followed by
    /// its account (`1.1.01/5.1.1.01`).
    pub fn code(&self) -> String {
        match self {
            Pos::Pendapatan { akun } | Pos::Pembiayaan { akun } => akun.to_string(),
            Pos::Belanja { kegiatan: Some(k), akun: Some(a) } => format!("{k}/{a}"),
            Pos::Belanja { kegiatan: Some(k), akun: None } => k.to_string(),
            Pos::Belanja { kegiatan: None, akun: Some(a) } => a.to_string(),
            Pos::Belanja { kegiatan: None, akun: None } => String::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::LineInput;

    /// `kode[/akun] | nama | sumber | anggaran | s1 | s2 | alasan`, one line each.
    pub(crate) fn lines(text: &str) -> Vec<LineInput> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(at, l)| {
                let c: Vec<&str> = l.split('|').map(str::trim).collect();
                let get = |i: usize| c.get(i).copied().unwrap_or("").to_string();
                let (kode, akun) = get(0).split_once('/').map(|(k, a)| (k.to_string(), a.to_string())).unwrap_or((get(0), String::new()));
                LineInput {
                    line: at + 1,
                    kode,
                    akun,
                    nama: get(1),
                    sumber: get(2),
                    anggaran: get(3),
                    realisasi_s1: get(4),
                    realisasi_s2: get(5),
                    alasan: get(6),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_know_their_group_and_source() {
        let a = Akun::parse("4.2.1", false).unwrap();
        assert_eq!((a.kelompok(), a.sumber(), a.level()), (Kelompok::Pendapatan, Some(SumberPendapatan::DanaDesa), 3));
        assert_eq!(Akun::parse("4.1.3", false).unwrap().sumber(), Some(SumberPendapatan::Pades));
        assert_eq!(Akun::parse("4.2.3.01", false).unwrap().sumber(), Some(SumberPendapatan::Add));
        assert_eq!(Akun::parse("4.2.4", false).unwrap().sumber(), Some(SumberPendapatan::BantuanProvinsi));
        assert_eq!(Akun::parse("4.2.5", false).unwrap().sumber(), Some(SumberPendapatan::BantuanKabupaten));
        assert_eq!(Akun::parse("4.3", false).unwrap().sumber(), Some(SumberPendapatan::LainLain));
        assert_eq!(Akun::parse("4.2", false).unwrap().sumber(), None);
        // 4.2.10 is not under 4.2.1.
        assert_eq!(Akun::parse("4.2.10", false).unwrap().sumber(), None);
        assert_eq!(Akun::parse("6.1.1", false).unwrap().arah(), Some(ArahPembiayaan::Penerimaan));
        assert_eq!(Akun::parse("6.2.2", false).unwrap().arah(), Some(ArahPembiayaan::Pengeluaran));
        assert_eq!(Akun::parse("5.2.1.01", false).unwrap().parent().unwrap().as_str(), "5.2.1");
    }

    #[test]
    fn pre_2018_accounts_map_back_to_what_the_file_said() {
        for old in ["1", "1.2.1", "2.1.1.01", "3.1.1"] {
            assert_eq!(Akun::parse(old, true).unwrap().pre_2018_code(), old);
        }
    }

    #[test]
    fn pre_2018_accounts_are_mapped() {
        assert_eq!(Akun::parse("1.2.1", true).unwrap().as_str(), "4.2.1");
        assert_eq!(Akun::parse("2.1.1", true).unwrap().as_str(), "5.1.1");
        assert_eq!(Akun::parse("3.1", true).unwrap().arah(), Some(ArahPembiayaan::Penerimaan));
        assert_eq!(Akun::parse("4.2.1", true), Err(CodeError::NotAnAccount));
        assert_eq!(Akun::parse("1.2.1", false), Err(CodeError::NotAnAccount));
        let legacy = Pos::Belanja { kegiatan: None, akun: Some(Akun::parse("2.3.1", true).unwrap()) };
        assert_eq!(legacy.bidang(), Some(3));
    }

    #[test]
    fn kegiatan_codes() {
        let k = Kegiatan::parse("1.1.01").unwrap();
        assert_eq!((k.bidang, k.sub_bidang, k.kegiatan, k.to_string(), k.sub_bidang_code()), (1, 1, 1, "1.1.01".into(), "1.1".into()));
        assert_eq!(Kegiatan::parse("2.10.05").unwrap().to_string(), "2.10.05");
        for bad in ["6.1.01", "1.1.1", "1.1", "1.0.01", "1.1.00", "11.1.01", "1.1.01.1"] {
            assert_eq!(Kegiatan::parse(bad), Err(CodeError::NotAKegiatan), "{bad}");
        }
        assert_eq!(Kegiatan::parse("1.a.01"), Err(CodeError::Malformed));
        assert_eq!(Akun::parse("4..1", false), Err(CodeError::Malformed));
    }
}
