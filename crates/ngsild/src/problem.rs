//! The spec's error types (clause 5.5.2), their HTTP statuses (clause
//! 6.3.2) and the ProblemDetails document (RFC 7807) every NGSI-LD error
//! answer carries.
//!
//! LdContextNotAvailable answers 503, as v1.8 and the ETSI test suite's
//! fixtures say; v1.9.1 moved it to 504 (Gateway Timeout), which a broker
//! that never fetches has no reason to claim.

use std::fmt;

use serde_json::{Value as Json, json};

/// An NGSI-LD error type; [`ErrorType::uri`] is the ProblemDetails `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// The request is malformed (bad JSON, a bad query parameter).
    InvalidRequest,
    /// The request is well formed but its data is not valid NGSI-LD.
    BadRequestData,
    AlreadyExists,
    /// The operation conflicts with the current state of the system.
    Conflict,
    OperationNotSupported,
    ResourceNotFound,
    InternalError,
    TooComplexQuery,
    TooManyResults,
    /// A @context named by URL could not be had (here: is not in the local store).
    LdContextNotAvailable,
    NoMultiTenantSupport,
    NonexistentTenant,
}

impl ErrorType {
    pub const ALL: &'static [ErrorType] = &[
        ErrorType::InvalidRequest,
        ErrorType::BadRequestData,
        ErrorType::AlreadyExists,
        ErrorType::Conflict,
        ErrorType::OperationNotSupported,
        ErrorType::ResourceNotFound,
        ErrorType::InternalError,
        ErrorType::TooComplexQuery,
        ErrorType::TooManyResults,
        ErrorType::LdContextNotAvailable,
        ErrorType::NoMultiTenantSupport,
        ErrorType::NonexistentTenant,
    ];

    /// The name, as in the spec and at the end of the type URI.
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::InvalidRequest => "InvalidRequest",
            ErrorType::BadRequestData => "BadRequestData",
            ErrorType::AlreadyExists => "AlreadyExists",
            ErrorType::Conflict => "Conflict",
            ErrorType::OperationNotSupported => "OperationNotSupported",
            ErrorType::ResourceNotFound => "ResourceNotFound",
            ErrorType::InternalError => "InternalError",
            ErrorType::TooComplexQuery => "TooComplexQuery",
            ErrorType::TooManyResults => "TooManyResults",
            ErrorType::LdContextNotAvailable => "LdContextNotAvailable",
            ErrorType::NoMultiTenantSupport => "NoMultiTenantSupport",
            ErrorType::NonexistentTenant => "NonexistentTenant",
        }
    }

    /// `https://uri.etsi.org/ngsi-ld/errors/{name}`.
    pub fn uri(self) -> String {
        format!("https://uri.etsi.org/ngsi-ld/errors/{}", self.name())
    }

    /// Reads a type URI (or a bare name) back.
    pub fn from_uri(uri: &str) -> Option<ErrorType> {
        let name = uri.strip_prefix("https://uri.etsi.org/ngsi-ld/errors/").unwrap_or(uri);
        Self::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The HTTP status the spec pairs with the type.
    pub fn status(self) -> u16 {
        match self {
            ErrorType::InvalidRequest | ErrorType::BadRequestData => 400,
            ErrorType::TooComplexQuery | ErrorType::TooManyResults => 403,
            ErrorType::ResourceNotFound | ErrorType::NonexistentTenant => 404,
            ErrorType::AlreadyExists | ErrorType::Conflict => 409,
            ErrorType::OperationNotSupported => 422,
            ErrorType::InternalError => 500,
            ErrorType::NoMultiTenantSupport => 501,
            ErrorType::LdContextNotAvailable => 503,
        }
    }

    /// A short English title (ProblemDetails `title`).
    pub fn title(self) -> &'static str {
        match self {
            ErrorType::InvalidRequest => "The request associated to the operation is syntactically invalid",
            ErrorType::BadRequestData => "The request includes input data which does not meet the requirements of the operation",
            ErrorType::AlreadyExists => "The referred element already exists",
            ErrorType::Conflict => "The operation conflicts with the current state of the system",
            ErrorType::OperationNotSupported => "The operation is not supported",
            ErrorType::ResourceNotFound => "The referred resource has not been found",
            ErrorType::InternalError => "There has been an error during the operation execution",
            ErrorType::TooComplexQuery => "The query is too complex and cannot be resolved",
            ErrorType::TooManyResults => "The query produces too many results",
            ErrorType::LdContextNotAvailable => "A remote JSON-LD @context referenced in a request cannot be retrieved",
            ErrorType::NoMultiTenantSupport => "Tenants are not supported",
            ErrorType::NonexistentTenant => "The addressed tenant does not exist",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error answer: its type and what exactly went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ErrorType,
    /// English detail for API clients and logs (e.g. the position in a query).
    pub detail: String,
}

impl Problem {
    pub fn new(kind: ErrorType, detail: impl Into<String>) -> Problem {
        Problem { kind, detail: detail.into() }
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The `application/json` ProblemDetails body.
    pub fn to_json(&self) -> Json {
        json!({"type": self.kind.uri(), "title": self.kind.title(), "status": self.kind.status(), "detail": self.detail})
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for Problem {}

impl From<crate::q::QueryError> for Problem {
    fn from(e: crate::q::QueryError) -> Problem {
        Problem::new(ErrorType::BadRequestData, e.to_string())
    }
}

impl From<crate::geo::GeoError> for Problem {
    fn from(e: crate::geo::GeoError) -> Problem {
        Problem::new(ErrorType::BadRequestData, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_statuses() {
        assert_eq!(ErrorType::BadRequestData.uri(), "https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
        assert_eq!(ErrorType::LdContextNotAvailable.status(), 503);
        assert_eq!(ErrorType::AlreadyExists.status(), 409);
        assert_eq!(ErrorType::OperationNotSupported.status(), 422);
        for t in ErrorType::ALL {
            assert_eq!(ErrorType::from_uri(&t.uri()), Some(*t));
        }
        let p: Problem = crate::q::parse("speed>").unwrap_err().into();
        assert_eq!(p.status(), 400);
        assert_eq!(p.to_json()["detail"], "q: expected a value at position 6, found the end");
        assert_eq!(p.to_json()["type"], "https://uri.etsi.org/ngsi-ld/errors/BadRequestData");
    }
}
