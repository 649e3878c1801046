//! Hourly aggregates of the time series (`sensor_hourly`, migration
//! `0027_sensor_retention`) and the sweep that keeps them and applies the
//! retention of raw points.
//!
//! Every write of instances marks the hours it touched in `sensor_pending`
//! ([`mark`], in the write's transaction). The sweep ([`sweep`], a durable
//! job) turns each marked hour that is over into its hourly row, recomputed
//! from the raw points, then deletes raw points past their type's days
//! (their hours' rows become all that is left: `raw_kept = 0`) and hourly
//! rows past their years. Readers ([`partials`]) take whole hours from the
//! rows and the rest (the current hour, marked hours, a window's ragged
//! ends) from the raw points, so an answer is the same before and after a
//! roll-up, and a year of 5-minute points is read as 8,760 rows.

use std::collections::{BTreeMap, BTreeSet};

use super::repo::Instance;
use crate::store::{Row, Store, StoreError, Tx, Value, insert_rows_on_conflict, sql, sql_built};

type Result<T> = std::result::Result<T, StoreError>;

pub const HOUR_US: i64 = 3_600_000_000;
pub const DAY_US: i64 = 24 * HOUR_US;

/// The start of the hour holding `at_us`.
pub fn hour_of(at_us: i64) -> i64 {
    at_us.div_euclid(HOUR_US) * HOUR_US
}

fn ceil_hour(at_us: i64) -> i64 {
    hour_of(at_us + HOUR_US - 1)
}

/// One series' hour: (entity, attribute, datasetId, hour µs).
pub type HourKey = (String, String, String, i64);

/// Marks the hours `instances` fall in as changed, in the writer's transaction.
pub async fn mark(tx: &mut Tx, tenant: &str, instances: &[Instance]) -> Result<()> {
    let keys: BTreeSet<HourKey> =
        instances.iter().map(|i| (i.entity_id.clone(), i.name.clone(), i.dataset_id.clone(), hour_of(i.at_us))).collect();
    mark_keys(tx, tenant, &keys.into_iter().collect::<Vec<_>>()).await
}

/// Marks series' hours as changed. The mark is rewritten when present (see
/// the migration: a sweep running at the same time then conflicts with
/// this write rather than missing its points).
pub async fn mark_keys(tx: &mut Tx, tenant: &str, keys: &[HourKey]) -> Result<()> {
    let now = tx.now_ms();
    let rows = keys.iter().map(|(e, n, d, h)| {
        vec![
            Value::from(tenant),
            Value::from(e.as_str()),
            Value::from(n.as_str()),
            Value::from(d.as_str()),
            Value::from(*h),
            Value::from(now),
        ]
    });
    insert_rows_on_conflict(
        tx,
        "sensor_pending (tenant_id, entity_id, name, dataset_id, hour, marked_at)",
        rows,
        "ON CONFLICT (tenant_id, entity_id, name, dataset_id, hour) DO UPDATE SET marked_at = excluded.marked_at",
    )
    .await?;
    Ok(())
}

/// What a period (or an hour) held: every point counted, numbers summed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Partial {
    pub total: i64,
    pub numeric: i64,
    pub sum: f64,
    pub sumsq: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Partial {
    /// Reads `total, numeric, sum, min, max, sumsq` from column `i` on.
    fn from_row(r: &Row, i: usize) -> Result<Partial> {
        let numeric: i64 = r.at(i + 1)?;
        let f = |k: usize| -> Result<Option<f64>> { if numeric > 0 { Ok(Some(r.at::<f64>(k)?)) } else { Ok(None) } };
        Ok(Partial {
            total: r.at(i)?,
            numeric,
            sum: f(i + 2)?.unwrap_or(0.0),
            min: f(i + 3)?,
            max: f(i + 4)?,
            sumsq: f(i + 5)?.unwrap_or(0.0),
        })
    }

    pub fn merge(&mut self, o: &Partial) {
        self.total += o.total;
        self.numeric += o.numeric;
        self.sum += o.sum;
        self.sumsq += o.sumsq;
        self.min = match (self.min, o.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = match (self.max, o.max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// The mean of the numbers, as `sum / count` over the raw points.
    pub fn avg(&self) -> Option<f64> {
        (self.numeric > 0).then(|| self.sum / self.numeric as f64)
    }
}

/// A read of one attribute: the window `[from, to)` and its periods, of
/// `group` microseconds counted from `origin` (all in microseconds).
#[derive(Clone, Copy, Debug)]
pub struct Span {
    pub from: i64,
    pub to: i64,
    pub origin: i64,
    pub group: i64,
}

/// Beyond this many separate runs of changed hours in a window, the window
/// is read from the raw points alone (right after a big backfill, before
/// the sweep has rolled it up).
const MAX_PENDING_RUNS: usize = 64;

/// The attribute's points in `span`, per period (keyed by the period's
/// start, µs): whole hours from the hourly rows when the periods are whole
/// hours from a whole hour, everything else from the raw points; hours
/// whose raw points are gone come from their rows in any case (in the
/// period their hour starts in).
pub async fn partials(store: &Store, tenant: &str, entity: &str, name: &str, span: Span) -> Result<BTreeMap<i64, Partial>> {
    let key = || vec![Value::from(tenant), Value::from(entity), Value::from(name)];
    // Changed hours not yet rolled up, as runs [start, end).
    let rows = store
        .fetch_all(
            sql("SELECT DISTINCT hour FROM sensor_pending WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND hour >= $4 AND hour < $5 ORDER BY hour")
                .bind_all(key())
                .bind(hour_of(span.from))
                .bind(span.to),
        )
        .await?;
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for r in rows {
        let h: i64 = r.at(0)?;
        match runs.last_mut() {
            Some((_, end)) if *end == h => *end = h + HOUR_US,
            _ => runs.push((h, h + HOUR_US)),
        }
    }
    let aligned = span.group % HOUR_US == 0 && span.origin.rem_euclid(HOUR_US) == 0 && runs.len() <= MAX_PENDING_RUNS;
    // Whole hours read from rows: [lo, hi) less the changed runs.
    let (lo, hi) = if aligned { (ceil_hour(span.from), hour_of(span.to).max(ceil_hour(span.from))) } else { (span.from, span.from) };
    let runs: Vec<(i64, i64)> = runs.into_iter().map(|(a, b)| (a.max(lo), b.min(hi))).filter(|(a, b)| a < b).collect();

    let mut out: BTreeMap<i64, Partial> = BTreeMap::new();
    let mut add = |rows: Vec<Row>| -> Result<()> {
        for r in rows {
            let b: i64 = r.at(0)?;
            out.entry(span.origin + b * span.group).or_default().merge(&Partial::from_row(&r, 1)?);
        }
        Ok(())
    };

    // The hourly rows, a range of the primary key per datasetId: without
    // the datasetId, SQLite took the index of hours and read every series'
    // hours in the window (30 ms for a year beside 100,000 entities' rows).
    let datasets = datasets(store, tenant, entity, name).await?;
    let mut args = key();
    args.extend([Value::from(span.origin), Value::from(span.group), Value::from(hour_of(span.from)), Value::from(span.to)]);
    args.extend([Value::from(lo), Value::from(hi)]);
    let sets = list_of(&mut args, &datasets);
    let mut not_changed = String::new();
    for (a, b) in &runs {
        args.extend([Value::from(*a), Value::from(*b)]);
        not_changed.push_str(&format!(" AND NOT (hour >= ${} AND hour < ${})", args.len() - 1, args.len()));
    }
    let q = sql_built(format!(
        "SELECT (hour - $4) / $5 AS b, SUM(n_total), SUM(n_num), SUM(sum_num), MIN(min_num), MAX(max_num), SUM(sumsq_num) \
         FROM sensor_hourly WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id IN ({sets}) AND hour >= $6 AND hour < $7 \
         AND ((hour >= $8 AND hour < $9{not_changed}) OR raw_kept = 0) GROUP BY (hour - $4) / $5"
    ))
    .bind_all(args);
    add(store.fetch_all(q).await?)?;

    // The raw points outside the rows read: the ragged ends and the changed
    // runs, each a range of the primary key per datasetId.
    let mut ranges = vec![(span.from, lo), (hi.max(span.from), span.to)];
    ranges.extend(runs.iter().copied());
    ranges.retain(|(a, b)| a < b);
    if ranges.is_empty() {
        return Ok(out);
    }
    let mut args = key();
    args.extend([Value::from(span.origin), Value::from(span.group)]);
    let sets = list_of(&mut args, &datasets);
    let parts: Vec<String> = ranges
        .iter()
        .map(|(a, b)| {
            args.extend([Value::from(*a), Value::from(*b)]);
            format!(
                "SELECT at, num FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id IN ({sets}) \
                 AND at >= ${} AND at < ${}",
                args.len() - 1,
                args.len()
            )
        })
        .collect();
    let q = sql_built(format!(
        "SELECT (at - $4) / $5 AS b, COUNT(*), COUNT(num), SUM(num), MIN(num), MAX(num), SUM(num * num) FROM ({}) x GROUP BY (at - $4) / $5",
        parts.join(" UNION ALL ")
    ))
    .bind_all(args);
    add(store.fetch_all(q).await?)?;
    Ok(out)
}

/// `values` pushed onto `args`, as a list of their placeholders.
fn list_of(args: &mut Vec<Value>, values: &[String]) -> String {
    let start = args.len() + 1;
    args.extend(values.iter().map(|v| Value::from(v.as_str())));
    (start..args.len() + 1).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The datasetIds an attribute has points of: every raw point is in an
/// hourly row or in a changed hour, so these two small tables know them all.
/// The hourly rows are skipped through one datasetId to the next (a year
/// of one attribute is 8,760 rows, its datasetIds one or two).
async fn datasets(store: &Store, tenant: &str, entity: &str, name: &str) -> Result<Vec<String>> {
    let series = "tenant_id = $1 AND entity_id = $2 AND name = $3";
    let q = sql_built(format!(
        "WITH RECURSIVE d (id) AS (SELECT MIN(dataset_id) FROM sensor_hourly WHERE {series} \
         UNION ALL SELECT (SELECT MIN(dataset_id) FROM sensor_hourly WHERE {series} AND dataset_id > d.id) FROM d WHERE d.id IS NOT NULL) \
         SELECT id FROM d WHERE id IS NOT NULL UNION SELECT dataset_id FROM sensor_pending WHERE {series}"
    ))
    .bind(tenant)
    .bind(entity)
    .bind(name);
    let mut out: Vec<String> = store.fetch_all(q).await?.iter().map(|r| r.at::<String>(0)).collect::<Result<_>>()?;
    if out.is_empty() {
        out.push(String::new());
    }
    Ok(out)
}

/// The attribute names an entity has points of (raw or rolled up), its
/// hourly rows skipped through one name to the next.
pub async fn names(store: &Store, tenant: &str, entity: &str) -> Result<Vec<String>> {
    let of = "tenant_id = $1 AND entity_id = $2";
    let q = sql_built(format!(
        "WITH RECURSIVE n (name) AS (SELECT MIN(name) FROM sensor_hourly WHERE {of} \
         UNION ALL SELECT (SELECT MIN(name) FROM sensor_hourly WHERE {of} AND name > n.name) FROM n WHERE n.name IS NOT NULL) \
         SELECT name FROM n WHERE name IS NOT NULL UNION SELECT name FROM sensor_pending WHERE {of} ORDER BY 1"
    ))
    .bind(tenant)
    .bind(entity);
    store.fetch_all(q).await?.iter().map(|r| r.at::<String>(0)).collect()
}

/// An hour whose raw points are gone, as its row holds it.
#[derive(Clone, Debug)]
pub struct RolledHour {
    pub hour: i64,
    pub dataset_id: String,
    pub partial: Partial,
}

/// The rolled-up hours (raw points deleted) of an attribute starting in
/// `[from, to)`, oldest first; the newest `last_n` when given.
pub async fn rolled_hours(
    store: &Store,
    tenant: &str,
    entity: &str,
    name: &str,
    from: i64,
    to: i64,
    last_n: Option<i64>,
) -> Result<Vec<RolledHour>> {
    let (order, limit) = match last_n {
        Some(n) => ("DESC", n),
        None => ("ASC", 100_000),
    };
    // `+hour` in the window and the order: the series' key is the index to
    // read; through the index of hours SQLite read every series' rows of
    // the window (28 ms for a year beside 100,000 entities' hours; 1.6 ms).
    let q = sql_built(format!(
        "SELECT hour, dataset_id, n_total, n_num, sum_num, min_num, max_num, sumsq_num FROM sensor_hourly \
         WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND raw_kept = 0 AND +hour >= $4 AND +hour < $5 ORDER BY +hour {order} LIMIT {limit}"
    ))
    .bind(tenant)
    .bind(entity)
    .bind(name)
    .bind(from)
    .bind(to);
    let mut out = store
        .fetch_all(q)
        .await?
        .iter()
        .map(|r| Ok(RolledHour { hour: r.at(0)?, dataset_id: r.at(1)?, partial: Partial::from_row(r, 2)? }))
        .collect::<Result<Vec<_>>>()?;
    if last_n.is_some() {
        out.reverse();
    }
    Ok(out)
}

/// Forgets an attribute's series (all datasetIds, or one) or all of an
/// entity's: raw points, hourly rows, marks and deletions, in the caller's transaction.
pub async fn delete_series(tx: &mut Tx, tenant: &str, entity: &str, name: Option<&str>, dataset: Option<&str>) -> Result<u64> {
    let mut cond = String::from("tenant_id = $1 AND entity_id = $2");
    let mut args = vec![Value::from(tenant), Value::from(entity)];
    if let Some(n) = name {
        args.push(Value::from(n));
        cond.push_str(&format!(" AND name = ${}", args.len()));
    }
    if let Some(d) = dataset {
        args.push(Value::from(d));
        cond.push_str(&format!(" AND dataset_id = ${}", args.len()));
    }
    let mut n = 0;
    for table in ["sensor_instances", "sensor_hourly", "sensor_pending", "sensor_deletions"] {
        n += tx.execute(sql_built(format!("DELETE FROM {table} WHERE {cond}")).bind_all(args.clone())).await?;
    }
    if name.is_none() {
        // The whole temporal entity: a deleted entity's record goes with it.
        n += tx.execute(sql_built(format!("DELETE FROM sensor_deleted_entities WHERE {cond}")).bind_all(args)).await?;
    }
    Ok(n)
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Hours (of a series) rolled up or recomputed.
    pub hours: u64,
    /// Raw points deleted by retention.
    pub points_deleted: u64,
    /// Hourly rows deleted by retention.
    pub hours_deleted: u64,
    /// Deletions (`timeproperty=deletedAt`) deleted by retention.
    pub deletions_deleted: u64,
}

/// Entities a sweep transaction takes at a time: each batch is all or
/// nothing. Large enough that a sweep after a batch update of 100,000
/// entities is 200 transactions, not 2,000 (each waits for the write lock
/// and its statements' round trips: under load the small batches took
/// minutes); small enough that the lock is held for tens of milliseconds.
const SWEEP_ENTITIES: usize = 500;

/// Runs one of the sweep's transactions, again when a concurrent writer of
/// the same rows made it fail (PostgreSQL's snapshots; a few times at most).
async fn retried<T, F>(mut run: impl FnMut() -> F) -> Result<T>
where
    F: std::future::Future<Output = Result<T>>,
{
    let mut attempts = 0;
    loop {
        match run().await {
            Err(e) if e.is_serialization_failure() && attempts < 5 => attempts += 1,
            other => return other,
        }
    }
}

/// Rolls up every changed hour that is over, then (with `purge`) applies
/// retention: raw points and deletions past their days, hourly rows past
/// their years.
pub async fn sweep(store: &Store, tenant: &str, purge: bool) -> Result<Swept> {
    let mut done = Swept::default();
    let now_us = store.now_ms() * 1000;
    let cutoff = hour_of(now_us);
    // 1. Changed hours that are over, a batch of entities per transaction.
    let entities = entities_with(store, tenant, "sensor_pending WHERE tenant_id = $1 AND hour < $2", cutoff).await?;
    for batch in entities.chunks(SWEEP_ENTITIES) {
        done.hours += retried(|| roll_batch(store, tenant, batch, cutoff)).await?;
    }
    if !purge {
        return Ok(done);
    }
    // 2. Raw points past their days; 3. hourly rows past their years.
    let settings = super::retention::all(store, tenant).await?;
    let oldest_kept = hour_of(now_us - settings.min_raw_days() * DAY_US);
    let raw = "sensor_hourly WHERE tenant_id = $1 AND raw_kept = 1 AND hour < $2";
    for entity in entities_with(store, tenant, raw, oldest_kept).await? {
        let (days, _) = settings.for_entity(store, tenant, &entity).await?;
        done.points_deleted += retried(|| purge_raw(store, tenant, &entity, hour_of(now_us - days * DAY_US))).await?;
    }
    // Deletions are raw instances of the history (nothing rolls them up):
    // kept as many days as the entity's raw points.
    for entity in entities_with(store, tenant, "sensor_deletions WHERE tenant_id = $1 AND at < $2", oldest_kept).await? {
        let (days, _) = settings.for_entity(store, tenant, &entity).await?;
        let q = sql("DELETE FROM sensor_deletions WHERE tenant_id = $1 AND entity_id = $2 AND at < $3")
            .bind(tenant)
            .bind(entity.as_str())
            .bind(hour_of(now_us - days * DAY_US));
        done.deletions_deleted += store.execute(q).await?;
    }
    if let Some(min_years) = settings.min_hourly_years() {
        let old = "sensor_hourly WHERE tenant_id = $1 AND hour < $2";
        for entity in entities_with(store, tenant, old, now_us - min_years * 365 * DAY_US).await? {
            if let (_, Some(years)) = settings.for_entity(store, tenant, &entity).await? {
                let q = sql("DELETE FROM sensor_hourly WHERE tenant_id = $1 AND entity_id = $2 AND raw_kept = 0 AND hour < $3")
                    .bind(tenant)
                    .bind(entity.as_str())
                    .bind(now_us - years * 365 * DAY_US);
                done.hours_deleted += store.execute(q).await?;
            }
        }
    }
    Ok(done)
}

/// The entities of `tenant` with rows in `rows` (`table WHERE ...`, the
/// tenant `$1`, `bound` `$2`), in id order.
async fn entities_with(store: &Store, tenant: &str, rows: &str, bound: i64) -> Result<Vec<String>> {
    let q = sql_built(format!("SELECT DISTINCT entity_id FROM {rows} ORDER BY entity_id")).bind(tenant).bind(bound);
    store.fetch_all(q).await?.iter().map(|r| r.at::<String>(0)).collect()
}

/// The changed hours before `cutoff` of some entities, in one transaction:
/// an hour whose raw points are kept gets its row recomputed from them; an
/// hour already rolled up (its raw points deleted) takes the late points
/// into its row, and they are deleted as its others were.
async fn roll_batch(store: &Store, tenant: &str, entities: &[String], cutoff: i64) -> Result<u64> {
    let mut tx = store.begin().await?;
    tx.snapshot().await?;
    // The batch as a range of the sorted ids (a range of the key, not a list
    // of 500 parameters); an entity marked since the list was read that
    // falls in it is rolled up with the others, in the same snapshot.
    let (Some(first), Some(last)) = (entities.first(), entities.last()) else { return Ok(0) };
    let args = vec![Value::from(tenant), Value::from(cutoff), Value::from(first.as_str()), Value::from(last.as_str())];
    let pending = "p.tenant_id = $1 AND p.hour < $2 AND p.entity_id >= $3 AND p.entity_id <= $4".to_string();
    let same =
        "h.tenant_id = p.tenant_id AND h.entity_id = p.entity_id AND h.name = p.name AND h.dataset_id = p.dataset_id AND h.hour = p.hour";

    // Late points of rolled-up hours: added to their rows, then deleted.
    let late = tx
        .fetch_all(
            // From the marks, each probing its hour's row by key (a join let
            // SQLite start from the rows, all years of them per entity).
            sql_built(format!("SELECT p.entity_id, p.name, p.dataset_id, p.hour FROM sensor_pending p WHERE {pending} AND EXISTS (SELECT 1 FROM sensor_hourly h WHERE {same} AND h.raw_kept = 0)"))
                .bind_all(args.clone()),
        )
        .await?;
    for r in &late {
        let (e, n, d, h): (String, String, String, i64) = (r.at(0)?, r.at(1)?, r.at(2)?, r.at(3)?);
        let range = "tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id = $4 AND at >= $5 AND at < $6";
        let bind = |q: crate::store::Sql| q.bind(tenant).bind(e.as_str()).bind(n.as_str()).bind(d.as_str()).bind(h).bind(h + HOUR_US);
        let row = tx
            .fetch_one(bind(sql_built(format!(
                "SELECT COUNT(*), COUNT(num), SUM(num), MIN(num), MAX(num), SUM(num * num) FROM sensor_instances WHERE {range}"
            ))))
            .await?;
        let add = Partial::from_row(&row, 0)?;
        if add.total == 0 {
            continue;
        }
        let held = tx
            .fetch_one(
                sql("SELECT n_total, n_num, sum_num, min_num, max_num, sumsq_num FROM sensor_hourly \
                     WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id = $4 AND hour = $5")
                .bind(tenant)
                .bind(e.as_str())
                .bind(n.as_str())
                .bind(d.as_str())
                .bind(h),
            )
            .await?;
        let mut p = Partial::from_row(&held, 0)?;
        p.merge(&add);
        let q = sql("UPDATE sensor_hourly SET n_total = $6, n_num = $7, sum_num = $8, min_num = $9, max_num = $10, sumsq_num = $11 \
                     WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id = $4 AND hour = $5")
        .bind(tenant)
        .bind(e.as_str())
        .bind(n.as_str())
        .bind(d.as_str())
        .bind(h)
        .bind(p.total)
        .bind(p.numeric)
        .bind(p.numeric_or_null(p.sum))
        .bind(p.min)
        .bind(p.max)
        .bind(p.numeric_or_null(p.sumsq));
        tx.execute(q).await?;
        tx.execute(bind(sql_built(format!("DELETE FROM sensor_instances WHERE {range}")))).await?;
    }
    // Hours whose raw points are kept: their rows made again from the points
    // (a row of a rolled-up hour stays: the insert below leaves it alone).
    let keys = "(tenant_id, entity_id, name, dataset_id, hour)";
    tx.execute(
        sql_built(format!(
            "DELETE FROM sensor_hourly WHERE raw_kept = 1 AND {keys} IN (SELECT p.tenant_id, p.entity_id, p.name, p.dataset_id, p.hour FROM sensor_pending p WHERE {pending})"
        ))
        .bind_all(args.clone()),
    )
    .await?;
    let n = tx
        .execute(
            sql_built(format!(
                "INSERT INTO sensor_hourly (tenant_id, entity_id, name, dataset_id, hour, n_total, n_num, sum_num, min_num, max_num, sumsq_num, raw_kept) \
                 SELECT p.tenant_id, p.entity_id, p.name, p.dataset_id, p.hour, COUNT(*), COUNT(i.num), SUM(i.num), MIN(i.num), MAX(i.num), SUM(i.num * i.num), 1 \
                 FROM sensor_pending p JOIN sensor_instances i ON i.tenant_id = p.tenant_id AND i.entity_id = p.entity_id AND i.name = p.name \
                 AND i.dataset_id = p.dataset_id AND i.at >= p.hour AND i.at < p.hour + {HOUR_US} \
                 WHERE {pending} GROUP BY p.tenant_id, p.entity_id, p.name, p.dataset_id, p.hour ON CONFLICT {keys} DO NOTHING"
            ))
            .bind_all(args.clone()),
        )
        .await?;
    // SQLite's DELETE takes no alias.
    let unaliased = pending.replace("p.", "");
    tx.execute(sql_built(format!("DELETE FROM sensor_pending WHERE {unaliased}")).bind_all(args)).await?;
    tx.commit().await?;
    Ok(n + late.len() as u64)
}

/// Deletes an entity's raw points before `cutoff` (a whole hour), whose
/// hours are rolled up; its rows for those hours become all that is left.
/// An entity with changed hours before the cutoff waits for the next sweep.
async fn purge_raw(store: &Store, tenant: &str, entity: &str, cutoff: i64) -> Result<u64> {
    let mut tx = store.begin().await?;
    tx.snapshot().await?;
    let changed: i64 = tx
        .fetch_scalar(
            sql("SELECT COUNT(*) FROM sensor_pending WHERE tenant_id = $1 AND entity_id = $2 AND hour < $3")
                .bind(tenant)
                .bind(entity)
                .bind(cutoff),
        )
        .await?;
    if changed > 0 {
        return Ok(0);
    }
    tx.execute(
        sql("UPDATE sensor_hourly SET raw_kept = 0 WHERE tenant_id = $1 AND entity_id = $2 AND raw_kept = 1 AND hour < $3")
            .bind(tenant)
            .bind(entity)
            .bind(cutoff),
    )
    .await?;
    let n = tx
        .execute(
            sql("DELETE FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND at < $3").bind(tenant).bind(entity).bind(cutoff),
        )
        .await?;
    tx.commit().await?;
    Ok(n)
}

impl Partial {
    /// A sum as stored: NULL when no number was summed.
    fn numeric_or_null(&self, v: f64) -> Option<f64> {
        (self.numeric > 0).then_some(v)
    }
}
