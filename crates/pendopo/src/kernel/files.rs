//! Uploaded files, kept in the data directory (`DATA_DIR/files/...`) beside
//! the embedded database, whatever the database engine. Every version of a
//! file is kept; the database holds their paths, sizes and hashes.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// A file written to the store.
#[derive(Debug, Clone)]
pub struct Saved {
    /// Relative to the store's root, with `/` separators.
    pub key: String,
    pub size: u64,
    /// `sha256:<hex>`, as CKAN writes resource hashes.
    pub hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("file store: {0}")]
    Io(#[from] std::io::Error),
    #[error("upload: {0}")]
    Source(String),
}

/// A name safe to keep on disk and in a URL: letters, digits, `.`, `-`, `_`.
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() { "file".into() } else { cleaned.chars().take(120).collect() }
}

impl FileStore {
    pub fn new(root: PathBuf) -> FileStore {
        FileStore { root }
    }

    /// Writes chunks to `key` (a relative path the caller composed from ids),
    /// stopping with `TooLarge` past `limit`; a failed write leaves no file.
    pub async fn save<S: ChunkSource>(&self, key: &str, mut chunks: S, limit: u64) -> Result<Saved, FileError> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let partial = path.with_extension("partial");
        let mut file = tokio::fs::File::create(&partial).await?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let result: Result<(), FileError> = async {
            while let Some(chunk) = chunks.next_chunk().await.map_err(|e| FileError::Source(e.to_string()))? {
                size += chunk.len() as u64;
                if size > limit {
                    return Err(FileError::TooLarge { limit });
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            file.sync_all().await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            drop(file);
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
        tokio::fs::rename(&partial, &path).await?;
        let hash = format!("sha256:{}", hasher.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>());
        Ok(Saved { key: key.to_string(), size, hash })
    }

    /// The absolute path of a key; keys never leave the root.
    pub fn path(&self, key: &str) -> Result<PathBuf, FileError> {
        let rel = Path::new(key);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(FileError::Source(format!("invalid file key {key}")));
        }
        Ok(self.root.join(rel))
    }
}

/// The little a file store needs from an upload: the next chunk, if any.
/// (Implemented for axum's multipart fields in the web layer, and for plain
/// byte vectors; a trait keeps this module free of HTTP.)
pub trait ChunkSource: Send {
    type Error: std::fmt::Display;
    fn next_chunk(&mut self) -> impl std::future::Future<Output = Result<Option<bytes::Bytes>, Self::Error>> + Send;
}

/// Bytes already in memory (tests, small imports).
pub struct InMemory(pub Option<bytes::Bytes>);

impl ChunkSource for InMemory {
    type Error = std::convert::Infallible;
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, Self::Error> {
        Ok(self.0.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("Produksi Padi 2024.xlsx"), "Produksi_Padi_2024.xlsx");
        assert_eq!(safe_name("C:\\data\\padi.csv"), "padi.csv");
        assert_eq!(safe_name(".."), "file");
    }

    #[test]
    fn keys_stay_inside_the_root() {
        let store = FileStore::new(PathBuf::from("/srv/pendopo/files"));
        assert!(store.path("35.22/abc/1-padi.csv").is_ok());
        assert!(store.path("../secret").is_err());
        assert!(store.path("/etc/passwd").is_err());
    }
}
