//! The regency budget (APBD) of Permendagri 90/2019: its two code systems as
//! parsed newtypes, lines checked all at once (from the API or from SIPD
//! spreadsheet rows), and the programme tree urusan > bidang > program >
//! kegiatan > sub-kegiatan with exact totals at every level.
//!
//! - [`Rekening`]: the six-level account `5.1.01.01.01.0001` (akun,
//!   kelompok, jenis, objek, rincian objek, sub-rincian objek; digit widths
//!   1, 1, 2, 2, 2, 4).
//! - [`Program`]: `1.02.02.2.01.0001`, urusan (1 digit), bidang urusan (2),
//!   program (2), kegiatan (1 + 2, two segments), sub-kegiatan (4).
//!
//! Assumed where domain.md is silent (and marked so in the tests): the
//! urusan-wide supporting programmes are written with `X` for the urusan and
//! `XX` for the bidang (`X.XX.01.1.01.0001`), as SIPD prints them; 6.1 is
//! penerimaan and 6.2 pengeluaran pembiayaan; realisation columns are the
//! amounts of each quarter, not running totals. Names of the urusan,
//! bidang, programmes and kegiatan are data the slice keeps (not shipped:
//! domain.md gives none) and passes to [`build_tree`].

use crate::money::{MoneyError, Rupiah};
use crate::problem::Coded;
use crate::sheet::{cell, find_header};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Why a code was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// Not dot-separated segments of the widths the level needs.
    Malformed,
    /// Four segments: a kegiatan has two (`2.01`), so `1.02.02.2` is none.
    IncompleteKegiatan,
}

impl CodeError {
    /// A stable key for the message catalogue.
    pub fn code(&self) -> &'static str {
        match self {
            CodeError::Malformed => "apbd_code_malformed",
            CodeError::IncompleteKegiatan => "apbd_code_incomplete_kegiatan",
        }
    }
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeError::Malformed => "not a Permendagri 90/2019 code (segments of the right widths separated by dots)",
            CodeError::IncompleteKegiatan => "a kegiatan code has two segments after the programme (e.g. 2.01)",
        })
    }
}

impl std::error::Error for CodeError {}

/// Checks `code` against segment widths; `wild` lets the first two
/// segments be `X`/`XX`.
fn check_widths(code: &str, widths: &[usize], wild: bool) -> Result<usize, CodeError> {
    let segs: Vec<&str> = code.split('.').collect();
    if segs.len() > widths.len() {
        return Err(CodeError::Malformed);
    }
    for (at, (seg, width)) in segs.iter().zip(widths).enumerate() {
        let wildcard = wild && at < 2 && seg.bytes().all(|b| b == b'X');
        if seg.len() != *width || !(wildcard || seg.bytes().all(|b| b.is_ascii_digit())) {
            return Err(CodeError::Malformed);
        }
    }
    Ok(segs.len())
}

/// The level of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RekeningLevel {
    Akun,
    Kelompok,
    Jenis,
    Objek,
    RincianObjek,
    SubRincianObjek,
}

/// A Permendagri 90/2019 account, any of its six levels.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Rekening(String);

impl Rekening {
    const WIDTHS: [usize; 6] = [1, 1, 2, 2, 2, 4];
    const LEVELS: [RekeningLevel; 6] = [
        RekeningLevel::Akun,
        RekeningLevel::Kelompok,
        RekeningLevel::Jenis,
        RekeningLevel::Objek,
        RekeningLevel::RincianObjek,
        RekeningLevel::SubRincianObjek,
    ];

    pub fn parse(code: &str) -> Result<Rekening, CodeError> {
        let code = code.trim();
        check_widths(code, &Rekening::WIDTHS, false)?;
        Ok(Rekening(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RekeningLevel {
        Rekening::LEVELS[self.0.split('.').count() - 1]
    }

    pub fn parent(&self) -> Option<Rekening> {
        self.0.rsplit_once('.').map(|(p, _)| Rekening(p.to_string()))
    }

    /// The account and its ancestors, from the akun down.
    pub fn path(&self) -> Vec<Rekening> {
        let mut out: Vec<Rekening> = std::iter::successors(Some(self.clone()), Rekening::parent).collect();
        out.reverse();
        out
    }

    /// 4 pendapatan, 5 belanja, 6 pembiayaan (others are not budget lines).
    pub fn akun(&self) -> u8 {
        self.0.as_bytes()[0] - b'0'
    }

    fn is_under(&self, prefix: &str) -> bool {
        self.0 == prefix || (self.0.starts_with(prefix) && self.0.as_bytes().get(prefix.len()) == Some(&b'.'))
    }
}

impl fmt::Display for Rekening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The level of a programme-classification code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgramLevel {
    Urusan,
    Bidang,
    Program,
    Kegiatan,
    SubKegiatan,
}

/// An urusan, bidang urusan, programme, kegiatan or sub-kegiatan code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Program(String);

impl Program {
    const WIDTHS: [usize; 6] = [1, 2, 2, 1, 2, 4];

    pub fn parse(code: &str) -> Result<Program, CodeError> {
        let code = code.trim();
        if check_widths(code, &Program::WIDTHS, true)? == 4 {
            return Err(CodeError::IncompleteKegiatan);
        }
        Ok(Program(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> ProgramLevel {
        match self.0.split('.').count() {
            1 => ProgramLevel::Urusan,
            2 => ProgramLevel::Bidang,
            3 => ProgramLevel::Program,
            5 => ProgramLevel::Kegiatan,
            _ => ProgramLevel::SubKegiatan,
        }
    }

    pub fn parent(&self) -> Option<Program> {
        let drop = if self.level() == ProgramLevel::Kegiatan { 2 } else { 1 };
        let segs: Vec<&str> = self.0.split('.').collect();
        (segs.len() > 1).then(|| Program(segs[..segs.len() - drop].join(".")))
    }

    /// The code and its ancestors, from the urusan down.
    pub fn path(&self) -> Vec<Program> {
        let mut out: Vec<Program> = std::iter::successors(Some(self.clone()), Program::parent).collect();
        out.reverse();
        out
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Plan and realisation per quarter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Quarterly {
    pub plan: Rupiah,
    pub realised: [Rupiah; 4],
}

impl Quarterly {
    fn add(&mut self, other: &Quarterly) -> Result<(), MoneyError> {
        self.plan = self.plan.checked_add(other.plan)?;
        for (a, b) in self.realised.iter_mut().zip(other.realised) {
            *a = a.checked_add(b)?;
        }
        Ok(())
    }

    /// All four quarters.
    pub fn realised_total(&self) -> Rupiah {
        self.realised.iter().copied().sum()
    }

    /// Realised more than planned: shown flagged on the public tree.
    pub fn above_plan(&self) -> bool {
        self.realised_total() > self.plan
    }
}

/// One APBD line as given, every field as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineInput {
    /// Spreadsheet row, or position in the API's list (from 1).
    pub line: usize,
    pub kode_opd: String,
    pub nama_opd: String,
    /// Required on belanja lines, empty on pendapatan and pembiayaan.
    pub sub_kegiatan: String,
    pub nama_sub_kegiatan: String,
    pub rekening: String,
    pub uraian: String,
    pub pagu: String,
    /// Realisation within each quarter; empty until reported.
    pub realisasi: [String; 4],
}

/// A checked APBD line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub line: usize,
    /// The agency (*perangkat daerah*): its code as SIPD writes it (kept as
    /// text) and name.
    pub kode_opd: String,
    pub nama_opd: String,
    pub sub_kegiatan: Option<Program>,
    pub nama_sub_kegiatan: String,
    pub rekening: Rekening,
    pub uraian: String,
    pub amounts: Quarterly,
}

/// The fields of a line, as problems name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    KodeOpd,
    NamaOpd,
    SubKegiatan,
    NamaSubKegiatan,
    Rekening,
    Uraian,
    Pagu,
    RealisasiTw1,
    RealisasiTw2,
    RealisasiTw3,
    RealisasiTw4,
}

impl Field {
    pub fn code(self) -> &'static str {
        [
            "kode_opd",
            "nama_opd",
            "sub_kegiatan",
            "nama_sub_kegiatan",
            "rekening",
            "uraian",
            "pagu",
            "realisasi_tw1",
            "realisasi_tw2",
            "realisasi_tw3",
            "realisasi_tw4",
        ][self as usize]
    }

    const QUARTERS: [Field; 4] = [Field::RealisasiTw1, Field::RealisasiTw2, Field::RealisasiTw3, Field::RealisasiTw4];
}

/// What is wrong with a line or the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ProblemKind {
    BadCode {
        reason: &'static str,
    },
    /// An account that is not 4, 5 or 6, or above the level lines use.
    NotABudgetAccount,
    /// A sub-kegiatan field with a code of another level.
    NotASubKegiatan,
    /// A belanja line without its sub-kegiatan.
    NoSubKegiatan,
    NoAgency,
    BadAmount {
        reason: &'static str,
    },
    Negative,
    Overflow,
    NoHeader {
        missing: Vec<&'static str>,
    },
    Empty,
}

impl Coded for ProblemKind {
    /// A stable key for the message catalogue.
    fn code(&self) -> &'static str {
        match self {
            ProblemKind::BadCode { .. } => "apbd_bad_code",
            ProblemKind::NotABudgetAccount => "apbd_not_a_budget_account",
            ProblemKind::NotASubKegiatan => "apbd_not_a_sub_kegiatan",
            ProblemKind::NoSubKegiatan => "apbd_belanja_without_sub_kegiatan",
            ProblemKind::NoAgency => "apbd_no_agency",
            ProblemKind::BadAmount { .. } => "apbd_bad_amount",
            ProblemKind::Negative => "apbd_negative_amount",
            ProblemKind::Overflow => "apbd_total_overflow",
            ProblemKind::NoHeader { .. } => "apbd_no_header",
            ProblemKind::Empty => "apbd_empty",
        }
    }
}

/// A problem of this module, with where it is.
pub type Problem = crate::problem::Problem<Field, ProblemKind>;

/// Checks lines; every problem at once.
pub fn check(input: &[LineInput]) -> Result<Vec<Line>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut lines = Vec::with_capacity(input.len());
    for raw in input {
        let n = raw.line;
        let before = problems.len();
        if raw.kode_opd.trim().is_empty() && raw.nama_opd.trim().is_empty() {
            problems.push(Problem::at(n, Field::NamaOpd, ProblemKind::NoAgency));
        }
        let rekening = match Rekening::parse(&raw.rekening) {
            Ok(r) if (4..=6).contains(&r.akun()) && r.level() >= RekeningLevel::Jenis => Some(r),
            Ok(_) => {
                problems.push(Problem::at(n, Field::Rekening, ProblemKind::NotABudgetAccount));
                None
            }
            Err(e) => {
                problems.push(Problem::at(n, Field::Rekening, ProblemKind::BadCode { reason: e.code() }));
                None
            }
        };
        let sub = raw.sub_kegiatan.trim();
        let sub_kegiatan = if sub.is_empty() {
            if rekening.as_ref().is_some_and(|r| r.akun() == 5) {
                problems.push(Problem::at(n, Field::SubKegiatan, ProblemKind::NoSubKegiatan));
            }
            None
        } else {
            match Program::parse(sub) {
                Ok(p) if p.level() == ProgramLevel::SubKegiatan => Some(p),
                Ok(_) => {
                    problems.push(Problem::at(n, Field::SubKegiatan, ProblemKind::NotASubKegiatan));
                    None
                }
                Err(e) => {
                    problems.push(Problem::at(n, Field::SubKegiatan, ProblemKind::BadCode { reason: e.code() }));
                    None
                }
            }
        };
        let mut amounts = Quarterly::default();
        let fields = std::iter::once((Field::Pagu, raw.pagu.as_str()))
            .chain(Field::QUARTERS.into_iter().zip(raw.realisasi.iter().map(String::as_str)));
        for (at, (field, text)) in fields.enumerate() {
            if at > 0 && text.trim().is_empty() {
                continue;
            }
            match Rupiah::parse(text) {
                Ok(r) if r.is_negative() => problems.push(Problem::at(n, field, ProblemKind::Negative)),
                Ok(r) if at == 0 => amounts.plan = r,
                Ok(r) => amounts.realised[at - 1] = r,
                Err(e) => problems.push(Problem::at(n, field, ProblemKind::BadAmount { reason: e.code() })),
            }
        }
        if problems.len() > before {
            continue;
        }
        let Some(rekening) = rekening else { continue };
        lines.push(Line {
            line: n,
            kode_opd: raw.kode_opd.trim().to_string(),
            nama_opd: raw.nama_opd.trim().to_string(),
            sub_kegiatan,
            nama_sub_kegiatan: raw.nama_sub_kegiatan.trim().to_string(),
            rekening,
            uraian: raw.uraian.trim().to_string(),
            amounts,
        });
    }
    if problems.is_empty() { Ok(lines) } else { Err(problems) }
}

const FIELDS: [(Field, &[&str]); 11] = [
    (Field::KodeOpd, &["kode skpd", "kode opd", "kd skpd", "kode unit", "kode perangkat daerah", "kode sub unit", "kode sub skpd"]),
    (Field::NamaOpd, &["nama skpd", "skpd", "opd", "nama opd", "perangkat daerah", "nama perangkat daerah", "nama sub skpd", "nama unit"]),
    (Field::SubKegiatan, &["kode sub kegiatan", "kd sub kegiatan", "kode subkegiatan", "kd sub keg", "kode sub keg"]),
    (Field::NamaSubKegiatan, &["nama sub kegiatan", "sub kegiatan", "nama subkegiatan", "uraian sub kegiatan"]),
    (Field::Rekening, &["kode rekening", "kode akun", "kd rek", "kode rek", "kd rekening", "rekening"]),
    (Field::Uraian, &["uraian", "nama rekening", "nama akun", "uraian rekening"]),
    (Field::Pagu, &["pagu", "anggaran", "nilai", "jumlah", "pagu anggaran", "nilai rincian", "total"]),
    (
        Field::RealisasiTw1,
        &["realisasi tw 1", "realisasi tw i", "realisasi triwulan 1", "realisasi triwulan i", "tw 1", "tw i", "triwulan 1", "triwulan i"],
    ),
    (
        Field::RealisasiTw2,
        &[
            "realisasi tw 2",
            "realisasi tw ii",
            "realisasi triwulan 2",
            "realisasi triwulan ii",
            "tw 2",
            "tw ii",
            "triwulan 2",
            "triwulan ii",
        ],
    ),
    (
        Field::RealisasiTw3,
        &[
            "realisasi tw 3",
            "realisasi tw iii",
            "realisasi triwulan 3",
            "realisasi triwulan iii",
            "tw 3",
            "tw iii",
            "triwulan 3",
            "triwulan iii",
        ],
    ),
    (
        Field::RealisasiTw4,
        &[
            "realisasi tw 4",
            "realisasi tw iv",
            "realisasi triwulan 4",
            "realisasi triwulan iv",
            "tw 4",
            "tw iv",
            "triwulan 4",
            "triwulan iv",
        ],
    ),
];

/// Reads SIPD-style rows (one row per line: agency, sub-kegiatan, account,
/// amounts; the header among the top 20 rows, common column names
/// accepted; rows without an account skipped as subtotals) and checks them.
/// Problems carry the row (from 1) and column (from 0).
pub fn import_rows(rows: &[Vec<String>]) -> Result<Vec<Line>, Vec<Problem>> {
    let required = [Field::NamaOpd, Field::Rekening, Field::Pagu];
    let (header, columns) = find_header(rows, &FIELDS, &required, 20).map_err(|missing| {
        let kind = ProblemKind::NoHeader { missing: missing.iter().map(|f| f.code()).collect() };
        vec![Problem::whole(None, kind)]
    })?;
    let text = |row: &[String], field: Field| columns[field as usize].map(|c| cell(row, c).to_string()).unwrap_or_default();
    let rekening_col = columns[Field::Rekening as usize].unwrap_or_default();
    let input: Vec<LineInput> = rows
        .iter()
        .enumerate()
        .skip(header + 1)
        .filter(|(_, row)| !cell(row, rekening_col).is_empty())
        .map(|(at, row)| LineInput {
            line: at + 1,
            kode_opd: text(row, Field::KodeOpd),
            nama_opd: text(row, Field::NamaOpd),
            sub_kegiatan: text(row, Field::SubKegiatan),
            nama_sub_kegiatan: text(row, Field::NamaSubKegiatan),
            rekening: text(row, Field::Rekening),
            uraian: text(row, Field::Uraian),
            pagu: text(row, Field::Pagu),
            realisasi: Field::QUARTERS.map(|q| text(row, q)),
        })
        .collect();
    if input.is_empty() {
        return Err(vec![Problem::whole(Some(header + 1), ProblemKind::Empty)]);
    }
    check(&input).map_err(|mut problems| {
        for p in &mut problems {
            p.column = p.field.and_then(|f| columns[f as usize]);
        }
        problems
    })
}

/// A node of the programme tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    pub code: Program,
    pub level: ProgramLevel,
    /// From the names given to [`build_tree`]; for a sub-kegiatan, else the
    /// name its lines carry.
    pub name: Option<String>,
    pub amounts: Quarterly,
    /// The agencies with lines under this node, by code (or name when the
    /// code is empty).
    pub agencies: Vec<String>,
    pub children: Vec<Node>,
}

/// The APBD as a tree with totals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tree {
    pub pendapatan: Quarterly,
    pub belanja: Quarterly,
    pub penerimaan_pembiayaan: Quarterly,
    pub pengeluaran_pembiayaan: Quarterly,
    /// Totals per agency (all directions), by code or name.
    pub by_agency: BTreeMap<String, Quarterly>,
    /// Belanja by account at every level (`5`, `5.1`, `5.1.01`, ...).
    pub by_rekening: BTreeMap<Rekening, Quarterly>,
    /// Urusan, each with its bidang, programmes, kegiatan and sub-kegiatan.
    pub urusan: Vec<Node>,
}

/// Builds the tree. `names` maps programme codes (any level) to names.
/// Totals are exact; the only error is a sum too large to hold.
pub fn build_tree(lines: &[Line], names: &BTreeMap<Program, String>) -> Result<Tree, MoneyError> {
    let mut tree = Tree::default();
    // Every programme code on the path of a line, with its sum and agencies.
    let mut sums: BTreeMap<Program, (Quarterly, Vec<String>, Option<String>)> = BTreeMap::new();
    for line in lines {
        let agency = if line.kode_opd.is_empty() { line.nama_opd.clone() } else { line.kode_opd.clone() };
        tree.by_agency.entry(agency.clone()).or_default().add(&line.amounts)?;
        match line.rekening.akun() {
            4 => tree.pendapatan.add(&line.amounts)?,
            6 if line.rekening.is_under("6.1") => tree.penerimaan_pembiayaan.add(&line.amounts)?,
            6 => tree.pengeluaran_pembiayaan.add(&line.amounts)?,
            _ => {
                tree.belanja.add(&line.amounts)?;
                for r in line.rekening.path() {
                    tree.by_rekening.entry(r).or_default().add(&line.amounts)?;
                }
            }
        }
        let Some(sub) = &line.sub_kegiatan else { continue };
        for code in sub.path() {
            let is_leaf = &code == sub;
            let entry = sums.entry(code).or_insert_with(|| (Quarterly::default(), Vec::new(), None));
            entry.0.add(&line.amounts)?;
            if !entry.1.contains(&agency) {
                entry.1.push(agency.clone());
            }
            if is_leaf && entry.2.is_none() && !line.nama_sub_kegiatan.is_empty() {
                entry.2 = Some(line.nama_sub_kegiatan.clone());
            }
        }
    }
    // The map is sorted so that a code comes right before its descendants:
    // build the tree with a stack.
    let mut stack: Vec<Node> = Vec::new();
    for (code, (amounts, mut agencies, line_name)) in sums {
        while let Some(top) = stack.last() {
            if is_ancestor(&top.code, &code) {
                break;
            }
            let done = stack.pop().unwrap_or_else(|| unreachable!());
            attach(&mut stack, &mut tree.urusan, done);
        }
        agencies.sort();
        let name = names.get(&code).cloned().or(line_name);
        stack.push(Node { level: code.level(), code, name, amounts, agencies, children: Vec::new() });
    }
    while let Some(done) = stack.pop() {
        attach(&mut stack, &mut tree.urusan, done);
    }
    Ok(tree)
}

/// Whether `a` is above `b` (fixed widths make this a prefix test).
fn is_ancestor(a: &Program, b: &Program) -> bool {
    b.0.len() > a.0.len() && b.0.starts_with(&a.0) && b.0.as_bytes()[a.0.len()] == b'.'
}

fn attach(stack: &mut [Node], roots: &mut Vec<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => roots.push(node),
    }
}

impl Tree {
    /// The node of `code`, at any level.
    pub fn find(&self, code: &Program) -> Option<&Node> {
        let mut nodes = &self.urusan;
        let mut found = None;
        for step in code.path() {
            let node = nodes.iter().find(|n| n.code == step)?;
            nodes = &node.children;
            found = Some(node);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_have_six_levels() {
        let r = Rekening::parse("5.1.01.01.01.0001").unwrap();
        assert_eq!(r.level(), RekeningLevel::SubRincianObjek);
        assert_eq!(r.akun(), 5);
        let path: Vec<_> = r.path().iter().map(|p| (p.to_string(), p.level())).collect();
        assert_eq!(
            path,
            vec![
                ("5".into(), RekeningLevel::Akun),
                ("5.1".into(), RekeningLevel::Kelompok),
                ("5.1.01".into(), RekeningLevel::Jenis),
                ("5.1.01.01".into(), RekeningLevel::Objek),
                ("5.1.01.01.01".into(), RekeningLevel::RincianObjek),
                ("5.1.01.01.01.0001".into(), RekeningLevel::SubRincianObjek),
            ]
        );
        for bad in ["5.1.1.01", "5.1.01.01.01.001", "5.1.01.01.01.0001.01", "", "5..01", "X.1"] {
            assert_eq!(Rekening::parse(bad), Err(CodeError::Malformed), "{bad}");
        }
    }

    #[test]
    fn programme_codes_know_level_and_parent() {
        let p = Program::parse("1.02.02.2.01.0001").unwrap();
        let path: Vec<_> = p.path().iter().map(|p| (p.to_string(), p.level())).collect();
        assert_eq!(
            path,
            vec![
                ("1".into(), ProgramLevel::Urusan),
                ("1.02".into(), ProgramLevel::Bidang),
                ("1.02.02".into(), ProgramLevel::Program),
                ("1.02.02.2.01".into(), ProgramLevel::Kegiatan),
                ("1.02.02.2.01.0001".into(), ProgramLevel::SubKegiatan),
            ]
        );
        assert_eq!(Program::parse("1.02.02.2"), Err(CodeError::IncompleteKegiatan));
        assert_eq!(Program::parse("1.2.02"), Err(CodeError::Malformed));
        // Assumed (SIPD's print): urusan-wide supporting programmes.
        assert_eq!(Program::parse("X.XX.01.1.01.0001").unwrap().parent().unwrap().to_string(), "X.XX.01.1.01");
        assert_eq!(Program::parse("1.XX.01"), Ok(Program("1.XX.01".into())));
        assert!(Program::parse("1.02.XX").is_err());
    }

    fn input(line: usize, opd: &str, sub: &str, rekening: &str, pagu: &str, q: [&str; 4]) -> LineInput {
        LineInput {
            line,
            kode_opd: opd.into(),
            nama_opd: format!("Dinas {opd}"),
            sub_kegiatan: sub.into(),
            nama_sub_kegiatan: format!("Sub {sub}"),
            rekening: rekening.into(),
            uraian: "Belanja".into(),
            pagu: pagu.into(),
            realisasi: q.map(String::from),
        }
    }

    #[test]
    fn a_tree_with_totals_at_every_level() {
        let lines = check(&[
            input(1, "1.02.0.00.0.00.01.0000", "1.02.02.2.01.0001", "5.1.01.01.01.0001", "Rp 1.000.000", ["100.000", "200.000", "", ""]),
            input(2, "1.02.0.00.0.00.01.0000", "1.02.02.2.01.0001", "5.1.02.01.01.0024", "500.000", ["", "", "", "50.000"]),
            input(3, "1.02.0.00.0.00.01.0000", "1.02.02.2.01.0002", "5.2.02.05.01.0001", "2.000.000", ["", "", "", ""]),
            input(4, "1.03.0.00.0.00.01.0000", "1.03.03.2.02.0001", "5.1.02.01.01.0024", "7.000.000", ["", "", "", ""]),
            input(5, "2.07.0.00.0.00.01.0000", "2.07.02.2.01.0003", "5.1.02.01.01.0024", "3.000.000", ["1", "1", "1", "1"]),
            input(6, "5.02.0.00.0.00.01.0000", "", "4.1.01.06.01.0001", "20.000.000", ["5.000.000", "", "", ""]),
            input(7, "5.02.0.00.0.00.01.0000", "", "6.1.01.01.01.0001", "1.000.000", ["", "", "", ""]),
            input(8, "5.02.0.00.0.00.01.0000", "", "6.2.02.01.01.0001", "500.000", ["", "", "", ""]),
        ])
        .unwrap();
        let mut names = BTreeMap::new();
        names.insert(Program::parse("1").unwrap(), "Urusan Pemerintahan Wajib yang Berkaitan dengan Pelayanan Dasar".to_string());
        let tree = build_tree(&lines, &names).unwrap();
        assert_eq!(tree.belanja.plan, Rupiah::new(13_500_000));
        assert_eq!(tree.pendapatan.plan, Rupiah::new(20_000_000));
        assert_eq!(tree.penerimaan_pembiayaan.plan, Rupiah::new(1_000_000));
        assert_eq!(tree.pengeluaran_pembiayaan.plan, Rupiah::new(500_000));
        let codes: Vec<_> = tree.urusan.iter().map(|n| (n.code.to_string(), n.amounts.plan.get())).collect();
        assert_eq!(codes, vec![("1".into(), 10_500_000), ("2".into(), 3_000_000)]);
        let u1 = &tree.urusan[0];
        assert_eq!(u1.name.as_deref(), Some("Urusan Pemerintahan Wajib yang Berkaitan dengan Pelayanan Dasar"));
        assert_eq!(u1.children.len(), 2);
        assert_eq!(u1.agencies, vec!["1.02.0.00.0.00.01.0000".to_string(), "1.03.0.00.0.00.01.0000".into()]);
        let keg = tree.find(&Program::parse("1.02.02.2.01").unwrap()).unwrap();
        assert_eq!((keg.level, keg.amounts.plan.get(), keg.children.len()), (ProgramLevel::Kegiatan, 3_500_000, 2));
        let sub = tree.find(&Program::parse("1.02.02.2.01.0001").unwrap()).unwrap();
        assert_eq!(
            sub.amounts,
            Quarterly {
                plan: Rupiah::new(1_500_000),
                realised: [Rupiah::new(100_000), Rupiah::new(200_000), Rupiah::ZERO, Rupiah::new(50_000)]
            }
        );
        assert_eq!(sub.name.as_deref(), Some("Sub 1.02.02.2.01.0001"));
        assert!(!sub.amounts.above_plan());
        assert!(Quarterly { plan: Rupiah::new(3), realised: [Rupiah::new(1); 4] }.above_plan());
        assert_eq!(tree.by_rekening[&Rekening::parse("5.1.02").unwrap()].plan, Rupiah::new(10_500_000));
        assert_eq!(tree.by_rekening[&Rekening::parse("5").unwrap()].plan, Rupiah::new(13_500_000));
        assert_eq!(tree.by_agency["5.02.0.00.0.00.01.0000"].plan, Rupiah::new(21_500_000));
        assert!(tree.find(&Program::parse("3").unwrap()).is_none());
        // The sum of the urusan is the belanja total, at every level.
        fn sums_up(node: &Node) {
            if !node.children.is_empty() {
                assert_eq!(Rupiah::sum(node.children.iter().map(|c| c.amounts.plan)).unwrap(), node.amounts.plan, "{}", node.code);
                node.children.iter().for_each(sums_up);
            }
        }
        tree.urusan.iter().for_each(sums_up);
    }

    #[test]
    fn every_problem_at_once() {
        let problems = check(&[
            input(1, "", "1.02.02.2.01.0001", "5.1.01", "1", ["", "", "", ""]),
            LineInput { nama_opd: String::new(), ..input(2, "", "1.02.02.2.01.0001", "5.1.01.01.01.0001", "1", ["", "", "", ""]) },
            input(3, "A", "", "5.1.01.01.01.0001", "1", ["", "", "", ""]),
            input(4, "A", "1.02.02", "1.1.01.01.01.0001", "1,5", ["-1", "", "", "x"]),
            input(5, "A", "1.02.02.2.01.0001", "5", "1", ["", "", "", ""]),
        ])
        .unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line.unwrap(), p.field.unwrap().code(), p.code())).collect();
        assert_eq!(
            got,
            vec![
                (2, "nama_opd", "apbd_no_agency"),
                (3, "sub_kegiatan", "apbd_belanja_without_sub_kegiatan"),
                (4, "rekening", "apbd_not_a_budget_account"),
                (4, "sub_kegiatan", "apbd_not_a_sub_kegiatan"),
                (4, "pagu", "apbd_bad_amount"),
                (4, "realisasi_tw1", "apbd_negative_amount"),
                (4, "realisasi_tw4", "apbd_bad_amount"),
                (5, "rekening", "apbd_not_a_budget_account"),
            ]
        );
    }

    #[test]
    fn reads_sipd_rows() {
        let rows: Vec<Vec<String>> = [
            "RINCIAN APBD KABUPATEN BOJONEGORO TAHUN 2025",
            "Kode SKPD;Nama SKPD;Kode Sub Kegiatan;Nama Sub Kegiatan;Kode Rekening;Uraian;Pagu;Realisasi TW I;Realisasi TW II;Realisasi TW III;Realisasi TW IV",
            "1.02.0.00.0.00.01.0000;Dinas Kesehatan;1.02.02.2.01.0001;Pelayanan Kesehatan;5.1.01.01.01.0001;Gaji Pokok;1.000.000;250.000;250.000;;",
            ";;;;;Jumlah;1.000.000;;;;",
            "1.02.0.00.0.00.01.0000;Dinas Kesehatan;1.02.02.2.01.0001;Pelayanan Kesehatan;5.1;Gaji;2.000.000,5;;;;",
        ]
        .iter()
        .map(|r| r.split(';').map(String::from).collect())
        .collect();
        let problems = import_rows(&rows).unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line, p.column, p.code())).collect();
        assert_eq!(got, vec![(Some(5), Some(4), "apbd_not_a_budget_account"), (Some(5), Some(6), "apbd_bad_amount")]);
        let lines = import_rows(&rows[..4]).unwrap();
        assert_eq!((lines.len(), lines[0].line, lines[0].amounts.realised_total()), (1, 3, Rupiah::new(500_000)));
        let problems = import_rows(&rows[..1]).unwrap_err();
        assert_eq!(problems[0].kind, ProblemKind::NoHeader { missing: vec!["nama_opd", "rekening", "pagu"] });
    }
}
