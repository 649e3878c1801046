//! The dashboards' figures: per agency, per kecamatan and per month, how
//! many cases came in, were verified, are in process, were answered, are
//! overdue, their colours on Bojonegoro's board, the median days to the
//! first answer and to the close, and the share closed on time.
//!
//! Counted in the database (grouped queries, no case leaves it), so the
//! figures cost a few small answers whatever the number of cases, and
//! confidential cases count without anything of theirs being read.
//! Medians are over whole days (`floor((answer - filing) / 24 h)`): the
//! durations come back as a histogram of days, from which the median is
//! exact.

use std::collections::BTreeMap;

use kalender::Date;
use layanan::case::{Colour, Stage, State};
use serde::Serialize;

use crate::store::{Store, StoreError, Value, sql_built};

const DAY_MS: i64 = 86_400_000;

/// Which cases: filed in `year` (and `month`), of one agency, in one kecamatan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Filter {
    pub year: i32,
    pub month: Option<u8>,
    /// The organisation's id (the agency holding the case, or the service's
    /// agency while none was dispositioned).
    pub agency_id: Option<String>,
    pub kecamatan: Option<String>,
}

/// How the figures are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Agency,
    Kecamatan,
    Month,
}

/// One line of figures (an agency, a kecamatan, a month, or the total).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Line {
    /// The organisation id, the kecamatan code (empty: not placed) or the
    /// month `YYYY-MM` (shown named, by `dashboard::Named`).
    #[serde(skip)]
    pub key: String,
    pub received: i64,
    pub verified: i64,
    pub in_process: i64,
    pub answered: i64,
    pub closed: i64,
    pub overdue: i64,
    pub red: i64,
    pub yellow: i64,
    pub blue: i64,
    pub median_days_to_first_response: Option<f64>,
    pub median_days_to_close: Option<f64>,
    pub closed_on_time: i64,
    /// Percent of the closed cases closed within the service's resolution days.
    pub on_time_percent: Option<f64>,
    #[serde(skip)]
    first_days: BTreeMap<i64, i64>,
    #[serde(skip)]
    close_days: BTreeMap<i64, i64>,
}

/// Verified and open: at the agency, or back with it (the "in process" figure).
fn in_process(state: State) -> bool {
    matches!(state, State::Verified | State::Dispositioned | State::InProgress | State::Reopened)
}

/// A state whose deadline, once past, makes the case overdue: every stage
/// but the auto-close wait after an answer (the system's, not anyone's delay).
pub fn overdue_in(state: State) -> bool {
    state.stage().is_some_and(|s| s != Stage::AutoClose)
}

/// Closed by the coordinator, the reporter's rating or the auto-close:
/// rejected and merged cases are not "closed" for the medians.
fn closed(state: State) -> bool {
    matches!(state, State::Closed | State::AutoClosed)
}

/// The median of a histogram of whole days.
fn median(histogram: &BTreeMap<i64, i64>) -> Option<f64> {
    let n: i64 = histogram.values().sum();
    if n == 0 {
        return None;
    }
    let at = |i: i64| {
        let mut seen = 0;
        for (days, count) in histogram {
            seen += count;
            if seen > i {
                return *days as f64;
            }
        }
        unreachable!("i is below the total")
    };
    Some(if n % 2 == 1 { at(n / 2) } else { (at(n / 2 - 1) + at(n / 2)) / 2.0 })
}

impl Line {
    fn add(&mut self, other: &Line) {
        for (a, b) in [
            (&mut self.received, other.received),
            (&mut self.verified, other.verified),
            (&mut self.in_process, other.in_process),
            (&mut self.answered, other.answered),
            (&mut self.closed, other.closed),
            (&mut self.overdue, other.overdue),
            (&mut self.red, other.red),
            (&mut self.yellow, other.yellow),
            (&mut self.blue, other.blue),
            (&mut self.closed_on_time, other.closed_on_time),
        ] {
            *a += b;
        }
        for (d, n) in &other.first_days {
            *self.first_days.entry(*d).or_default() += n;
        }
        for (d, n) in &other.close_days {
            *self.close_days.entry(*d).or_default() += n;
        }
    }

    fn finish(&mut self) {
        self.median_days_to_first_response = median(&self.first_days);
        self.median_days_to_close = median(&self.close_days);
        self.on_time_percent = (self.closed > 0).then(|| (1000.0 * self.closed_on_time as f64 / self.closed as f64).round() / 10.0);
    }
}

/// The figures of a filter: lines per asked dimension, and the total.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub total: Line,
    pub agencies: Vec<Line>,
    pub kecamatan: Vec<Line>,
    pub months: Vec<Line>,
}

/// The first millisecond of a month in the region's zone.
fn month_start(year: i32, month: u8, offset_hours: i64) -> i64 {
    let (y, m) = if month > 12 { (year + 1, 1) } else { (year, month) };
    let day = Date::new(y, m, 1).expect("a month's first day").days_since_epoch();
    day * DAY_MS - offset_hours * 3_600_000
}

/// The filter's period: its first millisecond and the one after its last.
pub fn period(f: &Filter, offset_hours: i64) -> (i64, i64) {
    match f.month {
        Some(m) => (month_start(f.year, m, offset_hours), month_start(f.year, m + 1, offset_hours)),
        None => (month_start(f.year, 1, offset_hours), month_start(f.year, 13, offset_hours)),
    }
}

/// The filter as SQL after `WHERE`, with its arguments from `$1`.
fn condition(tenant: &str, f: &Filter, offset_hours: i64) -> (String, Vec<Value>) {
    let (from, to) = period(f, offset_hours);
    let mut text = "c.tenant_id = $1 AND c.created_at >= $2 AND c.created_at < $3".to_string();
    let mut args: Vec<Value> = vec![tenant.into(), from.into(), to.into()];
    if let Some(agency) = &f.agency_id {
        args.push(agency.as_str().into());
        text.push_str(&format!(" AND COALESCE(c.agency_id, s.org_id) = ${}", args.len()));
    }
    if let Some(kec) = &f.kecamatan {
        args.push(kec.as_str().into());
        text.push_str(&format!(" AND c.kecamatan_code = ${}", args.len()));
    }
    (text, args)
}

/// The SQL expression of a dimension's key. Months are told apart by their
/// first milliseconds (numbers of our own, written into the query).
fn key_of(dim: Dim, year: i32, offset_hours: i64) -> String {
    match dim {
        Dim::Agency => "COALESCE(c.agency_id, s.org_id)".into(),
        Dim::Kecamatan => "COALESCE(c.kecamatan_code, '')".into(),
        Dim::Month => {
            let arms: String = (2..=12)
                .map(|m| format!("WHEN c.created_at < {} THEN '{year}-{:02}' ", month_start(year, m, offset_hours), m - 1))
                .collect();
            format!("CASE {arms}ELSE '{year}-12' END")
        }
    }
}

/// The lines of one dimension, by key.
async fn lines(store: &Store, tenant: &str, f: &Filter, dim: Dim, today: Date, offset_hours: i64) -> Result<Vec<Line>, StoreError> {
    let (cond, args) = condition(tenant, f, offset_hours);
    let key = key_of(dim, f.year, offset_hours);
    let today_arg = args.len() + 1;
    let from = "FROM service_cases c JOIN services s ON s.tenant_id = c.tenant_id AND s.id = c.service_id";
    let counts = format!(
        "SELECT {key} AS k, c.state AS st,
            CASE WHEN c.stage_due < ${today_arg} THEN 1 ELSE 0 END AS late,
            CASE WHEN c.verified_on IS NULL THEN 0 ELSE 1 END AS ver,
            CASE WHEN c.first_answer_at IS NULL THEN 0 ELSE 1 END AS ans,
            CASE WHEN c.closed_at <= c.created_at + s.resolution_days * {DAY_MS} THEN 1 ELSE 0 END AS ontime,
            COUNT(*) AS n
         {from} WHERE {cond} GROUP BY 1, 2, 3, 4, 5, 6"
    );
    let mut by_key: BTreeMap<String, Line> = BTreeMap::new();
    let q = sql_built(counts).bind_all(args.clone()).bind(today.to_string());
    for r in store.fetch_all(q).await? {
        let k: String = r.get("k")?;
        let state = State::from_code(&r.get::<String>("st")?).unwrap_or(State::Received);
        let n: i64 = r.get("n")?;
        let line = by_key.entry(k.clone()).or_insert_with(|| Line { key: k, ..Line::default() });
        line.received += n;
        if r.get::<i64>("ver")? == 1 {
            line.verified += n;
        }
        if in_process(state) {
            line.in_process += n;
        }
        if r.get::<i64>("ans")? == 1 {
            line.answered += n;
        }
        if closed(state) {
            line.closed += n;
            if r.get::<i64>("ontime")? == 1 {
                line.closed_on_time += n;
            }
        }
        if overdue_in(state) && r.get::<i64>("late")? == 1 {
            line.overdue += n;
        }
        match state.colour() {
            Some(Colour::Red) => line.red += n,
            Some(Colour::Yellow) => line.yellow += n,
            Some(Colour::Blue) => line.blue += n,
            None => {}
        }
    }
    let closed_states = "'closed', 'auto_closed'";
    let durations = format!(
        "SELECT {key} AS k, 'f' AS m, (c.first_answer_at - c.created_at) / {DAY_MS} AS d, COUNT(*) AS n
         {from} WHERE {cond} AND c.first_answer_at IS NOT NULL GROUP BY 1, 2, 3
         UNION ALL
         SELECT {key} AS k, 'c' AS m, (c.closed_at - c.created_at) / {DAY_MS} AS d, COUNT(*) AS n
         {from} WHERE {cond} AND c.closed_at IS NOT NULL AND c.state IN ({closed_states}) GROUP BY 1, 2, 3"
    );
    for r in store.fetch_all(sql_built(durations).bind_all(args)).await? {
        let k: String = r.get("k")?;
        let Some(line) = by_key.get_mut(&k) else { continue };
        let histogram = if r.get::<String>("m")? == "f" { &mut line.first_days } else { &mut line.close_days };
        *histogram.entry(r.get("d")?).or_default() += r.get::<i64>("n")?;
    }
    Ok(by_key.into_values().collect())
}

/// The figures of `f` as of `today`, broken down by `dims` (the total is
/// always there).
pub async fn compute(store: &Store, tenant: &str, f: &Filter, dims: &[Dim], today: Date, offset_hours: i64) -> Result<Figures, StoreError> {
    let mut out = Figures::default();
    // Every case has one agency: the total is the agencies' sum.
    let agencies = lines(store, tenant, f, Dim::Agency, today, offset_hours).await?;
    for line in &agencies {
        out.total.add(line);
    }
    out.total.finish();
    for dim in dims {
        let mut list = match dim {
            Dim::Agency => agencies.clone(),
            _ => lines(store, tenant, f, *dim, today, offset_hours).await?,
        };
        list.iter_mut().for_each(Line::finish);
        match dim {
            Dim::Agency => out.agencies = list,
            Dim::Kecamatan => out.kecamatan = list,
            Dim::Month => out.months = list,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_whole_days() {
        let h = |pairs: &[(i64, i64)]| pairs.iter().copied().collect::<BTreeMap<i64, i64>>();
        assert_eq!(median(&h(&[])), None);
        assert_eq!(median(&h(&[(3, 1)])), Some(3.0));
        assert_eq!(median(&h(&[(1, 1), (4, 1)])), Some(2.5));
        assert_eq!(median(&h(&[(1, 2), (5, 1), (9, 1)])), Some(3.0));
        assert_eq!(median(&h(&[(0, 3), (7, 1)])), Some(0.0));
    }

    #[test]
    fn months_start_at_midnight_in_the_region() {
        // 2026-01-01 00:00 WIB is 2025-12-31 17:00 UTC.
        assert_eq!(month_start(2026, 1, 7), Date::new(2026, 1, 1).unwrap().days_since_epoch() * DAY_MS - 7 * 3_600_000);
        assert_eq!(month_start(2026, 13, 7), month_start(2027, 1, 7));
    }
}
