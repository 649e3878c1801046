//! The review cycle: the produsen data submits a dataset, the walidata
//! publishes it or sends it back with notes.

use super::history::activity;
use super::{CatalogError, Dataset, Viewer, commit, get, invalid};
use crate::kernel::access;
use crate::kernel::identity::User;
use crate::kernel::msg::Msg;
use crate::slices::catalog::model::{FieldErrors, State};
use crate::store::{Store, sql};

/// Moves a dataset along the review cycle.
#[derive(Debug, Clone)]
pub enum Review {
    /// The produsen data asks the walidata to check it.
    Submit,
    /// The walidata publishes it.
    Publish,
    /// The walidata sends it back with notes.
    Return(String),
}

/// What the walidata needs to check a dataset against Satu Data's
/// principles (Perpres 39/2019: data with metadata; Peraturan BPS 4/2020:
/// an indicator's concept and unit): a description, a licence, how often
/// it is updated, the area it covers, its concept and unit, and data.
/// Keyed by the form's field ids, every missing one at once.
pub const REQUIRED_FOR_REVIEW: &[&str] = &["notes", "license_id", "frekuensi", "cakupan_wilayah", "konsep", "satuan"];

pub fn missing_for_review(d: &Dataset) -> FieldErrors {
    let sd = &d.satudata;
    let value = |field: &str| match field {
        "notes" => &d.notes,
        "license_id" => &d.license_id,
        "frekuensi" => &sd.frekuensi,
        "cakupan_wilayah" => &sd.cakupan_wilayah,
        "konsep" => &sd.konsep,
        _ => &sd.satuan,
    };
    let mut missing = FieldErrors::new();
    for field in REQUIRED_FOR_REVIEW {
        if value(field).trim().is_empty() {
            missing.insert(field.to_string(), vec![Msg::new("catalog.review_missing")]);
        }
    }
    if d.resources.is_empty() {
        missing.insert("resources".into(), vec![Msg::new("catalog.review_no_resource")]);
    }
    missing
}

pub async fn review(store: &Store, tenant: &str, user: &User, id_or_name: &str, step: Review) -> Result<Dataset, CatalogError> {
    let d = get(store, tenant, id_or_name, &Viewer::of(Some(user))).await?.ok_or(CatalogError::NotFound)?;
    let (to, action, notes) = match &step {
        Review::Submit => {
            if !access::for_org(user, &d.org.id) {
                return Err(CatalogError::Forbidden);
            }
            if !matches!(d.state, State::Draft | State::Returned) {
                return Err(invalid("state", Msg::new("catalog.state_wrong").arg("state", d.state.as_str())));
            }
            let missing = missing_for_review(&d);
            if !missing.is_empty() {
                return Err(CatalogError::Invalid(missing));
            }
            (State::Submitted, "submitted", String::new())
        }
        Review::Publish | Review::Return(_) => {
            if !user.is_region_admin() {
                return Err(CatalogError::Forbidden);
            }
            if d.state == State::Published && matches!(step, Review::Publish) {
                return Err(invalid("state", Msg::new("catalog.state_wrong").arg("state", d.state.as_str())));
            }
            match step {
                Review::Return(notes) if notes.trim().is_empty() => return Err(invalid("notes", Msg::new("catalog.return_needs_notes"))),
                Review::Return(notes) => (State::Returned, "returned", notes.trim().to_string()),
                _ => (State::Published, "published", String::new()),
            }
        }
    };
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    tx.execute(
        sql("UPDATE datasets SET state = $1, review_notes = $2, updated_at = $3,
             published_at = CASE WHEN $1 = 'published' THEN $3 ELSE published_at END WHERE tenant_id = $4 AND id = $5")
        .bind(to.as_str())
        .bind(&notes)
        .bind(now)
        .bind(tenant)
        .bind(&d.id),
    )
    .await?;
    activity(&mut tx, tenant, &d.id, Some(&user.id), action, &notes).await?;
    commit(tx, tenant).await?;
    // The index holds words, not states: visibility is checked against the
    // dataset row at query time, so a review step needs no reindexing.
    get(store, tenant, &d.id, &Viewer { admin: true, org_id: None }).await?.ok_or(CatalogError::NotFound)
}
