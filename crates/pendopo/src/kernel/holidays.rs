//! The region's working-day calendar (`kalender`) from its holiday table
//! (migration `0008_holidays`): what every slice with deadlines in working
//! days counts by (complaints, village reports). The fixed-date national
//! holidays are built into `kalender` and need no row.

use kalender::{Calendar, Date, Holiday, HolidayKind};

use crate::store::{Result, Store, StoreError, sql};

/// The region's calendar: weekends, the fixed national holidays, and every
/// holiday the region has recorded.
pub async fn calendar(store: &Store, tenant: &str) -> Result<Calendar> {
    Ok(stored(store, tenant, None).await?.into_iter().collect())
}

/// The region's recorded holidays (of one year, or all), by date.
pub async fn stored(store: &Store, tenant: &str, year: Option<i32>) -> Result<Vec<Holiday>> {
    let (from, to) = match year {
        Some(y) => (format!("{y:04}-01-01"), format!("{y:04}-12-31")),
        None => ("0000-01-01".to_string(), "9999-12-31".to_string()),
    };
    let rows = store
        .fetch_all(
            sql("SELECT date, kind, name FROM region_holidays WHERE tenant_id = $1 AND date >= $2 AND date <= $3 ORDER BY date, kind")
                .bind(tenant)
                .bind(from)
                .bind(to),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let (date, kind, name): (String, String, String) = (r.get("date")?, r.get("kind")?, r.get("name")?);
            let bad = || StoreError::Other(format!("region_holidays holds a bad row: {date} {kind}"));
            Ok(Holiday::new(date.parse::<Date>().map_err(|_| bad())?, name, HolidayKind::from_code(&kind).ok_or_else(bad)?))
        })
        .collect()
}

/// Records holidays, all in one transaction; a day of the same kind is
/// renamed rather than listed twice.
pub async fn add(store: &Store, tenant: &str, holidays: &[Holiday]) -> Result<()> {
    let mut tx = store.begin().await?;
    for h in holidays {
        tx.execute(
            sql("DELETE FROM region_holidays WHERE tenant_id = $1 AND date = $2 AND kind = $3")
                .bind(tenant)
                .bind(h.date.to_string())
                .bind(h.kind.code()),
        )
        .await?;
        tx.execute(
            sql("INSERT INTO region_holidays (tenant_id, date, kind, name, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(tenant)
                .bind(h.date.to_string())
                .bind(h.kind.code())
                .bind(h.name.as_str())
                .bind(tx.now_ms()),
        )
        .await?;
    }
    tx.commit().await
}

/// Removes one recorded holiday; whether there was one.
pub async fn remove(store: &Store, tenant: &str, date: Date, kind: HolidayKind) -> Result<bool> {
    let q = sql("DELETE FROM region_holidays WHERE tenant_id = $1 AND date = $2 AND kind = $3")
        .bind(tenant)
        .bind(date.to_string())
        .bind(kind.code());
    Ok(store.execute(q).await? > 0)
}
