//! Measures refused (wrong apikey, unknown device, unreadable payload):
//! counted per source so the staff page and `/metrics` show who keeps
//! sending what cannot be stored. Nothing of such a measure is stored.

use std::collections::BTreeMap;

use crate::store::{Store, StoreError, sql};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Reason {
    Apikey,
    Device,
    Payload,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::Apikey => "apikey",
            Reason::Device => "device",
            Reason::Payload => "payload",
        }
    }
}

/// What came from anyone: keys and ids are cut short so a sender cannot
/// fill the table with long junk.
fn short(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Refusals gathered over a batch, written at once.
#[derive(Default)]
pub struct Tally(BTreeMap<(String, Reason, String, String), i64>);

impl Tally {
    pub fn add(&mut self, tenant: &str, reason: Reason, apikey: &str, device_id: &str) {
        *self.0.entry((tenant.to_string(), reason, short(apikey).to_string(), short(device_id).to_string())).or_default() += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub async fn write(self, store: &Store) -> Result<(), StoreError> {
        let now = store.now_ms();
        let mut tx = store.begin().await?;
        for ((tenant, reason, apikey, device), n) in self.0 {
            tx.execute(
                sql("INSERT INTO iot_rejections (tenant_id, reason, apikey, device_id, count, last_at) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (tenant_id, reason, apikey, device_id)
                     DO UPDATE SET count = iot_rejections.count + excluded.count, last_at = excluded.last_at")
                .bind(tenant)
                .bind(reason.code())
                .bind(apikey)
                .bind(device)
                .bind(n)
                .bind(now),
            )
            .await?;
        }
        tx.commit().await
    }
}

/// One source's refusals, for the staff page.
#[derive(Debug, serde::Serialize)]
pub struct Rejection {
    pub reason: String,
    pub apikey: String,
    pub device_id: String,
    pub count: i64,
    pub last_at: i64,
}

pub async fn list(store: &Store, tenant: &str) -> Result<Vec<Rejection>, StoreError> {
    let rows = store
        .fetch_all(
            sql(
                "SELECT reason, apikey, device_id, count, last_at FROM iot_rejections WHERE tenant_id = $1 ORDER BY last_at DESC LIMIT 200",
            )
            .bind(tenant),
        )
        .await?;
    rows.iter()
        .map(|r| Ok(Rejection { reason: r.at(0)?, apikey: r.at(1)?, device_id: r.at(2)?, count: r.at(3)?, last_at: r.at(4)? }))
        .collect()
}

/// Refusals of every tenant by reason, for `/metrics`.
pub async fn totals(store: &Store) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = store.fetch_all(sql("SELECT reason, SUM(count) FROM iot_rejections GROUP BY reason ORDER BY reason")).await?;
    rows.iter().map(|r| Ok((r.at(0)?, r.at(1)?))).collect()
}
