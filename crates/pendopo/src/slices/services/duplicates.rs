//! Likely duplicates of a case awaiting verification, for the coordinator
//! to merge: open cases of the same service that are nearby (the same desa,
//! or within [`NEAR_METRES`] when both have a pin) or say much the same
//! (the share of stemmed words they have in common), newest first.

use std::collections::BTreeSet;

use layanan::case::State;
use serde::Serialize;

use crate::store::{Row, Store, StoreError, Value, sql_built};

/// Two pins this close are the same spot on a street.
pub const NEAR_METRES: f64 = 500.0;
/// Word overlap (Jaccard, on stems) from which two texts say the same.
pub const SIMILAR: f64 = 0.3;
/// Enough to choose from on one page.
const SHOWN: usize = 10;
/// The newest open cases of the service looked at.
const LOOKED_AT: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub number: String,
    pub description: String,
    pub state: String,
    pub created_at: i64,
    /// Metres between the pins, when both have one.
    pub metres: Option<i64>,
    pub same_desa: bool,
    /// Word overlap, 0 to 100.
    pub similarity: i64,
}

struct Sketch {
    number: String,
    description: String,
    state: String,
    created_at: i64,
    desa: Option<String>,
    pin: Option<(f64, f64)>,
}

fn sketch(r: &Row) -> Result<(String, Sketch), StoreError> {
    let lat: Option<f64> = r.get("lat")?;
    let lon: Option<f64> = r.get("lon")?;
    Ok((
        r.get("service_id")?,
        Sketch {
            number: r.get("number")?,
            description: r.get("description")?,
            state: r.get("state")?,
            created_at: r.get("created_at")?,
            desa: r.get("desa_code")?,
            pin: lat.zip(lon),
        },
    ))
}

/// Great-circle distance in metres (haversine on a 6,371 km sphere).
pub fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// Shared stems over all stems of the two texts (the stemmer folds
/// *berlubang*, *lubang*, *lubangnya* together).
pub fn similarity(a: &str, b: &str) -> f64 {
    let words = |t: &str| stemmer::stems(t).filter(|w| w.chars().count() > 2).collect::<BTreeSet<String>>();
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 { 0.0 } else { a.intersection(&b).count() as f64 / union as f64 }
}

const COLUMNS: &str = "SELECT number, service_id, description, state, created_at, desa_code, lat, lon FROM service_cases";

/// The likely duplicates of case `number` (none when it is not awaiting
/// verification: only then can it be merged).
pub async fn suggest(store: &Store, tenant: &str, number: &str) -> Result<Vec<Suggestion>, StoreError> {
    let q = sql_built(format!("{COLUMNS} WHERE tenant_id = $1 AND number = $2")).bind(tenant).bind(number);
    let Some(row) = store.fetch_optional(q).await? else { return Ok(Vec::new()) };
    let (service_id, case) = sketch(&row)?;
    if !matches!(State::from_code(&case.state), Some(State::Received | State::Verified)) {
        return Ok(Vec::new());
    }
    let open: Vec<Value> = State::ALL.iter().filter(|s| !s.is_done()).map(|s| Value::from(s.code())).collect();
    let marks: Vec<String> = (4..4 + open.len()).map(|n| format!("${n}")).collect();
    let q = sql_built(format!(
        "{COLUMNS} WHERE tenant_id = $1 AND service_id = $2 AND number <> $3 AND state IN ({}) ORDER BY created_at DESC, number DESC LIMIT {LOOKED_AT}",
        marks.join(", ")
    ))
    .bind(tenant)
    .bind(&service_id)
    .bind(number)
    .bind_all(open);
    let mut out = Vec::new();
    for row in store.fetch_all(q).await? {
        let (_, other) = sketch(&row)?;
        let metres = case.pin.zip(other.pin).map(|(a, b)| metres_between(a, b));
        let same_desa = case.desa.is_some() && case.desa == other.desa;
        let score = similarity(&case.description, &other.description);
        if same_desa || metres.is_some_and(|m| m <= NEAR_METRES) || score >= SIMILAR {
            out.push(Suggestion {
                number: other.number,
                description: other.description,
                state: other.state,
                created_at: other.created_at,
                metres: metres.map(|m| m.round() as i64),
                same_desa,
                similarity: (score * 100.0).round() as i64,
            });
        }
        if out.len() == SHOWN {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_five_hundred_metres_apart_are_near() {
        // 0.0045 degrees of latitude is about 500 m.
        let m = metres_between((-7.1502, 111.8817), (-7.1547, 111.8817));
        assert!((495.0..505.0).contains(&m), "{m}");
    }

    #[test]
    fn texts_about_the_same_hole_are_similar_and_others_not() {
        let a = "Jalan di Desa Sukorejo berlubang besar dekat sekolah";
        let b = "Lubang besar di jalan Desa Sukorejo dekat SD";
        let c = "Lampu penerangan jalan mati sejak seminggu";
        assert!(similarity(a, b) >= SIMILAR, "{}", similarity(a, b));
        assert!(similarity(a, c) < SIMILAR, "{}", similarity(a, c));
    }
}
