//! The flood warning's settings: gauges (their entity in the broker, the
//! places at risk, the agency that reads them by hand), their dated alert
//! levels, the region's staleness limit and where changes are announced.

use super::levels::{Levels, Status};
use crate::store::{Store, StoreError, Tx, sql};

#[derive(Clone, Debug, serde::Serialize)]
pub struct Gauge {
    pub id: String,
    pub name: String,
    pub entity_id: String,
    pub agency: String,
    pub villages: Vec<String>,
    pub levels: Vec<Levels>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Settings {
    pub stale_after_ms: i64,
    pub webhook_url: String,
    pub status_topic: String,
    /// Addresses that get status changes by email (migration 0026).
    pub emails: Vec<String>,
}

/// A reading older than this is not current (6 hours: two of the gauges'
/// 3-hourly readings missed).
pub const STALE_AFTER_MS: i64 = 6 * 3_600_000;
pub const STATUS_TOPIC: &str = "pendopo/banjir/status";

/// 2019-01-01T00:00 WIB: the Bojonegoro gauge's present levels are known
/// "since at least 2022" and the old ones "before about 2019"; the change
/// is set at the start of 2019, a setting the BPBD may correct.
const BOJONEGORO_NEW_LEVELS_MS: i64 = 1_546_275_600_000;

/// The BPBD's Bengawan Solo gauges for Kabupaten Bojonegoro (35.22), as
/// domain facts give them; other regions start with none.
pub async fn seed(store: &Store, tenant: &str) -> Result<(), StoreError> {
    if tenant != "35.22" {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let at_risk =
        serde_json::json!(["88 desa di 15 kecamatan terancam luapan Bengawan Solo", "Paling rawan: Kecamatan Malo, Kalitidu dan Kanor"])
            .to_string();
    let gauges = [
        ("bojonegoro", "Bengawan Solo di Bojonegoro (Taman Bengawan Solo)", 1),
        ("karangnongko", "Bengawan Solo di Karangnongko (Ngraho), hulu", 2),
    ];
    for (id, name, position) in gauges {
        tx.execute(
            sql("INSERT INTO flood_gauges (tenant_id, id, name, entity_id, agency, villages, position) VALUES ($1, $2, $3, $4, 'bpbd', $5, $6)
                 ON CONFLICT (tenant_id, id) DO NOTHING")
            .bind(tenant)
            .bind(id)
            .bind(name)
            .bind(format!("urn:ngsi-ld:WaterObserved:{id}"))
            .bind(at_risk.as_str())
            .bind(position as i64),
        )
        .await?;
    }
    let levels = [
        ("bojonegoro", 0, 1300, 1400, 1500),
        ("bojonegoro", BOJONEGORO_NEW_LEVELS_MS, 1206, 1306, 1404),
        ("karangnongko", 0, 2900, 2950, 3000),
    ];
    for (gauge, from, hijau, kuning, merah) in levels {
        set_levels(&mut tx, tenant, gauge, Levels { valid_from_ms: from, hijau_cm: hijau, kuning_cm: kuning, merah_cm: merah }).await?;
    }
    tx.execute(
        sql("INSERT INTO flood_settings (tenant_id, stale_after_ms, webhook_url, status_topic) VALUES ($1, $2, '', $3)
             ON CONFLICT (tenant_id) DO NOTHING")
        .bind(tenant)
        .bind(STALE_AFTER_MS)
        .bind(STATUS_TOPIC),
    )
    .await?;
    tx.commit().await
}

pub async fn set_levels(tx: &mut Tx, tenant: &str, gauge: &str, l: Levels) -> Result<(), StoreError> {
    tx.execute(
        sql("INSERT INTO flood_levels (tenant_id, gauge_id, valid_from, hijau_cm, kuning_cm, merah_cm) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, gauge_id, valid_from) DO UPDATE SET hijau_cm = excluded.hijau_cm, kuning_cm = excluded.kuning_cm, merah_cm = excluded.merah_cm")
        .bind(tenant)
        .bind(gauge)
        .bind(l.valid_from_ms)
        .bind(l.hijau_cm)
        .bind(l.kuning_cm)
        .bind(l.merah_cm),
    )
    .await?;
    Ok(())
}

pub async fn gauges(store: &Store, tenant: &str) -> Result<Vec<Gauge>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT id, name, entity_id, agency, villages FROM flood_gauges WHERE tenant_id = $1 ORDER BY position, id").bind(tenant),
        )
        .await?;
    let levels = store
        .fetch_all(
            sql("SELECT gauge_id, valid_from, hijau_cm, kuning_cm, merah_cm FROM flood_levels WHERE tenant_id = $1 ORDER BY valid_from")
                .bind(tenant),
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: String = r.at(0)?;
        let mut mine = Vec::new();
        for l in &levels {
            if l.at::<String>(0)? == id {
                mine.push(Levels { valid_from_ms: l.at(1)?, hijau_cm: l.at(2)?, kuning_cm: l.at(3)?, merah_cm: l.at(4)? });
            }
        }
        out.push(Gauge {
            id,
            name: r.at(1)?,
            entity_id: r.at(2)?,
            agency: r.at(3)?,
            villages: serde_json::from_str(&r.at::<String>(4)?).unwrap_or_default(),
            levels: mine,
        });
    }
    Ok(out)
}

pub async fn settings(store: &Store, tenant: &str) -> Result<Settings, StoreError> {
    let row = store
        .fetch_optional(
            sql("SELECT stale_after_ms, webhook_url, status_topic, emails FROM flood_settings WHERE tenant_id = $1").bind(tenant),
        )
        .await?;
    Ok(match row {
        Some(r) => Settings {
            stale_after_ms: r.at(0)?,
            webhook_url: r.at(1)?,
            status_topic: r.at(2)?,
            emails: r.at::<String>(3)?.split([',', '\n']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect(),
        },
        None => {
            Settings { stale_after_ms: STALE_AFTER_MS, webhook_url: String::new(), status_topic: STATUS_TOPIC.into(), emails: Vec::new() }
        }
    })
}

/// The status last announced for a gauge.
pub async fn announced(tx: &mut Tx, tenant: &str, gauge: &str) -> Result<Option<Status>, StoreError> {
    let row =
        tx.fetch_optional(sql("SELECT status FROM flood_status WHERE tenant_id = $1 AND gauge_id = $2").bind(tenant).bind(gauge)).await?;
    Ok(match row {
        Some(r) => Status::parse(&r.at::<String>(0)?),
        None => None,
    })
}

pub async fn set_announced(
    tx: &mut Tx,
    tenant: &str,
    gauge: &str,
    status: Status,
    level_cm: i64,
    observed_at: i64,
) -> Result<(), StoreError> {
    tx.execute(
        sql("INSERT INTO flood_status (tenant_id, gauge_id, status, level_cm, observed_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, gauge_id) DO UPDATE SET status = excluded.status, level_cm = excluded.level_cm, observed_at = excluded.observed_at")
        .bind(tenant)
        .bind(gauge)
        .bind(status.code())
        .bind(level_cm)
        .bind(observed_at),
    )
    .await?;
    Ok(())
}

/// Replaces the region's settings (in the caller's transaction, with the
/// levels saved beside them: all or nothing).
pub async fn save_settings(tx: &mut Tx, tenant: &str, s: &Settings) -> Result<(), StoreError> {
    tx.execute(
        sql("INSERT INTO flood_settings (tenant_id, stale_after_ms, webhook_url, status_topic, emails) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id) DO UPDATE SET stale_after_ms = excluded.stale_after_ms, webhook_url = excluded.webhook_url,
                 status_topic = excluded.status_topic, emails = excluded.emails")
        .bind(tenant)
        .bind(s.stale_after_ms)
        .bind(s.webhook_url.as_str())
        .bind(s.status_topic.as_str())
        .bind(s.emails.join("\n")),
    )
    .await?;
    Ok(())
}
