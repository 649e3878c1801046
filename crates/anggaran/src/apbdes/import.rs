//! Siskeudes-style spreadsheet rows (account code, name, amount, funding
//! source, optionally realisation per semester) turned into budget lines.
//!
//! The application reads the CSV or XLSX and passes the rows of cells, the
//! header row among them. The layout is read as Siskeudes prints an APBDes:
//!
//! - titles above the table are skipped: the header is the first of the
//!   top 20 rows naming a code, a name and an amount column (common names
//!   are accepted: "Kode Rekening", "Kd_Rek", "Uraian", "Jumlah (Rp)", ...);
//! - rows without a code ("JUMLAH PENDAPATAN", blank rows) are skipped;
//! - the tree is printed with subtotals: a row is a **header** when rows
//!   below it detail it (`4.2` above `4.2.1`; a kegiatan above the belanja
//!   accounts that follow it; every bidang and sub-bidang row), and only the
//!   other rows become lines; a header's amount, when given, must equal the
//!   sum of its lines;
//! - after the `5` (BELANJA) row, or the first kegiatan code, codes of one
//!   or two numbers are bidang and sub-bidang, `b.s.kk` is a kegiatan, and
//!   `5.x.y...` rows are belanja accounts of the kegiatan above them (taking
//!   its funding source when they give none); `6` starts pembiayaan.
//!
//! Problems come back as [`Problem`]s with the spreadsheet row (from 1) and
//! the column (from 0), all at once; nothing is accepted unless all is well.

use super::budget::{Apbdes, Field, LineInput, Problem, ProblemKind, Settings, check};
use super::{Akun, CodeList, Kegiatan};
use crate::money::Rupiah;
use crate::sheet::{cell, find_header};
use std::collections::HashMap;

const FIELDS: [(Field, &[&str]); 7] = [
    (
        Field::Kode,
        &[
            "kode",
            "kode rekening",
            "kode rek",
            "kd rek",
            "kd rekening",
            "kode akun",
            "kd akun",
            "rekening",
            "no rekening",
            "no rek",
            "kode rincian",
            "kd rincian",
            "kode kegiatan",
            "kd keg",
        ],
    ),
    (Field::Nama, &["uraian", "nama", "nama rekening", "nama akun", "uraian rekening", "nama kegiatan", "uraian kegiatan", "nama rincian"]),
    (Field::Sumber, &["sumber dana", "sumber", "sd", "sumberdana", "kd sumber", "kode sumber", "kode sumber dana"]),
    (Field::Anggaran, &["anggaran", "jumlah", "nilai", "pagu", "jumlah anggaran", "nilai anggaran", "pagu anggaran"]),
    (
        Field::RealisasiS1,
        &["realisasi semester 1", "realisasi semester i", "realisasi s1", "realisasi smt 1", "realisasi smt i", "semester 1", "semester i"],
    ),
    (
        Field::RealisasiS2,
        &[
            "realisasi semester 2",
            "realisasi semester ii",
            "realisasi s2",
            "realisasi smt 2",
            "realisasi smt ii",
            "semester 2",
            "semester ii",
        ],
    ),
    (Field::Alasan, &["alasan", "keterangan", "catatan", "alasan realisasi"]),
];

/// How far down the header is looked for.
const HEADER_ROWS: usize = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Pendapatan,
    Belanja,
    Pembiayaan,
}

/// What a coded row is.
#[derive(Clone, Debug)]
enum Kind {
    /// An account (pendapatan, pembiayaan, the `5` header, or any account
    /// of a pre-2018 file).
    Akun(Akun),
    /// A bidang (`b`) or sub-bidang (`b.s`) heading: `(bidang, sub)`.
    Bidang(u8, Option<u8>),
    Kegiatan(Kegiatan),
    /// A belanja account under the kegiatan row at this index (if any).
    Rincian(Option<usize>, String),
    /// A code that fits nowhere; checked (and refused) as a line.
    Other,
}

struct Row<'a> {
    number: usize,
    cells: &'a [String],
    kind: Kind,
}

/// Turns spreadsheet rows into a checked APBDes.
pub fn import_rows(rows: &[Vec<String>], list: &CodeList, settings: &Settings) -> Result<Apbdes, Vec<Problem>> {
    let required = [Field::Kode, Field::Nama, Field::Anggaran];
    let (header, columns) = find_header(rows, &FIELDS, &required, HEADER_ROWS).map_err(|missing| {
        let kind = ProblemKind::NoHeader { missing: missing.iter().map(|f| f.code()).collect() };
        vec![Problem { line: None, field: None, column: None, kind }]
    })?;
    let column = |field: Field| FIELDS.iter().position(|(f, _)| *f == field).and_then(|at| columns[at]);
    let text = |row: &[String], field: Field| column(field).map(|c| cell(row, c).to_string()).unwrap_or_default();
    let kode_col = column(Field::Kode).unwrap_or_default();

    let coded = classify(rows, header, kode_col, settings);
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    let index = Index::new(&coded);
    let headers = headers(&coded, &index);
    check_subtotals(&coded, &index, &headers, column(Field::Anggaran).unwrap_or_default(), &mut problems);
    for (at, row) in coded.iter().enumerate() {
        if headers[at] {
            continue;
        }
        let code = cell(row.cells, kode_col).to_string();
        let (kode, akun, inherited) = match &row.kind {
            Kind::Rincian(Some(k), account) => {
                (cell(coded[*k].cells, kode_col).to_string(), account.clone(), text(coded[*k].cells, Field::Sumber))
            }
            _ => (code, String::new(), String::new()),
        };
        let sumber = Some(text(row.cells, Field::Sumber)).filter(|s| !s.is_empty()).unwrap_or(inherited);
        inputs.push(LineInput {
            line: row.number,
            kode,
            akun,
            nama: text(row.cells, Field::Nama),
            sumber,
            anggaran: text(row.cells, Field::Anggaran),
            realisasi_s1: text(row.cells, Field::RealisasiS1),
            realisasi_s2: text(row.cells, Field::RealisasiS2),
            alasan: text(row.cells, Field::Alasan),
        });
    }
    if inputs.is_empty() && problems.is_empty() {
        return Err(vec![Problem { line: Some(header + 1), field: None, column: None, kind: ProblemKind::Empty }]);
    }
    let checked = check(&inputs, list, settings);
    let mut all = problems;
    match checked {
        Ok(apbdes) if all.is_empty() => return Ok(apbdes),
        Ok(_) => {}
        Err(more) => all.extend(more),
    }
    for p in &mut all {
        p.column = p.field.and_then(|f| if f == Field::Akun { Some(kode_col) } else { column(f) });
    }
    all.sort_by_key(|p| (p.line.unwrap_or(usize::MAX), p.column));
    Err(all)
}

/// Whether an export uses the accounts of before 2018 (Permendagri
/// 113/2014: 1 pendapatan, 2 belanja, 3 pembiayaan). A Siskeudes export
/// prints pendapatan first, so a file of today opens with a `4` code and
/// an old one with a `1`; a file of today that opens with bidang `1`
/// (belanja only) still has `5` belanja accounts or `6` pembiayaan below,
/// which an old file never has. Without a header this says no, and the
/// import names the missing columns as usual.
pub fn looks_pre_2018(rows: &[Vec<String>]) -> bool {
    let required = [Field::Kode, Field::Nama, Field::Anggaran];
    let Ok((header, columns)) = find_header(rows, &FIELDS, &required, HEADER_ROWS) else { return false };
    let kode_col = columns[0].unwrap_or_default();
    let mut firsts =
        rows.iter().skip(header + 1).map(|r| cell(r, kode_col)).filter(|c| !c.is_empty()).map(|c| c.split('.').next().unwrap_or(""));
    firsts.next() == Some("1") && !firsts.any(|f| f == "5" || f == "6")
}

fn classify<'a>(rows: &'a [Vec<String>], header: usize, kode_col: usize, settings: &Settings) -> Vec<Row<'a>> {
    let mut section = Section::Pendapatan;
    let mut kegiatan: Option<usize> = None;
    let mut out: Vec<Row<'a>> = Vec::new();
    for (at, cells) in rows.iter().enumerate().skip(header + 1) {
        let code = cell(cells, kode_col);
        if code.is_empty() {
            continue;
        }
        let number = at + 1;
        if settings.pre_2018 {
            let kind = Akun::parse(code, true).map(Kind::Akun).unwrap_or(Kind::Other);
            out.push(Row { number, cells, kind });
            continue;
        }
        let first = code.split('.').next().unwrap_or("");
        if first == "6" {
            section = Section::Pembiayaan;
        }
        let as_kegiatan = Kegiatan::parse(code);
        if section == Section::Pendapatan && (code == "5" || as_kegiatan.is_ok()) {
            section = Section::Belanja;
            if code == "5" {
                out.push(Row { number, cells, kind: Kind::Akun(Akun::parse("5", false).unwrap_or_else(|_| unreachable!())) });
                continue;
            }
        }
        let kind = match section {
            Section::Belanja => {
                let segs: Vec<&str> = code.split('.').collect();
                let num = |s: &str| s.parse::<u8>().ok();
                if let Ok(k) = as_kegiatan {
                    kegiatan = Some(out.len());
                    Kind::Kegiatan(k)
                } else if segs.len() <= 2
                    && num(segs[0]).is_some_and(|b| (1..=5).contains(&b))
                    && segs.get(1).is_none_or(|s| num(s).is_some())
                {
                    kegiatan = None;
                    Kind::Bidang(num(segs[0]).unwrap_or_default(), segs.get(1).and_then(|s| num(s)))
                } else if first == "5" {
                    Kind::Rincian(kegiatan, code.to_string())
                } else {
                    Kind::Other
                }
            }
            _ => Akun::parse(code, false).map(Kind::Akun).unwrap_or(Kind::Other),
        };
        out.push(Row { number, cells, kind });
    }
    out
}

/// Where the header rows are: account rows by code, bidang and sub-bidang
/// rows by number.
struct Index<'r> {
    akun: HashMap<&'r str, Vec<usize>>,
    bidang: HashMap<(u8, Option<u8>), Vec<usize>>,
}

impl<'r> Index<'r> {
    fn new(rows: &'r [Row]) -> Index<'r> {
        let mut index = Index { akun: HashMap::new(), bidang: HashMap::new() };
        for (at, row) in rows.iter().enumerate() {
            match &row.kind {
                Kind::Akun(a) => index.akun.entry(a.as_str()).or_default().push(at),
                Kind::Bidang(b, s) => index.bidang.entry((*b, *s)).or_default().push(at),
                _ => {}
            }
        }
        index
    }

    /// The rows that row `leaf` is a part of (its headers, when they are).
    fn above(&self, rows: &[Row], leaf: usize) -> Vec<usize> {
        let rows_of = |code: &str| self.akun.get(code).into_iter().flatten().copied();
        let mut out = Vec::new();
        match &rows[leaf].kind {
            Kind::Akun(a) => {
                for up in std::iter::successors(a.parent(), Akun::parent) {
                    out.extend(rows_of(up.as_str()));
                }
            }
            Kind::Kegiatan(_) | Kind::Rincian(..) => {
                out.extend(rows_of("5"));
                let kegiatan = match &rows[leaf].kind {
                    Kind::Kegiatan(k) => Some(*k),
                    Kind::Rincian(Some(at), _) => {
                        out.push(*at);
                        match &rows[*at].kind {
                            Kind::Kegiatan(k) => Some(*k),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                if let Some(k) = kegiatan {
                    for key in [(k.bidang, None), (k.bidang, Some(k.sub_bidang))] {
                        out.extend(self.bidang.get(&key).into_iter().flatten().copied());
                    }
                }
            }
            Kind::Bidang(..) | Kind::Other => {}
        }
        out
    }
}

/// Which rows are detailed by rows below them, in one pass.
fn headers(rows: &[Row], index: &Index) -> Vec<bool> {
    let mut out = vec![false; rows.len()];
    for (at, row) in rows.iter().enumerate() {
        if matches!(row.kind, Kind::Bidang(..)) {
            out[at] = true;
        }
        if !matches!(row.kind, Kind::Bidang(..) | Kind::Other) {
            for up in index.above(rows, at) {
                out[up] = true;
            }
        }
    }
    out
}

/// Each header's amount, when given, against the sum of the lines under
/// it; a header over a line with an unreadable amount is not compared (the
/// line's own problem says what is wrong).
fn check_subtotals(rows: &[Row], index: &Index, headers: &[bool], amount_col: usize, problems: &mut Vec<Problem>) {
    let mut sums: Vec<Option<Rupiah>> = vec![Some(Rupiah::ZERO); rows.len()];
    for leaf in (0..rows.len()).filter(|&l| !headers[l]) {
        let amount = Rupiah::parse(cell(rows[leaf].cells, amount_col)).ok();
        for up in index.above(rows, leaf) {
            sums[up] = sums[up].zip(amount).and_then(|(s, a)| s.checked_add(a).ok());
        }
    }
    for head in (0..rows.len()).filter(|&h| headers[h]) {
        let given = cell(rows[head].cells, amount_col);
        if given.is_empty() {
            continue;
        }
        match Rupiah::parse(given) {
            Err(e) => problems.push(Problem::at(rows[head].number, Field::Anggaran, ProblemKind::BadAmount { reason: e.code() })),
            Ok(given) => {
                if let Some(sum) = sums[head].filter(|&sum| sum != given) {
                    problems.push(Problem::at(rows[head].number, Field::Anggaran, ProblemKind::Subtotal { given, sum }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apbdes::SumberPendapatan;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines().map(|l| l.trim()).filter(|l| !l.is_empty()).map(|l| l.split(';').map(|c| c.trim().to_string()).collect()).collect()
    }

    const SISKEUDES: &str = "
        PEMERINTAH DESA SUKAMAJU;;;
        ANGGARAN PENDAPATAN DAN BELANJA DESA TAHUN ANGGARAN 2025;;;
        ;;;
        KODE REK.;URAIAN;ANGGARAN (Rp);SUMBER DANA
        4;PENDAPATAN;1.500.000.000;
        4.2;Pendapatan Transfer;1.450.000.000;
        4.2.1;Dana Desa;1.000.000.000;DDS
        4.2.3;Alokasi Dana Desa;450.000.000;ADD
        4.1;Pendapatan Asli Desa;50.000.000;
        4.1.1;Hasil Usaha Desa;50.000.000;PAD
        ;JUMLAH PENDAPATAN;1.500.000.000;
        5;BELANJA;1.500.000.000;
        1;BIDANG PENYELENGGARAN PEMERINTAHAN DESA;500.000.000;
        1.1;Sub Bidang Siltap;500.000.000;
        1.1.01;Penyediaan Penghasilan Tetap Kepala Desa;500.000.000;ADD
        5.1.1.01;Penghasilan Tetap Kepala Desa;400.000.000;
        5.1.1.02;Tunjangan Kepala Desa;100.000.000;
        2;BIDANG PELAKSANAAN PEMBANGUNAN DESA;1.000.000.000;
        2.3.05;Pembangunan Jalan Desa;1.000.000.000;DDS
        ;JUMLAH BELANJA;1.500.000.000;
    ";

    #[test]
    fn reads_a_siskeudes_export() {
        let apbdes = import_rows(&rows(SISKEUDES), &CodeList::embedded(), &Settings::default()).unwrap();
        let got: Vec<_> = apbdes.lines.iter().map(|l| (l.line, l.pos.code(), l.sumber.clone().unwrap_or_default(), l.plan.get())).collect();
        assert_eq!(
            got,
            vec![
                (7, "4.2.1".into(), "DDS".into(), 1_000_000_000),
                (8, "4.2.3".into(), "ADD".into(), 450_000_000),
                (10, "4.1.1".into(), "PAD".into(), 50_000_000),
                (16, "1.1.01/5.1.1.01".into(), "ADD".into(), 400_000_000),
                (17, "1.1.01/5.1.1.02".into(), "ADD".into(), 100_000_000),
                (19, "2.3.05".into(), "DDS".into(), 1_000_000_000),
            ]
        );
        assert_eq!(apbdes.totals.by_source[&SumberPendapatan::Add].plan, Rupiah::new(450_000_000));
        assert_eq!(apbdes.totals.by_bidang[&1].plan, Rupiah::new(500_000_000));
    }

    #[test]
    fn a_wrong_layout_names_the_missing_columns() {
        let problems = import_rows(&rows("Nomor;Uraian;Harga\n1;x;2"), &CodeList::embedded(), &Settings::default()).unwrap_err();
        assert_eq!(problems[0].kind, ProblemKind::NoHeader { missing: vec!["kode", "anggaran"] });
        let problems = import_rows(&rows("Kode;Uraian;Jumlah\n;JUMLAH;0"), &CodeList::embedded(), &Settings::default()).unwrap_err();
        assert_eq!((problems[0].line, problems[0].code()), (Some(1), "apbdes_empty"));
    }

    #[test]
    fn problems_with_row_and_column() {
        let text = SISKEUDES
            .replace("4.2.3;Alokasi Dana Desa;450.000.000;ADD", "4.2.3;Alokasi Dana Desa;450.000.000,75;ADD")
            .replace("5.1.1.02;Tunjangan Kepala Desa;100.000.000;", "5.1.1.02;Tunjangan Kepala Desa;90.000.000;XX")
            .replace("4.1.1;Hasil Usaha Desa", "4.1.9;Hasil Usaha Desa");
        let problems = import_rows(&rows(&text), &CodeList::embedded(), &Settings::default()).unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line.unwrap_or(0), p.column, p.code())).collect();
        assert_eq!(
            got,
            vec![
                (8, Some(2), "apbdes_bad_amount"),
                (10, Some(0), "apbdes_unknown_code"),
                (12, Some(2), "apbdes_subtotal_mismatch"),
                (13, Some(2), "apbdes_subtotal_mismatch"),
                (14, Some(2), "apbdes_subtotal_mismatch"),
                (15, Some(2), "apbdes_subtotal_mismatch"),
                (17, Some(3), "apbdes_unknown_funding_source"),
            ]
        );
        assert_eq!(problems[2].kind, ProblemKind::Subtotal { given: Rupiah::new(1_500_000_000), sum: Rupiah::new(1_490_000_000) });
    }

    #[test]
    fn realisation_columns_and_a_reason() {
        let text = "
            Kode Rekening;Uraian;Jumlah;Sumber;Realisasi Semester I;Realisasi Semester II;Keterangan
            4.2.1;Dana Desa;100.000;DDS;50.000;50.000;
            2.2.01;Posyandu;100.000;DDS;60.000;50.000;harga naik
        ";
        let apbdes = import_rows(&rows(text), &CodeList::embedded(), &Settings::default()).unwrap();
        assert_eq!(apbdes.lines[1].realised, [Some(Rupiah::new(60_000)), Some(Rupiah::new(50_000))]);
        assert_eq!(apbdes.above_plan().count(), 1);
        let problems = import_rows(&rows(&text.replace("harga naik", "")), &CodeList::embedded(), &Settings::default()).unwrap_err();
        assert_eq!((problems[0].line, problems[0].column, problems[0].code()), (Some(3), Some(6), "apbdes_realisation_above_plan"));
    }

    #[test]
    fn a_large_export_reads_quickly() {
        // 2,000 kegiatan with 5 belanja accounts each, headers with subtotals.
        let mut text = String::from(
            "Kode;Uraian;Anggaran;Sumber\n4;PENDAPATAN;10000000;\n4.2.1;Dana Desa;10000000;DDS\n5;BELANJA;10000000;\n2;BIDANG;10000000;\n2.3;SUB;10000000;\n",
        );
        for k in 1..=2000 {
            text.push_str(&format!("2.3.{:02};Kegiatan {k};5000;DDS\n", k % 99 + 1));
            for a in 1..=5 {
                text.push_str(&format!("5.2.{a}.01;Belanja {a};1000;\n"));
            }
        }
        let started = std::time::Instant::now();
        let apbdes = import_rows(&rows(&text), &CodeList::embedded(), &Settings::default()).unwrap();
        assert_eq!(apbdes.lines.len(), 10_001);
        assert_eq!(apbdes.totals.belanja.plan, Rupiah::new(10_000_000));
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    }

    #[test]
    fn a_pre_2018_export_is_recognised() {
        let old =
            "Kode;Uraian;Anggaran\n1;PENDAPATAN;100\n1.2.1;Dana Desa;100\n2;BELANJA;100\n2.1;Bidang;100\n2.1.1;Siltap;100\n3.1.1;SiLPA;0\n";
        assert!(looks_pre_2018(&rows(old)));
        let today = "Kode;Uraian;Anggaran\n4.2.1;Dana Desa;100\n1;Bidang;100\n1.1.01;Siltap;100\n";
        assert!(!looks_pre_2018(&rows(today)));
        // Belanja only, opening with bidang 1: its 5.x accounts say it is of today.
        let belanja = "Judul\nKode;Uraian;Anggaran\n1;Bidang;100\n1.1.01;Siltap;100\n5.1.1.01;Honor;100\n";
        assert!(!looks_pre_2018(&rows(belanja)));
        assert!(!looks_pre_2018(&rows("Kode;Keterangan\n1;x\n")), "no header, no guess");
    }

    #[test]
    fn a_pre_2018_export() {
        let text = "
            Kode;Uraian;Anggaran
            1;PENDAPATAN;100
            1.2.1;Dana Desa;100
            2;BELANJA;100
            2.1;Bidang Pemerintahan;100
            2.1.1;Siltap;100
        ";
        let settings = Settings { pre_2018: true, ..Settings::default() };
        let apbdes = import_rows(&rows(text), &CodeList::embedded(), &settings).unwrap();
        let got: Vec<_> = apbdes.lines.iter().map(|l| (l.line, l.pos.code())).collect();
        assert_eq!(got, vec![(3, "4.2.1".to_string()), (6, "5.1.1".to_string())]);
        assert_eq!(apbdes.totals.by_bidang[&1].plan, Rupiah::new(100));
    }
}
