//! Red flags for Indonesian procurement, beside Cardinal's: the contract
//! against the owner's estimate (HPS) and the time from announcement to award
//! scored as ICW's opentender.net does, purchases split just under the
//! pengadaan langsung ceilings, December bunching, the share of penunjukan
//! langsung, repeat winners, and payments recorded beyond a contract's
//! value. Every threshold is a setting.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::time::{parse_rfc3339, whole_days};

/// Thresholds, with the defaults of the domain notes (configurable per region).
#[derive(Debug, Clone, PartialEq)]
pub struct IndonesianSettings {
    /// Pengadaan langsung ceiling for goods and other services (Perpres 46/2025): Rp 200 juta.
    pub ceiling_goods: f64,
    /// ... for construction works: Rp 400 juta.
    pub ceiling_works: f64,
    /// ... for consultancy: Rp 100 juta.
    pub ceiling_consulting: f64,
    /// Awards at or above this share of the ceiling (and not above it) count as "just under".
    pub splitting_band: f64,
    /// So many such awards to one supplier by one buyer in one month is a flag.
    pub splitting_min: usize,
    /// A buyer signing more than this share of its contract value in December is flagged.
    pub december_share: f64,
    /// A buyer using penunjukan langsung for more than this share of its processes is flagged.
    pub direct_share: f64,
    /// A supplier winning at least this many processes of one buyer is flagged.
    pub repeat_wins: usize,
}

impl Default for IndonesianSettings {
    fn default() -> Self {
        IndonesianSettings {
            ceiling_goods: 200_000_000.0,
            ceiling_works: 400_000_000.0,
            ceiling_consulting: 100_000_000.0,
            splitting_band: 0.9,
            splitting_min: 3,
            december_share: 0.3,
            direct_share: 0.5,
            repeat_wins: 5,
        }
    }
}

/// ICW's score (1 low .. 5 high risk) of a contract against the HPS: above
/// the HPS is not allowed (5); below it, by how far, U-shaped.
pub fn hps_score(contract: f64, hps: f64) -> Option<u8> {
    if hps <= 0.0 || contract <= 0.0 {
        return None;
    }
    if contract > hps {
        return Some(5);
    }
    let below = (hps - contract) / hps * 100.0;
    Some(match below {
        b if b < 1.0 => 5,
        b if b < 2.0 => 4,
        b if b < 3.0 => 3,
        b if b < 4.0 => 2,
        b if b < 8.0 => 1,
        b if b < 12.0 => 2,
        b if b < 16.0 => 3,
        b if b < 20.0 => 4,
        _ => 5,
    })
}

/// ICW's score of the days from announcement to the winner.
pub fn duration_score(days: i128) -> Option<u8> {
    Some(match days {
        d if d < 0 => return None,
        0..=25 => 1,
        26..=35 => 2,
        36..=45 => 3,
        46..=70 => 4,
        _ => 5,
    })
}

#[derive(Default, Debug, Clone)]
struct BuyerTally {
    processes: u64,
    direct: u64,
    /// Budget year (of the signature) > (contract value, of it signed in December).
    years: BTreeMap<String, (f64, f64)>,
    wins: HashMap<String, u64>,
    /// (supplier, YYYY-MM) > awards just under a ceiling.
    near_ceiling: HashMap<(String, String), u64>,
}

/// Scores compiled releases one at a time; `finish` gives the flags.
#[derive(Debug, Clone)]
pub struct IndonesianFlags {
    settings: IndonesianSettings,
    processes: BTreeMap<String, Map<String, Value>>,
    buyers: HashMap<String, BuyerTally>,
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

impl IndonesianFlags {
    pub fn new(settings: IndonesianSettings) -> IndonesianFlags {
        IndonesianFlags { settings, processes: BTreeMap::new(), buyers: HashMap::new() }
    }

    fn ceiling(&self, release: &Value) -> f64 {
        let tender = &release["tender"];
        let details = tender["procurementMethodDetails"].as_str().unwrap_or("").to_lowercase();
        match tender["mainProcurementCategory"].as_str() {
            _ if details.contains("konsult") => self.settings.ceiling_consulting,
            Some("works") => self.settings.ceiling_works,
            _ => self.settings.ceiling_goods,
        }
    }

    /// Adds one compiled release. Missing fields only skip the flags that need them.
    pub fn add(&mut self, release: &Value) {
        let Some(ocid) = release["ocid"].as_str() else { return };
        let tender = &release["tender"];
        let active_award =
            release["awards"].as_array().and_then(|a| a.iter().find(|x| x["status"] != "cancelled" && x["status"] != "unsuccessful"));
        let contract = release["contracts"].as_array().and_then(|c| c.first());
        let mut flags = Map::new();
        if let (Some(hps), Some(value)) = (num(&tender["value"]["amount"]), contract.and_then(|c| num(&c["value"]["amount"]))) {
            if let Some(score) = hps_score(value, hps) {
                flags.insert("ID_HPS".into(), json!(score));
            }
            if value > hps {
                flags.insert("ID_DI_ATAS_HPS".into(), json!(1));
            }
        }
        let announced = tender["tenderPeriod"]["startDate"].as_str().or(tender["datePublished"].as_str()).and_then(parse_rfc3339);
        let awarded = active_award.and_then(|a| a["date"].as_str()).and_then(parse_rfc3339);
        if let (Some(a), Some(b)) = (announced, awarded)
            && let Some(score) = duration_score(whole_days(a, b))
        {
            flags.insert("ID_DURASI".into(), json!(score));
        }
        // Payments recorded beyond a contract's value (scheduled ones too: a
        // payment planned above the contract tells as much), as the largest
        // ratio of paid to value among the process's contracts.
        let overpaid = release["contracts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                let value = num(&c["value"]["amount"]).filter(|v| *v > 0.0)?;
                let paid: f64 = c["implementation"]["transactions"].as_array()?.iter().filter_map(|t| num(&t["value"]["amount"])).sum();
                Some(paid / value)
            })
            .fold(0.0, f64::max);
        if overpaid > 1.0 {
            flags.insert("ID_BAYAR_LEBIH".into(), json!((overpaid * 1000.0).round() / 1000.0));
        }
        if !flags.is_empty() {
            self.processes.insert(ocid.to_string(), flags);
        }

        let Some(buyer) = release["buyer"]["id"].as_str() else { return };
        let ceiling = self.ceiling(release);
        let band = self.settings.splitting_band;
        let tally = self.buyers.entry(buyer.to_string()).or_default();
        tally.processes += 1;
        let details = tender["procurementMethodDetails"].as_str().unwrap_or("").to_lowercase();
        if details.contains("penunjukan langsung") {
            tally.direct += 1;
        }
        if let Some(c) = contract {
            let value = num(&c["value"]["amount"]).unwrap_or(0.0);
            if let Some(signed) = c["dateSigned"].as_str().filter(|d| d.len() >= 7) {
                let year = tally.years.entry(signed[..4].to_string()).or_default();
                year.0 += value;
                if &signed[5..7] == "12" {
                    year.1 += value;
                }
            }
        }
        if let Some(award) = active_award {
            let value = num(&award["value"]["amount"]).unwrap_or(0.0);
            let month = award["date"].as_str().and_then(|d| d.get(0..7)).unwrap_or("").to_string();
            for s in award["suppliers"].as_array().into_iter().flatten() {
                let Some(supplier) = s["id"].as_str() else { continue };
                *tally.wins.entry(supplier.to_string()).or_default() += 1;
                if value >= band * ceiling && value <= ceiling {
                    *tally.near_ceiling.entry((supplier.to_string(), month.clone())).or_default() += 1;
                }
            }
        }
    }

    /// Adds what another instance saw (the other half of the input).
    pub fn merge(&mut self, other: IndonesianFlags) {
        self.processes.extend(other.processes);
        for (id, t) in other.buyers {
            let mine = self.buyers.entry(id).or_default();
            mine.processes += t.processes;
            mine.direct += t.direct;
            for (y, (total, december)) in t.years {
                let year = mine.years.entry(y).or_default();
                year.0 += total;
                year.1 += december;
            }
            for (k, n) in t.wins {
                *mine.wins.entry(k).or_default() += n;
            }
            for (k, n) in t.near_ceiling {
                *mine.near_ceiling.entry(k).or_default() += n;
            }
        }
    }

    /// `{"OCID": {ocid: {...}}, "Buyer": {buyer: {...}}}`, only what is flagged.
    pub fn finish(self) -> Value {
        let s = &self.settings;
        let mut buyers = BTreeMap::new();
        for (id, t) in &self.buyers {
            let mut flags = Map::new();
            // Per budget year: each year's December is its own rush to spend.
            let december: Map<String, Value> = t
                .years
                .iter()
                .filter(|(_, (total, dec))| *total > 0.0 && dec / total > s.december_share)
                .map(|(y, (total, dec))| (y.clone(), json!((dec / total * 1000.0).round() / 1000.0)))
                .collect();
            if !december.is_empty() {
                flags.insert("ID_DESEMBER".into(), Value::Object(december));
            }
            if t.processes > 0 && t.direct as f64 / t.processes as f64 > s.direct_share {
                flags.insert("ID_PENUNJUKAN_LANGSUNG".into(), json!((t.direct as f64 / t.processes as f64 * 1000.0).round() / 1000.0));
            }
            let mut repeat: Vec<(&String, &u64)> = t.wins.iter().filter(|(_, n)| **n as usize >= s.repeat_wins).collect();
            repeat.sort();
            if !repeat.is_empty() {
                flags.insert(
                    "ID_PEMENANG_BERULANG".into(),
                    json!(repeat.into_iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>()),
                );
            }
            let mut split: Vec<String> = t
                .near_ceiling
                .iter()
                .filter(|(_, n)| **n as usize >= s.splitting_min)
                .map(|((sup, month), n)| format!("{sup} {month}: {n}"))
                .collect();
            split.sort();
            if !split.is_empty() {
                flags.insert("ID_PEMECAHAN".into(), json!(split));
            }
            if !flags.is_empty() {
                buyers.insert(id.clone(), Value::Object(flags));
            }
        }
        json!({"OCID": self.processes, "Buyer": buyers})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icw_scores() {
        assert_eq!(hps_score(101.0, 100.0), Some(5), "above HPS");
        assert_eq!(hps_score(99.5, 100.0), Some(5), "suspiciously close");
        assert_eq!(hps_score(95.0, 100.0), Some(1), "5% below: normal competition");
        assert_eq!(hps_score(85.0, 100.0), Some(3));
        assert_eq!(hps_score(70.0, 100.0), Some(5), "far below: suspicious too");
        assert_eq!(hps_score(1.0, 0.0), None);
        assert_eq!(
            (duration_score(20), duration_score(30), duration_score(40), duration_score(60), duration_score(90)),
            (Some(1), Some(2), Some(3), Some(4), Some(5))
        );
    }

    fn release(ocid: &str, buyer: &str, details: &str, award_value: f64, award_date: &str, supplier: &str, signed: &str) -> Value {
        json!({
            "ocid": ocid, "buyer": {"id": buyer},
            "tender": {"procurementMethodDetails": details, "mainProcurementCategory": "goods", "value": {"amount": 200_000_000.0},
                       "tenderPeriod": {"startDate": "2024-01-02T08:00:00+07:00"}},
            "awards": [{"status": "active", "date": award_date, "value": {"amount": award_value}, "suppliers": [{"id": supplier}]}],
            "contracts": [{"value": {"amount": award_value}, "dateSigned": signed}]
        })
    }

    #[test]
    fn buyers_splitting_december_direct_and_repeat_winners() {
        let settings = IndonesianSettings { repeat_wins: 3, ..Default::default() };
        let mut input: Vec<Value> = (0..3)
            .map(|i| {
                let ocid = format!("o-{i}");
                release(
                    &ocid,
                    "DINAS-A",
                    "Pengadaan Langsung",
                    195_000_000.0,
                    "2024-12-05T10:00:00+07:00",
                    "CV-X",
                    "2024-12-10T10:00:00+07:00",
                )
            })
            .collect();
        input.push(release(
            "o-9",
            "DINAS-B",
            "Penunjukan Langsung",
            50_000_000.0,
            "2024-03-05T10:00:00+07:00",
            "CV-Y",
            "2024-03-10T10:00:00+07:00",
        ));
        let mut f = IndonesianFlags::new(settings.clone());
        input.iter().for_each(|r| f.add(r));
        // Two halves merged give the same as one pass.
        let (mut first, mut half) = (IndonesianFlags::new(settings.clone()), IndonesianFlags::new(settings));
        input[..3].iter().for_each(|r| first.add(r));
        input[3..].iter().for_each(|r| half.add(r));
        first.merge(half);
        let out = f.finish();
        assert_eq!(first.finish(), out);
        let a = &out["Buyer"]["DINAS-A"];
        assert_eq!(a["ID_PEMECAHAN"], json!(["CV-X 2024-12: 3"]), "three awards just under Rp 200 juta in one month");
        assert_eq!(a["ID_DESEMBER"], json!({"2024": 1.0}), "per budget year");
        assert_eq!(a["ID_PEMENANG_BERULANG"], json!({"CV-X": 3}));
        assert_eq!(out["Buyer"]["DINAS-B"]["ID_PENUNJUKAN_LANGSUNG"], json!(1.0));
        assert!(out["Buyer"]["DINAS-B"].get("ID_DESEMBER").is_none());
        // 195 juta against an HPS of 200 juta: 2.5% below, score 3; award 337 days after the announcement.
        assert_eq!(out["OCID"]["o-0"]["ID_HPS"], json!(3));
        assert_eq!(out["OCID"]["o-0"]["ID_DURASI"], json!(5));
        assert!(out["OCID"]["o-0"].get("ID_BAYAR_LEBIH").is_none(), "no payments, no overpayment");
    }

    #[test]
    fn payments_beyond_the_contract_value_are_flagged() {
        let paid = |amounts: &[f64]| {
            let transactions: Vec<Value> = amounts.iter().map(|a| json!({"value": {"amount": a, "currency": "IDR"}})).collect();
            json!({"ocid": "o-1", "contracts": [{"id": "c", "value": {"amount": 100_000_000.0}, "implementation": {"transactions": transactions}}]})
        };
        let flags_of = |release: Value| {
            let mut f = IndonesianFlags::new(IndonesianSettings::default());
            f.add(&release);
            f.finish()["OCID"]["o-1"]["ID_BAYAR_LEBIH"].clone()
        };
        assert_eq!(flags_of(paid(&[60_000_000.0, 50_000_000.0])), json!(1.1));
        assert_eq!(flags_of(paid(&[60_000_000.0, 40_000_000.0])), Value::Null, "paid in full is not over");
    }
}
