//! The bot trade journal (seed 002) under `/api/bots/{slug}/trades`: trades with their entry and
//! exit transactions; each trade's status is recalculated by the core after every change.
//!
//! A bot is its slug. It comes to exist with the first trade created under it, owned by the account
//! whose API key (`x-api-key`) created it; any other account's key gets 403 on it, an unknown slug
//! is 404 on every other route. Handlers translate HTTP to the journal's rows and the core's status
//! rule; a change and the status it leads to are committed together, before the answer.

pub mod book;
pub mod wire;

use std::sync::{Arc, Mutex};

use crate::db::Db;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vectrade_core::journal::JournalStatus;
use vectrade_core::limits::MAX_NAME_CHARS;

use crate::identity::{KeyKind, hash_secret};
use crate::problem::{ApiError, JournalAuthError, JournalError, Style};
use crate::runs::Reply;
use crate::store::Store;
use crate::{AppState, now_ms};
use book::{Bot, ListFilter};
use wire::*;

/// The journal routes.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(create_trade, list_trades))
        .routes(routes!(get_trade, update_trade))
        .routes(routes!(add_transactions))
}

const STYLE: Style = Style::Journal;

/// Largest page of `GET /trades`.
const MAX_PAGE: usize = 500;

fn bad_request(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(STYLE, detail)
}

fn forbidden() -> ApiError {
    ApiError::forbidden(STYLE, "Invalid API key for this bot")
}

fn trade_not_found() -> ApiError {
    ApiError::not_found(STYLE, "trade_not_found", "Trade not found")
}

fn store_error(e: &crate::store::StoreError) -> ApiError {
    ApiError::store(STYLE, e)
}

/// The account behind the `x-api-key` header (the account's API key or one of its bot keys).
pub struct BotKey(pub String);

impl FromRequestParts<Arc<AppState>> for BotKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty());
        let Some(key) = key else {
            return Err(ApiError::unauthorized(STYLE, "API key required. Include x-api-key header."));
        };
        // An unknown key owns no bot: the seed's 403, without saying whether the bot exists.
        state
            .directory
            .key(&hash_secret(key), &[KeyKind::Account, KeyKind::Bot])
            .map(|k| BotKey(k.account_id))
            .ok_or_else(forbidden)
    }
}

/// Path parameters, with errors in the journal's shape.
pub struct JournalPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for JournalPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| JournalPath(t))
            .map_err(|e| bad_request(e.body_text()))
    }
}

/// The request body as bytes, read within the size limit; parsed by the handler after the key and
/// the bot are checked.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| ApiError::new(STYLE, e.status(), "invalid_request", e.body_text()))
    }
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|_| bad_request("Invalid JSON in request body"))
}

fn check_slug(slug: &str) -> Result<(), ApiError> {
    if slug.chars().count() > MAX_NAME_CHARS {
        return Err(bad_request(format!("Invalid bot slug: at most {MAX_NAME_CHARS} characters")));
    }
    if slug.is_empty() || !slug.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(bad_request(format!(
            "Invalid bot slug '{slug}': use only letters, digits, hyphens and underscores (/^[a-zA-Z0-9_-]+$/)"
        )));
    }
    Ok(())
}

/// The bot named `slug`, if any, once the slug is valid.
async fn find_bot(store: &Store, slug: &str) -> Result<Option<Bot>, ApiError> {
    check_slug(slug)?;
    let s = slug.to_string();
    store.read_committed(move |conn| book::bot(conn, &s)).await.map_err(|e| store_error(&e))
}

/// The caller's bot named `slug`: 404 when there is none, 403 when another account owns it.
async fn owned_bot(store: &Store, account: &str, slug: &str) -> Result<Bot, ApiError> {
    match find_bot(store, slug).await? {
        None => Err(ApiError::not_found(STYLE, "bot_not_found", format!("Bot with slug '{slug}' not found"))),
        Some(b) if b.account_id != account => Err(forbidden()),
        Some(b) => Ok(b),
    }
}

/// Runs `f` as one write of the store and hands back what it computed, once committed.
async fn write_with<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Db) -> crate::db::DbResult<T> + Send + 'static,
) -> Result<T, ApiError> {
    let slot = Arc::new(Mutex::new(None));
    let out = slot.clone();
    store
        .write(move |conn| {
            let value = f(conn)?;
            *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
            Ok(())
        })
        .await
        .map_err(|e| store_error(&e))?;
    let value = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    value.ok_or_else(|| ApiError::internal(STYLE, "a committed journal write left no result"))
}

/// What a change found.
enum Changed<T> {
    Done(T),
    NotFound,
    Refused(ApiError),
}

/// Creates a trade with its transactions (at least one entry). The first trade under a slug
/// creates the bot, owned by the caller's account.
#[utoipa::path(post, path = "/api/bots/{slug}/trades", tag = "journal", request_body = CreateTradeIn,
    params(("slug" = String, Path, description = "Bot identifier (letters, digits, hyphens, underscores)")),
    security(("api_key" = [])),
    responses((status = 201, body = TradeReply), (status = 400, body = JournalError), (status = 401, body = JournalAuthError),
        (status = 403, body = JournalAuthError, description = "Another account owns the bot, or the key is unknown")))]
async fn create_trade(
    State(state): State<Arc<AppState>>,
    BotKey(account): BotKey,
    JournalPath(slug): JournalPath<String>,
    RawBody(bytes): RawBody,
) -> Result<Reply, ApiError> {
    if find_bot(&state.store, &slug).await?.is_some_and(|b| b.account_id != account) {
        return Err(forbidden());
    }
    let now = now_ms();
    let new = new_trade(&parse_json(&bytes)?, now).map_err(bad_request)?;
    let added = new.transactions.len();
    let created = write_with(&state.store, move |conn| {
        let bot = book::bot_or_create(conn, &slug, &account, now)?;
        if bot.account_id != account {
            return Ok(None);
        }
        let id = book::insert_trade(conn, &bot, &new, now)?;
        book::trade(conn, &bot.id, &id)
    })
    .await?;
    let trade = created.ok_or_else(forbidden)?;
    Ok(Reply::json(StatusCode::CREATED, &TradeReply { success: true, trade, transactions_added: added }))
}

/// Filters and page of `GET /trades`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only trades of this status: `open`, `partially_closed` or `closed`.
    status: Option<String>,
    /// Only trades of this symbol.
    symbol: Option<String>,
    /// Trades per page, 1 to 500 (default 100).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
    /// Trades skipped (default 0).
    #[param(value_type = Option<u32>)]
    offset: Option<String>,
}

fn list_filter(query: Option<&str>) -> Result<ListFilter, ApiError> {
    let q: ListQuery = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| bad_request(format!("invalid query string: {e}")))?;
    let status = match q.status.as_deref() {
        None => None,
        Some("open") => Some(JournalStatus::Open),
        Some("partially_closed") => Some(JournalStatus::PartiallyClosed),
        Some("closed") => Some(JournalStatus::Closed),
        Some(other) => {
            return Err(bad_request(format!(
                "status must be one of 'open', 'partially_closed', 'closed', got '{other}'"
            )));
        }
    };
    let limit = match q.limit.as_deref() {
        None => 100,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| bad_request(format!("limit must be an integer from 1 to {MAX_PAGE}, got '{l}'")))?,
    };
    let offset = match q.offset.as_deref() {
        None => 0,
        Some(o) => {
            o.parse::<usize>().map_err(|_| bad_request(format!("offset must be an integer, 0 or more, got '{o}'")))?
        }
    };
    Ok(ListFilter { status, symbol: q.symbol, limit, offset })
}

/// The bot's trades, newest first, with their transactions.
#[utoipa::path(get, path = "/api/bots/{slug}/trades", tag = "journal", operation_id = "list_journal_trades",
    params(("slug" = String, Path, description = "Bot identifier"), ListQuery),
    security(("api_key" = [])),
    responses((status = 200, body = TradeList), (status = 400, body = JournalError), (status = 401, body = JournalAuthError),
        (status = 403, body = JournalAuthError), (status = 404, body = JournalError, description = "No bot with this slug")))]
async fn list_trades(
    State(state): State<Arc<AppState>>,
    BotKey(account): BotKey,
    JournalPath(slug): JournalPath<String>,
    uri: axum::http::Uri,
) -> Result<Reply, ApiError> {
    let bot = owned_bot(&state.store, &account, &slug).await?;
    let filter = list_filter(uri.query())?;
    let (trades, total) = state
        .store
        .read_committed(move |conn| book::list(conn, &bot.id, &filter))
        .await
        .map_err(|e| store_error(&e))?;
    Ok(Reply::json(StatusCode::OK, &TradeList { success: true, trades, total }))
}

/// One trade of the bot, with its transactions.
#[utoipa::path(get, path = "/api/bots/{slug}/trades/{tradeId}", tag = "journal",
    params(("slug" = String, Path, description = "Bot identifier"), ("tradeId" = String, Path, description = "UUID of the trade")),
    security(("api_key" = [])),
    responses((status = 200, body = TradeOne), (status = 400, body = JournalError), (status = 401, body = JournalAuthError),
        (status = 403, body = JournalAuthError), (status = 404, body = JournalError, description = "No such bot, or no such trade of this bot")))]
async fn get_trade(
    State(state): State<Arc<AppState>>,
    BotKey(account): BotKey,
    JournalPath((slug, trade_id)): JournalPath<(String, String)>,
) -> Result<Reply, ApiError> {
    let bot = owned_bot(&state.store, &account, &slug).await?;
    let trade = state
        .store
        .read_committed(move |conn| book::trade(conn, &bot.id, &trade_id))
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(trade_not_found)?;
    Ok(Reply::json(StatusCode::OK, &TradeOne { success: true, trade }))
}

/// Changes a trade's notes, metadata or signal time (its status follows its transactions only).
#[utoipa::path(patch, path = "/api/bots/{slug}/trades/{tradeId}", tag = "journal", request_body = UpdateTradeIn,
    params(("slug" = String, Path, description = "Bot identifier"), ("tradeId" = String, Path, description = "UUID of the trade")),
    security(("api_key" = [])),
    responses((status = 200, body = TradeOne), (status = 400, body = JournalError), (status = 401, body = JournalAuthError),
        (status = 403, body = JournalAuthError), (status = 404, body = JournalError, description = "No such bot, or no such trade of this bot")))]
async fn update_trade(
    State(state): State<Arc<AppState>>,
    BotKey(account): BotKey,
    JournalPath((slug, trade_id)): JournalPath<(String, String)>,
    RawBody(bytes): RawBody,
) -> Result<Reply, ApiError> {
    let bot = owned_bot(&state.store, &account, &slug).await?;
    let changes = update(&parse_json(&bytes)?).map_err(bad_request)?;
    let now = now_ms();
    let changed = write_with(&state.store, move |conn| {
        if !book::update(conn, &bot.id, &trade_id, &changes, now)? {
            return Ok(None);
        }
        book::trade(conn, &bot.id, &trade_id)
    })
    .await?;
    let trade = changed.ok_or_else(trade_not_found)?;
    Ok(Reply::json(StatusCode::OK, &TradeOne { success: true, trade }))
}

/// Adds entry or exit transactions to a trade; its status is recalculated.
#[utoipa::path(post, path = "/api/bots/{slug}/trades/{tradeId}/transactions", tag = "journal", request_body = AddTransactionsIn,
    params(("slug" = String, Path, description = "Bot identifier"), ("tradeId" = String, Path, description = "UUID of the trade")),
    security(("api_key" = [])),
    responses((status = 200, body = TradeReply), (status = 400, body = JournalError), (status = 401, body = JournalAuthError),
        (status = 403, body = JournalAuthError), (status = 404, body = JournalError, description = "No such bot, or no such trade of this bot")))]
async fn add_transactions(
    State(state): State<Arc<AppState>>,
    BotKey(account): BotKey,
    JournalPath((slug, trade_id)): JournalPath<(String, String)>,
    RawBody(bytes): RawBody,
) -> Result<Reply, ApiError> {
    let bot = owned_bot(&state.store, &account, &slug).await?;
    let now = now_ms();
    let added = transactions(&parse_json(&bytes)?, now).map_err(bad_request)?;
    let count = added.len();
    let changed = write_with(&state.store, move |conn| {
        let Some(existing) = book::transaction_count(conn, &bot.id, &trade_id)? else {
            return Ok(Changed::NotFound);
        };
        if existing + added.len() > MAX_TRANSACTIONS_PER_TRADE {
            return Ok(Changed::Refused(bad_request(format!(
                "a trade holds at most {MAX_TRANSACTIONS_PER_TRADE} transactions; this one has {existing} and {} were sent",
                added.len()
            ))));
        }
        book::append(conn, &trade_id, existing, &added, now)?;
        Ok(book::trade(conn, &bot.id, &trade_id)?.map_or(Changed::NotFound, Changed::Done))
    })
    .await?;
    match changed {
        Changed::Done(trade) => {
            Ok(Reply::json(StatusCode::OK, &TradeReply { success: true, trade, transactions_added: count }))
        }
        Changed::NotFound => Err(trade_not_found()),
        Changed::Refused(e) => Err(e),
    }
}
