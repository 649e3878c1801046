//! A year's budget as the pages and the API read it: the shown version's
//! lines and `anggaran::apbd::build_tree` over them, kept in memory per
//! region and year until the year's revision changes (one small query per
//! request says whether it did), so a tree of thousands of sub-kegiatan is
//! built once per write, not once per reader.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anggaran::apbd::{self, Program, Tree};

use super::repo::{self, Kind, StoredLine, Version};
use crate::store::{Store, StoreError};

/// A year's budget, built.
pub struct Budget {
    pub version: Version,
    pub lines: Vec<StoredLine>,
    pub tree: Tree,
    /// Agency key (code, or name without one) to its name and organisation.
    pub agencies: BTreeMap<String, (String, Option<String>)>,
}

/// Region, year and version code.
type Key = (String, i32, &'static str);

/// Built budgets by region, year and version, each with its revision.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<Key, Arc<Budget>>>);

pub fn cache(app: &crate::web::App) -> &Arc<Cache> {
    app.parts.get::<Arc<Cache>>().expect("the budgets slice puts its cache into the state")
}

/// Builds a version's budget from the store.
pub async fn build(store: &Store, tenant: &str, version: Version) -> Result<Budget, StoreError> {
    let lines = repo::lines(store, tenant, version.year, version.kind).await?;
    let names = repo::names(store, tenant, version.year).await?;
    let plain: Vec<apbd::Line> = lines.iter().map(|l| l.line.clone()).collect();
    let tree = apbd::build_tree(&plain, &names).map_err(|e| StoreError::Other(format!("APBD totals: {e}")))?;
    let mut agencies = BTreeMap::new();
    for l in &lines {
        let key = if l.line.kode_opd.is_empty() { l.line.nama_opd.clone() } else { l.line.kode_opd.clone() };
        agencies.entry(key).or_insert_with(|| (l.line.nama_opd.clone(), l.org_id.clone()));
    }
    Ok(Budget { version, lines, tree, agencies })
}

/// The year's shown version (`kind` none) or the one asked for, built or
/// from the cache; none when the year has no such version.
pub async fn load(app: &crate::web::App, tenant: &str, year: i32, kind: Option<Kind>) -> Result<Option<Arc<Budget>>, StoreError> {
    let version = match kind {
        Some(k) => repo::version(&app.store, tenant, year, k).await?,
        None => repo::current(&app.store, tenant, year).await?,
    };
    let Some(version) = version else { return Ok(None) };
    let key = (tenant.to_string(), year, version.kind.code());
    let cache = cache(app);
    if let Some(hit) = cache.0.lock().expect("cache lock").get(&key)
        && hit.version.revision == version.revision
    {
        return Ok(Some(hit.clone()));
    }
    let built = Arc::new(build(&app.store, tenant, version).await?);
    cache.0.lock().expect("cache lock").insert(key, built.clone());
    Ok(Some(built))
}

impl Budget {
    /// The lines of one sub-kegiatan.
    pub fn lines_of<'a>(&'a self, code: &'a Program) -> impl Iterator<Item = &'a StoredLine> + 'a {
        self.lines.iter().filter(move |l| l.line.sub_kegiatan.as_ref() == Some(code))
    }

    /// The agency's name for its key.
    pub fn agency_name(&self, key: &str) -> String {
        self.agencies.get(key).map(|a| a.0.clone()).unwrap_or_else(|| key.to_string())
    }
}
