//! `POST requests`: the form fields read into a checked request.

use super::{Attribute, Datatype, MAX_DESCRIPTION_CHARS, Problem, Problems, ServiceDefinition, Time, field};

/// Where the problem is. At least one part is present.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Location {
    /// WGS84 latitude and longitude.
    pub lat_long: Option<(f64, f64)>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
}

/// A POSTed service request that passed every check against its service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PostRequest {
    pub jurisdiction_id: Option<String>,
    /// Checked by the caller (a Pendopo API token).
    pub api_key: Option<String>,
    pub service_code: String,
    pub location: Location,
    /// `(code, values)` in the definition's order; one value except for a
    /// multivaluelist. Non-variable attributes are never here.
    pub attributes: Vec<(String, Vec<String>)>,
    pub email: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub media_url: Option<String>,
}

/// Reads a POST's form fields (already URL-decoded, in order).
///
/// `definition` finds the service by code (`None`: no such service; a
/// service without attributes has an empty definition). Every problem is
/// reported, not only the first, so a client can fix its form in one go.
pub fn parse_post<'d>(
    pairs: &[(String, String)],
    definition: impl FnOnce(&str) -> Option<&'d ServiceDefinition>,
) -> Result<PostRequest, Problems> {
    let mut problems = Vec::new();
    let text = |name: &str| field(pairs, name).map(str::to_owned);
    let service_code = text("service_code");
    let definition = match &service_code {
        None => {
            problems.push(Problem::MissingServiceCode);
            None
        }
        Some(code) => definition(code).or_else(|| {
            problems.push(Problem::UnknownServiceCode(code.clone()));
            None
        }),
    };
    let location = location(pairs, &mut problems);
    let description = text("description");
    if let Some(chars) = description.as_deref().map(|d| d.chars().count()).filter(|&n| n > MAX_DESCRIPTION_CHARS) {
        problems.push(Problem::DescriptionTooLong { chars });
    }
    let email = text("email");
    if let Some(email) = email.as_deref().filter(|e| !looks_like_email(e)) {
        problems.push(Problem::BadEmail(email.to_owned()));
    }
    let media_url = text("media_url");
    if let Some(url) =
        media_url.as_deref().filter(|u| !(u.starts_with("http://") || u.starts_with("https://")) || u.contains(char::is_whitespace))
    {
        problems.push(Problem::BadMediaUrl(url.to_owned()));
    }
    let attributes = definition.map(|d| attributes(pairs, d, &mut problems)).unwrap_or_default();
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    Ok(PostRequest {
        jurisdiction_id: text("jurisdiction_id"),
        api_key: text("api_key"),
        service_code: service_code.unwrap_or_default(),
        location,
        attributes,
        email,
        device_id: text("device_id"),
        account_id: text("account_id"),
        first_name: text("first_name"),
        last_name: text("last_name"),
        phone: text("phone"),
        description,
        media_url,
    })
}

fn location(pairs: &[(String, String)], problems: &mut Vec<Problem>) -> Location {
    let coordinate = |name: &'static str, limit: f64, problems: &mut Vec<Problem>| {
        let value = field(pairs, name)?;
        match value.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= limit => Some(v),
            _ => {
                problems.push(Problem::BadCoordinate { field: name, value: value.to_owned() });
                None
            }
        }
    };
    let (lat_given, long_given) = (field(pairs, "lat").is_some(), field(pairs, "long").is_some());
    let lat = coordinate("lat", 90.0, problems);
    let long = coordinate("long", 180.0, problems);
    if lat_given != long_given {
        problems.push(Problem::IncompleteCoordinates);
    }
    let location = Location {
        lat_long: lat.zip(long),
        address_string: field(pairs, "address_string").map(str::to_owned),
        address_id: field(pairs, "address_id").map(str::to_owned),
    };
    if !lat_given && !long_given && location.address_string.is_none() && location.address_id.is_none() {
        problems.push(Problem::MissingLocation);
    }
    location
}

/// The code of `attribute[CODE]` or `attribute[CODE][]`.
fn attribute_code(name: &str) -> Option<&str> {
    let inner = name.strip_prefix("attribute[")?;
    let inner = inner.strip_suffix("[]").unwrap_or(inner);
    inner.strip_suffix(']').filter(|code| !code.is_empty() && !code.contains([']', '[']))
}

fn attributes(pairs: &[(String, String)], definition: &ServiceDefinition, problems: &mut Vec<Problem>) -> Vec<(String, Vec<String>)> {
    let mut sent: Vec<(&str, Vec<String>)> = Vec::new();
    for (name, value) in pairs {
        let Some(code) = attribute_code(name) else { continue };
        if !definition.attributes.iter().any(|a| a.code == code) {
            if !problems.contains(&Problem::UnknownAttribute { code: code.to_owned() }) {
                problems.push(Problem::UnknownAttribute { code: code.to_owned() });
            }
            continue;
        }
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match sent.iter_mut().find(|(c, _)| *c == code) {
            Some((_, values)) if !values.iter().any(|v| v == value) => values.push(value.to_owned()),
            Some(_) => {}
            None => sent.push((code, vec![value.to_owned()])),
        }
    }
    let mut ordered: Vec<&Attribute> = definition.attributes.iter().filter(|a| a.variable).collect();
    ordered.sort_by_key(|a| a.order);
    let mut out = Vec::new();
    for attribute in ordered {
        let values = sent.iter().find(|(c, _)| *c == attribute.code).map(|(_, v)| v.clone()).unwrap_or_default();
        if values.is_empty() {
            if attribute.required {
                problems.push(Problem::MissingAttribute { code: attribute.code.clone() });
            }
            continue;
        }
        if values.len() > 1 && attribute.datatype != Datatype::Multivaluelist {
            problems.push(Problem::TooManyValues { code: attribute.code.clone() });
            continue;
        }
        for value in values.iter().filter(|v| !fits(attribute, v)) {
            problems.push(Problem::BadAttributeValue { code: attribute.code.clone(), datatype: attribute.datatype, value: value.clone() });
        }
        out.push((attribute.code.clone(), values));
    }
    out
}

/// Whether one value fits the attribute's datatype.
fn fits(attribute: &Attribute, value: &str) -> bool {
    match attribute.datatype {
        Datatype::String => !value.contains(['\n', '\r']),
        Datatype::Text => true,
        Datatype::Number => value.parse::<f64>().is_ok_and(f64::is_finite),
        Datatype::Datetime => Time::parse(value, 0).is_some() || value.parse::<kalender::Date>().is_ok(),
        Datatype::Singlevaluelist | Datatype::Multivaluelist => attribute.values.iter().any(|v| v.key == value),
    }
}

/// `local@domain.tld` without spaces: enough to catch a name typed into the
/// email box; whether the address works is for the mail to find out.
fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}
