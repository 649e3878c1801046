//! The IKM survey's answers in the database: stored many rows per statement
//! in one transaction (a batch is all or nothing), and summed by SQL for a
//! service and period, so a report over 10,000 answers reads one row.

use kalender::Date;
use layanan::ikm::{Answers, Profile, Survey};

use crate::kernel::identity::new_id;
use crate::store::{Store, StoreError, Value, sql, sql_built};

/// One respondent's answers as they are stored: the scores, the profile,
/// the day, and how they came (`web`, `api`, `paper`). No name.
#[derive(Debug, Clone)]
pub struct Response {
    pub service_id: String,
    pub answers: Answers,
    pub profile: Profile,
    pub answered_on: Date,
    pub source: &'static str,
}

const COLUMNS: usize = 18;
/// Rows per INSERT (40 x 18 = 720 parameters). Measured on SQLite with the
/// demo's 12,630 answers (debug build): 400 rows a statement took 3.8 s,
/// 100 took 1.4 s, 40 took 1.1 s; statements with thousands of numbered
/// parameters cost more to prepare than they save.
const ROWS_PER_STATEMENT: usize = 40;

/// Stores the responses in one transaction: all of them or none.
pub async fn insert(store: &Store, tenant: &str, responses: &[Response]) -> Result<usize, StoreError> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    for chunk in responses.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let first = i * COLUMNS + 2;
                let params: Vec<String> = (first..first + COLUMNS).map(|n| format!("${n}")).collect();
                format!("($1, {})", params.join(", "))
            })
            .collect();
        let text = format!(
            "INSERT INTO ikm_responses (tenant_id, id, service_id, answered_on, u1, u2, u3, u4, u5, u6, u7, u8, u9,
                age_band, sex, education, occupation, source, created_at) VALUES {}",
            rows.join(", ")
        );
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLUMNS);
        for r in chunk {
            values.push(new_id().into());
            values.push(r.service_id.as_str().into());
            values.push(r.answered_on.to_string().into());
            values.extend(r.answers.scores().iter().map(|&s| Value::from(i64::from(s))));
            values.push(r.profile.age.map(|a| a.code()).into());
            values.push(r.profile.sex.map(|a| a.code()).into());
            values.push(r.profile.education.map(|a| a.code()).into());
            values.push(r.profile.occupation.map(|a| a.code()).into());
            values.push(r.source.into());
            values.push(now.into());
        }
        tx.execute(sql_built(text).bind(tenant).bind_all(values)).await?;
    }
    tx.commit().await?;
    Ok(responses.len())
}

/// The totals of a service's answers from `from` to `to` (both included).
pub async fn survey(store: &Store, tenant: &str, service_id: &str, from: Date, to: Date) -> Result<Survey, StoreError> {
    let q = sql("SELECT COUNT(*) AS n,
            CAST(COALESCE(SUM(u1), 0) AS BIGINT) AS s1, CAST(COALESCE(SUM(u2), 0) AS BIGINT) AS s2,
            CAST(COALESCE(SUM(u3), 0) AS BIGINT) AS s3, CAST(COALESCE(SUM(u4), 0) AS BIGINT) AS s4,
            CAST(COALESCE(SUM(u5), 0) AS BIGINT) AS s5, CAST(COALESCE(SUM(u6), 0) AS BIGINT) AS s6,
            CAST(COALESCE(SUM(u7), 0) AS BIGINT) AS s7, CAST(COALESCE(SUM(u8), 0) AS BIGINT) AS s8,
            CAST(COALESCE(SUM(u9), 0) AS BIGINT) AS s9
        FROM ikm_responses WHERE tenant_id = $1 AND service_id = $2 AND answered_on >= $3 AND answered_on <= $4")
    .bind(tenant)
    .bind(service_id)
    .bind(from.to_string())
    .bind(to.to_string());
    let row = store.fetch_one(q).await?;
    let mut sums = [0u64; 9];
    for (i, sum) in sums.iter_mut().enumerate() {
        *sum = row.at::<i64>(i + 1)? as u64;
    }
    Ok(Survey::from_totals(sums, row.at::<i64>(0)? as u64))
}

/// How many respondents gave each value of a profile part, for the report's
/// profile table: (part, value code or None for left empty, count).
pub async fn profile_counts(
    store: &Store,
    tenant: &str,
    service_id: &str,
    from: Date,
    to: Date,
) -> Result<Vec<(String, Option<String>, i64)>, StoreError> {
    let part = |column: &str| {
        format!(
            "SELECT '{column}' AS part, {column} AS value, COUNT(*) AS n FROM ikm_responses
             WHERE tenant_id = $1 AND service_id = $2 AND answered_on >= $3 AND answered_on <= $4 GROUP BY {column}"
        )
    };
    const PARTS: [&str; 4] = ["age_band", "sex", "education", "occupation"];
    let text = PARTS.map(part).join(" UNION ALL ");
    let q = sql_built(text).bind(tenant).bind(service_id).bind(from.to_string()).bind(to.to_string());
    let mut counts: Vec<(String, Option<String>, i64)> =
        store.fetch_all(q).await?.iter().map(|r| Ok((r.get("part")?, r.get("value")?, r.get("n")?))).collect::<Result<_, StoreError>>()?;
    // The questionnaire's order: parts as listed, the empty answers last.
    counts.sort_by_key(|(part, value, _)| (PARTS.iter().position(|p| p == part), value.is_none(), value.clone()));
    Ok(counts)
}
