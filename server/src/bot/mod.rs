//! The bot trading API (seed 000) under `/api/trade/v1/bot` and its alias `/api/v1/bot`: bot keys
//! managed with a JWT, and with `X-Bot-Key` the account's portfolio on the live paper market —
//! account, orders, portfolio, KPIs — with 120 requests and 20 orders a minute per account.

pub mod wire;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vectrade_core::time::format_rfc3339;
use vectrade_core::{ErrorFamily, MarketHours, OrderRequest, OrderStatus};

use crate::accounts::fresh_account;
use crate::auth::{BotJwt, BotKey};
use crate::bench::wire::OrderFields;
use crate::extract::{DetailBody, DetailQuery};
use crate::identity::{Caller, KeyKind, NewKey};
use crate::market::{Book, Command, Owner, Portfolio};
use crate::problem::{ApiError, DetailError, Style};
use crate::rates::Limited;
use crate::runs::Reply;
use crate::{AppState, now_ms};
use wire::*;

const STYLE: Style = Style::Detail;

/// The bot routes, relative to their prefix.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(create_key, list_keys))
        .routes(routes!(revoke_key))
        .routes(routes!(account))
        .routes(routes!(place_order, list_orders))
        .routes(routes!(get_order, cancel_order))
        .routes(routes!(portfolio))
        .routes(routes!(kpi))
}

/// The operator's routes (advance the market by hand).
pub fn operator_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(advance_market))
}

/// A 429 for a rate limit, with `Retry-After`.
pub fn limited(l: Limited) -> ApiError {
    let code = if l.what == "orders" { "order_rate_limited" } else { "request_rate_limited" };
    let mut e = ApiError::new(
        STYLE,
        StatusCode::TOO_MANY_REQUESTS,
        code,
        format!("rate limit: at most {} {} a minute per account; retry in {} s", l.limit, l.what, l.retry_after),
    );
    e.retry_after = Some(l.retry_after);
    e
}

/// The engine's refusal on a bot route: malformed input is 422, conflicts 409, missing things 404.
fn engine_err(e: &vectrade_core::Error) -> ApiError {
    let mut api = ApiError::engine(STYLE, e);
    if matches!(e.family(), ErrorFamily::InvalidInput | ErrorFamily::InvalidState) {
        api.status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    api
}

/// Creates a bot key (JWT); the key is shown once. Free plans hold 1 live key, Standard 5,
/// Professional 25.
#[utoipa::path(post, path = "/keys", tag = "bot", request_body = KeyIn, security(("bearer" = [])),
    responses((status = 201, body = KeyCreated), (status = 401, body = DetailError), (status = 403, body = DetailError, description = "Plan limit reached, or a bot key was used"),
        (status = 422, body = DetailError)))]
async fn create_key(
    State(state): State<Arc<AppState>>,
    BotJwt(account_id): BotJwt,
    DetailBody(body): DetailBody<KeyIn>,
) -> Result<Reply, ApiError> {
    if let Some(label) = &body.label
        && (label.trim().is_empty() || label.chars().count() > 100)
    {
        return Err(ApiError::bad_request(STYLE, "label must be 1 to 100 characters"));
    }
    let out = issue_key(&state, &account_id, body.label).await?;
    Ok(Reply::json(StatusCode::CREATED, &out))
}

/// Makes a bot key for the account within its plan's limit (counted inside the insert, so two
/// requests at once cannot both take the last place); the key is in the answer only.
pub async fn issue_key(state: &Arc<AppState>, account_id: &str, label: Option<String>) -> Result<KeyCreated, ApiError> {
    let account = fresh_account(state, account_id, STYLE).await?;
    let limit = account.plan.bot_keys();
    let new = Arc::new(NewKey::bot(account_id, label, now_ms()));
    let (row, known) = (new.clone(), new.clone());
    state
        .commit(
            move |conn| {
                let live: i64 = conn.query_row(
                    "SELECT COUNT(*) FROM api_keys WHERE account_id = ?1 AND kind = 'bot' AND revoked_at IS NULL",
                    [&row.record.account_id],
                    |r| r.get(0),
                )?;
                if usize::try_from(live).unwrap_or(usize::MAX) >= limit {
                    return Err(crate::db::DbError::other("bot key limit"));
                }
                row.insert(conn)
            },
            move |s| s.directory.put_key(known.key_hash.clone(), known.record.clone()),
        )
        .await
        .map_err(|e| match e.0.contains("bot key limit") {
            true => ApiError::new(
                STYLE,
                StatusCode::FORBIDDEN,
                "bot_key_limit",
                format!(
                    "the {} plan allows {limit} live bot key{}: revoke one first",
                    account.plan.display(),
                    if limit == 1 { "" } else { "s" }
                ),
            ),
            false => ApiError::store(STYLE, &e),
        })?;
    Ok(KeyCreated {
        id: new.record.id.clone(),
        label: new.record.label.clone(),
        key: new.key.clone(),
        created_at: format_rfc3339(new.record.created_at),
    })
}

/// The account's bot keys (JWT), oldest first, never the keys themselves.
#[utoipa::path(get, path = "/keys", tag = "bot", security(("bearer" = [])),
    responses((status = 200, body = Vec<KeyOut>), (status = 401, body = DetailError), (status = 403, body = DetailError)))]
async fn list_keys(State(state): State<Arc<AppState>>, BotJwt(account_id): BotJwt) -> Reply {
    let keys: Vec<KeyOut> = state
        .directory
        .keys_of(&account_id, KeyKind::Bot)
        .into_iter()
        .map(|k| KeyOut {
            last_used_at: state.directory.last_used(&k.id).map(format_rfc3339),
            id: k.id,
            label: k.label,
            key_preview: k.preview,
            created_at: format_rfc3339(k.created_at),
            revoked: k.revoked,
        })
        .collect();
    Reply::json(StatusCode::OK, &keys)
}

/// Revokes a bot key (JWT); it is refused from the next request on.
#[utoipa::path(delete, path = "/keys/{id}", tag = "bot", security(("bearer" = [])),
    params(("id" = String, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), (status = 401, body = DetailError), (status = 403, body = DetailError),
        (status = 404, body = DetailError)))]
async fn revoke_key(
    State(state): State<Arc<AppState>>,
    BotJwt(account_id): BotJwt,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.directory.keys_of(&account_id, KeyKind::Bot).iter().any(|k| k.id == id) {
        return Err(ApiError::not_found(STYLE, "key_not_found", format!("no bot key '{id}'")));
    }
    let (key_id, now) = (id.clone(), now_ms());
    state
        .commit(
            move |conn| {
                conn.execute(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2",
                    crate::args![now, key_id],
                )
                .map(drop)
            },
            move |s| s.directory.revoke(&id),
        )
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whose portfolio the caller trades: the agent's for an agent key, else the account's.
fn owner(state: &AppState, caller: &Caller) -> Result<Owner, ApiError> {
    match &caller.agent_id {
        Some(id) => state
            .agents
            .get(id)
            .map(|a| a.owner())
            .ok_or_else(|| ApiError::unauthorized(STYLE, "the agent of this key no longer exists")),
        None => Ok(Owner::Account(caller.account_id.clone())),
    }
}

/// The caller's portfolio on the live market, opened on first use.
async fn portfolio_of(state: &AppState, caller: &Caller) -> Result<Arc<Portfolio>, ApiError> {
    state.market.portfolio(&state.store, &owner(state, caller)?, now_ms()).await
}

/// Reads the caller's portfolio on the live market.
async fn read_book<T>(
    state: &AppState,
    caller: &Caller,
    f: impl FnOnce(&Book) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let p = portfolio_of(state, caller).await?;
    state.market.read(&state.store, &p, f).await
}

/// The account behind the bot key, its plan and quotas.
#[utoipa::path(get, path = "/account", tag = "bot", security(("bot_key" = [])),
    responses((status = 200, body = AccountOut), (status = 401, body = DetailError), (status = 429, body = DetailError)))]
async fn account(State(state): State<Arc<AppState>>, BotKey(caller): BotKey) -> Result<Reply, ApiError> {
    let a = fresh_account(&state, &caller.account_id, STYLE).await?;
    let cash = read_book(&state, &caller, |b| Ok(b.engine.account(b.agent).map_err(|e| engine_err(&e))?.cash)).await?;
    let keys = state.directory.keys_of(&a.id, KeyKind::Bot);
    let out = AccountOut {
        bot_user_id: a.id.clone(),
        display_name: a.display_name.clone(),
        balance: fixed(cash, 2),
        user_type: "HUMAN".into(),
        status: "ACTIVE".into(),
        created_at: format_rfc3339(a.created_at),
        api_calls_used: state.rates.requests_in_window(&a.id, now_ms()),
        api_calls_limit: crate::rates::REQUESTS_PER_MINUTE as usize,
        plan: a.plan.display().into(),
        bot_keys_used: keys.iter().filter(|k| !k.revoked).count(),
        bot_keys_limit: a.plan.bot_keys(),
    };
    Ok(Reply::json(StatusCode::OK, &out))
}

fn order_request(o: PlaceOrder) -> Result<OrderRequest, vectrade_core::Error> {
    let mut request = OrderFields {
        symbol: &o.symbol,
        side: &o.side,
        quantity: o.quantity,
        order_type: o.order_type.as_deref(),
        time_in_force: o.time_in_force.as_deref(),
        asset_type: o.asset_type.as_deref(),
        limit_price: o.limit_price,
        stop_price: o.stop_price,
        stop_loss: o.stop_loss,
        take_profit: o.take_profit,
    }
    .request()?;
    request.client_order_id = o.client_order_id;
    request.reasoning = o.reasoning;
    Ok(request)
}

/// Places an order on the live market. A well-formed order the engine refuses is created with
/// status `REJECTED` and a `rejection_reason` (201); a malformed one is 422.
#[utoipa::path(post, path = "/orders", tag = "bot", request_body = PlaceOrder, security(("bot_key" = [])),
    responses((status = 201, body = BotOrder, description = "Accepted or REJECTED (see `status`)"), (status = 401, body = DetailError),
        (status = 409, body = DetailError, description = "client_order_id reused with another order"),
        (status = 422, body = DetailError), (status = 429, body = DetailError)))]
async fn place_order(
    State(state): State<Arc<AppState>>,
    BotKey(caller): BotKey,
    DetailBody(body): DetailBody<PlaceOrder>,
) -> Result<Reply, ApiError> {
    let request = order_request(body).map_err(|e| engine_err(&e))?;
    state.rates.order(&caller.account_id, now_ms()).map_err(limited)?;
    let p = portfolio_of(&state, &caller).await?;
    let asked = request.clone();
    state
        .market
        .execute(&state.store, &p, Command::Submit { order: request }, |book, result| match result {
            Ok(Some(order)) => Ok(Reply::json(StatusCode::CREATED, &BotOrder::new(&order, OrderIds::of(&book.id)))),
            Ok(None) => Err(ApiError::internal(STYLE, "an order was answered without one")),
            Err(e) if matches!(e.family(), ErrorFamily::OrderRejected | ErrorFamily::RiskLimitExceeded) => {
                // The engine kept the refused order with its reason: answer with it.
                let orders = book.engine.orders(book.agent).map_err(|e| engine_err(&e))?;
                orders
                    .iter()
                    .rev()
                    .find(|o| o.status == OrderStatus::Rejected && o.request == asked)
                    .map(|o| Reply::json(StatusCode::CREATED, &BotOrder::new(o, OrderIds::of(&book.id))))
                    .ok_or_else(|| engine_err(&e))
            }
            Err(e) => Err(engine_err(&e)),
        })
        .await
}

/// The portfolio's orders, newest first, as a bare array.
#[utoipa::path(get, path = "/orders", tag = "bot", params(OrderFilter), security(("bot_key" = [])),
    responses((status = 200, body = Vec<BotOrder>), (status = 401, body = DetailError), (status = 422, body = DetailError),
        (status = 429, body = DetailError)))]
async fn list_orders(
    State(state): State<Arc<AppState>>,
    BotKey(caller): BotKey,
    DetailQuery(filter): DetailQuery<OrderFilter>,
) -> Result<Reply, ApiError> {
    let status = filter.status.as_deref().map(str::parse::<OrderStatus>).transpose().map_err(|e| engine_err(&e))?;
    let limit = filter.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(STYLE, format!("`limit` must be 1 to 500, got {limit}")));
    }
    read_book(&state, &caller, |b| {
        let orders = b.engine.orders(b.agent).map_err(|e| engine_err(&e))?;
        let ids = OrderIds::of(&b.id);
        let list: Vec<BotOrder> = orders
            .iter()
            .rev()
            .filter(|o| status.is_none_or(|s| o.status == s))
            .take(limit)
            .map(|o| BotOrder::new(o, ids))
            .collect();
        Ok(Reply::json(StatusCode::OK, &list))
    })
    .await
}

/// The engine's number of the portfolio's order `id` (404 for anything else).
fn order_id(portfolio_id: &str, id: &str) -> Result<u64, ApiError> {
    OrderIds::of(portfolio_id)
        .parse(id)
        .ok_or_else(|| ApiError::not_found(STYLE, "order_not_found", format!("no order '{id}'")))
}

/// One order of the portfolio.
#[utoipa::path(get, path = "/orders/{id}", tag = "bot", params(("id" = String, Path, description = "Order id (a UUID)")),
    security(("bot_key" = [])),
    responses((status = 200, body = BotOrder), (status = 401, body = DetailError), (status = 404, body = DetailError),
        (status = 429, body = DetailError)))]
async fn get_order(
    State(state): State<Arc<AppState>>,
    BotKey(caller): BotKey,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    read_book(&state, &caller, |b| {
        let order = b.engine.order(b.agent, order_id(&b.id, &id)?).map_err(|e| engine_err(&e))?;
        Ok(Reply::json(StatusCode::OK, &BotOrder::new(order, OrderIds::of(&b.id))))
    })
    .await
}

/// Cancels a working order.
#[utoipa::path(delete, path = "/orders/{id}", tag = "bot", params(("id" = String, Path, description = "Order id (a UUID)")),
    security(("bot_key" = [])),
    responses((status = 204, description = "Cancelled"), (status = 401, body = DetailError), (status = 404, body = DetailError),
        (status = 422, body = DetailError, description = "No longer working"), (status = 429, body = DetailError)))]
async fn cancel_order(
    State(state): State<Arc<AppState>>,
    BotKey(caller): BotKey,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = portfolio_of(&state, &caller).await?;
    let id = order_id(&p.meta.id, &id)?;
    state
        .market
        .execute(&state.store, &p, Command::Cancel { order_id: id }, |_, result| match result {
            Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
            Err(e) => Err(engine_err(&e)),
        })
        .await
}

fn asset_type(state: &AppState) -> &'static str {
    match state.market.scenario.config().market_hours {
        MarketHours::Continuous => "CRYPTO",
        _ => "STOCK",
    }
}

/// Cash, equity and positions at the latest closes.
#[utoipa::path(get, path = "/portfolio", tag = "bot", security(("bot_key" = [])),
    responses((status = 200, body = PortfolioOut), (status = 401, body = DetailError), (status = 429, body = DetailError)))]
async fn portfolio(State(state): State<Arc<AppState>>, BotKey(caller): BotKey) -> Result<Reply, ApiError> {
    let kind = asset_type(&state);
    read_book(&state, &caller, |b| {
        let p = b.engine.portfolio(b.agent).map_err(|e| engine_err(&e))?;
        let positions = p
            .positions
            .iter()
            .map(|v| {
                let cost = (v.avg_cost * v.quantity).abs();
                let pct = if cost.is_zero() { Decimal::ZERO } else { v.unrealized_pnl / cost * Decimal::ONE_HUNDRED };
                BotPosition {
                    symbol: v.symbol.clone(),
                    asset_type: kind.into(),
                    quantity: fixed(v.quantity, 8),
                    avg_cost: fixed(v.avg_cost, 8),
                    current_price: Some(fixed(v.current_price, 8)),
                    market_value: fixed(v.market_value, 8),
                    unrealized_pnl: fixed(v.unrealized_pnl, 2),
                    unrealized_pnl_pct: fixed(pct, 2),
                }
            })
            .collect();
        Ok(Reply::json(
            StatusCode::OK,
            &PortfolioOut {
                balance: fixed(p.cash, 2),
                total_equity: fixed(p.equity, 2),
                positions,
                total_unrealized_pnl: fixed(p.total_unrealized_pnl, 2),
            },
        ))
    })
    .await
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Performance of the bot portfolio since it opened, ranked by total return among the market's
/// portfolios.
#[utoipa::path(get, path = "/kpi", tag = "bot", security(("bot_key" = [])),
    responses((status = 200, body = KpiOut), (status = 401, body = DetailError), (status = 429, body = DetailError)))]
async fn kpi(State(state): State<Arc<AppState>>, BotKey(caller): BotKey) -> Result<Reply, ApiError> {
    let scenario = state.market.scenario.clone();
    let benchmark = scenario.config().benchmark_symbol.as_ref().and_then(|s| scenario.series_of(s));
    let ppy = scenario.periods_per_year();
    let mine = read_book(&state, &caller, |b| {
        b.engine.metrics(b.agent, benchmark.map(|s| &s.bars[..]), ppy).map_err(|e| engine_err(&e))
    })
    .await?;
    let total_return = |b: &Book| -> Result<f64, ApiError> {
        let equity = b.engine.portfolio(b.agent).map_err(|e| engine_err(&e))?.equity;
        let start = b.engine.account(b.agent).map_err(|e| engine_err(&e))?.starting_cash;
        Ok(vectrade_core::num::to_f64((equity - start) / start))
    };
    let mut returns = Vec::new();
    match &state.cluster {
        None => {
            for p in state.market.portfolios() {
                returns.push(state.market.read(&state.store, &p, total_return).await?);
            }
        }
        // Shared: other processes serve some portfolios; those are rebuilt from their committed
        // logs for the rank, and not kept (their holders change them).
        Some(cluster) => {
            let slug = state.market.scenario.config().slug.clone();
            let metas = state
                .store
                .read_committed(move |db| crate::market::Market::portfolio_rows(db, &slug, None))
                .await
                .map_err(|e| ApiError::store(STYLE, &e))?;
            for meta in metas {
                let here = cluster.serves(&meta.account_id);
                let r = match state.market.known(&meta).filter(|_| here) {
                    Some(p) => state.market.read(&state.store, &p, total_return).await?,
                    None => {
                        let (mut book, _) = state.market.replay(&state.store, &meta).await?;
                        state.market.catch_up(&mut book)?;
                        total_return(&book)?
                    }
                };
                returns.push(r);
            }
        }
    }
    let own = (mine.final_equity - mine.starting_equity) / mine.starting_equity;
    let own = vectrade_core::num::to_f64(own);
    let rank = 1 + returns.iter().filter(|&&r| r > own).count();
    let out = KpiOut {
        total_return_pct: mine.total_return_pct,
        sharpe_ratio: finite(mine.sharpe),
        win_rate: mine.win_rate_pct,
        profit_factor: mine.profit_factor.and_then(finite),
        max_drawdown: mine.max_drawdown_pct,
        total_trades: mine.round_trips,
        sortino_ratio: finite(mine.sortino),
        expectancy: vectrade_core::num::to_f64(mine.expectancy),
        consecutive_wins: mine.max_consecutive_wins,
        consecutive_losses: mine.max_consecutive_losses,
        rank,
        rank_total: returns.len(),
    };
    Ok(Reply::json(StatusCode::OK, &out))
}

/// Reveals the next bars of the live market (the operator's call; `X-Operator-Token`, printed at
/// start). With `--bar-interval manual` this is the only clock.
#[utoipa::path(post, path = "/api/v1/operator/market/advance", tag = "operator", request_body = AdvanceIn,
    responses((status = 200, body = MarketClock), (status = 401, body = DetailError), (status = 422, body = DetailError)))]
async fn advance_market(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    DetailBody(body): DetailBody<AdvanceIn>,
) -> Result<Reply, ApiError> {
    let token = headers.get("x-operator-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::auth::same_secret(token, &state.operator_token) {
        return Err(ApiError::unauthorized(
            STYLE,
            "missing or wrong X-Operator-Token (printed when the server starts)",
        ));
    }
    let bars = body.bars.unwrap_or(1);
    if !(1..=1_000_000).contains(&bars) {
        return Err(ApiError::bad_request(STYLE, format!("`bars` must be 1 to 1000000, got {bars}")));
    }
    let advanced = state.market.advance(&state.store, bars).await?;
    Ok(Reply::json(StatusCode::OK, &market_clock(&state, advanced)))
}

/// Where the live market stands.
pub fn market_clock(state: &AppState, advanced: usize) -> MarketClock {
    let m = &state.market;
    MarketClock {
        market: m.scenario.config().slug.clone(),
        advanced,
        step: m.revealed(),
        steps: m.scenario.timeline().len(),
        sim_time: format_rfc3339(m.clock()),
        closed: m.is_closed(),
    }
}
