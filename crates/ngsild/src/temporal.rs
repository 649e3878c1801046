//! The temporal API's aggregation (clause 4.5.19): `aggrMethods` over the
//! periods of an `aggrPeriodDuration` (an ISO 8601 duration such as `PT1H`
//! or `P1D`), and the time buckets those periods cut.
//!
//! Periods start at an origin the caller chooses (the query's `timeAt`,
//! else the first instance) and step by the duration: months and years on
//! the calendar (clamped to the month's end: 31 January + P1M is 28 or 29
//! February), the rest as fixed seconds, all in UTC. A store can compute the
//! same buckets in SQL for fixed durations; [`Duration::fixed_millis`] says
//! when it can.

use std::collections::BTreeSet;
use std::fmt;

use kalender::civil::{civil_from_days, days_from_civil, days_in_month};
use serde_json::{Value as Json, json};

use crate::entity::AttrKind;

/// An ISO 8601 duration, `PnYnMnWnDTnHnMnS` (seconds may have a fraction).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Duration {
    /// Calendar months (years count twelve).
    pub months: u32,
    /// Days (weeks count seven).
    pub days: u32,
    /// Hours, minutes and seconds, in milliseconds.
    pub millis: u64,
}

/// Why a duration was refused: where, and what was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationError {
    pub at: usize,
    pub reason: DurationReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationReason {
    /// The text does not start with `P`.
    ExpectedP,
    /// A number was expected before a designator.
    ExpectedNumber,
    /// A designator (Y, M, W, D; H, M, S after T) was expected, or came out of order.
    ExpectedDesignator,
    /// `P`, `PT` or a zero duration: a period must be longer than nothing.
    Empty,
    /// Too large to count in milliseconds.
    TooLarge,
}

impl DurationReason {
    pub fn code(self) -> &'static str {
        match self {
            DurationReason::ExpectedP => "expected_p",
            DurationReason::ExpectedNumber => "expected_number",
            DurationReason::ExpectedDesignator => "expected_designator",
            DurationReason::Empty => "empty",
            DurationReason::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "aggrPeriodDuration: {} at position {}", self.reason.code(), self.at)
    }
}

impl std::error::Error for DurationError {}

impl From<DurationError> for crate::problem::Problem {
    fn from(e: DurationError) -> crate::problem::Problem {
        crate::problem::Problem::new(crate::problem::ErrorType::BadRequestData, e.to_string())
    }
}

impl Duration {
    /// Reads `P1D`, `PT1H`, `PT15M`, `P1W`, `P1Y2M`, `PT0.5S`, ...
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let fail = |at, reason| Err(DurationError { at, reason });
        let b = text.as_bytes();
        if b.first() != Some(&b'P') {
            return fail(0, DurationReason::ExpectedP);
        }
        let mut d = Duration::default();
        let mut i = 1;
        let mut in_time = false;
        // Designators must come in this order; `rank` is the last one seen.
        let order_date = [b'Y', b'M', b'W', b'D'];
        let order_time = [b'H', b'M', b'S'];
        let mut rank = 0usize;
        let mut any = false;
        while i < b.len() {
            if b[i] == b'T' && !in_time {
                in_time = true;
                rank = 0;
                i += 1;
                if i == b.len() {
                    return fail(i, DurationReason::ExpectedNumber);
                }
                continue;
            }
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b',') {
                i += 1;
            }
            if i == start {
                return fail(i, DurationReason::ExpectedNumber);
            }
            let number = text[start..i].replace(',', ".");
            let Some(&designator) = b.get(i) else { return fail(i, DurationReason::ExpectedDesignator) };
            let order: &[u8] = if in_time { &order_time } else { &order_date };
            let Some(pos) = order.iter().position(|&c| c == designator).filter(|&p| p + 1 > rank) else {
                return fail(i, DurationReason::ExpectedDesignator);
            };
            rank = pos + 1;
            let fractional = designator == b'S' && in_time;
            let value: f64 = number.parse().map_err(|_| DurationError { at: start, reason: DurationReason::ExpectedNumber })?;
            if !fractional && number.contains('.') {
                return fail(start, DurationReason::ExpectedNumber);
            }
            if value > 1e9 {
                return fail(start, DurationReason::TooLarge);
            }
            let n = value as u64;
            match (in_time, designator) {
                (false, b'Y') => d.months += n as u32 * 12,
                (false, b'M') => d.months += n as u32,
                (false, b'W') => d.days += n as u32 * 7,
                (false, b'D') => d.days += n as u32,
                (true, b'H') => d.millis += n * 3_600_000,
                (true, b'M') => d.millis += n * 60_000,
                _ => d.millis += (value * 1000.0).round() as u64,
            }
            any = true;
            i += 1;
        }
        if !any || (d.months == 0 && d.days == 0 && d.millis == 0) {
            return fail(text.len(), DurationReason::Empty);
        }
        Ok(d)
    }

    /// The length in milliseconds when it does not depend on the calendar
    /// (no months or years).
    pub fn fixed_millis(&self) -> Option<i64> {
        (self.months == 0).then(|| i64::from(self.days) * 86_400_000 + self.millis as i64)
    }

    /// `t` (Unix milliseconds, UTC) plus `k` times this duration.
    pub fn add_times(&self, t: i64, k: i64) -> i64 {
        let mut t = t;
        if self.months > 0 {
            let days = t.div_euclid(86_400_000);
            let in_day = t.rem_euclid(86_400_000);
            let (y, m, d) = civil_from_days(days);
            let total = y * 12 + i64::from(m) - 1 + k * i64::from(self.months);
            let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
            let nd = d.min(days_in_month(ny, nm));
            t = days_from_civil(ny, nm, nd) * 86_400_000 + in_day;
        }
        t + k * (i64::from(self.days) * 86_400_000 + self.millis as i64)
    }

    /// The start of the period that holds `t`, periods counted from `origin`
    /// (earlier than `origin` too).
    pub fn bucket_start(&self, origin: i64, t: i64) -> i64 {
        let approx =
            self.fixed_millis().unwrap_or(i64::from(self.months) * 2_629_746_000 + i64::from(self.days) * 86_400_000 + self.millis as i64);
        let mut k = (t - origin).div_euclid(approx.max(1));
        while self.add_times(origin, k) > t {
            k -= 1;
        }
        while self.add_times(origin, k + 1) <= t {
            k += 1;
        }
        self.add_times(origin, k)
    }
}

/// An aggregation method of `aggrMethods`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AggrMethod {
    TotalCount,
    DistinctCount,
    Sum,
    Avg,
    Min,
    Max,
    Stddev,
    Sumsq,
}

impl AggrMethod {
    pub const ALL: &'static [AggrMethod] = &[
        AggrMethod::TotalCount,
        AggrMethod::DistinctCount,
        AggrMethod::Sum,
        AggrMethod::Avg,
        AggrMethod::Min,
        AggrMethod::Max,
        AggrMethod::Stddev,
        AggrMethod::Sumsq,
    ];

    /// The name in queries and in the answer's members.
    pub fn code(self) -> &'static str {
        match self {
            AggrMethod::TotalCount => "totalCount",
            AggrMethod::DistinctCount => "distinctCount",
            AggrMethod::Sum => "sum",
            AggrMethod::Avg => "avg",
            AggrMethod::Min => "min",
            AggrMethod::Max => "max",
            AggrMethod::Stddev => "stddev",
            AggrMethod::Sumsq => "sumsq",
        }
    }

    pub fn from_code(code: &str) -> Option<AggrMethod> {
        Self::ALL.iter().copied().find(|m| m.code() == code)
    }

    /// Reads `aggrMethods=avg,min,max`; the error is the byte offset of the
    /// first unknown (or empty) name.
    pub fn parse_list(text: &str) -> Result<Vec<AggrMethod>, usize> {
        let mut out = Vec::new();
        let mut at = 0;
        for name in text.split(',') {
            let m = AggrMethod::from_code(name.trim()).ok_or(at)?;
            if !out.contains(&m) {
                out.push(m);
            }
            at += name.len() + 1;
        }
        Ok(out)
    }
}

/// The running state of every method over one period's values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accumulator {
    pub count: u64,
    distinct: BTreeSet<String>,
    /// Numeric values (booleans count 1 and 0) and their sums.
    numeric: u64,
    sum: f64,
    sumsq: f64,
    min: Option<Json>,
    max: Option<Json>,
}

/// The order min and max use: numbers by value, strings as text (an RFC
/// 3339 date-time by its instant), booleans false before true.
fn order(a: &Json, b: &Json) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Json::String(x), Json::String(y)) => match (kalender::civil::parse_rfc3339(x), kalender::civil::parse_rfc3339(y)) {
            (Some(p), Some(q)) => Some(p.cmp(&q)),
            _ => Some(x.cmp(y)),
        },
        (Json::Bool(x), Json::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Accumulator {
    pub fn add(&mut self, v: &Json) {
        self.count += 1;
        self.distinct.insert(v.to_string());
        let n = match v {
            Json::Number(n) => n.as_f64(),
            Json::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        };
        if let Some(n) = n {
            self.numeric += 1;
            self.sum += n;
            self.sumsq += n * n;
        }
        // Values that do not compare with the first kept (a string among
        // numbers) are left out of min and max.
        if self.min.as_ref().is_none_or(|m| order(v, m) == Some(std::cmp::Ordering::Less)) {
            self.min = Some(v.clone());
        }
        if self.max.as_ref().is_none_or(|m| order(v, m) == Some(std::cmp::Ordering::Greater)) {
            self.max = Some(v.clone());
        }
    }

    /// The method's result, `null` when it has none (the average of no numbers).
    pub fn result(&self, method: AggrMethod) -> Json {
        let numeric = self.numeric as f64;
        match method {
            AggrMethod::TotalCount => json!(self.count),
            AggrMethod::DistinctCount => json!(self.distinct.len()),
            AggrMethod::Sum if self.numeric > 0 => json!(self.sum),
            AggrMethod::Sumsq if self.numeric > 0 => json!(self.sumsq),
            AggrMethod::Avg if self.numeric > 0 => json!(self.sum / numeric),
            // The sample standard deviation, as SQL's stddev().
            AggrMethod::Stddev if self.numeric > 1 => {
                let var = (self.sumsq - self.sum * self.sum / numeric) / (numeric - 1.0);
                json!(var.max(0.0).sqrt())
            }
            AggrMethod::Min => self.min.clone().unwrap_or(Json::Null),
            AggrMethod::Max => self.max.clone().unwrap_or(Json::Null),
            _ => Json::Null,
        }
    }
}

/// One period and what fell in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// Unix milliseconds, the period is `[start, end)`.
    pub start: i64,
    pub end: i64,
    pub acc: Accumulator,
}

/// Cuts `(time, value)` points (Unix milliseconds) into periods from
/// `origin` and accumulates each; only periods holding a point are
/// returned, in time order.
pub fn aggregate<'a>(points: impl IntoIterator<Item = (i64, &'a Json)>, origin: i64, period: &Duration) -> Vec<Bucket> {
    let mut buckets: std::collections::BTreeMap<i64, Accumulator> = std::collections::BTreeMap::new();
    for (t, v) in points {
        buckets.entry(period.bucket_start(origin, t)).or_default().add(v);
    }
    buckets.into_iter().map(|(start, acc)| Bucket { start, end: period.add_times(start, 1), acc }).collect()
}

/// The answer's member for one method: `[[value, startAt, endAt], ...]`.
pub fn method_series(buckets: &[Bucket], method: AggrMethod) -> Json {
    Json::Array(buckets.iter().map(|b| json!([b.acc.result(method), format_instant(b.start), format_instant(b.end)])).collect())
}

/// One attribute in the simplified temporal representation
/// (`options=temporalValues`): `{"type": "Property", "values": [[value,
/// observedAt], ...]}`, `objects` for a Relationship, `languageMaps` for a
/// LanguageProperty, `jsons`, `vocabs`, `valueLists` and `objectLists` for
/// the other four.
pub fn temporal_values(kind: AttrKind, points: &[(Json, String)]) -> Json {
    let member = match kind {
        AttrKind::Property | AttrKind::GeoProperty => "values",
        AttrKind::Relationship => "objects",
        AttrKind::LanguageProperty => "languageMaps",
        AttrKind::JsonProperty => "jsons",
        AttrKind::VocabProperty => "vocabs",
        AttrKind::ListProperty => "valueLists",
        AttrKind::ListRelationship => "objectLists",
    };
    // A language map, a JSON value and a vocabulary term are given in
    // their member (`{"languageMap": ...}`), so that they are not read as
    // a value (the suite's 020_12_02, 020_15_02, 020_16_02).
    let wrap = match kind {
        AttrKind::LanguageProperty => Some("languageMap"),
        AttrKind::JsonProperty => Some("json"),
        AttrKind::VocabProperty => Some("vocab"),
        _ => None,
    };
    let pairs: Vec<Json> = points
        .iter()
        .map(|(v, t)| match wrap {
            Some(w) => json!([{ w: v }, t]),
            None => json!([v, t]),
        })
        .collect();
    json!({"type": kind.name(), member: pairs})
}

/// Unix milliseconds as a DateTime (`YYYY-MM-DDThh:mm:ssZ`, `.mmm` when not whole seconds).
pub fn format_instant(ms: i64) -> String {
    crate::time::format_datetime(ms * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        let s = kalender::civil::parse_rfc3339(text).unwrap();
        s.seconds * 1000 + i64::from(s.nanos / 1_000_000)
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("PT1H").unwrap(), Duration { months: 0, days: 0, millis: 3_600_000 });
        assert_eq!(Duration::parse("P1D").unwrap().fixed_millis(), Some(86_400_000));
        assert_eq!(Duration::parse("P1W").unwrap().days, 7);
        assert_eq!(Duration::parse("P1Y2M").unwrap().months, 14);
        assert_eq!(Duration::parse("P1Y2M").unwrap().fixed_millis(), None);
        assert_eq!(Duration::parse("PT1M30.5S").unwrap().millis, 90_500);
        assert_eq!(Duration::parse("P1DT12H").unwrap().fixed_millis(), Some(129_600_000));
        let e = |t: &str| Duration::parse(t).unwrap_err();
        assert_eq!(e("1D"), DurationError { at: 0, reason: DurationReason::ExpectedP });
        assert_eq!(e("P"), DurationError { at: 1, reason: DurationReason::Empty });
        assert_eq!(e("PT"), DurationError { at: 2, reason: DurationReason::ExpectedNumber });
        assert_eq!(e("P1H"), DurationError { at: 2, reason: DurationReason::ExpectedDesignator });
        assert_eq!(e("PT1D").reason, DurationReason::ExpectedDesignator);
        assert_eq!(e("P1D1Y"), DurationError { at: 4, reason: DurationReason::ExpectedDesignator });
        assert_eq!(e("P1"), DurationError { at: 2, reason: DurationReason::ExpectedDesignator });
        assert_eq!(e("P1.5D").reason, DurationReason::ExpectedNumber);
        assert_eq!(e("PT0S").reason, DurationReason::Empty);
    }

    #[test]
    fn buckets() {
        let hour = Duration::parse("PT1H").unwrap();
        let origin = ms("2026-01-01T00:00:00Z");
        assert_eq!(hour.bucket_start(origin, ms("2026-01-01T05:59:59Z")), ms("2026-01-01T05:00:00Z"));
        assert_eq!(hour.bucket_start(origin, ms("2025-12-31T23:30:00Z")), ms("2025-12-31T23:00:00Z"));
        let month = Duration::parse("P1M").unwrap();
        let jan31 = ms("2026-01-31T00:00:00Z");
        assert_eq!(month.add_times(jan31, 1), ms("2026-02-28T00:00:00Z"));
        assert_eq!(month.bucket_start(origin, ms("2026-03-15T10:00:00Z")), ms("2026-03-01T00:00:00Z"));
        assert_eq!(month.bucket_start(origin, ms("2025-11-15T10:00:00Z")), ms("2025-11-01T00:00:00Z"));
        assert_eq!(format_instant(ms("2026-03-01T00:00:00.250Z")), "2026-03-01T00:00:00.250Z");
    }

    #[test]
    fn methods() {
        assert_eq!(AggrMethod::parse_list("avg,min,max,avg").unwrap(), [AggrMethod::Avg, AggrMethod::Min, AggrMethod::Max]);
        assert_eq!(AggrMethod::parse_list("avg,mean"), Err(4));
        let mut a = Accumulator::default();
        for v in [json!(2), json!(4), json!(4), json!(4), json!(5), json!(5), json!(7), json!(9)] {
            a.add(&v);
        }
        assert_eq!(a.result(AggrMethod::TotalCount), json!(8));
        assert_eq!(a.result(AggrMethod::DistinctCount), json!(5));
        assert_eq!(a.result(AggrMethod::Sum), json!(40.0));
        assert_eq!(a.result(AggrMethod::Avg), json!(5.0));
        assert_eq!(a.result(AggrMethod::Min), json!(2));
        assert_eq!(a.result(AggrMethod::Max), json!(9));
        assert_eq!(a.result(AggrMethod::Sumsq), json!(232.0));
        let sd = a.result(AggrMethod::Stddev).as_f64().unwrap();
        assert!((sd - 2.138_089_935).abs() < 1e-6, "{sd}");
        let mut s = Accumulator::default();
        s.add(&json!("siaga"));
        s.add(&json!("normal"));
        assert_eq!(s.result(AggrMethod::Min), json!("normal"));
        assert_eq!(s.result(AggrMethod::Avg), Json::Null);
    }

    #[test]
    fn daily_river_levels() {
        let day = Duration::parse("P1D").unwrap();
        let readings = [("2026-01-01T00:00:00Z", 11.5), ("2026-01-01T12:00:00Z", 12.5), ("2026-01-03T03:00:00Z", 14.1)];
        let values: Vec<(i64, Json)> = readings.iter().map(|(t, v)| (ms(t), json!(v))).collect();
        let buckets = aggregate(values.iter().map(|(t, v)| (*t, v)), ms("2026-01-01T00:00:00Z"), &day);
        assert_eq!(buckets.len(), 2);
        assert_eq!(
            method_series(&buckets, AggrMethod::Avg),
            json!([[12.0, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], [14.1, "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"]])
        );
        assert_eq!(method_series(&buckets, AggrMethod::Max)[0][0], json!(12.5));
        let series = temporal_values(AttrKind::Property, &[(json!(11.5), readings[0].0.to_string())]);
        assert_eq!(series, json!({"type": "Property", "values": [[11.5, "2026-01-01T00:00:00Z"]]}));
        assert_eq!(temporal_values(AttrKind::Relationship, &[])["objects"], json!([]));
        // A language map, a JSON value and a vocabulary term in their member.
        let at = "2020-08-01T12:03:00Z".to_string();
        let maps = temporal_values(AttrKind::LanguageProperty, &[(json!({"id": "Jalan"}), at.clone())]);
        assert_eq!(maps["languageMaps"], json!([[{"languageMap": {"id": "Jalan"}}, at]]));
        assert_eq!(temporal_values(AttrKind::JsonProperty, &[(json!({"a": 1}), at.clone())])["jsons"][0][0], json!({"json": {"a": 1}}));
        assert_eq!(temporal_values(AttrKind::VocabProperty, &[(json!("monument"), at)])["vocabs"][0][0], json!({"vocab": "monument"}));
    }
}
