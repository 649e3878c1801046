//! Every statement the pages, feeds, forms and the demo of open contracting
//! run over its tables (`ocds_releases`, `ocds_processes`, `ocds_flags`,
//! `ocds_reports`): the handlers ask here and hold no SQL. Storing releases
//! is `import`'s, keeping the summaries and flags `index`'s.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Row, Sql, Store, StoreError, Value as Arg, sql, sql_built};

type Result<T> = std::result::Result<T, StoreError>;

/// A statement built from filters, with its arguments.
fn built(text: String, args: Vec<Arg>) -> Sql {
    sql_built(text).bind_all(args)
}

fn column<T: crate::store::FromValue>(rows: &[Row]) -> Result<Vec<T>> {
    rows.iter().map(|r| r.at(0)).collect()
}

// Releases.

/// Releases stored after `cursor` (the storage order) and published by
/// Pendopo (stored: `created_at`) at or after `since_ms`, whatever date
/// they carry, so a back-dated release still reaches an incremental crawl;
/// at most `limit`: (storage number, release JSON).
pub async fn releases_after(store: &Store, tenant: &str, cursor: i64, since_ms: i64, limit: i64) -> Result<Vec<(i64, String)>> {
    let rows = store
        .fetch_all(
            sql("SELECT seq, data FROM ocds_releases WHERE tenant_id = $1 AND seq > $2 AND created_at >= $3 ORDER BY seq LIMIT $4")
                .bind(tenant)
                .bind(cursor)
                .bind(since_ms)
                .bind(limit),
        )
        .await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?))).collect()
}

/// The cursor of the page before the one that follows `cursor`: the
/// storage number just before the `limit` releases (published since
/// `since_ms`) that end at `cursor`; 0 when they are the first.
pub async fn cursor_before(store: &Store, tenant: &str, cursor: i64, since_ms: i64, limit: i64) -> Result<i64> {
    let rows = store
        .fetch_all(
            sql("SELECT seq FROM ocds_releases WHERE tenant_id = $1 AND seq <= $2 AND created_at >= $3 ORDER BY seq DESC LIMIT $4")
                .bind(tenant)
                .bind(cursor)
                .bind(since_ms)
                .bind(limit + 1),
        )
        .await?;
    let seqs: Vec<i64> = column(&rows)?;
    Ok(seqs.get(limit as usize).copied().unwrap_or(0))
}

/// A process's releases (JSON), in date order.
pub async fn releases_of(store: &Store, tenant: &str, ocid: &str) -> Result<Vec<String>> {
    let rows = store
        .fetch_all(sql("SELECT data FROM ocds_releases WHERE tenant_id = $1 AND ocid = $2 ORDER BY date_ms, seq").bind(tenant).bind(ocid))
        .await?;
    column(&rows)
}

/// One release (JSON).
pub async fn release(store: &Store, tenant: &str, ocid: &str, release_id: &str) -> Result<Option<String>> {
    let row = store
        .fetch_optional(
            sql("SELECT data FROM ocds_releases WHERE tenant_id = $1 AND ocid = $2 AND release_id = $3")
                .bind(tenant)
                .bind(ocid)
                .bind(release_id),
        )
        .await?;
    row.map(|r| r.at(0)).transpose()
}

pub async fn release_count(store: &Store, tenant: &str, ocid: &str) -> Result<i64> {
    store.fetch_scalar(sql("SELECT COUNT(*) FROM ocds_releases WHERE tenant_id = $1 AND ocid = $2").bind(tenant).bind(ocid)).await
}

/// The ocids with releases after `after`, in order, at most `limit`.
pub async fn ocids_after(store: &Store, tenant: &str, after: &str, limit: i64) -> Result<Vec<String>> {
    let rows = store
        .fetch_all(
            sql("SELECT DISTINCT ocid FROM ocds_releases WHERE tenant_id = $1 AND ocid > $2 ORDER BY ocid LIMIT $3")
                .bind(tenant)
                .bind(after)
                .bind(limit),
        )
        .await?;
    column(&rows)
}

/// One release in a process's history.
#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    pub id: String,
    /// The day (`YYYY-MM-DD`).
    pub date: String,
    pub tags: Vec<String>,
}

pub async fn timeline(store: &Store, tenant: &str, ocid: &str) -> Result<Vec<TimelineEntry>> {
    let rows = store
        .fetch_all(
            sql("SELECT release_id, date, tags FROM ocds_releases WHERE tenant_id = $1 AND ocid = $2 ORDER BY date_ms, seq")
                .bind(tenant)
                .bind(ocid),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TimelineEntry {
                id: r.at(0)?,
                date: r.at::<String>(1)?.chars().take(10).collect(),
                tags: r.at::<String>(2)?.split(' ').map(str::to_string).collect(),
            })
        })
        .collect()
}

// Processes.

/// A process's compiled release.
pub async fn compiled(store: &Store, tenant: &str, ocid: &str) -> Result<Option<Value>> {
    let row =
        store.fetch_optional(sql("SELECT compiled FROM ocds_processes WHERE tenant_id = $1 AND ocid = $2").bind(tenant).bind(ocid)).await?;
    match row {
        Some(r) => {
            serde_json::from_str(&r.at::<String>(0)?).map(Some).map_err(|e| StoreError::Other(format!("compiled release of {ocid}: {e}")))
        }
        None => Ok(None),
    }
}

/// The buying agency's slug, or `None` when there is no such process.
pub async fn buyer_of(store: &Store, tenant: &str, ocid: &str) -> Result<Option<String>> {
    let row =
        store.fetch_optional(sql("SELECT buyer_id FROM ocds_processes WHERE tenant_id = $1 AND ocid = $2").bind(tenant).bind(ocid)).await?;
    row.map(|r| r.at(0)).transpose()
}

/// The value a process is filtered and ranked by: the contract's, else the
/// award's, else the HPS, else the budget.
const VALUE: &str = "COALESCE(contract_value, award_value, tender_value, budget)";

/// The filters of the process list and its map, as the query string gives them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub buyer: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub flag: String,
    /// Rupiah, as typed (`1.000.000.000` or `1000000000`).
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub max: String,
    pub page: Option<i64>,
}

impl Filters {
    /// The same filters, on the first page (for links that keep them).
    pub fn without_page(&self) -> Filters {
        Filters { page: None, ..self.clone() }
    }

    /// `WHERE` conditions and their arguments.
    fn conditions(&self, tenant: &str) -> (String, Vec<Arg>) {
        let mut args: Vec<Arg> = vec![tenant.into()];
        let mut sql = String::from("tenant_id = $1");
        let mut add = |cond: &str, v: Arg| {
            args.push(v);
            sql.push_str(&format!(" AND {}", cond.replace('?', &format!("${}", args.len()))));
        };
        if !self.q.trim().is_empty() {
            let like = format!("%{}%", self.q.trim().to_lowercase().replace(['%', '_'], ""));
            add("LOWER(title || ' ' || supplier_names) LIKE ?", like.into());
        }
        for (value, cond) in [
            (&self.buyer, "buyer_id = ?"),
            (&self.method, "method_details = ?"),
            (&self.category, "category = ?"),
            (&self.stage, "stage = ?"),
        ] {
            if !value.is_empty() {
                add(cond, value.clone().into());
            }
        }
        if let Ok(y) = self.year.parse::<i64>() {
            add("year = ?", y.into());
        }
        if let Some(v) = super::csv_rows::parse_rupiah(&self.min) {
            add(&format!("{VALUE} >= ?"), v.into());
        }
        if let Some(v) = super::csv_rows::parse_rupiah(&self.max) {
            add(&format!("{VALUE} <= ?"), v.into());
        }
        if !self.flag.is_empty() {
            add(
                "ocid IN (SELECT subject FROM ocds_flags f WHERE f.tenant_id = $1 AND f.kind = 'OCID' AND f.code = ?)",
                self.flag.clone().into(),
            );
        }
        (sql, args)
    }
}

/// A process as the list shows it.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub ocid: String,
    pub title: String,
    pub buyer_name: String,
    pub method_details: String,
    pub year: Option<i64>,
    pub stage: String,
    /// Rupiah (see [`VALUE`]).
    pub value: Option<i64>,
    pub flag_count: i64,
    #[serde(skip)]
    pub place: Option<(f64, f64)>,
}

/// How many processes match.
pub async fn count(store: &Store, tenant: &str, f: &Filters) -> Result<i64> {
    let (cond, args) = f.conditions(tenant);
    store.fetch_scalar(built(format!("SELECT COUNT(*) FROM ocds_processes WHERE {cond}"), args)).await
}

/// Page `page` (from 1) of the matches, `per_page` a page, latest changes first.
pub async fn list(store: &Store, tenant: &str, f: &Filters, page: i64, per_page: i64) -> Result<Vec<Listed>> {
    let (cond, args) = f.conditions(tenant);
    let offset = (page.max(1) - 1) * per_page;
    let rows = store
        .fetch_all(built(
            format!(
                "SELECT ocid, title, buyer_name, method_details, year, stage, {VALUE}, flag_count, lat, lon FROM ocds_processes WHERE {cond}
                 ORDER BY updated_ms DESC, ocid LIMIT {per_page} OFFSET {offset}"
            ),
            args,
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Listed {
                ocid: r.at(0)?,
                title: r.at(1)?,
                buyer_name: r.at(2)?,
                method_details: r.at(3)?,
                year: r.at(4)?,
                stage: r.at(5)?,
                value: r.at::<Option<f64>>(6)?.map(|v| v.round() as i64),
                flag_count: r.at(7)?,
                place: r.at::<Option<f64>>(8)?.zip(r.at::<Option<f64>>(9)?),
            })
        })
        .collect()
}

/// A matching process with a place.
pub struct Point {
    pub ocid: String,
    pub lat: f64,
    pub lon: f64,
    pub flagged: bool,
}

/// How many matches have a place, and up to `limit` of them, flagged first.
pub async fn located(store: &Store, tenant: &str, f: &Filters, limit: i64) -> Result<(i64, Vec<Point>)> {
    let (cond, args) = f.conditions(tenant);
    let count =
        store.fetch_scalar(built(format!("SELECT COUNT(*) FROM ocds_processes WHERE {cond} AND lat IS NOT NULL"), args.clone())).await?;
    let rows = store
        .fetch_all(built(
            format!(
                "SELECT ocid, lat, lon, flag_count FROM ocds_processes WHERE {cond} AND lat IS NOT NULL
                 ORDER BY flag_count DESC, updated_ms DESC LIMIT {limit}"
            ),
            args,
        ))
        .await?;
    let points = rows
        .iter()
        .map(|r| Ok(Point { ocid: r.at(0)?, lat: r.at(1)?, lon: r.at(2)?, flagged: r.at::<i64>(3)? > 0 }))
        .collect::<Result<_>>()?;
    Ok((count, points))
}

/// What the list's filters offer: the buyers (slug, name), the years, the
/// flag codes raised.
#[derive(Debug, Serialize)]
pub struct Choices {
    pub buyers: Vec<(String, String)>,
    pub years: Vec<i64>,
    pub flags: Vec<String>,
}

pub async fn choices(store: &Store, tenant: &str) -> Result<Choices> {
    let buyers = store
        .fetch_all(sql("SELECT DISTINCT buyer_id, buyer_name FROM ocds_processes WHERE tenant_id = $1 ORDER BY buyer_name").bind(tenant))
        .await?;
    let years = store
        .fetch_all(
            sql("SELECT DISTINCT year FROM ocds_processes WHERE tenant_id = $1 AND year IS NOT NULL ORDER BY year DESC").bind(tenant),
        )
        .await?;
    let flags = store
        .fetch_all(sql("SELECT DISTINCT code FROM ocds_flags WHERE tenant_id = $1 AND kind = 'OCID' ORDER BY code").bind(tenant))
        .await?;
    Ok(Choices {
        buyers: buyers.iter().map(|r| Ok((r.at(0)?, r.at(1)?))).collect::<Result<_>>()?,
        years: column(&years)?,
        flags: column(&flags)?,
    })
}

// The dashboard.

/// The condition for one year or all, on columns of `ocds_processes` named
/// with `prefix` (`""` or `"p."`).
fn in_year(tenant: &str, year: Option<i64>, prefix: &str) -> (String, Vec<Arg>) {
    match year {
        Some(y) => (format!("{prefix}tenant_id = $1 AND {prefix}year = $2"), vec![tenant.into(), y.into()]),
        None => (format!("{prefix}tenant_id = $1"), vec![tenant.into()]),
    }
}

/// What spending is grouped by.
#[derive(Debug, Clone, Copy)]
pub enum By {
    Buyer,
    Method,
}

/// Spending per buyer or per method: key, label, processes and contract
/// value, largest first.
pub async fn spending(store: &Store, tenant: &str, year: Option<i64>, by: By) -> Result<Vec<(String, String, i64, f64)>> {
    let (key, label) = match by {
        By::Buyer => ("buyer_id", "buyer_name"),
        By::Method => ("method_details", "method_details"),
    };
    let (cond, args) = in_year(tenant, year, "");
    let rows = store
        .fetch_all(built(
            format!(
                "SELECT {key}, {label}, COUNT(*), COALESCE(SUM(contract_value), 0) FROM ocds_processes WHERE {cond}
                 GROUP BY {key}, {label} ORDER BY 4 DESC, 2"
            ),
            args,
        ))
        .await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?, r.at(2)?, r.at(3)?))).collect()
}

/// Direct procurement (*penunjukan langsung*): processes and contract value.
pub async fn direct(store: &Store, tenant: &str, year: Option<i64>) -> Result<(i64, f64)> {
    let (cond, args) = in_year(tenant, year, "");
    let row = store
        .fetch_one(built(
            format!("SELECT COUNT(*), COALESCE(SUM(contract_value), 0) FROM ocds_processes WHERE {cond} AND method = 'direct'"),
            args,
        ))
        .await?;
    Ok((row.at(0)?, row.at(1)?))
}

/// Per year: processes, and how many have a flag.
pub async fn flagged_per_year(store: &Store, tenant: &str) -> Result<Vec<(i64, i64, i64)>> {
    let rows = store
        .fetch_all(
            sql("SELECT year, COUNT(*), SUM(CASE WHEN flag_count > 0 THEN 1 ELSE 0 END) FROM ocds_processes
                 WHERE tenant_id = $1 AND year IS NOT NULL GROUP BY year ORDER BY year")
            .bind(tenant),
        )
        .await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?, r.at(2)?))).collect()
}

/// How many processes each flag code marks, most first.
pub async fn flag_counts(store: &Store, tenant: &str, year: Option<i64>) -> Result<Vec<(String, i64)>> {
    let (cond, args) = in_year(tenant, year, "p.");
    let rows = store
        .fetch_all(built(
            format!(
                "SELECT f.code, COUNT(*) FROM ocds_flags f JOIN ocds_processes p ON p.tenant_id = f.tenant_id AND p.ocid = f.subject
                 WHERE f.kind = 'OCID' AND {cond} GROUP BY f.code ORDER BY 2 DESC, 1"
            ),
            args,
        ))
        .await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?))).collect()
}

// Monitoring reports.

/// A report as stored. `contact` is for the agency's officers only.
pub struct Report {
    pub id: String,
    pub body: String,
    /// The photo's file id and name.
    pub photo: Option<(String, String)>,
    pub place: Option<(f64, f64)>,
    pub created_at: i64,
    pub answer: Option<String>,
    pub answered_at: Option<i64>,
    pub contact: String,
}

/// A process's reports, oldest first.
pub async fn reports_of(store: &Store, tenant: &str, ocid: &str) -> Result<Vec<Report>> {
    let rows = store
        .fetch_all(
            sql("SELECT r.id, r.body, r.photo_id, f.filename, r.lat, r.lon, r.created_at, r.answer, r.answered_at, r.contact
                 FROM ocds_reports r LEFT JOIN ocds_files f ON f.tenant_id = r.tenant_id AND f.id = r.photo_id
                 WHERE r.tenant_id = $1 AND r.ocid = $2 ORDER BY r.created_at")
            .bind(tenant)
            .bind(ocid),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Report {
                id: r.at(0)?,
                body: r.at(1)?,
                photo: r.at::<Option<String>>(2)?.zip(r.at::<Option<String>>(3)?),
                place: r.at::<Option<f64>>(4)?.zip(r.at::<Option<f64>>(5)?),
                created_at: r.at(6)?,
                answer: r.at(7)?,
                answered_at: r.at(8)?,
                contact: r.at(9)?,
            })
        })
        .collect()
}

/// How many reports one sender (a digest) made since `since_ms`.
pub async fn reports_by_sender(store: &Store, tenant: &str, sender: &str, since_ms: i64) -> Result<i64> {
    store
        .fetch_scalar(
            sql("SELECT count(*) FROM ocds_reports WHERE tenant_id = $1 AND sender = $2 AND created_at > $3")
                .bind(tenant)
                .bind(sender)
                .bind(since_ms),
        )
        .await
}

/// A report to store.
pub struct NewReport<'a> {
    pub ocid: &'a str,
    pub body: &'a str,
    pub photo_id: Option<String>,
    pub place: Option<(f64, f64)>,
    pub contact: &'a str,
    /// The sender's digest, for the throttle (empty for the demo's).
    pub sender: &'a str,
}

/// Stores a report; returns its id.
pub async fn add_report(store: &Store, tenant: &str, r: &NewReport<'_>) -> Result<String> {
    let id = crate::kernel::identity::new_id();
    store
        .execute(
            sql("INSERT INTO ocds_reports (tenant_id, id, ocid, body, photo_id, lat, lon, contact, created_at, sender)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(tenant)
            .bind(&id)
            .bind(r.ocid)
            .bind(r.body)
            .bind(r.photo_id.clone())
            .bind(r.place.map(|p| p.0))
            .bind(r.place.map(|p| p.1))
            .bind(r.contact)
            .bind(store.now_ms())
            .bind(r.sender),
        )
        .await?;
    Ok(id)
}

/// The agency's public answer to a report (`by`: the officer, none for the
/// demo's); false when there is no such report.
pub async fn answer_report(store: &Store, tenant: &str, ocid: &str, id: &str, answer: &str, by: Option<&str>) -> Result<bool> {
    let n = store
        .execute(
            sql("UPDATE ocds_reports SET answer = $4, answered_by = $5, answered_at = $6 WHERE tenant_id = $1 AND ocid = $2 AND id = $3")
                .bind(tenant)
                .bind(ocid)
                .bind(id)
                .bind(answer)
                .bind(by.map(str::to_string))
                .bind(store.now_ms()),
        )
        .await?;
    Ok(n > 0)
}

/// The processes that have reports: ocid, title, buyer's name and slug.
pub async fn reported_processes(store: &Store, tenant: &str) -> Result<Vec<(String, String, String, String)>> {
    let rows = store
        .fetch_all(
            sql("SELECT p.ocid, p.title, p.buyer_name, p.buyer_id FROM ocds_processes p
                 WHERE p.tenant_id = $1 AND p.ocid IN (SELECT ocid FROM ocds_reports WHERE tenant_id = $1)
                 ORDER BY p.ocid")
            .bind(tenant),
        )
        .await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?, r.at(2)?, r.at(3)?))).collect()
}
