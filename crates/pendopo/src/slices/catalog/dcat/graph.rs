//! A small RDF graph and its three serializations: Turtle, JSON-LD and
//! RDF/XML. All three are written from the same triples, so a harvester gets
//! the same graph whichever it asks for (tests/dcat/check.py compares them).
//! Subjects are IRIs only: what would be a blank node gets a hash IRI of its
//! own (`…#temporal`), which keeps the writers simple.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

pub const PREFIXES: &[(&str, &str)] = &[
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// A full IRI.
    Iri(String),
    Text {
        value: String,
        lang: Option<&'static str>,
    },
    /// `datatype` is a `prefix:name` of [`PREFIXES`].
    Typed {
        value: String,
        datatype: &'static str,
    },
}

/// Triples grouped by subject, in the order they were added. Predicates are
/// `prefix:name` of [`PREFIXES`].
#[derive(Default)]
pub struct Graph {
    order: Vec<String>,
    nodes: BTreeMap<String, Vec<(&'static str, Object)>>,
}

impl Graph {
    /// Whether the graph says anything about `subject` yet.
    pub fn has(&self, subject: &str) -> bool {
        self.nodes.contains_key(subject)
    }

    pub fn add(&mut self, subject: &str, predicate: &'static str, object: Object) {
        if !self.nodes.contains_key(subject) {
            self.order.push(subject.to_string());
        }
        let triples = self.nodes.entry(subject.to_string()).or_default();
        // A graph is a set: the same statement twice is one statement.
        if !triples.iter().any(|(p, o)| *p == predicate && *o == object) {
            triples.push((predicate, object));
        }
    }

    /// An IRI object: a full IRI, or a `prefix:name` of [`PREFIXES`].
    pub fn iri(&mut self, s: &str, p: &'static str, o: impl Into<String>) {
        let o = o.into();
        self.add(s, p, Object::Iri(expand(&o).unwrap_or(o)));
    }

    /// A text; empty ones are left out, and characters XML cannot carry
    /// (control characters other than tab and line breaks) are dropped in
    /// every format alike.
    pub fn text(&mut self, s: &str, p: &'static str, o: &str, lang: Option<&'static str>) {
        let value: String = o.chars().filter(|c| xml_char(*c)).collect();
        if !value.trim().is_empty() {
            self.add(s, p, Object::Text { value, lang });
        }
    }

    pub fn typed(&mut self, s: &str, p: &'static str, o: String, datatype: &'static str) {
        self.add(s, p, Object::Typed { value: o, datatype });
    }

    /// The subjects in the order they were first described.
    pub fn subjects(&self) -> &[String] {
        &self.order
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
                    Object::Iri(iri) => compact(iri).unwrap_or_else(|| format!("<{}>", escape_iri(iri))),
                    Object::Text { value, lang: Some(l) } => format!("{}@{l}", quote(value)),
                    Object::Text { value, lang: None } => quote(value),
                    Object::Typed { value, datatype } => format!("{}^^{datatype}", quote(value)),
                };
                let sep = if i + 1 == triples.len() { " ." } else { " ;" };
                let p = if *predicate == "rdf:type" { "a" } else { predicate };
                out.push_str(&format!("\n    {p} {o}{sep}"));
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
                    ("rdf:type", Object::Iri(t)) => ("@type".to_string(), json!(compact(t).unwrap_or_else(|| escape_iri(t)))),
                    (p, Object::Iri(iri)) => (p.to_string(), json!({"@id": escape_iri(iri)})),
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

    /// RDF/XML in its plainest form: one `rdf:Description` per subject, one
    /// element per triple, every prefix declared on the root.
    pub fn to_rdf_xml(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF");
        for (p, base) in PREFIXES {
            out.push_str(&format!("\n    xmlns:{p}=\"{}\"", xml_attr(base)));
        }
        out.push_str(">\n");
        for subject in &self.order {
            out.push_str(&format!("  <rdf:Description rdf:about=\"{}\">\n", xml_attr(&escape_iri(subject))));
            for (p, object) in &self.nodes[subject] {
                let line = match object {
                    Object::Iri(iri) => format!("<{p} rdf:resource=\"{}\"/>", xml_attr(&escape_iri(iri))),
                    Object::Text { value, lang: Some(l) } => format!("<{p} xml:lang=\"{l}\">{}</{p}>", xml_text(value)),
                    Object::Text { value, lang: None } => format!("<{p}>{}</{p}>", xml_text(value)),
                    Object::Typed { value, datatype } => {
                        let dt = expand(datatype).unwrap_or_else(|| datatype.to_string());
                        format!("<{p} rdf:datatype=\"{}\">{}</{p}>", xml_attr(&dt), xml_text(value))
                    }
                };
                out.push_str(&format!("    {line}\n"));
            }
            out.push_str("  </rdf:Description>\n");
        }
        out.push_str("</rdf:RDF>\n");
        out
    }
}

/// `prefix:name` to a full IRI, when the prefix is one of ours.
fn expand(curie: &str) -> Option<String> {
    let (p, local) = curie.split_once(':')?;
    let (_, base) = PREFIXES.iter().find(|(k, _)| *k == p)?;
    Some(format!("{base}{local}"))
}

/// A full IRI as `prefix:name` when the rest is a plain name (letters,
/// digits, `_` and `-`, not starting with a digit or `-`), which is valid
/// in Turtle and JSON-LD alike.
fn compact(iri: &str) -> Option<String> {
    PREFIXES.iter().find_map(|(p, base)| {
        let local = iri.strip_prefix(base)?;
        let first = local.chars().next()?;
        let plain = first.is_ascii_alphabetic() && local.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        plain.then(|| format!("{p}:{local}"))
    })
}

/// Characters XML 1.0 can carry.
fn xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
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

/// XML escaping. In element text a bare `\r` would be read back as `\n`,
/// so it goes as a character reference; in an attribute (`attr`) quotes too,
/// and tabs and line feeds, which a parser would turn into spaces.
fn xml_escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attr => out.push_str("&quot;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

fn xml_text(s: &str) -> String {
    xml_escape(s, false)
}

fn xml_attr(s: &str) -> String {
    xml_escape(s, true)
}

/// IRIs here are our own URLs and resource links; characters Turtle does not
/// allow in an IRI are percent-encoded.
fn escape_iri(iri: &str) -> String {
    iri.chars().map(|c| if c.is_control() || " <>\"{}|^`\\".contains(c) { format!("%{:02X}", c as u32) } else { c.to_string() }).collect()
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
        assert!(ttl.contains("    a dcat:Dataset ;"));
        let ld = g.to_json_ld();
        assert_eq!(ld["@graph"][0]["@type"], "dcat:Dataset");
        assert_eq!(ld["@graph"][0]["dcat:accessURL"]["@id"], "http://x.id/a%20b");
    }

    #[test]
    fn rdf_xml_escapes_text_and_attributes() {
        let mut g = Graph::default();
        g.iri("http://x.id/a?x=1&y=2", "rdf:type", "dcat:Dataset");
        g.text("http://x.id/a?x=1&y=2", "dct:title", "A & B <c> \"d\"\r\n\u{1}e", Some("id"));
        g.typed("http://x.id/a?x=1&y=2", "dcat:byteSize", "12".into(), "xsd:nonNegativeInteger");
        g.iri("http://x.id/a?x=1&y=2", "dcat:accessURL", "http://x.id/\"q\"");
        let xml = g.to_rdf_xml();
        assert!(xml.contains(r#"<rdf:Description rdf:about="http://x.id/a?x=1&amp;y=2">"#), "{xml}");
        assert!(xml.contains(r#"<rdf:type rdf:resource="http://www.w3.org/ns/dcat#Dataset"/>"#), "{xml}");
        assert!(xml.contains("<dct:title xml:lang=\"id\">A &amp; B &lt;c&gt; \"d\"&#13;\ne</dct:title>"), "{xml}");
        assert!(xml.contains(r#"<dcat:byteSize rdf:datatype="http://www.w3.org/2001/XMLSchema#nonNegativeInteger">12</dcat:byteSize>"#));
        assert!(xml.contains(r#"<dcat:accessURL rdf:resource="http://x.id/%22q%22"/>"#), "{xml}");
    }

    #[test]
    fn iris_compact_only_to_plain_names() {
        assert_eq!(compact("http://www.w3.org/ns/dcat#Dataset").as_deref(), Some("dcat:Dataset"));
        assert_eq!(compact("http://purl.org/dc/terms/a/b"), None);
        assert_eq!(compact("http://purl.org/dc/terms/"), None);
        assert_eq!(expand("mailto:a@b.id"), None, "not one of our prefixes");
    }
}
