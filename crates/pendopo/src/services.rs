//! The long-lived services of the slices (an MQTT subscriber, a poller of
//! another system), run by every `pendopo serve` beside its HTTP server and
//! its job worker, and stopped by the same shutdown. A service that returns
//! or fails is started again after a pause that grows to a minute. A
//! singleton runs on one server at a time: it holds a lease in the store
//! (`service_leases`), renews it while it runs, gives it back when it stops,
//! and a server that died loses it when it runs out, to whichever server
//! asks next.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::{Store, StoreError, sql};
use crate::web::App;

/// What a service returns when it ends: `Err` is logged and counted.
pub type Ended = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A long-lived task of a slice.
#[derive(Clone, Copy)]
pub struct Service {
    /// `slice:what`, also the name of its lease.
    pub name: &'static str,
    /// Runs on one server at a time (else on every server).
    pub singleton: bool,
    /// Runs until the receiver says `true` (the server is stopping, or the
    /// lease was lost), then returns soon.
    pub run: fn(App, watch::Receiver<bool>) -> Ended,
    /// Whether this server runs it at all (the MQTT subscriber only when a
    /// broker is configured): one not wanted takes no lease.
    pub wanted: fn(&App) -> bool,
}

/// For [`Service::wanted`]: every server runs it.
pub fn always(_: &App) -> bool {
    true
}

/// Runs every service of `app` until `stop` says so, then waits for them to end.
pub async fn run(app: App, stop: watch::Receiver<bool>) {
    let holder = crate::kernel::identity::new_id();
    let mut running = tokio::task::JoinSet::new();
    for service in app.services.iter().copied().filter(|s| (s.wanted)(&app)) {
        running.spawn(supervise(app.clone(), service, holder.clone(), stop.clone()));
    }
    while running.join_next().await.is_some() {}
}

/// Keeps one service running on this server: (for a singleton) while it
/// holds the lease, started again when it ends.
async fn supervise(app: App, service: Service, holder: String, mut stop: watch::Receiver<bool>) {
    let lease = app.service_lease;
    let mut pause = Duration::from_secs(1);
    while !*stop.borrow() {
        if service.singleton {
            match take_lease(&app.store, service.name, &holder, lease).await {
                Ok(true) => {}
                Ok(false) | Err(_) => {
                    // Another server has it: ask again before it could run out.
                    if wait(&mut stop, lease / 3).await {
                        break;
                    }
                    continue;
                }
            }
        }
        tracing::info!(service = service.name, "service started");
        app.service_stats.started(service.name);
        let (tell, told) = watch::channel(false);
        let mut task = tokio::spawn((service.run)(app.clone(), told));
        // Until it ends, or the server stops, or (a singleton) the lease is lost.
        let outcome = loop {
            tokio::select! {
                ended = &mut task => break Some(ended),
                changed = stop.changed() => if changed.is_err() || *stop.borrow() { break None },
                _ = tokio::time::sleep(lease / 3), if service.singleton => {
                    if !matches!(take_lease(&app.store, service.name, &holder, lease).await, Ok(true)) {
                        tracing::warn!(service = service.name, "service lease lost: stopping it here");
                        break None;
                    }
                }
            }
        };
        let ended = match outcome {
            Some(ended) => ended,
            None => {
                let _ = tell.send(true);
                task.await
            }
        };
        app.service_stats.stopped(service.name);
        match ended {
            Ok(Ok(())) => tracing::info!(service = service.name, "service ended"),
            Ok(Err(e)) => tracing::warn!(service = service.name, error = %e, "service failed"),
            Err(e) => tracing::error!(service = service.name, error = %e, "service panicked"),
        }
        if service.singleton {
            let _ = give_back(&app.store, service.name, &holder).await;
        }
        if wait(&mut stop, pause).await {
            break;
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

/// Sleeps `d` unless told to stop first; true when told.
async fn wait(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        changed = stop.changed() => changed.is_err() || *stop.borrow(),
    }
}

/// Takes or renews the lease of `name` for `holder`: true when it is
/// `holder`'s until now + `lease`.
pub async fn take_lease(store: &Store, name: &str, holder: &str, lease: Duration) -> Result<bool, StoreError> {
    let now = store.now_ms();
    let n = store
        .execute(
            sql("INSERT INTO service_leases (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE service_leases.holder = excluded.holder OR service_leases.expires_at < $4")
            .bind(name)
            .bind(holder)
            .bind(now + lease.as_millis() as i64)
            .bind(now),
        )
        .await?;
    Ok(n == 1)
}

/// Gives the lease back, so another server need not wait for it to run out.
async fn give_back(store: &Store, name: &str, holder: &str) -> Result<u64, StoreError> {
    store.execute(sql("DELETE FROM service_leases WHERE name = $1 AND holder = $2").bind(name).bind(holder)).await
}

/// Who holds each singleton's lease, and until when: for `/metrics` and the
/// admin's jobs page.
pub async fn leases(store: &Store) -> Result<Vec<(String, String, i64)>, StoreError> {
    let rows = store.fetch_all(sql("SELECT name, holder, expires_at FROM service_leases ORDER BY name")).await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?, r.at(2)?))).collect()
}

/// How many times each service started here and whether it runs now.
#[derive(Default)]
pub struct Stats(std::sync::Mutex<std::collections::BTreeMap<&'static str, (u64, bool)>>);

impl Stats {
    fn started(&self, name: &'static str) {
        let mut all = self.0.lock().expect("service stats");
        let entry = all.entry(name).or_default();
        *entry = (entry.0 + 1, true);
    }

    fn stopped(&self, name: &'static str) {
        self.0.lock().expect("service stats").entry(name).or_default().1 = false;
    }

    /// (name, starts, running now), by name.
    pub fn snapshot(&self) -> Vec<(&'static str, u64, bool)> {
        self.0.lock().expect("service stats").iter().map(|(n, (s, r))| (*n, *s, *r)).collect()
    }
}
