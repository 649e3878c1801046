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
//! - [`open311`]: Open311 GeoReport v2: discovery, service definitions,
//!   parsing a POST and a list query, and writing the spec's JSON and XML
//!   documents.
//! - [`standar`]: the 14 components of a *Standar Pelayanan*.
//!
//! The crate does no I/O: no database, no HTTP, no clock. Callers pass the
//! current time and the region's calendar in, and store what comes out. Errors
//! are data with stable snake_case codes, so the application can word them in
//! the reader's language; their English text is for logs and API clients.

/// Declares a code list: variants and their stable snake_case codes (stored
/// in the database, used in URLs and the API, keys of the message catalogue).
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }
    };
}

pub mod case;
pub mod ikm;
pub mod open311;
pub mod standar;
