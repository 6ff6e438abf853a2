//! VecTrade's trading engine: orders validated against per-agent risk profiles, matched against
//! bars, booked into isolated accounts, and replayed bar by bar over frozen scenarios.
//!
//! The crate does no I/O, reads no clock and keeps no global state: it takes values and returns
//! values, and the same inputs give byte-identical outputs on every platform (native, Python,
//! Node and WebAssembly). See `ARCHITECTURE.md` at the repository root for the layers and the path
//! of one order.

pub mod account;
pub mod bar;
pub mod catalog;
pub mod costs;
pub mod csv;
pub mod engine;
pub mod error;
pub mod interrupt;
pub mod journal;
pub mod limits;
pub mod matching;
pub mod metrics;
pub mod num;
pub mod order;
pub mod reveal;
pub mod risk;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod signals;
pub mod sweep;
pub mod time;
pub mod wire;

pub use account::{Account, Curve, EquityPoint, Fill, Position, PositionView};
pub use bar::{Bar, BarResolution};
pub use catalog::{CatalogEntry, SyntheticSpec};
pub use costs::{CommissionModel, CostModel, SlippageModel};
pub use engine::{AgentId, AgentStatus, Engine, EngineConfig, Portfolio, TrackRecord};
pub use error::{Error, ErrorFamily, ErrorKind, Result};
pub use interrupt::Interrupt;
pub use journal::{ExitType, Trade, TradeLeg, TradeStatus, TradeType};
pub use matching::{BarMatcher, IntrabarPath, MatchingModel};
pub use metrics::{Metrics, MetricsInput};
pub use order::{
    AssetType, EndReason, Order, OrderRequest, OrderRole, OrderStatus, OrderType, Side, TimeInForce, Trim,
};
pub use risk::RiskProfile;
pub use run::{
    Action, AgentStep, MarketView, Outcome, Run, RunOptions, RunResults, RunSnapshot, StepReport, SymbolBars, SymbolPnl,
};
pub use rust_decimal::Decimal;
pub use scenario::{MarketHours, Scenario, ScenarioConfig, ScenarioInfo, ScenarioStatus, Series};
pub use signals::{SignalSize, Signals, backtest_signals, backtest_signals_interruptible};
pub use sweep::{SweepOptions, sweep_signals};
