//! What the broker holds, as NGSI-LD describes it: `GET /types`
//! (EntityTypeList, or with `details=true` an EntityType per type with its
//! attribute names), `GET /types/{type}` (EntityTypeInfo: how many entities,
//! each attribute with its kinds), `GET /attributes` (AttributeList, or
//! with `details=true` an Attribute per name with the types that have it)
//! and `GET /attributes/{attr}`. Lists read the indexes; the details read
//! the entities' bodies (of the one type asked for, or all of the region's:
//! a regency holds thousands, read in one statement).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use ngsild::entity::Entity;
use ngsild::problem::ErrorType;
use serde_json::{Value as Json, json};

use super::http::{self, Answer, Fail, Request, bad};
use super::repo;
use crate::store::{Store, sql};
use crate::web::ctx::Ctx;

type Params = Query<HashMap<String, String>>;

fn details(params: &HashMap<String, String>) -> Result<bool, Fail> {
    match params.get("details").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(bad(ErrorType::BadRequestData, format!("details: not true or false: {v}"))),
    }
}

/// The region's entities (of one type when given), names expanded.
async fn entities(store: &Store, tenant: &str, ty: Option<&str>) -> Result<Vec<Entity>, Fail> {
    let rows = match ty {
        Some(t) => store
            .fetch_all(
                sql("SELECT e.body FROM sensor_entity_types t JOIN sensor_entities e ON e.tenant_id = t.tenant_id AND e.id = t.entity_id \
                         WHERE t.tenant_id = $1 AND t.type = $2")
                .bind(tenant)
                .bind(t),
            )
            .await?,
        None => store.fetch_all(sql("SELECT body FROM sensor_entities WHERE tenant_id = $1").bind(tenant)).await?,
    };
    Ok(rows.iter().map(|r| repo::from_body(&r.at::<String>(0)?)).collect::<Result<Vec<_>, _>>()?)
}

/// What the entities say of one attribute name.
#[derive(Default)]
struct AttrInfo {
    /// Instances of it (every datasetId counts).
    count: usize,
    kinds: BTreeSet<&'static str>,
    types: BTreeSet<String>,
}

fn attribute_infos(list: &[Entity]) -> BTreeMap<String, AttrInfo> {
    let mut out: BTreeMap<String, AttrInfo> = BTreeMap::new();
    for e in list {
        for (name, instances) in &e.attrs {
            let info = out.entry(name.clone()).or_default();
            info.count += instances.len();
            info.kinds.extend(instances.iter().map(|a| a.kind.name()));
            info.types.extend(e.types.iter().cloned());
        }
    }
    out
}

/// `GET /types`: the entity types held, short names through the request's
/// context; with `details=true` each with its attribute names.
pub async fn types(ctx: Ctx, headers: HeaderMap, Query(params): Params) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    if details(&params)? {
        let mut by_type: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for e in entities(&ctx.app.store, &req.tenant, None).await? {
            for t in &e.types {
                by_type.entry(t.clone()).or_default().extend(e.attrs.keys().cloned());
            }
        }
        let items: Vec<Json> = by_type
            .iter()
            .map(|(t, attrs)| {
                let mut names: Vec<String> = attrs.iter().map(|a| req.ctx.compact(a)).collect();
                names.sort();
                json!({"id": t, "type": "EntityType", "typeName": req.ctx.compact(t), "attributeNames": names})
            })
            .collect();
        return Ok(req.answer(StatusCode::OK, Json::Array(items)));
    }
    let rows = ctx
        .app
        .store
        .fetch_all(sql("SELECT DISTINCT type FROM sensor_entity_types WHERE tenant_id = $1 ORDER BY type").bind(&req.tenant))
        .await?;
    let names = rows.iter().map(|r| Ok(req.ctx.compact(&r.at::<String>(0)?))).collect::<Result<Vec<_>, Fail>>()?;
    let body = json!({"id": format!("urn:ngsi-ld:EntityTypeList:{}", req.tenant), "type": "EntityTypeList", "typeList": names});
    Ok(req.answer(StatusCode::OK, body))
}

/// `GET /types/{type}`: EntityTypeInfo.
pub async fn type_info(ctx: Ctx, headers: HeaderMap, Path(ty): Path<String>) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    let expanded = req.ctx.expand(&ty);
    let list = entities(&ctx.app.store, &req.tenant, Some(&expanded)).await?;
    if list.is_empty() {
        return Err(bad(ErrorType::ResourceNotFound, format!("no entity of type {ty}")));
    }
    let details: Vec<Json> = attribute_infos(&list)
        .iter()
        .map(|(name, info)| json!({"id": name, "type": "Attribute", "attributeName": req.ctx.compact(name), "attributeTypes": info.kinds}))
        .collect();
    let body = json!({
        "id": expanded, "type": "EntityTypeInfo", "typeName": req.ctx.compact(&expanded),
        "entityCount": list.len(), "attributeDetails": details,
    });
    Ok(req.answer(StatusCode::OK, body))
}

fn attribute_json(req: &Request, name: &str, info: &AttrInfo, full: bool) -> Json {
    let types: Vec<String> = info.types.iter().map(|t| req.ctx.compact(t)).collect();
    let mut v = json!({"id": name, "type": "Attribute", "attributeName": req.ctx.compact(name), "typeNames": types});
    if full {
        v["attributeCount"] = json!(info.count);
        v["attributeTypes"] = json!(info.kinds);
    }
    v
}

/// `GET /attributes`: the attribute names with a current value or a
/// geometry; with `details=true` each with the types that have it.
pub async fn attributes(ctx: Ctx, headers: HeaderMap, Query(params): Params) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    if details(&params)? {
        let list = entities(&ctx.app.store, &req.tenant, None).await?;
        let items: Vec<Json> = attribute_infos(&list).iter().map(|(n, info)| attribute_json(&req, n, info, false)).collect();
        return Ok(req.answer(StatusCode::OK, Json::Array(items)));
    }
    // The names with a value still, each found in the value index by its number.
    let q = sql("SELECT n.name FROM sensor_attr_names n WHERE n.tenant_id = $1 \
         AND EXISTS (SELECT 1 FROM sensor_attr_values v WHERE v.attr = n.id) \
         UNION SELECT name FROM sensor_geo WHERE tenant_id = $1 ORDER BY name")
    .bind(&req.tenant);
    let rows = ctx.app.store.fetch_all(q).await?;
    let names = rows.iter().map(|r| Ok(req.ctx.compact(&r.at::<String>(0)?))).collect::<Result<Vec<_>, Fail>>()?;
    let body = json!({"id": format!("urn:ngsi-ld:AttributeList:{}", req.tenant), "type": "AttributeList", "attributeList": names});
    Ok(req.answer(StatusCode::OK, body))
}

/// `GET /attributes/{attr}`: one Attribute with its count, kinds and types.
pub async fn attribute(ctx: Ctx, headers: HeaderMap, Path(attr): Path<String>) -> Answer {
    let req = http::request(&ctx, &headers, None).await?;
    let name = req.ctx.expand(&attr);
    let list = entities(&ctx.app.store, &req.tenant, None).await?;
    let infos = attribute_infos(&list);
    let info = infos.get(&name).ok_or_else(|| bad(ErrorType::ResourceNotFound, format!("no entity has the attribute {attr}")))?;
    Ok(req.answer(StatusCode::OK, attribute_json(&req, &name, info, true)))
}
