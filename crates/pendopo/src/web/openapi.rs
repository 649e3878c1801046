//! The OpenAPI 3.1 document of the native JSON API (`/api/v1/openapi.json`),
//! built from the routes the slices register with `Routes::api`: a route
//! cannot be added to the API without being described here. The standards'
//! APIs (CKAN's Action API, OCDS) are described by their own standards.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::slices::ApiRoute;

/// The document for these routes.
pub fn document(routes: &[ApiRoute]) -> Value {
    let mut paths = Map::new();
    for route in routes {
        let parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut item = Map::new();
        if !parameters.is_empty() {
            item.insert("parameters".into(), Value::Array(parameters));
        }
        for op in route.ops {
            let writes = op.method != "get";
            let id = operation_id(op.method, route.path);
            let mut operation = json!({
                "operationId": id,
                "summary": op.summary,
                "tags": [route.path.trim_start_matches("/api/v1/").split('/').next().unwrap_or("")],
                "responses": {
                    "200": { "description": "OK", "content": { "application/json": { "schema": {} } } },
                    "default": { "$ref": "#/components/responses/Error" }
                }
            });
            if op.method == "get" && !route.query.is_empty() {
                let query: Vec<Value> = route
                    .query
                    .iter()
                    .map(|q| {
                        let kind = if q.integer { json!({ "type": "integer", "minimum": 0 }) } else { json!({ "type": "string" }) };
                        json!({ "name": q.name, "in": "query", "required": false, "description": q.description, "schema": kind })
                    })
                    .collect();
                operation["parameters"] = Value::Array(query);
            }
            if writes {
                operation["security"] = json!([{ "token": [] }]);
                operation["requestBody"] = json!({ "content": { "application/json": { "schema": { "type": "object" } } } });
            }
            item.insert(op.method.to_string(), operation);
        }
        paths.insert(route.path.to_string(), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Pendopo native API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The region's own API. Writes need an API token in `Authorization: <token>` or `Authorization: Bearer <token>`. The CKAN Action API is at /api/3/action and OCDS at /ocds.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": { "token": { "type": "apiKey", "in": "header", "name": "Authorization" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": { "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": { "type": "string", "description": "A stable snake_case code" },
                            "message": { "type": "string", "description": "In the caller's language" },
                            "fields": { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } } },
                            "request_id": { "type": "string" }
                        }
                    } }
                }
            },
            "responses": {
                "Error": { "description": "An error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        }
    })
}

/// `get /api/v1/organizations/{slug}` -> `get_organizations_slug`.
fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<&str> = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .map(|s| s.trim_start_matches('{').trim_end_matches('}'))
        .filter(|s| !s.is_empty())
        .collect();
    format!("{method}_{}", words.join("_"))
}

/// Built once: the routes are fixed when the binary is.
pub async fn serve() -> Response {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(|| document(crate::slices::routes().api_routes()))).into_response()
}
