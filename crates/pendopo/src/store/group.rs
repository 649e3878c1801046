//! Group commit: small writes from many requests share one transaction.
//!
//! SQLite takes one writer at a time. When every request opens its own
//! write transaction, the others wait in SQLite's busy handler, which
//! sleeps in growing steps (up to 100 ms) instead of waking when the lock
//! is free: filing through Open311 topped out at about 600 a second with a
//! p99 of 600 ms. Instead, one task per store takes the writes queued
//! meanwhile and runs them in a single transaction, each under its own
//! savepoint (a write that fails is rolled back alone and answered with its
//! own error; the others go on), then commits once and only then tells each
//! caller its outcome: a caller hears "done" only for a committed write, as
//! with a transaction of its own. Nothing waits to fill a group: the writes
//! that arrive while one group commits form the next.
//!
//! Two kinds of queued write. A closure ([`Store::grouped`]) is one entry of
//! the group. An item of a [`Merge`] type ([`Store::merged`]) is folded with
//! the items of the same type queued right after it into one entry, which
//! runs them all with one call ([`Merge::run`]: one read, one statement per
//! table for all of them) and answers each with its own result; a store
//! error fails the items of that entry together.
//!
//! A group of one entry runs without a savepoint: its failure rolls the
//! whole transaction back, which is all the savepoint would do. That keeps
//! the common case under steady load (one merged entry per transaction)
//! free of SQLite's savepoint journal, where every page the transaction
//! changes is copied (a fifth of a batch upsert's time in the profile).
//!
//! A write given to the group runs even when its caller stops waiting (a
//! client that hangs up): it is committed like the others, and a client
//! that retries with its idempotency key gets it back.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::{Result, Store, StoreError, Tx, sql};

/// The most entries one transaction takes: bounds how long the writer holds
/// SQLite's lock at a time (other writers, the job worker, wait for it).
const MAX_GROUP: usize = 256;

/// A write's future, borrowing the group's transaction.
pub type WriteFuture<'t, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 't>>;

/// Writes of one type that run together ([`Store::merged`]).
pub trait Merge: Send + Sized + 'static {
    /// What one item's caller gets back.
    type Output: Send + 'static;
    /// The most [`Merge::size`] one entry gathers (an item larger than
    /// that still runs, alone): bounds one transaction's work. A full
    /// entry also ends its group.
    const LIMIT: usize;
    /// This item's share of [`Merge::LIMIT`] (its steps).
    fn size(&self) -> usize {
        1
    }
    /// Runs the items, in the order queued, in the group's transaction:
    /// one output per item, in the same order. An error fails them all;
    /// it must leave the transaction usable (for the savepoint to undo).
    fn run<'t>(tx: &'t mut Tx, items: Vec<Self>) -> WriteFuture<'t, Vec<Self::Output>>;
}

/// The queue to a store's group writer, started on first use.
pub(super) type Queue = Arc<OnceLock<mpsc::UnboundedSender<Box<dyn Grouped>>>>;

/// What an entry does with the next queued write.
pub(super) enum Fold {
    /// Taken in: the entry answers for it now.
    Taken,
    /// Another kind of write: a new entry of the same group.
    Other(Box<dyn Grouped>),
    /// Of this kind, but the entry is full: the first of the next group.
    Full(Box<dyn Grouped>),
}

/// One queued entry, its type erased.
pub(super) trait Grouped: Send + Any {
    /// Runs the entry in the group's transaction; false when it failed
    /// (its error is kept for [`Grouped::finish`]).
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Pin<Box<dyn Future<Output = bool> + Send + 't>>;
    /// Answers the callers once the group's transaction ended: `Ok` when
    /// it committed.
    fn finish(self: Box<Self>, ended: std::result::Result<(), String>);
    /// Folds `next` into this entry when both are items of one [`Merge`] type.
    fn fold(&mut self, next: Box<dyn Grouped>) -> Fold {
        Fold::Other(next)
    }
    fn as_any(&mut self) -> &mut dyn Any;
}

/// A write's outcome as its caller hears it, once the transaction ended.
fn answer<T>(out: Option<Result<T>>, ended: std::result::Result<(), String>) -> Result<T> {
    match (out, ended) {
        (Some(Err(own)), _) => Err(own),
        (Some(Ok(value)), Ok(())) => Ok(value),
        (_, Err(why)) => Err(StoreError::Other(format!("the grouped transaction failed: {why}"))),
        (None, Ok(())) => Err(StoreError::Other("the write was not run".into())),
    }
}

struct Write<T, F> {
    work: Option<F>,
    out: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Grouped for Write<T, F>
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> WriteFuture<'t, T> + Send + 'static,
{
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Pin<Box<dyn Future<Output = bool> + Send + 't>> {
        Box::pin(async move {
            let Some(work) = self.work.take() else { return false };
            let out = work(tx).await;
            let ok = out.is_ok();
            self.out = Some(out);
            ok
        })
    }

    fn finish(self: Box<Self>, ended: std::result::Result<(), String>) {
        // The caller may have stopped waiting: nothing to tell then.
        let _ = self.reply.send(answer(self.out, ended));
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

/// Items of one [`Merge`] type queued one after the other.
struct Merged<M: Merge> {
    items: Vec<M>,
    size: usize,
    replies: Vec<oneshot::Sender<Result<M::Output>>>,
    out: Option<Result<Vec<M::Output>>>,
}

impl<M: Merge> Grouped for Merged<M> {
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Pin<Box<dyn Future<Output = bool> + Send + 't>> {
        Box::pin(async move {
            let items = std::mem::take(&mut self.items);
            let n = items.len();
            let out = M::run(tx, items).await.and_then(|outputs| {
                if outputs.len() == n {
                    Ok(outputs)
                } else {
                    Err(StoreError::Other(format!("a merged write answered {} of its {n} items", outputs.len())))
                }
            });
            let ok = out.is_ok();
            self.out = Some(out);
            ok
        })
    }

    fn finish(self: Box<Self>, ended: std::result::Result<(), String>) {
        match answer(self.out, ended) {
            Ok(outputs) => {
                for (reply, output) in self.replies.into_iter().zip(outputs) {
                    let _ = reply.send(Ok(output));
                }
            }
            // The error is not `Clone`: the first item gets it, the others its text.
            Err(e) => {
                let why = e.to_string();
                let mut first = Some(e);
                for reply in self.replies {
                    let _ = reply.send(Err(first.take().unwrap_or_else(|| StoreError::Other(why.clone()))));
                }
            }
        }
    }

    fn fold(&mut self, mut next: Box<dyn Grouped>) -> Fold {
        let Some(other) = next.as_any().downcast_mut::<Merged<M>>() else { return Fold::Other(next) };
        if self.size + other.size > M::LIMIT {
            return Fold::Full(next);
        }
        self.items.append(&mut other.items);
        self.replies.append(&mut other.replies);
        self.size += other.size;
        Fold::Taken
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

impl Store {
    /// Runs `work` in a transaction shared with the other writes queued
    /// meanwhile (see the module's comment), and returns its result once
    /// that transaction committed. `work` must leave the transaction usable
    /// when it returns an error; its writes are then undone, alone.
    pub async fn grouped<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> WriteFuture<'t, T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.enqueue(Box::new(Write { work: Some(work), out: None, reply })).await;
        answer.await.map_err(|_| StoreError::Other("the group writer stopped before answering".into()))?
    }

    /// Runs `item` merged with the items of its type queued next to it (one
    /// [`Merge::run`] over all of them), in a transaction shared with the
    /// other writes queued meanwhile, and returns its own output once that
    /// transaction committed.
    pub async fn merged<M: Merge>(&self, item: M) -> Result<M::Output> {
        let (reply, answer) = oneshot::channel();
        let size = item.size();
        self.enqueue(Box::new(Merged { items: vec![item], size, replies: vec![reply], out: None })).await;
        answer.await.map_err(|_| StoreError::Other("the group writer stopped before answering".into()))?
    }

    async fn enqueue(&self, write: Box<dyn Grouped>) {
        let queue = self.group.get_or_init(|| {
            let (send, receive) = mpsc::unbounded_channel();
            // The writer's own handle has a queue of its own (never
            // started), so the store's queue closes, and the task ends,
            // when the last handle of the store is dropped.
            let writer = Store { group: Queue::default(), ..self.clone() }.on_own_connection();
            tokio::spawn(write_groups(writer, receive));
            send
        });
        if let Err(mpsc::error::SendError(write)) = queue.send(write) {
            // The writer is gone (its runtime ended): a group of one, here.
            run_group(self, vec![write]).await;
        }
    }
}

async fn write_groups(store: Store, mut queue: mpsc::UnboundedReceiver<Box<dyn Grouped>>) {
    let checkpoints = store.background_checkpoints();
    let mut carried = None;
    loop {
        let first = match carried.take() {
            Some(write) => write,
            None => match queue.recv().await {
                Some(write) => write,
                None => return,
            },
        };
        let mut group: Vec<Box<dyn Grouped>> = vec![first];
        while let Ok(write) = queue.try_recv() {
            let last = group.last_mut().expect("a group has its first entry");
            match last.fold(write) {
                Fold::Taken => {}
                Fold::Other(write) if group.len() < MAX_GROUP => group.push(write),
                Fold::Other(write) | Fold::Full(write) => {
                    carried = Some(write);
                    break;
                }
            }
        }
        run_group(&store, group).await;
        if let Some(wake) = &checkpoints {
            // Full when one is already asked for: that one copies this commit too.
            let _ = wake.try_send(());
        }
    }
}

/// Every entry of `group` in one transaction: a lone entry as it is, more
/// each under a savepoint.
async fn run_group(store: &Store, group: Vec<Box<dyn Grouped>>) {
    let mut tx = match store.begin().await {
        Ok(tx) => tx,
        Err(e) => return finish_all(group, e),
    };
    if let [_] = group.as_slice() {
        let mut write = group.into_iter().next().expect("one entry");
        if !write.run(&mut tx).await {
            // Its own error tells the caller; the rollback's would add nothing.
            let _ = tx.rollback().await;
            return write.finish(Err("rolled back".into()));
        }
        let ended = tx.commit().await.map_err(|e| e.to_string());
        return write.finish(ended);
    }
    let mut ran = Vec::with_capacity(group.len());
    let mut waiting = group.into_iter();
    while let Some(mut write) = waiting.next() {
        if let Err(e) = tx.execute(sql("SAVEPOINT grouped_write")).await {
            return finish_all(ran.into_iter().chain([write]).chain(waiting).collect(), e);
        }
        let ok = write.run(&mut tx).await;
        ran.push(write);
        let undo = if ok { Ok(0) } else { tx.execute(sql("ROLLBACK TO SAVEPOINT grouped_write")).await };
        // A transaction that cannot even roll back to its savepoint is
        // broken: nothing of it is kept, every write is told so.
        if let Err(e) = undo.and(tx.execute(sql("RELEASE SAVEPOINT grouped_write")).await) {
            return finish_all(ran.into_iter().chain(waiting).collect(), e);
        }
    }
    let ended = tx.commit().await.map_err(|e| e.to_string());
    for write in ran {
        write.finish(ended.clone());
    }
}

fn finish_all(group: Vec<Box<dyn Grouped>>, e: StoreError) {
    let why = e.to_string();
    for write in group {
        write.finish(Err(why.clone()));
    }
}
