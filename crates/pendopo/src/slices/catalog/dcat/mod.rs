//! DCAT-AP 3 export of the public catalog, for national and European
//! harvesters: the catalogue (in pages) and each dataset, as Turtle,
//! JSON-LD and RDF/XML ([`graph`]), valid against the DCAT-AP 3.0.0 and
//! 2.1.1 SHACL shapes (tests/dcat/README.md). The routes and content
//! negotiation are in [`http`].

pub mod graph;
pub mod http;
pub mod vocab;

use graph::Graph;
use vocab::Table;

use super::model;
use super::repo::{Dataset, Group};
use crate::clock::iso_utc;

/// Datasets per catalogue page. Small enough that a page with its
/// distributions stays well under a megabyte, large enough that a regency's
/// catalogue (a few hundred datasets) is a handful of requests.
pub const PAGE_SIZE: usize = 25;

/// What the export says about the portal itself.
pub struct Site<'a> {
    /// The address the client reached, without a trailing slash.
    pub base: &'a str,
    /// The region's name ("Kabupaten Bojonegoro").
    pub name: &'a str,
    /// Its Kemendagri code ("35.22").
    pub region: &'a str,
    /// From the message catalogue, in Bahasa Indonesia and English.
    pub description: [String; 2],
    pub themes_title: [String; 2],
    pub profile: Profile,
}

/// Which DCAT-AP the export follows. The two differ in one datatype:
/// DCAT-AP 3 gives `dcat:byteSize` as xsd:nonNegativeInteger, 2.x (and the
/// 2.x-era core shapes still in the 3.0.0 release) as xsd:decimal. A 2.x
/// harvester asks with `?profile=dcat-ap-2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    #[default]
    Ap3,
    Ap2,
}

impl Profile {
    pub const PARAM_AP2: &str = "dcat-ap-2";

    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "" | "dcat-ap-3" => Some(Profile::Ap3),
            Profile::PARAM_AP2 => Some(Profile::Ap2),
            _ => None,
        }
    }

    fn byte_size_type(self) -> &'static str {
        match self {
            Profile::Ap3 => "xsd:nonNegativeInteger",
            Profile::Ap2 => "xsd:decimal",
        }
    }
}

const LANGS: [&str; 2] = ["id", "en"];

/// One page of the catalogue: which, of how many, and the address the
/// client asked for (pages link to the same format).
pub struct Page<'a> {
    pub number: usize,
    pub total: usize,
    pub path: &'a str,
}

impl Page<'_> {
    pub fn last(&self) -> usize {
        self.total.div_ceil(PAGE_SIZE).max(1)
    }
}

fn datetime(secs: i64) -> String {
    format!("{}Z", iso_utc(secs))
}

/// The dataset's own IRI: its page's address with `#dataset`, so the page
/// (the landing page, a foaf:Document) and the dataset are two things.
pub fn dataset_iri(base: &str, name: &str) -> String {
    format!("{base}/dataset/{name}#dataset")
}

/// The period a dataset covers, from the Satu Data `periode_awal` and
/// `periode_akhir` (`2024` or `2024-03-01`): a year reads as its first or
/// last day.
fn period(from: &str, to: &str) -> Option<(String, String)> {
    let day = |s: &str, end: bool| -> Option<String> {
        let s = s.trim();
        match s.len() {
            4 if s.parse::<u16>().is_ok() => Some(if end { format!("{s}-12-31") } else { format!("{s}-01-01") }),
            10 if s.parse::<kalender::Date>().is_ok() => Some(s.to_string()),
            _ => None,
        }
    };
    let start = day(from, false)?;
    let end = day(to, true).filter(|e| *e >= start);
    Some((start, end.unwrap_or_default()))
}

/// A group as a concept of the region's own scheme, matched to the EU data
/// themes; returns the concept and the EU themes.
fn theme(g: &mut Graph, site: &Site, group: &Group) -> (String, Vec<String>) {
    let scheme = format!("{}/group", site.base);
    if !g.has(&scheme) {
        g.iri(&scheme, "rdf:type", "skos:ConceptScheme");
        for (text, lang) in site.themes_title.iter().zip(LANGS) {
            g.text(&scheme, "dct:title", text, Some(lang));
        }
    }
    let concept = format!("{}/group/{}", site.base, group.name);
    let eu: Vec<String> = vocab::data_themes(&group.name).iter().map(|code| vocab::data_theme(g, code)).collect();
    if !g.has(&concept) {
        g.iri(&concept, "rdf:type", "skos:Concept");
        g.text(&concept, "skos:prefLabel", if group.title.is_empty() { &group.name } else { &group.title }, Some("id"));
        g.iri(&concept, "skos:inScheme", scheme);
        for t in &eu {
            g.iri(&concept, "skos:closeMatch", t.clone());
        }
    }
    (concept, eu)
}

/// The region a dataset covers, as a place of ours named from the
/// Kemendagri table.
fn location(g: &mut Graph, base: &str, code: &str) -> String {
    let iri = format!("{base}/wilayah/{code}");
    if !g.has(&iri) {
        g.iri(&iri, "rdf:type", "dct:Location");
        let name = code.parse().ok().and_then(|c| wilayah::Directory::embedded().get(&c).map(|r| r.name.clone()));
        g.text(&iri, "skos:prefLabel", name.as_deref().unwrap_or(code), Some("id"));
    }
    iri
}

/// A publisher: the region's government or one of its agencies, all local
/// authorities in the ADMS publisher types.
fn agent(g: &mut Graph, iri: &str, name: &str) {
    if !g.has(iri) {
        g.iri(iri, "rdf:type", "foaf:Agent");
        g.text(iri, "foaf:name", name, Some("id"));
        let t = vocab::local_authority(g);
        g.iri(iri, "dct:type", t);
    }
}

fn document(g: &mut Graph, iri: &str) -> String {
    g.iri(iri, "rdf:type", "foaf:Document");
    iri.to_string()
}

fn add_dataset(g: &mut Graph, site: &Site, d: &Dataset) -> String {
    let base = site.base;
    let page = format!("{base}/dataset/{}", d.name);
    let id = dataset_iri(base, &d.name);
    g.iri(&id, "rdf:type", "dcat:Dataset");
    g.text(&id, "dct:title", &d.title, Some("id"));
    g.text(&id, "dct:description", if d.notes.trim().is_empty() { &d.title } else { &d.notes }, Some("id"));
    g.text(&id, "dct:identifier", &d.id, None);
    let landing = document(g, &page);
    g.iri(&id, "dcat:landingPage", landing);
    g.typed(&id, "dct:issued", datetime(d.published_at.unwrap_or(d.created_at)), "xsd:dateTime");
    g.typed(&id, "dct:modified", datetime(d.updated_at), "xsd:dateTime");
    let lang = vocab::indonesian(g);
    g.iri(&id, "dct:language", lang);
    for t in &d.tags {
        g.text(&id, "dcat:keyword", t, Some("id"));
    }
    for group in &d.groups {
        let (concept, eu) = theme(g, site, group);
        g.iri(&id, "dcat:theme", concept);
        for t in eu {
            g.iri(&id, "dcat:theme", t);
        }
    }
    let publisher = format!("{base}/organization/{}", d.org.slug);
    g.iri(&id, "dct:publisher", publisher.clone());
    agent(g, &publisher, &d.org.name);
    // The agency answers for its data; the maintainer's address, when the
    // publisher gave one, is the way to reach it.
    let contact = format!("{page}#contact");
    g.iri(&id, "dcat:contactPoint", contact.clone());
    // Typed vcard:Kind too: validators do not infer it from the subclass.
    g.iri(&contact, "rdf:type", "vcard:Kind");
    g.iri(&contact, "rdf:type", "vcard:Organization");
    g.text(&contact, "vcard:fn", &d.org.name, Some("id"));
    g.iri(&contact, "vcard:hasURL", publisher);
    let email = [&d.core.maintainer_email, &d.core.author_email].into_iter().find(|e| e.contains('@'));
    if let Some(e) = email {
        g.iri(&contact, "vcard:hasEmail", format!("mailto:{}", e.trim()));
    }
    if let Some((code, label)) = vocab::frequency(&d.satudata.frekuensi) {
        let f = vocab::eu_concept(g, Table::Frequency, code, label);
        g.iri(&id, "dct:accrualPeriodicity", f);
    }
    if !d.satudata.cakupan_wilayah.trim().is_empty() {
        let place = location(g, base, d.satudata.cakupan_wilayah.trim());
        g.iri(&id, "dct:spatial", place);
    }
    if let Some((start, end)) = period(&d.satudata.periode_awal, &d.satudata.periode_akhir) {
        let t = format!("{page}#temporal");
        g.iri(&id, "dct:temporal", t.clone());
        g.iri(&t, "rdf:type", "dct:PeriodOfTime");
        g.typed(&t, "dcat:startDate", start, "xsd:date");
        if !end.is_empty() {
            g.typed(&t, "dcat:endDate", end, "xsd:date");
        }
    }
    let license = model::license(&d.license_id).filter(|l| !l.url.is_empty());
    for r in &d.resources {
        let dist = format!("{base}/dataset/{}/resource/{}", d.name, r.id);
        g.iri(&id, "dcat:distribution", dist.clone());
        g.iri(&dist, "rdf:type", "dcat:Distribution");
        g.text(&dist, "dct:title", &r.name, Some("id"));
        g.text(&dist, "dct:description", &r.description, Some("id"));
        let url = if r.url_type == "upload" { format!("{base}{}", r.url) } else { r.url.clone() };
        // DCAT-AP requires an access URL: without a link, the resource's page.
        // Its SHACL template asks the links to be typed rdfs:Resource.
        let access = if url.is_empty() { dist.clone() } else { url.clone() };
        g.iri(&access, "rdf:type", "rdfs:Resource");
        g.iri(&dist, "dcat:accessURL", access);
        if r.url_type == "upload" {
            g.iri(&url, "rdf:type", "rdfs:Resource");
            g.iri(&dist, "dcat:downloadURL", url);
        }
        if let Some((code, mime)) = vocab::file_type(&r.format) {
            let f = vocab::eu_concept(g, Table::FileType, code, code);
            g.iri(&dist, "dct:format", f);
            let m = vocab::media_type(g, mime);
            g.iri(&dist, "dcat:mediaType", m);
        }
        if let Some(size) = r.size {
            g.typed(&dist, "dcat:byteSize", size.to_string(), site.profile.byte_size_type());
        }
        g.typed(&dist, "dct:issued", datetime(r.created_at), "xsd:dateTime");
        g.typed(&dist, "dct:modified", datetime(r.modified_at), "xsd:dateTime");
        if let Some(l) = license {
            g.iri(&dist, "dct:license", l.url);
            if !g.has(l.url) {
                g.iri(l.url, "rdf:type", "dct:LicenseDocument");
                g.text(l.url, "dct:title", l.title, Some("en"));
                for t in vocab::licence_types(l.id) {
                    let t = vocab::licence_type(g, t);
                    g.iri(l.url, "dct:type", t);
                }
            }
        }
    }
    id
}

/// A page of the public catalogue: the catalogue's own description, the
/// page's datasets, and the Hydra paging (as ckanext-dcat writes it and the
/// European harvesters read it). `span` is when the first dataset was
/// published and the last one changed.
pub fn catalog(site: &Site, datasets: &[Dataset], page: &Page, span: Option<(i64, i64)>) -> Graph {
    let base = site.base;
    let mut g = Graph::default();
    let id = format!("{base}/catalog");
    g.iri(&id, "rdf:type", "dcat:Catalog");
    g.text(&id, "dct:title", site.name, Some("id"));
    for (text, lang) in site.description.iter().zip(LANGS) {
        g.text(&id, "dct:description", text, Some(lang));
    }
    let publisher = format!("{base}/#publisher");
    g.iri(&id, "dct:publisher", publisher.clone());
    agent(&mut g, &publisher, site.name);
    let home = document(&mut g, &format!("{base}/"));
    g.iri(&id, "foaf:homepage", home);
    let lang = vocab::indonesian(&mut g);
    g.iri(&id, "dct:language", lang);
    let place = location(&mut g, base, site.region);
    g.iri(&id, "dct:spatial", place);
    if let Some((issued, modified)) = span {
        g.typed(&id, "dct:issued", datetime(issued), "xsd:dateTime");
        g.typed(&id, "dct:modified", datetime(modified), "xsd:dateTime");
    }
    // The region's own groups, each matched to the EU data themes, which are
    // a taxonomy of the catalogue too.
    let own = format!("{base}/group");
    vocab::scheme(&mut g, &own, &site.themes_title[0], "id");
    g.text(&own, "dct:title", &site.themes_title[1], Some("en"));
    g.iri(&id, "dcat:themeTaxonomy", own);
    let eu = Table::DataTheme.scheme();
    vocab::scheme(&mut g, &eu, "Data theme", "en");
    g.iri(&id, "dcat:themeTaxonomy", eu);
    for d in datasets {
        let ds = add_dataset(&mut g, site, d);
        g.iri(&id, "dcat:dataset", ds);
    }
    let profile = if site.profile == Profile::Ap2 { format!("&profile={}", Profile::PARAM_AP2) } else { String::new() };
    let at = |n: usize| format!("{base}{}?page={n}{profile}", page.path);
    let this = at(page.number);
    g.iri(&this, "rdf:type", "hydra:PagedCollection");
    g.typed(&this, "hydra:totalItems", page.total.to_string(), "xsd:integer");
    g.typed(&this, "hydra:itemsPerPage", PAGE_SIZE.to_string(), "xsd:integer");
    g.text(&this, "hydra:firstPage", &at(1), None);
    g.text(&this, "hydra:lastPage", &at(page.last()), None);
    if page.number > 1 {
        g.text(&this, "hydra:previousPage", &at(page.number - 1), None);
    }
    if page.number < page.last() {
        g.text(&this, "hydra:nextPage", &at(page.number + 1), None);
    }
    g
}

/// One dataset.
pub fn dataset(site: &Site, d: &Dataset) -> Graph {
    let mut g = Graph::default();
    add_dataset(&mut g, site, d);
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_count_up_from_one() {
        let p = |total| Page { number: 1, total, path: "/catalog.ttl" }.last();
        assert_eq!((p(0), p(1), p(PAGE_SIZE), p(PAGE_SIZE + 1)), (1, 1, 1, 2));
    }

    #[test]
    fn periods_read_years_and_dates() {
        let p = |a, b| period(a, b).map(|(s, e)| format!("{s}/{e}"));
        assert_eq!(p("2024", "2024").as_deref(), Some("2024-01-01/2024-12-31"));
        assert_eq!(p("2023-07-01", "2024").as_deref(), Some("2023-07-01/2024-12-31"));
        assert_eq!(p("2024-03-01", "").as_deref(), Some("2024-03-01/"), "open-ended");
        assert_eq!(p("2024", "2023").as_deref(), Some("2024-01-01/"), "an end before the start is dropped");
        assert_eq!(p("2024-02-30", "2024"), None, "not a date");
        assert_eq!(p("tahun lalu", ""), None);
    }
}
