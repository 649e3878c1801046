//! Dataset search in the database itself (SQLite FTS5, PostgreSQL
//! tsvector), written in the same transaction as the dataset, so there is no
//! second source of truth to drift. Both sides are stemmed by our own
//! Indonesian stemmer, so "pertanian" finds "tani"; the engines only match
//! tokens.

use std::collections::BTreeMap;

use serde::Serialize;

use super::repo::Viewer;
use crate::store::{Engine, Store, StoreError, Tx, Value, sql, sql_built};

/// Stems of all the parts, space-separated: what the engine indexes.
pub fn body_of<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut words = Vec::new();
    for p in parts {
        words.extend(stemmer::stems(p));
    }
    words.join(" ")
}

/// Writes a dataset's index entry inside the caller's transaction.
pub async fn index(tx: &mut Tx, tenant: &str, dataset_id: &str, body: &str) -> Result<(), StoreError> {
    remove(tx, tenant, dataset_id).await?;
    let q = match tx.engine() {
        Engine::Sqlite => sql("INSERT INTO dataset_search (tenant_id, dataset_id, body) VALUES ($1, $2, $3)"),
        Engine::Postgres => sql("INSERT INTO dataset_search (tenant_id, dataset_id, body) VALUES ($1, $2, to_tsvector('simple', $3))"),
    };
    tx.execute(q.bind(tenant).bind(dataset_id).bind(body)).await?;
    Ok(())
}

pub async fn remove(tx: &mut Tx, tenant: &str, dataset_id: &str) -> Result<(), StoreError> {
    tx.execute(sql("DELETE FROM dataset_search WHERE tenant_id = $1 AND dataset_id = $2").bind(tenant).bind(dataset_id)).await?;
    Ok(())
}

/// Rebuilds the whole index (after `db copy`, which does not copy it), with
/// the same words every write indexes (`repo::index_dataset`).
pub async fn reindex_all(store: &Store) -> Result<usize, StoreError> {
    let rows = store.fetch_all(sql("SELECT tenant_id, id FROM datasets WHERE state <> 'deleted' ORDER BY tenant_id, id")).await?;
    let mut tx = store.begin().await?;
    for r in &rows {
        super::repo::index_dataset(&mut tx, &r.get::<String>("tenant_id")?, &r.get::<String>("id")?).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// A filter on one facet field (`fq` in CKAN's terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: Facet,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Facet {
    Organization,
    Groups,
    Tags,
    ResFormat,
    LicenseId,
    Year,
}

impl Facet {
    pub const ALL: [Facet; 6] = [Facet::Organization, Facet::Groups, Facet::Tags, Facet::ResFormat, Facet::LicenseId, Facet::Year];

    pub fn name(self) -> &'static str {
        match self {
            Facet::Organization => "organization",
            Facet::Groups => "groups",
            Facet::Tags => "tags",
            Facet::ResFormat => "res_format",
            Facet::LicenseId => "license_id",
            Facet::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.name() == s)
    }

    /// SQL for "dataset d has this value", with the value as argument `$n`.
    fn condition(self, n: usize) -> String {
        match self {
            Facet::Organization => {
                format!("EXISTS (SELECT 1 FROM organizations o WHERE o.tenant_id = d.tenant_id AND o.id = d.org_id AND o.slug = ${n})")
            }
            Facet::Groups => format!(
                "EXISTS (SELECT 1 FROM dataset_groups dg JOIN catalog_groups g ON g.tenant_id = dg.tenant_id AND g.id = dg.group_id
                 WHERE dg.tenant_id = d.tenant_id AND dg.dataset_id = d.id AND g.name = ${n})"
            ),
            Facet::Tags => {
                format!("EXISTS (SELECT 1 FROM dataset_tags t WHERE t.tenant_id = d.tenant_id AND t.dataset_id = d.id AND t.tag = ${n})")
            }
            Facet::ResFormat => format!(
                "EXISTS (SELECT 1 FROM resources r WHERE r.tenant_id = d.tenant_id AND r.dataset_id = d.id AND upper(r.format) = upper(${n}))"
            ),
            Facet::LicenseId => format!("d.license_id = ${n}"),
            Facet::Year => format!("CAST(d.year AS TEXT) = ${n}"),
        }
    }

    /// SQL listing (value, count) over the datasets `d` that meet `cond`.
    fn counts(self, cond: &str) -> String {
        let (value, from, n) = match self {
            Facet::Organization => {
                ("o.slug", "datasets d JOIN organizations o ON o.tenant_id = d.tenant_id AND o.id = d.org_id", "count(*)")
            }
            Facet::Groups => (
                "g.name",
                "datasets d JOIN dataset_groups dg ON dg.tenant_id = d.tenant_id AND dg.dataset_id = d.id
                 JOIN catalog_groups g ON g.tenant_id = dg.tenant_id AND g.id = dg.group_id",
                "count(*)",
            ),
            Facet::Tags => ("t.tag", "datasets d JOIN dataset_tags t ON t.tenant_id = d.tenant_id AND t.dataset_id = d.id", "count(*)"),
            // A dataset may have several resources of one format: count it once.
            Facet::ResFormat => (
                "upper(r.format)",
                "datasets d JOIN resources r ON r.tenant_id = d.tenant_id AND r.dataset_id = d.id AND r.format <> ''",
                "count(DISTINCT d.id)",
            ),
            Facet::LicenseId => ("d.license_id", "datasets d", "count(*)"),
            Facet::Year => ("CAST(d.year AS TEXT)", "datasets d", "count(*)"),
        };
        format!("SELECT {value} AS name, {n} AS n FROM {from} WHERE d.tenant_id = $1 AND {cond} AND {value} <> '' GROUP BY {value}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    NameAsc,
    NameDesc,
    ModifiedDesc,
    ModifiedAsc,
    TitleAsc,
}

impl Sort {
    /// CKAN's sort strings (`score desc, metadata_modified desc`, ...): the first known one wins.
    pub fn parse(s: &str) -> Option<Sort> {
        let first = s.split(',').next()?.trim().to_ascii_lowercase();
        let mut words = first.split_whitespace();
        let field = words.next()?;
        let desc = words.next() == Some("desc");
        Some(match (field, desc) {
            ("score" | "rank", _) => Sort::Relevance,
            ("name", false) => Sort::NameAsc,
            ("name", true) => Sort::NameDesc,
            ("metadata_modified", true) => Sort::ModifiedDesc,
            ("metadata_modified", false) => Sort::ModifiedAsc,
            ("title_string" | "title", _) => Sort::TitleAsc,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Query {
    pub q: String,
    pub filters: Vec<Filter>,
    pub sort: Sort,
    pub rows: i64,
    pub start: i64,
    pub facets: Vec<Facet>,
    pub facet_limit: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetItem {
    pub name: String,
    pub count: i64,
}

pub struct Results {
    pub count: i64,
    pub ids: Vec<String>,
    pub facets: BTreeMap<&'static str, Vec<FacetItem>>,
}

/// The match expression for the engine, from stemmed query words (all
/// must match); `None` when the query has no words (match everything).
fn match_expression(engine: Engine, q: &str) -> Option<String> {
    if q.trim() == "*:*" {
        return None;
    }
    let words: Vec<String> = stemmer::stems(q).filter(|w| w.chars().all(char::is_alphanumeric)).collect();
    if words.is_empty() {
        return None;
    }
    Some(match engine {
        Engine::Sqlite => words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" "),
        Engine::Postgres => words.join(" & "),
    })
}

pub async fn search(store: &Store, tenant: &str, viewer: &Viewer, query: &Query) -> Result<Results, StoreError> {
    let engine = store.engine();
    let mut args: Vec<Value> = vec![Value::from(tenant)];
    let (visible, vargs) = viewer.filter(2);
    args.extend(vargs);
    let mut conditions = vec![visible];
    let matcher = match_expression(engine, &query.q);
    let mut match_arg = None;
    if let Some(m) = &matcher {
        args.push(Value::from(m.clone()));
        let n = args.len();
        match_arg = Some(n);
        conditions.push(match engine {
            Engine::Sqlite => format!("d.id IN (SELECT dataset_id FROM dataset_search WHERE dataset_search MATCH ${n} AND tenant_id = $1)"),
            Engine::Postgres => format!(
                "EXISTS (SELECT 1 FROM dataset_search s WHERE s.tenant_id = d.tenant_id AND s.dataset_id = d.id AND s.body @@ to_tsquery('simple', ${n}))"
            ),
        });
    }
    for f in &query.filters {
        args.push(Value::from(f.value.clone()));
        conditions.push(f.field.condition(args.len()));
    }
    // Count, page and facets each run in the database over the same
    // conditions, joined directly (not through a list of ids), so that only
    // the page and the counts leave the database.
    let cond = conditions.join(" AND ");
    let count: i64 = store
        .fetch_scalar(sql_built(format!("SELECT count(*) FROM datasets d WHERE d.tenant_id = $1 AND {cond}")).bind_all(args.clone()))
        .await?;
    let limit = format!("LIMIT {} OFFSET {}", query.rows.clamp(0, 1000), query.start.max(0));
    let page = match (query.sort, match_arg, engine) {
        // Relevance: the index drives, so ranks are computed once per match.
        (Sort::Relevance, Some(n), Engine::Sqlite) => format!(
            "SELECT d.id FROM dataset_search JOIN datasets d ON d.tenant_id = dataset_search.tenant_id AND d.id = dataset_search.dataset_id
             WHERE dataset_search MATCH ${n} AND dataset_search.tenant_id = $1 AND {cond}
             ORDER BY bm25(dataset_search), d.updated_at DESC {limit}"
        ),
        (Sort::Relevance, Some(n), Engine::Postgres) => format!(
            "SELECT d.id FROM dataset_search s JOIN datasets d ON d.tenant_id = s.tenant_id AND d.id = s.dataset_id
             WHERE s.tenant_id = $1 AND s.body @@ to_tsquery('simple', ${n}) AND {cond}
             ORDER BY ts_rank(s.body, to_tsquery('simple', ${n})) DESC, d.updated_at DESC {limit}"
        ),
        (sort, _, _) => {
            let order = match sort {
                Sort::Relevance | Sort::ModifiedDesc => "d.updated_at DESC, d.name",
                Sort::ModifiedAsc => "d.updated_at ASC, d.name",
                Sort::NameAsc => "d.name ASC",
                Sort::NameDesc => "d.name DESC",
                Sort::TitleAsc => "lower(d.title) ASC, d.name",
            };
            format!("SELECT d.id FROM datasets d WHERE d.tenant_id = $1 AND {cond} ORDER BY {order} {limit}")
        }
    };
    let ids = if query.rows > 0 {
        store.fetch_all(sql_built(page).bind_all(args.clone())).await?.iter().map(|r| r.at(0)).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let mut facets = BTreeMap::new();
    for f in &query.facets {
        let text = format!("{} ORDER BY n DESC, name ASC LIMIT {}", f.counts(&cond), query.facet_limit.clamp(1, 1000));
        let items = store
            .fetch_all(sql_built(text).bind_all(args.clone()))
            .await?
            .iter()
            .map(|r| Ok(FacetItem { name: r.get("name")?, count: r.get("n")? }))
            .collect::<Result<_, StoreError>>()?;
        facets.insert(f.name(), items);
    }
    Ok(Results { count, ids, facets })
}

/// Parses CKAN's `fq`: `field:value` terms separated by spaces or `AND`,
/// values optionally quoted (`tags:"jalan rusak"`). Unknown fields are an
/// error the caller reports as a Search Query Error.
pub fn parse_fq(fq: &str) -> Result<Vec<Filter>, String> {
    let mut filters = Vec::new();
    let mut rest = fq.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("AND ").or_else(|| rest.strip_prefix("+")) {
            rest = r.trim_start();
            continue;
        }
        let (field, after) = rest.split_once(':').ok_or_else(|| format!("expected field:value in '{rest}'"))?;
        let field = Facet::parse(field.trim()).ok_or_else(|| format!("cannot filter on '{}'", field.trim()))?;
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').ok_or("unclosed quote")?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        filters.push(Filter { field, value: value.to_string() });
        rest = remaining.trim_start();
    }
    Ok(filters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fq_reads_ckan_filters() {
        let f = parse_fq(r#"organization:dinas-pertanian AND tags:"jalan rusak" res_format:CSV"#).unwrap();
        assert_eq!(
            f,
            vec![
                Filter { field: Facet::Organization, value: "dinas-pertanian".into() },
                Filter { field: Facet::Tags, value: "jalan rusak".into() },
                Filter { field: Facet::ResFormat, value: "CSV".into() },
            ]
        );
        assert!(parse_fq("author:budi").unwrap_err().contains("author"));
        assert!(parse_fq("tags:\"open").is_err());
        assert!(parse_fq("").unwrap().is_empty());
    }

    #[test]
    fn sort_reads_ckan_sort_strings() {
        assert_eq!(Sort::parse("score desc, metadata_modified desc"), Some(Sort::Relevance));
        assert_eq!(Sort::parse("name asc"), Some(Sort::NameAsc));
        assert_eq!(Sort::parse("metadata_modified desc"), Some(Sort::ModifiedDesc));
        assert_eq!(Sort::parse("views_recent desc"), None);
    }

    #[test]
    fn queries_become_stemmed_match_expressions() {
        assert_eq!(match_expression(Engine::Postgres, "*:*"), None);
        assert_eq!(match_expression(Engine::Postgres, "  "), None);
        let m = match_expression(Engine::Sqlite, "Pertanian padi").unwrap();
        assert_eq!(m, "\"tani\" \"padi\"");
    }
}
