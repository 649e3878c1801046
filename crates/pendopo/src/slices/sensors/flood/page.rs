//! `/banjir`: the public flood page (each gauge's current level and status
//! in large type, when it was read, a stale reading never shown as current,
//! the last 24 hours as a chart, the places at risk), and the form where the
//! BPBD's officers (and the sensor operators) enter a reading by hand when
//! a gauge is offline.

use std::collections::BTreeMap;

use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};

use super::levels::{self, Status};
use super::repo::{self, Gauge};
use super::{notify, reading};
use crate::kernel::access;
use crate::kernel::identity::Role;
use crate::kernel::msg::Msg;
use crate::slices::sensors::measures::{self, Measure};
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

const DAY_MS: i64 = 24 * 3_600_000;

/// A level as gauges are read: metres with two decimals (`13,10` in Bahasa
/// Indonesia, `13.10` in English), never rounded away.
fn metres(v: f64, lang: crate::web::ui::Lang) -> String {
    let text = format!("{v:.2}");
    if lang == crate::web::ui::Lang::Id { text.replace('.', ",") } else { text }
}

pub async fn public_page(ctx: Ctx) -> AppResult<Response> {
    let store = &ctx.app.store;
    let tenant = &ctx.tenant.id;
    let settings = repo::settings(store, tenant).await?;
    let now = store.now_ms();
    let offset_ms = ctx.tenant.time_zone().utc_offset_hours() * 3_600_000;
    let mut gauges = Vec::new();
    let mut can_configure = ctx.user.as_ref().is_some_and(|u| u.is_region_admin());
    for g in repo::gauges(store, tenant).await? {
        let latest = reading::latest(store, tenant, &g.entity_id).await?;
        let stale = latest.is_none_or(|r| now - r.observed_at_ms > settings.stale_after_ms);
        let status = latest.filter(|_| !stale).map(|r| levels::status(&g.levels, levels::centimetres(r.metres), r.observed_at_ms));
        let recent = reading::since(store, tenant, &g.entity_id, now - DAY_MS).await?;
        let points: Vec<(String, f64)> = recent
            .iter()
            .map(|r| {
                let minutes = (r.observed_at_ms + offset_ms).rem_euclid(DAY_MS) / 60_000;
                (format!("{:02}.{:02}", minutes / 60, minutes % 60), r.metres)
            })
            .collect();
        let title = ctx.msg(&Msg::new("sensor.banjir.chart").arg("gauge", g.name.clone()));
        let chart = (!points.is_empty())
            .then(|| minijinja::Value::from_safe_string(crate::web::chart::render(crate::web::chart::Kind::Line, &title, "m", &points)));
        let in_force = levels::in_force(&g.levels, now).map(|l| {
            let m = |cm: i64| metres(cm as f64 / 100.0, ctx.lang);
            minijinja::context! { hijau => m(l.hijau_cm), kuning => m(l.kuning_cm), merah => m(l.merah_cm) }
        });
        let level = latest.map(|r| metres(r.metres, ctx.lang));
        let officer = officer_of(&ctx, &g).await?;
        let can_enter = officer || sensor_operator(&ctx);
        can_configure |= officer;
        gauges.push(minijinja::context! {
            id => g.id, name => g.name, villages => g.villages, latest, level, stale,
            status => status.map(Status::code), levels => in_force, chart,
            can_enter,
        });
    }
    let page = minijinja::context! { gauges, can_configure, stale_hours => settings.stale_after_ms / 3_600_000 };
    Ok(ctx.render("sensors/banjir.html", page)?.into_response())
}

/// A sensor operator enters readings of every gauge, and changes nothing
/// else of the warning (its levels and settings are the agency's).
fn sensor_operator(ctx: &Ctx) -> bool {
    ctx.user.as_ref().is_some_and(|u| u.role == Role::SensorOperator)
}

/// Region admins, and the officers of the gauge's agency (BPBD).
async fn officer_of(ctx: &Ctx, gauge: &Gauge) -> AppResult<bool> {
    let Some(user) = &ctx.user else { return Ok(false) };
    if user.is_region_admin() {
        return Ok(true);
    }
    let agency = crate::kernel::organizations::get(&ctx.app.store, &ctx.tenant.id, &gauge.agency).await?;
    Ok(agency.is_some_and(|a| access::for_org(user, &a.id)))
}

async fn gauge_for(ctx: &Ctx, id: &str) -> AppResult<Gauge> {
    let gauge = repo::gauges(&ctx.app.store, &ctx.tenant.id).await?.into_iter().find(|g| g.id == id).ok_or_else(AppError::not_found)?;
    ctx.user()?;
    if !sensor_operator(ctx) && !officer_of(ctx, &gauge).await? {
        return Err(ctx.denied());
    }
    Ok(gauge)
}

fn render_form(
    ctx: &Ctx,
    status: StatusCode,
    gauge: &Gauge,
    values: &BTreeMap<String, String>,
    errors: &[(String, Msg)],
) -> AppResult<Response> {
    let errors: BTreeMap<String, String> = errors.iter().map(|(f, m)| (f.clone(), ctx.msg(m))).collect();
    let labels: BTreeMap<&str, String> = [("level", "sensor.banjir.level"), ("observed_at", "sensor.banjir.observed_at")]
        .iter()
        .map(|(f, k)| (*f, ctx.msg(&Msg::new(k))))
        .collect();
    let page = minijinja::context! { gauge => minijinja::context! { id => gauge.id, name => gauge.name }, values, errors, labels };
    Ok((status, ctx.render("sensors/banjir_reading.html", page)?).into_response())
}

pub async fn reading_page(SignedIn(ctx): SignedIn, Path(id): Path<String>) -> AppResult<Response> {
    let gauge = gauge_for(&ctx, &id).await?;
    render_form(&ctx, StatusCode::OK, &gauge, &BTreeMap::new(), &[])
}

/// Reads the level (metres, `13,10` or `13.10`) and the local time of the
/// reading (`YYYY-MM-DDTHH:MM` in the region's zone), every problem at once.
fn check(ctx: &Ctx, values: &BTreeMap<String, String>) -> Result<(f64, i64), Vec<(String, Msg)>> {
    let mut errors = Vec::new();
    let text = values.get("level").map(|s| s.trim().replace(',', ".")).unwrap_or_default();
    let level = text.parse::<f64>().ok().filter(|m| m.is_finite() && (0.0..=100.0).contains(m));
    if level.is_none() {
        errors.push(("level".to_string(), Msg::new("sensor.banjir.level_invalid")));
    }
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let when = values.get("observed_at").map(|s| s.trim()).unwrap_or_default();
    let at = crate::clock::parse_local(when, offset).filter(|ms| *ms <= ctx.app.store.now_ms());
    if at.is_none() {
        errors.push(("observed_at".to_string(), Msg::new("sensor.banjir.observed_at_invalid")));
    }
    match (level, at) {
        (Some(l), Some(t)) if errors.is_empty() => Ok((l, t)),
        _ => Err(errors),
    }
}

/// Stores a hand-entered reading through the broker's door, as a gauge's
/// own would be, and queues the status check.
pub async fn reading_form(
    SignedIn(ctx): SignedIn,
    Path(id): Path<String>,
    Form(values): Form<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let gauge = gauge_for(&ctx, &id).await?;
    ctx.check_csrf(values.get("csrf").map(String::as_str).unwrap_or_default())?;
    let (metres, at) = match check(&ctx, &values) {
        Ok(ok) => ok,
        Err(errors) => return render_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &gauge, &values, &errors),
    };
    let value = ngsild::entity::Attribute::property(serde_json::json!(metres));
    let measure = Measure {
        entity_id: gauge.entity_id.clone(),
        entity_type: reading::ENTITY_TYPE.into(),
        observed_at_ms: at,
        attrs: vec![(reading::ATTRIBUTE.into(), value)],
    };
    measures::store(&ctx.app.store, &ctx.tenant.id, &[measure]).await?;
    notify::readings_arrived(&ctx.app.store, &ctx.tenant.id, &[gauge.entity_id.as_str()]).await?;
    ctx.app.job_wake.notify_one();
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/banjir".to_string())]).into_response())
}
