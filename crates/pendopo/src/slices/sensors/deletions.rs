//! Deletions in the temporal history (NGSI-LD v1.8+): a write that deletes
//! an attribute, one datasetId of it, an entity (each of its attributes)
//! or an entity's scope records a deletion instance at the write's time,
//! its value the NGSI-LD Null of the attribute's kind
//! (`ngsild::update::null_of`; a deleted scope is the empty scope);
//! `timeproperty=deletedAt` reads them (`temporal.rs`), the other time
//! properties never see them.
//!
//! They have their own table (`sensor_deletions`, migration 0034), keyed as
//! the time series is, so that the series' readers, the roll-up and
//! aggregation never take a deletion for a value; `write::apply_in` asks
//! [`of`] for what each changed entity lost and writes rows only when
//! something was deleted.
//!
//! A deleted entity's types are kept too (`sensor_deleted_entities`,
//! migration 0036): its history stays, and the temporal API answers it
//! with its type and `deletedAt` ([`deleted_entity`]).

use ngsild::entity::{Attribute, Entity, Render};
use serde_json::json;

use super::repo::Instance;
use crate::store::{Store, StoreError, Tx, Value, insert_rows_on_conflict, sql};

/// The entity deletions of one write: the entities as they were.
pub async fn record_entities(tx: &mut Tx, tenant: &str, deleted: &[Entity], at_us: i64) -> Result<(), StoreError> {
    let rows = deleted.iter().map(|e| {
        let types = serde_json::to_string(&e.types).expect("strings");
        vec![Value::from(tenant), Value::from(e.id.as_str()), Value::from(types), Value::from(at_us)]
    });
    insert_rows_on_conflict(
        tx,
        "sensor_deleted_entities (tenant_id, entity_id, types, deleted_at)",
        rows,
        "ON CONFLICT (tenant_id, entity_id) DO UPDATE SET types = excluded.types, deleted_at = excluded.deleted_at",
    )
    .await?;
    Ok(())
}

/// An entity deleted from the current state, as its history shows it: its
/// id and types (no attribute), and when it was deleted (microseconds).
pub async fn deleted_entity(store: &Store, tenant: &str, id: &str) -> Result<Option<(Entity, i64)>, StoreError> {
    let q = sql("SELECT types, deleted_at FROM sensor_deleted_entities WHERE tenant_id = $1 AND entity_id = $2").bind(tenant).bind(id);
    let Some(r) = store.fetch_all(q).await?.pop() else { return Ok(None) };
    let types: Vec<String> =
        serde_json::from_str(&r.at::<String>(0)?).map_err(|e| StoreError::Other(format!("deleted entity types: {e}")))?;
    let entity = Entity { id: id.to_string(), types, scope: None, created_at: None, modified_at: None, attrs: Default::default() };
    Ok(Some((entity, r.at::<i64>(1)?)))
}

/// The name a deleted scope is recorded under (its IRI, as attribute names are stored).
fn scope_name() -> String {
    ngsild::context::core().expand("scope")
}

/// The instances (and the scope) `old` held that `new` no longer holds;
/// `new` is none when the entity was deleted, as instances of the time
/// series' shape (their value the Null of their kind). One pass over `old`'s
/// attributes with a look-up each: less than the equality test of the two
/// bodies that precedes it on the write path.
pub fn of(old: &Entity, new: Option<&Entity>, at_us: i64) -> Vec<Instance> {
    let mut out = Vec::new();
    let deleted = |name: &str, dataset_id: &Option<String>, attr: Attribute| Instance {
        entity_id: old.id.clone(),
        name: name.to_string(),
        dataset_id: dataset_id.clone().unwrap_or_default(),
        at_us,
        attr: Attribute { dataset_id: dataset_id.clone(), ..attr },
    };
    for (name, instances) in &old.attrs {
        let kept = new.and_then(|n| n.attrs.get(name));
        for a in instances {
            if kept.is_some_and(|k| k.iter().any(|b| b.dataset_id == a.dataset_id)) {
                continue;
            }
            out.push(deleted(name, &a.dataset_id, Attribute::new(a.kind, ngsild::update::null_of(a.kind))));
        }
    }
    if old.scope.is_some() && new.is_none_or(|n| n.scope.is_none()) {
        out.push(deleted(&scope_name(), &None, Attribute::property(json!([]))));
    }
    out
}

/// Records deletions in the caller's transaction (nothing to do: no statement).
pub async fn record(tx: &mut Tx, tenant: &str, deletions: &[Instance]) -> Result<(), StoreError> {
    let rows = deletions.iter().map(|d| {
        vec![
            Value::from(tenant),
            Value::from(d.entity_id.as_str()),
            Value::from(d.name.as_str()),
            Value::from(d.dataset_id.as_str()),
            Value::from(d.at_us),
            Value::from(d.attr.to_normalized(Render { sys_attrs: false }).to_string()),
        ]
    });
    insert_rows_on_conflict(tx, "sensor_deletions (tenant_id, entity_id, name, dataset_id, at, body)", rows, "ON CONFLICT DO NOTHING")
        .await?;
    Ok(())
}

/// The names of an entity's attributes (and scope) with deletions.
pub async fn names(store: &Store, tenant: &str, entity: &str) -> Result<Vec<String>, StoreError> {
    let q =
        sql("SELECT DISTINCT name FROM sensor_deletions WHERE tenant_id = $1 AND entity_id = $2 ORDER BY name").bind(tenant).bind(entity);
    store.fetch_all(q).await?.iter().map(|r| r.at::<String>(0)).collect()
}
