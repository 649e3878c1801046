//! `q` on values the value index cannot hold. `sensor_attr_values` keeps one
//! number or string per attribute; a list (ListProperty, ListRelationship,
//! an array value), a compound value or a JsonProperty's JSON gets a row
//! with neither (`repo::index_value`), which says "SQL cannot decide a term
//! on this name here". A query whose `q` names such an attribute in the
//! tenant is answered by `ngsild`'s matcher over the candidates the rest
//! of it selects: a list matches when a member does (clause 4.9), which an
//! SQL comparison on the row would miss.

use ngsild::entity::Entity;
use ngsild::q::Expr;

use super::http::Fail;
use super::query::{Selector, select_indexed};
use crate::store::{Store, Value, sql_built};

/// The attribute names the top-level terms of `q` (at any depth) test.
fn names(q: &Expr, out: &mut Vec<String>) {
    match q {
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|i| names(i, out)),
        Expr::Term(t) => out.push(t.path.attr.clone()),
    }
}

/// Whether some entity of the tenant holds a value SQL cannot compare in
/// an attribute `q` names (one indexed look-up).
pub async fn undecided(store: &Store, tenant: &str, q: &Expr) -> Result<bool, Fail> {
    let mut list = Vec::new();
    names(q, &mut list);
    list.sort();
    list.dedup();
    // Read through the partial index of such values by name (migration
    // 0031), which holds few rows. `tenant_id || ''` keeps SQLite off the
    // primary key (the region first), which it would otherwise prefer and
    // read every value of the region through.
    let text = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM sensor_attr_values \
         WHERE name IN ({}) AND num IS NULL AND txt IS NULL AND tenant_id || '' = $1 LIMIT 1) x",
        super::repo::placeholders(2, list.len())
    );
    let args: Vec<Value> = std::iter::once(Value::from(tenant)).chain(list.iter().map(|n| Value::from(n.as_str()))).collect();
    let n: i64 = store.fetch_scalar(sql_built(text).bind_all(args)).await?;
    Ok(n > 0)
}

/// The query `s` answered without SQL deciding its `q`: every candidate
/// the rest selects, then `q` by the matcher, then the page (`limit`,
/// `offset`, `count`).
pub async fn select_matching(
    store: &Store,
    tenant: &str,
    (s, q): (&Selector, &Expr),
    page: (usize, usize, bool),
) -> Result<(Vec<Entity>, Option<usize>), Fail> {
    let (limit, offset, count) = page;
    let loose = Selector { q: None, ..s.clone() };
    let (all, _) = select_indexed(store, tenant, &loose, (i64::MAX as usize, 0, false)).await?;
    // Stored names and the query's are both expanded.
    let hits: Vec<Entity> = all.into_iter().filter(|e| q.matches(&e.to_normalized(Default::default()))).collect();
    let total = hits.len();
    Ok((hits.into_iter().skip(offset).take(limit).collect(), count.then_some(total)))
}
