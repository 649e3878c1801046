//! What every slice shares: tenancy, identity, organisations, messages, and
//! the jobs that touch the whole store (demo data, copying between engines).

pub mod db_copy;
pub mod demo;
pub mod identity;
pub mod msg;
pub mod organizations;
pub mod tenancy;
