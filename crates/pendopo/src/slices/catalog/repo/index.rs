//! A dataset's entry in the search index.

use crate::slices::catalog::search;
use crate::store::{StoreError, Tx, Value as DbValue, sql};

/// Indexes a dataset as it stands inside the transaction that changed it,
/// so the index never disagrees with a committed dataset. The one
/// definition of what a dataset is found by: title, name, notes,
/// organisation, tags, groups, and its resources' names, descriptions and
/// formats, all stemmed.
pub(crate) async fn index_dataset(tx: &mut Tx, tenant: &str, id: &str) -> Result<(), StoreError> {
    let texts = |q: &'static str| sql(q).bind(tenant).bind(id);
    let mut parts: Vec<String> = Vec::new();
    let head = tx
        .fetch_one(texts(
            "SELECT d.title, d.name, d.notes, o.name AS org_name, o.slug FROM datasets d
             JOIN organizations o ON o.tenant_id = d.tenant_id AND o.id = d.org_id WHERE d.tenant_id = $1 AND d.id = $2",
        ))
        .await?;
    parts.extend(head.values().iter().filter_map(|v| match v {
        DbValue::Text(t) => Some(t.clone()),
        _ => None,
    }));
    for q in [
        "SELECT tag FROM dataset_tags WHERE tenant_id = $1 AND dataset_id = $2",
        "SELECT g.title FROM dataset_groups dg JOIN catalog_groups g ON g.tenant_id = dg.tenant_id AND g.id = dg.group_id WHERE dg.tenant_id = $1 AND dg.dataset_id = $2",
        "SELECT name || ' ' || description || ' ' || format FROM resources WHERE tenant_id = $1 AND dataset_id = $2",
    ] {
        for row in tx.fetch_all(texts(q)).await? {
            parts.push(row.at(0)?);
        }
    }
    search::index(tx, tenant, id, &search::body_of(parts.iter().map(String::as_str))).await
}
