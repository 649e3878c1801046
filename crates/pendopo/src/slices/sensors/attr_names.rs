//! A number for each attribute name of a tenant (`sensor_attr_names`,
//! migration 0035). The value indexes of `sensor_attr_values` are keyed by
//! it, `(attr, num)` and `(attr, txt)`, instead of by the tenant and the
//! name's IRI: entries a seventh of the size, so a batch of new numbers
//! rewrites a third as many of the index's pages. Names are never
//! renumbered or removed: a number names one attribute of one tenant.

use std::collections::HashMap;

use crate::store::{StoreError, Tx, Value, sql, sql_built};

/// The SQL of the number of attribute `name` (a placeholder) of `tenant`
/// (a placeholder), for a query's condition: NULL, which equals nothing,
/// when no entity of the tenant ever had that attribute. Both engines read
/// it once per statement and then the index by it.
pub fn id_of(tenant: &str, name: &str) -> String {
    format!("(SELECT id FROM sensor_attr_names WHERE tenant_id = {tenant} AND name = {name})")
}

/// The numbers of `names` in `tenant`, numbering those that have none, in
/// the caller's transaction.
pub async fn ids(tx: &mut Tx, tenant: &str, names: &[&str]) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = known(tx, tenant, names).await?;
    for name in names {
        // The next number after the highest. Writers of SQLite take turns;
        // two of PostgreSQL may pick the same number, and the second's
        // insert then waits for the first and does nothing: it reads again
        // and takes the next.
        for _ in 0..8 {
            if ids.contains_key(*name) {
                break;
            }
            let add = sql("INSERT INTO sensor_attr_names (id, tenant_id, name) \
                 SELECT COALESCE(MAX(id), 0) + 1, $1, $2 FROM sensor_attr_names WHERE true ON CONFLICT DO NOTHING");
            tx.execute(add.bind(tenant).bind(*name)).await?;
            ids.extend(known(tx, tenant, &[name]).await?);
        }
        if !ids.contains_key(*name) {
            return Err(StoreError::Other(format!("no number could be given to the attribute {name}")));
        }
    }
    Ok(ids)
}

/// The numbers `names` already have in `tenant`.
async fn known(tx: &mut Tx, tenant: &str, names: &[&str]) -> Result<HashMap<String, i64>, StoreError> {
    let mut out = HashMap::new();
    for chunk in names.chunks(super::repo::IDS_PER_READ) {
        let text = format!(
            "SELECT name, id FROM sensor_attr_names WHERE tenant_id = $1 AND name IN ({})",
            super::repo::placeholders(2, chunk.len())
        );
        let args: Vec<Value> = std::iter::once(Value::from(tenant)).chain(chunk.iter().map(|n| Value::from(*n))).collect();
        for r in tx.fetch_all(sql_built(text).bind_all(args)).await? {
            out.insert(r.at::<String>(0)?, r.at::<i64>(1)?);
        }
    }
    Ok(out)
}
