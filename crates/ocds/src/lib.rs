//! Open Contracting Data Standard (OCDS) 1.1: the pure parts, no I/O.
//!
//! - [`merge`]: compiled and versioned releases, with merge rules derived
//!   from the release schema (and its extensions).
//! - [`flags`]: red-flag indicators over compiled releases (Cardinal's
//!   definitions and output shape).
//! - [`validate`]: package validation as lib-cove-ocds does it, plus date coherence.
//!
//! Architecture invariant: this crate does no I/O; callers hand it values or
//! readers and take its output.

pub mod flags;
pub mod json;
pub mod merge;
pub mod validate;
