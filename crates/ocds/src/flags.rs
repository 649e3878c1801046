//! Red-flag indicators over compiled releases, with Cardinal 0.0.8's definitions,
//! settings file and output shape.
//!
//! ```
//! use ocds::flags::{Indicators, Settings};
//!
//! let settings = Settings::parse("[R018]\n").unwrap();
//! let mut indicators = Indicators::new(settings);
//! let release = serde_json::json!({"ocid": "ocds-1", "tender": {"numberOfTenderers": 1, "procurementMethod": "open"}});
//! indicators.add(&release);
//! let output = indicators.finish();
//! assert_eq!(output["OCID"]["ocds-1"]["R018"], 1.0);
//! ```
//!
//! # Indicators
//!
//! Every value is a JSON float. "Submitted" bids are pending, valid or disqualified.
//! Every indicator skips a process without a string `ocid`, with a cancelled
//! `/tender/status`, or with an excluded `/tender/procurementMethodDetails`; the
//! price indicators (R024, R028, R036, R058) also skip processes whose prices are
//! not comparable (see [`Settings`]) or that use a currency other than the main one.
//!
//! | code | flags | value |
//! |---|---|---|
//! | R003 | OCID: tender period shorter than the threshold (15 whole days, or per `procurementMethodDetails`) | 1.0 |
//! | R018 | OCID: `numberOfTenderers` is 1 in an open or selective procedure | 1.0 |
//! | R024 | OCID: (second-lowest valid bid - winning bid) / winning bid <= Q1 - 1.5 IQR; the winner and second bidder as Tenderer | difference; 0.0 |
//! | R025 | Tenderer: among top tenderers (valid-bid processes >= 75th percentile), wins / valid-bid processes <= Q1 - 1.5 IQR | ratio |
//! | R028 | OCID and its Tenderers: different tenderers submitted the same amount | 1.0 |
//! | R030 | OCID and Tenderer: a valid bid dated after the tender period's end came from an active award's supplier | 1.0 |
//! | R035 | OCID: one tenderer has valid bids, it is every active award's supplier, and >= 1 other tenderer was disqualified; the winner as Tenderer | number of disqualified tenderers; 0.0 |
//! | R036 | OCID: an award is active and the lowest submitted bid is disqualified | 1.0 |
//! | R038 | Buyer, ProcuringEntity, Tenderer: disqualified / submitted bids >= Q3 + 1.5 IQR | ratio |
//! | R048 | Tenderer (supplier): distinct first-level item classifications >= Q3 + 1.5 IQR | variety |
//! | R058 | OCID: the R024 difference >= Q3 + 1.5 IQR; the winner as Tenderer | difference; 0.0 |
//!
//! Quartiles follow Hyndman and Fan's definition 8, as Cardinal's do; a fence is
//! not applied when Q1 and Q3 are both 0. A configured `threshold` replaces the
//! quartile fence. The `.expected` fixtures of Cardinal 0.0.8 settle the details;
//! where they are silent, each rule's function says what was chosen.
//!
//! # Design
//!
//! [`Indicators::add`] reads one compiled release, decides everything that
//! depends on that release alone, and keeps only small per-process or
//! per-organization tallies; [`Indicators::finish`] computes the quartile fences
//! that need the whole population. Memory therefore follows the number of
//! contracting processes and organizations, never the size of the input. Two
//! accumulators fed with different parts of the input combine with
//! [`Indicators::merge`], so the work can be split across cores.
//!
//! This file is the accumulator (what one release adds, how two combine, the
//! fences at the end); `process` reads a release once, `rules` holds the
//! per-process rules.

mod indonesia;
mod process;
mod rules;
mod settings;
mod stats;
mod time;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use process::{Bid, Process};
use rules::{price_gap, r003, r018, r025, r028, r030, r035, r036, r048};

pub use indonesia::{IndonesianFlags, IndonesianSettings, duration_score, hps_score};
pub use settings::{
    Exclusions, FenceSettings, NoSettings, R003Settings, R018Settings, R025Settings, R035Settings, R038Settings, R048Settings, Settings,
    SettingsError,
};

/// Results per identifier: identifier -> indicator code -> value.
type Group = BTreeMap<String, BTreeMap<&'static str, f64>>;

const DEFAULT_R003_THRESHOLD: u32 = 15;
const DEFAULT_R018_METHODS: [&str; 2] = ["open", "selective"];
const DEFAULT_R025_PERCENTILE: f64 = 75.0;
const DEFAULT_R035_THRESHOLD: u64 = 1;
const DEFAULT_R038_MINIMUM_SUBMITTED_BIDS: u64 = 2;
const DEFAULT_R038_MINIMUM_CONTRACTING_PROCESSES: u64 = 2;
const DEFAULT_R048_DIGITS: usize = 2;
const DEFAULT_R048_MINIMUM_CONTRACTING_PROCESSES: u64 = 20;

/// Accumulates red-flag indicators over compiled releases, one release at a time.
///
/// Feed every compiled release with [`add`](Self::add) (for example each line of a
/// JSON Lines file), then call [`finish`](Self::finish) for the result.
#[derive(Clone, Debug)]
pub struct Indicators {
    settings: Settings,
    /// First currency seen in a bid value: Cardinal's main currency when the
    /// settings name none.
    first_currency: Option<String>,
    ocid: Group,
    buyer: Group,
    procuring_entity: Group,
    tenderer: Group,
    /// R024 and R058: one entry per eligible process, judged against the fences in `finish`.
    price_gaps: Vec<PriceGap>,
    /// R025: per tenderer, processes with a valid bid and processes won.
    r025: HashMap<String, WinTally>,
    /// R028: flagged processes, kept until the main currency is known.
    r028: Vec<Pending<Vec<String>>>,
    /// R036: flagged processes, kept until the main currency is known.
    r036: Vec<Pending<()>>,
    r038_buyer: HashMap<String, Fraction>,
    r038_procuring_entity: HashMap<String, Fraction>,
    r038_tenderer: HashMap<String, Fraction>,
    /// R048: per supplier, the first-level classifications and the number of processes.
    r048: HashMap<String, Variety>,
}

/// A process whose flag holds only if its currency turns out to be the main one.
#[derive(Clone, Debug)]
struct Pending<T> {
    ocid: String,
    currency: Option<String>,
    extra: T,
}

#[derive(Clone, Debug)]
struct PriceGap {
    ocid: String,
    currency: Option<String>,
    difference: f64,
    winner: String,
    second: Option<String>,
}

#[derive(Clone, Copy, Debug, Default)]
struct WinTally {
    valid: u64,
    wins: u64,
}

/// Disqualified over submitted bids, summed across processes (a mediant, not a mean of ratios).
#[derive(Clone, Copy, Debug, Default)]
struct Fraction {
    numerator: u64,
    denominator: u64,
}

#[derive(Clone, Debug, Default)]
struct Variety {
    classifications: BTreeSet<String>,
    processes: u64,
}

impl Indicators {
    /// An empty accumulator that will compute the indicators enabled in `settings`.
    pub fn new(settings: Settings) -> Self {
        Indicators {
            settings,
            first_currency: None,
            ocid: Group::new(),
            buyer: Group::new(),
            procuring_entity: Group::new(),
            tenderer: Group::new(),
            price_gaps: Vec::new(),
            r025: HashMap::new(),
            r028: Vec::new(),
            r036: Vec::new(),
            r038_buyer: HashMap::new(),
            r038_procuring_entity: HashMap::new(),
            r038_tenderer: HashMap::new(),
            r048: HashMap::new(),
        }
    }

    /// The settings this accumulator was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Reads one compiled release.
    ///
    /// Never panics: a release that is not an object or has no string `ocid` is
    /// skipped, and fields that are missing or of the wrong type count as absent.
    /// As in Cardinal, a process is skipped entirely if `/tender/status` is
    /// `cancelled` or its `/tender/procurementMethodDetails` is listed in
    /// `[exclusions] procurement_method_details`.
    pub fn add(&mut self, release: &Value) {
        let Some(process) = Process::read(release) else { return };
        if process.tender_str("status") == Some("cancelled") {
            return;
        }
        let details = process.tender_str("procurementMethodDetails");
        if let (Some(excluded), Some(details)) = (&self.settings.exclusions.procurement_method_details, details)
            && contains(excluded, details)
        {
            return;
        }
        if self.first_currency.is_none() {
            self.first_currency = process.bids.iter().find_map(|bid| bid.value.as_ref().and_then(|v| v.currency)).map(str::to_owned);
        }
        let price_comparable = self.price_comparable(details);

        if let Some(s) = &self.settings.r003
            && r003(&process, s)
        {
            set(&mut self.ocid, process.ocid, "R003", 1.0);
        }
        if let Some(s) = &self.settings.r018
            && r018(&process, s)
        {
            set(&mut self.ocid, process.ocid, "R018", 1.0);
        }
        if price_comparable
            && (self.settings.r024.is_some() || self.settings.r058.is_some())
            && let Some(gap) = price_gap(&process)
        {
            self.price_gaps.push(gap);
        }
        if self.settings.r025.is_some() {
            r025(&process, &mut self.r025);
        }
        if price_comparable
            && self.settings.r028.is_some()
            && let Some(pending) = r028(&process)
        {
            self.r028.push(pending);
        }
        if self.settings.r030.is_some() {
            let late_winners = r030(&process);
            if !late_winners.is_empty() {
                set(&mut self.ocid, process.ocid, "R030", 1.0);
                for id in late_winners {
                    set(&mut self.tenderer, id, "R030", 1.0);
                }
            }
        }
        if let Some(s) = &self.settings.r035
            && let Some((winner, count)) = r035(&process, s.threshold.unwrap_or(DEFAULT_R035_THRESHOLD))
        {
            set(&mut self.ocid, process.ocid, "R035", count as f64);
            set(&mut self.tenderer, winner, "R035", 0.0);
        }
        if price_comparable
            && self.settings.r036.is_some()
            && let Some(pending) = r036(&process)
        {
            self.r036.push(pending);
        }
        if self.settings.r038.is_some() {
            self.r038(&process);
        }
        if let Some(s) = &self.settings.r048 {
            r048(&process, s.digits.unwrap_or(DEFAULT_R048_DIGITS), &mut self.r048);
        }
    }

    /// Combines the tallies of `other` into `self`, as if `other`'s releases had been
    /// added after `self`'s (this order decides the main currency when the settings
    /// name none, and which result wins when one `ocid` appears in both).
    /// Both accumulators should have been built with the same settings.
    pub fn merge(&mut self, other: Indicators) {
        if self.first_currency.is_none() {
            self.first_currency = other.first_currency;
        }
        for (mine, theirs) in [
            (&mut self.ocid, other.ocid),
            (&mut self.buyer, other.buyer),
            (&mut self.procuring_entity, other.procuring_entity),
            (&mut self.tenderer, other.tenderer),
        ] {
            for (id, results) in theirs {
                mine.entry(id).or_default().extend(results);
            }
        }
        self.price_gaps.extend(other.price_gaps);
        for (id, tally) in other.r025 {
            let mine = self.r025.entry(id).or_default();
            mine.valid += tally.valid;
            mine.wins += tally.wins;
        }
        self.r028.extend(other.r028);
        self.r036.extend(other.r036);
        for (mine, theirs) in [
            (&mut self.r038_buyer, other.r038_buyer),
            (&mut self.r038_procuring_entity, other.r038_procuring_entity),
            (&mut self.r038_tenderer, other.r038_tenderer),
        ] {
            for (id, fraction) in theirs {
                let entry = mine.entry(id).or_default();
                entry.numerator += fraction.numerator;
                entry.denominator += fraction.denominator;
            }
        }
        for (id, variety) in other.r048 {
            let mine = self.r048.entry(id).or_default();
            mine.classifications.extend(variety.classifications);
            mine.processes += variety.processes;
        }
    }

    /// Computes the population-wide fences and returns Cardinal's output object:
    /// `{"OCID": {ocid: {"R0xx": value}}, "Buyer": {..}, "ProcuringEntity": {..},
    /// "Tenderer": {..}, "Meta": {..}}`.
    ///
    /// A group appears only if it has at least one result; every value is a JSON
    /// float (`1.0`, never `1`). `Meta` holds, per indicator, the quartiles and
    /// fences used, rounded to 4 decimals (it is always present, possibly empty).
    /// Object keys come out in sorted order.
    pub fn finish(mut self) -> Value {
        let main_currency = self.settings.currency.clone().or_else(|| self.first_currency.clone());
        let mut meta: BTreeMap<&'static str, Map<String, Value>> = BTreeMap::new();
        let is_main = |currency: &Option<String>| *currency == main_currency;

        let gaps: Vec<PriceGap> = std::mem::take(&mut self.price_gaps).into_iter().filter(|g| is_main(&g.currency)).collect();
        if let Some(s) = &self.settings.r024 {
            let fence = fence(s.threshold, gaps.iter().map(|g| g.difference).collect(), Fence::Lower, meta.entry("R024").or_default(), "");
            if let Some(fence) = fence {
                for gap in gaps.iter().filter(|g| g.difference <= fence) {
                    set(&mut self.ocid, &gap.ocid, "R024", gap.difference);
                    set(&mut self.tenderer, &gap.winner, "R024", 0.0);
                    if let Some(second) = &gap.second {
                        set(&mut self.tenderer, second, "R024", 0.0);
                    }
                }
            }
        }
        if let Some(s) = &self.settings.r058 {
            let fence = fence(s.threshold, gaps.iter().map(|g| g.difference).collect(), Fence::Upper, meta.entry("R058").or_default(), "");
            if let Some(fence) = fence {
                for gap in gaps.iter().filter(|g| g.difference >= fence) {
                    set(&mut self.ocid, &gap.ocid, "R058", gap.difference);
                    set(&mut self.tenderer, &gap.winner, "R058", 0.0);
                }
            }
        }

        if let Some(s) = &self.settings.r025 {
            self.finish_r025(s.percentile.unwrap_or(DEFAULT_R025_PERCENTILE), s.threshold, meta.entry("R025").or_default());
        }
        for pending in std::mem::take(&mut self.r028).into_iter().filter(|p| is_main(&p.currency)) {
            set(&mut self.ocid, &pending.ocid, "R028", 1.0);
            for id in &pending.extra {
                set(&mut self.tenderer, id, "R028", 1.0);
            }
        }
        for pending in std::mem::take(&mut self.r036).into_iter().filter(|p| is_main(&p.currency)) {
            set(&mut self.ocid, &pending.ocid, "R036", 1.0);
        }
        if let Some(s) = self.settings.r038.clone() {
            let m = meta.entry("R038").or_default();
            // Cardinal 0.0.8 compares `minimum_contracting_processes` with the
            // organization's number of submitted bids, not of processes; the R038
            // fixture depends on it (buyer B, one counted process with two bids, is flagged).
            let min_processes = s.minimum_contracting_processes.unwrap_or(DEFAULT_R038_MINIMUM_CONTRACTING_PROCESSES);
            let min_bids = s.minimum_submitted_bids.unwrap_or(DEFAULT_R038_MINIMUM_SUBMITTED_BIDS);
            flag_ratios(&std::mem::take(&mut self.r038_buyer), min_processes, s.threshold, &mut self.buyer, m, "Buyer_");
            flag_ratios(
                &std::mem::take(&mut self.r038_procuring_entity),
                min_processes,
                s.threshold,
                &mut self.procuring_entity,
                m,
                "ProcuringEntity_",
            );
            flag_ratios(&std::mem::take(&mut self.r038_tenderer), min_bids, s.threshold, &mut self.tenderer, m, "Tenderer_");
        }
        if let Some(s) = &self.settings.r048 {
            // As documented for Cardinal: only suppliers awarded in enough processes
            // shape the fence (few awards mean little variety), but every supplier
            // with classified items is judged against it.
            let minimum = s.minimum_contracting_processes.unwrap_or(DEFAULT_R048_MINIMUM_CONTRACTING_PROCESSES);
            let varieties: Vec<(&String, f64, u64)> = self
                .r048
                .iter()
                .filter(|(_, v)| !v.classifications.is_empty())
                .map(|(id, v)| (id, v.classifications.len() as f64, v.processes))
                .collect();
            let population: Vec<f64> = varieties.iter().filter(|v| v.2 >= minimum).map(|v| v.1).collect();
            if let Some(fence) = fence(s.threshold, population, Fence::Upper, meta.entry("R048").or_default(), "") {
                for (id, variety, _) in varieties.into_iter().filter(|v| v.1 >= fence) {
                    set(&mut self.tenderer, id, "R048", variety);
                }
            }
        }

        let mut out = Map::new();
        for (name, group) in
            [("OCID", &self.ocid), ("Buyer", &self.buyer), ("ProcuringEntity", &self.procuring_entity), ("Tenderer", &self.tenderer)]
        {
            let group: Map<String, Value> = group
                .iter()
                .filter(|(_, results)| !results.is_empty())
                .map(|(id, results)| {
                    let results: Map<String, Value> =
                        results.iter().map(|(code, value)| ((*code).to_owned(), Value::from(*value))).collect();
                    (id.clone(), Value::Object(results))
                })
                .collect();
            if !group.is_empty() {
                out.insert(name.to_owned(), Value::Object(group));
            }
        }
        let meta: Map<String, Value> =
            meta.into_iter().filter(|(_, m)| !m.is_empty()).map(|(code, m)| (code.to_owned(), Value::Object(m))).collect();
        out.insert("Meta".to_owned(), Value::Object(meta));
        Value::Object(out)
    }

    /// Whether bid prices of a process with these `procurementMethodDetails` may be compared.
    fn price_comparable(&self, details: Option<&str>) -> bool {
        if let (Some(list), Some(details)) = (&self.settings.no_price_comparison_procurement_methods, details)
            && contains(list, details)
        {
            return false;
        }
        if let Some(list) = &self.settings.price_comparison_procurement_methods {
            return details.is_some_and(|d| contains(list, d));
        }
        true
    }

    fn r038(&mut self, process: &Process<'_>) {
        let submitted: Vec<&Bid<'_>> = process.bids.iter().filter(|b| b.is_submitted()).collect();
        if submitted.is_empty() {
            return;
        }
        let disqualified = submitted.iter().filter(|b| b.status == Some("disqualified")).count() as u64;
        let whole = Fraction { numerator: disqualified, denominator: submitted.len() as u64 };
        for (id, map) in [(process.buyer_id, &mut self.r038_buyer), (process.procuring_entity_id, &mut self.r038_procuring_entity)] {
            if let Some(id) = id {
                let entry = map.entry(id.to_owned()).or_default();
                entry.numerator += whole.numerator;
                entry.denominator += whole.denominator;
            }
        }
        for bid in submitted {
            let increment = u64::from(bid.status == Some("disqualified"));
            for id in &bid.tenderers {
                let entry = self.r038_tenderer.entry((*id).to_owned()).or_default();
                entry.numerator += increment;
                entry.denominator += 1;
            }
        }
    }

    fn finish_r025(&mut self, percentile: f64, threshold: Option<f64>, meta: &mut Map<String, Value>) {
        if self.r025.is_empty() {
            return;
        }
        let mut counts: Vec<f64> = self.r025.values().map(|t| t.valid as f64).collect();
        counts.sort_by(f64::total_cmp);
        let top = stats::quantile(&counts, percentile / 100.0);
        put_meta(meta, "upper_percentile", top);
        // The fence is taken over every tenderer's ratio (the documentation's "set of
        // ratios"), not only the top tenderers'; the fixture cannot tell them apart.
        let ratios: Vec<(&String, f64, u64)> = self.r025.iter().map(|(id, t)| (id, t.wins as f64 / t.valid as f64, t.valid)).collect();
        if let Some(fence) = fence(threshold, ratios.iter().map(|r| r.1).collect(), Fence::Lower, meta, "") {
            for (id, ratio, valid) in ratios {
                if valid as f64 >= top && ratio <= fence {
                    set(&mut self.tenderer, id, "R025", ratio);
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Fence {
    Lower,
    Upper,
}

/// The configured threshold, or the quartile fence of `values` (recorded in `meta`
/// under `prefix`); `None` when there is nothing to judge or Q1 = Q3 = 0.
fn fence(threshold: Option<f64>, mut values: Vec<f64>, kind: Fence, meta: &mut Map<String, Value>, prefix: &str) -> Option<f64> {
    let name = match kind {
        Fence::Lower => "lower_fence",
        Fence::Upper => "upper_fence",
    };
    if values.is_empty() {
        return None;
    }
    let fence = match threshold {
        Some(t) => t,
        None => {
            let (q1, q3) = stats::quartiles(&mut values)?;
            put_meta(meta, &format!("{prefix}q1"), q1);
            put_meta(meta, &format!("{prefix}q3"), q3);
            match kind {
                Fence::Lower => stats::lower_fence(q1, q3),
                Fence::Upper => stats::upper_fence(q1, q3),
            }
        }
    };
    put_meta(meta, &format!("{prefix}{name}"), fence);
    Some(fence)
}

/// R038 for one group: flags organizations whose disqualified ratio reaches the upper fence.
fn flag_ratios(
    fractions: &HashMap<String, Fraction>,
    minimum: u64,
    threshold: Option<f64>,
    group: &mut Group,
    meta: &mut Map<String, Value>,
    prefix: &str,
) {
    let ratios: Vec<(&String, f64)> = fractions
        .iter()
        .filter(|(_, f)| f.denominator > 0 && f.denominator >= minimum)
        .map(|(id, f)| (id, f.numerator as f64 / f.denominator as f64))
        .collect();
    if let Some(fence) = fence(threshold, ratios.iter().map(|r| r.1).collect(), Fence::Upper, meta, prefix) {
        for (id, ratio) in ratios {
            if ratio >= fence {
                set(group, id, "R038", ratio);
            }
        }
    }
}

fn put_meta(meta: &mut Map<String, Value>, key: &str, value: f64) {
    let rounded = (value * 10_000.0).round() / 10_000.0;
    if rounded.is_finite() {
        meta.insert(key.to_owned(), Value::from(rounded));
    }
}

/// Records a result; non-finite values cannot be written as JSON, so they are dropped.
fn set(group: &mut Group, id: &str, code: &'static str, value: f64) {
    if value.is_finite() {
        group.entry(id.to_owned()).or_default().insert(code, value);
    }
}

fn contains(list: &[String], value: &str) -> bool {
    list.iter().any(|item| item == value)
}
