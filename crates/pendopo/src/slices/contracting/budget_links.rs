//! Budget > procurement: which of the region's processes a budget line
//! funds, for the budgets slice's sub-kegiatan page, and the budget line a
//! process names, for the process page's link back.
//!
//! The sub-kegiatan code (Permendagri 90/2019, `1.02.02.2.01.0001`) is
//! carried in `planning.budget.projectID`: OCDS defines it as the
//! identifier of the budget project the process is funded from, while
//! `planning.budget.id` already holds the SiRUP (RUP) package code here,
//! which names the procurement plan, not the budget line.

use serde_json::Value;

use crate::store::{Store, StoreError, escape_like, sql};

/// A process funded by a budget line: what the budget page lists.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Funded {
    pub ocid: String,
    pub title: String,
    pub buyer_name: String,
    pub stage: String,
    pub year: Option<i64>,
    /// The contract's value, whole rupiah, when signed.
    pub contract_value: Option<i64>,
    /// Payments made so far, whole rupiah.
    pub paid: i64,
}

/// The sub-kegiatan code a compiled release names, if any.
pub fn budget_code(compiled: &Value) -> Option<&str> {
    compiled["planning"]["budget"]["projectID"].as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// The region's processes whose `planning.budget.projectID` is `code`
/// (of `year` when given), newest first. The text search narrows the rows;
/// each is confirmed on its parsed compiled release.
pub async fn processes_for_budget(store: &Store, tenant: &str, code: &str, year: Option<i64>) -> Result<Vec<Funded>, StoreError> {
    let pattern = format!("%\"projectID\":\"{}\"%", escape_like(code));
    let rows = store
        .fetch_all(
            sql("SELECT ocid, title, buyer_name, stage, year, contract_value, paid, compiled FROM ocds_processes \
                 WHERE tenant_id = $1 AND compiled LIKE $2 ESCAPE '\\' ORDER BY updated_ms DESC, ocid")
            .bind(tenant)
            .bind(pattern),
        )
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let compiled: Value = serde_json::from_str(&r.get::<String>("compiled")?).unwrap_or(Value::Null);
        let process_year: Option<i64> = r.get("year")?;
        if budget_code(&compiled) != Some(code) || (year.is_some() && process_year.is_some() && process_year != year) {
            continue;
        }
        out.push(Funded {
            ocid: r.get("ocid")?,
            title: r.get("title")?,
            buyer_name: r.get("buyer_name")?,
            stage: r.get("stage")?,
            year: process_year,
            contract_value: r.get::<Option<f64>>("contract_value")?.map(|v| v.round() as i64),
            paid: r.get::<f64>("paid")?.round() as i64,
        });
    }
    Ok(out)
}
