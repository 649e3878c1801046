//! Taking in an uploaded file: a table must load as it is, or nothing is
//! stored; then it becomes a resource (or a resource's next version) and its
//! rows go into the datastore.

use super::datastore::{self, DatastoreError, Table};
use super::repo::{self, CatalogError, Resource, Upload};
use crate::kernel::files::FileStore;
use crate::kernel::identity::User;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The file is a table whose rows cannot be loaded: line, column, reason.
    #[error("{0}")]
    Rejected(tabular::ImportError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

pub async fn accept(
    store: &Store,
    files: &FileStore,
    tenant: &str,
    user: &User,
    dataset: &str,
    up: Upload,
) -> Result<(Resource, Option<Table>), IntakeError> {
    let key = up.saved.key.clone();
    let discard = || async {
        if let Ok(path) = files.path(&key) {
            let _ = tokio::fs::remove_file(path).await;
        }
    };
    let tabular = datastore::is_tabular(&up.filename);
    if tabular {
        let path = files.path(&key).map_err(|e| CatalogError::Store(crate::store::StoreError::Other(e.to_string())))?;
        if let Err(e) = datastore::check_file(path, &up.filename).await {
            discard().await;
            return Err(IntakeError::Rejected(e));
        }
    }
    let resource = match repo::record_upload(store, tenant, user, dataset, up).await {
        Ok(r) => r,
        Err(e) => {
            discard().await;
            return Err(e.into());
        }
    };
    if !tabular {
        return Ok((resource, None));
    }
    // The file was checked; a failure here is the database's, and the
    // resource stands without a table until the next load.
    match datastore::import(store, files, tenant, &resource.id, &Default::default()).await {
        Ok(table) => {
            let resource = repo::resource(store, tenant, &resource.id).await.map_err(CatalogError::from)?.unwrap_or(resource);
            Ok((resource, Some(table)))
        }
        Err(DatastoreError::Import(e)) => Err(IntakeError::Rejected(e)),
        Err(e) => {
            tracing::error!(resource = %resource.id, error = %e, "datastore load failed after the file was checked");
            Ok((resource, None))
        }
    }
}
