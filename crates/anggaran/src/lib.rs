//! Budgets (*anggaran*) of villages and of the regency: the rules issue 12's
//! `villages` and `budgets` slices need, as plain data and pure functions.
//!
//! - [`money`]: [`Rupiah`], integer rupiah with checked sums, parsed from
//!   what people and spreadsheets write and printed as `Rp 1.250.000`.
//! - [`apbdes`]: the village budget of Permendagri 20/2018: account and
//!   kegiatan codes, the code list (verified part and editable part), a
//!   budget's lines checked all at once with totals, Siskeudes-style rows.
//! - [`apbd`]: the regency budget of Permendagri 90/2019: six-level
//!   accounts and the urusan > bidang > program > kegiatan > sub-kegiatan
//!   codes, lines from the API or SIPD rows, the tree with exact totals.
//! - [`idm`]: the Indeks Desa Membangun (50 indicators, IKS/IKE/IKL, exact
//!   fractions, the five statuses) and Kemendesa's IDM JSON.
//! - [`transparency`]: the Festival Transparansi Desa score (five items,
//!   weights and freshness as settings) and the rankings.
//! - [`fdp`]: the Fiscal Data Package (`datapackage.json` with the fiscal
//!   model and column types) and the CSV rows of an APBDes and an APBD.
//! - [`problem`]: the problem type (line, field, column, coded kind) both
//!   budget checks answer.
//!
//! The crate does no I/O: no database, no HTTP, no clock, no files. Code
//! lists are embedded; the walidata's additions come in as text the
//! application has read. Errors are data with stable snake_case codes, so the
//! application words them in Bahasa Indonesia; their English text is for logs
//! and API clients.

pub mod apbd;
pub mod apbdes;
pub mod fdp;
pub mod idm;
pub mod money;
pub mod problem;
mod sheet;
pub mod transparency;

pub use money::{MoneyError, Rupiah};
