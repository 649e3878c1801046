//! One walk over the package against the compiled schema: JSON Schema
//! errors, additional fields, deprecated fields, codelists and empty fields
//! together, so the data is traversed once.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::checks::id_text;
use super::codelist::Codelist;
use super::format::{is_email, is_uri, parse_date_time};
use super::report::{Collector, Severity};
use super::schema::{CodelistRef, Format, Node, NodeId, Schema};

/// One step of a path into the data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'v> {
    Key(&'v str),
    Index(usize),
}

/// Joins a path lib-cove style (`releases/0/tender`), with or without the
/// array indices, plus an optional last field name.
pub(crate) fn join(path: &[Seg<'_>], with_indices: bool, last: Option<&str>) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(key);
            }
            Seg::Index(i) if with_indices => {
                if !out.is_empty() {
                    out.push('/');
                }
                let _ = write!(out, "{i}");
            }
            Seg::Index(_) => {}
        }
    }
    if let Some(last) = last {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(last);
    }
    out
}

/// How deep the walk goes into the data.
const MAX_DEPTH: usize = 256;

pub(crate) struct Walker<'s, 'v> {
    pub(crate) schema: &'s Schema,
    pub(crate) codelists: &'s [Codelist],
    pub(crate) path: Vec<Seg<'v>>,
    /// A package field that is present but was validated separately
    /// (streamed), so the package object lacks it without missing it.
    pub(crate) present_at_root: Option<&'static str>,
}

impl<'s, 'v> Walker<'s, 'v> {
    fn report(&self, out: &mut Collector, severity: Severity, kind: &'static str, message: String, value: Option<&Value>) {
        let path = &self.path;
        out.add(severity, kind, join(path, false, None), message, || join(path, true, None), value);
    }

    /// Parsed input cannot nest this deep (serde_json stops at 128 levels),
    /// but a value built in code could: stop rather than overflow the stack.
    fn too_deep(&self, out: &mut Collector) -> bool {
        let deep = self.path.len() > MAX_DEPTH;
        if deep {
            self.report(out, Severity::Error, "depth", format!("Nested more than {MAX_DEPTH} levels deep: not checked further"), None);
        }
        deep
    }

    /// Validates `value` against node `id`. `inherited` is the codelist of
    /// the array this value is an item of (the annotation sits on the array).
    pub(crate) fn walk(&mut self, id: NodeId, value: &'v Value, inherited: Option<CodelistRef>, out: &mut Collector) {
        if self.too_deep(out) {
            return;
        }
        let schema = self.schema;
        let annotated = &schema.nodes[id];
        let node = &schema.nodes[schema.resolve(id)];
        let codelist = annotated.codelist.or(node.codelist).or(inherited);

        if let Some(why) = annotated.deprecated.as_deref().or(node.deprecated.as_deref())
            && !value.is_null()
        {
            self.report(out, Severity::Warning, "deprecated", why.to_owned(), None);
        }
        if let Some(types) = node.types
            && !types.allows(value)
        {
            // Nothing below a value of the wrong type can be checked sensibly.
            let message = format!("Invalid type: expected {}", types.describe());
            self.report(out, Severity::Error, "type", message, Some(value));
            return;
        }
        // With combinators, the chosen branch walks the value's contents (and
        // checks it for emptiness), so doing it here too would double count.
        let delegated = !node.one_of.is_empty() || !node.any_of.is_empty() || !node.all_of.is_empty();
        for &branch in &node.all_of {
            self.walk(branch, value, codelist, out);
        }
        if !node.any_of.is_empty() {
            self.choose(&node.any_of, false, value, codelist, out);
        }
        if !node.one_of.is_empty() {
            self.choose(&node.one_of, true, value, codelist, out);
        }
        let closed_codelist = codelist.is_some_and(|c| !c.open);
        if let Some(allowed) = &node.enumeration
            && !closed_codelist
            && !allowed.iter().any(|a| json_equal(a, value))
        {
            let message = format!("Not one of the allowed values: {}", list_values(allowed));
            self.report(out, Severity::Error, "enum", message, Some(value));
        }
        match value {
            Value::String(text) => self.check_string(node, text, value, codelist, delegated, out),
            Value::Number(n) => {
                let n = n.as_f64().unwrap_or(f64::NAN);
                if let Some(min) = node.minimum
                    && n < min
                {
                    self.report(out, Severity::Error, "minimum", format!("Must be at least {min}"), Some(value));
                }
                if let Some(max) = node.maximum
                    && n > max
                {
                    self.report(out, Severity::Error, "maximum", format!("Must be at most {max}"), Some(value));
                }
            }
            Value::Array(items) => self.check_array(node, items, codelist, delegated, out),
            Value::Object(map) => self.check_object(node, map, delegated, out),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn check_string(
        &mut self,
        node: &Node,
        text: &str,
        value: &Value,
        codelist: Option<CodelistRef>,
        delegated: bool,
        out: &mut Collector,
    ) {
        if text.is_empty() && !delegated {
            self.report(out, Severity::Notice, "empty_field", "Empty string".to_owned(), None);
        }
        if node.min_length.is_some() || node.max_length.is_some() {
            let length = text.chars().count() as u64;
            if let Some(min) = node.min_length
                && length < min
            {
                let message = format!("Must be at least {min} character{} long", plural(min));
                self.report(out, Severity::Error, "min_length", message, Some(value));
            }
            if let Some(max) = node.max_length
                && length > max
            {
                let message = format!("Must be at most {max} character{} long", plural(max));
                self.report(out, Severity::Error, "max_length", message, Some(value));
            }
        }
        if let Some((regex, source)) = &node.pattern
            && !regex.is_match(text)
        {
            self.report(out, Severity::Error, "pattern", format!("Does not match the pattern {source}"), Some(value));
        }
        let bad_format = match node.format {
            Some(Format::DateTime) if parse_date_time(text).is_none() => {
                Some("Not a valid RFC 3339 date-time (e.g. 2024-01-31T09:00:00+07:00 or 2024-01-31T02:00:00Z)")
            }
            Some(Format::Uri) if !is_uri(text) => Some("Not a valid absolute URI (e.g. https://example.com/page)"),
            Some(Format::Email) if !is_email(text) => Some("Not a valid email address"),
            _ => None,
        };
        if let Some(message) = bad_format {
            self.report(out, Severity::Error, "format", message.to_owned(), Some(value));
        }
        if let Some(c) = codelist
            && let Some(list) = self.codelists.get(c.index)
            && !list.contains(text)
        {
            if c.open {
                let message = format!("Not in the open codelist {}", list.name);
                self.report(out, Severity::Notice, "open_codelist", message, Some(value));
            } else {
                let message = format!("Not in the closed codelist {}", list.name);
                self.report(out, Severity::Error, "closed_codelist", message, Some(value));
            }
        }
    }

    fn check_array(&mut self, node: &Node, items: &'v [Value], codelist: Option<CodelistRef>, delegated: bool, out: &mut Collector) {
        self.check_length(node, items.len(), delegated, out);
        if node.unique_items {
            // As lib-cove-ocds does: objects that all have an `id` must have
            // distinct ids (two objects with one id would merge into one),
            // which also catches identical objects; anything else must be
            // distinct as a whole.
            let by_id = items.iter().all(|item| item.get("id").and_then(id_text).is_some());
            let (kind, message, repeats) = if by_id {
                ("duplicate_id", "Repeats the id of an earlier item: ids must be unique in this array", repeated_ids(items))
            } else {
                ("unique_items", "Repeats an earlier item: items must be unique", repeated_items(items))
            };
            for index in repeats {
                self.path.push(Seg::Index(index));
                self.report(out, Severity::Error, kind, message.to_owned(), items.get(index).and_then(|i| i.get("id")));
                self.path.pop();
            }
        }
        for (i, item) in items.iter().enumerate() {
            self.path.push(Seg::Index(i));
            match node.items {
                Some(item_node) => self.walk(item_node, item, codelist, out),
                None if !delegated => self.walk_unknown(item, out),
                None => {}
            }
            self.path.pop();
        }
    }

    /// The checks on an array's length, also used for a streamed array
    /// whose items were walked one by one.
    pub(crate) fn check_length(&mut self, node: &Node, len: usize, delegated: bool, out: &mut Collector) {
        if len == 0 && !delegated {
            self.report(out, Severity::Notice, "empty_field", "Empty array".to_owned(), None);
        }
        let len = len as u64;
        if let Some(min) = node.min_items
            && len < min
        {
            self.report(out, Severity::Error, "min_items", format!("Must have at least {min} item{}", plural(min)), None);
        }
        if let Some(max) = node.max_items
            && len > max
        {
            self.report(out, Severity::Error, "max_items", format!("Must have at most {max} item{}", plural(max)), None);
        }
    }

    fn check_object(&mut self, node: &Node, map: &'v Map<String, Value>, delegated: bool, out: &mut Collector) {
        // The package object whose items were streamed has one more field
        // than this map holds.
        let streamed = match self.present_at_root {
            Some(field) if self.path.is_empty() => Some(field),
            _ => None,
        };
        let len = (map.len() + usize::from(streamed.is_some())) as u64;
        if len == 0 && !delegated {
            self.report(out, Severity::Notice, "empty_field", "Empty object".to_owned(), None);
        }
        if let Some(min) = node.min_properties
            && len < min
        {
            self.report(out, Severity::Error, "min_properties", format!("Must have at least {min} field{}", plural(min)), None);
        }
        if let Some(max) = node.max_properties
            && len > max
        {
            self.report(out, Severity::Error, "max_properties", format!("Must have at most {max} field{}", plural(max)), None);
        }
        for name in &node.required {
            if !map.contains_key(&**name) && streamed != Some(&**name) {
                let path = &self.path;
                let (generic, full) = (join(path, false, Some(name)), || join(path, true, Some(name)));
                out.add(Severity::Error, "required", generic, "Required field is missing".to_owned(), full, None);
            }
        }
        for (key, child) in map {
            self.path.push(Seg::Key(key));
            let known = node.property(key).or_else(|| node.pattern_properties.iter().find(|(re, _)| re.is_match(key)).map(|(_, id)| *id));
            match known {
                Some(child_node) => self.walk(child_node, child, None, out),
                None if node.no_additional => {
                    self.report(out, Severity::Error, "additional_properties", "Field is not allowed here".to_owned(), Some(child));
                    self.walk_unknown(child, out);
                }
                None if node.describes_fields => {
                    // Only the outermost unknown field is reported: its
                    // children are unknown by consequence.
                    self.report(out, Severity::Warning, "additional_field", "Field is not in the schema".to_owned(), Some(child));
                    self.walk_unknown(child, out);
                }
                None if !delegated => self.walk_unknown(child, out),
                None => {}
            }
            self.path.pop();
        }
    }

    /// Data the schema does not describe: only emptiness can be checked.
    pub(crate) fn walk_unknown(&mut self, value: &'v Value, out: &mut Collector) {
        if self.too_deep(out) {
            return;
        }
        match value {
            Value::String(s) if s.is_empty() => {
                self.report(out, Severity::Notice, "empty_field", "Empty string".to_owned(), None);
            }
            Value::Array(items) => {
                if items.is_empty() {
                    self.report(out, Severity::Notice, "empty_field", "Empty array".to_owned(), None);
                }
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Seg::Index(i));
                    self.walk_unknown(item, out);
                    self.path.pop();
                }
            }
            Value::Object(map) => {
                if map.is_empty() {
                    self.report(out, Severity::Notice, "empty_field", "Empty object".to_owned(), None);
                }
                for (key, child) in map {
                    self.path.push(Seg::Key(key));
                    self.walk_unknown(child, out);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }

    /// `oneOf` / `anyOf`: walks each branch into its own collector and keeps
    /// the best one, so that a record's `releases` that fail are explained
    /// against the shape they were meant to have (embedded or linked), as
    /// lib-cove-ocds does, rather than by "matches no alternative".
    fn choose(&mut self, branches: &[NodeId], exactly_one: bool, value: &'v Value, codelist: Option<CodelistRef>, out: &mut Collector) {
        let mut trials: Vec<Collector> = branches
            .iter()
            .map(|&branch| {
                let mut trial = Collector::default();
                self.walk(branch, value, codelist, &mut trial);
                trial
            })
            .collect();
        let valid = trials.iter().filter(|t| t.error_count == 0).count();
        if exactly_one && valid > 1 {
            let message = format!("Matches {valid} of the alternatives the schema allows, where exactly one must match");
            self.report(out, Severity::Error, "one_of", message, None);
        }
        // The first valid branch, else the one with the fewest errors.
        let best = trials.iter().enumerate().min_by_key(|(i, t)| (t.error_count, *i)).map(|(i, _)| i);
        if let Some(best) = best {
            out.merge(trials.swap_remove(best));
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Up to ten allowed values, for an `enum` message.
fn list_values(values: &[Value]) -> String {
    let mut shown: Vec<String> = values.iter().take(10).map(Value::to_string).collect();
    if values.len() > 10 {
        shown.push(format!("… ({} in all)", values.len()));
    }
    shown.join(", ")
}

/// JSON equality as JSON Schema means it: numbers by value (`1` equals
/// `1.0`), objects regardless of key order.
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w))),
        _ => a == b,
    }
}

/// Indices of objects whose `id` (as text) an earlier object has.
fn repeated_ids(items: &[Value]) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.get("id").and_then(id_text).is_some_and(|id| !seen.insert(id)))
        .map(|(i, _)| i)
        .collect()
}

/// Indices of items equal to an earlier item. Pairwise for short arrays;
/// long ones are compared by their serialization (objects serialize with
/// sorted keys here), so a 10 000-party array is not 50 million comparisons.
fn repeated_items(items: &[Value]) -> Vec<usize> {
    if items.len() <= 64 {
        return (1..items.len()).filter(|&i| items[..i].iter().any(|earlier| json_equal(earlier, &items[i]))).collect();
    }
    let mut seen = HashSet::with_capacity(items.len());
    items.iter().enumerate().filter(|(_, item)| !seen.insert(canonical(item))).map(|(i, _)| i).collect()
}

/// Serialization with integral floats written as integers, so `1.0` and `1`
/// collide as they should.
fn canonical(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    let _ = write!(out, "{}", f as i64);
                }
                _ => {
                    let _ = write!(out, "{n}");
                }
            },
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    write(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for key in keys {
                    let _ = write!(out, "{}:", Value::String(key.clone()));
                    if let Some(v) = map.get(key) {
                        write(v, out);
                    }
                    out.push(',');
                }
                out.push('}');
            }
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_join_with_and_without_indices() {
        let path = [Seg::Key("releases"), Seg::Index(3), Seg::Key("tender")];
        assert_eq!(join(&path, true, Some("id")), "releases/3/tender/id");
        assert_eq!(join(&path, false, None), "releases/tender");
        assert_eq!(join(&[], false, Some("uri")), "uri");
    }

    #[test]
    fn equality_is_by_json_value() {
        assert!(json_equal(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_equal(&json!("1"), &json!(1)));
    }

    #[test]
    fn repeated_items_are_found_short_and_long() {
        assert_eq!(repeated_items(&[json!("a"), json!("b"), json!("a")]), vec![2]);
        let mut long: Vec<Value> = (0..100).map(|i| json!({"id": i})).collect();
        long.push(json!({"id": 5.0}));
        assert_eq!(repeated_items(&long), vec![100]);
    }
}
