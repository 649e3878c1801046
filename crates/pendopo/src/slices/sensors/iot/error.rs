//! Errors as FIWARE IoT Agent answers them (`{"name", "message"}` with its
//! status), so provisioning scripts that read them keep working.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;
use crate::web::error::AppError;

#[derive(Debug)]
pub enum IotError {
    Agent {
        status: StatusCode,
        name: &'static str,
        message: String,
    },
    /// Ours (the store): logged with the request id, never shown.
    App(AppError),
}

impl IotError {
    fn agent(status: StatusCode, name: &'static str, message: String) -> IotError {
        IotError::Agent { status, name, message }
    }

    pub fn syntax(what: &str) -> IotError {
        IotError::agent(StatusCode::BAD_REQUEST, "WRONG_SYNTAX", format!("Wrong syntax in request: {what}"))
    }

    pub fn missing_headers(names: &[&str]) -> IotError {
        let list = serde_json::to_string(names).unwrap_or_default();
        IotError::agent(StatusCode::BAD_REQUEST, "MISSING_HEADERS", format!("Some headers were missing from the request: {list}"))
    }

    pub fn missing_params(names: &[&str]) -> IotError {
        let list = serde_json::to_string(names).unwrap_or_default();
        IotError::agent(
            StatusCode::BAD_REQUEST,
            "MANDATORY_PARAMS_NOT_FOUND_HTTP",
            format!("Some of the mandatory params weren't found in the request: {list}"),
        )
    }

    pub fn duplicate_group(resource: &str, apikey: &str) -> IotError {
        IotError::agent(
            StatusCode::CONFLICT,
            "DUPLICATE_GROUP",
            format!("A device configuration already exists for resource {resource} and API Key {apikey}"),
        )
    }

    pub fn group_not_found(resource: &str, apikey: &str) -> IotError {
        let values = json!({"resource": resource, "apikey": apikey});
        IotError::agent(
            StatusCode::NOT_FOUND,
            "DEVICE_GROUP_NOT_FOUND",
            format!("Couldn't find device group for fields: [\"resource\",\"apikey\"] and values: {values}"),
        )
    }

    pub fn duplicate_device(device_id: &str) -> IotError {
        IotError::agent(
            StatusCode::CONFLICT,
            "DUPLICATE_DEVICE_ID",
            format!("A device with the same pair (Service, DeviceId) was found:{device_id}"),
        )
    }

    pub fn device_not_found(device_id: &str) -> IotError {
        IotError::agent(StatusCode::NOT_FOUND, "DEVICE_NOT_FOUND", format!("No device was found with id:{device_id}"))
    }

    pub fn bad_payload(what: &str) -> IotError {
        IotError::agent(StatusCode::BAD_REQUEST, "BAD_REQUEST", format!("Request error connecting to the Context Broker: {what}"))
    }
}

impl From<StoreError> for IotError {
    fn from(e: StoreError) -> Self {
        IotError::App(e.into())
    }
}

impl From<AppError> for IotError {
    fn from(e: AppError) -> Self {
        IotError::App(e)
    }
}

impl IntoResponse for IotError {
    fn into_response(self) -> Response {
        match self {
            IotError::Agent { status, name, message } => (status, Json(json!({"name": name, "message": message}))).into_response(),
            IotError::App(e) => e.into_response(),
        }
    }
}
