//! The APBDes code list: accounts, bidang (and whatever the walidata adds
//! below them) and funding sources, as data.
//!
//! The embedded list (`data/apbdes.csv`) holds only what domain.md section 6
//! states (origin `domain`), plus the few rows a check cannot do without,
//! marked so the walidata knows to verify them:
//!
//! - `lampiran`: codes domain.md states without a name (4.1.1-4.1.4) or
//!   that the balance needs (6.1 penerimaan and 6.2 pengeluaran pembiayaan,
//!   4.2 the transfer group), named as Permendagri 20/2018's appendix is
//!   commonly printed; not checked against the appendix here.
//! - `siskeudes`: the funding-source codes of Siskeudes exports (DDS, ADD,
//!   PBH, PAD, PBP, PBK, DLL), each tied to the pendapatan account it spends.
//!
//! Sub-bidang, the kegiatan list and belanja accounts are **not** shipped:
//! domain.md does not give them. The walidata extends the list per year with
//! the same CSV layout ([`CodeList::extend_csv`]), and until a branch is
//! extended it stays open: a code is known when it is listed, or when the
//! nearest listed code above it has nothing listed below it (so `1.1.01` is
//! known under bidang `1` while no sub-bidang of bidang 1 is listed, and
//! `4.2.1.01` under `4.2.1`; once the walidata lists sub-bidang `1.1`,
//! `1.9.01` is unknown).

use super::{Akun, Kegiatan};
use std::collections::BTreeMap;
use std::fmt;

/// Where an entry of the list comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Stated in domain.md (verified).
    Domain,
    /// Needed, named from the regulation's appendix, to be verified.
    Lampiran,
    /// Siskeudes's funding-source codes, to be verified.
    Siskeudes,
    /// Added by the walidata.
    Walidata,
}

impl Origin {
    fn parse(text: &str) -> Option<Origin> {
        match text {
            "domain" => Some(Origin::Domain),
            "lampiran" => Some(Origin::Lampiran),
            "siskeudes" => Some(Origin::Siskeudes),
            "walidata" | "" => Some(Origin::Walidata),
            _ => None,
        }
    }
}

/// One listed code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub origin: Origin,
}

/// A funding source (*sumber dana*) and the pendapatan account it spends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumberDana {
    pub code: String,
    pub name: String,
    /// The account whose income this source spends (`4.2.1` for DDS).
    pub akun: Akun,
    pub origin: Origin,
}

/// The codes a budget is checked against.
#[derive(Clone, Debug, Default)]
pub struct CodeList {
    akun: BTreeMap<String, Entry>,
    bidang: BTreeMap<String, Entry>,
    sumber: BTreeMap<String, SumberDana>,
}

/// Why a row of a code-list CSV was refused (line from 1, the header
/// included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListProblem {
    pub line: usize,
    pub column: &'static str,
    pub reason: &'static str,
}

impl fmt::Display for ListProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.reason)
    }
}

const EMBEDDED: &str = include_str!("../../data/apbdes.csv");

impl CodeList {
    /// The list built into the binary.
    pub fn embedded() -> CodeList {
        let mut list = CodeList::default();
        list.extend_csv(EMBEDDED).expect("the embedded APBDes code list is valid");
        list
    }

    /// Adds (or renames) entries from CSV text with the header
    /// `daftar,kode,nama,asal,akun` (`daftar` is `akun`, `bidang` or
    /// `sumber`; `asal` may be empty, meaning the walidata; `akun` only for
    /// `sumber`). All or nothing: any bad row leaves the list unchanged.
    pub fn extend_csv(&mut self, text: &str) -> Result<usize, Vec<ListProblem>> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
            Err(_) => return Err(vec![ListProblem { line: 1, column: "daftar", reason: "code_list_not_csv" }]),
        };
        let want = ["daftar", "kode", "nama", "asal", "akun"];
        if header.len() < 3 || header[..3] != want[..3] || header.iter().zip(want).any(|(h, w)| h != w) {
            return Err(vec![ListProblem { line: 1, column: "daftar", reason: "code_list_bad_header" }]);
        }
        let mut next = self.clone();
        let mut problems = Vec::new();
        let mut added = 0;
        for (at, record) in reader.records().enumerate() {
            let line = at + 2;
            let Ok(record) = record else {
                problems.push(ListProblem { line, column: "daftar", reason: "code_list_not_csv" });
                continue;
            };
            let get = |i: usize| record.get(i).unwrap_or("").trim();
            let (list, code, name, origin, akun) = (get(0), get(1), get(2), get(3), get(4));
            let Some(origin) = Origin::parse(origin) else {
                problems.push(ListProblem { line, column: "asal", reason: "code_list_bad_origin" });
                continue;
            };
            if name.is_empty() {
                problems.push(ListProblem { line, column: "nama", reason: "code_list_no_name" });
                continue;
            }
            let entry = Entry { name: name.to_string(), origin };
            match list {
                "akun" => match Akun::parse(code, false) {
                    Ok(a) => _ = next.akun.insert(a.as_str().to_string(), entry),
                    Err(_) => problems.push(ListProblem { line, column: "kode", reason: "code_list_bad_akun" }),
                },
                "bidang" => {
                    let ok = Kegiatan::parse(code).is_ok() || valid_bidang_prefix(code);
                    if ok {
                        next.bidang.insert(code.to_string(), entry);
                    } else {
                        problems.push(ListProblem { line, column: "kode", reason: "code_list_bad_bidang" });
                    }
                }
                "sumber" => {
                    let code_ok = (2..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                    match (code_ok, Akun::parse(akun, false)) {
                        (false, _) => problems.push(ListProblem { line, column: "kode", reason: "code_list_bad_sumber" }),
                        (true, Err(_)) => problems.push(ListProblem { line, column: "akun", reason: "code_list_bad_akun" }),
                        (true, Ok(akun)) => {
                            _ = next
                                .sumber
                                .insert(code.to_string(), SumberDana { code: code.to_string(), name: name.to_string(), akun, origin })
                        }
                    }
                }
                _ => problems.push(ListProblem { line, column: "daftar", reason: "code_list_bad_list" }),
            }
            added += 1;
        }
        if problems.is_empty() {
            *self = next;
            Ok(added)
        } else {
            Err(problems)
        }
    }

    /// The listed entry of an account.
    pub fn akun(&self, code: &str) -> Option<&Entry> {
        self.akun.get(code)
    }

    /// The listed entry of a bidang, sub-bidang or kegiatan code.
    pub fn bidang(&self, code: &str) -> Option<&Entry> {
        self.bidang.get(code)
    }

    /// A funding source by its code (`DDS`), any case.
    pub fn sumber(&self, code: &str) -> Option<&SumberDana> {
        self.sumber.get(&code.trim().to_uppercase())
    }

    pub fn sumber_all(&self) -> impl Iterator<Item = &SumberDana> {
        self.sumber.values()
    }

    /// Whether an account is known (the rule in the module documentation).
    pub fn knows_akun(&self, akun: &Akun) -> bool {
        knows(&self.akun, akun.as_str())
    }

    /// Whether a kegiatan is known (the rule in the module documentation).
    pub fn knows_kegiatan(&self, kegiatan: &Kegiatan) -> bool {
        knows(&self.bidang, &kegiatan.to_string())
    }
}

/// `1` to `5`, or `b.s` with a sub-bidang number.
fn valid_bidang_prefix(code: &str) -> bool {
    match code.split_once('.') {
        None => matches!(code, "1" | "2" | "3" | "4" | "5"),
        Some((b, s)) => {
            valid_bidang_prefix(b) && (1..=2).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit()) && s != "0" && s != "00"
        }
    }
}

fn knows(list: &BTreeMap<String, Entry>, code: &str) -> bool {
    if list.contains_key(code) {
        return true;
    }
    let mut prefix = code;
    while let Some((up, _)) = prefix.rsplit_once('.') {
        prefix = up;
        if list.contains_key(prefix) {
            let below = format!("{prefix}.");
            return !list.range(below.clone()..).next().is_some_and(|(k, _)| k.starts_with(&below));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn akun(code: &str) -> Akun {
        Akun::parse(code, false).unwrap()
    }

    #[test]
    fn the_embedded_list_holds_domain_md() {
        let list = CodeList::embedded();
        assert_eq!(list.akun("4.2.1").unwrap(), &Entry { name: "Dana Desa".into(), origin: Origin::Domain });
        assert_eq!(list.akun("4.2.3").unwrap().name, "Alokasi Dana Desa");
        assert_eq!(list.akun("6.1").unwrap().origin, Origin::Lampiran);
        assert_eq!(list.bidang("5").unwrap().name, "Penanggulangan Bencana, Keadaan Darurat dan Mendesak");
        for (at, name) in super::super::BIDANG.iter().enumerate() {
            assert_eq!(&list.bidang(&(at + 1).to_string()).unwrap().name, name);
        }
        assert_eq!(list.sumber("dds").unwrap().akun, akun("4.2.1"));
        assert_eq!(list.sumber_all().count(), 7);
    }

    #[test]
    fn open_below_a_leaf_closed_once_extended() {
        let mut list = CodeList::embedded();
        let k = |c: &str| Kegiatan::parse(c).unwrap();
        assert!(list.knows_kegiatan(&k("1.1.01")));
        assert!(list.knows_akun(&akun("4.2.1.01")));
        assert!(list.knows_akun(&akun("5.2.1.01")));
        assert!(list.knows_akun(&akun("4.1.2")));
        assert!(!list.knows_akun(&akun("4.1.7")));
        assert!(!list.knows_akun(&akun("4.4")));
        assert!(!list.knows_akun(&akun("6.3")));
        list.extend_csv("daftar,kode,nama,asal,akun\nbidang,1.1,Penyelenggaraan Belanja Siltap,,\nbidang,1.1.01,Penghasilan Tetap Kepala Desa,walidata,\nsumber,SLP,SiLPA,,6.1\n").unwrap();
        assert!(list.knows_kegiatan(&k("1.1.01")));
        assert!(!list.knows_kegiatan(&k("1.1.02")));
        assert!(!list.knows_kegiatan(&k("1.9.01")));
        assert!(list.knows_kegiatan(&k("2.3.04")));
        assert_eq!(list.bidang("1.1").unwrap().origin, Origin::Walidata);
        assert_eq!(list.sumber("SLP").unwrap().akun, akun("6.1"));
    }

    #[test]
    fn a_bad_extension_changes_nothing() {
        let mut list = CodeList::embedded();
        let problems = list.extend_csv("daftar,kode,nama,asal,akun\nbidang,1.2,Sarana,,\nbidang,7.1,X,,\nakun,9,X,,\nsumber,dd s,X,,4.2.1\nsumber,DDX,X,,\nakun,4.4,,,\nkegiatan,1.1.01,X,,\nakun,4.4,X,resmi,\n").unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line, p.column, p.reason)).collect();
        assert_eq!(
            got,
            vec![
                (3, "kode", "code_list_bad_bidang"),
                (4, "kode", "code_list_bad_akun"),
                (5, "kode", "code_list_bad_sumber"),
                (6, "akun", "code_list_bad_akun"),
                (7, "nama", "code_list_no_name"),
                (8, "daftar", "code_list_bad_list"),
                (9, "asal", "code_list_bad_origin"),
            ]
        );
        assert!(list.bidang("1.2").is_none());
        assert_eq!(list.extend_csv("kode,nama\n1,x\n").unwrap_err()[0].reason, "code_list_bad_header");
    }
}
