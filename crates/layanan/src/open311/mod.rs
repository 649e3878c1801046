//! Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2): the wire types, the
//! rules for a POSTed service request and for a list query, and the JSON and
//! XML documents in the shapes of the spec's examples.
//!
//! The slice maps its services and cases onto [`Service`],
//! [`ServiceDefinition`] and [`ServiceRequest`], parses what clients send
//! with [`parse_post`] and [`parse_list_query`], and answers with the
//! [`write`](mod@write) functions; what goes wrong is a list of [`Problem`]s with the
//! spec's HTTP status ([`Problems::status`]).

mod post;
mod query;
pub mod write;

pub use post::{Location, PostRequest, parse_post};
pub use query::{ListFilter, ListQuery, MAX_REQUESTS, MAX_WINDOW_DAYS, parse_list_query};

use kalender::civil;
use std::fmt;

/// The longest `description` the spec allows, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

codes! {
    /// How a service answers a POST: an id at once, a token to exchange for
    /// one later, or nothing.
    ServiceType {
        Realtime = "realtime",
        Batch = "batch",
        Blackbox = "blackbox",
    }
}

codes! {
    /// The six attribute datatypes.
    Datatype {
        /// One line of text.
        String = "string",
        Number = "number",
        /// An ISO 8601 date or date-time.
        Datetime = "datetime",
        /// Text that may hold line breaks.
        Text = "text",
        /// Exactly one of the listed keys.
        Singlevaluelist = "singlevaluelist",
        /// One or more of the listed keys.
        Multivaluelist = "multivaluelist",
    }
}

codes! {
    /// A request's status as the spec knows it; the finer state is Pendopo's.
    Status {
        Open = "open",
        Closed = "closed",
    }
}

/// One entry of `GET services`.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: Option<String>,
    /// Whether the service has a definition with attributes.
    pub metadata: bool,
    pub service_type: ServiceType,
    /// Comma-separated, as the spec writes them.
    pub keywords: Option<String>,
    pub group: Option<String>,
}

/// An option of a list attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// An extra question of a service.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// `false`: shown to the user as information only, never answered.
    pub variable: bool,
    pub code: String,
    pub datatype: Datatype,
    pub required: bool,
    pub datatype_description: Option<String>,
    /// Presentation order, 1 first.
    pub order: u32,
    pub description: String,
    /// The options of a list datatype (empty for the others).
    pub values: Vec<AttributeValue>,
}

/// `GET services/{code}`: a service's attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// An instant written with the region's UTC offset, as GeoReport wants
/// (`2026-08-12T09:30:00+07:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    pub unix_seconds: i64,
    pub offset_minutes: i32,
}

impl Time {
    /// `offset_hours` is the zone's: [`kalender::WIB`] (+7), [`kalender::WITA`] (+8), [`kalender::WIT`] (+9).
    pub fn new(unix_seconds: i64, offset_hours: i64) -> Time {
        Time { unix_seconds, offset_minutes: (offset_hours * 60) as i32 }
    }

    /// Reads an RFC 3339 date-time, keeping its own offset; one without an
    /// offset is read as local time at `default_offset_hours`.
    pub fn parse(text: &str, default_offset_hours: i64) -> Option<Time> {
        let stamp = civil::parse_rfc3339(text.trim())?;
        if !stamp.zoned {
            return Some(Time::new(stamp.seconds - default_offset_hours * 3600, default_offset_hours));
        }
        // The offset is the text's `±HH:MM` tail (or zero for `Z`).
        let tail = &text.trim()[19..];
        let tail = tail.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
        let minutes = match tail.as_bytes() {
            [sign @ (b'+' | b'-'), ..] => {
                let hours: i32 = tail[1..3].parse().ok()?;
                let mins: i32 = tail[4..6].parse().ok()?;
                (hours * 60 + mins) * if *sign == b'-' { -1 } else { 1 }
            }
            _ => 0,
        };
        Some(Time { unix_seconds: stamp.seconds, offset_minutes: minutes })
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.unix_seconds + i64::from(self.offset_minutes) * 60;
        let (year, month, day) = civil::civil_from_days(local.div_euclid(86_400));
        let second_of_day = local.rem_euclid(86_400);
        let (h, m, s) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
        write!(f, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        if self.offset_minutes == 0 {
            return f.write_str("Z");
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let abs = self.offset_minutes.abs();
        write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)
    }
}

/// One service request as `GET requests` answers it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: Status,
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: String,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: Time,
    pub updated_datetime: Option<Time>,
    /// Pendopo's SLA deadline.
    pub expected_datetime: Option<Time>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
    /// Written only when the client asks `extensions=true`.
    pub extensions: Option<Extensions>,
}

/// What `extensions=true` adds to a request, after the "Update History" and
/// "Extended Attributes" extensions in use (GeoReport v2 Extensions page):
/// `extended_attributes` with Pendopo's finer state and channel, and the
/// public updates as `notes`.
#[derive(Clone, Debug, PartialEq)]
pub struct Extensions {
    /// The case's state code (`received`, `dispositioned`, `answered`, ...).
    pub state: String,
    pub channel: Option<String>,
    /// Past its stage's deadline (or escalated for it): flagged in public.
    pub overdue: bool,
    pub notes: Vec<Note>,
}

/// One public update of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub datetime: Time,
    pub description: String,
    /// What happened: a transition's code (`verified`, `answered`, ...).
    pub note_type: String,
}

/// What a POST gives back: an id, or a token for a batch service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Receipt {
    Id(String),
    Token(String),
}

/// One entry of the POST reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostReply {
    pub receipt: Receipt,
    pub service_notice: Option<String>,
    pub account_id: Option<String>,
}

/// `GET tokens/{token}`: the id a token became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenReply {
    pub service_request_id: String,
    pub token: String,
}

/// The token that names this specification in a discovery document.
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// `discovery`: where the endpoints are and how to get a key
/// (wiki.open311.org/Service_Discovery). Every field is required there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// Sortable: when this document last changed.
    pub changeset: String,
    pub contact: String,
    /// How to get an API key (here: a Pendopo API token).
    pub key_service: String,
    pub endpoints: Vec<Endpoint>,
}

/// One endpoint of a discovery document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// [`SPECIFICATION`] for this API.
    pub specification: String,
    pub url: String,
    pub changeset: String,
    /// `production` or `test`.
    pub endpoint_type: String,
    /// MIME types: `text/xml`, `application/json`.
    pub formats: Vec<String>,
}

/// Something wrong with a request, with the spec's HTTP status. `code()` is a
/// stable key for the message catalogue; `Display` is English.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    MissingServiceCode,
    UnknownServiceCode(String),
    UnknownJurisdiction(String),
    MissingApiKey,
    InvalidApiKey,
    /// No `lat`+`long`, `address_string` nor `address_id`.
    MissingLocation,
    /// `lat` without `long` or the other way round.
    IncompleteCoordinates,
    /// `lat` or `long` not a number in range.
    BadCoordinate {
        field: &'static str,
        value: String,
    },
    DescriptionTooLong {
        chars: usize,
    },
    BadEmail(String),
    BadMediaUrl(String),
    MissingAttribute {
        code: String,
    },
    UnknownAttribute {
        code: String,
    },
    /// A value that does not fit the attribute's datatype or is not one of its keys.
    BadAttributeValue {
        code: String,
        datatype: Datatype,
        value: String,
    },
    /// Several values for an attribute that takes one.
    TooManyValues {
        code: String,
    },
    /// `start_date` or `end_date` not an RFC 3339 date-time.
    BadDate {
        field: &'static str,
        value: String,
    },
    DateRangeReversed,
    DateRangeTooLong {
        days: i64,
    },
    BadStatus(String),
    /// No such request, token or service.
    NotFound(String),
}

impl Problem {
    /// 403 for the api_key, 404 for what does not exist, 400 for the rest.
    pub fn status(&self) -> u16 {
        match self {
            Problem::MissingApiKey | Problem::InvalidApiKey => 403,
            Problem::UnknownServiceCode(_) | Problem::UnknownJurisdiction(_) | Problem::NotFound(_) => 404,
            _ => 400,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Problem::MissingServiceCode => "service_code_missing",
            Problem::UnknownServiceCode(_) => "service_code_unknown",
            Problem::UnknownJurisdiction(_) => "jurisdiction_unknown",
            Problem::MissingApiKey => "api_key_missing",
            Problem::InvalidApiKey => "api_key_invalid",
            Problem::MissingLocation => "location_missing",
            Problem::IncompleteCoordinates => "coordinates_incomplete",
            Problem::BadCoordinate { .. } => "coordinate_invalid",
            Problem::DescriptionTooLong { .. } => "description_too_long",
            Problem::BadEmail(_) => "email_invalid",
            Problem::BadMediaUrl(_) => "media_url_invalid",
            Problem::MissingAttribute { .. } => "attribute_missing",
            Problem::UnknownAttribute { .. } => "attribute_unknown",
            Problem::BadAttributeValue { .. } => "attribute_invalid",
            Problem::TooManyValues { .. } => "attribute_too_many_values",
            Problem::BadDate { .. } => "date_invalid",
            Problem::DateRangeReversed => "date_range_reversed",
            Problem::DateRangeTooLong { .. } => "date_range_too_long",
            Problem::BadStatus(_) => "status_invalid",
            Problem::NotFound(_) => "not_found",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingServiceCode => write!(f, "service_code was not provided"),
            Problem::UnknownServiceCode(code) => write!(f, "service_code {code} was not found"),
            Problem::UnknownJurisdiction(id) => write!(f, "jurisdiction_id {id} was not found"),
            Problem::MissingApiKey => write!(f, "api_key was not provided"),
            Problem::InvalidApiKey => write!(f, "invalid api_key received"),
            Problem::MissingLocation => write!(f, "a location is required: lat and long, address_string or address_id"),
            Problem::IncompleteCoordinates => write!(f, "lat and long must be sent together"),
            Problem::BadCoordinate { field, value } => write!(f, "{field} {value:?} is not a WGS84 coordinate"),
            Problem::DescriptionTooLong { chars } => {
                write!(f, "description has {chars} characters; at most {MAX_DESCRIPTION_CHARS} are allowed")
            }
            Problem::BadEmail(value) => write!(f, "email {value:?} is not an email address"),
            Problem::BadMediaUrl(value) => write!(f, "media_url {value:?} is not an http(s) URL"),
            Problem::MissingAttribute { code } => write!(f, "attribute[{code}] is required"),
            Problem::UnknownAttribute { code } => write!(f, "attribute[{code}] is not an attribute of this service"),
            Problem::BadAttributeValue { code, datatype, value } => write!(f, "attribute[{code}]: {value:?} is not a valid {datatype}"),
            Problem::TooManyValues { code } => write!(f, "attribute[{code}] takes one value"),
            Problem::BadDate { field, value } => write!(f, "{field} {value:?} is not a date-time such as 2010-01-01T00:00:00Z"),
            Problem::DateRangeReversed => write!(f, "end_date is before start_date"),
            Problem::DateRangeTooLong { days } => {
                write!(f, "start_date to end_date spans {days} days; at most {MAX_WINDOW_DAYS} are allowed")
            }
            Problem::BadStatus(value) => write!(f, "status {value:?} is not open or closed"),
            Problem::NotFound(what) => write!(f, "{what} was not found"),
        }
    }
}

impl std::error::Error for Problem {}

/// All that is wrong with one request, answered together.
#[derive(Clone, Debug, PartialEq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// One HTTP status for the lot: 403 before 404 before 400 (a client
    /// without a valid key learns nothing else).
    pub fn status(&self) -> u16 {
        self.0
            .iter()
            .map(Problem::status)
            .max_by_key(|s| match s {
                403 => 3,
                404 => 2,
                _ => 1,
            })
            .unwrap_or(400)
    }
}

/// The non-empty value of a form field: the spec treats an empty parameter
/// as one not sent.
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim())
}
