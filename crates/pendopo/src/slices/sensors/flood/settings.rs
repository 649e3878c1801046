//! `/banjir/pengaturan`: the BPBD's flood settings (region admins and the
//! officers of the gauges' agency): how long a reading stays current, the
//! webhook, MQTT topic and email addresses that status changes go to, and new alert levels
//! per gauge from a valid-from date. Every problem is said at once, in the
//! form; nothing is saved unless everything is valid.

use std::collections::BTreeMap;

use axum::extract::{Form, Query};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};

use super::levels::{self, Levels};
use super::repo::{self, Gauge, Settings};
use crate::kernel::access;
use crate::kernel::msg::Msg;
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::AppResult;

/// Hours a reading may stay current: from one hour to three days.
const STALE_HOURS: std::ops::RangeInclusive<i64> = 1..=72;

/// Region admins, and officers of the agency of every gauge (the BPBD).
async fn may_edit(ctx: &Ctx, gauges: &[Gauge]) -> AppResult<bool> {
    let user = ctx.user()?;
    if user.is_region_admin() {
        return Ok(true);
    }
    let mut agencies: Vec<&str> = gauges.iter().map(|g| g.agency.as_str()).collect();
    agencies.dedup();
    if agencies.is_empty() {
        return Ok(false);
    }
    for slug in agencies {
        let org = crate::kernel::organizations::get(&ctx.app.store, &ctx.tenant.id, slug).await?;
        if !org.is_some_and(|o| access::for_org(user, &o.id)) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn metres(cm: i64) -> String {
    format!("{:.2}", cm as f64 / 100.0).replace('.', ",")
}

fn render(
    ctx: &Ctx,
    status: StatusCode,
    gauges: &[Gauge],
    values: &BTreeMap<String, String>,
    errors: &[(String, Msg)],
) -> AppResult<Response> {
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let mut labels: BTreeMap<String, String> = [
        ("stale_hours", "sensor.banjir.settings.stale_hours"),
        ("webhook_url", "sensor.banjir.settings.webhook_url"),
        ("status_topic", "sensor.banjir.settings.status_topic"),
        ("emails", "sensor.banjir.settings.emails"),
    ]
    .iter()
    .map(|(f, k)| (f.to_string(), ctx.msg(&Msg::new(k))))
    .collect();
    let gauges: Vec<_> = gauges
        .iter()
        .map(|g| {
            for (field, key) in [("valid_from", "sensor.banjir.settings.valid_from"), ("hijau", "sensor.banjir.status.hijau"), ("kuning", "sensor.banjir.status.kuning"), ("merah", "sensor.banjir.status.merah")] {
                labels.insert(format!("{}_{field}", g.id), format!("{}: {}", g.name, ctx.msg(&Msg::new(key))));
            }
            let history: Vec<_> = g
                .levels
                .iter()
                .rev()
                .map(|l| {
                    let from = kalender::Date::from_unix_millis(l.valid_from_ms, offset).map(|d| d.to_string()).unwrap_or_default();
                    minijinja::context! { from, epoch => l.valid_from_ms <= 0, hijau => metres(l.hijau_cm), kuning => metres(l.kuning_cm), merah => metres(l.merah_cm) }
                })
                .collect();
            minijinja::context! { id => g.id, name => g.name, history }
        })
        .collect();
    let errors: BTreeMap<String, String> = errors.iter().map(|(f, m)| (f.clone(), ctx.msg(m))).collect();
    let page = minijinja::context! { gauges, values, errors, labels };
    Ok((status, ctx.render("sensors/banjir_settings.html", page)?).into_response())
}

fn current_values(s: &Settings) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("stale_hours".to_string(), (s.stale_after_ms / 3_600_000).to_string()),
        ("webhook_url".to_string(), s.webhook_url.clone()),
        ("status_topic".to_string(), s.status_topic.clone()),
        ("emails".to_string(), s.emails.join("\n")),
    ])
}

pub async fn page(SignedIn(ctx): SignedIn, Query(q): Query<BTreeMap<String, String>>) -> AppResult<Response> {
    let gauges = repo::gauges(&ctx.app.store, &ctx.tenant.id).await?;
    if !may_edit(&ctx, &gauges).await? {
        return Err(ctx.denied());
    }
    let settings = repo::settings(&ctx.app.store, &ctx.tenant.id).await?;
    let mut values = current_values(&settings);
    if q.contains_key("tersimpan") {
        values.insert("saved".into(), "1".into());
    }
    render(&ctx, StatusCode::OK, &gauges, &values, &[])
}

/// A level typed in metres (`13,06` or `13.06`), as whole centimetres.
fn level_cm(text: &str) -> Option<i64> {
    let t = text.trim().replace(',', ".");
    t.parse::<f64>().ok().filter(|m| m.is_finite() && (0.0..=100.0).contains(m)).map(levels::centimetres)
}

/// New levels per gauge id.
pub type NewLevels = Vec<(String, Levels)>;

/// What the form asks for, or every problem with it.
pub fn check(values: &BTreeMap<String, String>, gauges: &[Gauge], offset: i64) -> Result<(Settings, NewLevels), Vec<(String, Msg)>> {
    let get = |k: &str| values.get(k).map(|s| s.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    let stale = get("stale_hours").parse::<i64>().ok().filter(|h| STALE_HOURS.contains(h));
    if stale.is_none() {
        errors.push(("stale_hours".to_string(), Msg::new("sensor.banjir.settings.stale_invalid")));
    }
    let webhook = get("webhook_url");
    let host_ok = |rest: &str| !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace);
    // Only http:// is reached (a relay on the host does TLS onward, as for mail).
    let webhook_ok = webhook.is_empty() || webhook.strip_prefix("http://").is_some_and(host_ok);
    if !webhook_ok {
        errors.push(("webhook_url".to_string(), Msg::new("sensor.banjir.settings.webhook_invalid")));
    }
    let topic = get("status_topic");
    let topic_ok = !topic.is_empty() && topic.len() <= 200 && !topic.contains(['#', '+', '\0']) && !topic.contains(char::is_whitespace);
    if !topic_ok {
        errors.push(("status_topic".to_string(), Msg::new("sensor.banjir.settings.topic_invalid")));
    }
    // One address a line (commas too); each must be a plain address.
    let emails: Vec<String> = get("emails").split([',', '\n']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect();
    if !emails.iter().all(|a| crate::kernel::mail::plain_address(a)) {
        errors.push(("emails".to_string(), Msg::new("sensor.banjir.settings.emails_invalid")));
    }
    let mut new_levels = Vec::new();
    for g in gauges {
        let field = |f: &str| format!("{}_{f}", g.id);
        let from_text = get(&field("valid_from"));
        let typed: Vec<&str> = ["hijau", "kuning", "merah"].iter().map(|f| get(&field(f))).collect();
        if from_text.is_empty() && typed.iter().all(|t| t.is_empty()) {
            continue;
        }
        let from = (from_text.len() == 10).then(|| crate::clock::parse_local(from_text, offset)).flatten();
        if from.is_none() {
            errors.push((field("valid_from"), Msg::new("sensor.banjir.settings.valid_from_invalid")));
        }
        let cms: Vec<Option<i64>> = typed.iter().map(|t| level_cm(t)).collect();
        for (f, cm) in ["hijau", "kuning", "merah"].iter().zip(&cms) {
            if cm.is_none() {
                errors.push((field(f), Msg::new("sensor.banjir.settings.level_invalid")));
            }
        }
        if let [Some(h), Some(k), Some(m)] = cms[..] {
            if !(h < k && k < m) {
                errors.push((field("kuning"), Msg::new("sensor.banjir.settings.order_invalid")));
            } else if let Some(valid_from_ms) = from {
                new_levels.push((g.id.clone(), Levels { valid_from_ms, hijau_cm: h, kuning_cm: k, merah_cm: m }));
            }
        }
    }
    match (stale, errors.is_empty()) {
        (Some(h), true) => {
            let settings =
                Settings { stale_after_ms: h * 3_600_000, webhook_url: webhook.to_string(), status_topic: topic.to_string(), emails };
            Ok((settings, new_levels))
        }
        _ => Err(errors),
    }
}

pub async fn save(SignedIn(ctx): SignedIn, Form(values): Form<BTreeMap<String, String>>) -> AppResult<Response> {
    let store = &ctx.app.store;
    let gauges = repo::gauges(store, &ctx.tenant.id).await?;
    if !may_edit(&ctx, &gauges).await? {
        return Err(ctx.denied());
    }
    ctx.check_csrf(values.get("csrf").map(String::as_str).unwrap_or_default())?;
    let offset = ctx.tenant.time_zone().utc_offset_hours();
    let (settings, new_levels) = match check(&values, &gauges, offset) {
        Ok(ok) => ok,
        Err(errors) => return render(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &gauges, &values, &errors),
    };
    let mut tx = store.begin().await?;
    repo::save_settings(&mut tx, &ctx.tenant.id, &settings).await?;
    for (gauge, l) in new_levels {
        repo::set_levels(&mut tx, &ctx.tenant.id, &gauge, l).await?;
    }
    tx.commit().await?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/banjir/pengaturan?tersimpan=1".to_string())]).into_response())
}
