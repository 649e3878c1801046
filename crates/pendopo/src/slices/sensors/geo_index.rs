//! The one place of the broker that knows the engine: boxes of
//! GeoProperties are searched through SQLite's R*Tree (`sensor_geo_rtree`,
//! kept by triggers from `sensor_geo`, keyed by `rid`; the relation is then
//! decided in Rust by `ngsild::geo`), and on PostgreSQL PostGIS decides the
//! relation itself over `sensor_geo_shapes` (kept by a trigger from
//! `sensor_geo` and the stored body, migration 0030, GIST index), so no
//! body is read for it.

use ngsild::geo::{GeoQuery, Georel};

use crate::store::{Engine, StoreError, Tx, Value, sql};

/// The R*Tree id of the first new box of a write; the next boxes take the
/// numbers after it (SQLite has one writer, so they are safe to take).
/// PostgreSQL does not use it: every box has 0 there.
pub async fn next_rid(tx: &mut Tx) -> Result<i64, StoreError> {
    match tx.engine() {
        Engine::Sqlite => tx.fetch_scalar(sql("SELECT COALESCE(MAX(rid), 0) + 1 FROM sensor_geo")).await,
        Engine::Postgres => Ok(0),
    }
}

/// The tables and conditions that read the boxes of GeoProperty `name`
/// meeting the box `[min_lon, max_lon, min_lat, max_lat]` (all
/// placeholders) as the first table of a query: its rows are `g`
/// (`g.entity_id`, `g.min_lon`...). On SQLite the R*Tree is read first
/// (`CROSS JOIN` keeps that order). On PostgreSQL the rows are shapes
/// standing in the relation of `geo` (its arguments bound through `push`),
/// or shapes [`decided_column`] says SQL could not decide.
pub fn boxes_driver(
    engine: Engine,
    tenant: &str,
    name: &str,
    [x0, x1, y0, y1]: [&str; 4],
    geo: &GeoQuery,
    push: &mut dyn FnMut(Value) -> String,
) -> (String, Vec<String>) {
    match engine {
        Engine::Sqlite => (
            "sensor_geo_rtree r CROSS JOIN sensor_geo g".to_string(),
            vec![
                format!("r.min_lon <= {x1} AND r.max_lon >= {x0} AND r.min_lat <= {y1} AND r.max_lat >= {y0}"),
                "g.rid = r.rid".to_string(),
                format!("g.tenant_id = {tenant} AND g.name = {name}"),
            ],
        ),
        Engine::Postgres => {
            let mut conds = vec![format!("g.tenant_id = {tenant} AND g.name = {name}")];
            // `nearMin` and `disjoint` hold far away: no box narrows them.
            if !matches!(geo.georel, Georel::NearMin(_) | Georel::Disjoint) {
                conds.push(format!("g.shape && ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326)"));
            }
            // CASE: a shape PostGIS could not read is never tested.
            conds.push(format!("CASE WHEN g.decided THEN {} ELSE TRUE END", postgis_relation(geo, "g.shape", push)));
            ("sensor_geo_shapes g".to_string(), conds)
        }
    }
}

/// The column of a row of [`boxes_driver`] that says SQL decided the
/// relation for it (PostgreSQL); none where Rust decides (SQLite).
pub fn decided_column(engine: Engine) -> Option<&'static str> {
    match engine {
        Engine::Sqlite => None,
        Engine::Postgres => Some("g.decided"),
    }
}

/// Whether the engine decides every relation in SQL, so that a geoQ with
/// no box to narrow it (`nearMin`, `disjoint`) still drives the query.
pub fn decides_relations(engine: Engine) -> bool {
    decided_column(engine).is_some()
}

/// A geoQ's relation as a PostGIS condition on `shape`, with what
/// `ngsild::geo` means by each (so both engines answer alike): boundaries
/// count as inside (`ST_CoveredBy`, not `ST_Within`), distances are on the
/// sphere of `ngsild::geo::EARTH_RADIUS_M` (geography without the
/// spheroid), `equals` is the same vertices in the same order, and
/// `overlaps` is meeting without either holding the other, for lines along
/// a stretch.
fn postgis_relation(geo: &GeoQuery, shape: &str, push: &mut dyn FnMut(Value) -> String) -> String {
    // A sub-select: the reference geometry is read once, not per row.
    let q = format!(
        "(SELECT ST_SetSRID(ST_GeomFromGeoJSON(CAST({} AS TEXT)), 4326))",
        push(Value::from(geo.geometry.to_geojson().to_string()))
    );
    let mut within = |metres: f64| format!("ST_DWithin({shape}::geography, {q}::geography, {}, false)", push(Value::from(metres)));
    match geo.georel {
        Georel::NearMax(m) => within(m),
        Georel::NearMin(m) => format!("NOT {}", within(m)),
        Georel::Within => format!("ST_CoveredBy({shape}, {q})"),
        Georel::Contains => format!("ST_Covers({shape}, {q})"),
        Georel::Intersects => format!("ST_Intersects({shape}, {q})"),
        Georel::Disjoint => format!("NOT ST_Intersects({shape}, {q})"),
        Georel::Equals => format!("ST_OrderingEquals({shape}, {q})"),
        Georel::Overlaps => format!(
            "(ST_Dimension({shape}) = ST_Dimension({q}) AND ST_Intersects({shape}, {q}) AND NOT ST_CoveredBy({shape}, {q}) \
             AND NOT ST_CoveredBy({q}, {shape}) AND (ST_Dimension({shape}) <> 1 OR ST_Dimension(ST_Intersection({shape}, {q})) = 1))"
        ),
    }
}

/// `column` as a sort key no index may supply: the query then reads the
/// index its conditions choose and sorts what it found. SQLite would
/// otherwise walk the whole primary key of the value table in id order to
/// skip a sort, instead of a selective `q` term's few rows (unary `+` keeps
/// an index from a term); PostgreSQL's planner weighs both by itself.
pub fn sorted_after(engine: Engine, column: &str) -> String {
    match engine {
        Engine::Sqlite => format!("+{column}"),
        Engine::Postgres => column.to_string(),
    }
}
