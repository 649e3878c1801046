//! A gauge's readings as the broker holds them: the current `waterLevel`
//! of its WaterObserved entity (with when it was observed) and its points
//! over a window.

use crate::slices::sensors::repo;
use crate::store::{Store, StoreError, sql};

#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Reading {
    pub metres: f64,
    pub observed_at_ms: i64,
}

pub const ATTRIBUTE: &str = "waterLevel";
pub const ENTITY_TYPE: &str = "WaterObserved";

/// The current reading of the gauge's entity, if it has one.
pub async fn latest(store: &Store, tenant: &str, entity_id: &str) -> Result<Option<Reading>, StoreError> {
    let Some(entity) = repo::load(store, tenant, entity_id).await? else {
        return Ok(None);
    };
    let name = ngsild::context::core().expand(ATTRIBUTE);
    let Some(attr) = entity.attrs.get(&name).and_then(|list| list.iter().find(|a| a.dataset_id.is_none())) else {
        return Ok(None);
    };
    Ok(match (attr.value.as_f64(), attr.observed_at_micros()) {
        (Some(metres), Some(us)) => Some(Reading { metres, observed_at_ms: us / 1000 }),
        _ => None,
    })
}

/// The points since `from_ms`, oldest first. Reads the broker's series
/// table (its numeric column) directly until the broker offers a temporal
/// read function to call instead.
pub async fn since(store: &Store, tenant: &str, entity_id: &str, from_ms: i64) -> Result<Vec<Reading>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT at, num FROM sensor_instances WHERE tenant_id = $1 AND entity_id = $2 AND name = $3 AND dataset_id = '' AND at >= $4
                 AND num IS NOT NULL ORDER BY at")
            .bind(tenant)
            .bind(entity_id)
            .bind(ngsild::context::core().expand(ATTRIBUTE))
            .bind(from_ms * 1000),
        )
        .await?;
    rows.iter().map(|r| Ok(Reading { observed_at_ms: r.at::<i64>(0)? / 1000, metres: r.at(1)? })).collect()
}
