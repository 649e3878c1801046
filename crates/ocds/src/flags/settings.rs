//! The settings file: Cardinal's INI format.
//!
//! Global properties come before the first section; each indicator has its
//! own section (`[R024]`), and its presence is what enables the indicator.
//! Map-valued properties get a dotted sub-section (`[R003.procurement_method_details]`).

use std::collections::BTreeMap;
use std::fmt;

use super::indonesia::IndonesianSettings;

/// Settings for the red-flag indicators, as read from Cardinal's INI settings file.
///
/// An indicator runs only if its field is `Some`, i.e. its section is present in
/// the file (even empty). [`Settings::default`] equals an empty file: no indicator
/// runs. [`Settings::all`] enables every indicator with its default configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// The main currency (`currency = USD`). Monetary values in another currency
    /// exclude the contracting process from price indicators. When unset, the first
    /// currency observed in the input is used.
    pub currency: Option<String>,
    /// `/tender/procurementMethodDetails` values whose prices are predetermined
    /// (`no_price_comparison_procurement_methods = A|B`): such processes are excluded
    /// from the price indicators (R024, R028, R036, R058).
    pub no_price_comparison_procurement_methods: Option<Vec<String>>,
    /// The only `/tender/procurementMethodDetails` values whose prices may be compared
    /// (`price_comparison_procurement_methods = A|B`); any other process, including one
    /// without the field, is excluded from the price indicators.
    pub price_comparison_procurement_methods: Option<Vec<String>>,
    /// The `[exclusions]` section: processes excluded from every indicator.
    pub exclusions: Exclusions,
    /// `[R003]` Short submission period.
    pub r003: Option<R003Settings>,
    /// `[R018]` Single bid received.
    pub r018: Option<R018Settings>,
    /// `[R024]` Price close to winning bid.
    pub r024: Option<FenceSettings>,
    /// `[R025]` Excessive unsuccessful bids.
    pub r025: Option<R025Settings>,
    /// `[R028]` Identical bid prices (no properties).
    pub r028: Option<NoSettings>,
    /// `[R030]` Late bid won (no properties).
    pub r030: Option<NoSettings>,
    /// `[R035]` All except winning bid disqualified.
    pub r035: Option<R035Settings>,
    /// `[R036]` Lowest bid disqualified (no properties).
    pub r036: Option<NoSettings>,
    /// `[R038]` Excessive disqualified bids.
    pub r038: Option<R038Settings>,
    /// `[R048]` Heterogeneous supplier.
    pub r048: Option<R048Settings>,
    /// `[R058]` Heavily discounted bid.
    pub r058: Option<FenceSettings>,
    /// `[indonesia]` Pendopo's Indonesian flags (not Cardinal's): the section
    /// enables them, its properties override the defaults.
    pub indonesia: Option<IndonesianSettings>,
}

/// The `[exclusions]` section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exclusions {
    /// Processes whose `/tender/procurementMethodDetails` is one of these values
    /// (`procurement_method_details = A|B`) are excluded from every indicator.
    pub procurement_method_details: Option<Vec<String>>,
}

/// Marker for an enabled indicator that has no properties.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoSettings;

/// `[R003]`: short submission period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct R003Settings {
    /// Minimum submission period in whole days (`threshold`, default 15).
    pub threshold: Option<u32>,
    /// Only processes whose `/tender/procurementMethod` is listed are considered
    /// (`procurement_methods = open|selective`); all when unset.
    pub procurement_methods: Option<Vec<String>>,
    /// Per-`/tender/procurementMethodDetails` thresholds, from the
    /// `[R003.procurement_method_details]` section.
    pub procurement_method_details: BTreeMap<String, u32>,
}

/// `[R018]`: single bid received.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct R018Settings {
    /// Competitive `/tender/procurementMethod` values (default `open|selective`).
    pub procurement_methods: Option<Vec<String>>,
}

/// `[R024]` and `[R058]`: a fixed fence instead of the quartile fence.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FenceSettings {
    /// The fence (`threshold`, a decimal); computed from quartiles when unset.
    pub threshold: Option<f64>,
}

/// `[R025]`: excessive unsuccessful bids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct R025Settings {
    /// Percentile of the numbers of valid bids at or above which a tenderer is a
    /// "top tenderer" (`percentile`, 0-100, default 75).
    pub percentile: Option<f64>,
    /// Fixed lower fence for the win ratio (`threshold`); quartile fence when unset.
    pub threshold: Option<f64>,
}

/// `[R035]`: all except winning bid disqualified.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct R035Settings {
    /// Minimum number of other tenderers with disqualified bids (`threshold`, default 1).
    pub threshold: Option<u64>,
}

/// `[R038]`: excessive disqualified bids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct R038Settings {
    /// Fixed upper fence for the disqualified ratio (`threshold`); quartile fence when unset.
    pub threshold: Option<f64>,
    /// Tenderers with fewer submitted bids are left out (`minimum_submitted_bids`, default 2).
    pub minimum_submitted_bids: Option<u64>,
    /// Buyers and procuring entities below this minimum are left out
    /// (`minimum_contracting_processes`, default 2). As in Cardinal 0.0.8, the
    /// minimum is compared with the organization's number of submitted bids.
    pub minimum_contracting_processes: Option<u64>,
}

/// `[R048]`: heterogeneous supplier.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct R048Settings {
    /// Fixed upper fence for the variety (`threshold`); quartile fence when unset.
    pub threshold: Option<f64>,
    /// Leading characters of `classification/id` that make the first level (`digits`, default 2).
    pub digits: Option<usize>,
    /// Only suppliers awarded in at least this many contracting processes shape the
    /// quartile fence (`minimum_contracting_processes`, default 20); every supplier
    /// is then judged against it.
    pub minimum_contracting_processes: Option<u64>,
}

/// A settings file that could not be read, with the 1-based line at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    /// 1-based line number in the settings text.
    pub line: usize,
    /// What is wrong, in English.
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "settings line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SettingsError {}

/// Sections of Cardinal's `prepare` command: a shared settings file may hold them,
/// and they mean nothing to the indicators, so they are skipped rather than rejected.
fn is_prepare_section(name: &str) -> bool {
    matches!(name, "defaults" | "redactions" | "corrections" | "modifications") || name.starts_with("codelists.")
}

impl Settings {
    /// Every indicator enabled with its default configuration (as if each section
    /// were present and empty).
    pub fn all() -> Self {
        Settings {
            r003: Some(R003Settings::default()),
            r018: Some(R018Settings::default()),
            r024: Some(FenceSettings::default()),
            r025: Some(R025Settings::default()),
            r028: Some(NoSettings),
            r030: Some(NoSettings),
            r035: Some(R035Settings::default()),
            r036: Some(NoSettings),
            r038: Some(R038Settings::default()),
            r048: Some(R048Settings::default()),
            r058: Some(FenceSettings::default()),
            ..Settings::default()
        }
    }

    /// Parses Cardinal's INI settings format.
    ///
    /// Lines are `[section]`, `key = value`, blank, or comments starting with `;`
    /// or `#` (also after a value, when preceded by whitespace: `threshold = 15 # default`).
    /// Lists are pipe-separated (`open|selective`). Unknown sections and keys, bad
    /// numbers, repeated keys and malformed lines are errors naming the line, so a
    /// typo never silently disables an indicator.
    pub fn parse(text: &str) -> Result<Settings, SettingsError> {
        let mut settings = Settings::default();
        let mut section = String::new();
        let mut seen_sections: Vec<String> = Vec::new();
        let mut seen_keys: Vec<String> = Vec::new();

        for (index, raw) in text.strip_prefix('\u{feff}').unwrap_or(text).lines().enumerate() {
            let line = index + 1;
            let err = |message: String| SettingsError { line, message };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
                continue;
            }

            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(name) = strip_comment(rest).trim_end().strip_suffix(']') else {
                    return Err(err(format!("section header `{trimmed}` is missing its closing `]`")));
                };
                let name = name.trim();
                if name.is_empty() {
                    return Err(err("empty section name `[]`".to_owned()));
                }
                if seen_sections.iter().any(|s| s == name) {
                    return Err(err(format!("section [{name}] appears twice")));
                }
                settings.enable_section(name).map_err(err)?;
                seen_sections.push(name.to_owned());
                seen_keys.clear();
                section = name.to_owned();
                continue;
            }

            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(err(format!("expected `key = value`, `[section]` or a comment, found `{trimmed}`")));
            };
            let key = key.trim();
            let value = strip_comment(value).trim();
            if key.is_empty() {
                return Err(err("a property has no name before `=`".to_owned()));
            }
            if seen_keys.iter().any(|k| k == key) {
                return Err(err(format!("property `{key}` appears twice in {}", describe(&section))));
            }
            seen_keys.push(key.to_owned());
            settings.set(&section, key, value).map_err(err)?;
        }
        Ok(settings)
    }

    fn enable_section(&mut self, name: &str) -> Result<(), String> {
        match name {
            "exclusions" => {}
            "R003" | "R003.procurement_method_details" => {
                self.r003.get_or_insert_default();
            }
            "R018" => {
                self.r018.get_or_insert_default();
            }
            "R024" => {
                self.r024.get_or_insert_default();
            }
            "R025" => {
                self.r025.get_or_insert_default();
            }
            "R028" => self.r028 = Some(NoSettings),
            "R030" => self.r030 = Some(NoSettings),
            "R035" => {
                self.r035.get_or_insert_default();
            }
            "R036" => self.r036 = Some(NoSettings),
            "R038" => {
                self.r038.get_or_insert_default();
            }
            "R048" => {
                self.r048.get_or_insert_default();
            }
            "R058" => {
                self.r058.get_or_insert_default();
            }
            "indonesia" => {
                self.indonesia.get_or_insert_default();
            }
            other if is_prepare_section(other) => {}
            other => return Err(format!("unknown section [{other}]")),
        }
        Ok(())
    }

    fn set(&mut self, section: &str, key: &str, value: &str) -> Result<(), String> {
        let unknown = || Err(format!("unknown property `{key}` in {}", describe(section)));
        match section {
            "" => match key {
                "currency" => self.currency = Some(non_empty(key, value)?.to_owned()),
                "no_price_comparison_procurement_methods" => self.no_price_comparison_procurement_methods = Some(list(key, value)?),
                "price_comparison_procurement_methods" => self.price_comparison_procurement_methods = Some(list(key, value)?),
                _ => return unknown(),
            },
            "exclusions" => match key {
                "procurement_method_details" => self.exclusions.procurement_method_details = Some(list(key, value)?),
                _ => return unknown(),
            },
            "R003" => {
                let s = self.r003.get_or_insert_default();
                match key {
                    "threshold" => s.threshold = Some(natural(key, value)?),
                    "procurement_methods" => s.procurement_methods = Some(list(key, value)?),
                    _ => return unknown(),
                }
            }
            "R003.procurement_method_details" => {
                let days = natural(key, value)?;
                self.r003.get_or_insert_default().procurement_method_details.insert(key.to_owned(), days);
            }
            "R018" => match key {
                "procurement_methods" => self.r018.get_or_insert_default().procurement_methods = Some(list(key, value)?),
                _ => return unknown(),
            },
            "R024" | "R058" => match key {
                "threshold" => {
                    let fence = if section == "R024" { &mut self.r024 } else { &mut self.r058 };
                    fence.get_or_insert_default().threshold = Some(decimal(key, value)?);
                }
                _ => return unknown(),
            },
            "R025" => {
                let s = self.r025.get_or_insert_default();
                match key {
                    "percentile" => {
                        let p = decimal(key, value)?;
                        if !(0.0..=100.0).contains(&p) {
                            return Err(format!("`percentile` must be between 0 and 100, found `{value}`"));
                        }
                        s.percentile = Some(p);
                    }
                    "threshold" => s.threshold = Some(decimal(key, value)?),
                    _ => return unknown(),
                }
            }
            "R035" => match key {
                "threshold" => self.r035.get_or_insert_default().threshold = Some(natural(key, value)?),
                _ => return unknown(),
            },
            "R038" => {
                let s = self.r038.get_or_insert_default();
                match key {
                    "threshold" => s.threshold = Some(decimal(key, value)?),
                    "minimum_submitted_bids" => s.minimum_submitted_bids = Some(natural(key, value)?),
                    "minimum_contracting_processes" => s.minimum_contracting_processes = Some(natural(key, value)?),
                    _ => return unknown(),
                }
            }
            "R048" => {
                let s = self.r048.get_or_insert_default();
                match key {
                    "threshold" => s.threshold = Some(decimal(key, value)?),
                    "digits" => {
                        let digits: usize = natural(key, value)?;
                        if digits == 0 {
                            return Err("`digits` must be at least 1".to_owned());
                        }
                        s.digits = Some(digits);
                    }
                    "minimum_contracting_processes" => s.minimum_contracting_processes = Some(natural(key, value)?),
                    _ => return unknown(),
                }
            }
            "indonesia" => {
                let s = self.indonesia.get_or_insert_default();
                let share = |v: f64| {
                    if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("`{key}` is a share between 0 and 1, found `{value}`")) }
                };
                match key {
                    "ceiling_goods" => s.ceiling_goods = decimal(key, value)?,
                    "ceiling_works" => s.ceiling_works = decimal(key, value)?,
                    "ceiling_consulting" => s.ceiling_consulting = decimal(key, value)?,
                    "splitting_band" => s.splitting_band = share(decimal(key, value)?)?,
                    "splitting_min" => s.splitting_min = natural(key, value)?,
                    "december_share" => s.december_share = share(decimal(key, value)?)?,
                    "direct_share" => s.direct_share = share(decimal(key, value)?)?,
                    "repeat_wins" => s.repeat_wins = natural(key, value)?,
                    _ => return unknown(),
                }
            }
            other if is_prepare_section(other) => {}
            // Sections without properties (R028, R030, R036).
            _ => return unknown(),
        }
        Ok(())
    }
}

fn describe(section: &str) -> String {
    if section.is_empty() { "the global properties (before any section)".to_owned() } else { format!("section [{section}]") }
}

/// Drops a trailing `; comment` or `# comment`; only after whitespace, so that
/// values such as `Lot#2` survive.
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if (b == b';' || b == b'#') && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return &value[..i];
        }
    }
    value
}

fn non_empty<'a>(key: &str, value: &'a str) -> Result<&'a str, String> {
    if value.is_empty() { Err(format!("`{key}` has no value")) } else { Ok(value) }
}

fn list(key: &str, value: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> = non_empty(key, value)?.split('|').map(|s| s.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(format!("`{key}` has an empty item in `{value}` (items are separated by `|`)"));
    }
    Ok(items)
}

fn natural<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, String> {
    non_empty(key, value)?.parse().map_err(|_| format!("`{key}` must be a whole number of 0 or more, found `{value}`"))
}

fn decimal(key: &str, value: &str) -> Result<f64, String> {
    match non_empty(key, value)?.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{key}` must be a decimal number, found `{value}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_comment_needs_whitespace() {
        assert_eq!(strip_comment("15 # default"), "15 ");
        assert_eq!(strip_comment("Lot#2"), "Lot#2");
        assert_eq!(strip_comment("a ;b"), "a ");
    }

    #[test]
    fn indonesian_section() {
        let s = Settings::parse("[R018]\n[indonesia]\nceiling_works = 450000000\nrepeat_wins = 3\n").unwrap();
        let id = s.indonesia.expect("the section enables the Indonesian flags");
        assert_eq!((id.ceiling_works, id.repeat_wins, id.ceiling_goods), (450_000_000.0, 3, 200_000_000.0));
        assert!(Settings::parse("[R018]\n").unwrap().indonesia.is_none());
        let e = Settings::parse("[indonesia]\ndecember_share = 30\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("between 0 and 1"), "{e}");
        assert!(Settings::parse("[indonesia]\nceiling = 1\n").unwrap_err().message.contains("unknown property `ceiling`"));
    }
}
