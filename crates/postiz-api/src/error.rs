//! One error shape for every response: `{"error": {"code", "message", "fields"}, "request_id"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio_postgres::error::SqlState;

use crate::auth::AuthError;
use crate::request_id;

/// A field-level validation problem; `field` is a dotted path into the request body.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// e.g. `variants.x.text`.
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

/// An error answered to the client. Internal details are logged once here, never sent.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
    www_authenticate: bool,
    /// Seconds for a `Retry-After` header (429).
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
    request_id: String,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    fields: &'a [FieldError],
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: Vec::new(), www_authenticate: false, retry_after: None }
    }

    /// 410 with a machine-readable code: something that existed is no more (a dead review link).
    pub fn gone(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, code, message)
    }

    /// 401 with a machine-readable code and a `WWW-Authenticate: Bearer` challenge (API keys).
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self { www_authenticate: true, ..Self::new(StatusCode::UNAUTHORIZED, code, message) }
    }

    /// 413 naming the field whose content is too large.
    pub fn too_large(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            fields: vec![FieldError { field: field.to_owned(), message: message.clone() }],
            ..Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("{field}: {message}"))
        }
    }

    /// 415 naming the field whose content is of a type we do not accept.
    pub fn unsupported_type(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            fields: vec![FieldError { field: field.to_owned(), message: message.clone() }],
            ..Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type", format!("{field}: {message}"))
        }
    }

    /// 415 `unsupported_content_type`: a JSON endpoint got a body not declared as JSON
    /// (`got` is the request's `Content-Type`, if any).
    pub fn unsupported_content_type(got: Option<&str>) -> Self {
        let got = match got {
            Some(ct) => format!("got Content-Type: {ct}"),
            None => "the request has no Content-Type".to_owned(),
        };
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            format!("Content-Type: this endpoint takes a JSON body; send it with `Content-Type: application/json` ({got})"),
        )
    }

    /// 422 with a more specific code than `validation_failed`, about the request as a whole
    /// (e.g. `idempotency_key_reused`).
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// The API's error for a response axum made itself (an extractor's rejection, in plain
    /// text): same status, its text as the message.
    pub(crate) fn from_plain(status: StatusCode, text: &str) -> Self {
        let code = match status {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_content_type",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::NOT_FOUND => "not_found",
            s if s.is_server_error() => "internal",
            _ => "bad_request",
        };
        let text = text.trim();
        let message = if text.is_empty() { status.canonical_reason().unwrap_or("request refused").to_owned() } else { text.to_owned() };
        Self::new(status, code, message)
    }

    /// 429 with `Retry-After` (whole seconds, at least 1).
    pub fn too_many_requests(retry_after: std::time::Duration, message: impl Into<String>) -> Self {
        let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Self { retry_after: Some(secs.max(1)), ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message) }
    }

    /// 400 with a machine-readable code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422 naming the fields at fault. A message that already names its field by the label
    /// the person sees ("TikTok › Who can see this post: choose one") is used as it is.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] if one.message.contains(" › ") => one.message.clone(),
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        Self { fields, ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message) }
    }

    /// 404: also what a member of another workspace gets, so existence never leaks.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// 403: the caller may see the resource but not do this to it.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 403 with a more specific code than `forbidden` (e.g. `insufficient_scope`).
    pub fn forbidden_because(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 409.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 503: a dependency is down; the client may retry.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500 with a generic message; `source` is logged with the request id.
    pub fn internal(source: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %source, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong; quote the request id when reporting it")
    }

    /// The same error about another field (`file` checks reused for a `url`).
    pub(crate) fn renamed_field(mut self, from: &str, to: &str) -> Self {
        for f in self.fields.iter_mut().filter(|f| f.field == from) {
            f.field = to.to_owned();
        }
        if let Some(rest) = self.message.strip_prefix(&format!("{from}: ")) {
            self.message = format!("{to}: {rest}");
        }
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message, written for the person who sees it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The fields at fault (422), each with its message.
    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let status = match e {
            AuthError::CrossSite => StatusCode::FORBIDDEN,
            AuthError::KeysUnavailable | AuthError::SessionUnconfirmed(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNAUTHORIZED,
        };
        Self { www_authenticate: status == StatusCode::UNAUTHORIZED, ..Self::new(status, e.code(), e.to_string()) }
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        let Some(db) = e.as_db_error() else {
            return Self::unavailable("the database is unreachable");
        };
        let code = db.code();
        if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            // Row-level security refused a write in a workspace the caller belongs to.
            Self::forbidden("your role in this workspace does not allow this")
        } else if *code == SqlState::UNIQUE_VIOLATION {
            Self::conflict("already_exists", db.detail().unwrap_or("that already exists").to_owned())
        } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
            Self::not_found()
        } else if *code == SqlState::CHECK_VIOLATION || *code == SqlState::NOT_NULL_VIOLATION {
            let field = db.column().or(db.constraint()).unwrap_or("body").to_owned();
            Self::validation(vec![FieldError { field, message: db.message().to_owned() }])
        } else if code.code() == "PZ409" {
            // The approval gate: the message says what is missing, for people.
            Self::conflict("approval_required", db.message().to_owned())
        } else if *code == SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE {
            // Our functions' "not in that state any more" (e.g. resolved by someone else first).
            Self::conflict("wrong_state", db.message().to_owned())
        } else if code.code() == "PZ410" {
            // A review link that is unknown, expired or revoked: one answer for all three.
            Self::gone("review_link_dead", db.message().to_owned())
        } else if code.code() == "PZ404" {
            // Outside what the caller may reach (a review link's scope): as if it did not exist.
            Self { message: db.message().to_owned(), ..Self::not_found() }
        } else if code.code() == "PZ403" {
            // A review decision this person may not make now; the message says why.
            Self::forbidden_because("review_refused", db.message().to_owned())
        } else if *code == SqlState::RAISE_EXCEPTION || code.code().starts_with("P0") || code.code().starts_with("22") {
            // Our own functions raise user-facing messages; data exceptions are bad input.
            Self::bad_request("rejected", db.message().to_owned())
        } else if *code == SqlState::QUERY_CANCELED {
            Self::unavailable("the request took too long")
        } else {
            Self::internal(&e)
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection available");
        Self::unavailable("the database is busy; retry shortly")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            Body { error: Inner { code: self.code, message: &self.message, fields: &self.fields }, request_id: request_id::current() };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.www_authenticate {
            let value = format!("Bearer error=\"invalid_token\", error_description=\"{}\"", self.code);
            if let Ok(v) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
        }
        response
    }
}
