//! `GET requests`: the list query's parameters.

use super::{Problem, Problems, Status, Time, field};

/// The spec's default and largest window between `start_date` and `end_date`.
pub const MAX_WINDOW_DAYS: i64 = 90;
/// At most this many requests in one answer (the newest first is the slice's choice).
pub const MAX_REQUESTS: usize = 1000;

/// What `GET requests` asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum ListQuery {
    /// `service_request_id=a,b,c`: these requests, whatever else was sent.
    Ids(Vec<String>),
    Filter(ListFilter),
}

/// The filters of a list query. Empty lists mean "all".
#[derive(Clone, Debug, PartialEq)]
pub struct ListFilter {
    pub service_codes: Vec<String>,
    pub statuses: Vec<Status>,
    /// `requested_datetime` from, inclusive (seconds since the epoch).
    pub start: i64,
    /// `requested_datetime` up to, inclusive.
    pub end: i64,
    pub limit: usize,
}

/// Reads the query string's pairs. `now` (seconds since the epoch) gives the
/// default window, the last 90 days; a date-time without an offset is read in
/// the region's zone (`offset_hours`, +7 for WIB). With only one end given,
/// the window runs 90 days from it.
pub fn parse_list_query(pairs: &[(String, String)], now: i64, offset_hours: i64) -> Result<ListQuery, Problems> {
    let list = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let ids = list("service_request_id");
    if !ids.is_empty() {
        return Ok(ListQuery::Ids(ids));
    }
    let mut problems = Vec::new();
    let mut date = |name: &'static str| {
        let value = field(pairs, name)?;
        let time = Time::parse(value, offset_hours);
        if time.is_none() {
            problems.push(Problem::BadDate { field: name, value: value.to_owned() });
        }
        time.map(|t| t.unix_seconds)
    };
    let window = MAX_WINDOW_DAYS * 86_400;
    let (start, end) = match (date("start_date"), date("end_date")) {
        (Some(start), Some(end)) => (start, end),
        (Some(start), None) => (start, start + window),
        (None, Some(end)) => (end - window, end),
        (None, None) => (now - window, now),
    };
    if end < start {
        problems.push(Problem::DateRangeReversed);
    } else if end - start > window {
        problems.push(Problem::DateRangeTooLong { days: (end - start + 86_399) / 86_400 });
    }
    let mut statuses = Vec::new();
    for value in list("status") {
        match Status::from_code(&value.to_ascii_lowercase()) {
            Some(status) if !statuses.contains(&status) => statuses.push(status),
            Some(_) => {}
            None => problems.push(Problem::BadStatus(value)),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    Ok(ListQuery::Filter(ListFilter { service_codes: list("service_code"), statuses, start, end, limit: MAX_REQUESTS }))
}
