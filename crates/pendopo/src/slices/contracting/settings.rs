//! A region's open-contracting settings: its OCID prefix and its red-flag
//! settings file (Cardinal's INI format plus an `[indonesia]` section), which
//! the walidata edits on `/pengadaan/pengaturan` and `pendopo ocds flags -s`
//! reads the same way.

use axum::Form;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, sql};
use crate::web::ctx::SignedIn;
use crate::web::error::AppResult;

#[derive(Debug, Clone, serde::Serialize)]
pub struct RegionSettings {
    pub ocid_prefix: String,
    pub flags_ini: String,
}

/// Every indicator on, the Indonesian thresholds of the domain notes
/// (Perpres 46/2025 ceilings), e-catalogue prices kept out of the price
/// comparisons and swakelola (no providers) out of every indicator.
pub const DEFAULT_FLAGS_INI: &str = "; Red-flag settings: Cardinal's format, plus [indonesia] for Pendopo's own flags.
; A section turns its indicator on; delete the section to turn it off.
currency = IDR
no_price_comparison_procurement_methods = E-purchasing

[exclusions]
procurement_method_details = Swakelola

; a submission period only exists in tenders and selections (not in pengadaan langsung)
[R003]
procurement_methods = open|selective
[R018]
; a second bid within 0.5% of the winner (the quartile fence alone flags nothing when prices spread widely)
[R024]
threshold = 0.005
[R025]
[R028]
[R030]
[R035]
[R036]
[R038]
[R048]
[R058]

[indonesia]
; pengadaan langsung ceilings, Rupiah
ceiling_goods = 200000000
ceiling_works = 400000000
ceiling_consulting = 100000000
; an award at 90-100% of a ceiling is just under it; 3 such awards to one supplier in a month is a flag
splitting_band = 0.9
splitting_min = 3
december_share = 0.3
direct_share = 0.5
repeat_wins = 5
";

/// `ocds-` and six lower-case letters or digits, as OCP registers prefixes.
pub fn valid_prefix(prefix: &str) -> bool {
    prefix.strip_prefix("ocds-").is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// Until the region registers its own prefix with OCP: `ocds-pd` and the
/// region's digits (`35.22` gives `ocds-pd3522`).
pub fn default_prefix(tenant: &str) -> String {
    let digits: String = tenant.chars().filter(char::is_ascii_digit).collect();
    format!("ocds-pd{:0<4}", &digits[..digits.len().min(4)])
}

pub async fn load(store: &Store, tenant: &str) -> Result<RegionSettings, StoreError> {
    let row = store.fetch_optional(sql("SELECT ocid_prefix, flags_ini FROM ocds_settings WHERE tenant_id = $1").bind(tenant)).await?;
    Ok(match row {
        Some(r) => RegionSettings { ocid_prefix: r.at(0)?, flags_ini: r.at(1)? },
        None => RegionSettings { ocid_prefix: default_prefix(tenant), flags_ini: DEFAULT_FLAGS_INI.to_string() },
    })
}

/// The flag settings to run: the region's file, parsed.
pub async fn flag_settings(store: &Store, tenant: &str) -> Result<ocds::flags::Settings, StoreError> {
    let s = load(store, tenant).await?;
    ocds::flags::Settings::parse(&s.flags_ini).map_err(|e| StoreError::Other(format!("stored flag settings: {e}")))
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("prefix")]
    Prefix,
    #[error("{0}")]
    Flags(ocds::flags::SettingsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks and stores; the flags are recomputed with the new thresholds.
pub async fn save(store: &Store, tenant: &str, s: &RegionSettings) -> Result<(), SettingsError> {
    if !valid_prefix(&s.ocid_prefix) {
        return Err(SettingsError::Prefix);
    }
    ocds::flags::Settings::parse(&s.flags_ini).map_err(SettingsError::Flags)?;
    let mut tx = store.begin().await?;
    tx.execute(sql("DELETE FROM ocds_settings WHERE tenant_id = $1").bind(tenant)).await?;
    tx.execute(
        sql("INSERT INTO ocds_settings (tenant_id, ocid_prefix, flags_ini, updated_at) VALUES ($1, $2, $3, $4)")
            .bind(tenant)
            .bind(&s.ocid_prefix)
            .bind(&s.flags_ini)
            .bind(store.now_ms()),
    )
    .await?;
    super::index::queue_reflag(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(())
}

/// Every field defaults, so that a form with some missing reaches the
/// handler, which asks who is writing before it says what is wrong.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct SettingsForm {
    csrf: String,
    ocid_prefix: String,
    flags_ini: String,
}

pub async fn page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    let s = load(&ctx.app.store, &ctx.tenant.id).await?;
    Ok(ctx.render("contracting/settings.html", minijinja::context! { form => s, saved => false })?.into_response())
}

pub async fn submit(SignedIn(ctx): SignedIn, Form(form): Form<SettingsForm>) -> AppResult<Response> {
    ctx.region_admin()?;
    ctx.check_csrf(&form.csrf)?;
    let s = RegionSettings { ocid_prefix: form.ocid_prefix.trim().to_string(), flags_ini: form.flags_ini.replace("\r\n", "\n") };
    let error = match save(&ctx.app.store, &ctx.tenant.id, &s).await {
        Ok(()) => None,
        Err(SettingsError::Prefix) => Some(Msg::new("pengadaan.prefix_invalid").arg("value", &s.ocid_prefix)),
        Err(SettingsError::Flags(e)) => Some(Msg::new("pengadaan.flags_ini_invalid").arg("line", e.line).arg("detail", &e.message)),
        Err(SettingsError::Store(e)) => return Err(e.into()),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let error = error.map(|m| ctx.msg(&m));
    Ok((status, ctx.render("contracting/settings.html", minijinja::context! { form => s, saved => error.is_none(), error })?)
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_defaults() {
        assert_eq!(default_prefix("35.22"), "ocds-pd3522");
        assert!(valid_prefix(&default_prefix("35.22")));
        assert!(valid_prefix("ocds-213czf"));
        assert!(!valid_prefix("ocds-ABCDEF") && !valid_prefix("ocds-12345") && !valid_prefix("ocid-123456"));
        let parsed = ocds::flags::Settings::parse(DEFAULT_FLAGS_INI).unwrap();
        assert_eq!(parsed.indonesia, Some(ocds::flags::IndonesianSettings::default()), "the file spells out the defaults");
        assert!(parsed.r058.is_some() && parsed.r003.is_some());
    }
}
