//! Which subscriptions a change notifies, decided in the change's own
//! transaction: every entity write of the broker (`write::apply`) and every
//! batch of measures (`measures::store`) calls [`changed`] with what it is
//! about to commit, and a notification to send becomes a durable job in
//! the same transaction, so nothing acknowledged to a writer is lost and
//! nothing rolled back is notified.
//!
//! Cost without subscriptions: one indexed SELECT that finds no row. With
//! some: each is tested in memory (ids, types, watched attributes, `q`,
//! `geoQ`), one job per subscription per write, holding the entities as
//! they were written (later writes do not change what this one notifies).

use ngsild::entity::{AttrKind, Attribute, Entity, Render};
use serde_json::{Value as Json, json};

use super::model::Triggered;
use super::repo;
use crate::kernel::jobs::{self, NewJob};
use crate::slices::sensors::repo::Write;
use crate::store::{StoreError, Tx};

/// The job that delivers one notification.
pub const NOTIFY_JOB: &str = "sensor:notify";
/// The job that makes a periodic (`timeInterval`) notification.
pub const PERIODIC_JOB: &str = "sensor:notify_periodic";
/// Notifications are retried with the jobs' back-off (up to an hour apart)
/// for as long as this allows, about a year: a receiver that is down is
/// waited for, never given up on silently; deleting the subscription ends it.
pub const ATTEMPTS: i64 = 10_000;

/// Queues the notifications that `writes` (about to be committed in `tx`) cause.
pub async fn changed(tx: &mut Tx, tenant: &str, writes: &[Write]) -> Result<(), StoreError> {
    changed_or_deleted(tx, tenant, writes, &[]).await
}

/// [`changed`], and the notifications of the entities `deleted` (as they
/// were): each written as its id, type and `deletedAt` (clause 5.8.6's
/// `entityDeleted`).
pub async fn changed_or_deleted(tx: &mut Tx, tenant: &str, writes: &[Write], deleted: &[Entity]) -> Result<(), StoreError> {
    if writes.is_empty() && deleted.is_empty() {
        return Ok(());
    }
    let now = tx.now_ms();
    let deleted_at = ngsild::temporal::format_instant(now);
    let subscriptions = repo::on_change(tx, tenant, now).await?;
    for s in subscriptions {
        if s.throttling_ms > 0 && s.last_queued.is_some_and(|t| now - t < s.throttling_ms) {
            // Within the throttling period: the spec's broker sends nothing for this change.
            continue;
        }
        let m = s.compiled.matcher();
        let mut data = Vec::new();
        for w in writes {
            let t = m.triggered(w.old.as_ref(), Some(&w.entity));
            if !t.fired || !m.selects(&w.entity) {
                continue;
            }
            let mut json = w.entity.to_normalized(Render { sys_attrs: true });
            if m.passes(&json) {
                if m.show_changes {
                    previous_values(&mut json, &w.entity, w.old.as_ref());
                }
                noted_deletions(&mut json, &t, w.old.as_ref(), &deleted_at, m.show_changes);
                data.push(json);
            }
        }
        for e in deleted {
            let t = m.triggered(Some(e), None);
            if !t.fired || !m.selects(e) || !m.passes(&e.to_normalized(Render { sys_attrs: true })) {
                continue;
            }
            let mut json = json!({"id": e.id, "type": e.types, "deletedAt": deleted_at});
            for (k, v) in [("createdAt", &e.created_at), ("modifiedAt", &e.modified_at)] {
                if let Some(v) = v {
                    json[k] = json!(v);
                }
            }
            // Its attributes as deleted: the watched ones for `attributeDeleted`,
            // all with their values before for `showChanges` (the suite's 046_37).
            let gone: Vec<&String> =
                if t.deleted_attrs.is_empty() && m.show_changes { e.attrs.keys().collect() } else { t.deleted_attrs.iter().collect() };
            for name in gone {
                if let Some(a) = default_instance(&e.attrs[name]) {
                    json[name.as_str()] = deleted_instance(a, &deleted_at, m.show_changes);
                }
            }
            data.push(json);
        }
        if data.is_empty() {
            continue;
        }
        queue(tx, tenant, &s.id, data, now).await?;
        if s.throttling_ms > 0 {
            repo::queued(tx, tenant, &s.id, now).await?;
        }
    }
    Ok(())
}

/// An instance (of an entity's attribute) as deleted: its type, the null
/// marker as value, its datasetId and system members, `deletedAt` and, for
/// `showChanges`, its value before.
fn deleted_instance(a: &Attribute, deleted_at: &str, show_changes: bool) -> Json {
    let marker = ngsild::update::null_of(a.kind);
    let mut out = json!({"type": a.kind.name(), a.kind.value_member(): marker, "deletedAt": deleted_at});
    for (k, v) in [("datasetId", &a.dataset_id), ("createdAt", &a.created_at), ("modifiedAt", &a.modified_at)] {
        if let Some(v) = v {
            out[k] = json!(v);
        }
    }
    if show_changes {
        out[previous_member(a.kind)] = a.value.clone();
    }
    out
}

/// The member that holds an attribute's value before a change (`showChanges`).
fn previous_member(kind: AttrKind) -> String {
    let member = kind.value_member();
    format!("previous{}{}", member[..1].to_uppercase(), &member[1..])
}

/// A whole attribute deleted is notified as one instance (the suite's
/// 046_22_08 reads its `value`): the default one, else the first.
fn default_instance(instances: &[Attribute]) -> Option<&Attribute> {
    instances.iter().find(|a| a.dataset_id.is_none()).or(instances.first())
}

fn one_or_many(mut items: Vec<Json>) -> Json {
    if items.len() == 1 { items.remove(0) } else { Json::Array(items) }
}

/// Writes the deleted attributes and instances a change fired on into the
/// entity queued (names expanded): a whole attribute as its instances
/// deleted, an instance deleted next to those the attribute keeps.
fn noted_deletions(json: &mut Json, t: &Triggered, old: Option<&Entity>, deleted_at: &str, show_changes: bool) {
    let Some(old) = old else { return };
    for name in &t.deleted_attrs {
        if let Some(a) = old.attrs.get(name).and_then(|i| default_instance(i)) {
            json[name.as_str()] = deleted_instance(a, deleted_at, show_changes);
        }
    }
    for (name, dataset) in &t.deleted_instances {
        let Some(a) = old.attrs.get(name).into_iter().flatten().find(|a| a.dataset_id == *dataset) else { continue };
        let mut instances = match json[name.as_str()].take() {
            Json::Array(items) => items,
            Json::Null => Vec::new(),
            one => vec![one],
        };
        instances.push(deleted_instance(a, deleted_at, show_changes));
        json[name.as_str()] = one_or_many(instances);
    }
}

/// `showChanges` (clause 5.8.6): each instance whose value changed carries
/// the value it had before, in `previousValue` (`previousObject`, ...).
fn previous_values(json: &mut Json, new: &Entity, old: Option<&Entity>) {
    let Some(old) = old else { return };
    for (name, instances) in &new.attrs {
        let Some(before) = old.attrs.get(name) else { continue };
        let Some(rendered) = json.get_mut(name.as_str()) else { continue };
        let mut items: Vec<&mut Json> = match rendered {
            Json::Array(items) => items.iter_mut().collect(),
            one => vec![one],
        };
        for (a, out) in instances.iter().zip(items.iter_mut()) {
            let was = before.iter().find(|b| b.dataset_id == a.dataset_id);
            if let Some(was) = was.filter(|b| b.value != a.value) {
                out[previous_member(was.kind)] = was.value.clone();
            }
        }
    }
}

/// Queues one notification of `data` (entities, normalised, names expanded).
pub async fn queue(tx: &mut Tx, tenant: &str, subscription: &str, data: Vec<Json>, now: i64) -> Result<(), StoreError> {
    let id = crate::kernel::identity::new_id();
    let payload = json!({"subscription": subscription, "notification": format!("urn:ngsi-ld:Notification:{id}"), "entities": data});
    let job = NewJob { max_attempts: ATTEMPTS, ..NewJob::now(now, tenant, NOTIFY_JOB, id, payload) };
    jobs::enqueue(tx, &job).await?;
    Ok(())
}

/// Schedules a periodic subscription's next notification (one waiting at a time).
pub async fn schedule(tx: &mut Tx, tenant: &str, subscription: &str, at: i64) -> Result<(), StoreError> {
    let job = NewJob {
        run_at: at,
        max_attempts: ATTEMPTS,
        ..NewJob::now(at, tenant, PERIODIC_JOB, subscription, json!({"subscription": subscription}))
    };
    jobs::enqueue(tx, &job).await?;
    Ok(())
}
