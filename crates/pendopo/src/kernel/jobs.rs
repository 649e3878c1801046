//! Durable background jobs in the store (migration `0007_jobs`), on both
//! engines. A write that causes later work queues a job in its own
//! transaction ([`enqueue`]), so the work is never lost to a crash between
//! the two; a job with the same `(kind, dedup_key)` already waiting absorbs
//! the new one. Servers claim due jobs with a lease ([`claim`]; on
//! PostgreSQL `FOR UPDATE SKIP LOCKED`, so two servers never take the same
//! row), run them (`crate::worker`) and record the outcome: done, or
//! retried with backoff until `max_attempts`, then kept as failed with the
//! last error for the sysadmin to read.

use std::time::Duration;

use serde::Serialize;

use crate::kernel::identity::new_id;
use crate::store::{Result, Row, Store, Tx, sql};

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub tenant: String,
    /// The handler's name, `slice:what` (e.g. `contracting:reflag`).
    pub kind: &'static str,
    /// Jobs of one kind with the same key are one job while they wait.
    pub dedup_key: String,
    pub payload: serde_json::Value,
    /// When it may run (now, or later for a scheduled job).
    pub run_at: i64,
    pub max_attempts: i64,
}

impl NewJob {
    /// A job due now, tried up to five times.
    pub fn now(store_now: i64, tenant: &str, kind: &'static str, dedup_key: impl Into<String>, payload: serde_json::Value) -> NewJob {
        NewJob { tenant: tenant.into(), kind, dedup_key: dedup_key.into(), payload, run_at: store_now, max_attempts: 5 }
    }
}

/// A stored job, as the worker and the sysadmin's page see it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub tenant_id: String,
    pub id: String,
    pub kind: String,
    pub dedup_key: String,
    pub payload: serde_json::Value,
    pub state: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: String,
    pub created_at: i64,
    pub finished_at: i64,
}

const COLUMNS: &str = "tenant_id, id, kind, dedup_key, payload, state, run_at, attempts, max_attempts, last_error, created_at, finished_at";

fn from_row(r: &Row) -> Result<Job> {
    Ok(Job {
        tenant_id: r.get("tenant_id")?,
        id: r.get("id")?,
        kind: r.get("kind")?,
        dedup_key: r.get("dedup_key")?,
        payload: serde_json::from_str(&r.get::<String>("payload")?).unwrap_or_default(),
        state: r.get("state")?,
        run_at: r.get("run_at")?,
        attempts: r.get("attempts")?,
        max_attempts: r.get("max_attempts")?,
        last_error: r.get("last_error")?,
        created_at: r.get("created_at")?,
        finished_at: r.get("finished_at")?,
    })
}

/// Queues `job` in the caller's transaction. Returns the id of the queued
/// job, or `None` when one with the same kind and key was already waiting
/// (it will do this work too).
pub async fn enqueue(tx: &mut Tx, job: &NewJob) -> Result<Option<String>> {
    let id = new_id();
    let inserted = tx
        .execute(
            sql("INSERT INTO jobs (tenant_id, id, kind, dedup_key, payload, state, run_at, attempts, max_attempts, lease_until, leased_by, last_error, created_at, finished_at)
                 VALUES ($1, $2, $3, $4, $5, 'queued', $6, 0, $7, 0, '', '', $8, 0)
                 ON CONFLICT (tenant_id, kind, dedup_key) WHERE state = 'queued' DO NOTHING")
                .bind(job.tenant.as_str())
                .bind(id.as_str())
                .bind(job.kind)
                .bind(job.dedup_key.as_str())
                .bind(job.payload.to_string())
                .bind(job.run_at)
                .bind(job.max_attempts)
                .bind(tx.now_ms()),
        )
        .await?;
    Ok((inserted == 1).then_some(id))
}

/// Queues `job` in the caller's transaction, or, when one with the same
/// kind and key is already waiting, makes that one due no later than `job`
/// (a setting changed now must not wait for a sweep queued for later).
pub async fn enqueue_or_hurry(tx: &mut Tx, job: &NewJob) -> Result<()> {
    if enqueue(tx, job).await?.is_none() {
        tx.execute(
            sql("UPDATE jobs SET run_at = $4 WHERE tenant_id = $1 AND kind = $2 AND dedup_key = $3 AND state = 'queued' AND run_at > $4")
                .bind(job.tenant.as_str())
                .bind(job.kind)
                .bind(job.dedup_key.as_str())
                .bind(job.run_at),
        )
        .await?;
    }
    Ok(())
}

/// Queues `job` in a transaction of its own.
pub async fn enqueue_now(store: &Store, job: &NewJob) -> Result<Option<String>> {
    let mut tx = store.begin().await?;
    let id = enqueue(&mut tx, job).await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a job that is still waiting: the caller did its work itself
/// right after committing (the job was the guarantee against a crash in
/// between). A job a worker has already taken runs anyway, harmlessly.
pub async fn forget(store: &Store, tenant: &str, id: &str) -> Result<()> {
    store.execute(sql("DELETE FROM jobs WHERE tenant_id = $1 AND id = $2 AND state = 'queued'").bind(tenant).bind(id)).await?;
    Ok(())
}

/// Takes up to `n` due jobs for `worker` for `lease`: queued ones whose
/// time has come, and running ones whose server's lease ran out.
pub async fn claim(store: &Store, worker: &str, n: i64, lease: Duration) -> Result<Vec<Job>> {
    let now = store.now_ms();
    // SQLite has one writer at a time (the transaction takes the write
    // lock); PostgreSQL skips rows another server is claiming right now.
    let pick = store.dialect(
        "SELECT tenant_id, id FROM jobs WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until < $1)
         ORDER BY run_at LIMIT $2",
        "SELECT tenant_id, id FROM jobs WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND lease_until < $1)
         ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    );
    let mut tx = store.begin().await?;
    let picked = tx.fetch_all(pick.bind(now).bind(n)).await?;
    let mut jobs = Vec::with_capacity(picked.len());
    for p in &picked {
        let (tenant, id): (String, String) = (p.get("tenant_id")?, p.get("id")?);
        let claimed = tx
            .fetch_optional(
                crate::store::sql_built(format!(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $3, leased_by = $4
                     WHERE tenant_id = $1 AND id = $2 RETURNING {COLUMNS}"
                ))
                .bind(tenant)
                .bind(id)
                .bind(now + lease.as_millis() as i64)
                .bind(worker),
            )
            .await;
        match claimed {
            Ok(Some(row)) => jobs.push(from_row(&row)?),
            Ok(None) => {}
            // A job that ran out its lease while another of its kind and key
            // was queued meanwhile cannot go back to waiting beside it; the
            // waiting one will do the work.
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(jobs)
}

/// How many jobs are being run or are about to be: running under a live
/// lease, or queued and due (`worker::drain` waits until none is).
pub async fn in_flight(store: &Store) -> Result<i64> {
    let now = store.now_ms();
    // Due queued jobs count too: on PostgreSQL a job another worker is
    // claiming right now is skipped by `claim` (SKIP LOCKED) and is not yet
    // `running` to anyone else, but it is still `queued` and due here.
    store
        .fetch_scalar(
            crate::store::sql(
                "SELECT count(*) FROM jobs WHERE (state = 'running' AND lease_until >= $1) OR (state = 'queued' AND run_at <= $1)",
            )
            .bind(now),
        )
        .await
}

/// Records a job as done.
pub async fn succeed(store: &Store, job: &Job) -> Result<()> {
    store
        .execute(
            sql("UPDATE jobs SET state = 'done', finished_at = $3, last_error = '' WHERE tenant_id = $1 AND id = $2")
                .bind(job.tenant_id.as_str())
                .bind(job.id.as_str())
                .bind(store.now_ms()),
        )
        .await?;
    Ok(())
}

/// The wait before attempt `attempts + 1`: 2, 4, 8 ... seconds, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    Duration::from_secs((1u64 << attempts.clamp(1, 12)).min(3600))
}

/// Records a failure: the job waits its backoff and runs again, or, after
/// its last attempt, stays failed with `error`.
pub async fn fail(store: &Store, job: &Job, error: &str) -> Result<()> {
    let now = store.now_ms();
    let error: String = error.chars().take(2000).collect();
    let q = if job.attempts >= job.max_attempts {
        sql("UPDATE jobs SET state = 'failed', last_error = $3, finished_at = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(job.tenant_id.as_str())
            .bind(job.id.as_str())
            .bind(error)
            .bind(now)
    } else {
        // Back to waiting, unless one of its kind and key is waiting already
        // (that one does the work; this one is then done with).
        sql("UPDATE jobs SET state = CASE WHEN EXISTS (SELECT 1 FROM jobs q WHERE q.tenant_id = $1 AND q.kind = $5 AND q.dedup_key = $6 AND q.state = 'queued') THEN 'done' ELSE 'queued' END,
                 last_error = $3, run_at = $4, lease_until = 0 WHERE tenant_id = $1 AND id = $2")
            .bind(job.tenant_id.as_str())
            .bind(job.id.as_str())
            .bind(error)
            .bind(now + backoff(job.attempts).as_millis() as i64)
            .bind(job.kind.as_str())
            .bind(job.dedup_key.as_str())
    };
    store.execute(q).await?;
    Ok(())
}

/// A region's jobs, waiting, running and failed first, then the newest.
pub async fn list(store: &Store, tenant: &str, limit: i64) -> Result<Vec<Job>> {
    let q = crate::store::sql_built(format!(
        "SELECT {COLUMNS} FROM jobs WHERE tenant_id = $1
         ORDER BY CASE state WHEN 'failed' THEN 0 WHEN 'running' THEN 1 WHEN 'queued' THEN 2 ELSE 3 END, created_at DESC LIMIT $2"
    ));
    store.fetch_all(q.bind(tenant).bind(limit)).await?.iter().map(from_row).collect()
}

/// How many jobs are in each state, over all regions (for `/metrics`).
pub async fn counts(store: &Store) -> Result<Vec<(String, i64)>> {
    let rows = store.fetch_all(sql("SELECT state, count(*) AS n FROM jobs GROUP BY state ORDER BY state")).await?;
    rows.iter().map(|r| Ok((r.get("state")?, r.get("n")?))).collect()
}

/// Removes finished jobs older than `age` (failed ones are kept).
pub async fn prune(store: &Store, age: Duration) -> Result<u64> {
    store.execute(sql("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1").bind(store.now_ms() - age.as_millis() as i64)).await
}
