//! The job runner every `pendopo serve` runs beside its HTTP server: it
//! claims due jobs from the store (`kernel::jobs`), hands each to the
//! handler its kind names, and records the outcome. Stopped by the same
//! shutdown as the server; a job cut off by a stop is taken over by the
//! next server once its lease runs out.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::kernel::jobs::{self, Job};
use crate::web::App;

/// What a handler returns: done, or an error worth retrying.
pub type Outcome = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// A job handler: the application and the job.
pub type Handler = fn(App, Job) -> Outcome;

/// How long a claimed job is this server's before another may take it over.
pub const LEASE: Duration = Duration::from_secs(300);
/// How often an idle worker looks for due jobs (a job queued by another
/// server starts within this; one queued here wakes the worker at once).
pub const POLL: Duration = Duration::from_millis(250);
/// Jobs claimed at a time.
const BATCH: i64 = 32;

/// Counts for `/metrics`, since this process started.
#[derive(Default)]
pub struct Stats {
    pub succeeded: AtomicU64,
    pub failed: AtomicU64,
}

/// The handlers of every kind of job, by name.
pub struct Handlers(HashMap<&'static str, Handler>);

impl Handlers {
    pub fn new(list: impl IntoIterator<Item = (&'static str, Handler)>) -> Handlers {
        Handlers(list.into_iter().collect())
    }

    pub fn kinds(&self) -> impl Iterator<Item = &&'static str> {
        self.0.keys()
    }
}

/// Runs one batch of due jobs; returns how many ran.
pub async fn run_due(app: &App, worker: &str) -> Result<usize, crate::store::StoreError> {
    let claimed = jobs::claim(&app.store, worker, BATCH, LEASE).await?;
    let n = claimed.len();
    for job in claimed {
        let outcome = match app.jobs.0.get(job.kind.as_str()) {
            Some(handler) => handler(app.clone(), job.clone()).await,
            None => Err(format!("no handler for jobs of kind {}", job.kind)),
        };
        match outcome {
            Ok(()) => {
                app.job_stats.succeeded.fetch_add(1, Ordering::Relaxed);
                jobs::succeed(&app.store, &job).await?;
            }
            Err(e) => {
                app.job_stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(kind = %job.kind, tenant = %job.tenant_id, attempt = job.attempts, error = %e, "job failed");
                jobs::fail(&app.store, &job, &e).await?;
            }
        }
    }
    Ok(n)
}

/// Runs every job that is due now, until none is left and none is still
/// running elsewhere (tests, and commands that want their work finished
/// before they return). A job another worker claimed first (this server's
/// own loop, woken by the same write, or another server) is waited for, up
/// to one lease: returning while it runs would show its work half done.
pub async fn drain(app: &App) -> Result<usize, crate::store::StoreError> {
    let worker = format!("drain-{}", crate::kernel::identity::new_id());
    let started = std::time::Instant::now();
    let mut total = 0;
    loop {
        let n = run_due(app, &worker).await?;
        total += n;
        if n > 0 {
            continue;
        }
        if jobs::in_flight(&app.store).await? == 0 || started.elapsed() > LEASE {
            // A job another worker just finished may have queued one due
            // now, between the look above and this count: one more look.
            let n = run_due(app, &worker).await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
            continue;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The worker loop, until `stop` says so.
pub async fn run(app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
    let worker = crate::kernel::identity::new_id();
    let mut last_prune = std::time::Instant::now();
    tracing::info!(worker = %worker, "job worker started");
    while !*stop.borrow() {
        let ran = match run_due(&app, &worker).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "job worker: the store did not answer");
                0
            }
        };
        if last_prune.elapsed() > Duration::from_secs(600) {
            let _ = jobs::prune(&app.store, Duration::from_secs(24 * 3600)).await;
            last_prune = std::time::Instant::now();
        }
        if ran > 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = app.job_wake.notified() => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
    tracing::info!(worker = %worker, "job worker stopped");
}

/// Wakes this server's worker (after queueing a job here).
pub fn wake(app: &App) {
    app.job_wake.notify_one();
}

/// Shared by handlers: the payload's string field `name`.
pub fn text(job: &Job, name: &str) -> Result<String, String> {
    job.payload.get(name).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| format!("the job has no {name}"))
}

/// For `AppState`: an empty notifier.
pub fn waker() -> Arc<tokio::sync::Notify> {
    Arc::new(tokio::sync::Notify::new())
}
