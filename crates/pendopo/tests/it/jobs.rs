//! Durable jobs on both engines: deduplicated while they wait, each run once
//! with several servers, retried with backoff and kept with their error,
//! taken over when a server's lease runs out, shown to the admin.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use pendopo::clock::Clock;
use pendopo::kernel::jobs::{self, NewJob};
use pendopo::store::{Store, sql};
use pendopo::web;
use pendopo::worker::{self, Handler, Outcome};

use crate::common::{PASSWORD, REGION, each_engine, spawn};

/// Runs of each job id, as the test handler counts them (one process per test).
static RUNS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

fn count_run(_: web::App, job: jobs::Job) -> Outcome {
    Box::pin(async move {
        *RUNS.lock().unwrap().get_or_insert_with(HashMap::new).entry(job.id).or_default() += 1;
        Ok(())
    })
}

fn always_fail(_: web::App, _: jobs::Job) -> Outcome {
    Box::pin(async { Err("the gauge did not answer".to_string()) })
}

const COUNT: (&str, Handler) = ("test:count", count_run);
const FAIL: (&str, Handler) = ("test:fail", always_fail);

async fn opened(url: &str) -> Store {
    let store = Store::open(url).await.unwrap();
    if pendopo::kernel::tenancy::list_tenants(&store).await.unwrap().is_empty() {
        pendopo::kernel::tenancy::init_region(&store, REGION, &[], true).await.unwrap();
    }
    store
}

async fn state_of(store: Store) -> web::App {
    let dir = std::env::temp_dir();
    web::state(store, web::WebConfig { extra_jobs: vec![COUNT, FAIL], run_jobs: false, ..web::WebConfig::new(dir) })
}

async fn states(store: &Store) -> HashMap<String, i64> {
    jobs::counts(store).await.unwrap().into_iter().collect()
}

#[tokio::test]
async fn fifty_steps_make_one_pending_recomputation() {
    for db in each_engine().await {
        let store = opened(&db.url).await;
        for _ in 0..50 {
            let mut tx = store.begin().await.unwrap();
            pendopo::slices::contracting::index::queue_reflag(&mut tx, REGION).await.unwrap();
            tx.commit().await.unwrap();
        }
        assert_eq!(states(&store).await.get("queued"), Some(&1), "{}", db.label);
        // A job rolled back with its write is not queued at all.
        let mut tx = store.begin().await.unwrap();
        jobs::enqueue(&mut tx, &NewJob::now(store.now_ms(), REGION, "test:count", "rolled-back", serde_json::Value::Null)).await.unwrap();
        drop(tx);
        assert_eq!(states(&store).await.get("queued"), Some(&1));
    }
}

#[tokio::test]
async fn each_job_runs_once_with_two_servers_and_is_taken_from_another_within_a_second() {
    for db in each_engine().await {
        RUNS.lock().unwrap().take();
        // Two servers on one database, both running their workers.
        let a = spawn(&db, |c| web::WebConfig { extra_jobs: vec![COUNT], ..c }).await;
        let b = spawn(&db, |c| web::WebConfig { extra_jobs: vec![COUNT], ..c }).await;
        let mut ids = Vec::new();
        for i in 0..200 {
            let job = NewJob::now(a.store.now_ms(), REGION, "test:count", format!("job-{i}"), serde_json::Value::Null);
            ids.push(jobs::enqueue_now(&a.store, &job).await.unwrap().unwrap());
        }
        let started = std::time::Instant::now();
        while states(&b.store).await.get("done").copied().unwrap_or(0) < 200 {
            assert!(started.elapsed() < Duration::from_secs(20), "{}: {:?}", db.label, states(&b.store).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let runs = RUNS.lock().unwrap().take().unwrap();
        assert_eq!(runs.len(), 200, "{}", db.label);
        assert!(runs.values().all(|&n| n == 1), "{}: a job ran twice", db.label);

        // A job queued through a server that runs no worker is run by the
        // other one within a second.
        let quiet = spawn(&db, |c| web::WebConfig { extra_jobs: vec![COUNT], run_jobs: false, ..c }).await;
        let job = NewJob::now(quiet.store.now_ms(), REGION, "test:count", "cross", serde_json::Value::Null);
        let id = jobs::enqueue_now(&quiet.store, &job).await.unwrap().unwrap();
        let queued = std::time::Instant::now();
        loop {
            let done = jobs::list(&quiet.store, REGION, 500).await.unwrap().iter().any(|j| j.id == id && j.state == "done");
            if done {
                break;
            }
            assert!(queued.elapsed() < Duration::from_secs(1), "{}: not run within a second", db.label);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn failures_wait_longer_each_time_and_the_last_one_is_kept_with_its_error() {
    for db in each_engine().await {
        let clock = Clock::manual(1_800_000_000_000);
        let store = opened(&db.url).await.with_clock(clock.clone());
        let app = state_of(store.clone()).await;
        let job = NewJob { max_attempts: 3, ..NewJob::now(store.now_ms(), REGION, "test:fail", "gauge", serde_json::Value::Null) };
        jobs::enqueue_now(&store, &job).await.unwrap();
        assert_eq!(worker::drain(&app).await.unwrap(), 1, "{}", db.label);
        let j = &jobs::list(&store, REGION, 10).await.unwrap()[0];
        assert_eq!((j.state.as_str(), j.attempts), ("queued", 1));
        assert_eq!(j.run_at, store.now_ms() + 2_000, "waits two seconds before the second attempt");
        assert_eq!(j.last_error, "the gauge did not answer");
        assert_eq!(worker::drain(&app).await.unwrap(), 0, "not due yet");
        clock.advance(Duration::from_secs(2));
        assert_eq!(worker::drain(&app).await.unwrap(), 1);
        let j = &jobs::list(&store, REGION, 10).await.unwrap()[0];
        assert_eq!(j.run_at, store.now_ms() + 4_000, "then four");
        clock.advance(Duration::from_secs(4));
        worker::drain(&app).await.unwrap();
        let j = &jobs::list(&store, REGION, 10).await.unwrap()[0];
        assert_eq!((j.state.as_str(), j.attempts), ("failed", 3), "{}", db.label);
        clock.advance(Duration::from_secs(3600));
        assert_eq!(worker::drain(&app).await.unwrap(), 0, "a failed job stays failed");
        assert_eq!(app.job_stats.failed.load(std::sync::atomic::Ordering::Relaxed), 3);
    }
}

#[tokio::test]
async fn a_job_whose_server_died_is_taken_over_when_its_lease_runs_out() {
    for db in each_engine().await {
        let clock = Clock::manual(1_800_000_000_000);
        let store = opened(&db.url).await.with_clock(clock.clone());
        jobs::enqueue_now(&store, &NewJob::now(store.now_ms(), REGION, "test:count", "x", serde_json::Value::Null)).await.unwrap();
        let taken = jobs::claim(&store, "a-server-that-dies", 10, Duration::from_secs(60)).await.unwrap();
        assert_eq!(taken.len(), 1);
        assert!(jobs::claim(&store, "another", 10, Duration::from_secs(60)).await.unwrap().is_empty(), "{}: leased", db.label);
        clock.advance(Duration::from_secs(61));
        let again = jobs::claim(&store, "another", 10, Duration::from_secs(60)).await.unwrap();
        assert_eq!(again.len(), 1, "{}", db.label);
        assert_eq!(again[0].attempts, 2);
    }
}

#[tokio::test]
async fn the_admin_sees_jobs_and_metrics_count_them() {
    for db in each_engine().await {
        let app = spawn(&db, |c| web::WebConfig { extra_jobs: vec![FAIL], run_jobs: false, ..c }).await;
        let job = NewJob { max_attempts: 1, ..NewJob::now(app.store.now_ms(), REGION, "test:fail", "g", serde_json::Value::Null) };
        jobs::enqueue_now(&app.store, &job).await.unwrap();
        app.drain_jobs().await;
        app.add_user("walidata@bojonegorokab.go.id", "walidata", None).await;
        let (status, _) = crate::common::client().get(app.url("/admin/jobs")).send().await.map(|r| (r.status().as_u16(), ())).unwrap();
        assert_eq!(status, 303, "strangers sign in first");
        assert_eq!(app.login("walidata@bojonegorokab.go.id", PASSWORD).await.status(), 303);
        let (status, page) = app.get_text("/admin/jobs").await;
        assert_eq!(status, 200);
        assert!(page.contains("test:fail") && page.contains("gagal") && page.contains("the gauge did not answer"), "{page}");
        let (_, metrics) = app.get_text("/metrics").await;
        assert!(metrics.contains("pendopo_jobs{state=\"failed\"} 1"), "{metrics}");
        assert!(metrics.contains("pendopo_job_runs_total{outcome=\"failed\"} 1"));
        let rows = app.store.fetch_all(sql("SELECT kind FROM jobs")).await.unwrap();
        assert_eq!(rows.len(), 1, "{}", db.label);
    }
}
