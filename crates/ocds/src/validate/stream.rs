//! Streaming validation: the package's `releases` (or `records`) are parsed
//! one at a time, handed to a checker thread that walks them against the
//! schema and drops them, so memory follows the largest release, not the
//! file (a parsed `serde_json::Value` takes about ten times the bytes of its
//! JSON), and parsing and checking use a core each. The rest of the package
//! object is small and is kept to be validated at the end.
//!
//! The same code reads a byte slice or an [`std::io::Read`]er (serde_json's
//! `Read` abstracts both). Unusual shapes are parsed whole where they stand
//! (a top-level value that is not an object, items that are not an array):
//! the caller then validates that value. Only one case cannot be settled in
//! one pass: the items field seen again after it was streamed (a repeated
//! `releases`, or `records` after `releases`), where the whole document
//! decides which one counts: [`validate`] then returns `None` and the caller
//! parses the document whole.

use std::fmt;
use std::sync::mpsc;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::Validator;
use super::checks::{Counts, PackageChecks};
use super::report::{Collector, PackageType, Severity};
use super::schema::NodeId;
use super::walk::{Seg, Walker};

/// What streaming produced.
pub(crate) enum Outcome {
    /// Validated: the issues so far, the package checks' counts.
    Done { package_type: PackageType, out: Collector, counts: Counts },
    /// Not JSON (or the reader failed: see [`serde_json::Error::is_io`]).
    Invalid(serde_json::Error),
    /// Nothing was streamed: here is the input, whole, to validate as a value.
    Whole(Value),
    /// Streamed one process at a time, but a process came back after it was
    /// checked: stream again with `one_process_at_a_time` off.
    Again,
}

/// Marker message for a custom error that means "rewind".
const REWIND: &str = "pendopo-ocds-stream-rewind";

/// Items handed to the checker at once: one hand-over (and thread wake-up)
/// per item would cost more than checking a small release.
const ITEMS_PER_BATCH: usize = 16;
/// Batches parsed ahead of the checker: enough to keep both threads busy,
/// few enough that memory stays a small multiple of the largest release.
const BATCHES_IN_FLIGHT: usize = 4;

/// Streams the package; `None` when it must be read again and parsed whole.
/// With `one_process_at_a_time`, memory holds one process of a release
/// package whose releases are grouped by `ocid` (see [`Outcome::Again`]).
pub(crate) fn validate<'de, R: serde_json::de::Read<'de>>(
    validator: &Validator,
    mut de: serde_json::Deserializer<R>,
    one_process_at_a_time: bool,
) -> Option<Outcome> {
    let mut state = State { validator, out: Collector::default(), rest: Map::new(), streamed: None, one_process_at_a_time };
    let parsed = AnyValue(Top(&mut state)).deserialize(&mut de).and_then(|top| de.end().map(|()| top));
    let top = match parsed {
        Ok(top) => top,
        Err(e) if e.to_string().starts_with(REWIND) => return None,
        Err(e) => return Some(Outcome::Invalid(e)),
    };
    if let Parsed::Whole(value) = top {
        return Some(Outcome::Whole(value));
    }
    let State { mut out, rest, streamed, .. } = state;
    let Some(Streamed { package_type, count, checks }) = streamed else {
        // Nothing was streamed, so nothing was checked yet.
        return Some(Outcome::Whole(Value::Object(rest)));
    };
    if checks.came_back() {
        return Some(Outcome::Again);
    }
    let field = package_type.items_field();
    let package = Value::Object(rest);
    let root = validator.package_root(package_type, &package);
    let mut walker = Walker { schema: &validator.schema, codelists: &validator.codelists, path: Vec::new(), present_at_root: Some(field) };
    walker.walk(root, &package, None, &mut out);
    if let Some((array, _)) = validator.stream_plan(package_type) {
        walker.path.push(Seg::Key(field));
        walker.check_length(&validator.schema.nodes[array], count, false, &mut out);
    }
    let counts = checks.finish(&mut out);
    Some(Outcome::Done { package_type, out, counts })
}

struct Streamed {
    package_type: PackageType,
    count: usize,
    checks: PackageChecks,
}

struct State<'a> {
    validator: &'a Validator,
    out: Collector,
    /// The package's fields other than the streamed items.
    rest: Map<String, Value>,
    streamed: Option<Streamed>,
    one_process_at_a_time: bool,
}

/// A JSON value that was either streamed (`T` says what came of it) or,
/// being of another kind than the one streamed, parsed whole.
enum Parsed<T> {
    Streamed(T),
    Whole(Value),
}

/// The container a visitor streams; any other kind of value is parsed whole
/// by [`AnyValue`].
trait Streams<'de>: Sized {
    type Out;

    fn map<A: MapAccess<'de>>(self, map: A) -> Result<Parsed<Self::Out>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Parsed::Whole)
    }

    fn seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Parsed<Self::Out>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Parsed::Whole)
    }
}

/// Reads one value of any kind, streaming what `S` streams.
struct AnyValue<S>(S);

impl<'de, S: Streams<'de>> DeserializeSeed<'de> for AnyValue<S> {
    type Value = Parsed<S::Out>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: Streams<'de>> Visitor<'de> for AnyValue<S> {
    type Value = Parsed<S::Out>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.seq(seq)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Parsed::Whole(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Parsed::Whole(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Parsed::Whole(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Parsed::Whole(Value::from(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Parsed::Whole(Value::String(v.to_owned())))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Parsed::Whole(Value::Null))
    }
}

/// The package object: its items field is streamed, the rest kept.
struct Top<'s, 'a>(&'s mut State<'a>);

impl<'de> Streams<'de> for Top<'_, '_> {
    type Out = ();

    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed<()>, A::Error> {
        let state = self.0;
        while let Some(key) = map.next_key::<String>()? {
            let package_type = match key.as_str() {
                "releases" => PackageType::Release,
                "records" => PackageType::Record,
                _ => {
                    // A repeated key: the last value wins, as in a parsed value.
                    let value: Value = map.next_value()?;
                    state.rest.insert(key, value);
                    continue;
                }
            };
            match &state.streamed {
                // With `records`, `releases` is just another field of a record package.
                Some(streamed) if streamed.package_type == PackageType::Record && package_type == PackageType::Release => {
                    let value: Value = map.next_value()?;
                    state.rest.insert(key, value);
                    continue;
                }
                Some(_) => return Err(de::Error::custom(REWIND)),
                None => {}
            }
            // `records` anywhere makes a record package: releases seen before it are not its items.
            let other_kind_kept = package_type == PackageType::Release && state.rest.contains_key("records");
            let plan = state.validator.stream_plan(package_type).filter(|_| !other_kind_kept);
            let Some((_, items)) = plan else {
                let value: Value = map.next_value()?;
                state.rest.insert(key, value);
                continue;
            };
            let mut checks =
                if state.one_process_at_a_time { PackageChecks::one_at_a_time(package_type) } else { PackageChecks::new(package_type) };
            let seed = AnyValue(Items { validator: state.validator, out: &mut state.out, package_type, items, checks: &mut checks });
            match map.next_value_seed(seed)? {
                Parsed::Streamed(count) => {
                    // An earlier value of this key (not an array) is overridden.
                    state.rest.remove(&key);
                    state.streamed = Some(Streamed { package_type, count, checks });
                }
                Parsed::Whole(value) => {
                    state.rest.insert(key, value);
                }
            }
        }
        Ok(Parsed::Streamed(()))
    }
}

/// The `releases` or `records` array, checked item by item.
struct Items<'s, 'a> {
    validator: &'a Validator,
    out: &'s mut Collector,
    package_type: PackageType,
    items: NodeId,
    checks: &'s mut PackageChecks,
}

impl<'de> Streams<'de> for Items<'_, '_> {
    type Out = usize;

    /// This thread parses; a checker thread walks each item and drops it.
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Parsed<usize>, A::Error> {
        let Items { validator, out, package_type, items, checks } = self;
        let field = package_type.items_field();
        let (sender, receiver) = mpsc::sync_channel::<Vec<Box<RawValue>>>(BATCHES_IN_FLIGHT);
        std::thread::scope(|scope| {
            let checker = scope.spawn(move || {
                let mut index = 0;
                for raw in receiver.into_iter().flatten() {
                    // The reader checked the text; it parses unless it nests
                    // deeper than serde_json goes (128 levels), which is an
                    // error of the item, not a crash of the validator.
                    let item: Value = match serde_json::from_str(raw.get()) {
                        Ok(item) => item,
                        Err(e) => {
                            let message = format!("Nested too deeply to read ({e}): not checked");
                            out.add(Severity::Error, "depth", field.to_string(), message, || format!("{field}/{index}"), None);
                            index += 1;
                            continue;
                        }
                    };
                    drop(raw);
                    let path = vec![Seg::Key(field), Seg::Index(index)];
                    let mut walker = Walker { schema: &validator.schema, codelists: &validator.codelists, path, present_at_root: None };
                    walker.walk(items, &item, None, out);
                    checks.item(index, &item, out);
                    index += 1;
                }
                index
            });
            let mut batch = Vec::with_capacity(ITEMS_PER_BATCH);
            let parsed = loop {
                match seq.next_element::<Box<RawValue>>() {
                    Ok(Some(item)) => {
                        batch.push(item);
                        // The checker only stops early by panicking, which `join` below passes on.
                        if batch.len() == ITEMS_PER_BATCH && sender.send(std::mem::take(&mut batch)).is_err() {
                            break Ok(());
                        }
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(e),
                }
            };
            if !batch.is_empty() {
                // As above: a failed send means the checker panicked.
                let _ = sender.send(batch);
            }
            drop(sender);
            let count = checker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            parsed.map(|()| Parsed::Streamed(count))
        })
    }
}
