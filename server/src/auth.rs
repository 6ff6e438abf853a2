//! Authentication of requests: API keys (`X-API-Key` or `Authorization: Bearer`) on benchmark
//! routes, JWTs signed with the server's own secret for account management.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::identity::{Caller, KeyKind, hash_secret};
use crate::problem::{ApiError, Style};

/// How long a JWT from `POST /api/v1/auth/login` is valid, in seconds.
pub const TOKEN_TTL_SECS: i64 = 24 * 3600;

/// Signs and checks JWTs (HS256) with the secret generated at the server's first start.
pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
}

impl Jwt {
    /// Keys from the server secret.
    pub fn new(secret: &[u8]) -> Jwt {
        Jwt { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    /// A token for `account_id`, issued at `now` (UTC seconds).
    pub fn issue(&self, account_id: &str, now: i64) -> (String, i64) {
        let exp = now + TOKEN_TTL_SECS;
        let claims = Claims { sub: account_id.to_string(), iat: now, exp };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail");
        (token, exp)
    }

    /// The account a valid, unexpired token names.
    pub fn verify(&self, token: &str) -> Option<String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|d| d.claims.sub)
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = header(parts, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The caller of a benchmark route: its key from `X-API-Key` or `Authorization: Bearer`.
pub struct ApiKey(pub Caller);

impl FromRequestParts<Arc<AppState>> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let Some(key) = header(parts, "x-api-key").or_else(|| bearer(parts)) else {
            return Err(ApiError::unauthorized(
                Style::Problem,
                "missing API key: send it as `X-API-Key: <key>` or `Authorization: Bearer <key>`",
            ));
        };
        match state.directory.key(&hash_secret(key), &[KeyKind::Account]) {
            Some(k) => Ok(ApiKey(Caller { account_id: k.account_id, key_id: k.id })),
            None => Err(ApiError::unauthorized(Style::Problem, "invalid or revoked API key")),
        }
    }
}

/// The account of a management route: a JWT from `POST /api/v1/auth/login` as a bearer token.
pub struct JwtAccount(pub String);

impl FromRequestParts<Arc<AppState>> for JwtAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let Some(token) = bearer(parts) else {
            return Err(ApiError::unauthorized(
                Style::Nested,
                "missing token: log in with POST /api/v1/auth/login and send `Authorization: Bearer <jwt>`",
            ));
        };
        match state.jwt.verify(token) {
            Some(account) if state.directory.account(&account).is_some() => Ok(JwtAccount(account)),
            _ => Err(ApiError::unauthorized(Style::Nested, "invalid or expired token")),
        }
    }
}
