//! The local VecTrade server: the hosted APIs (benchmark runs, accounts, billing) served over HTTP
//! on the engine in `vectrade-core`, with every acknowledged write committed to SQLite first.
//!
//! Handlers only translate HTTP to the core's calls and back: fills, risk checks, accounting and
//! metrics are the core's. See `ARCHITECTURE.md` for the layers and `server/README.md` to run it.

pub mod accounts;
pub mod agents;
pub mod auth;
pub mod bench;
pub mod bot;
pub mod cluster;
pub mod db;
pub mod docs;
pub mod extract;
pub mod identity;
pub mod journal;
pub mod market;
pub mod problem;
pub mod rates;
pub mod runs;
pub mod scenarios;
pub mod store;
pub mod vault;

use std::io::Write as _;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use utoipa::openapi::security::{ApiKey as ApiKeyScheme, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use vectrade_core::time::{MS_PER_DAY, civil_from_days, days_from_civil};

use crate::auth::Jwt;
use crate::db::Location;
use crate::identity::Directory;
use crate::problem::{ApiError, Style};
use crate::runs::Runs;
use crate::scenarios::Scenarios;
use crate::store::{Store, StoreError};

/// Everything a handler reaches.
pub struct AppState {
    /// Durable storage.
    pub store: Store,
    /// Accounts and keys.
    pub directory: Directory,
    /// Benchmark runs.
    pub runs: Runs,
    /// Offered scenarios.
    pub scenarios: Scenarios,
    /// JWT signing.
    pub jwt: Jwt,
    /// Base URL the server is reached at, for links in responses.
    pub public_url: String,
    /// The OpenAPI document, as served.
    pub openapi_json: String,
    /// The live paper market of the bot routes.
    pub market: market::Market,
    /// Rate limits of the bot routes.
    pub rates: rates::Rates,
    /// Token of the operator's routes (derived from the server secret; printed at start).
    pub operator_token: String,
    /// Agents of every account.
    pub agents: agents::Agents,
    /// Seals agent keys.
    pub vault: vault::Vault,
    /// With `--shared`: this process's part among the processes serving the database.
    pub cluster: Option<cluster::Cluster>,
}

impl AppState {
    /// Commits `write`, then `then` updates memory on the writer thread before anyone is
    /// answered — so memory follows the disk even if the request is cancelled meanwhile.
    pub async fn commit<W, T>(self: &Arc<Self>, write: W, then: T) -> Result<(), StoreError>
    where
        W: FnOnce(&crate::db::Db) -> crate::db::DbResult<()> + Send + 'static,
        T: FnOnce(&AppState) + Send + 'static,
    {
        let state = self.clone();
        self.store
            .write_then(write, move |result| {
                if result.is_ok() {
                    then(&state);
                }
            })
            .await
    }
}

/// The clock of the server (UTC ms). The engine never reads it: it only stamps records and quotas.
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Start of the UTC month of `ts` and of the next one (UTC ms).
pub fn month_start(ts: i64) -> (i64, i64) {
    let (y, m, _) = civil_from_days(ts.div_euclid(MS_PER_DAY));
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(y, m, 1) * MS_PER_DAY, days_from_civil(ny, nm, 1) * MS_PER_DAY)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "VecTrade local server",
        description = "The hosted VecTrade APIs on the VecTrade engine, served locally. Benchmark routes answer \
            errors as RFC 9457 problems (`status`, `title`, `detail`) plus the engine's stable `code`; account \
            routes as `{\"error\": {code, message, details}}`; trade journal routes as `{\"error\", \"code\"}` \
            (`{\"message\"}` for 401 and 403) with the stable code in `error_code`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "benchmark", description = "Scenarios, runs, market, trades, step, results, leaderboard (BotTrade)"),
        (name = "accounts", description = "Local accounts and login"),
        (name = "agents", description = "Agents with their own key, balance and risk profile (TradeReady); JWT"),
        (name = "billing", description = "Plans and quotas (no payments locally)"),
        (name = "bot", description = "Bot trading on the live paper market (VecTrade); also under /api/v1/bot"),
        (name = "operator", description = "The local operator's controls"),
        (name = "journal", description = "A bot's trade journal: trades with entry and exit transactions, status recalculated"),
        (name = "meta", description = "Health and documentation")
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKeyScheme::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Where the bot routes live; `/api/v1/bot` serves them too (the trading service's own path).
const BOT_PREFIX: &str = "/api/trade/v1/bot";
const BOT_ALIAS: &str = "/api/v1/bot";

fn api() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(bench::routes())
        .merge(accounts::routes())
        .merge(agents::routes())
        .nest(BOT_PREFIX, bot::routes())
        .merge(bot::operator_routes())
        .merge(journal::routes())
        .merge(docs::routes())
}

/// The OpenAPI document, generated from the handlers and their types (committed as `server/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The document as committed: pretty JSON with a final newline.
pub fn openapi_text() -> String {
    let mut text = openapi().to_pretty_json().expect("the OpenAPI document serialises");
    text.push('\n');
    text
}

/// Error body style of a path: nested errors on account and agent routes, the journal's own under
/// `/api/bots/`, problems elsewhere.
pub(crate) fn style_of(path: &str) -> Style {
    if path.starts_with("/api/v1/auth") || path.starts_with("/api/v1/agents") {
        Style::Nested
    } else if path.starts_with(BOT_PREFIX) || path.starts_with(BOT_ALIAS) || path.starts_with("/api/v1/operator") {
        Style::Detail
    } else if path.starts_with("/api/bots/") {
        Style::Journal
    } else {
        Style::Problem
    }
}

/// Gives every request an id (`X-Request-Id`) and turns a panic in a handler into a 500 naming it.
async fn guard(req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let style = style_of(req.uri().path());
    let mut response = match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(r) => r,
        Err(_) => {
            eprintln!("request {id}: a handler panicked");
            ApiError::internal(style, format!("internal error (request id {id})"))
                .with("request_id", id.clone())
                .into_response()
        }
    };
    // A request forwarded to another process (`--shared`) keeps the id that process gave it.
    if !response.headers().contains_key("x-request-id")
        && let Ok(v) = HeaderValue::from_str(&id)
    {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn not_found(req: Request) -> ApiError {
    let path = req.uri().path().to_string();
    ApiError::not_found(style_of(&path), "route_not_found", format!("no route {} {path}", req.method()))
}

/// The whole application on a state.
pub fn app(state: Arc<AppState>) -> axum::Router {
    let (router, _) = api().split_for_parts();
    let (alias, _) = bot::routes().split_for_parts();
    router
        .nest(BOT_ALIAS, alias)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), rates::headers))
        .layer(middleware::from_fn_with_state(state.clone(), cluster::route))
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(15)))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(middleware::from_fn(guard))
        .with_state(state)
}

/// Reads a bar interval: `500ms`, `1s`, `2m`, `1h` (a bare number is seconds), or `manual`
/// (`None`: only the operator's call advances the market). At least 10 ms.
pub fn parse_bar_interval(text: &str) -> Result<Option<Duration>, String> {
    if text.eq_ignore_ascii_case("manual") {
        return Ok(None);
    }
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits.parse().map_err(|_| format!("'{text}' is not an interval like 500ms, 1s, 1m or manual"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("'{text}': the unit must be ms, s, m or h")),
    };
    if d < Duration::from_millis(10) {
        return Err(format!("'{text}' is shorter than 10ms"));
    }
    Ok(Some(d))
}

/// The bars of the live paper market.
#[derive(Debug, Clone)]
pub enum MarketSource {
    /// A built-in scenario, by slug.
    Builtin(String),
    /// A CSV file of OHLCV bars (any layout the core reads); `symbol` names the bars of a file
    /// without a symbol column.
    Csv {
        /// The file.
        path: PathBuf,
        /// Symbol of a single-symbol file.
        symbol: Option<String>,
    },
}

impl MarketSource {
    /// The scenario it names: a built-in one, or the CSV's bars under the default rules (slug
    /// `csv-<file stem>`).
    fn scenario(&self, scenarios: &Scenarios) -> Result<Arc<vectrade_core::Scenario>, StoreError> {
        match self {
            MarketSource::Builtin(slug) => scenarios.find(slug).map(|o| o.scenario.clone()).ok_or_else(|| {
                let slugs: Vec<&str> = scenarios.all().iter().map(|o| o.scenario.config().slug.as_str()).collect();
                StoreError(format!("--market '{slug}' is not a scenario; scenarios are: {}", slugs.join(", ")))
            }),
            MarketSource::Csv { path, symbol } => {
                let bad = |e: String| StoreError(format!("--market-csv {}: {e}", path.display()));
                let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
                let series =
                    vectrade_core::csv::parse_multi_with(&text, symbol.as_deref()).map_err(|e| bad(e.detail))?;
                let symbols: Vec<String> = series.iter().map(|s| s.symbol.clone()).collect();
                let times: Vec<i64> = series.first().map(|s| s.bars.iter().map(|b| b.ts).collect()).unwrap_or_default();
                let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "bars".into());
                let rules = serde_json::json!({"slug": format!("csv-{stem}")}).to_string();
                let config =
                    vectrade_core::wire::config_from_rules(&rules, &symbols, &times).map_err(|e| bad(e.detail))?;
                let config = vectrade_core::wire::from_json("config", &config).map_err(|e| bad(e.detail))?;
                vectrade_core::Scenario::new(config, series).map(Arc::new).map_err(|e| bad(e.detail))
            }
        }
    }
}

/// Where the server keeps its data and listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The SQLite file (created on first start) or the PostgreSQL database.
    pub db: Location,
    /// The file holding the server secret; `None`: `<db>.secret` beside an SQLite file (a
    /// PostgreSQL database needs one named).
    pub secret_file: Option<PathBuf>,
    /// Address to bind.
    pub host: String,
    /// Port (0 picks a free one).
    pub port: u16,
    /// What the live paper market replays: a built-in scenario's slug, or a CSV file of bars.
    pub market: MarketSource,
    /// Time between two bars of the live market; `None`: only the operator advances it.
    pub bar_interval: Option<Duration>,
    /// Several processes serve the (PostgreSQL) database; each account is served by one of them.
    pub shared: bool,
    /// Where the other processes reach this one (`--shared`); default: the address it listens on.
    pub advertise_url: Option<String>,
}

/// What opening the database found out.
pub struct Opened {
    /// The state to serve.
    pub state: Arc<AppState>,
    /// Credentials of the account created on first start, and its bot key (shown once).
    pub first_account: Option<(accounts::RegisterOut, bot::wire::KeyCreated)>,
}

/// Where the server secret is kept: the file named, or `<db>.secret` beside an SQLite file.
pub fn secret_path(db: &Location, secret_file: Option<&Path>) -> Result<PathBuf, StoreError> {
    match (secret_file, db) {
        (Some(path), _) => Ok(path.to_path_buf()),
        (None, Location::Sqlite(db)) => {
            let mut path = db.as_os_str().to_owned();
            path.push(".secret");
            Ok(PathBuf::from(path))
        }
        (None, Location::Postgres(_)) => Err(StoreError(
            "a PostgreSQL database needs --secret-file: the file that keeps the server secret (JWTs, sealed agent \
             keys), created on first start; keep it with the database's backups"
                .into(),
        )),
    }
}

/// The server secret at `path`, created with owner-only permissions on first start.
fn server_secret(path: &Path) -> Result<Vec<u8>, StoreError> {
    let path = path.to_path_buf();
    if let Ok(text) = std::fs::read_to_string(&path) {
        let secret = text.trim();
        // Everything rests on it (JWTs, sealed agent keys, the operator token): never a weak one.
        if secret.len() < 32 {
            return Err(StoreError(format!(
                "{} holds {} characters; a server secret has at least 32 (the file is damaged: restore it from a backup)",
                path.display(),
                secret.len()
            )));
        }
        return Ok(secret.as_bytes().to_vec());
    }
    let secret = identity::random_token("", 64);
    // Written whole or not at all: a temporary file, synced, then renamed into place.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&tmp)
        .and_then(|mut file| file.write_all(secret.as_bytes()).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, &path))
        .and_then(|()| match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => std::fs::File::open(dir)?.sync_all(),
            None => Ok(()),
        });
    written.map_err(|e| StoreError(format!("cannot write {}: {e}", path.display())))?;
    Ok(secret.into_bytes())
}

/// Opens the database, loads accounts and runs, and creates the local account on first start.
pub async fn open(config: &ServerConfig, public_url: String) -> Result<Opened, StoreError> {
    let secret_file = secret_path(&config.db, config.secret_file.as_deref())?;
    let location = config.db.clone();
    // Opening blocks (PostgreSQL's client runs its own runtime): off the async threads.
    let shared = config.shared;
    let store = tokio::task::spawn_blocking(move || Store::open(&location, shared))
        .await
        .map_err(|e| StoreError(format!("opening the database: {e}")))??;
    let scenarios = Scenarios::builtin().map_err(|e| StoreError(format!("built-in scenarios: {e}")))?;
    let scenario = config.market.scenario(&scenarios)?;
    let (directory, runs, agents, market) = store
        .read(move |db| {
            Ok((Directory::load(db)?, Runs::load(db)?, agents::Agents::load(db)?, market::Market::load(db, scenario)?))
        })
        .await?;
    let secret = server_secret(&secret_file)?;
    let jwt = Jwt::new(&secret);
    let operator_token =
        format!("op_{}", &identity::hash_secret(&format!("operator:{}", String::from_utf8_lossy(&secret)))[..40]);
    let openapi_json = openapi_text();
    let first = directory.account_count() == 0;
    let cluster = match config.shared {
        true => Some(cluster::Cluster::join(&store, config.advertise_url.clone().unwrap_or(public_url.clone())).await?),
        false => None,
    };
    let state = Arc::new(AppState {
        store,
        directory,
        runs,
        scenarios,
        jwt,
        public_url,
        openapi_json,
        market,
        rates: rates::Rates::default(),
        operator_token,
        agents,
        vault: vault::Vault::new(&secret),
        cluster,
    });
    let first_account = if first {
        let account = accounts::create_account(&state, "local").await.map_err(|e| StoreError(e.detail))?;
        let bot = bot::issue_key(&state, &account.account_id, Some("local".into()))
            .await
            .map_err(|e| StoreError(e.detail))?;
        Some((account, bot))
    } else {
        None
    };
    Ok(Opened { state, first_account })
}

/// Serves until Ctrl-C or SIGTERM; prints the first start's credentials and the address.
pub async fn serve(config: ServerConfig) -> Result<(), StoreError> {
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| StoreError(format!("cannot listen on {}:{}: {e}", config.host, config.port)))?;
    let addr: SocketAddr = listener.local_addr().map_err(|e| StoreError(e.to_string()))?;
    let base = format!("http://{addr}");
    let opened = open(&config, base.clone()).await?;
    if let Some((a, bot)) = &opened.first_account {
        println!("First start: created {} with a local account (shown once; keep it).", config.db);
        println!("  account id: {}", a.account_id);
        println!("  API key:    {}   (X-API-Key on benchmark routes)", a.api_key);
        println!("  API secret: {}   (with the key: POST /api/v1/auth/login)", a.api_secret);
        println!("  bot key:    {}   (X-Bot-Key on the bot routes)", bot.key);
        println!("Try:");
        println!("  curl {base}/api/v1/scenarios");
        println!(
            "  curl -X POST {base}/api/v1/runs -H 'X-API-Key: {}' -H 'Content-Type: application/json' -d '{{\"scenario_slug\": \"tech-2024-q2\"}}'",
            a.api_key
        );
        println!(
            "  curl -X POST {base}/api/trade/v1/bot/orders -H 'X-Bot-Key: {}' -H 'Content-Type: application/json' -d '{{\"symbol\": \"AAPL\", \"side\": \"BUY\", \"quantity\": 10}}'",
            bot.key
        );
    }
    let state = opened.state;
    let m = &state.market;
    println!(
        "Live market: {} ({} of {} bars out, {}); operator token: {}",
        m.scenario.config().slug,
        m.revealed(),
        m.scenario.timeline().len(),
        match config.bar_interval {
            Some(d) => format!("one bar every {d:?}"),
            None => "advanced by POST /api/v1/operator/market/advance".into(),
        },
        state.operator_token
    );
    println!("VecTrade server listening on {base} (docs: {base}/api/docs)");
    let _ = std::io::stdout().flush();
    if let Some(every) = config.bar_interval {
        let s = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            while !s.market.is_closed() {
                tick.tick().await;
                // Shared: the process holding the market advances it (another takes over if it dies).
                if let Some(c) = &s.cluster
                    && !matches!(c.market(&s).await, Ok(cluster::Holder::Here))
                {
                    continue;
                }
                if let Err(e) = s.market.advance(&s.store, 1).await {
                    eprintln!("live market: {}", e.detail);
                }
            }
        });
    }
    let s = state.clone();
    tokio::spawn(async move {
        // Last uses of keys are written now and then, not on every request.
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let used = s.directory.take_last_used();
            if !used.is_empty() {
                let _ = s
                    .store
                    .write(move |conn| {
                        for (id, t) in used {
                            conn.execute("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2", crate::args![t, id])?;
                        }
                        Ok(())
                    })
                    .await;
            }
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| StoreError(format!("server: {e}")))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// Sets an account's plan in the database (the operator's command; the local server takes no
/// payments). A running server reads plans from the database when it checks a quota.
pub fn set_plan(db: &Location, account: &str, plan: identity::Plan) -> Result<(), StoreError> {
    let conn = store::connect(db)?;
    let n = conn.execute("UPDATE accounts SET plan = ?1 WHERE id = ?2", [plan.as_str(), account])?;
    if n == 0 {
        return Err(StoreError(format!("no account '{account}' in {db}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    async fn boom() -> &'static str {
        panic!("a bug in a handler")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_naming_its_request_and_the_server_goes_on() {
        let app = axum::Router::new()
            .route("/api/v1/runs/x", get(boom))
            .route("/api/v1/agents/x", get(boom))
            .route("/ok", get(|| async { "fine" }))
            .layer(middleware::from_fn(guard));
        let response = app.clone().oneshot(Request::get("/api/v1/runs/x").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = response.headers()["x-request-id"].to_str().unwrap().to_string();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((body["status"].as_u64(), body["code"].as_str()), (Some(500), Some("internal_error")));
        assert_eq!(body["request_id"], serde_json::json!(id));
        assert!(body["detail"].as_str().unwrap().contains(&id));
        // Agent routes answer in their own error shape.
        let response =
            app.clone().oneshot(Request::get("/api/v1/agents/x").body(Body::empty()).unwrap()).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal_error");
        let response = app.oneshot(Request::get("/ok").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn bar_intervals_read_their_units_and_refuse_the_rest() {
        assert_eq!(parse_bar_interval("manual"), Ok(None));
        assert_eq!(parse_bar_interval("500ms"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(parse_bar_interval("2m"), Ok(Some(Duration::from_secs(120))));
        assert_eq!(parse_bar_interval("3"), Ok(Some(Duration::from_secs(3))));
        assert!(parse_bar_interval("5ms").unwrap_err().contains("shorter than 10ms"));
        assert!(parse_bar_interval("1d").unwrap_err().contains("unit"));
        assert!(parse_bar_interval("soon").is_err());
    }

    #[test]
    fn months_start_on_the_first_at_midnight_utc() {
        let t = vectrade_core::time::parse_timestamp("2026-12-31T23:59:59Z").unwrap();
        let (start, next) = month_start(t);
        assert_eq!(vectrade_core::time::format_rfc3339(start), "2026-12-01T00:00:00Z");
        assert_eq!(vectrade_core::time::format_rfc3339(next), "2027-01-01T00:00:00Z");
    }
}
