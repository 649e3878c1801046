//! OCDS checks beyond the schema: counts, OCID prefixes, repeated release
//! ids, and date coherence (after OCP's Pelican).
//!
//! [`PackageChecks`] takes the package's releases (or records) one at a
//! time and keeps only small owned summaries (ids, dated fields), so the
//! caller may drop each release once it is read: that is what lets
//! [`super::Validator::validate`] stream a large package.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use serde_json::Value;

use super::format::{Instant, parse_date_time};
use super::report::{Collector, PackageType, Severity};

pub(crate) struct Counts {
    pub(crate) releases: usize,
    pub(crate) records: Option<usize>,
    pub(crate) ocids: usize,
}

const TENDER_TAGS: [&str; 4] = ["tender", "tenderAmendment", "tenderUpdate", "tenderCancellation"];
const PLANNING_TAGS: [&str; 2] = ["planning", "planningUpdate"];

/// Checks a whole parsed package.
pub(crate) fn check_package(package: &Value, kind: PackageType, out: &mut Collector) -> Counts {
    let mut checks = PackageChecks::new(kind);
    for (index, item) in array(package.get(kind.items_field())).iter().enumerate() {
        checks.item(index, item, out);
    }
    checks.finish(out)
}

/// One contracting process of a release package, as far as read: what the
/// checks need of each release, kept small (a release package can hold
/// millions of releases).
#[derive(Default)]
struct Process {
    stages: Stages,
    /// The ids of its releases.
    ids: HashSet<Box<str>>,
    timeline: Timeline,
}

impl Process {
    /// The checks that need every release of the process.
    fn check(self, out: &mut Collector) {
        self.stages.check_at(&|i| format!("releases/{i}/date"), "releases", out);
        self.timeline.check("releases", out);
    }
}

/// The package-level checks, fed one release (or record) at a time.
pub(crate) struct PackageChecks {
    kind: PackageType,
    items: usize,
    releases: usize,
    /// Processes checked and dropped ([`PackageChecks::one_at_a_time`]).
    finished_processes: usize,
    /// Release package processes, in first-seen order for stable reports.
    processes: Vec<Process>,
    position: HashMap<String, usize>,
    /// A record package's ocids.
    record_ocids: HashSet<String>,
    /// Streaming: each process is checked and dropped as soon as a release
    /// of another one comes, so memory holds one process. Only fingerprints
    /// of the finished ocids are kept, to notice one that comes back.
    one_at_a_time: Option<Finished>,
}

/// The processes [`PackageChecks`] finished early.
#[derive(Default)]
struct Finished {
    seed: foldhash::fast::RandomState,
    ocids: HashSet<u64, foldhash::fast::RandomState>,
    /// A finished ocid (or, rarely, one with the same fingerprint) came back:
    /// the checks must be run again keeping every process.
    came_back: bool,
}

const REPEATED_ID: &str = "Another release of the same ocid has this id: release ids must be unique within a contracting process";

impl PackageChecks {
    pub(crate) fn new(kind: PackageType) -> PackageChecks {
        PackageChecks {
            kind,
            items: 0,
            releases: 0,
            finished_processes: 0,
            processes: Vec::new(),
            position: HashMap::new(),
            record_ocids: HashSet::new(),
            one_at_a_time: None,
        }
    }

    /// Checks that hold one process at a time: for releases grouped by
    /// `ocid`, as publishers write them. See [`PackageChecks::came_back`].
    pub(crate) fn one_at_a_time(kind: PackageType) -> PackageChecks {
        PackageChecks { one_at_a_time: Some(Finished::default()), ..PackageChecks::new(kind) }
    }

    /// Whether a process came back after it was finished: the package's
    /// releases are not grouped by `ocid`, and this run's results are
    /// incomplete; run again with [`PackageChecks::new`].
    pub(crate) fn came_back(&self) -> bool {
        self.one_at_a_time.as_ref().is_some_and(|finished| finished.came_back)
    }

    /// Checks and drops the process being read, when another one begins.
    fn finish_current(&mut self, next_ocid: &str, out: &mut Collector) {
        let Some(finished) = &mut self.one_at_a_time else { return };
        if self.position.contains_key(next_ocid) {
            return;
        }
        for (ocid, _) in self.position.drain() {
            finished.ocids.insert(finished.seed.hash_one(&ocid));
        }
        for process in self.processes.drain(..) {
            self.finished_processes += 1;
            process.check(out);
        }
        if finished.ocids.contains(&finished.seed.hash_one(next_ocid)) {
            finished.came_back = true;
        }
    }

    /// Item `index` of the package's `releases` (or `records`).
    pub(crate) fn item(&mut self, index: usize, item: &Value, out: &mut Collector) {
        self.items += 1;
        match self.kind {
            PackageType::Release => self.release(index, item, out),
            PackageType::Record => self.record(index, item, out),
        }
    }

    fn release(&mut self, i: usize, release: &Value, out: &mut Collector) {
        self.releases += 1;
        let Some(ocid) = release.get("ocid").and_then(Value::as_str) else { return };
        check_prefix(ocid, "releases/ocid", || format!("releases/{i}/ocid"), out);
        self.finish_current(ocid, out);
        let slot = match self.position.get(ocid) {
            Some(&slot) => slot,
            None => {
                self.processes.push(Process::default());
                self.position.insert(ocid.to_owned(), self.processes.len() - 1);
                self.processes.len() - 1
            }
        };
        let process = &mut self.processes[slot];
        if let Some(id) = release.get("id").and_then(id_text)
            && !process.ids.insert(id.into())
        {
            let full = || format!("releases/{i}/id");
            out.add(Severity::Error, "duplicate_release_id", "releases/id".into(), REPEATED_ID.into(), full, release.get("id"));
        }
        process.stages.see(release, i);
        process.timeline.apply(ReleaseDates::read(release, Found::Release(index32(i))), index32(i));
    }

    /// A record is a whole process: everything is checked at once.
    fn record(&mut self, r: usize, record: &Value, out: &mut Collector) {
        if let Some(ocid) = record.get("ocid").and_then(Value::as_str) {
            check_prefix(ocid, "records/ocid", || format!("records/{r}/ocid"), out);
            if !self.record_ocids.insert(ocid.to_owned()) {
                let message = "Another record has this ocid: a record package holds one record per contracting process";
                let full = || format!("records/{r}/ocid");
                out.add(Severity::Error, "duplicate_ocid", "records/ocid".into(), message.into(), full, record.get("ocid"));
            }
        }
        let entries = array(record.get("releases"));
        self.releases += entries.len();
        let mut ids = HashSet::new();
        let mut stages = Stages::default();
        for (j, entry) in entries.iter().enumerate() {
            // Linked releases ({url, date, tag}) have no id, but their date
            // and tag still order the stages.
            if let Some(id) = entry.get("id").and_then(id_text)
                && !ids.insert(id)
            {
                let full = || format!("records/{r}/releases/{j}/id");
                out.add(Severity::Error, "duplicate_release_id", "records/releases/id".into(), REPEATED_ID.into(), full, entry.get("id"));
            }
            stages.see(entry, j);
        }
        stages.check_at(&|j| format!("records/{r}/releases/{j}/date"), "records/releases", out);
        // The compiled release is the process's state; without one, the
        // embedded releases are folded into it (linked ones add nothing).
        match record.get("compiledRelease") {
            Some(compiled) => {
                let dates = vec![ReleaseDates::read(compiled, Found::Compiled(index32(r)))];
                Timeline::fold(dates).check("records/compiledRelease", out);
            }
            None => {
                let dates =
                    entries.iter().enumerate().map(|(j, entry)| ReleaseDates::read(entry, Found::RecordRelease(index32(r), index32(j))));
                Timeline::fold(dates.collect()).check("records/releases", out);
            }
        }
    }

    /// Runs the checks that need every release of a process, and counts.
    pub(crate) fn finish(self, out: &mut Collector) -> Counts {
        match self.kind {
            PackageType::Release => {
                let ocids = self.finished_processes + self.processes.len();
                for process in self.processes {
                    process.check(out);
                }
                Counts { releases: self.releases, records: None, ocids }
            }
            PackageType::Record => Counts { releases: self.releases, records: Some(self.items), ocids: self.record_ocids.len() },
        }
    }
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// An identifier as text: the schema allows strings and integers, and
/// `"1"` and `1` name the same thing (the merge routine matches them too).
pub(crate) fn id_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

fn date(value: Option<&Value>) -> Option<Instant> {
    parse_date_time(value?.as_str()?)
}

/// `ocds-` + a 6-character prefix (lowercase letters and digits, as the
/// registry assigns them) + `-` + a non-empty local identifier.
pub(crate) fn has_ocid_prefix(ocid: &str) -> bool {
    let b = ocid.as_bytes();
    b.len() > 12 && b.starts_with(b"ocds-") && b[5..11].iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) && b[11] == b'-'
}

fn check_prefix(ocid: &str, path: &str, full: impl FnOnce() -> String, out: &mut Collector) {
    if !has_ocid_prefix(ocid) {
        let message =
            "Does not start with a registered OCID prefix: ocds- then 6 lowercase letters or digits then - (e.g. ocds-213czf-000-00001)";
        out.add(Severity::Warning, "ocid_prefix", path.into(), message.into(), full, Some(&Value::String(ocid.to_owned())));
    }
}

/// A date field's value, where it was found, and its instant.
struct Dated {
    at: Instant,
    /// As written (a date that parses is a string).
    value: Box<str>,
    path: DatePath,
}

/// An index kept in 32 bits: no package has four billion releases, and
/// were one to, its paths would be wrong, not its checks.
fn index32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The release a date was read from, as numbers: paths are written only
/// for the few dates a report shows.
#[derive(Clone, Copy)]
enum Found {
    Release(u32),
    RecordRelease(u32, u32),
    Compiled(u32),
}

#[derive(Clone, Copy)]
enum DateField {
    TenderStart,
    TenderEnd,
    Award(u32),
    Signed(u32),
    Transaction(u32, u32),
}

#[derive(Clone, Copy)]
struct DatePath {
    found: Found,
    field: DateField,
}

impl DatePath {
    fn full(self) -> String {
        let release = match self.found {
            Found::Release(i) => format!("releases/{i}"),
            Found::RecordRelease(r, j) => format!("records/{r}/releases/{j}"),
            Found::Compiled(r) => format!("records/{r}/compiledRelease"),
        };
        match self.field {
            DateField::TenderStart => format!("{release}/tender/tenderPeriod/startDate"),
            DateField::TenderEnd => format!("{release}/tender/tenderPeriod/endDate"),
            DateField::Award(a) => format!("{release}/awards/{a}/date"),
            DateField::Signed(c) => format!("{release}/contracts/{c}/dateSigned"),
            DateField::Transaction(c, t) => format!("{release}/contracts/{c}/implementation/transactions/{t}/date"),
        }
    }
}

/// What a release says about a date field: `None` when absent (the earlier
/// value stands), `Some(None)` when `null` or unreadable (it clears it; an
/// unreadable date is already a `format` error), else the new date.
type Change = Option<Option<Dated>>;

fn change(value: Option<&Value>, found: Found, field: DateField) -> Change {
    let value = value?;
    let text = value.as_str().unwrap_or_default();
    Some(parse_date_time(text).map(|at| Dated { at, value: text.into(), path: DatePath { found, field } }))
}

/// The date fields of one release, owned: a handful of short strings, so
/// the release itself need not be kept until its process is complete.
struct ReleaseDates {
    date: Option<Instant>,
    start: Change,
    end: Change,
    awards: Vec<(Option<String>, Change)>,
    contracts: Vec<ContractChange>,
}

struct ContractChange {
    id: Option<String>,
    award_id: Option<Option<String>>,
    signed: Change,
    transactions: Vec<(Option<String>, Change)>,
}

fn owned_id(value: Option<&Value>) -> Option<String> {
    value.and_then(id_text).map(Cow::into_owned)
}

impl ReleaseDates {
    /// Reads a release found at `found`.
    fn read(release: &Value, found: Found) -> ReleaseDates {
        let period = release.pointer("/tender/tenderPeriod");
        let awards = array(release.get("awards"))
            .iter()
            .enumerate()
            .map(|(a, award)| (owned_id(award.get("id")), change(award.get("date"), found, DateField::Award(index32(a)))))
            .collect();
        let contracts = array(release.get("contracts"))
            .iter()
            .enumerate()
            .map(|(c, contract)| ContractChange {
                id: owned_id(contract.get("id")),
                award_id: contract.get("awardID").map(|id| owned_id(Some(id))),
                signed: change(contract.get("dateSigned"), found, DateField::Signed(index32(c))),
                transactions: array(contract.pointer("/implementation/transactions"))
                    .iter()
                    .enumerate()
                    .map(|(t, transaction)| {
                        let field = DateField::Transaction(index32(c), index32(t));
                        (owned_id(transaction.get("id")), change(transaction.get("date"), found, field))
                    })
                    .collect(),
            })
            .collect();
        ReleaseDates {
            date: date(release.get("date")),
            start: change(period.and_then(|p| p.get("startDate")), found, DateField::TenderStart),
            end: change(period.and_then(|p| p.get("endDate")), found, DateField::TenderEnd),
            awards,
            contracts,
        }
    }
}

struct ContractDates {
    id: Option<String>,
    award_id: Latest<String>,
    signed: Latest<Dated>,
    transactions: Vec<(Option<String>, Latest<Dated>)>,
}

/// Where a release stands in the fold: by date (unreadable dates first, as
/// a sort puts them), then by position in the input.
type Order = (Option<Instant>, u32);

/// A field's value as the latest release (by [`Order`]) that gave it left
/// it. Releases can be applied in any order and the result is the one of
/// applying them sorted: so a process's releases are folded as they are
/// read, and none of them is kept.
struct Latest<T> {
    by: Option<Order>,
    value: Option<T>,
}

impl<T> Default for Latest<T> {
    fn default() -> Self {
        Latest { by: None, value: None }
    }
}

impl<T> Latest<T> {
    /// A release's change (`None`: it does not touch the field; `Some(None)`: it clears it).
    fn offer(&mut self, by: Order, change: Option<Option<T>>) {
        if let Some(value) = change
            && self.by.is_none_or(|was| by >= was)
        {
            self.by = Some(by);
            self.value = value;
        }
    }
}

/// The dates of one contracting process as its releases leave them: each
/// field's latest value, with objects in arrays matched by `id` as the merge
/// does. Checking this state rather than each release alone catches a
/// contract signed before an award published in an earlier release, as
/// Pelican does on compiled releases.
#[derive(Default)]
struct Timeline {
    start: Latest<Dated>,
    end: Latest<Dated>,
    awards: Vec<(Option<String>, Latest<Dated>)>,
    contracts: Vec<ContractDates>,
}

/// Finds the entry with this id, or appends one (always, without an id).
fn entry<'a, T>(list: &'a mut Vec<T>, id: Option<&String>, key: impl Fn(&T) -> Option<&String>, new: impl FnOnce() -> T) -> &'a mut T {
    let index = match id.and_then(|id| list.iter().position(|item| key(item) == Some(id))) {
        Some(index) => index,
        None => {
            list.push(new());
            list.len() - 1
        }
    };
    &mut list[index]
}

impl Timeline {
    /// Folds releases given in input order.
    fn fold(releases: Vec<ReleaseDates>) -> Timeline {
        let mut timeline = Timeline::default();
        for (position, release) in releases.into_iter().enumerate() {
            timeline.apply(release, index32(position));
        }
        timeline
    }

    /// Applies the release at `position` in the input.
    fn apply(&mut self, release: ReleaseDates, position: u32) {
        let by = (release.date, position);
        self.start.offer(by, release.start);
        self.end.offer(by, release.end);
        for (id, date) in release.awards {
            let slot = entry(&mut self.awards, id.as_ref(), |(id, _)| id.as_ref(), || (id.clone(), Latest::default()));
            slot.1.offer(by, date);
        }
        for contract in release.contracts {
            let id = contract.id;
            let new = || ContractDates { id: id.clone(), award_id: Latest::default(), signed: Latest::default(), transactions: Vec::new() };
            let slot = entry(&mut self.contracts, id.as_ref(), |c| c.id.as_ref(), new);
            slot.award_id.offer(by, contract.award_id);
            slot.signed.offer(by, contract.signed);
            for (tid, date) in contract.transactions {
                let row = entry(&mut slot.transactions, tid.as_ref(), |(id, _)| id.as_ref(), || (tid.clone(), Latest::default()));
                row.1.offer(by, date);
            }
        }
    }

    /// Warns where dates run backwards: the tender period, awards against
    /// its start, contracts against their award, payments against the
    /// signature.
    fn check(&self, generic: &str, out: &mut Collector) {
        let mut warn = |field: &str, message: &str, at: &Dated| {
            let path = format!("{generic}/{field}");
            let value = Value::String(at.value.as_ref().to_owned());
            out.add(Severity::Warning, "date_order", path, message.to_owned(), || at.path.full(), Some(&value));
        };
        let start = self.start.value.as_ref();
        if let (Some(start), Some(end)) = (start, &self.end.value)
            && end.at < start.at
        {
            warn("tender/tenderPeriod/endDate", "The tender period ends before it starts", end);
        }
        for (_, award) in &self.awards {
            if let (Some(start), Some(award)) = (start, &award.value)
                && award.at < start.at
            {
                warn("awards/date", "The award is dated before the tender period starts", award);
            }
        }
        for contract in &self.contracts {
            let Some(signed) = &contract.signed.value else { continue };
            let award = contract.award_id.value.as_ref().and_then(|wanted| self.awards.iter().find(|(id, _)| id.as_ref() == Some(wanted)));
            if let Some(awarded) = award.and_then(|(_, date)| date.value.as_ref())
                && signed.at < awarded.at
            {
                warn("contracts/dateSigned", "The contract is signed before the date of its award", signed);
            }
            for (_, paid) in &contract.transactions {
                if let Some(paid) = &paid.value
                    && paid.at < signed.at
                {
                    warn("contracts/implementation/transactions/date", "The transaction is dated before the contract is signed", paid);
                }
            }
        }
    }
}

/// The earliest planning and tender releases of one contracting process.
#[derive(Default)]
struct Stages {
    planning: Option<(Instant, usize)>,
    tender: Option<(Instant, usize)>,
}

impl Stages {
    fn see(&mut self, release: &Value, index: usize) {
        let Some(when) = date(release.get("date")) else { return };
        let tags = array(release.get("tag"));
        let tagged = |names: &[&str]| tags.iter().filter_map(Value::as_str).any(|t| names.contains(&t));
        if tagged(&PLANNING_TAGS) && self.planning.is_none_or(|(first, _)| when < first) {
            self.planning = Some((when, index));
        }
        if tagged(&TENDER_TAGS) && self.tender.is_none_or(|(first, _)| when < first) {
            self.tender = Some((when, index));
        }
    }

    /// Planning comes before tendering: a process whose first planning
    /// release is dated after its first tender release is out of order.
    fn check_at(&self, full: &dyn Fn(usize) -> String, generic: &str, out: &mut Collector) {
        if let (Some((planned, index)), Some((tendered, _))) = (self.planning, self.tender)
            && planned > tendered
        {
            let message = "The first planning release is dated after the first tender release of the same ocid";
            out.add(Severity::Warning, "date_order", format!("{generic}/date"), message.into(), || full(index), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::has_ocid_prefix;

    #[test]
    fn ocid_prefixes() {
        assert!(has_ocid_prefix("ocds-213czf-000-00001"));
        assert!(has_ocid_prefix("ocds-b5fd17-1"));
        for bad in ["ocds-213czf-", "ocds-213czf000", "OCDS-213czf-1", "ocds-21-3czf-1", "ocds-ABCDEF-1", "213czf-1", "ocds-213cz"] {
            assert!(!has_ocid_prefix(bad), "{bad}");
        }
    }
}
