//! Red-flag behaviour beyond the Cardinal fixtures: odd input, merging, currency.

use ocds::flags::{Indicators, Settings};
use serde_json::{Value, json};

fn run(settings: &str, releases: &[Value]) -> Value {
    let mut indicators = Indicators::new(Settings::parse(settings).unwrap());
    for release in releases {
        indicators.add(release);
    }
    indicators.finish()
}

#[test]
fn odd_input_is_skipped_without_panicking() {
    let odd = [
        json!(null),
        json!([1, 2]),
        json!("text"),
        json!({}),
        json!({"ocid": 5, "tender": {"numberOfTenderers": 1, "procurementMethod": "open"}}),
        json!({"ocid": "a", "tender": "nope", "bids": [], "awards": {}}),
        json!({"ocid": "b", "bids": {"details": [null, 1, {"status": 3, "tenderers": "x", "value": {"amount": "1"}}]}, "awards": [null, {"suppliers": [{"id": 1}]}]}),
        json!({"ocid": "c", "tender": {"tenderPeriod": {"startDate": 1, "endDate": null}, "numberOfTenderers": "1"}}),
        json!({"ocid": "d", "bids": {"details": [{"status": "valid", "tenderers": [{"id": "W"}], "value": {"amount": 0, "currency": "USD"}}, {"status": "valid", "tenderers": [{"id": "L"}], "value": {"amount": 1, "currency": "USD"}}]}, "awards": [{"status": "active", "suppliers": [{"id": "W"}], "items": [{"classification": {"id": "1"}}, {"classification": "x"}]}]}),
        json!({"ocid": "e", "tender": {"tenderPeriod": {"startDate": "2000-01-01T00:00:00Z", "endDate": "9999-12-31T23:59:59Z"}}}),
    ];
    let out = run("[R003]\n[R018]\n[R024]\n[R025]\n[R028]\n[R030]\n[R035]\n[R036]\n[R038]\n[R048]\n[R058]\n", &odd);
    // Nothing is flagged ("d" has a zero winning bid, so no price difference exists);
    // only R025's tallies (a real win and a real loss) reach `Meta`.
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Meta"], "{out}");
}

#[test]
fn accumulators_can_move_to_worker_threads() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<Indicators>();
}

#[test]
fn merging_two_halves_equals_one_pass() {
    let releases: Vec<Value> = (0..12)
        .map(|i| {
            let second = if i % 3 == 0 { 1 } else { 101 };
            json!({
                "ocid": format!("p{i}"),
                "buyer": {"id": format!("B{}", i % 2)},
                "tender": {"numberOfTenderers": 1, "procurementMethod": "open"},
                "bids": {"details": [
                    {"status": "valid", "tenderers": [{"id": "W"}], "value": {"amount": 1, "currency": "USD"}},
                    {"status": if i % 4 == 0 { "disqualified" } else { "valid" }, "tenderers": [{"id": format!("L{}", i % 5)}], "value": {"amount": second, "currency": "USD"}}
                ]},
                "awards": [{"status": "active", "suppliers": [{"id": "W"}]}]
            })
        })
        .collect();
    let settings = Settings::all();
    let mut whole = Indicators::new(settings.clone());
    releases.iter().for_each(|r| whole.add(r));
    let mut first = Indicators::new(settings.clone());
    let mut second = Indicators::new(settings);
    releases[..5].iter().for_each(|r| first.add(r));
    releases[5..].iter().for_each(|r| second.add(r));
    first.merge(second);
    let whole = whole.finish();
    assert_eq!(first.finish(), whole);
    assert!(whole["OCID"]["p0"].get("R018").is_some(), "{whole}");
}

#[test]
fn only_the_main_currency_is_compared() {
    let process = |ocid: &str, currency: &str| {
        json!({"ocid": ocid, "bids": {"details": [
            {"status": "valid", "tenderers": [{"id": "V"}], "value": {"amount": 1, "currency": currency}},
            {"status": "disqualified", "tenderers": [{"id": "D"}], "value": {"amount": 1, "currency": currency}}
        ]}})
    };
    let releases = [process("usd", "USD"), process("cad", "CAD")];
    // Without a configured currency, the first one seen is the main one.
    assert_eq!(run("[R028]", &releases)["OCID"], json!({"usd": {"R028": 1.0}}));
    assert_eq!(run("currency = CAD\n[R028]", &releases)["OCID"], json!({"cad": {"R028": 1.0}}));
}

#[test]
fn price_comparison_allow_list() {
    let release = |ocid: &str, details: Option<&str>| {
        let mut r = json!({"ocid": ocid, "bids": {"details": [
            {"status": "disqualified", "value": {"amount": 1, "currency": "USD"}},
            {"status": "valid", "value": {"amount": 2, "currency": "USD"}}
        ]}, "awards": [{"status": "active"}]});
        if let Some(d) = details {
            r["tender"] = json!({"procurementMethodDetails": d});
        }
        r
    };
    let releases = [release("auction", Some("Reverse Auction")), release("other", Some("Other")), release("none", None)];
    let out = run("price_comparison_procurement_methods = Reverse Auction\n[R036]\n", &releases);
    assert_eq!(out["OCID"], json!({"auction": {"R036": 1.0}}));
}

#[test]
fn meta_reports_rounded_fences() {
    // The R024 fixture's population: Q1 = 66.6667, Q3 = 100, lower fence 16.6667.
    let gap = |ocid: String, second: u32| {
        json!({"ocid": ocid, "bids": {"details": [
            {"status": "valid", "tenderers": [{"id": "W"}], "value": {"amount": 1, "currency": "USD"}},
            {"status": "valid", "tenderers": [{"id": "L"}], "value": {"amount": second, "currency": "USD"}}
        ]}, "awards": [{"status": "active", "suppliers": [{"id": "W"}]}]})
    };
    let releases: Vec<Value> = (0..9).map(|i| gap(format!("p{i}"), if i < 2 { 1 } else { 101 })).collect();
    let out = run("[R024]", &releases);
    assert_eq!(out["Meta"]["R024"], json!({"q1": 66.6667, "q3": 100.0, "lower_fence": 16.6667}));
    assert_eq!(out["OCID"], json!({"p0": {"R024": 0.0}, "p1": {"R024": 0.0}}));
}
