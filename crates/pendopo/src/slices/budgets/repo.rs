//! Every statement over the budget's tables: versions and their lines
//! (written in one transaction, many rows per INSERT), programme names,
//! publishers and planning documents. Handlers hold no SQL.

use anggaran::Rupiah;
use anggaran::apbd::{Line, Program, Quarterly, Rekening};
use std::collections::BTreeMap;

use crate::store::{Store, StoreError, Tx, Value, sql, sql_built};

/// The two versions of a year's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Kind {
    /// APBD murni.
    Apbd,
    /// APBD Perubahan: stored beside the APBD, shown instead of it.
    Perubahan,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Apbd => "apbd",
            Kind::Perubahan => "apbd-p",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        match code.trim().to_ascii_lowercase().as_str() {
            "" | "apbd" | "murni" => Some(Kind::Apbd),
            "apbd-p" | "apbdp" | "perubahan" | "p" => Some(Kind::Perubahan),
            _ => None,
        }
    }
}

/// A stored version of a year.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Version {
    pub year: i32,
    pub kind: Kind,
    pub revision: i64,
    pub line_count: i64,
    pub source: String,
    pub updated_at: i64,
}

fn version_of(r: &crate::store::Row) -> Result<Version, StoreError> {
    let kind: String = r.get("kind")?;
    Ok(Version {
        year: r.get::<i64>("year")? as i32,
        kind: Kind::parse(&kind).unwrap_or(Kind::Apbd),
        revision: r.get("revision")?,
        line_count: r.get("line_count")?,
        source: r.get("source")?,
        updated_at: r.get("updated_at")?,
    })
}

/// Every stored version, newest year first, the APBD before its APBD-P.
pub async fn versions(store: &Store, tenant: &str) -> Result<Vec<Version>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT year, kind, revision, line_count, source, updated_at FROM apbd_versions WHERE tenant_id = $1 ORDER BY year DESC, kind")
                .bind(tenant),
        )
        .await?;
    rows.iter().map(version_of).collect()
}

/// The version a year shows: its APBD-P when there is one, else its APBD.
pub async fn current(store: &Store, tenant: &str, year: i32) -> Result<Option<Version>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT year, kind, revision, line_count, source, updated_at FROM apbd_versions WHERE tenant_id = $1 AND year = $2")
                .bind(tenant)
                .bind(year as i64),
        )
        .await?;
    let mut all: Vec<Version> = rows.iter().map(version_of).collect::<Result<_, _>>()?;
    all.sort_by_key(|v| v.kind == Kind::Perubahan);
    Ok(all.pop())
}

pub async fn version(store: &Store, tenant: &str, year: i32, kind: Kind) -> Result<Option<Version>, StoreError> {
    store
        .fetch_optional(
            sql("SELECT year, kind, revision, line_count, source, updated_at FROM apbd_versions WHERE tenant_id = $1 AND year = $2 AND kind = $3")
                .bind(tenant)
                .bind(year as i64)
                .bind(kind.code()),
        )
        .await?
        .as_ref()
        .map(version_of)
        .transpose()
}

/// A programme-name DELETE's codes per statement.
const CODES_PER_STATEMENT: usize = 400;

/// What a write of a version says about itself.
pub struct Written<'a> {
    pub year: i32,
    pub kind: Kind,
    pub source: &'a str,
    pub user_id: &'a str,
    /// The organisation each line's agency was matched to.
    pub org_ids: &'a [Option<String>],
}

/// Replaces a version's lines in the caller's transaction (the other
/// version of the year stays); the year's revision goes up.
pub async fn replace(tx: &mut Tx, tenant: &str, w: &Written<'_>, lines: &[Line]) -> Result<i64, StoreError> {
    let (year, kind) = (w.year as i64, w.kind.code());
    let revision: i64 = tx
        .fetch_scalar(
            sql("SELECT COALESCE(MAX(revision), 0) + 1 FROM apbd_versions WHERE tenant_id = $1 AND year = $2").bind(tenant).bind(year),
        )
        .await?;
    tx.execute(sql("DELETE FROM apbd_lines WHERE tenant_id = $1 AND year = $2 AND kind = $3").bind(tenant).bind(year).bind(kind)).await?;
    tx.execute(sql("DELETE FROM apbd_versions WHERE tenant_id = $1 AND year = $2 AND kind = $3").bind(tenant).bind(year).bind(kind))
        .await?;
    let now = tx.now_ms();
    tx.execute(
        sql("INSERT INTO apbd_versions (tenant_id, year, kind, revision, line_count, source, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(tenant)
            .bind(year)
            .bind(kind)
            .bind(revision)
            .bind(lines.len() as i64)
            .bind(w.source)
            .bind(now)
            .bind(w.user_id),
    )
    .await?;
    let rows = lines.iter().enumerate().map(|(at, line)| {
        let q = &line.amounts;
        vec![
            Value::from(tenant),
            Value::from(year),
            Value::from(kind),
            Value::from(at as i64 + 1),
            Value::from(line.kode_opd.as_str()),
            Value::from(line.nama_opd.as_str()),
            Value::from(w.org_ids.get(at).cloned().flatten()),
            Value::from(line.sub_kegiatan.as_ref().map(|s| s.as_str()).unwrap_or("")),
            Value::from(line.nama_sub_kegiatan.as_str()),
            Value::from(line.rekening.as_str()),
            Value::from(line.uraian.as_str()),
            Value::from(q.plan.get()),
            Value::from(q.realised[0].get()),
            Value::from(q.realised[1].get()),
            Value::from(q.realised[2].get()),
            Value::from(q.realised[3].get()),
        ]
    });
    crate::store::insert_rows(
        tx,
        "apbd_lines (tenant_id, year, kind, n, kode_opd, nama_opd, org_id, sub_kegiatan, nama_sub_kegiatan, rekening, uraian, plan, tw1, tw2, tw3, tw4)",
        rows,
    )
    .await?;
    Ok(revision)
}

/// A stored line, with the organisation its agency was matched to.
pub struct StoredLine {
    pub line: Line,
    pub org_id: Option<String>,
}

/// The lines of a version, in their order. Codes were checked when stored.
pub async fn lines(store: &Store, tenant: &str, year: i32, kind: Kind) -> Result<Vec<StoredLine>, StoreError> {
    let rows = store
        .fetch_all(
            sql("SELECT n, kode_opd, nama_opd, org_id, sub_kegiatan, nama_sub_kegiatan, rekening, uraian, plan, tw1, tw2, tw3, tw4 \
                 FROM apbd_lines WHERE tenant_id = $1 AND year = $2 AND kind = $3 ORDER BY n")
            .bind(tenant)
            .bind(year as i64)
            .bind(kind.code()),
        )
        .await?;
    let bad = |what: &str, code: &str| StoreError::Other(format!("stored {what} {code} does not parse"));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let sub: String = r.get("sub_kegiatan")?;
        let rekening: String = r.get("rekening")?;
        let sub_kegiatan = if sub.is_empty() { None } else { Some(Program::parse(&sub).map_err(|_| bad("sub-kegiatan", &sub))?) };
        let money = |c: &str| r.get::<i64>(c).map(Rupiah::new);
        out.push(StoredLine {
            org_id: r.get("org_id")?,
            line: Line {
                line: r.get::<i64>("n")? as usize,
                kode_opd: r.get("kode_opd")?,
                nama_opd: r.get("nama_opd")?,
                sub_kegiatan,
                nama_sub_kegiatan: r.get("nama_sub_kegiatan")?,
                rekening: Rekening::parse(&rekening).map_err(|_| bad("account", &rekening))?,
                uraian: r.get("uraian")?,
                amounts: Quarterly { plan: money("plan")?, realised: [money("tw1")?, money("tw2")?, money("tw3")?, money("tw4")?] },
            },
        });
    }
    Ok(out)
}

/// The names of a year's urusan, bidang, programmes and kegiatan.
pub async fn names(store: &Store, tenant: &str, year: i32) -> Result<BTreeMap<Program, String>, StoreError> {
    let rows = store
        .fetch_all(sql("SELECT code, name FROM apbd_program_names WHERE tenant_id = $1 AND year = $2").bind(tenant).bind(year as i64))
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        if let Ok(code) = Program::parse(&r.get::<String>("code")?) {
            out.insert(code, r.get("name")?);
        }
    }
    Ok(out)
}

/// Adds or renames a year's programme names in the caller's transaction;
/// the year's versions get a new revision, as the names are in their tree.
pub async fn put_names(tx: &mut Tx, tenant: &str, year: i32, names: &[(Program, String)]) -> Result<(), StoreError> {
    if names.is_empty() {
        return Ok(());
    }
    let revision: i64 = tx
        .fetch_scalar(
            sql("SELECT COALESCE(MAX(revision), 0) + 1 FROM apbd_versions WHERE tenant_id = $1 AND year = $2")
                .bind(tenant)
                .bind(year as i64),
        )
        .await?;
    tx.execute(
        sql("UPDATE apbd_versions SET revision = $3 WHERE tenant_id = $1 AND year = $2").bind(tenant).bind(year as i64).bind(revision),
    )
    .await?;
    for chunk in names.chunks(CODES_PER_STATEMENT) {
        let list = (3..3 + chunk.len()).map(|k| format!("${k}")).collect::<Vec<_>>().join(",");
        let delete = format!("DELETE FROM apbd_program_names WHERE tenant_id = $1 AND year = $2 AND code IN ({list})");
        let codes = chunk.iter().map(|(c, _)| Value::from(c.as_str()));
        tx.execute(sql_built(delete).bind(tenant).bind(year as i64).bind_all(codes)).await?;
    }
    let rows = names
        .iter()
        .map(|(code, name)| vec![Value::from(tenant), Value::from(year as i64), Value::from(code.as_str()), Value::from(name.as_str())]);
    crate::store::insert_rows(tx, "apbd_program_names (tenant_id, year, code, name)", rows).await?;
    Ok(())
}

/// The slugs of the agencies that publish the budget.
pub async fn publishers(store: &Store, tenant: &str) -> Result<Vec<String>, StoreError> {
    let rows = store.fetch_all(sql("SELECT org_slug FROM apbd_publishers WHERE tenant_id = $1 ORDER BY org_slug").bind(tenant)).await?;
    rows.iter().map(|r| r.get("org_slug")).collect()
}

pub async fn set_publishers(store: &Store, tenant: &str, slugs: &[String]) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    tx.execute(sql("DELETE FROM apbd_publishers WHERE tenant_id = $1").bind(tenant)).await?;
    for slug in slugs {
        tx.execute(sql("INSERT INTO apbd_publishers (tenant_id, org_slug) VALUES ($1, $2)").bind(tenant).bind(slug.as_str())).await?;
    }
    tx.commit().await
}

/// A planning document.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Document {
    pub id: String,
    pub year: i32,
    pub stage: String,
    pub title: String,
    pub file_key: String,
    pub file_name: String,
    pub size: i64,
    pub created_at: i64,
}

pub async fn add_document(store: &Store, tenant: &str, d: &Document, user_id: &str) -> Result<(), StoreError> {
    store
        .execute(
            sql("INSERT INTO apbd_documents (tenant_id, id, year, stage, title, file_key, file_name, size, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(tenant)
            .bind(d.id.as_str())
            .bind(d.year as i64)
            .bind(d.stage.as_str())
            .bind(d.title.as_str())
            .bind(d.file_key.as_str())
            .bind(d.file_name.as_str())
            .bind(d.size)
            .bind(d.created_at)
            .bind(user_id),
        )
        .await
        .map(|_| ())
}

const DOC_COLUMNS: &str = "id, year, stage, title, file_key, file_name, size, created_at";

fn document_of(r: &crate::store::Row) -> Result<Document, StoreError> {
    Ok(Document {
        id: r.get("id")?,
        year: r.get::<i64>("year")? as i32,
        stage: r.get("stage")?,
        title: r.get("title")?,
        file_key: r.get("file_key")?,
        file_name: r.get("file_name")?,
        size: r.get("size")?,
        created_at: r.get("created_at")?,
    })
}

/// Every document, newest year first.
pub async fn documents(store: &Store, tenant: &str) -> Result<Vec<Document>, StoreError> {
    let rows = store
        .fetch_all(
            sql_built(format!("SELECT {DOC_COLUMNS} FROM apbd_documents WHERE tenant_id = $1 ORDER BY year DESC, created_at")).bind(tenant),
        )
        .await?;
    rows.iter().map(document_of).collect()
}

pub async fn document(store: &Store, tenant: &str, id: &str) -> Result<Option<Document>, StoreError> {
    store
        .fetch_optional(
            sql_built(format!("SELECT {DOC_COLUMNS} FROM apbd_documents WHERE tenant_id = $1 AND id = $2")).bind(tenant).bind(id),
        )
        .await?
        .as_ref()
        .map(document_of)
        .transpose()
}
