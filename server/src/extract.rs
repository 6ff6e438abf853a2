//! Request bodies and query strings read into typed values, with errors in the route family's shape
//! (axum's own rejections are plain text).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::{ApiError, Style};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Reads JSON text into `T`, naming the field that failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], style: Style) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let what = if inner.is_syntax() || inner.is_eof() {
            format!("invalid JSON in request body: {inner}")
        } else if path == "." {
            format!("invalid request body: {inner}")
        } else {
            format!("invalid request body: `{path}`: {inner}")
        };
        ApiError::bad_request(style, what)
    })?;
    de.end().map_err(|e| ApiError::bad_request(style, format!("invalid JSON in request body: {e}")))?;
    Ok(value)
}

/// Reads a request's JSON body in the error style of its route; an empty body reads as `{}`.
async fn read_json<S: Send + Sync, T: DeserializeOwned>(req: Request, state: &S, style: Style) -> Result<T, ApiError> {
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|e| ApiError::new(style, e.status(), "invalid_request", e.body_text()))?;
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
    parse_json(text, style)
}

/// A JSON body on a benchmark route (problem details on error).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_json(req, state, Style::Problem).await.map(Body)
    }
}

/// A JSON body on an account or agent route (nested errors).
pub struct NestedBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for NestedBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_json(req, state, Style::Nested).await.map(NestedBody)
    }
}

/// A JSON body on a bot route (`{"detail"}` errors, 422 when malformed).
pub struct DetailBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for DetailBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_json(req, state, Style::Detail).await.map(DetailBody)
    }
}

fn read_query<T: DeserializeOwned>(parts: &Parts, style: Style) -> Result<T, ApiError> {
    serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(style, format!("invalid query string: {e}")))
}

/// A query string on a benchmark route.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        read_query(parts, Style::Problem).map(Query)
    }
}

/// A query string on an account or agent route.
pub struct NestedQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for NestedQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        read_query(parts, Style::Nested).map(NestedQuery)
    }
}

/// A query string on a bot route.
pub struct DetailQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for DetailQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        read_query(parts, Style::Detail).map(DetailQuery)
    }
}
