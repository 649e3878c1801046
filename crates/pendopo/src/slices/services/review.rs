//! The weekly review (`/layanan/rekap`) for the Friday meeting: the cases
//! past their deadline, per agency, with how late each is in the stage's own
//! unit (working days, calendar days for the resolution). It is public, as
//! the overdue flags are: public cases by number, service and stage only;
//! confidential ones as a count per agency, nothing of theirs shown. Printed,
//! it is the document alone on A4.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use layanan::case::State;
use serde::Serialize;

use super::cases;
use super::dashboard::Names;
use super::figures::overdue_in;
use crate::store::sql_built;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

#[derive(Serialize)]
struct Row {
    number: String,
    service: String,
    state: &'static str,
    stage: &'static str,
    due: String,
    days_late: i64,
    /// Working days (else calendar days).
    working_days: bool,
}

#[derive(Serialize, Default)]
struct Agency {
    name: String,
    rows: Vec<Row>,
    confidential: i64,
    /// Overdue cases in all.
    late: i64,
    /// Public overdue cases beyond the rows listed.
    more: usize,
}

/// Cases listed per agency, the latest first; a page of a regency with
/// thousands overdue stays printable.
const ROWS_PER_AGENCY: usize = 30;

/// The states a case can be late in.
fn late_states() -> Vec<State> {
    State::ALL.iter().copied().filter(|s| overdue_in(*s)).collect()
}

/// Confidential overdue cases per agency: a count, nothing read of them.
async fn confidential_counts(ctx: &Ctx, states: &[State]) -> AppResult<Vec<(String, i64)>> {
    let marks: Vec<String> = (3..states.len() + 3).map(|n| format!("${n}")).collect();
    let q = sql_built(format!(
        "SELECT COALESCE(c.agency_id, s.org_id) AS agency_id, COUNT(*) AS n
         FROM service_cases c JOIN services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id
         WHERE c.tenant_id = $1 AND c.confidential = 1 AND c.stage_due < $2 AND c.state IN ({}) GROUP BY 1",
        marks.join(", ")
    ))
    .bind(&ctx.tenant.id)
    .bind(ctx.today().to_string())
    .bind_all(states.iter().map(|s| crate::store::Value::from(s.code())));
    Ok(ctx
        .app
        .store
        .fetch_all(q)
        .await?
        .iter()
        .map(|r| Ok((r.get("agency_id")?, r.get("n")?)))
        .collect::<Result<_, crate::store::StoreError>>()?)
}

/// `/layanan/rekap`: overdue cases per agency, the latest first.
pub async fn page(ctx: Ctx) -> AppResult<Response> {
    let (store, tenant, today) = (&ctx.app.store, &ctx.tenant.id, ctx.today());
    let states = late_states();
    let calendar = crate::kernel::holidays::calendar(store, tenant).await?;
    let names = Names::of(store, tenant).await?;
    let mut agencies: BTreeMap<String, Agency> = BTreeMap::new();
    let name_of = |id: &str| names.agencies.get(id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_string());
    for late in cases::late(store, tenant, &states, today).await? {
        let Some(stage) = late.state.stage() else { continue };
        let agency =
            agencies.entry(late.agency_id.clone()).or_insert_with(|| Agency { name: name_of(&late.agency_id), ..Agency::default() });
        agency.rows.push(Row {
            number: late.number,
            service: late.service_name,
            state: late.state.code(),
            stage: stage_code(stage),
            due: late.stage_due.to_string(),
            days_late: stage.late_by(late.stage_due, today, &calendar),
            working_days: stage != layanan::case::Stage::Resolution,
        });
    }
    for (id, n) in confidential_counts(&ctx, &states).await? {
        agencies.entry(id.clone()).or_insert_with(|| Agency { name: name_of(&id), ..Agency::default() }).confidential = n;
    }
    let mut list: Vec<Agency> = agencies.into_values().collect();
    for a in &mut list {
        a.late = a.rows.len() as i64 + a.confidential;
        a.rows.sort_by(|x, y| y.days_late.cmp(&x.days_late).then_with(|| x.number.cmp(&y.number)));
        // A meeting reads the latest few; the rest are counted.
        a.more = a.rows.len().saturating_sub(ROWS_PER_AGENCY);
        a.rows.truncate(ROWS_PER_AGENCY);
    }
    // The agencies with the most overdue cases first.
    list.sort_by(|a, b| b.late.cmp(&a.late).then_with(|| a.name.cmp(&b.name)));
    let total: i64 = list.iter().map(|a| a.late).sum();
    let page = minijinja::context! { agencies => list, total, today => today.to_string() };
    Ok(ctx.render("services/review.html", page)?.into_response())
}

fn stage_code(stage: layanan::case::Stage) -> &'static str {
    use layanan::case::Stage;
    match stage {
        Stage::Verify => "verify",
        Stage::FollowUp => "follow_up",
        Stage::Resolution => "resolution",
        Stage::AutoClose => "auto_close",
    }
}
