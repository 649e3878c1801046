//! A dataset's history: the entry every write adds in its own transaction,
//! the list shown on the dataset's page, and the stream of changes to the
//! datasets a viewer may see (CKAN's activity lists).

use serde::Serialize;

use super::Viewer;
use crate::kernel::identity::new_id;
use crate::store::{Store, StoreError, Tx, Value as DbValue, sql, sql_built};

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

/// One change in the stream: which dataset, when, what, and who.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub id: String,
    pub dataset_id: String,
    pub dataset_name: String,
    pub dataset_title: String,
    pub at: i64,
    pub action: String,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
}

/// Changes to the datasets `viewer` may see (only `dataset`'s, when given),
/// newest first.
pub async fn changes(
    store: &Store,
    tenant: &str,
    viewer: &Viewer,
    dataset: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Change>, StoreError> {
    let (visible, mut args) = viewer.filter(2);
    let only = match dataset {
        Some(id) => {
            args.push(DbValue::from(id));
            format!("AND a.dataset_id = ${}", args.len() + 1)
        }
        None => String::new(),
    };
    let q = format!(
        "SELECT a.id, a.dataset_id, d.name, d.title, a.at, a.action, a.user_id, u.name FROM dataset_activity a
         JOIN datasets d ON d.tenant_id = a.tenant_id AND d.id = a.dataset_id
         LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
         WHERE a.tenant_id = $1 AND {visible} {only} ORDER BY a.at DESC, a.id DESC LIMIT {} OFFSET {}",
        limit.clamp(0, 1000),
        offset.max(0)
    );
    let rows = store.fetch_all(sql_built(q).bind(tenant).bind_all(args)).await?;
    rows.iter()
        .map(|r| {
            Ok(Change {
                id: r.at(0)?,
                dataset_id: r.at(1)?,
                dataset_name: r.at(2)?,
                dataset_title: r.at(3)?,
                at: r.at(4)?,
                action: r.at(5)?,
                user_id: r.at(6)?,
                user_name: r.at(7)?,
            })
        })
        .collect()
}
