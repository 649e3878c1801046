//! The controlled vocabularies DCAT-AP asks for, and how Pendopo's own
//! values map onto them: the EU Publications Office's authority tables
//! (file type, frequency, language, data theme) and IANA's media types.
//! The labels are the tables' own English labels.
//!
//! The export describes each concept it uses (its class, its scheme and a
//! label), as a validator would otherwise have to import from the tables;
//! with it, the DCAT-AP SHACL shapes pass on the export alone.

use super::graph::Graph;

const EU: &str = "http://publications.europa.eu/resource/authority";

/// An EU authority table: its path and the class DCAT-AP expects of its concepts.
#[derive(Clone, Copy)]
pub enum Table {
    FileType,
    Frequency,
    Language,
    DataTheme,
}

impl Table {
    fn path(self) -> &'static str {
        match self {
            Table::FileType => "file-type",
            Table::Frequency => "frequency",
            Table::Language => "language",
            Table::DataTheme => "data-theme",
        }
    }

    /// The class the DCAT-AP range shapes ask of a value from this table.
    fn class(self) -> Option<&'static str> {
        match self {
            Table::FileType => Some("dct:MediaTypeOrExtent"),
            Table::Frequency => Some("dct:Frequency"),
            Table::Language => Some("dct:LinguisticSystem"),
            Table::DataTheme => None,
        }
    }

    pub fn scheme(self) -> String {
        format!("{EU}/{}", self.path())
    }

    fn scheme_title(self) -> &'static str {
        match self {
            Table::FileType => "File type",
            Table::Frequency => "Frequency",
            Table::Language => "Language",
            Table::DataTheme => "Data theme",
        }
    }
}

/// Adds a concept of an EU table (with its scheme) to the graph once, and
/// returns its IRI.
pub fn eu_concept(g: &mut Graph, table: Table, code: &str, label: &str) -> String {
    let iri = format!("{}/{code}", table.scheme());
    if !g.has(&iri) {
        g.iri(&iri, "rdf:type", "skos:Concept");
        if let Some(class) = table.class() {
            g.iri(&iri, "rdf:type", class);
        }
        g.text(&iri, "skos:prefLabel", label, Some("en"));
        g.iri(&iri, "skos:inScheme", table.scheme());
        scheme(g, &table.scheme(), table.scheme_title(), "en");
    }
    iri
}

/// A concept scheme, described once.
pub fn scheme(g: &mut Graph, iri: &str, title: &str, lang: &'static str) {
    if !g.has(iri) {
        g.iri(iri, "rdf:type", "skos:ConceptScheme");
        g.text(iri, "dct:title", title, Some(lang));
    }
}

/// Indonesian, the language of the metadata and of the data.
pub fn indonesian(g: &mut Graph) -> String {
    eu_concept(g, Table::Language, "IND", "Indonesian")
}

/// Pendopo's frequencies (model::FREQUENCIES) in the EU frequency table.
pub fn frequency(f: &str) -> Option<(&'static str, &'static str)> {
    Some(match f {
        "harian" => ("DAILY", "daily"),
        "mingguan" => ("WEEKLY", "weekly"),
        "bulanan" => ("MONTHLY", "monthly"),
        "triwulanan" => ("QUARTERLY", "quarterly"),
        "semesteran" => ("ANNUAL_2", "semiannual"),
        "tahunan" => ("ANNUAL", "annual"),
        "lima_tahunan" => ("QUINQUENNIAL", "quinquennial"),
        "tidak_tentu" => ("IRREG", "irregular"),
        _ => return None,
    })
}

/// A resource's format as written by its publisher (`CSV`, `xlsx`,
/// `text/csv`) to its EU file type and its IANA media type.
pub fn file_type(format: &str) -> Option<(&'static str, &'static str)> {
    let f = format.trim().trim_start_matches('.').to_ascii_uppercase();
    Some(match f.as_str() {
        "CSV" | "TEXT/CSV" => ("CSV", "text/csv"),
        "TSV" | "TEXT/TAB-SEPARATED-VALUES" => ("TSV", "text/tab-separated-values"),
        "XLSX" => ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "XLS" => ("XLS", "application/vnd.ms-excel"),
        "ODS" => ("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
        "JSON" | "APPLICATION/JSON" => ("JSON", "application/json"),
        "GEOJSON" | "APPLICATION/GEO+JSON" => ("GEOJSON", "application/geo+json"),
        "JSON-LD" | "JSONLD" => ("JSON_LD", "application/ld+json"),
        "XML" | "APPLICATION/XML" => ("XML", "application/xml"),
        "RDF" | "RDF/XML" => ("RDF_XML", "application/rdf+xml"),
        "TTL" | "TURTLE" => ("RDF_TURTLE", "text/turtle"),
        "KML" => ("KML", "application/vnd.google-earth.kml+xml"),
        "PDF" | "APPLICATION/PDF" => ("PDF", "application/pdf"),
        "DOCX" => ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "DOC" => ("DOC", "application/msword"),
        "TXT" | "TEXT/PLAIN" => ("TXT", "text/plain"),
        "HTML" | "TEXT/HTML" => ("HTML", "text/html"),
        "ZIP" | "APPLICATION/ZIP" => ("ZIP", "application/zip"),
        "PNG" | "IMAGE/PNG" => ("PNG", "image/png"),
        "JPEG" | "JPG" | "IMAGE/JPEG" => ("JPEG", "image/jpeg"),
        _ => return None,
    })
}

/// An IANA media type as DCAT-AP writes it, typed `dct:MediaType`.
pub fn media_type(g: &mut Graph, mime: &str) -> String {
    let iri = format!("https://www.iana.org/assignments/media-types/{mime}");
    if !g.has(&iri) {
        g.iri(&iri, "rdf:type", "dct:MediaType");
    }
    iri
}

const ADMS: &str = "http://purl.org/adms";

/// A concept of an ADMS vocabulary (publisher type, licence type), with its
/// scheme, described once.
fn adms_concept(g: &mut Graph, vocabulary: &str, code: &str, label: &str) -> String {
    let scheme_iri = format!("{ADMS}/{vocabulary}/1.0");
    let iri = format!("{ADMS}/{vocabulary}/{code}");
    if !g.has(&iri) {
        g.iri(&iri, "rdf:type", "skos:Concept");
        g.text(&iri, "skos:prefLabel", label, Some("en"));
        g.iri(&iri, "skos:inScheme", scheme_iri.clone());
        scheme(g, &scheme_iri, if vocabulary == "publishertype" { "Publisher type" } else { "Licence type" }, "en");
    }
    iri
}

/// The publisher type of a regional government and its agencies.
pub fn local_authority(g: &mut Graph) -> String {
    adms_concept(g, "publishertype", "LocalAuthority", "Local Authority")
}

/// What a licence (model::LICENSES) lets and asks, as ADMS licence types.
pub fn licence_types(id: &str) -> &'static [&'static str] {
    match id {
        "cc-by-4.0" | "odc-by" => &["Attribution"],
        "cc-by-sa-4.0" | "odc-odbl" => &["Attribution", "ShareAlike"],
        "cc-zero" | "odc-pddl" => &["PublicDomain"],
        _ => &[],
    }
}

pub fn licence_type(g: &mut Graph, code: &str) -> String {
    let label = match code {
        "ShareAlike" => "Share-alike",
        "PublicDomain" => "Public domain",
        c => c,
    };
    adms_concept(g, "licencetype", code, label)
}

/// The EU data themes, with their English labels.
const DATA_THEMES: &[(&str, &str)] = &[
    ("AGRI", "Agriculture, fisheries, forestry and food"),
    ("ECON", "Economy and finance"),
    ("EDUC", "Education, culture and sport"),
    ("ENER", "Energy"),
    ("ENVI", "Environment"),
    ("GOVE", "Government and public sector"),
    ("HEAL", "Health"),
    ("INTR", "International issues"),
    ("JUST", "Justice, legal system and public safety"),
    ("REGI", "Regions and cities"),
    ("SOCI", "Population and society"),
    ("TECH", "Science and technology"),
    ("TRAN", "Transport"),
];

/// The EU data themes closest to a group. The six default groups are the
/// dimensions of the national smart city framework (model::SMART_CITY_GROUPS),
/// each wider than any one EU theme, hence close (not exact) matches; a
/// group a region made itself has none.
pub fn data_themes(group: &str) -> &'static [&'static str] {
    match group {
        "smart-governance" => &["GOVE"],
        "smart-branding" => &["ECON", "REGI"],
        "smart-economy" => &["ECON"],
        "smart-living" => &["HEAL", "TRAN", "REGI"],
        "smart-society" => &["SOCI", "EDUC", "JUST"],
        "smart-environment" => &["ENVI", "ENER"],
        _ => &[],
    }
}

/// An EU data theme concept, described once.
pub fn data_theme(g: &mut Graph, code: &str) -> String {
    let label = DATA_THEMES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or(code);
    eu_concept(g, Table::DataTheme, code, label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slices::catalog::model::{FREQUENCIES, SMART_CITY_GROUPS};

    #[test]
    fn every_frequency_and_default_group_maps() {
        for f in FREQUENCIES {
            assert!(frequency(f).is_some(), "{f}");
        }
        for (name, _, _) in SMART_CITY_GROUPS {
            let themes = data_themes(name);
            assert!(!themes.is_empty(), "{name}");
            assert!(themes.iter().all(|t| DATA_THEMES.iter().any(|(c, _)| c == t)), "{name}");
        }
    }

    #[test]
    fn formats_map_whatever_their_case() {
        assert_eq!(file_type(" csv "), Some(("CSV", "text/csv")));
        assert_eq!(file_type(".XLSX").map(|f| f.0), Some("XLSX"));
        assert_eq!(file_type("application/geo+json").map(|f| f.0), Some("GEOJSON"));
        assert_eq!(file_type("SAV"), None);
    }
}
