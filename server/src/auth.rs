//! Authentication of requests: API keys (`X-API-Key` or `Authorization: Bearer`) on benchmark
//! routes, JWTs signed with the server's own secret for account management.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::identity::{Caller, KeyKind, KeyRecord, hash_secret};
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

/// Compares two secrets without leaking where they differ (their digests are compared).
pub fn same_secret(given: &str, expected: &str) -> bool {
    !given.is_empty() && hash_secret(given) == hash_secret(expected)
}

/// A header's value, trimmed; none when missing, empty or not text.
pub(crate) fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// The token of `Authorization: Bearer <token>`.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = header_value(headers, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    header_value(&parts.headers, name)
}

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_token(&parts.headers)
}

/// An agent key works only while its agent is active (not archived).
fn agent_active(state: &AppState, k: &KeyRecord) -> bool {
    k.agent_id.as_deref().is_none_or(|id| state.agents.get(id).is_some_and(|a| a.active))
}

/// With a JWT as the bearer token and `X-Agent-Id` (seed 004: "the X-Agent-Id header can be used
/// to scope requests to a specific agent"), the account's agent acts, as with the agent's own key:
/// `Ok(None)` when the request is not of that kind.
fn jwt_agent(parts: &Parts, state: &AppState, style: Style) -> Result<Option<Caller>, ApiError> {
    let Some(account) = bearer(parts).and_then(|t| state.jwt.verify(t)) else { return Ok(None) };
    let Some(agent_id) = header(parts, "x-agent-id") else {
        return Err(ApiError::unauthorized(
            style,
            "a JWT manages the account; to trade as one of its agents add `X-Agent-Id: <agent id>`, \
             or send the agent's key as `X-API-Key`",
        ));
    };
    let agent = state.agents.get(agent_id).filter(|a| a.account_id == account && a.active);
    let key = agent.and_then(|_| state.directory.agent_key(agent_id));
    match key {
        Some(k) => Ok(Some(Caller { account_id: account, key_id: k.id, agent_id: Some(agent_id.to_string()) })),
        None => Err(ApiError::forbidden(style, format!("no active agent '{agent_id}' in this account"))),
    }
}

/// The caller of a benchmark route: its key from `X-API-Key` or `Authorization: Bearer`, or a
/// JWT with `X-Agent-Id` (that agent).
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
        if header(parts, "x-api-key").is_none()
            && let Some(caller) = jwt_agent(parts, state, Style::Problem)?
        {
            return Ok(ApiKey(caller));
        }
        match state.directory.key(&hash_secret(key), &[KeyKind::Account, KeyKind::Agent]) {
            Some(k) if agent_active(state, &k) => {
                Ok(ApiKey(Caller { account_id: k.account_id, key_id: k.id, agent_id: k.agent_id }))
            }
            _ => Err(ApiError::unauthorized(Style::Problem, "invalid or revoked API key")),
        }
    }
}

/// The account a JWT names; a bot key in its place is refused (bots cannot manage keys).
fn jwt_account(parts: &Parts, state: &AppState, style: Style) -> Result<String, ApiError> {
    let token = bearer(parts);
    if token.is_some_and(|t| t.starts_with("tvt_")) || (token.is_none() && header(parts, "x-bot-key").is_some()) {
        return Err(ApiError::forbidden(
            style,
            "bot keys cannot manage keys or agents: log in with the account's API key and secret",
        ));
    }
    let Some(token) = bearer(parts) else {
        return Err(ApiError::unauthorized(
            style,
            "missing token: log in with POST /api/v1/auth/login and send `Authorization: Bearer <jwt>`",
        ));
    };
    match state.jwt.verify(token) {
        Some(account) if state.directory.account(&account).is_some() => Ok(account),
        _ => Err(ApiError::unauthorized(style, "invalid or expired token")),
    }
}

/// The account of a management route: a JWT from `POST /api/v1/auth/login` as a bearer token.
pub struct JwtAccount(pub String);

impl FromRequestParts<Arc<AppState>> for JwtAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        jwt_account(parts, state, Style::Nested).map(JwtAccount)
    }
}

/// [`JwtAccount`] on the bot routes (`{"detail"}` errors).
pub struct BotJwt(pub String);

impl FromRequestParts<Arc<AppState>> for BotJwt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        jwt_account(parts, state, Style::Detail).map(BotJwt)
    }
}

/// The caller of a bot route: a bot key as `X-Bot-Key` (the account's portfolio), an agent's key
/// as `X-API-Key` or the account's JWT with `X-Agent-Id` (the agent's), counted against the
/// account's 120 requests a minute.
pub struct BotKey(pub Caller);

impl FromRequestParts<Arc<AppState>> for BotKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let style = Style::Detail;
        if header(parts, "x-bot-key").is_none()
            && header(parts, "x-api-key").is_none()
            && let Some(caller) = jwt_agent(parts, state, style)?
        {
            count_request(parts, state, &caller.account_id)?;
            return Ok(BotKey(caller));
        }
        let found = match (header(parts, "x-bot-key"), header(parts, "x-api-key")) {
            (Some(key), _) => state.directory.key(&hash_secret(key), &[KeyKind::Bot]),
            (None, Some(key)) => state.directory.key(&hash_secret(key), &[KeyKind::Agent]),
            (None, None) => {
                return Err(ApiError::unauthorized(
                    style,
                    "missing key: send a bot key as `X-Bot-Key: tvt_...`, an agent's key as `X-API-Key`, or the \
                     account's JWT with `X-Agent-Id`",
                ));
            }
        };
        let Some(k) = found.filter(|k| agent_active(state, k)) else {
            return Err(ApiError::unauthorized(
                style,
                "invalid or revoked key (an account's own API key does not trade here)",
            ));
        };
        state.directory.touch(&k.id, crate::now_ms());
        count_request(parts, state, &k.account_id)?;
        Ok(BotKey(Caller { account_id: k.account_id, key_id: k.id, agent_id: k.agent_id }))
    }
}

/// Counts a bot-route request against the account's minute, and names the account to the
/// answer's rate-limit headers.
fn count_request(parts: &Parts, state: &AppState, account: &str) -> Result<(), ApiError> {
    if let Some(slot) = parts.extensions.get::<crate::rates::RateSlot>() {
        *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(account.to_string());
    }
    state.rates.request(account, crate::now_ms()).map_err(crate::bot::limited)
}
