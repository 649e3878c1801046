//! Operations: request ids, logs and metrics for every request, `/healthz`
//! and `/metrics`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::web::App;

pub const REQUEST_ID: &str = "x-request-id";

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<MetricsInner>,
}

#[derive(Default)]
struct MetricsInner {
    requests: HashMap<(String, String, u16), u64>,
    latency: HashMap<String, Histogram>,
}

#[derive(Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut m = self.inner.lock().expect("metrics lock");
        *m.requests.entry((route.to_string(), method.to_string(), status)).or_default() += 1;
        let h = m.latency.entry(route.to_string()).or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition format.
    pub fn render(&self, pool: &crate::store::PoolStats) -> String {
        let m = self.inner.lock().expect("metrics lock");
        let mut out = String::new();
        out.push_str("# HELP pendopo_http_requests_total HTTP requests by route, method and status.\n");
        out.push_str("# TYPE pendopo_http_requests_total counter\n");
        let mut rows: Vec<_> = m.requests.iter().collect();
        rows.sort();
        for ((route, method, status), n) in rows {
            let _ = writeln!(out, "pendopo_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}", escape(route));
        }
        out.push_str("# HELP pendopo_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE pendopo_http_request_duration_seconds histogram\n");
        let mut routes: Vec<_> = m.latency.iter().collect();
        routes.sort_by(|a, b| a.0.cmp(b.0));
        for (route, h) in routes {
            let route = escape(route);
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "pendopo_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {}", h.buckets[i]);
            }
            let _ = writeln!(out, "pendopo_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "pendopo_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "pendopo_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out.push_str("# HELP pendopo_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE pendopo_db_pool_connections gauge\n");
        let _ = writeln!(out, "pendopo_db_pool_connections{{state=\"open\"}} {}", pool.size);
        let _ = writeln!(out, "pendopo_db_pool_connections{{state=\"idle\"}} {}", pool.idle);
        let _ = writeln!(out, "pendopo_db_pool_connections{{state=\"max\"}} {}", pool.max);
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Gives every request an id (the proxy's `x-request-id` if it sent a sane
/// one), runs it inside a span carrying that id, logs it, counts it.
pub async fn observe(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let method = req.method().to_string();
    let span = tracing::info_span!("request", id = %id, method = %method, path = %req.uri().path());
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    // Route templates, not raw paths, so the metrics stay bounded.
    let route = res.extensions().get::<MatchedPath>().map(|p| p.as_str()).unwrap_or("unmatched");
    app.metrics.record(route, &method, status, elapsed.as_secs_f64());
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, ms = elapsed.as_secs_f64() * 1e3, "answered");
        } else if status >= 400 {
            tracing::warn!(status, ms = elapsed.as_secs_f64() * 1e3, "answered");
        } else {
            tracing::debug!(status, ms = elapsed.as_secs_f64() * 1e3, "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

pub async fn healthz(State(app): State<App>) -> Response {
    let up = app.store.ping().await;
    let body = serde_json::json!({
        "status": if up { "ok" } else { "unavailable" },
        "database": { "reachable": up, "engine": app.store.engine().name() },
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

pub async fn metrics(State(app): State<App>) -> Response {
    let mut text = app.metrics.render(&app.store.pool_stats());
    // Jobs in the store (every server's), and this server's runs.
    text.push_str("# HELP pendopo_jobs Background jobs in the store by state.\n# TYPE pendopo_jobs gauge\n");
    for (state, n) in crate::kernel::jobs::counts(&app.store).await.unwrap_or_default() {
        let _ = writeln!(text, "pendopo_jobs{{state=\"{}\"}} {n}", escape(&state));
    }
    text.push_str("# HELP pendopo_job_runs_total Jobs this server ran, by outcome.\n# TYPE pendopo_job_runs_total counter\n");
    let stats = &app.job_stats;
    let _ =
        writeln!(text, "pendopo_job_runs_total{{outcome=\"succeeded\"}} {}", stats.succeeded.load(std::sync::atomic::Ordering::Relaxed));
    let _ = writeln!(text, "pendopo_job_runs_total{{outcome=\"failed\"}} {}", stats.failed.load(std::sync::atomic::Ordering::Relaxed));
    // The long-lived services on this server: how often each started, and whether it runs now.
    let services = app.service_stats.snapshot();
    text.push_str(
        "# HELP pendopo_service_starts_total Times each service started on this server.\n# TYPE pendopo_service_starts_total counter\n",
    );
    for (name, starts, _) in &services {
        let _ = writeln!(text, "pendopo_service_starts_total{{service=\"{}\"}} {starts}", escape(name));
    }
    text.push_str("# HELP pendopo_service_running Whether each service runs on this server now.\n# TYPE pendopo_service_running gauge\n");
    for (name, _, running) in &services {
        let _ = writeln!(text, "pendopo_service_running{{service=\"{}\"}} {}", escape(name), u8::from(*running));
    }
    // Device measures stored and refused (the sensors slice).
    text.push_str(&crate::slices::sensors::iot::metrics(&app.store).await);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}
