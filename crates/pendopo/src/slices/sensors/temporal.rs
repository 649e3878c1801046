//! The temporal API: `/temporal/entities/{id}` and `/temporal/entities?type=`
//! from `sensor_instances` and the hourly rows (`timerel`/`timeAt`/`endTimeAt`,
//! `lastN`, `temporalValues`, `aggregatedValues`), backfill with
//! `POST /temporal/entities` and `POST /temporal/entities/{id}/attrs`, and
//! deletes of an entity's, an attribute's or one instance's history.
//! Aggregation reads `rollup::partials`: whole hours from the hourly rows,
//! the rest from raw points, grouped in SQL (a year of 5-minute readings is
//! 8,760 rows that never leave the database); periods in months are summed
//! from hours here with `ngsild::temporal`'s calendar. Hours whose raw
//! points retention deleted are answered from their rows: in instances as
//! the hour's mean with a `rolledUp` sub-property (count, min, max).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ngsild::entity::{AttrKind, Attribute, Entity, Form, Render};
use ngsild::problem::ErrorType;
use ngsild::temporal::{AggrMethod, Duration, format_instant};
use serde_json::{Map, Value as Json, json};

use super::http::{self, Answer, Fail, Options, Request, bad, not_found};
use super::measures::Measure;
use super::projection::{DatasetFilter, Projection};
use super::query::{self, Selector};
use super::rollup::{self, HOUR_US, Partial, Span};
use super::{deletions, repo, retention, write};
use crate::store::{Store, Value, sql, sql_built};
use crate::web::ctx::Ctx;

type Params = Query<HashMap<String, String>>;

/// The most instances one answer carries (its attributes and entities
/// together) unless `PENDOPO_NGSILD_TEMPORAL_LIMIT` says otherwise; past
/// it the answer is cut at an instant and is 206 Partial Content
/// (clause 6.3.10). The ETSI suite expects a limit between 20 and 40.
const MAX_INSTANCES: usize = 10_000;

fn instance_limit() -> usize {
    static LIMIT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("PENDOPO_NGSILD_TEMPORAL_LIMIT").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(MAX_INSTANCES)
    })
}

/// Which time of an instance the window and the answer's times are about
/// (`timeproperty`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TimeProperty {
    /// `observedAt` (the default), the series' key.
    Observed,
    Created,
    Modified,
    /// Deletions (`deletions.rs`), which no other time property shows.
    Deleted,
}

/// A temporal query's window and shape.
#[derive(Clone)]
struct Window {
    /// `[from, to)` in microseconds.
    from: Option<i64>,
    to: Option<i64>,
    last_n: Option<i64>,
    attrs: Option<Vec<String>>,
    opts: Options,
    aggr: Option<(Vec<AggrMethod>, Duration)>,
    time_property: TimeProperty,
    /// `datasetId`: the instances asked for (`@none`: the default one).
    datasets: Option<DatasetFilter>,
}

fn instant(params: &HashMap<String, String>, key: &str) -> Result<Option<i64>, Fail> {
    params
        .get(key)
        .map(|t| ngsild::time::parse_datetime(t).ok_or_else(|| bad(ErrorType::BadRequestData, format!("{key}: not a DateTime: {t}"))))
        .transpose()
}

impl Window {
    fn from_params(req: &Request, params: &HashMap<String, String>) -> Result<Window, Fail> {
        let at = instant(params, "timeAt")?;
        let end = instant(params, "endTimeAt")?;
        let (from, to) = match params.get("timerel").map(String::as_str) {
            None => (None, None),
            Some("before") => (None, Some(at.ok_or_else(|| bad(ErrorType::BadRequestData, "timerel=before needs timeAt"))?)),
            Some("after") => (Some(at.ok_or_else(|| bad(ErrorType::BadRequestData, "timerel=after needs timeAt"))?), None),
            Some("between") => match (at, end) {
                (Some(a), Some(b)) if a < b => (Some(a), Some(b)),
                _ => return Err(bad(ErrorType::BadRequestData, "timerel=between needs timeAt before endTimeAt")),
            },
            Some(other) => return Err(bad(ErrorType::BadRequestData, format!("timerel: not before, after or between: {other}"))),
        };
        let time_property = match params.get("timeproperty").map(String::as_str) {
            None | Some("observedAt") => TimeProperty::Observed,
            Some("createdAt") => TimeProperty::Created,
            Some("modifiedAt") => TimeProperty::Modified,
            Some("deletedAt") => TimeProperty::Deleted,
            Some(p) => {
                return Err(bad(
                    ErrorType::BadRequestData,
                    format!("timeproperty: not observedAt, createdAt, modifiedAt or deletedAt: {p}"),
                ));
            }
        };
        let last_n = match params.get("lastN") {
            None => None,
            Some(n) => Some(
                n.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(ErrorType::BadRequestData, format!("lastN: not a positive number: {n}")))?,
            ),
        };
        let mut opts = Options::parse(params.get("options").map(String::as_str), params.get("format").map(String::as_str));
        // `format` names the representation over `options` (clause 6.3.12).
        let format = params.get("format").map(String::as_str);
        match format {
            Some("temporalValues") => opts.aggregated = false,
            Some("aggregatedValues") => opts.temporal_values = false,
            Some("normalized") => (opts.aggregated, opts.temporal_values) = (false, false),
            _ => {}
        }
        let aggr = match params.get("aggrMethods") {
            _ if !opts.aggregated && format.is_some() => None,
            None if opts.aggregated => return Err(bad(ErrorType::BadRequestData, "aggregatedValues needs aggrMethods")),
            None => None,
            Some(m) => {
                let methods = AggrMethod::parse_list(m)
                    .map_err(|at| bad(ErrorType::BadRequestData, format!("aggrMethods: unknown method at position {at}")))?;
                let period = match params.get("aggrPeriodDuration") {
                    Some(d) => Duration::parse(d)?,
                    None => Duration::parse("P9999Y").expect("a valid duration"),
                };
                Some((methods, period))
            }
        };
        Ok(Window {
            from,
            to,
            last_n,
            attrs: params.get("attrs").map(|a| a.split(',').map(|n| req.ctx.expand(n.trim())).collect()),
            opts,
            aggr,
            time_property,
            datasets: params.get("datasetId").and_then(|d| DatasetFilter::parse(d)),
        })
    }

    /// The SQL narrowing an attribute's rows to the window (the key's
    /// `at` is `observedAt`, a deletion's time in `sensor_deletions`: other
    /// time properties are read from the bodies, see [`Window::time_of`])
    /// and to the datasets asked for.
    fn time_sql(&self, args: &mut Vec<Value>) -> String {
        let mut out = String::new();
        if let Some(d) = &self.datasets {
            let start = args.len() + 1;
            args.extend(d.ids().map(|id| Value::from(id.unwrap_or(""))));
            let list: Vec<String> = (start..=args.len()).map(|i| format!("${i}")).collect();
            out.push_str(&format!(" AND dataset_id IN ({})", list.join(", ")));
        }
        if !self.keyed_by_at() {
            return out;
        }
        if let Some(f) = self.from {
            args.push(Value::from(f));
            out.push_str(&format!(" AND at >= ${}", args.len()));
        }
        if let Some(t) = self.to {
            args.push(Value::from(t));
            out.push_str(&format!(" AND at < ${}", args.len()));
        }
        out
    }

    /// An instance's time as `timeproperty` names it; one stored without
    /// it (a reading of the ingestion) was stored when it was observed.
    fn time_of(&self, at_us: i64, attr: &Attribute) -> i64 {
        let stamp = match self.time_property {
            TimeProperty::Observed | TimeProperty::Deleted => None,
            TimeProperty::Created => attr.created_at.as_deref(),
            TimeProperty::Modified => attr.modified_at.as_deref(),
        };
        stamp.and_then(ngsild::time::parse_datetime).unwrap_or(at_us)
    }

    /// Whether the rows' key (`at`) is the time asked for: SQL then
    /// windows, orders and limits them.
    fn keyed_by_at(&self) -> bool {
        matches!(self.time_property, TimeProperty::Observed | TimeProperty::Deleted)
    }

    fn in_window(&self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t < to)
    }
}

/// The names of an entity's attributes with instances (those asked for).
async fn names(store: &Store, tenant: &str, id: &str, w: &Window) -> Result<Vec<String>, Fail> {
    let all = if w.time_property == TimeProperty::Deleted {
        deletions::names(store, tenant, id).await?
    } else {
        rollup::names(store, tenant, id).await?
    };
    Ok(all.into_iter().filter(|n| w.attrs.as_ref().is_none_or(|keep| keep.contains(n))).collect())
}

/// An instance's id: its time and datasetId, which identify it in its
/// attribute (`urn:ngsi-ld:Instance:<µs>`, then `:<datasetId in hex>`).
pub fn instance_id(at_us: i64, dataset: &str) -> String {
    format!("urn:ngsi-ld:Instance:{}", instance_key_text(at_us, dataset))
}

fn instance_key_text(at_us: i64, dataset: &str) -> String {
    if dataset.is_empty() {
        at_us.to_string()
    } else {
        let hex: String = dataset.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{at_us}:{hex}")
    }
}

/// A deletion instance's id (`urn:ngsi-ld:Instance:deleted:<µs>`...): not
/// one [`parse_instance_id`] reads, so no instance operation reaches it.
fn deletion_id(at_us: i64, dataset: &str) -> String {
    format!("urn:ngsi-ld:Instance:deleted:{}", instance_key_text(at_us, dataset))
}

/// The time and datasetId an instance id names.
fn parse_instance_id(id: &str) -> Option<(i64, String)> {
    let rest = id.strip_prefix("urn:ngsi-ld:Instance:")?;
    let (at, hex) = rest.split_once(':').unwrap_or((rest, ""));
    if hex.len() % 2 == 1 {
        return None;
    }
    let bytes = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect::<Option<Vec<u8>>>()?;
    Some((at.parse().ok()?, String::from_utf8(bytes).ok()?))
}

/// One instance of an answer: a raw point (with its id), or an hour whose
/// raw points retention deleted, as its mean.
struct Point {
    at_us: i64,
    /// Its time as `timeproperty` names it (`at_us` for `observedAt`).
    time: i64,
    attr: Attribute,
    dataset_id: String,
    rolled: Option<Partial>,
    /// A deletion (`timeproperty=deletedAt`): shown with `deletedAt`.
    deleted: bool,
}

/// Far enough from the ends of i64 for hour arithmetic.
const OPEN_END: i64 = i64::MAX / 4;

/// The most raw instances of one attribute read for a window on
/// `createdAt` or `modifiedAt`, which no index holds.
const RAW_BOUND: i64 = 100_000;

/// One attribute's instances in the window, oldest first (the newest `lastN`).
async fn instances(store: &Store, tenant: &str, id: &str, name: &str, w: &Window) -> Result<Vec<Point>, Fail> {
    let mut args = vec![Value::from(tenant), Value::from(id), Value::from(name)];
    let window = w.time_sql(&mut args);
    // One more than the limit: whether the limit cut the series is seen.
    let most = instance_limit() as i64 + 1;
    let by_observed = w.keyed_by_at();
    let deleted = w.time_property == TimeProperty::Deleted;
    // Another time property is read from the bodies: the series is read
    // whole (up to a bound) and windowed here.
    let n = if by_observed { w.last_n.map_or(most, |n| n.min(most)) } else { RAW_BOUND };
    let order = if w.last_n.is_some() && by_observed { "DESC" } else { "ASC" };
    let table = if deleted { "sensor_deletions" } else { "sensor_instances" };
    let q = sql_built(format!(
        "SELECT at, body, dataset_id FROM {table} WHERE tenant_id = $1 AND entity_id = $2 AND name = $3{window} ORDER BY at {order} LIMIT {n}"
    ))
    .bind_all(args);
    let mut out = Vec::new();
    for r in store.fetch_all(q).await? {
        let body: Json = serde_json::from_str(&r.at::<String>(1)?).map_err(|e| crate::store::StoreError::Other(e.to_string()))?;
        let wrapped = json!({ "x": body });
        let attr = ngsild::entity::parse_attributes(&wrapped, Form::Normalized)?.remove("x").and_then(|mut v| v.pop());
        if let Some(a) = attr {
            let at_us = r.at::<i64>(0)?;
            let time = w.time_of(at_us, &a);
            if by_observed || w.in_window(time) {
                out.push(Point { at_us, time, attr: a, dataset_id: r.at(2)?, rolled: None, deleted });
            }
        }
    }
    let (from, to) =
        if by_observed { (w.from.map_or(-OPEN_END, rollup::hour_of), w.to.unwrap_or(OPEN_END)) } else { (-OPEN_END, OPEN_END) };
    // Hours rolled up hold values, never deletions.
    let hours = if deleted {
        Vec::new()
    } else {
        rollup::rolled_hours(store, tenant, id, name, from, to, w.last_n.filter(|_| by_observed)).await?
    };
    for h in hours {
        if w.datasets.as_ref().is_some_and(|d| !d.keeps((!h.dataset_id.is_empty()).then_some(h.dataset_id.as_str()))) {
            continue;
        }
        // An hour's row knows no creation or modification time: its hour.
        if !by_observed && !w.in_window(h.hour) {
            continue;
        }
        let Some(mean) = h.partial.avg() else { continue };
        let mut attr = Attribute::property(json!(mean));
        attr.observed_at = Some(ngsild::time::format_datetime(h.hour));
        attr.dataset_id = (!h.dataset_id.is_empty()).then(|| h.dataset_id.clone());
        out.push(Point { at_us: h.hour, time: h.hour, attr, dataset_id: h.dataset_id, rolled: Some(h.partial), deleted: false });
    }
    out.sort_by_key(|p| p.time);
    if let Some(n) = w.last_n {
        let skip = out.len().saturating_sub(n as usize);
        out.drain(..skip);
    } else {
        out.truncate(instance_limit() + 1);
    }
    Ok(out)
}

/// An instance in the normalised temporal form: a raw point with its
/// `instanceId`, a rolled-up hour with what it summarises.
fn normalized(p: &Point, render: Render) -> Json {
    let mut v = p.attr.to_normalized(render);
    if let Json::Object(m) = &mut v {
        match &p.rolled {
            None if p.deleted => {
                m.insert("instanceId".into(), json!(deletion_id(p.at_us, &p.dataset_id)));
                m.insert("deletedAt".into(), json!(ngsild::time::format_datetime(p.at_us)));
            }
            None => {
                m.insert("instanceId".into(), json!(instance_id(p.at_us, &p.dataset_id)));
            }
            Some(r) => {
                let summary = json!({
                    "count": r.total, "min": r.min, "max": r.max,
                    "endAt": ngsild::time::format_datetime(p.at_us + HOUR_US),
                });
                m.insert("rolledUp".into(), json!({"type": "Property", "value": summary}));
            }
        }
    }
    v
}

/// The aggregated series of one attribute: whole hours from the hourly
/// rows, the rest from raw points (`rollup::partials`).
async fn aggregated(
    store: &Store,
    tenant: &str,
    id: &str,
    name: &str,
    w: &Window,
    methods: &[AggrMethod],
    period: &Duration,
) -> Result<Json, Fail> {
    let mut out = Map::new();
    out.insert("type".into(), json!("Property"));
    // The periods start at timeAt, else at the series' first instance.
    let origin_ms = match w.from {
        Some(us) => us.div_euclid(1000),
        None => first_instant(store, tenant, id, name).await?.unwrap_or(0).div_euclid(1000),
    };
    let months_off_hour = period.fixed_millis().is_none() && origin_ms.rem_euclid(HOUR_US / 1000) != 0;
    let hourly_rows_answer = w.time_property == TimeProperty::Observed && w.datasets.is_none();
    if methods.contains(&AggrMethod::DistinctCount) || months_off_hour || !hourly_rows_answer {
        // Values themselves are needed (distinct ones), or calendar periods
        // cut hours, or the hourly rows (all datasets, by observedAt) do
        // not hold what is asked: from the raw points here.
        let raw = Window { last_n: None, aggr: None, attrs: None, ..w.clone() };
        let points = instances(store, tenant, id, name, &raw).await?;
        let mut buckets = ngsild::temporal::aggregate(points.iter().map(|p| (p.time.div_euclid(1000), &p.attr.value)), origin_ms, period);
        if let Some(n) = w.last_n {
            buckets.drain(..buckets.len().saturating_sub(n as usize));
        }
        for m in methods {
            out.insert(m.code().into(), ngsild::temporal::method_series(&buckets, *m));
        }
        return Ok(Json::Object(out));
    }
    let span = Span {
        from: origin_ms * 1000,
        to: w.to.unwrap_or(OPEN_END),
        origin: origin_ms * 1000,
        group: period.fixed_millis().map_or(HOUR_US, |ms| ms * 1000),
    };
    let parts = rollup::partials(store, tenant, id, name, span).await?;
    // Periods (ms) with what they held; hours summed into calendar periods.
    let mut periods: std::collections::BTreeMap<i64, Partial> = std::collections::BTreeMap::new();
    for (start_us, p) in parts {
        let start_ms = start_us.div_euclid(1000);
        let key = if period.fixed_millis().is_some() { start_ms } else { period.bucket_start(origin_ms, start_ms) };
        periods.entry(key).or_default().merge(&p);
    }
    let skip = w.last_n.map_or(0, |n| periods.len().saturating_sub(n as usize));
    let mut series: Vec<Vec<Json>> = vec![Vec::new(); methods.len()];
    for (start, p) in periods.into_iter().skip(skip) {
        let (s, e) = (format_instant(start), format_instant(period.add_times(start, 1)));
        let n = p.numeric as f64;
        let num = |v: f64| if p.numeric > 0 { json!(v) } else { Json::Null };
        for (i, m) in methods.iter().enumerate() {
            let v = match m {
                AggrMethod::TotalCount => json!(p.total),
                AggrMethod::Sum => num(p.sum),
                AggrMethod::Sumsq => num(p.sumsq),
                AggrMethod::Avg => json!(p.avg()),
                AggrMethod::Min => json!(p.min),
                AggrMethod::Max => json!(p.max),
                AggrMethod::Stddev if p.numeric > 1 => json!(((p.sumsq - p.sum * p.sum / n) / (n - 1.0)).max(0.0).sqrt()),
                AggrMethod::Stddev | AggrMethod::DistinctCount => Json::Null,
            };
            series[i].push(json!([v, s, e]));
        }
    }
    for (m, s) in methods.iter().zip(series) {
        out.insert(m.code().into(), Json::Array(s));
    }
    Ok(Json::Object(out))
}

/// The time of an attribute's oldest instance (µs), a raw point or an
/// hour whose points retention deleted.
async fn first_instant(store: &Store, tenant: &str, id: &str, name: &str) -> Result<Option<i64>, Fail> {
    let series = "tenant_id = $1 AND entity_id = $2 AND name = $3";
    let q = sql_built(format!(
        "SELECT MIN(t) FROM (SELECT MIN(at) AS t FROM sensor_instances WHERE {series} \
         UNION ALL SELECT MIN(hour) AS t FROM sensor_hourly WHERE {series} AND raw_kept = 0) x"
    ))
    .bind(tenant)
    .bind(id)
    .bind(name);
    Ok(store.fetch_scalar::<Option<i64>>(q).await?)
}

/// Whether the entity has a history `pick`/`omit` hides all of.
async fn hides_every_attribute(store: &Store, tenant: &str, e: &Entity, w: &Window, shown: &Projection) -> Result<bool, Fail> {
    let held = names(store, tenant, &e.id, w).await?;
    Ok(!held.is_empty() && !held.iter().any(|n| shown.shows(n)))
}

/// The series with an instance in the window (before paging: an attribute
/// the page cuts off is shown empty).
fn in_window(series: Vec<(String, Series)>) -> Vec<(String, Series)> {
    series.into_iter().filter(|(_, s)| !matches!(s, Series::Points(p) if p.is_empty())).collect()
}

/// One attribute of a temporal answer: its instances, or its aggregates.
enum Series {
    Points(Vec<Point>),
    Aggregated(Json),
}

/// An entity's attributes in the window, as series (those `pick`/`omit` show).
async fn entity_series(store: &Store, tenant: &str, e: &Entity, w: &Window, shown: &Projection) -> Result<Vec<(String, Series)>, Fail> {
    let mut out = Vec::new();
    for name in names(store, tenant, &e.id, w).await?.into_iter().filter(|n| shown.shows(n)) {
        let series = if let Some((methods, period)) = &w.aggr {
            Series::Aggregated(aggregated(store, tenant, &e.id, &name, w, methods, period).await?)
        } else {
            Series::Points(instances(store, tenant, &e.id, &name, w).await?)
        };
        out.push((name, series));
    }
    Ok(out)
}

/// Temporal paging (clause 6.3.10): when an answer's instances (all its
/// entities' attributes together) pass the limit, it is cut at the instant
/// of the limit-th one, counted from the oldest (from the newest with
/// `lastN`), so that no attribute misses an instance inside the range the
/// answer covers. The `Content-Range` of a cut answer: `date-time
/// <start>-<end>/<lastN or *>`, from the window's edge the answer starts at.
fn page(answer: &mut [Vec<(String, Series)>], w: &Window) -> Option<String> {
    let limit = instance_limit();
    let points = |s: &Series| match s {
        Series::Points(p) => p.len(),
        Series::Aggregated(_) => 0,
    };
    let total: usize = answer.iter().flatten().map(|(_, s)| points(s)).sum();
    if total <= limit {
        return None;
    }
    let newest_first = w.last_n.is_some();
    let mut times: Vec<i64> = answer
        .iter()
        .flatten()
        .filter_map(|(_, s)| if let Series::Points(p) = s { Some(p) } else { None })
        .flatten()
        .map(|p| p.time)
        .collect();
    times.sort_unstable();
    if newest_first {
        times.reverse();
    }
    let cut = times[limit - 1];
    let edge = if newest_first { w.to.unwrap_or(times[0]) } else { w.from.unwrap_or(times[0]) };
    for (_, s) in answer.iter_mut().flatten() {
        if let Series::Points(p) = s {
            p.retain(|p| if newest_first { p.time >= cut } else { p.time <= cut });
        }
    }
    let size = w.last_n.map_or("*".to_string(), |n| n.to_string());
    Some(format!("date-time {}-{}/{size}", ngsild::time::format_datetime(edge), ngsild::time::format_datetime(cut)))
}

/// A temporal answer: 206 with its `Content-Range` when [`page`] cut it.
fn paged_answer(req: &Request, body: Json, range: Option<String>) -> Response {
    let Some(range) = range else { return req.answer(StatusCode::OK, body) };
    let mut res = req.answer(StatusCode::PARTIAL_CONTENT, body);
    if let Ok(v) = axum::http::HeaderValue::from_str(&range) {
        res.headers_mut().insert(axum::http::header::CONTENT_RANGE, v);
    }
    res
}

/// One series in the simplified temporal form (`temporalValues`): the
/// values with their times, hourly means marked (`rolledUpUntil`).
fn simplified_series(points: &[&Point]) -> Json {
    let kind = points.first().map_or(AttrKind::Property, |p| p.attr.kind);
    let pairs: Vec<(Json, String)> = points.iter().map(|p| (p.attr.value.clone(), ngsild::time::format_datetime(p.time))).collect();
    let mut v = ngsild::temporal::temporal_values(kind, &pairs);
    if let Json::Object(m) = &mut v {
        if let Some(d) = points.first().map(|p| &p.dataset_id).filter(|d| !d.is_empty()) {
            m.insert("datasetId".into(), json!(d));
        }
        // Which values are hourly means: those before this instant.
        if let Some(last) = points.iter().rev().find(|p| p.rolled.is_some()) {
            m.insert("rolledUpUntil".into(), json!(ngsild::time::format_datetime(last.at_us + HOUR_US)));
        }
    }
    v
}

/// An attribute in the simplified temporal form: a series per datasetId
/// (the default instance's first), a list of them when there are several.
fn simplified(points: &[Point]) -> Json {
    let mut sets: Vec<(&str, Vec<&Point>)> = Vec::new();
    for p in points {
        match sets.iter_mut().find(|(d, _)| *d == p.dataset_id) {
            Some((_, list)) => list.push(p),
            None => sets.push((&p.dataset_id, vec![p])),
        }
    }
    sets.sort_by_key(|(d, _)| !d.is_empty());
    match sets.as_slice() {
        [] => simplified_series(&[]),
        [(_, one)] => simplified_series(one),
        _ => Json::Array(sets.iter().map(|(_, list)| simplified_series(list)).collect()),
    }
}

/// One entity in the temporal representation asked for.
fn temporal_entity(req: &Request, e: &Entity, w: &Window, shown: &Projection, series: Vec<(String, Series)>) -> Json {
    let mut out = Map::new();
    if shown.shows("id") {
        out.insert("id".into(), json!(e.id));
    }
    let types: Vec<String> = e.types.iter().map(|t| req.ctx.compact(t)).collect();
    if shown.shows("type") {
        out.insert("type".into(), if types.len() == 1 { json!(types[0]) } else { json!(types) });
    }
    let compact = |n: &str| req.ctx.compact(n);
    for (name, series) in series {
        let value = match series {
            Series::Aggregated(v) => v,
            Series::Points(mut points) => {
                for p in &mut points {
                    p.attr = ngsild::entity::map_attribute(&p.attr, &compact);
                }
                if w.opts.temporal_values {
                    simplified(&points)
                } else {
                    let render = Render { sys_attrs: w.opts.sys_attrs };
                    Json::Array(points.iter().map(|p| normalized(p, render)).collect())
                }
            }
        };
        out.insert(req.ctx.compact(&name), value);
    }
    Json::Object(out)
}

/// `GET /temporal/entities/{id}`.
pub async fn retrieve(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    let w = Window::from_params(&req, &params)?;
    let shown = Projection::from_params(&req, &params)?;
    // An entity deleted from the current state keeps its history (clause 6.3.11).
    let (e, deleted_at) = match repo::load(&ctx.app.store, &req.tenant, &id).await? {
        Some(e) => (e, None),
        None => {
            let (e, at) = deletions::deleted_entity(&ctx.app.store, &req.tenant, &id).await?.ok_or_else(|| not_found(&id))?;
            (e, Some(at))
        }
    };
    let series = entity_series(&ctx.app.store, &req.tenant, &e, &w, &shown).await?;
    // None of the attributes asked for has a history, or nothing is picked: 404 (020_08_01, 020_23_*).
    let no_core = !(shown.shows("id") || shown.shows("type"));
    if series.is_empty() && (w.attrs.is_some() || no_core) {
        return Err(not_found(&id));
    }
    let mut answer = vec![in_window(series)];
    let range = page(&mut answer, &w);
    let mut body = temporal_entity(&req, &e, &w, &shown, answer.pop().unwrap_or_default());
    if let (Some(at), true, Json::Object(m)) = (deleted_at, w.opts.sys_attrs, &mut body) {
        m.insert("deletedAt".into(), json!(ngsild::time::format_datetime(at)));
    }
    Ok(paged_answer(&req, body, range))
}

/// `GET /temporal/entities?type=...`.
pub async fn query(ctx: Ctx, headers: HeaderMap, Query(params): Query<HashMap<String, String>>) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    let s = Selector::from_params(&req, &params)?;
    if !s.narrows(&params) {
        return Err(bad(ErrorType::BadRequestData, "a temporal query needs type, attrs, q, geoQ, scopeQ or local=true"));
    }
    query_answer(&ctx, &req, &params, &[s]).await
}

/// `POST /temporal/entityOperations/query` (clause 5.7.4 by POST): a
/// `Query` body as `POST /entityOperations/query` reads it, its
/// `temporalQ` (`timerel`, `timeAt`, `endTimeAt`, `timeproperty`) the
/// window; several entity selectors select any.
pub async fn query_by_post(ctx: Ctx, headers: HeaderMap, Query(url): Query<HashMap<String, String>>, body: Bytes) -> Answer {
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    let (mut params, selectors) = super::query_post::params_of(&body, url)?;
    if let Some(t) = body.get("temporalQ") {
        let Json::Object(t) = t else { return Err(bad(ErrorType::BadRequestData, "temporalQ: an object")) };
        for member in ["timerel", "timeAt", "endTimeAt", "timeproperty", "lastN", "aggrMethods", "aggrPeriodDuration"] {
            if let Some(v) = t.get(member) {
                params.insert(member.to_string(), super::query_post::text_of(&format!("temporalQ.{member}"), v)?);
            }
        }
    }
    let selectors = super::query_post::selectors_of(&req, &params, selectors)?;
    if selectors.iter().all(Selector::selects_all) {
        return Err(bad(ErrorType::BadRequestData, "a temporal query needs entities, q or geoQ"));
    }
    query_answer(&ctx, &req, &params, &selectors).await
}

/// The answer of a temporal query (GET or POST): the entities any of the
/// selectors picks, with their series in the window; an entity none of
/// whose (asked) instances is in the window is left out (021_13_*, 021_18_07).
async fn query_answer(ctx: &Ctx, req: &Request, params: &HashMap<String, String>, selectors: &[Selector]) -> Answer {
    let w = Window::from_params(req, params)?;
    let shown = Projection::from_params(req, params)?;
    let desc = super::order::OrderBy::temporal_desc(params)?;
    let (limit, offset) = query::limit_of(params)?;
    let count = params.get("count").is_some_and(|c| c == "true");
    let (mut entities, total) =
        super::query_post::select_any(&ctx.app.store, &req.tenant, selectors, limit.min(100), offset, count).await?;
    if desc {
        entities.reverse();
    }
    let mut kept = Vec::new();
    let mut answer = Vec::new();
    for e in &entities {
        let series = in_window(entity_series(&ctx.app.store, &req.tenant, e, &w, &shown).await?);
        // Kept when `pick`/`omit` hid its attributes (`pick=id`: 021_21_03).
        if series.is_empty() && !hides_every_attribute(&ctx.app.store, &req.tenant, e, &w, &shown).await? {
            continue;
        }
        kept.push(e);
        answer.push(series);
    }
    let range = page(&mut answer, &w);
    let out = kept.into_iter().zip(answer).map(|(e, series)| temporal_entity(req, e, &w, &shown, series)).collect();
    let mut res = paged_answer(req, Json::Array(out), range);
    if let Some(n) = total {
        res.headers_mut().insert(http::COUNT_HEADER, axum::http::HeaderValue::from(n));
    }
    Ok(res)
}

/// The measures of a temporal body's instances (each needs `observedAt`),
/// stamped with `now` as their `createdAt` and `modifiedAt` (what
/// `timeproperty` reads).
fn measures_of(req: &Request, id: &str, entity_type: &str, attrs: &ngsild::entity::Attributes, now: &str) -> Result<Vec<Measure>, Fail> {
    let mut batch = Vec::new();
    for (name, list) in attrs {
        for a in list {
            let Some(us) = a.observed_at_micros() else {
                return Err(bad(ErrorType::BadRequestData, format!("{}: every instance needs observedAt", req.ctx.compact(name))));
            };
            let mut a = a.clone();
            a.created_at = Some(now.to_string());
            a.modified_at = Some(now.to_string());
            batch.push(Measure {
                entity_id: id.to_string(),
                entity_type: entity_type.to_string(),
                observed_at_ms: us.div_euclid(1000),
                attrs: vec![(name.clone(), a)],
            });
        }
    }
    Ok(batch)
}

/// Stores backfilled instances and queues a roll-up, so that the hours they
/// fill are answered from hourly rows soon (their marks are what make it necessary: were
/// the job lost, the hourly sweep would find them).
async fn store_history(ctx: &Ctx, tenant: &str, batch: &[Measure], replace: bool) -> Result<(), Fail> {
    super::measures::store_with(&ctx.app.store, tenant, batch, replace).await?;
    crate::kernel::jobs::enqueue_now(&ctx.app.store, &retention::rollup_job(ctx.app.store.now_ms(), tenant)).await?;
    crate::worker::wake(&ctx.app);
    Ok(())
}

/// `POST /temporal/entities`: create or update (5.6.11). The instances join
/// the time series, one given at the time of a stored one replacing it (the
/// suite's 008_01_01); the entity is created when new, and each attribute's
/// newest instance becomes its current value when not older than what is held.
pub async fn backfill(ctx: Ctx, headers: HeaderMap, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    let parsed = Entity::parse(&body, Form::Temporal)?.map_names(&|n| req.ctx.expand(n));
    let batch = measures_of(&req, &parsed.id, &parsed.types[0], &parsed.attrs, &http::now(&ctx.app.store).0)?;
    let existed = repo::load(&ctx.app.store, &req.tenant, &parsed.id).await?.is_some();
    store_history(&ctx, &req.tenant, &batch, true).await?;
    let location = format!("/ngsi-ld/v1/temporal/entities/{}", parsed.id);
    if let Some(scope) = parsed.scope.clone() {
        scope_entity(&ctx, &req.tenant, parsed, scope).await?;
    }
    Ok(if existed {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::CREATED, [(axum::http::header::LOCATION, location)]).into_response()
    })
}

/// The scope of a temporal entity (clause 4.18), which its instances do not
/// carry: given to the entity they made (or to a new one, when the body had
/// no instance), through `write::apply` as any change of scope.
async fn scope_entity(ctx: &Ctx, tenant: &str, parsed: Entity, scope: Json) -> Result<(), Fail> {
    let now = http::now(&ctx.app.store).0;
    let id = parsed.id.clone();
    let step: write::Step = Box::new(move |held| {
        let mut e = held.unwrap_or(Entity { attrs: Default::default(), created_at: Some(now.clone()), ..parsed });
        e.scope = Some(scope);
        e.modified_at = Some(now);
        Ok(write::Change::Put { entity: Box::new(e), touched: vec![], outcome: Default::default() })
    });
    for (_, done) in write::apply(&ctx.app.store, tenant, vec![(id, step)]).await? {
        done.map_err(Fail::Problem)?;
    }
    Ok(())
}

/// `POST /temporal/entities/{id}/attrs`: instances added to an existing
/// entity's attributes (new attributes too), each once.
pub async fn append(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    let e = repo::load(&ctx.app.store, &req.tenant, &id).await?.ok_or_else(|| not_found(&id))?;
    let mut fields = body.as_object().cloned().ok_or_else(|| bad(ErrorType::BadRequestData, "the body is not a JSON object"))?;
    fields.remove("@context");
    if fields.is_empty() {
        return Err(bad(ErrorType::BadRequestData, "no attribute instances to add"));
    }
    let attrs = ngsild::entity::parse_attributes(&Json::Object(fields), Form::Temporal)?;
    let holder = Entity { id: id.clone(), types: vec![], scope: None, created_at: None, modified_at: None, attrs };
    let attrs = holder.map_names(&|n| req.ctx.expand(n)).attrs;
    // The store's door takes the type as a short name under the core context.
    let ty = ngsild::context::core().compact(&e.types[0]);
    let batch = measures_of(&req, &id, &ty, &attrs, &http::now(&ctx.app.store).0)?;
    store_history(&ctx, &req.tenant, &batch, false).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /temporal/entities/{id}`: the entity and all its history.
pub async fn delete(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    let mut tx = ctx.app.store.begin().await?;
    let entity = repo::delete(&mut tx, &req.tenant, &id).await?;
    let history = rollup::delete_series(&mut tx, &req.tenant, &id, None, None).await?;
    if !entity && history == 0 {
        return Err(not_found(&id));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /temporal/entities/{id}/attrs/{attr}`: the history of the
/// attribute's default instance, of one `datasetId`, or (`deleteAll=true`) all.
pub async fn delete_attr(ctx: Ctx, headers: HeaderMap, Path((id, attr)): Path<(String, String)>, Query(params): Params) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    let name = req.ctx.expand(&attr);
    let all = match params.get("deleteAll").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return Err(bad(ErrorType::BadRequestData, format!("deleteAll: not true or false: {v}"))),
    };
    let dataset = if all { None } else { Some(params.get("datasetId").cloned().unwrap_or_default()) };
    let mut tx = ctx.app.store.begin().await?;
    if rollup::delete_series(&mut tx, &req.tenant, &id, Some(&name), dataset.as_deref()).await? == 0 {
        return Err(bad(ErrorType::ResourceNotFound, format!("{id} has no history of {attr}")));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The instance a path names: its (at, datasetId), or 404.
fn instance_key(id: &str, attr: &str, instance: &str) -> Result<(i64, String), Fail> {
    parse_instance_id(instance).ok_or_else(|| bad(ErrorType::ResourceNotFound, format!("{id}: {attr} has no instance {instance}")))
}

/// Runs `change` (its `$1`..`$5` the instance's key, then `values`) and marks the instance's hour as changed; 404 when no
/// instance has that key.
async fn change_instance(
    ctx: &Ctx,
    tenant: &str,
    (id, attr, instance): (&str, &str, &str),
    name: String,
    dataset: String,
    at: i64,
    (change, values): (&'static str, Vec<Value>),
) -> Result<(), Fail> {
    let key = [Value::from(tenant), Value::from(id), Value::from(name.as_str()), Value::from(dataset.as_str()), Value::from(at)];
    let mut tx = ctx.app.store.begin().await?;
    if tx.execute(sql(change).bind_all(key).bind_all(values)).await? == 0 {
        return Err(bad(ErrorType::ResourceNotFound, format!("{id}: {attr} has no instance {instance}")));
    }
    rollup::mark_keys(&mut tx, tenant, &[(id.to_string(), name, dataset, rollup::hour_of(at))]).await?;
    tx.commit().await?;
    Ok(())
}

/// `PATCH /temporal/entities/{id}/attrs/{attr}/{instanceId}`: a new value
/// (and sub-attributes) for one instance; it keeps its time.
pub async fn patch_instance(
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, attr, instance)): Path<(String, String, String)>,
    body: Bytes,
) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    let name = req.ctx.expand(&attr);
    let (at, dataset) = instance_key(&id, &attr, &instance)?;
    let mut fields = body.as_object().cloned().ok_or_else(|| bad(ErrorType::BadRequestData, "the body is not a JSON object"))?;
    fields.remove("@context");
    fields.remove("instanceId");
    let wrapped = json!({ "x": Json::Object(fields) });
    let mut new = ngsild::entity::parse_attributes(&wrapped, Form::Normalized)?
        .remove("x")
        .and_then(|mut v| v.pop())
        .ok_or_else(|| bad(ErrorType::BadRequestData, "no attribute instance in the body"))?;
    // Its sub-attributes' names expanded as every stored name is.
    let holder = Entity {
        id: String::new(),
        types: vec![],
        scope: None,
        created_at: None,
        modified_at: None,
        attrs: [(name.clone(), vec![new])].into(),
    };
    new = holder.map_names(&|n| req.ctx.expand(n)).attrs.into_values().flatten().next().expect("the instance just put");
    new.observed_at = Some(ngsild::time::format_datetime(at));
    new.dataset_id = (!dataset.is_empty()).then(|| dataset.clone());
    new.modified_at = Some(http::now(&ctx.app.store).0);
    let num = repo::index_value(&new).and_then(|(n, _)| n);
    let change = "UPDATE sensor_instances SET body = $6, num = $7 WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id = $4 AND at = $5";
    let values = vec![Value::from(new.to_normalized(Render { sys_attrs: true }).to_string()), Value::from(num)];
    change_instance(&ctx, &req.tenant, (&id, &attr, &instance), name, dataset, at, (change, values)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /temporal/entities/{id}/attrs/{attr}/{instanceId}`.
pub async fn delete_instance(ctx: Ctx, headers: HeaderMap, Path((id, attr, instance)): Path<(String, String, String)>) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let req = http::request(&ctx, &headers, None).await?;
    let name = req.ctx.expand(&attr);
    let (at, dataset) = instance_key(&id, &attr, &instance)?;
    let change = "DELETE FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id = $4 AND at = $5";
    change_instance(&ctx, &req.tenant, (&id, &attr, &instance), name, dataset, at, (change, Vec::new())).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
