//! A gauge's readings as the broker holds them: the current `waterLevel`
//! of its WaterObserved entity (with when it was observed) and its points
//! over a window.

use crate::slices::sensors::repo;
use crate::store::{Store, StoreError};

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

/// The points since `from_ms`, oldest first (those that are numbers).
pub async fn since(store: &Store, tenant: &str, entity_id: &str, from_ms: i64) -> Result<Vec<Reading>, StoreError> {
    let points = repo::series(store, tenant, entity_id, ATTRIBUTE, from_ms, i64::MAX / 1000).await?;
    Ok(points.into_iter().filter_map(|(ms, value)| value.as_f64().map(|metres| Reading { metres, observed_at_ms: ms })).collect())
}
