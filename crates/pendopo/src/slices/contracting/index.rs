//! What the pages read: one summary row per process (compiled from its
//! releases) and the red flags, in `ocds_processes` and `ocds_flags`. Both
//! are derived from `ocds_releases`: refreshed after every write, rebuilt
//! after `db copy`.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::clock::parse_rfc3339;
use crate::store::{Store, StoreError, sql};

use super::releases::PROGRESS_MILESTONE;

/// Every flag the portal computes and explains: Cardinal's eleven, then
/// the Indonesian ones.
pub const FLAG_CODES: &[&str] = &[
    "R003",
    "R018",
    "R024",
    "R025",
    "R028",
    "R030",
    "R035",
    "R036",
    "R038",
    "R048",
    "R058",
    "ID_HPS",
    "ID_DI_ATAS_HPS",
    "ID_DURASI",
    "ID_DESEMBER",
    "ID_PENUNJUKAN_LANGSUNG",
    "ID_PEMENANG_BERULANG",
    "ID_PEMECAHAN",
    "ID_BAYAR_LEBIH",
];

/// Flags only ever set on a buyer or a supplier (population statistics over
/// their processes), never on one process.
pub const PARTY_ONLY_FLAGS: &[&str] = &["R025", "R038", "R048"];

/// The stage a process has reached, in order.
pub const STAGES: &[&str] = &["planning", "tender", "award", "contract", "implementation", "cancelled"];

/// A compiled release, reduced to what lists, filters and the dashboard need.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub ocid: String,
    pub buyer_id: String,
    pub buyer_name: String,
    pub title: String,
    pub method: String,
    pub method_details: String,
    pub category: String,
    pub year: Option<i64>,
    pub stage: &'static str,
    pub budget: Option<f64>,
    pub tender_value: Option<f64>,
    pub award_value: Option<f64>,
    pub contract_value: Option<f64>,
    pub paid: f64,
    pub progress: Option<i64>,
    pub supplier_names: String,
    pub location: Option<(f64, f64)>,
    pub updated_ms: i64,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values.flatten().fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

/// The percentage in a progress milestone's title ("Progres fisik 40%").
fn percent(title: &str) -> Option<i64> {
    let before = title.split('%').next()?;
    let digits: String = before.chars().rev().take_while(|c| c.is_ascii_digit()).collect::<Vec<_>>().into_iter().rev().collect();
    digits.parse().ok().filter(|p| *p <= 100)
}

pub fn summarize(c: &Value) -> Summary {
    let tender = &c["tender"];
    let contracts: Vec<&Value> = items(&c["contracts"]).collect();
    let active_awards: Vec<&Value> = items(&c["awards"]).filter(|a| a["status"] != "cancelled" && a["status"] != "unsuccessful").collect();
    let implementations = || contracts.iter().map(|k| &k["implementation"]);
    let paid = implementations().flat_map(|i| items(&i["transactions"])).filter_map(|t| t["value"]["amount"].as_f64()).sum();
    let progress = implementations()
        .flat_map(|i| items(&i["milestones"]))
        .filter(|m| m["code"] == PROGRESS_MILESTONE)
        .filter_map(|m| percent(m["title"].as_str().unwrap_or("")))
        .max();
    let has_implementation = implementations().any(|i| i.as_object().is_some_and(|o| !o.is_empty()));
    let stage = if tender["status"] == "cancelled" {
        "cancelled"
    } else if has_implementation {
        "implementation"
    } else if !contracts.is_empty() {
        "contract"
    } else if !active_awards.is_empty() {
        "award"
    } else if tender["status"].as_str().is_some_and(|s| s != "planning") {
        "tender"
    } else {
        "planning"
    };
    let dated = [&tender["tenderPeriod"]["startDate"], &tender["datePublished"], &c["date"]];
    let year = dated.iter().find_map(|d| d.as_str()).and_then(|d| d.get(..4)).and_then(|y| y.parse().ok());
    let location = items(&tender["items"]).find_map(|i| {
        let xy = i["deliveryLocation"]["geometry"]["coordinates"].as_array()?;
        Some((xy.get(1)?.as_f64()?, xy.first()?.as_f64()?))
    });
    let buyer = if c["buyer"].is_object() { &c["buyer"] } else { &tender["procuringEntity"] };
    let mut suppliers: Vec<String> = active_awards.iter().flat_map(|a| items(&a["suppliers"])).map(|s| text(&s["name"])).collect();
    suppliers.dedup();
    Summary {
        ocid: text(&c["ocid"]),
        buyer_id: text(&buyer["id"]),
        buyer_name: text(&buyer["name"]),
        title: [&tender["title"], &c["planning"]["budget"]["description"]]
            .iter()
            .map(|v| text(v))
            .find(|t| !t.is_empty())
            .unwrap_or_default(),
        method: text(&tender["procurementMethod"]),
        method_details: text(&tender["procurementMethodDetails"]),
        category: text(&tender["mainProcurementCategory"]),
        year,
        stage,
        budget: c["planning"]["budget"]["amount"]["amount"].as_f64(),
        tender_value: tender["value"]["amount"].as_f64(),
        award_value: sum(active_awards.iter().map(|a| a["value"]["amount"].as_f64())),
        contract_value: sum(contracts.iter().map(|k| k["value"]["amount"].as_f64())),
        paid,
        progress,
        supplier_names: suppliers.join("; "),
        location,
        updated_ms: c["date"].as_str().and_then(parse_rfc3339).unwrap_or(0),
    }
}

/// Compiles the given processes (all of the region's when `None`) and
/// stores their summaries, then recomputes the flags.
pub async fn refresh(store: &Store, tenant: &str, ocids: Option<&[String]>) -> Result<usize, StoreError> {
    let merger = super::merger();
    let mut tx = store.begin().await?;
    // The request's summaries and the worker's flags write the same rows.
    tx.serialize_on(&format!("contracting:{tenant}")).await?;
    // The region's releases in one read for a full rebuild or a big import;
    // a few processes one by one.
    let rows = match ocids {
        Some(list) if list.len() <= 50 => {
            let mut rows = Vec::new();
            for ocid in list {
                tx.execute(sql("DELETE FROM ocds_processes WHERE tenant_id = $1 AND ocid = $2").bind(tenant).bind(ocid)).await?;
                rows.extend(
                    tx.fetch_all(
                        sql("SELECT ocid, data FROM ocds_releases WHERE tenant_id = $1 AND ocid = $2 ORDER BY date_ms, seq")
                            .bind(tenant)
                            .bind(ocid),
                    )
                    .await?,
                );
            }
            rows
        }
        _ => {
            let all = tx
                .fetch_all(sql("SELECT ocid, data FROM ocds_releases WHERE tenant_id = $1 ORDER BY ocid, date_ms, seq").bind(tenant))
                .await?;
            let wanted: Option<HashSet<&String>> = ocids.map(|l| l.iter().collect());
            let mut kept = Vec::with_capacity(all.len());
            for r in all {
                if wanted.as_ref().is_none_or(|w| r.at::<String>(0).is_ok_and(|o| w.contains(&o))) {
                    kept.push(r);
                }
            }
            match &wanted {
                None => {
                    tx.execute(sql("DELETE FROM ocds_processes WHERE tenant_id = $1").bind(tenant)).await?;
                }
                Some(w) => {
                    for ocid in w {
                        tx.execute(sql("DELETE FROM ocds_processes WHERE tenant_id = $1 AND ocid = $2").bind(tenant).bind(*ocid)).await?;
                    }
                }
            }
            kept
        }
    };
    // Rows come grouped by ocid; each process is parsed, merged and dropped
    // in turn, so a big import holds the releases' text, not all of them parsed.
    let ocids: Vec<String> = rows.iter().map(|r| r.at(0)).collect::<Result<_, _>>()?;
    let mut processes = 0;
    let mut start = 0;
    while start < rows.len() {
        let ocid = &ocids[start];
        let end = start + ocids[start..].iter().take_while(|o| *o == ocid).count();
        let releases: Vec<Value> = rows[start..end]
            .iter()
            .map(|r| serde_json::from_str(&r.at::<String>(1)?).map_err(|e| StoreError::Other(e.to_string())))
            .collect::<Result<_, _>>()?;
        start = end;
        processes += 1;
        let compiled = merger.compiled(&releases).map_err(|e| StoreError::Other(format!("merge of {ocid}: {e}")))?;
        let s = summarize(&compiled);
        tx.execute(
            sql("INSERT INTO ocds_processes (tenant_id, ocid, buyer_id, buyer_name, title, method, method_details, category, year, stage,
                    budget, tender_value, award_value, contract_value, paid, progress, supplier_names, lat, lon, flag_count, updated_ms, compiled)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 0, $20, $21)")
            .bind(tenant)
            .bind(ocid)
            .bind(&s.buyer_id)
            .bind(&s.buyer_name)
            .bind(&s.title)
            .bind(&s.method)
            .bind(&s.method_details)
            .bind(&s.category)
            .bind(s.year)
            .bind(s.stage)
            .bind(s.budget)
            .bind(s.tender_value)
            .bind(s.award_value)
            .bind(s.contract_value)
            .bind(s.paid)
            .bind(s.progress)
            .bind(&s.supplier_names)
            .bind(s.location.map(|l| l.0))
            .bind(s.location.map(|l| l.1))
            .bind(s.updated_ms)
            .bind(compiled.to_string()),
        )
        .await?;
    }
    // The region-wide indicators (Cardinal's are statistics over every
    // process) are recomputed by one job, however many steps ask for it.
    queue_reflag(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(processes)
}

/// Queues the recomputation of the region's flags in the caller's
/// transaction; one waiting job covers every change made before it runs.
pub async fn queue_reflag(tx: &mut crate::store::Tx, tenant: &str) -> Result<(), StoreError> {
    let job = crate::kernel::jobs::NewJob::now(tx.now_ms(), tenant, REFLAG_JOB, "", serde_json::Value::Null);
    crate::kernel::jobs::enqueue(tx, &job).await?;
    Ok(())
}

pub const REFLAG_JOB: &str = "contracting:reflag";
pub const REFRESH_JOB: &str = "contracting:refresh";

/// Every region's summaries and flags, from its releases (after `db copy`):
/// the flags now, not by a job, so the copy is whole when the command ends.
pub async fn rebuild_all(store: &Store) -> Result<(), StoreError> {
    for t in crate::kernel::tenancy::list_tenants(store).await? {
        refresh(store, &t.id, None).await?;
        reflag(store, &t.id).await?;
    }
    Ok(())
}

/// A flag as stored: on the process itself (`OCID`), or on its buyer or a
/// provider (`Buyer`, `Tenderer`), with the indicator's value as text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flag {
    pub kind: String,
    pub subject: String,
    pub code: String,
    pub value: String,
}

/// ICW's scores run 1 (low) to 5 (high risk); 4 and 5 are worth a look.
const ICW_FLAG_FROM: f64 = 4.0;

/// Runs Cardinal's indicators and the Indonesian flags over the region's
/// compiled releases and turns the result into rows. Buyer-level Indonesian
/// flags are also put on the processes that make them up (the December
/// contracts, the repeat winner's awards, the awards just under a ceiling,
/// the penunjukan langsung processes), so a citizen filtering by a flag
/// finds the processes to read.
pub fn flags_of(compiled: &[Value], settings: &ocds::flags::Settings) -> Vec<Flag> {
    let mut cardinal = ocds::flags::Indicators::new(settings.clone());
    let mut local = settings.indonesia.clone().map(ocds::flags::IndonesianFlags::new);
    for c in compiled {
        cardinal.add(c);
        if let Some(l) = &mut local {
            l.add(c);
        }
    }
    let mut out = Vec::new();
    let cardinal = cardinal.finish();
    for kind in ["OCID", "Buyer", "Tenderer"] {
        for (subject, codes) in cardinal[kind].as_object().into_iter().flatten() {
            for (code, value) in codes.as_object().into_iter().flatten() {
                out.push(Flag { kind: kind.into(), subject: subject.clone(), code: code.clone(), value: value.to_string() });
            }
        }
    }
    let (Some(local), Some(s)) = (local, &settings.indonesia) else { return out };
    let local = local.finish();
    for (ocid, codes) in local["OCID"].as_object().into_iter().flatten() {
        for (code, value) in codes.as_object().into_iter().flatten() {
            let score = value.as_f64().unwrap_or(0.0);
            // The ICW scores flag from 4; the others are flags whenever set.
            let scored = matches!(code.as_str(), "ID_HPS" | "ID_DURASI");
            if !scored || score >= ICW_FLAG_FROM {
                out.push(Flag { kind: "OCID".into(), subject: ocid.clone(), code: code.clone(), value: value.to_string() });
            }
        }
    }
    let buyers = local["Buyer"].as_object().cloned().unwrap_or_default();
    for (buyer, codes) in &buyers {
        for (code, value) in codes.as_object().into_iter().flatten() {
            out.push(Flag { kind: "Buyer".into(), subject: buyer.clone(), code: code.clone(), value: value.to_string() });
        }
    }
    for c in compiled {
        let Some(codes) = c["buyer"]["id"].as_str().and_then(|b| buyers.get(b)) else { continue };
        for code in member_codes(c, codes, s) {
            out.push(Flag { kind: "OCID".into(), subject: text(&c["ocid"]), code: code.into(), value: "1.0".into() });
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.kind == b.kind && a.subject == b.subject && a.code == b.code);
    out
}

/// Which of its buyer's flags a process is part of.
fn member_codes(c: &Value, buyer_flags: &Value, s: &ocds::flags::IndonesianSettings) -> Vec<&'static str> {
    let mut codes = Vec::new();
    let tender = &c["tender"];
    let award = items(&c["awards"]).find(|a| a["status"] != "cancelled" && a["status"] != "unsuccessful");
    let suppliers: HashSet<&str> = award.into_iter().flat_map(|a| items(&a["suppliers"])).filter_map(|s| s["id"].as_str()).collect();
    let details = tender["procurementMethodDetails"].as_str().unwrap_or("").to_lowercase();
    if buyer_flags.get("ID_PENUNJUKAN_LANGSUNG").is_some() && details.contains("penunjukan langsung") {
        codes.push("ID_PENUNJUKAN_LANGSUNG");
    }
    // December contracts of a year in which the buyer's December share was flagged.
    let december_years = buyer_flags.get("ID_DESEMBER").and_then(|v| v.as_object());
    let in_flagged_december =
        |d: &str| d.get(5..7) == Some("12") && d.get(..4).is_some_and(|y| december_years.is_some_and(|m| m.contains_key(y)));
    if items(&c["contracts"]).any(|k| k["dateSigned"].as_str().is_some_and(in_flagged_december)) {
        codes.push("ID_DESEMBER");
    }
    if let Some(repeat) = buyer_flags.get("ID_PEMENANG_BERULANG").and_then(|r| r.as_object())
        && suppliers.iter().any(|s| repeat.contains_key(*s))
    {
        codes.push("ID_PEMENANG_BERULANG");
    }
    if let (Some(split), Some(a)) = (buyer_flags.get("ID_PEMECAHAN").and_then(|v| v.as_array()), award) {
        let month = a["date"].as_str().and_then(|d| d.get(..7)).unwrap_or("");
        let value = a["value"]["amount"].as_f64().unwrap_or(0.0);
        let ceiling = match tender["mainProcurementCategory"].as_str() {
            _ if details.contains("konsult") => s.ceiling_consulting,
            Some("works") => s.ceiling_works,
            _ => s.ceiling_goods,
        };
        let near = value >= s.splitting_band * ceiling && value <= ceiling;
        if near && split.iter().filter_map(|v| v.as_str()).any(|e| suppliers.iter().any(|s| e.starts_with(&format!("{s} {month}:")))) {
            codes.push("ID_PEMECAHAN");
        }
    }
    codes
}

/// Recomputes the region's flags from the stored compiled releases, with
/// its settings, and replaces the old ones in one transaction.
pub async fn reflag(store: &Store, tenant: &str) -> Result<(), StoreError> {
    let settings = super::settings::flag_settings(store, tenant).await?;
    let rows = store.fetch_all(sql("SELECT compiled FROM ocds_processes WHERE tenant_id = $1 ORDER BY ocid").bind(tenant)).await?;
    let compiled: Vec<Value> = rows.iter().filter_map(|r| r.at::<String>(0).ok()).filter_map(|t| serde_json::from_str(&t).ok()).collect();
    let flags = tokio::task::spawn_blocking(move || flags_of(&compiled, &settings)).await.map_err(|e| StoreError::Other(e.to_string()))?;
    let mut per_process: HashMap<&str, i64> = HashMap::new();
    for f in flags.iter().filter(|f| f.kind == "OCID") {
        *per_process.entry(f.subject.as_str()).or_default() += 1;
    }
    let mut tx = store.begin().await?;
    // The request's summaries and the worker's flags write the same rows.
    tx.serialize_on(&format!("contracting:{tenant}")).await?;
    tx.execute(sql("DELETE FROM ocds_flags WHERE tenant_id = $1").bind(tenant)).await?;
    for f in &flags {
        tx.execute(
            sql("INSERT INTO ocds_flags (tenant_id, kind, subject, code, value) VALUES ($1, $2, $3, $4, $5)")
                .bind(tenant)
                .bind(&f.kind)
                .bind(&f.subject)
                .bind(&f.code)
                .bind(&f.value),
        )
        .await?;
    }
    tx.execute(sql("UPDATE ocds_processes SET flag_count = 0 WHERE tenant_id = $1").bind(tenant)).await?;
    for (ocid, n) in per_process {
        tx.execute(sql("UPDATE ocds_processes SET flag_count = $3 WHERE tenant_id = $1 AND ocid = $2").bind(tenant).bind(ocid).bind(n))
            .await?;
    }
    tx.commit().await?;
    tracing::debug!(tenant, flags = flags.len(), at = store.now_ms(), "red flags recomputed");
    Ok(())
}

/// The flags touching one process: its own, its buyer's, its providers'.
pub async fn flags_for(
    store: &Store,
    tenant: &str,
    s: &Summary,
    provider_ids: &[String],
) -> Result<BTreeMap<String, Vec<Flag>>, StoreError> {
    let mut out: BTreeMap<String, Vec<Flag>> = BTreeMap::new();
    let mut wanted = vec![("OCID", s.ocid.clone()), ("Buyer", s.buyer_id.clone())];
    wanted.extend(provider_ids.iter().map(|p| ("Tenderer", p.clone())));
    for (kind, subject) in wanted {
        let rows = store
            .fetch_all(
                sql("SELECT code, value FROM ocds_flags WHERE tenant_id = $1 AND kind = $2 AND subject = $3 ORDER BY code")
                    .bind(tenant)
                    .bind(kind)
                    .bind(&subject),
            )
            .await?;
        for r in rows {
            out.entry(kind.to_string()).or_default().push(Flag {
                kind: kind.into(),
                subject: subject.clone(),
                code: r.at(0)?,
                value: r.at(1)?,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_percent_from_titles() {
        assert_eq!(percent("Progres fisik 40%"), Some(40));
        assert_eq!(percent("Progres fisik 100%"), Some(100));
        assert_eq!(percent("Progres fisik"), None);
        assert_eq!(percent("Progres 140%"), None);
    }
}
