//! Demo (labelled as such): a simulated year of 3-hourly readings of the
//! two gauges up to now, with a December-March flood season whose waves
//! cross the alert levels, stored through `measures::store` like a gauge's.

use ngsild::entity::Attribute;
use serde_json::json;

use super::{notify, reading, repo};
use crate::slices::sensors::measures::{self, Measure};
use crate::store::{Store, StoreError};

const HOUR_MS: i64 = 3_600_000;
const READINGS: i64 = 365 * 8;

/// A level in metres at `t` (ms), from the gauge's dry-season base: a
/// slow seasonal swell from December to March, and a few flood waves on
/// top that peak above the gauge's highest alert level.
pub fn level(base: f64, flood_peak: f64, t: i64) -> f64 {
    let days = (t + 7 * HOUR_MS).div_euclid(24 * HOUR_MS);
    let (year, _, _) = kalender::civil::civil_from_days(days);
    let day_of_year = (days - kalender::civil::days_from_civil(year, 1, 1)) as f64;
    // Day 0 is 1 January: the wet season spans about day 335 to day 90.
    let wet = ((day_of_year + 30.0).rem_euclid(365.0) / 120.0).min(1.0);
    let season = if (day_of_year + 30.0).rem_euclid(365.0) < 120.0 { (wet * std::f64::consts::PI).sin() } else { 0.0 };
    // Waves of about four days, three in the season; the middle one the highest.
    let wave_at = |centre: f64, height: f64| height * (-((day_of_year - centre) / 2.0).powi(2)).exp();
    let waves = wave_at(5.0, 0.55) + wave_at(40.0, 1.0) + wave_at(70.0, 0.7);
    let daily = 0.05 * ((t / HOUR_MS) as f64 / 24.0 * std::f64::consts::TAU).sin();
    let rise = flood_peak - base;
    ((base + 0.45 * rise * season + 0.55 * rise * waves + daily) * 100.0).round() / 100.0
}

pub async fn load(store: &Store, tenant: &str) -> Result<String, StoreError> {
    let gauges = repo::gauges(store, tenant).await?;
    let now = store.now_ms() / (3 * HOUR_MS) * (3 * HOUR_MS);
    let mut stored = 0;
    for g in &gauges {
        let Some(top) = g.levels.iter().max_by_key(|l| l.valid_from_ms) else { continue };
        let merah = top.merah_cm as f64 / 100.0;
        let (base, peak) = (top.hijau_cm as f64 / 100.0 - 2.0, merah + 0.3);
        let batch: Vec<Measure> = (0..READINGS)
            .map(|i| {
                let t = now - (READINGS - 1 - i) * 3 * HOUR_MS;
                Measure {
                    entity_id: g.entity_id.clone(),
                    entity_type: reading::ENTITY_TYPE.into(),
                    observed_at_ms: t,
                    attrs: vec![
                        (reading::ATTRIBUTE.into(), Attribute::property(json!(level(base, peak, t)))),
                        ("dataProvider".into(), Attribute::property(json!("Demo data"))),
                    ],
                }
            })
            .collect();
        for chunk in batch.chunks(500) {
            stored += measures::store(store, tenant, chunk).await?.points;
        }
        notify::readings_arrived(store, tenant, &[g.entity_id.as_str()]).await?;
    }
    Ok(stored.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_season_crosses_the_alert_levels_and_the_dry_months_do_not() {
        let day = 24 * HOUR_MS;
        // 2026: 10 February (day 40) at the highest wave; 1 August dry.
        let feb = 1_767_225_600_000 + 40 * day;
        let aug = 1_767_225_600_000 + 212 * day;
        let (base, peak) = (10.06, 14.34);
        let wet_max = (0..8).map(|h| level(base, peak, feb + h * 3 * HOUR_MS)).fold(f64::MIN, f64::max);
        assert!(wet_max >= 14.04, "the wave passes Siaga Merah: {wet_max}");
        assert!(level(base, peak, aug) < 12.06, "dry season below Siaga Hijau");
    }
}
