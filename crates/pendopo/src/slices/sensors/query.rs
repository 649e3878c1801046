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

use super::http::{self, Answer, Fail, Options, Request, bad};
use super::projection::Projection;
use super::repo;
use crate::store::{Engine, Sql, Store, Value, sql_built};
use crate::web::ctx::Ctx;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 1000;

/// What a query asks for, names expanded.
#[derive(Default, Clone)]
pub struct Selector {
    /// OR of AND-groups of types (`A,B`, `A|B`, `A;B`, `(A;B)|C`).
    pub types: Vec<Vec<String>>,
    pub ids: Vec<String>,
    pub id_pattern: Option<regex_lite::Regex>,
    /// `q` with names expanded, as the stored entities have them.
    pub q: Option<Expr>,
    pub geo: Option<GeoQuery>,
    /// `scopeQ`: decided on the bodies (no index holds scopes).
    pub scope_q: Option<ngsild::scope::ScopeQuery>,
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
            if let Some(bad_id) = s.ids.iter().find(|i| !ngsild::entity::is_uri(i)) {
                return Err(bad(ErrorType::BadRequestData, format!("id: not a URI: {bad_id}")));
            }
        }
        if let Some(p) = params.get("idPattern") {
            // A quantifier of a quantifier (`a**`), which the regex crate
            // reads as one, is not a pattern (019_03_02).
            if ["**", "++", "*+", "+*", "?*", "?+"].iter().any(|q| p.contains(q)) {
                return Err(bad(ErrorType::BadRequestData, format!("idPattern: a quantifier repeats a quantifier: {p}")));
            }
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
        if let Some(sq) = params.get("scopeQ") {
            s.scope_q = Some(ngsild::scope::ScopeQuery::parse(sq).map_err(|e| Fail::Problem(e.into()))?);
        }
        Ok(s)
    }

    /// Whether nothing narrows the query (a query must say what it asks for).
    pub fn selects_all(&self) -> bool {
        self.types.is_empty()
            && self.ids.is_empty()
            && self.id_pattern.is_none()
            && self.q.is_none()
            && self.geo.is_none()
            && self.scope_q.is_none()
    }

    /// Whether a GET query says what it asks for (clause 5.7.2): a type,
    /// `attrs`, `q`, `geoQ` or `scopeQ` (ids or an idPattern alone do
    /// not), or `local=true`, which asks for every entity.
    pub fn narrows(&self, params: &HashMap<String, String>) -> bool {
        // `attrs=id,type` or `attrs=createdAt` names no attribute (019_03_03).
        let system = ["", "id", "type", "scope", "createdAt", "modifiedAt", "deletedAt", "observedAt"];
        let attrs = params.get("attrs").is_some_and(|a| a.split(',').any(|n| !system.contains(&n.trim())));
        !self.types.is_empty()
            || attrs
            || self.q.is_some()
            || self.geo.is_some()
            || self.scope_q.is_some()
            || params.get("local").is_some_and(|l| l == "true")
    }

    /// The SQL of the candidates, read from `driver` first, and whether
    /// SQL alone decides the answer (then paging is SQL's too).
    fn to_sql(&self, tenant: &str, engine: Engine, driver: &Driver) -> Plan {
        let mut a = Args(Vec::new());
        let t = a.push(tenant);
        let mut exact = self.id_pattern.is_none() && self.geo.is_none() && self.scope_q.is_none();
        let (from, id, mut conds) = match driver {
            Driver::Boxes(g, b) => {
                let name = a.push(g.geoproperty.as_str());
                let (x0, x1, y0, y1) = (a.push(b.min_lon), a.push(b.max_lon), a.push(b.min_lat), a.push(b.max_lat));
                let (from, conds) = super::geo_index::boxes_driver(engine, &t, &name, [&x0, &x1, &y0, &y1], g, &mut |v| a.push(v));
                (from, "g.entity_id", conds)
            }
            Driver::Value(i) => {
                let term = top_terms(self.q.as_ref())[*i];
                let (name, cond) = term_sql(term, &mut a, "d").expect("a driving term has SQL");
                let attr = super::attr_names::id_of(&t, &name);
                ("sensor_attr_values d".to_string(), "d.entity_id", vec![format!("d.attr = {attr} AND {cond}")])
            }
            Driver::Type(ty) => {
                let ty = a.push(ty.as_str());
                ("sensor_entity_types t".to_string(), "t.entity_id", vec![format!("t.tenant_id = {t} AND t.type = {ty}")])
            }
            Driver::Entities => ("sensor_entities e".to_string(), "e.id", vec![format!("e.tenant_id = {t}")]),
        };
        let typed = matches!(driver, Driver::Type(_));
        if !typed && !self.types.is_empty() {
            let ors: Vec<String> = self
                .types
                .iter()
                .map(|g| {
                    let ands: Vec<String> = g
                        .iter()
                        .map(|ty| {
                            let p = a.push(ty.as_str());
                            format!("EXISTS (SELECT 1 FROM sensor_entity_types x WHERE x.tenant_id = {t} AND x.type = {p} AND x.entity_id = {id})")
                        })
                        .collect();
                    format!("({})", ands.join(" AND "))
                })
                .collect();
            conds.push(format!("({})", ors.join(" OR ")));
        }
        if !self.ids.is_empty() {
            let list: Vec<String> = self.ids.iter().map(|i| a.push(i.as_str())).collect();
            conds.push(format!("{id} IN ({})", list.join(", ")));
        }
        if let Some(q) = &self.q {
            let skip = match driver {
                Driver::Value(i) => Some(*i),
                _ => None,
            };
            let (cond, full) = q_sql(q, &mut a, &t, id, skip);
            exact &= full;
            if let Some(c) = cond {
                conds.push(c);
            }
        }
        // A selective term's rows are few: read them, then sort.
        let order = match driver {
            Driver::Value(_) => super::geo_index::sorted_after(engine, id),
            _ => id.to_string(),
        };
        Plan { from, id, order, conds: conds.join(" AND "), args: a.0, exact, tenant: t, boxes: matches!(driver, Driver::Boxes(..)) }
    }

    /// The indexes a query reads first, for its page and for its count:
    /// the boxes of a geoQ; else, for the page, the value index of the `q`
    /// term that holds for fewest entities when it holds for few (counted
    /// up to [`FEW`]), else the type index, else all entities. Walking a
    /// type's entities in id order and testing each answers a page quickly
    /// when many match, and slowly when few do; a count visits every
    /// candidate, so it reads whichever of the type and the terms has
    /// fewest entities (counted up to [`COUNT_CAP`]).
    async fn drivers(&self, store: &Store, tenant: &str, count: bool) -> Result<(Driver, Driver), Fail> {
        // Where SQL decides the relation, a geoQ with no box drives too.
        let anywhere = |g: &GeoQuery| super::geo_index::decides_relations(store.engine()).then(|| g.geometry.bbox());
        if let Some(g) = &self.geo
            && let Some(b) = prefilter(g).or_else(|| anywhere(g))
        {
            return Ok((Driver::Boxes(g.clone(), b), Driver::Boxes(g.clone(), b)));
        }
        // The term with fewest entities: each probe stops at the fewest found so far.
        let cap = if count { COUNT_CAP } else { FEW };
        let mut best: Option<(usize, i64)> = None;
        for (i, term) in top_terms(self.q.as_ref()).into_iter().enumerate() {
            let mut a = Args(Vec::new());
            let t = a.push(tenant);
            let Some((name, cond)) = term_sql(term, &mut a, "d") else { continue };
            let limit = best.map_or(cap + 1, |(_, m)| m);
            let attr = super::attr_names::id_of(&t, &name);
            let probe =
                format!("SELECT COUNT(*) FROM (SELECT 1 FROM sensor_attr_values d WHERE d.attr = {attr} AND {cond} LIMIT {limit}) c");
            let n: i64 = store.fetch_scalar(sql_built(probe).bind_all(a.0)).await?;
            if n < limit {
                best = Some((i, n));
            }
        }
        let single_type = match self.types.as_slice() {
            [single] if single.len() == 1 => Some(single[0].clone()),
            _ => None,
        };
        let (page, fewest) = match (best, &single_type) {
            (Some((i, n)), _) if n <= FEW => (Driver::Value(i), Driver::Value(i)),
            (Some((i, _)), Some(ty)) => (Driver::Type(ty.clone()), Driver::Value(i)),
            (Some((i, _)), None) => (Driver::Entities, Driver::Value(i)),
            (None, Some(ty)) => (Driver::Type(ty.clone()), Driver::Type(ty.clone())),
            (None, None) => (Driver::Entities, Driver::Entities),
        };
        let (Some((_, n)), Some(ty), true) = (best, single_type, count) else { return Ok((page, fewest)) };
        // Fewer entities of the type than of the term: the type index drives both.
        let probe =
            format!("SELECT COUNT(*) FROM (SELECT 1 FROM sensor_entity_types t WHERE t.tenant_id = $1 AND t.type = $2 LIMIT {n}) c");
        let of_type: i64 = store.fetch_scalar(sql_built(probe).bind(tenant).bind(ty.as_str())).await?;
        Ok(if of_type < n { (Driver::Type(ty.clone()), Driver::Type(ty)) } else { (page, fewest) })
    }
}

/// How many entities a `q` term may hold for and still drive a query's page.
const FEW: i64 = 2000;

/// How far a term's entities are counted when choosing what drives a count
/// (a count of index entries is cheap beside a test per candidate).
const COUNT_CAP: i64 = 100_000;

/// The index a query reads first (see [`Selector::drivers`]).
enum Driver {
    Boxes(GeoQuery, ngsild::geo::BBox),
    /// The `n`th term of the `q`'s top-level AND.
    Value(usize),
    Type(String),
    Entities,
}

/// A query's candidates: `SELECT ... FROM {from} WHERE {conds}`, their
/// ids in `id`; `exact` when SQL alone decides the answer.
struct Plan {
    from: String,
    id: &'static str,
    /// What the rows are sorted by (the id).
    order: String,
    conds: String,
    args: Vec<Value>,
    exact: bool,
    /// The tenant's placeholder.
    tenant: String,
    /// Whether the rows are boxes of the geoQ (`g`).
    boxes: bool,
}

impl Plan {
    /// The statement reading the bodies of the candidates with `tail`
    /// (`ORDER BY`, `LIMIT`): the entities are joined last.
    fn bodies(&self, tail: &str) -> Sql {
        let join = if self.id == "e.id" {
            String::new()
        } else {
            format!(" CROSS JOIN sensor_entities e WHERE e.tenant_id = {} AND e.id = {} AND", self.tenant, self.id)
        };
        let text = if join.is_empty() {
            format!("SELECT e.body FROM {} WHERE {} {tail}", self.from, self.conds)
        } else {
            format!("SELECT e.body FROM {}{join} {} {tail}", self.from, self.conds)
        };
        sql_built(text).bind_all(self.args.clone())
    }

    /// The bodies of a page: its ids sorted and cut first, on the indexes,
    /// then the bodies of those alone (joined before the sort, every
    /// candidate's body was read and carried through it).
    fn page(&self, limit: usize, offset: usize) -> Sql {
        let (id, order, from, conds, t) = (self.id, &self.order, &self.from, &self.conds, &self.tenant);
        sql_built(format!(
            "SELECT e.body FROM (SELECT {id} AS id FROM {from} WHERE {conds} ORDER BY {order} LIMIT {limit} OFFSET {offset}) p \
             CROSS JOIN sensor_entities e WHERE e.tenant_id = {t} AND e.id = p.id ORDER BY p.id"
        ))
        .bind_all(self.args.clone())
    }
}

/// The items of a `q`'s top-level AND (the `q` itself when it is one term).
fn top_terms(q: Option<&Expr>) -> Vec<&ngsild::q::Term> {
    match q {
        Some(Expr::Term(t)) => vec![t],
        Some(Expr::And(items)) => items.iter().filter_map(|i| if let Expr::Term(t) = i { Some(t) } else { None }).collect(),
        _ => Vec::new(),
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

/// A `q` term as a condition on a row `alias` of `sensor_attr_values` (the
/// placeholder of its name, the condition); none when SQL cannot decide it.
fn term_sql(term: &ngsild::q::Term, a: &mut Args, alias: &str) -> Option<(String, String)> {
    if !term.path.sub.is_empty() || !term.path.members.is_empty() {
        return None;
    }
    let column = |v: &QValue| match v {
        QValue::Number(_) => "num",
        QValue::Bool(_) | QValue::Text(_) | QValue::DateTime(..) | QValue::Date(_) | QValue::Time(_) | QValue::Uri(_) => "txt",
    };
    let bind = |v: &QValue, a: &mut Args| match v {
        QValue::Number(n) => a.push(*n),
        QValue::Bool(b) => a.push(b.to_string()),
        other => a.push(other.as_text().unwrap_or_default()),
    };
    let cond = match &term.test {
        Test::Compare(op, v) => format!("{alias}.{} {} {}", column(v), op.symbol(), bind(v, a)),
        Test::Equal(vs) if !vs.is_empty() => {
            let parts: Vec<String> = vs.iter().map(|v| format!("{alias}.{} = {}", column(v), bind(v, a))).collect();
            format!("({})", parts.join(" OR "))
        }
        Test::InRange(lo, hi) if column(lo) == column(hi) => {
            format!("{alias}.{} BETWEEN {} AND {}", column(lo), bind(lo, a), bind(hi, a))
        }
        _ => return None,
    };
    Some((a.push(term.path.attr.as_str()), cond))
}

/// The SQL of a `q` expression on the current values of entity `id`, and
/// whether it is exact; `None` when nothing of it narrows in SQL (the
/// matcher decides). `skip`: the top-level term the driver already holds.
fn q_sql(q: &Expr, a: &mut Args, t: &str, id: &str, skip: Option<usize>) -> (Option<String>, bool) {
    match q {
        Expr::And(items) => {
            let mut terms = 0;
            let mut parts = Vec::new();
            for item in items {
                if let Expr::Term(_) = item {
                    terms += 1;
                    if skip == Some(terms - 1) {
                        continue;
                    }
                }
                parts.push(q_sql(item, a, t, id, None));
            }
            let exact = parts.iter().all(|(_, e)| *e);
            let conds: Vec<String> = parts.into_iter().filter_map(|(c, _)| c).collect();
            ((!conds.is_empty()).then(|| format!("({})", conds.join(" AND "))), exact)
        }
        Expr::Or(items) => {
            let parts: Vec<(Option<String>, bool)> = items.iter().map(|i| q_sql(i, a, t, id, None)).collect();
            if parts.iter().any(|(c, _)| c.is_none()) {
                return (None, false);
            }
            let exact = parts.iter().all(|(_, e)| *e);
            let conds: Vec<String> = parts.into_iter().filter_map(|(c, _)| c).collect();
            (Some(format!("({})", conds.join(" OR "))), exact)
        }
        Expr::Term(_) if skip == Some(0) => (None, true),
        Expr::Term(term) => match term_sql(term, a, "v") {
            Some((name, c)) => {
                let sql = format!(
                    "EXISTS (SELECT 1 FROM sensor_attr_values v WHERE v.tenant_id = {t} AND v.entity_id = {id} AND v.name = {name} AND {c})"
                );
                (Some(sql), true)
            }
            None => (None, false),
        },
    }
}

pub(super) fn limit_of(params: &HashMap<String, String>) -> Result<(usize, usize), Fail> {
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
    // A q on lists or JSON values: the matcher decides (`unindexed.rs`).
    if let Some(q) = &s.q
        && super::unindexed::undecided(store, tenant, q).await?
    {
        return super::unindexed::select_matching(store, tenant, (s, q), (limit, offset, count)).await;
    }
    select_indexed(store, tenant, s, (limit, offset, count)).await
}

/// [`select`] when SQL's value index holds every value `q` tests (the
/// page: `limit`, `offset`, `count`).
pub(super) async fn select_indexed(
    store: &Store,
    tenant: &str,
    s: &Selector,
    page: (usize, usize, bool),
) -> Result<(Vec<Entity>, Option<usize>), Fail> {
    let (limit, offset, count) = page;
    let (driver, count_driver) = s.drivers(store, tenant, count).await?;
    let plan = s.to_sql(tenant, store.engine(), &driver);
    let (from, conds, id, order) = (&plan.from, &plan.conds, plan.id, &plan.order);
    if plan.exact {
        let rows = store.fetch_all(plan.page(limit, offset)).await?;
        let entities = rows.iter().map(|r| repo::from_body(&r.at::<String>(0)?)).collect::<Result<Vec<_>, _>>()?;
        let total = if count {
            // Counted on the indexes alone, from the one with fewest entities: no body is read.
            let c = s.to_sql(tenant, store.engine(), &count_driver);
            let n: i64 =
                store.fetch_scalar(sql_built(format!("SELECT COUNT(*) FROM {} WHERE {}", c.from, c.conds)).bind_all(c.args)).await?;
            Some(n as usize)
        } else {
            None
        };
        return Ok((entities, total));
    }
    let q_exact = s.q.as_ref().is_none_or(|q| q_sql(q, &mut Args(Vec::new()), "$1", "e.id", None).1);
    if !q_exact || s.scope_q.is_some() {
        return select_by_bodies(store, s, &plan, limit, offset, count).await;
    }
    // Only idPattern and the geometry are left to decide: on ids and
    // boxes first, the bodies only of what a box cannot decide.
    let decided = super::geo_index::decided_column(store.engine()).filter(|_| plan.boxes);
    let boxes = match decided {
        Some(column) => format!(", {column}"),
        None if plan.boxes => ", g.min_lon, g.max_lon, g.min_lat, g.max_lat".to_string(),
        None => String::new(),
    };
    let rows =
        store.fetch_all(sql_built(format!("SELECT {id}{boxes} FROM {from} WHERE {conds} ORDER BY {order}")).bind_all(plan.args)).await?;
    let mut hits: Vec<(String, bool)> = Vec::new();
    for r in rows {
        let eid: String = r.at(0)?;
        if s.id_pattern.as_ref().is_some_and(|re| !re.is_match(&eid)) {
            continue;
        }
        let sure = match &s.geo {
            None => true,
            // SQL decided the relation for this row, or could not (several instances).
            Some(_) if decided.is_some() => r.at(1)?,
            // A point's box is the point: the relation is decided on it. A
            // miss may still hold for another instance (datasetId): the body
            // says. `equals` tells a point from a one-point line: the body too.
            Some(g) if plan.boxes && g.georel != Georel::Equals => {
                let (x0, x1, y0, y1): (f64, f64, f64, f64) = (r.at(1)?, r.at(2)?, r.at(3)?, r.at(4)?);
                x0 == x1 && y0 == y1 && g.matches(&ngsild::geo::Geometry::Point([x0, y0]))
            }
            Some(_) => false,
        };
        hits.push((eid, sure));
    }
    let unsure: Vec<&str> = hits.iter().filter(|(_, sure)| !sure).map(|(id, _)| id.as_str()).collect();
    if !unsure.is_empty() {
        let held = repo::load_many(store, tenant, &unsure).await?;
        let geo = s.geo.as_ref().expect("only a geometry leaves a candidate unsure");
        hits.retain(|(id, sure)| *sure || held.get(id).is_some_and(|e| geo_hit(geo, e)));
    }
    let total = hits.len();
    let page: Vec<&str> = hits.iter().skip(offset).take(limit).map(|(id, _)| id.as_str()).collect();
    let mut held = repo::load_many(store, tenant, &page).await?;
    let entities = page.iter().filter_map(|id| held.remove(*id)).collect();
    Ok((entities, count.then_some(total)))
}

fn geo_hit(g: &GeoQuery, e: &Entity) -> bool {
    e.attrs.get(&g.geoproperty).into_iter().flatten().any(|a| a.geometry().is_some_and(|geo| g.matches(&geo)))
}

/// The answer when a `q` term needs the matcher: every candidate's body is read.
async fn select_by_bodies(
    store: &Store,
    s: &Selector,
    plan: &Plan,
    limit: usize,
    offset: usize,
    count: bool,
) -> Result<(Vec<Entity>, Option<usize>), Fail> {
    let rows = store.fetch_all(plan.bodies(&format!("ORDER BY {}", plan.order))).await?;
    let mut all = Vec::new();
    for r in rows {
        let e = repo::from_body(&r.at::<String>(0)?)?;
        if s.id_pattern.as_ref().is_some_and(|re| !re.is_match(&e.id)) {
            continue;
        }
        if s.geo.as_ref().is_some_and(|g| !geo_hit(g, &e)) {
            continue;
        }
        if s.scope_q.as_ref().is_some_and(|sq| !sq.matches(&ngsild::scope::scopes_of(e.scope.as_ref()))) {
            continue;
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
    let mut req = http::request(&ctx, &headers, None).await?;
    req.geometry_property = params.get("geometryProperty").cloned();
    let s = Selector::from_params(&req, &params)?;
    if !s.narrows(&params) {
        return Err(bad(ErrorType::BadRequestData, "a query needs type, attrs, q, geoQ, scopeQ or local=true"));
    }
    let (limit, offset) = limit_of(&params)?;
    let count = params.get("count").is_some_and(|c| c == "true");
    let shown = Projection::from_params(&req, &params)?;
    let join = super::join::Join::from_params(&params)?;
    let (entities, total) = match super::order::OrderBy::from_params(&req, &params)? {
        None => select(&ctx.app.store, &req.tenant, &s, limit, offset, count).await?,
        Some(order) => super::order::select_sorted(&ctx.app.store, &req.tenant, &s, &order, (limit, offset, count)).await?,
    };
    entities_answer(&ctx.app.store, &req, &params, (&shown, join.as_ref()), &entities, total).await
}

/// The answer of a query (GET, or POST `/entityOperations/query`): the
/// entities as `shown` (and joined), a FeatureCollection for GeoJSON, the
/// count if asked.
pub(super) async fn entities_answer(
    store: &Store,
    req: &Request,
    params: &HashMap<String, String>,
    (shown, join): (&Projection, Option<&super::join::Join>),
    entities: &[Entity],
    total: Option<usize>,
) -> Answer {
    let opts = Options::parse(params.get("options").map(String::as_str), params.get("format").map(String::as_str));
    // An entity `pick`/`omit` leaves nothing of is not listed as `{}`.
    let kept: Vec<Entity>;
    let entities = if entities.iter().any(|e| shown.hides_all(e, false)) {
        kept = entities.iter().filter(|e| !shown.hides_all(e, false)).cloned().collect();
        &kept[..]
    } else {
        entities
    };
    let items = super::join::render_all(join, store, req, shown, opts, entities).await?;
    let body = if req.geo_out { json!({"type": "FeatureCollection", "features": items}) } else { Json::Array(items) };
    let mut res = req.answer(StatusCode::OK, body);
    if let Some(n) = total {
        res.headers_mut().insert(http::COUNT_HEADER, HeaderValue::from(n));
    }
    Ok(res)
}
