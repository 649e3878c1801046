//! One procurement step as one OCDS release. The officer's forms, the CSV
//! import and the demo all describe a step with these types, so every path
//! into the portal makes the same releases: the buyer as a party in each,
//! the step's tag, Rupiah values, and ids that merge into one record.

use serde_json::{Value, json};

pub const CURRENCY: &str = "IDR";

/// The location extension: a plan's place is `tender.items[].deliveryLocation`.
pub const LOCATION_EXTENSION: &str =
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_location_extension/v1.1.5/extension.json";

/// `code` of the milestones that record physical progress; the percentage
/// is the number before `%` in their title ("Progres fisik 40%").
pub const PROGRESS_MILESTONE: &str = "progres-fisik";

/// The Indonesian methods (SPSE's names) and the OCDS method each maps to
/// (domain notes: Tender and Seleksi are open, e-purchasing is limited, the
/// two langsung methods are direct; swakelola has no providers at all).
pub const METHODS: &[(&str, &str)] = &[
    ("Tender", "open"),
    ("Tender Cepat", "open"),
    ("Seleksi", "open"),
    ("E-purchasing", "limited"),
    ("Pengadaan Langsung", "direct"),
    ("Penunjukan Langsung", "direct"),
    ("Swakelola", "direct"),
];

/// The Indonesian category names and OCDS `mainProcurementCategory`.
pub const CATEGORIES: &[(&str, &str)] =
    &[("barang", "goods"), ("pekerjaan_konstruksi", "works"), ("jasa_konsultansi", "services"), ("jasa_lainnya", "services")];

pub fn ocds_method(details: &str) -> Option<&'static str> {
    METHODS.iter().find(|(name, _)| name.eq_ignore_ascii_case(details.trim())).map(|(_, m)| *m)
}

pub fn method_name(details: &str) -> Option<&'static str> {
    METHODS.iter().find(|(name, _)| name.eq_ignore_ascii_case(details.trim())).map(|(n, _)| *n)
}

pub fn ocds_category(name: &str) -> Option<&'static str> {
    let key = name.trim().to_lowercase().replace([' ', '-'], "_");
    CATEGORIES.iter().find(|(n, _)| *n == key).map(|(_, c)| *c)
}

/// A party: an agency, a provider. `id` is stable (an agency's slug, a
/// provider's NPWP), so a party named in several releases merges into one.
#[derive(Debug, Clone)]
pub struct Party {
    pub id: String,
    pub name: String,
}

impl Party {
    fn reference(&self) -> Value {
        json!({"id": self.id, "name": self.name})
    }

    fn with_roles(&self, roles: &[&str]) -> Value {
        json!({"id": self.id, "name": self.name, "roles": roles})
    }
}

fn money(amount: f64) -> Value {
    json!({"amount": amount, "currency": CURRENCY})
}

/// The plan (RUP in SiRUP): what, by whom, for how much.
#[derive(Debug, Clone)]
pub struct Plan {
    pub rup_code: String,
    pub title: String,
    pub description: String,
    /// One of [`CATEGORIES`]' Indonesian names.
    pub category: String,
    /// The planned method, one of [`METHODS`].
    pub method: String,
    pub year: i32,
    /// Pagu anggaran, Rupiah.
    pub budget: f64,
    /// Latitude and longitude of the work or delivery.
    pub location: Option<(f64, f64)>,
    /// The APBD sub-kegiatan that funds it (`planning.budget.projectID`,
    /// see `budget_links.rs`).
    pub budget_project: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Tender {
    /// HPS (harga perkiraan sendiri), Rupiah.
    pub hps: f64,
    pub method: String,
    /// RFC 3339: the announcement and the close of submissions.
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone)]
pub struct Bid {
    pub tenderer: Party,
    /// Distinct tenderers once this bid is counted (`tender.numberOfTenderers`).
    pub tenderers: u32,
    pub amount: f64,
    pub date: String,
    /// OCDS bid status: `valid` or `disqualified`.
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct Award {
    pub supplier: Party,
    pub amount: f64,
    pub date: String,
}

#[derive(Debug, Clone)]
pub struct Contract {
    pub amount: f64,
    pub signed: String,
    pub end: String,
}

#[derive(Debug, Clone)]
pub struct Payment {
    pub amount: f64,
    pub date: String,
}

#[derive(Debug, Clone)]
pub struct Progress {
    pub percent: u8,
    pub date: String,
    pub note: String,
    /// A photo kept by the portal: its public address and file name.
    pub photo: Option<(String, String)>,
}

/// A step of a process, as the officer records it.
#[derive(Debug, Clone)]
pub enum Step {
    Plan(Plan),
    Tender(Tender),
    Bid(Bid),
    Award(Award),
    Contract(Contract),
    Payment(Payment),
    Progress(Progress),
}

impl Step {
    /// The short name used in release ids and addresses.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Plan(_) => "plan",
            Step::Tender(_) => "tender",
            Step::Bid(_) => "bid",
            Step::Award(_) => "award",
            Step::Contract(_) => "contract",
            Step::Payment(_) => "payment",
            Step::Progress(_) => "progress",
        }
    }

    /// When the step happened: the release's date.
    pub fn date(&self) -> String {
        match self {
            Step::Plan(p) => format!("{}-01-02T08:00:00+07:00", p.year),
            Step::Tender(t) => t.start.clone(),
            Step::Bid(b) => b.date.clone(),
            Step::Award(a) => a.date.clone(),
            Step::Contract(c) => c.signed.clone(),
            Step::Payment(p) => p.date.clone(),
            Step::Progress(p) => p.date.clone(),
        }
    }
}

/// The process a step belongs to: its OCID, its buyer, and what earlier
/// steps settled that later ones refer to (the award a contract follows).
#[derive(Debug, Clone)]
pub struct Process {
    pub ocid: String,
    pub buyer: Party,
    /// The supplier of the active award, once there is one.
    pub supplier: Option<Party>,
}

impl Process {
    pub fn tender_id(&self) -> String {
        format!("{}-tender", self.ocid)
    }

    pub fn award_id(&self) -> String {
        format!("{}-award-1", self.ocid)
    }

    pub fn contract_id(&self) -> String {
        format!("{}-contract-1", self.ocid)
    }

    /// The release for `step`, the `n`th of the process (1-based; keeps ids
    /// unique and in order).
    pub fn release(&self, n: usize, step: &Step) -> Value {
        let mut r = json!({
            "ocid": self.ocid,
            "id": format!("{}-{n:03}-{}", self.ocid, step.kind()),
            "date": step.date(),
            "language": "id",
            "initiationType": "tender",
            "buyer": self.buyer.reference(),
            "parties": [self.buyer.with_roles(&["buyer", "procuringEntity"])],
        });
        let tender_id = self.tender_id();
        match step {
            Step::Plan(p) => {
                let mut item = json!({"id": "1", "description": p.title});
                if let Some((lat, lon)) = p.location {
                    item["deliveryLocation"] = json!({"geometry": {"type": "Point", "coordinates": [lon, lat]}});
                }
                r["tag"] = json!(["planning"]);
                r["planning"] = json!({
                    "rationale": p.description,
                    "budget": {"id": p.rup_code, "description": p.title, "amount": money(p.budget)},
                });
                if let Some(project) = &p.budget_project {
                    r["planning"]["budget"]["projectID"] = json!(project);
                }
                r["tender"] = json!({
                    "id": tender_id,
                    "title": p.title,
                    "description": p.description,
                    "status": "planning",
                    "mainProcurementCategory": ocds_category(&p.category).unwrap_or("goods"),
                    "procurementMethod": ocds_method(&p.method).unwrap_or("open"),
                    "procurementMethodDetails": method_name(&p.method).unwrap_or(&p.method),
                    "procuringEntity": self.buyer.reference(),
                    "items": [item],
                });
            }
            Step::Tender(t) => {
                r["tag"] = json!(["tender"]);
                r["tender"] = json!({
                    "id": tender_id,
                    "status": "active",
                    "value": money(t.hps),
                    "procurementMethod": ocds_method(&t.method).unwrap_or("open"),
                    "procurementMethodDetails": method_name(&t.method).unwrap_or(&t.method),
                    "tenderPeriod": {"startDate": t.start, "endDate": t.end},
                });
            }
            Step::Bid(b) => {
                r["tag"] = json!(["tenderUpdate"]);
                r["parties"].as_array_mut().expect("parties").push(b.tenderer.with_roles(&["tenderer"]));
                r["tender"] = json!({"id": tender_id, "numberOfTenderers": b.tenderers});
                r["bids"] = json!({"details": [{
                    "id": format!("{}-bid-{n:03}", self.ocid),
                    "date": b.date,
                    "status": b.status,
                    "tenderers": [b.tenderer.reference()],
                    "value": money(b.amount),
                }]});
            }
            Step::Award(a) => {
                r["tag"] = json!(["award"]);
                r["parties"].as_array_mut().expect("parties").push(a.supplier.with_roles(&["supplier"]));
                r["tender"] = json!({"id": tender_id, "status": "complete"});
                r["awards"] = json!([{
                    "id": self.award_id(),
                    "status": "active",
                    "date": a.date,
                    "value": money(a.amount),
                    "suppliers": [a.supplier.reference()],
                }]);
            }
            Step::Contract(c) => {
                r["tag"] = json!(["contract"]);
                r["contracts"] = json!([{
                    "id": self.contract_id(),
                    "awardID": self.award_id(),
                    "status": "active",
                    "dateSigned": c.signed,
                    "value": money(c.amount),
                    "period": {"startDate": c.signed, "endDate": c.end},
                }]);
            }
            Step::Payment(p) => {
                let mut transaction = json!({
                    "id": format!("{}-payment-{n:03}", self.ocid),
                    "date": p.date,
                    "value": money(p.amount),
                    "payer": self.buyer.reference(),
                });
                if let Some(s) = &self.supplier {
                    transaction["payee"] = s.reference();
                }
                r["tag"] = json!(["implementation"]);
                r["contracts"] =
                    json!([{"id": self.contract_id(), "awardID": self.award_id(), "implementation": {"transactions": [transaction]}}]);
            }
            Step::Progress(p) => {
                let mut implementation = json!({"milestones": [{
                    "id": format!("{}-progress-{n:03}", self.ocid),
                    "title": format!("Progres fisik {}%", p.percent),
                    "type": "reporting",
                    "code": PROGRESS_MILESTONE,
                    "status": "met",
                    "dateMet": p.date,
                    "description": p.note,
                }]});
                if let Some((url, name)) = &p.photo {
                    implementation["documents"] = json!([{
                        "id": format!("{}-photo-{n:03}", self.ocid),
                        "documentType": "physicalProgressReport",
                        "title": name,
                        "url": url,
                        "datePublished": p.date,
                        "format": crate::slices::contracting::files::media_type(name),
                    }]);
                }
                r["tag"] = json!(["implementation"]);
                r["contracts"] = json!([{"id": self.contract_id(), "awardID": self.award_id(), "implementation": implementation}]);
            }
        }
        r
    }
}

/// A file kept by the portal, as an OCDS document: its public address and name.
#[derive(Debug, Clone)]
pub struct Document {
    pub url: String,
    pub title: String,
}

impl Process {
    /// Puts a document where its step keeps them (the plan, the tender
    /// notice, the award notice, the signed contract); other steps have no
    /// place for one and return false.
    pub fn attach(&self, release: &mut Value, step: &Step, doc: &Document) -> bool {
        let release_id = release["id"].as_str().unwrap_or("").to_string();
        let (holder, kind) = match step {
            Step::Plan(_) => (&mut release["planning"], "procurementPlan"),
            Step::Tender(_) => (&mut release["tender"], "tenderNotice"),
            Step::Award(_) => (&mut release["awards"][0], "awardNotice"),
            Step::Contract(_) => (&mut release["contracts"][0], "contractSigned"),
            _ => return false,
        };
        holder["documents"] = json!([{
            "id": format!("{release_id}-{kind}"),
            "documentType": kind,
            "title": doc.title,
            "url": doc.url,
            "datePublished": step.date(),
            "format": crate::slices::contracting::files::media_type(&doc.title),
        }]);
        true
    }
}

/// A date from a form (`YYYY-MM-DD`) as an RFC 3339 date-time at the start
/// of the working day in the region's zone.
pub fn form_date(date: &str, utc_offset_hours: i64) -> Option<String> {
    let d = date.trim();
    let ok = d.len() == 10
        && d.as_bytes()[4] == b'-'
        && d.as_bytes()[7] == b'-'
        && d[..4].parse::<u16>().is_ok()
        && d[5..7].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && d[8..10].parse::<u8>().is_ok_and(|x| (1..=31).contains(&x));
    ok.then(|| format!("{d}T08:00:00{}{:02}:00", if utc_offset_hours < 0 { '-' } else { '+' }, utc_offset_hours.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process() -> Process {
        Process {
            ocid: "ocds-pd3522-2024-1".into(),
            buyer: Party { id: "dinas-pu-bina-marga".into(), name: "Dinas PU".into() },
            supplier: Some(Party { id: "01.234.567.8-601.000".into(), name: "CV Maju".into() }),
        }
    }

    #[test]
    fn steps_merge_into_one_process() {
        let p = process();
        let steps = [
            Step::Plan(Plan {
                rup_code: "12345".into(),
                title: "Rehabilitasi jalan".into(),
                description: String::new(),
                category: "pekerjaan konstruksi".into(),
                method: "tender".into(),
                year: 2024,
                budget: 1.0e9,
                location: Some((-7.15, 111.88)),
                budget_project: None,
            }),
            Step::Tender(Tender {
                hps: 9.5e8,
                method: "Tender".into(),
                start: "2024-03-01T08:00:00+07:00".into(),
                end: "2024-03-20T08:00:00+07:00".into(),
            }),
            Step::Award(Award { supplier: p.supplier.clone().unwrap(), amount: 9.0e8, date: "2024-04-01T08:00:00+07:00".into() }),
            Step::Contract(Contract { amount: 9.0e8, signed: "2024-04-10T08:00:00+07:00".into(), end: "2024-09-10T08:00:00+07:00".into() }),
            Step::Payment(Payment { amount: 2.7e8, date: "2024-05-10T08:00:00+07:00".into() }),
        ];
        let releases: Vec<Value> = steps.iter().enumerate().map(|(i, s)| p.release(i + 1, s)).collect();
        assert_eq!(releases[0]["tender"]["mainProcurementCategory"], "works");
        assert_eq!(releases[1]["tag"], json!(["tender"]));
        let compiled = ocds::merge::Merger::ocds_1_1().compiled(&releases).unwrap();
        assert_eq!(compiled["tender"]["value"]["amount"], json!(9.5e8));
        assert_eq!(compiled["tender"]["status"], "complete");
        assert_eq!(compiled["contracts"][0]["awardID"], compiled["awards"][0]["id"]);
        assert_eq!(compiled["contracts"][0]["implementation"]["transactions"][0]["payee"]["name"], "CV Maju");
        assert_eq!(compiled["parties"].as_array().unwrap().len(), 2, "the buyer once, the supplier once");
        assert_eq!(compiled["tender"]["items"][0]["deliveryLocation"]["geometry"]["coordinates"], json!([111.88, -7.15]));
    }

    #[test]
    fn form_dates_and_names() {
        assert_eq!(form_date("2024-03-01", 7).as_deref(), Some("2024-03-01T08:00:00+07:00"));
        assert_eq!(form_date("2024-13-01", 7), None);
        assert_eq!(form_date("1/3/2024", 7), None);
        assert_eq!(ocds_method("penunjukan langsung"), Some("direct"));
        assert_eq!(ocds_category("Jasa Konsultansi"), Some("services"));
        assert_eq!(ocds_method("lelang"), None);
    }
}
