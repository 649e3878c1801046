//! What the write operations do to an entity held in memory (clauses
//! 5.6.3-5.6.6 and 5.6.17): append, update, partial update, merge and
//! attribute delete, each instance matched by its `datasetId`, and the
//! UpdateResult and BatchOperationResult the API answers with.
//!
//! The store loads the entity, applies one of these and writes back what
//! changed; the rules (what is overwritten, what is refused and why) stay
//! in one place for the HTTP API, the batch operations and MQTT measures.
//! `now` is the caller's clock, as a DateTime: new instances get it as
//! `createdAt`, changed ones as `modifiedAt`.

use serde_json::{Value as Json, json};

use crate::entity::{Attribute, Attributes, Entity, Head};
use crate::problem::Problem;
use crate::scope::scopes_of;

/// The value that deletes an attribute in a merge (clause 5.6.17).
pub const NULL_MARKER: &str = "urn:ngsi-ld:null";

/// Why an attribute of a write was not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Append without overwrite, and the instance exists.
    Exists,
    /// Update of an instance that does not exist.
    NotFound,
}

impl Skip {
    pub fn code(self) -> &'static str {
        match self {
            Skip::Exists => "attribute_exists",
            Skip::NotFound => "attribute_not_found",
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Skip::Exists => "Attribute already exists and overwrite is not allowed",
            Skip::NotFound => "Attribute (or instance with that datasetId) does not exist",
        }
    }
}

/// What a write did: the spec's UpdateResult.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub updated: Vec<String>,
    pub not_updated: Vec<(String, Skip)>,
}

impl Outcome {
    /// `{"updated": [...], "notUpdated": [{"attributeName", "reason"}]}`.
    pub fn to_json(&self) -> Json {
        let not: Vec<Json> = self.not_updated.iter().map(|(n, s)| json!({"attributeName": n, "reason": s.reason()})).collect();
        json!({"updated": self.updated, "notUpdated": not})
    }

    /// 204 when everything was applied, 207 with the result otherwise.
    pub fn status(&self) -> u16 {
        if self.not_updated.is_empty() { 204 } else { 207 }
    }

    fn done(&mut self, name: &str) {
        if !self.updated.iter().any(|n| n == name) {
            self.updated.push(name.to_string());
        }
    }
}

fn position(instances: &[Attribute], dataset_id: &Option<String>) -> Option<usize> {
    instances.iter().position(|a| &a.dataset_id == dataset_id)
}

fn stamped(mut a: Attribute, created_at: Option<String>, now: &str) -> Attribute {
    a.created_at = Some(created_at.unwrap_or_else(|| now.to_string()));
    a.modified_at = Some(now.to_string());
    a
}

/// Append Entity Attributes (5.6.3): new instances are added; existing ones
/// are replaced, unless `overwrite` is false (`options=noOverwrite`). The
/// null marker is never stored: it deletes what it would overwrite.
pub fn append(entity: &mut Entity, attrs: Attributes, overwrite: bool, now: &str) -> Outcome {
    let mut out = Outcome::default();
    for (name, instances) in attrs {
        for a in instances {
            let existing = entity.attrs.entry(name.clone()).or_default();
            match position(existing, &a.dataset_id) {
                Some(i) if overwrite && is_null(&a) => {
                    existing.remove(i);
                    out.done(&name);
                }
                None if is_null(&a) => out.done(&name),
                Some(i) if overwrite => {
                    let created = existing[i].created_at.take();
                    existing[i] = stamped(a, created, now);
                    out.done(&name);
                }
                Some(_) => out.not_updated.push((name.clone(), Skip::Exists)),
                None => {
                    existing.push(stamped(a, None, now));
                    out.done(&name);
                }
            }
        }
        if entity.attrs.get(&name).is_some_and(Vec::is_empty) {
            entity.attrs.remove(&name);
        }
    }
    touch(entity, &out, now);
    out
}

/// Update Entity Attributes (5.6.2, as since v1.6.1): instances that exist
/// are replaced (keeping their `createdAt`), new ones appended, as the ETSI
/// suite expects (011_01_03: 204, the new attribute stored); one whose value
/// (object, languageMap) is `urn:ngsi-ld:null` is deleted.
pub fn update(entity: &mut Entity, attrs: Attributes, now: &str) -> Outcome {
    let mut out = Outcome::default();
    for (name, instances) in attrs {
        for a in instances {
            let existing = entity.attrs.entry(name.clone()).or_default();
            match position(existing, &a.dataset_id) {
                Some(i) if is_null(&a) => {
                    existing.remove(i);
                }
                None if is_null(&a) => {}
                Some(i) => {
                    let created = existing[i].created_at.take();
                    existing[i] = stamped(a, created, now);
                }
                None => existing.push(stamped(a, None, now)),
            }
            out.done(&name);
        }
        if entity.attrs.get(&name).is_some_and(Vec::is_empty) {
            entity.attrs.remove(&name);
        }
    }
    touch(entity, &out, now);
    out
}

/// How a fragment's `scope` meets the entity's (clause 4.18).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeRule {
    /// Append (and batch update) overwriting: the fragment's scope replaces the entity's.
    Replace,
    /// Append with `noOverwrite`: the fragment's scopes are added to the entity's.
    Add,
    /// Update (5.6.2): an entity's scope is replaced; one without is not
    /// given one (`scope` is then not updated, 207).
    ReplaceExisting,
}

/// The [`Head`] of a fragment applied: its types added to the entity's
/// (none removed, clause 4.16), its scope per `rule`.
pub fn apply_head(entity: &mut Entity, head: Head, rule: ScopeRule, out: &mut Outcome, now: &str) {
    let before = (entity.types.len(), entity.scope.clone());
    for t in head.types {
        if !entity.types.contains(&t) {
            entity.types.push(t);
        }
    }
    if let Some(scope) = head.scope {
        match rule {
            ScopeRule::Replace => entity.scope = Some(scope),
            ScopeRule::ReplaceExisting if entity.scope.is_some() => entity.scope = Some(scope),
            ScopeRule::ReplaceExisting => out.not_updated.push(("scope".to_string(), Skip::NotFound)),
            ScopeRule::Add => entity.scope = Some(scope_union(entity.scope.take(), &scope)),
        }
    }
    if (entity.types.len(), &entity.scope) != (before.0, &before.1) {
        entity.modified_at = Some(now.to_string());
    }
}

/// The scopes of `held` and `more`, each once: a string when one, else a list.
fn scope_union(held: Option<Json>, more: &Json) -> Json {
    let mut all: Vec<String> = scopes_of(held.as_ref()).into_iter().map(str::to_string).collect();
    for s in scopes_of(Some(more)) {
        if !all.iter().any(|h| h == s) {
            all.push(s.to_string());
        }
    }
    if all.len() == 1 { json!(all[0]) } else { json!(all) }
}

/// Replace Entity Attribute (5.6.19): each instance given replaces the one
/// with its `datasetId`, keeping that one's `createdAt`. `Err(NotFound)`,
/// and nothing changed, when the entity has no such instance.
pub fn replace_attribute(entity: &mut Entity, name: &str, instances: Vec<Attribute>, now: &str) -> Result<(), Skip> {
    let existing = entity.attrs.get_mut(name).ok_or(Skip::NotFound)?;
    let found: Option<Vec<usize>> = instances.iter().map(|a| position(existing, &a.dataset_id)).collect();
    let found = found.ok_or(Skip::NotFound)?;
    for (i, a) in found.into_iter().zip(instances) {
        let created = existing[i].created_at.take();
        existing[i] = stamped(a, created, now);
    }
    entity.modified_at = Some(now.to_string());
    Ok(())
}

/// Partial Attribute Update (5.6.4): the members given replace the
/// instance's (value, `observedAt`, `unitCode`, sub-attributes by name); the
/// rest stays; a `urn:ngsi-ld:null` value deletes the instance.
/// `Err(NotFound)` if there is no such instance.
pub fn partial_update(entity: &mut Entity, name: &str, patch: Attribute, now: &str) -> Result<(), Skip> {
    let existing = entity.attrs.get_mut(name).ok_or(Skip::NotFound)?;
    let i = position(existing, &patch.dataset_id).ok_or(Skip::NotFound)?;
    if is_null(&patch) {
        existing.remove(i);
        if existing.is_empty() {
            entity.attrs.remove(name);
        }
    } else {
        merge_into(&mut existing[i], patch, now, false);
    }
    entity.modified_at = Some(now.to_string());
    Ok(())
}

/// Merge Entity (5.6.17): attributes are merged member by member, sub-
/// attributes too; an instance whose value (or object) is
/// `urn:ngsi-ld:null` is deleted.
pub fn merge(entity: &mut Entity, attrs: Attributes, now: &str) -> Outcome {
    let mut out = Outcome::default();
    for (name, instances) in attrs {
        for a in instances {
            let existing = entity.attrs.entry(name.clone()).or_default();
            let found = position(existing, &a.dataset_id);
            match found {
                _ if is_null(&a) => {
                    if let Some(i) = found {
                        existing.remove(i);
                    }
                    out.done(&name);
                }
                Some(i) => {
                    merge_into(&mut existing[i], a, now, true);
                    out.done(&name);
                }
                None => {
                    existing.push(stamped(a, None, now));
                    out.done(&name);
                }
            }
        }
        if entity.attrs.get(&name).is_some_and(Vec::is_empty) {
            entity.attrs.remove(&name);
        }
    }
    touch(entity, &out, now);
    out
}

/// Delete Entity Attribute (5.6.5): the instance with `dataset_id` (the
/// default one when `None`), or every instance with `delete_all`. Whether
/// anything was deleted.
pub fn delete_attribute(entity: &mut Entity, name: &str, dataset_id: Option<&str>, delete_all: bool, now: &str) -> bool {
    let Some(existing) = entity.attrs.get_mut(name) else { return false };
    let before = existing.len();
    if delete_all {
        existing.clear();
    } else {
        existing.retain(|a| a.dataset_id.as_deref() != dataset_id);
    }
    let deleted = existing.len() != before;
    if existing.is_empty() {
        entity.attrs.remove(name);
    }
    if deleted {
        entity.modified_at = Some(now.to_string());
    }
    deleted
}

/// What stands for a deleted instance of an attribute of this kind in its
/// temporal history (since v1.8 a deletion is an instance with `deletedAt`
/// and the NGSI-LD Null as its value): the Null in the kind's value
/// member, a language map's under `@none` (a list holds it as its one element).
pub fn null_of(kind: crate::entity::AttrKind) -> Json {
    use crate::entity::AttrKind;
    match kind {
        AttrKind::LanguageProperty => json!({"@none": NULL_MARKER}),
        AttrKind::ListProperty | AttrKind::ListRelationship => json!([NULL_MARKER]),
        _ => json!(NULL_MARKER),
    }
}

/// Whether an instance is the null marker: as its value or object, or as a
/// LanguageProperty's `{"@none": "urn:ngsi-ld:null"}`.
pub fn is_null(a: &Attribute) -> bool {
    match &a.value {
        Json::String(s) => s == NULL_MARKER,
        Json::Object(m) if a.kind == crate::entity::AttrKind::LanguageProperty => {
            m.len() == 1 && m.get("@none").and_then(Json::as_str) == Some(NULL_MARKER)
        }
        _ => false,
    }
}

fn merge_into(target: &mut Attribute, patch: Attribute, now: &str, nulls_delete: bool) {
    target.kind = patch.kind;
    target.value = patch.value;
    if patch.observed_at.is_some() {
        target.observed_at = patch.observed_at;
    }
    if patch.unit_code.is_some() {
        target.unit_code = patch.unit_code;
    }
    for (name, instances) in patch.sub {
        for sub in instances {
            let existing = target.sub.entry(name.clone()).or_default();
            let found = position(existing, &sub.dataset_id);
            match found {
                _ if nulls_delete && is_null(&sub) => {
                    if let Some(i) = found {
                        existing.remove(i);
                    }
                }
                Some(i) => merge_into(&mut existing[i], sub, now, nulls_delete),
                None => existing.push(sub),
            }
        }
        if target.sub.get(&name).is_some_and(Vec::is_empty) {
            target.sub.remove(&name);
        }
    }
    target.modified_at = Some(now.to_string());
}

fn touch(entity: &mut Entity, out: &Outcome, now: &str) {
    if !out.updated.is_empty() {
        entity.modified_at = Some(now.to_string());
    }
}

/// The answer of a batch operation (5.6.7-5.6.10): ids that succeeded and
/// the error of each that failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchResult {
    pub success: Vec<String>,
    pub errors: Vec<(String, Problem)>,
}

impl BatchResult {
    /// `{"success": [...], "errors": [{"entityId", "error": ProblemDetails}]}`.
    pub fn to_json(&self) -> Json {
        let errors: Vec<Json> = self.errors.iter().map(|(id, p)| json!({"entityId": id, "error": p.to_json()})).collect();
        json!({"success": self.success, "errors": errors})
    }

    /// `all_ok` (201 for create, 204 for update and delete; upsert's 201 or
    /// 204 is the caller's to choose) when nothing failed, else 207.
    pub fn status(&self, all_ok: u16) -> u16 {
        if self.errors.is_empty() { all_ok } else { 207 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::{AttrKind, Form, parse_attributes};
    use crate::problem::ErrorType;

    const T0: &str = "2026-01-01T00:00:00Z";
    const T1: &str = "2026-01-01T03:00:00Z";

    #[test]
    fn a_deleted_instance_is_the_null_of_its_kind() {
        for kind in [AttrKind::Property, AttrKind::Relationship, AttrKind::LanguageProperty, AttrKind::GeoProperty] {
            assert!(is_null(&Attribute::new(kind, null_of(kind))), "{}", kind.name());
        }
        assert_eq!(null_of(AttrKind::ListProperty), json!([NULL_MARKER]));
    }

    fn gauge() -> Entity {
        Entity::parse(
            &json!({
                "id": "urn:ngsi-ld:WaterObserved:bojonegoro",
                "type": "WaterObserved",
                "waterLevel": {"type": "Property", "value": 11.9, "unitCode": "MTR", "observedAt": T0,
                    "accuracy": {"type": "Property", "value": 0.01}},
                "flow": [{"type": "Property", "value": 900}, {"type": "Property", "value": 880, "datasetId": "urn:ngsi-ld:Dataset:pjt"}]
            }),
            Form::Normalized,
        )
        .unwrap()
    }

    fn attrs(body: Json) -> Attributes {
        parse_attributes(&body, Form::Normalized).unwrap()
    }

    #[test]
    fn append_and_update() {
        let mut e = gauge();
        let out = append(&mut e, attrs(json!({"waterLevel": {"value": 12.1}, "status": {"value": "normal"}})), false, T1);
        assert_eq!(out.updated, ["status"]);
        assert_eq!(out.not_updated, [("waterLevel".to_string(), Skip::Exists)]);
        assert_eq!(out.status(), 207);
        assert_eq!(out.to_json()["notUpdated"][0]["attributeName"], "waterLevel");
        assert_eq!(e.attrs["status"][0].created_at.as_deref(), Some(T1));
        let out = append(&mut e, attrs(json!({"waterLevel": {"value": 12.1}})), true, T1);
        assert_eq!(out.status(), 204);
        assert_eq!(e.attrs["waterLevel"][0].value, json!(12.1));
        // Replaced whole: the old unitCode and sub-attribute are gone.
        assert!(e.attrs["waterLevel"][0].sub.is_empty());
        let out =
            update(&mut e, attrs(json!({"flow": {"value": 870, "datasetId": "urn:ngsi-ld:Dataset:pjt"}, "missing": {"value": 1}})), T1);
        // What the entity lacks is appended (since v1.6.1).
        assert_eq!(out.updated, ["flow", "missing"]);
        assert_eq!(out.status(), 204);
        assert_eq!(e.attrs["missing"][0].created_at.as_deref(), Some(T1));
        assert_eq!(e.attrs["flow"][1].value, json!(870));
        assert_eq!(e.attrs["flow"][0].value, json!(900));
        assert_eq!(e.modified_at.as_deref(), Some(T1));
    }

    #[test]
    fn partial_update_keeps_what_it_does_not_name() {
        let mut e = gauge();
        let patch = Attribute { observed_at: Some(T1.into()), ..Attribute::property(json!(12.3)) };
        partial_update(&mut e, "waterLevel", patch, T1).unwrap();
        let a = &e.attrs["waterLevel"][0];
        assert_eq!((a.value.clone(), a.unit_code.as_deref(), a.observed_at.as_deref()), (json!(12.3), Some("MTR"), Some(T1)));
        assert!(a.sub.contains_key("accuracy"));
        assert_eq!(partial_update(&mut e, "nothing", Attribute::property(json!(1)), T1), Err(Skip::NotFound));
    }

    #[test]
    fn merge_deletes_with_the_null_marker() {
        let mut e = gauge();
        let out = merge(
            &mut e,
            attrs(json!({
                "waterLevel": {"value": 12.5, "accuracy": {"value": NULL_MARKER}, "trend": {"value": "rising"}},
                "flow": {"value": NULL_MARKER, "datasetId": "urn:ngsi-ld:Dataset:pjt"},
                "alert": {"type": "Relationship", "object": "urn:ngsi-ld:Alert:1"}
            })),
            T1,
        );
        assert_eq!(out.updated, ["alert", "flow", "waterLevel"]);
        let w = &e.attrs["waterLevel"][0];
        assert_eq!(w.value, json!(12.5));
        assert_eq!(w.unit_code.as_deref(), Some("MTR"));
        assert!(!w.sub.contains_key("accuracy"));
        assert_eq!(w.sub["trend"][0].value, json!("rising"));
        assert_eq!(e.attrs["flow"].len(), 1);
        assert_eq!(e.attrs["alert"][0].kind, AttrKind::Relationship);
    }

    #[test]
    fn heads_add_types_and_meet_scopes_by_rule() {
        let head = |types: &[&str], scope: Json| Head { types: types.iter().map(|t| t.to_string()).collect(), scope: Some(scope) };
        let mut e = gauge();
        let mut out = Outcome::default();
        apply_head(&mut e, head(&["WaterObserved", "Gauge"], json!("/Jatim")), ScopeRule::ReplaceExisting, &mut out, T1);
        assert_eq!(e.types, ["WaterObserved", "Gauge"]);
        assert_eq!(e.scope, None, "update gives no scope to an entity without one");
        assert_eq!(out.not_updated, [("scope".to_string(), Skip::NotFound)]);
        assert_eq!(e.modified_at.as_deref(), Some(T1));
        let mut out = Outcome::default();
        apply_head(&mut e, head(&[], json!("/Jatim")), ScopeRule::Replace, &mut out, T1);
        apply_head(&mut e, head(&[], json!(["/Jatim", "/Bojonegoro"])), ScopeRule::Add, &mut out, T1);
        assert_eq!(e.scope, Some(json!(["/Jatim", "/Bojonegoro"])));
        apply_head(&mut e, head(&[], json!("/Tuban")), ScopeRule::ReplaceExisting, &mut out, T1);
        assert_eq!(e.scope, Some(json!("/Tuban")));
        assert!(out.not_updated.is_empty());
    }

    #[test]
    fn replace_attribute_keeps_creation_and_needs_the_instance() {
        let mut e = gauge();
        e.attrs.get_mut("flow").unwrap()[1].created_at = Some(T0.into());
        let new = Attribute { dataset_id: Some("urn:ngsi-ld:Dataset:pjt".into()), ..Attribute::property(json!(1)) };
        replace_attribute(&mut e, "flow", vec![new], T1).unwrap();
        let a = &e.attrs["flow"][1];
        assert_eq!((a.value.clone(), a.created_at.as_deref(), a.modified_at.as_deref()), (json!(1), Some(T0), Some(T1)));
        let other = Attribute { dataset_id: Some("urn:ngsi-ld:Dataset:x".into()), ..Attribute::property(json!(2)) };
        assert_eq!(replace_attribute(&mut e, "flow", vec![other], T1), Err(Skip::NotFound));
        assert_eq!(replace_attribute(&mut e, "nothing", vec![Attribute::property(json!(2))], T1), Err(Skip::NotFound));
    }

    #[test]
    fn delete_by_dataset() {
        let mut e = gauge();
        assert!(delete_attribute(&mut e, "flow", Some("urn:ngsi-ld:Dataset:pjt"), false, T1));
        assert_eq!(e.attrs["flow"].len(), 1);
        assert!(!delete_attribute(&mut e, "flow", Some("urn:ngsi-ld:Dataset:pjt"), false, T1));
        assert!(delete_attribute(&mut e, "flow", None, false, T1));
        assert!(!e.attrs.contains_key("flow"));
        assert!(delete_attribute(&mut e, "waterLevel", None, true, T1));
        assert!(!delete_attribute(&mut e, "nothing", None, true, T1));
    }

    #[test]
    fn batch_results() {
        let r = BatchResult {
            success: vec!["urn:x:1".into()],
            errors: vec![("urn:x:2".into(), Problem::new(ErrorType::AlreadyExists, "urn:x:2 exists"))],
        };
        assert_eq!(r.status(201), 207);
        assert_eq!(r.to_json()["errors"][0]["error"]["status"], 409);
        assert_eq!(BatchResult::default().status(204), 204);
    }
}
