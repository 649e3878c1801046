//! Features as vertical slices: each owns its routes, pages and API, and is
//! merged into the router in one line (`web::router`).

pub mod accounts;
pub mod home;
pub mod organizations;
pub mod users;
pub mod wilayah;

use serde::Deserialize;

/// The hidden field every form sends back.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}
