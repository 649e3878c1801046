//! The one place of the broker that knows the engine: boxes of
//! GeoProperties are searched through SQLite's R*Tree (`sensor_geo_rtree`,
//! kept by triggers from `sensor_geo`, keyed by `rid`) and through plain
//! btree indexes on PostgreSQL (no PostGIS to install; a regency's few
//! thousand sensors do not need it).

use crate::store::{Engine, StoreError, Tx, sql};

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
/// (`CROSS JOIN` keeps that order).
pub fn boxes_driver(engine: Engine, tenant: &str, name: &str, [x0, x1, y0, y1]: [&str; 4]) -> (String, Vec<String>) {
    match engine {
        Engine::Sqlite => (
            "sensor_geo_rtree r CROSS JOIN sensor_geo g".to_string(),
            vec![
                format!("r.min_lon <= {x1} AND r.max_lon >= {x0} AND r.min_lat <= {y1} AND r.max_lat >= {y0}"),
                "g.rid = r.rid".to_string(),
                format!("g.tenant_id = {tenant} AND g.name = {name}"),
            ],
        ),
        Engine::Postgres => (
            "sensor_geo g".to_string(),
            vec![
                format!("g.tenant_id = {tenant} AND g.name = {name}"),
                format!("g.min_lon <= {x1} AND g.max_lon >= {x0} AND g.min_lat <= {y1} AND g.max_lat >= {y0}"),
            ],
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
