//! The GeoReport v2 documents in JSON and XML.
//!
//! Each document is built once as a small tree of named fields and written by
//! one of two writers, so the two formats cannot drift: the XML is the spec's
//! (a root element, one element per item, one per field, an empty element for
//! a missing value) and the JSON follows from it by the spec's Spark
//! convention (the root becomes an array of objects, a missing value `null`).

use super::{Attribute, Discovery, PostReply, Problem, Receipt, Service, ServiceDefinition, ServiceRequest, TokenReply};

/// The two formats of the spec (`.xml` is its default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    /// From the resource's suffix: `xml` or `json`.
    pub fn from_extension(extension: &str) -> Option<Format> {
        match extension {
            "xml" => Some(Format::Xml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// A field's value.
enum Value {
    Text(Option<String>),
    Bool(bool),
    Integer(i64),
    Decimal(Option<f64>),
    /// A wrapper element holding items of one name: `<values><value>…`.
    List(&'static str, Vec<Record>),
    /// A nested element with fields of its own.
    Object(Record),
    /// A wrapper element holding plain text items: `<formats><format>…`.
    Texts(&'static str, Vec<String>),
}

type Record = Vec<(&'static str, Value)>;

fn text(value: &str) -> Value {
    Value::Text(Some(value.to_owned()))
}

fn optional(value: &Option<String>) -> Value {
    Value::Text(value.clone())
}

fn service(s: &Service) -> Record {
    vec![
        ("service_code", text(&s.service_code)),
        ("service_name", text(&s.service_name)),
        ("description", optional(&s.description)),
        ("metadata", Value::Bool(s.metadata)),
        ("type", text(s.service_type.code())),
        ("keywords", optional(&s.keywords)),
        ("group", optional(&s.group)),
    ]
}

fn attribute(a: &Attribute) -> Record {
    let mut record = vec![
        ("variable", Value::Bool(a.variable)),
        ("code", text(&a.code)),
        ("datatype", text(a.datatype.code())),
        ("required", Value::Bool(a.required)),
        ("datatype_description", optional(&a.datatype_description)),
        ("order", Value::Integer(i64::from(a.order))),
        ("description", text(&a.description)),
    ];
    if !a.values.is_empty() {
        let values = a.values.iter().map(|v| vec![("key", text(&v.key)), ("name", text(&v.name))]).collect();
        record.push(("values", Value::List("value", values)));
    }
    record
}

fn request(r: &ServiceRequest) -> Record {
    let time = |t: &Option<super::Time>| Value::Text(t.map(|t| t.to_string()));
    let mut record = vec![
        ("service_request_id", text(&r.service_request_id)),
        ("status", text(r.status.code())),
        ("status_notes", optional(&r.status_notes)),
        ("service_name", optional(&r.service_name)),
        ("service_code", text(&r.service_code)),
        ("description", optional(&r.description)),
        ("agency_responsible", optional(&r.agency_responsible)),
        ("service_notice", optional(&r.service_notice)),
        ("requested_datetime", text(&r.requested_datetime.to_string())),
        ("updated_datetime", time(&r.updated_datetime)),
        ("expected_datetime", time(&r.expected_datetime)),
        ("address", optional(&r.address)),
        ("address_id", optional(&r.address_id)),
        ("zipcode", optional(&r.zipcode)),
        ("lat", Value::Decimal(r.lat)),
        ("long", Value::Decimal(r.long)),
        ("media_url", optional(&r.media_url)),
    ];
    if let Some(extensions) = &r.extensions {
        let attributes = vec![
            ("state", text(&extensions.state)),
            ("channel", optional(&extensions.channel)),
            ("overdue", Value::Bool(extensions.overdue)),
        ];
        let notes = extensions
            .notes
            .iter()
            .map(|n| vec![("datetime", text(&n.datetime.to_string())), ("description", text(&n.description)), ("type", text(&n.note_type))])
            .collect();
        record.push(("extended_attributes", Value::Object(attributes)));
        record.push(("notes", Value::List("note", notes)));
    }
    record
}

/// `discovery`: one object, like a service definition.
pub fn discovery(document: &Discovery, format: Format) -> String {
    let endpoints = document
        .endpoints
        .iter()
        .map(|e| {
            vec![
                ("specification", text(&e.specification)),
                ("url", text(&e.url)),
                ("changeset", text(&e.changeset)),
                ("type", text(&e.endpoint_type)),
                ("formats", Value::Texts("format", e.formats.clone())),
            ]
        })
        .collect();
    let record = vec![
        ("changeset", text(&document.changeset)),
        ("contact", text(&document.contact)),
        ("key_service", text(&document.key_service)),
        ("endpoints", Value::List("endpoint", endpoints)),
    ];
    write_object("discovery", &record, format)
}

/// `GET services`.
pub fn services(list: &[Service], format: Format) -> String {
    write_list("services", "service", list.iter().map(service).collect(), format)
}

/// `GET services/{code}`: one object, not a list.
pub fn service_definition(definition: &ServiceDefinition, format: Format) -> String {
    let mut attributes: Vec<&Attribute> = definition.attributes.iter().collect();
    attributes.sort_by_key(|a| a.order);
    let record = vec![
        ("service_code", text(&definition.service_code)),
        ("attributes", Value::List("attribute", attributes.into_iter().map(attribute).collect())),
    ];
    write_object("service_definition", &record, format)
}

/// `GET requests` and `GET requests/{id}`.
pub fn service_requests(list: &[ServiceRequest], format: Format) -> String {
    write_list("service_requests", "request", list.iter().map(request).collect(), format)
}

/// The answer to `POST requests`.
pub fn post_replies(replies: &[PostReply], format: Format) -> String {
    let records = replies
        .iter()
        .map(|reply| {
            let receipt = match &reply.receipt {
                Receipt::Id(id) => ("service_request_id", text(id)),
                Receipt::Token(token) => ("token", text(token)),
            };
            vec![receipt, ("service_notice", optional(&reply.service_notice)), ("account_id", optional(&reply.account_id))]
        })
        .collect();
    write_list("service_requests", "request", records, format)
}

/// `GET tokens/{token}`.
pub fn token_replies(replies: &[TokenReply], format: Format) -> String {
    let records = replies.iter().map(|r| vec![("service_request_id", text(&r.service_request_id)), ("token", text(&r.token))]).collect();
    write_list("service_requests", "request", records, format)
}

/// An error answer: one `{code, description}` per problem. The code is each
/// problem's HTTP status, as in the spec's example; `describe` words the
/// description in the caller's language (`Problem::to_string` is English).
pub fn errors(problems: &[Problem], describe: impl Fn(&Problem) -> String, format: Format) -> String {
    let records = problems
        .iter()
        .map(|p| vec![("code", Value::Integer(i64::from(p.status()))), ("description", Value::Text(Some(describe(p))))])
        .collect();
    write_list("errors", "error", records, format)
}

fn write_list(root: &str, item: &'static str, records: Vec<Record>, format: Format) -> String {
    match format {
        Format::Xml => xml_document(root, |out| xml_items(out, item, &records)),
        Format::Json => json_list(&records),
    }
}

fn write_object(root: &str, record: &Record, format: Format) -> String {
    match format {
        Format::Xml => xml_document(root, |out| xml_record(out, record)),
        Format::Json => json_record(record),
    }
}

fn xml_document(root: &str, body: impl FnOnce(&mut String)) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    tag(&mut out, "", root);
    body(&mut out);
    tag(&mut out, "/", root);
    out.push('\n');
    out
}

/// `<name>` or, with `slash` "/", `</name>`, without a temporary string.
fn tag(out: &mut String, slash: &str, name: &str) {
    out.push('<');
    out.push_str(slash);
    out.push_str(name);
    out.push('>');
}

fn xml_items(out: &mut String, item: &str, records: &[Record]) {
    for record in records {
        tag(out, "", item);
        xml_record(out, record);
        tag(out, "/", item);
    }
}

fn xml_record(out: &mut String, record: &Record) {
    for (name, value) in record {
        tag(out, "", name);
        match value {
            Value::Text(text) => escape_xml(out, text.as_deref().unwrap_or("")),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Integer(n) => out.push_str(&n.to_string()),
            Value::Decimal(d) => out.push_str(&d.filter(|d| d.is_finite()).map(|d| d.to_string()).unwrap_or_default()),
            Value::List(item, records) => xml_items(out, item, records),
            Value::Object(record) => xml_record(out, record),
            Value::Texts(item, texts) => {
                for text in texts {
                    tag(out, "", item);
                    escape_xml(out, text);
                    tag(out, "/", item);
                }
            }
        }
        tag(out, "/", name);
    }
}

/// Escapes text for element content, and drops the characters XML 1.0 cannot
/// hold at all (control characters other than tab and line breaks), which a
/// pasted description can carry.
fn escape_xml(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
}

/// JSON written by hand so that fields keep the spec's order whatever
/// features of serde_json the workspace turns on; serde_json still escapes
/// the strings and writes the numbers.
fn json_list(records: &[Record]) -> String {
    let mut out = String::from("[");
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_object(&mut out, record);
    }
    out.push(']');
    out
}

fn json_record(record: &Record) -> String {
    let mut out = String::new();
    json_object(&mut out, record);
    out
}

fn json_object(out: &mut String, record: &Record) {
    out.push('{');
    for (i, (name, value)) in record.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json_string(name));
        out.push(':');
        match value {
            Value::Text(Some(text)) => out.push_str(&json_string(text)),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Integer(n) => out.push_str(&n.to_string()),
            Value::Decimal(Some(d)) if d.is_finite() => out.push_str(&serde_json::Number::from_f64(*d).expect("finite").to_string()),
            Value::Text(None) | Value::Decimal(_) => out.push_str("null"),
            Value::List(_, records) => out.push_str(&json_list(records)),
            Value::Object(record) => json_object(out, record),
            Value::Texts(_, texts) => {
                let items: Vec<String> = texts.iter().map(|t| json_string(t)).collect();
                out.push_str(&format!("[{}]", items.join(",")));
            }
        }
    }
    out.push('}');
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}
