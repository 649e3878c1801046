//! A service as the catalogue keeps it, what a form or the API sends to make
//! or change one, and the checks that need no database. Every problem is
//! reported at once, each under its field, so a form can show them beside
//! their inputs.

use std::collections::BTreeMap;

use layanan::case::{Kind, SlaSettings};
use layanan::open311::{self, Datatype};
use layanan::standar::{self, Component};
use serde::{Deserialize, Serialize};

use crate::kernel::msg::Msg;

/// The longest a service's code may be: it names the service in URLs and
/// in Open311 (`service_code`).
const MAX_CODE: usize = 50;
/// Components and the pledge are a few paragraphs each.
const MAX_COMPONENT_CHARS: usize = 20_000;
/// Working or calendar days: a year is the most any deadline here means.
const MAX_DAYS: i64 = 366;

/// A service of the catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    #[serde(skip)]
    pub id: String,
    pub code: String,
    pub name: String,
    pub agency: Agency,
    pub description: String,
    pub kinds: Vec<Kind>,
    pub sla: SlaSettings,
    /// The IKM population: how many people use the service in a year.
    pub yearly_users: Option<i64>,
    pub attributes: Vec<AttributeSpec>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The agency (organisation) that runs a service.
#[derive(Debug, Clone, Serialize)]
pub struct Agency {
    #[serde(skip)]
    pub id: String,
    pub slug: String,
    pub name: String,
}

/// An Open311 attribute (an extra question the service asks of a report).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeSpec {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub datatype: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub description: String,
    /// The options of a list datatype.
    #[serde(default)]
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttributeValue {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub name: String,
}

impl Service {
    /// The attribute as Open311 describes it, `order` its place in the list.
    pub fn open311_attributes(&self) -> Vec<open311::Attribute> {
        self.attributes
            .iter()
            .zip(1..)
            .map(|(a, order)| open311::Attribute {
                variable: true,
                code: a.code.clone(),
                datatype: Datatype::from_code(&a.datatype).unwrap_or(Datatype::String),
                required: a.required,
                datatype_description: None,
                order,
                description: a.description.clone(),
                values: a.values.iter().map(|v| open311::AttributeValue { key: v.key.clone(), name: v.name.clone() }).collect(),
            })
            .collect()
    }
}

/// One version of a service's Standar Pelayanan.
#[derive(Debug, Clone, Serialize)]
pub struct Standard {
    pub version: i64,
    /// Component code > text, for the 14 components.
    pub components: BTreeMap<String, String>,
    pub maklumat: String,
    pub created_at: i64,
}

/// What a form or a JSON body sends.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ServiceInput {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// The agency's slug.
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub description: String,
    /// Report kinds accepted; all three when left out.
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    #[serde(default)]
    pub sla: SlaInput,
    #[serde(default)]
    pub yearly_users: Option<i64>,
    #[serde(default)]
    pub attributes: Vec<AttributeSpec>,
    /// Left out: the standard stays as it is (none for a new service).
    #[serde(default)]
    pub standard: Option<StandardInput>,
}

/// Deadline settings; each one left out takes SP4N-LAPOR!'s default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SlaInput {
    pub verify_working_days: Option<i64>,
    pub follow_up_working_days: Option<i64>,
    pub auto_close_working_days: Option<i64>,
    pub resolution_days: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StandardInput {
    #[serde(default)]
    pub components: BTreeMap<String, String>,
    #[serde(default)]
    pub maklumat: String,
}

/// An input that passed every check that needs no database.
#[derive(Debug, Clone)]
pub struct Checked {
    pub code: String,
    pub name: String,
    pub description: String,
    pub kinds: Vec<Kind>,
    pub sla: SlaSettings,
    pub yearly_users: Option<i64>,
    pub attributes: Vec<AttributeSpec>,
    pub standard: Option<StandardInput>,
}

pub type FieldErrors = Vec<(String, Msg)>;

/// Codes (of services, attributes and their options): letters, digits,
/// `.`, `-`, `_` (safe in a URL path and in Open311 XML), 1 to 50 of them.
pub fn valid_code(code: &str) -> bool {
    (1..=MAX_CODE).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// A service's code also names its page, `/layanan/{code}`: these are the
/// slice's own pages there (the new-service form, the staff inbox, Dialog
/// Publik, the gateway's settings, the LAPOR! import).
const RESERVED_CODES: [&str; 5] = ["baru", "kasus", "dialog", "pesan", "impor"];

fn valid_service_code(code: &str) -> bool {
    valid_code(code) && !RESERVED_CODES.iter().any(|r| code.eq_ignore_ascii_case(r))
}

fn plain_line(errors: &mut FieldErrors, field: &str, text: &str, max: usize) {
    let text = text.trim();
    if text.is_empty() {
        errors.push((field.to_string(), Msg::new("layanan.required")));
    } else if text.chars().count() > max || !crate::kernel::text::is_plain(text) {
        errors.push((field.to_string(), Msg::new("layanan.line_invalid").arg("max", max)));
    }
}

impl ServiceInput {
    /// Every check that needs no database, all problems at once.
    pub fn check(&self) -> Result<Checked, FieldErrors> {
        let mut errors = FieldErrors::new();
        let code = self.code.trim();
        if !valid_service_code(code) {
            errors.push(("code".into(), Msg::new("layanan.code_invalid")));
        }
        plain_line(&mut errors, "name", &self.name, 200);
        if self.agency.trim().is_empty() {
            errors.push(("agency".into(), Msg::new("layanan.required")));
        }
        let kinds = self.check_kinds(&mut errors);
        let sla = self.check_sla(&mut errors);
        if let Some(n) = self.yearly_users
            && n < 0
        {
            errors.push(("yearly_users".into(), Msg::new("layanan.yearly_users_invalid")));
        }
        check_attributes(&self.attributes, &mut errors);
        if let Some(standard) = &self.standard {
            check_standard(standard, &mut errors);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Checked {
            code: code.to_string(),
            name: self.name.trim().to_string(),
            description: self.description.trim().to_string(),
            kinds,
            sla,
            yearly_users: self.yearly_users,
            attributes: self
                .attributes
                .iter()
                .map(|a| AttributeSpec {
                    code: a.code.trim().to_string(),
                    datatype: a.datatype.trim().to_string(),
                    required: a.required,
                    description: a.description.trim().to_string(),
                    values: a.values.iter().map(|v| AttributeValue { key: v.key.trim().into(), name: v.name.trim().into() }).collect(),
                })
                .collect(),
            standard: self.standard.as_ref().map(|s| StandardInput {
                components: s.components.iter().map(|(k, v)| (k.clone(), v.trim().to_string())).collect(),
                maklumat: s.maklumat.trim().to_string(),
            }),
        })
    }

    fn check_kinds(&self, errors: &mut FieldErrors) -> Vec<Kind> {
        let Some(given) = &self.kinds else { return Kind::ALL.to_vec() };
        let mut kinds = Vec::new();
        for code in given {
            match Kind::from_code(code.trim()) {
                Some(k) if !kinds.contains(&k) => kinds.push(k),
                Some(_) => {}
                None => errors.push(("kinds".into(), Msg::new("layanan.kind_unknown").arg("kind", code))),
            }
        }
        if given.is_empty() {
            errors.push(("kinds".into(), Msg::new("layanan.kinds_required")));
        }
        kinds
    }

    fn check_sla(&self, errors: &mut FieldErrors) -> SlaSettings {
        let default = SlaSettings::default();
        let mut day = |field: &'static str, given: Option<i64>, default: u32| match given {
            None => default,
            Some(n) if (1..=MAX_DAYS).contains(&n) => n as u32,
            Some(_) => {
                errors.push((format!("sla.{field}"), Msg::new("layanan.days_invalid").arg("max", MAX_DAYS)));
                default
            }
        };
        SlaSettings {
            verify_working_days: day("verify_working_days", self.sla.verify_working_days, default.verify_working_days),
            follow_up_working_days: day("follow_up_working_days", self.sla.follow_up_working_days, default.follow_up_working_days),
            auto_close_working_days: day("auto_close_working_days", self.sla.auto_close_working_days, default.auto_close_working_days),
            resolution_days: day("resolution_days", self.sla.resolution_days, default.resolution_days),
        }
    }
}

fn check_attributes(attributes: &[AttributeSpec], errors: &mut FieldErrors) {
    let mut seen = Vec::new();
    for (i, a) in attributes.iter().enumerate() {
        let field = |name: &str| format!("attributes.{i}.{name}");
        let code = a.code.trim();
        if !valid_code(code) {
            errors.push((field("code"), Msg::new("layanan.code_invalid")));
        } else if seen.contains(&code) {
            errors.push((field("code"), Msg::new("layanan.attribute_twice").arg("code", code)));
        }
        seen.push(code);
        plain_line(errors, &field("description"), &a.description, 500);
        match Datatype::from_code(a.datatype.trim()) {
            None => errors.push((field("datatype"), Msg::new("layanan.datatype_unknown").arg("datatype", &a.datatype))),
            Some(Datatype::Singlevaluelist | Datatype::Multivaluelist) => check_values(&a.values, &field("values"), errors),
            Some(_) if !a.values.is_empty() => errors.push((field("values"), Msg::new("layanan.values_not_list"))),
            Some(_) => {}
        }
    }
}

fn check_values(values: &[AttributeValue], field: &str, errors: &mut FieldErrors) {
    if values.is_empty() {
        errors.push((field.to_string(), Msg::new("layanan.values_required")));
    }
    let mut keys = Vec::new();
    for v in values {
        let key = v.key.trim();
        if !valid_code(key) || v.name.trim().is_empty() || !crate::kernel::text::is_plain(v.name.trim()) || keys.contains(&key) {
            errors.push((field.to_string(), Msg::new("layanan.value_invalid").arg("key", key)));
        }
        keys.push(key);
    }
}

/// A standard is all 14 components and the pledge, or it is not saved:
/// each missing one is named.
fn check_standard(standard: &StandardInput, errors: &mut FieldErrors) {
    for key in standard.components.keys() {
        if Component::from_code(key).is_none() {
            errors.push((format!("standard.{key}"), Msg::new("layanan.component_unknown").arg("component", key)));
        }
    }
    let filled = standard.components.iter().filter_map(|(k, v)| Component::from_code(k).map(|c| (c, v.as_str())));
    for c in standar::missing(filled) {
        errors.push((format!("standard.{}", c.code()), Msg::new("layanan.component_missing").arg("component", c.name())));
    }
    if standard.maklumat.trim().is_empty() {
        errors.push(("standard.maklumat".into(), Msg::new("layanan.maklumat_missing")));
    }
    let too_long = standard.components.values().chain([&standard.maklumat]).any(|t| t.chars().count() > MAX_COMPONENT_CHARS);
    if too_long {
        errors.push(("standard".into(), Msg::new("layanan.component_too_long").arg("max", MAX_COMPONENT_CHARS)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(code: &str) -> ServiceInput {
        ServiceInput { code: code.into(), name: "Kartu Identitas Anak".into(), agency: "dukcapil".into(), ..Default::default() }
    }

    #[test]
    fn a_service_takes_lapor_defaults_and_no_code_that_names_a_page() {
        let checked = input("KIA").check().unwrap();
        assert_eq!(checked.sla, SlaSettings::default());
        assert_eq!(checked.kinds, Kind::ALL);
        for code in ["baru", "BARU", "kasus", "Kasus", "a b", "", "ktp/1"] {
            let errors = input(code).check().unwrap_err();
            assert_eq!(errors.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), ["code"], "{code:?}");
        }
    }
}
