//! Every entity write of the API, single or batch, goes through [`apply`]:
//! one transaction loads the entities named, runs each step on the state
//! the previous steps left (two steps on one entity in a batch compose),
//! and stores what changed with the instances the changed attributes add
//! to the time series (and, for what a step deleted, deletion instances:
//! `deletions.rs`). A step that refuses leaves its entity as it was.
//!
//! Writes that arrive together are merged: each is an item of the store's
//! group writer's merged kind ([`Store::merged`], this module's [`Write`]),
//! and the writes queued while the previous group committed (wrk's 16
//! connections patching one attribute each) become one run of [`apply_in`]:
//! one read of their entities, one statement per table, one subscription
//! check, one commit. Such a group is one entry of the writer, which runs
//! it without a savepoint (a savepoint around each write made SQLite copy
//! every page the transaction changed into its journal).
//! Each write still answers for its own steps; a store failure fails the
//! writes merged with it (none of them is stored).

use std::collections::HashMap;

use ngsild::entity::Entity;
use ngsild::problem::Problem;
use ngsild::update::Outcome;

use super::{deletions, repo};
use crate::kernel::cores;
use crate::store::{Merge, Store, StoreError, Tx, WriteFuture};

/// What a step makes of an entity.
pub enum Change {
    /// Store it; `touched` are the attributes whose instances enter the time series.
    Put {
        entity: Box<Entity>,
        touched: Vec<String>,
        outcome: Outcome,
    },
    Delete,
}

/// One step: the entity as it stands (none when it does not exist) to its change.
pub type Step = Box<dyn FnOnce(Option<Entity>) -> Result<Change, Problem> + Send>;

/// What a step did.
#[derive(Debug)]
pub enum Done {
    Created,
    Updated(Outcome),
    Deleted,
}

/// What each step did, in the order given.
pub type Results = Vec<(String, Result<Done, Problem>)>;

/// Steps, each with the id of the entity it changes.
type Steps = Vec<(String, Step)>;

/// The most steps merged into one transaction (a write is never split; a
/// batch operation is one write of up to 1,000 steps): bounds how long it
/// holds SQLite's lock.
const MAX_MERGED_STEPS: usize = 2_000;

/// One write, merged by the store's group writer with those queued next to it.
struct Write {
    tenant: String,
    steps: Steps,
}

impl Merge for Write {
    type Output = Results;
    const LIMIT: usize = MAX_MERGED_STEPS;

    fn size(&self) -> usize {
        self.steps.len()
    }

    fn run<'t>(tx: &'t mut Tx, items: Vec<Self>) -> WriteFuture<'t, Vec<Results>> {
        Box::pin(apply_merged(tx, items))
    }
}

/// Runs the steps in one transaction, shared with the writes queued
/// meanwhile (see the module's comment); each answers for itself. The
/// answer comes once that transaction committed.
pub async fn apply(store: &Store, tenant: &str, steps: Vec<(String, Step)>) -> Result<Results, StoreError> {
    store.merged(Write { tenant: tenant.to_string(), steps }).await
}

/// Several writes in the caller's transaction: one [`apply_in`] per tenant
/// over their steps in order, each write's results given back to it.
async fn apply_merged(tx: &mut Tx, writes: Vec<Write>) -> Result<Vec<Results>, StoreError> {
    let mut out: Vec<Results> = writes.iter().map(|_| Vec::new()).collect();
    let mut by_tenant: Vec<(String, Vec<(usize, Steps)>)> = Vec::new();
    for (i, Write { tenant, steps }) in writes.into_iter().enumerate() {
        match by_tenant.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, list)) => list.push((i, steps)),
            None => by_tenant.push((tenant, vec![(i, steps)])),
        }
    }
    for (tenant, list) in by_tenant {
        let owners: Vec<(usize, usize)> = list.iter().map(|(i, steps)| (*i, steps.len())).collect();
        let mut results = apply_in(tx, &tenant, list.into_iter().flat_map(|(_, steps)| steps).collect()).await?.into_iter();
        for (i, n) in owners {
            out[i] = results.by_ref().take(n).collect();
        }
    }
    Ok(out)
}

/// [`apply`] in the caller's transaction.
pub async fn apply_in(tx: &mut Tx, tenant: &str, steps: Vec<(String, Step)>) -> Result<Results, StoreError> {
    let now_us = tx.now_ms() * 1000;
    let mut ids: Vec<&str> = steps.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut stored = repo::load_for_update(tx, tenant, &ids).await?;
    // What the steps made of the entities they changed; the others stand
    // as stored (not copied: a batch of 1,000 updates copied every body).
    let mut current: HashMap<String, Option<Entity>> = HashMap::new();
    let mut touched: HashMap<String, Vec<String>> = HashMap::new();
    let mut results = Vec::with_capacity(steps.len());
    for (id, step) in steps {
        let before = match current.get(&id) {
            Some(now) => now.clone(),
            None => stored.get(&id).cloned(),
        };
        let existed = before.is_some();
        let result = match step(before) {
            Ok(Change::Put { entity, touched: names, outcome }) => {
                touched.entry(id.clone()).or_default().extend(names);
                current.insert(id.clone(), Some(*entity));
                Ok(if existed { Done::Updated(outcome) } else { Done::Created })
            }
            Ok(Change::Delete) => {
                current.insert(id.clone(), None);
                touched.remove(&id);
                Ok(Done::Deleted)
            }
            Err(p) => Err(p),
        };
        results.push((id, result));
    }
    let mut writes = Vec::new();
    let mut deleted = Vec::new();
    let mut instances = Vec::new();
    // What was deleted enters the temporal history as deletion instances (`deletions.rs`).
    let mut gone = Vec::new();
    for (id, now) in current {
        let old = stored.remove(&id);
        match now {
            None if old.is_some() => {
                repo::delete(tx, tenant, &id).await?;
                gone.extend(old.iter().flat_map(|o| deletions::of(o, None, now_us)));
                deleted.extend(old);
            }
            None => {}
            Some(entity) if old.as_ref() != Some(&entity) => {
                gone.extend(old.iter().flat_map(|o| deletions::of(o, Some(&entity), now_us)));
                let mut names = touched.remove(&id).unwrap_or_default();
                names.sort();
                names.dedup();
                instances.extend(repo::instances_of(&entity, &names, now_us));
                writes.push(repo::Write { entity, old });
            }
            Some(_) => {}
        }
    }
    repo::save(tx, tenant, &writes).await?;
    repo::add_instances(tx, tenant, &instances).await?;
    deletions::record(tx, tenant, &gone).await?;
    deletions::record_entities(tx, tenant, &deleted, now_us).await?;
    super::subscriptions::matching::changed_or_deleted(tx, tenant, &writes, &deleted).await?;
    // Each entity twice (before and after) and its instances: freed beside the commit, not before it.
    cores::drop_later((writes, deleted, instances, gone, stored));
    Ok(results)
}
