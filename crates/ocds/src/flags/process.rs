//! Reading a release. Everything is borrowed and type-checked once, so the
//! indicators deal only with present, well-typed values.

use serde_json::{Map, Value};

/// The parts of a compiled release that the indicators read.
pub(super) struct Process<'a> {
    pub(super) ocid: &'a str,
    pub(super) tender: Option<&'a Map<String, Value>>,
    pub(super) buyer_id: Option<&'a str>,
    pub(super) procuring_entity_id: Option<&'a str>,
    pub(super) bids: Vec<Bid<'a>>,
    pub(super) awards: Vec<Award<'a>>,
}

pub(super) struct Bid<'a> {
    pub(super) status: Option<&'a str>,
    /// Ids of the tenderers; references without a string `id` are left out.
    pub(super) tenderers: Vec<&'a str>,
    pub(super) value: Option<Money<'a>>,
    pub(super) date: Option<&'a str>,
}

#[derive(Clone, Copy)]
pub(super) struct Money<'a> {
    pub(super) amount: f64,
    pub(super) currency: Option<&'a str>,
}

pub(super) struct Award<'a> {
    pub(super) status: Option<&'a str>,
    pub(super) suppliers: Vec<&'a str>,
    /// `/awards[]/items[]/classification/id` values.
    pub(super) classifications: Vec<&'a str>,
}

impl<'a> Process<'a> {
    pub(super) fn read(release: &'a Value) -> Option<Self> {
        let release = release.as_object()?;
        let ocid = release.get("ocid")?.as_str()?;
        let tender = release.get("tender").and_then(Value::as_object);
        let bids = objects(release.get("bids").and_then(|b| b.get("details")))
            .map(|bid| Bid {
                status: str_field(bid, "status"),
                tenderers: ids(bid.get("tenderers")),
                value: bid
                    .get("value")
                    .and_then(Value::as_object)
                    .and_then(|v| Some(Money { amount: v.get("amount")?.as_f64()?, currency: str_field(v, "currency") })),
                date: str_field(bid, "date"),
            })
            .collect();
        let awards = objects(release.get("awards"))
            .map(|award| Award {
                status: str_field(award, "status"),
                suppliers: ids(award.get("suppliers")),
                classifications: objects(award.get("items"))
                    .filter_map(|item| item.get("classification")?.as_object().and_then(|c| str_field(c, "id")))
                    .collect(),
            })
            .collect();
        Some(Process {
            ocid,
            tender,
            buyer_id: release.get("buyer").and_then(Value::as_object).and_then(|b| str_field(b, "id")),
            procuring_entity_id: tender.and_then(|t| t.get("procuringEntity")?.as_object()).and_then(|p| str_field(p, "id")),
            bids,
            awards,
        })
    }

    pub(super) fn tender_str(&self, key: &str) -> Option<&'a str> {
        self.tender.and_then(|t| str_field(t, key))
    }

    /// An award that is pending or invalid means the outcome is not final (or not
    /// trustworthy), which several indicators treat as a reason to skip the process.
    pub(super) fn has_unsettled_award(&self) -> bool {
        self.awards.iter().any(|a| matches!(a.status, Some("pending" | "invalid")))
    }

    pub(super) fn active_awards(&self) -> impl Iterator<Item = &Award<'a>> {
        self.awards.iter().filter(|a| a.status == Some("active"))
    }

    pub(super) fn valid_bids(&self) -> impl Iterator<Item = &Bid<'a>> {
        self.bids.iter().filter(|b| b.status == Some("valid"))
    }
}

impl Bid<'_> {
    /// Submitted means pending, valid or disqualified (not invited or withdrawn).
    pub(super) fn is_submitted(&self) -> bool {
        matches!(self.status, Some("pending" | "valid" | "disqualified"))
    }
}

fn objects(value: Option<&Value>) -> impl Iterator<Item = &Map<String, Value>> {
    value.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object)
}

pub(super) fn str_field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key)?.as_str()
}

fn ids(value: Option<&Value>) -> Vec<&str> {
    objects(value).filter_map(|o| str_field(o, "id")).collect()
}

/// The one currency of `values`, or `None` (the outer option) when they mix
/// currencies: a process with a value outside the main currency is excluded, and
/// with two currencies at least one of them is not the main one.
pub(super) fn single_currency<'a>(mut values: impl Iterator<Item = Money<'a>>) -> Option<Option<String>> {
    let first = values.next()?.currency;
    if values.all(|v| v.currency == first) { Some(first.map(str::to_owned)) } else { None }
}
