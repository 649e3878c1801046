//! Writing a year's budget: from a spreadsheet as SIPD exports it (CSV or
//! XLSX, read with `tabular`, every cell as written so `Rp 1.250.000`
//! reaches `anggaran`'s money rules intact) or from the API's JSON lines.
//! Both go through `anggaran::apbd`'s checks, all or nothing: every
//! problem is answered with its line, column and reason, and nothing is
//! stored until every line is sound. Then the version's lines are replaced
//! in one transaction, which also queues the catalogue's refresh.

use anggaran::apbd::{self, Line, LineInput, Problem};
use tabular::{Cell, ColumnType, Options};

use super::repo::{self, Kind, Written};
use crate::kernel::msg::Msg;
use crate::kernel::organizations::{self as orgs, Organization};
use crate::store::{Store, StoreError};

/// A problem as pages and the API show it: where, and why in words.
pub struct Said {
    pub line: Option<usize>,
    /// The spreadsheet's column letter (`A`...) or the JSON field's name.
    pub column: Option<String>,
    pub code: &'static str,
    pub msg: Msg,
}

/// The column letters of a spreadsheet: 0 is `A`, 26 is `AA`.
pub fn column_letter(mut at: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (at % 26) as u8);
        if at < 26 {
            break;
        }
        at = at / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn key_of(code: &str) -> &'static str {
    match code {
        "apbd_bad_code" => "anggaran.e.bad_code",
        "apbd_not_a_budget_account" => "anggaran.e.not_a_budget_account",
        "apbd_not_a_sub_kegiatan" => "anggaran.e.not_a_sub_kegiatan",
        "apbd_belanja_without_sub_kegiatan" => "anggaran.e.no_sub_kegiatan",
        "apbd_no_agency" => "anggaran.e.no_agency",
        "apbd_bad_amount" => "anggaran.e.bad_amount",
        "apbd_negative_amount" => "anggaran.e.negative",
        "apbd_total_overflow" => "anggaran.e.overflow",
        "apbd_no_header" => "anggaran.e.no_header",
        "apbd_empty" => "anggaran.e.empty",
        _ => "anggaran.e.unreadable",
    }
}

/// Words for `anggaran`'s problems. `from_sheet`: columns are letters,
/// else the JSON field names.
pub fn said(problems: &[Problem], from_sheet: bool) -> Vec<Said> {
    problems
        .iter()
        .map(|p| {
            let column = if from_sheet { p.column.map(column_letter) } else { p.field.map(|f| f.code().to_string()) };
            let mut msg = Msg::new(key_of(p.code()));
            if let apbd::ProblemKind::NoHeader { missing } = &p.kind {
                msg = msg.arg("missing", missing.join(", "));
            }
            Said { line: p.line, column, code: p.code(), msg }
        })
        .collect()
}

/// A file `tabular` could not read at all.
fn unreadable(e: &tabular::ImportError) -> Said {
    Said {
        line: Some(e.line as usize),
        column: e.column.clone(),
        code: "unreadable",
        msg: Msg::new("anggaran.e.unreadable").arg("reason", &e.reason),
    }
}

fn text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Text(t) => t.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Num(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Timestamp(ms) => ms.to_string(),
    }
}

/// The file's rows of cells as written, each at its line (the header is
/// line 1; lines the reader skipped are empty rows, so problems name the
/// lines a spreadsheet shows). An XLSX is told apart by content (a zip).
pub fn sheet_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, Said> {
    let options = Options::default();
    let as_written = |schema: &mut tabular::Schema| {
        for c in &mut schema.columns {
            c.ty = ColumnType::Text;
        }
    };
    let mut header: Vec<String> = Vec::new();
    let mut batches = Vec::new();
    let e = |e: tabular::ImportError| unreadable(&e);
    if bytes.starts_with(b"PK\x03\x04") {
        let mut book = tabular::Workbook::open_with(bytes, &options).map_err(e)?;
        let mut schema = book.analyze(&tabular::SheetSelector::First, &options).map_err(e)?;
        as_written(&mut schema);
        header.extend(schema.columns.iter().map(|c| c.original_name.clone()));
        let mut reader = book.reader(&schema).map_err(e)?;
        while let Some(batch) = reader.next_batch(5000).map_err(e)? {
            batches.push(batch);
        }
    } else {
        let mut schema = tabular::analyze_csv(bytes, &options).map_err(e)?;
        as_written(&mut schema);
        header.extend(schema.columns.iter().map(|c| c.original_name.clone()));
        let mut reader = tabular::CsvReader::new(bytes, &schema, None).map_err(e)?;
        while let Some(batch) = reader.next_batch(5000).map_err(e)? {
            batches.push(batch);
        }
    }
    let mut rows: Vec<Vec<String>> = vec![header];
    for batch in batches {
        for (i, r) in batch.rows().enumerate() {
            let line = batch.line(i).map_or(rows.len() + 1, |l| l as usize);
            if rows.len() + 1 < line {
                rows.resize(line - 1, Vec::new());
            }
            rows.push(r.iter().map(text).collect());
        }
    }
    Ok(rows)
}

/// Reads and checks a spreadsheet: its lines, or every problem.
pub fn read_sheet(bytes: &[u8]) -> Result<Vec<Line>, Vec<Said>> {
    let rows = sheet_rows(bytes).map_err(|s| vec![s])?;
    apbd::import_rows(&rows).map_err(|p| said(&p, true))
}

/// One line of the API's JSON: the fields of `anggaran`'s line, amounts as
/// numbers or as text (`"Rp 1.250.000"`).
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct JsonLine {
    #[serde(default)]
    pub kode_opd: String,
    #[serde(default)]
    pub nama_opd: String,
    #[serde(default)]
    pub sub_kegiatan: String,
    #[serde(default)]
    pub nama_sub_kegiatan: String,
    #[serde(default)]
    pub rekening: String,
    #[serde(default)]
    pub uraian: String,
    #[serde(default)]
    pub pagu: serde_json::Value,
    #[serde(default)]
    pub realisasi: [serde_json::Value; 4],
}

fn amount_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks the API's lines (numbered from 1 in their order).
pub fn read_json(lines: &[JsonLine]) -> Result<Vec<Line>, Vec<Said>> {
    let input: Vec<LineInput> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineInput {
            line: i + 1,
            kode_opd: l.kode_opd.clone(),
            nama_opd: l.nama_opd.clone(),
            sub_kegiatan: l.sub_kegiatan.clone(),
            nama_sub_kegiatan: l.nama_sub_kegiatan.clone(),
            rekening: l.rekening.clone(),
            uraian: l.uraian.clone(),
            pagu: amount_text(&l.pagu),
            realisasi: [0, 1, 2, 3].map(|q| amount_text(&l.realisasi[q])),
        })
        .collect();
    if input.is_empty() {
        return Err(said(&[Problem { line: None, field: None, column: None, kind: apbd::ProblemKind::Empty }], false));
    }
    apbd::check(&input).map_err(|p| said(&p, false))
}

/// The organisation a line's agency names: by its name as written (case
/// and spacing aside), or by its slug when SIPD's code is one.
fn matched(agencies: &[Organization], line: &Line) -> Option<String> {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let name = norm(&line.nama_opd);
    agencies.iter().find(|o| norm(&o.name) == name || (!line.kode_opd.is_empty() && o.slug == line.kode_opd)).map(|o| o.id.clone())
}

/// Stores checked lines as the year's version, replacing it, and queues the
/// catalogue's refresh in the same transaction.
pub struct Target<'a> {
    pub year: i32,
    pub kind: Kind,
    pub source: &'a str,
    pub user_id: &'a str,
    /// Programme names given with the lines (the API's `names`).
    pub names: &'a [(anggaran::apbd::Program, String)],
}

pub async fn store(store: &Store, tenant: &str, t: &Target<'_>, lines: &[Line]) -> Result<i64, StoreError> {
    let Target { year, kind, source, user_id, names } = *t;
    let agencies = orgs::list(store, tenant).await?;
    let org_ids: Vec<Option<String>> = lines.iter().map(|l| matched(&agencies, l)).collect();
    let mut tx = store.begin().await?;
    repo::put_names(&mut tx, tenant, year, names).await?;
    let revision = repo::replace(&mut tx, tenant, &Written { year, kind, source, user_id, org_ids: &org_ids }, lines).await?;
    super::datasets::changed(&mut tx, tenant, year, store.now_ms()).await?;
    tx.commit().await?;
    tracing::info!(year, kind = kind.code(), lines = lines.len(), revision, "APBD stored");
    Ok(revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!([0, 6, 25, 26, 27, 701, 702].map(column_letter), ["A", "G", "Z", "AA", "AB", "ZZ", "AAA"]);
    }
}
