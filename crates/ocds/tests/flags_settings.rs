//! The red-flag settings file (Cardinal's INI format): what it accepts and how it refuses.

use ocds::flags::{FenceSettings, NoSettings, R003Settings, R038Settings, Settings, SettingsError};

fn error(text: &str) -> SettingsError {
    match Settings::parse(text) {
        Ok(settings) => panic!("expected an error for {text:?}, got {settings:?}"),
        Err(e) => e,
    }
}

#[test]
fn empty_text_is_the_default_and_enables_nothing() {
    assert_eq!(Settings::parse("").unwrap(), Settings::default());
    assert_eq!(Settings::parse("\n; only a comment\n# another\n\n").unwrap(), Settings::default());
    assert_eq!(Settings::default().r024, None);
}

#[test]
fn a_full_file() {
    let text = "\u{feff}currency = USD
no_price_comparison_procurement_methods = Random Selection|Sorteo de Obras
price_comparison_procurement_methods = Reverse Auction

[exclusions]
procurement_method_details = EXC

; Short submission period
[R003]
threshold = 10 # days
procurement_methods = open | selective

[R003.procurement_method_details]
Licitación de Seguros = 10
Cotización = 7

[R018]
[R024]
threshold = 0.05
[R025]
percentile = 90
threshold = 0.1
[R028]
[R030]
[R035]
threshold = 2
[R036]
[R038]
threshold = 0.5
minimum_submitted_bids = 3
minimum_contracting_processes = 4
[R048]
digits = 4
threshold = 10
minimum_contracting_processes = 1
[R058]
threshold = 0.50
";
    let s = Settings::parse(text).unwrap();
    assert_eq!(s.currency.as_deref(), Some("USD"));
    assert_eq!(s.no_price_comparison_procurement_methods, Some(vec!["Random Selection".to_owned(), "Sorteo de Obras".to_owned()]));
    assert_eq!(s.price_comparison_procurement_methods, Some(vec!["Reverse Auction".to_owned()]));
    assert_eq!(s.exclusions.procurement_method_details, Some(vec!["EXC".to_owned()]));
    let r003 = s.r003.unwrap();
    assert_eq!(r003.threshold, Some(10));
    assert_eq!(r003.procurement_methods, Some(vec!["open".to_owned(), "selective".to_owned()]));
    assert_eq!(r003.procurement_method_details.get("Licitación de Seguros"), Some(&10));
    assert_eq!(r003.procurement_method_details.get("Cotización"), Some(&7));
    assert_eq!(s.r018.unwrap().procurement_methods, None);
    assert_eq!(s.r024, Some(FenceSettings { threshold: Some(0.05) }));
    let r025 = s.r025.unwrap();
    assert_eq!((r025.percentile, r025.threshold), (Some(90.0), Some(0.1)));
    assert_eq!(s.r028, Some(NoSettings));
    assert_eq!(s.r030, Some(NoSettings));
    assert_eq!(s.r035.unwrap().threshold, Some(2));
    assert_eq!(s.r036, Some(NoSettings));
    assert_eq!(
        s.r038,
        Some(R038Settings { threshold: Some(0.5), minimum_submitted_bids: Some(3), minimum_contracting_processes: Some(4) })
    );
    let r048 = s.r048.unwrap();
    assert_eq!((r048.digits, r048.threshold, r048.minimum_contracting_processes), (Some(4), Some(10.0), Some(1)));
    assert_eq!(s.r058, Some(FenceSettings { threshold: Some(0.5) }));
}

#[test]
fn comments_may_follow_a_section_header() {
    let s = Settings::parse("[R024] ; price close to winning bid\nthreshold = 0.05 ; decimal\n").unwrap();
    assert_eq!(s.r024, Some(FenceSettings { threshold: Some(0.05) }));
}

#[test]
fn a_map_section_alone_enables_its_indicator() {
    let s = Settings::parse("[R003.procurement_method_details]\nx = 5\n").unwrap();
    let r003 = s.r003.expect("R003 enabled");
    assert_eq!(r003, R003Settings { procurement_method_details: [("x".to_owned(), 5)].into(), ..R003Settings::default() });
}

#[test]
fn prepare_sections_are_tolerated() {
    // Cardinal's `init` writes these for its `prepare` command into the same file.
    let s = Settings::parse("[defaults]\ncurrency = USD\n[codelists.bid_status]\nQualified = valid\n[R036]\n").unwrap();
    assert_eq!(s.r036, Some(NoSettings));
    assert_eq!(s.currency, None, "[defaults] currency is prepare's, not the global one");
}

#[test]
fn all_enables_every_indicator() {
    let s = Settings::all();
    assert!(s.r003.is_some() && s.r018.is_some() && s.r024.is_some() && s.r025.is_some() && s.r028.is_some());
    assert!(s.r030.is_some() && s.r035.is_some() && s.r036.is_some() && s.r038.is_some() && s.r048.is_some() && s.r058.is_some());
}

#[test]
fn errors_name_the_line() {
    let e = error("[R003]\n\nthreshold = ten\n");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("threshold") && e.message.contains("ten"), "{e}");
    assert_eq!(e.to_string(), format!("settings line 3: {}", e.message));

    let e = error("[R024]\nthreshold = 0.05\n[R999]\n");
    assert_eq!((e.line, e.message.as_str()), (3, "unknown section [R999]"));

    let e = error("[R024]\nthresold = 0.05\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("unknown property `thresold`") && e.message.contains("[R024]"), "{e}");

    let e = error("colour = red\n");
    assert_eq!(e.line, 1);
    assert!(e.message.contains("global"), "{e}");
}

#[test]
fn malformed_lines_are_refused() {
    for (text, line, needle) in [
        ("[R003\n", 1, "closing"),
        ("[]\n", 1, "empty section"),
        ("[R003]\njust words\n", 2, "key = value"),
        ("[R003]\n= 5\n", 2, "no name"),
        ("[R003]\nthreshold =\n", 2, "no value"),
        ("[R003]\nthreshold = -1\n", 2, "whole number"),
        ("[R003]\nthreshold = 1.5\n", 2, "whole number"),
        ("[R024]\nthreshold = NaN\n", 2, "decimal"),
        ("[R024]\nthreshold = 0.1\nthreshold = 0.2\n", 3, "twice"),
        ("[R024]\n[R024]\n", 2, "twice"),
        ("[R025]\npercentile = 101\n", 2, "between 0 and 100"),
        ("[R048]\ndigits = 0\n", 2, "at least 1"),
        ("[R018]\nprocurement_methods = open||selective\n", 2, "empty item"),
        ("[R028]\nthreshold = 1\n", 2, "unknown property"),
        ("[R003.procurement_method_details]\nx = soon\n", 2, "whole number"),
    ] {
        let e = error(text);
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e}");
    }
}
