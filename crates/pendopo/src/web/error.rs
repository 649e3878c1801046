//! One error type for every handler. A handler returns it; the
//! `render_errors` middleware turns it into the answer the client speaks:
//! a page in the user's language, or a JSON error under `/api/`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::kernel::identity::{IdentityError, LoginError};
use crate::kernel::msg::Msg;
use crate::kernel::organizations::OrgError;
use crate::store::StoreError;

#[derive(Debug)]
pub enum AppError {
    BadRequest(Msg),
    NotFound(Msg),
    /// Not signed in, or the credentials are not valid: pages redirect to the
    /// sign-in page, the API answers 401.
    Unauthorized(Msg),
    Forbidden(Msg),
    /// Fields that cannot be saved as given: (field, message).
    Invalid(Vec<(String, Msg)>),
    TooManyRequests(Msg),
    /// A body or file over its limit (in bytes).
    TooLarge(u64),
    /// The deployment has no region yet.
    NoTenant,
    /// Logged with the request id, never shown.
    Internal(String),
}

impl AppError {
    pub fn not_found() -> AppError {
        AppError::NotFound(Msg::new("error.not_found"))
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden(Msg::new("error.forbidden"))
    }

    pub fn invalid(field: &str, msg: Msg) -> AppError {
        AppError::Invalid(vec![(field.to_string(), msg)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::NoTenant => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The main message and the per-field ones.
    pub fn messages(&self) -> (Msg, Vec<(String, Msg)>) {
        match self {
            AppError::BadRequest(m)
            | AppError::NotFound(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::TooManyRequests(m) => (m.clone(), Vec::new()),
            AppError::Invalid(fields) => (Msg::new("error.invalid"), fields.clone()),
            AppError::NoTenant => (Msg::new("error.no_tenant"), Vec::new()),
            AppError::TooLarge(limit) => {
                (Msg::new("error.too_large").arg("limit", crate::web::format::thousands(*limit as i64)), Vec::new())
            }
            AppError::Internal(_) => (Msg::new("error.internal"), Vec::new()),
        }
    }
}

/// What a failed response carries to `render_errors`.
#[derive(Clone)]
pub struct ErrorReport {
    pub msg: Msg,
    pub fields: Vec<(String, Msg)>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let (msg, fields) = self.messages();
        let mut res = status.into_response();
        res.extensions_mut().insert(ErrorReport { msg, fields });
        res
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::not_found(),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<IdentityError> for AppError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Invalid(m) => AppError::BadRequest(m),
            IdentityError::Fields(fields) => AppError::Invalid(fields.into_iter().map(|(f, m)| (f.to_string(), m)).collect()),
            IdentityError::Store(e) => e.into(),
        }
    }
}

impl From<OrgError> for AppError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::Invalid(field, m) => AppError::invalid(field, m),
            OrgError::Store(e) => e.into(),
        }
    }
}

impl From<LoginError> for AppError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Invalid => AppError::Unauthorized(Msg::new("error.login_invalid")),
            LoginError::Throttled => AppError::TooManyRequests(Msg::new("error.login_throttled")),
            LoginError::Store(e) => e.into(),
        }
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(format!("template: {e:#}"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
