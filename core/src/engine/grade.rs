//! An agent's grade from its track record: metrics over its equity curve and closed round trips.

use rust_decimal::Decimal;

use super::{AgentId, Engine};
use crate::bar::Bar;
use crate::error::Result;
use crate::journal::{self, Trade, TradeStatus};
use crate::metrics::{self, Metrics, MetricsInput};

impl Engine {
    /// Metrics of the agent's track record so far (since it joined, or since its last reset),
    /// against `benchmark` bars, annualised with `periods_per_year` bars a year.
    pub fn metrics(&self, id: AgentId, benchmark: Option<&[Bar]>, periods_per_year: f64) -> Result<Metrics> {
        let record = self.track_record(id)?;
        let trades = journal::trades(record.fills);
        let closed: Vec<&Trade> = trades.iter().filter(|t| t.status == TradeStatus::Closed).collect();
        let pnls: Vec<Decimal> = closed.iter().map(|t| t.net_pnl).collect();
        let rets: Vec<f64> = closed.iter().map(|t| t.return_pct).collect();
        let account = self.account(id)?;
        Ok(metrics::compute(&MetricsInput {
            curve: record.curve,
            benchmark,
            trade_pnls: &pnls,
            trade_returns_pct: &rets,
            fees: account.fees_paid,
            traded_notional: account.traded_notional,
            fill_count: record.fills.len(),
            periods_per_year,
            risk_free_rate_annual: 0.0,
        }))
    }
}
