//! The one place of the broker that knows the engine: boxes of
//! GeoProperties are searched through SQLite's R*Tree (`sensor_geo_rtree`,
//! kept by triggers from `sensor_geo`, keyed by `rid`; the relation is then
//! decided in Rust by `ngsild::geo`), and on PostgreSQL PostGIS decides the
//! relation itself over `sensor_geo_shapes` (kept by a trigger from
//! `sensor_geo` and the stored body, migration 0030, GIST index), so no
//! body is read for it.

use std::f64::consts::PI;

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
        Engine::Sqlite => {
            let mut conds = vec![format!("r.min_lon <= {x1} AND r.max_lon >= {x0} AND r.min_lat <= {y1} AND r.max_lat >= {y0}")];
            // On the R*Tree's own row: the corners of the search box are
            // left before their row and type are looked up.
            conds.extend(may_be_near(geo, "r", push));
            conds.push("g.rid = r.rid".to_string());
            conds.push(format!("g.tenant_id = {tenant} AND g.name = {name}"));
            ("sensor_geo_rtree r CROSS JOIN sensor_geo g".to_string(), conds)
        }
        Engine::Postgres => {
            let mut conds = vec![format!("g.tenant_id = {tenant} AND g.name = {name}")];
            // `nearMin` and `disjoint` hold far away: no box narrows them.
            if !matches!(geo.georel, Georel::NearMin(_) | Georel::Disjoint) {
                // A shape SQL does not decide may have another instance in the box.
                conds.push(format!("(g.shape && ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 4326) OR NOT g.decided)"));
            }
            // CASE: a shape PostGIS could not read is never tested.
            conds.push(format!("CASE WHEN g.decided THEN {} ELSE TRUE END", postgis_relation(geo, "g.shape", push)));
            ("sensor_geo_shapes g".to_string(), conds)
        }
    }
}

/// For `near;maxDistance` from a point, a condition on the box of a row
/// `alias` (`min_lon`...) that holds for every box within the distance, in
/// arithmetic alone (SQLite has no trigonometry): the square box searched
/// has corners farther than the distance, about a fifth of its boxes, and
/// testing them here spares their rows' and types' look-ups. Rust decides
/// the distance exactly afterwards (`ngsild::geo`), so this may keep a box
/// too many, never leave one out. None when the relation is another, or
/// the box searched crosses the antimeridian.
///
/// Why it never leaves a box out: a point p of the box within distance d of
/// the query point q has, by the haversine formula, `hav(d/R) = hav(dlat) +
/// cos(lat_q) cos(lat_p) hav(dlon)`, where dlat and dlon are at least the
/// gaps between q and the box's ranges (`gap_lat`, `gap_lon`, radians), and
/// `lat_p` lies within d of `lat_q`, so `cos(lat_p) >= c_min`. With `4
/// hav(x) = 4 sin²(x/2) >= x²(1 - x²/12)` (x up to π) and `4 hav(d/R) <=
/// (d/R)²`: `gap_lat²(1 - m_lat²/12) + cos(lat_q) c_min gap_lon²(1 -
/// m_lon²/12) <= (d/R)²`, m being the largest gap a box the R*Tree finds
/// may have (half the box searched).
fn may_be_near(geo: &GeoQuery, alias: &str, push: &mut dyn FnMut(Value) -> String) -> Option<String> {
    let (Georel::NearMax(metres), Some([lon, lat])) = (geo.georel, geo.geometry.as_point()) else { return None };
    let searched = geo.geometry.bbox().grown(metres);
    // Past the antimeridian a box's gap in longitude is not the least one.
    if searched.min_lon < -180.0 || searched.max_lon > 180.0 {
        return None;
    }
    let m_lon = (searched.max_lon - lon).max(lon - searched.min_lon).to_radians();
    let m_lat = (metres / ngsild::geo::EARTH_RADIUS_M).min(PI);
    // The least cosine of a latitude within the distance (0 past a pole).
    let farthest = (lat.abs() + m_lat.to_degrees()).min(90.0);
    let c_min = lat.to_radians().cos() * farthest.to_radians().cos().max(0.0);
    let per_degree = (PI / 180.0).powi(2);
    let k_lat = per_degree * (1.0 - m_lat * m_lat / 12.0);
    let k_lon = per_degree * c_min * (1.0 - m_lon * m_lon / 12.0);
    // A millionth more: rounding (and the R*Tree's 32-bit coordinates,
    // rounded outward, only make the gaps smaller) never leaves a box out.
    let limit = (metres / ngsild::geo::EARTH_RADIUS_M).powi(2) * (1.0 + 1e-6);
    let (lon, lat) = (push(Value::from(lon)), push(Value::from(lat)));
    let gap_lat = format!("MAX({alias}.min_lat - {lat}, {lat} - {alias}.max_lat, 0)");
    let gap_lon = format!("MAX({alias}.min_lon - {lon}, {lon} - {alias}.max_lon, 0)");
    let (k_lat, k_lon, limit) = (push(Value::from(k_lat)), push(Value::from(k_lon)), push(Value::from(limit)));
    Some(format!("{k_lat} * {gap_lat} * {gap_lat} + {k_lon} * {gap_lon} * {gap_lon} <= {limit}"))
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
