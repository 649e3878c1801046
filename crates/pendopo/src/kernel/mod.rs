//! What every slice shares: tenancy, identity, organisations, messages, and
//! copying the whole store between engines.

pub mod access;
pub mod catalog_version;
pub mod cores;
pub mod db_copy;
pub mod files;
pub mod hmac;
pub mod holidays;
pub mod identity;
pub mod jobs;
pub mod mail;
pub mod mqtt;
pub mod msg;
pub mod organizations;
pub mod photos;
pub mod tenancy;
pub mod text;

/// An error of any kind, as commands and demo loaders report it.
pub type AnyError = Box<dyn std::error::Error + Send + Sync>;
