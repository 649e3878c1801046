//! Merge rules derived from a release schema.
//!
//! The schema is walked once: `$ref`s are followed into the schema itself,
//! and every field whose merge differs from the default gets a rule keyed by
//! its JSON pointer without array indices (`/tender/items/additionalClassifications`).
//! Fields with no rule follow the data: objects merge recursively, arrays of
//! objects merge by `id`, everything else is a literal.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::MergeError;

/// How one field is merged, when it differs from the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `omitWhenMerged: true` (or 1.0's `mergeStrategy: "ocdsOmit"`): the
    /// field is dropped from compiled and versioned releases.
    Omit,
    /// Whole list merge: the array is replaced (and versioned) as one
    /// literal value. From `wholeListMerge: true` (1.0: `mergeStrategy:
    /// "ocdsVersion"`), arrays whose items are not objects, and arrays of
    /// objects whose item schema has no `id` property.
    WholeList,
    /// Not derived from a schema; set with [`Merger::with_rule`](super::Merger::with_rule):
    /// every object of the array is appended, even when its `id` was seen
    /// before (the reference implementation's `APPEND` override).
    Append,
    /// Not derived from a schema; set with [`Merger::with_rule`](super::Merger::with_rule):
    /// objects are matched by their position in the array instead of their
    /// `id` (the reference implementation's `MERGE_BY_POSITION` override).
    MergeByPosition,
}

/// A trie over field names, built from the rules table, so that the merge
/// looks rules up while it walks the data instead of building pointers.
#[derive(Debug, Default, Clone)]
pub(crate) struct RuleNode {
    pub(crate) rule: Option<Rule>,
    children: HashMap<String, RuleNode>,
}

impl RuleNode {
    pub(crate) fn child(&self, key: &str) -> Option<&RuleNode> {
        self.children.get(key)
    }

    pub(crate) fn from_table(table: &BTreeMap<String, Rule>) -> RuleNode {
        let mut root = RuleNode::default();
        for (pointer, rule) in table {
            let mut node = &mut root;
            for part in split_pointer(pointer) {
                node = node.children.entry(part).or_default();
            }
            node.rule = Some(*rule);
        }
        root
    }
}

/// Splits a JSON pointer into unescaped reference tokens (RFC 6901).
pub(crate) fn split_pointer(pointer: &str) -> Vec<String> {
    pointer.split('/').skip(1).map(|part| part.replace("~1", "/").replace("~0", "~")).collect()
}

/// Escapes one reference token for a JSON pointer (RFC 6901).
pub(crate) fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Schemas deeper than this are refused: OCDS schemas are a few levels deep,
/// so this only stops pathological or self-referencing input.
const MAX_DEPTH: usize = 64;

/// Walks `schema` and returns its rules table.
pub(crate) fn derive(schema: &Value) -> Result<BTreeMap<String, Rule>, MergeError> {
    let root = schema.as_object().ok_or_else(|| MergeError::Schema("the schema is not a JSON object".into()))?;
    let mut walker = Walker { root: schema, table: BTreeMap::new(), refs: Vec::new() };
    let top = walker.resolve(schema)?;
    let properties = top.get("properties").or_else(|| root.get("properties"));
    match properties {
        Some(Value::Object(properties)) => walker.properties(properties, "")?,
        Some(_) => return Err(MergeError::Schema("`properties` is not an object".into())),
        // A schema without properties gives no rules: every field follows the data.
        None => {}
    }
    Ok(walker.table)
}

struct Walker<'a> {
    root: &'a Value,
    table: BTreeMap<String, Rule>,
    /// The `$ref`s being expanded, to stop at a cycle instead of recursing forever.
    refs: Vec<&'a str>,
}

impl<'a> Walker<'a> {
    /// Follows `$ref` chains inside the schema document.
    fn resolve(&self, mut node: &'a Value) -> Result<&'a Value, MergeError> {
        for _ in 0..MAX_DEPTH {
            let Some(reference) = node.get("$ref") else { return Ok(node) };
            let reference = reference.as_str().ok_or_else(|| MergeError::Schema("a `$ref` is not a string".into()))?;
            let pointer = reference.strip_prefix('#').ok_or_else(|| {
                MergeError::Schema(format!(
                    "`$ref` {reference:?} points outside the schema; patch extensions into the schema (dereferenced) first"
                ))
            })?;
            node = self.root.pointer(pointer).ok_or_else(|| MergeError::Schema(format!("`$ref` {reference:?} does not resolve")))?;
        }
        Err(MergeError::Schema("`$ref` chain too long (a cycle?)".into()))
    }

    fn properties(&mut self, properties: &'a Map<String, Value>, path: &str) -> Result<(), MergeError> {
        if self.refs.len() > MAX_DEPTH || path.matches('/').count() > MAX_DEPTH {
            return Err(MergeError::Schema(format!("schema nested too deeply at {path}")));
        }
        for (key, property) in properties {
            let pointer = format!("{path}/{}", escape_token(key));
            self.property(property, &pointer)?;
        }
        Ok(())
    }

    fn property(&mut self, original: &'a Value, pointer: &str) -> Result<(), MergeError> {
        let reference = original.get("$ref").and_then(Value::as_str);
        if let Some(reference) = reference {
            // A cycle has no merge rules of its own below the first visit.
            if self.refs.contains(&reference) {
                return Ok(());
            }
            self.refs.push(reference);
        }
        let result = self.property_resolved(original, pointer);
        if reference.is_some() {
            self.refs.pop();
        }
        result
    }

    fn property_resolved(&mut self, original: &'a Value, pointer: &str) -> Result<(), MergeError> {
        let property = self.resolve(original)?;
        // Merge keywords written beside a `$ref` count too: extensions put them there.
        let keyword = |name: &str| original.get(name).or_else(|| property.get(name));
        let own_types = types(property);
        let strategy = keyword("mergeStrategy").and_then(Value::as_str);

        // `omitWhenMerged` supersedes every other rule; `false` means nothing.
        if truthy(keyword("omitWhenMerged")) || strategy == Some("ocdsOmit") {
            self.table.insert(pointer.to_owned(), Rule::Omit);
            return Ok(());
        }
        let is_array = own_types.contains(&"array");
        // `wholeListMerge` only means something on arrays, and supersedes nested rules.
        if is_array && (truthy(keyword("wholeListMerge")) || strategy == Some("ocdsVersion")) {
            self.table.insert(pointer.to_owned(), Rule::WholeList);
            return Ok(());
        }
        if own_types.contains(&"object")
            && let Some(Value::Object(properties)) = property.get("properties")
        {
            return self.properties(properties, pointer);
        }
        if is_array {
            let Some(items) = property.get("items") else { return Ok(()) };
            let item_reference = items.get("$ref").and_then(Value::as_str);
            if item_reference.is_some_and(|r| self.refs.contains(&r)) {
                return Ok(());
            }
            let items = self.resolve(items)?;
            let item_types = types(items);
            if item_types.iter().any(|t| *t != "object") {
                self.table.insert(pointer.to_owned(), Rule::WholeList);
            } else if item_types.contains(&"object")
                && let Some(Value::Object(properties)) = items.get("properties")
            {
                if !properties.contains_key("id") {
                    self.table.insert(pointer.to_owned(), Rule::WholeList);
                } else {
                    if let Some(reference) = item_reference {
                        self.refs.push(reference);
                    }
                    let result = self.properties(properties, pointer);
                    if item_reference.is_some() {
                        self.refs.pop();
                    }
                    return result;
                }
            }
        }
        Ok(())
    }
}

fn truthy(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true)))
}

/// The `type` keyword as a list. Without `type`, `properties` implies an
/// object and `items` an array: extension authors sometimes leave `type` out.
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ if schema.get("items").is_some() => vec!["array"],
        _ => Vec::new(),
    }
}
