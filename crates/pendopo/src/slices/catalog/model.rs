//! The catalog's records and the rules for what may be saved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kernel::msg::Msg;

/// Where a dataset is in the Satu Data cycle: a produsen data drafts and
/// submits, the walidata publishes or returns it with notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Draft,
    Submitted,
    Published,
    Returned,
    Deleted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Published => "published",
            State::Returned => "returned",
            State::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [State::Draft, State::Submitted, State::Published, State::Returned, State::Deleted].into_iter().find(|x| x.as_str() == s)
    }

    /// CKAN's own `state`: clients know only active, draft and deleted.
    pub fn ckan(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Deleted => "deleted",
            _ => "active",
        }
    }
}

/// A licence a dataset may carry (CKAN's `license_list` shape).
#[derive(Debug, Clone, Serialize)]
pub struct License {
    pub id: &'static str,
    pub title: &'static str,
    pub url: &'static str,
    pub od_conformance: &'static str,
}

pub const LICENSES: &[License] = &[
    License {
        id: "cc-by-4.0",
        title: "Creative Commons Attribution 4.0",
        url: "https://creativecommons.org/licenses/by/4.0/",
        od_conformance: "approved",
    },
    License {
        id: "cc-by-sa-4.0",
        title: "Creative Commons Attribution Share-Alike 4.0",
        url: "https://creativecommons.org/licenses/by-sa/4.0/",
        od_conformance: "approved",
    },
    License {
        id: "cc-zero",
        title: "Creative Commons CCZero",
        url: "https://creativecommons.org/publicdomain/zero/1.0/",
        od_conformance: "approved",
    },
    License {
        id: "odc-by",
        title: "Open Data Commons Attribution License",
        url: "https://opendatacommons.org/licenses/by/",
        od_conformance: "approved",
    },
    License {
        id: "odc-odbl",
        title: "Open Data Commons Open Database License (ODbL)",
        url: "https://opendatacommons.org/licenses/odbl/",
        od_conformance: "approved",
    },
    License {
        id: "odc-pddl",
        title: "Open Data Commons Public Domain Dedication and License",
        url: "https://opendatacommons.org/licenses/pddl/",
        od_conformance: "approved",
    },
    License { id: "other-open", title: "Other (Open): Lisensi Terbuka Pemerintah", url: "", od_conformance: "approved" },
    License { id: "notspecified", title: "License not specified", url: "", od_conformance: "not reviewed" },
];

pub fn license(id: &str) -> Option<&'static License> {
    LICENSES.iter().find(|l| l.id == id)
}

/// The six dimensions of the national smart city framework: the default groups.
pub const SMART_CITY_GROUPS: &[(&str, &str, &str)] = &[
    ("smart-governance", "Smart Governance", "Pelayanan publik, manajemen birokrasi, efisiensi kebijakan"),
    ("smart-branding", "Smart Branding", "Pariwisata, bisnis, wajah kota"),
    ("smart-economy", "Smart Economy", "Industri, kesejahteraan (termasuk UMKM), ekosistem transaksi keuangan"),
    ("smart-living", "Smart Living", "Harmonisasi tata ruang, kesehatan, transportasi"),
    ("smart-society", "Smart Society", "Komunitas, ekosistem belajar, keamanan"),
    ("smart-environment", "Smart Environment", "Proteksi lingkungan, tata kelola sampah, tata kelola energi"),
];

/// How often the data is renewed.
pub const FREQUENCIES: &[&str] = &["harian", "mingguan", "bulanan", "triwulanan", "semesteran", "tahunan", "lima_tahunan", "tidak_tentu"];

/// Satu Data metadata (Perpres 39/2019) with the MS-Ind indicator fields
/// (Peraturan BPS 5/2020).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SatuData {
    /// Produsen data: defaults to the owning organisation's name.
    pub produsen_data: String,
    pub walidata: String,
    pub frekuensi: String,
    /// Region code the data covers (the regency, a kecamatan, a desa).
    pub cakupan_wilayah: String,
    /// Period covered, as years or ISO dates (`2024`, `2024-01-01`).
    pub periode_awal: String,
    pub periode_akhir: String,
    pub nama_indikator: String,
    pub konsep: String,
    pub definisi: String,
    pub interpretasi: String,
    pub metode: String,
    pub ukuran: String,
    pub satuan: String,
    pub klasifikasi_penyajian: String,
    pub indikator_komposit: bool,
    /// The indicators or variables a composite indicator is built from.
    pub indikator_pembangun: Vec<String>,
    pub level_estimasi: String,
}

impl SatuData {
    /// The year the data starts, when the period says.
    pub fn start_year(&self) -> Option<i64> {
        let y = self.periode_awal.get(..4)?;
        y.parse().ok().filter(|y| (1900..=2200).contains(y))
    }
}

/// A resource as given by a client.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceInput {
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    pub format: String,
    pub url: String,
}

/// A dataset as given by a client (CKAN's package dict, plus `satudata`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DatasetInput {
    /// On create, the id to keep (a copy from another CKAN; only the
    /// walidata's is kept); on update, which dataset (id or name).
    pub id: Option<String>,
    pub name: String,
    pub title: String,
    pub notes: String,
    pub license_id: String,
    /// Organisation id or name.
    pub owner_org: String,
    pub private: Option<Value>,
    pub state: Option<String>,
    pub tags: Vec<TagInput>,
    pub groups: Vec<GroupRef>,
    pub extras: Vec<Extra>,
    pub resources: Vec<ResourceInput>,
    pub satudata: Option<SatuData>,
    /// `author`, `maintainer`, `version`, `url` and the e-mails, at the top level as CKAN has them.
    #[serde(flatten)]
    pub core: CoreFields,
}

/// CKAN's core fields that Pendopo keeps as given: who made the data, who
/// keeps it, its version and its home page. CKAN writes `null` for the
/// empty ones; they read as empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CoreFields {
    #[serde(deserialize_with = "text_or_null")]
    pub author: String,
    #[serde(deserialize_with = "text_or_null")]
    pub author_email: String,
    #[serde(deserialize_with = "text_or_null")]
    pub maintainer: String,
    #[serde(deserialize_with = "text_or_null")]
    pub maintainer_email: String,
    #[serde(deserialize_with = "text_or_null")]
    pub version: String,
    #[serde(deserialize_with = "text_or_null")]
    pub url: String,
}

fn text_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

impl CoreFields {
    /// As CKAN shows them: `null` where empty.
    pub fn as_ckan(&self) -> serde_json::Map<String, Value> {
        let shown = |v: &str| if v.is_empty() { Value::Null } else { Value::from(v) };
        [
            ("author", &self.author),
            ("author_email", &self.author_email),
            ("maintainer", &self.maintainer),
            ("maintainer_email", &self.maintainer_email),
            ("version", &self.version),
            ("url", &self.url),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), shown(v)))
        .collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagInput {
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupRef {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Extra {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// Field problems, CKAN's Validation Error shape: field > messages.
pub type FieldErrors = BTreeMap<String, Vec<Msg>>;

/// CKAN's rule for names: 2-100 characters of a-z, 0-9, - and _.
pub fn valid_name(s: &str) -> bool {
    crate::kernel::organizations::valid_slug(s)
}

/// An id as CKAN makes them, a UUID in its canonical lowercase form: the
/// only kind a client may choose, since a resource's datastore table is
/// named after its id without the dashes.
pub fn valid_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_digit() || (b'a'..=b'f').contains(&b) })
}

/// CKAN's rule for tags: letters, digits, spaces, - _ and ., at most 100.
pub fn valid_tag(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= 100 && s.chars().all(|c| c.is_alphanumeric() || " -_.".contains(c))
}

/// `private` as CKAN clients send it: a JSON bool, or "true"/"false" strings from forms.
pub fn parse_private(v: &Option<Value>) -> Result<bool, Msg> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if matches!(s.to_ascii_lowercase().as_str(), "true" | "on" | "1" | "yes") => Ok(true),
        Some(Value::String(s)) if matches!(s.to_ascii_lowercase().as_str(), "false" | "off" | "0" | "no" | "") => Ok(false),
        Some(_) => Err(Msg::new("catalog.private_invalid")),
    }
}

/// A resource link a page may show as `href`: http(s), or a path on this
/// site; never `javascript:`, `data:` or anything else a browser would run.
pub fn safe_link(url: &str) -> bool {
    let url = url.trim();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let scheme_ok = url.is_empty()
        || lower.starts_with("http://")
        || lower.starts_with("https://")
        || (url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\"));
    scheme_ok && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Checks the fields that do not need the database.
pub fn check(input: &DatasetInput) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut add = |field: &str, m: Msg| errors.entry(field.to_string()).or_default().push(m);
    if input.name.is_empty() {
        add("name", Msg::new("catalog.missing_value"));
    } else if !valid_name(&input.name) {
        add("name", Msg::new("catalog.name_invalid"));
    }
    if input.title.chars().count() > 500 {
        add("title", Msg::new("catalog.title_long"));
    }
    if !crate::kernel::text::is_plain(&input.title) {
        add("title", Msg::new("error.name_control"));
    }
    if input.owner_org.trim().is_empty() {
        add("owner_org", Msg::new("catalog.missing_value"));
    }
    if !input.license_id.is_empty() && license(&input.license_id).is_none() {
        add("license_id", Msg::new("catalog.license_unknown").arg("license", &input.license_id));
    }
    if let Err(m) = parse_private(&input.private) {
        add("private", m);
    }
    for t in &input.tags {
        if !valid_tag(&t.name) {
            add("tags", Msg::new("catalog.tag_invalid").arg("tag", &t.name));
        }
    }
    for (i, r) in input.resources.iter().enumerate() {
        if r.id.as_deref().is_some_and(|id| !id.is_empty() && !valid_uuid(id)) {
            add("resources", Msg::new("catalog.resource_id_invalid").arg("n", i + 1));
        }
        if r.url.trim().is_empty() && r.name.trim().is_empty() {
            add("resources", Msg::new("catalog.resource_empty").arg("n", i + 1));
        } else if !safe_link(&r.url) {
            add("resources", Msg::new("catalog.url_scheme").arg("n", i + 1));
        }
    }
    let core = &input.core;
    for (field, value) in [("author", &core.author), ("maintainer", &core.maintainer), ("version", &core.version)] {
        if value.chars().count() > 500 || !crate::kernel::text::is_plain(value) {
            add(field, Msg::new("catalog.core_text"));
        }
    }
    for (field, value) in [("author_email", &core.author_email), ("maintainer_email", &core.maintainer_email)] {
        if !value.is_empty() && !crate::kernel::identity::valid_email(value) {
            add(field, Msg::new("error.email_invalid"));
        }
    }
    // A web address of its own (not a path on this site, as a resource may be).
    let web_address = safe_link(&core.url) && core.url.contains("://");
    if !core.url.is_empty() && !web_address {
        add("url", Msg::new("catalog.core_url"));
    }
    if let Some(sd) = &input.satudata {
        if !sd.frekuensi.is_empty() && !FREQUENCIES.contains(&sd.frekuensi.as_str()) {
            add(
                "satudata.frekuensi",
                Msg::new("catalog.frequency_unknown").arg("value", &sd.frekuensi).arg("allowed", FREQUENCIES.join(", ")),
            );
        }
        if !sd.cakupan_wilayah.is_empty() && wilayah::Code::parse(&sd.cakupan_wilayah).is_err() {
            add("satudata.cakupan_wilayah", Msg::new("error.region_not_in_tenant").arg("code", &sd.cakupan_wilayah));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_uuids_are_ids_a_client_may_choose() {
        assert!(valid_uuid("0b1e6d3c-6d2a-4f6e-9a51-1f0c8e2b7a90"));
        assert!(valid_uuid(&crate::kernel::identity::new_id()));
        for bad in [
            "0B1E6D3C-6D2A-4F6E-9A51-1F0C8E2B7A90",
            "0b1e6d3c6d2a4f6e9a511f0c8e2b7a90",
            "produksi-padi",
            "0b1e6d3c-6d2a-4f6e-9a51-1f0c8e2b7a9g",
            "",
        ] {
            assert!(!valid_uuid(bad), "{bad}");
        }
    }

    #[test]
    fn only_web_links_are_resource_links() {
        for ok in ["https://data.go.id/x.csv", "HTTP://bps.go.id", "/dataset/a/resource/b/download/x.csv", ""] {
            assert!(safe_link(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "//evil.example",
            "/\\evil.example",
            "https://a b",
            "vbscript:x",
        ] {
            assert!(!safe_link(bad), "{bad}");
        }
    }

    #[test]
    fn checks_names_tags_licences_and_frequency() {
        let ok = DatasetInput {
            name: "produksi-padi".into(),
            owner_org: "dinas-pertanian".into(),
            license_id: "cc-by-4.0".into(),
            ..Default::default()
        };
        assert!(check(&ok).is_empty());
        let bad = DatasetInput {
            name: "Produksi Padi".into(),
            license_id: "mit".into(),
            tags: vec![TagInput { name: "padi;drop".into() }],
            satudata: Some(SatuData { frekuensi: "kadang".into(), ..Default::default() }),
            private: Some(Value::from(3)),
            ..Default::default()
        };
        let errors = check(&bad);
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["license_id", "name", "owner_org", "private", "satudata.frekuensi", "tags"]);
    }

    #[test]
    fn private_accepts_what_clients_send() {
        assert_eq!(parse_private(&Some(Value::Bool(true))), Ok(true));
        assert_eq!(parse_private(&Some(Value::from("False"))), Ok(false));
        assert_eq!(parse_private(&None), Ok(false));
        assert!(parse_private(&Some(Value::from("maybe"))).is_err());
    }

    #[test]
    fn start_year_reads_the_period() {
        let sd = SatuData { periode_awal: "2024-01-01".into(), ..Default::default() };
        assert_eq!(sd.start_year(), Some(2024));
        assert_eq!(SatuData::default().start_year(), None);
    }
}
