//! Tenants: each is one regency or city, identified by its region code.
//! A request picks its tenant by host name, else the default tenant.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use wilayah::{Code, Directory, TimeZone};

use crate::store::{Result, Store, StoreError, Value, sql, sql_built};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Tenant {
    /// The region code, e.g. `35.22`; leads every key of tenant-owned rows.
    pub id: String,
    pub name: String,
    pub hostnames: Vec<String>,
    pub is_default: bool,
}

impl Tenant {
    pub fn code(&self) -> Code {
        Code::parse(&self.id).expect("tenant ids are region codes")
    }

    pub fn time_zone(&self) -> TimeZone {
        TimeZone::of_province(self.code().province_number())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0}")]
    Code(#[from] wilayah::CodeError),
    #[error("{0} is not a regency or city code (expected two segments, e.g. 35.22)")]
    NotARegency(Code),
    #[error("region {0} is not in the national table ({1})")]
    Unknown(Code, &'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `init --region` did.
pub struct InitReport {
    pub tenant: Tenant,
    pub created: bool,
    pub regions_loaded: usize,
}

/// Creates (or completes) the tenant for a regency or city with all its
/// kecamatan and villages, in one transaction. Running it again changes
/// nothing but adds the given host names.
pub async fn init_region(store: &Store, code: &str, hostnames: &[String], make_default: bool) -> Result<InitReport, InitError> {
    let code = Code::parse(code)?;
    if code.depth() != 2 {
        return Err(InitError::NotARegency(code));
    }
    let dir = Directory::embedded();
    let region = dir.get(&code).ok_or(InitError::Unknown(code, wilayah::REGULATION))?;
    let id = code.to_string();

    let mut tx = store.begin().await?;
    let existing = tx.fetch_optional(sql("SELECT hostnames FROM tenants WHERE id = $1").bind(&id)).await?;
    let any_default: i64 = tx.fetch_one(sql("SELECT count(*) FROM tenants WHERE is_default = 1")).await?.at(0)?;
    let created = existing.is_none();
    let mut hosts: Vec<String> = match &existing {
        Some(row) => split_hosts(&row.get::<String>("hostnames")?),
        None => Vec::new(),
    };
    for h in hostnames {
        let h = h.trim().to_ascii_lowercase();
        if !h.is_empty() && !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    let is_default = make_default || any_default == 0;
    if is_default {
        tx.execute(sql("UPDATE tenants SET is_default = 0 WHERE id <> $1").bind(&id)).await?;
    }
    if created {
        tx.execute(
            sql("INSERT INTO tenants (id, name, hostnames, is_default, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&id)
                .bind(&region.name)
                .bind(hosts.join(" "))
                .bind(is_default)
                .bind(store.now_ms()),
        )
        .await?;
    } else {
        let q = sql("UPDATE tenants SET hostnames = $1, is_default = CASE WHEN $2 = 1 THEN 1 ELSE is_default END WHERE id = $3");
        tx.execute(q.bind(hosts.join(" ")).bind(is_default).bind(&id)).await?;
    }

    let loaded: i64 = tx.fetch_one(sql("SELECT count(*) FROM tenant_regions WHERE tenant_id = $1").bind(&id)).await?.at(0)?;
    let subtree = dir.subtree(&code);
    let mut regions_loaded = 0;
    if loaded == 0 {
        // Many rows per statement: one round trip per chunk, not per row.
        for chunk in subtree.chunks(200) {
            let mut text = String::from("INSERT INTO tenant_regions (tenant_id, code, parent_code, name, level) VALUES ");
            let mut args = Vec::with_capacity(chunk.len() * 5);
            for (i, r) in chunk.iter().enumerate() {
                let n = i * 5;
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&format!("(${},${},${},${},${})", n + 1, n + 2, n + 3, n + 4, n + 5));
                args.push(Value::from(&id));
                args.push(Value::from(r.code.to_string()));
                args.push(Value::from(r.code.parent().map(|p| p.to_string())));
                args.push(Value::from(r.name.as_str()));
                args.push(Value::from(r.level.as_str()));
            }
            tx.execute(sql_built(text).bind_all(args)).await?;
        }
        regions_loaded = subtree.len();
    }
    tx.commit().await?;
    let tenant = Tenant { id, name: region.name.clone(), hostnames: hosts, is_default };
    Ok(InitReport { tenant, created, regions_loaded })
}

fn split_hosts(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn tenant_from_row(row: &crate::store::Row) -> Result<Tenant> {
    Ok(Tenant {
        id: row.get("id")?,
        name: row.get("name")?,
        hostnames: split_hosts(&row.get::<String>("hostnames")?),
        is_default: row.get("is_default")?,
    })
}

pub async fn list_tenants(store: &Store) -> Result<Vec<Tenant>> {
    let rows = store.fetch_all(sql("SELECT id, name, hostnames, is_default FROM tenants ORDER BY id")).await?;
    rows.iter().map(tenant_from_row).collect()
}

/// Host-to-tenant resolution with a short-lived cache: tenants change only
/// through `init`, and a few seconds' delay across servers is harmless,
/// while a query per request is not.
#[derive(Clone)]
pub struct TenantResolver {
    store: Store,
    cache: Arc<RwLock<Option<Cached>>>,
}

/// The table and when it was read.
type Cached = (Instant, Arc<TenantTable>);

struct TenantTable {
    by_host: HashMap<String, Tenant>,
    by_id: HashMap<String, Tenant>,
    default: Option<Tenant>,
}

const CACHE_FOR: Duration = Duration::from_secs(5);

impl TenantResolver {
    pub fn new(store: Store) -> TenantResolver {
        TenantResolver { store, cache: Arc::new(RwLock::new(None)) }
    }

    async fn table(&self) -> Result<Arc<TenantTable>> {
        if let Some((at, table)) = self.cache.read().expect("tenant cache lock").as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return Ok(table.clone());
        }
        let tenants = list_tenants(&self.store).await?;
        let mut by_host = HashMap::new();
        let mut by_id = HashMap::new();
        let mut default = None;
        for t in tenants {
            for h in &t.hostnames {
                by_host.insert(h.clone(), t.clone());
            }
            if t.is_default {
                default = Some(t.clone());
            }
            by_id.insert(t.id.clone(), t);
        }
        let table = Arc::new(TenantTable { by_host, by_id, default });
        *self.cache.write().expect("tenant cache lock") = Some((Instant::now(), table.clone()));
        Ok(table)
    }

    /// The tenant for a Host header (port ignored), else the default one.
    /// `None` when the deployment has no tenant at all yet.
    pub async fn for_host(&self, host: Option<&str>) -> Result<Option<Tenant>> {
        let table = self.table().await?;
        let host = host.map(|h| h.rsplit_once(':').map(|(name, _)| name).unwrap_or(h).to_ascii_lowercase());
        if let Some(t) = host.and_then(|h| table.by_host.get(&h)) {
            return Ok(Some(t.clone()));
        }
        Ok(table.default.clone())
    }

    pub async fn by_id(&self, id: &str) -> Result<Option<Tenant>> {
        Ok(self.table().await?.by_id.get(id).cloned())
    }

    /// Forget the cache (after `init` in the same process, e.g. in tests).
    pub fn invalidate(&self) {
        *self.cache.write().expect("tenant cache lock") = None;
    }
}
