//! The region's background jobs for its admins: what waits, what runs,
//! what failed and why (`/admin/jobs`, `GET /api/v1/jobs`). Only reading:
//! the worker (`crate::worker`) is the one that changes jobs.

use axum::Json;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::kernel::jobs;
use crate::web::ctx::Ctx;
use crate::web::error::AppResult;

/// Jobs shown at most (failed and waiting ones first).
const SHOWN: i64 = 200;

pub const SLICE: crate::slices::Slice = crate::slices::Slice {
    menu: &[crate::slices::MenuEntry { label: "nav.jobs", href: "/admin/jobs", admins_only: true }],
    templates: &[("jobs/list.html", include_str!("templates/list.html"))],
    locales: [include_str!("locales/id.txt"), include_str!("locales/en.txt")],
    ..crate::slices::Slice::new("job", routes)
};

pub fn routes() -> crate::slices::Routes {
    crate::slices::Routes::new().route("/admin/jobs", get(page)).api(
        "/api/v1/jobs",
        get(api_list),
        &[crate::slices::Op { method: "get", summary: "The region's background jobs (region admins)" }],
    )
}

async fn page(ctx: Ctx) -> AppResult<Response> {
    ctx.region_admin()?;
    let jobs = jobs::list(&ctx.app.store, &ctx.tenant.id, SHOWN).await?;
    let rows: Vec<_> = jobs
        .iter()
        .map(|j| {
            minijinja::context! {
                kind => j.kind, state => ctx.text(state_key(&j.state)), attempts => j.attempts, max_attempts => j.max_attempts,
                run_at => j.run_at, last_error => j.last_error,
            }
        })
        .collect();
    Ok(ctx.render("jobs/list.html", minijinja::context! { jobs => rows })?.into_response())
}

fn state_key(state: &str) -> &'static str {
    match state {
        "queued" => "job.state_queued",
        "running" => "job.state_running",
        "done" => "job.state_done",
        _ => "job.state_failed",
    }
}

async fn api_list(ctx: Ctx) -> AppResult<Response> {
    ctx.region_admin()?;
    let jobs = jobs::list(&ctx.app.store, &ctx.tenant.id, SHOWN).await?;
    Ok(Json(serde_json::json!({ "count": jobs.len(), "jobs": jobs })).into_response())
}
