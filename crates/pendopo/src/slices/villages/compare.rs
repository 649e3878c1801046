//! The regency's comparison of all villages for a year: Dana Desa and ADD
//! per resident, realisation, IDM status and its change, and the
//! transparency score with the Festival Transparansi Desa ranking (the
//! regency's and the kecamatan's). Grouped reads, one per table, never a
//! village at a time: 430 villages are a handful of queries.

use std::collections::HashMap;

use anggaran::idm::Status;
use anggaran::transparency::{self, Item};
use kalender::Date;
use serde::Serialize;

use super::repo;
use crate::store::{Store, StoreError, sql};

/// One village's figures.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub kecamatan: String,
    pub kecamatan_name: String,
    pub kelurahan: bool,
    /// The sum of the dusun populations of the profile (0 without one).
    pub population: i64,
    pub dana_desa: i64,
    pub add: i64,
    pub dana_desa_per_resident: Option<i64>,
    pub add_per_resident: Option<i64>,
    pub belanja: i64,
    pub realised: i64,
    /// Belanja realised over planned, in hundredths of a percent.
    pub realisation_bp: Option<i64>,
    pub realisation: Option<String>,
    /// Versions of the year's APBDes (more than one: amended).
    pub versions: i64,
    /// Lines realised above plan (each with its reason).
    pub above_plan: i64,
    pub idm: Option<f64>,
    pub status: Option<&'static str>,
    pub previous_status: Option<&'static str>,
    /// Steps up (positive) or down the five statuses since last year.
    pub status_change: Option<i64>,
    pub transparency: String,
    pub transparency_hundredths: u64,
    /// Which of the five items count, in `Item::ALL` order.
    pub items: [bool; 5],
    pub rank: usize,
    pub rank_kecamatan: usize,
}

/// Where the population comes from (said beside every per-resident figure).
pub const POPULATION_SOURCE: &str = "profil_dusun";

fn per_resident(amount: i64, population: i64) -> Option<i64> {
    (population > 0).then(|| amount / population)
}

fn percent(bp: i64) -> String {
    format!("{},{:02}", bp / 100, bp % 100)
}

/// Figures of every village of the region for `year`, as of `today`, in
/// ranking order.
pub async fn rows(store: &Store, tenant: &str, year: i32, today: Date, offset: i64) -> Result<Vec<Row>, StoreError> {
    let villages = repo::villages(store, tenant).await?;
    let (settings, _) = repo::settings(store, tenant).await?;
    let day = |ms: Option<i64>| ms.and_then(|ms| Date::from_unix_millis(ms, offset));
    let y = year as i64;

    // The latest published version of each village's APBDes, and when the
    // first was published.
    struct Budget {
        dana_desa: i64,
        add: i64,
        belanja: i64,
        realised: i64,
        above_plan: i64,
        versions: i64,
        first_published: Option<i64>,
        realised_at: Option<i64>,
    }
    let mut budgets: HashMap<String, Budget> = HashMap::new();
    for r in store
        .fetch_all(
            sql("SELECT desa_code, dana_desa, alokasi_dana_desa, belanja, belanja_s1, belanja_s2, above_plan, published_at, realised_at \
                 FROM village_apbdes WHERE tenant_id = $1 AND year = $2 AND status = 'published' ORDER BY desa_code, version")
            .bind(tenant)
            .bind(y),
        )
        .await?
    {
        let code: String = r.get("desa_code")?;
        let published: Option<i64> = r.get("published_at")?;
        let realised_at: Option<i64> = r.get("realised_at")?;
        let prev = budgets.remove(&code);
        budgets.insert(
            code,
            Budget {
                dana_desa: r.get("dana_desa")?,
                add: r.get("alokasi_dana_desa")?,
                belanja: r.get("belanja")?,
                realised: r.get::<i64>("belanja_s1")? + r.get::<i64>("belanja_s2")?,
                above_plan: r.get("above_plan")?,
                versions: prev.as_ref().map_or(0, |p| p.versions) + 1,
                first_published: prev.as_ref().and_then(|p| p.first_published).or(published),
                realised_at: realised_at.or(prev.and_then(|p| p.realised_at)),
            },
        );
    }
    let mut profiles: HashMap<String, (i64, i64)> = HashMap::new();
    for r in
        store.fetch_all(sql("SELECT desa_code, population, updated_at FROM village_profiles WHERE tenant_id = $1").bind(tenant)).await?
    {
        profiles.insert(r.get("desa_code")?, (r.get("population")?, r.get("updated_at")?));
    }
    let mut idm: HashMap<(String, i64), (i64, String)> = HashMap::new();
    for r in store
        .fetch_all(
            sql("SELECT desa_code, year, idm, status FROM village_idm WHERE tenant_id = $1 AND year IN ($2, $3)")
                .bind(tenant)
                .bind(y)
                .bind(y - 1),
        )
        .await?
    {
        idm.insert((r.get("desa_code")?, r.get("year")?), (r.get("idm")?, r.get("status")?));
    }
    let mut docs: HashMap<(String, String), i64> = HashMap::new();
    for r in store
        .fetch_all(
            sql("SELECT desa_code, kind, MAX(created_at) AS latest FROM village_documents WHERE tenant_id = $1 AND year = $2 GROUP BY desa_code, kind")
                .bind(tenant)
                .bind(y),
        )
        .await?
    {
        docs.insert((r.get("desa_code")?, r.get("kind")?), r.get("latest")?);
    }

    let mut scores = Vec::with_capacity(villages.len());
    let mut out = Vec::with_capacity(villages.len());
    for v in villages {
        let Ok(code) = wilayah::Code::parse(&v.code) else { continue };
        let b = budgets.get(&v.code);
        let (population, profile_at) = profiles.get(&v.code).copied().map_or((0, None), |(p, at)| (p, Some(at)));
        let published = [
            day(b.and_then(|b| b.first_published)),
            day(b.and_then(|b| b.realised_at)),
            day(docs.get(&(v.code.clone(), "lpj".into())).copied()),
            day(docs.get(&(v.code.clone(), "baliho".into())).copied()),
            day(profile_at),
        ];
        let score = transparency::score(code, published, today, &settings).map_err(|e| StoreError::Other(e.code().into()))?;
        let status_of = |year: i64| idm.get(&(v.code.clone(), year)).and_then(|(_, s)| Status::parse(s));
        let (now, before) = (status_of(y), status_of(y - 1));
        let (dana_desa, add, belanja, realised) = b.map_or((0, 0, 0, 0), |b| (b.dana_desa, b.add, b.belanja, b.realised));
        let realisation_bp = (belanja > 0).then(|| ((realised as i128 * 10_000) / belanja as i128) as i64);
        out.push(Row {
            population,
            dana_desa,
            add,
            dana_desa_per_resident: per_resident(dana_desa, population),
            add_per_resident: per_resident(add, population),
            belanja,
            realised,
            realisation_bp,
            realisation: realisation_bp.map(percent),
            versions: b.map_or(0, |b| b.versions),
            above_plan: b.map_or(0, |b| b.above_plan),
            idm: idm.get(&(v.code.clone(), y)).map(|(i, _)| *i as f64 / 10_000.0),
            status: now.map(Status::code),
            previous_status: before.map(Status::code),
            status_change: now.zip(before).map(|(n, b)| n as i64 - b as i64),
            transparency: score.decimal(),
            transparency_hundredths: score.hundredths(),
            items: std::array::from_fn(|i| score.items[i].percent > 0),
            rank: 0,
            rank_kecamatan: 0,
            code: v.code,
            name: v.name,
            kecamatan: v.kecamatan,
            kecamatan_name: v.kecamatan_name,
            kelurahan: v.kelurahan,
        });
        scores.push(score);
    }
    let mut at: HashMap<String, usize> = out.iter().enumerate().map(|(i, r)| (r.code.clone(), i)).collect();
    for ranked in transparency::rank(&scores) {
        if let Some(&i) = at.get(&ranked.score.desa.to_string()) {
            out[i].rank = ranked.rank;
        }
    }
    for list in transparency::rank_by_kecamatan(&scores).values() {
        for ranked in list {
            if let Some(&i) = at.get(&ranked.score.desa.to_string()) {
                out[i].rank_kecamatan = ranked.rank;
            }
        }
    }
    at.clear();
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.code.cmp(&b.code)));
    Ok(out)
}

/// The columns the table sorts by (`?urut=`), each with its key.
pub const SORTS: [&str; 8] = ["peringkat", "nama", "kecamatan", "dana_desa", "add", "realisasi", "idm", "transparansi"];

/// Sorts rows by a column of [`SORTS`]; `desc` reverses. Missing figures
/// go last either way.
pub fn sort(rows: &mut [Row], by: &str, desc: bool) {
    fn key(r: &Row, by: &str) -> Option<i64> {
        match by {
            "dana_desa" => r.dana_desa_per_resident,
            "add" => r.add_per_resident,
            "realisasi" => r.realisation_bp,
            "idm" => r.idm.map(|i| (i * 10_000.0).round() as i64),
            "transparansi" => Some(r.transparency_hundredths as i64),
            _ => Some(r.rank as i64),
        }
    }
    match by {
        "nama" => rows.sort_by(|a, b| a.name.cmp(&b.name)),
        "kecamatan" => rows.sort_by(|a, b| a.kecamatan_name.cmp(&b.kecamatan_name).then_with(|| a.name.cmp(&b.name))),
        _ => rows.sort_by(|a, b| match (key(a, by), key(b, by)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }),
    }
    if desc {
        // Reversing keeps missing figures last: move them back after.
        rows.reverse();
        let missing = rows.iter().take_while(|r| key(r, by).is_none() && !matches!(by, "nama" | "kecamatan")).count();
        rows.rotate_left(missing);
    }
}

/// The transparency items' codes, for the table's header.
pub fn item_codes() -> [&'static str; 5] {
    Item::ALL.map(Item::code)
}
