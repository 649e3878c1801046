//! Dataset search in the database itself (SQLite FTS5, PostgreSQL
//! tsvector), written in the same transaction as the dataset, so there is no
//! second source of truth to drift. Both sides are stemmed by our own
//! Indonesian stemmer, so "pertanian" finds "tani"; the engines only match
//! tokens.

use std::collections::BTreeMap;

use serde::Serialize;

mod terms;

use super::repo::Viewer;
use super::solr;
use crate::kernel::catalog_version;
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
    // A rebuilt index may answer differently from the one it replaces.
    catalog_version::bump_all(&mut tx).await?;
    tx.commit().await?;
    Ok(rows.len())
}

/// A filter on one facet field (`fq` in CKAN's terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: Facet,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    /// The field of CKAN's query language this facet filters on.
    fn field(self) -> solr::Field {
        match self {
            Facet::Organization => solr::Field::Organization,
            Facet::Groups => solr::Field::Groups,
            Facet::Tags => solr::Field::Tags,
            Facet::ResFormat => solr::Field::ResFormat,
            Facet::LicenseId => solr::Field::LicenseId,
            Facet::Year => solr::Field::Year,
        }
    }

    /// SQL listing this facet's values with their labels and counts over
    /// the matching datasets `m`, as rows (facet name, value, label, count),
    /// the most frequent first; the limit is argument `$limit`. Labels are
    /// what people read: an agency's name, a group's title. Joined on
    /// `m.tenant_id` (not the argument) so that the few matches drive the
    /// join rather than a scan of the tenant's whole tag or group table.
    fn counts(self, limit: usize) -> String {
        let (value, label, from, n) = match self {
            Facet::Organization => {
                ("o.slug", "o.name", "m JOIN organizations o ON o.tenant_id = m.tenant_id AND o.id = m.org_id", "count(*)")
            }
            Facet::Groups => (
                "g.name",
                "g.title",
                "m JOIN dataset_groups dg ON dg.tenant_id = m.tenant_id AND dg.dataset_id = m.id
                 JOIN catalog_groups g ON g.tenant_id = dg.tenant_id AND g.id = dg.group_id",
                "count(*)",
            ),
            Facet::Tags => ("t.tag", "t.tag", "m JOIN dataset_tags t ON t.tenant_id = m.tenant_id AND t.dataset_id = m.id", "count(*)"),
            // A dataset may have several resources of one format: count it once.
            Facet::ResFormat => (
                "upper(r.format)",
                "upper(r.format)",
                "m JOIN resources r ON r.tenant_id = m.tenant_id AND r.dataset_id = m.id AND r.format <> ''",
                "count(DISTINCT m.id)",
            ),
            Facet::LicenseId => ("m.license_id", "m.license_id", "m", "count(*)"),
            Facet::Year => ("CAST(m.year AS TEXT)", "CAST(m.year AS TEXT)", "m", "count(*)"),
        };
        format!(
            "SELECT '{}' AS part, {value} AS name, {label} AS label, {n} AS n FROM {from} WHERE {value} <> ''
             GROUP BY {value}, {label} ORDER BY 4 DESC, 2 ASC LIMIT ${limit}",
            self.name()
        )
    }
}

/// The order of a search's results: the pages' choices, or CKAN's `sort`
/// (several keys, each ascending or descending).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sort {
    Relevance,
    NameAsc,
    NameDesc,
    ModifiedDesc,
    ModifiedAsc,
    TitleAsc,
    /// (key, descending), first key first.
    Keys(Vec<(SortKey, bool)>),
}

/// What CKAN's `sort` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Score,
    Id,
    Name,
    Title,
    Created,
    Modified,
}

impl SortKey {
    fn parse(name: &str) -> Option<SortKey> {
        Some(match name {
            "score" | "rank" => SortKey::Score,
            "id" => SortKey::Id,
            "name" => SortKey::Name,
            "title_string" | "title" => SortKey::Title,
            "metadata_created" => SortKey::Created,
            "metadata_modified" => SortKey::Modified,
            _ => return None,
        })
    }

    /// Its column of the matches `m`; relevance is lower for better matches.
    fn column(self, desc: bool) -> String {
        let (col, flip) = match self {
            SortKey::Score => ("m.score", true),
            SortKey::Id => ("m.id", false),
            SortKey::Name => ("m.name", false),
            SortKey::Title => ("lower(m.title)", false),
            SortKey::Created => ("m.created_at", false),
            SortKey::Modified => ("m.updated_at", false),
        };
        format!("{col} {}", if desc != flip { "DESC" } else { "ASC" })
    }
}

impl Sort {
    /// CKAN's sort strings (`id asc`, `score desc, metadata_modified desc`):
    /// every key must be known; without a direction it is ascending.
    pub fn parse(s: &str) -> Option<Sort> {
        let mut keys = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let key = SortKey::parse(&words.next()?.to_ascii_lowercase())?;
            let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(_) => return None,
            };
            if words.next().is_some() {
                return None;
            }
            keys.push((key, desc));
        }
        (!keys.is_empty()).then_some(Sort::Keys(keys))
    }

    /// The `ORDER BY` of the matches `m`, ending in the id so pages never
    /// overlap (harvesters page by `start`).
    fn order(&self) -> String {
        match self {
            Sort::Relevance => "m.score, m.updated_at DESC, m.name, m.id".into(),
            Sort::ModifiedDesc => "m.updated_at DESC, m.name, m.id".into(),
            Sort::ModifiedAsc => "m.updated_at ASC, m.name, m.id".into(),
            Sort::NameAsc => "m.name ASC, m.id".into(),
            Sort::NameDesc => "m.name DESC, m.id".into(),
            Sort::TitleAsc => "lower(m.title) ASC, m.name, m.id".into(),
            Sort::Keys(keys) => {
                let mut cols: Vec<String> = keys.iter().map(|(k, desc)| k.column(*desc)).collect();
                cols.push("m.id".into());
                cols.join(", ")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Query {
    /// Plain words, ranked by relevance (ignored when `q_clauses` is set).
    pub q: String,
    /// A `q` in CKAN's query language (`name:padi OR pad*`), parsed.
    pub q_clauses: Option<Vec<solr::Clause>>,
    /// CKAN's `fq`, parsed.
    pub fq: Vec<solr::Clause>,
    /// The pages' facet choices, all required.
    pub filters: Vec<Filter>,
    pub sort: Sort,
    pub rows: i64,
    pub start: i64,
    pub facets: Vec<Facet>,
    pub facet_limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetItem {
    pub name: String,
    /// What people read: an agency's name, a group's or a licence's title,
    /// else the value itself.
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Results {
    pub count: i64,
    pub ids: Vec<String>,
    pub facets: BTreeMap<&'static str, Vec<FacetItem>>,
}

/// What decides a query's answer, in one canonical form: queries with equal
/// keys have equal answers (for the same tenant, viewer and catalogue), so
/// it is what cached answers are found by. Words are the stems the engine
/// matches, filters and facets are sets, numbers are the ones actually used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueryKey {
    words: Option<String>,
    q_clauses: Option<Vec<solr::Clause>>,
    fq: Vec<solr::Clause>,
    filters: Vec<(Facet, String)>,
    sort: Sort,
    rows: i64,
    start: i64,
    facets: Vec<Facet>,
    facet_limit: i64,
}

impl Query {
    /// A listing without words: `filters`, in `sort` order, `rows` from `start`.
    pub fn listing(filters: Vec<Filter>, sort: Sort, rows: i64, start: i64) -> Query {
        Query { q: String::new(), q_clauses: None, fq: Vec::new(), filters, sort, rows, start, facets: vec![], facet_limit: 1 }
    }

    pub fn key(&self) -> QueryKey {
        let words = self.words_matched();
        let mut filters: Vec<(Facet, String)> = self.filters.iter().map(|f| (f.field, f.value.clone())).collect();
        filters.sort();
        filters.dedup();
        let mut facets = self.facets.clone();
        facets.sort();
        facets.dedup();
        QueryKey {
            sort: self.effective_sort(words.is_some()),
            words,
            q_clauses: self.q_clauses.clone(),
            fq: self.fq.clone(),
            filters,
            rows: self.rows(),
            start: self.start(),
            facets,
            facet_limit: self.facet_limit(),
        }
    }

    fn rows(&self) -> i64 {
        self.rows.clamp(0, 1000)
    }

    fn start(&self) -> i64 {
        self.start.max(0)
    }

    fn facet_limit(&self) -> i64 {
        self.facet_limit.clamp(1, 1000)
    }

    /// The ranked words of the query, unless it is in the query language.
    fn words_matched(&self) -> Option<String> {
        self.matcher(Engine::Sqlite)
    }

    /// The engine's match expression of the ranked words, if any.
    fn matcher(&self, engine: Engine) -> Option<String> {
        if self.q_clauses.is_some() { None } else { match_expression(engine, &self.q) }
    }

    /// Relevance needs words to rank by; without them it is the newest first.
    fn effective_sort(&self, has_words: bool) -> Sort {
        match &self.sort {
            Sort::Relevance if !has_words => Sort::ModifiedDesc,
            Sort::Keys(keys) if !has_words => {
                let keys: Vec<_> = keys.iter().filter(|(k, _)| *k != SortKey::Score).copied().collect();
                if keys.is_empty() { Sort::ModifiedDesc } else { Sort::Keys(keys) }
            }
            sort => sort.clone(),
        }
    }
}

impl Results {
    /// About how much memory the answer holds, for bounding a cache.
    pub fn approx_bytes(&self) -> usize {
        let strings = self.ids.iter().map(|id| id.len() + 24).sum::<usize>();
        let facets = self.facets.values().flatten().map(|f| f.name.len() + f.label.len() + 64).sum::<usize>();
        std::mem::size_of::<Results>() + strings + facets
    }
}

/// The match expression for the engine, from stemmed query words (all
/// must match); `None` when the query has no words (match everything).
/// Words of a query that are searched for; the rest of a longer query is
/// left out (a 100,000-character `q` made a statement no engine would take).
pub const MAX_QUERY_WORDS: usize = 32;

fn match_expression(engine: Engine, q: &str) -> Option<String> {
    if q.trim() == "*:*" {
        return None;
    }
    let head = q.char_indices().nth(4_000).map_or(q, |(i, _)| &q[..i]);
    let words: Vec<String> = stemmer::stems(head).filter(|w| w.chars().all(char::is_alphanumeric)).take(MAX_QUERY_WORDS).collect();
    if words.is_empty() {
        return None;
    }
    Some(match engine {
        Engine::Sqlite => words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" "),
        Engine::Postgres => words.join(" & "),
    })
}

/// The columns of a matching dataset that the page order and the facets
/// need, with `score` (lower is more relevant).
const MATCH_COLUMNS: &str = "d.tenant_id, d.id, d.org_id, d.license_id, d.year, d.name, d.title, d.created_at, d.updated_at";

/// Answers a query with one statement. The text match is the costly part
/// (milliseconds over thousands of datasets), so the matching datasets are
/// computed once, as a materialised `m`, and the count, the page and every
/// facet are read from it: one evaluation of the match, one round trip, and
/// only the page and the counts leave the database.
pub async fn search(store: &Store, tenant: &str, viewer: &Viewer, query: &Query) -> Result<Results, StoreError> {
    let engine = store.engine();
    let mut args: Vec<Value> = vec![Value::from(tenant)];
    let (visible, vargs) = viewer.filter(2);
    args.extend(vargs);
    let mut conditions = vec![visible];
    // The pages' facet choices are required terms, written as CKAN's are.
    let facets: Vec<solr::Clause> = query
        .filters
        .iter()
        .map(|f| solr::Clause { occur: solr::Occur::Must, node: solr::Node::Term(f.field.field(), solr::Value::Exact(f.value.clone())) })
        .collect();
    for clauses in [&facets].into_iter().chain(query.q_clauses.iter()).chain([&query.fq]).filter(|c| !c.is_empty()) {
        conditions.push(format!("({})", terms::condition(clauses, engine, &mut args)));
    }
    let cond = conditions.join(" AND ");
    let matcher = query.matcher(engine);
    let sort = query.effective_sort(matcher.is_some());
    // With words, the text index drives the join (the other way round costs
    // seconds) and gives the rank; bm25 is lower for better matches, so
    // PostgreSQL's rank is negated to sort the same way.
    let matches = match (matcher, engine) {
        (None, _) => format!("SELECT {MATCH_COLUMNS}, 0 AS score FROM datasets d WHERE d.tenant_id = $1 AND {cond}"),
        (Some(m), Engine::Sqlite) => {
            args.push(Value::from(m));
            format!(
                "SELECT {MATCH_COLUMNS}, bm25(dataset_search) AS score
                 FROM dataset_search JOIN datasets d ON d.tenant_id = dataset_search.tenant_id AND d.id = dataset_search.dataset_id
                 WHERE dataset_search MATCH ${} AND dataset_search.tenant_id = $1 AND {cond}",
                args.len()
            )
        }
        (Some(m), Engine::Postgres) => {
            args.push(Value::from(m));
            let n = args.len();
            format!(
                "SELECT {MATCH_COLUMNS}, -ts_rank(s.body, to_tsquery('simple', ${n})) AS score
                 FROM dataset_search s JOIN datasets d ON d.tenant_id = s.tenant_id AND d.id = s.dataset_id
                 WHERE s.tenant_id = $1 AND s.body @@ to_tsquery('simple', ${n}) AND {cond}"
            )
        }
    };
    // Each part yields rows (part, name, n): the count; the page's ids with
    // their positions; each facet's values with their counts.
    let mut parts = vec!["SELECT 'count' AS part, '' AS name, '' AS label, count(*) AS n FROM m".to_string()];
    if query.rows() > 0 {
        let order = sort.order();
        args.push(Value::from(query.rows()));
        args.push(Value::from(query.start()));
        let (limit, offset) = (args.len() - 1, args.len());
        parts.push(format!(
            "SELECT 'page' AS part, m.id AS name, '' AS label, row_number() OVER (ORDER BY {order}) AS n FROM m ORDER BY n LIMIT ${limit} OFFSET ${offset}"
        ));
    }
    let mut facets = BTreeMap::new();
    if !query.facets.is_empty() {
        args.push(Value::from(query.facet_limit()));
        for f in &query.facets {
            parts.push(f.counts(args.len()));
            facets.insert(f.name(), Vec::new());
        }
    }
    let union = parts.iter().enumerate().map(|(i, p)| format!("SELECT * FROM ({p}) AS part{i}")).collect::<Vec<_>>().join(" UNION ALL ");
    let text = format!("WITH m AS MATERIALIZED ({matches}) {union}");
    let mut count = 0;
    let mut page: Vec<(i64, String)> = Vec::new();
    for row in store.fetch_all(sql_built(text).bind_all(args)).await? {
        let (part, name, label, n): (String, String, String, i64) = (row.at(0)?, row.at(1)?, row.at(2)?, row.at(3)?);
        match part.as_str() {
            "count" => count = n,
            "page" => page.push((n, name)),
            facet => {
                if let Some(items) = facets.get_mut(facet) {
                    let label = match Facet::parse(facet) {
                        Some(Facet::LicenseId) => super::model::license(&name).map_or(label, |l| l.title.to_string()),
                        _ => label,
                    };
                    items.push(FacetItem { name, label, count: n });
                }
            }
        }
    }
    // A union keeps no order: positions and counts restore it.
    page.sort_unstable();
    for items in facets.values_mut() {
        items.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    }
    Ok(Results { count, ids: page.into_iter().map(|(_, id)| id).collect(), facets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_reads_ckan_sort_strings() {
        use SortKey::*;
        assert_eq!(Sort::parse("score desc, metadata_modified desc"), Some(Sort::Keys(vec![(Score, true), (Modified, true)])));
        assert_eq!(Sort::parse("id asc"), Some(Sort::Keys(vec![(Id, false)])));
        assert_eq!(Sort::parse("title_string, metadata_created DESC"), Some(Sort::Keys(vec![(Title, false), (Created, true)])));
        assert_eq!(Sort::parse("views_recent desc"), None);
        assert_eq!(Sort::parse("name sideways"), None);
        assert_eq!(Sort::Keys(vec![(Score, true), (Id, false)]).order(), "m.score ASC, m.id ASC, m.id");
    }

    #[test]
    fn queries_become_stemmed_match_expressions() {
        assert_eq!(match_expression(Engine::Postgres, "*:*"), None);
        assert_eq!(match_expression(Engine::Postgres, "  "), None);
        let m = match_expression(Engine::Sqlite, "Pertanian padi").unwrap();
        assert_eq!(m, "\"tani\" \"padi\"");
    }
}
