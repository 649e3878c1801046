//! The one door through which measures become entity updates and
//! time-series points: from MQTT and the IoT Agent's HTTP endpoint, a
//! reading entered by hand, the demo and the simulator.
//!
//! CONTRACT between the broker (which implements [`store`]) and the
//! ingestion (which calls it); the broker branch replaces the body.

use std::collections::HashMap;

use ngsild::entity::{Attribute, Entity};

use super::repo;
use crate::store::{Store, StoreError};

/// One device's measures at one time, already mapped to its entity.
#[derive(Clone, Debug)]
pub struct Measure {
    /// The entity's id (a URI, `urn:ngsi-ld:WaterObserved:bojonegoro`).
    pub entity_id: String,
    /// Its type as a short name under the core context (`WaterObserved`).
    pub entity_type: String,
    /// When it was measured, milliseconds since the epoch.
    pub observed_at_ms: i64,
    /// The attributes, by short name under the core context, with their
    /// values (`observedAt` is set from `observed_at_ms` by [`store`]).
    pub attrs: Vec<(String, Attribute)>,
}

/// What [`store`] did with a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Attribute instances stored as new points.
    pub points: usize,
    /// Instances already stored (same entity, attribute and time): skipped.
    pub duplicates: usize,
}

/// Stores a batch in one transaction: creates missing entities, sets each
/// attribute's current value when the measure is newer than what is held,
/// and adds every instance to the attribute's time series in time order
/// (an older measure arriving late is a point, not the current value).
pub async fn store(store: &Store, tenant: &str, batch: &[Measure]) -> Result<Stored, StoreError> {
    store_with(store, tenant, batch, false).await
}

/// [`store`], or with `replace` an instance already stored at the same time
/// takes the new value (and, when it is the current one, so does the
/// entity): the temporal API's upsert. The batch's own repeats keep the last.
pub async fn store_with(store: &Store, tenant: &str, batch: &[Measure], replace: bool) -> Result<Stored, StoreError> {
    let core = ngsild::context::core();
    let mut tx = store.begin().await?;
    let now_ms = tx.now_ms();
    let now = ngsild::temporal::format_instant(now_ms);
    let mut ids: Vec<&str> = batch.iter().map(|m| m.entity_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut held = repo::load_for_update(&mut tx, tenant, &ids).await?;
    let mut old: HashMap<String, Option<Entity>> = HashMap::new();
    let mut instances: Vec<repo::Instance> = Vec::new();
    for m in batch {
        let at = ngsild::temporal::format_instant(m.observed_at_ms);
        let entity = held.entry(m.entity_id.clone()).or_insert_with(|| {
            old.insert(m.entity_id.clone(), None);
            Entity {
                id: m.entity_id.clone(),
                types: vec![core.expand(&m.entity_type)],
                scope: None,
                created_at: Some(now.clone()),
                modified_at: Some(now.clone()),
                attrs: Default::default(),
            }
        });
        old.entry(m.entity_id.clone()).or_insert_with(|| Some(entity.clone()));
        for (name, attr) in &m.attrs {
            let name = core.expand(name);
            let mut attr = attr.clone();
            attr.observed_at = Some(at.clone());
            instances.push(repo::Instance {
                entity_id: m.entity_id.clone(),
                name: name.clone(),
                dataset_id: attr.dataset_id.clone().unwrap_or_default(),
                at_us: m.observed_at_ms * 1000,
                attr: attr.clone(),
            });
            let current = entity.attrs.get(&name).and_then(|list| list.iter().find(|a| a.dataset_id == attr.dataset_id));
            // Only a newer reading becomes the current value; a late one is a point only.
            let at_us = m.observed_at_ms * 1000;
            if current.and_then(Attribute::observed_at_micros).is_none_or(|held| held < at_us || (replace && held == at_us)) {
                let mut attrs = ngsild::entity::Attributes::new();
                attrs.insert(name, vec![attr]);
                ngsild::update::append(entity, attrs, true, &now);
            }
        }
    }
    let writes: Vec<repo::Write> = old
        .into_iter()
        .filter_map(|(id, old)| {
            let entity = held.remove(&id)?;
            (old.as_ref() != Some(&entity)).then_some(repo::Write { entity, old })
        })
        .collect();
    repo::save(&mut tx, tenant, &writes).await?;
    if replace {
        let mut seen = std::collections::HashSet::new();
        let mut last_first: Vec<repo::Instance> = instances.into_iter().rev().filter(|i| seen.insert(i.key())).collect();
        last_first.reverse();
        instances = last_first;
    }
    let points = repo::put_instances(&mut tx, tenant, &instances, replace).await?;
    super::subscriptions::changed(&mut tx, tenant, &writes).await?;
    if points > 0 {
        // The catalogue's sensor dataset, remade a quarter of an hour later
        // (one queued refresh absorbs the rest).
        super::dashboards::datasets::measures_arrived(&mut tx, tenant).await?;
    }
    tx.commit().await?;
    Ok(Stored { points, duplicates: instances.len().saturating_sub(points) })
}
