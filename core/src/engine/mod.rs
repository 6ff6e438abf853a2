//! The engine: agents with isolated accounts, their orders, and the processing of each new slice
//! of bars (session roll, liquidation, matching, marking to market, margin check). Scenario runs
//! drive it over stored bars; live feeds push bars into it one at a time.

mod agent;
mod booking;
mod checks;
mod consistency;
mod grade;
mod slice;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::{Account, Curve, EquityPoint, Fill, PositionView};
use crate::costs::CostModel;
use crate::error::{Error, ErrorKind, Result, err};
use crate::limits::{MAX_AGENTS, MAX_NAME_CHARS, check_account_rules, check_text};
use crate::matching::{BarMatcher, IntrabarPath};
use crate::order::{EndReason, Order, OrderRequest, OrderRole, OrderStatus, Side};
use crate::risk::{RateWindow, RiskProfile};
use crate::scenario::ScenarioConfig;

pub use crate::limits::MAX_SYMBOLS;
pub(crate) use agent::{Agent, RecordStart};
pub(crate) use booking::money;
use slice::record_point;

/// The trading rules of an engine: what can be traded and at what cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// Tradable symbols.
    pub universe: Vec<String>,
    /// Symbols that are priced and observable but not tradable (the benchmark).
    pub observed: Vec<String>,
    /// Cash each agent starts with.
    pub starting_cash: Decimal,
    /// Maximum gross exposure / equity.
    pub leverage_cap: Decimal,
    /// Whether short orders are allowed at all.
    pub short_enabled: bool,
    /// Slippage, commission and participation cap.
    pub costs: CostModel,
    /// Equity below this fraction of gross exposure triggers liquidation at the next open.
    pub maintenance_margin: Decimal,
    /// Intrabar path for several triggers in one bar.
    pub intrabar_path: IntrabarPath,
    /// Sessions are calendar days shifted by this many minutes from UTC.
    pub session_utc_offset_minutes: i32,
}

impl EngineConfig {
    /// The rules of a scenario (the benchmark becomes an observed symbol).
    pub fn from_scenario(config: &ScenarioConfig) -> Self {
        EngineConfig {
            universe: config.universe.clone(),
            observed: config.benchmark_symbol.iter().cloned().collect(),
            starting_cash: config.starting_cash,
            leverage_cap: config.leverage_cap,
            short_enabled: config.short_enabled,
            costs: config.costs.clone(),
            maintenance_margin: config.maintenance_margin,
            intrabar_path: IntrabarPath::default(),
            session_utc_offset_minutes: config.session_utc_offset_minutes,
        }
    }
}

/// Index of an agent within an engine or run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AgentId(pub usize);

/// Whether an agent still trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Trading normally.
    Active,
    /// Equity fell below maintenance margin; positions close at the next open.
    MarginCall,
    /// Positions were force-closed; the agent's run is over.
    Liquidated,
}

/// An agent's current track record (see [`Engine::track_record`]), borrowed, not copied.
#[derive(Debug, Clone, Copy)]
pub struct TrackRecord<'a> {
    /// Equity points of the record: a reset's starting point, if any, then the bars since.
    pub curve: Curve<'a>,
    /// Fills of the record.
    pub fills: &'a [Fill],
}

/// A portfolio as the bot API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portfolio {
    /// Cash.
    pub cash: Decimal,
    /// Cash + signed position values.
    pub equity: Decimal,
    /// Signed sum of position values.
    pub positions_value: Decimal,
    /// Sum of |position value|.
    pub gross_exposure: Decimal,
    /// What a new opening order can still use: `leverage_cap × equity −` gross exposure (less what
    /// queued sells and covers will close) `−` the notional of working opening orders.
    pub buying_power: Decimal,
    /// Non-flat positions, in universe order.
    pub positions: Vec<PositionView>,
    /// Sum of unrealised PnL.
    pub total_unrealized_pnl: Decimal,
    /// PnL realised so far (before commissions).
    pub realized_pnl: Decimal,
    /// Commissions paid.
    pub fees_paid: Decimal,
}

/// The engine. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engine {
    config: EngineConfig,
    symbols: Vec<String>,
    index: BTreeMap<String, usize>,
    marks: Vec<Decimal>,
    last_bar_ts: Vec<Option<i64>>,
    clock: Option<i64>,
    /// Index of the bar time at the clock (0 for the first one); stamped on fills.
    bar_index: usize,
    session: Option<i64>,
    agents: Vec<Agent>,
    next_order_id: u64,
    next_fill_id: u64,
    matcher: BarMatcher,
}

impl Engine {
    /// An engine with no agents and no bars yet.
    pub fn new(config: EngineConfig) -> Result<Self> {
        let symbols: Vec<String> = config.universe.iter().chain(&config.observed).cloned().collect();
        let mut index = BTreeMap::new();
        for (i, s) in symbols.iter().enumerate() {
            if s.is_empty() || index.insert(s.clone(), i).is_some() {
                return err(ErrorKind::InvalidScenario, format!("empty or repeated symbol '{s}'"));
            }
        }
        if config.universe.is_empty() || symbols.len() > MAX_SYMBOLS {
            return err(ErrorKind::InvalidScenario, format!("universe must name 1 to {MAX_SYMBOLS} symbols"));
        }
        check_account_rules(
            config.starting_cash,
            config.leverage_cap,
            config.maintenance_margin,
            config.session_utc_offset_minutes,
        )?;
        config.costs.validate()?;
        let matcher = BarMatcher {
            path: config.intrabar_path,
            slippage: config.costs.slippage.clone(),
            max_volume_participation: config.costs.max_volume_participation,
        };
        Ok(Engine {
            marks: vec![Decimal::ZERO; symbols.len()],
            last_bar_ts: vec![None; symbols.len()],
            symbols,
            index,
            clock: None,
            bar_index: 0,
            session: None,
            agents: Vec::new(),
            next_order_id: 1,
            next_fill_id: 1,
            matcher,
            config,
        })
    }

    /// The rules.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Tradable symbols, then observed ones; a symbol's position here is its index.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Index of a symbol.
    pub fn symbol_index(&self, symbol: &str) -> Option<usize> {
        self.index.get(symbol).copied()
    }

    /// Time of the latest bar of the symbol at `index`, if any arrived.
    pub(crate) fn last_bar_of(&self, index: usize) -> Option<i64> {
        self.last_bar_ts.get(index).copied().flatten()
    }

    /// Time of the latest bar processed (UTC ms), if any.
    pub fn clock(&self) -> Option<i64> {
        self.clock
    }

    /// Index of the bar time at the clock among those processed (0 for the first; in a run, the
    /// timeline step); fills carry it.
    pub fn bar_index(&self) -> usize {
        self.bar_index
    }

    /// Last close seen of a symbol, if any bar of it arrived.
    pub fn mark(&self, symbol: &str) -> Option<Decimal> {
        let i = self.symbol_index(symbol)?;
        self.last_bar_ts[i].map(|_| self.marks[i])
    }

    /// Adds an agent with a fresh account. Its equity curve starts at the current clock.
    pub fn add_agent(&mut self, name: &str, profile: RiskProfile) -> Result<AgentId> {
        self.add_agent_with_cash(name, profile, self.config.starting_cash)
    }

    /// [`Engine::add_agent`] with its own starting cash instead of the engine's (an agent of the
    /// hosted agents API brings its own balance); the same bounds as a scenario's starting cash.
    pub fn add_agent_with_cash(&mut self, name: &str, profile: RiskProfile, starting_cash: Decimal) -> Result<AgentId> {
        crate::limits::check_account_rules(
            starting_cash,
            self.config.leverage_cap,
            self.config.maintenance_margin,
            self.config.session_utc_offset_minutes,
        )
        .map_err(|e| crate::error::Error::new(ErrorKind::InvalidArgument, e.detail))?;
        self.validate_profile(&profile)?;
        check_text("agent name", name, MAX_NAME_CHARS)?;
        if self.agents.len() >= MAX_AGENTS {
            return err(ErrorKind::InvalidArgument, format!("at most {MAX_AGENTS} agents per run"));
        }
        if self.agents.iter().any(|a| a.name == name) {
            return err(ErrorKind::DuplicateAgent, format!("an agent named '{name}' already exists"));
        }
        let account = Account::new(starting_cash, self.symbols.len());
        let mut agent = Agent {
            name: name.to_string(),
            profile,
            day_start_equity: account.starting_cash,
            account,
            orders: Vec::new(),
            working: Vec::new(),
            fills: Vec::new(),
            equity_curve: Vec::new(),
            status: AgentStatus::Active,
            margin_call_ts: None,
            liquidated_at: None,
            record_start: None,
            order_rate: RateWindow::default(),
            request_rate: RateWindow::default(),
            client_ids: BTreeMap::new(),
        };
        if let Some(ts) = self.clock {
            let cash = agent.account.cash;
            agent.equity_curve.push(EquityPoint { ts, equity: cash, gross_exposure: Decimal::ZERO });
        }
        self.agents.push(agent);
        Ok(AgentId(self.agents.len() - 1))
    }

    /// True when there are agents and every one of them was liquidated.
    pub fn all_liquidated(&self) -> bool {
        !self.agents.is_empty() && self.agents.iter().all(|a| a.status == AgentStatus::Liquidated)
    }

    fn validate_profile(&self, profile: &RiskProfile) -> Result<()> {
        profile.validate()?;
        if let Some(u) = &profile.universe
            && let Some(bad) = u.iter().find(|s| !self.config.universe.contains(s))
        {
            return err(
                ErrorKind::InvalidRiskProfile,
                format!("risk profile universe names '{bad}', which is not in the scenario's universe"),
            );
        }
        Ok(())
    }

    /// Number of agents.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// The id of the agent called `name`.
    pub fn agent_id(&self, name: &str) -> Result<AgentId> {
        self.agents
            .iter()
            .position(|a| a.name == name)
            .map(AgentId)
            .ok_or_else(|| Error::new(ErrorKind::UnknownAgent, format!("no agent named '{name}'")))
    }

    pub(crate) fn agent(&self, id: AgentId) -> Result<&Agent> {
        self.agents.get(id.0).ok_or_else(|| Error::new(ErrorKind::UnknownAgent, format!("no agent with id {}", id.0)))
    }

    fn agent_mut(&mut self, id: AgentId) -> Result<&mut Agent> {
        self.agents
            .get_mut(id.0)
            .ok_or_else(|| Error::new(ErrorKind::UnknownAgent, format!("no agent with id {}", id.0)))
    }

    /// The agent's name.
    pub fn agent_name(&self, id: AgentId) -> Result<&str> {
        Ok(&self.agent(id)?.name)
    }

    /// The agent's risk profile.
    pub fn risk_profile(&self, id: AgentId) -> Result<&RiskProfile> {
        Ok(&self.agent(id)?.profile)
    }

    /// Replaces the agent's risk profile; it applies from the next order on.
    pub fn set_risk_profile(&mut self, id: AgentId, profile: RiskProfile) -> Result<()> {
        self.validate_profile(&profile)?;
        self.agent_mut(id)?.profile = profile;
        Ok(())
    }

    /// The agent's account.
    pub fn account(&self, id: AgentId) -> Result<&Account> {
        Ok(&self.agent(id)?.account)
    }

    /// Whether the agent still trades.
    pub fn status(&self, id: AgentId) -> Result<AgentStatus> {
        Ok(self.agent(id)?.status)
    }

    /// Every order of the agent, oldest first (rejected and ended ones included).
    pub fn orders(&self, id: AgentId) -> Result<&[Order]> {
        Ok(&self.agent(id)?.orders)
    }

    /// Moves the level of a working bracket exit: a stop-loss's stop price or a take-profit's
    /// limit, and the entry's own `stop_loss` / `take_profit` with it. For the signal API, whose
    /// stops are fractions of the entry's fill price; an exit is only matched from the bar after
    /// its entry filled, so a level set before that bar is as if the entry had carried it.
    pub(crate) fn reprice_exit(&mut self, id: AgentId, order_id: u64, price: Decimal) -> Result<()> {
        let a = self.agent_mut(id)?;
        let Some(exit) = a.order(order_id) else {
            return err(ErrorKind::OrderNotFound, format!("no order {order_id} for this agent"));
        };
        if !exit.status.is_working() {
            return err(ErrorKind::OrderNotCancellable, format!("order {order_id} is no longer working"));
        }
        let (role, parent) = (exit.role, exit.parent_id);
        let o = a.order_mut(order_id);
        match role {
            OrderRole::StopLoss => o.request.stop_price = Some(price),
            OrderRole::TakeProfit => o.request.limit_price = Some(price),
            _ => return err(ErrorKind::InvalidArgument, format!("order {order_id} is not a stop-loss or take-profit")),
        }
        if let Some(parent) = parent {
            let entry = a.order_mut(parent);
            match role {
                OrderRole::StopLoss => entry.request.stop_loss = Some(price),
                _ => entry.request.take_profit = Some(price),
            }
        }
        Ok(())
    }

    /// One order of the agent.
    pub fn order(&self, id: AgentId, order_id: u64) -> Result<&Order> {
        self.agent(id)?
            .order(order_id)
            .ok_or_else(|| Error::new(ErrorKind::OrderNotFound, format!("no order {order_id} for this agent")))
    }

    /// The agent's working orders, oldest first.
    pub fn open_orders(&self, id: AgentId) -> Result<Vec<&Order>> {
        let a = self.agent(id)?;
        Ok(a.working.iter().filter_map(|&o| a.order(o)).collect())
    }

    /// Every fill of the agent, in execution order.
    pub fn fills(&self, id: AgentId) -> Result<&[Fill]> {
        Ok(&self.agent(id)?.fills)
    }

    /// Equity at the agent's first clock and after every bar since.
    pub fn equity_curve(&self, id: AgentId) -> Result<&[EquityPoint]> {
        Ok(&self.agent(id)?.equity_curve)
    }

    /// The agent's portfolio at the latest marks.
    pub fn portfolio(&self, id: AgentId) -> Result<Portfolio> {
        let a = self.agent(id)?;
        let (positions_value, gross_exposure) = a.account.valuation(&self.marks);
        let equity = a.account.cash + positions_value;
        let mut positions = Vec::new();
        let mut total_unrealized_pnl = Decimal::ZERO;
        for (i, p) in a.account.positions.iter().enumerate() {
            if p.is_flat() {
                continue;
            }
            let current_price = self.marks[i];
            let unrealized_pnl = (current_price - p.avg_cost) * p.quantity;
            total_unrealized_pnl += unrealized_pnl;
            positions.push(PositionView {
                symbol: self.symbols[i].clone(),
                quantity: p.quantity,
                avg_cost: p.avg_cost,
                current_price,
                market_value: p.quantity * current_price,
                unrealized_pnl,
                realized_pnl: p.realized_pnl,
            });
        }
        Ok(Portfolio {
            cash: a.account.cash,
            equity,
            positions_value,
            gross_exposure,
            buying_power: self.buying_power(a, equity, gross_exposure)?,
            positions,
            total_unrealized_pnl,
            realized_pnl: a.account.realized_pnl,
            fees_paid: a.account.fees_paid,
        })
    }

    /// Counts one request against the agent's requests-per-minute limit.
    pub fn note_request(&mut self, id: AgentId) -> Result<()> {
        let now = self.clock.unwrap_or(0);
        let a = self.agent_mut(id)?;
        let limit = a.profile.max_requests_per_minute;
        if !a.request_rate.admit(now, limit) {
            return err(
                ErrorKind::RequestRateLimited,
                format!("request rate limit: at most {} requests per simulated minute", limit.unwrap_or_default()),
            );
        }
        Ok(())
    }

    /// Cancels a working order of the agent.
    pub fn cancel(&mut self, id: AgentId, order_id: u64) -> Result<Order> {
        let now = self.clock.unwrap_or(0);
        let a = self.agent_mut(id)?;
        let order = a
            .order(order_id)
            .ok_or_else(|| Error::new(ErrorKind::OrderNotFound, format!("no order {order_id} for this agent")))?;
        if !order.status.is_working() {
            return err(
                ErrorKind::OrderNotCancellable,
                format!("order {order_id} is {} and can no longer be cancelled", order.status),
            );
        }
        a.end_order(
            order_id,
            OrderStatus::Cancelled,
            EndReason::new("cancelled_by_agent", "cancelled by the agent"),
            now,
        );
        Ok(a.order(order_id).expect("just cancelled").clone())
    }

    /// Cancels every working order of the agent; returns how many.
    pub fn cancel_all(&mut self, id: AgentId, code: &str, detail: &str) -> Result<usize> {
        let now = self.clock.unwrap_or(0);
        let a = self.agent_mut(id)?;
        let ids = std::mem::take(&mut a.working);
        for &o in &ids {
            a.order_mut(o).end(OrderStatus::Cancelled, EndReason::new(code, detail), now);
        }
        Ok(ids.len())
    }

    /// Resets the agent: working orders cancelled, every position closed at its last mark (an
    /// administrative close, so the journal shows it as a `reset` exit), cash restored to the
    /// starting balance, and a new track record started: metrics and results count from here.
    /// Orders, fills and the equity curve before the reset are kept.
    pub fn reset_agent(&mut self, id: AgentId) -> Result<()> {
        self.cancel_all(id, "agent_reset", "cancelled by an agent reset")?;
        let now = self.clock.unwrap_or(0);
        for sym in 0..self.symbols.len() {
            self.close_position(id.0, sym, now, OrderRole::Reset, "agent reset", None);
        }
        let symbols = self.symbols.len();
        let a = self.agent_mut(id)?;
        a.account = Account::new(a.account.starting_cash, symbols);
        a.status = AgentStatus::Active;
        a.margin_call_ts = None;
        a.liquidated_at = None;
        a.day_start_equity = a.account.starting_cash;
        a.record_start = Some(RecordStart {
            curve_index: a.equity_curve.len(),
            fill_index: a.fills.len(),
            ts: now,
            cash: a.account.cash,
        });
        Ok(())
    }

    /// The agent's current track record: equity points and fills since it joined, or since its
    /// last reset — then with a first point at the reset's time holding the restored cash.
    pub fn track_record(&self, id: AgentId) -> Result<TrackRecord<'_>> {
        let a = self.agent(id)?;
        Ok(match a.record_start {
            None => TrackRecord { curve: Curve::new(&a.equity_curve), fills: &a.fills },
            Some(r) => TrackRecord {
                curve: Curve {
                    start: Some(EquityPoint { ts: r.ts, equity: r.cash, gross_exposure: Decimal::ZERO }),
                    points: &a.equity_curve[r.curve_index..],
                },
                fills: &a.fills[r.fill_index..],
            },
        })
    }

    /// Cancels the agent's working orders and queues market orders closing every position at the
    /// next open. They are the agent's own closing orders, so no pre-trade risk check can stop them.
    pub fn close_all(&mut self, id: AgentId, reasoning: &str) -> Result<()> {
        // The reasoning goes on the closing orders, under the limit of any order's.
        if reasoning.chars().nth(crate::limits::MAX_REASONING_CHARS).is_some() {
            return err(
                ErrorKind::InvalidArgument,
                format!("the rationale must be at most {} characters", crate::limits::MAX_REASONING_CHARS),
            );
        }
        self.cancel_all(id, "cancelled_by_agent", reasoning)?;
        let now = self.clock.unwrap_or(0);
        for sym in 0..self.symbols.len() {
            let held = self.agent(id)?.account.positions[sym].quantity;
            if held.is_zero() {
                continue;
            }
            let side = if held > Decimal::ZERO { Side::Sell } else { Side::Cover };
            let request = OrderRequest::market(&self.symbols[sym], side, held.abs()).with_reasoning(reasoning);
            self.add_engine_order(id.0, request, OrderRole::Manual, None, now);
        }
        Ok(())
    }

    /// Completes margin calls that are still waiting for a bar (a symbol with no bar after the call)
    /// by closing at the last marks; a run calls it when its scenario is exhausted.
    pub fn close_out_margin_calls(&mut self) {
        let now = self.clock.unwrap_or(0);
        for k in 0..self.agents.len() {
            if self.agents[k].status != AgentStatus::MarginCall {
                continue;
            }
            for sym in 0..self.symbols.len() {
                let reasoning = "forced liquidation at the last close: no later bar";
                self.close_position(k, sym, now, OrderRole::Liquidation, reasoning, None);
            }
            self.agents[k].status = AgentStatus::Liquidated;
            self.agents[k].liquidated_at = Some(now);
            let a = &mut self.agents[k];
            let point = EquityPoint { ts: now, equity: a.account.cash, gross_exposure: Decimal::ZERO };
            record_point(&mut a.equity_curve, point);
        }
    }

    /// Submits an order for the agent at the current clock; see [`checks`] for the checks in order.
    pub fn submit(&mut self, id: AgentId, request: OrderRequest) -> Result<Order> {
        let order_id = checks::submit(self, id, request)?;
        Ok(self.agents[id.0].order(order_id).expect("just recorded").clone())
    }

    /// [`Engine::submit`] answering with the order's id alone: what a strategy placing orders in
    /// a loop needs, without a copy of the order each time.
    pub fn place(&mut self, id: AgentId, request: OrderRequest) -> Result<u64> {
        checks::submit(self, id, request)
    }

    /// Reserves room for `orders` more orders and fills in the agent's history.
    pub fn reserve_orders(&mut self, id: AgentId, orders: usize) -> Result<()> {
        let a = self.agent_mut(id)?;
        a.orders.reserve(orders);
        a.fills.reserve(orders);
        Ok(())
    }
}

/// `a × b`, saturating at `Decimal`'s bounds: buying power multiplies leverage by an equity that
/// may be astronomically large, and a saturated bound compares just as well.
pub(crate) fn saturating_mul(a: Decimal, b: Decimal) -> Decimal {
    a.checked_mul(b).unwrap_or(if a.is_sign_negative() == b.is_sign_negative() { Decimal::MAX } else { Decimal::MIN })
}
