//! Errors as each API family's seed documents them, every body carrying the engine's stable `code`:
//! RFC 9457 problems (`{status, title, detail, code}`) on benchmark routes, `{"error": {code,
//! message, details}}` on account and agent routes, `{"detail", "code"}` on bot routes, and the trade
//! journal's `{"error", "code": "BAD_REQUEST"}` (`{"message"}` for 401 and 403) with the stable code
//! in `error_code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use vectrade_core::{Error as EngineError, ErrorFamily};

use crate::store::StoreError;

/// Which API family's error body to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Benchmark routes (seed 001): RFC 9457 problem details.
    Problem,
    /// Account and agent routes (seed 004): `{"error": {code, message, details}}`.
    Nested,
    /// Bot routes (seed 000): `{"detail", "code"}`; malformed bodies are 422.
    Detail,
    /// Trade journal routes (seed 002): `{"error", "code"}` with the status's name as `code`
    /// (`BAD_REQUEST`, `NOT_FOUND`), `{"message"}` for 401 and 403; the stable code in `error_code`.
    Journal,
}

/// An error response: status, stable code, human detail, and the body style of its route.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code (the engine's code where the engine refused).
    pub code: String,
    /// What a person reads.
    pub detail: String,
    /// Body shape.
    pub style: Style,
    /// Extra top-level fields (`checkout_url`, `resets_at`, `request_id`, ...).
    pub extra: Map<String, Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

/// The problem body of the benchmark routes (for the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// HTTP status code.
    pub status: u16,
    /// Short name of the status.
    pub title: String,
    /// The actionable message.
    pub detail: String,
    /// Stable machine code, e.g. `insufficient_buying_power`.
    pub code: String,
}

/// The error body of the bot routes (for the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct DetailError {
    /// The actionable message.
    pub detail: String,
    /// Stable machine code.
    pub code: String,
}

/// The error body of the account and agent routes (for the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct NestedError {
    /// The error.
    pub error: NestedErrorBody,
}

/// The error body of the trade journal routes (for the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalError {
    /// The actionable message, e.g. `transactions array required and cannot be empty`.
    pub error: String,
    /// The status's name: `BAD_REQUEST`, `NOT_FOUND`, `INTERNAL_SERVER_ERROR`, ...
    pub code: String,
    /// Stable machine code, e.g. `invalid_request`, `trade_not_found`.
    pub error_code: String,
}

/// The 401 and 403 body of the trade journal routes (for the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalAuthError {
    /// What is wrong with the key, e.g. `Invalid API key for this bot`.
    pub message: String,
    /// Stable machine code: `unauthorized` or `forbidden`.
    pub error_code: String,
}

/// Inside [`NestedError`].
#[derive(Debug, Serialize, ToSchema)]
pub struct NestedErrorBody {
    /// Stable machine code.
    pub code: String,
    /// The actionable message.
    pub message: String,
    /// Structured context, if any.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    /// An error of the given status and code.
    pub fn new(style: Style, status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        ApiError { status, code: code.into(), detail: detail.into(), style, extra: Map::new(), retry_after: None }
    }

    /// A malformed request, code `invalid_request`: 422 on bot, account and agent routes (their
    /// seeds' validation status), 400 on benchmark and journal routes.
    pub fn bad_request(style: Style, detail: impl Into<String>) -> Self {
        let status = match style {
            Style::Detail | Style::Nested => StatusCode::UNPROCESSABLE_ENTITY,
            Style::Problem | Style::Journal => StatusCode::BAD_REQUEST,
        };
        Self::new(style, status, "invalid_request", detail)
    }

    /// 401.
    pub fn unauthorized(style: Style, detail: impl Into<String>) -> Self {
        Self::new(style, StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403.
    pub fn forbidden(style: Style, detail: impl Into<String>) -> Self {
        Self::new(style, StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404.
    pub fn not_found(style: Style, code: &str, detail: impl Into<String>) -> Self {
        Self::new(style, StatusCode::NOT_FOUND, code, detail)
    }

    /// 500 naming the request, so the operator can find it in the server's log.
    pub fn internal(style: Style, detail: impl Into<String>) -> Self {
        Self::new(style, StatusCode::INTERNAL_SERVER_ERROR, vectrade_core::error::INTERNAL_ERROR_CODE, detail)
    }

    /// The engine's refusal, with the status its family maps to on this API.
    pub fn engine(style: Style, e: &EngineError) -> Self {
        let status = match e.family() {
            ErrorFamily::InvalidInput
            | ErrorFamily::OrderRejected
            | ErrorFamily::RiskLimitExceeded
            | ErrorFamily::InvalidState => StatusCode::BAD_REQUEST,
            ErrorFamily::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorFamily::Conflict => StatusCode::CONFLICT,
            ErrorFamily::NotFound => StatusCode::NOT_FOUND,
        };
        Self::new(style, status, e.code(), e.detail.clone())
    }

    /// A storage failure: the write was not acknowledged.
    pub fn store(style: Style, e: &StoreError) -> Self {
        Self::new(style, StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", format!("not saved: {e}"))
    }

    /// Adds a top-level field to the body.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// The body this error is sent with.
    pub fn body(&self) -> Value {
        match self.style {
            Style::Problem => {
                let mut body = Map::new();
                body.insert("status".into(), json!(self.status.as_u16()));
                body.insert("title".into(), json!(self.status.canonical_reason().unwrap_or("Error")));
                body.insert("detail".into(), json!(self.detail));
                body.insert("code".into(), json!(self.code));
                body.extend(self.extra.clone());
                Value::Object(body)
            }
            Style::Nested => {
                let mut body = Map::new();
                body.insert(
                    "error".into(),
                    json!({"code": self.code, "message": self.detail, "details": Value::Object(self.extra.clone())}),
                );
                if let Some(id) = self.extra.get("request_id") {
                    body.insert("request_id".into(), id.clone());
                }
                Value::Object(body)
            }
            Style::Detail => {
                let mut body = Map::new();
                body.insert("detail".into(), json!(self.detail));
                body.insert("code".into(), json!(self.code));
                body.extend(self.extra.clone());
                Value::Object(body)
            }
            Style::Journal => {
                let mut body = Map::new();
                if matches!(self.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                    body.insert("message".into(), json!(self.detail));
                } else {
                    body.insert("error".into(), json!(self.detail));
                    let name = self.status.canonical_reason().unwrap_or("Error").to_ascii_uppercase();
                    body.insert("code".into(), json!(name.replace([' ', '-'], "_")));
                }
                body.insert("error_code".into(), json!(self.code));
                body.extend(self.extra.clone());
                Value::Object(body)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let content_type = match self.style {
            Style::Problem => "application/problem+json",
            Style::Nested | Style::Detail | Style::Journal => "application/json",
        };
        let mut response = (self.status, serde_json::to_string(&self.body()).unwrap_or_default()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
