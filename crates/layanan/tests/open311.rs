//! Open311 GeoReport v2: the spec's example documents written from Pendopo's
//! types, POST and list-query rules, times and escaping.

use layanan::open311::write::{self, Format};
use layanan::open311::{
    Attribute, AttributeValue, Datatype, Discovery, Endpoint, Extensions, ListQuery, MAX_REQUESTS, Note, PostReply, Problem, Problems,
    Receipt, SPECIFICATION, Service, ServiceDefinition, ServiceRequest, ServiceType, Status, Time, TokenReply, parse_list_query,
    parse_post,
};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/open311/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// An XML element as a comparable tree: name, trimmed text, children.
#[derive(Debug, PartialEq)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

/// Reads the small XML these documents use (no attributes, no comments) and
/// puts an item's fields in name order when their names are all different,
/// so only the order of repeated items (services, requests) counts.
fn tree(xml: &str) -> Element {
    let body = xml.trim_start().strip_prefix("<?xml").map(|rest| &rest[rest.find("?>").unwrap() + 2..]).unwrap_or(xml);
    let mut stack = vec![Element { name: String::new(), text: String::new(), children: vec![] }];
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        stack.last_mut().unwrap().text.push_str(&unescape(rest[..open].trim()));
        let close = rest[open..].find('>').unwrap() + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let mut done = stack.pop().unwrap();
            assert_eq!(done.name, name);
            let mut names: Vec<_> = done.children.iter().map(|c| c.name.clone()).collect();
            names.sort();
            names.dedup();
            if names.len() == done.children.len() {
                done.children.sort_by(|a, b| a.name.cmp(&b.name));
            }
            stack.last_mut().unwrap().children.push(done);
        } else if let Some(name) = tag.strip_suffix('/') {
            stack.last_mut().unwrap().children.push(Element { name: name.trim().into(), text: String::new(), children: vec![] });
        } else {
            stack.push(Element { name: tag.into(), text: String::new(), children: vec![] });
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    stack.pop().unwrap().children.pop().unwrap()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

/// Checks both formats of one document against the spec's two examples.
fn check(name: &str, write: impl Fn(Format) -> String) {
    let xml = write(Format::Xml);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{xml}");
    let expected = tree(&fixture(&format!("{name}.xml")));
    assert!(!expected.children.is_empty(), "{name}.xml read as empty");
    assert_eq!(tree(&xml), expected, "{name}.xml");
    assert_eq!(json(&write(Format::Json)), json(&fixture(&format!("{name}.json"))), "{name}.json");
}

#[test]
fn discovery_as_in_the_spec() {
    let endpoint = |specification: &str, url: &str, changeset: &str, kind: &str, formats: &[&str]| Endpoint {
        specification: specification.into(),
        url: url.into(),
        changeset: changeset.into(),
        endpoint_type: kind.into(),
        formats: formats.iter().map(|f| (*f).into()).collect(),
    };
    let document = Discovery {
        changeset: "2011-02-03 14:18".into(),
        contact: "You can email or call for assistance api@mycity.org +1 (555) 555-5555".into(),
        key_service: "You can request a key here: http://api.mycity.gov/api_key/request".into(),
        endpoints: vec![
            endpoint(SPECIFICATION, "http://open311.mycity.gov/v2", "2010-11-23 09:01", "production", &["text/xml"]),
            endpoint(SPECIFICATION, "http://open311.mycity.gov/test/v2", "2010-10-02 09:01", "test", &["text/xml", "application/json"]),
            endpoint(
                "http://wiki.open311.org/GeoReport_v3",
                "http://open311.mycity.gov/v3",
                "2011-02-03 14:18",
                "test",
                &["text/xml", "application/json"],
            ),
        ],
    };
    check("discovery", |format| write::discovery(&document, format));
}

fn service(code: &str, name: &str, description: &str, group: &str) -> Service {
    Service {
        service_code: code.into(),
        service_name: name.into(),
        description: Some(description.into()),
        metadata: true,
        service_type: ServiceType::Realtime,
        keywords: Some("lorem, ipsum, dolor".into()),
        group: Some(group.into()),
    }
}

#[test]
fn services_as_in_the_spec() {
    let list = [
        service(
            "001",
            "Cans left out 24x7",
            "Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.",
            "sanitation",
        ),
        service("002", "Construction plate shifted", "Metal construction plate covering the street or sidewalk has been moved.", "street"),
        service(
            "003",
            "Curb or curb ramp defect",
            "Sidewalk curb or ramp has problems such as cracking, missing pieces, holes, and/or chipped curb.",
            "street",
        ),
    ];
    check("services", |format| write::services(&list, format));
}

fn dmv66() -> ServiceDefinition {
    ServiceDefinition {
        service_code: "DMV66".into(),
        attributes: vec![Attribute {
            variable: true,
            code: "WHISHETN".into(),
            datatype: Datatype::Singlevaluelist,
            required: true,
            datatype_description: None,
            order: 1,
            description: "What is the ticket/tag/DL number?".into(),
            values: vec![
                AttributeValue { key: "123".into(), name: "Ford".into() },
                AttributeValue { key: "124".into(), name: "Chrysler".into() },
            ],
        }],
    }
}

#[test]
fn service_definition_as_in_the_spec() {
    check("service_definition", |format| write::service_definition(&dmv66(), format));
}

fn sidewalk(id: &str, status: Status, notes: Option<&str>, requested: &str, expected: &str) -> ServiceRequest {
    let time = |t: &str| Time::parse(t, 7).unwrap();
    ServiceRequest {
        service_request_id: id.into(),
        status,
        status_notes: notes.map(Into::into),
        service_name: Some("Sidewalk and Curb Issues".into()),
        service_code: "006".into(),
        description: None,
        agency_responsible: None,
        service_notice: None,
        requested_datetime: time(requested),
        updated_datetime: Some(time(requested)),
        expected_datetime: Some(time(expected)),
        address: Some("8TH AVE and JUDAH ST".into()),
        address_id: Some("545483".into()),
        zipcode: Some("94122".into()),
        lat: Some(37.762221815),
        long: Some(-122.4651145),
        media_url: Some(format!("http://city.gov.s3.amazonaws.com/requests/media/{id}.jpg")),
        extensions: None,
    }
}

#[test]
fn service_requests_as_in_the_spec() {
    let list = [
        sidewalk("638344", Status::Closed, Some("Duplicate request."), "2010-04-14T06:37:38-08:00", "2010-04-15T06:37:38-08:00"),
        sidewalk("638349", Status::Open, None, "2010-04-19T06:37:38-08:00", "2010-04-19T06:37:38-08:00"),
    ];
    check("service_requests", |format| write::service_requests(&list, format));
    // The times keep the offset they were made with.
    assert!(write::service_requests(&list, Format::Xml).contains("<requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>"));
}

#[test]
fn post_reply_and_token_as_in_the_spec() {
    let notice = "The City will inspect and require the responsible party to correct within 24 hours and/or issue a Correction Notice or Notice of Violation of the Public Works Code";
    let reply = PostReply { receipt: Receipt::Id("293944".into()), service_notice: Some(notice.into()), account_id: None };
    check("post_reply", |format| write::post_replies(std::slice::from_ref(&reply), format));
    let token = TokenReply { service_request_id: "638344".into(), token: "12345".into() };
    check("token", |format| write::token_replies(std::slice::from_ref(&token), format));
    // A batch service answers with a token instead of an id.
    let batch = PostReply { receipt: Receipt::Token("tok-1".into()), service_notice: None, account_id: Some("7".into()) };
    assert_eq!(
        json(&write::post_replies(&[batch], Format::Json)),
        serde_json::json!([{"token": "tok-1", "service_notice": null, "account_id": "7"}])
    );
}

#[test]
fn errors_as_in_the_spec() {
    let describe = |_: &Problem| "Invalid api_key received -- can't proceed with create_request.".to_owned();
    check("errors", |format| write::errors(&[Problem::InvalidApiKey], describe, format));
    assert_eq!(Format::Xml.content_type(), "text/xml; charset=utf-8");
    assert_eq!(Format::from_extension("json"), Some(Format::Json));
}

/// The definition the spec's example POST is answered against.
fn service_001() -> ServiceDefinition {
    let attribute = |code: &str, datatype, required, order, values: &[&str]| Attribute {
        variable: true,
        code: code.into(),
        datatype,
        required,
        datatype_description: None,
        order,
        description: format!("{code}?"),
        values: values.iter().map(|v| AttributeValue { key: (*v).into(), name: v.to_lowercase() }).collect(),
    };
    ServiceDefinition {
        service_code: "001".into(),
        attributes: vec![
            attribute("WHISDORN", Datatype::Singlevaluelist, true, 2, &["COISL001", "COISL002"]),
            attribute("WHISPAWN", Datatype::Number, true, 1, &[]),
            attribute("NOTE", Datatype::Text, false, 3, &[]),
            attribute("TAGS", Datatype::Multivaluelist, false, 4, &["a", "b", "c"]),
            attribute("PLATE", Datatype::String, false, 5, &[]),
            attribute("SEEN", Datatype::Datetime, false, 6, &[]),
        ],
    }
}

fn pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body.trim()).unwrap()
}

fn post(body: &str) -> Result<layanan::open311::PostRequest, Problems> {
    let definition = service_001();
    parse_post(&pairs(body), |code| (code == "001").then_some(&definition))
}

#[test]
fn the_specs_example_post_is_read_field_by_field() {
    let request = post(&fixture("post_request.txt")).unwrap();
    assert_eq!(request.api_key.as_deref(), Some("xyz"));
    assert_eq!(request.jurisdiction_id.as_deref(), Some("city.gov"));
    assert_eq!(request.service_code, "001");
    assert_eq!(request.location.lat_long, Some((37.76524078, -122.4212043)));
    assert_eq!(request.location.address_string.as_deref(), Some("1234 5th street"));
    assert_eq!(request.email.as_deref(), Some("smit333@sfgov.edu"));
    assert_eq!((request.device_id.as_deref(), request.account_id.as_deref()), (Some("tt222111"), Some("123456")));
    assert_eq!(
        (request.first_name.as_deref(), request.last_name.as_deref(), request.phone.as_deref()),
        (Some("john"), Some("smith"), Some("111111111"))
    );
    assert_eq!(request.description.as_deref(), Some("A large sinkhole is destroying the street"));
    assert_eq!(request.media_url.as_deref(), Some("http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"));
    // In the definition's order.
    assert_eq!(
        request.attributes,
        [("WHISPAWN".to_owned(), vec!["123456".to_owned()]), ("WHISDORN".to_owned(), vec!["COISL001".to_owned()])]
    );
}

const REQUIRED: &str = "attribute[WHISPAWN]=1&attribute[WHISDORN]=COISL001";

fn problems(body: &str) -> (u16, Vec<Problem>) {
    let problems = post(body).unwrap_err();
    (problems.status(), problems.0)
}

#[test]
fn service_code_and_location_are_required() {
    assert_eq!(problems("lat=1&long=2"), (400, vec![Problem::MissingServiceCode]));
    assert_eq!(problems("service_code=999&lat=1&long=2"), (404, vec![Problem::UnknownServiceCode("999".into())]));
    assert_eq!(problems(&format!("service_code=001&{REQUIRED}")), (400, vec![Problem::MissingLocation]));
    // Empty parameters count as not sent.
    assert_eq!(problems(&format!("service_code=001&lat=&long=&address_string=+&{REQUIRED}")), (400, vec![Problem::MissingLocation]));
    assert_eq!(problems(&format!("service_code=001&lat=-7.15&{REQUIRED}")), (400, vec![Problem::IncompleteCoordinates]));
    assert_eq!(
        problems(&format!("service_code=001&lat=91&long=abc&{REQUIRED}")).1,
        [Problem::BadCoordinate { field: "lat", value: "91".into() }, Problem::BadCoordinate { field: "long", value: "abc".into() }]
    );
    for location in ["address_string=Jl.+Panglima+Polim", "address_id=3522", "lat=-7.15&long=111.88"] {
        assert!(post(&format!("service_code=001&{location}&{REQUIRED}")).is_ok(), "{location}");
    }
}

#[test]
fn description_is_limited_to_4000_characters() {
    let ok = "é".repeat(4000); // 8,000 bytes, 4,000 characters
    let request = post(&format!("service_code=001&address_id=1&{REQUIRED}&description={ok}")).unwrap();
    assert_eq!(request.description.unwrap().chars().count(), 4000);
    let long = "a".repeat(4001);
    assert_eq!(
        problems(&format!("service_code=001&address_id=1&{REQUIRED}&description={long}")).1,
        [Problem::DescriptionTooLong { chars: 4001 }]
    );
}

#[test]
fn contact_fields_are_checked() {
    let bad = problems(&format!("service_code=001&address_id=1&{REQUIRED}&email=budi+at+home&media_url=ftp%3A%2F%2Fx"));
    assert_eq!(bad.1, [Problem::BadEmail("budi at home".into()), Problem::BadMediaUrl("ftp://x".into())]);
}

#[test]
fn attributes_are_checked_against_the_definition() {
    let base = "service_code=001&address_id=1";
    assert_eq!(
        problems(base).1,
        [Problem::MissingAttribute { code: "WHISPAWN".into() }, Problem::MissingAttribute { code: "WHISDORN".into() }]
    );
    let cases: [(&str, Problem); 6] = [
        ("attribute[WHISPAWN]=1&attribute[WHISDORN]=COISL001&attribute[COLOUR]=red", Problem::UnknownAttribute { code: "COLOUR".into() }),
        (
            "attribute[WHISDORN]=COISL001&attribute[WHISPAWN]=many",
            Problem::BadAttributeValue { code: "WHISPAWN".into(), datatype: Datatype::Number, value: "many".into() },
        ),
        (
            "attribute[WHISPAWN]=1&attribute[WHISDORN]=COISL001&attribute[TAGS][]=a&attribute[TAGS][]=z",
            Problem::BadAttributeValue { code: "TAGS".into(), datatype: Datatype::Multivaluelist, value: "z".into() },
        ),
        (
            "attribute[WHISPAWN]=1&attribute[WHISDORN]=COISL001&attribute[PLATE]=S+1234%0AAB",
            Problem::BadAttributeValue { code: "PLATE".into(), datatype: Datatype::String, value: "S 1234\nAB".into() },
        ),
        (
            "attribute[WHISPAWN]=1&attribute[WHISDORN]=COISL001&attribute[SEEN]=yesterday",
            Problem::BadAttributeValue { code: "SEEN".into(), datatype: Datatype::Datetime, value: "yesterday".into() },
        ),
        (
            "attribute[WHISPAWN]=1&attribute[WHISDORN]=COISL001&attribute[NOTE]=x&attribute[NOTE]=y",
            Problem::TooManyValues { code: "NOTE".into() },
        ),
    ];
    for (extra, problem) in cases {
        assert_eq!(problems(&format!("{base}&{extra}")), (400, vec![problem]), "{extra}");
    }
    let wrong_key = problems(&format!("{base}&attribute[WHISPAWN]=1&attribute[WHISDORN]=COISL009")).1;
    assert_eq!(
        wrong_key,
        [Problem::BadAttributeValue { code: "WHISDORN".into(), datatype: Datatype::Singlevaluelist, value: "COISL009".into() }]
    );
    let fine = post(&format!(
        "{base}&{REQUIRED}&attribute[TAGS][]=a&attribute[TAGS][]=c&attribute[NOTE]=line+one%0Aline+two&attribute[SEEN]=2026-08-12T09:30:00%2B07:00&attribute[PLATE]=S+1234+AB"
    ))
    .unwrap();
    let codes: Vec<_> = fine.attributes.iter().map(|(code, values)| format!("{code}={}", values.join("|"))).collect();
    assert_eq!(
        codes,
        ["WHISPAWN=1", "WHISDORN=COISL001", "NOTE=line one\nline two", "TAGS=a|c", "PLATE=S 1234 AB", "SEEN=2026-08-12T09:30:00+07:00"]
    );
    assert!(post(&format!("{base}&{REQUIRED}&attribute[SEEN]=2026-08-12")).is_ok());
}

#[test]
fn api_key_problems_outrank_the_others() {
    let problems = Problems(vec![Problem::MissingLocation, Problem::UnknownServiceCode("9".into()), Problem::MissingApiKey]);
    assert_eq!(problems.status(), 403);
    assert_eq!(Problems(vec![Problem::MissingLocation, Problem::NotFound("request 7".into())]).status(), 404);
    assert_eq!(Problem::MissingLocation.code(), "location_missing");
    assert_eq!(Problem::UnknownServiceCode("999".into()).to_string(), "service_code 999 was not found");
}

fn at(text: &str) -> i64 {
    Time::parse(text, 0).unwrap().unix_seconds
}

fn query(text: &str) -> Result<ListQuery, Problems> {
    parse_list_query(&pairs(text), at("2026-08-12T00:00:00Z"), 7)
}

fn filter(text: &str) -> layanan::open311::ListFilter {
    match query(text).unwrap() {
        ListQuery::Filter(filter) => filter,
        other => panic!("{other:?}"),
    }
}

#[test]
fn list_query_ids_override_everything() {
    assert_eq!(query("service_request_id=12,+13&start_date=junk&status=lost").unwrap(), ListQuery::Ids(vec!["12".into(), "13".into()]));
}

#[test]
fn list_query_window_defaults_to_the_last_90_days() {
    let plain = filter("");
    assert_eq!((plain.start, plain.end), (at("2026-05-14T00:00:00Z"), at("2026-08-12T00:00:00Z")));
    assert_eq!(plain.limit, MAX_REQUESTS);
    assert_eq!(MAX_REQUESTS, 1000);
    let from = filter("start_date=2026-01-01T00:00:00Z");
    assert_eq!(from.end, at("2026-04-01T00:00:00Z"));
    let to = filter("end_date=2026-04-01T00:00:00Z");
    assert_eq!(to.start, at("2026-01-01T00:00:00Z"));
    // Exactly 90 days is allowed; a second more is not.
    let full = filter("start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z");
    assert_eq!(full.end - full.start, 90 * 86_400);
    let too_long = query("start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:01Z").unwrap_err();
    assert_eq!((too_long.status(), too_long.0), (400, vec![Problem::DateRangeTooLong { days: 91 }]));
    assert_eq!(query("start_date=2026-04-01T00:00:00Z&end_date=2026-01-01T00:00:00Z").unwrap_err().0, [Problem::DateRangeReversed]);
    // Without an offset, the region's time (+07:00).
    assert_eq!(filter("start_date=2026-08-01T00:00:00").start, at("2026-07-31T17:00:00Z"));
    assert_eq!(query("start_date=2026-08-01").unwrap_err().0, [Problem::BadDate { field: "start_date", value: "2026-08-01".into() }]);
}

#[test]
fn list_query_filters_by_service_and_status() {
    let both = filter("service_code=001,002&service_code=003&status=open,closed");
    assert_eq!(both.service_codes, ["001", "002", "003"]);
    assert_eq!(both.statuses, [Status::Open, Status::Closed]);
    assert_eq!(filter("status=CLOSED").statuses, [Status::Closed]);
    assert_eq!(query("status=pending").unwrap_err().0, [Problem::BadStatus("pending".into())]);
}

#[test]
fn times_carry_the_regions_offset() {
    let instant = at("2026-08-12T02:30:00Z");
    assert_eq!(Time::new(instant, kalender::WIB).to_string(), "2026-08-12T09:30:00+07:00");
    assert_eq!(Time::new(instant, kalender::WITA).to_string(), "2026-08-12T10:30:00+08:00");
    assert_eq!(Time::new(instant, kalender::WIT).to_string(), "2026-08-12T11:30:00+09:00");
    assert_eq!(Time::new(instant, 0).to_string(), "2026-08-12T02:30:00Z");
    // Across midnight into the next day and year.
    assert_eq!(Time::new(at("2026-12-31T20:00:00Z"), kalender::WIT).to_string(), "2027-01-01T05:00:00+09:00");
    assert_eq!(Time::parse("1994-11-05T08:15:30-05:00", 7).unwrap().to_string(), "1994-11-05T08:15:30-05:00");
    assert_eq!(Time::parse("1994-11-05T13:15:30Z", 7).unwrap().unix_seconds, at("1994-11-05T08:15:30-05:00"));
}

#[test]
fn text_is_escaped_in_xml_and_json() {
    let mut request = sidewalk("1", Status::Open, None, "2026-08-12T09:30:00+07:00", "2026-08-19T09:30:00+07:00");
    request.description = Some("Jalan <rusak> & \"berlubang\" di depan toko 'Maju'\u{1}\nbaris dua".into());
    let xml = write::service_requests(&[request.clone()], Format::Xml);
    assert!(
        xml.contains(
            "<description>Jalan &lt;rusak&gt; &amp; &quot;berlubang&quot; di depan toko &apos;Maju&apos;\nbaris dua</description>"
        ),
        "{xml}"
    );
    let written = json(&write::service_requests(&[request], Format::Json));
    assert_eq!(written[0]["description"], "Jalan <rusak> & \"berlubang\" di depan toko 'Maju'\u{1}\nbaris dua");
    assert_eq!(written[0]["expected_datetime"], "2026-08-19T09:30:00+07:00");
}

#[test]
fn extensions_add_the_finer_state_and_the_public_updates() {
    let mut request = sidewalk("9", Status::Open, None, "2026-08-12T09:30:00+07:00", "2026-08-19T09:30:00+07:00");
    let plain = json(&write::service_requests(std::slice::from_ref(&request), Format::Json));
    assert!(plain[0].get("notes").is_none() && plain[0].get("extended_attributes").is_none());
    let note = |t: &str, description: &str, kind: &str| Note {
        datetime: Time::parse(t, 7).unwrap(),
        description: description.into(),
        note_type: kind.into(),
    };
    request.extensions = Some(Extensions {
        state: "dispositioned".into(),
        channel: Some("whatsapp".into()),
        overdue: true,
        notes: vec![
            note("2026-08-12T10:00:00+07:00", "Diverifikasi", "verified"),
            note("2026-08-13T08:00:00+07:00", "Diteruskan ke Dinas PU", "dispositioned"),
        ],
    });
    let written = json(&write::service_requests(std::slice::from_ref(&request), Format::Json));
    assert_eq!(written[0]["extended_attributes"], serde_json::json!({"state": "dispositioned", "channel": "whatsapp", "overdue": true}));
    assert_eq!(
        written[0]["notes"],
        serde_json::json!([
            {"datetime": "2026-08-12T10:00:00+07:00", "description": "Diverifikasi", "type": "verified"},
            {"datetime": "2026-08-13T08:00:00+07:00", "description": "Diteruskan ke Dinas PU", "type": "dispositioned"}
        ])
    );
    let xml = tree(&write::service_requests(&[request], Format::Xml));
    let notes = xml.children[0].children.iter().find(|c| c.name == "notes").unwrap();
    assert_eq!(notes.children.len(), 2);
    assert_eq!(
        notes.children[1].children.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
        ["2026-08-13T08:00:00+07:00", "Diteruskan ke Dinas PU", "dispositioned"]
    );
    let extended = xml.children[0].children.iter().find(|c| c.name == "extended_attributes").unwrap();
    assert_eq!(
        extended.children.iter().map(|c| (c.name.as_str(), c.text.as_str())).collect::<Vec<_>>(),
        [("channel", "whatsapp"), ("overdue", "true"), ("state", "dispositioned")]
    );
}
