//! Indonesian administrative regions (wilayah) by their Kemendagri codes.
//!
//! Pure data and parsing, no I/O: [`Code`] is a parsed region code, and
//! [`Directory`] is the national table (provinces, regencies and cities,
//! kecamatan, desa and kelurahan) with parent/child navigation and name search.
//! [`Directory::embedded`] is the table of Kepmendagri 300.2.2-2138/2025 built
//! into the crate.
//!
//! Data © idn-area-data / Kemendagri, ODbL 1.0 (see `data/README.md`).

mod code;
mod directory;
mod fold;

pub use code::{Code, CodeError, Level};
pub use directory::{Directory, LoadError, Region};
pub use fold::fold;

/// The regulation that fixes the codes of the embedded table.
pub const REGULATION: &str = "Kepmendagri 300.2.2-2138/2025";

/// The credit the ODbL asks for wherever the table is shown or shipped.
pub const ATTRIBUTION: &str = "Data wilayah © idn-area-data / Kemendagri (Kepmendagri 300.2.2-2138/2025), ODbL 1.0";

/// Indonesian time zones, chosen by province.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeZone {
    /// Waktu Indonesia Barat, UTC+7.
    Wib,
    /// Waktu Indonesia Tengah, UTC+8.
    Wita,
    /// Waktu Indonesia Timur, UTC+9.
    Wit,
}

impl TimeZone {
    pub fn utc_offset_hours(self) -> i64 {
        match self {
            TimeZone::Wib => 7,
            TimeZone::Wita => 8,
            TimeZone::Wit => 9,
        }
    }

    pub fn abbreviation(self) -> &'static str {
        match self {
            TimeZone::Wib => "WIB",
            TimeZone::Wita => "WITA",
            TimeZone::Wit => "WIT",
        }
    }

    /// The zone of a province (by its two-digit code). Kalimantan is split:
    /// West and Central use WIB, South, East and North use WITA.
    pub fn of_province(province: u8) -> TimeZone {
        match province {
            51..=53 | 63..=65 | 71..=76 => TimeZone::Wita,
            81..=99 => TimeZone::Wit,
            _ => TimeZone::Wib,
        }
    }
}
