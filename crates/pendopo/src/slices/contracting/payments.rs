//! A contract's payments as a citizen reads them: paid only when dated on
//! or before today (the region's day); a later date is a payment scheduled,
//! not made, and an undated one is not counted as paid. The paid total is
//! set against the contract value, and a total above it is said, never
//! shown as if nothing were wrong.

use kalender::Date;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize, PartialEq)]
pub struct Payment {
    /// The payment's day in the region (`YYYY-MM-DD`), empty when undated.
    pub date: String,
    pub amount: i64,
    /// `paid`, `scheduled` or `undated`.
    pub status: &'static str,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Totals {
    pub paid: i64,
    pub scheduled: i64,
    /// Paid as a percentage of the contract value.
    pub share: Option<i64>,
    /// How much the paid total exceeds the contract value.
    pub over: Option<i64>,
}

/// The transactions of every contract, with their status on `today`.
pub fn payments(contracts: &[Value], today: Date, offset_hours: i64) -> Vec<Payment> {
    let transactions = contracts.iter().flat_map(|k| k["implementation"]["transactions"].as_array().into_iter().flatten());
    transactions
        .map(|t| {
            let amount = t["value"]["amount"].as_f64().unwrap_or(0.0).round() as i64;
            let day = t["date"]
                .as_str()
                .and_then(|d| crate::clock::parse_local(d, offset_hours))
                .and_then(|ms| Date::from_unix_millis(ms, offset_hours));
            match day {
                Some(day) => Payment { date: day.to_string(), amount, status: if day <= today { "paid" } else { "scheduled" } },
                None => Payment { date: String::new(), amount, status: "undated" },
            }
        })
        .collect()
}

pub fn totals(payments: &[Payment], contract_value: Option<f64>) -> Totals {
    let sum = |status: &str| payments.iter().filter(|p| p.status == status).map(|p| p.amount).sum::<i64>();
    let paid = sum("paid");
    let contract = contract_value.map(|v| v.round() as i64).filter(|v| *v > 0);
    Totals {
        paid,
        scheduled: sum("scheduled"),
        share: contract.map(|v| (paid as f64 / v as f64 * 100.0).round() as i64),
        over: contract.map(|v| paid - v).filter(|d| *d > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_payments_dated_by_today_are_paid() {
        let contract = serde_json::json!({"implementation": {"transactions": [
            {"date": "2026-11-30T10:00:00+07:00", "value": {"amount": 40_000_000}},
            // 6 December 01:00 in Bojonegoro, still 5 December in UTC: today, so paid.
            {"date": "2026-12-05T18:00:00Z", "value": {"amount": 30_000_000}},
            {"date": "2026-12-20", "value": {"amount": 50_000_000}},
            {"value": {"amount": 5_000_000}},
        ]}});
        let today = Date::new(2026, 12, 6).unwrap();
        let list = payments(&[contract], today, 7);
        let statuses: Vec<(&str, &str)> = list.iter().map(|p| (p.date.as_str(), p.status)).collect();
        assert_eq!(statuses, [("2026-11-30", "paid"), ("2026-12-06", "paid"), ("2026-12-20", "scheduled"), ("", "undated")]);
        let t = totals(&list, Some(100_000_000.0));
        assert_eq!(t, Totals { paid: 70_000_000, scheduled: 50_000_000, share: Some(70), over: None });
        let t = totals(&list, Some(60_000_000.0));
        assert_eq!((t.share, t.over), (Some(117), Some(10_000_000)), "more paid than the contract is worth is said");
        assert_eq!(totals(&list, None).over, None);
    }
}
