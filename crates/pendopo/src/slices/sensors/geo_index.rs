//! The one place of the broker that knows the engine: boxes of
//! GeoProperties are searched through SQLite's R*Tree (`sensor_geo_rtree`,
//! kept by triggers from `sensor_geo`, keyed by `rid`) and through plain
//! btree indexes on PostgreSQL (no PostGIS to install; a regency's few
//! thousand sensors do not need it).

use crate::store::Engine;

/// The SQL expression of a new box's R*Tree id (SQLite has one writer, so
/// the next number is safe to take); PostgreSQL does not use it.
pub fn new_rid(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "(SELECT COALESCE(MAX(rid), 0) + 1 FROM sensor_geo)",
        Engine::Postgres => "0",
    }
}

/// A subquery of the entity ids whose box of GeoProperty `name` meets the
/// box `[min_lon, max_lon, min_lat, max_lat]` (all placeholders).
pub fn boxes_sql(engine: Engine, tenant: &str, name: &str, [x0, x1, y0, y1]: [&str; 4]) -> String {
    match engine {
        Engine::Sqlite => format!(
            "SELECT g.entity_id FROM sensor_geo_rtree r JOIN sensor_geo g ON g.rid = r.rid \
             WHERE r.min_lon <= {x1} AND r.max_lon >= {x0} AND r.min_lat <= {y1} AND r.max_lat >= {y0} \
             AND g.tenant_id = {tenant} AND g.name = {name}"
        ),
        Engine::Postgres => format!(
            "SELECT g.entity_id FROM sensor_geo g WHERE g.tenant_id = {tenant} AND g.name = {name} \
             AND g.min_lon <= {x1} AND g.max_lon >= {x0} AND g.min_lat <= {y1} AND g.max_lat >= {y0}"
        ),
    }
}
