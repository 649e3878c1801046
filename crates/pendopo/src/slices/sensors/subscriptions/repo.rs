//! `sensor_subscriptions`: the subscriptions of a tenant with their
//! delivery status. Every query filters by tenant.

use serde_json::Value as Json;

use super::model::{Checked, Compiled, Status};
use crate::store::{Row, Sql, Store, StoreError, Tx, sql, sql_built};

type Result<T> = std::result::Result<T, StoreError>;

const COLUMNS: &str = "id, body, context, compiled, active, expires_at, throttling_ms, time_interval_ms, last_queued, \
     times_sent, times_failed, last_notification, last_success, last_failure, last_error";

/// A stored subscription.
pub struct Held {
    pub id: String,
    /// The body as given (names compacted through `context`), without status members.
    pub body: Json,
    pub context: Json,
    pub compiled: Compiled,
    pub status: Status,
    pub throttling_ms: i64,
    pub time_interval_ms: i64,
    pub last_queued: Option<i64>,
}

fn json_of(text: &str) -> Result<Json> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("sensor subscription: {e}")))
}

fn from_row(r: &Row) -> Result<Held> {
    Ok(Held {
        id: r.get("id")?,
        body: json_of(&r.get::<String>("body")?)?,
        context: json_of(&r.get::<String>("context")?)?,
        compiled: serde_json::from_str(&r.get::<String>("compiled")?)
            .map_err(|e| StoreError::Other(format!("sensor subscription: {e}")))?,
        status: Status {
            active: r.get::<i64>("active")? == 1,
            expires_at: r.get("expires_at")?,
            times_sent: r.get("times_sent")?,
            times_failed: r.get("times_failed")?,
            last_notification: r.get("last_notification")?,
            last_success: r.get("last_success")?,
            last_failure: r.get("last_failure")?,
            last_error: r.get("last_error")?,
        },
        throttling_ms: r.get("throttling_ms")?,
        time_interval_ms: r.get("time_interval_ms")?,
        last_queued: r.get("last_queued")?,
    })
}

/// Binds a definition's columns as `$3` to `$9` (after tenant and id) and the time as `$10`.
fn definition(q: Sql, tenant: &str, id: &str, c: &Checked, context: &Json, now: i64) -> Sql {
    let mut body = c.sub.to_json();
    body["id"] = Json::String(id.to_string());
    q.bind(tenant)
        .bind(id)
        .bind(body.to_string())
        .bind(context.to_string())
        .bind(serde_json::to_string(&c.compiled).expect("plain data"))
        .bind(i64::from(c.sub.is_active))
        .bind(c.expires_at)
        .bind(c.throttling_ms())
        .bind(c.time_interval_ms())
        .bind(now)
}

/// Stores a new subscription; false when its id is taken.
pub async fn insert(tx: &mut Tx, tenant: &str, id: &str, c: &Checked, context: &Json) -> Result<bool> {
    let q = sql(
        "INSERT INTO sensor_subscriptions (tenant_id, id, body, context, compiled, active, expires_at, throttling_ms, time_interval_ms, \
         created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (tenant_id, id) DO NOTHING",
    );
    let now = tx.now_ms();
    Ok(tx.execute(definition(q, tenant, id, c, context, now)).await? == 1)
}

/// Replaces a subscription's definition, keeping its delivery status.
pub async fn update(tx: &mut Tx, tenant: &str, id: &str, c: &Checked, context: &Json) -> Result<()> {
    let q =
        sql("UPDATE sensor_subscriptions SET body = $3, context = $4, compiled = $5, active = $6, expires_at = $7, throttling_ms = $8, \
         time_interval_ms = $9, modified_at = $10 WHERE tenant_id = $1 AND id = $2");
    let now = tx.now_ms();
    tx.execute(definition(q, tenant, id, c, context, now)).await?;
    Ok(())
}

pub async fn get(store: &Store, tenant: &str, id: &str) -> Result<Option<Held>> {
    let q = sql_built(format!("SELECT {COLUMNS} FROM sensor_subscriptions WHERE tenant_id = $1 AND id = $2")).bind(tenant).bind(id);
    store.fetch_optional(q).await?.as_ref().map(from_row).transpose()
}

/// A page of a tenant's subscriptions, oldest first, and how many there are.
pub async fn list(store: &Store, tenant: &str, limit: usize, offset: usize) -> Result<(Vec<Held>, i64)> {
    let q = sql_built(format!(
        "SELECT {COLUMNS} FROM sensor_subscriptions WHERE tenant_id = $1 ORDER BY created_at, id LIMIT {limit} OFFSET {offset}"
    ))
    .bind(tenant);
    let rows = store.fetch_all(q).await?.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    let total = store.fetch_scalar(sql("SELECT COUNT(*) FROM sensor_subscriptions WHERE tenant_id = $1").bind(tenant)).await?;
    Ok((rows, total))
}

pub async fn delete(store: &Store, tenant: &str, id: &str) -> Result<bool> {
    Ok(store.execute(sql("DELETE FROM sensor_subscriptions WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id)).await? > 0)
}

/// The subscriptions a change may notify, read in the change's transaction:
/// active, not expired, not periodic. One indexed statement, usually no row.
pub async fn on_change(tx: &mut Tx, tenant: &str, now_ms: i64) -> Result<Vec<Held>> {
    let q = sql_built(format!(
        "SELECT {COLUMNS} FROM sensor_subscriptions WHERE tenant_id = $1 AND active = 1 AND time_interval_ms = 0 \
         AND (expires_at IS NULL OR expires_at > $2)"
    ))
    .bind(tenant)
    .bind(now_ms);
    tx.fetch_all(q).await?.iter().map(from_row).collect()
}

/// Notes that a notification was queued now (for throttling).
pub async fn queued(tx: &mut Tx, tenant: &str, id: &str, now_ms: i64) -> Result<()> {
    tx.execute(sql("UPDATE sensor_subscriptions SET last_queued = $3 WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id).bind(now_ms))
        .await?;
    Ok(())
}

/// Records a delivery: sent, and succeeded or failed with `error`.
pub async fn delivered(store: &Store, tenant: &str, id: &str, error: Option<&str>) -> Result<()> {
    let now = store.now_ms();
    let q = match error {
        None => {
            sql("UPDATE sensor_subscriptions SET times_sent = times_sent + 1, last_notification = $3, last_success = $3, last_error = '' \
             WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .bind(now)
        }
        Some(e) => {
            sql("UPDATE sensor_subscriptions SET times_sent = times_sent + 1, times_failed = times_failed + 1, last_notification = $3, \
             last_failure = $3, last_error = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .bind(now)
            .bind(e.chars().take(500).collect::<String>())
        }
    };
    store.execute(q).await?;
    Ok(())
}
