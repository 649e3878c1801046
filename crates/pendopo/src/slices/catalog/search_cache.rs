//! Search answers kept in memory, so that a repeated search (the portal's
//! front page, a harvester polling `package_search`) costs one primary-key
//! read instead of a text match and facet counts.
//!
//! An answer is found by the tenant, the tenant's catalogue version
//! (`kernel::catalog_version`, bumped in the same transaction as every write
//! that can change an answer), the caller's [`Scope`] (what they may see)
//! and the query's canonical [`QueryKey`]. The version is read from the
//! database on every search, so servers sharing one PostgreSQL agree on when
//! an answer is stale, and a write is seen by the very next search.
//!
//! Bounded by entries and by approximate bytes ([`Limits`]): when an answer
//! would cross either bound the whole cache is cleared (simple, and a full
//! cache of a busy catalogue refills from its hot queries within seconds).
//! A tenant's answers of older versions are dropped as soon as an answer of
//! a newer version is stored.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};

use super::repo::{Scope, Viewer};
use super::search::{self, Query, QueryKey, Results};
use crate::kernel::catalog_version;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub entries: usize,
    pub bytes: usize,
}

impl Default for Limits {
    /// 10,000 answers or about 64 MiB, whichever comes first: a page of ten
    /// results with two facets takes about 1 KiB, a page of a thousand about
    /// 60 KiB.
    fn default() -> Limits {
        Limits { entries: 10_000, bytes: 64 << 20 }
    }
}

#[derive(Default)]
pub struct SearchCache {
    limits: Limits,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    tenants: HashMap<String, TenantAnswers>,
    entries: usize,
    bytes: usize,
}

/// One tenant's answers, all of one catalogue version.
#[derive(Default)]
struct TenantAnswers {
    version: i64,
    answers: HashMap<(Scope, QueryKey), Arc<Results>>,
    bytes: usize,
}

impl SearchCache {
    pub fn new(limits: Limits) -> SearchCache {
        SearchCache { limits, inner: Mutex::default() }
    }

    /// `search::search`, answered from memory when this tenant's catalogue
    /// has not changed since the same query was answered for the same scope.
    pub async fn search(&self, store: &Store, tenant: &str, viewer: &Viewer, query: &Query) -> Result<Arc<Results>, StoreError> {
        // The version is read before the answer is computed, so an answer is
        // never older than the version it is stored under: a write that
        // commits in between makes the answer newer than its version, which
        // only the searches that read the old version can ever see.
        let version = catalog_version::current(store, tenant).await?;
        let key = (viewer.scope(), query.key());
        if let Some(answer) = self.get(tenant, version, &key) {
            return Ok(answer);
        }
        let answer = Arc::new(search::search(store, tenant, viewer, query).await?);
        self.put(tenant, version, key, answer.clone());
        Ok(answer)
    }

    fn get(&self, tenant: &str, version: i64, key: &(Scope, QueryKey)) -> Option<Arc<Results>> {
        let inner = self.inner.lock().expect("search cache lock");
        let answers = inner.tenants.get(tenant).filter(|t| t.version == version)?;
        answers.answers.get(key).cloned()
    }

    fn put(&self, tenant: &str, version: i64, key: (Scope, QueryKey), answer: Arc<Results>) {
        let size = answer.approx_bytes() + std::mem::size_of::<(Scope, QueryKey)>();
        if size > self.limits.bytes {
            return;
        }
        let mut guard = self.inner.lock().expect("search cache lock");
        let inner = &mut *guard;
        if let Some(current) = inner.tenants.get(tenant) {
            if current.version > version {
                // Computed before a write another search has already seen.
                return;
            }
            if current.version < version {
                let stale = inner.tenants.remove(tenant).expect("present");
                inner.entries -= stale.answers.len();
                inner.bytes -= stale.bytes;
            }
        }
        if inner.entries + 1 > self.limits.entries || inner.bytes + size > self.limits.bytes {
            *inner = Inner::default();
        }
        let answers = inner.tenants.entry(tenant.to_string()).or_insert_with(|| TenantAnswers { version, ..Default::default() });
        // Concurrent misses of one query compute equal answers: keep the first.
        if let Entry::Vacant(slot) = answers.answers.entry(key) {
            slot.insert(answer);
            answers.bytes += size;
            inner.entries += 1;
            inner.bytes += size;
        }
    }

    /// How many answers are kept (for tests and metrics).
    pub fn len(&self) -> usize {
        self.inner.lock().expect("search cache lock").entries
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slices::catalog::search::Sort;

    /// Plain words, ranked, ten rows.
    fn query(q: &str) -> Query {
        Query {
            q_clauses: None,
            fq: Vec::new(),
            q: q.into(),
            filters: vec![],
            sort: Sort::Relevance,
            rows: 10,
            start: 0,
            facets: vec![],
            facet_limit: 10,
        }
    }

    fn key(q: &str, scope: Scope) -> (Scope, QueryKey) {
        (scope, query(q).key())
    }

    fn answer(count: i64) -> Arc<Results> {
        Arc::new(Results { count, ids: vec!["x".repeat(36); 10], facets: Default::default() })
    }

    #[test]
    fn answers_are_kept_per_tenant_version_and_scope() {
        let cache = SearchCache::default();
        cache.put("35.22", 3, key("padi", Scope::Public), answer(1));
        assert_eq!(cache.get("35.22", 3, &key("padi", Scope::Public)).unwrap().count, 1);
        assert!(cache.get("35.22", 4, &key("padi", Scope::Public)).is_none(), "a newer version misses");
        assert!(cache.get("35.23", 3, &key("padi", Scope::Public)).is_none(), "another tenant misses");
        assert!(cache.get("35.22", 3, &key("padi", Scope::Everything)).is_none(), "another scope misses");
        assert!(cache.get("35.22", 3, &key("padi", Scope::PublicAndOrganization("o".into()))).is_none());
        // A newer version replaces the tenant's answers; an older one is not stored.
        cache.put("35.22", 4, key("jalan", Scope::Public), answer(2));
        assert_eq!(cache.len(), 1);
        cache.put("35.22", 3, key("padi", Scope::Public), answer(1));
        assert!(cache.get("35.22", 3, &key("padi", Scope::Public)).is_none());
        assert_eq!(cache.get("35.22", 4, &key("jalan", Scope::Public)).unwrap().count, 2);
    }

    #[test]
    fn equal_queries_share_a_key() {
        let base = query("Pertanian padi");
        let filtered = Query { fq: crate::slices::catalog::solr::parse("organization:dishub", 0).unwrap(), ..base.clone() };
        assert_ne!(base.key(), filtered.key(), "a filter is part of the key");
        let same = Query { q: "tani  PADI".into(), ..base.clone() };
        assert_eq!(base.key(), same.key(), "the same stems");
        let other = Query { rows: 11, ..base.clone() };
        assert_ne!(base.key(), other.key());
        let no_words = Query { q: "*:*".into(), sort: Sort::Relevance, ..base.clone() };
        assert_eq!(no_words.key(), Query { q: String::new(), sort: Sort::ModifiedDesc, ..base }.key());
    }

    #[test]
    fn the_cache_is_cleared_when_full() {
        let cache = SearchCache::new(Limits { entries: 3, bytes: 1 << 20 });
        for (i, q) in ["a1", "b2", "c3"].iter().enumerate() {
            cache.put("35.22", 1, key(q, Scope::Public), answer(i as i64));
        }
        assert_eq!(cache.len(), 3);
        cache.put("35.22", 1, key("d4", Scope::Public), answer(4));
        assert_eq!(cache.len(), 1);
        assert!(cache.get("35.22", 1, &key("a1", Scope::Public)).is_none());

        let small = SearchCache::new(Limits { entries: 100, bytes: 2_000 });
        for q in ["a1", "b2", "c3", "d4"] {
            small.put("35.22", 1, key(q, Scope::Public), answer(0));
        }
        let bytes = small.inner.lock().unwrap().bytes;
        assert!(bytes <= 2_000 && small.len() < 4, "bounded by bytes: {bytes} bytes in {} answers", small.len());
    }
}
