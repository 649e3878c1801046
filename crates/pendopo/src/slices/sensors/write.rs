//! Every entity write of the API, single or batch, goes through [`apply`]:
//! one transaction loads the entities named, runs each step on the state
//! the previous steps left (two steps on one entity in a batch compose),
//! and stores what changed with the instances the changed attributes add
//! to the time series. A step that refuses leaves its entity as it was.
//!
//! The transaction is the store's group writer's (`Store::grouped`): the
//! writes that arrive together (wrk's 16 connections patching one
//! attribute each) share one transaction, each under its own savepoint,
//! instead of queueing for SQLite's lock in its busy handler one by one.

use std::collections::HashMap;

use ngsild::entity::Entity;
use ngsild::problem::Problem;
use ngsild::update::Outcome;

use super::repo;
use crate::store::{Store, StoreError, Tx};

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

/// Runs the steps in one transaction (shared with the other writes queued
/// meanwhile, see the module's comment); each answers for itself.
pub async fn apply(store: &Store, tenant: &str, steps: Vec<(String, Step)>) -> Result<Results, StoreError> {
    let tenant = tenant.to_string();
    store.grouped(move |tx| Box::pin(async move { apply_in(tx, &tenant, steps).await })).await
}

/// [`apply`] in the caller's transaction.
pub async fn apply_in(tx: &mut Tx, tenant: &str, steps: Vec<(String, Step)>) -> Result<Results, StoreError> {
    let now_us = tx.now_ms() * 1000;
    let mut ids: Vec<&str> = steps.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let stored = repo::load_for_update(tx, tenant, &ids).await?;
    let mut current: HashMap<String, Option<Entity>> = stored.clone().into_iter().map(|(id, e)| (id, Some(e))).collect();
    let mut touched: HashMap<String, Vec<String>> = HashMap::new();
    let mut results = Vec::with_capacity(steps.len());
    for (id, step) in steps {
        let before = current.get(&id).cloned().flatten();
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
    for (id, now) in current {
        let old = stored.get(&id).cloned();
        match now {
            None if old.is_some() => {
                repo::delete(tx, tenant, &id).await?;
                deleted.extend(old);
            }
            None => {}
            Some(entity) if old.as_ref() != Some(&entity) => {
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
    super::subscriptions::matching::changed_or_deleted(tx, tenant, &writes, &deleted).await?;
    Ok(results)
}
