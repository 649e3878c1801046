//! Where entities live: one row per entity (its normalised body, names
//! expanded), the indexes derived from it (types, current values of the
//! default instances, boxes of GeoProperties) and the instances over time.
//! Writers load entities, change them with `ngsild::update` in memory and
//! hand [`Write`]s back here; only what changed in the indexes is written.

use std::collections::{BTreeMap, HashMap};

use ngsild::entity::{AttrKind, Attribute, Entity, Form, Render};
use serde_json::Value as Json;

use crate::kernel::cores;
use crate::store::{Row, Store, StoreError, Tx, Value, insert_rows, insert_rows_on_conflict, sql, sql_built};

type Result<T> = std::result::Result<T, StoreError>;

/// Ids per `IN (...)` list: within `store::insert_rows`' cap on parameters.
pub(super) const IDS_PER_READ: usize = 399;

/// An entity to store: its new state and what was stored before (none for a new one).
pub struct Write {
    pub entity: Entity,
    pub old: Option<Entity>,
}

/// One instance of an attribute at one time.
#[derive(Clone, Debug)]
pub struct Instance {
    pub entity_id: String,
    pub name: String,
    pub dataset_id: String,
    /// Microseconds since the epoch: `observedAt`, else the write's time.
    pub at_us: i64,
    pub attr: Attribute,
}

impl Instance {
    /// What identifies it in the time series (the table's key within a tenant).
    pub fn key(&self) -> (String, String, String, i64) {
        (self.entity_id.clone(), self.name.clone(), self.dataset_id.clone(), self.at_us)
    }
}

/// Reads a stored body.
pub fn from_body(body: &str) -> Result<Entity> {
    let json: Json = serde_json::from_str(body).map_err(|e| StoreError::Other(format!("sensor entity body: {e}")))?;
    Entity::parse(&json, Form::Normalized).map_err(|e| StoreError::Other(format!("sensor entity body: {e}")))
}

fn to_body(e: &Entity) -> String {
    json_text(&e.to_normalized(Render { sys_attrs: true }))
}

/// JSON as text (`Display` writes the same through a formatter, slower).
fn json_text(json: &Json) -> String {
    serde_json::to_string(json).expect("a JSON value serialises")
}

/// The entities of rows whose first column is a body, parsed on every core (a batch write reads a thousand).
fn entities_from(rows: Vec<Row>) -> Result<Vec<Entity>> {
    cores::map(&rows, |r| from_body(&r.at::<String>(0)?)).into_iter().collect()
}

/// One stored entity.
pub async fn load(store: &Store, tenant: &str, id: &str) -> Result<Option<Entity>> {
    let q = sql("SELECT body FROM sensor_entities WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id);
    Ok(entities_from(store.fetch_all(q).await?)?.pop())
}

/// Stored entities by id, read inside a write's transaction.
pub async fn load_for_update(tx: &mut Tx, tenant: &str, ids: &[&str]) -> Result<HashMap<String, Entity>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(IDS_PER_READ) {
        for e in entities_from(tx.fetch_all(bodies_of(tenant, chunk)).await?)? {
            out.insert(e.id.clone(), e);
        }
    }
    Ok(out)
}

/// Stored entities by id (the page of a query).
pub async fn load_many(store: &Store, tenant: &str, ids: &[&str]) -> Result<HashMap<String, Entity>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(IDS_PER_READ) {
        for e in entities_from(store.fetch_all(bodies_of(tenant, chunk)).await?)? {
            out.insert(e.id.clone(), e);
        }
    }
    Ok(out)
}

fn bodies_of(tenant: &str, ids: &[&str]) -> crate::store::Sql {
    let list = placeholders(2, ids.len());
    sql_built(format!("SELECT body FROM sensor_entities WHERE tenant_id = $1 AND id IN ({list})"))
        .bind(tenant)
        .bind_all(ids.iter().map(|id| Value::from(*id)))
}

/// `$from, $from+1, ...` for a list of `n` values.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

fn ms_of(datetime: Option<&str>, fallback: i64) -> i64 {
    datetime.and_then(ngsild::time::parse_datetime).map_or(fallback, |us| us.div_euclid(1000))
}

/// The current value of each attribute's default instance, as the `q`
/// index holds it: (num, txt, observedAt ms).
type Indexed = (Option<f64>, Option<String>, Option<i64>);

fn default_instance(instances: &[Attribute]) -> Option<&Attribute> {
    instances.iter().find(|a| a.dataset_id.is_none())
}

/// The index value of an attribute instance: numbers, strings, booleans and
/// relationship objects; geometries go to the geo index instead. A list, a
/// compound value or a language map is a row with neither number nor
/// string: a `q` term on its name is then left to the matcher (`unindexed.rs`).
pub fn index_value(a: &Attribute) -> Option<(Option<f64>, Option<String>)> {
    match (a.kind, &a.value) {
        (AttrKind::GeoProperty, _) => None,
        (_, Json::Number(n)) => Some((n.as_f64(), None)),
        (_, Json::String(s)) => Some((None, Some(s.clone()))),
        (_, Json::Bool(b)) => Some((None, Some(b.to_string()))),
        _ => Some((None, None)),
    }
}

fn indexed(e: &Entity) -> BTreeMap<&str, Indexed> {
    e.attrs
        .iter()
        .filter_map(|(name, instances)| {
            let a = default_instance(instances)?;
            let (num, txt) = index_value(a)?;
            Some((name.as_str(), (num, txt, a.observed_at_micros().map(|us| us.div_euclid(1000)))))
        })
        .collect()
}

/// The box of each GeoProperty with a default instance, with what else its
/// row stands for: PostgreSQL's shape of it is computed from the default
/// instance's geometry and the number of instances (`geo_index`), so a
/// change of either writes the row again even when the box stays. The box
/// holds every instance (datasetId), so that a box search on SQLite finds
/// an entity by any of them and may leave out what its box is too far for
/// (`geo_index::boxes_driver`).
fn boxes(e: &Entity) -> BTreeMap<&str, (ngsild::geo::BBox, ngsild::geo::Geometry, usize)> {
    e.attrs
        .iter()
        .filter_map(|(name, instances)| {
            let geometry = default_instance(instances)?.geometry()?;
            let others = instances.iter().filter(|a| a.dataset_id.is_some()).filter_map(|a| a.geometry());
            let b = others.fold(geometry.bbox(), |b, g| union(b, g.bbox()));
            Some((name.as_str(), (b, geometry, instances.len())))
        })
        .collect()
}

fn union(a: ngsild::geo::BBox, b: ngsild::geo::BBox) -> ngsild::geo::BBox {
    ngsild::geo::BBox {
        min_lon: a.min_lon.min(b.min_lon),
        min_lat: a.min_lat.min(b.min_lat),
        max_lon: a.max_lon.max(b.max_lon),
        max_lat: a.max_lat.max(b.max_lat),
    }
}

/// Stores entities (new or changed) with their indexes, in the caller's
/// transaction. Rows go in multi-row statements of `store::insert_rows`
/// (its cap on parameters: SQLite binds in time square to their number).
pub async fn save(tx: &mut Tx, tenant: &str, writes: &[Write]) -> Result<()> {
    if writes.is_empty() {
        return Ok(());
    }
    let now = tx.now_ms();
    // In key order: each table's rows then go into its b-trees one after
    // the other, not in a hash map's order across the whole table.
    let mut writes: Vec<&Write> = writes.iter().collect();
    writes.sort_unstable_by(|a, b| a.entity.id.cmp(&b.entity.id));
    let writes = writes.as_slice();
    let bodies = cores::map(writes, |w| to_body(&w.entity));
    let rows = writes.iter().zip(bodies).map(|(w, body)| {
        let e = &w.entity;
        vec![
            Value::from(tenant),
            Value::from(e.id.as_str()),
            Value::from(serde_json::to_string(&e.types).expect("strings")),
            Value::from(e.scope.as_ref().map(|s| s.to_string())),
            Value::from(body),
            Value::from(ms_of(e.created_at.as_deref(), now)),
            Value::from(ms_of(e.modified_at.as_deref(), now)),
        ]
    });
    insert_rows_on_conflict(
        tx,
        "sensor_entities (tenant_id, id, types, scope, body, created_at, modified_at)",
        rows,
        "ON CONFLICT (tenant_id, id) DO UPDATE SET types = excluded.types, scope = excluded.scope, body = excluded.body, \
         modified_at = excluded.modified_at",
    )
    .await?;
    save_types(tx, tenant, writes).await?;
    save_values(tx, tenant, writes).await?;
    save_boxes(tx, tenant, writes).await
}

async fn save_types(tx: &mut Tx, tenant: &str, writes: &[&Write]) -> Result<()> {
    let mut rows = Vec::new();
    for w in writes {
        let same = w.old.as_ref().is_some_and(|o| o.types == w.entity.types);
        if same {
            continue;
        }
        if w.old.is_some() {
            let q = sql("DELETE FROM sensor_entity_types WHERE tenant_id = $1 AND entity_id = $2").bind(tenant).bind(&w.entity.id);
            tx.execute(q).await?;
        }
        rows.extend(w.entity.types.iter().map(|t| vec![Value::from(tenant), Value::from(t.as_str()), Value::from(w.entity.id.as_str())]));
    }
    insert_rows_on_conflict(tx, "sensor_entity_types (tenant_id, type, entity_id)", rows, "ON CONFLICT DO NOTHING").await?;
    Ok(())
}

async fn save_values(tx: &mut Tx, tenant: &str, writes: &[&Write]) -> Result<()> {
    // By what changed: SQLite rewrites the entry of every index over a
    // column an upsert sets, changed or not, so a new number of an
    // attribute whose string stays (none) leaves the string index alone.
    let mut numbers = Vec::new();
    let mut others = Vec::new();
    for w in writes {
        let new = indexed(&w.entity);
        let old = w.old.as_ref().map(indexed).unwrap_or_default();
        for name in old.keys().filter(|n| !new.contains_key(*n)) {
            let q = sql("DELETE FROM sensor_attr_values WHERE tenant_id = $1 AND entity_id = $2 AND name = $3")
                .bind(tenant)
                .bind(&w.entity.id)
                .bind(*name);
            tx.execute(q).await?;
        }
        for (name, (num, txt, at)) in new {
            let rows = match old.get(name) {
                Some(held) if *held == (num, txt.clone(), at) => continue,
                Some((_, held_txt, _)) if *held_txt == txt => &mut numbers,
                _ => &mut others,
            };
            rows.push((w.entity.id.as_str(), name, (num, txt, at)));
        }
    }
    let mut names: Vec<&str> = numbers.iter().chain(&others).map(|r| r.1).collect();
    names.sort_unstable();
    names.dedup();
    let ids = super::attr_names::ids(tx, tenant, &names).await?;
    let with_numbers = |found: Vec<(&str, &str, Indexed)>| -> Vec<Vec<Value>> {
        found
            .into_iter()
            .map(|(id, name, (num, txt, at))| {
                vec![
                    Value::from(tenant),
                    Value::from(id),
                    Value::from(name),
                    Value::from(ids[name]),
                    Value::from(num),
                    Value::from(txt),
                    Value::from(at),
                ]
            })
            .collect()
    };
    let (numbers, others) = (with_numbers(numbers), with_numbers(others));
    let columns = "sensor_attr_values (tenant_id, entity_id, name, attr, num, txt, observed_at)";
    let on_conflict = "ON CONFLICT (tenant_id, entity_id, name) DO UPDATE SET";
    insert_rows_on_conflict(tx, columns, numbers, &format!("{on_conflict} num = excluded.num, observed_at = excluded.observed_at")).await?;
    insert_rows_on_conflict(
        tx,
        columns,
        others,
        &format!("{on_conflict} num = excluded.num, txt = excluded.txt, observed_at = excluded.observed_at"),
    )
    .await?;
    Ok(())
}

async fn save_boxes(tx: &mut Tx, tenant: &str, writes: &[&Write]) -> Result<()> {
    let mut rows = Vec::new();
    for w in writes {
        let new = boxes(&w.entity);
        let old = w.old.as_ref().map(boxes).unwrap_or_default();
        for (name, _) in old.iter().filter(|(n, b)| new.get(*n) != Some(b)) {
            let q = sql("DELETE FROM sensor_geo WHERE tenant_id = $1 AND entity_id = $2 AND name = $3")
                .bind(tenant)
                .bind(&w.entity.id)
                .bind(*name);
            tx.execute(q).await?;
        }
        for (name, b) in new.into_iter().filter(|(n, b)| old.get(n) != Some(b)) {
            rows.push((w.entity.id.as_str(), name, b));
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let first = super::geo_index::next_rid(tx).await?;
    let rows = rows.into_iter().zip(first..).map(|((id, name, (b, ..)), rid)| {
        vec![
            Value::from(tenant),
            Value::from(id),
            Value::from(name),
            Value::from(rid),
            Value::from(b.min_lon),
            Value::from(b.max_lon),
            Value::from(b.min_lat),
            Value::from(b.max_lat),
        ]
    });
    insert_rows(tx, "sensor_geo (tenant_id, entity_id, name, rid, min_lon, max_lon, min_lat, max_lat)", rows).await
}

/// Writes the box of every stored entity again, numbering the boxes anew:
/// `db copy` rebuilds them on its target rather than copying them. A box's
/// R*Tree id on SQLite is its row's key, which PostgreSQL's rows do not
/// keep unique; PostgreSQL's shapes are made by its trigger from the rows.
pub async fn rebuild_boxes(store: &Store) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.execute(sql("DELETE FROM sensor_geo")).await?;
    let (mut tenant, mut id) = (String::new(), String::new());
    loop {
        let q = sql("SELECT body, tenant_id, id FROM sensor_entities WHERE tenant_id > $1 OR (tenant_id = $1 AND id > $2) \
             ORDER BY tenant_id, id LIMIT 500")
        .bind(tenant.as_str())
        .bind(id.as_str());
        let rows = tx.fetch_all(q).await?;
        let Some(last) = rows.last() else { break };
        (tenant, id) = (last.at(1)?, last.at(2)?);
        let tenants = rows.iter().map(|r| r.at::<String>(1)).collect::<Result<Vec<_>>>()?;
        let writes = entities_from(rows)?.into_iter().map(|entity| Write { entity, old: None });
        let page: Vec<(String, Write)> = tenants.into_iter().zip(writes).collect();
        // The page is in tenant order: one call a tenant.
        for group in page.chunk_by(|a, b| a.0 == b.0) {
            let same: Vec<&Write> = group.iter().map(|(_, w)| w).collect();
            save_boxes(&mut tx, &group[0].0, &same).await?;
        }
    }
    tx.commit().await
}

/// Adds instances to the time series; one already stored (same attribute,
/// dataset and time) is skipped. Answers how many were new.
pub async fn add_instances(tx: &mut Tx, tenant: &str, instances: &[Instance]) -> Result<usize> {
    put_instances(tx, tenant, instances, false).await
}

/// [`add_instances`], or with `replace` an instance already stored at the
/// same time (same attribute and datasetId) takes the new body: the
/// temporal API's upsert (`POST /temporal/entities`, clause 5.6.11).
/// Instances repeating a key must not be given twice then (PostgreSQL
/// refuses to update a row twice in one statement).
pub async fn put_instances(tx: &mut Tx, tenant: &str, instances: &[Instance], replace: bool) -> Result<usize> {
    // In key order, as in `save`; stable, so of two with one key the first given is the one kept.
    let mut sorted: Vec<&Instance> = instances.iter().collect();
    sorted.sort_by(|a, b| (&a.entity_id, &a.name, &a.dataset_id, a.at_us).cmp(&(&b.entity_id, &b.name, &b.dataset_id, b.at_us)));
    let bodies = cores::map(&sorted, |i| json_text(&i.attr.to_normalized(Render { sys_attrs: true })));
    let rows = sorted.into_iter().zip(bodies).map(|(i, body)| {
        let num = index_value(&i.attr).and_then(|(n, _)| n);
        vec![
            Value::from(tenant),
            Value::from(i.entity_id.as_str()),
            Value::from(i.name.as_str()),
            Value::from(i.dataset_id.as_str()),
            Value::from(i.at_us),
            Value::from(num),
            Value::from(body),
        ]
    });
    let added = insert_rows_on_conflict(
        tx,
        "sensor_instances (tenant_id, entity_id, name, dataset_id, at, num, body)",
        rows,
        if replace {
            "ON CONFLICT (tenant_id, entity_id, name, dataset_id, at) DO UPDATE SET num = excluded.num, body = excluded.body"
        } else {
            "ON CONFLICT DO NOTHING"
        },
    )
    .await?;
    // Their hours' rolled-up rows are stale until the sweep (temporal readers read these hours raw).
    super::rollup::mark(tx, tenant, instances).await?;
    Ok(added as usize)
}

/// The instances a write adds to the time series: every instance the write
/// changed, at its `observedAt`, else at the write's time.
pub fn instances_of(entity: &Entity, names: &[String], now_us: i64) -> Vec<Instance> {
    let mut out = Vec::new();
    for name in names {
        for a in entity.attrs.get(name).into_iter().flatten() {
            out.push(Instance {
                entity_id: entity.id.clone(),
                name: name.clone(),
                dataset_id: a.dataset_id.clone().unwrap_or_default(),
                at_us: a.observed_at_micros().unwrap_or(now_us),
                attr: a.clone(),
            });
        }
    }
    out
}

/// Deletes an entity and its indexes (its time series stays for the temporal API).
pub async fn delete(tx: &mut Tx, tenant: &str, id: &str) -> Result<bool> {
    for table in ["sensor_geo", "sensor_attr_values", "sensor_entity_types"] {
        tx.execute(sql_built(format!("DELETE FROM {table} WHERE tenant_id = $1 AND entity_id = $2")).bind(tenant).bind(id)).await?;
    }
    let n = tx.execute(sql("DELETE FROM sensor_entities WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id)).await?;
    Ok(n > 0)
}

/// An entity with its names as short names under the core context
/// (`waterLevel`, `WaterObserved`): for pages of other modules.
pub async fn load_short(store: &Store, tenant: &str, id: &str) -> Result<Option<Entity>> {
    let core = ngsild::context::core();
    Ok(load(store, tenant, id).await?.map(|e| e.map_names(&|n| core.compact(n))))
}

/// The entities of a type (a short name under the core context), by id,
/// names short: for pages of other modules (the gauges of the flood page).
pub async fn of_type(store: &Store, tenant: &str, entity_type: &str, limit: i64) -> Result<Vec<Entity>> {
    let core = ngsild::context::core();
    let q = sql("SELECT e.body FROM sensor_entity_types t JOIN sensor_entities e ON e.tenant_id = t.tenant_id AND e.id = t.entity_id \
         WHERE t.tenant_id = $1 AND t.type = $2 ORDER BY e.id LIMIT $3")
    .bind(tenant)
    .bind(core.expand(entity_type))
    .bind(limit);
    Ok(entities_from(store.fetch_all(q).await?)?.into_iter().map(|e| e.map_names(&|n| core.compact(n))).collect())
}

/// One attribute's default-instance values in `[from_ms, to_ms)`, oldest
/// first, as (milliseconds, value): the trend of a reading.
pub async fn series(store: &Store, tenant: &str, entity_id: &str, attr: &str, from_ms: i64, to_ms: i64) -> Result<Vec<(i64, Json)>> {
    let q = sql("SELECT at, body FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id = '' \
         AND at >= $4 AND at < $5 ORDER BY at")
    .bind(tenant)
    .bind(entity_id)
    .bind(ngsild::context::core().expand(attr))
    .bind(from_ms * 1000)
    .bind(to_ms * 1000);
    let mut out = Vec::new();
    for r in store.fetch_all(q).await? {
        let body: Json = serde_json::from_str(&r.at::<String>(1)?).map_err(|e| StoreError::Other(format!("sensor instance: {e}")))?;
        out.push((r.at::<i64>(0)?.div_euclid(1000), body.get("value").cloned().unwrap_or(Json::Null)));
    }
    Ok(out)
}
