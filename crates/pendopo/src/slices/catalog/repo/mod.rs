//! Reading and writing datasets. Every write runs in one transaction with
//! its tags, groups, resources, history entry and search index.
//!
//! Here is what the parts share: the dataset as read, [`Viewer`] (the one
//! visibility rule), the errors, and `commit`, where every write ends.

mod datasets;
mod groups;
mod history;
mod index;
mod resources;
mod review;

use serde::Serialize;

use super::model::{Extra, FieldErrors, SatuData, State};
use crate::kernel::catalog_version;
use crate::kernel::identity::User;
use crate::kernel::msg::Msg;
use crate::kernel::organizations::Organization;
use crate::store::{StoreError, Tx, Value as DbValue};

pub use datasets::{as_input, autocomplete, create, delete, get, get_many, get_shown, guess_format, names, purge, update};
pub use groups::{
    Group, GroupInput, add_to_group, create_group, delete_group, ensure_default_groups, group, groups, remove_from_group, tags,
    update_group,
};
pub use history::{Activity, Change, changes, history};
pub(crate) use index::index_dataset;
pub use resources::{
    Resource, SEARCHABLE, Upload, Version, delete_resource, download_path, record_upload, resource, search_resources, version_file,
    versions,
};
pub use review::{Review, review};

#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    pub id: String,
    pub name: String,
    pub title: String,
    pub notes: String,
    pub license_id: String,
    pub org: Organization,
    pub private: bool,
    pub state: State,
    pub review_notes: String,
    pub extras: Vec<Extra>,
    pub satudata: SatuData,
    /// CKAN's author, maintainer, version and home page.
    pub core: super::model::CoreFields,
    pub year: i64,
    pub tags: Vec<String>,
    pub groups: Vec<Group>,
    pub resources: Vec<Resource>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

impl Dataset {
    /// Anyone may see it: published and not private.
    pub fn is_public(&self) -> bool {
        self.state == State::Published && !self.private
    }
}

/// Who is looking, for what they may see beyond the public datasets.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub admin: bool,
    pub org_id: Option<String>,
}

impl Viewer {
    pub fn of(user: Option<&User>) -> Viewer {
        match user {
            Some(u) => Viewer { admin: u.is_region_admin(), org_id: u.org_id.clone() },
            None => Viewer::default(),
        }
    }

    pub fn may_see(&self, d: &Dataset) -> bool {
        d.state != State::Deleted && (d.is_public() || self.admin || self.org_id.as_deref() == Some(&d.org.id))
    }

    /// Which datasets this viewer sees, as a value: viewers with equal
    /// scopes see the same datasets under `filter`, so cached search
    /// answers are shared between them and never beyond.
    pub fn scope(&self) -> Scope {
        match &self.org_id {
            _ if self.admin => Scope::Everything,
            Some(org) if !org.is_empty() => Scope::PublicAndOrganization(org.clone()),
            _ => Scope::Public,
        }
    }

    /// The same rule as SQL over `datasets d`, with its two arguments.
    pub fn filter(&self, first_arg: usize) -> (String, Vec<DbValue>) {
        let text = format!(
            "(d.state <> 'deleted' AND ((d.state = 'published' AND d.private = 0) OR ${} = 1 OR d.org_id = ${}))",
            first_arg,
            first_arg + 1
        );
        (text, vec![DbValue::from(self.admin), DbValue::from(self.org_id.clone().unwrap_or_default())])
    }
}

/// What a [`Viewer`] may see: the public datasets; those and one agency's
/// own; or every dataset that is not deleted (the walidata).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Public,
    PublicAndOrganization(String),
    Everything,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("invalid: {0:?}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &str, m: Msg) -> CatalogError {
    CatalogError::Invalid(FieldErrors::from([(field.to_string(), vec![m])]))
}

/// Commits a catalog write. Every write of a dataset, its tags, groups or
/// resources ends here, so the tenant's catalogue version is bumped in the
/// same transaction and every server's cached search answers go stale at
/// the moment the change becomes visible.
async fn commit(mut tx: Tx, tenant: &str) -> Result<(), StoreError> {
    catalog_version::bump(&mut tx, tenant).await?;
    tx.commit().await
}
