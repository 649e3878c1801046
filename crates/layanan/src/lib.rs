//! Public services (*layanan publik*): the rules a complaint-handling and
//! service-quality slice needs, as plain data and pure functions.
//!
//! - [`ikm`]: the community satisfaction index of PermenPANRB 14/2017 (nine
//!   elements scored 1-4, NRR per element, IKM, grade A-D) and the
//!   Krejcie-Morgan minimum sample.
//! - [`case`]: the life cycle of a complaint case (SP4N-LAPOR!'s flow: received,
//!   verified, dispositioned to an agency, answered, closed, and the side
//!   roads), which transitions are allowed and why others are refused, and the
//!   deadline of each stage in working days.
//! - [`open311`]: Open311 GeoReport v2: service definitions, parsing a POST and
//!   a list query, and writing the spec's JSON and XML documents.
//!
//! The crate does no I/O: no database, no HTTP, no clock. Callers pass the
//! current time and the region's calendar in, and store what comes out. Errors
//! are data with stable snake_case codes, so the application can word them in
//! the reader's language; their English text is for logs and API clients.

pub mod case;
pub mod ikm;
pub mod open311;
