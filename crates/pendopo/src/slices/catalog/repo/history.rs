//! A dataset's history: the entry every write adds in its own transaction,
//! and the list shown on the dataset's page.

use serde::Serialize;

use crate::kernel::identity::new_id;
use crate::store::{Store, StoreError, Tx, sql};

pub(super) async fn activity(
    tx: &mut Tx,
    tenant: &str,
    dataset: &str,
    user: Option<&str>,
    action: &str,
    notes: &str,
) -> Result<(), StoreError> {
    tx.execute(
        sql("INSERT INTO dataset_activity (tenant_id, id, dataset_id, at, user_id, action, notes) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(tenant)
            .bind(new_id())
            .bind(dataset)
            .bind(tx.now_ms())
            .bind(user.map(str::to_string))
            .bind(action)
            .bind(notes),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub at: i64,
    pub action: String,
    pub notes: String,
    pub user_name: Option<String>,
}

/// A dataset's history, newest first, with who did what (by name only).
pub async fn history(store: &Store, tenant: &str, dataset_id: &str) -> Result<Vec<Activity>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT a.at, a.action, a.notes, u.name AS user_name FROM dataset_activity a
                 LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
                 WHERE a.tenant_id = $1 AND a.dataset_id = $2 ORDER BY a.at DESC, a.id DESC")
            .bind(tenant)
            .bind(dataset_id),
        )
        .await?;
    rows.iter()
        .map(|r| Ok(Activity { at: r.get("at")?, action: r.get("action")?, notes: r.get("notes")?, user_name: r.get("user_name")? }))
        .collect()
}
