//! Streaming validation: the package's `releases` (or `records`) are parsed
//! and checked one at a time and dropped, so memory follows the largest
//! release, not the file (a parsed `serde_json::Value` takes about ten times
//! the bytes of its JSON). The rest of the package object is small and is
//! kept to be validated at the end.
//!
//! Anything unusual (not an object, both `releases` and `records`, a
//! repeated key, items that are not an array) makes the stream give up with
//! [`Outcome::Fallback`], and the caller validates the whole parsed value
//! instead, which handles every case; syntax errors are reported directly.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::Validator;
use super::checks::{Counts, PackageChecks};
use super::report::{Collector, PackageType};
use super::schema::NodeId;
use super::walk::{Seg, Walker};

/// What streaming produced.
pub(crate) enum Outcome {
    /// Validated: the issues so far, the package checks' counts.
    Done { package_type: PackageType, out: Collector, counts: Counts },
    /// Not JSON.
    Invalid(serde_json::Error),
    /// Validate the whole parsed value instead.
    Fallback,
    /// The package had no `releases` or `records`: here it is, whole.
    Whole(Value),
}

/// Marker message for a custom error that means "fall back".
const FALLBACK: &str = "pendopo-ocds-stream-fallback";

pub(crate) fn validate(validator: &Validator, bytes: &[u8]) -> Outcome {
    let mut state = State { validator, out: Collector::default(), rest: Map::new(), streamed: None };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = Top(&mut state).deserialize(&mut de).and_then(|()| de.end());
    match parsed {
        Ok(()) => {}
        Err(e) if e.is_syntax() || e.is_eof() || e.is_io() => return Outcome::Invalid(e),
        Err(_) => return Outcome::Fallback,
    }
    let State { out, rest, streamed, .. } = state;
    let Some(Streamed { package_type, count, checks }) = streamed else {
        // Nothing was streamed, so nothing was checked yet.
        return Outcome::Whole(Value::Object(rest));
    };
    let mut out = out;
    let field = package_type.items_field();
    let root = validator.root(package_type);
    let package = Value::Object(rest);
    let mut walker = Walker { schema: &validator.schema, codelists: &validator.codelists, path: Vec::new(), present_at_root: Some(field) };
    walker.walk(root, &package, None, &mut out);
    if let Some((array, _)) = validator.stream_plan(package_type) {
        walker.path.push(Seg::Key(field));
        walker.check_length(&validator.schema.nodes[array], count, false, &mut out);
    }
    let counts = checks.finish(&mut out);
    Outcome::Done { package_type, out, counts }
}

struct Streamed {
    package_type: PackageType,
    count: usize,
    checks: PackageChecks,
}

struct State<'a> {
    validator: &'a Validator,
    out: Collector,
    rest: Map<String, Value>,
    streamed: Option<Streamed>,
}

fn fallback<E: de::Error>() -> E {
    E::custom(FALLBACK)
}

/// The package object.
struct Top<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a package object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let package_type = match key.as_str() {
                "releases" => Some(PackageType::Release),
                "records" => Some(PackageType::Record),
                _ => None,
            };
            match package_type {
                Some(package_type) if self.0.streamed.is_none() => {
                    let Some((_, items)) = self.0.validator.stream_plan(package_type) else { return Err(fallback()) };
                    let mut checks = PackageChecks::new(package_type);
                    let count = map.next_value_seed(Items { state: self.0, package_type, items, checks: &mut checks })?;
                    self.0.streamed = Some(Streamed { package_type, count, checks });
                }
                // Both `releases` and `records`, or one of them twice.
                Some(_) => return Err(fallback()),
                None => {
                    let value: Value = map.next_value()?;
                    if self.0.rest.insert(key, value).is_some() {
                        return Err(fallback());
                    }
                }
            }
        }
        Ok(())
    }
}

/// The `releases` or `records` array, walked item by item.
struct Items<'s, 'a, 'c> {
    state: &'s mut State<'a>,
    package_type: PackageType,
    items: NodeId,
    checks: &'c mut PackageChecks,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_, '_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of releases or records")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<usize, S::Error> {
        let validator = self.state.validator;
        let field = self.package_type.items_field();
        let mut index = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            let path = vec![Seg::Key(field), Seg::Index(index)];
            let mut walker = Walker { schema: &validator.schema, codelists: &validator.codelists, path, present_at_root: None };
            walker.walk(self.items, &item, None, &mut self.state.out);
            self.checks.item(index, &item, &mut self.state.out);
            index += 1;
        }
        Ok(index)
    }
}
