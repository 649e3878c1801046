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

use ngsild::entity::{AttrKind, Entity, Render};
use ngsild::update::NULL_MARKER;
use serde_json::{Value as Json, json};

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
                // A deleted attribute is notified as the null marker with its deletedAt.
                for name in &t.deleted_attrs {
                    let kind =
                        w.old.as_ref().and_then(|o| o.attrs.get(name)).and_then(|l| l.first()).map_or(AttrKind::Property, |a| a.kind);
                    let value = match kind {
                        AttrKind::LanguageProperty => json!({"@none": NULL_MARKER}),
                        _ => json!(NULL_MARKER),
                    };
                    json[name.as_str()] = json!({"type": kind.name(), kind.value_member(): value, "deletedAt": deleted_at});
                }
                data.push(json);
            }
        }
        for e in deleted {
            if !m.triggered(Some(e), None).fired || !m.selects(e) || !m.passes(&e.to_normalized(Render { sys_attrs: true })) {
                continue;
            }
            data.push(json!({"id": e.id, "type": e.types, "deletedAt": deleted_at}));
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
