//! A draft-04 JSON Schema compiled into a node table, for the keywords the
//! OCDS schemas use.
//!
//! Why not a general JSON Schema crate: the OCDS checks (additional fields,
//! deprecated fields, codelists) need to know which schema node describes
//! each value anyway, and the standard's own extension keywords
//! (`codelist`, `openCodelist`, `deprecated`) sit beside `$ref`, where
//! draft-04 ignores them. One walk over a compiled table does the validation
//! and those checks together, with messages that name OCDS concepts.
//!
//! Supported: `type`, `properties`, `patternProperties`, `required`,
//! `items` (a single schema), `enum`, `pattern`, `format` (`date-time`,
//! `uri`, `email`; others are ignored, as draft-04 allows),
//! `minLength`/`maxLength`, `minItems`/`maxItems`, `minProperties`/
//! `maxProperties`, `minimum`/`maximum`, `uniqueItems`, `oneOf`, `anyOf`,
//! `allOf`, and `$ref` to `#/...` pointers or to another registered schema by
//! its `id`. `additionalProperties: false` is honoured as an error; other
//! keywords are not used by OCDS 1.1.5 and are refused at compile time, so a
//! schema that needs them fails loudly rather than validating less.

use std::collections::HashMap;

use regex_lite::Regex;
use serde_json::Value;

use super::codelist::Codelist;

pub(crate) type NodeId = usize;

/// JSON types a node allows, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Types(u8);

impl Types {
    const NAMES: [&'static str; 7] = ["null", "boolean", "object", "array", "number", "string", "integer"];

    fn parse(value: &Value) -> Option<Types> {
        let bit = |name: &str| Types::NAMES.iter().position(|n| *n == name).map(|i| 1u8 << i);
        match value {
            Value::String(name) => bit(name).map(Types),
            Value::Array(names) => names.iter().try_fold(0u8, |acc, n| Some(acc | bit(n.as_str()?)?)).map(Types),
            _ => None,
        }
    }

    /// Whether `value` has one of the allowed types. `integer` is a number
    /// written without a fraction, as draft-04 defines it; `number` includes
    /// integers.
    pub(crate) fn allows(self, value: &Value) -> bool {
        let has = |name: &str| Types::NAMES.iter().position(|n| *n == name).is_some_and(|i| self.0 & (1 << i) != 0);
        match value {
            Value::Null => has("null"),
            Value::Bool(_) => has("boolean"),
            Value::Object(_) => has("object"),
            Value::Array(_) => has("array"),
            Value::String(_) => has("string"),
            Value::Number(n) => has("number") || (has("integer") && (n.is_i64() || n.is_u64())),
        }
    }

    /// `"string or null"`, for messages.
    pub(crate) fn describe(self) -> String {
        let names: Vec<&str> = Types::NAMES.iter().enumerate().filter(|(i, _)| self.0 & (1 << i) != 0).map(|(_, n)| *n).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            Some((last, _)) => (*last).to_owned(),
            None => "nothing".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    DateTime,
    Uri,
    Email,
}

/// A codelist annotation: index into the validator's codelists, and whether
/// the codelist is open (values outside it are allowed but noted).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodelistRef {
    pub(crate) index: usize,
    pub(crate) open: bool,
}

/// One compiled schema object.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// `$ref` target: draft-04 ignores every sibling validation keyword.
    pub(crate) reference: Option<NodeId>,
    pub(crate) types: Option<Types>,
    /// Sorted by name, for binary search.
    pub(crate) properties: Vec<(Box<str>, NodeId)>,
    pub(crate) pattern_properties: Vec<(Regex, NodeId)>,
    /// Whether the node lists its fields (`properties`/`patternProperties`):
    /// only then is an unknown field "additional".
    pub(crate) describes_fields: bool,
    pub(crate) no_additional: bool,
    pub(crate) required: Vec<Box<str>>,
    pub(crate) items: Option<NodeId>,
    pub(crate) enumeration: Option<Vec<Value>>,
    pub(crate) pattern: Option<(Regex, Box<str>)>,
    pub(crate) format: Option<Format>,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) min_items: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) min_properties: Option<u64>,
    pub(crate) max_properties: Option<u64>,
    pub(crate) minimum: Option<f64>,
    pub(crate) maximum: Option<f64>,
    pub(crate) unique_items: bool,
    pub(crate) one_of: Vec<NodeId>,
    pub(crate) any_of: Vec<NodeId>,
    pub(crate) all_of: Vec<NodeId>,
    /// OCDS annotations, kept even beside `$ref`.
    pub(crate) codelist: Option<CodelistRef>,
    pub(crate) deprecated: Option<Box<str>>,
}

impl Node {
    pub(crate) fn property(&self, name: &str) -> Option<NodeId> {
        self.properties.binary_search_by(|(n, _)| (**n).cmp(name)).ok().map(|i| self.properties[i].1)
    }
}

/// Why a schema could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// JSON pointer of the offending schema object, with the schema's `id`.
    pub location: String,
    pub reason: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "schema {}: {}", self.location, self.reason)
    }
}

impl std::error::Error for SchemaError {}

/// The compiled node table.
#[derive(Debug, Default)]
pub(crate) struct Schema {
    pub(crate) nodes: Vec<Node>,
}

impl Schema {
    /// Follows `$ref`s to the node that holds the validation keywords.
    /// Bounded, so a schema whose refs loop only on themselves cannot hang.
    pub(crate) fn resolve(&self, mut id: NodeId) -> NodeId {
        for _ in 0..64 {
            match self.nodes[id].reference {
                Some(next) => id = next,
                None => break,
            }
        }
        id
    }
}

/// Compiles several documents that refer to each other by `id`.
pub(crate) struct Compiler<'a> {
    docs: Vec<(String, &'a Value)>,
    memo: HashMap<(usize, String), NodeId>,
    schema: Schema,
    codelists: &'a [Codelist],
}

impl<'a> Compiler<'a> {
    pub(crate) fn new(codelists: &'a [Codelist]) -> Compiler<'a> {
        Compiler { docs: Vec::new(), memo: HashMap::new(), schema: Schema::default(), codelists }
    }

    /// Registers a document under `uri` (its `id`, without a fragment).
    pub(crate) fn add(&mut self, uri: &str, doc: &'a Value) -> usize {
        self.docs.push((uri.trim_end_matches('#').to_owned(), doc));
        self.docs.len() - 1
    }

    /// Compiles the root of document `doc`.
    pub(crate) fn root(&mut self, doc: usize) -> Result<NodeId, SchemaError> {
        self.compile(doc, String::new())
    }

    pub(crate) fn finish(self) -> Schema {
        self.schema
    }

    fn error(&self, doc: usize, pointer: &str, reason: impl Into<String>) -> SchemaError {
        SchemaError { location: format!("{}#{pointer}", self.docs[doc].0), reason: reason.into() }
    }

    fn compile(&mut self, doc: usize, pointer: String) -> Result<NodeId, SchemaError> {
        if let Some(&id) = self.memo.get(&(doc, pointer.clone())) {
            return Ok(id);
        }
        let Some(value) = self.docs[doc].1.pointer(&pointer) else {
            return Err(self.error(doc, &pointer, "no schema at this pointer"));
        };
        let Some(object) = value.as_object() else {
            return Err(self.error(doc, &pointer, "a schema must be an object"));
        };
        // Reserve the slot first so that recursive definitions refer to it.
        let id = self.schema.nodes.len();
        self.schema.nodes.push(Node::default());
        self.memo.insert((doc, pointer.clone()), id);

        let mut node = Node::default();
        let child = |key: &str| format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));

        node.codelist = match object.get("codelist").and_then(Value::as_str) {
            Some(name) => self.codelists.iter().position(|c| &*c.name == name).map(|index| CodelistRef {
                index,
                // A codelist is closed only when the schema says so.
                open: object.get("openCodelist").and_then(Value::as_bool).unwrap_or(true),
            }),
            None => None,
        };
        node.deprecated = object.get("deprecated").filter(|d| !d.is_null() && d != &&Value::Bool(false)).map(|d| {
            let version = d.get("deprecatedVersion").and_then(Value::as_str).unwrap_or("?");
            match d.get("description").and_then(Value::as_str) {
                Some(why) => format!("Deprecated in OCDS {version}: {why}").into_boxed_str(),
                None => format!("Deprecated in OCDS {version}").into_boxed_str(),
            }
        });

        if let Some(target) = object.get("$ref") {
            let Some(target) = target.as_str() else {
                return Err(self.error(doc, &pointer, "$ref must be a string"));
            };
            let (target_doc, target_pointer) = self.locate(doc, &pointer, target)?;
            node.reference = Some(self.compile(target_doc, target_pointer)?);
            self.schema.nodes[id] = node;
            return Ok(id);
        }

        for (key, value) in object {
            let here = child(key);
            match key.as_str() {
                "type" => node.types = Some(Types::parse(value).ok_or_else(|| self.error(doc, &here, "unknown type"))?),
                "properties" => {
                    let Some(properties) = value.as_object() else {
                        return Err(self.error(doc, &here, "properties must be an object"));
                    };
                    node.describes_fields = true;
                    for name in properties.keys() {
                        let compiled = self.compile(doc, format!("{here}/{}", name.replace('~', "~0").replace('/', "~1")))?;
                        node.properties.push((name.as_str().into(), compiled));
                    }
                    node.properties.sort_by(|a, b| a.0.cmp(&b.0));
                }
                "patternProperties" => {
                    let Some(patterns) = value.as_object() else {
                        return Err(self.error(doc, &here, "patternProperties must be an object"));
                    };
                    node.describes_fields = true;
                    for name in patterns.keys() {
                        let regex = Regex::new(name).map_err(|e| self.error(doc, &here, format!("bad pattern {name:?}: {e}")))?;
                        let compiled = self.compile(doc, format!("{here}/{}", name.replace('~', "~0").replace('/', "~1")))?;
                        node.pattern_properties.push((regex, compiled));
                    }
                }
                "additionalProperties" => match value {
                    Value::Bool(allowed) => node.no_additional = !allowed,
                    _ => return Err(self.error(doc, &here, "only a boolean additionalProperties is supported")),
                },
                "required" => {
                    let names = value.as_array().map(|a| a.iter().filter_map(Value::as_str).map(Into::into).collect());
                    node.required = names.ok_or_else(|| self.error(doc, &here, "required must be an array"))?;
                }
                "items" => {
                    if !value.is_object() {
                        return Err(self.error(doc, &here, "only a single schema in items is supported"));
                    }
                    node.items = Some(self.compile(doc, here)?);
                }
                "enum" => {
                    node.enumeration = Some(value.as_array().cloned().ok_or_else(|| self.error(doc, &here, "enum must be an array"))?)
                }
                "pattern" => {
                    let text = value.as_str().ok_or_else(|| self.error(doc, &here, "pattern must be a string"))?;
                    let regex = Regex::new(text).map_err(|e| self.error(doc, &here, format!("bad pattern: {e}")))?;
                    node.pattern = Some((regex, text.into()));
                }
                "format" => {
                    node.format = match value.as_str() {
                        Some("date-time") => Some(Format::DateTime),
                        Some("uri") => Some(Format::Uri),
                        Some("email") => Some(Format::Email),
                        // Draft-04 lets validators ignore formats they do not know.
                        _ => None,
                    }
                }
                "minLength" => node.min_length = Some(self.count(doc, &here, value)?),
                "maxLength" => node.max_length = Some(self.count(doc, &here, value)?),
                "minItems" => node.min_items = Some(self.count(doc, &here, value)?),
                "maxItems" => node.max_items = Some(self.count(doc, &here, value)?),
                "minProperties" => node.min_properties = Some(self.count(doc, &here, value)?),
                "maxProperties" => node.max_properties = Some(self.count(doc, &here, value)?),
                "minimum" => node.minimum = Some(value.as_f64().ok_or_else(|| self.error(doc, &here, "minimum must be a number"))?),
                "maximum" => node.maximum = Some(value.as_f64().ok_or_else(|| self.error(doc, &here, "maximum must be a number"))?),
                "uniqueItems" => node.unique_items = value.as_bool().unwrap_or(false),
                "oneOf" | "anyOf" | "allOf" => {
                    let Some(branches) = value.as_array() else {
                        return Err(self.error(doc, &here, "must be an array of schemas"));
                    };
                    let mut compiled = Vec::with_capacity(branches.len());
                    for i in 0..branches.len() {
                        compiled.push(self.compile(doc, format!("{here}/{i}"))?);
                    }
                    match key.as_str() {
                        "oneOf" => node.one_of = compiled,
                        "anyOf" => node.any_of = compiled,
                        _ => node.all_of = compiled,
                    }
                }
                "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" | "additionalItems" | "dependencies" | "not" => {
                    return Err(self.error(doc, &here, format!("keyword {key} is not supported")));
                }
                // Annotations and OCDS metadata (title, description,
                // mergeStrategy, wholeListMerge, omitWhenMerged, versionId,
                // definitions, ...) do not validate.
                _ => {}
            }
        }
        self.schema.nodes[id] = node;
        Ok(id)
    }

    fn count(&self, doc: usize, pointer: &str, value: &Value) -> Result<u64, SchemaError> {
        value.as_u64().ok_or_else(|| self.error(doc, pointer, "expected a non-negative integer"))
    }

    /// Splits a `$ref` into (document, JSON pointer).
    fn locate(&self, doc: usize, pointer: &str, target: &str) -> Result<(usize, String), SchemaError> {
        let (uri, fragment) = target.split_once('#').unwrap_or((target, ""));
        let target_doc = if uri.is_empty() {
            doc
        } else {
            self.docs.iter().position(|(id, _)| id == uri).ok_or_else(|| self.error(doc, pointer, format!("unknown schema {uri}")))?
        };
        Ok((target_doc, fragment.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_describe_and_allow() {
        let t = Types::parse(&json!(["string", "integer", "null"])).unwrap();
        assert_eq!(t.describe(), "null, string or integer");
        assert!(t.allows(&json!(3)));
        assert!(!t.allows(&json!(3.5)));
        assert!(t.allows(&Value::Null));
        assert!(Types::parse(&json!("number")).unwrap().allows(&json!(3)));
        assert!(Types::parse(&json!("strin")).is_none());
    }

    #[test]
    fn refs_and_recursion_compile_once() {
        let doc = json!({
            "definitions": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/definitions/Node"}}}},
            "$ref": "#/definitions/Node"
        });
        let mut compiler = Compiler::new(&[]);
        let d = compiler.add("urn:test", &doc);
        let root = compiler.root(d).unwrap();
        let schema = compiler.finish();
        let node = schema.resolve(root);
        let child = schema.nodes[node].property("child").unwrap();
        assert_eq!(schema.resolve(child), node);
    }

    #[test]
    fn unsupported_keywords_and_bad_refs_are_refused() {
        for doc in [json!({"not": {}}), json!({"$ref": "#/definitions/Missing"}), json!({"$ref": "urn:elsewhere"})] {
            let mut compiler = Compiler::new(&[]);
            let d = compiler.add("urn:test", &doc);
            assert!(compiler.root(d).is_err(), "{doc}");
        }
    }
}
