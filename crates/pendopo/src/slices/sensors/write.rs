//! Every entity write of the API, single or batch, goes through [`apply`]:
//! one transaction loads the entities named, runs each step on the state
//! the previous steps left (two steps on one entity in a batch compose),
//! and stores what changed with the instances the changed attributes add
//! to the time series. A step that refuses leaves its entity as it was.
//!
//! Writes that arrive together are merged: while one merged write commits,
//! the next waits in a queue per store, and the writes queued meanwhile
//! (wrk's 16 connections patching one attribute each) become one run of
//! [`apply_in`] in one transaction: one read of their entities, one
//! statement per table, one subscription check, one commit, instead of
//! each write's own statements under its own savepoint in the store's group
//! writer (`Store::grouped`), which it no longer needs.
//! Each write still answers for its own steps; a store failure fails the
//! writes merged with it (none of them is stored).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use ngsild::entity::Entity;
use ngsild::problem::Problem;
use ngsild::update::Outcome;
use tokio::sync::oneshot;

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

/// Steps, each with the id of the entity it changes.
type Steps = Vec<(String, Step)>;

/// The most steps merged into one transaction (a write is never split; a
/// batch operation is one write of up to 1,000 steps): bounds how long it
/// holds SQLite's lock.
const MAX_MERGED_STEPS: usize = 2_000;

/// A write waiting to be merged, and where its answer goes.
struct Waiting {
    tenant: String,
    steps: Steps,
    reply: oneshot::Sender<Result<Results, StoreError>>,
}

/// Per store ([`Store::identity`]): the writes waiting, and whether a task
/// is draining them (it ends, and the entry goes, when none is left).
#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    draining: bool,
}

static QUEUES: LazyLock<Mutex<HashMap<usize, Queue>>> = LazyLock::new(Mutex::default);

fn queues() -> std::sync::MutexGuard<'static, HashMap<usize, Queue>> {
    // A panic elsewhere while holding the lock leaves the queues consistent (pushes and takes only).
    QUEUES.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs the steps in one transaction, shared with the writes queued
/// meanwhile (see the module's comment); each answers for itself. The
/// answer comes once that transaction committed.
pub async fn apply(store: &Store, tenant: &str, steps: Vec<(String, Step)>) -> Result<Results, StoreError> {
    let (reply, answer) = oneshot::channel();
    let key = store.identity();
    let start = {
        let mut queues = queues();
        let queue = queues.entry(key).or_default();
        queue.waiting.push(Waiting { tenant: tenant.to_string(), steps, reply });
        !std::mem::replace(&mut queue.draining, true)
    };
    if start {
        // A task of its own: the writes merged with this one are answered
        // even when this caller stops waiting (a client that hangs up).
        tokio::spawn(drain(store.clone(), key));
    }
    answer.await.map_err(|_| StoreError::Other("the sensor writer stopped before answering".into()))?
}

/// Merges and runs the store's waiting writes until none is left.
async fn drain(store: Store, key: usize) {
    loop {
        let batch: Vec<Waiting> = {
            let mut queues = queues();
            let Some(queue) = queues.get_mut(&key) else { return };
            if queue.waiting.is_empty() {
                queues.remove(&key);
                return;
            }
            let mut steps = 0;
            let n = queue
                .waiting
                .iter()
                .take_while(|w| {
                    steps += w.steps.len();
                    steps == w.steps.len() || steps <= MAX_MERGED_STEPS
                })
                .count();
            queue.waiting.drain(..n).collect()
        };
        let mut replies = Vec::with_capacity(batch.len());
        let mut work = Vec::with_capacity(batch.len());
        for w in batch {
            replies.push(w.reply);
            work.push((w.tenant, w.steps));
        }
        let outcome = run_merged(&store, work).await;
        match outcome {
            Ok(results) => {
                for (reply, r) in replies.into_iter().zip(results) {
                    let _ = reply.send(Ok(r));
                }
            }
            Err(e) => {
                let why = e.to_string();
                let mut first = Some(e);
                for reply in replies {
                    let _ = reply.send(Err(first.take().unwrap_or_else(|| StoreError::Other(why.clone()))));
                }
            }
        }
    }
}

/// Merged writes in a transaction of their own. Not the group writer's
/// (`Store::grouped`): they are merged already, and its savepoint around
/// each write made SQLite copy every page the transaction changed into the
/// savepoint's journal (a fifth of a batch upsert's time in the profile).
async fn run_merged(store: &Store, work: Vec<(String, Steps)>) -> Result<Vec<Results>, StoreError> {
    let mut tx = store.begin().await?;
    let results = apply_merged(&mut tx, work).await?;
    tx.commit().await?;
    Ok(results)
}

/// Several writes in the caller's transaction: one [`apply_in`] per tenant
/// over their steps in order, each write's results given back to it.
async fn apply_merged(tx: &mut Tx, writes: Vec<(String, Steps)>) -> Result<Vec<Results>, StoreError> {
    let mut out: Vec<Results> = writes.iter().map(|_| Vec::new()).collect();
    let mut by_tenant: Vec<(String, Vec<(usize, Steps)>)> = Vec::new();
    for (i, (tenant, steps)) in writes.into_iter().enumerate() {
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
        let old = stored.remove(&id);
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
