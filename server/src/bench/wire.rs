//! The benchmark API's request and response bodies (seeds 001 and 003), with their OpenAPI schemas.
//! Prices and money go out as JSON numbers, as the hosted benchmark sends them; quantities and
//! prices come in as numbers or decimal strings and are converted exactly (a float by its shortest
//! representation), never rounded.

use rust_decimal::Decimal;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;
use vectrade_core::time::format_rfc3339;
use vectrade_core::{
    AssetType, Bar, Fill, Order, OrderRequest, OrderRole, OrderType, PositionView, Scenario, Side, TimeInForce,
};

/// A decimal read from a JSON number (`10`, `0.25`) or string (`"10.5"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num(pub Decimal);

impl<'de> Deserialize<'de> for Num {
    /// A JSON number is read from its text, digit for digit (never through a float, which would
    /// change a value of more than 15 significant digits without a word); a string the same way.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <Box<serde_json::value::RawValue>>::deserialize(d)?;
        let text = raw.get().trim();
        let (number, shown) = if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(serde::de::Error::custom)?;
            (s.trim().to_string(), format!("'{s}'"))
        } else if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            (text.to_string(), text.to_string())
        } else {
            return Err(serde::de::Error::custom("expected a number or a decimal string"));
        };
        vectrade_core::num::decimal_exact(&number).map(Num).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{shown} is not a decimal number (or has more than 28 significant digits)"
            ))
        })
    }
}

/// Why an order exists, as the wire names it.
pub fn role_name(role: OrderRole) -> String {
    match role {
        OrderRole::Manual => "manual".into(),
        OrderRole::StopLoss => "stop_loss".into(),
        OrderRole::TakeProfit => "take_profit".into(),
        OrderRole::Trim { level } => format!("trim_{level}"),
        OrderRole::Liquidation => "liquidation".into(),
        OrderRole::Reset => "reset".into(),
    }
}

/// The order fields the benchmark and bot APIs share, as they arrive.
pub struct OrderFields<'a> {
    /// Ticker.
    pub symbol: &'a str,
    /// buy / sell / short / cover (any case).
    pub side: &'a str,
    /// Units.
    pub quantity: Num,
    /// MARKET unless given.
    pub order_type: Option<&'a str>,
    /// GTC unless given.
    pub time_in_force: Option<&'a str>,
    /// Informational asset class.
    pub asset_type: Option<&'a str>,
    /// For LIMIT and STOP_LIMIT.
    pub limit_price: Option<Num>,
    /// For STOP and STOP_LIMIT.
    pub stop_price: Option<Num>,
    /// Bracket stop.
    pub stop_loss: Option<Num>,
    /// Bracket target.
    pub take_profit: Option<Num>,
}

impl OrderFields<'_> {
    /// The core's order request; enum values are read by the core's parsers, which list the
    /// allowed values on error.
    pub fn request(&self) -> Result<OrderRequest, vectrade_core::Error> {
        let mut request = OrderRequest::market(self.symbol, self.side.parse::<Side>()?, self.quantity.0);
        request.order_type = self.order_type.map(str::parse::<OrderType>).transpose()?.unwrap_or(OrderType::Market);
        request.time_in_force =
            self.time_in_force.map(str::parse::<TimeInForce>).transpose()?.unwrap_or(TimeInForce::Gtc);
        request.asset_type = self.asset_type.map(str::parse::<AssetType>).transpose()?;
        request.limit_price = self.limit_price.map(|n| n.0);
        request.stop_price = self.stop_price.map(|n| n.0);
        request.stop_loss = self.stop_loss.map(|n| n.0);
        request.take_profit = self.take_profit.map(|n| n.0);
        Ok(request)
    }
}

/// A decimal as a JSON number with its exact digits (never through a float, so a client that
/// reads numbers as decimals gets the engine's value digit for digit): `100000`, `185.0725`.
pub(super) fn as_number<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    match (d.fract().is_zero(), i64::try_from(*d)) {
        (true, Ok(i)) => s.serialize_i64(i),
        _ => {
            let raw = serde_json::value::RawValue::from_string(d.normalize().to_string()).map_err(S::Error::custom)?;
            raw.serialize(s)
        }
    }
}

fn as_opt_number<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => as_number(d, s),
        None => s.serialize_none(),
    }
}

/// A scenario (`GET /api/v1/scenarios`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioOut {
    /// Stable id (a UUID derived from the slug).
    pub id: String,
    /// Used to start runs.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the scenario is about.
    pub description: String,
    /// `ready` scenarios can be run.
    pub status: String,
    /// The symbols that may be traded, in order.
    pub universe: Vec<String>,
    /// Cash each run starts with.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub starting_cash: Decimal,
    /// Maximum gross exposure / equity.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub leverage_cap: Decimal,
    /// Whether `short` orders are allowed.
    pub short_enabled: bool,
    /// Bar length, e.g. `1Hour`.
    pub bar_resolution: String,
    /// First bar (RFC 3339 UTC).
    pub start_ts: String,
    /// Last bar (RFC 3339 UTC).
    pub end_ts: String,
    /// Observable, not tradable, symbol whose buy-and-hold return is the benchmark.
    pub benchmark_symbol: Option<String>,
    /// Steps of the timeline.
    pub bar_count: usize,
}

impl ScenarioOut {
    /// The wire form of a scenario.
    pub fn new(id: &str, scenario: &Scenario) -> ScenarioOut {
        let info = scenario.info();
        let c = info.config;
        ScenarioOut {
            id: id.to_string(),
            slug: c.slug,
            name: c.name,
            description: c.description,
            status: serde_json::to_value(c.status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
            universe: c.universe,
            starting_cash: c.starting_cash,
            leverage_cap: c.leverage_cap,
            short_enabled: c.short_enabled,
            bar_resolution: c.bar_resolution.to_string(),
            start_ts: info.start_ts,
            end_ts: info.end_ts,
            benchmark_symbol: c.benchmark_symbol,
            bar_count: info.bar_count,
        }
    }
}

/// `{"scenarios": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioList {
    /// Every scenario.
    pub scenarios: Vec<ScenarioOut>,
}

/// `{"scenario": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioOne {
    /// The scenario.
    pub scenario: ScenarioOut,
}

/// `POST /api/v1/runs`. Other fields (`agent_info`, ...) are accepted and kept.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRun {
    /// Slug (or id) of the scenario.
    pub scenario_slug: String,
    /// Name shown on the leaderboard.
    #[serde(default)]
    pub bot_name: Option<String>,
    /// Anything the client wants to record about its agent.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub agent_info: Option<serde_json::Value>,
}

/// A run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOut {
    /// Run id.
    pub id: String,
    /// `active`, `completed` or `liquidated`.
    pub status: String,
    /// The scenario's slug.
    pub scenario_slug: String,
    /// Name shown on the leaderboard.
    pub bot_name: Option<String>,
    /// Cash now.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub cash: Decimal,
    /// Cash at the start.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub starting_cash: Decimal,
    /// Equity at the latest closes.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub equity: Decimal,
    /// The clock: time of the latest bar (RFC 3339 UTC).
    pub sim_time: String,
    /// True once the run is over.
    pub done: bool,
    /// Creation time (RFC 3339 UTC).
    pub created_at: String,
}

/// `{"run": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOne {
    /// The run.
    pub run: RunOut,
}

/// A position at the latest close.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionOut {
    /// Ticker.
    pub symbol: String,
    /// Signed units (negative = short).
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub quantity: Decimal,
    /// Average entry price.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub avg_cost: Decimal,
    /// Latest close.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub current_price: Decimal,
    /// `quantity × current_price`.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub market_value: Decimal,
    /// `(current_price − avg_cost) × quantity`.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub unrealized_pnl: Decimal,
}

impl From<&PositionView> for PositionOut {
    fn from(p: &PositionView) -> Self {
        PositionOut {
            symbol: p.symbol.clone(),
            quantity: p.quantity,
            avg_cost: p.avg_cost,
            current_price: p.current_price,
            market_value: p.market_value,
            unrealized_pnl: p.unrealized_pnl,
        }
    }
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOut {
    /// Order id within the run.
    pub id: String,
    /// Ticker.
    pub symbol: String,
    /// `buy`, `sell`, `short` or `cover`.
    pub side: String,
    /// Units asked.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub quantity: Decimal,
    /// `MARKET`, `LIMIT`, `STOP` or `STOP_LIMIT`.
    pub order_type: String,
    /// Limit price, if any.
    #[serde(serialize_with = "as_opt_number", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub limit_price: Option<Decimal>,
    /// Stop price, if any.
    #[serde(serialize_with = "as_opt_number", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub stop_price: Option<Decimal>,
    /// `GTC`, `DAY`, `IOC` or `FOK`.
    pub time_in_force: String,
    /// `OPEN`, `PARTIALLY_FILLED`, `FILLED`, `CANCELLED` or `REJECTED`.
    pub status: String,
    /// Units filled so far.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub filled_quantity: Decimal,
    /// Average fill price, once anything filled.
    #[serde(serialize_with = "as_opt_number", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub avg_fill_price: Option<Decimal>,
    /// `manual`, `stop_loss`, `take_profit`, `trim`, `liquidation`, ...
    pub role: String,
    /// Placement time (RFC 3339 UTC, simulated clock).
    pub created_at: String,
    /// Why it was rejected or cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// The stable code of why it ended (`insufficient_buying_power`, `run_finished`, `oco_sibling_filled`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<String>,
    /// The order it belongs to (a bracket's stop-loss or take-profit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The order's reasoning text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
}

impl From<&Order> for OrderOut {
    fn from(o: &Order) -> Self {
        let r = &o.request;
        OrderOut {
            id: o.id.to_string(),
            symbol: r.symbol.clone(),
            side: r.side.to_string(),
            quantity: r.quantity,
            order_type: r.order_type.to_string(),
            limit_price: r.limit_price,
            stop_price: r.stop_price,
            time_in_force: r.time_in_force.to_string(),
            status: o.status.to_string(),
            filled_quantity: o.filled_quantity,
            avg_fill_price: o.avg_fill_price,
            role: role_name(o.role),
            created_at: format_rfc3339(o.created_at),
            rejection_reason: o.end_reason.as_ref().map(|e| e.detail.clone()),
            end_reason: o.end_reason.as_ref().map(|e| e.code.clone()),
            parent_id: o.parent_id.map(|id| id.to_string()),
            reasoning: r.reasoning.clone(),
        }
    }
}

/// `{"order": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderOne {
    /// The queued order.
    pub order: OrderOut,
}

/// `GET /api/v1/runs/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetail {
    /// The run.
    pub run: RunOut,
    /// Open positions at the latest closes.
    pub positions: Vec<PositionOut>,
    /// Orders still working.
    pub queued_orders: Vec<OrderOut>,
    /// Equity at the latest closes.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub last_equity: Decimal,
}

/// A bar.
#[derive(Debug, Serialize, ToSchema)]
pub struct BarOut {
    /// Bar time (RFC 3339 UTC).
    pub ts: String,
    /// Open.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub open: Decimal,
    /// High.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub high: Decimal,
    /// Low.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub low: Decimal,
    /// Close.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub close: Decimal,
    /// Volume (shares, or coin units for crypto pairs).
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub volume: Decimal,
}

impl From<&Bar> for BarOut {
    fn from(b: &Bar) -> Self {
        BarOut { ts: format_rfc3339(b.ts), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume }
    }
}

/// Bars per symbol, in the order asked (universe order, then the benchmark, when none are named).
#[derive(Debug, ToSchema)]
#[schema(value_type = std::collections::HashMap<String, Vec<BarOut>>)]
pub struct BarsBySymbol(pub Vec<(String, Vec<BarOut>)>);

impl Serialize for BarsBySymbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (symbol, bars) in &self.0 {
            map.serialize_entry(symbol, bars)?;
        }
        map.end()
    }
}

/// `GET /api/v1/runs/{id}/market`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketOut {
    /// The clock (RFC 3339 UTC); no bar is later.
    pub sim_time: String,
    /// Ascending bars per symbol; the last one's `ts` is at or before `sim_time`.
    pub bars: BarsBySymbol,
}

/// `POST /api/v1/runs/{id}/trades`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TradeIn {
    /// Must be in the scenario's universe.
    pub symbol: String,
    /// `buy`, `sell`, `short` or `cover` (case-insensitive).
    pub side: String,
    /// Positive; fractional allowed, at most 8 decimal places. A number or a decimal string.
    #[schema(value_type = f64)]
    pub quantity: Num,
    /// A UUID unique to this order; reuse it only to retry the same order.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Free text, recorded with the order and its fills.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// `MARKET` (default), `LIMIT`, `STOP` or `STOP_LIMIT`.
    #[serde(default)]
    pub order_type: Option<String>,
    /// Required for LIMIT and STOP_LIMIT.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub limit_price: Option<Num>,
    /// Required for STOP and STOP_LIMIT.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub stop_price: Option<Num>,
    /// `GTC` (default), `DAY`, `IOC` or `FOK`.
    #[serde(default)]
    pub time_in_force: Option<String>,
    /// Bracket exit: a stop closing what fills.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub stop_loss: Option<Num>,
    /// Bracket exit: a limit closing what fills.
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub take_profit: Option<Num>,
}

/// `POST /api/v1/runs/{id}/step`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepIn {
    /// Bars to advance (default 1; 0 advances nothing).
    #[serde(default)]
    pub count: Option<u32>,
    /// A fresh UUID per step; reuse it only to retry the same step.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// `POST /api/v1/runs/{id}/hold-until-end`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldIn {
    /// Advance at most this many bars (default: to the end of the scenario).
    #[serde(default)]
    pub max_bars: Option<u32>,
    /// Refuse (`positions_open`) while the run holds positions.
    #[serde(default)]
    pub require_flat: bool,
    /// A fresh UUID per call; reuse it only to retry the same call.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// `POST /api/v1/runs/{id}/liquidate-and-finish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiquidateIn {
    /// Why (recorded with the closing fills).
    pub rationale: String,
    /// Advance at most this many bars (default: to the end of the scenario).
    #[serde(default)]
    pub max_bars: Option<u32>,
    /// A fresh UUID per call; reuse it only to retry the same call.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// `POST /api/v1/runs/{id}/advance-until-next-session`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceSessionIn {
    /// Advance at most this many bars.
    #[serde(default)]
    pub max_bars: Option<u32>,
    /// A fresh UUID per call; reuse it only to retry the same call.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A fill.
#[derive(Debug, Serialize, ToSchema)]
pub struct FillOut {
    /// The order that filled.
    pub order_id: String,
    /// Ticker.
    pub symbol: String,
    /// `buy`, `sell`, `short` or `cover`.
    pub side: String,
    /// Units.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub quantity: Decimal,
    /// Price per unit, slippage included.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub fill_price: Decimal,
    /// Slippage applied, basis points against the trader.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub slippage_bps: Decimal,
    /// Commission charged.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub commission: Decimal,
    /// `quantity × fill_price`.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub total_value: Decimal,
    /// Bar time of the fill (RFC 3339 UTC).
    pub ts: String,
    /// That bar's index in the run (0 is the first bar).
    pub bar_index: usize,
    /// Why the order existed: `manual`, `stop_loss`, `take_profit`, `trim`, `liquidation`, ...
    pub role: String,
    /// The order's reasoning text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
}

impl From<&Fill> for FillOut {
    fn from(f: &Fill) -> Self {
        FillOut {
            order_id: f.order_id.to_string(),
            symbol: f.symbol.clone(),
            side: f.side.to_string(),
            quantity: f.quantity,
            fill_price: f.fill_price,
            slippage_bps: f.slippage_bps,
            commission: f.commission,
            total_value: f.total_value,
            ts: format_rfc3339(f.ts),
            bar_index: f.bar_index,
            role: role_name(f.role),
            reasoning: f.reasoning.clone(),
        }
    }
}

/// The step response.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    /// Bars actually advanced (fewer than asked at the end).
    pub bars_advanced: u32,
    /// The clock after the step (RFC 3339 UTC).
    pub new_sim_time: String,
    /// Fills of the bars advanced.
    pub fills: Vec<FillOut>,
    /// Equity after the step.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub equity: Decimal,
    /// Cash after the step.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub cash: Decimal,
    /// Signed value of the positions.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub positions_value: Decimal,
    /// True when the scenario is exhausted: the run is over.
    pub done: bool,
    /// True when a margin call closed every position: the run is over.
    pub liquidated: bool,
}

/// `GET /api/v1/runs/{id}/orders`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrdersOut {
    /// Every order of the run, oldest first, as it stands now.
    pub orders: Vec<OrderOut>,
}

/// `GET /api/v1/runs/{id}/trades`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradesOut {
    /// Every fill of the run, oldest first.
    pub trades: Vec<FillOut>,
}
