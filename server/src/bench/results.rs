//! The benchmark API's bodies about a finished run: its grade, publishing it, public runs and the
//! leaderboard (seeds 001 and 003), with their OpenAPI schemas.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vectrade_core::num::to_f64;
use vectrade_core::{RunResults, SymbolPnl};

use super::wire::as_number;

/// Profit and loss of one symbol.
#[derive(Debug, Serialize, ToSchema)]
pub struct SymbolPnlOut {
    /// Ticker.
    pub symbol: String,
    /// Realised, before commissions.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub realized_pnl: Decimal,
    /// Unrealised at the last close.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub unrealized_pnl: Decimal,
    /// Commissions.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub fees: Decimal,
    /// `realized + unrealized − fees`.
    #[serde(serialize_with = "as_number")]
    #[schema(value_type = f64)]
    pub net_pnl: Decimal,
}

impl From<&SymbolPnl> for SymbolPnlOut {
    fn from(p: &SymbolPnl) -> Self {
        SymbolPnlOut {
            symbol: p.symbol.clone(),
            realized_pnl: p.realized_pnl,
            unrealized_pnl: p.unrealized_pnl,
            fees: p.fees,
            net_pnl: p.net_pnl,
        }
    }
}

/// A finished run's grade. Metrics that do not exist for the run (a Sharpe ratio of a flat curve)
/// are left out.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultsOut {
    /// Equity at the end.
    pub final_equity: f64,
    /// Total return, percent.
    pub return_pct: f64,
    /// Annualised Sharpe ratio (bars per year of the scenario's market hours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sortino: Option<f64>,
    /// Maximum drawdown, a positive fraction of the peak (0.087 = 8.7 %).
    pub max_drawdown: f64,
    /// Number of fills.
    pub trade_count: usize,
    /// True when a margin call ended the run.
    pub liquidated: bool,
    /// Buy-and-hold return of the benchmark over the run, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benchmark_return_pct: Option<f64>,
    /// PnL per universe symbol.
    #[schema(value_type = Vec<SymbolPnlOut>)]
    pub per_symbol: serde_json::Value,
    /// Every metric of the engine (units in the project's docs/METRICS.md); absent ones left out.
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Drops `null` members (metrics that do not exist) from an object.
fn without_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            serde_json::Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
}

impl From<&RunResults> for ResultsOut {
    fn from(r: &RunResults) -> Self {
        let per_symbol: Vec<SymbolPnlOut> = r.per_symbol.iter().map(SymbolPnlOut::from).collect();
        ResultsOut {
            final_equity: to_f64(r.final_equity),
            return_pct: r.return_pct,
            sharpe: finite(r.sharpe),
            sortino: finite(r.sortino),
            max_drawdown: r.max_drawdown,
            trade_count: r.trade_count,
            liquidated: r.liquidated,
            benchmark_return_pct: r.benchmark_return_pct.and_then(finite),
            per_symbol: serde_json::to_value(per_symbol).expect("serialises"),
            metrics: without_nulls(serde_json::to_value(&r.metrics).expect("metrics serialise")),
        }
    }
}

/// `{"results": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsOne {
    /// The grade.
    pub results: ResultsOut,
}

/// `POST /api/v1/runs/{id}/publish`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    /// Always true.
    pub published: bool,
    /// The published grade.
    pub results: ResultsOut,
}

/// A published run as anyone may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRunOut {
    /// Run id.
    pub id: String,
    /// Scenario slug.
    pub scenario_slug: String,
    /// Leaderboard name.
    pub display_name: String,
    /// Bot name given at creation.
    pub bot_name: Option<String>,
    /// `completed` or `liquidated`.
    pub status: String,
    /// Publication time (RFC 3339 UTC).
    pub published_at: String,
}

/// `GET /api/v1/runs/{id}/public`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRun {
    /// The run.
    pub run: PublicRunOut,
    /// Its grade.
    pub results: ResultsOut,
}

/// One leaderboard row.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardRow {
    /// 1 = best under `sort_by`.
    pub rank: usize,
    /// Run id.
    pub run_id: String,
    /// Scenario slug.
    pub scenario_slug: String,
    /// `{handle} — {bot_name}` for Pro accounts with a handle, else the bot name or account name.
    pub display_name: String,
    /// Total return, percent.
    pub return_pct: f64,
    /// Sharpe ratio, if it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharpe: Option<f64>,
    /// Sortino ratio, if it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sortino: Option<f64>,
    /// Maximum drawdown (positive fraction).
    pub max_drawdown: f64,
    /// Final equity.
    pub final_equity: f64,
    /// Fills.
    pub trade_count: usize,
    /// Publication time (RFC 3339 UTC).
    pub published_at: String,
}

/// `GET /api/v1/leaderboard`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Leaderboard {
    /// Rows, best first.
    pub leaderboard: Vec<LeaderboardRow>,
    /// What they are ranked by.
    pub sort_by: String,
}

/// A scenario on the leaderboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardScenario {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Published runs on it.
    pub published_runs: usize,
}

/// `GET /api/v1/leaderboard/scenarios`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardScenarios {
    /// Every scenario, with its count of published runs.
    pub scenarios: Vec<LeaderboardScenario>,
}
