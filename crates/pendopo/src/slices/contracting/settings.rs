//! A region's open-contracting settings: its OCID prefix and its red-flag
//! settings file (Cardinal's INI format plus an `[indonesia]` section), which
//! the walidata edits on `/pengadaan/pengaturan` and `pendopo ocds flags -s`
//! reads the same way.

use std::collections::BTreeMap;

use axum::Form;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::flag_form;
use crate::kernel::msg::Msg;
use crate::store::{Store, StoreError, sql};
use crate::web::ctx::{Ctx, SignedIn};
use crate::web::error::{AppError, AppResult};

#[derive(Debug, Clone, serde::Serialize)]
pub struct RegionSettings {
    pub ocid_prefix: String,
    pub flags_ini: String,
    /// The licence of the published data (a URI); empty: [`DEFAULT_LICENSE`].
    pub license: String,
    /// Where the region's publication policy is (a URI); empty: the portal's page.
    pub publication_policy: String,
}

/// CC BY 4.0, the catalogue's default licence too: an open licence (Open
/// Definition conformant, as OCDS recommends) that asks only for credit.
pub const DEFAULT_LICENSE: &str = "https://creativecommons.org/licenses/by/4.0/";

/// The portal's page that says what is published, when and under which licence.
pub const POLICY_PATH: &str = "/pengadaan/kebijakan";

impl RegionSettings {
    pub fn license_uri(&self) -> &str {
        if self.license.is_empty() { DEFAULT_LICENSE } else { &self.license }
    }

    pub fn policy_uri(&self, base: &str) -> String {
        if self.publication_policy.is_empty() { format!("{base}{POLICY_PATH}") } else { self.publication_policy.clone() }
    }
}

/// An absolute http(s) address without spaces, or nothing (the default).
fn valid_uri(text: &str) -> bool {
    text.is_empty()
        || ((text.starts_with("https://") || text.starts_with("http://"))
            && text.len() > "https://".len()
            && !text.chars().any(|c| c.is_whitespace() || c.is_control()))
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
    let row = store
        .fetch_optional(
            sql("SELECT ocid_prefix, flags_ini, license, publication_policy FROM ocds_settings WHERE tenant_id = $1").bind(tenant),
        )
        .await?;
    Ok(match row {
        Some(r) => RegionSettings { ocid_prefix: r.at(0)?, flags_ini: r.at(1)?, license: r.at(2)?, publication_policy: r.at(3)? },
        None => RegionSettings {
            ocid_prefix: default_prefix(tenant),
            flags_ini: DEFAULT_FLAGS_INI.to_string(),
            license: String::new(),
            publication_policy: String::new(),
        },
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
    /// Not an http(s) address: the field's name.
    #[error("uri {0}")]
    Uri(&'static str),
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
    for (field, value) in [("license", &s.license), ("publication_policy", &s.publication_policy)] {
        if !valid_uri(value) {
            return Err(SettingsError::Uri(field));
        }
    }
    ocds::flags::Settings::parse(&s.flags_ini).map_err(SettingsError::Flags)?;
    let mut tx = store.begin().await?;
    tx.execute(sql("DELETE FROM ocds_settings WHERE tenant_id = $1").bind(tenant)).await?;
    tx.execute(
        sql("INSERT INTO ocds_settings (tenant_id, ocid_prefix, flags_ini, license, publication_policy, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(tenant)
            .bind(&s.ocid_prefix)
            .bind(&s.flags_ini)
            .bind(&s.license)
            .bind(&s.publication_policy)
            .bind(store.now_ms()),
    )
    .await?;
    super::index::queue_reflag(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(())
}

/// The settings page: the publishing fields, then one fieldset per
/// indicator (`flag_form`), then the file to download or upload.
#[derive(Default)]
struct Shown {
    sections: Vec<flag_form::SectionView>,
    /// Errors of the publishing fields, by field name.
    errors: BTreeMap<&'static str, Msg>,
    saved: bool,
}

fn render(ctx: &Ctx, s: &RegionSettings, mut shown: Shown) -> AppResult<Response> {
    let label = |key: &str| ctx.app.ui.catalog.text(ctx.lang, key, &[]);
    // Every error at once: next to its field and in a summary that links to it.
    let mut summary = Vec::new();
    let mut field_errors = BTreeMap::new();
    for (field, m) in &shown.errors {
        let text = ctx.msg(m);
        // A file's mistake points at the upload field.
        let id = if *field == "flags_ini" { "ini" } else { field };
        summary.push(minijinja::context! { id, label => label(field_label(field)), message => text.clone() });
        field_errors.insert(*field, text);
    }
    for f in shown.sections.iter_mut().flat_map(|v| v.fields.iter_mut()) {
        if let Some(e) = &f.error {
            let text = ctx.msg(e);
            summary.push(minijinja::context! { id => f.id.clone(), label => label(&f.label), message => text.clone() });
            f.message = Some(text);
        }
    }
    let status = if summary.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = minijinja::context! { form => s, sections => shown.sections, summary, field_errors, saved => shown.saved };
    Ok((status, ctx.render("contracting/settings.html", page)?).into_response())
}

pub async fn page(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    let s = load(&ctx.app.store, &ctx.tenant.id).await?;
    render(&ctx, &s, Shown { sections: flag_form::views(&s.flags_ini), ..Shown::default() })
}

/// Stores the settings and shows them again, or says what is wrong.
async fn store_and_show(ctx: &Ctx, s: RegionSettings) -> AppResult<Response> {
    let mut shown = Shown { sections: flag_form::views(&s.flags_ini), ..Shown::default() };
    match save(&ctx.app.store, &ctx.tenant.id, &s).await {
        Ok(()) => shown.saved = true,
        Err(SettingsError::Prefix) => {
            shown.errors.insert("ocid_prefix", Msg::new("pengadaan.prefix_invalid").arg("value", &s.ocid_prefix));
        }
        Err(SettingsError::Uri(field)) => {
            shown.errors.insert(field, Msg::new("pengadaan.uri_invalid").arg("field", ctx.text(field_label(field))));
        }
        Err(SettingsError::Flags(e)) => {
            shown.errors.insert("flags_ini", Msg::new("pengadaan.flags_ini_invalid").arg("line", e.line).arg("detail", &e.message));
        }
        Err(SettingsError::Store(e)) => return Err(e.into()),
    }
    render(ctx, &s, shown)
}

/// What is wrong with the publishing fields, by field (as `save` checks them).
fn publishing_errors(ctx: &Ctx, s: &RegionSettings) -> BTreeMap<&'static str, Msg> {
    let mut errors = BTreeMap::new();
    if !valid_prefix(&s.ocid_prefix) {
        errors.insert("ocid_prefix", Msg::new("pengadaan.prefix_invalid").arg("value", &s.ocid_prefix));
    }
    for (field, value) in [("license", &s.license), ("publication_policy", &s.publication_policy)] {
        if !valid_uri(value) {
            errors.insert(field, Msg::new("pengadaan.uri_invalid").arg("field", ctx.text(field_label(field))));
        }
    }
    errors
}

/// The settings form. Its indicator fields edit the stored file; a whole
/// file sent as `flags_ini` (scripts do) replaces it.
pub async fn submit(SignedIn(ctx): SignedIn, Form(form): Form<BTreeMap<String, String>>) -> AppResult<Response> {
    ctx.region_admin()?;
    let field = |k: &str| form.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    ctx.check_csrf(&field("csrf"))?;
    let current = load(&ctx.app.store, &ctx.tenant.id).await?;
    let edited = match form.get("flags_ini") {
        Some(text) => Ok(text.replace("\r\n", "\n")),
        None => flag_form::apply(&current.flags_ini, &form),
    };
    let mut s = RegionSettings {
        ocid_prefix: field("ocid_prefix"),
        flags_ini: current.flags_ini,
        license: field("license"),
        publication_policy: field("publication_policy"),
    };
    match edited {
        Ok(ini) => {
            s.flags_ini = ini;
            store_and_show(&ctx, s).await
        }
        // Nothing is stored while a field is wrong, and every wrong field is said at once.
        Err(sections) => render(&ctx, &s, Shown { sections, errors: publishing_errors(&ctx, &s), ..Shown::default() }),
    }
}

/// The settings file as it is stored, for `pendopo ocds flags -s` or to edit.
pub async fn download(SignedIn(ctx): SignedIn) -> AppResult<Response> {
    ctx.region_admin()?;
    let s = load(&ctx.app.store, &ctx.tenant.id).await?;
    let headers = [(CONTENT_TYPE, "text/plain; charset=utf-8"), (CONTENT_DISPOSITION, "attachment; filename=\"pengaturan-bendera.ini\"")];
    Ok((headers, s.flags_ini).into_response())
}

/// Largest settings file accepted: the default is 1 KB.
const INI_MAX_BYTES: u64 = 64 * 1024;

/// A settings file uploaded to replace the stored one, checked like the form.
pub async fn upload(SignedIn(ctx): SignedIn, mut form: axum::extract::Multipart) -> AppResult<Response> {
    ctx.region_admin()?;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest(Msg::new("error.bad_request").arg("detail", e));
    let mut csrf = String::new();
    let mut text = None;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(bad)?,
            Some("ini") => {
                // The form sends the token first: no file is read for a forged form.
                ctx.check_csrf(&csrf)?;
                let bytes = crate::web::upload::part_bytes(&mut field, INI_MAX_BYTES).await?;
                text = Some(String::from_utf8(bytes.to_vec()).map_err(|_| AppError::BadRequest(Msg::new("pengadaan.ini_not_text")))?);
            }
            _ => {}
        }
    }
    ctx.check_csrf(&csrf)?;
    let text = text.filter(|t| !t.trim().is_empty()).ok_or_else(|| AppError::BadRequest(Msg::new("error.file_missing")))?;
    let current = load(&ctx.app.store, &ctx.tenant.id).await?;
    store_and_show(&ctx, RegionSettings { flags_ini: text.replace("\r\n", "\n"), ..current }).await
}

/// The portal's publication policy page, the packages' default `publicationPolicy`.
pub async fn policy(ctx: Ctx) -> AppResult<Response> {
    let s = load(&ctx.app.store, &ctx.tenant.id).await?;
    let page = minijinja::context! { region => ctx.tenant.name.clone(), license => s.license_uri() };
    Ok(ctx.render("contracting/policy.html", page)?.into_response())
}

fn field_label(field: &str) -> &'static str {
    match field {
        "license" => "pengadaan.license",
        "ocid_prefix" => "pengadaan.ocid_prefix",
        "flags_ini" => "pengadaan.flags_ini",
        _ => "pengadaan.publication_policy",
    }
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
        assert!(valid_uri("") && valid_uri("https://jdih.bojonegorokab.go.id/kebijakan") && valid_uri(DEFAULT_LICENSE));
        assert!(!valid_uri("https://") && !valid_uri("lisensi terbuka") && !valid_uri("ftp://x") && !valid_uri("https://a b"));
    }
}
