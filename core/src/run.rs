//! Scenario runs: one or more agents trading a stored scenario bar by bar. Observation never goes
//! past `sim_time`; orders queued at `sim_time` first meet the next bar; results once it is over.

use std::collections::BTreeMap;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::Fill;
use crate::bar::Bar;
use crate::engine::{AgentId, AgentStatus, Engine, EngineConfig, Portfolio};
use crate::error::{Error, ErrorFamily, ErrorKind, Result, err};
use crate::interrupt::Interrupt;
use crate::journal::{self, Trade};
use crate::matching::IntrabarPath;
use crate::metrics::Metrics;
use crate::order::{Order, OrderRequest};
use crate::risk::RiskProfile;
use crate::scenario::Scenario;

mod snapshot;

pub use crate::limits::MAX_LOOKBACK;
use crate::limits::{MAX_IDEMPOTENCY_KEY_CHARS, check_text};
pub use snapshot::RunSnapshot;
/// Bars per symbol when no lookback is given.
pub const DEFAULT_LOOKBACK: usize = 50;

/// Options of a run beyond the scenario's own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunOptions {
    /// Path through a bar when several triggers fall inside it.
    pub intrabar_path: IntrabarPath,
    /// Close every position at the end, as backtesting.py's `finalize_trades` does: before the
    /// scenario's last bar, each active agent's working orders are cancelled and market orders
    /// closing its positions are queued (`Engine::close_all`, the path of `liquidate_and_finish`),
    /// so they fill at the last bar's open like any order. Off by default: positions stay open and
    /// are valued at the last close.
    pub close_at_end: bool,
}

/// The reasoning on the orders [`RunOptions::close_at_end`] places.
pub const CLOSE_AT_END_REASONING: &str = "close_at_end: the run closes every position at its last bar";

/// Bars of one symbol in an observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolBars {
    /// Ticker.
    pub symbol: String,
    /// Ascending; the last one is the most recent bar at or before `sim_time`.
    pub bars: Vec<Bar>,
}

/// What an agent sees: bars up to `sim_time`, never after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketView {
    /// The clock (UTC ms).
    pub sim_time: i64,
    /// One entry per requested symbol, in request (or universe) order.
    pub bars: Vec<SymbolBars>,
}

/// One agent's part of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStep {
    /// The agent.
    pub agent: AgentId,
    /// Fills of this step (all bars advanced).
    pub fills: Vec<Fill>,
    /// Equity after the step.
    pub equity: Decimal,
    /// Cash after the step.
    pub cash: Decimal,
    /// Signed position value after the step.
    pub positions_value: Decimal,
    /// True once the agent was liquidated.
    pub liquidated: bool,
}

/// The result of advancing the clock (the hosted benchmark's step response, per agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Bars actually advanced (fewer than asked at the end of the scenario).
    pub bars_advanced: u32,
    /// The clock after the step (UTC ms).
    pub new_sim_time: i64,
    /// True when the run is over (scenario exhausted, or every agent liquidated).
    pub done: bool,
    /// One entry per agent, in agent order.
    pub agents: Vec<AgentStep>,
}

impl StepReport {
    /// The entry of one agent.
    pub fn agent(&self, agent: AgentId) -> Option<&AgentStep> {
        self.agents.iter().find(|a| a.agent == agent)
    }
}

/// Profit and loss of one symbol at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolPnl {
    /// Ticker.
    pub symbol: String,
    /// Realised PnL before commissions.
    pub realized_pnl: Decimal,
    /// Unrealised PnL at the last close.
    pub unrealized_pnl: Decimal,
    /// Commissions paid.
    pub fees: Decimal,
    /// `realized + unrealized − fees`.
    pub net_pnl: Decimal,
}

/// A finished run's grade for one agent (the hosted benchmark's results, plus full metrics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// The agent's name.
    pub agent: String,
    /// Equity at the end.
    pub final_equity: Decimal,
    /// Total return, percent.
    pub return_pct: f64,
    /// Annualised Sharpe ratio (bars per year of the scenario's market hours).
    pub sharpe: f64,
    /// Annualised Sortino ratio.
    pub sortino: f64,
    /// Maximum drawdown as a positive fraction of the peak (0.087 = 8.7 %).
    pub max_drawdown: f64,
    /// Number of fills.
    pub trade_count: usize,
    /// True when a margin call ended the agent's run.
    pub liquidated: bool,
    /// Buy-and-hold return of the benchmark over the run, percent.
    pub benchmark_return_pct: Option<f64>,
    /// PnL per universe symbol, in universe order.
    pub per_symbol: Vec<SymbolPnl>,
    /// Every metric, with units in [`Metrics`].
    pub metrics: Metrics,
}

/// An action that can carry an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "one action per request, matched at once: a box would only add an allocation"
)]
pub enum Action {
    /// Queue an order.
    Submit {
        /// Who.
        agent: AgentId,
        /// What.
        request: OrderRequest,
    },
    /// Cancel an order.
    Cancel {
        /// Who.
        agent: AgentId,
        /// Which.
        order_id: u64,
    },
    /// Advance the clock.
    Step {
        /// How many bars.
        count: u32,
    },
}

/// The first response to an action, kept under its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Response of a submit or cancel.
    Order(Box<Result<Order, Error>>),
    /// Response of a step.
    Step(Result<StepReport, Error>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeyedAction {
    action: Action,
    outcome: Outcome,
}

/// A run over a stored scenario. See the module docs.
#[derive(Debug, Clone)]
pub struct Run {
    scenario: Arc<Scenario>,
    engine: Engine,
    step: usize,
    cursors: Vec<Option<usize>>,
    started: bool,
    idempotency: BTreeMap<String, KeyedAction>,
    /// (series, bar index) of the bars at the timestamp being pushed; reused across steps.
    slice: Vec<(usize, usize)>,
    /// The host's check that stops long loops between bars; not part of a snapshot.
    interrupt: Option<Interrupt>,
    /// [`RunOptions::close_at_end`].
    close_at_end: bool,
}

impl Run {
    /// A run with no agents yet, its clock at the scenario's first bar.
    pub fn new(scenario: Arc<Scenario>) -> Result<Self> {
        Self::with_options(scenario, RunOptions::default())
    }

    /// A run with options.
    pub fn with_options(scenario: Arc<Scenario>, options: RunOptions) -> Result<Self> {
        let mut config = EngineConfig::from_scenario(scenario.config());
        config.intrabar_path = options.intrabar_path;
        let engine = Engine::new(config)?;
        let cursors = vec![None; scenario.series().len()];
        let mut run = Run {
            scenario,
            engine,
            step: 0,
            cursors,
            started: false,
            idempotency: BTreeMap::new(),
            slice: Vec::new(),
            interrupt: None,
            close_at_end: options.close_at_end,
        };
        run.push_timeline(0);
        Ok(run)
    }

    /// A run with one agent; the usual way to start.
    pub fn start(scenario: Arc<Scenario>, agent: &str, profile: RiskProfile) -> Result<(Self, AgentId)> {
        let mut run = Run::new(scenario)?;
        let id = run.add_agent(agent, profile)?;
        Ok((run, id))
    }

    /// Adds an agent (before the first step only, so every agent sees the same bars).
    pub fn add_agent(&mut self, name: &str, profile: RiskProfile) -> Result<AgentId> {
        if self.started {
            return err(ErrorKind::RunAlreadyStarted, "agents can only join a run before its first step");
        }
        let id = self.engine.add_agent(name, profile)?;
        self.engine.reserve_history(self.scenario.timeline().len());
        Ok(id)
    }

    /// Adds an agent with the same risk profile as `agent` and a fresh account.
    pub fn clone_agent(&mut self, agent: AgentId, name: &str) -> Result<AgentId> {
        let profile = self.engine.risk_profile(agent)?.clone();
        self.add_agent(name, profile)
    }

    /// Resets an agent: orders cancelled, positions removed, cash restored; history kept.
    pub fn reset_agent(&mut self, agent: AgentId) -> Result<()> {
        if self.is_done() {
            return err(ErrorKind::RunFinished, "the run is over; its agents can no longer be reset");
        }
        self.engine.reset_agent(agent)
    }

    /// Replaces an agent's risk profile; it applies from the agent's next order on.
    pub fn set_risk_profile(&mut self, agent: AgentId, profile: RiskProfile) -> Result<()> {
        self.engine.set_risk_profile(agent, profile)
    }

    /// Lets the host stop this run's loops (`step`, `advance`, `hold_until_end`, ...): every
    /// [`crate::interrupt::CHECK_EVERY`] bars they ask `interrupt`, and its error ends them before
    /// the next bar, so the run stays at a bar boundary and can go on. A step stopped so returns
    /// the error and no report (the bars it advanced are in the fills and the equity curve), and is
    /// not remembered under its idempotency key.
    pub fn set_interrupt(&mut self, interrupt: Option<Interrupt>) {
        self.interrupt = interrupt;
    }

    /// The scenario.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    /// Reserves room for `orders` more orders and fills of `agent` (a run that knows how many it
    /// will place, like a signal backtest, then never regrows its history).
    pub fn reserve_orders(&mut self, agent: AgentId, orders: usize) -> Result<()> {
        self.engine.reserve_orders(agent, orders)
    }

    /// The engine (accounts, orders, fills, equity curves).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The clock: time of the latest bar observed (UTC ms).
    pub fn sim_time(&self) -> i64 {
        self.scenario.timeline()[self.step]
    }

    /// Timeline index of the clock.
    pub fn step_index(&self) -> usize {
        self.step
    }

    /// True when the scenario is exhausted or every agent was liquidated.
    pub fn is_done(&self) -> bool {
        self.step + 1 >= self.scenario.timeline().len()
            || (self.engine.agent_count() > 0
                && (0..self.engine.agent_count())
                    .all(|k| self.engine.status(AgentId(k)) == Ok(AgentStatus::Liquidated)))
    }

    /// Index of an observable symbol's series (universe in order, then the benchmark).
    pub fn series_index(&self, symbol: &str) -> Result<usize> {
        self.scenario.series_index(symbol)
    }

    /// Position in its series of the latest observed bar of series `i` (universe order, then the
    /// benchmark), if any.
    pub(crate) fn series_cursor(&self, i: usize) -> Option<usize> {
        self.cursors.get(i).copied().flatten()
    }

    /// The last `lookback` bars of `symbol` up to `sim_time`, without copying.
    pub fn bars(&self, symbol: &str, lookback: usize) -> Result<&[Bar]> {
        check_lookback(lookback)?;
        let i = self.series_index(symbol)?;
        Ok(self.window(i, lookback))
    }

    fn window(&self, i: usize, lookback: usize) -> &[Bar] {
        match self.cursors[i] {
            None => &[],
            Some(c) => {
                let bars = &self.scenario.series()[i].bars;
                &bars[(c + 1).saturating_sub(lookback)..=c]
            }
        }
    }

    /// Bars up to `sim_time` for `symbols` (all universe symbols, then the benchmark, when `None`);
    /// `lookback` per symbol, 1 to 1000. A scan of the whole universe is `market(None, 1)`.
    pub fn market(&self, symbols: Option<&[&str]>, lookback: usize) -> Result<MarketView> {
        check_lookback(lookback)?;
        let indices: Vec<usize> = match symbols {
            None => (0..self.scenario.series().len()).collect(),
            Some(list) => {
                let indices: Vec<usize> = list.iter().map(|s| self.series_index(s)).collect::<Result<_>>()?;
                // Each symbol once: a list naming one symbol ten thousand times is a mistake, and
                // would copy its bars as many times.
                let mut seen = vec![false; self.scenario.series().len()];
                for (&i, symbol) in indices.iter().zip(list) {
                    if std::mem::replace(&mut seen[i], true) {
                        return err(ErrorKind::InvalidArgument, format!("symbol '{symbol}' is listed twice"));
                    }
                }
                indices
            }
        };
        let bars = indices
            .into_iter()
            .map(|i| SymbolBars {
                symbol: self.scenario.series()[i].symbol.clone(),
                bars: self.window(i, lookback).to_vec(),
            })
            .collect();
        Ok(MarketView { sim_time: self.sim_time(), bars })
    }

    /// Like [`Run::market`], counted against the agent's requests-per-minute limit.
    pub fn market_for(&mut self, agent: AgentId, symbols: Option<&[&str]>, lookback: usize) -> Result<MarketView> {
        self.engine.note_request(agent)?;
        self.market(symbols, lookback)
    }

    /// Queues an order for `agent`; it first meets the bar after `sim_time`.
    pub fn submit(&mut self, agent: AgentId, request: OrderRequest) -> Result<Order> {
        let order_id = self.place(agent, request)?;
        Ok(self.engine.order(agent, order_id)?.clone())
    }

    /// [`Run::submit`] answering with the order's id alone (see [`Engine::place`]).
    pub fn place(&mut self, agent: AgentId, request: OrderRequest) -> Result<u64> {
        if self.is_done() {
            return err(ErrorKind::RunFinished, "the run is over; it takes no more orders");
        }
        self.engine.note_request(agent)?;
        self.engine.place(agent, request)
    }

    /// Moves a working bracket exit's level (the signal API's stops, levelled from the entry's fill).
    pub(crate) fn reprice_exit(&mut self, agent: AgentId, order_id: u64, price: Decimal) -> Result<()> {
        self.engine.reprice_exit(agent, order_id, price)
    }

    /// Cancels a working order.
    pub fn cancel(&mut self, agent: AgentId, order_id: u64) -> Result<Order> {
        self.engine.note_request(agent)?;
        self.engine.cancel(agent, order_id)
    }

    /// The agent's portfolio at the latest closes.
    pub fn portfolio(&self, agent: AgentId) -> Result<Portfolio> {
        self.engine.portfolio(agent)
    }

    /// Advances up to `count` bars (0 is allowed and advances nothing) and reports fills and
    /// balances per agent. At the end of the scenario working orders are cancelled.
    pub fn step(&mut self, count: u32) -> Result<StepReport> {
        if self.is_done() {
            return err(ErrorKind::RunFinished, "the run is over; further steps are refused");
        }
        let before = self.fill_counts();
        let advanced = self.advance(count)?;
        Ok(self.report_since(&before, advanced))
    }

    /// Advances up to `count` bars without building a report; returns bars advanced.
    pub fn advance(&mut self, count: u32) -> Result<u32> {
        if self.is_done() {
            return err(ErrorKind::RunFinished, "the run is over; further steps are refused");
        }
        let mut advanced = 0;
        while advanced < count && !self.is_done() {
            if let Some(interrupt) = &self.interrupt {
                interrupt.at(self.step + 1)?;
            }
            if self.close_at_end && self.step + 2 == self.scenario.timeline().len() {
                self.close_before_last_bar()?;
            }
            self.push_timeline(self.step + 1);
            self.step += 1;
            self.started = true;
            advanced += 1;
        }
        if self.is_done() {
            self.engine.close_out_margin_calls();
            for k in 0..self.engine.agent_count() {
                self.engine.cancel_all(AgentId(k), "run_finished", "the run ended before the order filled")?;
            }
        }
        Ok(advanced)
    }

    /// [`RunOptions::close_at_end`]: the last bar comes next.
    fn close_before_last_bar(&mut self) -> Result<()> {
        for k in 0..self.engine.agent_count() {
            if self.engine.status(AgentId(k)) == Ok(AgentStatus::Active) {
                self.engine.close_all(AgentId(k), CLOSE_AT_END_REASONING)?;
            }
        }
        Ok(())
    }

    fn push_timeline(&mut self, t: usize) {
        let ts = self.scenario.timeline()[t];
        let series = self.scenario.series();
        self.slice.clear();
        for (i, s) in series.iter().enumerate() {
            let next = self.cursors[i].map_or(0, |c| c + 1);
            if s.bars.get(next).is_some_and(|b| b.ts == ts) {
                self.cursors[i] = Some(next);
                self.slice.push((i, next));
            }
        }
        // Scenario bars were validated when the scenario was built.
        self.engine.apply_slice(ts, self.slice.iter().map(|&(i, j)| (i, &series[i].bars[j])));
    }

    fn fill_counts(&self) -> Vec<usize> {
        (0..self.engine.agent_count()).map(|k| self.engine.fills(AgentId(k)).map_or(0, <[Fill]>::len)).collect()
    }

    fn report_since(&self, before: &[usize], bars_advanced: u32) -> StepReport {
        let agents = (0..self.engine.agent_count())
            .map(|k| {
                let id = AgentId(k);
                let fills = self.engine.fills(id).expect("agent exists");
                let last = *self.engine.equity_curve(id).expect("agent exists").last().expect("curve starts at join");
                let cash = self.engine.account(id).expect("agent exists").cash;
                AgentStep {
                    agent: id,
                    fills: fills[before.get(k).copied().unwrap_or(0)..].to_vec(),
                    equity: last.equity,
                    cash,
                    positions_value: last.equity - cash,
                    liquidated: self.engine.status(id) == Ok(AgentStatus::Liquidated),
                }
            })
            .collect();
        StepReport { bars_advanced, new_sim_time: self.sim_time(), done: self.is_done(), agents }
    }

    /// Steps to the end of the scenario (or `max_bars`) without new orders. With `require_flat`,
    /// refuses while that agent holds positions.
    pub fn hold_until_end(&mut self, max_bars: Option<u32>, require_flat: Option<AgentId>) -> Result<StepReport> {
        if let Some(agent) = require_flat
            && self.engine.account(agent)?.open_positions() > 0
        {
            return err(ErrorKind::PositionsOpen, "require_flat: the agent still holds positions");
        }
        self.step(max_bars.unwrap_or(u32::MAX))
    }

    /// Cancels the agent's orders, queues market orders closing every position (no risk check can
    /// refuse them), and steps to the end of the scenario (or `max_bars`).
    pub fn liquidate_and_finish(
        &mut self,
        agent: AgentId,
        rationale: &str,
        max_bars: Option<u32>,
    ) -> Result<StepReport> {
        if self.is_done() {
            return err(ErrorKind::RunFinished, "the run is over");
        }
        self.engine.close_all(agent, rationale)?;
        self.step(max_bars.unwrap_or(u32::MAX))
    }

    /// Steps until the clock enters a new session (skipping closed-market gaps), at most `max_bars`.
    pub fn advance_until_next_session(&mut self, max_bars: Option<u32>) -> Result<StepReport> {
        if self.is_done() {
            return err(ErrorKind::RunFinished, "the run is over; further steps are refused");
        }
        let config = self.scenario.config();
        let session = config.session_of(self.sim_time());
        let before = self.fill_counts();
        let mut advanced = 0;
        while advanced < max_bars.unwrap_or(u32::MAX) && !self.is_done() {
            advanced += self.advance(1)?;
            if self.scenario.config().session_of(self.sim_time()) != session {
                break;
            }
        }
        Ok(self.report_since(&before, advanced))
    }

    /// Runs an action under an idempotency key: the same key with the same action returns the
    /// first outcome and does nothing again; the same key with another action is a conflict.
    /// Rate-limited attempts are not remembered, so retrying them later under the key works.
    pub fn perform(&mut self, key: Option<&str>, action: Action) -> Result<Outcome> {
        if let Some(key) = key {
            check_text("idempotency_key", key, MAX_IDEMPOTENCY_KEY_CHARS)?;
            if let Some(seen) = self.idempotency.get(key) {
                if seen.action == action {
                    return Ok(seen.outcome.clone());
                }
                return err(
                    ErrorKind::IdempotencyConflict,
                    format!("idempotency key '{key}' was already used with a different request"),
                );
            }
        }
        let outcome = match &action {
            Action::Submit { agent, request } => Outcome::Order(Box::new(self.submit(*agent, request.clone()))),
            Action::Cancel { agent, order_id } => Outcome::Order(Box::new(self.cancel(*agent, *order_id))),
            Action::Step { count } => Outcome::Step(self.step(*count)),
        };
        let transient = |e: &Error| e.family() == ErrorFamily::RateLimited || e.kind == ErrorKind::Interrupted;
        let transient = match &outcome {
            Outcome::Order(r) => matches!(r.as_ref(), Err(e) if transient(e)),
            Outcome::Step(r) => matches!(r, Err(e) if transient(e)),
        };
        // A rate-limited attempt did nothing, an interrupted step stopped half-way: a retry under
        // the same key must really be tried.
        if let Some(key) = key
            && !transient
        {
            self.idempotency.insert(key.to_string(), KeyedAction { action, outcome: outcome.clone() });
        }
        Ok(outcome)
    }

    /// [`Run::submit`] under an idempotency key.
    pub fn submit_with_key(&mut self, agent: AgentId, request: OrderRequest, key: &str) -> Result<Order> {
        match self.perform(Some(key), Action::Submit { agent, request })? {
            Outcome::Order(r) => *r,
            Outcome::Step(_) => unreachable!("a submit is answered with an order"),
        }
    }

    /// [`Run::step`] under an idempotency key.
    pub fn step_with_key(&mut self, count: u32, key: &str) -> Result<StepReport> {
        match self.perform(Some(key), Action::Step { count })? {
            Outcome::Step(r) => r,
            Outcome::Order(_) => unreachable!("a step is answered with a step report"),
        }
    }

    /// The agent's round-trip trades so far.
    pub fn trades(&self, agent: AgentId) -> Result<Vec<Trade>> {
        Ok(journal::trades(self.engine.fills(agent)?))
    }

    /// Metrics of the agent's track record so far (since it joined, or since its last reset);
    /// available at any time, while [`Run::results`] waits for the end.
    pub fn metrics(&self, agent: AgentId) -> Result<Metrics> {
        let benchmark = self.scenario.config().benchmark_symbol.as_ref().and_then(|s| self.scenario.series_of(s));
        self.engine.metrics(agent, benchmark.map(|series| &series.bars[..]), self.scenario.periods_per_year())
    }

    /// The agent's grade, once the run is over (or the agent was liquidated).
    pub fn results(&self, agent: AgentId) -> Result<RunResults> {
        let liquidated = self.engine.status(agent)? == AgentStatus::Liquidated;
        if !self.is_done() && !liquidated {
            return err(ErrorKind::RunNotFinished, "results are available once the run is over");
        }
        let metrics = self.metrics(agent)?;
        let account = self.engine.account(agent)?;
        let universe = &self.scenario.config().universe;
        let per_symbol = universe
            .iter()
            .enumerate()
            .map(|(i, symbol)| {
                let p = &account.positions[i];
                let mark = self.engine.mark(symbol).unwrap_or_default();
                let unrealized_pnl = (mark - p.avg_cost) * p.quantity;
                SymbolPnl {
                    symbol: symbol.clone(),
                    realized_pnl: p.realized_pnl,
                    unrealized_pnl,
                    fees: p.fees,
                    net_pnl: p.realized_pnl + unrealized_pnl - p.fees,
                }
            })
            .collect();
        Ok(RunResults {
            agent: self.engine.agent_name(agent)?.to_string(),
            final_equity: metrics.final_equity,
            return_pct: metrics.total_return_pct,
            sharpe: metrics.sharpe,
            sortino: metrics.sortino,
            max_drawdown: metrics.max_drawdown,
            trade_count: metrics.fill_count as usize,
            liquidated,
            benchmark_return_pct: metrics.benchmark_return_pct,
            per_symbol,
            metrics,
        })
    }
}

fn check_lookback(lookback: usize) -> Result<()> {
    if !(1..=MAX_LOOKBACK).contains(&lookback) {
        return err(ErrorKind::InvalidLookback, format!("lookback must be 1 to {MAX_LOOKBACK}, got {lookback}"));
    }
    Ok(())
}
