//! Storing releases: all or nothing, or (when the user chooses) only the
//! processes whose every release is sound, with the others listed and why.
//! Either way the summaries and flags are refreshed in the same call.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::clock::parse_rfc3339;
use crate::store::{Store, StoreError, sql};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The release at this position (1-based) cannot be stored: nothing was.
    #[error("release {0}: {1}")]
    Invalid(usize, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One bad release and nothing is stored.
    AllOrNothing,
    /// A process with a bad release is left out whole; the rest is stored.
    ValidProcessesOnly,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct ImportReport {
    pub releases: usize,
    pub processes: usize,
    /// Processes left out (only in [`Mode::ValidProcessesOnly`]): ocid and reason.
    pub skipped: Vec<(String, String)>,
}

struct Checked {
    ocid: String,
    id: String,
    ms: i64,
    date: String,
    tags: String,
    data: String,
}

/// What makes one release storable: an ocid, an id, an RFC 3339 date, a tag list.
fn check(r: &Value) -> Result<Checked, (Option<String>, String)> {
    let text = |k: &str| r.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_string);
    let ocid = text("ocid").ok_or((None, "no ocid".to_string()))?;
    let bad = |m: &str| (Some(ocid.clone()), m.to_string());
    let id = text("id").ok_or_else(|| bad("no id"))?;
    let date = text("date").ok_or_else(|| bad("no date"))?;
    let ms = parse_rfc3339(&date).ok_or_else(|| bad("the date is not an RFC 3339 date-time"))?;
    let tags = r.get("tag").and_then(|t| t.as_array()).ok_or_else(|| bad("no tag list"))?;
    let tags: Vec<&str> = tags.iter().filter_map(|t| t.as_str()).collect();
    Ok(Checked { tags: tags.join(" "), data: r.to_string(), ocid, id, date, ms })
}

/// Stores releases all or nothing (see [`import_with`]).
pub async fn import(store: &Store, tenant: &str, releases: Vec<Value>) -> Result<ImportReport, ImportError> {
    import_with(store, tenant, releases, Mode::AllOrNothing).await
}

/// Stores releases: each needs an ocid, an id, an RFC 3339 date and a tag
/// list, and no (ocid, id) may repeat, in the file or in what the region
/// already published.
pub async fn import_with(store: &Store, tenant: &str, releases: Vec<Value>, mode: Mode) -> Result<ImportReport, ImportError> {
    store_prepared(store, tenant, prepare(releases, mode)?).await
}

/// Releases checked and ready to store, each kept as its JSON text (a
/// parsed release takes several times its text, so a big file is checked
/// as it is read and not held parsed).
pub struct Prepared {
    checked: Vec<Checked>,
    skipped: BTreeMap<String, String>,
    mode: Mode,
}

/// Checks releases one at a time, in order (see [`import_with`]): the
/// first bad one is the error, or (with [`Mode::ValidProcessesOnly`]) its
/// process is set aside with the reason.
pub fn prepare(releases: impl IntoIterator<Item = Value>, mode: Mode) -> Result<Prepared, ImportError> {
    let mut checked = Vec::new();
    let mut seen = HashSet::new();
    let mut skipped: BTreeMap<String, String> = BTreeMap::new();
    for (i, r) in releases.into_iter().enumerate() {
        let problem = match check(&r) {
            Ok(c) if !seen.insert((c.ocid.clone(), c.id.clone())) => {
                Err((Some(c.ocid.clone()), format!("the id {} repeats within {}", c.id, c.ocid)))
            }
            other => other,
        };
        match (problem, mode) {
            (Ok(c), _) => checked.push(c),
            (Err((_, reason)), Mode::AllOrNothing) => return Err(ImportError::Invalid(i + 1, reason)),
            (Err((Some(ocid), reason)), Mode::ValidProcessesOnly) => {
                skipped.entry(ocid).or_insert(format!("release {}: {reason}", i + 1));
            }
            (Err((None, reason)), Mode::ValidProcessesOnly) => {
                skipped.entry(format!("(release {})", i + 1)).or_insert(reason);
            }
        }
    }
    Ok(Prepared { checked, skipped, mode })
}

/// Stores prepared releases in one transaction and refreshes the summaries
/// and flags of their processes.
pub async fn store_prepared(store: &Store, tenant: &str, prepared: Prepared) -> Result<ImportReport, ImportError> {
    let (report, ocids, job) = store_releases(store, tenant, prepared).await?;
    super::index::refresh(store, tenant, Some(&ocids)).await?;
    if let Some(id) = job {
        crate::kernel::jobs::forget(store, tenant, &id).await?;
    }
    Ok(report)
}

/// The first half of [`store_prepared`]: the releases, committed with a
/// job that rebuilds their processes' summaries. What a process that dies
/// right after the commit leaves behind; the job repairs it. Returns the
/// report, the processes touched and the job's id.
pub async fn store_releases(
    store: &Store,
    tenant: &str,
    prepared: Prepared,
) -> Result<(ImportReport, Vec<String>, Option<String>), ImportError> {
    let Prepared { mut checked, mut skipped, mode } = prepared;
    if mode == Mode::ValidProcessesOnly {
        for c in &checked {
            if skipped.contains_key(&c.ocid) {
                continue;
            }
            let exists = store
                .fetch_optional(
                    sql("SELECT 1 FROM ocds_releases WHERE tenant_id = $1 AND ocid = $2 AND release_id = $3")
                        .bind(tenant)
                        .bind(&c.ocid)
                        .bind(&c.id),
                )
                .await?
                .is_some();
            if exists {
                skipped.insert(c.ocid.clone(), format!("{} already has a release {}", c.ocid, c.id));
            }
        }
        checked.retain(|c| !skipped.contains_key(&c.ocid));
    }
    checked.sort_by(|a, b| a.ms.cmp(&b.ms).then_with(|| a.ocid.cmp(&b.ocid)));
    let ocids: Vec<String> = checked.iter().map(|c| c.ocid.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let mut tx = store.begin().await?;
    let mut seq: i64 =
        tx.fetch_one(sql("SELECT COALESCE(MAX(seq), 0) FROM ocds_releases WHERE tenant_id = $1").bind(tenant)).await?.at(0)?;
    let now = store.now_ms();
    for (i, c) in checked.iter().enumerate() {
        seq += 1;
        let inserted = tx
            .execute(
                sql("INSERT INTO ocds_releases (tenant_id, ocid, release_id, date_ms, date, tags, data, seq, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(tenant)
                    .bind(&c.ocid)
                    .bind(&c.id)
                    .bind(c.ms)
                    .bind(&c.date)
                    .bind(&c.tags)
                    .bind(&c.data)
                    .bind(seq)
                    .bind(now),
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(StoreError::Duplicate(_)) => return Err(ImportError::Invalid(i + 1, format!("{} already has a release {}", c.ocid, c.id))),
            Err(e) => return Err(e.into()),
        }
    }
    // The summaries are rebuilt right after the commit; the job queued with
    // the releases does it if this process dies first (a killed import left
    // processes without summaries, missing from the pages).
    let job = crate::kernel::jobs::NewJob::now(
        now,
        tenant,
        super::index::REFRESH_JOB,
        crate::kernel::identity::new_id(),
        json!({ "ocids": ocids }),
    );
    let job = crate::kernel::jobs::enqueue(&mut tx, &job).await?;
    tx.commit().await?;
    let report = ImportReport { releases: checked.len(), processes: ocids.len(), skipped: skipped.into_iter().collect() };
    Ok((report, ocids, job))
}
