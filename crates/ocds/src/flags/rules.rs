//! The indicators' per-process rules: what one compiled release decides on
//! its own, before any population-wide fence.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::process::{Bid, Money, Process, single_currency, str_field};
use super::{
    DEFAULT_R003_THRESHOLD, DEFAULT_R018_METHODS, Pending, PriceGap, R003Settings, R018Settings, Variety, WinTally, contains, time,
};

/// R003: the submission period (tender period end - start, whole days) is shorter
/// than the threshold for the process's `procurementMethodDetails` (else the default).
pub(super) fn r003(p: &Process<'_>, s: &R003Settings) -> bool {
    if let Some(methods) = &s.procurement_methods
        && !p.tender_str("procurementMethod").is_some_and(|m| contains(methods, m))
    {
        return false;
    }
    let Some(period) = p.tender.and_then(|t| t.get("tenderPeriod")?.as_object()) else { return false };
    let (Some(start), Some(end)) =
        (str_field(period, "startDate").and_then(time::parse_rfc3339), str_field(period, "endDate").and_then(time::parse_rfc3339))
    else {
        return false;
    };
    let threshold = p
        .tender_str("procurementMethodDetails")
        .and_then(|d| s.procurement_method_details.get(d).copied())
        .or(s.threshold)
        .unwrap_or(DEFAULT_R003_THRESHOLD);
    time::whole_days(start, end) < i128::from(threshold)
}

/// R018: a competitive procedure that received exactly one tender.
pub(super) fn r018(p: &Process<'_>, s: &R018Settings) -> bool {
    let Some(method) = p.tender_str("procurementMethod") else { return false };
    let competitive = match &s.procurement_methods {
        Some(methods) => contains(methods, method),
        None => DEFAULT_R018_METHODS.contains(&method),
    };
    competitive && p.tender.and_then(|t| t.get("numberOfTenderers")?.as_f64()) == Some(1.0)
}

/// R024 and R058: (second-lowest valid bid - winning bid) / winning bid.
///
/// The winning bid is the lowest valid bid of the single supplier of the single
/// active award; it must also be the lowest valid bid overall (price-only award).
/// Skipped when an award is pending or invalid, or a valid bid has several tenderers.
pub(super) fn price_gap(p: &Process<'_>) -> Option<PriceGap> {
    if p.has_unsettled_award() {
        return None;
    }
    let mut active = p.active_awards();
    let award = active.next()?;
    if active.next().is_some() || award.suppliers.len() != 1 {
        return None;
    }
    let winner = award.suppliers[0];
    if p.valid_bids().any(|b| b.tenderers.len() > 1) {
        return None;
    }
    let priced: Vec<(Money<'_>, Option<&str>)> = p.valid_bids().filter_map(|b| Some((b.value?, b.tenderers.first().copied()))).collect();
    let currency = single_currency(priced.iter().map(|(m, _)| *m))?;
    let (winning_index, winning) = priced
        .iter()
        .enumerate()
        .filter(|(_, (_, tenderer))| *tenderer == Some(winner))
        .min_by(|a, b| a.1.0.amount.total_cmp(&b.1.0.amount))
        .map(|(i, (m, _))| (i, m.amount))?;
    if priced.iter().any(|(m, _)| m.amount < winning) || winning == 0.0 {
        return None;
    }
    let (second, second_tenderer) = priced
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != winning_index)
        .map(|(_, (m, t))| (m.amount, *t))
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    let difference = (second - winning) / winning;
    difference.is_finite().then(|| PriceGap {
        ocid: p.ocid.to_owned(),
        currency,
        difference,
        winner: winner.to_owned(),
        second: second_tenderer.map(str::to_owned),
    })
}

/// R025 tallies: per tenderer, processes with a valid bid, and those it won (it is
/// the single supplier of the single active award). A tenderer counts once per
/// process however many valid bids it made.
pub(super) fn r025(p: &Process<'_>, tallies: &mut HashMap<String, WinTally>) {
    if p.has_unsettled_award() || p.valid_bids().any(|b| b.tenderers.len() > 1) {
        return;
    }
    let mut active = p.active_awards();
    let Some(award) = active.next() else { return };
    if active.next().is_some() || award.suppliers.len() != 1 {
        return;
    }
    let winner = award.suppliers[0];
    let tenderers: BTreeSet<&str> = p.valid_bids().flat_map(|b| b.tenderers.iter().copied()).collect();
    for id in tenderers {
        let tally = tallies.entry(id.to_owned()).or_default();
        tally.valid += 1;
        tally.wins += u64::from(id == winner);
    }
}

/// R028: submitted bids from different sets of tenderers with the same amount
/// (and currency). Returns every tenderer of such bids.
pub(super) fn r028(p: &Process<'_>) -> Option<Pending<Vec<String>>> {
    let priced: Vec<(Money<'_>, BTreeSet<&str>)> = p
        .bids
        .iter()
        .filter(|b| b.is_submitted() && !b.tenderers.is_empty())
        .filter_map(|b| Some((b.value?, b.tenderers.iter().copied().collect())))
        .collect();
    let currency = single_currency(priced.iter().map(|(m, _)| *m))?;
    // Group by amount; 1 and 1.0 are the same price, and so are 0.0 and -0.0.
    let mut by_amount: HashMap<u64, Vec<&BTreeSet<&str>>> = HashMap::new();
    for (money, tenderers) in &priced {
        let amount = if money.amount == 0.0 { 0.0 } else { money.amount };
        by_amount.entry(amount.to_bits()).or_default().push(tenderers);
    }
    let mut flagged: BTreeSet<&str> = BTreeSet::new();
    for sets in by_amount.values() {
        if sets.iter().any(|s| *s != sets[0]) {
            flagged.extend(sets.iter().flat_map(|s| s.iter().copied()));
        }
    }
    if flagged.is_empty() {
        return None;
    }
    Some(Pending { ocid: p.ocid.to_owned(), currency, extra: flagged.into_iter().map(str::to_owned).collect() })
}

/// R030: tenderers of valid bids dated after the tender period's end that are
/// suppliers of an active award.
pub(super) fn r030<'a>(p: &Process<'a>) -> Vec<&'a str> {
    let Some(end) =
        p.tender.and_then(|t| t.get("tenderPeriod")?.as_object()).and_then(|tp| str_field(tp, "endDate")).and_then(time::parse_rfc3339)
    else {
        return Vec::new();
    };
    let suppliers: BTreeSet<&str> = p.active_awards().flat_map(|a| a.suppliers.iter().copied()).collect();
    let mut late: BTreeSet<&'a str> = BTreeSet::new();
    for bid in p.valid_bids() {
        if bid.date.and_then(time::parse_rfc3339).is_some_and(|date| date > end) {
            late.extend(bid.tenderers.iter().copied().filter(|t| suppliers.contains(t)));
        }
    }
    late.into_iter().collect()
}

/// R035: exactly one tenderer has valid bids, it is every active award's (only)
/// supplier, and at least `threshold` other tenderers had bids disqualified.
/// Returns the winner and the number of those other tenderers.
pub(super) fn r035<'a>(p: &Process<'a>, threshold: u64) -> Option<(&'a str, u64)> {
    if p.has_unsettled_award() {
        return None;
    }
    let valid: BTreeSet<&str> = p.valid_bids().flat_map(|b| b.tenderers.iter().copied()).collect();
    let suppliers: BTreeSet<&str> = p.active_awards().flat_map(|a| a.suppliers.iter().copied()).collect();
    if valid.len() != 1 || valid != suppliers {
        return None;
    }
    let winner = *valid.first()?;
    let disqualified: BTreeSet<&str> = p
        .bids
        .iter()
        .filter(|b| b.status == Some("disqualified"))
        .flat_map(|b| b.tenderers.iter().copied())
        .filter(|t| *t != winner)
        .collect();
    let count = disqualified.len() as u64;
    (count >= threshold).then_some((winner, count))
}

/// R036: an award is active and the lowest submitted bid is disqualified (a
/// disqualified bid is at or below every other submitted bid). Needs a valid bid
/// with an amount.
pub(super) fn r036(p: &Process<'_>) -> Option<Pending<()>> {
    p.active_awards().next()?;
    let priced: Vec<(&Bid<'_>, Money<'_>)> = p.bids.iter().filter(|b| b.is_submitted()).filter_map(|b| Some((b, b.value?))).collect();
    if !priced.iter().any(|(b, _)| b.status == Some("valid")) {
        return None;
    }
    let currency = single_currency(priced.iter().map(|(_, m)| *m))?;
    let lowest = priced.iter().map(|(_, m)| m.amount).min_by(f64::total_cmp)?;
    priced.iter().any(|(b, m)| b.status == Some("disqualified") && m.amount == lowest).then(|| Pending {
        ocid: p.ocid.to_owned(),
        currency,
        extra: (),
    })
}

/// R048 tallies: per supplier of an active single-supplier award, the number of
/// processes it was awarded in and the distinct first-level classifications (the
/// first `digits` characters of each awarded item's classification id).
pub(super) fn r048(p: &Process<'_>, digits: usize, varieties: &mut HashMap<String, Variety>) {
    let mut per_supplier: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for award in p.active_awards().filter(|a| a.suppliers.len() == 1) {
        let prefixes = award.classifications.iter().filter_map(|id| first_level(id, digits));
        per_supplier.entry(award.suppliers[0]).or_default().extend(prefixes);
    }
    for (supplier, prefixes) in per_supplier {
        let variety = varieties.entry(supplier.to_owned()).or_default();
        variety.processes += 1;
        variety.classifications.extend(prefixes.into_iter().map(str::to_owned));
    }
}

/// The first `digits` characters of a classification id; `None` if it is shorter.
fn first_level(id: &str, digits: usize) -> Option<&str> {
    match id.char_indices().nth(digits) {
        Some((end, _)) => Some(&id[..end]),
        None => (id.chars().count() == digits).then_some(id),
    }
}
