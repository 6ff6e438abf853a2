//! Accounts: local registration, login for a JWT (seed 004), and the benchmark's billing account
//! (seed 001). The local server takes no payments: checkout and portal answer with a local page
//! saying how the operator sets a plan (`vectrade-server plan ...`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vectrade_core::time::format_rfc3339;

use crate::auth::ApiKey;
use crate::extract::{Body, NestedBody};
use crate::identity::{Account, KeyKind, NewAccount, Plan, hash_secret, read_account};
use crate::problem::{ApiError, NestedError, Problem, Style};
use crate::runs::Reply;
use crate::{AppState, month_start, now_ms};

/// The account and billing routes.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(billing_account, set_handle))
        .routes(routes!(checkout))
        .routes(routes!(portal))
}

/// `POST /api/v1/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIn {
    /// Name shown on the leaderboard when no handle is set (1–100 characters; default "local").
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A new account's credentials, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterOut {
    /// Account id.
    pub account_id: String,
    /// Display name.
    pub display_name: String,
    /// API key: `X-API-Key` on benchmark routes, and with the secret, login.
    pub api_key: String,
    /// API secret, for `POST /api/v1/auth/login` only. Not shown again.
    pub api_secret: String,
}

/// Creates a local account with its API key and secret (shown once).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterIn,
    responses((status = 201, body = RegisterOut), (status = 422, body = NestedError)))]
async fn register(
    State(state): State<Arc<AppState>>,
    NestedBody(body): NestedBody<RegisterIn>,
) -> Result<Reply, ApiError> {
    let name = body.display_name.unwrap_or_else(|| "local".into());
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request(Style::Nested, "display_name must be 1 to 100 characters"));
    }
    let out = create_account(&state, name).await?;
    Ok(Reply::json(StatusCode::CREATED, &out))
}

/// Creates an account, committed before it is answered.
pub async fn create_account(state: &Arc<AppState>, display_name: &str) -> Result<RegisterOut, ApiError> {
    let new = Arc::new(NewAccount::generate(display_name, now_ms()));
    let out = RegisterOut {
        account_id: new.account.id.clone(),
        display_name: new.account.display_name.clone(),
        api_key: new.api_key.clone(),
        api_secret: new.api_secret.clone(),
    };
    let row = new.clone();
    state
        .commit(move |conn| row.insert(conn), move |s| new.publish(&s.directory))
        .await
        .map_err(|e| ApiError::store(Style::Nested, &e))?;
    Ok(out)
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    /// The account's API key.
    pub api_key: String,
    /// The account's API secret.
    pub api_secret: String,
}

/// A JWT for the management routes.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Expiry (RFC 3339 UTC).
    pub expires_at: String,
    /// Always `Bearer`.
    pub token_type: String,
}

/// Exchanges an API key and secret for a JWT (valid 24 hours).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginIn,
    responses((status = 200, body = TokenOut), (status = 401, body = NestedError), (status = 422, body = NestedError)))]
async fn login(State(state): State<Arc<AppState>>, NestedBody(body): NestedBody<LoginIn>) -> Result<Reply, ApiError> {
    let refused = || ApiError::unauthorized(Style::Nested, "invalid API key or secret");
    let key = state.directory.key(&hash_secret(&body.api_key), &[KeyKind::Account]).ok_or_else(refused)?;
    let account = state.directory.account(&key.account_id).ok_or_else(refused)?;
    if account.secret_hash != hash_secret(&body.api_secret) {
        return Err(refused());
    }
    let (token, exp) = state.jwt.issue(&account.id, now_ms() / 1000);
    Ok(Reply::json(
        StatusCode::OK,
        &TokenOut { token, expires_at: format_rfc3339(exp * 1000), token_type: "Bearer".into() },
    ))
}

/// `GET /api/v1/billing/account`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillingAccount {
    /// Account id.
    pub account_id: String,
    /// The key of the request.
    pub key_id: String,
    /// `free` or `pro`.
    pub plan: String,
    /// Billing e-mail (none locally).
    pub billing_email: Option<String>,
    /// `active` for Pro, `none` for Free.
    pub subscription_status: String,
    /// End of the current quota period: the next UTC month (RFC 3339).
    pub current_period_end: String,
    /// Leaderboard handle (Pro only).
    pub handle: Option<String>,
    /// Runs started this UTC month.
    pub runs_used: usize,
    /// Runs allowed per UTC month.
    pub runs_limit: usize,
}

/// The caller's account as stored now, refreshed in the directory (plans change under a running server).
pub async fn fresh_account(state: &AppState, account_id: &str, style: Style) -> Result<Account, ApiError> {
    let id = account_id.to_string();
    let account = state
        .store
        // Through the writer, after the writes queued before: the directory is refreshed with
        // nothing older than what it already holds.
        .read(move |conn| read_account(conn, &id))
        .await
        .map_err(|e| ApiError::store(style, &e))?
        .ok_or_else(|| ApiError::unauthorized(style, "unknown account"))?;
    state.directory.put_account(account.clone());
    Ok(account)
}

async fn runs_used(state: &AppState, account_id: &str, since: i64) -> Result<usize, ApiError> {
    let id = account_id.to_string();
    state
        .store
        .read_committed(move |conn| crate::runs::Runs::count_since(conn, &id, since))
        .await
        .map_err(|e| ApiError::store(Style::Problem, &e))
}

/// The billing routes are the account's: an agent's key (handed to a model) does not reach them.
fn account_key_only(caller: &crate::identity::Caller) -> Result<(), ApiError> {
    match caller.agent_id {
        Some(_) => Err(ApiError::forbidden(Style::Problem, "an agent's key cannot reach the account's billing")),
        None => Ok(()),
    }
}

async fn billing(state: &AppState, account_id: &str, key_id: &str) -> Result<BillingAccount, ApiError> {
    let a = fresh_account(state, account_id, Style::Problem).await?;
    let now = now_ms();
    let (since, next) = month_start(now);
    Ok(BillingAccount {
        account_id: a.id.clone(),
        key_id: key_id.to_string(),
        plan: a.plan.as_str().into(),
        billing_email: a.billing_email.clone(),
        subscription_status: if a.plan == Plan::Pro { "active" } else { "none" }.into(),
        current_period_end: format_rfc3339(next),
        handle: a.handle.clone(),
        runs_used: runs_used(state, &a.id, since).await?,
        runs_limit: a.plan.monthly_runs(),
    })
}

/// The caller's plan, quota and handle.
#[utoipa::path(get, path = "/api/v1/billing/account", tag = "billing", security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = BillingAccount), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "An agent's key")))]
async fn billing_account(State(state): State<Arc<AppState>>, ApiKey(caller): ApiKey) -> Result<Reply, ApiError> {
    account_key_only(&caller)?;
    Ok(Reply::json(StatusCode::OK, &billing(&state, &caller.account_id, &caller.key_id).await?))
}

/// `PATCH /api/v1/billing/account`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandleIn {
    /// 3–24 characters: letters, digits, `_` and `-`; unique (case-insensitive).
    pub handle: String,
}

/// Sets the leaderboard handle (Pro only).
#[utoipa::path(patch, path = "/api/v1/billing/account", tag = "billing", request_body = HandleIn,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = BillingAccount), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "Free plan"), (status = 409, body = Problem, content_type = "application/problem+json", description = "Handle taken")))]
async fn set_handle(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Body(body): Body<HandleIn>,
) -> Result<Reply, ApiError> {
    account_key_only(&caller)?;
    let style = Style::Problem;
    let handle = body.handle;
    let n = handle.chars().count();
    if !(3..=24).contains(&n) || !handle.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(ApiError::bad_request(style, "handle must be 3 to 24 characters: letters, digits, '_' and '-'"));
    }
    let mut account = fresh_account(&state, &caller.account_id, style).await?;
    if account.plan != Plan::Pro {
        return Err(ApiError::forbidden(style, "leaderboard handles are for Pro accounts"));
    }
    if state.directory.account_by_handle(&handle).is_some_and(|a| a.id != account.id) {
        return Err(ApiError::new(style, StatusCode::CONFLICT, "handle_taken", format!("handle '{handle}' is taken")));
    }
    let (id, h) = (account.id.clone(), handle.clone());
    account.handle = Some(handle.clone());
    state
        .commit(
            move |conn| conn.execute("UPDATE accounts SET handle = ?1 WHERE id = ?2", [h, id]).map(drop),
            move |s| s.directory.put_account(account),
        )
        .await
        .map_err(|e| match e.is_unique_violation() {
            true => ApiError::new(style, StatusCode::CONFLICT, "handle_taken", format!("handle '{handle}' is taken")),
            false => ApiError::store(style, &e),
        })?;
    Ok(Reply::json(StatusCode::OK, &billing(&state, &caller.account_id, &caller.key_id).await?))
}

/// Where to go to change the plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillingLink {
    /// A local page: the local server takes no payments.
    pub url: String,
    /// The same, under the name the hosted service uses (`checkout_url` / `portal_url`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub named: serde_json::Map<String, serde_json::Value>,
}

fn link(state: &AppState, name: &str) -> BillingLink {
    let url = format!("{}/api/v1/billing/local", state.public_url);
    let mut named = serde_json::Map::new();
    named.insert(name.into(), url.clone().into());
    BillingLink { url, named }
}

/// Where a Pro subscription would start; locally, a page naming the operator command.
#[utoipa::path(post, path = "/api/v1/billing/checkout", tag = "billing", security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = BillingLink), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "An agent's key")))]
async fn checkout(State(state): State<Arc<AppState>>, ApiKey(caller): ApiKey) -> Result<Reply, ApiError> {
    account_key_only(&caller)?;
    Ok(Reply::json(StatusCode::OK, &link(&state, "checkout_url")))
}

/// Where a subscription would be managed; locally, a page naming the operator command.
#[utoipa::path(post, path = "/api/v1/billing/portal", tag = "billing", security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = BillingLink), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "An agent's key")))]
async fn portal(State(state): State<Arc<AppState>>, ApiKey(caller): ApiKey) -> Result<Reply, ApiError> {
    account_key_only(&caller)?;
    Ok(Reply::json(StatusCode::OK, &link(&state, "portal_url")))
}
