//! NGSI-LD (ETSI GS CIM 009, the v1.6-1.8 semantics): what a context broker
//! needs from the standard, as plain data and pure functions.
//!
//! - [`q`]: the query language (`q=speed>25;name=="x"|!heading`): a parser that
//!   names the byte position of a syntax error, an AST a store can turn into
//!   SQL, and an evaluator over an entity held in memory.
//! - [`geo`]: `geoQ` (`georel`, `geometry`, `coordinates`, `geoproperty`),
//!   GeoJSON geometries and the spherical helpers the relations need.
//! - [`context`]: `@context` term expansion and compaction, with the core
//!   context built in (never fetched), and the `Link` header.
//! - [`entity`]: entities and their attributes (Property, Relationship,
//!   GeoProperty, LanguageProperty, JsonProperty, VocabProperty, ListProperty,
//!   ListRelationship), read from normalised, concise or
//!   keyValues bodies and written in each form.
//! - [`update`]: append, update, partial update, merge and attribute
//!   delete on an entity in memory, with the UpdateResult and
//!   BatchOperationResult answers.
//! - [`subscription`]: subscription bodies read, checked and written back,
//!   their PATCH, and the notification body.
//! - [`problem`]: the spec's ProblemDetails error types and their statuses.
//! - [`lang`]: the `lang` parameter: a LanguageProperty in its best language.
//! - [`scope`]: entity scopes and the `scopeQ` language (`/a/+/c`, `/a/#`, `,` `;`).
//! - [`temporal`]: ISO 8601 durations, time buckets and the aggregation
//!   methods of the temporal API.
//! - [`time`]: the DateTime, Date and Time values of the spec, as instants.
//!
//! The crate does no I/O: no database, no HTTP, no clock, no network. A
//! context named by URL is looked up in what the caller passes in; one it
//! does not have is an error naming the URL (the API answers 503). Errors are
//! data with stable codes (and byte positions where a text was parsed), so
//! the application words them; their English text is for logs and API clients.

pub mod context;
pub mod entity;
pub mod geo;
pub mod lang;
pub mod problem;
pub mod q;
pub mod scope;
pub mod subscription;
pub mod temporal;
pub mod time;
pub mod update;
