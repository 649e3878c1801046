//! CKAN's `package_revise` (2.9): change a dataset only if it still is what
//! the caller saw (`match`), dropping fields first (`filter`), then merging
//! new values in (`update`); the answer keeps the fields `include` names.
//!
//! Paths are CKAN's flattened keys, parts joined by `__`: a dict's key, or
//! in a list an index (negative from the end) or the first 5 or more
//! characters of an item's id; `extend` appends to a list. So
//! `match__name=x`, `update__resources__0__name=y`,
//! `update__resources__extend=[{...}]`, and a file in a multipart field
//! `update__resources__-1__upload` (the resource it names gets the file as
//! its upload, as `resource_patch` would).

use serde_json::{Map, Value, json};

use super::package::{dataset_input, package_dict};
use super::resource::store_upload;
use super::{Call, CkanError, CkanResult, catalog_error, invalid_field, not_found};
use crate::kernel::msg::Msg;
use crate::slices::catalog::repo::{self, Viewer};

/// The fields a filter never removes.
const PROTECTED: [&str; 2] = ["id", "type"];

/// `match` or `update`: a JSON object, or its text (a form field).
fn object_param(call: &Call, key: &str) -> Result<Map<String, Value>, CkanError> {
    match call.params.get(key) {
        None => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(invalid_field(key, Msg::new("ckan.json_object"))),
        },
        Some(_) => Err(invalid_field(key, Msg::new("ckan.json_object"))),
    }
}

/// A pattern of `filter` or `include`: keep (`+`) or drop (`-`) the fields
/// its path names (`*` stands for any one part).
struct Pattern {
    keep: bool,
    parts: Vec<String>,
}

fn patterns(call: &Call, key: &str) -> Result<Vec<Pattern>, CkanError> {
    let texts: Vec<String> = match call.params.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid_field(key, Msg::new("ckan.string_list")))?,
        Some(_) => return Err(invalid_field(key, Msg::new("ckan.list_or_text"))),
    };
    texts
        .iter()
        .map(|t| {
            let (keep, rest) = match (t.strip_prefix('+'), t.strip_prefix('-')) {
                (Some(rest), _) => (true, rest),
                (_, Some(rest)) => (false, rest),
                _ => return Err(invalid_field(key, Msg::new("ckan.revise_pattern").arg("pattern", t))),
            };
            Ok(Pattern { keep, parts: rest.split("__").map(str::to_string).collect() })
        })
        .collect()
}

/// One step of a path as a pattern sees it: a dict's key, or a list's item
/// (its index, the list's length, its id if it has one).
enum Seg {
    Key(String),
    Item { index: usize, len: usize, id: Option<String> },
}

impl Seg {
    fn item(index: usize, list: &[Value]) -> Seg {
        Seg::Item { index, len: list.len(), id: list[index]["id"].as_str().map(str::to_string) }
    }

    /// Does the path part `part` name this step (`*` names any)?
    fn named_by(&self, part: &str) -> bool {
        match self {
            _ if part == "*" => true,
            Seg::Key(k) => k == part,
            Seg::Item { index, len, id } => match part.parse::<i64>() {
                Ok(n) => (if n < 0 { *len as i64 + n } else { n }) == *index as i64,
                Err(_) => part.len() >= 5 && id.as_deref().is_some_and(|id| id.starts_with(part)),
            },
        }
    }
}

/// The index in `list` that `part` names, if exactly one item.
fn item_index(part: &str, list: &[Value]) -> Option<usize> {
    let found: Vec<usize> = (0..list.len()).filter(|&i| Seg::item(i, list).named_by(part)).collect();
    (found.len() == 1).then(|| found[0])
}

/// A pattern as `filter` walks it: keep or drop, the parts still to match.
type Rule<'p> = (bool, &'p [String]);

/// What becomes of a field: kept or dropped, or filtered inside by these rules.
type Verdict<'p> = Result<bool, Vec<Rule<'p>>>;

/// Keeps or drops each field of `v` by the first pattern whose first part
/// names it: a last part decides (`+` keeps, `-` drops), a longer one goes
/// down into the field with the patterns from there on that name it too.
/// Fields no pattern names stay. `top` protects the dataset's id and type.
fn filter(v: &mut Value, patterns: &[Rule], top: bool) {
    // What becomes of a field at `seg`: None keeps it as it is.
    let verdict = |seg: &Seg| -> Option<Verdict> {
        let first = patterns.iter().position(|(_, parts)| seg.named_by(&parts[0]))?;
        let (keep, parts) = patterns[first];
        if parts.len() == 1 {
            return Some(Ok(keep));
        }
        let deeper = patterns[first..].iter().filter(|(_, p)| p.len() > 1 && seg.named_by(&p[0])).map(|(k, p)| (*k, &p[1..])).collect();
        Some(Err(deeper))
    };
    match v {
        Value::Object(fields) => {
            let keys: Vec<String> = fields.keys().cloned().collect();
            for key in keys {
                match verdict(&Seg::Key(key.clone())) {
                    Some(Ok(false)) if !(top && PROTECTED.contains(&key.as_str())) => {
                        fields.remove(&key);
                    }
                    Some(Err(deeper)) => filter(fields.get_mut(&key).expect("the key is there"), &deeper, false),
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            let snapshot = items.clone();
            let mut keep = Vec::with_capacity(items.len());
            for (i, item) in items.iter_mut().enumerate() {
                match verdict(&Seg::item(i, &snapshot)) {
                    Some(Ok(false)) => keep.push(false),
                    Some(Err(deeper)) => {
                        filter(item, &deeper, false);
                        keep.push(true);
                    }
                    _ => keep.push(true),
                }
            }
            let mut flags = keep.into_iter();
            items.retain(|_| flags.next().unwrap_or(true));
        }
        _ => {}
    }
}

/// Applies `filter` or `include` patterns to a whole package dict.
fn filter_dict(v: &mut Value, patterns: &[Pattern]) {
    let patterns: Vec<Rule> = patterns.iter().map(|p| (p.keep, p.parts.as_slice())).collect();
    filter(v, &patterns, true);
}

/// The flattened keys under `prefix` (`match__`, `update__`): their paths
/// and values (a form's text that is a JSON list or object is read as one).
fn flattened(call: &Call, prefix: &str) -> Vec<(Vec<String>, Value)> {
    call.params
        .iter()
        .filter_map(|(k, v)| {
            let path = k.strip_prefix(prefix)?;
            let value = match v {
                Value::String(s) if s.starts_with(['[', '{']) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
                _ => v.clone(),
            };
            Some((path.split("__").map(str::to_string).collect(), value))
        })
        .collect()
}

fn join(path: &str, part: &str) -> String {
    if path.is_empty() { part.to_string() } else { format!("{path}__{part}") }
}

/// Form fields are text: "3" matches the number 3, "true" the flag.
fn same(actual: &Value, expected: &Value) -> bool {
    actual == expected
        || match (actual, expected) {
            (Value::Number(n), Value::String(s)) => n.to_string() == *s,
            (Value::Bool(b), Value::String(s)) => b.to_string() == *s,
            (Value::Null, Value::String(s)) => s.is_empty(),
            _ => false,
        }
}

/// The path of the first field of `expected` that `actual` does not have.
fn mismatch(actual: &Value, expected: &Value, path: &str) -> Option<String> {
    match expected {
        Value::Object(fields) => fields.iter().find_map(|(k, e)| match actual.get(k) {
            Some(a) => mismatch(a, e, &join(path, k)),
            None => Some(join(path, k)),
        }),
        Value::Array(items) => {
            let Some(list) = actual.as_array() else { return Some(path.to_string()) };
            items.iter().enumerate().find_map(|(i, e)| match list.get(i) {
                Some(a) => mismatch(a, e, &join(path, &i.to_string())),
                None => Some(join(path, &i.to_string())),
            })
        }
        _ => (!same(actual, expected)).then(|| path.to_string()),
    }
}

/// The field a flattened path names in `v`, if there is one.
fn lookup<'v>(v: &'v Value, parts: &[String]) -> Option<&'v Value> {
    parts.iter().try_fold(v, |at, part| match at {
        Value::Object(fields) => fields.get(part),
        Value::Array(list) => item_index(part, list).map(|i| &list[i]),
        _ => None,
    })
}

/// Merges `update` into `target`: dicts key by key, lists item by item
/// (longer lists add items), anything else replaced.
fn merge(target: &mut Value, update: Value) {
    match (target, update) {
        (Value::Object(fields), Value::Object(new)) => {
            for (k, v) in new {
                match fields.get_mut(&k) {
                    Some(slot) if v.is_object() || v.is_array() => merge(slot, v),
                    _ => {
                        fields.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(items), Value::Array(new)) => {
            for (i, v) in new.into_iter().enumerate() {
                match items.get_mut(i) {
                    Some(slot) => merge(slot, v),
                    None => items.push(v),
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Sets the field a flattened path names (`extend` appends to a list).
fn set(v: &mut Value, parts: &[String], value: Value) -> Result<(), ()> {
    let (last, parents) = parts.split_last().ok_or(())?;
    let mut at = v;
    for part in parents {
        at = match at {
            Value::Object(fields) => fields.entry(part.clone()).or_insert_with(|| json!({})),
            Value::Array(list) => {
                let i = item_index(part, list).ok_or(())?;
                &mut list[i]
            }
            _ => return Err(()),
        };
    }
    match (at, last.as_str()) {
        (Value::Array(list), "extend") => match value {
            Value::Array(items) => list.extend(items),
            item => list.push(item),
        },
        (Value::Array(list), part) => {
            let i = item_index(part, list).ok_or(())?;
            merge(&mut list[i], value)
        }
        (Value::Object(fields), part) => match fields.get_mut(part) {
            Some(slot) if value.is_object() => merge(slot, value),
            _ => {
                fields.insert(part.to_string(), value);
            }
        },
        _ => return Err(()),
    }
    Ok(())
}

pub(super) async fn package_revise(call: &Call) -> CkanResult {
    let user = call.writer("package_revise")?;
    let matching = Value::Object(object_param(call, "match")?);
    let flat_match = flattened(call, "match__");
    let key = ["id", "name"]
        .iter()
        .find_map(|k| {
            let flat = flat_match.iter().find(|(path, _)| path.len() == 1 && path[0] == *k).map(|(_, v)| v);
            matching.get(*k).or(flat).and_then(Value::as_str).filter(|v| !v.is_empty())
        })
        .ok_or_else(|| invalid_field("match", Msg::new("ckan.revise_match_key")))?
        .to_string();
    let store = &call.ctx.app.store;
    let tenant = &call.ctx.tenant.id;
    let current = repo::get(store, tenant, &key, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    let mut dict = package_dict(&current, &call.base);
    let flat_mismatch = flat_match.iter().find_map(|(path, expected)| {
        let at = path.join("__");
        match lookup(&dict, path) {
            Some(actual) => mismatch(actual, expected, "").map(|inner| join(&at, &inner).trim_end_matches("__").to_string()),
            None => Some(at),
        }
    });
    if let Some(path) = mismatch(&dict, &matching, "").or(flat_mismatch) {
        return Err(invalid_field("match", Msg::new("ckan.revise_mismatch").arg("path", path)));
    }
    filter_dict(&mut dict, &patterns(call, "filter")?);
    merge(&mut dict, Value::Object(object_param(call, "update")?));
    for (path, value) in flattened(call, "update__") {
        set(&mut dict, &path, value).map_err(|_| invalid_field("update", Msg::new("ckan.revise_path").arg("path", path.join("__"))))?;
    }
    // The resource a file is for, by its place in the list as revised.
    let upload_to = match &call.upload {
        Some(up) => Some(upload_target(&up.field, &dict)?),
        None => None,
    };
    if let Some(up) = &call.upload
        && crate::slices::catalog::datastore::is_tabular(&up.filename)
    {
        // Checked before anything is saved, so a bad table changes nothing.
        let path = call.ctx.app.files.path(&up.saved.key).map_err(|e| CkanError::Internal(e.to_string()))?;
        if let Err(e) = crate::slices::catalog::datastore::check_file(path, &up.filename).await {
            return Err(invalid_field(&up.field, crate::slices::catalog::resources::rejected_msg(&e)));
        }
    }
    let Value::Object(mut fields) = dict else { unreachable!("a package dict is an object") };
    fields.insert("id".into(), json!(current.id));
    let input = dataset_input(fields)?;
    let mut revised = repo::update(store, tenant, user, &current.id, &input).await.map_err(|e| catalog_error(e, "package_revise"))?;
    if let Some(index) = upload_to {
        let resource = revised.resources.get(index).map(|r| r.id.clone()).ok_or_else(not_found)?;
        store_upload(call, user, &revised.id, Some(resource)).await?;
        revised = repo::get(store, tenant, &revised.id, &Viewer::of(Some(user))).await?.ok_or_else(not_found)?;
    }
    let mut answer = package_dict(&revised, &call.base);
    filter_dict(&mut answer, &patterns(call, "include")?);
    Ok(json!({"package": answer}))
}

/// Which resource (its index in the revised list) a file field
/// `update__resources__SEL__upload` names.
fn upload_target(field: &str, dict: &Value) -> Result<usize, CkanError> {
    let wrong = || invalid_field(field, Msg::new("ckan.revise_upload_field"));
    let sel = field.strip_prefix("update__resources__").and_then(|f| f.strip_suffix("__upload")).ok_or_else(wrong)?;
    let list = dict["resources"].as_array().ok_or_else(wrong)?;
    item_index(sel, list).ok_or_else(wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> Pattern {
        Pattern { keep: text.starts_with('+'), parts: text[1..].split("__").map(str::to_string).collect() }
    }

    fn filtered(mut v: Value, texts: &[&str]) -> Value {
        filter_dict(&mut v, &texts.iter().map(|t| pattern(t)).collect::<Vec<_>>());
        v
    }

    #[test]
    fn filters_follow_ckans_examples() {
        let dataset = json!({"id": "d1", "type": "dataset", "title": "T", "notes": "N",
            "resources": [{"id": "aaaaa-1", "name": "a", "url": "u"}, {"id": "1492a-2", "name": "b", "url": "v"}]});
        // "+title, +resources, -*": everything else goes, but never the id and type.
        let kept = filtered(dataset.clone(), &["+title", "+resources", "-*"]);
        assert_eq!(kept, json!({"id": "d1", "type": "dataset", "title": "T", "resources": dataset["resources"]}));
        // One resource's fields emptied but its id, found by the start of its id.
        let one = filtered(dataset.clone(), &["+resources__1492a__id", "-resources__1492a__*"]);
        assert_eq!(one["resources"], json!([dataset["resources"][0], {"id": "1492a-2"}]));
        assert_eq!(one["notes"], "N", "fields no pattern names stay");
        // By index from the end.
        assert_eq!(filtered(dataset.clone(), &["-resources__-1"])["resources"], json!([dataset["resources"][0]]));
    }

    #[test]
    fn updates_merge_and_extend() {
        let mut d = json!({"notes": "a", "resources": [{"id": "r1", "name": "x"}]});
        merge(&mut d, json!({"resources": [{"description": "first"}]}));
        assert_eq!(d["resources"][0], json!({"id": "r1", "name": "x", "description": "first"}));
        set(&mut d, &["resources".into(), "extend".into()], json!([{"name": "y"}])).unwrap();
        set(&mut d, &["resources".into(), "-1".into(), "url".into()], json!("http://z")).unwrap();
        assert_eq!(d["resources"][1], json!({"name": "y", "url": "http://z"}));
        assert!(set(&mut d, &["resources".into(), "7".into(), "name".into()], json!("n")).is_err());
        assert_eq!(mismatch(&d, &json!({"notes": "a", "resources": [{"name": "x"}]}), ""), None);
        assert_eq!(mismatch(&d, &json!({"resources": [{"name": "q"}]}), ""), Some("resources__0__name".into()));
    }
}
