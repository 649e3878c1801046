//! `join` in notifications (clause 4.5.23, since v1.8.1): the entities the
//! notified ones link to, read when the notification is delivered (as they
//! are then, through `join::linked`: one read per level), written as the
//! notification writes entities (format, `sysAttrs`, its @context) but
//! whole: `attributes`, `pick`/`omit` and `datasetId` choose what of the
//! notified entities is sent, not of those they link to. `flat` puts them
//! after the notified entities, each once; `inline` in each Relationship
//! naming one (`join::attach`), `joinLevel` links deep.

use std::collections::HashMap;

use ngsild::context::Context;
use ngsild::entity::Entity;
use ngsild::subscription::Join;
use serde_json::Value as Json;

use crate::slices::sensors::join;
use crate::store::Store;

/// Adds to `data` (the notified `roots` as written, in order) what `join`
/// asks for; `write` writes a linked entity.
pub async fn add(
    store: &Store,
    tenant: &str,
    j: Join,
    roots: &[Entity],
    data: &mut Vec<Json>,
    ctx: &Context,
    write: impl Fn(&Entity) -> Result<Json, String>,
) -> Result<(), String> {
    let level = usize::try_from(j.level).unwrap_or(join::MAX_LEVEL).min(join::MAX_LEVEL);
    let (held, order) = join::linked(store, tenant, roots, level).await.map_err(super::delivery::fail_text)?;
    if j.inline {
        for (out, e) in data.iter_mut().zip(roots) {
            inline(out, e, &held, level, ctx, &write)?;
        }
        return Ok(());
    }
    for (id, _) in &order {
        if let Some(e) = held.get(id).filter(|_| !roots.iter().any(|r| r.id == *id)) {
            data.push(write(e)?);
        }
    }
    Ok(())
}

/// Each Relationship of `e` (written as `out`) holding the entity it names, `level` deep.
fn inline(
    out: &mut Json,
    e: &Entity,
    held: &HashMap<String, Entity>,
    level: usize,
    ctx: &Context,
    write: &impl Fn(&Entity) -> Result<Json, String>,
) -> Result<(), String> {
    if level == 0 {
        return Ok(());
    }
    for (name, id) in join::links(e) {
        let Some(target) = held.get(id) else { continue };
        let Some(attr) = out.get_mut(ctx.compact(name)) else { continue };
        let mut linked = write(target)?;
        inline(&mut linked, target, held, level - 1, ctx, write)?;
        join::attach(attr, id, linked);
    }
    Ok(())
}
