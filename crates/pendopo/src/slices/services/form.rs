//! The officers' form for a service, without JavaScript: its fields are
//! named as the API's problems are (`sla.verify_working_days`,
//! `attributes.0.code`, `standard.persyaratan`), so each error lands beside
//! its input. Attributes are rows (two empty ones to add more); a list
//! attribute's options are lines `key = name`.

use std::collections::{BTreeMap, BTreeSet};

use layanan::case::Kind;
use layanan::open311::Datatype;
use layanan::standar::Component;

use super::model::{AttributeSpec, AttributeValue, FieldErrors, Service, ServiceInput, SlaInput, Standard, StandardInput};
use crate::kernel::msg::Msg;
use crate::kernel::organizations::Organization;

/// The form's fields as sent, in order (`kinds` repeats).
pub type FormPairs = Vec<(String, String)>;

const SLA_FIELDS: [&str; 4] = ["verify_working_days", "follow_up_working_days", "auto_close_working_days", "resolution_days"];
/// Empty attribute rows offered after the filled ones.
const SPARE_ROWS: usize = 2;

fn first<'a>(pairs: &'a FormPairs, key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

fn number(pairs: &FormPairs, key: &str, errors: &mut FieldErrors) -> Option<i64> {
    let text = first(pairs, key).trim();
    if text.is_empty() {
        return None;
    }
    let parsed = text.replace('.', "").parse::<i64>();
    if parsed.is_err() {
        errors.push((key.to_string(), Msg::new("layanan.number_invalid")));
    }
    parsed.ok()
}

/// The attribute rows' indices as sent.
fn attribute_rows(pairs: &FormPairs) -> BTreeSet<usize> {
    pairs.iter().filter_map(|(k, _)| k.strip_prefix("attributes.")?.split('.').next()?.parse().ok()).collect()
}

fn values_of(text: &str) -> Vec<AttributeValue> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once('=') {
            Some((key, name)) => AttributeValue { key: key.trim().into(), name: name.trim().into() },
            None => AttributeValue { key: l.trim().into(), name: l.trim().into() },
        })
        .collect()
}

/// The input a submitted form means, and the problems only the form can
/// have (a number that is not one). Empty attribute rows are left out.
pub fn input_of(pairs: &FormPairs) -> (ServiceInput, FieldErrors) {
    let mut errors = FieldErrors::new();
    let sla = SLA_FIELDS.map(|f| number(pairs, &format!("sla.{f}"), &mut errors));
    let attributes = attribute_rows(pairs)
        .into_iter()
        .map(|i| {
            let get = |name: &str| first(pairs, &format!("attributes.{i}.{name}")).to_string();
            AttributeSpec {
                code: get("code"),
                datatype: get("datatype"),
                required: !get("required").is_empty(),
                description: get("description"),
                values: values_of(&get("values")),
            }
        })
        .filter(|a| !(a.code.trim().is_empty() && a.description.trim().is_empty() && a.values.is_empty()))
        .collect();
    let components: BTreeMap<String, String> =
        Component::ALL.iter().map(|c| (c.code().to_string(), first(pairs, &format!("standard.{}", c.code())).to_string())).collect();
    let maklumat = first(pairs, "standard.maklumat").to_string();
    let blank = components.values().all(|t| t.trim().is_empty()) && maklumat.trim().is_empty();
    let input = ServiceInput {
        code: first(pairs, "code").to_string(),
        name: first(pairs, "name").to_string(),
        agency: first(pairs, "agency").to_string(),
        description: first(pairs, "description").to_string(),
        kinds: Some(pairs.iter().filter(|(k, _)| k == "kinds").map(|(_, v)| v.clone()).collect()),
        sla: SlaInput {
            verify_working_days: sla[0],
            follow_up_working_days: sla[1],
            auto_close_working_days: sla[2],
            resolution_days: sla[3],
        },
        yearly_users: number(pairs, "yearly_users", &mut errors),
        attributes,
        standard: (!blank).then_some(StandardInput { components, maklumat }),
    };
    (input, errors)
}

/// The fields of a form showing `input` (attribute rows numbered from 0).
pub fn pairs_of(input: &ServiceInput, raw: Option<&FormPairs>) -> FormPairs {
    let mut pairs: FormPairs = vec![
        ("code".into(), input.code.clone()),
        ("name".into(), input.name.clone()),
        ("agency".into(), input.agency.clone()),
        ("description".into(), input.description.clone()),
    ];
    let kinds = input.kinds.clone().unwrap_or_else(|| Kind::ALL.iter().map(|k| k.code().to_string()).collect());
    pairs.extend(kinds.into_iter().map(|k| ("kinds".to_string(), k)));
    let sla =
        [input.sla.verify_working_days, input.sla.follow_up_working_days, input.sla.auto_close_working_days, input.sla.resolution_days];
    let numbers = SLA_FIELDS.iter().map(|f| format!("sla.{f}")).zip(sla).chain([("yearly_users".to_string(), input.yearly_users)]);
    for (key, value) in numbers {
        // A number the officer mistyped is shown back as typed.
        let shown = raw.map(|r| first(r, &key).to_string()).unwrap_or_else(|| value.map(|n| n.to_string()).unwrap_or_default());
        pairs.push((key, shown));
    }
    for (i, a) in input.attributes.iter().enumerate() {
        let values: Vec<String> = a.values.iter().map(|v| format!("{} = {}", v.key, v.name)).collect();
        pairs.push((format!("attributes.{i}.code"), a.code.clone()));
        pairs.push((format!("attributes.{i}.datatype"), a.datatype.clone()));
        pairs.push((format!("attributes.{i}.description"), a.description.clone()));
        pairs.push((format!("attributes.{i}.values"), values.join("\n")));
        if a.required {
            pairs.push((format!("attributes.{i}.required"), "1".into()));
        }
    }
    if let Some(s) = &input.standard {
        pairs.extend(s.components.iter().map(|(c, t)| (format!("standard.{c}"), t.clone())));
        pairs.push(("standard.maklumat".into(), s.maklumat.clone()));
    }
    pairs
}

/// The form of a saved service and its newest standard.
pub fn pairs_of_service(s: &Service, standard: Option<&Standard>) -> FormPairs {
    let input = ServiceInput {
        code: s.code.clone(),
        name: s.name.clone(),
        agency: s.agency.slug.clone(),
        description: s.description.clone(),
        kinds: Some(s.kinds.iter().map(|k| k.code().to_string()).collect()),
        sla: SlaInput {
            verify_working_days: Some(s.sla.verify_working_days.into()),
            follow_up_working_days: Some(s.sla.follow_up_working_days.into()),
            auto_close_working_days: Some(s.sla.auto_close_working_days.into()),
            resolution_days: Some(s.sla.resolution_days.into()),
        },
        yearly_users: s.yearly_users,
        attributes: s.attributes.clone(),
        standard: standard.map(|st| StandardInput { components: st.components.clone(), maklumat: st.maklumat.clone() }),
    };
    pairs_of(&input, None)
}

/// What the template needs: the values by field name, the attribute rows,
/// the components in order, the choices, and the errors by field name.
pub fn view(pairs: &FormPairs, editing: Option<&str>, agencies: Vec<Organization>, errors: BTreeMap<String, String>) -> minijinja::Value {
    let values: BTreeMap<&str, &str> = pairs.iter().rev().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let chosen: Vec<&str> = pairs.iter().filter(|(k, _)| k == "kinds").map(|(_, v)| v.as_str()).collect();
    let kinds: Vec<_> = Kind::ALL.iter().map(|k| minijinja::context! { code => k.code(), checked => chosen.contains(&k.code()) }).collect();
    let rows = attribute_rows(pairs).into_iter().max().map_or(0, |m| m + 1) + SPARE_ROWS;
    let components: Vec<_> = Component::ALL
        .iter()
        .map(|c| minijinja::context! { code => c.code(), name => c.name(), public => c.is_public(), field => format!("standard.{}", c.code()) })
        .collect();
    let has_errors = !errors.is_empty();
    minijinja::context! {
        values, kinds, has_errors, editing, agencies, errors, components,
        rows => (0..rows).collect::<Vec<_>>(),
        sla_fields => SLA_FIELDS,
        datatypes => Datatype::ALL.iter().map(|d| d.code()).collect::<Vec<_>>(),
    }
}
