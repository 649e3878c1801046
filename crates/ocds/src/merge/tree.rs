//! The merge itself: releases are folded, in date order, into a tree that
//! remembers what JSON cannot hold (which key each array object was matched
//! by, the history of each versioned field), then the tree becomes JSON.
//!
//! The tree gives the same answers as the reference implementation's
//! flatten/unflatten (a path exists in the output when some release gave a
//! value, even `null`, under it) without building a path for every field.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::json::{Json, NULL};

use super::rules::{Rule, RuleNode, escape_token};
use super::{Kind, MergeError, MergeWarning};

/// One version of a versioned field: the index of the release (in merge
/// order) that set it and the value. Release metadata is attached once at
/// the end rather than cloned into every field.
#[derive(Debug)]
struct Version<'a> {
    release: usize,
    value: &'a Json<'a>,
}

/// The tree holds references into the releases: nothing is copied until it is written.
#[derive(Debug)]
enum Node<'a> {
    /// Compiled: the latest value; `null` means "removed" and is left out of
    /// the output (its parents stay, as in the reference implementation).
    Literal(&'a Json<'a>),
    /// Versioned: every change of the value, oldest first.
    Versions(Vec<Version<'a>>),
    Object(Obj<'a>),
    Array(Arr<'a>),
}

/// Objects keep the order in which fields first appeared. They are small in
/// OCDS, so a vector is searched; big ones get a hash index.
#[derive(Debug, Default)]
pub(crate) struct Obj<'a> {
    entries: Vec<(&'a str, Node<'a>)>,
    index: Option<HashMap<&'a str, usize, RandomState>>,
}

const INDEX_FROM: usize = 24;

impl<'a> Obj<'a> {
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| *k == key),
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Node<'a>> {
        let position = self.position(key)?;
        Some(&mut self.entries[position].1)
    }

    /// Sets `key` to `node`, keeping the key's first position.
    fn set(&mut self, key: &'a str, node: Node<'a>) {
        if let Some(position) = self.position(key) {
            self.entries[position].1 = node;
            return;
        }
        self.entries.push((key, node));
        if let Some(index) = &mut self.index {
            index.insert(key, self.entries.len() - 1);
        } else if self.entries.len() > INDEX_FROM {
            self.index = Some(self.entries.iter().enumerate().map(|(i, (k, _))| (*k, i)).collect());
        }
    }
}

/// How an array object is found again by a later release.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ItemKey<'a> {
    /// By `id`, compared as text: the reference implementation matches `1` and `"1"`.
    Id(Cow<'a, str>),
    /// By position ([`Rule::MergeByPosition`]).
    Position(usize),
}

#[derive(Debug, Default)]
struct Arr<'a> {
    items: Vec<Item<'a>>,
    /// Objects that cannot be matched (no `id`, or [`Rule::Append`]) are not indexed.
    index: HashMap<ItemKey<'a>, usize, RandomState>,
}

#[derive(Debug)]
struct Item<'a> {
    /// The `id` of the object that created the item; never versioned.
    id: Option<&'a Json<'a>>,
    fields: Obj<'a>,
}

/// The identity of an `id` value: its text, so that `1` and `"1"` match.
fn id_text<'a>(id: &'a Json<'a>) -> Cow<'a, str> {
    match id {
        Json::String(s) => Cow::Borrowed(s),
        Json::Number(n) => Cow::Owned(n.to_string()),
        // Not an identifier anyone writes: as the reference implementation would print it.
        other => Cow::Owned(other.to_value().to_string()),
    }
}

/// State of one merge: the mode, where we are, what went wrong.
pub(crate) struct Merge<'a> {
    /// Which output is being built.
    pub(crate) kind: Kind,
    /// Index (in merge order) of the release being merged.
    pub(crate) release: usize,
    /// Index of that release in the caller's slice, for messages.
    pub(crate) input_index: usize,
    pub(crate) ocid: &'a str,
    /// Field names from the release root to the current field.
    pub(crate) path: Vec<&'a str>,
    pub(crate) warnings: Vec<MergeWarning>,
}

/// What a merge step did, as the reference implementation would see it: did
/// the input produce any value (possibly `null`) at or below this field?
type Touched = bool;

/// How an input value is merged, from its rule and its shape.
enum Shape<'v> {
    Literal,
    Object(&'v [(Cow<'v, str>, Json<'v>)]),
    Objects(&'v [Json<'v>]),
    /// An empty object, or an empty array that is not a whole list: nothing to do.
    Nothing,
}

fn shape<'v>(value: &'v Json<'v>, rule: Option<Rule>) -> Shape<'v> {
    if rule == Some(Rule::WholeList) {
        return Shape::Literal;
    }
    match value {
        Json::Object(map) if map.is_empty() => Shape::Nothing,
        Json::Object(map) => Shape::Object(map),
        Json::Array(items) if items.is_empty() => Shape::Nothing,
        // An array holding anything but objects is a literal, whatever the schema says.
        Json::Array(items) if items.iter().all(Json::is_object) => Shape::Objects(items),
        _ => Shape::Literal,
    }
}

impl<'a> Merge<'a> {
    fn pointer(&self) -> String {
        self.path.iter().map(|p| format!("/{}", escape_token(p))).collect()
    }

    fn inconsistent(&self, message: &str) -> MergeError {
        MergeError::InconsistentType {
            ocid: self.ocid.to_owned(),
            index: self.input_index,
            pointer: self.pointer(),
            message: message.to_owned(),
        }
    }

    /// Merges the fields of `input` into `obj`. `skip` names fields handled
    /// by the caller (release metadata at the root, `id` in array objects).
    pub(crate) fn object(
        &mut self,
        obj: &mut Obj<'a>,
        input: &'a [(Cow<'a, str>, Json<'a>)],
        rules: Option<&RuleNode>,
        skip: &[&str],
    ) -> Result<Touched, MergeError> {
        let mut touched = false;
        for (key, value) in input {
            let key: &'a str = key;
            if skip.contains(&key) {
                continue;
            }
            let child_rules = rules.and_then(|r| r.child(key));
            let rule = child_rules.and_then(|r| r.rule);
            if rule == Some(Rule::Omit) {
                continue;
            }
            self.path.push(key);
            let result = self.field(obj, key, value, child_rules, rule);
            self.path.pop();
            touched |= result?;
        }
        Ok(touched)
    }

    fn field(
        &mut self,
        obj: &mut Obj<'a>,
        key: &'a str,
        value: &'a Json<'a>,
        rules: Option<&RuleNode>,
        rule: Option<Rule>,
    ) -> Result<Touched, MergeError> {
        match shape(value, rule) {
            Shape::Nothing => Ok(false),
            Shape::Literal => {
                self.literal(obj, key, value)?;
                Ok(true)
            }
            Shape::Object(map) => {
                if let Some(Node::Object(existing)) = obj.get_mut(key) {
                    return self.object(existing, map, rules, &[]);
                }
                let mut fresh = Obj::default();
                let touched = self.object(&mut fresh, map, rules, &[])?;
                if touched {
                    self.replace(obj, key, Node::Object(fresh))?;
                }
                Ok(touched)
            }
            Shape::Objects(items) => {
                if let Some(Node::Array(existing)) = obj.get_mut(key) {
                    return self.array(existing, items, rules, rule);
                }
                let mut fresh = Arr::default();
                let touched = self.array(&mut fresh, items, rules, rule)?;
                if touched {
                    self.replace(obj, key, Node::Array(fresh))?;
                }
                Ok(touched)
            }
        }
    }

    /// Puts a new object or array where something of another kind may be.
    fn replace(&mut self, obj: &mut Obj<'a>, key: &'a str, node: Node<'a>) -> Result<(), MergeError> {
        match obj.get_mut(key) {
            None | Some(Node::Literal(_)) => {}
            // A field that was only ever `null` has no history worth keeping against the new structure.
            Some(Node::Versions(versions)) if versions.iter().all(|v| v.value.is_null()) => {}
            Some(_) if self.kind == Kind::Compiled => {}
            Some(Node::Versions(_)) => {
                return Err(self.inconsistent("an earlier release has a literal value here, this one an object or array of objects"));
            }
            Some(_) => {
                return Err(self.inconsistent("an earlier release has an object here, this one an array of objects (or the reverse)"));
            }
        }
        obj.set(key, node);
        Ok(())
    }

    fn literal(&mut self, obj: &mut Obj<'a>, key: &'a str, value: &'a Json<'a>) -> Result<(), MergeError> {
        let release = self.release;
        match (self.kind, obj.get_mut(key)) {
            // Compiled: the latest value wins, whatever was there; `null` removes the field.
            (Kind::Compiled, _) => obj.set(key, Node::Literal(value)),
            (Kind::Versioned, Some(Node::Versions(versions))) => {
                if versions.last().is_none_or(|last| last.value != value) {
                    versions.push(Version { release, value });
                }
            }
            (Kind::Versioned, None | Some(Node::Literal(_))) => obj.set(key, Node::Versions(vec![Version { release, value }])),
            // Versioned `null` over an object or array: every field below it is removed in this release.
            (Kind::Versioned, Some(node)) if value.is_null() => null_below(node, release),
            (Kind::Versioned, Some(_)) => {
                return Err(self.inconsistent("an earlier release has an object or array of objects here, this one a literal value"));
            }
        }
        Ok(())
    }

    /// Identifier merge (or the `Append` / `MergeByPosition` overrides).
    fn array(
        &mut self,
        arr: &mut Arr<'a>,
        items: &'a [Json<'a>],
        rules: Option<&RuleNode>,
        rule: Option<Rule>,
    ) -> Result<Touched, MergeError> {
        let mut touched = false;
        // `id`s seen in this array of this release, to warn about duplicates.
        let mut seen: HashSet<Cow<'a, str>, RandomState> = HashSet::default();
        for (position, item) in items.iter().enumerate() {
            let Json::Object(fields) = item else { continue };
            // A `null` id identifies nothing: such objects are appended like those without `id`.
            let id = item.get("id").filter(|id| !id.is_null());
            let text = id.map(id_text);
            if let Some(text) = &text
                && !seen.insert(text.clone())
            {
                self.warnings.push(MergeWarning::DuplicateId {
                    ocid: self.ocid.to_owned(),
                    index: self.input_index,
                    pointer: self.pointer(),
                    id: text.to_string(),
                });
            }
            let key = match rule {
                Some(Rule::Append) => None,
                Some(Rule::MergeByPosition) => Some(ItemKey::Position(position)),
                _ => text.map(ItemKey::Id),
            };
            // Duplicate ids within one release merge into the same object: the last one wins field by field.
            if let Some(&slot) = key.as_ref().and_then(|k| arr.index.get(k)) {
                touched |= self.object(&mut arr.items[slot].fields, fields, rules, &["id"])? || id.is_some();
                continue;
            }
            let mut new = Item { id, fields: Obj::default() };
            // An object with no `id` and no values (e.g. `{}`) leaves no trace, as in the reference implementation.
            if self.object(&mut new.fields, fields, rules, &["id"])? || new.id.is_some() {
                if let Some(key) = key {
                    arr.index.insert(key, arr.items.len());
                }
                arr.items.push(new);
                touched = true;
            }
        }
        Ok(touched)
    }
}

/// Records, in a versioned release, that every field below `node` became `null`.
fn null_below(node: &mut Node, release: usize) {
    match node {
        Node::Versions(versions) => {
            if versions.last().is_none_or(|last| !last.value.is_null()) {
                versions.push(Version { release, value: &NULL });
            }
        }
        Node::Literal(_) => {}
        Node::Object(obj) => obj.entries.iter_mut().for_each(|(_, child)| null_below(child, release)),
        Node::Array(arr) => {
            arr.items.iter_mut().for_each(|item| item.fields.entries.iter_mut().for_each(|(_, child)| null_below(child, release)))
        }
    }
}

/// Release metadata for versioned values, by merge order.
pub(crate) struct ReleaseMeta<'a> {
    pub(crate) id: &'a Json<'a>,
    pub(crate) date: &'a str,
    pub(crate) tag: &'a Json<'a>,
}

/// A merged tree with what it needs to be written as JSON: the release
/// metadata its versions point to. Written field by field, straight from
/// the tree, by any serde serializer.
pub(crate) struct Written<'t, 'a> {
    pub(crate) obj: &'t Obj<'a>,
    pub(crate) meta: &'t [ReleaseMeta<'a>],
}

impl Written<'_, '_> {
    /// Writes the fields (not the braces) into an open map.
    pub(crate) fn fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for (key, node) in &self.obj.entries {
            if !matches!(node, Node::Literal(Json::Null)) {
                map.serialize_entry(key, &Field { node, meta: self.meta })?;
            }
        }
        Ok(())
    }
}

impl Serialize for Written<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.fields(&mut map)?;
        map.end()
    }
}

struct Field<'t, 'a> {
    node: &'t Node<'a>,
    meta: &'t [ReleaseMeta<'a>],
}

impl Serialize for Field<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let meta = self.meta;
        match self.node {
            Node::Literal(value) => value.serialize(serializer),
            Node::Versions(versions) => {
                let mut seq = serializer.serialize_seq(Some(versions.len()))?;
                for version in versions {
                    seq.serialize_element(&VersionEntry { version, meta })?;
                }
                seq.end()
            }
            Node::Object(obj) => Written { obj, meta }.serialize(serializer),
            Node::Array(arr) => {
                let mut seq = serializer.serialize_seq(Some(arr.items.len()))?;
                for item in &arr.items {
                    seq.serialize_element(&ItemEntry { item, meta })?;
                }
                seq.end()
            }
        }
    }
}

struct VersionEntry<'t, 'a> {
    version: &'t Version<'a>,
    meta: &'t [ReleaseMeta<'a>],
}

impl Serialize for VersionEntry<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        // Every version comes from a release in `meta`: the index was assigned from it.
        if let Some(release) = self.meta.get(self.version.release) {
            map.serialize_entry("releaseID", release.id)?;
            map.serialize_entry("releaseDate", release.date)?;
            map.serialize_entry("releaseTag", release.tag)?;
        }
        map.serialize_entry("value", self.version.value)?;
        map.end()
    }
}

struct ItemEntry<'t, 'a> {
    item: &'t Item<'a>,
    meta: &'t [ReleaseMeta<'a>],
}

impl Serialize for ItemEntry<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(id) = self.item.id {
            map.serialize_entry("id", id)?;
        }
        Written { obj: &self.item.fields, meta: self.meta }.fields(&mut map)?;
        map.end()
    }
}
