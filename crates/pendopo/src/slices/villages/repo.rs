//! The villages' tables: who the villages are (the region table), their
//! APBDes versions and lines, profiles, IDM scores, documents, reviews and
//! the regency's settings. Writes that belong together are one transaction.

use anggaran::Rupiah;
use anggaran::apbdes::{self, Apbdes, CodeList, LineInput, SumberPendapatan};
use serde::Serialize;

use crate::store::{Store, StoreError, Tx, Value, sql};

type Result<T> = std::result::Result<T, StoreError>;

/// A desa or kelurahan of the region, from `tenant_regions`.
#[derive(Clone, Debug, Serialize)]
pub struct Village {
    pub code: String,
    pub name: String,
    pub kecamatan: String,
    pub kecamatan_name: String,
    pub kelurahan: bool,
}

macro_rules! villages_where {
    ($tail:literal) => {
        concat!(
            "SELECT v.code, v.name, v.level, v.parent_code, k.name AS kecamatan_name FROM tenant_regions v ",
            "LEFT JOIN tenant_regions k ON k.tenant_id = v.tenant_id AND k.code = v.parent_code ",
            "WHERE v.tenant_id = $1 AND v.level IN ('desa', 'kelurahan')",
            $tail
        )
    };
}

fn village_of(r: &crate::store::Row) -> Result<Village> {
    Ok(Village {
        code: r.get("code")?,
        name: r.get("name")?,
        kelurahan: r.get::<String>("level")? == "kelurahan",
        kecamatan: r.get::<Option<String>>("parent_code")?.unwrap_or_default(),
        kecamatan_name: r.get::<Option<String>>("kecamatan_name")?.unwrap_or_default(),
    })
}

/// Every village of the region, in code order (a kecamatan's together).
pub async fn villages(store: &Store, tenant: &str) -> Result<Vec<Village>> {
    let rows = store.fetch_all(sql(villages_where!(" ORDER BY v.code")).bind(tenant)).await?;
    rows.iter().map(village_of).collect()
}

pub async fn village(store: &Store, tenant: &str, code: &str) -> Result<Option<Village>> {
    let row = store.fetch_optional(sql(villages_where!(" AND v.code = $2")).bind(tenant).bind(code)).await?;
    row.as_ref().map(village_of).transpose()
}

/// One version of a year's APBDes.
#[derive(Clone, Debug, Serialize)]
pub struct Version {
    pub version: i64,
    pub status: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub realised_at: Option<i64>,
    pub pre_2018: bool,
}

pub async fn versions(store: &Store, tenant: &str, desa: &str, year: i32) -> Result<Vec<Version>> {
    let rows = store
        .fetch_all(
            sql("SELECT version, status, created_at, published_at, realised_at, pre_2018 FROM village_apbdes \
                 WHERE tenant_id = $1 AND desa_code = $2 AND year = $3 ORDER BY version")
            .bind(tenant)
            .bind(desa)
            .bind(year as i64),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.get("version")?,
                status: r.get("status")?,
                created_at: r.get("created_at")?,
                published_at: r.get("published_at")?,
                realised_at: r.get("realised_at")?,
                pre_2018: r.get::<i64>("pre_2018")? != 0,
            })
        })
        .collect()
}

/// A version's lines as they were given (codes as text), in order.
async fn stored_lines(tx: Option<&mut Tx>, store: &Store, key: (&str, &str, i32, i64)) -> Result<Vec<LineInput>> {
    let q = sql("SELECT seq, kode, akun, nama, sumber, anggaran, realisasi_s1, realisasi_s2, alasan FROM village_apbdes_lines \
                 WHERE tenant_id = $1 AND desa_code = $2 AND year = $3 AND version = $4 ORDER BY seq")
    .bind(key.0)
    .bind(key.1)
    .bind(key.2 as i64)
    .bind(key.3);
    let rows = match tx {
        Some(tx) => tx.fetch_all(q).await?,
        None => store.fetch_all(q).await?,
    };
    let amount = |v: Option<i64>| v.map(|a| a.to_string()).unwrap_or_default();
    rows.iter()
        .map(|r| {
            Ok(LineInput {
                line: r.get::<i64>("seq")? as usize,
                kode: r.get("kode")?,
                akun: r.get("akun")?,
                nama: r.get("nama")?,
                sumber: r.get("sumber")?,
                anggaran: r.get::<i64>("anggaran")?.to_string(),
                realisasi_s1: amount(r.get("realisasi_s1")?),
                realisasi_s2: amount(r.get("realisasi_s2")?),
                alasan: r.get::<Option<String>>("alasan")?.unwrap_or_default(),
            })
        })
        .collect()
}

/// A stored budget checked again for its totals. It was checked when it
/// was stored; the balance is not asked again (a regency that later
/// narrows its tolerance does not unpublish old budgets).
pub fn recheck(lines: &[LineInput], pre_2018: bool) -> Option<Apbdes> {
    let settings = apbdes::Settings { tolerance: Rupiah::new(i64::MAX / 4), pre_2018 };
    apbdes::check(lines, &CodeList::embedded(), &settings).ok()
}

/// A version's lines and its checked budget.
pub async fn budget(store: &Store, tenant: &str, desa: &str, year: i32, version: &Version) -> Result<(Vec<LineInput>, Option<Apbdes>)> {
    let lines = stored_lines(None, store, (tenant, desa, year, version.version)).await?;
    let checked = recheck(&lines, version.pre_2018);
    Ok((lines, checked))
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Saved {
    pub version: i64,
    /// A new version over a published one whose plan changed.
    pub perubahan: bool,
    pub published: bool,
}

/// Stores a checked budget: over a draft it replaces the draft; over a
/// published version whose plan is unchanged (only realisation reported)
/// it updates that version; over a published version whose plan moved it
/// adds the next version, the APBDes Perubahan, keeping the old one.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    store: &Store,
    tenant: &str,
    desa: &str,
    year: i32,
    user: &str,
    lines: &[LineInput],
    checked: &Apbdes,
    publish: bool,
    pre_2018: bool,
) -> Result<Saved> {
    let mut tx = store.begin().await?;
    tx.serialize_on(&format!("village-apbdes:{tenant}:{desa}:{year}")).await?;
    let now = tx.now_ms();
    let latest = tx
        .fetch_optional(
            sql(
                "SELECT version, status, pre_2018, published_at FROM village_apbdes WHERE tenant_id = $1 AND desa_code = $2 AND year = $3 \
                 ORDER BY version DESC LIMIT 1",
            )
            .bind(tenant)
            .bind(desa)
            .bind(year as i64),
        )
        .await?;
    let realised = lines.iter().any(|l| !l.realisasi_s1.trim().is_empty() || !l.realisasi_s2.trim().is_empty());
    let (version, replace, perubahan, published_at) = match latest {
        None => (1, false, false, None),
        Some(r) => {
            let (v, status): (i64, String) = (r.get("version")?, r.get("status")?);
            if status == "draft" {
                (v, true, v > 1, None)
            } else {
                let old = stored_lines(Some(&mut tx), store, (tenant, desa, year, v)).await?;
                let before = recheck(&old, r.get::<i64>("pre_2018")? != 0);
                let moved = before.is_none_or(|b| !apbdes::changes(&b, checked).is_empty());
                if moved { (v + 1, false, true, None) } else { (v, true, false, r.get::<Option<i64>>("published_at")?) }
            }
        }
    };
    let publish = publish || published_at.is_some();
    let row = VersionRow {
        status: if publish { "published" } else { "draft" },
        pre_2018,
        user,
        created_at: now,
        published_at: if publish { Some(published_at.unwrap_or(now)) } else { None },
        realised_at: realised.then_some(now),
    };
    let values = version_values((tenant, desa, year, version), checked, &row);
    if replace {
        tx.execute(
            sql("DELETE FROM village_apbdes_lines WHERE tenant_id = $1 AND desa_code = $2 AND year = $3 AND version = $4")
                .bind(tenant)
                .bind(desa)
                .bind(year as i64)
                .bind(version),
        )
        .await?;
        tx.execute(
            sql(
                "UPDATE village_apbdes SET status = $5, pendapatan = $6, belanja = $7, belanja_s1 = $8, belanja_s2 = $9, dana_desa = $10, \
                 alokasi_dana_desa = $11, above_plan = $12, pre_2018 = $13, created_by = $14, published_at = $16, \
                 realised_at = COALESCE($17, realised_at), created_at = CASE WHEN status = 'draft' THEN $15 ELSE created_at END \
                 WHERE tenant_id = $1 AND desa_code = $2 AND year = $3 AND version = $4",
            )
            .bind_all(values),
        )
        .await?;
    } else {
        tx.execute(sql(INSERT_VERSION).bind_all(values)).await?;
    }
    insert_lines(&mut tx, tenant, desa, year, version, lines).await?;
    crate::slices::villages::datasets::changed(&mut tx, tenant, now).await?;
    tx.commit().await?;
    Ok(Saved { version, perubahan, published: publish })
}

/// A version's row besides its totals.
pub struct VersionRow<'a> {
    pub status: &'static str,
    pub pre_2018: bool,
    pub user: &'a str,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub realised_at: Option<i64>,
}

/// The values of a `village_apbdes` row ($1..$17), totals from the checked budget.
pub fn version_values(key: (&str, &str, i32, i64), checked: &Apbdes, row: &VersionRow<'_>) -> Vec<Value> {
    let t = &checked.totals;
    let source = |s: SumberPendapatan| t.by_source.get(&s).map_or(0, |a| a.plan.get());
    vec![
        key.0.into(),
        key.1.into(),
        (key.2 as i64).into(),
        key.3.into(),
        row.status.into(),
        t.pendapatan.plan.get().into(),
        t.belanja.plan.get().into(),
        t.belanja.s1.get().into(),
        t.belanja.s2.get().into(),
        source(SumberPendapatan::DanaDesa).into(),
        source(SumberPendapatan::Add).into(),
        (checked.above_plan().count() as i64).into(),
        row.pre_2018.into(),
        row.user.into(),
        row.created_at.into(),
        Value::from(row.published_at),
        Value::from(row.realised_at),
    ]
}

pub const VERSION_COLUMNS: &str = "tenant_id, desa_code, year, version, status, pendapatan, belanja, belanja_s1, belanja_s2, \
    dana_desa, alokasi_dana_desa, above_plan, pre_2018, created_by, created_at, published_at, realised_at";

pub const INSERT_VERSION: &str = "INSERT INTO village_apbdes (tenant_id, desa_code, year, version, status, pendapatan, belanja, \
    belanja_s1, belanja_s2, dana_desa, alokasi_dana_desa, above_plan, pre_2018, created_by, created_at, published_at, realised_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

pub const LINE_COLUMNS: &str =
    "tenant_id, desa_code, year, version, seq, kode, akun, nama, sumber, anggaran, realisasi_s1, realisasi_s2, alasan";

/// A line's values in [`LINE_COLUMNS`] order.
pub fn line_values(key: (&str, &str, i32, i64), l: &LineInput) -> Vec<Value> {
    let amount = |s: &str| if s.trim().is_empty() { None } else { Rupiah::parse(s).ok().map(|r| r.get()) };
    vec![
        key.0.into(),
        key.1.into(),
        (key.2 as i64).into(),
        key.3.into(),
        (l.line as i64).into(),
        l.kode.trim().into(),
        l.akun.trim().into(),
        l.nama.trim().into(),
        l.sumber.trim().to_uppercase().into(),
        Value::from(amount(&l.anggaran).unwrap_or(0)),
        Value::from(amount(&l.realisasi_s1)),
        Value::from(amount(&l.realisasi_s2)),
        Value::from(Some(l.alasan.trim()).filter(|a| !a.is_empty())),
    ]
}

/// A version's lines, many to a statement.
pub async fn insert_lines(tx: &mut Tx, tenant: &str, desa: &str, year: i32, version: i64, lines: &[LineInput]) -> Result<()> {
    let rows = lines.iter().map(|l| line_values((tenant, desa, year, version), l));
    crate::store::insert_rows(tx, &format!("village_apbdes_lines ({LINE_COLUMNS})"), rows).await
}

/// A village's profile.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Profile {
    pub kepala_desa: String,
    pub alamat: String,
    pub fasilitas: String,
    pub bumdes: String,
    pub dusun: Vec<Dusun>,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Dusun {
    pub nama: String,
    pub penduduk: i64,
}

impl Profile {
    /// The population as the sum of the dusun's (the region has no other
    /// population source; pages and the API say so).
    pub fn population(&self) -> i64 {
        self.dusun.iter().map(|d| d.penduduk.max(0)).sum()
    }
}

pub async fn profile(store: &Store, tenant: &str, desa: &str) -> Result<Option<Profile>> {
    let row = store
        .fetch_optional(
            sql("SELECT head_name, address, facilities, bumdes, dusun, updated_at FROM village_profiles WHERE tenant_id = $1 AND desa_code = $2")
                .bind(tenant)
                .bind(desa),
        )
        .await?;
    row.map(|r| {
        Ok(Profile {
            kepala_desa: r.get("head_name")?,
            alamat: r.get("address")?,
            fasilitas: r.get("facilities")?,
            bumdes: r.get("bumdes")?,
            dusun: serde_json::from_str(&r.get::<String>("dusun")?).unwrap_or_default(),
            updated_at: Some(r.get("updated_at")?),
        })
    })
    .transpose()
}

pub async fn save_profile(store: &Store, tenant: &str, desa: &str, user: &str, p: &Profile) -> Result<()> {
    let mut tx = store.begin().await?;
    let now = tx.now_ms();
    let dusun = serde_json::to_string(&p.dusun).unwrap_or_else(|_| "[]".into());
    tx.execute(sql("DELETE FROM village_profiles WHERE tenant_id = $1 AND desa_code = $2").bind(tenant).bind(desa)).await?;
    tx.execute(
        sql("INSERT INTO village_profiles (tenant_id, desa_code, head_name, address, facilities, bumdes, dusun, population, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(tenant)
        .bind(desa)
        .bind(p.kepala_desa.trim())
        .bind(p.alamat.trim())
        .bind(p.fasilitas.trim())
        .bind(p.bumdes.trim())
        .bind(dusun)
        .bind(p.population())
        .bind(user)
        .bind(now),
    )
    .await?;
    crate::slices::villages::datasets::changed(&mut tx, tenant, now).await?;
    tx.commit().await
}

/// A year's IDM as stored.
#[derive(Clone, Debug)]
pub struct IdmRow {
    pub year: i32,
    pub scores: [u8; 50],
    pub source: String,
}

pub async fn idm_history(store: &Store, tenant: &str, desa: &str) -> Result<Vec<IdmRow>> {
    let rows = store
        .fetch_all(
            sql("SELECT year, scores, source FROM village_idm WHERE tenant_id = $1 AND desa_code = $2 ORDER BY year")
                .bind(tenant)
                .bind(desa),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let text: String = r.get("scores")?;
            let mut scores = [0u8; 50];
            for (s, b) in scores.iter_mut().zip(text.bytes()) {
                *s = b.saturating_sub(b'0');
            }
            Ok(IdmRow { year: r.get::<i64>("year")? as i32, scores, source: r.get("source")? })
        })
        .collect()
}

/// The 50 scores as the 50 digits `village_idm.scores` holds.
pub fn score_digits(scores: &anggaran::idm::Scores) -> String {
    scores.named().map(|(_, s)| char::from(b'0' + s)).collect()
}

/// Stores a year's scores (many villages at once for the regency's import),
/// all in one transaction.
pub async fn save_idm(store: &Store, tenant: &str, year: i32, source: &str, scored: &[(String, anggaran::idm::Scores)]) -> Result<()> {
    let mut tx = store.begin().await?;
    let now = tx.now_ms();
    for (desa, scores) in scored {
        let idm = anggaran::idm::compute(scores);
        let digits = score_digits(scores);
        tx.execute(
            sql("DELETE FROM village_idm WHERE tenant_id = $1 AND desa_code = $2 AND year = $3").bind(tenant).bind(desa).bind(year as i64),
        )
        .await?;
        tx.execute(
            sql("INSERT INTO village_idm (tenant_id, desa_code, year, scores, idm, status, source, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(tenant)
                .bind(desa)
                .bind(year as i64)
                .bind(digits)
                .bind(idm.idm.ten_thousandths() as i64)
                .bind(idm.status.code())
                .bind(source)
                .bind(now),
        )
        .await?;
    }
    crate::slices::villages::datasets::changed(&mut tx, tenant, now).await?;
    tx.commit().await
}

/// A transparency document (LPJ or billboard photo), without its bytes.
#[derive(Clone, Debug, Serialize)]
pub struct Document {
    pub id: String,
    pub year: i32,
    pub kind: String,
    pub media_type: String,
    pub place: String,
    pub taken_on: Option<String>,
    pub created_at: i64,
}

pub async fn documents(store: &Store, tenant: &str, desa: &str) -> Result<Vec<Document>> {
    let rows = store
        .fetch_all(
            sql("SELECT id, year, kind, media_type, place, taken_on, created_at FROM village_documents \
                 WHERE tenant_id = $1 AND desa_code = $2 ORDER BY year DESC, created_at DESC")
            .bind(tenant)
            .bind(desa),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Document {
                id: r.get("id")?,
                year: r.get::<i64>("year")? as i32,
                kind: r.get("kind")?,
                media_type: r.get("media_type")?,
                place: r.get("place")?,
                taken_on: r.get("taken_on")?,
                created_at: r.get("created_at")?,
            })
        })
        .collect()
}

/// A new document.
pub struct NewDocument<'a> {
    pub desa: &'a str,
    pub year: i32,
    pub kind: &'a str,
    pub media_type: &'a str,
    pub content: Vec<u8>,
    pub place: &'a str,
    pub taken_on: Option<String>,
    pub user: &'a str,
}

pub async fn add_document(store: &Store, tenant: &str, d: NewDocument<'_>) -> Result<String> {
    let mut tx = store.begin().await?;
    let now = tx.now_ms();
    let id = crate::kernel::identity::new_id();
    tx.execute(
        sql("INSERT INTO village_documents (tenant_id, id, desa_code, year, kind, media_type, content, place, taken_on, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(tenant)
        .bind(&id)
        .bind(d.desa)
        .bind(d.year as i64)
        .bind(d.kind)
        .bind(d.media_type)
        .bind(d.content)
        .bind(d.place)
        .bind(d.taken_on)
        .bind(d.user)
        .bind(now),
    )
    .await?;
    crate::slices::villages::datasets::changed(&mut tx, tenant, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// A document's media type and bytes.
pub async fn document_content(store: &Store, tenant: &str, desa: &str, id: &str) -> Result<Option<(String, Vec<u8>)>> {
    let row = store
        .fetch_optional(
            sql("SELECT media_type, content FROM village_documents WHERE tenant_id = $1 AND desa_code = $2 AND id = $3")
                .bind(tenant)
                .bind(desa)
                .bind(id),
        )
        .await?;
    row.map(|r| Ok((r.get("media_type")?, r.get("content")?))).transpose()
}

/// The DPMD's review of a village's year.
#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub state: String,
    pub note: String,
    pub reviewed_at: i64,
}

pub async fn review(store: &Store, tenant: &str, desa: &str, year: i32) -> Result<Option<Review>> {
    let row = store
        .fetch_optional(
            sql("SELECT state, note, reviewed_at FROM village_reviews WHERE tenant_id = $1 AND desa_code = $2 AND year = $3")
                .bind(tenant)
                .bind(desa)
                .bind(year as i64),
        )
        .await?;
    row.map(|r| Ok(Review { state: r.get("state")?, note: r.get("note")?, reviewed_at: r.get("reviewed_at")? })).transpose()
}

pub async fn save_review(store: &Store, tenant: &str, desa: &str, year: i32, state: &str, note: &str, reviewer: &str) -> Result<()> {
    let mut tx = store.begin().await?;
    let now = tx.now_ms();
    tx.execute(
        sql("DELETE FROM village_reviews WHERE tenant_id = $1 AND desa_code = $2 AND year = $3").bind(tenant).bind(desa).bind(year as i64),
    )
    .await?;
    tx.execute(
        sql("INSERT INTO village_reviews (tenant_id, desa_code, year, state, note, reviewer, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(tenant)
            .bind(desa)
            .bind(year as i64)
            .bind(state)
            .bind(note)
            .bind(reviewer)
            .bind(now),
    )
    .await?;
    tx.commit().await
}

/// The regency's settings, or the documented defaults.
pub async fn settings(store: &Store, tenant: &str) -> Result<(anggaran::transparency::Settings, Rupiah)> {
    let row = store
        .fetch_optional(sql("SELECT weights, fresh_days, stale_percent, tolerance FROM village_settings WHERE tenant_id = $1").bind(tenant))
        .await?;
    let Some(r) = row else { return Ok((Default::default(), Rupiah::ZERO)) };
    let mut weights = [0u32; 5];
    for (w, part) in weights.iter_mut().zip(r.get::<String>("weights")?.split(',')) {
        *w = part.trim().parse().unwrap_or(0);
    }
    let s = anggaran::transparency::Settings {
        weights,
        fresh_days: r.get::<i64>("fresh_days")? as u32,
        stale_percent: r.get::<i64>("stale_percent")? as u32,
    };
    Ok((s, Rupiah::new(r.get("tolerance")?)))
}

pub async fn save_settings(store: &Store, tenant: &str, s: &anggaran::transparency::Settings, tolerance: Rupiah) -> Result<()> {
    let mut tx = store.begin().await?;
    let now = tx.now_ms();
    let weights: Vec<String> = s.weights.iter().map(|w| w.to_string()).collect();
    tx.execute(sql("DELETE FROM village_settings WHERE tenant_id = $1").bind(tenant)).await?;
    tx.execute(
        sql("INSERT INTO village_settings (tenant_id, weights, fresh_days, stale_percent, tolerance, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(tenant)
            .bind(weights.join(","))
            .bind(s.fresh_days as i64)
            .bind(s.stale_percent as i64)
            .bind(tolerance.get())
            .bind(now),
    )
    .await?;
    crate::slices::villages::datasets::changed(&mut tx, tenant, now).await?;
    tx.commit().await
}
