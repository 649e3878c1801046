//! The red-flag settings as a form: one fieldset per indicator (its name,
//! what it means, on or off, its thresholds as labelled number fields), read
//! into and written back to the same settings file (Cardinal's INI with the
//! `[indonesia]` section). Only the lines the form owns are changed: the
//! file's comments, lists and other keys stay as the walidata wrote them,
//! so the file downloaded afterwards is still the file. No I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kernel::msg::Msg;

/// How a threshold is written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// A count (days, bids, processes).
    Whole,
    /// A share or a ratio (`0,9`).
    Decimal,
    /// An amount in Rupiah (`200.000.000`).
    Rupiah,
}

struct Field {
    key: &'static str,
    kind: Kind,
    min: f64,
    max: f64,
}

/// One section of the file: the indicators it turns on and their thresholds.
struct Section {
    name: &'static str,
    codes: &'static [&'static str],
    fields: &'static [Field],
}

const fn whole(key: &'static str, min: f64, max: f64) -> Field {
    Field { key, kind: Kind::Whole, min, max }
}

const fn decimal(key: &'static str, min: f64, max: f64) -> Field {
    Field { key, kind: Kind::Decimal, min, max }
}

const fn rupiah(key: &'static str) -> Field {
    Field { key, kind: Kind::Rupiah, min: 0.0, max: 1e13 }
}

/// Every indicator the settings file can turn on, in the file's order.
/// Bounds are what the indicators can mean (a share is 0 to 1, a
/// percentile 0 to 100); an empty field keeps the indicator's default.
const SECTIONS: &[Section] = &[
    Section { name: "R003", codes: &["R003"], fields: &[whole("threshold", 1.0, 365.0)] },
    Section { name: "R018", codes: &["R018"], fields: &[] },
    Section { name: "R024", codes: &["R024"], fields: &[decimal("threshold", 0.0, 1.0)] },
    Section { name: "R025", codes: &["R025"], fields: &[decimal("percentile", 0.0, 100.0), decimal("threshold", 0.0, 1.0)] },
    Section { name: "R028", codes: &["R028"], fields: &[] },
    Section { name: "R030", codes: &["R030"], fields: &[] },
    Section { name: "R035", codes: &["R035"], fields: &[whole("threshold", 1.0, 1000.0)] },
    Section { name: "R036", codes: &["R036"], fields: &[] },
    Section {
        name: "R038",
        codes: &["R038"],
        fields: &[
            decimal("threshold", 0.0, 1.0),
            whole("minimum_submitted_bids", 1.0, 1000.0),
            whole("minimum_contracting_processes", 1.0, 100_000.0),
        ],
    },
    Section {
        name: "R048",
        codes: &["R048"],
        fields: &[decimal("threshold", 0.0, 1000.0), whole("digits", 1.0, 10.0), whole("minimum_contracting_processes", 1.0, 100_000.0)],
    },
    Section { name: "R058", codes: &["R058"], fields: &[decimal("threshold", 0.0, 1000.0)] },
    Section {
        name: "indonesia",
        codes: &[
            "ID_PEMECAHAN",
            "ID_DESEMBER",
            "ID_PENUNJUKAN_LANGSUNG",
            "ID_PEMENANG_BERULANG",
            "ID_HPS",
            "ID_DI_ATAS_HPS",
            "ID_DURASI",
            "ID_BAYAR_LEBIH",
        ],
        fields: &[
            rupiah("ceiling_goods"),
            rupiah("ceiling_works"),
            rupiah("ceiling_consulting"),
            decimal("splitting_band", 0.0, 1.0),
            whole("splitting_min", 1.0, 100.0),
            decimal("december_share", 0.0, 1.0),
            decimal("direct_share", 0.0, 1.0),
            whole("repeat_wins", 1.0, 1000.0),
        ],
    },
];

/// A number field as the page shows it.
#[derive(Debug, Serialize)]
pub struct FieldView {
    /// The form's name: `R003.threshold`.
    pub name: String,
    /// The element id: `f-R003-threshold`.
    pub id: String,
    /// The label's catalogue key.
    pub label: String,
    pub value: String,
    #[serde(skip)]
    pub error: Option<Msg>,
    /// The error in the reader's language, set where the page is made.
    pub message: Option<String>,
}

/// An indicator's fieldset.
#[derive(Debug, Serialize)]
pub struct SectionView {
    pub name: &'static str,
    pub codes: &'static [&'static str],
    pub enabled: bool,
    pub fields: Vec<FieldView>,
}

/// The form as the file says it.
pub fn views(ini: &str) -> Vec<SectionView> {
    SECTIONS
        .iter()
        .map(|s| SectionView {
            name: s.name,
            codes: s.codes,
            enabled: has_section(ini, s.name),
            fields: s.fields.iter().map(|f| field_view(s, f, shown(ini, s.name, f), None)).collect(),
        })
        .collect()
}

fn field_view(s: &Section, f: &Field, value: String, error: Option<Msg>) -> FieldView {
    FieldView {
        name: format!("{}.{}", s.name, f.key),
        id: format!("f-{}-{}", s.name, f.key),
        // The key `flagset.<section>.<key>`, each in both catalogues.
        label: ["flagset", s.name, f.key].join("."),
        value,
        error,
        message: None,
    }
}

/// A stored value as a person reads it: Rupiah with thousands points, a
/// decimal with a comma.
fn shown(ini: &str, section: &str, f: &Field) -> String {
    let Some(v) = value(ini, section, f.key) else { return String::new() };
    match (f.kind, v.parse::<f64>()) {
        (Kind::Rupiah, Ok(n)) => crate::web::format::thousands(n.round() as i64),
        (Kind::Decimal, Ok(_)) => v.replace('.', ","),
        _ => v,
    }
}

/// What the walidata sent: the new file, or every field that is wrong
/// (the form shown again with what was typed).
pub fn apply(ini: &str, form: &BTreeMap<String, String>) -> Result<String, Vec<SectionView>> {
    let mut out = ini.to_string();
    let mut views = Vec::new();
    let mut wrong = false;
    for s in SECTIONS {
        let enabled = form.get(&format!("on.{}", s.name)).is_some_and(|v| !v.is_empty());
        let mut fields = Vec::new();
        for f in s.fields {
            let typed = form.get(&format!("{}.{}", s.name, f.key)).map(|v| v.trim().to_string()).unwrap_or_default();
            let parsed = if typed.is_empty() { Ok(None) } else { parse(&typed, f).map(Some) };
            let error = match parsed {
                Ok(v) => {
                    out = set_value(&out, s.name, f.key, v.as_deref());
                    None
                }
                Err(m) => Some(m),
            };
            wrong |= error.is_some();
            fields.push(field_view(s, f, typed, error));
        }
        out = set_enabled(&out, s.name, enabled);
        views.push(SectionView { name: s.name, codes: s.codes, enabled, fields });
    }
    if wrong { Err(views) } else { Ok(out) }
}

/// A typed number as the file writes it, or why it is not one. People
/// write `0,9` and `200.000.000`; the file wants `0.9` and `200000000`.
fn parse(typed: &str, f: &Field) -> Result<String, Msg> {
    let compact: String = typed.trim_start_matches("Rp").chars().filter(|c| !c.is_whitespace()).collect();
    let (text, whole_number) = match f.kind {
        Kind::Rupiah | Kind::Whole => (compact.replace('.', ""), true),
        Kind::Decimal => (compact.replace(',', "."), false),
    };
    let number = text.parse::<f64>().ok().filter(|n| n.is_finite() && (!whole_number || n.fract() == 0.0));
    let Some(n) = number else {
        return Err(Msg::new(if whole_number { "flagset.error.whole" } else { "flagset.error.decimal" }));
    };
    if n < f.min || n > f.max {
        let show = |x: f64| if f.kind == Kind::Rupiah { crate::web::format::thousands(x as i64) } else { x.to_string().replace('.', ",") };
        return Err(Msg::new("flagset.error.range").arg("min", show(f.min)).arg("max", show(f.max)));
    }
    Ok(if whole_number { format!("{}", n as i64) } else { n.to_string() })
}

fn header(line: &str) -> Option<&str> {
    line.trim().strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

/// The section a header opens, and its own subsections (`[R003.procurement_method_details]`).
fn belongs(header: &str, section: &str) -> bool {
    header == section || header.strip_prefix(section).is_some_and(|rest| rest.starts_with('.'))
}

fn has_section(ini: &str, section: &str) -> bool {
    ini.lines().any(|l| header(l) == Some(section))
}

/// The line numbers of a section's body: after its header, before the next header.
fn body(lines: &[&str], section: &str) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| header(l) == Some(section))? + 1;
    let end = lines[start..].iter().position(|l| header(l).is_some()).map_or(lines.len(), |i| start + i);
    Some((start, end))
}

fn key_of(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.starts_with(';') || line.starts_with('#') {
        return None;
    }
    line.split_once('=').map(|(k, _)| k.trim())
}

fn value(ini: &str, section: &str, key: &str) -> Option<String> {
    let lines: Vec<&str> = ini.lines().collect();
    let (start, end) = body(&lines, section)?;
    lines[start..end].iter().find(|l| key_of(l) == Some(key)).and_then(|l| l.split_once('=')).map(|(_, v)| v.trim().to_string())
}

fn joined(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Sets `key` in `section` (adding the line after the header), or removes
/// it when `value` is `None` so the indicator's default applies.
fn set_value(ini: &str, section: &str, key: &str, value: Option<&str>) -> String {
    let mut lines: Vec<String> = ini.lines().map(str::to_string).collect();
    let view: Vec<&str> = ini.lines().collect();
    let Some((start, end)) = body(&view, section) else {
        // A section that is off keeps no values; turning it on adds them.
        return match value {
            Some(v) => joined(lines.into_iter().chain([format!("[{section}]"), format!("{key} = {v}")]).collect()),
            None => ini.to_string(),
        };
    };
    let at = (start..end).find(|&i| key_of(&lines[i]) == Some(key));
    match (at, value) {
        (Some(i), Some(v)) => lines[i] = format!("{key} = {v}"),
        (Some(i), None) => {
            lines.remove(i);
        }
        (None, Some(v)) => lines.insert(start, format!("{key} = {v}")),
        (None, None) => {}
    }
    joined(lines)
}

/// Turns a section on (adding its header at the end) or off (removing its
/// header, its lines and its subsections).
fn set_enabled(ini: &str, section: &str, on: bool) -> String {
    if on {
        return if has_section(ini, section) {
            ini.to_string()
        } else {
            joined(ini.lines().map(str::to_string).chain([format!("[{section}]")]).collect())
        };
    }
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in ini.lines() {
        if let Some(h) = header(line) {
            skipping = belongs(h, section);
        }
        if !skipping {
            kept.push(line.to_string());
        }
    }
    joined(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_default_file_reads_as_the_form() {
        let views = views(super::super::settings::DEFAULT_FLAGS_INI);
        let r024 = views.iter().find(|v| v.name == "R024").unwrap();
        assert!(r024.enabled);
        assert_eq!(r024.fields[0].value, "0,005");
        let id = views.iter().find(|v| v.name == "indonesia").unwrap();
        assert_eq!(id.fields[1].value, "400.000.000");
        assert_eq!(id.fields[1].label, "flagset.indonesia.ceiling_works");
    }

    #[test]
    fn the_form_changes_only_its_own_lines() {
        let ini = "; mine\ncurrency = IDR\n[R003]\nprocurement_methods = open\n[R003.procurement_method_details]\nTender Cepat = 3\n[R024]\nthreshold = 0.005\n[indonesia]\n; ceilings\nceiling_goods = 200000000\n";
        let sent = form(&[
            ("on.R003", "1"),
            ("R003.threshold", "10"),
            ("on.R024", ""),
            ("on.indonesia", "1"),
            ("indonesia.ceiling_goods", "Rp 250.000.000"),
            ("indonesia.splitting_band", "0,85"),
            ("on.R058", "1"),
        ]);
        let out = apply(ini, &sent).unwrap();
        assert_eq!(
            out,
            "; mine\ncurrency = IDR\n[R003]\nthreshold = 10\nprocurement_methods = open\n[R003.procurement_method_details]\nTender Cepat = 3\n[indonesia]\nsplitting_band = 0.85\n; ceilings\nceiling_goods = 250000000\n[R058]\n"
        );
        let parsed = ocds::flags::Settings::parse(&out).unwrap();
        assert_eq!(parsed.r003.unwrap().threshold, Some(10));
        assert!(parsed.r024.is_none() && parsed.r058.is_some());
        assert_eq!(parsed.indonesia.unwrap().ceiling_goods, 250_000_000.0);
        // Turning R003 off takes its subsection with it.
        let off = apply(&out, &form(&[("on.indonesia", "1")])).unwrap();
        assert!(!off.contains("R003") && !off.contains("Tender Cepat") && off.contains("[indonesia]"), "{off}");
    }

    #[test]
    fn wrong_numbers_are_named_by_their_field() {
        let sent =
            form(&[("on.R003", "1"), ("R003.threshold", "dua"), ("on.R025", "1"), ("R025.percentile", "150"), ("R024.threshold", "0,5")]);
        let views = apply("[R003]\n", &sent).unwrap_err();
        let errors: Vec<(&str, &str)> =
            views.iter().flat_map(|v| &v.fields).filter_map(|f| f.error.as_ref().map(|e| (f.name.as_str(), e.key))).collect();
        assert_eq!(errors, [("R003.threshold", "flagset.error.whole"), ("R025.percentile", "flagset.error.range")]);
        let typed = views.iter().find(|v| v.name == "R003").unwrap();
        assert_eq!(typed.fields[0].value, "dua", "what was typed is shown again");
    }
}
