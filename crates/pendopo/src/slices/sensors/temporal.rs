//! The temporal API: `/temporal/entities/{id}` and `/temporal/entities?type=`
//! from `sensor_instances` (`timerel`/`timeAt`/`endTimeAt`, `lastN`,
//! `temporalValues`, `aggregatedValues`), and backfill with
//! `POST /temporal/entities`. Aggregation over fixed periods (hours, days,
//! weeks) is grouped in SQL: a year of 5-minute readings is 105,000 rows
//! that never leave the database; periods in months are grouped here with
//! `ngsild::temporal`'s calendar.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use ngsild::entity::{AttrKind, Attribute, Entity, Form, Render};
use ngsild::problem::ErrorType;
use ngsild::temporal::{AggrMethod, Duration, format_instant};
use serde_json::{Map, Value as Json, json};

use super::http::{self, Answer, Fail, Options, Request, bad, not_found};
use super::query::{self, Selector};
use super::repo;
use crate::store::{Store, Value, sql, sql_built};
use crate::web::ctx::Ctx;

type Params = Query<HashMap<String, String>>;

/// The most instances of one attribute an answer carries without `lastN`.
const MAX_INSTANCES: i64 = 10_000;

/// A temporal query's window and shape.
struct Window {
    /// `[from, to)` in microseconds.
    from: Option<i64>,
    to: Option<i64>,
    last_n: Option<i64>,
    attrs: Option<Vec<String>>,
    opts: Options,
    aggr: Option<(Vec<AggrMethod>, Duration)>,
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
        let last_n = match params.get("lastN") {
            None => None,
            Some(n) => Some(
                n.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(ErrorType::BadRequestData, format!("lastN: not a positive number: {n}")))?,
            ),
        };
        let opts = Options::parse(params.get("options").map(String::as_str), params.get("format").map(String::as_str));
        let aggr = match params.get("aggrMethods") {
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
        })
    }

    fn time_sql(&self, args: &mut Vec<Value>) -> String {
        let mut out = String::new();
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
}

/// The names of an entity's attributes with instances (those asked for).
async fn names(store: &Store, tenant: &str, id: &str, w: &Window) -> Result<Vec<String>, Fail> {
    let rows = store
        .fetch_all(
            sql("SELECT DISTINCT name FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 ORDER BY name").bind(tenant).bind(id),
        )
        .await?;
    let all = rows.iter().map(|r| r.at::<String>(0)).collect::<Result<Vec<_>, _>>()?;
    Ok(all.into_iter().filter(|n| w.attrs.as_ref().is_none_or(|keep| keep.contains(n))).collect())
}

/// One attribute's instances in the window, oldest first (the newest `lastN`).
async fn instances(store: &Store, tenant: &str, id: &str, name: &str, w: &Window) -> Result<Vec<(i64, Attribute)>, Fail> {
    let mut args = vec![Value::from(tenant), Value::from(id), Value::from(name)];
    let window = w.time_sql(&mut args);
    let n = w.last_n.unwrap_or(MAX_INSTANCES);
    let order = if w.last_n.is_some() { "DESC" } else { "ASC" };
    let q = sql_built(format!(
        "SELECT at, body FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND name = $3{window} ORDER BY at {order} LIMIT {n}"
    ))
    .bind_all(args);
    let mut out = Vec::new();
    for r in store.fetch_all(q).await? {
        let body: Json = serde_json::from_str(&r.at::<String>(1)?).map_err(|e| crate::store::StoreError::Other(e.to_string()))?;
        let wrapped = json!({ "x": body });
        let attr = ngsild::entity::parse_attributes(&wrapped, Form::Normalized)?.remove("x").and_then(|mut v| v.pop());
        if let Some(a) = attr {
            out.push((r.at::<i64>(0)?, a));
        }
    }
    if w.last_n.is_some() {
        out.reverse();
    }
    Ok(out)
}

/// The aggregated series of one attribute: grouped in SQL for fixed periods.
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
    let origin_ms = w.from.map_or(0, |us| us.div_euclid(1000));
    let Some(step_ms) = period.fixed_millis().filter(|_| !methods.contains(&AggrMethod::DistinctCount)) else {
        let points = instances(store, tenant, id, name, &Window { last_n: None, aggr: None, attrs: None, ..*w }).await?;
        let buckets = ngsild::temporal::aggregate(points.iter().map(|(at, a)| (at.div_euclid(1000), &a.value)), origin_ms, period);
        for m in methods {
            out.insert(m.code().into(), ngsild::temporal::method_series(&buckets, *m));
        }
        return Ok(Json::Object(out));
    };
    let mut args =
        vec![Value::from(tenant), Value::from(id), Value::from(name), Value::from(origin_ms * 1000), Value::from(step_ms * 1000)];
    let window = w.time_sql(&mut args);
    // Buckets counted from the window's start (else the epoch), in whole periods.
    let q = sql_built(format!(
        "SELECT (at - $4) / $5 AS b, COUNT(*), COUNT(num), SUM(num), MIN(num), MAX(num), SUM(num * num) \
         FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND at >= $4{window} GROUP BY (at - $4) / $5 ORDER BY b"
    ))
    .bind_all(args);
    let rows = store.fetch_all(q).await?;
    let mut series: Vec<Vec<Json>> = vec![Vec::new(); methods.len()];
    for r in rows {
        let b: i64 = r.at(0)?;
        let total: i64 = r.at(1)?;
        let numeric: i64 = r.at(2)?;
        let opt = |i: usize| -> Result<Option<f64>, Fail> { Ok(if numeric > 0 { Some(r.at::<f64>(i)?) } else { None }) };
        let (sum, min, max, sumsq) = (opt(3)?, opt(4)?, opt(5)?, opt(6)?);
        let start = origin_ms + b * step_ms;
        let (s, e) = (format_instant(start), format_instant(start + step_ms));
        for (i, m) in methods.iter().enumerate() {
            let n = numeric as f64;
            let v = match m {
                AggrMethod::TotalCount => json!(total),
                AggrMethod::Sum => json!(sum),
                AggrMethod::Sumsq => json!(sumsq),
                AggrMethod::Avg => json!(sum.map(|s| s / n)),
                AggrMethod::Min => json!(min),
                AggrMethod::Max => json!(max),
                AggrMethod::Stddev => match (sum, sumsq) {
                    (Some(s), Some(q)) if numeric > 1 => json!(((q - s * s / n) / (n - 1.0)).max(0.0).sqrt()),
                    _ => Json::Null,
                },
                AggrMethod::DistinctCount => Json::Null,
            };
            series[i].push(json!([v, s, e]));
        }
    }
    for (m, s) in methods.iter().zip(series) {
        out.insert(m.code().into(), Json::Array(s));
    }
    Ok(Json::Object(out))
}

/// One entity in the temporal representation asked for.
async fn temporal_entity(store: &Store, req: &Request, e: &Entity, w: &Window) -> Result<Json, Fail> {
    let mut out = Map::new();
    out.insert("id".into(), json!(e.id));
    let types: Vec<String> = e.types.iter().map(|t| req.ctx.compact(t)).collect();
    out.insert("type".into(), if types.len() == 1 { json!(types[0]) } else { json!(types) });
    for name in names(store, &req.tenant, &e.id, w).await? {
        let value = if let Some((methods, period)) = &w.aggr {
            aggregated(store, &req.tenant, &e.id, &name, w, methods, period).await?
        } else {
            let points = instances(store, &req.tenant, &e.id, &name, w).await?;
            if w.opts.temporal_values {
                let kind = points.first().map_or(AttrKind::Property, |(_, a)| a.kind);
                let pairs: Vec<(Json, String)> =
                    points.iter().map(|(at, a)| (a.value.clone(), ngsild::time::format_datetime(*at))).collect();
                ngsild::temporal::temporal_values(kind, &pairs)
            } else {
                let render = Render { sys_attrs: w.opts.sys_attrs };
                Json::Array(points.iter().map(|(_, a)| a.to_normalized(render)).collect())
            }
        };
        out.insert(req.ctx.compact(&name), value);
    }
    Ok(Json::Object(out))
}

/// `GET /temporal/entities/{id}`.
pub async fn retrieve(ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(params): Params) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    let w = Window::from_params(&req, &params)?;
    let e = repo::load(&ctx.app.store, &req.tenant, &id).await?.ok_or_else(|| not_found(&id))?;
    let body = temporal_entity(&ctx.app.store, &req, &e, &w).await?;
    Ok(req.answer(StatusCode::OK, body))
}

/// `GET /temporal/entities?type=...`.
pub async fn query(ctx: Ctx, headers: HeaderMap, Query(params): Query<HashMap<String, String>>) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    let w = Window::from_params(&req, &params)?;
    let s = Selector::from_params(&req, &params)?;
    if s.types.is_empty() && s.ids.is_empty() && s.id_pattern.is_none() && s.q.is_none() && s.geo.is_none() {
        return Err(bad(ErrorType::BadRequestData, "a temporal query needs type, id, idPattern, q or geoQ"));
    }
    let limit = params.get("limit").and_then(|l| l.parse().ok()).unwrap_or(query::DEFAULT_LIMIT).min(100);
    let (entities, _) = query::select(&ctx.app.store, &req.tenant, &s, limit, 0, false).await?;
    let mut out = Vec::new();
    for e in &entities {
        out.push(temporal_entity(&ctx.app.store, &req, e, &w).await?);
    }
    Ok(req.answer(StatusCode::OK, Json::Array(out)))
}

/// `POST /temporal/entities`: backfill. The instances join the time series
/// (each once); the entity is created when new, and each attribute's
/// newest instance becomes its current value when newer than what is held.
pub async fn backfill(ctx: Ctx, headers: HeaderMap, body: Bytes) -> Answer {
    http::writer_first(&ctx, &headers).await?;
    let body = http::json_body(&body)?;
    let req = http::request(&ctx, &headers, Some(&body)).await?;
    let parsed = Entity::parse(&body, Form::Temporal)?.map_names(&|n| req.ctx.expand(n));
    let mut batch = Vec::new();
    let mut untimed = Vec::new();
    for (name, list) in &parsed.attrs {
        for a in list {
            match a.observed_at_micros() {
                Some(us) => batch.push(super::measures::Measure {
                    entity_id: parsed.id.clone(),
                    entity_type: parsed.types[0].clone(),
                    observed_at_ms: us.div_euclid(1000),
                    attrs: vec![(name.clone(), a.clone())],
                }),
                None => untimed.push(name.clone()),
            }
        }
    }
    if let Some(name) = untimed.first() {
        return Err(bad(ErrorType::BadRequestData, format!("{}: every instance needs observedAt", req.ctx.compact(name))));
    }
    let existed = repo::load(&ctx.app.store, &req.tenant, &parsed.id).await?.is_some();
    super::measures::store(&ctx.app.store, &req.tenant, &batch).await?;
    Ok(if existed { StatusCode::NO_CONTENT.into_response() } else { StatusCode::CREATED.into_response() })
}
