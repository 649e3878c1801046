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
    for (at, row) in coded.iter().enumerate() {
        if is_header(&coded, at) {
            check_subtotal(&coded, at, column(Field::Anggaran).unwrap_or_default(), &mut problems);
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

/// Whether row `at` is detailed by rows below it.
fn is_header(rows: &[Row], at: usize) -> bool {
    match &rows[at].kind {
        Kind::Bidang(..) => true,
        Kind::Akun(a) => {
            rows.iter().any(|r| matches!(&r.kind, Kind::Akun(b) if b != a && b.is_under(a.as_str())))
                || (a.as_str() == "5" && rows.iter().any(|r| belongs_to_belanja(&r.kind)))
        }
        Kind::Kegiatan(_) => rows.iter().any(|r| matches!(r.kind, Kind::Rincian(Some(k), _) if k == at)),
        Kind::Rincian(..) | Kind::Other => false,
    }
}

fn belongs_to_belanja(kind: &Kind) -> bool {
    matches!(kind, Kind::Kegiatan(_) | Kind::Rincian(..))
}

/// Whether the line in row `leaf` is part of the header row `head`.
fn contains(rows: &[Row], head: usize, leaf: usize) -> bool {
    let kegiatan_of = |at: usize| match &rows[at].kind {
        Kind::Kegiatan(k) => Some(*k),
        Kind::Rincian(Some(k), _) => match &rows[*k].kind {
            Kind::Kegiatan(k) => Some(*k),
            _ => None,
        },
        _ => None,
    };
    match (&rows[head].kind, &rows[leaf].kind) {
        (Kind::Akun(h), Kind::Akun(l)) => l.is_under(h.as_str()),
        (Kind::Akun(h), _) if h.as_str() == "5" => belongs_to_belanja(&rows[leaf].kind),
        (Kind::Kegiatan(_), Kind::Rincian(Some(k), _)) => *k == head,
        (Kind::Bidang(b, s), _) => kegiatan_of(leaf).is_some_and(|k| k.bidang == *b && s.is_none_or(|s| s == k.sub_bidang)),
        _ => false,
    }
}

fn check_subtotal(rows: &[Row], head: usize, amount_col: usize, problems: &mut Vec<Problem>) {
    let given = cell(rows[head].cells, amount_col);
    if given.is_empty() {
        return;
    }
    let given = match Rupiah::parse(given) {
        Ok(given) => given,
        Err(e) => {
            problems.push(Problem::at(rows[head].number, Field::Anggaran, ProblemKind::BadAmount { reason: e.code() }));
            return;
        }
    };
    let mut sum = Rupiah::ZERO;
    for leaf in (0..rows.len()).filter(|&l| !is_header(rows, l) && contains(rows, head, l)) {
        // A leaf's own bad amount is reported on its line.
        let Ok(amount) = Rupiah::parse(cell(rows[leaf].cells, amount_col)) else { return };
        let Ok(next) = sum.checked_add(amount) else { return };
        sum = next;
    }
    if sum != given {
        problems.push(Problem::at(rows[head].number, Field::Anggaran, ProblemKind::Subtotal { given, sum }));
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
