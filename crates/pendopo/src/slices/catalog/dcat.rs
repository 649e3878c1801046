//! DCAT-AP 3 export of the public catalog, for national harvesters: the
//! catalogue and each dataset as JSON-LD and as Turtle. Both are written
//! from one list of triples, so they always say the same thing.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::model;
use super::repo::Dataset;
use crate::clock::iso_utc;

const PREFIXES: &[(&str, &str)] = &[
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

#[derive(Debug, Clone, PartialEq)]
enum Object {
    Iri(String),
    Text { value: String, lang: Option<&'static str> },
    Typed { value: String, datatype: &'static str },
}

/// Triples grouped by subject, in the order they were added.
#[derive(Default)]
pub struct Graph {
    order: Vec<String>,
    nodes: BTreeMap<String, Vec<(&'static str, Object)>>,
}

impl Graph {
    fn add(&mut self, subject: &str, predicate: &'static str, object: Object) {
        if !self.nodes.contains_key(subject) {
            self.order.push(subject.to_string());
        }
        self.nodes.entry(subject.to_string()).or_default().push((predicate, object));
    }

    fn iri(&mut self, s: &str, p: &'static str, o: impl Into<String>) {
        self.add(s, p, Object::Iri(o.into()));
    }

    fn text(&mut self, s: &str, p: &'static str, o: &str, lang: Option<&'static str>) {
        if !o.trim().is_empty() {
            self.add(s, p, Object::Text { value: o.to_string(), lang });
        }
    }

    fn typed(&mut self, s: &str, p: &'static str, o: String, datatype: &'static str) {
        self.add(s, p, Object::Typed { value: o, datatype });
    }

    /// `prefix:name` to a full IRI.
    fn expand(curie: &str) -> String {
        match curie.split_once(':') {
            Some((p, local)) => match PREFIXES.iter().find(|(k, _)| *k == p) {
                Some((_, base)) => format!("{base}{local}"),
                None => curie.to_string(),
            },
            None => curie.to_string(),
        }
    }

    pub fn to_turtle(&self) -> String {
        let mut out = String::new();
        for (p, base) in PREFIXES {
            out.push_str(&format!("@prefix {p}: <{base}> .\n"));
        }
        for subject in &self.order {
            out.push_str(&format!("\n<{}>", escape_iri(subject)));
            let triples = &self.nodes[subject];
            for (i, (predicate, object)) in triples.iter().enumerate() {
                let o = match object {
                    Object::Iri(iri) if iri.contains("://") || iri.starts_with('#') => format!("<{}>", escape_iri(iri)),
                    Object::Iri(curie) => curie.clone(),
                    Object::Text { value, lang: Some(l) } => format!("{}@{l}", quote(value)),
                    Object::Text { value, lang: None } => quote(value),
                    Object::Typed { value, datatype } => format!("{}^^{datatype}", quote(value)),
                };
                let sep = if i + 1 == triples.len() { " ." } else { " ;" };
                out.push_str(&format!("\n    {predicate} {o}{sep}"));
            }
            out.push('\n');
        }
        out
    }

    pub fn to_json_ld(&self) -> Value {
        let context: Map<String, Value> = PREFIXES.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        let mut graph = Vec::new();
        for subject in &self.order {
            let mut node = Map::new();
            node.insert("@id".into(), json!(escape_iri(subject)));
            for (predicate, object) in &self.nodes[subject] {
                let (key, value) = match (*predicate, object) {
                    ("rdf:type", Object::Iri(t)) => ("@type".to_string(), json!(t)),
                    (p, Object::Iri(iri)) => {
                        (p.to_string(), json!({"@id": if iri.contains("://") { escape_iri(iri) } else { Self::expand(iri) }}))
                    }
                    (p, Object::Text { value, lang: Some(l) }) => (p.to_string(), json!({"@value": value, "@language": l})),
                    (p, Object::Text { value, lang: None }) => (p.to_string(), json!(value)),
                    (p, Object::Typed { value, datatype }) => (p.to_string(), json!({"@value": value, "@type": datatype})),
                };
                match node.get_mut(&key) {
                    Some(Value::Array(a)) => a.push(value),
                    Some(existing) => {
                        let first = existing.take();
                        *existing = json!([first, value]);
                    }
                    None => {
                        node.insert(key, value);
                    }
                }
            }
            graph.push(Value::Object(node));
        }
        json!({"@context": context, "@graph": graph})
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// IRIs here are our own URLs and resource links; characters Turtle does not
/// allow in an IRI are percent-encoded.
fn escape_iri(iri: &str) -> String {
    iri.chars().map(|c| if c.is_control() || " <>\"{}|^`\\".contains(c) { format!("%{:02X}", c as u32) } else { c.to_string() }).collect()
}

fn frequency_iri(f: &str) -> Option<&'static str> {
    // The EU frequency vocabulary, which DCAT-AP recommends.
    Some(match f {
        "harian" => "http://publications.europa.eu/resource/authority/frequency/DAILY",
        "mingguan" => "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
        "bulanan" => "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
        "triwulanan" => "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
        "semesteran" => "http://publications.europa.eu/resource/authority/frequency/ANNUAL_2",
        "tahunan" => "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
        "lima_tahunan" => "http://publications.europa.eu/resource/authority/frequency/QUINQUENNIAL",
        "tidak_tentu" => "http://publications.europa.eu/resource/authority/frequency/IRREG",
        _ => return None,
    })
}

fn add_dataset(g: &mut Graph, base: &str, d: &Dataset) -> String {
    let id = format!("{base}/dataset/{}", d.name);
    g.iri(&id, "rdf:type", "dcat:Dataset");
    g.text(&id, "dct:title", &d.title, Some("id"));
    g.text(&id, "dct:description", if d.notes.is_empty() { &d.title } else { &d.notes }, Some("id"));
    g.text(&id, "dct:identifier", &d.id, None);
    g.iri(&id, "dcat:landingPage", id.clone());
    g.typed(&id, "dct:issued", format!("{}Z", iso_utc(d.published_at.unwrap_or(d.created_at))), "xsd:dateTime");
    g.typed(&id, "dct:modified", format!("{}Z", iso_utc(d.updated_at)), "xsd:dateTime");
    for t in &d.tags {
        g.text(&id, "dcat:keyword", t, Some("id"));
    }
    for group in &d.groups {
        g.iri(&id, "dcat:theme", format!("{base}/group/{}", group.name));
    }
    let publisher = format!("{base}/organization/{}", d.org.slug);
    g.iri(&id, "dct:publisher", publisher.clone());
    g.iri(&publisher, "rdf:type", "foaf:Agent");
    g.text(&publisher, "foaf:name", &d.org.name, Some("id"));
    if let Some(f) = frequency_iri(&d.satudata.frekuensi) {
        g.iri(&id, "dct:accrualPeriodicity", f);
    }
    if !d.satudata.cakupan_wilayah.is_empty() {
        g.iri(&id, "dct:spatial", format!("{base}/wilayah/{}", d.satudata.cakupan_wilayah));
    }
    let license = model::license(&d.license_id).map(|l| l.url).filter(|u| !u.is_empty());
    for r in &d.resources {
        let dist = format!("{base}/dataset/{}/resource/{}", d.name, r.id);
        g.iri(&id, "dcat:distribution", dist.clone());
        g.iri(&dist, "rdf:type", "dcat:Distribution");
        g.text(&dist, "dct:title", &r.name, Some("id"));
        g.text(&dist, "dct:description", &r.description, Some("id"));
        let url = if r.url_type == "upload" { format!("{base}{}", r.url) } else { r.url.clone() };
        if !url.is_empty() {
            g.iri(&dist, "dcat:accessURL", url.clone());
            if r.url_type == "upload" {
                g.iri(&dist, "dcat:downloadURL", url);
            }
        }
        g.text(&dist, "dct:format", &r.format, None);
        if let Some(size) = r.size {
            g.typed(&dist, "dcat:byteSize", size.to_string(), "xsd:nonNegativeInteger");
        }
        if let Some(l) = license {
            g.iri(&dist, "dct:license", l);
        }
    }
    id
}

/// The whole public catalogue.
pub fn catalog(base: &str, title: &str, datasets: &[Dataset]) -> Graph {
    let mut g = Graph::default();
    let id = format!("{base}/catalog");
    g.iri(&id, "rdf:type", "dcat:Catalog");
    g.text(&id, "dct:title", title, Some("id"));
    g.text(&id, "dct:description", &format!("Katalog Satu Data {title}"), Some("id"));
    let publisher = format!("{base}/#publisher");
    g.iri(&id, "dct:publisher", publisher.clone());
    g.iri(&id, "foaf:homepage", format!("{base}/"));
    let mut ids = Vec::new();
    let mut rest = Graph::default();
    for d in datasets {
        ids.push(add_dataset(&mut rest, base, d));
    }
    for d in ids {
        g.iri(&id, "dcat:dataset", d);
    }
    g.iri(&publisher, "rdf:type", "foaf:Agent");
    g.text(&publisher, "foaf:name", title, Some("id"));
    for s in rest.order {
        for (p, o) in rest.nodes.remove(&s).unwrap_or_default() {
            g.add(&s, p, o);
        }
    }
    g
}

/// One dataset.
pub fn dataset(base: &str, d: &Dataset) -> Graph {
    let mut g = Graph::default();
    add_dataset(&mut g, base, d);
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_escapes_literals_and_iris() {
        let mut g = Graph::default();
        g.iri("http://x.id/a", "rdf:type", "dcat:Dataset");
        g.text("http://x.id/a", "dct:title", "Jalan \"rusak\"\nBaris 2", Some("id"));
        g.iri("http://x.id/a", "dcat:accessURL", "http://x.id/a b");
        let ttl = g.to_turtle();
        assert!(ttl.contains(r#"dct:title "Jalan \"rusak\"\nBaris 2"@id ;"#), "{ttl}");
        assert!(ttl.contains("<http://x.id/a%20b> ."));
        let ld = g.to_json_ld();
        assert_eq!(ld["@graph"][0]["@type"], "dcat:Dataset");
        assert_eq!(ld["@graph"][0]["dcat:accessURL"]["@id"], "http://x.id/a%20b");
    }
}
