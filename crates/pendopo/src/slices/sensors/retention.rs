//! Retention of the time series per entity type (`sensor_retention`): raw
//! points kept a number of days, then hourly aggregates kept a number of
//! years (or for ever). The walidata sets them on `/sensor/retensi` or
//! through `GET/PUT/DELETE /api/v1/sensors/retention`; the sweep
//! (`rollup::sweep`) applies them, queued by the `sensor:retention` service
//! at start and every hour, and by every change of a setting.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::kernel::jobs::{self, Job, NewJob};
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, sql};
use crate::web::App;
use crate::web::ctx::{ApiWriter, Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

type Result<T> = std::result::Result<T, StoreError>;

/// Raw points are kept this many days unless the region says otherwise.
pub const DEFAULT_RAW_DAYS: i64 = 90;
/// Hourly aggregates are kept this many years unless the region says otherwise.
pub const DEFAULT_HOURLY_YEARS: i64 = 10;
/// The job that rolls up and applies retention, one waiting per region.
pub const SWEEP_JOB: &str = "sensor:retention_sweep";
/// How long after being queued by the service a sweep is due.
const FIRST_DELAY_MS: i64 = 10 * 60 * 1000;
/// How often the service queues a sweep.
const EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Raw days and hourly years (`None`: for ever).
pub type Keep = (i64, Option<i64>);

/// One setting as stored: the type is the expanded IRI, `''` the default.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub entity_type: String,
    pub raw_days: i64,
    pub hourly_years: Option<i64>,
    pub updated_at: i64,
    pub updated_by: String,
}

/// A region's settings, with the built-in default where it has none.
#[derive(Clone, Debug)]
pub struct Settings {
    pub default: Keep,
    pub by_type: BTreeMap<String, Keep>,
}

impl Settings {
    fn all_keeps(&self) -> impl Iterator<Item = &Keep> {
        std::iter::once(&self.default).chain(self.by_type.values())
    }

    pub fn min_raw_days(&self) -> i64 {
        self.all_keeps().map(|k| k.0).min().unwrap_or(DEFAULT_RAW_DAYS)
    }

    /// The fewest years any type keeps hourly rows; `None` when all keep them for ever.
    pub fn min_hourly_years(&self) -> Option<i64> {
        self.all_keeps().filter_map(|k| k.1).min()
    }

    /// What an entity keeps: the longest of its types' (an entity deleted,
    /// or of no set type, keeps the default).
    pub fn for_types(&self, types: &[String]) -> Keep {
        let keeps: Vec<Keep> = types.iter().filter_map(|t| self.by_type.get(t).copied()).collect();
        if keeps.is_empty() {
            return self.default;
        }
        let days = keeps.iter().map(|k| k.0).max().unwrap_or(self.default.0);
        let years = if keeps.iter().any(|k| k.1.is_none()) { None } else { keeps.iter().filter_map(|k| k.1).max() };
        (days, years)
    }

    pub async fn for_entity(&self, store: &Store, tenant: &str, entity: &str) -> Result<Keep> {
        let rows = store
            .fetch_all(sql("SELECT type FROM sensor_entity_types WHERE tenant_id = $1 AND entity_id = $2").bind(tenant).bind(entity))
            .await?;
        let types = rows.iter().map(|r| r.at::<String>(0)).collect::<Result<Vec<_>>>()?;
        Ok(self.for_types(&types))
    }
}

/// The region's settings as stored, the default (`''`) first.
pub async fn list(store: &Store, tenant: &str) -> Result<Vec<Setting>> {
    let rows = store
        .fetch_all(
            sql("SELECT entity_type, raw_days, hourly_years, updated_at, updated_by FROM sensor_retention WHERE tenant_id = $1 ORDER BY entity_type")
                .bind(tenant),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Setting { entity_type: r.at(0)?, raw_days: r.at(1)?, hourly_years: r.at(2)?, updated_at: r.at(3)?, updated_by: r.at(4)? })
        })
        .collect()
}

pub async fn all(store: &Store, tenant: &str) -> Result<Settings> {
    let mut s = Settings { default: (DEFAULT_RAW_DAYS, Some(DEFAULT_HOURLY_YEARS)), by_type: BTreeMap::new() };
    for row in list(store, tenant).await? {
        let keep = (row.raw_days, row.hourly_years);
        if row.entity_type.is_empty() {
            s.default = keep;
        } else {
            s.by_type.insert(row.entity_type, keep);
        }
    }
    Ok(s)
}

/// A setting as a form or a JSON body gives it, before checking.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// A short name under the core context (`WaterObserved`), or empty for the default.
    pub entity_type: String,
    pub raw_days: String,
    /// Empty: for ever.
    pub hourly_years: String,
}

/// A checked setting: (expanded type, raw days, hourly years).
pub type Checked = (String, i64, Option<i64>);

/// Checks a setting; every problem at once, by field.
pub fn check(input: &Input) -> std::result::Result<Checked, Vec<(&'static str, Msg)>> {
    let mut errors = Vec::new();
    let ty = input.entity_type.trim();
    if !ty.is_empty() && !ngsild::entity::is_valid_name(ty) && !ngsild::entity::is_uri(ty) {
        errors.push(("entity_type", Msg::new("sensor.retensi.type_invalid")));
    }
    let days = input.raw_days.trim().parse::<i64>().ok().filter(|d| (1..=3650).contains(d));
    if days.is_none() {
        errors.push(("raw_days", Msg::new("sensor.retensi.days_invalid")));
    }
    let years_text = input.hourly_years.trim();
    let years = if years_text.is_empty() { Some(None) } else { years_text.parse::<i64>().ok().filter(|y| (1..=100).contains(y)).map(Some) };
    match years {
        None => errors.push(("hourly_years", Msg::new("sensor.retensi.years_invalid"))),
        // Hourly rows are what remains of raw points: they must outlive them.
        Some(Some(y)) if days.is_some_and(|d| d > y * 365) => errors.push(("hourly_years", Msg::new("sensor.retensi.years_short"))),
        _ => {}
    }
    match (days, years) {
        (Some(d), Some(y)) if errors.is_empty() => {
            let expanded = if ty.is_empty() { String::new() } else { ngsild::context::core().expand(ty) };
            Ok((expanded, d, y))
        }
        _ => Err(errors),
    }
}

/// Stores a setting and queues a sweep, in one transaction.
pub async fn set(store: &Store, tenant: &str, (ty, days, years): &Checked, by: &str) -> Result<()> {
    let mut tx = store.begin().await?;
    let now = tx.now_ms();
    tx.execute(
        sql("INSERT INTO sensor_retention (tenant_id, entity_type, raw_days, hourly_years, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, entity_type) DO UPDATE SET raw_days = excluded.raw_days, hourly_years = excluded.hourly_years, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(tenant)
        .bind(ty.as_str())
        .bind(*days)
        .bind(*years)
        .bind(now)
        .bind(by),
    )
    .await?;
    jobs::enqueue_or_hurry(&mut tx, &sweep_job(now, tenant)).await?;
    tx.commit().await
}

/// Removes a type's setting (it keeps the default again).
pub async fn remove(store: &Store, tenant: &str, ty: &str) -> Result<bool> {
    let mut tx = store.begin().await?;
    let n = tx.execute(sql("DELETE FROM sensor_retention WHERE tenant_id = $1 AND entity_type = $2").bind(tenant).bind(ty)).await?;
    let job = sweep_job(tx.now_ms(), tenant);
    jobs::enqueue_or_hurry(&mut tx, &job).await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// A sweep that also applies retention.
pub fn sweep_job(now: i64, tenant: &str) -> NewJob {
    NewJob::now(now, tenant, SWEEP_JOB, "sweep", json!({ "purge": true }))
}

/// A sweep that only rolls up (after a backfill: its hours are answered
/// from rows soon, and nothing is deleted sooner than the hourly sweep would).
pub fn rollup_job(now: i64, tenant: &str) -> NewJob {
    NewJob::now(now, tenant, SWEEP_JOB, "rollup", json!({ "purge": false }))
}

/// The job: one sweep of the region.
pub async fn run_sweep(app: App, job: Job) -> std::result::Result<(), String> {
    let purge = job.payload.get("purge").and_then(serde_json::Value::as_bool).unwrap_or(true);
    let done = super::rollup::sweep(&app.store, &job.tenant_id, purge).await.map_err(|e| e.to_string())?;
    tracing::info!(tenant = %job.tenant_id, hours = done.hours, points_deleted = done.points_deleted, hours_deleted = done.hours_deleted, deletions_deleted = done.deletions_deleted, "sensor retention sweep");
    Ok(())
}

/// The singleton service that queues a sweep of every region holding
/// series, when it starts and every hour (a sweep already waiting absorbs
/// the new one). Each is due a few minutes after it is queued, so that a
/// server that has just started (or a test's) deletes nothing at once.
pub const SERVICE: crate::services::Service = crate::services::Service {
    name: "sensor:retention",
    singleton: true,
    run: |app, stop| Box::pin(schedule(app, stop)),
    wanted: crate::services::always,
};

async fn schedule(app: App, mut stop: tokio::sync::watch::Receiver<bool>) -> std::result::Result<(), String> {
    while !*stop.borrow() {
        let rows = app
            .store
            .fetch_all(sql("SELECT DISTINCT tenant_id FROM sensor_entities UNION SELECT DISTINCT tenant_id FROM sensor_hourly"))
            .await
            .map_err(|e| e.to_string())?;
        for r in rows {
            let tenant: String = r.at(0).map_err(|e| e.to_string())?;
            let now = app.store.now_ms();
            let job = NewJob { run_at: now + FIRST_DELAY_MS, ..sweep_job(now, &tenant) };
            jobs::enqueue_now(&app.store, &job).await.map_err(|e| e.to_string())?;
        }
        crate::worker::wake(&app);
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
    Ok(())
}

// --- The page -------------------------------------------------------------

fn shown(s: &Setting) -> serde_json::Value {
    let core = ngsild::context::core();
    json!({
        "type": if s.entity_type.is_empty() { serde_json::Value::Null } else { json!(core.compact(&s.entity_type)) },
        "rawDays": s.raw_days,
        "hourlyYears": s.hourly_years,
        "updatedAt": ngsild::temporal::format_instant(s.updated_at),
        "updatedBy": s.updated_by,
    })
}

fn render(
    ctx: &Ctx,
    status: StatusCode,
    settings: &[Setting],
    values: &BTreeMap<String, String>,
    errors: &[(&'static str, Msg)],
) -> AppResult<Response> {
    let errors: BTreeMap<&str, String> = errors.iter().map(|(f, m)| (*f, ctx.msg(m))).collect();
    let labels: BTreeMap<&str, String> =
        [("entity_type", "sensor.retensi.type"), ("raw_days", "sensor.retensi.raw_days"), ("hourly_years", "sensor.retensi.hourly_years")]
            .iter()
            .map(|(f, k)| (*f, ctx.msg(&Msg::new(k))))
            .collect();
    let rows: Vec<serde_json::Value> = settings.iter().map(shown).collect();
    let has_default = settings.iter().any(|s| s.entity_type.is_empty());
    let page = minijinja::context! {
        rows, values, errors, labels, has_default,
        default_days => DEFAULT_RAW_DAYS, default_years => DEFAULT_HOURLY_YEARS,
    };
    Ok((status, ctx.render("sensors/retensi.html", page)?).into_response())
}

/// `GET /sensor/retensi`: the region's settings and the form, for its admins.
pub async fn page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    let settings = list(&ctx.app.store, &ctx.tenant.id).await?;
    render(&ctx, StatusCode::OK, &settings, &BTreeMap::new(), &[])
}

/// `POST /sensor/retensi`: sets a type's (or the default's) retention.
pub async fn save_form(SignedIn(ctx): SignedIn, Form(values): Form<BTreeMap<String, String>>) -> AppResult<Response> {
    let user = ctx.region_admin()?.clone();
    ctx.check_csrf(values.get("csrf").map(String::as_str).unwrap_or_default())?;
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let input = Input { entity_type: get("entity_type"), raw_days: get("raw_days"), hourly_years: get("hourly_years") };
    match check(&input) {
        Ok(checked) => {
            set(&ctx.app.store, &ctx.tenant.id, &checked, &user.email).await?;
            crate::worker::wake(&ctx.app);
            Ok((StatusCode::SEE_OTHER, [(LOCATION, "/sensor/retensi".to_string())]).into_response())
        }
        Err(errors) => {
            let settings = list(&ctx.app.store, &ctx.tenant.id).await?;
            render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &settings, &values, &errors)
        }
    }
}

/// `POST /sensor/retensi/hapus`: a type keeps the default again.
pub async fn remove_form(SignedIn(ctx): SignedIn, Form(values): Form<BTreeMap<String, String>>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(values.get("csrf").map(String::as_str).unwrap_or_default())?;
    let ty = values.get("entity_type").map(|t| t.trim()).unwrap_or_default();
    let expanded = if ty.is_empty() { String::new() } else { ngsild::context::core().expand(ty) };
    remove(&ctx.app.store, &ctx.tenant.id, &expanded).await?;
    crate::worker::wake(&ctx.app);
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/sensor/retensi".to_string())]).into_response())
}

// --- The API --------------------------------------------------------------

fn api_answer(settings: &[Setting]) -> Response {
    let items: Vec<serde_json::Value> = settings.iter().map(shown).collect();
    let body = json!({
        "default": {"rawDays": DEFAULT_RAW_DAYS, "hourlyYears": DEFAULT_HOURLY_YEARS},
        "settings": items,
    });
    axum::Json(body).into_response()
}

/// `GET /api/v1/sensors/retention`: for the region's admins.
pub async fn api_list(ctx: Ctx) -> AppResult<Response> {
    ctx.region_admin()?;
    Ok(api_answer(&list(&ctx.app.store, &ctx.tenant.id).await?))
}

/// The field of a JSON body as the form would give it.
fn field(body: &serde_json::Value, key: &str) -> String {
    match body.get(key) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// A form field's name in the JSON body.
fn api_name(field: &str) -> &str {
    match field {
        "entity_type" => "type",
        "raw_days" => "rawDays",
        _ => "hourlyYears",
    }
}

/// `PUT /api/v1/sensors/retention`: `{"type": "WaterObserved", "rawDays": 90,
/// "hourlyYears": 10}` (no type: the default; no years: for ever).
pub async fn api_put(ApiWriter(ctx): ApiWriter, body: Bytes) -> AppResult<Response> {
    let user = ctx.region_admin()?.clone();
    let body: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| AppError::BadRequest(Msg::new("sensor.retensi.body_invalid")))?;
    let input = Input { entity_type: field(&body, "type"), raw_days: field(&body, "rawDays"), hourly_years: field(&body, "hourlyYears") };
    let checked =
        check(&input).map_err(|errors| AppError::Invalid(errors.into_iter().map(|(f, m)| (api_name(f).to_string(), m)).collect()))?;
    set(&ctx.app.store, &ctx.tenant.id, &checked, &user.email).await?;
    crate::worker::wake(&ctx.app);
    Ok(api_answer(&list(&ctx.app.store, &ctx.tenant.id).await?))
}
