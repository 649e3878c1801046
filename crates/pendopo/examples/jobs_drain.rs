//! Benchmark: queue N jobs (each in its own transaction, as writes queue
//! them) and drain them with one worker; then a job queued through one
//! server and run by another's worker, the time from commit to done.
//!
//! cargo run --release -p pendopo --example jobs_drain -- [N] [DATABASE_URL]
//! Without DATABASE_URL a temporary SQLite store is used.

use std::time::{Duration, Instant};

use pendopo::kernel::jobs::{self, NewJob};
use pendopo::store::Store;
use pendopo::web;
use pendopo::worker::Outcome;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

fn nothing(_: web::App, _: jobs::Job) -> Outcome {
    Box::pin(async { Ok(()) })
}

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let url = args.next().unwrap_or_else(|| Store::sqlite_url(dir.path()));
    let store = Store::open(&url).await?;
    if pendopo::kernel::tenancy::list_tenants(&store).await?.is_empty() {
        pendopo::kernel::tenancy::init_region(&store, "35.22", &[], true).await?;
    }
    let config =
        |run_jobs| web::WebConfig { extra_jobs: vec![("bench:nothing", nothing as _)], run_jobs, ..web::WebConfig::new(dir.path().into()) };
    let app = web::state(store.clone(), config(false));

    let started = Instant::now();
    for i in 0..n {
        jobs::enqueue_now(&store, &NewJob::now(store.now_ms(), "35.22", "bench:nothing", i.to_string(), serde_json::Value::Null)).await?;
    }
    let queued = started.elapsed();
    let started = Instant::now();
    let ran = pendopo::worker::drain(&app).await?;
    let drained = started.elapsed();
    println!(
        "{n} jobs on {}: queued in {:.2} s, drained ({ran} run) in {:.2} s ({:.0} jobs/s)",
        store.engine().name(),
        queued.as_secs_f64(),
        drained.as_secs_f64(),
        ran as f64 / drained.as_secs_f64()
    );

    // Another server (its own pools on the same database) runs the worker.
    let other = web::state(Store::open(&url).await?, config(true));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve_until(other, listener, async move {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut worst = Duration::ZERO;
    for i in 0..10 {
        let id = jobs::enqueue_now(
            &store,
            &NewJob::now(store.now_ms(), "35.22", "bench:nothing", format!("cross-{i}"), serde_json::Value::Null),
        )
        .await?;
        let id = id.expect("queued");
        let t = Instant::now();
        while !jobs::list(&store, "35.22", 50).await?.iter().any(|j| j.id == id && j.state == "done") {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        worst = worst.max(t.elapsed());
    }
    println!("a job queued here and run by another server: at most {} ms over 10", worst.as_millis());
    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}
