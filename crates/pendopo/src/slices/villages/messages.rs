//! The budget and IDM checks' problems in the catalogue's words: where
//! (line, column, field) and what, in Bahasa Indonesia first.

use anggaran::apbdes::{self, ProblemKind};
use anggaran::idm::{OfficialError, ScoreError};

use crate::kernel::msg::Msg;

fn kind_key(kind: &ProblemKind) -> &'static str {
    match kind {
        ProblemKind::BadCode { .. } => "desa.apbdes_bad_code",
        ProblemKind::UnknownCode { .. } => "desa.apbdes_unknown_code",
        ProblemKind::NoSource => "desa.apbdes_pendapatan_without_source",
        ProblemKind::NoDirection => "desa.apbdes_pembiayaan_without_direction",
        ProblemKind::NotABelanjaAccount => "desa.apbdes_not_a_belanja_account",
        ProblemKind::NoKegiatan => "desa.apbdes_belanja_without_kegiatan",
        ProblemKind::UnknownSource { .. } => "desa.apbdes_unknown_funding_source",
        ProblemKind::SourceMismatch { .. } => "desa.apbdes_funding_source_mismatch",
        ProblemKind::NoName => "desa.apbdes_no_name",
        ProblemKind::BadAmount { .. } => "desa.apbdes_bad_amount",
        ProblemKind::Negative => "desa.apbdes_negative_amount",
        ProblemKind::AbovePlan { .. } => "desa.apbdes_realisation_above_plan",
        ProblemKind::Unbalanced { .. } => "desa.apbdes_unbalanced",
        ProblemKind::Overflow => "desa.apbdes_total_overflow",
        ProblemKind::Subtotal { .. } => "desa.apbdes_subtotal_mismatch",
        ProblemKind::NoHeader { .. } => "desa.apbdes_no_header",
        ProblemKind::Empty => "desa.apbdes_empty",
    }
}

/// A reason code of a code or amount (`apbdes_code_malformed`, `money_fraction`).
fn reason(code: &str) -> Msg {
    Msg::new(match code {
        "apbdes_code_malformed" => "desa.reason_code_malformed",
        "apbdes_code_not_an_account" => "desa.reason_code_not_an_account",
        "apbdes_code_not_a_kegiatan" => "desa.reason_code_not_a_kegiatan",
        "money_empty" => "desa.reason_money_empty",
        "money_not_a_number" => "desa.reason_money_not_a_number",
        "money_grouping" => "desa.reason_money_grouping",
        "money_fraction" => "desa.reason_money_fraction",
        _ => "desa.reason_money_overflow",
    })
}

/// What is wrong, without where.
pub fn what(kind: &ProblemKind) -> Msg {
    let m = Msg::new(kind_key(kind));
    match kind {
        ProblemKind::BadCode { reason: r } | ProblemKind::BadAmount { reason: r } => m.arg_msg("reason", reason(r)),
        ProblemKind::UnknownCode { code } => m.arg("code", code),
        ProblemKind::UnknownSource { sumber } => m.arg("sumber", sumber),
        ProblemKind::SourceMismatch { sumber, akun } => m.arg("sumber", sumber).arg("akun", akun),
        ProblemKind::AbovePlan { plan, realised } => m.arg("plan", plan).arg("realised", realised),
        ProblemKind::Unbalanced { income, spending, tolerance } => {
            m.arg("income", income).arg("spending", spending).arg("tolerance", tolerance)
        }
        ProblemKind::Subtotal { given, sum } => m.arg("given", given).arg("sum", sum),
        ProblemKind::NoHeader { missing } => m.arg("missing", missing.join(", ")),
        _ => m,
    }
}

/// A problem with its place: `Baris 3, kolom 4 (anggaran): ...`.
pub fn apbdes_problem(p: &apbdes::Problem) -> Msg {
    let field = p.field.map(|f| f.code()).unwrap_or("");
    let inner = what(&p.kind);
    match (p.line, p.column) {
        (Some(line), Some(column)) => {
            Msg::new("desa.problem_cell").arg("line", line).arg("column", column + 1).arg("field", field).arg_msg("what", inner)
        }
        (Some(line), None) if !field.is_empty() => {
            Msg::new("desa.problem_field").arg("line", line).arg("field", field).arg_msg("what", inner)
        }
        (Some(line), None) => Msg::new("desa.problem_line").arg("line", line).arg_msg("what", inner),
        (None, _) => inner,
    }
}

/// The field an API client's problem is filed under: `lines.3.anggaran`
/// (the line's position from 1), `lines` for the budget as a whole.
pub fn apbdes_field(p: &apbdes::Problem) -> String {
    match (p.line, p.field) {
        (Some(line), Some(f)) => format!("lines.{line}.{}", f.code()),
        (Some(line), None) => format!("lines.{line}"),
        _ => "lines".into(),
    }
}

pub fn idm_score(e: &ScoreError) -> (String, Msg) {
    match e {
        ScoreError::UnknownIndicator { name } => (name.clone(), Msg::new("desa.idm_unknown_indicator").arg("name", name)),
        ScoreError::Duplicate { name } => (name.to_string(), Msg::new("desa.idm_duplicate_indicator").arg("name", name)),
        ScoreError::OutOfRange { name, value } => {
            (name.to_string(), Msg::new("desa.idm_score_out_of_range").arg("name", name).arg("value", value))
        }
        ScoreError::Missing { name } => (name.to_string(), Msg::new("desa.idm_missing_indicator").arg("name", name)),
    }
}

pub fn idm_file(e: &OfficialError) -> Msg {
    match e {
        OfficialError::Json(detail) => Msg::new("desa.idm_file_not_json").arg("detail", detail),
        OfficialError::NoRows => Msg::new("desa.idm_file_no_rows"),
        OfficialError::BadScore { row, value } => Msg::new("desa.idm_file_bad_score").arg("row", row + 1).arg("value", value),
        OfficialError::Scores(list) => {
            let names: Vec<String> = list.iter().map(|e| e.to_string()).collect();
            Msg::new("desa.idm_file_scores").arg("detail", names.join("; "))
        }
        OfficialError::BadSummary { field, value } => Msg::new("desa.idm_file_bad_summary").arg("field", field).arg("value", value),
    }
}
