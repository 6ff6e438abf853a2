//! Several server processes on one PostgreSQL database (`--shared`).
//!
//! The server keeps accounts, keys, agents, runs and portfolios in memory and their logs in the
//! database. So that several processes can serve one database, each **account** — its keys, runs,
//! agents, bot portfolios and journal — is served by one process at a time: the one holding the
//! account's advisory lock (taken on the writer's connection, so it lasts as long as the process
//! and its connection). Any process takes a request; one for an account held elsewhere is
//! forwarded to the holder (its address is in the `servers` table), one for an account nobody
//! holds makes this process take the account, reloading it from the database first. A process that
//! dies (even by SIGKILL) loses its locks with its connection, and the next request for each of its
//! accounts moves it to a live process, which replays its logs: nothing acknowledged is lost.
//!
//! The live market is advanced by the process holding the market's lock; the others read its step
//! from the database before serving a portfolio. Public reads (scenarios, the leaderboard, public
//! runs) are served by any process from the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Digest as _;
use tokio::sync::OnceCell;

use crate::AppState;
use crate::auth::{bearer_token, header_value};
use crate::db::OptionalExt as _;
use crate::identity::{Directory, hash_secret};
use crate::problem::ApiError;
use crate::store::{Store, StoreError};

/// Advisory lock class of accounts (the first of the two-integer lock key).
const ACCOUNT_CLASS: i32 = 0x7674_0001;
/// Advisory lock class of live markets.
const MARKET_CLASS: i32 = 0x7674_0002;
/// Marks a request forwarded by another process (it is not forwarded again).
const FORWARDED: &str = "x-vectrade-forwarded";

/// Who serves an account or the market.
pub enum Holder {
    /// This process (it holds the lock).
    Here,
    /// Another process, at this base URL.
    There(String),
}

/// This process's part in a shared database.
pub struct Cluster {
    /// This process's id in `servers`.
    pub server_id: String,
    /// Where other processes reach this one.
    pub url: String,
    accounts: Mutex<HashMap<String, Arc<OnceCell<()>>>>,
    market: OnceCell<()>,
    http: reqwest::Client,
}

/// The second half of a lock key: 32 bits of the name's SHA-256. Two names may share a key; then
/// one process serves both, which is only coarser.
fn key32(name: &str) -> i32 {
    let d = sha2::Sha256::digest(name.as_bytes());
    i32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

enum Take {
    HeldElsewhere,
    Failed(StoreError),
}

impl Cluster {
    /// Registers this process (its address and its writer's connection) in `servers`.
    pub async fn join(store: &Store, url: String) -> Result<Cluster, StoreError> {
        let server_id = uuid::Uuid::new_v4().to_string();
        let (id, u, now) = (server_id.clone(), url.clone(), crate::now_ms());
        // On the writer's connection: its backend holds this process's locks.
        store
            .read(move |db| {
                db.execute("DELETE FROM servers WHERE backend_pid = pg_backend_pid()", crate::args![])?;
                db.execute(
                    "INSERT INTO servers (id, url, backend_pid, started_at) VALUES (?1, ?2, pg_backend_pid(), ?3)",
                    crate::args![id, u, now],
                )
                .map(drop)
            })
            .await?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| StoreError(format!("cannot start the forwarding client: {e}")))?;
        Ok(Cluster { server_id, url, accounts: Mutex::new(HashMap::new()), market: OnceCell::new(), http })
    }

    /// Whether this process serves `account` now.
    pub fn serves(&self, account: &str) -> bool {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner()).get(account).is_some_and(|c| c.initialized())
    }

    /// Who serves `account`; takes it (and reloads it from the database) when nobody does.
    pub async fn account(&self, state: &AppState, account: &str) -> Result<Holder, StoreError> {
        let cell =
            self.accounts.lock().unwrap_or_else(|e| e.into_inner()).entry(account.to_string()).or_default().clone();
        let key = key32(account);
        let taken = cell
            .get_or_try_init(|| async {
                if !try_lock(&state.store, ACCOUNT_CLASS, key).await.map_err(Take::Failed)? {
                    return Err(Take::HeldElsewhere);
                }
                reload(state, account).await.map_err(Take::Failed)
            })
            .await;
        match taken {
            Ok(()) => Ok(Holder::Here),
            Err(Take::Failed(e)) => Err(e),
            Err(Take::HeldElsewhere) => holder(&state.store, ACCOUNT_CLASS, key).await,
        }
    }

    /// Who advances the live market; takes it when nobody does.
    pub async fn market(&self, state: &AppState) -> Result<Holder, StoreError> {
        let key = key32(&state.market.scenario.config().slug);
        let taken = self
            .market
            .get_or_try_init(|| async {
                if !try_lock(&state.store, MARKET_CLASS, key).await.map_err(Take::Failed)? {
                    return Err(Take::HeldElsewhere);
                }
                state.market.sync_step(&state.store).await.map_err(|e| Take::Failed(StoreError(e.detail)))
            })
            .await;
        match taken {
            Ok(()) => Ok(Holder::Here),
            Err(Take::Failed(e)) => Err(e),
            Err(Take::HeldElsewhere) => holder(&state.store, MARKET_CLASS, key).await,
        }
    }

    /// Sends the request to the process at `base` and gives back its answer.
    async fn forward(&self, base: &str, req: Request, style: crate::problem::Style) -> Response {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, crate::extract::MAX_BODY_BYTES).await else {
            return ApiError::new(
                style,
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is too large",
            )
            .into_response();
        };
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut out = self.http.request(parts.method.clone(), format!("{base}{path}"));
        for (name, value) in &parts.headers {
            if !matches!(name.as_str(), "host" | "content-length" | "connection" | "transfer-encoding") {
                out = out.header(name, value);
            }
        }
        let answer = out.header(FORWARDED, self.server_id.as_str()).body(bytes).send().await;
        let Ok(answer) = answer else {
            return unavailable(style, "the server holding this account did not answer; retry");
        };
        let mut response = Response::builder().status(answer.status());
        for (name, value) in answer.headers() {
            if !matches!(name.as_str(), "content-length" | "connection" | "transfer-encoding") {
                response = response.header(name, value);
            }
        }
        match answer.bytes().await {
            Ok(body) => response.body(Body::from(body)).unwrap_or_else(|_| unavailable(style, "bad forwarded answer")),
            Err(_) => unavailable(style, "the server holding this account did not answer; retry"),
        }
    }
}

fn unavailable(style: crate::problem::Style, detail: &str) -> Response {
    let mut r = ApiError::new(style, StatusCode::SERVICE_UNAVAILABLE, "account_moving", detail).into_response();
    r.headers_mut().insert(HeaderName::from_static("retry-after"), HeaderValue::from_static("1"));
    r
}

/// Takes the advisory lock (`class`, `key`) on the writer's connection.
async fn try_lock(store: &Store, class: i32, key: i32) -> Result<bool, StoreError> {
    store
        .read(move |db| db.query_row("SELECT pg_try_advisory_lock(?1, ?2)", crate::args![class, key], |r| r.get(0)))
        .await
}

/// The address of the process holding (`class`, `key`).
async fn holder(store: &Store, class: i32, key: i32) -> Result<Holder, StoreError> {
    // pg_locks shows the two halves as unsigned 32-bit oids.
    let (class, key) = (i64::from(class as u32), i64::from(key as u32));
    let url: Option<String> = store
        .read_committed(move |db| {
            db.query_row(
                "SELECT s.url FROM pg_locks l JOIN servers s ON s.backend_pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND l.classid::bigint = ?1 AND l.objid::bigint = ?2
                 ORDER BY s.started_at DESC LIMIT 1",
                crate::args![class, key],
                |r| r.get(0),
            )
            .optional()
        })
        .await?;
    // Held by a process that is just going away (or not registered yet): the caller retries.
    url.map(Holder::There).ok_or_else(|| StoreError("the holder of this account is changing".into()))
}

/// Replaces what memory holds of `account` with what the database holds (it was served elsewhere).
async fn reload(state: &AppState, account: &str) -> Result<(), StoreError> {
    let (id, slug) = (account.to_string(), state.market.scenario.config().slug.clone());
    let (found, keys, agents, runs, portfolios) = state
        .store
        .read(move |db| {
            Ok((
                crate::identity::read_account(db, &id)?,
                Directory::load_keys(db, Some(&id))?,
                crate::agents::Agents::rows(db, Some(&id))?,
                crate::runs::Runs::rows(db, Some(&id))?,
                crate::market::Market::portfolio_rows(db, &slug, Some(&id))?,
            ))
        })
        .await?;
    state.directory.replace_account(account, found, keys);
    state.agents.replace_account(account, agents);
    state.runs.replace_account(account, runs);
    state.market.replace_account(account, portfolios);
    Ok(())
}

/// What a request is about: an account (by its credentials), the market, or nothing held.
enum Subject {
    Account(String),
    Market,
    Public,
}

/// The account a key belongs to: from memory, else from the database (made by another process).
async fn account_of_key(state: &AppState, key: &str) -> Result<Option<String>, StoreError> {
    let hash = hash_secret(key);
    if let Some(a) = state.directory.account_of_key(&hash) {
        return Ok(Some(a));
    }
    state
        .store
        .read_committed(move |db| {
            db.query_row("SELECT account_id FROM api_keys WHERE key_hash = ?1", [&hash], |r| r.get(0)).optional()
        })
        .await
}

async fn subject(state: &AppState, req: Request) -> Result<(Subject, Request), StoreError> {
    let path = req.uri().path();
    if path == "/api/v1/operator/market/advance" {
        return Ok((Subject::Market, req));
    }
    // Login names its account in the body.
    if path == "/api/v1/auth/login" && req.method() == axum::http::Method::POST {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, crate::extract::MAX_BODY_BYTES).await.unwrap_or_default();
        let key = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("api_key").and_then(|k| k.as_str()).map(str::to_string));
        let req = Request::from_parts(parts, Body::from(bytes));
        return Ok(match key {
            Some(k) => (account_of_key(state, &k).await?.map_or(Subject::Public, Subject::Account), req),
            None => (Subject::Public, req),
        });
    }
    let headers = req.headers();
    let bearer = bearer_token(headers).map(str::to_string);
    if let Some(account) = bearer.as_deref().and_then(|t| state.jwt.verify(t)) {
        return Ok((Subject::Account(account), req));
    }
    let key = header_value(headers, "x-bot-key")
        .or_else(|| header_value(headers, "x-api-key"))
        .map(str::to_string)
        .or(bearer);
    match key {
        Some(k) => Ok((account_of_key(state, &k).await?.map_or(Subject::Public, Subject::Account), req)),
        None => Ok((Subject::Public, req)),
    }
}

/// Serves a request here or forwards it to the process holding its account (`--shared` only).
pub async fn route(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(cluster) = &state.cluster else { return next.run(req).await };
    let style = crate::style_of(req.uri().path());
    let forwarded = req.headers().contains_key(FORWARDED);
    let (subject, req) = match subject(&state, req).await {
        Ok(s) => s,
        Err(e) => return ApiError::store(style, &e).into_response(),
    };
    let holder = match subject {
        Subject::Public => return next.run(req).await,
        Subject::Account(a) => cluster.account(&state, &a).await,
        Subject::Market => cluster.market(&state).await,
    };
    match holder {
        Ok(Holder::Here) => {
            // Portfolios are served on the step the market's holder revealed.
            if !cluster.market.initialized()
                && let Err(e) = state.market.sync_step(&state.store).await
            {
                return e.into_response();
            }
            next.run(req).await
        }
        // A forwarded request is not forwarded again: the account is moving; the client retries.
        Ok(Holder::There(_)) if forwarded => unavailable(style, "this account is moving between servers; retry"),
        Ok(Holder::There(base)) => cluster.forward(&base, req, style).await,
        Err(_) => unavailable(style, "this account is moving between servers; retry"),
    }
}
