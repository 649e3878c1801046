//! Villages (issue 12). In this branch only the poster, until the slice
//! itself is merged.

pub mod poster;
