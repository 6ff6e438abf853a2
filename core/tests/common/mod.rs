//! Helpers shared by the integration tests: tiny hand-made scenarios.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::str::FromStr;
use std::sync::Arc;

use vectrade_core::time::parse_timestamp;
use vectrade_core::*;

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub const HOUR: i64 = 3_600_000;

/// 2024-04-01T13:30:00Z, a Monday.
pub fn t0() -> i64 {
    parse_timestamp("2024-04-01T13:30:00Z").unwrap()
}

/// A bar at `ts` from "open high low close volume".
pub fn bar_at(ts: i64, ohlcv: &str) -> Bar {
    let v: Vec<Decimal> = ohlcv.split_whitespace().map(d).collect();
    Bar { ts, open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4] }
}

/// Hourly bars from t0 for one symbol.
pub fn hourly(rows: &[&str]) -> Vec<Bar> {
    rows.iter().enumerate().map(|(i, r)| bar_at(t0() + i as i64 * HOUR, r)).collect()
}

/// A zero-cost config: no slippage, no commission, 100k cash account.
pub fn config(universe: &[&str]) -> ScenarioConfig {
    let mut c = ScenarioConfig::new("test", "Test", universe);
    c.costs = CostModel { slippage: SlippageModel::FixedBps { bps: Decimal::ZERO }, ..CostModel::default() };
    c
}

pub fn scenario(config: ScenarioConfig, series: Vec<(&str, Vec<Bar>)>) -> Arc<Scenario> {
    let series = series.into_iter().map(|(s, bars)| Series { symbol: s.to_string(), bars }).collect();
    Arc::new(Scenario::new(config, series).unwrap())
}

/// One symbol "X", zero costs, the given hourly bars; a run with agent "a".
pub fn one_symbol(rows: &[&str]) -> (Run, AgentId) {
    let sc = scenario(config(&["X"]), vec![("X", hourly(rows))]);
    Run::start(sc, "a", RiskProfile::default()).unwrap()
}

pub fn buy(q: &str) -> OrderRequest {
    OrderRequest::market("X", Side::Buy, d(q))
}

pub fn sell(q: &str) -> OrderRequest {
    OrderRequest::market("X", Side::Sell, d(q))
}

pub fn fills(run: &Run, a: AgentId) -> Vec<(Decimal, Decimal, i64)> {
    run.engine().fills(a).unwrap().iter().map(|f| (f.quantity, f.fill_price, f.ts)).collect()
}
