//! `GET /entities` (query; `/types` and `/attributes` are in `catalogue.rs`). A query becomes
//! one SQL statement over the indexes: types from `sensor_entity_types`,
//! `q` terms on current values from `sensor_attr_values` (numbers and
//! strings of the default instance), `geoQ` boxes from `sensor_geo` (the
//! R*Tree on SQLite). What SQL cannot decide exactly (a geometry relation,
//! `idPattern`, a `q` term on a sub-attribute or a compound value) is
//! checked on the entities it returns with `ngsild`'s own matchers, and
//! then paging happens here instead of in SQL.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use ngsild::entity::Entity;
use ngsild::geo::{GeoQuery, Georel};
use ngsild::problem::ErrorType;
use ngsild::q::{Expr, Test, Value as QValue};
use serde_json::{Value as Json, json};

use super::entities::{attrs_param, render};
use super::http::{self, Answer, Fail, Options, Request, bad};
use super::repo;
use crate::store::{Engine, Store, Value, sql_built};
use crate::web::ctx::Ctx;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 1000;

/// What a query asks for, names expanded.
#[derive(Default)]
pub struct Selector {
    /// OR of AND-groups of types (`A,B`, `A|B`, `A;B`, `(A;B)|C`).
    pub types: Vec<Vec<String>>,
    pub ids: Vec<String>,
    pub id_pattern: Option<regex_lite::Regex>,
    /// `q` with names expanded, as the stored entities have them.
    pub q: Option<Expr>,
    pub geo: Option<GeoQuery>,
}

/// Arguments of a statement being built.
struct Args(Vec<Value>);

impl Args {
    fn push(&mut self, v: impl Into<Value>) -> String {
        self.0.push(v.into());
        format!("${}", self.0.len())
    }
}

/// Reads a type expression: `,` and `|` are OR, `;` AND, parentheses only group.
fn parse_types(text: &str, expand: &dyn Fn(&str) -> String) -> Result<Vec<Vec<String>>, Fail> {
    let cleaned: String = text.chars().filter(|c| !matches!(c, '(' | ')')).collect();
    let groups: Vec<Vec<String>> = cleaned.split([',', '|']).map(|g| g.split(';').map(|t| expand(t.trim())).collect::<Vec<_>>()).collect();
    let names_ok = cleaned.split([',', '|', ';']).all(|t| ngsild::entity::is_valid_name(t.trim()) || ngsild::entity::is_uri(t.trim()));
    if !names_ok {
        return Err(bad(ErrorType::BadRequestData, format!("type: not a type expression: {text}")));
    }
    Ok(groups)
}

impl Selector {
    pub fn from_params(req: &Request, params: &HashMap<String, String>) -> Result<Selector, Fail> {
        let ctx = &req.ctx;
        let mut s = Selector::default();
        if let Some(t) = params.get("type") {
            s.types = parse_types(t, &|n| ctx.expand(n))?;
        }
        if let Some(ids) = params.get("id") {
            s.ids = ids.split(',').map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
        }
        if let Some(p) = params.get("idPattern") {
            let re = regex_lite::RegexBuilder::new(p)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| bad(ErrorType::BadRequestData, format!("idPattern: {e}")))?;
            s.id_pattern = Some(re);
        }
        if let Some(q) = params.get("q") {
            let expr = ngsild::q::parse(q)?;
            s.q = Some(expr.map_names(&|n| ctx.expand(n)));
        }
        let p = |k: &str| params.get(k).map(String::as_str);
        if let Some(mut g) = GeoQuery::from_params(p("georel"), p("geometry"), p("coordinates"), p("geoproperty"))? {
            g.geoproperty = ctx.expand(&g.geoproperty);
            s.geo = Some(g);
        }
        Ok(s)
    }

    /// The SQL of the candidates (bodies ordered by id) and whether SQL
    /// alone decides the answer (then paging is SQL's too).
    fn to_sql(&self, tenant: &str, engine: Engine) -> (String, Args, bool) {
        let mut a = Args(Vec::new());
        let t = a.push(tenant);
        let mut from = "sensor_entities e".to_string();
        let mut conds = vec![format!("e.tenant_id = {t}")];
        let mut exact = self.id_pattern.is_none() && self.geo.is_none();
        match self.types.as_slice() {
            [] => {}
            // The common case reads the type index first.
            [single] if single.len() == 1 => {
                let ty = a.push(single[0].as_str());
                from = "sensor_entity_types t JOIN sensor_entities e ON e.tenant_id = t.tenant_id AND e.id = t.entity_id".to_string();
                conds = vec![format!("t.tenant_id = {t}"), format!("t.type = {ty}")];
            }
            groups => {
                let ors: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        let ands: Vec<String> = g
                            .iter()
                            .map(|ty| {
                                let p = a.push(ty.as_str());
                                format!("EXISTS (SELECT 1 FROM sensor_entity_types x WHERE x.tenant_id = e.tenant_id AND x.entity_id = e.id AND x.type = {p})")
                            })
                            .collect();
                        format!("({})", ands.join(" AND "))
                    })
                    .collect();
                conds.push(format!("({})", ors.join(" OR ")));
            }
        }
        if !self.ids.is_empty() {
            let list: Vec<String> = self.ids.iter().map(|i| a.push(i.as_str())).collect();
            conds.push(format!("e.id IN ({})", list.join(", ")));
        }
        if let Some(q) = &self.q {
            let (cond, full) = q_sql(q, &mut a);
            exact &= full;
            if let Some(c) = cond {
                conds.push(c);
            }
        }
        if let Some(g) = &self.geo
            && let Some(b) = prefilter(g)
        {
            let name = a.push(g.geoproperty.as_str());
            let (x0, x1, y0, y1) = (a.push(b.min_lon), a.push(b.max_lon), a.push(b.min_lat), a.push(b.max_lat));
            let boxes = super::geo_index::boxes_sql(engine, &t, &name, [&x0, &x1, &y0, &y1]);
            conds.push(format!("e.id IN ({boxes})"));
        }
        (format!("FROM {from} WHERE {}", conds.join(" AND ")), a, exact)
    }
}

/// The box a geometry relation can only hold within (none: anywhere).
fn prefilter(g: &GeoQuery) -> Option<ngsild::geo::BBox> {
    let b = g.geometry.bbox();
    match g.georel {
        Georel::NearMax(m) => Some(b.grown(m)),
        Georel::NearMin(_) | Georel::Disjoint => None,
        _ => Some(b),
    }
}

/// The SQL of a `q` expression on the current values, and whether it is
/// exact; `None` when nothing of it narrows in SQL (the matcher decides).
fn q_sql(q: &Expr, a: &mut Args) -> (Option<String>, bool) {
    match q {
        Expr::And(items) => {
            let parts: Vec<(Option<String>, bool)> = items.iter().map(|i| q_sql(i, a)).collect();
            let exact = parts.iter().all(|(_, e)| *e);
            let conds: Vec<String> = parts.into_iter().filter_map(|(c, _)| c).collect();
            ((!conds.is_empty()).then(|| format!("({})", conds.join(" AND "))), exact)
        }
        Expr::Or(items) => {
            let parts: Vec<(Option<String>, bool)> = items.iter().map(|i| q_sql(i, a)).collect();
            if parts.iter().any(|(c, _)| c.is_none()) {
                return (None, false);
            }
            let exact = parts.iter().all(|(_, e)| *e);
            let conds: Vec<String> = parts.into_iter().filter_map(|(c, _)| c).collect();
            (Some(format!("({})", conds.join(" OR "))), exact)
        }
        Expr::Term(term) => {
            if !term.path.sub.is_empty() || !term.path.members.is_empty() {
                return (None, false);
            }
            let column = |v: &QValue| match v {
                QValue::Number(_) => Some("num"),
                QValue::Bool(_) | QValue::Text(_) | QValue::DateTime(..) | QValue::Date(_) | QValue::Time(_) | QValue::Uri(_) => {
                    Some("txt")
                }
            };
            let bind = |v: &QValue, a: &mut Args| match v {
                QValue::Number(n) => a.push(*n),
                QValue::Bool(b) => a.push(b.to_string()),
                other => a.push(other.as_text().unwrap_or_default()),
            };
            let cond = match &term.test {
                Test::Compare(op, v) => column(v).map(|c| format!("v.{c} {} {}", op.symbol(), bind(v, a))),
                Test::Equal(vs) if !vs.is_empty() => {
                    let parts: Vec<String> = vs.iter().filter_map(|v| Some(format!("v.{} = {}", column(v)?, bind(v, a)))).collect();
                    Some(format!("({})", parts.join(" OR ")))
                }
                Test::InRange(lo, hi) if column(lo) == column(hi) => {
                    let c = column(lo).unwrap_or("num");
                    Some(format!("v.{c} BETWEEN {} AND {}", bind(lo, a), bind(hi, a)))
                }
                _ => None,
            };
            match cond {
                Some(c) => {
                    let name = a.push(term.path.attr.as_str());
                    let sql = format!(
                        "EXISTS (SELECT 1 FROM sensor_attr_values v WHERE v.tenant_id = e.tenant_id AND v.entity_id = e.id AND v.name = {name} AND {c})"
                    );
                    (Some(sql), true)
                }
                None => (None, false),
            }
        }
    }
}

fn limit_of(params: &HashMap<String, String>) -> Result<(usize, usize), Fail> {
    let num = |k: &str, default: usize| -> Result<usize, Fail> {
        params
            .get(k)
            .map_or(Ok(default), |v| v.parse().map_err(|_| bad(ErrorType::BadRequestData, format!("{k}: not a whole number: {v}"))))
    };
    let limit = num("limit", DEFAULT_LIMIT)?;
    if limit > MAX_LIMIT {
        return Err(bad(ErrorType::TooManyResults, format!("limit: at most {MAX_LIMIT}")));
    }
    Ok((limit, num("offset", 0)?))
}

/// The entities a selector picks, a page of them, and how many in all (when asked).
pub async fn select(
    store: &Store,
    tenant: &str,
    s: &Selector,
    limit: usize,
    offset: usize,
    count: bool,
) -> Result<(Vec<Entity>, Option<usize>), Fail> {
    let (from, args, exact) = s.to_sql(tenant, store.engine());
    if exact {
        let q = sql_built(format!("SELECT e.body {from} ORDER BY e.id LIMIT {limit} OFFSET {offset}")).bind_all(args.0.clone());
        let rows = store.fetch_all(q).await?;
        let entities = rows.iter().map(|r| repo::from_body(&r.at::<String>(0)?)).collect::<Result<Vec<_>, _>>()?;
        let total = if count {
            let n: i64 = store.fetch_scalar(sql_built(format!("SELECT COUNT(*) {from}")).bind_all(args.0)).await?;
            Some(n as usize)
        } else {
            None
        };
        return Ok((entities, total));
    }
    let rows = store.fetch_all(sql_built(format!("SELECT e.body {from} ORDER BY e.id")).bind_all(args.0)).await?;
    let mut all = Vec::new();
    for r in rows {
        let e = repo::from_body(&r.at::<String>(0)?)?;
        if s.id_pattern.as_ref().is_some_and(|re| !re.is_match(&e.id)) {
            continue;
        }
        if let Some(g) = &s.geo {
            let hit = e.attrs.get(&g.geoproperty).into_iter().flatten().any(|a| a.geometry().is_some_and(|geo| g.matches(&geo)));
            if !hit {
                continue;
            }
        }
        all.push(e);
    }
    if let Some(q) = &s.q {
        // Stored names and the query's are both expanded.
        all.retain(|e| q.matches(&e.to_normalized(Default::default())));
    }
    let total = all.len();
    let page = all.into_iter().skip(offset).take(limit).collect();
    Ok((page, count.then_some(total)))
}

/// `GET /entities`.
pub async fn query(ctx: Ctx, headers: HeaderMap, Query(params): Query<HashMap<String, String>>) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    let s = Selector::from_params(&req, &params)?;
    if s.types.is_empty() && s.ids.is_empty() && s.id_pattern.is_none() && s.q.is_none() && s.geo.is_none() && !params.contains_key("attrs")
    {
        return Err(bad(ErrorType::BadRequestData, "a query needs type, id, idPattern, attrs, q or geoQ"));
    }
    let (limit, offset) = limit_of(&params)?;
    let count = params.get("count").is_some_and(|c| c == "true");
    let (entities, total) = select(&ctx.app.store, &req.tenant, &s, limit, offset, count).await?;
    let opts = Options::parse(params.get("options").map(String::as_str), params.get("format").map(String::as_str));
    let attrs = attrs_param(&req, &params);
    let items: Vec<Json> = entities.iter().map(|e| render(&req, e, opts, attrs.as_deref())).collect();
    let body = if req.geo_out { json!({"type": "FeatureCollection", "features": items}) } else { Json::Array(items) };
    let mut res = req.answer(StatusCode::OK, body);
    if let Some(n) = total {
        res.headers_mut().insert(http::COUNT_HEADER, HeaderValue::from(n));
    }
    Ok(res)
}
