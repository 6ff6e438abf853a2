//! The benchmark API (seeds 001 and 003) under `/api/v1`: scenarios, runs, market, trades, step,
//! results, publishing and the leaderboard. Handlers translate HTTP to the core's calls and back.

pub mod results;
pub mod wire;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vectrade_core::time::format_rfc3339;
use vectrade_core::{AgentStatus, OrderRequest, RiskProfile, Scenario};

use crate::auth::ApiKey;
use crate::extract::{Body, Query};
use crate::identity::{Caller, Plan};
use crate::problem::{ApiError, Problem, Style};
use crate::runs::{Command, Idempotency, Live, Output, Published as PublishedRow, Reply, RunHandle, RunMeta};
use crate::{AppState, month_start, now_ms};
use results::*;
use wire::*;

/// The benchmark routes.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list_scenarios))
        .routes(routes!(get_scenario))
        .routes(routes!(create_run))
        .routes(routes!(get_run))
        .routes(routes!(market))
        .routes(routes!(queue_trade, list_trades))
        .routes(routes!(list_orders))
        .routes(routes!(cancel_order))
        .routes(routes!(step))
        .routes(routes!(hold_until_end))
        .routes(routes!(liquidate_and_finish))
        .routes(routes!(advance_until_next_session))
        .routes(routes!(results))
        .routes(routes!(publish))
        .routes(routes!(public_run))
        .routes(routes!(leaderboard))
        .routes(routes!(leaderboard_scenarios))
}

const STYLE: Style = Style::Problem;

fn engine_err(e: &vectrade_core::Error) -> ApiError {
    ApiError::engine(STYLE, e)
}

/// A run of the caller's, with its scenario: 404 if there is none, 403 if it is someone else's.
fn owned_run(state: &AppState, caller: &Caller, id: &str) -> Result<(Arc<RunHandle>, Arc<Scenario>), ApiError> {
    let handle =
        state.runs.get(id).ok_or_else(|| ApiError::not_found(STYLE, "run_not_found", format!("no run '{id}'")))?;
    if handle.meta.account_id != caller.account_id || handle.meta.agent_id != caller.agent_id {
        return Err(ApiError::forbidden(STYLE, "you do not own this run"));
    }
    let scenario = scenario_of(state, &handle)?;
    Ok((handle, scenario))
}

/// Reads a run of the caller's under its lock.
async fn read_owned<T>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    f: impl FnOnce(&Live, &RunMeta) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (handle, scenario) = owned_run(state, caller, id)?;
    state.runs.read(&state.store, &handle, scenario, |live| f(live, &handle.meta)).await?
}

fn scenario_of(state: &AppState, handle: &RunHandle) -> Result<Arc<Scenario>, ApiError> {
    state.scenarios.find(&handle.meta.scenario_slug).map(|o| o.scenario.clone()).ok_or_else(|| {
        ApiError::internal(
            STYLE,
            format!("scenario '{}' of run {} is not offered", handle.meta.scenario_slug, handle.meta.id),
        )
    })
}

fn run_status(live: &Live) -> &'static str {
    if live.run.engine().status(live.agent) == Ok(AgentStatus::Liquidated) {
        "liquidated"
    } else if live.run.is_done() {
        "completed"
    } else {
        "active"
    }
}

fn run_out(meta: &RunMeta, live: &Live) -> Result<RunOut, ApiError> {
    let portfolio = live.run.portfolio(live.agent).map_err(|e| engine_err(&e))?;
    Ok(RunOut {
        id: meta.id.clone(),
        status: run_status(live).into(),
        scenario_slug: meta.scenario_slug.clone(),
        bot_name: meta.bot_name.clone(),
        cash: portfolio.cash,
        starting_cash: live.run.scenario().config().starting_cash,
        equity: portfolio.equity,
        sim_time: format_rfc3339(live.run.sim_time()),
        done: live.run.is_done(),
        created_at: format_rfc3339(meta.created_at),
    })
}

fn request_hash(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string(value).expect("requests serialise");
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn idempotency(key: Option<String>, hashed: &impl serde::Serialize) -> Result<Option<Idempotency>, ApiError> {
    match key {
        None => Ok(None),
        Some(k) if k.is_empty() || k.chars().count() > 255 => {
            Err(ApiError::bad_request(STYLE, "idempotency_key must be 1 to 255 characters"))
        }
        Some(key) => Ok(Some(Idempotency { key, request_hash: request_hash(hashed) })),
    }
}

/// Every scenario (public).
#[utoipa::path(get, path = "/api/v1/scenarios", tag = "benchmark",
    responses((status = 200, body = ScenarioList)))]
async fn list_scenarios(State(state): State<Arc<AppState>>) -> Reply {
    let scenarios = state.scenarios.all().iter().map(|o| ScenarioOut::new(&o.id, &o.scenario)).collect();
    Reply::json(StatusCode::OK, &ScenarioList { scenarios })
}

/// One scenario by id or slug (public).
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", tag = "benchmark",
    params(("id" = String, Path, description = "Scenario id or slug")),
    responses((status = 200, body = ScenarioOne), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_scenario(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let o = state
        .scenarios
        .find(&id)
        .ok_or_else(|| ApiError::not_found(STYLE, "unknown_scenario", format!("no scenario '{id}'")))?;
    Ok(Reply::json(StatusCode::OK, &ScenarioOne { scenario: ScenarioOut::new(&o.id, &o.scenario) }))
}

/// Starts a run on a scenario. Counts against the account's monthly quota.
#[utoipa::path(post, path = "/api/v1/runs", tag = "benchmark", request_body = CreateRun,
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = RunOne), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 402, body = Problem, content_type = "application/problem+json", description = "Free quota reached: `checkout_url`, `upgrade_hint`"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "Pro quota reached: `resets_at`")))]
async fn create_run(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Body(body): Body<CreateRun>,
) -> Result<Reply, ApiError> {
    let offered = state.scenarios.find(&body.scenario_slug).ok_or_else(|| {
        let slugs: Vec<String> =
            state.scenarios.all().iter().map(|o| format!("'{}'", o.scenario.config().slug)).collect();
        ApiError::not_found(
            STYLE,
            "unknown_scenario",
            format!("no scenario '{}'; scenarios are: {}", body.scenario_slug, slugs.join(", ")),
        )
    })?;
    if let Some(name) = &body.bot_name
        && name.chars().count() > 100
    {
        return Err(ApiError::bad_request(STYLE, "bot_name must be at most 100 characters"));
    }
    let account = crate::accounts::fresh_account(&state, &caller.account_id, STYLE).await?;
    let now = now_ms();
    let (since, next) = month_start(now);
    // An agent's runs apply its risk profile, enforced by the engine.
    let risk = match &caller.agent_id {
        Some(id) => state.agents.get(id).map(|a| a.risk_profile()).unwrap_or_default(),
        None => RiskProfile::default(),
    };
    let meta = RunMeta {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account.id.clone(),
        agent_id: caller.agent_id.clone(),
        key_id: caller.key_id.clone(),
        scenario_slug: offered.scenario.config().slug.clone(),
        bot_name: body.bot_name,
        agent_info: body.agent_info,
        risk,
        created_at: now,
    };
    let quota = (since, account.plan.monthly_runs());
    let Ok(handle) = state.runs.create(&state.store, meta, offered.scenario.clone(), quota).await? else {
        return Err(match account.plan {
            Plan::Free | Plan::Standard => ApiError::new(
                STYLE,
                StatusCode::PAYMENT_REQUIRED,
                "quota_exceeded",
                format!(
                    "the {} plan's {} runs this month are used",
                    account.plan.as_str(),
                    account.plan.monthly_runs()
                ),
            )
            .with("checkout_url", format!("{}/api/v1/billing/local", state.public_url))
            .with("upgrade_hint", "Upgrade to Pro for 200 runs/month."),
            Plan::Pro => {
                let mut e = ApiError::new(
                    STYLE,
                    StatusCode::TOO_MANY_REQUESTS,
                    "quota_exceeded",
                    format!("the Pro plan's {} runs this month are used", account.plan.monthly_runs()),
                )
                .with("resets_at", format_rfc3339(next));
                e.retry_after = Some(u64::try_from((next - now) / 1000).unwrap_or(0).max(1));
                e
            }
        });
    };
    let scenario = offered.scenario.clone();
    let run = state.runs.read(&state.store, &handle, scenario, |live| run_out(&handle.meta, live)).await??;
    Ok(Reply::json(StatusCode::CREATED, &RunOne { run }))
}

/// A run with its positions and queued orders.
#[utoipa::path(get, path = "/api/v1/runs/{id}", tag = "benchmark",
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = RunDetail), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_run(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    read_owned(&state, &caller, &id, |live, meta| {
        let portfolio = live.run.portfolio(live.agent).map_err(|e| engine_err(&e))?;
        let open = live.run.engine().open_orders(live.agent).map_err(|e| engine_err(&e))?;
        let detail = RunDetail {
            run: run_out(meta, live)?,
            positions: portfolio.positions.iter().map(PositionOut::from).collect(),
            queued_orders: open.into_iter().map(OrderOut::from).collect(),
            last_equity: portfolio.equity,
        };
        Ok(Reply::json(StatusCode::OK, &detail))
    })
    .await
}

/// `symbols` and `lookback` of a market request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MarketQuery {
    /// Comma-separated symbols of the universe (or the benchmark); all of them when omitted.
    symbols: Option<String>,
    /// Bars per symbol, 1 to 1000 (default 50).
    lookback: Option<usize>,
}

/// Bars up to the run's clock, never after it.
#[utoipa::path(get, path = "/api/v1/runs/{id}/market", tag = "benchmark",
    params(("id" = String, Path, description = "Run id"), MarketQuery), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = MarketOut), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn market(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
    Query(q): Query<MarketQuery>,
) -> Result<Reply, ApiError> {
    let mut symbols: Option<Vec<String>> = q
        .symbols
        .as_deref()
        .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect::<Vec<_>>());
    if let Some(list) = &mut symbols {
        if list.is_empty() {
            return Err(ApiError::bad_request(STYLE, "symbols is empty; omit it to observe the whole universe"));
        }
        // A symbol named twice is observed once.
        let mut seen = std::collections::HashSet::new();
        list.retain(|s| seen.insert(s.clone()));
    }
    let lookback = q.lookback.unwrap_or(vectrade_core::run::DEFAULT_LOOKBACK);
    read_owned(&state, &caller, &id, |live, _| {
        let names: Option<Vec<&str>> = symbols.as_ref().map(|l| l.iter().map(String::as_str).collect());
        let view = live.run.market(names.as_deref(), lookback).map_err(|e| engine_err(&e))?;
        let bars = view.bars.iter().map(|s| (s.symbol.clone(), s.bars.iter().map(BarOut::from).collect())).collect();
        Ok(Reply::json(
            StatusCode::OK,
            &MarketOut { sim_time: format_rfc3339(view.sim_time), bars: BarsBySymbol(bars) },
        ))
    })
    .await
}

fn order_request(t: TradeIn) -> Result<(OrderRequest, Option<String>), vectrade_core::Error> {
    let mut request = OrderFields {
        symbol: &t.symbol,
        side: &t.side,
        quantity: t.quantity,
        order_type: t.order_type.as_deref(),
        time_in_force: t.time_in_force.as_deref(),
        asset_type: None,
        limit_price: t.limit_price,
        stop_price: t.stop_price,
        stop_loss: t.stop_loss,
        take_profit: t.take_profit,
    }
    .request()?;
    request.reasoning = t.reasoning;
    Ok((request, t.idempotency_key))
}

/// Queues an order; it fills at the next bar's open (or later, by its type) when the run steps.
#[utoipa::path(post, path = "/api/v1/runs/{id}/trades", tag = "benchmark", request_body = TradeIn,
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = OrderOne), (status = 400, body = Problem, content_type = "application/problem+json", description = "Malformed or refused by the engine (`code` says why)"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Idempotency key reused with another request")))]
async fn queue_trade(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
    Body(trade): Body<TradeIn>,
) -> Result<Reply, ApiError> {
    let (handle, scenario) = owned_run(&state, &caller, &id)?;
    let (order, key) = order_request(trade).map_err(|e| engine_err(&e))?;
    let idem = idempotency(key, &order)?;
    let command = Command::Submit { order: Box::new(order) };
    state
        .runs
        .execute(&state.store, &handle, scenario, command, idem, |_, output| match output {
            Ok(Output::Order(order)) => {
                Ok(Reply::json(StatusCode::CREATED, &OrderOne { order: OrderOut::from(order.as_ref()) }))
            }
            Ok(Output::Step(_)) => Err(ApiError::internal(STYLE, "an order was answered with a step")),
            Err(e) => Err(engine_err(&e)),
        })
        .await
}

/// Every fill of the run.
#[utoipa::path(get, path = "/api/v1/runs/{id}/trades", tag = "benchmark",
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = TradesOut), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_trades(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    read_owned(&state, &caller, &id, |live, _| {
        let fills = live.run.engine().fills(live.agent).map_err(|e| engine_err(&e))?;
        Ok(Reply::json(StatusCode::OK, &TradesOut { trades: fills.iter().map(FillOut::from).collect() }))
    })
    .await
}

/// Query of `GET /api/v1/runs/{id}/orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct OrdersQuery {
    /// `open` for the working orders only (`OPEN` or `PARTIALLY_FILLED`); every order when absent.
    #[serde(default)]
    status: Option<String>,
}

/// Every order of the run with its status and fills so far (a VecTrade extension of the seeds'
/// API, so that a strategy can follow and cancel its resting orders).
#[utoipa::path(get, path = "/api/v1/runs/{id}/orders", tag = "benchmark", operation_id = "list_run_orders",
    params(("id" = String, Path, description = "Run id"), OrdersQuery), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = OrdersOut), (status = 400, body = Problem, content_type = "application/problem+json", description = "Unknown `status`"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_orders(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
    Query(q): Query<OrdersQuery>,
) -> Result<Reply, ApiError> {
    let open_only = match q.status.as_deref() {
        None => false,
        Some("open") => true,
        Some(other) => {
            return Err(ApiError::bad_request(STYLE, format!("status must be `open` or absent, got '{other}'")));
        }
    };
    read_owned(&state, &caller, &id, |live, _| {
        let engine = live.run.engine();
        let orders: Vec<OrderOut> = if open_only {
            engine.open_orders(live.agent).map_err(|e| engine_err(&e))?.into_iter().map(OrderOut::from).collect()
        } else {
            engine.orders(live.agent).map_err(|e| engine_err(&e))?.iter().map(OrderOut::from).collect()
        };
        Ok(Reply::json(StatusCode::OK, &OrdersOut { orders }))
    })
    .await
}

/// Cancels a working order of the run (a VecTrade extension of the seeds' API). Cancelling it
/// again answers the cancelled order (so a retry is harmless); cancelling an order that filled or
/// ended otherwise is refused with `order_not_cancellable`.
#[utoipa::path(delete, path = "/api/v1/runs/{id}/orders/{order_id}", tag = "benchmark", operation_id = "cancel_run_order",
    params(("id" = String, Path, description = "Run id"), ("order_id" = String, Path, description = "The order's id within the run")),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = OrderOne), (status = 400, body = Problem, content_type = "application/problem+json", description = "Not cancellable (`code` says why)"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such run or order")))]
async fn cancel_order(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path((id, order_id)): Path<(String, String)>,
) -> Result<Reply, ApiError> {
    let (handle, scenario) = owned_run(&state, &caller, &id)?;
    let order_id =
        order_id.parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
            ApiError::not_found(STYLE, "order_not_found", format!("no order '{order_id}' in run {id}"))
        })?;
    state
        .runs
        .execute(&state.store, &handle, scenario, Command::Cancel { order_id }, None, |live, output| match output {
            Ok(Output::Order(order)) => {
                Ok(Reply::json(StatusCode::OK, &OrderOne { order: OrderOut::from(order.as_ref()) }))
            }
            Ok(Output::Step(_)) => Err(ApiError::internal(STYLE, "a cancel was answered with a step")),
            // DELETE is idempotent: an order the agent already cancelled (a retried request whose
            // first answer was lost) answers as it stands.
            Err(e) => match live.run.engine().order(live.agent, order_id) {
                Ok(o) if o.end_reason.as_ref().is_some_and(|r| r.code == "cancelled_by_agent") => {
                    Ok(Reply::json(StatusCode::OK, &OrderOne { order: OrderOut::from(o) }))
                }
                _ => Err(engine_err(&e)),
            },
        })
        .await
}

fn step_out(live: &Live, report: &vectrade_core::StepReport) -> Result<StepOut, ApiError> {
    let a =
        report.agent(live.agent).ok_or_else(|| ApiError::internal(STYLE, "the step report lacks the run's agent"))?;
    Ok(StepOut {
        bars_advanced: report.bars_advanced,
        new_sim_time: format_rfc3339(report.new_sim_time),
        fills: a.fills.iter().map(FillOut::from).collect(),
        equity: a.equity,
        cash: a.cash,
        positions_value: a.positions_value,
        done: report.done || a.liquidated,
        liquidated: a.liquidated,
    })
}

/// Advances the run; queued orders fill against the bars advanced.
#[utoipa::path(post, path = "/api/v1/runs/{id}/step", tag = "benchmark", request_body = StepIn,
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StepOut), (status = 400, body = Problem, content_type = "application/problem+json", description = "Malformed, or the run is over"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Idempotency key reused with another request")))]
async fn step(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
    Body(body): Body<StepIn>,
) -> Result<Reply, ApiError> {
    let command = Command::Step { count: body.count.unwrap_or(1) };
    advance(&state, &caller, &id, command, body.idempotency_key).await
}

/// A command that advances the run (step, hold, liquidate, next session), answered as a step.
async fn advance(
    state: &AppState,
    caller: &Caller,
    id: &str,
    command: Command,
    key: Option<String>,
) -> Result<Reply, ApiError> {
    let (handle, scenario) = owned_run(state, caller, id)?;
    let idem = idempotency(key, &command)?;
    state
        .runs
        .execute(&state.store, &handle, scenario, command, idem, |live, output| match output {
            Ok(Output::Step(report)) => Ok(Reply::json(StatusCode::OK, &step_out(live, &report)?)),
            Ok(Output::Order(_)) => Err(ApiError::internal(STYLE, "a step was answered with an order")),
            Err(e) => Err(engine_err(&e)),
        })
        .await
}

/// Steps to the end of the scenario (or `max_bars`) placing nothing new; resting orders still fill.
/// With `require_flat`, refused (`positions_open`) while the run holds positions. A VecTrade
/// extension of the seeds' REST API (their MCP tool `hold_until_end`).
#[utoipa::path(post, path = "/api/v1/runs/{id}/hold-until-end", tag = "benchmark", request_body = HoldIn,
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StepOut), (status = 400, body = Problem, content_type = "application/problem+json", description = "Malformed, the run is over, or positions are open with `require_flat`"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Idempotency key reused with another request")))]
async fn hold_until_end(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
    Body(body): Body<HoldIn>,
) -> Result<Reply, ApiError> {
    let command = Command::HoldUntilEnd { max_bars: body.max_bars, require_flat: body.require_flat };
    advance(&state, &caller, &id, command, body.idempotency_key).await
}

/// Cancels the run's working orders, closes every position at the next bar's open (no risk check
/// can refuse the closing orders) and steps to the end of the scenario (or `max_bars`). A VecTrade
/// extension of the seeds' REST API (their MCP tool `liquidate_and_finish`).
#[utoipa::path(post, path = "/api/v1/runs/{id}/liquidate-and-finish", tag = "benchmark", request_body = LiquidateIn,
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StepOut), (status = 400, body = Problem, content_type = "application/problem+json", description = "Malformed, or the run is over"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Idempotency key reused with another request")))]
async fn liquidate_and_finish(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
    Body(body): Body<LiquidateIn>,
) -> Result<Reply, ApiError> {
    let command = Command::LiquidateAndFinish { rationale: body.rationale, max_bars: body.max_bars };
    advance(&state, &caller, &id, command, body.idempotency_key).await
}

/// Steps until the clock enters the next trading session (across closed-market gaps), at most
/// `max_bars`. A VecTrade extension of the seeds' REST API (their MCP tool
/// `advance_until_next_session`).
#[utoipa::path(post, path = "/api/v1/runs/{id}/advance-until-next-session", tag = "benchmark", request_body = AdvanceSessionIn,
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = StepOut), (status = 400, body = Problem, content_type = "application/problem+json", description = "Malformed, or the run is over"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Idempotency key reused with another request")))]
async fn advance_until_next_session(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
    Body(body): Body<AdvanceSessionIn>,
) -> Result<Reply, ApiError> {
    let command = Command::AdvanceSession { max_bars: body.max_bars };
    advance(&state, &caller, &id, command, body.idempotency_key).await
}

fn results_of(live: &Live) -> Result<ResultsOut, ApiError> {
    live.run.results(live.agent).map(|r| ResultsOut::from(&r)).map_err(|e| engine_err(&e))
}

/// The run's grade; 400 while it is active.
#[utoipa::path(get, path = "/api/v1/runs/{id}/results", tag = "benchmark",
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = ResultsOne), (status = 400, body = Problem, content_type = "application/problem+json", description = "The run is still active"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn results(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    let results = read_owned(&state, &caller, &id, |live, _| results_of(live)).await?;
    Ok(Reply::json(StatusCode::OK, &ResultsOne { results }))
}

/// Posts a finished run to the public leaderboard (publishing again answers the same).
#[utoipa::path(post, path = "/api/v1/runs/{id}/publish", tag = "benchmark",
    params(("id" = String, Path, description = "Run id")), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = Published), (status = 400, body = Problem, content_type = "application/problem+json", description = "The run is still active"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn publish(
    State(state): State<Arc<AppState>>,
    ApiKey(caller): ApiKey,
    Path(id): Path<String>,
) -> Result<Reply, ApiError> {
    let (handle, scenario) = owned_run(&state, &caller, &id)?;
    if let Some(p) = handle.published() {
        let results: ResultsOut =
            serde_json::from_value(p.results).map_err(|e| ApiError::internal(STYLE, e.to_string()))?;
        return Ok(Reply::json(StatusCode::OK, &Published { published: true, results }));
    }
    let results = state.runs.read(&state.store, &handle, scenario, results_of).await??;
    let value = serde_json::to_value(&results).expect("results serialise");
    let at = now_ms();
    let (run_id, text) = (id.clone(), value.to_string());
    state
        .store
        .write(move |conn| {
            conn.execute(
                "UPDATE runs SET published_at = ?1, results = ?2 WHERE id = ?3",
                crate::args![at, text, run_id],
            )
            .map(drop)
        })
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    handle.set_published(PublishedRow { at, results: value });
    Ok(Reply::json(StatusCode::OK, &Published { published: true, results }))
}

/// A published run as the public sees it, read from the database (so that every process of a
/// shared database shows the same leaderboard).
struct PublishedEntry {
    id: String,
    scenario_slug: String,
    bot_name: Option<String>,
    display_name: String,
    published_at: i64,
    results: ResultsOut,
}

/// Published runs (all, or the one named `run`), with the name each shows: `{handle} — {bot_name}`
/// for a Pro account with a handle, else the bot name, else the account's name.
async fn published(state: &AppState, run: Option<String>) -> Result<Vec<PublishedEntry>, ApiError> {
    let rows = state
        .store
        .read_committed(move |db| {
            db.query_map(
                "SELECT r.id, r.scenario_slug, r.bot_name, a.display_name, a.plan, a.handle, r.published_at, r.results
                 FROM runs r JOIN accounts a ON a.id = r.account_id
                 WHERE r.published_at IS NOT NULL AND (CAST(?1 AS TEXT) IS NULL OR r.id = ?1)",
                crate::args![run],
                |r| {
                    Ok((
                        (r.get::<String>(0)?, r.get::<String>(1)?, r.get::<Option<String>>(2)?),
                        (r.get::<String>(3)?, r.get::<String>(4)?, r.get::<Option<String>>(5)?),
                        (r.get::<i64>(6)?, r.get::<Option<String>>(7)?),
                    ))
                },
            )
        })
        .await
        .map_err(|e| ApiError::store(STYLE, &e))?;
    rows.into_iter()
        .map(|((id, scenario_slug, bot_name), (account_name, plan, handle), (published_at, results))| {
            let handle = handle.filter(|_| Plan::parse(&plan) == Some(Plan::Pro));
            let display_name = match (handle, &bot_name) {
                (Some(h), Some(b)) => format!("{h} — {b}"),
                (Some(h), None) => h,
                (None, Some(b)) => b.clone(),
                (None, None) => account_name,
            };
            let results = serde_json::from_str(results.as_deref().unwrap_or("null"))
                .map_err(|e| ApiError::internal(STYLE, format!("stored results of run {id}: {e}")))?;
            Ok(PublishedEntry { id, scenario_slug, bot_name, display_name, published_at, results })
        })
        .collect()
}

/// A published run (public).
#[utoipa::path(get, path = "/api/v1/runs/{id}/public", tag = "benchmark",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = PublicRun), (status = 404, body = Problem, content_type = "application/problem+json", description = "No such published run")))]
async fn public_run(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let not_found = || ApiError::not_found(STYLE, "run_not_found", format!("no published run '{id}'"));
    let p = published(&state, Some(id.clone())).await?.into_iter().next().ok_or_else(not_found)?;
    let run = PublicRunOut {
        id: p.id,
        scenario_slug: p.scenario_slug,
        display_name: p.display_name,
        bot_name: p.bot_name,
        status: if p.results.liquidated { "liquidated" } else { "completed" }.into(),
        published_at: format_rfc3339(p.published_at),
    };
    Ok(Reply::json(StatusCode::OK, &PublicRun { run, results: p.results }))
}

/// Filters and order of the leaderboard.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LeaderboardQuery {
    /// Only runs of this scenario (slug or id).
    scenario: Option<String>,
    /// `return_pct` (default), `sharpe`, `sortino`, `max_drawdown` (smallest first) or `final_equity`.
    sort_by: Option<String>,
    /// Rows, 1 to 500 (default 100).
    limit: Option<usize>,
}

const SORT_KEYS: [&str; 5] = ["return_pct", "sharpe", "sortino", "max_drawdown", "final_equity"];

/// Published runs, best first (public).
#[utoipa::path(get, path = "/api/v1/leaderboard", tag = "benchmark", params(LeaderboardQuery),
    responses((status = 200, body = Leaderboard), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such scenario")))]
async fn leaderboard(State(state): State<Arc<AppState>>, Query(q): Query<LeaderboardQuery>) -> Result<Reply, ApiError> {
    let sort_by = q.sort_by.unwrap_or_else(|| "return_pct".into());
    if !SORT_KEYS.contains(&sort_by.as_str()) {
        let allowed = SORT_KEYS.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
        return Err(ApiError::bad_request(STYLE, format!("`sort_by` must be one of {{{allowed}}}, got '{sort_by}'")));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(STYLE, format!("`limit` must be 1 to 500, got {limit}")));
    }
    let slug = match &q.scenario {
        Some(s) => Some(
            state
                .scenarios
                .find(s)
                .map(|o| o.scenario.config().slug.clone())
                .ok_or_else(|| ApiError::not_found(STYLE, "unknown_scenario", format!("no scenario '{s}'")))?,
        ),
        None => None,
    };
    let mut rows = Vec::new();
    for p in published(&state, None).await? {
        if slug.as_ref().is_some_and(|s| *s != p.scenario_slug) {
            continue;
        }
        let r = p.results;
        rows.push(LeaderboardRow {
            rank: 0,
            run_id: p.id,
            scenario_slug: p.scenario_slug,
            display_name: p.display_name,
            return_pct: r.return_pct,
            sharpe: r.sharpe,
            sortino: r.sortino,
            max_drawdown: r.max_drawdown,
            final_equity: r.final_equity,
            trade_count: r.trade_count,
            published_at: format_rfc3339(p.published_at),
        });
    }
    // Best first; a missing ratio ranks last; ties by earlier publication, then id.
    let key = |r: &LeaderboardRow| -> f64 {
        match sort_by.as_str() {
            "sharpe" => r.sharpe.unwrap_or(f64::NEG_INFINITY),
            "sortino" => r.sortino.unwrap_or(f64::NEG_INFINITY),
            "max_drawdown" => -r.max_drawdown,
            "final_equity" => r.final_equity,
            _ => r.return_pct,
        }
    };
    rows.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then_with(|| a.published_at.cmp(&b.published_at))
            .then_with(|| a.run_id.cmp(&b.run_id))
    });
    rows.truncate(limit);
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Ok(Reply::json(StatusCode::OK, &Leaderboard { leaderboard: rows, sort_by }))
}

/// Scenarios with their count of published runs (public).
#[utoipa::path(get, path = "/api/v1/leaderboard/scenarios", tag = "benchmark",
    responses((status = 200, body = LeaderboardScenarios)))]
async fn leaderboard_scenarios(State(state): State<Arc<AppState>>) -> Result<Reply, ApiError> {
    let runs = published(&state, None).await?;
    let scenarios = state
        .scenarios
        .all()
        .iter()
        .map(|o| {
            let c = o.scenario.config();
            LeaderboardScenario {
                slug: c.slug.clone(),
                name: c.name.clone(),
                published_runs: runs.iter().filter(|p| p.scenario_slug == c.slug).count(),
            }
        })
        .collect();
    Ok(Reply::json(StatusCode::OK, &LeaderboardScenarios { scenarios }))
}
