//! One IKM questionnaire checked, wherever it comes from: the API (one
//! response or a staff batch), the public survey page, and the staff's page
//! for paper forms (its grid and its CSV). The rules live here once; each
//! problem names its part ([`Part`]) and the caller names the field
//! (`responses.3.answers`, `u6`, `r3.u5`), so every form shows it in place.

use kalender::Date;
use layanan::ikm::{AgeBand, AnswerError, Answers, Education, Element, Occupation, Profile, Sex};
use serde::Deserialize;

use super::ikm_store::Response as Stored;
use crate::kernel::msg::Msg;

/// A batch is a pile of paper forms: a few thousand at most.
pub const MAX_BATCH: usize = 10_000;

/// The respondent's profile as given. Unknown fields are refused (the API),
/// so a client cannot leave a name or a phone number with the answers.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// Years, or a band's code (`30_39`).
    #[serde(default)]
    pub age: Option<serde_json::Value>,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub education: Option<String>,
    #[serde(default)]
    pub occupation: Option<String>,
}

impl ProfileInput {
    /// A profile from text cells (a form, a CSV line): blanks are unanswered.
    pub fn of_text(age: &str, sex: &str, education: &str, occupation: &str) -> ProfileInput {
        let given = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        ProfileInput {
            age: given(age).map(serde_json::Value::String),
            sex: given(sex),
            education: given(education),
            occupation: given(occupation),
        }
    }
}

/// The part of a questionnaire a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Date,
    /// The answers as a whole (not nine of them).
    Answers,
    Answer(Element),
    Age,
    Sex,
    Education,
    Occupation,
}

/// One questionnaire as given, before any check.
pub struct Given<'a> {
    /// The day a paper form was filled; `None` is today (a citizen answering now).
    pub date: Option<&'a str>,
    /// U1..U9 as written; blank is unanswered.
    pub answers: &'a [String],
    pub profile: &'a ProfileInput,
}

/// A profile part: blank is unanswered, anything else must be a known code.
fn code_of<T>(part: Part, given: Option<&str>, parse: fn(&str) -> Option<T>, problems: &mut Vec<(Part, Msg)>) -> Option<T> {
    let given = given.map(str::trim).filter(|g| !g.is_empty())?;
    let parsed = parse(given);
    if parsed.is_none() {
        problems.push((part, Msg::new("ikm.profile_invalid").arg("value", given)));
    }
    parsed
}

fn age_of(given: Option<&serde_json::Value>) -> Result<Option<AgeBand>, ()> {
    let years = |y: u64| (y <= 130).then(|| AgeBand::from_years(y as u32));
    match given {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(years).map(Some).ok_or(()),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => {
            AgeBand::from_code(s.trim()).or_else(|| s.trim().parse::<u64>().ok().and_then(years)).map(Some).ok_or(())
        }
        Some(_) => Err(()),
    }
}

fn profile_of(p: &ProfileInput, problems: &mut Vec<(Part, Msg)>) -> Profile {
    let age = age_of(p.age.as_ref()).unwrap_or_else(|_| {
        problems.push((Part::Age, Msg::new("ikm.age_invalid")));
        None
    });
    Profile {
        age,
        sex: code_of(Part::Sex, p.sex.as_deref(), Sex::from_code, problems),
        education: code_of(Part::Education, p.education.as_deref(), Education::from_code, problems),
        occupation: code_of(Part::Occupation, p.occupation.as_deref(), Occupation::from_code, problems),
    }
}

fn out_of_range(element: Element, value: impl ToString) -> (Part, Msg) {
    let msg =
        Msg::new("ikm.answer_out_of_range").arg("element", element.code()).arg("name", element.name()).arg("value", value.to_string());
    (Part::Answer(element), msg)
}

/// The nine answers, every bad one named: unanswered, not a number, or out
/// of 1..4 (`layanan::ikm`'s rule).
fn answers_of(given: &[String], problems: &mut Vec<(Part, Msg)>) -> Option<Answers> {
    if given.len() != Element::ALL.len() {
        problems.push((Part::Answers, Msg::new("ikm.answer_count").arg("n", given.len())));
        return None;
    }
    let before = problems.len();
    let mut scores = Vec::with_capacity(given.len());
    for (element, text) in Element::ALL.into_iter().zip(given) {
        let text = text.trim();
        match text.parse::<i64>() {
            Ok(score) => scores.push(score),
            Err(_) if text.is_empty() => problems
                .push((Part::Answer(element), Msg::new("ikm.answer_missing").arg("element", element.code()).arg("name", element.name()))),
            Err(_) => problems.push(out_of_range(element, text)),
        }
    }
    if problems.len() > before {
        return None;
    }
    Answers::check_each(&scores)
        .map_err(|errors| {
            problems.extend(errors.into_iter().map(|e| match e {
                AnswerError::OutOfRange { element, value } => out_of_range(element, value),
                AnswerError::Count { given } => (Part::Answers, Msg::new("ikm.answer_count").arg("n", given)),
            }))
        })
        .ok()
}

fn date_of(given: Option<&str>, today: Date, problems: &mut Vec<(Part, Msg)>) -> Option<Date> {
    let Some(text) = given.map(str::trim) else { return Some(today) };
    if text.is_empty() {
        problems.push((Part::Date, Msg::new("ikm.date_missing")));
        return None;
    }
    match text.parse::<Date>() {
        Ok(date) if date <= today => Some(date),
        _ => {
            problems.push((Part::Date, Msg::new("ikm.date_invalid").arg("date", text)));
            None
        }
    }
}

/// Checks one questionnaire for a service: the response to store, or
/// `None` with every problem added to `problems`.
pub fn check(given: &Given, service_id: &str, source: &'static str, today: Date, problems: &mut Vec<(Part, Msg)>) -> Option<Stored> {
    let before = problems.len();
    let answered_on = date_of(given.date, today, problems);
    let answers = answers_of(given.answers, problems);
    let profile = profile_of(given.profile, problems);
    match (answered_on, answers) {
        (Some(answered_on), Some(answers)) if problems.len() == before => {
            Some(Stored { service_id: service_id.to_string(), answers, profile, answered_on, source })
        }
        _ => None,
    }
}
