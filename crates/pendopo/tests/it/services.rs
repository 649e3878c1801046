//! Long-lived services: a singleton runs on one server at a time, moves to
//! another when its server stops or dies, and is started again when it ends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pendopo::services::{self, Ended, Service};
use pendopo::store::Store;
use pendopo::web;
use tokio::sync::watch;

use crate::common::each_engine;

/// How many copies of the test's singleton run now, the most seen at once,
/// and how many times it started. Each test is alone with them: nextest runs
/// each test in its own process, and the lock keeps them apart under
/// `cargo test`.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);
static STARTS: AtomicUsize = AtomicUsize::new(0);
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn gauge_reader(_: web::App, mut stop: watch::Receiver<bool>) -> Ended {
    Box::pin(async move {
        STARTS.fetch_add(1, Ordering::SeqCst);
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MOST.fetch_max(now, Ordering::SeqCst);
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    })
}

/// Ends with an error at once: the supervisor starts it again after a pause.
fn flaky(_: web::App, _: watch::Receiver<bool>) -> Ended {
    Box::pin(async {
        STARTS.fetch_add(1, Ordering::SeqCst);
        Err("the broker went away".to_string())
    })
}

const GAUGES: Service = Service { name: "test:gauges", singleton: true, run: gauge_reader, wanted: services::always };
const FLAKY: Service = Service { name: "test:flaky", singleton: false, run: flaky, wanted: services::always };

fn server(store: &Store, service: Service) -> (web::App, watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let config = web::WebConfig {
        extra_services: vec![service],
        run_jobs: false,
        run_services: false,
        service_lease: Duration::from_millis(600),
        ..web::WebConfig::new(std::env::temp_dir())
    };
    let app = web::state(store.clone(), config);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(services::run(app.clone(), stopped));
    (app, stop, task)
}

async fn until(what: &str, deadline: Duration, test: impl Fn() -> bool) {
    let start = Instant::now();
    while !test() {
        assert!(start.elapsed() < deadline, "{what} within {deadline:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_singleton_runs_once_and_moves_when_its_server_stops_or_dies() {
    let _one = ONE_AT_A_TIME.lock().await;
    for db in each_engine().await {
        let store = Store::open(&db.url).await.unwrap();
        RUNNING.store(0, Ordering::SeqCst);
        MOST.store(0, Ordering::SeqCst);
        let (a, stop_a, task_a) = server(&store, GAUGES);
        let (_b, stop_b, task_b) = server(&store, GAUGES);
        until("the singleton running", Duration::from_secs(5), || RUNNING.load(Ordering::SeqCst) == 1).await;
        // Several renewals later, still one copy.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!((RUNNING.load(Ordering::SeqCst), MOST.load(Ordering::SeqCst)), (1, 1), "{}", db.label);
        // (The slices' own singletons, such as the sensors' retention, hold leases of their own.)
        let holder: Vec<_> = services::leases(&store).await.unwrap().into_iter().filter(|l| l.0 == GAUGES.name).collect();
        assert_eq!(holder.len(), 1, "{}: one lease: {holder:?}", db.label);

        // The holder stops: the lease is given back and the other server takes it.
        let a_runs = a.service_stats.snapshot().iter().any(|s| s.0 == GAUGES.name && s.2);
        let (stop_first, stop_second, first, second) =
            if a_runs { (stop_a, stop_b, task_a, task_b) } else { (stop_b, stop_a, task_b, task_a) };
        stop_first.send(true).unwrap();
        first.await.unwrap();
        until("taken over after a stop", Duration::from_secs(2), || RUNNING.load(Ordering::SeqCst) == 1).await;
        assert_eq!(MOST.load(Ordering::SeqCst), 1, "{}: never two at once", db.label);

        // A server that dies keeps its lease until it runs out; then a third server takes over.
        second.abort();
        let _ = second.await;
        drop(stop_second);
        RUNNING.store(0, Ordering::SeqCst);
        let died = Instant::now();
        let (_c, stop_c, task_c) = server(&store, GAUGES);
        until("taken over after a death", Duration::from_secs(3), || RUNNING.load(Ordering::SeqCst) == 1).await;
        assert!(died.elapsed() >= Duration::from_millis(300), "{}: not before the lease could run out", db.label);
        stop_c.send(true).unwrap();
        task_c.await.unwrap();
        assert!(services::leases(&store).await.unwrap().is_empty(), "{}: given back at the stop", db.label);
    }
}

#[tokio::test]
async fn a_service_that_fails_is_started_again_and_counted() {
    let _one = ONE_AT_A_TIME.lock().await;
    let db = crate::common::sqlite_db();
    let store = Store::open(&db.url).await.unwrap();
    STARTS.store(0, Ordering::SeqCst);
    let (app, stop, task) = server(&store, FLAKY);
    // Pauses of one second, then two: three starts in a little over three seconds.
    until("three starts", Duration::from_secs(5), || STARTS.load(Ordering::SeqCst) >= 3).await;
    let starts = app.service_stats.snapshot();
    let flaky = starts.iter().find(|s| s.0 == FLAKY.name).expect("the flaky service is counted");
    assert!(flaky.1 >= 3, "{starts:?}");
    stop.send(true).unwrap();
    task.await.unwrap();
}
