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
//! A write given to the group runs even when its caller stops waiting (a
//! client that hangs up): it is committed like the others, and a client
//! that retries with its idempotency key gets it back.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::{Result, Store, StoreError, Tx, sql};

/// The most writes one transaction takes: bounds how long the writer holds
/// SQLite's lock at a time (other writers, the job worker, wait for it).
const MAX_GROUP: usize = 256;

/// A write's future, borrowing the group's transaction.
pub type WriteFuture<'t, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 't>>;

/// The queue to a store's group writer, started on first use.
pub(super) type Queue = Arc<OnceLock<mpsc::UnboundedSender<Box<dyn Grouped>>>>;

/// One queued write, its type erased.
pub(super) trait Grouped: Send {
    /// Runs the write in the group's transaction; false when it failed
    /// (its error is kept for [`Grouped::finish`]).
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> Pin<Box<dyn Future<Output = bool> + Send + 't>>;
    /// Answers the caller once the group's transaction ended: `Ok` when
    /// it committed.
    fn finish(self: Box<Self>, ended: std::result::Result<(), String>);
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
        let answer = match (self.out, ended) {
            (Some(Err(own)), _) => Err(own),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(why)) => Err(StoreError::Other(format!("the grouped transaction failed: {why}"))),
            (None, Ok(())) => Err(StoreError::Other("the write was not run".into())),
        };
        // The caller may have stopped waiting: nothing to tell then.
        let _ = self.reply.send(answer);
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
        let write: Box<dyn Grouped> = Box::new(Write { work: Some(work), out: None, reply });
        let queue = self.group.get_or_init(|| {
            let (send, receive) = mpsc::unbounded_channel();
            // The writer's own handle has a queue of its own (never
            // started), so the store's queue closes, and the task ends,
            // when the last handle of the store is dropped.
            let writer = Store { group: Queue::default(), ..self.clone() };
            tokio::spawn(write_groups(writer, receive));
            send
        });
        if let Err(mpsc::error::SendError(write)) = queue.send(write) {
            // The writer is gone (its runtime ended): a group of one, here.
            run_group(self, vec![write]).await;
        }
        answer.await.map_err(|_| StoreError::Other("the group writer stopped before answering".into()))?
    }
}

async fn write_groups(store: Store, mut queue: mpsc::UnboundedReceiver<Box<dyn Grouped>>) {
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(write) => group.push(write),
                Err(_) => break,
            }
        }
        run_group(&store, group).await;
    }
}

/// Every write of `group` in one transaction, each under a savepoint.
async fn run_group(store: &Store, group: Vec<Box<dyn Grouped>>) {
    let mut tx = match store.begin().await {
        Ok(tx) => tx,
        Err(e) => return finish_all(group, e),
    };
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
