//! Datasets that a slice computes from its own records (the complaints'
//! monthly figures, a village budget summary, sensor averages) and
//! publishes in the region's catalogue, so that the CKAN API, DCAT and the
//! search see them like any other. [`publish`] creates the dataset or
//! updates it under the same name, owned by an organisation, labelled as
//! generated (an extra `generated_by` and a note), with one CSV resource
//! whose file becomes a new version only when its content changed.
//!
//! It writes as the platform itself: a region-admin identity of the
//! generating slice (`generated:<slice>`), named in the history, that no
//! one can sign in as.

use super::intake::{self, IntakeError};
use super::model::{DatasetInput, Extra, ResourceInput, TagInput};
use super::repo::{self, CatalogError, Upload, Viewer};
use crate::kernel::files::{FileStore, InMemory};
use crate::kernel::identity::{Role, User, new_id};
use crate::store::Store;

/// A dataset a slice generates.
pub struct Generated<'a> {
    /// The dataset's name (its address, `/dataset/<name>`): stable, so the
    /// next run updates it.
    pub name: &'a str,
    pub title: &'a str,
    /// What it holds and how it is made; [`publish`] adds the label.
    pub notes: &'a str,
    /// The owning organisation's id or slug.
    pub owner_org: &'a str,
    pub tags: &'a [&'a str],
    /// The slice that makes it (`layanan`): the label and the writer's name.
    pub generator: &'a str,
    /// The CSV resource: its name, file name and content.
    pub resource_name: &'a str,
    pub filename: &'a str,
    pub csv: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Intake(#[from] IntakeError),
    #[error("file: {0}")]
    File(String),
}

/// What publishing did.
#[derive(Debug, PartialEq, Eq)]
pub enum Published {
    /// The dataset was made or its file changed.
    Changed { dataset_id: String },
    /// The file was the same: nothing new.
    Unchanged { dataset_id: String },
}

/// The key of a generated dataset's marker extra.
pub const GENERATED_BY: &str = "generated_by";

fn writer(tenant: &str, generator: &str) -> User {
    User {
        tenant_id: tenant.into(),
        id: format!("generated:{generator}"),
        email: String::new(),
        name: format!("Pendopo ({generator})"),
        role: Role::Walidata,
        org_id: None,
        desa_code: None,
        disabled: false,
        created_at: 0,
    }
}

/// Creates or updates the dataset `g` describes and its CSV resource.
pub async fn publish(store: &Store, files: &FileStore, tenant: &str, g: &Generated<'_>) -> Result<Published, PublishError> {
    let user = writer(tenant, g.generator);
    let existing = repo::get(store, tenant, g.name, &Viewer { admin: true, org_id: None }).await.map_err(CatalogError::from)?;
    let resource = existing.as_ref().and_then(|d| d.resources.iter().find(|r| r.name == g.resource_name).cloned());
    let input = DatasetInput {
        name: g.name.into(),
        title: g.title.into(),
        notes: format!(
            "{}\n\nDataset ini dibuat dan diperbarui otomatis oleh Pendopo dari data {} (hanya angka agregat). \
             This dataset is generated and refreshed automatically by Pendopo (aggregates only).",
            g.notes, g.generator
        ),
        license_id: "cc-by-4.0".into(),
        owner_org: g.owner_org.into(),
        tags: g.tags.iter().map(|t| TagInput { name: t.to_string() }).collect(),
        extras: vec![Extra { key: GENERATED_BY.into(), value: g.generator.into() }],
        // The resources it has are kept (an update replaces the list).
        resources: existing
            .iter()
            .flat_map(|d| &d.resources)
            .map(|r| ResourceInput {
                id: Some(r.id.clone()),
                name: r.name.clone(),
                description: r.description.clone(),
                format: r.format.clone(),
                url: r.url.clone(),
            })
            .collect(),
        ..Default::default()
    };
    let dataset = match &existing {
        Some(d) => repo::update(store, tenant, &user, &d.id, &input).await?,
        None => repo::create(store, tenant, &user, &input).await?,
    };
    let key = format!("{tenant}/generated/{}/{}.csv", g.name, new_id());
    let saved = files
        .save(&key, InMemory(Some(bytes::Bytes::from(g.csv.clone()))), u64::MAX)
        .await
        .map_err(|e| PublishError::File(e.to_string()))?;
    if resource.as_ref().is_some_and(|r| r.hash == saved.hash) {
        if let Ok(path) = files.path(&key) {
            let _ = tokio::fs::remove_file(path).await;
        }
        return Ok(Published::Unchanged { dataset_id: dataset.id });
    }
    let up = Upload {
        resource_id: resource.map(|r| r.id),
        name: g.resource_name.into(),
        description: "CSV, dibuat otomatis (generated).".into(),
        format: "CSV".into(),
        filename: g.filename.into(),
        saved,
    };
    intake::accept(store, files, tenant, &user, &dataset.id, up).await?;
    Ok(Published::Changed { dataset_id: dataset.id })
}
